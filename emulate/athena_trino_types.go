package emulate

// Result columns whose Trino type DuckDB's does not tell, and how Athena
// prints them:
//
//   - A timestamp or time has a precision, the digits Athena prints after
//     the second: a literal's is its own (TIMESTAMP '2024-01-01 10:00:00'
//     is timestamp(0), printed without a fraction), timestamp(p)'s is p,
//     and the type timestamp, table columns and the functions that make
//     one are timestamp(3). DuckDB keeps microseconds whatever the type.
//     A statement without literals or casts of another precision than 3
//     prints 3 digits; one with them has each result column's precision
//     told from its expression, and a column whose precision cannot be
//     told fails naming it.
//   - An interval is a year to month one, printed 1-2, or a day to second
//     one, printed 1 02:03:04.000; DuckDB has one interval type. Without
//     year or month literals every interval is a day to second one.
//   - A bare NULL is Trino's type unknown (DuckDB makes it an integer),
//     told from the plan of the statement and, through subqueries, from
//     its tree.
//   - A column's name is Trino's, which DuckDB changes where a subquery
//     has two columns of one name (see Names below).

import (
	"cmp"
	"fmt"
	"math"
	"pipeline/catalog"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// trinoColumn is what the bridge tells of a result column's Trino type.
type trinoColumn struct {
	name      string // as Trino names it, lower case; "" if not told
	precision int    // a timestamp's or time's; -1 if not told
	interval  byte   // 'y' year to month, 'd' day to second, 0 if not told
	null      bool   // a NULL of no type (a subquery's NULL AS x), Trino's unknown
}

// bridged is a statement as DuckDB runs it, and what the bridge tells of
// its result columns.
type bridged struct {
	sql     string
	columns []trinoColumn // by position; nil if not told
	unknown []bool        // by position: a bare NULL, Trino's type unknown
	// otherPrecision: the statement has timestamp or time literals or
	// casts of another precision than 3; yearMonth: interval literals of
	// years or months.
	otherPrecision, yearMonth bool
}

// column is what the bridge tells of result column i.
func (b *bridged) column(i int) trinoColumn {
	if b == nil || i >= len(b.columns) {
		return trinoColumn{precision: -1}
	}
	return b.columns[i]
}

// isUnknown says whether result column i is a bare NULL.
func (b *bridged) isUnknown(i int) bool {
	return b != nil && (i < len(b.unknown) && b.unknown[i] || i < len(b.columns) && b.columns[i].null)
}

// isBareNull says whether an expression is a NULL of no type: a NULL
// literal, a column of one, a CASE of them.
func isBareNull(v any, scope []relation) bool {
	n, _ := v.(astNode)
	switch class(n) {
	case "CONSTANT":
		return str(at(n, "value", "type", "id")) == "NULL"
	case "COLUMN_REF":
		names, _ := n["column_names"].([]any)
		return columnOf(names, scope).null
	case "CASE":
		for _, c := range n["case_checks"].([]any) {
			if !isBareNull(at(c, "then_expr"), scope) {
				return false
			}
		}
		return isBareNull(n["else_expr"], scope)
	}
	return false
}

// unknownColumns reads the bare NULLs among a plan's result columns: the
// binder casts a NULL-typed result (a NULL, a CASE of NULLs, an array of
// NULLs) to an integer at the very top, which Trino leaves unknown.
func unknownColumns(plan any) []bool {
	n, _ := plan.(astNode)
	switch str(n["type"]) {
	case "LOGICAL_ORDER_BY", "LOGICAL_LIMIT", "LOGICAL_TOP_N", "LOGICAL_DISTINCT", "LOGICAL_FILTER":
		kids, _ := n["children"].([]any)
		if len(kids) == 1 {
			return unknownColumns(kids[0])
		}
	case "LOGICAL_UNION", "LOGICAL_EXCEPT", "LOGICAL_INTERSECT":
		kids, _ := n["children"].([]any)
		var out []bool
		for i, k := range kids {
			u := unknownColumns(k)
			if i == 0 {
				out = u
				continue
			}
			if len(u) != len(out) {
				return nil
			}
			for j := range out {
				out[j] = out[j] && u[j]
			}
		}
		return out
	case "LOGICAL_PROJECTION":
		exprs, _ := n["expressions"].([]any)
		out := make([]bool, len(exprs))
		for i, e := range exprs {
			x, _ := e.(astNode)
			t := exprType(x)
			if c, ok := x["child"].(astNode); ok && str(x["expression_class"]) == "BOUND_CAST" && queryLocation(c) == queryLocation(x) {
				t = exprType(c) // the binder's cast, not the statement's
			}
			out[i] = t.id == "NULL" || t.elem != nil && t.elem.id == "NULL"
		}
		return out
	}
	return nil
}

// Precision markers: pass 1 wraps a timestamp or time of another
// precision than 3 in a marker named __ts<precision>, pass 2 takes it
// away; the result columns' precisions are read in between.

var tsMarker = regexp.MustCompile(`^__ts([0-9]+)$`)

// markerPrecision is the precision a marker holds, or -1.
func markerPrecision(v any) int {
	m := tsMarker.FindStringSubmatch(markerName(v))
	if m == nil {
		return -1
	}
	p, _ := strconv.Atoi(m[1])
	return p
}

// literalPrecision is the digits after the second of a timestamp or time
// literal's text.
func literalPrecision(s string) int {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, ':'); i >= 0 {
		if j := strings.IndexByte(s[i:], '.'); j >= 0 {
			digits := 0
			for _, c := range s[i+j+1:] {
				if c < '0' || c > '9' {
					break
				}
				digits++
			}
			return digits
		}
	}
	return 0
}

