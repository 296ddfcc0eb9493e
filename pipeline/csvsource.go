package pipeline

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"pipeline/internal/eventjson"
)

// CSVOptions choose how a CSV source reads its file. The zero value samples
// random rows with seed 0 and detects the symbol and time columns.
type CSVOptions struct {
	// Order is OrderSample (the default when empty) or OrderReplay.
	Order Order
	// Seed seeds OrderSample's choice of rows.
	Seed int64
	// SymbolColumn and TimeColumn name the header of the symbol and time
	// columns, overriding detection. They match a header case-insensitively,
	// as written or as its SQL name ("Adj Close" or "adj_close").
	SymbolColumn, TimeColumn string
}

// Header names that detection looks for, in order of preference, compared
// with the SQL name of each header (so "Trade Date" is "trade_date").
var (
	symbolHeaders = []string{"symbol", "ticker", "stock", "name", "index", "code", "instrument",
		"sym", "ticker_symbol", "stock_symbol", "security", "company"}
	timeHeaders = []string{"date", "datetime", "timestamp", "time", "ts",
		"date_time", "trade_date", "trade_time", "tradedate", "day"}
)

// CSVSource is a Source over the rows of a CSV file, loaded whole into memory
// when it is opened. Every column of the file is kept, typed from its content;
// see OpenCSV. A CSVSource is not safe for concurrent use; Next never returns
// an error, as the source starts over (replay) or never ends (sample).
type CSVSource struct {
	names   []string
	kinds   []Kind
	cols    []csvColumn
	symbols []string // per good row
	records int      // data records read, good or skipped
	skipped map[string]int64

	rng    *rand.Rand // sample
	order  []int32    // replay: rows in time order
	pos    int
	values []Value
}

// csvColumn holds one value column, typed: only the slice of its kind is used.
type csvColumn struct {
	field  int // index of the column in a record
	kind   Kind
	ints   []int64
	floats []float64
	strs   []string
	null   []bool            // nil until a cell of the column is null
	intern map[string]string // string columns with few distinct values
}

// maxInterned is how many distinct values a string column shares between
// rows before it stops trying.
const maxInterned = 1024

