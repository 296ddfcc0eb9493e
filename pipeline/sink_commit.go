package pipeline

import (
	"context"
	"errors"
	"log/slog"
	"maps"
	"slices"
	"sync"

	"github.com/twmb/franz-go/pkg/kgo"
)

// commitTracker owns the sink's batches from the moment they are sealed
// until their offsets are committed or their partition is given up, and
// decides what is committed: a partition's offsets go up to its newest
// stored batch that has no unstored batch before it, and never past a batch
// that is not stored. So a crash, a failed upload or a lost partition leaves
// only records that are replayed, never records that are skipped.
//
// A commit that fails is retried with the next one. The records it covered
// are stored; if this sink never commits them, the next owner of their
// partitions replays them and adopts the claims this sink made on them
// (see Sink), so nothing doubles. A batch dropped because another sink
// claimed its offsets commits nothing, and its records are read again: the
// batches after it commit past it once they are stored.
//
// It also bounds the bytes uploading at once and keeps the first upload
// error that no retry could fix. It is safe for concurrent use.
type commitTracker struct {
	commit       func(context.Context, ...*kgo.Record) error // kgo.Client.CommitRecords
	log          *slog.Logger
	maxUploading int // bytes that may be uploading at once
	keepSpare    int // batches let go that are kept for reuse
	keepSize     int // the largest batch (bytes when sealed) kept for reuse

	// committing is held across each commit to Kafka: commits go out one
	// at a time, so each partition's committed offset only goes forward.
	// It is taken before mu, never while holding mu.
	committing sync.Mutex

	mu sync.Mutex // guards the fields below
	// changed is signalled (on mu) when a batch is stored, fails or leaves
	// flight, and when uploading shrinks.
	changed *sync.Cond
	// flight holds the batches of each partition in offset order, from
	// seal until their offsets are committed (or given up).
	flight map[int32][]*sealed
	// lost marks partitions lost while their uploads finish: their
	// batches are let go without a commit.
	lost      map[int32]bool
	uploading int   // bytes of the batches uploading
	err       error // the first upload no retry could fix
	// failed holds, per partition, the newest stored record whose commit
	// failed; the next commit takes it too. Changed only while holding
	// committing as well.
	failed    map[int32]*kgo.Record
	committed map[int32]int64 // per partition, the offset after the last record committed
	progress  chan struct{}   // closed and replaced on every commit
	spare     []*partBatch    // batches let go, emptied, for the next ones
}

// sealed is a batch handed to an upload.
type sealed struct {
	p    int32
	b    *partBatch
	size int // b.bytes() when sealed
	// prev is the partition's batch sealed before this one: this one
	// claims its offsets only once prev's claim is settled (claimed
	// closed), and not at all if prev's failed (claimOK false).
	prev    *sealed
	claimed chan struct{}
	claimOK bool        // set before claimed closes
	end     *kgo.Record // what to commit once stored: the claim's last offset
	stored  bool        // guarded by commitTracker.mu
	dropped bool        // guarded by commitTracker.mu: commits nothing, read again
}

func newCommitTracker(commit func(context.Context, ...*kgo.Record) error, log *slog.Logger, maxUploading, keepSpare, keepSize int) *commitTracker {
	t := &commitTracker{commit: commit, log: log, maxUploading: maxUploading, keepSpare: keepSpare, keepSize: keepSize,
		flight: map[int32][]*sealed{}, lost: map[int32]bool{}, failed: map[int32]*kgo.Record{},
		committed: map[int32]int64{}, progress: make(chan struct{})}
	t.changed = sync.NewCond(&t.mu)
	return t
}

// track waits until sb may upload: until its bytes fit within maxUploading
// with those uploading (or nothing uploads), ctx ends or an upload has
// failed for good. Then it counts sb as uploading and as the newest batch of
// its partition, and returns an empty batch for the partition to fill next.
func (t *commitTracker) track(ctx context.Context, sb *sealed) (*partBatch, error) {
	stop := t.wakeOnDone(ctx)
	defer stop()
	t.mu.Lock()
	defer t.mu.Unlock()
	for t.uploading > 0 && t.uploading+sb.size > t.maxUploading {
		err := ctx.Err()
		if err == nil {
			err = t.err
		}
		if err != nil {
			return nil, err
		}
		t.changed.Wait()
	}
	t.uploading += sb.size
	t.flight[sb.p] = append(t.flight[sb.p], sb)
	if n := len(t.spare); n > 0 {
		nb := t.spare[n-1]
		t.spare = t.spare[:n-1]
		return nb, nil
	}
	return &partBatch{}, nil
}

// uploaded records the end of sb's upload. After an error that retries
// could not fix the sink stops, and sb's partition commits nothing past it.
// It reports whether sb is done with: stored, or dropped (errDropped).
func (t *commitTracker) uploaded(sb *sealed, err error) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.uploading -= sb.size
	t.changed.Broadcast()
	if errors.Is(err, errDropped) {
		sb.dropped = true
		return true
	}
	if err != nil {
		if t.err == nil {
			t.err = err
		}
		return false
	}
	sb.stored = true
	return true
}