// timestampLiteral gives a timestamp or time literal (TIMESTAMP '...',
// which DuckDB parses as a cast with no place in the text) of another
// precision than 3 its marker (pass 1).
func (q *trinoQuery) timestampLiteral(n astNode) (any, error) {
	kind := str(at(n, "cast_type", "id"))
	s, ok := constantString(n["child"])
	if !ok || queryLocation(n) >= 0 || kind != "TIMESTAMP" && kind != "TIME" {
		return n, nil
	}
	p := literalPrecision(s)
	switch {
	case kind == "TIMESTAMP" && p > 6:
		return nil, &errSQL{fmt.Sprintf("NOT_SUPPORTED: timestamps with %d digits after the second are not emulated (DuckDB keeps 6)", p)}
	case kind == "TIME" && p > 3:
		return nil, &errSQL{fmt.Sprintf("NOT_SUPPORTED: times with %d digits after the second are not emulated (the emulator prints 3)", p)}
	case p == 3:
		return n, nil
	}
	return q.mark(fmt.Sprintf("__ts%d", p), n)
}

// precisionType is the type the text rewrite gives timestamp(p) and
// time(p) (athena_sql.go), for pass 1 to read back.
var precisionType = regexp.MustCompile(`^__(timestamp|time)_([0-9]+)$`)

// precisionCast bridges CAST(x AS timestamp(p)): x rounded to p digits
// after the second, half up, as Trino rounds (pass 1).
func (q *trinoQuery) precisionCast(n astNode) (any, error) {
	name := str(at(n, "cast_type", "type_info", "name"))
	m := precisionType.FindStringSubmatch(name)
	if str(at(n, "cast_type", "id")) != "UNBOUND" || m == nil {
		return n, checkPrecisionTypes(n["cast_type"])
	}
	p, _ := strconv.Atoi(m[2])
	try := ""
	if n["try_cast"] == true {
		try = "TRY_"
	}
	switch {
	case m[1] == "time" && p != 3:
		return nil, &errSQL{fmt.Sprintf("NOT_SUPPORTED: time(%d) is not emulated: use time", p)}
	case m[1] == "time":
		return q.fill(try+"CAST(__1 AS TIME)", []any{n["child"]}, n)
	case p > 6:
		return nil, &errSQL{fmt.Sprintf("NOT_SUPPORTED: timestamp(%d) is not emulated (DuckDB keeps 6 digits after the second)", p)}
	case p == 6:
		x, err := q.fill(try+"CAST(__1 AS TIMESTAMP)", []any{n["child"]}, n)
		if err != nil {
			return nil, err
		}
		return q.mark("__ts6", x)
	}
	unit := int64(math.Pow10(6 - p))
	x, err := q.fill(fmt.Sprintf("make_timestamp(CAST(fdiv(epoch_us(%sCAST(__1 AS TIMESTAMP)) + %d, %d) * %d AS BIGINT))", try, unit/2, unit, unit), []any{n["child"]}, n)
	if err != nil || p == 3 {
		return x, err
	}
	return q.mark(fmt.Sprintf("__ts%d", p), x)
}

