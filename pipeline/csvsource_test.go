package pipeline

import (
	"encoding/json"
	"errors"
	"io/fs"
	"log"
	"maps"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"pipeline/internal/eventjson"
)

// Real files, shared by the project (see ../../shared/data/README.md).
const (
	indexCSV = "../../shared/data/indexProcessed.csv"
	dhrCSV   = "../../shared/data/DHR_data.csv"
)

func openRealCSV(t testing.TB, path string, opts *CSVOptions) *CSVSource {
	t.Helper()
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		t.Skipf("%s is absent", path)
	}
	s, err := OpenCSV(path, opts)
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
		{"no symbol", "Date,Open,Close", CSVOptions{},
			"", "", `no symbol column in x\.csv: looked for a header named symbol, ticker, .*; the header is "Date", "Open", "Close": pass --symbol-column`},
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
			s, err := loadCSV("x.csv", []byte(tc.header+"\n"+row+"\n"), tc.opts)
			if tc.errMatch != "" {
				if err == nil || !regexp.MustCompile("^"+tc.errMatch+"$").MatchString(err.Error()) {
					t.Fatalf("error %v, want one matching %q", err, tc.errMatch)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			_ = s
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
			if got := header[sch.symbol]; got != tc.symbol {
				t.Errorf("symbol column %q, want %q", got, tc.symbol)
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
	s, err := loadCSV("x.csv", []byte(data), CSVOptions{Order: OrderReplay})
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
		{"garbage.bin", `no symbol column in testdata/csv/garbage\.bin: looked for .*: pass --symbol-column`, CSVOptions{}},
		{"no_symbol.csv", `no symbol column in testdata/csv/no_symbol\.csv: .*the header is "Date", "Open", "Close": pass --symbol-column`, CSVOptions{}},
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
		_, err := loadCSV("x.csv", []byte(data), CSVOptions{})
		want := `no usable rows in x.csv: all 4 rows were skipped because: 1 empty symbol, 1 missing value in close, 1 missing value in open, 1 wrong number of fields`
		if err == nil || err.Error() != want {
			t.Fatalf("error %v, want %s", err, want)
		}
	})
	t.Run("empty", func(t *testing.T) {
		_, err := loadCSV("x.csv", []byte("\ufeff\r\n\n"), CSVOptions{})
		if want := "x.csv is empty: a CSV file with a header line is needed"; err == nil || err.Error() != want {
			t.Fatalf("error %v, want %s", err, want)
		}
	})
}

func TestCSVOptionalColumn(t *testing.T) {
	// dividend is missing in most rows: it is null there, not a reason to
	// skip them. price is missing in one: that row is skipped.
	data := "symbol,price,dividend\nA,1,\nA,2,\nA,,\nA,3,0.5\nA,4,null\n"
	s, err := loadCSV("x.csv", []byte(data), CSVOptions{Order: OrderReplay, TimeColumn: "price"})
	if err != nil {
		t.Fatal(err)
	}
	if s.Rows() != 4 || !maps.Equal(s.Skipped(), map[string]int64{"unparsable time in price": 1}) {
		t.Fatalf("rows %d skipped %v", s.Rows(), s.Skipped())
	}
	s, err = loadCSV("x.csv", []byte(data), CSVOptions{})
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

// fuzzSchema is the file FuzzCSVRow parses rows of:
// date,open,volume,Name,note with open optional.
func csvFuzzSchema(replay bool) *csvSchema {
	return &csvSchema{
		header:   []string{"date", "open", "volume", "Name", "note"},
		names:    []string{"date", "open", "volume", "name", "note"},
		symbol:   3,
		time:     0,
		needTime: replay,
		kinds:    []Kind{KindString, KindFloat, KindInt, KindString, KindString},
		optional: []bool{false, true, false, false, false},
	}
}

var csvSkipReason = regexp.MustCompile(`^(wrong number of fields|empty symbol|bad symbol .*|(missing value|unparsable number|unparsable time) in [a-z]+)$`)

func FuzzCSVRow(f *testing.F) {
	f.Add("2013-02-08,60.15,1532380,DHR,", false)
	f.Add("2016-01-12,,0,DHR,x", true)
	f.Add(`"2015-09-23T20:57:42.146",null,1495365300.0,"BRK.B","a ""b"""`, true)
	f.Add("1442985462146,NaN,1e3, AAPL ,\xff", true)
	f.Add("x,1,2,\x01,", false)
	f.Add("2013-02-08,1,2.5,DHR,", false)
	f.Fuzz(func(t *testing.T, line string, replay bool) {
		sch := csvFuzzSchema(replay)
		recs := newCSVRecords([]byte(line), ',')
		dst := make([]Value, len(sch.kinds))
		for {
			rec, err := recs.next()
			if err != nil {
				return
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

func FuzzOpenCSV(f *testing.F) {
	files, _ := filepath.Glob(csvFixture("*"))
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, false)
		f.Add(b, true)
	}
	f.Add([]byte("symbol,price\nA,1\nB,-2\n\"C,3"), false)
	f.Add([]byte("Ticker|ts|Price\nA|1|1.5\nA|x|1\n"), true)
	f.Fuzz(func(t *testing.T, data []byte, replay bool) {
		o := CSVOptions{Seed: 1}
		if replay {
			o.Order = OrderReplay
		}
		s, err := loadCSV("fuzz.csv", data, o)
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
	data, err := os.ReadFile(indexCSV)
	if err != nil {
		b.Skipf("%s is absent", indexCSV)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := loadCSV(indexCSV, data, CSVOptions{Order: OrderReplay}); err != nil {
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
