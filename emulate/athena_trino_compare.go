package emulate

// Comparisons as Trino makes them, in pass 2 (athena_trino.go), where the
// operands' types are known:
//
//   - NaN: Trino compares doubles as IEEE numbers (NaN = NaN, NaN < x and
//     NaN > x are false, NaN <> x is true), where DuckDB takes NaN for the
//     greatest value, equal to itself. Equality, ordering, BETWEEN, IN
//     lists and NULLIF of doubles are guarded; max, min, max_by, min_by,
//     greatest, least, array_max and array_min skip NaN unless every value
//     is NaN, as Trino's do; ORDER BY ... NULLS FIRST takes NaN for the
//     smallest value, as Trino does. IS [NOT] DISTINCT FROM, GROUP BY and
//     DISTINCT treat NaN as one value in both.
//   - NULL elements: Trino's ARRAY[1, NULL] = ARRAY[1, NULL] is NULL (DuckDB
//     compares lists with NULL equal to NULL); comparisons of rows and maps,
//     and ordering of arrays, are refused.
//   - sum of integers is a bigint in Trino, which fails on overflow (DuckDB
//     sums into a 128-bit integer).

import (
	"encoding/json"
	"fmt"
	"strings"
)

// nanCompare are the comparisons of doubles by Trino's rules, by DuckDB's
// comparison type: DuckDB's own comparison, false where it takes NaN for
// the greatest value, NULL kept where an operand is NULL.
var nanCompare = map[string]string{
	"COMPARE_EQUAL":                "((__1 = __2) AND (NOT isnan(__1) OR __2 IS NULL))",
	"COMPARE_NOTEQUAL":             "((__1 <> __2) OR (isnan(__1) AND __2 IS NOT NULL))",
	"COMPARE_GREATERTHAN":          "((__1 > __2) AND (NOT isnan(__1) OR __2 IS NULL))",
	"COMPARE_GREATERTHANOREQUALTO": "((__1 >= __2) AND (NOT isnan(__1) OR __2 IS NULL))",
	"COMPARE_LESSTHAN":             "((__1 < __2) AND (NOT isnan(__2) OR __1 IS NULL))",
	"COMPARE_LESSTHANOREQUALTO":    "((__1 <= __2) AND (NOT isnan(__2) OR __1 IS NULL))",
}

// arrayEqual is Trino's = of two arrays of scalars: NULL if either is,
// false if their lengths or a pair of elements differ, NULL if a pair
// compares NULL, else true. __EQ compares __1[__i] and __2[__i].
const arrayEqual = `CASE WHEN __1 IS NULL OR __2 IS NULL THEN NULL WHEN len(__1) <> len(__2) THEN false
	WHEN list_contains(list_transform(range(1, len(__1) + 1), __i -> __EQ), false) THEN false
	WHEN list_count(list_transform(range(1, len(__1) + 1), __i -> __EQ)) < len(__1) THEN NULL ELSE true END`

// isNested says whether t is an array, map or row.
func (t duckType) isNested() bool {
	return t.id == "LIST" || t.id == "ARRAY" || t.id == "MAP" || t.id == "STRUCT"
}

// comparedType is the type a comparison, BETWEEN or IN compares in: the
// plan's, else the first operand's that the tree or the plan tells (a
// double if any is one).
func (q *trinoQuery) comparedType(n astNode, boundClass string, operands []any, plan planNodes, path []astNode) duckType {
	if bound := plan[queryLocation(n)]; bound != nil && str(bound["expression_class"]) == boundClass {
		var first any
		switch str(bound["expression_class"]) {
		case "BOUND_COMPARISON":
			first = bound["left"]
		case "BOUND_BETWEEN":
			first = bound["input"]
		default:
			if kids := boundOperands(bound); len(kids) > 0 {
				first = kids[0]
			}
		}
		if f, ok := first.(astNode); ok {
			if t := exprType(f); t.id != "" {
				return t
			}
		}
	}
	var out duckType
	for _, op := range operands {
		t := operandType(op, nil)
		if t.id == "" {
			t = q.locatedType(op, plan, path)
		}
		switch {
		case t.isFloat() || t.isNested():
			return t
		case out.id == "" || out.id == "NULL":
			out = t
		}
	}
	return out
}

