package pipeline

import (
	"context"
	"errors"
	"reflect"
	"strings"
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
	cat := NewCatalog(fc)
	if _, err := cat.GetTable(ctx, Database, Topic); !errors.Is(err, ErrNotFound) {
		t.Fatalf("GetTable on an empty catalog: %v, want ErrNotFound", err)
	}
	if err := cat.CreateDatabase(ctx, Database); err != nil {
		t.Fatal(err)
	}
	if err := cat.CreateDatabase(ctx, Database); err != nil {
		t.Fatalf("CreateDatabase is not idempotent: %v", err)
	}
	tbl := NewTable(Database, Topic, "s3://b/stock_topic/", FormatJSON)
	tbl.Columns = []Column{{Name: "symbol", Type: TypeString}}
	tbl.PartitionKeys = []Column{{Name: "dt", Type: TypeString}}
	if err := cat.PutTable(ctx, tbl); err != nil {
		t.Fatal(err)
	}
	// Concurrent partition adds from several goroutines all land.
	var wg sync.WaitGroup
	for _, d := range []string{"2026-01-03", "2026-01-01", "2026-01-02", "2026-01-01"} {
		wg.Go(func() {
			if err := cat.AddPartitions(ctx, Database, Topic, []Partition{{Values: []string{d}, Location: "s3://b/stock_topic/dt=" + d + "/"}}); err != nil {
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
	cat2 := NewCatalog(fc2)
	got, err := cat2.GetTable(ctx, Database, Topic)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Columns) != 2 || got.Columns[1].Name != "price" || got.SerDeLibrary != "org.openx.data.jsonserde.JsonSerDe" {
		t.Fatalf("reopened table = %+v", got)
	}
	parts, err := cat2.ListPartitions(ctx, Database, Topic)
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

func TestInferJSONLines(t *testing.T) {
	data := []byte(`{"symbol":"AAPL","ts":"2026-11-26T14:30:00.123Z","seq":1,"price":101,"date":"2021-06-03","ok":true,"n":null}
not json
{"symbol":"MSFT","ts":"2026-11-26T14:30:01.000Z","seq":2,"price":99.5,"date":"2021-06-04","ok":false,"n":null,"extra":{"a":1}}
`)
	got := InferJSONLines(data)
	want := []Column{{"symbol", TypeString, ""}, {"ts", TypeTimestamp, ""}, {"seq", TypeBigint, ""}, {"price", TypeDouble, ""},
		{"date", TypeDate, ""}, {"ok", TypeBoolean, ""}, {"n", "", ""}, {"extra", TypeString, ""}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("InferJSONLines = %v\nwant %v", got, want)
	}
}

// TestInferJSONLinesEdges: what a crawler must not get wrong.
func TestInferJSONLinesEdges(t *testing.T) {
	data := []byte(`{"Big":1,"d":"2021-02-28","S":"x"}
{"big":99999999999999999999,"d":"2021-02-30","s":"y\u00e9"}
{"dup":1,"dup":"twice"}
{"bad":"\xff"}` + "\r\n" + `  {"late":"2026-11-26 14:30:00"}  `)
	got := InferJSONLines(data)
	// big: beyond int64, so double; d: not a real date once, so string;
	// S and s: one column; the line with a key twice and the one with
	// an invalid escape say nothing.
	want := []Column{{"Big", TypeDouble, ""}, {"d", TypeString, ""}, {"S", TypeString, ""}, {"late", TypeTimestamp, ""}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("InferJSONLines = %v\nwant %v", got, want)
	}
}

func FuzzInferJSONLines(f *testing.F) {
	f.Add([]byte(`{"a":1,"b":"2021-01-01","c":[1]}` + "\n" + `{"a":1.5}`))
	f.Add([]byte(`{"a":` + "\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		cols := InferJSONLines(b)
		seen := map[string]bool{}
		for _, c := range cols {
			if seen[strings.ToLower(c.Name)] {
				t.Fatalf("column %q twice (in any case)", c.Name)
			}
			seen[strings.ToLower(c.Name)] = true
			switch c.Type {
			case "", TypeString, TypeBigint, TypeDouble, TypeBoolean, TypeDate, TypeTimestamp:
			default:
				t.Fatalf("unknown type %q", c.Type)
			}
		}
	})
}

func TestObjectKeys(t *testing.T) {
	k := DataKey("p/", Topic, "2026-11-26", FormatJSON, 3, 1234)
	if k != "p/stock_topic/dt=2026-11-26/stock_topic+3+0000001234.json" {
		t.Fatalf("DataKey = %q", k)
	}
	p, off, ok := parseObjectName(k, Topic)
	if !ok || p != 3 || off != 1234 {
		t.Fatalf("parseObjectName(%q) = %d, %d, %v", k, p, off, ok)
	}
	if k := DataKey("", Topic, "2026-11-26", FormatParquet, 3, 1234); k != "stock_topic/dt=2026-11-26/stock_topic+3+0000001234.parquet" {
		t.Fatalf("DataKey(parquet) = %q", k)
	}
	p, off, ok = parseObjectName(DeadLetterKey("", Topic, 5, 7), Topic)
	if !ok || p != 5 || off != 7 {
		t.Fatalf("parseObjectName(dead letter) = %d, %d, %v", p, off, ok)
	}
	for _, bad := range []string{"x/other+1+2.json", "stock_topic/dt=1/stock_topic+a+2.json", "stock_topic+1+2.csv", "stock_topic+1+2.parquet.tmp", "stock_topic+1.json"} {
		if _, _, ok := parseObjectName(bad, Topic); ok {
			t.Errorf("parseObjectName(%q) accepted", bad)
		}
	}
}
