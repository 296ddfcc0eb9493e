package emulate

import (
	"encoding/xml"
	"io"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// modelErrorStatuses reads the table of S3 error codes and HTTP statuses in
// the documentation of botocore's S3 model.
func modelErrorStatuses(t *testing.T) map[string]int {
	t.Helper()
	readS3Model(t) // skips without the model
	b, err := os.ReadFile(botocoreS3Model)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	i := strings.Index(doc, "Amazon S3 error codes")
	if i < 0 {
		t.Fatal("the S3 model has no table of error codes")
	}
	row := regexp.MustCompile(`<i>Code:</i> ?([A-Za-z]+) ?</p>.*?<i>HTTP Status Code:</i> ?(\d{3})`)
	out := map[string]int{}
	for _, m := range row.FindAllStringSubmatch(doc[i:], -1) {
		if _, ok := out[m[1]]; !ok {
			out[m[1]], _ = strconv.Atoi(m[2])
		}
	}
	if len(out) < 50 {
		t.Fatalf("read %d codes from the model's table, want its ~80", len(out))
	}
	return out
}

// TestS3ErrorStatusesMatchAWSModel: every error code the emulator answers
// that AWS's model documents has the model's HTTP status, and the model's
// error shapes are codes the emulator knows.
func TestS3ErrorStatusesMatchAWSModel(t *testing.T) {
	model := modelErrorStatuses(t)
	checked := 0
	for code, status := range s3ErrorStatus {
		want, ok := model[code]
		if !ok {
			continue // documented elsewhere (NoSuchTagSet, AccessControlListNotSupported, ...)
		}
		checked++
		if status != want {
			t.Errorf("%s: the emulator answers %d, AWS's model says %d", code, status, want)
		}
	}
	if checked < 40 {
		t.Errorf("only %d of the emulator's codes are in the model's table", checked)
	}
	for name, shape := range readS3Model(t)["shapes"].(map[string]any) {
		if s, ok := shape.(map[string]any); ok && s["exception"] == true {
			if _, ok := s3ErrorStatus[name]; !ok && name != "ObjectAlreadyInActiveTierError" && name != "ObjectNotInActiveTierError" &&
				name != "EncryptionTypeMismatch" && name != "InvalidWriteOffset" && name != "TooManyParts" && name != "IdempotencyParameterMismatch" {
				t.Errorf("the model's error %s is not a code the emulator knows", name)
			}
		}
	}
}

// TestS3ErrorDocuments: errors are S3's XML documents, with a code, a
// message that says what was wrong (not "Unknown"), the request ID of the
// x-amz-request-id header, and the status the code has.
func TestS3ErrorDocuments(t *testing.T) {
	_, srv, _ := startS3(t, "")
	tests := []struct {
		name, method, path string
		hdr                map[string]string
		code               string
	}{
		{"missing key", http.MethodGet, "/bkt/nope", nil, "NoSuchKey"},
		{"missing bucket", http.MethodGet, "/nobucket/k", nil, "NoSuchBucket"},
		{"bad bucket name", http.MethodPut, "/Bad_Name", nil, "InvalidBucketName"},
		{"directory bucket's suffix", http.MethodPut, "/abc--x-s3", nil, "InvalidBucketName"},
		{"bad max-keys", http.MethodGet, "/bkt?max-keys=blah", nil, "InvalidArgument"},
		{"bad content-md5", http.MethodPut, "/bkt/k", map[string]string{"Content-Md5": "nope"}, "InvalidDigest"},
		{"unknown upload", http.MethodGet, "/bkt/k?uploadId=AAAAAAAAAAAAAAAAAAAAAAAA", nil, "NoSuchUpload"},
		{"method on service", http.MethodDelete, "/", nil, "MethodNotAllowed"},
		{"unimplemented subresource", http.MethodPut, "/bkt?lifecycle", nil, "NotImplemented"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := http.DefaultClient.Do(signedRequest(t, tt.method, srv.URL()+tt.path, []byte("x"), tt.hdr))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			var doc struct {
				XMLName   xml.Name `xml:"Error"`
				Code      string
				Message   string
				RequestID string `xml:"RequestId"`
			}
			if err := xml.Unmarshal(b, &doc); err != nil {
				t.Fatalf("not an S3 error document: %v\n%s", err, b)
			}
			if doc.Code != tt.code || resp.StatusCode != s3ErrorStatus[tt.code] {
				t.Errorf("%d %s, want %d %s", resp.StatusCode, doc.Code, s3ErrorStatus[tt.code], tt.code)
			}
			if len(doc.Message) < 10 || strings.Contains(doc.Message, "Unknown") {
				t.Errorf("message %q says nothing", doc.Message)
			}
			if id := resp.Header.Get("x-amz-request-id"); id == "" || doc.RequestID != id {
				t.Errorf("RequestId %q, header %q", doc.RequestID, id)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/xml" {
				t.Errorf("Content-Type %q", ct)
			}
		})
	}
}
