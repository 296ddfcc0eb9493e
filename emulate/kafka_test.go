package emulate_test

import (
	"context"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"pipeline/emulate"
)

// TestKafkaRestartCreatesNewTopics checks that a restart on the same log
// keeps the earlier topics and creates the ones asked for now, so a producer
// to a new topic is not refused as unknown.
func TestKafkaRestartCreatesNewTopics(t *testing.T) {
	dir := t.TempDir()
	k, err := emulate.StartKafka(dir, &emulate.KafkaOptions{Topics: []string{"first"}})
	if err != nil {
		t.Fatal(err)
	}
	k.Close()
	k, err = emulate.StartKafka(dir, &emulate.KafkaOptions{Topics: []string{"second"}})
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	cl, err := kgo.NewClient(kgo.SeedBrokers(k.ListenAddrs()...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, topic := range []string{"first", "second"} {
		if err := cl.ProduceSync(ctx, &kgo.Record{Topic: topic, Value: []byte("x")}).FirstErr(); err != nil {
			t.Errorf("produce to %q after the restart: %v", topic, err)
		}
	}
}
