// Package pipeline holds the mode-agnostic stages of the stock pipeline:
// simulate -> produce -> Kafka -> sink -> S3 -> crawl -> catalog.
//
// Nothing in this package knows whether it talks to the embedded stack or to
// AWS: it is handed a *kgo.Client, an *s3.Client and a *Catalog.
package pipeline

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Topic is the Kafka topic of the paper's design.
const Topic = "stock_topic"

// TimeLayout is how an event's ts is written: UTC, millisecond precision,
// fixed width so that strings sort in time order and every reader parses it.
const TimeLayout = "2006-01-02T15:04:05.000Z"

// Kind is the type of one value in an event.
type Kind uint8

const (
	KindNull Kind = iota
	KindString
	KindInt
	KindFloat
	KindBool
)

// Value is one typed value of an event. Only the field of its Kind is set;
// a bool is stored in Int (0 or 1).
type Value struct {
	Kind  Kind
	Str   string
	Int   int64
	Float float64
}

// String, Int, Float and Null build Values.
func String(s string) Value  { return Value{Kind: KindString, Str: s} }
func Int(i int64) Value      { return Value{Kind: KindInt, Int: i} }
func Float(f float64) Value  { return Value{Kind: KindFloat, Float: f} }
func Null() Value            { return Value{} }
func (v Value) IsNull() bool { return v.Kind == KindNull }

func Bool(b bool) Value {
	v := Value{Kind: KindBool}
	if b {
		v.Int = 1
	}
	return v
}

// Event is one stock tick. Names is shared by every event of a source (it is
// the source's column list) and is never modified; Values lines up with it.
type Event struct {
	Symbol string
	TS     time.Time // when the tick was emitted, UTC
	Seq    int64     // per-symbol sequence number, from 0
	Names  []string
	Values []Value
}

// AppendJSON appends the event as one JSON object, keys in a fixed order:
// symbol, ts, seq, then the source's columns.
func (e *Event) AppendJSON(b []byte) []byte {
	b = append(b, `{"symbol":`...)
	b = appendJSONString(b, e.Symbol)
	b = append(b, `,"ts":"`...)
	b = e.TS.UTC().AppendFormat(b, TimeLayout)
	b = append(b, `","seq":`...)
	b = strconv.AppendInt(b, e.Seq, 10)
	for i, name := range e.Names {
		b = append(b, ',')
		b = appendJSONString(b, name)
		b = append(b, ':')
		b = e.Values[i].appendJSON(b)
	}
	return append(b, '}')
}

