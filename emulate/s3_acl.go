package emulate

// Access control: GetBucketAcl, PutBucketAcl, GetObjectAcl, PutObjectAcl,
// the canned ACLs (x-amz-acl) and grant headers (x-amz-grant-*) of other
// calls, and the checks every operation makes. How it differs from S3:
//
//   - Identities are the configured access keys (see Credential); a grant
//     to an e-mail address cannot be resolved (UnresolvableGrantByEmail
//     Address), and a grant to a canonical ID that is no configured key's
//     is InvalidArgument, as S3 answers an unknown ID.
//   - New buckets have no object ownership setting and ACLs work, as in
//     S3 before April 2023 (ObjectWriter); S3 now defaults to
//     BucketOwnerEnforced, which CreateBucket's x-amz-object-ownership
//     and PutBucketOwnershipControls select here too.
//   - A bucket's owner may do anything with it and its objects unless its
//     bucket policy denies it (s3_policy.go says what a policy can say).
//   - With no credentials configured, every request is the owner's.

import (
	"cmp"
	"encoding/xml"
	"net/http"
	"slices"
	"strings"
)

const (
	groupAllUsers           = "http://acs.amazonaws.com/groups/global/AllUsers"
	groupAuthenticatedUsers = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
	groupLogDelivery        = "http://acs.amazonaws.com/groups/s3/LogDelivery"
	xsiNamespace            = "http://www.w3.org/2001/XMLSchema-instance"
)

// Permissions.
const (
	permRead        = "READ"
	permWrite       = "WRITE"
	permReadACP     = "READ_ACP"
	permWriteACP    = "WRITE_ACP"
	permFullControl = "FULL_CONTROL"
)

var permissions = []string{permRead, permWrite, permReadACP, permWriteACP, permFullControl}

// ownerOf is a bucket's owner; a bucket without a settings file belongs to
// the emulator's default identity.
func (a *s3API) ownerOf(c BucketConfig) Owner {
	if c.Owner == (Owner{}) {
		return a.auth.anyone
	}
	return c.Owner
}

// bucketACL is a bucket's ACL; nil means private to its owner.
func (a *s3API) bucketACL(c BucketConfig) ACL {
	if c.ACL != nil {
		return *c.ACL
	}
	return privateACL(a.ownerOf(c))
}

// objectACL is an object's ACL; an object stored without one belongs to
// the bucket's owner.
func (a *s3API) objectACL(c BucketConfig, m ObjectMeta) ACL {
	if m.ACL != nil {
		return *m.ACL
	}
	return privateACL(a.ownerOf(c))
}

func privateACL(owner Owner) ACL {
	return ACL{Owner: owner, Grants: []Grant{{Grantee: canonicalGrantee(owner), Permission: permFullControl}}}
}

func canonicalGrantee(o Owner) Grantee {
	return Grantee{Type: "CanonicalUser", ID: o.ID, DisplayName: o.DisplayName}
}

func groupGrantee(uri string) Grantee { return Grantee{Type: "Group", URI: uri} }

// grants reports whether acl gives who perm.
func grants(acl ACL, who *caller, perm string, ignorePublic bool) bool {
	for _, g := range acl.Grants {
		if g.Permission != perm && g.Permission != permFullControl {
			continue
		}
		switch g.Grantee.Type {
		case "CanonicalUser":
			if !who.anonymous && g.Grantee.ID == who.owner.ID {
				return true
			}
		case "Group":
			switch g.Grantee.URI {
			case groupAllUsers:
				if !ignorePublic {
					return true
				}
			case groupAuthenticatedUsers:
				if !who.anonymous && !ignorePublic {
					return true
				}
			}
		}
	}
	return false
}

// errAccessDenied is S3's answer to a request its sender may not make.
func errAccessDenied() *S3Error { return s3Err("AccessDenied", "Access Denied") }

// isOwner reports whether who owns the bucket.
func (a *s3API) isOwner(who *caller, c BucketConfig) bool {
	return !who.anonymous && who.owner.ID == a.ownerOf(c).ID
}

