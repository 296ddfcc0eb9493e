package ui

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"pipeline/internal/oneline"
	"pipeline/sqlq"
)

// queryResult is what the console gets: the columns and first rows of a
// result, or the error.
type queryResult struct {
	Columns []sqlq.Column `json:"columns"`
	Rows    [][]any       `json:"rows"`
	// Truncated says the result has more rows than those shown: more
	// than MaxRows, or more than MaxResultBytes.
	Truncated bool `json:"truncated"`
	// TooBig says the rows shown stopped at MaxResultBytes.
	TooBig bool `json:"too_big,omitempty"`
	// CutValues says a value longer than MaxValueChars was cut to it
	// (ending in "…").
	CutValues bool    `json:"cut_values,omitempty"`
	ElapsedMS float64 `json:"elapsed_ms"`
	Error     string  `json:"error,omitempty"`
	// bytes is about what Rows take as JSON.
	bytes int
}

// maxQueryBody bounds a query request.
const maxQueryBody = 1 << 20

// MaxValueChars is the most of a text value the console shows: a page
// shows no more, and a value of many megabytes would otherwise travel
// whole. An engine that cuts its values at the same length (the DuckDB
// engine's Options.MaxValueChars) spares rendering the rest; what it cut
// is still longer than this, so the console says so.
const MaxValueChars = 10_000

// refresher is an engine whose view of the catalog is built once and
// refreshed on demand (DuckDB's views); Athena reads Glue every time.
type refresher interface {
	Refresh(ctx context.Context) error
}

// refreshEvery is how stale the console's view of the catalog may be: a
// crawl's new tables and partitions are seen within it.
const refreshEvery = 2 * time.Second

var errEnough = errors.New("enough rows")

func (s *server) query(w http.ResponseWriter, r *http.Request) {
	if s.opts.Engine == nil {
		writeJSON(w, http.StatusNotFound, queryResult{Error: "no SQL engine here"})
		return
	}
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct != "application/json" {
		writeJSON(w, http.StatusUnsupportedMediaType, queryResult{Error: `send {"sql": "..."} as application/json`})
		return
	}
	var req struct {
		SQL string `json:"sql"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxQueryBody)).Decode(&req); err != nil {
		writeJSON(w, http.StatusBadRequest, queryResult{Error: `send {"sql": "..."}: ` + err.Error()})
		return
	}
	if strings.TrimSpace(req.SQL) == "" {
		writeJSON(w, http.StatusBadRequest, queryResult{Error: "type a query, e.g. SELECT count(*) FROM stock_topic"})
		return
	}
	// A query that finds every slot taken is answered at once: waiting
	// for one would hang the console for as long as the slowest query.
	select {
	case s.queries <- struct{}{}:
		defer func() { <-s.queries }()
	default:
		w.Header().Set("Retry-After", "5")
		writeJSON(w, http.StatusServiceUnavailable, queryResult{Error: fmt.Sprintf(
			"%d queries are already running in this console (each stops after %s at most); try again when one has finished", cap(s.queries), s.opts.QueryTimeout)})
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.opts.QueryTimeout)
	defer cancel()
	if err := s.refresh(ctx); err != nil {
		writeJSON(w, http.StatusServiceUnavailable, queryResult{Error: "reading the catalog: " + err.Error()})
		return
	}
	start := time.Now()
	res, err := s.run(ctx, req.SQL)
	res.ElapsedMS = float64(time.Since(start).Microseconds()) / 1000
	switch {
	case err == nil:
		writeJSON(w, http.StatusOK, res)
	case errors.Is(err, sqlq.ErrQuery):
		writeJSON(w, http.StatusBadRequest, queryResult{Error: err.Error(), ElapsedMS: res.ElapsedMS})
	case errors.Is(err, context.DeadlineExceeded) && r.Context().Err() == nil:
		writeJSON(w, http.StatusGatewayTimeout, queryResult{Error: fmt.Sprintf(
			"the query ran longer than the console's %s and was stopped: narrow it (WHERE, LIMIT), or run it with `pipeline query`", s.opts.QueryTimeout)})
	default:
		writeJSON(w, http.StatusBadGateway, queryResult{Error: oneline.Fold(err.Error())})
	}
}

func (s *server) refresh(ctx context.Context) error {
	rf, ok := s.opts.Engine.(refresher)
	if !ok {
		return nil
	}
	s.refreshMu.Lock()
	defer s.refreshMu.Unlock()
	if time.Since(s.refreshed) < refreshEvery {
		return nil
	}
	if err := rf.Refresh(ctx); err != nil {
		return err
	}
	s.refreshed = time.Now()
	return nil
}

// run returns the first MaxRows rows of sql, reading no more than that of
// an engine that streams rows.
func (s *server) run(ctx context.Context, sql string) (queryResult, error) {
	res := queryResult{Columns: []sqlq.Column{}, Rows: [][]any{}}
	err := sqlq.QueryEach(ctx, s.opts.Engine, sql, func(cols []sqlq.Column) error {
		res.Columns = cols
		return nil
	}, func(row []any) error { return s.add(&res, row) })
	if errors.Is(err, errEnough) {
		err = nil
	}
	return res, err
}

// add adds a row to res unless res has MaxRows rows or MaxResultBytes
// (errEnough then).
func (s *server) add(res *queryResult, row []any) error {
	if len(res.Rows) == s.opts.MaxRows || res.bytes >= s.opts.MaxResultBytes {
		res.Truncated, res.TooBig = true, len(res.Rows) < s.opts.MaxRows
		return errEnough
	}
	out, n, cut := jsonRow(row, res.Columns)
	res.Rows = append(res.Rows, out)
	res.bytes += n
	res.CutValues = res.CutValues || cut
	return nil
}

// maxExactInt is the largest integer a JavaScript number holds exactly.
const maxExactInt = 1 << 53

// jsonRow copies a row (the engine reuses it) into values that JSON and
// JavaScript keep as they are: a time in ISO 8601 (a date without its
// midnight), an integer beyond 2^53 or a float that is not finite as text,
// a text longer than MaxValueChars cut to it (cut says one was). n is
// about the row's size as JSON. Engines give nested values as text, so
// their size counts whole.
func jsonRow(row []any, cols []sqlq.Column) (out []any, n int, cut bool) {
	out = make([]any, len(row))
	for i, v := range row {
		n += 24 // a number, a time, the separators
		switch v := v.(type) {
		case string:
			v, c := sqlq.CutText(v, MaxValueChars)
			out[i], cut = v, cut || c
			n += len(v)
		case time.Time:
			if i < len(cols) && cols[i].Type == "date" {
				out[i] = v.Format(time.DateOnly)
			} else {
				out[i] = v.Format("2006-01-02T15:04:05.000Z07:00")
			}
		case int64:
			if v > maxExactInt || v < -maxExactInt {
				out[i] = strconv.FormatInt(v, 10)
			} else {
				out[i] = v
			}
		case float64:
			if math.IsNaN(v) || math.IsInf(v, 0) {
				out[i] = strconv.FormatFloat(v, 'g', -1, 64)
			} else {
				out[i] = v
			}
		default:
			out[i] = v
		}
	}
	return out, n, cut
}
