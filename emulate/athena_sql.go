package emulate

// The SQL text of Athena statements, read token by token: what kind of
// statement it is, and the few Trino spellings DuckDB's parser cannot read
// at all, fixed before the statement is parsed (athena_trino.go bridges the
// rest on DuckDB's syntax tree). Nothing inside a string literal, a quoted
// identifier or a comment is rewritten. The text fixes:
//
//	AwsDataCatalog.db.table             db.table (any case, quoted or not)
//	ARRAY(varchar) (a type)             varchar[]
//	AS array<T>, AS map<K, V>           AS T[], AS map(K, V) (Trino's legacy type syntax)
//	x day (a bare alias DuckDB reads    x AS "day"
//	  as a keyword)
//	timestamp(6), time(3)               "__timestamp_6", "__time_3" (DuckDB's have no precision: the bridge rounds)
//	if(c, x)                            if(c, x, NULL)
//	f(x) IGNORE NULLS OVER (...)        f(x IGNORE NULLS) OVER (...); RESPECT NULLS dropped
//	?                                   the next of ExecutionParameters, as given

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"pipeline/catalog"
)

type sqlTokenKind int

const (
	tokSpace  sqlTokenKind = iota // whitespace and comments
	tokWord                       // a bare identifier or keyword
	tokQuoted                     // a "quoted identifier"
	tokString                     // a 'string literal'
	tokNumber                     // a numeric literal
	tokPunct                      // one other character: ( ) , . ; ? * ...
)

type sqlToken struct {
	kind sqlTokenKind
	text string // exactly as in the statement: the tokens concatenate back to it
}

// tokenizeSQL splits a statement into tokens. It does not fail: an
// unterminated literal or comment runs to the end.
func tokenizeSQL(s string) []sqlToken { return tokenize(s, false) }

// tokenizeHive is tokenizeSQL for Hive DDL, whose string literals also
// escape with a backslash ('it\'s').
func tokenizeHive(s string) []sqlToken { return tokenize(s, true) }

func tokenize(s string, hive bool) []sqlToken {
	var toks []sqlToken
	for i := 0; i < len(s); {
		start := i
		kind := tokPunct
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
			kind = tokSpace
			for i < len(s) && strings.IndexByte(" \t\n\r\f\v", s[i]) >= 0 {
				i++
			}
		case strings.HasPrefix(s[i:], "--"):
			kind = tokSpace
			if j := strings.IndexByte(s[i:], '\n'); j >= 0 {
				i += j + 1
			} else {
				i = len(s)
			}
		case strings.HasPrefix(s[i:], "/*"):
			kind = tokSpace
			if j := strings.Index(s[i+2:], "*/"); j >= 0 {
				i += 2 + j + 2
			} else {
				i = len(s)
			}
		case c == '\'' || c == '"':
			kind = tokString
			if c == '"' {
				kind = tokQuoted
			}
			i++
			for i < len(s) {
				if hive && c == '\'' && s[i] == '\\' {
					i = min(i+2, len(s)) // a backslash at the end escapes nothing
					continue
				}
				if s[i] == c {
					if i+1 < len(s) && s[i+1] == c { // doubled: an escaped quote
						i += 2
						continue
					}
					i++
					break
				}
				i++
			}
		case hive && c == '`':
			// A `quoted name` (`` for a backtick) is one quoted identifier,
			// spaces and quotes inside it kept.
			var name strings.Builder
			for i++; i < len(s); i++ {
				if s[i] == '`' {
					if i+1 < len(s) && s[i+1] == '`' {
						name.WriteByte('`')
						i++
						continue
					}
					i++
					break
				}
				name.WriteByte(s[i])
			}
			toks = append(toks, sqlToken{kind: tokQuoted, text: catalog.QuoteIdent(name.String())})
			continue
		case c == '_' || isLetter(c) || c >= utf8.RuneSelf:
			kind = tokWord
			for i < len(s) && (s[i] == '_' || s[i] == '$' || isLetter(s[i]) || isDigit(s[i]) || s[i] >= utf8.RuneSelf) {
				i++
			}
		case isDigit(c):
			kind = tokNumber
			for i < len(s) && (s[i] == '.' || s[i] == '_' || isLetter(s[i]) || isDigit(s[i])) {
				i++
			}
		default:
			_, n := utf8.DecodeRuneInString(s[i:])
			i += n
		}
		toks = append(toks, sqlToken{kind: kind, text: s[start:i]})
	}
	return toks
}

func isLetter(c byte) bool { return 'a' <= c|0x20 && c|0x20 <= 'z' }
func isDigit(c byte) bool  { return '0' <= c && c <= '9' }

