package emulate

// ListObjects, ListObjectsV2, ListObjectVersions. How they differ from S3:
//
//   - A continuation token is the last key of the page, base64-encoded:
//     it is not tied to the request that made it.
//   - A listing with a delimiter returns a common prefix only if it sorts
//     after the marker, as S3 does.

import (
	"cmp"
	"encoding/base64"
	"encoding/xml"
	"net/http"
	"strconv"
)

type contentXML struct {
	Key          string    `xml:"Key"`
	LastModified string    `xml:"LastModified"`
	ETag         string    `xml:"ETag"`
	Size         int64     `xml:"Size"`
	Owner        *ownerXML `xml:"Owner,omitempty"`
	StorageClass string    `xml:"StorageClass"`
	// ChecksumAlgorithm is listed for objects stored with a checksum.
	ChecksumAlgorithm string `xml:"ChecksumAlgorithm,omitempty"`
	ChecksumType      string `xml:"ChecksumType,omitempty"`
}

type commonPrefixXML struct {
	Prefix string `xml:"Prefix"`
}

type listBucketResult struct {
	XMLName        xml.Name          `xml:"ListBucketResult"`
	XMLNS          string            `xml:"xmlns,attr"`
	Name           string            `xml:"Name"`
	Prefix         string            `xml:"Prefix"`
	Marker         *string           `xml:"Marker"`
	MaxKeys        int               `xml:"MaxKeys"`
	Delimiter      string            `xml:"Delimiter,omitempty"`
	IsTruncated    bool              `xml:"IsTruncated"`
	NextMarker     string            `xml:"NextMarker,omitempty"`
	EncodingType   string            `xml:"EncodingType,omitempty"`
	Contents       []contentXML      `xml:"Contents"`
	CommonPrefixes []commonPrefixXML `xml:"CommonPrefixes"`
}

type listBucketV2Result struct {
	XMLName               xml.Name          `xml:"ListBucketResult"`
	XMLNS                 string            `xml:"xmlns,attr"`
	Name                  string            `xml:"Name"`
	Prefix                string            `xml:"Prefix"`
	MaxKeys               int               `xml:"MaxKeys"`
	KeyCount              int               `xml:"KeyCount"`
	Delimiter             string            `xml:"Delimiter,omitempty"`
	IsTruncated           bool              `xml:"IsTruncated"`
	ContinuationToken     *string           `xml:"ContinuationToken"`
	NextContinuationToken string            `xml:"NextContinuationToken,omitempty"`
	StartAfter            *string           `xml:"StartAfter"`
	EncodingType          string            `xml:"EncodingType,omitempty"`
	Contents              []contentXML      `xml:"Contents"`
	CommonPrefixes        []commonPrefixXML `xml:"CommonPrefixes"`
}

// listParams are the query parameters every listing shares.
type listParams struct {
	prefix, delimiter string
	maxKeys           int
	encode            func(string) string // the identity, or URL encoding
	encodingType      string
}

// readListParams reads prefix, delimiter, max-keys and encoding-type.
func readListParams(q *s3Req, maxName string) (listParams, error) {
	p := listParams{prefix: q.query.Get("prefix"), delimiter: q.query.Get("delimiter"), maxKeys: 1000, encode: func(s string) string { return s }}
	if q.query.Has(maxName) {
		v := q.query.Get(maxName)
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return p, errInvalidArgument(maxName, v, "Provided %s not an integer or within integer range", maxName)
		}
		p.maxKeys = min(n, 1000)
	}
	switch et := q.query.Get("encoding-type"); et {
	case "":
	case "url":
		p.encodingType, p.encode = et, urlEncodeKey
	default:
		return p, errInvalidArgument("encoding-type", et, "Invalid Encoding Method specified in Request")
	}
	return p, nil
}

// urlEncodeKey encodes a key as S3 does for encoding-type=url: every byte
// but unreserved ones and "/" percent-encoded.
func urlEncodeKey(s string) string { return awsURIEncode(s, false) }

// listAccess checks that who may list the bucket.
func (a *s3API) listAccess(q *s3Req) error {
	c, err := a.store.Bucket(q.bucket)
	if err != nil {
		return err
	}
	return a.checkBucket(q, c, permRead)
}

