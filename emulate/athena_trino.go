package emulate

// Trino's semantics in DuckDB: the emulated Athena runs a query only as
// DuckDB SQL that answers it as Athena (Trino) would, or refuses it with a
// message that names what it does not do. Never a different answer.
//
// A query is rewritten as DuckDB's own syntax tree (athena_ast.go), in two
// passes:
//
//  1. Every function call is looked up in trinoFunctions: a Trino function
//     DuckDB has with the same meaning stays; one DuckDB spells or behaves
//     differently is bridged to DuckDB SQL that gives Trino's answer; one
//     the emulator cannot answer as Trino does is refused, and a name Trino
//     does not know is "not registered", as in Athena. Operators other
//     than Trino's are refused too. Tables must be the query database's
//     (or the query's CTEs); a view is replaced by its query.
//  2. What depends on the operands' types is decided from the plan DuckDB
//     binds for the pass-1 SQL over empty tables of the same columns (the
//     query is not run): integer division truncates and dividing by zero is
//     an error; decimal division and avg of decimals keep Trino's decimal
//     scale, rounding half up; date + interval stays a date; a double cast
//     to an integer rounds half away from zero, a string cast to an integer
//     must be an integer; array subscripts out of range and missing map keys
//     are errors.
//
// Inside TRY(...) the errors the bridges raise are NULL, as Trino's are,
// but refusals (athena_trino_try.go).

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"pipeline/catalog"
	"reflect"
	"regexp"
	"strconv"
	"strings"
)

// trinoQuery is one statement being bridged.
type trinoQuery struct {
	ctx    context.Context
	syn    *duckSyntax
	db     string
	tables map[string]*catalog.Table // the database's tables and views, by lower-case name
	ctes   map[string]bool           // the statement's CTE names, lower case
	views  int                       // views being expanded, to stop a view that reads itself
	text   string                    // the statement's text, which query locations index

	bucketExists func(string) bool // whether a table's bucket exists; nil: not checked
	schemaExists func(string) bool // whether a database exists; nil: not checked

	otherPrecision bool            // the statement has timestamps of another precision than 3 (athena_trino_types.go)
	castPrecision  map[uintptr]int // casts to varchar, by node: their operand's precision if a timestamp

	// Pass 2 types operands by DuckDB's plan of the query before the
	// pass; a division it rewrote has Trino's type, not the plan's.
	retyped map[uintptr]duckType // rewritten calls whose type the plan has wrong, by node
	tainted map[uintptr]bool     // nodes above one of them
	// trinoTypes: rewritten decimal arithmetic whose Trino type the plan
	// has narrower (athena_trino_arith.go), by node.
	trinoTypes map[uintptr]duckType
}

// nodeID identifies an AST node (a map) for pass 2's own bookkeeping.
func nodeID(n any) uintptr {
	m, ok := n.(astNode)
	if !ok {
		return 0
	}
	return reflect.ValueOf(m).Pointer()
}

// trinoToDuckDB bridges a Trino query (a SELECT, WITH, VALUES or TABLE
// statement, its parameters already in place) read in database db to the
// DuckDB SQL that answers it, typing it on typer (a connection to a
// database with db's tables, empty, as the search path's first schema).
// An error the query causes is an *errSQL.
func trinoToDuckDB(ctx context.Context, syn *duckSyntax, typer *sql.Conn, db string, tables []*catalog.Table, query string, bucketExists, schemaExists func(string) bool) (*bridged, error) {
	q := &trinoQuery{ctx: ctx, syn: syn, db: db, tables: map[string]*catalog.Table{}, text: query, bucketExists: bucketExists, schemaExists: schemaExists}
	for _, t := range tables {
		q.tables[strings.ToLower(t.Name)] = t
	}
	stmt, err := syn.parse(ctx, query)
	if err != nil {
		return nil, err
	}
	if err := q.pass1(stmt); err != nil {
		return nil, err
	}
	if err := q.tryScope(stmt); err != nil { // before DuckDB plans it: see athena_trino_try.go
		return nil, err
	}
	sql1, err := syn.print(ctx, stmt)
	if err != nil {
		return nil, err
	}
	stmt, err = syn.parse(ctx, sql1)
	if err != nil {
		return nil, fmt.Errorf("reparse bridged sql %q: %w", sql1, err)
	}
	out, err := q.statementFacts(stmt)
	if err != nil {
		return nil, err
	}
	q.otherPrecision = out.otherPrecision
	if changed, err := q.intervalSums(stmt); err != nil {
		return nil, err
	} else if changed { // DuckDB plans the bridged text
		if sql1, err = syn.print(ctx, stmt); err != nil {
			return nil, err
		}
		if stmt, err = syn.parse(ctx, sql1); err != nil {
			return nil, fmt.Errorf("reparse bridged sql %q: %w", sql1, err)
		}
	}
	typesNeeded := needsTypes(stmt) || hasNull(stmt) || out.otherPrecision
	plan, root, err := planOf(ctx, typer, sql1)
	grouped := groupedLocations(stmt)
	for sel, group := range grouped {
		if _, ok := plan[sel]; !ok && plan[group] != nil {
			plan[sel] = plan[group]
		}
	}
	err = ownNames(q.text, err)
	if untypedNulls(err, stmt, out.otherPrecision) { // athena_trino_try.go
		typesNeeded, err = false, nil
	}
	switch {
	case err != nil && (typesNeeded || !isErrSQL(err)):
		return nil, err
	case err == nil:
		if err := checkPlan(stmt, root, grouped); err != nil {
			return nil, err
		}
		if err := checkJSONPlan(root); err != nil {
			return nil, err
		}
	} // else running it says what is wrong, as DuckDB words it
	if typesNeeded {
		out.unknown = unknownColumns(root)
		if err := q.pass2(stmt, plan); err != nil {
			return nil, err
		}
	}
	unmarkPrecisions(stmt)
	if err := q.tryScope(stmt); err != nil { // pass 2's bridges' errors
		return nil, err
	}
	if out.sql, err = syn.print(ctx, stmt); err != nil {
		return nil, err
	}
	return out, nil
}

// hasNull says whether a statement holds a NULL literal, whose type the
// plan tells.
func hasNull(stmt astNode) bool {
	found := false
	transform(stmt, nil, func(n astNode, _ []astNode) (any, error) {
		found = found || class(n) == "CONSTANT" && str(at(n, "value", "type", "id")) == "NULL"
		return n, nil
	})
	return found
}

// pass1 bridges the functions, operators and tables of a statement.
func (q *trinoQuery) pass1(stmt astNode) error {
	if q.ctes == nil {
		q.ctes = map[string]bool{}
	}
	foldNames(stmt, spelledColumns(q.tables))
	collectCTEs(stmt, q.ctes)
	if err := q.resolveOrderNames(stmt, nil); err != nil {
		return err
	}
	_, err := transform(stmt, nil, func(n astNode, path []astNode) (any, error) {
		if isLambdaParams(n, path) {
			return n, nil
		}
		if err := q.nanFirstKeys(n, path); err != nil {
			return nil, err
		}
		if err := duckDBOnlyTree(n); err != nil {
			return nil, err
		}
		if err := q.integerChoices(n); err != nil {
			return nil, err
		}
		switch {
		case str(n["type"]) == "BASE_TABLE":
			return q.table(n)
		case str(n["type"]) == "EXPRESSION_LIST":
			return valuesNames(n), nil
		case class(n) == "FUNCTION":
			return q.function(n)
		case class(n) == "WINDOW":
			return q.window(n)
		case class(n) == "OPERATOR" && str(n["type"]) == "ARRAY_EXTRACT":
			return q.marked("__subscript", n)
		case class(n) == "CONSTANT":
			return q.constant(n)
		case class(n) == "COLUMN_REF":
			return q.niladicCall(n)
		case class(n) == "CAST":
			if err := timestampCast(n); err != nil {
				return nil, err
			}
			if err := timeZoneCast(n); err != nil {
				return nil, err
			}
			if x, ok := q.jsonStringCast(n); ok {
				return x, nil
			}
			if x, ok := q.nestedTryCast(n); ok {
				return x, nil
			}
			if err := q.decimalLiteral(n); err != nil {
				return nil, err
			}
			if x, err := q.lengthCast(n); err != nil || x != nil {
				return x, err
			}
			if x, err := q.precisionCast(n); err != nil || class(x.(astNode)) != "CAST" {
				return x, err
			}
			return q.timestampLiteral(n)
		case class(n) == "SUBQUERY" && (str(n["subquery_type"]) == "ANY" || str(n["subquery_type"]) == "ALL"):
			return q.markAny(n)
		case class(n) == "COMPARISON" && inJoinCondition(n, path):
			return q.markJoinOperand(n)
		case class(n) == "OPERATOR" && str(n["type"]) == "OPERATOR_COALESCE":
			return n, q.coalesceSpelling(n)
		case class(n) == "OPERATOR" && str(n["type"]) == "ARRAY_SLICE":
			return nil, &errSQL{"NOT_SUPPORTED: array slices x[a:b] are not Trino SQL: use slice(x, start, length)"}
		}
		return n, nil
	})
	return err
}

// coalesceSpelling refuses ifnull(a, b) and nvl(a, b), which DuckDB's
// parser reads as COALESCE and Trino does not know: the call's name is the
// word before its first argument's "(".
func (q *trinoQuery) coalesceSpelling(n astNode) error {
	kids := children(n)
	if len(kids) == 0 {
		return nil
	}
	first, _ := kids[0].(astNode)
	loc := queryLocation(first)
	if loc <= 0 || int(loc) > len(q.text) {
		return nil
	}
	before := strings.TrimRight(q.text[:loc], " \t\r\n")
	if !strings.HasSuffix(before, "(") {
		return nil
	}
	before = strings.TrimRight(strings.TrimSuffix(before, "("), " \t\r\n")
	word := before[strings.LastIndexFunc(before, func(r rune) bool { return !isWordByte(byte(r)) || r > 127 })+1:]
	if w := strings.ToLower(word); w == "ifnull" || w == "nvl" {
		return notRegistered(w)
	}
	return nil
}

// duckDBOnlyTree refuses the DuckDB syntax that its parser reads into a
// statement's tree, which Athena refuses and DuckDB would answer.
func duckDBOnlyTree(n astNode) error {
	only := func(what string) error { return &errSQL{"SYNTAX_ERROR: " + what + " is DuckDB's, not Trino SQL"} }
	switch str(n["type"]) {
	case "SELECT_NODE":
		if n["qualify"] != nil {
			return only("QUALIFY")
		}
		if n["sample"] != nil {
			return only("USING SAMPLE")
		}
		mods, _ := n["modifiers"].([]any)
		for _, m := range mods {
			switch mn, _ := m.(astNode); str(mn["type"]) {
			case "DISTINCT_MODIFIER":
				if on, _ := mn["distinct_on_targets"].([]any); len(on) > 0 {
					return only("DISTINCT ON (...)")
				}
			case "LIMIT_PERCENT_MODIFIER":
				return only("LIMIT n%")
			case "LIMIT_MODIFIER":
				for _, k := range []string{"limit", "offset"} {
					if e, _ := mn[k].(astNode); e != nil && !(class(e) == "CONSTANT" && (treeType(e).isInteger() || treeType(e).id == "NULL")) && class(e) != "PARAMETER" { // NULL: LIMIT ALL
						return &errSQL{"SYNTAX_ERROR: LIMIT and OFFSET take a number in Trino, not an expression"}
					}
				}
			}
		}
	case "SET_OPERATION_NODE":
		if str(n["setop_type"]) == "UNION_BY_NAME" {
			return only("UNION BY NAME")
		}
	case "JOIN":
		switch {
		case str(n["ref_type"]) == "POSITIONAL" || str(n["ref_type"]) == "ASOF":
			return only(str(n["ref_type"]) + " JOIN")
		case str(n["join_type"]) == "SEMI" || str(n["join_type"]) == "ANTI":
			return only(str(n["join_type"]) + " JOIN")
		case str(n["ref_type"]) == "NATURAL":
			return &errSQL{"NOT_SUPPORTED: Natural join not supported"}
		}
	case "BASE_TABLE", "TABLE_FUNCTION", "SUBQUERY":
		if n["sample"] != nil {
			return &errSQL{"NOT_SUPPORTED: TABLESAMPLE is not emulated"}
		}
	}
	switch class(n) {
	case "STAR":
		if n["columns"] == true {
			return only("COLUMNS(...)")
		}
	case "POSITIONAL_REFERENCE":
		return only("#n")
	}
	return nil
}

// niladicCall makes current_date, localtime and the like, which DuckDB
// parses as column names, the calls they are in Trino (a column of that
// name must be quoted there), so that they are named as calls are.
func (q *trinoQuery) niladicCall(n astNode) (any, error) {
	names, _ := n["column_names"].([]any)
	if len(names) > 0 && strings.HasPrefix(str(names[len(names)-1]), "$") {
		return nil, &errSQL{fmt.Sprintf("NOT_SUPPORTED: the hidden column %q (Athena's file and partition columns) is not emulated", str(names[len(names)-1]))}
	}
	loc := queryLocation(n)
	if len(names) != 1 || loc < 0 || int(loc) >= len(q.text) || q.text[loc] == '"' {
		return n, nil
	}
	switch name := strings.ToLower(str(names[0])); name {
	case "current_user":
		return nil, &errSQL{"NOT_SUPPORTED: current_user is not emulated (Athena's is the caller's IAM identity)"}
	case "current_catalog":
		return q.fill("'awsdatacatalog'", nil, n)
	case "current_schema":
		return q.fill(catalog.QuoteLiteral(q.db), nil, n)
	default:
		if call, ok := niladic[name]; ok {
			return q.fill(call, nil, n)
		}
	}
	return n, nil
}

