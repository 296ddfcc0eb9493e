package pipeline

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/s3/transfermanager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
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
// # Exactly once, as a query sees it, even with a stalled sink
//
// Offsets are committed only after the objects holding the records are
// stored. Before a batch's objects are written, its offsets are claimed with
// an object written only if absent (If-None-Match: *) under
//
//	<prefix>_sink/<topic>/<partition>/<firstOffset>.json
//
// and the objects themselves are written only if absent: no object is ever
// overwritten or deleted, by this sink or by one that stalled past its
// session (a "zombie") and resumes. A replay after a crash, or a new owner
// of a partition, reads the claims ahead of where it resumes and adopts
// them: it cuts its batches at their bounds, writes what objects of theirs
// are missing from its own records of the same offsets, and commits past
// them. So the claims of a partition are disjoint, each claim's objects
// hold exactly its records, and a query never sees a record twice
// (sink_claim.go). Run refuses to start on an S3 that ignores If-None-Match.
//
// # Where things are
//
// This file has the poll loop and the rebalance callbacks; sink_batch.go
// how records are placed in batches and cut; sink_claim.go the claims;
// sink_upload.go how a batch is stored (seal, claim, put, retries);
// sink_commit.go which offsets are committed, and when; sink_schema.go what a
// record must be to fit the table; sink_table.go the sink's table in the
// catalog; sink_options.go the options.
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

	chains map[int32]*partChain // guarded by mu: what is known of each partition's claims

	pollMu     sync.Mutex
	pollCancel context.CancelFunc // guarded by pollMu: ends the poll in progress

	resyncMu sync.Mutex
	resyncs  map[int32]int64 // guarded by resyncMu: partitions to read again, from these offsets

	probed   bool        // the S3 honours If-None-Match: set by Check, which Run calls after it
	stopped  atomic.Bool // Run has stopped storing: a revoke stores nothing more
	diskFull atomic.Bool // S3 said its disk is full, and has not taken an object since

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
	Claims      int64 // ranges of offsets claimed
	// Adopted counts ranges another sink (or an earlier one) had claimed
	// and this one committed past after checking their objects, writing
	// those that were missing.
	Adopted int64
	// Resyncs counts the times a partition was read again because another
	// sink claimed its offsets with other bounds.
	Resyncs int64
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
		kgo.RebalanceTimeout(s.opts.RebalanceTimeout),
		// A poll takes all that the client holds, and the client fetches
		// the next meanwhile: half of the usual fetch (kgo's 1 MiB a
		// partition) keeps what the two hold where one usual fetch was.
		kgo.FetchMaxBytes(16 << 20),
		kgo.FetchMaxPartitionBytes(512 << 10),
		kgo.OnPartitionsRevoked(s.onRevoked),
		kgo.OnPartitionsLost(s.onLost),
	}
	if s.opts.InstanceID != "" {
		opts = append(opts, kgo.InstanceID(s.opts.InstanceID))
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
		chains: map[int32]*partChain{}, upSlots: make(chan struct{}, o.MaxInFlight)}
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
// topic would not read (another folder or format), or whose S3 does not
// honour If-None-Match (ErrNoConditionalWrites). Run checks too; a caller
// checks first to refuse before anything else starts. Not safe for use
// concurrently with Run.
func (s *Sink) Check(ctx context.Context) error {
	if err := s.table.check(ctx); err != nil {
		return err
	}
	if !s.probed {
		if err := s.probeConditionalWrites(ctx); err != nil {
			return err
		}
		s.probed = true
	}
	return nil
}

// Close releases a sink that will not Run; Run releases its own when it
// returns.
func (s *Sink) Close() { s.cl.Close() }

