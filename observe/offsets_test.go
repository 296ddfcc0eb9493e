package observe

import (
	"context"
	"errors"
	"testing"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// newCluster starts a one-broker kfake cluster with a topic of three
// partitions, and returns a client of it.
func newCluster(t *testing.T, topic string) *kgo.Client {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(3, topic))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.DefaultProduceTopic(topic),
		kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

// produceTo writes n records to each of the given partitions.
func produceTo(t *testing.T, cl *kgo.Client, n map[int32]int) {
	t.Helper()
	var recs []*kgo.Record
	for p, k := range n {
		for range k {
			recs = append(recs, &kgo.Record{Partition: p, Value: []byte(`{}`)})
		}
	}
	if err := cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
}

func TestReadOffsets(t *testing.T) {
	ctx := context.Background()
	cl := newCluster(t, "ticks")
	adm := kadm.NewClient(cl)
	produceTo(t, cl, map[int32]int{0: 10, 1: 5})

	// No group commit yet: all of it is lag.
	o, err := ReadOffsets(ctx, adm, "ticks", "sinks")
	if err != nil {
		t.Fatal(err)
	}
	want := []PartitionOffsets{
		{Partition: 0, End: 10, Committed: -1, Lag: 10},
		{Partition: 1, End: 5, Committed: -1, Lag: 5},
		{Partition: 2, End: 0, Committed: -1, Lag: 0},
	}
	if len(o.Partitions) != 3 {
		t.Fatalf("partitions %+v, want 3", o.Partitions)
	}
	for i, w := range want {
		if o.Partitions[i] != w {
			t.Errorf("partition %d: %+v, want %+v", i, o.Partitions[i], w)
		}
	}

	// The group commits 7 of partition 0 and all of partition 1.
	offs := kadm.Offsets{}
	offs.Add(kadm.Offset{Topic: "ticks", Partition: 0, At: 7, LeaderEpoch: -1})
	offs.Add(kadm.Offset{Topic: "ticks", Partition: 1, At: 5, LeaderEpoch: -1})
	if err := adm.CommitAllOffsets(ctx, "sinks", offs); err != nil {
		t.Fatal(err)
	}
	o, err = ReadOffsets(ctx, adm, "ticks", "sinks")
	if err != nil {
		t.Fatal(err)
	}
	if got := [3]int64{o.Partitions[0].Committed, o.Partitions[0].Lag, o.Partitions[1].Lag}; got != [3]int64{7, 3, 0} {
		t.Errorf("committed, lag of 0, lag of 1 = %v, want [7 3 0]", got)
	}
	if o.Lag() != 3 || o.Records() != 15 || o.Committed() != 12 || o.Ends() != 15 {
		t.Errorf("lag %d records %d committed %d ends %d, want 3 15 12 15", o.Lag(), o.Records(), o.Committed(), o.Ends())
	}

	if _, err := ReadOffsets(ctx, adm, "no_such_topic", "sinks"); !errors.Is(err, ErrNoTopic) {
		t.Errorf("a missing topic: %v, want ErrNoTopic", err)
	}
}
