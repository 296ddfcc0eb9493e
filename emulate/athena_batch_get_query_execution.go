package emulate

// BatchGetQueryExecution
//
// Differences from Athena: as GetQueryExecution's. An id that is not found
// is reported in UnprocessedQueryExecutionIds with ErrorCode
// InvalidRequestException.

import (
	"context"
	"errors"
)

type batchGetQueryExecutionInput struct {
	QueryExecutionIds []string `json:"QueryExecutionIds"`
}

type unprocessedQueryExecutionID struct {
	QueryExecutionId string `json:"QueryExecutionId"`
	ErrorCode        string `json:"ErrorCode"`
	ErrorMessage     string `json:"ErrorMessage"`
}

type batchGetQueryExecutionOutput struct {
	QueryExecutions              []athenaQueryExecution        `json:"QueryExecutions"`
	UnprocessedQueryExecutionIds []unprocessedQueryExecutionID `json:"UnprocessedQueryExecutionIds"`
}

func (a *AthenaService) batchGetQueryExecution(_ context.Context, in *batchGetQueryExecutionInput) (*batchGetQueryExecutionOutput, error) {
	if len(in.QueryExecutionIds) == 0 || len(in.QueryExecutionIds) > 50 {
		return nil, errInvalidRequest("QueryExecutionIds must have 1 to 50 ids")
	}
	out := &batchGetQueryExecutionOutput{QueryExecutions: []athenaQueryExecution{}, UnprocessedQueryExecutionIds: []unprocessedQueryExecutionID{}}
	for _, id := range in.QueryExecutionIds {
		x, err := a.lookup(id)
		if err != nil {
			var e *awsJSONError
			errors.As(err, &e)
			out.UnprocessedQueryExecutionIds = append(out.UnprocessedQueryExecutionIds,
				unprocessedQueryExecutionID{QueryExecutionId: id, ErrorCode: e.Type, ErrorMessage: e.Message})
			continue
		}
		a.mu.Lock()
		out.QueryExecutions = append(out.QueryExecutions, x.shape())
		a.mu.Unlock()
	}
	return out, nil
}
