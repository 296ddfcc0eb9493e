package ui

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"pipeline/emulate"
)

// feedOf starts a feed with opts over a new one-partition topic and returns
// it and a function that produces one tick of symbol at record time at.
func feedOf(t *testing.T, opts *FeedOptions) (*TickFeed, func(symbol string, price float64, at time.Time)) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	k, err := emulate.StartKafka(t.TempDir(), &emulate.KafkaOptions{Topics: []string{"ticks"}, Partitions: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { k.Close() })
	conn := []kgo.Opt{kgo.SeedBrokers(k.ListenAddrs()...)}
	f, err := StartTickFeed(ctx, conn, "ticks", opts)
	if err != nil {
		t.Fatal(err)
	}
	cl, err := kgo.NewClient(append(conn, kgo.DefaultProduceTopic("ticks"))...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return f, func(symbol string, price float64, at time.Time) {
		t.Helper()
		v := fmt.Sprintf(`{"symbol":%q,"ts":%q,"seq":1,"price":%g}`, symbol, at.UTC().Format(time.RFC3339Nano), price)
		if err := cl.ProduceSync(ctx, &kgo.Record{Key: []byte(symbol), Value: []byte(v), Timestamp: at}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited 30 s for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestTickFeedBoundsItsSymbols: the feed charts at most MaxSymbols symbols
// (a page of thousands of charts freezes the browser) and tells the pages
// how many it does not; a symbol with no tick for Expire is dropped, the
// pages told, and its place taken by another; a symbol the sink would
// dead-letter gets no chart.
func TestTickFeedBoundsItsSymbols(t *testing.T) {
	f, tick := feedOf(t, &FeedOptions{MaxSymbols: 3, Expire: 2 * time.Second})
	_, _, msgs, cancel := f.subscribe()
	defer cancel()
	now := time.Now()
	for _, s := range []string{strings.Repeat("X", 300), "S0", "S1", "S2", "S3", "S4"} {
		tick(s, 10, now)
	}
	waitUntil(t, "3 symbols charted", func() bool { return len(f.Symbols()) == 3 })
	var told symbolsEvent
	waitUntil(t, "the pages told of 2 uncharted symbols", func() bool {
		for {
			select {
			case m := <-msgs:
				if m.event == "symbols" {
					told = symbolsEvent{}
					json.Unmarshal(m.data, &told)
				}
				continue
			default:
			}
			return told.Uncharted == 2
		}
	})
	var charted, uncharted []string
	for _, s := range []string{"S0", "S1", "S2", "S3", "S4"} {
		if f.Symbols()[s] > 0 {
			charted = append(charted, s)
		} else {
			uncharted = append(uncharted, s)
		}
	}
	// One keeps ticking; the other two stop, and expire.
	var expired []string
	waitUntil(t, "two symbols to expire", func() bool {
		tick(charted[0], 11, time.Now())
		for {
			select {
			case m := <-msgs:
				var ev symbolsEvent
				if m.event == "symbols" && json.Unmarshal(m.data, &ev) == nil {
					expired = append(expired, ev.Expired...)
				}
				continue
			default:
			}
			return len(f.Symbols()) == 1 && len(expired) >= 2
		}
	})
	if strings.Join(expired, ",") != strings.Join(charted[1:], ",") {
		t.Errorf("pages told %v expired, want %v", expired, charted[1:])
	}
	tick(uncharted[0], 12, time.Now())
	waitUntil(t, uncharted[0]+" to take a free place", func() bool { return f.Symbols()[uncharted[0]] > 0 })
	if n := len(f.Symbols()); n > 3 {
		t.Errorf("%d symbols charted, at most 3", n)
	}
}

// TestTickFeedOnePointPerBucket: a point is made once its bucket is over, so
// that a series of History points covers History buckets (five minutes by
// default), with the last tick of each.
func TestTickFeedOnePointPerBucket(t *testing.T) {
	f, tick := feedOf(t, &FeedOptions{Bucket: 100 * time.Millisecond})
	// A's ticks are stamped in a bucket an hour ahead: not over until a
	// tick of a later bucket comes.
	later := time.Now().Add(time.Hour)
	tick("A", 1, later)
	tick("B", 1, time.Now())
	waitUntil(t, "B's point", func() bool { return f.Symbols()["B"] == 1 })
	tick("A", 2, later)
	tick("A", 3, later.Add(100*time.Millisecond))
	tick("B", 2, time.Now().Add(100*time.Millisecond))
	waitUntil(t, "A's point and B's second", func() bool { return f.Symbols()["A"] >= 1 && f.Symbols()["B"] == 2 })
	history, _, _, cancel := f.subscribe()
	cancel()
	var series map[string][]point
	if err := json.Unmarshal(history, &series); err != nil {
		t.Fatal(err)
	}
	if a := series["A"]; len(a) != 1 || a[0][1] != 2 {
		t.Errorf("A's series %v, want one point of its first bucket, with the bucket's last price 2", a)
	}
}
