package duckdb_test

import (
	"math/big"
	"testing"
	"time"

	duckdbdriver "github.com/duckdb/duckdb-go/v2"

	"pipeline/catalog"
	"pipeline/sqlq/duckdb"
)

// TestHiveJSONSerDe: with HiveJSON, JSON tables read as Athena's OpenX
// SerDe reads them (as Trino's OpenX decoder does): keys without regard to
// case, the SerDe's properties, values by Hive's rules, complex columns
// typed by the table.
func TestHiveJSONSerDe(t *testing.T) {
	f := newFixture(t)
	f.write("trail/a.json", `{"eventName":"Put","EventTime":"2026-01-01T10:00:00Z","userIdentity":{"Type":"IAMUser","arn":"a"},"tags":["x","y"],"attrs":{"k":"1","j":"2"}}
{"EVENTNAME":"Get","tags":"single","attrs":"  "}
`)
	trail := catalog.NewTable(catalog.Database, "trail", loc("trail/"), catalog.FormatJSON)
	trail.Columns = cols("eventname", "string", "eventtime", "timestamp", "useridentity", "struct<type:string,arn:string>",
		"tags", "array<string>", "attrs", "map<string,int>")
	f.put(trail)

	f.write("mapped/a.json", `{"userId":"u1","user.name":"n1","USERID":"other"}`+"\n")
	mapped := catalog.NewTable(catalog.Database, "mapped", loc("mapped/"), catalog.FormatJSON)
	mapped.Columns = cols("uid", "string", "user_name", "string", "userid", "string")
	mapped.SerDeParameters = map[string]string{"case.insensitive": "false", "mapping.uid": "userId", "dots.in.keys": "true"}
	f.put(mapped)

	f.write("vals/a.json", `{"i":1.9,"b":"TRUE","d":1.005,"s":1.50,"o":{"a":[1,2]},"big":99999999999999999999,"x":"abc","h":"0x1F"}
{"i":"-7.5e1","b":"yes","d":"x","s":true,"o":[1,{"b":null}],"big":"12","x":null,"h":"010"}
not an object
`)
	vals := catalog.NewTable(catalog.Database, "vals", loc("vals/"), catalog.FormatJSON)
	vals.Columns = cols("i", "int", "b", "boolean", "d", "decimal(7,2)", "s", "string", "o", "string", "big", "bigint", "x", "double", "h", "bigint")
	f.put(vals)

	f.write("bad/a.json", `{"a":1}`+"\n"+`{"a":2`+"\n"+`{"a":3,"A":4}`+"\n"+`{"a":5}`+"\n")
	bad := catalog.NewTable(catalog.Database, "bad", loc("bad/"), catalog.FormatJSON)
	bad.Columns = cols("a", "int")
	f.put(bad)
	lenient := catalog.NewTable(catalog.Database, "lenient", loc("bad/"), catalog.FormatJSON)
	lenient.Columns = cols("a", "int")
	lenient.SerDeParameters = map[string]string{"ignore.malformed.json": "TRUE"}
	f.put(lenient)

	f.write("coerce/a.json", `{"n":{"x":1}}`+"\n")
	coerce := catalog.NewTable(catalog.Database, "coerce", loc("coerce/"), catalog.FormatJSON)
	coerce.Columns = cols("n", "bigint")
	f.put(coerce)

	eng := f.open(&duckdb.Options{HiveJSON: true})
	ts := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	assertRows(t, eng, "SELECT eventname, eventtime, useridentity.type, useridentity.arn, tags[1], len(tags), attrs['j'] FROM trail ORDER BY eventname DESC",
		[][]any{{"Put", ts, "IAMUser", "a", "x", int64(2), int64(2)}, {"Get", nil, nil, nil, "single", int64(1), nil}})
	assertRows(t, eng, "SELECT uid, user_name, userid FROM mapped", [][]any{{"u1", "n1", nil}})
	assertRows(t, eng, "SELECT i, b, CAST(d AS VARCHAR), s, o, big, x, h FROM vals",
		[][]any{
			{int64(1), true, "1.01", "1.50", `{"a":[1,2]}`, nil, nil, int64(31)},
			{int64(-75), false, nil, "true", `[1,{"b":null}]`, int64(12), nil, int64(8)},
			{nil, nil, nil, nil, nil, nil, nil, nil},
		})
	failsWith(t, eng, "SELECT count(*) FROM bad", "Row is not a valid JSON Object")
	failsWith(t, eng, "SELECT count(*) FROM bad", "line 2 of s3://lake/bad/a.json")
	assertRows(t, eng, "SELECT a FROM lenient", [][]any{{int64(1)}, {nil}, {nil}, {int64(5)}})
	failsWith(t, eng, "SELECT n FROM coerce", "a JSON object can not be coerced to a BIGINT")

	// The bytes a query read are counted.
	_, n, err := eng.QueryCounted(t.Context(), "SELECT count(*) FROM trail")
	if err != nil || n == 0 {
		t.Errorf("QueryCounted: %d bytes, %v; want the file's size", n, err)
	}
	// Without HiveJSON, DuckDB's reader matches keys exactly.
	fast := f.open(nil)
	assertRows(t, fast, "SELECT count(eventname) FROM trail", [][]any{{int64(0)}})
}

var _ = big.NewInt
var _ = duckdbdriver.Decimal{}
