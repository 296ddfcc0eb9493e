package sqlq

import (
	"math/big"

	"github.com/jedib0t/go-pretty/v6/table"
	"github.com/jedib0t/go-pretty/v6/text"

	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Output formats of Print.
const (
	FormatTable = "table" // aligned columns in a box, then a row count
	FormatCSV   = "csv"   // RFC 4180: a header row, then the rows
	FormatJSON  = "json"  // an array of objects keyed by column name
)

// TimeLayout is how Print writes a timestamp; a date is written 2006-01-02.
const TimeLayout = "2006-01-02 15:04:05.000"

// ValidFormat returns an error unless format is one Print writes.
func ValidFormat(format string) error {
	switch format {
	case FormatTable, FormatCSV, FormatJSON:
		return nil
	}
	return fmt.Errorf("unknown output format %q: use %s, %s or %s", format, FormatTable, FormatCSV, FormatJSON)
}

// Print writes a result to w:
//
//   - "table": a box of aligned columns, numbers right-aligned, NULL as
//     NULL, a line break inside a value as \n; then "(N rows)".
//   - "csv": a header row of column names, then one record a row; NULL is
//     an empty field.
//   - "json": an array of objects, one a row, keys in column order; numbers
//     and booleans as JSON numbers and booleans (a decimal too, exactly), NULL
//     as null, a float that is NaN or infinite as the string "NaN",
//     "Infinity" or "-Infinity".
//
// In every format a float is written in the fewest digits that read back
// the same value (0.1, 1234.5), a timestamp as TimeLayout in UTC, a date as
// 2006-01-02.
func Print(w io.Writer, r *Result, format string) error {
	if r == nil {
		return errors.New("print: no result")
	}
	rw, err := NewRowWriter(w, r.Columns, format)
	if err != nil {
		return err
	}
	for _, row := range r.Rows {
		if err := rw.Write(row); err != nil {
			return err
		}
	}
	return rw.Close()
}

// RowWriter prints a result a row at a time, as Print does. CSV and JSON rows
// are written as they come, so printing a result of any size takes the
// memory of one row; a table needs its rows for its column widths and keeps
// them (at most TableRows) until Close.
type RowWriter struct {
	// TableRows, if more than 0, is how many rows a table keeps and
	// prints; the rows after them are counted, and the count says how
	// many were left out.
	TableRows int
	// TableValueChars, if more than 0, is the most of a text a table
	// shows: a longer one is cut to it and Ellipsis, and a line after the
	// count says so. A box as wide as a value of megabytes helps nobody;
	// CSV and JSON keep every value whole.
	TableValueChars int

	w      *bufio.Writer
	cols   []Column
	format string
	n      int
	table  [][]any       // FormatTable: the rows, printed by Close
	cut    bool          // FormatTable: a value was cut at TableValueChars
	csv    *csv.Writer   // FormatCSV
	rec    []string      // FormatCSV: the record being written
	enc    *json.Encoder // FormatJSON, onto buf
	buf    bytes.Buffer  // FormatJSON: one row's object
}

// NewRowWriter starts printing rows of the given columns to w in format.
func NewRowWriter(w io.Writer, cols []Column, format string) (*RowWriter, error) {
	if err := ValidFormat(format); err != nil {
		return nil, err
	}
	rw := &RowWriter{w: bufio.NewWriterSize(w, 64<<10), cols: cols, format: format}
	switch format {
	case FormatCSV:
		rw.csv = csv.NewWriter(rw.w)
		rw.rec = make([]string, len(cols))
		for j, c := range cols {
			rw.rec[j] = c.Name
		}
		if err := rw.csv.Write(rw.rec); err != nil {
			return nil, fmt.Errorf("print %s: %w", format, err)
		}
	case FormatJSON:
		rw.enc = json.NewEncoder(&rw.buf)
		rw.enc.SetEscapeHTML(false)
	}
	return rw, nil
}

// Write prints one row. The caller may reuse row after Write returns.
func (rw *RowWriter) Write(row []any) error {
	var err error
	switch rw.format {
	case FormatTable:
		if rw.TableRows <= 0 || len(rw.table) < rw.TableRows {
			kept := slices.Clone(row)
			for j, v := range kept {
				if s, ok := v.(string); ok && rw.TableValueChars > 0 {
					var cut bool
					kept[j], cut = CutText(s, rw.TableValueChars)
					rw.cut = rw.cut || cut
				}
			}
			rw.table = append(rw.table, kept)
		}
	case FormatCSV:
		for j, c := range rw.cols {
			rw.rec[j] = ""
			if j < len(row) {
				rw.rec[j] = CellText(row[j], c.Type)
			}
		}
		err = rw.csv.Write(rw.rec)
	case FormatJSON:
		err = rw.writeJSON(row)
	}
	rw.n++
	if err != nil {
		return fmt.Errorf("print %s: %w", rw.format, err)
	}
	return nil
}

// Close prints what is left (a table, the end of a JSON array) and flushes.
func (rw *RowWriter) Close() error {
	var err error
	switch rw.format {
	case FormatTable:
		err = printTable(rw.w, &Result{Columns: rw.cols, Rows: rw.table}, rw.n)
		if err == nil && rw.cut {
			_, err = fmt.Fprintf(rw.w, "(values longer than %d characters cut: -o csv or -o json prints them whole)\n", rw.TableValueChars)
		}
	case FormatCSV:
		rw.csv.Flush()
		err = rw.csv.Error()
	case FormatJSON:
		if rw.n == 0 {
			_, err = rw.w.WriteString("[]\n")
		} else {
			_, err = rw.w.WriteString("\n]\n")
		}
	}
	if err == nil {
		err = rw.w.Flush()
	}
	if err != nil {
		return fmt.Errorf("print %s: %w", rw.format, err)
	}
	return nil
}

// writeJSON writes one row as an object of the array, keys in column order.
func (rw *RowWriter) writeJSON(row []any) error {
	b := &rw.buf
	b.Reset()
	if rw.n == 0 {
		b.WriteString("[\n  {")
	} else {
		b.WriteString(",\n  {")
	}
	put := func(v any) error {
		if err := rw.enc.Encode(v); err != nil {
			return err
		}
		b.Truncate(b.Len() - 1) // Encode's newline
		return nil
	}
	for j, c := range rw.cols {
		if j > 0 {
			b.WriteByte(',')
		}
		if err := put(c.Name); err != nil {
			return err
		}
		b.WriteByte(':')
		var v any
		if j < len(row) {
			v = row[j]
		}
		if err := put(jsonValue(v, c.Type)); err != nil {
			return err
		}
	}
	b.WriteByte('}')
	_, err := rw.w.Write(b.Bytes())
	return err
}

// Ellipsis ends a value cut short.
const Ellipsis = "…"

// CutText returns the first n characters of s and Ellipsis, copied (a slice
// of s would keep all of it in memory), and true; or s and false if s has
// no more than n characters.
func CutText(s string, n int) (string, bool) {
	if len(s) <= n { // n bytes are at most n characters
		return s, false
	}
	i := 0
	for j := range s {
		if i == n {
			return strings.Clone(s[:j]) + Ellipsis, true
		}
		i++
	}
	return s, false
}

// CellText renders one value of a column of Athena type typ as Print writes
// it in a table or CSV cell. A NULL is "".
func CellText(v any, typ string) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case int64:
		return strconv.FormatInt(v, 10)
	case float64:
		return formatFloat(v, 64)
	case bool:
		return strconv.FormatBool(v)
	case time.Time:
		if typ == "date" {
			return v.UTC().Format(time.DateOnly)
		}
		return v.UTC().Format(TimeLayout)
	}
	return scalarText(v, typ)
}

