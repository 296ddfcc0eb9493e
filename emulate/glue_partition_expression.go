package emulate

// Partition filters: the Expression of GetPartitions, as Glue documents it:
// a SQL WHERE-like predicate over the partition keys with =, <>, !=, <, >,
// <=, >=, AND, OR, NOT, parentheses, [NOT] IN (...), [NOT] BETWEEN x AND
// y, [NOT] LIKE 'pattern' (% and _) and IS [NOT] NULL.
//
// A comparison is made in the partition key's type, as Glue does: string
// (and char, varchar) keys compare as text, integer keys (tinyint,
// smallint, int, integer, bigint, long) as integers, decimal keys as exact
// numbers, date and timestamp keys as dates and times. A literal that is
// not of its key's type fails the request with InvalidInputException, as
// does a comparison of a key of another type, an unknown column
// or an expression outside this grammar. A partition's value is NULL when
// it is Hive's __HIVE_DEFAULT_PARTITION__, and, as the Hive metastore casts
// it, when it is not of its key's type ("x" for an int key): a comparison
// with it is unknown, so that partition is not matched and the others are.

import (
	"errors"
	"fmt"
	"math/big"
	"pipeline/catalog"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// partitionFilter is a parsed Expression over a table's partition keys.
type partitionFilter struct {
	root predicate
}

// A predicate is one node of the expression: true, false or unknown (nil)
// for a partition's values.
type predicate interface {
	eval(values []string) (*bool, error)
}

// parsePartitionFilter parses expr against the partition keys.
func parsePartitionFilter(expr string, keys []catalog.Column) (*partitionFilter, error) {
	p := &filterParser{toks: significant(tokenizeSQL(expr)), keys: keys}
	root, err := p.or()
	if err == nil && p.i < len(p.toks) {
		err = fmt.Errorf("unexpected %q", p.toks[p.i].text)
	}
	if err != nil {
		return nil, errInvalidInput(fmt.Sprintf("Expression %q: %v", expr, err))
	}
	return &partitionFilter{root: root}, nil
}

// match says whether a partition's values satisfy the filter (unknown is no).
func (f *partitionFilter) match(values []string) (bool, error) {
	v, err := f.root.eval(values)
	if err != nil {
		return false, errInvalidInput(err.Error())
	}
	return v != nil && *v, nil
}

// significant drops the space and comment tokens.
func significant(toks []sqlToken) []sqlToken {
	out := toks[:0:0]
	for _, t := range toks {
		if t.kind != tokSpace {
			out = append(out, t)
		}
	}
	return out
}

type filterParser struct {
	toks []sqlToken
	i    int
	keys []catalog.Column
}

func (p *filterParser) peekWord(w string) bool {
	return p.i < len(p.toks) && p.toks[p.i].kind == tokWord && strings.EqualFold(p.toks[p.i].text, w)
}

func (p *filterParser) word(w string) bool {
	if p.peekWord(w) {
		p.i++
		return true
	}
	return false
}

func (p *filterParser) punct(s string) bool {
	if p.i < len(p.toks) && p.toks[p.i].is(s) {
		p.i++
		return true
	}
	return false
}

func (p *filterParser) expect(s string) error {
	if p.punct(s) {
		return nil
	}
	if p.i == len(p.toks) {
		return fmt.Errorf("expected %q at the end", s)
	}
	return fmt.Errorf("expected %q, found %q", s, p.toks[p.i].text)
}

func (p *filterParser) or() (predicate, error) {
	l, err := p.and()
	for err == nil && p.word("OR") {
		var r predicate
		if r, err = p.and(); err == nil {
			l = logic{or: true, l: l, r: r}
		}
	}
	return l, err
}

func (p *filterParser) and() (predicate, error) {
	l, err := p.not()
	for err == nil && p.word("AND") {
		var r predicate
		if r, err = p.not(); err == nil {
			l = logic{l: l, r: r}
		}
	}
	return l, err
}

func (p *filterParser) not() (predicate, error) {
	if p.word("NOT") {
		x, err := p.not()
		return negation{x}, err
	}
	return p.comparison()
}

// comparison parses a parenthesized expression or one comparison.
func (p *filterParser) comparison() (predicate, error) {
	if p.i < len(p.toks) && p.toks[p.i].is("(") {
		p.i++
		x, err := p.or()
		if err != nil {
			return nil, err
		}
		return x, p.expect(")")
	}
	l, err := p.operand()
	if err != nil {
		return nil, err
	}
	negate := p.word("NOT")
	var x predicate
	switch {
	case p.word("IN"):
		if err := p.expect("("); err != nil {
			return nil, err
		}
		in := inList{x: l, keys: p.keys}
		for {
			o, err := p.operand()
			if err != nil {
				return nil, err
			}
			in.list = append(in.list, o)
			if !p.punct(",") {
				break
			}
		}
		x, err = in, p.expect(")")
	case p.word("BETWEEN"):
		lo, err := p.operand()
		if err != nil {
			return nil, err
		}
		if !p.word("AND") {
			return nil, fmt.Errorf("BETWEEN without AND")
		}
		hi, err := p.operand()
		if err != nil {
			return nil, err
		}
		x = between{x: l, lo: lo, hi: hi, keys: p.keys}
	case p.word("LIKE"):
		pat, err := p.operand()
		if err != nil {
			return nil, err
		}
		if pat.key >= 0 {
			return nil, fmt.Errorf("LIKE takes a string literal pattern")
		}
		x = like{x: l, re: likePattern(pat.lit)}
	case !negate && p.word("IS"):
		isNot := p.word("NOT")
		if !p.word("NULL") {
			return nil, fmt.Errorf("expected NULL after IS")
		}
		x = isNull{x: l, not: isNot}
	case negate:
		return nil, fmt.Errorf("NOT must be followed by IN, BETWEEN or LIKE here")
	default:
		op, err := p.comparisonOp()
		if err != nil {
			return nil, err
		}
		r, err := p.operand()
		if err != nil {
			return nil, err
		}
		x = compare{op: op, l: l, r: r, keys: p.keys}
	}
	if err != nil {
		return nil, err
	}
	if negate {
		x = negation{x}
	}
	return x, nil
}

func (p *filterParser) comparisonOp() (string, error) {
	if p.i == len(p.toks) || p.toks[p.i].kind != tokPunct {
		return "", fmt.Errorf("expected a comparison (=, <>, <, >, <=, >=, IN, BETWEEN, LIKE, IS NULL)")
	}
	op := p.toks[p.i].text
	p.i++
	if op == "<" || op == ">" || op == "!" {
		if p.i < len(p.toks) && p.toks[p.i].is("=") {
			op += "="
			p.i++
		} else if op == "<" && p.i < len(p.toks) && p.toks[p.i].is(">") {
			op = "<>"
			p.i++
		}
	}
	switch op {
	case "=", "<>", "!=", "<", ">", "<=", ">=":
		return op, nil
	}
	return "", fmt.Errorf("%q is not a comparison", op)
}

// operand is a partition key or a literal.
type operand struct {
	key int    // index into the keys, or -1 for a literal
	lit string // the literal's text (a string unquoted, a number as written)
}

func (p *filterParser) operand() (operand, error) {
	if p.i == len(p.toks) {
		return operand{}, fmt.Errorf("expected a partition key or a literal at the end")
	}
	t := p.toks[p.i]
	p.i++
	sign := ""
	if t.is("-") && p.i < len(p.toks) && p.toks[p.i].kind == tokNumber {
		sign, t = "-", p.toks[p.i]
		p.i++
	}
	switch t.kind {
	case tokString:
		return operand{key: -1, lit: unquote(t.text, '\'')}, nil
	case tokNumber:
		return operand{key: -1, lit: sign + t.text}, nil
	case tokWord, tokQuoted:
		// DATE '2026-01-01' and TIMESTAMP '...' are typed literals.
		if t.kind == tokWord && (strings.EqualFold(t.text, "date") || strings.EqualFold(t.text, "timestamp")) &&
			p.i < len(p.toks) && p.toks[p.i].kind == tokString {
			p.i++
			return operand{key: -1, lit: unquote(p.toks[p.i-1].text, '\'')}, nil
		}
		name := t.name()
		for i, k := range p.keys {
			if strings.EqualFold(k.Name, name) {
				return operand{key: i}, nil
			}
		}
		return operand{}, fmt.Errorf("%s is not a partition key of the table", name)
	}
	if t.text == "`" { // `key`
		var b strings.Builder
		for p.i < len(p.toks) && !p.toks[p.i].is("`") {
			b.WriteString(p.toks[p.i].text)
			p.i++
		}
		if !p.punct("`") {
			return operand{}, fmt.Errorf("unterminated `")
		}
		p.i-- // reparse as a plain word
		p.toks[p.i] = sqlToken{kind: tokQuoted, text: catalog.QuoteIdent(b.String())}
		return p.operand()
	}
	return operand{}, fmt.Errorf("unexpected %q", t.text)
}

// value is an operand's value for a partition: its text, or nil for NULL.
func (o operand) value(values []string) *string {
	if o.key < 0 {
		return &o.lit
	}
	if o.key >= len(values) || values[o.key] == "__HIVE_DEFAULT_PARTITION__" {
		return nil
	}
	return &values[o.key]
}

// typeOf is the type a comparison of a and b is made in: that of the key
// among them (the first), else string.
func typeOf(keysOf []catalog.Column, ops ...operand) string {
	for _, o := range ops {
		if o.key >= 0 {
			return strings.ToLower(keysOf[o.key].Type)
		}
	}
	return catalog.TypeString
}

// A predicate's nodes; keys are the table's partition keys.

type logic struct {
	or   bool
	l, r predicate
}

func (x logic) eval(v []string) (*bool, error) {
	l, err := x.l.eval(v)
	if err != nil {
		return nil, err
	}
	r, err := x.r.eval(v)
	if err != nil {
		return nil, err
	}
	// SQL's three-valued logic.
	switch {
	case x.or && ((l != nil && *l) || (r != nil && *r)):
		return boolPtr(true), nil
	case !x.or && ((l != nil && !*l) || (r != nil && !*r)):
		return boolPtr(false), nil
	case l == nil || r == nil:
		return nil, nil
	}
	return boolPtr(x.or && (*l || *r) || !x.or && *l && *r), nil
}

type negation struct{ x predicate }

func (x negation) eval(v []string) (*bool, error) {
	b, err := x.x.eval(v)
	if b == nil || err != nil {
		return nil, err
	}
	return boolPtr(!*b), nil
}

func boolPtr(b bool) *bool { return &b }

type compare struct {
	op   string
	l, r operand
	keys []catalog.Column
}

func (x compare) eval(v []string) (*bool, error) {
	c, err := compareValues(x.keys, x.l, x.r, v)
	if c == nil || err != nil {
		return nil, err
	}
	var b bool
	switch x.op {
	case "=":
		b = *c == 0
	case "<>", "!=":
		b = *c != 0
	case "<":
		b = *c < 0
	case ">":
		b = *c > 0
	case "<=":
		b = *c <= 0
	case ">=":
		b = *c >= 0
	}
	return &b, nil
}

type inList struct {
	x    operand
	list []operand
	keys []catalog.Column
}

func (x inList) eval(v []string) (*bool, error) {
	unknown := false
	for _, o := range x.list {
		c, err := compareValues(x.keys, x.x, o, v)
		if err != nil {
			return nil, err
		}
		if c == nil {
			unknown = true
		} else if *c == 0 {
			return boolPtr(true), nil
		}
	}
	if unknown {
		return nil, nil
	}
	return boolPtr(false), nil
}

type between struct {
	x, lo, hi operand
	keys      []catalog.Column
}

func (x between) eval(v []string) (*bool, error) {
	lo, err := compareValues(x.keys, x.x, x.lo, v)
	if err != nil {
		return nil, err
	}
	hi, err := compareValues(x.keys, x.x, x.hi, v)
	if err != nil || lo == nil || hi == nil {
		return nil, err
	}
	return boolPtr(*lo >= 0 && *hi <= 0), nil
}

type like struct {
	x  operand
	re *regexp.Regexp
}

func (x like) eval(v []string) (*bool, error) {
	s := x.x.value(v)
	if s == nil {
		return nil, nil
	}
	return boolPtr(x.re.MatchString(*s)), nil
}

type isNull struct {
	x   operand
	not bool
}

func (x isNull) eval(v []string) (*bool, error) {
	return boolPtr((x.x.value(v) == nil) != x.not), nil
}

// likePattern compiles a SQL LIKE pattern: % any run, _ one character.
func likePattern(pat string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString(`(?s)^`)
	for _, r := range pat {
		switch r {
		case '%':
			b.WriteString(`.*`)
		case '_':
			b.WriteString(`.`)
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	b.WriteString(`$`)
	return regexp.MustCompile(b.String())
}

var errNotFilterable = errors.New("not filterable")

// compareValues compares a and b for a partition's values in their type
// (see typeOf): -1, 0 or 1, or nil if either is NULL.
func compareValues(keys []catalog.Column, a, b operand, v []string) (*int, error) {
	x, y := a.value(v), b.value(v)
	if x == nil || y == nil {
		return nil, nil
	}
	typ := typeOf(keys, a, b)
	kx, err := sortKey(typ, *x)
	if err != nil {
		return nil, badValue(a, err)
	}
	ky, err := sortKey(typ, *y)
	if err != nil {
		return nil, badValue(b, err)
	}
	var c int
	switch kx := kx.(type) {
	case string:
		c = strings.Compare(kx, ky.(string))
	case *big.Rat:
		c = kx.Cmp(ky.(*big.Rat))
	case time.Time:
		c = kx.Compare(ky.(time.Time))
	}
	return &c, nil
}

// badValue is what a value that is not of the comparison's type makes of
// it: a literal fails the request; a partition's own value is NULL, as the
// Hive metastore Glue follows casts it, so that partition is not matched
// and the others still are.
func badValue(o operand, err error) error {
	if o.key >= 0 && !errors.Is(err, errNotFilterable) {
		return nil
	}
	return err
}

var decimalKeyType = regexp.MustCompile(`^decimal(\(\d+(,\s*\d+)?\))?$`)

// sortKey is s as a value of the partition key type typ, to compare.
func sortKey(typ, s string) (any, error) {
	switch {
	case typ == catalog.TypeString || strings.HasPrefix(typ, "varchar") || strings.HasPrefix(typ, "char"):
		return s, nil
	case typ == "tinyint" || typ == "smallint" || typ == "int" || typ == "integer" || typ == "bigint" || typ == "long":
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not a valid %s", s, typ)
		}
		return new(big.Rat).SetInt64(n), nil
	case decimalKeyType.MatchString(typ):
		r, ok := new(big.Rat).SetString(strings.TrimSpace(s))
		if !ok {
			return nil, fmt.Errorf("%q is not a valid %s", s, typ)
		}
		return r, nil
	case typ == catalog.TypeDate:
		t, err := time.Parse(time.DateOnly, strings.TrimSpace(s))
		if err != nil {
			return nil, fmt.Errorf("%q is not a valid date (yyyy-mm-dd)", s)
		}
		return t, nil
	case typ == catalog.TypeTimestamp:
		for _, layout := range []string{"2006-01-02 15:04:05.999999999", time.RFC3339Nano, "2006-01-02T15:04:05.999999999", time.DateOnly} {
			if t, err := time.Parse(layout, strings.TrimSpace(s)); err == nil {
				return t, nil
			}
		}
		return nil, fmt.Errorf("%q is not a valid timestamp", s)
	}
	return nil, fmt.Errorf("%w: partition keys of type %s cannot be filtered (Glue filters string, date, timestamp, integer and decimal keys)", errNotFilterable, typ)
}
