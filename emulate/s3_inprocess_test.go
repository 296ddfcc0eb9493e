package emulate

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// TestS3InProcess runs the S3 tests again with clients that reach the
// server through its in-process Transport, as a pipeline that embeds the
// stack does: the same answers, headers, errors and faults as over HTTP.
func TestS3InProcess(t *testing.T) {
	tests := []struct {
		name string
		test func(*testing.T)
	}{
		{"RoundTrip", TestS3RoundTrip},
		{"WeirdKeysStayInTheBucket", TestS3WeirdKeysStayInTheBucket},
		{"ListObjectsV2Paging", TestS3ListObjectsV2Paging},
		{"ListDelimiter", TestS3ListDelimiter},
		{"Buckets", TestS3Buckets},
		{"ConditionalPut", TestS3ConditionalPut},
		{"CopyAndMultipart", TestS3CopyAndMultipart},
		{"FaultInjection", TestS3FaultInjection},
		{"FaultsAreRetriedBySDK", TestS3FaultsAreRetriedBySDK},
	}
	inProcessClients = map[string]http.RoundTripper{}
	defer func() { inProcessClients = nil }()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := inProcessServed.Load()
			tt.test(t)
			if inProcessServed.Load() == before {
				t.Error("no request went through the in-process transport")
			}
		})
	}
}

// TestS3InProcessStreams: a GET's body streams from the handler (a reader
// that stops early lets it go), a caller that gives up gets its context's
// error once the handler let go of the request, and a handler's panic is
// a 500, not a crash.
func TestS3InProcessStreams(t *testing.T) {
	_, srv, _ := startS3(t, "")
	c := newS3Client(srv.URL(), func(o *s3.Options) {
		o.HTTPClient = &http.Client{Transport: srv.Transport()}
		o.RetryMaxAttempts = 1
	})
	ctx := t.Context()
	big := bytes.Repeat([]byte("0123456789abcdef"), 1<<18) // 4 MiB, more than any pipe holds
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bkt"), Key: aws.String("big"), Body: bytes.NewReader(big)}); err != nil {
		t.Fatal(err)
	}
	for range 20 { // read a little and stop: each handler must end, not block on its pipe
		out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("bkt"), Key: aws.String("big")})
		if err != nil {
			t.Fatal(err)
		}
		head := make([]byte, 100)
		if _, err := io.ReadFull(out.Body, head); err != nil || !bytes.Equal(head, big[:100]) {
			t.Fatalf("first bytes = %q, %v", head, err)
		}
		out.Body.Close()
	}
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("bkt"), Key: aws.String("big")})
	if err != nil {
		t.Fatal(err)
	}
	all, err := io.ReadAll(out.Body)
	out.Body.Close()
	if err != nil || !bytes.Equal(all, big) || aws.ToInt64(out.ContentLength) != int64(len(big)) {
		t.Fatalf("whole GET: %d bytes (length %d), %v; want the %d put", len(all), aws.ToInt64(out.ContentLength), err, len(big))
	}

	// A handler that takes longer than the caller waits.
	srv.InjectFaults(func(r *http.Request) (int, bool) {
		if r.Method != http.MethodPut {
			return 0, false
		}
		<-r.Context().Done()
		return http.StatusServiceUnavailable, true
	})
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = c.PutObject(short, &s3.PutObjectInput{Bucket: aws.String("bkt"), Key: aws.String("slow"), Body: strings.NewReader("x")})
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 10*time.Second {
		t.Errorf("put past its deadline: %v after %v, want the deadline's error at once", err, time.Since(start))
	}

	srv.InjectFaults(func(r *http.Request) (int, bool) { panic("handler bug") })
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bkt"), Key: aws.String("p"), Body: strings.NewReader("x")})
	if httpStatus(err) != http.StatusInternalServerError {
		t.Errorf("put to a panicking handler: %v, want a 500", err)
	}
	srv.InjectFaults(nil)
	sdkPut(t, c, "after", "fine")
	if got, _ := sdkGet(t, c, "after"); got != "fine" {
		t.Errorf("after the panic: %q", got)
	}
}
