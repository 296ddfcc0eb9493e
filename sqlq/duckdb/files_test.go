package duckdb_test

import (
	"bytes"
	"compress/gzip"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"pipeline/catalog"
	"pipeline/sqlq"
	"pipeline/sqlq/duckdb"
)

func gzipped(t *testing.T, s string) string {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(s))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func (f *fixture) remove(key string) {
	f.t.Helper()
	if err := os.Remove(filepath.Join(f.root, bucket, filepath.FromSlash(key))); err != nil {
		f.t.Fatal(err)
	}
}

func failsWith(t *testing.T, e sqlq.Engine, q, want string) {
	t.Helper()
	_, err := e.Query(t.Context(), q)
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("%s: error %v, want one with %q", q, err, want)
	}
}

// TestDuckDBSeesFileChanges: a query sees the files as they are when it
// runs: a table empty at its first query, a partition empty when added, a
// folder that did not exist, a file removed, and a file that failed a
// query and was then deleted. (The engine's views were once kept from
// their first build until some catalog change.)
func TestDuckDBSeesFileChanges(t *testing.T) {
	for _, hiveJSON := range []bool{false, true} {
		t.Run(fmt.Sprintf("HiveJSON=%v", hiveJSON), func(t *testing.T) {
			f := newFixture(t)
			late := catalog.NewTable(catalog.Database, "late", loc("late/"), catalog.FormatJSON)
			late.Columns = cols("id", "int")
			f.put(late)
			parted := catalog.NewTable(catalog.Database, "parted", loc("parted/"), catalog.FormatJSON)
			parted.Columns = cols("id", "int")
			parted.PartitionKeys = cols("dt", "string")
			f.put(parted, catalog.Partition{Values: []string{"a"}, Location: loc("parted/dt=a/")})
			eng := f.open(&duckdb.Options{HiveJSON: hiveJSON})

			assertRows(t, eng, "SELECT count(*) FROM late", [][]any{{int64(0)}})
			assertRows(t, eng, "SELECT count(*) FROM parted", [][]any{{int64(0)}})
			f.write("late/a.json", `{"id":1}`+"\n")
			f.write("parted/dt=a/x.json", `{"id":1}`+"\n"+`{"id":2}`+"\n")
			assertRows(t, eng, "SELECT count(*) FROM late", [][]any{{int64(1)}})
			assertRows(t, eng, "SELECT count(*), sum(id) FROM parted WHERE dt = 'a'", [][]any{{int64(2), int64(3)}})

			f.write("late/sub/deeper/b.json", `{"id":2}`+"\n")
			f.write("late/c.json", `{"id":3}`+"\n")
			assertRows(t, eng, "SELECT sum(id) FROM late", [][]any{{int64(6)}})
			f.remove("late/c.json")
			assertRows(t, eng, "SELECT sum(id) FROM late", [][]any{{int64(3)}})

			f.write("late/bad.json", "{not json\n")
			failsWith(t, eng, "SELECT count(*) FROM late", "bad.json")
			failsWith(t, eng, "SELECT count(*) FROM late WHERE id = 1", "bad.json")
			f.remove("late/bad.json")
			assertRows(t, eng, "SELECT count(*) FROM late WHERE id = 1", [][]any{{int64(1)}})
		})
	}
}