func (t sqlToken) is(punct string) bool { return t.kind == tokPunct && t.text == punct }

// name is an identifier token's name: a quoted one unquoted, a bare one as
// written; "" for other tokens.
func (t sqlToken) name() string {
	switch t.kind {
	case tokWord:
		return t.text
	case tokQuoted:
		return unquote(t.text, '"')
	}
	return ""
}

// unquote strips a literal's quotes and undoubles the quotes inside.
func unquote(s string, q byte) string {
	if len(s) >= 2 && s[0] == q && s[len(s)-1] == q {
		s = s[1 : len(s)-1]
	} else if len(s) >= 1 && s[0] == q {
		s = s[1:]
	}
	return strings.ReplaceAll(s, string(q)+string(q), string(q))
}

// unquoteHive is a Hive string literal's value: its quotes stripped,
// backslash escapes and doubled quotes undone.
func unquoteHive(s string) string {
	if len(s) >= 2 && s[0] == '\'' && s[len(s)-1] == '\'' {
		s = s[1 : len(s)-1]
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\\' && i+1 < len(s):
			i++
			switch s[i] {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			default:
				b.WriteByte(s[i])
			}
		case s[i] == '\'' && i+1 < len(s) && s[i+1] == '\'':
			b.WriteByte('\'')
			i++
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// nextSignificant is the index of the first token at or after i that is
// not space, or len(toks).
func nextSignificant(toks []sqlToken, i int) int {
	for i < len(toks) && toks[i].kind == tokSpace {
		i++
	}
	return i
}

// prevSignificant is the index of the last token before i that is not
// space, or -1.
func prevSignificant(toks []sqlToken, i int) int {
	for i--; i >= 0 && toks[i].kind == tokSpace; i-- {
	}
	return i
}

// Statement types, as Athena reports them.
const (
	stmtDDL     = "DDL"
	stmtDML     = "DML"
	stmtUtility = "UTILITY"
)

// classifyStatement returns Athena's StatementType and SubstatementType for
// a statement, and whether the emulator runs it: queries (SELECT, WITH,
// VALUES, TABLE), EXPLAIN, CREATE TABLE AS, and the DDL of athena_ddl.go
// and athena_show.go. Anything else (INSERT, Iceberg DML, DuckDB's own
// statements such as COPY, ATTACH, SET or PRAGMA) does not run. An
// unknown first word is taken for a query, for the parser to report.
func classifyStatement(sql string) (stmtType, subType string, runs bool) {
	toks := significant(tokenizeSQL(sql))
	i := 0
	for i < len(toks) && toks[i].is("(") {
		i++
	}
	if i == len(toks) || toks[i].kind != tokWord {
		return stmtDML, "SELECT", true
	}
	word := func(k int) string {
		if i+k < len(toks) && toks[i+k].kind == tokWord {
			return strings.ToUpper(toks[i+k].text)
		}
		return ""
	}
	ddl := func(sub string) (string, string, bool) { return stmtDDL, sub, ddlHandler(sub) != nil }
	switch kw := word(0); kw {
	case "SELECT", "WITH", "VALUES", "TABLE":
		return stmtDML, "SELECT", true
	case "EXPLAIN":
		return stmtUtility, "EXPLAIN", true
	case "DESCRIBE", "DESC":
		return ddl("DESCRIBE_TABLE")
	case "SHOW":
		sub := "SHOW_" + word(1)
		switch word(1) {
		case "SCHEMAS":
			sub = "SHOW_DATABASES"
		case "CREATE":
			sub = "SHOW_CREATE_" + word(2)
		}
		return ddl(sub)
	case "MSCK":
		return ddl("MSCK_REPAIR_TABLE")
	case "CREATE":
		k := 1
		if word(1) == "OR" && word(2) == "REPLACE" {
			k = 3
		}
		switch word(k) {
		case "EXTERNAL":
			return ddl("CREATE_TABLE")
		case "TABLE":
			for _, t := range toks[i:] {
				if t.kind == tokWord && strings.EqualFold(t.text, "AS") {
					return stmtDDL, "CREATE_TABLE_AS_SELECT", true
				}
			}
			return ddl("CREATE_TABLE")
		case "DATABASE", "SCHEMA":
			return ddl("CREATE_DATABASE")
		case "VIEW":
			return ddl("CREATE_VIEW")
		}
		return stmtDDL, "CREATE_" + word(k), false
	case "DROP":
		switch word(1) {
		case "TABLE":
			return ddl("DROP_TABLE")
		case "DATABASE", "SCHEMA":
			return ddl("DROP_DATABASE")
		case "VIEW":
			return ddl("DROP_VIEW")
		}
		return stmtDDL, "DROP_" + word(1), false
	case "ALTER":
		if word(1) == "TABLE" {
			return ddl("ALTER_TABLE")
		}
		return stmtDDL, "ALTER_" + word(1), false
	case "INSERT", "UPDATE", "DELETE", "MERGE", "UNLOAD", "UPSERT":
		return stmtDML, kw, false
	case "TRUNCATE", "COMMENT", "REPAIR", "VACUUM", "OPTIMIZE":
		return stmtDDL, kw, false
	case "ANALYZE", "ATTACH", "DETACH", "CALL", "CHECKPOINT", "FORCE", "COPY", "EXPORT", "IMPORT",
		"INSTALL", "LOAD", "PRAGMA", "SET", "RESET", "USE", "BEGIN", "START", "COMMIT",
		"ROLLBACK", "ABORT", "END", "PREPARE", "EXECUTE", "DEALLOCATE", "GRANT", "REVOKE", "REFRESH",
		"SUMMARIZE", "PIVOT", "UNPIVOT", "FROM":
		return stmtUtility, kw, false
	}
	return stmtDML, "SELECT", true
}

// ddlHandler is what runs a DDL statement of the given SubstatementType,
// or nil if the emulator does not run it.
func ddlHandler(sub string) func(*AthenaService, context.Context, *athenaExecution) (*athenaResult, error) {
	switch sub {
	case "CREATE_TABLE":
		return (*AthenaService).createExternalTable
	case "CREATE_DATABASE":
		return (*AthenaService).createDatabase
	case "DROP_DATABASE":
		return (*AthenaService).dropDatabase
	case "DROP_TABLE", "DROP_VIEW":
		return (*AthenaService).dropTable
	case "ALTER_TABLE":
		return (*AthenaService).alterTable
	case "MSCK_REPAIR_TABLE":
		return (*AthenaService).msckRepair
	case "CREATE_VIEW":
		return (*AthenaService).createView
	case "DESCRIBE_TABLE":
		return (*AthenaService).describe
	case "SHOW_TABLES", "SHOW_VIEWS", "SHOW_DATABASES", "SHOW_COLUMNS", "SHOW_PARTITIONS",
		"SHOW_CREATE_TABLE", "SHOW_CREATE_VIEW", "SHOW_TBLPROPERTIES":
		return (*AthenaService).show
	}
	return nil
}

// qualifiers returns the first parts of the qualified names (a.b, a.b.c)
// in the statement, in order, skipping an AwsDataCatalog catalog: the
// databases it may name, or table aliases.
func qualifiers(sql string) []string {
	toks := tokenizeSQL(sql)
	var out []string
	for i := 0; i < len(toks); i++ {
		n := toks[i].name()
		if n == "" || i+2 >= len(toks) || !toks[i+1].is(".") || toks[i+2].name() == "" {
			continue
		}
		if p := prevSignificant(toks, i); p >= 0 && toks[p].is(".") {
			continue
		}
		if strings.EqualFold(n, "AwsDataCatalog") {
			if i+4 < len(toks) && toks[i+3].is(".") && toks[i+4].name() != "" {
				out = append(out, toks[i+2].name())
			}
			continue
		}
		out = append(out, n)
	}
	return out
}

// rewriteSQL fixes a Trino statement's text for DuckDB's parser (see the
// top of this file), with ExecutionParameters params for its ?
// placeholders. The error is the query's fault and reads as Athena's
// would.
func rewriteSQL(sql string, params []string) (string, error) {
	toks := tokenizeSQL(sql)
	// One statement, with or without a final ";".
	end := len(toks)
	for p := prevSignificant(toks, end); p >= 0 && toks[p].is(";"); p = prevSignificant(toks, p) {
		end = p
	}
	toks = toks[:end]
	for _, t := range toks {
		if t.is(";") {
			return "", fmt.Errorf("Only one sql statement is allowed")
		}
	}
	rw := &sqlRewriter{params: params}
	out := rw.rewrite(toks)
	if rw.err != nil {
		return "", rw.err
	}
	if rw.used != len(params) {
		return "", fmt.Errorf("the query has %d parameter placeholders (?) but %d ExecutionParameters were given", rw.used, len(params))
	}
	return out, nil
}

type sqlRewriter struct {
	params []string
	used   int
	err    error
}

func (rw *sqlRewriter) rewrite(toks []sqlToken) string {
	var b strings.Builder
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		prev := prevSignificant(toks, i)
		qualified := prev >= 0 && toks[prev].is(".")
		if msg := duckDBOnly(toks, i); msg != "" && rw.err == nil {
			rw.err = fmt.Errorf("SYNTAX_ERROR: %s", msg)
		}
		switch {
		case t.is(")") && nullTreatment(toks, i) != "":
			// f(x) IGNORE NULLS OVER (...): DuckDB reads the treatment
			// inside the parentheses.
			if nullTreatment(toks, i) == "IGNORE" {
				b.WriteString(" IGNORE NULLS")
			}
			b.WriteString(t.text)
			i = nextSignificant(toks, nextSignificant(toks, i+1)+1)
			b.WriteString(" ")
			continue
		case t.is("?"):
			if rw.used >= len(rw.params) {
				if rw.err == nil {
					rw.err = fmt.Errorf("the query has more parameter placeholders (?) than the %d ExecutionParameters given", len(rw.params))
				}
				b.WriteString(t.text)
				continue
			}
			b.WriteString(rw.params[rw.used])
			rw.used++
			continue
		case !qualified && strings.EqualFold(t.name(), "AwsDataCatalog") && i+1 < len(toks) && toks[i+1].is("."):
			i++ // drop the catalog and its dot
			continue
		case t.kind == tokWord && groupQuantifier(toks, i):
			// ALL is Trino's default, as DuckDB's; DISTINCT drops duplicate
			// grouping sets, of which one has none.
			if strings.EqualFold(t.text, "DISTINCT") && groupingSetsAfter(toks, i) && rw.err == nil {
				rw.err = fmt.Errorf("NOT_SUPPORTED: GROUP BY DISTINCT with GROUPING SETS, CUBE or ROLLUP is not emulated (DuckDB keeps duplicate grouping sets): list each grouping set once")
			}
			continue
		case reservedQualifier(toks, i):
			b.WriteString(`"` + strings.ToLower(t.text) + `"`)
			continue
		case t.kind == tokWord && bareAlias(toks, i):
			// Trino folds the unquoted name to lower case.
			b.WriteString(`AS "` + strings.ToLower(t.text) + `"`)
			continue
		case t.kind == tokWord && !qualified && legacyType(toks, i) >= 0:
			// array<T> and map<K, V>: inside a type every < and > is a
			// bracket.
			close := legacyType(toks, i)
			typ := slices.Clone(toks[i : close+1])
			for k := range typ {
				switch {
				case typ[k].is("<"):
					typ[k] = sqlToken{kind: tokPunct, text: "("}
				case typ[k].is(">"):
					typ[k] = sqlToken{kind: tokPunct, text: ")"}
				}
			}
			b.WriteString(rw.rewrite(typ))
			i = close
			continue
		case t.kind == tokWord && !qualified && strings.EqualFold(t.text, "ARRAY"):
			// ARRAY(type) is a type; ARRAY[...] a value.
			open := nextSignificant(toks, i+1)
			if open == len(toks) || !toks[open].is("(") {
				break
			}
			close := matchParen(toks, open)
			if close < 0 {
				break
			}
			b.WriteString(rw.rewrite(toks[open+1:close]) + "[]")
			i = close
			continue
		case t.kind == tokWord && !qualified && strings.EqualFold(t.text, "IF"):
			// if(c, x): NULL when c is not true; DuckDB's IF wants three.
			open := nextSignificant(toks, i+1)
			if open == len(toks) || !toks[open].is("(") {
				break
			}
			close := matchParen(toks, open)
			if close < 0 {
				break
			}
			args := splitArgs(toks[open+1 : close])
			if len(args) != 2 {
				break
			}
			b.WriteString(t.text + "(" + rw.rewrite(args[0]) + ", " + rw.rewrite(args[1]) + ", NULL)")
			i = close
			continue
		case t.kind == tokWord && !qualified && strings.EqualFold(t.text, "VALUES"):
			// VALUES 1, 2: each row one expression, which DuckDB wants in
			// parentheses.
			first := nextSignificant(toks, i+1)
			if first == len(toks) || toks[first].is("(") {
				break
			}
			end := valuesEnd(toks, first)
			b.WriteString(t.text + " ")
			for k, row := range splitArgs(toks[first:end]) {
				if k > 0 {
					b.WriteString(", ")
				}
				b.WriteString("(" + rw.rewrite(row) + ")")
			}
			i = end - 1
			continue
		case t.kind == tokWord && !qualified && (strings.EqualFold(t.text, "timestamp") || strings.EqualFold(t.text, "time")):
			// timestamp(p): DuckDB's timestamps have no precision; the
			// bridge reads it back from the type's name.
			open := nextSignificant(toks, i+1)
			if open < len(toks) && toks[open].is("(") {
				if n := nextSignificant(toks, open+1); n < len(toks) && toks[n].kind == tokNumber {
					if close := nextSignificant(toks, n+1); close < len(toks) && toks[close].is(")") {
						if w := nextSignificant(toks, close+1); w < len(toks) && strings.EqualFold(toks[w].text, "WITH") {
							if toks[n].text != "3" && rw.err == nil {
								rw.err = fmt.Errorf("NOT_SUPPORTED: %s(%s) with time zone is not emulated: use %s with time zone", strings.ToLower(t.text), toks[n].text, strings.ToLower(t.text))
							}
							b.WriteString(t.text)
						} else {
							b.WriteString(`"__` + strings.ToLower(t.text) + "_" + toks[n].text + `"`)
						}
						i = close
						continue
					}
				}
			}
		}
		b.WriteString(t.text)
	}
	return b.String()
}

// nullTreatment is IGNORE or RESPECT if the ")" at toks[i] is followed by
// IGNORE NULLS or RESPECT NULLS and OVER, as Trino writes a window
// function's treatment of NULLs; "" otherwise.
func nullTreatment(toks []sqlToken, i int) string {
	w := nextSignificant(toks, i+1)
	n := nextSignificant(toks, w+1)
	o := nextSignificant(toks, n+1)
	if o >= len(toks) || !strings.EqualFold(toks[n].text, "NULLS") || !strings.EqualFold(toks[o].text, "OVER") {
		return ""
	}
	if word := strings.ToUpper(toks[w].text); word == "IGNORE" || word == "RESPECT" {
		return word
	}
	return ""
}

// aliasWords are words Trino takes for a bare alias (x day) that DuckDB's
// parser reads as keywords, and takes only after AS.
var aliasWords = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`year quarter month week day hour minute second time timestamp zone
		type data first last level start option rows range partition position filter window comment
		value name key close old new source version schema view user role session input location
		mode index label owner object language sequence action class family content
		percent text sample columns struct enum substring`) {
		aliasWords[w] = true
	}
}

