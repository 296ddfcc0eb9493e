package eventjson

// The strict, single-pass JSON scanner behind DecodeHeader. The sink runs it
// on every record, so it validates and picks out the header fields in one walk
// over the bytes, without encoding/json's reflection, tokens and maps, and
// allocates nothing for a well-formed event. Its rules are encoding/json's
// (RFC 8259), checked against encoding/json itself by
// FuzzDecodeHeaderMatchesReference.

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/bits"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// maxJSONDepth is how deeply arrays and objects may nest, as in encoding/json:
// the scanner recurses once per level, and a record of a million '[' must be
// rejected rather than grow the stack without bound.
const maxJSONDepth = 10000

// linearJSONKeys is how many keys of an object are checked for repeats by
// comparing with each earlier key; beyond it a map takes over. An event has
// about ten keys, for which comparisons are cheaper than a map, but an object
// of 100,000 keys must not cost 10^10 comparisons.
const linearJSONKeys = 32

// Value is one JSON value as the scanner found it in an event, not decoded:
// a header field, or a member's value (Field).
type Value struct {
	// Raw is a string's bytes between the quotes, as written (unquote
	// them with AppendUnquoted if Escaped); for any other value, its bytes.
	Raw []byte
	// Kind is the first byte of the value: '"' for a string, '-' or a
	// digit for a number, 't', 'f', 'n', '{' or '['. Zero if absent.
	Kind    byte
	Escaped bool
	// Raw before Kind: a Field is 56 bytes, not 64, and the sink writes
	// one for each member of every record.
}

// IsString says whether the value is a string.
func (f *Value) IsString() bool { return f.Kind == '"' }

// IsNumber says whether the value is a number.
func (f *Value) IsNumber() bool { return f.Kind == '-' || '0' <= f.Kind && f.Kind <= '9' }

// str returns the string's value, unquoting it into buf if needed. It
// returns f.Raw itself when there is nothing to unquote.
func (f *Value) str(buf []byte) []byte {
	if !f.Escaped {
		return f.Raw
	}
	return AppendUnquoted(buf, f.Raw)
}

// jsonKey is an object key seen so far, for finding repeats.
type jsonKey struct {
	name []byte // unquoted
	// sketch is keySketch of the name, in lower case in the top-level
	// object: most comparisons are of two integers.
	sketch uint64
}

// jsonScanner walks one JSON value held in b. It is not safe for concurrent
// use; DecodeHeader makes one per call, on its stack.
//
// Each scanning method takes the offset of the first byte of what it scans
// and returns the offset just past it (or of the fault, with an error). The
// offset is passed rather than kept in the scanner so that it lives in a
// register: as a field, each byte scanned cost a store and a reload.
type jsonScanner struct {
	b []byte

	// The top-level object's keys: its first linearJSONKeys in an array
	// (so that an event costs no allocation), with a bit set in topSeen
	// for each (chosen by its sketch, so a key whose bit is clear is new
	// without a comparison); the rest, and those, in topByName (in lower
	// case, to its spelling).
	top       [linearJSONKeys]jsonKey
	ntop      int
	topSeen   uint64
	topByName map[string]string

	// The keys of the nested objects being scanned, outermost first; only
	// allocated if an event has nested objects.
	nested []jsonKey

	// The header fields, from the top-level object.
	symbol, ts, seq, price Value

	// fields, if not nil, gets every member of the top-level object, in
	// document order (DecodeFields: the Parquet sink needs them all).
	fields *[]Field

	// memo, if not nil, is the keys of the last flat event of a Decoder.
	memo *keyMemo

	// slow turns flatObject off, for tests that compare it with topObject.
	slow bool

	// same says the object's keys were the memo's, all of them, in order;
	// isMemo that they are now (same, or the memo took them).
	same, isMemo bool
}

// reuse readies a Decoder's scanner for the event b as a new scanner would
// be, but for the key array, which ntop says is empty: zeroing its kilobyte
// for every event cost a tenth of decoding one. TestScannerReuse checks that
// it clears every other field.
func (s *jsonScanner) reuse(b []byte, fields *[]Field, memo *keyMemo) {
	s.b, s.fields, s.memo = b, fields, memo
	s.ntop, s.topSeen, s.topByName = 0, 0, nil
	s.nested = s.nested[:0]
	s.symbol, s.ts, s.seq, s.price = Value{}, Value{}, Value{}, Value{}
	s.slow, s.same, s.isMemo = false, false, false
}

