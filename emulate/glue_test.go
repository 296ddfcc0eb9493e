package emulate

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"pipeline/catalog"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// sigV4Glue is an Authorization header like the AWS CLI's for Glue.
const sigV4Glue = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/glue/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=00"

// startGlue serves a Glue service over a fresh file catalog on an S3Server,
// as the stack does, and returns the server's URL and the catalog.
func startGlue(t *testing.T, opts *GlueOptions) (string, *catalog.Catalog) {
	t.Helper()
	store, err := OpenDiskStore(filepath.Join(t.TempDir(), "s3"))
	if err != nil {
		t.Fatal(err)
	}
	fc, err := catalog.OpenFileCatalog(filepath.Join(t.TempDir(), "catalog"))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := StartS3(store, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	glue := mustGlue(t, fc, opts)
	srv.SetServices(Services{Glue: glue})
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Error(err)
		}
		glue.Close()
	})
	return srv.URL(), catalog.New(fc)
}

func mustGlue(t *testing.T, d Catalog, opts *GlueOptions) *GlueService {
	t.Helper()
	g, err := NewGlue(d, opts)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// awsReply is a decoded AWS JSON response.
type awsReply struct {
	Status int
	Header http.Header
	Body   map[string]any
}

// errType is the reply's __type ("" for success).
func (r awsReply) errType() string { s, _ := r.Body["__type"].(string); return s }

// postGlue sends a Glue call as the AWS CLI does.
func postGlue(t *testing.T, url, op, body string) awsReply {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url+"/", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "AWSGlue."+op)
	req.Header.Set("X-Amz-Date", "20260101T000000Z")
	req.Header.Set("Authorization", sigV4Glue)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	return decodeReply(t, resp.StatusCode, resp.Header, resp.Body)
}

func decodeReply(t *testing.T, status int, h http.Header, body io.Reader) awsReply {
	t.Helper()
	b, err := io.ReadAll(body)
	if err != nil {
		t.Fatal(err)
	}
	r := awsReply{Status: status, Header: h}
	if err := json.Unmarshal(b, &r.Body); err != nil {
		t.Fatalf("response %d is not JSON: %v: %q", status, err, b)
	}
	return r
}

// jsonAt walks a decoded JSON value: keys for objects, ints for arrays.
func jsonAt(v any, steps ...any) any {
	for _, s := range steps {
		switch k := s.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			a, _ := v.([]any)
			if k >= len(a) {
				return nil
			}
			v = a[k]
		}
	}
	return v
}

