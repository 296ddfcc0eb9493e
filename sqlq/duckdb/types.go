package duckdb

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"pipeline/catalog"
	"pipeline/sqlq"

	"github.com/duckdb/duckdb-go/v2"
)

// A dtype is a parsed DuckDB result type name, as duckdb-go reports it:
// "BIGINT", "DECIMAL(5,2)", "VARCHAR[]", "INTEGER[3]",
// `STRUCT("a" INTEGER, "b" VARCHAR)`, "MAP(VARCHAR, INTEGER)".
type dtype struct {
	base   string   // upper case: "BIGINT", "DECIMAL", "LIST", "ARRAY", "STRUCT", "MAP", ...
	args   []string // DECIMAL's width and scale
	elem   *dtype   // LIST and ARRAY
	fields []field  // STRUCT and UNION members; MAP's key and value (unnamed)
	ath    string   // athena() of a top-level type, computed once: normalize asks per cell
}

type field struct {
	name string
	typ  *dtype
}

// parseType parses a DuckDB type name. It does not fail: what it does not
// understand becomes a type of that name, which maps to varchar.
func parseType(s string) *dtype {
	p := &typeParser{s: s}
	t := p.typ()
	if p.err || p.i != len(p.s) {
		t = &dtype{base: strings.ToUpper(strings.TrimSpace(s))}
	}
	t.ath = t.athenaName()
	return t
}

type typeParser struct {
	s   string
	i   int
	err bool
}

func (p *typeParser) peek() byte {
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

func (p *typeParser) skipSpace() {
	for p.peek() == ' ' {
		p.i++
	}
}

func (p *typeParser) expect(c byte) {
	p.skipSpace()
	if p.peek() != c {
		p.err = true
		return
	}
	p.i++
}

// word reads a bare name: letters, digits and underscores.
func (p *typeParser) word() string {
	p.skipSpace()
	start := p.i
	for p.i < len(p.s) {
		c := p.s[p.i]
		if c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			p.i++
			continue
		}
		break
	}
	if p.i == start {
		p.err = true
	}
	return p.s[start:p.i]
}

// name reads a struct field name: "quoted, with "" for a quote" or bare.
func (p *typeParser) name() string {
	p.skipSpace()
	if p.peek() != '"' {
		return p.word()
	}
	p.i++
	var b strings.Builder
	for p.i < len(p.s) {
		c := p.s[p.i]
		p.i++
		if c != '"' {
			b.WriteByte(c)
			continue
		}
		if p.peek() == '"' {
			b.WriteByte('"')
			p.i++
			continue
		}
		return b.String()
	}
	p.err = true
	return b.String()
}

func (p *typeParser) typ() *dtype {
	if p.err {
		return &dtype{}
	}
	t := &dtype{base: strings.ToUpper(p.word())}
	p.skipSpace()
	if p.peek() == '(' {
		p.i++
		switch t.base {
		case "STRUCT", "UNION":
			for !p.err {
				n := p.name()
				t.fields = append(t.fields, field{name: n, typ: p.typ()})
				if p.skipSpace(); p.peek() != ',' {
					break
				}
				p.i++
			}
		case "MAP":
			k := p.typ()
			p.expect(',')
			t.fields = []field{{typ: k}, {typ: p.typ()}}
		case "DECIMAL":
			t.args = []string{p.word()}
			p.expect(',')
			t.args = append(t.args, p.word())
		default: // BIT(1), ENUM('a', 'b'), ...: the arguments do not matter
			p.skipParens()
			return p.suffix(t)
		}
		p.expect(')')
	}
	return p.suffix(t)
}

// skipParens skips to the parenthesis that closes an opened one, stepping
// over quoted strings.
func (p *typeParser) skipParens() {
	depth := 1
	for p.i < len(p.s) && depth > 0 {
		switch c := p.s[p.i]; c {
		case '(':
			depth++
		case ')':
			depth--
		case '\'', '"':
			for p.i++; p.i < len(p.s) && p.s[p.i] != c; p.i++ {
			}
		}
		p.i++
	}
	if depth > 0 {
		p.err = true
	}
}

// suffix reads list ("[]") and array ("[3]") suffixes.
func (p *typeParser) suffix(t *dtype) *dtype {
	for !p.err && p.peek() == '[' {
		end := strings.IndexByte(p.s[p.i:], ']')
		if end < 0 {
			p.err = true
			break
		}
		base := "LIST"
		if end > 1 {
			base = "ARRAY"
		}
		t = &dtype{base: base, elem: t}
		p.i += end + 1
	}
	return t
}

