package emulate

import (
	"compress/gzip"
	"fmt"
	"os"
	"path/filepath"
	"pipeline/catalog"
	"slices"
	"strings"
	"testing"
)

// mustRun runs a statement that must succeed and returns its rows.
func (f *athenaFixture) mustRun(sql string) [][]string {
	f.t.Helper()
	rows, failure := f.run(sql)
	if failure != "" {
		f.t.Fatalf("%s: %s", sql, failure)
	}
	return rows
}

// mustFail runs a statement that must fail with a reason containing want.
func (f *athenaFixture) mustFail(sql, want string) {
	f.t.Helper()
	rows, failure := f.run(sql)
	if !strings.Contains(failure, want) {
		f.t.Fatalf("%s: rows %q, failure %q; want a failure with %q", sql, rows, failure, want)
	}
}

// column returns column i of rows, skipping the first skip rows.
func column(rows [][]string, skip, i int) []string {
	var out []string
	for _, r := range rows[skip:] {
		out = append(out, r[i])
	}
	return out
}

// TestAthenaExternalTableRepairAndPartitions is a user's table made the
// Athena way: CREATE EXTERNAL TABLE over files already in S3, MSCK REPAIR
// TABLE, then partitions added and dropped by hand; the Glue catalog sees
// every step.
func TestAthenaExternalTableRepairAndPartitions(t *testing.T) {
	f := newAthenaFixture(t, nil)
	f.put("lake", "trades/dt=2026-12-06/part-0.json", "{\"symbol\":\"AAPL\",\"price\":1.5,\"qty\":10}\n{\"symbol\":\"MSFT\",\"price\":2.5,\"qty\":20}\n")
	f.put("lake", "trades/dt=2026-12-07/part-0.json", "{\"symbol\":\"AAPL\",\"price\":3.5,\"qty\":30}\n")
	f.put("lake", "trades/dt=2026-12-08/part-1.json", "{\"symbol\":\"KO\",\"price\":4.5,\"qty\":40}\n")
	f.put("lake", "elsewhere/day8/part-2.json", "{\"symbol\":\"KO\",\"price\":5.5,\"qty\":50}\n")
	f.put("lake", "trades/_tmp/junk.json", "{}\n")

	f.mustRun(`CREATE EXTERNAL TABLE IF NOT EXISTS trades (
		symbol string COMMENT 'ticker',
		price double,
		` + "`qty`" + ` bigint)
	COMMENT 'one row a trade'
	PARTITIONED BY (dt string)
	ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe'
	WITH SERDEPROPERTIES ('ignore.malformed.json' = 'true', 'timestamp.formats' = 'yyyy-MM-dd\'T\'HH:mm:ss')
	LOCATION 's3://lake/trades/'
	TBLPROPERTIES ('has_encrypted_data'='false')`)
	tbl, err := f.cat.GetTable(t.Context(), catalog.Database, "trades")
	if err != nil {
		t.Fatal(err)
	}
	if tbl.Format != catalog.FormatJSON || tbl.Description != "one row a trade" || tbl.Columns[0].Comment != "ticker" ||
		tbl.SerDeParameters["timestamp.formats"] != "yyyy-MM-dd'T'HH:mm:ss" || tbl.Parameters["has_encrypted_data"] != "false" {
		t.Fatalf("table in the catalog = %+v", tbl)
	}
	// No partitions registered yet: nothing to read, as in Athena.
	if got := f.mustRun("SELECT count(*) FROM trades"); got[1][0] != "0" {
		t.Fatalf("count before MSCK = %q", got)
	}
	repair := f.mustRun("MSCK REPAIR TABLE trades")
	if !slices.Contains(column(repair, 0, 0), "Repair: Added partition to metastore trades:dt=2026-12-07") || len(repair) != 5 {
		t.Fatalf("MSCK REPAIR TABLE = %q", repair)
	}
	if got := f.mustRun("SELECT count(*), sum(qty) FROM trades"); fmt.Sprint(got[1]) != "[4 100]" {
		t.Fatalf("count, sum after MSCK = %q", got)
	}
	if got := f.mustRun("MSCK REPAIR TABLE trades"); len(got) != 1 || !strings.HasPrefix(got[0][0], "Not a partition") {
		t.Fatalf("MSCK again = %q, want only the junk folder", got)
	}
	parts := f.mustRun("SHOW PARTITIONS trades")
	if want := []string{"dt=2026-12-06", "dt=2026-12-07", "dt=2026-12-08"}; !slices.Equal(column(parts, 0, 0), want) {
		t.Fatalf("SHOW PARTITIONS = %q, want %q", parts, want)
	}

	f.mustRun("ALTER TABLE trades DROP PARTITION (dt = '2026-12-06'), PARTITION (dt='2026-12-08')")
	if got := f.mustRun("SELECT count(*) FROM trades"); got[1][0] != "1" {
		t.Fatalf("count after DROP PARTITION = %q", got)
	}
	f.mustFail("ALTER TABLE trades DROP PARTITION (dt='2026-12-06')", "No partition dt=2026-12-06")
	f.mustRun("ALTER TABLE trades DROP IF EXISTS PARTITION (dt='2026-12-06')")
	f.mustRun("ALTER TABLE trades ADD PARTITION (dt='2026-12-06') LOCATION 's3://lake/trades/dt=2026-12-06/' PARTITION (dt='2026-12-08') LOCATION 's3://lake/elsewhere/day8/'")
	f.mustFail("ALTER TABLE trades ADD PARTITION (dt='2026-12-06')", "ALREADY_EXISTS: Partition already exists")
	f.mustRun("ALTER TABLE trades ADD IF NOT EXISTS PARTITION (dt='2026-12-06')")
	f.mustFail("ALTER TABLE trades ADD PARTITION (day='x')", "day is not a partition key")
	if got := f.mustRun("SELECT dt, count(*) FROM trades GROUP BY dt ORDER BY dt"); fmt.Sprint(got[1:]) != "[[2026-12-06 2] [2026-12-07 1] [2026-12-08 1]]" {
		t.Fatalf("per partition = %q", got)
	}
	// The Glue side of the same catalog.
	ps, err := f.cat.ListPartitions(t.Context(), catalog.Database, "trades")
	if err != nil || len(ps) != 3 || ps[2].Location != "s3://lake/elsewhere/day8/" {
		t.Fatalf("catalog partitions = %v, %v", ps, err)
	}

	// Partition projection is refused where it would change the answer.
	f.mustRun("ALTER TABLE trades SET TBLPROPERTIES ('projection.enabled'='true', 'projection.dt.type'='date')")
	f.mustFail("SELECT count(*) FROM trades", "NOT_SUPPORTED: partition projection (projection.enabled of table stock_market.trades) is not emulated")
	f.mustRun("ALTER TABLE trades SET TBLPROPERTIES ('projection.enabled'='false')")
	if got := f.mustRun("SELECT count(*) FROM trades"); fmt.Sprint(got[1:]) != "[[4]]" {
		t.Fatalf("count after projection.enabled=false = %q", got)
	}

	f.mustRun("ALTER TABLE trades ADD COLUMNS (venue string)")
	f.mustRun("ALTER TABLE trades SET TBLPROPERTIES ('owner'='desk-7')")
	if got := f.mustRun("SHOW COLUMNS IN trades"); fmt.Sprint(column(got, 0, 0)) != "[symbol price qty venue dt]" {
		t.Fatalf("SHOW COLUMNS = %q", got)
	}
	if got := f.mustRun("SHOW TBLPROPERTIES trades ('owner')"); fmt.Sprint(got) != "[[owner desk-7]]" {
		t.Fatalf("SHOW TBLPROPERTIES = %q", got)
	}
	// The table's parameters as Athena's DDL writes them to Glue.
	props := map[string]string{}
	for _, r := range f.mustRun("SHOW TBLPROPERTIES trades") {
		props[r[0]] = r[1]
	}
	if props["EXTERNAL"] != "TRUE" || props["has_encrypted_data"] != "false" || props["owner"] != "desk-7" || props["transient_lastDdlTime"] == "" {
		t.Fatalf("SHOW TBLPROPERTIES trades = %v", props)
	}
	if tbl, err := f.cat.GetTable(t.Context(), catalog.Database, "trades"); err != nil || tbl.Parameters["EXTERNAL"] != "TRUE" {
		t.Fatalf("trades in Glue: %+v, %v", tbl, err)
	}
}

