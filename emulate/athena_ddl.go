package emulate

// The DDL people run against Athena, on the same catalog the Glue API
// serves: CREATE EXTERNAL TABLE, CREATE/DROP DATABASE, DROP TABLE, ALTER
// TABLE (ADD/DROP PARTITION, ADD/REPLACE COLUMNS, SET LOCATION, SET
// TBLPROPERTIES), MSCK REPAIR TABLE and CREATE/DROP VIEW. SHOW and
// DESCRIBE are in athena_show.go, CREATE TABLE AS in athena_ctas.go.
//
// Differences from Athena:
//   - Tables are registered as written; only JSON-lines (a JSON SerDe) and
//     Parquet tables can be queried: a query of a CSV, ORC, Avro or other
//     table fails and names the format. CLUSTERED BY (buckets) is refused.
//   - Iceberg tables (TBLPROPERTIES ('table_type'='ICEBERG')), CREATE TABLE
//     without EXTERNAL and AS SELECT, and ALTER TABLE other than the forms
//     above are refused.
//   - MSCK REPAIR TABLE adds the partitions whose key=value folders hold
//     objects under the table's location, as Hive does; it never removes
//     any. A folder whose names do not match the partition keys, in order,
//     is listed as not a partition.
//   - A view is kept as Athena keeps it in Glue (VIRTUAL_VIEW, the SQL in
//     ViewOriginalText); its columns come from running it with no rows.
//   - Names are kept as written; Athena lowercases them.

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"pipeline/catalog"
	"pipeline/sqlq/duckdb"
)

// ddlParser reads a DDL statement's significant tokens.
type ddlParser struct {
	toks []sqlToken
	i    int
}

func newDDLParser(sql string) *ddlParser {
	return &ddlParser{toks: significant(tokenizeHive(sql))}
}

func (p *ddlParser) done() bool { return p.i >= len(p.toks) }

func (p *ddlParser) peek(w string) bool {
	return !p.done() && p.toks[p.i].kind == tokWord && strings.EqualFold(p.toks[p.i].text, w)
}

// word consumes the words ws if they come next.
func (p *ddlParser) word(ws ...string) bool {
	for k, w := range ws {
		if p.i+k >= len(p.toks) || p.toks[p.i+k].kind != tokWord || !strings.EqualFold(p.toks[p.i+k].text, w) {
			return false
		}
	}
	p.i += len(ws)
	return true
}

func (p *ddlParser) punct(s string) bool {
	if !p.done() && p.toks[p.i].is(s) {
		p.i++
		return true
	}
	return false
}

// here describes where the parser is, for an error.
func (p *ddlParser) here() string {
	if p.done() {
		return "at the end of the statement"
	}
	return fmt.Sprintf("at %q", p.toks[p.i].text)
}

func (p *ddlParser) fail(what string) error {
	return &errSQL{fmt.Sprintf("SYNTAX_ERROR: expected %s %s", what, p.here())}
}

func (p *ddlParser) expectWord(ws ...string) error {
	if !p.word(ws...) {
		return p.fail(strings.Join(ws, " "))
	}
	return nil
}

func (p *ddlParser) expect(s string) error {
	if !p.punct(s) {
		return p.fail(`"` + s + `"`)
	}
	return nil
}

// ident reads a name: bare, "quoted" or `quoted`.
func (p *ddlParser) ident() (string, error) {
	if p.done() || p.toks[p.i].name() == "" {
		return "", p.fail("a name")
	}
	p.i++
	return p.toks[p.i-1].name(), nil
}

// qualified reads [catalog.][db.]name; db is "" if not given.
func (p *ddlParser) qualified() (db, name string, err error) {
	var parts []string
	for {
		n, err := p.ident()
		if err != nil {
			return "", "", err
		}
		parts = append(parts, n)
		if !p.punct(".") {
			break
		}
	}
	if len(parts) == 3 && strings.EqualFold(parts[0], "awsdatacatalog") {
		parts = parts[1:]
	}
	switch len(parts) {
	case 1:
		return "", parts[0], nil
	case 2:
		return parts[0], parts[1], nil
	}
	return "", "", &errSQL{fmt.Sprintf("SYNTAX_ERROR: %q is not a [database.]table name", strings.Join(parts, "."))}
}

// str reads a string literal.
func (p *ddlParser) str() (string, error) {
	if p.done() || p.toks[p.i].kind != tokString {
		return "", p.fail("a string literal")
	}
	p.i++
	return unquoteHive(p.toks[p.i-1].text), nil
}

// props reads ('key' = 'value', ...).
func (p *ddlParser) props() (map[string]string, error) {
	if err := p.expect("("); err != nil {
		return nil, err
	}
	out := map[string]string{}
	for !p.punct(")") {
		k, err := p.str()
		if err != nil {
			return nil, err
		}
		if err := p.expect("="); err != nil {
			return nil, err
		}
		v, err := p.str()
		if err != nil {
			return nil, err
		}
		out[k] = v
		if !p.punct(",") {
			if err := p.expect(")"); err != nil {
				return nil, err
			}
			break
		}
	}
	return out, nil
}

