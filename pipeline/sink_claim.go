package pipeline

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"github.com/cenkalti/backoff/v5"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Claims: before a batch's objects are written, the range of offsets it
// holds is claimed with a small object written only if absent
// (If-None-Match: *), keyed by the range's first offset. Whoever writes the
// claim first owns the range, and every object of a claim is written only
// if absent too, so no sink ever overwrites or deletes a stored object. A
// sink that finds a range claimed adopts the claim: it checks that the
// claim's objects exist, writes those that do not from its own records of
// the range, and commits past the claim.
//
// The claims of a partition form one chain: each starts after the one
// before. A sink starts a partition where the group committed (a commit is
// always the end of a claim), reads the claims from there on, cuts its
// batches at their bounds, and claims new ranges only after the last of
// them, one at a time in offset order. So two sinks that hold the same
// partition at once (one stalled, one new) claim the same keys, and one of
// them finds the other's claim: when it cut elsewhere, it drops what it
// holds of the partition and reads it again from the contested offset,
// following the claim it lost to.

// claim is the content of a claim object.
type claim struct {
	First         int64  `json:"first"` // offsets held, inclusive
	Last          int64  `json:"last"`
	Format        string `json:"format"`
	DT            string `json:"dt,omitempty"`              // date partition of the table object
	DataKey       string `json:"data_key,omitempty"`        // table object, if any records are events
	DeadLetterKey string `json:"dead_letter_key,omitempty"` // dead letters, if any
	Records       int    `json:"records"`
	DeadLetters   int    `json:"dead_letters"`
}

// errDropped ends the upload of a batch that is not this sink's to store:
// its range was claimed by another sink with other bounds, or it holds part
// of another sink's claim whose objects are missing. Nothing of it is
// committed; its records are read again.
var errDropped = errors.New("batch dropped: another sink claimed its offsets")

// partChain is what the poll loop knows of a partition's claims. It is
// guarded by Sink.mu.
type partChain struct {
	listed bool
	// from is the offset to list claims from once a record comes, if not
	// listed: the offset a resync reads again from, or -1 for where the
	// assignment starts.
	from  int64
	ahead []claim // claims at or after the records read, in offset order
	// more says there may be claims after ahead's, from offset next on:
	// they are listed a page at a time, as the records reach them.
	more bool
	next int64
	// prev is the newest batch sealed: the next one claims only once its
	// claim is settled.
	prev *sealed
}

// followClaims keeps partition p's batch b in line with the claims of other
// sinks before r is placed, and returns the batch r goes to: on a
// partition's first record it lists the claims from where it resumes; a
// batch that re-reads a claim is cut at the claim's last offset, and a new
// batch is cut before the next claim.
func (s *Sink) followClaims(ctx context.Context, r *kgo.Record, b *partBatch) (*partBatch, error) {
	p := r.Partition
	ch := s.chains[p]
	if ch == nil {
		ch = &partChain{from: -1}
		s.chains[p] = ch
	}
	if ch.listed && len(ch.ahead) == 0 && !ch.more && b.claim == nil {
		return b, nil // nothing claimed ahead, as when this sink made every claim
	}
	if !ch.listed {
		ch.next = s.chainStart(ch, r)
		ch.listed, ch.more = true, true
	}
	for {
		for len(ch.ahead) > 0 && ch.ahead[0].Last < r.Offset {
			ch.ahead = ch.ahead[1:] // holds no record this sink reads
		}
		if len(ch.ahead) > 0 || !ch.more {
			break
		}
		ahead, more, err := s.listPage(ctx, p, ch.next)
		if err != nil {
			return nil, err
		}
		ch.took(p, ahead, more, s.opts.Logger)
	}
	switch {
	case b.empty():
		return b, nil
	case b.claim != nil && r.Offset > b.claim.Last:
		b.complete = true // the records up to the claim's end that this sink reads
	case b.claim == nil && len(ch.ahead) > 0 && r.Offset >= ch.ahead[0].First:
	default:
		return b, nil
	}
	if err := s.sealLocked(ctx, []int32{p}); err != nil {
		return nil, err
	}
	return s.parts[p], nil
}

// chainStart is where to list the claims of partition r.Partition from, r
// being the first record read of it: where the group committed (always the
// end of a claim), or where the partition is read again from (ch.from), if
// ch is not nil.
func (s *Sink) chainStart(ch *partChain, r *kgo.Record) int64 {
	if ch != nil && ch.from >= 0 {
		return min(r.Offset, ch.from)
	}
	if c, ok := s.cl.CommittedOffsets()[r.Topic][r.Partition]; ok && c.Offset >= 0 {
		return min(r.Offset, c.Offset)
	}
	return r.Offset
}

