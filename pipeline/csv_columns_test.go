package pipeline

import (
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"
)

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