// checkPrecisionTypes refuses timestamp(p) inside an array, map or row
// type, which the emulator cannot round.
func checkPrecisionTypes(t any) error {
	var err error
	transform(t, nil, func(n astNode, _ []astNode) (any, error) {
		if str(n["id"]) == "UNBOUND" && precisionType.MatchString(str(at(n, "type_info", "name"))) && err == nil {
			err = &errSQL{"NOT_SUPPORTED: timestamp(p) and time(p) inside an array, map or row type are not emulated: use timestamp"}
		}
		return n, nil
	})
	return err
}

// Reading the result columns' types from the pass-1 tree.

// notTimestamp is a precision for what is surely no timestamp; -1 is a
// timestamp (or maybe one) of a precision not told.
const notTimestamp = -2

// combinePrecision is the precision of a choice among values (CASE,
// coalesce, max): the largest, as Trino coerces to it, or not told.
func combinePrecision(ps ...int) int {
	out := notTimestamp
	for _, p := range ps {
		switch {
		case p == -1:
			return -1
		case p > out:
			out = p
		}
	}
	return out
}

// relCol is a column of a FROM item: its name as Trino has it (lower
// case, "" for an unnamed expression) and what is told of its type.
type relCol struct {
	name string
	col  trinoColumn
}

// relation is one FROM item of a SELECT: its name (alias, or table name)
// and its columns, nil if the emulator cannot tell them.
type relation struct {
	name string
	cols []relCol
}

// ctesOf adds the CTEs a query node defines to those around it.
func ctesOf(n astNode, outer map[string]astNode) map[string]astNode {
	m, _ := at(n, "cte_map", "map").([]any)
	if len(m) == 0 {
		return outer
	}
	out := map[string]astNode{}
	for k, v := range outer {
		out[k] = v
	}
	for _, e := range m {
		if v, ok := at(e, "value").(astNode); ok {
			out[strings.ToLower(str(at(e, "key")))] = v
		}
	}
	return out
}

// renamed gives a FROM item's columns the names listed for them.
func renamed(cols []relCol, names any) []relCol {
	list, _ := names.([]any)
	for i := 0; i < len(list) && i < len(cols); i++ {
		cols[i].name = strings.ToLower(str(list[i]))
	}
	return cols
}

// relationsOf is the FROM items of a SELECT node, in order.
func (q *trinoQuery) relationsOf(from any, ctes map[string]astNode) []relation {
	n, _ := from.(astNode)
	alias := strings.ToLower(str(n["alias"]))
	switch str(n["type"]) {
	case "EMPTY", "":
		return nil
	case "JOIN":
		return append(q.relationsOf(n["left"], ctes), q.relationsOf(n["right"], ctes)...)
	case "SUBQUERY":
		cols := q.outputColumns(at(n, "subquery", "node"), ctes)
		return []relation{{name: alias, cols: renamed(cols, n["column_name_alias"])}}
	case "BASE_TABLE":
		name := strings.ToLower(str(n["table_name"]))
		r := relation{name: cmp.Or(alias, name)}
		if cte, ok := ctes[name]; ok && str(n["schema_name"]) == "" {
			cols := renamed(q.outputColumns(at(cte, "query", "node"), ctes), cte["aliases"])
			r.cols = renamed(cols, n["column_name_alias"])
		} else if t, ok := q.tables[name]; ok && !t.IsView() {
			for _, c := range append(append([]catalog.Column{}, t.Columns...), t.PartitionKeys...) {
				r.cols = append(r.cols, relCol{name: strings.ToLower(c.Name), col: trinoColumn{precision: 3}})
			}
			r.cols = renamed(r.cols, n["column_name_alias"])
		}
		return []relation{r}
	case "EXPRESSION_LIST":
		return []relation{{name: alias, cols: renamed(valuesColumns(n), n["column_name_alias"])}}
	}
	return []relation{{name: alias}}
}

