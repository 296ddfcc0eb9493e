package pipeline

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/s3/transfermanager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"github.com/cenkalti/backoff/v5"
	"github.com/twmb/franz-go/pkg/kgo"

	"pipeline/catalog"
)

// Uploading: a cut batch is sealed (handed to the commit tracker, which
// bounds the bytes uploading), stored by a goroutine of its own (up to
// MaxInFlight at once) with retries until S3 takes it, and then its
// partition commits what it has stored. Before a partition's first batch of
// an assignment, the objects a predecessor stored but never committed are
// deleted, as the replay rewrites their records.

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
		sb := &sealed{p: p, b: b, size: b.bytes()}
		nb, err := s.commits.track(ctx, sb)
		if err != nil {
			<-s.upSlots
			return err
		}
		s.heldBytes -= sb.size
		nb.cleaned = b.cleaned
		s.parts[p] = nb
		go s.upload(sb)
	}
	return nil
}

// upload stores a sealed batch, then commits what its partition has stored.
// If retries could not store it, the sink stops (Run returns the error) and
// the partition commits nothing past it.
func (s *Sink) upload(sb *sealed) {
	err := s.store(s.upCtx, sb.p, sb.b)
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

// store writes one partition's batch: the table object and the dead letters.
func (s *Sink) store(ctx context.Context, p int32, b *partBatch) error {
	if b.nData > 0 {
		key := DataKey(s.opts.Prefix, s.opts.Topic, b.dt, s.opts.Format, p, b.firstData)
		body, size, contentType := b.data.Reader(), b.data.Len(), "application/x-ndjson"
		if s.opts.Format == catalog.FormatParquet {
			pq, err := b.pq.encode(s.table.cur.Load().types, parquetCodecs[s.opts.Compression])
			if err != nil {
				return fmt.Errorf("sink: partition %d at offset %d: %w", p, b.firstData, err)
			}
			body, size, contentType = bytes.NewReader(pq), len(pq), "application/vnd.apache.parquet"
			s.pqSizes.stored(p, b.pq, len(pq))
		}
		if err := s.put(ctx, key, body, size, contentType); err != nil {
			return err
		}
		s.table.register(ctx, b.dt)
	}
	if b.nBad > 0 {
		key := DeadLetterKey(s.opts.Prefix, s.opts.Topic, p, b.firstBad)
		if err := s.put(ctx, key, bytes.NewReader(b.bad), len(b.bad), "application/x-ndjson"); err != nil {
			return err
		}
	}
	s.statsMu.Lock()
	s.stats.Records += int64(b.nData)
	s.stats.DeadLetters += int64(b.nBad)
	s.statsMu.Unlock()
	return nil
}

// put stores one object of size bytes, retrying with exponential backoff (on
// top of the SDK's own retries) until it succeeds or ctx ends. Below the
// multipart threshold it is one PutObject of body as it is (the transfer
// manager would first copy it into a buffer of a part's size).
func (s *Sink) put(ctx context.Context, key string, body io.ReadSeeker, size int, contentType string) error {
	start := time.Now()
	err := retry(ctx, func() error {
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
			})
		} else {
			_, err = s.up.UploadObject(actx, &transfermanager.UploadObjectInput{
				Bucket:      aws.String(s.opts.Bucket),
				Key:         aws.String(key),
				Body:        body,
				ContentType: aws.String(contentType),
			})
		}
		if err != nil && ctx.Err() == nil {
			s.opts.Logger.Warn("put object failed; retrying", "key", key, "err", err)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("store s3://%s/%s: %w", s.opts.Bucket, key, err)
	}
	s.statsMu.Lock()
	s.stats.Objects++
	s.stats.Bytes += int64(size)
	s.statsMu.Unlock()
	if obs := s.opts.Observer; obs != nil {
		obs.ObjectStored(size, time.Since(start))
	}
	return nil
}

// retry calls fn with exponential backoff (on top of the SDK's own retries)
// until it succeeds or ctx ends.
func retry(ctx context.Context, fn func() error) error {
	_, err := backoff.Retry(ctx, func() (struct{}, error) {
		err := fn()
		if err != nil && needsUser(err) {
			return struct{}{}, backoff.Permanent(fmt.Errorf("%w: check that the bucket exists (or pass --bucket) and that the credentials may use it", err))
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
	case "NoSuchBucket", "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidBucketName", "AllAccessDisabled":
		return true
	}
	return false
}

// cleanLeftovers deletes the objects of r's partition that start at or after
// the offset this assignment resumes from: stored, never committed, and about
// to be rewritten by the replay that starts with r.
func (s *Sink) cleanLeftovers(ctx context.Context, r *kgo.Record) error {
	from := r.Offset
	if c, ok := s.cl.CommittedOffsets()[r.Topic][r.Partition]; ok && c.Offset >= 0 && c.Offset < from {
		from = c.Offset
	}
	var stale []s3types.ObjectIdentifier
	for _, prefix := range []string{
		tableFolder(s.opts.Prefix, s.opts.Topic),
		DeadLetterFolder(s.opts.Prefix, s.opts.Topic),
	} {
		pg := s3.NewListObjectsV2Paginator(s.s3, &s3.ListObjectsV2Input{
			Bucket: aws.String(s.opts.Bucket), Prefix: aws.String(prefix)})
		for pg.HasMorePages() {
			page, err := pg.NextPage(ctx)
			if err != nil {
				return fmt.Errorf("list s3://%s/%s: %w", s.opts.Bucket, prefix, err)
			}
			for _, o := range page.Contents {
				if p, off, ok := parseObjectName(aws.ToString(o.Key), s.opts.Topic); ok && p == r.Partition && off >= from {
					stale = append(stale, s3types.ObjectIdentifier{Key: o.Key})
				}
			}
		}
	}
	for _, o := range stale {
		if _, err := s.s3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(s.opts.Bucket), Key: o.Key}); err != nil {
			return fmt.Errorf("delete uncommitted leftover s3://%s/%s: %w", s.opts.Bucket, aws.ToString(o.Key), err)
		}
		s.opts.Logger.Info("deleted uncommitted leftover", "key", aws.ToString(o.Key))
	}
	s.statsMu.Lock()
	s.stats.Cleaned += int64(len(stale))
	s.statsMu.Unlock()
	return nil
}