// inJoinCondition says whether n is in a JOIN's ON condition, whose
// comparisons the plan keeps without places.
func inJoinCondition(n astNode, path []astNode) bool {
	for j := len(path) - 1; j >= 0; j-- {
		if str(path[j]["type"]) != "JOIN" {
			continue
		}
		next := n
		if j+1 < len(path) {
			next = path[j+1]
		}
		return nodeID(next) == nodeID(path[j]["condition"])
	}
	return false
}

// markJoinOperand marks a join condition's left operand, for pass 2 to
// type the comparison by it.
func (q *trinoQuery) markJoinOperand(n astNode) (any, error) {
	m, err := q.mark("__cmp", n["left"])
	if err != nil {
		return nil, err
	}
	n["left"] = m
	return n, nil
}

// compare bridges a comparison by the type it compares in.
func (q *trinoQuery) compare(n astNode, plan planNodes, path []astNode) (any, error) {
	op := str(n["type"])
	var marked duckType
	if markerName(n["left"]) == "__cmp" {
		n["left"], marked = unmark(n["left"].(astNode), plan)
	}
	args := []any{n["left"], n["right"]}
	t := q.comparedType(n, "BOUND_COMPARISON", args, plan, path)
	if t.id == "" || marked.isFloat() || marked.isNested() {
		t = marked
	}
	if op == "COMPARE_DISTINCT_FROM" || op == "COMPARE_NOT_DISTINCT_FROM" {
		return n, nil // NULL- and NaN-safe in both
	}
	switch {
	case t.isFloat():
		if tmpl, ok := nanCompare[op]; ok {
			return q.fill(tmpl, args, n)
		}
	case t.id == "LIST" || t.id == "ARRAY":
		elem := duckType{}
		if t.elem != nil {
			elem = *t.elem
		}
		return q.arrayCompare(n, op, args, elem)
	case t.id == "STRUCT" || t.id == "MAP":
		return nil, &errSQL{fmt.Sprintf("NOT_SUPPORTED: comparing %ss is not emulated (Trino's NULL rules for them differ from DuckDB's): compare their fields", trinoTypeWord(t))}
	}
	return n, nil
}

// arrayCompare is = and <> of arrays of scalars; other comparisons of
// arrays are refused.
func (q *trinoQuery) arrayCompare(n astNode, op string, args []any, elem duckType) (any, error) {
	if op != "COMPARE_EQUAL" && op != "COMPARE_NOTEQUAL" {
		return nil, &errSQL{"NOT_SUPPORTED: ordering comparisons of arrays are not emulated (Trino fails on NULL elements, DuckDB orders them)"}
	}
	if elem.id == "" || elem.isNested() {
		return nil, &errSQL{"NOT_SUPPORTED: comparing arrays of arrays, maps or rows is not emulated (Trino's NULL rules for them differ from DuckDB's)"}
	}
	eq := "(__1[__i] = __2[__i])"
	if elem.isFloat() {
		eq = "((__1[__i] = __2[__i]) AND NOT isnan(__1[__i]))"
	}
	tmpl := strings.ReplaceAll(arrayEqual, "__EQ", eq)
	if op == "COMPARE_NOTEQUAL" {
		tmpl = "(NOT (" + tmpl + "))"
	}
	return q.fill(tmpl, args, n)
}

// between is x BETWEEN lo AND hi: of doubles, lo <= x AND x <= hi by
// Trino's rules.
func (q *trinoQuery) between(n astNode, plan planNodes, path []astNode) (any, error) {
	args := []any{n["input"], n["lower"], n["upper"]}
	t := q.comparedType(n, "BOUND_BETWEEN", args, plan, path)
	switch {
	case t.isFloat():
		return q.fill("(((__2 <= __1) AND (NOT isnan(__1) OR __2 IS NULL)) AND ((__1 <= __3) AND (NOT isnan(__3) OR __1 IS NULL)))", args, n)
	case t.isNested():
		return nil, &errSQL{fmt.Sprintf("NOT_SUPPORTED: BETWEEN of %ss is not emulated", trinoTypeWord(t))}
	}
	return n, nil
}