// OpenCSV loads the CSV file at path as a Source. nil opts means defaults.
//
// The first non-blank record is the header. The symbol column is the one
// opts.SymbolColumn names, or else the first header found among symbol,
// ticker, stock, name, index, code, instrument, ...; the time column likewise
// among date, datetime, timestamp, time, ts, .... A time column is needed for
// OrderReplay only. Both are kept as strings, as in the file; the event's own
// ts is the emission time.
//
// Every column becomes a value column, named for SQL: lower case, runs of
// other characters than [a-z0-9] as "_", "col_" before a leading digit,
// "col_N" for an empty name, "_2", "_3" after repeats, and "_csv" after
// symbol, ts and seq. The symbol column is kept under its own name too,
// unless that name is "symbol". A column is bigint if every non-missing cell
// is a whole number that fits int64 (1495365300.0 included), double if every
// non-missing cell is a finite number, and string otherwise; the symbol and
// time columns are always strings. A cell is missing if it is empty or null,
// and in a numeric column also NaN, N/A, NA, none, #N/A or "-".
//
// A row is skipped, and counted by reason in Skipped, if it has another
// number of fields than the header, an empty symbol (or one the sink would
// reject: over MaxSymbolLen bytes, not UTF-8 or with a control character), an
// unparsable time (OrderReplay), or a missing value in a numeric column. A
// numeric column missing in more than half of the rows is taken as optional
// instead: its missing cells are null and do not skip the row. A copy of the
// header line in the data is skipped too. OpenCSV fails if no row is left.
//
// OrderSample picks a random usable row per tick, from a generator seeded
// with opts.Seed. OrderReplay sorts the usable rows by their time, keeping
// the file's order between equal times, and starts over after the last. It
// reads times written 2006-01-02, 2006-01-02 15:04:05 or 2006-01-02T15:04:05
// (with or without a fraction of a second, and a zone or Z; no zone is UTC),
// RFC 3339, 2006/01/02, 01/02/2006 (US order), 20060102, or as a unix time in
// seconds, milliseconds, microseconds or nanoseconds (all digits, told apart
// by size).
//
// The whole file is read at once: expect a transient few times its size in
// memory, and about 10 bytes per number and 16 to 40 per string cell after.
//
// The file may start with a UTF-8 byte order mark, use CRLF line endings,
// quoted fields, and ";", tab or "|" instead of "," (chosen from the header
// line when it has no comma).
func OpenCSV(path string, opts *CSVOptions) (*CSVSource, error) {
	var o CSVOptions
	if opts != nil {
		o = *opts
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return loadCSV(path, data, o)
}

// Columns returns the SQL names of the value columns.
func (s *CSVSource) Columns() []string { return s.names }

// Kinds returns the type of each column of Columns: KindInt, KindFloat or
// KindString. The slice is shared and must not be modified.
func (s *CSVSource) Kinds() []Kind { return s.kinds }

// Rows returns the number of usable rows.
func (s *CSVSource) Rows() int { return len(s.symbols) }

// Skipped returns how many rows were skipped, by reason.
func (s *CSVSource) Skipped() map[string]int64 { return maps.Clone(s.skipped) }

// Next returns a random row (OrderSample) or the next row in time order,
// starting over after the last (OrderReplay). The values are reused by the
// next call.
func (s *CSVSource) Next() (string, []Value, error) {
	var r int
	if s.order != nil {
		r = int(s.order[s.pos])
		if s.pos++; s.pos == len(s.order) {
			s.pos = 0
		}
	} else {
		r = s.rng.IntN(len(s.symbols))
	}
	for i := range s.cols {
		s.values[i] = s.cols[i].value(r)
	}
	return s.symbols[r], s.values, nil
}

func (c *csvColumn) value(r int) Value {
	if c.null != nil && c.null[r] {
		return Null()
	}
	switch c.kind {
	case KindInt:
		return Int(c.ints[r])
	case KindFloat:
		return Float(c.floats[r])
	default:
		return String(c.strs[r])
	}
}

func (c *csvColumn) add(v Value, row int) {
	if v.IsNull() && c.null == nil {
		c.null = make([]bool, row, max(row+1, cap(c.strs), cap(c.ints), cap(c.floats)))
	}
	if c.null != nil {
		c.null = append(c.null, v.IsNull())
	}
	switch c.kind {
	case KindInt:
		c.ints = append(c.ints, v.Int)
	case KindFloat:
		c.floats = append(c.floats, v.Float)
	default:
		c.strs = append(c.strs, c.keep(v.Str))
	}
}

// keep copies s out of the record's line, sharing equal values while the
// column has few distinct ones.
func (c *csvColumn) keep(s string) string {
	if c.intern == nil {
		return strings.Clone(s)
	}
	if k, ok := c.intern[s]; ok {
		return k
	}
	if len(c.intern) == maxInterned {
		c.intern = nil
		return strings.Clone(s)
	}
	k := strings.Clone(s)
	c.intern[k] = k
	return k
}

// csvSchema is what parsing a row needs to know about the file's columns.
type csvSchema struct {
	header   []string // as in the file
	names    []string // SQL name of each field, for skip reasons
	symbol   int      // field of the symbol
	time     int      // field of the time column, -1 if none
	needTime bool     // a row needs a parsable time (replay)
	kinds    []Kind   // per field; KindString for the symbol and time
	optional []bool   // per field: a missing number is null, not a skip
	layout   int      // index in timeLayouts of the last time parsed
}

// Reasons for skipping a row, as Skipped reports them. Reasons about a
// column name it.
const (
	skipFieldCount = "wrong number of fields"
	skipNoSymbol   = "empty symbol"
	skipBadSymbol  = "bad symbol (too long, not UTF-8 or control characters)"
	skipHeader     = "repeated header"
	skipCSV        = "unreadable CSV record"
)

// parseRow parses one data record of the file described by sch into dst,
// which has one Value per field, the symbol's included. It returns the row's
// symbol and time (zero unless sch.needTime), or why the row is unusable.
// It keeps no reference to rec, but the strings in dst share rec's memory.
func (sch *csvSchema) parseRow(rec []string, dst []Value) (symbol string, t time.Time, reason string) {
	if len(rec) != len(sch.kinds) {
		return "", t, skipFieldCount
	}
	symbol = strings.TrimSpace(rec[sch.symbol])
	if symbol == "" || strings.EqualFold(symbol, "null") {
		return "", t, skipNoSymbol
	}
	if !validSymbol(symbol) {
		return "", t, skipBadSymbol
	}
	if sch.needTime {
		var ok bool
		if t, ok = parseTimeHint(rec[sch.time], &sch.layout); !ok {
			return "", t, fmt.Sprintf("unparsable time in %s", sch.names[sch.time])
		}
	}
	for f, cell := range rec {
		switch {
		case f == sch.symbol:
			dst[f] = String(symbol)
		case sch.kinds[f] == KindString:
			if nullString(cell) {
				dst[f] = Null()
			} else {
				dst[f] = String(cell)
			}
		default:
			c := strings.TrimSpace(cell)
			if missingNumber(c) {
				if !sch.optional[f] {
					return "", t, fmt.Sprintf("missing value in %s", sch.names[f])
				}
				dst[f] = Null()
				continue
			}
			var ok bool
			if sch.kinds[f] == KindInt {
				var i int64
				i, ok = parseIntCell(c)
				dst[f] = Int(i)
			} else {
				var x float64
				x, ok = parseFloatCell(c)
				dst[f] = Float(x)
			}
			if !ok {
				return "", t, fmt.Sprintf("unparsable number in %s", sch.names[f])
			}
		}
	}
	return symbol, t, ""
}

// validSymbol reports whether the sink would take s as a symbol.
func validSymbol(s string) bool {
	if len(s) > eventjson.MaxSymbolLen || !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}

func nullString(s string) bool {
	s = strings.TrimSpace(s)
	return s == "" || strings.EqualFold(s, "null")
}

// missingNumber reports whether a trimmed numeric cell says "no value".
func missingNumber(s string) bool {
	switch len(s) {
	case 0:
		return true
	case 1:
		return s == "-"
	case 2, 3, 4:
		for _, m := range [...]string{"na", "nan", "n/a", "#n/a", "null", "none"} {
			if strings.EqualFold(s, m) {
				return true
			}
		}
	}
	return false
}

// parseIntCell parses a whole number, also written as a float (1495365300.0).
func parseIntCell(s string) (int64, bool) {
	digits := strings.TrimLeft(s, "+-")
	if len(s)-len(digits) <= 1 && allDigits(digits) {
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return i, true
		}
	}
	f, ok := parseFloatCell(s)
	if !ok || f != math.Trunc(f) || f < math.MinInt64 || f >= math.MaxInt64 {
		return 0, false
	}
	return int64(f), true
}

