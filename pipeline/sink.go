package pipeline

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/s3/transfermanager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Sink reads a topic as a consumer group and stores its records, any JSON
// objects, in S3 under Hive partitions by the date of their time (their Kafka
// timestamp, or a field of theirs), as JSON lines or Parquet (one file per
// object), keeping the table's column types as a contract (sink_schema.go);
// a record the table cannot hold is a dead letter:
//
//	<prefix><topic>/dt=YYYY-MM-DD/<topic>+<partition>+<firstOffset>.json (or .parquet)
//	<prefix>_errors/<topic>/<topic>+<partition>+<firstOffset>.json
//
// # Exactly once, as a query sees it
//
// Offsets are committed only after the objects holding the records are
// stored. Object names are deterministic in the first offset they hold, so a
// replay rewrites the same key. Because cuts depend on time, a replay after a
// crash may cut at other offsets; so before a partition's first object after
// (re)assignment, the sink deletes that partition's objects that start at or
// after the offset it resumes from: they were stored but never committed, and
// the replay rewrites their records. The topic's prefix therefore belongs to
// one sink group.
//
// # Where things are
//
// This file has the poll loop and the rebalance callbacks; sink_batch.go
// how records are placed in batches and cut; sink_upload.go how a batch is
// stored (seal, put, retries, leftover cleanup); sink_commit.go which
// offsets are committed, and when; sink_schema.go what a record must be to
// fit the table; sink_table.go the sink's table in the catalog;
// sink_options.go the options.
//
// Run, FlushAt, Stats, Committed and WaitCommitted may be called from any
// goroutine; Run once.
type Sink struct {
	cl      *kgo.Client
	s3      *s3.Client
	up      *transfermanager.Client // PUT, or multipart for large objects
	opts    SinkOptions
	table   *sinkTable
	commits *commitTracker
	pqSizes parquetSizes

	// mu guards parts, heldBytes and ends: the poll loop holds it while it
	// places a poll's records, the rebalance callbacks while they run.
	mu        sync.Mutex
	parts     map[int32]*partBatch // the open batch of each partition
	heldBytes int                  // bytes of the open batches
	ends      map[int32]int64      // FlushAt's end offsets, if any

	pollMu     sync.Mutex
	pollCancel context.CancelFunc // guarded by pollMu: ends the poll in progress

	// The poll loop's own decoding buffers: decodeAll's results, and each
	// decoding goroutine's.
	decBuf   []decoded
	decoders []*decodeWorker
	adm      admission // admit's memory

	// upCtx is the uploads' context, set by Run before the first seal:
	// uploads outlive Run's ctx, as a stop drains them.
	upCtx   context.Context
	upSlots chan struct{} // one token per upload running (MaxInFlight)

	statsMu sync.Mutex
	stats   SinkStats // guarded by statsMu
}

// SinkStats counts what a sink has stored.
type SinkStats struct {
	Records     int64 // records stored in table objects
	DeadLetters int64 // records stored under the dead-letter prefix
	Objects     int64 // objects written (table and dead-letter)
	Bytes       int64 // bytes written
	Cleaned     int64 // uncommitted leftovers deleted after a restart
}

// clientOpts are the kgo options a sink consumer needs, added to the
// caller's connection options by NewSink.
func (s *Sink) clientOpts() []kgo.Opt {
	opts := []kgo.Opt{
		kgo.ConsumerGroup(s.opts.Group),
		kgo.ConsumeTopics(s.opts.Topic),
		kgo.DisableAutoCommit(),
		kgo.BlockRebalanceOnPoll(),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.SessionTimeout(6 * time.Second),
		kgo.FetchMaxBytes(32 << 20),
		kgo.OnPartitionsRevoked(s.onRevoked),
		kgo.OnPartitionsLost(s.onLost),
	}
	if obs := s.opts.Observer; obs != nil {
		opts = append(opts, kgo.OnPartitionsAssigned(func(_ context.Context, _ *kgo.Client, assigned map[string][]int32) {
			obs.PartitionsAssigned(assigned[s.opts.Topic])
		}))
	}
	return opts
}

// NewSink builds a sink. connOpts are the connection options of the Kafka
// cluster (seeds, TLS, SASL); the sink adds its consumer-group options.
// A sink that is built but never Run must be Closed.
func NewSink(connOpts []kgo.Opt, s3c *s3.Client, opts *SinkOptions) (*Sink, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	s := &Sink{s3: s3c, opts: o, table: newSinkTable(&o), parts: map[int32]*partBatch{},
		upSlots: make(chan struct{}, o.MaxInFlight)}
	s.up = transfermanager.New(s3c, func(to *transfermanager.Options) {
		to.MultipartUploadThreshold = int64(o.MultipartThreshold)
		to.PartSizeBytes = int64(o.MultipartPartSize)
	})
	cl, err := kgo.NewClient(append(append([]kgo.Opt{}, connOpts...), s.clientOpts()...)...)
	if err != nil {
		return nil, fmt.Errorf("sink: kafka client: %w", err)
	}
	s.cl = cl
	// Uploads are bounded by half of MaxBuffered (the open batches by the
	// other half); a few stored batches are kept for the next ones, if not
	// larger than the next batches are likely to need.
	commit := cl.CommitRecords
	if obs := o.Observer; obs != nil {
		commit = func(ctx context.Context, rs ...*kgo.Record) error {
			start := time.Now()
			err := cl.CommitRecords(ctx, rs...)
			if err == nil {
				obs.Committed(rs, time.Since(start))
			}
			return err
		}
	}
	s.commits = newCommitTracker(commit, o.Logger, o.MaxBuffered/2, o.MaxInFlight+2, o.MaxBuffered/16)
	return s, nil
}

