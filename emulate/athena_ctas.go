package emulate

// CREATE TABLE AS SELECT (CTAS), as StartQueryExecution runs it.
//
// Differences from Athena:
//   - Only Parquet: WITH (format = 'PARQUET', external_location =
//     's3://...', partitioned_by = ARRAY['col', ...], write_compression =
//     'SNAPPY' | 'GZIP' | 'ZSTD' | 'NONE'). bucketed_by, other formats,
//     Iceberg and other properties fail the query. WITH NO DATA is not
//     supported.
//   - With partitioned_by, the partition columns must be the query's last,
//     in that order, as in Athena; each partition is one file under
//     <location>/<key>=<value>/, at most 100 partitions.
//   - The SELECT runs in DuckDB and its whole result is held in memory, then
//     written as one Parquet file a partition, <location>/<query id>_0.parquet, through
//     the S3 store; the table is then registered in the catalog (format
//     parquet, columns typed from the result) and the next query sees it.
//   - Without external_location the table goes under the query's output
//     location, <output>/tables/<query id>/, as Athena does.
//   - Columns are typed as Trino's Hive connector types them (varchar is
//     string, integer int, varbinary binary, array/map/row array<...>,
//     map<...>, struct<...>, written as Parquet's nested columns); as
//     there, a column of no type (a bare NULL), a ROW without field names
//     and a type Hive lacks (time, interval, uuid, json) are refused.
//     timestamp with time zone is written as a timestamp in UTC (Trino
//     refuses it). char(n) is a string: the bridge types it varchar.
//   - As in Athena, the table must not exist and its folder (a bucket's top
//     too) must hold no object; a CTAS running claims both, so a second one
//     of the same table or into that folder (or one inside it) fails.
//     Partition values must be printable ASCII, as Trino's Hive writer
//     requires.
//   - The result has no rows; UpdateCount is the number of rows written.
//     No result CSV is written.

import (
	"bytes"
	"cmp"
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"maps"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strings"

	duckdbdriver "github.com/duckdb/duckdb-go/v2" // also the "duckdb" database/sql driver, to write Parquet

	"pipeline/catalog"
	"pipeline/sqlq"
	"pipeline/sqlq/duckdb"
)

// ctasStatement is a parsed CREATE TABLE ... AS.
type ctasStatement struct {
	db, table   string // db "" is the query's database
	ifNotExists bool
	props       map[string]string // lower-case keys; string literals unquoted
	query       string            // the SELECT, as written
}

// parseCTAS parses CREATE TABLE [IF NOT EXISTS] [catalog.][db.]name
// [WITH (key = value, ...)] AS query.
func parseCTAS(sql string) (*ctasStatement, error) {
	toks := tokenizeSQL(sql)
	i := nextSignificant(toks, 0)
	word := func(w string) bool {
		if i < len(toks) && toks[i].kind == tokWord && strings.EqualFold(toks[i].text, w) {
			i = nextSignificant(toks, i+1)
			return true
		}
		return false
	}
	bad := errors.New("CREATE TABLE AS: expected CREATE TABLE [IF NOT EXISTS] name [WITH (property = value, ...)] AS query")
	if !word("CREATE") || !word("TABLE") {
		return nil, bad
	}
	st := &ctasStatement{props: map[string]string{}}
	if word("IF") {
		if !word("NOT") || !word("EXISTS") {
			return nil, bad
		}
		st.ifNotExists = true
	}
	var parts []string
	for i < len(toks) && toks[i].name() != "" {
		parts = append(parts, toks[i].name())
		i = nextSignificant(toks, i+1)
		if i < len(toks) && toks[i].is(".") {
			i = nextSignificant(toks, i+1)
			continue
		}
		break
	}
	if len(parts) == 3 && strings.EqualFold(parts[0], "AwsDataCatalog") {
		parts = parts[1:]
	}
	switch len(parts) {
	case 1:
		st.table = parts[0]
	case 2:
		st.db, st.table = parts[0], parts[1]
	default:
		return nil, bad
	}
	if word("WITH") {
		if i == len(toks) || !toks[i].is("(") {
			return nil, bad
		}
		close := matchParen(toks, i)
		if close < 0 {
			return nil, bad
		}
		for _, arg := range splitArgs(toks[i+1 : close]) {
			k := nextSignificant(arg, 0)
			eq := nextSignificant(arg, k+1)
			if k == len(arg) || arg[k].name() == "" || eq == len(arg) || !arg[eq].is("=") {
				return nil, bad
			}
			var v strings.Builder
			for _, t := range arg[eq+1:] {
				v.WriteString(t.text)
			}
			val := strings.TrimSpace(v.String())
			if j, ok := stringLiteral(arg[eq+1:]); ok {
				val = unquote(arg[eq+1+j].text, '\'')
			}
			st.props[strings.ToLower(arg[k].name())] = val
		}
		i = nextSignificant(toks, close+1)
	}
	if !word("AS") || i == len(toks) {
		return nil, bad
	}
	var q strings.Builder
	for _, t := range toks[i:] {
		q.WriteString(t.text)
	}
	st.query = q.String()
	return st, nil
}