// niladic are Trino's functions called without parentheses, as DuckDB
// calls them.
var niladic = map[string]string{
	"current_date": "current_date()", "current_timestamp": "get_current_timestamp()", "current_time": "get_current_time()",
	"localtimestamp": "CAST(get_current_timestamp() AS TIMESTAMP)", "localtime": "CAST(CAST(get_current_timestamp() AS TIMESTAMP) AS TIME)",
}

// valuesNames names a VALUES list's columns _col0, _col1, ... as Trino
// does (DuckDB's are col0, col1, ...).
func valuesNames(n astNode) astNode {
	rows, _ := n["values"].([]any)
	if names, _ := n["expected_names"].([]any); len(names) > 0 || len(rows) == 0 {
		return n
	}
	first, _ := rows[0].([]any)
	names := make([]any, len(first))
	for i := range names {
		names[i] = fmt.Sprintf("_col%d", i)
	}
	n["expected_names"] = names
	return n
}

// isLambdaParams says whether n is the parameter list of the lambda it is
// in ((x, i) -> ... parses as a ROW of its parameters).
func isLambdaParams(n astNode, path []astNode) bool {
	if len(path) == 0 || class(path[len(path)-1]) != "LAMBDA" {
		return false
	}
	lhs, _ := path[len(path)-1]["lhs"].(astNode)
	return lhs != nil && reflect.ValueOf(lhs).UnsafePointer() == reflect.ValueOf(n).UnsafePointer()
}

// jsonStringCast bridges a CAST of a string constant to json, a JSON
// string in Trino (DuckDB parses the text, as the literal JSON '...'
// does, a cast with no place in the text). pass 2 bridges a cast of a
// string that is not a constant.
func (q *trinoQuery) jsonStringCast(n astNode) (any, bool) {
	if _, ok := constantString(n["child"]); !ok || parseDuckType(n["cast_type"]).id != "JSON" || queryLocation(n) < 0 {
		return nil, false
	}
	x, err := q.fill("to_json(__1)", []any{n["child"]}, n)
	return x, err == nil
}

// nestedTryCast bridges TRY_CAST to an array, map or row type, NULL in
// Trino when any element fails (DuckDB's makes that element NULL), as
// TRY(CAST(...)).
func (q *trinoQuery) nestedTryCast(n astNode) (any, bool) {
	switch parseDuckType(n["cast_type"]).id {
	case "LIST", "ARRAY", "MAP", "STRUCT":
	default:
		return nil, false
	}
	if n["try_cast"] != true {
		return nil, false
	}
	n["try_cast"] = false
	alias := str(n["alias"]) // a select item's name stays its own
	n["alias"] = ""
	x, err := q.fill("TRY(__1)", []any{n}, nil)
	if err != nil {
		return nil, false
	}
	x["alias"] = alias
	return x, true
}

// timestampCast refuses a timestamp literal or cast of a string with a
// time zone: Trino's is a timestamp with time zone, DuckDB drops the zone.
func timestampCast(n astNode) error {
	if str(at(n, "cast_type", "id")) != "TIMESTAMP" {
		return nil
	}
	if v, ok := constantString(n["child"]); ok && zonedTimestamp.MatchString(strings.TrimSpace(v)) {
		return &errSQL{"NOT_SUPPORTED: a timestamp with a time zone (" + catalog.QuoteLiteral(v) + ") answers differently here than in Athena (Trino keeps the zone): give it in UTC without a zone"}
	}
	return nil
}

// lengthCast bridges a cast to decimal, varchar(n) or char(n), whose
// parameters DuckDB's parser drops or defaults otherwise: a value longer than n is refused (Trino cuts a
// string, fails a number), char(n) is refused (Trino pads it with
// spaces). Nil if n is not a cast to either.
func (q *trinoQuery) lengthCast(n astNode) (any, error) {
	typ := castTypeText(q.text, queryLocation(n))
	if info, _ := at(n, "cast_type", "type_info").(astNode); info != nil && str(at(n, "cast_type", "id")) == "DECIMAL" && strings.EqualFold(typ, "decimal") {
		// Trino's decimal is decimal(38,0), DuckDB's decimal(18,3).
		info["width"], info["scale"] = json.Number("38"), json.Number("0")
		return nil, nil
	}
	m := lengthType.FindStringSubmatch(typ)
	switch {
	case m == nil && nestedLength.MatchString(typ):
		return nil, &errSQL{"NOT_SUPPORTED: varchar(n) and char(n) inside an array, map or row type are not emulated: use varchar"}
	case m == nil || str(at(n, "cast_type", "id")) != "VARCHAR":
		return nil, nil
	case !strings.EqualFold(m[1], "varchar"):
		return nil, &errSQL{"NOT_SUPPORTED: char(n) is not emulated (Trino pads it with spaces): use varchar"}
	}
	cast := "CAST(__1 AS VARCHAR)"
	if n["try_cast"] == true {
		cast = "TRY_" + cast
	}
	return q.fill("CASE WHEN length("+cast+") > "+m[2]+" THEN error('NOT_SUPPORTED: a cast to varchar("+m[2]+") of a longer value is not emulated') ELSE "+cast+" END",
		[]any{n["child"]}, n)
}

var castCall = regexp.MustCompile(`(?i)^(try_)?cast\s*\(`)
var nestedLength = regexp.MustCompile(`(?i)\b(varchar|char|character)\s*\(`)
var lengthType = regexp.MustCompile(`(?i)^(varchar|char|character)\s*\(\s*([0-9]+)\s*\)$`)

// castTypeText is the type's text of the CAST(x AS type) at loc in text,
// or "".
func castTypeText(text string, loc int64) string {
	if loc < 0 || int(loc) >= len(text) || !castCall.MatchString(text[loc:]) {
		return ""
	}
	depth, asAt := 0, -1
	for i := int(loc); i < len(text); i++ {
		switch c := text[i]; c {
		case '\'', '"':
			j := strings.IndexByte(text[i+1:], c)
			if j < 0 {
				return ""
			}
			i += j + 1 // a doubled quote is two quoted runs
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				if asAt < 0 {
					return ""
				}
				return strings.TrimSpace(text[asAt:i])
			}
		default:
			if depth == 1 && (c == 'a' || c == 'A') && i+2 < len(text) && (text[i+1] == 's' || text[i+1] == 'S') &&
				!isWordByte(text[i-1]) && !isWordByte(text[i+2]) {
				asAt = i + 2
			}
		}
	}
	return ""
}

func isWordByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

// decimalLiteral types DECIMAL 'digits' as Trino does, decimal(p, s)
// from the literal's own digits (DuckDB's DECIMAL is decimal(18,3), which
// rounds them). It is the cast DuckDB parses from it: one with no place
// in the text, of a string that follows the word DECIMAL.
func (q *trinoQuery) decimalLiteral(n astNode) error {
	v, ok := constantString(n["child"])
	child, _ := n["child"].(astNode)
	loc := queryLocation(child)
	if str(at(n, "cast_type", "id")) != "DECIMAL" || queryLocation(n) >= 0 || !ok || loc < 0 || int(loc) > len(q.text) ||
		!decimalWord.MatchString(q.text[:loc]) {
		return nil
	}
	m := decimalDigits.FindStringSubmatch(v)
	if m == nil || m[2] == "" && m[3] == "" {
		return &errSQL{"INVALID_LITERAL: '" + v + "' is not a valid DECIMAL literal"}
	}
	integral := strings.TrimLeft(strings.ReplaceAll(m[2], "_", ""), "0")
	fraction := strings.ReplaceAll(m[3], "_", "")
	precision := max(len(integral)+len(fraction), 1)
	if precision > 38 {
		return &errSQL{"NUMERIC_VALUE_OUT_OF_RANGE: Value exceeds maximum precision"}
	}
	info, _ := at(n, "cast_type", "type_info").(astNode)
	if info == nil {
		return nil
	}
	info["width"], info["scale"] = json.Number(fmt.Sprint(precision)), json.Number(fmt.Sprint(len(fraction)))
	if fraction != "" {
		fraction = "." + fraction
	}
	child["value"].(astNode)["value"] = m[1] + cmp.Or(integral, "0") + fraction
	return nil
}

var (
	decimalWord   = regexp.MustCompile(`(?i)\bdecimal\s*$`)
	decimalDigits = regexp.MustCompile(`^([+-]?)([0-9](?:_?[0-9])*)?(?:\.([0-9](?:_?[0-9])*)?)?$`)
)

// zonedTimestamp matches a timestamp's text that ends in a zone or offset.
var zonedTimestamp = regexp.MustCompile(`[0-9]:[0-9][0-9](:[0-9][0-9](\.[0-9]*)?)?\s*([+-][0-9][0-9](:?[0-9][0-9])?|[A-Za-z][A-Za-z_/+-]*)$`)

// constant keeps a double literal a double: DuckDB prints 2.5e0 as 2.5,
// which it would read back as a decimal. It refuses a varbinary literal
// X'..', which DuckDB reads as the string 'x..'.
func (q *trinoQuery) constant(n astNode) (any, error) {
	switch str(at(n, "value", "type", "id")) {
	case "VARCHAR":
		if loc := queryLocation(n); loc >= 0 && int(loc)+1 < len(q.text) && (q.text[loc] == 'x' || q.text[loc] == 'X') && q.text[loc+1] == '\'' {
			return nil, &errSQL{"NOT_SUPPORTED: varbinary literals X'..' are not emulated (DuckDB reads them as strings): use from_hex('..')"}
		}
	case "DOUBLE", "FLOAT":
		if at(n, "value", "is_null") == true {
			return n, nil
		}
		v, ok := at(n, "value", "value").(json.Number)
		if !ok {
			return n, nil
		}
		return q.fill("CAST("+catalog.QuoteLiteral(v.String())+" AS DOUBLE)", nil, n)
	}
	return n, nil
}

func collectCTEs(v any, out map[string]bool) {
	switch x := v.(type) {
	case astNode:
		if m, ok := at(x, "cte_map", "map").([]any); ok {
			for _, e := range m {
				out[strings.ToLower(str(at(e, "key")))] = true
			}
		}
		for _, e := range x {
			collectCTEs(e, out)
		}
	case []any:
		for _, e := range x {
			collectCTEs(e, out)
		}
	}
}

// table checks a table reference: the query's CTEs and the database's
// tables are read as they are, a view is replaced by its query, anything
// else does not exist.
func (q *trinoQuery) table(n astNode) (any, error) {
	schema, name := str(n["schema_name"]), str(n["table_name"])
	full := name
	if schema != "" {
		full = schema + "." + name
	}
	switch {
	case str(n["catalog_name"]) != "":
		return nil, &errSQL{fmt.Sprintf("CATALOG_NOT_FOUND: Catalog '%s' does not exist: the emulated Athena has one data catalog, AwsDataCatalog", str(n["catalog_name"]))}
	case strings.EqualFold(schema, "information_schema"):
		return nil, &errSQL{"NOT_SUPPORTED: information_schema is not emulated: use SHOW TABLES, SHOW COLUMNS or DESCRIBE"}
	case schema != "" && !strings.EqualFold(schema, q.db) && q.schemaExists != nil && !q.schemaExists(schema):
		return nil, &errSQL{fmt.Sprintf("SCHEMA_NOT_FOUND: Schema '%s' does not exist", strings.ToLower(schema))}
	case schema != "" && !strings.EqualFold(schema, q.db):
		return nil, &errSQL{fmt.Sprintf("NOT_SUPPORTED: table %s is in another database: the emulated Athena reads one database a query (%s)", full, q.db)}
	case schema == "" && q.ctes[strings.ToLower(name)]:
		return n, nil
	}
	t, ok := q.tables[strings.ToLower(name)]
	if _, meta, isMeta := strings.Cut(name, "$"); !ok && isMeta {
		return nil, &errSQL{fmt.Sprintf("NOT_SUPPORTED: the metadata table %q ($%s) is not emulated: use SHOW PARTITIONS", name, meta)}
	}
	if !ok {
		return nil, &errSQL{fmt.Sprintf("TABLE_NOT_FOUND: Table 'awsdatacatalog.%s.%s' does not exist", q.db, name)}
	}
	if !t.IsView() {
		if strings.EqualFold(strings.TrimSpace(t.Parameters["projection.enabled"]), "true") {
			// Athena would read the partitions the projection makes, not the catalog's: reading the catalog's would answer differently.
			return nil, &errSQL{fmt.Sprintf("NOT_SUPPORTED: partition projection (projection.enabled of table %s.%s) is not emulated: set it to false (ALTER TABLE ... SET TBLPROPERTIES ('projection.enabled'='false')) and add the partitions with MSCK REPAIR TABLE or ALTER TABLE ADD PARTITION", q.db, t.Name)}
		}
		if bucket, _, err := parseS3URI(t.Location); err == nil && q.bucketExists != nil && !q.bucketExists(bucket) {
			return nil, &errSQL{fmt.Sprintf("HIVE_FILESYSTEM_ERROR: The specified bucket does not exist: %s (the location of table %s.%s is %s)", bucket, q.db, t.Name, t.Location)}
		}
		return n, nil
	}
	return q.view(n, t)
}