// in is x [NOT] IN (a, b, ...): of doubles, x = a OR x = b ... by Trino's
// rules.
func (q *trinoQuery) in(n astNode, plan planNodes, path []astNode) (any, error) {
	kids := children(n)
	if len(kids) < 2 {
		return n, nil
	}
	t := q.comparedType(n, "BOUND_OPERATOR", kids, plan, path)
	switch {
	case t.isNested():
		return nil, &errSQL{fmt.Sprintf("NOT_SUPPORTED: IN lists of %ss are not emulated (Trino's NULL rules for them differ from DuckDB's)", trinoTypeWord(t))}
	case !t.isFloat():
		return n, nil
	}
	var terms []string
	for i := range kids[1:] {
		terms = append(terms, strings.ReplaceAll(nanCompare["COMPARE_EQUAL"], "__2", fmt.Sprintf("__%d", i+2)))
	}
	tmpl := "(" + strings.Join(terms, " OR ") + ")"
	if str(n["type"]) == "COMPARE_NOT_IN" {
		tmpl = "(NOT " + tmpl + ")"
	}
	return q.fill(tmpl, kids, n)
}

// trinoTypeWord names a nested type as Trino does, for a message.
func trinoTypeWord(t duckType) string {
	switch t.id {
	case "STRUCT":
		return "row"
	case "MAP":
		return "map"
	}
	return "array"
}

// Aggregates whose answer depends on their argument's type: pass 1 marks
// the argument (__agg), pass 2 reads its type.

// aggregateArg is the argument of an aggregate that pass 2 types, or -1.
func aggregateArg(name string, nargs int) int {
	switch strings.ToLower(name) {
	case "max", "min", "sum":
		if nargs == 1 {
			return 0
		}
	case "max_by", "min_by":
		if nargs == 2 {
			return 1
		}
	}
	return -1
}

// markAggregate marks the typed argument of an aggregate (pass 1).
func (q *trinoQuery) markAggregate(n astNode) (any, error) {
	kids := children(n)
	i := aggregateArg(str(n["function_name"]), len(kids))
	if i < 0 {
		return n, nil
	}
	m, err := q.mark("__agg", kids[i])
	if err != nil {
		return nil, err
	}
	kids[i] = m
	return n, nil
}

// markedAggregate says whether n is an aggregate with a marked argument.
func markedAggregate(n astNode) bool {
	kids := children(n)
	i := aggregateArg(str(n["function_name"]), len(kids))
	return i >= 0 && markerName(kids[i]) == "__agg"
}

// aggregate bridges a marked aggregate by its argument's type.
func (q *trinoQuery) aggregate(n astNode, plan planNodes) (any, error) {
	kids := children(n)
	name := strings.ToLower(str(n["function_name"]))
	i := aggregateArg(name, len(kids))
	arg, t := unmark(kids[i].(astNode), plan)
	kids[i] = arg
	if name == "sum" {
		if err := numberAggregate(name, t); err != nil {
			return nil, err
		}
	}
	switch {
	case name == "sum" && t.id == "FLOAT":
		return q.aggregateOf(n, "CAST(sum(__1) AS FLOAT)", kids) // Trino's sum of a real is a real
	case (name == "max" || name == "min") && t.isFloat():
		return q.aggregateOf(n, "coalesce("+name+"(__1) FILTER (WHERE NOT isnan(__1)), "+name+"(__1))", kids)
	case (name == "max_by" || name == "min_by") && t.isFloat():
		return q.aggregateOf(n, "CASE WHEN count(__2) FILTER (WHERE NOT isnan(__2)) > 0 THEN "+name+"(__1, __2) FILTER (WHERE NOT isnan(__2)) ELSE "+name+"(__1, __2) END", kids)
	case name == "sum" && t.isInteger():
		s := name + "(__1)"
		return q.aggregateOf(n, "CAST(CASE WHEN "+s+" > 9223372036854775807 OR "+s+" < -9223372036854775808 THEN error('NUMERIC_VALUE_OUT_OF_RANGE: bigint addition overflow') ELSE "+s+" END AS BIGINT)", kids)
	}
	return n, nil
}

// aggregateOf is template tmpl (over args) in place of aggregate call
// orig: each aggregate the template calls gets orig's DISTINCT, ORDER BY
// and FILTER (ANDed with the template's own), and orig's window if it is
// one. The aggregates in args are their own (sum(sum(x)) OVER ()).
func (q *trinoQuery) aggregateOf(orig astNode, tmpl string, args []any) (any, error) {
	out, err := q.syn.expr(q.ctx, tmpl)
	if err != nil {
		return nil, err
	}
	var ferr error
	res, _ := transform(out, nil, func(n astNode, _ []astNode) (any, error) {
		if class(n) != "FUNCTION" || !isAggregate(str(n["function_name"])) {
			return n, nil
		}
		own, _ := n["filter"].(astNode)
		if class(orig) == "WINDOW" {
			w := deepCopy(orig).(astNode)
			w["function_name"] = n["function_name"]
			w["children"] = n["children"]
			w["type"] = "WINDOW_AGGREGATE"
			f, err := q.both(orig["filter_expr"], own)
			if err != nil {
				ferr = err
			}
			w["filter_expr"] = f
			w["alias"] = ""
			return w, nil
		}
		for _, k := range []string{"distinct", "order_bys"} {
			if v, ok := orig[k]; ok {
				n[k] = deepCopy(v)
			}
		}
		f, err := q.both(orig["filter"], own)
		if err != nil {
			ferr = err
		}
		n["filter"] = f
		return n, nil
	})
	if ferr != nil {
		return nil, ferr
	}
	r := substitute(res.(astNode), args)
	r["alias"] = orig["alias"]
	return r, nil
}