// connectives are words after which an expression goes on, so a word that
// follows them is not an alias: Trino's reserved words, and the others
// that Trino's grammar has something follow.
var connectives = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`ALL ALTER AND ANY AS ASC AT BETWEEN BY CASE CAST CONSTRAINT CREATE CROSS
		CUBE CURRENT DEALLOCATE DELETE DESC DESCRIBE DISTINCT DOUBLE DROP ELSE ESCAPE EXCEPT EXECUTE EXISTS
		EXPLAIN EXTRACT FETCH FOR FORMAT FROM FULL GROUP GROUPING GROUPS HAVING IN INNER INSERT INTERSECT
		INTERVAL INTO IS JOIN JSON LATERAL LEFT LIKE LIMIT LISTAGG NATURAL NEXT NO NORMALIZE NOT NULLS OFFSET ON
		ONLY OR ORDER OUTER OVER PER PREPARE PRECEDING FOLLOWING RECURSIVE RETURNING RIGHT ROLLUP ROW SELECT
		SETS SKIP SOME TABLE TABLESAMPLE THEN TO TRIM TRY_CAST UESCAPE UNBOUNDED UNION UNNEST USING
		VALUES WHEN WHERE WITH WITHIN WITHOUT`) {
		connectives[w] = true
	}
}

