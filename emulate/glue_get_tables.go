package emulate

// GetTables: pages of up to MaxResults (1-100, default 100) tables, sorted
// by name.
//
// Differences from Glue:
//   - Expression is read as the Hive metastore reads a pattern (Glue
//     documents only "a regular expression pattern"): alternatives split
//     at |, each a regular expression (Go's syntax) where * is any run of
//     characters, matched case-insensitively against the whole name.
//   - Tables are as GetTable returns them, without VersionId; AttributesToGet,
//     IncludeStatusDetails, TransactionId and QueryAsOfTime are ignored.

import (
	"context"
	"fmt"
	"regexp"
	"strings"
)

type getTablesInput struct {
	DatabaseName string  `json:"DatabaseName"`
	Expression   *string `json:"Expression"`
	NextToken    *string `json:"NextToken"`
	MaxResults   *int32  `json:"MaxResults"`
}

type getTablesOutput struct {
	TableList []glueTable `json:"TableList"`
	NextToken *string     `json:"NextToken,omitempty"`
}

func (g *GlueService) getTables(ctx context.Context, in *getTablesInput) (*getTablesOutput, error) {
	if err := requireName("DatabaseName", in.DatabaseName); err != nil {
		return nil, err
	}
	n, err := pageSize(in.MaxResults, 100, 100)
	if err != nil {
		return nil, err
	}
	after, err := parsePageToken(in.NextToken)
	if err != nil {
		return nil, err
	}
	match, err := tableNamePattern(deref(in.Expression))
	if err != nil {
		return nil, errInvalidInput(err.Error())
	}
	tables, err := g.d.ListTables(ctx, in.DatabaseName)
	if err != nil {
		return nil, catalogError(err, fmt.Sprintf("Database %s not found", in.DatabaseName))
	}
	out := &getTablesOutput{TableList: []glueTable{}}
	for _, t := range tables { // sorted by name
		if (after != "" && t.Name <= after) || !matchesName(match, t.Name) {
			continue
		}
		if len(out.TableList) == n {
			out.NextToken = pageToken(out.TableList[n-1].Name)
			break
		}
		out.TableList = append(out.TableList, tableToGlue(t, 0))
	}
	return out, nil
}

// tableNamePattern compiles a table name pattern as the Hive metastore
// reads one: alternatives split at |, each a regular expression where * is
// any run of characters, matched case-insensitively against the whole
// name. A blank expression is nil, which matches every name (see
// matchesName).
func tableNamePattern(expr string) (*regexp.Regexp, error) {
	if strings.TrimSpace(expr) == "" {
		return nil, nil
	}
	var alts []string
	for _, alt := range strings.Split(strings.TrimSpace(expr), "|") {
		alts = append(alts, strings.ReplaceAll(alt, "*", ".*"))
	}
	re, err := regexp.Compile(`(?i)^(?:` + strings.Join(alts, "|") + `)$`)
	if err != nil {
		return nil, fmt.Errorf("Expression %q is not a pattern (alternatives split at |, * any characters, else a regular expression): %v", expr, err)
	}
	return re, nil
}

// matchesName says whether name matches a tableNamePattern (nil: any).
func matchesName(re *regexp.Regexp, name string) bool {
	return re == nil || re.MatchString(name)
}
