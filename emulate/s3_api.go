package emulate

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
)

// s3API answers S3 requests from a DiskStore. Each operation is a handler
// in the table of s3_route.go; the s3_<operation>.go files hold them, each
// opening with where it differs from S3.
type s3API struct {
	store  *DiskStore
	auth   *authenticator
	region string
	logger *slog.Logger

	idPrefix string
	nextID   atomic.Uint64
}

// s3Req is one request being served.
type s3Req struct {
	w      http.ResponseWriter
	r      *http.Request
	id     string
	bucket string
	key    string
	query  url.Values
	who    *caller
	// hostBucket is the bucket the Host names (virtual-hosted style), or "".
	hostBucket string
	// cors is the origin of a CORS request the bucket's rules decide, or "".
	cors string
	// op is the S3 operation's name (see s3Ops).
	op string
}

func (a *s3API) requestID() string {
	if a.idPrefix == "" {
		var b [4]byte
		rand.Read(b[:])
		a.idPrefix = strings.ToUpper(hex.EncodeToString(b[:]))
	}
	return fmt.Sprintf("%s%08X", a.idPrefix, a.nextID.Add(1))
}

// target reads the bucket and key a request names: from the path
// (path-style), or the bucket from a Host of <bucket>.localhost or
// <bucket>.s3[.<region>].localhost. s3[.<region>].localhost is the service's
// own name, as s3.<region>.amazonaws.com is: path-style.
func target(r *http.Request) (bucket, key, hostBucket string, err error) {
	p, uerr := url.PathUnescape(rawPath(r))
	if uerr != nil {
		return "", "", "", s3Err("InvalidURI", "Couldn't parse the specified URI.").with("URI", r.RequestURI)
	}
	p = strings.TrimPrefix(p, "/")
	h := strings.ToLower(hostOnly(r.Host))
	if b, ok := strings.CutSuffix(h, ".localhost"); ok && b != "" && b != "s3" && !strings.HasPrefix(b, "s3.") {
		if i := strings.LastIndex(b, ".s3."); i > 0 {
			b = b[:i]
		} else {
			b = strings.TrimSuffix(b, ".s3")
		}
		return b, p, b, nil
	}
	bucket, key, _ = strings.Cut(p, "/")
	return bucket, key, "", nil
}

// ServeHTTP serves one S3 request: it authenticates it, finds its
// operation (refusing with 501 NotImplemented what the emulator does not
// do, before anything can treat it as a write), and runs the handler.
func (a *s3API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := &s3Req{w: w, r: r, id: a.requestID(), query: r.URL.Query()}
	h := w.Header()
	h.Set("x-amz-request-id", q.id)
	h.Set("x-amz-id-2", base64.StdEncoding.EncodeToString([]byte(q.id+q.id)))
	h.Set("Server", "AmazonS3")
	if err := a.serve(q); err != nil {
		a.writeError(q, err)
	}
}

func (a *s3API) serve(q *s3Req) error {
	r := q.r
	var err error
	if q.bucket, q.key, q.hostBucket, err = target(r); err != nil {
		return err
	}
	if r.Method == http.MethodOptions {
		return a.preflight(q)
	}
	if o := r.Header.Get("Origin"); o != "" {
		q.cors = o
		a.corsHeaders(q)
	}
	op, err := resolveOp(q)
	if err != nil {
		return err
	}
	q.op = op.name
	if op.name != "PostObject" { // a form upload is signed by its policy
		if q.who, err = a.auth.authenticate(r, "s3", q.hostBucket); err != nil {
			return err
		}
	}
	if err := refuseUnimplementedHeaders(q, op); err != nil {
		return err
	}
	if eo := r.Header.Get("X-Amz-Expected-Bucket-Owner"); eo != "" && q.bucket != "" {
		if c, err := a.store.Bucket(q.bucket); err == nil && a.ownerOf(c).ID != eo {
			return errAccessDenied()
		}
	}
	return op.handler(a, q)
}

