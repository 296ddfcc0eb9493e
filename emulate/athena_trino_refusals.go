package emulate

import (
	"fmt"
	"slices"
	"strings"
)

// Trino SQL that DuckDB refuses or reads otherwise, bridged so the
// emulated Athena answers it as Trino does.

// A Trino interval is year to month (months) or day to second
// (milliseconds), never both; DuckDB keeps months, days and microseconds
// apart and has no sum of intervals. The aggregates work on each part:
// intervalMonths is an interval's months, intervalRest the rest of it in
// microseconds.
const (
	intervalMonths = "(date_part('year', __1) * 12 + date_part('month', __1))"
	intervalRest   = "epoch_us(__1 - to_months(CAST(" + intervalMonths + " AS INTEGER)))"
)

// intervalSum is sum of intervals: the months and the rest added apart.
const intervalSum = "(to_months(CAST(sum(" + intervalMonths + ") AS INTEGER)) + to_microseconds(CAST(sum(" + intervalRest + ") AS BIGINT)))"

// intervalAvg is avg of intervals: Trino's is the sum over the count (as
// a double) rounded half up, in months or in milliseconds.
const intervalAvg = "(to_months(CAST(floor(avg(CAST(" + intervalMonths + " AS DOUBLE)) + 0.5) AS INTEGER)) + " +
	"to_milliseconds(CAST(floor(avg(CAST(" + intervalRest + " // 1000 AS DOUBLE)) + 0.5) AS BIGINT)))"

// intervalSums bridges each sum of intervals (intervalSum) before DuckDB
// plans the statement, which it could not; an argument is an interval by
// its kind, read in the scope of the SELECT it is in (a SELECT's own sums
// after those of the SELECTs around it). It says whether it changed stmt.
func (q *trinoQuery) intervalSums(stmt astNode) (bool, error) {
	sums := map[uintptr]bool{}
	q.inScope(stmt["node"], nil, func(n astNode, scope []relation) {
		if markedAggregate(n) && strings.EqualFold(str(n["function_name"]), "sum") {
			sums[nodeID(n)] = intervalKind(children(n)[0], scope) != 0
		}
	})
	changed := false
	_, err := transform(stmt, nil, func(n astNode, _ []astNode) (any, error) {
		if !sums[nodeID(n)] {
			return n, nil
		}
		changed = true
		arg, _ := unmark(children(n)[0].(astNode), nil)
		return q.aggregateOf(n, intervalSum, []any{arg})
	})
	return changed, err
}

// valuesColumns is what is told of a VALUES list's columns: their names
// (renamed by its alias's list) and, from any row, whether they are
// intervals of a kind.
func valuesColumns(n astNode) []relCol {
	names, _ := n["expected_names"].([]any)
	rows, _ := n["values"].([]any)
	var cols []relCol
	for _, r := range rows {
		row, _ := r.([]any)
		for i, v := range row {
			if i == len(cols) {
				cols = append(cols, relCol{col: trinoColumn{precision: -1}})
				if i < len(names) {
					cols[i].name = strings.ToLower(str(names[i]))
				}
			}
			if cols[i].col.interval == 0 {
				cols[i].col.interval = intervalKind(v, nil)
			}
		}
	}
	return cols
}

// castOperandByParent types the operand of a CAST the plan has no cast
// for, as the binder drops a cast to the operand's own type
// (date_add('day', n, d) of an integer n casts n to INTEGER): by the
// parent call's bound operand in the cast's place. Of a cast in a cast
// to the same type, the binder keeps the inner one in the outer's place.
func castOperandByParent(n astNode, path []astNode, plan planNodes) duckType {
	if len(path) == 0 {
		return duckType{}
	}
	p := path[len(path)-1]
	b, ok := plan[queryLocation(p)]
	if ok && class(p) == "CAST" && str(b["expression_class"]) == "BOUND_CAST" && p["child"] != nil && nodeID(p["child"]) == nodeID(n) {
		if c, ok := b["child"].(astNode); ok {
			return exprType(c)
		}
	}
	if !ok || class(p) != "FUNCTION" || len(boundOperands(b)) != len(children(p)) {
		return duckType{}
	}
	for i, k := range children(p) {
		if nodeID(k) != nodeID(n) {
			continue
		}
		op := boundOperands(b)[i]
		if op == nil {
			return duckType{}
		}
		if str(op["expression_class"]) == "BOUND_CAST" { // the binder's, to fit the parent
			if c, ok := op["child"].(astNode); ok {
				return exprType(c)
			}
		}
		return exprType(op)
	}
	return duckType{}
}

