package emulate

// DeleteWorkGroup
//
// Differences from Athena: a workgroup's contents are its named queries:
// without RecursiveDeleteOption a workgroup that has any is not deleted,
// with it they are deleted too. Its query executions stay readable by id
// (GetQueryExecution, GetQueryResults), as the emulator forgets executions
// only by age. The primary workgroup cannot be deleted, as in Athena.

import (
	"context"
	"fmt"
)

type deleteWorkGroupInput struct {
	WorkGroup             string `json:"WorkGroup"`
	RecursiveDeleteOption *bool  `json:"RecursiveDeleteOption"`
}

type deleteWorkGroupOutput struct{}

func (a *AthenaService) deleteWorkGroup(_ context.Context, in *deleteWorkGroupInput) (*deleteWorkGroupOutput, error) {
	if in.WorkGroup == "" {
		return nil, errInvalidRequest("WorkGroup is required")
	}
	if in.WorkGroup == athenaPrimary {
		return nil, errInvalidRequest("Primary workgroup cannot be deleted.")
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	wg, ok := a.workGroups[in.WorkGroup]
	if !ok {
		return nil, errInvalidRequest("WorkGroup " + in.WorkGroup + " is not found.")
	}
	var named []*athenaNamedQuery
	for _, q := range a.namedQueries {
		if q.workGroup == in.WorkGroup {
			named = append(named, q)
		}
	}
	if len(named) > 0 && !deref(in.RecursiveDeleteOption) {
		return nil, errInvalidRequest(fmt.Sprintf("WorkGroup %s is not empty: it has %d named queries; delete them or pass RecursiveDeleteOption", in.WorkGroup, len(named)))
	}
	delete(a.workGroups, in.WorkGroup)
	if err := a.saveWorkGroups(); err != nil {
		a.workGroups[in.WorkGroup] = wg
		return nil, err
	}
	for _, q := range named {
		delete(a.namedQueries, q.id)
	}
	if len(named) > 0 {
		if err := a.saveNamedQueries(); err != nil {
			return nil, err
		}
	}
	return &deleteWorkGroupOutput{}, nil
}
