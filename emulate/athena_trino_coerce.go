package emulate

// Implicit conversions as Trino makes them. DuckDB's binder converts a
// value to the type its use needs far more freely than Trino: a string
// literal to any type (int_col = '1', ts > '2026-01-01'), a number to a
// string (concat('a', 1), 'a' || 1, a UNION of integer and varchar), a
// boolean to a number (1 = true). Trino refuses each of those with
// TYPE_MISMATCH; answering them would be another answer, so the emulator
// refuses them too. Every cast the binder added to the plan of the pass-1
// SQL is checked against the conversions Trino makes implicitly: between
// numbers, towards the wider (integer to decimal to real to double), a
// date to a timestamp, a varchar to a varchar, NULL to anything, arrays
// element by element, and maps and rows to their own kind.

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
)

// checkPlan refuses what the plan (root) of a statement (stmt) shows
// DuckDB would answer differently: an implicit conversion Trino does not
// make, or UNNEST of an array of rows (Trino makes a column of each field,
// DuckDB one column of rows). grouped is groupedLocations(stmt).
func checkPlan(stmt astNode, root any, grouped map[int64]int64) error {
	unnestRows := false
	transform(root, nil, func(n astNode, _ []astNode) (any, error) {
		if str(n["type"]) == "LOGICAL_GET" && str(n["name"]) == "unnest" {
			if ts, _ := n["returned_types"].([]any); len(ts) > 0 && parseDuckType(ts[0]).id == "STRUCT" {
				unnestRows = true
			}
		}
		return n, nil
	})
	if unnestRows {
		return &errSQL{"NOT_SUPPORTED: UNNEST of an array of rows is not emulated (Trino makes a column of each field): UNNEST an array of each field"}
	}
	return checkCoercions(stmt, root, grouped)
}

// checkCoercions refuses a statement whose plan (root, json_serialize_plan
// of the statement stmt prints) converts a value implicitly where Trino
// would not. A cast the statement writes (CAST, TRY_CAST, a typed literal)
// is the user's, not the binder's, also where GROUP BY moved it (grouped).
func checkCoercions(stmt astNode, root any, grouped map[int64]int64) error {
	explicit := map[castAt]bool{}
	transform(stmt, nil, func(n astNode, _ []astNode) (any, error) {
		if class(n) != "CAST" {
			return n, nil
		}
		to := parseDuckType(n["cast_type"]).id
		if to == "UNBOUND" { // a type the parser leaves to the binder by name: JSON
			to = strings.ToUpper(str(at(n, "cast_type", "type_info", "name")))
		}
		explicit[castAt{queryLocation(n), to}] = true
		if c, ok := n["child"].(astNode); ok {
			explicit[castAt{queryLocation(c), to}] = true // a typed literal, or a cast in a lambda: bound at its operand
		}
		return n, nil
	})
	var moved []castAt
	for c := range explicit {
		if to, ok := grouped[c.loc]; ok {
			moved = append(moved, castAt{to, c.to})
		}
	}
	for _, c := range moved {
		explicit[c] = true
	}
	var found error
	var walk func(v any, parent astNode)
	walk = func(v any, parent astNode) {
		if found != nil {
			return
		}
		switch x := v.(type) {
		case astNode:
			if str(x["expression_class"]) == "BOUND_CAST" {
				if err := checkCast(x, parent, explicit); err != nil {
					found = err
					return
				}
			}
			for _, e := range x {
				walk(e, x)
			}
		case []any:
			for _, e := range x {
				walk(e, parent)
			}
		}
	}
	walk(root, nil)
	return found
}

