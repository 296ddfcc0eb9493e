package emulate

// DeleteObject and DeleteObjects. As S3, deleting a key (or version) that
// does not exist succeeds; in a versioned bucket a delete without a
// version ID adds a delete marker.

import (
	"encoding/xml"
	"net/http"
)

// maxDeleteObjects is the most keys one DeleteObjects may name.
const maxDeleteObjects = 1000

func (a *s3API) deleteObject(q *s3Req) error {
	c, err := a.store.Bucket(q.bucket)
	if err != nil {
		return err
	}
	if err := a.checkBucket(q, c, permWrite); err != nil {
		return err
	}
	vid, err := q.versionID()
	if err != nil {
		return err
	}
	res, err := a.store.DeleteObject(q.bucket, q.key, vid, q.r.Header.Get("If-Match"))
	if err != nil {
		return err
	}
	setVersionHeader(q, res.VersionID)
	if res.DeleteMarker {
		q.w.Header().Set("x-amz-delete-marker", "true")
	}
	q.w.WriteHeader(http.StatusNoContent)
	return nil
}

type deleteRequest struct {
	XMLName xml.Name `xml:"Delete"`
	Quiet   bool     `xml:"Quiet"`
	Objects []struct {
		Key       string `xml:"Key"`
		VersionID string `xml:"VersionId"`
	} `xml:"Object"`
}

type deletedXML struct {
	Key                   string `xml:"Key"`
	VersionID             string `xml:"VersionId,omitempty"`
	DeleteMarker          bool   `xml:"DeleteMarker,omitempty"`
	DeleteMarkerVersionID string `xml:"DeleteMarkerVersionId,omitempty"`
}

type deleteErrorXML struct {
	Key       string `xml:"Key"`
	VersionID string `xml:"VersionId,omitempty"`
	Code      string `xml:"Code"`
	Message   string `xml:"Message"`
}

type deleteResult struct {
	XMLName xml.Name         `xml:"DeleteResult"`
	XMLNS   string           `xml:"xmlns,attr"`
	Deleted []deletedXML     `xml:"Deleted"`
	Errors  []deleteErrorXML `xml:"Error"`
}

func (a *s3API) deleteObjects(q *s3Req) error {
	c, err := a.store.Bucket(q.bucket)
	if err != nil {
		return err
	}
	if err := a.checkBucket(q, c, permWrite); err != nil {
		return err
	}
	if !hasIntegrityHeader(q.r.Header) {
		return s3Err("InvalidRequest", "Missing required header for this request: Content-Md5")
	}
	var in deleteRequest
	if err := readXMLChecked(q, 2<<20, &in); err != nil {
		return err
	}
	if len(in.Objects) == 0 || len(in.Objects) > maxDeleteObjects {
		return errMalformedXML()
	}
	ids := make([]ObjectID, len(in.Objects))
	for i, o := range in.Objects {
		ids[i] = ObjectID{Key: o.Key, VersionID: o.VersionID}
	}
	results, errs, err := a.store.DeleteObjects(q.bucket, ids)
	if err != nil {
		return err
	}
	out := deleteResult{XMLNS: s3Namespace}
	for i, e := range errs {
		o := in.Objects[i]
		if e != nil {
			se, ok := asS3Error(e)
			if !ok {
				a.logger.Error("delete object failed", "bucket", q.bucket, "key", o.Key, "err", e)
				se = s3Err("InternalError", "We encountered an internal error: %v. Please try again.", e)
			}
			out.Errors = append(out.Errors, deleteErrorXML{Key: o.Key, VersionID: o.VersionID, Code: se.Code, Message: se.Message})
			continue
		}
		if in.Quiet {
			continue
		}
		d := deletedXML{Key: o.Key, VersionID: o.VersionID, DeleteMarker: results[i].DeleteMarker}
		if o.VersionID == "" && results[i].DeleteMarker {
			d.DeleteMarkerVersionID = results[i].VersionID
		}
		out.Deleted = append(out.Deleted, d)
	}
	return writeXML(q.w, http.StatusOK, out)
}

// hasIntegrityHeader reports whether a request declares its body's MD5 or
// checksum, which S3 requires of DeleteObjects and some settings calls.
func hasIntegrityHeader(h http.Header) bool {
	if h.Get("Content-Md5") != "" || h.Get("X-Amz-Sdk-Checksum-Algorithm") != "" || h.Get("X-Amz-Trailer") != "" {
		return true
	}
	for _, alg := range checksumAlgorithms {
		if h.Get("X-Amz-Checksum-"+alg) != "" {
			return true
		}
	}
	return false
}
