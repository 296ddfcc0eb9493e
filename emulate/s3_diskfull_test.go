//go:build linux

package emulate

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"golang.org/x/sys/unix"
)

// lockedBuffer is a log sink for concurrent writers.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestS3DiskFull fills a small tmpfs: the PUT that does not fit is a
// retryable 503 that says the disk is full, the emulator logs "no space
// left on device" with the path in one line however often it is refused, what was stored stays whole, and once
// space is freed the same PUT succeeds. It needs to mount a tmpfs (root,
// CAP_SYS_ADMIN) and says so when it cannot.
func TestS3DiskFull(t *testing.T) {
	dir := t.TempDir()
	if err := unix.Mount("tmpfs", dir, "tmpfs", 0, "size=4m"); err != nil {
		t.Skipf("cannot mount a 4 MiB tmpfs to fill (needs root and CAP_SYS_ADMIN): %v", err)
	}
	t.Cleanup(func() { unix.Unmount(dir, unix.MNT_DETACH) })
	store, err := OpenDiskStore(filepath.Join(dir, "s3"))
	if err != nil {
		t.Fatal(err)
	}
	var logs lockedBuffer
	srv, err := StartS3(store, "", &S3Options{Credentials: DefaultCredentials, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	c := newS3Client(srv.URL(), func(o *s3.Options) { o.RetryMaxAttempts = 1 })
	ctx := t.Context()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("bkt")}); err != nil {
		t.Fatal(err)
	}
	block := bytes.Repeat([]byte("x"), 1<<20)
	var stored []string
	var full error
	for i := range 10 {
		key := fmt.Sprintf("obj-%d", i)
		_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bkt"), Key: aws.String(key), Body: bytes.NewReader(block)})
		if err != nil {
			full = err
			break
		}
		stored = append(stored, key)
	}
	if full == nil {
		t.Fatal("10 MiB fit in a 4 MiB tmpfs")
	}
	// A client that retries is refused again, and the log says it once.
	for range 3 {
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bkt"), Key: aws.String("again"), Body: bytes.NewReader(block)}); err == nil {
			t.Fatal("a PUT fit in the full tmpfs")
		}
	}
	if httpStatus(full) != http.StatusServiceUnavailable || apiCode(full) != "ServiceUnavailable" || !strings.Contains(full.Error(), "disk is full") {
		t.Errorf("the PUT that did not fit: %v; want a 503 ServiceUnavailable that says the disk is full", full)
	}
	if l := logs.String(); !strings.Contains(l, "no space left on device") || strings.Count(l, "\n") != 1 || !strings.Contains(l, dir) {
		t.Errorf("after 4 refused PUTs the log does not name the full disk and its path in one line:\n%s", l)
	}
	for _, k := range stored {
		if got, _ := sdkGet(t, c, k); got != string(block) {
			t.Errorf("%s is no longer whole", k)
		}
	}
	if tmp, _ := os.ReadDir(store.tmpDir); len(tmp) != 0 {
		t.Errorf("the failed PUT left temp files: %v", tmp)
	}
	// Freed space: the client's retry succeeds.
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("bkt"), Key: aws.String(stored[0])}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String("bkt"), Key: aws.String("retried"), Body: bytes.NewReader(block)}); err != nil {
		t.Errorf("the PUT after space was freed: %v", err)
	}
}
