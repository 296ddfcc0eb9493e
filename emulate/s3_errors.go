package emulate

import (
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
)

// S3Error is an error the emulated S3 answers with: S3's error code, the
// HTTP status S3 gives it, and a message that says what was wrong. The
// store returns them too, for what a client did wrong; any other error is
// the emulator's own and answers 500 InternalError (or 503 for a full disk).
type S3Error struct {
	Code    string
	Message string
	// Resource elements of the error document (BucketName, Key, ...), in
	// order, as S3 adds them.
	Fields [][2]string
	// Header are response headers that go with the error
	// (x-amz-delete-marker, ...).
	Header map[string]string
}

func (e *S3Error) Error() string { return e.Code + ": " + e.Message }

// Status is the HTTP status S3 answers the code with.
func (e *S3Error) Status() int {
	if st, ok := s3ErrorStatus[e.Code]; ok {
		return st
	}
	return http.StatusBadRequest
}

// with returns e with a resource element added.
func (e *S3Error) with(name, value string) *S3Error {
	e.Fields = append(e.Fields, [2]string{name, value})
	return e
}

// s3ErrorStatus is the HTTP status of each error code the emulator answers,
// as S3's documentation (and its service model's table) gives it.
var s3ErrorStatus = map[string]int{
	"AccessDenied":                            http.StatusForbidden,
	"AccessForbidden":                         http.StatusForbidden,
	"InvalidPartNumber":                       http.StatusRequestedRangeNotSatisfiable,
	"MaxPostPreDataLengthExceededError":       http.StatusBadRequest,
	"MissingAuthenticationToken":              http.StatusForbidden,
	"AccessControlListNotSupported":           http.StatusBadRequest,
	"AuthorizationHeaderMalformed":            http.StatusBadRequest,
	"AuthorizationQueryParametersError":       http.StatusBadRequest,
	"BadDigest":                               http.StatusBadRequest,
	"BadRequest":                              http.StatusBadRequest,
	"BucketAlreadyExists":                     http.StatusConflict,
	"BucketAlreadyOwnedByYou":                 http.StatusConflict,
	"BucketNotEmpty":                          http.StatusConflict,
	"ConditionalRequestConflict":              http.StatusConflict,
	"EntityTooLarge":                          http.StatusBadRequest,
	"EntityTooSmall":                          http.StatusBadRequest,
	"IllegalVersioningConfigurationException": http.StatusBadRequest,
	"IncompleteBody":                          http.StatusBadRequest,
	"IncorrectNumberOfFilesInPostRequest":     http.StatusBadRequest,
	"InternalError":                           http.StatusInternalServerError,
	"InvalidAccessKeyId":                      http.StatusForbidden,
	"InvalidArgument":                         http.StatusBadRequest,
	"InvalidBucketAclWithObjectOwnership":     http.StatusBadRequest,
	"InvalidBucketName":                       http.StatusBadRequest,
	"InvalidBucketState":                      http.StatusConflict,
	"InvalidDigest":                           http.StatusBadRequest,
	"InvalidEncryptionAlgorithmError":         http.StatusBadRequest,
	"InvalidLocationConstraint":               http.StatusBadRequest,
	"InvalidObjectState":                      http.StatusForbidden,
	"InvalidPart":                             http.StatusBadRequest,
	"InvalidPartOrder":                        http.StatusBadRequest,
	"InvalidPolicyDocument":                   http.StatusBadRequest,
	"InvalidRange":                            http.StatusRequestedRangeNotSatisfiable,
	"InvalidRequest":                          http.StatusBadRequest,
	"InvalidStorageClass":                     http.StatusBadRequest,
	"InvalidTag":                              http.StatusBadRequest,
	"InvalidURI":                              http.StatusBadRequest,
	"KeyTooLongError":                         http.StatusBadRequest,
	"MalformedACLError":                       http.StatusBadRequest,
	"MalformedPOSTRequest":                    http.StatusBadRequest,
	"MalformedPolicy":                         http.StatusBadRequest,
	"MalformedXML":                            http.StatusBadRequest,
	"MaxMessageLengthExceeded":                http.StatusBadRequest,
	"MetadataTooLarge":                        http.StatusBadRequest,
	"MethodNotAllowed":                        http.StatusMethodNotAllowed,
	"MissingContentLength":                    http.StatusLengthRequired,
	"MissingRequestBodyError":                 http.StatusBadRequest,
	"MissingSecurityHeader":                   http.StatusBadRequest,
	"NoSuchBucket":                            http.StatusNotFound,
	"NoSuchBucketPolicy":                      http.StatusNotFound,
	"NoSuchCORSConfiguration":                 http.StatusNotFound,
	"NoSuchKey":                               http.StatusNotFound,
	"NoSuchLifecycleConfiguration":            http.StatusNotFound,
	"NoSuchPublicAccessBlockConfiguration":    http.StatusNotFound,
	"NoSuchTagSet":                            http.StatusNotFound,
	"NoSuchUpload":                            http.StatusNotFound,
	"NoSuchVersion":                           http.StatusNotFound,
	"NoSuchWebsiteConfiguration":              http.StatusNotFound,
	"NotImplemented":                          http.StatusNotImplemented,
	"OperationAborted":                        http.StatusConflict,
	"OwnershipControlsNotFoundError":          http.StatusNotFound,
	"PreconditionFailed":                      http.StatusPreconditionFailed,
	"RequestTimeTooSkewed":                    http.StatusForbidden,
	"RequestTimeout":                          http.StatusBadRequest,
	"ServiceUnavailable":                      http.StatusServiceUnavailable,
	"SignatureDoesNotMatch":                   http.StatusForbidden,
	"SlowDown":                                http.StatusServiceUnavailable,
	"UnexpectedContent":                       http.StatusBadRequest,
	"UnresolvableGrantByEmailAddress":         http.StatusBadRequest,
	"XAmzContentSHA256Mismatch":               http.StatusBadRequest,
}

