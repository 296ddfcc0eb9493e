package emulate

// BatchGetPartition: up to 1000 partitions by their values, in the order
// asked; values the table has no partition for are left out, as in Glue.
//
// Differences from Glue:
//   - UnprocessedKeys is always empty: nothing is throttled.

import (
	"context"
	"fmt"
	"net/http"
	"pipeline/catalog"
)

type batchGetPartitionInput struct {
	DatabaseName    string                   `json:"DatabaseName"`
	TableName       string                   `json:"TableName"`
	PartitionsToGet []gluePartitionValueList `json:"PartitionsToGet"`
}

type batchGetPartitionOutput struct {
	Partitions      []gluePartition          `json:"Partitions"`
	UnprocessedKeys []gluePartitionValueList `json:"UnprocessedKeys"`
}

// glueMaxBatchGet is how many partitions one BatchGetPartition may ask for.
const glueMaxBatchGet = 1000

func (g *GlueService) batchGetPartition(ctx context.Context, in *batchGetPartitionInput) (*batchGetPartitionOutput, error) {
	if len(in.PartitionsToGet) > glueMaxBatchGet {
		return nil, &awsJSONError{Status: http.StatusBadRequest, Type: "ValidationException",
			Message: fmt.Sprintf("PartitionsToGet has %d partitions; at most %d are allowed", len(in.PartitionsToGet), glueMaxBatchGet)}
	}
	t, parts, err := g.tablePartitions(ctx, in.DatabaseName, in.TableName)
	if err != nil {
		return nil, err
	}
	byKey := make(map[string]int, len(parts))
	for i, p := range parts {
		byKey[catalog.PartitionKey(p.Values)] = i
	}
	out := &batchGetPartitionOutput{Partitions: []gluePartition{}, UnprocessedKeys: []gluePartitionValueList{}}
	for _, want := range in.PartitionsToGet {
		if i, ok := byKey[catalog.PartitionKey(want.Values)]; ok {
			out.Partitions = append(out.Partitions, partitionToGlue(t, parts[i], true))
		}
	}
	return out, nil
}
