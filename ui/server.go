// Package ui is the dashboard of `pipeline ui` and `pipeline run --ui`: one
// web page, compiled into the binary with its assets (and uPlot, the charting
// library, vendored beside them), that shows a live price chart per symbol
// from the topic, the pipeline's counters and lag, the catalog's tables, and
// a SQL console over the engine `pipeline query` uses.
//
// The page talks to the server over four endpoints:
//
//	GET  /api/events  server-sent events: "prices" (the series so far, once),
//	                  "ticks" (new points, every 250 ms), "symbols" (those that
//	                  expired; how many have no chart), "stats" (every second)
//	GET  /api/status  the catalog's tables, the bucket and the dead letters (observe.Status)
//	POST /api/query   {"sql": "..."}: the first MaxRows rows, or the error
//	GET  /api/info    what the page needs to know to start
//
// It serves this machine's pages only: see httpguard.
//
// It is not a query engine nor a reader of the pipeline's state: it is
// handed an sqlq.Engine, a TickFeed and the readers of package observe
// (Options), and only draws what they give. Nothing in it writes to Kafka,
// S3 or the catalog, but the SQL the user types runs on the engine given.
//
// # Main types
//
//   - Handler, Options: the page, its assets and its API.
//   - TickFeed (StartTickFeed, FeedOptions): the price series, read from
//     the topic as a reader of no group, so it takes nothing from the sink.
//   - Stats: one reading of the counters and lag.
package ui

import (
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"sync"
	"time"

	"pipeline/internal/httpguard"
	"pipeline/observe"
	"pipeline/sqlq"
)

//go:embed assets
var assets embed.FS

// Options configure the dashboard. Every field may be nil or zero: the page
// leaves out what it does not get.
type Options struct {
	Topic string
	// Feed is the price series from the topic.
	Feed *TickFeed
	// Stats are the counters and lag, read every second.
	Stats func() Stats
	// Status is the catalog, the bucket and the dead letters, read at most
	// every StatusTTL however many pages ask.
	Status    func(context.Context) (*observe.Status, error)
	StatusTTL time.Duration // default 5 s
	// Engine answers the SQL console; a nil Engine hides it.
	Engine  sqlq.Engine
	MaxRows int // rows a query shows, default 1000
	// MaxResultBytes bounds what a query shows, about as JSON (default
	// 4 MB): the rows stop there, and a value is cut at MaxValueChars,
	// so that a huge result costs neither the page nor the process its
	// memory.
	MaxResultBytes int
	// QueryTimeout bounds one query of the console (default
	// DefaultQueryTimeout): it is then interrupted, and its slot (one of
	// two; a query that finds both taken is told to try again) is free.
	QueryTimeout time.Duration
	Guard        httpguard.Options
}

// DefaultQueryTimeout is how long a query of the console may run unless
// Options.QueryTimeout says otherwise: long enough for a scan of every
// table, short enough that two forgotten queries do not hold the console.
const DefaultQueryTimeout = time.Minute

// Stats is one reading of the counters and lag.
type Stats struct {
	Offsets      *observe.Offsets  `json:"offsets,omitempty"`
	OffsetsError string            `json:"offsets_error,omitempty"`
	Counters     *observe.Counters `json:"counters,omitempty"` // of this process's stages, if it runs them
}

// Handler is the dashboard: the page, its assets and its API, behind the
// guard.
func Handler(opts Options) http.Handler {
	if opts.StatusTTL <= 0 {
		opts.StatusTTL = 5 * time.Second
	}
	if opts.MaxRows <= 0 {
		opts.MaxRows = 1000
	}
	if opts.MaxResultBytes <= 0 {
		opts.MaxResultBytes = 4 << 20
	}
	if opts.QueryTimeout <= 0 {
		opts.QueryTimeout = DefaultQueryTimeout
	}
	s := &server{opts: opts, queries: make(chan struct{}, 2)}
	static, _ := fs.Sub(assets, "assets") // a constant path: cannot fail
	mux := http.NewServeMux()
	mux.Handle("GET /", securityHeaders(http.FileServerFS(static)))
	mux.HandleFunc("GET /api/info", s.info)
	mux.HandleFunc("GET /api/events", s.events)
	mux.HandleFunc("GET /api/status", s.status)
	mux.HandleFunc("POST /api/query", s.query)
	// Without it GET would fall to the pages' GET / and say 404.
	mux.HandleFunc("GET /api/query", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Allow", http.MethodPost)
		writeJSON(w, http.StatusMethodNotAllowed, queryResult{Error: `POST {"sql": "..."} as application/json`})
	})
	return httpguard.Wrap(mux, opts.Guard)
}

// securityHeaders keep the page from being framed or loading anything from
// elsewhere: everything it needs is compiled in.
func securityHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Referrer-Policy", "no-referrer")
		h.ServeHTTP(w, r)
	})
}

type server struct {
	opts    Options
	queries chan struct{} // a token per query running (two at most): DuckDB uses every core for one

	statusMu sync.Mutex // guards the cached status: one read at a time
	statusAt time.Time
	statusJS []byte

	refreshMu sync.Mutex // guards refreshed: one refresh of the engine's views at a time
	refreshed time.Time
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

func (s *server) info(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"topic": s.opts.Topic, "console": s.opts.Engine != nil, "prices": s.opts.Feed != nil, "max_rows": s.opts.MaxRows,
	})
}

// statsEvery is how often a page gets the counters.
const statsEvery = time.Second

// keepAlive is how often an idle stream sends a comment, so that proxies
// and browsers do not close it.
const keepAlive = 15 * time.Second

func (s *server) events(w http.ResponseWriter, r *http.Request) {
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	send := func(event string, data []byte) error {
		if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", event, data); err != nil {
			return err
		}
		return rc.Flush()
	}
	var frames <-chan message
	if s.opts.Feed != nil {
		history, symbols, ch, cancel := s.opts.Feed.subscribe()
		defer cancel()
		if send("prices", history) != nil || send("symbols", symbols) != nil {
			return
		}
		frames = ch
	}
	statsTick := time.NewTicker(statsEvery)
	defer statsTick.Stop()
	alive := time.NewTicker(keepAlive)
	defer alive.Stop()
	sendStats := func() error {
		if s.opts.Stats == nil {
			return nil
		}
		b, _ := json.Marshal(s.opts.Stats()) // numbers, strings and times only
		return send("stats", b)
	}
	if sendStats() != nil {
		return
	}
	for {
		var err error
		select {
		case <-r.Context().Done():
			return
		case m, ok := <-frames:
			if !ok {
				return // the feed stopped: the server is going away
			}
			err = send(m.event, m.data)
		case <-statsTick.C:
			err = sendStats()
		case <-alive.C:
			_, err = io.WriteString(w, ": keep-alive\n\n")
			if err == nil {
				err = rc.Flush()
			}
		}
		if err != nil {
			return
		}
	}
}

func (s *server) status(w http.ResponseWriter, r *http.Request) {
	if s.opts.Status == nil {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no status here"})
		return
	}
	s.statusMu.Lock()
	defer s.statusMu.Unlock()
	if s.statusJS == nil || time.Since(s.statusAt) >= s.opts.StatusTTL {
		st, err := s.opts.Status(r.Context())
		if err != nil {
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": err.Error()})
			return
		}
		b, err := json.Marshal(st)
		if err != nil {
			writeJSON(w, http.StatusInternalServerError, map[string]string{"error": err.Error()})
			return
		}
		s.statusJS, s.statusAt = b, time.Now()
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(s.statusJS)
}
