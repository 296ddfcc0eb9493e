package emulate

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash"
	"hash/crc32"
	"hash/crc64"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// do sends a request signed with the default credentials and returns the
// status, the body and the headers.
func do(t *testing.T, method, url string, body []byte, hdr map[string]string) (int, string, http.Header) {
	t.Helper()
	resp, err := http.DefaultClient.Do(signedRequest(t, method, url, body, hdr))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

// TestS3ObjectTagging: tags change and nothing else does; x-amz-tagging on
// PUT; S3's limits.
func TestS3ObjectTagging(t *testing.T) {
	ctx := t.Context()
	store, _, c := startS3(t, "")
	bkt := aws.String("bkt")
	sdkPut(t, c, "k", "the body")
	before, _ := store.StatObject("bkt", "k", "")
	tags := &types.Tagging{TagSet: []types.Tag{{Key: aws.String("team"), Value: aws.String("data")}, {Key: aws.String("tier"), Value: aws.String("")}}}
	if _, err := c.PutObjectTagging(ctx, &s3.PutObjectTaggingInput{Bucket: bkt, Key: aws.String("k"), Tagging: tags}); err != nil {
		t.Fatal(err)
	}
	got, out := sdkGet(t, c, "k")
	after, _ := store.StatObject("bkt", "k", "")
	if got != "the body" || after.ETag != before.ETag || !after.LastModified.Equal(before.LastModified) || aws.ToInt32(out.TagCount) != 2 {
		t.Errorf("after PutObjectTagging: %q, ETag %s -> %s, modified %v -> %v, tag count %d; want the same object with 2 tags",
			got, before.ETag, after.ETag, before.LastModified, after.LastModified, aws.ToInt32(out.TagCount))
	}
	gt, err := c.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: bkt, Key: aws.String("k")})
	if err != nil || len(gt.TagSet) != 2 || aws.ToString(gt.TagSet[0].Key) != "team" || aws.ToString(gt.TagSet[0].Value) != "data" {
		t.Errorf("GetObjectTagging = %+v, %v", gt, err)
	}
	if _, err := c.DeleteObjectTagging(ctx, &s3.DeleteObjectTaggingInput{Bucket: bkt, Key: aws.String("k")}); err != nil {
		t.Fatal(err)
	}
	if got, _ := sdkGet(t, c, "k"); got != "the body" {
		t.Errorf("DeleteObjectTagging changed the object: %q", got)
	}
	if gt, err := c.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: bkt, Key: aws.String("k")}); err != nil || len(gt.TagSet) != 0 {
		t.Errorf("after DeleteObjectTagging: %+v, %v", gt, err)
	}

	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: bkt, Key: aws.String("tagged"), Body: strings.NewReader("x"),
		Tagging: aws.String("a=1&b=two%20words")}); err != nil {
		t.Fatal(err)
	}
	gt, err = c.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: bkt, Key: aws.String("tagged")})
	if err != nil || len(gt.TagSet) != 2 || aws.ToString(gt.TagSet[1].Value) != "two words" {
		t.Errorf("x-amz-tagging on PUT: %+v, %v", gt.TagSet, err)
	}

	var eleven []types.Tag
	for i := range 11 {
		eleven = append(eleven, types.Tag{Key: aws.String(fmt.Sprint(i)), Value: aws.String("v")})
	}
	for name, set := range map[string][]types.Tag{
		"11 tags":        eleven,
		"a 129-char key": {{Key: aws.String(strings.Repeat("k", 129)), Value: aws.String("v")}},
		"aws: prefix":    {{Key: aws.String("aws:x"), Value: aws.String("v")}},
	} {
		_, err := c.PutObjectTagging(ctx, &s3.PutObjectTaggingInput{Bucket: bkt, Key: aws.String("k"), Tagging: &types.Tagging{TagSet: set}})
		if apiCode(err) != "InvalidTag" || httpStatus(err) != http.StatusBadRequest {
			t.Errorf("%s: %v, want 400 InvalidTag", name, err)
		}
	}
	if _, err := c.PutObjectTagging(ctx, &s3.PutObjectTaggingInput{Bucket: bkt, Key: aws.String("missing"), Tagging: tags}); apiCode(err) != "NoSuchKey" {
		t.Errorf("tagging a missing key: %v, want NoSuchKey", err)
	}
}

