package observe

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
)

// Offsets is one look at a topic and the consumer group that stores it: what
// the log holds and how far the group has committed, partition by partition.
// The sink commits only what it has stored, so Lag is what is not in S3 yet.
type Offsets struct {
	Topic      string             `json:"topic"`
	Group      string             `json:"group"`
	Partitions []PartitionOffsets `json:"partitions"`
	At         time.Time          `json:"at"`
}

// PartitionOffsets is one partition of Offsets.
type PartitionOffsets struct {
	Partition int32 `json:"partition"`
	Start     int64 `json:"start"` // the first offset the log still holds
	End       int64 `json:"end"`   // the offset after the last record
	// Committed is the group's committed offset, -1 if it has committed
	// nothing here (a sink then starts at Start).
	Committed int64 `json:"committed"`
	Lag       int64 `json:"lag"` // records after the committed offset (or Start)
}

// Records is how many records the topic's partitions hold.
func (o *Offsets) Records() int64 {
	var n int64
	for _, p := range o.Partitions {
		n += p.End - p.Start
	}
	return n
}

// Ends is the sum of the partitions' end offsets: every record ever
// written, including those the log no longer holds.
func (o *Offsets) Ends() int64 {
	var n int64
	for _, p := range o.Partitions {
		n += p.End
	}
	return n
}

// Committed is the sum of the group's committed offsets (a partition with no
// commit counts its start).
func (o *Offsets) Committed() int64 {
	var n int64
	for _, p := range o.Partitions {
		n += max(p.Committed, p.Start)
	}
	return n
}

// Lag is the sum of the partitions' lag.
func (o *Offsets) Lag() int64 {
	var n int64
	for _, p := range o.Partitions {
		n += p.Lag
	}
	return n
}

// ErrNoTopic is wrapped by ReadOffsets when the topic does not exist.
var ErrNoTopic = errors.New("topic does not exist")

// ReadOffsets lists the topic's start and end offsets and the group's
// committed offsets: three requests, whatever the size of the topic.
func ReadOffsets(ctx context.Context, adm *kadm.Client, topic, group string) (Offsets, error) {
	o := Offsets{Topic: topic, Group: group, At: time.Now()}
	ends, err := adm.ListEndOffsets(ctx, topic)
	if err == nil {
		err = ends.Error()
	}
	if errors.Is(err, kerr.UnknownTopicOrPartition) {
		return o, fmt.Errorf("kafka topic %q: %w", topic, ErrNoTopic)
	}
	if err != nil {
		return o, fmt.Errorf("kafka: list end offsets of %q: %w", topic, err)
	}
	starts, err := adm.ListStartOffsets(ctx, topic)
	if err == nil {
		err = starts.Error()
	}
	if err != nil {
		return o, fmt.Errorf("kafka: list start offsets of %q: %w", topic, err)
	}
	committed, err := adm.FetchOffsetsForTopics(ctx, group, topic)
	if err == nil {
		err = committed.Error()
	}
	if errors.Is(err, kerr.GroupIDNotFound) {
		committed, err = nil, nil // a group that never committed (kfake says so; Kafka answers nothing)
	}
	if err != nil {
		return o, fmt.Errorf("kafka: committed offsets of group %q: %w", group, err)
	}
	for p, end := range ends[topic] {
		po := PartitionOffsets{Partition: p, End: end.Offset, Committed: -1}
		if s, ok := starts.Lookup(topic, p); ok {
			po.Start = s.Offset
		}
		// FetchOffsetsForTopics lists every partition, with -1 where
		// the group has no commit.
		if c, ok := committed.Lookup(topic, p); ok && c.At >= 0 {
			po.Committed = c.At
		}
		po.Lag = max(0, po.End-max(po.Committed, po.Start))
		o.Partitions = append(o.Partitions, po)
	}
	slices.SortFunc(o.Partitions, func(a, b PartitionOffsets) int { return int(a.Partition - b.Partition) })
	return o, nil
}

// OffsetWatcher keeps a recent Offsets of a topic and group, read every
// interval in the background, for the metrics, the progress line and the
// dashboard to share. It is safe for concurrent use.
type OffsetWatcher struct {
	adm          *kadm.Client
	topic, group string
	latest       atomic.Pointer[watched]
	changed      chan struct{} // closed on the first read, for tests and the first frame
}

type watched struct {
	o   Offsets
	err error
}

// WatchOffsets reads the offsets now and then every interval until ctx
// ends. The kadm client stays the caller's.
func WatchOffsets(ctx context.Context, adm *kadm.Client, topic, group string, interval time.Duration) *OffsetWatcher {
	w := &OffsetWatcher{adm: adm, topic: topic, group: group, changed: make(chan struct{})}
	go func() {
		t := time.NewTicker(interval)
		defer t.Stop()
		first := true
		for {
			rctx, cancel := context.WithTimeout(ctx, max(interval, 5*time.Second))
			o, err := ReadOffsets(rctx, adm, topic, group)
			cancel()
			if ctx.Err() != nil {
				return
			}
			w.latest.Store(&watched{o: o, err: err})
			if first {
				close(w.changed)
				first = false
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return w
}

// Latest returns the last offsets read and the error of that read; ok is
// false until the first read is done.
func (w *OffsetWatcher) Latest() (o Offsets, err error, ok bool) {
	l := w.latest.Load()
	if l == nil {
		return Offsets{Topic: w.topic, Group: w.group}, nil, false
	}
	return l.o, l.err, true
}

// Ready is closed once the first read is done.
func (w *OffsetWatcher) Ready() <-chan struct{} { return w.changed }
