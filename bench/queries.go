package bench

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	_ "github.com/duckdb/duckdb-go/v2" // the "duckdb" database/sql driver

	"pipeline/catalog"
	"pipeline/pipeline"
	"pipeline/sqlq"
	"pipeline/sqlq/duckdb"
)

// query is one of the typical queries.
type query struct{ name, sql string }

// typicalQueries are what a user asks of the ticks table: how many, per
// symbol, one symbol's day, and the latest tick per symbol (LatestTicksSQL).
func typicalQueries(t *catalog.Table, day string) []query {
	tbl := catalog.QuoteIdent(t.Database) + "." + catalog.QuoteIdent(t.Name)
	return []query{
		{"count", "SELECT count(*) AS n FROM " + tbl},
		{"group_by_symbol", "SELECT symbol, count(*) AS ticks, avg(price) AS avg_price FROM " + tbl + " GROUP BY symbol ORDER BY symbol"},
		{"symbol_day", "SELECT ts, seq, price, size FROM " + tbl + " WHERE symbol = 'AAPL' AND dt = " +
			catalog.QuoteLiteral(day) + " ORDER BY seq"},
		{"latest_per_symbol", pipeline.LatestTicksSQL(t)},
	}
}

// queries times the typical queries over each format's table through the
// pipeline's engine (as `pipeline query` builds it) and through DuckDB
// directly, reading the same files with read_json or read_parquet.
func (b *bench) queries(ctx context.Context) error {
	eng, err := duckdb.Open(ctx, b.catalog, &duckdb.Options{LocalDir: b.stack.Store.PrefixDir})
	if err != nil {
		return fmt.Errorf("bench: queries: %w", err)
	}
	defer eng.Close()
	direct, err := sql.Open("duckdb", "")
	if err != nil {
		return fmt.Errorf("bench: queries: open duckdb: %w", err)
	}
	defer direct.Close()
	if _, err := direct.ExecContext(ctx, "CREATE SCHEMA "+catalog.QuoteIdent(catalog.Database)); err != nil {
		return fmt.Errorf("bench: queries: duckdb: %w", err)
	}
	worst, which := 0.0, ""
	for _, f := range b.opts.Formats {
		if err := b.queryFormat(ctx, eng, direct, f); err != nil {
			return fmt.Errorf("bench: %s queries: %w", f, err)
		}
		for name, q := range b.rep.Formats[f].Queries {
			if q.Ratio > worst {
				worst, which = q.Ratio, f+" "+name
			}
		}
	}
	b.progress("highest query_ms / duckdb_ms: %.2f (%s)", worst, which)
	return nil
}

