package emulate

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	pipeaws "pipeline/aws"
)

// BenchmarkS3PutObject measures what a sink's PUT costs in CPU (cpu-ns/op,
// the process's user and system time, the client's included): bodies of the
// sink's sizes through the in-process transport, from the pipeline's own
// client (UNSIGNED-PAYLOAD, a CRC32 header), to a store on tmpfs with fsync
// off, so that the disk's latency, which other processes share, does not
// hide the CPU.
func BenchmarkS3PutObject(b *testing.B) {
	for _, size := range []int{256 << 10, 4 << 20} {
		b.Run(fmt.Sprintf("%dKiB", size>>10), func(b *testing.B) {
			dir := b.TempDir()
			if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
				if d, err := os.MkdirTemp("/dev/shm", "bench-"); err == nil {
					defer os.RemoveAll(d)
					dir = d
				}
			}
			store, err := OpenDiskStore(filepath.Join(dir, "s3"))
			if err != nil {
				b.Fatal(err)
			}
			store.noSync = true
			if err := store.CreateBucket("bkt"); err != nil {
				b.Fatal(err)
			}
			srv, err := StartS3(store, "", &S3Options{Credentials: DefaultCredentials})
			if err != nil {
				b.Fatal(err)
			}
			defer srv.Close()
			cfg, err := pipeaws.Load(b.Context(), pipeaws.Options{Endpoint: srv.URL(), Region: "us-east-1", StaticKey: "test", StaticSecret: "test", Transport: srv.Transport()})
			if err != nil {
				b.Fatal(err)
			}
			c := pipeaws.NewS3(cfg)
			body := bytes.Repeat([]byte("0123456789abcdef"), size/16)
			b.SetBytes(int64(size))
			var ru0 syscall.Rusage
			syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
			b.ResetTimer()
			for i := range b.N {
				if _, err := c.PutObject(b.Context(), &s3.PutObjectInput{Bucket: aws.String("bkt"), Key: aws.String(fmt.Sprintf("k/%d", i%64)),
					Body: bytes.NewReader(body), ContentLength: aws.Int64(int64(size)), ChecksumAlgorithm: "CRC32"}); err != nil {
					b.Fatal(err)
				}
			}
			var ru1 syscall.Rusage
			syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
			cpu := time.Duration(ru1.Utime.Nano() + ru1.Stime.Nano() - ru0.Utime.Nano() - ru0.Stime.Nano())
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
		})
	}
}
