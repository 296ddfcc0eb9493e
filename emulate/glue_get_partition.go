package emulate

// GetPartition: the partition with PartitionValues.
//
// Differences from Glue: as GetPartitions' (the table's storage descriptor
// with the partition's Location; no CreationTime or Parameters).

import (
	"context"
	"fmt"
	"pipeline/catalog"
	"slices"
	"strings"
)

type getPartitionInput struct {
	DatabaseName    string   `json:"DatabaseName"`
	TableName       string   `json:"TableName"`
	PartitionValues []string `json:"PartitionValues"`
}

type getPartitionOutput struct {
	Partition gluePartition `json:"Partition"`
}

func (g *GlueService) getPartition(ctx context.Context, in *getPartitionInput) (*getPartitionOutput, error) {
	t, parts, err := g.tablePartitions(ctx, in.DatabaseName, in.TableName)
	if err != nil {
		return nil, err
	}
	if len(in.PartitionValues) == 0 {
		return nil, errInvalidInput("PartitionValues is required")
	}
	for _, p := range parts {
		if slices.Equal(p.Values, in.PartitionValues) {
			return &getPartitionOutput{Partition: partitionToGlue(t, p, true)}, nil
		}
	}
	return nil, errEntityNotFound(fmt.Sprintf("Cannot find partition [%s] of table %s.%s", strings.Join(in.PartitionValues, ", "), in.DatabaseName, in.TableName))
}

// tablePartitions returns the table db.name and its partitions, sorted by
// values, or Glue's error.
func (g *GlueService) tablePartitions(ctx context.Context, db, name string) (*catalog.Table, []catalog.Partition, error) {
	if err := requireName("DatabaseName", db); err != nil {
		return nil, nil, err
	}
	if err := requireName("TableName", name); err != nil {
		return nil, nil, err
	}
	t, err := g.d.GetTable(ctx, db, name)
	if err != nil {
		return nil, nil, g.tableError(ctx, err, db, name)
	}
	parts, err := g.d.ListPartitions(ctx, db, name)
	if err != nil {
		return nil, nil, g.tableError(ctx, err, db, name)
	}
	return t, parts, nil
}

// partitionToGlue is Glue's Partition for p of table t: the table's storage
// descriptor (columns left out unless withColumns) with p's location.
func partitionToGlue(t *catalog.Table, p catalog.Partition, withColumns bool) gluePartition {
	return gluePartition{
		Values:            p.Values,
		DatabaseName:      t.Database,
		TableName:         t.Name,
		CatalogId:         glueCatalogID,
		StorageDescriptor: storageDescriptor(t, p.Location, withColumns),
	}
}