// scalarText renders a scalar as Print shows it.
func scalarText(v any, typ string) string {
	if i, ok := Int64(v); ok {
		return strconv.FormatInt(i, 10)
	}
	switch s := v.(type) {
	case string:
		return s
	case []byte:
		return string(s)
	case float32:
		return formatFloat(float64(s), 32)
	case float64:
		return formatFloat(s, 64)
	case time.Time:
		return CellText(s.UTC(), typ)
	case bool:
		return strconv.FormatBool(s)
	case fmt.Stringer:
		return s.String()
	}
	return fmt.Sprint(v)
}

// Int64 converts any Go integer, and a *big.Int that fits, to int64, as
// an engine normalizes an integer column's values.
func Int64(v any) (int64, bool) {
	switch i := v.(type) {
	case int64:
		return i, true
	case int32:
		return int64(i), true
	case int16:
		return int64(i), true
	case int8:
		return int64(i), true
	case int:
		return int64(i), true
	case uint8:
		return int64(i), true
	case uint16:
		return int64(i), true
	case uint32:
		return int64(i), true
	case uint64:
		if i <= math.MaxInt64 {
			return int64(i), true
		}
	case *big.Int:
		if i.IsInt64() {
			return i.Int64(), true
		}
	}
	return 0, false
}

// formatFloat writes f in the fewest digits that read back as f, without
// an exponent below 1e21, as JavaScript does.
func formatFloat(f float64, bits int) string {
	switch {
	case math.IsNaN(f) || math.IsInf(f, 0):
		return nonFinite(f)
	case math.Abs(f) >= 1e21:
		return strconv.FormatFloat(f, 'g', -1, bits)
	}
	return strconv.FormatFloat(f, 'f', -1, bits)
}

