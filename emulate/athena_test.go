package emulate

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"pipeline/catalog"

	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// sigV4Athena is an Authorization header like the AWS CLI's for Athena.
const sigV4Athena = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/athena/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=00"

// athenaFixture is an Athena service over a file catalog and a disk store
// holding a stock_topic table, as a crawl leaves it.
type athenaFixture struct {
	t      *testing.T
	store  *DiskStore
	fc     *catalog.FileCatalog
	opts   AthenaOptions
	cat    *catalog.Catalog
	svc    *AthenaService
	url    string // "" unless served over HTTP
	lastID string // the last query run
}

// newAthenaFixture opens the store, the catalog and the service, with the
// lake bucket holding two partitions of stock_topic, and the results bucket.
func newAthenaFixture(t *testing.T, opts *AthenaOptions) *athenaFixture {
	t.Helper()
	dir := t.TempDir()
	store, err := OpenDiskStore(filepath.Join(dir, "s3"))
	if err != nil {
		t.Fatal(err)
	}
	fc, err := catalog.OpenFileCatalog(filepath.Join(dir, "catalog"))
	if err != nil {
		t.Fatal(err)
	}
	var o AthenaOptions
	if opts != nil {
		o = *opts
	}
	o.CatalogFile = filepath.Join(dir, "catalog", "catalog.json")
	svc, err := NewAthena(fc, store, &o)
	if err != nil {
		t.Fatal(err)
	}
	f := &athenaFixture{t: t, store: store, fc: fc, opts: o, cat: catalog.New(fc), svc: svc}
	t.Cleanup(func() {
		if err := f.svc.Close(); err != nil {
			t.Error(err)
		}
	})
	for _, b := range []string{"lake", "results"} {
		if err := store.CreateBucket(b); err != nil {
			t.Fatal(err)
		}
	}
	f.put("lake", "stock_topic/dt=2026-11-26/stock_topic+0+0.json",
		`{"symbol":"AAPL","ts":"2026-11-26T10:00:00.123Z","price":101.5,"volume":100}
{"symbol":"MSFT","ts":"2026-11-26T10:00:01.000Z","price":300.25,"volume":null}
`)
	f.put("lake", "stock_topic/dt=2026-11-27/stock_topic+0+2.json",
		`{"symbol":"AAPL","ts":"2026-11-27T09:30:00.000Z","price":103.75,"volume":150}
`)
	ctx := t.Context()
	if err := f.cat.CreateDatabase(ctx, catalog.Database); err != nil {
		t.Fatal(err)
	}
	tbl := catalog.NewTable(catalog.Database, "stock_topic", "s3://lake/stock_topic/", catalog.FormatJSON)
	tbl.Columns = []catalog.Column{{Name: "symbol", Type: "string"}, {Name: "ts", Type: "timestamp"},
		{Name: "price", Type: "double"}, {Name: "volume", Type: "bigint"}}
	tbl.PartitionKeys = []catalog.Column{{Name: "dt", Type: "string"}}
	if err := f.cat.PutTable(ctx, tbl); err != nil {
		t.Fatal(err)
	}
	f.addPartition("2026-11-26")
	return f
}

// restart closes the service and opens another over the same catalog,
// store and options, as a restarted emulator does.
func (f *athenaFixture) restart() {
	f.t.Helper()
	if err := f.svc.Close(); err != nil {
		f.t.Fatal(err)
	}
	svc, err := NewAthena(f.fc, f.store, &f.opts)
	if err != nil {
		f.t.Fatal(err)
	}
	f.svc = svc
}

func (f *athenaFixture) put(bucket, key, body string) {
	f.t.Helper()
	if _, err := f.store.PutObject(bucket, key, strings.NewReader(body), int64(len(body)), nil); err != nil {
		f.t.Fatal(err)
	}
}

func (f *athenaFixture) addPartition(dt string) {
	f.t.Helper()
	err := f.cat.AddPartitions(f.t.Context(), catalog.Database, "stock_topic",
		[]catalog.Partition{{Values: []string{dt}, Location: "s3://lake/stock_topic/dt=" + dt + "/"}})
	if err != nil {
		f.t.Fatal(err)
	}
}

// serve serves the service (and S3) over HTTP, as the stack does.
func (f *athenaFixture) serve() {
	srv, err := StartS3(f.store, "", nil)
	if err != nil {
		f.t.Fatal(err)
	}
	srv.SetServices(Services{Athena: f.svc})
	f.t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			f.t.Error(err)
		}
	})
	f.url = srv.URL()
}

// call runs one Athena call: over HTTP as the AWS CLI sends it if the
// fixture is served, otherwise in-process.
func (f *athenaFixture) call(op, body string) awsReply {
	f.t.Helper()
	if f.url == "" {
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		req.Header.Set("X-Amz-Target", "AmazonAthena."+op)
		rec := httptest.NewRecorder()
		f.svc.ServeHTTP(rec, req)
		return decodeReply(f.t, rec.Code, rec.Header(), rec.Body)
	}
	req, err := http.NewRequest(http.MethodPost, f.url+"/", strings.NewReader(body))
	if err != nil {
		f.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "AmazonAthena."+op)
	req.Header.Set("X-Amz-Date", "20260101T000000Z")
	req.Header.Set("Authorization", sigV4Athena)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	return decodeReply(f.t, resp.StatusCode, resp.Header, resp.Body)
}

// ok is call that must succeed.
func (f *athenaFixture) ok(op, body string) awsReply {
	f.t.Helper()
	r := f.call(op, body)
	if r.Status != http.StatusOK {
		f.t.Fatalf("%s %s = %d %v", op, body, r.Status, r.Body)
	}
	return r
}

