package emulate

// DuckDB's own syntax trees, as json_serialize_sql writes them and
// json_deserialize_sql prints them back as SQL: the Trino bridge
// (athena_trino.go) rewrites queries as trees, never as text, so that a
// function call, an operator and its operands are what DuckDB's parser says
// they are, whatever the spacing, nesting or quoting.
//
// A tree is the decoded JSON: map[string]any for objects, []any, string,
// bool, nil and json.Number (numbers stay exact: query locations are
// unsigned 64-bit, literals may be long).

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"pipeline/internal/oneline"
	"regexp"
	"strings"
	"sync"

	_ "github.com/duckdb/duckdb-go/v2" // the "duckdb" database/sql driver
)

// astNode is one object of a syntax tree.
type astNode = map[string]any

// duckSyntax parses and prints SQL in a DuckDB database of its own, with
// nothing in it and no access to files. It is safe for concurrent use.
type duckSyntax struct {
	db        *sql.DB
	templates sync.Map // template text -> astNode (never modified)
}

func openDuckSyntax(ctx context.Context) (*duckSyntax, error) {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return nil, err
	}
	for _, q := range []string{"SET enable_external_access = false", "SET lock_configuration = true"} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			db.Close()
			return nil, fmt.Errorf("open sql parser: %s: %w", q, err)
		}
	}
	return &duckSyntax{db: db}, nil
}

func (p *duckSyntax) Close() error { return p.db.Close() }

// errSQL is a statement's own fault (bad syntax, an unknown column): its
// message is DuckDB's, for the user.
type errSQL struct{ msg string }

func (e *errSQL) Error() string { return e.msg }

// sqlMessage keeps the first paragraph of a DuckDB message: the part after
// it quotes the statement DuckDB saw, which is the rewritten one, not the
// user's.
func sqlMessage(msg string) string {
	if i := strings.Index(msg, "\nLINE "); i >= 0 {
		msg = msg[:i]
	}
	if t := trinoMismatch(msg); t != "" {
		return t
	}
	if t := trinoOverflow(msg); t != "" {
		return t
	}
	if m := ambiguousColumn.FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("COLUMN_AMBIGUOUS: Column '%s' is ambiguous", strings.ToLower(m[1]))
	}
	return oneline.Fold(msg)
}

// withTies finds Trino's FETCH ... WITH TIES, which DuckDB does not parse.
var withTies = regexp.MustCompile(`(?i)\bWITH\s+TIES\b`)

// withNoData finds a CTAS's WITH NO DATA, which DuckDB does not parse.
var withNoData = regexp.MustCompile(`(?i)\bWITH\s+NO\s+DATA\s*;?\s*$`)

// ambiguousColumn is DuckDB's message for what Trino calls an ambiguous
// column.
var ambiguousColumn = regexp.MustCompile(`Ambiguous reference to column name "([^"]*)"`)

// parse returns the statement's tree: its first statement's "node".
func (p *duckSyntax) parse(ctx context.Context, query string) (astNode, error) {
	var raw string
	if err := p.db.QueryRowContext(ctx, "SELECT CAST(json_serialize_sql(?::VARCHAR) AS VARCHAR)", query).Scan(&raw); err != nil {
		return nil, fmt.Errorf("parse sql: %w", err)
	}
	var out struct {
		Error      bool      `json:"error"`
		Message    string    `json:"error_message"`
		Statements []astNode `json:"statements"`
	}
	if err := decodeJSON(raw, &out); err != nil {
		return nil, err
	}
	if out.Error {
		msg := sqlMessage(out.Message)
		switch {
		case withTies.MatchString(query):
			msg = "NOT_SUPPORTED: FETCH FIRST ... WITH TIES is not emulated (DuckDB's grammar lacks it)"
		case withNoData.MatchString(query):
			msg = "NOT_SUPPORTED: CREATE TABLE AS ... WITH NO DATA is not emulated: CREATE TABLE AS ... LIMIT 0"
		}
		if !strings.HasPrefix(msg, "NOT_SUPPORTED: ") {
			msg = "SYNTAX_ERROR: " + msg
		}
		return nil, &errSQL{msg}
	}
	if len(out.Statements) != 1 {
		return nil, &errSQL{"Only one sql statement is allowed"}
	}
	return out.Statements[0], nil
}

