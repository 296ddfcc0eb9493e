package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"time"

	"golang.org/x/time/rate"
)

// Source yields the content of ticks: which symbol, and the values of the
// source's columns. The Simulator adds the emission time and sequence number.
// A Source is used by one goroutine at a time.
type Source interface {
	// Columns names the values Next returns, in order. Names are safe SQL
	// identifiers (lower case, [a-z0-9_]) and never "symbol", "ts" or "seq".
	// The slice is shared and must not be modified.
	Columns() []string
	// Next returns the next tick. It returns io.EOF when the source is
	// exhausted (never, for a looping source). values may be reused by the
	// next call: the caller copies what it keeps.
	Next() (symbol string, values []Value, err error)
}

// Order is how a file source picks rows.
type Order string

const (
	// OrderSample picks a random row of the source each tick, of all its
	// files, any row any number of times (pandas' data.sample(1)).
	OrderSample Order = "sample"
	// OrderReplay emits rows in time order, the files of a source merged,
	// starting over at the end.
	OrderReplay Order = "replay"
)

// ErrStop can be returned by an emit function to end a simulation early
// without an error.
var ErrStop = errors.New("stop")

// SimOptions bound and pace a simulation. The zero value emits as fast as
// possible until the context ends.
type SimOptions struct {
	Rate     float64       // events per second; 0 = as fast as possible
	Events   int64         // stop after this many events; 0 = no bound
	Duration time.Duration // stop after this long; 0 = no bound
	// Now gives the emission time of a tick; nil means time.Now.
	Now func() time.Time
}

// SimStats is what a simulation did.
type SimStats struct {
	Events  int64
	Elapsed time.Duration
}

// Validate reports the first option that is out of range.
func (o *SimOptions) Validate() error {
	switch {
	case math.IsNaN(o.Rate) || math.IsInf(o.Rate, 0):
		return fmt.Errorf("rate %v is not a number of events per second: pass 0 for as fast as possible", o.Rate)
	case o.Rate < 0:
		return fmt.Errorf("rate %v events/s is negative: pass 0 for as fast as possible", o.Rate)
	case o.Events < 0:
		return fmt.Errorf("events %d is negative: pass 0 for no bound", o.Events)
	case o.Duration < 0:
		return fmt.Errorf("duration %v is negative: pass 0 for no bound", o.Duration)
	}
	return nil
}

// unthrottledChunk is how many events an unthrottled simulation emits per
// round of its loop.
const unthrottledChunk = 256

// chunkSize is how many tokens a simulation at rate takes from its limiter
// at once: about 10ms worth, so that the pacing costs one wait per chunk,
// not per event, and a stalled emit is made up by at most one chunk.
func chunkSize(rate float64) int {
	return max(1, int(rate/100))
}

// Simulate reads ticks from src and calls emit with each, until opts.Events
// events were emitted, opts.Duration passed, src returned io.EOF, emit returned
// an error, or ctx ended, whichever comes first.
//
// Each event has the tick's symbol, Names = src.Columns(), a copy of the
// tick's values, TS = opts.Now() in UTC and Seq counting from 0 per symbol. Simulate reuses one Event for every call: emit
// must not keep the *Event, its Values, or anything they point into after it
// returns (encode it, or copy it). emit may block; the simulation then waits,
// which is how a slow consumer pushes back.
//
// With opts.Rate > 0 events are paced to that average rate, in chunks of about
// 10ms worth of events (the first chunk goes at once), so that high rates such
// as 200,000/s cost one wait per chunk rather than one per event.
//
// Simulate returns a nil error when a bound is reached, src is exhausted or
// emit returns ErrStop. It returns emit's other errors as they are, src's
// errors wrapped, and ctx.Err() if ctx ends first: give a run a length with
// opts.Duration, not with a context deadline, to have it end without an error.
// Errors are not prefixed with "simulate": the caller names the stage.
// The stats count the events emit took (returned nil or ErrStop for: ErrStop
// means "this one, then no more") and the time the run took.
func Simulate(ctx context.Context, src Source, opts SimOptions, emit func(*Event) error) (stats SimStats, _ error) {
	if err := opts.Validate(); err != nil {
		return stats, err
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	start := time.Now()
	defer func() { stats.Elapsed = time.Since(start) }()

	// runCtx ends when the run's Duration is over; ctx is the caller's.
	runCtx := ctx
	if opts.Duration > 0 {
		var cancel context.CancelFunc
		runCtx, cancel = context.WithTimeout(ctx, opts.Duration)
		defer cancel()
	}

	var lim *rate.Limiter
	chunk := unthrottledChunk
	if opts.Rate > 0 {
		chunk = chunkSize(opts.Rate)
		lim = rate.NewLimiter(rate.Limit(opts.Rate), chunk)
	}

	ev := Event{Names: src.Columns()}
	seqs := make(map[string]*int64) // one lookup a tick, no store
	done := runCtx.Done()
	for {
		n := chunk
		if opts.Events > 0 {
			if left := opts.Events - stats.Events; left < int64(n) {
				n = int(left)
			}
			if n == 0 {
				return stats, nil
			}
		}
		if lim != nil {
			if err := lim.WaitN(runCtx, n); err != nil {
				if runCtx.Err() == nil {
					_, ok := runCtx.Deadline()
					if !ok {
						return stats, err
					}
					// The next chunk would not fit before the end of
					// the run: the run is over when its time is.
					<-done
				}
				return stats, ctx.Err()
			}
		}
		for range n {
			select {
			case <-done:
				return stats, ctx.Err()
			default:
			}
			sym, vals, err := src.Next()
			if err == io.EOF {
				return stats, nil
			}
			if err != nil {
				return stats, fmt.Errorf("next tick: %w", err)
			}
			seq := seqs[sym]
			if seq == nil {
				seq = new(int64)
				seqs[sym] = seq
			}
			ev.Symbol = sym
			ev.TS = now().UTC()
			ev.Seq = *seq
			ev.Values = append(ev.Values[:0], vals...)
			err = emit(&ev)
			stop := errors.Is(err, ErrStop)
			if err != nil && !stop {
				return stats, err
			}
			// Count the event and its seq once emit took it.
			*seq++
			stats.Events++
			if stop {
				return stats, nil
			}
		}
	}
}
