package pipeline

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/s3/transfermanager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
	"github.com/cenkalti/backoff/v5"

	"pipeline/catalog"
)

// Uploading: a cut batch is sealed (handed to the commit tracker, which
// bounds the bytes uploading), stored by a goroutine of its own (up to
// MaxInFlight at once) with retries until S3 takes it, and then its
// partition commits what it has stored. Storing a batch is claiming its
// offsets (see sink_claim.go), then writing its objects, each only if
// absent: nothing is ever overwritten or deleted.

// sealLocked (under mu) hands the batches of the given partitions to
// uploads, waiting while MaxInFlight are running or half of MaxBuffered is
// uploading, and gives each partition a new batch.
func (s *Sink) sealLocked(ctx context.Context, ps []int32) error {
	for _, p := range ps {
		b := s.parts[p]
		if b == nil || b.empty() {
			continue
		}
		select {
		case s.upSlots <- struct{}{}:
		case <-ctx.Done():
			return ctx.Err()
		}
		sb := &sealed{p: p, b: b, size: b.bytes(), claimed: make(chan struct{})}
		nb, err := s.commits.track(ctx, sb)
		if err != nil {
			<-s.upSlots
			return err
		}
		s.heldBytes -= sb.size
		s.parts[p] = nb
		if ch := s.chains[p]; ch != nil {
			sb.prev, ch.prev = ch.prev, sb
		}
		go s.upload(sb)
	}
	return nil
}

// upload stores a sealed batch, then commits what its partition has stored.
// If retries could not store it, the sink stops (Run returns the error) and
// the partition commits nothing past it.
func (s *Sink) upload(sb *sealed) {
	err := s.store(s.upCtx, sb)
	<-s.upSlots
	if s.commits.uploaded(sb, err) {
		s.commits.commitStored(s.upCtx, sb.p)
	}
}

// drainUploads waits until no upload is running.
func (s *Sink) drainUploads() {
	for range cap(s.upSlots) {
		s.upSlots <- struct{}{}
	}
	for range cap(s.upSlots) {
		<-s.upSlots
	}
}

// store claims a sealed batch's offsets and writes its objects: the table
// object and the dead letters. When the claim is another sink's, the objects
// it names that exist are left as they are, and those missing are written
// from this sink's records of the same offsets; a batch that holds only
// part of such a claim (cut short by a stop or a revoke) cannot write them,
// and is dropped.
func (s *Sink) store(ctx context.Context, sb *sealed) error {
	c, adopted, err := s.settleClaim(ctx, sb)
	if err != nil {
		return err
	}
	p, b := sb.p, sb.b
	if adopted && c.Format != s.opts.Format {
		return fmt.Errorf("sink: offsets %d..%d of partition %d are claimed as %s objects (%s), and this sink writes %s: use --format %s",
			c.First, c.Last, p, c.Format, ClaimKey(s.opts.Prefix, s.opts.Topic, p, c.First), s.opts.Format, c.Format)
	}
	dataKey, dlKey := c.DataKey, c.DeadLetterKey
	if b.nData > 0 && dataKey == "" {
		dataKey = DataKey(s.opts.Prefix, s.opts.Topic, b.dt, s.opts.Format, p, c.First)
	}
	if b.nBad > 0 && dlKey == "" {
		dlKey = DeadLetterKey(s.opts.Prefix, s.opts.Topic, p, c.First)
	}
	haveData, haveBad := false, false
	if adopted {
		// A batch cut short (by a stop or a revoke) holds part of the
		// claim: it may only find the claim's objects stored, never write
		// them.
		whole := b.claim == nil || b.complete
		if !whole && c.DataKey == "" && c.DeadLetterKey == "" {
			return errDropped
		}
		for _, o := range []struct {
			key  string
			have *bool
		}{{c.DataKey, &haveData}, {c.DeadLetterKey, &haveBad}} {
			if o.key == "" {
				*o.have = !whole
				continue
			}
			ok, err := s.exists(ctx, o.key)
			if err != nil {
				return err
			}
			if !ok && !whole {
				return errDropped // the next owner reads the whole range
			}
			*o.have = ok
		}
	}
	if b.nData > 0 && !haveData {
		created := false
		body, size, contentType := b.data.Reader(), b.data.Len(), "application/x-ndjson"
		if s.opts.Format == catalog.FormatParquet {
			pq, err := b.pq.encode(s.table.cur.Load().types, parquetCodecs[s.opts.Compression])
			if err != nil {
				return fmt.Errorf("sink: partition %d at offset %d: %w", p, c.First, err)
			}
			body, size, contentType = bytes.NewReader(pq), len(pq), "application/vnd.apache.parquet"
			s.pqSizes.stored(p, b.pq, len(pq))
		}
		if created, err = s.putObject(ctx, dataKey, body, size, contentType); err != nil {
			return err
		}
		if created || !adopted { // a claim of ours: a 412 is an earlier attempt of ours
			s.statsMu.Lock()
			s.stats.Records += int64(b.nData)
			s.statsMu.Unlock()
		}
	}
	if b.nData > 0 && !haveData || haveData && c.DataKey != "" {
		s.table.register(ctx, cmp.Or(c.DT, b.dt)) // a table object is stored
	}
	if b.nBad > 0 && !haveBad {
		created, err := s.putObject(ctx, dlKey, bytes.NewReader(b.bad), len(b.bad), "application/x-ndjson")
		if err != nil {
			return err
		}
		if created || !adopted {
			s.statsMu.Lock()
			s.stats.DeadLetters += int64(b.nBad)
			s.statsMu.Unlock()
		}
	}
	// Commit past the whole claim: its offsets after b.last hold no record
	// this sink reads.
	sb.end = b.last
	if c.Last != b.last.Offset {
		end := *b.last
		end.Offset = c.Last
		sb.end = &end
	}
	s.statsMu.Lock()
	if adopted {
		s.stats.Adopted++
	} else {
		s.stats.Claims++
	}
	s.statsMu.Unlock()
	return nil
}

