package pipeline

import (
	"context"
	"errors"
	"log/slog"
	"maps"
	"sync"
	"testing"
	"testing/synctest"

	"github.com/twmb/franz-go/pkg/kgo"
)

// fakeCommits records what a commitTracker commits, and fails the commits
// it is told to.
type fakeCommits struct {
	mu     sync.Mutex
	fail   bool
	calls  [][]*kgo.Record
	offset map[int32]int64 // per partition, the offset after the last record committed
}

func (f *fakeCommits) commit(_ context.Context, rs ...*kgo.Record) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, rs)
	if f.fail {
		return errors.New("commit refused")
	}
	for _, r := range rs {
		f.offset[r.Partition] = r.Offset + 1
	}
	return nil
}

func (f *fakeCommits) committed() map[int32]int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return maps.Clone(f.offset)
}

// trackBatch seals a batch of partition p whose newest record is at offset
// last, as the sink does.
func trackBatch(t *testing.T, tr *commitTracker, p int32, last int64) *sealed {
	t.Helper()
	r := &kgo.Record{Partition: p, Offset: last}
	sb := &sealed{p: p, b: &partBatch{last: r}, end: r, size: 10}
	if _, err := tr.track(t.Context(), sb); err != nil {
		t.Fatal(err)
	}
	return sb
}

// store ends sb's upload as the sink's upload goroutine does.
func store(t *testing.T, tr *commitTracker, sb *sealed, err error) {
	t.Helper()
	if tr.uploaded(sb, err) {
		tr.commitStored(t.Context(), sb.p)
	}
}

// TestCommitTrackerCommitsOnlyStoredPrefix: a partition commits up to its
// newest stored batch with no unstored batch before it; a batch stored out
// of order waits for the one before it, and an upload that fails for good
// holds its partition back for good, while other partitions go on.
func TestCommitTrackerCommitsOnlyStoredPrefix(t *testing.T) {
	f := &fakeCommits{offset: map[int32]int64{}}
	tr := newCommitTracker(f.commit, slog.New(slog.DiscardHandler), 1<<20, 4, 1<<20)
	a, b, c := trackBatch(t, tr, 0, 99), trackBatch(t, tr, 0, 199), trackBatch(t, tr, 0, 299)
	other := trackBatch(t, tr, 1, 49)

	store(t, tr, b, nil)
	if got := f.committed(); len(got) != 0 {
		t.Fatalf("after the second batch of partition 0 was stored, before the first: committed %v, want nothing", got)
	}
	store(t, tr, a, nil)
	if got := f.committed(); got[0] != 200 {
		t.Fatalf("after both batches were stored: committed %v, want partition 0 at 200", got)
	}
	failed := errors.New("bucket gone")
	store(t, tr, c, failed)
	if got := f.committed(); got[0] != 200 {
		t.Fatalf("after the third batch failed: committed %v, want partition 0 still at 200", got)
	}
	if err := tr.uploadErr(); !errors.Is(err, failed) {
		t.Fatalf("uploadErr = %v, want %v", err, failed)
	}
	store(t, tr, other, nil)
	if got := f.committed(); got[1] != 50 {
		t.Fatalf("partition 1: committed %v, want 50", got)
	}
	if err := tr.waitStored(t.Context(), []int32{1}); !errors.Is(err, failed) {
		t.Fatalf("waitStored after a failed upload = %v, want its error", err)
	}
	if got := tr.offsets(); got[0] != 200 || got[1] != 50 {
		t.Fatalf("offsets = %v, want {0:200 1:50}", got)
	}
}