// hiveType reads a column type as Hive writes it: string, varchar(10),
// decimal(10,2), array<struct<a:int,b:string>>, map<string,int>. It is
// returned in lower case without spaces.
func (p *ddlParser) hiveType() (string, error) {
	if p.done() || p.toks[p.i].kind != tokWord {
		return "", p.fail("a column type")
	}
	var b strings.Builder
	depth := 0
	for !p.done() {
		t := p.toks[p.i]
		switch {
		case t.is("<") || t.is("("):
			depth++
		case t.is(">") || t.is(")"):
			if depth == 0 {
				return b.String(), nil
			}
			depth--
		case t.is(",") && depth == 0:
			return b.String(), nil
		case t.kind == tokWord && depth == 0 && b.Len() > 0:
			return b.String(), nil // COMMENT, or the next clause
		}
		switch t.kind {
		case tokWord:
			b.WriteString(strings.ToLower(t.text))
		case tokQuoted: // a struct field's name
			b.WriteString(hiveIdent(t.name()))
		default:
			b.WriteString(t.text)
		}
		p.i++
	}
	if depth != 0 {
		return "", p.fail("the end of a column type")
	}
	return b.String(), nil
}

// columns reads (name type [COMMENT 'c'], ...).
func (p *ddlParser) columns() ([]catalog.Column, error) {
	if err := p.expect("("); err != nil {
		return nil, err
	}
	var cols []catalog.Column
	for {
		name, err := p.ident()
		if err != nil {
			return nil, err
		}
		typ, err := p.hiveType()
		if err != nil {
			return nil, err
		}
		ht, err := catalog.ParseType(typ)
		if err != nil {
			return nil, &errSQL{fmt.Sprintf("INVALID_COLUMN_TYPE: column %s: %v", name, err)}
		}
		// Hive keeps names in lower case, and Athena's DDL folds them.
		c := catalog.Column{Name: strings.ToLower(name), Type: ht.String()}
		if p.word("COMMENT") {
			if c.Comment, err = p.str(); err != nil {
				return nil, err
			}
		}
		cols = append(cols, c)
		if p.punct(")") {
			return cols, nil
		}
		if err := p.expect(","); err != nil {
			return nil, err
		}
	}
}

// partitionSpec reads (key = 'value', ...) against the table's partition
// keys: the values in the keys' order.
func (p *ddlParser) partitionSpec(keys []catalog.Column) ([]string, error) {
	if err := p.expect("("); err != nil {
		return nil, err
	}
	got := map[string]string{}
	for {
		k, err := p.ident()
		if err != nil {
			return nil, err
		}
		if err := p.expect("="); err != nil {
			return nil, err
		}
		var v string
		switch {
		case !p.done() && p.toks[p.i].kind == tokString:
			v, _ = p.str()
		case !p.done() && (p.toks[p.i].kind == tokNumber || p.toks[p.i].is("-")):
			if p.punct("-") {
				v = "-"
			}
			if p.done() || p.toks[p.i].kind != tokNumber {
				return nil, p.fail("a number")
			}
			v += p.toks[p.i].text
			p.i++
		default:
			return nil, p.fail("a partition value")
		}
		got[strings.ToLower(k)] = v
		if p.punct(")") {
			break
		}
		if err := p.expect(","); err != nil {
			return nil, err
		}
	}
	for _, k := range slices.Sorted(maps.Keys(got)) {
		if !slices.ContainsFunc(keys, func(c catalog.Column) bool { return strings.EqualFold(c.Name, k) }) {
			return nil, &errSQL{fmt.Sprintf("HIVE_METASTORE_ERROR: %s is not a partition key of the table (%s)", k, columnNames(keys))}
		}
	}
	values := make([]string, len(keys))
	for i, k := range keys {
		v, ok := got[strings.ToLower(k.Name)]
		if !ok {
			return nil, &errSQL{fmt.Sprintf("HIVE_METASTORE_ERROR: partition key %s has no value: give every partition key (%s)", k.Name, columnNames(keys))}
		}
		values[i] = v
	}
	return values, nil
}

func columnNames(cs []catalog.Column) string {
	names := make([]string, len(cs))
	for i, c := range cs {
		names[i] = c.Name
	}
	return strings.Join(names, ", ")
}

// storedAs are the InputFormat, OutputFormat and SerDe of Hive's STORED AS
// formats.
var storedAs = map[string][3]string{
	"TEXTFILE":     {"org.apache.hadoop.mapred.TextInputFormat", "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat", "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe"},
	"PARQUET":      {"org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat", "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat", "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"},
	"ORC":          {"org.apache.hadoop.hive.ql.io.orc.OrcInputFormat", "org.apache.hadoop.hive.ql.io.orc.OrcOutputFormat", "org.apache.hadoop.hive.ql.io.orc.OrcSerde"},
	"AVRO":         {"org.apache.hadoop.hive.ql.io.avro.AvroContainerInputFormat", "org.apache.hadoop.hive.ql.io.avro.AvroContainerOutputFormat", "org.apache.hadoop.hive.serde2.avro.AvroSerDe"},
	"JSONFILE":     {"org.apache.hadoop.mapred.TextInputFormat", "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat", "org.apache.hive.hcatalog.data.JsonSerDe"},
	"RCFILE":       {"org.apache.hadoop.hive.ql.io.RCFileInputFormat", "org.apache.hadoop.hive.ql.io.RCFileOutputFormat", "org.apache.hadoop.hive.serde2.columnar.LazyBinaryColumnarSerDe"},
	"SEQUENCEFILE": {"org.apache.hadoop.mapred.SequenceFileInputFormat", "org.apache.hadoop.hive.ql.io.HiveSequenceFileOutputFormat", "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe"},
}

