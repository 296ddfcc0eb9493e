package emulate

// ListQueryExecutions
//
// Differences from Athena:
//   - Lists the executions kept in memory (see GetQueryExecution), newest
//     first. A NextToken stays valid while the execution it continues
//     after is kept.

import (
	"context"
	"encoding/base64"
	"fmt"
)

type listQueryExecutionsInput struct {
	WorkGroup  *string `json:"WorkGroup"`
	MaxResults *int32  `json:"MaxResults"`
	NextToken  *string `json:"NextToken"`
}

type listQueryExecutionsOutput struct {
	QueryExecutionIds []string `json:"QueryExecutionIds,omitempty"` // none: left out (the model's list has at least one)
	NextToken         *string  `json:"NextToken,omitempty"`
}

func (a *AthenaService) listQueryExecutions(_ context.Context, in *listQueryExecutionsInput) (*listQueryExecutionsOutput, error) {
	limit := 50
	if in.MaxResults != nil {
		if *in.MaxResults < 0 || *in.MaxResults > 50 {
			return nil, errInvalidRequest(fmt.Sprintf("MaxResults %d is not between 0 and 50", *in.MaxResults))
		}
		if *in.MaxResults > 0 {
			limit = int(*in.MaxResults)
		}
	}
	wg := athenaPrimary
	if in.WorkGroup != nil && *in.WorkGroup != "" {
		wg = *in.WorkGroup
	}
	after := ""
	if in.NextToken != nil && *in.NextToken != "" {
		b, err := base64.RawURLEncoding.DecodeString(*in.NextToken)
		if err != nil {
			return nil, errInvalidRequest("NextToken is not one ListQueryExecutions returned")
		}
		after = string(b)
	}

	a.mu.Lock()
	defer a.mu.Unlock()
	if _, ok := a.workGroups[wg]; !ok {
		return nil, errInvalidRequest("WorkGroup " + wg + " is not found.")
	}
	start := len(a.order) - 1
	if after != "" {
		start = -2
		for i, x := range a.order {
			if x.id == after {
				start = i - 1
				break
			}
		}
		if start == -2 {
			return nil, errInvalidRequest("NextToken is not valid any more: its query execution was forgotten")
		}
	}
	out := &listQueryExecutionsOutput{}
	for i := start; i >= 0; i-- {
		x := a.order[i]
		if x.workGroup != wg {
			continue
		}
		if len(out.QueryExecutionIds) == limit {
			last := out.QueryExecutionIds[limit-1]
			tok := base64.RawURLEncoding.EncodeToString([]byte(last))
			out.NextToken = &tok
			break
		}
		out.QueryExecutionIds = append(out.QueryExecutionIds, x.id)
	}
	return out, nil
}
