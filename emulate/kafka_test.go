package emulate_test

import (
	"context"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/kversion"

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

// TestKafkaAutoCreatesTopics: a metadata request naming a topic that does
// not exist creates it, as Apache Kafka does by default: always for the
// versions without an AllowAutoTopicCreation field (kafka-python 2.0 sends
// version 1), when the client asks from version 4 on. With
// NoAutoCreateTopics (Amazon MSK's default) none is created.
func TestKafkaAutoCreatesTopics(t *testing.T) {
	old := kgo.MaxVersions(kversion.V0_10_1()) // metadata version 2
	for _, c := range []struct {
		name   string
		off    bool
		client []kgo.Opt
		ask    bool // AllowAutoTopicCreation, in versions that have it
		want   bool
	}{
		{"old metadata version", false, []kgo.Opt{old}, false, true},
		{"client asks", false, nil, true, true},
		{"client does not ask", false, nil, false, false},
		{"off, old metadata version", true, []kgo.Opt{old}, false, false},
		{"off, client asks", true, nil, true, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			k, err := emulate.StartKafka(t.TempDir(), &emulate.KafkaOptions{NoAutoCreateTopics: c.off, Partitions: 3})
			if err != nil {
				t.Fatal(err)
			}
			defer k.Close()
			cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(k.ListenAddrs()...)}, c.client...)...)
			if err != nil {
				t.Fatal(err)
			}
			defer cl.Close()
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			req := kmsg.NewPtrMetadataRequest()
			topic := kmsg.NewMetadataRequestTopic()
			topic.Topic = kmsg.StringPtr("fresh")
			req.Topics = append(req.Topics, topic)
			req.AllowAutoTopicCreation = c.ask
			if _, err := req.RequestWith(ctx, cl); err != nil {
				t.Fatal(err)
			}
			topics, err := kadm.NewClient(cl).ListTopics(ctx)
			if err != nil {
				t.Fatal(err)
			}
			got := topics.Has("fresh")
			if got != c.want {
				t.Fatalf("topic created: %v, want %v", got, c.want)
			}
			if got && len(topics["fresh"].Partitions) != 3 {
				t.Errorf("auto-created topic has %d partitions, want 3", len(topics["fresh"].Partitions))
			}
		})
	}
}
