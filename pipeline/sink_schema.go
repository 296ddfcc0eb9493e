package pipeline

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"pipeline/catalog"
	"pipeline/internal/eventjson"
)

// Records are data: the sink stores any JSON object, and the table's column
// types are the contract its records keep. This file holds that contract as
// the sink checks it: the table's columns (tableSchema), whether a value fits its
// column (fits), the names fields are stored under (storedName), and a
// record's partition time (recordTime). Which columns the table has is the
// catalog's to say (sinkTable.evolve); placing records is sink_batch.go's.

// PartitionKey is the one partition column of the sink's tables: the UTC
// date of a record's time, dt=YYYY-MM-DD.
const PartitionKey = "dt"

// colType is a column's type as the sink checks values against it.
type colType uint8

const (
	colAny       colType = iota // a type the sink does not check (array<...>, struct<...>, binary): any value
	colString                   // any value: a number, bool or nested value is read as its JSON text
	colBigint                   // an integer that fits an int64; a number with a fraction widens it
	colDouble                   // any number
	colBoolean                  // true or false
	colDate                     // a string yyyy-mm-dd; a timestamp widens it
	colTimestamp                // a string parseCellTime reads (a date is its midnight)

	colNone colType = 255 // no column: keyMap's mark for a field without one
)

// colTypeOf is the check of a catalog (Hive) type, in any case.
func colTypeOf(typ string) colType {
	t := strings.ToLower(strings.TrimSpace(typ))
	switch {
	case t == catalog.TypeString, strings.HasPrefix(t, "varchar"), strings.HasPrefix(t, "char"):
		return colString
	case t == catalog.TypeBigint, t == "int", t == "integer", t == "smallint", t == "tinyint":
		return colBigint
	case t == catalog.TypeDouble, t == "float", t == "real", strings.HasPrefix(t, "decimal"):
		return colDouble
	case t == catalog.TypeBoolean:
		return colBoolean
	case t == catalog.TypeDate:
		return colDate
	case t == catalog.TypeTimestamp:
		return colTimestamp
	}
	return colAny
}

// tableSchema is the sink's view of its table's columns. It is never changed
// once made (a change makes another), so decoding goroutines share one.
type tableSchema struct {
	cols    []schemaCol
	exact   map[string]int // column index by name as spelled
	byLower map[string]int // column index by name in lower case
	types   map[string]string
	// narrowed counts changes since the sink started that were not a
	// widening (a column's type changed on purpose): a record checked
	// against an older schema is checked again.
	narrowed uint64
}

type schemaCol struct {
	name, typ string
	check     colType
}

// newTableSchema makes the schema of columns, counting narrowed from prev's.
func newTableSchema(cols []catalog.Column, prev *tableSchema) *tableSchema {
	sc := &tableSchema{exact: map[string]int{}, byLower: map[string]int{}, types: map[string]string{}}
	for _, c := range cols {
		lower := strings.ToLower(c.Name)
		if _, dup := sc.byLower[lower]; dup || c.Name == "" {
			continue // one column a name, the first, as Glue and DuckDB see it
		}
		sc.exact[c.Name] = len(sc.cols)
		sc.byLower[lower] = len(sc.cols)
		sc.types[lower] = c.Type
		sc.cols = append(sc.cols, schemaCol{name: c.Name, typ: c.Type, check: colTypeOf(c.Type)})
	}
	if prev != nil {
		sc.narrowed = prev.narrowed
		for _, c := range prev.cols {
			if i, ok := sc.byLower[strings.ToLower(c.name)]; ok && sc.cols[i].typ != c.typ {
				if _, widened := catalog.EvolveType(c.typ, sc.cols[i].typ); !widened {
					sc.narrowed++
				}
			}
		}
	}
	return sc
}

// columns is the schema as catalog columns.
func (sc *tableSchema) columns() []catalog.Column {
	out := make([]catalog.Column, len(sc.cols))
	for i, c := range sc.cols {
		out[i] = catalog.Column{Name: c.name, Type: c.typ}
	}
	return out
}

// lookup returns the index of the column a field name is, regardless of
// case, or -1. lower is scratch space for the lower-case name.
func (sc *tableSchema) lookup(name []byte, lower *[]byte) int {
	if i, ok := sc.exact[string(name)]; ok {
		return i
	}
	*lower = appendLower((*lower)[:0], name)
	if i, ok := sc.byLower[string(*lower)]; ok {
		return i
	}
	return -1
}

