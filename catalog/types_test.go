package catalog

import "testing"

func TestDuckDBType(t *testing.T) {
	for _, tc := range []struct{ hive, duck string }{
		{TypeString, "VARCHAR"}, {TypeBigint, "BIGINT"}, {" BIGINT ", "BIGINT"}, {"int", "INTEGER"}, {"integer", "INTEGER"},
		{"smallint", "SMALLINT"}, {"tinyint", "TINYINT"}, {TypeDouble, "DOUBLE"}, {"float", "FLOAT"},
		{TypeBoolean, "BOOLEAN"}, {TypeTimestamp, "TIMESTAMP"}, {TypeDate, "DATE"}, {"binary", "BLOB"},
		{"decimal(10,2)", "DECIMAL(10,2)"}, {"DECIMAL(18, 3)", "DECIMAL(18,3)"},
		{"decimal(100,2)", "VARCHAR"}, {"array<string>", "VARCHAR"}, {`x"); DROP TABLE t; --`, "VARCHAR"},
	} {
		if got := DuckDBType(tc.hive); got != tc.duck {
			t.Errorf("DuckDBType(%q) = %q, want %q", tc.hive, got, tc.duck)
		}
	}
}

func TestQuote(t *testing.T) {
	if got, want := QuoteIdent(`a"b`), `"a""b"`; got != want {
		t.Errorf("QuoteIdent = %s, want %s", got, want)
	}
	if got, want := QuoteLiteral(`it's`), `'it''s'`; got != want {
		t.Errorf("QuoteLiteral = %s, want %s", got, want)
	}
}
