package pipeline_test

import (
	"bytes"
	"context"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/parquet-go/parquet-go"

	"pipeline/catalog"
	"pipeline/pipeline"
)

func put(t *testing.T, s3c *s3.Client, key, body string) {
	t.Helper()
	_, err := s3c.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String("test-bucket"), Key: aws.String(key), Body: strings.NewReader(body)})
	if err != nil {
		t.Fatal(err)
	}
}

func TestRecrawlAddsPartitionsAndColumns(t *testing.T) {
	ctx := context.Background()
	_, _, s3c, cat := localStack(t)
	state := t.TempDir() + "/crawl-state.json"
	crawl := func() pipeline.CrawlStats {
		t.Helper()
		st, err := pipeline.Crawl(ctx, s3c, cat, pipeline.CrawlOptions{Bucket: "test-bucket", StateFile: state})
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	put(t, s3c, "ticks/dt=2026-11-25/ticks+0+0000000000.json",
		`{"symbol":"A","ts":"2026-11-25T10:00:00.000Z","seq":0,"price":10}`+"\n")
	put(t, s3c, "_errors/ticks/ticks+0+0000000001.json", `{"reason":"x"}`+"\n")
	put(t, s3c, "notes.txt", "not a table")
	st := crawl()
	if !reflect.DeepEqual(st.Tables, []string{"ticks"}) || st.NewPartitions != 1 || st.Sampled != 1 {
		t.Fatalf("first crawl = %+v", st)
	}
	tbl, err := cat.GetTable(ctx, catalog.Database, "ticks")
	if err != nil {
		t.Fatal(err)
	}
	if c, _ := tbl.Column("price"); c.Type != catalog.TypeBigint {
		t.Fatalf("price = %+v after the first crawl, want bigint", c)
	}

	// New data: another day, a new column, and a price that is not whole.
	put(t, s3c, "ticks/dt=2026-11-26/ticks+0+0000000001.json",
		`{"symbol":"A","ts":"2026-11-26T10:00:00.000Z","seq":1,"price":10.5,"venue":"XNAS"}`+"\n")
	st = crawl()
	if st.NewPartitions != 1 || st.Sampled != 1 || st.Objects != 2 {
		t.Fatalf("second crawl = %+v, want 1 new partition and only the new object sampled", st)
	}
	tbl, err = cat.GetTable(ctx, catalog.Database, "ticks")
	if err != nil {
		t.Fatal(err)
	}
	var cols []string
	for _, c := range tbl.Columns {
		cols = append(cols, c.Name+":"+c.Type)
	}
	want := []string{"symbol:string", "ts:timestamp", "seq:bigint", "price:double", "venue:string"}
	if !reflect.DeepEqual(cols, want) {
		t.Fatalf("columns after re-crawl = %v, want %v", cols, want)
	}
	if len(tbl.PartitionKeys) != 1 || tbl.PartitionKeys[0].Name != "dt" || tbl.Location != "s3://test-bucket/ticks/" {
		t.Fatalf("table = %+v", tbl)
	}
	parts, err := cat.ListPartitions(ctx, catalog.Database, "ticks")
	if err != nil || len(parts) != 2 || parts[1].Location != "s3://test-bucket/ticks/dt=2026-11-26/" {
		t.Fatalf("partitions = %+v, %v", parts, err)
	}

	// Nothing new: nothing sampled, nothing added, nothing lost.
	st = crawl()
	if st.Sampled != 0 || st.NewPartitions != 0 {
		t.Fatalf("idle re-crawl = %+v", st)
	}
	if tbl2, _ := cat.GetTable(ctx, catalog.Database, "ticks"); len(tbl2.Columns) != len(want) {
		t.Fatalf("idle re-crawl changed columns: %+v", tbl2.Columns)
	}
}

// TestCrawlKeepsTablesApart checks that a folder of the same name under
// another prefix is not merged into an existing table: the crawl says so,
// and the table keeps its own partitions.
func TestCrawlKeepsTablesApart(t *testing.T) {
	ctx := context.Background()
	_, _, s3c, cat := localStack(t)
	put(t, s3c, "a/ticks/dt=2026-11-25/ticks+0+0000000000.json", `{"symbol":"A","ts":"2026-11-25T10:00:00.000Z","seq":0}`+"\n")
	put(t, s3c, "b/ticks/dt=2026-11-26/ticks+0+0000000000.json", `{"symbol":"B","ts":"2026-11-26T10:00:00.000Z","seq":0}`+"\n")
	if _, err := pipeline.Crawl(ctx, s3c, cat, pipeline.CrawlOptions{Bucket: "test-bucket", Prefix: "a/"}); err != nil {
		t.Fatal(err)
	}
	_, err := pipeline.Crawl(ctx, s3c, cat, pipeline.CrawlOptions{Bucket: "test-bucket", Prefix: "b/"})
	if err == nil || !strings.Contains(err.Error(), "reads s3://test-bucket/a/ticks/, not s3://test-bucket/b/ticks/") {
		t.Fatalf("crawling b/ticks into a's table: err = %v, want one naming both folders", err)
	}
	parts, err := cat.ListPartitions(ctx, catalog.Database, "ticks")
	if err != nil || len(parts) != 1 || parts[0].Location != "s3://test-bucket/a/ticks/dt=2026-11-25/" {
		t.Fatalf("partitions = %+v, %v; want a's one", parts, err)
	}
}

// TestCrawlCountsRows: a crawl records each table's rows, objects and bytes
// in its parameters, as a Glue crawler does: exact for Parquet (the footer)
// and for JSON-lines objects it reads whole, estimated from the first
// SampleBytes of a larger one, and said to be an estimate. A re-crawl
// remembers what it counted and forgets what was deleted.
func TestCrawlCountsRows(t *testing.T) {
	ctx := context.Background()
	_, _, s3c, cat := localStack(t)
	state := t.TempDir() + "/crawl-state.json"
	crawl := func() pipeline.CrawlStats {
		t.Helper()
		st, err := pipeline.Crawl(ctx, s3c, cat, pipeline.CrawlOptions{Bucket: "test-bucket", StateFile: state})
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	params := func(table string) map[string]string {
		t.Helper()
		tbl, err := cat.GetTable(ctx, catalog.Database, table)
		if err != nil {
			t.Fatal(err)
		}
		return tbl.Parameters
	}
	line := func(i int) string {
		return fmt.Sprintf(`{"symbol":"S%03d","ts":"2026-11-25T10:00:00.000Z","seq":%d,"price":%d.25}`, i%997, i, i) + "\n"
	}
	small := line(0) + line(1) + "\n" + line(2) // a blank line is no row
	put(t, s3c, "ticks/dt=2026-11-25/ticks+0+0000000000.json", small)
	var big strings.Builder
	const bigRows = 40_000
	for i := range bigRows {
		big.WriteString(line(i))
	}
	if big.Len() < 2*pipeline.SampleBytes {
		t.Fatalf("the big object is %d bytes: want more than the sample", big.Len())
	}
	put(t, s3c, "ticks/dt=2026-11-25/ticks+1+0000000000.json", big.String())

	var pq bytes.Buffer
	type row struct {
		Symbol string  `parquet:"symbol"`
		Price  float64 `parquet:"price"`
	}
	rows := make([]row, 1234)
	if err := parquet.Write(&pq, rows); err != nil {
		t.Fatal(err)
	}
	put(t, s3c, "quotes/quotes+0+0000000000.parquet", pq.String())

	crawl()
	p := params("ticks")
	n, _ := strconv.Atoi(p[catalog.ParamRecordCount])
	if want := 3 + bigRows; n < want*98/100 || n > want*102/100 || p[catalog.ParamRowsEstimated] != "true" {
		t.Errorf("ticks: recordCount %s (estimated %q), want about %d and said to be an estimate", p[catalog.ParamRecordCount], p[catalog.ParamRowsEstimated], want)
	}
	if p[catalog.ParamObjectCount] != "2" || p[catalog.ParamSize] != strconv.Itoa(len(small)+big.Len()) {
		t.Errorf("ticks: objectCount %s sizeKey %s, want 2 and %d", p[catalog.ParamObjectCount], p[catalog.ParamSize], len(small)+big.Len())
	}
	if p := params("quotes"); p[catalog.ParamRecordCount] != "1234" || p[catalog.ParamRowsEstimated] != "" || p[catalog.ParamObjectCount] != "1" {
		t.Errorf("quotes: %v, want recordCount 1234, exact, objectCount 1", p)
	}

	// A re-crawl samples nothing and still knows the counts.
	if st := crawl(); st.Sampled != 0 {
		t.Fatalf("idle re-crawl sampled %d objects", st.Sampled)
	}
	if got := params("ticks")[catalog.ParamRecordCount]; got != strconv.Itoa(n) {
		t.Errorf("after an idle re-crawl recordCount is %s, was %d", got, n)
	}

	// The big object goes: what is left is counted exactly.
	if _, err := s3c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("test-bucket"), Key: aws.String("ticks/dt=2026-11-25/ticks+1+0000000000.json")}); err != nil {
		t.Fatal(err)
	}
	crawl()
	if p := params("ticks"); p[catalog.ParamRecordCount] != "3" || p[catalog.ParamRowsEstimated] != "" || p[catalog.ParamObjectCount] != "1" {
		t.Errorf("after deleting the big object: %v, want recordCount 3, exact, objectCount 1", p)
	}
}

