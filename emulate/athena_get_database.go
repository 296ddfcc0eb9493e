package emulate

// GetDatabase
//
// Differences from Athena: the database is the emulated Glue's (the same
// catalog), its Name, Description and Parameters. A database that does not
// exist is a MetadataException carrying Glue's EntityNotFoundException, as
// Athena words it; a catalog other than AwsDataCatalog is
// InvalidRequestException (see GetDataCatalog).

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"pipeline/catalog"
)

type getAthenaDatabaseInput struct {
	CatalogName  string  `json:"CatalogName"`
	DatabaseName string  `json:"DatabaseName"`
	WorkGroup    *string `json:"WorkGroup"`
}

// athenaDatabase is Athena's Database.
type athenaDatabase struct {
	Name        string            `json:"Name"`
	Description *string           `json:"Description,omitempty"`
	Parameters  map[string]string `json:"Parameters,omitempty"`
}

type getAthenaDatabaseOutput struct {
	Database athenaDatabase `json:"Database"`
}

func (a *AthenaService) getDatabase(ctx context.Context, in *getAthenaDatabaseInput) (*getAthenaDatabaseOutput, error) {
	if err := checkDataCatalog("CatalogName", in.CatalogName); err != nil {
		return nil, err
	}
	if in.DatabaseName == "" {
		return nil, errInvalidRequest("DatabaseName is required")
	}
	d, err := a.d.GetDatabase(ctx, in.DatabaseName)
	if err != nil {
		return nil, metadataError(err, fmt.Sprintf("Database %s not found.", in.DatabaseName))
	}
	return &getAthenaDatabaseOutput{Database: databaseToAthena(d)}, nil
}

// databaseToAthena is Athena's view of a Glue database.
func databaseToAthena(d *catalog.DatabaseInfo) athenaDatabase {
	return athenaDatabase{Name: d.Name, Description: strPtr(d.Description), Parameters: d.Parameters}
}

// metadataError is Athena's answer to a catalog error: a MetadataException
// whose message is Glue's, in the envelope Athena wraps it in (tools such
// as PyAthena read the Error Code in it to tell a missing table); notFound
// is the message for catalog.ErrNotFound.
func metadataError(err error, notFound string) error {
	if !errors.Is(err, catalog.ErrNotFound) {
		return &awsJSONError{Status: http.StatusInternalServerError, Type: "InternalServerException", Message: err.Error()}
	}
	return &awsJSONError{Status: http.StatusBadRequest, Type: "MetadataException", Message: fmt.Sprintf(
		"%s (Service: AmazonDataCatalog; Status Code: 400; Error Code: EntityNotFoundException; Request ID: %s; Proxy: null)", notFound, requestID())}
}
