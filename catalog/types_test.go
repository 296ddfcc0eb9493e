package catalog

import "testing"

func TestDuckDBType(t *testing.T) {
	for _, tc := range []struct{ hive, duck string }{
		{TypeString, "VARCHAR"}, {TypeBigint, "BIGINT"}, {" BIGINT ", "BIGINT"}, {"int", "INTEGER"}, {"integer", "INTEGER"},
		{"smallint", "SMALLINT"}, {"tinyint", "TINYINT"}, {TypeDouble, "DOUBLE"}, {"float", "FLOAT"},
		{TypeBoolean, "BOOLEAN"}, {TypeTimestamp, "TIMESTAMP"}, {TypeDate, "DATE"}, {"binary", "BLOB"},
		{"decimal(10,2)", "DECIMAL(10,2)"}, {"DECIMAL(18, 3)", "DECIMAL(18,3)"},
		{"decimal(100,2)", "VARCHAR"}, {"decimal", "DECIMAL(10,0)"}, {"varchar(10)", "VARCHAR"}, {"char(3)", "VARCHAR"},
		{"array<string>", "VARCHAR[]"}, {"map<string,array<int>>", "MAP(VARCHAR, INTEGER[])"},
		{"struct<a:int, B:string>", `STRUCT("a" INTEGER, "b" VARCHAR)`}, {"array<struct<`x\"y`:double>>", `STRUCT("x""y" DOUBLE)[]`},
		{`x"); DROP TABLE t; --`, "VARCHAR"}, {"notatype", "VARCHAR"}, {"array<int", "VARCHAR"}, {"map<array<int>,int>", "VARCHAR"},
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

func TestParseType(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"INT", "int"}, {"integer", "int"}, {"real", "float"}, {"Decimal( 7 , 2 )", "decimal(7,2)"},
		{"array< struct< a : int , b:map<string,bigint> > >", "array<struct<a:int,b:map<string,bigint>>>"},
		{"struct<`a b`:string>", "struct<`a b`:string>"},
	} {
		got, err := ParseType(tc.in)
		if err != nil || got.String() != tc.want {
			t.Errorf("ParseType(%q) = %v, %v; want %s", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "notatype", "uniontype<int,string>", "varchar", "decimal(0,0)", "decimal(39,2)",
		"decimal(5,6)", "char(300)", "array<>", "array<int>>", "map<int>", "struct<a:int,a:string>", "struct<>", "int int"} {
		if got, err := ParseType(bad); err == nil {
			t.Errorf("ParseType(%q) = %v, want an error", bad, got)
		}
	}
}