// ScanObject appends the members of the JSON object in b to fields, and
// says whether b is one valid JSON object (by DecodeHeader's rules, but with
// no header required): how the crawler reads a line of JSON lines.
func ScanObject(b []byte, fields []Field) ([]Field, bool) {
	s := jsonScanner{b: b, fields: &fields}
	i := s.skipSpace(0)
	if i == len(b) || b[i] != '{' {
		return fields, false
	}
	i, err := s.scanTop(i)
	return fields, err == nil && s.skipSpace(i) == len(b)
}

// Field is one member of an event's top-level object, as DecodeFields
// finds it. Name and Raw may point into the event's bytes.
type Field struct {
	Name []byte // unescaped
	Value
}

// syntaxError reports that the JSON is malformed at b[i].
func (s *jsonScanner) syntaxError(i int, context string) error {
	if i >= len(s.b) {
		return fmt.Errorf("%w: not valid JSON: unexpected end of JSON input", ErrBadEvent)
	}
	c := s.b[i]
	what := fmt.Sprintf("%q", c)
	if c >= utf8.RuneSelf {
		what = fmt.Sprintf("byte %#x", c)
	}
	return fmt.Errorf("%w: not valid JSON: invalid character %s %s (offset %d)", ErrBadEvent, what, context, i)
}

