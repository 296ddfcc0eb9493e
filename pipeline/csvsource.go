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
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"pipeline/internal/eventjson"
)

// CSVOptions choose how a CSV source reads its files. The zero value samples
// random rows with seed 0, detects the symbol and time columns, and bounds a
// record at DefaultMaxRecordBytes.
type CSVOptions struct {
	// Order is OrderSample (the default when empty) or OrderReplay.
	Order Order
	// Seed seeds OrderSample's choice of rows.
	Seed int64
	// SymbolColumn and TimeColumn name the header of the symbol and time
	// columns, overriding detection, in every file. They match a header
	// case-insensitively, as written or as its SQL name ("Adj Close" or
	// "adj_close").
	SymbolColumn, TimeColumn string
	// Symbol is the symbol of the rows of a file with no symbol column; when
	// empty, it comes from the file's name (see SymbolFromFileName).
	Symbol string
	// MaxRecordBytes bounds one record: a line, or the lines of a quoted
	// field that spans several. 0 means DefaultMaxRecordBytes.
	MaxRecordBytes int
}

// Header names that detection looks for, in order of preference, compared
// with the SQL name of each header (so "Trade Date" is "trade_date").
var (
	symbolHeaders = []string{"symbol", "ticker", "stock", "name", "index", "code", "instrument",
		"sym", "ticker_symbol", "stock_symbol", "security", "company"}
	timeHeaders = []string{"date", "datetime", "timestamp", "time", "ts",
		"date_time", "trade_date", "trade_time", "tradedate", "day"}
)

// CSVSource is a Source over the rows of one or more CSV files, held in
// memory by column once they are read. Every column of the files is kept,
// typed from its content; see OpenCSVFiles. A CSVSource is not safe for
// concurrent use; Next never returns an error, as the source starts over
// (replay) or never ends (sample).
type CSVSource struct {
	names   []string
	kinds   []Kind
	cols    []csvColumn
	symbols []string // per good row
	records int      // data records read, good or skipped
	skipped map[string]int64
	files   []csvFileReport

	rng    *rand.Rand // sample
	order  []int32    // replay: rows in time order
	pos    int
	values []Value
}

// csvFileReport is what reading one file gave.
type csvFileReport struct {
	name       string
	rows       int
	skipped    map[string]int64
	fileSymbol string // the symbol of its rows when it has no symbol column
	fromName   bool   // fileSymbol came from the file name
}