// Bigint arguments: Trino's lpad, rpad, chr, regexp_extract and date_add
// take a bigint where DuckDB's take an INTEGER, to which DuckDB converts
// no bigint. A bridge casts such an argument to INTEGER, marked
// (__bigint_<function>) for pass 2 to refuse what Trino does not convert
// to a bigint (a double, a string), which the cast would take.

const bigintMarker = "__bigint_"

// withBigints is Trino function fn as a template by argument count, whose
// arguments at the given places (0-based) are bigints.
func withBigints(fn string, byArity map[int]string, places ...int) fnRule {
	return fnRule{custom: func(q *trinoQuery, n astNode, args []any) (any, error) {
		t, ok := byArity[len(args)]
		if !ok {
			return nil, &errSQL{fmt.Sprintf("FUNCTION_NOT_FOUND: Unexpected parameters (%d arguments) for function %s", len(args), fn)}
		}
		args, err := q.markBigints(fn, args, places...)
		if err != nil {
			return nil, err
		}
		return q.fill(t, args, n)
	}}
}

// markBigints marks the arguments at the given places as bigints of fn.
func (q *trinoQuery) markBigints(fn string, args []any, places ...int) ([]any, error) {
	args = slices.Clone(args)
	for _, i := range places {
		if i >= len(args) {
			continue
		}
		m, err := q.mark(bigintMarker+fn, args[i])
		if err != nil {
			return nil, err
		}
		args[i] = m
	}
	return args, nil
}

// isBigintArg says whether n is a marked bigint argument.
func isBigintArg(n astNode) bool { return strings.HasPrefix(markerName(n), bigintMarker) }

// bigintArg (pass 2) is a marked argument unmarked, or the refusal of
// one of a type Trino does not convert to a bigint.
func (q *trinoQuery) bigintArg(n astNode, plan planNodes) (any, error) {
	fn := strings.TrimPrefix(markerName(n), bigintMarker)
	arg, t := unmark(n, plan)
	if rt, ok := q.retyped[nodeID(arg)]; ok && rt.isInteger() {
		// An integer division, DOUBLE in the plan: cast, the bridge's
		// cast above sees an integer.
		return q.fill("CAST(__1 AS "+rt.sqlName()+")", []any{arg}, n)
	}
	if t.id != "" && !t.isInteger() && t.id != "NULL" && !q.tainted[nodeID(arg)] {
		return nil, &errSQL{fmt.Sprintf("FUNCTION_NOT_FOUND: Unexpected parameters for function %s: a %s where it takes a bigint (write a CAST)", fn, trinoTypeName(t))}
	}
	if a, ok := arg.(astNode); ok {
		a["alias"] = n["alias"]
	}
	return arg, nil
}

// padBridge is Trino's lpad or rpad: the length in [0, 2147483647] and a
// padding string not empty, else an error (DuckDB's is empty, or the text);
// NULL if any argument is.
func padBridge(fn string) fnRule {
	return withBigints(fn, map[int]string{3: "CASE WHEN __1 IS NULL OR __2 IS NULL OR __3 IS NULL THEN NULL " +
		"WHEN __2 < 0 OR __2 > 2147483647 THEN error('INVALID_FUNCTION_ARGUMENT: Target length must be in the range [0..2147483647]') " +
		"WHEN __3 = '' THEN error('INVALID_FUNCTION_ARGUMENT: Padding string must not be empty') ELSE " + fn + "(__1, CAST(__2 AS INTEGER), __3) END"}, 1)
}

