package emulate

// DeletePartition: deletes one partition (its files stay in S3);
// EntityNotFoundException if the table has no such partition.
//
// Differences from Glue: none known.

import (
	"context"
	"fmt"
	"pipeline/catalog"
	"strings"
)

type deletePartitionInput struct {
	DatabaseName    string   `json:"DatabaseName"`
	TableName       string   `json:"TableName"`
	PartitionValues []string `json:"PartitionValues"`
}

type deletePartitionOutput struct{}

func (g *GlueService) deletePartition(ctx context.Context, in *deletePartitionInput) (*deletePartitionOutput, error) {
	g.writeMu.Lock()
	defer g.writeMu.Unlock()
	_, parts, err := g.tablePartitions(ctx, in.DatabaseName, in.TableName)
	if err != nil {
		return nil, err
	}
	found := false
	for _, p := range parts {
		found = found || catalog.PartitionKey(p.Values) == catalog.PartitionKey(in.PartitionValues)
	}
	if !found || len(in.PartitionValues) == 0 {
		return nil, errEntityNotFound(fmt.Sprintf("Cannot find partition [%s] of table %s.%s", strings.Join(in.PartitionValues, ", "), in.DatabaseName, in.TableName))
	}
	if err := g.d.DeletePartitions(ctx, in.DatabaseName, in.TableName, [][]string{in.PartitionValues}); err != nil {
		return nil, g.tableError(ctx, err, in.DatabaseName, in.TableName)
	}
	return &deletePartitionOutput{}, nil
}
