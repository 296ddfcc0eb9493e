package duckdb

// How Athena's OpenX JSON SerDe (org.openx.data.jsonserde.JsonSerDe, as
// Trino reads it) turns one line of a JSON table's file into a row:
//
//   - The line is trimmed. One that does not start with { or [ is a row of
//     NULLs; one that does and is not valid JSON fails the query, unless
//     'ignore.malformed.json' = 'true', which makes it a row of NULLs.
//   - An object's keys name its columns: without regard to case unless
//     'case.insensitive' = 'false' (then a key must be the lower-case
//     column name); 'mapping.<column>' = '<key>' names a column's key;
//     with 'dots.in.keys' = 'true' a key "a.b" is also column a_b. Two
//     keys that are one name are malformed JSON. An array's elements are
//     the columns in order.
//   - A value becomes the column's type as Trino's decoders do: a number or
//     string that does not parse is NULL (1.9 into an integer is 1, "x"
//     NULL), true is only "true" in any case, an object or array where a
//     primitive is expected fails the query, a varchar holds an object's
//     or array's JSON text, an array column takes a single value as a
//     one-element array, decimals round half up.

import (
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/duckdb/duckdb-go/v2"

	"pipeline/catalog"
)

// hjValue is one JSON value as the SerDe sees it. A JSON null is a nil
// *hjValue.
type hjValue struct {
	kind   byte   // '"' string, '0' number, 't' true, 'f' false, '{' object, '[' array
	text   string // a string's value, or a number's or literal's text as written
	keys   []string
	values []*hjValue // an object's (with keys) or an array's
}

func (v *hjValue) primitive() bool { return v.kind != '{' && v.kind != '[' }

// errMalformed is the line's JSON is not valid.
type errMalformed struct{ msg string }

func (e *errMalformed) Error() string {
	return "Row is not a valid JSON Object - JSONException: " + e.msg
}

// jsonParser parses one line's JSON strictly (RFC 8259). Its values are
// taken from an arena it reuses for the next line: they are valid until
// then.
type jsonParser struct {
	s string
	i int
	// foldKeys makes keys that differ only in case duplicates.
	foldKeys bool
	arena    [][]hjValue
	used     int // values of the arena in use
}

const arenaBlock = 256

// reset starts a new line.
func (p *jsonParser) reset(line string) {
	p.s, p.i, p.used = line, 0, 0
}

// alloc returns a cleared value of the given kind from the arena, its
// slices' storage kept for reuse.
func (p *jsonParser) alloc(kind byte, text string) *hjValue {
	b, k := p.used/arenaBlock, p.used%arenaBlock
	if b == len(p.arena) {
		p.arena = append(p.arena, make([]hjValue, arenaBlock))
	}
	p.used++
	v := &p.arena[b][k]
	v.kind, v.text, v.keys, v.values = kind, text, v.keys[:0], v.values[:0]
	return v
}

func (p *jsonParser) fail(format string, args ...any) error {
	return &errMalformed{fmt.Sprintf(format, args...) + fmt.Sprintf(" at character %d", p.i+1)}
}

func (p *jsonParser) space() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// parse reads the whole line as one value.
func (p *jsonParser) parse() (*hjValue, error) {
	v, err := p.value(0)
	if err != nil {
		return nil, err
	}
	p.space()
	if p.i != len(p.s) {
		return nil, p.fail("text after the value")
	}
	return v, nil
}

const maxJSONDepth = 1000