// commitStored commits partition p up to its newest stored batch that has
// no uploading batch before it (nothing, if p is lost), then lets those
// batches, and the dropped ones among them, go.
func (t *commitTracker) commitStored(ctx context.Context, p int32) {
	t.committing.Lock()
	defer t.committing.Unlock()
	t.mu.Lock()
	q := t.flight[p]
	n := 0
	var last *kgo.Record
	for n < len(q) && (q[n].stored || q[n].dropped) {
		if q[n].stored {
			last = q[n].end
		}
		n++
	}
	if n == 0 {
		t.mu.Unlock()
		return // an earlier batch is still uploading; it commits these too
	}
	lost := t.lost[p]
	t.mu.Unlock()
	if !lost && last != nil {
		t.commitLocked(ctx, last)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	// Only this function removes from flight, under committing: the first
	// n are the same.
	done := t.flight[p][:n]
	if t.flight[p] = t.flight[p][n:]; len(t.flight[p]) == 0 {
		delete(t.flight, p)
	}
	for _, sb := range done {
		// Keep a few batches for the next ones, but not more memory
		// than the next batches are likely to need.
		keep := len(t.spare) < t.keepSpare && sb.size <= t.keepSize
		sb.b.recycle(keep)
		if keep {
			t.spare = append(t.spare, sb.b)
		}
	}
	t.changed.Broadcast()
}

// retry commits what failed to commit before, if anything.
func (t *commitTracker) retry(ctx context.Context) {
	t.committing.Lock()
	defer t.committing.Unlock()
	t.commitLocked(ctx, nil)
}

// tryRetry is retry for the poll loop, which does not wait for an upload
// that is committing: that commit takes the failed offsets too, and the
// wait stalled polling for tens of milliseconds at a time when the sink was
// busy.
func (t *commitTracker) tryRetry(ctx context.Context) {
	if !t.committing.TryLock() {
		return
	}
	defer t.committing.Unlock()
	t.commitLocked(ctx, nil)
}

// commitLocked (holding committing) commits the offset after r, if not nil,
// with those of earlier commits that failed. If this one fails too, the next
// call retries it.
func (t *commitTracker) commitLocked(ctx context.Context, r *kgo.Record) {
	t.mu.Lock()
	if r != nil {
		t.failed[r.Partition] = r // newer than any failed one
	}
	if len(t.failed) == 0 {
		t.mu.Unlock()
		return
	}
	all := slices.Collect(maps.Values(t.failed))
	t.mu.Unlock()
	if err := t.commit(ctx, all...); err != nil {
		t.log.Warn("commit failed; will retry", "err", err)
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	clear(t.failed) // nothing was added meanwhile: that needs committing
	for _, r := range all {
		t.committed[r.Partition] = r.Offset + 1
	}
	close(t.progress)
	t.progress = make(chan struct{})
}

// waitStored waits until the batches of the given partitions (nil: all) are
// stored and committed, an upload has failed for good, or ctx ends.
func (t *commitTracker) waitStored(ctx context.Context, ps []int32) error {
	stop := t.wakeOnDone(ctx)
	defer stop()
	t.mu.Lock()
	defer t.mu.Unlock()
	for {
		if t.err != nil {
			return t.err
		}
		pending := len(t.flight) > 0
		if ps != nil {
			pending = slices.ContainsFunc(ps, func(p int32) bool { return len(t.flight[p]) > 0 })
		}
		if !pending {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		t.changed.Wait()
	}
}

// wakeOnDone wakes the waiters on changed when ctx ends, so that they see
// it; stop undoes it.
func (t *commitTracker) wakeOnDone(ctx context.Context) (stop func() bool) {
	return context.AfterFunc(ctx, func() {
		t.mu.Lock()
		t.changed.Broadcast()
		t.mu.Unlock()
	})
}

// abandon gives up partitions that another member owns now: their uploads
// still running finish, but commit nothing, and their failed commits are
// forgotten. The new owner replays from the last commit.
func (t *commitTracker) abandon(ctx context.Context, ps []int32) error {
	t.mu.Lock()
	for _, p := range ps {
		t.lost[p] = true
	}
	t.mu.Unlock()
	err := t.waitStored(ctx, ps)
	t.mu.Lock()
	for _, p := range ps {
		delete(t.lost, p)
	}
	t.mu.Unlock()
	t.forget(ps)
	return err
}

// forget drops the failed commits of partitions this sink no longer owns:
// their next owner replays them.
func (t *commitTracker) forget(ps []int32) {
	t.committing.Lock()
	defer t.committing.Unlock()
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, p := range ps {
		delete(t.failed, p)
	}
}

// uploadErr returns the error of an upload that no retry could fix.
func (t *commitTracker) uploadErr() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.err
}

// offsets returns, per partition, the offset after the last record
// committed.
func (t *commitTracker) offsets() map[int32]int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return maps.Clone(t.committed)
}

// waitCommitted blocks until at least the given offset of every given
// partition is committed, or ctx ends.
func (t *commitTracker) waitCommitted(ctx context.Context, ends map[int32]int64) error {
	for {
		t.mu.Lock()
		ch := t.progress
		done := true
		for p, end := range ends {
			if t.committed[p] < end {
				done = false
				break
			}
		}
		t.mu.Unlock()
		if done {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ch:
		}
	}
}
