package ui_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The browser test drives the dashboard in headless Chromium (Debian's
// chromium, or CHROME=/path/to/chrome). Without one it is skipped, unless
// PIPELINE_UI_TEST=require (make ui-test) says a skip is a failure.
// Screenshots go to PIPELINE_UI_ARTIFACTS (make ui-test: artifacts/ui), or
// to the test's temporary directory.

func browser(t *testing.T) string {
	t.Helper()
	candidates := []string{os.Getenv("CHROME"), "chromium", "chromium-browser", "google-chrome", "google-chrome-stable"}
	for _, c := range candidates {
		if c == "" {
			continue
		}
		if p, err := exec.LookPath(c); err == nil {
			return p
		}
	}
	if os.Getenv("PIPELINE_UI_TEST") == "require" {
		t.Fatal("no Chromium found (chromium, chromium-browser, google-chrome or $CHROME): apt-get install -y chromium")
	}
	t.Skip("no Chromium found: the dashboard is not tested in a browser (apt-get install -y chromium; make ui-test runs it)")
	return ""
}

func artifacts(t *testing.T) string {
	dir := os.Getenv("PIPELINE_UI_ARTIFACTS")
	if dir == "" {
		return t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestDashboardInABrowser opens the dashboard in headless Chromium while
// ticks stream: the price charts grow, a query typed into the console shows
// its rows (and a chart), and a bad query shows its error.
func TestDashboardInABrowser(t *testing.T) {
	chrome := browser(t)
	shots := artifacts(t)
	d := startDashboard(t, 3000, 400)

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chrome),
		chromedp.NoSandbox,
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 1500),
	)...)
	defer cancelAlloc()
	bctx, closeBrowser := chromedp.NewContext(actx)
	defer closeBrowser()

	screenshot := func(name string) {
		t.Helper()
		png, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Errorf("screenshot %s: %v", name, err)
			return
		}
		if err := os.WriteFile(filepath.Join(shots, name), png, 0o644); err != nil {
			t.Error(err)
		}
	}
	wait := func(what, js string) {
		t.Helper()
		if _, err := chromedp.Run(bctx, chromedp.Poll[bool](js, chromedp.WithPollingTimeout(60*time.Second),
			chromedp.WithPollingInterval(50*time.Millisecond))); err != nil {
			screenshot("failed.png")
			t.Fatalf("waiting for %s (%s): %v; screenshot in %s", what, js, err, shots)
		}
	}
	points := func() map[string]int {
		t.Helper()
		m, err := chromedp.Run(bctx, chromedp.Evaluate[map[string]int](
			`Object.fromEntries([...document.querySelectorAll('.chart')].map(c => [c.dataset.symbol, +c.dataset.points]))`))
		if err != nil {
			t.Fatal(err)
		}
		return m
	}

	// typeQuery types sql over what the console holds, as a user does
	// (select all, type), and presses Run.
	typeQuery := func(sql string) {
		t.Helper()
		if _, err := chromedp.Run(bctx, chromedp.Evaluate[bool](`(() => { const e = document.getElementById('sql'); e.focus(); e.select(); return true })()`)); err != nil {
			t.Fatal(err)
		}
		if err := chromedp.Do(bctx, chromedp.SendKeys(chromedp.CSS("#sql"), sql), chromedp.Click(chromedp.CSS("#run"))); err != nil {
			t.Fatal(err)
		}
		if got, err := chromedp.Run(bctx, chromedp.Value(chromedp.CSS("#sql"))); err != nil || got != sql {
			t.Fatalf("the console holds %q (%v), want %q", got, err, sql)
		}
	}

	if err := chromedp.Do(bctx, chromedp.Navigate(d.url+"/")); err != nil {
		t.Fatal(err)
	}
	// Prices: a chart per symbol, drawn by uPlot, growing while ticks stream.
	wait("a chart for each of the 20 symbols", `document.querySelectorAll('.chart canvas').length === 20`)
	wait("points in every chart", `[...document.querySelectorAll('.chart')].every(c => +c.dataset.points > 0)`)
	before := points()
	was, _ := json.Marshal(before) // symbols and counts: no quote to escape in JavaScript
	wait("every chart to grow by 4 points",
		`[...document.querySelectorAll('.chart')].every(c => +c.dataset.points >= (`+string(was)+`)[c.dataset.symbol] + 4)`)
	wait("the counters", `document.querySelector('[data-name="in-topic"] .v')?.textContent.replace(/,/g, '') >= 3000`)
	wait("the catalog's table", `document.querySelector('[data-table="stock_topic"]') !== null`)
	after := points()
	for sym, n := range before {
		if after[sym] < n+4 {
			t.Errorf("chart of %s: %d points, then %d", sym, n, after[sym])
		}
	}
	screenshot("dashboard.png")

	// A query typed into the console: its rows, and a bar chart of them.
	typeQuery("SELECT symbol, count(*) AS ticks FROM stock_topic GROUP BY symbol ORDER BY symbol")
	wait("the query's 20 rows", `document.querySelectorAll('#query-result tbody tr').length === 20`)
	cells, err := chromedp.Run(bctx, chromedp.Evaluate[[]string](
		`[...document.querySelectorAll('#query-result tbody tr')].map(r => r.cells[0].textContent + '=' + r.cells[1].textContent)`))
	if err != nil {
		t.Fatal(err)
	}
	var total int
	for _, c := range cells {
		_, n, _ := strings.Cut(c, "=")
		v, _ := strconv.Atoi(strings.ReplaceAll(n, ",", ""))
		total += v
	}
	if !strings.HasPrefix(cells[0], "AAPL=") || total != 3000 {
		t.Errorf("rows %v: want AAPL first and 3000 ticks in all", cells)
	}
	wait("a bar chart of the result", `document.querySelector('#query-chart[data-kind="bar"] canvas') !== null`)
	wait("the error box hidden", `document.getElementById('query-error').hidden`)
	screenshot("query.png")

	// A bad query: its error, and no stale rows.
	typeQuery("SELECT nope FROM stock_topic")
	wait("the error", `!document.getElementById('query-error').hidden && document.getElementById('query-error').textContent.includes('"nope" not found')`)
	wait("no rows left", `document.querySelectorAll('#query-result tr').length === 0 && document.querySelector('#query-chart canvas') === null`)
	screenshot("query-error.png")
	t.Logf("screenshots in %s", shots)
}
