package observe

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"
)

// ProgressOptions configure StartProgress.
type ProgressOptions struct {
	// Terminal, if set, shows the progress as its status line, redrawn in
	// place; otherwise Logger gets a "progress" record every Every.
	Terminal *Terminal
	// Every is the redraw interval (default 250 ms: a few a second at most)
	// or the log interval (default 10 s).
	Every  time.Duration
	Logger *slog.Logger
}

// StartProgress shows what read returns until stop is called: the
// terminal's status line, or periodic log records. stop clears the status
// line, so what the command prints next starts on a clean line. read is
// called from another goroutine.
func StartProgress(read func() Counters, opts ProgressOptions) (stop func()) {
	live := opts.Terminal != nil
	every := opts.Every
	if every <= 0 {
		every = 10 * time.Second
		if live {
			every = 250 * time.Millisecond
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		var r rater
		r.add(read()) // so that the first rate is one
		start := time.Now()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				if live {
					opts.Terminal.SetStatus("")
				}
				return
			case <-t.C:
			}
			c := read()
			rates := r.add(c)
			if live {
				opts.Terminal.SetStatus(time.Since(start).Truncate(time.Second).String() + "  " + progressLine(c, rates))
			} else if opts.Logger != nil {
				opts.Logger.Info("progress", progressAttrs(c, rates)...)
			}
		}
	}()
	return func() {
		cancel()
		<-done
	}
}

// rates are events per second over about the last second.
type rates struct{ produced, stored float64 }

// rater keeps about a second of readings, so that a rate does not jump with
// each redraw.
type rater struct{ hist []Counters }

func (r *rater) add(c Counters) rates {
	r.hist = append(r.hist, c)
	for len(r.hist) > 2 && c.At.Sub(r.hist[1].At) >= time.Second {
		r.hist = r.hist[1:]
	}
	first := r.hist[0]
	dt := c.At.Sub(first.At).Seconds()
	if dt <= 0 {
		return rates{}
	}
	return rates{produced: float64(c.Produced-first.Produced) / dt, stored: float64(c.Stored-first.Stored) / dt}
}

func progressLine(c Counters, r rates) string {
	var parts []string
	if c.HasProducer {
		s := fmt.Sprintf("produced %s (%s/s)", count(c.Produced), count(int64(r.produced)))
		if c.Failed > 0 {
			s += fmt.Sprintf(", %s failed", count(c.Failed))
		}
		parts = append(parts, s)
	}
	if c.HasSink {
		parts = append(parts, fmt.Sprintf("stored %s (%s/s)", count(c.Stored), count(int64(r.stored))))
	}
	if c.Lag >= 0 {
		parts = append(parts, "lag "+count(c.Lag))
	}
	if c.HasSink {
		parts = append(parts, fmt.Sprintf("%s objects, %s", count(c.Objects), Bytes(c.Bytes)),
			"dead letters "+count(c.DeadLetters))
		if c.Freshness > 0 {
			parts = append(parts, fmt.Sprintf("freshness %.2fs", c.Freshness.Seconds()))
		}
	}
	return strings.Join(parts, " | ")
}

func progressAttrs(c Counters, r rates) []any {
	var a []any
	if c.HasProducer {
		a = append(a, "produced", c.Produced, "produced_per_s", int64(r.produced), "produce_failed", c.Failed)
	}
	if c.HasSink {
		a = append(a, "consumed", c.Consumed, "stored", c.Stored, "stored_per_s", int64(r.stored))
	}
	if c.Lag >= 0 {
		a = append(a, "lag", c.Lag)
	}
	if c.HasSink {
		a = append(a, "objects", c.Objects, "bytes", c.Bytes, "dead_letters", c.DeadLetters)
		if c.Freshness > 0 {
			a = append(a, "freshness_s", float64(c.Freshness.Milliseconds())/1000)
		}
	}
	return a
}

// count writes n with thousands separators: 1,234,567.
func count(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// Bytes writes a size in decimal units, as S3 consoles do: 8.4 MB.
func Bytes(n int64) string {
	const unit = 1000
	if n < unit {
		return strconv.FormatInt(n, 10) + " B"
	}
	f, u := float64(n), 0
	for f >= unit && u < 4 {
		f /= unit
		u++
	}
	return strconv.FormatFloat(f, 'f', 1, 64) + " " + []string{"B", "kB", "MB", "GB", "TB"}[u]
}
