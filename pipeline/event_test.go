package pipeline

import (
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"pipeline/catalog"
	"pipeline/internal/eventjson"
)

func TestEventAppendJSONRoundTrips(t *testing.T) {
	ev := Event{
		Symbol: `BRK.B "quoted" \ é`,
		TS:     time.Date(2026, 11, 26, 9, 30, 0, 123456789, time.FixedZone("EST", -5*3600)),
		Seq:    42,
		Names:  []string{"price", "volume", "whole", "name", "flag", "missing", "nan"},
		Values: []Value{Float(101.25), Int(1495365300), Float(100), String("a\nb\x01\xff"), Bool(true), Null(), Float(nan())},
	}
	b := ev.AppendJSON(nil)
	if !json.Valid(b) {
		t.Fatalf("not valid JSON: %s", b)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"symbol": `BRK.B "quoted" \ é`, "ts": "2026-11-26T14:30:00.123Z", "seq": 42.0,
		"price": 101.25, "volume": 1495365300.0, "whole": 100.0, "name": "a\nb\x01\ufffd", "flag": true,
		"missing": nil, "nan": nil,
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s = %#v, want %#v", k, got[k], w)
		}
	}
	// A whole double stays a double on the wire, so crawlers type it double.
	if !strings.Contains(string(b), `"whole":100.0`) {
		t.Errorf("whole double written without a decimal point: %s", b)
	}
	if !strings.HasPrefix(string(b), `{"symbol":`) {
		t.Errorf("keys out of order: %s", b)
	}
	h, err := eventjson.DecodeHeader(b)
	if err != nil {
		t.Fatalf("DecodeHeader of our own event: %v", err)
	}
	if h.Symbol != ev.Symbol || h.Seq != 42 || !h.TS.Equal(ev.TS.Truncate(time.Millisecond)) {
		t.Errorf("header = %+v", h)
	}
}

func nan() float64 { var z float64; return z / z }

func FuzzDecodeHeader(f *testing.F) {
	f.Add([]byte(`{"symbol":"AAPL","ts":"2026-11-26T14:30:00.123Z","seq":42,"price":1.5}`))
	f.Add([]byte(`{'surnasdasdame':'parasdasdmar'}`))
	f.Add([]byte(`{"symbol":"../../x","ts":"2026-11-26T14:30:00Z","seq":0}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := eventjson.DecodeHeader(b)
		if err != nil {
			if !errors.Is(err, eventjson.ErrBadEvent) {
				t.Fatalf("error not wrapping ErrBadEvent: %v", err)
			}
			return
		}
		if h.Symbol == "" || len(h.Symbol) > eventjson.MaxSymbolLen || h.Seq < 0 || h.TS.Year() < eventjson.MinYear || h.TS.Year() > eventjson.MaxYear {
			t.Fatalf("accepted an implausible header %+v from %q", h, b)
		}
		// Whatever is accepted must make a safe object key.
		key := DataKey("", Topic, h.TS.Format("2006-01-02"), catalog.FormatJSON, 0, 0)
		if strings.Contains(key, "..") {
			t.Fatalf("unsafe key %q", key)
		}
	})
}

// TestEventEncoderMatchesAppendJSON: an EventEncoder kept across events
// writes each as AppendJSON does alone, as times move within and across
// seconds (and back), as Names change to another slice or are edited in place
// of a copy, and for years it does not cache.
func TestEventEncoderMatchesAppendJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var enc EventEncoder
	namesA := []string{"price", "size"}
	namesB := []string{"price", "size", `we"ird`}
	base := time.Date(2026, 11, 27, 3, 59, 59, 0, time.UTC)
	for i := range 20000 {
		ev := Event{Symbol: "AAPL", Seq: int64(i), Names: namesA, Values: []Value{Float(1.5), Int(int64(i))}}
		switch r.IntN(10) {
		case 0:
			ev.Names, ev.Values = namesB, append(ev.Values, String("x"))
		case 1:
			ev.Names = append([]string(nil), namesA...) // equal, but another slice
			ev.Names[1] = "volume"
		}
		switch r.IntN(20) {
		case 0:
			ev.TS = time.Date(10000+r.IntN(10), 1, 1, 0, 0, 0, 0, time.UTC)
		case 1:
			ev.TS = base.Add(-time.Duration(r.Int64N(int64(48 * time.Hour))))
		default:
			ev.TS = base.Add(time.Duration(r.Int64N(int64(3 * time.Second)))).In(time.FixedZone("x", 3600))
		}
		if got, want := enc.Append(nil, &ev), ev.AppendJSON(nil); string(got) != string(want) {
			t.Fatalf("event %d: EventEncoder wrote %s, AppendJSON %s", i, got, want)
		}
	}
}

// TestAppendJSONAllocates nothing when the buffer has room: it is the
// one-event way, and must not pay for EventEncoder's caches each call.
func TestAppendJSONAllocates(t *testing.T) {
	ev := Event{Symbol: "AAPL", TS: time.Now(), Seq: 1, Names: []string{"price", "size"}, Values: []Value{Float(1.5), Int(2)}}
	buf := make([]byte, 0, 256)
	if n := testing.AllocsPerRun(100, func() { buf = ev.AppendJSON(buf[:0]) }); n != 0 {
		t.Fatalf("AppendJSON: %v allocations an event, want 0", n)
	}
}

// TestAppendEventTime: the hand-written formatter writes what
// time.AppendFormat writes, for times across the range and its edges.
func TestAppendEventTime(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	times := []time.Time{time.Unix(0, 0), time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC),
		time.Date(2026, 11, 26, 14, 30, 0, 123456789, time.FixedZone("x", -5*3600)), time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}
	for range 10000 {
		times = append(times, time.Unix(r.Int64N(300<<30), r.Int64N(1e9)))
	}
	for _, tm := range times {
		if got, want := string(appendEventTime(nil, tm)), tm.UTC().Format(TimeLayout); got != want {
			t.Fatalf("appendEventTime(%v) = %s, want %s", tm, got, want)
		}
	}
}

// TestAppendCentsMatchesStrconv: the fast path for prices writes exactly
// what the general one (strconv's shortest form, ".0" added to whole
// numbers) writes, for prices, near-prices and the edges.
func TestAppendCentsMatchesStrconv(t *testing.T) {
	general := func(f float64) string {
		s := strconv.FormatFloat(f, 'g', -1, 64)
		if !strings.ContainsAny(s, ".eE") {
			s += ".0"
		}
		return s
	}
	r := rand.New(rand.NewPCG(3, 4))
	vals := []float64{0.01, -0.01, 0.1, 0.29, 1, 100, 999999.99, -999999.99, 1e6, 1e6 - 0.01, 123456.78, 0.005, 1e-5,
		math.Copysign(0, -1), 0, 194.68, 0.3, 2.675}
	for range 200000 {
		c := r.Int64N(2e8) - 1e8
		vals = append(vals, float64(c)/100, float64(c)/100+1e-9, r.Float64()*1e7-5e6, math.Round(r.NormFloat64()*1e4)/100)
	}
	for _, f := range vals {
		want := general(f)
		got := string(Float(f).appendJSON(nil))
		if got != want {
			t.Fatalf("appendJSON(%v) = %s, want %s", f, got, want)
		}
	}
}