func (b *bench) queryFormat(ctx context.Context, eng *duckdb.Engine, direct *sql.DB, format string) error {
	fr := b.rep.Formats[format]
	t, err := b.catalog.GetTable(ctx, catalog.Database, fr.Table)
	if err != nil {
		return err
	}
	parts, err := b.catalog.ListPartitions(ctx, catalog.Database, fr.Table)
	if err != nil {
		return err
	}
	if len(parts) == 0 || len(parts[0].Values) != 1 {
		return fmt.Errorf("table %s: want one partition key (dt) and at least one partition, have %d partitions", fr.Table, len(parts))
	}
	day := slices.MaxFunc(parts, func(a, b catalog.Partition) int { return strings.Compare(a.Values[0], b.Values[0]) }).Values[0]

	// What a DuckDB user would write over the same files.
	dir, err := b.stack.Store.PrefixDir(bucket, format+"/"+fr.Table+"/")
	if err != nil {
		return err
	}
	glob := catalog.QuoteLiteral(filepath.Join(dir, "*", "*."+format))
	reader := "read_parquet(" + glob + ", hive_partitioning = true)"
	if format == catalog.FormatJSON {
		// DuckDB infers a JSON file's columns from a sample each time it
		// reads it; infer them once, as a user who defines a view over
		// the files would, so that the baseline is DuckDB's scan itself.
		cols, err := describe(ctx, direct, "read_json("+glob+", format = 'newline_delimited', hive_partitioning = false)")
		if err != nil {
			return fmt.Errorf("duckdb: %w", err)
		}
		reader = "read_json(" + glob + ", format = 'newline_delimited', hive_partitioning = true, columns = {" + cols + "})"
	}
	view := catalog.QuoteIdent(t.Database) + "." + catalog.QuoteIdent(t.Name)
	if _, err := direct.ExecContext(ctx, "CREATE VIEW "+view+" AS SELECT * FROM "+reader); err != nil {
		return fmt.Errorf("duckdb: %w", err)
	}

	for _, q := range typicalQueries(t, day) {
		// Through the engine's streaming path, as `pipeline query -o csv`
		// and `-o json` read a result: DuckDB alone is timed reading the
		// rows and keeping none, and so is this.
		viaEngine := func() (int, any, error) {
			n := 0
			var v any
			err := eng.QueryEach(ctx, q.sql, func([]sqlq.Column) error { return nil }, func(row []any) error {
				if n == 0 && len(row) > 0 {
					v = row[0]
				}
				n++
				return nil
			})
			return n, v, err
		}
		viaDuckDB := func() (int, any, error) { return queryDirect(ctx, direct, q.sql) }
		qr := &QueryReport{SQL: q.sql}
		var te, td []time.Duration
		var ve, vd any
		// Warm: one run each first, then alternate, so that drift hits both.
		// A query of a few milliseconds runs more often, until both have
		// run for queryMinTime, so that its median is not one hiccup.
		var spent time.Duration
		for i := 0; i <= queryRuns || (spent < queryMinTime && i <= queryMaxRuns); i++ {
			d, n, v, err := timed(viaEngine)
			if err != nil {
				return fmt.Errorf("%s through the pipeline's engine: %w", q.name, err)
			}
			qr.Rows, ve = n, v
			if i > 0 {
				te = append(te, d)
				spent += d
			}
			d, n, v, err = timed(viaDuckDB)
			if err != nil {
				return fmt.Errorf("%s through DuckDB: %w", q.name, err)
			}
			qr.DuckDBRows, vd = n, v
			if i > 0 {
				td = append(td, d)
				spent += d
			}
		}
		if qr.Rows != qr.DuckDBRows {
			return fmt.Errorf("%s: %d rows through the pipeline's engine, %d through DuckDB", q.name, qr.Rows, qr.DuckDBRows)
		}
		if q.name == "count" && (ve != b.opts.Events || vd != b.opts.Events) {
			return fmt.Errorf("count(*) is %v through the pipeline's engine and %v through DuckDB: want the %d events stored",
				ve, vd, b.opts.Events)
		}
		qr.QueryMS, qr.DuckDBMS = ms(median(te)), ms(median(td))
		if qr.DuckDBMS > 0 {
			qr.Ratio = round(qr.QueryMS/qr.DuckDBMS, 3)
		}
		fr.Queries[q.name] = qr
	}
	return nil
}

func timed(fn func() (int, any, error)) (time.Duration, int, any, error) {
	t0 := time.Now()
	n, v, err := fn()
	return time.Since(t0), n, v, err
}

// first is the first value of the first row, or nil.
func first(rows [][]any) any {
	if len(rows) == 0 || len(rows[0]) == 0 {
		return nil
	}
	return rows[0][0]
}

// queryDirect runs sql and reads every row, as a database/sql user does; it
// returns the number of rows and the first value of the first.
func queryDirect(ctx context.Context, db *sql.DB, query string) (int, any, error) {
	rows, err := db.QueryContext(ctx, query)
	if err != nil {
		return 0, nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return 0, nil, err
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	n := 0
	var v any
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return 0, nil, err
		}
		if n == 0 && len(vals) > 0 {
			v = vals[0]
		}
		n++
	}
	return n, v, rows.Err()
}

// describe returns the columns DuckDB finds in a table function's result,
// as a columns = {...} list: 'name': 'TYPE', ...
func describe(ctx context.Context, db *sql.DB, from string) (string, error) {
	rows, err := db.QueryContext(ctx, "SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM "+from+")")
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var cols []string
	for rows.Next() {
		var name, typ string
		if err := rows.Scan(&name, &typ); err != nil {
			return "", err
		}
		cols = append(cols, catalog.QuoteLiteral(name)+": "+catalog.QuoteLiteral(typ))
	}
	return strings.Join(cols, ", "), rows.Err()
}