// bareAlias says whether the word at toks[i] is a bare alias DuckDB would
// read as a keyword: an alias word after the end of an expression, before
// what ends a select item or a table (a comma, a ")", a clause, the end).
func bareAlias(toks []sqlToken, i int) bool {
	if !aliasWords[strings.ToLower(toks[i].text)] || !endsExpression(toks, prevSignificant(toks, i)) {
		return false
	}
	if n := nextSignificant(toks, i+1); n < len(toks) && !toks[n].is(",") && !toks[n].is(")") &&
		!(toks[n].kind == tokWord && slices.Contains(clauseWords, strings.ToUpper(toks[n].text))) {
		return false
	}
	// ROW(a timestamp, b time): a row type's field and its type.
	open := enclosingParen(toks, i)
	return open < 0 || !isWord(toks, prevSignificant(toks, open), "ROW")
}

// endsExpression says whether toks[p] can be the last token of an
// expression, such as a select item.
func endsExpression(toks []sqlToken, p int) bool {
	if p < 0 {
		return false
	}
	t := toks[p]
	switch {
	case t.kind == tokQuoted || t.is(")") || t.is("]"):
		return true
	case t.kind == tokString || t.kind == tokNumber || t.is("?"):
		// Not the value of INTERVAL '1' DAY, OFFSET 1 ROWS, FETCH
		// FIRST 1 ROWS: a unit or ROWS follows those.
		before := prevSignificant(toks, p)
		if before >= 0 && (toks[before].is("-") || toks[before].is("+")) {
			before = prevSignificant(toks, before)
		}
		return !slices.ContainsFunc([]string{"INTERVAL", "OFFSET", "FIRST", "NEXT"}, func(w string) bool { return isWord(toks, before, w) })
	case t.kind == tokWord:
		if q := prevSignificant(toks, p); q >= 0 && toks[q].is(".") {
			return true // a qualified name
		}
		return intervalUnit(toks, p) || !aliasWords[strings.ToLower(t.text)] && !connectives[strings.ToUpper(t.text)]
	}
	return false
}

