package aws

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/athena"
	"github.com/aws/aws-sdk-go-v2/service/athena/types"

	"pipeline/catalog"
	"pipeline/emulate"
	"pipeline/sqlq"
	"pipeline/sqlq/duckdb"
	"pipeline/sqlq/enginetest"
)

// resultsBucket receives the emulated Athena's result CSVs.
const resultsBucket = "athena-results"

// emulatedAthena is the emulated Athena (and S3) on an emulator port, over a
// fresh file catalog and disk store, as the local stack serves them.
type emulatedAthena struct {
	cfg   sdkaws.Config
	store *emulate.DiskStore
	cat   *catalog.Catalog
}

func startEmulatedAthena(t *testing.T) *emulatedAthena {
	t.Helper()
	dir := emulate.DataDir(t.TempDir())
	store, err := emulate.OpenDiskStore(dir.S3())
	if err != nil {
		t.Fatal(err)
	}
	if err := store.CreateBucket(resultsBucket); err != nil {
		t.Fatal(err)
	}
	fc, err := catalog.OpenFileCatalog(dir.CatalogDir())
	if err != nil {
		t.Fatal(err)
	}
	svc, err := emulate.NewAthena(fc, store, &emulate.AthenaOptions{CatalogFile: fc.Path()})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := emulate.StartS3(store, "127.0.0.1:0", &emulate.S3Options{Credentials: emulate.DefaultCredentials})
	if err != nil {
		t.Fatal(err)
	}
	srv.SetServices(emulate.Services{Athena: svc})
	tr := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(func() {
		tr.CloseIdleConnections()
		if err := srv.Close(); err != nil {
			t.Error(err)
		}
		if err := svc.Close(); err != nil {
			t.Error(err)
		}
	})
	cfg, err := Load(t.Context(), Options{Region: "us-east-1", Endpoint: srv.URL(), StaticKey: "test", StaticSecret: "test"})
	if err != nil {
		t.Fatal(err)
	}
	cfg.HTTPClient = &http.Client{Transport: tr}
	return &emulatedAthena{cfg: cfg, store: store, cat: catalog.New(fc)}
}

func (e *emulatedAthena) engine(t *testing.T) *Athena {
	t.Helper()
	eng, err := NewAthena(e.cfg, &AthenaOptions{Database: enginetest.Database, OutputLocation: "s3://" + resultsBucket + "/queries/"})
	if err != nil {
		t.Fatal(err)
	}
	return eng
}

// TestAthenaEngineConformance runs the query suite through the Athena
// adapter and the emulated Athena over HTTP; sqlq/enginetest runs it on
// the DuckDB engine directly.
func TestAthenaEngineConformance(t *testing.T) {
	enginetest.Run(t, func(t *testing.T) enginetest.Harness {
		e := startEmulatedAthena(t)
		return enginetest.Harness{
			Catalog:    e.cat,
			ObjectPath: e.store.ObjectPath,
			LocalDir:   e.store.PrefixDir,
			Open:       func(t *testing.T) sqlq.Engine { return e.engine(t) },
		}
	})
}

// TestAthenaQueryErrorIsDuckDBs: a query that fails in DuckDB (not in the
// emulator's Trino bridge) has the same error line through Athena as
// through DuckDB directly.
func TestAthenaQueryErrorIsDuckDBs(t *testing.T) {
	e := startEmulatedAthena(t)
	eng := e.engine(t)
	defer eng.Close()
	duck, err := duckdb.Open(t.Context(), e.cat, &duckdb.Options{LocalDir: e.store.PrefixDir})
	if err != nil {
		t.Fatal(err)
	}
	defer duck.Close()
	const q = "SELECT CAST('x' AS DOUBLE) AS n"
	_, want := duck.Query(t.Context(), q)
	_, got := eng.Query(t.Context(), q)
	var qe *sqlq.QueryError
	if !errors.As(got, &qe) || want == nil || got.Error() != want.Error() {
		t.Errorf("error through Athena: %v\nthrough DuckDB:        %v", got, want)
	}
}