func (v Value) appendJSON(b []byte) []byte {
	switch v.Kind {
	case KindString:
		return appendJSONString(b, v.Str)
	case KindInt:
		return strconv.AppendInt(b, v.Int, 10)
	case KindFloat:
		if math.IsNaN(v.Float) || math.IsInf(v.Float, 0) {
			return append(b, "null"...)
		}
		n := len(b)
		b = strconv.AppendFloat(b, v.Float, 'g', -1, 64)
		// Keep a double looking like a double, so a column of whole
		// prices is not inferred as bigint by a crawler.
		if !bytes.ContainsAny(b[n:], ".eE") {
			b = append(b, ".0"...)
		}
		return b
	case KindBool:
		if v.Int != 0 {
			return append(b, "true"...)
		}
		return append(b, "false"...)
	default:
		return append(b, "null"...)
	}
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string. Invalid UTF-8 becomes U+FFFD,
// as encoding/json does.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// Limits of what the sink accepts as a plausible tick; anything outside goes
// to the dead-letter prefix instead of the table.
const (
	MaxSymbolLen = 256
	minEventYear = 1970
	maxEventYear = 2200
)

// ErrBadEvent is wrapped by every error DecodeHeader returns.
var ErrBadEvent = errors.New("bad event")

// Header is what the sink needs from an event to place it: the fields every
// event carries. The rest of the object is kept byte for byte.
type Header struct {
	Symbol string
	TS     time.Time
	Seq    int64
}

// checkKeys returns the top-level keys of the JSON object b, or an error if
// an object in b has a key twice, or if two top-level keys differ only in
// case (column names do not: Glue lowers them, DuckDB ignores case). b must
// be valid JSON.
func checkKeys(b []byte) (map[string]bool, error) {
	type object struct {
		keys    map[string]bool
		wantKey bool
	}
	var top map[string]bool
	folded := map[string]string{}
	var stack []*object // nil for an array
	dec := json.NewDecoder(bytes.NewReader(b))
	for {
		tok, err := dec.Token()
		if err != nil {
			return top, nil // io.EOF: b is valid JSON, checked by the caller
		}
		switch tok {
		case json.Delim('{'):
			o := &object{keys: map[string]bool{}, wantKey: true}
			if top == nil {
				top = o.keys
			}
			stack = append(stack, o)
			continue
		case json.Delim('['):
			stack = append(stack, nil)
			continue
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
		default:
			if n := len(stack); n > 0 && stack[n-1] != nil && stack[n-1].wantKey {
				o, k := stack[n-1], tok.(string)
				if o.keys[k] {
					return nil, fmt.Errorf("key %q appears twice in an object", k)
				}
				if n == 1 {
					if other, ok := folded[strings.ToLower(k)]; ok {
						return nil, fmt.Errorf("keys %q and %q differ only in case", other, k)
					}
					folded[strings.ToLower(k)] = k
				}
				o.keys[k] = true
				o.wantKey = false
				continue
			}
		}
		// A value ended: its object, if any, expects a key next.
		if n := len(stack); n > 0 && stack[n-1] != nil {
			stack[n-1].wantKey = true
		}
	}
}

// DecodeHeader checks that b is one JSON object of the event shape and returns
// its header. The error says what is wrong, for the dead-letter record.
func DecodeHeader(b []byte) (Header, error) {
	var raw struct {
		Symbol *string          `json:"symbol"`
		TS     *string          `json:"ts"`
		Seq    *json.Number     `json:"seq"`
		Price  *json.RawMessage `json:"price"`
	}
	var h Header
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '{' {
		return h, fmt.Errorf("%w: not a JSON object", ErrBadEvent)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil {
		return h, fmt.Errorf("%w: not valid JSON: %v", ErrBadEvent, err)
	}
	if dec.More() {
		return h, fmt.Errorf("%w: more than one JSON value", ErrBadEvent)
	}
	// What Go's decoder forgives and a query engine does not: a table
	// holding such a line fails every query (DuckDB; Athena's JSON SerDe).
	if !utf8.Valid(b) {
		return h, fmt.Errorf("%w: not valid UTF-8", ErrBadEvent)
	}
	top, err := checkKeys(b)
	if err != nil {
		return h, fmt.Errorf("%w: %v", ErrBadEvent, err)
	}
	// Go matches keys regardless of case, the table's columns do not.
	switch {
	case !top["symbol"]:
		raw.Symbol = nil
	case !top["ts"]:
		raw.TS = nil
	case !top["seq"]:
		raw.Seq = nil
	}
	switch {
	case raw.Symbol == nil:
		return h, fmt.Errorf("%w: no \"symbol\" field", ErrBadEvent)
	case raw.TS == nil:
		return h, fmt.Errorf("%w: no \"ts\" field", ErrBadEvent)
	case raw.Seq == nil:
		return h, fmt.Errorf("%w: no \"seq\" field", ErrBadEvent)
	}
	h.Symbol = *raw.Symbol
	if h.Symbol == "" || len(h.Symbol) > MaxSymbolLen || !utf8.ValidString(h.Symbol) {
		return h, fmt.Errorf("%w: symbol is empty, longer than %d bytes or not UTF-8", ErrBadEvent, MaxSymbolLen)
	}
	for _, r := range h.Symbol {
		if r < 0x20 || r == 0x7f {
			return h, fmt.Errorf("%w: symbol has a control character", ErrBadEvent)
		}
	}
	ts, err := time.Parse(time.RFC3339Nano, *raw.TS)
	if err != nil {
		return h, fmt.Errorf("%w: ts %q is not an RFC 3339 time", ErrBadEvent, *raw.TS)
	}
	if y := ts.UTC().Year(); y < minEventYear || y > maxEventYear {
		return h, fmt.Errorf("%w: ts %q is outside %d..%d", ErrBadEvent, *raw.TS, minEventYear, maxEventYear)
	}
	h.TS = ts.UTC()
	seq, err := raw.Seq.Int64()
	if err != nil || seq < 0 {
		return h, fmt.Errorf("%w: seq %q is not a non-negative integer", ErrBadEvent, raw.Seq.String())
	}
	h.Seq = seq
	// A negative price is absurd; a price that is not a number at all is
	// some other source's column and left alone.
	if raw.Price != nil {
		var p float64
		if json.Unmarshal(*raw.Price, &p) == nil && p < 0 {
			return h, fmt.Errorf("%w: price %s is negative", ErrBadEvent, *raw.Price)
		}
	}
	return h, nil
}