// start starts a query in the stock_market database with results under
// s3://results/q/, and returns its id.
func (f *athenaFixture) start(sql string) string {
	f.t.Helper()
	body := fmt.Sprintf(`{"QueryString":%q,"QueryExecutionContext":{"Database":"stock_market"},"ResultConfiguration":{"OutputLocation":"s3://results/q/"}}`, sql)
	id, _ := f.ok("StartQueryExecution", body).Body["QueryExecutionId"].(string)
	if id == "" {
		f.t.Fatal("StartQueryExecution returned no QueryExecutionId")
	}
	return id
}

// wait waits for the query to end and returns GetQueryExecution's
// QueryExecution.
func (f *athenaFixture) wait(id string) map[string]any {
	f.t.Helper()
	f.svc.mu.Lock()
	x := f.svc.execs[id]
	f.svc.mu.Unlock()
	select {
	case <-x.done:
	case <-f.t.Context().Done():
		f.t.Fatal("test ended before the query")
	}
	qe, _ := f.ok("GetQueryExecution", `{"QueryExecutionId":"`+id+`"}`).Body["QueryExecution"].(map[string]any)
	return qe
}

// rows returns a results page's rows as strings, "NULL" for a missing
// VarCharValue.
func rows(r awsReply) [][]string {
	var out [][]string
	raw, _ := jsonAt(r.Body, "ResultSet", "Rows").([]any)
	for i := range raw {
		data, _ := jsonAt(raw[i], "Data").([]any)
		row := []string{}
		for j := range data {
			v, ok := jsonAt(data[j], "VarCharValue").(string)
			if !ok {
				v = "NULL"
			}
			row = append(row, v)
		}
		out = append(out, row)
	}
	return out
}

// TestAthenaLikeTheCLI is `aws athena start-query-execution`, then
// get-query-execution and get-query-results, as the AWS CLI sends them,
// checked against Athena's response shapes; and the result CSV in S3.
func TestAthenaLikeTheCLI(t *testing.T) {
	f := newAthenaFixture(t, nil)
	f.serve()
	r := f.ok("StartQueryExecution", `{"QueryString":"SELECT symbol, ts, price, volume, dt FROM stock_topic ORDER BY ts","ClientRequestToken":"5f1c0d4e-2c11-4b8e-9a53-3d0c1f9e0a11","QueryExecutionContext":{"Database":"stock_market"},"ResultConfiguration":{"OutputLocation":"s3://results/cli"}}`)
	if ct := r.Header.Get("Content-Type"); ct != "application/x-amz-json-1.1" {
		t.Errorf("Content-Type = %q", ct)
	}
	id, _ := r.Body["QueryExecutionId"].(string)
	// The CLI's retry of the same request (same token) is the same query.
	again := f.ok("StartQueryExecution", `{"QueryString":"SELECT symbol, ts, price, volume, dt FROM stock_topic ORDER BY ts","ClientRequestToken":"5f1c0d4e-2c11-4b8e-9a53-3d0c1f9e0a11","QueryExecutionContext":{"Database":"stock_market"},"ResultConfiguration":{"OutputLocation":"s3://results/cli"}}`)
	if again.Body["QueryExecutionId"] != id {
		t.Errorf("a retry with the same ClientRequestToken started query %v, want %s", again.Body["QueryExecutionId"], id)
	}

	qe := f.wait(id)
	csvURI := "s3://results/cli/" + id + ".csv"
	for _, c := range []struct {
		path []any
		want any
	}{
		{[]any{"QueryExecutionId"}, id},
		{[]any{"Status", "State"}, "SUCCEEDED"},
		{[]any{"StatementType"}, "DML"},
		{[]any{"SubstatementType"}, "SELECT"},
		{[]any{"ResultConfiguration", "OutputLocation"}, csvURI},
		{[]any{"QueryExecutionContext", "Database"}, "stock_market"},
		{[]any{"WorkGroup"}, "primary"},
		{[]any{"EngineVersion", "EffectiveEngineVersion"}, "Athena engine version 3"},
		{[]any{"Status", "StateChangeReason"}, nil},
	} {
		if got := jsonAt(qe, c.path...); got != c.want {
			t.Errorf("%v = %#v, want %#v", c.path, got, c.want)
		}
	}
	if s, ok := jsonAt(qe, "Status", "SubmissionDateTime").(float64); !ok || time.Since(time.Unix(int64(s), 0)) > time.Hour {
		t.Errorf("SubmissionDateTime = %#v, want epoch seconds", jsonAt(qe, "Status", "SubmissionDateTime"))
	}
	if _, ok := jsonAt(qe, "Statistics", "TotalExecutionTimeInMillis").(float64); !ok {
		t.Errorf("no Statistics.TotalExecutionTimeInMillis in %v", qe)
	}

	res := f.ok("GetQueryResults", `{"QueryExecutionId":"`+id+`"}`)
	want := [][]string{
		{"symbol", "ts", "price", "volume", "dt"},
		{"AAPL", "2026-11-26 10:00:00.123", "101.5", "100", "2026-11-26"},
		{"MSFT", "2026-11-26 10:00:01.000", "300.25", "NULL", "2026-11-26"},
	}
	if got := rows(res); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("rows\n got %q\nwant %q", got, want)
	}
	if tok := jsonAt(res.Body, "NextToken"); tok != nil {
		t.Errorf("NextToken = %v on the only page", tok)
	}
	var types []string
	for i := range 5 {
		types = append(types, fmt.Sprint(jsonAt(res.Body, "ResultSet", "ResultSetMetadata", "ColumnInfo", i, "Type")))
	}
	if got := strings.Join(types, " "); got != "varchar timestamp double bigint varchar" {
		t.Errorf("ColumnInfo types %s", got)
	}
	if got := jsonAt(res.Body, "ResultSet", "ResultSetMetadata", "ColumnInfo", 0, "Label"); got != "symbol" {
		t.Errorf("ColumnInfo[0].Label = %v", got)
	}

	// The result CSV, read back through S3 as a user would.
	s3c := newS3Client(f.url)
	obj, err := s3c.GetObject(t.Context(), &s3.GetObjectInput{Bucket: new("results"), Key: new("cli/" + id + ".csv")})
	if err != nil {
		t.Fatalf("the result CSV %s: %v", csvURI, err)
	}
	defer obj.Body.Close()
	b, _ := io.ReadAll(obj.Body)
	wantCSV := `"symbol","ts","price","volume","dt"
"AAPL","2026-11-26 10:00:00.123","101.5","100","2026-11-26"
"MSFT","2026-11-26 10:00:01.000","300.25",,"2026-11-26"
`
	if string(b) != wantCSV {
		t.Errorf("result CSV:\n%s\nwant:\n%s", b, wantCSV)
	}

	list := f.ok("ListQueryExecutions", `{}`)
	if got := fmt.Sprint(jsonAt(list.Body, "QueryExecutionIds")); got != "["+id+"]" {
		t.Errorf("ListQueryExecutions = %s, want [%s]", got, id)
	}
}

