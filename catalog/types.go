package catalog

import (
	"regexp"
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

// decimalType is a Hive decimal DuckDB takes: precision and scale of at
// most two digits (DuckDB's DECIMAL holds 38).
var decimalType = regexp.MustCompile(`^decimal\((\d{1,2}),\s*(\d{1,2})\)$`)

// DuckDBType maps a catalog (Hive) type, in any case, to the DuckDB type a
// view of the table reads it as. A type it does not know is VARCHAR, so the
// result is always one of a fixed set: never user text.
func DuckDBType(t string) string {
	t = strings.ToLower(strings.TrimSpace(t))
	switch t {
	case TypeString:
		return "VARCHAR"
	case TypeBigint:
		return "BIGINT"
	case "int", "integer":
		return "INTEGER"
	case "smallint":
		return "SMALLINT"
	case "tinyint":
		return "TINYINT"
	case TypeDouble:
		return "DOUBLE"
	case "float":
		return "FLOAT"
	case TypeBoolean:
		return "BOOLEAN"
	case TypeTimestamp:
		return "TIMESTAMP"
	case TypeDate:
		return "DATE"
	case "binary":
		return "BLOB"
	}
	if m := decimalType.FindStringSubmatch(t); m != nil {
		return "DECIMAL(" + m[1] + "," + m[2] + ")"
	}
	return "VARCHAR"
}
