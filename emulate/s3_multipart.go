package emulate

// CreateMultipartUpload, UploadPart, UploadPartCopy,
// CompleteMultipartUpload, AbortMultipartUpload, ListParts,
// ListMultipartUploads. Parts are files on disk, fsynced before UploadPart
// answers (see s3store_multipart.go). How they differ from S3:
//
//   - CompleteMultipartUpload answers once the object is written; it sends
//     no whitespace meanwhile, and a retry after success is NoSuchUpload.
//   - A completed upload's object is one file: its parts are copied into
//     it (copy_file_range where the file system has it).
//   - Uploads do not expire.

import (
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
)

type initiateResult struct {
	XMLName  xml.Name `xml:"InitiateMultipartUploadResult"`
	XMLNS    string   `xml:"xmlns,attr"`
	Bucket   string   `xml:"Bucket"`
	Key      string   `xml:"Key"`
	UploadID string   `xml:"UploadId"`
}

func (a *s3API) createMultipartUpload(q *s3Req) error {
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
	meta, err := a.metaFromHeaders(q, c)
	if err != nil {
		return err
	}
	if meta.ACL, err = a.newObjectACL(q, c); err != nil {
		return err
	}
	if typ := strings.ToUpper(q.r.Header.Get("X-Amz-Checksum-Type")); typ != "" {
		if meta.Checksum == nil {
			return s3Err("InvalidRequest", "The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.")
		}
		if typ != "COMPOSITE" && typ != "FULL_OBJECT" {
			return errInvalidArgument("x-amz-checksum-type", typ, "Value for x-amz-checksum-type header is invalid.")
		}
		meta.Checksum.Type = typ
	}
	if cs := meta.Checksum; cs != nil {
		crc := strings.HasPrefix(cs.Algorithm, "CRC")
		if cs.Algorithm == "CRC64NVME" {
			cs.Type = "FULL_OBJECT"
		}
		if cs.Type == "FULL_OBJECT" && !crc {
			return s3Err("InvalidRequest", "The FULL_OBJECT checksum type cannot be used with the %s checksum algorithm.", strings.ToLower(cs.Algorithm))
		}
		q.w.Header().Set("x-amz-checksum-algorithm", cs.Algorithm)
		q.w.Header().Set("x-amz-checksum-type", cs.Type)
	}
	u, err := a.store.CreateUpload(q.bucket, q.key, q.who.owner, meta)
	if err != nil {
		return err
	}
	return writeXML(q.w, http.StatusOK, initiateResult{XMLNS: s3Namespace, Bucket: q.bucket, Key: q.key, UploadID: u.ID})
}

// partNumber reads the partNumber parameter.
func partNumber(q *s3Req) (int, error) {
	v := q.query.Get("partNumber")
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > MaxPartNumber {
		return 0, errInvalidArgument("partNumber", v, "Part number must be an integer between 1 and %d, inclusive", MaxPartNumber)
	}
	return n, nil
}

// uploadFor returns the upload in progress a request names, checking that
// who may write to its bucket.
func (a *s3API) uploadFor(q *s3Req) (Upload, error) {
	u, err := a.anyUploadFor(q)
	if err == nil && u.Completed != nil {
		return Upload{}, errNoSuchUpload(u.ID)
	}
	return u, err
}

// anyUploadFor is uploadFor, also for a just-completed upload.
func (a *s3API) anyUploadFor(q *s3Req) (Upload, error) {
	c, err := a.store.Bucket(q.bucket)
	if err != nil {
		return Upload{}, err
	}
	if err := a.checkBucket(q, c, permWrite); err != nil {
		return Upload{}, err
	}
	return a.store.GetUpload(q.bucket, q.key, q.query.Get("uploadId"))
}