// mergesColumns says whether a FROM clause joins USING columns.
func mergesColumns(from any) bool {
	n, _ := from.(astNode)
	if str(n["type"]) != "JOIN" {
		return false
	}
	using, _ := n["using_columns"].([]any)
	return len(using) > 0 || str(n["ref_type"]) == "NATURAL" || mergesColumns(n["left"]) || mergesColumns(n["right"])
}

// columnOf is what is told of a column reference in scope: -1 precision
// if not told.
func columnOf(names []any, scope []relation) trinoColumn {
	col := strings.ToLower(str(names[len(names)-1]))
	qual := ""
	if len(names) > 1 {
		qual = strings.ToLower(str(names[len(names)-2]))
	}
	for _, r := range scope {
		if qual != "" && r.name != qual {
			continue
		}
		if r.cols == nil {
			return trinoColumn{precision: -1}
		}
		for _, c := range r.cols {
			if c.name == col {
				return c.col
			}
		}
	}
	return trinoColumn{precision: -1}
}

// itemName is the name Trino gives a select item: its alias, a column's
// name, or none.
func itemName(it astNode) string {
	if a := str(it["alias"]); a != "" {
		return strings.ToLower(a)
	}
	if names, _ := it["column_names"].([]any); class(it) == "COLUMN_REF" && len(names) > 0 {
		return strings.ToLower(str(names[len(names)-1]))
	}
	return ""
}

// precisionKeepers are the calls whose result is a timestamp of their
// arguments' precision.
var precisionKeepers = map[string]bool{
	"+": true, "-": true, "date_trunc": true, "coalesce": true, "greatest": true, "least": true, "nullif": true,
	"max": true, "min": true, "any_value": true, "first_value": true, "last_value": true, "lag": true, "lead": true,
	"nth_value": true, "max_by": true, "min_by": true, "first": true, "last": true,
}

// precisionMakers are the calls that make a timestamp(3).
var precisionMakers = map[string]bool{
	"to_timestamp": true, "strptime": true, "try_strptime": true, "current_timestamp": true, "now": true,
	"get_current_timestamp": true, "localtimestamp": true, "current_time": true, "localtime": true,
	"make_timestamp": true, // CAST(x AS timestamp(3))
}

// precisionOf is the precision of expression v in scope, -1 if not told,
// notTimestamp if surely not a timestamp.
func precisionOf(v any, scope []relation) int {
	n, _ := v.(astNode)
	if p := markerPrecision(n); p >= 0 {
		return p
	}
	if m := markerName(n); m != "" {
		return precisionOf(children(children(n)[0].(astNode))[0], scope)
	}
	switch class(n) {
	case "CONSTANT":
		return notTimestamp
	case "CAST":
		switch str(at(n, "cast_type", "id")) {
		case "TIMESTAMP", "TIME", "TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ":
			return 3
		}
		return notTimestamp
	case "COLUMN_REF":
		names, _ := n["column_names"].([]any)
		return columnOf(names, scope).precision
	case "CASE":
		var ps []int
		for _, c := range n["case_checks"].([]any) {
			ps = append(ps, precisionOf(at(c, "then_expr"), scope))
		}
		return combinePrecision(append(ps, precisionOf(n["else_expr"], scope))...)
	case "OPERATOR":
		if str(n["type"]) == "OPERATOR_COALESCE" {
			var ps []int
			for _, c := range children(n) {
				ps = append(ps, precisionOf(c, scope))
			}
			return combinePrecision(ps...)
		}
	case "FUNCTION", "WINDOW":
		name := strings.ToLower(str(n["function_name"]))
		kids := children(n)
		switch {
		case precisionMakers[name]:
			return 3
		case name == "date_trunc" && len(kids) == 2:
			return precisionOf(kids[1], scope)
		case (name == "max_by" || name == "min_by") && len(kids) == 2:
			return precisionOf(kids[0], scope)
		case precisionKeepers[name]:
			var ps []int
			for _, c := range kids {
				ps = append(ps, precisionOf(c, scope))
			}
			return combinePrecision(ps...)
		case intervalFunctions[name]:
			return notTimestamp
		}
	}
	return -1
}