// checkCast refuses one bound cast that the binder added and Trino would
// not make.
func checkCast(c, parent astNode, explicit map[castAt]bool) error {
	if !implicit(c, explicit) || str(parent["name"]) == "format" {
		return nil // format is refused to queries: only a bridge calls it, on text it means
	}
	from, to := sourceType(c, explicit), exprType(c)
	if trinoCoerces(from, to) {
		return nil
	}
	if ff, _ := coercionFamily(from); ff == "number" {
		if tf, _ := coercionFamily(to); tf == "number" { // narrowing: Trino widens the other operand instead
			return &errSQL{fmt.Sprintf("NOT_SUPPORTED: DuckDB would convert %s to %s here, where Trino converts the other operand to %s: CAST the operands to one type",
				trinoTypeName(from), trinoTypeName(to), trinoTypeName(from))}
		}
	}
	if str(parent["expression_class"]) == "BOUND_COMPARISON" {
		l, _ := parent["left"].(astNode)
		r, _ := parent["right"].(astNode)
		return &errSQL{fmt.Sprintf("TYPE_MISMATCH: Cannot apply operator: %s %s %s (Trino does not convert %s to %s implicitly: write a CAST)",
			trinoTypeName(sourceType(l, explicit)), comparisonSymbol[str(parent["type"])], trinoTypeName(sourceType(r, explicit)), trinoTypeName(from), trinoTypeName(to))}
	}
	return &errSQL{fmt.Sprintf("TYPE_MISMATCH: a value of type %s is used where %s is expected; Trino does not convert %s to %s implicitly: write CAST(... AS %s)",
		trinoTypeName(from), trinoTypeName(to), trinoTypeName(from), trinoTypeName(to), trinoTypeName(to))}
}

// implicit says whether a bound cast is one the binder added, not one the
// statement writes.
func implicit(c astNode, explicit map[castAt]bool) bool {
	if str(c["expression_class"]) != "BOUND_CAST" || c["try_cast"] == true {
		return false
	}
	child, ok := c["child"].(astNode)
	if !ok {
		return false
	}
	loc := queryLocation(c)
	if loc < 0 && str(child["expression_class"]) == "BOUND_CONSTANT" {
		return false // a typed literal (DATE '...', true), or a bridge's own constant
	}
	return loc < 0 || !explicit[castAt{loc, exprType(c).id}]
}

// castAt is a cast the statement writes: where, and to which type.
type castAt struct {
	loc int64
	to  string
}

// sourceType is a bound operand's type before a cast the binder added.
func sourceType(n astNode, explicit map[castAt]bool) duckType {
	if n == nil {
		return duckType{}
	}
	if implicit(n, explicit) {
		return exprType(n["child"].(astNode))
	}
	return exprType(n)
}

var comparisonSymbol = map[string]string{
	"COMPARE_EQUAL": "=", "COMPARE_NOTEQUAL": "<>", "COMPARE_LESSTHAN": "<", "COMPARE_GREATERTHAN": ">",
	"COMPARE_LESSTHANOREQUALTO": "<=", "COMPARE_GREATERTHANOREQUALTO": ">=",
	"COMPARE_DISTINCT_FROM": "IS DISTINCT FROM", "COMPARE_NOT_DISTINCT_FROM": "IS NOT DISTINCT FROM",
}

// coercionFamily groups the types among which Trino converts implicitly,
// and ranks a type in its group: a value converts only to a rank at least
// its own (an integer to a double, never back).
func coercionFamily(t duckType) (family string, rank int) {
	switch {
	case t.isInteger():
		return "number", 1
	case t.id == "DECIMAL":
		return "number", 2
	case t.id == "FLOAT":
		return "number", 3
	case t.id == "DOUBLE":
		return "number", 4
	}
	switch t.id {
	case "DATE":
		return "datetime", 1
	case "TIMESTAMP", "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS", "TIMESTAMP WITH TIME ZONE":
		return "datetime", 2
	case "TIME", "TIME WITH TIME ZONE":
		return "time", 1
	case "VARCHAR", "CHAR":
		return "varchar", 1
	}
	return t.id, 1
}

