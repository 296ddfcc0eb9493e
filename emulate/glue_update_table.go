package emulate

// UpdateTable: replaces the table's definition, keeping its partitions.
// The definition it replaces is archived as a version (GetTableVersions)
// unless SkipArchive is true.
//
// Differences from Glue:
//   - VersionId, TransactionId, ViewUpdateAction and Force are ignored.
//   - Partitions are kept even if the partition keys change.

import (
	"context"
	"strings"

	"pipeline/catalog"
)

type updateTableInput struct {
	DatabaseName string          `json:"DatabaseName"`
	TableInput   *glueTableInput `json:"TableInput"`
	SkipArchive  *bool           `json:"SkipArchive"`
}

type updateTableOutput struct{}

// tableReplacer replaces a table's definition in place, making no version
// (catalog.FileCatalog is one).
type tableReplacer interface {
	ReplaceTable(ctx context.Context, db, name string, fn func(*catalog.Table) (*catalog.Table, error)) error
}

func (g *GlueService) updateTable(ctx context.Context, in *updateTableInput) (*updateTableOutput, error) {
	if err := checkTableInput(in.DatabaseName, in.TableInput); err != nil {
		return nil, err
	}
	g.writeMu.Lock()
	defer g.writeMu.Unlock()
	if _, err := g.d.GetTable(ctx, in.DatabaseName, in.TableInput.Name); err != nil {
		return nil, g.tableError(ctx, err, in.DatabaseName, in.TableInput.Name)
	}
	t := tableFromInput(in.DatabaseName, in.TableInput)
	if r, ok := g.d.(tableReplacer); ok && deref(in.SkipArchive) {
		err := r.ReplaceTable(ctx, strings.ToLower(t.Database), strings.ToLower(t.Name), func(cur *catalog.Table) (*catalog.Table, error) {
			if cur == nil {
				return nil, catalog.ErrNotFound
			}
			t.Database, t.Name = cur.Database, cur.Name
			return t, nil
		})
		if err != nil {
			return nil, g.tableError(ctx, err, in.DatabaseName, in.TableInput.Name)
		}
		return &updateTableOutput{}, nil
	}
	if err := g.d.PutTable(ctx, t); err != nil {
		return nil, g.tableError(ctx, err, in.DatabaseName, in.TableInput.Name)
	}
	return &updateTableOutput{}, nil
}
