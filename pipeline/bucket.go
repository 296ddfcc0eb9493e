package pipeline

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/cenkalti/backoff/v5"
)

// bucketRetryTime bounds how long EnsureBucket retries an S3 that answers
// "slow down" or fails on its side, on top of the SDK's own retries.
const bucketRetryTime = 30 * time.Second

// EnsureBucket creates the bucket unless this account already owns it. An
// S3 that throttles or fails on its side (HTTP 5xx) is retried for a while,
// as the sink retries its PUTs; anything else fails at once.
func EnsureBucket(ctx context.Context, s3c *s3.Client, bucket string) error {
	_, err := backoff.Retry(ctx, func() (struct{}, error) {
		_, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)})
		var re *awshttp.ResponseError
		if err != nil && !(errors.As(err, &re) && re.HTTPStatusCode() >= 500) {
			return struct{}{}, backoff.Permanent(err)
		}
		return struct{}{}, err
	}, backoff.WithBackOff(backoff.NewExponentialBackOff()), backoff.WithMaxElapsedTime(bucketRetryTime))
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