// tableFormat is a table's Format (what the engine reads) from its input
// format and SerDe: json, parquet, or the format's own name for one the
// engine cannot read (the query then says so).
func tableFormat(inputFormat, serde string) string {
	if f := formatOf(inputFormat, serde); f != "" {
		return f
	}
	lib := strings.ToLower(inputFormat + " " + serde)
	for _, f := range []string{"orc", "avro", "csv", "rcfile", "sequencefile", "ion", "cloudtrail", "grok", "regex", "lazysimpleserde"} {
		if strings.Contains(lib, f) {
			if f == "lazysimpleserde" {
				return "csv"
			}
			return f
		}
	}
	return "unknown"
}

// createExternalTable runs CREATE EXTERNAL TABLE.
func (a *AthenaService) createExternalTable(ctx context.Context, x *athenaExecution) (*athenaResult, error) {
	p := newDDLParser(x.query)
	if err := p.expectWord("CREATE"); err != nil {
		return nil, err
	}
	if !p.word("EXTERNAL") {
		return nil, &errSQL{"NOT_SUPPORTED: Only external table creation is supported (CREATE EXTERNAL TABLE, or CREATE TABLE ... AS SELECT)"}
	}
	if err := p.expectWord("TABLE"); err != nil {
		return nil, err
	}
	ifNotExists := p.word("IF", "NOT", "EXISTS")
	db, name, err := p.qualified()
	if err != nil {
		return nil, err
	}
	db = cmp.Or(db, x.database)
	t := &catalog.Table{Database: db, Name: name, Parameters: map[string]string{}}
	if t.Columns, err = p.columns(); err != nil {
		return nil, err
	}
	serde, err := tableClauses(p, t)
	if err != nil {
		return nil, err
	}
	if err := completeExternalTable(t, serde); err != nil {
		return nil, err
	}
	if err := a.requireBucket(t.Location); err != nil {
		return nil, err
	}
	if err := a.requireDatabase(ctx, db); err != nil {
		return nil, err
	}
	a.ddlMu.Lock()
	defer a.ddlMu.Unlock()
	switch _, err := a.d.GetTable(ctx, db, name); {
	case err == nil && ifNotExists:
		return &athenaResult{}, nil
	case err == nil:
		return nil, &errSQL{fmt.Sprintf("ALREADY_EXISTS: Table %s.%s already exists", db, name)}
	case !errors.Is(err, catalog.ErrNotFound):
		return nil, err
	}
	// As Athena's DDL writes them to Glue (SHOW TBLPROPERTIES shows them).
	if t.Parameters == nil {
		t.Parameters = map[string]string{}
	}
	t.Parameters["EXTERNAL"] = "TRUE"
	t.Parameters["transient_lastDdlTime"] = strconv.FormatInt(time.Now().Unix(), 10)
	if err := a.d.PutTable(ctx, t); err != nil {
		return nil, err
	}
	return &athenaResult{}, nil
}

// tableClauses reads the clauses after CREATE EXTERNAL TABLE's columns
// into t, in any order, and returns the SerDe they name ("" if none).
func tableClauses(p *ddlParser, t *catalog.Table) (serde string, err error) {
	for !p.done() {
		switch {
		case p.word("COMMENT"):
			if t.Description, err = p.str(); err != nil {
				return "", err
			}
		case p.word("PARTITIONED", "BY"):
			if t.PartitionKeys, err = p.columns(); err != nil {
				return "", err
			}
		case p.word("CLUSTERED", "BY"):
			return "", &errSQL{"NOT_SUPPORTED: CLUSTERED BY (bucketed tables) is not emulated"}
		case p.word("ROW", "FORMAT", "SERDE"):
			if serde, err = p.str(); err != nil {
				return "", err
			}
			if p.word("WITH", "SERDEPROPERTIES") {
				if t.SerDeParameters, err = p.props(); err != nil {
					return "", err
				}
			}
		case p.word("ROW", "FORMAT", "DELIMITED"):
			serde = storedAs["TEXTFILE"][2]
			if err := rowFormatDelimited(p, t); err != nil {
				return "", err
			}
		case p.word("STORED", "AS", "INPUTFORMAT"):
			if t.InputFormat, err = p.str(); err != nil {
				return "", err
			}
			if err := p.expectWord("OUTPUTFORMAT"); err != nil {
				return "", err
			}
			if t.OutputFormat, err = p.str(); err != nil {
				return "", err
			}
		case p.word("STORED", "AS"):
			f, err := p.ident()
			if err != nil {
				return "", err
			}
			s, ok := storedAs[strings.ToUpper(f)]
			if !ok {
				return "", &errSQL{fmt.Sprintf("NOT_SUPPORTED: STORED AS %s is not a format the emulated Athena knows (TEXTFILE, PARQUET, ORC, AVRO, JSONFILE, RCFILE, SEQUENCEFILE)", f)}
			}
			t.InputFormat, t.OutputFormat = s[0], s[1]
			if serde == "" {
				serde = s[2]
			}
		case p.word("LOCATION"):
			if t.Location, err = p.str(); err != nil {
				return "", err
			}
		case p.word("TBLPROPERTIES"):
			if t.Parameters, err = p.props(); err != nil {
				return "", err
			}
		default:
			return "", p.fail("COMMENT, PARTITIONED BY, ROW FORMAT, STORED AS, LOCATION or TBLPROPERTIES")
		}
	}
	return serde, nil
}