// TestAthenaShowCreateTableRoundTrips: what SHOW CREATE TABLE prints makes
// the same table again, for a table the crawler made and one made by DDL.
func TestAthenaShowCreateTableRoundTrips(t *testing.T) {
	f := newAthenaFixture(t, nil)
	f.mustRun(`CREATE EXTERNAL TABLE csvs (a int, b decimal(10,2), c array<struct<x:int,` + "`y z`" + `:string>>, d map<string,bigint>)
		PARTITIONED BY (year int, month string)
		ROW FORMAT DELIMITED FIELDS TERMINATED BY ',' ESCAPED BY '\\' LINES TERMINATED BY '\n'
		STORED AS TEXTFILE LOCATION 's3://lake/csvs/'`)
	for _, name := range []string{"stock_topic", "csvs"} {
		before, err := f.cat.GetTable(t.Context(), catalog.Database, name)
		if err != nil {
			t.Fatal(err)
		}
		ddl := strings.Join(column(f.mustRun("SHOW CREATE TABLE "+name), 0, 0), "\n")
		f.mustRun("DROP TABLE " + name)
		if _, err := f.cat.GetTable(t.Context(), catalog.Database, name); err == nil {
			t.Fatalf("%s is still there after DROP TABLE", name)
		}
		f.mustRun(ddl)
		after, err := f.cat.GetTable(t.Context(), catalog.Database, name)
		if err != nil {
			t.Fatal(err)
		}
		b, a := *before, *after
		b.UpdatedAt, b.CreatedAt = a.UpdatedAt, a.CreatedAt
		b.Location, a.Location = strings.TrimSuffix(b.Location, "/"), strings.TrimSuffix(a.Location, "/")
		// What the DDL itself writes: EXTERNAL and the time of the CREATE.
		for _, p := range []map[string]string{b.Parameters, a.Parameters} {
			delete(p, "EXTERNAL")
			delete(p, "transient_lastDdlTime")
		}
		if fmt.Sprintf("%+v", b) != fmt.Sprintf("%+v", a) {
			t.Errorf("%s made again from\n%s\nis %+v\nwas %+v", name, ddl, a, b)
		}
	}
	f.put("lake", "csvs/year=2026/month=12/a.csv", "1,2.50,x,y\n")
	f.mustRun("MSCK REPAIR TABLE csvs")
	if got := f.mustRun("SHOW PARTITIONS csvs"); fmt.Sprint(got) != "[[year=2026/month=12]]" {
		t.Fatalf("SHOW PARTITIONS csvs = %q", got)
	}
	// Registered as written; reading it is refused, naming the format.
	f.mustFail("SELECT * FROM csvs", `format "csv" is not readable`)
}