// groupQuantifier says whether the word at toks[i] is Trino's set
// quantifier of a GROUP BY (GROUP BY ALL a, GROUP BY DISTINCT a), which
// DuckDB's parser lacks; GROUP BY ALL with nothing after it is DuckDB's
// own (duckDBOnly).
func groupQuantifier(toks []sqlToken, i int) bool {
	if !isWord(toks, i, "ALL") && !isWord(toks, i, "DISTINCT") {
		return false
	}
	by := prevSignificant(toks, i)
	if !isWord(toks, by, "BY") || !isWord(toks, prevSignificant(toks, by), "GROUP") {
		return false
	}
	n := nextSignificant(toks, i+1)
	return n < len(toks) && !toks[n].is(")") && !toks[n].is(",") && !toks[n].is(";") &&
		!(toks[n].kind == tokWord && slices.Contains(clauseWords, strings.ToUpper(toks[n].text)))
}

// groupingSetsAfter says whether the GROUP BY list after toks[i] has
// GROUPING SETS, CUBE or ROLLUP: more than one grouping set.
func groupingSetsAfter(toks []sqlToken, i int) bool {
	depth := 0
	for k := i + 1; k < len(toks); k++ {
		switch t := toks[k]; {
		case t.is("("):
			depth++
		case t.is(")"):
			if depth == 0 {
				return false
			}
			depth--
		case t.kind == tokWord && depth == 0 && slices.Contains(clauseWords, strings.ToUpper(t.text)):
			return false
		case isWord(toks, k, "GROUPING") || isWord(toks, k, "CUBE") || isWord(toks, k, "ROLLUP"):
			return true
		}
	}
	return false
}

// reservedAliasWords are aliasWords that DuckDB's parser refuses even as
// a table alias or a qualifier (default.x, also Athena's database named
// default): a qualifier is written quoted, as the alias is.
var reservedAliasWords = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`unique leading trailing default check primary column pivot analyze
		json map row array only any some over`) {
		reservedAliasWords[w] = true
		aliasWords[w] = true
	}
}

// reservedQualifier says whether toks[i] is a reserved alias word that
// qualifies a name (default.x).
func reservedQualifier(toks []sqlToken, i int) bool {
	if toks[i].kind != tokWord || !reservedAliasWords[strings.ToLower(toks[i].text)] || i+1 >= len(toks) || !toks[i+1].is(".") {
		return false
	}
	p := prevSignificant(toks, i)
	return p < 0 || !toks[p].is(".")
}

// lengthOf (pass 2) is Trino's length by its argument's type: of a
// string its characters, of a varbinary its bytes (DuckDB's length takes
// no blob); Trino has no length of anything else.
func (q *trinoQuery) lengthOf(n astNode, arg any, t duckType) (any, error) {
	switch t.id {
	case "BLOB":
		return q.fill("octet_length(__1)", []any{arg}, n)
	case "VARCHAR", "NULL", "":
		return q.fill("length(__1)", []any{arg}, n)
	}
	return nil, &errSQL{fmt.Sprintf("FUNCTION_NOT_FOUND: Unexpected parameters (%s) for function length", trinoTypeName(t))}
}

// percentileBridge is approx_percentile(x, p): an exact percentile is an
// answer it may give. Its weighted form is refused.
func percentileBridge(q *trinoQuery, n astNode, args []any) (any, error) {
	if len(args) == 3 {
		return nil, &errSQL{"NOT_SUPPORTED: approx_percentile with a weight is not emulated (DuckDB has no weighted percentile): use approx_percentile(x, percentage)"}
	}
	return arity("approx_percentile", 2, "quantile_disc")(q, n, args)
}
