package emulate

// SHOW and DESCRIBE, answered from the catalog as Athena answers them: one
// row a name (SHOW TABLES, DATABASES, VIEWS, COLUMNS, PARTITIONS), one row
// a line of DDL (SHOW CREATE TABLE, SHOW CREATE VIEW), Hive's DESCRIBE.
//
// Differences from Athena:
//   - DESCRIBE gives col_name, data_type and comment columns, then the
//     partition keys under "# Partition Information", without Hive's
//     padding; DESCRIBE EXTENDED and FORMATTED add the table's location,
//     format and parameters as rows of the same three columns.
//   - Patterns (SHOW TABLES 'x*|y') are Hive's: * matches anything and |
//     separates alternatives; the match is case-insensitive.

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"pipeline/catalog"
)

// textResult is a result of string columns, for DDL statements.
func textResult(names ...string) *athenaResult {
	res := &athenaResult{}
	for _, n := range names {
		res.columns = append(res.columns, columnInfo(n, "varchar"))
	}
	return res
}

func (r *athenaResult) add(values ...string) {
	row := make([]*string, len(values))
	for i := range values {
		row[i] = &values[i]
	}
	r.rows = append(r.rows, row)
}

// hivePattern compiles a SHOW pattern: * any run of characters, | or.
func hivePattern(p string) (*regexp.Regexp, error) {
	var alts []string
	for _, alt := range strings.Split(p, "|") {
		parts := strings.Split(strings.TrimSpace(alt), "*")
		for i := range parts {
			parts[i] = regexp.QuoteMeta(parts[i])
		}
		alts = append(alts, strings.Join(parts, ".*"))
	}
	return regexp.Compile("(?i)^(?:" + strings.Join(alts, "|") + ")$")
}

// show runs a SHOW statement.
func (a *AthenaService) show(ctx context.Context, x *athenaExecution) (*athenaResult, error) {
	p := newDDLParser(x.query)
	if err := p.expectWord("SHOW"); err != nil {
		return nil, err
	}
	switch {
	case p.word("TABLES"), p.word("VIEWS"):
		return a.showTables(ctx, x, p)
	case p.word("DATABASES"), p.word("SCHEMAS"):
		return a.showDatabases(ctx, x, p)
	case p.word("COLUMNS"):
		return a.showColumns(ctx, x, p)
	case p.word("PARTITIONS"):
		return a.showPartitions(ctx, x, p)
	case p.word("CREATE", "TABLE"):
		return a.showCreateTableStmt(ctx, x, p)
	case p.word("CREATE", "VIEW"):
		return a.showCreateView(ctx, x, p)
	case p.word("TBLPROPERTIES"):
		return a.showTblProperties(ctx, x, p)
	}
	return nil, &errSQL{fmt.Sprintf("NOT_SUPPORTED: this SHOW is not emulated (TABLES, DATABASES, SCHEMAS, VIEWS, COLUMNS, PARTITIONS, CREATE TABLE, CREATE VIEW and TBLPROPERTIES are) %s", p.here())}
}

// showTables runs SHOW TABLES and SHOW VIEWS [IN db] [[LIKE] 'pattern']:
// the tables (or views only) whose names match.
func (a *AthenaService) showTables(ctx context.Context, x *athenaExecution, p *ddlParser) (*athenaResult, error) {
	views := strings.EqualFold(p.toks[p.i-1].text, "VIEWS")
	db := x.database
	if p.word("IN") || p.word("FROM") {
		var err error
		if db, err = p.ident(); err != nil {
			return nil, err
		}
	}
	match, err := a.showPattern(p)
	if err != nil {
		return nil, err
	}
	if err := a.requireDatabase(ctx, db); err != nil {
		return nil, err
	}
	tables, err := a.d.ListTables(ctx, db)
	if err != nil {
		return nil, err
	}
	res := textResult("tab_name")
	if views {
		res = textResult("views")
	}
	for _, t := range tables {
		if (!views || t.IsView()) && (match == nil || match.MatchString(t.Name)) {
			res.add(t.Name)
		}
	}
	return res, nil
}

// showDatabases runs SHOW DATABASES and SHOW SCHEMAS [[LIKE] 'pattern'].
func (a *AthenaService) showDatabases(ctx context.Context, x *athenaExecution, p *ddlParser) (*athenaResult, error) {
	match, err := a.showPattern(p)
	if err != nil {
		return nil, err
	}
	dbs, err := a.d.ListDatabases(ctx)
	if err != nil {
		return nil, err
	}
	res := textResult("database_name")
	for _, d := range dbs {
		if match == nil || match.MatchString(d.Name) {
			res.add(d.Name)
		}
	}
	return res, nil
}

