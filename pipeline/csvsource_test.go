package pipeline

import (
	"bytes"
	"encoding/binary"
	"encoding/csv"
	"encoding/json"
	"io"
	"log"
	"maps"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"pipeline/internal/eventjson"
)

// Real files, shared by the project (see shared/data/README.md).
const (
	indexCSV = "indexProcessed.csv"
	dhrCSV   = "DHR_data.csv"
)

// sharedData is the path of a file of the project's shared data: the folder
// shared/data beside the repository (../shared/data from its root), or beside
// the folder of worktrees the repository is checked out in. It skips the test
// if the file is absent.
func sharedData(t testing.TB, name string) string {
	t.Helper()
	for _, up := range []string{"../..", "../../.."} {
		p := filepath.Join(up, "shared", "data", name)
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	t.Skipf("shared data %s is absent", name)
	return ""
}

func openRealCSV(t testing.TB, name string, opts *CSVOptions) *CSVSource {
	t.Helper()
	s, err := OpenCSV(sharedData(t, name), opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func csvFixture(name string) string { return filepath.Join("testdata", "csv", name) }

func TestCSVRealDHR(t *testing.T) {
	s := openRealCSV(t, dhrCSV, nil)
	if s.Rows() != 1241 {
		t.Errorf("Rows() = %d, want 1241", s.Rows())
	}
	if want := map[string]int64{"missing value in open": 2}; !maps.Equal(s.Skipped(), want) {
		t.Errorf("Skipped() = %v, want %v", s.Skipped(), want)
	}
	wantNames := []string{"date", "open", "high", "low", "close", "volume", "name"}
	wantKinds := []Kind{KindString, KindFloat, KindFloat, KindFloat, KindFloat, KindInt, KindString}
	if !slices.Equal(s.Columns(), wantNames) || !slices.Equal(s.Kinds(), wantKinds) {
		t.Errorf("columns %q kinds %v, want %q %v", s.Columns(), s.Kinds(), wantNames, wantKinds)
	}
	sym, vals, _ := s.Next()
	if sym != "DHR" || vals[6] != String("DHR") {
		t.Errorf("symbol %q, name %v, want DHR", sym, vals[6])
	}
}

func TestCSVRealIndex(t *testing.T) {
	s := openRealCSV(t, indexCSV, &CSVOptions{Order: OrderReplay})
	if s.Rows() != 104224 || len(s.Skipped()) != 0 {
		t.Errorf("Rows() = %d, Skipped() = %v, want 104224 and none", s.Rows(), s.Skipped())
	}
	wantNames := []string{"index", "date", "open", "high", "low", "close", "adj_close", "volume", "closeusd"}
	wantKinds := []Kind{KindString, KindString, KindFloat, KindFloat, KindFloat, KindFloat, KindFloat, KindInt, KindFloat}
	if !slices.Equal(s.Columns(), wantNames) || !slices.Equal(s.Kinds(), wantKinds) {
		t.Errorf("columns %q kinds %v, want %q %v", s.Columns(), s.Kinds(), wantNames, wantKinds)
	}
	counts := map[string]int{}
	var first, prev string
	var maxVolume int64
	for i := range s.Rows() {
		sym, vals, _ := s.Next()
		counts[sym]++
		if vals[0].Str != sym {
			t.Fatalf("row %d: index %v, symbol %q", i, vals[0], sym)
		}
		date := vals[1].Str
		if date < prev {
			t.Fatalf("row %d: %s after %s: replay is not in time order", i, date, prev)
		}
		if i == 0 {
			first = date
		}
		prev = date
		maxVolume = max(maxVolume, vals[7].Int)
	}
	if len(counts) != 13 || counts["000001.SS"] != 5791 || counts["NYA"] != 13947 {
		t.Errorf("symbols %v, want 13 with 000001.SS 5791 and NYA 13947", counts)
	}
	if first != "1965-01-05" || prev != "2021-06-03" {
		t.Errorf("dates %s..%s, want 1965-01-05..2021-06-03", first, prev)
	}
	if maxVolume <= math.MaxUint32 {
		t.Errorf("largest volume %d, want one above 2^32", maxVolume)
	}
	if _, vals, _ := s.Next(); vals[1].Str != first {
		t.Errorf("after the last row came %s, want the first again (%s)", vals[1].Str, first)
	}
}

func TestCSVFixtures(t *testing.T) {
	for _, tc := range []struct {
		file    string
		opts    CSVOptions
		names   []string
		kinds   []Kind
		skipped map[string]int64
		replay  []string // symbols of the first ticks, in replay order
		first   []Value  // values of the first replayed row
	}{
		{
			file:  "bom_crlf_quoted.csv",
			opts:  CSVOptions{Order: OrderReplay},
			names: []string{"ticker", "trade_date", "open", "close", "note"},
			kinds: []Kind{KindString, KindString, KindFloat, KindFloat, KindString},
			// Stable: rows of the same day keep the file's order.
			replay: []string{"BRK.B", "AAPL", "BRK.B", "AAPL", "BRK.B"},
			first:  []Value{String("BRK.B"), String("2021-03-01"), Float(250.5), Float(252.1), String("split, adjusted")},
		},
		{
			file:    "nulls_ms_blank.csv",
			opts:    CSVOptions{Order: OrderReplay},
			names:   []string{"timestamp", "price", "size", "exchange"},
			kinds:   []Kind{KindString, KindFloat, KindInt, KindString},
			skipped: map[string]int64{"missing value in price": 1},
			replay:  []string{"MSFT", "AAPL", "BRK.B", "MSFT"},
			first:   []Value{String("2015-09-23T20:57:40.999"), Float(43.9), Int(300), String("NASDAQ")},
		},
		{
			file:    "bad_rows.csv",
			opts:    CSVOptions{Order: OrderReplay},
			names:   []string{"date", "open", "high", "low", "close", "volume", "name"},
			kinds:   []Kind{KindString, KindFloat, KindFloat, KindFloat, KindFloat, KindInt, KindString},
			skipped: map[string]int64{"wrong number of fields": 1, "empty symbol": 1, "repeated header": 1, "missing value in open": 1, "unparsable time in date": 1},
			replay:  []string{"DHR", "DHR", "DHR"},
		},
		{
			file:    "bad_rows.csv",
			opts:    CSVOptions{Order: OrderSample},
			names:   []string{"date", "open", "high", "low", "close", "volume", "name"},
			kinds:   []Kind{KindString, KindFloat, KindFloat, KindFloat, KindFloat, KindInt, KindString},
			skipped: map[string]int64{"wrong number of fields": 1, "empty symbol": 1, "repeated header": 1, "missing value in open": 1},
		},
		{
			file:   "leading_zeros.csv",
			opts:   CSVOptions{Order: OrderReplay},
			names:  []string{"index", "date", "open", "close", "adj_close", "volume", "closeusd"},
			kinds:  []Kind{KindString, KindString, KindFloat, KindFloat, KindFloat, KindInt, KindFloat},
			replay: []string{"000001.SS", "399001.SZ", "000001.SS"},
			first:  []Value{String("000001.SS"), String("1997-07-02"), Float(1199.060059), Float(1199.060059), Float(1199.060059), Int(1495365300), Float(185.75)},
		},
		{
			file:   "unix_ms_semicolon.csv",
			opts:   CSVOptions{Order: OrderReplay},
			names:  []string{"ts_csv", "ticker", "price", "qty"},
			kinds:  []Kind{KindString, KindString, KindFloat, KindInt},
			replay: []string{"MSFT", "AAPL", "AAPL", "MSFT"},
			first:  []Value{String("1442985461000"), String("MSFT"), Float(43.9), Int(200)},
		},
		{
			file:  "no_time.csv",
			names: []string{"name", "open", "close"},
			kinds: []Kind{KindString, KindInt, KindInt},
		},
	} {
		t.Run(tc.file+"/"+string(tc.opts.Order), func(t *testing.T) {
			s, err := OpenCSV(csvFixture(tc.file), &tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(s.Columns(), tc.names) || !slices.Equal(s.Kinds(), tc.kinds) {
				t.Errorf("columns %q kinds %v, want %q %v", s.Columns(), s.Kinds(), tc.names, tc.kinds)
			}
			if got := s.Skipped(); !maps.Equal(got, tc.skipped) && len(got)+len(tc.skipped) > 0 {
				t.Errorf("Skipped() = %v, want %v", got, tc.skipped)
			}
			var skipped int64
			for _, n := range tc.skipped {
				skipped += n
			}
			if got, want := int64(s.Rows())+skipped, int64(csvDataLines(t, csvFixture(tc.file))); got != want {
				t.Errorf("%d rows + %d skipped, want %d data lines", s.Rows(), skipped, want)
			}
			for i, want := range tc.replay {
				sym, vals, err := s.Next()
				if err != nil {
					t.Fatal(err)
				}
				if sym != want {
					t.Errorf("tick %d: symbol %q, want %q", i, sym, want)
				}
				if i == 0 && tc.first != nil && !slices.Equal(vals, tc.first) {
					t.Errorf("first row %v, want %v", vals, tc.first)
				}
			}
		})
	}
}

// dataLines counts the non-blank lines after the header of a file whose
// fields have no line breaks.
func csvDataLines(t *testing.T, path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	n := -1
	for line := range strings.Lines(string(b)) {
		if strings.TrimSpace(line) != "" {
			n++
		}
	}
	return n
}

func TestCSVErrors(t *testing.T) {
	for _, tc := range []struct {
		file, errMatch string
		opts           CSVOptions
	}{
		{"header_only.csv", `no usable rows in testdata/csv/header_only\.csv: it has a header line and no data`, CSVOptions{}},
		{"garbage.bin", `testdata/csv/garbage\.bin has a NUL byte \(at byte 143\), so it is not CSV text: it is binary, or UTF-16 without a byte order mark: save it as CSV \(UTF-8\)`, CSVOptions{}},
		{"_export.csv", `no symbol column in testdata/csv/_export\.csv, and its name gives no symbol: looked for a header named symbol, ticker, .*; the header is "Date", "Open", "Close": pass --symbol, or --symbol-column`, CSVOptions{}},
		{"no_time.csv", `no time column in testdata/csv/no_time\.csv, which replay order needs: .*: pass --time-column`, CSVOptions{Order: OrderReplay}},
		{"missing.csv", `open testdata/csv/missing\.csv: no such file or directory`, CSVOptions{}},
		{"bad_rows.csv", `symbol column "Ticker" is not in the header of testdata/csv/bad_rows\.csv: "date", "open", "high", "low", "close", "volume", "Name"`,
			CSVOptions{SymbolColumn: "Ticker"}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			_, err := OpenCSV(csvFixture(tc.file), &tc.opts)
			if err == nil || !regexp.MustCompile("^"+tc.errMatch+"$").MatchString(err.Error()) {
				t.Fatalf("error %v, want one matching %q", err, tc.errMatch)
			}
		})
	}
	t.Run("all rows bad", func(t *testing.T) {
		data := "symbol,open,close\nA,1,\nB,NaN,2\n,1,1\nC,1\n"
		_, err := loadCSVBytes("x.csv", []byte(data), CSVOptions{})
		want := `no usable rows in x.csv: all 4 rows were skipped because: 1 empty symbol, 1 missing value in close, 1 missing value in open, 1 wrong number of fields`
		if err == nil || err.Error() != want {
			t.Fatalf("error %v, want %s", err, want)
		}
	})
	t.Run("empty", func(t *testing.T) {
		_, err := loadCSVBytes("x.csv", []byte("\ufeff\r\n\n"), CSVOptions{})
		if want := "x.csv is empty: a CSV file with a header line is needed"; err == nil || err.Error() != want {
			t.Fatalf("error %v, want %s", err, want)
		}
	})
}

func TestCSVSampleDeterministic(t *testing.T) {
	ticks := func(seed int64) []string {
		s, err := OpenCSV(csvFixture("leading_zeros.csv"), &CSVOptions{Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for range 50 {
			sym, vals, _ := s.Next()
			out = append(out, sym+" "+vals[1].Str)
		}
		return out
	}
	a, b, c := ticks(1), ticks(1), ticks(2)
	if !slices.Equal(a, b) {
		t.Errorf("seed 1 gave %v, then %v", a, b)
	}
	if slices.Equal(a, c) {
		t.Errorf("seeds 1 and 2 both gave %v", a)
	}
	seen := map[string]bool{}
	for _, d := range a {
		seen[d] = true
	}
	if len(seen) != 3 {
		t.Errorf("50 samples of 3 rows hit %v", seen)
	}
}

// checkEvent checks that the sink would take ev.
func checkSinkTakes(t *testing.T, ev *Event) {
	t.Helper()
	b := ev.AppendJSON(nil)
	if !json.Valid(b) {
		t.Fatalf("invalid JSON %s", b)
	}
	h, err := eventjson.DecodeHeader(b)
	if err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	if h.Symbol != ev.Symbol {
		t.Fatalf("symbol %q came back as %q", ev.Symbol, h.Symbol)
	}
}

var csvSQLIdent = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)

// FuzzOpenCSV loads one or two files (data2 when not empty), with the
// default record bound or a small one, and checks what any source promises:
// every record a row or a counted skip, unique SQL-safe column names, values
// of their column's kind that the sink takes.
func FuzzOpenCSV(f *testing.F) {
	// Small seeds: the fuzzer minimizes every input that finds new code, in
	// a number of runs that grows with the square of its size.
	const seedBytes = 512
	files, _ := filepath.Glob(csvFixture("*"))
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		b = b[:min(len(b), seedBytes)]
		f.Add(b, []byte(nil), false, false)
		f.Add(b, []byte(nil), true, false)
	}
	aapl, err := os.ReadFile(csvFixture("AAPL.csv"))
	if err != nil {
		f.Fatal(err)
	}
	msft, err := os.ReadFile(csvFixture("MSFT.csv"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(aapl[:300], msft[:300], true, false)
	f.Add(aapl[:300], []byte("Name,Date,Close,Note\nX,2023-01-05,\"1,234.5\",\"a\nb\"\n"), false, true)
	f.Add(gzipData(f, aapl[:300]), utf16File(string(msft[:300]), binary.LittleEndian), true, false)
	f.Add([]byte(strings.ReplaceAll(string(aapl[:300]), "\n", "\r")), xlsxFile(f), false, false)
	f.Add([]byte("symbol,price\nA,1\nB,-2\n\"C,3"), []byte(nil), false, true)
	f.Add([]byte("Ticker|ts|Price\nA|1|1.5\nA|x|1\n"), []byte(nil), true, false)
	f.Add([]byte("Date;Volume\n2024-01-02;1.234\n2024-01-03;1,5\n"), []byte("Date,Volume\n2024-01-02,\"1,234\"\n"), true, false)
	f.Fuzz(func(t *testing.T, data, data2 []byte, replay, small bool) {
		o := CSVOptions{Seed: 1}
		if replay {
			o.Order = OrderReplay
		}
		if small {
			o.MaxRecordBytes = 64
		}
		inputs := []csvInput{bytesInput("fuzz.csv", data)}
		if len(data2) > 0 {
			inputs = append(inputs, bytesInput("fuzz2.csv", data2))
		}
		s, err := loadCSV(inputs, o)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		var skipped int64
		for _, n := range s.Skipped() {
			skipped += n
		}
		if s.Rows() == 0 || int64(s.Rows())+skipped != int64(s.records) {
			t.Fatalf("%d rows + %d skipped, but %d records", s.Rows(), skipped, s.records)
		}
		names, kinds := s.Columns(), s.Kinds()
		if len(names) != len(kinds) || len(names) != len(s.cols) {
			t.Fatalf("%d names, %d kinds, %d columns", len(names), len(kinds), len(s.cols))
		}
		seen := map[string]bool{}
		for _, n := range names {
			if !csvSQLIdent.MatchString(n) || reservedName(n) || seen[n] {
				t.Fatalf("bad or repeated column name %q in %q", n, names)
			}
			seen[n] = true
		}
		for range min(s.Rows(), 20) {
			sym, vals, err := s.Next()
			if err != nil {
				t.Fatal(err)
			}
			for i, v := range vals {
				if v.Kind != kinds[i] && !v.IsNull() {
					t.Fatalf("column %s: %v, want kind %v", names[i], v, kinds[i])
				}
			}
			if !slices.Contains(names, "price") { // the sink checks a price column
				checkSinkTakes(t, &Event{Symbol: sym, TS: time.Unix(0, 0), Names: names, Values: vals})
			}
		}
	})
}

func BenchmarkOpenCSV(b *testing.B) {
	path := sharedData(b, indexCSV)
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(fi.Size())
	b.ReportAllocs()
	for b.Loop() {
		if _, err := OpenCSV(path, &CSVOptions{Order: OrderReplay}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCSVEncode(b *testing.B) {
	s := openRealCSV(b, indexCSV, nil)
	ev := Event{Names: s.Columns()}
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		ev.Symbol, ev.Values, _ = s.Next()
		buf = ev.AppendJSON(buf[:0])
	}
	b.SetBytes(int64(len(buf)))
}

// The first row of a file in time order, as the producer sends it, and the
// reasons why some rows were skipped.
func ExampleOpenCSV() {
	s, err := OpenCSV("testdata/csv/bad_rows.csv", &CSVOptions{Order: OrderReplay})
	if err != nil {
		log.Fatal(err)
	}
	sym, vals, _ := s.Next()
	ev := Event{Symbol: sym, TS: time.Date(2024, 5, 1, 9, 30, 0, 0, time.UTC), Names: s.Columns(), Values: vals}
	os.Stdout.Write(ev.AppendJSON(nil))
	os.Stdout.Write([]byte("\n"))
	for _, reason := range slices.Sorted(maps.Keys(s.Skipped())) {
		os.Stdout.WriteString(reason + "\n")
	}
	// Output:
	// {"symbol":"DHR","ts":"2024-05-01T09:30:00.000Z","seq":0,"date":"2013-02-08","open":60.15,"high":60.81,"low":60.09,"close":60.81,"volume":1532380,"name":"DHR"}
	// empty symbol
	// missing value in open
	// repeated header
	// unparsable time in date
	// wrong number of fields
}

// bytesInput is a file of data named name.
func bytesInput(name string, data []byte) csvInput {
	return csvInput{name: name, open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }}
}

// loadCSVBytes loads data as a file named name.
func loadCSVBytes(name string, data []byte, o CSVOptions) (*CSVSource, error) {
	return loadCSV([]csvInput{bytesInput(name, data)}, o)
}

// yahooRow is a row of a Yahoo-style file read independently of OpenCSV.
type yahooRow struct {
	date                             string
	open, high, low, close, adjClose float64
	volume                           int64
}

// readYahoo reads a Date,Open,High,Low,Close,Adj Close,Volume file with
// encoding/csv and strconv, leaving out the rows that are not all numbers.
func readYahoo(t *testing.T, path string) []yahooRow {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var rows []yahooRow
	for _, r := range recs[1:] {
		var x [5]float64
		var err error
		for i := range x {
			if x[i], err = strconv.ParseFloat(r[i+1], 64); err != nil {
				break
			}
		}
		v, verr := strconv.ParseInt(r[6], 10, 64)
		if err == nil && verr == nil {
			rows = append(rows, yahooRow{r[0], x[0], x[1], x[2], x[3], x[4], v})
		}
	}
	return rows
}

func TestCSVSingleStockFile(t *testing.T) {
	want := readYahoo(t, csvFixture("AAPL.csv"))
	if len(want) != 249 {
		t.Fatalf("the fixture has %d good rows, want 249", len(want))
	}
	for _, tc := range []struct {
		name   string
		opts   CSVOptions
		symbol string
	}{
		{"symbol from the file name", CSVOptions{Order: OrderReplay}, "AAPL"},
		{"symbol given", CSVOptions{Order: OrderReplay, Symbol: "AAPL.O"}, "AAPL.O"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := OpenCSV(csvFixture("AAPL.csv"), &tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			wantNames := []string{"date", "open", "high", "low", "close", "adj_close", "volume"}
			wantKinds := []Kind{KindString, KindFloat, KindFloat, KindFloat, KindFloat, KindFloat, KindInt}
			if !slices.Equal(s.Columns(), wantNames) || !slices.Equal(s.Kinds(), wantKinds) {
				t.Fatalf("columns %q kinds %v, want %q %v", s.Columns(), s.Kinds(), wantNames, wantKinds)
			}
			// Yahoo writes null in every value of a day it has no prices for.
			if got := s.Skipped(); !maps.Equal(got, map[string]int64{"missing value in open": 1}) {
				t.Errorf("Skipped() = %v", got)
			}
			if s.Rows() != len(want) {
				t.Fatalf("%d rows, want %d", s.Rows(), len(want))
			}
			for i, w := range want {
				sym, v, _ := s.Next()
				got := yahooRow{v[0].Str, v[1].Float, v[2].Float, v[3].Float, v[4].Float, v[5].Float, v[6].Int}
				if sym != tc.symbol || got != w {
					t.Fatalf("row %d: %s %+v, want %s %+v", i, sym, got, tc.symbol, w)
				}
			}
			wantSummary := "source: 1 file, 249 rows, 1 symbol; symbol from the file name: AAPL (testdata/csv/AAPL.csv)"
			if tc.opts.Symbol != "" {
				wantSummary = "source: 1 file, 249 rows, 1 symbol"
			}
			if got := s.Summary(); got != wantSummary {
				t.Errorf("Summary() = %q, want %q", got, wantSummary)
			}
			if got, want := s.SkipReport(), "skipped 1 bad row of testdata/csv/AAPL.csv (1 missing value in open)"; got != want {
				t.Errorf("SkipReport() = %q, want %q", got, want)
			}
		})
	}
}

// TestCSVRealSingleStock reads the shared DHR file without its Name column,
// as a single-stock download: the same rows, with the symbol of its name.
func TestCSVRealSingleStock(t *testing.T) {
	path := sharedData(t, dhrCSV)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var noName strings.Builder
	for line := range strings.Lines(string(b)) {
		line = strings.TrimRight(line, "\r\n")
		noName.WriteString(line[:strings.LastIndexByte(line, ',')] + "\n")
	}
	single := filepath.Join(t.TempDir(), "DHR_data.csv")
	if err := os.WriteFile(single, []byte(noName.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	orig := openRealCSV(t, dhrCSV, &CSVOptions{Order: OrderReplay})
	s, err := OpenCSV(single, &CSVOptions{Order: OrderReplay})
	if err != nil {
		t.Fatal(err)
	}
	if s.Rows() != 1241 || !maps.Equal(s.Skipped(), orig.Skipped()) {
		t.Fatalf("%d rows, skipped %v; want 1241, %v", s.Rows(), s.Skipped(), orig.Skipped())
	}
	for i := range s.Rows() {
		sym, v, _ := s.Next()
		wantSym, want, _ := orig.Next()
		if sym != wantSym || !slices.Equal(v, want[:len(want)-1]) {
			t.Fatalf("row %d: %s %v, want %s %v", i, sym, v, wantSym, want)
		}
	}
}
