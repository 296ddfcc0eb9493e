package pipeline

import (
	"bytes"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"pipeline/internal/eventjson"

	"github.com/parquet-go/parquet-go"
)

// encodeEvents runs JSON events through a parquetBatch, as the sink does, and
// reads the file back: its columns (name:type) and rows.
func encodeEvents(t *testing.T, lines ...string) (cols []string, rows []map[string]any) {
	t.Helper()
	var b parquetBatch
	var fields []eventjson.Field
	for _, l := range lines {
		var err error
		if _, fields, err = eventjson.DecodeFields([]byte(l), fields[:0]); err != nil {
			t.Fatalf("eventjson.DecodeFields(%s): %v", l, err)
		}
		b.add(fields, len(l))
	}
	out, err := b.encode(nil, parquetCodecs[DefaultSinkOptions.Compression])
	if err != nil {
		t.Fatal(err)
	}
	f, err := parquet.OpenFile(bytes.NewReader(out), int64(len(out)))
	if err != nil {
		t.Fatal(err)
	}
	if f.NumRows() != int64(len(lines)) {
		t.Fatalf("%d rows in the file, want %d", f.NumRows(), len(lines))
	}
	for _, fl := range f.Schema().Fields() {
		cols = append(cols, fl.Name()+":"+parquetColumnType(fl))
	}
	r := parquet.NewReader(bytes.NewReader(out))
	for range lines {
		row := map[string]any{}
		if err := r.Read(&row); err != nil {
			t.Fatal(err)
		}
		rows = append(rows, row)
	}
	return cols, rows
}

// TestParquetBatchTypes: columns keep first-seen order and are typed by the
// crawler's rules over the whole batch; every value reads back as written.
func TestParquetBatchTypes(t *testing.T) {
	cols, rows := encodeEvents(t,
		`{"symbol":"A","ts":"2026-01-02T03:04:05.678Z","seq":0,"n":1,"d":"2020-01-01","x":"2020-01-01","big":1,"flag":true,"obj":{"a":[1,2]},"esc":"a\"b\u00e9","t2":"2026-01-02 03:04:05"}`,
		`{"symbol":"B","ts":"2026-01-02T03:04:06Z","seq":1,"n":2.5,"d":"2020-02-29","x":"not a date","big":99999999999999999999,"Flag":false,"t2":"2026-01-02T05:04:05+02:00","late":"new"}`,
		`{"symbol":"C","ts":"2026-01-02T03:04:07Z","seq":2,"n":null,"d":"2021-02-30"}`,
	)
	want := "symbol:string ts:timestamp seq:bigint n:double d:string x:string big:double flag:boolean obj:string esc:string t2:timestamp late:string"
	if got := strings.Join(cols, " "); got != want {
		t.Fatalf("columns\n got %s\nwant %s", got, want)
	}
	ms := func(s string) time.Time { tm, _ := time.Parse(time.RFC3339Nano, s); return tm.UTC() }
	checks := []struct {
		row  int
		col  string
		want any
	}{
		{0, "symbol", "A"}, {0, "seq", int64(0)}, {0, "n", 1.0}, {1, "n", 2.5}, {2, "n", nil},
		{0, "ts", ms("2026-01-02T03:04:05.678Z")},
		{2, "d", "2021-02-30"}, // not a real date: the column is string, the text kept
		{0, "d", "2020-01-01"}, {1, "x", "not a date"},
		{0, "big", 1.0}, {1, "big", 1e20},
		{0, "flag", true}, {1, "flag", false}, {2, "flag", nil},
		{0, "obj", `{"a":[1,2]}`}, {0, "esc", "a\"bé"},
		{0, "t2", ms("2026-01-02T03:04:05Z")}, {1, "t2", ms("2026-01-02T03:04:05Z")},
		{0, "late", nil}, {1, "late", "new"},
	}
	for _, c := range checks {
		got := rows[c.row][c.col]
		if ms, ok := got.(int64); ok && (c.col == "ts" || c.col == "t2") { // the reader's map holds the raw millis
			got = time.UnixMilli(ms).UTC()
		}
		if got != c.want {
			t.Errorf("row %d %s = %#v, want %#v", c.row, c.col, got, c.want)
		}
	}
}

// TestParquetBatchReuse: a batch reset after encoding starts a new file with
// its own columns.
func TestParquetBatchReuse(t *testing.T) {
	var b parquetBatch
	var fields []eventjson.Field
	add := func(l string) {
		var err error
		if _, fields, err = eventjson.DecodeFields([]byte(l), fields[:0]); err != nil {
			t.Fatal(err)
		}
		b.add(fields, len(l))
	}
	add(`{"symbol":"A","ts":"2026-01-02T03:04:05Z","seq":0,"old":1}`)
	if _, err := b.encode(nil, parquetCodecs[DefaultSinkOptions.Compression]); err != nil {
		t.Fatal(err)
	}
	b.reset()
	add(`{"symbol":"B","ts":"2026-01-02T03:04:05Z","seq":1,"price":1.5e300}`)
	out, err := b.encode(nil, parquetCodecs[DefaultSinkOptions.Compression])
	if err != nil {
		t.Fatal(err)
	}
	f, err := parquet.OpenFile(bytes.NewReader(out), int64(len(out)))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, fl := range f.Schema().Fields() {
		names = append(names, fl.Name())
	}
	if got := strings.Join(names, ","); got != "symbol,ts,seq,price" || f.NumRows() != 1 {
		t.Fatalf("second file: columns %s, %d rows; want symbol,ts,seq,price and 1 row", got, f.NumRows())
	}
	row := map[string]any{}
	if err := parquet.NewReader(bytes.NewReader(out)).Read(&row); err != nil {
		t.Fatal(err)
	}
	if p, _ := row["price"].(float64); p != 1.5e300 {
		t.Errorf("price 1.5e300 read back as %v", row["price"])
	}
}

