package duckdb_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"

	"pipeline/catalog"
	"pipeline/sqlq"
	"pipeline/sqlq/duckdb"
)

// memCatalog is an in-memory catalog.Driver.
type memCatalog struct {
	mu     sync.Mutex
	dbs    map[string]bool
	tables map[string]*catalog.Table
	parts  map[string][]catalog.Partition
}

func newMemCatalog() *memCatalog {
	return &memCatalog{dbs: map[string]bool{}, tables: map[string]*catalog.Table{}, parts: map[string][]catalog.Partition{}}
}

func (m *memCatalog) CreateDatabase(_ context.Context, name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.dbs[name] = true
	return nil
}

func (m *memCatalog) GetTable(_ context.Context, db, name string) (*catalog.Table, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	t, ok := m.tables[db+"."+name]
	if !ok {
		return nil, fmt.Errorf("table %s.%s: %w", db, name, catalog.ErrNotFound)
	}
	c := *t
	return &c, nil
}

func (m *memCatalog) ListTables(_ context.Context, db string) ([]*catalog.Table, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.dbs[db] {
		return nil, fmt.Errorf("database %s: %w", db, catalog.ErrNotFound)
	}
	var ts []*catalog.Table
	for _, t := range m.tables {
		if t.Database == db {
			c := *t
			ts = append(ts, &c)
		}
	}
	slices.SortFunc(ts, func(a, b *catalog.Table) int { return strings.Compare(a.Name, b.Name) })
	return ts, nil
}

func (m *memCatalog) PutTable(_ context.Context, t *catalog.Table) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.dbs[t.Database] {
		return fmt.Errorf("database %s: %w", t.Database, catalog.ErrNotFound)
	}
	c := *t
	m.tables[t.Database+"."+t.Name] = &c
	return nil
}

func (m *memCatalog) AddPartitions(_ context.Context, db, table string, parts []catalog.Partition) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := db + "." + table
	for _, p := range parts {
		if !slices.ContainsFunc(m.parts[k], func(q catalog.Partition) bool { return slices.Equal(p.Values, q.Values) }) {
			m.parts[k] = append(m.parts[k], p)
		}
	}
	slices.SortFunc(m.parts[k], func(a, b catalog.Partition) int { return slices.Compare(a.Values, b.Values) })
	return nil
}

func (m *memCatalog) ListPartitions(_ context.Context, db, table string) ([]catalog.Partition, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.parts[db+"."+table]), nil
}

// fixture is a catalog over table files in a temp dir laid out as the
// emulated S3 keeps them: <root>/<bucket>/<key>.
type fixture struct {
	t    *testing.T
	root string
	cat  *catalog.Catalog
}

const bucket = "lake"

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{t: t, root: filepath.Join(t.TempDir(), "s3"), cat: catalog.New(newMemCatalog())}
	if err := f.cat.CreateDatabase(t.Context(), catalog.Database); err != nil {
		t.Fatal(err)
	}
	return f
}

