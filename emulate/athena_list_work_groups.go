package emulate

// ListWorkGroups
//
// Differences from Athena: workgroups are listed by name; see GetWorkGroup
// for what a workgroup has.

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

type listWorkGroupsInput struct {
	MaxResults *int32  `json:"MaxResults"`
	NextToken  *string `json:"NextToken"`
}

type athenaWorkGroupSummary struct {
	Name          string                   `json:"Name"`
	State         string                   `json:"State"`
	Description   string                   `json:"Description,omitempty"`
	CreationTime  *epochSeconds            `json:"CreationTime,omitempty"`
	EngineVersion athenaEngineVersionShape `json:"EngineVersion"`
}

type listWorkGroupsOutput struct {
	WorkGroups []athenaWorkGroupSummary `json:"WorkGroups"`
	NextToken  *string                  `json:"NextToken,omitempty"`
}

func (a *AthenaService) listWorkGroups(_ context.Context, in *listWorkGroupsInput) (*listWorkGroupsOutput, error) {
	limit := 50
	if in.MaxResults != nil {
		if *in.MaxResults < 1 || *in.MaxResults > 50 {
			return nil, errInvalidRequest(fmt.Sprintf("MaxResults %d is not between 1 and 50", *in.MaxResults))
		}
		limit = int(*in.MaxResults)
	}
	after, err := parsePageToken(in.NextToken)
	if err != nil {
		return nil, errInvalidRequest("NextToken is not one ListWorkGroups returned")
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	var names []string
	for n := range a.workGroups {
		if n > after {
			names = append(names, n)
		}
	}
	slices.SortFunc(names, strings.Compare)
	out := &listWorkGroupsOutput{WorkGroups: []athenaWorkGroupSummary{}}
	for i, n := range names {
		if i == limit {
			out.NextToken = pageToken(names[i-1])
			break
		}
		wg := a.workGroups[n]
		out.WorkGroups = append(out.WorkGroups, athenaWorkGroupSummary{
			Name: n, State: wg.state(), Description: wg.description, CreationTime: epochPtr(wg.created), EngineVersion: engineVersion,
		})
	}
	return out, nil
}
