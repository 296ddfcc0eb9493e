package emulate

// Trino matches names regardless of case, quoted or not, and Athena folds
// them to lower case; DuckDB folds only ASCII letters, so "Ü" would not
// find a column ü. Pass 1 first folds every name with a letter beyond
// ASCII to lower case, as Java's toLowerCase does; a column reference to
// a table column whose catalog name has upper-case letters beyond ASCII
// (a Glue client may write one) takes that name's spelling, which is the
// column's name in DuckDB.

import (
	"pipeline/catalog"
	"slices"
	"strings"
	"unicode/utf8"
)

// foldNames lower-cases the non-ASCII names of a statement: columns and
// their qualifiers, aliases, tables, CTEs and their column lists. spelled
// maps the lower-case name of a table column to its catalog name.
func foldNames(v any, spelled map[string]string) {
	fold := func(s string) string {
		if !isASCII(s) {
			return strings.ToLower(s)
		}
		return s
	}
	foldList := func(v any, canonical bool) {
		list, _ := v.([]any)
		for i, e := range list {
			if s, ok := e.(string); ok {
				list[i] = fold(s)
				if c, ok := spelled[fold(s)]; ok && canonical {
					list[i] = c
				}
			}
		}
	}
	switch x := v.(type) {
	case astNode:
		for _, k := range []string{"alias", "table_name", "relation_name"} {
			if s, ok := x[k].(string); ok {
				x[k] = fold(s)
			}
		}
		foldList(x["column_names"], true)
		foldList(x["column_name_alias"], false)
		foldList(x["aliases"], false)
		if m, ok := at(x, "cte_map", "map").([]any); ok {
			for _, e := range m {
				if en, ok := e.(astNode); ok {
					if s, ok := en["key"].(string); ok {
						en["key"] = fold(s)
					}
				}
			}
		}
		for _, e := range x {
			foldNames(e, spelled)
		}
	case []any:
		for _, e := range x {
			foldNames(e, spelled)
		}
	}
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// spelledColumns maps the lower-case names of the tables' columns that
// have letters beyond ASCII to their catalog names.
func spelledColumns(tables map[string]*catalog.Table) map[string]string {
	out := map[string]string{}
	for _, t := range tables {
		for _, c := range append(slices.Clone(t.Columns), t.PartitionKeys...) {
			if !isASCII(c.Name) {
				out[strings.ToLower(c.Name)] = c.Name
			}
		}
	}
	return out
}