// print returns the SQL of a statement tree parse returned.
func (p *duckSyntax) print(ctx context.Context, stmt astNode) (string, error) {
	b, err := json.Marshal(map[string]any{"error": false, "statements": []any{stmt}})
	if err != nil {
		return "", err
	}
	var out string
	if err := p.db.QueryRowContext(ctx, "SELECT json_deserialize_sql(json(?::VARCHAR))", string(b)).Scan(&out); err != nil {
		return "", fmt.Errorf("print sql: %w", err)
	}
	return out, nil
}

// expr returns the tree of a SQL expression template (a fresh copy each
// time: the caller may change it). Templates are the bridge's own text.
func (p *duckSyntax) expr(ctx context.Context, template string) (astNode, error) {
	if n, ok := p.templates.Load(template); ok {
		return deepCopy(n).(astNode), nil
	}
	stmt, err := p.parse(ctx, "SELECT "+template)
	if err != nil {
		return nil, fmt.Errorf("bridge template %q: %w", template, err)
	}
	list, _ := at(stmt, "node", "select_list").([]any)
	if len(list) != 1 {
		return nil, fmt.Errorf("bridge template %q is not one expression", template)
	}
	n := list[0].(astNode)
	// A template's places are in the template, not in the statement: a
	// bridged node must not be mistaken for a statement's by location.
	transform(n, nil, func(x astNode, _ []astNode) (any, error) {
		if _, ok := x["query_location"]; ok {
			x["query_location"] = noLocation
		}
		return x, nil
	})
	p.templates.Store(template, n)
	return deepCopy(n).(astNode), nil
}

// decodeJSON decodes with numbers kept as json.Number.
func decodeJSON(s string, v any) error {
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	return d.Decode(v)
}

