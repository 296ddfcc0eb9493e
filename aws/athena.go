package aws

import (
	"cmp"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/athena"
	"github.com/aws/aws-sdk-go-v2/service/athena/types"
	"github.com/aws/smithy-go"

	"pipeline/catalog"
	"pipeline/internal/oneline"
	"pipeline/sqlq"
)

// AthenaOptions configure NewAthena. Nil means defaults.
type AthenaOptions struct {
	// Database is the catalog database that unqualified table names are
	// in. Default catalog.Database.
	Database string
	// WorkGroup runs the queries. Default "primary".
	WorkGroup string
	// OutputLocation is where Athena writes each query's result CSV, an
	// s3://bucket/prefix/ URI. "" uses the workgroup's.
	OutputLocation string
}

// The polling of a running query: the first wait, and the longest.
const (
	athenaPollFirst = 100 * time.Millisecond
	athenaPollMax   = 2 * time.Second
)

// athenaStopTimeout bounds the StopQueryExecution sent when a query's
// context ends.
const athenaStopTimeout = 10 * time.Second

// Athena is a sqlq.Engine that runs queries in Amazon Athena (or the
// emulated Athena, given its endpoint): StartQueryExecution, then
// GetQueryExecution until the query ends, polling after 100 ms and then
// half again as long each time up to 2 s, then every page of
// GetQueryResults, 1,000 rows a page. It is a sqlq.RowStreamer: QueryEach
// hands the rows over as each page arrives, so a result of any size costs
// the memory of one page.
//
// # Results
//
// Athena returns every value as a string; they are converted by the
// column's type as sqlq's DuckDB engine normalizes them, so the two
// engines' results compare: integers are int64, real and double float64,
// boolean bool, date and timestamp time.Time in UTC, decimal the exact
// string Athena sends ("12.50"), varbinary the raw bytes, NULL nil, and
// anything else the string. A column's type is Athena's: decimal(p,s)
// from its precision and scale, but only array, map and struct (Athena's
// row) for nested types, whose element types Athena does not report.
//
// # Errors
//
// A query that ends FAILED with a user error returns a *sqlq.QueryError
// whose message is Athena's StateChangeReason on one line. Canceling the
// context stops the query in Athena (StopQueryExecution) and returns an
// error wrapping ctx.Err(). Other failures name the Athena operation and
// carry its error code and message.
//
// Athena is safe for concurrent use.
type Athena struct {
	c    *athena.Client
	opts AthenaOptions

	mu      sync.RWMutex // guards closed against running.Add
	closed  bool
	running sync.WaitGroup
}

var (
	_ sqlq.Engine      = (*Athena)(nil)
	_ sqlq.RowStreamer = (*Athena)(nil)
)

// NewAthena returns an engine using an Athena client built from cfg (see
// Load). It fails if opts.OutputLocation is set and not an s3:// URI.
func NewAthena(cfg sdkaws.Config, opts *AthenaOptions) (*Athena, error) {
	var o AthenaOptions
	if opts != nil {
		o = *opts
	}
	o.Database = cmp.Or(o.Database, catalog.Database)
	o.WorkGroup = cmp.Or(o.WorkGroup, "primary")
	if o.OutputLocation != "" && !strings.HasPrefix(o.OutputLocation, "s3://") {
		return nil, fmt.Errorf("athena: output location %q is not an s3:// URI", o.OutputLocation)
	}
	return &Athena{c: athena.NewFromConfig(cfg), opts: o}, nil
}

// Close makes later queries fail with sqlq.ErrClosed, once the running
// ones are done. It returns nil.
func (a *Athena) Close() error {
	a.mu.Lock()
	a.closed = true
	a.mu.Unlock()
	a.running.Wait()
	return nil
}

