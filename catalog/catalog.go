// Package catalog is the shared model of the pipeline's tables: what the
// crawler registers, the sink checks and extends, and the query engines
// read. It holds tables, columns, partitions, column types and how they
// widen, table formats, the catalog driver contract with the Catalog that
// wraps it, the file catalog (the local stand-in for Glue), and the quoting
// of catalog names in SQL.
//
// It is a leaf: it imports no stage of the pipeline and no Kafka, S3 or
// query client, so that every package can share the model without pulling
// those in. It is not the Glue adapter (package aws) nor the emulated Glue
// API (package emulate); both are drivers, or serve one, over this model.
//
// # Main types
//
//   - Table, Column, Partition: a table as Glue holds it.
//   - Driver: what a catalog backend implements (FileCatalog here, the Glue
//     adapter in package aws); package catalogtest checks both alike.
//   - Catalog: the portable type the stages call, over a Driver.
package catalog

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
)

// Database is the catalog database the pipeline's tables live in.
const Database = "stock_market"

// Column is a named, typed column of a table.
type Column struct {
	Name    string `json:"name"`
	Type    string `json:"type"`
	Comment string `json:"comment,omitempty"`
}

// Table is shaped like a Glue TableInput (StorageDescriptor flattened) so
// that a Glue catalog driver is a thin mapping.
type Table struct {
	Database    string `json:"database"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	TableType   string `json:"table_type,omitempty"` // "" is TableExternal, unless NoTableType
	// NoTableType: the table's creator (a Glue client may) gave no
	// TableType, and Glue reports none.
	NoTableType     bool              `json:"no_table_type,omitempty"`
	Columns         []Column          `json:"columns"`
	PartitionKeys   []Column          `json:"partition_keys"`
	Location        string            `json:"location"` // s3://bucket/prefix/, ending in "/"
	Format          string            `json:"format"`   // FormatJSON or FormatParquet
	InputFormat     string            `json:"input_format"`
	OutputFormat    string            `json:"output_format"`
	SerDeLibrary    string            `json:"serde_library"`
	SerDeParameters map[string]string `json:"serde_parameters,omitempty"`
	Parameters      map[string]string `json:"parameters,omitempty"`
	// A view's SQL, as Athena writes it to Glue (see TableView).
	ViewOriginalText string    `json:"view_original_text,omitempty"`
	ViewExpandedText string    `json:"view_expanded_text,omitempty"`
	CreatedAt        time.Time `json:"created_at,omitzero"` // set by the catalog when the table is first put
	UpdatedAt        time.Time `json:"updated_at"`
}

// Table types, as Glue names them.
const (
	TableExternal = "EXTERNAL_TABLE"
	// TableView is a view: a query kept as the table's ViewOriginalText,
	// with no files of its own.
	TableView = "VIRTUAL_VIEW"
)

// IsView says whether the table is a view.
func (t *Table) IsView() bool { return t.TableType == TableView }

// DatabaseInfo describes a catalog database.
type DatabaseInfo struct {
	Name        string            `json:"name"`
	Description string            `json:"description,omitempty"`
	LocationURI string            `json:"location_uri,omitempty"`
	Parameters  map[string]string `json:"parameters,omitempty"`
	CreatedAt   time.Time         `json:"created_at,omitzero"`
}

// TableVersion is one archived definition of a table: Version counts the
// table's definitions from 1.
type TableVersion struct {
	Version int    `json:"version"`
	Table   *Table `json:"table"`
}

// Partition is one Hive partition of a table: values line up with the
// table's PartitionKeys.
type Partition struct {
	Values   []string `json:"values"`
	Location string   `json:"location"`
}

// NewTable returns a table in the given format with the input format, output
// format and SerDe that Athena expects for it.
func NewTable(db, name, location, format string) *Table {
	t := &Table{Database: db, Name: name, Location: location, Format: format,
		Parameters: map[string]string{"classification": format}}
	switch format {
	case FormatParquet:
		t.InputFormat = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
		t.OutputFormat = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"
		t.SerDeLibrary = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
	default:
		t.InputFormat = "org.apache.hadoop.mapred.TextInputFormat"
		t.OutputFormat = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"
		t.SerDeLibrary = "org.openx.data.jsonserde.JsonSerDe"
		// Athena's OpenX SerDe reads ISO 8601 timestamps only when told.
		t.SerDeParameters = map[string]string{"timestamp.formats": "yyyy-MM-dd'T'HH:mm:ss.SSSZ,yyyy-MM-dd'T'HH:mm:ss'Z',yyyy-MM-dd HH:mm:ss"}
	}
	return t
}

// Column returns the column (data or partition key) with the given name.
func (t *Table) Column(name string) (Column, bool) {
	for _, c := range append(slices.Clip(t.Columns), t.PartitionKeys...) {
		if c.Name == name {
			return c, true
		}
	}
	return Column{}, false
}

// ErrNotFound is returned (wrapped) when a database or table does not exist.
var ErrNotFound = errors.New("not found")

// Driver is what a catalog backend implements: the local file catalog or
// Glue. Implementations must be safe for concurrent use.
type Driver interface {
	// CreateDatabase creates the database; it is not an error if it exists.
	CreateDatabase(ctx context.Context, name string) error
	// GetTable returns the table or an error wrapping ErrNotFound.
	GetTable(ctx context.Context, db, name string) (*Table, error)
	// ListTables returns the database's tables, sorted by name.
	ListTables(ctx context.Context, db string) ([]*Table, error)
	// PutTable creates the table or replaces its definition, keeping its partitions.
	PutTable(ctx context.Context, t *Table) error
	// AddPartitions registers partitions; ones that exist already are left as they are.
	AddPartitions(ctx context.Context, db, table string, parts []Partition) error
	// ListPartitions returns the table's partitions sorted by values.
	ListPartitions(ctx context.Context, db, table string) ([]Partition, error)
}

// TableModifier is a Driver that can change a table atomically: fn gets the
// table as it is (nil if it does not exist) and returns the table to store,
// or nil to leave it as it is, with no other writer in between. FileCatalog
// is one.
type TableModifier interface {
	ModifyTable(ctx context.Context, db, name string, fn func(*Table) (*Table, error)) error
}

// Catalog is the schema catalog (a Glue Data Catalog, or its local
// stand-in). Its methods name the operation and the table in their errors.
// It is safe for concurrent use if its driver is.
type Catalog struct {
	d Driver
}

// New wraps a driver.
func New(d Driver) *Catalog { return &Catalog{d: d} }

func (c *Catalog) CreateDatabase(ctx context.Context, name string) error {
	if err := c.d.CreateDatabase(ctx, name); err != nil {
		return fmt.Errorf("create database %q: %w", name, err)
	}
	return nil
}

func (c *Catalog) GetTable(ctx context.Context, db, name string) (*Table, error) {
	t, err := c.d.GetTable(ctx, db, name)
	if err != nil {
		return nil, fmt.Errorf("get table %s.%s: %w", db, name, err)
	}
	return t, nil
}

func (c *Catalog) ListTables(ctx context.Context, db string) ([]*Table, error) {
	ts, err := c.d.ListTables(ctx, db)
	if err != nil {
		return nil, fmt.Errorf("list tables of %s: %w", db, err)
	}
	return ts, nil
}

func (c *Catalog) PutTable(ctx context.Context, t *Table) error {
	if err := c.d.PutTable(ctx, t); err != nil {
		return fmt.Errorf("put table %s.%s: %w", t.Database, t.Name, err)
	}
	return nil
}

// ModifyTable changes a table with fn as TableModifier says; the database
// must exist. With a driver that is no TableModifier (Glue) it reads the
// table, calls fn and puts the result: a writer in between may then be
// overwritten, so a caller that must know reads the table back.
func (c *Catalog) ModifyTable(ctx context.Context, db, name string, fn func(*Table) (*Table, error)) error {
	if m, ok := c.d.(TableModifier); ok {
		var fnErr error // returned as it is: it is the caller's
		err := m.ModifyTable(ctx, db, name, func(t *Table) (*Table, error) {
			t, fnErr = fn(t)
			return t, fnErr
		})
		if err != nil && err != fnErr {
			return fmt.Errorf("modify table %s.%s: %w", db, name, err)
		}
		return err
	}
	t, err := c.d.GetTable(ctx, db, name)
	switch {
	case errors.Is(err, ErrNotFound):
		t = nil
	case err != nil:
		return fmt.Errorf("get table %s.%s: %w", db, name, err)
	}
	t, err = fn(t)
	if err != nil || t == nil {
		return err
	}
	return c.PutTable(ctx, t)
}

func (c *Catalog) AddPartitions(ctx context.Context, db, table string, parts []Partition) error {
	if len(parts) == 0 {
		return nil
	}
	if err := c.d.AddPartitions(ctx, db, table, parts); err != nil {
		return fmt.Errorf("add %d partitions to %s.%s: %w", len(parts), db, table, err)
	}
	return nil
}

func (c *Catalog) ListPartitions(ctx context.Context, db, table string) ([]Partition, error) {
	ps, err := c.d.ListPartitions(ctx, db, table)
	if err != nil {
		return nil, fmt.Errorf("list partitions of %s.%s: %w", db, table, err)
	}
	return ps, nil
}
