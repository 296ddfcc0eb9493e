package emulate

// Arithmetic result types as Trino's operators give them, where DuckDB's
// binder gives others:
//
//   - Trino widens the narrower integer operand (smallint * integer is an
//     integer). DuckDB fits an integer literal to the other operand's
//     width, so small * 20000 is a smallint there and overflows.
//   - Trino's decimal operators: +, - are decimal(min(38, max(p1-s1,
//     p2-s2) + max(s1,s2) + 1), max(s1,s2)); * is decimal(min(38, p1+p2),
//     s1+s2); % is decimal(min(p1-s1, p2-s2) + max(s1,s2), max(s1,s2)); an
//     integer operand is a decimal of its digits (integer: decimal(10,0)).
//     DuckDB caps + and * at 18 digits when both operands fit in 18, and
//     types % as +.

import (
	"fmt"
	"regexp"
	"strings"
)

// widenIntegers casts the narrower of two integer operands of an
// arithmetic operator to the wider type, as Trino does.
func (q *trinoQuery) widenIntegers(args []any, t []duckType) ([]any, []duckType, error) {
	if len(t) != 2 || !t[0].isInteger() || !t[1].isInteger() || t[0].id == t[1].id {
		return args, t, nil
	}
	w := widerInteger(t[0], t[1])
	switch w.id {
	case "SMALLINT", "INTEGER", "BIGINT":
	default:
		return args, t, nil // HUGEINT (DuckDB's sum of integers) widens the other side already
	}
	out := append([]any{}, args...)
	for i := range t {
		if t[i].id == "TINYINT" || t[i].id == "SMALLINT" && w.id != "SMALLINT" {
			x, err := q.fill("CAST(__1 AS "+w.id+")", []any{args[i]}, nil)
			if err != nil {
				return nil, nil, err
			}
			out[i] = x
		}
	}
	return out, []duckType{w, w}, nil
}

// trinoDecimalType is the type of Trino's decimal operator call (+, -, *,
// %) of operands of types a and b, one of them a decimal and the other a
// decimal or an integer.
func trinoDecimalType(call string, a, b duckType) (duckType, bool) {
	if a.id != "DECIMAL" && b.id != "DECIMAL" {
		return duckType{}, false
	}
	p1, s1, ok1 := a.asDecimal()
	p2, s2, ok2 := b.asDecimal()
	if !ok1 || !ok2 {
		return duckType{}, false
	}
	switch call {
	case "+", "-":
		s := max(s1, s2)
		return duckType{id: "DECIMAL", width: min(38, max(p1-s1, p2-s2)+s+1), scale: s}, true
	case "*":
		return duckType{id: "DECIMAL", width: min(38, p1+p2), scale: s1 + s2}, true
	case "%":
		s := max(s1, s2)
		return duckType{id: "DECIMAL", width: min(p1-s1, p2-s2) + s, scale: s}, true
	}
	return duckType{}, false
}

// decimalArithmetic is expr (a template of __1 and __2, the call of
// operands of types t, one a decimal) typed as Trino types it, or "" where
// DuckDB's type is Trino's already. For + and *, DuckDB's differs where
// Trino's is wider than 18 digits and both operands fit in 18: the first
// operand is widened to 38 digits so that DuckDB computes in 128 bits, and
// the value fits Trino's type wherever Trino's call does not overflow.
func decimalArithmetic(call, expr string, t []duckType) (string, duckType) {
	want, ok := trinoDecimalType(call, t[0], t[1])
	if !ok {
		return "", want
	}
	if call != "%" {
		p1, s1, _ := t[0].asDecimal()
		p2, _, _ := t[1].asDecimal()
		huge := t[0].id == "HUGEINT" || t[1].id == "HUGEINT" // DuckDB's sum of integers, Trino's bigint
		if !huge && (want.width <= 18 || max(p1, p2) > 18) {
			return "", want
		}
		expr = fmt.Sprintf("(CAST(__1 AS DECIMAL(38,%d)) %s __2)", s1, call)
	}
	return fmt.Sprintf("CAST((%s) AS %s)", expr, want.sqlName()), want
}

