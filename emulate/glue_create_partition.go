package emulate

// CreatePartition: registers one partition; AlreadyExistsException if it
// exists, InvalidInputException if its number of values differs from the
// table's partition keys.
//
// Differences from Glue: as BatchCreatePartition's (only Values and
// StorageDescriptor.Location are kept).

import (
	"context"
	"fmt"
	"pipeline/catalog"
)

type createPartitionInput struct {
	DatabaseName   string             `json:"DatabaseName"`
	TableName      string             `json:"TableName"`
	PartitionInput gluePartitionInput `json:"PartitionInput"`
}

type createPartitionOutput struct{}

func (g *GlueService) createPartition(ctx context.Context, in *createPartitionInput) (*createPartitionOutput, error) {
	g.writeMu.Lock()
	defer g.writeMu.Unlock()
	t, parts, err := g.tablePartitions(ctx, in.DatabaseName, in.TableName)
	if err != nil {
		return nil, err
	}
	p := in.PartitionInput
	if len(p.Values) != len(t.PartitionKeys) {
		return nil, errInvalidInput(fmt.Sprintf("The number of partition keys (%d) does not match the number of partition values (%d)", len(t.PartitionKeys), len(p.Values)))
	}
	for _, old := range parts {
		if catalog.PartitionKey(old.Values) == catalog.PartitionKey(p.Values) {
			return nil, errAlreadyExists("Partition already exists.")
		}
	}
	var loc string
	if p.StorageDescriptor != nil {
		loc = deref(p.StorageDescriptor.Location)
	}
	if err := g.d.AddPartitions(ctx, in.DatabaseName, in.TableName, []catalog.Partition{{Values: p.Values, Location: loc}}); err != nil {
		return nil, g.tableError(ctx, err, in.DatabaseName, in.TableName)
	}
	return &createPartitionOutput{}, nil
}