// trinoCoerces says whether Trino converts a value of type from to type to
// without a CAST. An unknown type is given the benefit of the doubt.
func trinoCoerces(from, to duckType) bool {
	if from.id == "" || to.id == "" || from.id == "NULL" || from.id == "INVALID" || to.id == "ANY" {
		return true
	}
	if from.isNested() || to.isNested() {
		if from.id == "STRUCT" || from.id == "MAP" || to.id == "STRUCT" || to.id == "MAP" {
			return from.id == to.id // their fields are not typed here
		}
		if (from.id != "LIST" && from.id != "ARRAY") || (to.id != "LIST" && to.id != "ARRAY") {
			return false
		}
		if from.elem == nil || to.elem == nil {
			return true
		}
		return trinoCoerces(*from.elem, *to.elem)
	}
	ff, fr := coercionFamily(from)
	tf, tr := coercionFamily(to)
	if ff != tf {
		return false
	}
	if ff == "number" && fr == 1 && tr == 1 {
		return true // DuckDB fits an integer literal to the other side's width; Trino widens that side
	}
	return fr <= tr
}

// trinoTypeName is t as Trino names it, for a message.
func trinoTypeName(t duckType) string {
	switch t.id {
	case "TINYINT", "UTINYINT":
		return "tinyint"
	case "SMALLINT", "USMALLINT":
		return "smallint"
	case "INTEGER", "UINTEGER":
		return "integer"
	case "BIGINT", "UBIGINT", "HUGEINT", "UHUGEINT":
		return "bigint"
	case "DECIMAL":
		return fmt.Sprintf("decimal(%d,%d)", t.width, t.scale)
	case "FLOAT":
		return "real"
	case "BLOB":
		return "varbinary"
	case "TIMESTAMP", "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS":
		return "timestamp"
	case "NULL":
		return "unknown"
	case "LIST", "ARRAY":
		if t.elem != nil {
			return "array(" + trinoTypeName(*t.elem) + ")"
		}
		return "array"
	case "STRUCT":
		return "row"
	}
	return strings.ToLower(t.id)
}

// DuckDB's binder refuses some mismatches itself (abs('5'), length(1),
// volume LIKE '1%'); its message names DuckDB's types and internal names.
// trinoMismatch words the common ones as Trino's, or returns "".
func trinoMismatch(msg string) string {
	if m := noMatchingCall.FindStringSubmatch(msg); m != nil {
		name, args := m[1], duckTypeList(m[2])
		if op, ok := duckOperators[name]; ok {
			if len(args) == 2 {
				return fmt.Sprintf("TYPE_MISMATCH: Cannot apply operator: %s %s %s", args[0], op, args[1])
			}
			return fmt.Sprintf("TYPE_MISMATCH: Cannot apply operator: %s %s", op, strings.Join(args, ", "))
		}
		return fmt.Sprintf("FUNCTION_NOT_FOUND: Unexpected parameters (%s) for function %s", strings.Join(args, ", "), name)
	}
	if m := mixMismatch.FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("TYPE_MISMATCH: %s of types %s and %s (Trino converts neither implicitly): write a CAST", m[3], trinoTypeText(m[1]), trinoTypeText(m[2]))
	}
	if m := inMismatch.FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("TYPE_MISMATCH: IN value and list items must be the same type: %s, %s", trinoTypeText(m[1]), trinoTypeText(m[2]))
	}
	if r := regexpMismatch(msg); r != "" {
		return r
	}
	for _, u := range unemulated {
		if u.duck.MatchString(msg) {
			return "NOT_SUPPORTED: " + u.why
		}
	}
	if concatMismatch.MatchString(msg) {
		return "NOT_SUPPORTED: || of an array and an element is not emulated: write array || ARRAY[element]"
	}
	if m := templateMismatch.FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("TYPE_MISMATCH: arguments of types %s and %s where one type is expected (Trino converts neither implicitly): write a CAST", trinoTypeText(m[1]), trinoTypeText(m[2]))
	}
	return ""
}

