// Package catalogtest is the conformance suite for catalog.Driver
// implementations: the local file catalog and the Glue adapter (against the
// emulated Glue, and against AWS if pointed there) run the same behaviours
// and must give the same answers.
//
// # What it checks
//
//   - CreateDatabase is idempotent.
//   - A missing database or table is an error wrapping catalog.ErrNotFound,
//     from every method that names one.
//   - A table's columns, partition keys, location, format, input and output
//     formats, SerDe and parameters read back exactly as written (nil and
//     empty count as the same), and UpdatedAt is set.
//   - PutTable on an existing table replaces its definition and keeps its
//     partitions.
//   - AddPartitions leaves existing partitions (and repeats within a call)
//     as they are, and ListPartitions returns each once, sorted by values.
//   - ListTables is sorted by name and sees only its database.
//   - 1,050 partitions (more than Glue's 100 per BatchCreatePartition and
//     its page sizes) all land and list.
//   - Concurrent AddPartitions and PutTable calls all land.
package catalogtest

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"pipeline/catalog"
)

// Run runs the suite. newDriver returns a driver over an empty catalog; it
// is called once for each subtest and should clean up with t.Cleanup.
func Run(t *testing.T, newDriver func(t *testing.T) catalog.Driver) {
	for _, tc := range []struct {
		name string
		fn   func(*testing.T, catalog.Driver)
	}{
		{"CreateDatabaseIsIdempotent", testCreateDatabaseIdempotent},
		{"MissingIsErrNotFound", testMissingIsErrNotFound},
		{"TableRoundTrips", testTableRoundTrips},
		{"PutTableUpdatesAndKeepsPartitions", testPutTableKeepsPartitions},
		{"AddPartitionsIsIdempotentAndSorted", testAddPartitionsIdempotentSorted},
		{"ListTablesIsSortedByName", testListTablesSorted},
		{"ManyPartitions", testManyPartitions},
		{"ConcurrentWrites", testConcurrentWrites},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, newDriver(t)) })
	}
}

// db is the database the suite works in; otherDB is for isolation checks.
const (
	db      = "conformance"
	otherDB = "conformance_other"
)

func testCreateDatabaseIdempotent(t *testing.T, d catalog.Driver) {
	ctx := t.Context()
	for i := range 2 {
		if err := d.CreateDatabase(ctx, db); err != nil {
			t.Fatalf("CreateDatabase, call %d: %v", i+1, err)
		}
	}
	tables, err := d.ListTables(ctx, db)
	if err != nil || len(tables) != 0 {
		t.Fatalf("ListTables of a new database = %v, %v; want none", tables, err)
	}
}

func testMissingIsErrNotFound(t *testing.T, d catalog.Driver) {
	ctx := t.Context()
	mustCreateDB(t, d, db)
	mustPut(t, d, newTable(db, "present", catalog.FormatJSON))
	for _, tc := range []struct {
		name string
		call func() error
	}{
		{"GetTable missing database", func() error { _, err := d.GetTable(ctx, "no_such_db", "t"); return err }},
		{"GetTable missing table", func() error { _, err := d.GetTable(ctx, db, "no_such_table"); return err }},
		{"ListTables missing database", func() error { _, err := d.ListTables(ctx, "no_such_db"); return err }},
		{"PutTable missing database", func() error { return d.PutTable(ctx, newTable("no_such_db", "t", catalog.FormatJSON)) }},
		{"AddPartitions missing table", func() error {
			return d.AddPartitions(ctx, db, "no_such_table", []catalog.Partition{{Values: []string{"1", "2"}, Location: "s3://b/x/"}})
		}},
		{"ListPartitions missing table", func() error { _, err := d.ListPartitions(ctx, db, "no_such_table"); return err }},
		{"ListPartitions missing database", func() error { _, err := d.ListPartitions(ctx, "no_such_db", "present"); return err }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.call(); !errors.Is(err, catalog.ErrNotFound) {
				t.Fatalf("error = %v, want one wrapping catalog.ErrNotFound", err)
			}
		})
	}
}