// at walks objects by key.
func at(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(astNode)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func str(v any) string { s, _ := v.(string); return s }

func deepCopy(v any) any {
	switch x := v.(type) {
	case astNode:
		out := make(astNode, len(x))
		for k, e := range x {
			out[k] = deepCopy(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = deepCopy(e)
		}
		return out
	}
	return v
}

// transform rewrites a tree bottom-up: fn sees each object after its
// members were rewritten and returns what replaces it (the object itself
// to keep it). path holds the objects above the one fn sees.
func transform(v any, path []astNode, fn func(n astNode, path []astNode) (any, error)) (any, error) {
	switch x := v.(type) {
	case astNode:
		path = append(path, x)
		for k, e := range x {
			r, err := transform(e, path, fn)
			if err != nil {
				return nil, err
			}
			x[k] = r
		}
		return fn(x, path[:len(path)-1])
	case []any:
		for i, e := range x {
			r, err := transform(e, path, fn)
			if err != nil {
				return nil, err
			}
			x[i] = r
		}
	}
	return v, nil
}

// Expression nodes the bridge builds.

// class is an expression node's class ("FUNCTION", "CAST", ...), "" for
// other objects.
func class(n astNode) string { return str(n["class"]) }

// noLocation is DuckDB's query_location for a node with no place in the
// statement's text.
var noLocation = json.Number("18446744073709551615")

// queryLocation is a node's position in the statement it was parsed
// from, or -1.
func queryLocation(n astNode) int64 {
	num, ok := n["query_location"].(json.Number)
	if !ok {
		return -1
	}
	i, err := num.Int64()
	if err != nil {
		return -1 // DuckDB's "no location" is the largest uint64
	}
	return i
}

// children is a FUNCTION node's arguments.
func children(n astNode) []any { c, _ := n["children"].([]any); return c }

// substitute fills a template: a column reference __1, __2, ... becomes
// that argument, and __args in a function's arguments becomes all of them.
func substitute(tmpl astNode, args []any) astNode {
	out, _ := transform(tmpl, nil, func(n astNode, _ []astNode) (any, error) {
		if class(n) == "FUNCTION" {
			var kids []any
			for _, c := range children(n) {
				if cn, ok := c.(astNode); ok && placeholder(cn) == "__args" {
					for _, a := range args {
						kids = append(kids, deepCopy(a))
					}
					continue
				}
				kids = append(kids, c)
			}
			if kids == nil {
				kids = []any{}
			}
			n["children"] = kids
		}
		if name := placeholder(n); len(name) > 2 && name != "__args" {
			var i int
			if _, err := fmt.Sscanf(name, "__%d", &i); err == nil && i >= 1 && i <= len(args) {
				out := deepCopy(args[i-1])
				if a := str(n["alias"]); a != "" { // a named argument: struct_pack(name := __1)
					if o, ok := out.(astNode); ok {
						o["alias"] = a
					}
				}
				return out, nil
			}
		}
		return n, nil
	})
	return out.(astNode)
}

// placeholder is the name of a template placeholder (a one-part column
// reference starting with "__"), or "".
func placeholder(n astNode) string {
	if class(n) != "COLUMN_REF" {
		return ""
	}
	names, _ := n["column_names"].([]any)
	if len(names) != 1 {
		return ""
	}
	s := str(names[0])
	if !strings.HasPrefix(s, "__") {
		return ""
	}
	return s
}

// constantString is a string literal's value.
func constantString(v any) (string, bool) {
	n, ok := v.(astNode)
	if !ok || class(n) != "CONSTANT" || at(n, "value", "is_null") == true || str(at(n, "value", "type", "id")) != "VARCHAR" {
		return "", false
	}
	s, ok := at(n, "value", "value").(string)
	return s, ok
}

// A type in a tree or a plan: {"id": "DECIMAL", "type_info": {...}}.
type duckType struct {
	id           string
	width, scale int       // DECIMAL
	elem         *duckType // LIST, ARRAY
}

func parseDuckType(v any) duckType {
	t := duckType{id: str(at(v, "id"))}
	if str(at(v, "type_info", "alias")) == "JSON" || t.id == "UNBOUND" && strings.EqualFold(str(at(v, "type_info", "name")), "json") {
		t.id = "JSON" // DuckDB's JSON is a VARCHAR by another name (in a parse tree, one to be bound)
	}
	switch t.id {
	case "DECIMAL":
		w, _ := at(v, "type_info", "width").(json.Number).Int64()
		s, _ := at(v, "type_info", "scale").(json.Number).Int64()
		t.width, t.scale = int(w), int(s)
	case "LIST", "ARRAY":
		if c := elementType(v); c != nil {
			e := parseDuckType(c)
			t.elem = &e
		}
	}
	return t
}

// elementType is the type of a LIST's elements (a MAP's entries are
// structs).
func elementType(v any) any { return at(v, "type_info", "child_type") }

func (t duckType) isInteger() bool {
	switch t.id {
	case "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT":
		return true
	}
	return false
}

func (t duckType) isFloat() bool { return t.id == "DOUBLE" || t.id == "FLOAT" }

// asDecimal is the decimal(precision, scale) Trino takes an exact number
// of type t as: an integer is decimal(its digits, 0). HUGEINT, DuckDB's
// sum of integers, is Trino's bigint.
func (t duckType) asDecimal() (p, s int, ok bool) {
	switch t.id {
	case "DECIMAL":
		return t.width, t.scale, true
	case "TINYINT", "UTINYINT":
		return 3, 0, true
	case "SMALLINT", "USMALLINT":
		return 5, 0, true
	case "INTEGER", "UINTEGER":
		return 10, 0, true
	case "BIGINT", "UBIGINT", "HUGEINT", "UHUGEINT":
		return 19, 0, true
	}
	return 0, 0, false
}

// sqlName is t as SQL spells it, for a CAST.
func (t duckType) sqlName() string {
	switch t.id {
	case "DECIMAL":
		return fmt.Sprintf("DECIMAL(%d,%d)", t.width, t.scale)
	case "TIMESTAMP WITH TIME ZONE":
		return "TIMESTAMPTZ"
	}
	return t.id
}

// planNodes maps the query locations of a statement's function calls,
// operators and casts to their bound expressions, from the plan
// (json_serialize_plan) of that same statement text.
type planNodes map[int64]astNode

func collectPlanNodes(v any, out planNodes) {
	switch x := v.(type) {
	case astNode:
		switch str(x["expression_class"]) {
		case "BOUND_FUNCTION", "BOUND_AGGREGATE", "BOUND_WINDOW", "BOUND_CAST", "BOUND_OPERATOR", "BOUND_COMPARISON", "BOUND_BETWEEN":
			if loc := queryLocation(x); loc >= 0 {
				if _, seen := out[loc]; !seen {
					out[loc] = x
				}
			}
		}
		for _, e := range x {
			collectPlanNodes(e, out)
		}
	case []any:
		for _, e := range x {
			collectPlanNodes(e, out)
		}
	}
}

// boundOperands are a bound call's operands (a cast's one child).
func boundOperands(n astNode) []astNode {
	var ops []any
	if c, ok := n["child"]; ok {
		ops = []any{c}
	} else {
		ops, _ = n["children"].([]any)
	}
	out := make([]astNode, len(ops))
	for i, o := range ops {
		out[i], _ = o.(astNode)
	}
	return out
}

// operandType is the type of a call's operand: a literal's or a CAST's
// from the tree (the plan may have folded them), anything else's from its
// bound expression, under the cast the binder may have added to make the
// call match (the operand itself is no CAST, so a cast on top is the
// binder's).
func operandType(tree any, bound astNode) duckType {
	if n, ok := tree.(astNode); ok {
		switch class(n) {
		case "CONSTANT", "CAST":
			return treeType(n)
		}
	}
	if bound == nil {
		return treeType(tree)
	}
	if str(bound["expression_class"]) == "BOUND_CAST" {
		// The binder's cast, unless it is a typed literal's (true, DATE '...'),
		// which has no place of its own.
		if c, ok := bound["child"].(astNode); ok && (queryLocation(bound) >= 0 || str(c["expression_class"]) != "BOUND_CONSTANT") {
			return exprType(c)
		}
	}
	return exprType(bound)
}

// treeType types a constant expression from the tree alone (the binder
// folds those into constants, so the plan has no place for them):
// literals, casts, and +, -, * of them. "" if it cannot.
func treeType(v any) duckType {
	n, ok := v.(astNode)
	if !ok {
		return duckType{}
	}
	switch class(n) {
	case "CONSTANT":
		return parseDuckType(at(n, "value", "type"))
	case "CAST":
		return parseDuckType(n["cast_type"])
	case "FUNCTION":
		kids := children(n)
		switch name := str(n["function_name"]); {
		case name == "-" && len(kids) == 1, name == "trunc" && len(kids) == 1 && treeType(kids[0]).isFloat():
			return treeType(kids[0])
		case intervalKind(n, nil) != 0 && strings.HasPrefix(name, "to_"):
			return duckType{id: "INTERVAL"} // an interval literal as pass 1 writes it
		case (name == "+" || name == "-" || name == "*") && len(kids) == 2:
			a, b := treeType(kids[0]), treeType(kids[1])
			switch {
			case a.id == "" || b.id == "":
				return duckType{}
			case a.isFloat() || b.isFloat():
				return duckType{id: "DOUBLE"}
			case a.isInteger() && b.isInteger():
				return widerInteger(a, b)
			}
		}
	}
	return duckType{}
}

// widerInteger is the wider of two integer types.
func widerInteger(a, b duckType) duckType {
	rank := map[string]int{"TINYINT": 1, "SMALLINT": 2, "INTEGER": 3, "BIGINT": 4, "HUGEINT": 5}
	if rank[b.id] > rank[a.id] {
		return b
	}
	return a
}

func exprType(n astNode) duckType {
	if t, ok := n["return_type"]; ok {
		return parseDuckType(t)
	}
	switch str(n["expression_class"]) {
	case "BOUND_COMPARISON", "BOUND_CONJUNCTION", "BOUND_BETWEEN":
		return duckType{id: "BOOLEAN"} // the plan gives them no type
	}
	if v, ok := n["value"].(astNode); ok {
		return parseDuckType(v["type"])
	}
	return duckType{}
}

// planOf returns the bound calls of a statement, binding it on conn (a
// database with the tables the statement reads), and its plan's root.
func planOf(ctx context.Context, conn *sql.Conn, query string) (planNodes, any, error) {
	var raw string
	if err := conn.QueryRowContext(ctx, "SELECT CAST(json_serialize_plan(?::VARCHAR) AS VARCHAR)", query).Scan(&raw); err != nil {
		return nil, nil, fmt.Errorf("type sql: %w", err)
	}
	var out struct {
		Error   bool   `json:"error"`
		Message string `json:"error_message"`
		Plans   []any  `json:"plans"`
	}
	if err := decodeJSON(raw, &out); err != nil {
		return nil, nil, err
	}
	if out.Error {
		return nil, nil, &errSQL{sqlMessage(out.Message)}
	}
	nodes := planNodes{}
	collectPlanNodes(out.Plans, nodes)
	var root any
	if len(out.Plans) > 0 {
		root = out.Plans[0]
	}
	return nodes, root, nil
}

// isErrSQL says whether err is the statement's own fault.
func isErrSQL(err error) bool {
	var e *errSQL
	return errors.As(err, &e)
}
