package emulate

import "testing"

// TestAthenaTrinoNoFalseRefusals runs Trino SQL that Athena answers and
// DuckDB reads otherwise or not at all: each answers as Trino does.
func TestAthenaTrinoNoFalseRefusals(t *testing.T) {
	f := newAthenaFixture(t, nil)
	for _, c := range []struct {
		sql  string
		want string // the first data row, values joined by "|"; or "ERR " and the start of the failure
	}{
		// sum and avg of intervals: of the months or of the milliseconds, an average rounded half up.
		{"SELECT sum(x) FROM (VALUES INTERVAL '1' DAY, INTERVAL '2' HOUR) t(x)", "1 02:00:00.000"},
		{"SELECT avg(x) FROM (VALUES INTERVAL '1' DAY, INTERVAL '2' DAY) t(x)", "1 12:00:00.000"},
		{"SELECT sum(x) FROM (VALUES INTERVAL '1' MONTH, INTERVAL '2' YEAR) t(x)", "2-1"},
		{"SELECT avg(x) FROM (VALUES INTERVAL '1' MONTH, INTERVAL '2' MONTH) t(x)", "0-2"},
		{"SELECT avg(x), sum(x) FROM (VALUES INTERVAL '-1' MONTH, INTERVAL '-2' MONTH) t(x)", "-0-1|-0-3"},
		{"SELECT avg(x) FROM (VALUES INTERVAL '0.001' SECOND, INTERVAL '0.002' SECOND) t(x)", "0 00:00:00.002"},
		{"SELECT sum(x) FROM (VALUES INTERVAL '1' DAY) t(x) WHERE false", "NULL"},
		{"SELECT sum(ts - TIMESTAMP '2026-11-26 00:00:00') OVER (ORDER BY ts) FROM stock_topic ORDER BY ts LIMIT 1", "0 10:00:00.123"},
		{"SELECT sum(x) FILTER (WHERE x > INTERVAL '1' HOUR), avg(DISTINCT x) FROM (VALUES INTERVAL '1' DAY, INTERVAL '1' DAY, INTERVAL '1' HOUR) t(x)", "2 00:00:00.000|0 12:30:00.000"},
	} {
		f.checkFirstRow(t, c.sql, c.want)
	}
}
