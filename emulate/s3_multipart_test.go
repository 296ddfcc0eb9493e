package emulate

import (
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// multipartETag is S3's ETag of an object made of parts.
func multipartETag(parts ...[]byte) string {
	h := md5.New()
	for _, p := range parts {
		s := md5.Sum(p)
		h.Write(s[:])
	}
	return fmt.Sprintf(`"%s-%d"`, hex.EncodeToString(h.Sum(nil)), len(parts))
}

// TestS3UploadPartCopy: an object copied in ranges into a multipart upload
// (what `aws s3 cp s3://a/big s3://b/x` does) has the source's bytes;
// ListParts and ListMultipartUploads show the upload meanwhile.
func TestS3UploadPartCopy(t *testing.T) {
	ctx := t.Context()
	_, _, c := startS3(t, "")
	bkt := aws.String("bkt")
	src := bytes.Repeat([]byte("0123456789abcdef"), (6<<20)/16+1000)
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: bkt, Key: aws.String("big"), Body: bytes.NewReader(src)}); err != nil {
		t.Fatal(err)
	}
	up, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: bkt, Key: aws.String("copy"), ContentType: aws.String("text/x-copy")})
	if err != nil {
		t.Fatal(err)
	}
	ranges := [][2]int{{0, 5<<20 - 1}, {5 << 20, len(src) - 1}}
	var done []types.CompletedPart
	for i, r := range ranges {
		out, err := c.UploadPartCopy(ctx, &s3.UploadPartCopyInput{Bucket: bkt, Key: aws.String("copy"), UploadId: up.UploadId,
			PartNumber: aws.Int32(int32(i + 1)), CopySource: aws.String("bkt/big"),
			CopySourceRange: aws.String(fmt.Sprintf("bytes=%d-%d", r[0], r[1]))})
		if err != nil {
			t.Fatal(err)
		}
		done = append(done, types.CompletedPart{ETag: out.CopyPartResult.ETag, PartNumber: aws.Int32(int32(i + 1))})
	}
	lp, err := c.ListParts(ctx, &s3.ListPartsInput{Bucket: bkt, Key: aws.String("copy"), UploadId: up.UploadId})
	if err != nil || len(lp.Parts) != 2 || aws.ToInt64(lp.Parts[0].Size) != 5<<20 {
		t.Errorf("ListParts: %+v, %v", lp, err)
	}
	lu, err := c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: bkt})
	if err != nil || len(lu.Uploads) != 1 || aws.ToString(lu.Uploads[0].UploadId) != aws.ToString(up.UploadId) {
		t.Errorf("ListMultipartUploads: %+v, %v", lu, err)
	}
	fin, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: bkt, Key: aws.String("copy"), UploadId: up.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: done}})
	if err != nil {
		t.Fatal(err)
	}
	if want := multipartETag(src[:5<<20], src[5<<20:]); aws.ToString(fin.ETag) != want {
		t.Errorf("ETag %s, want S3's %s", aws.ToString(fin.ETag), want)
	}
	got, out := sdkGet(t, c, "copy")
	if got != string(src) || aws.ToString(out.ContentType) != "text/x-copy" || aws.ToInt32(out.PartsCount) != 2 {
		t.Errorf("the copy: %d bytes, Content-Type %q, %d parts; want the source's %d bytes, text/x-copy, 2 parts",
			len(got), aws.ToString(out.ContentType), aws.ToInt32(out.PartsCount), len(src))
	}
	part2, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: bkt, Key: aws.String("copy"), PartNumber: aws.Int32(2)})
	if err != nil || aws.ToInt64(part2.ContentLength) != int64(len(src)-5<<20) {
		t.Errorf("GET of part 2: %v, length %d", err, aws.ToInt64(part2.ContentLength))
	} else {
		part2.Body.Close()
	}
	// A retried Complete gets the same answer.
	again, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: bkt, Key: aws.String("copy"), UploadId: up.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: done}})
	if err != nil || aws.ToString(again.ETag) != aws.ToString(fin.ETag) {
		t.Errorf("a retried Complete: %v, ETag %s", err, aws.ToString(again.ETag))
	}
	if lu, err := c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: bkt}); err != nil || len(lu.Uploads) != 0 {
		t.Errorf("uploads after completing: %+v, %v", lu.Uploads, err)
	}

	up2, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: bkt, Key: aws.String("bad")})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ rng, code string }{
		{"bytes=0-" + fmt.Sprint(len(src)), "InvalidArgument"}, // S3: "Range specified is not valid for source object of size: N"
		{"bytes=5-1", "InvalidArgument"},
		{"0-5", "InvalidArgument"},
	} {
		_, err := c.UploadPartCopy(ctx, &s3.UploadPartCopyInput{Bucket: bkt, Key: aws.String("bad"), UploadId: up2.UploadId,
			PartNumber: aws.Int32(1), CopySource: aws.String("bkt/big"), CopySourceRange: aws.String(tt.rng)})
		if apiCode(err) != tt.code {
			t.Errorf("copy range %q: %v, want %s", tt.rng, err, tt.code)
		}
	}
}