// rowFormatDelimited reads ROW FORMAT DELIMITED's clauses (FIELDS
// TERMINATED BY ...) into t's SerDe parameters, as Hive names them.
func rowFormatDelimited(p *ddlParser, t *catalog.Table) error {
	var err error
	t.SerDeParameters = map[string]string{}
	for {
		var key string
		switch {
		case p.word("FIELDS", "TERMINATED", "BY"):
			key = "field.delim"
		case p.word("COLLECTION", "ITEMS", "TERMINATED", "BY"):
			key = "collection.delim"
		case p.word("MAP", "KEYS", "TERMINATED", "BY"):
			key = "mapkey.delim"
		case p.word("LINES", "TERMINATED", "BY"):
			key = "line.delim"
		case p.word("ESCAPED", "BY"):
			key = "escape.delim"
		case p.word("NULL", "DEFINED", "AS"):
			key = "serialization.null.format"
		}
		if key == "" {
			break
		}
		if t.SerDeParameters[key], err = p.str(); err != nil {
			return err
		}
	}
	if d, ok := t.SerDeParameters["field.delim"]; ok {
		t.SerDeParameters["serialization.format"] = d
	}
	return nil
}

// requireBucket fails DDL whose location is in a bucket that does not
// exist, as Athena's (Hive's) DDL does: the metastore checks the
// location's folder.
func (a *AthenaService) requireBucket(location string) error {
	bucket, _, err := parseS3URI(location)
	if err != nil || a.store.BucketExists(bucket) {
		return nil
	}
	return &errSQL{fmt.Sprintf("FAILED: Execution Error, return code 1 from org.apache.hadoop.hive.ql.exec.DDLTask. MetaException(message:Got exception: The specified bucket does not exist: %s (location %s))", bucket, location)}
}

// completeExternalTable checks a parsed table and fills in what Hive
// defaults: text format and SerDe, and the engine's Format.
func completeExternalTable(t *catalog.Table, serde string) error {
	if strings.EqualFold(t.Parameters["table_type"], "ICEBERG") {
		return &errSQL{"NOT_SUPPORTED: Iceberg tables are not emulated"}
	}
	if t.Location == "" {
		return &errSQL{"SYNTAX_ERROR: CREATE EXTERNAL TABLE needs a LOCATION 's3://bucket/prefix/'"}
	}
	if _, _, err := parseTableLocation(t.Location); err != nil {
		return &errSQL{"INVALID_TABLE_PROPERTY: LOCATION: " + err.Error()}
	}
	if t.InputFormat == "" { // no STORED AS: Hive's default, text
		t.InputFormat, t.OutputFormat = storedAs["TEXTFILE"][0], storedAs["TEXTFILE"][1]
	}
	t.SerDeLibrary = cmp.Or(serde, storedAs["TEXTFILE"][2])
	t.Format = tableFormat(t.InputFormat, t.SerDeLibrary)
	if dup := duplicateColumn(append(slices.Clone(t.Columns), t.PartitionKeys...)); dup != "" {
		return &errSQL{fmt.Sprintf("HIVE_INVALID_METADATA: column %s is named twice (a partition key is not also a column)", dup)}
	}
	return nil
}

func duplicateColumn(cs []catalog.Column) string {
	seen := map[string]bool{}
	for _, c := range cs {
		if seen[strings.ToLower(c.Name)] {
			return c.Name
		}
		seen[strings.ToLower(c.Name)] = true
	}
	return ""
}

// requireDatabase fails as Athena does when db does not exist.
func (a *AthenaService) requireDatabase(ctx context.Context, db string) error {
	if _, err := a.d.GetDatabase(ctx, db); err != nil {
		if errors.Is(err, catalog.ErrNotFound) {
			return &errSQL{fmt.Sprintf("SCHEMA_NOT_FOUND: Schema %s does not exist", db)}
		}
		return err
	}
	return nil
}