func (p *jsonParser) value(depth int) (*hjValue, error) {
	if depth > maxJSONDepth {
		return nil, p.fail("nested too deep")
	}
	p.space()
	if p.i >= len(p.s) {
		return nil, p.fail("unexpected end of text")
	}
	switch c := p.s[p.i]; {
	case c == '{':
		return p.object(depth)
	case c == '[':
		p.i++
		v := p.alloc('[', "")
		p.space()
		if p.i < len(p.s) && p.s[p.i] == ']' {
			p.i++
			return v, nil
		}
		for {
			e, err := p.value(depth + 1)
			if err != nil {
				return nil, err
			}
			v.values = append(v.values, e)
			p.space()
			if p.i < len(p.s) && p.s[p.i] == ',' {
				p.i++
				continue
			}
			if p.i < len(p.s) && p.s[p.i] == ']' {
				p.i++
				return v, nil
			}
			return nil, p.fail("expected , or ]")
		}
	case c == '"':
		s, err := p.str()
		if err != nil {
			return nil, err
		}
		return p.alloc('"', s), nil
	case c == '-' || '0' <= c && c <= '9':
		start := p.i
		if c == '-' {
			p.i++
		}
		digits := func() int {
			n := 0
			for p.i < len(p.s) && '0' <= p.s[p.i] && p.s[p.i] <= '9' {
				p.i++
				n++
			}
			return n
		}
		intStart := p.i
		if n := digits(); n == 0 || n > 1 && p.s[intStart] == '0' {
			return nil, p.fail("invalid number")
		}
		if p.i < len(p.s) && p.s[p.i] == '.' {
			p.i++
			if digits() == 0 {
				return nil, p.fail("invalid number")
			}
		}
		if p.i < len(p.s) && (p.s[p.i] == 'e' || p.s[p.i] == 'E') {
			p.i++
			if p.i < len(p.s) && (p.s[p.i] == '+' || p.s[p.i] == '-') {
				p.i++
			}
			if digits() == 0 {
				return nil, p.fail("invalid number")
			}
		}
		return p.alloc('0', p.s[start:p.i]), nil
	case strings.HasPrefix(p.s[p.i:], "true"):
		p.i += 4
		return p.alloc('t', "true"), nil
	case strings.HasPrefix(p.s[p.i:], "false"):
		p.i += 5
		return p.alloc('f', "false"), nil
	case strings.HasPrefix(p.s[p.i:], "null"):
		p.i += 4
		return nil, nil
	}
	return nil, p.fail("unexpected character %q", p.s[p.i])
}

func (p *jsonParser) object(depth int) (*hjValue, error) {
	p.i++ // {
	v := p.alloc('{', "")
	p.space()
	if p.i < len(p.s) && p.s[p.i] == '}' {
		p.i++
		return v, nil
	}
	for {
		p.space()
		if p.i >= len(p.s) || p.s[p.i] != '"' {
			return nil, p.fail("expected a key")
		}
		k, err := p.str()
		if err != nil {
			return nil, err
		}
		for _, prev := range v.keys {
			if prev == k || p.foldKeys && strings.EqualFold(prev, k) {
				if p.foldKeys {
					k = strings.ToLower(k)
				}
				return nil, &errMalformed{fmt.Sprintf("Duplicate key %q", k)}
			}
		}
		p.space()
		if p.i >= len(p.s) || p.s[p.i] != ':' {
			return nil, p.fail("expected :")
		}
		p.i++
		e, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		v.keys = append(v.keys, k)
		v.values = append(v.values, e)
		p.space()
		if p.i < len(p.s) && p.s[p.i] == ',' {
			p.i++
			continue
		}
		if p.i < len(p.s) && p.s[p.i] == '}' {
			p.i++
			return v, nil
		}
		return nil, p.fail("expected , or }")
	}
}

// str reads a string literal at p.i.
func (p *jsonParser) str() (string, error) {
	p.i++ // "
	start := p.i
	for p.i < len(p.s) && p.s[p.i] != '"' && p.s[p.i] != '\\' && p.s[p.i] >= 0x20 {
		p.i++
	}
	if p.i < len(p.s) && p.s[p.i] == '"' {
		s := p.s[start:p.i]
		p.i++
		if !utf8.ValidString(s) {
			return "", p.fail("invalid UTF-8")
		}
		return s, nil
	}
	var b strings.Builder
	b.WriteString(p.s[start:p.i])
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == '"':
			p.i++
			s := b.String()
			if !utf8.ValidString(s) {
				return "", p.fail("invalid UTF-8")
			}
			return s, nil
		case c < 0x20:
			return "", p.fail("control character in a string")
		case c != '\\':
			b.WriteByte(c)
			p.i++
			continue
		}
		p.i++
		if p.i >= len(p.s) {
			break
		}
		e := p.s[p.i]
		p.i++
		switch e {
		case '"', '\\', '/':
			b.WriteByte(e)
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'u':
			r, ok := p.hex4()
			if !ok {
				return "", p.fail("invalid \\u escape")
			}
			if 0xD800 <= r && r < 0xDC00 && strings.HasPrefix(p.s[p.i:], `\u`) {
				p.i += 2
				if r2, ok := p.hex4(); ok && 0xDC00 <= r2 && r2 < 0xE000 {
					r = 0x10000 + (r-0xD800)<<10 + (r2 - 0xDC00)
				} else {
					r = utf8.RuneError
				}
			}
			b.WriteRune(r)
		default:
			return "", p.fail("invalid escape \\%c", e)
		}
	}
	return "", p.fail("unterminated string")
}

