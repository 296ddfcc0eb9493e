package emulate

import "testing"

// TestAthenaTrinoOrderByOutputNames checks that a name in an ORDER BY
// expression reads the select list's output column before the input
// column, as in Trino, and that what Trino refuses there is refused.
func TestAthenaTrinoOrderByOutputNames(t *testing.T) {
	f := newAthenaFixture(t, nil)
	for _, c := range []struct {
		sql  string
		want string // the first data row, values joined by "|"; or "ERR " and the start of the failure
	}{
		// An output name in an expression is the output's expression.
		{"SELECT a*-2 AS a FROM (VALUES -1, 0, 2) t(a) ORDER BY a*-1", "2"},
		{"SELECT a*-2 AS a FROM (VALUES -1, 0, 2) t(a) ORDER BY a*-1 NULLS FIRST", "2"},
		{`SELECT a*-2 AS "A" FROM (VALUES -1, 0, 2) t(a) ORDER BY A*-1`, "2"},
		{"SELECT a*2 AS b FROM (VALUES -1, 0, 2) t(a) ORDER BY b*-1", "4"},
		{"SELECT a, a* -2 AS b FROM (VALUES -1, 0, 2) t(a) ORDER BY a + b", "2|-4"},
		{"SELECT a AS b, a* -2 AS a FROM (VALUES -1, 0, 2) t(a) ORDER BY a + b", "2|-4"},
		{"SELECT a* -2 AS a FROM (VALUES -1, 0, 2) t(a) ORDER BY a + t.a", "-4"},
		{"SELECT symbol, sum(volume) AS volume FROM stock_topic GROUP BY symbol ORDER BY abs(volume) DESC", "AAPL|100"},
		{"SELECT symbol, sum(volume) AS volume FROM stock_topic GROUP BY symbol ORDER BY -volume", "AAPL|100"},
		{"SELECT date_trunc('day', ts) AS ts, count(*) FROM stock_topic GROUP BY 1 ORDER BY date_trunc('day', ts) DESC", "2026-11-26 00:00:00.000|2"},
		{"SELECT symbol, avg(price) AS price FROM stock_topic GROUP BY symbol ORDER BY round(price, 1) DESC", "MSFT|300.25"},
		{"SELECT max(a)*100 AS c FROM (VALUES (1,2), (2,1)) t(a,b) GROUP BY b ORDER BY max(b) + c", "100"},
		{"SELECT -a AS a FROM (VALUES 1, 2) t(a) ORDER BY a IN (SELECT -1), t.a", "-2"},
		// What stays the input's: a qualified name, a bare name, an
		// ordinal, a name no output has.
		{"SELECT a*-2 AS a FROM (VALUES -1, 0, 2) t(a) ORDER BY t.a*-1", "-4"},
		{"SELECT a*-2 FROM (VALUES -1, 0, 2) t(a) ORDER BY a*-1", "-4"},
		{"SELECT a*-2 AS a FROM (VALUES -1, 0, 2) t(a) ORDER BY a", "-4"},
		{"SELECT a*-2 AS a FROM (VALUES -1, 0, 2) t(a) ORDER BY 1 DESC", "2"},
		{"SELECT symbol, price * 2 AS p FROM stock_topic ORDER BY -volume", "AAPL|203.0"},
		// Lambda parameters are no columns; the lambda's argument is.
		{"SELECT -y AS x FROM (VALUES (1,2), (2,3)) t(x, y) ORDER BY transform(ARRAY[x], x -> -x)[1]", "-2"},
		{"SELECT -y AS x FROM (VALUES (1,2), (2,3)) t(x, y) GROUP BY y ORDER BY sum(transform(ARRAY[-y], x -> x * 10)[1])", "-3"},
		// A window in ORDER BY reads the output in its arguments; a window
		// of the select list keeps its own names.
		{"SELECT a FROM (VALUES 1, 2) t(a) ORDER BY -row_number() OVER ()", "2"},
		{"SELECT -a AS a FROM (VALUES 1, 2) t(a) ORDER BY first_value(a) OVER (ORDER BY t.a ROWS 0 PRECEDING)", "-2"},
		{"SELECT -a AS a, row_number() OVER (ORDER BY a) AS r FROM (VALUES 1, 2) t(a) ORDER BY r + 0", "-1|1"},
		{"SELECT -a AS a FROM (VALUES 1, 2) t(a) ORDER BY row_number() OVER (ORDER BY a)", "ERR NOT_SUPPORTED"},
		// A subquery's names are its own.
		{"SELECT -volume AS volume FROM stock_topic ORDER BY (SELECT max(volume) FROM stock_topic) + 0, 1", "-100"},
		{"SELECT -a AS a FROM (VALUES 1, 2) t(a) ORDER BY (SELECT a) + 0", "ERR NOT_SUPPORTED"},
		// A name two outputs have is ambiguous, in an expression too.
		{"SELECT a, a* -1 AS a FROM (VALUES -1, 0, 2) t(a) ORDER BY a", "ERR COLUMN_AMBIGUOUS"},
		{"SELECT a, a* -1 AS a FROM (VALUES -1, 0, 2) t(a) ORDER BY a + 1", "ERR COLUMN_AMBIGUOUS"},
		{"SELECT symbol, symbol FROM stock_topic ORDER BY symbol", "ERR COLUMN_AMBIGUOUS"},
		{"SELECT *, -price AS price FROM stock_topic ORDER BY -price", "ERR COLUMN_AMBIGUOUS"},
		{"SELECT k, sum(a) a, sum(b) a FROM (VALUES (1, 2, 3)) t(k, a, b) GROUP BY k ORDER BY k", "1|2|3"},
		// An output name in an aggregate's arguments is refused.
		{"SELECT max(a) AS a FROM (VALUES (1,2)) t(a,b) GROUP BY b ORDER BY max(a+b)", "ERR COLUMN_NOT_FOUND: Invalid reference to output projection attribute from ORDER BY aggregation"},
		{"SELECT symbol, max(price) AS price FROM stock_topic GROUP BY symbol ORDER BY max(price)", "ERR COLUMN_NOT_FOUND"},
		{"SELECT 1 AS x FROM (VALUES (1,2)) t(x, y) GROUP BY y ORDER BY sum(transform(ARRAY[1], z -> x)[1])", "ERR COLUMN_NOT_FOUND"},
		{"SELECT max(price), min(volume) AS volume FROM stock_topic GROUP BY symbol ORDER BY max(stock_topic.volume)", "101.5|100"},
		// SELECT DISTINCT: an ORDER BY expression must be in the select list.
		{"SELECT DISTINCT -a AS b FROM (VALUES 1, 2) t(a) ORDER BY b", "-2"},
		{"SELECT DISTINCT volume AS x, -volume AS y FROM stock_topic ORDER BY -x", "100|-100"},
		{"SELECT DISTINCT volume FROM stock_topic ORDER BY -stock_topic.volume", "ERR EXPRESSION_NOT_IN_DISTINCT"},
		{"SELECT DISTINCT volume AS x, -volume AS y FROM stock_topic ORDER BY -volume", "100|-100"},
		{"SELECT DISTINCT volume AS x, volume / 2 AS y FROM stock_topic ORDER BY volume / 2", "100|50"},
		{"SELECT DISTINCT -a AS b FROM (VALUES (1, 2), (3, 4)) t(a, c) ORDER BY -b", "ERR EXPRESSION_NOT_IN_DISTINCT"},
		// A set operation's ORDER BY sees its output names only.
		{"SELECT a*-2 AS a FROM (VALUES -1, 0, 2) t(a) UNION ALL SELECT 7 ORDER BY a*-1", "ERR NOT_SUPPORTED"},
		{"SELECT a*-2 AS a FROM (VALUES -1, 0, 2) t(a) UNION ALL SELECT 7 ORDER BY a DESC", "7"},
	} {
		f.checkFirstRow(t, c.sql, c.want)
	}
}
