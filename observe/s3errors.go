package observe

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"pipeline/internal/oneline"
)

// s3Problem says in one line why S3 failed a call about bucket ("" for
// none) and what to do, in place of the SDK's error, which names the
// operation, its attempts and request ids (and says "https" of an http
// endpoint). timeout is the call's bound. Nothing secret is in it: the
// endpoint is named by its host.
func s3Problem(s3c *s3.Client, bucket string, timeout time.Duration, err error) error {
	where := "S3"
	if ep := aws.ToString(s3c.Options().BaseEndpoint); ep != "" {
		if u, perr := url.Parse(ep); perr == nil && u.Host != "" {
			where = "S3 at " + u.Host
		}
	}
	var (
		ae   smithy.APIError
		re   *awshttp.ResponseError
		dns  *net.DNSError
		op   *net.OpError
		cert *x509.UnknownAuthorityError
		host x509.HostnameError
		tlsr *tls.RecordHeaderError
	)
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("%s did not answer in %s: is it up, not stopped?", where, timeout)
	case errors.Is(err, context.Canceled):
		return err
	case errors.As(err, &ae):
		return apiProblem(where, bucket, ae)
	case errors.As(err, &re) && re.HTTPStatusCode() != 0:
		return fmt.Errorf("%s answered HTTP %d: is the endpoint an S3 service?", where, re.HTTPStatusCode())
	case errors.As(err, &dns):
		return fmt.Errorf("%s: no such host %s: check the endpoint's name", where, dns.Name)
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Errorf("%s refuses connections: is it running, on that port?", where)
	case errors.As(err, &cert), errors.As(err, &host), errors.As(err, &tlsr):
		return fmt.Errorf("%s: TLS failed (%s): check the endpoint's scheme and certificate", where, oneline.Fold(innermost(err).Error()))
	case errors.As(err, &op):
		return fmt.Errorf("%s cannot be reached (%s): check the endpoint and the network", where, oneline.Fold(innermost(err).Error()))
	}
	return fmt.Errorf("%s: %s", where, oneline.Fold(innermost(err).Error()))
}

// apiProblem is s3Problem of an error S3 answered with.
func apiProblem(where, bucket string, ae smithy.APIError) error {
	of := ""
	if bucket != "" {
		of = fmt.Sprintf(" bucket %q", bucket)
	}
	switch ae.ErrorCode() {
	case "NoSuchBucket", "NotFound":
		return fmt.Errorf("%s has no%s: create it (pipeline setup) or pass the --bucket the sink writes to", where, of)
	case "AccessDenied", "Forbidden", "AllAccessDisabled":
		return fmt.Errorf("%s: access to%s denied (%s): check the credentials and that their IAM policy allows it", where, of, ae.ErrorCode())
	case "InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken", "InvalidToken":
		return fmt.Errorf("%s refuses the credentials (%s): check the access key, or the instance role", where, ae.ErrorCode())
	}
	return fmt.Errorf("%s answered %s: %s", where, ae.ErrorCode(), oneline.Fold(ae.ErrorMessage()))
}

// innermost is the last error err wraps: the cause, without the layers
// that name the operation.
func innermost(err error) error {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err
		}
		err = next
	}
}