// maxViewDepth bounds views over views.
const maxViewDepth = 10

// view replaces a reference to view t with its query, bridged.
func (q *trinoQuery) view(ref astNode, t *catalog.Table) (any, error) {
	v, err := decodeView(t.ViewOriginalText)
	if err != nil {
		return nil, &errSQL{fmt.Sprintf("VIEW_IS_STALE: view %s.%s: %v", q.db, t.Name, err)}
	}
	if q.views >= maxViewDepth {
		return nil, &errSQL{fmt.Sprintf("VIEW_IS_RECURSIVE: view %s.%s reads views more than %d deep", q.db, t.Name, maxViewDepth)}
	}
	// The view's Trino SQL, rewritten as a query's is (bare aliases, legacy types...).
	text, err := rewriteSQL(v.OriginalSQL, nil)
	if err != nil {
		return nil, &errSQL{fmt.Sprintf("VIEW_IS_STALE: view %s.%s: %v", q.db, t.Name, err)}
	}
	inner := &trinoQuery{ctx: q.ctx, syn: q.syn, db: q.db, tables: q.tables, views: q.views + 1, text: text, bucketExists: q.bucketExists, schemaExists: q.schemaExists}
	stmt, err := q.syn.parse(q.ctx, text)
	if err != nil {
		return nil, &errSQL{fmt.Sprintf("VIEW_IS_STALE: view %s.%s: %v", q.db, t.Name, err)}
	}
	if err := inner.pass1(stmt); err != nil {
		return nil, err
	}
	ref2, err := q.syn.parse(q.ctx, "SELECT * FROM (SELECT 1) AS v")
	if err != nil {
		return nil, err
	}
	from := at(ref2, "node", "from_table").(astNode)
	from["subquery"].(astNode)["node"] = stmt["node"]
	from["alias"] = cmp.Or(str(ref["alias"]), t.Name)
	var cols []any
	for _, c := range v.Columns {
		cols = append(cols, c.Name)
	}
	if aliases, _ := ref["column_name_alias"].([]any); len(aliases) > 0 {
		cols = aliases
	}
	if cols != nil {
		from["column_name_alias"] = cols
	}
	return from, nil
}

// needsTypes says whether pass 2 has anything to do.
func needsTypes(stmt astNode) bool {
	found := false
	transform(stmt, nil, func(n astNode, _ []astNode) (any, error) {
		found = found || typedCall(n) != ""
		return n, nil
	})
	return found
}

// typedCall names what pass 2 rewrites a node as, or "".
func typedCall(n astNode) string {
	if m := markerName(n); m == "__reverse" {
		return m
	}
	if isBigintArg(n) {
		return bigintMarker
	}
	switch class(n) {
	case "CAST":
		if standInOf(n) != "" {
			return standInOf(n)
		}
		return "CAST"
	case "OPERATOR":
		switch str(n["type"]) {
		case "ARRAY_EXTRACT":
			if m := markerOf(children(n)); m != "" {
				return m
			}
		case "COMPARE_IN", "COMPARE_NOT_IN":
			return "in"
		}
	case "COMPARISON":
		return "compare"
	case "BETWEEN":
		return "between"
	case "SUBQUERY":
		if markerName(n["child"]) == "__any" {
			return "__any"
		}
	case "FUNCTION", "WINDOW":
		name := strings.ToLower(str(n["function_name"]))
		if name == "avg" && len(children(n)) == 1 && markerName(children(n)[0]) == "__avg" {
			return "avg"
		}
		if markedAggregate(n) {
			return "agg"
		}
		if class(n) == "FUNCTION" {
			switch name {
			case "/", "%", "+", "-", "*", "round", "sign", "date_trunc", "list_pack", "length":
				return name
			}
			if nanFree[name] {
				return name
			}
		}
	}
	if hasNaNFirst(n) {
		return "orders"
	}
	return ""
}

// pass2 rewrites what depends on the operands' types.
func (q *trinoQuery) pass2(stmt astNode, plan planNodes) error {
	_, err := transform(stmt, nil, func(n astNode, path []astNode) (any, error) {
		call := typedCall(n)
		if call == "" {
			return n, nil
		}
		switch call {
		case "orders":
			return q.orders(n, plan)
		case "compare":
			return q.compare(n, plan, path)
		case "between":
			return q.between(n, plan, path)
		case "in":
			return q.in(n, plan, path)
		case "agg":
			return q.aggregate(n, plan)
		case "__any":
			return q.anySubquery(n, plan)
		case "__subscript", "__element_at":
			return q.subscript(n, call, plan)
		case "__reverse", "__cardinality", "__length":
			return q.standIn(n, call, plan)
		case bigintMarker:
			return q.bigintArg(n, plan)
		case "avg":
			arg, t := unmark(children(n)[0].(astNode), plan)
			n["children"] = []any{arg}
			if err := numberAggregate("avg", t); err != nil {
				return nil, err
			}
			if t.id == "FLOAT" {
				return q.aggregateOf(n, "CAST(avg(__1) AS FLOAT)", []any{arg}) // Trino's avg of a real is a real
			}
			if t.id == "INTERVAL" {
				return q.aggregateOf(n, intervalAvg, []any{arg})
			}
			if t.id != "DECIMAL" {
				return n, nil
			}
			if class(n) == "WINDOW" {
				return nil, &errSQL{"NOT_SUPPORTED: avg of a decimal over a window is not emulated (Trino's is a decimal of the same scale): cast it to double"}
			}
			return q.typed(call, n, []any{arg}, []duckType{t})
		}
		var args []any
		if call == "CAST" {
			if !castDiffers(parseDuckType(n["cast_type"])) || isBooleanLiteral(n) {
				return n, nil
			}
			args = []any{n["child"]}
		} else {
			args = children(n)
		}
		// The plan has no expressions for what DuckDB folds into constants
		// (a table function's arguments): literals and casts are typed from
		// the tree.
		ops := make([]astNode, len(args))
		if bound, ok := plan[queryLocation(n)]; ok {
			if b := boundOperands(underAddedCasts(bound, call == "CAST")); len(b) == len(args) || nanFree[call] && len(b) > len(args) {
				ops = b[:len(args)] // list_max(l) binds as list_aggr(l, 'max')
			}
		}
		types := make([]duckType, len(args))
		retyped := false
		for i := range args {
			if t, ok := q.retyped[nodeID(args[i])]; ok {
				types[i], retyped = t, true
				continue
			}
			if t, ok := q.trinoTypes[nodeID(args[i])]; ok {
				types[i] = t
				continue
			}
			if q.tainted[nodeID(args[i])] && call == "*" {
				return n, nil // as DuckDB types it: * was no typed call before
			}
			if q.tainted[nodeID(args[i])] {
				return nil, &errSQL{fmt.Sprintf("NOT_SUPPORTED: the emulated Athena cannot tell the type of an operand of %s that holds a division inside another call: cast that operand", callName(call, n))}
			}
			if types[i] = operandType(args[i], ops[i]); types[i].id == "" {
				types[i] = q.locatedType(args[i], plan, path)
			}
			if types[i].id == "" && call == "CAST" {
				types[i] = castOperandByParent(n, path, plan)
			}
			if types[i].id == "" && call == "CAST" && !parseDuckType(n["cast_type"]).isInteger() {
				return n, nil // the cast's source is a constant DuckDB folded: not a double or a string here
			}
			if types[i].id == "" && (nanFree[call] || call == "*" || call == "length") {
				return n, nil // a lambda's free variable: no double known here; length: DuckDB's types it
			}
			if types[i].id == "" {
				return nil, &errSQL{fmt.Sprintf("NOT_SUPPORTED: the emulated Athena cannot tell the type of the operands of %s here (in a constant table function argument, write them as literals or CASTs)", callName(call, n))}
			}
		}
		out, err := q.typed(call, n, args, types)
		if err != nil {
			return nil, err
		}
		if t, ok := trinoOnlyType(call, types, retyped); ok {
			q.retype(out, t, path)
		} else if retyped && !nanFree[call] {
			return nil, &errSQL{fmt.Sprintf("NOT_SUPPORTED: the emulated Athena cannot tell the type of %s of a division's result here: cast the division", callName(call, n))}
		}
		return out, nil
	})
	return err
}

// trinoOnlyType is the type of a call whose Trino type the plan does not
// have: an integer or decimal division (DuckDB's / is DOUBLE), or +, -, %
// of integers, or round or sign, over such a division.
func trinoOnlyType(call string, t []duckType, retyped bool) (duckType, bool) {
	if retyped && len(t) > 0 && (call == "round" || call == "sign" || call == "nullif") {
		return t[0], true // of the first operand's type
	}
	if retyped && (call == "greatest" || call == "least") {
		w := t[0]
		for _, x := range t[1:] {
			if !x.isInteger() || !w.isInteger() {
				return duckType{}, false
			}
			w = widerInteger(w, x)
		}
		return w, w.isInteger()
	}
	if len(t) != 2 {
		return duckType{}, false
	}
	intLike := func(t duckType) bool { return t.isInteger() || t.id == "NULL" }
	switch {
	case intLike(t[0]) && intLike(t[1]) && (call == "/" || retyped && (call == "+" || call == "-" || call == "*" || call == "%")):
		return widerInteger(t[0], t[1]), true
	case retyped && (call == "+" || call == "-" || call == "*" || call == "%") && (t[0].id == "DECIMAL" || t[1].id == "DECIMAL"):
		return trinoDecimalType(call, t[0], t[1])
	case call == "/" && (t[0].id == "DECIMAL" || t[1].id == "DECIMAL"):
		p1, s1, ok1 := t[0].asDecimal()
		_, s2, ok2 := t[1].asDecimal()
		if ok1 && ok2 { // as typed rewrites it
			return duckType{id: "DECIMAL", width: min(38, p1+s2+max(0, s2-s1)), scale: max(s1, s2)}, true
		}
	}
	return duckType{}, false
}

// retype records that n's type is t, not the plan's, and taints the nodes
// above it.
func (q *trinoQuery) retype(n any, t duckType, path []astNode) {
	if q.retyped == nil {
		q.retyped, q.tainted = map[uintptr]duckType{}, map[uintptr]bool{}
	}
	q.retyped[nodeID(n)] = t
	for _, p := range path {
		q.tainted[nodeID(p)] = true
	}
}

// underAddedCasts is the bound call under the casts the binder put on top
// of it to fit its own caller ((n - 1) / 2 casts n - 1 to DOUBLE): they
// share its location. For a CAST, the innermost cast there is the call.
func underAddedCasts(b astNode, isCast bool) astNode {
	for str(b["expression_class"]) == "BOUND_CAST" {
		c, ok := b["child"].(astNode)
		if !ok || queryLocation(c) != queryLocation(b) || isCast && str(c["expression_class"]) != "BOUND_CAST" {
			break
		}
		b = c
	}
	return b
}

// locatedType types an operand the plan has no call for (a call inside a
// lambda loses its location there): by the operand's own location, under
// the cast the binder adds, or, for a lambda's parameter, as an element of
// the list the lambda's function takes.
func (q *trinoQuery) locatedType(arg any, plan planNodes, path []astNode) duckType {
	a, ok := arg.(astNode)
	if !ok {
		return duckType{}
	}
	if b, ok := plan[queryLocation(a)]; ok {
		if str(b["expression_class"]) == "BOUND_CAST" {
			if c, ok := b["child"].(astNode); ok && (queryLocation(c) < 0 || queryLocation(c) == queryLocation(b)) {
				return exprType(c)
			}
		}
		return exprType(b)
	}
	name := placeholderName(a)
	if name == "" {
		return duckType{}
	}
	for i := len(path) - 1; i > 0; i-- {
		if class(path[i]) != "LAMBDA" {
			continue
		}
		params := []any{path[i]["lhs"]}
		if lhs, _ := path[i]["lhs"].(astNode); class(lhs) == "FUNCTION" {
			params = children(lhs)
		}
		for j, p := range params {
			if pn, _ := p.(astNode); placeholderName(pn) != name {
				continue
			}
			if j == 1 {
				return duckType{id: "BIGINT"} // (element, index)
			}
			fn := path[i-1]
			b, ok := plan[queryLocation(fn)]
			if !ok || len(boundOperands(b)) == 0 {
				return duckType{}
			}
			return parseDuckType(elementType(boundOperands(b)[0]["return_type"]))
		}
	}
	return duckType{}
}

// placeholderName is a one-part column reference's name, or "".
func placeholderName(n astNode) string {
	if class(n) != "COLUMN_REF" {
		return ""
	}
	names, _ := n["column_names"].([]any)
	if len(names) != 1 {
		return ""
	}
	return str(names[0])
}

// callName names a call pass 2 types, for a message: Trino's name.
func callName(call string, n astNode) string {
	switch call {
	case "list_pack":
		return "sequence"
	case "CAST":
		return "CAST"
	}
	return str(n["function_name"])
}

