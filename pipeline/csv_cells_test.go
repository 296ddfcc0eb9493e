package pipeline

import (
	"encoding/csv"
	"math"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

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
