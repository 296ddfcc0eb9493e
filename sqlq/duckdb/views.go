package duckdb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/duckdb/duckdb-go/v2"

	"pipeline/catalog"
	"pipeline/sqlq"
)

// tableView is a table's view in a built database and what it was built
// from: the view is rebuilt when a directory it listed changes.
type tableView struct {
	table *catalog.Table
	parts []catalog.Partition
	dirs  []dirStamp
	scans []string // its hive_json scans
	// sole: the Parquet files that are alone in their reader, which
	// DuckDB may answer from the footer it opened binding the view.
	sole []string
	// retry: the build failed in a way no directory stamp would show
	// cured (a directory could not be read): it is tried again before
	// every query.
	retry bool
}

// stale says whether v must be rebuilt before a query.
func (v *tableView) stale() bool {
	if v.retry {
		return true
	}
	for i := range v.dirs {
		if v.dirs[i].changed() {
			return true
		}
	}
	return false
}

// buildView creates or replaces t's view in inst from a listing of its
// files now. A table whose view cannot be built still gets one, that
// fails with the reason when read; a partition that cannot be read fails
// the queries that read it.
func (d *Engine) buildView(ctx context.Context, inst *duckInstance, t *catalog.Table, parts []catalog.Partition) (*tableView, error) {
	db := d.opts.Database
	view := catalog.QuoteIdent(db) + "." + catalog.QuoteIdent(t.Name)
	v := &tableView{table: t, parts: parts}
	q, err := d.viewQuery(ctx, inst, v)
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if err == nil {
		_, err = inst.db.ExecContext(ctx, "CREATE OR REPLACE VIEW "+view+" AS "+q)
		var de *duckdb.Error
		if errors.As(err, &de) {
			err = errors.New(sqlq.EngineMessage(de.Msg))
		}
	}
	if err != nil {
		msg := fmt.Sprintf("table %s.%s: %v", db, t.Name, err)
		if _, err := inst.db.ExecContext(ctx, "CREATE OR REPLACE VIEW "+view+" AS "+failingQuery(t, msg)); err != nil {
			return nil, fmt.Errorf("table %s.%s: %w", db, t.Name, err)
		}
	}
	return v, nil
}

// viewQuery returns the SELECT of v's table's view, listing its files
// into v.
func (d *Engine) viewQuery(ctx context.Context, inst *duckInstance, v *tableView) (string, error) {
	t := v.table
	if t.Format != catalog.FormatJSON && t.Format != catalog.FormatParquet {
		return "", fmt.Errorf("format %q is not readable: want %s or %s", t.Format, catalog.FormatJSON, catalog.FormatParquet)
	}
	cols, keys, err := viewColumns(t)
	if err != nil {
		return "", err
	}
	if len(cols)+len(keys) == 0 {
		return "", errors.New("no columns")
	}
	tdir, err := d.localDir(t.Location)
	if err != nil {
		return "", err
	}
	b := &viewBuilder{d: d, inst: inst, view: v, format: t.Format, cols: cols, keys: keys}
	if len(keys) == 0 {
		var l listing
		err := d.list(tdir, folderURI(t.Location), &l)
		v.dirs = l.dirs
		if err != nil {
			v.retry = true
			return "", err
		}
		b.plain = l.files
		return b.query(ctx)
	}
	for _, p := range v.parts {
		part := partitionFiles{values: p.Values}
		if len(p.Values) != len(keys) {
			part.bad = fmt.Sprintf("partition %q has %d values for %d partition keys", p.Values, len(p.Values), len(keys))
			b.bad = append(b.bad, part)
			continue
		}
		if msg := badPartitionValues(keys, p.Values); msg != "" {
			part.bad = msg
			b.bad = append(b.bad, part)
			continue
		}
		pdir, err := d.localDir(p.Location)
		if err != nil {
			part.bad = fmt.Sprintf("partition %s: %v", hiveName(keys, p.Values), err)
			b.bad = append(b.bad, part)
			continue
		}
		var l listing
		err = d.list(pdir, folderURI(p.Location), &l)
		v.dirs = append(v.dirs, l.dirs...)
		if err != nil {
			v.retry = true
			part.bad = fmt.Sprintf("partition %s: %v", hiveName(keys, p.Values), err)
			b.bad = append(b.bad, part)
			continue
		}
		if len(l.files) == 0 {
			continue
		}
		part.dir, part.files = pdir, l.files
		if hiveLayout(pdir, keys, p.Values) && !nestedKeys(pdir, l.files) {
			b.hive = append(b.hive, part)
		} else {
			b.other = append(b.other, part)
		}
	}
	return b.query(ctx)
}

// folderURI is a location as a folder: ending in "/".
func folderURI(loc string) string { return strings.TrimSuffix(loc, "/") + "/" }

