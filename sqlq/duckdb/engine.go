// Package duckdb is the local query engine: an sqlq.Engine that queries the
// catalog's tables in an in-memory DuckDB database, as views over the table
// files on local disk (where the emulated S3 keeps its objects), with the
// values normalized as package sqlq tabulates, and hive_json, the reader of
// JSON tables that behaves as Athena's OpenX SerDe.
//
// It is not the contract (package sqlq: Engine, Result, Print) nor the
// conformance suite (sqlq/enginetest). It links DuckDB through cgo, which is
// why it is a package of its own.
//
// # Main types
//
//   - Engine (Open, Options): views over the catalog's tables and their
//     files. SQL only reads, and only the tables' directories unless
//     Options.AllowFileAccess.
//   - Version: the DuckDB library linked in.
//
// Inside, the package imports the DuckDB driver, also named duckdb: in its
// files duckdb.X is the driver's X.
package duckdb

import (
	"bytes"
	"cmp"
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	bindings "github.com/duckdb/duckdb-go-bindings"
	"github.com/duckdb/duckdb-go/v2"

	"pipeline/catalog"
	"pipeline/sqlq"
)

// Options configure Open. A nil *Options is not enough:
// LocalDir is required.
type Options struct {
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
	// INSERT, ATTACH, SET, ...) is refused (see readonly.go).
	AllowFileAccess bool

	// TempDir is where DuckDB spills what does not fit in memory; SQL can
	// read it. "" is a new private directory of the engine's own, removed
	// by Close (DuckDB's default, .tmp under the working directory, would
	// open that directory to SQL); a relative path is made absolute.
	TempDir string

	// CountBytesRead has DuckDB log its file reads, so that QueryCounted
	// can say how many bytes a query read.
	CountBytesRead bool

	// ObjectName maps a file or directory found under a table's location
	// (its path, under a directory LocalDir returned) to the name of the
	// S3 object (the last segment of its key; "" for a folder marker) or
	// folder it holds, false for an entry that holds none (a store's own
	// files). Nil: names are as on disk.
	ObjectName func(path string, dir bool) (string, bool)

	// MaxValueChars, if more than 0, bounds a value's text: a varchar,
	// varbinary, json or nested value (array, map, struct) longer than
	// that many characters is its first MaxValueChars characters and
	// sqlq.Ellipsis, and a nested value or a blob is rendered no further,
	// so that one huge value costs about that (DuckDB's driver still
	// hands over the whole value). For a console that shows a page of
	// values; 0 (the default) keeps every value whole, as `pipeline query`
	// prints them.
	MaxValueChars int

	// HiveJSON reads JSON tables as Athena's OpenX JSON SerDe does (see
	// hivejson_decode.go): keys matched without regard to case, the
	// table's SerDe properties ('mapping.*', 'ignore.malformed.json',
	// 'case.insensitive', 'dots.in.keys', 'timestamp.formats'), values
	// converted by Hive's rules. It is slower than DuckDB's JSON reader,
	// which the engine uses otherwise (keys matched exactly, values
	// converted by DuckDB's rules).
	HiveJSON bool
}

// Engine is an sqlq.Engine that queries the catalog's tables in an in-memory
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
// As in Athena, a view reads every file under the table's location (a
// partition's, for a partitioned table), in sub-folders too, except hidden
// ones (names starting with "_" or "."), whatever their names: a JSON
// table reads them as JSON lines, decompressed by extension (.gz, .zst),
// matching an object's keys to column names (see HiveJSON for how); a
// Parquet table reads them as Parquet, matching columns by name without
// regard to case. A key or column that no column or key names is NULL.
//
// As in Athena, a partitioned table reads only the partitions registered in
// the catalog, and the partition values are the catalog's. Files added or
// removed are seen by the next query (see files.go); new tables,
// columns and partitions after Refresh. A table whose view cannot be built
// (a location that is not s3://, or that LocalDir rejects, a type Hive
// does not have) still exists, and querying it fails with the reason; a
// partition that cannot be read (its location, a value not of its key's
// type) fails only the queries that read it.
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
type Engine struct {
	cat     *catalog.Catalog
	opts    Options
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
	scans hiveScans

	viewsMu sync.Mutex // held while the views are checked and rebuilt
	views   []*tableView
}