// listPage reads a page of the claims of partition p from offset from,
// retrying until S3 answers or ctx ends.
func (s *Sink) listPage(ctx context.Context, p int32, from int64) (ahead []claim, more bool, err error) {
	err = retry(ctx, func() error {
		var err error
		ahead, more, err = s.listClaims(ctx, p, from)
		if err != nil && ctx.Err() == nil {
			s.opts.Logger.Warn("reading the partition's claims failed; retrying", "partition", p, "err", err)
		}
		return err
	})
	return ahead, more, err
}

// took takes a page of partition p's claims (listPage) as the claims ahead.
func (ch *partChain) took(p int32, ahead []claim, more bool, log *slog.Logger) {
	ch.listed, ch.ahead, ch.more = true, ahead, more
	if len(ahead) == 0 {
		ch.more = false
		return
	}
	ch.next = ahead[len(ahead)-1].First + 1
	log.Info("found offsets claimed by an earlier sink", "partition", p,
		"from", ahead[0].First, "to", ahead[len(ahead)-1].Last, "claims", len(ahead))
}

// firstPage is the first page of a partition's claims, listed by
// listFirstPages.
type firstPage struct {
	p     int32
	ch    *partChain // the partition's chain when listed, if any
	from  int64
	ahead []claim
	more  bool
}

// listFirstPages starts listing the first page of claims of each partition
// whose first records (since it was assigned or read again) are among recs,
// all at once and without holding mu; wait returns them, for
// tookFirstPagesLocked. So a sink that starts on many partitions waits for
// about one LIST, while it decodes, not for one a partition in turn with mu
// held. followClaims lists the later pages as the records reach them.
func (s *Sink) listFirstPages(ctx context.Context, recs []*kgo.Record) (wait func() ([]*firstPage, error)) {
	var pages []*firstPage
	s.mu.Lock()
	for i := 0; i < len(recs); i = nextPartition(recs, i) {
		r := recs[i]
		p := r.Partition
		ch := s.chains[p]
		if (ch == nil || !ch.listed) && !slices.ContainsFunc(pages, func(f *firstPage) bool { return f.p == p }) {
			pages = append(pages, &firstPage{p: p, ch: ch, from: s.chainStart(ch, r)})
		}
	}
	s.mu.Unlock()
	if len(pages) == 0 {
		return func() ([]*firstPage, error) { return nil, nil }
	}
	errs := make([]error, len(pages))
	var wg sync.WaitGroup
	slots := make(chan struct{}, listClaimsAtOnce)
	for i, f := range pages {
		wg.Go(func() {
			slots <- struct{}{}
			defer func() { <-slots }()
			f.ahead, f.more, errs[i] = s.listPage(ctx, f.p, f.from)
		})
	}
	return func() ([]*firstPage, error) {
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				return nil, err // one line, though all partitions may say it
			}
		}
		return pages, nil
	}
}

// nextPartition is the index of the first record after recs[i] of another
// partition, found in a few looks rather than by reading every record: a
// poll's records come a partition at a time. (If not, a run of another
// partition between two of recs[i]'s may be passed over; followClaims lists
// that partition's claims when it reaches its records.)
func nextPartition(recs []*kgo.Record, i int) int {
	p := recs[i].Partition
	lo, step := i, 1 // recs[lo] is of p
	for lo+step < len(recs) && recs[lo+step].Partition == p {
		lo += step
		step *= 2
	}
	hi := min(lo+step, len(recs)) // past lo: recs[hi] is not of p, or the end
	for hi-lo > 1 {
		if mid := (lo + hi) / 2; recs[mid].Partition == p {
			lo = mid
		} else {
			hi = mid
		}
	}
	return hi
}

// tookFirstPagesLocked (under mu) makes the pages of listFirstPages the
// claims ahead of their partitions, but for a partition whose chain changed
// since (read again from another offset): followClaims lists that one.
func (s *Sink) tookFirstPagesLocked(pages []*firstPage) {
	for _, f := range pages {
		ch := s.chains[f.p]
		if ch != f.ch || ch != nil && ch.listed {
			continue
		}
		if ch == nil {
			ch = &partChain{from: -1}
			s.chains[f.p] = ch
		}
		ch.took(f.p, f.ahead, f.more, s.opts.Logger)
	}
}

// bindClaim returns the claim of another sink that a new batch starting at
// offset o of partition p re-reads, if any, and takes it off the chain's
// claims ahead.
func (s *Sink) bindClaim(p int32, o int64) *claim {
	ch := s.chains[p]
	if ch == nil || len(ch.ahead) == 0 || ch.ahead[0].First > o {
		return nil
	}
	c := ch.ahead[0]
	ch.ahead = ch.ahead[1:]
	return &c
}