// csvColumn holds one value column, typed: only the slice of its kind is used.
type csvColumn struct {
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

// OpenCSV is OpenCSVFiles of one file.
func OpenCSV(path string, opts *CSVOptions) (*CSVSource, error) {
	return OpenCSVFiles([]string{path}, opts)
}

// OpenCSVFiles reads the CSV files at paths as one Source. nil opts means
// defaults.
//
// # Files
//
// Each file is read as a stream, twice (once to type the columns, once to
// keep the rows), so its text is never in memory whole: what stays is the
// rows by column, about 8 bytes a number and 16 to 40 a string cell. A
// record (a line, or the lines of a quoted field) longer than
// opts.MaxRecordBytes is an error as soon as that many bytes are read. A
// gzip file is decompressed; a UTF-8 byte order mark is dropped; UTF-16 with
// a byte order mark is decoded; lines may end with LF, CRLF or CR. A file
// that is a ZIP archive (an .xlsx workbook), an .xls workbook, another
// archive or compression, a PDF, an HTML page, or has NUL bytes near its
// start, is an error that says so. Fields may be quoted and separated by
// ",", or ";", tab or "|" (chosen from the header line when it has no comma).
//
// # Columns
//
// The first non-blank record of a file is its header. The symbol column is
// the one opts.SymbolColumn names, or else the first header found among
// symbol, ticker, stock, name, index, code, instrument, ...; the time column
// likewise among date, datetime, timestamp, time, ts, .... A file with no
// symbol column (a single-stock download, Date,Open,High,Low,Close,Adj
// Close,Volume) gives all its rows the symbol opts.Symbol, or else the one
// its name gives (see SymbolFromFileName). A time column is needed for
// OrderReplay only. The event's own ts is the emission time.
//
// Every column becomes a value column, named for SQL: lower case, runs of
// other characters than [a-z0-9] as "_", "col_" before a leading digit,
// "col_N" for an empty name, "_2", "_3" after repeats, and "_csv" after
// symbol, ts and seq. The symbol column is kept under its own name too,
// unless that name is "symbol". Columns of the same name in several files
// are one column, in the order first seen; a row of a file without it has
// null there.
//
// # Types
//
// A column's type is decided by the bulk of its values, over the rows of
// every file that pass the checks below that do not depend on types: it is
// bigint if at least 99% of its non-missing cells are numbers and they are
// all whole numbers that fit int64 (1495365300.0 included), double if at
// least 99% are finite numbers, and string otherwise. A string column whose
// cells are at least 99% times (the layouts below) is a time column. The
// symbol columns and the time columns are strings, kept as in the file; a
// time column is a time column by the same 99% rule. A cell that does not
// read as its column's type is then a skipped row, never a change of type:
// one "abc" among numbers, or one unparsable date among dates, costs its
// row only. A cell is missing if it is empty or null, and in a numeric or
// time column also NaN, N/A, NA, none, #N/A or "-".
//
// Numbers may have a leading "$" and thousands separators. A column that
// could be read two ways is read the way that makes more of its cells
// numbers: with "." as the decimal point and "," between thousands
// (1,234,567 and 1,234.56), or with "," as the decimal point and ".", a
// space or a no-break space between thousands (1.234.567 and 1.234,56); on a
// tie, with the decimal comma in a file separated by ";" and the decimal
// point in any other. So "1,000" is 1000 in a comma-separated file and 1 in a
// ";"-separated one, and 10.500 is 10.5 in the first and 10500 in the second.
//
// # Skipped rows
//
// A row is skipped, and counted by reason in Skipped, if it has another
// number of fields than the header, an empty symbol (or one the sink would
// reject: over MaxSymbolLen bytes, not UTF-8 or with a control character), a
// missing or unreadable cell in a numeric or time column, or no time that
// reads (OrderReplay). A numeric or time column missing in more than half of
// the rows is taken as optional instead: its missing cells are null and do
// not skip the row. A copy of the header line in the data is skipped too.
// OpenCSVFiles fails if no row is left.
//
// # Order
//
// OrderSample picks a random row of all the files per tick, from a generator
// seeded with opts.Seed. OrderReplay sorts the rows of all the files by
// their time, keeping the order of the files and of their rows between
// equal times, and starts over after the last. It reads times written
// 2006-01-02, 2006-01-02 15:04:05 or 2006-01-02T15:04:05 (with or without a
// fraction of a second, and a zone or Z; no zone is UTC), RFC 3339,
// 2006/01/02, 01/02/2006 (US order), 02.01.2006 (day first), 20060102, or
// as a unix time in seconds, milliseconds, microseconds or nanoseconds (all
// digits, told apart by size).
func OpenCSVFiles(paths []string, opts *CSVOptions) (*CSVSource, error) {
	var o CSVOptions
	if opts != nil {
		o = *opts
	}
	inputs := make([]csvInput, len(paths))
	for i, p := range paths {
		inputs[i] = fileInput(p)
	}
	return loadCSV(inputs, o)
}

// Columns returns the SQL names of the value columns.
func (s *CSVSource) Columns() []string { return s.names }

// Kinds returns the type of each column of Columns: KindInt, KindFloat or
// KindString. The slice is shared and must not be modified.
func (s *CSVSource) Kinds() []Kind { return s.kinds }

// Rows returns the number of usable rows.
func (s *CSVSource) Rows() int { return len(s.symbols) }

// Skipped returns how many rows were skipped, by reason, in all files.
func (s *CSVSource) Skipped() map[string]int64 { return maps.Clone(s.skipped) }

// SkipReport says how many rows of which file were skipped and why, on one
// line, or "" if none was.
func (s *CSVSource) SkipReport() string {
	var parts []string
	var total int64
	for _, f := range s.files {
		var n int64
		for _, c := range f.skipped {
			n += c
		}
		if n > 0 {
			total += n
			parts = append(parts, fmt.Sprintf("%s (%s)", f.name, describeSkipped(f.skipped)))
			if len(s.files) > 1 {
				parts[len(parts)-1] = fmt.Sprintf("%d of %s", n, parts[len(parts)-1])
			}
		}
	}
	switch {
	case total == 0:
		return ""
	case len(s.files) == 1:
		return fmt.Sprintf("skipped %s of %s", plural(total, "bad row"), parts[0])
	}
	return fmt.Sprintf("skipped %s: %s", plural(total, "bad row"), strings.Join(parts, "; "))
}

// Summary says on one line what the source holds: its files, rows and
// symbols, and which symbols came from a file's name.
func (s *CSVSource) Summary() string {
	symbols := map[string]bool{}
	for _, sym := range s.symbols {
		symbols[sym] = true
	}
	var b strings.Builder
	fmt.Fprintf(&b, "source: %s, %s, %s", plural(int64(len(s.files)), "file"), plural(int64(s.Rows()), "row"), plural(int64(len(symbols)), "symbol"))
	const maxListed = 10
	var named []string
	for _, f := range s.files {
		if f.fromName {
			named = append(named, fmt.Sprintf("%s (%s)", f.fileSymbol, f.name))
		}
	}
	if len(named) > 0 {
		b.WriteString("; symbol from the file name: ")
		b.WriteString(strings.Join(named[:min(len(named), maxListed)], ", "))
		if len(named) > maxListed {
			fmt.Fprintf(&b, " and %d more", len(named)-maxListed)
		}
	}
	return b.String()
}

// plural is n and noun, with an s unless n is 1.
func plural(n int64, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

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

// csvSchema is what parsing a row of one file needs to know about its
// columns.
type csvSchema struct {
	name       string   // the file, for messages
	header     []string // as in the file
	names      []string // SQL name of each field, for skip reasons
	comma      rune     // field separator
	symbol     int      // field of the symbol, -1 if none
	fileSymbol string   // the symbol of every row when symbol is -1
	fromName   bool     // fileSymbol is the file name's
	time       int      // field of the time column, -1 if none
	needTime   bool     // a row needs a parsable time (replay)
	cols       []int    // per field: its value column, -1 for none
	// Set once the columns are typed; per field.
	kinds        []Kind // KindString for the symbol and time
	isTime       []bool // a cell must read as a time
	decimalComma []bool // numbers are written 1.234,5
	optional     []bool // a missing number or time is null, not a skip
	layouts      []int  // index in timeLayouts of the last time parsed
	buf          []byte // scratch for numbers
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
// which has one Value per field, the symbol's included (a String of the
// file's symbol when it has no symbol column). It returns the row's symbol
// and time (zero unless sch.needTime), or why the row is unusable. It keeps
// no reference to rec, but the strings in dst share rec's memory.
func (sch *csvSchema) parseRow(rec []string, dst []Value) (symbol string, t time.Time, reason string) {
	if len(rec) != len(sch.kinds) {
		return "", t, skipFieldCount
	}
	if sch.symbol < 0 {
		symbol = sch.fileSymbol
	} else if symbol = strings.TrimSpace(rec[sch.symbol]); symbol == "" || strings.EqualFold(symbol, "null") {
		return "", t, skipNoSymbol
	} else if !validSymbol(symbol) {
		return "", t, skipBadSymbol
	}
	if sch.needTime {
		var ok bool
		if t, ok = parseTimeHint(rec[sch.time], &sch.layouts[sch.time]); !ok {
			return "", t, "unparsable time in " + sch.names[sch.time]
		}
	}
	for f, cell := range rec {
		kind := sch.kinds[f]
		switch {
		case f == sch.symbol:
			dst[f] = String(symbol)
			continue
		case kind == KindString && !sch.isTime[f]:
			if nullString(cell) {
				dst[f] = Null()
			} else {
				dst[f] = String(cell)
			}
			continue
		}
		c := strings.TrimSpace(cell)
		if missingNumber(c) {
			if !sch.optional[f] {
				return "", t, "missing value in " + sch.names[f]
			}
			dst[f] = Null()
			continue
		}
		ok := true
		switch kind {
		case KindString: // a time
			if f != sch.time || !sch.needTime {
				_, ok = parseTimeHint(c, &sch.layouts[f])
			}
			dst[f] = String(cell)
			if !ok {
				return "", t, "unparsable time in " + sch.names[f]
			}
			continue
		case KindInt:
			var i int64
			if c, ok = sch.plainNumber(c, f); ok {
				i, ok = parseIntCell(c)
			}
			dst[f] = Int(i)
		default:
			var x float64
			if c, ok = sch.plainNumber(c, f); ok {
				x, ok = parseFloatCell(c)
			}
			dst[f] = Float(x)
		}
		if !ok {
			return "", t, "unparsable number in " + sch.names[f]
		}
	}
	return symbol, t, ""
}

// plainNumber is plainNumber of the number format of field f.
func (sch *csvSchema) plainNumber(s string, f int) (string, bool) {
	var ok bool
	s, sch.buf, ok = plainNumber(s, sch.decimalComma[f], sch.buf)
	return s, ok
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
	if !isDecimal(s) { // and strconv's error for it is not made
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

// isDecimal reports whether s is a decimal number: an optional sign, digits
// with an optional fraction, and an optional exponent.
func isDecimal(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := func() int {
		j := i
		for i < len(s) && '0' <= s[i] && s[i] <= '9' {
			i++
		}
		return i - j
	}
	n := digits()
	if i < len(s) && s[i] == '.' {
		i++
		n += digits()
	}
	if n == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(s)
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
	"02.01.2006", // day first, as written in Germany and around
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

// hasSeparators reports whether plainNumber has anything to rewrite in s.
func hasSeparators(s string, decimalComma bool) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ',', '$':
			return true
		case '.', ' ', 0xc2, 0xe2: // 0xc2 and 0xe2 start U+00A0 and U+202F
			if decimalComma {
				return true
			}
		}
	}
	return false
}

// plainNumber rewrites a trimmed numeric cell as parseFloatCell reads it:
// without a leading "$" or thousands separators, with "." as the decimal
// point. With decimalComma, "," is the decimal point and ".", " ", a
// no-break space or a narrow no-break space separate thousands; else ","
// separates thousands. Thousands come in groups of three digits after a
// first group of one to three, all separated alike. It returns s itself when
// there is nothing to rewrite, else a string built in buf, which it returns
// for reuse; ok is false if s is not a number so written.
func plainNumber(s string, decimalComma bool, buf []byte) (_ string, _ []byte, ok bool) {
	if !hasSeparators(s, decimalComma) {
		return s, buf, true
	}
	point := byte('.')
	if decimalComma {
		point = ','
	}
	buf = buf[:0]
	i := 0
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		buf = append(buf, s[i])
		i++
	}
	if i < len(s) && s[i] == '$' {
		i++
		if len(buf) == 0 && i < len(s) && (s[i] == '-' || s[i] == '+') {
			buf = append(buf, s[i])
			i++
		}
	}
	j := i
	i = digitsEnd(s, i)
	first := i - j
	buf = append(buf, s[j:i]...)
	sep := ""
	for i < len(s) {
		g := thousandsSeparator(s[i:], decimalComma)
		if g == "" {
			break
		}
		if sep == "" && (first < 1 || first > 3) || sep != "" && g != sep {
			return s, buf, false
		}
		sep = g
		i += len(g)
		if j = digitsEnd(s, i); j-i != 3 {
			return s, buf, false
		}
		buf = append(buf, s[i:j]...)
		i = j
	}
	fraction := false
	if i < len(s) && s[i] == point {
		if j = digitsEnd(s, i+1); j == i+1 {
			return s, buf, false
		}
		buf = append(buf, '.')
		buf = append(buf, s[i+1:j]...)
		i, fraction = j, true
	}
	if i != len(s) || first == 0 && sep == "" && !fraction {
		return s, buf, false
	}
	return string(buf), buf, true
}

// digitsEnd returns the index of the first byte of s from i that is not an
// ASCII digit.
func digitsEnd(s string, i int) int {
	for i < len(s) && '0' <= s[i] && s[i] <= '9' {
		i++
	}
	return i
}

// thousandsSeparator returns the thousands separator s starts with, or "".
func thousandsSeparator(s string, decimalComma bool) string {
	if !decimalComma {
		if s[0] == ',' {
			return ","
		}
		return ""
	}
	for _, g := range [...]string{".", " ", "\u00a0", "\u202f"} {
		if strings.HasPrefix(s, g) {
			return g
		}
	}
	return ""
}

// loadCSV is OpenCSVFiles of inputs.
func loadCSV(inputs []csvInput, o CSVOptions) (*CSVSource, error) {
	switch o.Order {
	case "":
		o.Order = OrderSample
	case OrderSample, OrderReplay:
	default:
		return nil, fmt.Errorf("unknown order %q: use %s or %s", o.Order, OrderSample, OrderReplay)
	}
	if o.MaxRecordBytes < 0 {
		return nil, fmt.Errorf("max record bytes %d is negative: pass 0 for the default, %d", o.MaxRecordBytes, DefaultMaxRecordBytes)
	}
	if o.Symbol = strings.TrimSpace(o.Symbol); o.Symbol != "" && !validSymbol(o.Symbol) {
		return nil, fmt.Errorf("symbol %q is not one the sink takes: at most %d bytes of UTF-8, no control characters", o.Symbol, eventjson.MaxSymbolLen)
	}
	if len(inputs) == 0 {
		return nil, errors.New("no CSV file to read")
	}

	// Pass 1: the header of each file, and the cells that type the columns.
	u := &csvUnion{index: map[string]int{}}
	schemas := make([]*csvSchema, len(inputs))
	usedSymbol := false
	for i, in := range inputs {
		sch, err := u.scanFile(in, o)
		if err != nil {
			return nil, err
		}
		schemas[i] = sch
		usedSymbol = usedSymbol || sch.symbol < 0 && o.Symbol != ""
	}
	if o.Symbol != "" && !usedSymbol {
		sch := schemas[0]
		return nil, fmt.Errorf("symbol %q is for files without a symbol column, and %s has one, %q: leave the symbol out, or name another column",
			o.Symbol, sch.name, sch.header[sch.symbol])
	}
	u.decide()

	// Pass 2: parse and keep the rows.
	s := &CSVSource{
		names:   u.names,
		kinds:   make([]Kind, len(u.names)),
		cols:    make([]csvColumn, len(u.names)),
		skipped: map[string]int64{},
		values:  make([]Value, len(u.names)),
		symbols: make([]string, 0, u.rows),
	}
	for i, st := range u.stats {
		c := csvColumn{kind: st.kind}
		switch c.kind {
		case KindInt:
			c.ints = make([]int64, 0, u.rows)
		case KindFloat:
			c.floats = make([]float64, 0, u.rows)
		default:
			c.strs = make([]string, 0, u.rows)
			c.intern = map[string]string{}
		}
		s.kinds[i], s.cols[i] = c.kind, c
	}
	var times []time.Time
	if o.Order == OrderReplay {
		times = make([]time.Time, 0, u.rows)
	}
	symbols := map[string]string{}
	for i, in := range inputs {
		sch := schemas[i]
		sch.setTypes(u)
		if err := s.readFile(in, sch, o, symbols, &times); err != nil {
			return nil, err
		}
	}
	if len(s.symbols) == 0 {
		files := inputs[0].name
		if len(inputs) > 1 {
			files = fmt.Sprintf("%d files", len(inputs))
		}
		if s.records == 0 {
			return nil, fmt.Errorf("no usable rows in %s: it has a header line and no data", files)
		}
		return nil, fmt.Errorf("no usable rows in %s: all %d rows were skipped because: %s", files, s.records, describeSkipped(s.skipped))
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

// readFile is the second pass over a file: it appends the file's usable
// rows to s, and their times to *times when they are replayed.
func (s *CSVSource) readFile(in csvInput, sch *csvSchema, o CSVOptions, symbols map[string]string, times *[]time.Time) error {
	r, err := openCSVReader(in, o.MaxRecordBytes)
	if err != nil {
		return err
	}
	defer r.Close()
	header, err := r.next()
	if err != nil && err != io.EOF && !isParseError(err) {
		return err
	}
	if err != nil || !slices.Equal(header, sch.header) {
		return fmt.Errorf("%s changed while it was read: read it again", in.name)
	}
	rep := csvFileReport{name: in.name, skipped: map[string]int64{}, fileSymbol: sch.fileSymbol, fromName: sch.fromName}
	defer func() { s.files = append(s.files, rep) }()
	fieldOf := make([]int, len(s.cols)) // field of each column in this file, -1 for none
	for i := range fieldOf {
		fieldOf[i] = -1
	}
	for f, i := range sch.cols {
		if i >= 0 {
			fieldOf[i] = f
		}
	}
	dst := make([]Value, len(sch.header))
	for {
		rec, err := r.next()
		if err == io.EOF {
			return nil
		}
		s.records++
		reason := ""
		var sym string
		var t time.Time
		switch {
		case err != nil && isParseError(err):
			reason = skipCSV
		case err != nil:
			return err
		case slices.Equal(rec, sch.header):
			reason = skipHeader
		default:
			sym, t, reason = sch.parseRow(rec, dst)
		}
		if reason != "" {
			rep.skipped[reason]++
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
		rep.rows++
		for i, f := range fieldOf {
			v := Null()
			switch {
			case f == sch.symbol && f >= 0:
				v = String(k)
			case f >= 0:
				v = dst[f]
			}
			s.cols[i].add(v, row)
		}
		if sch.needTime {
			*times = append(*times, t)
		}
	}
}

func isParseError(err error) bool {
	var perr *csv.ParseError
	return errors.As(err, &perr)
}

// newSchema finds the symbol and time columns of a file's header.
func newSchema(name string, header []string, o CSVOptions) (*csvSchema, error) {
	names := make([]string, len(header))
	for i, h := range header {
		names[i] = sqlName(h, i)
	}
	sch := &csvSchema{name: name, header: header, names: names, time: -1, needTime: o.Order == OrderReplay}
	sch.symbol = findColumn(header, names, o.SymbolColumn, symbolHeaders)
	if sch.symbol < 0 {
		if o.SymbolColumn != "" {
			return nil, fmt.Errorf("symbol column %q is not in the header of %s: %s", o.SymbolColumn, name, describeHeader(header))
		}
		sch.fileSymbol = strings.TrimSpace(o.Symbol)
		if sch.fileSymbol == "" {
			sch.fileSymbol, sch.fromName = SymbolFromFileName(name), true
		}
		if sch.fileSymbol == "" || !validSymbol(sch.fileSymbol) {
			return nil, fmt.Errorf("no symbol column in %s, and its name gives no symbol: looked for a header named %s; the header is %s: pass --symbol, or --symbol-column",
				name, strings.Join(symbolHeaders, ", "), describeHeader(header))
		}
	}
	sch.time = findColumn(header, names, o.TimeColumn, timeHeaders)
	switch {
	case sch.time < 0 && o.TimeColumn != "":
		return nil, fmt.Errorf("time column %q is not in the header of %s: %s", o.TimeColumn, name, describeHeader(header))
	case sch.time < 0 && sch.needTime:
		return nil, fmt.Errorf("no time column in %s, which %s order needs: looked for a header named %s; the header is %s: pass --time-column",
			name, OrderReplay, strings.Join(timeHeaders, ", "), describeHeader(header))
	case sch.time >= 0 && sch.time == sch.symbol:
		return nil, fmt.Errorf("the symbol and the time column of %s are both %q: pass another --symbol-column or --time-column", name, header[sch.symbol])
	}
	sch.layouts = make([]int, len(header))
	return sch, nil
}

// usable reports whether rec passes the checks of parseRow that do not
// depend on column types.
func (sch *csvSchema) usable(rec []string) bool {
	if len(rec) != len(sch.header) || slices.Equal(rec, sch.header) {
		return false
	}
	if sch.symbol < 0 {
		return true
	}
	sym := strings.TrimSpace(rec[sch.symbol])
	return sym != "" && !strings.EqualFold(sym, "null") && validSymbol(sym)
}

// csvUnion is the value columns of all the files of a source, and what
// their cells say of their types.
type csvUnion struct {
	names []string
	index map[string]int // by name
	stats []csvColumnStats
	rows  int // usable rows seen by the first pass: a bound of the rows kept
}

// csvColumnStats counts the non-missing cells of a column that read as each
// type, and decides the column's type from them.
type csvColumnStats struct {
	values, missing, nums, ints, times int
	text, time                         bool // a symbol or time column of some file; a time column
	// Decided from the counts.
	kind             Kind
	isTime, optional bool
}

// mostly is the rule of the bulk: good of n cells are at least 99% of them,
// so that one bad cell in a hundred is a skipped row, not a column's type.
func mostly(good, n int) bool { return n > 0 && (n-good)*100 <= n }

func (u *csvUnion) decide() {
	for i := range u.stats {
		st := &u.stats[i]
		switch {
		case st.text:
			st.kind = KindString
			st.isTime = st.time && mostly(st.times, st.values)
		case mostly(st.nums, st.values) && st.ints == st.nums:
			st.kind = KindInt
		case mostly(st.nums, st.values):
			st.kind = KindFloat
		default:
			st.kind = KindString
			st.isTime = mostly(st.times, st.values)
		}
		st.optional = 2*st.missing > st.values+st.missing
	}
}

// scanFile is the first pass over a file: its header, its schema and the
// counts of its cells, added to the columns of u.
func (u *csvUnion) scanFile(in csvInput, o CSVOptions) (*csvSchema, error) {
	r, err := openCSVReader(in, o.MaxRecordBytes)
	if err != nil {
		return nil, err
	}
	defer func() { r.Close() }()
	header, err := r.next()
	if err == io.EOF {
		return nil, fmt.Errorf("%s is empty: a CSV file with a header line is needed", in.name)
	}
	if isParseError(err) {
		return nil, fmt.Errorf("cannot read %s as CSV: %w", in.name, err)
	}
	if err != nil {
		return nil, err
	}
	sch, err := newSchema(in.name, slices.Clone(header), o)
	if err != nil {
		return nil, err
	}
	sch.comma = r.comma

	names, fields := columnNames(sch.names, sch.symbol)
	sch.cols = slices.Repeat([]int{-1}, len(sch.header))
	for j, f := range fields {
		i, ok := u.index[names[j]]
		if !ok {
			i = len(u.names)
			u.names = append(u.names, names[j])
			u.index[names[j]] = i
			u.stats = append(u.stats, csvColumnStats{})
		}
		sch.cols[f] = i
		u.stats[i].text = u.stats[i].text || f == sch.symbol || f == sch.time
		u.stats[i].time = u.stats[i].time || f == sch.time
	}

	counts := make([]cellCounts, len(sch.header))
	rows, err := sch.countCells(r, counts, nil)
	if err != nil {
		return nil, err
	}
	u.rows += rows
	// A column that a decimal comma might read otherwise is read again with
	// one, to tell 1,234.5 from 1.234,5: only then, as few columns are.
	var commaFields []bool
	for f, c := range counts {
		if c.eitherWay > 0 {
			if commaFields == nil {
				commaFields = make([]bool, len(counts))
			}
			commaFields[f] = true
		}
	}
	if commaFields != nil {
		r.Close()
		if r, err = openCSVReader(in, o.MaxRecordBytes); err != nil {
			return nil, err
		}
		if _, err := r.next(); err != nil {
			return nil, fmt.Errorf("%s changed while it was read: read it again", in.name)
		}
		if _, err := sch.countCells(r, counts, commaFields); err != nil {
			return nil, err
		}
	}
	sch.decimalComma = make([]bool, len(sch.header))
	for f, c := range counts {
		if f == sch.symbol || sch.cols[f] < 0 {
			continue
		}
		nums := c.dot
		if c.eitherWay > 0 && (c.comma.nums > c.dot.nums || c.comma.nums == c.dot.nums && sch.comma == ';') {
			sch.decimalComma[f], nums = true, c.comma
		}
		st := &u.stats[sch.cols[f]]
		st.values += c.values
		st.missing += c.missing
		st.nums += nums.nums
		st.ints += nums.ints
		st.times += c.times
	}
	return sch, nil
}

// countCells counts the cells of the usable rows r reads into counts, and
// returns how many rows that was. With decimalComma, it counts only the
// numbers read with a decimal comma of the fields it says.
func (sch *csvSchema) countCells(r *csvReader, counts []cellCounts, decimalComma []bool) (rows int, _ error) {
	for {
		rec, err := r.next()
		if err == io.EOF {
			return rows, nil
		}
		if err != nil && isParseError(err) {
			continue
		}
		if err != nil {
			return 0, err
		}
		if !sch.usable(rec) {
			continue
		}
		rows++
		for f, cell := range rec {
			switch {
			case f == sch.symbol || sch.cols[f] < 0:
			case decimalComma == nil:
				counts[f].add(cell, sch, f)
			case decimalComma[f]:
				counts[f].addDecimalComma(cell, &sch.buf)
			}
		}
	}
}

// setTypes gives each field of the file the type of its column.
func (sch *csvSchema) setTypes(u *csvUnion) {
	n := len(sch.header)
	sch.kinds = make([]Kind, n)
	sch.isTime = make([]bool, n)
	sch.optional = make([]bool, n)
	for f, i := range sch.cols {
		if f == sch.symbol || i < 0 {
			sch.kinds[f] = KindString
			continue
		}
		st := &u.stats[i]
		sch.kinds[f], sch.isTime[f], sch.optional[f] = st.kind, st.isTime, st.optional
	}
}

// addDecimalComma counts cell in c.comma: add counted the rest.
func (c *cellCounts) addDecimalComma(cell string, buf *[]byte) {
	if s := strings.TrimSpace(cell); !missingNumber(s) {
		c.comma.count(readNumber(s, true, c.comma.allWhole(), buf))
	}
}

// cellCounts counts the cells of one field of a file by what they read as.
type cellCounts struct {
	values, missing, times int
	eitherWay              int          // cells a decimal comma might read otherwise
	dot, comma             numberCounts // with "." or "," as the decimal point (comma: when eitherWay > 0)
}

// numberCounts counts the cells that read as numbers, and as whole numbers
// while all of them are.
type numberCounts struct{ nums, ints int }

// allWhole reports whether every number counted so far is whole, so that
// whether the next is matters.
func (n *numberCounts) allWhole() bool { return n.ints == n.nums }

func (n *numberCounts) count(num, whole bool) {
	if num {
		if whole && n.allWhole() {
			n.ints++
		}
		n.nums++
	}
}

// readNumber reads a trimmed cell as a number written with the decimal
// point given, and, if wantWhole, whether it is a whole number.
func readNumber(s string, decimalComma, wantWhole bool, buf *[]byte) (num, whole bool) {
	p, b, ok := plainNumber(s, decimalComma, *buf)
	*buf = b
	if !ok {
		return false, false
	}
	if wantWhole {
		if _, ok := parseIntCell(p); ok {
			return true, true
		}
	}
	_, ok = parseFloatCell(p)
	return ok, false
}

// add counts cell, of field f of sch.
func (c *cellCounts) add(cell string, sch *csvSchema, f int) {
	s := strings.TrimSpace(cell)
	if missingNumber(s) {
		c.missing++
		return
	}
	c.values++
	num := false
	if f != sch.time { // a string whatever it holds
		var whole bool
		num, whole = readNumber(s, false, c.dot.allWhole(), &sch.buf)
		c.dot.count(num, whole)
		// Could a decimal comma read it, and otherwise? In a file separated
		// by ";", where it wins a tie, any separator might.
		if hasSeparators(s, true) && (!num || sch.comma == ';' || strings.IndexByte(s, ',') >= 0) {
			c.eitherWay++
		}
	}
	// Every time layout starts with a digit: a quick no for other text.
	if !num && s[0] >= '0' && s[0] <= '9' {
		if _, ok := parseTimeHint(s, &sch.layouts[f]); ok {
			c.times++
		}
	}
}
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