// athena returns the Athena type name of a DuckDB type.
func (t *dtype) athena() string {
	if t.ath != "" {
		return t.ath
	}
	return t.athenaName()
}

func (t *dtype) athenaName() string {
	switch t.base {
	case "BOOLEAN":
		return "boolean"
	case "TINYINT":
		return "tinyint"
	case "SMALLINT", "UTINYINT":
		return "smallint"
	case "INTEGER", "USMALLINT":
		return "integer"
	case "BIGINT", "UINTEGER", "UBIGINT", "HUGEINT", "UHUGEINT", "BIGNUM":
		return "bigint"
	case "FLOAT":
		return "real"
	case "DOUBLE":
		return "double"
	case "DECIMAL":
		return "decimal(" + strings.Join(t.args, ",") + ")"
	case "VARCHAR", "ENUM", "BIT", "UNION":
		return "varchar"
	case "BLOB", "GEOMETRY":
		return "varbinary"
	case "DATE":
		return "date"
	case "TIME", "TIME_NS":
		return "time"
	case "TIMETZ":
		return "time with time zone"
	case "TIMESTAMP", "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS":
		return "timestamp"
	case "TIMESTAMPTZ":
		return "timestamp with time zone"
	case "INTERVAL":
		return "interval day to second"
	case "UUID":
		return "uuid"
	case "JSON":
		return "json"
	case "SQLNULL", "NULL":
		return "unknown"
	case "LIST", "ARRAY":
		return "array<" + t.elem.athena() + ">"
	case "MAP":
		return "map<" + t.fields[0].typ.athena() + "," + t.fields[1].typ.athena() + ">"
	case "STRUCT":
		parts := make([]string, len(t.fields))
		for i, f := range t.fields {
			parts[i] = f.name + ":" + f.typ.athena()
		}
		return "struct<" + strings.Join(parts, ",") + ">"
	}
	return "varchar"
}

// normalize converts a value scanned from DuckDB into the Go type the
// package documentation gives for its column type. A value rendered as
// text longer than maxChars characters (if more than 0) is cut to them
// and sqlq.Ellipsis (see Options.MaxValueChars).
func (t *dtype) normalize(v any, maxChars int) any {
	if v == nil {
		return nil
	}
	// Values already in their normal form are returned as they are, not
	// boxed again: a result of a million cells is a million fewer allocations.
	switch v.(type) {
	case int64, float64, bool:
		if t.athena() == athenaKindOf(v) {
			return v
		}
	case time.Time:
		if tm := v.(time.Time); tm.Location() == time.UTC {
			switch t.athena() {
			case "date", "timestamp", "timestamp with time zone":
				return v
			}
		}
	}
	switch t.athena() {
	case "tinyint", "smallint", "integer", "bigint":
		if i, ok := sqlq.Int64(v); ok {
			return i
		}
		if b, ok := v.(*big.Int); ok {
			return b.String()
		}
		return fmt.Sprint(v)
	case "real", "double":
		switch f := v.(type) {
		case float64:
			return f
		case float32:
			return shortestReal(f)
		}
	case "boolean":
		if b, ok := v.(bool); ok {
			return b
		}
	case "date", "timestamp", "timestamp with time zone":
		if tm, ok := v.(time.Time); ok {
			return tm.UTC()
		}
	}
	return t.text(v, maxChars)
}

// athenaKindOf is the Athena type whose normal Go form v has, for the
// scalars normalize passes through.
func athenaKindOf(v any) string {
	switch v.(type) {
	case int64:
		return "bigint"
	case float64:
		return "double"
	case bool:
		return "boolean"
	}
	return ""
}

// text renders a value as a string: scalars as their normalized value
// prints, nested values as Athena renders them. With maxChars > 0, a text
// longer than maxChars characters is its first maxChars and sqlq.Ellipsis,
// and a nested value or a blob is rendered no further than that: a list of
// millions of elements costs what its first few thousand do.
func (t *dtype) text(v any, maxChars int) string {
	w := textWriter{}
	if maxChars > 0 {
		w.max = utf8.UTFMax * (maxChars + 1) // more than maxChars characters, whatever they are
	}
	var s string
	switch b, isBytes := v.([]byte); {
	case t.nested():
		t.write(&w, v)
		s = w.b.String()
	case isBytes && t.base == "BLOB" && w.max > 0 && len(b) > w.max:
		w.writeBytes(b)
		s = w.b.String()
	default:
		s = t.scalarText(v) // as it is: no copy of a text that fits
	}
	if maxChars <= 0 {
		return s
	}
	if cut, ok := sqlq.CutText(s, maxChars); ok || w.full {
		return cut
	}
	return s
}

