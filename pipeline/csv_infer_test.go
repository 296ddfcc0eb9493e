package pipeline

import (
	"maps"
	"math"
	"slices"
	"strings"
	"testing"
)

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
