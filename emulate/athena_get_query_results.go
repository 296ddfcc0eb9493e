package emulate

// GetQueryResults
//
// Differences from Athena:
//   - Results are served from memory, not read back from the result file in
//     S3 (deleting or changing it does not change them), except after a
//     restart, when they are read from it; they are gone once the execution
//     is forgotten (see GetQueryExecution).
//   - ColumnInfo is derived from DuckDB's result types: CatalogName is
//     "hive", SchemaName and TableName are empty, Nullable is UNKNOWN, and
//     Precision is a fixed value per type. An array, map or row column's
//     Type is "array", "map" or "row", as Athena's is.
//   - Values are DuckDB's, rendered as Athena renders them (see
//     athenaText); a timestamp keeps DuckDB's sub-millisecond digits if it
//     has any, where Athena would show exactly the type's precision.
//   - A SHOW, DESCRIBE or EXPLAIN result has no header row, as Athena's
//     utility statements have none; its columns are DuckDB's.
//   - QueryResultType is ignored (there are no data manifests).
//   - A CREATE TABLE AS SELECT has no columns or rows; UpdateCount is the
//     number of rows it wrote.

import (
	"context"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
)

type getQueryResultsInput struct {
	QueryExecutionId string  `json:"QueryExecutionId"`
	NextToken        *string `json:"NextToken"`
	MaxResults       *int32  `json:"MaxResults"`
}

type athenaDatum struct {
	VarCharValue *string `json:"VarCharValue,omitempty"`
}

type athenaRow struct {
	Data []athenaDatum `json:"Data"`
}

type athenaResultSetMetadata struct {
	ColumnInfo []athenaColumnInfo `json:"ColumnInfo"`
}

type athenaResultSet struct {
	Rows              []athenaRow             `json:"Rows"`
	ResultSetMetadata athenaResultSetMetadata `json:"ResultSetMetadata"`
}

type getQueryResultsOutput struct {
	UpdateCount int64           `json:"UpdateCount"`
	ResultSet   athenaResultSet `json:"ResultSet"`
	NextToken   *string         `json:"NextToken,omitempty"`
}

// athenaMaxResults is the most rows a page has, and the default.
const athenaMaxResults = 1000

func (a *AthenaService) getQueryResults(_ context.Context, in *getQueryResultsInput) (*getQueryResultsOutput, error) {
	x, err := a.lookup(in.QueryExecutionId)
	if err != nil {
		return nil, err
	}
	limit := athenaMaxResults
	if in.MaxResults != nil {
		if *in.MaxResults < 1 || *in.MaxResults > athenaMaxResults {
			return nil, errInvalidRequest(fmt.Sprintf("MaxResults %d is not between 1 and %d", *in.MaxResults, athenaMaxResults))
		}
		limit = int(*in.MaxResults)
	}
	off, err := parseResultsToken(in.NextToken, x.id)
	if err != nil {
		return nil, err
	}

	a.mu.Lock()
	state, res := x.state, x.result
	a.mu.Unlock()
	switch state {
	case stateSucceeded:
	case stateQueued, stateRunning:
		return nil, errInvalidRequest("Query has not yet finished. Current state: " + state)
	default:
		return nil, errInvalidRequest("Query did not finish successfully. Final query state: " + state)
	}
	if res == nil { // an execution of an earlier process: its rows are in S3
		rows, err := a.storedRows(x)
		if err != nil {
			return nil, err
		}
		res = &athenaResult{columns: x.stored.columns, header: x.stored.header, rows: rows, updateCount: x.stored.updateCount}
	}

	// Results are immutable once SUCCEEDED: no lock needed from here.
	off = min(off, len(res.rows))
	end := min(off+limit, len(res.rows))
	out := &getQueryResultsOutput{UpdateCount: res.updateCount, ResultSet: athenaResultSet{
		Rows:              make([]athenaRow, 0, end-off),
		ResultSetMetadata: athenaResultSetMetadata{ColumnInfo: res.columns},
	}}
	if out.ResultSet.ResultSetMetadata.ColumnInfo == nil {
		out.ResultSet.ResultSetMetadata.ColumnInfo = []athenaColumnInfo{}
	}
	for _, row := range res.rows[off:end] {
		data := make([]athenaDatum, len(row))
		for i, v := range row {
			data[i] = athenaDatum{VarCharValue: v}
		}
		out.ResultSet.Rows = append(out.ResultSet.Rows, athenaRow{Data: data})
	}
	if end < len(res.rows) {
		tok := base64.RawURLEncoding.EncodeToString([]byte(x.id + "/" + strconv.Itoa(end)))
		out.NextToken = &tok
	}
	return out, nil
}

// parseResultsToken returns the row offset a NextToken of query id's
// results stands for; no token is 0.
func parseResultsToken(tok *string, id string) (int, error) {
	if tok == nil || *tok == "" {
		return 0, nil
	}
	bad := errInvalidRequest("NextToken is not one GetQueryResults returned for query " + id)
	b, err := base64.RawURLEncoding.DecodeString(*tok)
	if err != nil {
		return 0, bad
	}
	tid, n, ok := strings.Cut(string(b), "/")
	off, err := strconv.Atoi(n)
	if !ok || tid != id || err != nil || off < 0 {
		return 0, bad
	}
	return off, nil
}
