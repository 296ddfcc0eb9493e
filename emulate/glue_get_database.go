package emulate

// GetDatabase
//
// Differences from Glue:
//   - The database has only Name and CatalogId: the catalog keeps no
//     description, location, parameters or creation time.

import (
	"context"
	"fmt"
)

type glueDatabase struct {
	Name      string `json:"Name"`
	CatalogId string `json:"CatalogId"`
}

type getDatabaseInput struct {
	Name string `json:"Name"`
}

type getDatabaseOutput struct {
	Database glueDatabase `json:"Database"`
}

func (g *GlueService) getDatabase(ctx context.Context, in *getDatabaseInput) (*getDatabaseOutput, error) {
	if err := requireName("Name", in.Name); err != nil {
		return nil, err
	}
	if _, err := g.d.ListTables(ctx, in.Name); err != nil {
		return nil, catalogError(err, fmt.Sprintf("Database %s not found", in.Name))
	}
	g.noteDatabase(in.Name)
	return &getDatabaseOutput{Database: glueDatabase{Name: in.Name, CatalogId: glueCatalogID}}, nil
}
