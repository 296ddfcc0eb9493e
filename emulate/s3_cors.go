package emulate

// GetBucketCors, PutBucketCors, DeleteBucketCors, and the CORS answers
// (preflight OPTIONS and the headers of actual requests) that a bucket's
// configuration decides. How they differ from S3: only origins the
// emulator admits at all reach a bucket's rules (see Guard: none unless
// `pipeline emulate --cors ORIGIN`); for those, a bucket with a CORS
// configuration answers by its rules, as S3 does, and a bucket without one
// lets them use any method and header (S3 would refuse them).

import (
	"encoding/xml"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// CORSRule is one rule of a bucket's CORS configuration.
type CORSRule struct {
	ID             string   `json:"id,omitempty"`
	AllowedOrigins []string `json:"allowed_origins"`
	AllowedMethods []string `json:"allowed_methods"`
	AllowedHeaders []string `json:"allowed_headers,omitempty"`
	ExposeHeaders  []string `json:"expose_headers,omitempty"`
	MaxAgeSeconds  *int     `json:"max_age_seconds,omitempty"`
}

type corsRuleXML struct {
	ID             string   `xml:"ID,omitempty"`
	AllowedOrigins []string `xml:"AllowedOrigin"`
	AllowedMethods []string `xml:"AllowedMethod"`
	AllowedHeaders []string `xml:"AllowedHeader"`
	ExposeHeaders  []string `xml:"ExposeHeader"`
	MaxAgeSeconds  *int     `xml:"MaxAgeSeconds"`
}

type corsXML struct {
	XMLName xml.Name      `xml:"CORSConfiguration"`
	XMLNS   string        `xml:"xmlns,attr,omitempty"`
	Rules   []corsRuleXML `xml:"CORSRule"`
}

var corsMethods = []string{"GET", "PUT", "POST", "DELETE", "HEAD"}

func (a *s3API) getBucketCORS(q *s3Req) error {
	c, err := a.bucketFor(q)
	if err != nil {
		return err
	}
	if len(c.CORS) == 0 {
		return s3Err("NoSuchCORSConfiguration", "The CORS configuration does not exist").with("BucketName", q.bucket)
	}
	out := corsXML{XMLNS: s3Namespace}
	for _, r := range c.CORS {
		out.Rules = append(out.Rules, corsRuleXML(r))
	}
	return writeXML(q.w, http.StatusOK, out)
}

func (a *s3API) putBucketCORS(q *s3Req) error {
	if _, err := a.bucketFor(q); err != nil {
		return err
	}
	var in corsXML
	if err := readXMLChecked(q, 64<<10, &in); err != nil {
		return err
	}
	if len(in.Rules) == 0 || len(in.Rules) > 100 {
		return errMalformedXML()
	}
	var rules []CORSRule
	for _, r := range in.Rules {
		if len(r.AllowedOrigins) == 0 || len(r.AllowedMethods) == 0 {
			return errMalformedXML()
		}
		for _, m := range r.AllowedMethods {
			if !slices.Contains(corsMethods, m) {
				return s3Err("InvalidRequest", "Found unsupported HTTP method in CORS config. Unsupported method is %s", m)
			}
		}
		for _, o := range r.AllowedOrigins {
			if strings.Count(o, "*") > 1 {
				return s3Err("InvalidRequest", "AllowedOrigin %q can not have more than one wildcard.", o)
			}
		}
		rules = append(rules, CORSRule(r))
	}
	if err := a.store.UpdateBucket(q.bucket, func(c *BucketConfig) error { c.CORS = rules; return nil }); err != nil {
		return err
	}
	q.w.WriteHeader(http.StatusOK)
	return nil
}

func (a *s3API) deleteBucketCORS(q *s3Req) error {
	if _, err := a.bucketFor(q); err != nil {
		return err
	}
	if err := a.store.UpdateBucket(q.bucket, func(c *BucketConfig) error { c.CORS = nil; return nil }); err != nil {
		return err
	}
	q.w.WriteHeader(http.StatusNoContent)
	return nil
}

// wildcardMatch matches s against a pattern with at most one "*".
func wildcardMatch(pattern, s string) bool {
	before, after, ok := strings.Cut(pattern, "*")
	if !ok {
		return pattern == s
	}
	return len(s) >= len(before)+len(after) && strings.HasPrefix(s, before) && strings.HasSuffix(s, after)
}

// matchCORS returns the first rule that allows origin, method and every
// requested header.
func matchCORS(rules []CORSRule, origin, method string, headers []string) *CORSRule {
	for i := range rules {
		r := &rules[i]
		if !slices.ContainsFunc(r.AllowedOrigins, func(o string) bool { return wildcardMatch(o, origin) }) ||
			!slices.Contains(r.AllowedMethods, method) {
			continue
		}
		allowed := true
		for _, h := range headers {
			h = strings.ToLower(strings.TrimSpace(h))
			if h != "" && !slices.ContainsFunc(r.AllowedHeaders, func(p string) bool { return wildcardMatch(strings.ToLower(p), h) }) {
				allowed = false
				break
			}
		}
		if allowed {
			return r
		}
	}
	return nil
}

// setCORSHeaders sets the headers a matching rule gives.
func setCORSHeaders(h http.Header, r *CORSRule, origin string, reqHeaders []string) {
	allowOrigin := origin
	if slices.Contains(r.AllowedOrigins, "*") {
		allowOrigin = "*"
	}
	h.Set("Access-Control-Allow-Origin", allowOrigin)
	h.Set("Access-Control-Allow-Methods", strings.Join(r.AllowedMethods, ", "))
	if allowOrigin != "*" {
		h.Set("Access-Control-Allow-Credentials", "true")
	}
	if len(reqHeaders) > 0 {
		h.Set("Access-Control-Allow-Headers", strings.Join(reqHeaders, ", "))
	}
	if len(r.ExposeHeaders) > 0 {
		h.Set("Access-Control-Expose-Headers", strings.Join(r.ExposeHeaders, ", "))
	}
	if r.MaxAgeSeconds != nil {
		h.Set("Access-Control-Max-Age", strconv.Itoa(*r.MaxAgeSeconds))
	}
	h.Set("Vary", "Origin, Access-Control-Request-Headers, Access-Control-Request-Method")
}

// corsHeaders sets the CORS headers of an actual request from an admitted
// origin by the bucket's rules, if it has any (the Guard has set the
// permissive ones otherwise).
func (a *s3API) corsHeaders(q *s3Req) {
	if q.bucket == "" {
		return
	}
	c, err := a.store.Bucket(q.bucket)
	if err != nil || len(c.CORS) == 0 {
		return
	}
	h := q.w.Header()
	for _, k := range []string{"Access-Control-Allow-Origin", "Access-Control-Expose-Headers", "Vary"} {
		h.Del(k)
	}
	method := q.r.Header.Get("Access-Control-Request-Method")
	if method == "" {
		method = q.r.Method
	}
	if r := matchCORS(c.CORS, q.cors, method, nil); r != nil {
		setCORSHeaders(h, r, q.cors, nil)
	}
}

// preflight answers an OPTIONS request: by the bucket's CORS rules if it
// has some, permissively (for an origin the Guard admitted) if not.
func (a *s3API) preflight(q *s3Req) error {
	origin, method := q.r.Header.Get("Origin"), q.r.Header.Get("Access-Control-Request-Method")
	if origin == "" || method == "" {
		return s3Err("BadRequest", "Insufficient information. Origin request header needed.")
	}
	var rules []CORSRule
	if q.bucket != "" {
		c, err := a.store.Bucket(q.bucket)
		if err != nil {
			return err
		}
		rules = c.CORS
	}
	if len(rules) == 0 {
		preflightPermissive(q.w, q.r)
		return nil
	}
	var reqHeaders []string
	for h := range strings.SplitSeq(q.r.Header.Get("Access-Control-Request-Headers"), ",") {
		if h = strings.TrimSpace(h); h != "" {
			reqHeaders = append(reqHeaders, h)
		}
	}
	r := matchCORS(rules, origin, method, reqHeaders)
	if r == nil {
		return s3Err("AccessForbidden", "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.").
			with("Method", method).with("ResourceType", "BUCKET")
	}
	setCORSHeaders(q.w.Header(), r, origin, reqHeaders)
	q.w.WriteHeader(http.StatusOK)
	return nil
}
