package emulate

// Bucket settings: versioning, policy, policy status, ownership controls,
// public access block, encryption, request payment. How they differ from
// S3:
//
//   - Versioning has no MFA delete (501 NotImplemented).
//   - A bucket policy is stored and returned as sent, checked only for
//     being JSON with a Statement, and evaluated as s3_policy.go says.
//     PolicyStatus says public for a public ACL, or a statement that
//     allows Principal "*" without a condition; it answers a bucket
//     without a policy too.
//   - Encryption is S3's default (SSE-S3, AES256) and cannot be changed;
//     request payment is always BucketOwner.

import (
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"slices"
	"strings"
)

type versioningXML struct {
	XMLName   xml.Name `xml:"VersioningConfiguration"`
	XMLNS     string   `xml:"xmlns,attr,omitempty"`
	Status    string   `xml:"Status,omitempty"`
	MfaDelete string   `xml:"MfaDelete,omitempty"`
}

func (a *s3API) getBucketVersioning(q *s3Req) error {
	c, err := a.bucketFor(q)
	if err != nil {
		return err
	}
	return writeXML(q.w, http.StatusOK, versioningXML{XMLNS: s3Namespace, Status: c.Versioning})
}

func (a *s3API) putBucketVersioning(q *s3Req) error {
	if _, err := a.bucketFor(q); err != nil {
		return err
	}
	var in versioningXML
	if err := readXMLChecked(q, 64<<10, &in); err != nil {
		return err
	}
	switch {
	case in.MfaDelete != "" && in.MfaDelete != "Disabled":
		return errNotImplemented("MFA delete")
	case in.Status != "Enabled" && in.Status != "Suspended":
		return s3Err("IllegalVersioningConfigurationException", "The Versioning element must be specified: Enabled or Suspended")
	}
	if err := a.store.UpdateBucket(q.bucket, func(c *BucketConfig) error { c.Versioning = in.Status; return nil }); err != nil {
		return err
	}
	q.w.WriteHeader(http.StatusOK)
	return nil
}

func (a *s3API) getBucketPolicy(q *s3Req) error {
	c, err := a.bucketFor(q)
	if err != nil {
		return err
	}
	if c.Policy == "" {
		return s3Err("NoSuchBucketPolicy", "The bucket policy does not exist").with("BucketName", q.bucket)
	}
	q.w.Header().Set("Content-Type", "application/json")
	q.w.WriteHeader(http.StatusOK)
	io.WriteString(q.w, c.Policy)
	return nil
}

// policyDoc is the part of a bucket policy the emulator reads.
type policyDoc struct {
	Statement []struct {
		Effect    string          `json:"Effect"`
		Principal json.RawMessage `json:"Principal"`
		Condition json.RawMessage `json:"Condition"`
	} `json:"Statement"`
}

func (a *s3API) putBucketPolicy(q *s3Req) error {
	c, err := a.bucketFor(q)
	if err != nil {
		return err
	}
	b, err := io.ReadAll(io.LimitReader(q.r.Body, 20<<10+1))
	if err != nil {
		return err
	}
	if len(b) > 20<<10 {
		return s3Err("InvalidArgument", "Policies must be less than 20 KB")
	}
	var doc policyDoc
	var parsed policyDocument
	if err := json.Unmarshal(b, &doc); err != nil || len(doc.Statement) == 0 || json.Unmarshal(b, &parsed) != nil {
		return s3Err("MalformedPolicy", "Policies must be valid JSON and the first byte must be '{', with a Statement")
	}
	for _, st := range parsed.Statement {
		if st.NotPrincipal != nil && !strings.EqualFold(st.Effect, "Deny") {
			return s3Err("MalformedPolicy", "NotPrincipal may only be used with Effect Deny")
		}
	}
	if c.PublicAccessBlock != nil && c.PublicAccessBlock.BlockPublicPolicy && policyIsPublic(doc) {
		return errAccessDenied()
	}
	if err := a.store.UpdateBucket(q.bucket, func(c *BucketConfig) error { c.Policy = string(b); return nil }); err != nil {
		return err
	}
	q.w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *s3API) deleteBucketPolicy(q *s3Req) error {
	if _, err := a.bucketFor(q); err != nil {
		return err
	}
	if err := a.store.UpdateBucket(q.bucket, func(c *BucketConfig) error { c.Policy = ""; return nil }); err != nil {
		return err
	}
	q.w.WriteHeader(http.StatusNoContent)
	return nil
}

