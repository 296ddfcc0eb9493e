package emulate

// GetObject and HeadObject. How they differ from S3:
//
//   - One range per request, as S3 (a multi-range header is served
//     whole, as S3 does).
//   - Every object reports x-amz-server-side-encryption: AES256, as S3's
//     default encryption does; nothing is encrypted on disk.

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

func (a *s3API) getObject(q *s3Req) error { return a.getOrHead(q, true) }

func (a *s3API) headObject(q *s3Req) error { return a.getOrHead(q, false) }

// versionID is the version a request names ("" for the current one).
func (q *s3Req) versionID() (string, error) {
	if !q.query.Has("versionId") {
		return "", nil
	}
	v := q.query.Get("versionId")
	if !validVersionID(v) {
		return "", errInvalidArgument("versionId", v, "Invalid version id specified")
	}
	return v, nil
}

func (a *s3API) getOrHead(q *s3Req, withBody bool) error {
	c, err := a.store.Bucket(q.bucket)
	if err != nil {
		return err
	}
	vid, err := q.versionID()
	if err != nil {
		return err
	}
	var info ObjectInfo
	var body io.ReaderAt
	if withBody {
		f, i, err := a.store.OpenObject(q.bucket, q.key, vid)
		if err != nil {
			return a.hideMissing(q, c, err)
		}
		defer f.Close()
		info, body = i, f
	} else {
		if info, err = a.store.StatObject(q.bucket, q.key, vid); err != nil {
			return a.hideMissing(q, c, err)
		}
	}
	if err := a.checkObject(q, c, &info.Meta, permRead); err != nil {
		return err
	}
	h := q.w.Header()
	if status, err := checkConditions(q.r.Header, info, "If-Match", "If-None-Match", "If-Modified-Since", "If-Unmodified-Since"); err != nil {
		return err
	} else if status == http.StatusNotModified {
		h.Set("ETag", `"`+info.ETag+`"`)
		h.Set("Last-Modified", lastModifiedHeader(info.LastModified))
		q.w.WriteHeader(http.StatusNotModified)
		return nil
	}

	start, length, status := int64(0), info.Size, http.StatusOK
	part, hasPart := q.query.Get("partNumber"), q.query.Has("partNumber")
	rng := q.r.Header.Get("Range")
	switch {
	case hasPart && rng != "":
		return s3Err("InvalidRequest", "Cannot specify both Range header and partNumber query parameter")
	case hasPart:
		n, err := strconv.Atoi(part)
		if err != nil || n < 1 || n > MaxPartNumber {
			return errInvalidArgument("partNumber", part, "Part number must be an integer between 1 and %d, inclusive", MaxPartNumber)
		}
		if start, length, err = partRange(info, n); err != nil {
			return err
		}
		status = http.StatusPartialContent
		h.Set("x-amz-mp-parts-count", strconv.Itoa(max(len(info.Meta.Parts), 1)))
		if len(info.Meta.Parts) == 0 {
			status = http.StatusOK
		}
	case rng != "":
		s, l, ok, err := parseRange(rng, info.Size)
		if err != nil {
			return err
		}
		if ok {
			start, length, status = s, l, http.StatusPartialContent
		}
	}
	if err := setObjectHeaders(q, info); err != nil {
		return err
	}
	if status == http.StatusPartialContent {
		h.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", start, start+length-1, info.Size))
	}
	if status == http.StatusOK && !hasPart || hasPart && len(info.Meta.Parts) == 0 {
		setChecksumHeaders(q, info.Meta.Checksum)
	} else if hasPart {
		if n, _ := strconv.Atoi(part); n >= 1 && n <= len(info.Meta.Parts) {
			setChecksumHeaders(q, info.Meta.Parts[n-1].Checksum)
		}
	}
	h.Set("Content-Length", strconv.FormatInt(length, 10))
	q.w.WriteHeader(status)
	if !withBody {
		return nil
	}
	// The status is sent: an error now can only cut the body short,
	// which the client sees against Content-Length.
	io.Copy(q.w, io.NewSectionReader(body, start, length))
	return nil
}