// nested says whether values of t are rendered by write, element by element.
func (t *dtype) nested() bool {
	switch t.base {
	case "LIST", "ARRAY", "STRUCT", "MAP", "UNION":
		return true
	}
	return false
}

// textWriter builds a value's text. With max > 0 it keeps no more than
// max bytes, and once a write would pass them it is full: write renders
// nothing more of the value.
type textWriter struct {
	b    strings.Builder
	max  int // 0: no bound
	full bool
}

func (w *textWriter) writeString(s string) {
	if w.full {
		return
	}
	if w.max > 0 && w.b.Len()+len(s) > w.max {
		s, w.full = s[:w.max-w.b.Len()], true
	}
	w.b.WriteString(s)
}

func (w *textWriter) writeBytes(p []byte) {
	if w.full {
		return
	}
	if w.max > 0 && w.b.Len()+len(p) > w.max {
		p, w.full = p[:w.max-w.b.Len()], true
	}
	w.b.Write(p)
}

// write renders v as Athena does, a nested value's elements one after the
// other, stopping once w is full.
func (t *dtype) write(w *textWriter, v any) {
	if v == nil {
		w.writeString("null")
		return
	}
	switch t.base {
	case "LIST", "ARRAY":
		if l, ok := v.([]any); ok {
			w.writeString("[")
			for i, e := range l {
				if w.full {
					return
				}
				if i > 0 {
					w.writeString(", ")
				}
				t.elem.write(w, e)
			}
			w.writeString("]")
			return
		}
	case "STRUCT":
		if m, ok := v.(map[string]any); ok {
			w.writeString("{")
			for i, f := range t.fields {
				if w.full {
					return
				}
				if i > 0 {
					w.writeString(", ")
				}
				w.writeString(f.name)
				w.writeString("=")
				f.typ.write(w, m[f.name])
			}
			w.writeString("}")
			return
		}
	case "MAP":
		if m, ok := v.(duckdb.OrderedMap); ok {
			ks, vs := m.Keys(), m.Values()
			w.writeString("{")
			for i := range ks {
				if w.full {
					return
				}
				if i > 0 {
					w.writeString(", ")
				}
				t.fields[0].typ.write(w, ks[i])
				w.writeString("=")
				t.fields[1].typ.write(w, vs[i])
			}
			w.writeString("}")
			return
		}
	case "UNION":
		if u, ok := v.(duckdb.Union); ok {
			w.writeString(fmt.Sprint(u.Value))
			return
		}
	case "BLOB":
		if b, ok := v.([]byte); ok {
			w.writeBytes(b) // not copied whole first: a blob may be huge
			return
		}
	case "DOUBLE":
		if f, ok := v.(float64); ok {
			w.writeString(sqlq.JavaDouble(f)) // [1.5, 2.0], as Athena prints it
			return
		}
	case "FLOAT":
		if f, ok := v.(float32); ok {
			w.writeString(sqlq.JavaDouble(shortestReal(f))) // [1.0, 1.0E10], as Athena prints a real
			return
		}
	}
	w.writeString(t.scalarText(v))
}

// scalarText renders a value that is not nested.
func (t *dtype) scalarText(v any) string {
	switch t.base {
	case "DECIMAL":
		if d, ok := v.(duckdb.Decimal); ok {
			return decimalString(d)
		}
	case "UUID":
		switch u := v.(type) {
		case []byte:
			if len(u) == 16 {
				return uuidString(u)
			}
		case duckdb.UUID:
			return uuidString(u[:])
		case *duckdb.UUID:
			return uuidString(u[:])
		}
	case "TIME", "TIME_NS", "TIMETZ":
		if tm, ok := v.(time.Time); ok {
			return tm.UTC().Format("15:04:05.000")
		}
	case "INTERVAL":
		if iv, ok := v.(duckdb.Interval); ok {
			return intervalString(iv)
		}
	case "JSON":
		if s, ok := v.(string); ok {
			return s
		}
		if b, err := json.Marshal(v); err == nil {
			return string(b)
		}
	}
	switch v.(type) {
	case []any, map[string]any: // a JSON value the driver decoded, where its type says VARCHAR (a map's values)
		if b, err := json.Marshal(v); err == nil {
			return string(b)
		}
	}
	return sqlq.CellText(v, t.athena())
}

