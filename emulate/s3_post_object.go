package emulate

// PostObject: a browser's form upload (POST /bucket, multipart/form-data),
// authorized by a policy the form carries, signed with SigV4 (x-amz-*
// fields) or SigV2 (AWSAccessKeyId, signature); a form without one is
// anonymous, for a bucket everyone may write to. The policy's expiration
// and every condition are checked (eq, starts-with, content-length-range),
// and every field but the signature's own, file and x-ignore-* must be
// named by a condition, as S3 requires. How it differs from S3: fields
// after the file are ignored, as S3 does, but not reported.

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// maxFormFields bounds the form fields before the file.
const maxFormFields = 20 << 10

type postResponse struct {
	XMLName  xml.Name `xml:"PostResponse"`
	Location string   `xml:"Location"`
	Bucket   string   `xml:"Bucket"`
	Key      string   `xml:"Key"`
	ETag     string   `xml:"ETag"`
}

func errPolicy(format string, args ...any) error {
	return s3Err("AccessDenied", "Invalid according to Policy: "+format, args...)
}

func (a *s3API) postObject(q *s3Req) error {
	mt, params, err := mime.ParseMediaType(q.r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		return s3Err("PreconditionFailed", "Bucket POST must be of the enclosure-type multipart/form-data").with("Condition", "Bucket POST must be of the enclosure-type multipart/form-data")
	}
	c, err := a.store.Bucket(q.bucket)
	if err != nil {
		return err
	}
	mr := multipart.NewReader(q.r.Body, params["boundary"])
	fields := map[string]string{} // lower-case names
	names := map[string]string{}  // lower-case -> as sent
	var file *multipart.Part
	size := 0
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return s3Err("MalformedPOSTRequest", "The body of your POST request is not well-formed multipart/form-data.")
		}
		name := p.FormName()
		if strings.EqualFold(name, "file") {
			file = p
			break
		}
		b, err := io.ReadAll(io.LimitReader(p, maxFormFields+1))
		size += len(b)
		if err != nil || size > maxFormFields {
			return s3Err("MaxPostPreDataLengthExceededError", "Your POST request fields preceding the upload file were too large.")
		}
		fields[strings.ToLower(name)] = string(b)
		names[strings.ToLower(name)] = name
	}
	if file == nil {
		return s3Err("InvalidArgument", "POST requires exactly one file upload per request.").with("ArgumentName", "file")
	}
	key, ok := fields["key"]
	if !ok || key == "" {
		return errInvalidArgument("key", "", "Bucket POST must contain a field named 'key'.  If it is specified, please check the order of the fields.")
	}
	key = strings.ReplaceAll(key, "${filename}", file.FileName())
	fields["key"] = key

	who, err := a.postCaller(q, fields)
	if err != nil {
		return err
	}
	q.who, q.key = who, key
	lengthRange := [2]int64{0, maxPutSize}
	if fields["policy"] != "" {
		if lengthRange, err = checkPostPolicy(fields, names, q.bucket); err != nil {
			return err
		}
	}
	if err := a.checkBucket(q, c, permWrite); err != nil {
		return err
	}
	if err := checkKey(key); err != nil {
		return err
	}

	// The form's fields are the object's headers.
	h := http.Header{}
	for k, v := range fields {
		switch {
		case k == "acl":
			h.Set("X-Amz-Acl", v)
		case k == "content-type", k == "cache-control", k == "content-disposition", k == "content-encoding", k == "expires",
			strings.HasPrefix(k, "x-amz-meta-"), k == "x-amz-storage-class", k == "x-amz-website-redirect-location",
			strings.HasPrefix(k, "x-amz-checksum-"), k == "x-amz-server-side-encryption":
			h.Set(k, v)
		}
	}
	if h.Get("Content-Type") == "" {
		h.Set("Content-Type", file.Header.Get("Content-Type"))
	}
	fq := *q
	fq.r = q.r.Clone(q.r.Context())
	fq.r.Header = h
	meta, err := a.metaFromHeaders(&fq, c)
	if err != nil {
		return err
	}
	if t := fields["tagging"]; t != "" {
		var in taggingXML
		if err := xml.Unmarshal([]byte(t), &in); err != nil {
			return errMalformedXML()
		}
		for _, tg := range in.TagSet {
			meta.Tags = append(meta.Tags, Tag{Key: tg.Key, Value: tg.Value})
		}
		if err := checkTags(meta.Tags, maxObjectTags); err != nil {
			return err
		}
	}
	if meta.ACL, err = a.newObjectACL(&fq, c); err != nil {
		return err
	}
	body, err := newBodyReader(&rangeReader{r: file, min: lengthRange[0], max: lengthRange[1]}, h, "")
	if err != nil {
		return err
	}
	info, err := a.store.PutObject(q.bucket, key, body, -1, &PutOptions{Meta: meta})
	if err != nil {
		return err
	}
	etag := `"` + info.ETag + `"`
	q.w.Header().Set("ETag", etag)
	location := fmt.Sprintf("http://%s/%s/%s", q.r.Host, q.bucket, url.PathEscape(key))
	q.w.Header().Set("Location", location)
	redirect := fields["success_action_redirect"]
	if redirect == "" {
		redirect = fields["redirect"]
	}
	if u, err := url.Parse(redirect); redirect != "" && err == nil && u.Scheme != "" {
		add := "bucket=" + url.QueryEscape(q.bucket) + "&key=" + url.QueryEscape(key) + "&etag=" + url.QueryEscape(etag)
		if u.RawQuery != "" {
			add = u.RawQuery + "&" + add
		}
		u.RawQuery = add
		q.w.Header().Set("Location", u.String())
		q.w.WriteHeader(http.StatusSeeOther)
		return nil
	}
	switch fields["success_action_status"] {
	case "200":
		q.w.WriteHeader(http.StatusOK)
	case "201":
		return writeXML(q.w, http.StatusCreated, postResponse{Location: location, Bucket: q.bucket, Key: key, ETag: etag})
	default:
		q.w.WriteHeader(http.StatusNoContent)
	}
	return nil
}

