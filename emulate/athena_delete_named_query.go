package emulate

// DeleteNamedQuery
//
// Differences from Athena: an id that is not found is
// InvalidRequestException.

import "context"

type deleteNamedQueryInput struct {
	NamedQueryId string `json:"NamedQueryId"`
}

type deleteNamedQueryOutput struct{}

func (a *AthenaService) deleteNamedQuery(_ context.Context, in *deleteNamedQueryInput) (*deleteNamedQueryOutput, error) {
	if in.NamedQueryId == "" {
		return nil, errInvalidRequest("NamedQueryId is required")
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	q, ok := a.namedQueries[in.NamedQueryId]
	if !ok {
		return nil, errInvalidRequest("NamedQuery " + in.NamedQueryId + " was not found")
	}
	delete(a.namedQueries, q.id)
	if err := a.saveNamedQueries(); err != nil {
		a.namedQueries[q.id] = q
		return nil, err
	}
	return &deleteNamedQueryOutput{}, nil
}
