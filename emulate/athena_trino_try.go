package emulate

// Trino's TRY(x) in DuckDB. Trino's TRY makes NULL of the errors of bad
// input (division by zero, bad casts, bad function arguments, numbers out
// of range, JSON errors) and lets every other error through; window
// functions and aggregates in x are computed outside it (only the
// expression around them is tried). DuckDB's TRY catches its own errors
// of bad input too, but refuses error() (volatile, as random() and uuid()
// are), windows and aggregates inside it. So, inside TRY:
//   - a bridge's error() with a Trino error TRY catches becomes an error
//     DuckDB's TRY catches, a refusal (NOT_SUPPORTED) one it lets through
//     (see tryError), so a refused value fails the query there as
//     everywhere;
//   - windows, aggregates and volatile calls are computed outside the
//     TRY, which reads them as a lambda's parameter (see hoistTry).

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
)

// tryScope bridges every TRY(...) of a statement (before DuckDB plans
// it, and again after pass 2 for the errors pass 2's bridges add).
func (q *trinoQuery) tryScope(stmt astNode) error {
	_, err := q.tryWalk(stmt, false, nil)
	return err
}

// tryWalk rewrites v top-down. inTry says whether v is inside a TRY;
// guards are the conditions under which v is evaluated (the CASE checks
// it is the THEN or ELSE of), inside the innermost TRY.
func (q *trinoQuery) tryWalk(v any, inTry bool, guards []any) (any, error) {
	switch x := v.(type) {
	case []any:
		for i, e := range x {
			r, err := q.tryWalk(e, inTry, guards)
			if err != nil {
				return nil, err
			}
			x[i] = r
		}
		return x, nil
	case astNode:
		switch {
		case class(x) == "OPERATOR" && str(x["type"]) == "OPERATOR_TRY" && !inTry:
			return q.hoistTry(x)
		case inTry && class(x) == "FUNCTION" && str(x["function_name"]) == "error":
			return q.tryError(x, guards)
		case inTry && class(x) == "CASE":
			return q.tryCase(x, guards)
		}
		for k, e := range x {
			r, err := q.tryWalk(e, inTry, guards)
			if err != nil {
				return nil, err
			}
			x[k] = r
		}
		return x, nil
	}
	return v, nil
}

// tryCase walks a CASE inside TRY: each THEN is evaluated where its WHEN
// holds and the earlier ones do not, the ELSE where none does.
func (q *trinoQuery) tryCase(n astNode, guards []any) (any, error) {
	checks, _ := n["case_checks"].([]any)
	var before []any // NOT (earlier WHENs are true)
	for _, c := range checks {
		check, ok := c.(astNode)
		if !ok {
			continue
		}
		when, err := q.tryWalk(check["when_expr"], true, append(guards[:len(guards):len(guards)], before...))
		if err != nil {
			return nil, err
		}
		check["when_expr"] = when
		g := append(append(guards[:len(guards):len(guards)], before...), deepCopy(when))
		if check["then_expr"], err = q.tryWalk(check["then_expr"], true, g); err != nil {
			return nil, err
		}
		notTrue, err := q.fill("(__1) IS NOT TRUE", []any{deepCopy(when)}, nil)
		if err != nil {
			return nil, err
		}
		before = append(before, notTrue)
	}
	var err error
	if n["else_expr"], err = q.tryWalk(n["else_expr"], true, append(guards[:len(guards):len(guards)], before...)); err != nil {
		return nil, err
	}
	return n, nil
}