// skipSpace skips JSON's four whitespace characters; RFC 8259 allows no
// others (not \v, \f or Unicode spaces, which the readers of the table reject).
func (s *jsonScanner) skipSpace(i int) int {
	b := s.b
	for i < len(b) && b[i] <= ' ' && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// value scans the value at b[i] (not whitespace), which sits inside depth
// open arrays and objects.
func (s *jsonScanner) value(i, depth int) (int, error) {
	if i >= len(s.b) {
		return i, s.syntaxError(i, "")
	}
	switch c := s.b[i]; c {
	case '"':
		i, _, _, err := s.str(i)
		return i, err
	case '{':
		return s.object(i, depth+1)
	case '[':
		return s.array(i, depth+1)
	case 't':
		return s.literal(i, "true")
	case 'f':
		return s.literal(i, "false")
	case 'n':
		return s.literal(i, "null")
	default:
		end, ok, big := scanNumber(s.b, i)
		if !ok {
			if end == i {
				return end, s.syntaxError(end, "looking for beginning of value")
			}
			return end, s.syntaxError(end, "in numeric literal")
		}
		if big && !numberFits(s.b[i:end]) {
			return i, s.rangeError(i, end)
		}
		return end, nil
	}
}

// topObject scans the top-level object, whose '{' is at b[i]: it keeps the
// header fields, and checks that no two keys differ only in case.
func (s *jsonScanner) topObject(i int) (int, error) {
	i = s.skipSpace(i + 1)
	if i < len(s.b) && s.b[i] == '}' {
		return i + 1, nil
	}
	for {
		var name []byte
		var nonASCII, more bool
		var err error
		if name, nonASCII, i, err = s.key(i); err != nil {
			return i, err
		}
		if err := s.addTopKey(name, nonASCII); err != nil {
			return i, err
		}
		if s.fields != nil {
			var f Value
			i, err = s.fieldValue(i, &f)
			*s.fields = append(*s.fields, Field{Name: name, Value: f})
			if h := s.headerField(name); h != nil {
				*h = f
			}
		} else if f := s.headerField(name); f != nil {
			i, err = s.fieldValue(i, f)
		} else {
			i, err = s.value(i, 1)
		}
		if err != nil {
			return i, err
		}
		// Most values are followed by a comma and no space.
		if i < len(s.b) && s.b[i] == ',' {
			i = s.skipSpace(i + 1)
			continue
		}
		if i, more, err = s.next(i, '}', "after object key:value pair"); err != nil || !more {
			return i, err
		}
	}
}

// scanTop scans the top-level object, whose '{' is at b[i]: the quick way if
// it is flat, else with topObject. Both find the same fields and keys.
func (s *jsonScanner) scanTop(i int) (int, error) {
	if !s.slow {
		nfields := 0
		if s.fields != nil {
			nfields = len(*s.fields)
		}
		if end, ok := s.flatObject(i); ok {
			return end, nil
		}
		// Forget what the quick scan recorded, and start over.
		if s.fields != nil {
			*s.fields = (*s.fields)[:nfields]
		}
		s.reuse(s.b, s.fields, s.memo)
	}
	return s.topObject(i)
}

// flatObject is topObject for the shape of nearly every event: keys of
// printable ASCII without escapes, values that are numbers, literals or such
// strings, and no nested object or array. It is one loop with nothing called
// per byte, about twice as quick as topObject, which the sink would otherwise
// spend a third of its time in. It says false as soon as it meets anything
// else (or anything wrong), and the caller scans the object again with
// topObject, which accepts or rejects it and says why.
//
// With a memo, a key that is the memo's key at its place is taken as it is:
// the memo's keys were checked, and are distinct from each other. From the
// first key that is not, the keys so far are registered and every key is
// checked as usual; such an event, once accepted, is the new memo.
func (s *jsonScanner) flatObject(i int) (int, bool) {
	b := s.b
	m := s.memo
	matched, diverged := 0, m == nil // leading keys found in the memo
	i = s.skipSpace(i + 1)
	for {
		// The key, and the colon after it.
		if i >= len(b) || b[i] != '"' {
			return i, false
		}
		start := i + 1
		var name []byte
		header := headerNone
		if !diverged && matched < len(m.keys) && m.at(b, start, matched) {
			name = b[start : start+len(m.keys[matched])]
			i = start + len(name)
			header = m.header[matched]
			matched++
		} else {
			if !diverged {
				diverged = true
				for _, k := range m.keys[:matched] {
					s.addTopKey(k, false) // distinct: they were the memo's
				}
			}
			if i = skipPlainTail(b, start); i >= len(b) || b[i] != '"' {
				return i, false
			}
			name = b[start:i]
			if s.addTopKey(name, false) != nil {
				return i, false
			}
			header = headerKindOf(name)
		}
		if i = s.skipSpace(i + 1); i >= len(b) || b[i] != ':' {
			return i, false
		}
		i = s.skipSpace(i + 1)

		// The value.
		if i >= len(b) {
			return i, false
		}
		var f Value
		switch c := b[i]; c {
		case '"':
			end := skipPlain(b, i+1)
			if end >= len(b) || b[end] != '"' {
				return i, false
			}
			f = Value{Kind: '"', Raw: b[i+1 : end]}
			i = end + 1
		case 't', 'f', 'n':
			word := "null"
			if c == 't' {
				word = "true"
			} else if c == 'f' {
				word = "false"
			}
			end, err := s.literal(i, word)
			if err != nil {
				return i, false
			}
			f = Value{Kind: c, Raw: b[i:end]}
			i = end
		default:
			end, ok, big := scanNumber(b, i)
			if !ok || big && !numberFits(b[i:end]) {
				return i, false
			}
			f = Value{Kind: c, Raw: b[i:end]}
			i = end
		}
		if s.fields != nil {
			// Member by member where there is room: while the GC marks,
			// appending a whole Field took the bulk write barrier, which
			// cost the sink more than storing its two slices.
			if fs := *s.fields; len(fs) < cap(fs) {
				fs = fs[:len(fs)+1]
				m := &fs[len(fs)-1]
				m.Name, m.Raw, m.Kind, m.Escaped = name, f.Raw, f.Kind, f.Escaped
				*s.fields = fs
			} else {
				*s.fields = append(fs, Field{Name: name, Value: f})
			}
		}
		if header != headerNone {
			*s.headerAt(header) = f
		}

		// A comma and the next member, or the end of the object.
		if i = s.skipSpace(i); i >= len(b) {
			return i, false
		}
		switch b[i] {
		case ',':
			i = s.skipSpace(i + 1)
		case '}':
			s.same = !diverged && m != nil && matched == len(m.keys)
			remembered := diverged && m != nil && s.topByName == nil
			if remembered {
				m.remember(s.top[:s.ntop])
			} else if !diverged && !s.same && m != nil {
				// The memo's first keys and no more: they are the memo now.
				m.keys, m.header = m.keys[:matched], m.header[:matched]
				remembered = true
			}
			s.isMemo = s.same || remembered
			return i + 1, true
		default:
			return i, false
		}
	}
}

// keyMemo is the keys, in order, of the last flat event a Decoder accepted
// with keys other than the memo's before. Events of one source have the same
// keys in the same order: a key checked against the memo is one comparison,
// where a new key is scanned, hashed and compared with the others.
//
// It also keeps the last event's date and the symbols seen, for the header.
// A nil *keyMemo remembers nothing.
type keyMemo struct {
	keys    [][]byte // copies, in text
	header  []headerKind
	text    []byte
	day     dayMemo
	symbols map[string]string
}

// maxMemoSymbols bounds the symbols a memo keeps: a source has a few
// hundred or thousand; one with more starts over when it has this many.
const maxMemoSymbols = 4096

// symbol is string(sym), the same string for the same symbol: a new string
// for every event was half the allocations of the sink's decoding.
func (m *keyMemo) symbol(sym []byte) string {
	if m == nil {
		return string(sym)
	}
	if s, ok := m.symbols[string(sym)]; ok {
		return s
	}
	if m.symbols == nil || len(m.symbols) >= maxMemoSymbols {
		m.symbols = make(map[string]string)
	}
	s := string(sym)
	m.symbols[s] = s
	return s
}

// at says whether the key that starts at b[i] is the memo's k'th key: its
// bytes and then the closing quote.
func (m *keyMemo) at(b []byte, i, k int) bool {
	key := m.keys[k]
	end := i + len(key)
	return end < len(b) && b[end] == '"' && string(b[i:end]) == string(key)
}

// remember makes keys, an accepted event's, the memo. The leading keys may
// be the memo's own text (flatObject registers the keys it matched): they
// come first and in order, so each is copied onto itself.
func (m *keyMemo) remember(keys []jsonKey) {
	m.keys, m.header, m.text = m.keys[:0], m.header[:0], m.text[:0]
	for _, k := range keys {
		m.text = append(m.text, k.name...)
	}
	off := 0
	for _, k := range keys {
		m.keys = append(m.keys, m.text[off:off+len(k.name):off+len(k.name)])
		m.header = append(m.header, headerKindOf(k.name))
		off += len(k.name)
	}
}

// headerKind says which header field, if any, a top-level key names.
type headerKind uint8

const (
	headerNone headerKind = iota
	headerSymbol
	headerTS
	headerSeq
	headerPrice
)

func headerKindOf(name []byte) headerKind {
	switch string(name) {
	case "symbol":
		return headerSymbol
	case "ts":
		return headerTS
	case "seq":
		return headerSeq
	}
	if equalFoldASCII(name, "price") {
		return headerPrice
	}
	return headerNone
}

// headerAt is the scanner's field for a header kind other than headerNone.
func (s *jsonScanner) headerAt(k headerKind) *Value {
	switch k {
	case headerSymbol:
		return &s.symbol
	case headerTS:
		return &s.ts
	case headerSeq:
		return &s.seq
	default:
		return &s.price
	}
}

// object scans a nested object, whose '{' is at b[i], the depth'th nested
// container.
func (s *jsonScanner) object(i, depth int) (int, error) {
	if depth > maxJSONDepth {
		return i, fmt.Errorf("%w: not valid JSON: nested more than %d deep (offset %d)", ErrBadEvent, maxJSONDepth, i)
	}
	i = s.skipSpace(i + 1)
	if i < len(s.b) && s.b[i] == '}' {
		return i + 1, nil
	}
	keys := nestedKeys{start: len(s.nested)}
	for {
		var name []byte
		var more bool
		var err error
		if name, _, i, err = s.key(i); err != nil {
			return i, err
		}
		if err := s.addNestedKey(&keys, name); err != nil {
			return i, err
		}
		if i, err = s.value(i, depth); err != nil {
			return i, err
		}
		if i, more, err = s.next(i, '}', "after object key:value pair"); err != nil || !more {
			s.nested = s.nested[:keys.start]
			return i, err
		}
	}
}

// key scans the key at b[i] of an object member, the colon after it, and
// whitespace. It returns the key unquoted, whether it is not all ASCII, and
// the offset of the member's value.
func (s *jsonScanner) key(i int) (name []byte, nonASCII bool, next int, err error) {
	b := s.b
	if i >= len(b) || b[i] != '"' {
		return nil, false, i, s.syntaxError(i, "looking for beginning of object key string")
	}
	start := i + 1
	// Most keys are short plain ASCII, whose end a byte loop finds
	// quicker than a call to skipPlain.
	if i = skipPlainTail(b, start); i < len(b) && b[i] == '"' {
		name = b[start:i]
		i++
	} else {
		var escaped bool
		if i, escaped, nonASCII, err = s.str(start - 1); err != nil {
			return nil, false, i, err
		}
		name = b[start : i-1]
		if escaped {
			name = AppendUnquoted(nil, name)
			nonASCII = !isASCII(name)
		}
	}
	i = s.skipSpace(i)
	if i >= len(b) || b[i] != ':' {
		return nil, false, i, s.syntaxError(i, "after object key")
	}
	return name, nonASCII, s.skipSpace(i + 1), nil
}

// next scans what may follow a value in an array or object: whitespace and
// either a comma and more whitespace (more is true: another value follows),
// or the closing end.
func (s *jsonScanner) next(i int, end byte, context string) (next int, more bool, err error) {
	i = s.skipSpace(i)
	if i < len(s.b) {
		switch s.b[i] {
		case ',':
			return s.skipSpace(i + 1), true, nil
		case end:
			return i + 1, false, nil
		}
	}
	return i, false, s.syntaxError(i, context)
}

// headerField returns the field that the top-level key name fills, if any.
// symbol, ts and seq must be spelled exactly so (the table's columns are
// looked up by these names); price is matched regardless of ASCII case, as
// encoding/json did, which is also how the table sees it: a "PRICE" column is
// the price column to Glue and DuckDB.
func (s *jsonScanner) headerField(name []byte) *Value {
	if k := headerKindOf(name); k != headerNone {
		return s.headerAt(k)
	}
	return nil
}

// fieldValue scans the value at b[i] of a header field and records it in f.
func (s *jsonScanner) fieldValue(i int, f *Value) (int, error) {
	start := i
	if i < len(s.b) && s.b[i] == '"' {
		i, escaped, _, err := s.str(i)
		if err != nil {
			return i, err
		}
		*f = Value{Kind: '"', Raw: s.b[start+1 : i-1], Escaped: escaped}
		return i, nil
	}
	i, err := s.value(i, 1)
	if err != nil {
		return i, err
	}
	*f = Value{Kind: s.b[start], Raw: s.b[start:i]}
	return i, nil
}

// addTopKey records a key of the top-level object, or says why it may not be
// there: it appeared before, or another key differs from it only in case
// (Glue lowers column names, DuckDB ignores their case, so the two would be
// one column). Case is Go's strings.ToLower.
func (s *jsonScanner) addTopKey(name []byte, nonASCII bool) error {
	lower := name
	if nonASCII {
		lower = bytes.ToLower(name) // rare: non-ASCII column names
	}
	h := keySketch(lower)
	bit := uint64(1) << (h * 0x9e3779b97f4a7c15 >> 58) // Fibonacci hashing
	if s.topSeen&bit == 0 && s.ntop < linearJSONKeys {
		s.top[s.ntop] = jsonKey{name: name, sketch: h}
		s.ntop++
		s.topSeen |= bit
		return nil
	}
	if s.topByName == nil {
		for _, k := range s.top[:s.ntop] {
			if k.sketch != h {
				continue
			}
			if bytes.Equal(k.name, name) {
				return fmt.Errorf("%w: key %q appears twice in an object", ErrBadEvent, name)
			}
			if sameLower(k.name, name) {
				return fmt.Errorf("%w: keys %q and %q differ only in case", ErrBadEvent, k.name, name)
			}
		}
		if s.ntop < linearJSONKeys {
			s.top[s.ntop] = jsonKey{name: name, sketch: h}
			s.ntop++
			s.topSeen |= bit
			return nil
		}
		// Too many to compare with each: switch to a map.
		s.topByName = make(map[string]string, 2*linearJSONKeys)
		for _, k := range s.top[:s.ntop] {
			s.topByName[string(bytes.ToLower(k.name))] = string(k.name)
		}
	}
	folded := string(bytes.ToLower(name))
	if other, ok := s.topByName[folded]; ok {
		if other == string(name) {
			return fmt.Errorf("%w: key %q appears twice in an object", ErrBadEvent, name)
		}
		return fmt.Errorf("%w: keys %q and %q differ only in case", ErrBadEvent, other, name)
	}
	s.topByName[folded] = string(name)
	return nil
}

// nestedKeys are the keys of a nested object being scanned: in
// jsonScanner.nested from start, or, past linearJSONKeys, in byName.
type nestedKeys struct {
	start  int
	byName map[string]bool
}

// addNestedKey records a key of a nested object, or says that it appeared
// before in the object.
func (s *jsonScanner) addNestedKey(o *nestedKeys, name []byte) error {
	if o.byName == nil {
		h := keySketch(name)
		for _, k := range s.nested[o.start:] {
			if k.sketch == h && bytes.Equal(k.name, name) {
				return fmt.Errorf("%w: key %q appears twice in an object", ErrBadEvent, name)
			}
		}
		if len(s.nested)-o.start < linearJSONKeys {
			s.nested = append(s.nested, jsonKey{name: name, sketch: h})
			return nil
		}
		// Too many to compare with each: switch to a map.
		o.byName = make(map[string]bool, 2*linearJSONKeys)
		for _, k := range s.nested[o.start:] {
			o.byName[string(k.name)] = true
		}
	}
	if o.byName[string(name)] {
		return fmt.Errorf("%w: key %q appears twice in an object", ErrBadEvent, name)
	}
	o.byName[string(name)] = true
	return nil
}

// array scans the array whose '[' is at b[i], the depth'th nested container.
func (s *jsonScanner) array(i, depth int) (int, error) {
	if depth > maxJSONDepth {
		return i, fmt.Errorf("%w: not valid JSON: nested more than %d deep (offset %d)", ErrBadEvent, maxJSONDepth, i)
	}
	i = s.skipSpace(i + 1)
	if i < len(s.b) && s.b[i] == ']' {
		return i + 1, nil
	}
	for {
		var more bool
		var err error
		if i, err = s.value(i, depth); err != nil {
			return i, err
		}
		if i, more, err = s.next(i, ']', "after array element"); err != nil || !more {
			return i, err
		}
	}
}

// literal scans the true, false or null at b[i].
func (s *jsonScanner) literal(i int, word string) (int, error) {
	if len(s.b)-i >= len(word) && string(s.b[i:i+len(word)]) == word {
		return i + len(word), nil
	}
	// Point at the first byte that differs.
	for j := 0; i < len(s.b) && s.b[i] == word[j]; j++ {
		i++
	}
	return i, s.syntaxError(i, "in literal "+word)
}

// scanNumber scans the number at b[i]:
//
//	-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
//
// and returns where it ends, or where it goes wrong and false. What follows
// a number is the caller's to check, so "01" fails there, at the '1'. big
// says the number may be beyond a float64 (numberFits tells): it has an
// exponent, or more integer digits than the largest float64 has.
func scanNumber(b []byte, i int) (end int, ok, big bool) {
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && '1' <= b[i] && b[i] <= '9':
		start := i
		i = skipDigits(b, i+1)
		big = i-start > maxFloatDigits
	default:
		return i, false, false
	}
	if i < len(b) && b[i] == '.' {
		j := skipDigits(b, i+1)
		if j == i+1 {
			return j, false, false
		}
		i = j
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		j := skipDigits(b, i)
		if j == i {
			return j, false, false
		}
		i, big = j, true
	}
	return i, true, big
}

