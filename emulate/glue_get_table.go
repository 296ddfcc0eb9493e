package emulate

// GetTable
//
// Differences from Glue:
//   - The table has no Owner, CreatedBy or LastAccessTime; UpdateTime is
//     the last change of its definition, however it was made.
//   - TransactionId, QueryAsOfTime and the other view and audit members
//     are ignored.

import "context"

type getTableInput struct {
	DatabaseName string `json:"DatabaseName"`
	Name         string `json:"Name"`
}

type getTableOutput struct {
	Table glueTable `json:"Table"`
}

func (g *GlueService) getTable(ctx context.Context, in *getTableInput) (*getTableOutput, error) {
	if err := requireName("DatabaseName", in.DatabaseName); err != nil {
		return nil, err
	}
	if err := requireName("Name", in.Name); err != nil {
		return nil, err
	}
	versions, err := g.d.TableVersions(ctx, in.DatabaseName, in.Name) // the current one first
	if err != nil {
		return nil, g.tableError(ctx, err, in.DatabaseName, in.Name)
	}
	return &getTableOutput{Table: tableToGlue(versions[0].Table, versions[0].Version)}, nil
}
