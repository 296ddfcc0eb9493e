package emulate

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// s3ShutdownGrace is how long Close waits for in-flight requests. Short:
// net/http counts a client's spare dialed-but-unused connections as busy
// for 5s, and a PUT cut off by Close was never acknowledged, so the client
// retries it.
const s3ShutdownGrace = time.Second

// S3Options configure StartS3. A nil *S3Options is the zero value.
type S3Options struct {
	// Credentials are the access keys requests must be signed with (SigV4
	// or SigV2, in headers or presigned URLs); a request signed with
	// another key or a wrong signature is refused, an unsigned one is
	// anonymous. Nil checks nothing: every request acts as the owner of
	// DefaultCredentials' key, as an emulator that accepts any
	// credentials.
	Credentials []Credential
	// AllowHosts are Host names the port answers besides loopback ones
	// (localhost, *.localhost, 127.0.0.0/8, ::1); see Guard.
	AllowHosts []string
	// CORSOrigins are the browser origins the port answers ("*" for any);
	// none by default, so a web page can neither read from nor write to
	// it. See Guard.
	CORSOrigins []string
	// Region is the region the emulated S3 is in; default us-east-1.
	Region string
	// Logger receives the emulator's own failures (a full disk, with the
	// path); nil discards them.
	Logger *slog.Logger
}

// S3Server serves a DiskStore as S3 over HTTP, path-style
// (http://host:port/bucket/key) and virtual-hosted style for *.localhost
// (http://bucket.localhost:port/key), and the AWS JSON APIs given to
// SetServices on the same port. It is safe for concurrent use.
type S3Server struct {
	srv    *http.Server
	api    *s3API
	guard  *Guard
	url    string
	faults atomic.Pointer[FaultFunc]
	served chan error // Serve's result

	services  atomic.Pointer[Services]        // see SetServices
	foreign   atomic.Pointer[map[string]bool] // see ForeignBuckets
	closeOnce sync.Once
	closeErr  error

	// active holds the connections serving a request now: Shutdown also
	// waits up to 5s for connections dialed but not yet used (a client's
	// spares), which are no request still running.
	activeMu sync.Mutex
	active   map[net.Conn]struct{}
}

// FaultFunc decides whether the S3 server fails a request: if it returns ok,
// the server answers with status and an S3 error body instead of serving
// the request. status should be 4xx or 5xx; anything else is sent as 500.
// The error code is S3's usual one for the status (500 InternalError,
// 503 SlowDown, 403 AccessDenied, ...). It is called concurrently, from
// each request's goroutine, and must not read the request body.
type FaultFunc func(r *http.Request) (status int, ok bool)

// StartS3 serves store on addr ("" means 127.0.0.1 on a free port) until
// Close, with opts (nil for the zero S3Options). It returns once the server
// is listening.
func StartS3(store *DiskStore, addr string, opts *S3Options) (*S3Server, error) {
	if store == nil {
		return nil, errors.New("start s3: no store")
	}
	var o S3Options
	if opts != nil {
		o = *opts
	}
	if o.Region == "" {
		o.Region = "us-east-1"
	}
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	guard, err := NewGuard(o.AllowHosts, o.CORSOrigins)
	if err != nil {
		return nil, fmt.Errorf("start s3: %w", err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("start s3: listen on %s: %w", addr, err)
	}
	logger := o.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	store.diskFull.say = func(path string, err error) {
		logger.Error("no space left on device: the S3 emulator cannot write; free space and clients' retries will succeed", "path", path, "err", err)
	}
	s := &S3Server{
		api: &s3API{
			store:  store,
			auth:   newAuthenticator(o.Credentials),
			region: o.Region,
			logger: logger,
		},
		guard:  guard,
		url:    "http://" + urlHost(ln.Addr()),
		served: make(chan error, 1),
	}
	s.srv = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 30 * time.Second,
		ErrorLog:          log.New(io.Discard, "", 0),
		ConnState:         s.trackConn,
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

// URL is the endpoint to give S3 clients, like http://127.0.0.1:41234.
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

// ServeHTTP admits the request (see Guard), then routes AWS JSON API
// requests to the services given to SetServices (see Router), checking
// their signatures as S3's, and serves the rest as S3.
func (s *S3Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !s.guard.Admit(w, r) {
		return
	}
	var svc Services
	if p := s.services.Load(); p != nil {
		svc = *p
	}
	Router{S3: http.HandlerFunc(s.serveS3), Services: svc, Verify: s.api.verifyJSON}.ServeHTTP(w, r)
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
	s.api.ServeHTTP(w, r)
}

// trackConn keeps active up to date with each connection's state.
func (s *S3Server) trackConn(c net.Conn, st http.ConnState) {
	s.activeMu.Lock()
	defer s.activeMu.Unlock()
	if st == http.StateActive {
		if s.active == nil {
			s.active = map[net.Conn]struct{}{}
		}
		s.active[c] = struct{}{}
		return
	}
	delete(s.active, c)
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
			s.activeMu.Lock()
			busy := len(s.active)
			s.activeMu.Unlock()
			if busy > 0 {
				err = errors.Join(fmt.Errorf("%d requests still running after %v: %w", busy, s3ShutdownGrace, err), s.srv.Close())
			} else {
				err = s.srv.Close() // only unused connections were left
			}
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
	xml.NewEncoder(w).Encode(s3ErrorDoc{
		Code:      code,
		Message:   "injected fault: " + http.StatusText(status),
		Fields:    []xmlElement{{XMLName: xml.Name{Local: "Resource"}, Value: r.URL.Path}},
		RequestID: "injected-fault",
	})
}
