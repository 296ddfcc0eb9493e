// Package pipeline holds the mode-agnostic stages of the stock pipeline:
// simulate -> produce -> Kafka -> sink -> S3 -> crawl -> catalog.
//
// Nothing in this package knows whether it talks to the embedded stack or to
// AWS: it is handed a *kgo.Client, an *s3.Client and a *Catalog.
package pipeline

import (
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

// DecodeHeader checks that b is one JSON object of the event shape and returns
// its header. It is what the sink asks of every record before storing it, so
// whatever it accepts is a line that every reader of the table can parse. The
// error wraps ErrBadEvent and says what is wrong, for the dead-letter record;
// the Header is then zero. It accepts b when all of these hold:
//
//   - b is exactly one JSON value per RFC 8259, with nothing but JSON
//     whitespace (space, tab, CR, LF) around it, and is valid UTF-8. As in
//     encoding/json, arrays and objects may nest at most 10000 deep.
//   - The value is an object, no object in it has a key twice, and no two of
//     its own keys differ only in case (strings.ToLower): Glue lowers column
//     names and DuckDB ignores their case. Keys compare unescaped.
//   - It has the keys "symbol", "ts" and "seq", spelled exactly so, none null.
//   - symbol is a string of 1..MaxSymbolLen bytes (unescaped) with no control
//     character (below U+0020, or U+007F). A \u escape of half a UTF-16
//     surrogate pair stands for U+FFFD, as in encoding/json.
//   - ts is a string that time.Parse takes as time.RFC3339Nano, in a year
//     1970..2200 (UTC); Header.TS is it in UTC.
//   - seq is a non-negative integer that fits an int64: a number, or a string
//     holding one, as encoding/json's json.Number took it ("-0" is 0).
//   - price, if present (any ASCII case) and a number that a float64 holds, is
//     not negative. A price of another type is some other source's column.
//
// Other keys and values are only checked to be valid JSON. For an event of
// flat, unescaped keys DecodeHeader allocates only the symbol string. It is
// safe for concurrent use.
func DecodeHeader(b []byte) (Header, error) {
	s := jsonScanner{b: b}
	return s.decode()
}

// A Decoder decodes events as DecodeHeader and DecodeFields do, with the same
// results, and quicker for a run of events with the same keys in the same
// order, as a source's events are: it keeps the last such event's keys, and
// its scanner's memory. It is not for concurrent use: the sink has one for
// each of its decoding goroutines.
type Decoder struct {
	s      jsonScanner
	memo   keyMemo
	fields []TopField // Fields' argument, here so that it need not escape
}

// Header is DecodeHeader.
func (d *Decoder) Header(b []byte) (Header, error) {
	d.s.reuse(b, nil, &d.memo)
	return d.s.decode()
}

// Fields is DecodeFields.
func (d *Decoder) Fields(b []byte, fields []TopField) (Header, []TopField, error) {
	d.fields = fields
	d.s.reuse(b, &d.fields, &d.memo)
	h, err := d.s.decode()
	fields, d.fields = d.fields, nil // the caller's now
	return h, fields, err
}

// DecodeFields is DecodeHeader that also appends every member of the
// event's object to fields, in document order. On error, fields may hold
// some members.
func DecodeFields(b []byte, fields []TopField) (Header, []TopField, error) {
	s := jsonScanner{b: b, fields: &fields}
	h, err := s.decode()
	return h, fields, err
}

func (s *jsonScanner) decode() (Header, error) {
	b := s.b
	i := s.skipSpace(0)
	if i == len(b) || b[i] != '{' {
		return Header{}, fmt.Errorf("%w: not a JSON object", ErrBadEvent)
	}
	i, err := s.scanTop(i)
	if err != nil {
		return Header{}, err
	}
	if i = s.skipSpace(i); i < len(b) {
		if !strings.ContainsRune(`{["-0123456789tfn`, rune(b[i])) {
			return Header{}, s.syntaxError(i, "after top-level value")
		}
		return Header{}, fmt.Errorf("%w: more than one JSON value (offset %d)", ErrBadEvent, i)
	}
	return s.header()
}

// header checks the header fields of a scanned event and returns them, or a
// zero Header and what is wrong.
func (s *jsonScanner) header() (Header, error) {
	var h Header
	// Wrong types first, then missing fields: the order encoding/json
	// found them in.
	if err := s.symbol.typeError("symbol", false); err != nil {
		return h, err
	}
	if err := s.ts.typeError("ts", false); err != nil {
		return h, err
	}
	if err := s.seq.typeError("seq", true); err != nil {
		return h, err
	}
	var seqBuf [32]byte
	seq := s.seq.text
	if s.seq.isString() {
		seq = s.seq.str(seqBuf[:0])
		if !validJSONNumber(seq) {
			return h, fmt.Errorf("%w: not valid JSON for an event: seq is the string %q, want a number", ErrBadEvent, string(seq))
		}
	}
	switch {
	case s.symbol.kind == 0 || s.symbol.kind == 'n':
		return h, fmt.Errorf("%w: no \"symbol\" field", ErrBadEvent)
	case s.ts.kind == 0 || s.ts.kind == 'n':
		return h, fmt.Errorf("%w: no \"ts\" field", ErrBadEvent)
	case s.seq.kind == 0 || s.seq.kind == 'n':
		return h, fmt.Errorf("%w: no \"seq\" field", ErrBadEvent)
	}

	var symBuf [64]byte
	sym := s.symbol.str(symBuf[:0])
	// Unescaped, sym is valid UTF-8: str checked the bytes, and escapes
	// stand for whole runes.
	if len(sym) == 0 || len(sym) > MaxSymbolLen {
		return h, fmt.Errorf("%w: symbol is empty, longer than %d bytes or not UTF-8", ErrBadEvent, MaxSymbolLen)
	}
	for _, c := range sym {
		if c < 0x20 || c == 0x7f { // never part of a multi-byte rune
			return h, fmt.Errorf("%w: symbol has a control character", ErrBadEvent)
		}
	}

	var tsBuf [64]byte
	tsText := s.ts.str(tsBuf[:0])
	var day *dayMemo
	if s.memo != nil {
		day = &s.memo.day
	}
	ts, err := parseEventTime(tsText, day)
	if err != nil {
		return h, fmt.Errorf("%w: ts %q is not an RFC 3339 time", ErrBadEvent, string(tsText))
	}
	ts = ts.UTC()
	if y := ts.Year(); y < minEventYear || y > maxEventYear {
		return h, fmt.Errorf("%w: ts %q is outside %d..%d", ErrBadEvent, string(tsText), minEventYear, maxEventYear)
	}

	n, err := parseSeq(seq)
	if err != nil || n < 0 {
		return h, fmt.Errorf("%w: seq %q is not a non-negative integer", ErrBadEvent, string(seq))
	}

	// A negative price is absurd; a price that is not a number at all is
	// some other source's column and left alone, as is one beyond a
	// float64 (encoding/json could not read it).
	if p := s.price.text; s.price.isNumber() && p[0] == '-' {
		if v, err := strconv.ParseFloat(string(p), 64); err == nil && v < 0 {
			return h, fmt.Errorf("%w: price %s is negative", ErrBadEvent, p)
		}
	}
	return Header{Symbol: s.memo.symbol(sym), TS: ts, Seq: n}, nil
}

// parseEventTime is time.Parse(time.RFC3339Nano, string(b)). The sink parses a
// time per record, nearly always in TimeLayout, and that shape is parsed here
// directly (with the date from day, if it holds it; day may be nil);
// time.Parse gets the rest.
func parseEventTime(b []byte, day *dayMemo) (time.Time, error) {
	if t, ok := parseUTCTimeOn(b, day); ok {
		return t, nil
	}
	return time.Parse(time.RFC3339Nano, string(b))
}

// parseUTCTime parses b if it is "2006-01-02T15:04:05Z", with or without a
// fraction of any number of digits. It rules as time.Parse does for this
// shape (which it tries first, and takes if valid): fields in range, the day
// one of the month, at most nine fraction digits used and the rest ignored.
// If ok is false, b may still be a time that time.Parse takes.
func parseUTCTime(b []byte) (t time.Time, ok bool) {
	return parseUTCTimeOn(b, nil)
}

// dayMemo is the last date parseUTCTimeOn parsed: a stream's events are
// nearly all of one day, and checking and counting the day was a third of
// parsing a time.
type dayMemo struct {
	date [10]byte
	days int64 // since 1970-01-01
	ok   bool
}

// parseUTCTimeOn is parseUTCTime, which takes the date's days from d when d
// holds the same date, and keeps them there if not; d may be nil.
func parseUTCTimeOn(b []byte, d *dayMemo) (t time.Time, ok bool) {
	const short = len("2006-01-02T15:04:05Z")
	if len(b) < short || b[4] != '-' || b[7] != '-' || b[10] != 'T' || b[13] != ':' || b[16] != ':' || b[len(b)-1] != 'Z' {
		return t, false
	}
	var days int64
	if d != nil && d.ok && string(b[:10]) == string(d.date[:]) {
		days = d.days
	} else {
		year := twoDigits(b[0], b[1])*100 + twoDigits(b[2], b[3])
		month, day := twoDigits(b[5], b[6]), twoDigits(b[8], b[9])
		if year < 0 || month < 1 || month > 12 || day < 1 || day > daysIn(month, year) {
			return t, false
		}
		days = daysSinceEpoch(year, month, day)
		if d != nil {
			*d = dayMemo{days: days, ok: true}
			copy(d.date[:], b)
		}
	}
	hour, minute, sec := twoDigits(b[11], b[12]), twoDigits(b[14], b[15]), twoDigits(b[17], b[18])
	if hour < 0 || hour > 23 || minute < 0 || minute > 59 || sec < 0 || sec > 59 {
		return t, false
	}
	nsec := 0
	if frac := b[19 : len(b)-1]; len(frac) > 0 {
		if frac[0] != '.' || len(frac) < 2 {
			return t, false
		}
		for i, c := range frac[1:] {
			if c < '0' || c > '9' {
				return t, false
			}
			if i < 9 {
				nsec = nsec*10 + int(c-'0')
			}
		}
		for i := len(frac) - 1; i < 9; i++ {
			nsec *= 10
		}
	}
	// time.Date would do, at twice the cost of the rest of the parse.
	unix := days*86400 + int64(hour*3600+minute*60+sec)
	return time.Unix(unix, int64(nsec)).UTC(), true
}

// daysSinceEpoch returns the days from 1970-01-01 to the given date of the
// proleptic Gregorian calendar, as time.Date counts them (Howard Hinnant's
// days_from_civil: years start in March, so a leap day ends its year).
func daysSinceEpoch(year, month, day int) int64 {
	y := int64(year)
	if month <= 2 {
		y--
	}
	era := y / 400
	if y < 0 { // January or February of year 0
		era = -1
	}
	yoe := y - era*400
	mp := int64(month+9) % 12 // March is 0
	doy := (153*mp+2)/5 + int64(day) - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// daysIn returns the number of days in month (1..12) of year.
func daysIn(month, year int) int {
	if month == 2 {
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	}
	return 30 + (month+month/8)%2
}

// twoDigits returns the value of the decimal digits c and d, or -100000 if
// either is not a digit: negative enough that a year made of two calls is.
func twoDigits(c, d byte) int {
	if c < '0' || c > '9' || d < '0' || d > '9' {
		return -100000
	}
	return int(c-'0')*10 + int(d-'0')
}

// parseSeq is strconv.ParseInt(string(b), 10, 64), quicker for the short
// runs of digits that seq nearly always is.
func parseSeq(b []byte) (int64, error) {
	if len(b) == 0 || len(b) > 18 { // 18 digits cannot overflow
		return strconv.ParseInt(string(b), 10, 64)
	}
	n := int64(0)
	for _, c := range b {
		if c < '0' || c > '9' {
			return strconv.ParseInt(string(b), 10, 64)
		}
		n = n*10 + int64(c-'0')
	}
	return n, nil
}

// typeError says if the field holds neither a string nor null, nor, if
// numberOK, a number.
func (f *jsonField) typeError(name string, numberOK bool) error {
	if f.kind == 0 || f.kind == 'n' || f.isString() || numberOK && f.isNumber() {
		return nil
	}
	want := "a string"
	if numberOK {
		want = "a number"
	}
	return fmt.Errorf("%w: not valid JSON for an event: %s is %s, want %s", ErrBadEvent, name, kindName(f.kind), want)
}

// kindName names the type of a JSON value from its first byte.
func kindName(c byte) string {
	switch c {
	case '"':
		return "a string"
	case 't', 'f':
		return "a bool"
	case '{':
		return "an object"
	case '[':
		return "an array"
	}
	return "a number"
}
