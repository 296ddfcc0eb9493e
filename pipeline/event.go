package pipeline

import (
	"math"
	"strconv"
	"time"
	"unicode/utf8"
)

// Topic is the default Kafka topic, and so the name of its table.
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
	enc := EventEncoder{oneShot: true}
	return enc.Append(b, e)
}

// EventEncoder is AppendJSON for a stream of events: it keeps the quoted
// keys of the last events' Names and the text of the last second, which
// change rarely, instead of writing them for every event. Its zero value is
// ready to use; it is not safe for concurrent use.
type EventEncoder struct {
	names []string // the Names that keys quote
	keys  [][]byte // `,"name":` for each of names
	sec   int64    // the Unix second that secText writes, if secText is set
	// secText is an event time in TimeLayout up to its milliseconds:
	// "2006-01-02T15:04:05.".
	secText []byte
	// oneShot says the encoder writes one event only (AppendJSON), so
	// caching would cost more than it saves.
	oneShot bool
}

// Append appends ev as AppendJSON does.
func (enc *EventEncoder) Append(b []byte, ev *Event) []byte {
	b = append(b, `{"symbol":`...)
	b = appendJSONString(b, ev.Symbol)
	b = append(b, `,"ts":"`...)
	b = enc.appendTime(b, ev.TS)
	b = append(b, `","seq":`...)
	b = strconv.AppendInt(b, ev.Seq, 10)
	if enc.oneShot {
		for i, name := range ev.Names {
			b = append(appendJSONString(append(b, ','), name), ':')
			b = ev.Values[i].appendJSON(b)
		}
		return append(b, '}')
	}
	keys := enc.keysOf(ev.Names)
	for i := range ev.Names {
		b = append(b, keys[i]...)
		b = ev.Values[i].appendJSON(b)
	}
	return append(b, '}')
}

// keysOf returns the quoted keys of names, from the cache if names is the
// slice they were made from (a source's Names never change).
func (enc *EventEncoder) keysOf(names []string) [][]byte {
	if len(names) != len(enc.names) || len(names) > 0 && &names[0] != &enc.names[0] {
		enc.names, enc.keys = names, enc.keys[:0]
		for _, name := range names {
			key := appendJSONString([]byte{','}, name)
			enc.keys = append(enc.keys, append(key, ':'))
		}
	}
	return enc.keys
}

// appendTime appends t in TimeLayout: the text up to its second from the
// cache when t is in the second of the last event, as ticks nearly always are.
func (enc *EventEncoder) appendTime(b []byte, t time.Time) []byte {
	if enc.oneShot {
		return appendEventTime(b, t)
	}
	sec := t.Unix()
	if enc.secText == nil || sec != enc.sec {
		text := appendEventTime(enc.secText[:0], t)
		if len(text) != len(TimeLayout) { // a year beyond 0..9999: not cached
			enc.secText = nil
			return append(b, text...)
		}
		enc.sec, enc.secText = sec, text[:len(text)-len("000Z")]
	}
	ms := t.Nanosecond() / 1e6
	return append(append(b, enc.secText...), byte('0'+ms/100), byte('0'+ms/10%10), byte('0'+ms%10), 'Z')
}

// cents returns f as a whole number of cents, if it is one (a price) and
// strconv's shortest form of it has no exponent (0 < |f| < 1e6). Such a
// number has at most 8 significant digits, so its decimal digits are its
// shortest round-tripping form: appendCents writes what strconv would.
func cents(f float64) (int64, bool) {
	if !(f > -1e6 && f < 1e6) || f == 0 {
		return 0, false
	}
	c := math.Round(f * 100)
	if c/100 != f {
		return 0, false
	}
	return int64(c), true
}

// appendCents writes c cents as a JSON number with one or two decimals.
func appendCents(b []byte, c int64) []byte {
	if c < 0 {
		b = append(b, '-')
		c = -c
	}
	b = strconv.AppendInt(b, c/100, 10)
	switch frac := c % 100; {
	case frac == 0:
		return append(b, '.', '0')
	case frac%10 == 0:
		return append(b, '.', byte('0'+frac/10))
	default:
		return append(b, '.', byte('0'+frac/10), byte('0'+frac%10))
	}
}

// appendEventTime appends t in TimeLayout, as t.UTC().AppendFormat does but
// without parsing the layout for every event (a third of encoding one).
func appendEventTime(b []byte, t time.Time) []byte {
	t = t.UTC()
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		return t.AppendFormat(b, TimeLayout)
	}
	hour, minute, sec := t.Clock()
	ms := t.Nanosecond() / 1e6
	return append(b,
		byte('0'+year/1000), byte('0'+year/100%10), byte('0'+year/10%10), byte('0'+year%10), '-',
		byte('0'+int(month)/10), byte('0'+int(month)%10), '-',
		byte('0'+day/10), byte('0'+day%10), 'T',
		byte('0'+hour/10), byte('0'+hour%10), ':',
		byte('0'+minute/10), byte('0'+minute%10), ':',
		byte('0'+sec/10), byte('0'+sec%10), '.',
		byte('0'+ms/100), byte('0'+ms/10%10), byte('0'+ms%10), 'Z')
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
		if c, ok := cents(v.Float); ok {
			return appendCents(b, c)
		}
		n := len(b)
		b = strconv.AppendFloat(b, v.Float, 'g', -1, 64)
		// Keep a double looking like a double, so a column of whole
		// prices is not inferred as bigint by a crawler.
		if !hasFraction(b[n:]) {
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
