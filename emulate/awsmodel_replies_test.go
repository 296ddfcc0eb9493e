package emulate

import (
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"pipeline/catalog"
	"slices"
	"strings"
	"testing"
	"time"
)

// modelChecker calls operations and checks each reply against the AWS
// model of its service, remembering which operations answered 200.
type modelChecker struct {
	t      *testing.T
	model  *awsModel
	call   func(op, body string) awsReply
	served map[string]bool
}

func (c *modelChecker) do(op, body string) awsReply {
	c.t.Helper()
	r := c.call(op, body)
	for _, p := range c.model.checkReply(op, r.Status, r.Body) {
		c.t.Errorf("%s %s: %s", op, body, p)
	}
	if r.Status == http.StatusOK {
		c.served[op] = true
	}
	return r
}

// ok is do for a call that must succeed.
func (c *modelChecker) ok(op, body string) awsReply {
	c.t.Helper()
	r := c.do(op, body)
	if r.Status != http.StatusOK {
		c.t.Fatalf("%s %s = %d %v", op, body, r.Status, r.Body)
	}
	return r
}

// covered fails for each operation the emulator serves that never
// answered 200 here.
func (c *modelChecker) covered(ops []string) {
	c.t.Helper()
	for _, op := range ops {
		if !c.served[op] {
			c.t.Errorf("%s is served but no reply of it was checked against the model", op)
		}
	}
}

