package pipeline

import (
	"bytes"
	"flag"
	"os"
	"testing"
	"time"
)

var updateEvents = flag.Bool("update-events", false, "rewrite "+eventsFile+" with the events the pipeline writes now")

// eventsFile holds real events for the decoder's tests, which cannot import
// this package (it imports theirs).
const eventsFile = "../internal/eventjson/testdata/events.jsonl"

// TestEventJSONTestdata: the decoder's test events are what the pipeline
// writes: a typical event, twenty of the synthetic source, and one with
// every kind of value. Run with -update-events after changing the encoder.
func TestEventJSONTestdata(t *testing.T) {
	var b bytes.Buffer
	line := func(e Event) { b.Write(e.AppendJSON(nil)); b.WriteByte('\n') }
	line(Event{
		Symbol: "BRK.B",
		TS:     time.Date(2026, 11, 26, 14, 30, 0, 123e6, time.UTC),
		Seq:    1234567,
		Names:  []string{"price", "bid", "ask", "size", "volume", "exchange", "currency"},
		Values: []Value{Float(409.99), Float(409.92), Float(410.06), Int(100), Int(1495365300), String("NYSE"), String("USD")},
	})
	src := NewSynthetic(7)
	ts := time.Date(2026, 11, 26, 14, 30, 0, 0, time.UTC)
	for i := range 20 {
		sym, vals, _ := src.Next()
		line(Event{Symbol: sym, TS: ts.Add(time.Duration(i) * 1234567 * time.Microsecond), Seq: int64(i), Names: syntheticColumns, Values: vals})
	}
	line(Event{
		Symbol: `BRK.B "quoted" \ é`, TS: ts, Seq: 42,
		Names:  []string{"price", "volume", "whole", "name", "flag", "missing", "nan"},
		Values: []Value{Float(101.25), Int(1495365300), Float(100), String("a\nb\x01\xff"), Bool(true), Null(), Float(nan())},
	})
	if *updateEvents {
		if err := os.WriteFile(eventsFile, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(eventsFile)
	if err != nil || !bytes.Equal(got, b.Bytes()) {
		t.Fatalf("%s is not what the pipeline writes (%v): run go test ./pipeline -run TestEventJSONTestdata -update-events", eventsFile, err)
	}
}