// intervalUnit says whether toks[p] is the last unit of an interval
// literal: INTERVAL '1' DAY, INTERVAL '1-2' YEAR TO MONTH.
func intervalUnit(toks []sqlToken, p int) bool {
	if !slices.ContainsFunc([]string{"YEAR", "MONTH", "DAY", "HOUR", "MINUTE", "SECOND"}, func(w string) bool { return isWord(toks, p, w) }) {
		return false
	}
	v := prevSignificant(toks, p)
	if isWord(toks, v, "TO") {
		return intervalUnit(toks, prevSignificant(toks, v))
	}
	if v < 0 || toks[v].kind != tokString {
		return false
	}
	before := prevSignificant(toks, v)
	if before >= 0 && (toks[before].is("-") || toks[before].is("+")) {
		before = prevSignificant(toks, before)
	}
	return isWord(toks, before, "INTERVAL")
}

// isWord says whether toks[i] is the word w, in any case.
func isWord(toks []sqlToken, i int, w string) bool {
	return i >= 0 && i < len(toks) && toks[i].kind == tokWord && strings.EqualFold(toks[i].text, w)
}

// enclosingParen is the index of the innermost "(" open at toks[i], or -1.
func enclosingParen(toks []sqlToken, i int) int {
	depth := 0
	for j := i - 1; j >= 0; j-- {
		switch {
		case toks[j].is(")"):
			depth++
		case toks[j].is("("):
			if depth == 0 {
				return j
			}
			depth--
		}
	}
	return -1
}