// authorize decides whether a request may act on bucket (or its object
// key): the bucket's policy first (a Deny refuses, an Allow admits), then
// aclAllows.
func (a *s3API) authorize(q *s3Req, c BucketConfig, bucket, key string, meta *ObjectMeta, action string, aclAllows func() bool) error {
	resource := "arn:aws:s3:::" + bucket
	if key != "" {
		resource += "/" + key
	}
	switch a.evalPolicy(c, policyRequest{who: q.who, action: action, resource: resource, context: policyContext(q, meta)}) {
	case policyDeny:
		return errAccessDenied()
	case policyAllow:
		return nil
	}
	if aclAllows() {
		return nil
	}
	return errAccessDenied()
}

// checkBucket allows a request that needs perm on the bucket (on the
// object it names, for the bucket's policy): the bucket's owner, or
// others by the bucket's policy or ACL.
func (a *s3API) checkBucket(q *s3Req, c BucketConfig, perm string) error {
	return a.authorize(q, c, q.bucket, q.key, nil, policyAction(q), func() bool {
		return a.isOwner(q.who, c) || grants(a.bucketACL(c), q.who, perm, ignorePublicACLs(c))
	})
}

// checkOwner allows a request only the bucket's owner (or whom its policy
// names) may make: its settings.
func (a *s3API) checkOwner(q *s3Req, c BucketConfig) error {
	return a.authorize(q, c, q.bucket, "", nil, policyAction(q), func() bool { return a.isOwner(q.who, c) })
}

// checkObject allows a request that needs perm on an object: the object's
// owner (the bucket's, for an object stored without an ACL), or others by
// the bucket's policy or the object's ACL. As in S3, the bucket's owner
// has no access of its own to an object another account wrote.
func (a *s3API) checkObject(q *s3Req, c BucketConfig, m *ObjectMeta, perm string) error {
	return a.checkObjectAs(q, c, q.bucket, q.key, m, perm, policyAction(q))
}

// checkObjectAs is checkObject for any object and policy action (a copy's
// source).
func (a *s3API) checkObjectAs(q *s3Req, c BucketConfig, bucket, key string, m *ObjectMeta, perm, action string) error {
	return a.authorize(q, c, bucket, key, m, action, func() bool {
		acl := a.objectACL(c, *m)
		return !q.who.anonymous && acl.Owner.ID == q.who.owner.ID || grants(acl, q.who, perm, ignorePublicACLs(c))
	})
}

func ignorePublicACLs(c BucketConfig) bool {
	return c.PublicAccessBlock != nil && c.PublicAccessBlock.IgnorePublicAcls
}

// isPublic reports whether an ACL grants anything to everyone or to every
// authenticated user.
func isPublic(acl ACL) bool {
	for _, g := range acl.Grants {
		if g.Grantee.Type == "Group" && (g.Grantee.URI == groupAllUsers || g.Grantee.URI == groupAuthenticatedUsers) {
			return true
		}
	}
	return false
}

// cannedACL builds a canned ACL for a resource owned by owner in a bucket
// owned by bucketOwner. An unknown name is InvalidArgument.
//
// The owner's own grant comes last, after what the canned ACL adds, as
// S3 lists them.
func cannedACL(name string, owner, bucketOwner Owner) (ACL, error) {
	acl := ACL{Owner: owner}
	add := func(g Grantee, perms ...string) {
		for _, p := range perms {
			acl.Grants = append(acl.Grants, Grant{Grantee: g, Permission: p})
		}
	}
	switch name {
	case "private", "aws-exec-read":
	case "public-read":
		add(groupGrantee(groupAllUsers), permRead)
	case "public-read-write":
		add(groupGrantee(groupAllUsers), permRead, permWrite)
	case "authenticated-read":
		add(groupGrantee(groupAuthenticatedUsers), permRead)
	case "bucket-owner-read":
		if bucketOwner.ID != owner.ID {
			add(canonicalGrantee(bucketOwner), permRead)
		}
	case "bucket-owner-full-control":
		if bucketOwner.ID != owner.ID {
			add(canonicalGrantee(bucketOwner), permFullControl)
		}
	case "log-delivery-write":
		add(groupGrantee(groupLogDelivery), permWrite, permReadACP)
	default:
		return ACL{}, errInvalidArgument("x-amz-acl", name, "The canned ACL %q is not one S3 knows", name)
	}
	acl.Grants = append(acl.Grants, Grant{Grantee: canonicalGrantee(owner), Permission: permFullControl})
	return acl, nil
}

