package emulate

import (
	"strings"
	"testing"
)

// TestAthenaTrinoAliases runs Trino SQL that DuckDB's parser reads
// otherwise or not at all: bare aliases that are DuckDB keywords, the
// legacy array<T> and map<K, V> types, regular expressions RE2 lacks, and
// operators Trino does not have.
func TestAthenaTrinoAliases(t *testing.T) {
	f := newAthenaFixture(t, nil)
	for _, c := range []struct {
		sql  string
		want string // the first data row, values joined by "|"; or "ERR " and the start of the failure
	}{
		// Bare aliases that are keywords of DuckDB's (and none, or non-reserved, of Trino's).
		{"SELECT date_trunc('day', ts) day, max(price) high FROM stock_topic GROUP BY 1 ORDER BY 1", "2026-11-26 00:00:00.000|300.25"},
		{"SELECT 1 year, 2 month, 3 day, 4 hour, 5 minute, 6 second", "1|2|3|4|5|6"},
		{"SELECT 'a' type, 'b' data, 'c' first, 'd' last, 'e' time, 'f' timestamp, 'g' zone", "a|b|c|d|e|f|g"},
		{"SELECT 1 level, 2 start, 3 option, 4 rows, 5 range, 6 partition, 7 position, 8 filter, 9 comment", "1|2|3|4|5|6|7|8|9"},
		{"SELECT 1 value, 2 name, 3 key, 4 close, 5 old, 6 new, 7 source", "1|2|3|4|5|6|7"},
		{"SELECT max(price) window FROM stock_topic", "300.25"},
		{"SELECT CASE WHEN price > 0 THEN 'up' END type, symbol name FROM stock_topic ORDER BY price LIMIT 1", "up|AAPL"},
		{"SELECT x value FROM (SELECT ARRAY[1, 2][2] x) t", "2"},
		{"SELECT day FROM (SELECT volume day FROM stock_topic WHERE volume = 100)", "100"},
		{`SELECT "day", Day FROM (SELECT 3 DAY)`, "3|3"},
		{"SELECT s.first FROM (SELECT symbol first FROM stock_topic) s ORDER BY 1 LIMIT 1", "AAPL"},
		{"SELECT count(*) FROM stock_topic day WHERE day.volume = 100", "1"},
		{"SELECT symbol, price * -1 value FROM stock_topic ORDER BY abs(value) DESC, value", "MSFT|-300.25"},
		{"SELECT DATE '2026-01-02' day, TIMESTAMP '2026-01-02 03:04:05' time, INTERVAL '1' DAY second", "2026-01-02|2026-01-02 03:04:05|1 00:00:00.000"},
		{"SELECT TIMESTAMP '2026-01-02 03:04:05' AT TIME ZONE 'UTC' zone", "ERR NOT_SUPPORTED: function timezone is not emulated"},
		// ... and the same words where they are not aliases.
		{"SELECT DATE '2026-01-01' + INTERVAL '1' DAY, EXTRACT(DAY FROM DATE '2026-01-05'), INTERVAL '2' HOUR", "2026-01-02|5|0 02:00:00.000"},
		{"SELECT date_add('day', 1, DATE '2026-01-01') day", "2026-01-02"},
		{"SELECT symbol FROM stock_topic ORDER BY volume NULLS FIRST LIMIT 1", "MSFT"},
		{"SELECT symbol FROM stock_topic ORDER BY volume DESC NULLS LAST, symbol LIMIT 1", "AAPL"},
		{"SELECT sum(volume) OVER (ORDER BY ts ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) FROM stock_topic ORDER BY ts LIMIT 1", "100"},
		{"SELECT count(*) OVER (ORDER BY price RANGE BETWEEN 1 PRECEDING AND CURRENT ROW) rows FROM stock_topic ORDER BY price LIMIT 1", "1"},
		{"SELECT rank() OVER (PARTITION BY symbol ORDER BY ts) FROM stock_topic ORDER BY ts LIMIT 1", "1"},
		{"SELECT count(*) FILTER (WHERE volume > 0) filter FROM stock_topic", "1"},
		{"SELECT position('b' IN 'abc') position", "2"},
		{"SELECT CAST(TIMESTAMP '2026-01-01 00:00:00' AS timestamp(3) with time zone) zone", "2026-01-01 00:00:00.000 UTC"},
		{"SELECT CAST(TIMESTAMP '2026-01-01 00:00:00' AS timestamp without time zone)", "2026-01-01 00:00:00.000"},
		{"SELECT CAST(NULL AS ROW(a integer, b timestamp)) IS NULL, CAST(NULL AS ROW(t time, u timestamp)) IS NULL", "true|true"},
		{"SELECT symbol FROM stock_topic ORDER BY ts OFFSET 1 ROWS LIMIT 1", "MSFT"},
		{"SELECT symbol FROM stock_topic ORDER BY ts OFFSET 2 ROWS", ""},
		{"SELECT symbol FROM stock_topic ORDER BY ts FETCH FIRST 1 ROWS ONLY", "AAPL"},
		{"SELECT 'day' day, 'a day' \"day 2\"", "day|a day"},
		// The legacy array<T> and map<K, V> types.
		{"SELECT CAST(ARRAY[1, 2] AS array<integer>)", "[1, 2]"},
		{"SELECT CAST(ARRAY[ARRAY[1], ARRAY[2, 3]] AS array<array<bigint>>)[2][2]", "3"},
		{"SELECT CAST(MAP(ARRAY['a'], ARRAY[1]) AS map<varchar, integer>)['a']", "1"},
		{"SELECT cardinality(CAST(ARRAY[MAP(ARRAY['a'], ARRAY[ARRAY[1]])] AS array<map<varchar,array<double>>>))", "1"},
		{"SELECT try_cast(ARRAY['1', 'x'] AS array<integer>)", "NULL"},
		{"SELECT 1 < 2, 3 > 2", "true|true"},
		// Regular expressions RE2 lacks.
		{"SELECT regexp_like('ab', 'a(?=b)')", "ERR NOT_SUPPORTED: lookahead (?=...) in a regular expression: Trino's regular expressions (Java's syntax) have it, the emulator's (RE2, DuckDB's) do not"},
		{"SELECT regexp_extract('ab', 'a(?!c)')", "ERR NOT_SUPPORTED: lookahead (?!...) in a regular expression"},
		{"SELECT regexp_like('ab', '(?<=a)b')", "ERR NOT_SUPPORTED: lookbehind (?<=...) or (?<!...)"},
		{`SELECT regexp_like('aa', '(a)\1')`, `ERR NOT_SUPPORTED: a back-reference \1 in a regular expression`},
		{"SELECT regexp_replace('aaa', 'a++', 'b')", "ERR NOT_SUPPORTED: a possessive quantifier ++ in a regular expression"},
		{"SELECT regexp_like(symbol, 'A*+') FROM stock_topic", "ERR NOT_SUPPORTED: a possessive quantifier *+ in a regular expression"},
		{"SELECT regexp_like('ab', '(?>a)b')", "ERR NOT_SUPPORTED: an atomic group (?>...) in a regular expression"},
		{`SELECT regexp_like('ab', 'b\Z')`, `ERR NOT_SUPPORTED: the escape \Z in a regular expression`},
		{"SELECT regexp_extract_all('ab', 'a(?=b)')", "ERR NOT_SUPPORTED: lookahead (?=...)"},
		{"SELECT regexp_split('ab', 'a(?=b)')", "ERR NOT_SUPPORTED: lookahead (?=...)"},
		{"SELECT regexp_count('ab', '(a)\\1')", "ERR NOT_SUPPORTED: a back-reference"},
		{"SELECT regexp_like(symbol, p) FROM stock_topic, (VALUES 'A(?=A)') AS t(p)", "ERR NOT_SUPPORTED: lookahead (?=...)"},
		{"SELECT regexp_like('ab', 'a**')", "ERR Invalid Input Error: bad repetition operator: **"},
		{"SELECT regexp_like('ab', '(?P<x>a)b'), regexp_like('ab', '\\p{L}')", "true|true"},
		// Operators of DuckDB's that Trino does not have.
		{"SELECT 'abc' SIMILAR TO 'a.*'", "ERR SYNTAX_ERROR: "},
		{"SELECT 'abc' ~ 'a'", "ERR SYNTAX_ERROR: "},
		{"SELECT 'abc' ILIKE 'A%'", "ERR SYNTAX_ERROR: "},
		{"SELECT 'abc' NOT ILIKE 'A%'", "ERR SYNTAX_ERROR: "},
		{"SELECT 2 ** 3", "ERR SYNTAX_ERROR: "},
		{"SELECT 7 // 2", "ERR SYNTAX_ERROR: "},
	} {
		got, failure := f.run(c.sql)
		var first string
		if len(got) > 1 {
			first = strings.Join(got[1], "|")
		}
		if strings.HasPrefix(c.want, "ERR ") {
			if !strings.HasPrefix(failure, strings.TrimPrefix(c.want, "ERR ")) {
				t.Errorf("%s: rows %q, failure %q; want a failure %q", c.sql, got, failure, c.want)
			}
			continue
		}
		if failure != "" || first != c.want {
			t.Errorf("%s: %q (failure %q), want %q", c.sql, first, failure, c.want)
		}
	}
}

// TestAthenaTrinoAliasWords: every word rewritten as a bare alias is one
// DuckDB's parser refuses there, and reads as the alias, in lower case.
func TestAthenaTrinoAliasWords(t *testing.T) {
	f := newAthenaFixture(t, nil)
	for w := range aliasWords {
		if _, err := f.svc.syn.parse(t.Context(), "SELECT 1 "+w); err == nil {
			t.Errorf("DuckDB reads SELECT 1 %s: %s needs no rewrite", w, w)
		}
		sql := "SELECT 1 " + strings.ToUpper(w) + ", 2 x FROM stock_topic " + w + " WHERE " + w + ".volume = 100"
		if w == "window" { // reserved in DuckDB: window.volume cannot name the table
			sql = "SELECT 1 WINDOW, 2 x FROM stock_topic window WHERE volume = 100"
		}
		got, failure := f.run(sql)
		if failure != "" || len(got) != 2 || strings.Join(got[0], "|") != w+"|x" || strings.Join(got[1], "|") != "1|2" {
			t.Errorf("%s: %q (failure %q), want the column %s", sql, got, failure, w)
		}
	}
}
