package emulate

// StopQueryExecution
//
// Differences from Athena:
//   - The query is CANCELLED at once, with StateChangeReason "Query was
//     cancelled by user"; its DuckDB query is interrupted through its
//     context and stops within moments. Stopping a finished query does
//     nothing, as in Athena.

import "context"

type stopQueryExecutionInput struct {
	QueryExecutionId string `json:"QueryExecutionId"`
}

type stopQueryExecutionOutput struct{}

func (a *AthenaService) stopQueryExecution(_ context.Context, in *stopQueryExecutionInput) (*stopQueryExecutionOutput, error) {
	x, err := a.lookup(in.QueryExecutionId)
	if err != nil {
		return nil, err
	}
	a.mu.Lock()
	a.finish(x, stateCancelled, "Query was cancelled by user", errCategoryUser, nil)
	a.mu.Unlock()
	x.cancel()
	return &stopQueryExecutionOutput{}, nil
}
