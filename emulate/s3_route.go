package emulate

import (
	"net/http"
	"slices"
	"strings"
)

// An S3 request names its operation by method, by whether it names a
// bucket and a key, and by a subresource in its query string (?tagging,
// ?acl, ?uploads, ...). Every subresource S3 defines is listed here; a
// request with one the emulator has no handler for is answered
// 501 NotImplemented before any handler runs, so that nothing mistakes a
// settings call (PutObjectTagging, DeleteBucketPolicy, ...) for a write of
// the object or bucket itself.

// level is what a request's path names.
type level int

const (
	levelService level = iota // no bucket
	levelBucket               // a bucket
	levelObject               // a bucket and a key
)

// s3Subresources are the query parameters that select an S3 operation
// other than the plain one of the method: every one in S3's API.
var s3Subresources = []string{
	"abac", "accelerate", "acl", "analytics", "attributes", "cors", "delete", "encryption",
	"intelligent-tiering", "inventory", "legal-hold", "lifecycle", "location", "logging",
	"metadataConfiguration", "metadataInventoryTable", "metadataJournalTable", "metadataTable", "metrics",
	"notification", "object-lock", "ownershipControls", "policy", "policyStatus", "publicAccessBlock",
	"renameObject", "replication", "requestPayment", "restore", "retention", "select", "session",
	"tagging", "torrent", "uploadId", "uploads", "versioning", "versions", "website",
}

// s3Op is one operation the emulator serves.
type s3Op struct {
	name    string // S3's name for it
	method  string
	level   level
	sub     string // the subresource that selects it; "" for none
	handler func(*s3API, *s3Req) error
}

// s3Ops are the operations served. Order matters where a request can
// match two: the first wins.
var s3Ops = []s3Op{
	{"ListBuckets", http.MethodGet, levelService, "", (*s3API).listBuckets},

	{"ListMultipartUploads", http.MethodGet, levelBucket, "uploads", (*s3API).listMultipartUploads},
	{"ListObjectVersions", http.MethodGet, levelBucket, "versions", (*s3API).listObjectVersions},
	{"GetBucketLocation", http.MethodGet, levelBucket, "location", (*s3API).getBucketLocation},
	{"GetBucketVersioning", http.MethodGet, levelBucket, "versioning", (*s3API).getBucketVersioning},
	{"PutBucketVersioning", http.MethodPut, levelBucket, "versioning", (*s3API).putBucketVersioning},
	{"GetBucketAcl", http.MethodGet, levelBucket, "acl", (*s3API).getBucketACL},
	{"PutBucketAcl", http.MethodPut, levelBucket, "acl", (*s3API).putBucketACL},
	{"GetBucketTagging", http.MethodGet, levelBucket, "tagging", (*s3API).getBucketTagging},
	{"PutBucketTagging", http.MethodPut, levelBucket, "tagging", (*s3API).putBucketTagging},
	{"DeleteBucketTagging", http.MethodDelete, levelBucket, "tagging", (*s3API).deleteBucketTagging},
	{"GetBucketCors", http.MethodGet, levelBucket, "cors", (*s3API).getBucketCORS},
	{"PutBucketCors", http.MethodPut, levelBucket, "cors", (*s3API).putBucketCORS},
	{"DeleteBucketCors", http.MethodDelete, levelBucket, "cors", (*s3API).deleteBucketCORS},
	{"GetBucketPolicy", http.MethodGet, levelBucket, "policy", (*s3API).getBucketPolicy},
	{"PutBucketPolicy", http.MethodPut, levelBucket, "policy", (*s3API).putBucketPolicy},
	{"DeleteBucketPolicy", http.MethodDelete, levelBucket, "policy", (*s3API).deleteBucketPolicy},
	{"GetBucketPolicyStatus", http.MethodGet, levelBucket, "policyStatus", (*s3API).getBucketPolicyStatus},
	{"GetBucketOwnershipControls", http.MethodGet, levelBucket, "ownershipControls", (*s3API).getBucketOwnershipControls},
	{"PutBucketOwnershipControls", http.MethodPut, levelBucket, "ownershipControls", (*s3API).putBucketOwnershipControls},
	{"DeleteBucketOwnershipControls", http.MethodDelete, levelBucket, "ownershipControls", (*s3API).deleteBucketOwnershipControls},
	{"GetPublicAccessBlock", http.MethodGet, levelBucket, "publicAccessBlock", (*s3API).getPublicAccessBlock},
	{"PutPublicAccessBlock", http.MethodPut, levelBucket, "publicAccessBlock", (*s3API).putPublicAccessBlock},
	{"DeletePublicAccessBlock", http.MethodDelete, levelBucket, "publicAccessBlock", (*s3API).deletePublicAccessBlock},
	{"GetBucketEncryption", http.MethodGet, levelBucket, "encryption", (*s3API).getBucketEncryption},
	{"GetBucketRequestPayment", http.MethodGet, levelBucket, "requestPayment", (*s3API).getBucketRequestPayment},
	{"DeleteObjects", http.MethodPost, levelBucket, "delete", (*s3API).deleteObjects},
	{"ListObjects", http.MethodGet, levelBucket, "", (*s3API).listObjects},
	{"CreateBucket", http.MethodPut, levelBucket, "", (*s3API).createBucket},
	{"DeleteBucket", http.MethodDelete, levelBucket, "", (*s3API).deleteBucket},
	{"HeadBucket", http.MethodHead, levelBucket, "", (*s3API).headBucket},
	{"PostObject", http.MethodPost, levelBucket, "", (*s3API).postObject},

	{"CreateMultipartUpload", http.MethodPost, levelObject, "uploads", (*s3API).createMultipartUpload},
	{"UploadPart", http.MethodPut, levelObject, "uploadId", (*s3API).uploadPart},
	{"CompleteMultipartUpload", http.MethodPost, levelObject, "uploadId", (*s3API).completeMultipartUpload},
	{"AbortMultipartUpload", http.MethodDelete, levelObject, "uploadId", (*s3API).abortMultipartUpload},
	{"ListParts", http.MethodGet, levelObject, "uploadId", (*s3API).listParts},
	{"GetObjectAcl", http.MethodGet, levelObject, "acl", (*s3API).getObjectACL},
	{"PutObjectAcl", http.MethodPut, levelObject, "acl", (*s3API).putObjectACL},
	{"GetObjectTagging", http.MethodGet, levelObject, "tagging", (*s3API).getObjectTagging},
	{"PutObjectTagging", http.MethodPut, levelObject, "tagging", (*s3API).putObjectTagging},
	{"DeleteObjectTagging", http.MethodDelete, levelObject, "tagging", (*s3API).deleteObjectTagging},
	{"GetObjectAttributes", http.MethodGet, levelObject, "attributes", (*s3API).getObjectAttributes},
	{"GetObject", http.MethodGet, levelObject, "", (*s3API).getObject},
	{"HeadObject", http.MethodHead, levelObject, "", (*s3API).headObject},
	{"PutObject", http.MethodPut, levelObject, "", (*s3API).putObject},
	{"DeleteObject", http.MethodDelete, levelObject, "", (*s3API).deleteObject},
}

