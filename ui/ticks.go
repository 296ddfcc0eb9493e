package ui

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/twmb/franz-go/pkg/kgo"

	"pipeline/internal/eventjson"
)

// FeedOptions configure a TickFeed. Zero fields take the defaults.
type FeedOptions struct {
	// Bucket is the time one point of a symbol's chart stands for: the
	// price of its last tick in that time (default 250 ms).
	Bucket time.Duration
	// History is how many points of each symbol a page gets when it opens
	// (default 1200: five minutes at 250 ms).
	History int
	// Backfill is how many records of each partition before the end the
	// feed reads first, so that a chart does not start empty (default 2000).
	Backfill int64
	// MaxSymbols is how many symbols get a chart (default 64): a page of
	// thousands of charts freezes the browser. Symbols get one as their
	// ticks come; a symbol that expires frees its place.
	MaxSymbols int
	// Expire drops a symbol that has had no tick for this long, so that a
	// stale chart does not look current (default five minutes).
	Expire time.Duration
}

// symbolsEvent tells the pages which symbols expired and how many have no
// chart.
type symbolsEvent struct {
	Expired    []string `json:"expired"`
	Uncharted  int      `json:"uncharted"`   // symbols seen and not charted (at most maxUncounted)
	MaxSymbols int      `json:"max_symbols"` // FeedOptions.MaxSymbols
}

// maxUncounted bounds the names the feed keeps to count uncharted symbols.
const maxUncounted = 100_000

// message is one event for the pages: "ticks" (new points) or "symbols".
type message struct {
	event string
	data  []byte
}

// point is one point of a chart: milliseconds since 1970, and a price.
type point [2]float64

// TickFeed reads the topic from near its end with a consumer of its own (no
// group, nothing committed: it takes nothing from the sink) and turns the
// ticks into a price series per symbol, a point per symbol per Bucket,
// which it hands to the pages watching. Only the last tick of a symbol in a
// bucket is decoded: the feed costs little per record however fast ticks
// come. It is safe for concurrent use.
type TickFeed struct {
	cl   *kgo.Client
	opts FeedOptions

	// guarded by mu: the series, what is new since the last frame, and
	// the pages watching
	mu        sync.Mutex
	series    map[string][]point
	fresh     map[string][]point
	pending   map[string]*symbolBucket
	lastTick  map[string]time.Time // when each charted symbol last had a tick
	uncharted map[string]struct{}  // symbols beyond MaxSymbols, up to maxUncounted
	told      int                  // len(uncharted) as the pages were last told
	subs      map[chan message]struct{}
	err       error // the last fetch error, if any
}

// symbolBucket is a symbol's newest tick in its current bucket: a record
// not yet decoded, or (from a producer that does not key records by
// symbol) a point.
type symbolBucket struct {
	bucket int64
	rec    *kgo.Record
	p      point
	full   bool // holds a tick
}

// StartTickFeed starts reading topic with a client of connOpts until ctx
// ends.
func StartTickFeed(ctx context.Context, connOpts []kgo.Opt, topic string, opts *FeedOptions) (*TickFeed, error) {
	o := FeedOptions{Bucket: 250 * time.Millisecond, History: 1200, Backfill: 2000, MaxSymbols: 64, Expire: 5 * time.Minute}
	if opts != nil {
		if opts.MaxSymbols > 0 {
			o.MaxSymbols = opts.MaxSymbols
		}
		if opts.Expire > 0 {
			o.Expire = opts.Expire
		}
		if opts.Bucket > 0 {
			o.Bucket = opts.Bucket
		}
		if opts.History > 0 {
			o.History = opts.History
		}
		if opts.Backfill > 0 {
			o.Backfill = opts.Backfill
		}
	}
	cl, err := kgo.NewClient(append(append([]kgo.Opt{}, connOpts...),
		kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtEnd().Relative(-o.Backfill)),
		kgo.FetchMaxBytes(8<<20))...)
	if err != nil {
		return nil, fmt.Errorf("dashboard: kafka client: %w", err)
	}
	f := &TickFeed{cl: cl, opts: o, series: map[string][]point{}, fresh: map[string][]point{},
		pending: map[string]*symbolBucket{}, lastTick: map[string]time.Time{}, uncharted: map[string]struct{}{},
		subs: map[chan message]struct{}{}}
	go f.consume(ctx)
	go f.frames(ctx)
	return f, nil
}

func (f *TickFeed) consume(ctx context.Context) {
	defer f.cl.Close()
	for {
		fetches := f.cl.PollFetches(ctx)
		if ctx.Err() != nil || fetches.IsClientClosed() {
			return
		}
		var ferr error
		fetches.EachError(func(_ string, _ int32, err error) { ferr = err })
		f.mu.Lock()
		f.err = ferr
		fetches.EachRecord(f.add)
		f.mu.Unlock()
	}
}

// add takes one record (under mu): a record starting a new bucket of its
// symbol closes the symbol's last one.
func (f *TickFeed) add(r *kgo.Record) {
	ms := f.opts.Bucket.Milliseconds()
	// The pipeline's producer keys records by symbol and stamps them when
	// it emits them: no need to decode one to place it.
	key, b := string(r.Key), r.Timestamp.UnixMilli()/ms
	var p point
	if key == "" {
		var ok bool
		if p, key, ok = decodeTick(r); !ok {
			return
		}
		b = int64(p[0]) / ms
	}
	sb := f.pending[key]
	if sb == nil {
		sb = &symbolBucket{}
		f.pending[key] = sb
	}
	if sb.full && sb.bucket != b {
		f.close(key, sb)
	}
	*sb = symbolBucket{bucket: b, full: true, p: p}
	if len(r.Key) > 0 {
		sb.rec = r
	}
}

