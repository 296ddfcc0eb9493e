package sqlq

import (
	"bytes"
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	bindings "github.com/duckdb/duckdb-go-bindings"
	"github.com/duckdb/duckdb-go/v2"

	"pipeline/catalog"
)

// DuckDBOptions configure OpenDuckDB. A nil *DuckDBOptions is not enough:
// LocalDir is required.
type DuckDBOptions struct {
	// Database is the catalog database whose tables are queryable.
	// Default catalog.Database.
	Database string

	// LocalDir maps an S3 folder to the local directory that holds its
	// objects as files (the emulated S3 keeps each object as a file): the
	// objects whose keys are prefix and one more "/"-free segment, where
	// prefix is "" (the bucket's top) or ends in "/"
	// ("stock_topic/dt=2026-11-26/"). The engine reads the files there
	// whose names end in the table format's extensions. It must keep every
	// result under its root, whatever the bucket and prefix: table
	// locations come from the catalog, which users write. Required.
	LocalDir func(bucket, prefix string) (string, error)

	// AllowFileAccess lets SQL read any local file (read_csv, read_text).
	// By default SQL reaches only the directories of the catalog's tables
	// and TempDir, and the configuration is locked, since the emulated
	// Athena endpoint runs SQL that it receives over HTTP. Either way the
	// engine only reads: a statement that writes (COPY ... TO, CREATE,
	// INSERT, ATTACH, SET, ...) is refused (see duckdb_readonly.go).
	AllowFileAccess bool

	// TempDir is where DuckDB spills what does not fit in memory; SQL can
	// read it. "" is a new private directory of the engine's own, removed
	// by Close (DuckDB's default, .tmp under the working directory, would
	// open that directory to SQL); a relative path is made absolute.
	TempDir string

	// CountBytesRead has DuckDB log its file reads, so that QueryCounted
	// can say how many bytes a query read.
	CountBytesRead bool
}

// DuckDB is an Engine that queries the catalog's tables in an in-memory
// DuckDB database, reading the table files straight from local disk. It is
// safe for concurrent use.
//
// # Tables as views
//
// Every table of the catalog database is a view named <database>.<table>
// over the table's files; the search path makes the bare table name work
// too. A view's columns are the table's columns, then its partition keys,
// typed from the catalog (string VARCHAR, bigint BIGINT, double DOUBLE,
// boolean BOOLEAN, timestamp TIMESTAMP, date DATE; a type DuckDB has no
// equivalent for is read as VARCHAR).
//
// A JSON table reads the files named *.json, *.jsonl or *.ndjson as JSON
// lines, matching an object's keys to column names exactly (case included):
// a key no column names is ignored, a column no key names is NULL. A
// Parquet table reads *.parquet, matching columns by name; a column that no
// file has is NULL.
//
// As in Athena, a partitioned table reads only the partitions registered in
// the catalog, and the partition values are the catalog's. A view reads
// the files that match, when a query runs, a pattern per partition folder
// and file extension found when the view was built: a new file in a folder
// that had files of its extension is seen at once; new tables, columns and
// partitions (and a first file in an empty folder) after Refresh. A table
// whose view cannot be built (a location that is not s3://, or that
// LocalDir rejects) still exists, and querying it fails with the reason.
//
// # Read only
//
// Queries only read: one SELECT, WITH, VALUES, DESCRIBE, SHOW, SUMMARIZE or
// EXPLAIN statement at a time, calling table functions that only read; a
// statement that would write a file or change the database or the session
// (COPY ... TO, CREATE, INSERT, ATTACH, SET, PRAGMA, CALL, EXPORT,
// enable_logging()) is a *QueryError that says so, and DuckDB never binds
// it. Files are read only from the tables' folders (unless
// AllowFileAccess) and the engine's temp dir.
type DuckDB struct {
	cat     *catalog.Catalog
	opts    DuckDBOptions
	tempDir string // TempDir, or the engine's own
	ownTemp bool   // tempDir is the engine's, removed by Close
	counted countedQueries
	checks  readChecks

	refreshMu sync.Mutex // one Refresh at a time

	mu       sync.RWMutex
	cur      *duckInstance // nil once closed
	retiring sync.WaitGroup
}

