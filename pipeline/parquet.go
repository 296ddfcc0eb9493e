package pipeline

// The Parquet table format of the sink: events are gathered column by column
// as they arrive and written as one compressed Parquet file per object,
// strings dictionary-encoded and integers and timestamps delta-encoded
// (encodings DuckDB, Trino/Athena v3 and Spark read).
// Each column is written at the table's type (the sink checked every value
// against it), or where the table has none yet, inferred from the batch with
// the crawler's rules (valueKind, catalog.WidenType), so a table reads the
// same over Parquet as over JSON lines: bigint, double, boolean, date,
// timestamp (milliseconds, UTC wall time) and string, in the order first
// seen; a column of only nulls and no type is left out.

import (
	"bytes"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unsafe"

	"pipeline/catalog"
	"pipeline/internal/eventjson"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
	"github.com/parquet-go/parquet-go/compress/gzip"
	"github.com/parquet-go/parquet-go/compress/snappy"
	"github.com/parquet-go/parquet-go/compress/uncompressed"
	"github.com/parquet-go/parquet-go/compress/zstd"
	"github.com/parquet-go/parquet-go/encoding"
)

// cellKind is what one JSON value of a batch looks like before its column's
// type is settled.
type cellKind uint8

const (
	cellNull   cellKind = iota
	cellInt             // a number without fraction or exponent
	cellFloat           // any other number
	cellBool            // true or false
	cellString          // a string of no other shape
	cellDate            // a string shaped like 2006-01-02
	cellTime            // a string shaped like a timestamp
	cellJSON            // an object or array, kept as its JSON text
)

// cellType is the catalog type a cell of kind k suggests.
var cellType = [...]string{
	cellNull: "", cellInt: catalog.TypeBigint, cellFloat: catalog.TypeDouble, cellBool: catalog.TypeBoolean,
	cellString: catalog.TypeString, cellDate: catalog.TypeDate, cellTime: catalog.TypeTimestamp, cellJSON: catalog.TypeString,
}

// pqCell is one value of a batch: its kind and its text in the batch's arena.
type pqCell struct {
	off, n uint32
	kind   cellKind
}

// pqColumn is one column of a batch.
type pqColumn struct {
	name  string
	typ   string // widened over the cells so far; "" if only nulls
	cells []pqCell
}

// parquetBatch gathers the events of one object.
type parquetBatch struct {
	cols   []*pqColumn
	free   []*pqColumn          // columns of earlier objects, for their cells' memory
	byName map[string]*pqColumn // by spelling, and by lower case
	last   []*pqColumn          // the columns of the last event's fields, in its order
	rows   int
	hint   pqSize // what its partition's last batch held: what to make room for
	text   []byte // the arena: every cell's text
	ncells int    // cells in all columns, for memory
	in     int    // JSON bytes added, for the size estimate
}

// add appends one event's fields, as DecodeFields returned them, as a row.
func (b *parquetBatch) add(fields []eventjson.Field, jsonLen int) {
	if b.byName == nil {
		b.byName = map[string]*pqColumn{}
	}
	if b.rows == 0 && cap(b.text) < b.hint.text {
		b.text = make([]byte, 0, b.hint.text)
	}
	for i := range fields {
		f := &fields[i]
		// Events of a source have their keys in one order: the column
		// at this place in the last event is nearly always the one.
		var col *pqColumn
		if i < len(b.last) && b.last[i].name == string(f.Name) {
			col = b.last[i]
		} else {
			if col = b.byName[string(f.Name)]; col == nil {
				col = b.column(f.Name)
			}
			if i < len(b.last) {
				b.last[i] = col
			} else {
				b.last = append(b.last, col)
			}
		}
		for len(col.cells) < b.rows {
			col.cells = append(col.cells, pqCell{})
			b.ncells++
		}
		b.ncells++
		c := b.cell(&f.Value)
		col.typ = catalog.WidenType(col.typ, cellType[c.kind])
		col.cells = append(col.cells, c)
	}
	b.rows++
	b.in += jsonLen
}

