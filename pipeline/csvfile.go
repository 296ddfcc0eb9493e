package pipeline

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// DefaultMaxRecordBytes is the default bound of one CSV record: a line, or
// the lines of a quoted field that spans several. Stock data has lines of a
// few hundred bytes; a longer record is a quote left open or not CSV at all.
const DefaultMaxRecordBytes = 1 << 20

// errRecordTooLong stops the reading of a record at the bound.
var errRecordTooLong = errors.New("record too long")

// ExpandCSVSources turns --source arguments into file paths: a path is kept
// as it is, a glob pattern (with *, ? or [) becomes the files it matches, in
// lexical order. Empty arguments are ignored and a file named twice is read
// once. A pattern that matches nothing is an error, unless a file has that
// very name.
func ExpandCSVSources(args []string) ([]string, error) {
	var paths []string
	seen := map[string]bool{}
	add := func(p string) {
		if c := filepath.Clean(p); !seen[c] {
			seen[c] = true
			paths = append(paths, p)
		}
	}
	for _, a := range args {
		if strings.TrimSpace(a) == "" {
			continue
		}
		if !strings.ContainsAny(a, "*?[") {
			add(a)
			continue
		}
		m, err := filepath.Glob(a)
		if err != nil {
			return nil, fmt.Errorf("--source %q is not a valid glob pattern: %w", a, err)
		}
		if len(m) == 0 {
			if _, err := os.Stat(a); err == nil {
				add(a)
				continue
			}
			return nil, fmt.Errorf("no file matches --source %q", a)
		}
		for _, p := range m {
			add(p)
		}
	}
	if len(paths) == 0 {
		return nil, errors.New("--source names no file")
	}
	return paths, nil
}

// SymbolFromFileName is the symbol of the rows of a file that has no symbol
// column: the file's base name without .gz and then a .csv, .tsv or .txt
// extension, up to the first character that is not a letter, a digit, ".",
// "-", "^" or "=", without a ".", "-" or "=" at either end, in upper case.
// AAPL.csv is AAPL, aapl_data.csv.gz is AAPL, BRK-B.csv is BRK-B, ^GSPC.csv
// is ^GSPC and "MSFT (1).csv" is MSFT. It returns "" when that leaves
// nothing, as for _export.csv.
func SymbolFromFileName(path string) string {
	name := filepath.Base(path)
	for _, ext := range []string{".gz", ".csv", ".tsv", ".txt"} {
		if len(name) >= len(ext) && strings.EqualFold(name[len(name)-len(ext):], ext) {
			name = name[:len(name)-len(ext)]
			if ext != ".gz" {
				break
			}
		}
	}
	end := strings.IndexFunc(name, func(r rune) bool {
		return !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || strings.ContainsRune(".-^=", r))
	})
	if end >= 0 {
		name = name[:end]
	}
	return strings.ToUpper(strings.Trim(name, ".-="))
}

// csvInput is one CSV file. open is called once for each pass over it.
type csvInput struct {
	name string // the path, for messages
	open func() (io.ReadCloser, error)
}

func fileInput(path string) csvInput {
	return csvInput{name: path, open: func() (io.ReadCloser, error) {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		if fi, err := f.Stat(); err == nil && fi.IsDir() {
			f.Close()
			return nil, fmt.Errorf("%s is a directory: pass the files in it, as --source '%s'", path, filepath.Join(path, "*.csv"))
		}
		return f, nil
	}}
}

// sniffBytes is how much of a file is looked at to tell what it is, and the
// size of the buffers that read it.
const sniffBytes = 16 << 10