// TestAthenaCancelStopsTheQuery: canceling the context sends
// StopQueryExecution, so the query ends CANCELLED in Athena.
func TestAthenaCancelStopsTheQuery(t *testing.T) {
	e := startEmulatedAthena(t)
	eng := e.engine(t)
	defer eng.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	_, err := eng.Query(ctx, "SELECT count(*) AS n FROM UNNEST(sequence(1, 10000)) AS a(i) CROSS JOIN UNNEST(sequence(1, 10000)) AS b(j) CROSS JOIN UNNEST(sequence(1, 10000)) AS c(k) WHERE (i * j + k) % 7 = 3")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error %v, want the context's deadline", err)
	}
	c := athena.NewFromConfig(e.cfg)
	list, err := c.ListQueryExecutions(t.Context(), &athena.ListQueryExecutionsInput{})
	if err != nil || len(list.QueryExecutionIds) != 1 {
		t.Fatalf("ListQueryExecutions = %v, %v", list, err)
	}
	out, err := c.GetQueryExecution(t.Context(), &athena.GetQueryExecutionInput{QueryExecutionId: &list.QueryExecutionIds[0]})
	if err != nil {
		t.Fatal(err)
	}
	if st := out.QueryExecution.Status; st.State != types.QueryExecutionStateCancelled {
		t.Errorf("state %s (%s), want CANCELLED", st.State, sdkaws.ToString(st.StateChangeReason))
	}
}

// TestAthenaQueryEachPages: QueryEach hands the first rows over before it
// asks for the next page, and an error of fn stops the paging and is
// returned as is.
func TestAthenaQueryEachPages(t *testing.T) {
	e := startEmulatedAthena(t)
	var pages atomic.Int32
	cfg := e.cfg.Copy()
	var answers []string
	cfg.HTTPClient = &http.Client{Transport: countTarget{
		next: e.cfg.HTTPClient.(*http.Client).Transport, target: "AmazonAthena.GetQueryResults", n: &pages, seen: &answers, mu: new(sync.Mutex)}}
	eng, err := NewAthena(cfg, &AthenaOptions{Database: enginetest.Database, OutputLocation: "s3://" + resultsBucket + "/queries/"})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	ctx := t.Context()
	// 2,501 rows with the header: pages of 1,000, 1,000 and 501.
	const q = "SELECT i FROM UNNEST(sequence(0, 2499)) AS t(i) ORDER BY i"

	var cols []sqlq.Column
	n, pagesAtFirst := 0, int32(0)
	err = eng.QueryEach(ctx, q, func(c []sqlq.Column) error { cols = c; return nil }, func(row []any) error {
		if n == 0 {
			pagesAtFirst = pages.Load()
		}
		if !reflect.DeepEqual(row, []any{int64(n)}) {
			return fmt.Errorf("row %d is %v", n, row)
		}
		n++
		return nil
	})
	if err != nil || n != 2500 || !reflect.DeepEqual(cols, []sqlq.Column{{Name: "i", Type: "bigint"}}) {
		t.Fatalf("QueryEach: %d rows, columns %v, error %v; want 2500 rows of bigint i", n, cols, err)
	}
	if got := pages.Load(); pagesAtFirst != 1 || got != 3 {
		t.Errorf("first row handed over after %d pages, %d pages in all; want after 1, 3 in all (the calls answered %q)", pagesAtFirst, got, answers)
	}

	pages.Store(0)
	stop := errors.New("enough")
	n = 0
	err = eng.QueryEach(ctx, q, func([]sqlq.Column) error { return nil }, func([]any) error { n++; return stop })
	if err != stop || n != 1 || pages.Load() != 1 {
		t.Errorf("fn failed on the first row: error %v, %d rows, %d pages; want fn's error itself, 1 row, 1 page", err, n, pages.Load())
	}
}

// countTarget counts the requests for one AWS JSON operation.
type countTarget struct {
	next   http.RoundTripper
	target string // X-Amz-Target
	n      *atomic.Int32
	seen   *[]string // each counted call's answer, for the test's message
	mu     *sync.Mutex
}

func (c countTarget) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Header.Get("X-Amz-Target") != c.target {
		return c.next.RoundTrip(r)
	}
	c.n.Add(1)
	resp, err := c.next.RoundTrip(r)
	answer := fmt.Sprint(err)
	if err == nil {
		answer = resp.Status
	}
	c.mu.Lock()
	*c.seen = append(*c.seen, answer)
	c.mu.Unlock()
	return resp, err
}

