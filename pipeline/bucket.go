package pipeline

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// EnsureBucket creates the bucket unless this account already owns it.
func EnsureBucket(ctx context.Context, s3c *s3.Client, bucket string) error {
	_, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)})
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

// CleanPrefix checks a user-given key prefix and returns it ending in "/"
// ("" stays ""). A prefix is folders: no empty, "." or ".." segment, no
// control characters, so it means the same thing on every S3 implementation
// and on the emulator's disk.
func CleanPrefix(p string) (string, error) {
	if p == "" {
		return "", nil
	}
	p = strings.TrimSuffix(p, "/")
	for _, seg := range strings.Split(p, "/") {
		if seg == "" || seg == "." || seg == ".." || strings.ContainsFunc(seg, unicode.IsControl) {
			return "", fmt.Errorf("bad key prefix %q: use folder names separated by /, without empty, . or .. parts", p)
		}
	}
	return p + "/", nil
}
