package pipeline

import (
	"reflect"
	"strings"
	"testing"

	"pipeline/catalog"
)

func TestInferJSONLines(t *testing.T) {
	data := []byte(`{"symbol":"AAPL","ts":"2026-11-26T14:30:00.123Z","seq":1,"price":101,"date":"2021-06-03","ok":true,"n":null}
not json
{"symbol":"MSFT","ts":"2026-11-26T14:30:01.000Z","seq":2,"price":99.5,"date":"2021-06-04","ok":false,"n":null,"extra":{"a":1}}
`)
	got := InferJSONLines(data)
	want := []catalog.Column{{Name: "symbol", Type: catalog.TypeString}, {Name: "ts", Type: catalog.TypeTimestamp}, {Name: "seq", Type: catalog.TypeBigint}, {Name: "price", Type: catalog.TypeDouble},
		{Name: "date", Type: catalog.TypeDate}, {Name: "ok", Type: catalog.TypeBoolean}, {Name: "n", Type: ""}, {Name: "extra", Type: "struct<a:bigint>"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("InferJSONLines = %v\nwant %v", got, want)
	}
}

// TestInferJSONLinesNested: arrays and objects are typed as Glue's JSON
// classifier types them, widened across elements and lines.
func TestInferJSONLinesNested(t *testing.T) {
	data := []byte(`{"r":[1,2],"s":{"A":1,"b":[{"x":"2026-01-02"}]},"e":[],"m":[1,"x"],"o":{"k":null},"deep":[[null],[1.5]]}
{"r":[3.5],"s":{"a":2,"c":true,"b":[{"y":false}]},"e":[null],"o":{"k":"2026-01-02T10:00:00Z"},"bad":{"":1},"mixed":[1]}
{"mixed":{"a":1}}
`)
	got := InferJSONLines(data)
	want := []catalog.Column{{Name: "r", Type: "array<double>"}, {Name: "s", Type: "struct<a:bigint,b:array<struct<x:date,y:boolean>>,c:boolean>"},
		{Name: "e", Type: ""}, {Name: "m", Type: "array<string>"}, {Name: "o", Type: "struct<k:timestamp>"}, {Name: "deep", Type: "array<array<double>>"},
		{Name: "bad", Type: catalog.TypeString}, {Name: "mixed", Type: catalog.TypeString}}
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
	want := []catalog.Column{{Name: "Big", Type: catalog.TypeDouble}, {Name: "d", Type: catalog.TypeString}, {Name: "S", Type: catalog.TypeString}, {Name: "late", Type: catalog.TypeTimestamp}}
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
			case "", catalog.TypeString, catalog.TypeBigint, catalog.TypeDouble, catalog.TypeBoolean, catalog.TypeDate, catalog.TypeTimestamp:
			default:
				if ht, err := catalog.ParseType(c.Type); err != nil || !ht.Complex() || ht.String() != c.Type {
					t.Fatalf("unknown type %q (%v)", c.Type, err)
				}
			}
		}
	})
}
