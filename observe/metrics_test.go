package observe

import (
	"errors"
	"testing"
	"time"

	"pipeline/pipeline"
)

// TestLagCountsWhatWasProducedSinceTheRead: the lag of a process that
// produces counts the records it wrote after the offsets were last read
// (every second): at a run's start the read saw an empty topic, and the lag
// is not 0 while thousands of records wait.
func TestLagCountsWhatWasProducedSinceTheRead(t *testing.T) {
	m := NewMetrics()
	w := &OffsetWatcher{topic: "t", group: "g", changed: make(chan struct{})}
	w.latest.Store(&watched{o: Offsets{Topic: "t", Group: "g", At: time.Now(), Partitions: []PartitionOffsets{
		{Partition: 0, Start: 0, End: 0, Committed: -1},
		{Partition: 1, Start: 0, End: 100, Committed: 40, Lag: 60},
		{Partition: 2, Start: 10, End: 50, Committed: -1, Lag: 40},
	}}})
	m.AddOffsets(w)
	if c := m.Counters(); c.Lag != 100 {
		t.Errorf("lag %d without a producer, want the read's 100", c.Lag)
	}
	m.AddProducer(func() pipeline.ProduceStats {
		return pipeline.ProduceStats{Produced: 3600, EndOffsets: map[int32]int64{0: 1800, 1: 90, 2: 1810}}
	})
	// 1800 + (100-40) + (1810-10)
	if c := m.Counters(); c.Lag != 3660 {
		t.Errorf("lag %d, want 3660: the records produced since the read wait too", c.Lag)
	}
	w.latest.Store(&watched{err: errors.New("timeout")})
	if c := m.Counters(); c.Lag != -1 {
		t.Errorf("lag %d after a failed read, want -1 (not known)", c.Lag)
	}
}
