package emulate

// CreateDatabase
//
// Differences from Glue:
//   - Only DatabaseInput.Name is kept: Description, LocationUri,
//     Parameters, default permissions and Tags are accepted and dropped.
//   - The name is not validated beyond being non-empty.

import (
	"context"
	"fmt"
)

type createDatabaseInput struct {
	DatabaseInput struct {
		Name string `json:"Name"`
	} `json:"DatabaseInput"`
}

type createDatabaseOutput struct{}

func (g *GlueService) createDatabase(ctx context.Context, in *createDatabaseInput) (*createDatabaseOutput, error) {
	name := in.DatabaseInput.Name
	if err := requireName("DatabaseInput.Name", name); err != nil {
		return nil, err
	}
	g.writeMu.Lock()
	defer g.writeMu.Unlock()
	if g.databaseExists(ctx, name) {
		return nil, errAlreadyExists(fmt.Sprintf("Database %s already exists", name))
	}
	if err := g.d.CreateDatabase(ctx, name); err != nil {
		return nil, catalogError(err, "")
	}
	g.noteDatabase(name)
	return &createDatabaseOutput{}, nil
}