// tableOf reads the table a statement names, in the query's database
// unless qualified.
func (a *AthenaService) tableOf(ctx context.Context, x *athenaExecution, p *ddlParser) (*catalog.Table, error) {
	db, name, err := p.qualified()
	if err != nil {
		return nil, err
	}
	db = cmp.Or(db, x.database)
	t, err := a.d.GetTable(ctx, db, name)
	if errors.Is(err, catalog.ErrNotFound) {
		if err := a.requireDatabase(ctx, db); err != nil {
			return nil, err
		}
		return nil, &errSQL{fmt.Sprintf("TABLE_NOT_FOUND: Table awsdatacatalog.%s.%s does not exist", db, name)}
	}
	return t, err
}

// createDatabase runs CREATE DATABASE|SCHEMA [IF NOT EXISTS] name
// [COMMENT 'c'] [LOCATION 's3://...'] [WITH DBPROPERTIES (...)].
func (a *AthenaService) createDatabase(ctx context.Context, x *athenaExecution) (*athenaResult, error) {
	p := newDDLParser(x.query)
	p.word("CREATE")
	if !p.word("DATABASE") && !p.word("SCHEMA") {
		return nil, p.fail("DATABASE")
	}
	ifNotExists := p.word("IF", "NOT", "EXISTS")
	name, err := p.ident()
	if err != nil {
		return nil, err
	}
	d := catalog.DatabaseInfo{Name: name}
	for !p.done() {
		switch {
		case p.word("COMMENT"):
			d.Description, err = p.str()
		case p.word("LOCATION"):
			d.LocationURI, err = p.str()
		case p.word("WITH", "DBPROPERTIES"):
			d.Parameters, err = p.props()
		default:
			err = p.fail("COMMENT, LOCATION or WITH DBPROPERTIES")
		}
		if err != nil {
			return nil, err
		}
	}
	a.ddlMu.Lock()
	defer a.ddlMu.Unlock()
	switch _, err := a.d.GetDatabase(ctx, name); {
	case err == nil && ifNotExists:
		return &athenaResult{}, nil
	case err == nil:
		return nil, &errSQL{fmt.Sprintf("ALREADY_EXISTS: Database %s already exists", name)}
	case !errors.Is(err, catalog.ErrNotFound):
		return nil, err
	}
	return &athenaResult{}, a.d.DefineDatabase(ctx, d)
}

// dropDatabase runs DROP DATABASE|SCHEMA [IF EXISTS] name
// [RESTRICT|CASCADE]: RESTRICT, the default, refuses a database with
// tables.
func (a *AthenaService) dropDatabase(ctx context.Context, x *athenaExecution) (*athenaResult, error) {
	p := newDDLParser(x.query)
	p.word("DROP")
	if !p.word("DATABASE") && !p.word("SCHEMA") {
		return nil, p.fail("DATABASE")
	}
	ifExists := p.word("IF", "EXISTS")
	name, err := p.ident()
	if err != nil {
		return nil, err
	}
	cascade := p.word("CASCADE")
	if !cascade {
		p.word("RESTRICT")
	}
	if !p.done() {
		return nil, p.fail("the end of the statement")
	}
	a.ddlMu.Lock()
	defer a.ddlMu.Unlock()
	tables, err := a.d.ListTables(ctx, name)
	switch {
	case errors.Is(err, catalog.ErrNotFound) && ifExists:
		return &athenaResult{}, nil
	case errors.Is(err, catalog.ErrNotFound):
		return nil, &errSQL{fmt.Sprintf("SCHEMA_NOT_FOUND: Database %s does not exist", name)}
	case err != nil:
		return nil, err
	case len(tables) > 0 && !cascade:
		return nil, &errSQL{fmt.Sprintf("HIVE_METASTORE_ERROR: Database %s is not empty. One or more tables exist: drop them, or DROP DATABASE %s CASCADE", name, name)}
	}
	return &athenaResult{}, a.d.DeleteDatabase(ctx, name)
}

// dropTable runs DROP TABLE [IF EXISTS] name, and DROP VIEW [IF EXISTS]
// name: the catalog entry goes, the files stay (the tables are external).
func (a *AthenaService) dropTable(ctx context.Context, x *athenaExecution) (*athenaResult, error) {
	p := newDDLParser(x.query)
	p.word("DROP")
	view := p.word("VIEW")
	if !view {
		if err := p.expectWord("TABLE"); err != nil {
			return nil, err
		}
	}
	ifExists := p.word("IF", "EXISTS")
	db, name, err := p.qualified()
	if err != nil {
		return nil, err
	}
	if !p.done() {
		return nil, p.fail("the end of the statement")
	}
	db = cmp.Or(db, x.database)
	a.ddlMu.Lock()
	defer a.ddlMu.Unlock()
	t, err := a.d.GetTable(ctx, db, name)
	switch {
	case errors.Is(err, catalog.ErrNotFound) && ifExists:
		return &athenaResult{}, nil
	case errors.Is(err, catalog.ErrNotFound) && view:
		return nil, &errSQL{fmt.Sprintf("VIEW_NOT_FOUND: View awsdatacatalog.%s.%s does not exist", db, name)}
	case errors.Is(err, catalog.ErrNotFound):
		return nil, &errSQL{fmt.Sprintf("TABLE_NOT_FOUND: Table awsdatacatalog.%s.%s does not exist", db, name)}
	case err != nil:
		return nil, err
	case view && !t.IsView():
		return nil, &errSQL{fmt.Sprintf("NOT_SUPPORTED: %s.%s is a table, not a view: use DROP TABLE", db, name)}
	case !view && t.IsView():
		return nil, &errSQL{fmt.Sprintf("NOT_SUPPORTED: %s.%s is a view: use DROP VIEW", db, name)}
	}
	return &athenaResult{}, a.d.DeleteTable(ctx, db, name)
}

