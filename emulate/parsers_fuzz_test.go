package emulate

import (
	"pipeline/catalog"
	"testing"
)

// FuzzPartitionFilter: a Glue partition expression from a client is parsed
// and evaluated without a panic, whatever it is.
func FuzzPartitionFilter(f *testing.F) {
	for _, s := range []string{"dt='2026-12-06'", "hour BETWEEN 2 AND 9 OR dt LIKE '2026-%'", "NOT (h IN (1, -2))", "`dt` IS NOT NULL",
		"dt > DATE '2026-01-01'", "((((", "h = ", "d = 1.5e3", "dt <> '' AND"} {
		f.Add(s)
	}
	keys := []catalog.Column{{Name: "dt", Type: "string"}, {Name: "h", Type: "int"}, {Name: "d", Type: "decimal(10,2)"}, {Name: "day", Type: "date"}}
	f.Fuzz(func(t *testing.T, expr string) {
		flt, err := parsePartitionFilter(expr, keys)
		if err != nil {
			return
		}
		for _, values := range [][]string{{"2026-12-06", "3", "1.50", "2026-12-06"}, {"__HIVE_DEFAULT_PARTITION__", "x", "y", "z"}} {
			flt.match(values)
		}
	})
}

// FuzzHiveDDL: the parts of CREATE EXTERNAL TABLE and ALTER TABLE read from
// a statement never panic.
func FuzzHiveDDL(f *testing.F) {
	for _, s := range []string{"(a int COMMENT 'x', `b c` array<struct<x:int,y:map<string,decimal(10,2)>>>)",
		"('k'='v', 'it\\'s'='a\\\\b')", "(dt='2026-01-01', h=-1)", "(a", "(`", "('k'=)", "(a array<int)"} {
		f.Add(s)
	}
	keys := []catalog.Column{{Name: "dt", Type: "string"}, {Name: "h", Type: "int"}}
	f.Fuzz(func(t *testing.T, s string) {
		newDDLParser(s).columns()
		newDDLParser(s).props()
		newDDLParser(s).partitionSpec(keys)
		newDDLParser(s).qualified()
		newDDLParser(s).hiveType()
	})
}