// parseFloatCell parses a finite decimal number: not hex, Inf or NaN, which
// strconv.ParseFloat also takes.
func parseFloatCell(s string) (float64, bool) {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && c != '.' && c != '-' && c != '+' && c != 'e' && c != 'E' {
			return 0, false
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

// timeLayouts are tried in order by parseTime. A fraction of a second after
// the seconds is accepted by every layout with seconds. Times without a zone
// are UTC.
var timeLayouts = []string{
	time.RFC3339,
	"2006-01-02T15:04:05Z0700",
	"2006-01-02T15:04:05",
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02 15:04:05 -0700",
	"2006-01-02 15:04:05",
	"2006-01-02T15:04",
	"2006-01-02 15:04",
	"2006-01-02",
	"2006/01/02 15:04:05",
	"2006/01/02",
	"1/2/2006 15:04:05",
	"1/2/2006 15:04",
	"1/2/2006",
}

// parseTime parses a time cell: one of timeLayouts, or all digits: a date
// written 20060102 (8 digits), else unix seconds, milliseconds, microseconds
// or nanoseconds, told apart by size.
func parseTime(s string) (time.Time, bool) {
	var hint int
	return parseTimeHint(s, &hint)
}

// parseTimeHint is parseTime trying timeLayouts[*hint] first, and setting
// *hint to the layout that worked: a column is usually written one way.
func parseTimeHint(s string, hint *int) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, false
	}
	if allDigits(s) {
		if len(s) == 8 {
			if t, err := time.Parse("20060102", s); err == nil && t.Year() >= 1900 {
				return t, true
			}
		}
		n, err := strconv.ParseInt(s, 10, 64)
		switch {
		case err != nil:
			return time.Time{}, false
		case n < 1e11:
			return time.Unix(n, 0).UTC(), true
		case n < 1e14:
			return time.UnixMilli(n).UTC(), true
		case n < 1e17:
			return time.UnixMicro(n).UTC(), true
		default:
			return time.Unix(0, n).UTC(), true
		}
	}
	if t, err := time.Parse(timeLayouts[*hint], s); err == nil {
		return t, true
	}
	for i, layout := range timeLayouts {
		if t, err := time.Parse(layout, s); err == nil && i != *hint {
			*hint = i
			return t, true
		}
	}
	return time.Time{}, false
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return len(s) > 0
}