// TestS3MultipartErrors: S3's answers to a bad CompleteMultipartUpload.
func TestS3MultipartErrors(t *testing.T) {
	ctx := t.Context()
	_, _, c := startS3(t, "")
	bkt, key := aws.String("bkt"), aws.String("mp")
	up, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: bkt, Key: key})
	if err != nil {
		t.Fatal(err)
	}
	var parts []types.CompletedPart
	for i, body := range []string{"small", "tail"} {
		out, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: bkt, Key: key, UploadId: up.UploadId, PartNumber: aws.Int32(int32(i + 1)), Body: strings.NewReader(body)})
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, types.CompletedPart{ETag: out.ETag, PartNumber: aws.Int32(int32(i + 1))})
	}
	complete := func(ps []types.CompletedPart) error {
		_, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: bkt, Key: key, UploadId: up.UploadId,
			MultipartUpload: &types.CompletedMultipartUpload{Parts: ps}})
		return err
	}
	if err := complete(parts); apiCode(err) != "EntityTooSmall" {
		t.Errorf("a first part under 5 MiB: %v, want EntityTooSmall", err)
	}
	if err := complete([]types.CompletedPart{parts[1], parts[0]}); apiCode(err) != "InvalidPartOrder" {
		t.Errorf("parts out of order: %v, want InvalidPartOrder", err)
	}
	if err := complete([]types.CompletedPart{{ETag: aws.String(`"nope"`), PartNumber: aws.Int32(1)}}); apiCode(err) != "InvalidPart" {
		t.Errorf("a wrong ETag: %v, want InvalidPart", err)
	}
	if err := complete(parts[1:]); err != nil {
		t.Errorf("the last part alone: %v", err)
	}
	if _, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: bkt, Key: key, UploadId: aws.String("AAAAAAAAAAAAAAAAAAAAAAAA"),
		PartNumber: aws.Int32(1), Body: strings.NewReader("x")}); apiCode(err) != "NoSuchUpload" {
		t.Errorf("a part of an unknown upload: %v, want NoSuchUpload", err)
	}
	if _, err := c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: bkt, Key: key, UploadId: aws.String("AAAAAAAAAAAAAAAAAAAAAAAA")}); apiCode(err) != "NoSuchUpload" {
		t.Errorf("aborting an unknown upload: %v, want NoSuchUpload", err)
	}
}