// notCSV are the starts of files that people name .csv but that are not
// CSV text, and what to do about each.
var notCSV = []struct{ magic, what, fix string }{
	{"PK\x03\x04", "a ZIP archive (an .xlsx or .ods workbook is one)", "save the sheet as CSV (UTF-8), or unzip it"},
	{"PK\x05\x06", "an empty ZIP archive", "save the sheet as CSV (UTF-8)"},
	{"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an Excel 97-2003 workbook (.xls)", "save the sheet as CSV (UTF-8)"},
	{"%PDF-", "a PDF document", "export the table as CSV"},
	{"PAR1", "a Parquet file", "export it as CSV"},
	{"SQLite format 3\x00", "an SQLite database", "export the table as CSV"},
	{"\x1f\x8b", "gzip inside gzip", "decompress it once (.csv.gz is read as it is)"},
	{"\xfd7zXZ\x00", "xz-compressed", "decompress it, or compress it with gzip (.csv.gz is read as it is)"},
	{"\x28\xb5\x2f\xfd", "zstd-compressed", "decompress it, or compress it with gzip (.csv.gz is read as it is)"},
	{"7z\xbc\xaf\x27\x1c", "a 7-Zip archive", "extract the CSV file from it"},
	{"\xff\xfe\x00\x00", "UTF-32 text", "save it as UTF-8 (or UTF-16) CSV"},
	{"\x00\x00\xfe\xff", "UTF-32 text", "save it as UTF-8 (or UTF-16) CSV"},
}

// csvReader reads the records of one CSV file as a stream, in memory bounded
// by the largest record, at most its bound and a read-ahead buffer.
type csvReader struct {
	name   string
	comma  rune
	r      *csv.Reader
	lim    *recordLimit
	close  func() error
	max    int64 // bound of one record
	ahead  int64 // read-ahead of the buffer between lim and r
	start  int64 // input offset where the next record starts
	line   int   // line of the last record read
	header bool  // no record read yet
}

// openCSVReader opens in and finds out what it holds: gzip is decompressed,
// a UTF-8 byte order mark dropped, UTF-16 with a byte order mark decoded,
// lines ending with a lone CR read as lines; ZIP (XLSX), other archives and
// binary data are an error that says what the file looks like. The field
// separator is chosen from the first line (see sniffComma).
func openCSVReader(in csvInput, maxRecord int) (_ *csvReader, err error) {
	rc, err := in.open()
	if err != nil {
		return nil, err
	}
	closers := []io.Closer{rc}
	closeAll := func() error {
		var errs []error
		for _, c := range slices.Backward(closers) {
			errs = append(errs, c.Close())
		}
		return errors.Join(errs...)
	}
	defer func() {
		if err != nil {
			closeAll()
		}
	}()
	readErr := func(err error) error { return fmt.Errorf("cannot read %s: %w", in.name, err) }

	br := bufio.NewReaderSize(rc, sniffBytes)
	head, err := peek(br)
	if err != nil {
		return nil, readErr(err)
	}
	if bytes.HasPrefix(head, []byte("\x1f\x8b")) {
		gz, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("%s starts as gzip but is not readable as gzip: %w", in.name, err)
		}
		closers = append(closers, gz)
		br = bufio.NewReaderSize(gz, sniffBytes)
		if head, err = peek(br); err != nil {
			return nil, readErr(err)
		}
	}
	for _, n := range notCSV {
		if bytes.HasPrefix(head, []byte(n.magic)) {
			return nil, fmt.Errorf("%s is %s, not CSV text: %s", in.name, n.what, n.fix)
		}
	}
	switch {
	case bytes.HasPrefix(head, []byte("\xef\xbb\xbf")):
		br.Discard(3)
		head = head[3:]
	case bytes.HasPrefix(head, []byte("\xff\xfe")), bytes.HasPrefix(head, []byte("\xfe\xff")):
		// As Excel's "Unicode Text" saves a sheet: often tab-separated. The
		// byte order mark says which UTF-16 it is.
		dec := unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder()
		br = bufio.NewReaderSize(transform.NewReader(br, dec), sniffBytes)
		if head, err = peek(br); err != nil {
			return nil, readErr(err)
		}
	}
	if i := bytes.IndexByte(head, 0); i >= 0 {
		return nil, fmt.Errorf("%s has a NUL byte (at byte %d), so it is not CSV text: it is binary, or UTF-16 without a byte order mark: save it as CSV (UTF-8)", in.name, i)
	}
	start := bytes.TrimLeft(bytes.ToLower(head[:min(len(head), 64)]), " \t\r\n")
	if bytes.HasPrefix(start, []byte("<!doctype html")) || bytes.HasPrefix(start, []byte("<html")) {
		return nil, fmt.Errorf("%s is an HTML page, not CSV text: was it a download that failed?", in.name)
	}
	var text io.Reader = br
	if bytes.IndexByte(head, '\n') < 0 && bytes.IndexByte(head, '\r') >= 0 {
		text = crLines{br} // classic Mac OS line endings
	}

	if maxRecord <= 0 {
		maxRecord = DefaultMaxRecordBytes
	}
	lim := &recordLimit{r: text}
	// csv.Reader reads through this buffer, and so up to its size ahead of
	// the record it parses.
	buf := bufio.NewReaderSize(lim, 4096)
	r := csv.NewReader(buf)
	r.Comma = sniffComma(head)
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	r.ReuseRecord = true
	c := &csvReader{name: in.name, comma: r.Comma, r: r, lim: lim, close: closeAll,
		max: int64(maxRecord), ahead: int64(buf.Size()), header: true}
	lim.limit = c.max + c.ahead
	return c, nil
}