// legacyType is the index of the ">" that closes a type array<T> or
// map<K, V> whose ARRAY or MAP is at toks[i], or -1: a type, after AS
// (CAST(x AS array<integer>)) or in a ROW, ARRAY or MAP type's parentheses.
func legacyType(toks []sqlToken, i int) int {
	if !isWord(toks, i, "ARRAY") && !isWord(toks, i, "MAP") {
		return -1
	}
	open := nextSignificant(toks, i+1)
	if open == len(toks) || !toks[open].is("<") {
		return -1
	}
	inType := isWord(toks, prevSignificant(toks, i), "AS")
	if e := enclosingParen(toks, i); e >= 0 {
		w := prevSignificant(toks, e)
		inType = inType || isWord(toks, w, "ROW") || isWord(toks, w, "ARRAY") || isWord(toks, w, "MAP")
	}
	if !inType {
		return -1
	}
	angles, parens := 0, 0
	for j := open; j < len(toks); j++ {
		switch t := toks[j]; {
		case t.is("<"):
			angles++
		case t.is(">"):
			if angles--; angles == 0 {
				return j
			}
		case t.is("("):
			parens++
		case t.is(")"):
			if parens--; parens < 0 {
				return -1
			}
		case t.kind == tokString || t.is(";"):
			return -1
		}
	}
	return -1
}

// listStarts are the words after which "[" starts a value, not a
// subscript.
var listStarts = map[string]bool{"SELECT": true, "WHERE": true, "AND": true, "OR": true, "NOT": true, "IN": true,
	"THEN": true, "ELSE": true, "WHEN": true, "CASE": true, "BY": true, "ON": true, "HAVING": true, "DISTINCT": true, "IS": true}

// clauseWords start the clauses a select list or an argument list ends at.
var clauseWords = []string{"FROM", "WHERE", "GROUP", "HAVING", "ORDER", "LIMIT", "OFFSET", "FETCH", "WINDOW", "UNION", "INTERSECT", "EXCEPT"}