// alterTable runs ALTER TABLE name ADD [IF NOT EXISTS] PARTITION (...)
// [LOCATION '...'] ..., DROP [IF EXISTS] PARTITION (...), ...,
// ADD COLUMNS (...), REPLACE COLUMNS (...), SET LOCATION '...' and
// SET TBLPROPERTIES (...).
func (a *AthenaService) alterTable(ctx context.Context, x *athenaExecution) (*athenaResult, error) {
	p := newDDLParser(x.query)
	if err := p.expectWord("ALTER", "TABLE"); err != nil {
		return nil, err
	}
	a.ddlMu.Lock()
	defer a.ddlMu.Unlock()
	t, err := a.tableOf(ctx, x, p)
	if err != nil {
		return nil, err
	}
	if t.IsView() {
		return nil, &errSQL{fmt.Sprintf("NOT_SUPPORTED: %s.%s is a view", t.Database, t.Name)}
	}
	switch {
	case p.word("ADD", "COLUMNS"), p.word("REPLACE", "COLUMNS"):
		replace := strings.EqualFold(p.toks[p.i-2].text, "REPLACE")
		cols, err := p.columns()
		if err != nil {
			return nil, err
		}
		if replace {
			t.Columns = cols
		} else {
			t.Columns = append(t.Columns, cols...)
		}
		if dup := duplicateColumn(append(slices.Clone(t.Columns), t.PartitionKeys...)); dup != "" {
			return nil, &errSQL{fmt.Sprintf("HIVE_INVALID_METADATA: column %s is named twice", dup)}
		}
		return &athenaResult{}, a.d.PutTable(ctx, t)
	case p.word("SET", "LOCATION"):
		loc, err := p.str()
		if err != nil {
			return nil, err
		}
		if _, _, err := parseTableLocation(loc); err != nil {
			return nil, &errSQL{"INVALID_TABLE_PROPERTY: LOCATION: " + err.Error()}
		}
		t.Location = loc
		return &athenaResult{}, a.d.PutTable(ctx, t)
	case p.word("SET", "TBLPROPERTIES"):
		props, err := p.props()
		if err != nil {
			return nil, err
		}
		if t.Parameters == nil {
			t.Parameters = map[string]string{}
		}
		for k, v := range props {
			t.Parameters[k] = v
		}
		return &athenaResult{}, a.d.PutTable(ctx, t)
	case p.word("ADD"):
		return a.addPartitions(ctx, t, p)
	case p.word("DROP"):
		return a.dropPartitions(ctx, t, p)
	}
	return nil, &errSQL{fmt.Sprintf("NOT_SUPPORTED: this ALTER TABLE is not emulated (ADD/DROP PARTITION, ADD/REPLACE COLUMNS, SET LOCATION and SET TBLPROPERTIES are) %s", p.here())}
}

func (a *AthenaService) addPartitions(ctx context.Context, t *catalog.Table, p *ddlParser) (*athenaResult, error) {
	ifNotExists := p.word("IF", "NOT", "EXISTS")
	if len(t.PartitionKeys) == 0 {
		return nil, &errSQL{fmt.Sprintf("NOT_SUPPORTED: table %s.%s is not partitioned", t.Database, t.Name)}
	}
	existing, err := a.d.ListPartitions(ctx, t.Database, t.Name)
	if err != nil {
		return nil, err
	}
	have := map[string]bool{}
	for _, e := range existing {
		have[catalog.PartitionKey(e.Values)] = true
	}
	var add []catalog.Partition
	for p.word("PARTITION") {
		values, err := p.partitionSpec(t.PartitionKeys)
		if err != nil {
			return nil, err
		}
		loc := strings.TrimSuffix(t.Location, "/") + "/" + hivePath(t.PartitionKeys, values)
		if p.word("LOCATION") {
			if loc, err = p.str(); err != nil {
				return nil, err
			}
			if _, _, err := parseTableLocation(loc); err != nil {
				return nil, &errSQL{"INVALID_TABLE_PROPERTY: LOCATION: " + err.Error()}
			}
			if err := a.requireBucket(loc); err != nil {
				return nil, err
			}
		}
		k := catalog.PartitionKey(values)
		if have[k] {
			if ifNotExists {
				continue
			}
			return nil, &errSQL{fmt.Sprintf("ALREADY_EXISTS: Partition already exists: %s (use ADD IF NOT EXISTS)", hivePath(t.PartitionKeys, values))}
		}
		have[k] = true
		add = append(add, catalog.Partition{Values: values, Location: loc})
	}
	if !p.done() {
		return nil, p.fail("PARTITION")
	}
	if len(add) == 0 && !ifNotExists {
		return nil, &errSQL{"SYNTAX_ERROR: ADD needs at least one PARTITION (...)"}
	}
	if len(add) > 0 {
		if err := a.d.AddPartitions(ctx, t.Database, t.Name, add); err != nil {
			return nil, err
		}
	}
	return &athenaResult{}, nil
}