// intervalKind is the kind of interval expression v is: 'y' year to
// month, 'd' day to second, 0 not told.
func intervalKind(v any, scope []relation) byte {
	n, _ := v.(astNode)
	if m := markerName(n); m != "" {
		return intervalKind(children(children(n)[0].(astNode))[0], scope)
	}
	var kids []any
	switch class(n) {
	case "FUNCTION", "WINDOW":
		switch name := strings.ToLower(str(n["function_name"])); name {
		case "to_years", "to_quarters", "to_months":
			return 'y'
		case "to_weeks", "to_days", "to_hours", "to_minutes", "to_seconds", "to_milliseconds", "to_microseconds":
			return 'd'
		case "+", "-", "*", "/", "sum", "avg", "max", "min", "any_value", "coalesce", "greatest", "least", "nullif",
			"first_value", "last_value", "lag", "lead", "nth_value":
			kids = children(n)
			if name == "-" && len(kids) == 2 && intervalKind(kids[0], scope) == 0 && intervalKind(kids[1], scope) == 0 {
				return 'd' // timestamp - timestamp
			}
		}
	case "CASE":
		for _, c := range n["case_checks"].([]any) {
			kids = append(kids, at(c, "then_expr"))
		}
		kids = append(kids, n["else_expr"])
	case "OPERATOR":
		if str(n["type"]) == "OPERATOR_COALESCE" {
			kids = children(n)
		}
	case "COLUMN_REF":
		names, _ := n["column_names"].([]any)
		return columnOf(names, scope).interval
	}
	for _, k := range kids {
		if c := intervalKind(k, scope); c != 0 {
			return c
		}
	}
	return 0
}

// outputColumns reads what the tree tells of a query node's result
// columns, nil if it cannot tell how many there are.
func (q *trinoQuery) outputColumns(node any, ctes map[string]astNode) []relCol {
	n, _ := node.(astNode)
	ctes = ctesOf(n, ctes)
	switch str(n["type"]) {
	case "SET_OPERATION_NODE":
		l, r := q.outputColumns(n["left"], ctes), q.outputColumns(n["right"], ctes)
		if l == nil || len(l) != len(r) {
			return nil
		}
		for i := range l {
			l[i].col.null = l[i].col.null && r[i].col.null
			l[i].col.precision = combinePrecision(l[i].col.precision, r[i].col.precision)
			l[i].col.interval = cmp.Or(l[i].col.interval, r[i].col.interval)
		}
		return l
	case "SELECT_NODE":
	default:
		return nil
	}
	scope := q.relationsOf(n["from_table"], ctes)
	var out []relCol
	for _, item := range n["select_list"].([]any) {
		it, _ := item.(astNode)
		if class(it) != "STAR" {
			out = append(out, relCol{name: itemName(it), col: trinoColumn{precision: precisionOf(it, scope), interval: intervalKind(it, scope), null: isBareNull(it, scope)}})
			continue
		}
		if mergesColumns(n["from_table"]) {
			return nil // * shows a USING join's columns once
		}
		rel := strings.ToLower(str(it["relation_name"]))
		for _, r := range scope {
			if rel != "" && r.name != rel {
				continue
			}
			if r.cols == nil {
				return nil
			}
			out = append(out, r.cols...)
		}
	}
	return out
}

