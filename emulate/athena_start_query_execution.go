package emulate

// StartQueryExecution
//
// Differences from Athena:
//   - The statement is checked only when it runs, in DuckDB after the
//     bridges of athena_sql.go; a bad one ends FAILED with DuckDB's message.
//     Statements other than queries and CREATE TABLE AS SELECT (see
//     athena_ctas.go) end FAILED (see athena.go).
//   - ResultConfiguration is only its OutputLocation: encryption, ACLs and
//     ExpectedBucketOwner are ignored, as are ResultReuseConfiguration
//     (results are never reused) and the workgroup's other settings.
//   - A ClientRequestToken is remembered as long as its execution is (the
//     last AthenaOptions.MaxExecutions, across restarts with a StateDir).
//   - There is no limit on queued queries and no throttling.

import (
	"context"
	"fmt"
	"time"
)

type startQueryExecutionInput struct {
	QueryString           string                       `json:"QueryString"`
	ClientRequestToken    *string                      `json:"ClientRequestToken"`
	QueryExecutionContext *athenaQueryExecutionContext `json:"QueryExecutionContext"`
	ResultConfiguration   *athenaResultConfiguration   `json:"ResultConfiguration"`
	WorkGroup             *string                      `json:"WorkGroup"`
	ExecutionParameters   []string                     `json:"ExecutionParameters"`
}

type startQueryExecutionOutput struct {
	QueryExecutionId string `json:"QueryExecutionId"`
}

// athenaMaxQuery is the longest QueryString Athena takes.
const athenaMaxQuery = 262144

func (a *AthenaService) startQueryExecution(_ context.Context, in *startQueryExecutionInput) (*startQueryExecutionOutput, error) {
	if in.QueryString == "" {
		return nil, errInvalidRequest("QueryString is required")
	}
	if len(in.QueryString) > athenaMaxQuery {
		return nil, errInvalidRequest(fmt.Sprintf("QueryString is over %d bytes", athenaMaxQuery))
	}
	x := &athenaExecution{
		id:        newQueryID(),
		query:     in.QueryString,
		params:    in.ExecutionParameters,
		database:  "default",
		workGroup: athenaPrimary,
		submitted: time.Now().UTC(),
		state:     stateQueued,
		done:      make(chan struct{}),
	}
	if c := in.QueryExecutionContext; c != nil {
		if c.Database != nil && *c.Database != "" {
			x.database, x.databaseGiven = *c.Database, true
		}
		if c.Catalog != nil && *c.Catalog != "" {
			x.catalog, x.catalogGiven = *c.Catalog, true
		}
	}
	if in.WorkGroup != nil && *in.WorkGroup != "" {
		x.workGroup = *in.WorkGroup
	}
	x.stmtType, x.subType, x.runs = classifyStatement(in.QueryString)

	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return nil, &awsJSONError{Status: 500, Type: "InternalServerException", Message: "the emulated Athena service is closed"}
	}
	token := deref(in.ClientRequestToken)
	if id, ok := a.tokens[token]; ok && token != "" {
		if prev, ok := a.execs[id]; ok {
			if prev.query != in.QueryString || prev.workGroup != x.workGroup {
				return nil, errInvalidRequest("Idempotent parameters do not match")
			}
			return &startQueryExecutionOutput{QueryExecutionId: id}, nil
		}
	}
	wg, ok := a.workGroups[x.workGroup]
	if !ok {
		return nil, errInvalidRequest("WorkGroup " + x.workGroup + " is not found.")
	}
	if wg.disabled {
		return nil, errInvalidRequest("WorkGroup " + x.workGroup + " is disabled.")
	}
	output := ""
	if in.ResultConfiguration != nil {
		output = deref(in.ResultConfiguration.OutputLocation)
	}
	if wg.enforce || output == "" {
		output = wg.outputLocation
	}
	if output == "" {
		return nil, errInvalidRequest("No output location provided. An output location is required either through the Workgroup result configuration setting or as an API input.")
	}
	if _, _, err := parseS3URI(output); err != nil {
		return nil, errInvalidRequest("OutputLocation: " + err.Error())
	}
	x.output = resultLocation(output, x.id, x.stmtType)

	ctx, cancel := context.WithCancel(a.ctx)
	x.cancel = cancel
	x.token = token
	a.add(x)
	if token != "" {
		a.tokens[token] = x.id
	}
	a.saveExecution(x)
	a.runs.Add(1)
	go a.run(ctx, x)
	return &startQueryExecutionOutput{QueryExecutionId: x.id}, nil
}
