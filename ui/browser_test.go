package ui_test

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"

	"pipeline/internal/browsertest"
)

// TestDashboardInABrowser opens the dashboard in headless Chromium while
// ticks stream: the price charts grow, a query typed into the console shows
// its rows and a chart of them, and a bad query shows its error.
func TestDashboardInABrowser(t *testing.T) {
	browsertest.Need(t)
	d := startDashboard(t, 3000, 400)
	p := browsertest.Open(t, d.url+"/", 1280, 1500)

	// Prices: a chart per symbol, drawn by uPlot, growing while ticks stream.
	p.Wait("a chart for each of the 20 symbols", `document.querySelectorAll('.chart canvas').length === 20`)
	p.Wait("points in every chart", `[...document.querySelectorAll('.chart')].every(c => +c.dataset.points > 0)`)
	points := `Object.fromEntries([...document.querySelectorAll('.chart')].map(c => [c.dataset.symbol, +c.dataset.points]))`
	before := browsertest.Eval[map[string]int](p, points)
	was, _ := json.Marshal(before) // symbols and counts
	p.Wait("every chart to grow by 4 points",
		`[...document.querySelectorAll('.chart')].every(c => +c.dataset.points >= (`+string(was)+`)[c.dataset.symbol] + 4)`)
	after := browsertest.Eval[map[string]int](p, points)
	for sym, n := range before {
		if after[sym] < n+4 {
			t.Errorf("chart of %s: %d points, then %d", sym, n, after[sym])
		}
	}
	p.Wait("the counters", `document.querySelector('[data-name="in-topic"] .v')?.textContent.replace(/,/g, '') >= 3000`)
	p.Wait("the catalog's table", `document.querySelector('[data-table="stock_topic"]') !== null`)
	p.Screenshot("dashboard.png")

	// A query typed into the console: its rows, and a bar chart of them.
	p.Type("#sql", "SELECT symbol, count(*) AS ticks FROM stock_topic GROUP BY symbol ORDER BY symbol")
	p.Click("#run")
	p.Wait("the query's 20 rows", `document.querySelectorAll('#query-result tbody tr').length === 20`)
	cells := browsertest.Eval[[]string](p,
		`[...document.querySelectorAll('#query-result tbody tr')].map(r => r.cells[0].textContent + '=' + r.cells[1].textContent)`)
	var total int
	for _, c := range cells {
		_, n, _ := strings.Cut(c, "=")
		v, _ := strconv.Atoi(strings.ReplaceAll(n, ",", ""))
		total += v
	}
	if !strings.HasPrefix(cells[0], "AAPL=") || total != 3000 {
		t.Errorf("rows %v: want AAPL first and 3000 ticks in all", cells)
	}
	p.Wait("a bar chart of the result", `document.querySelector('#query-chart[data-kind="bar"] canvas') !== null`)
	p.Wait("no error shown", `document.getElementById('query-error').hidden`)
	p.Screenshot("query.png")

	// A value too long to show: cut, and the page says so.
	p.Type("#sql", "SELECT range(5000) AS l")
	p.Click("#run")
	p.Wait("a long list cut", `document.querySelector('#query-result tbody td')?.textContent.length === 10001 && document.getElementById('query-info').textContent.includes('long values cut')`)

	// A bad query: its error, and no stale rows or chart.
	p.Type("#sql", "SELECT nope FROM stock_topic")
	p.Click("#run")
	p.Wait("the error", `!document.getElementById('query-error').hidden && document.getElementById('query-error').textContent.includes('"nope" not found')`)
	p.Wait("no rows left", `document.querySelectorAll('#query-result tr').length === 0 && document.querySelector('#query-chart canvas') === null`)
	p.Screenshot("query-error.png")

	// S3 down: the catalog panel says what it could not count, not 0.
	d.breakS3(t)
	p.Wait("unknown objects", `document.querySelector('[data-table="stock_topic"]').cells[4].textContent === '?'`)
	p.Wait("the dead letters not listed", `document.getElementById('dead-letters').textContent.startsWith('Not listed: ')`)
	p.Wait("why", `!document.getElementById('catalog-error').hidden && document.getElementById('catalog-error').textContent.includes('127.0.0.1:1')`)
	p.Screenshot("s3-down.png")

	// Kafka's offsets cannot be read: the counters stay, marked stale, and
	// the page no longer says live.
	d.stack.Kafka.ControlKey(int16(kmsg.ListOffsets), func(kmsg.Request) (kmsg.Response, error, bool) {
		d.stack.Kafka.KeepControl()
		return nil, errors.New("broker down"), true
	})
	p.Wait("the indicator", `document.getElementById('conn').textContent === 'Kafka not answering' && !document.getElementById('conn').classList.contains('live')`)
	p.Wait("the counters kept, stale", `document.getElementById('counters').classList.contains('stale') && document.querySelector('[data-name="in-topic"] .v').textContent.replace(/,/g, '') >= 3000`)
	p.Screenshot("kafka-down.png")
}
