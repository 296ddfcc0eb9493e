package pipeline

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/cenkalti/backoff/v5"
)

// bucketRetryTime bounds how long EnsureBucket retries an S3 that answers
// "slow down" or fails on its side, on top of the SDK's own retries.
const bucketRetryTime = 30 * time.Second

// EnsureBucket makes sure the bucket exists and these credentials may use
// it: a HeadBucket first, and a CreateBucket only if the bucket does not
// exist. So a bucket made beforehand (by another account, another tool, or
// on an S3-compatible store) needs no s3:CreateBucket, only s3:ListBucket,
// which HeadBucket asks for. An S3 that throttles or fails on its side (HTTP
// 5xx) is retried for a while, as the sink retries its PUTs; anything else
// fails at once, with one line that says what to do.
func EnsureBucket(ctx context.Context, s3c *s3.Client, bucket string) error {
	err := CheckBucket(ctx, s3c, bucket)
	if !errors.Is(err, ErrNoBucket) {
		return err
	}
	err = retryServer(ctx, func() error {
		_, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)})
		return err
	})
	var owned *s3types.BucketAlreadyOwnedByYou
	var exists *s3types.BucketAlreadyExists
	switch {
	case err == nil, errors.As(err, &owned):
		return nil
	case errors.As(err, &exists):
		return fmt.Errorf("bucket %q belongs to another account: pass another --bucket", bucket)
	default:
		return fmt.Errorf("create bucket %q: %w", bucket, err)
	}
}

// ErrNoBucket is wrapped by CheckBucket's error when the bucket does not
// exist.
var ErrNoBucket = errors.New("no such bucket")

// CheckBucket makes sure the bucket exists and these credentials may use it,
// with HeadBucket (which needs s3:ListBucket), and says what to do if not.
// What fails on S3's side is retried for a while, as in EnsureBucket.
func CheckBucket(ctx context.Context, s3c *s3.Client, bucket string) error {
	var status int
	err := retryServer(ctx, func() error {
		_, err := s3c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(bucket)})
		status = httpStatus(err)
		return err
	})
	switch {
	case err == nil:
		return nil
	case status == http.StatusNotFound:
		return fmt.Errorf("bucket %q does not exist: %w; create it (pipeline setup) or pass --bucket", bucket, ErrNoBucket)
	case status == http.StatusForbidden:
		return fmt.Errorf("bucket %q exists but these credentials may not use it (403 on HeadBucket): ask its owner for s3:ListBucket on it (pipeline setup --print shows each role's policy), or pass another --bucket", bucket)
	case status == http.StatusMovedPermanently:
		return fmt.Errorf("bucket %q is in another region than AWS_REGION (301 on HeadBucket): set AWS_REGION to the bucket's region", bucket)
	}
	return fmt.Errorf("check bucket %q: %w", bucket, err)
}

// retryServer calls fn until it succeeds, fails other than on the server's
// side (HTTP 5xx), or bucketRetryTime has passed.
func retryServer(ctx context.Context, fn func() error) error {
	_, err := backoff.Retry(ctx, func() (struct{}, error) {
		err := fn()
		if err != nil && httpStatus(err) < 500 {
			return struct{}{}, backoff.Permanent(err)
		}
		return struct{}{}, err
	}, backoff.WithBackOff(backoff.NewExponentialBackOff()), backoff.WithMaxElapsedTime(bucketRetryTime))
	return err
}