func TestAthenaErrors(t *testing.T) {
	f := newAthenaFixture(t, nil)
	f.serve()
	for _, c := range []struct {
		name, op, body, wantType, wantMsg string
	}{
		{"no output location", "StartQueryExecution", `{"QueryString":"SELECT 1"}`,
			"InvalidRequestException", "No output location provided. An output location is required either through the Workgroup result configuration setting or as an API input."},
		{"bad output location", "StartQueryExecution", `{"QueryString":"SELECT 1","ResultConfiguration":{"OutputLocation":"/tmp/x"}}`,
			"InvalidRequestException", `OutputLocation: "/tmp/x" is not an s3:// URI`},
		{"no query", "StartQueryExecution", `{"ResultConfiguration":{"OutputLocation":"s3://results/"}}`,
			"InvalidRequestException", "QueryString is required"},
		{"unknown workgroup", "StartQueryExecution", `{"QueryString":"SELECT 1","WorkGroup":"nope"}`,
			"InvalidRequestException", "WorkGroup nope is not found."},
		{"unknown query", "GetQueryExecution", `{"QueryExecutionId":"00000000-0000-0000-0000-000000000000"}`,
			"InvalidRequestException", "QueryExecution 00000000-0000-0000-0000-000000000000 was not found"},
		{"unknown operation", "CreatePreparedStatement", `{}`,
			"UnknownOperationException", "Athena operation CreatePreparedStatement is not emulated"},
		{"malformed body", "GetQueryExecution", `{"QueryExecutionId":`,
			"SerializationException", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := f.call(c.op, c.body)
			if r.Status != http.StatusBadRequest || r.errType() != c.wantType {
				t.Fatalf("%d %v, want 400 %s", r.Status, r.Body, c.wantType)
			}
			if msg, _ := r.Body["Message"].(string); c.wantMsg != "" && msg != c.wantMsg {
				t.Errorf("Message = %q\nwant      %q", msg, c.wantMsg)
			}
		})
	}

	// Queries that fail: FAILED with the reason on one line.
	for _, c := range []struct{ sql, reason string }{
		{"SELECT nope FROM stock_topic", `Binder Error: Referenced column "nope" not found in FROM clause!`},
		{"SELEC 1", "SYNTAX_ERROR: syntax error at or near \"SELEC\""},
		{"SELECT * FROM missing", "TABLE_NOT_FOUND: Table 'awsdatacatalog.stock_market.missing' does not exist"},
		{"SELECT 1; SELECT 2", "Only one sql statement is allowed"},
		{"CREATE TABLE x AS SELECT 1", "Column name not specified at position 1"},
		{"CREATE TABLE x (a int) LOCATION 's3://lake/x/'", "NOT_SUPPORTED: Only external table creation is supported"},
		{"COPY stock_topic TO '/tmp/x.csv'", "NOT_SUPPORTED: COPY statements are not supported"},
		{"INSERT INTO stock_topic SELECT * FROM stock_topic", "NOT_SUPPORTED: INSERT statements are not supported"},
		{"DROP TABLE missing", "TABLE_NOT_FOUND: Table awsdatacatalog.stock_market.missing does not exist"},
		{"SELECT date_parse('1', '%D')", "NOT_SUPPORTED: date_parse: format specifier %D is not supported"},
	} {
		t.Run(c.sql, func(t *testing.T) {
			id := f.start(c.sql)
			qe := f.wait(id)
			reason, _ := jsonAt(qe, "Status", "StateChangeReason").(string)
			if jsonAt(qe, "Status", "State") != "FAILED" || !strings.HasPrefix(reason, c.reason) || strings.Contains(reason, "\n") {
				t.Errorf("State %v, reason %q; want FAILED, %q...", jsonAt(qe, "Status", "State"), reason, c.reason)
			}
			if got := jsonAt(qe, "Status", "AthenaError", "ErrorCategory"); got != float64(2) {
				t.Errorf("AthenaError.ErrorCategory = %v, want 2 (user)", got)
			}
			r := f.call("GetQueryResults", `{"QueryExecutionId":"`+id+`"}`)
			if r.errType() != "InvalidRequestException" || r.Body["Message"] != "Query did not finish successfully. Final query state: FAILED" {
				t.Errorf("GetQueryResults of a failed query = %d %v", r.Status, r.Body)
			}
		})
	}

	t.Run("missing output bucket", func(t *testing.T) {
		body := `{"QueryString":"SELECT 1 AS one","ResultConfiguration":{"OutputLocation":"s3://no-such-bucket/x/"}}`
		id, _ := f.ok("StartQueryExecution", body).Body["QueryExecutionId"].(string)
		qe := f.wait(id)
		if got := jsonAt(qe, "Status", "StateChangeReason"); got != "Unable to verify/create output bucket no-such-bucket" {
			t.Errorf("StateChangeReason = %v", got)
		}
	})
}

