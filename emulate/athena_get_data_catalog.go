package emulate

// GetDataCatalog
//
// Differences from Athena: the one catalog is AwsDataCatalog, of type GLUE,
// whose catalog-id is the emulated Glue's account (000000000000); its name
// is matched regardless of case, as SQL names it (awsdatacatalog). Any
// other name is InvalidRequestException, as Athena answers for a catalog
// that does not exist.

import (
	"context"
	"strings"
)

// athenaDataCatalog is the one data catalog: the Glue catalog.
const athenaDataCatalog = "AwsDataCatalog"

type getDataCatalogInput struct {
	Name      string  `json:"Name"`
	WorkGroup *string `json:"WorkGroup"`
}

type athenaDataCatalogShape struct {
	Name       string            `json:"Name"`
	Type       string            `json:"Type"`
	Parameters map[string]string `json:"Parameters,omitempty"`
}

type getDataCatalogOutput struct {
	DataCatalog athenaDataCatalogShape `json:"DataCatalog"`
}

func (a *AthenaService) getDataCatalog(_ context.Context, in *getDataCatalogInput) (*getDataCatalogOutput, error) {
	if err := checkDataCatalog("Name", in.Name); err != nil {
		return nil, err
	}
	return &getDataCatalogOutput{DataCatalog: athenaDataCatalogShape{
		Name: athenaDataCatalog, Type: "GLUE", Parameters: map[string]string{"catalog-id": glueCatalogID},
	}}, nil
}

// checkDataCatalog answers InvalidRequestException unless name (the
// request's member field) is the one data catalog.
func checkDataCatalog(field, name string) error {
	switch {
	case name == "":
		return errInvalidRequest(field + " is required")
	case !strings.EqualFold(name, athenaDataCatalog):
		return errInvalidRequest("DataCatalog " + name + " was not found.")
	}
	return nil
}
