package emulate

// BatchDeletePartition: deletes up to 25 partitions (their files stay in
// S3); each one the table does not have is reported in Errors as
// EntityNotFoundException.
//
// Differences from Glue: none known.

import (
	"context"
	"fmt"
	"net/http"
	"pipeline/catalog"
)

type gluePartitionValueList struct {
	Values []string `json:"Values"`
}

type batchDeletePartitionInput struct {
	DatabaseName       string                   `json:"DatabaseName"`
	TableName          string                   `json:"TableName"`
	PartitionsToDelete []gluePartitionValueList `json:"PartitionsToDelete"`
}

type batchDeletePartitionOutput struct {
	Errors []gluePartitionError `json:"Errors,omitempty"`
}

// glueMaxBatchDelete is how many partitions one BatchDeletePartition may
// delete.
const glueMaxBatchDelete = 25

func (g *GlueService) batchDeletePartition(ctx context.Context, in *batchDeletePartitionInput) (*batchDeletePartitionOutput, error) {
	if len(in.PartitionsToDelete) > glueMaxBatchDelete {
		return nil, &awsJSONError{Status: http.StatusBadRequest, Type: "ValidationException",
			Message: fmt.Sprintf("PartitionsToDelete has %d partitions; at most %d are allowed", len(in.PartitionsToDelete), glueMaxBatchDelete)}
	}
	g.writeMu.Lock()
	defer g.writeMu.Unlock()
	_, parts, err := g.tablePartitions(ctx, in.DatabaseName, in.TableName)
	if err != nil {
		return nil, err
	}
	have := make(map[string]bool, len(parts))
	for _, p := range parts {
		have[catalog.PartitionKey(p.Values)] = true
	}
	out := &batchDeletePartitionOutput{}
	var del [][]string
	for _, p := range in.PartitionsToDelete {
		k := catalog.PartitionKey(p.Values)
		if !have[k] {
			out.Errors = append(out.Errors, newPartitionError(p.Values, "EntityNotFoundException", "Partition not found."))
			continue
		}
		have[k] = false // a repeat in the list is not found the second time
		del = append(del, p.Values)
	}
	if len(del) > 0 {
		if err := g.d.DeletePartitions(ctx, in.DatabaseName, in.TableName, del); err != nil {
			return nil, g.tableError(ctx, err, in.DatabaseName, in.TableName)
		}
	}
	return out, nil
}
