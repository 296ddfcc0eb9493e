package emulate

import (
	"net/http"
	"strings"
)

// Services are the AWS JSON-protocol APIs served beside S3 on one port. A
// nil handler answers its service's requests with UnknownOperationException.
type Services struct {
	Glue   http.Handler // typically a *GlueService
	Athena http.Handler
}

// Router serves every emulated AWS service on one port, as LocalStack does,
// so that one endpoint URL (AWS_ENDPOINT_URL) serves every client. A request
// goes to:
//
//   - Glue if its X-Amz-Target is AWSGlue.<Operation>, Athena if it is
//     AmazonAthena.<Operation>; another target is answered
//     UnknownOperationException;
//   - without X-Amz-Target, the service its SigV4 credential scope names
//     (Authorization: AWS4-HMAC-SHA256 Credential=KEY/DATE/REGION/SERVICE/aws4_request)
//     if that is glue or athena, and an UnknownOperationException if it
//     names another service than s3;
//   - S3 otherwise (so unsigned and presigned requests are S3's).
//
// A Router is safe for concurrent use if its handlers are.
type Router struct {
	S3 http.Handler
	Services
	// Verify, if not nil, authenticates a request for a JSON service
	// ("glue", "athena") before it is served; its error is the answer.
	Verify func(r *http.Request, service string) error
}

// ServeHTTP routes r as the Router documentation says.
func (rt Router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var h http.Handler
	svc := "s3"
	if target := r.Header.Get("X-Amz-Target"); target != "" {
		prefix, _, _ := strings.Cut(target, ".")
		switch prefix {
		case "AWSGlue":
			svc, h = "glue", rt.Glue
		case "AmazonAthena":
			svc, h = "athena", rt.Athena
		default:
			writeAWSJSONError(w, errUnknownOperation("X-Amz-Target "+target+" is not an emulated service (Glue, Athena)"))
			return
		}
	} else {
		switch scope := sigV4Service(r.Header.Get("Authorization")); scope {
		case "", "s3":
			h = rt.S3
		case "glue":
			svc, h = scope, rt.Glue
		case "athena":
			svc, h = scope, rt.Athena
		default:
			writeAWSJSONError(w, errUnknownOperation("service "+scope+" is not emulated here (S3, Glue, Athena)"))
			return
		}
	}
	if h == nil {
		writeAWSJSONError(w, errUnknownOperation("the "+svc+" API is not served by this emulator"))
		return
	}
	if svc != "s3" && rt.Verify != nil {
		if err := rt.Verify(r, svc); err != nil {
			writeAWSJSONError(w, err)
			return
		}
	}
	h.ServeHTTP(w, r)
}

// sigV4Service is the service named in a SigV4 Authorization header's
// credential scope, or "" if there is none.
func sigV4Service(auth string) string {
	rest, ok := strings.CutPrefix(auth, "AWS4-HMAC-SHA256 ")
	if !ok {
		return ""
	}
	for part := range strings.SplitSeq(rest, ",") {
		cred, ok := strings.CutPrefix(strings.TrimSpace(part), "Credential=")
		if !ok {
			continue
		}
		// KEY/DATE/REGION/SERVICE/aws4_request; a key has no "/".
		f := strings.Split(cred, "/")
		if len(f) == 5 && f[4] == "aws4_request" {
			return f[3]
		}
		return ""
	}
	return ""
}

// SetServices makes the server answer the AWS JSON APIs in svc beside S3,
// routed as Router says, from now on. Injected faults (InjectFaults) apply
// to S3 requests only. The server does not close the services.
func (s *S3Server) SetServices(svc Services) {
	s.services.Store(&svc)
}
