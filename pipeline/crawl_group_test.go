package pipeline_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"pipeline/catalog"
	"pipeline/pipeline"
)

// tableSummary is a table as a test compares it: location, columns and
// partition keys.
func tableSummary(t *testing.T, cat *catalog.Catalog, name string) string {
	t.Helper()
	tbl, err := cat.GetTable(context.Background(), catalog.Database, name)
	if err != nil {
		t.Fatalf("table %s: %v", name, err)
	}
	var cols, keys []string
	for _, c := range tbl.Columns {
		cols = append(cols, c.Name+" "+c.Type)
	}
	for _, c := range tbl.PartitionKeys {
		keys = append(keys, c.Name)
	}
	return fmt.Sprintf("%s (%s) by (%s)", tbl.Location, strings.Join(cols, ", "), strings.Join(keys, ", "))
}

// TestGroupedCrawlSplitsDissimilarFolders is the Glue crawler on an include
// path whose folders hold different tables: a folder whose files agree is
// one table, its key=value folders partitions; folders of unlike schemas or
// depths are tables of their own, named after them; a file beside folders
// is a table of its own. No file is left out of every table.
func TestGroupedCrawlSplitsDissimilarFolders(t *testing.T) {
	ctx := context.Background()
	_, _, s3c, cat := localStack(t)
	crawl := func(table string) []string {
		t.Helper()
		st, err := pipeline.Crawl(ctx, s3c, cat, pipeline.CrawlOptions{Bucket: "test-bucket", Table: table, Grouped: true})
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(st.Tables)
		return st.Tables
	}
	// The hostile tester's first layout: orders by day, users flat.
	put(t, s3c, "crawl/orders/dt=2024-01-01/a.json", `{"oid":1,"amt":2.5,"who":"x"}`+"\n")
	put(t, s3c, "crawl/orders/dt=2024-01-02/b.json", `{"oid":2,"amt":3,"extra":true}`+"\n")
	put(t, s3c, "crawl/users/u.json", `{"uid":"a","n":1}`+"\n")
	if got := crawl("crawl"); !slices.Equal(got, []string{"orders", "users"}) {
		t.Fatalf("tables of crawl/ = %v, want orders and users", got)
	}
	if got := tableSummary(t, cat, "orders"); got != "s3://test-bucket/crawl/orders/ (oid bigint, amt double, who string, extra boolean) by (dt)" {
		t.Errorf("orders = %s", got)
	}
	if got := tableSummary(t, cat, "users"); got != "s3://test-bucket/crawl/users/ (uid string, n bigint) by ()" {
		t.Errorf("users = %s", got)
	}
	if parts, err := cat.ListPartitions(ctx, catalog.Database, "orders"); err != nil || len(parts) != 2 {
		t.Errorf("orders' partitions = %v, %v", parts, err)
	}

	// The second: two tables of unlike columns, and a file beside them.
	put(t, s3c, "crawl2/a/dt=1/x.json", `{"p":1}`+"\n")
	put(t, s3c, "crawl2/b/dt=1/y.json", `{"q":"s","r":[1,2]}`+"\n")
	put(t, s3c, "crawl2/c.json", `{"top":1}`+"\n")
	if got := crawl("crawl2"); !slices.Equal(got, []string{"a", "b", "c_json"}) {
		t.Fatalf("tables of crawl2/ = %v, want a, b and c_json", got)
	}
	if got := tableSummary(t, cat, "b"); got != "s3://test-bucket/crawl2/b/ (q string, r array<bigint>) by (dt)" {
		t.Errorf("b = %s", got)
	}
	if got := tableSummary(t, cat, "c_json"); got != "s3://test-bucket/crawl2/c.json (top bigint) by ()" {
		t.Errorf("c_json = %s", got)
	}

	// Glue's documented cases: similar folders are partitions of one table
	// named after the include path (partition_0 for plain folders);
	// folders of unlike schemas are tables named after them.
	for _, k := range []string{"folder1/table1/partition1/f.json", "folder1/table1/partition2/f.json", "folder1/table2/partition4/f.json"} {
		put(t, s3c, k, `{"id":1,"name":"x"}`+"\n")
	}
	if got := crawl("folder1"); !slices.Equal(got, []string{"folder1"}) {
		t.Fatalf("tables of folder1/ = %v, want folder1", got)
	}
	if got := tableSummary(t, cat, "folder1"); got != "s3://test-bucket/folder1/ (id bigint, name string) by (partition_0, partition_1)" {
		t.Errorf("folder1 = %s", got)
	}
	put(t, s3c, "table1/year=2017/data1.json", `{"A":1,"B":2}`+"\n")
	put(t, s3c, "table1/year=2018/data2.json", `{"C":3,"D":4}`+"\n")
	if got := crawl("table1"); !slices.Equal(got, []string{"year_2017", "year_2018"}) {
		t.Fatalf("tables of table1/ = %v, want year_2017 and year_2018", got)
	}
	// Most folders alike: the odd one is a partition too, its columns added.
	for i, body := range []string{`{"a":1,"b":2}`, `{"a":1,"b":2}`, `{"a":1,"b":2,"c":3}`, `{"z":1}`} {
		put(t, s3c, fmt.Sprintf("most/dt=%d/f.json", i), body+"\n")
	}
	if got := crawl("most"); !slices.Equal(got, []string{"most"}) {
		t.Fatalf("tables of most/ = %v, want most", got)
	}
	if got := tableSummary(t, cat, "most"); got != "s3://test-bucket/most/ (a bigint, b bigint, c bigint, z bigint) by (dt)" {
		t.Errorf("most = %s", got)
	}

	// The sink's own layout stays one table, a later column and all.
	put(t, s3c, "ticks/dt=2026-11-25/t+0+0.json", `{"symbol":"A","price":1}`+"\n")
	put(t, s3c, "ticks/dt=2026-11-26/t+0+1.json", `{"symbol":"A","price":1.5,"venue":"X","seq":3,"bid":1,"ask":2}`+"\n")
	if got := crawl("ticks"); !slices.Equal(got, []string{"ticks"}) {
		t.Fatalf("tables of ticks/ = %v, want ticks", got)
	}
}

// TestCrawlS3ErrorIsOneLine: a crawl of a bucket that does not exist says
// so in S3's words, naming the location, without the SDK's request ids.
func TestCrawlS3ErrorIsOneLine(t *testing.T) {
	_, _, s3c, cat := localStack(t)
	for _, opts := range []pipeline.CrawlOptions{{Bucket: "nosuchbkt", Table: "x", Grouped: true}, {Bucket: "nosuchbkt"}} {
		_, err := pipeline.Crawl(context.Background(), s3c, cat, opts)
		want := "crawl: The specified bucket does not exist: s3://nosuchbkt/" + opts.Table
		if opts.Table != "" {
			want += "/"
		}
		if err == nil || err.Error() != want {
			t.Errorf("crawl %+v: %v, want %q", opts, err, want)
		}
	}
}
