package ui_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"path/filepath"
	"reflect"
	"slices"
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

	// A huge result: rows stop at about 4 MB, a value at 10,000 characters.
	resp, err := http.Post(d.url+"/api/query", "application/json",
		strings.NewReader(`{"sql": "SELECT repeat(chr(120), 5000000) AS x, 1 AS n FROM range(100)"}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var big struct {
		queryResult
		TooBig    bool `json:"too_big"`
		CutValues bool `json:"cut_values"`
	}
	if err := json.Unmarshal(body, &big); err != nil || resp.StatusCode != 200 {
		t.Fatalf("a huge result: %d %v", resp.StatusCode, err)
	}
	if len(body) > 5<<20 || len(big.Rows) != 100 || !big.CutValues || big.TooBig || big.Trunc {
		t.Errorf("a huge result: %d bytes, %d rows, cut %v, too big %v, truncated %v; want 100 rows of cut values in under 5 MB",
			len(body), len(big.Rows), big.CutValues, big.TooBig, big.Trunc)
	}
	if v := big.Rows[0][0].(string); len([]rune(v)) != ui.MaxValueChars+1 || !strings.HasSuffix(v, "…") {
		t.Errorf("a cut value: %d characters ending %q", len([]rune(v)), v[len(v)-5:])
	}
	code, res = postQuery(t, d.url, "application/json", `{"sql": "SELECT repeat(chr(120), 9000) AS x FROM range(2000)"}`)
	if code != 200 || !res.Trunc || len(res.Rows) >= 1000 || len(res.Rows) < 400 {
		t.Errorf("2000 rows of 9 kB: %d, %d rows, truncated %v; want about 4 MB of them", code, len(res.Rows), res.Trunc)
	}

	// SQL that writes is refused: the stored objects and the view stay.
	code, res = postQuery(t, d.url, "application/json", `{"sql": "SELECT count(*) AS n FROM stock_topic"}`)
	count := res.Rows
	objects := storedObjects(t, d)
	for _, q := range []string{
		"COPY (SELECT 'EVIL' AS symbol) TO '" + strings.Fields(objects[0])[0] + "' (FORMAT json)",
		"CREATE OR REPLACE VIEW stock_topic AS SELECT 42 AS n",
		"SELECT * FROM enable_logging()",
	} {
		b, _ := json.Marshal(map[string]string{"sql": q})
		code, res := postQuery(t, d.url, "application/json", string(b))
		if code != 400 || !strings.Contains(res.Error, "refused") || strings.Contains(res.Error, "\n") {
			t.Errorf("%s: %d %q, want 400 and one line that says it is refused", q, code, res.Error)
		}
	}
	if after := storedObjects(t, d); !reflect.DeepEqual(after, objects) {
		t.Errorf("objects changed by refused SQL: %d, then %d", len(objects), len(after))
	}
	if _, res := postQuery(t, d.url, "application/json", `{"sql": "SELECT count(*) AS n FROM stock_topic"}`); !reflect.DeepEqual(res.Rows, count) {
		t.Errorf("count %v, then %v", count, res.Rows)
	}

	// The endpoint takes POST only, and says so.
	resp, err = http.Get(d.url + "/api/query")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 405 || resp.Header.Get("Allow") != "POST" {
		t.Errorf("GET /api/query: %d, Allow %q; want 405, POST", resp.StatusCode, resp.Header.Get("Allow"))
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

// storedObjects is every JSON object file of the table in the stack's
// store, its path, size and time, sorted.
func storedObjects(t *testing.T, d *dashboard) []string {
	t.Helper()
	var files []string
	root := filepath.Join(d.dataDir, "s3")
	err := filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		fi, err := e.Info()
		if err != nil {
			return err
		}
		if strings.HasSuffix(p, ".json") && strings.Contains(p, "stock_topic") {
			files = append(files, fmt.Sprintf("%s %d %d", p, fi.Size(), fi.ModTime().UnixNano()))
		}
		return nil
	})
	if err != nil || len(files) == 0 {
		t.Fatalf("objects under %s: %v, %v", root, files, err)
	}
	slices.Sort(files)
	return files
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
	if len(st.Tables) != 1 || st.Tables[0].Name != "stock_topic" || st.Tables[0].Rows != 500 || st.Tables[0].Objects == nil || *st.Tables[0].Objects == 0 {
		t.Errorf("tables = %+v, want stock_topic with the 500 rows stored", st.Tables)
	}
}
