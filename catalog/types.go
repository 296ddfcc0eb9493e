package catalog

import (
	"slices"
	"strings"
)

// Column types are the Glue/Athena (Hive) type names.
const (
	TypeString    = "string"
	TypeBigint    = "bigint"
	TypeDouble    = "double"
	TypeBoolean   = "boolean"
	TypeTimestamp = "timestamp"
	TypeDate      = "date"
)

// Table formats: the files under a table's location.
const (
	FormatJSON    = "json" // JSON lines, one object a line
	FormatParquet = "parquet"
)

// MergeColumns returns old's columns with new's added: a column keeps its
// place, a type conflict widens (bigint+double -> double, anything else ->
// string), and columns only in new are appended in new's order.
func MergeColumns(old, new []Column) []Column {
	out := slices.Clone(old)
	for _, n := range new {
		i := slices.IndexFunc(out, func(c Column) bool { return strings.EqualFold(c.Name, n.Name) })
		if i < 0 {
			out = append(out, n)
			continue
		}
		out[i].Type = WidenType(out[i].Type, n.Type)
	}
	return out
}

// WidenType returns the narrowest type that holds values of both a and b.
// An empty type (only nulls seen) gives way to the other.
func WidenType(a, b string) string {
	switch {
	case a == b || b == "":
		return a
	case a == "":
		return b
	case (a == TypeBigint && b == TypeDouble) || (a == TypeDouble && b == TypeBigint):
		return TypeDouble
	case (a == TypeDate && b == TypeTimestamp) || (a == TypeTimestamp && b == TypeDate):
		return TypeTimestamp
	default:
		return TypeString
	}
}

// DuckDBType maps a catalog (Hive) type, in any case, to the DuckDB type a
// view of the table reads it as (see HiveType.DuckDB). A type ParseType
// refuses is VARCHAR, so the result is never user text.
func DuckDBType(t string) string {
	ht, err := ParseType(t)
	if err != nil {
		return "VARCHAR"
	}
	return ht.DuckDB()
}
