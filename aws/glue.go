package aws

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"pipeline/catalog"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/glue"
	"github.com/aws/aws-sdk-go-v2/service/glue/types"
	"github.com/aws/smithy-go"
)

// GlueCatalog is a catalog.Driver over the AWS Glue Data Catalog
// (or the emulated one, given its endpoint). It is a thin mapping of
// catalog.Table to Glue's TableInput, with TableType EXTERNAL_TABLE:
//
//	catalog.Table                    Glue Table
//	Columns, Location,                StorageDescriptor.Columns, .Location,
//	InputFormat, OutputFormat         .InputFormat, .OutputFormat
//	SerDeLibrary, SerDeParameters     StorageDescriptor.SerdeInfo.SerializationLibrary, .Parameters
//	Format                            StorageDescriptor.Parameters["classification"]
//	PartitionKeys, Parameters         PartitionKeys, Parameters
//	UpdatedAt                         UpdateTime (read only)
//
// Partitions are created with the table's storage descriptor and their own
// Location, as Athena's ALTER TABLE ADD PARTITION does. Errors name the Glue operation and carry Glue's error
// code and message on one line; EntityNotFoundException wraps
// catalog.ErrNotFound.
//
// It is safe for concurrent use.
type GlueCatalog struct {
	c *glue.Client
}

var _ catalog.Driver = (*GlueCatalog)(nil)

// glueBatchSize is how many partitions one BatchCreatePartition may create.
const glueBatchSize = 100

// NewGlueCatalog returns a catalog driver using a Glue client built from cfg
// (see Load).
func NewGlueCatalog(cfg sdkaws.Config) *GlueCatalog {
	return &GlueCatalog{c: glue.NewFromConfig(cfg)}
}

// CreateDatabase creates the database; it is not an error if it exists.
func (g *GlueCatalog) CreateDatabase(ctx context.Context, name string) error {
	_, err := g.c.CreateDatabase(ctx, &glue.CreateDatabaseInput{DatabaseInput: &types.DatabaseInput{Name: &name}})
	if err != nil && !isCode(err, "AlreadyExistsException") {
		return glueError("CreateDatabase", err)
	}
	return nil
}

// GetTable returns the table, or an error wrapping catalog.ErrNotFound.
func (g *GlueCatalog) GetTable(ctx context.Context, db, name string) (*catalog.Table, error) {
	out, err := g.c.GetTable(ctx, &glue.GetTableInput{DatabaseName: &db, Name: &name})
	if err != nil {
		return nil, glueError("GetTable", err)
	}
	return fromGlueTable(db, out.Table), nil
}

// ListTables returns the database's tables sorted by name, reading every
// page of GetTables.
func (g *GlueCatalog) ListTables(ctx context.Context, db string) ([]*catalog.Table, error) {
	var out []*catalog.Table
	p := glue.NewGetTablesPaginator(g.c, &glue.GetTablesInput{DatabaseName: &db})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, glueError("GetTables", err)
		}
		for i := range page.TableList {
			out = append(out, fromGlueTable(db, &page.TableList[i]))
		}
	}
	slices.SortFunc(out, func(a, b *catalog.Table) int { return cmp.Compare(a.Name, b.Name) })
	return out, nil
}

// PutTable creates the table, or updates it if it exists (UpdateTable keeps
// its partitions).
func (g *GlueCatalog) PutTable(ctx context.Context, t *catalog.Table) error {
	in := toTableInput(t)
	_, err := g.c.CreateTable(ctx, &glue.CreateTableInput{DatabaseName: &t.Database, TableInput: in})
	if isCode(err, "AlreadyExistsException") {
		_, err = g.c.UpdateTable(ctx, &glue.UpdateTableInput{DatabaseName: &t.Database, TableInput: in})
		if err != nil {
			return glueError("UpdateTable", err)
		}
		return nil
	}
	if err != nil {
		return glueError("CreateTable", err)
	}
	return nil
}

