package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// TestEmulateKeepsAutoCreatedTopicsOverKill9: records acknowledged on a
// topic the emulator created because a producer named it survive a kill -9
// of `pipeline emulate`, as those on a topic created with CreateTopics do:
// after the restart the topic exists, with one partition (Apache Kafka's
// default), and every record is read back.
func TestEmulateKeepsAutoCreatedTopicsOverKill9(t *testing.T) {
	const records = 200
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir := filepath.Join(t.TempDir(), "data")
	emu := startEmulator(t, dir)

	cl, err := kgo.NewClient(kgo.SeedBrokers(emu.ep.KafkaBrokers...), kgo.AllowAutoTopicCreation())
	if err != nil {
		t.Fatal(err)
	}
	for i := range records {
		r := &kgo.Record{Topic: "auto_dur", Value: fmt.Appendf(nil, "r%d", i)}
		if err := cl.ProduceSync(ctx, r).FirstErr(); err != nil {
			t.Fatalf("produce record %d to a topic that did not exist: %v", i, err)
		}
	}
	cl.Close()

	emu.signal(syscall.SIGKILL)
	emu.wait(10 * time.Second)
	emu = startEmulator(t, dir)

	topics, err := emu.adm.ListTopics(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !topics.Has("auto_dur") {
		t.Fatalf("after kill -9 and restart, topics %q lack the auto-created auto_dur", topics.Names())
	}
	if n := len(topics["auto_dur"].Partitions); n != 1 {
		t.Errorf("auto_dur has %d partitions, want 1", n)
	}
	cl, err = kgo.NewClient(kgo.SeedBrokers(emu.ep.KafkaBrokers...), kgo.ConsumeTopics("auto_dur"),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var got []string
	for len(got) < records {
		fs := cl.PollFetches(ctx)
		if err := fs.Err0(); err != nil {
			t.Fatalf("consume after the restart (%d of %d read): %v", len(got), records, err)
		}
		fs.EachRecord(func(r *kgo.Record) { got = append(got, string(r.Value)) })
	}
	for i, v := range got {
		if want := fmt.Sprintf("r%d", i); v != want {
			t.Fatalf("record %d is %q, want %q", i, v, want)
		}
	}
}

// TestProduceToANewTopic: `produce --topic NEW` against the emulator
// creates the topic, as Apache Kafka does for a producer that names it, and
// every event is in it; against a broker that does not create topics on
// demand (as MSK), it fails at once with one line that says to create it.
func TestProduceToANewTopic(t *testing.T) {
	const events = 50
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir := filepath.Join(t.TempDir(), "data")
	emu := startEmulator(t, dir)
	_, errOut, code := pipelineCmd(t, "produce", "--topic", "brandnew", "--events", strconv.Itoa(events), "--rate", "0", "--data-dir", dir)
	if code != 0 {
		t.Fatalf("produce to a new topic: exit %d: %s", code, errOut)
	}
	ends, err := emu.adm.ListEndOffsets(ctx, "brandnew")
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	ends.Each(func(o kadm.ListedOffset) { n += o.Offset })
	if n != events {
		t.Errorf("brandnew holds %d records, want %d", n, events)
	}
	emu.signal(syscall.SIGTERM)
	emu.wait(10 * time.Second)

	dir = filepath.Join(t.TempDir(), "data")
	emu = startEmulator(t, dir, "--kafka-auto-create=false")
	start := time.Now()
	_, errOut, code = pipelineCmd(t, "produce", "--topic", "absent", "--events", strconv.Itoa(events), "--rate", "0", "--data-dir", dir)
	oneClearLine(t, errOut, code, `kafka topic "absent" does not exist`)
	if took := time.Since(start); took > 20*time.Second {
		t.Errorf("produce to a topic the broker lacks took %s to say so", took)
	}
	if topics, err := emu.adm.ListTopics(ctx); err != nil || topics.Has("absent") {
		t.Errorf("with auto-creation off, topics are %v (err %v): absent was created", topics.Names(), err)
	}
}