// unemulated are DuckDB's messages for Trino SQL it does not read, and
// what the emulator says instead.
var unemulated = []struct {
	duck *regexp.Regexp
	why  string
}{
	{regexp.MustCompile(`UNNEST requires a single list as input`), "UNNEST of a map is not emulated: UNNEST map_keys(m) and read the values with element_at"},
	{regexp.MustCompile(`STRUCT to STRUCT cast must have at least one matching member`), "a cast of a row to a row of other field names is not emulated"},
	{regexp.MustCompile(`Unknown ordered aggregate "listagg"`), "listagg(...) WITHIN GROUP is not emulated: use array_join(array_agg(x ORDER BY ...), separator)"},
	{regexp.MustCompile(`(YEAR|DAY) TO \w+ is not supported`), "INTERVAL '...' YEAR TO MONTH and DAY TO SECOND literals are not emulated: add single-unit intervals (INTERVAL '1' YEAR + INTERVAL '2' MONTH)"},
	{regexp.MustCompile(`unicode_to_utf8 NOT IMPLEMENTED`), "U&'...' literals are not emulated: write the characters themselves"},
}

var (
	noMatchingCall   = regexp.MustCompile(`(?:No function matches the given name and argument types '|Could not choose a best candidate function for the function call ")([^(]+)\((.*?)\)['"]\.`)
	concatMismatch   = regexp.MustCompile(`Cannot concatenate types \S+\[\] and \S+|Cannot concatenate types \S+ and \S+\[\]`)
	mixMismatch      = regexp.MustCompile(`Cannot mix values of type (\S+) and (\S+) in (\w+) (?:clause|expression|operator)`)
	inMismatch       = regexp.MustCompile(`Cannot compare values of type (\S+) and (\S+) in IN/ANY/ALL clause`)
	templateMismatch = regexp.MustCompile(`(?s)Cannot deduce template type .* inferred to be:\s*- '([^']+)'.*?- '([^']+)', which is incompatible`)
	duckOperators    = map[string]string{"+": "+", "-": "-", "*": "*", "/": "/", "%": "%", "~~": "LIKE", "!~~": "NOT LIKE", "||": "||"}
)

// duckTypeList is a list of DuckDB type names as Trino's.
func duckTypeList(s string) []string {
	var out []string
	depth, start := 0, 0
	for i := 0; i <= len(s); i++ {
		if i < len(s) {
			switch s[i] {
			case '(':
				depth++
			case ')':
				depth--
			}
			if s[i] != ',' || depth > 0 {
				continue
			}
		}
		if t := strings.TrimSpace(s[start:i]); t != "" {
			out = append(out, trinoTypeText(t))
		}
		start = i + 1
	}
	return out
}

// trinoTypeText is a DuckDB type name (as DuckDB's messages write it) as
// Trino's; the literal types of the binder are varchar and integer.
func trinoTypeText(t string) string {
	switch {
	case strings.HasSuffix(t, "[]"):
		return "array(" + trinoTypeText(strings.TrimSuffix(t, "[]")) + ")"
	case strings.HasPrefix(t, "DECIMAL("):
		return strings.ToLower(t)
	case strings.HasPrefix(t, "MAP("), strings.HasPrefix(t, "STRUCT("):
		return strings.ToLower(t[:strings.IndexByte(t, '(')])
	}
	switch t {
	case "STRING_LITERAL":
		return "varchar"
	case "INTEGER_LITERAL":
		return "integer"
	case "TIMESTAMP":
		return "timestamp(3)"
	case "TIMESTAMP WITH TIME ZONE":
		return "timestamp(3) with time zone"
	}
	return trinoTypeName(duckType{id: t})
}

// ownNames keeps a function's name out of a message that names a function
// the query (text) does not call (a bridge's DuckDB function, whose
// arguments are not the query's either).
func ownNames(text string, err error) error {
	var e *errSQL
	if !errors.As(err, &e) {
		return err
	}
	m := unexpectedParameters.FindStringSubmatch(e.msg)
	if m == nil || regexp.MustCompile(`(?i)\b`+regexp.QuoteMeta(m[1])+`\s*\(`).MatchString(text) {
		return err
	}
	return &errSQL{"FUNCTION_NOT_FOUND: Unexpected parameters for a function of this query: an argument's type is not one the function takes (Trino converts no varchar to a number or a number to varchar implicitly, nor varchar to varbinary): write a CAST"}
}

