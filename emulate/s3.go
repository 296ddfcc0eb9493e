package emulate

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/johannesboyne/gofakes3"
)

// s3ShutdownGrace is how long Close waits for in-flight requests. Short:
// net/http counts a client's spare dialed-but-unused connections as busy
// for 5s, and a PUT cut off by Close was never acknowledged, so the client
// retries it.
const s3ShutdownGrace = time.Second

// S3Server serves a DiskStore over HTTP with gofakes3, path-style
// (http://host:port/bucket/key), with any credentials and any clock skew
// accepted. It is safe for concurrent use.
type S3Server struct {
	srv    *http.Server
	s3     http.Handler
	url    string
	faults atomic.Pointer[FaultFunc]
	served chan error // Serve's result

	services  atomic.Pointer[Services]        // see SetServices
	foreign   atomic.Pointer[map[string]bool] // see ForeignBuckets
	closeOnce sync.Once
	closeErr  error

	store *DiskStore
	// ifAbsent is held across every write with If-None-Match, so that the
	// check completeIfAbsent makes and its write are one step for them.
	ifAbsent sync.Mutex
}

// FaultFunc decides whether the S3 server fails a request: if it returns ok,
// the server answers with status and an S3 error body instead of serving
// the request. status should be 4xx or 5xx; anything else is sent as 500.
// The error code is S3's usual one for the status (500 InternalError,
// 503 SlowDown, 403 AccessDenied, ...). It is called concurrently, from
// each request's goroutine, and must not read the request body.
type FaultFunc func(r *http.Request) (status int, ok bool)

// StartS3 serves store on addr ("" means 127.0.0.1 on a free port) until
// Close. It returns once the server is listening.
func StartS3(store *DiskStore, addr string) (*S3Server, error) {
	if store == nil {
		return nil, errors.New("start s3: no store")
	}
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("start s3: listen on %s: %w", addr, err)
	}
	fake := gofakes3.New(store,
		gofakes3.WithHostBucket(false),
		// Clients' clocks are theirs (and tests may fake time): no skew check.
		gofakes3.WithTimeSkewLimit(0),
		gofakes3.WithLogger(gofakes3.DiscardLog()),
	)
	s := &S3Server{
		store:  store,
		s3:     fake.Server(),
		url:    "http://" + urlHost(ln.Addr()),
		served: make(chan error, 1),
	}
	s.srv = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 30 * time.Second,
		ErrorLog:          log.New(io.Discard, "", 0),
	}
	go func() { s.served <- s.srv.Serve(ln) }()
	return s, nil
}

// urlHost is the host:port clients should dial for a listener: a wildcard
// listener is reached on loopback.
func urlHost(a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	if !ok {
		return a.String()
	}
	ip := tcp.IP
	if ip == nil || ip.IsUnspecified() {
		ip = net.IPv4(127, 0, 0, 1)
	}
	return net.JoinHostPort(ip.String(), strconv.Itoa(tcp.Port))
}

// URL is the endpoint to give S3 clients, like http://127.0.0.1:41234. They
// must use path-style addressing.
func (s *S3Server) URL() string { return s.url }

// InjectFaults makes f decide, from now on, whether each request fails; nil
// stops injecting faults.
func (s *S3Server) InjectFaults(f FaultFunc) {
	if f == nil {
		s.faults.Store(nil)
		return
	}
	s.faults.Store(&f)
}

// ServeHTTP routes AWS JSON API requests to the services given to
// SetServices (see Router) and serves the rest as S3.
func (s *S3Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var svc Services
	if p := s.services.Load(); p != nil {
		svc = *p
	}
	Router{S3: http.HandlerFunc(s.serveS3), Services: svc}.ServeHTTP(w, r)
}

