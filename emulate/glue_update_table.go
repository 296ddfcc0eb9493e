package emulate

// UpdateTable: replaces the table's definition, keeping its partitions.
//
// Differences from Glue:
//   - No table versions are archived (SkipArchive is moot), and
//     VersionId, TransactionId, ViewUpdateAction and Force are ignored.
//   - Partitions are kept even if the partition keys change.

import "context"

type updateTableInput struct {
	DatabaseName string          `json:"DatabaseName"`
	TableInput   *glueTableInput `json:"TableInput"`
}

type updateTableOutput struct{}

func (g *GlueService) updateTable(ctx context.Context, in *updateTableInput) (*updateTableOutput, error) {
	if err := checkTableInput(in.DatabaseName, in.TableInput); err != nil {
		return nil, err
	}
	g.writeMu.Lock()
	defer g.writeMu.Unlock()
	if _, err := g.d.GetTable(ctx, in.DatabaseName, in.TableInput.Name); err != nil {
		return nil, g.tableError(ctx, err, in.DatabaseName, in.TableInput.Name)
	}
	if err := g.d.PutTable(ctx, tableFromInput(in.DatabaseName, in.TableInput)); err != nil {
		return nil, g.tableError(ctx, err, in.DatabaseName, in.TableInput.Name)
	}
	return &updateTableOutput{}, nil
}