// TestAthenaPaging pages 2,500 rows: the header counts in the first page,
// as in Athena.
func TestAthenaPaging(t *testing.T) {
	f := newAthenaFixture(t, nil)
	id := f.start("SELECT i FROM UNNEST(sequence(0, 2499)) AS t(i) ORDER BY i")
	f.wait(id)
	var all [][]string
	tok := ""
	for pages := 0; ; pages++ {
		body := `{"QueryExecutionId":"` + id + `","MaxResults":1000` + tok + `}`
		r := f.ok("GetQueryResults", body)
		page := rows(r)
		if len(page) > 1000 {
			t.Fatalf("page of %d rows", len(page))
		}
		if n := len(jsonAt(r.Body, "ResultSet", "ResultSetMetadata", "ColumnInfo").([]any)); n != 1 {
			t.Errorf("page %d has %d ColumnInfo", pages, n)
		}
		all = append(all, page...)
		next, ok := jsonAt(r.Body, "NextToken").(string)
		if !ok {
			break
		}
		tok = `,"NextToken":"` + next + `"`
	}
	if len(all) != 2501 || all[0][0] != "i" || all[1][0] != "0" || all[2500][0] != "2499" {
		t.Errorf("%d rows: first %v, last %v", len(all), all[0], all[len(all)-1])
	}

	for _, body := range []string{
		`{"QueryExecutionId":"` + id + `","MaxResults":1001}`,
		`{"QueryExecutionId":"` + id + `","MaxResults":0}`,
		`{"QueryExecutionId":"` + id + `","NextToken":"not-a-token"}`,
	} {
		if r := f.call("GetQueryResults", body); r.errType() != "InvalidRequestException" {
			t.Errorf("GetQueryResults %s = %d %v, want InvalidRequestException", body, r.Status, r.Body)
		}
	}
}

// TestAthenaStop stops a query that would run for hours: it is CANCELLED
// at once, and its DuckDB query ends.
func TestAthenaStop(t *testing.T) {
	f := newAthenaFixture(t, nil)
	id := f.start("SELECT count(*) FROM range(1000000000000) t(i) WHERE hash(i) = 42")
	f.ok("StopQueryExecution", `{"QueryExecutionId":"`+id+`"}`)
	qe := f.wait(id)
	if jsonAt(qe, "Status", "State") != "CANCELLED" || jsonAt(qe, "Status", "StateChangeReason") != "Query was cancelled by user" {
		t.Errorf("Status = %v", jsonAt(qe, "Status"))
	}
	// Stopping again, or a finished query, is fine.
	f.ok("StopQueryExecution", `{"QueryExecutionId":"`+id+`"}`)
	if r := f.call("GetQueryResults", `{"QueryExecutionId":"`+id+`"}`); r.errType() != "InvalidRequestException" {
		t.Errorf("GetQueryResults of a cancelled query = %d %v", r.Status, r.Body)
	}
	ended := make(chan struct{})
	go func() { f.svc.runs.Wait(); close(ended) }()
	select {
	case <-ended:
	case <-time.After(15 * time.Second):
		t.Fatal("the stopped query's DuckDB query is still running after 15s")
	}
}

// TestAthenaSeesCatalogChanges: a partition (or table) registered after
// the first query is read by the next one.
func TestAthenaSeesCatalogChanges(t *testing.T) {
	f := newAthenaFixture(t, nil)
	count := func() string {
		id := f.start("SELECT count(*) AS n FROM stock_topic")
		if qe := f.wait(id); jsonAt(qe, "Status", "State") != "SUCCEEDED" {
			t.Fatalf("query %v", jsonAt(qe, "Status"))
		}
		return rows(f.ok("GetQueryResults", `{"QueryExecutionId":"`+id+`"}`))[1][0]
	}
	if n := count(); n != "2" {
		t.Fatalf("count = %s, want 2", n)
	}
	if n := count(); n != "2" { // no change: the views are reused
		t.Fatalf("count = %s, want 2", n)
	}
	f.addPartition("2026-11-27")
	if n := count(); n != "3" {
		t.Errorf("count after a new partition = %s, want 3", n)
	}
}

