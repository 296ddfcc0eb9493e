// Package enginetest is the conformance suite for sqlq.Engine
// implementations: the DuckDB engine, and the Athena adapter (against the
// emulated Athena, and against AWS if pointed there), run the same queries
// over the same dataset and must give the same answers.
//
// # How it compares
//
// The suite writes a small dataset into the harness's catalog and files,
// then runs every query twice: through the engine under test and through a
// reference DuckDB engine (duckdb.Open) over the same catalog and
// files. The two results must be equal exactly: the same column names and
// types, and the same rows as reflect.DeepEqual compares them (so int64 vs
// float64, a NULL vs "", or a timestamp's last millisecond all count). Most
// queries also pin the reference's answer to a hard-coded one, so that the
// suite checks the DuckDB engine itself and not only agreement with it.
//
// # What it checks
//
//   - count(*); GROUP BY symbol with count, avg, min, max, sum; a
//     symbol-day filter on the dt partition key; the partition column
//     itself, and that unregistered partitions are not read; qualified
//     and double-quoted table names.
//   - The latest tick per symbol with row_number() OVER (PARTITION BY ...).
//   - NULLs of every type, NULL vs the empty string, count(col).
//   - Timestamps (milliseconds from JSON, with a UTC offset read as the
//     instant in UTC and without one as UTC, microseconds from a literal,
//     date_trunc, min/max), dates, booleans (GROUP BY with a NULL group).
//   - Decimals: a decimal(10,2) column, casts, a literal, sum (decimal(38,2)),
//     negatives; doubles that need all 17 digits, tiny and huge ones, a real.
//   - Big integers, and sum overflowing bigint (sqlq's documented string).
//   - Strings with quotes, commas, a newline and non-ASCII characters.
//   - An empty result keeps its columns; SELECT * LIMIT 0 has the table's.
//   - ORDER BY + LIMIT; a 1,000-row result (more than one Athena page) and
//     a 3,000-row one (four pages, the last of one row).
//   - Bad SQL (syntax, unknown column, unknown table, bad cast, empty) is an
//     error matching sqlq.ErrQuery, on one line.
//   - Canceling a long query returns promptly with the context's error
//     (not ErrQuery), and the engine still answers.
//   - An engine that is a sqlq.RowStreamer: QueryEach gives every query's
//     columns and rows exactly as Query does; an error of fn on the first
//     row, or of start, stops it and is returned; bad SQL is an ErrQuery
//     error before start is called.
//   - After Close, Query fails with sqlq.ErrClosed.
//
// Every expression in the suite's queries has a lower-case alias, since
// Athena lower-cases column names and names unaliased expressions _col0.
package enginetest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"pipeline/catalog"
	"pipeline/sqlq"
	"pipeline/sqlq/duckdb"
)

// The dataset's place: the table Table of database Database, with its files
// under s3://Bucket/ticks/.
const (
	Database = catalog.Database
	Table    = "ticks"
	Bucket   = "enginetest-lake"
)

// Harness is where the suite puts its dataset and how it gets the engine
// under test.
type Harness struct {
	// Catalog is an empty catalog that the engine under test reads: the
	// suite creates Database, Table and its partitions in it.
	Catalog *catalog.Catalog
	// ObjectPath maps an S3 object to the file the engine under test reads
	// it from: the suite writes the dataset's files there (the emulated S3
	// keeps each object as a file).
	ObjectPath func(bucket, key string) (string, error)
	// LocalDir maps an S3 folder to its directory, as
	// duckdb.Options.LocalDir does, for the reference DuckDB engine.
	LocalDir func(bucket, prefix string) (string, error)
	// Open returns the engine under test. It is called once the dataset is
	// in place; the suite closes the engine.
	Open func(t *testing.T) sqlq.Engine
}