// ctasMaxPartitions is how many partitions one CTAS may write, as in
// Athena.
const ctasMaxPartitions = 100

// stringArray reads ARRAY['a', 'b'] (the value of partitioned_by).
func stringArray(text string) ([]string, error) {
	toks := significant(tokenizeSQL(text))
	if len(toks) < 3 || !strings.EqualFold(toks[0].text, "ARRAY") || !toks[1].is("[") || !toks[len(toks)-1].is("]") {
		return nil, fmt.Errorf("%q is not ARRAY['column', ...]", text)
	}
	var out []string
	for i := 2; i < len(toks)-1; i++ {
		if toks[i].kind != tokString {
			return nil, fmt.Errorf("%q is not ARRAY['column', ...]", text)
		}
		out = append(out, unquote(toks[i].text, '\''))
		if i+1 < len(toks)-1 && !toks[i+1].is(",") {
			return nil, fmt.Errorf("%q is not ARRAY['column', ...]", text)
		}
		i++
	}
	return out, nil
}

// ctasCompression maps write_compression to DuckDB's Parquet codecs.
var ctasCompression = map[string]string{"SNAPPY": "snappy", "GZIP": "gzip", "ZSTD": "zstd", "NONE": "uncompressed"}

// executeCTAS runs a CREATE TABLE AS: the SELECT in DuckDB, its result
// written as Parquet to the table's location, the table registered.
func (a *AthenaService) executeCTAS(ctx context.Context, x *athenaExecution) (*athenaResult, int, error) {
	st, err := parseCTAS(x.query)
	if err != nil {
		return nil, errCategoryUser, err
	}
	compression, partitionedBy, err := ctasProperties(st.props)
	if err != nil {
		return nil, errCategoryUser, err
	}
	target, exists, category, err := a.claimCTAS(ctx, x, st)
	if err != nil {
		return nil, category, err
	}
	if exists {
		return &athenaResult{}, 0, nil
	}
	defer a.releaseCTAS(target)
	db, srcDB, location, bucket, prefix := target.db, target.srcDB, target.location, target.bucket, target.prefix

	r, types, told, category, err := a.queryAs(ctx, x, srcDB, st.query, true)
	if err != nil {
		return nil, category, err
	}
	cols, nData, err := ctasColumns(r, types, told, st.query, partitionedBy)
	if err != nil {
		return nil, errCategoryUser, err
	}
	groups, values, order := ctasPartitionGroups(r, types, nData, len(partitionedBy) > 0)
	if len(partitionedBy) > 0 && len(groups) > ctasMaxPartitions {
		return nil, errCategoryUser, fmt.Errorf("HIVE_TOO_MANY_OPEN_PARTITIONS: Exceeded limit of %d open writers for partitions/buckets (the query writes %d partitions)", ctasMaxPartitions, len(groups))
	}
	for _, k := range order {
		for _, v := range values[k] {
			if strings.ContainsFunc(v, func(r rune) bool { return r < 0x20 || r > 0x7e }) {
				return nil, errCategoryUser, fmt.Errorf("HIVE_INVALID_PARTITION_VALUE: Hive partition keys can only contain printable ASCII characters (0x20 - 0x7E). Invalid value: %s", v)
			}
		}
	}
	t := catalog.NewTable(db, st.table, location, catalog.FormatParquet)
	t.Columns, t.PartitionKeys = cols[:nData], cols[nData:]
	var parts []catalog.Partition
	for _, k := range order {
		dir := prefix
		if len(partitionedBy) > 0 {
			dir += hivePath(t.PartitionKeys, values[k])
			parts = append(parts, catalog.Partition{Values: values[k], Location: "s3://" + bucket + "/" + dir})
		}
		body, err := writeParquet(ctx, groups[k], t.Columns, compression)
		if err != nil {
			var fe *ctasValueError
			if errors.As(err, &fe) {
				return nil, errCategoryUser, err
			}
			return nil, errCategorySystem, fmt.Errorf("write Parquet: %w", err)
		}
		key := dir + x.id + "_0.parquet"
		if _, err := a.store.PutObject(bucket, key, bytes.NewReader(body), int64(len(body)),
			&PutOptions{Meta: ObjectMeta{ContentType: "application/octet-stream"}}); err != nil {
			return nil, errCategoryUser, fmt.Errorf("write s3://%s/%s: %v", bucket, key, err)
		}
	}
	if err := a.registerCTAS(ctx, t); err != nil {
		return nil, errCategoryUser, err
	}
	if err := a.cat.AddPartitions(ctx, db, st.table, parts); err != nil {
		return nil, errCategorySystem, fmt.Errorf("register partitions of %s.%s: %w", db, st.table, err)
	}
	return &athenaResult{updateCount: int64(len(r.Rows))}, 0, nil
}

