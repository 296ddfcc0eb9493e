package duckdb

// hive_json: the table function that reads a JSON table's files as
// Athena's OpenX SerDe does (see hivejson_decode.go), for the views of an
// engine opened with Options.HiveJSON.
//
// A view calls hive_json('<id>'): the id names a scan the engine itself
// registered (its files and columns), so SQL cannot make the function
// read any other file.

import (
	"bufio"
	"compress/bzip2"
	"compress/gzip"
	"compress/zlib"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/duckdb/duckdb-go/v2"
	"github.com/klauspost/compress/zstd"

	"pipeline/catalog"
)

// hiveJSONFunction is the table function's name.
const hiveJSONFunction = "hive_json"

// maxLineBytes bounds one line of a JSON table's file.
const maxLineBytes = 64 << 20

// hiveScan is one view's read: its files and how to decode them.
type hiveScan struct {
	files   []dataFile
	columns []viewCol
	opts    hiveJSONOptions
}

// hiveScans holds the scans of one database's views, by id. It is safe for
// concurrent use.
type hiveScans struct {
	mu    sync.Mutex
	next  int
	scans map[string]*hiveScan
}

func (h *hiveScans) add(s *hiveScan) string {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.scans == nil {
		h.scans = map[string]*hiveScan{}
	}
	h.next++
	id := fmt.Sprintf("scan%d", h.next)
	h.scans[id] = s
	return id
}

// replace drops the scans of old (a view rebuilt) once the new one is in.
func (h *hiveScans) drop(ids []string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, id := range ids {
		delete(h.scans, id)
	}
}

func (h *hiveScans) get(id string) *hiveScan {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.scans[id]
}

// bytesReadKey is the context key of a query's counter of bytes read
// (*atomic.Int64), which QueryCounted sets.
type bytesReadKey struct{}

// registerHiveJSON registers hive_json on the database conn belongs to.
func registerHiveJSON(conn *sql.Conn, scans *hiveScans) error {
	varchar, err := duckdb.NewTypeInfo(duckdb.TYPE_VARCHAR)
	if err != nil {
		return err
	}
	return duckdb.RegisterTableUDF(conn, hiveJSONFunction, duckdb.ParallelChunkTableFunction{
		Config: duckdb.TableFunctionConfig{Arguments: []duckdb.TypeInfo{varchar}},
		BindArgumentsContext: func(ctx context.Context, _ map[string]any, args ...any) (duckdb.ParallelChunkTableSource, error) {
			id, _ := args[0].(string)
			s := scans.get(id)
			if s == nil {
				return nil, fmt.Errorf("%s: no scan %q", hiveJSONFunction, id)
			}
			return newHiveJSONSource(ctx, s)
		},
	})
}

// hiveJSONSource is one query's read of a scan's files: each thread takes
// the next file and reads it whole.
type hiveJSONSource struct {
	ctx     context.Context
	scan    *hiveScan
	infos   []duckdb.ColumnInfo
	formats []timestampFormat
	next    atomic.Int64 // the next file to take
	read    *atomic.Int64
}

func newHiveJSONSource(ctx context.Context, s *hiveScan) (*hiveJSONSource, error) {
	src := &hiveJSONSource{ctx: ctx, scan: s}
	if ctx == nil {
		src.ctx = context.Background()
	}
	src.read, _ = src.ctx.Value(bytesReadKey{}).(*atomic.Int64)
	src.formats = javaLayouts(s.opts.TimestampFormats)
	for _, c := range s.columns {
		info, err := typeInfo(c.hive)
		if err != nil {
			return nil, fmt.Errorf("column %s: %w", c.name, err)
		}
		src.infos = append(src.infos, duckdb.ColumnInfo{Name: c.name, T: info})
	}
	return src, nil
}

func (s *hiveJSONSource) ColumnInfos() []duckdb.ColumnInfo { return s.infos }

func (s *hiveJSONSource) Cardinality() *duckdb.CardinalityInfo { return nil }

func (s *hiveJSONSource) Init() duckdb.ParallelTableSourceInfo {
	return duckdb.ParallelTableSourceInfo{MaxThreads: max(1, min(len(s.scan.files), 8))}
}