// tryError is a bridge's error(message) inside TRY. A Trino error of bad
// input is a failed cast, which DuckDB's TRY makes NULL as Trino's makes
// that error (the whole TRY, not just the call: error() as NULL would be
// an element NULL in transform(...), or coalesce's next argument); a
// refusal is an error DuckDB's TRY lets through: timezone() of an unknown
// zone fails with a "Not implemented Error", and the zone's name is the
// message (refusalInTry reads it back). Either one is computed only where
// the guards hold: as a constant, DuckDB would raise it while planning,
// whether or not a row gets there. The value is NULL, typed as error()'s.
func (q *trinoQuery) tryError(n astNode, guards []any) (any, error) {
	msg, ok := constantString(firstChild(n))
	raise := "CAST(%s AS INTEGER)"
	if !ok || !strings.HasPrefix(msg, "NOT_SUPPORTED: ") {
		msg = "TRY"
	} else {
		raise = "timezone(%s, TIMESTAMPTZ '2000-01-01 00:00:00+00')"
	}
	args := []any{astNode{"class": "CONSTANT", "type": "VALUE_CONSTANT", "alias": "", "query_location": noLocation,
		"value": astNode{"is_null": false, "type": astNode{"id": "VARCHAR", "type_info": nil}, "value": msg}}}
	conds := []string{"true"}
	if len(guards) > 0 {
		conds = conds[:0]
		for i, g := range guards {
			args = append(args, deepCopy(g))
			conds = append(conds, fmt.Sprintf("(__%d)", i+2))
		}
	}
	value := "CASE WHEN " + strings.Join(conds, " AND ") + " THEN __1 END"
	return q.fill("CASE WHEN "+fmt.Sprintf(raise, value)+" IS NULL THEN NULL END", args, nil)
}

func firstChild(n astNode) any {
	if kids := children(n); len(kids) > 0 {
		return kids[0]
	}
	return nil
}

// refusalInTry is the refusal tryRefusal raised, from DuckDB's message,
// or "".
func refusalInTry(msg string) string {
	const head = "Not implemented Error: Unknown TimeZone '"
	i := strings.Index(msg, head+"NOT_SUPPORTED: ")
	if i < 0 {
		return ""
	}
	rest := msg[i+len(head):]
	if j := strings.LastIndex(rest, "'!"); j >= 0 {
		return rest[:j]
	}
	return ""
}

// hoistTry bridges one outermost TRY: its windows, aggregates and
// volatile calls are computed outside it and read inside as fields of a
// lambda's parameter (TRY(sum(x) / k) is
// list_extract(list_transform([struct_pack(h1 := sum(x), h2 := k)], __try_in -> TRY(__try_in.h1 / __try_in.h2)), 1));
// the columns it reads go in too, as a lambda in an aggregate query
// cannot read the group's columns.
func (q *trinoQuery) hoistTry(n astNode) (any, error) {
	aggs, err := q.syn.aggregateNames(q.ctx)
	if err != nil {
		return nil, err
	}
	kids, _ := n["children"].([]any)
	if len(kids) != 1 {
		return n, nil
	}
	var hoisted []any
	needed := false
	var scan func(v any, params map[string]bool, inLambda bool) (any, error)
	scan = func(v any, params map[string]bool, inLambda bool) (any, error) {
		switch x := v.(type) {
		case []any:
			for i, e := range x {
				r, err := scan(e, params, inLambda)
				if err != nil {
					return nil, err
				}
				x[i] = r
			}
			return x, nil
		case astNode:
			name := strings.ToLower(str(x["function_name"]))
			switch c := class(x); {
			case c == "SUBQUERY":
				return x, nil // its own scope
			case c == "WINDOW" || c == "FUNCTION" && (aggs[name] || duckVolatile[name]):
				if c == "FUNCTION" && duckVolatile[name] && inLambda {
					return nil, &errSQL{fmt.Sprintf("NOT_SUPPORTED: %s() inside a lambda inside try(...) is not emulated", strings.Replace(name, "random", "rand", 1))}
				}
				needed = true
				fallthrough
			case c == "COLUMN_REF" && !params[strings.ToLower(placeholderName(x))]:
				r, err := q.tryWalk(x, false, nil) // a TRY in a window's or aggregate's arguments is its own
				if err != nil {
					return nil, err
				}
				hoisted = append(hoisted, r)
				return astNode{"class": "COLUMN_REF", "type": "COLUMN_REF", "alias": "", "query_location": noLocation,
					"column_names": []any{"__try_in", fmt.Sprintf("h%d", len(hoisted))}}, nil
			case c == "LAMBDA":
				inner := map[string]bool{}
				for k := range params {
					inner[k] = true
				}
				transform(x["lhs"], nil, func(p astNode, _ []astNode) (any, error) {
					if name := placeholderName(p); name != "" {
						inner[strings.ToLower(name)] = true
					}
					return p, nil
				})
				r, err := scan(x["expr"], inner, true)
				if err != nil {
					return nil, err
				}
				x["expr"] = r
				return x, nil
			}
			for k, e := range x {
				r, err := scan(e, params, inLambda)
				if err != nil {
					return nil, err
				}
				x[k] = r
			}
			return x, nil
		}
		return v, nil
	}
	body := deepCopy(kids[0])
	if body, err = scan(body, map[string]bool{}, false); err != nil {
		return nil, err
	}
	if !needed { // DuckDB's TRY takes it as it is
		kids[0], err = q.tryWalk(kids[0], true, nil)
		return n, err
	}
	if kids[0], err = q.tryWalk(body, true, nil); err != nil {
		return nil, err
	}
	fields := make([]string, len(hoisted))
	for i := range hoisted {
		fields[i] = fmt.Sprintf("h%d := __%d", i+1, i+1)
	}
	alias := str(n["alias"])
	n["alias"] = ""
	out, err := q.fill(fmt.Sprintf("list_extract(list_transform([struct_pack(%s)], __try_in -> __%d), 1)", strings.Join(fields, ", "), len(hoisted)+1),
		append(hoisted, n), nil)
	if err != nil {
		return nil, err
	}
	out["alias"] = alias
	return out, nil
}

