package emulate

// Output names in ORDER BY: in Trino a name in a SELECT's ORDER BY is the
// select list's output column of that name before it is an input column,
// wherever it stands in the expression (ORDER BY a*-1 orders by the
// select list's "x AS a" times -1); DuckDB reads a bare name so, but takes
// the input column inside an expression. Before pass 1, such a name in an
// ORDER BY expression becomes a copy of its select-list expression, and
// what Trino refuses is refused:
//   - a name two output columns have is ambiguous (an alias or a column's
//     own name, the same expression or not);
//   - an output name in an aggregate's arguments, FILTER or ORDER BY there
//     is COLUMN_NOT_FOUND;
//   - where Trino's reading is not certain here (a window's PARTITION BY or
//     ORDER BY, a subquery's outer reference, a row field of an output,
//     a SELECT * whose columns the emulator cannot tell) it is not emulated.
// A bare name, an ordinal, a qualified name (t.a: the input) and lambda
// parameters stay; so do ORDER BYs of set operations, which see only the
// output's names.

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// resolveOrderNames rewrites the ORDER BY of each SELECT under v.
func (q *trinoQuery) resolveOrderNames(v any, ctes map[string]astNode) error {
	switch x := v.(type) {
	case astNode:
		if t := str(x["type"]); t == "SELECT_NODE" || t == "SET_OPERATION_NODE" {
			ctes = ctesOf(x, ctes)
		}
		switch str(x["type"]) {
		case "SELECT_NODE":
			if err := q.resolveSelectOrder(x, ctes); err != nil {
				return err
			}
		case "SET_OPERATION_NODE":
			if err := checkSetOrder(x); err != nil {
				return err
			}
		}
		for _, e := range x {
			if err := q.resolveOrderNames(e, ctes); err != nil {
				return err
			}
		}
	case []any:
		for _, e := range x {
			if err := q.resolveOrderNames(e, ctes); err != nil {
				return err
			}
		}
	}
	return nil
}

// orderScope is a SELECT's output columns as its ORDER BY sees them.
type orderScope struct {
	q    *trinoQuery
	ctes map[string]astNode
	// outputs are the select-list expressions by output name (lower case);
	// nil for a column SELECT * shows, which is the input column itself.
	outputs     map[string][]astNode
	starUnknown bool // a SELECT * whose columns the emulator cannot tell
}

func (q *trinoQuery) resolveSelectOrder(sel astNode, ctes map[string]astNode) error {
	var orders []any
	for _, m := range sel["modifiers"].([]any) {
		if str(at(m, "type")) == "ORDER_MODIFIER" {
			o, _ := at(m, "orders").([]any)
			orders = append(orders, o...)
		}
	}
	if len(orders) == 0 {
		return nil
	}
	distinct := false
	for _, m := range sel["modifiers"].([]any) {
		distinct = distinct || str(at(m, "type")) == "DISTINCT_MODIFIER"
	}
	s := &orderScope{q: q, ctes: ctes, outputs: map[string][]astNode{}}
	scope := q.relationsOf(sel["from_table"], ctes)
	for _, item := range sel["select_list"].([]any) {
		it, _ := item.(astNode)
		if class(it) != "STAR" {
			if name := itemName(it); name != "" {
				e := deepCopy(it).(astNode)
				e["alias"] = ""
				s.outputs[name] = append(s.outputs[name], e)
			}
			continue
		}
		rel := strings.ToLower(str(it["relation_name"]))
		if mergesColumns(sel["from_table"]) {
			s.starUnknown = true
			continue
		}
		for _, r := range scope {
			if rel != "" && r.name != rel {
				continue
			}
			if r.cols == nil {
				s.starUnknown = true
			}
			for _, c := range r.cols {
				s.outputs[c.name] = append(s.outputs[c.name], nil)
			}
		}
	}
	for _, o := range orders {
		on, _ := o.(astNode)
		e, _ := on["expression"].(astNode)
		if _, isOrdinal := positional(e); isOrdinal {
			continue
		}
		if names, _ := e["column_names"].([]any); class(e) == "COLUMN_REF" && len(names) == 1 {
			// DuckDB reads a bare name as Trino does, but for ambiguity.
			if name := strings.ToLower(str(names[0])); len(s.outputs[name]) > 1 {
				return &errSQL{fmt.Sprintf("COLUMN_AMBIGUOUS: '%s' in ORDER BY is ambiguous", name)}
			}
			continue
		}
		x, err := s.expr(e, nil, "", false)
		if err != nil {
			return err
		}
		on["expression"] = x
		if distinct && !inSelectList(x, sel) {
			return &errSQL{"EXPRESSION_NOT_IN_DISTINCT: For SELECT DISTINCT, ORDER BY expressions must appear in select list"}
		}
	}
	return nil
}

