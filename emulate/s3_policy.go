package emulate

// Bucket policies, as far as the emulator evaluates them: statements with
// Effect, Principal or NotPrincipal ("*", or an account the emulator knows
// by canonical ID, access key or arn:aws:iam::<ID>:root), Action or
// NotAction and Resource or NotResource (with * and ? wildcards), and
// Condition with the String*, Null, Bool, Numeric* and *IfExists
// operators over the keys below. An explicit Deny wins, then an Allow;
// with neither, the ACLs decide. How it differs from S3: no IAM policies,
// no aws:SourceIp or aws:SourceArn (a condition on a key the emulator does
// not know never holds), and the bucket's owner is bound by Deny but
// needs no Allow.

import (
	"encoding/json"
	"path"
	"strconv"
	"strings"
)

// policyDocument is a parsed bucket policy.
type policyDocument struct {
	Statement []policyStatement
}

type policyStatement struct {
	Effect                  string
	Principal, NotPrincipal any
	Action, NotAction       any
	Resource, NotResource   any
	Condition               map[string]map[string]any
}

// UnmarshalJSON takes a single statement where a list is expected, as IAM
// does.
func (d *policyDocument) UnmarshalJSON(b []byte) error {
	var raw struct {
		Statement json.RawMessage
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	if len(raw.Statement) > 0 && raw.Statement[0] == '{' {
		var st policyStatement
		if err := json.Unmarshal(raw.Statement, &st); err != nil {
			return err
		}
		d.Statement = []policyStatement{st}
		return nil
	}
	return json.Unmarshal(raw.Statement, &d.Statement)
}

// strings returns a policy element's values: one string or a list.
func policyStrings(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, e := range v {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	case bool:
		return []string{strconv.FormatBool(v)}
	case float64:
		return []string{strconv.FormatFloat(v, 'f', -1, 64)}
	}
	return nil
}

// policyMatch matches a value against a pattern with * and ? wildcards.
func policyMatch(pattern, v string, fold bool) bool {
	if fold {
		pattern, v = strings.ToLower(pattern), strings.ToLower(v)
	}
	// path.Match treats "/" specially and "[" as a class: escape what is
	// not a wildcard, and match "/" with a byte that has none.
	var p strings.Builder
	for _, r := range pattern {
		switch r {
		case '*', '?':
			p.WriteRune(r)
		case '\\', '[', ']':
			p.WriteRune('\\')
			p.WriteRune(r)
		case '/':
			p.WriteRune('\x00')
		default:
			p.WriteRune(r)
		}
	}
	ok, _ := path.Match(p.String(), strings.ReplaceAll(v, "/", "\x00"))
	return ok
}

// policyRequest is what a statement is evaluated against.
type policyRequest struct {
	who      *caller
	action   string // "s3:GetObject"
	resource string // arn:aws:s3:::bucket[/key]
	context  func(key string) (string, bool)
}

// principalMatches reports whether a Principal element names who.
func (a *s3API) principalMatches(p any, who *caller) bool {
	if s, ok := p.(string); ok {
		return s == "*"
	}
	m, ok := p.(map[string]any)
	if !ok {
		return false
	}
	for kind, v := range m {
		for _, id := range policyStrings(v) {
			switch {
			case id == "*" && kind == "AWS":
				return true
			case who.anonymous:
			case kind == "CanonicalUser" && id == who.owner.ID,
				kind == "AWS" && (id == who.owner.ID || id == who.owner.DisplayName ||
					id == "arn:aws:iam::"+who.owner.ID+":root" || strings.HasSuffix(id, ":user/"+who.owner.DisplayName)):
				return true
			}
		}
	}
	return false
}

// applies reports whether a statement covers the request.
func (a *s3API) applies(st policyStatement, r policyRequest) bool {
	switch {
	case st.Principal != nil && !a.principalMatches(st.Principal, r.who):
		return false
	case st.NotPrincipal != nil && a.principalMatches(st.NotPrincipal, r.who):
		return false
	case st.Principal == nil && st.NotPrincipal == nil:
		return false
	}
	anyOf := func(vs []string, v string, fold bool) bool {
		for _, p := range vs {
			if policyMatch(p, v, fold) {
				return true
			}
		}
		return false
	}
	switch {
	case st.Action != nil && !anyOf(policyStrings(st.Action), r.action, true):
		return false
	case st.NotAction != nil && anyOf(policyStrings(st.NotAction), r.action, true):
		return false
	case st.Resource != nil && !anyOf(policyStrings(st.Resource), r.resource, false):
		return false
	case st.NotResource != nil && anyOf(policyStrings(st.NotResource), r.resource, false):
		return false
	}
	for op, conds := range st.Condition {
		for key, want := range conds {
			if !conditionHolds(op, policyStrings(want), r.context, key) {
				return false
			}
		}
	}
	return true
}

// conditionHolds evaluates one condition: any of the wanted values
// satisfies it (all of them, for the negated operators).
func conditionHolds(op string, want []string, context func(string) (string, bool), key string) bool {
	op = strings.TrimPrefix(strings.TrimPrefix(op, "ForAnyValue:"), "ForAllValues:")
	got, ok := context(key)
	base, ifExists := strings.CutSuffix(op, "IfExists")
	if !ok {
		if base == "Null" {
			return len(want) > 0 && want[0] == "true"
		}
		return ifExists
	}
	if base == "Null" {
		return len(want) > 0 && want[0] == "false"
	}
	negated := strings.Contains(base, "Not")
	match := func(w string) bool {
		switch base {
		case "StringEquals", "StringNotEquals":
			return got == w
		case "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase":
			return strings.EqualFold(got, w)
		case "StringLike", "StringNotLike", "ArnLike", "ArnNotLike":
			return policyMatch(w, got, false)
		case "ArnEquals", "ArnNotEquals":
			return got == w
		case "Bool":
			return strings.EqualFold(got, w)
		}
		g, err1 := strconv.ParseFloat(got, 64)
		n, err2 := strconv.ParseFloat(w, 64)
		if err1 != nil || err2 != nil {
			return false
		}
		switch base {
		case "NumericEquals", "NumericNotEquals":
			return g == n
		case "NumericLessThan":
			return g < n
		case "NumericLessThanEquals":
			return g <= n
		case "NumericGreaterThan":
			return g > n
		case "NumericGreaterThanEquals":
			return g >= n
		}
		return false
	}
	for _, w := range want {
		if match(w) {
			return !negated
		}
	}
	return negated
}

// policyDecision is what a bucket policy says of a request.
type policyDecision int

const (
	policyNone policyDecision = iota
	policyAllow
	policyDeny
)

// evalPolicy evaluates the bucket's policy for a request.
func (a *s3API) evalPolicy(c BucketConfig, r policyRequest) policyDecision {
	if c.Policy == "" {
		return policyNone
	}
	var doc policyDocument
	if json.Unmarshal([]byte(c.Policy), &doc) != nil {
		return policyNone
	}
	d := policyNone
	for _, st := range doc.Statement {
		if !a.applies(st, r) {
			continue
		}
		if strings.EqualFold(st.Effect, "Deny") {
			return policyDeny
		}
		if strings.EqualFold(st.Effect, "Allow") {
			d = policyAllow
		}
	}
	if d == policyAllow && c.PublicAccessBlock != nil && c.PublicAccessBlock.RestrictPublicBuckets {
		var raw policyDoc
		json.Unmarshal([]byte(c.Policy), &raw)
		if policyIsPublic(raw) && (r.who.anonymous || !a.knownAccount(r.who.owner.ID)) {
			return policyNone
		}
	}
	return d
}

// knownAccount reports whether id is one of the emulator's accounts.
func (a *s3API) knownAccount(id string) bool {
	for key := range a.auth.creds {
		if OwnerOf(key).ID == id {
			return true
		}
	}
	return id == a.auth.anyone.ID
}

// policyActions maps the operations whose policy action is not "s3:" and
// their own name.
var policyActions = map[string]string{
	"HeadObject":                    "s3:GetObject",
	"HeadBucket":                    "s3:ListBucket",
	"ListObjects":                   "s3:ListBucket",
	"ListObjectVersions":            "s3:ListBucketVersions",
	"ListMultipartUploads":          "s3:ListBucketMultipartUploads",
	"ListParts":                     "s3:ListMultipartUploadParts",
	"CreateMultipartUpload":         "s3:PutObject",
	"UploadPart":                    "s3:PutObject",
	"CompleteMultipartUpload":       "s3:PutObject",
	"PostObject":                    "s3:PutObject",
	"DeleteObjects":                 "s3:DeleteObject",
	"GetBucketCors":                 "s3:GetBucketCORS",
	"PutBucketCors":                 "s3:PutBucketCORS",
	"DeleteBucketCors":              "s3:PutBucketCORS",
	"DeleteBucketTagging":           "s3:PutBucketTagging",
	"GetPublicAccessBlock":          "s3:GetBucketPublicAccessBlock",
	"PutPublicAccessBlock":          "s3:PutBucketPublicAccessBlock",
	"DeletePublicAccessBlock":       "s3:PutBucketPublicAccessBlock",
	"GetBucketEncryption":           "s3:GetEncryptionConfiguration",
	"DeleteBucketOwnershipControls": "s3:PutBucketOwnershipControls",
	"GetObjectAttributes":           "s3:GetObjectAttributes",
}

// policyAction is the policy action of a request's operation.
func policyAction(q *s3Req) string {
	name := q.op
	if a, ok := policyActions[name]; ok {
		return a
	}
	if q.query.Get("versionId") != "" {
		switch name {
		case "GetObject", "DeleteObject", "GetObjectTagging", "PutObjectTagging", "DeleteObjectTagging", "GetObjectAcl", "PutObjectAcl":
			return "s3:" + name + "Version"
		}
	}
	return "s3:" + name
}

// policyContext returns the condition keys of a request on an object (meta
// nil for a bucket, or an object not yet stored).
func policyContext(q *s3Req, meta *ObjectMeta) func(string) (string, bool) {
	return func(key string) (string, bool) {
		k := strings.ToLower(key)
		h := q.r.Header
		switch {
		case k == "s3:prefix", k == "s3:delimiter", k == "s3:max-keys":
			name := strings.TrimPrefix(k, "s3:")
			return q.query.Get(name), q.query.Has(name)
		case k == "s3:versionid":
			return q.query.Get("versionId"), q.query.Has("versionId")
		case strings.HasPrefix(k, "s3:x-amz-"), k == "s3:x-amz-acl":
			name := strings.TrimPrefix(k, "s3:")
			v := h.Get(name)
			return v, v != ""
		case strings.HasPrefix(k, "s3:existingobjecttag/"):
			if meta == nil {
				return "", false
			}
			name := key[len("s3:ExistingObjectTag/"):]
			for _, t := range meta.Tags {
				if t.Key == name {
					return t.Value, true
				}
			}
			return "", false
		case strings.HasPrefix(k, "s3:requestobjecttag/"):
			tags, err := parseTaggingHeader(h.Get("X-Amz-Tagging"))
			if err != nil {
				return "", false
			}
			name := key[len("s3:RequestObjectTag/"):]
			for _, t := range tags {
				if t.Key == name {
					return t.Value, true
				}
			}
			return "", false
		case k == "aws:securetransport":
			return "false", true
		case k == "aws:referer":
			v := h.Get("Referer")
			return v, v != ""
		case k == "aws:userid", k == "aws:username":
			if q.who.anonymous {
				return "", false
			}
			return q.who.owner.DisplayName, true
		case k == "s3:authtype":
			switch {
			case q.who.anonymous:
				return "", false
			case q.query.Has("X-Amz-Signature") || q.query.Has("Signature"):
				return "REST-QUERY-STRING", true
			}
			return "REST-HEADER", true
		}
		return "", false
	}
}