// AddPartitions registers partitions with BatchCreatePartition, 100 at a
// time; ones that exist already are left as they are. Other per-partition
// errors are returned after every batch was sent.
func (g *GlueCatalog) AddPartitions(ctx context.Context, db, table string, parts []catalog.Partition) error {
	t, err := g.GetTable(ctx, db, table)
	if err != nil {
		return err
	}
	var failed []string
	for batch := range slices.Chunk(parts, glueBatchSize) {
		in := &glue.BatchCreatePartitionInput{DatabaseName: &db, TableName: &table,
			PartitionInputList: make([]types.PartitionInput, len(batch))}
		for i, p := range batch {
			sd := storageDescriptor(t)
			sd.Location = optString(p.Location)
			in.PartitionInputList[i] = types.PartitionInput{Values: p.Values, StorageDescriptor: sd}
		}
		out, err := g.c.BatchCreatePartition(ctx, in)
		if err != nil {
			return glueError("BatchCreatePartition", err)
		}
		for _, e := range out.Errors {
			if e.ErrorDetail != nil && sdkaws.ToString(e.ErrorDetail.ErrorCode) == "AlreadyExistsException" {
				continue
			}
			var code, msg string
			if e.ErrorDetail != nil {
				code, msg = sdkaws.ToString(e.ErrorDetail.ErrorCode), sdkaws.ToString(e.ErrorDetail.ErrorMessage)
			}
			failed = append(failed, fmt.Sprintf("%v: %s: %s", e.PartitionValues, code, msg))
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("glue BatchCreatePartition: %d of %d partitions failed, first %s", len(failed), len(parts), failed[0])
	}
	return nil
}

// ListPartitions returns the table's partitions sorted by values, reading
// every page of GetPartitions.
func (g *GlueCatalog) ListPartitions(ctx context.Context, db, table string) ([]catalog.Partition, error) {
	var out []catalog.Partition
	p := glue.NewGetPartitionsPaginator(g.c, &glue.GetPartitionsInput{DatabaseName: &db, TableName: &table,
		ExcludeColumnSchema: sdkaws.Bool(true)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, glueError("GetPartitions", err)
		}
		for _, gp := range page.Partitions {
			var loc string
			if gp.StorageDescriptor != nil {
				loc = sdkaws.ToString(gp.StorageDescriptor.Location)
			}
			out = append(out, catalog.Partition{Values: gp.Values, Location: loc})
		}
	}
	slices.SortFunc(out, func(a, b catalog.Partition) int { return slices.Compare(a.Values, b.Values) })
	return out, nil
}

// toTableInput maps a table to Glue's TableInput.
func toTableInput(t *catalog.Table) *types.TableInput {
	return &types.TableInput{
		Name:              &t.Name,
		TableType:         sdkaws.String("EXTERNAL_TABLE"),
		StorageDescriptor: storageDescriptor(t),
		PartitionKeys:     toGlueColumns(t.PartitionKeys),
		Parameters:        t.Parameters,
	}
}

// storageDescriptor is the table's storage descriptor.
func storageDescriptor(t *catalog.Table) *types.StorageDescriptor {
	sd := &types.StorageDescriptor{
		Columns:      toGlueColumns(t.Columns),
		Location:     optString(t.Location),
		InputFormat:  optString(t.InputFormat),
		OutputFormat: optString(t.OutputFormat),
		SerdeInfo: &types.SerDeInfo{
			SerializationLibrary: optString(t.SerDeLibrary),
			Parameters:           t.SerDeParameters,
		},
	}
	if t.Format != "" {
		sd.Parameters = map[string]string{"classification": t.Format}
	}
	return sd
}

// fromGlueTable maps Glue's Table to a pipeline table. Format is the
// storage descriptor's classification, else the table's (where Glue
// crawlers put it), else guessed from the input format and SerDe (tables
// made by Athena DDL have no classification).
func fromGlueTable(db string, gt *types.Table) *catalog.Table {
	t := &catalog.Table{
		Database:      cmp.Or(sdkaws.ToString(gt.DatabaseName), db),
		Name:          sdkaws.ToString(gt.Name),
		PartitionKeys: fromGlueColumns(gt.PartitionKeys),
		Parameters:    gt.Parameters,
		UpdatedAt:     sdkaws.ToTime(cmp.Or(gt.UpdateTime, gt.CreateTime)).UTC(),
	}
	var sdClass string
	if sd := gt.StorageDescriptor; sd != nil {
		t.Columns = fromGlueColumns(sd.Columns)
		t.Location = sdkaws.ToString(sd.Location)
		t.InputFormat = sdkaws.ToString(sd.InputFormat)
		t.OutputFormat = sdkaws.ToString(sd.OutputFormat)
		if sd.SerdeInfo != nil {
			t.SerDeLibrary = sdkaws.ToString(sd.SerdeInfo.SerializationLibrary)
			t.SerDeParameters = sd.SerdeInfo.Parameters
		}
		sdClass = sd.Parameters["classification"]
	}
	t.Format = cmp.Or(sdClass, gt.Parameters["classification"])
	if t.Format == "" {
		switch lib := strings.ToLower(t.InputFormat + " " + t.SerDeLibrary); {
		case strings.Contains(lib, "parquet"):
			t.Format = catalog.FormatParquet
		case strings.Contains(lib, "json"):
			t.Format = catalog.FormatJSON
		}
	}
	return t
}

func toGlueColumns(cs []catalog.Column) []types.Column {
	if cs == nil {
		return nil
	}
	out := make([]types.Column, len(cs))
	for i, c := range cs {
		out[i] = types.Column{Name: sdkaws.String(c.Name), Type: sdkaws.String(c.Type), Comment: optString(c.Comment)}
	}
	return out
}

func fromGlueColumns(cs []types.Column) []catalog.Column {
	if cs == nil {
		return nil
	}
	out := make([]catalog.Column, len(cs))
	for i, c := range cs {
		out[i] = catalog.Column{Name: sdkaws.ToString(c.Name), Type: sdkaws.ToString(c.Type), Comment: sdkaws.ToString(c.Comment)}
	}
	return out
}

// optString is nil for "", so that empty fields are left out.
func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// isCode says whether err is a Glue error with the given code.
func isCode(err error, code string) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && ae.ErrorCode() == code
}

// glueError is a Glue operation's error: one line with the operation,
// Glue's code and message, wrapping the SDK's error (and
// catalog.ErrNotFound for EntityNotFoundException).
func glueError(op string, err error) error {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return fmt.Errorf("glue %s: %w", op, err)
	}
	return &apiError{op: op, code: ae.ErrorCode(), msg: ae.ErrorMessage(), err: err}
}

type apiError struct {
	op, code, msg string
	err           error
}

func (e *apiError) Error() string {
	return fmt.Sprintf("glue %s: %s: %s", e.op, e.code, e.msg)
}

func (e *apiError) Unwrap() []error {
	if e.code == "EntityNotFoundException" {
		return []error{catalog.ErrNotFound, e.err}
	}
	return []error{e.err}
}