// column finds the column of a name in another case, or adds a new one.
// DecodeHeader refuses an event whose keys differ only in case, but two
// events may spell one column differently, and Glue and DuckDB see one.
func (b *parquetBatch) column(name []byte) *pqColumn {
	lower := strings.ToLower(string(name))
	col := b.byName[lower]
	if col == nil {
		if n := len(b.free); n > 0 {
			col, b.free = b.free[n-1], b.free[:n-1]
			col.name, col.typ = string(name), ""
		} else {
			col = &pqColumn{name: string(name)}
		}
		if cap(col.cells) < b.hint.rows {
			col.cells = make([]pqCell, 0, b.hint.rows)
		}
		b.cols = append(b.cols, col)
		b.byName[lower] = col
	}
	b.byName[string(name)] = col
	return col
}

// cell classifies one value and copies its text into the arena.
func (b *parquetBatch) cell(f *eventjson.Value) pqCell {
	if f.Kind == 'n' {
		return pqCell{}
	}
	off := len(b.text)
	if f.IsString() && f.Escaped {
		b.text = eventjson.AppendUnquoted(b.text, f.Raw)
	} else {
		b.text = append(b.text, f.Raw...)
	}
	return pqCell{off: uint32(off), n: uint32(len(b.text) - off), kind: valueKind(f, b.text[off:])}
}

// parquetBatches keeps the memory of stored batches for the next ones: a
// batch of a hundred thousand events grows its cells and text to megabytes,
// and growing them anew for every object was a third of the sink's
// allocation. The pool lets go of them when the sink idles.
var parquetBatches = sync.Pool{New: func() any { return &parquetBatch{} }}

// pqSize is how many rows and bytes of text a batch held.
type pqSize struct{ rows, text int }

// newParquetBatch returns an empty batch that makes room for hint at once
// (what its partition's last batch held): growing a column's cells and the
// text by doubling copied them over and over (a tenth of the Parquet sink's
// time).
func newParquetBatch(hint pqSize) *parquetBatch {
	b := parquetBatches.Get().(*parquetBatch)
	b.hint = hint
	return b
}

// held is what the batch holds, as a hint for the next one.
func (b *parquetBatch) held() pqSize { return pqSize{rows: b.rows, text: len(b.text)} }

// release resets the batch and hands its memory to the next one.
func (b *parquetBatch) release() {
	b.reset()
	parquetBatches.Put(b)
}

// memory is about what the batch holds in memory: the cells and their text.
func (b *parquetBatch) memory() int {
	return len(b.text) + b.ncells*int(unsafe.Sizeof(pqCell{}))
}

// size estimates the encoded size of the batch: the JSON bytes added, shrunk
// by the ratio the previous object of the sink achieved.
func (b *parquetBatch) size(ratio float64) int {
	return int(float64(b.in) / ratio)
}

func (b *parquetBatch) reset() {
	for _, c := range b.cols {
		c.cells = c.cells[:0]
	}
	b.free = append(b.free, b.cols...)
	clear(b.byName)
	b.cols = b.cols[:0]
	b.last = b.last[:0]
	b.rows, b.in, b.ncells = 0, 0, 0
	b.text = b.text[:0]
}

// ParquetCompressions are the codecs a sink compresses Parquet pages with,
// by the names Athena's write_compression takes, in lower case. zstd, the
// default, keeps what Athena bills, bytes scanned, near the smallest: on
// ticks (BenchmarkParquetBatch) snappy's files are a quarter larger and
// gzip's 4% smaller, and compressing costs about a fifth of encoding a batch
// with any of them.
var ParquetCompressions = []string{"zstd", "snappy", "gzip", "none"}

// parquetCodecs are those codecs. One codec per name serves every object,
// so it keeps its encoders (and their buffers) between objects.
var parquetCodecs = map[string]compress.Codec{
	"snappy": &snappy.Codec{},
	"zstd":   &zstd.Codec{Level: zstd.SpeedFastest},
	"gzip":   &gzip.Codec{Level: gzip.DefaultCompression},
	"none":   &uncompressed.Codec{},
}

// pqPageRows is how many rows are handed to a column writer at a time, so
// that it cuts pages of its usual size rather than one page per column.
const pqPageRows = 8192

