package catalog

import "strings"

// QuoteIdent quotes a SQL identifier (DuckDB, Athena/Trino): user-provided
// names can never break out of it.
func QuoteIdent(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

// QuoteLiteral quotes a SQL string literal (DuckDB, Athena/Trino): user
// text can never break out of it.
func QuoteLiteral(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}
