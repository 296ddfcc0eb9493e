package duckdb

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"

	"pipeline/sqlq"

	"github.com/duckdb/duckdb-go/v2"
)

// The engine only reads. Its SQL comes from users (the dashboard's console,
// the emulated Athena endpoint, `pipeline query`) and its views read the
// store's folders, which DuckDB's allowed_directories would also let it
// write: so every statement is checked with DuckDB's own parser before it
// runs, and refused unless it is one statement that reads:
//
//   - a SELECT as DuckDB's syntax trees have it (json_serialize_sql), which
//     covers WITH, VALUES, FROM-first, DESCRIBE, SHOW, SUMMARIZE and PIVOT
//     with its values listed; or EXPLAIN [ANALYZE] of one;
//   - whose table functions are all readTableFunctions: DuckDB also has
//     table functions that change the database or the session
//     (enable_logging(), checkpoint(), query() of a string of SQL), and a
//     SELECT can call them.
//
// Anything else (COPY, CREATE, INSERT, ATTACH, SET, PRAGMA, CALL, EXPORT,
// LOAD, a second statement) is refused before DuckDB binds it: binding is
// not free of effects (EXPORT DATABASE makes its directory then), and the
// database/sql path would run all but the last of several statements
// while preparing them.

// readTableFunctions are the table functions a query may call: readers of
// files (which allowed_directories keeps to the tables' folders),
// generators, and DuckDB's descriptions of its own catalog.
var readTableFunctions = setOf(
	"read_json", "read_json_auto", "read_ndjson", "read_ndjson_auto", "read_json_objects", "read_json_objects_auto",
	"read_ndjson_objects", "read_ndjson_objects_auto", "read_parquet", "parquet_scan", "parquet_metadata",
	"parquet_schema", "parquet_file_metadata", "parquet_kv_metadata", "read_csv", "read_csv_auto", "sniff_csv",
	"read_text", "read_blob", "glob",
	"range", "generate_series", "unnest", "repeat", "repeat_row", "json_each", "json_tree",
	"duckdb_columns", "duckdb_constraints", "duckdb_databases", "duckdb_functions", "duckdb_keywords",
	"duckdb_schemas", "duckdb_settings", "duckdb_tables", "duckdb_types", "duckdb_views",
	"pragma_table_info", "table_info", "pragma_show", "show", "show_tables", "show_tables_expanded", "show_databases",
	"summary", "pragma_version", "version", "pragma_platform", "platform", "icu_calendar_names", "pg_timezone_names",
)

