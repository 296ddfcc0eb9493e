package ui_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"pipeline/catalog"
	"pipeline/sqlq/duckdb"
	"pipeline/ui"
)

// startConsole serves a dashboard with only its SQL console, over an empty
// catalog, its engine opened as `pipeline ui` opens it.
func startConsole(t *testing.T, opts ui.Options) string {
	t.Helper()
	fc, err := catalog.OpenFileCatalog(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	eng, err := duckdb.Open(t.Context(), catalog.New(fc), &duckdb.Options{MaxValueChars: ui.MaxValueChars,
		LocalDir: func(string, string) (string, error) { return "", errors.New("no tables here") }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	opts.Engine = eng
	srv := httptest.NewServer(ui.Handler(opts))
	t.Cleanup(srv.Close)
	return srv.URL
}

// ask posts sql to the console, giving up after a while (a console that
// hangs fails the test rather than hanging it), and returns the status
// code and the answer.
func ask(ctx context.Context, t *testing.T, url, sql string) (int, queryAnswer, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	body, _ := json.Marshal(map[string]string{"sql": sql})
	req, _ := http.NewRequestWithContext(ctx, "POST", url+"/api/query", strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, queryAnswer{}, err
	}
	defer resp.Body.Close()
	var a queryAnswer
	if err := json.NewDecoder(resp.Body).Decode(&a); err != nil {
		return resp.StatusCode, a, err
	}
	return resp.StatusCode, a, nil
}

type queryAnswer struct {
	queryResult
	TooBig    bool `json:"too_big"`
	CutValues bool `json:"cut_values"`
}

// waitFor asks sql until the answer's code is want.
func waitFor(t *testing.T, url, sql string, want int, why string) queryAnswer {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		code, a, err := ask(t.Context(), t, url, sql)
		if err == nil && code == want {
			return a
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %s answered %d %+v %v; want %d", why, sql, code, a, err, want)
		}
	}
}

const slowQuery = "SELECT count(*) FROM range(10000000000000) a"

// TestConsoleSlots: two slow queries take the console's two slots; a third
// is told at once to try again, and a query whose page went away (or that
// ran out of time) frees its slot, so the console answers again.
func TestConsoleSlots(t *testing.T) {
	url := startConsole(t, ui.Options{QueryTimeout: time.Hour})
	// Each holder runs the slow query until its context ends, asking
	// again if it found no slot (the test's own queries take one a moment).
	var cancels []context.CancelFunc
	done := make(chan struct{}, 2)
	for range 2 {
		ctx, cancel := context.WithCancel(t.Context())
		cancels = append(cancels, cancel)
		go func() {
			defer func() { done <- struct{}{} }()
			for ctx.Err() == nil {
				body := strings.NewReader(`{"sql": "` + slowQuery + `"}`)
				req, _ := http.NewRequestWithContext(ctx, "POST", url+"/api/query", body)
				req.Header.Set("Content-Type", "application/json")
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					return
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusServiceUnavailable {
					return
				}
			}
		}()
	}
	t.Cleanup(func() {
		for _, c := range cancels {
			c()
		}
	})

	busy := waitFor(t, url, "SELECT 1", http.StatusServiceUnavailable, "both slots taken")
	if !strings.Contains(busy.Error, "2 queries are already running") || !strings.Contains(busy.Error, "try again") {
		t.Errorf("the busy answer: %q", busy.Error)
	}
	cancels[0]() // the page goes away: its query is interrupted
	<-done
	if a := waitFor(t, url, "SELECT 1 AS one", http.StatusOK, "a slot freed"); len(a.Rows) != 1 || a.Rows[0][0] != 1.0 {
		t.Errorf("SELECT 1: %+v", a)
	}
	cancels[1]()
	<-done
}

// TestConsoleQueryTimeout: a query that runs past the console's time limit
// is stopped with an answer that says so, and its slot is free again.
func TestConsoleQueryTimeout(t *testing.T) {
	url := startConsole(t, ui.Options{QueryTimeout: 300 * time.Millisecond})
	for range 3 { // more than the slots: each one's slot is freed
		code, a, err := ask(t.Context(), t, url, slowQuery)
		if err != nil || code != http.StatusGatewayTimeout || !strings.Contains(a.Error, "ran longer than the console's 300ms") {
			t.Fatalf("a slow query: %d %q %v; want 504 saying it ran too long", code, a.Error, err)
		}
	}
	if code, a, err := ask(t.Context(), t, url, "SELECT 1 AS one"); err != nil || code != http.StatusOK || len(a.Rows) != 1 {
		t.Errorf("SELECT 1 after: %d %+v %v", code, a, err)
	}
}

// TestConsoleNestedValues: a nested value or a blob is cut at 10,000
// characters like a text, the answer says values were cut, and rows of
// them stop at the result's byte bound.
func TestConsoleNestedValues(t *testing.T) {
	url := startConsole(t, ui.Options{QueryTimeout: time.Minute})
	code, a, err := ask(t.Context(), t, url, `SELECT range(200000) AS l, {'a': repeat('é', 20000)} AS s, repeat('x', 20000)::blob AS b, [1, 2] AS small`)
	if err != nil || code != 200 || len(a.Rows) != 1 || !a.CutValues {
		t.Fatalf("nested values: %d %v, %d rows, cut %v", code, err, len(a.Rows), a.CutValues)
	}
	for i, prefix := range []string{"[0, 1, 2, ", "{a=éé", "xxx"} {
		v, _ := a.Rows[0][i].(string)
		if utf8.RuneCountInString(v) != ui.MaxValueChars+1 || !strings.HasPrefix(v, prefix) || !strings.HasSuffix(v, "…") {
			t.Errorf("column %s: %d characters %.20q…, want %d ending in …", a.Columns[i].Name, utf8.RuneCountInString(v), v, ui.MaxValueChars+1)
		}
	}
	if a.Rows[0][3] != "[1, 2]" {
		t.Errorf("a small list: %q", a.Rows[0][3])
	}
	// 2,000 rows of lists of 3,000 numbers (16,890 characters each): about
	// 4 MB of them shown.
	code, a, err = ask(t.Context(), t, url, `SELECT range(3000) AS l FROM range(2000)`)
	if err != nil || code != 200 || !a.Trunc || !a.TooBig || len(a.Rows) < 300 || len(a.Rows) > 500 {
		t.Errorf("rows of long lists: %d %v, %d rows, truncated %v, too big %v; want about 4 MB of rows of 10,001 characters", code, err, len(a.Rows), a.Trunc, a.TooBig)
	}
}