// policyIsPublic reports whether a policy allows everyone something
// unconditionally.
func policyIsPublic(doc policyDoc) bool {
	for _, st := range doc.Statement {
		if st.Effect != "Allow" || len(st.Condition) > 0 && string(st.Condition) != "{}" {
			continue
		}
		var p any
		json.Unmarshal(st.Principal, &p)
		switch v := p.(type) {
		case string:
			if v == "*" {
				return true
			}
		case map[string]any:
			switch aws := v["AWS"].(type) {
			case string:
				if aws == "*" {
					return true
				}
			case []any:
				if slices.Contains(aws, any("*")) {
					return true
				}
			}
		}
	}
	return false
}

type policyStatusXML struct {
	XMLName  xml.Name `xml:"PolicyStatus"`
	XMLNS    string   `xml:"xmlns,attr"`
	IsPublic bool     `xml:"IsPublic"`
}

func (a *s3API) getBucketPolicyStatus(q *s3Req) error {
	c, err := a.bucketFor(q)
	if err != nil {
		return err
	}
	var doc policyDoc
	json.Unmarshal([]byte(c.Policy), &doc)
	public := policyIsPublic(doc) || c.ACL != nil && isPublic(*c.ACL)
	return writeXML(q.w, http.StatusOK, policyStatusXML{XMLNS: s3Namespace, IsPublic: public})
}

type ownershipControlsXML struct {
	XMLName xml.Name `xml:"OwnershipControls"`
	XMLNS   string   `xml:"xmlns,attr,omitempty"`
	Rules   []struct {
		ObjectOwnership string `xml:"ObjectOwnership"`
	} `xml:"Rule"`
}

func (a *s3API) getBucketOwnershipControls(q *s3Req) error {
	c, err := a.bucketFor(q)
	if err != nil {
		return err
	}
	if c.Ownership == "" {
		return s3Err("OwnershipControlsNotFoundError", "The bucket ownership controls were not found").with("BucketName", q.bucket)
	}
	out := ownershipControlsXML{XMLNS: s3Namespace}
	out.Rules = append(out.Rules, struct {
		ObjectOwnership string `xml:"ObjectOwnership"`
	}{c.Ownership})
	return writeXML(q.w, http.StatusOK, out)
}

func (a *s3API) putBucketOwnershipControls(q *s3Req) error {
	c, err := a.bucketFor(q)
	if err != nil {
		return err
	}
	var in ownershipControlsXML
	if err := readXMLChecked(q, 64<<10, &in); err != nil {
		return err
	}
	if len(in.Rules) != 1 || !slices.Contains(objectOwnerships, in.Rules[0].ObjectOwnership) {
		return errMalformedXML()
	}
	o := in.Rules[0].ObjectOwnership
	if o == "BucketOwnerEnforced" && c.ACL != nil && isPublic(*c.ACL) {
		return s3Err("InvalidBucketAclWithObjectOwnership", "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting")
	}
	if err := a.store.UpdateBucket(q.bucket, func(c *BucketConfig) error { c.Ownership = o; return nil }); err != nil {
		return err
	}
	q.w.WriteHeader(http.StatusOK)
	return nil
}

func (a *s3API) deleteBucketOwnershipControls(q *s3Req) error {
	if _, err := a.bucketFor(q); err != nil {
		return err
	}
	if err := a.store.UpdateBucket(q.bucket, func(c *BucketConfig) error { c.Ownership = ""; return nil }); err != nil {
		return err
	}
	q.w.WriteHeader(http.StatusNoContent)
	return nil
}

