package emulate

// ListTableMetadata: pages of up to MaxResults (1-50, default 50) tables of
// a database, sorted by name, each as GetTableMetadata describes it
// (without LastAccessTime, as Athena lists them).
//
// Differences from Athena: Expression is read as the emulated Glue's
// GetTables reads it (see tableNamePattern): alternatives split at |, *
// any run of characters, the rest a regular expression, matched against
// the whole name regardless of case; Athena documents only "a regex
// filter that pattern-matches table names". A database that does not
// exist is a MetadataException, as in GetTableMetadata.

import (
	"context"
	"fmt"
)

type listTableMetadataInput struct {
	CatalogName  string  `json:"CatalogName"`
	DatabaseName string  `json:"DatabaseName"`
	Expression   *string `json:"Expression"`
	NextToken    *string `json:"NextToken"`
	MaxResults   *int32  `json:"MaxResults"`
	WorkGroup    *string `json:"WorkGroup"`
}

type listTableMetadataOutput struct {
	TableMetadataList []athenaTableMetadata `json:"TableMetadataList"`
	NextToken         *string               `json:"NextToken,omitempty"`
}

func (a *AthenaService) listTableMetadata(ctx context.Context, in *listTableMetadataInput) (*listTableMetadataOutput, error) {
	if err := checkDataCatalog("CatalogName", in.CatalogName); err != nil {
		return nil, err
	}
	if in.DatabaseName == "" {
		return nil, errInvalidRequest("DatabaseName is required")
	}
	n, err := athenaPageSize(in.MaxResults, 50)
	if err != nil {
		return nil, err
	}
	after, err := parsePageToken(in.NextToken)
	if err != nil {
		return nil, errInvalidRequest("NextToken is not one ListTableMetadata returned")
	}
	match, err := tableNamePattern(deref(in.Expression))
	if err != nil {
		return nil, errInvalidRequest(err.Error())
	}
	if _, err := a.d.GetDatabase(ctx, in.DatabaseName); err != nil {
		return nil, metadataError(err, fmt.Sprintf("Database %s not found.", in.DatabaseName))
	}
	tables, err := a.d.ListTables(ctx, in.DatabaseName)
	if err != nil {
		return nil, metadataError(err, fmt.Sprintf("Database %s not found.", in.DatabaseName))
	}
	out := &listTableMetadataOutput{TableMetadataList: []athenaTableMetadata{}}
	for _, t := range tables { // sorted by name
		if (after != "" && t.Name <= after) || !matchesName(match, t.Name) {
			continue
		}
		if len(out.TableMetadataList) == n {
			out.NextToken = pageToken(out.TableMetadataList[n-1].Name)
			break
		}
		out.TableMetadataList = append(out.TableMetadataList, tableMetadata(t))
	}
	return out, nil
}
