package emulate

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"pipeline/catalog"
	"slices"
	"strings"
	"testing"
	"time"
)

// glueOK is postGlue that must succeed.
func glueOK(t *testing.T, url, op, body string) awsReply {
	t.Helper()
	r := postGlue(t, url, op, body)
	if r.Status != http.StatusOK {
		t.Fatalf("%s %s = %d %v", op, body, r.Status, r.Body)
	}
	return r
}

// partitionedTable creates db.t partitioned by (dt string, hour int) with
// the given partitions ("dt/hour").
func partitionedTable(t *testing.T, cat *catalog.Catalog, parts ...string) {
	t.Helper()
	ctx := t.Context()
	if err := cat.CreateDatabase(ctx, "db"); err != nil {
		t.Fatal(err)
	}
	tbl := catalog.NewTable("db", "t", "s3://b/t/", catalog.FormatJSON)
	tbl.Columns = []catalog.Column{{Name: "x", Type: catalog.TypeBigint}}
	tbl.PartitionKeys = []catalog.Column{{Name: "dt", Type: catalog.TypeString}, {Name: "hour", Type: "int"}}
	if err := cat.PutTable(ctx, tbl); err != nil {
		t.Fatal(err)
	}
	var ps []catalog.Partition
	for _, p := range parts {
		dt, hour, _ := strings.Cut(p, "/")
		ps = append(ps, catalog.Partition{Values: []string{dt, hour}, Location: "s3://b/t/dt=" + dt + "/hour=" + hour + "/"})
	}
	if err := cat.AddPartitions(ctx, "db", "t", ps); err != nil {
		t.Fatal(err)
	}
}

// partitionList lists the values of a GetPartitions (or
// BatchGetPartition) reply's partitions as "dt/hour".
func partitionList(r awsReply) []string {
	out := []string{}
	list, _ := r.Body["Partitions"].([]any)
	for _, p := range list {
		vs, _ := jsonAt(p, "Values").([]any)
		var s []string
		for _, v := range vs {
			s = append(s, fmt.Sprint(v))
		}
		out = append(out, strings.Join(s, "/"))
	}
	return out
}