// TestGlueRepliesMatchAWSModel calls every Glue operation the emulator
// serves, successes and errors, and checks each reply against AWS's model
// of Glue: members, types, required members, enums, bounds; and that an
// error is one the operation declares.
func TestGlueRepliesMatchAWSModel(t *testing.T) {
	dir := t.TempDir()
	fc, err := catalog.OpenFileCatalog(filepath.Join(dir, "catalog"))
	if err != nil {
		t.Fatal(err)
	}
	g := mustGlue(t, fc, &GlueOptions{StateDir: filepath.Join(dir, "glue"), Crawl: func(ctx context.Context, db, path string) error {
		<-ctx.Done()
		return ctx.Err()
	}})
	defer g.Close()
	c := &modelChecker{t: t, model: loadModel(t, "glue"), served: map[string]bool{},
		call: func(op, body string) awsReply { return callGlue(t, g, op, body) }}

	c.ok("CreateDatabase", `{"DatabaseInput":{"Name":"db","Description":"d","LocationUri":"s3://b/db/","Parameters":{"k":"v"}}}`)
	c.do("CreateDatabase", `{"DatabaseInput":{"Name":"db"}}`)
	c.ok("GetDatabase", `{"Name":"db"}`)
	c.do("GetDatabase", `{"Name":"nope"}`)
	c.ok("UpdateDatabase", `{"Name":"db","DatabaseInput":{"Name":"db","Description":"e"}}`)
	c.ok("GetDatabases", `{"MaxResults":1}`)
	table := `{"DatabaseName":"db","TableInput":{"Name":"t","Description":"ticks","TableType":"EXTERNAL_TABLE","Parameters":{"classification":"json"},
		"PartitionKeys":[{"Name":"dt","Type":"string","Comment":"day"}],
		"StorageDescriptor":{"Columns":[{"Name":"symbol","Type":"string"},{"Name":"price","Type":"double"}],"Location":"s3://b/t/",
		"InputFormat":"org.apache.hadoop.mapred.TextInputFormat","OutputFormat":"org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
		"SerdeInfo":{"SerializationLibrary":"org.openx.data.jsonserde.JsonSerDe","Parameters":{"a":"b"}}}}}`
	c.ok("CreateTable", table)
	c.do("CreateTable", table)
	c.ok("UpdateTable", strings.Replace(table, `"ticks"`, `"all ticks"`, 1))
	c.ok("CreateTable", `{"DatabaseName":"db","TableInput":{"Name":"v","TableType":"VIRTUAL_VIEW","ViewOriginalText":"/* Presto View: e30= */","ViewExpandedText":"/* Presto View */",
		"StorageDescriptor":{"Columns":[{"Name":"x","Type":"bigint"}]}}}`)
	c.ok("GetTable", `{"DatabaseName":"db","Name":"t"}`)
	c.ok("GetTable", `{"DatabaseName":"db","Name":"v"}`)
	c.do("GetTable", `{"DatabaseName":"db","Name":"nope"}`)
	c.ok("GetTables", `{"DatabaseName":"db","MaxResults":1}`)
	c.do("GetTables", `{"DatabaseName":"db","MaxResults":1000}`)
	c.ok("GetTableVersions", `{"DatabaseName":"db","TableName":"t"}`)
	c.ok("GetTableVersion", `{"DatabaseName":"db","TableName":"t","VersionId":"1"}`)
	c.ok("BatchCreatePartition", `{"DatabaseName":"db","TableName":"t","PartitionInputList":[{"Values":["2026-12-05"],"StorageDescriptor":{"Location":"s3://b/t/dt=2026-12-05/"}},{"Values":["a","b"]}]}`)
	c.ok("CreatePartition", `{"DatabaseName":"db","TableName":"t","PartitionInput":{"Values":["2026-12-06"],"StorageDescriptor":{"Location":"s3://b/t/dt=2026-12-06/"}}}`)
	c.do("CreatePartition", `{"DatabaseName":"db","TableName":"t","PartitionInput":{"Values":["2026-12-06"]}}`)
	c.ok("GetPartition", `{"DatabaseName":"db","TableName":"t","PartitionValues":["2026-12-06"]}`)
	c.do("GetPartition", `{"DatabaseName":"db","TableName":"t","PartitionValues":["1999-01-01"]}`)
	c.ok("GetPartitions", `{"DatabaseName":"db","TableName":"t","Expression":"dt >= '2026-12-06'","MaxResults":1}`)
	c.ok("GetPartitions", `{"DatabaseName":"db","TableName":"t","ExcludeColumnSchema":true}`)
	c.do("GetPartitions", `{"DatabaseName":"db","TableName":"t","Expression":"nope = 1"}`)
	c.ok("BatchGetPartition", `{"DatabaseName":"db","TableName":"t","PartitionsToGet":[{"Values":["2026-12-05"]},{"Values":["x"]}]}`)
	c.ok("BatchDeletePartition", `{"DatabaseName":"db","TableName":"t","PartitionsToDelete":[{"Values":["2026-12-05"]},{"Values":["x"]}]}`)
	c.ok("DeletePartition", `{"DatabaseName":"db","TableName":"t","PartitionValues":["2026-12-06"]}`)
	c.do("DeletePartition", `{"DatabaseName":"db","TableName":"t","PartitionValues":["2026-12-06"]}`)

	c.ok("CreateCrawler", `{"Name":"c","Role":"arn:aws:iam::000000000000:role/r","DatabaseName":"db","Description":"d","TablePrefix":"p_",
		"Targets":{"S3Targets":[{"Path":"s3://b/t/","Exclusions":["**.tmp"]}]}}`)
	c.do("CreateCrawler", `{"Name":"c","Role":"r","Targets":{"S3Targets":[{"Path":"s3://b/t/"}]}}`)
	c.ok("GetCrawler", `{"Name":"c"}`)
	c.do("StopCrawler", `{"Name":"c"}`)
	c.ok("StartCrawler", `{"Name":"c"}`)
	c.do("StartCrawler", `{"Name":"c"}`)
	c.ok("GetCrawlers", `{}`) // RUNNING, with CrawlElapsedTime
	c.ok("ListCrawlers", `{"MaxResults":1}`)
	c.ok("StopCrawler", `{"Name":"c"}`)
	deadline := time.Now().Add(10 * time.Second)
	for callGlue(t, g, "GetCrawler", `{"Name":"c"}`).Body["Crawler"].(map[string]any)["State"] != crawlerReady {
		if time.Now().After(deadline) {
			t.Fatal("the crawler did not stop")
		}
		time.Sleep(5 * time.Millisecond)
	}
	c.ok("GetCrawler", `{"Name":"c"}`) // with LastCrawl
	c.ok("DeleteCrawler", `{"Name":"c"}`)
	c.do("DeleteCrawler", `{"Name":"c"}`)
	c.ok("DeleteTable", `{"DatabaseName":"db","Name":"v"}`)
	c.do("DeleteTable", `{"DatabaseName":"db","Name":"v"}`)
	c.ok("DeleteDatabase", `{"Name":"db"}`)
	c.do("DeleteDatabase", `{"Name":"db"}`)
	c.covered(servedOperations("glue"))
}