func (a *AthenaService) dropPartitions(ctx context.Context, t *catalog.Table, p *ddlParser) (*athenaResult, error) {
	ifExists := p.word("IF", "EXISTS")
	existing, err := a.d.ListPartitions(ctx, t.Database, t.Name)
	if err != nil {
		return nil, err
	}
	have := map[string]bool{}
	for _, e := range existing {
		have[catalog.PartitionKey(e.Values)] = true
	}
	var drop [][]string
	for {
		if err := p.expectWord("PARTITION"); err != nil {
			return nil, err
		}
		values, err := p.partitionSpec(t.PartitionKeys)
		if err != nil {
			return nil, err
		}
		switch {
		case have[catalog.PartitionKey(values)]:
			drop = append(drop, values)
		case !ifExists:
			return nil, &errSQL{fmt.Sprintf("HIVE_METASTORE_ERROR: No partition %s of table %s.%s (use DROP IF EXISTS)", hivePath(t.PartitionKeys, values), t.Database, t.Name)}
		}
		if !p.punct(",") {
			break
		}
	}
	if !p.done() {
		return nil, p.fail("the end of the statement")
	}
	return &athenaResult{}, a.d.DeletePartitions(ctx, t.Database, t.Name, drop)
}

// hivePath is the key=value folders of a partition ("dt=2026-01-01/h=1/"),
// values escaped as Hive escapes them.
func hivePath(keys []catalog.Column, values []string) string {
	var b strings.Builder
	for i, k := range keys {
		b.WriteString(k.Name + "=" + hiveEscape(values[i]) + "/")
	}
	return b.String()
}