// grantHeaders maps the x-amz-grant-* headers to their permissions.
var grantHeaders = []struct{ header, perm string }{
	{"X-Amz-Grant-Read", permRead},
	{"X-Amz-Grant-Write", permWrite},
	{"X-Amz-Grant-Read-Acp", permReadACP},
	{"X-Amz-Grant-Write-Acp", permWriteACP},
	{"X-Amz-Grant-Full-Control", permFullControl},
}

// requestACL is the ACL a request asks for with x-amz-acl or x-amz-grant-*
// headers, for a resource owned by owner; ok is false if it asks for none.
// Asking for both is InvalidRequest.
func (a *s3API) requestACL(r *http.Request, owner, bucketOwner Owner) (acl ACL, ok bool, err error) {
	canned := r.Header.Get("X-Amz-Acl")
	var explicit []Grant
	for _, gh := range grantHeaders {
		v := r.Header.Get(gh.header)
		if v == "" {
			continue
		}
		gs, err := a.parseGrantHeader(v, gh.perm)
		if err != nil {
			return ACL{}, false, err
		}
		explicit = append(explicit, gs...)
	}
	switch {
	case canned != "" && explicit != nil:
		return ACL{}, false, s3Err("InvalidRequest", "Specifying both Canned ACLs and Header Grants is not allowed")
	case canned != "":
		acl, err := cannedACL(canned, owner, bucketOwner)
		return acl, err == nil, err
	case explicit != nil:
		return ACL{Owner: owner, Grants: explicit}, true, nil
	}
	return ACL{}, false, nil
}

// parseGrantHeader reads `id="...", uri="...", emailAddress="..."`.
func (a *s3API) parseGrantHeader(v, perm string) ([]Grant, error) {
	var out []Grant
	for part := range strings.SplitSeq(v, ",") {
		k, val, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return nil, errInvalidArgument("x-amz-grant-"+strings.ToLower(perm), v, "A grant must be id=, uri= or emailAddress=")
		}
		val = strings.Trim(strings.TrimSpace(val), `"`)
		var g Grantee
		switch strings.ToLower(strings.TrimSpace(k)) {
		case "id":
			g = Grantee{Type: "CanonicalUser", ID: val}
		case "uri":
			g = Grantee{Type: "Group", URI: val}
		case "emailaddress":
			g = Grantee{Type: "AmazonCustomerByEmail", Email: val}
		default:
			return nil, errInvalidArgument("x-amz-grant-"+strings.ToLower(perm), v, "A grant must be id=, uri= or emailAddress=")
		}
		g, err := a.resolveGrantee(g)
		if err != nil {
			return nil, err
		}
		out = append(out, Grant{Grantee: g, Permission: perm})
	}
	return out, nil
}

// resolveGrantee checks a grantee and fills in what S3 reports of it.
func (a *s3API) resolveGrantee(g Grantee) (Grantee, error) {
	switch g.Type {
	case "CanonicalUser":
		if a.auth.creds != nil {
			for key := range a.auth.creds {
				if o := OwnerOf(key); o.ID == g.ID {
					return canonicalGrantee(o), nil
				}
			}
			return Grantee{}, errInvalidArgument("CanonicalUser/ID", g.ID, "Invalid id")
		}
		if g.ID == a.auth.anyone.ID {
			return canonicalGrantee(a.auth.anyone), nil
		}
		return Grantee{Type: "CanonicalUser", ID: g.ID}, nil
	case "Group":
		switch g.URI {
		case groupAllUsers, groupAuthenticatedUsers, groupLogDelivery:
			return Grantee{Type: "Group", URI: g.URI}, nil
		}
		return Grantee{}, errInvalidArgument("Group/URI", g.URI, "Invalid group uri")
	case "AmazonCustomerByEmail":
		return Grantee{}, s3Err("UnresolvableGrantByEmailAddress", "The e-mail address you provided does not match any account on record: the emulator knows its accounts by access key only").
			with("EmailAddress", g.Email)
	}
	return Grantee{}, errMalformedACL()
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}