// duckDBOnly names the DuckDB syntax that starts at toks[i], which Athena
// refuses and DuckDB would answer: "" for anything else.
func duckDBOnly(toks []sqlToken, i int) string {
	t := toks[i]
	next := func(k int) sqlToken { // the k-th significant token after i
		j := i
		for ; k > 0; k-- {
			if j = nextSignificant(toks, j+1); j >= len(toks) {
				return sqlToken{}
			}
		}
		return toks[j]
	}
	adjacent := i+1 < len(toks) && toks[i+1].kind == tokPunct
	switch {
	case t.is(":") && adjacent && toks[i+1].is(":"):
		return "x::type casts are DuckDB's, not Trino SQL: use CAST(x AS type)"
	case t.is("=") && adjacent && toks[i+1].is("="):
		return "== is not Trino SQL: use ="
	case t.is("["):
		p := prevSignificant(toks, i)
		if p < 0 || toks[p].kind == tokPunct && !toks[p].is(")") && !toks[p].is("]") || toks[p].kind == tokWord && listStarts[strings.ToUpper(toks[p].text)] {
			return "[a, b] list literals are DuckDB's, not Trino SQL: use ARRAY[a, b]"
		}
	case t.kind == tokWord && strings.EqualFold(t.text, "BY") && strings.EqualFold(next(1).text, "ALL"):
		p := prevSignificant(toks, i)
		after := next(2)
		if p >= 0 && strings.EqualFold(toks[p].text, "ORDER") ||
			after.text == "" || after.is(")") || after.kind == tokWord && slices.Contains([]string{"HAVING", "ORDER", "LIMIT", "OFFSET", "FETCH", "WINDOW", "UNION", "INTERSECT", "EXCEPT"}, strings.ToUpper(after.text)) {
			return "GROUP BY ALL and ORDER BY ALL are DuckDB's, not Trino SQL: name the columns"
		}
	case t.kind == tokWord && (strings.EqualFold(t.text, "IGNORE") || strings.EqualFold(t.text, "RESPECT")) && strings.EqualFold(next(1).text, "NULLS") && next(2).is(")"):
		return strings.ToUpper(t.text) + " NULLS inside a call's parentheses is DuckDB's, not Trino SQL: write f(x) " + strings.ToUpper(t.text) + " NULLS OVER (...)"
	case t.is("*") && slices.ContainsFunc([]string{"EXCLUDE", "REPLACE", "RENAME"}, func(w string) bool { return strings.EqualFold(next(1).text, w) && next(2).is("(") }):
		return "SELECT * " + strings.ToUpper(next(1).text) + " (...) is DuckDB's, not Trino SQL: name the columns"
	case t.is(",") && (next(1).text == "" || next(1).is(")") || next(1).kind == tokWord && slices.Contains(clauseWords, strings.ToUpper(next(1).text))):
		return "a trailing comma is DuckDB's, not Trino SQL"
	case t.is("$") && adjacent && toks[i+1].is("$"):
		return "$$...$$ strings are DuckDB's, not Trino SQL: use '...'"
	case t.is("#") && adjacent:
		return "#n column numbers are DuckDB's, not Trino SQL: name the column"
	case t.kind == tokWord && strings.EqualFold(t.text, "e") && i+1 < len(toks) && toks[i+1].kind == tokString:
		return "E'...' escape strings are DuckDB's, not Trino SQL: use U&'...' or the characters themselves"
	case t.kind == tokWord && slices.Contains([]string{"ANY", "SOME", "ALL"}, strings.ToUpper(t.text)) && next(1).is("("):
		// Trino compares with ANY/SOME/ALL only a subquery's rows.
		p := prevSignificant(toks, i)
		after := next(2)
		if p >= 0 && (toks[p].is("=") || toks[p].is("<") || toks[p].is(">")) &&
			!after.is("(") && !(after.kind == tokWord && slices.Contains([]string{"SELECT", "WITH", "VALUES", "TABLE"}, strings.ToUpper(after.text))) {
			return "x = " + strings.ToUpper(t.text) + "(array) is DuckDB's, not Trino SQL: use contains(array, x), any_match or all_match"
		}
	case t.is("~"):
		return "~ is DuckDB's regular expression match, not Trino SQL: use regexp_like(x, pattern)"
	case t.kind == tokWord && strings.EqualFold(t.text, "SIMILAR") && strings.EqualFold(next(1).text, "TO"):
		return "SIMILAR TO is not Trino SQL: use regexp_like(x, '^(pattern)$')"
	case t.kind == tokWord && strings.EqualFold(t.text, "ILIKE") && !next(1).is("(") && operandBefore(toks, i):
		return "ILIKE is DuckDB's, not Trino SQL: use lower(x) LIKE lower(pattern)"
	case t.is("*") && adjacent && toks[i+1].is("*"):
		return "** is not Trino SQL: use power(x, y)"
	case t.is("/") && adjacent && toks[i+1].is("/"):
		return "// is not Trino SQL: use / (integers divide to an integer) or floor(x / y)"
	case t.kind == tokWord && strings.EqualFold(t.text, "LIMIT") && offsetAfter(toks, i):
		return "LIMIT n OFFSET m is DuckDB's order, not Trino SQL: write OFFSET m LIMIT n"
	}
	return ""
}