func TestAthenaDatabasesTablesAndViews(t *testing.T) {
	f := newAthenaFixture(t, nil)
	f.addPartition("2026-11-27")
	f.mustRun("CREATE DATABASE sales COMMENT 'orders' LOCATION 's3://lake/sales/' WITH DBPROPERTIES ('team'='a')")
	f.mustFail("CREATE DATABASE sales", "ALREADY_EXISTS")
	f.mustRun("CREATE SCHEMA IF NOT EXISTS sales")
	if got := f.mustRun("SHOW DATABASES"); fmt.Sprint(column(got, 0, 0)) != "[sales stock_market]" {
		t.Fatalf("SHOW DATABASES = %q", got)
	}
	if got := f.mustRun("SHOW SCHEMAS LIKE 'sa*'"); fmt.Sprint(got) != "[[sales]]" {
		t.Fatalf("SHOW SCHEMAS LIKE = %q", got)
	}
	d, err := f.svc.d.GetDatabase(t.Context(), "sales")
	if err != nil || d.Description != "orders" || d.LocationURI != "s3://lake/sales/" || d.Parameters["team"] != "a" {
		t.Fatalf("database sales = %+v, %v", d, err)
	}

	f.mustRun("CREATE VIEW daily AS SELECT symbol, dt, count(*) AS n, 7/2 AS half FROM stock_topic GROUP BY symbol, dt")
	if got := f.mustRun("SELECT * FROM daily ORDER BY dt, symbol"); fmt.Sprint(got) != "[[symbol dt n half] [AAPL 2026-11-26 1 3] [MSFT 2026-11-26 1 3] [AAPL 2026-11-27 1 3]]" {
		t.Fatalf("SELECT from the view = %q", got)
	}
	// A view over a view, aliased.
	f.mustRun("CREATE VIEW busy AS SELECT d.symbol, sum(d.n) AS n FROM daily d GROUP BY d.symbol")
	if got := f.mustRun("SELECT n FROM busy WHERE symbol = 'AAPL'"); got[1][0] != "2" {
		t.Fatalf("view over a view = %q", got)
	}
	// A view's SQL is rewritten as a query's: bare aliases DuckDB reads as keywords, legacy types, Athena's catalog name.
	f.mustRun("CREATE VIEW hourly AS SELECT date_trunc('hour', ts) hour, max(price) value, CAST(ARRAY['1'] AS array<integer>) AS a FROM AwsDataCatalog.stock_market.stock_topic GROUP BY 1")
	if got := f.mustRun("SELECT count(*), max(value), max(cardinality(a)) FROM hourly"); fmt.Sprint(got[1:]) != "[[2 300.25 1]]" {
		t.Fatalf("SELECT from a view of rewritten SQL = %q", got)
	}
	f.mustRun("DROP VIEW hourly")
	f.mustFail("CREATE VIEW daily AS SELECT 1 AS x", "ALREADY_EXISTS: View stock_market.daily already exists")
	f.mustRun("CREATE OR REPLACE VIEW daily AS SELECT symbol, dt, count(*) AS n, 1 AS half FROM stock_topic GROUP BY symbol, dt")
	v, err := f.cat.GetTable(t.Context(), catalog.Database, "daily")
	if err != nil || !v.IsView() || !strings.HasPrefix(v.ViewOriginalText, "/* Presto View: ") || len(v.Columns) != 4 || v.Columns[2].Type != "bigint" {
		t.Fatalf("view in the catalog = %+v, %v", v, err)
	}
	if got := f.mustRun("SHOW VIEWS"); fmt.Sprint(column(got, 0, 0)) != "[busy daily]" {
		t.Fatalf("SHOW VIEWS = %q", got)
	}
	if got := f.mustRun("SHOW TABLES"); fmt.Sprint(column(got, 0, 0)) != "[busy daily stock_topic]" {
		t.Fatalf("SHOW TABLES = %q", got)
	}
	if got := f.mustRun("SHOW CREATE VIEW daily"); !strings.Contains(strings.Join(column(got, 0, 0), "\n"), "1 AS half FROM stock_topic") {
		t.Fatalf("SHOW CREATE VIEW = %q", got)
	}
	f.mustFail("DROP TABLE daily", "is a view: use DROP VIEW")
	f.mustFail("DROP VIEW stock_topic", "is a table, not a view")
	f.mustRun("DROP VIEW busy")
	f.mustRun("DROP VIEW IF EXISTS busy")
	f.mustFail("SELECT * FROM busy", "TABLE_NOT_FOUND")

	f.mustRun("CREATE EXTERNAL TABLE sales.orders (id bigint) STORED AS PARQUET LOCATION 's3://lake/orders/'")
	f.mustFail("DROP DATABASE sales", "Database sales is not empty")
	f.mustRun("DROP DATABASE sales CASCADE")
	f.mustFail("DROP DATABASE sales", "SCHEMA_NOT_FOUND")
	f.mustRun("DROP DATABASE IF EXISTS sales")
	f.mustFail("CREATE EXTERNAL TABLE nodb.t (a int) LOCATION 's3://lake/t/'", "SCHEMA_NOT_FOUND: Schema nodb does not exist")
	f.mustFail("CREATE EXTERNAL TABLE t (a int)", "needs a LOCATION")
	f.mustFail("CREATE EXTERNAL TABLE t (a int) CLUSTERED BY (a) INTO 4 BUCKETS LOCATION 's3://lake/t/'", "CLUSTERED BY")
	f.mustFail("CREATE EXTERNAL TABLE t (a int) LOCATION 's3://lake/t/' TBLPROPERTIES ('table_type'='ICEBERG')", "Iceberg")
	f.mustFail("CREATE EXTERNAL TABLE t (a int, a string) LOCATION 's3://lake/t/'", "column a is named twice")
}

