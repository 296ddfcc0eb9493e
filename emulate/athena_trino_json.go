package emulate

// JSON in the emulated Athena: Trino's JSON path rules, and refusals where
// DuckDB would print a JSON value otherwise than Trino does.

import (
	"encoding/json"
	"fmt"
	"pipeline/catalog"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// jsonPointer reads path as Trino's json_extract, json_extract_scalar and
// json_size read it ($, then .key, [key] or ["key"] steps; a key of
// letters, digits, _ and, after a dot, :) and writes it as a JSON pointer
// (RFC 6901), which DuckDB reads with Trino's rule for a step of digits:
// an index into an array, a key of an object.
func jsonPointer(path string) (string, error) {
	invalid := &errSQL{fmt.Sprintf("INVALID_FUNCTION_ARGUMENT: Invalid JSON path: '%s'", path)}
	rest, ok := strings.CutPrefix(path, "$")
	if !ok {
		return "", invalid
	}
	var b strings.Builder
	for rest != "" {
		var step string
		switch {
		case rest[0] == '.':
			step, rest = cutWhile(rest[1:], func(r rune) bool { return r == ':' || keyRune(r) })
		case strings.HasPrefix(rest, `["`):
			end := strings.IndexByte(rest[2:], '"')
			if end < 0 || !strings.HasPrefix(rest[2+end:], `"]`) {
				return "", invalid
			}
			step, rest = rest[2:2+end], rest[2+end+2:]
			if strings.Contains(step, `\`) {
				// Trino versions differ on escapes in a quoted step.
				return "", &errSQL{"NOT_SUPPORTED: a backslash in a quoted JSON path step is not emulated"}
			}
			b.WriteString("/" + pointerEscape(step))
			continue
		case rest[0] == '[':
			step, rest = cutWhile(rest[1:], keyRune)
			if !strings.HasPrefix(rest, "]") {
				return "", invalid
			}
			rest = rest[1:]
		default:
			return "", invalid
		}
		if step == "" {
			return "", invalid
		}
		b.WriteString("/" + pointerEscape(step))
	}
	out := b.String()
	for _, step := range strings.Split(out, "/")[1:] {
		// Trino reads a step as an index as Java's Integer.parseInt does:
		// a sign, leading zeros and other scripts' digits too, which a JSON
		// pointer does not.
		if n, err := strconv.ParseInt(step, 10, 32); err == nil && strconv.FormatInt(n, 10) != step ||
			strings.IndexFunc(step, func(r rune) bool { return r > unicode.MaxASCII && unicode.IsDigit(r) }) >= 0 {
			return "", &errSQL{fmt.Sprintf("NOT_SUPPORTED: the JSON path step %q is not emulated (Athena reads it as an array index): write the index without a sign or leading zeros", step)}
		}
	}
	return out, nil
}

// keyRune says whether Java's Character.isLetterOrDigit holds for r, a
// character of an unquoted path step (Java's char: a rune beyond the
// Basic Multilingual Plane is two chars, neither a letter).
func keyRune(r rune) bool {
	return r == '_' || r <= 0xFFFF && (unicode.IsLetter(r) || unicode.IsDigit(r))
}

// cutWhile splits s after its longest prefix of runes ok holds for.
func cutWhile(s string, ok func(rune) bool) (string, string) {
	i := strings.IndexFunc(s, func(r rune) bool { return !ok(r) })
	if i < 0 {
		return s, ""
	}
	return s[:i], s[i:]
}

func pointerEscape(step string) string {
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(step)
}

// sqlText is s as a SQL string literal.
func sqlText(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// jsonPathBridge is json_extract, json_extract_scalar or json_size (fn)
// with a constant path, made by build from the JSON pointer's literal.
// Of text that is not JSON, Trino's are NULL; DuckDB's fail the query.
func jsonPathBridge(fn string, build func(pointer string) string) func(*trinoQuery, astNode, []any) (any, error) {
	return func(q *trinoQuery, n astNode, args []any) (any, error) {
		if len(args) != 2 {
			return nil, &errSQL{fmt.Sprintf("FUNCTION_NOT_FOUND: %s takes a JSON value and a path", fn)}
		}
		if c, ok := args[1].(astNode); ok && class(c) == "CONSTANT" && at(c, "value", "is_null") == true {
			return q.fill("CAST(NULL AS "+map[bool]string{true: "BIGINT", false: "VARCHAR"}[fn == "json_size"]+")", nil, n)
		}
		path, ok := constantString(args[1])
		if c, _ := args[1].(astNode); !ok && class(c) == "CONSTANT" {
			return nil, &errSQL{fmt.Sprintf("FUNCTION_NOT_FOUND: Unexpected parameters for a function of this query: %s takes a varchar path", fn)}
		}
		if !ok {
			return nil, &errSQL{fmt.Sprintf("NOT_SUPPORTED: %s with a path that is not a string literal is not emulated", fn)}
		}
		pointer, err := jsonPointer(path)
		if err != nil {
			return nil, err
		}
		return q.fill(build(sqlText(pointer)), args[:1], n)
	}
}

// Trino writes a JSON double as Java's Double.toString: in scientific
// notation from 1e7 and below 1e-3 (1.0E7), where DuckDB writes
// 10000000.0; DuckDB's exponent is e-7, Java's E-7. jsonOddNumber finds
// such numbers in DuckDB's text of a JSON value (or strings that look
// like them: refused too, never answered differently).
const jsonOddNumber = `[0-9][eE]|[0-9]{8}\.|0\.000`

// jsonNumbersChecked is json (SQL of a JSON value) failing where a number
// in it would print otherwise than in Athena.
func jsonNumbersChecked(fn, json string) string {
	return "CASE WHEN regexp_matches(format('{}', " + json + "), '" + jsonOddNumber + "') THEN error('NOT_SUPPORTED: " + fn +
		" of a JSON number of 1e7 or more or below 1e-3 is not emulated (Athena writes it as Java does, 1.0E7)') ELSE " + json + " END"
}

// jsonMinusZero finds -0, which DuckDB reads as the integer 0.
const jsonMinusZero = `(^|[^0-9.])-0([^.0-9]|$)`

// jsonScalarNumberText is what makes json_extract_scalar of a number
// Trino's: the number's text as the input has it (1.50, 1e2), which DuckDB
// re-prints. DuckDB's text is the input's where every number with a
// fraction or exponent in the input is written as DuckDB writes it: no
// exponent, no trailing zero but in .0, fewer than 16 digits, and (for a
// JSON value, which Trino's json_parse wrote as Java does) from 1e-3 to
// below 1e7.
var jsonScalarNumberText = func() string {
	odd := []string{jsonOddNumber, `\.[0-9]*[0-9]0([^0-9]|$)`, jsonMinusZero}
	for i := 1; i < 8; i++ {
		odd = append(odd, fmt.Sprintf(`[0-9]{%d}\.[0-9]{%d}`, i, 16-i))
	}
	return strings.Join(odd, "|")
}()

// jsonExtractBridge is Trino's json_extract: the value at the path, its
// doubles written as Java writes them.
var jsonExtractBridge = jsonPathBridge("json_extract", func(p string) string {
	return jsonNumbersChecked("json_extract", "CASE WHEN json_valid(__1) THEN json_extract(__1, "+p+") END")
})

// jsonExtractScalarBridge is Trino's json_extract_scalar: a scalar's text,
// NULL for an object, an array or null.
var jsonExtractScalarBridge = jsonPathBridge("json_extract_scalar", func(p string) string {
	v := "json_extract(__1, " + p + ")"
	return "CASE WHEN NOT json_valid(__1) THEN NULL WHEN json_type(" + v + ") IN ('OBJECT', 'ARRAY') THEN NULL " +
		"WHEN (json_type(" + v + ") = 'DOUBLE' AND regexp_matches(format('{}', __1), '" + jsonScalarNumberText + "')) " +
		"OR (json_type(" + v + ") IN ('BIGINT', 'UBIGINT') AND regexp_matches(format('{}', __1), '" + jsonMinusZero + "')) " +
		"THEN error('NOT_SUPPORTED: json_extract_scalar of a JSON number in text with numbers written otherwise than DuckDB writes them (an exponent, trailing zeros, 16 or more digits, -0, 1e7 or more, below 1e-3) is not emulated (Athena answers the number as written)') " +
		"ELSE json_extract_string(__1, " + p + ") END"
})

// jsonSizeBridge is Trino's json_size: the entries of the array or object
// at the path, 0 for a scalar.
var jsonSizeBridge = jsonPathBridge("json_size", func(p string) string {
	v := "json_extract(__1, " + p + ")"
	return "CAST(CASE WHEN NOT json_valid(__1) THEN NULL WHEN " + v + " IS NULL THEN NULL WHEN json_type(" + v + ") = 'ARRAY' THEN json_array_length(" + v + ") " +
		"WHEN json_type(" + v + ") = 'OBJECT' THEN len(json_keys(" + v + ")) ELSE 0 END AS BIGINT)"
})

// jsonParseChecked is Trino's json_parse of __1 where DuckDB's prints the
// same: Trino writes each object's keys sorted, once (the last value of a
// repeated key), and its doubles as Java does.
const jsonParseChecked = "CASE WHEN NOT list_bool_and(list_transform(list_prepend(json(__1), json_extract(json(__1), '$..*')), " +
	"__v -> json_type(__v) <> 'OBJECT' OR (json_keys(__v) = list_sort(json_keys(__v)) AND len(list_distinct(json_keys(__v))) = len(json_keys(__v))))) " +
	"THEN error('NOT_SUPPORTED: json_parse of an object whose keys are not in sorted order or repeat is not emulated (Athena sorts them)') ELSE json(__1) END"

// jsonFormat is Trino's json_format, the JSON text of a JSON value (a
// cast to varchar is a scalar's text). Trino has no json_format of a
// varchar: the coalesce makes DuckDB convert one to JSON, which
// checkCoercions refuses.
const jsonFormat = "format('{}', coalesce(__1, CAST(NULL AS JSON)))"

// checkJSONPlan refuses a cast of a ROW without field names to JSON: the
// emulator names them field0, field1, ... (as Athena prints them), which
// DuckDB would write as the object's keys, where Trino's keys are the
// row type's own field names.
func checkJSONPlan(root any) error {
	var found error
	transform(root, nil, func(n astNode, _ []astNode) (any, error) {
		if found == nil && str(n["expression_class"]) == "BOUND_CAST" && str(at(n, "return_type", "type_info", "alias")) == "JSON" {
			c, _ := n["child"].(astNode)
			t := c["return_type"]
			switch {
			case holdsField0(t):
				found = &errSQL{"NOT_SUPPORTED: a cast of a ROW without field names to JSON is not emulated: cast the ROW to a ROW type with field names first, or build the JSON with a map"}
			case varcharMap(t):
				// jsonFromMap sorts its keys.
			case holdsMap(t):
				found = &errSQL{"NOT_SUPPORTED: a cast to JSON of a map inside an array or row, or keyed by other than varchar, is not emulated (Trino writes its keys sorted as text)"}
			}
		}
		return n, nil
	})
	return found
}

// holdsField0 says whether a plan's type is or holds a struct with a
// field named field0 (a ROW(...) without names).
func holdsField0(t any) bool {
	switch x := t.(type) {
	case astNode:
		if str(x["first"]) == "field0" {
			return true
		}
		for _, v := range x {
			if holdsField0(v) {
				return true
			}
		}
	case []any:
		for _, v := range x {
			if holdsField0(v) {
				return true
			}
		}
	}
	return false
}

// jsonLiteralCheck refuses a literal JSON '...' whose text DuckDB would
// print otherwise than Trino, which parses it as json_parse does (see
// jsonParseChecked and jsonOddNumber). Text that is not JSON is left to
// DuckDB's error.
func jsonLiteralCheck(text string) error {
	if regexp.MustCompile(jsonOddNumber).MatchString(text) {
		return &errSQL{"NOT_SUPPORTED: a JSON literal with a number in an exponent or of 1e7 or more or below 1e-3 is not emulated (Athena writes it as Java does, 1.0E7)"}
	}
	d := json.NewDecoder(strings.NewReader(text))
	type object struct {
		last   string // the last key
		tokens int    // keys and values read
	}
	var open []*object // the objects (nil: arrays) being read
	expectKey := func() bool { return len(open) > 0 && open[len(open)-1] != nil && open[len(open)-1].tokens%2 == 0 }
	for {
		tok, err := d.Token()
		if err != nil {
			return nil
		}
		key, isKey := tok.(string)
		switch {
		case isKey && expectKey():
			o := open[len(open)-1]
			if o.tokens > 0 && key <= o.last {
				return &errSQL{"NOT_SUPPORTED: a JSON literal with an object whose keys are not in sorted order or repeat is not emulated (Athena sorts them)"}
			}
			o.last = key
			o.tokens++
			continue
		case tok == json.Delim('{'):
			open = append(open, &object{})
			continue
		case tok == json.Delim('['):
			open = append(open, nil)
			continue
		case tok == json.Delim('}') || tok == json.Delim(']'):
			open = open[:len(open)-1]
		}
		if len(open) > 0 && open[len(open)-1] != nil {
			open[len(open)-1].tokens++ // the value after a key
		}
	}
}

// jsonToRow bridges a cast of JSON to a ROW of scalar fields as Trino
// casts it: of an object, each field is the value of the key of its name
// without regard to case (NULL where there is none; other keys are
// ignored), of an array the element at the field's position; each value
// is cast to its field's type as a JSON value is. DuckDB's cast wants the
// object's keys exactly. A ROW of arrays, maps or rows stays DuckDB's.
// (TRY_CAST is TRY(CAST(...)) by now, where a field that fails is NULL:
// the row is NULL then, as Trino's.)
func (q *trinoQuery) jsonToRow(n astNode) (any, error) {
	fail := func(msg string) string {
		return "error(" + sqlText("INVALID_CAST_ARGUMENT: Cannot cast to row: "+msg) + ")"
	}
	fields, _ := at(n["cast_type"], "type_info", "child_types").([]any)
	args := []any{n["child"]}
	var pack, failed []string
	for i, f := range fields {
		name := str(at(f, "first"))
		t := parseDuckType(at(f, "second"))
		switch t.id {
		case "STRUCT", "LIST", "ARRAY", "MAP", "":
			return n, nil
		}
		keys := fmt.Sprintf("list_filter(json_keys(__1), __k -> lower(__k) = %s)", sqlText(strings.ToLower(name)))
		value := fmt.Sprintf("CASE json_type(__1) WHEN 'ARRAY' THEN json_extract(__1, '/%d') "+
			"ELSE json_extract(__1, '/' || replace(replace(%s[1], '~', '~0'), '/', '~1')) END", i, keys)
		c, err := q.fill("CAST(CASE WHEN len("+keys+") > 1 THEN "+fail("Duplicate field: "+name)+" ELSE "+value+" END AS "+t.sqlName()+")", args[:1], nil)
		if err != nil {
			return nil, err
		}
		v, err := q.cast(c, duckType{id: "JSON"})
		if err != nil {
			return nil, err
		}
		args = append(args, v)
		pack = append(pack, fmt.Sprintf("%s := __%d", catalog.QuoteIdent(name), len(args)))
		failed = append(failed, fmt.Sprintf("__%d IS NULL AND coalesce(json_type(%s), 'NULL') <> 'NULL'", len(args), value))
	}
	if len(pack) == 0 {
		return n, nil
	}
	return q.fill("CASE WHEN json_type(__1) = 'NULL' THEN NULL "+
		"WHEN json_type(__1) NOT IN ('OBJECT', 'ARRAY') THEN "+fail("the JSON value is not an object or array")+" "+
		fmt.Sprintf("WHEN json_type(__1) = 'ARRAY' AND json_array_length(__1) <> %d THEN ", len(pack))+fail(fmt.Sprintf("the JSON array does not have %d elements", len(pack)))+" "+
		"WHEN "+strings.Join(failed, " OR ")+" THEN "+fail("a field's value does not cast to its type")+" "+
		"ELSE struct_pack("+strings.Join(pack, ", ")+") END", args, n)
}

// varcharMap says whether a plan's type is a map keyed by varchar with
// values that hold no map.
func varcharMap(t any) bool {
	entry, _ := at(t, "type_info", "child_type", "type_info", "child_types").([]any)
	return str(at(t, "id")) == "MAP" && len(entry) == 2 && !holdsMap(entry) &&
		str(at(entry[0], "second", "id")) == "VARCHAR" && str(at(entry[0], "second", "type_info", "alias")) == ""
}

// holdsMap says whether a plan's type is or holds a MAP.
func holdsMap(t any) bool {
	switch x := t.(type) {
	case astNode:
		if str(x["id"]) == "MAP" {
			return true
		}
		for _, v := range x {
			if holdsMap(v) {
				return true
			}
		}
	case []any:
		return slices.ContainsFunc(x, holdsMap)
	}
	return false
}

// jsonFromMap is a cast of a map (keyed by varchar, checkJSONPlan sees to
// it) to JSON: an object of its keys in sorted order, as Trino writes it
// (DuckDB keeps the map's order).
func (q *trinoQuery) jsonFromMap(n astNode) (any, error) {
	return q.fill("CAST(map_from_entries(list_sort(map_entries(__1))) AS JSON)", []any{n["child"]}, n)
}
