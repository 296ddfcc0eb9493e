package emulate

// DeleteTable: deletes the table (or view), its partitions and its
// versions. The table's files stay in S3.
//
// Differences from Glue:
//   - TransactionId is ignored.

import "context"

type deleteTableInput struct {
	DatabaseName string `json:"DatabaseName"`
	Name         string `json:"Name"`
}

type deleteTableOutput struct{}

func (g *GlueService) deleteTable(ctx context.Context, in *deleteTableInput) (*deleteTableOutput, error) {
	if err := requireName("DatabaseName", in.DatabaseName); err != nil {
		return nil, err
	}
	if err := requireName("Name", in.Name); err != nil {
		return nil, err
	}
	g.writeMu.Lock()
	defer g.writeMu.Unlock()
	if err := g.d.DeleteTable(ctx, in.DatabaseName, in.Name); err != nil {
		return nil, g.tableError(ctx, err, in.DatabaseName, in.Name)
	}
	return &deleteTableOutput{}, nil
}