// maxFloatDigits is how many integer digits the largest float64 has
// (1.8e308): a number of no more digits and no exponent fits.
const maxFloatDigits = 309

// numberFits says whether a JSON number is within a float64's range. One
// beyond it (1e400) reads back as infinity, or as an error, depending on the
// query engine, so a table cannot hold it; one too small (1e-400) reads as
// 0, as in every engine.
func numberFits(num []byte) bool {
	_, err := strconv.ParseFloat(string(num), 64)
	return err == nil
}

// rangeError reports that the number b[i:end] is beyond a float64.
func (s *jsonScanner) rangeError(i, end int) error {
	num := s.b[i:end]
	if len(num) > 40 {
		num = append(num[:20:20], "..."...)
	}
	return fmt.Errorf("%w: the number %s is out of a double's range (offset %d)", ErrBadEvent, num, i)
}

func skipDigits(b []byte, i int) int {
	for i < len(b) && '0' <= b[i] && b[i] <= '9' {
		i++
	}
	return i
}

// jsonPlain marks the bytes that stand for themselves inside a string: not the
// quote, the backslash, a control character, or the start of a multi-byte
// UTF-8 sequence (which must be checked).
var jsonPlain = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// skipPlain returns the offset of the first byte from b[i] on that is not
// jsonPlain, or len(b). It looks at eight bytes at a time, with the bit
// tricks of "Determine if a word has a byte less than n" (Hacker's Delight,
// 6-1; Bit Twiddling Hacks): nearly every string of an event ends in the
// first eight.
func skipPlain(b []byte, i int) int {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	for ; i+8 <= len(b); i += 8 {
		x := binary.LittleEndian.Uint64(b[i:])
		q := x ^ (ones * '"')  // zero bytes where x has '"'
		e := x ^ (ones * '\\') // zero bytes where x has '\\'
		// The high bit of a byte is set where it is zero in q or e,
		// where x is below 0x20, or where x is 0x80 or above. A borrow
		// can set it falsely, but only above a byte truly set, so the
		// lowest one set is the first byte that is not plain.
		if special := ((q-ones)&^q | (e-ones)&^e | (x - ones*0x20) | x) & highs; special != 0 {
			return i + bits.TrailingZeros64(special)/8
		}
	}
	return skipPlainTail(b, i)
}