func TestAthenaWorkGroups(t *testing.T) {
	f := newAthenaFixture(t, &AthenaOptions{OutputLocation: "s3://results/primary/"})
	r := f.ok("GetWorkGroup", `{"WorkGroup":"primary"}`)
	if got := jsonAt(r.Body, "WorkGroup", "Configuration", "ResultConfiguration", "OutputLocation"); got != "s3://results/primary/" {
		t.Errorf("primary OutputLocation = %v", got)
	}
	if got := jsonAt(r.Body, "WorkGroup", "State"); got != "ENABLED" {
		t.Errorf("State = %v", got)
	}
	// A query without an output location goes to the primary workgroup's.
	id, _ := f.ok("StartQueryExecution", `{"QueryString":"SELECT 1 AS one"}`).Body["QueryExecutionId"].(string)
	if got := jsonAt(f.wait(id), "ResultConfiguration", "OutputLocation"); got != "s3://results/primary/"+id+".csv" {
		t.Errorf("OutputLocation = %v", got)
	}

	f.ok("CreateWorkGroup", `{"Name":"analysts","Description":"team","Configuration":{"ResultConfiguration":{"OutputLocation":"s3://results/analysts/"},"EnforceWorkGroupConfiguration":true}}`)
	if r := f.call("CreateWorkGroup", `{"Name":"analysts"}`); r.errType() != "InvalidRequestException" {
		t.Errorf("CreateWorkGroup of an existing workgroup = %d %v", r.Status, r.Body)
	}
	// Enforced: the workgroup's location wins over the query's.
	id2, _ := f.ok("StartQueryExecution", `{"QueryString":"SELECT 2 AS two","WorkGroup":"analysts","ResultConfiguration":{"OutputLocation":"s3://results/mine/"}}`).Body["QueryExecutionId"].(string)
	if got := jsonAt(f.wait(id2), "ResultConfiguration", "OutputLocation"); got != "s3://results/analysts/"+id2+".csv" {
		t.Errorf("OutputLocation in an enforcing workgroup = %v", got)
	}
	if p, err := f.store.ObjectPath("results", "analysts/"+id2+".csv"); err != nil || !isFile(p) {
		t.Errorf("no result CSV at %s: %v", p, err)
	}

	lw := f.ok("ListWorkGroups", `{"MaxResults":1}`)
	tok, _ := jsonAt(lw.Body, "NextToken").(string)
	lw2 := f.ok("ListWorkGroups", `{"NextToken":"`+tok+`"}`)
	if jsonAt(lw.Body, "WorkGroups", 0, "Name") != "analysts" || jsonAt(lw2.Body, "WorkGroups", 0, "Name") != "primary" || jsonAt(lw2.Body, "NextToken") != nil {
		t.Errorf("ListWorkGroups pages = %v, %v", lw.Body, lw2.Body)
	}

	// Executions are listed per workgroup, newest first.
	id3, _ := f.ok("StartQueryExecution", `{"QueryString":"SELECT 3 AS three"}`).Body["QueryExecutionId"].(string)
	l := f.ok("ListQueryExecutions", `{"MaxResults":1}`)
	next, _ := jsonAt(l.Body, "NextToken").(string)
	l2 := f.ok("ListQueryExecutions", `{"MaxResults":1,"NextToken":"`+next+`"}`)
	if jsonAt(l.Body, "QueryExecutionIds", 0) != id3 || jsonAt(l2.Body, "QueryExecutionIds", 0) != id || jsonAt(l2.Body, "NextToken") != nil {
		t.Errorf("ListQueryExecutions pages = %v, %v; want %s then %s", l.Body, l2.Body, id3, id)
	}
	la := f.ok("ListQueryExecutions", `{"WorkGroup":"analysts"}`)
	if got := fmt.Sprint(jsonAt(la.Body, "QueryExecutionIds")); got != "["+id2+"]" {
		t.Errorf("ListQueryExecutions of analysts = %s", got)
	}
	b := f.ok("BatchGetQueryExecution", `{"QueryExecutionIds":["`+id+`","nope"]}`)
	if jsonAt(b.Body, "QueryExecutions", 0, "QueryExecutionId") != id || jsonAt(b.Body, "UnprocessedQueryExecutionIds", 0, "QueryExecutionId") != "nope" {
		t.Errorf("BatchGetQueryExecution = %v", b.Body)
	}
}

// TestAthenaSQLBridges runs Trino SQL that DuckDB does not take as is.
func TestAthenaSQLBridges(t *testing.T) {
	f := newAthenaFixture(t, nil)
	f.addPartition("2026-11-27")
	for _, c := range []struct {
		sql  string
		want [][]string
	}{
		{"SELECT approx_distinct(symbol) AS n FROM stock_topic", [][]string{{"n"}, {"2"}}},
		{"SELECT approx_distinct(symbol, 0.01) AS n FROM stock_topic", [][]string{{"n"}, {"2"}}},
		{"SELECT count(*) AS n FROM AwsDataCatalog.stock_market.stock_topic", [][]string{{"n"}, {"3"}}},
		{`SELECT count(*) AS n FROM "awsdatacatalog"."stock_market"."stock_topic"`, [][]string{{"n"}, {"3"}}},
		{"SELECT date_parse('2026-11-26 10:05:09', '%Y-%m-%d %H:%i:%s') AS t", [][]string{{"t"}, {"2026-11-26 10:05:09.000"}}},
		{"SELECT date_parse('26/11/2026 2:05 PM', '%d/%m/%Y %h:%i %p') AS t", [][]string{{"t"}, {"2026-11-26 14:05:00.000"}}},
		{"SELECT date_format(TIMESTAMP '2026-11-26 10:05:09', '%Y%m%d-%H%i') AS s", [][]string{{"s"}, {"20261126-1005"}}},
		{"SELECT from_iso8601_timestamp('2026-11-26T10:00:00.123Z') AS t", [][]string{{"t"}, {"2026-11-26 10:00:00.123 UTC"}}},
		{"SELECT from_iso8601_date('2026-11-26') AS d", [][]string{{"d"}, {"2026-11-26"}}},
		{"SELECT to_unixtime(TIMESTAMP '1970-01-02 00:00:00') AS s", [][]string{{"s"}, {"86400.0"}}},
		{"SELECT from_unixtime(86400) AS t", [][]string{{"t"}, {"1970-01-02 00:00:00.000 UTC"}}},
		// Not inside literals, quoted identifiers or comments.
		{"SELECT 'approx_distinct(x) AwsDataCatalog.a' AS s -- approx_distinct(y)", [][]string{{"s"}, {"approx_distinct(x) AwsDataCatalog.a"}}},
		// Nested calls are bridged inside out.
		{"SELECT date_format(date_parse('2026-11-26', '%Y-%m-%d'), '%d.%m.%Y') AS s", [][]string{{"s"}, {"26.11.2026"}}},
	} {
		t.Run(c.sql, func(t *testing.T) {
			id := f.start(c.sql)
			if qe := f.wait(id); jsonAt(qe, "Status", "State") != "SUCCEEDED" {
				t.Fatalf("%v", jsonAt(qe, "Status"))
			}
			if got := rows(f.ok("GetQueryResults", `{"QueryExecutionId":"`+id+`"}`)); fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Errorf("rows %q, want %q", got, c.want)
			}
		})
	}

	// Without a database in the context, the qualified name's database is
	// read (and a table alias is not taken for one).
	body := `{"QueryString":"SELECT count(*) AS n FROM stock_market.stock_topic s WHERE s.price > 0","ResultConfiguration":{"OutputLocation":"s3://results/q/"}}`
	id, _ := f.ok("StartQueryExecution", body).Body["QueryExecutionId"].(string)
	if qe := f.wait(id); jsonAt(qe, "Status", "State") != "SUCCEEDED" {
		t.Fatalf("%v", jsonAt(qe, "Status"))
	}
	// ExecutionParameters fill the ? placeholders.
	body = `{"QueryString":"SELECT count(*) AS n FROM stock_topic WHERE symbol = ? AND price > ?","ExecutionParameters":["'AAPL'","102"],"QueryExecutionContext":{"Database":"stock_market"},"ResultConfiguration":{"OutputLocation":"s3://results/q/"}}`
	id, _ = f.ok("StartQueryExecution", body).Body["QueryExecutionId"].(string)
	f.wait(id)
	if got := rows(f.ok("GetQueryResults", `{"QueryExecutionId":"`+id+`"}`)); fmt.Sprint(got) != "[[n] [1]]" {
		t.Errorf("with parameters: %q", got)
	}
}

