package pipeline

// A CSV row's cells: parsing a data record by its file's schema into
// Values (numbers with separators, times in the layouts OpenCSVFiles
// lists), and why a row is skipped.

import (
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"pipeline/internal/eventjson"
)

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
