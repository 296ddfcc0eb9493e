package emulate

// ListNamedQueries: pages of up to MaxResults (1-50; 0 or none is 50) ids
// of a workgroup's named queries (primary if none is given), oldest first.
//
// Differences from Athena: a workgroup with no named queries answers no
// NamedQueryIds member at all (AWS's model allows no empty list there).

import (
	"cmp"
	"context"
	"fmt"
)

type listNamedQueriesInput struct {
	NextToken  *string `json:"NextToken"`
	MaxResults *int32  `json:"MaxResults"`
	WorkGroup  *string `json:"WorkGroup"`
}

type listNamedQueriesOutput struct {
	NamedQueryIds []string `json:"NamedQueryIds,omitempty"`
	NextToken     *string  `json:"NextToken,omitempty"`
}

func (a *AthenaService) listNamedQueries(_ context.Context, in *listNamedQueriesInput) (*listNamedQueriesOutput, error) {
	n := 50
	if m := deref(in.MaxResults); m != 0 {
		if m < 0 || m > 50 {
			return nil, errInvalidRequest(fmt.Sprintf("MaxResults %d is not between 0 and 50", m))
		}
		n = int(m)
	}
	after, err := parsePageToken(in.NextToken)
	if err != nil {
		return nil, errInvalidRequest("NextToken is not one ListNamedQueries returned")
	}
	wg := cmp.Or(deref(in.WorkGroup), athenaPrimary)
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, ok := a.workGroups[wg]; !ok {
		return nil, errInvalidRequest("WorkGroup " + wg + " is not found.")
	}
	out := &listNamedQueriesOutput{}
	var last string
	for _, q := range a.sortedNamedQueries() {
		key := q.sortKey()
		if q.workGroup != wg || key <= after {
			continue
		}
		if len(out.NamedQueryIds) == n {
			out.NextToken = pageToken(last)
			break
		}
		out.NamedQueryIds = append(out.NamedQueryIds, q.id)
		last = key
	}
	return out, nil
}
