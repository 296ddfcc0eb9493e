package duckdb

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"unicode/utf8"
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

// countedValue counts how often it is rendered.
type countedValue struct{ n *int }

func (c countedValue) String() string { *c.n++; return "x" }

// TestTextStopsAtMaxChars: a nested value is rendered no further than the
// characters kept of it, so a list of a million elements costs what its
// first few do; without a bound it is rendered whole.
func TestTextStopsAtMaxChars(t *testing.T) {
	var rendered int
	l := make([]any, 1_000_000)
	for i := range l {
		l[i] = countedValue{&rendered}
	}
	typ := parseType(`STRUCT(a SOMETHING[])[]`)
	v := []any{map[string]any{"a": l}}
	s := typ.normalize(v, 100).(string)
	if n := utf8.RuneCountInString(s); n != 101 || !strings.HasPrefix(s, "[{a=[x, x, x") || !strings.HasSuffix(s, "…") {
		t.Errorf("cut at 100 characters: %d characters, %q", n, s)
	}
	if rendered > 1000 {
		t.Errorf("%d elements rendered to show 100 characters", rendered)
	}
	rendered = 0
	if s := typ.normalize(v, 0).(string); len(s) != 3*len(l)-2+8 || rendered != len(l) {
		t.Errorf("unbounded: %d bytes, %d elements rendered; want all %d", len(s), rendered, len(l))
	}

	// A blob is not copied whole to be cut; a text that fits is as it is.
	blob := []byte(strings.Repeat("é", 1_000_000))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	s = parseType("BLOB").normalize(blob, 10).(string)
	runtime.ReadMemStats(&after)
	if s != strings.Repeat("é", 10)+"…" {
		t.Errorf("a cut blob: %q", s)
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
		t.Errorf("cutting a blob of %d bytes to 10 characters allocated %d bytes", len(blob), n)
	}
	for _, fits := range []string{"", "abc", strings.Repeat("é", 100)} {
		if s := parseType("VARCHAR").normalize(fits, 100); s != fits {
			t.Errorf("%q (fits in 100 characters) became %q", fits, s)
		}
	}
	if s := parseType("VARCHAR").normalize(strings.Repeat("é", 101), 100); s != strings.Repeat("é", 100)+"…" {
		t.Errorf("101 characters cut at 100: %q", s)
	}
}