func setOf(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// readOnlyHint ends every refusal: what the engine does run.
const readOnlyHint = "this engine only reads: one SELECT, WITH, VALUES, DESCRIBE, SHOW, SUMMARIZE or EXPLAIN statement at a time"

// parseSQL is the statement that writes a query's syntax trees: prepared
// once per connection (database/sql keeps it), it costs a tenth of what
// parsing it each time did.
const parseSQL = "SELECT CAST(json_serialize_sql($1::VARCHAR) AS VARCHAR)"

// readCheck is what checkRead found: the statement to prepare, or why not.
type readCheck struct {
	explain bool  // query is EXPLAIN [ANALYZE] of a SELECT
	syntax  bool  // query is not valid SQL: preparing it says where
	err     error // refused, or the parse failed
	failed  bool  // err is the parse's failure, not the query's
}

// readChecks remembers what checkRead said of recent queries: asking
// DuckDB costs about what running a small query does, and dashboards and
// benchmarks run the same text again and again. What a text is does not
// change with the catalog.
type readChecks struct {
	mu   sync.Mutex
	seen map[string]readCheck // guarded by mu; emptied when full
}

// maxReadChecks bounds the texts readChecks remembers.
const maxReadChecks = 1024

// check is checkRead, remembered.
func (rc *readChecks) check(ctx context.Context, parse *sql.Stmt, query string) readCheck {
	rc.mu.Lock()
	c, ok := rc.seen[query]
	rc.mu.Unlock()
	if ok {
		return c
	}
	c = checkRead(ctx, parse, query)
	if c.failed {
		return c // a canceled or failed parse says nothing of the text
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if rc.seen == nil || len(rc.seen) >= maxReadChecks {
		rc.seen = map[string]readCheck{}
	}
	rc.seen[query] = c
	return c
}

// checkRead parses query, running nothing, with parse (a prepared parseSQL)
// and says whether it is one statement that reads.
func checkRead(ctx context.Context, parse *sql.Stmt, query string) readCheck {
	read := query
	inner, explain := cutExplain(query)
	if explain {
		read = inner // EXPLAIN ANALYZE runs the statement it explains
	}
	var text string
	if err := parse.QueryRowContext(ctx, read).Scan(&text); err != nil {
		return readCheck{err: queryErr(ctx, err), failed: true}
	}
	var tree struct {
		Error      bool              `json:"error"`
		Type       string            `json:"error_type"`
		Statements []json.RawMessage `json:"statements"`
	}
	if err := json.Unmarshal([]byte(text), &tree); err != nil {
		return readCheck{err: fmt.Errorf("query: parse: %w", err), failed: true}
	}
	switch {
	case tree.Error && tree.Type == "parser":
		return readCheck{syntax: true}
	case tree.Error:
		return readCheck{err: refusal(read)}
	case len(tree.Statements) == 0:
		return readCheck{err: sqlq.NewQueryError("empty query", nil)}
	case len(tree.Statements) > 1:
		return readCheck{err: sqlq.NewQueryError("one statement at a time, please: "+readOnlyHint, nil)}
	}
	if bad, err := otherTableFunction(tree.Statements[0]); err != nil {
		return readCheck{err: fmt.Errorf("query: parse: %w", err), failed: true}
	} else if bad != "" {
		return readCheck{err: sqlq.NewQueryError(fmt.Sprintf("table function %s is refused: it does more than read (%s)", bad, readOnlyHint), nil)}
	}
	return readCheck{explain: explain}
}

// prepareRead prepares query, which checkRead passed, on conn.
func prepareRead(ctx context.Context, conn *duckdb.Conn, query string, c readCheck) (*duckdb.Stmt, error) {
	if c.err != nil {
		return nil, c.err
	}
	// Binding runs table functions' binds (hive_json's reads ctx).
	st, err := conn.PrepareContext(ctx, query)
	if err != nil {
		var de *duckdb.Error
		switch {
		case errors.As(err, &de):
			return nil, sqlq.NewQueryError(de.Msg, err)
		case strings.Contains(err.Error(), "multi-statement"):
			// One statement that DuckDB runs as several: a PIVOT
			// first finds its values.
			return nil, sqlq.NewQueryError("list a PIVOT's values (PIVOT t ON c IN (...)): "+readOnlyHint, err)
		}
		return nil, fmt.Errorf("query: %w", err)
	}
	stmt := st.(*duckdb.Stmt)
	want := duckdb.STATEMENT_TYPE_SELECT
	if c.explain {
		want = duckdb.STATEMENT_TYPE_EXPLAIN
	}
	if typ, err := stmt.StatementType(); c.syntax || err != nil || typ != want {
		stmt.Close()
		return nil, refusal(query)
	}
	return stmt, nil
}

// refusal says that query, which is not a SELECT, is refused, naming its
// kind by its first word.
func refusal(query string) error {
	word := strings.ToUpper(firstWord(query))
	switch word {
	case "", "SELECT", "WITH", "VALUES", "FROM", "TABLE", "DESCRIBE", "DESC", "SHOW", "SUMMARIZE", "EXPLAIN", "UNPIVOT":
		return sqlq.NewQueryError("refused: "+readOnlyHint, nil)
	case "PIVOT":
		return sqlq.NewQueryError("list a PIVOT's values (PIVOT t ON c IN (...)): "+readOnlyHint, nil)
	case "PRAGMA":
		return sqlq.NewQueryError("PRAGMA statements are refused (DESCRIBE t, SHOW TABLES and SELECT * FROM pragma_table_info('t') answer the reading ones): "+readOnlyHint, nil)
	}
	return sqlq.NewQueryError(word+" statements are refused: "+readOnlyHint, nil)
}

// firstWord is the statement's first keyword.
func firstWord(query string) string {
	s := skipSpace(query)
	i := 0
	for i < len(s) && i < 20 && isWordByte(s[i]) && s[i] < 0x80 {
		i++
	}
	return s[:i]
}

// otherTableFunction returns the first table function a statement's tree
// calls that is not in readTableFunctions, or "".
func otherTableFunction(statement json.RawMessage) (string, error) {
	if !bytes.Contains(statement, []byte(`"TABLE_FUNCTION"`)) {
		return "", nil // most queries call none: no need to decode the tree
	}
	var tree any
	if err := json.Unmarshal(statement, &tree); err != nil {
		return "", err
	}
	var bad string
	walkTree(tree, func(n map[string]any) {
		if n["type"] != "TABLE_FUNCTION" || bad != "" {
			return
		}
		fn, _ := n["function"].(map[string]any)
		name, _ := fn["function_name"].(string)
		if !readTableFunctions[strings.ToLower(name)] {
			bad = name
			return
		}
		args, _ := fn["children"].([]any)
		for _, a := range args {
			if p := namedParameter(a); writingParameters[p] {
				bad = name + " with " + p
				return
			}
		}
	})
	return bad, nil
}

// writingParameters are the named parameters that make a reading table
// function write: read_csv's rejects tables are temporary tables, which
// can hide a table's view by its name.
var writingParameters = setOf("store_rejects", "rejects_table", "rejects_scan")

// namedParameter is the lower-case name of a table function's argument
// name=value, or "".
func namedParameter(arg any) string {
	a, _ := arg.(map[string]any)
	if a["type"] != "COMPARE_EQUAL" {
		return ""
	}
	left, _ := a["left"].(map[string]any)
	names, _ := left["column_names"].([]any)
	if left["type"] != "COLUMN_REF" || len(names) != 1 {
		return ""
	}
	n, _ := names[0].(string)
	return strings.ToLower(n)
}

// walkTree calls fn with every object of a decoded JSON tree.
func walkTree(v any, fn func(map[string]any)) {
	switch v := v.(type) {
	case map[string]any:
		fn(v)
		for _, c := range v {
			walkTree(c, fn)
		}
	case []any:
		for _, c := range v {
			walkTree(c, fn)
		}
	}
}

// cutExplain returns the statement an EXPLAIN [ANALYZE] [(options)]
// explains. EXPLAIN ANALYZE runs that statement, so the cut must be the one
// DuckDB makes: after the EXPLAIN keyword only white space may separate
// its words (with a comment there nothing is cut, and the query is refused
// as an EXPLAIN that could not be checked).
func cutExplain(query string) (string, bool) {
	rest, ok := cutWord(skipSpace(query), "EXPLAIN")
	if !ok {
		return "", false
	}
	if r, ok := cutWord(rest, "ANALYZE"); ok {
		rest = r
	} else if r, ok := cutWord(rest, "ANALYSE"); ok {
		rest = r
	}
	if strings.HasPrefix(rest, "(") {
		end := strings.IndexByte(rest, ')')
		if end < 0 || strings.Trim(rest[1:end], "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789,"+sqlBlank) != "" {
			return "", false // options are words and commas; nothing else is worth guessing about
		}
		rest = strings.TrimLeft(rest[end+1:], sqlBlank)
	}
	if rest == "" || strings.HasPrefix(rest, "--") || strings.HasPrefix(rest, "/*") {
		return "", false
	}
	return rest, true
}

// cutWord cuts the keyword w (any case) and the white space after it from
// the start of s.
func cutWord(s, w string) (string, bool) {
	if len(s) < len(w) || !strings.EqualFold(s[:len(w)], w) || len(s) > len(w) && isWordByte(s[len(w)]) {
		return s, false
	}
	return strings.TrimLeft(s[len(w):], sqlBlank), true
}

// sqlBlank is the white space DuckDB's scanner skips.
const sqlBlank = " \t\r\n\f\v"

func isWordByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

// skipSpace skips white space and SQL comments as DuckDB's scanner does: a
// line comment ends at a carriage return as at a line feed, and block
// comments nest.
func skipSpace(s string) string {
	for {
		t := strings.TrimLeft(s, sqlBlank)
		switch {
		case strings.HasPrefix(t, "--"):
			i := strings.IndexAny(t, "\r\n")
			if i < 0 {
				return ""
			}
			s = t[i+1:]
		case strings.HasPrefix(t, "/*"):
			depth, i := 0, 0
			for ; i < len(t)-1; i++ {
				if t[i] == '/' && t[i+1] == '*' {
					depth++
					i++
				} else if t[i] == '*' && t[i+1] == '/' {
					depth--
					i++
					if depth == 0 {
						break
					}
				}
			}
			if depth != 0 {
				return ""
			}
			s = t[i+1:]
		default:
			return t
		}
	}
}
