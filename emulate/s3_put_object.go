package emulate

// PutObject. How it differs from S3:
//
//   - Storage classes are recorded and reported, not acted on: a GLACIER
//     object reads like any other.
//   - An object stored without a checksum gets none (S3 computes CRC64NVME
//     for it); one sent with a checksum, in a header or an aws-chunked
//     trailer, is verified and stored.
//   - Metadata values are kept byte for byte (S3 answers non-ASCII ones
//     RFC 2047-encoded).

import (
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxPutSize is the largest object one PUT may store.
const maxPutSize = 5 << 30

// maxUserMetadata is the most user metadata (names and values) an object
// may have.
const maxUserMetadata = 2 << 10

var storageClasses = []string{
	"STANDARD", "REDUCED_REDUNDANCY", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER",
	"DEEP_ARCHIVE", "OUTPOSTS", "GLACIER_IR", "SNOW", "EXPRESS_ONEZONE",
}

func (a *s3API) putObject(q *s3Req) error {
	if q.r.Header.Get("X-Amz-Copy-Source") != "" {
		return a.copyObject(q)
	}
	c, err := a.store.Bucket(q.bucket)
	if err != nil {
		return err
	}
	if err := a.checkBucket(q, c, permWrite); err != nil {
		return err
	}
	if err := checkKey(q.key); err != nil {
		return err
	}
	meta, err := a.metaFromHeaders(q, c)
	if err != nil {
		return err
	}
	if meta.ACL, err = a.newObjectACL(q, c); err != nil {
		return err
	}
	body, size, err := a.requestBody(q, "")
	if err != nil {
		return err
	}
	opts := &PutOptions{Meta: meta, IfNoneMatch: q.r.Header.Get("If-None-Match"), IfMatch: q.r.Header.Get("If-Match")}
	if opts.IfNoneMatch != "" && opts.IfNoneMatch != "*" {
		return s3Err("NotImplemented", "If-None-Match on PutObject takes only \"*\" (the key must not exist)").with("Header", "If-None-Match")
	}
	info, err := a.store.PutObject(q.bucket, q.key, body, size, opts)
	if err != nil {
		return err
	}
	h := q.w.Header()
	h.Set("ETag", `"`+info.ETag+`"`)
	h.Set("x-amz-server-side-encryption", "AES256")
	setWrittenVersionHeader(q, info.VersionID)
	if cs := info.Meta.Checksum; cs != nil {
		h.Set("x-amz-checksum-"+strings.ToLower(cs.Algorithm), cs.Value)
		h.Set("x-amz-checksum-type", cs.Type)
	}
	q.w.WriteHeader(http.StatusOK)
	return nil
}

// requestBody returns the body of an upload (decoding aws-chunked) wrapped
// to check its Content-MD5, signed hash and checksum, and its length
// (-1 if unknown). With defaultAlg it computes that checksum even if the
// client declared none.
func (a *s3API) requestBody(q *s3Req, defaultAlg string) (*bodyReader, int64, error) {
	r := q.r
	size := r.ContentLength
	if v, ok := r.Header["Content-Length"]; ok && len(v) == 1 {
		if n, err := strconv.ParseInt(v[0], 10, 64); err != nil || n < 0 {
			return nil, 0, s3Err("InvalidArgument", "Content-Length must be a non-negative integer").with("ArgumentName", "Content-Length")
		}
	}
	var src io.Reader = r.Body
	var chunked *chunkedReader
	sha := r.Header.Get("X-Amz-Content-Sha256")
	if strings.HasPrefix(sha, "STREAMING-") || r.Header.Get("X-Amz-Decoded-Content-Length") != "" {
		v := r.Header.Get("X-Amz-Decoded-Content-Length")
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return nil, 0, s3Err("MissingContentLength", "You must provide the Content-Length HTTP header: an aws-chunked body needs x-amz-decoded-content-length")
		}
		var signer *chunkSigner
		if q.who != nil {
			signer = q.who.streaming
		}
		chunked = newChunkedReader(r.Body, signer)
		src, size = chunked, n
	} else if size < 0 && len(r.TransferEncoding) == 0 {
		return nil, 0, s3Err("MissingContentLength", "You must provide the Content-Length HTTP header.")
	}
	if size > maxPutSize {
		return nil, 0, s3Err("EntityTooLarge", "Your proposed upload exceeds the maximum allowed size").
			with("ProposedSize", strconv.FormatInt(size, 10)).with("MaxSizeAllowed", strconv.Itoa(maxPutSize))
	}
	b, err := newBodyReader(src, r.Header, defaultAlg)
	if err != nil {
		return nil, 0, err
	}
	if t := strings.ToLower(r.Header.Get("X-Amz-Trailer")); t != "" {
		alg, ok := strings.CutPrefix(t, "x-amz-checksum-")
		alg = strings.ToUpper(alg)
		if !ok || !isChecksumAlgorithm(alg) || chunked == nil {
			return nil, 0, s3Err("InvalidRequest", "x-amz-trailer %q is not a checksum of an aws-chunked body", t)
		}
		if b.want != "" && b.alg != alg {
			return nil, 0, s3Err("InvalidRequest", "Expecting a single x-amz-checksum- header")
		}
		b.alg, b.sum, b.want = alg, newChecksumHash(alg), ""
		b.trailer = func() string { return chunked.trailers[t] }
	}
	return b, size, nil
}