// verifyJSON authenticates a request for a JSON API (Glue, Athena) as S3
// requests are, and answers with that protocol's errors.
func (a *s3API) verifyJSON(r *http.Request, service string) error {
	c, err := a.auth.authenticate(r, service, "")
	if err == nil && c.anonymous {
		err = s3Err("MissingAuthenticationToken", "Missing Authentication Token")
	}
	if err == nil {
		return nil
	}
	e, _ := asS3Error(err)
	typ := "IncompleteSignatureException"
	switch e.Code {
	case "InvalidAccessKeyId":
		typ = "UnrecognizedClientException"
	case "SignatureDoesNotMatch":
		typ = "InvalidSignatureException"
	case "MissingAuthenticationToken":
		typ = "MissingAuthenticationTokenException"
	}
	return &awsJSONError{Status: http.StatusForbidden, Type: typ, Message: e.Message}
}

// writeError answers with err as S3 does: an S3Error with its code and
// status; a full disk with a 503 that says so (clients retry it); any
// other error with 500 InternalError, logged.
func (a *s3API) writeError(q *s3Req, err error) {
	e, ok := asS3Error(err)
	switch {
	case ok:
	case isDiskFull(err):
		e = s3Err("ServiceUnavailable", "The S3 emulator's disk is full (no space left on device): nothing was stored; free space in its data directory and retry")
	default:
		a.logger.Error("s3 request failed", "method", q.r.Method, "bucket", q.bucket, "key", q.key, "err", err)
		e = s3Err("InternalError", "We encountered an internal error: %v. Please try again.", err)
	}
	if e.Code == "NoSuchKey" || e.Code == "NoSuchBucket" {
		resource := "/" + q.bucket
		if q.key != "" {
			resource += "/" + q.key
		}
		e = &S3Error{Code: e.Code, Message: e.Message, Fields: append(slices.Clip(e.Fields), [2]string{"Resource", resource}), Header: e.Header}
	}
	writeS3Error(q.w, q.r, q.id, e)
}

// writeS3Error sends S3's error document for e (no body for HEAD).
func writeS3Error(w http.ResponseWriter, r *http.Request, id string, e *S3Error) {
	// Read what is left of the body (up to a point): a client still
	// sending it would otherwise see a broken connection, not the error.
	// Not one that waits for 100 Continue: it is answered without
	// sending the body.
	if !strings.EqualFold(r.Header.Get("Expect"), "100-continue") {
		io.Copy(io.Discard, io.LimitReader(r.Body, 64<<20))
	}
	h := w.Header()
	for _, k := range []string{"Content-Length", "ETag", "Last-Modified", "Content-Range", "Accept-Ranges"} {
		h.Del(k)
	}
	h.Set("Content-Type", "application/xml")
	for k, v := range e.Header {
		h.Set(k, v)
	}
	w.WriteHeader(e.Status())
	if r.Method == http.MethodHead {
		return
	}
	doc := s3ErrorDoc{Code: e.Code, Message: e.Message, RequestID: id, HostID: base64.StdEncoding.EncodeToString([]byte(id + id))}
	for _, f := range e.Fields {
		doc.Fields = append(doc.Fields, xmlElement{XMLName: xml.Name{Local: f[0]}, Value: f[1]})
	}
	io.WriteString(w, xml.Header)
	xml.NewEncoder(w).Encode(doc)
}

// writeXML sends a successful XML response.
func writeXML(w http.ResponseWriter, status int, v any) error {
	b, err := xml.Marshal(v)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	io.WriteString(w, xml.Header)
	w.Write(b)
	return nil
}

// s3Namespace is the XML namespace of S3's documents.
const s3Namespace = "http://s3.amazonaws.com/doc/2006-03-01/"

// readXML decodes a request's XML body (at most max bytes) into v:
// MissingRequestBodyError if it is empty, MalformedXML if it is not v's
// shape.
func readXML(r *http.Request, max int64, v any) error {
	b, err := io.ReadAll(io.LimitReader(r.Body, max+1))
	if err != nil {
		return err
	}
	if int64(len(b)) > max {
		return s3Err("MaxMessageLengthExceeded", "Your request was too big: at most %d bytes", max)
	}
	if len(strings.TrimSpace(string(b))) == 0 {
		return s3Err("MissingRequestBodyError", "Request Body is empty")
	}
	if err := xml.Unmarshal(b, v); err != nil {
		return errMalformedXML()
	}
	return nil
}

// readXMLChecked is readXML for a body whose Content-MD5 (or checksum) S3
// verifies: BadDigest if it does not match.
func readXMLChecked(q *s3Req, max int64, v any) error {
	b, err := newBodyReader(q.r.Body, q.r.Header, "")
	if err != nil {
		return err
	}
	q.r.Body = io.NopCloser(b)
	return readXML(q.r, max, v)
}
