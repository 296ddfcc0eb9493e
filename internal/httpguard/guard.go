// Package httpguard keeps a local HTTP service to the processes and pages of
// this machine: a request must name a loopback host (so DNS rebinding cannot
// point a web page's domain at it), and a request from another origin is
// refused, unless the user named that host or origin.
package httpguard

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Options name what is allowed beyond this machine's own pages.
type Options struct {
	// AllowHosts are host names or addresses (no port) a request may name
	// besides localhost, *.localhost and loopback addresses: the name a
	// service is reached by when it listens on another interface.
	AllowHosts []string
	// CORSOrigins are origins (scheme://host[:port]) whose pages may call
	// the service; each gets CORS headers. None by default.
	CORSOrigins []string
}

// Wrap refuses, with 403 and a line that says which flag allows it:
//
//   - a request whose Host is not a loopback name or address, nor in
//     AllowHosts;
//   - a request whose Origin is neither the service's own nor in
//     CORSOrigins (whatever its method: a cross-origin page reads nothing);
//   - a cross-origin request that changes something (POST and the like),
//     as net/http's CrossOriginProtection tells it, from Sec-Fetch-Site
//     where Origin is not sent.
//
// An origin in CORSOrigins gets Access-Control-Allow-Origin, and its
// preflight requests are answered here.
func Wrap(h http.Handler, o Options) http.Handler {
	cop := http.NewCrossOriginProtection()
	for _, origin := range o.CORSOrigins {
		// Refused only if malformed; Validate said so before.
		_ = cop.AddTrustedOrigin(origin)
	}
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "cross-origin request refused: start the service with --cors ORIGIN to allow a page of ORIGIN", http.StatusForbidden)
	}))
	inner := cop.Handler(h)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !HostAllowed(r.Host, o.AllowHosts) {
			host, _ := splitHost(r.Host)
			http.Error(w, fmt.Sprintf("host %q is not served here: start the service with --allow-host %s to allow it", r.Host, host), http.StatusForbidden)
			return
		}
		if origin := r.Header.Get("Origin"); origin != "" && !sameOrigin(origin, r.Host) {
			if !slices.Contains(o.CORSOrigins, origin) {
				http.Error(w, fmt.Sprintf("cross-origin request from %s refused: start the service with --cors %s to allow it", origin, origin), http.StatusForbidden)
				return
			}
			w.Header().Set("Access-Control-Allow-Origin", origin)
			w.Header().Add("Vary", "Origin")
			if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
				w.Header().Set("Access-Control-Allow-Methods", "GET, POST")
				w.Header().Set("Access-Control-Allow-Headers", "Content-Type")
				w.Header().Set("Access-Control-Max-Age", "600")
				w.WriteHeader(http.StatusNoContent)
				return
			}
		}
		inner.ServeHTTP(w, r)
	})
}

// Validate checks the options as a user gave them.
func (o Options) Validate() error {
	for _, h := range o.AllowHosts {
		// A name is letters, digits, '-', '_' and dots: no wildcard, no port.
		if h == "" || net.ParseIP(h) == nil && strings.ContainsFunc(h, func(r rune) bool {
			return !(r == '-' || r == '.' || r == '_' || '0' <= r && r <= '9' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z')
		}) {
			return fmt.Errorf("--allow-host %q: want a host name or an IP address, without a port or wildcard", h)
		}
	}
	for _, origin := range o.CORSOrigins {
		u, err := url.Parse(origin)
		bad := err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" || u.RawQuery != ""
		if !bad && u.Port() != "" {
			n, err := strconv.Atoi(u.Port())
			bad = err != nil || n < 1 || n > 65535
		}
		if bad {
			return fmt.Errorf("--cors %q: want an origin like http://localhost:3000 (scheme, host, optional port 1-65535)", origin)
		}
	}
	return nil
}

// splitHost takes the port off a Host header.
func splitHost(hostport string) (string, bool) {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return strings.Trim(h, "[]"), true
	}
	return strings.Trim(hostport, "[]"), hostport != ""
}

// HostAllowed says whether a Host header names this machine (localhost,
// *.localhost, a loopback address) or one of allow: the check that keeps a
// rebound DNS name out. The emulator's port makes it too (emulate.Guard).
func HostAllowed(hostport string, allow []string) bool {
	host, ok := splitHost(hostport)
	if !ok {
		return false
	}
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if slices.ContainsFunc(allow, func(a string) bool { return strings.EqualFold(a, host) }) {
		return true
	}
	if ip := net.ParseIP(host); ip != nil {
		return ip.IsLoopback()
	}
	return host == "localhost" || strings.HasSuffix(host, ".localhost")
}

// sameOrigin says whether a page of origin is served by the host the
// request names: its own page.
func sameOrigin(origin, host string) bool {
	u, err := url.Parse(origin)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && strings.EqualFold(u.Host, host)
}