// TestDuckDBReadsFilesAsAthena: a location's files are read by the table's
// format whatever their names (none, .txt, .gz, .json.gz; Parquet without
// .parquet), in sub-folders too; names starting with _ or . (files or
// folders) are hidden.
func TestDuckDBReadsFilesAsAthena(t *testing.T) {
	for _, hiveJSON := range []bool{false, true} {
		t.Run(fmt.Sprintf("HiveJSON=%v", hiveJSON), func(t *testing.T) {
			f := newFixture(t)
			f.write("logs/firehose-1-2026-01-01-00-00-00-abcd", `{"n":1}`+"\n")
			f.write("logs/notes.txt", `{"n":2}`+"\n")
			f.write("logs/2026/01/x.json.gz", gzipped(t, `{"n":4}`+"\n"))
			f.write("logs/2026/02/y.gz", gzipped(t, `{"n":8}`+"\n"))
			f.write("logs/_hidden.json", `{"n":100}`+"\n")
			f.write("logs/.dot.json", `{"n":200}`+"\n")
			f.write("logs/_tmp/z.json", `{"n":300}`+"\n")
			f.write("logs/.spark/z.json", `{"n":400}`+"\n")
			logs := catalog.NewTable(catalog.Database, "logs", loc("logs/"), catalog.FormatJSON)
			logs.Columns = cols("n", "bigint")
			f.put(logs)

			dir := filepath.Join(f.root, bucket, "pq", "sub")
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			w, err := sql.Open("duckdb", "")
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			for i, name := range []string{"part-00000", "_SUCCESS_not_data"} {
				if _, err := w.Exec(fmt.Sprintf("COPY (SELECT %d AS n) TO '%s' (FORMAT parquet)", 10+i, filepath.Join(dir, name))); err != nil {
					t.Fatal(err)
				}
			}
			pq := catalog.NewTable(catalog.Database, "pq", loc("pq/"), catalog.FormatParquet)
			pq.Columns = cols("N", "bigint")
			f.put(pq)

			eng := f.open(&duckdb.Options{HiveJSON: hiveJSON})
			assertRows(t, eng, "SELECT sum(n), count(*) FROM logs", [][]any{{int64(15), int64(4)}})
			assertRows(t, eng, "SELECT sum(n) FROM pq", [][]any{{int64(10)}})
		})
	}
}

// TestDuckDBBadPartition: a partition that cannot be read (its location,
// its value not of its key's type, its number of values) fails the
// queries that read it, with the reason, and no other.
func TestDuckDBBadPartition(t *testing.T) {
	f := newFixture(t)
	f.write("ev/month=1/a.json", `{"v":1}`+"\n")
	f.write("ev/month=2/a.json", `{"v":2}`+"\n")
	ev := catalog.NewTable(catalog.Database, "ev", loc("ev/"), catalog.FormatJSON)
	ev.Columns = cols("v", "bigint")
	ev.PartitionKeys = cols("month", "int")
	f.put(ev,
		catalog.Partition{Values: []string{"1"}, Location: loc("ev/month=1/")},
		catalog.Partition{Values: []string{"2"}, Location: loc("ev/month=2/")},
		catalog.Partition{Values: []string{"3"}, Location: "s3://lake/../../etc/"},
		catalog.Partition{Values: []string{"4"}, Location: "file:///etc/"},
		catalog.Partition{Values: []string{"notanint"}, Location: loc("ev/month=notanint/")},
		catalog.Partition{Values: []string{""}, Location: loc("ev/month=/")},
	)
	eng := f.open(nil)
	assertRows(t, eng, "SELECT sum(v) FROM ev WHERE month IN (1, 2)", [][]any{{int64(3)}})
	assertRows(t, eng, "SELECT sum(v) FROM ev WHERE month = 2", [][]any{{int64(2)}})
	failsWith(t, eng, "SELECT count(*) FROM ev", "partition")
	failsWith(t, eng, "SELECT count(*) FROM ev WHERE month = 3", "partition month=3: location")
	failsWith(t, eng, "SELECT count(*) FROM ev WHERE month = 4", `location "file:///etc/" is not an s3:// URI`)
	// Both 'notanint' and '' read as NULL; which one DuckDB reads first varies.
	failsWith(t, eng, "SELECT count(*) FROM ev WHERE month IS NULL", "HIVE_INVALID_PARTITION_VALUE: Invalid partition value '")
}

// TestDuckDBBrokenTableWithFilter: a table whose view cannot be built
// fails every query that reads it, filtered or not (a filter on its
// columns once made it answer no rows).
func TestDuckDBBrokenTableWithFilter(t *testing.T) {
	f := newFixture(t)
	bad := catalog.NewTable(catalog.Database, "bad", "s3://lake/../x/", catalog.FormatJSON)
	bad.Columns = cols("id", "int", "s", "string")
	f.put(bad)
	weird := catalog.NewTable(catalog.Database, "weird", loc("weird/"), catalog.FormatJSON)
	weird.Columns = cols("id", "notatype")
	f.put(weird)
	eng := f.open(nil)
	for _, q := range []string{"SELECT count(*) FROM bad", "SELECT * FROM bad WHERE id = 1", "SELECT count(*) FROM bad WHERE s IS NULL"} {
		failsWith(t, eng, q, "has an empty, . or .. path segment")
	}
	failsWith(t, eng, "SELECT * FROM weird WHERE id = 'x'", `column id: type "notatype": unknown type notatype`)
}
