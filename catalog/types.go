package catalog

import (
	"cmp"
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
//
// An array, map or struct evolves inside by the same steps: its elements'
// or values' types, and a struct gains the fields found adds.
func EvolveType(table, found string) (string, bool) {
	switch {
	case table == "" && found != "":
		return found, true
	case table == TypeBigint && found == TypeDouble, table == TypeDate && found == TypeTimestamp:
		return found, true
	}
	if t, f, ok := bothComplex(table, found); ok {
		if e := evolveHive(t, f).String(); e != t.String() {
			return e, true
		}
	}
	return table, false
}

// bothComplex parses a and b if both are arrays, maps or structs.
func bothComplex(a, b string) (ta, tb *HiveType, ok bool) {
	if !strings.Contains(a, "<") || !strings.Contains(b, "<") {
		return nil, nil, false
	}
	ta, err := ParseType(a)
	if err != nil || !ta.Complex() {
		return nil, nil, false
	}
	tb, err = ParseType(b)
	if err != nil || !tb.Complex() {
		return nil, nil, false
	}
	return ta, tb, true
}

// evolveHive is EvolveType of parsed types: t, evolved where found widens
// it.
func evolveHive(t, found *HiveType) *HiveType {
	return mergeHive(t, found, func(t, found *HiveType) *HiveType {
		if t == nil || found == nil {
			return cmp.Or(t, found)
		}
		if !t.Complex() && !found.Complex() {
			if e, changed := EvolveType(t.String(), found.String()); changed {
				if et, err := ParseType(e); err == nil {
					return et
				}
			}
		}
		return t
	})
}

// mergeHive merges b into a through arrays, maps of one key type and
// structs (a's fields, then those only b has), and leaves everything else,
// a nil (nothing known) included, to leaf.
func mergeHive(a, b *HiveType, leaf func(a, b *HiveType) *HiveType) *HiveType {
	switch {
	case a == nil || b == nil:
	case a.Kind == "array" && b.Kind == "array":
		return &HiveType{Kind: "array", Elem: mergeHive(a.Elem, b.Elem, leaf)}
	case a.Kind == "map" && b.Kind == "map" && a.Key.String() == b.Key.String():
		return &HiveType{Kind: "map", Key: a.Key, Value: mergeHive(a.Value, b.Value, leaf)}
	case a.Kind == "struct" && b.Kind == "struct":
		out := &HiveType{Kind: "struct"}
		for _, f := range a.Fields {
			if i := slices.IndexFunc(b.Fields, func(g HiveField) bool { return g.Name == f.Name }); i >= 0 {
				f.Type = mergeHive(f.Type, b.Fields[i].Type, leaf)
			}
			out.Fields = append(out.Fields, f)
		}
		for _, g := range b.Fields {
			if !slices.ContainsFunc(a.Fields, func(f HiveField) bool { return f.Name == g.Name }) {
				out.Fields = append(out.Fields, g)
			}
		}
		return out
	}
	return leaf(a, b)
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
	}
	if ta, tb, ok := bothComplex(a, b); ok {
		return WidenHiveType(ta, tb).String()
	}
	return TypeString
}

// WidenHiveType is WidenType of parsed types: two arrays widen their
// elements, two maps of one key type their values, two structs their
// fields (a's, then those only b has); anything else is a string. A nil
// type (nothing known yet), here or inside, gives way to the other.
func WidenHiveType(a, b *HiveType) *HiveType {
	return mergeHive(a, b, func(a, b *HiveType) *HiveType {
		switch {
		case a == nil:
			return b
		case b == nil:
			return a
		case !a.Complex() && !b.Complex():
			if t, err := ParseType(WidenType(a.String(), b.String())); err == nil {
				return t
			}
		}
		return &HiveType{Kind: TypeString}
	})
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
