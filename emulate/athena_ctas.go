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
//   - A type with no Hive equivalent (array, map, row, json, uuid, time,
//     interval, varbinary) is written as its text, a string column.
//     timestamp with time zone is written as a timestamp in UTC.
//   - The result has no rows; UpdateCount is the number of rows written.
//     No result CSV is written.

import (
	"bytes"
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	_ "github.com/duckdb/duckdb-go/v2" // the "duckdb" database/sql driver, to write Parquet

	"pipeline/catalog"
	"pipeline/sqlq"
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
	db, srcDB, exists, category, err := a.ctasDestination(ctx, x, st)
	if err != nil {
		return nil, category, err
	}
	if exists {
		return &athenaResult{}, 0, nil
	}
	location, bucket, prefix, err := a.ctasLocation(x, st, db)
	if err != nil {
		return nil, errCategoryUser, err
	}

	r, _, category, err := a.query(ctx, x, srcDB, st.query)
	if err != nil {
		return nil, category, err
	}
	cols, nData, err := ctasColumns(r, st.query, partitionedBy)
	if err != nil {
		return nil, errCategoryUser, err
	}
	groups, values, order := ctasPartitionGroups(r, nData, len(partitionedBy) > 0)
	if len(partitionedBy) > 0 && len(groups) > ctasMaxPartitions {
		return nil, errCategoryUser, fmt.Errorf("HIVE_TOO_MANY_OPEN_PARTITIONS: Exceeded limit of %d open writers for partitions/buckets (the query writes %d partitions)", ctasMaxPartitions, len(groups))
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
			return nil, errCategorySystem, fmt.Errorf("write Parquet: %w", err)
		}
		key := dir + x.id + "_0.parquet"
		if _, err := a.store.PutObject(bucket, key, bytes.NewReader(body), int64(len(body)),
			&PutOptions{Meta: ObjectMeta{ContentType: "application/octet-stream"}}); err != nil {
			return nil, errCategoryUser, fmt.Errorf("write s3://%s/%s: %v", bucket, key, err)
		}
	}
	if err := a.cat.PutTable(ctx, t); err != nil {
		return nil, errCategorySystem, fmt.Errorf("register table %s.%s: %w", db, st.table, err)
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
	if prefix != "/" && prefix != "" {
		if dir, err := a.store.PrefixDir(bucket, prefix); err == nil {
			if ents, _ := os.ReadDir(dir); len(ents) > 0 {
				return "", "", "", fmt.Errorf("HIVE_PATH_ALREADY_EXISTS: Target directory for table '%s.%s' already exists: %s", db, st.table, location)
			}
		}
	} else {
		prefix = ""
	}
	return location, bucket, prefix, nil
}

// ctasColumns names the table's columns after the query's result and
// checks that the partition keys are its last columns, in partitioned_by's
// order; nData is the count of the others. Its errors are the user's.
func ctasColumns(r *sqlq.Result, query string, partitionedBy []string) (cols []catalog.Column, nData int, err error) {
	cols = make([]catalog.Column, len(r.Columns))
	for i, c := range r.Columns {
		name := columnName(i, c.Name, query)
		if strings.HasPrefix(name, "_col") && !strings.EqualFold(name, c.Name) {
			return nil, 0, fmt.Errorf("Column name not specified at position %d", i+1)
		}
		cols[i] = catalog.Column{Name: name, Type: hiveType(c.Type)}
	}
	nData = len(cols) - len(partitionedBy)
	for i, k := range partitionedBy {
		if nData < 0 || !strings.EqualFold(cols[nData+i].Name, k) {
			return nil, 0, fmt.Errorf("HIVE_COLUMN_ORDER_MISMATCH: Partition keys must be the last columns in the table and in the same order as the partition specification: %s", strings.Join(partitionedBy, ", "))
		}
	}
	if nData == 0 {
		return nil, 0, errors.New("HIVE_INVALID_METADATA: a partitioned table needs at least one column that is not a partition key")
	}
	return cols, nData, nil
}

// ctasPartitionGroups splits a result's rows by their partition values
// (the columns from nData on; a NULL is Hive's default partition), keeping
// the data columns. order lists the groups' keys as first met. Unpartitioned,
// the whole result is the one group "".
func ctasPartitionGroups(r *sqlq.Result, nData int, partitioned bool) (groups map[string]*sqlq.Result, values map[string][]string, order []string) {
	groups, values = map[string]*sqlq.Result{}, map[string][]string{}
	for _, row := range r.Rows {
		var vs []string
		for i := nData; i < len(r.Columns); i++ {
			v := athenaText(row[i], r.Columns[i].Type)
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

// hiveType is the catalog (Hive) type a CTAS writes a result column of
// Athena type typ as.
func hiveType(typ string) string {
	switch typ {
	case "varchar":
		return catalog.TypeString
	case "integer":
		return "int"
	case "real":
		return "float"
	case "timestamp with time zone":
		return catalog.TypeTimestamp
	case "boolean", "tinyint", "smallint", "bigint", "double", "date", "timestamp":
		return typ
	}
	if strings.HasPrefix(typ, "decimal(") && catalog.DuckDBType(typ) != "VARCHAR" { // one the DuckDB views take
		return typ
	}
	return catalog.TypeString
}

// writeParquet writes r as a Parquet file with the given columns, in a
// DuckDB database of its own (only this code's SQL runs in it), and
// returns the file's bytes.
func writeParquet(ctx context.Context, r *sqlq.Result, cols []catalog.Column, compression string) ([]byte, error) {
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

	defs := make([]string, len(cols))
	casts := make([]string, len(cols))
	for i, c := range cols {
		defs[i] = catalog.QuoteIdent(c.Name) + " " + catalog.DuckDBType(c.Type)
		casts[i] = "CAST(? AS " + catalog.DuckDBType(c.Type) + ")"
	}
	if _, err := conn.ExecContext(ctx, "CREATE TABLE t ("+strings.Join(defs, ", ")+")"); err != nil {
		return nil, err
	}
	if len(r.Rows) > 0 {
		tx, err := conn.BeginTx(ctx, nil)
		if err != nil {
			return nil, err
		}
		defer tx.Rollback()
		stmt, err := tx.PrepareContext(ctx, "INSERT INTO t VALUES ("+strings.Join(casts, ", ")+")")
		if err != nil {
			return nil, err
		}
		defer stmt.Close()
		for _, row := range r.Rows {
			if _, err := stmt.ExecContext(ctx, row...); err != nil {
				return nil, err
			}
		}
		if err := tx.Commit(); err != nil {
			return nil, err
		}
	}
	out := filepath.Join(dir, "out.parquet")
	if _, err := conn.ExecContext(ctx, "COPY t TO "+catalog.QuoteLiteral(out)+" (FORMAT parquet, COMPRESSION "+compression+")"); err != nil {
		return nil, err
	}
	return os.ReadFile(out)
}
