package emulate

// A group that took no part in a match (regexp_extract('b', '(a)|b', 1))
// is NULL in Trino; DuckDB's regexp_extract gives an empty string for it,
// as for a group that matched the empty string, but its
// regexp_extract_all gives NULL, as Trino's does. The first match is the
// same for both, so where a group may take no part in a match (it is
// inside an alternation or under ?, * or {0,n}, or the pattern is not a
// literal), regexp_extract is the first element of regexp_extract_all.

import (
	"fmt"
	"regexp/syntax"
	"strconv"
)

// groupAlwaysTakesPart says whether group g of a literal pattern takes
// part in every match of it; false where the pattern or group is not a
// literal the emulator reads.
func groupAlwaysTakesPart(pattern, group any) bool {
	p, ok := constantString(pattern)
	if c, isNode := group.(astNode); !ok || !isNode || class(c) != "CONSTANT" {
		return false
	}
	g, err := strconv.Atoi(fmt.Sprint(at(group, "value", "value")))
	if err != nil {
		return false
	}
	re, err := syntax.Parse(p, syntax.Perl)
	if err != nil || g < 0 || g > re.MaxCap() {
		return false
	}
	var optional func(re *syntax.Regexp, opt bool) (found, optional bool)
	optional = func(re *syntax.Regexp, opt bool) (bool, bool) {
		if re.Op == syntax.OpCapture && re.Cap == g {
			return true, opt
		}
		switch re.Op {
		case syntax.OpStar, syntax.OpQuest:
			opt = true
		case syntax.OpRepeat:
			opt = opt || re.Min == 0
		case syntax.OpAlternate:
			opt = opt || len(re.Sub) > 1
		}
		for _, s := range re.Sub {
			if found, o := optional(s, opt); found {
				return true, o
			}
		}
		return false, false
	}
	found, opt := optional(re, false)
	return g == 0 || found && !opt
}

// regexpExtractBridge is Trino's regexp_extract: NULL where the pattern
// does not match, and where the group took no part in the match. The
// group is a bigint, as Trino's.
func regexpExtractBridge(q *trinoQuery, n astNode, args []any) (any, error) {
	switch {
	case len(args) == 2:
		return q.fill("CASE WHEN regexp_matches(__1, __2) THEN regexp_extract(__1, __2) END", args, n)
	case len(args) != 3:
		return nil, &errSQL{fmt.Sprintf("FUNCTION_NOT_FOUND: Unexpected parameters (%d arguments) for function regexp_extract", len(args))}
	}
	always := groupAlwaysTakesPart(args[1], args[2])
	args, err := q.markBigints("regexp_extract", args, 2)
	if err != nil {
		return nil, err
	}
	if always {
		return q.fill("CASE WHEN regexp_matches(__1, __2) THEN regexp_extract(__1, __2, CAST(__3 AS INTEGER)) END", args, n)
	}
	return q.fill("list_extract(regexp_extract_all(__1, __2, CAST(__3 AS INTEGER)), 1)", args, n)
}
