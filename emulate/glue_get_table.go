package emulate

// GetTable
//
// Differences from Glue:
//   - The table has no CreateTime, Owner, Description, CreatedBy or
//     VersionId; UpdateTime is the last CreateTable or UpdateTable.
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
	t, err := g.d.GetTable(ctx, in.DatabaseName, in.Name)
	if err != nil {
		return nil, g.tableError(ctx, err, in.DatabaseName, in.Name)
	}
	g.noteDatabase(in.DatabaseName)
	return &getTableOutput{Table: tableToGlue(t)}, nil
}
