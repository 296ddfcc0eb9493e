package emulate

// BatchGetNamedQuery
//
// Differences from Athena: as GetNamedQuery's. An id that is not found is
// reported in UnprocessedNamedQueryIds with ErrorCode
// InvalidRequestException.

import (
	"context"
	"errors"
)

type batchGetNamedQueryInput struct {
	NamedQueryIds []string `json:"NamedQueryIds"`
}

type unprocessedNamedQueryID struct {
	NamedQueryId string `json:"NamedQueryId"`
	ErrorCode    string `json:"ErrorCode"`
	ErrorMessage string `json:"ErrorMessage"`
}

type batchGetNamedQueryOutput struct {
	NamedQueries             []athenaNamedQueryShape   `json:"NamedQueries"`
	UnprocessedNamedQueryIds []unprocessedNamedQueryID `json:"UnprocessedNamedQueryIds"`
}

func (a *AthenaService) batchGetNamedQuery(_ context.Context, in *batchGetNamedQueryInput) (*batchGetNamedQueryOutput, error) {
	if len(in.NamedQueryIds) == 0 || len(in.NamedQueryIds) > 50 {
		return nil, errInvalidRequest("NamedQueryIds must have 1 to 50 ids")
	}
	out := &batchGetNamedQueryOutput{NamedQueries: []athenaNamedQueryShape{}, UnprocessedNamedQueryIds: []unprocessedNamedQueryID{}}
	for _, id := range in.NamedQueryIds {
		q, err := a.namedQuery(id)
		if err != nil {
			var e *awsJSONError
			errors.As(err, &e)
			out.UnprocessedNamedQueryIds = append(out.UnprocessedNamedQueryIds,
				unprocessedNamedQueryID{NamedQueryId: id, ErrorCode: e.Type, ErrorMessage: e.Message})
			continue
		}
		out.NamedQueries = append(out.NamedQueries, q)
	}
	return out, nil
}
