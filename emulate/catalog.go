package emulate

import (
	"context"
	"pipeline/catalog"
)

// Catalog is what the emulated Glue and Athena keep databases, tables and
// partitions in: a catalog.Driver that can also describe, list and
// delete databases, delete tables and partitions, and keep the previous
// definitions of a table. *catalog.FileCatalog is one. Implementations
// must be safe for concurrent use.
type Catalog interface {
	catalog.Driver
	// DefineDatabase creates the database, or replaces its description,
	// location and parameters.
	DefineDatabase(ctx context.Context, d catalog.DatabaseInfo) error
	// GetDatabase describes the database or returns an error wrapping
	// catalog.ErrNotFound.
	GetDatabase(ctx context.Context, name string) (*catalog.DatabaseInfo, error)
	// ListDatabases describes every database, sorted by name.
	ListDatabases(ctx context.Context) ([]catalog.DatabaseInfo, error)
	// DeleteDatabase deletes the database and its tables.
	DeleteDatabase(ctx context.Context, name string) error
	// DeleteTable deletes the table and its partitions.
	DeleteTable(ctx context.Context, db, name string) error
	// DeletePartitions deletes the partitions with the given values; ones
	// that do not exist are ignored.
	DeletePartitions(ctx context.Context, db, table string, values [][]string) error
	// TableVersions returns the table's definitions, newest first.
	TableVersions(ctx context.Context, db, name string) ([]catalog.TableVersion, error)
}

var _ Catalog = (*catalog.FileCatalog)(nil)