// putObject stores one of a batch's objects, only if absent, and reports
// whether it did: if the object exists, a sink that adopted the batch's
// claim wrote it from the same records.
func (s *Sink) putObject(ctx context.Context, key string, body io.ReadSeeker, size int, contentType string) (bool, error) {
	start := time.Now()
	created, err := s.put(ctx, key, body, size, contentType)
	if err == nil && s.diskFull.CompareAndSwap(true, false) {
		s.opts.Logger.Warn("S3 takes objects again", "key", key)
	}
	if err == nil && created {
		s.statsMu.Lock()
		s.stats.Objects++
		s.stats.Bytes += int64(size)
		s.statsMu.Unlock()
		if obs := s.opts.Observer; obs != nil {
			obs.ObjectStored(size, time.Since(start))
		}
	}
	return created, err
}

// put stores one object of size bytes if no object has its key
// (If-None-Match: *), retrying with exponential backoff (on top of the SDK's
// own retries) until S3 answers or ctx ends. It reports whether it created
// the object: false if the key exists (which a retry whose first attempt was
// stored sees too). Below the multipart threshold it is one PutObject of body
// as it is (the transfer manager would first copy it into a buffer of a
// part's size).
func (s *Sink) put(ctx context.Context, key string, body io.ReadSeeker, size int, contentType string) (created bool, err error) {
	err = retry(ctx, func() error {
		if _, err := body.Seek(0, io.SeekStart); err != nil {
			return backoff.Permanent(err)
		}
		actx, cancel := context.WithTimeout(ctx, s.opts.PutTimeout)
		defer cancel()
		var err error
		if size < s.opts.MultipartThreshold {
			_, err = s.s3.PutObject(actx, &s3.PutObjectInput{
				Bucket:        aws.String(s.opts.Bucket),
				Key:           aws.String(key),
				Body:          body,
				ContentLength: aws.Int64(int64(size)),
				ContentType:   aws.String(contentType),
				IfNoneMatch:   aws.String("*"),
			})
		} else {
			_, err = s.up.UploadObject(actx, &transfermanager.UploadObjectInput{
				Bucket:      aws.String(s.opts.Bucket),
				Key:         aws.String(key),
				Body:        body,
				ContentType: aws.String(contentType),
				IfNoneMatch: aws.String("*"),
			})
		}
		created = err == nil
		if preconditionFailed(err) {
			return nil
		}
		switch {
		case err == nil || ctx.Err() != nil:
		case diskFull(err):
			// One line while it lasts, not one a retry.
			if s.diskFull.CompareAndSwap(false, true) {
				s.opts.Logger.Error("S3 says its disk is full: free space where it stores its objects; the sink holds what it read and retries until S3 takes it",
					"key", key, "err", err)
			}
		default:
			s.opts.Logger.Warn("put object failed; retrying", "key", key, "err", err)
		}
		return err
	})
	if err != nil {
		return false, fmt.Errorf("store s3://%s/%s: %w", s.opts.Bucket, key, err)
	}
	return created, nil
}

// diskFull tells an S3 error that says the store's disk is full: 507
// Insufficient Storage, or a message that says so.
func diskFull(err error) bool {
	if httpStatus(err) == http.StatusInsufficientStorage {
		return true
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return false
	}
	msg := strings.ToLower(ae.ErrorCode() + " " + ae.ErrorMessage())
	return strings.Contains(msg, "insufficientstorage") || strings.Contains(msg, "disk full") ||
		strings.Contains(msg, "disk is full") || strings.Contains(msg, "no space left")
}

// retry calls fn with exponential backoff (on top of the SDK's own retries)
// until it succeeds or ctx ends.
func retry(ctx context.Context, fn func() error) error {
	_, err := backoff.Retry(ctx, func() (struct{}, error) {
		err := fn()
		if err != nil && needsUser(err) {
			return struct{}{}, backoff.Permanent(fmt.Errorf("%w: check that the bucket exists (or pass --bucket) and that the credentials may use it", err))
		}
		if err != nil && unsupported(err) {
			return struct{}{}, backoff.Permanent(err)
		}
		if err != nil && ctx.Err() != nil {
			return struct{}{}, backoff.Permanent(err)
		}
		return struct{}{}, err
	}, backoff.WithBackOff(&backoff.ExponentialBackOff{
		InitialInterval:     100 * time.Millisecond,
		RandomizationFactor: 0.5,
		Multiplier:          2,
		MaxInterval:         5 * time.Second,
	}), backoff.WithMaxElapsedTime(0))
	return err
}

// needsUser tells the S3 errors that no retry fixes: a missing bucket, or
// credentials that are wrong or lack permission.
func needsUser(err error) bool {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return false
	}
	switch ae.ErrorCode() {
	case "NoSuchBucket", "AccessDenied", "Forbidden", "InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidBucketName", "AllAccessDisabled":
		return true
	}
	return false
}

// unsupported tells an S3 that does not implement a request: no retry
// makes it.
func unsupported(err error) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && ae.ErrorCode() == "NotImplemented" || httpStatus(err) == http.StatusNotImplemented
}
