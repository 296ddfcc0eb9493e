package emulate

import (
	"context"

	"pipeline/pipeline"
)

// Catalog is what the emulated Glue and Athena keep databases, tables and
// partitions in: a pipeline.CatalogDriver that can also describe, list and
// delete databases, delete tables and partitions, and keep the previous
// definitions of a table. *pipeline.FileCatalog is one. Implementations
// must be safe for concurrent use.
type Catalog interface {
	pipeline.CatalogDriver
	// DefineDatabase creates the database, or replaces its description,
	// location and parameters.
	DefineDatabase(ctx context.Context, d pipeline.DatabaseInfo) error
	// GetDatabase describes the database or returns an error wrapping
	// pipeline.ErrNotFound.
	GetDatabase(ctx context.Context, name string) (*pipeline.DatabaseInfo, error)
	// ListDatabases describes every database, sorted by name.
	ListDatabases(ctx context.Context) ([]pipeline.DatabaseInfo, error)
	// DeleteDatabase deletes the database and its tables.
	DeleteDatabase(ctx context.Context, name string) error
	// DeleteTable deletes the table and its partitions.
	DeleteTable(ctx context.Context, db, name string) error
	// DeletePartitions deletes the partitions with the given values; ones
	// that do not exist are ignored.
	DeletePartitions(ctx context.Context, db, table string, values [][]string) error
	// TableVersions returns the table's definitions, newest first.
	TableVersions(ctx context.Context, db, name string) ([]pipeline.TableVersion, error)
}

var _ Catalog = (*pipeline.FileCatalog)(nil)