// TestAthenaRepliesMatchAWSModel is TestGlueRepliesMatchAWSModel for
// Athena.
func TestAthenaRepliesMatchAWSModel(t *testing.T) {
	f := newAthenaFixture(t, &AthenaOptions{StateDir: t.TempDir()})
	f.addPartition("2026-11-27")
	c := &modelChecker{t: t, model: loadModel(t, "athena"), served: map[string]bool{}, call: f.call}

	c.ok("CreateWorkGroup", `{"Name":"wg","Description":"d","Configuration":{"ResultConfiguration":{"OutputLocation":"s3://results/wg/"},"EnforceWorkGroupConfiguration":true}}`)
	c.do("CreateWorkGroup", `{"Name":"wg"}`)
	c.ok("GetWorkGroup", `{"WorkGroup":"wg"}`)
	c.ok("GetWorkGroup", `{"WorkGroup":"primary"}`)
	c.do("GetWorkGroup", `{"WorkGroup":"nope"}`)
	c.ok("ListWorkGroups", `{"MaxResults":1}`)

	c.ok("ListDataCatalogs", `{}`)
	c.do("ListDataCatalogs", `{"MaxResults":1}`)
	c.ok("GetDataCatalog", `{"Name":"AwsDataCatalog"}`)
	c.do("GetDataCatalog", `{"Name":"nope"}`)
	c.ok("ListDatabases", `{"CatalogName":"AwsDataCatalog","MaxResults":1}`)
	c.do("ListDatabases", `{"CatalogName":"nope"}`)
	c.ok("GetDatabase", `{"CatalogName":"AwsDataCatalog","DatabaseName":"stock_market"}`)
	c.do("GetDatabase", `{"CatalogName":"AwsDataCatalog","DatabaseName":"nope"}`)
	c.ok("GetTableMetadata", `{"CatalogName":"AwsDataCatalog","DatabaseName":"stock_market","TableName":"stock_topic"}`)
	c.do("GetTableMetadata", `{"CatalogName":"AwsDataCatalog","DatabaseName":"stock_market","TableName":"nope"}`)
	c.ok("ListTableMetadata", `{"CatalogName":"AwsDataCatalog","DatabaseName":"stock_market","Expression":"stock*","MaxResults":1}`)
	c.do("ListTableMetadata", `{"CatalogName":"AwsDataCatalog","DatabaseName":"nope"}`)
	c.ok("UpdateWorkGroup", `{"WorkGroup":"wg","Description":"e","State":"ENABLED","ConfigurationUpdates":{"ResultConfigurationUpdates":{"OutputLocation":"s3://results/wg2/"}}}`)
	c.do("UpdateWorkGroup", `{"WorkGroup":"nope"}`)
	c.ok("CreateWorkGroup", `{"Name":"gone"}`)
	nq := c.ok("CreateNamedQuery", `{"Name":"n","Description":"d","Database":"stock_market","QueryString":"SELECT 1","WorkGroup":"gone"}`).Body["NamedQueryId"].(string)
	c.do("CreateNamedQuery", `{"Name":"n","Database":"stock_market","QueryString":"SELECT 1","WorkGroup":"nope"}`)
	c.ok("GetNamedQuery", `{"NamedQueryId":"`+nq+`"}`)
	c.do("GetNamedQuery", `{"NamedQueryId":"nope"}`)
	c.ok("BatchGetNamedQuery", `{"NamedQueryIds":["`+nq+`","nope"]}`)
	c.ok("ListNamedQueries", `{"WorkGroup":"gone","MaxResults":1}`)
	c.ok("ListNamedQueries", `{}`)
	c.do("DeleteWorkGroup", `{"WorkGroup":"gone"}`)
	c.do("DeleteWorkGroup", `{"WorkGroup":"primary"}`)
	c.ok("DeleteNamedQuery", `{"NamedQueryId":"`+nq+`"}`)
	c.do("DeleteNamedQuery", `{"NamedQueryId":"`+nq+`"}`)
	c.ok("DeleteWorkGroup", `{"WorkGroup":"gone","RecursiveDeleteOption":true}`)

	queries := []string{
		"SELECT symbol, ts, price, volume, dt, 7/2 AS i, 1.0/3 AS d, ARRAY[1, 2] AS a, MAP(ARRAY['k'], ARRAY[1]) AS m, ROW(1, 'x') AS r, DATE '2026-01-01' AS day, true AS b FROM stock_topic",
		"SHOW TABLES", "DESCRIBE stock_topic", "SHOW CREATE TABLE stock_topic", "EXPLAIN SELECT 1",
		"CREATE TABLE copy WITH (format = 'PARQUET') AS SELECT symbol, price FROM stock_topic",
		"CREATE EXTERNAL TABLE ext (a int) LOCATION 's3://lake/ext/'", "MSCK REPAIR TABLE stock_topic",
		"SELECT 1/0", "SELECT nope", "INSERT INTO stock_topic SELECT * FROM stock_topic",
	}
	var ids []any
	for _, q := range queries {
		b, _ := json.Marshal(map[string]any{"QueryString": q, "QueryExecutionContext": map[string]string{"Database": "stock_market", "Catalog": "AwsDataCatalog"},
			"ResultConfiguration": map[string]string{"OutputLocation": "s3://results/q/"}, "ClientRequestToken": "token-" + q})
		id := c.ok("StartQueryExecution", string(b)).Body["QueryExecutionId"].(string)
		ids = append(ids, id)
		f.wait(id)
		c.ok("GetQueryExecution", `{"QueryExecutionId":"`+id+`"}`)
		c.do("GetQueryResults", `{"QueryExecutionId":"`+id+`","MaxResults":2}`)
	}
	c.do("StartQueryExecution", `{"QueryString":"SELECT 1","WorkGroup":"nope"}`)
	c.do("GetQueryExecution", `{"QueryExecutionId":"00000000-0000-0000-0000-000000000000"}`)
	c.do("GetQueryResults", `{"QueryExecutionId":"00000000-0000-0000-0000-000000000000"}`)
	b, _ := json.Marshal(map[string]any{"QueryExecutionIds": append(slices.Clone(ids), "00000000-0000-0000-0000-000000000000")})
	c.ok("BatchGetQueryExecution", string(b))
	c.ok("ListQueryExecutions", `{"MaxResults":2}`)
	c.ok("ListQueryExecutions", `{"WorkGroup":"wg"}`)
	c.ok("StopQueryExecution", `{"QueryExecutionId":"`+ids[0].(string)+`"}`)
	c.do("StopQueryExecution", `{"QueryExecutionId":"00000000-0000-0000-0000-000000000000"}`)
	c.covered(servedOperations("athena"))

	// After a restart the executions and their results are read back.
	f.restart()
	c.call = f.call
	for _, id := range ids {
		c.ok("GetQueryExecution", `{"QueryExecutionId":"`+id.(string)+`"}`)
		c.do("GetQueryResults", `{"QueryExecutionId":"`+id.(string)+`"}`)
	}
}