func TestAthenaCTASPartitioned(t *testing.T) {
	f := newAthenaFixture(t, nil)
	f.addPartition("2026-11-27")
	f.mustRun(`CREATE TABLE by_day WITH (format = 'PARQUET', external_location = 's3://lake/by_day/', partitioned_by = ARRAY['dt'])
		AS SELECT symbol, price, dt FROM stock_topic`)
	ctas := f.lastID
	tbl, err := f.cat.GetTable(t.Context(), catalog.Database, "by_day")
	if err != nil || fmt.Sprint(tbl.PartitionKeys) != "[{dt string }]" || len(tbl.Columns) != 2 {
		t.Fatalf("by_day = %+v, %v", tbl, err)
	}
	if got := f.mustRun("SHOW PARTITIONS by_day"); fmt.Sprint(got) != "[[dt=2026-11-26] [dt=2026-11-27]]" {
		t.Fatalf("SHOW PARTITIONS = %q", got)
	}
	if got := f.mustRun("SELECT dt, count(*), sum(price) FROM by_day GROUP BY dt ORDER BY dt"); fmt.Sprint(got[1:]) != "[[2026-11-26 2 401.75] [2026-11-27 1 103.75]]" {
		t.Fatalf("by_day per partition = %q", got)
	}
	for _, dt := range []string{"2026-11-26", "2026-11-27"} {
		if _, err := f.store.StatObject("lake", "by_day/dt="+dt+"/"+ctas+"_0.parquet", ""); err != nil {
			t.Errorf("no object under by_day/dt=%s/: %v", dt, err)
		}
	}
	f.mustFail("CREATE TABLE bad WITH (partitioned_by = ARRAY['symbol']) AS SELECT symbol, price FROM stock_topic",
		"HIVE_COLUMN_ORDER_MISMATCH")
	f.mustFail("CREATE TABLE bad WITH (bucketed_by = ARRAY['symbol'], bucket_count = 2) AS SELECT symbol FROM stock_topic",
		"CTAS property bucket_count is not supported")
}

