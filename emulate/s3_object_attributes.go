package emulate

// GetObjectAttributes. As S3: the attributes asked for in
// x-amz-object-attributes (ETag, Checksum, ObjectParts, StorageClass,
// ObjectSize), parts paged by x-amz-max-parts and
// x-amz-part-number-marker.

import (
	"encoding/xml"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

var objectAttributes = []string{"ETag", "Checksum", "ObjectParts", "StorageClass", "ObjectSize"}

type checksumXML struct {
	ChecksumCRC32     string `xml:"ChecksumCRC32,omitempty"`
	ChecksumCRC32C    string `xml:"ChecksumCRC32C,omitempty"`
	ChecksumCRC64NVME string `xml:"ChecksumCRC64NVME,omitempty"`
	ChecksumSHA1      string `xml:"ChecksumSHA1,omitempty"`
	ChecksumSHA256    string `xml:"ChecksumSHA256,omitempty"`
	ChecksumType      string `xml:"ChecksumType,omitempty"`
}

type objectPartXML struct {
	PartNumber int   `xml:"PartNumber"`
	Size       int64 `xml:"Size"`
	checksumXML
}

type objectAttributesResult struct {
	XMLName     xml.Name     `xml:"GetObjectAttributesResponse"`
	XMLNS       string       `xml:"xmlns,attr"`
	ETag        string       `xml:"ETag,omitempty"`
	Checksum    *checksumXML `xml:"Checksum,omitempty"`
	ObjectParts *struct {
		TotalPartsCount      int             `xml:"PartsCount"`
		PartNumberMarker     int             `xml:"PartNumberMarker"`
		NextPartNumberMarker int             `xml:"NextPartNumberMarker"`
		MaxParts             int             `xml:"MaxParts"`
		IsTruncated          bool            `xml:"IsTruncated"`
		Parts                []objectPartXML `xml:"Part"`
	} `xml:"ObjectParts,omitempty"`
	StorageClass string `xml:"StorageClass,omitempty"`
	ObjectSize   *int64 `xml:"ObjectSize,omitempty"`
}

func toChecksumXML(c *Checksum) checksumXML {
	var x checksumXML
	setResultChecksum(&x.ChecksumCRC32, &x.ChecksumCRC32C, &x.ChecksumCRC64NVME, &x.ChecksumSHA1, &x.ChecksumSHA256, &x.ChecksumType, c)
	return x
}

func (a *s3API) getObjectAttributes(q *s3Req) error {
	var want []string
	for _, v := range q.r.Header.Values("X-Amz-Object-Attributes") {
		for a := range strings.SplitSeq(v, ",") {
			a = strings.TrimSpace(a)
			if !slices.Contains(objectAttributes, a) {
				return errInvalidArgument("x-amz-object-attributes", a, "Invalid attribute name specified.")
			}
			want = append(want, a)
		}
	}
	if len(want) == 0 {
		return errInvalidArgument("x-amz-object-attributes", "", "Minimum of one object attribute must be specified.")
	}
	_, info, err := a.objectFor(q, permRead)
	if err != nil {
		return err
	}
	out := objectAttributesResult{XMLNS: s3Namespace}
	for _, attr := range want {
		switch attr {
		case "ETag":
			out.ETag = info.ETag
		case "Checksum":
			if info.Meta.Checksum != nil {
				x := toChecksumXML(info.Meta.Checksum)
				out.Checksum = &x
			}
		case "StorageClass":
			out.StorageClass = storageClass(info.Meta)
		case "ObjectSize":
			out.ObjectSize = &info.Size
		case "ObjectParts":
			if len(info.Meta.Parts) == 0 {
				continue
			}
			maxParts, marker := 1000, 0
			if v := q.r.Header.Get("X-Amz-Max-Parts"); v != "" {
				if maxParts, err = strconv.Atoi(v); err != nil || maxParts < 0 {
					return errInvalidArgument("x-amz-max-parts", v, "Provided max-parts not an integer or within integer range")
				}
			}
			if v := q.r.Header.Get("X-Amz-Part-Number-Marker"); v != "" {
				if marker, err = strconv.Atoi(v); err != nil || marker < 0 {
					return errInvalidArgument("x-amz-part-number-marker", v, "Provided part-number-marker not an integer or within integer range")
				}
			}
			op := &struct {
				TotalPartsCount      int             `xml:"PartsCount"`
				PartNumberMarker     int             `xml:"PartNumberMarker"`
				NextPartNumberMarker int             `xml:"NextPartNumberMarker"`
				MaxParts             int             `xml:"MaxParts"`
				IsTruncated          bool            `xml:"IsTruncated"`
				Parts                []objectPartXML `xml:"Part"`
			}{TotalPartsCount: len(info.Meta.Parts), PartNumberMarker: marker, MaxParts: maxParts}
			for i, p := range info.Meta.Parts {
				n := i + 1
				if n <= marker {
					continue
				}
				if len(op.Parts) == maxParts {
					op.IsTruncated = true
					break
				}
				op.Parts = append(op.Parts, objectPartXML{PartNumber: n, Size: p.Size, checksumXML: toChecksumXML(p.Checksum)})
				op.NextPartNumberMarker = n
			}
			out.ObjectParts = op
		}
	}
	q.w.Header().Set("Last-Modified", lastModifiedHeader(info.LastModified))
	setVersionHeader(q, info.VersionID)
	return writeXML(q.w, http.StatusOK, out)
}