// localDir joins root, bucket and prefix, refusing to leave root.
func (f *fixture) localDir(bucket, prefix string) (string, error) {
	for _, seg := range append([]string{bucket}, strings.Split(prefix, "/")...) {
		if seg == ".." || strings.ContainsAny(seg, `\`) {
			return "", fmt.Errorf("bad prefix %q", prefix)
		}
	}
	return filepath.Join(f.root, bucket, filepath.FromSlash(prefix)), nil
}

// write writes an object of the bucket.
func (f *fixture) write(key, body string) {
	f.t.Helper()
	p := filepath.Join(f.root, bucket, filepath.FromSlash(key))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		f.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) put(t *catalog.Table, parts ...catalog.Partition) {
	f.t.Helper()
	ctx := f.t.Context()
	if err := f.cat.PutTable(ctx, t); err != nil {
		f.t.Fatal(err)
	}
	if err := f.cat.AddPartitions(ctx, t.Database, t.Name, parts); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) open(opts *duckdb.Options) *duckdb.Engine {
	f.t.Helper()
	if opts == nil {
		opts = &duckdb.Options{}
	}
	if opts.LocalDir == nil {
		opts.LocalDir = f.localDir
	}
	eng, err := duckdb.Open(f.t.Context(), f.cat, opts)
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() {
		if err := eng.Close(); err != nil {
			f.t.Error(err)
		}
	})
	return eng
}

func loc(prefix string) string { return "s3://" + bucket + "/" + prefix }

func cols(nameTypes ...string) []catalog.Column {
	var cs []catalog.Column
	for i := 0; i < len(nameTypes); i += 2 {
		cs = append(cs, catalog.Column{Name: nameTypes[i], Type: nameTypes[i+1]})
	}
	return cs
}

// stockFixture has the stock_topic table as the sink and crawler leave it:
// JSON lines in dt=YYYY-MM-DD folders, five rows in registered partitions.
func stockFixture(t *testing.T) *fixture {
	f := newFixture(t)
	f.write("stock_topic/dt=2026-11-26/stock_topic+0+0.json",
		`{"symbol":"AAPL","ts":"2026-11-26T10:00:00.123Z","seq":0,"price":101.5,"volume":100}
{"symbol":"MSFT","ts":"2026-11-26T10:00:01.000Z","seq":0,"price":300.25,"volume":200}
{"symbol":"AAPL","ts":"2026-11-26T10:00:02.000Z","seq":1,"price":102,"volume":null}
`)
	f.write("stock_topic/dt=2026-11-27/stock_topic+0+3.json",
		`{"symbol":"AAPL","ts":"2026-11-27T09:30:00.000Z","seq":2,"price":103.75,"volume":150}
{"symbol":"GOOG","ts":"2026-11-27T09:30:00.500Z","seq":0,"price":99.5,"volume":50,"extra":"not a column"}
`)
	// Files of no registered partition, and hidden ones: unseen.
	f.write("stock_topic/dt=2026-11-28/stock_topic+0+5.json", `{"symbol":"TSLA","seq":0}`+"\n")
	f.write("stock_topic/dt=2026-11-27/_notes.txt", "not data\n")
	f.write("stock_topic/dt=2026-11-27/.hidden/x.json", "not data\n")

	tbl := catalog.NewTable(catalog.Database, "stock_topic", loc("stock_topic/"), catalog.FormatJSON)
	tbl.Columns = cols("symbol", catalog.TypeString, "ts", catalog.TypeTimestamp, "seq", catalog.TypeBigint,
		"price", catalog.TypeDouble, "volume", catalog.TypeBigint)
	tbl.PartitionKeys = cols("dt", catalog.TypeString)
	f.put(tbl,
		catalog.Partition{Values: []string{"2026-11-26"}, Location: loc("stock_topic/dt=2026-11-26/")},
		catalog.Partition{Values: []string{"2026-11-27"}, Location: loc("stock_topic/dt=2026-11-27/")},
		catalog.Partition{Values: []string{"2026-11-29"}, Location: loc("stock_topic/dt=2026-11-29/")}, // no files
	)
	return f
}

func query(t *testing.T, e sqlq.Engine, q string) *sqlq.Result {
	t.Helper()
	res, err := e.Query(t.Context(), q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return res
}

func assertRows(t *testing.T, e sqlq.Engine, q string, want [][]any) {
	t.Helper()
	res := query(t, e, q)
	if want == nil {
		want = [][]any{}
	}
	if !reflect.DeepEqual(res.Rows, want) {
		t.Errorf("%s:\n got %#v\nwant %#v", q, res.Rows, want)
	}
}

func TestDuckDBStockTopic(t *testing.T) {
	eng := stockFixture(t).open(nil)
	ts := func(s string) time.Time {
		tm, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	tests := []struct {
		name  string
		query string
		want  [][]any
	}{
		{"count", "SELECT count(*) FROM stock_topic", [][]any{{int64(5)}}},
		{"qualified", "SELECT count(*) FROM stock_market.stock_topic", [][]any{{int64(5)}}},
		{"quoted", `SELECT count(*) FROM "stock_market"."stock_topic"`, [][]any{{int64(5)}}},
		{"group by", "SELECT symbol, count(*), sum(volume), max(price) FROM stock_topic GROUP BY symbol ORDER BY symbol",
			[][]any{{"AAPL", int64(3), int64(250), 103.75}, {"GOOG", int64(1), int64(50), 99.5}, {"MSFT", int64(1), int64(200), 300.25}}},
		{"partition column", "SELECT dt, count(*) FROM stock_topic GROUP BY dt ORDER BY dt",
			[][]any{{"2026-11-26", int64(3)}, {"2026-11-27", int64(2)}}},
		{"partition filter", "SELECT symbol, seq FROM stock_topic WHERE dt = '2026-11-27' ORDER BY symbol",
			[][]any{{"AAPL", int64(2)}, {"GOOG", int64(0)}}},
		{"timestamps", "SELECT ts FROM stock_topic WHERE ts >= TIMESTAMP '2026-11-27 09:30:00.5' OR seq = 0 AND symbol = 'AAPL' ORDER BY ts",
			[][]any{{ts("2026-11-26T10:00:00.123Z")}, {ts("2026-11-27T09:30:00.5Z")}}},
		{"null", "SELECT symbol, seq, volume FROM stock_topic WHERE volume IS NULL", [][]any{{"AAPL", int64(1), nil}}},
		{"unknown key ignored", "SELECT count(*) FROM stock_topic WHERE symbol = 'TSLA'", [][]any{{int64(0)}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { assertRows(t, eng, tt.query, tt.want) })
	}

	t.Run("partition pruning", func(t *testing.T) {
		res := query(t, eng, "EXPLAIN SELECT count(*) FROM stock_topic WHERE dt = '2026-11-27'")
		if plan := fmt.Sprint(res.Rows); !strings.Contains(plan, "Scanning Files: 1/2") {
			t.Errorf("the plan reads other partitions' files:\n%s", plan)
		}
	})
	t.Run("columns", func(t *testing.T) {
		res := query(t, eng, "SELECT * FROM stock_topic LIMIT 1")
		want := []sqlq.Column{{Name: "symbol", Type: "varchar"}, {Name: "ts", Type: "timestamp"}, {Name: "seq", Type: "bigint"},
			{Name: "price", Type: "double"}, {Name: "volume", Type: "bigint"}, {Name: "dt", Type: "varchar"}}
		if !reflect.DeepEqual(res.Columns, want) {
			t.Errorf("columns %v, want %v", res.Columns, want)
		}
	})
}

func TestDuckDBQueryErrors(t *testing.T) {
	eng := stockFixture(t).open(nil)
	tests := []struct {
		name, query, want string // want: the error's exact text, or its prefix ending in "..."
	}{
		{"unknown column", "SELECT foo FROM stock_topic",
			`query failed: Binder Error: Referenced column "foo" not found in FROM clause! Candidate bindings: ...`},
		{"syntax", "SELEC 1", `query failed: Parser Error: syntax error at or near "SELEC"`},
		{"unknown table", "SELECT * FROM nosuch", `query failed: Catalog Error: Table with name nosuch does not exist! ...`},
		{"bad cast", "SELECT CAST(symbol AS BIGINT) FROM stock_topic", `query failed: Conversion Error: Could not convert string 'AAPL' to INT64...`},
		{"empty", "  ", "query failed: empty query"},
		{"bigint overflow", "SELECT sum(x) AS total FROM (VALUES (9223372036854775807::BIGINT), (1)) v(x)",
			`query failed: 9223372036854775808 in column "total" does not fit in a bigint (Athena fails the same way): CAST it to DECIMAL(38,0) or DOUBLE`},
		{"hugeint", "SELECT 170141183460469231731687303715884105727::HUGEINT AS h",
			`query failed: 170141183460469231731687303715884105727 in column "h" does not fit in a bigint...`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := eng.Query(t.Context(), tt.query)
			if err == nil {
				t.Fatal("no error")
			}
			var qe *sqlq.QueryError
			if !errors.Is(err, sqlq.ErrQuery) || !errors.As(err, &qe) {
				t.Errorf("%v (%T) is not a query error", err, err)
			}
			msg := err.Error()
			if strings.Contains(msg, "\n") {
				t.Errorf("error on several lines: %q", msg)
			}
			if prefix, ok := strings.CutSuffix(tt.want, "..."); ok {
				if !strings.HasPrefix(msg, prefix) {
					t.Errorf("error %q, want it to start %q", msg, prefix)
				}
			} else if msg != tt.want {
				t.Errorf("error %q, want %q", msg, tt.want)
			}
		})
	}
}

// TestDuckDBHostileNames: names and locations from the catalog are quoted,
// never spliced into SQL.
func TestDuckDBHostileNames(t *testing.T) {
	f := stockFixture(t)
	f.write("we'ird/\"x\"/data.json", `{"a\"b":"v1","x; DROP VIEW stock_topic; --":7,"it's":1.5,"k'":"from file"}`+"\n")
	tbl := catalog.NewTable(catalog.Database, `odd"table`, loc(`we'ird/`), catalog.FormatJSON)
	tbl.Columns = cols(`a"b`, "string", "x; DROP VIEW stock_topic; --", "bigint", "it's", "double")
	tbl.PartitionKeys = cols("k'", "string")
	f.put(tbl, catalog.Partition{Values: []string{`"x"`}, Location: loc(`we'ird/"x"/`)})
	eng := f.open(nil)

	res := query(t, eng, `SELECT * FROM "odd""table"`)
	wantCols := []sqlq.Column{{Name: `a"b`, Type: "varchar"}, {Name: "x; DROP VIEW stock_topic; --", Type: "bigint"}, {Name: "it's", Type: "double"}, {Name: "k'", Type: "varchar"}}
	if !reflect.DeepEqual(res.Columns, wantCols) {
		t.Errorf("columns %v, want %v", res.Columns, wantCols)
	}
	// The partition value is the catalog's, not a file's key.
	want := [][]any{{"v1", int64(7), 1.5, `"x"`}}
	if !reflect.DeepEqual(res.Rows, want) {
		t.Errorf("rows %#v, want %#v", res.Rows, want)
	}
	assertRows(t, eng, "SELECT count(*) FROM stock_topic", [][]any{{int64(5)}})
}

func TestDuckDBEmptyTables(t *testing.T) {
	f := newFixture(t)
	f.write("plain/_ignored.csv", "a,b\n")
	plain := catalog.NewTable(catalog.Database, "plain", loc("plain/"), catalog.FormatJSON)
	plain.Columns = cols("symbol", "string", "n", "bigint")
	f.put(plain)
	nodir := catalog.NewTable(catalog.Database, "nodir", loc("never/written/"), catalog.FormatParquet)
	nodir.Columns = cols("symbol", "string")
	f.put(nodir)
	parted := catalog.NewTable(catalog.Database, "parted", loc("parted/"), catalog.FormatJSON)
	parted.Columns = cols("ts", "timestamp")
	parted.PartitionKeys = cols("dt", "date")
	f.put(parted)
	eng := f.open(nil)

	tests := []struct {
		table string
		want  []sqlq.Column
	}{
		{"plain", []sqlq.Column{{Name: "symbol", Type: "varchar"}, {Name: "n", Type: "bigint"}}},
		{"nodir", []sqlq.Column{{Name: "symbol", Type: "varchar"}}},
		{"parted", []sqlq.Column{{Name: "ts", Type: "timestamp"}, {Name: "dt", Type: "date"}}},
	}
	for _, tt := range tests {
		t.Run(tt.table, func(t *testing.T) {
			res := query(t, eng, "SELECT * FROM "+tt.table)
			if len(res.Rows) != 0 || !reflect.DeepEqual(res.Columns, tt.want) {
				t.Errorf("%v with %d rows, want %v and none", res.Columns, len(res.Rows), tt.want)
			}
		})
	}
}

func TestDuckDBNoDatabaseYet(t *testing.T) {
	cat := catalog.New(newMemCatalog())
	eng, err := duckdb.Open(t.Context(), cat, &duckdb.Options{LocalDir: func(b, p string) (string, error) { return "", errors.New("unused") }})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	assertRows(t, eng, "SELECT 40 + 2", [][]any{{int64(42)}})
	if _, err := eng.Query(t.Context(), "SELECT * FROM stock_topic"); !errors.Is(err, sqlq.ErrQuery) {
		t.Errorf("query of a missing table: %v, want a query error", err)
	}
}

// TestDuckDBParquet reads Parquet files written by DuckDB itself, Hive
// partitioned by a date, with a column stored narrower than the catalog
// says and one the files lack.
func TestDuckDBParquet(t *testing.T) {
	f := newFixture(t)
	w, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	for i, day := range []string{"2026-11-26", "2026-11-27"} {
		dir := filepath.Join(f.root, bucket, "quotes", "dt="+day)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		q := fmt.Sprintf(`COPY (SELECT * FROM (VALUES ('AAPL', 1.5 + %d, %d::INTEGER), ('MSFT', 2.25, NULL)) v(symbol, price, n))
			TO '%s' (FORMAT parquet)`, i, i+10, filepath.Join(dir, "part-0.parquet"))
		if _, err := w.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	tbl := catalog.NewTable(catalog.Database, "quotes", loc("quotes/"), catalog.FormatParquet)
	tbl.Columns = cols("symbol", "string", "price", "double", "n", "bigint", "venue", "string")
	tbl.PartitionKeys = cols("dt", "date")
	f.put(tbl,
		catalog.Partition{Values: []string{"2026-11-26"}, Location: loc("quotes/dt=2026-11-26/")},
		catalog.Partition{Values: []string{"2026-11-27"}, Location: loc("quotes/dt=2026-11-27/")})
	eng := f.open(nil)

	day := func(d int) time.Time { return time.Date(2026, 11, d, 0, 0, 0, 0, time.UTC) }
	res := query(t, eng, "SELECT * FROM quotes ORDER BY dt, symbol")
	wantCols := []sqlq.Column{{Name: "symbol", Type: "varchar"}, {Name: "price", Type: "double"}, {Name: "n", Type: "bigint"}, {Name: "venue", Type: "varchar"}, {Name: "dt", Type: "date"}}
	if !reflect.DeepEqual(res.Columns, wantCols) {
		t.Errorf("columns %v, want %v", res.Columns, wantCols)
	}
	want := [][]any{
		{"AAPL", 1.5, int64(10), nil, day(26)},
		{"MSFT", 2.25, nil, nil, day(26)},
		{"AAPL", 2.5, int64(11), nil, day(27)},
		{"MSFT", 2.25, nil, nil, day(27)},
	}
	if !reflect.DeepEqual(res.Rows, want) {
		t.Errorf("rows %#v, want %#v", res.Rows, want)
	}
	assertRows(t, eng, "SELECT sum(n) FROM quotes WHERE dt = DATE '2026-11-27'", [][]any{{int64(11)}})
}

// TestDuckDBPlainFolders: partitions in folders that are not key=value
// (Glue's partition_0) get the catalog's values.
func TestDuckDBPlainFolders(t *testing.T) {
	f := newFixture(t)
	f.write("flat/2026/a/x.json", `{"v":1}`+"\n")
	f.write("flat/2026/b c/y.jsonl", `{"v":2}`+"\n"+`{"v":3}`+"\n")
	f.write("flat/2026/b c/z.JSON", `{"v":4}`+"\n")
	tbl := catalog.NewTable(catalog.Database, "flat", loc("flat/"), catalog.FormatJSON)
	tbl.Columns = cols("v", "bigint")
	tbl.PartitionKeys = cols("partition_0", "bigint", "partition_1", "string")
	f.put(tbl,
		catalog.Partition{Values: []string{"2026", "a"}, Location: loc("flat/2026/a/")},
		catalog.Partition{Values: []string{"2026", "b c"}, Location: loc("flat/2026/b c/")})
	eng := f.open(nil)

	assertRows(t, eng, "SELECT partition_0, partition_1, sum(v) FROM flat GROUP BY ALL ORDER BY ALL",
		[][]any{{int64(2026), "a", int64(1)}, {int64(2026), "b c", int64(9)}})
	assertRows(t, eng, "SELECT v FROM flat WHERE partition_1 = 'b c' ORDER BY v",
		[][]any{{int64(2)}, {int64(3)}, {int64(4)}})
}

// TestDuckDBBrokenTable: a table whose files cannot be located is there,
// fails with the reason when queried, and does not spoil the others.
func TestDuckDBBrokenTable(t *testing.T) {
	f := stockFixture(t)
	for name, location := range map[string]string{
		"not_s3":  "file:///etc/",
		"escapes": "s3://lake/../../etc/",
		"globbed": "s3://lake/*/",
	} {
		tbl := catalog.NewTable(catalog.Database, name, location, catalog.FormatJSON)
		tbl.Columns = cols("line", "string")
		f.put(tbl)
	}
	eng := f.open(nil)
	tests := []struct{ table, want string }{
		{"not_s3", `query failed: Invalid Input Error: table stock_market.not_s3: location "file:///etc/" is not an s3:// URI`},
		{"escapes", `query failed: Invalid Input Error: table stock_market.escapes: location "s3://lake/../../etc/" has an empty, . or .. path segment`},
		{"globbed", `query failed: Invalid Input Error: table stock_market.globbed: location "s3://lake/*/": its local directory has a glob character (* ? [)`},
	}
	for _, tt := range tests {
		t.Run(tt.table, func(t *testing.T) {
			_, err := eng.Query(t.Context(), "SELECT count(*) FROM "+tt.table)
			if err == nil || err.Error() != tt.want {
				t.Errorf("error %v, want %s", err, tt.want)
			}
			res := query(t, eng, "SELECT * FROM "+tt.table+" LIMIT 0")
			if want := []sqlq.Column{{Name: "line", Type: "varchar"}}; !reflect.DeepEqual(res.Columns, want) {
				t.Errorf("columns %v, want %v", res.Columns, want)
			}
		})
	}
	assertRows(t, eng, "SELECT count(*) FROM stock_topic", [][]any{{int64(5)}})
}

func TestDuckDBFileAccess(t *testing.T) {
	f := stockFixture(t)
	secret := filepath.Join(t.TempDir(), "secret.txt")
	if err := os.WriteFile(secret, []byte("hush"), 0o600); err != nil {
		t.Fatal(err)
	}
	f.write("other/x.json", `{"not":"a table"}`+"\n")
	read := "SELECT content FROM read_text(" + "'" + secret + "')"

	eng := f.open(nil)
	for _, q := range []string{
		read,
		"COPY (SELECT 1) TO '" + filepath.Join(t.TempDir(), "out.csv") + "'",
		"SET enable_external_access = true",
		"SELECT * FROM read_json('" + filepath.Join(f.root, bucket, "other", "*.json") + "')",
	} {
		if _, err := eng.Query(t.Context(), q); !errors.Is(err, sqlq.ErrQuery) {
			t.Errorf("%s: error %v, want it refused", q, err)
		}
	}

	open := f.open(&duckdb.Options{AllowFileAccess: true})
	assertRows(t, open, read, [][]any{{"hush"}})
}

func TestDuckDBRefresh(t *testing.T) {
	f := stockFixture(t)
	eng := f.open(nil)
	db := eng.DB()
	f.write("stock_topic/dt=2026-11-28/more.json", `{"symbol":"NVDA","seq":0}`+"\n")
	if err := f.cat.AddPartitions(t.Context(), catalog.Database, "stock_topic",
		[]catalog.Partition{{Values: []string{"2026-11-28"}, Location: loc("stock_topic/dt=2026-11-28/")}}); err != nil {
		t.Fatal(err)
	}
	assertRows(t, eng, "SELECT count(*) FROM stock_topic", [][]any{{int64(5)}})
	if err := eng.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	assertRows(t, eng, "SELECT count(*) FROM stock_topic WHERE dt = '2026-11-28'", [][]any{{int64(2)}})
	if eng.DB() == db {
		t.Error("DB() is the same database after Refresh")
	}

	// Queries and refreshes at once.
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for range 4 {
		wg.Go(func() {
			for range 10 {
				res, err := eng.Query(t.Context(), "SELECT count(*) FROM stock_topic")
				if err == nil && res.Rows[0][0] != int64(7) {
					err = fmt.Errorf("count %v, want 7", res.Rows[0][0])
				}
				if err != nil {
					errs <- err
				}
			}
		})
	}
	for range 3 {
		if err := eng.Refresh(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	if err := eng.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := eng.Query(t.Context(), "SELECT 1"); !errors.Is(err, sqlq.ErrClosed) {
		t.Errorf("query after Close: %v, want sqlq.ErrClosed", err)
	}
}

func TestDuckDBCancel(t *testing.T) {
	eng := newFixture(t).open(nil)
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	// Hours of work, were it not canceled.
	_, err := eng.Query(ctx, "SELECT count(*) FROM range(1000000000000) t(i) WHERE hash(i) = 42")
	if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, sqlq.ErrQuery) {
		t.Errorf("error %v, want the context's deadline", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("query stopped %v after it was canceled", d)
	}
	assertRows(t, eng, "SELECT 1", [][]any{{int64(1)}})
}

// TestDuckDBTypes: DuckDB's types come back as Athena type names and
// normalized values.
func TestDuckDBTypes(t *testing.T) {
	eng := newFixture(t).open(nil)
	tests := []struct {
		expr, typ string
		want      any
	}{
		{"true", "boolean", true},
		{"42::TINYINT", "tinyint", int64(42)},
		{"42::SMALLINT", "smallint", int64(42)},
		{"42::INTEGER", "integer", int64(42)},
		{"42::UINTEGER", "bigint", int64(42)},
		{"42::BIGINT", "bigint", int64(42)},
		{"sum(x) FROM (VALUES (9223372036854775806::BIGINT), (1)) v(x)", "bigint", int64(9223372036854775807)},
		{"CAST(sum(x) AS DECIMAL(38,0)) FROM (VALUES (9223372036854775807::BIGINT), (1)) v(x)", "decimal(38,0)", "9223372036854775808"},
		{"0.1::FLOAT", "real", 0.1},
		{"0.1::DOUBLE", "double", 0.1},
		{"1.50::DECIMAL(5,2)", "decimal(5,2)", "1.50"},
		{"-0.05::DECIMAL(4,3)", "decimal(4,3)", "-0.050"},
		{"'x'", "varchar", "x"},
		{"NULL::VARCHAR", "varchar", nil},
		{"DATE '2026-11-26'", "date", time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)},
		{"TIMESTAMP '2026-11-26 10:00:00.123'", "timestamp", time.Date(2026, 11, 26, 10, 0, 0, 123e6, time.UTC)},
		{"TIMESTAMPTZ '2026-11-26 12:00:00+02'", "timestamp with time zone", time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)},
		{"TIME '10:00:01.5'", "time", "10:00:01.500"},
		{"INTERVAL 90 MINUTE", "interval day to second", "01:30:00.000"},
		{"'ab'::BLOB", "varbinary", "ab"},
		{"'6ba7b810-9dad-11d1-80b4-00c04fd430c8'::UUID", "uuid", "6ba7b810-9dad-11d1-80b4-00c04fd430c8"},
		{`'{"b":[1,2]}'::JSON`, "json", `{"b":[1,2]}`},
		{"[1, NULL, 3]", "array<integer>", "[1, null, 3]"},
		{"[DATE '2026-11-26']", "array<date>", "[2026-11-26]"},
		{"{'b': 1.5, 'a': 'x'}", "struct<b:decimal(2,1),a:varchar>", "{b=1.5, a=x}"},
		{"MAP {'k': [1.5::DOUBLE]}", "map<varchar,array<double>>", "{k=[1.5]}"},
		// Doubles inside nested values print as Athena (Java) prints them.
		{"[1.5, 2, 1e10, 0.0001, 'NaN']::DOUBLE[]", "array<double>", "[1.5, 2.0, 1.0E10, 1.0E-4, NaN]"},
		{"'a'::ENUM('a', 'b')", "varchar", "a"},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			res := query(t, eng, "SELECT "+tt.expr)
			if len(res.Columns) != 1 || len(res.Rows) != 1 {
				t.Fatalf("result %v", res)
			}
			if got := res.Columns[0].Type; got != tt.typ {
				t.Errorf("type %s, want %s", got, tt.typ)
			}
			if got := res.Rows[0][0]; !reflect.DeepEqual(got, tt.want) {
				t.Errorf("value %#v (%T), want %#v (%T)", got, got, tt.want, tt.want)
			}
		})
	}
}

func TestOpenDuckDBOptions(t *testing.T) {
	f := newFixture(t)
	if _, err := duckdb.Open(t.Context(), f.cat, nil); err == nil || !strings.Contains(err.Error(), "LocalDir is required") {
		t.Errorf("nil options: %v, want LocalDir required", err)
	}
	// Another database, with a name that needs quoting.
	const db = `my "db"`
	if err := f.cat.CreateDatabase(t.Context(), db); err != nil {
		t.Fatal(err)
	}
	f.write("t/x.json", `{"a":1}`+"\n")
	tbl := catalog.NewTable(db, "t", loc("t/"), catalog.FormatJSON)
	tbl.Columns = cols("a", "bigint")
	f.put(tbl)
	eng := f.open(&duckdb.Options{Database: db})
	assertRows(t, eng, `SELECT a FROM t`, [][]any{{int64(1)}})
	assertRows(t, eng, `SELECT a FROM "my ""db""".t`, [][]any{{int64(1)}})
}

// TestDuckDBQueryEach: the streaming path hands over the same columns and
// rows as Query, one at a time, and an error of the caller stops it.
func TestDuckDBQueryEach(t *testing.T) {
	eng := stockFixture(t).open(nil)
	ctx := context.Background()
	q := "SELECT symbol, ts, seq, price, volume, dt FROM stock_topic ORDER BY symbol, seq"
	want := query(t, eng, q)
	var cols []sqlq.Column
	var rows [][]any
	err := eng.QueryEach(ctx, q, func(c []sqlq.Column) error { cols = c; return nil }, func(row []any) error {
		rows = append(rows, slices.Clone(row)) // the row is reused
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(cols, want.Columns) || !reflect.DeepEqual(rows, want.Rows) {
		t.Fatalf("QueryEach gave %v %v\nQuery gave %v %v", cols, rows, want.Columns, want.Rows)
	}
	stop := errors.New("enough")
	n := 0
	err = eng.QueryEach(ctx, q, func([]sqlq.Column) error { return nil }, func([]any) error { n++; return stop })
	if !errors.Is(err, stop) || n != 1 {
		t.Fatalf("after fn failed on the first row: %d rows, err %v", n, err)
	}
	if err := eng.QueryEach(ctx, "SELECT nope FROM stock_topic", func([]sqlq.Column) error { return nil },
		func([]any) error { return nil }); !errors.Is(err, sqlq.ErrQuery) {
		t.Fatalf("bad SQL: %v, want a query error", err)
	}
}

// TestDuckDBTempDirIsNotTheWorkingDirectory: DuckDB's default spill
// directory is .tmp under the working directory, which SQL could then
// read; the engine uses one of its own.
func TestDuckDBTempDirIsNotTheWorkingDirectory(t *testing.T) {
	f := stockFixture(t)
	t.Chdir(t.TempDir())
	if err := os.MkdirAll(".tmp", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(".tmp", "secret.txt"), []byte("hush"), 0o600); err != nil {
		t.Fatal(err)
	}
	wd, _ := os.Getwd()
	eng := f.open(nil)
	for _, path := range []string{".tmp/secret.txt", filepath.Join(wd, ".tmp", "secret.txt")} {
		if res, err := eng.Query(t.Context(), "SELECT content FROM read_text('"+path+"')"); !errors.Is(err, sqlq.ErrQuery) {
			t.Errorf("read_text(%s) = %v, %v; want it refused", path, res, err)
		}
	}
	assertRows(t, eng, "SELECT count(*) FROM stock_topic", [][]any{{int64(5)}})

	dir := filepath.Join(t.TempDir(), "spill")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	given := f.open(&duckdb.Options{TempDir: dir})
	assertRows(t, given, "SELECT current_setting('temp_directory') = '"+dir+"'", [][]any{{true}})
}

// TestDuckDBQueryCounted: the bytes a query read are the files of the
// partitions it read (JSON lines are read whole), and a query reading no
// table reads nothing.
func TestDuckDBQueryCounted(t *testing.T) {
	f := stockFixture(t)
	eng := f.open(&duckdb.Options{CountBytesRead: true})
	size := func(key string) int64 {
		fi, err := os.Stat(filepath.Join(f.root, bucket, filepath.FromSlash(key)))
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	day26, day27 := size("stock_topic/dt=2026-11-26/stock_topic+0+0.json"), size("stock_topic/dt=2026-11-27/stock_topic+0+3.json")
	for _, c := range []struct {
		sql  string
		want int64
	}{
		{"SELECT count(*) FROM stock_topic", day26 + day27},
		{"SELECT count(*) FROM stock_topic WHERE dt = '2026-11-27'", day27},
		{"SELECT 1", 0},
	} {
		res, n, err := eng.QueryCounted(t.Context(), c.sql)
		if err != nil || len(res.Rows) != 1 {
			t.Fatalf("%s: %v, %v", c.sql, res, err)
		}
		if n != c.want {
			t.Errorf("%s read %d bytes, want %d", c.sql, n, c.want)
		}
	}
	// The log is cleared once no counted query runs: it does not grow.
	var logged int
	if err := eng.DB().QueryRow("SELECT count(*) FROM duckdb_logs").Scan(&logged); err != nil || logged != 0 {
		t.Errorf("%d log entries left (%v), want 0", logged, err)
	}
	// Without CountBytesRead nothing is counted.
	if _, n, err := f.open(nil).QueryCounted(t.Context(), "SELECT count(*) FROM stock_topic"); err != nil || n != 0 {
		t.Errorf("uncounted engine: %d, %v", n, err)
	}
}

// TestMaxValueChars: with MaxValueChars, every value rendered as text
// (varchar, json, varbinary, array, struct, map) longer than that is its
// first MaxValueChars characters and "…"; shorter ones are as without it,
// which keeps every value whole.
func TestMaxValueChars(t *testing.T) {
	f := newFixture(t)
	q := `SELECT range(100000) AS l, {'a': repeat('y', 5000)} AS st, map {'k': repeat('é', 5000)} AS m,
		repeat('z', 5000)::blob AS b, repeat('é', 5000) AS s, ('[' || repeat('1,', 5000) || '1]')::json AS j,
		[[1, 2], NULL] AS small, 'short' AS short, NULL::INTEGER[] AS none`
	whole := query(t, f.open(nil), q).Rows[0]
	nums := make([]string, 100000)
	for i := range nums {
		nums[i] = fmt.Sprint(i)
	}
	if l := whole[0].(string); l != "["+strings.Join(nums, ", ")+"]" {
		t.Errorf("range(100000) unbounded: %d bytes ending %q", len(l), l[len(l)-20:])
	}
	cut := query(t, f.open(&duckdb.Options{MaxValueChars: 100}), q).Rows[0]
	for i, v := range cut {
		w, _ := whole[i].(string)
		switch {
		case i >= 6: // fit
			if !reflect.DeepEqual(v, whole[i]) {
				t.Errorf("column %d: %#v, want %#v as without a bound", i, v, whole[i])
			}
		case v != string([]rune(w)[:100])+"…":
			t.Errorf("column %d: %q, want the first 100 characters of %.20q... and …", i, v, w)
		}
	}
	if cut[6] != "[[1, 2], null]" {
		t.Errorf("small nested value: %q", cut[6])
	}
}
