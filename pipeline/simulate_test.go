package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"testing"
	"testing/synctest"
	"time"
)

func TestSimOptionsValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts SimOptions
		want string // "" for valid
	}{
		{"zero", SimOptions{}, ""},
		{"all set", SimOptions{Rate: 200_000, Events: 10, Duration: time.Second}, ""},
		{"negative rate", SimOptions{Rate: -1}, "rate -1 events/s is negative: pass 0 for as fast as possible"},
		{"NaN rate", SimOptions{Rate: math.NaN()}, "rate NaN is not a number of events per second: pass 0 for as fast as possible"},
		{"infinite rate", SimOptions{Rate: math.Inf(1)}, "rate +Inf is not a number of events per second: pass 0 for as fast as possible"},
		{"negative events", SimOptions{Events: -5}, "events -5 is negative: pass 0 for no bound"},
		{"negative duration", SimOptions{Duration: -time.Second}, "duration -1s is negative: pass 0 for no bound"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.opts.Validate()
			if got := simErrString(err); got != tc.want {
				t.Errorf("Validate() = %q, want %q", got, tc.want)
			}
			if err != nil {
				st, serr := Simulate(t.Context(), NewSynthetic(1), tc.opts, func(*Event) error { return nil })
				if simErrString(serr) != tc.want || st.Events != 0 {
					t.Errorf("Simulate: %d events, error %v", st.Events, serr)
				}
			}
		})
	}
}

func simErrString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestSimulateEvents(t *testing.T) {
	// Emission times come from Now, in UTC whatever its zone.
	clock := time.Date(2024, 5, 1, 9, 30, 0, 0, time.FixedZone("EST", -5*3600))
	now := func() time.Time {
		clock = clock.Add(time.Millisecond)
		return clock
	}
	src := NewSynthetic(3)
	want := NewSynthetic(3) // the same ticks, to compare with
	seqs := map[string]int64{}
	var prev *Event
	var n int
	st, err := Simulate(t.Context(), src, SimOptions{Events: 10_000, Now: now}, func(ev *Event) error {
		if prev != nil && ev != prev {
			t.Fatal("a new *Event per call; want one reused")
		}
		prev = ev
		sym, vals, _ := want.Next()
		if ev.Symbol != sym || !slices.Equal(ev.Values, vals) || !slices.Equal(ev.Names, src.Columns()) {
			t.Fatalf("event %d: %+v, want %s %v", n, ev, sym, vals)
		}
		if ev.Seq != seqs[sym] {
			t.Fatalf("event %d: %s seq %d, want %d", n, sym, ev.Seq, seqs[sym])
		}
		seqs[sym]++
		if !ev.TS.Equal(clock) || ev.TS.Location() != time.UTC {
			t.Fatalf("event %d: ts %v, want %v in UTC", n, ev.TS, clock)
		}
		// emit may scribble on the event: the source's values are a copy.
		ev.Values[0] = Null()
		n++
		return nil
	})
	if err != nil || st.Events != 10_000 || n != 10_000 {
		t.Fatalf("%d events (%d emitted), error %v; want 10000", st.Events, n, err)
	}
	if len(seqs) != 20 {
		t.Errorf("%d symbols, want 20", len(seqs))
	}
}

// simFinite is a Source of n ticks of one symbol, then err.
type simFinite struct {
	n   int
	err error
}

func (f *simFinite) Columns() []string { return []string{"n"} }

func (f *simFinite) Next() (string, []Value, error) {
	if f.n == 0 {
		return "", nil, f.err
	}
	f.n--
	return "X", []Value{Int(int64(f.n))}, nil
}

