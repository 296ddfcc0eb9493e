package pipeline_test

import (
	"slices"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"pipeline/pipeline"
)

// TestSinkRebalance runs sinks of one group while the stream flows: two
// start, a third joins, one leaves (its Run flushes and commits), the rest
// finish. Partitions move at each step; every event must be queryable
// exactly once. The sinks cut objects by age alone, after a second (the
// default MaxAge): each partition holds about a second of records when it
// moves, so
// a sink that gives up revoked partitions without storing and committing
// what it holds loses or doubles records. And since every revoke is
// flushed and committed, no record is stored twice and no sink has to take
// over another's claim: the sinks' records add up to the events produced.
func TestSinkRebalance(t *testing.T) {
	const n = 60_000
	ctx := testContext(t, 60*time.Second)
	stack, kafka, s3c, cat := localStack(t)
	group := groupFor(t)
	adm := newAdmin(t, kafka)

	// Members hear of a rebalance in a heartbeat response; beat often, so
	// that each rebalance takes a fraction of a second rather than seconds.
	sinkKafka := append(slices.Clone(kafka), kgo.HeartbeatInterval(200*time.Millisecond))
	opts := pipeline.SinkOptions{Group: group, MaxRecords: n, MaxAge: time.Second}
	leaving := startSink(t, sinkKafka, s3c, opts)
	staying := startSink(t, sinkKafka, s3c, opts)

	// The stream holds at two thirds until the leaving sink is told to go,
	// so that it goes mid-stream however fast or slow the machine is.
	left := make(chan struct{})
	ticks := startTicks(t, ctx, kafka, streamOptions{Seed: 31, Events: n, Rate: 10_000, Gate: func(i int64) {
		if i == 2*n/3 {
			select {
			case <-left:
			case <-ctx.Done():
			}
		}
	}})

	waitUntil(t, 20*time.Second, "a quarter of the ticks stored", func() bool {
		return leaving.Stats().Records+staying.Stats().Records >= n/4
	})
	joining := startSink(t, sinkKafka, s3c, opts)
	waitUntil(t, 20*time.Second, "the joining sink to take partitions and store", func() bool {
		return joining.Stats().Records > 0
	})

	leaving.cancel()
	close(left)
	leaving.stop(t)
	if ticks.prod.Stats().Produced >= n {
		t.Fatal("the stream ended before the sink left")
	}

	st := ticks.finish(t, 30*time.Second, n)
	waitGroupCommitted(t, ctx, adm, group, st.EndOffsets, 30*time.Second)
	staying.stop(t)
	joining.stop(t)

	var stored, adopted int64
	for name, s := range map[string]*sinkRun{"leaving": leaving, "staying": staying, "joining": joining} {
		st := s.Stats()
		t.Logf("%s sink: %+v", name, st)
		if st.Records == 0 {
			t.Errorf("the %s sink stored nothing: its partitions never moved to it", name)
		}
		stored += st.Records
		adopted += st.Adopted
	}
	if stored != n || adopted != 0 {
		t.Errorf("the sinks stored %d records and adopted %d claims of another; want exactly the %d produced and none: "+
			"a revoked partition's records were left for the next owner", stored, adopted, n)
	}
	eng, _ := queryStore(t, ctx, stack, s3c, cat)
	assertExactlyOnce(t, eng, ticks.emitted)
}