// skipPlainTail is skipPlain a byte at a time, for its last seven bytes or
// fewer, and for short strings.
func skipPlainTail(b []byte, i int) int {
	for i < len(b) && jsonPlain[b[i]] {
		i++
	}
	return i
}

// str scans the string whose opening quote is at b[i] and says whether it
// has escapes, and whether any of its bytes is not ASCII. The bytes must be
// valid UTF-8: encoding/json would quietly replace bad bytes with U+FFFD, but
// the sink stores the record as it came, and a query engine fails on the
// whole table for one such line.
func (s *jsonScanner) str(i int) (end int, escaped, nonASCII bool, err error) {
	b := s.b
	i++
	for {
		i = skipPlain(b, i)
		if i >= len(b) {
			return i, escaped, nonASCII, s.syntaxError(i, "")
		}
		switch c := b[i]; {
		case c == '"':
			return i + 1, escaped, nonASCII, nil
		case c == '\\':
			escaped = true
			if i, err = s.escape(i); err != nil {
				return i, escaped, nonASCII, err
			}
		case c < 0x20:
			return i, escaped, nonASCII, s.syntaxError(i, "(a control character) in string literal")
		default:
			nonASCII = true
			r, n := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && n == 1 {
				return i, escaped, nonASCII, fmt.Errorf("%w: not valid UTF-8 (offset %d)", ErrBadEvent, i)
			}
			i += n
		}
	}
}