func TestSimulateEndings(t *testing.T) {
	errEmit := errors.New("emit failed")
	errSrc := errors.New("disk on fire")
	for _, tc := range []struct {
		name    string
		src     Source
		opts    SimOptions
		emitErr func(i int64) error // error for the i-th emit call, from 0
		cancel  int64               // cancel ctx in this emit call; -1 never
		events  int64
		err     error  // errors.Is
		msg     string // error text; "" for nil
	}{
		{"events bound", NewSynthetic(1), SimOptions{Events: 7}, nil, -1, 7, nil, ""},
		{"events bound paced", NewSynthetic(1), SimOptions{Events: 7, Rate: 1e6}, nil, -1, 7, nil, ""},
		{"source ends", &simFinite{n: 5, err: io.EOF}, SimOptions{Events: 100}, nil, -1, 5, nil, ""},
		{"source fails", &simFinite{n: 5, err: errSrc}, SimOptions{}, nil, -1, 5, errSrc, "next tick: disk on fire"},
		{"emit stops", NewSynthetic(1), SimOptions{}, simStopAt(10, ErrStop), -1, 11, nil, ""},
		{"emit stops wrapped", NewSynthetic(1), SimOptions{Rate: 1e6}, simStopAt(10, errors.Join(errEmit, ErrStop)), -1, 11, nil, ""},
		{"emit fails", NewSynthetic(1), SimOptions{}, simStopAt(10, errEmit), -1, 10, errEmit, "emit failed"},
		{"canceled", NewSynthetic(1), SimOptions{}, nil, 300, 301, context.Canceled, "context canceled"},
		{"canceled paced", NewSynthetic(1), SimOptions{Rate: 1e6, Duration: time.Hour}, nil, 3, 4, context.Canceled, "context canceled"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			var i int64
			st, err := Simulate(ctx, tc.src, tc.opts, func(*Event) error {
				defer func() { i++ }()
				if i == tc.cancel {
					cancel()
				}
				if tc.emitErr != nil {
					return tc.emitErr(i)
				}
				return nil
			})
			if st.Events != tc.events || simErrString(err) != tc.msg || (tc.err != nil && !errors.Is(err, tc.err)) {
				t.Errorf("%d events, error %v; want %d, %q", st.Events, err, tc.events, tc.msg)
			}
		})
	}
}

func simStopAt(i int64, err error) func(int64) error {
	return func(j int64) error {
		if j == i {
			return err
		}
		return nil
	}
}

// TestSimulateRate runs simulations in a synctest bubble, where time moves
// only when every goroutine waits: the pacing is exact and the test instant.
func TestSimulateRate(t *testing.T) {
	for _, tc := range []struct {
		name       string
		opts       SimOptions
		ctxTimeout time.Duration // 0 = none
		stall      time.Duration // emit blocks this long at the first event
		min, max   int64         // events
		elapsed    [2]time.Duration
		err        error
	}{
		// One chunk (10ms worth) goes at once, then one per 10ms: the
		// last chunk may start at the very end.
		{"1000/s for 2s", SimOptions{Rate: 1000, Duration: 2 * time.Second}, 0, 0,
			2000, 2010, [2]time.Duration{2 * time.Second, 2 * time.Second}, nil},
		{"200000/s for 1s", SimOptions{Rate: 200_000, Duration: time.Second}, 0, 0,
			200_000, 202_000, [2]time.Duration{time.Second, time.Second}, nil},
		{"one per 2s for 3s", SimOptions{Rate: 0.5, Duration: 3 * time.Second}, 0, 0,
			2, 2, [2]time.Duration{3 * time.Second, 3 * time.Second}, nil},
		{"500 events at 1000/s", SimOptions{Rate: 1000, Events: 500}, 0, 0,
			500, 500, [2]time.Duration{480 * time.Millisecond, 500 * time.Millisecond}, nil},
		{"events before duration", SimOptions{Rate: 100, Events: 10, Duration: time.Hour}, 0, 0,
			10, 10, [2]time.Duration{90 * time.Millisecond, 100 * time.Millisecond}, nil},
		// A consumer that stalls for 1s is not paid back with a burst.
		{"stalled emit", SimOptions{Rate: 1000, Duration: 2 * time.Second}, 0, time.Second,
			1000, 1030, [2]time.Duration{2 * time.Second, 2 * time.Second}, nil},
		{"context deadline first", SimOptions{Rate: 100, Duration: 5 * time.Second}, time.Second, 0,
			100, 101, [2]time.Duration{time.Second, time.Second}, context.DeadlineExceeded},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx := t.Context()
				if tc.ctxTimeout > 0 {
					var cancel context.CancelFunc
					ctx, cancel = context.WithTimeout(ctx, tc.ctxTimeout)
					defer cancel()
				}
				first := true
				st, err := Simulate(ctx, NewSynthetic(1), tc.opts, func(*Event) error {
					if first && tc.stall > 0 {
						time.Sleep(tc.stall) // fake time, in the bubble
					}
					first = false
					return nil
				})
				if !errors.Is(err, tc.err) {
					t.Errorf("error %v, want %v", err, tc.err)
				}
				if st.Events < tc.min || st.Events > tc.max {
					t.Errorf("%d events, want %d..%d", st.Events, tc.min, tc.max)
				}
				t.Logf("%d events in %v", st.Events, st.Elapsed)
				if st.Elapsed < tc.elapsed[0] || st.Elapsed > tc.elapsed[1] {
					t.Errorf("elapsed %v, want %v..%v", st.Elapsed, tc.elapsed[0], tc.elapsed[1])
				}
			})
		})
	}
}

