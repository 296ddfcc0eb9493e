package pipeline_test

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"pipeline/pipeline"
)

// TestSinkSaysItsTopicDoesNotExist: a sink of a topic that does not exist
// (a typo in --topic) says so once, naming the topic, and waits without
// creating it; a sink of a topic that exists says nothing of the kind.
func TestSinkSaysItsTopicDoesNotExist(t *testing.T) {
	ctx := testContext(t, 60*time.Second)
	_, kafka, s3c, _ := localStack(t)
	const missing = "no_such_topic"
	var log lockedBuffer
	startSink(t, kafka, s3c, pipeline.SinkOptions{Topic: missing, Group: groupFor(t), Logger: slog.New(slog.NewTextHandler(&log, nil))})
	const says = `does not exist yet: waiting for it`
	waitUntil(t, 30*time.Second, "the sink to say its topic does not exist", func() bool {
		return strings.Contains(log.String(), says)
	})
	if line := log.String(); strings.Count(line, says) != 1 || !strings.Contains(line, missing) {
		t.Errorf("want one line naming %s, got:\n%s", missing, line)
	}
	topics, err := newAdmin(t, kafka).ListTopics(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if topics.Has(missing) {
		t.Errorf("the sink created topic %s", missing)
	}

	// The topic the sink reads exists: no such line.
	var log2 lockedBuffer
	cl, err := kgo.NewClient(append(append([]kgo.Opt{}, kafka...), kgo.DefaultProduceTopic(pipeline.Topic))...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	r := cl.ProduceSync(ctx, &kgo.Record{Value: []byte(`{"a":1}`)})
	if err := r.FirstErr(); err != nil {
		t.Fatal(err)
	}
	rec := r[0].Record
	sink := startSink(t, kafka, s3c, pipeline.SinkOptions{Group: groupFor(t) + "-2", MaxAge: 50 * time.Millisecond, Logger: slog.New(slog.NewTextHandler(&log2, nil))})
	sink.waitCommitted(t, map[int32]int64{rec.Partition: rec.Offset + 1}, 30*time.Second)
	if strings.Contains(log2.String(), says) {
		t.Errorf("a sink of an existing topic says it does not exist:\n%s", log2.String())
	}
}