// list runs one page of a listing: none at all for max-keys 0.
func (a *s3API) list(q *s3Req, p listParams, marker string) (*ListResult, error) {
	if p.maxKeys == 0 {
		if !a.store.BucketExists(q.bucket) {
			return nil, errNoSuchBucket(q.bucket)
		}
		return &ListResult{}, nil
	}
	return a.store.ListObjects(q.bucket, ListOptions{Prefix: p.prefix, Delimiter: p.delimiter, Marker: marker, MaxKeys: p.maxKeys})
}

func (a *s3API) contents(res *ListResult, p listParams, withOwner bool, c BucketConfig) []contentXML {
	out := make([]contentXML, 0, len(res.Objects))
	for _, o := range res.Objects {
		x := contentXML{
			Key: p.encode(o.Key), LastModified: s3Time(o.LastModified), ETag: `"` + o.ETag + `"`,
			Size: o.Size, StorageClass: storageClass(o.Meta),
		}
		if withOwner {
			x.Owner = toOwnerXML(a.objectACL(c, o.Meta).Owner)
		}
		if o.Meta.Checksum != nil {
			x.ChecksumAlgorithm, x.ChecksumType = o.Meta.Checksum.Algorithm, o.Meta.Checksum.Type
		}
		out = append(out, x)
	}
	return out
}

func commonPrefixes(res *ListResult, p listParams) []commonPrefixXML {
	out := make([]commonPrefixXML, 0, len(res.CommonPrefixes))
	for _, cp := range res.CommonPrefixes {
		out = append(out, commonPrefixXML{Prefix: p.encode(cp)})
	}
	return out
}

func storageClass(m ObjectMeta) string {
	if m.StorageClass == "" {
		return "STANDARD"
	}
	return m.StorageClass
}

func (a *s3API) listObjects(q *s3Req) error {
	if q.query.Get("list-type") == "2" {
		return a.listObjectsV2(q)
	}
	p, err := readListParams(q, "max-keys")
	if err != nil {
		return err
	}
	c, err := a.store.Bucket(q.bucket)
	if err != nil {
		return err
	}
	if err := a.checkBucket(q, c, permRead); err != nil {
		return err
	}
	marker := q.query.Get("marker")
	res, err := a.list(q, p, marker)
	if err != nil {
		return err
	}
	encMarker := p.encode(marker)
	out := listBucketResult{
		XMLNS: s3Namespace, Name: q.bucket, Prefix: p.prefix, Marker: &encMarker, MaxKeys: p.maxKeys,
		Delimiter: p.encode(p.delimiter), IsTruncated: res.IsTruncated, EncodingType: p.encodingType,
		Contents: a.contents(res, p, true, c), CommonPrefixes: commonPrefixes(res, p),
	}
	// S3 returns NextMarker only with a delimiter; without one a client
	// pages on from the last key.
	if res.IsTruncated && p.delimiter != "" {
		out.NextMarker = p.encode(res.NextMarker)
	}
	return writeXML(q.w, http.StatusOK, out)
}

func (a *s3API) listObjectsV2(q *s3Req) error {
	p, err := readListParams(q, "max-keys")
	if err != nil {
		return err
	}
	c, err := a.store.Bucket(q.bucket)
	if err != nil {
		return err
	}
	if err := a.checkBucket(q, c, permRead); err != nil {
		return err
	}
	out := listBucketV2Result{XMLNS: s3Namespace, Name: q.bucket, Prefix: p.prefix, MaxKeys: p.maxKeys,
		Delimiter: p.encode(p.delimiter), EncodingType: p.encodingType}
	marker := ""
	if q.query.Has("start-after") {
		sa := q.query.Get("start-after")
		marker = sa
		enc := p.encode(sa)
		out.StartAfter = &enc
	}
	if q.query.Has("continuation-token") {
		tok := q.query.Get("continuation-token")
		out.ContinuationToken = &tok
		if tok != "" {
			m, err := base64.RawURLEncoding.DecodeString(tok)
			if err != nil {
				return errInvalidArgument("continuation-token", tok, "The continuation token provided is incorrect")
			}
			marker = max(marker, string(m))
		}
	}
	res, err := a.list(q, p, marker)
	if err != nil {
		return err
	}
	out.IsTruncated = res.IsTruncated
	if res.IsTruncated {
		out.NextContinuationToken = base64.RawURLEncoding.EncodeToString([]byte(res.NextMarker))
	}
	out.Contents = a.contents(res, p, q.query.Get("fetch-owner") == "true", c)
	out.CommonPrefixes = commonPrefixes(res, p)
	out.KeyCount = len(out.Contents) + len(out.CommonPrefixes)
	return writeXML(q.w, http.StatusOK, out)
}