// both is the conjunction of two optional conditions (nil for none).
func (q *trinoQuery) both(a any, b astNode) (any, error) {
	an, _ := a.(astNode)
	switch {
	case an == nil && b == nil:
		return nil, nil
	case an == nil:
		return b, nil
	case b == nil:
		return deepCopy(an), nil
	}
	return q.fill("((__1) AND (__2))", []any{deepCopy(an), b}, nil)
}

// nanFree are DuckDB calls (as the bridges make them) that compare their
// arguments, bridged by type in pass 2.
var nanFree = map[string]bool{
	"greatest": true, "least": true, "list_max": true, "list_min": true, "nullif": true,
	"list_contains": true, "list_position": true, "list_has_any": true,
}

// nanCall bridges a call of nanFree by its arguments' types.
func (q *trinoQuery) nanCall(name string, n astNode, args []any, t []duckType) (any, error) {
	float := false
	for _, a := range t {
		float = float || a.isFloat()
	}
	var elem duckType
	if len(t) > 0 && t[0].elem != nil {
		elem = *t[0].elem
	}
	switch name {
	case "greatest", "least":
		if !float {
			return n, nil
		}
		typ := "DOUBLE"
		for _, a := range t {
			if a.id == "FLOAT" {
				typ = "FLOAT"
			}
		}
		parts := make([]string, len(args))
		for i := range args {
			parts[i] = fmt.Sprintf("CASE WHEN isnan(__%d) THEN NULL ELSE __%d END", i+1, i+1)
		}
		return q.fill("coalesce("+name+"("+strings.Join(parts, ", ")+"), CAST('NaN' AS "+typ+"))", args, n)
	case "nullif":
		if len(args) == 2 && float {
			return q.fill("CASE WHEN (__1 = __2) AND NOT isnan(__1) THEN NULL ELSE __1 END", args, n)
		}
	case "list_max", "list_min":
		if len(args) == 1 && elem.isFloat() {
			return q.fill("coalesce("+name+"(list_filter(__1, __x -> NOT isnan(__x))), "+name+"(__1))", args, n)
		}
	case "list_contains", "list_position", "list_has_any":
		fn := map[string]string{"list_contains": "contains", "list_position": "array_position", "list_has_any": "arrays_overlap"}[name]
		switch {
		case elem.isNested():
			return nil, &errSQL{fmt.Sprintf("NOT_SUPPORTED: %s of arrays of arrays, maps or rows is not emulated (Trino fails on NULLs inside them)", fn)}
		case elem.isFloat() && name == "list_has_any":
			return nil, &errSQL{"NOT_SUPPORTED: arrays_overlap of arrays of doubles or reals is not emulated (NaN)"}
		case elem.isFloat() && name == "list_contains" && len(args) == 2:
			return q.fill("(list_contains(__1, __2) AND NOT isnan(__2))", args, n)
		case elem.isFloat() && len(args) == 2:
			return q.fill("CASE WHEN isnan(__2) THEN NULL ELSE list_position(__1, __2) END", args, n)
		}
	}
	return n, nil
}

// markAny marks the operand of x IN (SELECT ...) and x op ANY/ALL
// (SELECT ...), for pass 2 to refuse doubles and nested types (NaN and
// NULL elements).
func (q *trinoQuery) markAny(n astNode) (any, error) {
	if n["child"] == nil {
		return n, nil
	}
	m, err := q.mark("__any", n["child"])
	if err != nil {
		return nil, err
	}
	n["child"] = m
	return n, nil
}