// typed rewrites one call whose operands have the given types.
func (q *trinoQuery) typed(call string, n astNode, args []any, t []duckType) (any, error) {
	if nanFree[call] {
		return q.nanCall(call, n, args, t)
	}
	switch call {
	case "+", "-", "*", "/", "%":
		if x, done, err := q.arithmetic(call, n, &args, &t); done || err != nil {
			return x, err
		}
	}
	switch call {
	case "/", "%":
		if len(t) != 2 {
			return n, nil
		}
		a, b := t[0], t[1]
		if a.isFloat() || b.isFloat() {
			return n, nil // IEEE: Infinity and NaN, as in Trino
		}
		intLike := func(t duckType) bool { return t.isInteger() || t.id == "NULL" }
		switch {
		case intLike(a) && intLike(b):
			op := "//"
			if call == "%" {
				op = "%"
			}
			return q.fill("CASE WHEN __2 = 0 THEN error('DIVISION_BY_ZERO: Division by zero') ELSE (__1 "+op+" __2) END", args, n)
		case call == "%" && (a.id == "DECIMAL" || b.id == "DECIMAL"):
			return q.fill("CASE WHEN __2 = 0 THEN error('DIVISION_BY_ZERO: Division by zero') ELSE (__1 % __2) END", args, n)
		case a.id == "DECIMAL" || b.id == "DECIMAL":
			p1, s1, ok1 := a.asDecimal()
			_, s2, ok2 := b.asDecimal()
			if !ok1 || !ok2 {
				return n, nil
			}
			scale := max(s1, s2)
			precision := min(38, p1+s2+max(0, s2-s1))
			return q.fill(decimalDivision(precision, scale), args, n)
		}
	case "+", "-":
		if len(t) != 2 {
			return n, nil
		}
		if (t[0].id == "DATE" && t[1].isInteger()) || (t[0].isInteger() && t[1].id == "DATE") {
			return nil, &errSQL{fmt.Sprintf("SYNTAX_ERROR: '%s' cannot be applied to %s, %s: add an interval (INTERVAL '1' DAY) or use date_add", call, strings.ToLower(t[0].id), strings.ToLower(t[1].id))}
		}
		if t[0].id == "DATE" && t[1].id == "DATE" && call == "-" {
			return nil, &errSQL{"NOT_SUPPORTED: date - date is not emulated: use date_diff('day', a, b)"}
		}
		dateSide := -1
		switch {
		case t[0].id == "DATE" && t[1].id == "INTERVAL":
			dateSide = 1
		case t[1].id == "DATE" && t[0].id == "INTERVAL" && call == "+":
			dateSide = 0
		}
		if dateSide < 0 {
			return n, nil
		}
		if f, ok := args[dateSide].(astNode); ok && class(f) == "FUNCTION" {
			switch fn := str(f["function_name"]); fn {
			case "to_hours", "to_minutes", "to_seconds", "to_milliseconds", "to_microseconds":
				return nil, &errSQL{fmt.Sprintf("INVALID_FUNCTION_ARGUMENT: %s is not a valid unit for a date: cast it to a timestamp first", strings.TrimPrefix(fn, "to_"))}
			}
		}
		return q.fill("CAST((__1 "+call+" __2) AS DATE)", args, n)
	case "avg":
		if len(t) != 1 || t[0].id != "DECIMAL" {
			return n, nil
		}
		// Trino's avg of decimal(p,s) is decimal(p,s), rounded half up.
		// No value (no rows, or only NULLs) is NULL, not a division by zero.
		expr := "CASE WHEN count(__1) = 0 THEN NULL ELSE " + strings.NewReplacer("__SUM", "sum(__1)", "__COUNT", "count(__1)").Replace(
			decimalDivisionOf("__SUM", "__COUNT", t[0].width, t[0].scale)) + " END"
		expr = fmt.Sprintf("CAST(%s AS DECIMAL(%d,%d))", expr, t[0].width, t[0].scale)
		out, err := q.fill(expr, args, nil)
		if err != nil {
			return nil, err
		}
		copyAggregateModifiers(n, out)
		return out, nil
	case "round":
		if len(t) == 2 && t[0].id == "DECIMAL" {
			return q.fill(fmt.Sprintf("CAST(round(__1, __2) AS DECIMAL(%d,%d))", min(38, t[0].width+1), t[0].scale), args, n)
		}
	case "sign":
		if len(t) == 1 {
			switch {
			case t[0].isFloat(): // Java's signum: -0.0 and NaN are their own sign
				return q.fill("CASE WHEN __1 = 0 OR isnan(__1) THEN __1 ELSE CAST(sign(__1) AS "+t[0].sqlName()+") END", args, n)
			case t[0].isInteger():
				return q.fill("CAST(sign(__1) AS "+t[0].sqlName()+")", args, n)
			case t[0].id == "DECIMAL":
				return q.fill("CAST(sign(__1) AS DECIMAL(1,0))", args, n)
			}
		}
	case "length":
		if len(t) == 1 && (t[0].id == "LIST" || t[0].id == "ARRAY") { // DuckDB's length of a list is its cardinality
			return nil, &errSQL{fmt.Sprintf("FUNCTION_NOT_FOUND: Unexpected parameters (%s) for function length", trinoTypeName(t[0]))}
		}
	case "date_trunc":
		if len(t) == 2 && t[1].id == "DATE" {
			return q.fill("CAST(date_trunc(__1, __2) AS DATE)", args, n)
		}
	case "list_pack": // sequence(start, stop[, step])
		return q.sequence(args, t)
	case "CAST":
		return q.cast(n, t[0])
	}
	return n, nil
}

// sequence is Trino's sequence: inclusive, counting down when start is
// after stop, dates stepping a day; a step of 0 or away from stop, or more
// than 10000 entries, is an error.
func (q *trinoQuery) sequence(args []any, t []duckType) (any, error) {
	if len(t) < 2 || len(t) > 3 {
		return nil, &errSQL{"FUNCTION_NOT_FOUND: Unexpected parameters for function sequence: it takes start, stop and an optional step"}
	}
	step := "__3"
	switch {
	case t[0].isInteger() && t[1].isInteger():
		if len(t) == 2 {
			step = "CASE WHEN __1 <= __2 THEN 1 ELSE -1 END"
		}
		return q.fill("CASE WHEN "+step+" = 0 THEN error('"+sequenceZero+"') "+
			"WHEN ("+step+" > 0 AND __2 < __1) OR ("+step+" < 0 AND __2 > __1) THEN error('"+sequenceDirection+"') "+
			"WHEN (CAST(__2 AS HUGEINT) - __1) // "+step+" >= 10000 THEN error('"+sequenceTooLong+"') "+
			"ELSE generate_series(__1, __2, "+step+") END", args, nil)
	case t[0].id == "DATE" && t[1].id == "DATE" && len(t) == 2:
		return q.fill("CASE WHEN abs(date_diff('day', __1, __2)) >= 10000 THEN error('"+sequenceTooLong+"') "+
			"ELSE list_transform(generate_series(__1, __2, CASE WHEN __1 <= __2 THEN to_days(1) ELSE to_days(-1) END), __x -> CAST(__x AS DATE)) END", args, nil)
	case len(t) == 3:
		series := "generate_series(__1, __2, __3)"
		if t[0].id == "DATE" && t[1].id == "DATE" {
			series = "list_transform(" + series + ", __x -> CAST(__x AS DATE))"
		}
		return q.fill("CASE WHEN __1 + __3 = __1 THEN error('"+sequenceZero+"') "+
			"WHEN (__1 + __3 > __1 AND __2 < __1) OR (__1 + __3 < __1 AND __2 > __1) THEN error('"+sequenceDirection+"') "+
			"WHEN len("+series+") > 10000 THEN error('"+sequenceTooLong+"') ELSE "+series+" END", args, nil)
	}
	return nil, &errSQL{"INVALID_FUNCTION_ARGUMENT: sequence of timestamps needs a step (an interval)"}
}

// Trino's errors for sequence's arguments.
const (
	sequenceZero      = "INVALID_FUNCTION_ARGUMENT: step must not be zero"
	sequenceDirection = "INVALID_FUNCTION_ARGUMENT: sequence stop value should be greater than or equal to start value if step is greater than zero otherwise stop should be less than or equal to start"
	sequenceTooLong   = "INVALID_FUNCTION_ARGUMENT: result of sequence function must not have more than 10000 entries"
)

// castDiffers says whether a cast to t may answer differently in DuckDB,
// for pass 2 to bridge or refuse by the operand's type.
func castDiffers(t duckType) bool {
	switch {
	case t.isInteger(), t.isFloat():
		return true
	}
	switch t.id {
	case "BOOLEAN", "VARCHAR", "DECIMAL", "DATE", "TIMESTAMP", "JSON", "STRUCT":
		return true
	}
	return false
}

// constantMatches says whether v is a string constant that pattern
// matches whole.
func constantMatches(v any, pattern string) bool {
	s, ok := constantString(v)
	return ok && regexp.MustCompile(`^(?:`+pattern+`)$`).MatchString(s)
}

// Trino's casts of strings to dates and timestamps take these forms only
// (DuckDB's also take a time after a date, or a T before it).
const (
	trinoDateText      = `\s*[+-]?[0-9]{4,}-[0-9]{1,2}-[0-9]{1,2}\s*`
	trinoTimestampText = `[+-]?[0-9]{4,}-[0-9]{1,2}-[0-9]{1,2}( [0-9]{1,2}:[0-9]{1,2}(:[0-9]{1,2}(\.[0-9]+)?)?)?\s*`
)

// cast bridges the casts whose results differ: a double to an integer
// rounds half away from zero (DuckDB rounds half to even), a string to an
// integer must hold an integer (DuckDB rounds '1.5'), a string to a
// boolean must be true, false, t, f, 1 or 0 (DuckDB takes yes and no), a
// string to a double must spell infinity and NaN as Java does (DuckDB
// takes inf). A double or a timestamp with time zone cast to varchar is
// refused: Trino writes 1.0E0 and the zone's name.
func (q *trinoQuery) cast(n astNode, from duckType) (any, error) {
	to := parseDuckType(n["cast_type"])
	try := n["try_cast"] == true
	castOp := "CAST"
	if try {
		castOp = "TRY_CAST"
	}
	bad := "error(printf('Cannot cast ''%s'' to " + to.sqlName() + "', __1))"
	if try {
		bad = "NULL"
	}
	switch {
	case to.id == "VARCHAR" && from.isFloat():
		return nil, &errSQL{"NOT_SUPPORTED: a cast of a double or real to varchar answers differently here than in Athena (Trino writes 1.0E0): cast it to a decimal first"}
	case to.id == "VARCHAR" && (from.id == "TIME WITH TIME ZONE" || from.id == "TIMETZ"):
		return nil, &errSQL{"NOT_SUPPORTED: a cast of a time with time zone to varchar answers differently here than in Athena (Trino writes the offset as +00:00): cast it to time first"}
	case to.id == "VARCHAR" && from.id == "TIMESTAMP WITH TIME ZONE":
		return nil, &errSQL{"NOT_SUPPORTED: a cast of a timestamp with time zone to varchar answers differently here than in Athena (Trino writes the zone's name): use date_format"}
	case to.id == "DECIMAL" && from.id == "DOUBLE":
		// Trino rounds the double's shortest decimal text (Java's
		// BigDecimal.valueOf) half up: 1.005E0 is 1.01 (DuckDB rounds the
		// binary value, 1.00499999..., to 1.00).
		return q.fill(castOp+"(CAST(__1 AS VARCHAR) AS "+to.sqlName()+")", []any{n["child"]}, n)
	case to.id == "DECIMAL" && from.id == "JSON":
		// Trino rounds the JSON number's text half up; DuckDB reads it
		// as a double first.
		return q.fill(castOp+"(json_extract_string(__1, '$') AS "+to.sqlName()+")", []any{n["child"]}, n)
	case to.id == "STRUCT" && from.id == "JSON":
		return q.jsonToRow(n) // athena_trino_json.go
	case to.id == "JSON" && from.id == "MAP":
		return q.jsonFromMap(n) // athena_trino_json.go
	case to.id == "VARCHAR" && from.id == "JSON":
		// Trino's is a scalar's text (a string without its quotes, null
		// NULL); DuckDB's is the JSON text.
		return q.fill("CASE WHEN json_type(__1) IN ('OBJECT', 'ARRAY') THEN "+strings.ReplaceAll(bad, "%s", "json")+" ELSE json_extract_string(__1, '$') END", []any{n["child"]}, n)
	case to.isInteger() && from.id == "JSON":
		// Trino rounds a JSON number half up (DuckDB half to even) and
		// reads a JSON string as a string cast.
		return q.fill("CASE json_type(__1) WHEN 'DOUBLE' THEN "+castOp+"(round(CAST(__1 AS DOUBLE)) AS "+to.sqlName()+") WHEN 'VARCHAR' THEN CASE WHEN NOT regexp_full_match(trim(json_extract_string(__1, '$')), '[+-]?[0-9]+') THEN "+strings.ReplaceAll(bad, "__1", "json_extract_string(__1, '$')")+" ELSE "+castOp+"(json_extract_string(__1, '$') AS "+to.sqlName()+") END ELSE "+castOp+"(__1 AS "+to.sqlName()+") END", []any{n["child"]}, n)
	case to.id == "VARCHAR" && (from.id == "TIMESTAMP" || from.id == "TIME"):
		return q.timestampText(n, from.id == "TIME")
	case to.id == "VARCHAR" && from.id == "INTERVAL":
		return nil, &errSQL{"NOT_SUPPORTED: a cast of an interval to varchar is not emulated (Trino writes 1 00:00:00.000, DuckDB 1 day)"}
	case to.id == "VARCHAR" && from.id == "DECIMAL" && from.scale == from.width:
		// DuckDB writes a decimal with no integer digits as .05.
		return q.fill("regexp_replace("+castOp+"(__1 AS VARCHAR), '^(-?)[.]', '\\10.')", []any{n["child"]}, n)
	case to.id == "JSON" && from.id == "VARCHAR":
		if text, literal := constantString(n["child"]); literal {
			return n, jsonLiteralCheck(text) // JSON '...' (pass 1 bridged CAST('...' AS json))
		}
		return q.fill("to_json(__1)", []any{n["child"]}, n) // a JSON string, as Trino's
	case to.id == "DATE" && from.id == "VARCHAR" && constantMatches(n["child"], trinoDateText),
		to.id == "TIMESTAMP" && from.id == "VARCHAR" && constantMatches(n["child"], trinoTimestampText):
		return n, nil // a literal DATE '...' is a cast of a string, its text Trino's
	case to.id == "DATE" && from.id == "VARCHAR":
		return q.fill("CASE WHEN NOT regexp_full_match(__1, '"+trinoDateText+"') THEN "+bad+" ELSE "+castOp+"(trim(__1) AS DATE) END", []any{n["child"]}, n)
	case to.id == "TIMESTAMP" && from.id == "VARCHAR":
		return q.fill("CASE WHEN NOT regexp_full_match(__1, '"+trinoTimestampText+"') THEN "+bad+" ELSE "+castOp+"(__1 AS "+to.sqlName()+") END", []any{n["child"]}, n)
	case to.id == "BOOLEAN" && from.id == "VARCHAR":
		return q.fill("CASE WHEN __1 IS NULL THEN NULL WHEN lower(__1) IN ('true', 't', '1') THEN true WHEN lower(__1) IN ('false', 'f', '0') THEN false ELSE "+bad+" END", []any{n["child"]}, n)
	case to.isFloat() && from.id == "VARCHAR":
		if s, ok := constantString(n["child"]); ok && (!javaNonFinite(s) || regexp.MustCompile(`^\s*[+-]?(Infinity|NaN)\s*$`).MatchString(s)) {
			return n, nil // a literal number, or Java's infinity or NaN: DuckDB reads it as Java does
		}
		return q.fill("CASE WHEN regexp_full_match(lower(trim(__1)), '[+-]?(inf|infinity|nan)') AND NOT regexp_full_match(trim(__1), '[+-]?(Infinity|NaN)') THEN "+bad+" ELSE "+castOp+"(__1 AS "+to.sqlName()+") END", []any{n["child"]}, n)
	case !to.isInteger():
		return n, nil
	}
	switch {
	case from.isFloat():
		return q.fill(castOp+"(round(__1) AS "+to.sqlName()+")", []any{n["child"]}, n)
	case from.id == "VARCHAR":
		return q.fill("CASE WHEN NOT regexp_full_match(trim(__1), '[+-]?[0-9]+') THEN "+bad+" ELSE "+castOp+"(__1 AS "+to.sqlName()+") END", []any{n["child"]}, n)
	}
	return n, nil
}