func (p *jsonParser) hex4() (rune, bool) {
	if p.i+4 > len(p.s) {
		return 0, false
	}
	n, err := strconv.ParseUint(p.s[p.i:p.i+4], 16, 32)
	if err != nil {
		return 0, false
	}
	p.i += 4
	return rune(n), true
}

// jsonText writes v back as compact JSON, keys as written: what a varchar
// column holds for an object or array.
func jsonText(b *strings.Builder, v *hjValue) {
	switch {
	case v == nil:
		b.WriteString("null")
	case v.kind == '"':
		b.WriteString(strconv.Quote(v.text))
	case v.kind == '{':
		b.WriteByte('{')
		for i, k := range v.keys {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.Quote(k))
			b.WriteByte(':')
			jsonText(b, v.values[i])
		}
		b.WriteByte('}')
	case v.kind == '[':
		b.WriteByte('[')
		for i, e := range v.values {
			if i > 0 {
				b.WriteByte(',')
			}
			jsonText(b, e)
		}
		b.WriteByte(']')
	default:
		b.WriteString(v.text)
	}
}

// hiveJSONOptions are a JSON table's SerDe properties.
type hiveJSONOptions struct {
	CaseSensitive    bool              `json:"case_sensitive,omitempty"` // 'case.insensitive' = 'false'
	Mappings         map[string]string `json:"mappings,omitempty"`       // lower-case column -> key
	IgnoreMalformed  bool              `json:"ignore_malformed,omitempty"`
	DotsInKeys       bool              `json:"dots_in_keys,omitempty"`
	TimestampFormats []string          `json:"timestamp_formats,omitempty"` // Java DateTimeFormatter patterns
}

// serdeOptions reads the OpenX SerDe's properties of a table.
func serdeOptions(params map[string]string) hiveJSONOptions {
	var o hiveJSONOptions
	for k, v := range params {
		switch lk := strings.ToLower(k); {
		case lk == "case.insensitive":
			o.CaseSensitive = strings.EqualFold(strings.TrimSpace(v), "false")
		case lk == "ignore.malformed.json":
			o.IgnoreMalformed = strings.EqualFold(strings.TrimSpace(v), "true")
		case lk == "dots.in.keys":
			o.DotsInKeys = strings.EqualFold(strings.TrimSpace(v), "true")
		case lk == "timestamp.formats":
			for _, f := range splitFormats(v) {
				o.TimestampFormats = append(o.TimestampFormats, f)
			}
		case strings.HasPrefix(lk, "mapping."):
			if o.Mappings == nil {
				o.Mappings = map[string]string{}
			}
			o.Mappings[strings.TrimPrefix(lk, "mapping.")] = v
		}
	}
	return o
}

// splitFormats splits timestamp.formats at its commas, except those in
// quotes ('...').
func splitFormats(s string) []string {
	var out []string
	quoted, start := false, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\'':
			quoted = !quoted
		case ',':
			if !quoted {
				out = append(out, strings.TrimSpace(s[start:i]))
				start = i + 1
			}
		}
	}
	if f := strings.TrimSpace(s[start:]); f != "" {
		out = append(out, f)
	}
	return out
}

// fieldMatcher finds the value of each field of a row (the table's
// columns, or a struct's fields) in a JSON object.
type fieldMatcher struct {
	names   []string // lower case
	keys    []string // what each field's key must equal: its mapping or its name
	fold    bool
	dots    bool
	mapping bool // mappings apply
}