// anySubquery takes markAny's marker away, refusing a double or nested
// operand.
func (q *trinoQuery) anySubquery(n astNode, plan planNodes) (any, error) {
	arg, t := unmark(n["child"].(astNode), plan)
	n["child"] = arg
	if t.isFloat() || t.isNested() {
		return nil, &errSQL{fmt.Sprintf("NOT_SUPPORTED: IN, ANY and ALL with a subquery are not emulated for a %s operand (Trino's NaN and NULL rules differ from DuckDB's): join the subquery instead", operandWord(t))}
	}
	return n, nil
}

// operandWord names a double, real or nested type as Trino does.
func operandWord(t duckType) string {
	switch {
	case t.isNested():
		return trinoTypeWord(t)
	case t.id == "FLOAT":
		return "real"
	}
	return "double"
}

// ORDER BY ... NULLS FIRST: Trino takes NaN for the smallest value there
// (NULLS LAST, the default, takes it for the greatest, as DuckDB always
// does). Pass 1 puts a marked copy of each such key before it, pass 2
// makes it NOT isnan(key) (ascending) or isnan(key) (descending) for a
// double, and drops it for anything else.

// nanFirstKeys adds the marked keys to n's ORDER BY, if it has one.
func (q *trinoQuery) nanFirstKeys(n astNode, path []astNode) error {
	orders, ok := n["orders"].([]any)
	if !ok {
		return nil
	}
	var parent astNode
	if len(path) > 0 {
		if mods, _ := path[len(path)-1]["modifiers"].([]any); len(mods) > 0 {
			for _, m := range mods {
				if mm, _ := m.(astNode); mm != nil && nodeID(mm) == nodeID(n) {
					parent = path[len(path)-1]
				}
			}
		}
	}
	out := []any{}
	for _, o := range orders {
		e, _ := o.(astNode)
		if e == nil || str(e["null_order"]) != "NULLS FIRST" {
			out = append(out, o)
			continue
		}
		key, err := q.orderKey(e["expression"], parent)
		if err != nil {
			return err
		}
		m, err := q.mark("__nanfirst", key)
		if err != nil {
			return err
		}
		out = append(out, astNode{"type": e["type"], "null_order": "NULLS FIRST", "expression": m}, o)
	}
	n["orders"] = out
	return nil
}

// orderKey is the expression an ORDER BY key orders by: a position in the
// select list is that item's expression.
func (q *trinoQuery) orderKey(key any, sel astNode) (any, error) {
	k, _ := key.(astNode)
	pos, isPos := at(k, "value", "value").(json.Number)
	if sel == nil || class(k) != "CONSTANT" || !isPos || !parseDuckType(at(k, "value", "type")).isInteger() {
		return deepCopy(key), nil
	}
	for _, m := range sel["modifiers"].([]any) {
		if str(at(m, "type")) == "DISTINCT_MODIFIER" {
			return nil, &errSQL{"NOT_SUPPORTED: SELECT DISTINCT with ORDER BY <position> NULLS FIRST is not emulated: order by the expression"}
		}
	}
	items, _ := sel["select_list"].([]any)
	i, err := pos.Int64()
	if str(sel["type"]) != "SELECT_NODE" || err != nil || i < 1 || int(i) > len(items) {
		return nil, &errSQL{"NOT_SUPPORTED: ORDER BY <position> NULLS FIRST here is not emulated: order by the expression"}
	}
	item := deepCopy(items[i-1]).(astNode)
	item["alias"] = ""
	return item, nil
}

// hasNaNFirst says whether n has ORDER BY keys nanFirstKeys added.
func hasNaNFirst(n astNode) bool {
	orders, _ := n["orders"].([]any)
	for _, o := range orders {
		if markerName(at(o, "expression")) == "__nanfirst" {
			return true
		}
	}
	return false
}

// orders makes or drops the keys nanFirstKeys added.
func (q *trinoQuery) orders(n astNode, plan planNodes) (any, error) {
	out := []any{}
	for _, o := range n["orders"].([]any) {
		e := o.(astNode)
		m, _ := e["expression"].(astNode)
		if markerName(m) != "__nanfirst" {
			out = append(out, o)
			continue
		}
		key, t := unmark(m, plan)
		if !t.isFloat() {
			continue
		}
		tmpl := "NOT isnan(__1)"
		if str(e["type"]) == "DESCENDING" {
			tmpl = "isnan(__1)"
		}
		x, err := q.fill(tmpl, []any{key}, nil)
		if err != nil {
			return nil, err
		}
		out = append(out, astNode{"type": "ASCENDING", "null_order": "NULLS FIRST", "expression": x})
	}
	n["orders"] = out
	return n, nil
}