// duckVolatile are DuckDB's volatile functions a bridged query may call,
// which DuckDB's TRY refuses.
var duckVolatile = map[string]bool{"random": true, "uuid": true, "gen_random_uuid": true}

// aggregateNames are DuckDB's aggregate functions, by name.
func (p *duckSyntax) aggregateNames(ctx context.Context) (map[string]bool, error) {
	duckAggregates.once.Do(func() {
		rows, err := p.db.QueryContext(ctx, "SELECT DISTINCT function_name FROM duckdb_functions() WHERE function_type = 'aggregate'")
		if err != nil {
			duckAggregates.err = err
			return
		}
		defer rows.Close()
		names := map[string]bool{}
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				duckAggregates.err = err
				return
			}
			names[s] = true
		}
		duckAggregates.names, duckAggregates.err = names, rows.Err()
	})
	return duckAggregates.names, duckAggregates.err
}

var duckAggregates struct {
	once  sync.Once
	names map[string]bool
	err   error
}

// windowDefault is lag or lead with a default: Trino's is of the wider of
// the value's and the default's types (lead(tinyint_col, 1, 1000) is an
// integer 1000), DuckDB's of the value's, the default cast to it. So the
// default is given where the row at the offset is missing (lag(1, o) is
// NULL there; with IGNORE NULLS, the value itself), a CASE that DuckDB
// types as Trino does, widening only.
func (q *trinoQuery) windowDefault(n, def astNode) (any, error) {
	alias := str(n["alias"])
	n["alias"], n["default_expr"] = "", nil
	probe := deepCopy(n).(astNode)
	if n["ignore_nulls"] != true {
		probe["children"] = []any{astNode{"class": "CONSTANT", "type": "VALUE_CONSTANT", "alias": "", "query_location": noLocation,
			"value": astNode{"is_null": false, "type": astNode{"id": "INTEGER", "type_info": nil}, "value": json.Number("1")}}}
	}
	p, err := q.window(probe)
	if err != nil {
		return nil, err
	}
	v, err := q.window(n)
	if err != nil {
		return nil, err
	}
	give := "__3"
	if t := treeType(def); t.isInteger() {
		give = "CAST(__3 AS " + t.sqlName() + ")" // Trino's literal is an integer, DuckDB's fits the other type
	}
	out, err := q.fill("CASE WHEN __1 IS NULL THEN "+give+" ELSE __2 END", []any{p, v, def}, nil)
	if err != nil {
		return nil, err
	}
	out["alias"] = alias
	return out, nil
}

// untypedNulls says whether a statement's plan failed on DuckDB's own
// fault where only its NULL literals asked for it: json_serialize_plan
// fails on UNNEST of a constant array WITH ORDINALITY, which runs. Then
// the statement runs untyped, as one without NULLs does.
func untypedNulls(err error, stmt astNode, otherPrecision bool) bool {
	return err != nil && strings.Contains(err.Error(), "inequal num bindings/types") && !needsTypes(stmt) && !otherPrecision
}
