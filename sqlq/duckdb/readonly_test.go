package duckdb_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"pipeline/sqlq"
	"pipeline/sqlq/duckdb"
)

// TestDuckDBOnlyReads: a statement that would write a file, change the
// database or the session is refused with one line that says so, and
// nothing changed: the store's objects, the views, the settings. Reads of
// every kind still answer.
func TestDuckDBOnlyReads(t *testing.T) {
	f := stockFixture(t)
	eng := f.open(nil)
	tableDir := filepath.Join(f.root, bucket, "stock_topic", "dt=2026-11-26")
	object := filepath.Join(tableDir, "stock_topic+0+0.json")
	before, err := os.ReadFile(object)
	if err != nil {
		t.Fatal(err)
	}
	newFile := filepath.Join(tableDir, "evil.json")
	lit := func(p string) string { return "'" + p + "'" }

	refused := []struct{ name, sql, says string }{
		{"copy over an object", "COPY (SELECT 'EVIL' AS symbol) TO " + lit(object) + " (FORMAT json)", "COPY statements are refused"},
		{"copy a new object", "COPY (SELECT 'EVIL' AS symbol) TO " + lit(newFile) + " (FORMAT json)", "COPY statements are refused"},
		{"copy a table out", "COPY stock_topic TO " + lit(filepath.Join(t.TempDir(), "out.csv")), "COPY statements are refused"},
		{"replace a view", "CREATE OR REPLACE VIEW stock_topic AS SELECT 42 AS n", "CREATE statements are refused"},
		{"create a table", "CREATE TABLE t AS SELECT 1 AS x", "CREATE statements are refused"},
		{"create a macro", "CREATE MACRO m(a) AS a", "CREATE statements are refused"},
		{"insert", "INSERT INTO stock_topic VALUES ('X', now(), 0, 1, 1, '2026-11-26')", "INSERT statements are refused"},
		{"insert in a CTE", "WITH a AS (SELECT 1) INSERT INTO stock_topic SELECT * FROM a", "refused: this engine only reads"},
		{"update", "UPDATE stock_topic SET price = 0", "UPDATE statements are refused"},
		{"delete", "DELETE FROM stock_topic", "DELETE statements are refused"},
		{"drop", "DROP VIEW stock_topic", "DROP statements are refused"},
		{"attach", "ATTACH " + lit(filepath.Join(tableDir, "x.db")) + " AS x", "ATTACH statements are refused"},
		{"set", "SET threads = 1", "SET statements are refused"},
		{"reset", "RESET threads", "RESET statements are refused"},
		{"set variable", "SET VARIABLE v = 1", "SET statements are refused"},
		{"pragma that sets", "PRAGMA threads = 1", "PRAGMA statements are refused"},
		{"pragma", "PRAGMA enable_profiling", "PRAGMA statements are refused"},
		{"pragma that reads", "PRAGMA table_info('stock_topic')", "PRAGMA statements are refused"},
		{"export", "EXPORT DATABASE " + lit(filepath.Join(tableDir, "export")), "EXPORT statements are refused"},
		{"call", "CALL enable_logging()", "CALL statements are refused"},
		{"checkpoint", "CHECKPOINT", "CHECKPOINT statements are refused"},
		{"load", "LOAD json", "LOAD statements are refused"},
		{"install", "INSTALL httpfs", "INSTALL statements are refused"},
		{"transaction", "BEGIN", "BEGIN statements are refused"},
		{"prepare", "PREPARE p AS SELECT 1", "PREPARE statements are refused"},
		{"side effects in a select", "SELECT * FROM enable_logging()", "table function enable_logging is refused"},
		{"quoted and qualified", `SELECT * FROM range(1), system.main."checkpoint"()`, "table function checkpoint is refused"},
		{"in a subquery", "SELECT (SELECT count(*) FROM truncate_duckdb_logs())", "table function truncate_duckdb_logs is refused"},
		{"sql in a string", "SELECT * FROM query('SELECT 1')", "table function query is refused"},
		{"import", "IMPORT DATABASE " + lit(tableDir), "IMPORT statements are refused"},
		{"a read, then a write", "SELECT 1; COPY (SELECT 'EVIL' AS symbol) TO " + lit(newFile), "refused: this engine only reads"},
		{"a write, then a read", "COPY (SELECT 'EVIL' AS symbol) TO " + lit(newFile) + "; SELECT 1", "COPY statements are refused"},
		{"two reads", "SELECT 1; SELECT 2", "one statement at a time"},
		{"pivot finding its values", "PIVOT stock_topic ON symbol USING count(*)", "list a PIVOT's values"},
		{"explain analyze of a copy", "EXPLAIN ANALYZE COPY (SELECT 'EVIL' AS symbol) TO " + lit(newFile), "COPY statements are refused"},
		{"explain analyze of a create", "/* x */ explain analyze CREATE TABLE t AS SELECT 1", "CREATE statements are refused"},
		{"a comment in an explain", "explain -- y\n analyze CREATE TABLE t AS SELECT 1", "refused: this engine only reads"},
		// DuckDB's block comments nest and its line comments end at a
		// carriage return: a cut made otherwise checks a harmless SELECT.
		{"explain with nested comments", "EXPLAIN ANALYZE /* /* */ SELECT 1 -- */ COPY (SELECT 'EVIL' AS symbol) TO " + lit(newFile), "refused"},
		{"explain with a carriage return", "EXPLAIN ANALYZE -- x\rCOPY (SELECT 'EVIL' AS symbol) TO " + lit(newFile) + "\n", "refused"},
		{"nested comments before explain", "/* /* */ EXPLAIN ANALYZE SELECT 1 */ COPY (SELECT 'EVIL' AS symbol) TO " + lit(newFile), "COPY statements are refused"},
		{"a rejects table", "SELECT * FROM read_csv(" + lit(filepath.Join(tableDir, "x.csv")) + ", store_rejects = true, rejects_table = 'stock_topic')", "table function read_csv with store_rejects is refused"},
		{"explain analyze of a side effect", "EXPLAIN ANALYZE SELECT * FROM enable_logging()", "table function enable_logging is refused"},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			_, err := eng.Query(t.Context(), tt.sql)
			var qe *sqlq.QueryError
			if !errors.As(err, &qe) {
				t.Fatalf("%s: error %v (%T), want a query error", tt.sql, err, err)
			}
			if msg := err.Error(); !strings.Contains(msg, tt.says) || strings.Contains(msg, "\n") {
				t.Errorf("%s: error %q, want one line that says %q", tt.sql, msg, tt.says)
			}
			// The same through QueryEach and QueryCounted.
			err = eng.QueryEach(t.Context(), tt.sql, func([]sqlq.Column) error { return nil }, func([]any) error { return nil })
			if !errors.As(err, &qe) {
				t.Errorf("QueryEach %s: error %v, want a query error", tt.sql, err)
			}
			if _, _, err := eng.QueryCounted(t.Context(), tt.sql); !errors.As(err, &qe) {
				t.Errorf("QueryCounted %s: error %v, want a query error", tt.sql, err)
			}
		})
	}

	if after, err := os.ReadFile(object); err != nil || string(after) != string(before) {
		t.Errorf("the object was changed: %q, %v", after, err)
	}
	for _, p := range []string{newFile, filepath.Join(tableDir, "x.db"), filepath.Join(tableDir, "export")} {
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s exists (%v): a refused statement wrote it", p, err)
		}
	}
	assertRows(t, eng, "SELECT count(*), sum(seq) FROM stock_topic", [][]any{{int64(5), int64(3)}})
	assertRows(t, eng, "SELECT current_setting('threads') > 0, current_setting('enable_profiling') IS NULL OR current_setting('enable_profiling') = ''",
		[][]any{{true, true}})

	reads := []struct{ name, sql string }{
		{"select", "SELECT count(*) FROM stock_topic"},
		{"with", "WITH a AS (SELECT * FROM stock_topic) SELECT count(*) FROM a"},
		{"values", "VALUES (1), (2)"},
		{"from first", "FROM stock_topic LIMIT 1"},
		{"describe", "DESCRIBE stock_topic"},
		{"show", "SHOW TABLES"},
		{"summarize", "SUMMARIZE stock_topic"},
		{"pivot with its values", "PIVOT stock_topic ON symbol IN ('AAPL', 'MSFT') USING count(*) GROUP BY dt"},
		{"explain", "EXPLAIN SELECT * FROM stock_topic"},
		{"explain analyze", "-- why\nEXPLAIN ANALYZE SELECT count(*) FROM stock_topic"},
		{"a generator", "SELECT sum(range) FROM range(10)"},
		{"the table's own files", "SELECT count(*) FROM read_json_auto(" + lit(filepath.Join(tableDir, "*.json")) + ")"},
		{"the table's folder", "SELECT count(*) FROM glob(" + lit(filepath.Join(tableDir, "*")) + ")"},
		{"the catalog's description", "SELECT count(*) FROM pragma_table_info('stock_topic')"},
		{"a trailing semicolon", "SELECT 1;"},
	}
	for _, tt := range reads {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := eng.Query(t.Context(), tt.sql); err != nil {
				t.Errorf("%s: %v", tt.sql, err)
			}
		})
	}
}