// duckInstance is one built database. Refresh builds a new one and retires
// the old one once the queries running on it are done.
type duckInstance struct {
	db    *sql.DB
	parse *sql.Stmt // parseSQL, for checkRead
	refs  sync.WaitGroup
}

var _ Engine = (*DuckDB)(nil)

// OpenDuckDB opens an in-memory DuckDB database and creates a view for every
// table of the catalog database (which need not exist yet). ctx bounds the
// opening only.
func OpenDuckDB(ctx context.Context, cat *catalog.Catalog, opts *DuckDBOptions) (*DuckDB, error) {
	if cat == nil {
		return nil, errors.New("open duckdb: no catalog")
	}
	var o DuckDBOptions
	if opts != nil {
		o = *opts
	}
	if o.Database == "" {
		o.Database = catalog.Database
	}
	if o.LocalDir == nil {
		return nil, errors.New("open duckdb: DuckDBOptions.LocalDir is required")
	}
	d := &DuckDB{cat: cat, opts: o, tempDir: o.TempDir}
	if d.tempDir == "" {
		dir, err := os.MkdirTemp("", "pipeline-duckdb-") // mode 0700: this user's only
		if err != nil {
			return nil, fmt.Errorf("open duckdb: %w", err)
		}
		d.tempDir, d.ownTemp = dir, true
	} else {
		// DuckDB would take a relative path from the working directory
		// of whoever runs it, and open that to SQL.
		dir, err := filepath.Abs(d.tempDir)
		if err == nil {
			err = os.MkdirAll(dir, 0o700)
		}
		if err != nil {
			return nil, fmt.Errorf("open duckdb: temp dir: %w", err)
		}
		d.tempDir = dir
	}
	inst, err := d.build(ctx)
	if err != nil {
		if d.ownTemp {
			os.RemoveAll(d.tempDir)
		}
		return nil, err
	}
	d.cur = inst
	return d, nil
}

// Refresh rebuilds the views from the catalog, to see the tables, columns
// and partitions a crawl added. Queries running meanwhile finish on the old
// views; later ones use the new.
func (d *DuckDB) Refresh(ctx context.Context) error {
	d.refreshMu.Lock()
	defer d.refreshMu.Unlock()
	inst, err := d.build(ctx)
	if err != nil {
		return err
	}
	d.mu.Lock()
	old := d.cur
	if old == nil {
		d.mu.Unlock()
		inst.db.Close()
		return ErrClosed
	}
	d.cur = inst
	d.mu.Unlock()
	d.retiring.Add(1)
	go func() {
		defer d.retiring.Done()
		old.refs.Wait()
		old.db.Close()
	}()
	return nil
}

// Close closes the database, once the queries running on it are done.
func (d *DuckDB) Close() error {
	d.mu.Lock()
	inst := d.cur
	d.cur = nil
	d.mu.Unlock()
	if inst == nil {
		return nil
	}
	inst.refs.Wait()
	err := inst.db.Close()
	d.retiring.Wait()
	if d.ownTemp {
		os.RemoveAll(d.tempDir)
	}
	return err
}

// DB returns the database the views are in, for benchmarks and tools that
// want database/sql directly. It belongs to the engine: it is closed by
// Close, and by Refresh once its running queries are done. Nil after Close.
func (d *DuckDB) DB() *sql.DB {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if d.cur == nil {
		return nil
	}
	return d.cur.db
}

func (d *DuckDB) acquire() *duckInstance {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if d.cur != nil {
		d.cur.refs.Add(1)
	}
	return d.cur
}