// TestS3ConditionalReads: If-Match, If-None-Match, If-Modified-Since and
// If-Unmodified-Since on GET and HEAD, and the copy source's conditions, as
// S3 answers them.
func TestS3ConditionalReads(t *testing.T) {
	ctx := t.Context()
	_, _, c := startS3(t, "")
	bkt, key := aws.String("bkt"), aws.String("k")
	sdkPut(t, c, "k", "v1")
	etag := `"` + md5Hex("v1") + `"`
	past, future := time.Now().Add(-time.Hour), time.Now().Add(time.Hour)
	tests := []struct {
		name   string
		in     s3.GetObjectInput
		status int // 0: served
	}{
		{"if-match", s3.GetObjectInput{IfMatch: aws.String(etag)}, 0},
		{"if-match wrong", s3.GetObjectInput{IfMatch: aws.String(`"nope"`)}, http.StatusPreconditionFailed},
		{"if-none-match", s3.GetObjectInput{IfNoneMatch: aws.String(etag)}, http.StatusNotModified},
		{"if-none-match other", s3.GetObjectInput{IfNoneMatch: aws.String(`"nope"`)}, 0},
		{"if-modified-since future", s3.GetObjectInput{IfModifiedSince: &future}, http.StatusNotModified},
		{"if-modified-since past", s3.GetObjectInput{IfModifiedSince: &past}, 0},
		{"if-unmodified-since past", s3.GetObjectInput{IfUnmodifiedSince: &past}, http.StatusPreconditionFailed},
		{"if-match wins over if-unmodified-since", s3.GetObjectInput{IfMatch: aws.String(etag), IfUnmodifiedSince: &past}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in
			in.Bucket, in.Key = bkt, key
			out, err := c.GetObject(ctx, &in)
			if err == nil {
				out.Body.Close()
			}
			if httpStatus(err) != tt.status {
				t.Errorf("GET: %v, want status %d", err, tt.status)
			}
			_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: bkt, Key: key, IfMatch: in.IfMatch, IfNoneMatch: in.IfNoneMatch,
				IfModifiedSince: in.IfModifiedSince, IfUnmodifiedSince: in.IfUnmodifiedSince})
			if httpStatus(err) != tt.status {
				t.Errorf("HEAD: %v, want status %d", err, tt.status)
			}
		})
	}
	copyIn := func(cond func(*s3.CopyObjectInput)) error {
		in := &s3.CopyObjectInput{Bucket: bkt, Key: aws.String("copy"), CopySource: aws.String("bkt/k")}
		cond(in)
		_, err := c.CopyObject(ctx, in)
		return err
	}
	if err := copyIn(func(in *s3.CopyObjectInput) { in.CopySourceIfMatch = aws.String(`"nope"`) }); httpStatus(err) != http.StatusPreconditionFailed {
		t.Errorf("copy with a wrong source If-Match: %v, want 412", err)
	}
	if err := copyIn(func(in *s3.CopyObjectInput) { in.CopySourceIfNoneMatch = aws.String(etag) }); httpStatus(err) != http.StatusPreconditionFailed {
		t.Errorf("copy with a matching source If-None-Match: %v, want 412", err)
	}
	if err := copyIn(func(in *s3.CopyObjectInput) { in.CopySourceIfMatch = aws.String(etag) }); err != nil {
		t.Errorf("copy with the source's ETag: %v", err)
	}
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: bkt, Key: key, IfMatch: aws.String(`"nope"`)}); httpStatus(err) != http.StatusPreconditionFailed {
		t.Errorf("delete with a wrong If-Match: %v, want 412", err)
	}
}