// ctasProperties reads a CTAS's WITH properties: the Parquet codec and the
// partition keys. Its errors are the user's.
func ctasProperties(props map[string]string) (compression string, partitionedBy []string, err error) {
	compression = "snappy"
	for _, k := range slices.Sorted(maps.Keys(props)) {
		v := props[k]
		switch k {
		case "format":
			if !strings.EqualFold(v, "PARQUET") {
				return "", nil, fmt.Errorf("CTAS format %s is not supported by the emulated Athena: use PARQUET", v)
			}
		case "external_location":
		case "partitioned_by":
			if partitionedBy, err = stringArray(v); err != nil {
				return "", nil, fmt.Errorf("CTAS partitioned_by: %v", err)
			}
		case "write_compression", "parquet_compression":
			c, ok := ctasCompression[strings.ToUpper(v)]
			if !ok {
				return "", nil, fmt.Errorf("CTAS %s %s is not supported: use SNAPPY, GZIP, ZSTD or NONE", k, v)
			}
			compression = c
		default:
			return "", nil, fmt.Errorf("NOT_SUPPORTED: CTAS property %s is not supported by the emulated Athena (format, external_location, partitioned_by and write_compression are)", k)
		}
	}
	return compression, partitionedBy, nil
}

// ctasDestination resolves the database a CTAS writes to (db) and the one
// its SELECT reads by default (srcDB), and checks that db exists. exists
// says the table is there already and IF NOT EXISTS was given: nothing to
// do.
func (a *AthenaService) ctasDestination(ctx context.Context, x *athenaExecution, st *ctasStatement) (db, srcDB string, exists bool, category int, err error) {
	db = cmp.Or(st.db, x.database)
	srcDB = x.database
	if !x.databaseGiven {
		srcDB = a.inferDatabase(ctx, st.query)
		db = cmp.Or(st.db, srcDB)
	}
	if _, err := a.cat.ListTables(ctx, db); err != nil {
		if errors.Is(err, catalog.ErrNotFound) {
			return "", "", false, errCategoryUser, fmt.Errorf("Schema %s does not exist", db)
		}
		return "", "", false, errCategorySystem, err
	}
	if _, err := a.cat.GetTable(ctx, db, st.table); err == nil {
		if st.ifNotExists {
			return db, srcDB, true, 0, nil
		}
		return "", "", false, errCategoryUser, fmt.Errorf("Destination table '%s.%s' already exists", db, st.table)
	} else if !errors.Is(err, catalog.ErrNotFound) {
		return "", "", false, errCategorySystem, err
	}
	return db, srcDB, false, 0, nil
}

// ctasTarget is where a running CTAS writes: its table and its folder.
type ctasTarget struct {
	db, srcDB, table         string
	location, bucket, prefix string
}

// overlaps says whether two CTAS would write the same table, or into the
// same folder or one inside the other's (whose table reads its sub-folders).
func (c ctasTarget) overlaps(o ctasTarget) bool {
	return c.db == o.db && c.table == o.table ||
		c.bucket == o.bucket && (strings.HasPrefix(c.prefix, o.prefix) || strings.HasPrefix(o.prefix, c.prefix))
}