// Query runs sql and returns all of its rows.
func (d *DuckDB) Query(ctx context.Context, sql string) (*Result, error) {
	res := &Result{Rows: [][]any{}}
	var slab []any // rows are cut from slabs: one allocation per 256 rows
	err := d.QueryEach(ctx, sql, func(cols []Column) error {
		res.Columns = cols
		return nil
	}, func(row []any) error {
		if len(slab) < len(row) {
			slab = make([]any, len(row)*256)
		}
		kept := slab[:len(row):len(row)]
		slab = slab[len(row):]
		copy(kept, row)
		res.Rows = append(res.Rows, kept)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// QueryEach runs sql and hands its columns to start, then each row to fn as
// it is read, values normalized as Query's; row is reused after fn returns.
// An error of fn stops the query and is returned.
func (d *DuckDB) QueryEach(ctx context.Context, sql string, start func([]Column) error, fn func(row []any) error) error {
	inst := d.acquire()
	if inst == nil {
		return ErrClosed
	}
	defer inst.refs.Done()
	conn, err := inst.db.Conn(ctx)
	if err != nil {
		return queryErr(ctx, err)
	}
	defer conn.Close()
	return inst.queryEach(ctx, conn, &d.checks, sql, start, fn)
}

// queryEach is QueryEach on conn, one connection of the database. It
// refuses a statement that does not only read (duckdb_readonly.go).
func (inst *duckInstance) queryEach(ctx context.Context, conn *sql.Conn, checks *readChecks, query string, start func([]Column) error, fn func(row []any) error) error {
	if strings.TrimSpace(query) == "" {
		return NewQueryError("empty query", nil)
	}
	check := checks.check(ctx, inst.parse, query)
	return conn.Raw(func(dc any) error {
		st, err := prepareRead(dc.(*duckdb.Conn), query, check)
		if err != nil {
			return err
		}
		defer st.Close()
		rs, err := st.QueryContext(ctx, nil)
		if err != nil {
			return queryErr(ctx, err)
		}
		defer rs.Close()
		names := rs.Columns()
		typed, _ := rs.(driver.RowsColumnTypeDatabaseTypeName)
		cols := make([]Column, len(names))
		types := make([]*dtype, len(names))
		for i, name := range names {
			typ := "VARCHAR"
			if typed != nil {
				typ = typed.ColumnTypeDatabaseTypeName(i)
			}
			types[i] = parseType(typ)
			cols[i] = Column{Name: name, Type: types[i].athena()}
		}
		if err := start(cols); err != nil {
			return err
		}
		vals := make([]driver.Value, len(names))
		row := make([]any, len(names))
		for n := 0; ; n++ {
			if n%1024 == 0 && ctx.Err() != nil {
				return queryErr(ctx, ctx.Err())
			}
			if err := rs.Next(vals); err == io.EOF {
				return nil
			} else if err != nil {
				return queryErr(ctx, err)
			}
			for i, v := range vals {
				if b, ok := v.([]byte); ok {
					v = bytes.Clone(b) // the driver's, as database/sql's Scan would copy it
				}
				row[i] = types[i].normalize(v)
				if s, ok := row[i].(string); ok && cols[i].Type == "bigint" {
					return NewQueryError(fmt.Sprintf("%s in column %q does not fit in a bigint (Athena fails the same way): CAST it to DECIMAL(38,0) or DOUBLE", s, cols[i].Name), nil)
				}
			}
			if err := fn(row); err != nil {
				return err
			}
		}
	})
}

// queryErr classifies a DuckDB error: a canceled query is ctx's error, an
// error of DuckDB's own is the query's.
func queryErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("query: %w", ctx.Err())
	}
	var de *duckdb.Error
	if errors.As(err, &de) {
		return NewQueryError(de.Msg, err)
	}
	return fmt.Errorf("query: %w", err)
}

// build opens a new in-memory database and creates the views.
func (d *DuckDB) build(ctx context.Context) (*duckInstance, error) {
	db := d.opts.Database
	tables, err := d.cat.ListTables(ctx, db)
	if errors.Is(err, catalog.ErrNotFound) {
		tables, err = nil, nil // no database yet: nothing to query, but SQL runs
	}
	if err != nil {
		return nil, fmt.Errorf("open duckdb: %w", err)
	}
	// Each connection of the pool gets the schema and the search path:
	// search_path is a per-connection setting.
	setup := "CREATE SCHEMA IF NOT EXISTS " + catalog.QuoteIdent(db) +
		"; SET search_path = " + catalog.QuoteLiteral(catalog.QuoteIdent(db)+",main")
	conn, err := duckdb.NewConnector("", func(ex driver.ExecerContext) error {
		_, err := ex.ExecContext(context.Background(), setup, nil)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("open duckdb: %w", err)
	}
	sdb := sql.OpenDB(conn)
	fail := func(err error) (*duckInstance, error) {
		sdb.Close()
		return nil, err
	}
	// The Parquet metadata cache keeps each file's footer between queries
	// (checked against the file's mtime): a query over many small files
	// otherwise spends most of its time re-reading footers.
	if _, err := sdb.ExecContext(ctx, "SET GLOBAL parquet_metadata_cache = true"); err != nil {
		return fail(fmt.Errorf("open duckdb: %w", err))
	}

	var dirs []string
	for _, t := range tables {
		view := catalog.QuoteIdent(db) + "." + catalog.QuoteIdent(t.Name)
		q, tdirs, err := d.viewQuery(ctx, sdb, t)
		if ctx.Err() != nil {
			return fail(fmt.Errorf("open duckdb: %w", ctx.Err()))
		}
		if err == nil {
			_, err = sdb.ExecContext(ctx, "CREATE OR REPLACE VIEW "+view+" AS "+q)
			var de *duckdb.Error
			if errors.As(err, &de) {
				err = errors.New(engineMessage(de.Msg))
			}
		}
		if err != nil {
			// The table stays, failing with the reason when queried.
			msg := fmt.Sprintf("table %s.%s: %v", db, t.Name, err)
			if _, err := sdb.ExecContext(ctx, "CREATE OR REPLACE VIEW "+view+" AS "+failingQuery(t, msg)); err != nil {
				return fail(fmt.Errorf("open duckdb: table %s.%s: %w", db, t.Name, err))
			}
			continue
		}
		dirs = append(dirs, tdirs...)
	}

	if d.opts.CountBytesRead {
		if _, err := sdb.ExecContext(ctx, "CALL enable_logging('FileSystem')"); err != nil {
			return fail(fmt.Errorf("open duckdb: log file reads: %w", err))
		}
	}
	if _, err := sdb.ExecContext(ctx, "SET temp_directory = "+catalog.QuoteLiteral(d.tempDir)); err != nil {
		return fail(fmt.Errorf("open duckdb: temp dir: %w", err))
	}
	if !d.opts.AllowFileAccess {
		allowed := make([]string, 0, len(dirs))
		for _, dir := range dirs {
			allowed = append(allowed, catalog.QuoteLiteral(dir+string(filepath.Separator)))
		}
		for _, q := range []string{
			"SET allowed_directories = [" + strings.Join(allowed, ", ") + "]",
			"SET enable_external_access = false",
			"SET autoinstall_known_extensions = false",
			"SET lock_configuration = true",
		} {
			if _, err := sdb.ExecContext(ctx, q); err != nil {
				return fail(fmt.Errorf("open duckdb: %s: %w", q, err))
			}
		}
	}
	parse, err := sdb.PrepareContext(ctx, parseSQL)
	if err != nil {
		return fail(fmt.Errorf("open duckdb: %w", err))
	}
	return &duckInstance{db: sdb, parse: parse}, nil
}

// viewQuery returns the SELECT of a table's view and the directories it
// reads.
func (d *DuckDB) viewQuery(ctx context.Context, db *sql.DB, t *catalog.Table) (string, []string, error) {
	exts, ok := formatExts[t.Format]
	if !ok {
		return "", nil, fmt.Errorf("format %q is not readable: want %s or %s", t.Format, catalog.FormatJSON, catalog.FormatParquet)
	}
	cols, keys := viewColumns(t)
	if len(cols)+len(keys) == 0 {
		return "", nil, errors.New("no columns")
	}
	tdir, err := d.localDir(t.Location)
	if err != nil {
		return "", nil, err
	}
	dirs := []string{tdir}
	v := &viewBuilder{format: t.Format, cols: cols, keys: keys}

	if len(keys) == 0 {
		globs, err := fileGlobs(tdir, exts)
		if err != nil {
			return "", nil, err
		}
		if len(globs) > 0 {
			v.plain = globs
		}
	} else {
		parts, err := d.cat.ListPartitions(ctx, d.opts.Database, t.Name)
		if err != nil {
			return "", nil, err
		}
		for _, p := range parts {
			if len(p.Values) != len(keys) {
				return "", nil, fmt.Errorf("partition %q has %d values for %d partition keys", p.Values, len(p.Values), len(keys))
			}
			pdir, err := d.localDir(p.Location)
			if err != nil {
				return "", nil, fmt.Errorf("partition %q: %w", p.Values, err)
			}
			globs, err := fileGlobs(pdir, exts)
			if err != nil {
				return "", nil, fmt.Errorf("partition %q: %w", p.Values, err)
			}
			if len(globs) == 0 {
				continue
			}
			if pdir != tdir && !strings.HasPrefix(pdir, tdir+string(filepath.Separator)) {
				dirs = append(dirs, pdir)
			}
			if hiveLayout(pdir, keys, p.Values) {
				v.hive = append(v.hive, globs...)
			} else {
				v.other = append(v.other, otherPartition{dir: pdir, globs: globs, values: p.Values})
			}
		}
	}
	q, err := v.query(ctx, db)
	return q, dirs, err
}

// viewColumns returns the table's data columns and partition keys as the
// view has them: names unique regardless of case (the first wins, and a
// partition key wins over a data column, as in Hive), types DuckDB's.
func viewColumns(t *catalog.Table) (cols, keys []viewCol) {
	seen := map[string]bool{}
	add := func(list []viewCol, c catalog.Column) []viewCol {
		k := strings.ToLower(c.Name)
		if c.Name == "" || seen[k] {
			return list
		}
		seen[k] = true
		return append(list, viewCol{name: c.Name, typ: catalog.DuckDBType(c.Type)})
	}
	for _, c := range t.PartitionKeys {
		keys = add(keys, c)
	}
	for _, c := range t.Columns {
		cols = add(cols, c)
	}
	return cols, keys
}

type viewCol struct {
	name, typ string // typ is a DuckDB type, from a fixed set: never user text
}

var formatExts = map[string][]string{
	catalog.FormatJSON:    {".json", ".jsonl", ".ndjson"},
	catalog.FormatParquet: {".parquet"},
}

// fileGlobs returns a glob for each extension (of exts, in any case) that
// a file directly in dir has: dir/*.json, dir/*.JSON, ... A missing
// directory has none.
func fileGlobs(dir string, exts []string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var globs []string
	for _, e := range ents {
		ext := filepath.Ext(e.Name())
		if e.IsDir() || !slices.Contains(exts, strings.ToLower(ext)) {
			continue
		}
		if g := filepath.Join(dir, "*"+ext); !slices.Contains(globs, g) {
			globs = append(globs, g)
		}
	}
	return globs, nil
}

// localDir maps an s3://bucket/prefix/ location to its local directory.
func (d *DuckDB) localDir(loc string) (string, error) {
	rest, ok := strings.CutPrefix(loc, "s3://")
	if !ok {
		return "", fmt.Errorf("location %q is not an s3:// URI", loc)
	}
	bucket, prefix, _ := strings.Cut(rest, "/")
	prefix = strings.TrimSuffix(prefix, "/")
	if bucket == "" {
		return "", fmt.Errorf("location %q has no bucket", loc)
	}
	if strings.ContainsAny(loc, "\x00\\") {
		return "", fmt.Errorf("location %q has a NUL or backslash", loc)
	}
	if prefix != "" {
		for _, seg := range strings.Split(prefix, "/") {
			if seg == "" || seg == "." || seg == ".." {
				return "", fmt.Errorf("location %q has an empty, . or .. path segment", loc)
			}
		}
	}
	if prefix != "" {
		prefix += "/"
	}
	p, err := d.opts.LocalDir(bucket, prefix)
	if err != nil {
		return "", fmt.Errorf("location %q: %w", loc, err)
	}
	p, err = filepath.Abs(p)
	if err != nil {
		return "", fmt.Errorf("location %q: %w", loc, err)
	}
	// DuckDB would read these as a pattern, and a pattern can reach other
	// directories than the location's.
	if strings.ContainsAny(p, "*?[") {
		return "", fmt.Errorf("location %q: its local directory has a glob character (* ? [)", loc)
	}
	return p, nil
}

// hiveLayout reports whether DuckDB's Hive partitioning reads exactly the
// catalog's values from dir: it ends in key=value folders for the keys, in
// order, and no value needs decoding or reads as NULL.
func hiveLayout(dir string, keys []viewCol, vals []string) bool {
	for i := len(keys) - 1; i >= 0; i-- {
		v := vals[i]
		if v == "" || strings.ContainsAny(v, "%/=") || strings.EqualFold(v, "null") || v == "__HIVE_DEFAULT_PARTITION__" {
			return false
		}
		if filepath.Base(dir) != keys[i].name+"="+v {
			return false
		}
		dir = filepath.Dir(dir)
	}
	return true
}

type otherPartition struct {
	dir    string
	globs  []string
	values []string
}

// A viewBuilder writes the SELECT of a table's view from its files:
//
//	plain: an unpartitioned table's files
//	hive:  the files of partitions in key=value folders, whose partition
//	       values DuckDB reads from the paths (and prunes files by)
//	other: partitions in other folders (Glue's partition_0 layout, values
//	       that need escaping); a file's values come from a join of its
//	       folder with the catalog's list
type viewBuilder struct {
	format     string
	cols, keys []viewCol
	plain      []string
	hive       []string
	other      []otherPartition
}

// fileCol names the file a row came from, for the join of other partitions.
const fileCol = "__sqlq_file"

func (v *viewBuilder) query(ctx context.Context, db *sql.DB) (string, error) {
	var branches []string
	if len(v.plain) > 0 {
		sel, err := v.selectFrom(ctx, db, v.reader(v.plain, false, false)+" AS r", "r", false)
		if err != nil {
			return "", err
		}
		branches = append(branches, sel)
	}
	if len(v.hive) > 0 {
		sel, err := v.selectFrom(ctx, db, v.reader(v.hive, true, false)+" AS r", "r", true)
		if err != nil {
			return "", err
		}
		branches = append(branches, sel)
	}
	if len(v.other) > 0 {
		var globs, rows []string
		for _, p := range v.other {
			globs = append(globs, p.globs...)
			row := []string{catalog.QuoteLiteral(p.dir)}
			for i, k := range v.keys {
				row = append(row, partitionValue(p.values[i], k.typ))
			}
			rows = append(rows, "("+strings.Join(row, ", ")+")")
		}
		names := []string{catalog.QuoteIdent(fileCol)}
		for _, k := range v.keys {
			names = append(names, catalog.QuoteIdent(k.name))
		}
		from := v.reader(globs, false, true) + " AS r JOIN (VALUES " + strings.Join(rows, ", ") +
			") AS p(" + strings.Join(names, ", ") + ") ON parse_dirpath(r." + catalog.QuoteIdent(fileCol) + ") = p." + catalog.QuoteIdent(fileCol)
		sel, err := v.selectFrom(ctx, db, from, "p", true)
		if err != nil {
			return "", err
		}
		branches = append(branches, sel)
	}
	if len(branches) == 0 {
		// No files yet: no rows, the right columns.
		var list []string
		for _, c := range append(slices.Clip(v.cols), v.keys...) {
			list = append(list, "CAST(NULL AS "+c.typ+") AS "+catalog.QuoteIdent(c.name))
		}
		return "SELECT " + strings.Join(list, ", ") + " LIMIT 0", nil
	}
	return strings.Join(branches, " UNION ALL "), nil
}

// reader returns the table function that reads files (globs), with the
// partition keys from their paths if hive, and the file name if named.
func (v *viewBuilder) reader(globs []string, hive, named bool) string {
	lits := make([]string, len(globs))
	for i, g := range globs {
		lits[i] = catalog.QuoteLiteral(g)
	}
	var b strings.Builder
	if v.format == catalog.FormatParquet {
		b.WriteString("read_parquet([" + strings.Join(lits, ", ") + "], union_by_name = true")
	} else {
		b.WriteString("read_json([" + strings.Join(lits, ", ") + "], format = 'newline_delimited', columns = {")
		for i, c := range v.cols {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(catalog.QuoteLiteral(c.name) + ": " + catalog.QuoteLiteral(c.typ))
		}
		b.WriteString("}")
	}
	if hive {
		b.WriteString(", hive_partitioning = true, hive_types = {")
		for i, k := range v.keys {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(catalog.QuoteLiteral(k.name) + ": " + catalog.QuoteLiteral(k.typ))
		}
		b.WriteString("}")
	} else {
		b.WriteString(", hive_partitioning = false")
	}
	if named {
		b.WriteString(", filename = " + catalog.QuoteLiteral(fileCol))
	}
	b.WriteString(")")
	return b.String()
}

// selectFrom selects the view's columns from a FROM clause whose reader is
// aliased r: data
// columns from r, partition keys (if withKeys) from alias keysFrom.
//
// A JSON reader has exactly the typed columns. A Parquet reader has the
// files' columns: one no file has is NULL, and one of another type is cast.
func (v *viewBuilder) selectFrom(ctx context.Context, db *sql.DB, from, keysFrom string, withKeys bool) (string, error) {
	var have map[string]string // lower-case name -> DuckDB type
	if v.format == catalog.FormatParquet {
		var err error
		if have, err = describe(ctx, db, from); err != nil {
			return "", err
		}
	}
	var list []string
	for _, c := range v.cols {
		col := "r." + catalog.QuoteIdent(c.name)
		if have != nil {
			switch t, ok := have[strings.ToLower(c.name)]; {
			case !ok:
				col = "CAST(NULL AS " + c.typ + ")"
			case t != c.typ:
				col = "CAST(" + col + " AS " + c.typ + ")"
			}
		}
		list = append(list, col+" AS "+catalog.QuoteIdent(c.name))
	}
	if withKeys {
		for _, k := range v.keys {
			list = append(list, keysFrom+"."+catalog.QuoteIdent(k.name)+" AS "+catalog.QuoteIdent(k.name))
		}
	} else {
		for _, k := range v.keys {
			list = append(list, "CAST(NULL AS "+k.typ+") AS "+catalog.QuoteIdent(k.name))
		}
	}
	return "SELECT " + strings.Join(list, ", ") + " FROM " + from, nil
}

// describe returns the columns a FROM clause has, keyed by lower-case name.
func describe(ctx context.Context, db *sql.DB, from string) (map[string]string, error) {
	rows, err := db.QueryContext(ctx, "DESCRIBE SELECT r.* FROM "+from)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	have := map[string]string{}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		name, _ := vals[0].(string)
		typ, _ := vals[1].(string)
		have[strings.ToLower(name)] = typ
	}
	return have, rows.Err()
}

// partitionValue is a partition value as a typed SQL literal; Hive's
// default partition is NULL.
func partitionValue(v, typ string) string {
	if v == "__HIVE_DEFAULT_PARTITION__" {
		return "CAST(NULL AS " + typ + ")"
	}
	return "CAST(" + catalog.QuoteLiteral(v) + " AS " + typ + ")"
}

// failingQuery is the SELECT of a table whose view cannot be built: the
// table's columns, and an error with msg when it is read.
func failingQuery(t *catalog.Table, msg string) string {
	cols, keys := viewColumns(t)
	list := []string{}
	for _, c := range append(cols, keys...) {
		list = append(list, "CAST(NULL AS "+c.typ+") AS "+catalog.QuoteIdent(c.name))
	}
	if len(list) == 0 {
		list = []string{"NULL AS " + catalog.QuoteIdent("error")}
	}
	return "SELECT " + strings.Join(list, ", ") + " FROM range(1) WHERE error(" + catalog.QuoteLiteral(msg) + ") IS NULL"
}

// DuckDBVersion is the version of the DuckDB library linked in, e.g. v1.4.1.
func DuckDBVersion() string { return bindings.LibraryVersion() }
