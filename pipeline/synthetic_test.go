package pipeline

import (
	"fmt"
	"math"
	"slices"
	"testing"
	"time"
)

func TestSyntheticTicks(t *testing.T) {
	s := NewSynthetic(42)
	if want := []string{"price", "bid", "ask", "size", "volume"}; !slices.Equal(s.Columns(), want) {
		t.Fatalf("Columns() = %q, want %q", s.Columns(), want)
	}
	type state struct {
		ticks  int
		volume int64
		first  float64
		min    float64
		max    float64
	}
	symbols := map[string]*state{}
	for i := range 100_000 {
		sym, v, err := s.Next()
		if err != nil {
			t.Fatal(err)
		}
		if len(v) != 5 || v[0].Kind != KindFloat || v[1].Kind != KindFloat || v[2].Kind != KindFloat ||
			v[3].Kind != KindInt || v[4].Kind != KindInt {
			t.Fatalf("tick %d: values %v", i, v)
		}
		price, bid, ask, size, volume := v[0].Float, v[1].Float, v[2].Float, v[3].Int, v[4].Int
		if !(0 < bid && bid < price && price < ask) {
			t.Fatalf("tick %d %s: bid %v price %v ask %v", i, sym, bid, price, ask)
		}
		for _, x := range []float64{price, bid, ask} {
			if c := x * 100; math.Abs(c-math.Round(c)) > 1e-6 {
				t.Fatalf("tick %d %s: %v is not in cents", i, sym, x)
			}
		}
		if spread := (ask - bid) / price; spread > 0.001 {
			t.Fatalf("tick %d %s: spread %v of %v", i, sym, spread, price)
		}
		if size <= 0 || size%100 != 0 {
			t.Fatalf("tick %d %s: size %d", i, sym, size)
		}
		st := symbols[sym]
		if st == nil {
			st = &state{first: price, min: price, max: price}
			symbols[sym] = st
		}
		st.ticks++
		st.volume += size
		st.min, st.max = min(st.min, price), max(st.max, price)
		if volume != st.volume {
			t.Fatalf("tick %d %s: volume %d, want %d", i, sym, volume, st.volume)
		}
	}
	if len(symbols) != 20 {
		t.Errorf("%d symbols, want 20", len(symbols))
	}
	for sym, st := range symbols {
		// About 5,000 ticks each: a plausible wander, not a crash or a
		// rocket, and every symbol picked about as often.
		if st.ticks < 4500 || st.ticks > 5500 || st.min < st.first/2 || st.max > st.first*2 {
			t.Errorf("%s: %d ticks, first %v, range %v..%v", sym, st.ticks, st.first, st.min, st.max)
		}
	}
}

func TestSyntheticDeterministic(t *testing.T) {
	ticks := func(seed int64) []string {
		s := NewSynthetic(seed)
		var out []string
		for range 100 {
			sym, v, _ := s.Next()
			out = append(out, fmt.Sprint(sym, v))
		}
		return out
	}
	a, b, c := ticks(7), ticks(7), ticks(8)
	if !slices.Equal(a, b) {
		t.Error("seed 7 gave two different runs")
	}
	if slices.Equal(a, c) {
		t.Error("seeds 7 and 8 gave the same run")
	}
}

func TestSyntheticFloor(t *testing.T) {
	// A price walked far down is reflected above the floor, not rounded
	// to zero.
	s := NewSynthetic(1)
	for i := range s.stocks {
		s.stocks[i].level = 1.0001
		s.stocks[i].vol = 0.2
	}
	for i := range 10_000 {
		sym, v, _ := s.Next()
		if v[1].Float <= 0 || v[0].Float < syntheticFloor {
			t.Fatalf("tick %d %s: %v", i, sym, v)
		}
	}
}

func BenchmarkSyntheticEncode(b *testing.B) {
	s := NewSynthetic(1)
	ev := Event{Names: s.Columns(), TS: time.Now()}
	var buf []byte
	var enc EventEncoder
	b.ReportAllocs()
	for b.Loop() {
		ev.Symbol, ev.Values, _ = s.Next()
		ev.Seq++
		ev.TS = ev.TS.Add(time.Microsecond) // a tick's time, as Simulate moves it
		buf = enc.Append(buf[:0], &ev)
	}
	b.SetBytes(int64(len(buf)))
}

// Three ticks as the producer sends them (Simulate sets ts and seq).
func ExampleNewSynthetic() {
	s := NewSynthetic(1)
	ev := Event{Names: s.Columns(), TS: time.Date(2024, 5, 1, 9, 30, 0, 0, time.UTC)}
	for range 3 {
		ev.Symbol, ev.Values, _ = s.Next()
		fmt.Printf("%s\n", ev.AppendJSON(nil))
	}
	// Output:
	// {"symbol":"BRK.B","ts":"2024-05-01T09:30:00.000Z","seq":0,"price":409.99,"bid":409.92,"ask":410.06,"size":100,"volume":100}
	// {"symbol":"GOOGL","ts":"2024-05-01T09:30:00.000Z","seq":0,"price":170.01,"bid":169.97,"ask":170.05,"size":200,"volume":200}
	// {"symbol":"WMT","ts":"2024-05-01T09:30:00.000Z","seq":0,"price":68.0,"bid":67.99,"ask":68.01,"size":800,"volume":800}
}