// statementFacts reads the result columns and the precisions and
// intervals a pass-1 statement holds, and refuses references to names
// that are ambiguous in Trino (see names).
func (q *trinoQuery) statementFacts(stmt astNode) (*bridged, error) {
	if err := q.checkNames(stmt["node"], nil); err != nil {
		return nil, err
	}
	b := &bridged{}
	transform(stmt, nil, func(n astNode, _ []astNode) (any, error) {
		if p := markerPrecision(n); p >= 0 && p != 3 {
			b.otherPrecision = true
		}
		switch strings.ToLower(str(n["function_name"])) {
		case "to_years", "to_quarters", "to_months":
			b.yearMonth = true
		}
		return n, nil
	})
	for _, c := range q.outputColumns(stmt["node"], nil) {
		c.col.name = c.name
		b.columns = append(b.columns, c.col)
	}
	if b.otherPrecision {
		q.castPrecision = map[uintptr]int{}
		q.scopedCasts(stmt["node"])
	}
	return b, nil
}

// scopedCasts records the precision of the operand of each cast to
// varchar under v.
func (q *trinoQuery) scopedCasts(v any) {
	q.inScope(v, nil, func(n astNode, scope []relation) {
		if class(n) == "CAST" && str(at(n, "cast_type", "id")) == "VARCHAR" {
			q.castPrecision[nodeID(n)] = precisionOf(n["child"], scope)
		}
	})
}

// inScope calls fn for each node under v with the relations of the SELECT
// it is in: a SELECT's own nodes after those of the SELECTs around it.
func (q *trinoQuery) inScope(v any, ctes map[string]astNode, fn func(n astNode, scope []relation)) {
	switch x := v.(type) {
	case astNode:
		if str(x["type"]) == "SELECT_NODE" || str(x["type"]) == "SET_OPERATION_NODE" {
			ctes = ctesOf(x, ctes)
		}
		if str(x["type"]) == "SELECT_NODE" {
			scope := q.relationsOf(x["from_table"], ctes)
			transform(x, nil, func(n astNode, _ []astNode) (any, error) {
				fn(n, scope)
				return n, nil
			})
		}
		for _, e := range x {
			q.inScope(e, ctes, fn)
		}
	case []any:
		for _, e := range x {
			q.inScope(e, ctes, fn)
		}
	}
}

// unmarkPrecisions takes the precision markers away (after pass 2, which
// types their contents through them).
func unmarkPrecisions(stmt astNode) {
	transform(stmt, nil, func(n astNode, _ []astNode) (any, error) {
		if markerPrecision(n) < 0 {
			return n, nil
		}
		inner := children(children(n)[0].(astNode))[0]
		if a, ok := inner.(astNode); ok {
			a["alias"] = n["alias"]
		}
		return inner, nil
	})
}

// timestampText is CAST(x AS varchar) of a timestamp or time: with the
// digits of its precision, as Trino writes it (DuckDB drops a zero
// fraction).
func (q *trinoQuery) timestampText(n astNode, isTime bool) (any, error) {
	p := 3
	if q.otherPrecision {
		var ok bool
		if p, ok = q.castPrecision[nodeID(n)]; !ok || p < 0 {
			return nil, &errSQL{"NOT_SUPPORTED: a cast of a timestamp to varchar in a statement with timestamps of another precision than 3 is not emulated here: use date_format"}
		}
	}
	format := "%Y-%m-%d %H:%M:%S"
	arg := "__1"
	if isTime {
		format, arg = "%H:%M:%S", "(DATE '1970-01-01' + __1)"
	}
	text := "strftime(" + arg + ", '" + format + "')"
	switch {
	case p > 3:
		text = "(" + text + " || '.' || substr(strftime(" + arg + ", '%f'), 1, " + strconv.Itoa(p) + "))"
	case p > 0:
		text = "(" + text + " || '.' || substr(strftime(" + arg + ", '%g'), 1, " + strconv.Itoa(p) + "))"
	}
	if n["try_cast"] == true {
		text = "TRY_CAST(" + text + " AS VARCHAR)"
	}
	return q.fill(text, []any{n["child"]}, n)
}

// Printing.

// athenaTimestampAt prints a timestamp with p digits after the second,
// rounded half up as Trino rounds to a precision.
func athenaTimestampAt(t time.Time, p int) string {
	unit := time.Duration(math.Pow10(9 - p))
	t = t.UTC().Add(unit / 2).Truncate(unit)
	s := t.Format("2006-01-02 15:04:05")
	if p > 0 {
		s += "." + fmt.Sprintf("%09d", t.Nanosecond())[:p]
	}
	return s
}