// escape scans the escape sequence whose backslash is at b[i].
func (s *jsonScanner) escape(i int) (int, error) {
	b := s.b
	i++
	if i >= len(b) {
		return i, s.syntaxError(i, "")
	}
	switch b[i] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		return i + 1, nil
	case 'u':
		i++
		for range 4 {
			if i >= len(b) || unhex(b[i]) < 0 {
				return i, s.syntaxError(i, `in \u hexadecimal character escape`)
			}
			i++
		}
		if r := unhex4(b[i-4:]); utf16.IsSurrogate(r) {
			// Half a UTF-16 surrogate pair stands for no character:
			// encoding/json reads it as U+FFFD, but DuckDB and Athena
			// fail on the whole file that holds it.
			if r < 0xdc00 && i+6 <= len(b) && b[i] == '\\' && b[i+1] == 'u' && isHex4(b[i+2:i+6]) {
				if lo := unhex4(b[i+2:]); 0xdc00 <= lo && lo <= 0xdfff {
					return i + 6, nil
				}
			}
			return i, fmt.Errorf("%w: \\u%s at offset %d is half a UTF-16 surrogate pair, which no table can hold", ErrBadEvent, b[i-4:i], i-6)
		}
		return i, nil
	default:
		return i, s.syntaxError(i, "in string escape code")
	}
}