// TestDiskStorePartsAreDurable: an uploaded part is on disk, not in
// memory: a store opened afresh on the same root (a restarted emulator)
// lists it and completes the upload with it.
func TestDiskStorePartsAreDurable(t *testing.T) {
	root := filepath.Join(t.TempDir(), "s3")
	s, err := OpenDiskStore(root)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreateBucket("bkt"); err != nil {
		t.Fatal(err)
	}
	u, err := s.CreateUpload("bkt", "k", OwnerOf("test"), ObjectMeta{ContentType: "text/plain"})
	if err != nil {
		t.Fatal(err)
	}
	p1 := bytes.Repeat([]byte("a"), MinPartSize)
	if _, err := s.PutPart(u, 1, bytes.NewReader(p1), int64(len(p1))); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PutPart(u, 2, strings.NewReader("end"), 3); err != nil {
		t.Fatal(err)
	}

	s2, err := OpenDiskStore(root)
	if err != nil {
		t.Fatal(err)
	}
	u2, err := s2.GetUpload("bkt", "k", u.ID)
	if err != nil {
		t.Fatal(err)
	}
	parts, err := s2.ListParts(u2)
	if err != nil || len(parts) != 2 || parts[0].Size != int64(len(p1)) {
		t.Fatalf("parts after reopening: %+v, %v", parts, err)
	}
	// A part whose description does not match its bytes (a crash between
	// the two renames) is not listed.
	if err := os.WriteFile(filepath.Join(s2.uploadDir(u.ID), partFile(2)), []byte("changed"), 0o644); err != nil {
		t.Fatal(err)
	}
	if parts, _ := s2.ListParts(u2); len(parts) != 1 {
		t.Errorf("a part whose bytes changed is still listed: %+v", parts)
	}
	if _, err := s2.PutPart(u2, 2, strings.NewReader("end"), 3); err != nil {
		t.Fatal(err)
	}
	info, err := s2.CompleteUpload(u2, []CompletedPart{{Number: 1, ETag: parts[0].ETag}, {Number: 2, ETag: md5Hex("end")}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	body, got := getString(t, s2, "bkt", "k")
	if body != string(p1)+"end" || got.Meta.ContentType != "text/plain" || len(got.Meta.Parts) != 2 || got.ETag != info.ETag {
		t.Errorf("completed object: %d bytes, %+v", len(body), got)
	}
}

// uploadParts starts an upload of key with the given checksum settings,
// uploads parts (their checksums computed by the SDK) and returns the
// upload ID and the completed parts.
func uploadParts(t *testing.T, c *s3.Client, key string, alg types.ChecksumAlgorithm, typ types.ChecksumType, parts ...[]byte) (*string, []types.CompletedPart) {
	t.Helper()
	ctx, bkt := t.Context(), aws.String("bkt")
	up, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: bkt, Key: aws.String(key), ChecksumAlgorithm: alg, ChecksumType: typ})
	if err != nil {
		t.Fatal(err)
	}
	var done []types.CompletedPart
	for i, p := range parts {
		out, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: bkt, Key: aws.String(key), UploadId: up.UploadId,
			PartNumber: aws.Int32(int32(i + 1)), Body: bytes.NewReader(p), ChecksumAlgorithm: alg})
		if err != nil {
			t.Fatal(err)
		}
		done = append(done, types.CompletedPart{ETag: out.ETag, PartNumber: aws.Int32(int32(i + 1)),
			ChecksumCRC32: out.ChecksumCRC32, ChecksumSHA256: out.ChecksumSHA256})
	}
	return up.UploadId, done
}

