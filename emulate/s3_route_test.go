package emulate

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// botocoreS3Model is the S3 service model that Debian's python3-botocore
// ships, which the AWS SDKs are generated from.
const botocoreS3Model = "/usr/lib/python3/dist-packages/botocore/data/s3/2006-03-01/service-2.json"

// readS3Model returns botocore's S3 model, or skips the test without it.
func readS3Model(t *testing.T) map[string]any {
	t.Helper()
	b, err := os.ReadFile(botocoreS3Model)
	if err != nil {
		t.Skipf("no AWS S3 service model at %s (install python3-botocore): %v", botocoreS3Model, err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestS3SubresourcesListed: every subresource of S3's model is one the
// router knows, so that none can reach a handler as a plain object or
// bucket request.
func TestS3SubresourcesListed(t *testing.T) {
	m := readS3Model(t)
	ops := m["operations"].(map[string]any)
	sub := regexp.MustCompile(`\?([A-Za-z-]+)`)
	for name, op := range ops {
		uri := op.(map[string]any)["http"].(map[string]any)["requestUri"].(string)
		for _, s := range sub.FindAllStringSubmatch(uri, -1) {
			if s[1] == "list-type" || s[1] == "select-type" || s[1] == "x-id" {
				continue // parameters of operations that are listed by another name
			}
			if !slices.Contains(s3Subresources, s[1]) {
				t.Errorf("%s (%s): subresource ?%s is not in s3Subresources", name, uri, s[1])
			}
		}
	}
}

// signedRequest is a request signed as an SDK would with the default
// credentials.
func signedRequest(t *testing.T, method, url string, body []byte, hdr map[string]string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	req.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
	creds := aws.Credentials{AccessKeyID: "test", SecretAccessKey: "test"}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, "UNSIGNED-PAYLOAD", "s3", "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	return req
}

// TestS3SubresourcesNeverWrite sends every method with every subresource S3
// defines, at the bucket and at an object, each with a body that would be
// stored if it were taken for a write, and checks after each one that the
// object and the bucket are as they were. A subresource the emulator does
// not serve is 501 NotImplemented, naming it.
func TestS3SubresourcesNeverWrite(t *testing.T) {
	store, srv, c := startS3(t, "")
	const body = "the object's own bytes"
	sdkPut(t, c, "obj", body)
	objPath, _ := store.ObjectPath("bkt", "obj")
	before, err := os.Stat(objPath)
	if err != nil {
		t.Fatal(err)
	}
	served := map[string]bool{}
	for _, op := range s3Ops {
		served[op.method+" "+op.level.String()+" "+op.sub] = true
	}
	payload := []byte("<Tagging><TagSet><Tag><Key>a</Key><Value>b</Value></Tag></TagSet></Tagging>")
	for _, sub := range s3Subresources {
		for _, level := range []level{levelBucket, levelObject} {
			for _, method := range []string{http.MethodGet, http.MethodPut, http.MethodPost, http.MethodDelete, http.MethodHead} {
				url := srv.URL() + "/bkt"
				if level == levelObject {
					url += "/obj"
				}
				url += "?" + sub
				if sub == "uploadId" {
					url += "=nope"
				}
				resp, err := http.DefaultClient.Do(signedRequest(t, method, url, payload, nil))
				if err != nil {
					t.Fatal(err)
				}
				msg, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				name := method + " " + level.String() + " ?" + sub
				if !served[method+" "+level.String()+" "+sub] {
					if resp.StatusCode != http.StatusNotImplemented || method != http.MethodHead && !strings.Contains(string(msg), sub) {
						t.Errorf("%s: %d %s; want 501 NotImplemented naming %s", name, resp.StatusCode, msg, sub)
					}
				} else if resp.StatusCode >= 500 {
					t.Errorf("%s: %d %s", name, resp.StatusCode, msg)
				}
				if got, _ := sdkGet(t, c, "obj"); got != body {
					t.Fatalf("after %s the object holds %q, want %q", name, got, body)
				}
				if fi, err := os.Stat(objPath); err != nil || !fi.ModTime().Equal(before.ModTime()) {
					t.Fatalf("after %s the object's file changed: %v", name, err)
				}
				if !store.BucketExists("bkt") {
					t.Fatalf("after %s the bucket is gone", name)
				}
			}
		}
	}
}

// TestS3UnimplementedHeadersRefused: a request that asks by a header for
// what the emulator does not do is refused, and stores nothing.
func TestS3UnimplementedHeadersRefused(t *testing.T) {
	_, srv, c := startS3(t, "")
	for _, h := range []map[string]string{
		{"X-Amz-Object-Lock-Mode": "GOVERNANCE", "X-Amz-Object-Lock-Retain-Until-Date": "2030-01-01T00:00:00Z"},
		{"X-Amz-Server-Side-Encryption-Customer-Algorithm": "AES256"},
		{"X-Amz-Server-Side-Encryption": "aws:kms"},
		{"X-Amz-Write-Offset-Bytes": "0"},
	} {
		resp, err := http.DefaultClient.Do(signedRequest(t, http.MethodPut, srv.URL()+"/bkt/locked", []byte("x"), h))
		if err != nil {
			t.Fatal(err)
		}
		var e struct{ Code, Message string }
		xml.NewDecoder(resp.Body).Decode(&e)
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotImplemented || e.Code != "NotImplemented" || !strings.Contains(e.Message, "not implemented") {
			t.Errorf("PUT with %v: %d %+v, want 501 NotImplemented", h, resp.StatusCode, e)
		}
	}
	if _, err := c.HeadObject(t.Context(), &s3.HeadObjectInput{Bucket: aws.String("bkt"), Key: aws.String("locked")}); apiCode(err) != "NotFound" {
		t.Errorf("a refused PUT stored the object: %v", err)
	}
}