func unhex(c byte) rune {
	switch {
	case '0' <= c && c <= '9':
		return rune(c - '0')
	case 'a' <= c && c <= 'f':
		return rune(c - 'a' + 10)
	case 'A' <= c && c <= 'F':
		return rune(c - 'A' + 10)
	}
	return -1
}

// isHex4 says whether b is four hex digits.
func isHex4(b []byte) bool {
	return unhex(b[0]) >= 0 && unhex(b[1]) >= 0 && unhex(b[2]) >= 0 && unhex(b[3]) >= 0
}

// unhex4 decodes the four hex digits of a \u escape that str has checked.
func unhex4(b []byte) rune {
	return unhex(b[0])<<12 | unhex(b[1])<<8 | unhex(b[2])<<4 | unhex(b[3])
}

// AppendUnquoted appends the value of a string's bytes between the quotes,
// as checked by str, to dst. Like encoding/json, it decodes a \u escape of
// half a UTF-16 surrogate pair that lacks its other half as U+FFFD (and then
// reads the next escape on its own).
func AppendUnquoted(dst, s []byte) []byte {
	for i := 0; i < len(s); {
		j := bytes.IndexByte(s[i:], '\\')
		if j < 0 {
			return append(dst, s[i:]...)
		}
		dst = append(dst, s[i:i+j]...)
		i += j
		c := s[i+1]
		i += 2
		switch c {
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r := unhex4(s[i:])
			i += 4
			if utf16.IsSurrogate(r) {
				if i+6 <= len(s) && s[i] == '\\' && s[i+1] == 'u' {
					if pair := utf16.DecodeRune(r, unhex4(s[i+2:])); pair != utf8.RuneError {
						dst = utf8.AppendRune(dst, pair)
						i += 6
						continue
					}
				}
				r = utf8.RuneError
			}
			dst = utf8.AppendRune(dst, r)
		default: // '"', '\\', '/'
			dst = append(dst, c)
		}
	}
	return dst
}