func (a *s3API) uploadPart(q *s3Req) error {
	if q.r.Header.Get("X-Amz-Copy-Source") != "" {
		return a.uploadPartCopy(q)
	}
	n, err := partNumber(q)
	if err != nil {
		return err
	}
	u, err := a.uploadFor(q)
	if err != nil {
		return err
	}
	alg := ""
	if u.Meta.Checksum != nil {
		alg = u.Meta.Checksum.Algorithm
	}
	body, size, err := a.requestBody(q, alg)
	if err != nil {
		return err
	}
	if alg != "" && body.alg != alg {
		return s3Err("InvalidRequest", "Checksum Type mismatch occurred, expected checksum Type: %s, actual checksum Type: %s", strings.ToLower(alg), strings.ToLower(body.alg))
	}
	p, err := a.store.PutPart(u, n, body, size)
	if err != nil {
		return err
	}
	h := q.w.Header()
	h.Set("ETag", `"`+p.ETag+`"`)
	h.Set("x-amz-server-side-encryption", "AES256")
	if p.Checksum != nil {
		h.Set("x-amz-checksum-"+strings.ToLower(p.Checksum.Algorithm), p.Checksum.Value)
	}
	q.w.WriteHeader(http.StatusOK)
	return nil
}

type copyPartResult struct {
	XMLName      xml.Name `xml:"CopyPartResult"`
	XMLNS        string   `xml:"xmlns,attr"`
	LastModified string   `xml:"LastModified"`
	ETag         string   `xml:"ETag"`
}

// copySourceRange reads x-amz-copy-source-range for a source of size
// bytes.
func copySourceRange(v string, size int64) (start, length int64, err error) {
	bad := errInvalidArgument("x-amz-copy-source-range", v,
		"The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy")
	spec, ok := strings.CutPrefix(v, "bytes=")
	first, last, ok2 := strings.Cut(spec, "-")
	s, err1 := strconv.ParseInt(first, 10, 64)
	e, err2 := strconv.ParseInt(last, 10, 64)
	if !ok || !ok2 || err1 != nil || err2 != nil || s < 0 || e < s {
		return 0, 0, bad
	}
	if e >= size {
		return 0, 0, errInvalidArgument("x-amz-copy-source-range", v,
			"Range specified is not valid for source object of size: %d", size)
	}
	return s, e - s + 1, nil
}

func (a *s3API) uploadPartCopy(q *s3Req) error {
	n, err := partNumber(q)
	if err != nil {
		return err
	}
	u, err := a.uploadFor(q)
	if err != nil {
		return err
	}
	src, err := a.openCopySource(q)
	if err != nil {
		return err
	}
	defer src.f.Close()
	start, length := int64(0), src.info.Size
	if v := q.r.Header.Get("X-Amz-Copy-Source-Range"); v != "" {
		if start, length, err = copySourceRange(v, src.info.Size); err != nil {
			return err
		}
	}
	if length > maxCopySize {
		return s3Err("InvalidRequest", "The specified copy source is larger than the maximum allowable size for a copy source: %d; copy it in ranges", maxCopySize)
	}
	alg := ""
	if u.Meta.Checksum != nil {
		alg = u.Meta.Checksum.Algorithm
	}
	body, err := newBodyReader(io.NewSectionReader(src.f, start, length), http.Header{}, alg)
	if err != nil {
		return err
	}
	p, err := a.store.PutPart(u, n, body, length)
	if err != nil {
		return err
	}
	q.w.Header().Set("x-amz-server-side-encryption", "AES256")
	return writeXML(q.w, http.StatusOK, copyPartResult{XMLNS: s3Namespace, LastModified: s3Time(p.LastModified), ETag: `"` + p.ETag + `"`})
}

type completeRequest struct {
	XMLName xml.Name `xml:"CompleteMultipartUpload"`
	Parts   []struct {
		PartNumber        int    `xml:"PartNumber"`
		ETag              string `xml:"ETag"`
		ChecksumCRC32     string `xml:"ChecksumCRC32"`
		ChecksumCRC32C    string `xml:"ChecksumCRC32C"`
		ChecksumCRC64NVME string `xml:"ChecksumCRC64NVME"`
		ChecksumSHA1      string `xml:"ChecksumSHA1"`
		ChecksumSHA256    string `xml:"ChecksumSHA256"`
	} `xml:"Part"`
}