// TestAthenaDataScanned: DataScannedInBytes is what the query read from the
// tables' files: the JSON files of the partitions it read, of a Parquet
// file the footer and the column chunks it read, nothing for a query of no
// table or DDL.
func TestAthenaDataScanned(t *testing.T) {
	f := newAthenaFixture(t, nil)
	f.addPartition("2026-11-27")
	size := func(key string) float64 {
		o, err := f.store.StatObject("lake", key, "")
		if err != nil {
			t.Fatal(err)
		}
		return float64(o.Size)
	}
	day26, day27 := size("stock_topic/dt=2026-11-26/stock_topic+0+0.json"), size("stock_topic/dt=2026-11-27/stock_topic+0+2.json")
	scanned := func(sql string) float64 {
		t.Helper()
		f.mustRun(sql)
		qe := f.wait(f.lastID)
		n, _ := jsonAt(qe, "Statistics", "DataScannedInBytes").(float64)
		return n
	}
	for _, c := range []struct {
		sql  string
		want float64
	}{
		{"SELECT count(*) FROM stock_topic", day26 + day27},
		{"SELECT count(*) FROM stock_topic WHERE dt = '2026-11-27'", day27},
		{"SELECT 7/2", 0},
		{"SHOW TABLES", 0},
	} {
		if got := scanned(c.sql); got != c.want {
			t.Errorf("%s scanned %v bytes, want %v", c.sql, got, c.want)
		}
	}
	f.mustRun("CREATE TABLE wide WITH (format = 'PARQUET', external_location = 's3://lake/wide/') AS SELECT symbol, price, ts, volume, dt FROM stock_topic")
	ctas := f.lastID
	file := size("wide/" + ctas + "_0.parquet")
	if got := scanned("SELECT sum(price) FROM wide"); got <= 0 || got >= file {
		t.Errorf("one column of a Parquet file of %v bytes: scanned %v, want some but not all", file, got)
	}
	// A count of a Parquet table reads the footers (DuckDB's cache of them
	// does not make it free), and a query reads as much the second time.
	first := scanned("SELECT count(*) FROM wide")
	if first <= 0 || first >= file {
		t.Errorf("count(*) of a Parquet file of %v bytes: scanned %v, want its footer", file, first)
	}
	if again := scanned("SELECT count(*) FROM wide"); again != first {
		t.Errorf("count(*) scanned %v, then %v", first, again)
	}
	all := scanned("SELECT * FROM wide")
	if again := scanned("SELECT * FROM wide"); all <= first || all > file || again != all {
		t.Errorf("SELECT * of a Parquet file of %v bytes: scanned %v, then %v", file, all, again)
	}
	// A partition filter reads only that partition's file.
	f.mustRun("CREATE TABLE parts WITH (external_location = 's3://lake/parts/', partitioned_by = ARRAY['dt']) AS SELECT symbol, price, dt FROM stock_topic")
	ctas = f.lastID
	one := scanned("SELECT count(*) FROM parts WHERE dt = '2026-11-27'")
	both := scanned("SELECT count(*) FROM parts")
	if one <= 0 || one >= both || both > size("parts/dt=2026-11-26/"+ctas+"_0.parquet")+size("parts/dt=2026-11-27/"+ctas+"_0.parquet") {
		t.Errorf("count(*) of one partition scanned %v, of both %v", one, both)
	}
	if none := scanned("SELECT count(*) FROM parts WHERE dt = 'none'"); none != 0 {
		t.Errorf("count(*) of no partition scanned %v", none)
	}
}

// TestAthenaReadsJSONAsOpenXSerDe is a CloudTrail-like table: camelCase
// keys under lower-case columns, a mapped key, a gzipped file and one
// without an extension are read; hidden files (also a key starting with a
// dot, which the store escapes on disk) are not; a file that arrives after
// the first query is seen by the next.
func TestAthenaReadsJSONAsOpenXSerDe(t *testing.T) {
	f := newAthenaFixture(t, nil)
	f.put("lake", "trail/a.json", `{"eventName":"GetObject","Src":"1.2.3.4","userIdentity":{"type":"IAMUser"}}`+"\n")
	var gz strings.Builder
	w := gzip.NewWriter(&gz)
	w.Write([]byte(`{"EVENTNAME":"PutObject"}` + "\n"))
	w.Close()
	f.put("lake", "trail/b.json.gz", gz.String())
	f.put("lake", "trail/firehose-1", `{"eventname":"ListBucket"}`+"\n")
	f.put("lake", "trail/_SUCCESS", `{"eventname":"hidden"}`+"\n")
	f.put("lake", "trail/.x.json", `{"eventname":"hidden"}`+"\n")
	f.mustRun(`CREATE EXTERNAL TABLE trail (eventname string, source_ip string, useridentity struct<type:string>)
	ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe'
	WITH SERDEPROPERTIES ('mapping.source_ip' = 'src')
	LOCATION 's3://lake/trail/'`)
	got := f.mustRun("SELECT eventname, source_ip, useridentity.type FROM trail ORDER BY eventname")
	want := [][]string{{"eventname", "source_ip", "type"}, {"GetObject", "1.2.3.4", "IAMUser"}, {"ListBucket", "NULL", "NULL"}, {"PutObject", "NULL", "NULL"}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("rows %q, want %q", got, want)
	}
	f.put("lake", "trail/c.json", `{"eventName":"Late"}`+"\n")
	if got := f.mustRun("SELECT count(*) FROM trail"); got[1][0] != "4" {
		t.Fatalf("after a file arrived: count %q, want 4", got)
	}
}

