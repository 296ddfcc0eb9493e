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
// string), and columns only in new are appended in new's order. It infers
// one schema from samples of data; a table's columns evolve by
// EvolveColumns instead.
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

// EvolveColumns returns a table's columns with the columns found in data
// added: a table's column types are a contract, so a column keeps its place
// and its type unless the found type is one it may widen to (EvolveType);
// columns only in found are appended in found's order, but those of no type
// (only nulls seen), which say nothing yet. Names compare regardless of
// case, as in Glue.
func EvolveColumns(table, found []Column) []Column {
	out := slices.Clone(table)
	for _, f := range found {
		i := slices.IndexFunc(out, func(c Column) bool { return strings.EqualFold(c.Name, f.Name) })
		switch {
		case i >= 0:
			out[i].Type, _ = EvolveType(out[i].Type, f.Type)
		case f.Type != "":
			out = append(out, f)
		}
	}
	return out
}

// EvolveType returns the type a table's column of type table takes for
// values of type found, and whether it is another: found's if it widens
// table by a step that keeps every value (bigint to double, date to
// timestamp, or a column with no type yet), else table's own. Nothing
// becomes a string this way: a value that the table's type cannot read is
// the record's fault, not the table's.
func EvolveType(table, found string) (string, bool) {
	switch {
	case table == "" && found != "":
		return found, true
	case table == TypeBigint && found == TypeDouble, table == TypeDate && found == TypeTimestamp:
		return found, true
	}
	return table, false
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