// serveS3 injects faults, if any, and otherwise serves S3.
func (s *S3Server) serveS3(w http.ResponseWriter, r *http.Request) {
	if f := s.faults.Load(); f != nil {
		if status, ok := (*f)(r); ok {
			writeFault(w, r, status)
			return
		}
	}
	if s.refuseForeign(w, r) {
		return
	}
	if r.Header.Get("If-None-Match") != "" && (r.Method == http.MethodPut || r.Method == http.MethodPost) {
		s.ifAbsent.Lock()
		defer s.ifAbsent.Unlock()
		if r.Method == http.MethodPost && r.URL.Query().Has("uploadId") && !s.completeIfAbsent(w, r) {
			return
		}
	}
	s.s3.ServeHTTP(w, r)
}

// completeIfAbsent answers 412 PreconditionFailed to a
// CompleteMultipartUpload with If-None-Match: * whose key exists, and
// reports whether the request is to be served. It is a stopgap: gofakes3
// checks If-None-Match on PutObject (atomically, in DiskStore.PutObject) but
// not on CompleteMultipartUpload; the S3 front end that replaces gofakes3's
// handler checks both itself.
func (s *S3Server) completeIfAbsent(w http.ResponseWriter, r *http.Request) bool {
	if r.Header.Get("If-None-Match") != "*" {
		return true
	}
	bucket, key, ok := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	if !ok {
		return true
	}
	if _, err := s.store.HeadObject(bucket, key); err != nil {
		return true // absent, or an error the request itself meets
	}
	io.Copy(io.Discard, r.Body)
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(http.StatusPreconditionFailed)
	io.WriteString(w, xml.Header)
	xml.NewEncoder(w).Encode(faultBody{
		Code:     "PreconditionFailed",
		Message:  "At least one of the pre-conditions you specified did not hold",
		Resource: r.URL.Path,
	})
	return false
}

// Close stops accepting connections and waits up to s3ShutdownGrace for
// requests in flight, then closes what remains (and says so in the error).
// Later calls return the first call's result.
func (s *S3Server) Close() error {
	s.closeOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), s3ShutdownGrace)
		defer cancel()
		err := s.srv.Shutdown(ctx)
		if err != nil {
			err = errors.Join(fmt.Errorf("requests still running after %v: %w", s3ShutdownGrace, err), s.srv.Close())
		}
		if serr := <-s.served; !errors.Is(serr, http.ErrServerClosed) {
			err = errors.Join(err, serr)
		}
		if err != nil {
			s.closeErr = fmt.Errorf("stop s3 server %s: %w", s.url, err)
		}
	})
	return s.closeErr
}

// faultBody is S3's error document.
type faultBody struct {
	XMLName   xml.Name `xml:"Error"`
	Code      string   `xml:"Code"`
	Message   string   `xml:"Message"`
	Resource  string   `xml:"Resource"`
	RequestID string   `xml:"RequestId"`
}

// faultCodes are the S3 error codes sent for injected statuses.
var faultCodes = map[int]string{
	http.StatusBadRequest:          "InvalidRequest",
	http.StatusForbidden:           "AccessDenied",
	http.StatusNotFound:            "NoSuchKey",
	http.StatusConflict:            "OperationAborted",
	http.StatusPreconditionFailed:  "PreconditionFailed",
	http.StatusInternalServerError: "InternalError",
	http.StatusNotImplemented:      "NotImplemented",
	http.StatusServiceUnavailable:  "SlowDown",
}

// writeFault answers r with an injected error.
func writeFault(w http.ResponseWriter, r *http.Request, status int) {
	if status < 400 || status > 599 {
		status = http.StatusInternalServerError
	}
	code, ok := faultCodes[status]
	if !ok {
		code = strings.ReplaceAll(http.StatusText(status), " ", "")
	}
	// Read the body first: a client still sending it would otherwise see a
	// broken connection rather than the status.
	io.Copy(io.Discard, r.Body)

	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("x-amz-request-id", "injected-fault")
	w.WriteHeader(status)
	if r.Method == http.MethodHead {
		return
	}
	io.WriteString(w, xml.Header)
	xml.NewEncoder(w).Encode(faultBody{
		Code:      code,
		Message:   "injected fault: " + http.StatusText(status),
		Resource:  r.URL.Path,
		RequestID: "injected-fault",
	})
}
