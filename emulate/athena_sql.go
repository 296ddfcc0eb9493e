package emulate

// The Trino (Athena engine 3) SQL that the emulated Athena takes and DuckDB
// does not, bridged by a small token-level rewrite. Nothing inside a string
// literal, a quoted identifier or a comment is rewritten. The bridges:
//
//	AwsDataCatalog.db.table             db.table (any case, quoted or not)
//	approx_distinct(x[, e])             approx_count_distinct(x) (e, the standard error, is dropped)
//	date_parse(s, 'fmt')                strptime(s, 'fmt'), the MySQL-style format mapped
//	date_format(t, 'fmt')               strftime(t, 'fmt'), likewise
//	from_iso8601_timestamp(s)           CAST(s AS TIMESTAMPTZ)
//	from_iso8601_date(s)                CAST(s AS DATE)
//	from_unixtime(x)                    to_timestamp(x)
//	to_unixtime(t)                      epoch(t)
//	?                                   the next of ExecutionParameters, as given
//
// "db"."table" and other double-quoted identifiers need no bridge: DuckDB
// reads them as Trino does. A format is mapped only when it is one string
// literal; %D, %U, %u, %V, %v, %X, %x and other specifiers strptime has no
// equivalent for fail the query. Everything else goes to DuckDB as written,
// so Trino functions DuckDB lacks fail there, with DuckDB's message.

import (
	"fmt"
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
func tokenizeSQL(s string) []sqlToken {
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
// a statement, and whether the emulator runs it. It runs what only reads:
// queries (SELECT, WITH, VALUES, TABLE, and DuckDB's FROM, PIVOT,
// SUMMARIZE), EXPLAIN, SHOW and DESCRIBE. A statement that writes or
// changes anything (DDL, DML, and DuckDB's COPY, ATTACH, SET, PRAGMA,
// INSTALL, ...) does not run. An unknown first word is left to DuckDB's
// parser to report.
func classifyStatement(sql string) (stmtType, subType string, runs bool) {
	toks := tokenizeSQL(sql)
	i := nextSignificant(toks, 0)
	for i < len(toks) && toks[i].is("(") {
		i = nextSignificant(toks, i+1)
	}
	if i == len(toks) || toks[i].kind != tokWord {
		return stmtDML, "SELECT", true // DuckDB says what is wrong with it
	}
	kw := strings.ToUpper(toks[i].text)
	switch kw {
	case "EXPLAIN":
		return stmtUtility, "EXPLAIN", true
	case "SHOW", "DESCRIBE", "DESC":
		return stmtUtility, "DESCRIBE", true
	case "INSERT", "UPDATE", "DELETE", "MERGE", "UNLOAD", "UPSERT":
		return stmtDML, kw, false
	case "CREATE", "DROP", "ALTER", "MSCK", "TRUNCATE", "COMMENT", "REPAIR":
		sub := kw + "_TABLE"
		if j := nextSignificant(toks, i+1); kw == "CREATE" && j < len(toks) && strings.EqualFold(toks[j].text, "TABLE") {
			for _, t := range toks[j:] {
				if t.kind == tokWord && strings.EqualFold(t.text, "AS") {
					sub = "CREATE_TABLE_AS_SELECT"
					break
				}
			}
		}
		return stmtDDL, sub, false
	case "ANALYZE", "ATTACH", "DETACH", "CALL", "CHECKPOINT", "FORCE", "COPY", "EXPORT", "IMPORT",
		"INSTALL", "LOAD", "PRAGMA", "SET", "RESET", "USE", "VACUUM", "BEGIN", "START", "COMMIT",
		"ROLLBACK", "ABORT", "END", "PREPARE", "EXECUTE", "DEALLOCATE", "GRANT", "REVOKE", "REFRESH":
		return stmtUtility, kw, false
	}
	return stmtDML, "SELECT", true
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

// rewriteSQL bridges a Trino statement to DuckDB (see the top of this
// file), with ExecutionParameters params for its ? placeholders. The error
// is the query's fault and reads as Athena's would.
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
		switch {
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
		case t.kind == tokWord && !qualified:
			if _, ok := bridges[strings.ToLower(t.text)]; !ok {
				break
			}
			open := nextSignificant(toks, i+1)
			if open == len(toks) || !toks[open].is("(") {
				break
			}
			close := matchParen(toks, open)
			if close < 0 {
				break
			}
			args := splitArgs(toks[open+1 : close])
			texts := make([]string, len(args))
			for k, a := range args {
				texts[k] = rw.rewrite(a)
			}
			s, err := bridges[strings.ToLower(t.text)](texts, args)
			if err != nil && rw.err == nil {
				rw.err = err
			}
			if s == "" { // not bridged (wrong arity): the call as written, arguments rewritten
				s = t.text + "(" + strings.Join(texts, ",") + ")"
			}
			b.WriteString(s)
			i = close
			continue
		}
		b.WriteString(t.text)
	}
	return b.String()
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

// A bridge writes the DuckDB call for a Trino one from its rewritten
// arguments (texts) and their tokens; "" leaves the call as it is.
type bridge func(texts []string, args [][]sqlToken) (string, error)

var bridges = map[string]bridge{
	"approx_distinct": func(a []string, _ [][]sqlToken) (string, error) {
		if len(a) != 1 && len(a) != 2 {
			return "", nil
		}
		return "approx_count_distinct(" + a[0] + ")", nil
	},
	"date_parse":             formatBridge("date_parse", "strptime"),
	"date_format":            formatBridge("date_format", "strftime"),
	"from_iso8601_timestamp": castBridge("TIMESTAMPTZ"),
	"from_iso8601_date":      castBridge("DATE"),
	"from_unixtime":          renameBridge("to_timestamp"),
	"to_unixtime":            renameBridge("epoch"),
}

func castBridge(typ string) bridge {
	return func(a []string, _ [][]sqlToken) (string, error) {
		if len(a) != 1 {
			return "", nil
		}
		return "CAST(" + a[0] + " AS " + typ + ")", nil
	}
}

func renameBridge(to string) bridge {
	return func(a []string, _ [][]sqlToken) (string, error) {
		if len(a) != 1 {
			return "", nil
		}
		return to + "(" + a[0] + ")", nil
	}
}

// formatBridge maps fn(x, 'mysql format') to to(x, 'strftime format').
func formatBridge(fn, to string) bridge {
	return func(a []string, args [][]sqlToken) (string, error) {
		if len(a) != 2 {
			return "", nil
		}
		f := a[1]
		if i, ok := stringLiteral(args[1]); ok {
			m, err := mysqlToStrftime(unquote(args[1][i].text, '\''))
			if err != nil {
				return "", fmt.Errorf("%s: %w", fn, err)
			}
			var b strings.Builder
			for j, t := range args[1] {
				if j == i {
					b.WriteString(catalog.QuoteLiteral(m))
				} else {
					b.WriteString(t.text)
				}
			}
			f = b.String()
		}
		return to + "(" + a[0] + "," + f + ")", nil
	}
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