var unexpectedParameters = regexp.MustCompile(`^FUNCTION_NOT_FOUND: Unexpected parameters \(.*\) for function (\S+)$`)

// groupedLocations maps the places of a select list's grouped expressions
// to the places where the plan binds them: DuckDB binds a grouped
// expression once, at its GROUP BY item (GROUP BY 1 places the whole
// expression at the 1; GROUP BY f(x) places f(x) and its parts there), and
// the select list reads the group. Node by node, from the select list's
// place to the group's.
func groupedLocations(stmt astNode) map[int64]int64 {
	out := map[int64]int64{}
	transform(stmt, nil, func(n astNode, _ []astNode) (any, error) {
		if str(n["type"]) != "SELECT_NODE" {
			return n, nil
		}
		sel, _ := n["select_list"].([]any)
		groups, _ := n["group_expressions"].([]any)
		for _, g := range groups {
			gn, _ := g.(astNode)
			if k, ok := positional(gn); ok && k >= 1 && k <= len(sel) {
				if s, _ := sel[k-1].(astNode); s != nil && queryLocation(s) >= 0 && queryLocation(gn) >= 0 {
					out[queryLocation(s)] = queryLocation(gn)
				}
				continue
			}
			for _, s := range sel {
				sameExpression(s, g, out)
			}
		}
		// An ORDER BY expression reads a group as the select list does
		// (ORDER BY f(g) where g is grouped); SELECT DISTINCT binds a key
		// once, as the select list's same expression.
		mods, _ := n["modifiers"].([]any)
		distinct := slices.ContainsFunc(mods, func(m any) bool { return str(at(m, "type")) == "DISTINCT_MODIFIER" })
		for _, m := range mods {
			orders, _ := at(m, "orders").([]any)
			for _, o := range orders {
				key := at(o, "expression")
				if distinct {
					for _, s := range sel {
						if sameExpression(key, s, out) {
							break
						}
					}
				}
				if len(groups) == 0 {
					continue
				}
				transform(key, nil, func(part astNode, _ []astNode) (any, error) {
					for _, g := range groups {
						gn, _ := g.(astNode)
						if k, ok := positional(gn); ok && k >= 1 && k <= len(sel) {
							if sameExpression(part, sel[k-1], map[int64]int64{}) && queryLocation(part) >= 0 && queryLocation(gn) >= 0 {
								out[queryLocation(part)] = queryLocation(gn)
							}
							continue
						}
						sameExpression(part, g, out)
					}
					return part, nil
				})
			}
		}
		return n, nil
	})
	return out
}

// positional is the column number of a GROUP BY 1.
func positional(n astNode) (int, bool) {
	if class(n) != "CONSTANT" {
		return 0, false
	}
	v, ok := at(n, "value", "value").(json.Number)
	if !ok {
		return 0, false
	}
	k, err := v.Int64()
	return int(k), err == nil
}

// sameExpression says whether a and b are one expression written twice
// (places and aliases aside), and if so maps each node's place in a to its
// place in b.
func sameExpression(a, b any, places map[int64]int64) bool {
	pairs := map[int64]int64{}
	if !sameTree(a, b, pairs) {
		return false
	}
	maps.Copy(places, pairs)
	return true
}

func sameTree(a, b any, pairs map[int64]int64) bool {
	switch x := a.(type) {
	case astNode:
		y, ok := b.(astNode)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			if k == "query_location" || k == "alias" {
				continue
			}
			if !sameTree(v, y[k], pairs) {
				return false
			}
		}
		if la, lb := queryLocation(x), queryLocation(y); la >= 0 && lb >= 0 && la != lb {
			pairs[la] = lb
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !sameTree(x[i], y[i], pairs) {
				return false
			}
		}
		return true
	}
	return fmt.Sprint(a) == fmt.Sprint(b)
}