// numeric reports whether a column of Athena type typ holds numbers.
func numeric(typ string) bool {
	switch typ {
	case "tinyint", "smallint", "integer", "bigint", "real", "double":
		return true
	}
	return strings.HasPrefix(typ, "decimal")
}

var tableEscaper = strings.NewReplacer("\n", `\n`, "\r", `\r`, "\t", `\t`)

// printTable prints r's rows as a table, then the count of rows, total: more
// than r holds if some were left out.
func printTable(w io.Writer, r *Result, total int) error {
	t := table.NewWriter()
	style := table.StyleDefault
	style.Format.Header = text.FormatDefault // column names as they are
	t.SetStyle(style)
	header := make(table.Row, len(r.Columns))
	var cfg []table.ColumnConfig
	for j, c := range r.Columns {
		header[j] = tableEscaper.Replace(c.Name)
		if numeric(c.Type) {
			cfg = append(cfg, table.ColumnConfig{Number: j + 1, Align: text.AlignRight, AlignHeader: text.AlignRight})
		}
	}
	t.AppendHeader(header)
	t.SetColumnConfigs(cfg)
	for _, row := range r.Rows {
		cells := make(table.Row, len(r.Columns))
		for j := range r.Columns {
			s := "NULL"
			if j < len(row) && row[j] != nil {
				s = tableEscaper.Replace(CellText(row[j], r.Columns[j].Type))
			}
			cells[j] = s
		}
		t.AppendRow(cells)
	}
	var b strings.Builder
	if len(r.Columns) > 0 {
		b.WriteString(t.Render())
		b.WriteByte('\n')
	}
	switch {
	case total > len(r.Rows):
		fmt.Fprintf(&b, "(%d rows, the first %d shown: -o csv or -o json prints them all)\n", total, len(r.Rows))
	case total == 1:
		b.WriteString("(1 row)\n")
	default:
		fmt.Fprintf(&b, "(%d rows)\n", total)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// jsonValue is what a normalized value of a column of type typ encodes as.
func jsonValue(v any, typ string) any {
	switch v := v.(type) {
	case nil, int64, bool:
		return v
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nonFinite(v)
		}
		return v
	case string:
		if strings.HasPrefix(typ, "decimal") {
			if _, err := strconv.ParseFloat(v, 64); err == nil && json.Valid([]byte(v)) {
				return json.Number(v)
			}
		}
		return v
	}
	return CellText(v, typ)
}

// JavaDouble renders f as Java's Double.toString does (Trino's rendering):
// plain between 1e-3 and 1e7, with at least one decimal ("100.0"),
// otherwise in E notation ("1.0E-7", "1.2345E10"). Athena renders a double
// so, alone and inside arrays, maps and rows.
func JavaDouble(f float64) string {
	switch {
	case math.IsNaN(f) || math.IsInf(f, 0):
		return nonFinite(f)
	case f == 0:
		if 1/f < 0 {
			return "-0.0"
		}
		return "0.0"
	}
	if abs := max(f, -f); abs >= 1e-3 && abs < 1e7 {
		s := strconv.FormatFloat(f, 'f', -1, 64)
		if !strings.Contains(s, ".") {
			s += ".0"
		}
		return s
	}
	mant, exp, _ := strings.Cut(strconv.FormatFloat(f, 'E', -1, 64), "E")
	if !strings.Contains(mant, ".") {
		mant += ".0"
	}
	e, _ := strconv.Atoi(exp)
	return mant + "E" + strconv.Itoa(e)
}

// nonFinite is NaN or an infinity as JavaScript and Java write it.
func nonFinite(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case f > 0:
		return "Infinity"
	}
	return "-Infinity"
}