// postCaller authenticates a form by its policy's signature: anonymous
// without one.
func (a *s3API) postCaller(q *s3Req, f map[string]string) (*caller, error) {
	policy := f["policy"]
	if a.auth.creds == nil {
		return &caller{owner: a.auth.anyone}, nil
	}
	switch {
	case f["x-amz-signature"] != "" || f["x-amz-algorithm"] != "":
		var p v4Params
		if f["x-amz-algorithm"] != "AWS4-HMAC-SHA256" || !parseCredential(f["x-amz-credential"], &p) {
			return nil, s3Err("InvalidArgument", "POST form's x-amz-algorithm must be AWS4-HMAC-SHA256 with an x-amz-credential")
		}
		secret, err := a.auth.secret(p.key)
		if err != nil {
			return nil, err
		}
		want := hex.EncodeToString(hmacSHA256(sigV4Key(secret, p.date, p.region, p.service), policy))
		if !hmac.Equal([]byte(want), []byte(f["x-amz-signature"])) {
			return nil, s3Err("SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided. Check your key and signing method.")
		}
		return &caller{owner: OwnerOf(p.key)}, nil
	case f["awsaccesskeyid"] != "" || f["signature"] != "":
		key := f["awsaccesskeyid"]
		if key == "" || f["signature"] == "" || policy == "" {
			return nil, s3Err("InvalidArgument", "Bucket POST must contain the fields AWSAccessKeyId, signature and policy to be signed")
		}
		secret, err := a.auth.secret(key)
		if err != nil {
			return nil, err
		}
		m := hmac.New(sha1.New, []byte(secret))
		io.WriteString(m, policy)
		if want := base64.StdEncoding.EncodeToString(m.Sum(nil)); !hmac.Equal([]byte(want), []byte(f["signature"])) {
			return nil, s3Err("SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided. Check your key and signing method.")
		}
		return &caller{owner: OwnerOf(key)}, nil
	case policy != "":
		return nil, errAccessDenied()
	}
	return &caller{anonymous: true}, nil
}

// postExempt are the fields a policy need not name.
func postExempt(name string) bool {
	switch name {
	case "policy", "signature", "awsaccesskeyid", "x-amz-signature", "file":
		return true
	}
	return strings.HasPrefix(name, "x-ignore-") || strings.HasPrefix(name, "x-amz-checksum-")
}

