package emulate

// ListBuckets, CreateBucket, DeleteBucket, HeadBucket, GetBucketLocation.
// How they differ from S3:
//
//   - Every bucket is in the emulator's one region (S3Options.Region,
//     us-east-1 by default); CreateBucket with another LocationConstraint
//     is IllegalLocationConstraintException.
//   - CreateBucket of a bucket the caller owns answers 200 and resets its
//     ACL, as S3 does in us-east-1, in every region.
//   - No bucket quota (TooManyBuckets) and no directory buckets.

import (
	"encoding/xml"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

type bucketXML struct {
	Name         string `xml:"Name"`
	CreationDate string `xml:"CreationDate"`
	BucketRegion string `xml:"BucketRegion,omitempty"`
}

type listBucketsResult struct {
	XMLName           xml.Name    `xml:"ListAllMyBucketsResult"`
	XMLNS             string      `xml:"xmlns,attr"`
	Owner             ownerXML    `xml:"Owner"`
	Buckets           []bucketXML `xml:"Buckets>Bucket"`
	ContinuationToken string      `xml:"ContinuationToken,omitempty"`
	Prefix            string      `xml:"Prefix,omitempty"`
}

// s3Time formats a time as S3's XML documents do.
func s3Time(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

func (a *s3API) listBuckets(q *s3Req) error {
	if q.who.anonymous {
		return errAccessDenied()
	}
	max := 10000
	if v := q.query.Get("max-buckets"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 10000 {
			return errInvalidArgument("max-buckets", v, "max-buckets must be an integer from 1 to 10000")
		}
		max = n
	}
	after, prefix := q.query.Get("continuation-token"), q.query.Get("prefix")
	all, err := a.store.ListBuckets()
	if err != nil {
		return err
	}
	out := listBucketsResult{XMLNS: s3Namespace, Owner: *toOwnerXML(q.who.owner), Buckets: []bucketXML{}, Prefix: prefix}
	for _, b := range all {
		if a.ownerOf(b.Config).ID != q.who.owner.ID || b.Name <= after || !strings.HasPrefix(b.Name, prefix) {
			continue
		}
		if len(out.Buckets) == max {
			out.ContinuationToken = out.Buckets[len(out.Buckets)-1].Name
			break
		}
		out.Buckets = append(out.Buckets, bucketXML{Name: b.Name, CreationDate: s3Time(b.Config.Created), BucketRegion: a.region})
	}
	return writeXML(q.w, http.StatusOK, out)
}

type createBucketConfiguration struct {
	XMLName            xml.Name `xml:"CreateBucketConfiguration"`
	LocationConstraint string   `xml:"LocationConstraint"`
}

var objectOwnerships = []string{"BucketOwnerEnforced", "BucketOwnerPreferred", "ObjectWriter"}

func (a *s3API) createBucket(q *s3Req) error {
	if q.who.anonymous {
		return errAccessDenied()
	}
	if err := checkNewBucketName(q.bucket); err != nil {
		return err
	}
	if q.r.ContentLength != 0 {
		var cfg createBucketConfiguration
		if err := readXML(q.r, 64<<10, &cfg); err != nil && !hasS3Code(err, "MissingRequestBodyError") {
			return err
		}
		if lc := cfg.LocationConstraint; lc != "" && lc != a.region || lc == "us-east-1" && a.region == "us-east-1" {
			return s3Err("InvalidLocationConstraint", "The specified location-constraint is not valid: this emulator's buckets are all in %s", a.region).
				with("LocationConstraint", lc)
		}
	}
	c := BucketConfig{Owner: q.who.owner, Created: time.Now().UTC()}
	if a.region != "us-east-1" {
		c.Region = a.region
	}
	if o := q.r.Header.Get("X-Amz-Object-Ownership"); o != "" {
		if !slices.Contains(objectOwnerships, o) {
			return errInvalidArgument("x-amz-object-ownership", o, "Invalid x-amz-object-ownership header: %s", o)
		}
		c.Ownership = o
	}
	acl, ok, err := a.requestACL(q.r, q.who.owner, q.who.owner)
	if err != nil {
		return err
	}
	if ok {
		if c.Ownership == "BucketOwnerEnforced" && isPublic(acl) {
			return s3Err("InvalidBucketAclWithObjectOwnership", "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting")
		}
		c.ACL = &acl
	}
	err = a.store.createBucket(q.bucket, c)
	if hasS3Code(err, "BucketAlreadyOwnedByYou") && a.region == "us-east-1" {
		// us-east-1 answers its owner 200 and resets the bucket's ACL.
		err = a.store.UpdateBucket(q.bucket, func(cur *BucketConfig) error { cur.ACL = c.ACL; return nil })
	}
	if err != nil {
		return err
	}
	q.w.Header().Set("Location", "/"+q.bucket)
	q.w.WriteHeader(http.StatusOK)
	return nil
}

func (a *s3API) deleteBucket(q *s3Req) error {
	c, err := a.store.Bucket(q.bucket)
	if err != nil {
		return err
	}
	if err := a.checkOwner(q, c); err != nil {
		return err
	}
	if err := a.store.DeleteBucket(q.bucket); err != nil {
		return err
	}
	q.w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *s3API) headBucket(q *s3Req) error {
	c, err := a.store.Bucket(q.bucket)
	if err != nil {
		return err
	}
	if err := a.checkBucket(q, c, permRead); err != nil {
		return err
	}
	q.w.Header().Set("x-amz-bucket-region", a.region)
	q.w.WriteHeader(http.StatusOK)
	return nil
}

type locationConstraint struct {
	XMLName xml.Name `xml:"LocationConstraint"`
	XMLNS   string   `xml:"xmlns,attr"`
	Region  string   `xml:",chardata"`
}

func (a *s3API) getBucketLocation(q *s3Req) error {
	c, err := a.store.Bucket(q.bucket)
	if err != nil {
		return err
	}
	if err := a.checkOwner(q, c); err != nil {
		return err
	}
	return writeXML(q.w, http.StatusOK, locationConstraint{XMLNS: s3Namespace, Region: c.Region})
}
