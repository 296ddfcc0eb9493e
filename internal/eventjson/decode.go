// Package eventjson checks records for the sink: that a record is one JSON
// object a table can hold (strict RFC 8259, valid UTF-8, no key twice nor
// two keys that differ only in case, no half of a UTF-16 surrogate pair in
// an escape, no number beyond a double) and hands over its members, in one
// strict pass over the bytes that allocates nothing for a well-formed
// record. It also checks the pipeline's own events (DecodeHeader: the
// symbol, ts and seq every tick of ours carries). The crawler reads JSON
// lines with the same scanner, so what the sink accepts and what the crawler
// types agree.
//
// It is not a general JSON decoder (nothing is unmarshalled into Go values:
// members are handed over as found), and not the event encoder (package
// pipeline writes events).
//
// # Main types
//
//   - Decoder: Object checks a record and says whether its keys are the last
//     one's (the sink has one Decoder per decoding goroutine, and keeps what
//     it derived from the keys while they are); Header and Fields check an
//     event of ours, quicker for a stream with the same keys.
//   - Field and Value: a member as found, for the sink, the Parquet writer
//     and the crawler; ScanObject reads one line.
//   - Header, DecodeHeader, DecodeFields: one event of ours.
//   - ParseUTCTime and TimeMemo: the events' own time shape, parsed quickly.
package eventjson

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Limits of what the sink accepts as a plausible tick; anything outside goes
// to the dead-letter prefix instead of the table.
const (
	MaxSymbolLen = 256
	MinYear      = 1970 // of ts, in UTC
	MaxYear      = 2200
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
	fields []Field // Fields' argument, here so that it need not escape
	// lastIsMemo says the last object Object accepted had the memo's keys.
	lastIsMemo bool
}

// Header is DecodeHeader.
func (d *Decoder) Header(b []byte) (Header, error) {
	d.s.reuse(b, nil, &d.memo)
	return d.s.decode()
}

// Fields is DecodeFields.
func (d *Decoder) Fields(b []byte, fields []Field) (Header, []Field, error) {
	d.fields = fields
	d.s.reuse(b, &d.fields, &d.memo)
	h, err := d.s.decode()
	fields, d.fields = d.fields, nil // the caller's now
	return h, fields, err
}

// DecodeFields is DecodeHeader that also appends every member of the
// event's object to fields, in document order. On error, fields may hold
// some members.
func DecodeFields(b []byte, fields []Field) (Header, []Field, error) {
	s := jsonScanner{b: b, fields: &fields}
	h, err := s.decode()
	return h, fields, err
}

// Object checks that b is one JSON object that a table can hold, by
// DecodeHeader's rules without a header (no key is required), and appends its
// members to fields, in document order. same says that the object's keys are
// those of the last object Object accepted, in the same order: a caller may
// keep what it derived from that object's keys (their columns) while same
// holds. It is false when in doubt (always after an object with nested
// values or escaped keys). On error, fields may hold some members.
func (d *Decoder) Object(b []byte, fields []Field) (out []Field, same bool, err error) {
	d.fields = fields
	d.s.reuse(b, &d.fields, &d.memo)
	err = d.s.document()
	fields, d.fields = d.fields, nil // the caller's now
	if err != nil {
		if d.s.isMemo {
			// The memo took this object's keys before what follows it
			// was found wrong: they are not the last accepted's.
			d.lastIsMemo = false
		}
		return fields, false, err
	}
	same = d.s.same && d.lastIsMemo
	d.lastIsMemo = d.s.isMemo
	return fields, same, nil
}

func (s *jsonScanner) decode() (Header, error) {
	if err := s.document(); err != nil {
		return Header{}, err
	}
	return s.header()
}

// document scans the whole of b, which must be one JSON object.
func (s *jsonScanner) document() error {
	b := s.b
	i := s.skipSpace(0)
	if i == len(b) || b[i] != '{' {
		return fmt.Errorf("%w: not a JSON object", ErrBadEvent)
	}
	i, err := s.scanTop(i)
	if err != nil {
		return err
	}
	if i = s.skipSpace(i); i < len(b) {
		if !strings.ContainsRune(`{["-0123456789tfn`, rune(b[i])) {
			return s.syntaxError(i, "after top-level value")
		}
		return fmt.Errorf("%w: more than one JSON value (offset %d)", ErrBadEvent, i)
	}
	return nil
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
	seq := s.seq.Raw
	if s.seq.IsString() {
		seq = s.seq.str(seqBuf[:0])
		if !validJSONNumber(seq) {
			return h, fmt.Errorf("%w: not valid JSON for an event: seq is the string %q, want a number", ErrBadEvent, string(seq))
		}
	}
	switch {
	case s.symbol.Kind == 0 || s.symbol.Kind == 'n':
		return h, fmt.Errorf("%w: no \"symbol\" field", ErrBadEvent)
	case s.ts.Kind == 0 || s.ts.Kind == 'n':
		return h, fmt.Errorf("%w: no \"ts\" field", ErrBadEvent)
	case s.seq.Kind == 0 || s.seq.Kind == 'n':
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
	if y := ts.Year(); y < MinYear || y > MaxYear {
		return h, fmt.Errorf("%w: ts %q is outside %d..%d", ErrBadEvent, string(tsText), MinYear, MaxYear)
	}

	n, err := parseSeq(seq)
	if err != nil || n < 0 {
		return h, fmt.Errorf("%w: seq %q is not a non-negative integer", ErrBadEvent, string(seq))
	}

	// A negative price is absurd; a price that is not a number at all is
	// some other source's column and left alone, as is one beyond a
	// float64 (encoding/json could not read it).
	if p := s.price.Raw; s.price.IsNumber() && p[0] == '-' {
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

// ParseUTCTime parses b if it is "2006-01-02T15:04:05Z", with or without a
// fraction of any number of digits. It rules as time.Parse does for this
// shape (which it tries first, and takes if valid): fields in range, the day
// one of the month, at most nine fraction digits used and the rest ignored.
// If ok is false, b may still be a time that time.Parse takes.
func ParseUTCTime(b []byte) (t time.Time, ok bool) {
	return parseUTCTimeOn(b, nil)
}

// TimeMemo parses times as ParseUTCTime does, quicker for a run of times
// of one day, as a stream's are: it keeps the last date's days. It is not
// for concurrent use; its zero value is ready to use.
type TimeMemo struct{ day dayMemo }

// ParseUTCTime is ParseUTCTime, with the date from the memo if it is the
// last one's.
func (m *TimeMemo) ParseUTCTime(b []byte) (time.Time, bool) {
	return parseUTCTimeOn(b, &m.day)
}

// dayMemo is the last date parseUTCTimeOn parsed: a stream's events are
// nearly all of one day, and checking and counting the day was a third of
// parsing a time.
type dayMemo struct {
	date [10]byte
	days int64 // since 1970-01-01
	ok   bool
}

// parseUTCTimeOn is ParseUTCTime, which takes the date's days from d when d
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
func (f *Value) typeError(name string, numberOK bool) error {
	if f.Kind == 0 || f.Kind == 'n' || f.IsString() || numberOK && f.IsNumber() {
		return nil
	}
	want := "a string"
	if numberOK {
		want = "a number"
	}
	return fmt.Errorf("%w: not valid JSON for an event: %s is %s, want %s", ErrBadEvent, name, kindName(f.Kind), want)
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
