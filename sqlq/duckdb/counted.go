package duckdb

import (
	"context"
	"fmt"
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
	inst, err := d.acquire(ctx, sql)
	if err != nil {
		return nil, 0, err
	}
	defer inst.refs.Done()
	conn, err := inst.db.Conn(ctx)
	if err != nil {
		return nil, 0, fmt.Errorf("query: %w", err)
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
			return nil, 0, fmt.Errorf("query: %w", err)
		}
	}
	var ownReads atomic.Int64 // hive_json's, which DuckDB does not log
	ctx = context.WithValue(ctx, bytesReadKey{}, &ownReads)
	res := &sqlq.Result{Rows: [][]any{}}
	err = inst.queryEach(ctx, conn, &d.checks, d.opts.MaxValueChars, sql, func(cols []sqlq.Column) error {
		res.Columns = cols
		return nil
	}, func(row []any) error {
		res.Rows = append(res.Rows, append([]any(nil), row...))
		return nil
	})
	if err != nil || !d.opts.CountBytesRead {
		return res, ownReads.Load(), err
	}
	var read int64
	// The statement that asks reads no file.
	// (duckdb_logs_parsed would parse every message; only reads have bytes.)
	err = conn.QueryRowContext(ctx, `SELECT CAST(coalesce(sum(CAST(json_extract_string(message, '$.bytes') AS BIGINT)), 0) AS BIGINT)
		FROM duckdb_logs WHERE type = 'FileSystem' AND connection_id = current_connection_id() AND query_id > ?
		AND json_extract_string(message, '$.op') = 'READ'`, before).Scan(&read)
	if err != nil {
		return nil, 0, fmt.Errorf("query: count bytes read: %w", err)
	}
	return res, read + ownReads.Load(), nil
}