// claimCTAS checks a CTAS's destination and location (as Athena: the table
// must not exist, the folder must be empty) and claims both until
// releaseCTAS, so that two CTAS started together cannot both pass the
// checks and then write one table or into one folder. exists says the table
// is there and IF NOT EXISTS was given.
func (a *AthenaService) claimCTAS(ctx context.Context, x *athenaExecution, st *ctasStatement) (c ctasTarget, exists bool, category int, err error) {
	a.ctasMu.Lock()
	defer a.ctasMu.Unlock()
	db, srcDB, exists, category, err := a.ctasDestination(ctx, x, st)
	if err != nil || exists {
		return c, exists, category, err
	}
	location, bucket, prefix, err := a.ctasLocation(x, st, db)
	if err != nil {
		return c, false, errCategoryUser, err
	}
	c = ctasTarget{db: db, srcDB: srcDB, table: st.table, location: location, bucket: bucket, prefix: prefix}
	for _, o := range a.ctasBusy {
		if o.overlaps(c) {
			if o.db == c.db && o.table == c.table {
				return c, false, errCategoryUser, fmt.Errorf("Destination table '%s.%s' already exists (another CREATE TABLE AS of it is running)", db, st.table)
			}
			return c, false, errCategoryUser, fmt.Errorf("HIVE_PATH_ALREADY_EXISTS: Target directory for table '%s.%s' already exists: %s (a running CREATE TABLE AS writes to %s)", db, st.table, location, o.location)
		}
	}
	a.ctasBusy = append(a.ctasBusy, c)
	return c, false, 0, nil
}

func (a *AthenaService) releaseCTAS(c ctasTarget) {
	a.ctasMu.Lock()
	defer a.ctasMu.Unlock()
	a.ctasBusy = slices.DeleteFunc(a.ctasBusy, func(o ctasTarget) bool { return o == c })
}

// registerCTAS adds a CTAS's table to the catalog unless a DDL statement
// or a Glue call created one of that name while the CTAS ran.
func (a *AthenaService) registerCTAS(ctx context.Context, t *catalog.Table) error {
	a.ddlMu.Lock()
	defer a.ddlMu.Unlock()
	switch _, err := a.d.GetTable(ctx, t.Database, t.Name); {
	case err == nil:
		return fmt.Errorf("Destination table '%s.%s' already exists (created while the query ran; its files stay at %s)", t.Database, t.Name, t.Location)
	case !errors.Is(err, catalog.ErrNotFound):
		return err
	}
	if err := a.cat.PutTable(ctx, t); err != nil {
		return fmt.Errorf("register table %s.%s: %w", t.Database, t.Name, err)
	}
	return nil
}

// ctasLocation is where a CTAS writes its table: external_location, or a
// folder of its own beside the query's output. The folder must be empty, as
// in Athena. prefix is "" for a bucket's top. Its errors are the user's.
func (a *AthenaService) ctasLocation(x *athenaExecution, st *ctasStatement, db string) (location, bucket, prefix string, err error) {
	location = st.props["external_location"]
	if location == "" {
		location = x.output[:strings.LastIndex(x.output, "/")+1] + "tables/" + x.id + "/"
	}
	location = strings.TrimSuffix(location, "/") + "/"
	bucket, prefix, err = parseTableLocation(location)
	if err != nil {
		return "", "", "", fmt.Errorf("INVALID_TABLE_PROPERTY: external_location: %v", err)
	}
	if prefix == "/" {
		prefix = ""
	}
	if page, err := a.store.ListObjects(bucket, ListOptions{Prefix: prefix, MaxKeys: 1}); err == nil && len(page.Objects) > 0 {
		return "", "", "", fmt.Errorf("HIVE_PATH_ALREADY_EXISTS: Target directory for table '%s.%s' already exists: %s", db, st.table, location)
	}
	return location, bucket, prefix, nil
}