// encode writes the batch as one Parquet file. tableTypes, if not nil, maps
// the lower-case names of the table's columns to their catalog types: a
// column is written at least that wide, so that every file of the table
// agrees with the catalog (Athena fails on a Parquet column whose type is not
// the table's, where DuckDB would convert).
func (b *parquetBatch) encode(tableTypes map[string]string, codec compress.Codec) ([]byte, error) {
	// A column with only nulls and no type in the table says nothing:
	// it is left out, rather than typed string for good.
	cols := slices.DeleteFunc(slices.Clone(b.cols), func(col *pqColumn) bool {
		return col.typ == "" && tableTypes[strings.ToLower(col.name)] == ""
	})
	fields := make([]parquet.Field, len(cols))
	types := make([]string, len(cols))
	required := make([]bool, len(cols))
	for i, col := range cols {
		for len(col.cells) < b.rows {
			col.cells = append(col.cells, pqCell{})
		}
		types[i] = b.columnType(col, tableTypes[strings.ToLower(col.name)])
		node := parquetNode(types[i])
		switch types[i] {
		case catalog.TypeString:
			node = parquet.Encoded(node, &parquet.RLEDictionary)
		case catalog.TypeBigint, catalog.TypeTimestamp:
			node = parquet.Encoded(node, &parquet.DeltaBinaryPacked)
		}
		// A column with a value in every row of this file is required in
		// it: no definition levels to write or read (readers take a
		// required column where the table's is nullable).
		required[i] = !slices.ContainsFunc(col.cells, func(c pqCell) bool { return c.kind == cellNull })
		if required[i] {
			node = parquet.Required(node)
		} else {
			node = parquet.Optional(node)
		}
		fields[i] = &pqField{Node: node, name: col.name}
	}
	var out bytes.Buffer
	out.Grow(b.in / 4)
	w := parquet.NewWriter(&out, parquet.NewSchema("event", pqGroup(fields)),
		parquet.Compression(codec),
		parquet.CreatedBy("pipeline", "", ""))
	cws := w.ColumnWriters()
	// A page of values at a time, so that encoding needs no more memory
	// than the batch itself.
	vals := make([]parquet.Value, 0, pqPageRows)
	for i, col := range cols {
		for start := 0; start < len(col.cells); start += pqPageRows {
			vals = vals[:0]
			for _, c := range col.cells[start:min(start+pqPageRows, len(col.cells))] {
				v, _ := b.value(c, types[i]) // columnType checked every cell
				if !required[i] {
					v = v.Level(0, min(1, int(c.kind)), i)
				}
				vals = append(vals, v)
			}
			if _, err := cws[i].WriteRowValues(vals); err != nil {
				return nil, fmt.Errorf("parquet: column %q: %w", col.name, err)
			}
		}
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("parquet: %w", err)
	}
	return out.Bytes(), nil
}

// columnType settles a column's type: the widest of its cells' and the
// table's. A date, timestamp or bigint column with a cell that does not parse
// as one becomes a string (or double) column instead; only those types are
// checked cell by cell, the others take every cell they are widened over.
func (b *parquetBatch) columnType(col *pqColumn, tableType string) string {
	typ := catalog.WidenType(tableType, col.typ)
	if typ == "" {
		return catalog.TypeString // only nulls seen
	}
	for typ == catalog.TypeBigint || typ == catalog.TypeDate || typ == catalog.TypeTimestamp {
		ok := true
		for _, c := range col.cells {
			if typ == catalog.TypeBigint && c.n <= 18 {
				continue // an integer of 18 digits or fewer fits an int64
			}
			if _, good := b.value(c, typ); !good {
				ok = false
				break
			}
		}
		if ok {
			return typ
		}
		if typ == catalog.TypeBigint {
			typ = catalog.TypeDouble // beyond int64
		} else {
			typ = catalog.TypeString
		}
	}
	return typ
}