// listClaimsAtOnce bounds the claims read at once when a partition is
// assigned.
const listClaimsAtOnce = 8

// claimsPage is how many claims are listed (and held) at once: S3's page.
// Tests make it smaller.
var claimsPage = aws.Int32(1000)

// listClaims reads a page of the claims of partition p that start at or
// after from (S3's page: up to 1,000), and says whether there may be more.
func (s *Sink) listClaims(ctx context.Context, p int32, from int64) ([]claim, bool, error) {
	folder := claimFolder(s.opts.Prefix, s.opts.Topic, p)
	page, err := s.s3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(s.opts.Bucket), MaxKeys: claimsPage,
		Prefix: aws.String(folder), StartAfter: aws.String(ClaimKey(s.opts.Prefix, s.opts.Topic, p, from-1))})
	if err != nil {
		return nil, false, fmt.Errorf("list s3://%s/%s: %w", s.opts.Bucket, folder, err)
	}
	var keys []string
	var firsts []int64
	for _, o := range page.Contents {
		if first, ok := parseClaimKey(aws.ToString(o.Key), folder); ok && first >= from {
			keys = append(keys, aws.ToString(o.Key))
			firsts = append(firsts, first)
		}
	}
	claims := make([]claim, len(keys))
	errs := make([]error, len(keys))
	var wg sync.WaitGroup
	slots := make(chan struct{}, listClaimsAtOnce)
	for i, key := range keys {
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			claims[i], errs[i] = s.getClaim(ctx, key, firsts[i])
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, false, err
	}
	slices.SortFunc(claims, func(a, b claim) int { return cmp.Compare(a.First, b.First) })
	return claims, aws.ToBool(page.IsTruncated), nil
}

// getClaim reads the claim at key, of the range starting at first.
func (s *Sink) getClaim(ctx context.Context, key string, first int64) (claim, error) {
	out, err := s.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.opts.Bucket), Key: aws.String(key)})
	if err != nil {
		return claim{}, fmt.Errorf("read claim s3://%s/%s: %w", s.opts.Bucket, key, err)
	}
	defer out.Body.Close()
	body, err := io.ReadAll(io.LimitReader(out.Body, 1<<20))
	if err != nil {
		return claim{}, fmt.Errorf("read claim s3://%s/%s: %w", s.opts.Bucket, key, err)
	}
	var c claim
	if err := json.Unmarshal(body, &c); err != nil || c.First != first || c.Last < c.First {
		return claim{}, backoff.Permanent(fmt.Errorf("s3://%s/%s is not a claim of the sink (%q): the partition cannot be stored past it until it is restored", s.opts.Bucket, key, truncate(body, 200)))
	}
	return c, nil
}

func truncate(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "..."
	}
	return string(b)
}

// newClaim is the claim of a batch that starts a new range.
func (s *Sink) newClaim(p int32, b *partBatch) claim {
	c := claim{First: b.first, Last: b.last.Offset, Format: s.opts.Format, Records: b.nData, DeadLetters: b.nBad}
	if b.nData > 0 {
		c.DT = b.dt
		c.DataKey = DataKey(s.opts.Prefix, s.opts.Topic, b.dt, s.opts.Format, p, b.first)
	}
	if b.nBad > 0 {
		c.DeadLetterKey = DeadLetterKey(s.opts.Prefix, s.opts.Topic, p, b.first)
	}
	return c
}

// settleClaim makes sb's claim: once the partition's previous batch has
// settled its own, it writes sb's claim, or adopts the claim found at the
// same offset if it has the same bounds. It returns the claim and whether
// it is another sink's (or an earlier attempt's) rather than just written.
// A batch whose range was claimed with other bounds, or that follows a
// batch that was dropped, is dropped (errDropped); a claim with other
// bounds also makes the poll loop read the partition again from sb's first
// offset.
func (s *Sink) settleClaim(ctx context.Context, sb *sealed) (c claim, adopted bool, err error) {
	defer func() {
		sb.claimOK = err == nil
		close(sb.claimed)
	}()
	if prev := sb.prev; prev != nil {
		select {
		case <-prev.claimed:
		case <-ctx.Done():
			return c, false, ctx.Err()
		}
		sb.prev = nil // let it go
		if !prev.claimOK {
			return c, false, errDropped
		}
	}
	b := sb.b
	if b.claim != nil {
		return *b.claim, true, nil
	}
	c = s.newClaim(sb.p, b)
	body, _ := json.Marshal(c) // plain types: cannot fail
	key := ClaimKey(s.opts.Prefix, s.opts.Topic, sb.p, c.First)
	created, err := s.put(ctx, key, bytes.NewReader(body), len(body), "application/json")
	if err != nil || created {
		return c, false, err
	}
	var cur claim
	if err := retry(ctx, func() error { cur, err = s.getClaim(ctx, key, c.First); return err }); err != nil {
		return c, false, err
	}
	if cur.First == c.First && cur.Last == c.Last {
		return cur, true, nil // an earlier attempt of ours, or a sink that cut alike
	}
	s.opts.Logger.Warn("offsets claimed by another sink with other bounds; reading them again to follow its claim",
		"partition", sb.p, "ours", fmt.Sprintf("%d..%d", c.First, c.Last), "theirs", fmt.Sprintf("%d..%d", cur.First, cur.Last))
	s.requestResync(sb.p, c.First)
	return c, false, errDropped
}