type completeResult struct {
	XMLName           xml.Name `xml:"CompleteMultipartUploadResult"`
	XMLNS             string   `xml:"xmlns,attr"`
	Location          string   `xml:"Location"`
	Bucket            string   `xml:"Bucket"`
	Key               string   `xml:"Key"`
	ETag              string   `xml:"ETag"`
	ChecksumCRC32     string   `xml:"ChecksumCRC32,omitempty"`
	ChecksumCRC32C    string   `xml:"ChecksumCRC32C,omitempty"`
	ChecksumCRC64NVME string   `xml:"ChecksumCRC64NVME,omitempty"`
	ChecksumSHA1      string   `xml:"ChecksumSHA1,omitempty"`
	ChecksumSHA256    string   `xml:"ChecksumSHA256,omitempty"`
	ChecksumType      string   `xml:"ChecksumType,omitempty"`
}

func (a *s3API) completeMultipartUpload(q *s3Req) error {
	u, err := a.anyUploadFor(q)
	if err != nil {
		return err
	}
	// The body's Content-MD5 is checked; an x-amz-checksum-* header here
	// is the object's checksum, not the body's.
	var in completeRequest
	h := http.Header{}
	if v := q.r.Header.Values("Content-Md5"); v != nil {
		h["Content-Md5"] = v
	}
	body, err := newBodyReader(q.r.Body, h, "")
	if err != nil {
		return err
	}
	q.r.Body = io.NopCloser(body)
	if err := readXML(q.r, 4<<20, &in); err != nil && !hasS3Code(err, "MissingRequestBodyError") {
		return err
	}
	if len(in.Parts) == 0 {
		return s3Err("MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema: it names no part")
	}
	alg := ""
	if u.Meta.Checksum != nil {
		alg = u.Meta.Checksum.Algorithm
	}
	parts := make([]CompletedPart, len(in.Parts))
	for i, p := range in.Parts {
		parts[i] = CompletedPart{Number: p.PartNumber, ETag: p.ETag}
		switch alg {
		case "CRC32":
			parts[i].Checksum = p.ChecksumCRC32
		case "CRC32C":
			parts[i].Checksum = p.ChecksumCRC32C
		case "CRC64NVME":
			parts[i].Checksum = p.ChecksumCRC64NVME
		case "SHA1":
			parts[i].Checksum = p.ChecksumSHA1
		case "SHA256":
			parts[i].Checksum = p.ChecksumSHA256
		}
	}
	opts := &PutOptions{IfNoneMatch: q.r.Header.Get("If-None-Match"), IfMatch: q.r.Header.Get("If-Match")}
	if alg != "" {
		opts.Checksum = q.r.Header.Get("X-Amz-Checksum-" + alg)
	}
	info, err := a.store.CompleteUpload(u, parts, opts)
	if err != nil {
		return err
	}
	q.w.Header().Set("x-amz-server-side-encryption", "AES256")
	setWrittenVersionHeader(q, info.VersionID)
	out := completeResult{XMLNS: s3Namespace, Location: fmt.Sprintf("/%s/%s", q.bucket, q.key), Bucket: q.bucket, Key: q.key, ETag: `"` + info.ETag + `"`}
	setResultChecksum(&out.ChecksumCRC32, &out.ChecksumCRC32C, &out.ChecksumCRC64NVME, &out.ChecksumSHA1, &out.ChecksumSHA256, &out.ChecksumType, info.Meta.Checksum)
	return writeXML(q.w, http.StatusOK, out)
}

func (a *s3API) abortMultipartUpload(q *s3Req) error {
	u, err := a.uploadFor(q)
	if err != nil {
		return err
	}
	if err := a.store.AbortUpload(u); err != nil {
		return err
	}
	q.w.WriteHeader(http.StatusNoContent)
	return nil
}

