package emulate

// UpdateDatabase: replaces the database's description, location and
// parameters.
//
// Differences from Glue:
//   - Renaming (a DatabaseInput.Name other than Name) is refused with
//     InvalidInputException.

import (
	"context"
	"fmt"
)

type updateDatabaseInput struct {
	Name          string            `json:"Name"`
	DatabaseInput glueDatabaseInput `json:"DatabaseInput"`
}

type updateDatabaseOutput struct{}

func (g *GlueService) updateDatabase(ctx context.Context, in *updateDatabaseInput) (*updateDatabaseOutput, error) {
	if err := requireName("Name", in.Name); err != nil {
		return nil, err
	}
	if n := in.DatabaseInput.Name; n != "" && n != in.Name {
		return nil, errInvalidInput(fmt.Sprintf("renaming database %s to %s is not supported by the emulated Glue", in.Name, n))
	}
	g.writeMu.Lock()
	defer g.writeMu.Unlock()
	if _, err := g.d.GetDatabase(ctx, in.Name); err != nil {
		return nil, catalogError(err, fmt.Sprintf("Database %s not found", in.Name))
	}
	d := in.DatabaseInput.info()
	d.Name = in.Name
	if err := g.d.DefineDatabase(ctx, d); err != nil {
		return nil, catalogError(err, "")
	}
	return &updateDatabaseOutput{}, nil
}
