package emulate

import (
	"fmt"
	"log/slog"
	"syscall"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// storageReserve is the free space a produce request leaves for the
// segment index entries and files the broker writes beside its records.
const storageReserve = 1 << 20

// maxProduceRequest is the largest produce request the pipeline's producer
// sends (its batches are at most 1 MiB).
const maxProduceRequest = 1 << 20

// KafkaDiskFull reports whether the broker serving dir refuses records for
// want of space (see storageGuard), with the bytes free.
func KafkaDiskFull(dir string) (free int64, full bool) {
	var st syscall.Statfs_t
	if syscall.Statfs(dir, &st) != nil {
		return 0, false
	}
	free = int64(st.Bavail) * int64(st.Bsize)
	return free, free < storageReserve+maxProduceRequest
}

// storageGuard refuses, before kfake writes them, the produce requests that
// its data dir has no room for, with KAFKA_STORAGE_ERROR as Apache Kafka
// answers when a log dir fails: a retriable error, so producers retry until
// space is freed, where kfake's own failed write answers
// UNKNOWN_SERVER_ERROR, which they give up on at once. It says the disk is
// full through full, as do kfake's own failed writes (see storageLog).
//
// produce is a kfake control function: kfake runs it before each produce
// request, one at a time.
type storageGuard struct {
	c    *kfake.Cluster
	dir  string
	full *diskFullNotice
	last *kfake.FaultHandle // answered the previous request; removed at the next
}

func (g *storageGuard) produce(req kmsg.Request) (kmsg.Response, error, bool) {
	if g.last != nil {
		g.last.Remove()
		g.last = nil
	}
	r, ok := req.(*kmsg.ProduceRequest)
	if !ok {
		return nil, nil, false
	}
	need := int64(storageReserve)
	for _, t := range r.Topics {
		for _, p := range t.Partitions {
			need += int64(len(p.Records))
		}
	}
	var st syscall.Statfs_t
	if err := syscall.Statfs(g.dir, &st); err != nil {
		return nil, nil, false // kfake's write says what is wrong
	}
	free := int64(st.Bavail) * int64(st.Bsize)
	if free >= need {
		return nil, nil, false
	}
	g.full.wrote(g.dir, fmt.Errorf("%d bytes free, a produce request needs %d: %w", free, need, syscall.ENOSPC))
	g.last = g.c.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Produce}, Err: kerr.KafkaStorageError, Count: -1,
		When: func(x kmsg.Request) bool { return x == req }})
	return nil, nil, false
}

// storageLog is kfake's logger: of its lines it keeps only the writes that
// failed for want of space (a segment, the group log), said through full.
type storageLog struct {
	dir  string
	full *diskFullNotice
}

func (l storageLog) Logf(level kfake.LogLevel, _ string, args ...any) {
	if level > kfake.LogLevelWarn {
		return
	}
	for _, a := range args {
		if err, ok := a.(error); ok && isDiskFull(err) {
			l.full.wrote(l.dir, err)
		}
	}
}

// kafkaDiskFull is the notice of the broker in dir, logged to logger (nil
// discards it).
func kafkaDiskFull(logger *slog.Logger) *diskFullNotice {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &diskFullNotice{say: func(path string, err error) {
		logger.Error("no space left on device: the Kafka emulator cannot store records; producers are answered KAFKA_STORAGE_ERROR and retry until space is freed",
			"path", path, "err", err)
	}}
}