type publicAccessBlockXML struct {
	XMLName               xml.Name `xml:"PublicAccessBlockConfiguration"`
	XMLNS                 string   `xml:"xmlns,attr,omitempty"`
	BlockPublicAcls       bool     `xml:"BlockPublicAcls"`
	IgnorePublicAcls      bool     `xml:"IgnorePublicAcls"`
	BlockPublicPolicy     bool     `xml:"BlockPublicPolicy"`
	RestrictPublicBuckets bool     `xml:"RestrictPublicBuckets"`
}

func (a *s3API) getPublicAccessBlock(q *s3Req) error {
	c, err := a.bucketFor(q)
	if err != nil {
		return err
	}
	p := c.PublicAccessBlock
	if p == nil {
		return s3Err("NoSuchPublicAccessBlockConfiguration", "The public access block configuration was not found").with("BucketName", q.bucket)
	}
	return writeXML(q.w, http.StatusOK, publicAccessBlockXML{XMLNS: s3Namespace, BlockPublicAcls: p.BlockPublicAcls,
		IgnorePublicAcls: p.IgnorePublicAcls, BlockPublicPolicy: p.BlockPublicPolicy, RestrictPublicBuckets: p.RestrictPublicBuckets})
}

func (a *s3API) putPublicAccessBlock(q *s3Req) error {
	if _, err := a.bucketFor(q); err != nil {
		return err
	}
	var in publicAccessBlockXML
	if err := readXMLChecked(q, 64<<10, &in); err != nil {
		return err
	}
	p := &PublicAccessBlock{BlockPublicAcls: in.BlockPublicAcls, IgnorePublicAcls: in.IgnorePublicAcls,
		BlockPublicPolicy: in.BlockPublicPolicy, RestrictPublicBuckets: in.RestrictPublicBuckets}
	if err := a.store.UpdateBucket(q.bucket, func(c *BucketConfig) error { c.PublicAccessBlock = p; return nil }); err != nil {
		return err
	}
	q.w.WriteHeader(http.StatusOK)
	return nil
}

func (a *s3API) deletePublicAccessBlock(q *s3Req) error {
	if _, err := a.bucketFor(q); err != nil {
		return err
	}
	if err := a.store.UpdateBucket(q.bucket, func(c *BucketConfig) error { c.PublicAccessBlock = nil; return nil }); err != nil {
		return err
	}
	q.w.WriteHeader(http.StatusNoContent)
	return nil
}

type encryptionXML struct {
	XMLName xml.Name `xml:"ServerSideEncryptionConfiguration"`
	XMLNS   string   `xml:"xmlns,attr"`
	Rule    struct {
		Default struct {
			Algorithm string `xml:"SSEAlgorithm"`
		} `xml:"ApplyServerSideEncryptionByDefault"`
		BucketKeyEnabled bool `xml:"BucketKeyEnabled"`
	} `xml:"Rule"`
}

func (a *s3API) getBucketEncryption(q *s3Req) error {
	if _, err := a.bucketFor(q); err != nil {
		return err
	}
	out := encryptionXML{XMLNS: s3Namespace}
	out.Rule.Default.Algorithm = "AES256"
	return writeXML(q.w, http.StatusOK, out)
}

type requestPaymentXML struct {
	XMLName xml.Name `xml:"RequestPaymentConfiguration"`
	XMLNS   string   `xml:"xmlns,attr"`
	Payer   string   `xml:"Payer"`
}

func (a *s3API) getBucketRequestPayment(q *s3Req) error {
	if _, err := a.bucketFor(q); err != nil {
		return err
	}
	return writeXML(q.w, http.StatusOK, requestPaymentXML{XMLNS: s3Namespace, Payer: "BucketOwner"})
}
