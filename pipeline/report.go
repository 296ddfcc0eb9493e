package pipeline

import (
	"fmt"
	"strings"

	"pipeline/catalog"
)

// LatestTicksSQL is the query behind `pipeline run`'s table: for each symbol its
// latest tick's date, price and volume, and how many ticks the table holds.
// It picks the price, volume and date columns the table has (a CSV source
// brings its own), and is plain SQL that DuckDB and Athena both run.
func LatestTicksSQL(t *catalog.Table) string {
	pick := func(names ...string) string {
		for _, n := range names {
			if _, ok := t.Column(n); ok {
				return catalog.QuoteIdent(n)
			}
		}
		return ""
	}
	date := pick("date", "datetime", "timestamp", "time", "day")
	if date == "" {
		date = "CAST(ts AS DATE)"
	}
	cols := []string{"symbol", date + " AS date"}
	names := []string{"symbol", "date"}
	if p := pick("price", "close", "closeusd", "adj_close", "last"); p != "" {
		cols, names = append(cols, p+" AS last_price"), append(names, "last_price")
	}
	if v := pick("volume", "size"); v != "" {
		cols, names = append(cols, v+" AS volume"), append(names, "volume")
	}
	names = append(names, "ticks")
	return fmt.Sprintf(`SELECT %s FROM (
  SELECT %s, count(*) OVER (PARTITION BY symbol) AS ticks,
         row_number() OVER (PARTITION BY symbol ORDER BY ts DESC, seq DESC) AS rn
  FROM %s.%s)
WHERE rn = 1 ORDER BY symbol`, strings.Join(names, ", "), strings.Join(cols, ", "), catalog.QuoteIdent(t.Database), catalog.QuoteIdent(t.Name))
}
