package emulate

// GetObjectTagging, PutObjectTagging, DeleteObjectTagging, and the same
// for buckets; x-amz-tagging on PutObject, CopyObject and
// CreateMultipartUpload. As S3, they change the tags and nothing else: the
// object's bytes, ETag and Last-Modified stay.

import (
	"encoding/xml"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"
)

const (
	maxObjectTags = 10
	maxBucketTags = 50
)

type tagXML struct {
	Key   string `xml:"Key"`
	Value string `xml:"Value"`
}

type taggingXML struct {
	XMLName xml.Name `xml:"Tagging"`
	XMLNS   string   `xml:"xmlns,attr,omitempty"`
	TagSet  []tagXML `xml:"TagSet>Tag"`
}

// checkTags applies S3's rules to a tag set: at most max tags, keys of 1
// to 128 characters, unique and not starting with "aws:", values of at
// most 256.
func checkTags(tags []Tag, max int) error {
	if len(tags) > max {
		return s3Err("InvalidTag", "Object tags cannot be greater than %d", max)
	}
	seen := map[string]bool{}
	for _, t := range tags {
		switch n := utf8.RuneCountInString(t.Key); {
		case n == 0 || n > 128:
			return s3Err("InvalidTag", "The TagKey you have provided is invalid: it must be 1 to 128 characters").with("TagKey", t.Key)
		case utf8.RuneCountInString(t.Value) > 256:
			return s3Err("InvalidTag", "The TagValue you have provided is invalid: it must be at most 256 characters").with("TagKey", t.Key)
		case seen[t.Key]:
			return s3Err("InvalidTag", "Cannot provide multiple Tags with the same key").with("TagKey", t.Key)
		case strings.HasPrefix(strings.ToLower(t.Key), "aws:"):
			return s3Err("InvalidTag", "Your TagKey cannot be prefixed with aws:").with("TagKey", t.Key)
		}
		seen[t.Key] = true
	}
	return nil
}

// readTagging reads a Tagging document.
func readTagging(q *s3Req, max int) ([]Tag, error) {
	var in taggingXML
	if err := readXMLChecked(q, 64<<10, &in); err != nil {
		return nil, err
	}
	tags := make([]Tag, 0, len(in.TagSet))
	for _, t := range in.TagSet {
		tags = append(tags, Tag{Key: t.Key, Value: t.Value})
	}
	return tags, checkTags(tags, max)
}

func writeTagging(w http.ResponseWriter, tags []Tag) error {
	out := taggingXML{XMLNS: s3Namespace, TagSet: []tagXML{}}
	for _, t := range tags {
		out.TagSet = append(out.TagSet, tagXML{Key: t.Key, Value: t.Value})
	}
	return writeXML(w, http.StatusOK, out)
}

func (a *s3API) getObjectTagging(q *s3Req) error {
	_, info, err := a.objectFor(q, permRead)
	if err != nil {
		return err
	}
	setVersionHeader(q, info.VersionID)
	return writeTagging(q.w, info.Meta.Tags)
}

func (a *s3API) putObjectTagging(q *s3Req) error {
	_, info, err := a.objectFor(q, permWrite)
	if err != nil {
		return err
	}
	tags, err := readTagging(q, maxObjectTags)
	if err != nil {
		return err
	}
	if _, err := a.store.UpdateObjectMeta(q.bucket, q.key, q.query.Get("versionId"), func(m *ObjectMeta) error { m.Tags = tags; return nil }); err != nil {
		return err
	}
	setVersionHeader(q, info.VersionID)
	q.w.WriteHeader(http.StatusOK)
	return nil
}

func (a *s3API) deleteObjectTagging(q *s3Req) error {
	_, info, err := a.objectFor(q, permWrite)
	if err != nil {
		return err
	}
	if _, err := a.store.UpdateObjectMeta(q.bucket, q.key, q.query.Get("versionId"), func(m *ObjectMeta) error { m.Tags = nil; return nil }); err != nil {
		return err
	}
	setVersionHeader(q, info.VersionID)
	q.w.WriteHeader(http.StatusNoContent)
	return nil
}

// objectFor returns the bucket's settings and the object of a request on
// an existing object, checking that who has perm on it.
func (a *s3API) objectFor(q *s3Req, perm string) (BucketConfig, ObjectInfo, error) {
	c, err := a.store.Bucket(q.bucket)
	if err != nil {
		return c, ObjectInfo{}, err
	}
	vid, err := q.versionID()
	if err != nil {
		return c, ObjectInfo{}, err
	}
	info, err := a.store.StatObject(q.bucket, q.key, vid)
	if err != nil {
		return c, info, a.hideMissing(q, c, err)
	}
	return c, info, a.checkObject(q, c, &info.Meta, perm)
}

// setVersionHeader reports the version a request acted on, if versioned.
func setVersionHeader(q *s3Req, id string) {
	if id != "" {
		q.w.Header().Set("x-amz-version-id", id)
	}
}

// setWrittenVersionHeader reports the version a write made: none for the
// "null" version of a bucket whose versioning is suspended, as S3 does.
func setWrittenVersionHeader(q *s3Req, id string) {
	if id != nullVersion {
		setVersionHeader(q, id)
	}
}

// bucketFor returns the settings of the bucket of a request only its owner
// may make.
func (a *s3API) bucketFor(q *s3Req) (BucketConfig, error) {
	c, err := a.store.Bucket(q.bucket)
	if err != nil {
		return c, err
	}
	return c, a.checkOwner(q, c)
}

func (a *s3API) getBucketTagging(q *s3Req) error {
	c, err := a.bucketFor(q)
	if err != nil {
		return err
	}
	if c.Tags == nil {
		return s3Err("NoSuchTagSet", "The TagSet does not exist").with("BucketName", q.bucket)
	}
	return writeTagging(q.w, c.Tags)
}

func (a *s3API) putBucketTagging(q *s3Req) error {
	if _, err := a.bucketFor(q); err != nil {
		return err
	}
	tags, err := readTagging(q, maxBucketTags)
	if err != nil {
		return err
	}
	if err := a.store.UpdateBucket(q.bucket, func(c *BucketConfig) error { c.Tags = slices.Clip(tags); return nil }); err != nil {
		return err
	}
	q.w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *s3API) deleteBucketTagging(q *s3Req) error {
	if _, err := a.bucketFor(q); err != nil {
		return err
	}
	if err := a.store.UpdateBucket(q.bucket, func(c *BucketConfig) error { c.Tags = nil; return nil }); err != nil {
		return err
	}
	q.w.WriteHeader(http.StatusNoContent)
	return nil
}