func newFieldMatcher(names []string, o *hiveJSONOptions) *fieldMatcher {
	m := &fieldMatcher{fold: !o.CaseSensitive, dots: o.DotsInKeys}
	for _, n := range names {
		n = strings.ToLower(n)
		k := n
		if mk, ok := o.Mappings[n]; ok {
			k = mk
		}
		m.names = append(m.names, n)
		m.keys = append(m.keys, k)
	}
	return m
}

func (m *fieldMatcher) equal(a, b string) bool {
	if m.fold {
		return strings.EqualFold(a, b)
	}
	return a == b
}

// lookup returns field i's value in obj, nil if it has none.
func (m *fieldMatcher) lookup(obj *hjValue, i int) *hjValue {
	for j, k := range obj.keys {
		if m.equal(k, m.keys[i]) {
			return obj.values[j]
		}
	}
	if m.dots && strings.IndexByte(m.names[i], '_') >= 0 {
		for j, k := range obj.keys {
			if strings.IndexByte(k, '.') >= 0 && m.equal(m.names[i], strings.ReplaceAll(k, ".", "_")) {
				return obj.values[j]
			}
		}
	}
	return nil
}

// errCoerce is a value that cannot be the column's type: the query fails.
type errCoerce struct{ msg string }

func (e *errCoerce) Error() string { return "Invalid JSON: " + e.msg }

func kindName(v *hjValue) string {
	switch v.kind {
	case '{':
		return "a JSON object"
	case '[':
		return "a JSON array"
	}
	return "a JSON primitive"
}

// hiveDecoder turns a JSON value into a Go value of its column's DuckDB
// type, as the SerDe does. nil is NULL.
type hiveDecoder func(v *hjValue) (any, error)

