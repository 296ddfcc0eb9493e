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

func TestSQLName(t *testing.T) {
	long := strings.Repeat("ab ", 100)
	for _, tc := range []struct {
		in   string
		i    int
		want string
	}{
		{"Adj Close", 0, "adj_close"},
		{"CloseUSD", 0, "closeusd"},
		{"  Date ", 0, "date"},
		{"Index", 0, "index"},
		{"52 Week High", 0, "col_52_week_high"},
		{"%Chg (1d)", 0, "chg_1d"},
		{"__x__y__", 0, "x_y"},
		{"Prix (€)", 0, "prix"},
		{"代码", 4, "col_5"},
		{"", 2, "col_3"},
		{"---", 0, "col_1"},
		{"BRK.B", 0, "brk_b"},
		{long, 0, strings.TrimRight(strings.Repeat("ab_", 43), "_")[:128]},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got := sqlName(tc.in, tc.i)
			if got != tc.want {
				t.Errorf("sqlName(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestColumnNames(t *testing.T) {
	for _, tc := range []struct {
		name   string
		header []string
		symbol int
		want   []string
	}{
		{"index file", []string{"Index", "Date", "Open", "High", "Low", "Close", "Adj Close", "Volume", "CloseUSD"}, 0,
			[]string{"index", "date", "open", "high", "low", "close", "adj_close", "volume", "closeusd"}},
		{"symbol column not repeated", []string{"Symbol", "Date", "Close"}, 0, []string{"date", "close"}},
		{"event fields renamed", []string{"Ticker", "ts", "Seq", "Symbol"}, 0, []string{"ticker", "ts_csv", "seq_csv", "symbol_csv"}},
		{"duplicates numbered", []string{"Name", "Close", "close", "CLOSE", "Close_2"}, 0, []string{"name", "close", "close_2", "close_3", "close_2_2"}},
		{"empty names", []string{"sym", "", ""}, 0, []string{"sym", "col_2", "col_3"}},
		{"renamed twice", []string{"code", "ts", "ts_csv"}, 0, []string{"code", "ts_csv", "ts_csv_2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			names := make([]string, len(tc.header))
			for i, h := range tc.header {
				names[i] = sqlName(h, i)
			}
			got, fields := columnNames(names, tc.symbol)
			if !slices.Equal(got, tc.want) {
				t.Errorf("columnNames(%q) = %q, want %q", tc.header, got, tc.want)
			}
			if len(fields) != len(got) {
				t.Errorf("%d fields for %d names", len(fields), len(got))
			}
		})
	}
}

func TestCSVDetectColumns(t *testing.T) {
	for _, tc := range []struct {
		name     string
		header   string
		opts     CSVOptions
		symbol   string // header of the symbol column
		time     string // header of the time column, "" for none
		errMatch string // regexp of the error, "" for none
	}{
		{"index file", "Index,Date,Open,Close", CSVOptions{}, "Index", "Date", ""},
		{"dhr file", "date,open,close,volume,Name", CSVOptions{}, "Name", "date", ""},
		{"symbol preferred to name", "Name,Symbol,Timestamp,Price", CSVOptions{}, "Symbol", "Timestamp", ""},
		{"ticker preferred to index", "index,ticker,price", CSVOptions{}, "ticker", "", ""},
		{"date preferred to time", "time,date,sym,price", CSVOptions{}, "sym", "date", ""},
		{"case and spaces", " SYMBOL , Trade Date ,x", CSVOptions{}, " SYMBOL ", " Trade Date ", ""},
		{"override as written", "Name,Issuer,Day,When,Price", CSVOptions{SymbolColumn: "issuer", TimeColumn: "WHEN"}, "Issuer", "When", ""},
		{"override by SQL name", "Name,Adj Close,Price", CSVOptions{SymbolColumn: "adj_close"}, "Adj Close", "", ""},
		{"no symbol: the file name's", "Date,Open,Close", CSVOptions{}, "", "Date", ""},
		{"no symbol: the option's", "Date,Open,Close", CSVOptions{Symbol: " BRK.B "}, "", "Date", ""},
		{"no symbol column, bad symbol", "Date,Open,Close", CSVOptions{Symbol: "A\tB"},
			"", "", `symbol "A\\tB" is not one the sink takes: at most 256 bytes of UTF-8, no control characters`},
		{"symbol for a file with a symbol column", "Name,Open", CSVOptions{Symbol: "X"},
			"", "", `symbol "X" is for files without a symbol column, and x\.csv has one, "Name": leave the symbol out, or name another column`},
		{"symbol override missing", "Index,Date", CSVOptions{SymbolColumn: "Ticker"},
			"", "", `symbol column "Ticker" is not in the header of x\.csv: "Index", "Date"`},
		{"time override missing", "Index,Date", CSVOptions{TimeColumn: "When"},
			"", "", `time column "When" is not in the header of x\.csv: "Index", "Date"`},
		{"replay needs time", "Name,Open", CSVOptions{Order: OrderReplay},
			"", "", `no time column in x\.csv, which replay order needs: looked for .*date, datetime.*; the header is "Name", "Open": pass --time-column`},
		{"sample needs no time", "Name,Open", CSVOptions{Order: OrderSample}, "Name", "", ""},
		{"same column", "Name,Open", CSVOptions{TimeColumn: "name"},
			"", "", `the symbol and the time column of x\.csv are both "Name": pass another --symbol-column or --time-column`},
		{"bad order", "Name,Open", CSVOptions{Order: "random"}, "", "", `unknown order "random": use sample or replay`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := strings.Count(tc.header, ",") + 1
			row := "2021-01-04" + strings.Repeat(",2021-01-04", n-1) // every column parses as a time
			s, err := loadCSVBytes("x.csv", []byte(tc.header+"\n"+row+"\n"), tc.opts)
			if tc.errMatch != "" {
				if err == nil || !regexp.MustCompile("^"+tc.errMatch+"$").MatchString(err.Error()) {
					t.Fatalf("error %v, want one matching %q", err, tc.errMatch)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			// Look at the schema the source was built from.
			o := tc.opts
			if o.Order == "" {
				o.Order = OrderSample
			}
			header := strings.Split(tc.header, ",")
			sch, err := newSchema("x.csv", header, o)
			if err != nil {
				t.Fatal(err)
			}
			gotSymbol, wantFileSymbol := "", ""
			if sch.symbol >= 0 {
				gotSymbol = header[sch.symbol]
			} else if wantFileSymbol = strings.TrimSpace(tc.opts.Symbol); wantFileSymbol == "" {
				wantFileSymbol = "X"
			}
			if gotSymbol != tc.symbol || sch.fileSymbol != wantFileSymbol {
				t.Errorf("symbol column %q, file symbol %q; want %q, %q", gotSymbol, sch.fileSymbol, tc.symbol, wantFileSymbol)
			}
			if sym, _, _ := s.Next(); sch.symbol < 0 && sym != wantFileSymbol {
				t.Errorf("a row's symbol is %q, want %q", sym, wantFileSymbol)
			}
			gotTime := ""
			if sch.time >= 0 {
				gotTime = header[sch.time]
			}
			if gotTime != tc.time {
				t.Errorf("time column %q, want %q", gotTime, tc.time)
			}
		})
	}
}

func TestCSVTyping(t *testing.T) {
	data := `Index,Date,Open,Volume,CloseUSD,Big,Label,Empty,Count
000001.SS,1997-07-02,1199.060059,1495365300.0,185.75,99999999999999999999,x1,,7
399001.SZ,1997-07-03,4030,0.0,624.37000000000001,1,2,null,-3
600519,1997-07-04,12,1e3,1,2,3,,+4
`
	s, err := loadCSVBytes("x.csv", []byte(data), CSVOptions{Order: OrderReplay})
	if err != nil {
		t.Fatal(err)
	}
	wantNames := []string{"index", "date", "open", "volume", "closeusd", "big", "label", "empty", "count"}
	wantKinds := []Kind{KindString, KindString, KindFloat, KindInt, KindFloat, KindFloat, KindString, KindString, KindInt}
	if !slices.Equal(s.Columns(), wantNames) || !slices.Equal(s.Kinds(), wantKinds) {
		t.Fatalf("columns %q kinds %v, want %q %v", s.Columns(), s.Kinds(), wantNames, wantKinds)
	}
	want := [][]Value{
		{String("000001.SS"), String("1997-07-02"), Float(1199.060059), Int(1495365300), Float(185.75), Float(1e20), String("x1"), Null(), Int(7)},
		{String("399001.SZ"), String("1997-07-03"), Float(4030), Int(0), Float(624.37), Float(1), String("2"), Null(), Int(-3)},
		{String("600519"), String("1997-07-04"), Float(12), Int(1000), Float(1), Float(2), String("3"), Null(), Int(4)},
	}
	for i, w := range want {
		sym, got, err := s.Next()
		if err != nil {
			t.Fatal(err)
		}
		if sym != w[0].Str || !slices.Equal(got, w) {
			t.Errorf("row %d: %s %v, want %v", i, sym, got, w)
		}
	}
}

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

func TestCSVOptionalColumn(t *testing.T) {
	// dividend is missing in most rows: it is null there, not a reason to
	// skip them. price is missing in one: that row is skipped.
	data := "symbol,price,dividend\nA,1,\nA,2,\nA,,\nA,3,0.5\nA,4,null\n"
	s, err := loadCSVBytes("x.csv", []byte(data), CSVOptions{Order: OrderReplay, TimeColumn: "price"})
	if err != nil {
		t.Fatal(err)
	}
	if s.Rows() != 4 || !maps.Equal(s.Skipped(), map[string]int64{"unparsable time in price": 1}) {
		t.Fatalf("rows %d skipped %v", s.Rows(), s.Skipped())
	}
	s, err = loadCSVBytes("x.csv", []byte(data), CSVOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if s.Rows() != 4 || !maps.Equal(s.Skipped(), map[string]int64{"missing value in price": 1}) {
		t.Fatalf("rows %d skipped %v", s.Rows(), s.Skipped())
	}
	if got := s.Kinds(); !slices.Equal(got, []Kind{KindInt, KindFloat}) {
		t.Fatalf("kinds %v", got)
	}
	var nulls int
	for range 100 {
		_, vals, _ := s.Next()
		if vals[1].IsNull() {
			nulls++
		}
	}
	if nulls == 0 || nulls == 100 {
		t.Errorf("%d of 100 dividends null, want some", nulls)
	}
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

func TestParseTime(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string // RFC 3339 in UTC; "" for unparsable
	}{
		{"2006-01-02", "2006-01-02T00:00:00Z"},
		{" 2006-01-02 ", "2006-01-02T00:00:00Z"},
		{"2006-01-02 15:04:05", "2006-01-02T15:04:05Z"},
		{"2006-01-02 15:04:05.123", "2006-01-02T15:04:05.123Z"},
		{"2015-09-23T20:57:42.146", "2015-09-23T20:57:42.146Z"},
		{"2006-01-02T15:04:05Z", "2006-01-02T15:04:05Z"},
		{"2006-01-02T15:04:05+02:00", "2006-01-02T13:04:05Z"},
		{"2006-01-02T15:04:05.5-0100", "2006-01-02T16:04:05.5Z"},
		{"2006-01-02 15:04", "2006-01-02T15:04:00Z"},
		{"01/02/2006", "2006-01-02T00:00:00Z"},
		{"1/2/2006", "2006-01-02T00:00:00Z"},
		{"2006/01/02", "2006-01-02T00:00:00Z"},
		{"31.01.2024", "2024-01-31T00:00:00Z"},
		{"31.13.2024", ""},
		{"12.5", ""},
		{"1442985462", "2015-09-23T05:17:42Z"},
		{"1442985462146", "2015-09-23T05:17:42.146Z"},
		{"20150923", "2015-09-23T00:00:00Z"},
		{"", ""},
		{"not-a-date", ""},
		{"2006-13-02", ""},
		{"99999999999999999999", ""},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, ok := parseTime(tc.in)
			var s string
			if ok {
				s = got.UTC().Format(time.RFC3339Nano)
			}
			if s != tc.want {
				t.Errorf("parseTime(%q) = %q, want %q", tc.in, s, tc.want)
			}
		})
	}
}

func TestParseNumberCells(t *testing.T) {
	for _, tc := range []struct {
		in      string
		i       int64
		intOK   bool
		f       float64
		floatOK bool
	}{
		{"0", 0, true, 0, true},
		{"+5", 5, true, 5, true},
		{"-3", -3, true, -3, true},
		{"1e3", 1000, true, 1000, true},
		{"1495365300.0", 1495365300, true, 1495365300, true},
		{"9223372036854775807", math.MaxInt64, true, 9223372036854775807, true},
		{"9223372036854775808", 0, false, 9223372036854775808, true},
		{"-9223372036854775808", math.MinInt64, true, -9223372036854775808, true},
		{"1.5", 0, false, 1.5, true},
		{".5", 0, false, 0.5, true},
		{"1e400", 0, false, 0, false},
		{"--1", 0, false, 0, false},
		{"0x10", 0, false, 0, false},
		{"1_000", 0, false, 0, false},
		{"Inf", 0, false, 0, false},
		{"NaN", 0, false, 0, false},
		{"12 34", 0, false, 0, false},
		{"$5", 0, false, 0, false},
	} {
		t.Run(tc.in, func(t *testing.T) {
			i, iok := parseIntCell(tc.in)
			f, fok := parseFloatCell(tc.in)
			if i != tc.i || iok != tc.intOK || f != tc.f || fok != tc.floatOK {
				t.Errorf("parseIntCell = %d, %v; parseFloatCell = %v, %v; want %d, %v; %v, %v",
					i, iok, f, fok, tc.i, tc.intOK, tc.f, tc.floatOK)
			}
		})
	}
}

func TestSniffComma(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want rune
	}{
		{"a,b;c\n", ','},
		{"a;b;c\nx,y", ';'},
		{"\n  \r\na\tb\tc|d\n", '\t'},
		{"a|b", '|'},
		{"abc", ','},
		{"", ','},
	} {
		if got := sniffComma([]byte(tc.in)); got != tc.want {
			t.Errorf("sniffComma(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// csvFuzzSchema is the file FuzzCSVRow parses rows of:
// date,open,volume,Name,note,preis,settle: date the time column, open
// optional, volume written with thousands separators maybe, preis with a
// decimal comma, settle a time column that is not the file's.
func csvFuzzSchema(replay bool) *csvSchema {
	return &csvSchema{
		name:         "fuzz.csv",
		header:       []string{"date", "open", "volume", "Name", "note", "preis", "settle"},
		names:        []string{"date", "open", "volume", "name", "note", "preis", "settle"},
		comma:        ',',
		symbol:       3,
		time:         0,
		needTime:     replay,
		cols:         []int{0, 1, 2, 3, 4, 5, 6},
		kinds:        []Kind{KindString, KindFloat, KindInt, KindString, KindString, KindFloat, KindString},
		isTime:       []bool{true, false, false, false, false, false, true},
		decimalComma: []bool{false, false, false, false, false, true, false},
		optional:     []bool{false, true, false, false, false, false, true},
		layouts:      make([]int, 7),
	}
}

var csvSkipReason = regexp.MustCompile(`^(wrong number of fields|empty symbol|bad symbol .*|(missing value|unparsable number|unparsable time) in [a-z]+)$`)

// csvTestReader reads the records of data as csvReader does, separated by comma.
func csvTestReader(data string, comma rune) *csv.Reader {
	r := csv.NewReader(strings.NewReader(data))
	r.Comma = comma
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	return r
}

// digitsOf is the ASCII digits of s, in order.
func digitsOf(s string) string {
	return strings.Map(func(r rune) rune {
		if '0' <= r && r <= '9' {
			return r
		}
		return -1
	}, s)
}

func FuzzCSVRow(f *testing.F) {
	f.Add("2013-02-08,60.15,1532380,DHR,,\"60,15\",2013-02-11", false)
	f.Add("2016-01-12,,0,DHR,x,1,", true)
	f.Add(`"2015-09-23T20:57:42.146",null,"1,495,365,300",BRK.B,"a ""b""","1.234,5",null`, true)
	f.Add("1442985462146,NaN,1e3, AAPL ,\xff,\"1 234,56\",20150923", true)
	f.Add("x,1,2,\x01,,0,x", false)
	f.Add("2013-02-08,$1.5,\"1,000.0\",DHR,,\"12,5\",2013-02-30", false)
	f.Add("2013-02-08,\"1,2\",\"12,34,567\",DHR,,1.5,2013-02-08", false)
	f.Fuzz(func(t *testing.T, line string, replay bool) {
		sch := csvFuzzSchema(replay)
		recs := csvTestReader(line, ',')
		dst := make([]Value, len(sch.kinds))
		for {
			rec, err := recs.Read()
			if err != nil {
				return
			}
			for _, cell := range rec {
				for _, dc := range []bool{false, true} {
					p, _, ok := plainNumber(cell, dc, nil)
					if ok && digitsOf(p) != digitsOf(cell) {
						t.Fatalf("plainNumber(%q, %v) = %q: digits changed", cell, dc, p)
					}
					if ok && p != cell && strings.ContainsFunc(p, func(r rune) bool { return !strings.ContainsRune("0123456789.+-eE", r) }) {
						t.Fatalf("plainNumber(%q, %v) = %q", cell, dc, p)
					}
				}
			}
			sym, ts, reason := sch.parseRow(rec, dst)
			if reason != "" {
				if !csvSkipReason.MatchString(reason) {
					t.Fatalf("reason %q", reason)
				}
				continue
			}
			if !validSymbol(sym) || sym == "" || dst[sch.symbol] != String(sym) {
				t.Fatalf("symbol %q, value %v", sym, dst[sch.symbol])
			}
			if want, ok := parseTime(rec[sch.time]); replay && (!ok || !ts.Equal(want)) {
				t.Fatalf("time %v for %q", ts, rec[sch.time])
			}
			for i, v := range dst {
				if v.Kind != sch.kinds[i] && !(v.IsNull() && (sch.kinds[i] == KindString || sch.optional[i])) {
					t.Fatalf("field %d: %v, want kind %v", i, v, sch.kinds[i])
				}
				if v.Kind == KindFloat && (math.IsNaN(v.Float) || math.IsInf(v.Float, 0)) {
					t.Fatalf("field %d: %v", i, v.Float)
				}
				if _, ok := parseTime(rec[i]); sch.isTime[i] && !v.IsNull() && !ok {
					t.Fatalf("field %d: %q is not a time", i, rec[i])
				}
			}
			checkSinkTakes(t, &Event{Symbol: sym, TS: time.Unix(0, 0), Names: sch.names, Values: dst})
		}
	})
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

func TestCSVSeveralFiles(t *testing.T) {
	files := []string{csvFixture("AAPL.csv"), csvFixture("MSFT.csv"), csvFixture("bad_rows.csv")}
	aapl, msft := readYahoo(t, files[0]), readYahoo(t, files[1])
	s, err := OpenCSVFiles(files, &CSVOptions{Order: OrderReplay})
	if err != nil {
		t.Fatal(err)
	}
	// bad_rows.csv is date,open,high,low,close,volume,Name: its columns join
	// the others' by name, and each file's rows are null where it has none.
	wantNames := []string{"date", "open", "high", "low", "close", "adj_close", "volume", "name"}
	wantKinds := []Kind{KindString, KindFloat, KindFloat, KindFloat, KindFloat, KindFloat, KindInt, KindString}
	if !slices.Equal(s.Columns(), wantNames) || !slices.Equal(s.Kinds(), wantKinds) {
		t.Fatalf("columns %q kinds %v, want %q %v", s.Columns(), s.Kinds(), wantNames, wantKinds)
	}
	const dhrRows = 2
	if s.Rows() != len(aapl)+len(msft)+dhrRows {
		t.Fatalf("%d rows, want %d", s.Rows(), len(aapl)+len(msft)+dhrRows)
	}
	wantReport := "skipped 6 bad rows: 1 of testdata/csv/AAPL.csv (1 missing value in open); " +
		"5 of testdata/csv/bad_rows.csv (1 empty symbol, 1 missing value in open, 1 repeated header, 1 unparsable time in date, 1 wrong number of fields)"
	if got := s.SkipReport(); got != wantReport {
		t.Errorf("SkipReport() = %q, want %q", got, wantReport)
	}
	if got, want := s.Summary(), "source: 3 files, 439 rows, 3 symbols; symbol from the file name: AAPL (testdata/csv/AAPL.csv), MSFT (testdata/csv/MSFT.csv)"; got != want {
		t.Errorf("Summary() = %q, want %q", got, want)
	}

	// Replay merges the files in time order; on a day both have, the first
	// file's row comes first.
	counts := map[string]int{}
	prev, prevSym := "", ""
	both := 0
	for i := range s.Rows() {
		sym, v, _ := s.Next()
		counts[sym]++
		date := v[0].Str
		if date < prev {
			t.Fatalf("row %d: %s after %s", i, date, prev)
		}
		if date == prev && sym == "MSFT" && prevSym == "AAPL" {
			both++
		}
		if date == prev && sym == "AAPL" && prevSym == "MSFT" {
			t.Fatalf("row %d: AAPL after MSFT on %s", i, date)
		}
		switch sym {
		case "DHR":
			if !v[5].IsNull() || v[7] != String("DHR") {
				t.Fatalf("row %d: DHR with adj_close %v, name %v", i, v[5], v[7])
			}
		default:
			if v[5].IsNull() || !v[7].IsNull() {
				t.Fatalf("row %d: %s with adj_close %v, name %v", i, sym, v[5], v[7])
			}
		}
		prev, prevSym = date, sym
	}
	if counts["AAPL"] != len(aapl) || counts["MSFT"] != len(msft) || counts["DHR"] != dhrRows {
		t.Errorf("rows by symbol %v", counts)
	}
	if both != 147 { // the days of 2023-06-01..2023-12-29 in both files
		t.Errorf("%d days with AAPL then MSFT, want 147", both)
	}

	// Sample picks rows of every file, about as often as each has rows.
	s, err = OpenCSVFiles(files[:2], &CSVOptions{Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	clear(counts)
	for range 10000 {
		sym, _, _ := s.Next()
		counts[sym]++
	}
	if share := float64(counts["AAPL"]) / 10000; len(counts) != 2 || math.Abs(share-249.0/437) > 0.03 {
		t.Errorf("10000 samples by symbol: %v, want AAPL about %.2f of them", counts, 249.0/437)
	}
}

func TestCSVThousandsAndDecimalCommas(t *testing.T) {
	for _, tc := range []struct {
		name  string
		data  string
		kinds []Kind
		rows  [][]Value // the values of the rows after the symbol column
	}{
		{"thousands in a comma-separated file",
			"symbol,price,volume\nA,\"1,234.56\",\"1,000\"\nA,999.5,\"12,345,678\"\nA,\"$1,000.25\",7\n",
			[]Kind{KindFloat, KindInt},
			[][]Value{{Float(1234.56), Int(1000)}, {Float(999.5), Int(12345678)}, {Float(1000.25), Int(7)}}},
		{"decimal commas in a semicolon-separated file",
			"symbol;price;volume;plain\nA;1.234,56;1.234.567;115.31\nA;12,5;987.654;43.9\nA;0,75;100;1\n",
			[]Kind{KindFloat, KindInt, KindFloat},
			[][]Value{{Float(1234.56), Int(1234567), Float(115.31)}, {Float(12.5), Int(987654), Float(43.9)}, {Float(0.75), Int(100), Float(1)}}},
		{"spaces between thousands",
			"symbol;price\nA;1 234,5\nA;12\u00a0345,25\nA;7\n",
			[]Kind{KindFloat},
			[][]Value{{Float(1234.5)}, {Float(12345.25)}, {Float(7)}}},
		// The same cells, read each file's way on a tie.
		{"a tie in a comma-separated file", "symbol,x\nA,\"1,000\"\nA,10.500\n", []Kind{KindFloat},
			[][]Value{{Float(1000)}, {Float(10.5)}}},
		{"a tie in a semicolon-separated file", "symbol;x\nA;1,000\nA;10.500\n", []Kind{KindInt},
			[][]Value{{Int(1)}, {Int(10500)}}},
		// Decimal commas in a comma-separated file are quoted: no tie there.
		{"quoted decimal commas", "symbol,x\nA,\"1,5\"\nA,\"2,25\"\nA,3\n", []Kind{KindFloat},
			[][]Value{{Float(1.5)}, {Float(2.25)}, {Float(3)}}},
		{"neither", "symbol,x,y\nA,\"12,34,567\",1.2.3\nA,\"1,2,3\",4\n", []Kind{KindString, KindString},
			[][]Value{{String("12,34,567"), String("1.2.3")}, {String("1,2,3"), String("4")}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := loadCSVBytes("x.csv", []byte(tc.data), CSVOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(s.Kinds(), tc.kinds) {
				t.Fatalf("kinds %v, want %v", s.Kinds(), tc.kinds)
			}
			var got [][]Value
			for _, c := range s.cols {
				for r := range s.Rows() {
					if len(got) <= r {
						got = append(got, nil)
					}
					got[r] = append(got[r], c.value(r))
				}
			}
			if !slices.EqualFunc(got, tc.rows, slices.Equal) {
				t.Fatalf("rows %v, want %v", got, tc.rows)
			}
		})
	}

	t.Run("Investing.com export", func(t *testing.T) {
		s, err := OpenCSV(csvFixture("SPX Historical Data.csv"), &CSVOptions{Order: OrderReplay})
		if err != nil {
			t.Fatal(err)
		}
		// "Vol." is empty in every row: a column of nulls.
		wantNames := []string{"date", "price", "open", "high", "low", "vol", "change"}
		wantKinds := []Kind{KindString, KindFloat, KindFloat, KindFloat, KindFloat, KindString, KindString}
		if !slices.Equal(s.Columns(), wantNames) || !slices.Equal(s.Kinds(), wantKinds) || s.Rows() != 126 || len(s.Skipped()) != 0 {
			t.Fatalf("columns %q kinds %v, %d rows, skipped %v", s.Columns(), s.Kinds(), s.Rows(), s.Skipped())
		}
		// The file is newest first; replay starts at its last line.
		sym, v, _ := s.Next()
		want := []Value{String("07/03/2023"), Float(4401.06), Float(4413.58), Float(4440.01), Float(4371.96), Null(), Null()}
		if sym != "SPX" || !slices.Equal(v, want) {
			t.Fatalf("first replayed row %s %v, want SPX %v", sym, v, want)
		}
	})

	t.Run("European export", func(t *testing.T) {
		s, err := OpenCSV(csvFixture("SAP.DE.csv"), &CSVOptions{Order: OrderReplay})
		if err != nil {
			t.Fatal(err)
		}
		wantKinds := []Kind{KindString, KindFloat, KindFloat, KindFloat, KindFloat, KindInt}
		if !slices.Equal(s.Kinds(), wantKinds) || s.Rows() != 63 || len(s.Skipped()) != 0 {
			t.Fatalf("kinds %v, %d rows, skipped %v", s.Kinds(), s.Rows(), s.Skipped())
		}
		sym, v, _ := s.Next() // 2023-10-02;130,02;130,95;128,73;129,76;2.411.367
		want := []Value{String("2023-10-02"), Float(130.02), Float(130.95), Float(128.73), Float(129.76), Int(2411367)}
		if sym != "SAP.DE" || !slices.Equal(v, want) {
			t.Fatalf("first row %s %v, want SAP.DE %v", sym, v, want)
		}
	})
}

func TestPlainNumber(t *testing.T) {
	for _, tc := range []struct {
		in           string
		decimalComma bool
		want         string // "" for not a number so written
	}{
		{"1234.5", false, "1234.5"},
		{"1,234", false, "1234"},
		{"-1,234,567.25", false, "-1234567.25"},
		{"$1,234.5", false, "1234.5"},
		{"-$5", false, "-5"},
		{"$-5", false, "-5"},
		{"+1,000", false, "+1000"},
		{"1,23", false, ""},
		{"1234,567", false, ""},
		{"12,34,567", false, ""},
		{",123", false, ""},
		{"1,234.", false, ""},
		{"$", false, ""},
		{"1,234e5", false, ""},
		{"1.234,5", true, "1234.5"},
		{"1.234.567", true, "1234567"},
		{"12,5", true, "12.5"},
		{",5", true, ".5"},
		{"1 234 567,89", true, "1234567.89"},
		{"1\u202f234", true, "1234"},
		{"1.234 567", true, ""},
		{"12.5", true, ""},
		{"1.2345", true, ""},
		{"1,234.5", true, ""},
		{"1,2,3", true, ""},
	} {
		got, _, ok := plainNumber(tc.in, tc.decimalComma, nil)
		if !ok {
			got = ""
		}
		if got != tc.want {
			t.Errorf("plainNumber(%q, %v) = %q, %v; want %q", tc.in, tc.decimalComma, got, ok, tc.want)
		}
	}
}

// TestCSVTypeByTheBulk checks that one bad cell among many is a skipped row,
// and that a column is typed by 99% of its cells.
func TestCSVTypeByTheBulk(t *testing.T) {
	t.Run("a year with one bad date and one bad volume", func(t *testing.T) {
		for _, order := range []Order{OrderSample, OrderReplay} {
			s, err := OpenCSV(csvFixture("JPM_bad_cells.csv"), &CSVOptions{Order: order})
			if err != nil {
				t.Fatal(err)
			}
			wantKinds := []Kind{KindString, KindFloat, KindFloat, KindFloat, KindFloat, KindFloat, KindInt}
			wantSkipped := map[string]int64{"unparsable time in date": 1, "unparsable number in volume": 1}
			if !slices.Equal(s.Kinds(), wantKinds) || !maps.Equal(s.Skipped(), wantSkipped) || s.Rows() != 248 {
				t.Fatalf("%s: kinds %v, skipped %v, %d rows", order, s.Kinds(), s.Skipped(), s.Rows())
			}
			for range 1000 {
				_, v, _ := s.Next()
				if _, ok := parseTime(v[0].Str); !ok || v[0].Str == "2023-02-30" {
					t.Fatalf("%s: date %v", order, v[0])
				}
			}
		}
	})
	// n rows, the first bad: a column of 100 cells has room for one.
	rows := func(header, bad, good string, n int) []byte {
		var b strings.Builder
		b.WriteString(header + "\n" + bad + "\n")
		for range n - 1 {
			b.WriteString(good + "\n")
		}
		return []byte(b.String())
	}
	for _, tc := range []struct {
		name    string
		data    []byte
		kinds   []Kind
		rows    int
		skipped map[string]int64
	}{
		{"1 bad number in 100", rows("symbol,price", "A,abc", "A,1.5", 100), []Kind{KindFloat}, 99, map[string]int64{"unparsable number in price": 1}},
		{"1 bad number in 99", rows("symbol,price", "A,abc", "A,1.5", 99), []Kind{KindString}, 99, nil},
		{"1 fraction among whole numbers", rows("symbol,n", "A,1.5", "A,2", 100), []Kind{KindFloat}, 100, nil},
		{"1 bad date in 100", rows("symbol,date", "A,2023-02-30", "A,2023-02-28", 100), []Kind{KindString}, 99, map[string]int64{"unparsable time in date": 1}},
		{"1 bad date in 99", rows("symbol,date", "A,2023-02-30", "A,2023-02-28", 99), []Kind{KindString}, 99, nil},
		{"a date column that is not the time column", rows("symbol,date,ex_date", "A,2024-01-02,soon", "A,2024-01-02,2024-02-09", 100),
			[]Kind{KindString, KindString}, 99, map[string]int64{"unparsable time in ex_date": 1}},
		{"missing dates are missing values", rows("symbol,date", "A,N/A", "A,2023-02-28", 100), []Kind{KindString}, 99, map[string]int64{"missing value in date": 1}},
		{"a column of text", rows("symbol,note", "A,2024-01-02", "A,hello", 100), []Kind{KindString}, 100, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := loadCSVBytes("x.csv", tc.data, CSVOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(s.Kinds(), tc.kinds) || s.Rows() != tc.rows || !maps.Equal(s.Skipped(), tc.skipped) && len(tc.skipped)+len(s.Skipped()) > 0 {
				t.Fatalf("kinds %v, %d rows, skipped %v; want %v, %d, %v", s.Kinds(), s.Rows(), s.Skipped(), tc.kinds, tc.rows, tc.skipped)
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

// TestCSVRealSeveralFiles reads the two shared files as one source.
func TestCSVRealSeveralFiles(t *testing.T) {
	s, err := OpenCSVFiles([]string{sharedData(t, indexCSV), sharedData(t, dhrCSV)}, &CSVOptions{Order: OrderReplay})
	if err != nil {
		t.Fatal(err)
	}
	wantNames := []string{"index", "date", "open", "high", "low", "close", "adj_close", "volume", "closeusd", "name"}
	if !slices.Equal(s.Columns(), wantNames) || s.Rows() != 104224+1241 {
		t.Fatalf("columns %q, %d rows", s.Columns(), s.Rows())
	}
	symbols := map[string]int{}
	prev := ""
	for i := range s.Rows() {
		sym, v, _ := s.Next()
		symbols[sym]++
		if v[1].Str < prev {
			t.Fatalf("row %d: %s after %s", i, v[1].Str, prev)
		}
		prev = v[1].Str
		if (sym == "DHR") != v[0].IsNull() || (sym == "DHR") == v[9].IsNull() {
			t.Fatalf("row %d: %s with index %v and name %v", i, sym, v[0], v[9])
		}
	}
	if len(symbols) != 14 || symbols["DHR"] != 1241 {
		t.Errorf("symbols %v, want 14 with DHR 1241", symbols)
	}
}