// fresh rebuilds the views that sql may read whose files changed since
// they were built.
func (d *Engine) fresh(ctx context.Context, inst *duckInstance, sql string) error {
	inst.viewsMu.Lock()
	defer inst.viewsMu.Unlock()
	lower := strings.ToLower(sql)
	for i, v := range inst.views {
		if !mayRead(lower, v.table.Name) || !v.stale() {
			continue
		}
		nv, err := d.buildView(ctx, inst, v.table, v.parts)
		if err != nil {
			return fmt.Errorf("query: %w", err)
		}
		inst.scans.drop(v.scans)
		inst.views[i] = nv
	}
	return nil
}

// mayRead says whether a statement (in lower case) may read the table
// name: whether the name is in its text, as any reference must be unless
// quoting changed it (a name with a quote or non-ASCII letters is always
// checked). Checking only those keeps a query's cost from growing with
// the directories of tables it does not read.
func mayRead(lowerSQL, name string) bool {
	if strings.ContainsAny(name, `"'\`) || strings.IndexFunc(name, func(r rune) bool { return r >= 0x80 }) >= 0 {
		return true
	}
	return strings.Contains(lowerSQL, strings.ToLower(name))
}

var _ sqlq.Engine = (*Engine)(nil)

// Open opens an in-memory DuckDB database and creates a view for every
// table of the catalog database (which need not exist yet). ctx bounds the
// opening only.
func Open(ctx context.Context, cat *catalog.Catalog, opts *Options) (*Engine, error) {
	if cat == nil {
		return nil, errors.New("open duckdb: no catalog")
	}
	var o Options
	if opts != nil {
		o = *opts
	}
	o.Database = cmp.Or(o.Database, catalog.Database)
	if o.LocalDir == nil {
		return nil, errors.New("open duckdb: Options.LocalDir is required")
	}
	d := &Engine{cat: cat, opts: o, tempDir: o.TempDir}
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
func (d *Engine) Refresh(ctx context.Context) error {
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
		return sqlq.ErrClosed
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
func (d *Engine) Close() error {
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
func (d *Engine) DB() *sql.DB {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if d.cur == nil {
		return nil
	}
	return d.cur.db
}

// acquire returns the current database with its views fresh, to be
// released with refs.Done; nil once closed.
func (d *Engine) acquire(ctx context.Context, sql string) (*duckInstance, error) {
	d.mu.RLock()
	inst := d.cur
	if inst != nil {
		inst.refs.Add(1)
	}
	d.mu.RUnlock()
	if inst == nil {
		return nil, sqlq.ErrClosed
	}
	if err := d.fresh(ctx, inst, sql); err != nil {
		inst.refs.Done()
		return nil, err
	}
	return inst, nil
}

// Query runs sql and returns all of its rows.
func (d *Engine) Query(ctx context.Context, sql string) (*sqlq.Result, error) {
	res := &sqlq.Result{Rows: [][]any{}}
	var slab []any // rows are cut from slabs: one allocation per 256 rows
	err := d.QueryEach(ctx, sql, func(cols []sqlq.Column) error {
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
func (d *Engine) QueryEach(ctx context.Context, sql string, start func([]sqlq.Column) error, fn func(row []any) error) error {
	inst, err := d.acquire(ctx, sql)
	if err != nil {
		return err
	}
	defer inst.refs.Done()
	conn, err := inst.db.Conn(ctx)
	if err != nil {
		return queryErr(ctx, err)
	}
	defer conn.Close()
	return inst.queryEach(ctx, conn, &d.checks, d.opts.MaxValueChars, sql, false, func(cols []sqlq.Column, _ []string) error { return start(cols) }, fn)
}

// queryEach is QueryEach on conn, one connection of the database, texts cut
// at maxChars as Options.MaxValueChars says; with raw, values are the
// driver's, not normalized (QueryCountedRaw). It refuses a statement that
// does not only read (readonly.go).
func (inst *duckInstance) queryEach(ctx context.Context, conn *sql.Conn, checks *readChecks, maxChars int, query string, raw bool, start func(cols []sqlq.Column, types []string) error, fn func(row []any) error) error {
	if strings.TrimSpace(query) == "" {
		return sqlq.NewQueryError("empty query", nil)
	}
	check := checks.check(ctx, inst.parse, query)
	return conn.Raw(func(dc any) error {
		rs, closeRows, jsonCols, err := openRows(ctx, dc.(*duckdb.Conn), query, check)
		defer func() { closeRows() }() // the last rows opened
		if err != nil {
			return err
		}
		names := rs.Columns()
		typed, _ := rs.(driver.RowsColumnTypeDatabaseTypeName)
		cols := make([]sqlq.Column, len(names))
		types := make([]*dtype, len(names))
		duckTypes := make([]string, len(names))
		for i, name := range names {
			duckTypes[i] = "VARCHAR"
			if typed != nil {
				duckTypes[i] = typed.ColumnTypeDatabaseTypeName(i)
			}
			types[i] = parseType(duckTypes[i])
			cols[i] = sqlq.Column{Name: name, Type: types[i].athena()}
		}
		if text, ok := jsonAsText(query, names, duckTypes, jsonCols); ok && !raw {
			// The driver decodes a JSON column's values (a string loses its
			// quotes, null is NULL, a big integer a float64), also inside
			// arrays, maps and structs: run the query again for their text.
			closeRows()
			if rs, closeRows, _, err = openRows(ctx, dc.(*duckdb.Conn), text, checks.check(ctx, inst.parse, text)); err != nil {
				return err
			}
		}
		if err := start(cols, duckTypes); err != nil {
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
				if raw {
					if b, ok := v.([]byte); ok {
						v = bytes.Clone(b) // the driver's, which it reuses
					}
					row[i] = v
					continue
				}
				// normalize copies what it keeps of a []byte, which
				// the driver reuses.
				row[i] = types[i].normalize(v, maxChars)
				if s, ok := row[i].(string); ok && cols[i].Type == "bigint" {
					return sqlq.NewQueryError(fmt.Sprintf("%s in column %q does not fit in a bigint (Athena fails the same way): CAST it to DECIMAL(38,0) or DOUBLE", s, cols[i].Name), nil)
				}
			}
			if err := fn(row); err != nil {
				return err
			}
		}
	})
}

// openRows prepares query on conn and runs it; closeRows closes what it
// opened (nothing on an error). jsonCols says which columns are or hold
// JSON.
func openRows(ctx context.Context, conn *duckdb.Conn, query string, c readCheck) (rs driver.Rows, closeRows func(), jsonCols []bool, err error) {
	st, err := prepareRead(ctx, conn, query, c)
	if err != nil {
		return nil, func() {}, nil, err
	}
	n, _ := st.ColumnCount()
	jsonCols = make([]bool, n)
	for i := range jsonCols {
		t, err := st.ColumnTypeInfo(i)
		jsonCols[i] = err == nil && holdsJSON(t)
	}
	if rs, err = st.QueryContext(ctx, nil); err != nil {
		st.Close()
		return nil, func() {}, nil, queryErr(ctx, err)
	}
	return rs, func() { rs.Close(); st.Close() }, jsonCols, nil
}

// holdsJSON says whether t is JSON or has JSON elements, keys, values or
// fields (the driver's type name of a nested one says VARCHAR).
func holdsJSON(t duckdb.TypeInfo) bool {
	if t == nil {
		return false
	}
	if t.Alias() == "JSON" {
		return true
	}
	switch d := t.Details().(type) {
	case *duckdb.ListDetails:
		return holdsJSON(d.Child)
	case *duckdb.ArrayDetails:
		return holdsJSON(d.Child)
	case *duckdb.MapDetails:
		return holdsJSON(d.Key) || holdsJSON(d.Value)
	case *duckdb.StructDetails:
		return slices.ContainsFunc(d.Entries, func(e duckdb.StructEntry) bool { return holdsJSON(e.Info()) })
	}
	return false
}

// jsonAsText is query with its JSON columns (jsonCols) cast to their
// text, by position (names may repeat), if it has any: a column that holds
// JSON is cast to its driver's type name, VARCHAR in JSON's place.
func jsonAsText(query string, names, duckTypes []string, jsonCols []bool) (string, bool) {
	if !slices.Contains(jsonCols, true) {
		return "", false
	}
	var b strings.Builder
	b.WriteString("SELECT ")
	for i, name := range names {
		if i > 0 {
			b.WriteString(", ")
		}
		switch {
		case duckTypes[i] == "JSON":
			fmt.Fprintf(&b, "CAST(#%d AS VARCHAR)", i+1)
		case i < len(jsonCols) && jsonCols[i]:
			fmt.Fprintf(&b, "CAST(#%d AS %s)", i+1, duckTypes[i])
		default:
			fmt.Fprintf(&b, "#%d", i+1)
		}
		b.WriteString(" AS " + catalog.QuoteIdent(name))
	}
	b.WriteString(" FROM (" + strings.TrimRight(strings.TrimSpace(query), ";") + "\n) AS json_as_text")
	return b.String(), true
}

// queryErr classifies a DuckDB error: a canceled query is ctx's error, an
// error of DuckDB's own is the query's.
func queryErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("query: %w", ctx.Err())
	}
	var de *duckdb.Error
	if errors.As(err, &de) {
		return sqlq.NewQueryError(de.Msg, err)
	}
	return fmt.Errorf("query: %w", err)
}

// build opens a new in-memory database and creates the views.
func (d *Engine) build(ctx context.Context) (*duckInstance, error) {
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

	inst := &duckInstance{db: sdb}
	if d.opts.HiveJSON {
		conn, err := sdb.Conn(ctx)
		if err != nil {
			return fail(fmt.Errorf("open duckdb: %w", err))
		}
		err = registerHiveJSON(conn, &inst.scans)
		conn.Close()
		if err != nil {
			return fail(fmt.Errorf("open duckdb: %w", err))
		}
	}
	var dirs []string
	for _, t := range tables {
		var parts []catalog.Partition
		if len(t.PartitionKeys) > 0 {
			if parts, err = d.cat.ListPartitions(ctx, db, t.Name); err != nil {
				return fail(fmt.Errorf("open duckdb: %w", err))
			}
		}
		v, err := d.buildView(ctx, inst, t, parts)
		if err != nil {
			return fail(fmt.Errorf("open duckdb: %w", err))
		}
		inst.views = append(inst.views, v)
		dirs = append(dirs, d.tableDirs(t, parts)...)
	}

	if d.opts.CountBytesRead {
		// The external file cache would answer a query's repeated reads
		// unlogged: the same query would count fewer bytes the second time.
		if _, err := sdb.ExecContext(ctx, "CALL enable_logging('FileSystem'); SET GLOBAL enable_external_file_cache = false"); err != nil {
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
	inst.parse = parse
	return inst, nil
}

// tableDirs are the directories SQL may read for a table: its location's
// and its partitions' outside it.
func (d *Engine) tableDirs(t *catalog.Table, parts []catalog.Partition) []string {
	tdir, err := d.localDir(t.Location)
	if err != nil {
		return nil
	}
	dirs := []string{tdir}
	for _, p := range parts {
		if pdir, err := d.localDir(p.Location); err == nil && pdir != tdir && !strings.HasPrefix(pdir, tdir+string(filepath.Separator)) {
			dirs = append(dirs, pdir)
		}
	}
	return dirs
}

// Version is the version of the DuckDB library linked in, e.g. v1.4.1.
func Version() string { return bindings.LibraryVersion() }