// sqlName makes a header a safe SQL identifier: lower case [a-z0-9_], not
// starting with a digit, at most 128 bytes. i is the column's index, for a
// header with nothing usable in it.
func sqlName(h string, i int) string {
	b := make([]byte, 0, len(h))
	sep := false
	for j := 0; j < len(h); j++ {
		c := h[j]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if ('a' <= c && c <= 'z') || ('0' <= c && c <= '9') {
			if sep && len(b) > 0 {
				b = append(b, '_')
			}
			sep = false
			b = append(b, c)
		} else {
			sep = true
		}
	}
	if len(b) == 0 {
		return "col_" + strconv.Itoa(i+1)
	}
	if b[0] >= '0' && b[0] <= '9' {
		b = append([]byte("col_"), b...)
	}
	if len(b) > 128 {
		b = bytes.TrimRight(b[:128], "_")
	}
	return string(b)
}

// reservedName reports whether an event already has a field of that name.
func reservedName(n string) bool { return n == "symbol" || n == "ts" || n == "seq" }

// columnNames returns which fields are value columns and their unique names,
// given the SQL name of every field: every field but the symbol's when that
// one is called "symbol".
func columnNames(names []string, symbol int) (cols []string, fields []int) {
	used := make(map[string]bool, len(names))
	for i, n := range names {
		if i == symbol && n == "symbol" {
			continue
		}
		if reservedName(n) {
			n += "_csv"
		}
		if used[n] {
			base := n
			for k := 2; used[n]; k++ {
				n = base + "_" + strconv.Itoa(k)
			}
		}
		used[n] = true
		cols = append(cols, n)
		fields = append(fields, i)
	}
	return cols, fields
}

// findColumn returns the field that override names, or else the first header
// among candidates, or -1.
func findColumn(header, names []string, override string, candidates []string) int {
	if override != "" {
		o := strings.TrimSpace(override)
		for i, h := range header {
			if strings.EqualFold(strings.TrimSpace(h), o) {
				return i
			}
		}
		on := sqlName(o, 0)
		for i, n := range names {
			if n == on {
				return i
			}
		}
		return -1
	}
	for _, c := range candidates {
		if i := slices.Index(names, c); i >= 0 {
			return i
		}
	}
	return -1
}

