package emulate

import (
	"context"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// startGuarded serves a store with bucket bkt holding object k, with the
// given S3Options (the default credentials added), and Glue and Athena
// stand-ins that count the requests that reach them.
func startGuarded(t *testing.T, opts S3Options) (*S3Server, *int) {
	t.Helper()
	store, err := OpenDiskStore(filepath.Join(t.TempDir(), "s3"))
	if err != nil {
		t.Fatal(err)
	}
	opts.Credentials = DefaultCredentials
	srv, err := StartS3(store, "", &opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	glueCalls := 0
	count := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		glueCalls++
		w.Write([]byte("{}"))
	})
	srv.SetServices(Services{Glue: count, Athena: count})
	c := newS3Client(srv.URL())
	if _, err := c.CreateBucket(t.Context(), &s3.CreateBucketInput{Bucket: aws.String("bkt")}); err != nil {
		t.Fatal(err)
	}
	sdkPut(t, c, "k", "keep me")
	return srv, &glueCalls
}

// send sends a request signed with the default credentials, with the Host
// and headers given, and returns its status, body and headers.
func send(t *testing.T, srv *S3Server, method, path, host string, hdr map[string]string, service string) (int, string, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL()+path, strings.NewReader(""))
	if err != nil {
		t.Fatal(err)
	}
	if host != "" {
		req.Host = host
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	payload := "UNSIGNED-PAYLOAD"
	if service == "s3" {
		req.Header.Set("X-Amz-Content-Sha256", payload)
	} else {
		payload = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" // of the empty body
	}
	creds := aws.Credentials{AccessKeyID: "test", SecretAccessKey: "test"}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, payload, service, "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

// TestGuardHosts: the port answers loopback names and addresses, and the
// hosts it is told to; a rebound DNS name (a web page's own) is refused,
// for S3, Glue and Athena alike.
func TestGuardHosts(t *testing.T) {
	srv, glueCalls := startGuarded(t, S3Options{AllowHosts: []string{"pipeline.internal"}})
	for _, host := range []string{"", "localhost", "127.0.0.2", "[::1]:9", "LOCALHOST.", "pipeline.internal", "pipeline.internal:4566"} {
		if st, body, _ := send(t, srv, http.MethodGet, "/bkt/k", host, nil, "s3"); st != http.StatusOK || body != "keep me" {
			t.Errorf("Host %q: %d %s, want the object", host, st, body)
		}
	}
	for _, host := range []string{"evil.example", "evil.example:4566", "10.0.0.1", "localhost.evil.example", "internal"} {
		st, body, _ := send(t, srv, http.MethodDelete, "/bkt/k", host, nil, "s3")
		if st != http.StatusForbidden || !strings.Contains(body, "--allow-host") {
			t.Errorf("Host %q: %d %s, want 403 naming --allow-host", host, st, body)
		}
		st, body, _ = send(t, srv, http.MethodPost, "/", host, map[string]string{"X-Amz-Target": "AWSGlue.GetDatabases", "Content-Type": "application/x-amz-json-1.1"}, "glue")
		if st != http.StatusForbidden || !strings.Contains(body, "AccessDeniedException") {
			t.Errorf("Glue with Host %q: %d %s, want 403 AccessDeniedException", host, st, body)
		}
		st, body, _ = send(t, srv, http.MethodPost, "/", host, map[string]string{"X-Amz-Target": "AmazonAthena.StartQueryExecution", "Content-Type": "application/x-amz-json-1.1"}, "athena")
		if st != http.StatusForbidden || !strings.Contains(body, "AccessDeniedException") {
			t.Errorf("Athena with Host %q: %d %s, want 403 AccessDeniedException", host, st, body)
		}
	}
	if *glueCalls != 0 {
		t.Errorf("%d refused requests reached Glue or Athena", *glueCalls)
	}
	if st, body, _ := send(t, srv, http.MethodGet, "/bkt/k", "", nil, "s3"); st != http.StatusOK || body != "keep me" {
		t.Errorf("the object after the refused DELETEs: %d %q", st, body)
	}
}

// TestGuardCORS: without --cors no web page may call the port, and no CORS
// header is ever sent; with it, only the origins named, and those get the
// headers a browser needs.
func TestGuardCORS(t *testing.T) {
	closed, _ := startGuarded(t, S3Options{})
	for _, hdr := range []map[string]string{
		{"Origin": "http://evil.test"},
		{"Origin": "null"},
		{"Sec-Fetch-Site": "cross-site"},
	} {
		st, body, h := send(t, closed, http.MethodDelete, "/bkt/k", "", hdr, "s3")
		if st != http.StatusForbidden || !strings.Contains(body, "--cors") {
			t.Errorf("a DELETE from a web page %v: %d %s, want 403 naming --cors", hdr, st, body)
		}
		for k := range h {
			if strings.HasPrefix(k, "Access-Control-") {
				t.Errorf("a refused request got %s", k)
			}
		}
	}
	st, _, h := send(t, closed, http.MethodOptions, "/bkt/k", "", map[string]string{"Origin": "http://evil.test", "Access-Control-Request-Method": "DELETE"}, "s3")
	if st != http.StatusForbidden || h.Get("Access-Control-Allow-Origin") != "" || h.Get("Access-Control-Allow-Methods") != "" {
		t.Errorf("a preflight from a web page: %d %v, want 403 without CORS headers", st, h)
	}
	if st, body, _ := send(t, closed, http.MethodGet, "/bkt/k", "", map[string]string{"Sec-Fetch-Site": "none"}, "s3"); st != http.StatusOK || body != "keep me" {
		t.Errorf("after the refused requests (and for a typed-in URL): %d %q", st, body)
	}

	open, _ := startGuarded(t, S3Options{CORSOrigins: []string{"http://localhost:3000"}})
	st, _, h = send(t, open, http.MethodGet, "/bkt/k", "", map[string]string{"Origin": "http://localhost:3000"}, "s3")
	if st != http.StatusOK || h.Get("Access-Control-Allow-Origin") != "http://localhost:3000" || !strings.Contains(h.Get("Access-Control-Expose-Headers"), "ETag") {
		t.Errorf("a GET from the allowed origin: %d %v", st, h)
	}
	st, _, h = send(t, open, http.MethodOptions, "/bkt/k", "", map[string]string{"Origin": "http://localhost:3000", "Access-Control-Request-Method": "PUT"}, "s3")
	if st != http.StatusOK || h.Get("Access-Control-Allow-Origin") != "http://localhost:3000" || !strings.Contains(h.Get("Access-Control-Allow-Methods"), "PUT") {
		t.Errorf("a preflight from the allowed origin: %d %v", st, h)
	}
	if st, _, h := send(t, open, http.MethodGet, "/bkt/k", "", map[string]string{"Origin": "http://localhost:4000"}, "s3"); st != http.StatusForbidden || h.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("a GET from another origin: %d %v", st, h)
	}
	if _, err := NewGuard(nil, []string{"localhost:3000"}); err == nil {
		t.Error("an origin without a scheme was accepted")
	}
}