// s3Err returns an S3Error with a formatted message.
func s3Err(code, format string, args ...any) *S3Error {
	return &S3Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

func errNoSuchBucket(bucket string) *S3Error {
	return s3Err("NoSuchBucket", "The specified bucket does not exist").with("BucketName", bucket)
}

func errNoSuchKey(key string) *S3Error {
	return s3Err("NoSuchKey", "The specified key does not exist.").with("Key", key)
}

func errNoSuchUpload(id string) *S3Error {
	return s3Err("NoSuchUpload", "The specified multipart upload does not exist. The upload ID might be invalid, or the multipart upload might have been aborted or completed.").with("UploadId", id)
}

func errInvalidArgument(name, value, format string, args ...any) *S3Error {
	return s3Err("InvalidArgument", format, args...).with("ArgumentName", name).with("ArgumentValue", value)
}

func errMalformedXML() *S3Error {
	return s3Err("MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema")
}

func errPreconditionFailed(condition string) *S3Error {
	return s3Err("PreconditionFailed", "At least one of the pre-conditions you specified did not hold").with("Condition", condition)
}

func errNotImplemented(what string) *S3Error {
	return s3Err("NotImplemented", "%s is not implemented by the local S3 emulator; nothing was changed", what)
}

// asS3Error returns err's S3Error, if it has one.
func asS3Error(err error) (*S3Error, bool) {
	var e *S3Error
	ok := errors.As(err, &e)
	return e, ok
}

// hasS3Code reports whether err is an S3Error with code.
func hasS3Code(err error, code string) bool {
	e, ok := asS3Error(err)
	return ok && e.Code == code
}

// s3ErrorDoc is S3's error document.
type s3ErrorDoc struct {
	XMLName   xml.Name `xml:"Error"`
	Code      string   `xml:"Code"`
	Message   string   `xml:"Message"`
	Fields    []xmlElement
	RequestID string `xml:"RequestId"`
	HostID    string `xml:"HostId"`
}

// xmlElement is one <Name>Value</Name>.
type xmlElement struct {
	XMLName xml.Name
	Value   string `xml:",chardata"`
}