// isBooleanLiteral says whether n is true or false, which DuckDB's parser
// writes as CAST('t' AS BOOLEAN): a cast Trino reads as DuckDB does.
func isBooleanLiteral(n astNode) bool {
	s, ok := constantString(n["child"])
	return ok && (s == "t" || s == "f") && parseDuckType(n["cast_type"]).id == "BOOLEAN"
}

// javaNonFinite says whether s names an infinity or NaN in any spelling
// (Java's, which Trino reads, or DuckDB's).
func javaNonFinite(s string) bool {
	s = strings.TrimLeft(strings.ToLower(strings.TrimSpace(s)), "+-")
	return s == "inf" || s == "infinity" || s == "nan"
}

// Markers: where the plan cannot locate a call (an aggregate has no
// location there; a subscript neither), pass 1 wraps the operand pass 2
// needs the type of in struct_extract(struct_pack(<marker> := x),
// '<marker>'), a call of x's own type that the plan locates. Pass 2 reads
// the type there and takes the marker away.

// mark wraps x in the named marker.
func (q *trinoQuery) mark(marker string, x any) (astNode, error) {
	alias := str(at(x, "alias")) // a select item's name stays its own
	m, err := q.fill("struct_extract(struct_pack("+marker+" := __1), '"+marker+"')", []any{x}, nil)
	if m != nil {
		m["alias"] = alias
	}
	return m, err
}

// marked returns x[i] with its container marked.
func (q *trinoQuery) marked(marker string, n astNode) (any, error) {
	kids := children(n)
	if len(kids) != 2 {
		return n, nil
	}
	m, err := q.mark(marker, kids[0])
	if err != nil {
		return nil, err
	}
	n["children"] = []any{m, kids[1]}
	return n, nil
}

// markerName names the marker v is, or "".
func markerName(v any) string {
	f, ok := v.(astNode)
	if !ok || class(f) != "FUNCTION" || str(f["function_name"]) != "struct_extract" || len(children(f)) != 2 {
		return ""
	}
	m, _ := constantString(children(f)[1])
	if strings.HasPrefix(m, "__") {
		return m
	}
	return ""
}

// markerOf names the marker of a subscript's container, or "".
func markerOf(kids []any) string {
	if len(kids) != 2 {
		return ""
	}
	if m := markerName(kids[0]); m == "__subscript" || m == "__element_at" {
		return m
	}
	return ""
}

// unmark returns what marker m holds and its type (by the plan, else from
// the tree), or an empty type if neither says.
func unmark(m astNode, plan planNodes) (any, duckType) {
	inner := children(children(m)[0].(astNode))[0]
	if n, ok := inner.(astNode); ok {
		n["alias"] = "" // its name in struct_pack(marker := x)
	}
	bound, _ := plan[queryLocation(m)] // sum(real) binds as sum(CAST(x AS DOUBLE)): the type is x's
	return inner, operandType(inner, bound)
}

func (q *trinoQuery) subscript(n astNode, marker string, plan planNodes) (any, error) {
	kids := children(n)
	container, typ := unmark(kids[0].(astNode), plan)
	args := []any{container, kids[1]}
	switch {
	case typ.id == "LIST" && marker == "__subscript":
		return q.fill(`CASE WHEN __2 = 0 THEN error('SQL array indices start at 1')
			WHEN __2 < 0 THEN error(printf('Array subscript is negative: %d', __2))
			WHEN __2 > len(__1) THEN error(printf('Array subscript must be less than or equal to array length: %d > %d', __2, len(__1)))
			ELSE __1[__2] END`, args, n)
	case typ.id == "LIST":
		return q.fill("CASE WHEN __2 = 0 THEN error('SQL array indices start at 1') ELSE __1[__2] END", args, n)
	case typ.id == "MAP" && marker == "__subscript":
		return q.fill("CASE WHEN map_contains(__1, __2) THEN __1[__2] WHEN __1 IS NULL OR __2 IS NULL THEN NULL ELSE error(printf('Key not present in map: %s', __2)) END", args, n)
	case typ.id == "MAP":
		return q.fill("__1[__2]", args, n)
	case typ.id == "":
		return nil, &errSQL{"NOT_SUPPORTED: the emulated Athena cannot tell the type of a subscripted value here (in a constant table function argument)"}
	}
	return nil, &errSQL{fmt.Sprintf("NOT_SUPPORTED: subscripts of %s values are not emulated (arrays and maps are)", strings.ToLower(typ.id))}
}

// decimalDivision is Trino's decimal division of __1 by __2 (decimals or
// integers): the exact quotient rounded half up to scale, as
// decimal(precision, scale). It divides the unscaled integers at scale
// exactly (HUGEINT); a quotient beyond 38 digits is DuckDB's overflow
// error, as it is Trino's.
func decimalDivision(precision, scale int) string {
	return decimalDivisionOf("__1", "__2", precision, scale)
}

func decimalDivisionOf(x, y string, precision, scale int) string {
	pow := "1" + strings.Repeat("0", scale)
	unscaled := func(v string) string {
		return fmt.Sprintf("CAST(CAST(%s AS DECIMAL(38,%d)) * CAST('%s' AS HUGEINT) AS HUGEINT)", v, scale, pow)
	}
	num := fmt.Sprintf("(%s * CAST('%s' AS HUGEINT))", unscaled(x), pow)
	den := unscaled(y)
	q := fmt.Sprintf("((%[1]s // %[2]s) + CASE WHEN 2 * abs(%[1]s %% %[2]s) >= abs(%[2]s) THEN sign(%[1]s) * sign(%[2]s) ELSE 0 END)", num, den)
	val := fmt.Sprintf("CAST(%s AS DECIMAL(38,0))", q)
	if scale > 0 {
		val = fmt.Sprintf("(%s * %s)", val, "0."+strings.Repeat("0", scale-1)+"1")
	}
	return fmt.Sprintf("CASE WHEN %s = 0 THEN error('DIVISION_BY_ZERO: Division by zero') ELSE CAST(%s AS DECIMAL(%d,%d)) END", den, val, precision, scale)
}

// fill is template tmpl with arguments args; the aggregate modifiers
// (DISTINCT, FILTER, ORDER BY) of orig, if any, go to the template's outer
// call.
func (q *trinoQuery) fill(tmpl string, args []any, orig astNode) (astNode, error) {
	t, err := q.syn.expr(q.ctx, tmpl)
	if err != nil {
		return nil, err
	}
	out := substitute(t, args)
	if orig != nil {
		copyAggregateModifiers(orig, out)
		if a := str(orig["alias"]); a != "" {
			out["alias"] = a
		}
	}
	return out, nil
}

// copyAggregateModifiers gives the aggregate calls of to the DISTINCT,
// FILTER and ORDER BY of the call from.
func copyAggregateModifiers(from, to astNode) {
	if from == nil || class(from) != "FUNCTION" {
		return
	}
	transform(to, nil, func(n astNode, _ []astNode) (any, error) {
		if class(n) == "FUNCTION" && isAggregate(str(n["function_name"])) {
			for _, k := range []string{"distinct", "filter", "order_bys"} {
				if v, ok := from[k]; ok && !(k == "distinct" && n[k] == true) { // a template's own DISTINCT stays
					n[k] = deepCopy(v)
				}
			}
		}
		return n, nil
	})
}

// Functions.

// function bridges one call (pass 1).
func (q *trinoQuery) function(n astNode) (any, error) {
	name := strings.ToLower(str(n["function_name"]))
	args := children(n)
	if n["is_operator"] == true {
		if name == "||" {
			return concatBridge(q, n, args)
		}
		if trinoOperators[name] {
			return n, nil
		}
		return nil, &errSQL{fmt.Sprintf("NOT_SUPPORTED: operator %s is not Trino SQL", name)}
	}
	schema := str(n["schema"])
	switch {
	case schema != "" && schema != "main":
		return nil, &errSQL{fmt.Sprintf("FUNCTION_NOT_FOUND: Function '%s.%s' not registered", schema, name)}
	case syntaxFunctions[name] && schema != "main":
		return nil, notRegistered(name)
	case parserMade(n):
		return n, nil
	}
	r, ok := trinoFunctions[name]
	if !ok {
		return nil, notRegistered(name)
	}
	switch {
	case r.refuse != "":
		return nil, &errSQL{fmt.Sprintf("NOT_SUPPORTED: function %s is not emulated: %s", name, r.refuse)}
	case r.custom != nil:
		return r.custom(q, n, args)
	case r.tmpl != nil:
		t, ok := r.tmpl[len(args)]
		if !ok {
			return nil, &errSQL{fmt.Sprintf("FUNCTION_NOT_FOUND: Unexpected parameters (%d arguments) for function %s", len(args), name)}
		}
		return q.fill(t, args, n)
	case r.to != "":
		n["function_name"] = r.to
	}
	if _, err := q.markAggregate(n); err != nil {
		return nil, err
	}
	return q.markAvg(n)
}

// markAvg marks avg's argument, for pass 2 to average decimals as Trino.
func (q *trinoQuery) markAvg(n astNode) (any, error) {
	if !strings.EqualFold(str(n["function_name"]), "avg") || len(children(n)) != 1 {
		return n, nil
	}
	m, err := q.mark("__avg", children(n)[0])
	if err != nil {
		return nil, err
	}
	n["children"] = []any{m}
	return n, nil
}

func notRegistered(name string) error {
	return &errSQL{fmt.Sprintf("FUNCTION_NOT_FOUND: Function '%s' not registered", name)}
}