// Options returns the options the sink runs with: the defaults filled in and
// the prefix cleaned.
func (s *Sink) Options() SinkOptions { return s.opts }

// Check refuses to start a sink whose objects the catalog's table of the
// topic would not read (another folder or format). Run checks too; a caller
// checks first to refuse before anything else starts.
func (s *Sink) Check(ctx context.Context) error { return s.table.check(ctx) }

// Close releases a sink that will not Run; Run releases its own when it
// returns.
func (s *Sink) Close() { s.cl.Close() }

// Run consumes until ctx ends, then stores what it holds, commits, leaves the
// group and returns nil. It returns early only if storing fails in a way
// retries cannot fix; what was not stored is then not committed.
//
// Storing is pipelined: a full or due batch is sealed and uploaded in the
// background (up to MaxInFlight at once) while the next records are read,
// and its offsets are committed once it and every earlier batch of its
// partition are stored.
func (s *Sink) Run(ctx context.Context) error {
	defer s.cl.Close()
	if err := s.Check(ctx); err != nil {
		return err
	}
	upCtx, stopUploads := context.WithCancel(context.WithoutCancel(ctx))
	s.upCtx = upCtx
	defer s.drainUploads()
	defer stopUploads()
	for {
		pollCtx, cancel := context.WithTimeout(ctx, s.untilNextCut())
		s.pollMu.Lock()
		s.pollCancel = cancel
		s.pollMu.Unlock()
		fetches := s.cl.PollRecords(pollCtx, 50_000)
		cancel()
		if ctx.Err() != nil {
			break
		}
		if fetches.IsClientClosed() {
			return errors.New("sink: kafka client closed")
		}
		fetches.EachError(func(t string, p int32, ferr error) {
			if !errors.Is(ferr, context.DeadlineExceeded) && !errors.Is(ferr, context.Canceled) {
				s.opts.Logger.Warn("fetch error", "topic", t, "partition", p, "err", ferr)
			}
		})
		err := s.commits.uploadErr()
		recs := fetches.Records()
		decs := s.decodeAll(recs, s.table.schema(ctx))
		s.mu.Lock()
		for i, r := range recs {
			if err != nil {
				break
			}
			err = s.add(ctx, r, &decs[i])
		}
		if err == nil {
			err = s.sealLocked(ctx, s.due(time.Now()))
		}
		if err == nil && s.ends != nil {
			err = s.sealLocked(ctx, s.atEnd())
		}
		s.mu.Unlock()
		if err == nil {
			s.commits.tryRetry(ctx)
		}
		s.cl.AllowRebalance()
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			return err
		}
	}
	// Shutting down: store and commit what we hold, with a fresh deadline.
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	s.mu.Lock()
	err := s.sealLocked(fctx, s.held())
	s.mu.Unlock()
	if err == nil {
		err = s.commits.waitStored(fctx, nil)
	}
	if err == nil {
		s.commits.retry(fctx)
	}
	// The last poll still holds the rebalance gate; leaving needs it.
	s.cl.AllowRebalance()
	if err != nil {
		return fmt.Errorf("sink: final flush: %w", err)
	}
	s.cl.LeaveGroupContext(fctx)
	return nil
}

// FlushAt tells the sink where a bounded stream ends (the offset after each
// partition's last record): a batch that holds its partition's last record
// is stored at once instead of when it is due by age, so a bounded run does
// not wait MaxAge for its tail.
func (s *Sink) FlushAt(ends map[int32]int64) {
	s.mu.Lock()
	s.ends = maps.Clone(ends)
	s.mu.Unlock()
	s.pollMu.Lock()
	if s.pollCancel != nil {
		s.pollCancel() // the batches may already hold the ends
	}
	s.pollMu.Unlock()
}

// onRevoked stores and commits what is held for partitions moving to another
// member, so the next owner resumes exactly where this one stopped.
func (s *Sink) onRevoked(ctx context.Context, _ *kgo.Client, revoked map[string][]int32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ps := revoked[s.opts.Topic]
	if obs := s.opts.Observer; obs != nil {
		defer obs.PartitionsRevoked(ps)
	}
	err := s.sealLocked(ctx, ps)
	if err == nil {
		err = s.commits.waitStored(ctx, ps)
	}
	if err != nil {
		s.opts.Logger.Warn("flush on revoke failed; the next owner replays", "err", err)
	} else {
		s.commits.retry(ctx) // a commit that failed before
	}
	s.commits.forget(ps) // what still failed: the next owner replays it
	for _, p := range ps {
		s.dropLocked(p)
	}
}

// onLost drops what is held: another member owns the partitions now and
// replays from the last commit. Uploads of theirs still running finish, but
// commit nothing.
func (s *Sink) onLost(ctx context.Context, _ *kgo.Client, lost map[string][]int32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ps := lost[s.opts.Topic]
	if obs := s.opts.Observer; obs != nil {
		defer obs.PartitionsRevoked(ps)
	}
	if err := s.commits.abandon(ctx, ps); err != nil {
		s.opts.Logger.Warn("uploads of lost partitions did not finish", "err", err)
	}
	for _, p := range ps {
		s.dropLocked(p)
	}
}

// Stats returns what the sink has stored so far.
func (s *Sink) Stats() SinkStats {
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	return s.stats
}

// Committed returns, per partition, the offset after the last record this
// sink has stored and committed.
func (s *Sink) Committed() map[int32]int64 { return s.commits.offsets() }

// WaitCommitted blocks until this sink has committed at least the given
// offset of every given partition, or ctx ends.
func (s *Sink) WaitCommitted(ctx context.Context, ends map[int32]int64) error {
	return s.commits.waitCommitted(ctx, ends)
}
