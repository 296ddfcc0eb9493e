package emulate

// GetDatabases: pages of up to MaxResults (1-100, default 100) databases,
// sorted by name: every database of the catalog, whoever created it.
//
// Differences from Glue:
//   - ResourceShareType and AttributesToGet are ignored.

import "context"

type getDatabasesInput struct {
	NextToken  *string `json:"NextToken"`
	MaxResults *int32  `json:"MaxResults"`
}

type getDatabasesOutput struct {
	DatabaseList []glueDatabase `json:"DatabaseList"`
	NextToken    *string        `json:"NextToken,omitempty"`
}

func (g *GlueService) getDatabases(ctx context.Context, in *getDatabasesInput) (*getDatabasesOutput, error) {
	n, err := pageSize(in.MaxResults, 100, 100)
	if err != nil {
		return nil, err
	}
	after, err := parsePageToken(in.NextToken)
	if err != nil {
		return nil, err
	}
	dbs, err := g.d.ListDatabases(ctx)
	if err != nil {
		return nil, catalogError(err, "")
	}
	out := &getDatabasesOutput{DatabaseList: []glueDatabase{}}
	for i := range dbs { // sorted by name
		if after != "" && dbs[i].Name <= after {
			continue
		}
		if len(out.DatabaseList) == n {
			out.NextToken = pageToken(out.DatabaseList[n-1].Name)
			break
		}
		out.DatabaseList = append(out.DatabaseList, databaseToGlue(&dbs[i]))
	}
	return out, nil
}