// value converts one cell to a value of the column type typ, or says it
// cannot be one.
func (b *parquetBatch) value(c pqCell, typ string) (parquet.Value, bool) {
	if c.kind == cellNull {
		return parquet.Value{}, true
	}
	text := b.text[c.off : c.off+c.n]
	switch typ {
	case catalog.TypeString:
		return parquet.ByteArrayValue(text), true
	case catalog.TypeBigint:
		n, err := strconv.ParseInt(string(text), 10, 64)
		return parquet.Int64Value(n), err == nil
	case catalog.TypeDouble:
		if f, ok := parseDecimal(text); ok {
			return parquet.DoubleValue(f), true
		}
		f, err := strconv.ParseFloat(string(text), 64)
		if err != nil && !math.IsInf(f, 0) { // out of range: ±Inf, as DuckDB reads it
			return parquet.Value{}, false
		}
		return parquet.DoubleValue(f), true
	case catalog.TypeBoolean:
		return parquet.BooleanValue(text[0] == 't'), true
	case catalog.TypeDate:
		t, err := time.Parse("2006-01-02", string(text))
		return parquet.Int32Value(int32(t.Unix() / 86400)), err == nil
	case catalog.TypeTimestamp:
		t, ok := parseCellTime(text)
		return parquet.Int64Value(t.UnixMilli()), ok
	}
	return parquet.Value{}, false
}

// pow10 are the powers of ten a float64 holds exactly.
var pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// parseDecimal parses a plain decimal such as -187.23 (no exponent, at most
// 15 digits) the quick way: its digits as an integer, which a float64 holds
// exactly, divided by an exact power of ten. One correctly rounded division
// of two exact values is the correctly rounded value, as ParseFloat's.
// It says false for anything else, which ParseFloat then reads.
func parseDecimal(b []byte) (float64, bool) {
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	var m uint64
	digits, frac := 0, -1
	for i, c := range b {
		switch {
		case '0' <= c && c <= '9':
			m = m*10 + uint64(c-'0')
			digits++
		case c == '.' && frac < 0 && i > 0 && i < len(b)-1:
			frac = len(b) - i - 1
		default:
			return 0, false
		}
	}
	if digits == 0 || digits > 15 {
		return 0, false
	}
	f := float64(m)
	if frac > 0 {
		f /= pow10[frac]
	}
	if neg {
		f = -f
	}
	return f, true
}

// parseCellTime parses what timestampRE accepts: a date, 'T' or a space, a
// time with an optional fraction, and an optional zone; a time without a zone
// is UTC. A date alone (in a column widened to timestamp) is midnight.
func parseCellTime(b []byte) (time.Time, bool) {
	if t, ok := eventjson.ParseUTCTime(b); ok {
		return t, true
	}
	s := string(b)
	if len(s) == 10 {
		t, err := time.Parse("2006-01-02", s)
		return t, err == nil
	}
	if len(s) > 10 && s[10] == ' ' {
		s = s[:10] + "T" + s[11:]
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999Z0700", "2006-01-02T15:04:05.999999999"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// parquetNode is the Parquet type of a catalog type.
func parquetNode(typ string) parquet.Node {
	switch typ {
	case catalog.TypeBigint:
		return parquet.Int(64)
	case catalog.TypeDouble:
		return parquet.Leaf(parquet.DoubleType)
	case catalog.TypeBoolean:
		return parquet.Leaf(parquet.BooleanType)
	case catalog.TypeDate:
		return parquet.Date()
	case catalog.TypeTimestamp:
		// Not adjusted to UTC: DuckDB reads that as TIMESTAMP (not WITH
		// TIME ZONE), as Athena reads timestamp; the values are UTC.
		return parquet.TimestampAdjusted(parquet.Millisecond, false)
	default:
		return parquet.String()
	}
}

// pqGroup is a Parquet group whose fields keep their order: parquet.Group
// sorts them by name, and a table's columns should read symbol, ts, seq...
type pqGroup []parquet.Field

func (g pqGroup) ID() int                     { return 0 }
func (g pqGroup) String() string              { return "event" }
func (g pqGroup) Type() parquet.Type          { return parquet.Group{}.Type() }
func (g pqGroup) Optional() bool              { return false }
func (g pqGroup) Repeated() bool              { return false }
func (g pqGroup) Required() bool              { return true }
func (g pqGroup) Leaf() bool                  { return false }
func (g pqGroup) Fields() []parquet.Field     { return g }
func (g pqGroup) Encoding() encoding.Encoding { return nil }
func (g pqGroup) Compression() compress.Codec { return nil }
func (g pqGroup) GoType() reflect.Type        { return reflect.TypeFor[map[string]any]() }

// pqField is a named field of a pqGroup.
type pqField struct {
	parquet.Node
	name string
}

func (f *pqField) Name() string                      { return f.name }
func (f *pqField) Value(reflect.Value) reflect.Value { return reflect.Value{} }
