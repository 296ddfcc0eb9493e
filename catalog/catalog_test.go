package catalog

import (
	"context"
	"errors"
	"reflect"
	"sync"
	"testing"
)

func TestMergeColumnsKeepsOldAndWidens(t *testing.T) {
	old := []Column{{Name: "symbol", Type: TypeString}, {Name: "price", Type: TypeBigint}, {Name: "gone", Type: TypeDate}}
	new := []Column{{Name: "price", Type: TypeDouble}, {Name: "symbol", Type: TypeString}, {Name: "added", Type: TypeBoolean}}
	got := MergeColumns(old, new)
	want := []Column{{Name: "symbol", Type: TypeString}, {Name: "price", Type: TypeDouble}, {Name: "gone", Type: TypeDate}, {Name: "added", Type: TypeBoolean}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("MergeColumns = %v, want %v", got, want)
	}
}

func TestWidenType(t *testing.T) {
	for _, tc := range []struct{ a, b, want string }{
		{TypeBigint, TypeBigint, TypeBigint},
		{TypeBigint, TypeDouble, TypeDouble},
		{TypeDouble, TypeBigint, TypeDouble},
		{TypeDate, TypeTimestamp, TypeTimestamp},
		{TypeBigint, TypeString, TypeString},
		{TypeBoolean, TypeBigint, TypeString},
		{"", TypeDate, TypeDate},
		{TypeDate, "", TypeDate},
		// Nested types widen inside; unlike shapes are a string.
		{"array<bigint>", "array<double>", "array<double>"},
		{"struct<a:bigint>", "struct<b:string,a:double>", "struct<a:double,b:string>"},
		{"array<struct<a:date>>", "array<struct<a:timestamp,c:boolean>>", "array<struct<a:timestamp,c:boolean>>"},
		{"array<bigint>", "struct<a:bigint>", TypeString},
		{"array<bigint>", TypeBigint, TypeString},
	} {
		if got := WidenType(tc.a, tc.b); got != tc.want {
			t.Errorf("WidenType(%q, %q) = %q, want %q", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestFileCatalogPersistsAcrossOpens(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	fc, err := OpenFileCatalog(dir)
	if err != nil {
		t.Fatal(err)
	}
	cat := New(fc)
	if _, err := cat.GetTable(ctx, Database, "stock_topic"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("GetTable on an empty catalog: %v, want ErrNotFound", err)
	}
	if err := cat.CreateDatabase(ctx, Database); err != nil {
		t.Fatal(err)
	}
	if err := cat.CreateDatabase(ctx, Database); err != nil {
		t.Fatalf("CreateDatabase is not idempotent: %v", err)
	}
	tbl := NewTable(Database, "stock_topic", "s3://b/stock_topic/", FormatJSON)
	tbl.Columns = []Column{{Name: "symbol", Type: TypeString}}
	tbl.PartitionKeys = []Column{{Name: "dt", Type: TypeString}}
	if err := cat.PutTable(ctx, tbl); err != nil {
		t.Fatal(err)
	}
	// Concurrent partition adds from several goroutines all land.
	var wg sync.WaitGroup
	for _, d := range []string{"2026-01-03", "2026-01-01", "2026-01-02", "2026-01-01"} {
		wg.Go(func() {
			if err := cat.AddPartitions(ctx, Database, "stock_topic", []Partition{{Values: []string{d}, Location: "s3://b/stock_topic/dt=" + d + "/"}}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	// A table update keeps partitions.
	tbl.Columns = append(tbl.Columns, Column{Name: "price", Type: TypeDouble})
	if err := cat.PutTable(ctx, tbl); err != nil {
		t.Fatal(err)
	}

	fc2, err := OpenFileCatalog(dir)
	if err != nil {
		t.Fatal(err)
	}
	cat2 := New(fc2)
	got, err := cat2.GetTable(ctx, Database, "stock_topic")
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Columns) != 2 || got.Columns[1].Name != "price" || got.SerDeLibrary != "org.openx.data.jsonserde.JsonSerDe" {
		t.Fatalf("reopened table = %+v", got)
	}
	parts, err := cat2.ListPartitions(ctx, Database, "stock_topic")
	if err != nil {
		t.Fatal(err)
	}
	var vals []string
	for _, p := range parts {
		vals = append(vals, p.Values[0])
	}
	if want := []string{"2026-01-01", "2026-01-02", "2026-01-03"}; !reflect.DeepEqual(vals, want) {
		t.Fatalf("partitions = %v, want %v", vals, want)
	}
	tables, err := cat2.ListTables(ctx, Database)
	if err != nil || len(tables) != 1 {
		t.Fatalf("ListTables = %v, %v", tables, err)
	}
}

// TestEvolveColumnsKeepsTheContract: a table's column keeps its type but
// for the widening steps; a conflict never turns it into a string.
func TestEvolveColumnsKeepsTheContract(t *testing.T) {
	table := []Column{{Name: "symbol", Type: TypeString}, {Name: "Price", Type: TypeDouble}, {Name: "n", Type: TypeBigint},
		{Name: "d", Type: TypeDate}, {Name: "ok", Type: TypeBoolean}}
	found := []Column{{Name: "price", Type: TypeString}, {Name: "N", Type: TypeDouble}, {Name: "d", Type: TypeTimestamp},
		{Name: "ok", Type: TypeBigint}, {Name: "symbol", Type: TypeBigint}, {Name: "nulls", Type: ""}, {Name: "new", Type: TypeDate}}
	got := EvolveColumns(table, found)
	want := []Column{{Name: "symbol", Type: TypeString}, {Name: "Price", Type: TypeDouble}, {Name: "n", Type: TypeDouble},
		{Name: "d", Type: TypeTimestamp}, {Name: "ok", Type: TypeBoolean}, {Name: "new", Type: TypeDate}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("EvolveColumns = %v, want %v", got, want)
	}
	for _, tc := range []struct {
		table, found, want string
		changed            bool
	}{
		{TypeBigint, TypeDouble, TypeDouble, true}, {TypeDouble, TypeBigint, TypeDouble, false},
		{TypeDate, TypeTimestamp, TypeTimestamp, true}, {TypeTimestamp, TypeDate, TypeTimestamp, false},
		{"", TypeBoolean, TypeBoolean, true}, {TypeBigint, TypeString, TypeBigint, false},
		{TypeBoolean, TypeBigint, TypeBoolean, false}, {TypeString, TypeBigint, TypeString, false},
		{"array<bigint>", "array<double>", "array<double>", true}, {"array<double>", "array<bigint>", "array<double>", false},
		{"struct<a:bigint>", "struct<a:bigint,b:string>", "struct<a:bigint,b:string>", true},
		{"struct<a:bigint,b:string>", "struct<a:string>", "struct<a:bigint,b:string>", false},
		{TypeString, "array<bigint>", TypeString, false}, {"array<bigint>", "struct<a:bigint>", "array<bigint>", false},
	} {
		if got, changed := EvolveType(tc.table, tc.found); got != tc.want || changed != tc.changed {
			t.Errorf("EvolveType(%q, %q) = %q, %v; want %q, %v", tc.table, tc.found, got, changed, tc.want, tc.changed)
		}
	}
}

// TestFileCatalogModifyTableIsAtomic: writers that each add a column to the
// table they read, from two catalogs on one file (as two processes), lose
// none of the columns.
func TestFileCatalogModifyTableIsAtomic(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	var cats []*Catalog
	for range 2 {
		fc, err := OpenFileCatalog(dir)
		if err != nil {
			t.Fatal(err)
		}
		cats = append(cats, New(fc))
	}
	if err := cats[0].CreateDatabase(ctx, Database); err != nil {
		t.Fatal(err)
	}
	const writers = 20
	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() {
			err := cats[i%2].ModifyTable(ctx, Database, "t", func(tb *Table) (*Table, error) {
				if tb == nil {
					tb = NewTable(Database, "t", "s3://b/t/", FormatJSON)
				}
				tb.Columns = append(tb.Columns, Column{Name: string(rune('a' + i)), Type: TypeBigint})
				return tb, nil
			})
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	got, err := cats[1].GetTable(ctx, Database, "t")
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Columns) != writers {
		t.Fatalf("%d columns after %d writers each added one: %v", len(got.Columns), writers, got.Columns)
	}
	// Each change was a version, as a Glue UpdateTable (a crawler's, the
	// sink's new columns) archives one, and the creation time stays.
	fc, err := OpenFileCatalog(dir)
	if err != nil {
		t.Fatal(err)
	}
	versions, err := fc.TableVersions(ctx, Database, "t")
	if err != nil || len(versions) != writers || versions[0].Version != writers {
		t.Fatalf("TableVersions = %d versions (newest %+v), %v; want %d", len(versions), versions[0], err, writers)
	}
	if first := versions[len(versions)-1].Table; !got.CreatedAt.Equal(first.CreatedAt) || !got.UpdatedAt.After(got.CreatedAt) {
		t.Fatalf("created %v, updated %v; the first version was created %v", got.CreatedAt, got.UpdatedAt, first.CreatedAt)
	}
	// fn returning nil changes nothing; a missing database is an error.
	if err := cats[0].ModifyTable(ctx, Database, "t", func(*Table) (*Table, error) { return nil, nil }); err != nil {
		t.Fatal(err)
	}
	if err := cats[0].ModifyTable(ctx, "nodb", "t", func(tb *Table) (*Table, error) { return tb, nil }); !errors.Is(err, ErrNotFound) {
		t.Fatalf("ModifyTable in a missing database: %v, want ErrNotFound", err)
	}
}
