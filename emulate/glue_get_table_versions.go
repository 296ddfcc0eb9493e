package emulate

// GetTableVersions: pages of up to MaxResults (1-100, default 100) of the
// table's definitions, newest first, each with its VersionId (1 for the
// first definition, counting up with each change).
//
// Differences from Glue:
//   - The catalog keeps the current definition and the 20 before it; older
//     ones are gone. Putting the same definition again (a crawl that found
//     nothing new) is no new version.
//   - A version is made by every change of the table's definition, however
//     it was made (the Glue API, Athena DDL, or the local crawler writing
//     the catalog), but an UpdateTable with SkipArchive.

import (
	"context"
	"strconv"
)

type getTableVersionsInput struct {
	DatabaseName string  `json:"DatabaseName"`
	TableName    string  `json:"TableName"`
	NextToken    *string `json:"NextToken"`
	MaxResults   *int32  `json:"MaxResults"`
}

type glueTableVersion struct {
	Table     glueTable `json:"Table"`
	VersionId string    `json:"VersionId"`
}

type getTableVersionsOutput struct {
	TableVersions []glueTableVersion `json:"TableVersions"`
	NextToken     *string            `json:"NextToken,omitempty"`
}

func (g *GlueService) getTableVersions(ctx context.Context, in *getTableVersionsInput) (*getTableVersionsOutput, error) {
	if err := requireName("DatabaseName", in.DatabaseName); err != nil {
		return nil, err
	}
	if err := requireName("TableName", in.TableName); err != nil {
		return nil, err
	}
	n, err := pageSize(in.MaxResults, 100, 100)
	if err != nil {
		return nil, err
	}
	tok, err := parsePageToken(in.NextToken)
	if err != nil {
		return nil, err
	}
	before := 0 // versions below this one; 0 for the first page
	if tok != "" {
		if before, err = strconv.Atoi(tok); err != nil {
			return nil, errInvalidInput("NextToken is not one this service returned")
		}
	}
	versions, err := g.d.TableVersions(ctx, in.DatabaseName, in.TableName)
	if err != nil {
		return nil, g.tableError(ctx, err, in.DatabaseName, in.TableName)
	}
	out := &getTableVersionsOutput{TableVersions: []glueTableVersion{}}
	for _, v := range versions { // newest first
		if before > 0 && v.Version >= before {
			continue
		}
		if len(out.TableVersions) == n {
			out.NextToken = pageToken(out.TableVersions[n-1].VersionId)
			break
		}
		out.TableVersions = append(out.TableVersions, glueTableVersion{Table: tableToGlue(v.Table, v.Version), VersionId: strconv.Itoa(v.Version)})
	}
	return out, nil
}