// peek returns the first sniffBytes of br, or all of it if shorter.
func peek(br *bufio.Reader) ([]byte, error) {
	b, err := br.Peek(sniffBytes)
	if err == io.EOF || err == bufio.ErrBufferFull {
		err = nil
	}
	return b, err
}

// next returns the next non-blank record, or io.EOF at the end. A
// *csv.ParseError is a record it could not read; reading may go on. Any other
// error ends the file: a record over the bound, or a read error.
func (c *csvReader) next() ([]string, error) {
	for {
		rec, err := c.r.Read()
		off := c.r.InputOffset()
		if errors.Is(err, errRecordTooLong) || off-c.start > c.max {
			what := "line 1 (the header)"
			if !c.header {
				what = fmt.Sprintf("the record at line %d", c.line+1)
			}
			return nil, fmt.Errorf("%s: %s is longer than %d bytes: is it CSV, with its quotes closed? (--max-record-bytes raises the bound)", c.name, what, c.max)
		}
		c.start = off
		c.lim.limit = off + c.max + c.ahead
		if err == io.EOF {
			return nil, io.EOF
		}
		if err != nil {
			var perr *csv.ParseError
			if errors.As(err, &perr) {
				c.line = perr.Line
				return nil, err
			}
			return nil, fmt.Errorf("cannot read %s: %w", c.name, err)
		}
		c.header = false
		c.line, _ = c.r.FieldPos(len(rec) - 1)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		return rec, nil
	}
}

func (c *csvReader) Close() error { return c.close() }

// recordLimit lets a csv.Reader read at most to limit, which the csvReader
// moves past each record it gets: a record over the bound fails once the
// bound and the read-ahead are read, not at the end of the line.
type recordLimit struct {
	r     io.Reader
	read  int64 // bytes handed out
	limit int64
}

func (l *recordLimit) Read(p []byte) (int, error) {
	left := l.limit - l.read
	if left <= 0 {
		return 0, errRecordTooLong
	}
	if int64(len(p)) > left {
		p = p[:left]
	}
	n, err := l.r.Read(p)
	l.read += int64(n)
	return n, err
}

// crLines reads a file whose lines end with a lone CR as lines ending with LF.
type crLines struct{ r io.Reader }

func (c crLines) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	for i, b := range p[:n] {
		if b == '\r' {
			p[i] = '\n'
		}
	}
	return n, err
}

// sniffComma picks the field separator from the first non-blank line: ","
// if it has one, else the most frequent of ";", tab and "|".
func sniffComma(data []byte) rune {
	var line []byte
	for len(data) > 0 && len(bytes.TrimSpace(line)) == 0 {
		line, data, _ = bytes.Cut(data, []byte("\n"))
	}
	if bytes.IndexByte(line, ',') >= 0 {
		return ','
	}
	best, n := ',', 0
	for _, c := range []byte{';', '\t', '|'} {
		if k := bytes.Count(line, []byte{c}); k > n {
			best, n = rune(c), k
		}
	}
	return best
}
