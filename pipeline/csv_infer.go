package pipeline

// The column types of a CSV source, inferred across all its files (their
// union): every cell is counted, and a column is a number only when
// (nearly) all its cells are.

import (
	"fmt"
	"io"
	"slices"
	"strings"
)

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