// hiveJSONLocal is one thread's place: the file it reads.
type hiveJSONLocal struct {
	file    *dataFile
	reading bool // file is open
	lines   *bufio.Reader
	close   func()
	line    int
	long    []byte // a line longer than the reader's buffer
	// projected lists the columns the query reads (known at the first
	// chunk: DuckDB asks for no others).
	projected []int
	parser    jsonParser
	// The thread's own decoders: they keep state between values.
	decoders []hiveDecoder
	matcher  *fieldMatcher
}

// readLine returns the next line, nil at the end of the file.
func (st *hiveJSONLocal) readLine() ([]byte, error) {
	st.long = st.long[:0]
	for {
		b, err := st.lines.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			if len(st.long)+len(b) > maxLineBytes {
				return nil, fmt.Errorf("HIVE_CURSOR_ERROR: line %d of %s is longer than %d bytes", st.line+1, st.file.uri, maxLineBytes)
			}
			st.long = append(st.long, b...)
			continue
		}
		if len(st.long) > 0 {
			b = append(st.long, b...)
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("HIVE_CURSOR_ERROR: read %s: %v", st.file.uri, err)
		}
		if len(b) == 0 {
			return nil, nil
		}
		return b, nil
	}
}

func (s *hiveJSONSource) NewLocalState() any {
	st := &hiveJSONLocal{}
	names := make([]string, len(s.scan.columns))
	for i, c := range s.scan.columns {
		st.decoders = append(st.decoders, newHiveDecoder(c.hive, &s.scan.opts, s.formats))
		names[i] = c.name
	}
	st.matcher = newFieldMatcher(names, &s.scan.opts)
	return st
}

func (s *hiveJSONSource) FillChunk(local any, chunk duckdb.DataChunk) error {
	st := local.(*hiveJSONLocal)
	if st.projected == nil {
		st.projected = []int{}
		for i := range st.decoders {
			if _, err := chunk.GetVector(i); err == nil {
				st.projected = append(st.projected, i)
			}
		}
	}
	capacity := duckdb.GetDataChunkCapacity()
	n := 0
	for n < capacity {
		if !st.reading {
			if err := s.ctx.Err(); err != nil {
				return err
			}
			i := int(s.next.Add(1) - 1)
			if i >= len(s.scan.files) {
				break
			}
			if err := s.open(st, &s.scan.files[i]); err != nil {
				return err
			}
		}
		line, err := st.readLine()
		if err != nil || line == nil {
			st.close()
			st.reading = false
			if err != nil {
				return err
			}
			continue
		}
		st.line++
		if err := s.row(chunk, n, st, string(line)); err != nil {
			return err
		}
		n++
	}
	return chunk.SetSize(n)
}

// row decodes one line into row n of chunk.
func (s *hiveJSONSource) row(chunk duckdb.DataChunk, n int, st *hiveJSONLocal, line string) error {
	line = strings.TrimSpace(line)
	var v *hjValue
	if strings.HasPrefix(line, "{") || strings.HasPrefix(line, "[") {
		p := &st.parser
		p.reset(line)
		p.foldKeys = !s.scan.opts.CaseSensitive
		var err error
		if v, err = p.parse(); err != nil && !s.scan.opts.IgnoreMalformed {
			return fmt.Errorf("HIVE_CURSOR_ERROR: %s (line %d of %s; 'ignore.malformed.json' = 'true' makes such a line a row of NULLs)", err, st.line, st.file.uri)
		}
	}
	for _, i := range st.projected {
		dec := st.decoders[i]
		var val any
		if v != nil {
			var field *hjValue
			switch {
			case v.kind == '{':
				field = st.matcher.lookup(v, i)
			case i < len(v.values):
				field = v.values[i]
			}
			var err error
			if val, err = dec(field); err != nil {
				return fmt.Errorf("HIVE_CURSOR_ERROR: column %s: %s (line %d of %s)", s.scan.columns[i].name, err, st.line, st.file.uri)
			}
		}
		if err := chunk.SetValue(i, n, val); err != nil {
			return fmt.Errorf("column %s: %w", s.scan.columns[i].name, err)
		}
	}
	return nil
}