// hideMissing answers a missing object as S3 does to a caller who may not
// list the bucket: AccessDenied rather than NoSuchKey.
func (a *s3API) hideMissing(q *s3Req, c BucketConfig, err error) error {
	if !hasS3Code(err, "NoSuchKey") {
		return err
	}
	// Whether the caller may list the key's name, as s3:ListBucket with
	// the key as s3:prefix.
	listQ := *q
	listQ.query = url.Values{"prefix": {q.key}}
	if a.authorize(&listQ, c, q.bucket, "", nil, "s3:ListBucket", func() bool {
		return a.isOwner(q.who, c) || grants(a.bucketACL(c), q.who, permRead, ignorePublicACLs(c))
	}) != nil {
		return errAccessDenied()
	}
	if e, _ := asS3Error(err); e.Header == nil {
		q.w.Header().Set("x-amz-delete-marker", "false")
	}
	return err
}

// partRange is the byte range of part n of an object.
func partRange(info ObjectInfo, n int) (start, length int64, err error) {
	if len(info.Meta.Parts) == 0 {
		if n == 1 {
			return 0, info.Size, nil
		}
		return 0, 0, s3Err("InvalidPartNumber", "The requested partnumber is not satisfiable").with("PartNumberRequested", strconv.Itoa(n)).with("ActualPartCount", "1")
	}
	if n > len(info.Meta.Parts) {
		return 0, 0, s3Err("InvalidPartNumber", "The requested partnumber is not satisfiable").
			with("PartNumberRequested", strconv.Itoa(n)).with("ActualPartCount", strconv.Itoa(len(info.Meta.Parts)))
	}
	for _, p := range info.Meta.Parts[:n-1] {
		start += p.Size
	}
	return start, info.Meta.Parts[n-1].Size, nil
}

// parseRange reads a Range header for an object of size bytes: ok is false
// for a header S3 ignores (not bytes=, several ranges, malformed), and the
// error InvalidRange for a range the object cannot satisfy.
func parseRange(h string, size int64) (start, length int64, ok bool, err error) {
	spec, found := strings.CutPrefix(strings.TrimSpace(h), "bytes=")
	if !found || strings.Contains(spec, ",") {
		return 0, 0, false, nil
	}
	first, last, found := strings.Cut(spec, "-")
	if !found {
		return 0, 0, false, nil
	}
	first, last = strings.TrimSpace(first), strings.TrimSpace(last)
	unsatisfiable := s3Err("InvalidRange", "The requested range is not satisfiable").
		with("RangeRequested", h).with("ActualObjectSize", strconv.FormatInt(size, 10))
	if first == "" {
		n, perr := strconv.ParseInt(last, 10, 64)
		if perr != nil || n < 0 {
			return 0, 0, false, nil
		}
		if n == 0 || size == 0 {
			return 0, 0, false, unsatisfiable
		}
		n = min(n, size)
		return size - n, n, true, nil
	}
	s, perr := strconv.ParseInt(first, 10, 64)
	if perr != nil || s < 0 {
		return 0, 0, false, nil
	}
	e := size - 1
	if last != "" {
		if e, perr = strconv.ParseInt(last, 10, 64); perr != nil || e < s {
			return 0, 0, false, nil
		}
	}
	if s >= size {
		return 0, 0, false, unsatisfiable
	}
	e = min(e, size-1)
	return s, e - s + 1, true, nil
}

