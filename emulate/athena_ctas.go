package emulate

// CREATE TABLE AS SELECT (CTAS), as StartQueryExecution runs it.
//
// Differences from Athena:
//   - Only Parquet: WITH (format = 'PARQUET', external_location =
//     's3://...', write_compression = 'SNAPPY' | 'GZIP' | 'ZSTD' | 'NONE').
//     partitioned_by, bucketed_by, other formats, Iceberg and other
//     properties fail the query. WITH NO DATA is not supported.
//   - The SELECT runs in DuckDB and its whole result is held in memory, then
//     written as one Parquet file, <location>/<query id>_0.parquet, through
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
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	_ "github.com/duckdb/duckdb-go/v2" // the "duckdb" database/sql driver, to write Parquet

	"pipeline/pipeline"
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

// ctasCompression maps write_compression to DuckDB's Parquet codecs.
var ctasCompression = map[string]string{"SNAPPY": "snappy", "GZIP": "gzip", "ZSTD": "zstd", "NONE": "uncompressed"}

// executeCTAS runs a CREATE TABLE AS: the SELECT in DuckDB, its result
// written as Parquet to the table's location, the table registered.
func (a *AthenaService) executeCTAS(ctx context.Context, x *athenaExecution) (*athenaResult, int, error) {
	st, err := parseCTAS(x.query)
	if err != nil {
		return nil, errCategoryUser, err
	}
	compression := "snappy"
	for k, v := range st.props {
		switch k {
		case "format":
			if !strings.EqualFold(v, "PARQUET") {
				return nil, errCategoryUser, fmt.Errorf("CTAS format %s is not supported by the emulated Athena: use PARQUET", v)
			}
		case "external_location":
		case "write_compression", "parquet_compression":
			c, ok := ctasCompression[strings.ToUpper(v)]
			if !ok {
				return nil, errCategoryUser, fmt.Errorf("CTAS %s %s is not supported: use SNAPPY, GZIP, ZSTD or NONE", k, v)
			}
			compression = c
		default:
			return nil, errCategoryUser, fmt.Errorf("CTAS property %s is not supported by the emulated Athena (only format, external_location and write_compression are)", k)
		}
	}
	db := cmpOr(st.db, x.database)
	srcDB := x.database
	if !x.databaseGiven {
		srcDB = a.inferDatabase(ctx, st.query)
		db = cmpOr(st.db, srcDB)
	}
	if _, err := a.cat.ListTables(ctx, db); err != nil {
		if errors.Is(err, pipeline.ErrNotFound) {
			return nil, errCategoryUser, fmt.Errorf("Schema %s does not exist", db)
		}
		return nil, errCategorySystem, err
	}
	if _, err := a.cat.GetTable(ctx, db, st.table); err == nil {
		if st.ifNotExists {
			return &athenaResult{}, 0, nil
		}
		return nil, errCategoryUser, fmt.Errorf("Destination table '%s.%s' already exists", db, st.table)
	} else if !errors.Is(err, pipeline.ErrNotFound) {
		return nil, errCategorySystem, err
	}
	location := st.props["external_location"]
	if location == "" {
		location = strings.TrimSuffix(x.output, x.id+".csv") + "tables/" + x.id + "/"
	}
	location = strings.TrimSuffix(location, "/") + "/"
	bucket, prefix, err := parseS3URI(location)
	if err != nil {
		return nil, errCategoryUser, fmt.Errorf("external_location: %v", err)
	}
	if prefix != "/" && prefix != "" {
		if dir, err := a.store.PrefixDir(bucket, prefix); err == nil {
			if ents, _ := os.ReadDir(dir); len(ents) > 0 {
				return nil, errCategoryUser, fmt.Errorf("HIVE_PATH_ALREADY_EXISTS: Target directory for table '%s.%s' already exists: %s", db, st.table, location)
			}
		}
	} else {
		prefix = ""
	}

	q, err := rewriteSQL(st.query, x.params)
	if err != nil {
		return nil, errCategoryUser, err
	}
	eng, err := a.engine(ctx, srcDB)
	if err != nil {
		return nil, errCategorySystem, err
	}
	r, err := eng.Query(ctx, q)
	if err != nil {
		var qe *sqlq.QueryError
		if errors.As(err, &qe) {
			return nil, errCategoryUser, errors.New(qe.Msg)
		}
		return nil, errCategorySystem, err
	}
	cols := make([]pipeline.Column, len(r.Columns))
	for i, c := range r.Columns {
		name := columnName(i, c.Name, st.query)
		if strings.HasPrefix(name, "_col") && !strings.EqualFold(name, c.Name) {
			return nil, errCategoryUser, fmt.Errorf("Column name not specified at position %d", i+1)
		}
		cols[i] = pipeline.Column{Name: name, Type: hiveType(c.Type)}
	}
	body, err := writeParquet(ctx, r, cols, compression)
	if err != nil {
		return nil, errCategorySystem, fmt.Errorf("write Parquet: %w", err)
	}
	key := prefix + x.id + "_0.parquet"
	if _, err := a.store.PutObject(bucket, key, bytes.NewReader(body), int64(len(body)),
		&PutOptions{Meta: ObjectMeta{ContentType: "application/octet-stream"}}); err != nil {
		return nil, errCategoryUser, fmt.Errorf("write s3://%s/%s: %v", bucket, key, err)
	}
	t := pipeline.NewTable(db, st.table, location, pipeline.FormatParquet)
	t.Columns = cols
	if err := a.cat.PutTable(ctx, t); err != nil {
		return nil, errCategorySystem, fmt.Errorf("register table %s.%s: %w", db, st.table, err)
	}
	return &athenaResult{updateCount: int64(len(r.Rows))}, 0, nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// hiveType is the catalog (Hive) type a CTAS writes a result column of
// Athena type typ as.
func hiveType(typ string) string {
	switch typ {
	case "varchar":
		return pipeline.TypeString
	case "integer":
		return "int"
	case "real":
		return "float"
	case "timestamp with time zone":
		return pipeline.TypeTimestamp
	case "boolean", "tinyint", "smallint", "bigint", "double", "date", "timestamp":
		return typ
	}
	if ctasDecimal.MatchString(typ) {
		return typ
	}
	return pipeline.TypeString
}

// ctasDecimal is a decimal the catalog and the DuckDB views take.
var ctasDecimal = regexp.MustCompile(`^decimal\(\d{1,2},\d{1,2}\)$`)

// duckTypeOfHive is the DuckDB type of a Hive type hiveType returns.
func duckTypeOfHive(t string) string {
	switch t {
	case pipeline.TypeString:
		return "VARCHAR"
	case "int":
		return "INTEGER"
	case "float":
		return "FLOAT"
	}
	return strings.ToUpper(t) // boolean, tinyint, ..., decimal(p,s)
}

// writeParquet writes r as a Parquet file with the given columns, in a
// DuckDB database of its own (only this code's SQL runs in it), and
// returns the file's bytes.
func writeParquet(ctx context.Context, r *sqlq.Result, cols []pipeline.Column, compression string) ([]byte, error) {
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
		defs[i] = pipeline.QuoteIdent(c.Name) + " " + duckTypeOfHive(c.Type)
		casts[i] = "CAST(? AS " + duckTypeOfHive(c.Type) + ")"
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
	if _, err := conn.ExecContext(ctx, "COPY t TO '"+strings.ReplaceAll(out, "'", "''")+"' (FORMAT parquet, COMPRESSION "+compression+")"); err != nil {
		return nil, err
	}
	return os.ReadFile(out)
}
