package pipeline

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode/utf16"
)

func TestSymbolFromFileName(t *testing.T) {
	for _, tc := range []struct{ path, want string }{
		{"AAPL.csv", "AAPL"},
		{"data/aapl.csv", "AAPL"},
		{"aapl_data.csv", "AAPL"},
		{"DHR_data.csv", "DHR"},
		{"/x/MSFT.CSV.GZ", "MSFT"},
		{"msft.csv.gz", "MSFT"},
		{"BRK-B.csv", "BRK-B"},
		{"BRK.B.csv", "BRK.B"},
		{"SAP.DE.csv", "SAP.DE"},
		{"^GSPC.csv", "^GSPC"},
		{"EURUSD=X.csv", "EURUSD=X"},
		{"aapl.us.txt", "AAPL.US"},
		{"MSFT (1).csv", "MSFT"},
		{"SPX Historical Data.csv", "SPX"},
		{"NVDA.tsv", "NVDA"},
		{"TSLA", "TSLA"},
		{"_export.csv", ""},
		{"(1).csv", ""},
		{".csv", ""},
		{"-x-.csv", "X"},
		{"日経.csv", ""},
	} {
		if got := SymbolFromFileName(tc.path); got != tc.want {
			t.Errorf("SymbolFromFileName(%q) = %q, want %q", tc.path, got, tc.want)
		}
	}
}

func TestExpandCSVSources(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"b.csv", "a.csv", "c.txt", "odd[1].csv"} {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("x\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	p := func(n string) string { return filepath.Join(dir, n) }
	for _, tc := range []struct {
		name     string
		args     []string
		want     []string
		errMatch string
	}{
		{"paths kept as given", []string{p("b.csv"), p("missing.csv")}, []string{p("b.csv"), p("missing.csv")}, ""},
		{"glob sorted", []string{p("*.csv")}, []string{p("a.csv"), p("b.csv"), p("odd[1].csv")}, ""},
		{"each file once", []string{p("b.csv"), p("*.csv"), dir + "/./a.csv"}, []string{p("b.csv"), p("a.csv"), p("odd[1].csv")}, ""},
		{"empty arguments ignored", []string{"", p("c.txt"), " "}, []string{p("c.txt")}, ""},
		{"a file named like a pattern", []string{p("odd[1].csv")}, []string{p("odd[1].csv")}, ""},
		{"no match", []string{p("a.csv"), p("*.xlsx")}, nil, `no file matches --source ".*/\*\.xlsx"`},
		{"bad pattern", []string{p("[.csv")}, nil, `--source ".*/\[\.csv" is not a valid glob pattern: syntax error in pattern`},
		{"nothing", []string{""}, nil, `--source names no file`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ExpandCSVSources(tc.args)
			if tc.errMatch != "" {
				if err == nil || !regexp.MustCompile("^"+tc.errMatch+"$").MatchString(err.Error()) {
					t.Fatalf("error %v, want one matching %q", err, tc.errMatch)
				}
				return
			}
			if err != nil || !slices.Equal(got, tc.want) {
				t.Fatalf("ExpandCSVSources(%q) = %q, %v; want %q", tc.args, got, err, tc.want)
			}
		})
	}
}

// replayAll reads one cycle of a replaying source: each row's symbol and
// values, as text.
func replayAll(t *testing.T, s *CSVSource) []string {
	t.Helper()
	out := make([]string, s.Rows())
	for i := range out {
		sym, vals, err := s.Next()
		if err != nil {
			t.Fatal(err)
		}
		out[i] = fmt.Sprint(sym, vals)
	}
	return out
}

// utf16File encodes text as UTF-16 with a byte order mark.
func utf16File(text string, order binary.AppendByteOrder) []byte {
	var b []byte
	for _, u := range append([]uint16{0xfeff}, utf16.Encode([]rune(text))...) {
		b = order.AppendUint16(b, u)
	}
	return b
}

func gzipData(t testing.TB, data []byte) []byte { return gzipLevel(t, data, gzip.DefaultCompression) }

// gzipStored is gzip without compression: the same framing for a reader, a
// fraction of the writer's work.
func gzipStored(t testing.TB, data []byte) []byte { return gzipLevel(t, data, gzip.NoCompression) }

func gzipLevel(t testing.TB, data []byte, level int) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, level)
	if err != nil {
		t.Fatal(err)
	}
	zw.Write(data)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// xlsxFile is a ZIP archive with the parts every .xlsx workbook starts with.