type partXML struct {
	PartNumber        int    `xml:"PartNumber"`
	LastModified      string `xml:"LastModified"`
	ETag              string `xml:"ETag"`
	Size              int64  `xml:"Size"`
	ChecksumCRC32     string `xml:"ChecksumCRC32,omitempty"`
	ChecksumCRC32C    string `xml:"ChecksumCRC32C,omitempty"`
	ChecksumCRC64NVME string `xml:"ChecksumCRC64NVME,omitempty"`
	ChecksumSHA1      string `xml:"ChecksumSHA1,omitempty"`
	ChecksumSHA256    string `xml:"ChecksumSHA256,omitempty"`
}

type listPartsResult struct {
	XMLName              xml.Name  `xml:"ListPartsResult"`
	XMLNS                string    `xml:"xmlns,attr"`
	Bucket               string    `xml:"Bucket"`
	Key                  string    `xml:"Key"`
	UploadID             string    `xml:"UploadId"`
	Initiator            ownerXML  `xml:"Initiator"`
	Owner                ownerXML  `xml:"Owner"`
	StorageClass         string    `xml:"StorageClass"`
	PartNumberMarker     int       `xml:"PartNumberMarker"`
	NextPartNumberMarker int       `xml:"NextPartNumberMarker"`
	MaxParts             int       `xml:"MaxParts"`
	IsTruncated          bool      `xml:"IsTruncated"`
	ChecksumAlgorithm    string    `xml:"ChecksumAlgorithm,omitempty"`
	ChecksumType         string    `xml:"ChecksumType,omitempty"`
	Parts                []partXML `xml:"Part"`
}

func (a *s3API) listParts(q *s3Req) error {
	u, err := a.uploadFor(q)
	if err != nil {
		return err
	}
	maxParts, marker := 1000, 0
	if v := q.query.Get("max-parts"); v != "" {
		if maxParts, err = strconv.Atoi(v); err != nil || maxParts < 0 {
			return errInvalidArgument("max-parts", v, "Provided max-parts not an integer or within integer range")
		}
		maxParts = min(maxParts, 1000)
	}
	if v := q.query.Get("part-number-marker"); v != "" {
		if marker, err = strconv.Atoi(v); err != nil || marker < 0 {
			return errInvalidArgument("part-number-marker", v, "Provided part-number-marker not an integer or within integer range")
		}
	}
	parts, err := a.store.ListParts(u)
	if err != nil {
		return err
	}
	owner := u.Initiator
	if u.Meta.ACL != nil {
		owner = u.Meta.ACL.Owner
	}
	out := listPartsResult{XMLNS: s3Namespace, Bucket: q.bucket, Key: q.key, UploadID: u.ID,
		Initiator: *toOwnerXML(u.Initiator), Owner: *toOwnerXML(owner), StorageClass: storageClass(u.Meta),
		PartNumberMarker: marker, MaxParts: maxParts, Parts: []partXML{}}
	if cs := u.Meta.Checksum; cs != nil {
		out.ChecksumAlgorithm, out.ChecksumType = cs.Algorithm, cs.Type
	}
	for _, p := range parts {
		if p.Number <= marker {
			continue
		}
		if len(out.Parts) == maxParts {
			out.IsTruncated = true
			break
		}
		x := partXML{PartNumber: p.Number, LastModified: s3Time(p.LastModified), ETag: `"` + p.ETag + `"`, Size: p.Size}
		var typ string
		setResultChecksum(&x.ChecksumCRC32, &x.ChecksumCRC32C, &x.ChecksumCRC64NVME, &x.ChecksumSHA1, &x.ChecksumSHA256, &typ, p.Checksum)
		out.Parts = append(out.Parts, x)
		out.NextPartNumberMarker = p.Number
	}
	return writeXML(q.w, http.StatusOK, out)
}

type uploadXML struct {
	Key               string   `xml:"Key"`
	UploadID          string   `xml:"UploadId"`
	Initiator         ownerXML `xml:"Initiator"`
	Owner             ownerXML `xml:"Owner"`
	StorageClass      string   `xml:"StorageClass"`
	Initiated         string   `xml:"Initiated"`
	ChecksumAlgorithm string   `xml:"ChecksumAlgorithm,omitempty"`
	ChecksumType      string   `xml:"ChecksumType,omitempty"`
}