func TestGluePartitionExpression(t *testing.T) {
	url, cat := startGlue(t, nil)
	partitionedTable(t, cat, "2026-12-05/9", "2026-12-05/10", "2026-12-06/1", "2026-12-06/3", "2026-12-06/10", "2027-01-01/0", "__HIVE_DEFAULT_PARTITION__/2")
	get := func(expr string) awsReply {
		b, _ := json.Marshal(map[string]string{"DatabaseName": "db", "TableName": "t", "Expression": expr})
		return postGlue(t, url, "GetPartitions", string(b))
	}
	for _, tc := range []struct {
		expr string
		want []string
	}{
		{"dt='2026-12-06'", []string{"2026-12-06/1", "2026-12-06/10", "2026-12-06/3"}},
		{"dt = '2026-12-06' AND hour > 2", []string{"2026-12-06/10", "2026-12-06/3"}},
		// hour is an int: 10 > 9, where as text "10" < "9".
		{"hour > 9", []string{"2026-12-05/10", "2026-12-06/10"}},
		{"hour >= 9 and hour <= 10", []string{"2026-12-05/10", "2026-12-05/9", "2026-12-06/10"}},
		{"hour IN (1, 3)", []string{"2026-12-06/1", "2026-12-06/3"}},
		{"hour NOT IN (0,1,2,3)", []string{"2026-12-05/10", "2026-12-05/9", "2026-12-06/10"}},
		{"hour BETWEEN 2 AND 9", []string{"2026-12-05/9", "2026-12-06/3", "__HIVE_DEFAULT_PARTITION__/2"}},
		{"dt LIKE '2026-12-%'", []string{"2026-12-05/10", "2026-12-05/9", "2026-12-06/1", "2026-12-06/10", "2026-12-06/3"}},
		{"dt NOT LIKE '2026-1_-0_'", []string{"2027-01-01/0"}},
		{"NOT (dt < '2027-01-01') ", []string{"2027-01-01/0"}},
		{"dt = '2027-01-01' OR (hour = 1)", []string{"2026-12-06/1", "2027-01-01/0"}},
		{"dt <> '2026-12-06' AND hour != 10 AND hour < 5", []string{"2027-01-01/0"}},
		{"dt IS NULL", []string{"__HIVE_DEFAULT_PARTITION__/2"}},
		{"`dt` = '2027-01-01'", []string{"2027-01-01/0"}},
		{"DT = '2027-01-01'", []string{"2027-01-01/0"}},
		{"hour = -1", []string{}},
	} {
		t.Run(tc.expr, func(t *testing.T) {
			r := get(tc.expr)
			if r.Status != http.StatusOK {
				t.Fatalf("GetPartitions = %d %v", r.Status, r.Body)
			}
			if got := partitionList(r); !slices.Equal(got, tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
	for _, tc := range []struct{ expr, msg string }{
		{"region = 'eu'", "region is not a partition key of the table"},
		{"hour = 'ten'", `"ten" is not a valid int`},
		{"dt = ", "expected a partition key or a literal at the end"},
		{"dt = '1' AND", "expected a partition key or a literal at the end"},
		{"dt ~ 'x'", `"~" is not a comparison`},
		{"(dt = 'x'", `expected ")" at the end`},
		{"dt = 'x' dt", `unexpected "dt"`},
	} {
		t.Run("refused "+tc.expr, func(t *testing.T) {
			r := get(tc.expr)
			if r.errType() != "InvalidInputException" || !strings.Contains(r.Body["Message"].(string), tc.msg) {
				t.Fatalf("GetPartitions = %d %v, want InvalidInputException with %q", r.Status, r.Body, tc.msg)
			}
		})
	}
}

// TestGluePartitionExpressionBadValue: a partition whose value is not of
// its key's type is NULL to a filter, as the Hive metastore casts it: it
// is not matched, and the table's other partitions still are.
func TestGluePartitionExpressionBadValue(t *testing.T) {
	url, cat := startGlue(t, nil)
	partitionedTable(t, cat, "2026-12-05/9", "2026-12-05/notanint", "2026-12-06/3")
	for expr, want := range map[string][]string{
		"hour > 2":                      {"2026-12-05/9", "2026-12-06/3"},
		"NOT (hour = 9)":                {"2026-12-06/3"},
		"hour IN (3, 9)":                {"2026-12-05/9", "2026-12-06/3"},
		"dt = '2026-12-05'":             {"2026-12-05/9", "2026-12-05/notanint"},
		"dt = '2026-12-05' OR hour = 3": {"2026-12-05/9", "2026-12-05/notanint", "2026-12-06/3"},
	} {
		b, _ := json.Marshal(map[string]string{"DatabaseName": "db", "TableName": "t", "Expression": expr})
		r := postGlue(t, url, "GetPartitions", string(b))
		if r.Status != http.StatusOK {
			t.Fatalf("%s: GetPartitions = %d %v", expr, r.Status, r.Body)
		}
		if got := partitionList(r); !slices.Equal(got, want) {
			t.Errorf("%s: got %v, want %v", expr, got, want)
		}
	}
}

func TestGluePartitionOperations(t *testing.T) {
	url, cat := startGlue(t, nil)
	partitionedTable(t, cat, "2026-12-05/1", "2026-12-05/2", "2026-12-06/1")
	r := glueOK(t, url, "GetPartition", `{"DatabaseName":"db","TableName":"t","PartitionValues":["2026-12-05","2"]}`)
	if loc := jsonAt(r.Body, "Partition", "StorageDescriptor", "Location"); loc != "s3://b/t/dt=2026-12-05/hour=2/" {
		t.Fatalf("GetPartition location = %v", loc)
	}
	if r := postGlue(t, url, "GetPartition", `{"DatabaseName":"db","TableName":"t","PartitionValues":["2026-12-05","3"]}`); r.errType() != "EntityNotFoundException" {
		t.Fatalf("GetPartition of a missing partition = %d %v", r.Status, r.Body)
	}

	glueOK(t, url, "CreatePartition", `{"DatabaseName":"db","TableName":"t","PartitionInput":{"Values":["2026-12-07","0"],"StorageDescriptor":{"Location":"s3://b/t/x/"}}}`)
	for _, tc := range []struct{ body, typ string }{
		{`{"DatabaseName":"db","TableName":"t","PartitionInput":{"Values":["2026-12-07","0"]}}`, "AlreadyExistsException"},
		{`{"DatabaseName":"db","TableName":"t","PartitionInput":{"Values":["2026-12-07"]}}`, "InvalidInputException"},
		{`{"DatabaseName":"db","TableName":"nope","PartitionInput":{"Values":["a","b"]}}`, "EntityNotFoundException"},
	} {
		if r := postGlue(t, url, "CreatePartition", tc.body); r.errType() != tc.typ {
			t.Errorf("CreatePartition %s = %d %v, want %s", tc.body, r.Status, r.Body, tc.typ)
		}
	}

	r = glueOK(t, url, "BatchGetPartition", `{"DatabaseName":"db","TableName":"t","PartitionsToGet":[
		{"Values":["2026-12-07","0"]},{"Values":["nope","1"]},{"Values":["2026-12-05","1"]}]}`)
	if got, want := partitionList(r), []string{"2026-12-07/0", "2026-12-05/1"}; !slices.Equal(got, want) {
		t.Fatalf("BatchGetPartition = %v, want %v", got, want)
	}

	r = glueOK(t, url, "BatchDeletePartition", `{"DatabaseName":"db","TableName":"t","PartitionsToDelete":[
		{"Values":["2026-12-05","1"]},{"Values":["nope","1"]},{"Values":["2026-12-05","1"]}]}`)
	if n := len(r.Body["Errors"].([]any)); n != 2 || jsonAt(r.Body, "Errors", 0, "ErrorDetail", "ErrorCode") != "EntityNotFoundException" {
		t.Fatalf("BatchDeletePartition errors = %v, want the missing one and the repeat", r.Body)
	}
	glueOK(t, url, "DeletePartition", `{"DatabaseName":"db","TableName":"t","PartitionValues":["2026-12-07","0"]}`)
	if r := postGlue(t, url, "DeletePartition", `{"DatabaseName":"db","TableName":"t","PartitionValues":["2026-12-07","0"]}`); r.errType() != "EntityNotFoundException" {
		t.Fatalf("DeletePartition twice = %d %v", r.Status, r.Body)
	}
	parts, err := cat.ListPartitions(t.Context(), "db", "t")
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	for _, p := range parts {
		left = append(left, strings.Join(p.Values, "/"))
	}
	if want := []string{"2026-12-05/2", "2026-12-06/1"}; !slices.Equal(left, want) {
		t.Fatalf("partitions left = %v, want %v", left, want)
	}
	many := `{"DatabaseName":"db","TableName":"t","PartitionsToDelete":[` + strings.Repeat(`{"Values":["a","1"]},`, 25) + `{"Values":["a","1"]}]}`
	if r := postGlue(t, url, "BatchDeletePartition", many); r.errType() != "ValidationException" {
		t.Fatalf("26 partitions: %d %v, want ValidationException", r.Status, r.Body)
	}
}

func TestGlueDatabasesAndTables(t *testing.T) {
	url, cat := startGlue(t, nil)
	before := time.Now().Add(-time.Second)
	glueOK(t, url, "CreateDatabase", `{"DatabaseInput":{"Name":"sales","Description":"orders by day","LocationUri":"s3://b/sales/","Parameters":{"owner":"team-a"}}}`)
	r := glueOK(t, url, "GetDatabase", `{"Name":"sales"}`)
	if d := jsonAt(r.Body, "Database"); jsonAt(d, "Description") != "orders by day" || jsonAt(d, "LocationUri") != "s3://b/sales/" || jsonAt(d, "Parameters", "owner") != "team-a" {
		t.Fatalf("GetDatabase = %v", r.Body)
	}
	if ct, _ := jsonAt(r.Body, "Database", "CreateTime").(float64); time.Unix(int64(ct), 0).Before(before.Truncate(time.Second)) || time.Unix(int64(ct), 0).After(time.Now()) {
		t.Fatalf("CreateTime = %v, want about now", jsonAt(r.Body, "Database", "CreateTime"))
	}
	glueOK(t, url, "UpdateDatabase", `{"Name":"sales","DatabaseInput":{"Name":"sales","Description":"orders"}}`)
	if r := glueOK(t, url, "GetDatabase", `{"Name":"sales"}`); jsonAt(r.Body, "Database", "Description") != "orders" {
		t.Fatalf("after UpdateDatabase: %v", r.Body)
	}

	// A database made by another writer of the catalog is listed too.
	if err := cat.CreateDatabase(t.Context(), "made_elsewhere"); err != nil {
		t.Fatal(err)
	}
	r = glueOK(t, url, "GetDatabases", `{}`)
	var names []string
	for _, d := range r.Body["DatabaseList"].([]any) {
		names = append(names, jsonAt(d, "Name").(string))
	}
	if want := []string{"made_elsewhere", "sales"}; !slices.Equal(names, want) {
		t.Fatalf("GetDatabases = %v, want %v", names, want)
	}

	glueOK(t, url, "CreateTable", `{"DatabaseName":"sales","TableInput":{"Name":"orders","Description":"one row an order",
		"StorageDescriptor":{"Columns":[{"Name":"id","Type":"bigint"}],"Location":"s3://b/sales/orders/",
		"InputFormat":"org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
		"SerdeInfo":{"SerializationLibrary":"org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"}}}}`)
	tbl, err := cat.GetTable(t.Context(), "sales", "orders")
	if err != nil {
		t.Fatal(err)
	}
	if tbl.Description != "one row an order" || tbl.Format != catalog.FormatParquet {
		t.Fatalf("table = %+v, want its description and the format its SerDe says", tbl)
	}
	glueOK(t, url, "DeleteTable", `{"DatabaseName":"sales","Name":"orders"}`)
	if r := postGlue(t, url, "GetTable", `{"DatabaseName":"sales","Name":"orders"}`); r.errType() != "EntityNotFoundException" {
		t.Fatalf("GetTable after DeleteTable = %d %v", r.Status, r.Body)
	}
	if r := postGlue(t, url, "DeleteTable", `{"DatabaseName":"sales","Name":"orders"}`); r.errType() != "EntityNotFoundException" {
		t.Fatalf("DeleteTable twice = %d %v", r.Status, r.Body)
	}

	glueOK(t, url, "CreateTable", `{"DatabaseName":"sales","TableInput":{"Name":"again"}}`)
	glueOK(t, url, "DeleteDatabase", `{"Name":"sales"}`)
	for _, tc := range []struct{ op, body string }{
		{"GetDatabase", `{"Name":"sales"}`},
		{"GetTables", `{"DatabaseName":"sales"}`},
		{"GetTable", `{"DatabaseName":"sales","Name":"again"}`},
		{"DeleteDatabase", `{"Name":"sales"}`},
	} {
		if r := postGlue(t, url, tc.op, tc.body); r.errType() != "EntityNotFoundException" {
			t.Errorf("%s after DeleteDatabase = %d %v", tc.op, r.Status, r.Body)
		}
	}
}

func TestGlueTableVersions(t *testing.T) {
	url, _ := startGlue(t, nil)
	glueOK(t, url, "CreateDatabase", `{"DatabaseInput":{"Name":"db"}}`)
	table := func(cols string) string {
		return `{"DatabaseName":"db","TableInput":{"Name":"t","StorageDescriptor":{"Columns":[` + cols + `]}}}`
	}
	glueOK(t, url, "CreateTable", table(`{"Name":"a","Type":"bigint"}`))
	glueOK(t, url, "UpdateTable", table(`{"Name":"a","Type":"double"}`))
	glueOK(t, url, "UpdateTable", table(`{"Name":"a","Type":"double"}`)) // the same again: no new version
	glueOK(t, url, "UpdateTable", table(`{"Name":"a","Type":"double"},{"Name":"b","Type":"string"}`))

	var got []string
	token := ""
	for range 5 {
		body := `{"DatabaseName":"db","TableName":"t","MaxResults":2`
		if token != "" {
			body += `,"NextToken":"` + token + `"`
		}
		r := glueOK(t, url, "GetTableVersions", body+"}")
		for _, v := range r.Body["TableVersions"].([]any) {
			var cols []string
			for _, c := range jsonAt(v, "Table", "StorageDescriptor", "Columns").([]any) {
				cols = append(cols, jsonAt(c, "Name").(string)+" "+jsonAt(c, "Type").(string))
			}
			got = append(got, jsonAt(v, "VersionId").(string)+": "+strings.Join(cols, ", "))
		}
		if token, _ = r.Body["NextToken"].(string); token == "" {
			break
		}
	}
	want := []string{"3: a double, b string", "2: a double", "1: a bigint"}
	if !slices.Equal(got, want) {
		t.Fatalf("GetTableVersions = %v, want %v", got, want)
	}
	if r := glueOK(t, url, "GetTable", `{"DatabaseName":"db","Name":"t"}`); jsonAt(r.Body, "Table", "VersionId") != "3" {
		t.Fatalf("GetTable VersionId = %v, want 3", jsonAt(r.Body, "Table", "VersionId"))
	}
	r := glueOK(t, url, "GetTableVersion", `{"DatabaseName":"db","TableName":"t","VersionId":"1"}`)
	if typ := jsonAt(r.Body, "TableVersion", "Table", "StorageDescriptor", "Columns", 0, "Type"); typ != "bigint" {
		t.Fatalf("GetTableVersion 1 = %v", r.Body)
	}
	if r := postGlue(t, url, "GetTableVersion", `{"DatabaseName":"db","TableName":"t","VersionId":"9"}`); r.errType() != "EntityNotFoundException" {
		t.Fatalf("GetTableVersion 9 = %d %v", r.Status, r.Body)
	}
	// A VersionId is a whole number: another is the caller's error.
	for _, id := range []string{"abc", "-1", "1.5"} {
		if r := postGlue(t, url, "GetTableVersion", `{"DatabaseName":"db","TableName":"t","VersionId":"`+id+`"}`); r.errType() != "InvalidInputException" {
			t.Errorf("GetTableVersion %s = %d %v, want InvalidInputException", id, r.Status, r.Body)
		}
	}

	// SkipArchive replaces the definition without archiving the old one.
	glueOK(t, url, "UpdateTable", `{"DatabaseName":"db","SkipArchive":true,"TableInput":{"Name":"t","StorageDescriptor":{"Columns":[{"Name":"c","Type":"int"}]}}}`)
	r = glueOK(t, url, "GetTableVersions", `{"DatabaseName":"db","TableName":"t"}`)
	if n := len(r.Body["TableVersions"].([]any)); n != 3 || jsonAt(r.Body, "TableVersions", 0, "VersionId") != "3" ||
		jsonAt(r.Body, "TableVersions", 0, "Table", "StorageDescriptor", "Columns", 0, "Name") != "c" {
		t.Errorf("after UpdateTable with SkipArchive: %d versions %v", n, r.Body)
	}
	if r := glueOK(t, url, "GetTable", `{"DatabaseName":"db","Name":"t"}`); jsonAt(r.Body, "Table", "CreateTime") == nil {
		t.Errorf("UpdateTable with SkipArchive lost CreateTime: %v", r.Body)
	}
}

// TestGlueCreateTableKeepsWhatWasGiven: a table created with only a name
// has no TableType and no StorageDescriptor, as in Glue, and one given them
// has them.
func TestGlueCreateTableKeepsWhatWasGiven(t *testing.T) {
	url, _ := startGlue(t, nil)
	glueOK(t, url, "CreateDatabase", `{"DatabaseInput":{"Name":"db"}}`)
	glueOK(t, url, "CreateTable", `{"DatabaseName":"db","TableInput":{"Name":"bare"}}`)
	r := glueOK(t, url, "GetTable", `{"DatabaseName":"db","Name":"bare"}`)
	if tt, sd := jsonAt(r.Body, "Table", "TableType"), jsonAt(r.Body, "Table", "StorageDescriptor"); tt != nil || sd != nil {
		t.Errorf("bare table: TableType %v, StorageDescriptor %v", tt, sd)
	}
	glueOK(t, url, "CreateTable", `{"DatabaseName":"db","TableInput":{"Name":"ext","TableType":"EXTERNAL_TABLE","StorageDescriptor":{"Location":"s3://b/x/"}}}`)
	r = glueOK(t, url, "GetTable", `{"DatabaseName":"db","Name":"ext"}`)
	if tt, loc := jsonAt(r.Body, "Table", "TableType"), jsonAt(r.Body, "Table", "StorageDescriptor", "Location"); tt != "EXTERNAL_TABLE" || loc != "s3://b/x/" {
		t.Errorf("ext table: TableType %v, Location %v", tt, loc)
	}
}

// TestGlueCrawlersSurviveRestart lists, gets and deletes crawlers, and
// opens a second service over the same state dir, as a restarted emulator
// does.
func TestGlueCrawlersSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	fc, err := catalog.OpenFileCatalog(filepath.Join(dir, "catalog"))
	if err != nil {
		t.Fatal(err)
	}
	crawled := make(chan struct{}, 1)
	g := mustGlue(t, fc, &GlueOptions{StateDir: filepath.Join(dir, "glue"), Crawl: func(_ context.Context, db, path string) error {
		crawled <- struct{}{}
		return nil
	}})
	for _, name := range []string{"c", "a", "b"} {
		if r := callGlue(t, g, "CreateCrawler", `{"Name":"`+name+`","Role":"r","DatabaseName":"db","Targets":{"S3Targets":[{"Path":"s3://b/`+name+`/"}]}}`); r.Status != http.StatusOK {
			t.Fatalf("CreateCrawler = %v", r.Body)
		}
	}
	callGlue(t, g, "StartCrawler", `{"Name":"a"}`)
	<-crawled
	waitCrawl := func(g *GlueService) awsReply {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			r := callGlue(t, g, "GetCrawler", `{"Name":"a"}`)
			if jsonAt(r.Body, "Crawler", "State") == crawlerReady && jsonAt(r.Body, "Crawler", "LastCrawl") != nil {
				return r
			}
			if time.Now().After(deadline) {
				t.Fatalf("crawler a never finished: %v", r.Body)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	waitCrawl(g)
	if r := callGlue(t, g, "DeleteCrawler", `{"Name":"c"}`); r.Status != http.StatusOK {
		t.Fatalf("DeleteCrawler = %v", r.Body)
	}
	g.Close()

	g2 := mustGlue(t, fc, &GlueOptions{StateDir: filepath.Join(dir, "glue")})
	defer g2.Close()
	r := callGlue(t, g2, "ListCrawlers", `{"MaxResults":1}`)
	names := []any{jsonAt(r.Body, "CrawlerNames", 0)}
	r = callGlue(t, g2, "ListCrawlers", `{"MaxResults":1,"NextToken":"`+r.Body["NextToken"].(string)+`"}`)
	names = append(names, jsonAt(r.Body, "CrawlerNames", 0))
	if fmt.Sprint(names) != "[a b]" || r.Body["NextToken"] != nil {
		t.Fatalf("ListCrawlers after a restart = %v (last page %v), want [a b]", names, r.Body)
	}
	r = callGlue(t, g2, "GetCrawlers", `{}`)
	if jsonAt(r.Body, "Crawlers", 0, "Name") != "a" || jsonAt(r.Body, "Crawlers", 0, "LastCrawl", "Status") != crawlSucceeded ||
		jsonAt(r.Body, "Crawlers", 1, "Targets", "S3Targets", 0, "Path") != "s3://b/b/" || jsonAt(r.Body, "Crawlers", 2) != nil {
		t.Fatalf("GetCrawlers after a restart = %v", r.Body)
	}
	if r := callGlue(t, g2, "DeleteCrawler", `{"Name":"c"}`); r.errType() != "EntityNotFoundException" {
		t.Fatalf("DeleteCrawler of a deleted crawler = %v", r.Body)
	}
}