func xlsxFile(t testing.TB) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, name := range []string{"[Content_Types].xml", "xl/workbook.xml", "xl/worksheets/sheet1.xml"} {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>`)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestCSVEncodings reads one file in every form it is found in: each gives
// the same rows as the plain UTF-8 file.
func TestCSVEncodings(t *testing.T) {
	plain, err := os.ReadFile(csvFixture("AAPL.csv"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := loadCSVBytes("AAPL.csv", plain, CSVOptions{Order: OrderReplay})
	if err != nil {
		t.Fatal(err)
	}
	wantRows := replayAll(t, want)
	tabs := strings.ReplaceAll(string(plain), ",", "\t")
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"gzip", gzipData(t, plain)},
		{"UTF-8 byte order mark", append([]byte("\ufeff"), plain...)},
		{"CRLF", []byte(strings.ReplaceAll(string(plain), "\n", "\r\n"))},
		{"CR", []byte(strings.ReplaceAll(string(plain), "\n", "\r"))},
		{"no trailing newline", bytes.TrimSuffix(plain, []byte("\n"))},
		// Excel's "Unicode Text": UTF-16LE with a byte order mark, tabs.
		{"UTF-16LE tabs", utf16File(tabs, binary.LittleEndian)},
		{"UTF-16BE", utf16File(string(plain), binary.BigEndian)},
		{"gzip of UTF-16", gzipData(t, utf16File(string(plain), binary.LittleEndian))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := loadCSVBytes("AAPL.csv", tc.data, CSVOptions{Order: OrderReplay})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(s.Columns(), want.Columns()) || !slices.Equal(s.Kinds(), want.Kinds()) {
				t.Fatalf("columns %q %v, want %q %v", s.Columns(), s.Kinds(), want.Columns(), want.Kinds())
			}
			if got := replayAll(t, s); !slices.Equal(got, wantRows) {
				t.Fatalf("%d rows, first %q; want %d, first %q", len(got), got[0], len(wantRows), wantRows[0])
			}
		})
	}
	t.Run("gzip file", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "aapl.csv.gz")
		if err := os.WriteFile(path, gzipData(t, plain), 0o644); err != nil {
			t.Fatal(err)
		}
		s, err := OpenCSV(path, &CSVOptions{Order: OrderReplay})
		if err != nil {
			t.Fatal(err)
		}
		if got := replayAll(t, s); !slices.Equal(got, wantRows) {
			t.Fatalf("%d rows, first %q; want %d, first %q", len(got), got[0], len(wantRows), wantRows[0])
		}
	})
}

// TestCSVNotText checks that a file that is not CSV text is one error that
// says what it looks like.
func TestCSVNotText(t *testing.T) {
	plain := []byte("Date,Symbol,Close\n2024-01-02,AAPL,185.64\n")
	for _, tc := range []struct {
		name, file string
		data       []byte
		want       string
	}{
		{"xlsx named .csv", "prices.csv", xlsxFile(t),
			"prices.csv is a ZIP archive (an .xlsx or .ods workbook is one), not CSV text: save the sheet as CSV (UTF-8), or unzip it"},
		{"gzip of an xlsx", "prices.csv.gz", gzipData(t, xlsxFile(t)),
			"prices.csv.gz is a ZIP archive (an .xlsx or .ods workbook is one), not CSV text: save the sheet as CSV (UTF-8), or unzip it"},
		{"xls", "prices.csv", []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00\x00\x00"),
			"prices.csv is an Excel 97-2003 workbook (.xls), not CSV text: save the sheet as CSV (UTF-8)"},
		{"pdf", "prices.csv", []byte("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"), "prices.csv is a PDF document, not CSV text: export the table as CSV"},
		{"parquet", "prices.csv", []byte("PAR1\x15\x04"), "prices.csv is a Parquet file, not CSV text: export it as CSV"},
		{"gzip twice", "prices.csv.gz", gzipData(t, gzipData(t, plain)),
			"prices.csv.gz is gzip inside gzip, not CSV text: decompress it once (.csv.gz is read as it is)"},
		{"xz", "prices.csv.xz", []byte("\xfd7zXZ\x00\x00\x04"),
			"prices.csv.xz is xz-compressed, not CSV text: decompress it, or compress it with gzip (.csv.gz is read as it is)"},
		{"broken gzip", "prices.csv.gz", gzipData(t, plain)[:30],
			"cannot read prices.csv.gz: unexpected EOF"},
		{"not gzip after all", "prices.csv.gz", []byte("\x1f\x8bnot gzip"),
			"prices.csv.gz starts as gzip but is not readable as gzip: gzip: invalid header"},
		{"UTF-32", "prices.csv", append([]byte("\xff\xfe\x00\x00"), 'D', 0, 0, 0),
			"prices.csv is UTF-32 text, not CSV text: save it as UTF-8 (or UTF-16) CSV"},
		{"NUL bytes", "prices.csv", []byte("Date,Symbol,Close\n2024-01-02,AAPL,1\x00\x00\x07\n"),
			"prices.csv has a NUL byte (at byte 35), so it is not CSV text: it is binary, or UTF-16 without a byte order mark: save it as CSV (UTF-8)"},
		{"UTF-16 without a byte order mark", "prices.csv", utf16File(string(plain), binary.LittleEndian)[2:],
			"prices.csv has a NUL byte (at byte 1), so it is not CSV text: it is binary, or UTF-16 without a byte order mark: save it as CSV (UTF-8)"},
		{"HTML page", "prices.csv", []byte("\n  <!DOCTYPE html>\n<html><body>Too Many Requests</body></html>\n"),
			"prices.csv is an HTML page, not CSV text: was it a download that failed?"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := loadCSVBytes(tc.file, tc.data, CSVOptions{})
			if err == nil || err.Error() != tc.want {
				t.Fatalf("error %v, want %s", err, tc.want)
			}
		})
	}
	t.Run("directory", func(t *testing.T) {
		dir := t.TempDir()
		_, err := OpenCSV(dir, nil)
		if want := dir + " is a directory: pass the files in it, as --source '" + dir + "/*.csv'"; err == nil || err.Error() != want {
			t.Fatalf("error %v, want %s", err, want)
		}
	})
}

// boundedReader serves n bytes of a line that never ends, and fails if it
// is read further: a reader that slurped its input would fail on it.
type boundedReader struct{ left int }

var errReadTooFar = errors.New("read too far")

func (r *boundedReader) Read(p []byte) (int, error) {
	if r.left <= 0 {
		return 0, errReadTooFar
	}
	n := min(len(p), r.left)
	for i := range p[:n] {
		p[i] = '9'
	}
	r.left -= n
	return n, nil
}

func TestCSVRecordBound(t *testing.T) {
	line := func(n int) string { return "A," + strings.Repeat("7", n-3) + "\n" } // n bytes with its newline
	for _, tc := range []struct {
		name, data string
		max        int
		want       string // error; "" for none
	}{
		{"at the bound", "symbol,price\n" + line(100) + line(100), 100, ""},
		{"one over", "symbol,price\n" + line(100) + line(101), 100,
			"x.csv: the record at line 3 is longer than 100 bytes: is it CSV, with its quotes closed? (--max-record-bytes raises the bound)"},
		{"header", "symbol," + strings.Repeat("p", 200) + "\nA,1\n", 100,
			"x.csv: line 1 (the header) is longer than 100 bytes: is it CSV, with its quotes closed? (--max-record-bytes raises the bound)"},
		// A quote left open takes the lines after it into one field.
		{"open quote", "symbol,price\nA,1\n\"B,2\n" + strings.Repeat("C,3\n", 40), 100,
			"x.csv: the record at line 3 is longer than 100 bytes: is it CSV, with its quotes closed? (--max-record-bytes raises the bound)"},
		{"open quote within the bound", "symbol,price\nA,1\n\"B,2\nC,3\n", 100, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := loadCSVBytes("x.csv", []byte(tc.data), CSVOptions{MaxRecordBytes: tc.max})
			if tc.want == "" && err != nil || tc.want != "" && (err == nil || err.Error() != tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}

	t.Run("1 GiB line", func(t *testing.T) {
		// The error comes once the bound and a buffer are read, not at the
		// end of the line.
		in := csvInput{name: "huge.csv", open: func() (io.ReadCloser, error) {
			header := strings.NewReader("symbol,price\nA,1\nB,")
			return io.NopCloser(io.MultiReader(header, &boundedReader{left: 1 << 30})), nil
		}}
		_, err := loadCSV([]csvInput{in}, CSVOptions{})
		want := "huge.csv: the record at line 3 is longer than 1048576 bytes: is it CSV, with its quotes closed? (--max-record-bytes raises the bound)"
		if err == nil || err.Error() != want {
			t.Fatalf("error %v, want %s", err, want)
		}
		in.open = func() (io.ReadCloser, error) {
			header := strings.NewReader("symbol,price\nA,1\nB,")
			return io.NopCloser(io.MultiReader(header, &boundedReader{left: DefaultMaxRecordBytes + 2*sniffBytes})), nil
		}
		if _, err := loadCSV([]csvInput{in}, CSVOptions{}); err == nil || err.Error() != want {
			t.Fatalf("with the line cut after the bound and two buffers: error %v, want %s", err, want)
		}
	})

	t.Run("1 MiB line in a file", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "AAPL.csv")
		var b strings.Builder
		b.WriteString("Date,Close,Note\n2024-01-02,185.64,\n2024-01-03,184.25,")
		b.WriteString(strings.Repeat("x", DefaultMaxRecordBytes))
		b.WriteString("\n2024-01-04,181.91,\n")
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := OpenCSV(path, nil)
		want := path + ": the record at line 3 is longer than 1048576 bytes: is it CSV, with its quotes closed? (--max-record-bytes raises the bound)"
		if err == nil || err.Error() != want {
			t.Fatalf("error %v, want %s", err, want)
		}
		s, err := OpenCSV(path, &CSVOptions{MaxRecordBytes: 2 * DefaultMaxRecordBytes})
		if err != nil || s.Rows() != 3 {
			t.Fatalf("with a bound of 2 MiB: %v", err)
		}
	})
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