// requestLevel is what q's path names.
func requestLevel(q *s3Req) level {
	switch {
	case q.bucket == "":
		return levelService
	case q.key == "":
		return levelBucket
	}
	return levelObject
}

// resolveOp finds q's operation: 501 NotImplemented naming the
// subresource if the emulator has none for it, 405 MethodNotAllowed for a
// method the resource has no operation for.
func resolveOp(q *s3Req) (*s3Op, error) {
	lv := requestLevel(q)
	var subs []string
	for _, s := range s3Subresources {
		if q.query.Has(s) {
			subs = append(subs, s)
		}
	}
	for i := range s3Ops {
		op := &s3Ops[i]
		if op.method != q.r.Method || op.level != lv {
			continue
		}
		if op.sub == "" && len(subs) == 0 || op.sub != "" && slices.Contains(subs, op.sub) {
			return op, nil
		}
	}
	if len(subs) > 0 {
		return nil, errNotImplemented(q.r.Method + " ?" + strings.Join(subs, "&?") + " (" + lv.String() + " subresource)")
	}
	if lv == levelService && q.r.Method != http.MethodGet {
		return nil, s3Err("MethodNotAllowed", "The specified method is not allowed against this resource.").
			with("Method", q.r.Method).with("ResourceType", "SERVICE")
	}
	return nil, s3Err("MethodNotAllowed", "The specified method is not allowed against this resource.").
		with("Method", q.r.Method).with("ResourceType", strings.ToUpper(lv.String()))
}

func (l level) String() string {
	switch l {
	case levelBucket:
		return "bucket"
	case levelObject:
		return "object"
	}
	return "service"
}

// unimplementedHeaders are request headers that ask for behaviour the
// emulator does not have; a request carrying one is refused with 501
// rather than served without it.
var unimplementedHeaders = []struct{ header, what string }{
	{"X-Amz-Object-Lock-Mode", "Object Lock (x-amz-object-lock-mode)"},
	{"X-Amz-Object-Lock-Retain-Until-Date", "Object Lock (x-amz-object-lock-retain-until-date)"},
	{"X-Amz-Object-Lock-Legal-Hold", "Object Lock (x-amz-object-lock-legal-hold)"},
	{"X-Amz-Bucket-Object-Lock-Enabled", "Object Lock (x-amz-bucket-object-lock-enabled)"},
	{"X-Amz-Server-Side-Encryption-Customer-Algorithm", "server-side encryption with customer keys (SSE-C)"},
	{"X-Amz-Copy-Source-Server-Side-Encryption-Customer-Algorithm", "server-side encryption with customer keys (SSE-C)"},
	{"X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id", "server-side encryption with KMS keys (SSE-KMS)"},
	{"X-Amz-Write-Offset-Bytes", "appending to objects (x-amz-write-offset-bytes)"},
}

// refuseUnimplementedHeaders answers 501 for a request that asks, by a
// header, for what the emulator does not do.
func refuseUnimplementedHeaders(q *s3Req, op *s3Op) error {
	for _, u := range unimplementedHeaders {
		if v := q.r.Header.Get(u.header); v != "" {
			if u.header == "X-Amz-Bucket-Object-Lock-Enabled" && !strings.EqualFold(v, "true") {
				continue
			}
			return errNotImplemented(u.what)
		}
	}
	if sse := q.r.Header.Get("X-Amz-Server-Side-Encryption"); sse != "" && sse != "AES256" {
		return errNotImplemented("server-side encryption " + sse + " (only AES256, S3's default, is accepted)")
	}
	return nil
}
