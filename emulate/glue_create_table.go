package emulate

// CreateTable
//
// Differences from Glue:
//   - See glue.go for the TableInput members kept. TableType is not
//     checked; a table given none has none, one given no
//     StorageDescriptor (or an empty one) has none.
//   - PartitionIndexes, OpenTableFormatInput and TransactionId are ignored.
//   - Column types are not validated.

import (
	"context"
	"errors"
	"fmt"

	"pipeline/catalog"
)

type createTableInput struct {
	DatabaseName string          `json:"DatabaseName"`
	TableInput   *glueTableInput `json:"TableInput"`
}

type createTableOutput struct{}

func (g *GlueService) createTable(ctx context.Context, in *createTableInput) (*createTableOutput, error) {
	if err := checkTableInput(in.DatabaseName, in.TableInput); err != nil {
		return nil, err
	}
	g.writeMu.Lock()
	defer g.writeMu.Unlock()
	_, err := g.d.GetTable(ctx, in.DatabaseName, in.TableInput.Name)
	switch {
	case err == nil:
		return nil, errAlreadyExists(fmt.Sprintf("Table %s already exists in database %s", in.TableInput.Name, in.DatabaseName))
	case !errors.Is(err, catalog.ErrNotFound):
		return nil, catalogError(err, "")
	}
	if err := g.d.PutTable(ctx, tableFromInput(in.DatabaseName, in.TableInput)); err != nil {
		return nil, catalogError(err, fmt.Sprintf("Database %s not found", in.DatabaseName))
	}
	return &createTableOutput{}, nil
}
