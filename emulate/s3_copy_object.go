package emulate

// CopyObject (PutObject with x-amz-copy-source). How it differs from S3:
// the copy's ETag is the MD5 of its bytes, also when the source was a
// multipart upload.

import (
	"encoding/xml"
	"net/http"
	"net/url"
	"strings"
)

// maxCopySize is the largest object CopyObject copies (UploadPartCopy
// copies larger ones in pieces).
const maxCopySize = 5 << 30

type copyObjectResult struct {
	XMLName           xml.Name `xml:"CopyObjectResult"`
	XMLNS             string   `xml:"xmlns,attr"`
	LastModified      string   `xml:"LastModified"`
	ETag              string   `xml:"ETag"`
	ChecksumCRC32     string   `xml:"ChecksumCRC32,omitempty"`
	ChecksumCRC32C    string   `xml:"ChecksumCRC32C,omitempty"`
	ChecksumCRC64NVME string   `xml:"ChecksumCRC64NVME,omitempty"`
	ChecksumSHA1      string   `xml:"ChecksumSHA1,omitempty"`
	ChecksumSHA256    string   `xml:"ChecksumSHA256,omitempty"`
	ChecksumType      string   `xml:"ChecksumType,omitempty"`
}

// copySource reads x-amz-copy-source: /bucket/key, URL-encoded, with an
// optional ?versionId=.
func copySource(v string) (bucket, key, versionID string, err error) {
	path, query, _ := strings.Cut(v, "?")
	p, uerr := url.PathUnescape(strings.TrimPrefix(path, "/"))
	bucket, key, ok := strings.Cut(p, "/")
	if uerr != nil || !ok || bucket == "" || key == "" {
		return "", "", "", s3Err("InvalidArgument", "Copy Source must mention the source bucket and key: sourcebucket/sourcekey").
			with("ArgumentName", "x-amz-copy-source").with("ArgumentValue", v)
	}
	if query != "" {
		qv, _ := url.ParseQuery(query)
		if versionID = qv.Get("versionId"); qv.Has("versionId") && !validVersionID(versionID) {
			return "", "", "", errInvalidArgument("x-amz-copy-source", v, "Invalid version id specified")
		}
	}
	return bucket, key, versionID, nil
}