// b64 is the base64 of a hash of body.
func b64(h hash.Hash, body string) string {
	h.Write([]byte(body))
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

// TestS3Checksums: every checksum S3 verifies is verified, a mismatch is
// BadDigest and stores nothing; a good one is stored and reported.
func TestS3Checksums(t *testing.T) {
	store, srv, _ := startS3(t, "")
	if sum := crc64.Checksum([]byte("123456789"), crc64NVME); sum != 0xae8b14860a799888 {
		t.Fatalf("CRC-64/NVME of its check string: %x, want ae8b14860a799888", sum)
	}
	const body = "checksummed body"
	crc32c := crc32.New(crc32.MakeTable(crc32.Castagnoli))
	tests := []struct {
		header, good string
	}{
		{"x-amz-checksum-crc32", b64(crc32.NewIEEE(), body)},
		{"x-amz-checksum-crc32c", b64(crc32c, body)},
		{"x-amz-checksum-sha1", b64(sha1.New(), body)},
		{"x-amz-checksum-sha256", b64(sha256.New(), body)},
		{"x-amz-checksum-crc64nvme", b64(crc64.New(crc64NVME), body)},
		{"Content-MD5", b64(md5.New(), body)},
	}
	for _, tt := range tests {
		t.Run(tt.header, func(t *testing.T) {
			key := "good-" + tt.header
			st, msg, h := do(t, http.MethodPut, srv.URL()+"/bkt/"+key, []byte(body), map[string]string{tt.header: tt.good})
			if st != http.StatusOK {
				t.Fatalf("PUT with the right %s: %d %s", tt.header, st, msg)
			}
			if strings.HasPrefix(tt.header, "x-amz-checksum") {
				if h.Get(tt.header) != tt.good {
					t.Errorf("PUT answered %s %q, want %q", tt.header, h.Get(tt.header), tt.good)
				}
				st, _, h = do(t, http.MethodHead, srv.URL()+"/bkt/"+key, nil, map[string]string{"x-amz-checksum-mode": "ENABLED"})
				if st != http.StatusOK || h.Get(tt.header) != tt.good {
					t.Errorf("HEAD with checksum mode: %d, %s %q, want %q", st, tt.header, h.Get(tt.header), tt.good)
				}
			}
			wrong := b64(sha256.New(), "other")[:len(tt.good)-4] + tt.good[len(tt.good)-4:]
			if tt.header == "x-amz-checksum-sha256" {
				wrong = b64(sha256.New(), "other")
			}
			st, msg, _ = do(t, http.MethodPut, srv.URL()+"/bkt/bad-"+tt.header, []byte(body), map[string]string{tt.header: wrong})
			if st != http.StatusBadRequest || !strings.Contains(msg, "<Code>BadDigest</Code>") {
				t.Errorf("PUT with a wrong %s: %d %s, want 400 BadDigest", tt.header, st, msg)
			}
			if _, err := store.StatObject("bkt", "bad-"+tt.header, ""); !hasCode(err, "NoSuchKey") {
				t.Errorf("a PUT with a wrong %s stored the object: %v", tt.header, err)
			}
		})
	}
	if st, msg, _ := do(t, http.MethodPut, srv.URL()+"/bkt/x", []byte(body), map[string]string{"Content-MD5": "not-md5"}); st != http.StatusBadRequest || !strings.Contains(msg, "InvalidDigest") {
		t.Errorf("a malformed Content-MD5: %d %s, want 400 InvalidDigest", st, msg)
	}
	// A checksum that is no base64 value of its size is an invalid header,
	// not a mismatch.
	for _, v := range []string{"zz", "AAAAAAAA=="} {
		if st, msg, _ := do(t, http.MethodPut, srv.URL()+"/bkt/x", []byte(body), map[string]string{"x-amz-checksum-crc32": v}); st != http.StatusBadRequest ||
			!strings.Contains(msg, "<Code>InvalidRequest</Code>") || !strings.Contains(msg, "Value for x-amz-checksum-crc32 header is invalid.") {
			t.Errorf("a malformed x-amz-checksum-crc32 %q: %d %s, want 400 InvalidRequest", v, st, msg)
		}
	}
}

// chunkedBody encodes data as aws-chunked in chunks of n bytes, unsigned,
// with trailer lines after the final chunk.
func chunkedBody(data []byte, n int, trailer string) []byte {
	var b bytes.Buffer
	for len(data) > 0 {
		c := data[:min(n, len(data))]
		data = data[len(c):]
		fmt.Fprintf(&b, "%x\r\n%s\r\n", len(c), c)
	}
	b.WriteString("0\r\n" + trailer + "\r\n")
	return b.Bytes()
}

// TestS3AWSChunked: a body sent aws-chunked (as SDKs send trailing
// checksums) is stored decoded, its checksum trailer verified, and
// aws-chunked is not kept in Content-Encoding.
func TestS3AWSChunked(t *testing.T) {
	_, srv, c := startS3(t, "")
	data := bytes.Repeat([]byte("0123456789"), 10_000)
	crc := b64(crc32.NewIEEE(), string(data))
	for _, tt := range []struct {
		name, trailer string
		status        int
	}{
		{"right trailer", "x-amz-checksum-crc32:" + crc + "\r\n", http.StatusOK},
		{"wrong trailer", "x-amz-checksum-crc32:AAAAAA==\r\n", http.StatusBadRequest},
		{"no trailer", "", http.StatusBadRequest},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodPut, srv.URL()+"/bkt/chunked", bytes.NewReader(chunkedBody(data, 8192, tt.trailer)))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Encoding", "gzip, aws-chunked")
			req.Header.Set("X-Amz-Decoded-Content-Length", fmt.Sprint(len(data)))
			req.Header.Set("X-Amz-Trailer", "x-amz-checksum-crc32")
			req.Header.Set("X-Amz-Content-Sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER")
			creds := aws.Credentials{AccessKeyID: "test", SecretAccessKey: "test"}
			if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, "STREAMING-UNSIGNED-PAYLOAD-TRAILER", "s3", "us-east-1", time.Now()); err != nil {
				t.Fatal(err)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			msg, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Fatalf("%d %s, want %d", resp.StatusCode, msg, tt.status)
			}
			if tt.status != http.StatusOK {
				return
			}
			got, out := sdkGet(t, c, "chunked")
			if got != string(data) || aws.ToString(out.ContentEncoding) != "gzip" || aws.ToString(out.ETag) != `"`+md5Hex(string(data))+`"` {
				t.Errorf("stored %d bytes, Content-Encoding %q, ETag %s; want the %d decoded bytes, gzip",
					len(got), aws.ToString(out.ContentEncoding), aws.ToString(out.ETag), len(data))
			}
		})
	}
}