// TestGlueGetTablesLikeTheCLI is `aws glue get-tables --database-name
// stock_market` as the CLI sends it, checked against Glue's response shape.
func TestGlueGetTablesLikeTheCLI(t *testing.T) {
	ctx := t.Context()
	url, cat := startGlue(t, nil)
	if err := cat.CreateDatabase(ctx, catalog.Database); err != nil {
		t.Fatal(err)
	}
	tbl := catalog.NewTable(catalog.Database, "stock_topic", "s3://bkt/stock_topic/", catalog.FormatJSON)
	tbl.Columns = []catalog.Column{{Name: "symbol", Type: catalog.TypeString, Comment: "ticker"}, {Name: "price", Type: catalog.TypeDouble}}
	tbl.PartitionKeys = []catalog.Column{{Name: "dt", Type: catalog.TypeString}}
	if err := cat.PutTable(ctx, tbl); err != nil {
		t.Fatal(err)
	}

	r := postGlue(t, url, "GetTables", `{"DatabaseName":"stock_market"}`)
	if r.Status != http.StatusOK {
		t.Fatalf("GetTables = %d %v", r.Status, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/x-amz-json-1.1" {
		t.Errorf("Content-Type = %q", ct)
	}
	if r.Header.Get("X-Amzn-RequestId") == "" {
		t.Error("no X-Amzn-RequestId")
	}
	for _, c := range []struct {
		path []any
		want any
	}{
		{[]any{"TableList", 0, "Name"}, "stock_topic"},
		{[]any{"TableList", 0, "DatabaseName"}, "stock_market"},
		{[]any{"TableList", 0, "TableType"}, "EXTERNAL_TABLE"},
		{[]any{"TableList", 0, "Parameters", "classification"}, "json"},
		{[]any{"TableList", 0, "PartitionKeys", 0, "Name"}, "dt"},
		{[]any{"TableList", 0, "PartitionKeys", 0, "Type"}, "string"},
		{[]any{"TableList", 0, "StorageDescriptor", "Location"}, "s3://bkt/stock_topic/"},
		{[]any{"TableList", 0, "StorageDescriptor", "Columns", 0, "Name"}, "symbol"},
		{[]any{"TableList", 0, "StorageDescriptor", "Columns", 0, "Comment"}, "ticker"},
		{[]any{"TableList", 0, "StorageDescriptor", "Columns", 1, "Type"}, "double"},
		{[]any{"TableList", 0, "StorageDescriptor", "InputFormat"}, "org.apache.hadoop.mapred.TextInputFormat"},
		{[]any{"TableList", 0, "StorageDescriptor", "OutputFormat"}, "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"},
		{[]any{"TableList", 0, "StorageDescriptor", "SerdeInfo", "SerializationLibrary"}, "org.openx.data.jsonserde.JsonSerDe"},
		{[]any{"TableList", 0, "StorageDescriptor", "Parameters", "classification"}, "json"},
		{[]any{"NextToken"}, nil},
	} {
		if got := jsonAt(r.Body, c.path...); got != c.want {
			t.Errorf("%v = %#v, want %#v", c.path, got, c.want)
		}
	}
	// Timestamps are epoch seconds, as numbers.
	if u, ok := jsonAt(r.Body, "TableList", 0, "UpdateTime").(float64); !ok || time.Since(time.Unix(int64(u), 0)) > time.Hour {
		t.Errorf("UpdateTime = %#v, want epoch seconds of about now", jsonAt(r.Body, "TableList", 0, "UpdateTime"))
	}
}

func TestGlueErrors(t *testing.T) {
	ctx := t.Context()
	url, cat := startGlue(t, nil)
	if err := cat.CreateDatabase(ctx, "db"); err != nil {
		t.Fatal(err)
	}
	tbl := catalog.NewTable("db", "t", "s3://b/t/", catalog.FormatJSON)
	tbl.PartitionKeys = []catalog.Column{{Name: "dt", Type: catalog.TypeString}}
	if err := cat.PutTable(ctx, tbl); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, op, body string
		status         int
		typ, msg       string
	}{
		{"missing table", "GetTable", `{"DatabaseName":"db","Name":"nope"}`, 400, "EntityNotFoundException", "Table nope not found in database db"},
		{"missing database", "GetTable", `{"DatabaseName":"nodb","Name":"t"}`, 400, "EntityNotFoundException", "Database nodb not found"},
		{"GetTables of missing database", "GetTables", `{"DatabaseName":"nodb"}`, 400, "EntityNotFoundException", "Database nodb not found"},
		{"GetDatabase missing", "GetDatabase", `{"Name":"nodb"}`, 400, "EntityNotFoundException", "Database nodb not found"},
		{"database exists", "CreateDatabase", `{"DatabaseInput":{"Name":"db"}}`, 400, "AlreadyExistsException", "Database db already exists"},
		{"table exists", "CreateTable", `{"DatabaseName":"db","TableInput":{"Name":"t"}}`, 400, "AlreadyExistsException", "Table t already exists in database db"},
		{"update missing table", "UpdateTable", `{"DatabaseName":"db","TableInput":{"Name":"nope"}}`, 400, "EntityNotFoundException", "Table nope not found in database db"},
		{"create in missing database", "CreateTable", `{"DatabaseName":"nodb","TableInput":{"Name":"t"}}`, 400, "EntityNotFoundException", "Database nodb not found"},
		{"delete missing table", "DeleteTable", `{"DatabaseName":"db","Name":"nope"}`, 400, "EntityNotFoundException", "Table nope not found in database db"},
		{"delete missing database", "DeleteDatabase", `{"Name":"nodb"}`, 400, "EntityNotFoundException", "Database nodb not found"},
		{"bad partition filter", "GetPartitions", `{"DatabaseName":"db","TableName":"t","Expression":"day='x'"}`, 400, "InvalidInputException", `Expression "day='x'": day is not a partition key of the table`},
		{"page size", "GetTables", `{"DatabaseName":"db","MaxResults":101}`, 400, "ValidationException", "MaxResults 101 is not between 1 and 100"},
		{"bad token", "GetTables", `{"DatabaseName":"db","NextToken":"%%%"}`, 400, "InvalidInputException", "NextToken is not one this service returned"},
		{"missing name", "GetTable", `{"DatabaseName":"db"}`, 400, "InvalidInputException", "Name is required"},
		{"malformed", "GetTable", `{"DatabaseName":`, 400, "SerializationException", "malformed request body: unexpected end of JSON input"},
		{"unknown operation", "GetJobs", `{}`, 400, "UnknownOperationException", "Glue operation GetJobs is not emulated"},
		{"long database name", "CreateDatabase", `{"DatabaseInput":{"Name":"` + strings.Repeat("d", 256) + `"}}`, 400, "ValidationException",
			"1 validation error detected: Value at 'databaseInput.name' failed to satisfy constraint: Member must have length less than or equal to 255"},
		{"two-line table name", "CreateTable", `{"DatabaseName":"db","TableInput":{"Name":"a\nb"}}`, 400, "ValidationException",
			`1 validation error detected: Value at 'tableInput.name' failed to satisfy constraint: Member must satisfy regular expression pattern: [\u0020-\uD7FF\uE000-\uFFFD\uD800\uDC00-\uDBFF\uDFFF\t]*`},
		{"long table name", "GetTable", `{"DatabaseName":"db","Name":"` + strings.Repeat("t", 256) + `"}`, 400, "ValidationException",
			"1 validation error detected: Value at 'name' failed to satisfy constraint: Member must have length less than or equal to 255"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := postGlue(t, url, tc.op, tc.body)
			if r.Status != tc.status || r.errType() != tc.typ || r.Body["Message"] != tc.msg {
				t.Fatalf("%s = %d %v, want %d %s %q", tc.op, r.Status, r.Body, tc.status, tc.typ, tc.msg)
			}
			if h := r.Header.Get("X-Amzn-ErrorType"); h != tc.typ {
				t.Errorf("X-Amzn-ErrorType = %q, want %q", h, tc.typ)
			}
		})
	}
}