// checkPostPolicy checks a form's fields against its policy and returns
// the allowed range of the file's length.
func checkPostPolicy(fields, names map[string]string, bucket string) ([2]int64, error) {
	rng := [2]int64{0, maxPutSize}
	raw, err := base64.StdEncoding.DecodeString(fields["policy"])
	// The policy's keys are case-sensitive, as S3 reads them (Go's JSON
	// decoding of a struct is not).
	var p map[string]json.RawMessage
	if err != nil || json.Unmarshal(raw, &p) != nil {
		return rng, s3Err("InvalidPolicyDocument", "Invalid Policy: Invalid JSON.")
	}
	var expiration string
	var conditions []json.RawMessage
	if json.Unmarshal(p["expiration"], &expiration) != nil {
		return rng, s3Err("InvalidPolicyDocument", "Invalid Policy: Policy missing expiration.")
	}
	exp, err := time.Parse(time.RFC3339, expiration)
	if err != nil {
		return rng, s3Err("InvalidPolicyDocument", "Invalid Policy: Policy expiration must be an ISO8601 date and time")
	}
	if time.Now().After(exp) {
		return rng, errPolicy("Policy expired.")
	}
	if json.Unmarshal(p["conditions"], &conditions) != nil || conditions == nil {
		return rng, s3Err("InvalidPolicyDocument", "Invalid Policy: Policy missing conditions.")
	}
	withBucket := map[string]string{}
	for k, v := range fields {
		withBucket[k] = v
	}
	withBucket["bucket"] = bucket
	named := map[string]bool{}
	check := func(op, field, value string) error {
		name := strings.ToLower(strings.TrimPrefix(field, "$"))
		named[name] = true
		got, ok := withBucket[name]
		switch {
		case op == "eq" && (!ok || got != value):
			return errPolicy("Policy Condition failed: [\"eq\", \"%s\", \"%s\"]", field, value)
		case op == "starts-with" && name == "content-type":
			for ct := range strings.SplitSeq(got, ",") {
				if !strings.HasPrefix(strings.TrimSpace(ct), value) {
					return errPolicy("Policy Condition failed: [\"starts-with\", \"%s\", \"%s\"]", field, value)
				}
			}
		case op == "starts-with" && (!ok || !strings.HasPrefix(got, value)):
			return errPolicy("Policy Condition failed: [\"starts-with\", \"%s\", \"%s\"]", field, value)
		}
		return nil
	}
	for _, c := range conditions {
		var obj map[string]any
		var arr []any
		switch {
		case json.Unmarshal(c, &obj) == nil:
			if len(obj) != 1 {
				return rng, s3Err("InvalidPolicyDocument", "Invalid Policy: Invalid Simple-Condition: Simple-Conditions must have exactly one property specified.")
			}
			for k, v := range obj {
				s, ok := v.(string)
				if !ok {
					return rng, s3Err("InvalidPolicyDocument", "Invalid Policy: Invalid Simple-Condition: value must be a string.")
				}
				if err := check("eq", k, s); err != nil {
					return rng, err
				}
			}
		case json.Unmarshal(c, &arr) == nil && len(arr) == 3:
			op, _ := arr[0].(string)
			if strings.ToLower(op) == "content-length-range" {
				lo, ok1 := arr[1].(float64)
				hi, ok2 := arr[2].(float64)
				if !ok1 || !ok2 {
					return rng, s3Err("InvalidPolicyDocument", "Invalid Policy: Invalid content-length-range.")
				}
				rng = [2]int64{int64(lo), int64(hi)}
				continue
			}
			field, _ := arr[1].(string)
			value, _ := arr[2].(string)
			op = strings.ToLower(op)
			if op != "eq" && op != "starts-with" || !strings.HasPrefix(field, "$") {
				return rng, s3Err("InvalidPolicyDocument", "Invalid Policy: Invalid Condition: %s", string(c))
			}
			if err := check(op, field, value); err != nil {
				return rng, err
			}
		default:
			return rng, s3Err("InvalidPolicyDocument", "Invalid Policy: Invalid Condition: %s", string(c))
		}
	}
	for name := range fields {
		if !postExempt(name) && !named[name] {
			return rng, errPolicy("Extra input fields: %s", names[name])
		}
	}
	return rng, nil
}

// rangeReader fails a file that is longer than max (EntityTooLarge) or,
// at its end, shorter than min (EntityTooSmall).
type rangeReader struct {
	r        io.Reader
	n        int64
	min, max int64
}

func (r *rangeReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	r.n += int64(n)
	if r.n > r.max {
		return n, s3Err("EntityTooLarge", "Your proposed upload exceeds the maximum allowed size").
			with("MaxSizeAllowed", strconv.FormatInt(r.max, 10))
	}
	if errors.Is(err, io.EOF) && r.n < r.min {
		return n, s3Err("EntityTooSmall", "Your proposed upload is smaller than the minimum allowed size").
			with("MinSizeAllowed", strconv.FormatInt(r.min, 10))
	}
	return n, err
}
