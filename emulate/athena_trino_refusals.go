package emulate

import "strings"

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
	var scan func(v any, ctes map[string]astNode)
	scan = func(v any, ctes map[string]astNode) {
		switch x := v.(type) {
		case astNode:
			if str(x["type"]) == "SELECT_NODE" || str(x["type"]) == "SET_OPERATION_NODE" {
				ctes = ctesOf(x, ctes)
			}
			if str(x["type"]) == "SELECT_NODE" {
				scope := q.relationsOf(x["from_table"], ctes)
				transform(x, nil, func(n astNode, _ []astNode) (any, error) {
					if markedAggregate(n) && strings.EqualFold(str(n["function_name"]), "sum") {
						sums[nodeID(n)] = intervalKind(children(n)[0], scope) != 0
					}
					return n, nil
				})
			}
			for _, e := range x {
				scan(e, ctes)
			}
		case []any:
			for _, e := range x {
				scan(e, ctes)
			}
		}
	}
	scan(stmt["node"], nil)
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
