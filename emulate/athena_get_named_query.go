package emulate

// GetNamedQuery
//
// Differences from Athena: none known beyond CreateNamedQuery's. An id
// that is not found is InvalidRequestException.

import "context"

type getNamedQueryInput struct {
	NamedQueryId string `json:"NamedQueryId"`
}

type getNamedQueryOutput struct {
	NamedQuery athenaNamedQueryShape `json:"NamedQuery"`
}

func (a *AthenaService) getNamedQuery(_ context.Context, in *getNamedQueryInput) (*getNamedQueryOutput, error) {
	q, err := a.namedQuery(in.NamedQueryId)
	if err != nil {
		return nil, err
	}
	return &getNamedQueryOutput{NamedQuery: q}, nil
}

// namedQuery describes the named query with id, or answers
// InvalidRequestException.
func (a *AthenaService) namedQuery(id string) (athenaNamedQueryShape, error) {
	if id == "" {
		return athenaNamedQueryShape{}, errInvalidRequest("NamedQueryId is required")
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	q, ok := a.namedQueries[id]
	if !ok {
		return athenaNamedQueryShape{}, errInvalidRequest("NamedQuery " + id + " was not found")
	}
	return q.shape(), nil
}
