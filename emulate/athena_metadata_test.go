package emulate

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"pipeline/catalog"
)

// metaErr checks that a reply is the error typ with a message holding want.
func metaErr(t *testing.T, r awsReply, typ, want string) {
	t.Helper()
	msg, _ := r.Body["Message"].(string)
	if r.Status != http.StatusBadRequest || r.errType() != typ || !strings.Contains(msg, want) {
		t.Errorf("got %d %s %q; want 400 %s with %q", r.Status, r.errType(), msg, typ, want)
	}
}

// TestAthenaDataCatalogs: the one catalog is the Glue catalog, by any case
// of its name; another name is refused as Athena refuses it.
func TestAthenaDataCatalogs(t *testing.T) {
	f := newAthenaFixture(t, nil)
	got := f.ok("ListDataCatalogs", `{}`).Body["DataCatalogsSummary"].([]any)
	if len(got) != 1 || got[0].(map[string]any)["CatalogName"] != "AwsDataCatalog" || got[0].(map[string]any)["Type"] != "GLUE" {
		t.Errorf("ListDataCatalogs = %v; want AwsDataCatalog of type GLUE only", got)
	}
	for _, name := range []string{"AwsDataCatalog", "awsdatacatalog"} {
		dc := f.ok("GetDataCatalog", `{"Name":"`+name+`"}`).Body["DataCatalog"].(map[string]any)
		if dc["Name"] != "AwsDataCatalog" || dc["Type"] != "GLUE" || dc["Parameters"].(map[string]any)["catalog-id"] != glueCatalogID {
			t.Errorf("GetDataCatalog %s = %v", name, dc)
		}
	}
	metaErr(t, f.call("GetDataCatalog", `{"Name":"nope"}`), "InvalidRequestException", "DataCatalog nope was not found")
	metaErr(t, f.call("ListDataCatalogs", `{"MaxResults":1}`), "InvalidRequestException", "MaxResults")
}

// TestAthenaDatabases lists and describes the databases Glue holds, pages
// through them, and answers a missing one as Athena does.
func TestAthenaDatabases(t *testing.T) {
	f := newAthenaFixture(t, nil)
	ctx := t.Context()
	if err := f.fc.DefineDatabase(ctx, catalog.DatabaseInfo{Name: "analytics", Description: "team tables", Parameters: map[string]string{"owner": "data"}}); err != nil {
		t.Fatal(err)
	}
	if err := f.fc.CreateDatabase(ctx, "zoo"); err != nil {
		t.Fatal(err)
	}
	var names []string
	tok := ""
	for pages := 0; ; pages++ {
		if pages > 3 {
			t.Fatal("ListDatabases pages on without end")
		}
		body := `{"CatalogName":"AwsDataCatalog","MaxResults":2` + tok + `}`
		r := f.ok("ListDatabases", body).Body
		list := r["DatabaseList"].([]any)
		if len(list) > 2 {
			t.Fatalf("page of %d databases with MaxResults 2", len(list))
		}
		for _, d := range list {
			names = append(names, d.(map[string]any)["Name"].(string))
		}
		next, _ := r["NextToken"].(string)
		if next == "" {
			break
		}
		tok = `,"NextToken":"` + next + `"`
	}
	if want := []string{"analytics", "stock_market", "zoo"}; !slices.Equal(names, want) {
		t.Errorf("ListDatabases = %v; want %v", names, want)
	}
	d := f.ok("GetDatabase", `{"CatalogName":"AwsDataCatalog","DatabaseName":"Analytics"}`).Body["Database"].(map[string]any)
	if d["Name"] != "analytics" || d["Description"] != "team tables" || d["Parameters"].(map[string]any)["owner"] != "data" {
		t.Errorf("GetDatabase analytics = %v", d)
	}
	metaErr(t, f.call("GetDatabase", `{"CatalogName":"AwsDataCatalog","DatabaseName":"nope"}`), "MetadataException",
		"Database nope not found. (Service: AmazonDataCatalog; Status Code: 400; Error Code: EntityNotFoundException;")
	metaErr(t, f.call("GetDatabase", `{"CatalogName":"other","DatabaseName":"analytics"}`), "InvalidRequestException", "DataCatalog other was not found")
	metaErr(t, f.call("ListDatabases", `{"CatalogName":"other"}`), "InvalidRequestException", "DataCatalog other was not found")
	metaErr(t, f.call("ListDatabases", `{"CatalogName":"AwsDataCatalog","MaxResults":51}`), "InvalidRequestException", "MaxResults")
}