type versionXML struct {
	Key          string    `xml:"Key"`
	VersionID    string    `xml:"VersionId"`
	IsLatest     bool      `xml:"IsLatest"`
	LastModified string    `xml:"LastModified"`
	ETag         string    `xml:"ETag,omitempty"`
	Size         *int64    `xml:"Size,omitempty"`
	Owner        *ownerXML `xml:"Owner,omitempty"`
	StorageClass string    `xml:"StorageClass,omitempty"`
}

type listVersionsResult struct {
	XMLName             xml.Name          `xml:"ListVersionsResult"`
	XMLNS               string            `xml:"xmlns,attr"`
	Name                string            `xml:"Name"`
	Prefix              string            `xml:"Prefix"`
	KeyMarker           string            `xml:"KeyMarker"`
	VersionIDMarker     string            `xml:"VersionIdMarker"`
	NextKeyMarker       string            `xml:"NextKeyMarker,omitempty"`
	NextVersionIDMarker string            `xml:"NextVersionIdMarker,omitempty"`
	MaxKeys             int               `xml:"MaxKeys"`
	Delimiter           string            `xml:"Delimiter,omitempty"`
	IsTruncated         bool              `xml:"IsTruncated"`
	EncodingType        string            `xml:"EncodingType,omitempty"`
	Entries             []versionEntryXML `xml:",any"`
	CommonPrefixes      []commonPrefixXML `xml:"CommonPrefixes"`
}

// versionEntryXML is a Version or a DeleteMarker element, in listing
// order.
type versionEntryXML struct {
	XMLName xml.Name
	versionXML
}

func (a *s3API) listObjectVersions(q *s3Req) error {
	p, err := readListParams(q, "max-keys")
	if err != nil {
		return err
	}
	c, err := a.store.Bucket(q.bucket)
	if err != nil {
		return err
	}
	if err := a.checkBucket(q, c, permRead); err != nil {
		return err
	}
	keyMarker, vidMarker := q.query.Get("key-marker"), q.query.Get("version-id-marker")
	if vidMarker != "" && keyMarker == "" {
		return errInvalidArgument("version-id-marker", vidMarker, "A version-id marker cannot be specified without a key marker.")
	}
	if vidMarker != "" && !validVersionID(vidMarker) {
		return errInvalidArgument("version-id-marker", vidMarker, "Invalid version id specified")
	}
	out := listVersionsResult{XMLNS: s3Namespace, Name: q.bucket, Prefix: p.prefix, KeyMarker: p.encode(keyMarker),
		VersionIDMarker: vidMarker, MaxKeys: p.maxKeys, Delimiter: p.encode(p.delimiter), EncodingType: p.encodingType,
		CommonPrefixes: []commonPrefixXML{}}
	if p.maxKeys > 0 {
		res, err := a.store.ListVersions(q.bucket, ListOptions{Prefix: p.prefix, Delimiter: p.delimiter, Marker: keyMarker, MaxKeys: p.maxKeys}, vidMarker)
		if err != nil {
			return err
		}
		for _, v := range res.Versions {
			x := versionXML{Key: p.encode(v.Key), VersionID: cmp.Or(v.VersionID, nullVersion), IsLatest: v.IsLatest,
				LastModified: s3Time(v.LastModified), Owner: toOwnerXML(a.objectACL(c, v.Meta).Owner)}
			name := "DeleteMarker"
			if !v.DeleteMarker {
				name = "Version"
				size := v.Size
				x.ETag, x.Size, x.StorageClass = `"`+v.ETag+`"`, &size, storageClass(v.Meta)
			}
			out.Entries = append(out.Entries, versionEntryXML{XMLName: xml.Name{Local: name}, versionXML: x})
		}
		for _, cp := range res.CommonPrefixes {
			out.CommonPrefixes = append(out.CommonPrefixes, commonPrefixXML{Prefix: p.encode(cp)})
		}
		out.IsTruncated = res.IsTruncated
		out.NextKeyMarker, out.NextVersionIDMarker = p.encode(res.NextKeyMarker), res.NextVersionIDMarker
	}
	return writeXML(q.w, http.StatusOK, out)
}
