package duckdb

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"slices"
	"sync"
	"sync/atomic"

	"pipeline/sqlq"
)

// countedQueries tracks the queries QueryCounted runs, so that DuckDB's log
// of file reads is cleared only when none is running: the log is the
// database's, and a query's reads are found in it after the query.
type countedQueries struct {
	mu      sync.Mutex
	running int
}

// QueryCounted is Query that also returns the bytes the query read from the
// tables' files (DuckDB's own reads: for Parquet only the column chunks
// and footers it needed). The engine must have been opened with
// Options.CountBytesRead; without it the count is 0.
func (d *Engine) QueryCounted(ctx context.Context, sql string) (*sqlq.Result, int64, error) {
	res, _, n, err := d.queryCounted(ctx, sql, false)
	return res, n, err
}

// QueryCountedRaw is QueryCounted for a caller that writes the result back
// to DuckDB: the values are the driver's, not normalized (duckdb.Decimal,
// *big.Int, []any, map[string]any, duckdb.OrderedMap, []byte, ...), and
// types are the columns' DuckDB types, for Normalize and HiveType.
func (d *Engine) QueryCountedRaw(ctx context.Context, sql string) (res *sqlq.Result, types []string, n int64, err error) {
	return d.queryCounted(ctx, sql, true)
}

func (d *Engine) queryCounted(ctx context.Context, sql string, raw bool) (*sqlq.Result, []string, int64, error) {
	inst, err := d.acquire(ctx, sql)
	if err != nil {
		return nil, nil, 0, err
	}
	defer inst.refs.Done()
	conn, err := inst.db.Conn(ctx)
	if err != nil {
		return nil, nil, 0, fmt.Errorf("query: %w", err)
	}
	defer conn.Close()

	d.counted.mu.Lock()
	d.counted.running++
	d.counted.mu.Unlock()
	defer func() {
		d.counted.mu.Lock()
		defer d.counted.mu.Unlock()
		if d.counted.running--; d.counted.running == 0 && d.opts.CountBytesRead {
			conn.ExecContext(context.Background(), "SELECT * FROM truncate_duckdb_logs()")
		}
	}()

	// The query's reads are this connection's logged after its last
	// logged one (query ids grow on a connection).
	var before int64
	if d.opts.CountBytesRead {
		err := conn.QueryRowContext(ctx, `SELECT CAST(coalesce(max(query_id), 0) AS BIGINT) FROM duckdb_logs
			WHERE connection_id = current_connection_id()`).Scan(&before)
		if err != nil {
			return nil, nil, 0, fmt.Errorf("query: %w", err)
		}
	}
	var ownReads atomic.Int64 // hive_json's, which DuckDB does not log
	ctx = context.WithValue(ctx, bytesReadKey{}, &ownReads)
	res := &sqlq.Result{Rows: [][]any{}}
	var types []string
	err = inst.queryEach(ctx, conn, &d.checks, d.opts.MaxValueChars, sql, raw, func(cols []sqlq.Column, duckTypes []string) error {
		res.Columns, types = cols, duckTypes
		return nil
	}, func(row []any) error {
		res.Rows = append(res.Rows, append([]any(nil), row...))
		return nil
	})
	if err != nil || !d.opts.CountBytesRead {
		return res, types, ownReads.Load(), err
	}
	sole := map[string]bool{}
	inst.viewsMu.Lock()
	for _, v := range inst.views {
		for _, f := range v.sole {
			sole[f] = true
		}
	}
	inst.viewsMu.Unlock()
	read, err := logReads(ctx, conn, before, sole)
	if err != nil {
		return nil, nil, 0, fmt.Errorf("query: count bytes read: %w", err)
	}
	return res, types, read + ownReads.Load(), nil
}

// logReads sums the bytes DuckDB's log says the connection's queries after
// query id before read. The footer of each Parquet file a query scans
// counts whole, as a reader without a cache reads it: DuckDB keeps footers
// in its metadata cache, so the logged reads alone would make a query
// answered from footers (count(*)) read nothing, and the same query read
// less the second time. sole holds the Parquet files that are alone in
// their reader: DuckDB may answer from the footer it opened binding them.
func logReads(ctx context.Context, conn *sql.Conn, before int64, sole map[string]bool) (int64, error) {
	// The statement that asks reads no file.
	rows, err := conn.QueryContext(ctx, `SELECT json_extract_string(message, '$.op'), json_extract_string(message, '$.path'),
		coalesce(CAST(json_extract_string(message, '$.bytes') AS BIGINT), 0), coalesce(CAST(json_extract_string(message, '$.pos') AS BIGINT), 0)
		FROM duckdb_logs WHERE type = 'FileSystem' AND connection_id = current_connection_id() AND query_id > ?
		AND json_extract_string(message, '$.op') IN ('OPEN', 'READ')`, before)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	type read struct{ n, pos int64 }
	reads := map[string][]read{}
	opens := map[string]int{}
	for rows.Next() {
		var op, path string
		var r read
		if err := rows.Scan(&op, &path, &r.n, &r.pos); err != nil {
			return 0, err
		}
		if op == "OPEN" {
			opens[path]++
		} else {
			reads[path] = append(reads[path], r)
		}
	}
	if err := rows.Err(); err != nil {
		return 0, err
	}
	type footer struct{ start, n int64 }
	footers := map[string]footer{} // each file's read once
	footerOf := func(path string) footer {
		f, ok := footers[path]
		if !ok {
			f.start, f.n = parquetFooter(path)
			footers[path] = f
		}
		return f
	}
	var total int64
	for path, opened := range opens {
		// Binding a read of several Parquet files (union_by_name) opens
		// each once for its schema; the files the query scans after
		// partition pruning are opened again.
		if n := footerOf(path).n; n > 0 && (opened > 1 || len(reads[path]) > 0 || sole[path]) {
			total += n
		}
	}
	for path, rs := range reads {
		f := footerOf(path)
		footer, n := f.start, f.n
		if n == 0 {
			footer = math.MaxInt64
		}
		// DuckDB peeks at a page before reading its column chunk: the
		// bytes of overlapping reads count once. The footer's were
		// counted above.
		slices.SortFunc(rs, func(a, b read) int { return cmp.Compare(a.pos, b.pos) })
		end := int64(0)
		for _, r := range rs {
			if from, to := max(r.pos, end), min(r.pos+r.n, footer); to > from {
				total += to - from
			}
			end = max(end, r.pos+r.n)
		}
	}
	return total, nil
}

// parquetFooter returns where a Parquet file's footer (its metadata, their
// length and the magic number) starts and its length; 0, 0 for a file
// that is not Parquet.
func parquetFooter(path string) (start, n int64) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || fi.Size() < 12 {
		return 0, 0
	}
	var tail [8]byte
	if _, err := f.ReadAt(tail[:], fi.Size()-8); err != nil || string(tail[4:]) != "PAR1" {
		return 0, 0
	}
	n = int64(binary.LittleEndian.Uint32(tail[:4])) + 8
	if n > fi.Size()-4 {
		return 0, 0
	}
	return fi.Size() - n, n
}
