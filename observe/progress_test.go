package observe

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// lockedBuffer is written by the progress goroutine while the test reads.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// waitFor polls cond until it holds or 10 s pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		<-tick.C
	}
}

// counting returns a reader of Counters whose counts grow by 1,000 produced
// and 900 stored at each read.
func counting() func() Counters {
	var n atomic.Int64
	return func() Counters {
		i := n.Add(1)
		return Counters{At: time.Now(), HasProducer: true, HasSink: true, Produced: 1000 * i, Stored: 900 * i,
			Objects: 3, Bytes: 2_500_000, Lag: 1234, DeadLetters: 2, Freshness: 620 * time.Millisecond}
	}
}

func TestProgressLiveLine(t *testing.T) {
	var out lockedBuffer
	stop := StartProgress(counting(), ProgressOptions{Terminal: NewTerminal(&out, func() int { return 200 }), Every: time.Millisecond})
	waitFor(t, "three redraws", func() bool { return strings.Count(out.String(), "\r\033[K") >= 3 })
	stop()
	s := out.String()
	if !strings.HasSuffix(s, "\r\033[K") {
		t.Errorf("the line is not cleared when progress stops: %q", s[max(0, len(s)-80):])
	}
	lines := strings.Split(strings.Trim(s, "\r\033[K"), "\r\033[K")
	line := lines[len(lines)-1]
	want := regexp.MustCompile(`^\d+s  produced [\d,]+000 \([\d,]+/s\) \| stored [\d,]+00 \([\d,]+/s\) \| lag 1,234 \| 3 objects, 2.5 MB \| dead letters 2 \| freshness 0.62s$`)
	if !want.MatchString(line) {
		t.Errorf("line %q does not match %s", line, want)
	}
	if strings.Contains(s, "\n") {
		t.Errorf("a live line never ends a line: %q", s)
	}
}

func TestProgressLineFitsTheTerminal(t *testing.T) {
	var out lockedBuffer
	stop := StartProgress(counting(), ProgressOptions{Terminal: NewTerminal(&out, func() int { return 40 }), Every: time.Millisecond})
	waitFor(t, "a redraw", func() bool { return strings.Count(out.String(), "\r\033[K") >= 2 })
	stop()
	for _, l := range strings.Split(out.String(), "\r\033[K") {
		if len(l) > 39 {
			t.Errorf("line of %d characters on a terminal of 40: %q", len(l), l)
		}
	}
}

// TestLogRecordsAboveTheProgressLine: a log record written while the
// progress line is drawn (-v on a terminal) goes on a line of its own above
// it: the line is cleared first and drawn again after the record.
func TestLogRecordsAboveTheProgressLine(t *testing.T) {
	var out lockedBuffer
	term := NewTerminal(&out, func() int { return 200 })
	log := slog.New(slog.NewTextHandler(term, nil))
	stop := StartProgress(counting(), ProgressOptions{Terminal: term, Every: time.Millisecond})
	waitFor(t, "a redraw", func() bool { return strings.Contains(out.String(), "produced") })
	for i := range 20 {
		log.Info("stored an object", "n", i)
	}
	waitFor(t, "another redraw", func() bool {
		s := out.String()
		return strings.Contains(s[strings.LastIndex(s, "n=19"):], "produced")
	})
	stop()
	s := out.String()
	for i := range 20 {
		rec := fmt.Sprintf("msg=\"stored an object\" n=%d\n", i)
		at := strings.Index(s, rec)
		if at < 0 {
			t.Fatalf("record %d missing: %q", i, s)
		}
		start := strings.LastIndex(s[:at], "time=")
		if start < len(clearLine) || s[start-len(clearLine):start] != clearLine {
			t.Errorf("record %d does not start a cleared line: %q", i, s[max(0, start-60):at+len(rec)])
		}
	}
	// What is left on the screen: the records, each on its line.
	var screen []string
	for _, l := range strings.Split(s, "\n") {
		if i := strings.LastIndex(l, clearLine); i >= 0 {
			l = l[i+len(clearLine):]
		}
		screen = append(screen, l)
	}
	for _, l := range screen[:len(screen)-1] {
		if strings.Contains(l, "produced") {
			t.Errorf("a progress line was left on the screen: %q", l)
		}
	}
}

func TestProgressLogRecords(t *testing.T) {
	var out lockedBuffer
	log := slog.New(slog.NewJSONHandler(&out, nil))
	stop := StartProgress(counting(), ProgressOptions{Every: time.Millisecond, Logger: log})
	waitFor(t, "two records", func() bool { return strings.Count(out.String(), "\n") >= 2 })
	stop()
	for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Fatalf("record %q is not JSON: %v", l, err)
		}
		if rec["msg"] != "progress" || rec["produced"] == nil || rec["stored"] == nil || rec["lag"] != float64(1234) ||
			rec["dead_letters"] != float64(2) || rec["freshness_s"] != 0.62 {
			t.Errorf("record %v lacks the counters", rec)
		}
	}
	if strings.Contains(out.String(), "\r") {
		t.Errorf("records carry terminal control: %q", out.String())
	}
}

func TestCountAndBytes(t *testing.T) {
	for _, c := range []struct {
		n    int64
		want string
	}{{0, "0"}, {999, "999"}, {1000, "1,000"}, {1234567, "1,234,567"}, {-1234, "-1,234"}} {
		if got := count(c.n); got != c.want {
			t.Errorf("count(%d) = %q, want %q", c.n, got, c.want)
		}
	}
	for _, c := range []struct {
		n    int64
		want string
	}{{0, "0 B"}, {999, "999 B"}, {1500, "1.5 kB"}, {8_400_000, "8.4 MB"}, {260_000_000_000, "260.0 GB"}} {
		if got := Bytes(c.n); got != c.want {
			t.Errorf("Bytes(%d) = %q, want %q", c.n, got, c.want)
		}
	}
}
