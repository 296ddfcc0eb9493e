package emulate

import (
	"slices"
	"testing"
)

// TestAthenaUpdateAndDeleteWorkGroup: an update is seen by GetWorkGroup and
// by the queries that run in the workgroup, and survives a restart; a
// disabled workgroup runs nothing; primary cannot be deleted; a deleted
// workgroup is gone after a restart.
func TestAthenaUpdateAndDeleteWorkGroup(t *testing.T) {
	f := newAthenaFixture(t, &AthenaOptions{StateDir: t.TempDir(), OutputLocation: "s3://results/primary/"})
	f.ok("CreateWorkGroup", `{"Name":"wg","Description":"old","Configuration":{"ResultConfiguration":{"OutputLocation":"s3://results/old/"}}}`)
	f.ok("UpdateWorkGroup", `{"WorkGroup":"wg","Description":"new","ConfigurationUpdates":{"EnforceWorkGroupConfiguration":true,"ResultConfigurationUpdates":{"OutputLocation":"s3://results/new/"}}}`)
	f.ok("UpdateWorkGroup", `{"WorkGroup":"primary","State":"DISABLED"}`)
	f.restart()

	wg := f.ok("GetWorkGroup", `{"WorkGroup":"wg"}`).Body["WorkGroup"].(map[string]any)
	conf := wg["Configuration"].(map[string]any)
	if wg["Description"] != "new" || wg["State"] != "ENABLED" || conf["EnforceWorkGroupConfiguration"] != true ||
		conf["ResultConfiguration"].(map[string]any)["OutputLocation"] != "s3://results/new/" {
		t.Errorf("wg after the update and a restart = %v", wg)
	}
	id := f.ok("StartQueryExecution", `{"QueryString":"SELECT 1","WorkGroup":"wg","ResultConfiguration":{"OutputLocation":"s3://results/mine/"}}`).Body["QueryExecutionId"].(string)
	if out := f.wait(id)["ResultConfiguration"].(map[string]any)["OutputLocation"]; out != "s3://results/new/"+id+".csv" {
		t.Errorf("a query in wg wrote %v; the enforced location is s3://results/new/", out)
	}
	if st := f.ok("GetWorkGroup", `{"WorkGroup":"primary"}`).Body["WorkGroup"].(map[string]any)["State"]; st != "DISABLED" {
		t.Errorf("primary after a restart is %v; want DISABLED", st)
	}
	metaErr(t, f.call("StartQueryExecution", `{"QueryString":"SELECT 1"}`), "InvalidRequestException", "WorkGroup primary is disabled")
	metaErr(t, f.call("CreateNamedQuery", `{"Name":"n","Database":"d","QueryString":"SELECT 1"}`), "InvalidRequestException", "WorkGroup primary is disabled")
	f.ok("UpdateWorkGroup", `{"WorkGroup":"primary","State":"ENABLED","ConfigurationUpdates":{"ResultConfigurationUpdates":{"RemoveOutputLocation":true}}}`)
	metaErr(t, f.call("StartQueryExecution", `{"QueryString":"SELECT 1"}`), "InvalidRequestException", "No output location provided")
	metaErr(t, f.call("UpdateWorkGroup", `{"WorkGroup":"nope","Description":"x"}`), "InvalidRequestException", "WorkGroup nope is not found")
	metaErr(t, f.call("UpdateWorkGroup", `{"WorkGroup":"wg","State":"PAUSED"}`), "InvalidRequestException", "State")

	metaErr(t, f.call("DeleteWorkGroup", `{"WorkGroup":"primary","RecursiveDeleteOption":true}`), "InvalidRequestException", "Primary workgroup cannot be deleted")
	metaErr(t, f.call("DeleteWorkGroup", `{"WorkGroup":"nope"}`), "InvalidRequestException", "WorkGroup nope is not found")
	f.ok("DeleteWorkGroup", `{"WorkGroup":"wg"}`)
	f.restart()
	metaErr(t, f.call("GetWorkGroup", `{"WorkGroup":"wg"}`), "InvalidRequestException", "WorkGroup wg is not found")
	if got := f.ok("GetQueryExecution", `{"QueryExecutionId":"`+id+`"}`).Body["QueryExecution"].(map[string]any)["WorkGroup"]; got != "wg" {
		t.Errorf("the deleted workgroup's query execution says WorkGroup %v", got)
	}
}