func newHiveDecoder(t *catalog.HiveType, o *hiveJSONOptions, formats []timestampFormat) hiveDecoder {
	prim := func(name string, f func(s string) any) hiveDecoder {
		return func(v *hjValue) (any, error) {
			if v == nil {
				return nil, nil
			}
			if !v.primitive() {
				return nil, &errCoerce{kindName(v) + " can not be coerced to a " + name}
			}
			return f(v.text), nil
		}
	}
	intOf := func(name string, min, max int64) hiveDecoder {
		return prim(name, func(s string) any {
			n, ok := parseHiveLong(s)
			if !ok || n < min || n > max {
				return nil
			}
			return n
		})
	}
	switch t.Kind {
	case "boolean":
		return func(v *hjValue) (any, error) {
			if v == nil {
				return nil, nil
			}
			return v.primitive() && strings.EqualFold(v.text, "true"), nil
		}
	case "tinyint":
		return intOf("TINYINT", math.MinInt8, math.MaxInt8)
	case "smallint":
		return intOf("SMALLINT", math.MinInt16, math.MaxInt16)
	case "int":
		return intOf("INTEGER", math.MinInt32, math.MaxInt32)
	case "bigint":
		return intOf("BIGINT", math.MinInt64, math.MaxInt64)
	case "double":
		return prim("DOUBLE", func(s string) any {
			f, ok := parseJavaDouble(s, 64)
			if !ok {
				return nil
			}
			return f
		})
	case "float":
		return prim("REAL", func(s string) any {
			f, ok := parseJavaDouble(s, 32)
			if !ok {
				return nil
			}
			return float32(f)
		})
	case "decimal":
		return prim(t.String(), func(s string) any {
			d, ok := parseHiveDecimal(s, t.Precision, t.Scale)
			if !ok {
				return nil
			}
			return d
		})
	case "date":
		return prim("DATE", func(s string) any {
			d, ok := parseHiveDate(s)
			if !ok {
				return nil
			}
			return d
		})
	case "timestamp":
		var last timestampParser // the way the last value parsed: values of a column mostly share one
		return prim("TIMESTAMP", func(s string) any {
			ts, ok := last.parse(s, formats)
			if !ok {
				return nil
			}
			return ts
		})
	case "binary":
		return func(v *hjValue) (any, error) {
			if v == nil {
				return nil, nil
			}
			if v.kind != '"' {
				return nil, &errCoerce{"only a JSON string can be a VARBINARY"}
			}
			b, err := base64.StdEncoding.DecodeString(v.text)
			if err != nil {
				return nil, &errCoerce{"a VARBINARY value is not base64: " + err.Error()}
			}
			return b, nil
		}
	case "string", "varchar", "char":
		limit := t.Precision
		return func(v *hjValue) (any, error) {
			if v == nil {
				return nil, nil
			}
			s := v.text
			if !v.primitive() {
				var b strings.Builder
				jsonText(&b, v)
				s = b.String()
			}
			if limit > 0 && utf8.RuneCountInString(s) > limit {
				s = string([]rune(s)[:limit])
			}
			if t.Kind == "char" {
				s = strings.TrimRight(s, " ")
			}
			return s, nil
		}
	case "array":
		elem := newHiveDecoder(t.Elem, o, formats)
		return func(v *hjValue) (any, error) {
			if v == nil || v.kind == '"' && v.text == "" {
				return nil, nil
			}
			items := v.values
			if v.kind != '[' {
				items = []*hjValue{v} // a single value is a one-element array
			}
			out := make([]any, len(items))
			for i, e := range items {
				var err error
				if out[i], err = elem(e); err != nil {
					return nil, err
				}
			}
			return out, nil
		}
	case "map":
		key := newHiveDecoder(t.Key, o, formats)
		val := newHiveDecoder(t.Value, o, formats)
		return func(v *hjValue) (any, error) {
			switch {
			case v == nil:
				return nil, nil
			case v.primitive() && strings.TrimSpace(v.text) == "":
				return nil, nil
			case v.kind != '{':
				return nil, &errCoerce{kindName(v) + " can not be coerced to a MAP"}
			}
			var m duckdb.OrderedMap
			seen := map[any]int{}
			for i, k := range v.keys {
				kv, err := key(&hjValue{kind: '"', text: k})
				if err != nil {
					return nil, err
				}
				if kv == nil {
					continue // a key that does not parse as the key type
				}
				vv, err := val(v.values[i])
				if err != nil {
					return nil, err
				}
				id := mapKeyID(kv)
				if _, dup := seen[id]; dup {
					continue // keys equal once typed: the first is kept
				}
				seen[id] = i
				m.Set(kv, vv)
			}
			return m, nil
		}
	case "struct":
		names := make([]string, len(t.Fields))
		decs := make([]hiveDecoder, len(t.Fields))
		for i, f := range t.Fields {
			names[i] = f.Name
			decs[i] = newHiveDecoder(f.Type, o, formats)
		}
		fm := newFieldMatcher(names, o)
		return func(v *hjValue) (any, error) {
			if v == nil {
				return nil, nil
			}
			out := make(map[string]any, len(names))
			switch {
			case v.primitive():
				if strings.TrimSpace(v.text) != "" {
					return nil, &errCoerce{"a JSON primitive can not be coerced to a ROW"}
				}
				for _, n := range names {
					out[n] = nil
				}
				return out, nil
			case v.kind == '[':
				for i, n := range names {
					var e *hjValue
					if i < len(v.values) {
						e = v.values[i]
					}
					var err error
					if out[n], err = decs[i](e); err != nil {
						return nil, err
					}
				}
				return out, nil
			}
			for i, n := range names {
				var err error
				if out[n], err = decs[i](fm.lookup(v, i)); err != nil {
					return nil, err
				}
			}
			return out, nil
		}
	}
	return func(*hjValue) (any, error) { return nil, fmt.Errorf("type %s is not readable", t) }
}

// mapKeyID is a map key as a comparable value.
func mapKeyID(k any) any {
	switch x := k.(type) {
	case []byte:
		return string(x)
	case duckdb.Decimal:
		return x.String()
	}
	return k
}

// parseHiveLong parses an integer as the SerDe does: decimal, 0x hex, 0
// octal, else any decimal number truncated toward zero; false if it is
// none of these or does not fit 64 bits.
func parseHiveLong(s string) (int64, bool) {
	switch {
	case len(s) >= 3 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && isHexDigit(s[2]):
		n, err := strconv.ParseInt(s[2:], 16, 64)
		return n, err == nil
	case len(s) >= 2 && s[0] == '0' && '0' <= s[1] && s[1] <= '7':
		if n, err := strconv.ParseInt(s[1:], 8, 64); err == nil {
			return n, true
		}
	default:
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return n, true
		}
	}
	r, ok := parseBigDecimal(s)
	if !ok {
		return 0, false
	}
	i := new(big.Int).Quo(r.Num(), r.Denom()) // truncates toward zero
	if !i.IsInt64() {
		return 0, false
	}
	return i.Int64(), true
}