// decimalString renders a decimal exactly, with its scale's digits after
// the point, as Athena does: DECIMAL(5,2) 1.5 is "1.50".
func decimalString(d duckdb.Decimal) string {
	if d.Value == nil {
		return "0"
	}
	digits := new(big.Int).Abs(d.Value).String()
	scale := int(d.Scale)
	if scale > 0 {
		if len(digits) <= scale {
			digits = strings.Repeat("0", scale-len(digits)+1) + digits
		}
		digits = digits[:len(digits)-scale] + "." + digits[len(digits)-scale:]
	}
	if d.Value.Sign() < 0 {
		return "-" + digits
	}
	return digits
}

func uuidString(b []byte) string {
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// intervalString renders an interval as "[N months ][N days ]HH:MM:SS.mmm".
func intervalString(iv duckdb.Interval) string {
	var b strings.Builder
	if iv.Months != 0 {
		fmt.Fprintf(&b, "%d months ", iv.Months)
	}
	if iv.Days != 0 {
		fmt.Fprintf(&b, "%d days ", iv.Days)
	}
	us := iv.Micros
	if us < 0 {
		b.WriteByte('-')
		us = -us
	}
	d := time.Duration(us) * time.Microsecond
	fmt.Fprintf(&b, "%02d:%02d:%02d.%03d", int64(d/time.Hour), int64(d/time.Minute%60), int64(d/time.Second%60), int64(d/time.Millisecond%1000))
	return b.String()
}

// Normalize converts a value QueryCountedRaw returned for a column of
// DuckDB type typ into the form Query returns it in.
func Normalize(typ string, v any) any {
	return parseType(typ).normalize(v, 0)
}

// HiveType is the Hive (Glue) type that holds values of DuckDB type typ as
// Athena's CTAS stores them: Athena's type by Hive's name (integer is int,
// varchar string, varbinary binary), a timestamp with time zone as a
// timestamp. A type Hive has no equivalent of is an error naming its
// Athena type.
func HiveType(typ string) (*catalog.HiveType, error) {
	return parseType(typ).hive()
}

func (t *dtype) hive() (*catalog.HiveType, error) {
	switch ath := t.athena(); {
	case ath == "varchar":
		return &catalog.HiveType{Kind: "string"}, nil
	case ath == "integer":
		return &catalog.HiveType{Kind: "int"}, nil
	case ath == "real":
		return &catalog.HiveType{Kind: "float"}, nil
	case ath == "varbinary":
		return &catalog.HiveType{Kind: "binary"}, nil
	case ath == "timestamp with time zone":
		return &catalog.HiveType{Kind: "timestamp"}, nil
	case t.base == "DECIMAL":
		return catalog.ParseType(ath)
	case t.base == "LIST" || t.base == "ARRAY":
		elem, err := t.elem.hive()
		if err != nil {
			return nil, err
		}
		return &catalog.HiveType{Kind: "array", Elem: elem}, nil
	case t.base == "MAP":
		k, err := t.fields[0].typ.hive()
		if err != nil {
			return nil, err
		}
		v, err := t.fields[1].typ.hive()
		if err != nil {
			return nil, err
		}
		return &catalog.HiveType{Kind: "map", Key: k, Value: v}, nil
	case t.base == "STRUCT":
		h := &catalog.HiveType{Kind: "struct"}
		for _, f := range t.fields {
			ft, err := f.typ.hive()
			if err != nil {
				return nil, err
			}
			h.Fields = append(h.Fields, catalog.HiveField{Name: strings.ToLower(f.name), Type: ft})
		}
		return h, nil
	}
	switch ath := t.athena(); ath {
	case "boolean", "tinyint", "smallint", "bigint", "double", "date", "timestamp":
		return &catalog.HiveType{Kind: ath}, nil
	default:
		return nil, fmt.Errorf("Unsupported Hive type: %s", ath)
	}
}

// shortestReal is the shortest decimal that is the float32 f, as a
// float64: 0.1 stays 0.1, not 0.10000000149011612.
func shortestReal(f float32) float64 {
	g, _ := strconv.ParseFloat(strconv.FormatFloat(float64(f), 'g', -1, 32), 64)
	return g
}