// metaFromHeaders reads an object's metadata from the headers of the
// request that stores it (PutObject, CreateMultipartUpload, a copy that
// replaces the metadata). The ACL is not among them (see newObjectACL).
func (a *s3API) metaFromHeaders(q *s3Req, c BucketConfig) (ObjectMeta, error) {
	h := q.r.Header
	m := ObjectMeta{
		ContentType:             h.Get("Content-Type"),
		ContentEncoding:         stripAWSChunked(h.Get("Content-Encoding")),
		ContentDisposition:      h.Get("Content-Disposition"),
		ContentLanguage:         h.Get("Content-Language"),
		CacheControl:            h.Get("Cache-Control"),
		Expires:                 h.Get("Expires"),
		WebsiteRedirectLocation: h.Get("X-Amz-Website-Redirect-Location"),
		SSE:                     h.Get("X-Amz-Server-Side-Encryption"),
	}
	if m.ContentType == "" {
		m.ContentType = defaultContentType
	}
	var err error
	if m.User, err = userMetadata(h); err != nil {
		return m, err
	}
	if sc := h.Get("X-Amz-Storage-Class"); sc != "" {
		if !slices.Contains(storageClasses, sc) {
			return m, s3Err("InvalidStorageClass", "The storage class you specified is not valid").with("StorageClassRequested", sc)
		}
		if sc != "STANDARD" {
			m.StorageClass = sc
		}
	}
	if t := h.Get("X-Amz-Tagging"); t != "" {
		if m.Tags, err = parseTaggingHeader(t); err != nil {
			return m, err
		}
	}
	if alg := strings.ToUpper(h.Get("X-Amz-Checksum-Algorithm")); alg != "" {
		if !isChecksumAlgorithm(alg) {
			return m, errInvalidArgument("x-amz-checksum-algorithm", alg, "Checksum algorithm %q is not supported: want one of %s", alg, strings.Join(checksumAlgorithms, ", "))
		}
		m.Checksum = &Checksum{Algorithm: alg, Type: "COMPOSITE"}
	}
	return m, nil
}

// stripAWSChunked removes the aws-chunked transfer coding from a
// Content-Encoding: it describes the request's body, not the object.
func stripAWSChunked(ce string) string {
	var keep []string
	for part := range strings.SplitSeq(ce, ",") {
		if p := strings.TrimSpace(part); p != "" && !strings.EqualFold(p, "aws-chunked") {
			keep = append(keep, p)
		}
	}
	return strings.Join(keep, ", ")
}

// userMetadata reads the x-amz-meta-* headers: names lower case, values
// kept byte for byte (a header's bytes are Latin-1 on the wire; see
// latin1).
func userMetadata(h http.Header) (map[string]string, error) {
	var user map[string]string
	size := 0
	for k, vs := range h {
		name, ok := strings.CutPrefix(strings.ToLower(k), "x-amz-meta-")
		if !ok {
			continue
		}
		if user == nil {
			user = map[string]string{}
		}
		v := strings.Join(vs, ",")
		user[name] = fromLatin1(v)
		size += len(name) + len(v)
	}
	if size > maxUserMetadata {
		return nil, s3Err("MetadataTooLarge", "Your metadata headers exceed the maximum allowed metadata size").
			with("Size", strconv.Itoa(size)).with("MaxSizeAllowed", strconv.Itoa(maxUserMetadata))
	}
	return user, nil
}

// fromLatin1 stores a header value's bytes as the runes of the same
// numbers, so that any bytes survive JSON; toLatin1 gives them back.
func fromLatin1(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		ascii = ascii && s[i] < utf8.RuneSelf
	}
	if ascii {
		return s
	}
	r := make([]rune, len(s))
	for i := 0; i < len(s); i++ {
		r[i] = rune(s[i])
	}
	return string(r)
}

func toLatin1(s string) string {
	b := make([]byte, 0, len(s))
	for _, r := range s {
		b = append(b, byte(r))
	}
	return string(b)
}

// newObjectACL is the ACL of an object a request stores: its x-amz-acl or
// grants, else private to its writer, owned as the bucket's ownership
// setting says.
func (a *s3API) newObjectACL(q *s3Req, c BucketConfig) (*ACL, error) {
	bucketOwner := a.ownerOf(c)
	owner := q.who.owner
	canned := q.r.Header.Get("X-Amz-Acl")
	if c.Ownership == "BucketOwnerEnforced" {
		// Objects are the bucket owner's; an ACL other than the one that
		// says so is refused.
		if canned != "" && canned != "bucket-owner-full-control" || hasGrantHeader(q.r.Header) {
			return nil, errACLsDisabled()
		}
		acl := privateACL(bucketOwner)
		return &acl, nil
	}
	if q.who.anonymous || c.Ownership == "BucketOwnerPreferred" && canned == "bucket-owner-full-control" {
		owner = bucketOwner
	}
	acl, ok, err := a.requestACL(q.r, owner, bucketOwner)
	if err != nil {
		return nil, err
	}
	if !ok {
		acl = privateACL(owner)
	}
	if err := checkACLAllowed(c, acl); err != nil {
		return nil, err
	}
	return &acl, nil
}

// hasGrantHeader reports whether a request carries x-amz-grant-* headers.
func hasGrantHeader(h http.Header) bool {
	for _, gh := range grantHeaders {
		if h.Get(gh.header) != "" {
			return true
		}
	}
	return false
}

// parseTaggingHeader reads x-amz-tagging: key=value pairs, URL-encoded.
func parseTaggingHeader(v string) ([]Tag, error) {
	vals, err := url.ParseQuery(v)
	if err != nil {
		return nil, s3Err("InvalidArgument", "The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query parameters without tag name duplicates.")
	}
	var tags []Tag
	for k, vs := range vals {
		if len(vs) != 1 {
			return nil, s3Err("InvalidArgument", "The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query parameters without tag name duplicates.")
		}
		tags = append(tags, Tag{Key: k, Value: vs[0]})
	}
	slices.SortFunc(tags, func(a, b Tag) int { return strings.Compare(a.Key, b.Key) })
	return tags, checkTags(tags, maxObjectTags)
}
