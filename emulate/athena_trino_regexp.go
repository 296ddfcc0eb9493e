package emulate

// Trino's regular expression functions in DuckDB. Both find the leftmost
// match and go on after it, but where a pattern can match the empty
// string they part: Trino (Java's rule) takes an empty match right where
// the previous match ended, DuckDB (RE2's) skips it, so
// regexp_replace('abc', 'b*', '-') is '-a--c-' in Trino and '-a-c-' in
// DuckDB. A pattern that cannot match the empty string anywhere (read with
// Go's parser of the same RE2 syntax DuckDB uses) answers the same in
// both. For one that can, regexp_replace checks each value: it answers
// when Trino's count of matches (regexp_extract_all's, which takes empty
// matches as Java does) is DuckDB's count of replacements, and fails
// naming the difference otherwise; regexp_split is refused.

import (
	"fmt"
	"pipeline/catalog"
	"regexp"
	"regexp/syntax"
	"strings"
)

// regexpFacts is what the emulator knows of a pattern it can read.
type regexpFacts struct {
	known     bool // a literal that parses
	matchesEm bool // may match the empty string somewhere (true if not known)
	groups    int  // capturing groups
}

func patternFacts(v any) regexpFacts {
	p, ok := constantString(v)
	if !ok {
		return regexpFacts{matchesEm: true}
	}
	re, err := syntax.Parse(p, syntax.Perl)
	if err != nil {
		return regexpFacts{matchesEm: true}
	}
	return regexpFacts{known: true, matchesEm: canMatchEmpty(re), groups: re.MaxCap()}
}

// canMatchEmpty says whether re may match the empty string at some place
// (assertions such as ^, $ and \b taken as true).
func canMatchEmpty(re *syntax.Regexp) bool {
	switch re.Op {
	case syntax.OpNoMatch, syntax.OpCharClass, syntax.OpAnyCharNotNL, syntax.OpAnyChar:
		return false
	case syntax.OpLiteral:
		return len(re.Rune) == 0
	case syntax.OpCapture, syntax.OpPlus:
		return canMatchEmpty(re.Sub[0])
	case syntax.OpStar, syntax.OpQuest:
		return true
	case syntax.OpRepeat:
		return re.Min == 0 || canMatchEmpty(re.Sub[0])
	case syntax.OpConcat:
		for _, s := range re.Sub {
			if !canMatchEmpty(s) {
				return false
			}
		}
		return true
	case syntax.OpAlternate:
		for _, s := range re.Sub {
			if canMatchEmpty(s) {
				return true
			}
		}
		return false
	}
	return true // empty match, assertions
}

// regexpReplaceBridge is Trino's regexp_replace: every match replaced
// (DuckDB's replaces the first unless told 'g'), $1 for a group (DuckDB's
// \1). A replacement that is not a literal is refused: its $ cannot be
// translated.
func regexpReplaceBridge(q *trinoQuery, n astNode, args []any) (any, error) {
	switch len(args) {
	case 2:
		return q.fill("regexp_replace(__1, __2, '', 'g')", args, n) // an empty replacement answers the same for empty matches
	case 3:
	default:
		return nil, &errSQL{fmt.Sprintf("NOT_SUPPORTED: regexp_replace with %d arguments is not emulated", len(args))}
	}
	r, ok := constantString(args[2])
	if !ok {
		return nil, &errSQL{"NOT_SUPPORTED: regexp_replace's replacement must be a string literal in the emulated Athena"}
	}
	facts := patternFacts(args[1])
	var b strings.Builder
	literal := false // text other than groups: an empty match's replacement is not empty
	for i := 0; i < len(r); i++ {
		switch c := r[i]; {
		case c == '\\' && i+1 < len(r):
			i++
			if r[i] == '\\' {
				b.WriteString(`\\`)
			} else {
				b.WriteByte(r[i])
			}
			literal = true
		case c == '$' && i+1 < len(r) && r[i+1] >= '0' && r[i+1] <= '9':
			g := int(r[i+1] - '0')
			if facts.known && g > facts.groups {
				return q.fill("CASE WHEN regexp_matches(__1, __2) THEN error("+catalog.QuoteLiteral(fmt.Sprintf("INVALID_FUNCTION_ARGUMENT: Illegal replacement sequence: unknown group %d", g))+") ELSE __1 END", args[:2], n)
			}
			if i+2 < len(r) && r[i+2] >= '0' && r[i+2] <= '9' && (!facts.known || facts.groups >= 10) {
				return nil, &errSQL{"NOT_SUPPORTED: regexp_replace: group numbers above 9 ($10) are not emulated"}
			}
			b.WriteByte('\\')
			b.WriteByte(r[i+1])
			i++
		case c == '$' && i+1 < len(r) && r[i+1] == '{':
			return nil, &errSQL{"NOT_SUPPORTED: regexp_replace: named groups (${name}) are not emulated"}
		case c == '$' || c == '\\':
			return q.fill("CASE WHEN regexp_matches(__1, __2) THEN error("+catalog.QuoteLiteral("INVALID_FUNCTION_ARGUMENT: Illegal replacement sequence: "+r)+") ELSE __1 END", args[:2], n)
		default:
			b.WriteByte(c)
			literal = true
		}
	}
	replace := "regexp_replace(__1, __2, " + catalog.QuoteLiteral(b.String()) + ", 'g')"
	if !literal || !facts.matchesEm {
		return q.fill(replace, args[:2], n)
	}
	// Trino's matches, counted as Java finds them, against DuckDB's
	// replacements: \0 puts each match back, with one character more.
	return q.fill("CASE WHEN len(regexp_extract_all(__1, __2)) <> length(regexp_replace(__1, __2, '\\0.', 'g')) - length(__1) THEN error("+
		catalog.QuoteLiteral("NOT_SUPPORTED: regexp_replace where the pattern matches an empty string right after another match is not emulated (Athena replaces that empty match too, DuckDB skips it): make the pattern match at least one character")+
		") ELSE "+replace+" END", args[:2], n)
}