// sqlqInterval matches an interval as sqlq prints it.
var sqlqInterval = regexp.MustCompile(`^(?:(-?[0-9]+) months )?(?:(-?[0-9]+) days )?(-?)([0-9]+):([0-9]{2}):([0-9]{2})\.([0-9]{3})$`)

// athenaInterval prints an interval as Athena does: a year to month one
// "-1-2" (years-months), a day to second one "-1 02:03:04.005". kind is
// the column's kind, 0 if not told: then the value tells, where it can.
func athenaInterval(s string, kind byte) (string, error) {
	m := sqlqInterval.FindStringSubmatch(s)
	if m == nil {
		return "", fmt.Errorf("NOT_SUPPORTED: interval %q is not printed as Athena prints one", s)
	}
	months, _ := strconv.ParseInt(cmp.Or(m[1], "0"), 10, 64)
	days, _ := strconv.ParseInt(cmp.Or(m[2], "0"), 10, 64)
	var ms int64
	for i, f := range []int64{3600000, 60000, 1000, 1} {
		v, _ := strconv.ParseInt(m[4+i], 10, 64)
		ms += v * f
	}
	if m[3] == "-" {
		ms = -ms
	}
	ms += days * 86400000
	switch {
	case kind == 0 && months != 0 && ms == 0:
		kind = 'y'
	case kind == 0 && months == 0 && ms != 0:
		kind = 'd'
	}
	switch {
	case kind == 'y' && ms == 0:
		sign := ""
		if months < 0 {
			sign, months = "-", -months
		}
		return fmt.Sprintf("%s%d-%d", sign, months/12, months%12), nil
	case kind == 'd' && months == 0:
		sign := ""
		if ms < 0 {
			sign, ms = "-", -ms
		}
		return fmt.Sprintf("%s%d %02d:%02d:%02d.%03d", sign, ms/86400000, ms/3600000%24, ms/60000%60, ms/1000%60, ms%1000), nil
	case kind == 0 && months == 0:
		return "", fmt.Errorf("NOT_SUPPORTED: a zero interval whose kind (year to month or day to second) the emulator cannot tell: cast it or name its unit")
	}
	return "", fmt.Errorf("NOT_SUPPORTED: an interval of months and days together (%s) has no Athena type", s)
}

// Names: a subquery, CTE or view may have two columns of one name (from
// SELECT * of a join, or two aliases). Trino keeps both names and fails a
// reference to the name as ambiguous; DuckDB renames the second (a_1) and
// reads the first. The result columns take Trino's names (renderResult),
// and a reference to such a name, or to DuckDB's renaming of it, fails as
// it does in Trino.

var renamedColumn = regexp.MustCompile(`^(.+)_[0-9]+$`)

// checkNames checks the column references of each SELECT under v against
// its FROM items' names.
func (q *trinoQuery) checkNames(v any, ctes map[string]astNode) error {
	switch x := v.(type) {
	case astNode:
		if t := str(x["type"]); t == "SELECT_NODE" || t == "SET_OPERATION_NODE" {
			ctes = ctesOf(x, ctes)
		}
		if str(x["type"]) == "SELECT_NODE" {
			if err := q.checkSelectNames(x, ctes); err != nil {
				return err
			}
		}
		for _, e := range x {
			if err := q.checkNames(e, ctes); err != nil {
				return err
			}
		}
	case []any:
		for _, e := range x {
			if err := q.checkNames(e, ctes); err != nil {
				return err
			}
		}
	}
	return nil
}