func isHexDigit(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// parseBigDecimal parses what Java's new BigDecimal(String) takes: an
// optional sign, digits with an optional point, an optional exponent.
func parseBigDecimal(s string) (*big.Rat, bool) {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := 0
	for i < len(s) && '0' <= s[i] && s[i] <= '9' {
		i++
		digits++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && '0' <= s[i] && s[i] <= '9' {
			i++
			digits++
		}
	}
	if digits == 0 {
		return nil, false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		start := i
		for i < len(s) && '0' <= s[i] && s[i] <= '9' {
			i++
		}
		if i == start || i-start > 9 {
			return nil, false
		}
	}
	if i != len(s) {
		return nil, false
	}
	r, ok := new(big.Rat).SetString(strings.TrimPrefix(s, "+"))
	return r, ok
}

// parseJavaDouble parses what Java's Double.parseDouble takes (surrounding
// blanks, a d or f suffix, NaN, Infinity), to the given bit size.
func parseJavaDouble(s string, bits int) (float64, bool) {
	s = strings.TrimSpace(s)
	body := strings.TrimLeft(s, "+-")
	switch body {
	case "NaN", "Infinity":
		f, err := strconv.ParseFloat(s, bits)
		return f, err == nil
	}
	if n := len(s); n > 1 && strings.IndexByte("dDfF", s[n-1]) >= 0 {
		s = s[:n-1]
	}
	if s == "" || strings.ContainsAny(s, "_iInN") { // Go's own spellings of infinities and NaN, and digit separators
		return 0, false
	}
	f, err := strconv.ParseFloat(s, bits)
	if err != nil {
		var ne *strconv.NumError
		if errors.As(err, &ne) && ne.Err == strconv.ErrRange {
			return f, true // ±Infinity or 0, as Java rounds
		}
		return 0, false
	}
	return f, true
}

// parseHiveDecimal parses a decimal and rounds it half up to scale; false
// if it does not parse or does not fit precision.
func parseHiveDecimal(s string, precision, scale int) (duckdb.Decimal, bool) {
	r, ok := parseBigDecimal(s)
	if !ok {
		return duckdb.Decimal{}, false
	}
	pow := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale)), nil)
	scaled := new(big.Rat).Mul(r, new(big.Rat).SetInt(pow))
	num, den := scaled.Num(), scaled.Denom()
	q, rem := new(big.Int).QuoRem(num, den, new(big.Int))
	if new(big.Int).Mul(new(big.Int).Abs(rem), big.NewInt(2)).Cmp(den) >= 0 {
		q.Add(q, big.NewInt(int64(num.Sign()))) // half up, away from zero
	}
	limit := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(precision)), nil)
	if new(big.Int).Abs(q).Cmp(limit) >= 0 {
		return duckdb.Decimal{}, false
	}
	return duckdb.Decimal{Width: uint8(precision), Scale: uint8(scale), Value: q}, true
}

// parseHiveDate parses yyyy-M-d (a time after it is ignored), else a
// number of days since 1970-01-01.
func parseHiveDate(s string) (time.Time, bool) {
	if y, m, d, rest, ok := splitDate(s); ok && (rest == "" || rest[0] == ' ' || rest[0] == 'T') {
		t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
		if t.Day() == d && int(t.Month()) == m {
			return t, true
		}
		return time.Time{}, false
	}
	n, ok := parseHiveLong(s)
	if !ok || n < math.MinInt32 || n > math.MaxInt32 {
		return time.Time{}, false
	}
	return time.Unix(n*86400, 0).UTC(), true
}