// showColumns runs SHOW COLUMNS IN table [IN db]: the columns, then the
// partition keys.
func (a *AthenaService) showColumns(ctx context.Context, x *athenaExecution, p *ddlParser) (*athenaResult, error) {
	if !p.word("IN") && !p.word("FROM") {
		return nil, p.fail("IN or FROM")
	}
	db, name, err := p.qualified()
	if err != nil {
		return nil, err
	}
	if p.word("IN") || p.word("FROM") {
		if db, err = p.ident(); err != nil {
			return nil, err
		}
	}
	t, err := a.tableNamed(ctx, cmp.Or(db, x.database), name)
	if err != nil {
		return nil, err
	}
	res := textResult("field")
	for _, c := range append(slices.Clone(t.Columns), t.PartitionKeys...) {
		res.add(c.Name)
	}
	return res, p.end()
}

// showPartitions runs SHOW PARTITIONS table: one key=value/... path a
// partition, as Hive writes it.
func (a *AthenaService) showPartitions(ctx context.Context, x *athenaExecution, p *ddlParser) (*athenaResult, error) {
	t, err := a.tableOf(ctx, x, p)
	if err != nil {
		return nil, err
	}
	if len(t.PartitionKeys) == 0 {
		return nil, &errSQL{fmt.Sprintf("NOT_SUPPORTED: Table %s.%s is not partitioned", t.Database, t.Name)}
	}
	parts, err := a.d.ListPartitions(ctx, t.Database, t.Name)
	if err != nil {
		return nil, err
	}
	res := textResult("partition")
	for _, part := range parts {
		res.add(strings.TrimSuffix(hivePath(t.PartitionKeys, part.Values), "/"))
	}
	return res, p.end()
}

// showCreateTableStmt runs SHOW CREATE TABLE table: its DDL, a line a row
// (a view is refused).
func (a *AthenaService) showCreateTableStmt(ctx context.Context, x *athenaExecution, p *ddlParser) (*athenaResult, error) {
	t, err := a.tableOf(ctx, x, p)
	if err != nil {
		return nil, err
	}
	if t.IsView() {
		return nil, &errSQL{fmt.Sprintf("NOT_SUPPORTED: %s.%s is a view: use SHOW CREATE VIEW", t.Database, t.Name)}
	}
	res := textResult("createtab_stmt")
	for _, line := range strings.Split(showCreateTable(t), "\n") {
		res.add(line)
	}
	return res, p.end()
}

// showCreateView runs SHOW CREATE VIEW view: its DDL, a line a row.
func (a *AthenaService) showCreateView(ctx context.Context, x *athenaExecution, p *ddlParser) (*athenaResult, error) {
	t, err := a.tableOf(ctx, x, p)
	if err != nil {
		return nil, err
	}
	v, err := decodeView(t.ViewOriginalText)
	if !t.IsView() || err != nil {
		return nil, &errSQL{fmt.Sprintf("NOT_SUPPORTED: %s.%s is not a view", t.Database, t.Name)}
	}
	res := textResult("Create View")
	text := fmt.Sprintf("CREATE VIEW %s.%s AS\n%s", hiveIdent(t.Database), hiveIdent(t.Name), v.OriginalSQL)
	for _, line := range strings.Split(text, "\n") {
		res.add(line)
	}
	return res, p.end()
}

// showTblProperties runs SHOW TBLPROPERTIES table [('name')]: its
// parameters, sorted by name.
func (a *AthenaService) showTblProperties(ctx context.Context, x *athenaExecution, p *ddlParser) (*athenaResult, error) {
	t, err := a.tableOf(ctx, x, p)
	if err != nil {
		return nil, err
	}
	var only string
	if p.punct("(") {
		if only, err = p.str(); err != nil {
			return nil, err
		}
		if err := p.expect(")"); err != nil {
			return nil, err
		}
	}
	res := textResult("prpt_name", "prpt_value")
	for _, k := range slices.Sorted(maps.Keys(t.Parameters)) {
		if only == "" || k == only {
			res.add(k, t.Parameters[k])
		}
	}
	return res, p.end()
}

// showPattern reads an optional [LIKE] 'pattern'.
func (a *AthenaService) showPattern(p *ddlParser) (*regexp.Regexp, error) {
	p.word("LIKE")
	if p.done() {
		return nil, nil
	}
	s, err := p.str()
	if err != nil {
		return nil, err
	}
	if err := p.end(); err != nil {
		return nil, err
	}
	return hivePattern(s)
}

func (p *ddlParser) end() error {
	if !p.done() {
		return p.fail("the end of the statement")
	}
	return nil
}

// tableNamed reads db.name, or says it does not exist as Athena does.
func (a *AthenaService) tableNamed(ctx context.Context, db, name string) (*catalog.Table, error) {
	p := &ddlParser{toks: []sqlToken{{kind: tokQuoted, text: catalog.QuoteIdent(db)}, {kind: tokPunct, text: "."},
		{kind: tokQuoted, text: catalog.QuoteIdent(name)}}}
	return a.tableOf(ctx, &athenaExecution{database: db}, p)
}

