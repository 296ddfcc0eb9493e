package emulate

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAthenaStateSurvivesRestart: workgroups, query executions (states,
// statistics, results read back from S3, client request tokens) are there
// after the service is closed and opened again over the same data dir.
func TestAthenaStateSurvivesRestart(t *testing.T) {
	state := t.TempDir()
	f := newAthenaFixture(t, &AthenaOptions{StateDir: state})
	f.ok("CreateWorkGroup", `{"Name":"analysts","Description":"desk 7","Configuration":{"ResultConfiguration":{"OutputLocation":"s3://results/analysts/"},"EnforceWorkGroupConfiguration":true}}`)

	query := f.ok("StartQueryExecution", `{"QueryString":"SELECT x, y FROM (VALUES ('a\"b', NULL), ('', 'c,d'), (NULL, '')) AS t(x, y) ORDER BY y NULLS FIRST",
		"ClientRequestToken":"tok-1","WorkGroup":"analysts"}`).Body["QueryExecutionId"].(string)
	show := f.start("SHOW TABLES")
	failed := f.start("SELECT 1/0")
	for _, id := range []string{query, show, failed} {
		f.wait(id)
	}
	before := map[string]any{}
	results := map[string][][]string{}
	for _, id := range []string{query, show, failed} {
		qe := f.ok("GetQueryExecution", `{"QueryExecutionId":"`+id+`"}`).Body["QueryExecution"].(map[string]any)
		before[id] = fmt.Sprint(jsonAt(qe, "Status"), jsonAt(qe, "StatementType"), jsonAt(qe, "ResultConfiguration"), jsonAt(qe, "WorkGroup"))
		if id != failed {
			results[id] = rows(f.ok("GetQueryResults", `{"QueryExecutionId":"`+id+`"}`))
		}
	}
	if fmt.Sprint(results[query]) != `[[x y] [a"b NULL] [NULL ] [ c,d]]` {
		t.Fatalf("results before the restart: %q", results[query])
	}
	// A query the process was running when it was killed.
	if err := os.WriteFile(filepath.Join(state, "executions", "11111111-1111-4111-8111-111111111111.json"),
		[]byte(`{"id":"11111111-1111-4111-8111-111111111111","query":"SELECT 1","work_group":"primary","output":"s3://results/q/x.csv",
		"statement_type":"DML","substatement_type":"SELECT","submitted":"2026-01-01T00:00:00Z","state":"RUNNING"}`), 0o644); err != nil {
		t.Fatal(err)
	}

	f.restart()

	wg := f.ok("GetWorkGroup", `{"WorkGroup":"analysts"}`).Body
	if jsonAt(wg, "WorkGroup", "Description") != "desk 7" || jsonAt(wg, "WorkGroup", "Configuration", "ResultConfiguration", "OutputLocation") != "s3://results/analysts/" ||
		jsonAt(wg, "WorkGroup", "Configuration", "EnforceWorkGroupConfiguration") != true {
		t.Fatalf("workgroup after a restart: %v", wg)
	}
	for _, id := range []string{query, show, failed} {
		qe := f.ok("GetQueryExecution", `{"QueryExecutionId":"`+id+`"}`).Body["QueryExecution"].(map[string]any)
		if got := fmt.Sprint(jsonAt(qe, "Status"), jsonAt(qe, "StatementType"), jsonAt(qe, "ResultConfiguration"), jsonAt(qe, "WorkGroup")); got != before[id] {
			t.Errorf("execution %s after a restart:\n%s\nwas\n%s", id, got, before[id])
		}
		if id != failed {
			if got := rows(f.ok("GetQueryResults", `{"QueryExecutionId":"`+id+`"}`)); fmt.Sprint(got) != fmt.Sprint(results[id]) {
				t.Errorf("results of %s after a restart: %q, were %q", id, got, results[id])
			}
		}
	}
	list := f.ok("ListQueryExecutions", `{}`).Body["QueryExecutionIds"].([]any)
	if fmt.Sprint(list) != fmt.Sprint([]any{failed, show, "11111111-1111-4111-8111-111111111111"}) {
		t.Errorf("ListQueryExecutions (primary) after a restart: %v", list)
	}
	again := f.ok("StartQueryExecution", `{"QueryString":"SELECT x, y FROM (VALUES ('a\"b', NULL), ('', 'c,d'), (NULL, '')) AS t(x, y) ORDER BY y NULLS FIRST",
		"ClientRequestToken":"tok-1","WorkGroup":"analysts"}`).Body["QueryExecutionId"]
	if again != query {
		t.Errorf("the same ClientRequestToken after a restart started %v, want %s", again, query)
	}
	killed := f.ok("GetQueryExecution", `{"QueryExecutionId":"11111111-1111-4111-8111-111111111111"}`).Body
	if jsonAt(killed, "QueryExecution", "Status", "State") != stateFailed ||
		!strings.Contains(jsonAt(killed, "QueryExecution", "Status", "StateChangeReason").(string), "stopped before the query finished") {
		t.Errorf("a query running when the process died: %v", killed)
	}
}
