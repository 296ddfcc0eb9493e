package observe

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"pipeline/internal/oneline"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Check is one condition of readiness: Fn returns nil when it holds, or
// what is wrong. It is called on every /readyz request, bounded by
// checkTimeout.
type Check struct {
	Name string
	Fn   func(context.Context) error
}

// checkTimeout bounds a readiness check: an orchestrator's probe waits a
// few seconds at most.
const checkTimeout = 2 * time.Second

// KafkaReachable holds when a broker of cl answers.
func KafkaReachable(cl *kgo.Client) Check {
	return Check{Name: "kafka", Fn: func(ctx context.Context) error {
		if err := cl.Ping(ctx); err != nil {
			return fmt.Errorf("no broker answers: %w", err)
		}
		return nil
	}}
}

// BucketReachable holds when the bucket answers a HEAD. What is wrong is
// one line (s3Problem), not the SDK's.
func BucketReachable(s3c *s3.Client, bucket string) Check {
	return Check{Name: "s3", Fn: func(ctx context.Context) error {
		if _, err := s3c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(bucket)}); err != nil {
			return s3Problem(s3c, bucket, checkTimeout, err)
		}
		return nil
	}}
}

// S3Reachable holds when the S3 endpoint answers a ListBuckets.
func S3Reachable(s3c *s3.Client) Check {
	return Check{Name: "s3", Fn: func(ctx context.Context) error {
		if _, err := s3c.ListBuckets(ctx, &s3.ListBucketsInput{}); err != nil {
			return s3Problem(s3c, "", checkTimeout, err)
		}
		return nil
	}}
}

// HoldsPartitions holds once the sink holds a partition of its topic.
func (m *Metrics) HoldsPartitions() Check {
	return Check{Name: "partitions", Fn: func(context.Context) error {
		if m.AssignedPartitions() == 0 {
			return errors.New("no partition assigned to this sink yet")
		}
		return nil
	}}
}

// Server serves a process's metrics and health on one address:
//
//	/metrics  Prometheus text format
//	/healthz  200 while the process serves requests (liveness)
//	/readyz   200 when every Check holds, else 503 with one line per failing check
type Server struct {
	ln   net.Listener
	srv  *http.Server
	done chan error

	closeOnce sync.Once
	closeErr  error
}

// Serve listens on addr and serves m and the checks until Close.
func Serve(addr string, m *Metrics, checks ...Check) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--metrics-addr %s: %w: pass another address", addr, err)
	}
	s := &Server{ln: ln, done: make(chan error, 1)}
	s.srv = &http.Server{Handler: Handler(m, checks...), ReadHeaderTimeout: 10 * time.Second,
		ErrorLog: log.New(io.Discard, "", 0)}
	go func() { s.done <- s.srv.Serve(ln) }()
	return s, nil
}

// Handler is what Serve serves, for a caller with its own server.
func Handler(m *Metrics, checks ...Check) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, "ok\n")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		// At once, so that the answer takes one checkTimeout at most
		// however many services hang.
		errs := make([]error, len(checks))
		var wg sync.WaitGroup
		for i, c := range checks {
			wg.Go(func() {
				ctx, cancel := context.WithTimeout(r.Context(), checkTimeout)
				defer cancel()
				errs[i] = c.Fn(ctx)
			})
		}
		wg.Wait()
		var failed []string
		for i, err := range errs {
			if err != nil {
				failed = append(failed, checks[i].Name+": "+oneline.Fold(err.Error()))
			}
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if len(failed) > 0 {
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, strings.Join(failed, "\n")+"\n")
			return
		}
		io.WriteString(w, "ok\n")
	})
	return mux
}

// Addr is the address the server listens on (with the port chosen, if addr
// asked for port 0).
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Close stops the server. Only the first call does anything.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	s.closeOnce.Do(func() {
		s.closeErr = s.srv.Shutdown(ctx)
		<-s.done
	})
	return s.closeErr
}