// describeHeader lists a header for an error message, shortened when long.
func describeHeader(header []string) string {
	const maxCols, maxLen = 30, 40
	var b strings.Builder
	for i, h := range header {
		if i == maxCols {
			fmt.Fprintf(&b, ", ... (%d columns)", len(header))
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		if len(h) > maxLen {
			h = h[:maxLen] + "..."
		}
		fmt.Fprintf(&b, "%q", h)
	}
	return b.String()
}

// sniffComma picks the field separator from the first non-blank line: ","
// if it has one, else the most frequent of ";", tab and "|".
func sniffComma(data []byte) rune {
	var line []byte
	for len(data) > 0 && len(bytes.TrimSpace(line)) == 0 {
		line, data, _ = bytes.Cut(data, []byte("\n"))
	}
	if bytes.IndexByte(line, ',') >= 0 {
		return ','
	}
	best, n := ',', 0
	for _, c := range []byte{';', '\t', '|'} {
		if k := bytes.Count(line, []byte{c}); k > n {
			best, n = rune(c), k
		}
	}
	return best
}

// csvRecords reads the records of data, skipping blank lines.
type csvRecords struct {
	r *csv.Reader
}

func newCSVRecords(data []byte, comma rune) *csvRecords {
	r := csv.NewReader(bytes.NewReader(data))
	r.Comma = comma
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	r.ReuseRecord = true
	return &csvRecords{r: r}
}

// next returns the next non-blank record, io.EOF at the end, or a
// *csv.ParseError for a record it could not read (reading may go on).
func (c *csvRecords) next() ([]string, error) {
	for {
		rec, err := c.r.Read()
		if err != nil {
			return nil, err
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		return rec, nil
	}
}

// loadCSV is OpenCSV once the file is read; name is the file's path, for
// messages.
func loadCSV(name string, data []byte, o CSVOptions) (*CSVSource, error) {
	switch o.Order {
	case "":
		o.Order = OrderSample
	case OrderSample, OrderReplay:
	default:
		return nil, fmt.Errorf("unknown order %q: use %s or %s", o.Order, OrderSample, OrderReplay)
	}
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	comma := sniffComma(data)

	recs := newCSVRecords(data, comma)
	rec, err := recs.next()
	if err == io.EOF {
		return nil, fmt.Errorf("%s is empty: a CSV file with a header line is needed", name)
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read %s as CSV: %w", name, err)
	}
	header := slices.Clone(rec)
	sch, err := newSchema(name, header, o)
	if err != nil {
		return nil, err
	}
	colNames, fields := columnNames(sch.names, sch.symbol)

	// Pass 1: type the columns from the rows that pass the checks that do
	// not depend on types.
	rows, err := sch.typeColumns(data, comma)
	if err != nil {
		return nil, fmt.Errorf("cannot read %s as CSV: %w", name, err)
	}

	// Pass 2: parse and store the rows.
	s := &CSVSource{
		names:   colNames,
		kinds:   make([]Kind, len(fields)),
		cols:    make([]csvColumn, len(fields)),
		skipped: map[string]int64{},
		values:  make([]Value, len(fields)),
		symbols: make([]string, 0, rows),
	}
	for i, f := range fields {
		c := csvColumn{field: f, kind: sch.kinds[f]}
		switch c.kind {
		case KindInt:
			c.ints = make([]int64, 0, rows)
		case KindFloat:
			c.floats = make([]float64, 0, rows)
		default:
			c.strs = make([]string, 0, rows)
			c.intern = map[string]string{}
		}
		s.kinds[i], s.cols[i] = c.kind, c
	}
	symbols := map[string]string{}
	var times []time.Time
	if sch.needTime {
		times = make([]time.Time, 0, rows)
	}
	dst := make([]Value, len(header))
	recs = newCSVRecords(data, comma)
	recs.next() // the header
	for {
		rec, err := recs.next()
		if err == io.EOF {
			break
		}
		s.records++
		if err != nil {
			var perr *csv.ParseError
			if !errors.As(err, &perr) {
				return nil, fmt.Errorf("cannot read %s as CSV: %w", name, err)
			}
			s.skipped[skipCSV]++
			continue
		}
		if slices.Equal(rec, header) {
			s.skipped[skipHeader]++
			continue
		}
		sym, t, reason := sch.parseRow(rec, dst)
		if reason != "" {
			s.skipped[reason]++
			continue
		}
		k, ok := symbols[sym]
		if !ok {
			k = strings.Clone(sym)
			symbols[k] = k
		}
		row := len(s.symbols)
		s.symbols = append(s.symbols, k)
		for i := range s.cols {
			c := &s.cols[i]
			v := dst[c.field]
			if c.field == sch.symbol {
				v = String(k)
			}
			c.add(v, row)
		}
		if sch.needTime {
			times = append(times, t)
		}
	}
	if len(s.symbols) == 0 {
		if s.records == 0 {
			return nil, fmt.Errorf("no usable rows in %s: it has a header line and no data", name)
		}
		return nil, fmt.Errorf("no usable rows in %s: all %d rows were skipped because: %s", name, s.records, describeSkipped(s.skipped))
	}

	if o.Order == OrderReplay {
		s.order = make([]int32, len(times))
		for i := range s.order {
			s.order[i] = int32(i)
		}
		slices.SortStableFunc(s.order, func(a, b int32) int { return times[a].Compare(times[b]) })
	} else {
		seed := uint64(o.Seed)
		s.rng = rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	}
	return s, nil
}

// newSchema finds the symbol and time columns of header.
func newSchema(name string, header []string, o CSVOptions) (*csvSchema, error) {
	names := make([]string, len(header))
	for i, h := range header {
		names[i] = sqlName(h, i)
	}
	sch := &csvSchema{header: header, names: names, time: -1, needTime: o.Order == OrderReplay}
	sch.symbol = findColumn(header, names, o.SymbolColumn, symbolHeaders)
	if sch.symbol < 0 {
		if o.SymbolColumn != "" {
			return nil, fmt.Errorf("symbol column %q is not in the header of %s: %s", o.SymbolColumn, name, describeHeader(header))
		}
		return nil, fmt.Errorf("no symbol column in %s: looked for a header named %s; the header is %s: pass --symbol-column",
			name, strings.Join(symbolHeaders, ", "), describeHeader(header))
	}
	sch.time = findColumn(header, names, o.TimeColumn, timeHeaders)
	switch {
	case sch.time < 0 && o.TimeColumn != "":
		return nil, fmt.Errorf("time column %q is not in the header of %s: %s", o.TimeColumn, name, describeHeader(header))
	case sch.time < 0 && sch.needTime:
		return nil, fmt.Errorf("no time column in %s, which %s order needs: looked for a header named %s; the header is %s: pass --time-column",
			name, OrderReplay, strings.Join(timeHeaders, ", "), describeHeader(header))
	case sch.time == sch.symbol:
		return nil, fmt.Errorf("the symbol and the time column of %s are both %q: pass another --symbol-column or --time-column", name, header[sch.symbol])
	}
	return sch, nil
}

// typeColumns sets sch.kinds and sch.optional from the rows of data, and
// returns how many rows it looked at: an upper bound of the usable rows.
func (sch *csvSchema) typeColumns(data []byte, comma rune) (int, error) {
	n := len(sch.header)
	type stats struct {
		notNumber, notInt bool
		values, missing   int
	}
	st := make([]stats, n)
	rows := 0
	recs := newCSVRecords(data, comma)
	recs.next() // the header
	for {
		rec, err := recs.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			var perr *csv.ParseError
			if errors.As(err, &perr) {
				continue
			}
			return 0, err
		}
		if !sch.usable(rec) {
			continue
		}
		rows++
		for f, cell := range rec {
			if f == sch.symbol || f == sch.time || st[f].notNumber {
				continue
			}
			c := strings.TrimSpace(cell)
			if missingNumber(c) {
				st[f].missing++
				continue
			}
			st[f].values++
			if !st[f].notInt {
				_, ok := parseIntCell(c)
				st[f].notInt = !ok
			}
			if st[f].notInt {
				_, ok := parseFloatCell(c)
				st[f].notNumber = !ok
			}
		}
	}
	sch.kinds = make([]Kind, n)
	sch.optional = make([]bool, n)
	for f := range n {
		switch {
		case f == sch.symbol || f == sch.time || st[f].notNumber || st[f].values == 0:
			sch.kinds[f] = KindString
		case st[f].notInt:
			sch.kinds[f] = KindFloat
		default:
			sch.kinds[f] = KindInt
		}
		sch.optional[f] = 2*st[f].missing > rows
	}
	return rows, nil
}

// usable reports whether rec passes the checks of parseRow that do not
// depend on column types.
func (sch *csvSchema) usable(rec []string) bool {
	if len(rec) != len(sch.header) || slices.Equal(rec, sch.header) {
		return false
	}
	sym := strings.TrimSpace(rec[sch.symbol])
	if sym == "" || strings.EqualFold(sym, "null") || !validSymbol(sym) {
		return false
	}
	if sch.needTime {
		if _, ok := parseTimeHint(rec[sch.time], &sch.layout); !ok {
			return false
		}
	}
	return true
}

// describeSkipped lists skip reasons, most frequent first.
func describeSkipped(m map[string]int64) string {
	reasons := slices.Collect(maps.Keys(m))
	slices.SortFunc(reasons, func(a, b string) int {
		if m[a] != m[b] {
			return int(m[b] - m[a])
		}
		return strings.Compare(a, b)
	})
	parts := make([]string, len(reasons))
	for i, r := range reasons {
		parts[i] = fmt.Sprintf("%d %s", m[r], r)
	}
	return strings.Join(parts, ", ")
}
