package emulate

// ListDataCatalogs
//
// Differences from Athena: there is one catalog, AwsDataCatalog (the Glue
// catalog the emulated Glue serves); there are no federated, Hive or S3
// Tables catalogs, so a NextToken is never returned.

import (
	"context"
	"fmt"
)

type listDataCatalogsInput struct {
	NextToken  *string `json:"NextToken"`
	MaxResults *int32  `json:"MaxResults"`
	WorkGroup  *string `json:"WorkGroup"`
}

type athenaDataCatalogSummary struct {
	CatalogName string `json:"CatalogName"`
	Type        string `json:"Type"`
}

type listDataCatalogsOutput struct {
	DataCatalogsSummary []athenaDataCatalogSummary `json:"DataCatalogsSummary"`
}

func (a *AthenaService) listDataCatalogs(_ context.Context, in *listDataCatalogsInput) (*listDataCatalogsOutput, error) {
	if in.MaxResults != nil && (*in.MaxResults < 2 || *in.MaxResults > 50) {
		return nil, errInvalidRequest(fmt.Sprintf("MaxResults %d is not between 2 and 50", *in.MaxResults))
	}
	if deref(in.NextToken) != "" { // none was ever returned
		return nil, errInvalidRequest("NextToken is not one ListDataCatalogs returned")
	}
	return &listDataCatalogsOutput{DataCatalogsSummary: []athenaDataCatalogSummary{{CatalogName: athenaDataCatalog, Type: "GLUE"}}}, nil
}