// inSelectList says whether ORDER BY key x is an expression of the select
// list (as SELECT DISTINCT needs; a column reference, which DuckDB checks
// as Trino does, or a SELECT * is taken to be).
func inSelectList(x any, sel astNode) bool {
	if class(x.(astNode)) == "COLUMN_REF" {
		return true
	}
	for _, it := range sel["select_list"].([]any) {
		if class(it.(astNode)) == "STAR" || sameExpression(unqualified(x), unqualified(it), map[int64]int64{}) {
			return true
		}
	}
	return false
}

// unqualified is a copy of v with its column references by their last
// name, lower case.
func unqualified(v any) any {
	out, _ := transform(deepCopy(v), nil, func(n astNode, _ []astNode) (any, error) {
		if names, _ := n["column_names"].([]any); class(n) == "COLUMN_REF" && len(names) > 0 {
			n["column_names"] = []any{strings.ToLower(str(names[len(names)-1]))}
		}
		return n, nil
	})
	return out
}

// checkSetOrder refuses an expression of columns in the ORDER BY of a set
// operation: Trino reads the operation's output columns there, DuckDB the
// first SELECT's expressions.
func checkSetOrder(n astNode) error {
	for _, m := range n["modifiers"].([]any) {
		orders, _ := at(m, "orders").([]any)
		for _, o := range orders {
			e, _ := at(o, "expression").(astNode)
			if class(e) == "COLUMN_REF" || class(e) == "CONSTANT" {
				continue
			}
			names := false
			transform(deepCopy(e), nil, func(c astNode, _ []astNode) (any, error) {
				names = names || class(c) == "COLUMN_REF"
				return c, nil
			})
			if names {
				return &errSQL{"NOT_SUPPORTED: an expression of columns in the ORDER BY of UNION, INTERSECT or EXCEPT is not emulated: order by an output column or position, or select from the set operation in a subquery"}
			}
		}
	}
	return nil
}

// expr rewrites one ORDER BY expression: params are the lambda parameters
// in scope, agg the aggregate v is in ("" if none), spec whether v is in
// a window's PARTITION BY, ORDER BY or frame.
func (s *orderScope) expr(v any, params []string, agg string, spec bool) (any, error) {
	switch x := v.(type) {
	case []any:
		for i, e := range x {
			r, err := s.expr(e, params, agg, spec)
			if err != nil {
				return nil, err
			}
			x[i] = r
		}
		return x, nil
	case astNode:
		switch class(x) {
		case "COLUMN_REF":
			return s.column(x, params, agg, spec)
		case "SUBQUERY":
			// a IN (SELECT ...): a is the ORDER BY's, the subquery its own.
			if c, ok := x["child"]; ok {
				r, err := s.expr(c, params, agg, spec)
				if err != nil {
					return nil, err
				}
				x["child"] = r
			}
			return x, s.subquery(x, params)
		case "LAMBDA":
			inner := slices.Clone(params)
			transform(x["lhs"], nil, func(p astNode, _ []astNode) (any, error) {
				if names, _ := p["column_names"].([]any); class(p) == "COLUMN_REF" && len(names) == 1 {
					inner = append(inner, strings.ToLower(str(names[0])))
				}
				return p, nil
			})
			r, err := s.expr(x["expr"], inner, agg, spec)
			if err != nil {
				return nil, err
			}
			x["expr"] = r
			return x, nil
		case "FUNCTION":
			if name := strings.ToLower(str(x["function_name"])); trinoAggregate(name) {
				agg = name
			}
		case "WINDOW":
			if err := s.fields(x, []string{"partitions", "orders", "start_expr", "end_expr"}, params, agg, true); err != nil {
				return nil, err
			}
			return x, s.fields(x, []string{"children", "filter_expr", "offset_expr", "default_expr", "arg_orders"}, params, agg, spec)
		}
		return x, s.fields(x, slices.Collect(maps.Keys(x)), params, agg, spec)
	}
	return v, nil
}

// fields rewrites the expressions under keys of n in place.
func (s *orderScope) fields(n astNode, keys []string, params []string, agg string, spec bool) error {
	for _, k := range keys {
		r, err := s.expr(n[k], params, agg, spec)
		if err != nil {
			return err
		}
		n[k] = r
	}
	return nil
}

