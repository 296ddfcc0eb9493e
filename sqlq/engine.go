// Package sqlq is the query layer's contract: the Engine interface that the
// local DuckDB engine and the Athena engine both implement, what a query
// returns, and result printing.
//
// It links no engine: the DuckDB engine is package sqlq/duckdb (cgo), the
// Athena engine is in package aws, so a package that only runs queries
// through an Engine (the UI, the Athena adapter) does not pull DuckDB in.
// It is not the catalog either (package catalog, which engines read tables
// from).
//
// # Main types
//
//   - Engine, RowStreamer: what a query engine offers; enginetest checks
//     both implementations alike. QueryEach reads rows from either.
//   - Result, Column, QueryError (ErrQuery): what a query returns.
//   - Print, RowWriter: results as a table, CSV or JSON.
//
// # Results that compare
//
// Both engines return a Result whose column types are Athena type names and
// whose values are normalized to a few Go types, so that the same query run
// through DuckDB and through Athena gives results that compare with
// reflect.DeepEqual. A column's type decides the Go type of its values:
//
//	boolean                                   bool
//	tinyint, smallint, integer, bigint        int64
//	real, double                              float64
//	date, timestamp, timestamp with time zone time.Time, in UTC (a date at midnight)
//	decimal(p,s)                              string, exact, s digits after the point: "12.50"
//	everything else                           string
//
// "Everything else" is varchar, json (JSON text), uuid, time ("15:04:05.123"),
// interval day to second, varbinary (the raw bytes), and the nested types
// array<t>, map<k,v> and struct<name:t,...>, rendered as Athena renders them:
// [1, 2], {k=v}, {name=v}. A NULL is nil whatever the column type.
//
// An integer column computed by DuckDB as a 128-bit integer (sum of a bigint
// is one) is typed bigint, as Athena types it; a value that does not fit in
// a bigint fails the query, as it does in Athena (a CAST to DECIMAL(38,0) or
// DOUBLE keeps it).
package sqlq

import (
	"context"
	"errors"
	"strings"
)

// Engine runs SQL over the catalog's tables: DuckDB locally, Athena in the
// cloud. Implementations are safe for concurrent use.
type Engine interface {
	// Query runs one SQL statement and returns all of its rows, so a big
	// result should be bounded with LIMIT (or read through RowStreamer). Canceling ctx stops a running
	// query; the error then wraps ctx.Err(). A failure of the statement
	// itself (bad syntax, an unknown table or column, a bad cast, bad data
	// in a file) is a *QueryError, which matches ErrQuery with errors.Is.
	Query(ctx context.Context, sql string) (*Result, error)
	// Close releases the engine. Queries running on it finish first.
	Close() error
}

// RowStreamer is an Engine that can also hand over a result a row at a time,
// so that a result of any size costs the memory of one row (of one page of
// rows, for Athena). The DuckDB engine and the Athena engine are RowStreamers.
type RowStreamer interface {
	// QueryEach runs sql, calls start with the result's columns, then fn
	// with each row (values as in Result; the slice is reused after fn
	// returns). An error of start or fn stops the query and is returned.
	QueryEach(ctx context.Context, sql string, start func([]Column) error, fn func(row []any) error) error
}

// QueryEach runs sql on eng as RowStreamer.QueryEach does: row by row if
// eng streams rows, else from its whole Result.
func QueryEach(ctx context.Context, eng Engine, sql string, start func([]Column) error, fn func(row []any) error) error {
	if st, ok := eng.(RowStreamer); ok {
		return st.QueryEach(ctx, sql, start, fn)
	}
	res, err := eng.Query(ctx, sql)
	if err != nil {
		return err
	}
	if err := start(res.Columns); err != nil {
		return err
	}
	for _, row := range res.Rows {
		if err := fn(row); err != nil {
			return err
		}
	}
	return nil
}

// Column is one column of a result: its name as the query spelled it and
// its Athena type name (varchar, bigint, double, boolean, timestamp, date,
// decimal(p,s), array<varchar>, ...).
type Column struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// Result is the complete result of a query. Rows line up with Columns; each
// value is nil, string, int64, float64, bool or time.Time (UTC), as the
// package documentation tabulates by column type.
type Result struct {
	Columns []Column
	Rows    [][]any
}

// ErrQuery is matched (errors.Is) by every *QueryError.
var ErrQuery = errors.New("query failed")

// ErrClosed is returned by Query after Close.
var ErrClosed = errors.New("sqlq: engine closed")

// QueryError is a failure of the SQL statement itself, as opposed to a
// failure to reach or run the engine: the user should fix the query. Its
// message is one line, prefixed by the engine's error class, e.g.
//
//	query failed: Binder Error: Referenced column "foo" not found in FROM clause! Candidate bindings: "symbol"
type QueryError struct {
	// Msg is the engine's message, on one line.
	Msg string
	err error
}

// NewQueryError returns a *QueryError with the engine's message msg (folded
// onto one line) that wraps err, the engine's own error (may be nil).
func NewQueryError(msg string, err error) *QueryError {
	return &QueryError{Msg: EngineMessage(msg), err: err}
}

func (e *QueryError) Error() string        { return "query failed: " + e.Msg }
func (e *QueryError) Unwrap() error        { return e.err }
func (e *QueryError) Is(target error) bool { return target == ErrQuery }

// EngineMessage folds an engine's multi-line error message onto one line.
// DuckDB appends the query with a caret under the error's position
// ("LINE 1: SELECT foo ..." then "       ^"): that decoration is dropped,
// the other lines are trimmed and joined with spaces. Unlike oneline.Fold,
// spaces within a line are kept: a message quotes the user's data.
func EngineMessage(msg string) string {
	var parts []string
	for _, l := range strings.Split(msg, "\n") {
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, "LINE ") {
			break // the query excerpt and its caret: the rest is decoration
		}
		if l != "" {
			parts = append(parts, l)
		}
	}
	if len(parts) == 0 {
		return strings.TrimSpace(strings.ReplaceAll(msg, "\n", " "))
	}
	return strings.Join(parts, " ")
}
