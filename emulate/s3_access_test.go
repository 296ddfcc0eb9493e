package emulate

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// startS3Users serves a fresh store with two accounts, owner and other,
// and returns a client of each and the server.
func startS3Users(t *testing.T) (*S3Server, *s3.Client, *s3.Client) {
	t.Helper()
	store, err := OpenDiskStore(filepath.Join(t.TempDir(), "s3"))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := StartS3(store, "", &S3Options{Credentials: []Credential{{"owner", "owner-secret"}, {"other", "other-secret"}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	client := func(key, secret string) *s3.Client {
		return newS3Client(srv.URL(), func(o *s3.Options) {
			o.Credentials = credentials.NewStaticCredentialsProvider(key, secret, "")
			o.RetryMaxAttempts = 1
		})
	}
	owner := client("owner", "owner-secret")
	if _, err := owner.CreateBucket(t.Context(), &s3.CreateBucketInput{Bucket: aws.String("bkt")}); err != nil {
		t.Fatal(err)
	}
	return srv, owner, client("other", "other-secret")
}

// anonGet is an unsigned GET.
func anonGet(t *testing.T, url string) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestS3Credentials: requests are checked against the configured keys.
func TestS3Credentials(t *testing.T) {
	srv, owner, _ := startS3Users(t)
	ctx := t.Context()
	wrong := newS3Client(srv.URL(), func(o *s3.Options) {
		o.Credentials = credentials.NewStaticCredentialsProvider("owner", "not-the-secret", "")
		o.RetryMaxAttempts = 1
	})
	if _, err := wrong.ListBuckets(ctx, &s3.ListBucketsInput{}); apiCode(err) != "SignatureDoesNotMatch" || httpStatus(err) != http.StatusForbidden {
		t.Errorf("a wrong secret: %v, want 403 SignatureDoesNotMatch", err)
	}
	unknown := newS3Client(srv.URL(), func(o *s3.Options) {
		o.Credentials = credentials.NewStaticCredentialsProvider("stranger", "x", "")
		o.RetryMaxAttempts = 1
	})
	if _, err := unknown.ListBuckets(ctx, &s3.ListBucketsInput{}); apiCode(err) != "InvalidAccessKeyId" || httpStatus(err) != http.StatusForbidden {
		t.Errorf("an unknown key: %v, want 403 InvalidAccessKeyId", err)
	}
	if st := anonGet(t, srv.URL()+"/"); st != http.StatusForbidden {
		t.Errorf("an unsigned ListBuckets: %d, want 403", st)
	}
	if _, err := owner.ListBuckets(ctx, &s3.ListBucketsInput{}); err != nil {
		t.Errorf("the owner's own key: %v", err)
	}
}

// TestS3ACLs: an object is its writer's; another account and anonymous
// callers read it only as its ACL allows; ACL calls change nothing else.
func TestS3ACLs(t *testing.T) {
	srv, owner, other := startS3Users(t)
	ctx := t.Context()
	bkt := aws.String("bkt")
	if _, err := owner.PutObject(ctx, &s3.PutObjectInput{Bucket: bkt, Key: aws.String("priv"), Body: strings.NewReader("p")}); err != nil {
		t.Fatal(err)
	}
	if _, err := other.GetObject(ctx, &s3.GetObjectInput{Bucket: bkt, Key: aws.String("priv")}); apiCode(err) != "AccessDenied" {
		t.Errorf("another account reading a private object: %v, want AccessDenied", err)
	}
	if st := anonGet(t, srv.URL()+"/bkt/priv"); st != http.StatusForbidden {
		t.Errorf("an anonymous read of a private object: %d, want 403", st)
	}
	if _, err := owner.PutObjectAcl(ctx, &s3.PutObjectAclInput{Bucket: bkt, Key: aws.String("priv"), ACL: types.ObjectCannedACLPublicRead}); err != nil {
		t.Fatal(err)
	}
	if st := anonGet(t, srv.URL()+"/bkt/priv"); st != http.StatusOK {
		t.Errorf("an anonymous read of a public-read object: %d, want 200", st)
	}
	if got, _ := sdkGet(t, owner, "priv"); got != "p" {
		t.Errorf("PutObjectAcl changed the object: %q", got)
	}
	acl, err := owner.GetObjectAcl(ctx, &s3.GetObjectAclInput{Bucket: bkt, Key: aws.String("priv")})
	if err != nil || len(acl.Grants) != 2 || aws.ToString(acl.Owner.ID) != OwnerOf("owner").ID {
		t.Errorf("GetObjectAcl: %+v, %v", acl, err)
	}
	// Another account may not write to the bucket, until its ACL lets it.
	if _, err := other.PutObject(ctx, &s3.PutObjectInput{Bucket: bkt, Key: aws.String("theirs"), Body: strings.NewReader("t")}); apiCode(err) != "AccessDenied" {
		t.Errorf("another account writing: %v, want AccessDenied", err)
	}
	if _, err := owner.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: bkt, GrantWrite: aws.String(`id="` + OwnerOf("other").ID + `"`)}); err != nil {
		t.Fatal(err)
	}
	if _, err := other.PutObject(ctx, &s3.PutObjectInput{Bucket: bkt, Key: aws.String("theirs"), Body: strings.NewReader("t")}); err != nil {
		t.Errorf("another account writing with a WRITE grant: %v", err)
	}
	if _, err := owner.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: bkt, GrantRead: aws.String(`id="nobody"`)}); apiCode(err) != "InvalidArgument" {
		t.Errorf("a grant to an unknown ID: %v, want InvalidArgument", err)
	}
	// BucketOwnerEnforced: ACLs are off.
	if _, err := owner.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("enforced"), ObjectOwnership: types.ObjectOwnershipBucketOwnerEnforced}); err != nil {
		t.Fatal(err)
	}
	if _, err := owner.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("enforced"), Key: aws.String("k"), Body: strings.NewReader("x"),
		ACL: types.ObjectCannedACLPublicRead}); apiCode(err) != "AccessControlListNotSupported" {
		t.Errorf("a public-read PUT under BucketOwnerEnforced: %v, want AccessControlListNotSupported", err)
	}
}

