package main

import (
	"bufio"
	"encoding/json"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"pipeline/internal/browsertest"
	"pipeline/observe"
)

var dashboardRE = regexp.MustCompile(`dashboard: (http://\S+/)`)

// TestRunServesTheDashboard: `pipeline run --ui` serves the dashboard while
// it runs, with the run's own counters; in a browser (where Chromium is
// installed) its charts grow and a time-series query draws as lines. A
// Ctrl-C then ends the run as without --ui.
func TestRunServesTheDashboard(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	if _, errOut, code := pipelineCmd(t, "run", "--events", "2000", "--rate", "0", "--data-dir", dir, "--quiet"); code != 0 {
		t.Fatalf("first run exited %d: %s", code, errOut)
	}
	run := startPipeline(t, "run", "--data-dir", dir, "--rate", "300", "--duration", "3m", "--max-age", "300ms", "--ui", "127.0.0.1:0")
	var url string
	if !poll(60*time.Second, 10*time.Millisecond, func() bool {
		if m := dashboardRE.FindStringSubmatch(run.stderr.String()); m != nil {
			url = m[1]
		}
		return url != "" || run.exited()
	}) || url == "" {
		t.Fatalf("run --ui did not say where the dashboard is; stderr:\n%s", run.stderr.String())
	}

	// The stream carries the run's own counters: objects written, freshness.
	resp, err := http.Get(url + "api/events")
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 16<<20)
	var counters *observe.Counters
	deadline := time.Now().Add(60 * time.Second)
	for sc.Scan() && time.Now().Before(deadline) {
		data, ok := strings.CutPrefix(sc.Text(), "data: ")
		if !ok || !strings.Contains(data, `"counters"`) {
			continue
		}
		var st struct{ Counters *observe.Counters }
		if err := json.Unmarshal([]byte(data), &st); err != nil {
			t.Fatal(err)
		}
		if counters = st.Counters; counters != nil && counters.Objects > 0 && counters.Freshness > 0 {
			break
		}
	}
	resp.Body.Close()
	if counters == nil || !counters.HasProducer || !counters.HasSink || counters.Objects == 0 || counters.Produced == 0 || counters.Freshness <= 0 {
		t.Fatalf("the run's counters on the dashboard: %+v, want objects written, events produced and a freshness", counters)
	}

	t.Run("browser", func(t *testing.T) {
		browsertest.Need(t)
		p := browsertest.Open(t, url, 1280, 1000)
		p.Wait("charts", `document.querySelectorAll('.chart canvas').length === 20`)
		p.Wait("objects written", `+document.querySelector('[data-name="objects"] .v')?.textContent.replace(/,/g, '') > 0`)
		p.Wait("a freshness", `/^[0-9.]+ s$/.test(document.querySelector('[data-name="freshness"] .v')?.textContent)`)
		p.Wait("the catalog's table", `document.querySelector('[data-table="stock_topic"]') !== null`)
		p.Wait("ten seconds of points in a chart", `+document.querySelector('.chart[data-symbol="AAPL"]').dataset.points >= 40`)
		p.ScreenshotView("run-dashboard.png")
		p.Type("#sql", "SELECT date_trunc('second', ts) AS second, count(*) AS ticks FROM stock_topic GROUP BY 1 ORDER BY 1")
		p.Click("#run")
		p.Wait("a line chart of ticks per second", `document.querySelector('#query-chart[data-kind="line"] canvas') !== null && document.querySelectorAll('#query-result tbody tr').length > 1`)
		p.Screenshot("run-query.png")
	})

	run.signal(syscall.SIGINT)
	if code := run.wait(90 * time.Second); code != 0 {
		t.Fatalf("run --ui exited %d on Ctrl-C; stderr:\n%s", code, run.stderr.String())
	}
	if out := run.stdout.String(); !strings.Contains(out, "events produced:") || strings.Contains(out, "still at") {
		t.Errorf("an interrupted run --ui prints its summary and ends; stdout:\n%s", out)
	}
}