// hiveName is a partition's key=value path, for messages.
func hiveName(keys []viewCol, values []string) string {
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k.name + "=" + values[i]
	}
	return strings.Join(parts, "/")
}

// viewColumns returns the table's data columns and partition keys as the
// view has them: names unique regardless of case (the first wins, and a
// partition key wins over a data column, as in Hive), types parsed.
func viewColumns(t *catalog.Table) (cols, keys []viewCol, err error) {
	seen := map[string]bool{}
	add := func(list []viewCol, c catalog.Column) ([]viewCol, error) {
		k := strings.ToLower(c.Name)
		if c.Name == "" || seen[k] {
			return list, nil
		}
		seen[k] = true
		ht, err := catalog.ParseType(c.Type)
		if err != nil {
			return nil, fmt.Errorf("column %s: %w", c.Name, err)
		}
		return append(list, viewCol{name: c.Name, typ: ht.DuckDB(), hive: ht}), nil
	}
	for _, c := range t.PartitionKeys {
		if keys, err = add(keys, c); err != nil {
			return nil, nil, err
		}
		if keys[len(keys)-1].hive.Complex() {
			return nil, nil, fmt.Errorf("partition key %s: a partition key must be of a primitive type", c.Name)
		}
	}
	for _, c := range t.Columns {
		if cols, err = add(cols, c); err != nil {
			return nil, nil, err
		}
	}
	return cols, keys, nil
}

type viewCol struct {
	name string
	typ  string // a DuckDB type built from a parsed type: never user text
	hive *catalog.HiveType
}

// zoned says whether a JSON reader reads the column as TIMESTAMPTZ: a
// timestamp's text may carry a UTC offset (the sink takes RFC 3339), which
// DuckDB's TIMESTAMP drops, reading 10:00+02:00 as 10:00. As Athena's
// SerDe and the sink's Parquet do, the view shows the instant in UTC (text
// without an offset is UTC); make_timestamp(epoch_us(x)) turns it back to a
// TIMESTAMP without a time zone's rules.
func (c viewCol) zoned() bool { return c.hive != nil && c.hive.Kind == "timestamp" }

// badPartitionValues says why a partition's values are not of its keys'
// types (Hive's default partition, NULL, is of any), or "".
func badPartitionValues(keys []viewCol, values []string) string {
	for i, k := range keys {
		if v := values[i]; v != hiveDefaultPartition && !valueOfType(v, k.hive) {
			return fmt.Sprintf("HIVE_INVALID_PARTITION_VALUE: Invalid partition value '%s' for %s partition key: %s=%s",
				v, strings.ToUpper(k.hive.String()), k.name, v)
		}
	}
	return ""
}

const hiveDefaultPartition = "__HIVE_DEFAULT_PARTITION__"

// valueOfType says whether a partition value reads as type t.
func valueOfType(v string, t *catalog.HiveType) bool {
	switch t.Kind {
	case "tinyint", "smallint", "int", "bigint":
		_, err := strconv.ParseInt(strings.TrimSpace(v), 10, t.IntegerBits())
		return err == nil
	case "double", "float":
		_, ok := parseJavaDouble(v, 64)
		return ok
	case "decimal":
		_, ok := parseHiveDecimal(strings.TrimSpace(v), t.Precision, t.Scale)
		return ok
	case "boolean":
		return strings.EqualFold(v, "true") || strings.EqualFold(v, "false")
	case "date":
		_, err := time.Parse(time.DateOnly, v)
		return err == nil
	case "timestamp":
		_, ok := parseLocalDateTime(v)
		return ok
	case "binary":
		return false
	}
	return true // strings
}

// localDir maps an s3://bucket/prefix/ location to its local directory.
func (d *Engine) localDir(loc string) (string, error) {
	bucket, prefix, ok := catalog.SplitS3URI(loc)
	if !ok {
		return "", fmt.Errorf("location %q is not an s3:// URI", loc)
	}
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
	// DuckDB reads a file list's names as patterns, and a pattern can
	// reach other files than the location's.
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
		if v == "" || strings.ContainsAny(v, "%/=") || strings.EqualFold(v, "null") || v == hiveDefaultPartition {
			return false
		}
		if filepath.Base(dir) != keys[i].name+"="+v {
			return false
		}
		dir = filepath.Dir(dir)
	}
	return true
}

// nestedKeys says whether a file lies in a sub-folder of dir whose name
// DuckDB's Hive partitioning would read as a key=value.
func nestedKeys(dir string, files []dataFile) bool {
	for _, f := range files {
		if rel, err := filepath.Rel(dir, filepath.Dir(f.path)); err == nil && rel != "." && strings.Contains(rel, "=") {
			return true
		}
		if strings.ContainsAny(f.path, "*?[") {
			return true
		}
	}
	return false
}