func TestGlueBatchCreatePartitionReportsEachError(t *testing.T) {
	ctx := t.Context()
	url, cat := startGlue(t, nil)
	if err := cat.CreateDatabase(ctx, "db"); err != nil {
		t.Fatal(err)
	}
	tbl := catalog.NewTable("db", "t", "s3://b/t/", catalog.FormatJSON)
	tbl.PartitionKeys = []catalog.Column{{Name: "dt", Type: catalog.TypeString}}
	if err := cat.PutTable(ctx, tbl); err != nil {
		t.Fatal(err)
	}
	if err := cat.AddPartitions(ctx, "db", "t", []catalog.Partition{{Values: []string{"old"}, Location: "s3://b/t/dt=old/"}}); err != nil {
		t.Fatal(err)
	}
	r := postGlue(t, url, "BatchCreatePartition", `{"DatabaseName":"db","TableName":"t","PartitionInputList":[
		{"Values":["new"],"StorageDescriptor":{"Location":"s3://b/t/dt=new/"}},
		{"Values":["old"],"StorageDescriptor":{"Location":"s3://b/t/moved/"}},
		{"Values":["new"],"StorageDescriptor":{"Location":"s3://b/t/again/"}},
		{"Values":["a","b"]}]}`)
	if r.Status != http.StatusOK {
		t.Fatalf("BatchCreatePartition = %d %v", r.Status, r.Body)
	}
	type perr struct{ values, code string }
	var got []perr
	for i := range 10 {
		if jsonAt(r.Body, "Errors", i) == nil {
			break
		}
		vals, _ := json.Marshal(jsonAt(r.Body, "Errors", i, "PartitionValues"))
		code, _ := jsonAt(r.Body, "Errors", i, "ErrorDetail", "ErrorCode").(string)
		got = append(got, perr{string(vals), code})
	}
	want := []perr{{`["old"]`, "AlreadyExistsException"}, {`["new"]`, "AlreadyExistsException"}, {`["a","b"]`, "InvalidInputException"}}
	if !slices.Equal(got, want) {
		t.Fatalf("Errors = %v, want %v", got, want)
	}
	parts, err := cat.ListPartitions(ctx, "db", "t")
	if err != nil {
		t.Fatal(err)
	}
	if len(parts) != 2 || parts[0].Location != "s3://b/t/dt=new/" || parts[1].Location != "s3://b/t/dt=old/" {
		t.Fatalf("partitions = %v", parts)
	}

	many := `{"DatabaseName":"db","TableName":"t","PartitionInputList":[` + strings.Repeat(`{"Values":["x"]},`, 100) + `{"Values":["y"]}]}`
	if r := postGlue(t, url, "BatchCreatePartition", many); r.errType() != "ValidationException" {
		t.Fatalf("101 partitions: %d %v, want ValidationException", r.Status, r.Body)
	}
}