// validJSONNumber says whether b is a JSON number and nothing else.
func validJSONNumber(b []byte) bool {
	end, ok, _ := scanNumber(b, 0)
	return ok && end == len(b)
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// keySketch packs the length and the first, middle and last bytes of a key,
// each with bit 5 set: cheaper than a hash of every byte, and enough to tell
// an event's column names apart; any that collide are compared in full.
// Setting bit 5 lowers ASCII letters, so an ASCII key sketches as its lower
// case does.
func keySketch(b []byte) uint64 {
	if len(b) == 0 {
		return 0
	}
	return uint64(len(b))<<24 | uint64(b[0]|0x20)<<16 | uint64(b[len(b)/2]|0x20)<<8 | uint64(b[len(b)-1]|0x20)
}

// sameLower says whether strings.ToLower(a) == strings.ToLower(b).
func sameLower(a, b []byte) bool {
	if isASCII(a) && isASCII(b) {
		return equalFoldASCII(a, b)
	}
	return bytes.Equal(bytes.ToLower(a), bytes.ToLower(b))
}

// equalFoldASCII compares a and b ignoring ASCII case.
func equalFoldASCII[T string | []byte](a []byte, b T) bool {
	if len(a) != len(b) {
		return false
	}
	for i, c := range a {
		d := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if 'A' <= d && d <= 'Z' {
			d += 'a' - 'A'
		}
		if c != d {
			return false
		}
	}
	return true
}