// window checks a window function: ranking and value functions, and the
// aggregates that stay or are renamed.
func (q *trinoQuery) window(n astNode) (any, error) {
	name := strings.ToLower(str(n["function_name"]))
	switch name {
	case "lag", "lead", "first_value", "last_value", "nth_value":
	default:
		if n["ignore_nulls"] == true {
			return nil, &errSQL{fmt.Sprintf("SYNTAX_ERROR: IGNORE NULLS is only for lag, lead, first_value, last_value and nth_value, not %s", name)}
		}
	}
	if err := windowOffset(name, n); err != nil {
		return nil, err
	}
	if def, ok := n["default_expr"].(astNode); ok && (name == "lag" || name == "lead") {
		return q.windowDefault(n, def) // athena_trino_try.go
	}
	if off, ok := n["offset_expr"].(astNode); ok && (name == "lag" || name == "lead") && class(off) != "CONSTANT" {
		// An offset that changes by row is checked by row: DuckDB's
		// lag(x, -1) is lead(x, 1).
		alias := str(n["alias"])
		n["alias"] = ""
		x, err := q.fill("CASE WHEN __1 < 0 THEN error('INVALID_FUNCTION_ARGUMENT: Offset must be at least 0') ELSE __2 END", []any{deepCopy(off), n}, nil)
		if err != nil {
			return nil, err
		}
		x["alias"] = alias
		return x, nil
	}
	if windowFunctions[name] {
		return n, nil
	}
	if name == "avg" {
		return q.markAvg(n)
	}
	r, ok := trinoFunctions[name]
	switch {
	case !ok:
		return nil, notRegistered(name)
	case r.refuse != "":
		return nil, &errSQL{fmt.Sprintf("NOT_SUPPORTED: function %s is not emulated: %s", name, r.refuse)}
	case r.custom != nil || r.tmpl != nil:
		return nil, &errSQL{fmt.Sprintf("NOT_SUPPORTED: %s is not emulated as a window function", name)}
	case r.to != "":
		n["function_name"] = r.to
	}
	return q.markAggregate(n)
}

// windowOffset refuses the offsets Trino refuses and DuckDB takes: a
// negative one of lag and lead (DuckDB's lag(x, -1) is lead(x, 1)), and
// one below 1 of nth_value. A column's offset is checked by neither.
func windowOffset(name string, n astNode) error {
	least, off := int64(0), n["offset_expr"]
	if name == "nth_value" {
		least = 1
		if args := children(n); len(args) == 2 {
			off = args[1]
		}
	} else if name != "lag" && name != "lead" {
		return nil
	}
	c, ok := off.(astNode)
	if !ok || class(c) != "CONSTANT" || !treeType(c).isInteger() {
		return nil
	}
	if v, err := strconv.ParseInt(fmt.Sprint(at(c, "value", "value")), 10, 64); err == nil && v < least {
		return &errSQL{fmt.Sprintf("INVALID_FUNCTION_ARGUMENT: Offset must be at least %d", least)}
	}
	return nil
}

// trinoOperators are the operators (as DuckDB's parser names them) whose
// meaning is Trino's; /, %, + and - are typed in pass 2.
var trinoOperators = map[string]bool{
	"+": true, "-": true, "*": true, "/": true, "%": true, "||": true,
	"~~": true, "!~~": true, "like_escape": true, "not_like_escape": true,
}

// syntaxFunctions are the calls DuckDB's parser makes of Trino syntax
// (ARRAY[...], EXTRACT, ROW(...), POSITION(a IN b)): allowed only as that
// syntax.
var syntaxFunctions = map[string]bool{"list_value": true, "date_part": true, "row": true}

// parserMade says whether a call is DuckDB's parser's spelling of an
// INTERVAL literal (to_days(CAST(trunc(CAST('1' AS DOUBLE)) AS INTEGER))):
// its inner parts have no place in the statement text, where a call the
// user wrote has.
func parserMade(n astNode) bool {
	if queryLocation(n) < 0 {
		return true
	}
	kids := children(n)
	if !intervalFunctions[str(n["function_name"])] || len(kids) != 1 {
		return false
	}
	c, ok := kids[0].(astNode)
	// INTERVAL '1' SECOND places its cast at the call, the other units nowhere.
	return ok && class(c) == "CAST" && (queryLocation(c) < 0 || queryLocation(c) == queryLocation(n))
}

// intervalFunctions are what DuckDB's parser makes of INTERVAL 'n' UNIT.
var intervalFunctions = map[string]bool{
	"to_years": true, "to_quarters": true, "to_months": true, "to_weeks": true, "to_days": true, "to_hours": true,
	"to_minutes": true, "to_seconds": true, "to_milliseconds": true, "to_microseconds": true,
}

// windowFunctions are Trino's ranking and value window functions, the same
// in DuckDB.
var windowFunctions = map[string]bool{
	"row_number": true, "rank": true, "dense_rank": true, "percent_rank": true, "cume_dist": true,
	"ntile": true, "lag": true, "lead": true, "first_value": true, "last_value": true, "nth_value": true,
}

// isAggregate says whether a DuckDB function (as bridged) is an aggregate.
func isAggregate(name string) bool {
	switch strings.ToLower(name) {
	case "count", "sum", "min", "max", "avg", "count_if", "bool_and", "bool_or", "array_agg", "max_by", "min_by",
		"stddev", "stddev_samp", "stddev_pop", "variance", "var_samp", "var_pop", "corr", "covar_samp", "covar_pop",
		"regr_slope", "regr_intercept", "geometric_mean", "any_value", "approx_count_distinct", "quantile_disc":
		return true
	}
	return false
}

// fnRule is how a Trino function runs in DuckDB. The zero rule: it is
// DuckDB's function of the same name, arguments and meaning.
type fnRule struct {
	to     string                                                  // DuckDB's name for the same function
	tmpl   map[int]string                                          // DuckDB SQL by argument count: __1, __2, ... are the arguments
	custom func(q *trinoQuery, n astNode, args []any) (any, error) // a bridge that needs more than a template
	refuse string                                                  // why it is not emulated
}

func rename(to string) fnRule            { return fnRule{to: to} }
func refused(why string) fnRule          { return fnRule{refuse: why} }
func tmpl(byArity map[int]string) fnRule { return fnRule{tmpl: byArity} }
func tmpl1(t string) fnRule              { return fnRule{tmpl: map[int]string{1: t}} }
func tmpl2(t string) fnRule              { return fnRule{tmpl: map[int]string{2: t}} }

