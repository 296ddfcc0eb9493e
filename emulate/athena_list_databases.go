package emulate

// ListDatabases: pages of up to MaxResults (1-50, default 50) databases of
// the emulated Glue's catalog, sorted by name.
//
// Differences from Athena: see GetDatabase.

import (
	"context"
	"fmt"
)

type listAthenaDatabasesInput struct {
	CatalogName string  `json:"CatalogName"`
	NextToken   *string `json:"NextToken"`
	MaxResults  *int32  `json:"MaxResults"`
	WorkGroup   *string `json:"WorkGroup"`
}

type listAthenaDatabasesOutput struct {
	DatabaseList []athenaDatabase `json:"DatabaseList"`
	NextToken    *string          `json:"NextToken,omitempty"`
}

func (a *AthenaService) listDatabases(ctx context.Context, in *listAthenaDatabasesInput) (*listAthenaDatabasesOutput, error) {
	if err := checkDataCatalog("CatalogName", in.CatalogName); err != nil {
		return nil, err
	}
	n, err := athenaPageSize(in.MaxResults, 50)
	if err != nil {
		return nil, err
	}
	after, err := parsePageToken(in.NextToken)
	if err != nil {
		return nil, errInvalidRequest("NextToken is not one ListDatabases returned")
	}
	dbs, err := a.d.ListDatabases(ctx)
	if err != nil {
		return nil, metadataError(err, "")
	}
	out := &listAthenaDatabasesOutput{DatabaseList: []athenaDatabase{}}
	for i := range dbs { // sorted by name
		if after != "" && dbs[i].Name <= after {
			continue
		}
		if len(out.DatabaseList) == n {
			out.NextToken = pageToken(out.DatabaseList[n-1].Name)
			break
		}
		out.DatabaseList = append(out.DatabaseList, databaseToAthena(&dbs[i]))
	}
	return out, nil
}

// athenaPageSize is MaxResults checked against 1..limit, or limit if unset.
func athenaPageSize(max *int32, limit int) (int, error) {
	if max == nil {
		return limit, nil
	}
	if *max < 1 || int(*max) > limit {
		return 0, errInvalidRequest(fmt.Sprintf("MaxResults %d is not between 1 and %d", *max, limit))
	}
	return int(*max), nil
}