// Query runs sql in Athena and returns all its rows; see sqlq.Engine.
func (a *Athena) Query(ctx context.Context, sql string) (*sqlq.Result, error) {
	res := &sqlq.Result{Rows: [][]any{}}
	err := a.QueryEach(ctx, sql, func(cols []sqlq.Column) error {
		res.Columns = cols
		return nil
	}, func(row []any) error {
		res.Rows = append(res.Rows, slices.Clone(row))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// QueryEach runs sql in Athena and, once it has SUCCEEDED, hands its
// columns to start and then each row to fn as its page of GetQueryResults
// arrives, values normalized as Query's; row is reused after fn returns.
// An error of start or fn stops the reading of pages and is returned as
// is. See sqlq.RowStreamer.
func (a *Athena) QueryEach(ctx context.Context, sql string, start func([]sqlq.Column) error, fn func(row []any) error) error {
	if strings.TrimSpace(sql) == "" {
		return sqlq.NewQueryError("empty query", nil)
	}
	a.mu.RLock()
	if a.closed {
		a.mu.RUnlock()
		return sqlq.ErrClosed
	}
	a.running.Add(1)
	a.mu.RUnlock()
	defer a.running.Done()

	in := &athena.StartQueryExecutionInput{
		QueryString:           &sql,
		QueryExecutionContext: &types.QueryExecutionContext{Database: &a.opts.Database},
		WorkGroup:             &a.opts.WorkGroup,
	}
	if a.opts.OutputLocation != "" {
		in.ResultConfiguration = &types.ResultConfiguration{OutputLocation: &a.opts.OutputLocation}
	}
	started, err := a.c.StartQueryExecution(ctx, in)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("athena query: %w", ctx.Err())
		}
		return athenaError("StartQueryExecution", err)
	}
	id := sdkaws.ToString(started.QueryExecutionId)

	qe, err := a.wait(ctx, id)
	if err != nil {
		if ctx.Err() != nil {
			a.stop(ctx, id)
			return fmt.Errorf("athena query %s: %w", id, ctx.Err())
		}
		return err
	}
	// The query has SUCCEEDED: an error of start or fn has no execution
	// left to stop, only pages not to read.
	return a.results(ctx, id, qe.StatementType == types.StatementTypeDml, start, fn)
}

// wait polls the query until it ends, and returns it if it SUCCEEDED.
func (a *Athena) wait(ctx context.Context, id string) (*types.QueryExecution, error) {
	delay := athenaPollFirst
	var timer *time.Timer
	for {
		out, err := a.c.GetQueryExecution(ctx, &athena.GetQueryExecutionInput{QueryExecutionId: &id})
		if err != nil {
			return nil, athenaError("GetQueryExecution", err)
		}
		qe := out.QueryExecution
		if qe == nil || qe.Status == nil {
			return nil, fmt.Errorf("athena GetQueryExecution %s: no status in the response", id)
		}
		st := qe.Status
		reason := oneline.Fold(sdkaws.ToString(st.StateChangeReason))
		switch st.State {
		case types.QueryExecutionStateSucceeded:
			return qe, nil
		case types.QueryExecutionStateFailed:
			if reason == "" {
				reason = "the query failed without a reason"
			}
			if e := st.AthenaError; e != nil && sdkaws.ToInt32(e.ErrorCategory) == 1 { // SYSTEM
				return nil, fmt.Errorf("athena query %s failed (system error): %s", id, reason)
			}
			return nil, sqlq.NewQueryError(reason, nil)
		case types.QueryExecutionStateCancelled:
			return nil, fmt.Errorf("athena query %s was cancelled: %s", id, reason)
		}
		if timer == nil {
			timer = time.NewTimer(delay)
			defer timer.Stop()
		} else {
			timer.Reset(delay)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-timer.C:
		}
		delay = min(delay*3/2, athenaPollMax)
	}
}

// stop asks Athena to stop the query, within a short time of its own since
// ctx has ended; a failure only means the query runs on to its end.
func (a *Athena) stop(ctx context.Context, id string) {
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), athenaStopTimeout)
	defer cancel()
	a.c.StopQueryExecution(sctx, &athena.StopQueryExecutionInput{QueryExecutionId: &id})
}

// results reads the query's results a page at a time, handing the columns
// to start and each row to fn; a DML query's first row is the header and
// is skipped. An error of start or fn is returned as is; any other error
// wraps ctx.Err() once ctx has ended.
func (a *Athena) results(ctx context.Context, id string, header bool, start func([]sqlq.Column) error, fn func(row []any) error) error {
	fail := func(err error) error {
		if ctx.Err() != nil {
			return fmt.Errorf("athena query %s: %w", id, ctx.Err())
		}
		return err
	}
	var conv []func(*string) any
	var row []any
	p := athena.NewGetQueryResultsPaginator(a.c, &athena.GetQueryResultsInput{
		QueryExecutionId: &id,
		MaxResults:       sdkaws.Int32(1000),
	})
	first := true
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fail(athenaError("GetQueryResults", err))
		}
		rs := page.ResultSet
		if rs == nil {
			return fail(fmt.Errorf("athena GetQueryResults %s: no result set in the response", id))
		}
		rows := rs.Rows
		if first {
			first = false
			cols := []sqlq.Column{}
			if rs.ResultSetMetadata != nil {
				for _, ci := range rs.ResultSetMetadata.ColumnInfo {
					col, f := athenaColumn(ci)
					cols = append(cols, col)
					conv = append(conv, f)
				}
			}
			if err := start(cols); err != nil {
				return err
			}
			row = make([]any, len(conv))
			if header && len(rows) > 0 {
				rows = rows[1:]
			}
		}
		for _, r := range rows {
			if len(r.Data) != len(conv) {
				return fail(fmt.Errorf("athena GetQueryResults %s: a row has %d values for %d columns", id, len(r.Data), len(conv)))
			}
			for i, d := range r.Data {
				row[i] = conv[i](d.VarCharValue)
			}
			if err := fn(row); err != nil {
				return err
			}
		}
	}
	return nil
}

