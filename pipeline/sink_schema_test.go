package pipeline

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"pipeline/catalog"
	"pipeline/internal/eventjson"
)

// value is the one member of the JSON object {"v":<v>} as the scanner finds it.
func value(t testing.TB, v string) *eventjson.Value {
	t.Helper()
	fields, ok := eventjson.ScanObject([]byte(`{"v":`+v+`}`), nil)
	if !ok || len(fields) != 1 {
		t.Fatalf("{\"v\":%s} is not an object of one member", v)
	}
	return &fields[0].Value
}

func TestFits(t *testing.T) {
	for _, tc := range []struct {
		typ  string
		v    string
		want verdict
	}{
		{"double", `1.5`, fitsColumn}, {"double", `3`, fitsColumn}, {"double", `"abc"`, rejected}, {"double", `"1.5"`, rejected},
		{"double", `true`, rejected}, {"double", `null`, fitsColumn}, {"double", `{"a":1}`, rejected},
		{"bigint", `42`, fitsColumn}, {"bigint", `-9223372036854775808`, fitsColumn}, {"bigint", `9223372036854775807`, fitsColumn},
		{"bigint", `9223372036854775808`, rejected}, {"bigint", `18446744073709551615`, rejected}, {"double", `-9223372036854775809`, rejected},
		{"double", `18446744073709551615.0`, fitsColumn}, {"double", `1.8446744073709552e19`, fitsColumn}, {"string", `18446744073709551615`, fitsColumn},
		{"bigint", `1.5`, widensColumn}, {"bigint", `1e3`, widensColumn}, {"bigint", `"7"`, rejected}, {"int", `2.5`, widensColumn},
		{"boolean", `true`, fitsColumn}, {"boolean", `0`, rejected}, {"boolean", `"true"`, rejected},
		{"string", `1`, fitsColumn}, {"string", `[1,{"a":2}]`, fitsColumn}, {"STRING", `"x"`, fitsColumn},
		{"date", `"2024-02-29"`, fitsColumn}, {"date", `"2023-02-29"`, rejected}, {"date", `"2024-01-02T03:04:05Z"`, widensColumn},
		{"date", `"yesterday"`, rejected}, {"date", `20240101`, rejected},
		{"timestamp", `"2024-01-02T03:04:05.123Z"`, fitsColumn}, {"timestamp", `"2024-01-02 03:04:05"`, fitsColumn},
		{"timestamp", `"2024-01-02T03:04:05+05:30"`, fitsColumn}, {"timestamp", `"2024-01-02"`, fitsColumn},
		{"timestamp", `"2024-01-02T25:04:05"`, rejected}, {"timestamp", `"\u0032024-01-02T03:04:05Z"`, fitsColumn},
		{"timestamp", `1700000000`, rejected}, {"array<string>", `"anything"`, fitsColumn},
	} {
		if got := fits(colTypeOf(tc.typ), value(t, tc.v)); got != tc.want {
			t.Errorf("fits(%s, %s) = %d, want %d", tc.typ, tc.v, got, tc.want)
		}
	}
}

// TestNewColumnsFitTheirType: a value always fits the column its own type
// makes, so the record that adds a column is never refused by it.
func TestNewColumnsFitTheirType(t *testing.T) {
	for _, v := range []string{`1`, `-1.5e300`, `true`, `"x"`, `"2024-01-02"`, `"2024-01-02 03:04:05"`, `"2024-01-02T03:04:05.123456789+01:00"`,
		`"2024-01-02T25:00:00"`, `"2024-13-01"`, `[1]`, `{"a":null}`} {
		f := value(t, v)
		typ := cellType[valueKind(f, eventjson.AppendUnquoted(nil, f.Raw))]
		if got := fits(colTypeOf(typ), f); got != fitsColumn {
			t.Errorf("%s makes a %s column, which it does not fit (%d)", v, typ, got)
		}
	}
}