// TestS3BucketPolicy: a bucket policy opens a bucket to everyone, and a
// Deny closes it even to its owner; PolicyStatus says public.
func TestS3BucketPolicy(t *testing.T) {
	srv, owner, other := startS3Users(t)
	ctx := t.Context()
	bkt := aws.String("bkt")
	if _, err := owner.PutObject(ctx, &s3.PutObjectInput{Bucket: bkt, Key: aws.String("public/a"), Body: strings.NewReader("a")}); err != nil {
		t.Fatal(err)
	}
	policy := map[string]any{"Version": "2012-10-17", "Statement": []any{
		map[string]any{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::bkt/public/*"},
		map[string]any{"Effect": "Deny", "Principal": map[string]any{"AWS": "*"}, "Action": "s3:DeleteObject", "Resource": "arn:aws:s3:::bkt/*"},
	}}
	b, _ := json.Marshal(policy)
	if _, err := owner.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: bkt, Policy: aws.String(string(b))}); err != nil {
		t.Fatal(err)
	}
	if st := anonGet(t, srv.URL()+"/bkt/public/a"); st != http.StatusOK {
		t.Errorf("an anonymous GET the policy allows: %d, want 200", st)
	}
	if _, err := other.GetObject(ctx, &s3.GetObjectInput{Bucket: bkt, Key: aws.String("public/a")}); err != nil {
		t.Errorf("another account's GET the policy allows: %v", err)
	}
	if _, err := owner.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: bkt, Key: aws.String("public/a")}); apiCode(err) != "AccessDenied" {
		t.Errorf("the owner's DELETE the policy denies: %v, want AccessDenied", err)
	}
	if ps, err := owner.GetBucketPolicyStatus(ctx, &s3.GetBucketPolicyStatusInput{Bucket: bkt}); err != nil || !aws.ToBool(ps.PolicyStatus.IsPublic) {
		t.Errorf("PolicyStatus: %+v, %v; want public", ps, err)
	}
	got, err := owner.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: bkt})
	if err != nil || aws.ToString(got.Policy) != string(b) {
		t.Errorf("GetBucketPolicy: %v, %v", got, err)
	}
	if _, err := owner.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: bkt, Policy: aws.String("not json")}); apiCode(err) != "MalformedPolicy" {
		t.Errorf("a policy that is not JSON: %v, want MalformedPolicy", err)
	}
}

// postForm builds a browser's form upload: fields, then the file.
func postForm(t *testing.T, fields [][2]string, file string) (*bytes.Buffer, string) {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for _, f := range fields {
		w.WriteField(f[0], f[1])
	}
	fw, err := w.CreateFormFile("file", "upload.txt")
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(fw, file)
	w.Close()
	return &b, w.FormDataContentType()
}

// TestS3PostObject: a browser form upload signed with a SigV4 POST policy
// stores the file; one that breaks its policy, has expired or is signed
// with another key stores nothing.
func TestS3PostObject(t *testing.T) {
	_, srv, c := startS3(t, "")
	now := time.Now().UTC()
	day := now.Format("20060102")
	cred := "test/" + day + "/us-east-1/s3/aws4_request"
	sign := func(expiration time.Time, conds ...any) [][2]string {
		doc, _ := json.Marshal(map[string]any{"expiration": expiration.Format("2006-01-02T15:04:05.000Z"), "conditions": append([]any{
			map[string]string{"bucket": "bkt"}, []any{"starts-with", "$key", "uploads/"},
			map[string]string{"x-amz-algorithm": "AWS4-HMAC-SHA256"}, map[string]string{"x-amz-credential": cred},
			map[string]string{"x-amz-date": now.Format("20060102T150405Z")},
		}, conds...)})
		policy := base64.StdEncoding.EncodeToString(doc)
		mac := func(k []byte, s string) []byte { m := hmac.New(sha256.New, k); m.Write([]byte(s)); return m.Sum(nil) }
		key := mac(mac(mac(mac([]byte("AWS4test"), day), "us-east-1"), "s3"), "aws4_request")
		return [][2]string{{"key", "uploads/${filename}"}, {"x-amz-algorithm", "AWS4-HMAC-SHA256"}, {"x-amz-credential", cred},
			{"x-amz-date", now.Format("20060102T150405Z")}, {"policy", policy}, {"x-amz-signature", hex.EncodeToString(mac(key, policy))}}
	}
	post := func(fields [][2]string, file string) (int, string) {
		body, ct := postForm(t, fields, file)
		resp, err := http.Post(srv.URL()+"/bkt", ct, body)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	lengthLimit := []any{"content-length-range", 0, 10}
	if st, msg := post(sign(now.Add(time.Hour), lengthLimit), "form data"); st != http.StatusNoContent {
		t.Fatalf("a signed form: %d %s", st, msg)
	}
	if got, _ := sdkGet(t, c, "uploads/upload.txt"); got != "form data" {
		t.Errorf("the form's file: %q", got)
	}
	cases := []struct {
		name   string
		fields [][2]string
		file   string
	}{
		{"too large for its policy", sign(now.Add(time.Hour), lengthLimit), "more than ten bytes"},
		{"expired", sign(now.Add(-time.Minute)), "x"},
		{"a field its policy does not name", append(sign(now.Add(time.Hour)), [2]string{"x-amz-meta-extra", "1"}), "x"},
		{"another key", append(sign(now.Add(time.Hour))[:5], [2]string{"x-amz-signature", strings.Repeat("0", 64)}), "x"},
	}
	for i, tt := range cases {
		tt.fields[0][1] = fmt.Sprintf("uploads/bad-%d", i)
		if st, msg := post(tt.fields, tt.file); st < 400 {
			t.Errorf("%s: %d %s, want it refused", tt.name, st, msg)
		}
		if _, err := c.HeadObject(t.Context(), &s3.HeadObjectInput{Bucket: aws.String("bkt"), Key: aws.String(tt.fields[0][1])}); apiCode(err) != "NotFound" {
			t.Errorf("%s: the refused form was stored (%v)", tt.name, err)
		}
	}
}

// TestS3BucketCORS: a bucket's CORS configuration is stored and returned,
// and decides the CORS answers for the origins the emulator admits.
func TestS3BucketCORS(t *testing.T) {
	store, err := OpenDiskStore(filepath.Join(t.TempDir(), "s3"))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := StartS3(store, "", &S3Options{Credentials: DefaultCredentials, CORSOrigins: []string{"*"}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	c := newS3Client(srv.URL())
	ctx := t.Context()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("web")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetBucketCors(ctx, &s3.GetBucketCorsInput{Bucket: aws.String("web")}); apiCode(err) != "NoSuchCORSConfiguration" {
		t.Errorf("GetBucketCors without one: %v, want NoSuchCORSConfiguration", err)
	}
	if _, err := c.PutBucketCors(ctx, &s3.PutBucketCorsInput{Bucket: aws.String("web"), CORSConfiguration: &types.CORSConfiguration{
		CORSRules: []types.CORSRule{{AllowedOrigins: []string{"https://*.example.com"}, AllowedMethods: []string{"GET", "PUT"},
			AllowedHeaders: []string{"x-amz-*"}, MaxAgeSeconds: aws.Int32(600)}}}}); err != nil {
		t.Fatal(err)
	}
	got, err := c.GetBucketCors(ctx, &s3.GetBucketCorsInput{Bucket: aws.String("web")})
	if err != nil || len(got.CORSRules) != 1 || got.CORSRules[0].AllowedOrigins[0] != "https://*.example.com" {
		t.Errorf("GetBucketCors: %+v, %v", got, err)
	}
	preflight := func(origin, method, headers string) (int, http.Header) {
		req, _ := http.NewRequest(http.MethodOptions, srv.URL()+"/web/k", nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", method)
		if headers != "" {
			req.Header.Set("Access-Control-Request-Headers", headers)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode, resp.Header
	}
	if st, h := preflight("https://app.example.com", "PUT", "x-amz-meta-a"); st != http.StatusOK ||
		h.Get("Access-Control-Allow-Origin") != "https://app.example.com" || h.Get("Access-Control-Max-Age") != "600" {
		t.Errorf("a preflight the rule allows: %d %v", st, h)
	}
	for _, p := range [][3]string{{"https://evil.test", "GET", ""}, {"https://app.example.com", "DELETE", ""}, {"https://app.example.com", "GET", "authorization"}} {
		if st, h := preflight(p[0], p[1], p[2]); st != http.StatusForbidden || h.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("a preflight the rule does not allow %v: %d %v", p, st, h)
		}
	}
	if _, err := c.DeleteBucketCors(ctx, &s3.DeleteBucketCorsInput{Bucket: aws.String("web")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetBucketCors(ctx, &s3.GetBucketCorsInput{Bucket: aws.String("web")}); apiCode(err) != "NoSuchCORSConfiguration" {
		t.Errorf("GetBucketCors after deleting it: %v", err)
	}
}

// TestS3SigV4DateHeader: a SigV4 request may be dated by a Date header
// instead of X-Amz-Date (botocore signs so when the caller sets Date, in
// Python's "-0000" form); its string to sign holds that time in ISO 8601.
func TestS3SigV4DateHeader(t *testing.T) {
	_, srv, _ := startS3(t, "")
	now := time.Now().UTC()
	day, stamp := now.Format("20060102"), now.Format("20060102T150405Z")
	date := now.Format("Mon, 02 Jan 2006 15:04:05 -0000")
	host := strings.TrimPrefix(srv.URL(), "http://")
	const empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	canonical := "PUT\n/bkt/dated\n\ndate:" + date + "\nhost:" + host + "\nx-amz-content-sha256:" + empty +
		"\n\ndate;host;x-amz-content-sha256\n" + empty
	sum := sha256.Sum256([]byte(canonical))
	scope := day + "/us-east-1/s3/aws4_request"
	mac := func(k []byte, s string) []byte { m := hmac.New(sha256.New, k); m.Write([]byte(s)); return m.Sum(nil) }
	key := mac(mac(mac(mac([]byte("AWS4test"), day), "us-east-1"), "s3"), "aws4_request")
	sig := hex.EncodeToString(mac(key, "AWS4-HMAC-SHA256\n"+stamp+"\n"+scope+"\n"+hex.EncodeToString(sum[:])))
	req, err := http.NewRequest(http.MethodPut, srv.URL()+"/bkt/dated", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Date", date)
	req.Header.Set("X-Amz-Content-Sha256", empty)
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=test/"+scope+", SignedHeaders=date;host;x-amz-content-sha256, Signature="+sig)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("a PUT dated by its Date header: %d %s", resp.StatusCode, b)
	}
}