func TestRewriteSQL(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"SELECT * FROM AwsDataCatalog.db.t", "SELECT * FROM db.t"},
		{`SELECT * FROM "AwsDataCatalog"."db"."t"`, `SELECT * FROM "db"."t"`},
		{"SELECT t.AwsDataCatalog.x", "SELECT t.AwsDataCatalog.x"},
		{"SELECT CAST(x AS ARRAY(varchar))", "SELECT CAST(x AS varchar[])"},
		{"SELECT CAST(x AS array(ARRAY(ROW(a bigint))))", "SELECT CAST(x AS ROW(a bigint)[][])"},
		{"SELECT ARRAY[1, 2]", "SELECT ARRAY[1, 2]"},
		{"SELECT CAST(x AS timestamp(3) with time zone), CAST(y AS TIME(6))", `SELECT CAST(x AS timestamp with time zone), CAST(y AS "__time_6")`},
		{"SELECT timestamp(x)", "SELECT timestamp(x)"},
		{"SELECT 'ARRAY(x)' -- ARRAY(x)", "SELECT 'ARRAY(x)' -- ARRAY(x)"},
		{"SELECT 1;", "SELECT 1"},
		{"SELECT CAST(x AS array<array<bigint>>), TRY_CAST(y AS MAP<varchar, array<int>>)", "SELECT CAST(x AS bigint[][]), TRY_CAST(y AS MAP(varchar, int[]))"},
		{"SELECT CAST(x AS ROW(a array<int>, b map<int,int>))", "SELECT CAST(x AS ROW(a int[], b map(int,int)))"},
		{"SELECT array < 1, map<x", "SELECT array < 1, map<x"},
		{"SELECT x Day, 'a' type FROM t day WHERE 1 < 2", `SELECT x AS "day", 'a' AS "type" FROM t AS "day" WHERE 1 < 2`},
		{"SELECT f(x) first, (y) last, z[1] value, \"q\" key, CASE WHEN a THEN b END name FROM t", `SELECT f(x) AS "first", (y) AS "last", z[1] AS "value", "q" AS "key", CASE WHEN a THEN b END AS "name" FROM t`},
		{"SELECT t.day first, INTERVAL '1' DAY second, INTERVAL '1-2' YEAR TO MONTH hour", `SELECT t.day AS "first", INTERVAL '1' DAY AS "second", INTERVAL '1-2' YEAR TO MONTH AS "hour"`},
	} {
		got, err := rewriteSQL(c.in, nil)
		if err != nil || got != c.want {
			t.Errorf("rewriteSQL(%q) = %q, %v\nwant %q", c.in, got, err, c.want)
		}
	}
	if got, err := rewriteSQL("SELECT ? + ?", []string{"1", "'a'"}); err != nil || got != "SELECT 1 + 'a'" {
		t.Errorf("with parameters: %q, %v", got, err)
	}
	// The same words where they are not aliases.
	for _, in := range []string{
		"SELECT INTERVAL '1' DAY, INTERVAL -'1' HOUR, EXTRACT(DAY FROM ts), date_trunc('day', ts) FROM t",
		"SELECT x FROM t ORDER BY x NULLS FIRST, y DESC NULLS LAST",
		"SELECT sum(x) OVER (PARTITION BY y ORDER BY z ROWS BETWEEN 1 PRECEDING AND CURRENT ROW), count(*) FILTER (WHERE x > 0) FROM t",
		"SELECT x FROM t OFFSET 1 ROWS LIMIT 2",
		"SELECT x FROM t OFFSET 1 ROW FETCH FIRST 2 ROWS ONLY",
		"SELECT CAST(x AS timestamp with time zone), CAST(y AS time without time zone), x AT TIME ZONE 'UTC', position('a' IN s) FROM t",
		"SELECT CAST(x AS ROW(a timestamp, b time)), x.day, t.first FROM t WINDOW w AS (PARTITION BY x)",
		"SELECT x AS day, y AS \"first\" FROM t",
		"CREATE TABLE x AS SELECT 1 AS a WITH NO DATA",
		"SELECT x IS JSON VALUE, y IS NOT JSON ARRAY FROM t",
	} {
		if got, err := rewriteSQL(in, nil); err != nil || got != in {
			t.Errorf("rewriteSQL(%q) = %q, %v; want it unchanged", in, got, err)
		}
	}
	for _, in := range []string{"SELECT 1; SELECT 2", "SELECT ?"} {
		if got, err := rewriteSQL(in, nil); err == nil {
			t.Errorf("rewriteSQL(%q) = %q, want an error", in, got)
		}
	}
}