// partitionFiles is one partition's files, or why it cannot be read.
type partitionFiles struct {
	values []string
	dir    string
	files  []dataFile
	bad    string
}

// A viewBuilder writes the SELECT of a table's view from its files:
//
//	plain: an unpartitioned table's files
//	hive:  the partitions in key=value folders, whose values DuckDB reads
//	       from the paths (and prunes files by)
//	other: partitions in other folders (Glue's partition_0 layout, values
//	       that need escaping); a file's values come from a join of its
//	       folder with the catalog's list
//	bad:   partitions that cannot be read: reading one fails the query,
//	       a query whose filter rules it out does not read it
//
// With Options.HiveJSON a JSON table's files are read by hive_json,
// one scan a partition, whose values are constants DuckDB prunes by.
type viewBuilder struct {
	d          *Engine
	inst       *duckInstance
	view       *tableView
	format     string
	cols, keys []viewCol
	plain      []dataFile
	hive       []partitionFiles
	other      []partitionFiles
	bad        []partitionFiles
}

// fileCol names the file a row came from, for the join of other partitions.
const fileCol = "__sqlq_file"

func (v *viewBuilder) query(ctx context.Context) (string, error) {
	var branches []string
	add := func(sel string, err error) error {
		if err == nil {
			branches = append(branches, sel)
		}
		return err
	}
	if v.format == catalog.FormatJSON && v.d.opts.HiveJSON {
		if len(v.plain) > 0 {
			branches = append(branches, v.hiveJSON(v.plain, nil))
		}
		for _, p := range append(slices.Clip(v.hive), v.other...) {
			branches = append(branches, v.hiveJSON(p.files, p.values))
		}
	} else {
		if len(v.plain) > 0 {
			if err := add(v.selectFrom(ctx, v.reader(v.plain, false, false)+" AS r", "r", false)); err != nil {
				return "", err
			}
		}
		if len(v.hive) > 0 {
			var files []dataFile
			for _, p := range v.hive {
				files = append(files, p.files...)
			}
			if err := add(v.selectFrom(ctx, v.reader(files, true, false)+" AS r", "r", true)); err != nil {
				return "", err
			}
		}
		if len(v.other) > 0 {
			var files []dataFile
			var rows []string
			for _, p := range v.other {
				files = append(files, p.files...)
				dirs := map[string]bool{}
				for _, f := range p.files {
					dirs[filepath.Dir(f.path)] = true
				}
				for _, dir := range slices.Sorted(maps.Keys(dirs)) {
					row := []string{catalog.QuoteLiteral(dir)}
					for i, k := range v.keys {
						row = append(row, partitionValue(p.values[i], k.typ))
					}
					rows = append(rows, "("+strings.Join(row, ", ")+")")
				}
			}
			names := []string{catalog.QuoteIdent(fileCol)}
			for _, k := range v.keys {
				names = append(names, catalog.QuoteIdent(k.name))
			}
			from := v.reader(files, false, true) + " AS r JOIN (VALUES " + strings.Join(rows, ", ") +
				") AS p(" + strings.Join(names, ", ") + ") ON parse_dirpath(r." + catalog.QuoteIdent(fileCol) + ") = p." + catalog.QuoteIdent(fileCol)
			if err := add(v.selectFrom(ctx, from, "p", true)); err != nil {
				return "", err
			}
		}
	}
	for _, p := range v.bad {
		branches = append(branches, v.failing(p))
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

// hiveJSON is a branch that reads files with hive_json, with the given
// partition values (nil for none) as constants.
func (v *viewBuilder) hiveJSON(files []dataFile, values []string) string {
	id := v.inst.scans.add(&hiveScan{files: files, columns: v.cols, opts: serdeOptions(v.view.table.SerDeParameters)})
	v.view.scans = append(v.view.scans, id)
	list := []string{}
	for _, c := range v.cols {
		list = append(list, "r."+catalog.QuoteIdent(c.name))
	}
	for i, k := range v.keys {
		list = append(list, partitionValue(values[i], k.typ)+" AS "+catalog.QuoteIdent(k.name))
	}
	if len(v.cols) == 0 {
		return "SELECT " + strings.Join(list, ", ") + " FROM range(0)"
	}
	return "SELECT " + strings.Join(list, ", ") + " FROM " + hiveJSONFunction + "(" + catalog.QuoteLiteral(id) + ") AS r"
}

// failing is the branch of a partition that cannot be read: its partition
// values as constants (a filter on them prunes the branch unread), its
// columns an error.
func (v *viewBuilder) failing(p partitionFiles) string {
	fail := "error(" + catalog.QuoteLiteral(p.bad) + ")"
	var list []string
	for _, c := range v.cols {
		list = append(list, "CAST("+fail+" AS "+c.typ+") AS "+catalog.QuoteIdent(c.name))
	}
	for i, k := range v.keys {
		val := "CAST(NULL AS " + k.typ + ")"
		if i < len(p.values) && valueOfType(p.values[i], k.hive) {
			val = partitionValue(p.values[i], k.typ)
		}
		list = append(list, val+" AS "+catalog.QuoteIdent(k.name))
	}
	return "SELECT " + strings.Join(list, ", ") + " FROM range(1) WHERE " + fail + " IS NULL"
}

// reader returns the table function that reads files, with the partition
// keys from their paths if hive, and the file name if named.
func (v *viewBuilder) reader(files []dataFile, hive, named bool) string {
	lits := make([]string, len(files))
	for i, f := range files {
		lits[i] = catalog.QuoteLiteral(f.path)
	}
	var b strings.Builder
	if v.format == catalog.FormatParquet {
		if len(files) == 1 {
			v.view.sole = append(v.view.sole, files[0].path)
		}
		b.WriteString("read_parquet([" + strings.Join(lits, ", ") + "], union_by_name = true")
	} else {
		b.WriteString("read_json([" + strings.Join(lits, ", ") + "], format = 'newline_delimited', compression = 'auto_detect', columns = {")
		for i, c := range v.cols {
			if i > 0 {
				b.WriteString(", ")
			}
			typ := c.typ
			if c.zoned() {
				typ = "TIMESTAMPTZ"
			}
			b.WriteString(catalog.QuoteLiteral(c.name) + ": " + catalog.QuoteLiteral(typ))
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
// aliased r: data columns from r, partition keys (if withKeys) from alias
// keysFrom.
//
// A JSON reader has exactly the typed columns. A Parquet reader has the
// files' columns, matched by name without regard to case: one no file has
// is NULL, and one of another type is cast.
func (v *viewBuilder) selectFrom(ctx context.Context, from, keysFrom string, withKeys bool) (string, error) {
	var have map[string]string // lower-case name -> DuckDB type
	if v.format == catalog.FormatParquet {
		var err error
		if have, err = describe(ctx, v.inst.db, from); err != nil {
			return "", err
		}
	}
	var list []string
	for _, c := range v.cols {
		col := "r." + catalog.QuoteIdent(c.name)
		if v.format != catalog.FormatParquet && c.zoned() {
			col = "make_timestamp(epoch_us(" + col + "))"
		}
		if have != nil {
			switch t, ok := have[strings.ToLower(c.name)]; {
			case !ok:
				col = "CAST(NULL AS " + c.typ + ")"
			case !sameType(t, c.typ):
				col = "CAST(" + col + " AS " + c.typ + ")"
			}
		}
		list = append(list, col+" AS "+catalog.QuoteIdent(c.name))
	}
	for _, k := range v.keys {
		if withKeys {
			list = append(list, keysFrom+"."+catalog.QuoteIdent(k.name)+" AS "+catalog.QuoteIdent(k.name))
		} else {
			list = append(list, "CAST(NULL AS "+k.typ+") AS "+catalog.QuoteIdent(k.name))
		}
	}
	return "SELECT " + strings.Join(list, ", ") + " FROM " + from, nil
}

// sameType compares a type DuckDB describes with one of ours.
func sameType(described, ours string) bool {
	return strings.EqualFold(strings.ReplaceAll(described, " ", ""), strings.ReplaceAll(ours, " ", ""))
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
	if v == hiveDefaultPartition {
		return "CAST(NULL AS " + typ + ")"
	}
	return "CAST(" + catalog.QuoteLiteral(v) + " AS " + typ + ")"
}

// failingQuery is the SELECT of a table whose view cannot be built: the
// table's columns, and an error with msg when it is read, whatever the
// query's filter.
func failingQuery(t *catalog.Table, msg string) string {
	fail := "error(" + catalog.QuoteLiteral(msg) + ")"
	seen := map[string]bool{}
	unique := func(cs []catalog.Column) []catalog.Column {
		var out []catalog.Column
		for _, c := range cs {
			if k := strings.ToLower(c.Name); c.Name != "" && !seen[k] {
				seen[k] = true
				out = append(out, c)
			}
		}
		return out
	}
	keys := unique(t.PartitionKeys) // a key wins over a data column of its name
	var list []string
	for _, c := range append(unique(t.Columns), keys...) {
		list = append(list, "CAST("+fail+" AS "+catalog.DuckDBType(c.Type)+") AS "+catalog.QuoteIdent(c.Name))
	}
	if len(list) == 0 {
		list = []string{"CAST(" + fail + " AS VARCHAR) AS " + catalog.QuoteIdent("error")}
	}
	return "SELECT " + strings.Join(list, ", ") + " FROM range(1) WHERE " + fail + " IS NULL"
}