// ctasColumns names the table's columns after the query's result, typed
// as Hive types from the result's DuckDB types (told says which have none:
// a bare NULL), and checks that the partition keys are its last columns,
// in partitioned_by's order; nData is the count of the others. A column
// Hive cannot hold is refused, as Trino's Hive connector refuses it. Its
// errors are the user's.
func ctasColumns(r *sqlq.Result, types []string, told *bridged, query string, partitionedBy []string) (cols []catalog.Column, nData int, err error) {
	cols = make([]catalog.Column, len(r.Columns))
	for i, c := range r.Columns {
		name := columnName(i, c.Name, query)
		if strings.HasPrefix(name, "_col") && !strings.EqualFold(name, c.Name) {
			return nil, 0, fmt.Errorf("Column name not specified at position %d", i+1)
		}
		if told.isUnknown(i) {
			return nil, 0, fmt.Errorf("COLUMN_TYPE_UNKNOWN: Column type is unknown: %s", name)
		}
		ht, err := duckdb.HiveType(types[i])
		if err != nil {
			return nil, 0, fmt.Errorf("NOT_SUPPORTED: %v (column %s)", err, name)
		}
		if anonymousRow(ht) {
			return nil, 0, fmt.Errorf("NOT_SUPPORTED: Anonymous row type is not supported in Hive. Please give each field a name: %s (column %s: CAST it to ROW(name type, ...))", c.Type, name)
		}
		// Hive folds struct field names to lower case: two that differ in
		// case only cannot both be kept.
		if _, err := catalog.ParseType(ht.String()); err != nil {
			return nil, 0, fmt.Errorf("NOT_SUPPORTED: column %s: %v", name, err)
		}
		cols[i] = catalog.Column{Name: name, Type: ht.String()}
	}
	nData = len(cols) - len(partitionedBy)
	for i, k := range partitionedBy {
		if nData < 0 || !strings.EqualFold(cols[nData+i].Name, k) {
			return nil, 0, fmt.Errorf("HIVE_COLUMN_ORDER_MISMATCH: Partition keys must be the last columns in the table and in the same order as the partition specification: %s", strings.Join(partitionedBy, ", "))
		}
		if c := cols[nData+i]; strings.ContainsAny(c.Type, "<") || c.Type == "binary" {
			return nil, 0, fmt.Errorf("NOT_SUPPORTED: Unsupported type [%s] for partition: %s", c.Type, c.Name)
		}
	}
	if nData == 0 {
		return nil, 0, errors.New("HIVE_INVALID_METADATA: a partitioned table needs at least one column that is not a partition key")
	}
	return cols, nData, nil
}

// anonymousRow says whether t is or holds a struct made by ROW(a, b)
// without field names, which the bridge names field0, field1, ...: Trino's
// Hive connector cannot store those.
func anonymousRow(t *catalog.HiveType) bool {
	switch t.Kind {
	case "array":
		return anonymousRow(t.Elem)
	case "map":
		return anonymousRow(t.Key) || anonymousRow(t.Value)
	case "struct":
		anonymous := true
		for i, f := range t.Fields {
			if anonymousRow(f.Type) {
				return true
			}
			anonymous = anonymous && f.Name == fmt.Sprintf("field%d", i)
		}
		return anonymous
	}
	return false
}

// ctasPartitionGroups splits a result's rows by their partition values
// (the columns from nData on, of DuckDB types types, rendered as Athena
// renders them; a NULL is Hive's default partition), keeping the data
// columns. order lists the groups' keys as first met. Unpartitioned, the
// whole result is the one group "".
func ctasPartitionGroups(r *sqlq.Result, types []string, nData int, partitioned bool) (groups map[string]*sqlq.Result, values map[string][]string, order []string) {
	groups, values = map[string]*sqlq.Result{}, map[string][]string{}
	for _, row := range r.Rows {
		var vs []string
		for i := nData; i < len(r.Columns); i++ {
			v := athenaText(duckdb.Normalize(types[i], row[i]), r.Columns[i].Type)
			if v == nil {
				vs = append(vs, "__HIVE_DEFAULT_PARTITION__")
			} else {
				vs = append(vs, *v)
			}
		}
		k := catalog.PartitionKey(vs)
		g := groups[k]
		if g == nil {
			g = &sqlq.Result{Columns: r.Columns[:nData]}
			groups[k], values[k] = g, vs
			order = append(order, k)
		}
		g.Rows = append(g.Rows, row[:nData])
	}
	if !partitioned {
		order, groups[""] = []string{""}, r
	}
	return groups, values, order
}