func TestGlueGetDatabases(t *testing.T) {
	url, _ := startGlue(t, nil)
	for _, db := range []string{"zeta", "alpha", "mid"} {
		if r := postGlue(t, url, "CreateDatabase", `{"DatabaseInput":{"Name":"`+db+`"}}`); r.Status != http.StatusOK {
			t.Fatalf("CreateDatabase %s: %v", db, r.Body)
		}
	}
	var names []string
	token := ""
	for range 10 {
		body := `{"MaxResults":2}`
		if token != "" {
			body = `{"MaxResults":2,"NextToken":"` + token + `"}`
		}
		r := postGlue(t, url, "GetDatabases", body)
		for i := range 2 {
			if n, ok := jsonAt(r.Body, "DatabaseList", i, "Name").(string); ok {
				names = append(names, n)
			}
		}
		token, _ = r.Body["NextToken"].(string)
		if token == "" {
			break
		}
	}
	if want := []string{"alpha", "mid", "zeta"}; !slices.Equal(names, want) {
		t.Fatalf("GetDatabases = %v, want %v", names, want)
	}
}

func TestRouter(t *testing.T) {
	named := func(name string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, `{"to":"`+name+`"}`) })
	}
	rt := Router{S3: named("s3"), Services: Services{Glue: named("glue")}}
	scope := func(svc string) string {
		return "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/" + svc + "/aws4_request, SignedHeaders=host, Signature=00"
	}
	for _, tc := range []struct {
		name, target, auth string
		want               string // handler, or the error type
	}{
		{"glue target", "AWSGlue.GetTables", "", "glue"},
		{"glue target, s3 scope", "AWSGlue.GetTables", scope("s3"), "glue"},
		{"athena target, no athena", "AmazonAthena.StartQueryExecution", scope("athena"), "UnknownOperationException"},
		{"other target", "DynamoDB_20120810.GetItem", "", "UnknownOperationException"},
		{"glue scope", "", scope("glue"), "glue"},
		{"athena scope, no athena", "", scope("athena"), "UnknownOperationException"},
		{"other scope", "", scope("sts"), "UnknownOperationException"},
		{"s3 scope", "", scope("s3"), "s3"},
		{"unsigned", "", "", "s3"},
		{"malformed authorization", "", "AWS4-HMAC-SHA256 Credential=glue", "s3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader("{}"))
			if tc.target != "" {
				req.Header.Set("X-Amz-Target", tc.target)
			}
			if tc.auth != "" {
				req.Header.Set("Authorization", tc.auth)
			}
			rec := httptest.NewRecorder()
			rt.ServeHTTP(rec, req)
			r := decodeReply(t, rec.Code, rec.Header(), rec.Body)
			got := r.errType()
			if got == "" {
				got, _ = r.Body["to"].(string)
			}
			if got != tc.want {
				t.Fatalf("routed to %q (%v), want %q", got, r.Body, tc.want)
			}
		})
	}
}

// TestS3ServerServesS3AndGlue checks that setting services leaves S3 as it
// was on the same port.
func TestS3ServerServesS3AndGlue(t *testing.T) {
	url, _ := startGlue(t, nil)
	s3c := newS3Client(url)
	if _, err := s3c.CreateBucket(t.Context(), &s3.CreateBucketInput{Bucket: new("bkt")}); err != nil {
		t.Fatal(err)
	}
	out, err := s3c.ListBuckets(t.Context(), nil)
	if err != nil || len(out.Buckets) != 1 || *out.Buckets[0].Name != "bkt" {
		t.Fatalf("ListBuckets = %v, %v", out, err)
	}
	if r := postGlue(t, url, "CreateDatabase", `{"DatabaseInput":{"Name":"db"}}`); r.Status != http.StatusOK {
		t.Fatalf("CreateDatabase = %d %v", r.Status, r.Body)
	}
}

