package emulate

// GetQueryExecution
//
// Differences from Athena:
//   - DataScannedInBytes is what DuckDB read from the tables' files (all
//     of a JSON file, the column chunks and footers it needed of a Parquet
//     file), not rounded up to 10 MB as Athena bills; DDL scans nothing.
//     There is no DataManifestLocation, and planning and service
//     processing count as engine time.
//   - StateChangeReason and AthenaError.ErrorMessage of a FAILED query are
//     DuckDB's one-line message ("Binder Error: ..."); AthenaError.ErrorType
//     is 1000 for a system error and 1100 for every query error.
//   - An execution is forgotten once MaxExecutions newer ones exist
//     (Athena keeps them 45 days), or when the process ends unless the
//     service has a StateDir. One queued or running when the process ended
//     is FAILED after the restart.

import "context"

type getQueryExecutionInput struct {
	QueryExecutionId string `json:"QueryExecutionId"`
}

type getQueryExecutionOutput struct {
	QueryExecution athenaQueryExecution `json:"QueryExecution"`
}

func (a *AthenaService) getQueryExecution(_ context.Context, in *getQueryExecutionInput) (*getQueryExecutionOutput, error) {
	x, err := a.lookup(in.QueryExecutionId)
	if err != nil {
		return nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return &getQueryExecutionOutput{QueryExecution: x.shape()}, nil
}