// appendLower appends name in lower case, as strings.ToLower lowers it.
func appendLower(dst, name []byte) []byte {
	for _, c := range name {
		if c >= 0x80 {
			return append(dst, bytes.ToLower(name)...)
		}
	}
	for _, c := range name {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}

// verdict is what a value is to its column.
type verdict uint8

const (
	fitsColumn verdict = iota
	widensColumn
	rejected
)

// fits says whether v can be read as a value of a column of check c, or
// whether the column must widen first (bigint to double, date to
// timestamp). Null fits every column.
func fits(c colType, v *eventjson.Value) verdict {
	if v.Kind == 'n' {
		return fitsColumn
	}
	switch c {
	case colAny, colString:
		return fitsColumn
	case colDouble:
		if v.IsNumber() && !beyondBigint(v.Raw) {
			return fitsColumn
		}
	case colBigint:
		if v.IsNumber() && !beyondBigint(v.Raw) {
			if hasFraction(v.Raw) {
				return widensColumn
			}
			return fitsColumn
		}
	case colBoolean:
		if v.Kind == 't' || v.Kind == 'f' {
			return fitsColumn
		}
	case colDate, colTimestamp:
		if !v.IsString() {
			return rejected
		}
		text := v.Raw
		if v.Escaped {
			text = eventjson.AppendUnquoted(nil, v.Raw)
		}
		if validDate(text) {
			return fitsColumn
		}
		if _, ok := parseCellTime(text); ok {
			if c == colDate {
				return widensColumn
			}
			return fitsColumn
		}
	}
	return rejected
}

// widened is the type a column of type typ widens to for a value that
// widens it.
func widened(typ string, c colType) string {
	switch c {
	case colBigint:
		return catalog.TypeDouble
	case colDate:
		return catalog.TypeTimestamp
	}
	return typ
}

// beyondBigint says whether a JSON number is an integer (no fraction, no
// exponent) that an int64 cannot hold: a double would round it (a uint64 id
// or hash), and the engines read it back as another number, so no number
// column holds it; a string column keeps its text.
func beyondBigint(num []byte) bool {
	if len(num) <= 18 || hasFraction(num) {
		return false
	}
	_, err := strconv.ParseInt(string(num), 10, 64)
	return err != nil
}

// validDate says whether b is a date yyyy-mm-dd of the proleptic Gregorian
// calendar, as time.Parse("2006-01-02") takes it.
func validDate(b []byte) bool {
	if len(b) != 10 || b[4] != '-' || b[7] != '-' {
		return false
	}
	for i, c := range b {
		if i != 4 && i != 7 && (c < '0' || c > '9') {
			return false
		}
	}
	year := int(b[0]-'0')*1000 + int(b[1]-'0')*100 + int(b[2]-'0')*10 + int(b[3]-'0')
	month := int(b[5]-'0')*10 + int(b[6]-'0')
	day := int(b[8]-'0')*10 + int(b[9]-'0')
	if month < 1 || month > 12 || day < 1 {
		return false
	}
	return day <= time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// columnError is the reason a record is a dead letter: its field name's
// value cannot be read as the column's type.
func columnError(name []byte, v *eventjson.Value, typ string) error {
	if v.IsNumber() && beyondBigint(v.Raw) {
		return bigintError(name, v)
	}
	return fmt.Errorf("%s: %s is not a %s", name, shownValue(v), typ)
}

// bigintError is the reason a record is a dead letter: its field name holds
// an integer beyond a bigint (beyondBigint).
func bigintError(name []byte, v *eventjson.Value) error {
	return fmt.Errorf("%s: %s is beyond bigint (no number column holds it exactly; send it as a JSON string to keep its digits)", name, shownValue(v))
}

// shownValue is a value as a dead letter's reason shows it: its JSON text,
// cut short.
func shownValue(v *eventjson.Value) string {
	text := v.Raw
	if v.IsString() {
		text = append(append([]byte{'"'}, v.Raw...), '"')
	}
	if len(text) > 64 {
		return string(text[:60]) + "..."
	}
	return string(text)
}

// storedName is the name a record's field name is stored under, by one
// rule: a name that is empty or that a partition column has (dt, in any
// case) would be hidden behind it, so it gets "_" appended until it is
// neither and no other field of the record has it (in any case; has says,
// given a lower-case name); then a name that a table column has in another
// case takes the column's spelling (Glue lowers names; DuckDB's JSON reader
// matches them as spelled). It returns name itself if nothing changes.
func storedName(name []byte, sc *tableSchema, has func(lower string) bool) string {
	out := string(name)
	if out == "" || strings.EqualFold(out, PartitionKey) {
		for {
			out += "_"
			if l := strings.ToLower(out); l != PartitionKey && !has(l) {
				break
			}
		}
	}
	if i, ok := sc.byLower[strings.ToLower(out)]; ok {
		out = sc.cols[i].name
	}
	return out
}

// needsNewName says whether storedName may change name: it is empty, the
// partition key in any case, or a column's name in another case.
func needsNewName(name []byte, col int, sc *tableSchema) bool {
	if len(name) == 0 || len(name) == len(PartitionKey) && strings.EqualFold(string(name), PartitionKey) {
		return true
	}
	return col >= 0 && sc.cols[col].name != string(name)
}

// appendRenamed appends the JSON object of fields (as the scanner found them
// in one record) with the names given, in place of theirs where names[i]
// is not nil. Values are copied as they were written.
func appendRenamed(dst []byte, fields []eventjson.Field, names [][]byte) []byte {
	dst = append(dst, '{')
	for i := range fields {
		f := &fields[i]
		if i > 0 {
			dst = append(dst, ',')
		}
		if names[i] != nil {
			dst = appendJSONString(dst, string(names[i]))
		} else {
			dst = appendJSONString(dst, string(f.Name))
		}
		dst = append(dst, ':')
		if f.IsString() {
			dst = append(append(append(dst, '"'), f.Raw...), '"')
		} else {
			dst = append(dst, f.Raw...)
		}
	}
	return append(dst, '}')
}

// Record times: with no time field, a record's partition is the UTC date of
// its Kafka timestamp, as Kafka Connect's TimeBasedPartitioner with record
// time has it. With one, it is the field's value, read by recordTime.

// epochMillisFrom is where a number of a time field stops being seconds
// since 1970 and starts being milliseconds: 100,000,000,000 seconds is in
// the year 5138, and as many milliseconds is 1973-03-03. So milliseconds
// before March 1973 are read as seconds.
const epochMillisFrom = 1e11

// recordTime reads a time field's value: an ISO 8601 time with or without a
// zone (none is UTC), a date (its midnight UTC), or a number of seconds or
// milliseconds since 1970 (epochMillisFrom tells which), in the years
// 1..9999.
func recordTime(name []byte, v *eventjson.Value) (time.Time, error) {
	var t time.Time
	switch {
	case v.Kind == 0 || v.Kind == 'n':
		return t, fmt.Errorf("no time field %q (--time-field)", name)
	case v.IsNumber():
		f, err := strconv.ParseFloat(string(v.Raw), 64)
		if err != nil || math.Abs(f) > 1e16 {
			return t, fmt.Errorf("time field %s: %s is not a time", name, v.Raw)
		}
		if math.Abs(f) < epochMillisFrom {
			f *= 1000
		}
		ms := math.Floor(f)
		t = time.UnixMilli(int64(ms)).Add(time.Duration((f - ms) * 1e6)).UTC()
	case v.IsString():
		text := v.Raw
		if v.Escaped {
			text = eventjson.AppendUnquoted(nil, v.Raw)
		}
		var ok bool
		if t, ok = parseCellTime(text); !ok {
			return t, fmt.Errorf("time field %s: %s is not a time (ISO 8601, a date, or seconds or milliseconds since 1970)", name, shownValue(v))
		}
	default:
		return t, fmt.Errorf("time field %s: %s is not a time", name, shownValue(v))
	}
	if sec := t.Unix(); sec < minPartitionTime || sec > maxPartitionTime {
		return t, fmt.Errorf("time field %s: %s is outside the years 1..9999", name, shownValue(v))
	}
	return t, nil
}

// The first and last second of the years 1..9999, whose dates a partition
// writes in four digits.
const (
	minPartitionTime = -62135596800 // 0001-01-01T00:00:00Z
	maxPartitionTime = 253402300799 // 9999-12-31T23:59:59Z
)

// daysOf is t's UTC date as days since 1970-01-01.
func daysOf(t time.Time) int64 {
	s := t.Unix()
	if s < 0 {
		return (s - 86399) / 86400
	}
	return s / 86400
}
