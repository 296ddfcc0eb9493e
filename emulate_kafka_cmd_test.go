package main

import (
	"context"
	"fmt"
	"path/filepath"
	"syscall"
	"testing"
	"time"

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