// TestAthenaSDKShapes: the SDK reads the emulator's GetQueryExecution and
// workgroup shapes.
func TestAthenaSDKShapes(t *testing.T) {
	e := startEmulatedAthena(t)
	c := athena.NewFromConfig(e.cfg)
	ctx := t.Context()
	if _, err := c.CreateWorkGroup(ctx, &athena.CreateWorkGroupInput{Name: sdkaws.String("team"),
		Configuration: &types.WorkGroupConfiguration{ResultConfiguration: &types.ResultConfiguration{OutputLocation: sdkaws.String("s3://" + resultsBucket + "/team/")}}}); err != nil {
		t.Fatal(err)
	}
	wg, err := c.GetWorkGroup(ctx, &athena.GetWorkGroupInput{WorkGroup: sdkaws.String("team")})
	if err != nil || sdkaws.ToString(wg.WorkGroup.Configuration.ResultConfiguration.OutputLocation) != "s3://"+resultsBucket+"/team/" ||
		wg.WorkGroup.State != types.WorkGroupStateEnabled || wg.WorkGroup.CreationTime == nil {
		t.Fatalf("GetWorkGroup = %+v, %v", wg, err)
	}
	eng, err := NewAthena(e.cfg, &AthenaOptions{WorkGroup: "team"})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	res, err := eng.Query(ctx, "SELECT 1 AS one")
	if err != nil || !reflect.DeepEqual(res.Rows, [][]any{{int64(1)}}) {
		t.Fatalf("query in workgroup team: %v, %v", res, err)
	}
	list, err := c.ListQueryExecutions(ctx, &athena.ListQueryExecutionsInput{WorkGroup: sdkaws.String("team")})
	if err != nil || len(list.QueryExecutionIds) != 1 {
		t.Fatalf("ListQueryExecutions = %v, %v", list, err)
	}
	out, err := c.GetQueryExecution(ctx, &athena.GetQueryExecutionInput{QueryExecutionId: &list.QueryExecutionIds[0]})
	if err != nil {
		t.Fatal(err)
	}
	qe := out.QueryExecution
	if qe.Status.State != types.QueryExecutionStateSucceeded || qe.Status.SubmissionDateTime == nil || qe.Status.CompletionDateTime == nil ||
		qe.StatementType != types.StatementTypeDml || qe.Statistics == nil || qe.Statistics.TotalExecutionTimeInMillis == nil ||
		sdkaws.ToString(qe.ResultConfiguration.OutputLocation) != "s3://"+resultsBucket+"/team/"+sdkaws.ToString(qe.QueryExecutionId)+".csv" {
		t.Errorf("QueryExecution = %+v", qe)
	}
	if p, err := e.store.ObjectPath(resultsBucket, "team/"+sdkaws.ToString(qe.QueryExecutionId)+".csv"); err != nil || !fileExists(p) {
		t.Errorf("no result CSV at %s (%v)", p, err)
	}

	_, err = c.GetWorkGroup(ctx, &athena.GetWorkGroupInput{WorkGroup: sdkaws.String("nope")})
	var ire *types.InvalidRequestException
	if !errors.As(err, &ire) {
		t.Errorf("GetWorkGroup of a missing workgroup: %v, want InvalidRequestException", err)
	}
	if _, err := NewAthena(e.cfg, &AthenaOptions{OutputLocation: "/tmp/results"}); err == nil {
		t.Error("NewAthena took an output location that is not s3://")
	}
	// A misconfigured engine says what Athena said, on one line.
	noOut, _ := NewAthena(e.cfg, nil)
	_, err = noOut.Query(ctx, "SELECT 1")
	if err == nil || errors.Is(err, sqlq.ErrQuery) || !strings.HasPrefix(err.Error(), "athena StartQueryExecution: InvalidRequestException: No output location provided.") {
		t.Errorf("query without an output location: %v", err)
	}
}