// TestAthenaReadsTheStoreLayout: a table reads the objects under its
// location as Athena lists them, whatever the store's file names: a key
// whose last segment, or a folder's, starts with "_" or "." is hidden, a
// folder marker ("a/", which S3 allows to hold bytes) is no data, a file
// the store did not write is no object, and a segment too long for a file
// name (hashed on disk) is read under its key, hidden too when it starts
// with "_", and named by its key in a failure.
func TestAthenaReadsTheStoreLayout(t *testing.T) {
	f := newAthenaFixture(t, nil)
	long := strings.Repeat("l", 300)
	row := func(v string) string { return `{"v":"` + v + `"}` + "\n" }
	f.put("lake", "lay/a/", row("marker"))
	f.put("lake", "lay/a/b.json", row("b"))
	f.put("lake", "lay/a/_x.json", row("hidden _x"))
	f.put("lake", "lay/a/.y.json", row("hidden .y"))
	f.put("lake", "lay/_tmp/c.json", row("hidden folder"))
	f.put("lake", "lay/"+long+".json", row("long file"))
	f.put("lake", "lay/"+long+"/d.json", row("long folder"))
	f.put("lake", "lay/_"+long+".json", row("hidden long file"))
	f.put("lake", "lay/_"+long+"/e.json", row("hidden long folder"))
	f.put("lake", "lay/."+long+".json", row("hidden dot long file"))
	dir, err := f.store.PrefixDir("lake", "lay/a/")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "stray.json"), []byte(row("stray")), 0o644); err != nil {
		t.Fatal(err)
	}
	f.mustRun(`CREATE EXTERNAL TABLE lay (v string) ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe' LOCATION 's3://lake/lay/'`)
	got := f.mustRun("SELECT v FROM lay ORDER BY v")
	want := [][]string{{"v"}, {"b"}, {"long file"}, {"long folder"}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("rows %q, want %q", got, want)
	}
	// DuckDB names the file it failed on; the message names the object.
	f.put("lake", "badlong/"+long+".parquet", "PAR1 this is not parquet")
	f.mustRun("CREATE EXTERNAL TABLE badlong (v string) STORED AS PARQUET LOCATION 's3://lake/badlong/'")
	if _, failure := f.run("SELECT * FROM badlong"); !strings.Contains(failure, "'s3://lake/badlong/"+long+".parquet'") {
		t.Errorf("a bad file with a long name failed with %q, want it named s3://lake/badlong/%s.parquet", failure, long)
	}
}

// TestAthenaDDLFoldsNames: Athena keeps table, database and column names
// in lower case, so DDL finds a table by any spelling; an unknown column
// type is refused.
func TestAthenaDDLFoldsNames(t *testing.T) {
	f := newAthenaFixture(t, nil)
	f.put("lake", "uc/a.json", `{"Id":1}`+"\n")
	f.mustRun("CREATE EXTERNAL TABLE Upper_Case (Id INT) ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe' LOCATION 's3://lake/uc/'")
	if got := f.mustRun("DESCRIBE upper_case"); len(got) != 1 || !strings.HasPrefix(got[0][0], "id") {
		t.Fatalf("DESCRIBE upper_case: %q", got)
	}
	if got := f.mustRun("SELECT id FROM UPPER_case"); fmt.Sprint(got) != "[[id] [1]]" {
		t.Fatalf("SELECT: %q", got)
	}
	f.mustRun("ALTER TABLE UPPER_CASE SET TBLPROPERTIES ('a'='b')")
	f.mustRun("CREATE DATABASE MyDb")
	f.mustRun("CREATE VIEW mydb.MyView AS SELECT 1 AS x")
	f.mustRun("DROP VIEW MYDB.myview")
	f.mustRun("DROP TABLE upper_case")
	f.mustFail("CREATE EXTERNAL TABLE bad (x notatype) LOCATION 's3://lake/uc/'", `INVALID_COLUMN_TYPE: column x: type "notatype"`)
}

// TestAthenaErrorsNameObjects: a failure names the S3 object, not the
// file of the data dir that holds it; a location that is no readable
// folder is refused when the table is made.
func TestAthenaErrorsNameObjects(t *testing.T) {
	f := newAthenaFixture(t, nil)
	f.put("lake", "badp/a b.parquet", "PAR1 this is not parquet")
	f.mustRun("CREATE EXTERNAL TABLE badp (id int) STORED AS PARQUET LOCATION 's3://lake/badp/'")
	_, failure := f.run("SELECT * FROM badp")
	local, err := f.store.ObjectPath("lake", "badp")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(failure, "'s3://lake/badp/a b.parquet'") || strings.Contains(failure, local) {
		t.Errorf("failure %q: want it to name s3://lake/badp/a b.parquet, not a local file", failure)
	}
	// Athena's message starts with its error code, not DuckDB's class.
	if _, failure := f.run("SELECT 1/0"); failure != "DIVISION_BY_ZERO: Division by zero" {
		t.Errorf("SELECT 1/0 failed with %q, want DIVISION_BY_ZERO: Division by zero", failure)
	}
	f.put("lake", "badj/a.json", "{\"id\":1}\n{not json\n")
	f.mustRun("CREATE EXTERNAL TABLE badj (id int) ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe' LOCATION 's3://lake/badj/'")
	if _, failure := f.run("SELECT * FROM badj"); !strings.HasPrefix(failure, "HIVE_CURSOR_ERROR: ") || !strings.Contains(failure, "line 2 of s3://lake/badj/a.json") {
		t.Errorf("a malformed line failed with %q, want HIVE_CURSOR_ERROR naming line 2 of s3://lake/badj/a.json", failure)
	}
	f.mustFail("CREATE EXTERNAL TABLE esc (id int) LOCATION 's3://lake/a/../../b/'", "INVALID_TABLE_PROPERTY: LOCATION")
	f.mustFail("CREATE TABLE c WITH (external_location = 's3://lake/../x/') AS SELECT 1 AS a", "INVALID_TABLE_PROPERTY: external_location")
	f.mustFail("ALTER TABLE badp SET LOCATION 's3://lake//x/'", "INVALID_TABLE_PROPERTY: LOCATION")
}