// TestGuardSignedJSONAPIs: Glue and Athena requests are held to the same
// credentials as S3's: a forged signature or none is refused, as an
// unsigned S3 write is.
func TestGuardSignedJSONAPIs(t *testing.T) {
	srv, glueCalls := startGuarded(t, S3Options{})
	hdr := map[string]string{"X-Amz-Target": "AWSGlue.GetDatabases", "Content-Type": "application/x-amz-json-1.1"}
	if st, body, _ := send(t, srv, http.MethodPost, "/", "", hdr, "glue"); st != http.StatusOK || *glueCalls != 1 {
		t.Errorf("a signed Glue request: %d %s, %d calls", st, body, *glueCalls)
	}
	req, _ := http.NewRequest(http.MethodPost, srv.URL()+"/", strings.NewReader("{}"))
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/glue/aws4_request, SignedHeaders=host;x-amz-target, Signature=00")
	req.Header.Set("X-Amz-Date", "20260101T000000Z")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(b), "InvalidSignatureException") || *glueCalls != 1 {
		t.Errorf("a Glue request with a forged signature: %d %s, %d calls", resp.StatusCode, b, *glueCalls)
	}
	// Unsigned: Glue and Athena refuse it, and so does S3 for a private
	// bucket (a rebound page cannot sign).
	for _, target := range []string{"AWSGlue.DeleteDatabase", "AmazonAthena.StartQueryExecution"} {
		req, _ := http.NewRequest(http.MethodPost, srv.URL()+"/", strings.NewReader("{}"))
		req.Header.Set("X-Amz-Target", target)
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(b), "MissingAuthenticationToken") || *glueCalls != 1 {
			t.Errorf("an unsigned %s: %d %s, %d calls", target, resp.StatusCode, b, *glueCalls)
		}
	}
	req, _ = http.NewRequest(http.MethodDelete, srv.URL()+"/bkt/k", nil)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(b), "AccessDenied") {
		t.Errorf("an unsigned S3 DELETE: %d %s, want 403 AccessDenied", resp.StatusCode, b)
	}
	if st, body, _ := send(t, srv, http.MethodGet, "/bkt/k", "", nil, "s3"); st != http.StatusOK || body != "keep me" {
		t.Errorf("the object after an unsigned DELETE: %d %q", st, body)
	}
}