// writeParquet writes r (values as DuckDB returned them) as a Parquet file
// with the given columns, in a DuckDB database of its own (only this
// code's SQL runs in it), and returns the file's bytes. Arrays, maps and
// structs are written as Parquet's nested columns.
func writeParquet(ctx context.Context, r *sqlq.Result, cols []catalog.Column, compression string) ([]byte, error) {
	types := make([]*catalog.HiveType, len(cols))
	defs := make([]string, len(cols))
	for i, c := range cols {
		ht, err := catalog.ParseType(c.Type)
		if err != nil {
			return nil, err
		}
		types[i] = ht
		defs[i] = catalog.QuoteIdent(c.Name) + " " + ht.DuckDB()
	}
	dir, err := os.MkdirTemp("", "athena-ctas-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return nil, err
	}
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()

	if _, err := conn.ExecContext(ctx, "CREATE TABLE t ("+strings.Join(defs, ", ")+")"); err != nil {
		return nil, err
	}
	err = conn.Raw(func(dc any) error {
		app, err := duckdbdriver.NewAppenderFromConn(dc.(driver.Conn), "", "t")
		if err != nil {
			return err
		}
		row := make([]driver.Value, len(cols))
		for _, in := range r.Rows {
			for i, v := range in {
				if row[i], err = ctasValue(types[i], v); err != nil {
					app.Close()
					return &ctasValueError{column: cols[i].Name, err: err}
				}
			}
			if err := app.AppendRow(row...); err != nil {
				app.Close()
				return err
			}
		}
		return app.Close()
	})
	if err != nil {
		return nil, err
	}
	out := filepath.Join(dir, "out.parquet")
	if _, err := conn.ExecContext(ctx, "COPY t TO "+catalog.QuoteLiteral(out)+" (FORMAT parquet, COMPRESSION "+compression+")"); err != nil {
		return nil, err
	}
	return os.ReadFile(out)
}

// ctasValueError is a value the table's column cannot hold: the user's
// error.
type ctasValueError struct {
	column string
	err    error
}

func (e *ctasValueError) Error() string {
	return fmt.Sprintf("column %s: %v", e.column, e.err)
}

// ctasValue converts a value DuckDB returned into the Go form DuckDB's
// appender takes for a column of Hive type t: integers to the column's
// width (failing on overflow, as Trino's cast does), nested values
// element by element, struct fields by name regardless of case.
func ctasValue(t *catalog.HiveType, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch t.Kind {
	case "tinyint", "smallint", "int", "bigint":
		n, ok := sqlq.Int64(v)
		if b, big := v.(*big.Int); big {
			n, ok = b.Int64(), b.IsInt64()
		}
		bits := t.IntegerBits()
		if !ok || n < -1<<(bits-1) || n > 1<<(bits-1)-1 {
			return nil, fmt.Errorf("NUMERIC_VALUE_OUT_OF_RANGE: %v does not fit in %s", v, t.Kind)
		}
		return n, nil
	case "string":
		if s, ok := v.(string); ok {
			return s, nil
		}
		return fmt.Sprint(v), nil
	case "binary":
		if s, ok := v.(string); ok {
			return []byte(s), nil
		}
	case "array":
		l, ok := v.([]any)
		if !ok {
			break
		}
		out := make([]any, len(l))
		for i, e := range l {
			var err error
			if out[i], err = ctasValue(t.Elem, e); err != nil {
				return nil, err
			}
		}
		return out, nil
	case "map":
		m, ok := v.(duckdbdriver.OrderedMap)
		if !ok {
			break
		}
		var out duckdbdriver.OrderedMap
		ks, vs := m.Keys(), m.Values()
		for i := range ks {
			k, err := ctasValue(t.Key, ks[i])
			if err != nil {
				return nil, err
			}
			val, err := ctasValue(t.Value, vs[i])
			if err != nil {
				return nil, err
			}
			out.Set(k, val)
		}
		return out, nil
	case "struct":
		m, ok := v.(map[string]any)
		if !ok {
			break
		}
		out := make(map[string]any, len(t.Fields))
		for _, f := range t.Fields {
			var fv any
			for k, x := range m {
				if strings.EqualFold(k, f.Name) {
					fv = x
				}
			}
			var err error
			if out[f.Name], err = ctasValue(f.Type, fv); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	return v, nil
}