// regexpSplitBridge is Trino's regexp_split: the pieces between the
// matches. A pattern that may match the empty string is refused (see the
// top of this file).
func regexpSplitBridge(q *trinoQuery, n astNode, args []any) (any, error) {
	if len(args) != 2 {
		return nil, &errSQL{"FUNCTION_NOT_FOUND: regexp_split takes a string and a pattern"}
	}
	facts := patternFacts(args[1])
	_, literal := constantString(args[1])
	switch {
	case !literal:
		return nil, &errSQL{"NOT_SUPPORTED: regexp_split's pattern must be a string literal in the emulated Athena"}
	case !facts.known:
		// A literal RE2 cannot read: DuckDB's refusal names what it lacks.
	case facts.matchesEm:
		return nil, &errSQL{"NOT_SUPPORTED: regexp_split with a pattern that can match an empty string is not emulated (Athena splits at every empty match, DuckDB does not): make the pattern match at least one character"}
	}
	return q.fill("regexp_split_to_array(__1, __2)", args, n)
}

// javaWhitespace is the characters Java's Character.isWhitespace holds,
// which Trino's trim, ltrim and rtrim remove (DuckDB's remove spaces).
const javaWhitespace = "chr(9) || chr(10) || chr(11) || chr(12) || chr(13) || chr(28) || chr(29) || chr(30) || chr(31) || ' ' || chr(5760) || " +
	"chr(8192) || chr(8193) || chr(8194) || chr(8195) || chr(8196) || chr(8197) || chr(8198) || chr(8200) || chr(8201) || chr(8202) || " +
	"chr(8232) || chr(8233) || chr(8287) || chr(12288)"

// trimBridge is trim, ltrim or rtrim: of whitespace as Java has it, or of
// the characters given.
func trimBridge(fn string) fnRule {
	return tmpl(map[int]string{1: fn + "(__1, " + javaWhitespace + ")", 2: fn + "(__1, __2)"})
}

// re2Refusal is DuckDB's message for a pattern RE2 cannot compile.
var re2Refusal = regexp.MustCompile(`^(?:Invalid Input Error: )?(invalid perl operator|invalid escape sequence|bad repetition operator|invalid character class range): (\S+)`)

// regexpMismatch words RE2's refusal of a pattern that uses what Java's
// syntax (Trino's) has and RE2's lacks, or returns "".
func regexpMismatch(msg string) string {
	m := re2Refusal.FindStringSubmatch(msg)
	if m == nil {
		return ""
	}
	kind, at := m[1], m[2]
	var what string
	switch {
	case at == "(?=" || at == "(?!":
		what = "lookahead " + at + "...)"
	case at == "(?<":
		what = "lookbehind (?<=...) or (?<!...), or a named group (?<name>...) (RE2 names one (?P<name>...))"
	case at == "(?>":
		what = "an atomic group (?>...)"
	case at == "(?x" || at == "(?u" || at == "(?d":
		what = "the flag " + at + ")"
	case kind == "invalid escape sequence" && len(at) == 2 && '1' <= at[1] && at[1] <= '9':
		what = "a back-reference " + at
	case kind == "invalid escape sequence" && at == `\k`:
		what = `a named back-reference \k<name>`
	case kind == "invalid escape sequence" && len(at) == 2 && strings.IndexByte("cehuGHNRVXZ", at[1]) >= 0:
		what = "the escape " + at
	case kind == "bad repetition operator" && len(at) >= 2 && strings.HasSuffix(at, "+"):
		what = "a possessive quantifier " + at
	case kind == "invalid character class range" && strings.HasPrefix(at, `\p{`):
		what = "the character class " + at
	default:
		return ""
	}
	return "NOT_SUPPORTED: " + what + " in a regular expression: Trino's regular expressions (Java's syntax) have it, the emulator's (RE2, DuckDB's) do not"
}