// describe runs DESCRIBE [EXTENDED|FORMATTED] table [column].
func (a *AthenaService) describe(ctx context.Context, x *athenaExecution) (*athenaResult, error) {
	p := newDDLParser(x.query)
	if !p.word("DESCRIBE") && !p.word("DESC") {
		return nil, p.fail("DESCRIBE")
	}
	extended := p.word("EXTENDED") || p.word("FORMATTED")
	t, err := a.tableOf(ctx, x, p)
	if err != nil {
		return nil, err
	}
	res := textResult("col_name", "data_type", "comment")
	if !p.done() {
		col, err := p.ident()
		if err != nil {
			return nil, err
		}
		c, ok := t.Column(col)
		if !ok {
			return nil, &errSQL{fmt.Sprintf("COLUMN_NOT_FOUND: Column %s does not exist in %s.%s", col, t.Database, t.Name)}
		}
		res.add(c.Name, c.Type, c.Comment)
		return res, p.end()
	}
	for _, c := range append(slices.Clone(t.Columns), t.PartitionKeys...) {
		res.add(c.Name, c.Type, c.Comment)
	}
	if len(t.PartitionKeys) > 0 {
		res.add("", "", "")
		res.add("# Partition Information", "", "")
		res.add("# col_name", "data_type", "comment")
		res.add("", "", "")
		for _, c := range t.PartitionKeys {
			res.add(c.Name, c.Type, c.Comment)
		}
	}
	if extended {
		res.add("", "", "")
		res.add("# Detailed Table Information", "", "")
		res.add("Database:", t.Database, "")
		res.add("Table Type:", cmp.Or(t.TableType, catalog.TableExternal), "")
		res.add("Location:", t.Location, "")
		res.add("InputFormat:", t.InputFormat, "")
		res.add("OutputFormat:", t.OutputFormat, "")
		res.add("SerDe Library:", t.SerDeLibrary, "")
		for _, k := range slices.Sorted(maps.Keys(t.Parameters)) {
			res.add("Table Parameters:", k, t.Parameters[k])
		}
	}
	return res, nil
}

// hiveIdent quotes a name with backticks, as Hive's DDL does.
func hiveIdent(s string) string { return "`" + strings.ReplaceAll(s, "`", "``") + "`" }

// hiveString quotes a string literal as Hive's DDL does, with backslash
// escapes.
func hiveString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `'`, `\'`, "\n", `\n`, "\t", `\t`)
	return "'" + r.Replace(s) + "'"
}

// showCreateTable is the Hive DDL that makes t, as SHOW CREATE TABLE
// prints it; CREATE EXTERNAL TABLE reads it back as the same table.
func showCreateTable(t *catalog.Table) string {
	var b strings.Builder
	cols := func(cs []catalog.Column) {
		for i, c := range cs {
			b.WriteString("  " + hiveIdent(c.Name) + " " + c.Type)
			if c.Comment != "" {
				b.WriteString(" COMMENT " + hiveString(c.Comment))
			}
			if i < len(cs)-1 {
				b.WriteString(", \n")
			}
		}
	}
	b.WriteString("CREATE EXTERNAL TABLE " + hiveIdent(t.Database) + "." + hiveIdent(t.Name) + "(\n")
	cols(t.Columns)
	b.WriteString(")\n")
	if t.Description != "" {
		b.WriteString("COMMENT " + hiveString(t.Description) + "\n")
	}
	if len(t.PartitionKeys) > 0 {
		b.WriteString("PARTITIONED BY ( \n")
		cols(t.PartitionKeys)
		b.WriteString(")\n")
	}
	b.WriteString("ROW FORMAT SERDE \n  " + hiveString(t.SerDeLibrary) + " \n")
	props := func(m map[string]string) {
		keys := slices.Sorted(maps.Keys(m))
		for i, k := range keys {
			b.WriteString("  " + hiveString(k) + "=" + hiveString(m[k]))
			if i < len(keys)-1 {
				b.WriteString(", \n")
			}
		}
		b.WriteString(")")
	}
	if len(t.SerDeParameters) > 0 {
		b.WriteString("WITH SERDEPROPERTIES ( \n")
		props(t.SerDeParameters)
		b.WriteString(" \n")
	}
	b.WriteString("STORED AS INPUTFORMAT \n  " + hiveString(t.InputFormat) + " \nOUTPUTFORMAT \n  " + hiveString(t.OutputFormat) + "\n")
	b.WriteString("LOCATION\n  " + hiveString(t.Location))
	// EXTERNAL is the statement's keyword, and the DDL time is the
	// metastore's, set anew by the CREATE.
	tblProps := maps.Clone(t.Parameters)
	delete(tblProps, "EXTERNAL")
	delete(tblProps, "transient_lastDdlTime")
	if len(tblProps) > 0 {
		b.WriteString("\nTBLPROPERTIES (\n")
		props(tblProps)
	}
	return b.String()
}