// requestResync asks the poll loop to drop what it holds of partition p and
// read it again from offset from.
func (s *Sink) requestResync(p int32, from int64) {
	s.resyncMu.Lock()
	defer s.resyncMu.Unlock()
	if s.resyncs == nil {
		s.resyncs = map[int32]int64{}
	}
	if cur, ok := s.resyncs[p]; !ok || from < cur {
		s.resyncs[p] = from
	}
}

// applyResyncsLocked (under mu, in the poll loop, while the rebalance is
// held) drops what is held of the partitions to read again, moves their
// fetch offsets back, and returns them: the records of this poll from them
// are not to be placed.
func (s *Sink) applyResyncsLocked() map[int32]bool {
	s.resyncMu.Lock()
	rs := s.resyncs
	s.resyncs = nil
	s.resyncMu.Unlock()
	if len(rs) == 0 {
		return nil
	}
	skip := map[int32]bool{}
	set := map[int32]kgo.EpochOffset{}
	for p, from := range rs {
		if _, ok := s.chains[p]; !ok {
			continue // no longer held
		}
		s.dropLocked(p)
		s.chains[p] = &partChain{from: from}
		set[p] = kgo.EpochOffset{Epoch: -1, Offset: from}
		skip[p] = true
		s.statsMu.Lock()
		s.stats.Resyncs++
		s.statsMu.Unlock()
	}
	s.cl.SetOffsets(map[string]map[int32]kgo.EpochOffset{s.opts.Topic: set})
	return skip
}

// forgetResyncs drops the resyncs asked for partitions that this sink no
// longer holds.
func (s *Sink) forgetResyncs(ps []int32) {
	s.resyncMu.Lock()
	defer s.resyncMu.Unlock()
	for _, p := range ps {
		delete(s.resyncs, p)
	}
}

// exists reports whether the object at key exists.
func (s *Sink) exists(ctx context.Context, key string) (bool, error) {
	var found bool
	err := retry(ctx, func() error {
		_, err := s.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(s.opts.Bucket), Key: aws.String(key)})
		var nf *s3types.NotFound
		switch {
		case err == nil:
			found = true
		case errors.As(err, &nf) || httpStatus(err) == http.StatusNotFound:
			found, err = false, nil
		}
		return err
	})
	if err != nil {
		return false, fmt.Errorf("head s3://%s/%s: %w", s.opts.Bucket, key, err)
	}
	return found, nil
}

// preconditionFailed tells S3's answer to a conditional write whose
// condition does not hold: for If-None-Match: *, the key exists.
func preconditionFailed(err error) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && ae.ErrorCode() == "PreconditionFailed" || httpStatus(err) == http.StatusPreconditionFailed
}

// httpStatus is the HTTP status of an S3 error, 0 if there was no answer.
func httpStatus(err error) int {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

// ErrNoConditionalWrites is returned by Check and Run when the S3 endpoint
// does not honour If-None-Match: * on PutObject.
var ErrNoConditionalWrites = errors.New("the S3 endpoint ignores If-None-Match on PutObject")

// probeConditionalWrites writes a scratch object twice with If-None-Match:
// * and refuses to go on if the second write is not refused: without
// conditional writes a stalled sink could overwrite another's objects.
func (s *Sink) probeConditionalWrites(ctx context.Context) error {
	key := probeKey(s.opts.Prefix, s.opts.Topic)
	for range 2 {
		created, err := s.put(ctx, key, strings.NewReader("{}\n"), 3, "application/json")
		if unsupported(err) {
			created, err = true, nil // refused below, with the reason
		}
		if err != nil {
			return fmt.Errorf("sink: %w", err)
		}
		if !created {
			return nil
		}
	}
	return fmt.Errorf("sink: %w: s3://%s/%s was written twice with If-None-Match: *. The sink needs conditional writes so that a stalled sink never overwrites another's objects: use AWS S3 or a store that supports them",
		ErrNoConditionalWrites, s.opts.Bucket, key)
}
