package emulate

// CreateNamedQuery
//
// Differences from Athena:
//   - The query string is kept as given, not checked; the database need not
//     exist (as in Athena, where it is checked only when the query runs).
//   - A ClientRequestToken gives the same NamedQueryId again for the same
//     name, database, query and workgroup, and InvalidRequestException for
//     others, as long as that named query exists.
//   - Named queries are kept in AthenaOptions.StateDir (in memory without
//     one), with no limit on their number.

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// athenaNamedQuery is a saved query of a workgroup.
type athenaNamedQuery struct {
	id, name, description string
	database, query       string
	workGroup             string
	token                 string // its ClientRequestToken
	created               time.Time
}

// athenaNamedQueryShape is Athena's NamedQuery.
type athenaNamedQueryShape struct {
	Name         string  `json:"Name"`
	Description  *string `json:"Description,omitempty"`
	Database     string  `json:"Database"`
	QueryString  string  `json:"QueryString"`
	NamedQueryId string  `json:"NamedQueryId"`
	WorkGroup    string  `json:"WorkGroup"`
}

func (q *athenaNamedQuery) shape() athenaNamedQueryShape {
	return athenaNamedQueryShape{Name: q.name, Description: strPtr(q.description), Database: q.database,
		QueryString: q.query, NamedQueryId: q.id, WorkGroup: q.workGroup}
}

// sortedNamedQueries are the named queries, oldest first. Called with mu
// held.
func (a *AthenaService) sortedNamedQueries() []*athenaNamedQuery {
	list := make([]*athenaNamedQuery, 0, len(a.namedQueries))
	for _, q := range a.namedQueries {
		list = append(list, q)
	}
	slices.SortFunc(list, func(p, q *athenaNamedQuery) int { return strings.Compare(p.sortKey(), q.sortKey()) })
	return list
}

// sortKey orders named queries by creation, then id; ListNamedQueries
// pages by it.
func (q *athenaNamedQuery) sortKey() string {
	return q.created.UTC().Format("20060102150405.000000000") + "/" + q.id
}

type createNamedQueryInput struct {
	Name               string  `json:"Name"`
	Description        *string `json:"Description"`
	Database           string  `json:"Database"`
	QueryString        string  `json:"QueryString"`
	ClientRequestToken *string `json:"ClientRequestToken"`
	WorkGroup          *string `json:"WorkGroup"`
}

type createNamedQueryOutput struct {
	NamedQueryId string `json:"NamedQueryId"`
}

func (a *AthenaService) createNamedQuery(_ context.Context, in *createNamedQueryInput) (*createNamedQueryOutput, error) {
	for _, f := range []struct {
		name, v string
		max     int
	}{{"Name", in.Name, 128}, {"Database", in.Database, 255}, {"QueryString", in.QueryString, athenaMaxQuery}, {"Description", deref(in.Description), 1024}} {
		switch n := utf8.RuneCountInString(f.v); {
		case n == 0 && f.name != "Description":
			return nil, errInvalidRequest(f.name + " is required")
		case n > f.max:
			return nil, errInvalidRequest(fmt.Sprintf("%s is over %d characters", f.name, f.max))
		}
	}
	token := deref(in.ClientRequestToken)
	if token != "" && (len(token) < 32 || len(token) > 128) {
		return nil, errInvalidRequest("ClientRequestToken must be 32 to 128 characters")
	}
	q := &athenaNamedQuery{id: newQueryID(), name: in.Name, description: deref(in.Description), database: in.Database,
		query: in.QueryString, workGroup: cmp.Or(deref(in.WorkGroup), athenaPrimary), token: token, created: time.Now().UTC()}
	a.mu.Lock()
	defer a.mu.Unlock()
	wg, ok := a.workGroups[q.workGroup]
	if !ok {
		return nil, errInvalidRequest("WorkGroup " + q.workGroup + " is not found.")
	}
	if wg.disabled {
		return nil, errInvalidRequest("WorkGroup " + q.workGroup + " is disabled.")
	}
	if token != "" {
		for _, prev := range a.namedQueries {
			if prev.token != token {
				continue
			}
			if prev.name != q.name || prev.description != q.description || prev.database != q.database || prev.query != q.query || prev.workGroup != q.workGroup {
				return nil, errInvalidRequest("Idempotent parameters do not match")
			}
			return &createNamedQueryOutput{NamedQueryId: prev.id}, nil
		}
	}
	a.namedQueries[q.id] = q
	if err := a.saveNamedQueries(); err != nil {
		delete(a.namedQueries, q.id)
		return nil, err
	}
	return &createNamedQueryOutput{NamedQueryId: q.id}, nil
}
