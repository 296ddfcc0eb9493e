package pipeline

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

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
