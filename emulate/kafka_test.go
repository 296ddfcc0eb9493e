package emulate_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
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
// version 1), when the client asks from version 4 on; with one partition,
// Apache Kafka's default num.partitions, whatever the count of the
// emulator's own topics. With NoAutoCreateTopics (Amazon MSK's default)
// none is created.
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
			if got && len(topics["fresh"].Partitions) != emulate.AutoCreatePartitions {
				t.Errorf("auto-created topic has %d partitions, want %d", len(topics["fresh"].Partitions), emulate.AutoCreatePartitions)
			}
		})
	}
}

// TestKafkaTopicNames: a name Apache Kafka refuses (empty, "." or "..",
// over 249 characters, a character other than [a-zA-Z0-9._-]) gets
// INVALID_TOPIC_EXCEPTION from CreateTopics and from a metadata request
// that would auto-create it, and no topic; the longest legal name works;
// and the broker restarts on the same directory.
func TestKafkaTopicNames(t *testing.T) {
	dir := t.TempDir()
	k, err := emulate.StartKafka(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(k.ListenAddrs()...))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	adm := kadm.NewClient(cl)
	longest := strings.Repeat("a", 249)
	bad := []string{"", ".", "..", strings.Repeat("u", 250), strings.Repeat("u", 260), "bad/name", "../../../kesc", "sp ace", "ünï"}
	for _, name := range bad {
		res, err := adm.CreateTopic(ctx, 1, -1, nil, name)
		if err == nil {
			err = res.Err
		}
		if !errors.Is(err, kerr.InvalidTopicException) {
			t.Errorf("CreateTopics %.30q: %v, want INVALID_TOPIC_EXCEPTION", name, err)
		}
		if name == "" {
			continue
		}
		req := kmsg.NewPtrMetadataRequest()
		rt := kmsg.NewMetadataRequestTopic()
		rt.Topic = kmsg.StringPtr(name)
		req.Topics = append(req.Topics, rt)
		req.AllowAutoTopicCreation = true
		resp, err := req.RequestWith(ctx, cl)
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.Topics) != 1 || resp.Topics[0].ErrorCode != kerr.InvalidTopicException.Code {
			t.Errorf("metadata for %.30q: %+v, want INVALID_TOPIC_EXCEPTION", name, resp.Topics)
		}
	}
	for _, name := range []string{longest, "a.b_c-D9"} {
		if res, err := adm.CreateTopic(ctx, 2, -1, nil, name); err != nil || res.Err != nil {
			t.Errorf("CreateTopics %.30q: %v %v", name, err, res.Err)
		}
	}
	topics, err := adm.ListTopics(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := topics.Names(); len(got) != 2 {
		t.Errorf("topics %q, want only the two legal ones", got)
	}
	cl.Close()
	k.Close()
	k, err = emulate.StartKafka(dir, nil)
	if err != nil {
		t.Fatalf("restart: %v", err)
	}
	k.Close()
}

// TestKafkaStartsOverTopicsItCannotServe: a topic list with names Kafka
// refuses (left by an emulator that did not check them, one too long for a
// file name) does not stop the broker: those topics are not served, each
// with a line that says so, their entries are kept aside; and a topic
// whose partitions are on disk but missing from the list (auto-created,
// then lost by a kill -9) is served again with its records.
func TestKafkaStartsOverTopicsItCannotServe(t *testing.T) {
	dir := t.TempDir()
	k, err := emulate.StartKafka(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(k.ListenAddrs()...))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if err := k.CreateTopic("orphan", 2, nil); err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		r := &kgo.Record{Topic: "orphan", Partition: int32(i % 2), Value: []byte(strconv.Itoa(i))}
		if err := cl.ProduceSync(ctx, r).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	cl.Close()
	k.Close()

	// The list as older emulators could leave it: "orphan" missing, and
	// names Kafka refuses.
	path := filepath.Join(dir, "topics.json")
	var list struct {
		Version int              `json:"version"`
		Topics  []map[string]any `json:"topics"`
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &list); err != nil {
		t.Fatal(err)
	}
	list.Topics = slices.DeleteFunc(list.Topics, func(m map[string]any) bool { return m["name"] == "orphan" })
	long := strings.Repeat("u", 300)
	for i, name := range []string{long, "bad/name"} {
		list.Topics = append(list.Topics, map[string]any{"name": name, "id": base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{byte(i + 1)}, 16)),
			"partitions": 1, "replicas": 1})
	}
	if b, err = json.Marshal(list); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}

	var warnings []string
	k, err = emulate.StartKafka(dir, &emulate.KafkaOptions{Warn: func(m string) { warnings = append(warnings, m) }})
	if err != nil {
		t.Fatalf("start over the damaged list: %v", err)
	}
	defer func() { k.Close() }()
	joined := strings.Join(warnings, "\n")
	for _, want := range []string{`not serving topic "uuuu`, `not serving topic "bad/name"`, `serving topic "orphan" again, with the 2 partitions`} {
		if !strings.Contains(joined, want) {
			t.Errorf("warnings %q lack %q", warnings, want)
		}
	}
	if len(warnings) != 3 {
		t.Errorf("%d warnings, want 3: %q", len(warnings), warnings)
	}
	refused, err := os.ReadFile(filepath.Join(dir, "refused-topics.json"))
	if err != nil || !strings.Contains(string(refused), long) || !strings.Contains(string(refused), "bad/name") {
		t.Errorf("refused-topics.json: %v %.200s", err, refused)
	}
	cl, err = kgo.NewClient(kgo.SeedBrokers(k.ListenAddrs()...), kgo.ConsumeTopics("orphan"),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	got := map[string]bool{}
	for len(got) < 10 {
		fs := cl.PollFetches(ctx)
		if err := fs.Err0(); err != nil {
			t.Fatalf("consume orphan after the restart (%d of 10 read): %v", len(got), err)
		}
		fs.EachRecord(func(r *kgo.Record) { got[string(r.Value)] = true })
	}
	topics, err := kadm.NewClient(cl).ListTopics(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if names := topics.Names(); slices.Contains(names, "bad/name") || len(topics["orphan"].Partitions) != 2 {
		t.Errorf("topics after the restart: %q, orphan with %d partitions", names, len(topics["orphan"].Partitions))
	}
	// Once repaired, a restart has nothing to say.
	k.Close()
	warnings = nil
	k, err = emulate.StartKafka(dir, &emulate.KafkaOptions{Warn: func(m string) { warnings = append(warnings, m) }})
	if err != nil {
		t.Fatal(err)
	}
	if len(warnings) != 0 {
		t.Errorf("second restart warned %q", warnings)
	}
}