func errMalformedACL() *S3Error {
	return s3Err("MalformedACLError", "The XML you provided was not well-formed or did not validate against our published schema")
}

// Wire shapes.

type ownerXML struct {
	ID          string `xml:"ID"`
	DisplayName string `xml:"DisplayName,omitempty"`
}

func toOwnerXML(o Owner) *ownerXML { return &ownerXML{ID: o.ID, DisplayName: o.DisplayName} }

type granteeOut struct {
	XMLNSXsi    string `xml:"xmlns:xsi,attr"`
	Type        string `xml:"xsi:type,attr"`
	ID          string `xml:"ID,omitempty"`
	DisplayName string `xml:"DisplayName,omitempty"`
	URI         string `xml:"URI,omitempty"`
	Email       string `xml:"EmailAddress,omitempty"`
}

type grantOut struct {
	Grantee    granteeOut `xml:"Grantee"`
	Permission string     `xml:"Permission"`
}

type aclOut struct {
	XMLName xml.Name   `xml:"AccessControlPolicy"`
	XMLNS   string     `xml:"xmlns,attr"`
	Owner   ownerXML   `xml:"Owner"`
	Grants  []grantOut `xml:"AccessControlList>Grant"`
}

// toACLOut is an ACL's document: group grants first, then the others,
// each in the order set (the order S3-compatible stores list them in).
func toACLOut(acl ACL) aclOut {
	out := aclOut{XMLNS: s3Namespace, Owner: *toOwnerXML(acl.Owner), Grants: []grantOut{}}
	grants := slices.Clone(acl.Grants)
	slices.SortStableFunc(grants, func(a, b Grant) int {
		return cmp.Compare(boolRank(a.Grantee.Type != "Group"), boolRank(b.Grantee.Type != "Group"))
	})
	for _, g := range grants {
		out.Grants = append(out.Grants, grantOut{
			Grantee: granteeOut{XMLNSXsi: xsiNamespace, Type: g.Grantee.Type, ID: g.Grantee.ID,
				DisplayName: g.Grantee.DisplayName, URI: g.Grantee.URI, Email: g.Grantee.Email},
			Permission: g.Permission,
		})
	}
	return out
}

type granteeIn struct {
	Type        string `xml:"http://www.w3.org/2001/XMLSchema-instance type,attr"`
	ID          string `xml:"ID"`
	DisplayName string `xml:"DisplayName"`
	URI         string `xml:"URI"`
	Email       string `xml:"EmailAddress"`
}

type aclIn struct {
	XMLName xml.Name `xml:"AccessControlPolicy"`
	Owner   *struct {
		ID string `xml:"ID"`
	} `xml:"Owner"`
	Grants []struct {
		Grantee    granteeIn `xml:"Grantee"`
		Permission string    `xml:"Permission"`
	} `xml:"AccessControlList>Grant"`
}

