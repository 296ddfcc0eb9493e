package emulate

// GetTableVersion: one of the table's definitions by VersionId, or the
// current one without it.
//
// Differences from Glue: as GetTableVersions' (only the last 21
// definitions are kept).

import (
	"context"
	"fmt"
	"strconv"
)

type getTableVersionInput struct {
	DatabaseName string  `json:"DatabaseName"`
	TableName    string  `json:"TableName"`
	VersionId    *string `json:"VersionId"`
}

type getTableVersionOutput struct {
	TableVersion glueTableVersion `json:"TableVersion"`
}

func (g *GlueService) getTableVersion(ctx context.Context, in *getTableVersionInput) (*getTableVersionOutput, error) {
	if err := requireName("DatabaseName", in.DatabaseName); err != nil {
		return nil, err
	}
	if err := requireName("TableName", in.TableName); err != nil {
		return nil, err
	}
	if id := deref(in.VersionId); id != "" {
		if _, err := strconv.ParseUint(id, 10, 63); err != nil {
			return nil, errInvalidInput("VersionId " + id + " is not a table version: a VersionId is a whole number")
		}
	}
	versions, err := g.d.TableVersions(ctx, in.DatabaseName, in.TableName)
	if err != nil {
		return nil, g.tableError(ctx, err, in.DatabaseName, in.TableName)
	}
	for _, v := range versions { // the current one first
		if in.VersionId == nil || *in.VersionId == "" || *in.VersionId == strconv.Itoa(v.Version) {
			return &getTableVersionOutput{TableVersion: glueTableVersion{Table: tableToGlue(v.Table, v.Version), VersionId: strconv.Itoa(v.Version)}}, nil
		}
	}
	return nil, errEntityNotFound(fmt.Sprintf("Version %s of table %s.%s not found", deref(in.VersionId), in.DatabaseName, in.TableName))
}