// BenchmarkParquetBatch gathers 100,000 synthetic ticks into a Parquet batch
// and encodes it, as the sink does for one object, with each codec; ns/op is
// per tick, and bytes/tick what the object holds.
func BenchmarkParquetBatch(b *testing.B) {
	src := NewSynthetic(1)
	ev := Event{Names: src.Columns()}
	var lines [][]byte
	for i := range 100_000 {
		sym, vals, _ := src.Next()
		ev.Symbol, ev.TS, ev.Seq, ev.Values = sym, time.Unix(1_700_000_000, int64(i)*1e6).UTC(), int64(i), vals
		lines = append(lines, ev.AppendJSON(nil))
	}
	for _, codec := range ParquetCompressions {
		b.Run(codec, func(b *testing.B) {
			var pb parquetBatch
			var fields []eventjson.Field
			stored := 0
			b.ReportAllocs()
			for done := 0; done < b.N; {
				pb.reset()
				for _, l := range lines[:min(len(lines), b.N-done)] {
					var err error
					if _, fields, err = eventjson.DecodeFields(l, fields[:0]); err != nil {
						b.Fatal(err)
					}
					pb.add(fields, len(l))
					done++
				}
				out, err := pb.encode(nil, parquetCodecs[codec])
				if err != nil {
					b.Fatal(err)
				}
				stored += len(out)
			}
			b.ReportMetric(float64(stored)/float64(b.N), "bytes/tick")
		})
	}
}

// TestParquetBatchIsSmall checks what a user of Athena pays for, bytes
// scanned: a day of synthetic ticks as Parquet is under a ninth of its JSON
// lines (symbols dictionary-encoded, integers and times delta-encoded, zstd).
func TestParquetBatchIsSmall(t *testing.T) {
	src := NewSynthetic(1)
	ev := Event{Names: src.Columns()}
	var pb parquetBatch
	var fields []eventjson.Field
	in := 0
	for i := range 100_000 {
		sym, vals, _ := src.Next()
		ev.Symbol, ev.TS, ev.Seq, ev.Values = sym, time.Unix(1_700_000_000, int64(i)*1e5).UTC(), int64(i/20), vals
		l := ev.AppendJSON(nil)
		in += len(l)
		var err error
		if _, fields, err = eventjson.DecodeFields(l, fields[:0]); err != nil {
			t.Fatal(err)
		}
		pb.add(fields, len(l))
	}
	out, err := pb.encode(nil, parquetCodecs[DefaultSinkOptions.Compression])
	if err != nil {
		t.Fatal(err)
	}
	if len(out)*9 > in {
		t.Errorf("Parquet %d bytes for %d bytes of JSON lines (%.1fx): want under a ninth", len(out), in, float64(in)/float64(len(out)))
	}
}

// TestParseDecimalMatchesParseFloat checks the quick path for prices against
// strconv on edge cases and on random decimals: same value, same sign of
// zero, and a refusal (not a wrong value) for what it does not take.
func TestParseDecimalMatchesParseFloat(t *testing.T) {
	cases := []string{"0", "-0", "0.0", "-0.0", "187.23", "-187.23", "1", "0.1", "0.3", "123456789012345",
		"1234567890123456", "99999999999999.9", "0.000000000000001", "1e5", "1.", ".5", "-", "", "1.2.3", "+1", "00.5",
		"9007199254740993", "4.35", "1.005", "2.675"}
	rng := rand.New(rand.NewPCG(3, 4))
	for range 100_000 {
		digits := 1 + rng.IntN(15)
		s := strconv.FormatUint(rng.Uint64()%uint64(math.Pow10(digits)), 10)
		if k := rng.IntN(len(s) + 1); k > 0 && k < len(s) {
			s = s[:k] + "." + s[k:]
		}
		if rng.IntN(2) == 0 {
			s = "-" + s
		}
		cases = append(cases, s)
	}
	for _, s := range cases {
		got, ok := parseDecimal([]byte(s))
		if !ok {
			continue
		}
		want, err := strconv.ParseFloat(s, 64)
		if err != nil || math.Float64bits(got) != math.Float64bits(want) {
			t.Fatalf("parseDecimal(%q) = %v, ParseFloat = %v (%v)", s, got, want, err)
		}
	}
	for _, s := range []string{"187.23", "-0.5", "42"} {
		if _, ok := parseDecimal([]byte(s)); !ok {
			t.Errorf("parseDecimal(%q) refused a plain decimal", s)
		}
	}
}