// TestCrawlKeepsTypedColumns: the crawler evolves a table as the sink does:
// an object holding a value of another type (from another writer, or from
// before the sink checked types) does not turn a typed column into a string,
// a number widens bigint to double, and a column of only nulls waits for a
// value to say its type.
func TestCrawlKeepsTypedColumns(t *testing.T) {
	ctx := context.Background()
	_, _, s3c, cat := localStack(t)
	crawl := func() []string {
		t.Helper()
		if _, err := pipeline.Crawl(ctx, s3c, cat, pipeline.CrawlOptions{Bucket: "test-bucket"}); err != nil {
			t.Fatal(err)
		}
		tbl, err := cat.GetTable(ctx, catalog.Database, "readings")
		if err != nil {
			t.Fatal(err)
		}
		var cols []string
		for _, c := range tbl.Columns {
			cols = append(cols, c.Name+":"+c.Type)
		}
		return cols
	}
	put(t, s3c, "readings/dt=2026-11-25/readings+0+0000000000.json", `{"id":1,"value":2.5,"n":3,"note":null}`+"\n")
	if got, want := crawl(), []string{"id:bigint", "value:double", "n:bigint"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("columns = %v, want %v", got, want)
	}
	put(t, s3c, "readings/dt=2026-11-26/readings+0+0000000001.json", `{"id":"two","value":"n/a","n":3.5,"note":"now a string"}`+"\n")
	if got, want := crawl(), []string{"id:bigint", "value:double", "n:double", "note:string"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("columns after an object of other types = %v, want %v", got, want)
	}
}