// aclFromRequest reads the ACL a Put*Acl request sets: from its body, or
// its headers. owner is the resource's owner, which the body must name.
func (a *s3API) aclFromRequest(q *s3Req, owner, bucketOwner Owner) (ACL, error) {
	hdr, ok, err := a.requestACL(q.r, owner, bucketOwner)
	if err != nil {
		return ACL{}, err
	}
	if ok {
		return hdr, nil
	}
	var in aclIn
	if err := readXML(q.r, 1<<20, &in); err != nil {
		if hasS3Code(err, "MissingRequestBodyError") {
			return ACL{}, s3Err("MissingSecurityHeader", "Your request was missing a required header").with("MissingHeaderName", "x-amz-acl")
		}
		if hasS3Code(err, "MalformedXML") {
			return ACL{}, errMalformedACL()
		}
		return ACL{}, err
	}
	if in.Owner == nil || in.Owner.ID != owner.ID {
		return ACL{}, errAccessDenied()
	}
	acl := ACL{Owner: owner}
	for _, g := range in.Grants {
		if !strings.Contains(strings.Join(permissions, " "), g.Permission) || g.Permission == "" {
			return ACL{}, errMalformedACL()
		}
		typ := g.Grantee.Type
		if typ == "" {
			switch {
			case g.Grantee.ID != "":
				typ = "CanonicalUser"
			case g.Grantee.URI != "":
				typ = "Group"
			case g.Grantee.Email != "":
				typ = "AmazonCustomerByEmail"
			}
		}
		ge, err := a.resolveGrantee(Grantee{Type: typ, ID: g.Grantee.ID, URI: g.Grantee.URI, Email: g.Grantee.Email})
		if err != nil {
			return ACL{}, err
		}
		acl.Grants = append(acl.Grants, Grant{Grantee: ge, Permission: g.Permission})
	}
	return acl, nil
}

// errACLsDisabled is the answer to setting an ACL in a bucket whose
// objects all belong to its owner.
func errACLsDisabled() *S3Error {
	return s3Err("AccessControlListNotSupported", "The bucket does not allow ACLs")
}

// checkACLAllowed refuses ACLs the bucket's settings forbid: public ones
// under BlockPublicAcls.
func checkACLAllowed(c BucketConfig, acl ACL) error {
	if c.PublicAccessBlock != nil && c.PublicAccessBlock.BlockPublicAcls && isPublic(acl) {
		return errAccessDenied()
	}
	return nil
}

func (a *s3API) getBucketACL(q *s3Req) error {
	c, err := a.store.Bucket(q.bucket)
	if err != nil {
		return err
	}
	if err := a.checkBucket(q, c, permReadACP); err != nil {
		return err
	}
	return writeXML(q.w, http.StatusOK, toACLOut(a.bucketACL(c)))
}

func (a *s3API) putBucketACL(q *s3Req) error {
	c, err := a.store.Bucket(q.bucket)
	if err != nil {
		return err
	}
	if err := a.checkBucket(q, c, permWriteACP); err != nil {
		return err
	}
	if c.Ownership == "BucketOwnerEnforced" {
		return errACLsDisabled()
	}
	owner := a.ownerOf(c)
	acl, err := a.aclFromRequest(q, owner, owner)
	if err != nil {
		return err
	}
	if err := checkACLAllowed(c, acl); err != nil {
		return err
	}
	if err := a.store.UpdateBucket(q.bucket, func(c *BucketConfig) error { c.ACL = &acl; return nil }); err != nil {
		return err
	}
	q.w.WriteHeader(http.StatusOK)
	return nil
}

func (a *s3API) getObjectACL(q *s3Req) error {
	c, info, err := a.objectFor(q, permReadACP)
	if err != nil {
		return err
	}
	setVersionHeader(q, info.VersionID)
	return writeXML(q.w, http.StatusOK, toACLOut(a.objectACL(c, info.Meta)))
}

func (a *s3API) putObjectACL(q *s3Req) error {
	c, info, err := a.objectFor(q, permWriteACP)
	if err != nil {
		return err
	}
	if c.Ownership == "BucketOwnerEnforced" {
		return errACLsDisabled()
	}
	owner := a.objectACL(c, info.Meta).Owner
	acl, err := a.aclFromRequest(q, owner, a.ownerOf(c))
	if err != nil {
		return err
	}
	if err := checkACLAllowed(c, acl); err != nil {
		return err
	}
	if _, err := a.store.UpdateObjectMeta(q.bucket, q.key, q.query.Get("versionId"), func(m *ObjectMeta) error { m.ACL = &acl; return nil }); err != nil {
		return err
	}
	setVersionHeader(q, info.VersionID)
	q.w.WriteHeader(http.StatusOK)
	return nil
}