// FuzzRewriteSQL: the rewrite never panics, and leaves a statement with no
// fixed spelling, catalog prefix, IF, ? or ; as it is, but for bare aliases
// that become AS "alias", unless it refuses DuckDB-only syntax (::, ==,
// [a, b], BY ALL, * EXCLUDE, a trailing comma, $$..$$, #n, E'..', ~, **,
// //, ILIKE, SIMILAR TO) the text holds.
func FuzzRewriteSQL(f *testing.F) {
	for _, s := range []string{"SELECT x FROM AwsDataCatalog.db.t", "SELECT 'a''b' -- c", `"x""y"`, "/* unterminated", "CAST(x AS ARRAY(int", "timestamp(3", "SELECT f(x) Day, 1 value FROM t first WHERE y ILIKE z", "SELECT a ~ b, c ** 2, CAST(d AS map<int, int>)"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out, err := rewriteSQL(s, nil)
		lower := strings.ToLower(s)
		for _, w := range []string{"array", "time", "values", "nulls", "awsdatacatalog", "?", ";", "if"} { // if(c, x) is if(c, x, NULL)
			if strings.Contains(lower, w) {
				return
			}
		}
		if strings.Contains(lower, "map") && strings.Contains(s, "<") {
			return // map<K, V>
		}
		if err != nil && strings.Contains(err.Error(), "not Trino SQL") && (strings.ContainsAny(s, ":=<>[*,$#~/") || slices.ContainsFunc([]string{"all", "e'", "limit", "ilike", "similar"}, func(w string) bool { return strings.Contains(lower, w) })) {
			return
		}
		if err != nil || !sameButAliases(s, out) {
			t.Errorf("rewriteSQL(%q) = %q, %v; want it unchanged", s, out, err)
		}
	})
}

// sameButAliases says whether out is in, but for bare alias words written
// AS "word" (the word in lower case).
func sameButAliases(in, out string) bool {
	a, b := tokenizeSQL(in), tokenizeSQL(out)
	j := 0
	for i, t := range a {
		switch {
		case j < len(b) && b[j] == t:
			j++
		case groupQuantifier(a, i): // dropped: GROUP BY ALL a is GROUP BY a
		case reservedQualifier(a, i) && j < len(b) && b[j].text == `"`+strings.ToLower(t.text)+`"`:
			j++
		case t.kind == tokWord && aliasWords[strings.ToLower(t.text)] && j+2 < len(b) &&
			b[j].text == "AS" && b[j+1].text == " " && b[j+2].text == `"`+strings.ToLower(t.text)+`"`:
			j += 3
		default:
			return false
		}
	}
	return j == len(b)
}

func TestAthenaColumnNames(t *testing.T) {
	f := newAthenaFixture(t, nil)
	id := f.start(`SELECT count(*), symbol AS Sym, 1, "symbol", price * 2, true FROM stock_topic GROUP BY symbol, price ORDER BY symbol, price LIMIT 1`)
	f.wait(id)
	got := rows(f.ok("GetQueryResults", `{"QueryExecutionId":"`+id+`"}`))
	if want := "[_col0 sym _col2 symbol _col4 _col5]"; fmt.Sprint(got[0]) != want {
		t.Errorf("header %v, want %s", got[0], want)
	}
	// A utility statement has no header row.
	id = f.start("DESCRIBE stock_topic")
	f.wait(id)
	if got := rows(f.ok("GetQueryResults", `{"QueryExecutionId":"`+id+`"}`)); len(got) != 10 || got[0][0] != "symbol" {
		t.Errorf("DESCRIBE rows %q", got)
	}
}

func TestAthenaText(t *testing.T) {
	ts := time.Date(2026, 11, 26, 10, 0, 0, 123456000, time.UTC)
	for _, c := range []struct {
		v    any
		typ  string
		want string
	}{
		{int64(-42), "bigint", "-42"},
		{"9223372036854775808", "bigint", "9223372036854775808"},
		{100.0, "double", "100.0"},
		{0.1, "double", "0.1"},
		{1e-7, "double", "1.0E-7"},
		{1.5e-3, "double", "0.0015"},
		{12345678.9, "double", "1.23456789E7"},
		{1e21, "double", "1.0E21"},
		{-0.0, "double", "0.0"},
		{true, "boolean", "true"},
		{ts, "timestamp", "2026-11-26 10:00:00.123456"},
		{ts.Truncate(time.Millisecond), "timestamp", "2026-11-26 10:00:00.123"},
		{ts.Truncate(time.Second), "timestamp", "2026-11-26 10:00:00.000"},
		{ts.Truncate(time.Second), "timestamp with time zone", "2026-11-26 10:00:00.000 UTC"},
		{ts.Truncate(24 * time.Hour), "date", "2026-11-26"},
		{"12.50", "decimal(5,2)", "12.50"},
		{"ab", "varbinary", "61 62"},
		{"[1, 2]", "array<integer>", "[1, 2]"},
	} {
		if got := athenaText(c.v, c.typ); got == nil || *got != c.want {
			t.Errorf("athenaText(%#v, %s) = %v, want %q", c.v, c.typ, got, c.want)
		}
	}
	if got := athenaText(nil, "varchar"); got != nil {
		t.Errorf("athenaText(nil) = %q, want nil", *got)
	}
	for typ, want := range map[string]string{
		"decimal(10,2)":            "decimal 10 2",
		"array<integer>":           "array 0 0",
		"struct<a:integer>":        "row 0 0",
		"map<varchar,bigint>":      "map 0 0",
		"varchar":                  "varchar 2147483647 0",
		"timestamp with time zone": "timestamp with time zone 3 0",
		"interval day to second":   "interval day to second 0 0",
		"decimal(38,0)":            "decimal 38 0",
	} {
		c := columnInfo("c", typ)
		if got := fmt.Sprintf("%s %d %d", c.Type, c.Precision, c.Scale); got != want {
			t.Errorf("columnInfo(%s) = %s, want %s", typ, got, want)
		}
	}
}