// TestAthenaTableMetadata describes tables and views as Athena does: the
// columns, partition keys, type, and parameters with the storage settings
// folded in.
func TestAthenaTableMetadata(t *testing.T) {
	f := newAthenaFixture(t, nil)
	if qe := f.wait(f.start("CREATE VIEW aapl AS SELECT price FROM stock_topic WHERE symbol = 'AAPL'")); qe["Status"].(map[string]any)["State"] != stateSucceeded {
		t.Fatalf("CREATE VIEW: %v", qe["Status"])
	}
	m := f.ok("GetTableMetadata", `{"CatalogName":"AwsDataCatalog","DatabaseName":"stock_market","TableName":"stock_topic"}`).Body["TableMetadata"].(map[string]any)
	cols := func(v any) string {
		var s []string
		for _, c := range v.([]any) {
			s = append(s, c.(map[string]any)["Name"].(string)+" "+c.(map[string]any)["Type"].(string))
		}
		return strings.Join(s, ", ")
	}
	if got := cols(m["Columns"]); got != "symbol string, ts timestamp, price double, volume bigint" {
		t.Errorf("Columns = %s", got)
	}
	if got := cols(m["PartitionKeys"]); got != "dt string" {
		t.Errorf("PartitionKeys = %s", got)
	}
	if m["Name"] != "stock_topic" || m["TableType"] != "EXTERNAL_TABLE" || m["LastAccessTime"] != 0.0 {
		t.Errorf("Name, TableType, LastAccessTime = %v, %v, %v", m["Name"], m["TableType"], m["LastAccessTime"])
	}
	if ct, _ := m["CreateTime"].(float64); ct < 1.7e9 {
		t.Errorf("CreateTime = %v", m["CreateTime"])
	}
	params := m["Parameters"].(map[string]any)
	for k, v := range map[string]string{
		"classification": "json", "location": "s3://lake/stock_topic/",
		"inputformat": "org.apache.hadoop.mapred.TextInputFormat", "serde.serialization.lib": "org.openx.data.jsonserde.JsonSerDe",
		"serde.param.timestamp.formats": catalog.NewTable("", "", "", catalog.FormatJSON).SerDeParameters["timestamp.formats"],
	} {
		if params[k] != v {
			t.Errorf("Parameters[%s] = %v; want %q", k, params[k], v)
		}
	}
	v := f.ok("GetTableMetadata", `{"CatalogName":"awsdatacatalog","DatabaseName":"stock_market","TableName":"AAPL"}`).Body["TableMetadata"].(map[string]any)
	if v["Name"] != "aapl" || v["TableType"] != "VIRTUAL_VIEW" || cols(v["Columns"]) != "price double" {
		t.Errorf("the view = %v", v)
	}
	metaErr(t, f.call("GetTableMetadata", `{"CatalogName":"AwsDataCatalog","DatabaseName":"stock_market","TableName":"nope"}`), "MetadataException",
		"Entity Not Found (Service: AmazonDataCatalog; Status Code: 400; Error Code: EntityNotFoundException;")
	metaErr(t, f.call("GetTableMetadata", `{"CatalogName":"AwsDataCatalog","DatabaseName":"nodb","TableName":"stock_topic"}`), "MetadataException", "Database nodb not found.")
	metaErr(t, f.call("GetTableMetadata", `{"CatalogName":"hive","DatabaseName":"stock_market","TableName":"stock_topic"}`), "InvalidRequestException", "DataCatalog hive was not found")
}

// TestAthenaListTableMetadata pages through a database's tables and
// filters them by name as Athena's Expression does.
func TestAthenaListTableMetadata(t *testing.T) {
	f := newAthenaFixture(t, nil)
	for _, name := range []string{"trades", "quotes_2025", "quotes_2026"} {
		tbl := catalog.NewTable(catalog.Database, name, "s3://lake/"+name+"/", catalog.FormatParquet)
		tbl.Columns = []catalog.Column{{Name: "x", Type: "bigint", Comment: "the x"}}
		if err := f.cat.PutTable(t.Context(), tbl); err != nil {
			t.Fatal(err)
		}
	}
	list := func(extra string) []string {
		t.Helper()
		var names []string
		tok := ""
		for pages := 0; ; pages++ {
			if pages > 5 {
				t.Fatal("ListTableMetadata pages on without end")
			}
			r := f.ok("ListTableMetadata", `{"CatalogName":"AwsDataCatalog","DatabaseName":"stock_market","MaxResults":2`+extra+tok+`}`).Body
			for _, m := range r["TableMetadataList"].([]any) {
				m := m.(map[string]any)
				if _, ok := m["LastAccessTime"]; ok {
					t.Errorf("%s has a LastAccessTime; Athena lists none", m["Name"])
				}
				names = append(names, m["Name"].(string))
			}
			next, _ := r["NextToken"].(string)
			if next == "" {
				return names
			}
			tok = `,"NextToken":"` + next + `"`
		}
	}
	if got, want := list(""), []string{"quotes_2025", "quotes_2026", "stock_topic", "trades"}; !slices.Equal(got, want) {
		t.Errorf("all tables = %v; want %v", got, want)
	}
	for expr, want := range map[string][]string{
		"quotes*":           {"quotes_2025", "quotes_2026"},
		"QUOTES_2026|trad*": {"quotes_2026", "trades"},
		"quotes_202[5]":     {"quotes_2025"},
		"stock":             nil,
	} {
		if got := list(`,"Expression":"` + expr + `"`); !slices.Equal(got, want) {
			t.Errorf("Expression %q = %v; want %v", expr, got, want)
		}
	}
	m := f.ok("ListTableMetadata", `{"CatalogName":"AwsDataCatalog","DatabaseName":"stock_market","Expression":"trades"}`).Body["TableMetadataList"].([]any)[0].(map[string]any)
	if c := m["Columns"].([]any)[0].(map[string]any); c["Comment"] != "the x" || m["Parameters"].(map[string]any)["serde.serialization.lib"] != "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe" {
		t.Errorf("trades = %v", m)
	}
	metaErr(t, f.call("ListTableMetadata", `{"CatalogName":"AwsDataCatalog","DatabaseName":"stock_market","Expression":"("}`), "InvalidRequestException", "Expression")
	metaErr(t, f.call("ListTableMetadata", `{"CatalogName":"AwsDataCatalog","DatabaseName":"nodb"}`), "MetadataException", "Database nodb not found.")
	metaErr(t, f.call("ListTableMetadata", `{"CatalogName":"AwsDataCatalog","DatabaseName":"stock_market","NextToken":"!!"}`), "InvalidRequestException", "NextToken")
}
