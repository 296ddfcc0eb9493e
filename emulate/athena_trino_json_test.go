package emulate

import "testing"

// TestAthenaTrinoJSON: JSON functions answer as Trino's, or refuse.
func TestAthenaTrinoJSON(t *testing.T) {
	f := newAthenaFixture(t, nil)
	for _, c := range []struct{ sql, want string }{
		// JSON inside arrays, maps and rows prints as its JSON text.
		{`SELECT ARRAY[json_parse('"x"'), json_parse('null'), json_parse('[1,"y"]')]`, `["x", null, [1,"y"]]`},
		{`SELECT CAST(json_parse('{"a": "x", "b": [1, 2]}') AS map(varchar, json))`, `{a="x", b=[1,2]}`},
		{`SELECT CAST(json_parse('["x", 2]') AS array(json))`, `["x", 2]`},
		{`SELECT CAST(json_parse('{"a":"x","a b":[1]}') AS ROW(a json, "a b" json)), json_parse('"y"')`, `{a="x", a b=[1]}|"y"`},
		// Trino's JSON path: $ then .key, [key] or ["key"]; a step of
		// digits is an index into an array and a key of an object.
		{`SELECT json_extract('{"a":[10,20]}', '$.a.1'), json_extract('{"a":{"0":5}}', '$.a[0]'), json_extract('{"a b":5}', '$["a b"]'), json_extract_scalar('{"a":{"k:v":"x"}}', '$.a.k:v')`, `20|5|5|x`},
		{`SELECT json_extract('{"a":[1,2]}', '$'), json_extract('{"a/b~":1}', '$["a/b~"]'), json_extract('{"a":[1]}', '$.b'), json_extract('[1]', '$.x')`, `{"a":[1,2]}|1|NULL|NULL`},
		{`SELECT json_extract('{"a":[1,2]}', '$[*]')`, `ERR INVALID_FUNCTION_ARGUMENT: Invalid JSON path: '$[*]'`},
		{`SELECT json_extract_scalar('{"a":{"b":1}}', '$..b')`, `ERR INVALID_FUNCTION_ARGUMENT: Invalid JSON path: '$..b'`},
		{`SELECT json_extract('{"a":1}', 'a')`, `ERR INVALID_FUNCTION_ARGUMENT: Invalid JSON path: 'a'`},
		{`SELECT json_extract('{"a":1}', '$.a-b')`, `ERR INVALID_FUNCTION_ARGUMENT: Invalid JSON path: '$.a-b'`},
		{`SELECT json_size('{"x": {"a": 1, "b": 2}}', '$.x'), json_size('{"x": [1, 2, 3]}', '$.x'), json_size('{"x": 1}', '$.x'), json_size('{"x": 1}', '$.y'), json_size('[1, [2]]', '$[1]')`, `2|3|0|NULL|1`},
		{`SELECT json_size(symbol, '$.x'), json_extract_scalar(symbol, '$.x'), json_extract(symbol, '$.x'), json_size(NULL, '$'), json_size('[1]', NULL) FROM stock_topic`, `NULL|NULL|NULL|NULL|NULL`},
		{`SELECT json_size('{"x": 1}', '$[*]')`, `ERR INVALID_FUNCTION_ARGUMENT: Invalid JSON path: '$[*]'`},
		{`SELECT json_extract('[1,2]', '$[+1]')`, `ERR INVALID_FUNCTION_ARGUMENT: Invalid JSON path`},
		{`SELECT json_extract('[1,2]', '$["01"]')`, `ERR NOT_SUPPORTED: the JSON path step "01"`},
		{`SELECT json_extract(symbol, symbol) FROM stock_topic`, `ERR NOT_SUPPORTED: json_extract with a path that is not a string literal`},
		// Numbers: json_extract_scalar answers a number as written; a JSON
		// value's doubles are written as Java writes them.
		{`SELECT json_extract_scalar('{"a":1.5,"b":[2.0]}', '$.a'), json_extract_scalar('{"a":12,"b":1.50}', '$.a'), json_parse('[2.0, 1.5, 0.001]'), json_extract('{"a":[2.0,0.5]}', '$.a'), json_size('[1.5]', '$')`, `1.5|12|[2.0,1.5,0.001]|[2.0,0.5]|1`},
		{`SELECT json_extract_scalar('{"a":1.50}', '$.a')`, `ERR NOT_SUPPORTED: json_extract_scalar of a JSON number`},
		{`SELECT json_extract_scalar('{"a":1e2}', '$.a')`, `ERR NOT_SUPPORTED: json_extract_scalar of a JSON number`},
		{`SELECT json_extract_scalar('{"a":-0}', '$.a')`, `ERR NOT_SUPPORTED: json_extract_scalar of a JSON number`},
		{`SELECT json_parse('[1e7]')`, `ERR NOT_SUPPORTED: json_parse of a JSON number of 1e7 or more`},
		{`SELECT json_extract('{"a":0.0001}', '$.a')`, `ERR NOT_SUPPORTED: json_extract of a JSON number of 1e7 or more`},
		// json_parse sorts an object's keys.
		{`SELECT json_parse('{"a":{"c":1,"d":[{"e":1,"f":2}]},"b":2}'), json_extract(json_parse('{"a":{"0":5}}'), '$.a[0]')`, `{"a":{"c":1,"d":[{"e":1,"f":2}]},"b":2}|5`},
		{`SELECT json_parse('{"b":1,"a":2}')`, `ERR NOT_SUPPORTED: json_parse of an object whose keys are not in sorted order`},
		{`SELECT json_parse('[{"a":1,"a":2}]')`, `ERR NOT_SUPPORTED: json_parse of an object whose keys are not in sorted order`},
		{`SELECT JSON '{"a":1,"b":{"c":[1,{"d":1,"e":2}]}}', json_size(JSON '{"a":1,"b":2}', '$')`, `{"a":1,"b":{"c":[1,{"d":1,"e":2}]}}|2`},
		{`SELECT JSON '{"a":{"c":1,"b":[]}}'`, `ERR NOT_SUPPORTED: a JSON literal with an object whose keys are not in sorted order`},
		{`SELECT JSON '[{"a":[{"y":1,"x":2}]}]'`, `ERR NOT_SUPPORTED: a JSON literal with an object whose keys are not in sorted order`},
		{`SELECT JSON '{"a":1,"a":1}'`, `ERR NOT_SUPPORTED: a JSON literal with an object whose keys are not in sorted order`},
		{`SELECT JSON '[1e300]'`, `ERR NOT_SUPPORTED: a JSON literal with a number`},
		// A JSON object cast to a ROW: keys matched without regard to case,
		// others ignored, missing ones NULL; a JSON array by position.
		{`SELECT CAST(json_parse('{"A":1,"b":"x","c":3}') AS ROW(a integer, b varchar, d integer))`, `{a=1, b=x, d=null}`},
		{`SELECT CAST(json_parse('[1, "x"]') AS ROW(a bigint, b varchar)), CAST(json_parse('null') AS ROW(a integer)), CAST(json_parse('{"a":2.5}') AS ROW(a integer))`, `{a=1, b=x}|NULL|{a=3}`},
		{`SELECT CAST(json_parse('[1]') AS ROW(a integer, b integer))`, `ERR INVALID_CAST_ARGUMENT: Cannot cast to row`},
		{`SELECT TRY_CAST(json_parse('[1]') AS ROW(a integer, b integer)), TRY_CAST(json_parse('{"a":"x"}') AS ROW(a integer)), TRY_CAST(json_parse('{"A":1}') AS ROW(a integer))`, `NULL|NULL|{a=1}`},
		{`SELECT CAST(json_parse('{"a":"x"}') AS ROW(a integer))`, `ERR Cannot cast 'x' to INTEGER`},
		{`SELECT CAST(json_parse('{"A":1,"a":2}') AS ROW(a integer))`, `ERR INVALID_CAST_ARGUMENT: Cannot cast to row: Duplicate field: a`},
		// A map cast to JSON is an object of its keys in sorted order.
		{`SELECT CAST(MAP(ARRAY['b', 'a', 'C'], ARRAY[1, 2, 3]) AS json), CAST(MAP(ARRAY['x'], ARRAY[json_parse('[1]')]) AS json)`, `{"C":3,"a":2,"b":1}|{"x":[1]}`},
		{`SELECT CAST(MAP(ARRAY[10, 9], ARRAY[1, 2]) AS json)`, `ERR NOT_SUPPORTED: a cast to JSON of a map inside an array or row, or keyed by other than varchar`},
		{`SELECT CAST(ARRAY[MAP(ARRAY['b', 'a'], ARRAY[1, 2])] AS json)`, `ERR NOT_SUPPORTED: a cast to JSON of a map inside an array or row, or keyed by other than varchar`},
		// A ROW without field names cast to JSON; json_format of a varchar.
		{`SELECT CAST(ROW(1, 'a') AS json)`, `ERR NOT_SUPPORTED: a cast of a ROW without field names to JSON`},
		{`SELECT CAST(ARRAY[ROW(1, 'a')] AS json)`, `ERR NOT_SUPPORTED: a cast of a ROW without field names to JSON`},
		{`SELECT json_format('[1]')`, `ERR TYPE_MISMATCH: a value of type varchar is used where json is expected`},
		{`SELECT json_format(symbol) FROM stock_topic`, `ERR TYPE_MISMATCH: a value of type varchar is used where json is expected`},
		{`SELECT json_format(json_parse('[1,"a"]')), json_format(json_extract('{"a":{"b":"c"}}', '$.a')), json_format(CAST(symbol AS json)), json_format(json_extract('{"a b":[1]}', '$["a b"]')) FROM stock_topic`, `[1,"a"]|{"b":"c"}|"AAPL"|[1]`},
	} {
		f.checkFirstRow(t, c.sql, c.want)
	}
}