func TestRecordTime(t *testing.T) {
	utc := func(s string) time.Time {
		tm, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm.UTC()
	}
	for _, tc := range []struct {
		v      string
		want   time.Time
		reason string
	}{
		{`"2024-01-02T03:04:05.123Z"`, utc("2024-01-02T03:04:05.123Z"), ""},
		{`"2024-01-02T23:30:00-02:00"`, utc("2024-01-03T01:30:00Z"), ""},
		{`"2024-01-02T03:04:05"`, utc("2024-01-02T03:04:05Z"), ""},
		{`"2024-01-02 03:04:05"`, utc("2024-01-02T03:04:05Z"), ""},
		{`"1986-12-31"`, utc("1986-12-31T00:00:00Z"), ""},
		{`1700000000`, utc("2023-11-14T22:13:20Z"), ""},
		{`1700000000.5`, utc("2023-11-14T22:13:20.5Z"), ""},
		{`1700000000123`, utc("2023-11-14T22:13:20.123Z"), ""},
		{`-86400`, utc("1969-12-31T00:00:00Z"), ""},
		{`99999999999`, utc("5138-11-16T09:46:39Z"), ""},
		{`100000000000`, utc("1973-03-03T09:46:40Z"), ""},
		{`"0000-01-01"`, time.Time{}, "outside the years"},
		{`"yesterday"`, time.Time{}, `time field Date: "yesterday" is not a time`},
		{`true`, time.Time{}, "is not a time"},
		{`1e300`, time.Time{}, "is not a time"},
		{`null`, time.Time{}, `no time field "Date"`},
	} {
		got, err := recordTime([]byte("Date"), value(t, tc.v))
		switch {
		case tc.reason != "" && (err == nil || !strings.Contains(err.Error(), tc.reason)):
			t.Errorf("recordTime(%s) = %v, %v; want an error saying %q", tc.v, got, err, tc.reason)
		case tc.reason == "" && (err != nil || !got.Equal(tc.want)):
			t.Errorf("recordTime(%s) = %v, %v; want %v", tc.v, got, err, tc.want)
		}
	}
	if d := daysOf(utc("1969-12-31T23:59:59Z")); d != -1 {
		t.Errorf("daysOf(1969-12-31T23:59:59Z) = %d, want -1", d)
	}
}

