package ui_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"pipeline/observe"
	"pipeline/ui"
)

// sseEvent is one server-sent event.
type sseEvent struct {
	name string
	data []byte
}

// events reads the dashboard's event stream until stop says enough.
func events(t *testing.T, url string, stop func(sseEvent) bool) {
	t.Helper()
	resp, err := http.Get(url + "/api/events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != 200 || ct != "text/event-stream" {
		t.Fatalf("GET /api/events: %d %s", resp.StatusCode, ct)
	}
	done := make(chan struct{})
	defer close(done)
	go func() { // a stream that stalls fails the test rather than hanging it
		select {
		case <-done:
		case <-time.After(60 * time.Second):
			resp.Body.Close()
		}
	}()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 16<<20)
	var ev sseEvent
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "event: "):
			ev.name = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			ev.data = []byte(strings.TrimPrefix(line, "data: "))
		case line == "" && ev.name != "":
			if stop(ev) {
				return
			}
			ev = sseEvent{}
		}
	}
	t.Fatalf("the event stream ended: %v", sc.Err())
}

// TestEventsStreamPrices: a page gets the price series so far, then new
// points of every symbol as ticks stream, and the topic's offsets.
func TestEventsStreamPrices(t *testing.T) {
	d := startDashboard(t, 2000, 400)
	points := map[string]int{}
	var first map[string]int
	var stats ui.Stats
	frames := 0
	events(t, d.url, func(ev sseEvent) bool {
		switch ev.name {
		case "prices", "ticks":
			var series map[string][][2]float64
			if err := json.Unmarshal(ev.data, &series); err != nil {
				t.Fatalf("%s: %v: %s", ev.name, err, ev.data)
			}
			for sym, ps := range series {
				for _, p := range ps {
					if p[0] < 1e12 || p[1] <= 0 {
						t.Fatalf("%s: point %v of %s is not [ms since 1970, price]", ev.name, p, sym)
					}
				}
				points[sym] += len(ps)
			}
			if ev.name == "ticks" {
				frames++
			}
			if first == nil && len(points) == 20 {
				first = map[string]int{}
				for s, n := range points {
					first[s] = n
				}
			}
		case "stats":
			if err := json.Unmarshal(ev.data, &stats); err != nil {
				t.Fatalf("stats: %v: %s", err, ev.data)
			}
		}
		// Enough when every symbol has grown by 3 points since all 20
		// were first seen, and the offsets have come.
		if first == nil || stats.Offsets == nil {
			return false
		}
		for s, n := range first {
			if points[s] < n+3 {
				return false
			}
		}
		return true
	})
	if len(points) != 20 || frames < 3 {
		t.Errorf("%d symbols in %d frames, want the 20 of the synthetic source", len(points), frames)
	}
	if stats.Offsets.Ends() < 2000 || len(stats.Offsets.Partitions) != 3 {
		t.Errorf("stats offsets %+v, want 3 partitions and at least the 2000 stored", stats.Offsets)
	}
}

type queryResult struct {
	Columns []struct{ Name, Type string } `json:"columns"`
	Rows    [][]any                       `json:"rows"`
	Trunc   bool                          `json:"truncated"`
	Error   string                        `json:"error"`
}

func postQuery(t *testing.T, url, contentType, body string) (int, queryResult) {
	t.Helper()
	resp, err := http.Post(url+"/api/query", contentType, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var res queryResult
	if err := json.NewDecoder(resp.Body).Decode(&res); err != nil {
		t.Fatalf("POST /api/query %s: %d, not JSON: %v", body, resp.StatusCode, err)
	}
	return resp.StatusCode, res
}

// TestQueryConsole: the console's endpoint answers SQL as `pipeline query`
// does, shows at most its first 1000 rows, and says what is wrong with a
// bad query in one line.
func TestQueryConsole(t *testing.T) {
	d := startDashboard(t, 2000, 50)
	code, res := postQuery(t, d.url, "application/json", `{"sql": "SELECT symbol, count(*) AS ticks FROM stock_topic GROUP BY symbol ORDER BY symbol"}`)
	if code != 200 || len(res.Rows) != 20 || res.Rows[0][0] != "AAPL" || len(res.Columns) != 2 || res.Columns[1].Type != "bigint" {
		t.Fatalf("GROUP BY symbol: %d %+v", code, res)
	}
	var total float64
	for _, r := range res.Rows {
		total += r[1].(float64)
	}
	if total != 2000 {
		t.Errorf("the ticks add up to %g, want 2000", total)
	}
	code, res = postQuery(t, d.url, "application/json", `{"sql": "SELECT * FROM stock_topic"}`)
	if code != 200 || len(res.Rows) != 1000 || !res.Trunc {
		t.Errorf("2000 rows: %d, %d rows shown, truncated %v; want the first 1000", code, len(res.Rows), res.Trunc)
	}
	code, res = postQuery(t, d.url, "application/json", `{"sql": "SELECT nope FROM stock_topic"}`)
	if code != 400 || !strings.Contains(res.Error, `"nope" not found`) || strings.Contains(res.Error, "\n") {
		t.Errorf("a bad column: %d %q, want 400 and one line naming it", code, res.Error)
	}
	for _, c := range []struct{ ct, body string }{
		{"application/json", `{"sql": "  "}`},
		{"application/json", `not json`},
		{"text/plain", `{"sql": "SELECT 1"}`},
	} {
		if code, res := postQuery(t, d.url, c.ct, c.body); code < 400 || code >= 500 || res.Error == "" {
			t.Errorf("%s %q: %d %q, want a 4xx that says what to send", c.ct, c.body, code, res.Error)
		}
	}
}

// TestDashboardServesThisMachineOnly: a foreign Host (DNS rebinding) and a
// page of another origin are refused; the page itself is served with a
// policy that loads nothing from elsewhere.
func TestDashboardServesThisMachineOnly(t *testing.T) {
	d := startDashboard(t, 100, 10)
	req, _ := http.NewRequest("GET", d.url+"/api/info", nil)
	req.Host = "rebound.example.com"
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 403 {
		t.Errorf("foreign Host: %v %v, want 403", resp.StatusCode, err)
	}
	req, _ = http.NewRequest("POST", d.url+"/api/query", bytes.NewReader([]byte(`{"sql":"SELECT 1"}`)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", "http://evil.example")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 403 || resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("cross-origin query: %v %v, want 403 with no CORS header", resp.StatusCode, err)
	}
	resp, err := http.Get(d.url + "/")
	if err != nil || resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "default-src 'self'") {
		t.Fatalf("GET /: %v %v, CSP %q", resp.StatusCode, err, resp.Header.Get("Content-Security-Policy"))
	}
	resp.Body.Close()
	for _, asset := range []string{"/app.js", "/uPlot.iife.min.js", "/uPlot.min.css", "/style.css"} {
		if resp, err := http.Get(d.url + asset); err != nil || resp.StatusCode != 200 {
			t.Errorf("GET %s: %v %v", asset, resp.StatusCode, err)
		}
	}
}

// TestStatusEndpoint: the catalog panel's data is `pipeline status`'s.
func TestStatusEndpoint(t *testing.T) {
	d := startDashboard(t, 500, 10)
	resp, err := http.Get(d.url + "/api/status")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st observe.Status
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET /api/status: %d %v", resp.StatusCode, err)
	}
	if len(st.Tables) != 1 || st.Tables[0].Name != "stock_topic" || st.Tables[0].Rows != 500 || st.Tables[0].Objects == 0 {
		t.Errorf("tables = %+v, want stock_topic with the 500 rows stored", st.Tables)
	}
}
