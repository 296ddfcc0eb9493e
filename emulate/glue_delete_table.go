package emulate

// DeleteTable: deletes the table and its partitions.
//
// Differences from Glue:
//   - Only if the catalog driver has DeleteTable(ctx, db, name string)
//     error. catalog.FileCatalog has none, so over it DeleteTable answers
//     InvalidInputException saying so (after the usual
//     EntityNotFoundException checks).
//   - TransactionId is ignored.

import (
	"context"
	"fmt"
)

type deleteTableInput struct {
	DatabaseName string `json:"DatabaseName"`
	Name         string `json:"Name"`
}

type deleteTableOutput struct{}

// tableDeleter is the optional driver method DeleteTable uses.
type tableDeleter interface {
	DeleteTable(ctx context.Context, db, name string) error
}

func (g *GlueService) deleteTable(ctx context.Context, in *deleteTableInput) (*deleteTableOutput, error) {
	if err := requireName("DatabaseName", in.DatabaseName); err != nil {
		return nil, err
	}
	if err := requireName("Name", in.Name); err != nil {
		return nil, err
	}
	g.writeMu.Lock()
	defer g.writeMu.Unlock()
	if _, err := g.d.GetTable(ctx, in.DatabaseName, in.Name); err != nil {
		return nil, g.tableError(ctx, err, in.DatabaseName, in.Name)
	}
	del, ok := g.d.(tableDeleter)
	if !ok {
		return nil, errInvalidInput(fmt.Sprintf("cannot delete table %s.%s: the emulator's catalog (%T) does not support deleting tables", in.DatabaseName, in.Name, g.d))
	}
	if err := del.DeleteTable(ctx, in.DatabaseName, in.Name); err != nil {
		return nil, g.tableError(ctx, err, in.DatabaseName, in.Name)
	}
	return &deleteTableOutput{}, nil
}