// splitDate reads yyyy-M-d at the start of s.
func splitDate(s string) (y, m, d int, rest string, ok bool) {
	parts := strings.SplitN(s, "-", 3)
	if len(parts) != 3 {
		return 0, 0, 0, "", false
	}
	end := 0
	for end < len(parts[2]) && '0' <= parts[2][end] && parts[2][end] <= '9' {
		end++
	}
	rest = parts[2][end:]
	var err1, err2, err3 error
	y, err1 = strconv.Atoi(parts[0])
	m, err2 = strconv.Atoi(parts[1])
	d, err3 = strconv.Atoi(parts[2][:end])
	if err1 != nil || err2 != nil || err3 != nil || len(parts[0]) != 4 || len(parts[1]) > 2 || end == 0 || end > 2 {
		return 0, 0, 0, "", false
	}
	return y, m, d, rest, true
}

// parseHiveTimestamp parses a timestamp as the SerDe does: by the
// table's timestamp.formats first; then, if it has a ':', ISO 8601 with a
// zone (Z, +HHMM or +HH:MM: the instant, in UTC) or Hive's
// yyyy-M-d[ |T]H:m[:s[.fraction]]; else a number: seconds with a
// fraction, or whole seconds, or milliseconds if it has 13 or more
// characters.
func parseHiveTimestamp(s string, formats []timestampFormat) (time.Time, bool) {
	for _, f := range formats {
		if t, err := time.Parse(f.layout, s); err == nil {
			return t.UTC(), true
		}
	}
	if strings.IndexByte(s, ':') > 0 {
		if t, ok := parseLocalDateTime(s); ok {
			return t, true
		}
		return time.Time{}, false
	}
	if strings.Trim(s, "-+.0123456789") != "" || s == "" {
		return time.Time{}, false
	}
	if strings.IndexByte(s, '.') >= 0 {
		r, ok := parseBigDecimal(s)
		if !ok {
			return time.Time{}, false
		}
		ms := new(big.Int).Quo(new(big.Rat).Mul(r, big.NewRat(1000, 1)).Num(), new(big.Rat).Mul(r, big.NewRat(1000, 1)).Denom())
		if !ms.IsInt64() {
			return time.Time{}, false
		}
		return time.UnixMilli(ms.Int64()).UTC(), true
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	if len(s) >= 13 {
		return time.UnixMilli(n).UTC(), true
	}
	return time.Unix(n, 0).UTC(), true
}

// parseLocalDateTime parses yyyy-M-d, then T or a blank, then H:m[:s[.f]],
// then optionally Z, +HH:MM or +HHMM (converted to UTC).
func parseLocalDateTime(s string) (time.Time, bool) {
	y, mo, d, rest, ok := splitDate(s)
	if !ok || rest == "" || rest[0] != ' ' && rest[0] != 'T' && rest[0] != 't' {
		return time.Time{}, false
	}
	rest = rest[1:]
	var offset int
	zoned := false
	switch {
	case strings.HasSuffix(rest, "Z") || strings.HasSuffix(rest, "z"):
		rest, zoned = rest[:len(rest)-1], true
	default:
		if i := strings.LastIndexAny(rest, "+-"); i > 0 {
			z := strings.ReplaceAll(rest[i+1:], ":", "")
			if len(z) == 4 {
				h, err1 := strconv.Atoi(z[:2])
				m, err2 := strconv.Atoi(z[2:])
				if err1 == nil && err2 == nil && h <= 18 && m < 60 {
					offset = (h*60 + m) * 60
					if rest[i] == '-' {
						offset = -offset
					}
					rest, zoned = rest[:i], true
				}
			}
		}
	}
	_ = zoned
	hms := strings.SplitN(rest, ":", 3)
	if len(hms) < 2 {
		return time.Time{}, false
	}
	h, err1 := strconv.Atoi(hms[0])
	mi, err2 := strconv.Atoi(hms[1])
	if err1 != nil || err2 != nil || len(hms[0]) > 2 || len(hms[1]) > 2 {
		return time.Time{}, false
	}
	sec, nanos := 0, 0
	if len(hms) == 3 {
		secText, frac, hasFrac := strings.Cut(hms[2], ".")
		var err error
		if sec, err = strconv.Atoi(secText); err != nil || len(secText) > 2 {
			return time.Time{}, false
		}
		if hasFrac {
			if frac == "" || len(frac) > 9 || strings.Trim(frac, "0123456789") != "" {
				return time.Time{}, false
			}
			nanos, _ = strconv.Atoi((frac + "000000000")[:9])
		}
	}
	if h > 23 || mi > 59 || sec > 59 {
		return time.Time{}, false
	}
	t := time.Date(y, time.Month(mo), d, h, mi, sec, nanos, time.UTC)
	if t.Day() != d {
		return time.Time{}, false
	}
	return t.Add(-time.Duration(offset) * time.Second), true
}

// timestampParser is parseHiveTimestamp that first tries the way the
// previous value parsed (a format of the table's, or the SerDe's own): a
// column's values mostly share one, and a failed time.Parse is slow. Two
// ways that both parse a text give it one instant, so the order matters
// only for speed. Not safe for concurrent use.
type timestampParser struct{ way int } // 1 + an index of formats, 0 for the SerDe's own

func (p *timestampParser) parse(s string, formats []timestampFormat) (time.Time, bool) {
	if p.way > 0 {
		if t, err := time.Parse(formats[p.way-1].layout, s); err == nil {
			return t.UTC(), true
		}
	} else if strings.IndexByte(s, ':') > 0 {
		if t, ok := parseLocalDateTime(s); ok {
			return t, true
		}
	}
	for i, f := range formats {
		if t, err := time.Parse(f.layout, s); err == nil {
			p.way = i + 1
			return t.UTC(), true
		}
	}
	p.way = 0
	return parseHiveTimestamp(s, nil)
}

// timestampFormat is one of timestamp.formats as a Go layout.
type timestampFormat struct{ layout string }

// javaLayouts translates Java DateTimeFormatter patterns to Go layouts;
// a pattern with a letter it does not know is left out.
func javaLayouts(patterns []string) []timestampFormat {
	var out []timestampFormat
	for _, p := range patterns {
		if l, ok := javaLayout(p); ok {
			out = append(out, timestampFormat{l})
		}
	}
	return out
}

func javaLayout(p string) (string, bool) {
	var b strings.Builder
	for i := 0; i < len(p); {
		c := p[i]
		if c == '\'' {
			end := strings.IndexByte(p[i+1:], '\'')
			if end < 0 {
				return "", false
			}
			lit := p[i+1 : i+1+end]
			if lit == "" {
				lit = "'"
			}
			b.WriteString(lit)
			i += end + 2
			continue
		}
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
			b.WriteByte(c)
			i++
			continue
		}
		n := 1
		for i+n < len(p) && p[i+n] == c {
			n++
		}
		i += n
		var tok string
		switch {
		case c == 'y' || c == 'u':
			tok = map[bool]string{true: "06", false: "2006"}[n == 2]
		case c == 'M' && n <= 2:
			tok = map[bool]string{true: "1", false: "01"}[n == 1]
		case c == 'M' && n == 3:
			tok = "Jan"
		case c == 'd':
			tok = map[bool]string{true: "2", false: "02"}[n == 1]
		case c == 'H':
			tok = map[bool]string{true: "15", false: "15"}[n == 1]
		case c == 'h':
			tok = map[bool]string{true: "3", false: "03"}[n == 1]
		case c == 'm':
			tok = map[bool]string{true: "4", false: "04"}[n == 1]
		case c == 's':
			tok = map[bool]string{true: "5", false: "05"}[n == 1]
		case c == 'S' && n <= 9:
			tok = strings.Repeat("0", n)
			if b.Len() == 0 || !strings.HasSuffix(b.String(), ".") && !strings.HasSuffix(b.String(), ",") {
				return "", false // Go reads fractions only after a point
			}
		case c == 'a':
			tok = "PM"
		case c == 'Z' && n <= 3:
			tok = "-0700"
		case c == 'X' && n == 1:
			tok = "Z07"
		case c == 'X' && n == 2 || c == 'x' && n == 2:
			tok = "Z0700"
		case c == 'X' && n == 3:
			tok = "Z07:00"
		case c == 'x' && n == 3:
			tok = "-07:00"
		default:
			return "", false
		}
		b.WriteString(tok)
	}
	return b.String(), true
}