// TestS3SignedChunks: a signed streaming upload (STREAMING-AWS4-HMAC-SHA256-
// PAYLOAD) is stored when every chunk's signature holds, refused when one
// was changed in transit.
func TestS3SignedChunks(t *testing.T) {
	_, srv, c := startS3(t, "")
	data := bytes.Repeat([]byte("abcdefgh"), 3000)
	for _, tamper := range []bool{false, true} {
		now := time.Now().UTC()
		amzDate, day := now.Format("20060102T150405Z"), now.Format("20060102")
		req, err := http.NewRequest(http.MethodPut, srv.URL()+"/bkt/signed", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Encoding", "aws-chunked")
		req.Header.Set("X-Amz-Decoded-Content-Length", fmt.Sprint(len(data)))
		req.Header.Set("X-Amz-Content-Sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD")
		creds := aws.Credentials{AccessKeyID: "test", SecretAccessKey: "test"}
		if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", "s3", "us-east-1", now); err != nil {
			t.Fatal(err)
		}
		auth := req.Header.Get("Authorization")
		prev := auth[strings.Index(auth, "Signature=")+len("Signature="):]
		mac := func(k []byte, s string) []byte { m := hmac.New(sha256.New, k); m.Write([]byte(s)); return m.Sum(nil) }
		key := mac(mac(mac(mac([]byte("AWS4test"), day), "us-east-1"), "s3"), "aws4_request")
		scope := day + "/us-east-1/s3/aws4_request"
		empty := sha256.Sum256(nil)
		var body bytes.Buffer
		for _, chunk := range [][]byte{data[:16384], data[16384:], nil} {
			sum := sha256.Sum256(chunk)
			sig := hex.EncodeToString(mac(key, "AWS4-HMAC-SHA256-PAYLOAD\n"+amzDate+"\n"+scope+"\n"+prev+"\n"+hex.EncodeToString(empty[:])+"\n"+hex.EncodeToString(sum[:])))
			sent := chunk
			if tamper && len(chunk) > 0 {
				sent = append([]byte("X"), chunk[1:]...)
			}
			fmt.Fprintf(&body, "%x;chunk-signature=%s\r\n%s\r\n", len(chunk), sig, sent)
			prev = sig
		}
		req.Body = io.NopCloser(&body)
		req.ContentLength = int64(body.Len())
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		msg, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !tamper && resp.StatusCode != http.StatusOK {
			t.Fatalf("signed chunks: %d %s", resp.StatusCode, msg)
		}
		if tamper && (resp.StatusCode != http.StatusForbidden || !strings.Contains(string(msg), "SignatureDoesNotMatch")) {
			t.Errorf("a changed chunk: %d %s, want 403 SignatureDoesNotMatch", resp.StatusCode, msg)
		}
	}
	if got, _ := sdkGet(t, c, "signed"); got != string(data) {
		t.Errorf("stored %d bytes, want the %d sent before the tampered upload", len(got), len(data))
	}
}

