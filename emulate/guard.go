package emulate

import (
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"

	"pipeline/internal/httpguard"
)

// Guard keeps the emulator's port (S3, Glue and Athena alike) for this
// machine's processes and the browser origins it was told to trust:
//
//   - A request whose Host is not a loopback name or address (localhost,
//     *.localhost, 127.0.0.0/8, ::1) or one of the allowed hosts is
//     refused: a web page that rebinds its own DNS name to 127.0.0.1
//     reaches the port under that name, and is turned away.
//   - A request from a browser (an Origin header, or a Sec-Fetch-Site other
//     than same-origin or none) is refused unless its origin is allowed:
//     a page cannot make the user's browser write to, delete from or read
//     the emulator. No CORS header is ever sent to an origin that is not
//     allowed.
//   - An allowed origin gets CORS headers: S3 answers by the bucket's CORS
//     configuration when it has one, as S3 does; otherwise, and for Glue
//     and Athena, the origin may use any method and header.
//
// A Guard is safe for concurrent use.
type Guard struct {
	hosts   []string // lower case, without a trailing dot
	origins []string // "*" allows any
}

// NewGuard returns a Guard that also admits the given host names and
// origins ("*" for any origin). An origin must be scheme://host[:port].
func NewGuard(allowHosts, corsOrigins []string) (*Guard, error) {
	g := &Guard{}
	for _, h := range allowHosts {
		h = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(h)), ".")
		if h == "" || strings.ContainsAny(h, "/: ") && net.ParseIP(h) == nil {
			return nil, fmt.Errorf("allowed host %q: want a host name or address, without scheme or port", h)
		}
		g.hosts = append(g.hosts, h)
	}
	for _, o := range corsOrigins {
		o = strings.TrimSuffix(strings.TrimSpace(o), "/")
		if o != "*" && !(strings.HasPrefix(o, "http://") || strings.HasPrefix(o, "https://")) {
			return nil, fmt.Errorf("CORS origin %q: want scheme://host[:port], like http://localhost:3000, or *", o)
		}
		g.origins = append(g.origins, o)
	}
	return g, nil
}

// hostOnly strips the port from a Host header.
func hostOnly(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return hostport
}

// hostAllowed reports whether the port answers requests for Host h.
func (g *Guard) hostAllowed(h string) bool {
	return httpguard.HostAllowed(h, g.hosts)
}

// OriginAllowed reports whether a browser origin may call the port.
func (g *Guard) OriginAllowed(origin string) bool {
	return slices.Contains(g.origins, "*") || slices.Contains(g.origins, origin)
}

// fromBrowser reports whether r comes from a web page, and its origin.
func fromBrowser(r *http.Request) (string, bool) {
	if o := r.Header.Get("Origin"); o != "" {
		return o, true
	}
	switch r.Header.Get("Sec-Fetch-Site") {
	case "", "same-origin", "none":
		return "", false
	}
	return "", true
}

// Admit answers r with 403 and returns false if the Guard refuses it;
// otherwise it sets the default CORS headers for an allowed origin and
// returns true.
func (g *Guard) Admit(w http.ResponseWriter, r *http.Request) bool {
	if !g.hostAllowed(r.Host) {
		h := hostOnly(r.Host)
		refuse(w, r, fmt.Sprintf("the emulator answers only this machine's processes, and Host %q is not a loopback name or address: "+
			"start it with --allow-host %s to answer it", h, h))
		return false
	}
	origin, browser := fromBrowser(r)
	if !browser {
		return true
	}
	if origin == "" || !g.OriginAllowed(origin) {
		what := "a web page"
		if origin != "" {
			what = origin
		}
		refuse(w, r, fmt.Sprintf("cross-origin request from %s refused: the emulator answers no web page unless started with --cors ORIGIN", what))
		return false
	}
	if r.Method != http.MethodOptions {
		setPermissiveCORS(w.Header(), origin)
	}
	return true
}

// setPermissiveCORS sets the headers of an actual (not preflight) request
// from an allowed origin that no bucket rule decides.
func setPermissiveCORS(h http.Header, origin string) {
	h.Set("Access-Control-Allow-Origin", origin)
	h.Set("Access-Control-Expose-Headers", "ETag, x-amz-request-id, x-amz-version-id, x-amz-delete-marker, x-amz-checksum-crc32, x-amz-checksum-crc32c, x-amz-checksum-sha1, x-amz-checksum-sha256")
	h.Add("Vary", "Origin")
}

// preflightPermissive answers a preflight from an allowed origin that no
// bucket rule decides: any method and headers.
func preflightPermissive(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", r.Header.Get("Origin"))
	h.Set("Access-Control-Allow-Methods", "GET, PUT, POST, DELETE, HEAD")
	if req := r.Header.Get("Access-Control-Request-Headers"); req != "" {
		h.Set("Access-Control-Allow-Headers", req)
	}
	h.Set("Access-Control-Max-Age", "3000")
	h.Add("Vary", "Origin, Access-Control-Request-Headers, Access-Control-Request-Method")
	w.WriteHeader(http.StatusOK)
}

// refuse answers 403 in the protocol of the API r is for.
func refuse(w http.ResponseWriter, r *http.Request, msg string) {
	if r.Header.Get("X-Amz-Target") != "" {
		writeAWSJSONError(w, &awsJSONError{Status: http.StatusForbidden, Type: "AccessDeniedException", Message: msg})
		return
	}
	writeS3Error(w, r, "", s3Err("AccessDenied", "%s", msg))
}