// Run runs the suite. newHarness is called once, and should clean up with
// t.Cleanup.
func Run(t *testing.T, newHarness func(t *testing.T) Harness) {
	h := newHarness(t)
	if h.Catalog == nil || h.ObjectPath == nil || h.LocalDir == nil || h.Open == nil {
		t.Fatal("enginetest: the harness needs Catalog, ObjectPath, LocalDir and Open")
	}
	writeDataset(t, h)
	ref, err := duckdb.Open(t.Context(), h.Catalog, &duckdb.Options{Database: Database, LocalDir: h.LocalDir})
	if err != nil {
		t.Fatalf("open the reference DuckDB engine: %v", err)
	}
	t.Cleanup(func() { ref.Close() })
	eng := h.Open(t)
	closed := false
	t.Cleanup(func() {
		if !closed {
			eng.Close()
		}
	})

	for _, q := range queries {
		t.Run(q.name, func(t *testing.T) { q.check(t, eng, ref) })
	}
	t.Run("many rows", func(t *testing.T) {
		res := compare(t, eng, ref, manyRows)
		if res != nil && len(res.Rows) != 1000 {
			t.Errorf("%d rows, want 1000", len(res.Rows))
		}
	})
	t.Run("more pages", func(t *testing.T) {
		res := compare(t, eng, ref, morePages)
		if res != nil && len(res.Rows) != 3000 {
			t.Errorf("%d rows, want 3000", len(res.Rows))
		}
	})
	if st, ok := eng.(sqlq.RowStreamer); ok {
		t.Run("query each", func(t *testing.T) { testQueryEach(t, eng, st) })
	}
	t.Run("errors", func(t *testing.T) { testErrors(t, eng) })
	t.Run("cancel", func(t *testing.T) { testCancel(t, eng) })
	t.Run("close", func(t *testing.T) {
		closed = true
		if err := eng.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		if _, err := eng.Query(t.Context(), "SELECT 1 AS one"); !errors.Is(err, sqlq.ErrClosed) {
			t.Errorf("Query after Close: %v, want sqlq.ErrClosed", err)
		}
	})
}

// The dataset: ten ticks in two registered dt partitions (the second in
// two files), and a file in an unregistered partition that no query may
// see. Prices are exact in binary, so sums and averages do not depend on
// the order of addition.
var files = map[string]string{
	"ticks/dt=2026-11-26/part-0.json": `{"symbol":"AAPL","ts":"2026-11-26T14:30:00.000Z","seq":0,"price":101.5,"volume":100,"halted":false,"trade_date":"2026-11-26","bid":101.25,"note":"open"}
{"symbol":"MSFT","ts":"2026-11-26T14:30:00.250Z","seq":0,"price":300.25,"volume":200,"halted":false,"trade_date":"2026-11-26","bid":300.1,"note":null}
{"symbol":"AAPL","ts":"2026-11-26T14:30:01.500Z","seq":1,"price":102,"volume":null,"halted":null,"trade_date":"2026-11-26","bid":null,"note":"a \"quoted\", comma"}
{"symbol":"GOOG","ts":"2026-11-26T14:31:00.000Z","seq":0,"price":99.5,"volume":50,"halted":true,"trade_date":"2026-11-26","bid":99.49,"note":""}
{"symbol":"MSFT","ts":"2026-11-26T20:59:59.999Z","seq":1,"price":301,"volume":150,"halted":false,"trade_date":"2026-11-26","bid":300.99,"note":"line\nbreak"}
`,
	"ticks/dt=2026-11-27/part-0.json": `{"symbol":"AAPL","ts":"2026-11-27T14:30:00.001Z","seq":2,"price":103.75,"volume":120,"halted":false,"trade_date":"2026-11-27","bid":103.7,"note":"ünïcode ✓"}
{"symbol":"GOOG","ts":"2026-11-27T16:30:00.500+0200","seq":1,"price":98.125,"volume":0,"halted":false,"trade_date":"2026-11-27","bid":98.1,"note":null}
{"symbol":"TSLA","ts":"2026-11-27 16:00:00","seq":0,"price":250,"volume":1000000000000,"halted":false,"trade_date":"2026-11-27","bid":249.99,"note":null}
`,
	"ticks/dt=2026-11-27/part-1.json": `{"symbol":"MSFT","ts":"2026-11-27T10:00:00-05:00","seq":2,"price":299.5,"volume":75,"halted":true,"trade_date":"2026-11-27","bid":299.25,"note":null}
{"symbol":"AAPL","ts":"2026-11-27T15:30:00.000Z","seq":3,"price":104,"volume":-5,"halted":false,"trade_date":"2026-11-27","bid":-0.5,"note":"negative"}
`,
	"ticks/dt=2026-11-28/part-0.json": `{"symbol":"TSLA","ts":"2026-11-28T14:30:00.000Z","seq":1,"price":1,"volume":1,"halted":false,"trade_date":"2026-11-28","bid":1,"note":"unregistered"}
`,
}

