package httpguard

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestWrap(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("served")) })
	cases := []struct {
		name     string
		opts     Options
		method   string
		host     string
		header   map[string]string
		code     int
		says     string // in the body
		acao     string // Access-Control-Allow-Origin
		reachesH bool
	}{
		{name: "loopback address", host: "127.0.0.1:8080", code: 200, reachesH: true},
		{name: "another loopback address", host: "127.0.0.2:8080", code: 200, reachesH: true},
		{name: "localhost", host: "localhost:8080", code: 200, reachesH: true},
		{name: "a .localhost name", host: "dash.localhost:8080", code: 200, reachesH: true},
		{name: "IPv6 loopback", host: "[::1]:8080", code: 200, reachesH: true},
		{name: "DNS rebinding: a foreign name", host: "evil.example:8080", code: 403, says: "--allow-host evil.example"},
		{name: "a LAN address", host: "10.0.0.5:8080", code: 403, says: "--allow-host 10.0.0.5"},
		{name: "a name looking like localhost", host: "localhost.evil.example", code: 403},
		{name: "no Host", host: "", code: 403},
		{name: "an allowed host", opts: Options{AllowHosts: []string{"Dash.Internal"}}, host: "dash.internal:8080", code: 200, reachesH: true},
		{name: "its own page posts", method: "POST", host: "127.0.0.1:8080",
			header: map[string]string{"Origin": "http://127.0.0.1:8080", "Sec-Fetch-Site": "same-origin"}, code: 200, reachesH: true},
		{name: "another page reads", host: "127.0.0.1:8080", header: map[string]string{"Origin": "http://evil.example"},
			code: 403, says: "--cors http://evil.example"},
		{name: "another page posts", method: "POST", host: "127.0.0.1:8080",
			header: map[string]string{"Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site"}, code: 403},
		{name: "another port is another origin", method: "POST", host: "127.0.0.1:8080",
			header: map[string]string{"Origin": "http://127.0.0.1:3000"}, code: 403},
		{name: "a sandboxed page", method: "POST", host: "127.0.0.1:8080", header: map[string]string{"Origin": "null"}, code: 403},
		{name: "a cross-site form post without Origin", method: "POST", host: "127.0.0.1:8080",
			header: map[string]string{"Sec-Fetch-Site": "cross-site"}, code: 403},
		{name: "an allowed origin", opts: Options{CORSOrigins: []string{"http://localhost:3000"}}, method: "POST", host: "127.0.0.1:8080",
			header: map[string]string{"Origin": "http://localhost:3000", "Sec-Fetch-Site": "same-site"}, code: 200, acao: "http://localhost:3000", reachesH: true},
		{name: "an allowed origin's preflight", opts: Options{CORSOrigins: []string{"http://localhost:3000"}}, method: "OPTIONS", host: "127.0.0.1:8080",
			header: map[string]string{"Origin": "http://localhost:3000", "Access-Control-Request-Method": "POST"}, code: 204, acao: "http://localhost:3000"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			method := c.method
			if method == "" {
				method = "GET"
			}
			r := httptest.NewRequest(method, "/api/query", nil)
			r.Host = c.host
			for k, v := range c.header {
				r.Header.Set(k, v)
			}
			w := httptest.NewRecorder()
			Wrap(ok, c.opts).ServeHTTP(w, r)
			body := w.Body.String()
			if w.Code != c.code || !strings.Contains(body, c.says) || (body == "served") != c.reachesH {
				t.Errorf("%s %s: %d %q, want %d saying %q (handler reached: %v)", method, c.host, w.Code, body, c.code, c.says, c.reachesH)
			}
			if got := w.Header().Get("Access-Control-Allow-Origin"); got != c.acao {
				t.Errorf("Access-Control-Allow-Origin %q, want %q", got, c.acao)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	for _, o := range []Options{
		{AllowHosts: []string{"dash.internal", "10.0.0.5", "::1"}},
		{CORSOrigins: []string{"http://localhost:3000", "https://grafana.example"}},
	} {
		if err := o.Validate(); err != nil {
			t.Errorf("%+v: %v", o, err)
		}
	}
	for _, o := range []Options{
		{AllowHosts: []string{"dash.internal:8080"}},
		{AllowHosts: []string{""}},
		{CORSOrigins: []string{"localhost:3000"}},
		{CORSOrigins: []string{"http://localhost:3000/path"}},
		{CORSOrigins: []string{"*"}},
		{AllowHosts: []string{"*"}},
		{AllowHosts: []string{"*.example.com"}},
		{CORSOrigins: []string{"http://a.com:99999"}},
		{CORSOrigins: []string{"http://a.com:0"}},
	} {
		if err := o.Validate(); err == nil {
			t.Errorf("%+v: accepted", o)
		}
	}
}