// callGlue runs one Glue call in-process (for synctest bubbles).
func callGlue(t *testing.T, g *GlueService, op, body string) awsReply {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
	req.Header.Set("X-Amz-Target", "AWSGlue."+op)
	rec := httptest.NewRecorder()
	g.ServeHTTP(rec, req)
	return decodeReply(t, rec.Code, rec.Header(), rec.Body)
}

func TestGlueCrawler(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fc, err := catalog.OpenFileCatalog(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		type crawl struct{ db, path string }
		var (
			mu      sync.Mutex
			crawled []crawl
		)
		result := make(chan error)     // the next crawl's result
		stopAck := make(chan struct{}) // lets a cancelled crawl return
		g := mustGlue(t, fc, &GlueOptions{Crawl: func(ctx context.Context, db, path string) error {
			mu.Lock()
			crawled = append(crawled, crawl{db, path})
			mu.Unlock()
			select {
			case err := <-result:
				return err
			case <-ctx.Done():
				<-stopAck
				return ctx.Err()
			}
		}})
		defer g.Close()

		expect := func(op, body, wantType string) {
			t.Helper()
			if r := callGlue(t, g, op, body); r.errType() != wantType {
				t.Fatalf("%s %s = %d %v, want %q", op, body, r.Status, r.Body, wantType)
			}
		}
		state := func() (string, any) {
			t.Helper()
			r := callGlue(t, g, "GetCrawler", `{"Name":"ticks"}`)
			s, _ := jsonAt(r.Body, "Crawler", "State").(string)
			return s, jsonAt(r.Body, "Crawler", "LastCrawl")
		}

		expect("CreateCrawler", `{"Name":"ticks","Role":"arn:aws:iam::000000000000:role/crawler","DatabaseName":"stock_market",
			"Targets":{"S3Targets":[{"Path":"s3://b/a/"},{"Path":"s3://b/b/"}],"JdbcTargets":[]}}`, "")
		expect("CreateCrawler", `{"Name":"ticks","Role":"r","Targets":{"S3Targets":[{"Path":"s3://b/a/"}]}}`, "AlreadyExistsException")
		expect("CreateCrawler", `{"Name":"jdbc","Role":"r","Targets":{"JdbcTargets":[{"ConnectionName":"c"}]}}`, "InvalidInputException")
		expect("StartCrawler", `{"Name":"nope"}`, "EntityNotFoundException")
		expect("StopCrawler", `{"Name":"ticks"}`, "CrawlerNotRunningException")
		if s, last := state(); s != "READY" || last != nil {
			t.Fatalf("new crawler: %s %v, want READY and no last crawl", s, last)
		}

		// A crawl that succeeds: every target, in order.
		expect("StartCrawler", `{"Name":"ticks"}`, "")
		synctest.Wait()
		time.Sleep(2 * time.Second)
		r := callGlue(t, g, "GetCrawler", `{"Name":"ticks"}`)
		if s := jsonAt(r.Body, "Crawler", "State"); s != "RUNNING" || jsonAt(r.Body, "Crawler", "CrawlElapsedTime") != 2000.0 {
			t.Fatalf("running crawler: %v", r.Body)
		}
		expect("StartCrawler", `{"Name":"ticks"}`, "CrawlerRunningException")
		result <- nil
		result <- nil
		synctest.Wait()
		if s, last := state(); s != "READY" || jsonAt(last, "Status") != "SUCCEEDED" || jsonAt(last, "StartTime") == nil {
			t.Fatalf("after a crawl: %s %v, want READY, SUCCEEDED", s, last)
		}
		mu.Lock()
		if want := []crawl{{"stock_market", "s3://b/a/"}, {"stock_market", "s3://b/b/"}}; !slices.Equal(crawled, want) {
			t.Fatalf("crawled %v, want %v", crawled, want)
		}
		mu.Unlock()

		// A crawl that fails stops at the failing target.
		expect("StartCrawler", `{"Name":"ticks"}`, "")
		result <- errors.New("bucket b: access denied")
		synctest.Wait()
		if s, last := state(); s != "READY" || jsonAt(last, "Status") != "FAILED" || jsonAt(last, "ErrorMessage") != "s3://b/a/: bucket b: access denied" {
			t.Fatalf("after a failed crawl: %s %v", s, last)
		}

		// A stopped crawl is STOPPING until its function returns.
		expect("StartCrawler", `{"Name":"ticks"}`, "")
		synctest.Wait()
		expect("StopCrawler", `{"Name":"ticks"}`, "")
		synctest.Wait()
		if s, _ := state(); s != "STOPPING" {
			t.Fatalf("stopped crawler: %s, want STOPPING", s)
		}
		expect("StopCrawler", `{"Name":"ticks"}`, "CrawlerStoppingException")
		expect("StartCrawler", `{"Name":"ticks"}`, "CrawlerRunningException")
		stopAck <- struct{}{}
		synctest.Wait()
		if s, last := state(); s != "READY" || jsonAt(last, "Status") != "CANCELLED" {
			t.Fatalf("after stopping: %s %v, want READY, CANCELLED", s, last)
		}

		// Close cancels a running crawl and waits for it.
		expect("StartCrawler", `{"Name":"ticks"}`, "")
		close(stopAck)
		g.Close()
		if s, last := state(); s != "READY" || jsonAt(last, "Status") != "CANCELLED" {
			t.Fatalf("after Close: %s %v, want READY, CANCELLED", s, last)
		}
		expect("StartCrawler", `{"Name":"ticks"}`, "ServiceUnavailableException")
	})
}