func writeDataset(t *testing.T, h Harness) {
	t.Helper()
	ctx := t.Context()
	for key, body := range files {
		p, err := h.ObjectPath(Bucket, key)
		if err != nil {
			t.Fatalf("enginetest: local path of %s: %v", key, err)
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := h.Catalog.CreateDatabase(ctx, Database); err != nil {
		t.Fatalf("enginetest: %v", err)
	}
	tbl := catalog.NewTable(Database, Table, "s3://"+Bucket+"/ticks/", catalog.FormatJSON)
	col := func(name, typ string) catalog.Column { return catalog.Column{Name: name, Type: typ} }
	tbl.Columns = []catalog.Column{
		col("symbol", catalog.TypeString), col("ts", catalog.TypeTimestamp), col("seq", catalog.TypeBigint),
		col("price", catalog.TypeDouble), col("volume", catalog.TypeBigint), col("halted", catalog.TypeBoolean),
		col("trade_date", catalog.TypeDate), col("bid", "decimal(10,2)"), col("note", catalog.TypeString),
	}
	tbl.PartitionKeys = []catalog.Column{col("dt", catalog.TypeString)}
	if err := h.Catalog.PutTable(ctx, tbl); err != nil {
		t.Fatalf("enginetest: %v", err)
	}
	var parts []catalog.Partition
	for _, dt := range []string{"2026-11-26", "2026-11-27"} {
		parts = append(parts, catalog.Partition{Values: []string{dt}, Location: "s3://" + Bucket + "/ticks/dt=" + dt + "/"})
	}
	if err := h.Catalog.AddPartitions(ctx, Database, Table, parts); err != nil {
		t.Fatalf("enginetest: %v", err)
	}
}

// A query of the suite, with the reference's answer pinned: cols as
// "name type" pairs, rows exactly.
type query struct {
	name string
	sql  string
	cols []string
	rows [][]any
}

func (q query) check(t *testing.T, eng, ref sqlq.Engine) {
	res := compare(t, eng, ref, q.sql)
	if res == nil {
		return
	}
	var cols []string
	for _, c := range res.Columns {
		cols = append(cols, c.Name+" "+c.Type)
	}
	if !reflect.DeepEqual(cols, q.cols) {
		t.Errorf("reference columns %q, want %q", cols, q.cols)
	}
	want := q.rows
	if want == nil {
		want = [][]any{}
	}
	if !reflect.DeepEqual(res.Rows, want) {
		t.Errorf("reference rows:\n%s\nwant:\n%s", dump(res.Rows), dump(want))
	}
}

// compare runs sql on both engines and reports any difference; it returns
// the reference's result, or nil if either failed.
func compare(t *testing.T, eng, ref sqlq.Engine, sql string) *sqlq.Result {
	t.Helper()
	want, err := ref.Query(t.Context(), sql)
	if err != nil {
		t.Errorf("reference DuckDB: %s: %v", sql, err)
		return nil
	}
	got, err := eng.Query(t.Context(), sql)
	if err != nil {
		t.Errorf("%s: %v", sql, err)
		return nil
	}
	if !reflect.DeepEqual(got.Columns, want.Columns) {
		t.Errorf("%s:\ncolumns %v\nwant    %v (the reference's)", sql, got.Columns, want.Columns)
	}
	if len(got.Rows) != len(want.Rows) {
		t.Errorf("%s: %d rows, want %d (the reference's)", sql, len(got.Rows), len(want.Rows))
	}
	for i := range min(len(got.Rows), len(want.Rows)) {
		if !reflect.DeepEqual(got.Rows[i], want.Rows[i]) {
			t.Errorf("%s: row %d:\n got %s\nwant %s (the reference's)", sql, i, dump([][]any{got.Rows[i]}), dump([][]any{want.Rows[i]}))
			break
		}
	}
	return want
}

// dump shows rows with each value's Go type, so that 1 (int64) and 1
// (float64) or "" and nil are told apart.
func dump(rows [][]any) string {
	var b strings.Builder
	for _, r := range rows {
		b.WriteString("  [")
		for i, v := range r {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%#v", v)
		}
		b.WriteString("]\n")
	}
	return b.String()
}

// ts parses an RFC 3339 time of the suite's tables (a typo is the zero
// time, which no query returns).
func ts(s string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t.UTC()
}

func day(s string) time.Time { return ts(s + "T00:00:00Z") }

var queries = []query{
	{"count", "SELECT count(*) AS n FROM ticks",
		[]string{"n bigint"}, [][]any{{int64(10)}}},
	{"qualified name", "SELECT count(*) AS n FROM stock_market.ticks",
		[]string{"n bigint"}, [][]any{{int64(10)}}},
	{"quoted names", `SELECT count(*) AS n FROM "stock_market"."ticks"`,
		[]string{"n bigint"}, [][]any{{int64(10)}}},
	{"group by symbol",
		"SELECT symbol, count(*) AS n, avg(price) AS avg_price, min(price) AS min_price, max(price) AS max_price, sum(volume) AS volume FROM ticks GROUP BY symbol ORDER BY symbol",
		[]string{"symbol varchar", "n bigint", "avg_price double", "min_price double", "max_price double", "volume bigint"},
		[][]any{
			{"AAPL", int64(4), 102.8125, 101.5, 104.0, int64(215)},
			{"GOOG", int64(2), 98.8125, 98.125, 99.5, int64(50)},
			{"MSFT", int64(3), 300.25, 299.5, 301.0, int64(425)},
			{"TSLA", int64(1), 250.0, 250.0, 250.0, int64(1000000000000)},
		}},
	{"symbol day", "SELECT seq, price, volume FROM ticks WHERE symbol = 'AAPL' AND dt = '2026-11-26' ORDER BY seq",
		[]string{"seq bigint", "price double", "volume bigint"},
		[][]any{{int64(0), 101.5, int64(100)}, {int64(1), 102.0, nil}}},
	{"partitions", "SELECT dt, count(*) AS n FROM ticks GROUP BY dt ORDER BY dt",
		[]string{"dt varchar", "n bigint"},
		[][]any{{"2026-11-26", int64(5)}, {"2026-11-27", int64(5)}}},
	{"latest per symbol",
		"SELECT symbol, seq, price, ts FROM (SELECT symbol, seq, price, ts, row_number() OVER (PARTITION BY symbol ORDER BY ts DESC) AS rn FROM ticks) t WHERE rn = 1 ORDER BY symbol",
		[]string{"symbol varchar", "seq bigint", "price double", "ts timestamp"},
		[][]any{
			{"AAPL", int64(3), 104.0, ts("2026-11-27T15:30:00Z")},
			{"GOOG", int64(1), 98.125, ts("2026-11-27T14:30:00.5Z")},
			{"MSFT", int64(2), 299.5, ts("2026-11-27T15:00:00Z")},
			{"TSLA", int64(0), 250.0, ts("2026-11-27T16:00:00Z")},
		}},
	{"null values",
		"SELECT symbol, seq, volume, halted, bid, note FROM ticks WHERE volume IS NULL OR halted IS NULL OR bid IS NULL ORDER BY symbol, seq",
		[]string{"symbol varchar", "seq bigint", "volume bigint", "halted boolean", "bid decimal(10,2)", "note varchar"},
		[][]any{{"AAPL", int64(1), nil, nil, nil, `a "quoted", comma`}}},
	{"null counts", "SELECT count(*) AS n, count(volume) AS n_volume, count(halted) AS n_halted, count(note) AS n_note FROM ticks",
		[]string{"n bigint", "n_volume bigint", "n_halted bigint", "n_note bigint"},
		[][]any{{int64(10), int64(9), int64(9), int64(6)}}},
	{"null vs empty string", "SELECT seq, note FROM ticks WHERE symbol = 'GOOG' ORDER BY seq",
		[]string{"seq bigint", "note varchar"},
		[][]any{{int64(0), ""}, {int64(1), nil}}},
	{"typed nulls",
		"SELECT CAST(NULL AS VARCHAR) AS s, CAST(NULL AS BIGINT) AS i, CAST(NULL AS DOUBLE) AS d, CAST(NULL AS TIMESTAMP) AS t, CAST(NULL AS DATE) AS dd, CAST(NULL AS BOOLEAN) AS b, CAST(NULL AS DECIMAL(5,2)) AS dec",
		[]string{"s varchar", "i bigint", "d double", "t timestamp", "dd date", "b boolean", "dec decimal(5,2)"},
		[][]any{{nil, nil, nil, nil, nil, nil, nil}}},
	{"timestamps",
		"SELECT symbol, ts, date_trunc('hour', ts) AS hour FROM ticks WHERE ts >= TIMESTAMP '2026-11-26 20:00:00' AND dt = '2026-11-26' ORDER BY ts",
		[]string{"symbol varchar", "ts timestamp", "hour timestamp"},
		[][]any{{"MSFT", ts("2026-11-26T20:59:59.999Z"), ts("2026-11-26T20:00:00Z")}}},
	{"timestamp range", "SELECT min(ts) AS first_ts, max(ts) AS last_ts FROM ticks",
		[]string{"first_ts timestamp", "last_ts timestamp"},
		[][]any{{ts("2026-11-26T14:30:00Z"), ts("2026-11-27T16:00:00Z")}}},
	{"timestamp literals", "SELECT TIMESTAMP '2026-11-26 10:00:00.123456' AS micro, TIMESTAMP '2026-11-26 10:00:00' AS whole",
		[]string{"micro timestamp", "whole timestamp"},
		[][]any{{ts("2026-11-26T10:00:00.123456Z"), ts("2026-11-26T10:00:00Z")}}},
	{"dates",
		"SELECT trade_date, count(*) AS n, min(CAST(ts AS DATE)) AS first_day, DATE '2026-02-28' AS lit FROM ticks GROUP BY trade_date ORDER BY trade_date",
		[]string{"trade_date date", "n bigint", "first_day date", "lit date"},
		[][]any{
			{day("2026-11-26"), int64(5), day("2026-11-26"), day("2026-02-28")},
			{day("2026-11-27"), int64(5), day("2026-11-27"), day("2026-02-28")},
		}},
	{"date filter", "SELECT count(*) AS n FROM ticks WHERE trade_date = DATE '2026-11-27'",
		[]string{"n bigint"}, [][]any{{int64(5)}}},
	{"booleans", "SELECT halted, count(*) AS n FROM ticks GROUP BY halted ORDER BY halted NULLS LAST",
		[]string{"halted boolean", "n bigint"},
		[][]any{{false, int64(7)}, {true, int64(2)}, {nil, int64(1)}}},
	{"boolean expressions", "SELECT true AS yes, false AS no, 1 < 2 AS lt, NOT true AS nt",
		[]string{"yes boolean", "no boolean", "lt boolean", "nt boolean"},
		[][]any{{true, false, true, false}}},
	{"decimals",
		"SELECT symbol, seq, bid, CAST(price AS DECIMAL(10,3)) AS px FROM ticks WHERE dt = '2026-11-27' ORDER BY symbol, seq",
		[]string{"symbol varchar", "seq bigint", "bid decimal(10,2)", "px decimal(10,3)"},
		[][]any{
			{"AAPL", int64(2), "103.70", "103.750"},
			{"AAPL", int64(3), "-0.50", "104.000"},
			{"GOOG", int64(1), "98.10", "98.125"},
			{"MSFT", int64(2), "299.25", "299.500"},
			{"TSLA", int64(0), "249.99", "250.000"},
		}},
	{"decimal aggregates", "SELECT sum(bid) AS total_bid, CAST('-0.05' AS DECIMAL(4,3)) AS neg, 2.5 AS lit FROM ticks",
		[]string{"total_bid decimal(38,2)", "neg decimal(4,3)", "lit decimal(2,1)"},
		[][]any{{"1552.37", "-0.050", "2.5"}}},
	{"doubles",
		"SELECT CAST(0.1 AS DOUBLE) + CAST(0.2 AS DOUBLE) AS sum, CAST(1e-7 AS DOUBLE) AS tiny, CAST(1e21 AS DOUBLE) AS huge, CAST(12345678.5 AS DOUBLE) AS big, CAST(-0.5 AS DOUBLE) AS neg, CAST(0.1 AS REAL) AS r, price / 3 AS third FROM ticks WHERE symbol = 'GOOG' AND seq = 0",
		[]string{"sum double", "tiny double", "huge double", "big double", "neg double", "r real", "third double"},
		[][]any{{0.30000000000000004, 1e-7, 1e21, 12345678.5, -0.5, 0.1, 99.5 / 3}}},
	{"big integers",
		"SELECT max(volume) AS max_volume, min(volume) AS min_volume, CAST(9223372036854775807 AS BIGINT) AS max_bigint, CAST(-9223372036854775807 - 1 AS BIGINT) AS min_bigint FROM ticks",
		[]string{"max_volume bigint", "min_volume bigint", "max_bigint bigint", "min_bigint bigint"},
		[][]any{{int64(1000000000000), int64(-5), int64(9223372036854775807), int64(-9223372036854775808)}}},
	{"sum beyond bigint, as a decimal",
		"SELECT CAST(sum(CAST(x AS DECIMAL(38,0))) AS DECIMAL(38,0)) AS s FROM (VALUES (CAST(9223372036854775807 AS BIGINT)), (CAST(1 AS BIGINT))) AS v(x)",
		[]string{"s decimal(38,0)"}, [][]any{{"9223372036854775808"}}},
	{"strings", "SELECT symbol, seq, note FROM ticks WHERE note IS NOT NULL ORDER BY symbol, seq",
		[]string{"symbol varchar", "seq bigint", "note varchar"},
		[][]any{
			{"AAPL", int64(0), "open"},
			{"AAPL", int64(1), `a "quoted", comma`},
			{"AAPL", int64(2), "ünïcode ✓"},
			{"AAPL", int64(3), "negative"},
			{"GOOG", int64(0), ""},
			{"MSFT", int64(1), "line\nbreak"},
		}},
	{"string functions", "SELECT upper(symbol) || '-' || CAST(seq AS VARCHAR) AS k, length(note) AS len FROM ticks WHERE symbol = 'AAPL' AND seq = 2",
		[]string{"k varchar", "len bigint"}, [][]any{{"AAPL-2", int64(9)}}},
	{"literals", "SELECT 1 AS one, 'x' AS s",
		[]string{"one integer", "s varchar"}, [][]any{{int64(1), "x"}}},
	{"empty result", "SELECT symbol, price, ts FROM ticks WHERE symbol = 'NONE'",
		[]string{"symbol varchar", "price double", "ts timestamp"}, nil},
	{"all columns", "SELECT * FROM ticks LIMIT 0",
		[]string{"symbol varchar", "ts timestamp", "seq bigint", "price double", "volume bigint", "halted boolean",
			"trade_date date", "bid decimal(10,2)", "note varchar", "dt varchar"}, nil},
	{"order by limit", "SELECT symbol, ts, price FROM ticks ORDER BY price DESC, ts LIMIT 3",
		[]string{"symbol varchar", "ts timestamp", "price double"},
		[][]any{
			{"MSFT", ts("2026-11-26T20:59:59.999Z"), 301.0},
			{"MSFT", ts("2026-11-26T14:30:00.25Z"), 300.25},
			{"MSFT", ts("2026-11-27T15:00:00Z"), 299.5},
		}},
}

// manyRows has 1,000 rows: more than Athena's first page of 999 rows after
// the header.
const manyRows = "SELECT a.symbol AS a_symbol, a.seq AS a_seq, b.symbol AS b_symbol, b.seq AS b_seq, c.ts AS c_ts " +
	"FROM ticks a CROSS JOIN ticks b CROSS JOIN ticks c ORDER BY a_symbol, a_seq, b_symbol, b_seq, c_ts"

// morePages has 3,000 rows: with Athena's header, three full pages of
// 1,000 and a last page of one row.
const morePages = "SELECT a.symbol AS a_symbol, a.seq AS a_seq, b.symbol AS b_symbol, b.seq AS b_seq, c.ts AS c_ts, v.k AS k " +
	"FROM ticks a CROSS JOIN ticks b CROSS JOIN ticks c CROSS JOIN (VALUES (1), (2), (3)) AS v(k) " +
	"ORDER BY a_symbol, a_seq, b_symbol, b_seq, c_ts, k"

// badSQL are statements that fail with a sqlq.ErrQuery error.
var badSQL = []string{
	"SELEC 1",
	"SELECT nope FROM ticks",
	"SELECT * FROM no_such_table",
	"SELECT CAST(symbol AS BIGINT) AS n FROM ticks",
	"",
}

// overflow fails in both engines with a sqlq.ErrQuery error (Athena:
// NUMERIC_VALUE_OUT_OF_RANGE), which DuckDB's stream finds in the rows,
// after the columns.
const overflow = "SELECT sum(x) AS s FROM (VALUES (CAST(9223372036854775807 AS BIGINT)), (CAST(1 AS BIGINT))) AS v(x)"

func testErrors(t *testing.T, eng sqlq.Engine) {
	for _, sql := range append(badSQL, overflow) {
		t.Run(sql, func(t *testing.T) {
			res, err := eng.Query(t.Context(), sql)
			if err == nil {
				t.Fatalf("no error; result %v", res)
			}
			if !errors.Is(err, sqlq.ErrQuery) {
				t.Errorf("error %v does not match sqlq.ErrQuery", err)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is not one line: %q", err)
			}
		})
	}
}

// testQueryEach checks the streaming path of eng against its Query.
func testQueryEach(t *testing.T, eng sqlq.Engine, st sqlq.RowStreamer) {
	all := append([]query{}, queries...)
	all = append(all, query{name: "many rows", sql: manyRows}, query{name: "more pages", sql: morePages})
	// The engines are safe for concurrent use, and the queries are mostly
	// waits (Athena's polling): they run in parallel.
	t.Run("same as Query", func(t *testing.T) {
		for _, q := range all {
			t.Run(q.name, func(t *testing.T) {
				t.Parallel()
				want, err := eng.Query(t.Context(), q.sql)
				if err != nil {
					t.Fatalf("Query: %v", err)
				}
				var cols []sqlq.Column
				rows := [][]any{}
				starts := 0
				err = st.QueryEach(t.Context(), q.sql, func(c []sqlq.Column) error {
					starts++
					cols = c
					return nil
				}, func(row []any) error {
					if starts != 1 {
						return fmt.Errorf("fn called after %d calls of start, want 1", starts)
					}
					rows = append(rows, slices.Clone(row)) // the row is reused
					return nil
				})
				if err != nil {
					t.Fatalf("QueryEach: %v", err)
				}
				if starts != 1 {
					t.Errorf("start called %d times, want 1", starts)
				}
				if !reflect.DeepEqual(cols, want.Columns) {
					t.Errorf("QueryEach columns %v\nQuery columns     %v", cols, want.Columns)
				}
				if len(rows) != len(want.Rows) {
					t.Errorf("QueryEach gave %d rows, Query %d", len(rows), len(want.Rows))
				}
				for i := range min(len(rows), len(want.Rows)) {
					if !reflect.DeepEqual(rows[i], want.Rows[i]) {
						t.Errorf("row %d:\nQueryEach %sQuery     %s", i, dump(rows[i:i+1]), dump(want.Rows[i:i+1]))
						break
					}
				}
			})
		}
	})

	stop := errors.New("enough")
	t.Run("fn error", func(t *testing.T) {
		n := 0
		err := st.QueryEach(t.Context(), morePages, func([]sqlq.Column) error { return nil },
			func([]any) error { n++; return stop })
		if !errors.Is(err, stop) || n != 1 {
			t.Errorf("fn failed on the first row: %d rows, error %v, want 1 row and fn's error", n, err)
		}
	})
	t.Run("start error", func(t *testing.T) {
		n := 0
		err := st.QueryEach(t.Context(), morePages, func([]sqlq.Column) error { return stop },
			func([]any) error { n++; return nil })
		if !errors.Is(err, stop) || n != 0 {
			t.Errorf("start failed: %d rows, error %v, want no row and start's error", n, err)
		}
	})
	t.Run("bad sql", func(t *testing.T) {
		for _, sql := range badSQL {
			started := false
			err := st.QueryEach(t.Context(), sql, func([]sqlq.Column) error { started = true; return nil },
				func([]any) error { return nil })
			if !errors.Is(err, sqlq.ErrQuery) || started {
				t.Errorf("%q: error %v (start called: %v), want sqlq.ErrQuery before start", sql, err, started)
			}
		}
		err := st.QueryEach(t.Context(), overflow, func([]sqlq.Column) error { return nil },
			func([]any) error { return nil })
		if !errors.Is(err, sqlq.ErrQuery) {
			t.Errorf("%q: error %v, want sqlq.ErrQuery", overflow, err)
		}
	})
	res, err := eng.Query(t.Context(), "SELECT count(*) AS n FROM ticks")
	if err != nil || !reflect.DeepEqual(res.Rows, [][]any{{int64(10)}}) {
		t.Errorf("after QueryEach was stopped: %v, %v", res, err)
	}
}

// longQuery would take hours: 10^11 rows of a cross join.
const longQuery = "SELECT count(*) AS n FROM ticks a, ticks b, ticks c, ticks d, ticks e, ticks f, ticks g, ticks h, ticks i, ticks j, ticks k " +
	"WHERE a.seq + b.seq + c.seq + d.seq + e.seq + f.seq + g.seq + h.seq + i.seq + j.seq + k.seq = -1"

func testCancel(t *testing.T, eng sqlq.Engine) {
	ctx, cancel := context.WithTimeout(t.Context(), 500*time.Millisecond)
	defer cancel()
	start := time.Now()
	res, err := eng.Query(ctx, longQuery)
	if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, sqlq.ErrQuery) {
		t.Errorf("error %v (result %v), want the context's deadline", err, res)
	}
	if d := time.Since(start); d > 15*time.Second {
		t.Errorf("the query returned %v after it was canceled", d)
	}
	res, err = eng.Query(t.Context(), "SELECT count(*) AS n FROM ticks")
	if err != nil || !reflect.DeepEqual(res.Rows, [][]any{{int64(10)}}) {
		t.Errorf("after a canceled query: %v, %v", res, err)
	}
}