// operandBefore says whether an infix operator at toks[i] has an operand
// before it (x ILIKE y, x NOT ILIKE y), rather than being a column's name.
func operandBefore(toks []sqlToken, i int) bool {
	p := prevSignificant(toks, i)
	if isWord(toks, p, "NOT") {
		p = prevSignificant(toks, p)
	}
	return endsExpression(toks, p) || p >= 0 && aliasWords[strings.ToLower(toks[p].text)]
}

// offsetAfter reports whether an OFFSET follows the LIMIT at i in the same
// query (Trino's grammar takes OFFSET before LIMIT only).
func offsetAfter(toks []sqlToken, i int) bool {
	depth := 0
	for j := i + 1; j < len(toks); j++ {
		switch t := toks[j]; {
		case t.is("(") || t.is("["):
			depth++
		case t.is(")") || t.is("]"):
			if depth == 0 {
				return false
			}
			depth--
		case t.is(";"):
			return false
		case depth == 0 && t.kind == tokWord && strings.EqualFold(t.text, "OFFSET"):
			return true
		}
	}
	return false
}

// valuesEnd is where the rows of a VALUES list that starts at i end: at a
// ")" it is inside, or a clause that follows it.
func valuesEnd(toks []sqlToken, i int) int {
	depth := 0
	for ; i < len(toks); i++ {
		t := toks[i]
		switch {
		case t.is("(") || t.is("["):
			depth++
		case t.is(")") || t.is("]"):
			if depth == 0 {
				return i
			}
			depth--
		case depth == 0 && t.kind == tokWord:
			switch strings.ToUpper(t.text) {
			case "ORDER", "LIMIT", "OFFSET", "FETCH", "UNION", "EXCEPT", "INTERSECT":
				return i
			}
		}
	}
	return i
}

// matchParen is the index of the ")" that closes the "(" at open, or -1.
func matchParen(toks []sqlToken, open int) int {
	depth := 0
	for i := open; i < len(toks); i++ {
		switch {
		case toks[i].is("("):
			depth++
		case toks[i].is(")"):
			if depth--; depth == 0 {
				return i
			}
		}
	}
	return -1
}

// splitArgs splits a call's argument tokens at its top-level commas. No
// tokens is no arguments.
func splitArgs(toks []sqlToken) [][]sqlToken {
	if nextSignificant(toks, 0) == len(toks) {
		return nil
	}
	var args [][]sqlToken
	depth, start := 0, 0
	for i, t := range toks {
		switch {
		case t.is("(") || t.is("[") || t.is("{"):
			depth++
		case t.is(")") || t.is("]") || t.is("}"):
			depth--
		case t.is(",") && depth == 0:
			args = append(args, toks[start:i])
			start = i + 1
		}
	}
	return append(args, toks[start:])
}

// stringLiteral returns the index of the token of an argument that is one
// string literal.
func stringLiteral(toks []sqlToken) (int, bool) {
	i := nextSignificant(toks, 0)
	if i == len(toks) || toks[i].kind != tokString || nextSignificant(toks, i+1) != len(toks) {
		return 0, false
	}
	return i, true
}

// mysqlFormat maps the MySQL-style specifiers of Trino's date_parse and
// date_format to DuckDB's strptime and strftime.
var mysqlFormat = map[byte]string{
	'a': "%a", 'b': "%b", 'c': "%-m", 'd': "%d", 'e': "%-d", 'f': "%f",
	'H': "%H", 'h': "%I", 'I': "%I", 'i': "%M", 'j': "%j", 'k': "%-H",
	'l': "%-I", 'M': "%B", 'm': "%m", 'p': "%p", 'r': "%I:%M:%S %p",
	'S': "%S", 's': "%S", 'T': "%H:%M:%S", 'W': "%A", 'w': "%w",
	'Y': "%Y", 'y': "%y", '%': "%%",
}

func mysqlToStrftime(f string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(f); i++ {
		if f[i] != '%' {
			b.WriteByte(f[i])
			continue
		}
		if i+1 == len(f) {
			return "", fmt.Errorf("format %q ends in a lone %%", f)
		}
		i++
		m, ok := mysqlFormat[f[i]]
		if !ok {
			return "", fmt.Errorf("format specifier %%%c is not supported by the emulated Athena", f[i])
		}
		b.WriteString(m)
	}
	return b.String(), nil
}
