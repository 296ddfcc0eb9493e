package catalog

import "strings"

// S3URI is the s3://bucket/key URI of a table's, partition's or query
// result's location (a folder's key ends in "/").
func S3URI(bucket, key string) string { return "s3://" + bucket + "/" + key }

// SplitS3URI splits an s3://bucket/key URI; ok is false when uri is not
// one. The bucket and key are not checked: each caller holds them to what
// it needs.
func SplitS3URI(uri string) (bucket, key string, ok bool) {
	rest, ok := strings.CutPrefix(uri, "s3://")
	if !ok {
		return "", "", false
	}
	bucket, key, _ = strings.Cut(rest, "/")
	return bucket, key, true
}