// TestCommitTrackerSkipsDroppedBatches: a batch dropped because another
// sink claimed its offsets commits nothing; the batches after it, its
// records read again, commit past it once every batch before them is done.
func TestCommitTrackerSkipsDroppedBatches(t *testing.T) {
	f := &fakeCommits{offset: map[int32]int64{}}
	tr := newCommitTracker(f.commit, slog.New(slog.DiscardHandler), 1<<20, 4, 1<<20)
	a, b, c := trackBatch(t, tr, 0, 99), trackBatch(t, tr, 0, 199), trackBatch(t, tr, 0, 299)
	store(t, tr, b, errDropped)
	store(t, tr, c, errDropped)
	if got := f.committed(); len(got) != 0 {
		t.Fatalf("with only dropped batches done: committed %v, want nothing", got)
	}
	again := trackBatch(t, tr, 0, 149) // offsets 100..149, read again
	store(t, tr, again, nil)
	if got := f.committed(); len(got) != 0 {
		t.Fatalf("before the first batch was stored: committed %v, want nothing", got)
	}
	store(t, tr, a, nil)
	if got := f.committed(); got[0] != 150 {
		t.Fatalf("committed %v, want partition 0 at 150: past the dropped batches, to the end of the one read again", got)
	}
	if err := tr.uploadErr(); err != nil {
		t.Fatalf("a dropped batch is no upload error: %v", err)
	}
	if err := tr.waitStored(t.Context(), nil); err != nil {
		t.Fatalf("waitStored with dropped batches: %v", err)
	}
}

// TestCommitTrackerRetriesFailedCommits: a commit that fails is taken up by
// the next commit (of any partition), or by retry; nothing is committed of
// a lost partition, and its failed commit is forgotten.
func TestCommitTrackerRetriesFailedCommits(t *testing.T) {
	f := &fakeCommits{offset: map[int32]int64{}, fail: true}
	tr := newCommitTracker(f.commit, slog.New(slog.DiscardHandler), 1<<20, 4, 1<<20)
	store(t, tr, trackBatch(t, tr, 0, 9), nil)
	if got := f.committed(); len(got) != 0 {
		t.Fatalf("committed %v through a failing commit", got)
	}
	f.mu.Lock()
	f.fail = false
	f.mu.Unlock()
	store(t, tr, trackBatch(t, tr, 1, 19), nil)
	if got := f.committed(); got[0] != 10 || got[1] != 20 {
		t.Fatalf("the next commit took %v, want the failed partition 0 at 10 too", got)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := tr.waitCommitted(ctx, map[int32]int64{0: 10, 1: 20}); err != nil {
		t.Fatalf("waitCommitted of what is committed: %v", err)
	}

	// A lost partition's upload finishes but commits nothing.
	synctest.Test(t, func(t *testing.T) {
		lostBatch := trackBatch(t, tr, 2, 29)
		done := make(chan error)
		go func() { done <- tr.abandon(t.Context(), []int32{2}) }()
		synctest.Wait() // abandon waits for the upload
		store(t, tr, lostBatch, nil)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	})
	if got := f.committed(); got[2] != 0 {
		t.Fatalf("a lost partition committed %v", got)
	}

	// A failed commit of a revoked partition is forgotten, not retried.
	f.mu.Lock()
	f.fail = true
	f.mu.Unlock()
	store(t, tr, trackBatch(t, tr, 3, 39), nil)
	tr.forget([]int32{3})
	f.mu.Lock()
	f.fail = false
	n := len(f.calls)
	f.mu.Unlock()
	tr.retry(t.Context())
	if f.mu.Lock(); len(f.calls) != n {
		t.Errorf("retry after forget committed %v", f.calls[n:])
	}
	f.mu.Unlock()
}

// TestCommitTrackerBoundsUploading: a batch that would take the bytes
// uploading past the bound waits for an upload to end; one batch alone
// never waits, however large.
func TestCommitTrackerBoundsUploading(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeCommits{offset: map[int32]int64{}}
		tr := newCommitTracker(f.commit, slog.New(slog.DiscardHandler), 15, 4, 1<<20)
		first := trackBatch(t, tr, 0, 1) // 10 bytes
		tracked := make(chan error, 1)
		second := &sealed{p: 0, b: &partBatch{last: &kgo.Record{Offset: 2}}, size: 10}
		go func() {
			_, err := tr.track(t.Context(), second)
			tracked <- err
		}()
		synctest.Wait()
		select {
		case err := <-tracked:
			t.Fatalf("a second batch was let upload past the bound: %v", err)
		default:
		}
		store(t, tr, first, nil)
		if err := <-tracked; err != nil {
			t.Fatal(err)
		}
		big := &sealed{p: 1, b: &partBatch{last: &kgo.Record{Partition: 1}}, size: 100}
		store(t, tr, second, nil)
		if _, err := tr.track(t.Context(), big); err != nil {
			t.Fatalf("a batch larger than the bound, alone: %v", err)
		}
	})
}
