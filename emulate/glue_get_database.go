package emulate

// GetDatabase
//
// Differences from Glue:
//   - No CreateTableDefaultPermissions, TargetDatabase or
//     FederatedDatabase. A database created before the catalog kept
//     creation times has no CreateTime.

import (
	"context"
	"fmt"
	"pipeline/catalog"
)

// glueDatabase is Glue's Database.
type glueDatabase struct {
	Name        string            `json:"Name"`
	Description *string           `json:"Description,omitempty"`
	LocationUri *string           `json:"LocationUri,omitempty"`
	Parameters  map[string]string `json:"Parameters,omitempty"`
	CreateTime  *epochSeconds     `json:"CreateTime,omitempty"`
	CatalogId   string            `json:"CatalogId"`
}

func databaseToGlue(d *catalog.DatabaseInfo) glueDatabase {
	return glueDatabase{Name: d.Name, Description: strPtr(d.Description), LocationUri: strPtr(d.LocationURI),
		Parameters: d.Parameters, CreateTime: epochPtr(d.CreatedAt), CatalogId: glueCatalogID}
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
	d, err := g.d.GetDatabase(ctx, in.Name)
	if err != nil {
		return nil, catalogError(err, fmt.Sprintf("Database %s not found", in.Name))
	}
	return &getDatabaseOutput{Database: databaseToGlue(d)}, nil
}
