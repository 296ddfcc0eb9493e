package emulate

import (
	"net/http"
	"strings"
)

// Buckets of another account, for tests of a pipeline in a bucket it did
// not make. S3 answers a CreateBucket of a bucket that another account owns
// with 409 BucketAlreadyExists, while its objects serve whoever the bucket
// policy lets in; the emulator lets every caller in, so only CreateBucket
// differs.

// ForeignBuckets makes the named buckets exist and belong to "another
// account": a CreateBucket of one is answered 409 BucketAlreadyExists, as
// S3 answers it; everything else is served as usual.
func (s *S3Server) ForeignBuckets(store *DiskStore, names ...string) error {
	set := map[string]bool{}
	for _, n := range names {
		if err := store.CreateBucket(n); err != nil {
			return err
		}
		set[n] = true
	}
	s.foreign.Store(&set)
	return nil
}

// refuseForeign answers r, and says so, if it creates a foreign bucket: a
// PUT of a bucket's path alone, with no subresource (?versioning, ...).
func (s *S3Server) refuseForeign(w http.ResponseWriter, r *http.Request) bool {
	set := s.foreign.Load()
	if set == nil || r.Method != http.MethodPut || r.URL.RawQuery != "" {
		return false
	}
	bucket := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/"), "/")
	if bucket == "" || strings.Contains(bucket, "/") || !(*set)[bucket] {
		return false
	}
	writeS3Error(w, r, s.api.requestID(), s3Err("BucketAlreadyExists",
		"The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.").
		with("BucketName", bucket))
	return true
}
