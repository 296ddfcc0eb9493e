package pipeline

// A CSV file's header: its columns' SQL names, and which columns hold the
// symbol and the time.

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Header names that detection looks for, in order of preference, compared
// with the SQL name of each header (so "Trade Date" is "trade_date").
var (
	symbolHeaders = []string{"symbol", "ticker", "stock", "name", "index", "code", "instrument",
		"sym", "ticker_symbol", "stock_symbol", "security", "company"}
	timeHeaders = []string{"date", "datetime", "timestamp", "time", "ts",
		"date_time", "trade_date", "trade_time", "tradedate", "day"}
)

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