func testTableRoundTrips(t *testing.T, d catalog.Driver) {
	ctx := t.Context()
	mustCreateDB(t, d, db)
	mustCreateDB(t, d, otherDB)

	full := newTable(db, "json_table", catalog.FormatJSON)
	full.Columns[0].Comment = "ticker symbol, upper case"
	full.Parameters["has_encrypted_data"] = "false"
	full.Parameters["projection.enabled"] = "false"

	parquet := newTable(db, "parquet_table", catalog.FormatParquet)
	parquet.SerDeParameters = map[string]string{"serialization.format": "1"}
	parquet.Location = "s3://other-bucket/deep/prefix/parquet_table/"

	bare := &catalog.Table{Database: db, Name: "bare", Columns: []catalog.Column{{Name: "x", Type: catalog.TypeBigint}},
		Location: "s3://b/bare/", Format: catalog.FormatJSON}

	elsewhere := newTable(otherDB, "json_table", catalog.FormatParquet)

	before := time.Now()
	for _, tbl := range []*catalog.Table{full, parquet, bare, elsewhere} {
		mustPut(t, d, tbl)
	}
	for _, want := range []*catalog.Table{full, parquet, bare, elsewhere} {
		t.Run(want.Database+"."+want.Name, func(t *testing.T) {
			got, err := d.GetTable(ctx, want.Database, want.Name)
			if err != nil {
				t.Fatal(err)
			}
			assertSameTable(t, got, want)
			if got.UpdatedAt.IsZero() || got.UpdatedAt.Before(before.Add(-time.Hour)) || got.UpdatedAt.After(time.Now().Add(time.Hour)) {
				t.Errorf("UpdatedAt = %v, want about %v", got.UpdatedAt, before)
			}
		})
	}
	t.Run("ListTables", func(t *testing.T) {
		got, err := d.ListTables(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 3 {
			t.Fatalf("ListTables = %d tables (%v), want 3", len(got), tableNames(got))
		}
		for i, want := range []*catalog.Table{bare, full, parquet} {
			assertSameTable(t, got[i], want)
		}
	})
}

func testPutTableKeepsPartitions(t *testing.T, d catalog.Driver) {
	ctx := t.Context()
	mustCreateDB(t, d, db)
	tbl := newTable(db, "ticks", catalog.FormatJSON)
	mustPut(t, d, tbl)
	parts := partitions("ticks", 5)
	mustAdd(t, d, "ticks", parts)

	tbl.Columns = append(tbl.Columns, catalog.Column{Name: "volume", Type: catalog.TypeBigint, Comment: "added"})
	tbl.Columns[1].Type = catalog.TypeDouble
	tbl.Parameters["schema_version"] = "2"
	tbl.Location = "s3://b/moved/ticks/"
	mustPut(t, d, tbl)

	got, err := d.GetTable(ctx, db, "ticks")
	if err != nil {
		t.Fatal(err)
	}
	assertSameTable(t, got, tbl)
	assertPartitions(t, d, "ticks", parts)
}

func testAddPartitionsIdempotentSorted(t *testing.T, d catalog.Driver) {
	ctx := t.Context()
	mustCreateDB(t, d, db)
	mustPut(t, d, newTable(db, "ticks", catalog.FormatJSON))
	if got, err := d.ListPartitions(ctx, db, "ticks"); err != nil || len(got) != 0 {
		t.Fatalf("ListPartitions of a new table = %v, %v; want none", got, err)
	}
	p := func(dt, hour, loc string) catalog.Partition {
		return catalog.Partition{Values: []string{dt, hour}, Location: loc}
	}
	mustAdd(t, d, "ticks", []catalog.Partition{
		p("2026-01-02", "00", "s3://b/ticks/dt=2026-01-02/hour=00/"),
		p("2026-01-01", "10", "s3://b/ticks/dt=2026-01-01/hour=10/"),
		p("2026-01-01", "09", "s3://b/ticks/dt=2026-01-01/hour=09/"),
		p("2026-01-01", "10", "s3://b/ticks/a-repeat-within-the-call/"),
	})
	// Adding them again, and one new, changes only the new one.
	mustAdd(t, d, "ticks", []catalog.Partition{
		p("2026-01-01", "09", "s3://b/ticks/moved/"),
		p("2025-12-31", "23", "s3://b/ticks/dt=2025-12-31/hour=23/"),
	})
	assertPartitions(t, d, "ticks", []catalog.Partition{
		p("2025-12-31", "23", "s3://b/ticks/dt=2025-12-31/hour=23/"),
		p("2026-01-01", "09", "s3://b/ticks/dt=2026-01-01/hour=09/"),
		p("2026-01-01", "10", "s3://b/ticks/dt=2026-01-01/hour=10/"),
		p("2026-01-02", "00", "s3://b/ticks/dt=2026-01-02/hour=00/"),
	})
}

func testListTablesSorted(t *testing.T, d catalog.Driver) {
	ctx := t.Context()
	mustCreateDB(t, d, db)
	mustCreateDB(t, d, otherDB)
	for _, name := range []string{"charlie", "alpha", "delta", "bravo"} {
		mustPut(t, d, newTable(db, name, catalog.FormatJSON))
	}
	mustPut(t, d, newTable(otherDB, "aardvark", catalog.FormatJSON))
	got, err := d.ListTables(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if names, want := tableNames(got), []string{"alpha", "bravo", "charlie", "delta"}; !slices.Equal(names, want) {
		t.Fatalf("ListTables = %v, want %v", names, want)
	}
}

func testManyPartitions(t *testing.T, d catalog.Driver) {
	const n = 1050
	mustCreateDB(t, d, db)
	mustPut(t, d, newTable(db, "ticks", catalog.FormatJSON))
	parts := partitions("ticks", n)
	shuffled := slices.Clone(parts)
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	mustAdd(t, d, "ticks", shuffled[:n/2])
	mustAdd(t, d, "ticks", shuffled) // half of them exist already
	assertPartitions(t, d, "ticks", parts)
}

func testConcurrentWrites(t *testing.T, d catalog.Driver) {
	ctx := t.Context()
	mustCreateDB(t, d, db)
	mustPut(t, d, newTable(db, "ticks", catalog.FormatJSON))
	parts := partitions("ticks", 60)
	var wg sync.WaitGroup
	for w := range 6 {
		wg.Go(func() { // overlapping slices: each partition is added by two writers
			lo, hi := w*10, min(w*10+20, len(parts))
			if err := d.AddPartitions(ctx, db, "ticks", parts[lo:hi]); err != nil {
				t.Errorf("writer %d: AddPartitions: %v", w, err)
			}
		})
		wg.Go(func() {
			if err := d.PutTable(ctx, newTable(db, fmt.Sprintf("t%d", w), catalog.FormatJSON)); err != nil {
				t.Errorf("writer %d: PutTable: %v", w, err)
			}
		})
	}
	wg.Wait()
	assertPartitions(t, d, "ticks", parts)
	got, err := d.ListTables(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if names, want := tableNames(got), []string{"t0", "t1", "t2", "t3", "t4", "t5", "ticks"}; !slices.Equal(names, want) {
		t.Fatalf("ListTables = %v, want %v", names, want)
	}
}

// newTable is a table shaped like the pipeline's, partitioned by dt and hour.
func newTable(database, name, format string) *catalog.Table {
	t := catalog.NewTable(database, name, "s3://b/"+name+"/", format)
	t.Columns = []catalog.Column{
		{Name: "symbol", Type: catalog.TypeString},
		{Name: "price", Type: catalog.TypeBigint},
		{Name: "ts", Type: catalog.TypeTimestamp, Comment: "event time, UTC"},
		{Name: "ok", Type: catalog.TypeBoolean},
	}
	t.PartitionKeys = []catalog.Column{{Name: "dt", Type: catalog.TypeString}, {Name: "hour", Type: catalog.TypeString}}
	return t
}

// partitions returns n partitions of table, sorted by values.
func partitions(table string, n int) []catalog.Partition {
	out := make([]catalog.Partition, n)
	day := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range out {
		dt, hour := day.AddDate(0, 0, i/24).Format(time.DateOnly), fmt.Sprintf("%02d", i%24)
		out[i] = catalog.Partition{Values: []string{dt, hour}, Location: "s3://b/" + table + "/dt=" + dt + "/hour=" + hour + "/"}
	}
	return out
}

func mustCreateDB(t *testing.T, d catalog.Driver, name string) {
	t.Helper()
	if err := d.CreateDatabase(t.Context(), name); err != nil {
		t.Fatalf("CreateDatabase %s: %v", name, err)
	}
}

func mustPut(t *testing.T, d catalog.Driver, tbl *catalog.Table) {
	t.Helper()
	if err := d.PutTable(t.Context(), tbl); err != nil {
		t.Fatalf("PutTable %s.%s: %v", tbl.Database, tbl.Name, err)
	}
}

func mustAdd(t *testing.T, d catalog.Driver, table string, parts []catalog.Partition) {
	t.Helper()
	if err := d.AddPartitions(t.Context(), db, table, parts); err != nil {
		t.Fatalf("AddPartitions %d to %s: %v", len(parts), table, err)
	}
}

// assertPartitions checks that the table's partitions are exactly want, in
// order.
func assertPartitions(t *testing.T, d catalog.Driver, table string, want []catalog.Partition) {
	t.Helper()
	got, err := d.ListPartitions(t.Context(), db, table)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("ListPartitions = %d partitions, want %d", len(got), len(want))
	}
	for i := range want {
		if !slices.Equal(got[i].Values, want[i].Values) || got[i].Location != want[i].Location {
			t.Fatalf("ListPartitions[%d] = %v %q, want %v %q", i, got[i].Values, got[i].Location, want[i].Values, want[i].Location)
		}
	}
}

// assertSameTable compares everything but UpdatedAt, with nil and empty
// slices and maps alike.
func assertSameTable(t *testing.T, got, want *catalog.Table) {
	t.Helper()
	if g, w := normal(got), normal(want); !reflect.DeepEqual(g, w) {
		t.Errorf("table %s.%s read back differs:\n got %+v\nwant %+v", want.Database, want.Name, g, w)
	}
}

func normal(t *catalog.Table) catalog.Table {
	n := *t
	n.UpdatedAt, n.CreatedAt = time.Time{}, time.Time{}
	if len(n.Columns) == 0 {
		n.Columns = nil
	}
	if len(n.PartitionKeys) == 0 {
		n.PartitionKeys = nil
	}
	if len(n.SerDeParameters) == 0 {
		n.SerDeParameters = nil
	}
	if len(n.Parameters) == 0 {
		n.Parameters = nil
	}
	return n
}

func tableNames(ts []*catalog.Table) []string {
	var out []string
	for _, t := range ts {
		out = append(out, t.Name)
	}
	return out
}