// athenaColumn returns a result column's name and sqlq type, and the
// conversion of its values.
func athenaColumn(ci types.ColumnInfo) (sqlq.Column, func(*string) any) {
	name := sdkaws.ToString(ci.Name)
	typ := strings.ToLower(strings.TrimSpace(sdkaws.ToString(ci.Type)))
	if m := decimalType.FindStringSubmatch(typ); m != nil {
		return sqlq.Column{Name: name, Type: "decimal(" + m[1] + "," + m[2] + ")"}, converter("decimal")
	}
	typ = typeLength.ReplaceAllString(typ, "") // varchar(10), timestamp(3) with time zone
	switch typ {
	case "decimal":
		typ = fmt.Sprintf("decimal(%d,%d)", ci.Precision, ci.Scale)
		return sqlq.Column{Name: name, Type: typ}, converter("decimal")
	case "int":
		typ = "integer"
	case "float":
		typ = "real"
	case "row":
		typ = "struct"
	}
	return sqlq.Column{Name: name, Type: typ}, converter(typ)
}

var (
	decimalType = regexp.MustCompile(`^decimal\(\s*(\d+)\s*,\s*(\d+)\s*\)$`)
	typeLength  = regexp.MustCompile(`\s*\(\s*\d+\s*\)`)
)

// converter returns the conversion of values of an Athena base type to
// sqlq's normalized Go values. A value that does not parse stays a string.
func converter(base string) func(*string) any {
	parse := func(f func(string) (any, bool)) func(*string) any {
		return func(p *string) any {
			if p == nil {
				return nil
			}
			if v, ok := f(*p); ok {
				return v
			}
			return *p
		}
	}
	switch base {
	case "tinyint", "smallint", "integer", "int", "bigint":
		return parse(func(s string) (any, bool) {
			i, err := strconv.ParseInt(s, 10, 64)
			return i, err == nil
		})
	case "real", "float", "double":
		return parse(func(s string) (any, bool) {
			f, err := strconv.ParseFloat(s, 64)
			return f, err == nil
		})
	case "boolean":
		return parse(func(s string) (any, bool) {
			b, err := strconv.ParseBool(s)
			return b, err == nil
		})
	case "date":
		return parse(func(s string) (any, bool) {
			t, err := time.Parse(time.DateOnly, s)
			return t, err == nil
		})
	case "timestamp":
		return parse(func(s string) (any, bool) {
			t, err := parseAthenaTimestamp(s)
			return t, err == nil
		})
	case "timestamp with time zone":
		return parse(func(s string) (any, bool) {
			t, err := parseAthenaTimestampTZ(s)
			return t, err == nil
		})
	case "varbinary":
		return parse(func(s string) (any, bool) {
			b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
			return string(b), err == nil
		})
	}
	return parse(func(s string) (any, bool) { return s, true })
}

// parseAthenaTimestamp parses "2026-11-26 10:00:00.123" (any fraction, or
// none) as UTC.
func parseAthenaTimestamp(s string) (time.Time, error) {
	return time.Parse(time.DateTime, s) // fractional seconds are accepted after the seconds
}

// parseAthenaTimestampTZ parses "2026-11-26 10:00:00.123 UTC", with a zone
// name or an offset ("+02:00") after the space, into UTC.
func parseAthenaTimestampTZ(s string) (time.Time, error) {
	i := strings.LastIndexByte(s, ' ')
	if i < 0 {
		return time.Time{}, fmt.Errorf("timestamp with time zone %q has no zone", s)
	}
	local, zone := s[:i], s[i+1:]
	if loc, err := time.LoadLocation(zone); err == nil {
		t, err := time.ParseInLocation(time.DateTime, local, loc)
		return t.UTC(), err
	}
	t, err := time.Parse(time.DateTime+"Z07:00", local+zone)
	return t.UTC(), err
}

// athenaError is an Athena operation's error on one line: the operation,
// Athena's error code and message, wrapping the SDK's error.
func athenaError(op string, err error) error {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return fmt.Errorf("athena %s: %w", op, err)
	}
	return &athenaAPIError{op: op, code: ae.ErrorCode(), msg: oneline.Fold(ae.ErrorMessage()), err: err}
}

type athenaAPIError struct {
	op, code, msg string
	err           error
}

func (e *athenaAPIError) Error() string { return fmt.Sprintf("athena %s: %s: %s", e.op, e.code, e.msg) }
func (e *athenaAPIError) Unwrap() error { return e.err }