// TestAthenaCTASNestedTypes: a CTAS keeps array, map, struct and varbinary
// columns as Glue's array<...>, map<...>, struct<...> and binary, written as
// Parquet's nested and binary columns, which the next query reads back as
// such; what Trino's Hive connector cannot store is refused.
func TestAthenaCTASNestedTypes(t *testing.T) {
	f := newAthenaFixture(t, nil)
	f.put("lake", "ev/a.json", `{"id":1,"tags":["x, y","z"],"s":{"a":7,"b":"q"},"m":{"k":1,"l":2}}`+"\n"+
		`{"id":2,"tags":[],"s":null,"m":{}}`+"\n")
	f.mustRun("CREATE EXTERNAL TABLE ev (id int, tags array<string>, s struct<a:int,b:string>, m map<string,int>) " +
		"ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe' LOCATION 's3://lake/ev/'")
	f.mustRun("CREATE TABLE ct12 AS SELECT ARRAY['a','b, c'] arr, MAP(ARRAY['k'],ARRAY[1]) mm, tags, s, m, " +
		"ARRAY[ARRAY[1, 2], ARRAY[3]] nested, to_utf8('a') vb, ARRAY[CAST(1.50 AS decimal(5,2))] decs, id FROM ev")
	tbl, err := f.cat.GetTable(t.Context(), catalog.Database, "ct12")
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, c := range tbl.Columns {
		types = append(types, c.Name+" "+c.Type)
	}
	if got := strings.Join(types, ", "); got != "arr array<string>, mm map<string,int>, tags array<string>, s struct<a:int,b:string>, "+
		"m map<string,int>, nested array<array<int>>, vb binary, decs array<decimal(5,2)>, id int" {
		t.Errorf("ct12's columns: %s", got)
	}
	got := f.mustRun("SELECT arr[2], cardinality(arr), mm['k'], element_at(tags, 1), cardinality(tags), s.a, s.b, element_at(m, 'l'), " +
		"nested[1][2], to_hex(vb), decs[1] FROM ct12 ORDER BY id")
	if fmt.Sprint(got[1:]) != "[[b, c 2 1 x, y 2 7 q 2 2 61 1.50] [b, c 2 1 NULL 0 NULL NULL NULL 2 61 1.50]]" {
		t.Errorf("ct12 read back: %q", got)
	}
	// The tester's query: ROW(1, 'x') has no field names, which Hive cannot store.
	f.mustFail("CREATE TABLE ct13 AS SELECT ARRAY['a','b'] arr, ROW(1,'x') r, tags FROM ev WHERE id=1",
		"NOT_SUPPORTED: Anonymous row type is not supported in Hive")
	f.mustFail("CREATE TABLE ct14 AS SELECT NULL x", "COLUMN_TYPE_UNKNOWN: Column type is unknown: x")
	f.mustFail("CREATE TABLE ct15 AS SELECT current_time t", "NOT_SUPPORTED: Unsupported Hive type: time")
	f.mustFail("CREATE TABLE ct16 WITH (partitioned_by = ARRAY['tags']) AS SELECT id, tags FROM ev", "NOT_SUPPORTED: Unsupported type [array<string>] for partition: tags")
	for _, name := range []string{"ct13", "ct14", "ct15", "ct16"} {
		if _, err := f.cat.GetTable(t.Context(), catalog.Database, name); err == nil {
			t.Errorf("refused CTAS %s registered a table", name)
		}
	}
}

// TestAthenaDDLKeepsQuotedNames: a `quoted name` keeps its spaces and
// quotes, as Glue and Athena keep any UTF-8 name: DESCRIBE, SHOW CREATE
// TABLE and the catalog say `a b`, and the JSON key "a b" is read into it.
func TestAthenaDDLKeepsQuotedNames(t *testing.T) {
	f := newAthenaFixture(t, nil)
	f.put("lake", "sp/a.json", `{"a b":"spaced","ab":"joined","it's":1,"s":{"y z":"in"}}`+"\n")
	f.mustRun("CREATE EXTERNAL TABLE sp (`a b` string, ab string, `it's` int, s struct<`y z`:string>) " +
		"ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe' LOCATION 's3://lake/sp/'")
	tbl, err := f.cat.GetTable(t.Context(), catalog.Database, "sp")
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(tbl.Columns); got != "[{a b string } {ab string } {it's int } {s struct<`y z`:string> }]" {
		t.Errorf("columns %s", got)
	}
	if got := column(f.mustRun("DESCRIBE sp"), 0, 0); fmt.Sprint(got) != "[a b ab it's s]" {
		t.Errorf("DESCRIBE sp: %q", got)
	}
	if got := f.mustRun(`SELECT "a b", ab, "it's", s."y z" FROM sp`); fmt.Sprint(got[1:]) != "[[spaced joined 1 in]]" {
		t.Errorf("sp = %q", got)
	}
	ddl := strings.Join(column(f.mustRun("SHOW CREATE TABLE sp"), 0, 0), "\n")
	if !strings.Contains(ddl, "`a b` string") {
		t.Errorf("SHOW CREATE TABLE sp:\n%s", ddl)
	}
}