func TestGlueCrawlerWithoutCrawlFunc(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fc, err := catalog.OpenFileCatalog(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		g := mustGlue(t, fc, nil)
		defer g.Close()
		callGlue(t, g, "CreateCrawler", `{"Name":"c","Role":"r","Targets":{"S3Targets":[{"Path":"s3://b/"}]}}`)
		if r := callGlue(t, g, "StartCrawler", `{"Name":"c"}`); r.Status != http.StatusOK {
			t.Fatalf("StartCrawler = %v", r.Body)
		}
		synctest.Wait()
		r := callGlue(t, g, "GetCrawler", `{"Name":"c"}`)
		if jsonAt(r.Body, "Crawler", "LastCrawl", "Status") != "FAILED" ||
			jsonAt(r.Body, "Crawler", "LastCrawl", "ErrorMessage") != "the emulated Glue has no crawl function configured (GlueOptions.Crawl)" {
			t.Fatalf("GetCrawler = %v", r.Body)
		}
	})
}

// TestGluePaging pages GetTables and GetPartitions one and two items at a
// time, as the CLI's --max-items does, and expects every item once, in
// order.
func TestGluePaging(t *testing.T) {
	ctx := t.Context()
	url, cat := startGlue(t, nil)
	if err := cat.CreateDatabase(ctx, "db"); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"c", "a", "b"} {
		tbl := catalog.NewTable("db", name, "s3://b/"+name+"/", catalog.FormatJSON)
		tbl.PartitionKeys = []catalog.Column{{Name: "dt", Type: catalog.TypeString}, {Name: "hour", Type: catalog.TypeString}}
		if err := cat.PutTable(ctx, tbl); err != nil {
			t.Fatal(err)
		}
	}
	var parts []catalog.Partition
	for _, v := range [][]string{{"2026-01-02", "00"}, {"2026-01-01", "10"}, {"2026-01-01", "09"}, {"2026-01-01", "1"}, {"2026-01-03", "00"}} {
		parts = append(parts, catalog.Partition{Values: v, Location: "s3://b/a/" + v[0] + "/" + v[1] + "/"})
	}
	if err := cat.AddPartitions(ctx, "db", "a", parts); err != nil {
		t.Fatal(err)
	}
	// pages calls op until there is no NextToken and returns what key
	// gives for each item of list.
	pages := func(op, body, list string, key func(any) string) []string {
		t.Helper()
		var out []string
		token := ""
		for range 20 {
			b := body
			if token != "" {
				b = strings.TrimSuffix(body, "}") + `,"NextToken":"` + token + `"}`
			}
			r := postGlue(t, url, op, b)
			if r.Status != http.StatusOK {
				t.Fatalf("%s %s = %d %v", op, b, r.Status, r.Body)
			}
			items, _ := r.Body[list].([]any)
			for _, it := range items {
				out = append(out, key(it))
			}
			if token, _ = r.Body["NextToken"].(string); token == "" {
				return out
			}
		}
		t.Fatalf("%s: no last page", op)
		return nil
	}
	tableName := func(v any) string { s, _ := jsonAt(v, "Name").(string); return s }
	partValues := func(v any) string {
		b, _ := json.Marshal(jsonAt(v, "Values"))
		return string(b) + " " + jsonAt(v, "StorageDescriptor", "Location").(string)
	}
	if got, want := pages("GetTables", `{"DatabaseName":"db","MaxResults":1}`, "TableList", tableName), []string{"a", "b", "c"}; !slices.Equal(got, want) {
		t.Errorf("GetTables pages = %v, want %v", got, want)
	}
	// Expression is the Hive metastore's pattern: | alternatives, * any
	// run, case-insensitive, over the whole name.
	for expr, want := range map[string][]string{"a|c": {"a", "c"}, "A|*C": {"a", "c"}, "*": {"a", "b", "c"}, " b* ": {"b"}, "[ab]": {"a", "b"}, "x*": nil} {
		b, _ := json.Marshal(map[string]string{"DatabaseName": "db", "Expression": expr})
		if got := pages("GetTables", string(b), "TableList", tableName); !slices.Equal(got, want) {
			t.Errorf("GetTables with Expression %q = %v, want %v", expr, got, want)
		}
	}
	want := []string{
		`["2026-01-01","09"] s3://b/a/2026-01-01/09/`,
		`["2026-01-01","1"] s3://b/a/2026-01-01/1/`,
		`["2026-01-01","10"] s3://b/a/2026-01-01/10/`,
		`["2026-01-02","00"] s3://b/a/2026-01-02/00/`,
		`["2026-01-03","00"] s3://b/a/2026-01-03/00/`,
	}
	for _, n := range []string{"1", "2", "1000"} {
		if got := pages("GetPartitions", `{"DatabaseName":"db","TableName":"a","MaxResults":`+n+`}`, "Partitions", partValues); !slices.Equal(got, want) {
			t.Errorf("GetPartitions MaxResults %s pages = %v\nwant %v", n, got, want)
		}
	}
	if got := pages("GetPartitions", `{"DatabaseName":"db","TableName":"a","Segment":{"SegmentNumber":1,"TotalSegments":2}}`, "Partitions", partValues); len(got) != 0 {
		t.Errorf("GetPartitions segment 1 of 2 = %v, want none (segment 0 has them all)", got)
	}
}

