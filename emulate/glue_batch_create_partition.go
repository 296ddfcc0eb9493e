package emulate

// BatchCreatePartition: registers up to 100 partitions; each one that
// exists already (or repeats one earlier in the list) is reported in Errors
// as AlreadyExistsException and left as it is, and each whose number of
// values differs from the table's partition keys as InvalidInputException.
//
// Differences from Glue:
//   - Only Values and StorageDescriptor.Location are kept; the rest of each
//     PartitionInput (its own columns, formats, SerDe, Parameters) is
//     dropped, and GetPartitions reports the table's.

import (
	"context"
	"fmt"
	"net/http"

	"pipeline/catalog"
)

type batchCreatePartitionInput struct {
	DatabaseName       string               `json:"DatabaseName"`
	TableName          string               `json:"TableName"`
	PartitionInputList []gluePartitionInput `json:"PartitionInputList"`
}

type gluePartitionError struct {
	PartitionValues []string `json:"PartitionValues"`
	ErrorDetail     struct {
		ErrorCode    string `json:"ErrorCode"`
		ErrorMessage string `json:"ErrorMessage"`
	} `json:"ErrorDetail"`
}

func newPartitionError(values []string, code, msg string) gluePartitionError {
	e := gluePartitionError{PartitionValues: values}
	e.ErrorDetail.ErrorCode, e.ErrorDetail.ErrorMessage = code, msg
	return e
}

type batchCreatePartitionOutput struct {
	Errors []gluePartitionError `json:"Errors,omitempty"`
}

// glueMaxBatchPartitions is how many partitions one BatchCreatePartition
// may create.
const glueMaxBatchPartitions = 100

func (g *GlueService) batchCreatePartition(ctx context.Context, in *batchCreatePartitionInput) (*batchCreatePartitionOutput, error) {
	if err := requireName("DatabaseName", in.DatabaseName); err != nil {
		return nil, err
	}
	if err := requireName("TableName", in.TableName); err != nil {
		return nil, err
	}
	if len(in.PartitionInputList) > glueMaxBatchPartitions {
		return nil, &awsJSONError{Status: http.StatusBadRequest, Type: "ValidationException",
			Message: fmt.Sprintf("PartitionInputList has %d partitions; at most %d are allowed", len(in.PartitionInputList), glueMaxBatchPartitions)}
	}
	g.writeMu.Lock()
	defer g.writeMu.Unlock()
	t, err := g.d.GetTable(ctx, in.DatabaseName, in.TableName)
	if err != nil {
		return nil, g.tableError(ctx, err, in.DatabaseName, in.TableName)
	}
	existing, err := g.d.ListPartitions(ctx, in.DatabaseName, in.TableName)
	if err != nil {
		return nil, g.tableError(ctx, err, in.DatabaseName, in.TableName)
	}
	have := make(map[string]bool, len(existing)+len(in.PartitionInputList))
	for _, p := range existing {
		have[catalog.PartitionKey(p.Values)] = true
	}
	out := &batchCreatePartitionOutput{}
	fail := func(values []string, code, msg string) {
		out.Errors = append(out.Errors, newPartitionError(values, code, msg))
	}
	var add []catalog.Partition
	for _, p := range in.PartitionInputList {
		k := catalog.PartitionKey(p.Values)
		switch {
		case len(p.Values) != len(t.PartitionKeys):
			fail(p.Values, "InvalidInputException", fmt.Sprintf("The number of partition keys (%d) does not match the number of partition values (%d)", len(t.PartitionKeys), len(p.Values)))
		case have[k]:
			fail(p.Values, "AlreadyExistsException", "Partition already exists")
		default:
			have[k] = true
			var loc string
			if p.StorageDescriptor != nil {
				loc = deref(p.StorageDescriptor.Location)
			}
			add = append(add, catalog.Partition{Values: p.Values, Location: loc})
		}
	}
	if len(add) > 0 {
		if err := g.d.AddPartitions(ctx, in.DatabaseName, in.TableName, add); err != nil {
			return nil, g.tableError(ctx, err, in.DatabaseName, in.TableName)
		}
	}
	return out, nil
}