func TestSimulateUnthrottledDuration(t *testing.T) {
	// Real time: an unthrottled loop never waits, so a synctest bubble's
	// clock would not move. Only lower bounds are checked.
	const d = 20 * time.Millisecond
	st, err := Simulate(t.Context(), NewSynthetic(1), SimOptions{Duration: d}, func(*Event) error { return nil })
	if err != nil || st.Events == 0 || st.Elapsed < d {
		t.Errorf("%d events in %v, error %v; want some, at least %v, nil", st.Events, st.Elapsed, err, d)
	}
}

func TestSimulateCSV(t *testing.T) {
	src, err := OpenCSV(csvFixture("bom_crlf_quoted.csv"), &CSVOptions{Order: OrderReplay})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	_, err = Simulate(t.Context(), src, SimOptions{Events: 6}, func(ev *Event) error {
		got = append(got, fmt.Sprintf("%s %s %d", ev.Symbol, ev.Values[1].Str, ev.Seq))
		return nil
	})
	want := []string{"BRK.B 2021-03-01 0", "AAPL 2021-03-01 0", "BRK.B 2021-03-02 1", "AAPL 2021-03-02 1",
		"BRK.B 2021-03-01 2", "AAPL 2021-03-01 2"}
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("got %q, error %v; want %q", got, err, want)
	}
}

func TestSimulateAllocs(t *testing.T) {
	// One Event and one Values slice for the whole run: the allocations do
	// not grow with the number of events.
	run := func(n int64) float64 {
		return testing.AllocsPerRun(5, func() {
			Simulate(context.Background(), NewSynthetic(1), SimOptions{Events: n}, func(*Event) error { return nil })
		})
	}
	if small, big := run(1000), run(100_000); big > small+5 {
		t.Errorf("%v allocations for 1000 events, %v for 100000", small, big)
	}
}

func BenchmarkSimulate(b *testing.B) {
	var buf []byte
	b.ReportAllocs()
	b.ResetTimer()
	st, err := Simulate(b.Context(), NewSynthetic(1), SimOptions{Events: int64(b.N)}, func(ev *Event) error {
		buf = ev.AppendJSON(buf[:0])
		return nil
	})
	if err != nil || st.Events != int64(b.N) {
		b.Fatal(st, err)
	}
	b.ReportMetric(float64(st.Events)/st.Elapsed.Seconds(), "events/s")
}