func (q *trinoQuery) checkSelectNames(sel astNode, ctes map[string]astNode) error {
	scope := q.relationsOf(sel["from_table"], ctes)
	dup := map[string]map[string]bool{} // relation -> its names held twice
	for _, r := range scope {
		seen := map[string]bool{}
		for _, c := range r.cols {
			if c.name != "" && seen[c.name] {
				if dup[r.name] == nil {
					dup[r.name] = map[string]bool{}
				}
				dup[r.name][c.name] = true
			}
			seen[c.name] = true
		}
	}
	// A select list's alias is no column in Trino but in ORDER BY (DuckDB
	// reads it in the select list, WHERE, GROUP BY and HAVING too).
	aliases, lambdaParams := map[string]bool{}, map[string]bool{}
	for _, it := range sel["select_list"].([]any) {
		if name := str(at(it, "alias")); name != "" {
			aliases[strings.ToLower(name)] = true
		}
	}
	transform(deepCopy(sel), nil, func(n astNode, _ []astNode) (any, error) {
		if class(n) == "LAMBDA" {
			transform(n["lhs"], nil, func(p astNode, _ []astNode) (any, error) {
				if name := placeholderName(p); name != "" {
					lambdaParams[strings.ToLower(name)] = true
				}
				return p, nil
			})
		}
		return n, nil
	})
	scopeKnown := !slices.ContainsFunc(scope, func(r relation) bool { return r.cols == nil })
	aliasesBanned := true
	var err error
	check := func(n astNode, _ []astNode) (any, error) {
		names, _ := n["column_names"].([]any)
		if class(n) != "COLUMN_REF" || len(names) == 0 || len(names) > 2 || err != nil {
			return n, nil
		}
		col := strings.ToLower(str(names[len(names)-1]))
		qual := ""
		if len(names) == 2 {
			qual = strings.ToLower(str(names[0]))
		}
		if aliasesBanned && qual == "" && scopeKnown && aliases[col] && !lambdaParams[col] &&
			!slices.ContainsFunc(scope, func(r relation) bool { return hasColumn(r, col) }) {
			err = &errSQL{fmt.Sprintf("COLUMN_NOT_FOUND: Column '%s' cannot be resolved (an alias of the select list names no column in Trino, except in ORDER BY)", col)}
			return n, nil
		}
		for _, r := range scope {
			if qual != "" && r.name != qual {
				continue
			}
			if dup[r.name][col] {
				err = &errSQL{fmt.Sprintf("COLUMN_AMBIGUOUS: Column '%s' is ambiguous", col)}
				return n, nil
			}
			if m := renamedColumn.FindStringSubmatch(col); m != nil && dup[r.name][m[1]] && !hasColumn(r, col) {
				err = &errSQL{fmt.Sprintf("COLUMN_NOT_FOUND: Column '%s' cannot be resolved", col)}
				return n, nil
			}
		}
		return n, nil
	}
	for _, k := range []string{"select_list", "where_clause", "group_expressions", "having", "qualify"} {
		ownExpressions(sel[k], check)
	}
	// ORDER BY a name two result columns have is ambiguous in Trino
	// (DuckDB orders by the first).
	outs := map[string]int{}
	for _, it := range sel["select_list"].([]any) {
		if name := str(at(it, "alias")); name != "" {
			outs[strings.ToLower(name)]++
		}
	}
	aliasesBanned = false
	for _, m := range sel["modifiers"].([]any) {
		orders, _ := at(m, "orders").([]any)
		for _, o := range orders {
			e, _ := at(o, "expression").(astNode)
			names, _ := e["column_names"].([]any)
			if class(e) == "COLUMN_REF" && len(names) == 1 && outs[strings.ToLower(str(names[0]))] > 1 {
				return &errSQL{fmt.Sprintf("COLUMN_AMBIGUOUS: '%s' in ORDER BY is ambiguous", strings.ToLower(str(names[0])))}
			}
			ownExpressions(e, check)
		}
	}
	return err
}

func hasColumn(r relation, name string) bool {
	for _, c := range r.cols {
		if c.name == name {
			return true
		}
	}
	return false
}

// ownExpressions calls fn on the expression nodes of v that are not in a
// subquery (whose names are its own).
func ownExpressions(v any, fn func(astNode, []astNode) (any, error)) {
	switch x := v.(type) {
	case astNode:
		if class(x) == "SUBQUERY" {
			if c, ok := x["child"]; ok {
				ownExpressions(c, fn)
			}
			return
		}
		for _, e := range x {
			ownExpressions(e, fn)
		}
		fn(x, nil)
	case []any:
		for _, e := range x {
			ownExpressions(e, fn)
		}
	}
}
