package emulate

// CreateDatabase
//
// Differences from Glue:
//   - Kept: Name, Description, LocationUri and Parameters; the database's
//     CreateTime is when it was created. Default permissions, TargetDatabase,
//     FederatedDatabase and Tags are accepted and dropped.
//   - The name is not validated beyond being non-empty.

import (
	"context"
	"errors"
	"fmt"
	"pipeline/catalog"
)

// glueDatabaseInput is Glue's DatabaseInput.
type glueDatabaseInput struct {
	Name        string            `json:"Name"`
	Description *string           `json:"Description"`
	LocationUri *string           `json:"LocationUri"`
	Parameters  map[string]string `json:"Parameters"`
}

func (in *glueDatabaseInput) info() catalog.DatabaseInfo {
	return catalog.DatabaseInfo{Name: in.Name, Description: deref(in.Description), LocationURI: deref(in.LocationUri), Parameters: in.Parameters}
}

type createDatabaseInput struct {
	DatabaseInput glueDatabaseInput `json:"DatabaseInput"`
}

type createDatabaseOutput struct{}

func (g *GlueService) createDatabase(ctx context.Context, in *createDatabaseInput) (*createDatabaseOutput, error) {
	name := in.DatabaseInput.Name
	if err := requireName("DatabaseInput.Name", name); err != nil {
		return nil, err
	}
	g.writeMu.Lock()
	defer g.writeMu.Unlock()
	switch _, err := g.d.GetDatabase(ctx, name); {
	case err == nil:
		return nil, errAlreadyExists(fmt.Sprintf("Database %s already exists", name))
	case !errors.Is(err, catalog.ErrNotFound):
		return nil, catalogError(err, "")
	}
	if err := g.d.DefineDatabase(ctx, in.DatabaseInput.info()); err != nil {
		return nil, catalogError(err, "")
	}
	return &createDatabaseOutput{}, nil
}