// TestDuckDBReadsOnlyTheTables: SQL reads the tables' folders of the store
// and nothing beside them: not the store's other folders, not the rest of
// the data dir (the broker's log, the catalog), not the working directory.
func TestDuckDBReadsOnlyTheTables(t *testing.T) {
	f := stockFixture(t)
	dataDir := filepath.Dir(f.root)
	f.write("_errors/stock_topic/x.json", `{"reason":"x"}`+"\n")
	for _, p := range []string{"kafka/stock_topic-0/00000.log", "catalog/catalog.json"} {
		p = filepath.Join(dataDir, p)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(`{"secret":1}`), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	eng := f.open(nil)
	for _, q := range []string{
		"SELECT content FROM read_text('" + filepath.Join(dataDir, "catalog", "catalog.json") + "')",
		"SELECT content FROM read_blob('" + filepath.Join(dataDir, "kafka", "stock_topic-0", "00000.log") + "')",
		"SELECT * FROM read_json_auto('" + filepath.Join(f.root, bucket, "_errors", "stock_topic", "x.json") + "')",
		"SELECT count(*) FROM glob('" + filepath.Join(dataDir, "**") + "')",
	} {
		res, err := eng.Query(t.Context(), q)
		if err == nil && strings.HasPrefix(q, "SELECT count(*) FROM glob") {
			// glob lists what it may, which is nothing here.
			if res.Rows[0][0] != int64(0) {
				t.Errorf("%s: %v files", q, res.Rows[0][0])
			}
			continue
		}
		if !errors.Is(err, sqlq.ErrQuery) {
			t.Errorf("%s: %v, %v; want it refused", q, res, err)
		}
	}
}

// TestDuckDBTempDirIsAbsoluteAndPrivate: DuckDB spills into a directory of
// this user's only, named by an absolute path whatever the working
// directory (a relative one would be opened to SQL wherever the command
// runs).
func TestDuckDBTempDirIsAbsoluteAndPrivate(t *testing.T) {
	f := stockFixture(t)
	t.Chdir(t.TempDir())
	for name, opts := range map[string]*duckdb.Options{
		"its own":          nil,
		"relative":         {TempDir: "spill"},
		"with file access": {AllowFileAccess: true},
	} {
		t.Run(name, func(t *testing.T) {
			eng := f.open(opts)
			res := query(t, eng, "SELECT current_setting('temp_directory')")
			dir, _ := res.Rows[0][0].(string)
			fi, err := os.Stat(dir)
			if !filepath.IsAbs(dir) || err != nil || !fi.IsDir() || fi.Mode().Perm() != 0o700 {
				t.Errorf("temp_directory %q (%v, %v): want an absolute directory of mode 0700", dir, fi, err)
			}
		})
	}
}
