package emulate

import (
	"slices"
	"testing"
)

// TestAthenaTrinoTry checks try(...) and function-level differences
// between DuckDB and Trino: the emulated Athena gives Trino's answer or
// refuses with a message naming what it does not do.
func TestAthenaTrinoTry(t *testing.T) {
	f := newAthenaFixture(t, nil)
	for _, c := range []struct {
		sql  string
		want string // the first data row, values joined by "|"; or "ERR " and the start of the failure
	}{
		// Inside try, a value the emulator refuses stays refused; bad
		// input is NULL.
		{"SELECT try(from_iso8601_timestamp('2024-01-01T00:00:00+02:00'))", "ERR NOT_SUPPORTED: from_iso8601_timestamp of a time with a UTC offset"},
		{"SELECT try(from_iso8601_timestamp(s)) FROM (VALUES '2024-01-01T00:00:00Z', '2024-01-01T00:00:00+02:00') t(s)", "ERR NOT_SUPPORTED: from_iso8601_timestamp of a time with a UTC offset"},
		{"SELECT try(from_iso8601_timestamp(s)) FROM (VALUES 'garbage') t(s)", "NULL"},
		{"SELECT try(CASE WHEN s = 'x' THEN from_iso8601_timestamp(s) END) FROM (VALUES '2024-01-01T00:00:00+02:00') t(s)", "NULL"},
		{"SELECT try(strpos('abc', 'b', 1))", "ERR NOT_SUPPORTED: strpos(string, substring, instance) is not emulated"},
		// An error inside try makes the whole try NULL, not the value of
		// the call that failed.
		{"SELECT try(coalesce(10 / x, 5)) FROM (VALUES 0) t(x)", "NULL"},
		{"SELECT try(coalesce(ARRAY[1][x], 5)) FROM (VALUES 3) t(x)", "NULL"},
		{"SELECT try(transform(ARRAY[1, 0], x -> 10 / x))", "NULL"},
		{"SELECT try(split_part('a,b', ',', 0) IS NULL)", "NULL"},
		{"SELECT try(coalesce(10 / x, 5)) FROM (VALUES 2) t(x)", "5"},
		// Windows, aggregates and rand() inside try are computed outside
		// it: only the expression around them is tried.
		{"SELECT try(row_number() OVER (ORDER BY volume) * 10) FROM stock_topic ORDER BY 1", "10"},
		{"SELECT try(sum(volume) OVER () / 0) FROM stock_topic", "NULL"},
		{"SELECT try(sum(volume)) FROM stock_topic", "100"},
		{"SELECT symbol, try(sum(volume) / (count(*) - 1)) FROM stock_topic GROUP BY symbol ORDER BY 1", "AAPL|NULL"},
		{"SELECT try(symbol || CAST(max(volume) AS varchar)) FROM stock_topic GROUP BY symbol ORDER BY 1", "AAPL100"},
		{"SELECT try(sum(volume / 0)) FROM stock_topic", "ERR DIVISION_BY_ZERO: Division by zero"},
		{"SELECT try(rand() < 2), try(random() >= 0)", "true|true"},
		{"SELECT try(transform(ARRAY[1], x -> x + rand()))", "ERR NOT_SUPPORTED: rand() inside a lambda inside try(...)"},
		// length takes a string, not an array.
		{"SELECT length(ARRAY[1, 2])", "ERR FUNCTION_NOT_FOUND: Unexpected parameters (array(integer)) for function length"},
		{"SELECT transform(ARRAY[ARRAY['a']], x -> length(x))", "ERR FUNCTION_NOT_FOUND: Unexpected parameters (array(varchar)) for function length"},
		{"SELECT length('abc'), length(symbol) FROM stock_topic ORDER BY 2", "3|4"},
		// sign of a double is Java's signum: -0.0 and NaN are their own.
		{"SELECT sign(-0.0E0), sign(nan()), sign(CAST(-0.0E0 AS real)), sign(-2.5E0), sign(0.0E0)", "-0.0|NaN|-0.0|-1.0|0.0"},
		{"SELECT sign(x) FROM (VALUES -0.0E0) t(x)", "-0.0"},
		// regexp_extract of a group that took no part in the match is
		// NULL; of one that matched the empty string, ''.
		{"SELECT regexp_extract('b', '(a)|b', 1), regexp_extract('b', '(a)?b', 1), regexp_extract('ab', '(a)?b', 1), regexp_extract('b', '(a*)b', 1)", "NULL|NULL|a|"},
		{"SELECT regexp_extract('b', '(a*)|b', 1), regexp_extract('ab', '(a*)|b', 1), regexp_extract('ab', 'a(b)', 0), regexp_extract('x', '(y)?', 1)", "|a|ab|NULL"},
		{"SELECT regexp_extract(s, p, 1) FROM (VALUES ('b', '(a)|b'), ('a', '(a)|b')) t(s, p)", "NULL"},
		{"SELECT regexp_extract_all('ab', '(a)|b', 1)", "[a, null]"},
		// lag and lead with a default are of the wider of the value's and
		// the default's types; the default is only where the row is missing.
		{"SELECT lead(x, 1, 1000) OVER (ORDER BY x) FROM (VALUES CAST(1 AS tinyint)) t(x)", "1000"},
		{"SELECT lag(x, 1, 7.125) OVER (ORDER BY x) FROM (VALUES 1.25) t(x)", "7.125"},
		{"SELECT lag(x, 1, 5000000000) OVER (ORDER BY x) FROM (VALUES 1) t(x)", "5000000000"},
		{"SELECT lag(x, 1, 1.5) OVER (ORDER BY x), lag(x, 1, 2.5E0) OVER (ORDER BY x) FROM (VALUES 1) t(x)", "1.5|2.5"},
		{"SELECT lag(x, 1, y) OVER (ORDER BY x) FROM (VALUES (CAST(1 AS smallint), 100000)) t(x, y)", "100000"},
		{"SELECT lead(x, 1, 7) OVER (ORDER BY y) FROM (VALUES (1, 1), (NULL, 2)) t(x, y) ORDER BY y", "NULL"},
		{"SELECT lag(x, 2, 7) IGNORE NULLS OVER (ORDER BY y) FROM (VALUES (1, 1), (NULL, 2), (2, 3), (NULL, 4)) t(x, y) ORDER BY y DESC", "1"},
		{"SELECT lag(x, 1, 'a') OVER (ORDER BY x) FROM (VALUES 1) t(x)", "ERR TYPE_MISMATCH"},
		{"SELECT lag(x, -1, 7) OVER (ORDER BY x) FROM (VALUES 1) t(x)", "ERR INVALID_FUNCTION_ARGUMENT: Offset must be at least 0"},
		// slice with a NULL start or length is NULL.
		{"SELECT slice(ARRAY[1, 2, 3], NULL, 2), slice(ARRAY[1, 2, 3], 1, NULL), slice(ARRAY[1, 2, 3], CAST(NULL AS bigint), 2)", "NULL|NULL|NULL"},
		{"SELECT slice(x, s, 2) FROM (VALUES (ARRAY[1, 2, 3], NULL)) t(x, s)", "NULL"},
		{"SELECT slice(ARRAY[1, 2, 3], 2, 5), slice(ARRAY[1, 2, 3], -2, 1), slice(ARRAY[1, 2, 3], -4, 2)", "[2, 3]|[2]|[]"},
		// UNNEST WITH ORDINALITY of a constant array holding NULL.
		{"SELECT a, b FROM UNNEST(ARRAY[NULL, 1]) WITH ORDINALITY AS t(a, b)", "NULL|1"},
	} {
		f.checkFirstRow(t, c.sql, c.want)
	}
}

// TestAthenaTrinoTryLagDefaultType: lead(tinyint, 1, 0) is an integer in
// Trino (its default is one), not a tinyint.
func TestAthenaTrinoTryLagDefaultType(t *testing.T) {
	f := newAthenaFixture(t, nil)
	id := f.start("SELECT lead(x, 1, 0) OVER (ORDER BY x), lag(x, 1) OVER (ORDER BY x) FROM (VALUES CAST(1 AS tinyint)) t(x)")
	if qe := f.wait(id); jsonAt(qe, "Status", "State") != "SUCCEEDED" {
		t.Fatalf("%v", jsonAt(qe, "Status"))
	}
	r := f.ok("GetQueryResults", `{"QueryExecutionId":"`+id+`"}`)
	var got []string
	for _, c := range jsonAt(r.Body, "ResultSet", "ResultSetMetadata", "ColumnInfo").([]any) {
		got = append(got, jsonAt(c, "Type").(string))
	}
	if want := []string{"integer", "tinyint"}; !slices.Equal(got, want) {
		t.Fatalf("types %q, want %q", got, want)
	}
}
