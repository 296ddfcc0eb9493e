package duckdb

import (
	"fmt"
	"strings"
	"testing"
)

func TestParseTypeAthena(t *testing.T) {
	tests := []struct{ duck, athena string }{
		{"BIGINT", "bigint"},
		{"HUGEINT", "bigint"},
		{"DECIMAL(18,3)", "decimal(18,3)"},
		{"VARCHAR[]", "array<varchar>"},
		{"INTEGER[3][]", "array<array<integer>>"},
		{`STRUCT("a" INTEGER, "b,""c" VARCHAR[])`, `struct<a:integer,b,"c:array<varchar>>`},
		{"MAP(VARCHAR, STRUCT(x DOUBLE))", "map<varchar,struct<x:double>>"},
		{"ENUM('a', 'b)')", "varchar"},
		{"TIMESTAMP_NS", "timestamp"},
		{"TIMESTAMPTZ", "timestamp with time zone"},
		{"SOMETHING NEW(", "varchar"},
	}
	for _, tt := range tests {
		if got := parseType(tt.duck).athena(); got != tt.athena {
			t.Errorf("%s: %s, want %s", tt.duck, got, tt.athena)
		}
	}
}

// TestFreshChecksOnlyTheTablesAQueryNames: a query stats the directories
// of the tables it names, not of every table, so its cost does not grow
// with the partitions of tables it does not read.
func TestFreshChecksOnlyTheTablesAQueryNames(t *testing.T) {
	checked := func(sql string) []string {
		var out []string
		for _, name := range []string{"ticks", "Quotes_2", `we"ird`, "zürich"} {
			if mayRead(strings.ToLower(sql), name) {
				out = append(out, name)
			}
		}
		return out
	}
	for sql, want := range map[string]string{
		`SELECT count(*) FROM stock_market.ticks`:            `[ticks we"ird zürich]`,
		`SELECT * FROM "QUOTES_2" JOIN ticks USING (symbol)`: `[ticks Quotes_2 we"ird zürich]`,
		`SELECT 1`: `[we"ird zürich]`,
	} {
		if got := fmt.Sprint(checked(sql)); got != want {
			t.Errorf("%s checks %s, want %s", sql, got, want)
		}
	}
}
