package emulate

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"sync"
)

// Transport returns an http.RoundTripper that serves each request with the
// server's own handler in this process, as over its socket but without one:
// for the clients of a pipeline that embeds the stack. Over loopback every
// byte of an object crossed the kernel twice, which cost about 5% of an
// end-to-end run's CPU. Faults injected with InjectFaults apply alike, and
// other processes still reach the server at URL.
func (s *S3Server) Transport() http.RoundTripper { return inProcess{h: s} }

type inProcess struct{ h http.Handler }

// RoundTrip serves req on its own goroutine and returns once the handler
// has written its status: the response body streams from the handler as
// the caller reads it.
func (t inProcess) RoundTrip(req *http.Request) (*http.Response, error) {
	w := &pipeResponse{req: req, header: http.Header{}, ready: make(chan struct{}), done: make(chan struct{})}
	w.body, w.pw = io.Pipe()
	go func() {
		defer close(w.done)
		if req.Body != nil {
			defer req.Body.Close() // a RoundTripper closes the request body
		}
		defer w.finish()
		defer func() {
			// As net/http's server does, a handler's panic fails its
			// request, not the process.
			if p := recover(); p != nil {
				w.WriteHeader(http.StatusInternalServerError)
				w.pw.CloseWithError(fmt.Errorf("s3 emulator: %v", p))
			}
		}()
		t.h.ServeHTTP(w, serverRequest(req))
	}()
	select {
	case <-w.ready:
		return w.resp, nil
	case <-req.Context().Done():
		// Unblock a handler writing its body, and return only once it has
		// let go of the request, which the caller may then retry.
		w.body.CloseWithError(req.Context().Err())
		<-w.done
		return nil, req.Context().Err()
	}
}

// serverRequest is req as the server side of a connection would see it.
func serverRequest(req *http.Request) *http.Request {
	r := req.Clone(req.Context())
	r.URL = &url.URL{Path: req.URL.Path, RawPath: req.URL.RawPath, RawQuery: req.URL.RawQuery}
	r.RequestURI = req.URL.RequestURI()
	r.RemoteAddr = "127.0.0.1:0"
	if r.Host == "" {
		r.Host = req.URL.Host
	}
	switch {
	case req.Body == nil || req.Body == http.NoBody:
		r.Body, r.ContentLength = http.NoBody, 0
	case req.ContentLength > 0:
		r.Header.Set("Content-Length", strconv.FormatInt(req.ContentLength, 10))
	default: // a body of unknown length is sent chunked
		r.ContentLength, r.TransferEncoding = -1, []string{"chunked"}
	}
	return r
}

// pipeResponse is the handler's http.ResponseWriter: its status and headers
// make the response, and its body goes through a pipe to the caller.
type pipeResponse struct {
	req    *http.Request
	header http.Header
	body   *io.PipeReader
	pw     *io.PipeWriter
	once   sync.Once
	resp   *http.Response // the caller's once ready is closed: not read here after
	noBody bool           // a response without a body, whatever the handler writes
	ready  chan struct{}  // closed once resp is set
	done   chan struct{}  // closed once the handler returned
}

func (w *pipeResponse) Header() http.Header { return w.header }

func (w *pipeResponse) WriteHeader(status int) {
	if status < 200 {
		return // informational: net/http sends these itself
	}
	w.once.Do(func() {
		h := w.header.Clone()
		n := int64(-1)
		if v, err := strconv.ParseInt(h.Get("Content-Length"), 10, 64); err == nil {
			n = v
		}
		var body io.ReadCloser = w.body
		if w.req.Method == http.MethodHead || status == http.StatusNoContent || status == http.StatusNotModified {
			body, w.noBody = http.NoBody, true
		}
		w.resp = &http.Response{
			Status: strconv.Itoa(status) + " " + http.StatusText(status), StatusCode: status,
			Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
			Header: h, Body: body, ContentLength: n, Request: w.req,
		}
		close(w.ready)
	})
}

func (w *pipeResponse) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	if w.noBody {
		return len(p), nil // as net/http discards a HEAD's body
	}
	return w.pw.Write(p)
}

// Flush lets handlers that flush (streaming responses) do so; the pipe has
// no buffer to flush.
func (w *pipeResponse) Flush() {}

// finish ends the response once the handler returned.
func (w *pipeResponse) finish() {
	w.WriteHeader(http.StatusOK)
	w.pw.Close()
}
