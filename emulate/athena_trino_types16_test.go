package emulate

import (
	"fmt"
	"pipeline/catalog"
	"regexp"
	"strings"
	"testing"
)

// columnTypes runs sql and gives its result columns' types as ColumnInfo
// tells them, a decimal with its precision and scale.
func (f *athenaFixture) columnTypes(t *testing.T, sql string) string {
	t.Helper()
	id := f.start(sql)
	if qe := f.wait(id); jsonAt(qe, "Status", "State") != "SUCCEEDED" {
		t.Fatalf("%s: %v", sql, jsonAt(qe, "Status"))
	}
	var got []string
	for _, c := range jsonAt(f.ok("GetQueryResults", `{"QueryExecutionId":"`+id+`"}`).Body, "ResultSet", "ResultSetMetadata", "ColumnInfo").([]any) {
		typ := jsonAt(c, "Type").(string)
		if typ == "decimal" {
			typ += fmt.Sprintf("(%v,%v)", jsonAt(c, "Precision"), jsonAt(c, "Scale"))
		}
		got = append(got, typ)
	}
	return strings.Join(got, ", ")
}

// TestAthenaTrinoTypeRules: arithmetic has Trino's result types and
// values, and names and times are Trino's.
func TestAthenaTrinoTypeRules(t *testing.T) {
	f := newAthenaFixture(t, nil)
	// A table whose catalog names have upper-case letters beyond ASCII, as
	// a Glue client may write them.
	f.put("lake", "umlauts/x.json", `{"Ümlaut":1,"é":"x"}
`)
	tbl := catalog.NewTable(catalog.Database, "Ütable", "s3://lake/umlauts/", catalog.FormatJSON)
	tbl.Columns = []catalog.Column{{Name: "Ümlaut", Type: "int"}, {Name: "é", Type: "string"}}
	if err := f.cat.PutTable(t.Context(), tbl); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ sql, want string }{
		// Names match regardless of case, letters beyond ASCII too.
		{`SELECT "Ü", Ü FROM (SELECT 1 AS ü)`, "1|1"},
		{`SELECT t."ü" FROM (SELECT 1 AS "Ü") AS T`, "1"},
		{`WITH Ä AS (SELECT 1 AS "Ö") SELECT ä.ö FROM ä`, "1"},
		{`SELECT ümlaut, "É", u.ÜMLAUT, 'É' FROM "Ütable" AS u`, "1|x|1|É"},
		// An integer literal is an integer: the narrower operand widens.
		{"SELECT CAST(200 AS smallint) * 20000, CAST(100 AS tinyint) + 100, 30000 + CAST(30000 AS smallint), CAST(7 AS smallint) / 2", "4000000|200|60000|3"},
		{"SELECT x * 1000, y * 2000, x * y FROM (VALUES (CAST(100 AS smallint), CAST(100 AS tinyint))) AS t(x, y)", "100000|200000|10000"},
		// Decimal products Trino types wider than 18 digits do not overflow at 18.
		{"SELECT CAST(99999999.99 AS decimal(10,2)) * 2147483647, CAST(999999999999999999 AS decimal(18,0)) + CAST(999999999999999999 AS decimal(18,0))", "214748364678525163.53|1999999999999999998"},
		{"SELECT CAST(7 AS decimal(10,2)) % CAST(2 AS decimal(3,1)), CAST(7 AS decimal(10,2)) % 0", "ERR DIVISION_BY_ZERO"},
		{"SELECT coalesce(symbol, 0) FROM stock_topic", "ERR TYPE_MISMATCH: COALESCE of types varchar and integer"},
		// An overflow is Trino's error of the operator's type.
		{"SELECT CAST(200 AS smallint) * CAST(200 AS smallint)", "ERR NUMERIC_VALUE_OUT_OF_RANGE: smallint multiplication overflow: 200 * 200"},
		{"SELECT CAST(2000000000 AS integer) + 2000000000", "ERR NUMERIC_VALUE_OUT_OF_RANGE: integer addition overflow: 2000000000 + 2000000000"},
		{"SELECT volume * 9000000000000000000 FROM stock_topic WHERE volume > 0", "ERR NUMERIC_VALUE_OUT_OF_RANGE: bigint multiplication overflow: 100 * 9000000000000000000"},
		// A time with time zone keeps its offset in Trino: current_time's is
		// the session's, UTC; literals and casts with others are refused.
		{"SELECT TIME '10:00:00 +02:00'", "ERR NOT_SUPPORTED: a time with a time zone"},
		{"SELECT CAST('10:00:00+02:00' AS time with time zone)", "ERR NOT_SUPPORTED: a cast to time with time zone"},
		{"SELECT CAST(current_time AS varchar)", "ERR NOT_SUPPORTED: a cast of a time with time zone to varchar"},
	} {
		f.checkFirstRow(t, c.sql, c.want)
	}
	rows, failure := f.run("SELECT current_time, localtime")
	if failure != "" || len(rows) < 2 || !regexp.MustCompile(`^[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}\+00:00$`).MatchString(rows[1][0]) ||
		!regexp.MustCompile(`^[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}$`).MatchString(rows[1][1]) {
		t.Fatalf("current_time, localtime: rows %q, failure %q; want 10:00:00.000+00:00 and 10:00:00.000", rows, failure)
	}
	// Result names are folded to lower case.
	if rows, failure := f.run(`SELECT 1 AS "Ü", ümlaut FROM ütable`); failure != "" || strings.Join(rows[0], ",") != "ü,ümlaut" {
		t.Fatalf("rows %q, failure %q; want the header ü,ümlaut", rows, failure)
	}
	for _, c := range []struct{ sql, want string }{
		{"SELECT CAST(200 AS smallint) * 20000, CAST(1 AS tinyint) * 2, CAST(7 AS smallint) / 2, CAST(7 AS smallint) % 2, CAST(1 AS smallint) * -2, CAST(1 AS smallint) + CAST(1 AS tinyint), -CAST(1 AS tinyint)",
			"integer, integer, integer, integer, integer, smallint, tinyint"},
		{"SELECT CAST(1.5 AS decimal(10,2)) * 2, CAST(1.5 AS decimal(10,2)) * CAST(2 AS integer), CAST(1.5 AS decimal(10,2)) % CAST(0.4 AS decimal(5,3)), CAST(1 AS decimal(18,2)) + CAST(1 AS decimal(18,2)), CAST(7 AS decimal(10,2)) % 2, 7 % CAST(2 AS decimal(10,2)), CAST(7 AS decimal(10,2)) % CAST(2 AS decimal(3,1))",
			"decimal(20,2), decimal(20,2), decimal(5,3), decimal(19,2), decimal(10,2), decimal(10,2), decimal(4,2)"},
		// A choice of a narrow value and an integer literal is an integer.
		{"SELECT coalesce(CAST(1 AS tinyint), 0), greatest(CAST(1 AS smallint), 2), CASE WHEN true THEN CAST(1 AS tinyint) ELSE 0 END, if(true, CAST(1 AS tinyint), -1), least(CAST(1 AS tinyint), 3000000000), coalesce(CAST(1.5 AS decimal(10,2)), 0)",
			"integer, integer, integer, integer, bigint, decimal(12,2)"},
		// Nested: each call typed from its operands' Trino types.
		{"SELECT CAST(1 AS decimal(10,2)) * 2 * 3, (CAST(1 AS decimal(10,2)) * 2) / 3, (CAST(7 AS decimal(10,2)) / 2) * 3, sum(volume) * 1.5 FROM stock_topic",
			"decimal(30,2), decimal(20,2), decimal(20,2), decimal(21,1)"},
	} {
		t.Run(c.sql, func(t *testing.T) {
			if got := f.columnTypes(t, c.sql); got != c.want {
				t.Fatalf("column types %s, want %s", got, c.want)
			}
		})
	}
}
