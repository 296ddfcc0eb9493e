//go:build linux

package pipeline_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"golang.org/x/sys/unix"

	"pipeline/emulate"
	"pipeline/pipeline"
)

// TestProduceDiskFull fills a small tmpfs under the emulated broker: the
// events that do not fit are refused with KAFKA_STORAGE_ERROR, which is
// retriable, so the producer retries them until its delivery timeout (where
// UNKNOWN_SERVER_ERROR failed them at once), the
// emulator logs "no space left on device" with the path in one line however
// often they are retried, the records acknowledged before stay whole, and
// once space is freed the retried records are stored. It needs to mount a tmpfs (root, CAP_SYS_ADMIN) and says so when
// it cannot.
func TestProduceDiskFull(t *testing.T) {
	dir := t.TempDir()
	if err := unix.Mount("tmpfs", dir, "tmpfs", 0, "size=16m"); err != nil {
		t.Skipf("cannot mount a 16 MiB tmpfs to fill (needs root and CAP_SYS_ADMIN): %v", err)
	}
	t.Cleanup(func() { unix.Unmount(dir, unix.MNT_DETACH) })
	// Room to free later: a file the broker does not own.
	filler := filepath.Join(dir, "filler")
	if err := os.WriteFile(filler, bytes.Repeat([]byte("f"), 4<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	var logs lockedBuffer
	k, err := emulate.StartKafka(filepath.Join(dir, "kafka"), &emulate.KafkaOptions{Topics: []string{"t"}, Partitions: 1,
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	cl, err := kgo.NewClient(append(pipeline.ProducerClientOpts(), kgo.SeedBrokers(k.ListenAddrs()...),
		kgo.RecordDeliveryTimeout(3*time.Second), kgo.ProducerBatchCompression(kgo.NoCompression()))...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx := t.Context()
	value := bytes.Repeat([]byte("v"), 512<<10)
	var acked int
	var full error
	for range 40 {
		if err := cl.ProduceSync(ctx, &kgo.Record{Topic: "t", Value: value}).FirstErr(); err != nil {
			break
		}
		acked++
	}
	if acked == 40 {
		t.Fatal("20 MiB of records fit in a 16 MiB tmpfs")
	}
	// The pipeline's producer, retrying: refused again, its error says
	// why, and the log says it once.
	prod := pipeline.NewProducer(cl, "t")
	for i := range 3 {
		if err := prod.Emit(ctx, &pipeline.Event{Symbol: strings.Repeat("S", 300<<10), Seq: int64(i)}); err != nil {
			t.Fatal(err)
		}
	}
	full = prod.Flush(ctx)
	if !errors.Is(full, pipeline.ErrNotDelivered) || !errors.Is(full, kgo.ErrRecordTimeout) {
		t.Errorf("the events that did not fit: %v; want them retried until the delivery timeout", full)
	}
	if free, ok := emulate.KafkaDiskFull(dir); !ok {
		t.Errorf("KafkaDiskFull says the broker's full disk (%d bytes free) is not full", free)
	}
	if l := logs.String(); !strings.Contains(l, "no space left on device") || strings.Count(l, "\n") != 1 || !strings.Contains(l, dir) {
		t.Errorf("after refused records the log does not name the full disk and its path in one line:\n%s", l)
	}
	// Space freed while a record is being retried: it is stored.
	res := make(chan error, 1)
	cl2, err := kgo.NewClient(kgo.SeedBrokers(k.ListenAddrs()...), kgo.ProducerBatchCompression(kgo.NoCompression()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl2.Close()
	refused := k.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Produce}, Observe: true, Count: -1})
	go func() { res <- cl2.ProduceSync(ctx, &kgo.Record{Topic: "t", Value: value}).FirstErr() }()
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	err = refused.Wait(wctx, 2) // refused, and retried
	cancel()
	if err != nil {
		t.Fatalf("the refused record was not retried within 30 s: %v", err)
	}
	refused.Remove()
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	if err := <-res; err != nil {
		t.Fatalf("the record retried after space was freed: %v", err)
	}
	acked++
	// Every acknowledged record reads back whole.
	cons, err := kgo.NewClient(kgo.SeedBrokers(k.ListenAddrs()...), kgo.ConsumeTopics("t"),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cons.Close()
	var got int
	for got < acked {
		fs := cons.PollFetches(ctx)
		if err := fs.Err0(); err != nil {
			t.Fatalf("consume (%d of %d read): %v", got, acked, err)
		}
		fs.EachRecord(func(r *kgo.Record) {
			if !bytes.Equal(r.Value, value) {
				t.Errorf("record at offset %d is not whole (%d bytes)", r.Offset, len(r.Value))
			}
			got++
		})
	}
	if got != acked {
		t.Errorf("read %d records, want the %d acknowledged", got, acked)
	}
}