// TestS3MultipartChecksums: a multipart upload's checksum is a checksum of
// its parts' checksums ("-N" appended) when COMPOSITE, of the whole
// object's bytes when FULL_OBJECT; a whole-object checksum sent with
// CompleteMultipartUpload that does not match is BadDigest and stores
// nothing.
func TestS3MultipartChecksums(t *testing.T) {
	ctx := t.Context()
	store, _, c := startS3(t, "")
	bkt := aws.String("bkt")
	p1, p2 := bytes.Repeat([]byte("a"), MinPartSize), []byte("the last part")

	id, parts := uploadParts(t, c, "composite", types.ChecksumAlgorithmSha256, types.ChecksumTypeComposite, p1, p2)
	out, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: bkt, Key: aws.String("composite"), UploadId: id,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}})
	if err != nil {
		t.Fatal(err)
	}
	outer := sha256.New()
	for _, p := range [][]byte{p1, p2} {
		s := sha256.Sum256(p)
		outer.Write(s[:])
	}
	if want := base64.StdEncoding.EncodeToString(outer.Sum(nil)) + "-2"; aws.ToString(out.ChecksumSHA256) != want || out.ChecksumType != types.ChecksumTypeComposite {
		t.Errorf("COMPOSITE SHA256: %q %s, want %q COMPOSITE", aws.ToString(out.ChecksumSHA256), out.ChecksumType, want)
	}

	whole := crc32.NewIEEE()
	whole.Write(p1)
	whole.Write(p2)
	full := base64.StdEncoding.EncodeToString(whole.Sum(nil))
	id, parts = uploadParts(t, c, "full", types.ChecksumAlgorithmCrc32, types.ChecksumTypeFullObject, p1, p2)
	_, err = c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: bkt, Key: aws.String("full"), UploadId: id,
		ChecksumCRC32: aws.String(b64(crc32.NewIEEE(), "other")), ChecksumType: types.ChecksumTypeFullObject,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}})
	if apiCode(err) != "BadDigest" {
		t.Errorf("a wrong FULL_OBJECT CRC32: %v, want BadDigest", err)
	}
	if _, err := store.StatObject("bkt", "full", ""); !hasCode(err, "NoSuchKey") {
		t.Errorf("a refused completion stored the object: %v", err)
	}
	out, err = c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: bkt, Key: aws.String("full"), UploadId: id,
		ChecksumCRC32: aws.String(full), ChecksumType: types.ChecksumTypeFullObject,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.ChecksumCRC32) != full || out.ChecksumType != types.ChecksumTypeFullObject {
		t.Errorf("FULL_OBJECT CRC32: %q %s, want %q FULL_OBJECT", aws.ToString(out.ChecksumCRC32), out.ChecksumType, full)
	}
	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: bkt, Key: aws.String("full"), ChecksumMode: types.ChecksumModeEnabled})
	if err != nil || aws.ToString(head.ChecksumCRC32) != full {
		t.Errorf("HEAD of the FULL_OBJECT upload: %v, %v", head, err)
	}
}

// TestS3ConditionalComplete: CompleteMultipartUpload takes If-None-Match: *
// (never overwrite) and If-Match, as PutObject does; a refused completion
// leaves the object as it was.
func TestS3ConditionalComplete(t *testing.T) {
	ctx := t.Context()
	_, _, c := startS3(t, "")
	bkt := aws.String("bkt")
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: bkt, Key: aws.String("k"), Body: strings.NewReader("first")}); err != nil {
		t.Fatal(err)
	}
	complete := func(in s3.CompleteMultipartUploadInput) error {
		id, parts := uploadParts(t, c, "k", "", "", []byte("second"))
		in.Bucket, in.Key, in.UploadId = bkt, aws.String("k"), id
		in.MultipartUpload = &types.CompletedMultipartUpload{Parts: parts}
		_, err := c.CompleteMultipartUpload(ctx, &in)
		return err
	}
	if err := complete(s3.CompleteMultipartUploadInput{IfNoneMatch: aws.String("*")}); httpStatus(err) != http.StatusPreconditionFailed {
		t.Errorf("If-None-Match: * over an object: %v, want 412", err)
	}
	if err := complete(s3.CompleteMultipartUploadInput{IfMatch: aws.String(`"nope"`)}); httpStatus(err) != http.StatusPreconditionFailed {
		t.Errorf("a wrong If-Match: %v, want 412", err)
	}
	if got, _ := sdkGet(t, c, "k"); got != "first" {
		t.Errorf("after refused completions the object is %q", got)
	}
	if err := complete(s3.CompleteMultipartUploadInput{IfMatch: aws.String(`"` + md5Hex("first") + `"`)}); err != nil {
		t.Errorf("the right If-Match: %v", err)
	}
	if got, _ := sdkGet(t, c, "k"); got != "second" {
		t.Errorf("after the completion the object is %q", got)
	}
}

// TestUploadIDsAreNoOptions: no upload ID starts with "-" (the AWS CLI
// takes `--upload-id -x...` for an option and refuses it) or "_".
func TestUploadIDsAreNoOptions(t *testing.T) {
	for range 10000 {
		if id := newUploadID(); id[0] == '-' || id[0] == '_' || !validUploadID(id) {
			t.Fatalf("upload ID %q", id)
		}
	}
}
