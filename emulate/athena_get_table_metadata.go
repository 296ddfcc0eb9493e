package emulate

// GetTableMetadata
//
// Differences from Athena:
//   - The table is the emulated Glue's. Its Parameters are the table's
//     parameters with, as Athena adds them, its location, inputformat,
//     outputformat, serde.serialization.lib and each SerDe parameter as
//     serde.param.<key> (those it has). TableType is Glue's (EXTERNAL_TABLE,
//     VIRTUAL_VIEW). CreateTime is when the table was first put (its last
//     change for a table put before the catalog kept creation times);
//     LastAccessTime is 0, as Athena reports for Glue tables.
//   - A table or database that does not exist is a MetadataException
//     carrying Glue's EntityNotFoundException ("Entity Not Found" for a
//     table, "Database x not found." for a database), as Athena words them.

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"time"

	"pipeline/catalog"
)

type getTableMetadataInput struct {
	CatalogName  string  `json:"CatalogName"`
	DatabaseName string  `json:"DatabaseName"`
	TableName    string  `json:"TableName"`
	WorkGroup    *string `json:"WorkGroup"`
}

// athenaColumn is Athena's Column.
type athenaColumn struct {
	Name    string  `json:"Name"`
	Type    string  `json:"Type,omitempty"`
	Comment *string `json:"Comment,omitempty"`
}

// athenaTableMetadata is Athena's TableMetadata.
type athenaTableMetadata struct {
	Name           string            `json:"Name"`
	CreateTime     *epochSeconds     `json:"CreateTime,omitempty"`
	LastAccessTime *epochSeconds     `json:"LastAccessTime,omitempty"`
	TableType      string            `json:"TableType,omitempty"`
	Columns        []athenaColumn    `json:"Columns"`
	PartitionKeys  []athenaColumn    `json:"PartitionKeys"`
	Parameters     map[string]string `json:"Parameters,omitempty"`
}

type getTableMetadataOutput struct {
	TableMetadata athenaTableMetadata `json:"TableMetadata"`
}

func (a *AthenaService) getTableMetadata(ctx context.Context, in *getTableMetadataInput) (*getTableMetadataOutput, error) {
	if err := checkDataCatalog("CatalogName", in.CatalogName); err != nil {
		return nil, err
	}
	if in.DatabaseName == "" || in.TableName == "" {
		return nil, errInvalidRequest("DatabaseName and TableName are required")
	}
	t, err := a.d.GetTable(ctx, in.DatabaseName, in.TableName)
	if err != nil {
		if _, dbErr := a.d.GetDatabase(ctx, in.DatabaseName); dbErr != nil {
			return nil, metadataError(dbErr, fmt.Sprintf("Database %s not found.", in.DatabaseName))
		}
		return nil, metadataError(err, "Entity Not Found")
	}
	m := tableMetadata(t)
	never := epochSeconds(time.Unix(0, 0))
	m.LastAccessTime = &never
	return &getTableMetadataOutput{TableMetadata: m}, nil
}

// tableMetadata is Athena's view of a Glue table (see GetTableMetadata).
func tableMetadata(t *catalog.Table) athenaTableMetadata {
	m := athenaTableMetadata{
		Name:          t.Name,
		CreateTime:    epochPtr(cmp.Or(t.CreatedAt, t.UpdatedAt)),
		TableType:     cmp.Or(t.TableType, catalog.TableExternal),
		Columns:       athenaColumns(t.Columns),
		PartitionKeys: athenaColumns(t.PartitionKeys),
		Parameters:    maps.Clone(t.Parameters),
	}
	if t.NoTableType {
		m.TableType = t.TableType
	}
	extra := map[string]string{"location": t.Location, "inputformat": t.InputFormat,
		"outputformat": t.OutputFormat, "serde.serialization.lib": t.SerDeLibrary}
	for k, v := range t.SerDeParameters {
		extra["serde.param."+k] = v
	}
	for k, v := range extra {
		if v == "" {
			continue
		}
		if m.Parameters == nil {
			m.Parameters = map[string]string{}
		}
		m.Parameters[k] = v
	}
	return m
}

func athenaColumns(cs []catalog.Column) []athenaColumn {
	out := make([]athenaColumn, len(cs))
	for i, c := range cs {
		out[i] = athenaColumn{Name: c.Name, Type: c.Type, Comment: strPtr(c.Comment)}
	}
	return out
}