// hiveEscape escapes a partition value as Hive does in a folder name.
func hiveEscape(v string) string {
	var b strings.Builder
	for _, c := range []byte(v) {
		if c < 0x20 || strings.IndexByte("\"#%'*/:=?\\\x7f{[]^", c) >= 0 {
			fmt.Fprintf(&b, "%%%02X", c)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// msckRepair runs MSCK REPAIR TABLE: the partitions whose key=value
// folders under the table's location hold objects and are not in the
// catalog are added. Its result lists them as Hive does.
func (a *AthenaService) msckRepair(ctx context.Context, x *athenaExecution) (*athenaResult, error) {
	p := newDDLParser(x.query)
	if err := p.expectWord("MSCK", "REPAIR", "TABLE"); err != nil {
		return nil, err
	}
	a.ddlMu.Lock()
	defer a.ddlMu.Unlock()
	t, err := a.tableOf(ctx, x, p)
	if err != nil {
		return nil, err
	}
	if !p.done() {
		return nil, p.fail("the end of the statement")
	}
	if len(t.PartitionKeys) == 0 {
		return nil, &errSQL{fmt.Sprintf("NOT_SUPPORTED: table %s.%s is not partitioned", t.Database, t.Name)}
	}
	bucket, prefix, err := parseS3URI(strings.TrimSuffix(t.Location, "/") + "/")
	if err != nil {
		return nil, &errSQL{fmt.Sprintf("INVALID_TABLE_PROPERTY: table %s.%s: %v", t.Database, t.Name, err)}
	}
	existing, err := a.d.ListPartitions(ctx, t.Database, t.Name)
	if err != nil {
		return nil, err
	}
	have := map[string]bool{}
	for _, e := range existing {
		have[catalog.PartitionKey(e.Values)] = true
	}
	folders, err := a.partitionFolders(bucket, prefix, len(t.PartitionKeys))
	if err != nil {
		return nil, err
	}
	var add []catalog.Partition
	var notPartitions []string
	for _, f := range folders {
		values, ok := partitionValues(f, t.PartitionKeys)
		if !ok {
			notPartitions = append(notPartitions, f)
			continue
		}
		if k := catalog.PartitionKey(values); !have[k] {
			have[k] = true
			add = append(add, catalog.Partition{Values: values, Location: "s3://" + bucket + "/" + prefix + f})
		}
	}
	if len(add) > 0 {
		if err := a.d.AddPartitions(ctx, t.Database, t.Name, add); err != nil {
			return nil, err
		}
	}
	res := &athenaResult{columns: []athenaColumnInfo{columnInfo("repair", "varchar")}}
	line := func(s string) { res.rows = append(res.rows, []*string{&s}) }
	if len(add) > 0 {
		var names []string
		for _, p := range add {
			names = append(names, t.Name+":"+strings.TrimSuffix(hivePath(t.PartitionKeys, p.Values), "/"))
		}
		line("Partitions not in metastore:\t" + strings.Join(names, "\t"))
		for _, n := range names {
			line("Repair: Added partition to metastore " + n)
		}
	}
	for _, f := range notPartitions {
		line("Not a partition of " + t.Name + " (" + columnNames(t.PartitionKeys) + "): " + strings.TrimSuffix(f, "/"))
	}
	return res, nil
}

// partitionFolders lists the folders depth levels below prefix that hold
// objects (at any depth), as "a=1/b=2/".
func (a *AthenaService) partitionFolders(bucket, prefix string, depth int) ([]string, error) {
	seen := map[string]bool{}
	var out []string
	marker := ""
	for {
		list, err := a.store.ListObjects(bucket, ListOptions{Prefix: prefix, Marker: marker, MaxKeys: 1000})
		if err != nil {
			if hasS3Code(err, "NoSuchBucket") {
				return nil, &errSQL{fmt.Sprintf("HIVE_PATH_NOT_FOUND: bucket %s does not exist", bucket)}
			}
			return nil, err
		}
		for _, o := range list.Objects {
			parts := strings.Split(strings.TrimPrefix(o.Key, prefix), "/")
			if len(parts) <= depth {
				continue // an object above the partitions
			}
			f := strings.Join(parts[:depth], "/") + "/"
			if !seen[f] {
				seen[f] = true
				out = append(out, f)
			}
		}
		if !list.IsTruncated || len(list.Objects) == 0 {
			break
		}
		marker = cmp.Or(list.NextMarker, list.Objects[len(list.Objects)-1].Key)
	}
	slices.Sort(out)
	return out, nil
}

// partitionValues reads a folder "k1=v1/k2=v2/" as the values of keys, in
// order, unescaped as Hive escapes them.
func partitionValues(folder string, keys []catalog.Column) ([]string, bool) {
	parts := strings.Split(strings.TrimSuffix(folder, "/"), "/")
	if len(parts) != len(keys) {
		return nil, false
	}
	values := make([]string, len(keys))
	for i, part := range parts {
		k, v, ok := strings.Cut(part, "=")
		if !ok || !strings.EqualFold(k, keys[i].Name) {
			return nil, false
		}
		u, err := url.PathUnescape(v)
		if err != nil {
			return nil, false
		}
		values[i] = u
	}
	return values, true
}

// createView runs CREATE [OR REPLACE] VIEW name AS query: the query runs
// with no rows to check it and type the view's columns, and the view is
// kept as Athena keeps it.
func (a *AthenaService) createView(ctx context.Context, x *athenaExecution) (*athenaResult, error) {
	p := newDDLParser(x.query)
	p.word("CREATE")
	replace := p.word("OR", "REPLACE")
	if err := p.expectWord("VIEW"); err != nil {
		return nil, err
	}
	db, name, err := p.qualified()
	if err != nil {
		return nil, err
	}
	if !p.word("AS") {
		return nil, p.fail("AS")
	}
	body := viewBody(x.query)
	db = cmp.Or(db, x.database)
	if err := a.requireDatabase(ctx, db); err != nil {
		return nil, err
	}
	r, types, _, _, err := a.queryAs(ctx, nil, db, "SELECT * FROM ("+body+"\n) LIMIT 0", true)
	if err != nil {
		return nil, err
	}
	v := prestoView{OriginalSQL: body, Catalog: "awsdatacatalog", Schema: db}
	t := &catalog.Table{Database: db, Name: name, TableType: catalog.TableView,
		Parameters:       map[string]string{"presto_view": "true", "comment": "Presto View"},
		ViewExpandedText: "/* Presto View */"}
	for i, c := range r.Columns {
		cname := columnName(i, c.Name, body)
		v.Columns = append(v.Columns, prestoViewCol{Name: cname, Type: c.Type})
		typ := catalog.TypeString // for a type Hive has none of
		if ht, err := duckdb.HiveType(types[i]); err == nil {
			typ = ht.String()
		}
		t.Columns = append(t.Columns, catalog.Column{Name: cname, Type: typ})
	}
	t.ViewOriginalText = encodeView(v)
	a.ddlMu.Lock()
	defer a.ddlMu.Unlock()
	switch old, err := a.d.GetTable(ctx, db, name); {
	case err == nil && !old.IsView():
		return nil, &errSQL{fmt.Sprintf("ALREADY_EXISTS: %s.%s is a table, not a view", db, name)}
	case err == nil && !replace:
		return nil, &errSQL{fmt.Sprintf("ALREADY_EXISTS: View %s.%s already exists (use CREATE OR REPLACE VIEW)", db, name)}
	case err != nil && !errors.Is(err, catalog.ErrNotFound):
		return nil, err
	}
	return &athenaResult{}, a.d.PutTable(ctx, t)
}

// viewBody is a CREATE VIEW statement's query: its text after the first
// bare AS (the view's name, if it is a word, is quoted when it is "as").
func viewBody(sql string) string {
	toks := tokenizeSQL(sql)
	for i, t := range toks {
		if t.kind == tokWord && strings.EqualFold(t.text, "AS") {
			var b strings.Builder
			for _, r := range toks[i+1:] {
				b.WriteString(r.text)
			}
			return strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(b.String()), ";"))
		}
	}
	return ""
}