// checkConditions evaluates the conditional headers named (in the order
// If-Match, If-None-Match, If-Modified-Since, If-Unmodified-Since) against
// an object, as S3 does: a failed If-Match or If-Unmodified-Since is
// PreconditionFailed; a failed If-None-Match or If-Modified-Since is
// 304 Not Modified (status), unless a true If-Match decides otherwise.
func checkConditions(h http.Header, info ObjectInfo, ifMatch, ifNoneMatch, ifModified, ifUnmodified string) (int, error) {
	lm := info.LastModified.Truncate(time.Second)
	im, inm := h.Get(ifMatch), h.Get(ifNoneMatch)
	if im != "" && !etagMatches(im, info.ETag) {
		return 0, errPreconditionFailed(ifMatch)
	}
	if v := h.Get(ifUnmodified); v != "" && im == "" {
		if t, err := http.ParseTime(v); err == nil && lm.After(t) {
			return 0, errPreconditionFailed(ifUnmodified)
		}
	}
	if inm != "" && etagMatches(inm, info.ETag) {
		return http.StatusNotModified, nil
	}
	if v := h.Get(ifModified); v != "" && inm == "" {
		if t, err := http.ParseTime(v); err == nil && !lm.After(t) {
			return http.StatusNotModified, nil
		}
	}
	return http.StatusOK, nil
}

// responseOverrides are the query parameters that set response headers.
var responseOverrides = []struct{ param, header string }{
	{"response-content-type", "Content-Type"},
	{"response-content-language", "Content-Language"},
	{"response-expires", "Expires"},
	{"response-cache-control", "Cache-Control"},
	{"response-content-disposition", "Content-Disposition"},
	{"response-content-encoding", "Content-Encoding"},
}

// setObjectHeaders sets the headers that describe an object, with the
// response-* overrides of a signed request.
func setObjectHeaders(q *s3Req, info ObjectInfo) error {
	h := q.w.Header()
	m := info.Meta
	h.Set("ETag", `"`+info.ETag+`"`)
	if info.VersionID != "" {
		h.Set("x-amz-version-id", info.VersionID)
	}
	h.Set("Last-Modified", lastModifiedHeader(info.LastModified))
	h.Set("Accept-Ranges", "bytes")
	ct := m.ContentType
	if ct == "" {
		ct = defaultContentType
	}
	h.Set("Content-Type", ct)
	for _, kv := range [][2]string{
		{"Content-Encoding", m.ContentEncoding}, {"Content-Disposition", m.ContentDisposition},
		{"Content-Language", m.ContentLanguage}, {"Cache-Control", m.CacheControl}, {"Expires", m.Expires},
		{"x-amz-website-redirect-location", m.WebsiteRedirectLocation},
	} {
		if kv[1] != "" {
			h.Set(kv[0], kv[1])
		}
	}
	for k, v := range m.User {
		h["x-amz-meta-"+k] = []string{toLatin1(v)}
	}
	if len(m.Tags) > 0 {
		h.Set("x-amz-tagging-count", strconv.Itoa(len(m.Tags)))
	}
	if m.StorageClass != "" && m.StorageClass != "STANDARD" {
		h.Set("x-amz-storage-class", m.StorageClass)
	}
	h.Set("x-amz-server-side-encryption", "AES256")
	if len(m.Parts) > 0 && !q.query.Has("partNumber") {
		h.Set("x-amz-mp-parts-count", strconv.Itoa(len(m.Parts)))
	}
	for _, o := range responseOverrides {
		if v := q.query.Get(o.param); q.query.Has(o.param) {
			if q.who.anonymous {
				return s3Err("InvalidRequest", "Request specific response headers cannot be used for anonymous GET requests.")
			}
			h.Set(o.header, v)
		}
	}
	return nil
}

// setChecksumHeaders reports an object's (or part's) checksum when the
// client asks for it with x-amz-checksum-mode: ENABLED.
func setChecksumHeaders(q *s3Req, c *Checksum) {
	if c == nil || !strings.EqualFold(q.r.Header.Get("X-Amz-Checksum-Mode"), "ENABLED") {
		return
	}
	h := q.w.Header()
	h.Set("x-amz-checksum-"+strings.ToLower(c.Algorithm), c.Value)
	if c.Type != "" {
		h.Set("x-amz-checksum-type", c.Type)
	}
}

// defaultContentType is what S3 reports for an object stored without one.
const defaultContentType = "binary/octet-stream"