// arithmetic bridges +, -, *, / and % of integers and decimals to Trino's
// result types: it widens integer operands in place (for / and %, whose
// bridges follow), and rewrites a decimal call whose type differs (done).
// A rewritten call's type is recorded for the calls around it, which the
// plan types by DuckDB's.
func (q *trinoQuery) arithmetic(call string, n astNode, args *[]any, t *[]duckType) (out any, done bool, err error) {
	if len(*t) != 2 {
		return nil, false, nil
	}
	for i, a := range *args {
		if d, ok := q.trinoTypes[nodeID(a)]; ok {
			(*t)[i] = d
		}
	}
	widened, wt, err := q.widenIntegers(*args, *t)
	if err != nil {
		return nil, false, err
	}
	changed := nodeID(widened[0]) != nodeID((*args)[0]) || nodeID(widened[1]) != nodeID((*args)[1])
	*args, *t = widened, wt
	expr := "(__1 " + call + " __2)"
	if call == "%" {
		expr = "CASE WHEN __2 = 0 THEN error('DIVISION_BY_ZERO: Division by zero') ELSE (__1 % __2) END"
	}
	if call != "/" {
		if tmpl, want := decimalArithmetic(call, expr, *t); tmpl != "" {
			x, err := q.fill(tmpl, *args, n)
			if err != nil {
				return nil, false, err
			}
			if q.trinoTypes == nil {
				q.trinoTypes = map[uintptr]duckType{}
			}
			q.trinoTypes[nodeID(x)] = want
			return x, true, nil
		}
	}
	if changed && call != "/" && call != "%" {
		x, err := q.fill(expr, *args, n)
		return x, true, err
	}
	return nil, false, nil
}

// duckOverflow is DuckDB's message for an integer operator's overflow.
var duckOverflow = regexp.MustCompile(`^Out of Range Error: Overflow in (addition|subtraction|multiplication) of (INT8|INT16|INT32|INT64) \((-?[0-9]+) ([-+*]) (-?[0-9]+)\)!?$`)

// trinoOverflow words DuckDB's integer overflow as Trino's, or "".
func trinoOverflow(msg string) string {
	m := duckOverflow.FindStringSubmatch(msg)
	if m == nil {
		return ""
	}
	typ := map[string]string{"INT8": "tinyint", "INT16": "smallint", "INT32": "integer", "INT64": "bigint"}[m[2]]
	return fmt.Sprintf("NUMERIC_VALUE_OUT_OF_RANGE: %s %s overflow: %s %s %s", typ, m[1], m[3], m[4], m[5])
}

// integerChoices types the integer literals among the values of coalesce,
// greatest, least, if and CASE as integers (pass 1): Trino's literal is an
// integer and the choice takes the wider type (coalesce(tinyint_col, 0) is
// an integer); DuckDB fits the literal to the other values' type.
func (q *trinoQuery) integerChoices(n astNode) error {
	wrap := func(v any) (any, error) {
		t := treeType(v)
		c, _ := v.(astNode)
		if (class(c) != "CONSTANT" && class(c) != "FUNCTION") || t.id != "INTEGER" && t.id != "BIGINT" {
			return v, nil
		}
		if class(c) == "FUNCTION" && (str(c["function_name"]) != "-" || len(children(c)) != 1 || class(children(c)[0].(astNode)) != "CONSTANT") {
			return v, nil
		}
		return q.fill("CAST(__1 AS "+t.id+")", []any{v}, nil)
	}
	var err error
	wrapAll := func(list []any) {
		for i, v := range list {
			if err == nil {
				list[i], err = wrap(v)
			}
		}
	}
	switch {
	case class(n) == "OPERATOR" && str(n["type"]) == "OPERATOR_COALESCE":
		wrapAll(children(n))
	case class(n) == "FUNCTION":
		switch kids := children(n); strings.ToLower(str(n["function_name"])) {
		case "greatest", "least":
			wrapAll(kids)
		case "if":
			if len(kids) > 1 {
				wrapAll(kids[1:])
			}
		}
	case class(n) == "CASE":
		checks, _ := n["case_checks"].([]any)
		for _, c := range checks {
			if cn, ok := c.(astNode); ok && err == nil {
				cn["then_expr"], err = wrap(cn["then_expr"])
			}
		}
		if err == nil {
			n["else_expr"], err = wrap(n["else_expr"])
		}
	}
	return err
}