// TestAthenaCTASThroughAdapter: a CREATE TABLE AS SELECT through the
// engine returns no columns or rows, and the table is then queryable.
func TestAthenaCTASThroughAdapter(t *testing.T) {
	e := startEmulatedAthena(t)
	ctx := t.Context()
	if err := e.cat.CreateDatabase(ctx, catalog.Database); err != nil {
		t.Fatal(err)
	}
	eng := e.engine(t)
	defer eng.Close()
	res, err := eng.Query(ctx, "CREATE TABLE squares WITH (format = 'PARQUET') AS SELECT i, i * i AS sq FROM UNNEST(sequence(1, 3)) AS t(i)")
	if err != nil || len(res.Columns) != 0 || len(res.Rows) != 0 {
		t.Fatalf("CTAS = %+v, %v", res, err)
	}
	res, err = eng.Query(ctx, "SELECT i, sq FROM squares ORDER BY i")
	if err != nil || !reflect.DeepEqual(res.Rows, [][]any{{int64(1), int64(1)}, {int64(2), int64(4)}, {int64(3), int64(9)}}) {
		t.Fatalf("SELECT from the new table = %+v, %v", res, err)
	}
}

// TestAthenaValues converts strings as real Athena sends them, some of
// which the emulator never produces.
func TestAthenaValues(t *testing.T) {
	utc := func(s string) time.Time {
		tm, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm.UTC()
	}
	for _, c := range []struct {
		typ      string
		prec, sc int32
		in       any // string or nil
		wantType string
		want     any
	}{
		{"bigint", 19, 0, "-42", "bigint", int64(-42)},
		{"integer", 10, 0, "7", "integer", int64(7)},
		{"int", 10, 0, "7", "integer", int64(7)},
		{"bigint", 19, 0, nil, "bigint", nil},
		{"bigint", 19, 0, "9223372036854775808", "bigint", "9223372036854775808"},
		{"double", 17, 0, "1.0E-7", "double", 1e-7},
		{"double", 17, 0, "100.0", "double", 100.0},
		{"float", 24, 0, "0.1", "real", 0.1},
		{"real", 24, 0, "0.1", "real", 0.1},
		{"boolean", 0, 0, "true", "boolean", true},
		{"date", 0, 0, "2026-11-26", "date", utc("2026-11-26T00:00:00Z")},
		{"timestamp", 3, 0, "2026-11-26 10:00:00.123", "timestamp", utc("2026-11-26T10:00:00.123Z")},
		{"timestamp(6)", 6, 0, "2026-11-26 10:00:00.123456", "timestamp", utc("2026-11-26T10:00:00.123456Z")},
		{"timestamp", 0, 0, "2026-11-26 10:00:00", "timestamp", utc("2026-11-26T10:00:00Z")},
		{"timestamp with time zone", 3, 0, "2026-11-26 10:00:00.000 UTC", "timestamp with time zone", utc("2026-11-26T10:00:00Z")},
		{"timestamp(3) with time zone", 3, 0, "2026-11-26 12:00:00.500 +02:00", "timestamp with time zone", utc("2026-11-26T10:00:00.5Z")},
		{"decimal", 10, 2, "12.50", "decimal(10,2)", "12.50"},
		{"decimal(5,1)", 0, 0, "-0.5", "decimal(5,1)", "-0.5"},
		{"varbinary", 0, 0, "61 62 00", "varbinary", "ab\x00"},
		{"row", 0, 0, "{a=1, b=x}", "struct", "{a=1, b=x}"},
		{"array", 0, 0, "[1, 2]", "array", "[1, 2]"},
		{"varchar", 2147483647, 0, "", "varchar", ""},
		{"varchar(10)", 10, 0, "abc", "varchar", "abc"},
		{"json", 0, 0, `{"a":1}`, "json", `{"a":1}`},
		{"bigint", 19, 0, "not a number", "bigint", "not a number"},
	} {
		var in *string
		if s, ok := c.in.(string); ok {
			in = &s
		}
		col, conv := athenaColumn(types.ColumnInfo{Name: sdkaws.String("c"), Type: sdkaws.String(c.typ), Precision: c.prec, Scale: c.sc})
		if col.Type != c.wantType {
			t.Errorf("type %s: column type %s, want %s", c.typ, col.Type, c.wantType)
		}
		if got := conv(in); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s %v: %#v (%T), want %#v (%T)", c.typ, c.in, got, got, c.want, c.want)
		}
	}
}

func fileExists(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}
