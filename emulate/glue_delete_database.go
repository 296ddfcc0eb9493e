package emulate

// DeleteDatabase: deletes the database with its tables and their
// partitions, as Glue does. The tables' files stay in S3.
//
// Differences from Glue: none known.

import (
	"context"
	"fmt"
)

type deleteDatabaseInput struct {
	Name string `json:"Name"`
}

type deleteDatabaseOutput struct{}

func (g *GlueService) deleteDatabase(ctx context.Context, in *deleteDatabaseInput) (*deleteDatabaseOutput, error) {
	if err := requireName("Name", in.Name); err != nil {
		return nil, err
	}
	g.writeMu.Lock()
	defer g.writeMu.Unlock()
	if err := g.d.DeleteDatabase(ctx, in.Name); err != nil {
		return nil, catalogError(err, fmt.Sprintf("Database %s not found", in.Name))
	}
	return &deleteDatabaseOutput{}, nil
}