// TestAthenaMissingBucket: DDL that puts a table or partition in a bucket
// that does not exist fails as Athena's (Hive's) does, and a query of a
// table whose bucket does not exist (made through Glue, which does not
// check) fails naming the bucket instead of reading no rows.
func TestAthenaMissingBucket(t *testing.T) {
	f := newAthenaFixture(t, nil)
	f.mustFail("CREATE EXTERNAL TABLE nobucket (a string) LOCATION 's3://no-such-bucket/x/'", "The specified bucket does not exist: no-such-bucket")
	if rows, _ := f.run("SHOW TABLES"); slices.ContainsFunc(rows, func(r []string) bool { return slices.Contains(r, "nobucket") }) {
		t.Fatalf("the refused table was created: %q", rows)
	}
	f.mustRun("CREATE EXTERNAL TABLE parted (a string) PARTITIONED BY (dt string) LOCATION 's3://lake/parted/'")
	f.mustFail("ALTER TABLE parted ADD PARTITION (dt='x') LOCATION 's3://no-such-bucket/x/'", "The specified bucket does not exist: no-such-bucket")

	tbl := catalog.NewTable(catalog.Database, "elsewhere", "s3://no-such-bucket/t/", catalog.FormatJSON)
	tbl.Columns = []catalog.Column{{Name: "a", Type: "string"}}
	if err := f.cat.PutTable(t.Context(), tbl); err != nil {
		t.Fatal(err)
	}
	f.mustFail("SELECT count(*) FROM elsewhere", "HIVE_FILESYSTEM_ERROR: The specified bucket does not exist: no-such-bucket")
}

// TestAthenaCTASClaimsItsTableAndFolder: a CTAS writes only into an empty
// folder (a bucket's top too) and a table nobody else makes meanwhile: a
// second CTAS of the same table, or into the same folder or one inside it,
// fails while the first runs, and partition values are printable ASCII.
func TestAthenaCTASClaimsItsTableAndFolder(t *testing.T) {
	f := newAthenaFixture(t, nil)
	for _, loc := range []string{"s3://lake/", "s3://lake"} {
		f.mustFail("CREATE TABLE top WITH (external_location = '"+loc+"') AS SELECT 1 AS x", "HIVE_PATH_ALREADY_EXISTS")
	}
	if err := f.store.CreateBucket("empty"); err != nil {
		t.Fatal(err)
	}
	f.mustRun("CREATE TABLE top WITH (external_location = 's3://empty') AS SELECT 1 AS x")
	if got := f.mustRun("SELECT x FROM top"); fmt.Sprint(got[1:]) != "[[1]]" {
		t.Fatalf("top = %q", got)
	}

	running := ctasTarget{db: catalog.Database, table: "busy", bucket: "lake", prefix: "busy/", location: "s3://lake/busy/"}
	f.svc.ctasBusy = append(f.svc.ctasBusy, running)
	f.mustFail("CREATE TABLE busy WITH (external_location = 's3://lake/other/') AS SELECT 1 AS x", "another CREATE TABLE AS of it is running")
	f.mustFail("CREATE TABLE b2 WITH (external_location = 's3://lake/busy/') AS SELECT 1 AS x", "HIVE_PATH_ALREADY_EXISTS")
	f.mustFail("CREATE TABLE b3 WITH (external_location = 's3://lake/busy/in/') AS SELECT 1 AS x", "HIVE_PATH_ALREADY_EXISTS")
	f.mustRun("CREATE TABLE b4 WITH (external_location = 's3://lake/busy2/') AS SELECT 1 AS x")
	f.svc.releaseCTAS(running)
	if len(f.svc.ctasBusy) != 0 {
		t.Fatalf("claims left after the CTAS ended: %+v", f.svc.ctasBusy)
	}
	f.mustRun("CREATE TABLE busy WITH (external_location = 's3://lake/busy/') AS SELECT 1 AS x")

	f.mustFail(`CREATE TABLE uni WITH (external_location = 's3://lake/uni/', partitioned_by = ARRAY['p']) AS SELECT * FROM (VALUES (1, 'ü %')) t(v, p)`,
		"HIVE_INVALID_PARTITION_VALUE")
	if page, _ := f.store.ListObjects("lake", ListOptions{Prefix: "uni/"}); len(page.Objects) != 0 {
		t.Fatalf("a refused CTAS wrote %v", page.Objects)
	}
}