// trinoFunctions are the Trino functions the emulated Athena knows, by
// name. Each stays, is bridged or is refused; see fnRule.
var trinoFunctions = map[string]fnRule{
	// Aggregates.
	"count": {}, "count_star": {}, "sum": {}, "min": {}, "max": {}, "avg": {}, "count_if": {}, "bool_and": {}, "bool_or": {},
	"every": rename("bool_and"), "arbitrary": rename("any_value"), "any_value": {}, "array_agg": {},
	"max_by": {}, "min_by": {}, "stddev": {}, "stddev_samp": {}, "stddev_pop": {}, "variance": {},
	"var_samp": {}, "var_pop": {}, "corr": {}, "covar_samp": {}, "covar_pop": {}, "regr_slope": {},
	"regr_intercept": {}, "geometric_mean": {},
	// Exact: Trino's HyperLogLog is exact on small sets, DuckDB's is not.
	"approx_distinct": tmpl(map[int]string{1: "count(DISTINCT __1)", 2: "count(DISTINCT __1)"}),
	// An exact percentile is an answer approx_percentile may give.
	"approx_percentile":    fnRule{custom: percentileBridge},
	"histogram":            refused("its counts are typed differently"),
	"map_agg":              refused("DuckDB has no equivalent"),
	"listagg":              refused("use array_join(array_agg(x), ',')"),
	"checksum":             refused("DuckDB has no equivalent"),
	"approx_most_frequent": refused("DuckDB has no equivalent"), "kurtosis": refused("its estimator may differ"),
	"skewness": refused("its estimator may differ"), "reduce_agg": refused("DuckDB has no equivalent"),
	"multimap_agg": refused("DuckDB has no equivalent"), "bitwise_and_agg": refused("DuckDB has no equivalent"),
	"bitwise_or_agg": refused("DuckDB has no equivalent"),
	"entropy":        refused("DuckDB has no equivalent"), "numeric_histogram": refused("DuckDB has no equivalent"),

	// Math.
	"abs": {}, "ceil": {}, "ceiling": {}, "floor": {}, "exp": {}, "ln": logBridge("ln"), "log2": logBridge("log2"), "log10": logBridge("log10"),
	"log": tmpl2("(" + javaLog("ln", "__2") + ") / (" + javaLog("ln", "__1") + ")"), // Java's Math.log(x) / Math.log(b)
	"pow": {}, "power": {}, "sqrt": tmpl1("CASE WHEN __1 < 0 THEN CAST('NaN' AS DOUBLE) ELSE sqrt(__1) END"), "cbrt": cbrtBridge, "degrees": {},
	"radians": {}, "pi": {}, "e": tmpl(map[int]string{0: "exp(1)"}), "sin": {}, "cos": {}, "tan": {},
	"asin": tmpl1("CASE WHEN abs(__1) > 1 THEN CAST('NaN' AS DOUBLE) ELSE asin(__1) END"),
	"acos": tmpl1("CASE WHEN abs(__1) > 1 THEN CAST('NaN' AS DOUBLE) ELSE acos(__1) END"), "atan": {}, "atan2": {}, "sinh": {}, "cosh": {}, "tanh": {},
	"round": {}, "sign": {}, "truncate": rename("trunc"), "mod": tmpl2("(__1 % __2)"),
	"rand": tmpl(map[int]string{0: "random()"}), "random": tmpl(map[int]string{0: "random()", 1: "error('NOT_SUPPORTED: random(n) is not emulated (its type is n''s): use CAST(floor(random() * n) AS bigint)')"}),
	"infinity": tmpl(map[int]string{0: "CAST('Infinity' AS DOUBLE)"}), "nan": tmpl(map[int]string{0: "CAST('NaN' AS DOUBLE)"}),
	"is_nan": rename("isnan"), "is_finite": rename("isfinite"), "is_infinite": rename("isinf"),
	"greatest": fnRule{custom: nullIfAnyNull("greatest")}, "least": fnRule{custom: nullIfAnyNull("least")},
	"width_bucket": refused("DuckDB has no equivalent"), "from_base": refused("DuckDB has no equivalent"),
	"to_base": refused("DuckDB has no equivalent"), "bitwise_and": refused("DuckDB has no equivalent"),
	"bitwise_or": refused("DuckDB has no equivalent"), "bitwise_xor": refused("DuckDB has no equivalent"),

	// Strings.
	"length": fnRule{custom: standIn("length", 1, "__length", "BIGINT")}, "lower": {}, "upper": upperBridge, "substr": substrBridge, "substring": substrBridge, "strpos": tmpl(map[int]string{2: "strpos(__1, __2)", 3: "error('NOT_SUPPORTED: strpos(string, substring, instance) is not emulated: use strpos(string, substring)')"}), "trim": trimBridge("trim"),
	"ltrim": trimBridge("ltrim"), "rtrim": trimBridge("rtrim"), "lpad": padBridge("lpad"), "rpad": padBridge("rpad"), "starts_with": {}, "chr": withBigints("chr", map[int]string{1: "chr(CAST(__1 AS INTEGER))"}, 0), "position": {},
	"reverse": fnRule{custom: standIn("reverse", 1, "__reverse", "")}, "codepoint": rename("unicode"), "levenshtein_distance": tmpl2(asciiOnly("levenshtein_distance", "levenshtein(__1, __2)")),
	"hamming_distance": tmpl2(asciiOnly("hamming_distance", "hamming(__1, __2)")),
	"translate":        {},
	"concat_ws":        fnRule{custom: concatWSBridge},
	"concat":           fnRule{custom: concatBridge},
	"replace": tmpl(map[int]string{2: "replace(__1, __2, '')",
		// An empty search string matches before every character and at the end.
		3: "CASE WHEN __2 = '' THEN __3 || array_to_string(list_transform(range(length(__1)), __x -> substr(__1, __x + 1, 1) || __3), '') ELSE replace(__1, __2, __3) END"}),
	"split": tmpl(map[int]string{2: "CASE WHEN __2 = '' THEN error('INVALID_FUNCTION_ARGUMENT: The delimiter may not be the empty string') ELSE string_split(__1, __2) END",
		3: "error('NOT_SUPPORTED: split(string, delimiter, limit) is not emulated: use split(string, delimiter)')"}),
	"split_part":         fnRule{tmpl: map[int]string{3: "CASE WHEN __3 <= 0 THEN error('Index must be greater than zero') WHEN len(string_split(__1, __2)) < __3 THEN NULL ELSE split_part(__1, __2, __3) END"}},
	"regexp_like":        tmpl2("regexp_matches(__1, __2)"),
	"regexp_extract":     fnRule{custom: regexpExtractBridge},
	"regexp_extract_all": {},
	"regexp_replace":     fnRule{custom: regexpReplaceBridge},
	"regexp_split":       fnRule{custom: regexpSplitBridge},
	"regexp_count":       tmpl2("CAST(len(regexp_extract_all(__1, __2)) AS BIGINT)"),
	"regexp_position":    refused("DuckDB has no equivalent"),
	"to_utf8":            tmpl1("encode(__1)"), "from_utf8": tmpl1("decode(__1)"),
	"to_hex": tmpl1("hex(" + varbinaryArg + ")"), "from_hex": rename("unhex"), "to_base64": {}, "from_base64": {},
	"md5": tmpl1("unhex(md5(" + varbinaryArg + "))"), "sha1": tmpl1("unhex(sha1(" + varbinaryArg + "))"), "sha256": tmpl1("unhex(sha256(" + varbinaryArg + "))"),
	"crc32": refused("DuckDB has no equivalent"), "xxhash64": refused("DuckDB has no equivalent"),
	"murmur3": refused("DuckDB has no equivalent"), "sha512": refused("DuckDB has no equivalent"),
	"hmac_md5": refused("DuckDB has no equivalent"), "hmac_sha1": refused("DuckDB has no equivalent"),
	"hmac_sha256": refused("DuckDB has no equivalent"), "hmac_sha512": refused("DuckDB has no equivalent"),
	"format":        refused("Java's format specifiers differ from DuckDB's"),
	"format_number": refused("DuckDB has no equivalent"), "normalize": refused("DuckDB has no equivalent"),
	"url_extract_host": refused("DuckDB has no URL functions"), "url_extract_path": refused("DuckDB has no URL functions"),
	"url_extract_parameter": refused("DuckDB has no URL functions"), "url_extract_query": refused("DuckDB has no URL functions"),
	"url_decode": refused("DuckDB has no URL functions"), "url_encode": refused("DuckDB has no URL functions"),
	"word_stem": refused("DuckDB has no equivalent"), "soundex": refused("DuckDB has no equivalent"),

	// JSON.
	// Of text that is not JSON, Trino's are NULL; DuckDB's fail the query.
	"json_extract_scalar": fnRule{custom: jsonExtractScalarBridge}, "json_extract": fnRule{custom: jsonExtractBridge}, // athena_trino_json.go
	"json_array_length": tmpl1("CASE WHEN json_valid(__1) AND json_type(__1) = 'ARRAY' THEN CAST(json_array_length(__1) AS BIGINT) END"),
	"json_parse":        tmpl1(jsonNumbersChecked("json_parse", jsonParseChecked)), "json_format": tmpl1(jsonFormat), // athena_trino_json.go
	"json_size": fnRule{custom: jsonSizeBridge}, "json_array_get": refused("DuckDB has no equivalent"),
	"json_array_contains": refused("DuckDB has no equivalent"), "is_json_scalar": refused("DuckDB has no equivalent"),

	// Arrays and maps.
	"cardinality": fnRule{custom: standIn("cardinality", 1, "__cardinality", "BIGINT")}, "contains": tmpl2("CASE WHEN __1 IS NULL OR __2 IS NULL THEN NULL WHEN list_contains(__1, __2) THEN true WHEN list_count(__1) < len(__1) THEN NULL ELSE false END"), "flatten": {},
	"array_join": tmpl(map[int]string{2: "array_to_string(list_transform(__1, __x -> CAST(__x AS VARCHAR)), __2)", // Trino joins any array, as varchar
		3: "array_to_string(list_transform(__1, __x -> coalesce(CAST(__x AS VARCHAR), __3)), __2)"}),
	"array_max":      tmpl1("CASE WHEN list_count(__1) < len(__1) THEN NULL ELSE list_max(__1) END"),
	"array_min":      tmpl1("CASE WHEN list_count(__1) < len(__1) THEN NULL ELSE list_min(__1) END"),
	"array_position": tmpl2("CASE WHEN __1 IS NULL OR __2 IS NULL THEN NULL ELSE CAST(coalesce(list_position(__1, __2), 0) AS BIGINT) END"),
	"array_sort":     tmpl(map[int]string{1: "list_sort(__1, 'ASC', 'NULLS LAST')", 2: "error('NOT_SUPPORTED: array_sort with a comparator is not emulated (DuckDB has no equivalent): use array_sort(x), reverse(array_sort(x)) or transform')"}),
	"array_distinct": tmpl1("list_filter(__1, (__x, __i) -> list_position(__1, __x) = __i)"),
	"array_remove":   tmpl2("CASE WHEN __2 IS NULL THEN NULL ELSE list_filter(__1, __x -> __x IS NULL OR __x <> __2) END"),
	"arrays_overlap": tmpl2("CASE WHEN __1 IS NULL OR __2 IS NULL THEN NULL WHEN list_has_any(__1, __2) THEN true WHEN list_count(__1) < len(__1) OR list_count(__2) < len(__2) THEN NULL ELSE false END"),
	"element_at":     fnRule{custom: elementAtBridge},
	"slice": fnRule{tmpl: map[int]string{3: "CASE WHEN __2 IS NULL OR __3 IS NULL THEN NULL WHEN __3 < 0 THEN error('INVALID_FUNCTION_ARGUMENT: length must be greater than or equal to 0') WHEN __2 = 0 THEN error('INVALID_FUNCTION_ARGUMENT: SQL array indices start at 1') " +
		// A negative start counts from the end; one before the first element is an empty slice.
		// add and subtract, not + and -, which pass 2 types (and cannot where a NULL start folds them away).
		"WHEN __2 < 0 AND add(len(__1), __2) < 0 THEN list_slice(__1, 1, 0) WHEN __2 < 0 THEN list_slice(__1, add(add(len(__1), __2), 1), add(add(len(__1), __2), __3)) ELSE list_slice(__1, __2, subtract(add(__2, __3), 1)) END"}},
	"sequence":  fnRule{custom: sequenceBridge},
	"repeat":    tmpl2("list_transform(range(__2), __x -> __1)"),
	"transform": rename("list_transform"), "filter": rename("list_filter"),
	"any_match":  matchBridge("true", "false"),
	"all_match":  matchBridge("false", "true"),
	"none_match": matchBridge("true", "true"),
	"map":        {}, "map_keys": {}, "map_values": {}, "map_from_entries": {}, "map_entries": {}, "map_concat": {},
	"unnest": {custom: unnestBridge},
	"reduce": refused("DuckDB's list_reduce has no output function"),
	"zip":    refused("DuckDB has no equivalent"), "zip_with": refused("DuckDB has no equivalent"),
	"array_intersect": refused("DuckDB's keeps no order"), "array_union": refused("DuckDB's keeps no order"),
	"array_except": refused("DuckDB's keeps no order"), "map_filter": refused("DuckDB has no equivalent"),
	"transform_keys": refused("DuckDB has no equivalent"), "transform_values": refused("DuckDB has no equivalent"),
	"array_frequency": refused("DuckDB has no equivalent"), "combinations": refused("DuckDB has no equivalent"),
	"ngrams": refused("DuckDB has no equivalent"), "shuffle": refused("DuckDB has no equivalent"),

	// Dates and times.
	"current_date": {}, "current_timestamp": {}, "now": {}, "localtimestamp": {},
	"current_timezone": tmpl(map[int]string{0: "'UTC'"}),
	"date":             tmpl1("CAST(__1 AS DATE)"),
	"year":             {}, "quarter": {}, "month": {}, "week": {}, "day": {}, "hour": {}, "minute": {}, "second": {},
	"week_of_year": rename("week"), "day_of_month": rename("day"), "day_of_week": rename("isodow"),
	"dow": rename("isodow"), "day_of_year": rename("dayofyear"), "doy": rename("dayofyear"),
	"year_of_week": rename("isoyear"), "yow": rename("isoyear"),
	"millisecond":       tmpl1("(millisecond(__1) % 1000)"),
	"last_day_of_month": rename("last_day"),
	"date_trunc":        {},
	"date_add":          fnRule{custom: dateAddBridge},
	"date_diff":         fnRule{custom: dateDiffBridge},
	"date_format":       fnRule{custom: dateFormatBridge("date_format", "strftime")},
	"date_parse":        fnRule{custom: dateFormatBridge("date_parse", "strptime")},
	"from_unixtime": tmpl(map[int]string{1: "to_timestamp(__1)",
		2: "error('NOT_SUPPORTED: from_unixtime(unixtime, zone) is not emulated (a timestamp with a time zone): use from_unixtime(unixtime)')",
		3: "error('NOT_SUPPORTED: from_unixtime(unixtime, hours, minutes) is not emulated (a timestamp with a time zone): use from_unixtime(unixtime)')"}),
	"from_unixtime_nanos":    refused("DuckDB keeps microseconds"),
	"to_unixtime":            tmpl1("epoch(__1)"),
	"from_iso8601_timestamp": tmpl1(`CASE WHEN regexp_matches(__1, 'T[0-9:.,]*[+-][0-9][0-9](:?[0-9][0-9])?$') THEN error('NOT_SUPPORTED: from_iso8601_timestamp of a time with a UTC offset (+hh:mm) is not emulated: Athena keeps the offset, the emulator would shift it to UTC; give the time in UTC with Z') ELSE CAST(__1 AS TIMESTAMPTZ) END`),
	"from_iso8601_date":      tmpl1("CAST(__1 AS DATE)"),
	"date_part":              fnRule{custom: extractBridge},
	"timezone":               refused("AT TIME ZONE is not emulated"),
	"to_iso8601":             refused("DuckDB renders it differently"),
	"at_timezone":            refused("DuckDB has no equivalent"), "with_timezone": refused("DuckDB has no equivalent"),
	"timezone_hour": refused("timestamps with a time zone are not emulated"), "timezone_minute": refused("timestamps with a time zone are not emulated"),
	"format_datetime": refused("Joda-Time formats are not emulated: use date_format"),
	"parse_datetime":  refused("Joda-Time formats are not emulated: use date_parse"),
	"to_milliseconds": refused("DuckDB has no equivalent"), "parse_duration": refused("DuckDB has no equivalent"),
	"human_readable_seconds": refused("DuckDB has no equivalent"),

	// Other.
	"nullif": {}, "coalesce": {}, "uuid": {},
	"like_escape": {}, "not_like_escape": {}, // x [NOT] LIKE p ESCAPE e, as DuckDB's parser spells it
	"row":        fnRule{custom: rowBridge},
	"list_value": {},
	"typeof":     refused("DuckDB names types differently"),
	"version":    refused("Athena's names its engine's build"),
}

// logBridge is a logarithm as Java's: NaN below 0, -Infinity at 0
// (DuckDB's are errors).
func logBridge(fn string) fnRule { return tmpl1(javaLog(fn, "__1")) }

func javaLog(fn, x string) string {
	return "CASE WHEN " + x + " < 0 THEN CAST('NaN' AS DOUBLE) WHEN " + x + " = 0 THEN CAST('-Infinity' AS DOUBLE) ELSE " + fn + "(" + x + ") END"
}

// matchBridge is any_match, all_match or none_match: decided by an
// element whose predicate is decisive (true for any_match and none_match,
// false for all_match), which makes the answer "found"; else NULL if a
// predicate is NULL; else "none" (an empty array included).
func matchBridge(decisive, none string) fnRule {
	found := "false"
	if none == "false" {
		found = "true"
	}
	return tmpl2("CASE WHEN __1 IS NULL THEN NULL ELSE CASE coalesce(list_max(list_transform(list_transform(__1, __2), __x -> CASE WHEN __x IS NULL THEN 1 WHEN __x = " + decisive + " THEN 2 ELSE 0 END)), 0) " +
		"WHEN 2 THEN " + found + " WHEN 0 THEN " + none + " END END")
}

// substrBridge is Trino's substr: ” for a start of 0, a start before the
// string's beginning or a length of 0 or below (DuckDB's counts those from
// the start or backwards); NULL if any argument is.
var substrBridge = tmpl(map[int]string{
	2: "CASE WHEN __1 IS NULL OR __2 IS NULL THEN NULL WHEN __2 = 0 OR (__2 < 0 AND abs(__2) > length(__1)) THEN '' ELSE substr(__1, __2) END",
	3: "CASE WHEN __1 IS NULL OR __2 IS NULL OR __3 IS NULL THEN NULL WHEN __2 = 0 OR __3 <= 0 OR (__2 < 0 AND abs(__2) > length(__1)) THEN '' ELSE substr(__1, __2, __3) END",
})

// upperBridge is Trino's upper: each character as Java's
// Character.toUpperCase maps it, which is DuckDB's upper but for ß, which
// Java keeps (it has no one-character upper case) and DuckDB makes ẞ.
var upperBridge = tmpl1("CASE WHEN strpos(__1, 'ß') = 0 THEN upper(__1) ELSE array_to_string(list_transform(string_split(__1, 'ß'), __s -> upper(__s)), 'ß') END")

// cbrtBridge is cbrt with the cube root of a cube exact, as Java's is
// (DuckDB's C library makes cbrt(27) 3.0000000000000004). Other values
// may differ from Java's in the last digit, as Java's own do from one
// Java version to the next.
var cbrtBridge = tmpl1("CASE WHEN abs(__1) < 2251799813685248 AND round_even(cbrt(__1), 0) * round_even(cbrt(__1), 0) * round_even(cbrt(__1), 0) = __1 THEN round_even(cbrt(__1), 0) ELSE cbrt(__1) END")

// arity checks a call of name has n arguments and makes it a call of to.
func arity(name string, n int, to string) func(*trinoQuery, astNode, []any) (any, error) {
	return func(q *trinoQuery, node astNode, args []any) (any, error) {
		if len(args) != n {
			return nil, &errSQL{fmt.Sprintf("FUNCTION_NOT_FOUND: Unexpected parameters (%d arguments) for function %s", len(args), name)}
		}
		node["function_name"] = to
		return node, nil
	}
}

// nullIfAnyNull is Trino's greatest and least: NULL if any argument is
// (DuckDB's skip NULLs).
func nullIfAnyNull(fn string) func(*trinoQuery, astNode, []any) (any, error) {
	return func(q *trinoQuery, n astNode, args []any) (any, error) {
		return q.fill(fmt.Sprintf("CASE WHEN list_count(list_value(__args)) < %d THEN NULL ELSE %s(__args) END", len(args), fn), args, n)
	}
}