// open starts reading f, decompressed by its name's extension as Hadoop
// does (.gz, .bz2, .deflate, .zst).
func (s *hiveJSONSource) open(st *hiveJSONLocal, f *dataFile) error {
	file, err := os.Open(f.path)
	if err != nil {
		return fmt.Errorf("HIVE_CANNOT_OPEN_SPLIT: %s: %v", f.uri, errors.Unwrap(err))
	}
	var r io.Reader = &countingReader{r: file, n: s.read}
	closeAll := func() { file.Close() }
	bad := func(format string, args ...any) error {
		file.Close()
		return fmt.Errorf(format, args...)
	}
	switch codec := codecOf(f.name); codec {
	case "gzip":
		zr, err := gzip.NewReader(r)
		if err != nil {
			return bad("HIVE_CURSOR_ERROR: %s is not gzip: %v", f.uri, err)
		}
		r = zr
	case "bzip2":
		r = bzip2.NewReader(r)
	case "deflate":
		zr, err := zlib.NewReader(r)
		if err != nil {
			return bad("HIVE_CURSOR_ERROR: %s is not deflate (zlib): %v", f.uri, err)
		}
		r = zr
	case "zstd":
		zr, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1))
		if err != nil {
			return bad("HIVE_CURSOR_ERROR: %s: %v", f.uri, err)
		}
		r, closeAll = zr, func() { zr.Close(); file.Close() }
	case "":
	default:
		return bad("NOT_SUPPORTED: %s is %s-compressed, which the emulated Athena does not read (gzip, bzip2, deflate and zstd are)", f.uri, codec)
	}
	if st.lines == nil {
		st.lines = bufio.NewReaderSize(r, 1<<16)
	} else {
		st.lines.Reset(r)
	}
	st.file, st.close, st.line, st.reading = f, closeAll, 0, true
	return nil
}

// codecOf is the compression Hadoop reads a file of this name with, by its
// extension; "" for none.
func codecOf(name string) string {
	switch ext := strings.ToLower(name[strings.LastIndexByte(name, '.')+1:]); {
	case !strings.Contains(name, "."):
		return ""
	case ext == "gz":
		return "gzip"
	case ext == "bz2":
		return "bzip2"
	case ext == "deflate":
		return "deflate"
	case ext == "zst":
		return "zstd"
	case ext == "snappy", ext == "lz4", ext == "lzo":
		return ext
	}
	return ""
}

// countingReader counts the bytes read into n (if not nil).
type countingReader struct {
	r io.Reader
	n *atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	k, err := c.r.Read(p)
	if c.n != nil {
		c.n.Add(int64(k))
	}
	return k, err
}

// typeInfo is the duckdb-go type of a Hive type, as HiveType.DuckDB.
func typeInfo(t *catalog.HiveType) (duckdb.TypeInfo, error) {
	simple := func(k duckdb.Type) (duckdb.TypeInfo, error) { return duckdb.NewTypeInfo(k) }
	switch t.Kind {
	case "string", "char", "varchar":
		return simple(duckdb.TYPE_VARCHAR)
	case "bigint":
		return simple(duckdb.TYPE_BIGINT)
	case "int":
		return simple(duckdb.TYPE_INTEGER)
	case "smallint":
		return simple(duckdb.TYPE_SMALLINT)
	case "tinyint":
		return simple(duckdb.TYPE_TINYINT)
	case "double":
		return simple(duckdb.TYPE_DOUBLE)
	case "float":
		return simple(duckdb.TYPE_FLOAT)
	case "boolean":
		return simple(duckdb.TYPE_BOOLEAN)
	case "timestamp":
		return simple(duckdb.TYPE_TIMESTAMP)
	case "date":
		return simple(duckdb.TYPE_DATE)
	case "binary":
		return simple(duckdb.TYPE_BLOB)
	case "decimal":
		return duckdb.NewDecimalInfo(uint8(t.Precision), uint8(t.Scale))
	case "array":
		e, err := typeInfo(t.Elem)
		if err != nil {
			return nil, err
		}
		return duckdb.NewListInfo(e)
	case "map":
		k, err := typeInfo(t.Key)
		if err != nil {
			return nil, err
		}
		v, err := typeInfo(t.Value)
		if err != nil {
			return nil, err
		}
		return duckdb.NewMapInfo(k, v)
	case "struct":
		var entries []duckdb.StructEntry
		for _, f := range t.Fields {
			ft, err := typeInfo(f.Type)
			if err != nil {
				return nil, err
			}
			e, err := duckdb.NewStructEntry(ft, f.Name)
			if err != nil {
				return nil, err
			}
			entries = append(entries, e)
		}
		return duckdb.NewStructInfo(entries[0], entries[1:]...)
	}
	return nil, fmt.Errorf("type %s is not readable", t)
}