// column is what a column reference in an ORDER BY expression reads.
func (s *orderScope) column(n astNode, params []string, agg string, spec bool) (any, error) {
	names, _ := n["column_names"].([]any)
	if len(names) == 0 {
		return n, nil
	}
	first := strings.ToLower(str(names[0]))
	if slices.Contains(params, first) {
		return n, nil
	}
	outs := s.outputs[first]
	if len(names) > 1 {
		// a.b: table a's column b, or field b of an output column a.
		if s.differs(first, outs) {
			return nil, &errSQL{fmt.Sprintf("NOT_SUPPORTED: %s.%s in an ORDER BY expression, where %s is also a select-list output name, is not emulated: name the output differently", first, strings.ToLower(str(names[1])), first)}
		}
		return n, nil
	}
	switch {
	case len(outs) > 1:
		return nil, &errSQL{fmt.Sprintf("COLUMN_AMBIGUOUS: '%s' in ORDER BY is ambiguous", first)}
	case len(outs) == 1 && outs[0] != nil && s.starUnknown:
		// SELECT * may show a column of the name too: ambiguous in Trino.
		return nil, &errSQL{fmt.Sprintf("NOT_SUPPORTED: '%s' in an ORDER BY expression beside a SELECT * whose columns the emulator cannot tell is not emulated: order by the output's position", first)}
	case len(outs) == 0:
		return n, nil
	case agg != "":
		return nil, &errSQL{fmt.Sprintf("COLUMN_NOT_FOUND: Invalid reference to output projection attribute from ORDER BY aggregation ('%s' in %s(...) is the select list's output column)", first, agg)}
	case spec && s.differs(first, outs):
		return nil, &errSQL{fmt.Sprintf("NOT_SUPPORTED: the select-list output name '%s' in the OVER (...) of a window in ORDER BY is not emulated: name the output differently", first)}
	case outs[0] == nil:
		return n, nil
	}
	return deepCopy(outs[0]), nil
}

// differs says whether output name reads other than the input column of
// that name: some output of the name is an expression other than it.
func (s *orderScope) differs(name string, outs []astNode) bool {
	for _, o := range outs {
		if o == nil {
			continue
		}
		names, _ := o["column_names"].([]any)
		if class(o) != "COLUMN_REF" || len(names) != 1 || strings.ToLower(str(names[0])) != name {
			return true
		}
	}
	return false
}

// subquery refuses a subquery in ORDER BY that reads an output name from
// outside (Trino reads the output there; DuckDB the input column): a name
// no FROM item inside the subquery has.
func (s *orderScope) subquery(n astNode, params []string) error {
	var inner []string
	unknown := false
	var collect func(v any, ctes map[string]astNode)
	collect = func(v any, ctes map[string]astNode) {
		switch x := v.(type) {
		case astNode:
			if t := str(x["type"]); t == "SELECT_NODE" || t == "SET_OPERATION_NODE" {
				ctes = ctesOf(x, ctes)
			}
			if str(x["type"]) == "SELECT_NODE" {
				for _, r := range s.q.relationsOf(x["from_table"], ctes) {
					unknown = unknown || r.cols == nil
					for _, c := range r.cols {
						inner = append(inner, c.name)
					}
				}
			}
			for _, e := range x {
				collect(e, ctes)
			}
		case []any:
			for _, e := range x {
				collect(e, ctes)
			}
		}
	}
	collect(n["subquery"], s.ctes)
	var err error
	transform(deepCopy(n["subquery"]), nil, func(c astNode, _ []astNode) (any, error) {
		names, _ := c["column_names"].([]any)
		if class(c) != "COLUMN_REF" || len(names) != 1 || err != nil {
			return c, nil
		}
		name := strings.ToLower(str(names[0]))
		if slices.Contains(params, name) || !s.differs(name, s.outputs[name]) {
			return c, nil
		}
		if unknown || !slices.Contains(inner, name) {
			err = &errSQL{fmt.Sprintf("NOT_SUPPORTED: a subquery in ORDER BY that reads the select-list output name '%s' is not emulated: name the output differently", name)}
		}
		return c, nil
	})
	return err
}

// trinoAggregate says whether a Trino function, as the user wrote it, is
// an aggregate.
func trinoAggregate(name string) bool {
	switch name {
	case "approx_distinct", "approx_percentile", "count_star", "every", "arbitrary":
		return true
	}
	return isAggregate(name)
}
