package emulate

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Signatures: the emulator checks AWS Signature Version 4 (headers,
// presigned URLs with their expiry, signed aws-chunked bodies) and Version
// 2 (headers, presigned URLs) against the credentials it was given, and
// answers as S3 does: InvalidAccessKeyId for an unknown key,
// SignatureDoesNotMatch for a wrong signature, AccessDenied for an expired
// URL. How it differs from AWS:
//
//   - No clock-skew check on signed headers (RequestTimeTooSkewed): a
//     client's clock is its own, and tests fake time. Presigned URLs do
//     expire.
//   - No session tokens (STS), no SigV4A.
//   - With no credentials configured (Credentials nil), nothing is
//     verified: every request, signed or not, acts as DefaultOwner.

// Credential is an access key the emulator accepts, with its secret. Its
// owner (the canonical user ID S3 reports) is derived from the key.
type Credential struct {
	AccessKey, Secret string
}

// DefaultCredentials are what `pipeline emulate` accepts unless told
// otherwise: the well-known test key of local AWS emulators
// (AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test), which the AWS CLI,
// the SDKs and boto3 sign with like any other.
var DefaultCredentials = []Credential{{AccessKey: "test", Secret: "test"}}

// ParseCredentials reads "KEY:SECRET[,KEY:SECRET...]".
func ParseCredentials(s string) ([]Credential, error) {
	var out []Credential
	for part := range strings.SplitSeq(s, ",") {
		key, secret, ok := strings.Cut(strings.TrimSpace(part), ":")
		if !ok || key == "" || secret == "" || strings.ContainsAny(key, "/ ") {
			return nil, fmt.Errorf("credentials %q: want KEY:SECRET[,KEY:SECRET...], keys without '/' or spaces", redactSecrets(s))
		}
		out = append(out, Credential{AccessKey: key, Secret: secret})
	}
	return out, nil
}

// redactSecrets hides the secrets of a KEY:SECRET list, for messages.
func redactSecrets(s string) string {
	var parts []string
	for part := range strings.SplitSeq(s, ",") {
		key, _, ok := strings.Cut(part, ":")
		if ok {
			key += ":***"
		}
		parts = append(parts, key)
	}
	return strings.Join(parts, ",")
}

// OwnerOf is the S3 owner of an access key: a 64-hex-digit canonical user
// ID, as S3's, and the key as display name.
func OwnerOf(accessKey string) Owner {
	sum := sha256.Sum256([]byte("pipeline-emulator-owner:" + accessKey))
	return Owner{ID: hex.EncodeToString(sum[:]), DisplayName: accessKey}
}

// authenticator checks requests' signatures.
type authenticator struct {
	creds map[string]string // access key -> secret; nil verifies nothing
	// anyone is the identity of every request when creds is nil, and of
	// buckets whose settings file names no owner.
	anyone Owner
	now    func() time.Time
}

func newAuthenticator(creds []Credential) *authenticator {
	a := &authenticator{now: time.Now}
	if len(creds) > 0 {
		a.creds = map[string]string{}
		for _, c := range creds {
			a.creds[c.AccessKey] = c.Secret
		}
		a.anyone = OwnerOf(creds[0].AccessKey)
	} else {
		a.anyone = OwnerOf(DefaultCredentials[0].AccessKey)
	}
	return a
}

// caller is who sent a request, once authenticated.
type caller struct {
	owner     Owner
	anonymous bool
	// streaming verifies a signed aws-chunked body's chunks; nil if the
	// body is not one.
	streaming *chunkSigner
}

// authenticate verifies r's signature, if it has one, and returns who sent
// it. A request without one is anonymous (allowed only where an ACL lets
// everyone in). Errors are S3's: AccessDenied (expired), InvalidAccessKeyId,
// SignatureDoesNotMatch, AuthorizationHeaderMalformed,
// AuthorizationQueryParametersError.
//
// hostBucket is the bucket a virtual-hosted request names in its Host
// ("" for a path-style one), which SigV2 signs as part of the path.
func (a *authenticator) authenticate(r *http.Request, service, hostBucket string) (*caller, error) {
	auth := r.Header.Get("Authorization")
	q := r.URL.Query()
	switch {
	case strings.HasPrefix(auth, "AWS4-HMAC-SHA256"):
		return a.sigV4Header(r, auth, service)
	case strings.HasPrefix(auth, "AWS "):
		return a.sigV2Header(r, auth, hostBucket)
	case q.Get("X-Amz-Algorithm") != "":
		return a.sigV4Query(r, q, service)
	case q.Has("AWSAccessKeyId") || q.Has("Signature"):
		return a.sigV2Query(r, q, hostBucket)
	case auth != "":
		return nil, s3Err("InvalidArgument", "Unsupported Authorization Type").with("ArgumentName", "Authorization").with("ArgumentValue", auth)
	}
	if a.creds == nil {
		return &caller{owner: a.anyone}, nil
	}
	return &caller{anonymous: true}, nil
}

// secret returns the secret of key, or InvalidAccessKeyId.
func (a *authenticator) secret(key string) (string, error) {
	s, ok := a.creds[key]
	if !ok {
		return "", s3Err("InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records: the emulator accepts the keys it was started with (--emulator-credentials; by default %q)", DefaultCredentials[0].AccessKey).
			with("AWSAccessKeyId", key)
	}
	return s, nil
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	io.WriteString(m, data)
	return m.Sum(nil)
}

func sigV4Key(secret, date, region, service string) []byte {
	k := hmacSHA256([]byte("AWS4"+secret), date)
	k = hmacSHA256(k, region)
	k = hmacSHA256(k, service)
	return hmacSHA256(k, "aws4_request")
}

// v4Params are the parts of a SigV4 signature.
type v4Params struct {
	key, date, region, service string // the credential scope
	amzDate                    string // X-Amz-Date
	signedHeaders              []string
	signature                  string
}

func (p v4Params) scope() string {
	return p.date + "/" + p.region + "/" + p.service + "/aws4_request"
}

// parseCredential splits KEY/DATE/REGION/SERVICE/aws4_request.
func parseCredential(cred string, p *v4Params) bool {
	f := strings.Split(cred, "/")
	if len(f) != 5 || f[4] != "aws4_request" || f[0] == "" {
		return false
	}
	p.key, p.date, p.region, p.service = f[0], f[1], f[2], f[3]
	return true
}

func (a *authenticator) sigV4Header(r *http.Request, auth, service string) (*caller, error) {
	var p v4Params
	malformed := func(why string) error {
		return s3Err("AuthorizationHeaderMalformed", "The authorization header is malformed; %s", why)
	}
	rest := strings.TrimPrefix(auth, "AWS4-HMAC-SHA256")
	for part := range strings.SplitSeq(rest, ",") {
		name, value, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch name {
		case "Credential":
			if !parseCredential(value, &p) {
				return nil, malformed("the Credential is not KEY/DATE/REGION/SERVICE/aws4_request")
			}
		case "SignedHeaders":
			p.signedHeaders = strings.Split(value, ";")
		case "Signature":
			p.signature = value
		}
	}
	if p.key == "" || p.signedHeaders == nil || p.signature == "" {
		return nil, malformed("it needs Credential, SignedHeaders and Signature")
	}
	p.amzDate = r.Header.Get("X-Amz-Date")
	if p.amzDate == "" {
		// Without X-Amz-Date the Date header dates the request, and the
		// string to sign holds it in the ISO 8601 form (botocore signs so
		// when a Date header is set).
		if t, err := parseHTTPDate(r.Header.Get("Date")); err == nil {
			p.amzDate = t.UTC().Format("20060102T150405Z")
		}
	}
	if a.creds == nil {
		return &caller{owner: a.anyone}, nil
	}
	secret, err := a.secret(p.key)
	if err != nil {
		return nil, err
	}
	payload := r.Header.Get("X-Amz-Content-Sha256")
	if payload == "" {
		if service == "s3" {
			return nil, s3Err("InvalidRequest", "Missing required header for this request: x-amz-content-sha256")
		}
		// The JSON APIs sign the body's hash without sending it.
		b, err := io.ReadAll(io.LimitReader(r.Body, 16<<20))
		if err != nil {
			return nil, err
		}
		r.Body = io.NopCloser(strings.NewReader(string(b)))
		sum := sha256.Sum256(b)
		payload = hex.EncodeToString(sum[:])
	}
	key := sigV4Key(secret, p.date, p.region, p.service)
	if err := checkV4(r, p, key, canonicalQuery(r.URL.RawQuery, ""), payload); err != nil {
		return nil, err
	}
	c := &caller{owner: OwnerOf(p.key)}
	if strings.HasPrefix(payload, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD") {
		c.streaming = &chunkSigner{key: key, date: p.amzDate, scope: p.scope(), prev: p.signature}
	}
	return c, nil
}

// maxPresignExpiry is the longest a SigV4 presigned URL may live: 7 days.
const maxPresignExpiry = 7 * 24 * time.Hour

// maxSkew is how far a SigV2 request's Date may be from the server's clock.
const maxSkew = 15 * time.Minute

func (a *authenticator) sigV4Query(r *http.Request, q url.Values, service string) (*caller, error) {
	bad := func(format string, args ...any) error {
		return s3Err("AuthorizationQueryParametersError", format, args...)
	}
	if q.Get("X-Amz-Algorithm") != "AWS4-HMAC-SHA256" {
		return nil, bad("X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"")
	}
	var p v4Params
	if !parseCredential(q.Get("X-Amz-Credential"), &p) {
		return nil, bad("Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".")
	}
	p.amzDate = q.Get("X-Amz-Date")
	signed, err := time.Parse("20060102T150405Z", p.amzDate)
	if err != nil {
		return nil, bad("X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"")
	}
	expires, err := strconv.ParseInt(q.Get("X-Amz-Expires"), 10, 64)
	switch {
	case err != nil:
		return nil, bad("X-Amz-Expires should be a number")
	case expires < 0:
		return nil, s3Err("AccessDenied", "X-Amz-Expires must be non-negative")
	case time.Duration(expires)*time.Second > maxPresignExpiry:
		return nil, bad("X-Amz-Expires must be less than a week (in seconds) that is 604800")
	}
	if now := a.now(); now.After(signed.Add(time.Duration(expires) * time.Second)) {
		return nil, s3Err("AccessDenied", "Request has expired").
			with("X-Amz-Expires", q.Get("X-Amz-Expires")).
			with("Expires", signed.Add(time.Duration(expires)*time.Second).UTC().Format(time.RFC3339)).
			with("ServerTime", now.UTC().Format(time.RFC3339))
	}
	p.signedHeaders = strings.Split(q.Get("X-Amz-SignedHeaders"), ";")
	p.signature = q.Get("X-Amz-Signature")
	if a.creds == nil {
		return &caller{owner: a.anyone}, nil
	}
	secret, err := a.secret(p.key)
	if err != nil {
		return nil, err
	}
	payload := q.Get("X-Amz-Content-Sha256")
	if payload == "" {
		payload = "UNSIGNED-PAYLOAD"
	}
	key := sigV4Key(secret, p.date, p.region, p.service)
	if err := checkV4(r, p, key, canonicalQuery(r.URL.RawQuery, "X-Amz-Signature"), payload); err != nil {
		return nil, err
	}
	return &caller{owner: OwnerOf(p.key)}, nil
}

// checkV4 computes the SigV4 signature of r and compares it with p's.
func checkV4(r *http.Request, p v4Params, key []byte, query, payload string) error {
	var hdrs strings.Builder
	for _, name := range p.signedHeaders {
		hdrs.WriteString(name + ":" + canonicalHeaderValue(r, name) + "\n")
	}
	creq := r.Method + "\n" + canonicalURI(r) + "\n" + query + "\n" + hdrs.String() + "\n" +
		strings.Join(p.signedHeaders, ";") + "\n" + payload
	sum := sha256.Sum256([]byte(creq))
	sts := "AWS4-HMAC-SHA256\n" + p.amzDate + "\n" + p.scope() + "\n" + hex.EncodeToString(sum[:])
	want := hex.EncodeToString(hmacSHA256(key, sts))
	if subtle.ConstantTimeCompare([]byte(want), []byte(p.signature)) != 1 {
		return s3Err("SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided. Check your key and signing method.").
			with("AWSAccessKeyId", p.key).with("StringToSign", sts).with("CanonicalRequest", creq)
	}
	return nil
}

// rawPath is the path of r as the client sent it, still escaped.
func rawPath(r *http.Request) string {
	p := r.RequestURI
	if p == "" || p == "*" {
		return r.URL.EscapedPath()
	}
	if u, err := url.Parse(p); err == nil && u.IsAbs() {
		p = u.RequestURI() // an absolute-form request line
	}
	p, _, _ = strings.Cut(p, "?")
	return p
}

// canonicalURI is SigV4's: the path as S3 clients sign it, each byte but
// unreserved ones and "/" percent-encoded (once: S3 is not encoded twice).
func canonicalURI(r *http.Request) string {
	p, err := url.PathUnescape(rawPath(r))
	if err != nil {
		p = r.URL.Path
	}
	if p == "" {
		return "/"
	}
	return awsURIEncode(p, false)
}

// awsURIEncode percent-encodes every byte but A-Z a-z 0-9 - . _ ~ (and "/"
// unless encodeSlash), in upper-case hex.
func awsURIEncode(s string, encodeSlash bool) string {
	const hexd = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' || c == '/' && !encodeSlash {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexd[c>>4])
		b.WriteByte(hexd[c&0xF])
	}
	return b.String()
}

// canonicalQuery is SigV4's canonical query string of a raw query, without
// the parameter skip.
func canonicalQuery(raw, skip string) string {
	type kv struct{ k, v string }
	var pairs []kv
	for part := range strings.SplitSeq(raw, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		dk, err := url.QueryUnescape(k)
		if err != nil {
			dk = k
		}
		dv, err := url.QueryUnescape(v)
		if err != nil {
			dv = v
		}
		if dk == skip {
			continue
		}
		pairs = append(pairs, kv{awsURIEncode(dk, true), awsURIEncode(dv, true)})
	}
	slices.SortFunc(pairs, func(a, b kv) int {
		if c := strings.Compare(a.k, b.k); c != 0 {
			return c
		}
		return strings.Compare(a.v, b.v)
	})
	var b strings.Builder
	for i, p := range pairs {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.k + "=" + p.v)
	}
	return b.String()
}

// canonicalHeaderValue is a signed header's value as SigV4 canonicalizes it:
// all its values joined with ",", each trimmed with inner runs of spaces
// collapsed.
func canonicalHeaderValue(r *http.Request, name string) string {
	var vals []string
	switch strings.ToLower(name) {
	case "host":
		vals = []string{r.Host}
	case "content-length":
		vals = r.Header.Values("Content-Length")
		if len(vals) == 0 && r.ContentLength >= 0 {
			vals = []string{strconv.FormatInt(r.ContentLength, 10)}
		}
	case "transfer-encoding":
		vals = r.TransferEncoding
	default:
		vals = r.Header.Values(name)
	}
	for i, v := range vals {
		vals[i] = strings.Join(strings.Fields(v), " ")
	}
	return strings.Join(vals, ",")
}

// Signature Version 2.

// sigV2Subresources are the query parameters SigV2's canonical resource
// includes.
var sigV2Subresources = []string{
	"acl", "cors", "delete", "lifecycle", "location", "logging", "notification", "partNumber", "policy",
	"requestPayment", "response-cache-control", "response-content-disposition", "response-content-encoding",
	"response-content-language", "response-content-type", "response-expires", "restore", "tagging", "torrent",
	"uploadId", "uploads", "versionId", "versioning", "versions", "website", "replication", "publicAccessBlock",
	"ownershipControls", "encryption", "object-lock", "legal-hold", "retention", "policyStatus", "attributes",
}

func (a *authenticator) sigV2Header(r *http.Request, auth, hostBucket string) (*caller, error) {
	key, sig, ok := strings.Cut(strings.TrimPrefix(auth, "AWS "), ":")
	if !ok || key == "" {
		return nil, s3Err("InvalidArgument", "AWS authorization header is invalid.  Expected AwsAccessKeyId:signature").
			with("ArgumentName", "Authorization").with("ArgumentValue", auth)
	}
	if a.creds == nil {
		return &caller{owner: a.anyone}, nil
	}
	secret, err := a.secret(key)
	if err != nil {
		return nil, err
	}
	date := r.Header.Get("Date")
	when := date
	if v := r.Header.Get("X-Amz-Date"); v != "" {
		date, when = "", v
	}
	// SigV2 signs a Date, which S3 requires to be recent (SigV4 headers
	// are not held to the clock: see above).
	t, err := parseHTTPDate(when)
	if err != nil || t.Before(time.Unix(0, 0)) {
		return nil, s3Err("AccessDenied", "AWS authentication requires a valid Date or x-amz-date header")
	}
	if now := a.now(); t.Sub(now) > maxSkew || now.Sub(t) > maxSkew {
		return nil, s3Err("RequestTimeTooSkewed", "The difference between the request time and the current time is too large.").
			with("RequestTime", when).with("ServerTime", now.UTC().Format(time.RFC3339)).with("MaxAllowedSkewMilliseconds", "900000")
	}
	if err := checkV2(r, key, secret, sig, date, hostBucket); err != nil {
		return nil, err
	}
	return &caller{owner: OwnerOf(key)}, nil
}

func (a *authenticator) sigV2Query(r *http.Request, q url.Values, hostBucket string) (*caller, error) {
	key, sig, expires := q.Get("AWSAccessKeyId"), q.Get("Signature"), q.Get("Expires")
	exp, err := strconv.ParseInt(expires, 10, 64)
	if key == "" || sig == "" || err != nil {
		return nil, s3Err("AccessDenied", "Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters")
	}
	if a.now().Unix() > exp {
		return nil, s3Err("AccessDenied", "Request has expired").with("Expires", time.Unix(exp, 0).UTC().Format(time.RFC3339))
	}
	if a.creds == nil {
		return &caller{owner: a.anyone}, nil
	}
	secret, err := a.secret(key)
	if err != nil {
		return nil, err
	}
	if err := checkV2(r, key, secret, sig, expires, hostBucket); err != nil {
		return nil, err
	}
	return &caller{owner: OwnerOf(key)}, nil
}

// checkV2 computes r's SigV2 signature, with date as its Date line, and
// compares it with sig.
func checkV2(r *http.Request, key, secret, sig, date, hostBucket string) error {
	var amz []string
	for name, vals := range r.Header {
		l := strings.ToLower(name)
		if strings.HasPrefix(l, "x-amz-") {
			trimmed := make([]string, len(vals))
			for i, v := range vals {
				trimmed[i] = strings.TrimSpace(v)
			}
			amz = append(amz, l+":"+strings.Join(trimmed, ","))
		}
	}
	slices.Sort(amz)
	path := rawPath(r)
	if hostBucket != "" {
		path = "/" + hostBucket + path
	}
	var subs []string
	q := r.URL.Query()
	for _, name := range sigV2Subresources {
		if !q.Has(name) {
			continue
		}
		if v := q.Get(name); v != "" {
			subs = append(subs, name+"="+v)
		} else {
			subs = append(subs, name)
		}
	}
	slices.Sort(subs)
	query := ""
	if len(subs) > 0 {
		query = "?" + strings.Join(subs, "&")
	}
	head := r.Method + "\n" + r.Header.Get("Content-Md5") + "\n" + r.Header.Get("Content-Type") + "\n" + date + "\n"
	for _, h := range amz {
		head += h + "\n"
	}
	// A bucket's resource is signed as /bucket or /bucket/ (botocore
	// signs the latter for a path-style request).
	paths := []string{path}
	if strings.Count(path, "/") == 1 && len(path) > 1 {
		paths = append(paths, path+"/")
	}
	var sts string
	for _, p := range paths {
		sts = head + p + query
		m := hmac.New(sha1.New, []byte(secret))
		io.WriteString(m, sts)
		want := base64.StdEncoding.EncodeToString(m.Sum(nil))
		if subtle.ConstantTimeCompare([]byte(want), []byte(sig)) == 1 {
			return nil
		}
	}
	return s3Err("SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided. Check your key and signing method.").
		with("AWSAccessKeyId", key).with("StringToSign", sts)
}

// parseHTTPDate reads a Date header: HTTP's formats, and RFC 1123 with a
// numeric zone ("-0000"), which Python's email.utils.formatdate writes.
func parseHTTPDate(v string) (time.Time, error) {
	t, err := http.ParseTime(v)
	if err != nil {
		if t2, err2 := time.Parse(time.RFC1123Z, v); err2 == nil {
			return t2, nil
		}
	}
	return t, err
}