// TestS3Metadata: metadata names come back lower case on the wire, values
// as sent; an object stored without a Content-Type has S3's default; the
// content headers round-trip.
func TestS3Metadata(t *testing.T) {
	ctx := t.Context()
	_, srv, c := startS3(t, "")
	expires := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bkt"), Key: aws.String("m"), Body: strings.NewReader("x"),
		Metadata:     map[string]string{"Mixed-Case": "Value", "empty": "", "unicode": "日本é"},
		CacheControl: aws.String("public, max-age=14400"), ContentDisposition: aws.String(`attachment; filename="x.txt"`),
		ContentLanguage: aws.String("fr"), Expires: &expires}); err != nil {
		t.Fatal(err)
	}
	_, out := sdkGet(t, c, "m")
	if out.Metadata["mixed-case"] != "Value" || out.Metadata["unicode"] != "日本é" || aws.ToString(out.CacheControl) != "public, max-age=14400" ||
		aws.ToString(out.ContentDisposition) != `attachment; filename="x.txt"` || aws.ToString(out.ContentLanguage) != "fr" {
		t.Errorf("metadata %v, Cache-Control %q, Content-Disposition %q, Content-Language %q, Content-Type %q",
			out.Metadata, aws.ToString(out.CacheControl), aws.ToString(out.ContentDisposition), aws.ToString(out.ContentLanguage), aws.ToString(out.ContentType))
	}
	if _, ok := out.Metadata["empty"]; !ok {
		t.Errorf("an empty metadata value was dropped: %v", out.Metadata)
	}
	// On the wire (Go's client would canonicalize the names): lower case,
	// as S3 sends them.
	conn, err := net.Dial("tcp", strings.TrimPrefix(srv.URL(), "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := signedRequest(t, http.MethodHead, srv.URL()+"/bkt/m", nil, nil).Write(conn); err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	var raw []byte
	buf := make([]byte, 4096)
	for !bytes.Contains(raw, []byte("\r\n\r\n")) {
		n, err := conn.Read(buf)
		raw = append(raw, buf[:n]...)
		if err != nil {
			break
		}
	}
	if !strings.Contains(string(raw), "\r\nx-amz-meta-mixed-case: Value\r\n") {
		t.Errorf("HEAD response:\n%s\nwant the header x-amz-meta-mixed-case, lower case", raw)
	}
	// An object stored without a Content-Type has S3's default.
	if st, _, _ := do(t, http.MethodPut, srv.URL()+"/bkt/untyped", []byte("x"), nil); st != http.StatusOK {
		t.Fatal(st)
	}
	if _, out := sdkGet(t, c, "untyped"); aws.ToString(out.ContentType) != "binary/octet-stream" {
		t.Errorf("Content-Type of an object stored without one: %q, want binary/octet-stream", aws.ToString(out.ContentType))
	}
	// Replaced on the next PUT, as in S3.
	sdkPut(t, c, "m", "y")
	if _, out := sdkGet(t, c, "m"); len(out.Metadata) != 0 {
		t.Errorf("metadata after a PUT without any: %v", out.Metadata)
	}
}

// TestS3PresignedURLs: a presigned URL is served until it expires; an
// expired, tampered or too-long one is refused.
func TestS3PresignedURLs(t *testing.T) {
	_, srv, c := startS3(t, "")
	sdkPut(t, c, "secret", "the data")
	presign := func(key string, signedAt time.Time, expires time.Duration) string {
		req, err := http.NewRequest(http.MethodGet, srv.URL()+"/bkt/"+key, nil)
		if err != nil {
			t.Fatal(err)
		}
		q := req.URL.Query()
		q.Set("X-Amz-Expires", fmt.Sprint(int(expires.Seconds())))
		req.URL.RawQuery = q.Encode()
		u, _, err := v4.NewSigner().PresignHTTP(context.Background(), aws.Credentials{AccessKeyID: "test", SecretAccessKey: "test"},
			req, "UNSIGNED-PAYLOAD", "s3", "us-east-1", signedAt)
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	get := func(u string) (int, string) {
		resp, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if st, body := get(presign("secret", time.Now(), time.Hour)); st != http.StatusOK || body != "the data" {
		t.Errorf("a valid URL: %d %q", st, body)
	}
	if st, body := get(presign("secret", time.Now().Add(-2*time.Hour), time.Hour)); st != http.StatusForbidden || !strings.Contains(body, "Request has expired") {
		t.Errorf("an expired URL: %d %s, want 403 Request has expired", st, body)
	}
	if st, body := get(presign("secret", time.Now(), 8*24*time.Hour)); st != http.StatusBadRequest || !strings.Contains(body, "AuthorizationQueryParametersError") {
		t.Errorf("a URL valid for 8 days: %d %s, want 400 AuthorizationQueryParametersError, as S3", st, body)
	}
	if st, body := get(presign("secret", time.Now(), 7*24*time.Hour)); st != http.StatusOK || body != "the data" {
		t.Errorf("a URL valid for 7 days: %d %q, want it served", st, body)
	}
	u := presign("secret", time.Now(), time.Hour)
	tampered := strings.Replace(u, "/bkt/secret?", "/bkt/other?", 1)
	if st, body := get(tampered); st != http.StatusForbidden || !strings.Contains(body, "SignatureDoesNotMatch") {
		t.Errorf("a URL with another key: %d %s, want 403 SignatureDoesNotMatch", st, body)
	}
	parsed, _ := url.Parse(u)
	q := parsed.Query()
	q.Set("X-Amz-Expires", "7200")
	parsed.RawQuery = q.Encode()
	if st, _ := get(parsed.String()); st != http.StatusForbidden {
		t.Errorf("a URL whose expiry was extended: %d, want 403", st)
	}
	if st, _ := get(srv.URL() + "/bkt/secret"); st != http.StatusForbidden {
		t.Errorf("an unsigned GET of a private object: %d, want 403", st)
	}
}

// TestS3VirtualHostedStyle: a client that puts the bucket in the Host
// (<bucket>.localhost) is served as one that puts it in the path.
func TestS3VirtualHostedStyle(t *testing.T) {
	ctx := t.Context()
	_, srv, pathStyle := startS3(t, "")
	addr := strings.TrimPrefix(srv.URL(), "http://")
	_, port, _ := net.SplitHostPort(addr)
	dialer := &net.Dialer{}
	tr := &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return dialer.DialContext(ctx, network, addr) // every *.localhost is this machine
	}}
	c := newS3Client("http://localhost:"+port, func(o *s3.Options) {
		o.UsePathStyle = false
		o.HTTPClient = &http.Client{Transport: tr}
	})
	seen := ""
	c2 := newS3Client("http://localhost:"+port, func(o *s3.Options) {
		o.UsePathStyle = false
		o.HTTPClient = &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
			seen = r.URL.Host
			return tr.RoundTrip(r)
		})}
	})
	if _, err := c2.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bkt"), Key: aws.String("dir/v.txt"), Body: strings.NewReader("virtual")}); err != nil {
		t.Fatal(err)
	}
	if seen != "bkt.localhost:"+port {
		t.Errorf("the client sent Host %q, want bkt.localhost:%s", seen, port)
	}
	if got, _ := sdkGet(t, pathStyle, "dir/v.txt"); got != "virtual" {
		t.Errorf("path-style GET of a virtual-hosted PUT: %q", got)
	}
	out, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("bkt"), Prefix: aws.String("dir/")})
	if err != nil || len(out.Contents) != 1 || aws.ToString(out.Contents[0].Key) != "dir/v.txt" {
		t.Errorf("virtual-hosted listing: %+v, %v", out, err)
	}
	o, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("bkt"), Key: aws.String("dir/v.txt")})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(o.Body)
	o.Body.Close()
	if string(b) != "virtual" {
		t.Errorf("virtual-hosted GET: %q", b)
	}
	// s3[.region].localhost names the service, as s3.<region>.amazonaws.com
	// does: path-style there, and a bucket before it is virtual-hosted.
	for _, c := range []struct {
		endpoint  string
		pathStyle bool
		host      string
	}{
		{"http://s3.localhost:" + port, true, "s3.localhost:" + port},
		{"http://s3.us-east-1.localhost:" + port, true, "s3.us-east-1.localhost:" + port},
		{"http://s3.localhost:" + port, false, "bkt.s3.localhost:" + port},
		{"http://s3.us-east-1.localhost:" + port, false, "bkt.s3.us-east-1.localhost:" + port},
	} {
		cl := newS3Client(c.endpoint, func(o *s3.Options) {
			o.UsePathStyle = c.pathStyle
			o.HTTPClient = &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
				seen = r.URL.Host
				return tr.RoundTrip(r)
			})}
		})
		o, err := cl.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("bkt"), Key: aws.String("dir/v.txt")})
		if err != nil {
			t.Errorf("GET through %s (path-style %v): %v", c.endpoint, c.pathStyle, err)
			continue
		}
		b, _ := io.ReadAll(o.Body)
		o.Body.Close()
		if string(b) != "virtual" || seen != c.host {
			t.Errorf("GET through %s (path-style %v) sent Host %q, read %q; want Host %q", c.endpoint, c.pathStyle, seen, b, c.host)
		}
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestS3ListingDetails: MaxKeys 0 lists nothing and is not truncated;
// encoding-type=url encodes keys; FetchOwner; an empty continuation token
// starts at the top.
func TestS3ListingDetails(t *testing.T) {
	ctx := t.Context()
	_, srv, c := startS3(t, "")
	for _, k := range []string{"a b/c", "plus+1", "x"} {
		sdkPut(t, c, k, "v")
	}
	out, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("bkt"), MaxKeys: aws.Int32(0)})
	if err != nil || len(out.Contents) != 0 || aws.ToBool(out.IsTruncated) {
		t.Errorf("MaxKeys 0: %d keys, truncated %v, %v; want none, not truncated", len(out.Contents), aws.ToBool(out.IsTruncated), err)
	}
	out, err = c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("bkt"), ContinuationToken: aws.String(""), FetchOwner: aws.Bool(true)})
	if err != nil || len(out.Contents) != 3 || out.Contents[0].Owner == nil || aws.ToString(out.Contents[0].Owner.ID) != OwnerOf("test").ID {
		t.Errorf("empty continuation token, FetchOwner: %+v, %v", out, err)
	}
	st, body, _ := do(t, http.MethodGet, srv.URL()+"/bkt?list-type=2&encoding-type=url&delimiter=/", nil, nil)
	if st != http.StatusOK || !strings.Contains(body, "<Key>plus%2B1</Key>") || !strings.Contains(body, "<Prefix>a%20b/</Prefix>") ||
		!strings.Contains(body, "<EncodingType>url</EncodingType>") {
		t.Errorf("encoding-type=url: %d %s", st, body)
	}
	if st, body, _ := do(t, http.MethodGet, srv.URL()+"/bkt?max-keys=-1", nil, nil); st != http.StatusBadRequest || !strings.Contains(body, "InvalidArgument") {
		t.Errorf("max-keys=-1: %d %s", st, body)
	}
	v, err := c.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String("bkt")})
	if err != nil || len(v.Versions) != 3 || aws.ToString(v.Versions[0].VersionId) != "null" || !aws.ToBool(v.Versions[0].IsLatest) {
		t.Errorf("ListObjectVersions of an unversioned bucket: %+v, %v; want each object once, version null, latest", v.Versions, err)
	}
	u, err := c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String("bkt")})
	if err != nil || len(u.Uploads) != 0 {
		t.Errorf("ListMultipartUploads with none open: %+v, %v; want an empty list", u, err)
	}
}
