package emulate

// GetDatabases: pages of up to MaxResults (1-100, default 100) databases,
// sorted by name.
//
// Differences from Glue:
//   - If the catalog driver cannot list databases (it has no
//     ListDatabases(ctx) ([]string, error) method; catalog.FileCatalog has
//     none), the list is the databases this service has seen that still
//     exist: catalog.Database and those named in requests to it (created,
//     read, or holding a table). A database created by another process and
//     never named here is missing.
//   - ResourceShareType and AttributesToGet are ignored.

import (
	"context"
	"slices"
)

type getDatabasesInput struct {
	NextToken  *string `json:"NextToken"`
	MaxResults *int32  `json:"MaxResults"`
}

type getDatabasesOutput struct {
	DatabaseList []glueDatabase `json:"DatabaseList"`
	NextToken    *string        `json:"NextToken,omitempty"`
}

// databaseLister is the optional driver method GetDatabases uses.
type databaseLister interface {
	ListDatabases(ctx context.Context) ([]string, error)
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
	var names []string
	if l, ok := g.d.(databaseLister); ok {
		if names, err = l.ListDatabases(ctx); err != nil {
			return nil, catalogError(err, "")
		}
	} else {
		g.mu.Lock()
		for db := range g.knownDBs {
			names = append(names, db)
		}
		g.mu.Unlock()
		names = slices.DeleteFunc(names, func(db string) bool { return !g.databaseExists(ctx, db) })
	}
	slices.Sort(names)
	out := &getDatabasesOutput{DatabaseList: []glueDatabase{}}
	for _, db := range names {
		if after != "" && db <= after {
			continue
		}
		if len(out.DatabaseList) == n {
			out.NextToken = pageToken(out.DatabaseList[n-1].Name)
			break
		}
		out.DatabaseList = append(out.DatabaseList, glueDatabase{Name: db, CatalogId: glueCatalogID})
	}
	return out, nil
}