type listUploadsResult struct {
	XMLName            xml.Name          `xml:"ListMultipartUploadsResult"`
	XMLNS              string            `xml:"xmlns,attr"`
	Bucket             string            `xml:"Bucket"`
	KeyMarker          string            `xml:"KeyMarker"`
	UploadIDMarker     string            `xml:"UploadIdMarker"`
	NextKeyMarker      string            `xml:"NextKeyMarker,omitempty"`
	NextUploadIDMarker string            `xml:"NextUploadIdMarker,omitempty"`
	Prefix             string            `xml:"Prefix"`
	Delimiter          string            `xml:"Delimiter,omitempty"`
	MaxUploads         int               `xml:"MaxUploads"`
	IsTruncated        bool              `xml:"IsTruncated"`
	EncodingType       string            `xml:"EncodingType,omitempty"`
	Uploads            []uploadXML       `xml:"Upload"`
	CommonPrefixes     []commonPrefixXML `xml:"CommonPrefixes"`
}

func (a *s3API) listMultipartUploads(q *s3Req) error {
	c, err := a.store.Bucket(q.bucket)
	if err != nil {
		return err
	}
	if err := a.checkBucket(q, c, permRead); err != nil {
		return err
	}
	p, err := readListParams(q, "max-uploads")
	if err != nil {
		return err
	}
	keyMarker, idMarker := q.query.Get("key-marker"), q.query.Get("upload-id-marker")
	uploads, err := a.store.ListUploads(q.bucket)
	if err != nil {
		return err
	}
	out := listUploadsResult{XMLNS: s3Namespace, Bucket: q.bucket, KeyMarker: p.encode(keyMarker), UploadIDMarker: idMarker,
		Prefix: p.prefix, Delimiter: p.encode(p.delimiter), MaxUploads: p.maxKeys, EncodingType: p.encodingType,
		Uploads: []uploadXML{}, CommonPrefixes: []commonPrefixXML{}}
	lastCommon, n := "", 0
	for _, u := range uploads {
		if !strings.HasPrefix(u.Key, p.prefix) {
			continue
		}
		if u.Key < keyMarker || u.Key == keyMarker && (idMarker == "" || u.ID <= idMarker) {
			continue
		}
		if p.delimiter != "" {
			if i := strings.Index(u.Key[len(p.prefix):], p.delimiter); i >= 0 {
				cp := u.Key[:len(p.prefix)+i+len(p.delimiter)]
				if cp == lastCommon || cp <= keyMarker {
					continue
				}
				if n == p.maxKeys {
					out.IsTruncated = true
					break
				}
				lastCommon = cp
				out.CommonPrefixes = append(out.CommonPrefixes, commonPrefixXML{Prefix: p.encode(cp)})
				out.NextKeyMarker, out.NextUploadIDMarker = p.encode(cp), ""
				n++
				continue
			}
		}
		if n == p.maxKeys {
			out.IsTruncated = true
			break
		}
		owner := u.Initiator
		if u.Meta.ACL != nil {
			owner = u.Meta.ACL.Owner
		}
		x := uploadXML{Key: p.encode(u.Key), UploadID: u.ID, Initiator: *toOwnerXML(u.Initiator), Owner: *toOwnerXML(owner),
			StorageClass: storageClass(u.Meta), Initiated: s3Time(u.Initiated)}
		if cs := u.Meta.Checksum; cs != nil {
			x.ChecksumAlgorithm, x.ChecksumType = cs.Algorithm, cs.Type
		}
		out.Uploads = append(out.Uploads, x)
		out.NextKeyMarker, out.NextUploadIDMarker = p.encode(u.Key), u.ID
		n++
	}
	if !out.IsTruncated {
		out.NextKeyMarker, out.NextUploadIDMarker = "", ""
	}
	return writeXML(q.w, http.StatusOK, out)
}