// close turns the last tick of key's bucket into a point of its symbol
// (under mu). A record not yet decoded says its symbol; a point was keyed by
// its symbol.
func (f *TickFeed) close(key string, sb *symbolBucket) {
	p, sym, rec := sb.p, key, sb.rec
	*sb = symbolBucket{}
	if rec != nil {
		var ok bool
		if p, sym, ok = decodeTick(rec); !ok {
			return
		}
	}
	if !chartable(sym) {
		return // the sink dead-letters it: no chart
	}
	if _, charted := f.lastTick[sym]; !charted {
		if len(f.lastTick) >= f.opts.MaxSymbols {
			if len(f.uncharted) < maxUncounted {
				f.uncharted[sym] = struct{}{}
			}
			return
		}
		delete(f.uncharted, sym)
	}
	f.lastTick[sym] = time.Now()
	f.fresh[sym] = append(f.fresh[sym], p)
}

// chartable says whether the sink stores ticks of symbol: 1..MaxSymbolLen
// bytes of UTF-8 without control characters.
func chartable(symbol string) bool {
	return len(symbol) > 0 && len(symbol) <= eventjson.MaxSymbolLen && utf8.ValidString(symbol) &&
		!strings.ContainsFunc(symbol, unicode.IsControl)
}

// frames hands what is new to the pages every Bucket.
func (f *TickFeed) frames(ctx context.Context) {
	t := time.NewTicker(f.opts.Bucket)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			f.mu.Lock()
			for ch := range f.subs {
				close(ch)
				delete(f.subs, ch)
			}
			f.mu.Unlock()
			return
		case <-t.C:
		}
		f.frame()
	}
}

func (f *TickFeed) frame() {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := time.Now()
	current := now.UnixMilli() / f.opts.Bucket.Milliseconds()
	for key, sb := range f.pending {
		switch {
		case sb.full && sb.rec != nil && sb.bucket >= current:
			// Stamped by the producer, in the bucket still filling: a
			// point now would be followed by another of the same bucket.
		case sb.full:
			f.close(key, sb)
			delete(f.pending, key)
		default:
			delete(f.pending, key) // a key with no tick since: its entry goes
		}
	}
	var expired []string
	for sym, at := range f.lastTick {
		if now.Sub(at) >= f.opts.Expire {
			expired = append(expired, sym)
			delete(f.lastTick, sym)
			delete(f.series, sym)
		}
	}
	if len(expired) > 0 || len(f.uncharted) != f.told {
		slices.Sort(expired)
		f.broadcast(message{"symbols", f.symbolsEvent(expired)})
		f.told = len(f.uncharted)
	}
	if len(f.fresh) == 0 {
		return
	}
	b, _ := json.Marshal(f.fresh) // floats and strings only
	for sym, ps := range f.fresh {
		s := append(f.series[sym], ps...)
		if n := len(s) - f.opts.History; n > 0 {
			s = append(s[:0], s[n:]...)
		}
		f.series[sym] = s
	}
	clear(f.fresh)
	f.broadcast(message{"ticks", b})
}

// broadcast hands m to every page (under mu).
func (f *TickFeed) broadcast(m message) {
	for ch := range f.subs {
		select {
		case ch <- m:
		default: // a page that does not keep up misses a frame, not the feed
		}
	}
}

// symbolsEvent is the symbols event of expired (under mu).
func (f *TickFeed) symbolsEvent(expired []string) []byte {
	b, _ := json.Marshal(symbolsEvent{Expired: append([]string{}, expired...), Uncharted: len(f.uncharted), MaxSymbols: f.opts.MaxSymbols})
	return b
}

// subscribe returns the series so far, what a page is told of the symbols,
// and a channel of the messages after them, closed when the feed stops;
// cancel stops the messages.
func (f *TickFeed) subscribe() (history, symbols []byte, messages <-chan message, cancel func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	history, _ = json.Marshal(f.series)
	symbols = f.symbolsEvent(nil)
	ch := make(chan message, 64)
	f.subs[ch] = struct{}{}
	return history, symbols, ch, func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		if _, ok := f.subs[ch]; ok {
			delete(f.subs, ch)
			close(ch)
		}
	}
}

// Symbols returns the symbols seen so far and how many points each has.
func (f *TickFeed) Symbols() map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make(map[string]int, len(f.series))
	for s, ps := range f.series {
		out[s] = len(ps)
	}
	return out
}

// priceFields are the columns a chart plots, the first an event has: the
// simulator's price, or a CSV's close.
var priceFields = []string{"price", "close", "adj_close", "closeusd", "last"}

// decodeTick reads a tick's symbol, time and price; ok is false for a
// record that is not a tick with a price. The time is the event's ts, or
// the record's timestamp if it has none that parses.
func decodeTick(r *kgo.Record) (p point, symbol string, ok bool) {
	var ev map[string]json.RawMessage
	if json.Unmarshal(r.Value, &ev) != nil {
		return p, "", false
	}
	if json.Unmarshal(ev["symbol"], &symbol) != nil || symbol == "" {
		return p, "", false
	}
	t := r.Timestamp
	var ts string
	if json.Unmarshal(ev["ts"], &ts) == nil {
		if pt, err := time.Parse(time.RFC3339Nano, ts); err == nil {
			t = pt
		}
	}
	lower := make(map[string]json.RawMessage, len(ev))
	for k, v := range ev {
		lower[strings.ToLower(k)] = v
	}
	for _, name := range priceFields {
		var price float64
		if raw, found := lower[name]; found && json.Unmarshal(raw, &price) == nil {
			return point{float64(t.UnixMilli()), price}, symbol, true
		}
	}
	return p, "", false
}