// TestGlueFoldsNames: Glue keeps database and table names in lower case,
// so any spelling finds them and GL and gl are one database.
func TestGlueFoldsNames(t *testing.T) {
	url, _ := startGlue(t, nil)
	if r := postGlue(t, url, "CreateDatabase", `{"DatabaseInput":{"Name":"GL"}}`); r.Status != 200 {
		t.Fatalf("CreateDatabase GL: %d %v", r.Status, r.Body)
	}
	if r := postGlue(t, url, "CreateDatabase", `{"DatabaseInput":{"Name":"gl"}}`); r.errType() != "AlreadyExistsException" {
		t.Fatalf("CreateDatabase gl after GL: %d %v, want AlreadyExistsException", r.Status, r.Body)
	}
	if r := postGlue(t, url, "CreateTable", `{"DatabaseName":"Gl","TableInput":{"Name":"Upper_Case","StorageDescriptor":{"Columns":[{"Name":"Id","Type":"int"}]}}}`); r.Status != 200 {
		t.Fatalf("CreateTable: %d %v", r.Status, r.Body)
	}
	r := postGlue(t, url, "GetTable", `{"DatabaseName":"gL","Name":"UPPER_CASE"}`)
	if r.Status != 200 || jsonAt(r.Body, "Table", "Name") != "upper_case" || jsonAt(r.Body, "Table", "DatabaseName") != "gl" {
		t.Fatalf("GetTable: %d %v, want upper_case in gl", r.Status, r.Body)
	}
	if r := postGlue(t, url, "GetDatabases", `{}`); jsonAt(r.Body, "DatabaseList", 0, "Name") != "gl" {
		t.Fatalf("GetDatabases: %v", r.Body)
	}
}