// Run consumes until ctx ends, then stores what it holds, commits, leaves the
// group and returns nil, all within StopTimeout: uploads still running then
// are cancelled, and what was not committed is replayed by the partitions'
// next owner. It returns early only if storing fails in a way retries cannot
// fix, or if another sink took its place in the group (its InstanceID);
// what was not stored is then not committed.
//
// Storing is pipelined: a full or due batch is sealed and uploaded in the
// background (up to MaxInFlight at once) while the next records are read,
// and its offsets are committed once it and every earlier batch of its
// partition are stored.
func (s *Sink) Run(ctx context.Context) error {
	upCtx, stopUploads := context.WithCancel(context.WithoutCancel(ctx))
	s.upCtx = upCtx
	var stopBy time.Time // when the stop's budget ends
	defer func() {
		if stopBy.IsZero() {
			stopBy = time.Now().Add(s.opts.StopTimeout)
		}
		stopUploads()
		s.drainUploads()
		s.close(stopBy)
	}()
	if err := s.Check(ctx); err != nil {
		if ctx.Err() != nil {
			return nil // stopped while starting
		}
		return err
	}
	go s.sayIfNoTopic(ctx)
	for {
		pollCtx, cancel := context.WithTimeout(ctx, s.untilNextCut())
		s.pollMu.Lock()
		s.pollCancel = cancel
		s.pollMu.Unlock()
		// All that the client holds: it fetches again only once its
		// records are all taken, so that it fetches the next while these
		// are placed.
		fetches := s.cl.PollFetches(pollCtx)
		cancel()
		if ctx.Err() != nil {
			break
		}
		if fetches.IsClientClosed() {
			return errors.New("sink: kafka client closed")
		}
		var fenced error
		fetches.EachError(func(t string, p int32, ferr error) {
			switch {
			case errors.Is(ferr, kerr.FencedInstanceID):
				fenced = fmt.Errorf("sink: another sink joined group %s with instance id %q and took this one's partitions: give each sink its own --instance-id",
					s.opts.Group, s.opts.InstanceID)
			case !errors.Is(ferr, context.DeadlineExceeded) && !errors.Is(ferr, context.Canceled):
				s.opts.Logger.Warn("fetch error", "topic", t, "partition", p, "err", ferr)
			}
		})
		if fenced != nil {
			s.cl.AllowRebalance()
			return fenced
		}
		err := s.commits.uploadErr()
		if err == nil {
			err = s.place(ctx, fetches.Records())
		}
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
	// Stopping: store and commit what we hold within the budget, keeping
	// a little of it to leave the group.
	stopBy = time.Now().Add(s.opts.StopTimeout)
	fctx, cancel := context.WithDeadline(context.WithoutCancel(ctx), stopBy.Add(-leaveTime(s.opts.StopTimeout)))
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
	switch {
	case fctx.Err() != nil:
		s.opts.Logger.Warn("stopped before storing everything it held; the partitions' next owner replays the rest",
			"stop_timeout", s.opts.StopTimeout, "err", err)
	case err != nil:
		return fmt.Errorf("sink: final flush: %w", err)
	}
	return nil
}

// placeAtOnce bounds the records decoded at once: the memory of their
// fields, which a Parquet batch keeps.
const placeAtOnce = 50_000

// place places a poll's records in their batches, placeAtOnce at a time,
// and seals the batches that are due.
func (s *Sink) place(ctx context.Context, recs []*kgo.Record) error {
	var skip map[int32]bool // partitions read again from an offset: their records here are not placed
	for {
		n := min(len(recs), placeAtOnce)
		part := recs[:n]
		recs = recs[n:]
		listing := s.listFirstPages(ctx, part)
		sc := s.table.schema(ctx)
		decs, pending := s.decodeAll(part, sc)
		pages, err := listing()
		if err != nil {
			return err
		}
		s.mu.Lock()
		for p := range s.applyResyncsLocked() {
			if skip == nil {
				skip = map[int32]bool{}
			}
			skip[p] = true
		}
		s.tookFirstPagesLocked(pages)
		if pending > 0 {
			var added bool
			if added, err = s.addPollColumns(ctx, part, decs, skip, sc); added {
				// Checked again with the columns added, on every core,
				// rather than each in turn by admit.
				decs, _ = s.decodeAll(part, s.table.cur.Load())
			}
		}
		for i, r := range part {
			if err == nil {
				err = ctx.Err() // a stop ends the poll's records at once: the next owner reads the rest
			}
			if err != nil {
				break
			}
			if !skip[r.Partition] {
				err = s.add(ctx, r, &decs[i])
			}
		}
		if err == nil {
			err = s.sealLocked(ctx, s.due(time.Now()))
		}
		if err == nil && s.ends != nil {
			err = s.sealLocked(ctx, s.atEnd())
		}
		s.mu.Unlock()
		if err != nil || len(recs) == 0 {
			return err
		}
	}
}

// sayIfNoTopic says once that the sink's topic does not exist (yet): the
// sink waits for it as for an idle topic, and a typo in --topic would look
// like one. Its metadata request creates no topic. A broker that does not
// answer says nothing here: the poll's errors say it.
func (s *Sink) sayIfNoTopic(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	tds, err := kadm.NewClient(s.cl).ListTopics(ctx, s.opts.Topic)
	if err != nil {
		return
	}
	if td, ok := tds[s.opts.Topic]; !ok || errors.Is(td.Err, kerr.UnknownTopicOrPartition) {
		s.opts.Logger.Warn(fmt.Sprintf("topic %q does not exist yet: waiting for it (check --topic, or create it)", s.opts.Topic))
	}
}

// leaveTime is the part of the stop budget kept for leaving the group.
func leaveTime(budget time.Duration) time.Duration { return min(budget/4, 2*time.Second) }

// close leaves the group and closes the Kafka client, giving up waiting at
// deadline: a group that cannot be left drops the member after its session
// timeout, and a process exits anyway.
func (s *Sink) close(deadline time.Time) {
	s.stopped.Store(true)
	done := make(chan struct{})
	go func() {
		defer close(done)
		lctx, cancel := context.WithDeadline(context.Background(), deadline)
		defer cancel()
		s.cl.LeaveGroupContext(lctx)
		s.cl.Close()
	}()
	select {
	case <-done:
	case <-time.After(time.Until(deadline)):
		s.opts.Logger.Warn("leaving the group took past the stop budget; the group drops this member after its session timeout")
	}
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
	s.forgetResyncs(ps)
	if s.stopped.Load() {
		// Run stored what it could within its budget: the next owner
		// replays the rest.
		s.commits.forget(ps)
		for _, p := range ps {
			s.dropLocked(p)
		}
		return
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
	s.forgetResyncs(ps)
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
