package pipeline_test

import (
	"errors"
	"maps"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"pipeline/catalog"
	"pipeline/emulate"
	"pipeline/pipeline"
)

// stackDir is the data directory localStack started the stack in: the
// store's root is <dir>/s3.
func stackDir(t *testing.T, stack *emulate.Stack) string {
	t.Helper()
	bucketDir, err := stack.Store.PrefixDir(testBucket, "") // <dir>/s3/<bucket>
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Dir(filepath.Dir(bucketDir))
}

// answerProduce answers every partition of a produce request with the error
// code that code picks for it.
func answerProduce(req *kmsg.ProduceRequest, code func(partition int32) int16) *kmsg.ProduceResponse {
	resp := req.ResponseKind().(*kmsg.ProduceResponse)
	for _, rt := range req.Topics {
		st := kmsg.NewProduceResponseTopic()
		st.Topic, st.TopicID = rt.Topic, rt.TopicID
		for _, rp := range rt.Partitions {
			sp := kmsg.NewProduceResponseTopicPartition()
			sp.Partition = rp.Partition
			sp.ErrorCode = code(rp.Partition)
			st.Partitions = append(st.Partitions, sp)
		}
		resp.Topics = append(resp.Topics, st)
	}
	return resp
}

// TestProducerAndSinkSurviveBrokerFaults injects Kafka faults with kfake's
// controls: failed produce requests, failed fetches, failed offset commits,
// and a broker restart on the same data and port mid-stream. The producer
// must deliver everything (or report what it could not) and the sink must
// end exact.
func TestProducerAndSinkSurviveBrokerFaults(t *testing.T) {
	const n = 20_000

	// Every third produce request fails with a retriable error, as when a
	// leader moves or a broker is too slow; every fifth is written and
	// then answered REQUEST_TIMED_OUT. Every third fetch fails too, in
	// turn with NOT_LEADER_FOR_PARTITION and by dropping the connection.
	t.Run("produce and fetch errors", func(t *testing.T) {
		ctx := testContext(t, 60*time.Second)
		stack, kafka, s3c, cat := localStack(t)
		// A client waits MetadataMinAge (5s) before it asks where a
		// partition's leader went; keep the test short.
		kafka = append(kafka, kgo.MetadataMinAge(50*time.Millisecond))
		k := stack.Kafka
		var produces, produceFaults, fetches, fetchFaults, fetchDrops atomic.Int64
		k.ControlKey(int16(kmsg.Produce), func(kreq kmsg.Request) (kmsg.Response, error, bool) {
			k.KeepControl()
			i := produces.Add(1)
			if i%3 != 1 {
				return nil, nil, false
			}
			produceFaults.Add(1)
			code := kerr.NotLeaderForPartition.Code
			if i%2 == 0 {
				code = kerr.RequestTimedOut.Code
			}
			return answerProduce(kreq.(*kmsg.ProduceRequest), func(int32) int16 { return code }), nil, true
		})
		// The worst kind of timeout: the broker wrote the batch, then
		// answered REQUEST_TIMED_OUT, so the producer sends it again.
		// Idempotence must keep the second copy out of the log.
		var considered atomic.Int64
		applied := k.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Produce}, Topic: pipeline.Topic, Err: kerr.RequestTimedOut,
			Count: -1, When: func(kmsg.Request) bool { return considered.Add(1)%5 == 2 }})
		k.ControlKey(int16(kmsg.Fetch), func(kreq kmsg.Request) (kmsg.Response, error, bool) {
			k.KeepControl()
			i := fetches.Add(1)
			if i%3 != 1 {
				return nil, nil, false
			}
			req := kreq.(*kmsg.FetchRequest)
			resp := req.ResponseKind().(*kmsg.FetchResponse)
			for _, rt := range req.Topics {
				st := kmsg.NewFetchResponseTopic()
				st.Topic, st.TopicID = rt.Topic, rt.TopicID
				for _, rp := range rt.Partitions {
					sp := kmsg.NewFetchResponseTopicPartition()
					sp.Partition = rp.Partition
					sp.ErrorCode = kerr.NotLeaderForPartition.Code
					st.Partitions = append(st.Partitions, sp)
				}
				if len(st.Partitions) > 0 {
					resp.Topics = append(resp.Topics, st)
				}
			}
			if len(resp.Topics) == 0 || i%2 == 0 {
				fetchDrops.Add(1)
				return nil, errors.New("injected: connection dropped"), true
			}
			fetchFaults.Add(1)
			return resp, nil, true
		})

		sink := startSink(t, kafka, s3c, pipeline.SinkOptions{Group: groupFor(t), MaxRecords: 300, MaxAge: 100 * time.Millisecond})
		ticks := startTicks(t, ctx, kafka, streamOptions{Seed: 21, Events: n, Rate: 8_000})
		st := ticks.finish(t, 30*time.Second, n)
		sink.waitCommitted(t, st.EndOffsets, 30*time.Second)
		sink.stop(t)
		t.Logf("failed %d of %d produce requests (and %d after writing them), failed %d and dropped %d of %d fetches",
			produceFaults.Load(), produces.Load(), applied.Hits(), fetchFaults.Load(), fetchDrops.Load(), fetches.Load())
		if produceFaults.Load() == 0 || applied.Hits() == 0 || fetchFaults.Load() == 0 || fetchDrops.Load() == 0 {
			t.Error("a kind of fault was never injected")
		}
		eng, _ := queryStore(t, ctx, stack, s3c, cat)
		assertExactlyOnce(t, eng, ticks.emitted)
	})

	// The broker stops mid-stream and starts again on the same data
	// directory and port, while the producer and the sink keep running.
	t.Run("broker restart", func(t *testing.T) {
		ctx := testContext(t, 60*time.Second)
		stack, kafka, s3c, cat := localStack(t)
		sink := startSink(t, kafka, s3c, pipeline.SinkOptions{Group: groupFor(t), MaxRecords: 300, MaxAge: 100 * time.Millisecond})
		// The stream holds at half way until the broker is down, then
		// goes on into the dead broker, however fast the machine is.
		down := make(chan struct{})
		ticks := startTicks(t, ctx, kafka, streamOptions{Seed: 22, Events: n, Rate: 10_000, Gate: func(i int64) {
			if i == n/2 {
				select {
				case <-down:
				case <-ctx.Done():
				}
			}
		}})
		waitUntil(t, 20*time.Second, "a third of the ticks stored", func() bool { return sink.Stats().Records >= n/3 })

		addr := stack.Kafka.ListenAddrs()[0]
		stack.Kafka.Close()
		close(down)
		k, err := emulate.StartKafka(filepath.Join(stackDir(t, stack), "kafka"),
			&emulate.KafkaOptions{Addr: addr, Topics: []string{pipeline.Topic}})
		if err != nil {
			t.Fatalf("restart the broker on %s: %v", addr, err)
		}
		stack.Kafka = k // the stack's cleanup closes this one

		st := ticks.finish(t, 30*time.Second, n)
		sink.waitCommitted(t, st.EndOffsets, 30*time.Second)
		sink.stop(t)
		eng, _ := queryStore(t, ctx, stack, s3c, cat)
		assertExactlyOnce(t, eng, ticks.emitted)
	})

	// failCommits fails the group's offset commits with REQUEST_TIMED_OUT
	// (which kgo hands back to the committer) while on is true, and
	// returns the offsets of the last commit it failed.
	failCommits := func(k *emulate.Kafka, group string, on *atomic.Bool, count *atomic.Int64) func() map[int32]int64 {
		var mu sync.Mutex
		var last map[int32]int64
		k.ControlKey(int16(kmsg.OffsetCommit), func(kreq kmsg.Request) (kmsg.Response, error, bool) {
			k.KeepControl()
			req := kreq.(*kmsg.OffsetCommitRequest)
			if !on.Load() || req.Group != group {
				return nil, nil, false
			}
			count.Add(1)
			offsets := map[int32]int64{}
			resp := req.ResponseKind().(*kmsg.OffsetCommitResponse)
			for _, rt := range req.Topics {
				st := kmsg.NewOffsetCommitResponseTopic()
				st.Topic, st.TopicID = rt.Topic, rt.TopicID
				for _, rp := range rt.Partitions {
					offsets[rp.Partition] = rp.Offset
					sp := kmsg.NewOffsetCommitResponseTopicPartition()
					sp.Partition = rp.Partition
					sp.ErrorCode = kerr.RequestTimedOut.Code
					st.Partitions = append(st.Partitions, sp)
				}
				resp.Topics = append(resp.Topics, st)
			}
			mu.Lock()
			last = offsets
			mu.Unlock()
			return resp, nil, true
		})
		return func() map[int32]int64 {
			mu.Lock()
			defer mu.Unlock()
			return last
		}
	}

	// Commits fail while the sink stores everything, until a commit of
	// every record has failed: from then on no upload is left to commit,
	// and once the broker takes commits again only the sink's retry of the
	// failed commit can, with no new record to trigger another flush.
	t.Run("a failed commit is retried", func(t *testing.T) {
		ctx := testContext(t, 60*time.Second)
		stack, kafka, s3c, cat := localStack(t)
		group := groupFor(t)
		var on atomic.Bool
		var failed atomic.Int64
		on.Store(true)
		lastFailed := failCommits(stack.Kafka, group, &on, &failed)
		sink := startSink(t, kafka, s3c, pipeline.SinkOptions{Group: group, MaxRecords: 300, MaxAge: 100 * time.Millisecond})
		ticks := startTicks(t, ctx, kafka, streamOptions{Seed: 23, Events: n})
		st := ticks.finish(t, 30*time.Second, n)
		waitUntil(t, 20*time.Second, "a commit of every record to fail", func() bool { return maps.Equal(lastFailed(), st.EndOffsets) })
		on.Store(false)
		sink.waitCommitted(t, st.EndOffsets, 10*time.Second)
		sink.stop(t)
		eng, _ := queryStore(t, ctx, stack, s3c, cat)
		assertExactlyOnce(t, eng, ticks.emitted)
	})

	// A sink stores everything but none of its commits succeed; it stops,
	// and a new sink of the same group, which would cut objects elsewhere,
	// replays from the last commit. It must adopt the first sink's claims
	// rather than store their records twice, and delete nothing: every
	// object the first sink stored is still there, unchanged. In both
	// formats.
	for _, format := range []string{catalog.FormatJSON, catalog.FormatParquet} {
		t.Run("a new sink replaces one whose commits failed/"+format, func(t *testing.T) {
			ctx := testContext(t, 60*time.Second)
			stack, kafka, s3c, cat := localStack(t)
			group := groupFor(t)
			adm := newAdmin(t, kafka)
			var on atomic.Bool
			var failed atomic.Int64
			on.Store(true)
			failCommits(stack.Kafka, group, &on, &failed)
			first := startSink(t, kafka, s3c, pipeline.SinkOptions{Group: group, Format: format, MaxRecords: 300, MaxAge: 100 * time.Millisecond})
			ticks := startTicks(t, ctx, kafka, streamOptions{Seed: 24, Events: n})
			st := ticks.finish(t, 30*time.Second, n)
			waitUntil(t, 20*time.Second, "the first sink to store every record", func() bool { return first.Stats().Records >= n })
			first.stop(t)
			if c := committedOffsets(t, ctx, adm, group); len(c) != 0 || failed.Load() == 0 {
				t.Fatalf("%d commits failed, committed %v: want every commit failed", failed.Load(), c)
			}
			on.Store(false)
			stored := etags(t, ctx, s3c, "")

			second := startSink(t, kafka, s3c, pipeline.SinkOptions{Group: group, Format: format, MaxRecords: 700, MaxAge: 100 * time.Millisecond})
			second.waitCommitted(t, st.EndOffsets, 30*time.Second)
			second.stop(t)
			claims := first.Stats().Claims + first.Stats().Adopted
			if st := second.Stats(); st.Adopted != claims || st.Records != 0 || st.Objects != 0 {
				t.Errorf("the second sink adopted %d claims and stored %d records in %d objects: want the first sink's %d claims adopted, nothing stored again",
					st.Adopted, st.Records, st.Objects, claims)
			}
			after := etags(t, ctx, s3c, "")
			for k, e := range stored {
				if after[k] != e {
					t.Errorf("%s: ETag %q after the second sink, %q before: want every stored object kept as it was", k, after[k], e)
				}
			}
			eng, _ := queryStore(t, ctx, stack, s3c, cat)
			assertExactlyOnce(t, eng, ticks.emitted)
		})
	}

	// Every batch for one partition is rejected for good (INVALID_RECORD);
	// the other partitions of the same requests are answered
	// NOT_LEADER_FOR_PARTITION, so they are retried and delivered. The
	// producer must report each lost event, and the sink store exactly the
	// delivered ones.
	t.Run("undeliverable events are reported", func(t *testing.T) {
		ctx := testContext(t, 60*time.Second)
		stack, kafka, s3c, cat := localStack(t)
		k := stack.Kafka
		partitioner := kgo.StickyKeyPartitioner(nil).ForTopic(pipeline.Topic)
		partitionOf := func(sym string) int32 {
			return int32(partitioner.Partition(&kgo.Record{Key: []byte(sym)}, emulate.DefaultPartitions))
		}
		bad := partitionOf("AAPL")
		var rejected atomic.Int64
		k.ControlKey(int16(kmsg.Produce), func(kreq kmsg.Request) (kmsg.Response, error, bool) {
			k.KeepControl()
			req := kreq.(*kmsg.ProduceRequest)
			hit := false
			for _, rt := range req.Topics {
				for _, rp := range rt.Partitions {
					hit = hit || rp.Partition == bad
				}
			}
			if !hit {
				return nil, nil, false
			}
			rejected.Add(1)
			return answerProduce(req, func(p int32) int16 {
				if p == bad {
					return kerr.InvalidRecord.Code
				}
				return kerr.NotLeaderForPartition.Code
			}), nil, true
		})
		sink := startSink(t, kafka, s3c, pipeline.SinkOptions{Group: groupFor(t), MaxRecords: 300, MaxAge: 100 * time.Millisecond})
		ticks := startTicks(t, ctx, kafka, streamOptions{Seed: 25, Events: n, Rate: 20_000})
		waitClosed(t, ticks.done, 30*time.Second, "the producer to finish")

		want := map[string]int64{}
		var lost int64
		for sym, c := range ticks.emitted {
			if partitionOf(sym) == bad {
				lost += c
			} else {
				want[sym] = c
			}
		}
		st := ticks.prod.Stats()
		if !errors.Is(ticks.err, pipeline.ErrNotDelivered) || !errors.Is(ticks.err, kerr.InvalidRecord) {
			t.Errorf("Flush returned %v, want an error wrapping ErrNotDelivered and INVALID_RECORD", ticks.err)
		}
		if lost == 0 || st.Failed != lost || st.Produced != n-lost {
			t.Errorf("producer: %d acknowledged, %d failed; want %d and %d (every event of partition %d)",
				st.Produced, st.Failed, n-lost, lost, bad)
		}
		if _, ok := st.EndOffsets[bad]; ok {
			t.Errorf("EndOffsets has partition %d, which took nothing", bad)
		}
		sink.waitCommitted(t, st.EndOffsets, 30*time.Second)
		sink.stop(t)
		t.Logf("rejected %d produce requests; %d events lost, all reported", rejected.Load(), lost)
		eng, _ := queryStore(t, ctx, stack, s3c, cat)
		assertExactlyOnce(t, eng, want)
	})
}