// TestAthenaNamedQueries saves, lists, reads and deletes named queries, keeps
// them across a restart, and deletes a workgroup's only with
// RecursiveDeleteOption.
func TestAthenaNamedQueries(t *testing.T) {
	f := newAthenaFixture(t, &AthenaOptions{StateDir: t.TempDir()})
	f.ok("CreateWorkGroup", `{"Name":"team"}`)
	create := func(body string) string {
		t.Helper()
		return f.ok("CreateNamedQuery", body).Body["NamedQueryId"].(string)
	}
	token := `"ClientRequestToken":"0123456789abcdef0123456789abcdef"`
	a := create(`{"Name":"count","Description":"rows","Database":"stock_market","QueryString":"SELECT count(*) FROM stock_topic",` + token + `}`)
	if again := create(`{"Name":"count","Description":"rows","Database":"stock_market","QueryString":"SELECT count(*) FROM stock_topic",` + token + `}`); again != a {
		t.Errorf("the same ClientRequestToken made a second named query %s (first %s)", again, a)
	}
	metaErr(t, f.call("CreateNamedQuery", `{"Name":"other","Database":"stock_market","QueryString":"SELECT 2",`+token+`}`), "InvalidRequestException", "Idempotent parameters do not match")
	b := create(`{"Name":"max","Database":"stock_market","QueryString":"SELECT max(price) FROM stock_topic"}`)
	c := create(`{"Name":"team's","Database":"stock_market","QueryString":"SELECT 1","WorkGroup":"team"}`)
	metaErr(t, f.call("CreateNamedQuery", `{"Name":"x","Database":"stock_market"}`), "InvalidRequestException", "QueryString is required")
	metaErr(t, f.call("CreateNamedQuery", `{"Name":"x","Database":"d","QueryString":"SELECT 1","WorkGroup":"nope"}`), "InvalidRequestException", "WorkGroup nope is not found")
	f.restart()

	var ids []string
	tok := ""
	for pages := 0; ; pages++ {
		if pages > 3 {
			t.Fatal("ListNamedQueries pages on without end")
		}
		r := f.ok("ListNamedQueries", `{"MaxResults":1`+tok+`}`).Body
		page, _ := r["NamedQueryIds"].([]any)
		for _, id := range page {
			ids = append(ids, id.(string))
		}
		next, _ := r["NextToken"].(string)
		if next == "" {
			break
		}
		tok = `,"NextToken":"` + next + `"`
	}
	if want := []string{a, b}; !slices.Equal(ids, want) {
		t.Errorf("primary's named queries after a restart = %v; want %v", ids, want)
	}
	q := f.ok("GetNamedQuery", `{"NamedQueryId":"`+a+`"}`).Body["NamedQuery"].(map[string]any)
	if q["Name"] != "count" || q["Description"] != "rows" || q["Database"] != "stock_market" || q["QueryString"] != "SELECT count(*) FROM stock_topic" || q["WorkGroup"] != "primary" || q["NamedQueryId"] != a {
		t.Errorf("GetNamedQuery = %v", q)
	}
	batch := f.ok("BatchGetNamedQuery", `{"NamedQueryIds":["`+b+`","nope","`+c+`"]}`).Body
	var names []string
	for _, q := range batch["NamedQueries"].([]any) {
		names = append(names, q.(map[string]any)["Name"].(string))
	}
	un := batch["UnprocessedNamedQueryIds"].([]any)
	if !slices.Equal(names, []string{"max", "team's"}) || len(un) != 1 || un[0].(map[string]any)["NamedQueryId"] != "nope" {
		t.Errorf("BatchGetNamedQuery = %v", batch)
	}
	metaErr(t, f.call("GetNamedQuery", `{"NamedQueryId":"nope"}`), "InvalidRequestException", "NamedQuery nope was not found")

	f.ok("DeleteNamedQuery", `{"NamedQueryId":"`+a+`"}`)
	metaErr(t, f.call("DeleteNamedQuery", `{"NamedQueryId":"`+a+`"}`), "InvalidRequestException", "was not found")
	metaErr(t, f.call("DeleteWorkGroup", `{"WorkGroup":"team"}`), "InvalidRequestException", "not empty")
	f.ok("DeleteWorkGroup", `{"WorkGroup":"team","RecursiveDeleteOption":true}`)
	f.restart()
	metaErr(t, f.call("GetNamedQuery", `{"NamedQueryId":"`+c+`"}`), "InvalidRequestException", "was not found")
	metaErr(t, f.call("GetNamedQuery", `{"NamedQueryId":"`+a+`"}`), "InvalidRequestException", "was not found")
	if got, _ := f.ok("ListNamedQueries", `{}`).Body["NamedQueryIds"].([]any); len(got) != 1 || got[0] != b {
		t.Errorf("primary's named queries at the end = %v; want [%s]", got, b)
	}
}