// TestAthenaCTAS: CREATE TABLE AS SELECT writes Parquet to the table's
// location, registers the table, and the next query reads it.
func TestAthenaCTAS(t *testing.T) {
	f := newAthenaFixture(t, nil)
	f.addPartition("2026-11-27")
	const sel = "SELECT symbol, dt, CAST(dt AS DATE) AS day, count(*) AS n, avg(price) AS avg_price, max(ts) AS last_ts, " +
		"CAST(max(price) AS DECIMAL(10,2)) AS high, max(volume) > 100 AS busy, from_iso8601_timestamp('2026-11-26T10:00:00Z') AS tz FROM stock_topic GROUP BY symbol, dt"
	id := f.start("CREATE TABLE daily WITH (format = 'PARQUET', external_location = 's3://lake/daily/', write_compression = 'ZSTD') AS " + sel)
	qe := f.wait(id)
	if jsonAt(qe, "Status", "State") != "SUCCEEDED" || jsonAt(qe, "StatementType") != "DDL" || jsonAt(qe, "SubstatementType") != "CREATE_TABLE_AS_SELECT" {
		t.Fatalf("CTAS: %v", qe)
	}
	r := f.ok("GetQueryResults", `{"QueryExecutionId":"`+id+`"}`)
	if jsonAt(r.Body, "UpdateCount") != float64(3) || len(rows(r)) != 0 {
		t.Errorf("CTAS results: %v", r.Body)
	}
	tbl, err := f.cat.GetTable(t.Context(), catalog.Database, "daily")
	if err != nil {
		t.Fatal(err)
	}
	var cols []string
	for _, c := range tbl.Columns {
		cols = append(cols, c.Name+" "+c.Type)
	}
	if got := strings.Join(cols, ", "); tbl.Format != "parquet" || tbl.Location != "s3://lake/daily/" ||
		got != "symbol string, dt string, day date, n bigint, avg_price double, last_ts timestamp, high decimal(10,2), busy boolean, tz timestamp" {
		t.Errorf("table %s at %s, columns %s", tbl.Format, tbl.Location, got)
	}
	if p, err := f.store.ObjectPath("lake", "daily/"+id+"_0.parquet"); err != nil || !isFile(p) {
		t.Errorf("no Parquet file at %s: %v", p, err)
	}
	// The table holds what the SELECT returns.
	results := func(sql string) [][]string {
		id := f.start(sql)
		if qe := f.wait(id); jsonAt(qe, "Status", "State") != "SUCCEEDED" {
			t.Fatalf("%s: %v", sql, jsonAt(qe, "Status"))
		}
		return rows(f.ok("GetQueryResults", `{"QueryExecutionId":"`+id+`"}`))
	}
	want := results(sel + " ORDER BY symbol, dt")
	got := results("SELECT * FROM daily ORDER BY symbol, dt")
	// A timestamp with time zone is stored as a timestamp in UTC.
	if len(want) != 4 || fmt.Sprint(got) != strings.ReplaceAll(fmt.Sprint(want), " UTC", "") {
		t.Errorf("daily:\n%q\nwant\n%q", got, want)
	}

	// Without external_location the table goes under the output location.
	id = f.start("CREATE TABLE IF NOT EXISTS ones AS SELECT 1 AS one")
	f.wait(id)
	if tbl, err := f.cat.GetTable(t.Context(), catalog.Database, "ones"); err != nil || tbl.Location != "s3://results/q/tables/"+id+"/" {
		t.Errorf("table ones: %+v, %v", tbl, err)
	}
	for _, c := range []struct{ sql, reason string }{
		{"CREATE TABLE daily AS SELECT 1 AS one", "Destination table 'stock_market.daily' already exists"},
		{"CREATE TABLE daily2 WITH (external_location = 's3://lake/daily/') AS SELECT 1 AS one", "HIVE_PATH_ALREADY_EXISTS: Target directory for table 'stock_market.daily2' already exists: s3://lake/daily/"},
		{"CREATE TABLE p WITH (bucketed_by = ARRAY['dt']) AS SELECT 1 AS one, '1' AS dt", "NOT_SUPPORTED: CTAS property bucketed_by is not supported"},
		{"CREATE TABLE j WITH (format = 'JSON') AS SELECT 1 AS one", "CTAS format JSON is not supported"},
		{"CREATE TABLE nodb.t AS SELECT 1 AS one", "Schema nodb does not exist"},
		{"CREATE TABLE bad AS SELECT nope FROM stock_topic", "Binder Error"},
	} {
		id := f.start(c.sql)
		qe := f.wait(id)
		if reason, _ := jsonAt(qe, "Status", "StateChangeReason").(string); jsonAt(qe, "Status", "State") != "FAILED" || !strings.HasPrefix(reason, c.reason) {
			t.Errorf("%s: %v, want FAILED %q", c.sql, jsonAt(qe, "Status"), c.reason)
		}
	}
	// IF NOT EXISTS on an existing table does nothing.
	id = f.start("CREATE TABLE IF NOT EXISTS daily AS SELECT 1 AS one")
	if qe := f.wait(id); jsonAt(qe, "Status", "State") != "SUCCEEDED" {
		t.Errorf("IF NOT EXISTS: %v", jsonAt(qe, "Status"))
	}
}

// TestStackServesAthena: the local stack serves Athena on its S3 port,
// with the primary workgroup's output location from its options.
func TestStackServesAthena(t *testing.T) {
	st, err := Start(DataDir(t.TempDir()), &StackOptions{AthenaOutput: "s3://results/athena/", AnyCredentials: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	f := &athenaFixture{t: t, url: st.S3.URL()}
	r := f.ok("GetWorkGroup", `{"WorkGroup":"primary"}`)
	if got := jsonAt(r.Body, "WorkGroup", "Configuration", "ResultConfiguration", "OutputLocation"); got != "s3://results/athena/" {
		t.Errorf("OutputLocation = %v", got)
	}
}

func isFile(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}