// openCopySource opens the source of a copy (CopyObject, UploadPartCopy)
// for who, checking its x-amz-copy-source-if-* conditions. The caller
// closes the file.
func (a *s3API) openCopySource(q *s3Req) (*openedObject, error) {
	sb, sk, svid, err := copySource(q.r.Header.Get("X-Amz-Copy-Source"))
	if err != nil {
		return nil, err
	}
	sc, err := a.store.Bucket(sb)
	if err != nil {
		return nil, err
	}
	f, info, err := a.store.OpenObject(sb, sk, svid)
	if err != nil {
		return nil, err
	}
	if info.VersionID != "" {
		q.w.Header().Set("x-amz-copy-source-version-id", info.VersionID)
	}
	action := "s3:GetObject"
	if svid != "" {
		action = "s3:GetObjectVersion"
	}
	if err := a.checkObjectAs(q, sc, sb, sk, &info.Meta, permRead, action); err != nil {
		f.Close()
		return nil, err
	}
	status, err := checkConditions(q.r.Header, info, "X-Amz-Copy-Source-If-Match", "X-Amz-Copy-Source-If-None-Match",
		"X-Amz-Copy-Source-If-Modified-Since", "X-Amz-Copy-Source-If-Unmodified-Since")
	if err == nil && status == http.StatusNotModified {
		// A copy has no 304: a source that is not to be copied fails.
		err = errPreconditionFailed("x-amz-copy-source-If-None-Match")
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return &openedObject{bucket: sb, key: sk, f: f, info: info}, nil
}

type openedObject struct {
	bucket, key string
	f           interface {
		Read([]byte) (int, error)
		ReadAt([]byte, int64) (int, error)
		Close() error
	}
	info ObjectInfo
}

func (a *s3API) copyObject(q *s3Req) error {
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
	src, err := a.openCopySource(q)
	if err != nil {
		return err
	}
	defer src.f.Close()
	if src.info.Size > maxCopySize {
		return s3Err("InvalidRequest", "The specified copy source is larger than the maximum allowable size for a copy source: %d", maxCopySize)
	}
	h := q.r.Header
	directive := strings.ToUpper(h.Get("X-Amz-Metadata-Directive"))
	tagDirective := strings.ToUpper(h.Get("X-Amz-Tagging-Directive"))
	for name, v := range map[string]string{"x-amz-metadata-directive": directive, "x-amz-tagging-directive": tagDirective} {
		if v != "" && v != "COPY" && v != "REPLACE" {
			return errInvalidArgument(name, v, "Unknown %s value", name)
		}
	}
	meta := src.info.Meta
	if directive == "REPLACE" {
		if meta, err = a.metaFromHeaders(q, c); err != nil {
			return err
		}
		meta.Tags = src.info.Meta.Tags
	} else if sc := h.Get("X-Amz-Storage-Class"); sc != "" {
		m, err := a.metaFromHeaders(q, c)
		if err != nil {
			return err
		}
		meta.StorageClass = m.StorageClass
	}
	if tagDirective == "REPLACE" {
		meta.Tags = nil
		if t := h.Get("X-Amz-Tagging"); t != "" {
			if meta.Tags, err = parseTaggingHeader(t); err != nil {
				return err
			}
		}
	}
	if src.bucket == q.bucket && src.key == q.key && directive != "REPLACE" && !strings.Contains(h.Get("X-Amz-Copy-Source"), "versionId=") &&
		meta.StorageClass == src.info.Meta.StorageClass && h.Get("X-Amz-Website-Redirect-Location") == "" &&
		h.Get("X-Amz-Server-Side-Encryption") == "" {
		return s3Err("InvalidRequest", "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.")
	}
	if meta.ACL, err = a.newObjectACL(q, c); err != nil {
		return err
	}
	meta.Parts = nil
	alg := ""
	if cs := src.info.Meta.Checksum; cs != nil {
		alg = cs.Algorithm
	}
	if v := strings.ToUpper(h.Get("X-Amz-Checksum-Algorithm")); v != "" {
		if !isChecksumAlgorithm(v) {
			return errInvalidArgument("x-amz-checksum-algorithm", v, "Checksum algorithm %q is not supported", v)
		}
		alg = v
	}
	meta.Checksum = nil
	body, err := newBodyReader(src.f, http.Header{}, alg)
	if err != nil {
		return err
	}
	opts := &PutOptions{Meta: meta, IfNoneMatch: h.Get("If-None-Match"), IfMatch: h.Get("If-Match")}
	info, err := a.store.PutObject(q.bucket, q.key, body, src.info.Size, opts)
	if err != nil {
		return err
	}
	q.w.Header().Set("x-amz-server-side-encryption", "AES256")
	setWrittenVersionHeader(q, info.VersionID)
	out := copyObjectResult{XMLNS: s3Namespace, LastModified: s3Time(info.LastModified), ETag: `"` + info.ETag + `"`}
	setResultChecksum(&out.ChecksumCRC32, &out.ChecksumCRC32C, &out.ChecksumCRC64NVME, &out.ChecksumSHA1, &out.ChecksumSHA256, &out.ChecksumType, info.Meta.Checksum)
	return writeXML(q.w, http.StatusOK, out)
}

// setResultChecksum fills the Checksum<ALG> field of a result document.
func setResultChecksum(crc32, crc32c, crc64, sha1, sha256, typ *string, c *Checksum) {
	if c == nil {
		return
	}
	switch c.Algorithm {
	case "CRC32":
		*crc32 = c.Value
	case "CRC32C":
		*crc32c = c.Value
	case "CRC64NVME":
		*crc64 = c.Value
	case "SHA1":
		*sha1 = c.Value
	case "SHA256":
		*sha256 = c.Value
	}
	*typ = c.Type
}