// TestKeyMapRenames: the one rule for names a table cannot show as they
// are, and the record rewritten with them.
func TestKeyMapRenames(t *testing.T) {
	sc := newTableSchema([]catalog.Column{{Name: "CloseUSD", Type: "double"}, {Name: "dt_", Type: "string"}}, nil)
	for _, tc := range []struct{ in, want string }{
		{`{"closeusd":1.5,"x":1}`, `{"CloseUSD":1.5,"x":1}`},
		{`{"dt":"a","DT_":"b"}`, `{"dt__":"a","dt_":"b"}`},
		{`{"DT":"a"}`, `{"dt_":"a"}`},
		{`{"":1,"_":2}`, `{"__":1,"_":2}`},
		{`{"s":"a\"b\u00e9","n":[1,{"dt":2}]}`, ``}, // nothing to rename
	} {
		fields, ok := eventjson.ScanObject([]byte(tc.in), nil)
		if !ok {
			t.Fatalf("%s is not an object", tc.in)
		}
		var k keyMap
		k.set(fields, sc, "")
		got := ""
		if k.renamed {
			got = string(appendRenamed(nil, fields, k.names))
		}
		if got != tc.want {
			t.Errorf("%s renamed: %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestEvolveTwoSinksRace: two sinks of one table add the same column with
// different types at once; the catalog takes one, and both then check
// records against it.
func TestEvolveTwoSinksRace(t *testing.T) {
	ctx := context.Background()
	for round := range 5 {
		fc, err := catalog.OpenFileCatalog(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		cat := catalog.New(fc)
		opts := func() *SinkOptions {
			o, err := (&SinkOptions{Bucket: "b", Catalog: cat}).withDefaults()
			if err != nil {
				t.Fatal(err)
			}
			return &o
		}
		a, b := newSinkTable(opts()), newSinkTable(opts())
		var wg sync.WaitGroup
		var sa, sb *tableSchema
		var errA, errB error
		wg.Go(func() {
			sa, errA = a.evolve(ctx, []catalog.Column{{Name: "x", Type: "bigint"}, {Name: "a", Type: "date"}})
		})
		wg.Go(func() {
			sb, errB = b.evolve(ctx, []catalog.Column{{Name: "X", Type: "string"}, {Name: "b", Type: "boolean"}})
		})
		wg.Wait()
		if err := errors.Join(errA, errB); err != nil {
			t.Fatal(err)
		}
		tbl, err := cat.GetTable(ctx, catalog.Database, Topic)
		if err != nil {
			t.Fatal(err)
		}
		want := fmt.Sprint(tbl.Columns)
		// The later one sees both; the earlier one, its own columns at least,
		// with the catalog's type for x.
		x := sa.cols[sa.byLower["x"]].typ
		if x != sb.cols[sb.byLower["x"]].typ || len(tbl.Columns) != 3 || !strings.Contains(want, "{x ") && !strings.Contains(want, "{X ") {
			t.Fatalf("round %d: sinks see x as %s and %s, the catalog has %s", round, x, sb.cols[sb.byLower["x"]].typ, want)
		}
		if got := fmt.Sprint(b.schema(ctx).columns()); len(sb.cols) == 3 && got != want {
			t.Errorf("round %d: sink b's schema %s, catalog %s", round, got, want)
		}
		if tbl.PartitionKeys[0].Name != PartitionKey || tbl.Location != "s3://b/"+Topic+"/" || tbl.Format != catalog.FormatJSON {
			t.Errorf("round %d: the table the sink made: %+v", round, tbl)
		}
	}
}

// ticks are n synthetic ticks as the sink reads them.
func ticks(n int) []*kgo.Record {
	src := NewSynthetic(1)
	ev := Event{Names: src.Columns()}
	var recs []*kgo.Record
	for i := range n {
		sym, vals, _ := src.Next()
		ev.Symbol, ev.TS, ev.Seq, ev.Values = sym, time.Unix(1_700_000_000, int64(i)*1e6).UTC(), int64(i), vals
		recs = append(recs, &kgo.Record{Value: ev.AppendJSON(nil), Timestamp: ev.TS})
	}
	return recs
}

// BenchmarkDecodeRecord is the sink's work on a typical tick before it is
// placed, on one core: "header" checks it as an event of ours (DecodeHeader,
// what the sink did before records were data), "object" checks that a table
// can hold its JSON (Decoder.Object), "checked" adds checking every value
// against its column and finding its partition (decodeOne, the sink's work
// now). The difference of the last two is what enforcing the schema costs.
// cpu-ns/op is the CPU time of the benchmark's own thread (Linux), steadier
// than ns/op on a shared machine.
func BenchmarkDecodeRecord(b *testing.B) {
	recs := ticks(1024)
	sc := newTableSchema([]catalog.Column{{Name: "symbol", Type: "string"}, {Name: "ts", Type: "timestamp"},
		{Name: "seq", Type: "bigint"}, {Name: "price", Type: "double"}, {Name: "bid", Type: "double"},
		{Name: "ask", Type: "double"}, {Name: "size", Type: "bigint"}, {Name: "volume", Type: "bigint"}}, nil)
	s := &Sink{opts: DefaultSinkOptions}
	b.Run("header", func(b *testing.B) {
		var dec eventjson.Decoder
		defer cpuPerOp(b)()
		for i := 0; b.Loop(); i++ {
			if _, err := dec.Header(recs[i%len(recs)].Value); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("object", func(b *testing.B) {
		var dec eventjson.Decoder
		var fields []eventjson.Field
		defer cpuPerOp(b)()
		for i := 0; b.Loop(); i++ {
			var err error
			if fields, _, err = dec.Object(recs[i%len(recs)].Value, fields[:0]); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, timeField := range []string{"", "ts"} {
		name := "checked"
		if timeField != "" {
			name += "/time-field"
		}
		s.opts.TimeField = timeField
		b.Run(name, func(b *testing.B) {
			var dw decodeWorker
			var d decoded
			b.ReportAllocs()
			defer cpuPerOp(b)()
			for i := 0; b.Loop(); i++ {
				dw.flat = dw.flat[:0]
				s.decodeOne(&dw, recs[i%len(recs)], sc, &d)
				if d.err != nil || d.pending {
					b.Fatalf("%s: %v, pending %v", recs[i%len(recs)].Value, d.err, d.pending)
				}
			}
		})
	}
}

// cpuPerOp locks the benchmark to its thread and returns what reports the
// thread's CPU time per op, to defer.
func cpuPerOp(b *testing.B) func() {
	runtime.LockOSThread()
	start := threadCPU()
	return func() {
		if used := threadCPU() - start; used > 0 {
			b.ReportMetric(float64(used.Nanoseconds())/float64(b.N), "cpu-ns/op")
		}
		runtime.UnlockOSThread()
	}
}

func TestDecodeRecordAllocs(t *testing.T) {
	r := ticks(1)[0]
	sc := newTableSchema([]catalog.Column{{Name: "symbol", Type: "string"}, {Name: "ts", Type: "timestamp"}, {Name: "seq", Type: "bigint"}}, nil)
	s := &Sink{opts: DefaultSinkOptions}
	var dw decodeWorker
	var d decoded
	s.decodeOne(&dw, r, sc, &d)
	if d.err != nil || !d.pending {
		t.Fatalf("a tick with columns the table lacks: %v, pending %v; want pending", d.err, d.pending)
	}
	sc = newTableSchema(InferJSONLines(r.Value), sc)
	if n := testing.AllocsPerRun(100, func() {
		dw.flat = dw.flat[:0]
		s.decodeOne(&dw, r, sc, &d)
	}); n != 0 || d.err != nil || d.pending {
		t.Fatalf("checking a tick of the table's keys: %v allocations, %v, pending %v; want none", n, d.err, d.pending)
	}
	s.decodeOne(&dw, &kgo.Record{Value: []byte(`{"price":"abc"}`)}, newTableSchema([]catalog.Column{{Name: "price", Type: "double"}}, nil), &d)
	if d.err == nil || d.err.Error() != `price: "abc" is not a double` {
		t.Fatalf(`{"price":"abc"} in a double column: %v`, d.err)
	}
}

// FuzzSinkRecord checks any record the way the sink does (decodeOne, then
// admit if it must), against a table of every checked type: it never
// panics; a record it takes has a partition in the years 1..9999 and every
// field with a value in a column it fits, under the column's spelling; a
// record it renames is still one JSON object of as many members, none
// hidden (empty, or the partition key in any case).
func FuzzSinkRecord(f *testing.F) {
	for _, s := range []string{`{"s":"x","n":1,"d":1.5,"b":true,"day":"2024-01-02","t":"2024-01-02T03:04:05Z"}`,
		`{"dt":1,"DT_":2,"":3,"S":"y"}`, `{"n":"abc"}`, `{"t":1700000000}`, `{"s":"\ud83d\ude00","x":[1,{"dt":2}]}`,
		`{"n":1e400}`, `{"s":"\ud800"}`, `{"day":"2024-01-02T00:00:00"}`, `{"D":"2024-02-30"}`} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	sc := newTableSchema([]catalog.Column{{Name: "s", Type: "string"}, {Name: "n", Type: "bigint"}, {Name: "d", Type: "double"},
		{Name: "b", Type: "boolean"}, {Name: "day", Type: "date"}, {Name: "t", Type: "timestamp"}, {Name: "dt_", Type: "string"}}, nil)
	f.Fuzz(func(t *testing.T, value []byte, timeField bool) {
		o, err := (&SinkOptions{Bucket: "b"}).withDefaults()
		if err != nil {
			t.Fatal(err)
		}
		if timeField {
			o.TimeField = "t"
		}
		s := &Sink{opts: o, table: newSinkTable(&o)}
		s.table.cur.Store(sc)
		var dw decodeWorker
		var d decoded
		r := &kgo.Record{Value: value, Timestamp: time.Unix(1_700_000_000, 0)}
		s.decodeOne(&dw, r, sc, &d)
		if d.err == nil && d.pending {
			if err := s.admit(t.Context(), r, &d); err != nil {
				t.Fatal(err)
			}
		}
		if d.err != nil {
			return
		}
		sc := s.table.cur.Load()
		line := value
		if d.line != nil {
			line = d.line
		}
		fields, ok := eventjson.ScanObject(line, nil)
		if !ok {
			t.Fatalf("%q stored as %q, which is not one JSON object", value, line)
		}
		orig, _ := eventjson.ScanObject(value, nil)
		if len(fields) != len(orig) {
			t.Fatalf("%q stored as %q: %d members, had %d", value, line, len(fields), len(orig))
		}
		for _, f := range fields {
			if len(f.Name) == 0 || strings.EqualFold(string(f.Name), PartitionKey) {
				t.Fatalf("%q stored as %q: a member named %q is hidden", value, line, f.Name)
			}
			switch i := sc.lookup(f.Name, new([]byte)); {
			case i < 0 && f.Kind != 'n':
				t.Fatalf("%q taken, but %s has no column", value, f.Name)
			case i >= 0 && fits(sc.cols[i].check, &f.Value) != fitsColumn:
				t.Fatalf("%q taken, but %s does not fit its %s column", value, f.Name, sc.cols[i].typ)
			case i >= 0 && string(f.Name) != sc.cols[i].name:
				t.Fatalf("%q stored as %q: %s is not under its column's spelling %s", value, line, f.Name, sc.cols[i].name)
			}
		}
		if y := time.Unix(d.day*86400, 0).UTC().Year(); y < 1 || y > 9999 {
			t.Fatalf("%q partitioned in the year %d", value, y)
		}
	})
}

// TestSchemaFollowsATypeChangedOnPurpose: a column's type changed in the
// catalog on purpose (double to string) is what records are checked against
// once the sink reads the catalog again, and records checked before are
// checked again (narrowed); a widening is no such change.
func TestSchemaFollowsATypeChangedOnPurpose(t *testing.T) {
	ctx := context.Background()
	fc, err := catalog.OpenFileCatalog(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cat := catalog.New(fc)
	o, err := (&SinkOptions{Bucket: "b", Catalog: cat}).withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	tbl := newSinkTable(&o)
	tbl.ttl = 0 // read the catalog every time
	before, err := tbl.evolve(ctx, []catalog.Column{{Name: "price", Type: "double"}, {Name: "n", Type: "bigint"}})
	if err != nil {
		t.Fatal(err)
	}
	retype := func(col, typ string) {
		t.Helper()
		err := cat.ModifyTable(ctx, catalog.Database, Topic, func(tb *catalog.Table) (*catalog.Table, error) {
			for i := range tb.Columns {
				if tb.Columns[i].Name == col {
					tb.Columns[i].Type = typ
				}
			}
			return tb, nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	abc := []eventjson.Field{{Name: []byte("price"), Value: *value(t, `"abc"`)}}
	var k keyMap
	k.set(abc, before, "")
	if _, err := k.check(abc, before); err == nil {
		t.Fatal(`"abc" fits a double column`)
	}
	retype("n", "double") // a widening
	if sc := tbl.schema(ctx); sc.narrowed != before.narrowed {
		t.Fatalf("a widening counted as a change on purpose")
	}
	retype("price", "string")
	after := tbl.schema(ctx)
	if after.narrowed == before.narrowed || after.cols[after.byLower["price"]].typ != "string" {
		t.Fatalf("after the change: price %s, narrowed %d (was %d)", after.cols[after.byLower["price"]].typ, after.narrowed, before.narrowed)
	}
	k.set(abc, after, "")
	if pending, err := k.check(abc, after); err != nil || pending {
		t.Fatalf(`"abc" in the string column: %v, pending %v`, err, pending)
	}
}