// concatBridge is Trino's concat: NULL if any argument is (DuckDB's skips
// NULLs), of strings or of arrays; || is both in DuckDB.
func concatBridge(q *trinoQuery, n astNode, args []any) (any, error) {
	if len(args) < 2 {
		return nil, &errSQL{"FUNCTION_NOT_FOUND: concat takes two or more arguments"}
	}
	// A bare NULL makes the result NULL, of the other arguments' type
	// (DuckDB's || with a NULL is of type NULL, Trino's varchar or array).
	var typed []any
	for _, a := range args {
		if !isBareNull(a, nil) {
			typed = append(typed, a)
		}
	}
	if len(typed) == 0 || len(typed) == len(args) {
		typed = args
	}
	out := typed[0]
	for _, a := range typed[1:] {
		x, err := q.fill("(__1 || __2)", []any{out, a}, nil)
		if err != nil {
			return nil, err
		}
		out = x
	}
	if len(typed) < len(args) {
		x, err := q.fill("CASE WHEN false THEN __1 END", []any{out}, nil)
		if err != nil {
			return nil, err
		}
		out = x
	}
	if o, ok := out.(astNode); ok {
		o["alias"] = n["alias"]
	}
	return out, nil
}

// concatWSBridge is Trino's concat_ws over strings, which DuckDB's is
// (NULL if the separator is, NULL values skipped); its array form is
// refused, as DuckDB's would join the array's text.
func concatWSBridge(q *trinoQuery, n astNode, args []any) (any, error) {
	if len(args) < 3 {
		return nil, &errSQL{"NOT_SUPPORTED: concat_ws(separator, array) is not emulated: use array_join(array, separator), or list the strings"}
	}
	return n, nil
}

// elementAtBridge marks the container for pass 2: element_at is NULL out
// of range (a subscript is an error).
func elementAtBridge(q *trinoQuery, n astNode, args []any) (any, error) {
	if len(args) != 2 {
		return nil, &errSQL{"FUNCTION_NOT_FOUND: element_at takes an array or map and an index or key"}
	}
	sub, err := q.syn.expr(q.ctx, "x[1]")
	if err != nil {
		return nil, err
	}
	sub["children"] = []any{args[0], args[1]}
	sub["alias"] = n["alias"]
	return q.marked("__element_at", sub)
}

// Stand-ins: a call whose DuckDB function depends on its argument's type
// (reverse of a string or an array, cardinality of an array or a map)
// stays in pass 1 as a marked argument of the call's result type: the
// marker itself when the result has the argument's type, else
// CAST(marker IS NULL AS <result type>). Pass 2 makes the call by type.

func standIn(fn string, n int, marker, result string) func(*trinoQuery, astNode, []any) (any, error) {
	return func(q *trinoQuery, node astNode, args []any) (any, error) {
		if len(args) != n {
			return nil, &errSQL{fmt.Sprintf("FUNCTION_NOT_FOUND: Unexpected parameters (%d arguments) for function %s", len(args), fn)}
		}
		m, err := q.mark(marker, args[0])
		if err != nil || result == "" {
			return m, err
		}
		return q.fill("CAST((__1 IS NULL) AS "+result+")", []any{m}, node)
	}
}

// standInOf names the stand-in a node is, or "".
func standInOf(n astNode) string {
	if m := markerName(n); m == "__reverse" {
		return m
	}
	if class(n) != "CAST" {
		return ""
	}
	isNull, _ := n["child"].(astNode)
	if class(isNull) != "OPERATOR" || str(isNull["type"]) != "OPERATOR_IS_NULL" || len(children(isNull)) != 1 {
		return ""
	}
	if m := markerName(children(isNull)[0]); m == "__cardinality" || m == "__length" {
		return m
	}
	return ""
}

// standIn makes a stand-in's call by its argument's type.
func (q *trinoQuery) standIn(n astNode, name string, plan planNodes) (any, error) {
	m := n
	if name != "__reverse" {
		m = children(n["child"].(astNode))[0].(astNode)
	}
	arg, t := unmark(m, plan)
	args := []any{arg}
	if name == "__length" {
		return q.lengthOf(n, arg, t)
	}
	switch {
	case name == "__reverse" && t.id == "LIST":
		return q.fill("list_reverse(__1)", args, n)
	case name == "__reverse":
		return q.fill("reverse(__1)", args, n)
	case t.id == "LIST":
		return q.fill("CAST(len(__1) AS BIGINT)", args, n)
	case t.id == "MAP":
		return q.fill("CAST(cardinality(__1) AS BIGINT)", args, n)
	}
	return nil, &errSQL{fmt.Sprintf("FUNCTION_NOT_FOUND: Unexpected parameters (%s) for function cardinality", strings.ToLower(cmp.Or(t.id, "unknown")))}
}

// sequenceBridge leaves sequence(start, stop[, step]) as list_pack of its
// arguments, a list of their type, for pass 2 to make it by type.
func sequenceBridge(q *trinoQuery, n astNode, args []any) (any, error) {
	if len(args) < 2 || len(args) > 3 {
		return nil, &errSQL{"FUNCTION_NOT_FOUND: sequence takes start, stop and an optional step"}
	}
	if len(args) == 3 && intervalKind(args[2], nil) != 0 {
		return nil, &errSQL{"NOT_SUPPORTED: sequence with an interval step is not emulated: make a sequence of numbers and add them as intervals (date_add)"}
	}
	n["function_name"] = "list_pack"
	return n, nil
}

// asciiOnly answers DuckDB's call of a two-string function that counts
// bytes where Trino's counts characters, refusing text that is not ASCII.
func asciiOnly(fn, call string) string {
	return "CASE WHEN regexp_matches(__1 || __2, '[^\\x00-\\x7F]') THEN error('NOT_SUPPORTED: " + fn + " of text that is not ASCII is not emulated (DuckDB counts bytes, Trino characters)') ELSE " + call + " END"
}

// varbinaryArg is the first argument of a Trino function that takes only
// varbinary where DuckDB's also takes varchar (md5('abc')): to_base64
// takes only a blob, so DuckDB converts a varchar, a conversion
// checkCoercions refuses, as Trino refuses the call.
const varbinaryArg = "from_base64(to_base64(__1))"

// numberAggregate refuses sum or avg of what Trino does not add: a
// boolean, a string, a date or a timestamp.
func numberAggregate(name string, t duckType) error {
	if f, _ := coercionFamily(t); t.id == "" || f == "number" || t.id == "INTERVAL" || t.id == "NULL" {
		return nil
	}
	return &errSQL{fmt.Sprintf("FUNCTION_NOT_FOUND: Unexpected parameters (%s) for function %s", trinoTypeName(t), name)}
}

// unnestBridge is UNNEST of one array; of several (Trino zips them) it is
// refused. Of an array of rows, see checkPlan.
func unnestBridge(q *trinoQuery, n astNode, args []any) (any, error) {
	if len(args) > 1 {
		return nil, &errSQL{"NOT_SUPPORTED: UNNEST of several arrays is not emulated: UNNEST each one"}
	}
	return n, nil
}

// rowBridge is ROW(a, b): Athena names its fields field0, field1, ...
func rowBridge(q *trinoQuery, n astNode, args []any) (any, error) {
	if len(args) == 0 {
		return nil, &errSQL{"SYNTAX_ERROR: ROW needs at least one field"}
	}
	fields := make([]string, len(args))
	for i := range args {
		fields[i] = fmt.Sprintf("field%d := __%d", i, i+1)
	}
	return q.fill("struct_pack("+strings.Join(fields, ", ")+")", args, n)
}

// dateUnits maps Trino's date_add and date_diff units to DuckDB's
// interval functions.
var dateUnits = map[string]string{
	"millisecond": "to_milliseconds(CAST(__2 AS BIGINT))", "second": "to_seconds(CAST(__2 AS BIGINT))",
	"minute": "to_minutes(CAST(__2 AS BIGINT))", "hour": "to_hours(CAST(__2 AS BIGINT))",
	"day": "to_days(CAST(__2 AS INTEGER))", "week": "to_weeks(CAST(__2 AS INTEGER))",
	"month": "to_months(CAST(__2 AS INTEGER))", "quarter": "to_months(CAST(3 * __2 AS INTEGER))",
	"year": "to_years(CAST(__2 AS INTEGER))",
}

func unitOf(fn string, v any) (string, error) {
	u, ok := constantString(v)
	u = strings.ToLower(u)
	if !ok {
		return "", &errSQL{fmt.Sprintf("NOT_SUPPORTED: %s's unit must be a string literal in the emulated Athena", fn)}
	}
	if _, known := dateUnits[u]; !known {
		return "", &errSQL{fmt.Sprintf("INVALID_FUNCTION_ARGUMENT: '%s' is not a valid unit for %s", u, fn)}
	}
	return u, nil
}

// dateAddBridge is date_add(unit, n, x): x plus an interval; pass 2 keeps a
// date a date.
func dateAddBridge(q *trinoQuery, n astNode, args []any) (any, error) {
	if len(args) != 3 {
		return nil, &errSQL{"FUNCTION_NOT_FOUND: date_add takes a unit, a value and a date or timestamp"}
	}
	u, err := unitOf("date_add", args[0])
	if err != nil {
		return nil, err
	}
	if args, err = q.markBigints("date_add", args, 1); err != nil {
		return nil, err
	}
	return q.fill("(__3 + "+dateUnits[u]+")", args, n)
}

// dateDiffBridge is date_diff(unit, a, b): whole units from a to b,
// DuckDB's date_sub (its date_diff counts boundaries crossed).
func dateDiffBridge(q *trinoQuery, n astNode, args []any) (any, error) {
	if len(args) != 3 {
		return nil, &errSQL{"FUNCTION_NOT_FOUND: date_diff takes a unit and two dates or timestamps"}
	}
	u, err := unitOf("date_diff", args[0])
	if err != nil {
		return nil, err
	}
	return q.fill("date_sub("+catalog.QuoteLiteral(u)+", __2, __3)", args, n)
}

// extractFields maps EXTRACT's Trino fields to DuckDB's date_part names.
var extractFields = map[string]string{
	"year": "year", "quarter": "quarter", "month": "month", "week": "week", "day": "day",
	"day_of_month": "day", "day_of_week": "isodow", "dow": "isodow", "day_of_year": "doy", "doy": "doy",
	"year_of_week": "isoyear", "yow": "isoyear", "hour": "hour", "minute": "minute", "second": "second",
}

// extractBridge is EXTRACT(field FROM x), which DuckDB parses as
// date_part('field', x): DOW is ISO (Monday 1) in Trino.
func extractBridge(q *trinoQuery, n astNode, args []any) (any, error) {
	f, ok := constantString(args[0])
	if !ok || len(args) != 2 {
		return n, nil
	}
	to, ok := extractFields[strings.ToLower(f)]
	if !ok {
		return nil, &errSQL{fmt.Sprintf("NOT_SUPPORTED: EXTRACT(%s FROM ...) is not emulated", f)}
	}
	return q.fill("date_part("+catalog.QuoteLiteral(to)+", __2)", args, n)
}

// dateFormatBridge maps fn(x, 'format') to to(x, 'strftime format'): the
// MySQL-style specifiers of Trino's date_format and date_parse.
func dateFormatBridge(fn, to string) func(*trinoQuery, astNode, []any) (any, error) {
	return func(q *trinoQuery, n astNode, args []any) (any, error) {
		if len(args) != 2 {
			return nil, &errSQL{fmt.Sprintf("FUNCTION_NOT_FOUND: %s takes a value and a format", fn)}
		}
		f, ok := constantString(args[1])
		if !ok {
			return nil, &errSQL{fmt.Sprintf("NOT_SUPPORTED: %s's format must be a string literal in the emulated Athena", fn)}
		}
		m, err := mysqlToStrftime(f)
		if err != nil {
			return nil, &errSQL{fmt.Sprintf("NOT_SUPPORTED: %s: %v", fn, err)}
		}
		call := to + "(__1, " + catalog.QuoteLiteral(m) + ")"
		if to == "strptime" && strings.Contains(strings.ReplaceAll(m, "%%", ""), "%y") {
			// Trino's two-digit years are 1970-2069, DuckDB's 1969-2068.
			call = "CASE WHEN year(" + call + ") = 1969 THEN date_add(" + call + ", INTERVAL '100' YEAR) ELSE " + call + " END"
		}
		return q.fill(call, args[:1], n)
	}
}

// Views, as Athena keeps them in the catalog: the view's SQL and columns
// in ViewOriginalText, "/* Presto View: <base64 of JSON> */".

type prestoView struct {
	OriginalSQL  string          `json:"originalSql"`
	Catalog      string          `json:"catalog"`
	Schema       string          `json:"schema"`
	Columns      []prestoViewCol `json:"columns"`
	Owner        string          `json:"owner,omitempty"`
	RunAsInvoker bool            `json:"runAsInvoker"`
}

type prestoViewCol struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

const (
	prestoViewPrefix = "/* Presto View: "
	prestoViewSuffix = " */"
)

func encodeView(v prestoView) string {
	b, _ := json.Marshal(v)
	return prestoViewPrefix + base64.StdEncoding.EncodeToString(b) + prestoViewSuffix
}

func decodeView(text string) (prestoView, error) {
	var v prestoView
	s, ok := strings.CutPrefix(strings.TrimSpace(text), prestoViewPrefix)
	if !ok {
		return v, fmt.Errorf("its text is not an Athena (Presto) view")
	}
	s = strings.TrimSuffix(s, prestoViewSuffix)
	b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil {
		return v, fmt.Errorf("its text is damaged: %v", err)
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return v, fmt.Errorf("its text is damaged: %v", err)
	}
	if v.OriginalSQL == "" {
		return v, fmt.Errorf("it has no SQL")
	}
	return v, nil
}
