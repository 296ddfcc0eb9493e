package eventjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// decodeHeaderReference is DecodeHeader as it was before the hand-written
// scanner, moved here verbatim (with its helper checkKeys) as the oracle of
// FuzzDecodeHeaderMatchesReference. It is slow: encoding/json decodes the
// value, then walks its tokens again.

// checkKeys returns the top-level keys of the JSON object b, or an error if
// an object in b has a key twice, or if two top-level keys differ only in
// case (column names do not: Glue lowers them, DuckDB ignores case). b must
// be valid JSON.
func checkKeys(b []byte) (map[string]bool, error) {
	type object struct {
		keys    map[string]bool
		wantKey bool
	}
	var top map[string]bool
	folded := map[string]string{}
	var stack []*object // nil for an array
	dec := json.NewDecoder(bytes.NewReader(b))
	for {
		tok, err := dec.Token()
		if err != nil {
			return top, nil // io.EOF: b is valid JSON, checked by the caller
		}
		switch tok {
		case json.Delim('{'):
			o := &object{keys: map[string]bool{}, wantKey: true}
			if top == nil {
				top = o.keys
			}
			stack = append(stack, o)
			continue
		case json.Delim('['):
			stack = append(stack, nil)
			continue
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
		default:
			if n := len(stack); n > 0 && stack[n-1] != nil && stack[n-1].wantKey {
				o, k := stack[n-1], tok.(string)
				if o.keys[k] {
					return nil, fmt.Errorf("key %q appears twice in an object", k)
				}
				if n == 1 {
					if other, ok := folded[strings.ToLower(k)]; ok {
						return nil, fmt.Errorf("keys %q and %q differ only in case", other, k)
					}
					folded[strings.ToLower(k)] = k
				}
				o.keys[k] = true
				o.wantKey = false
				continue
			}
		}
		// A value ended: its object, if any, expects a key next.
		if n := len(stack); n > 0 && stack[n-1] != nil {
			stack[n-1].wantKey = true
		}
	}
}

// decodeHeaderReference checks that b is one JSON object of the event shape and returns
// its header. The error says what is wrong, for the dead-letter record.
func decodeHeaderReference(b []byte) (Header, error) {
	var raw struct {
		Symbol *string          `json:"symbol"`
		TS     *string          `json:"ts"`
		Seq    *json.Number     `json:"seq"`
		Price  *json.RawMessage `json:"price"`
	}
	var h Header
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '{' {
		return h, fmt.Errorf("%w: not a JSON object", ErrBadEvent)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil {
		return h, fmt.Errorf("%w: not valid JSON: %v", ErrBadEvent, err)
	}
	if dec.More() {
		return h, fmt.Errorf("%w: more than one JSON value", ErrBadEvent)
	}
	// What Go's decoder forgives and a query engine does not: a table
	// holding such a line fails every query (DuckDB; Athena's JSON SerDe).
	if !utf8.Valid(b) {
		return h, fmt.Errorf("%w: not valid UTF-8", ErrBadEvent)
	}
	top, err := checkKeys(b)
	if err != nil {
		return h, fmt.Errorf("%w: %v", ErrBadEvent, err)
	}
	// Go matches keys regardless of case, the table's columns do not.
	switch {
	case !top["symbol"]:
		raw.Symbol = nil
	case !top["ts"]:
		raw.TS = nil
	case !top["seq"]:
		raw.Seq = nil
	}
	switch {
	case raw.Symbol == nil:
		return h, fmt.Errorf("%w: no \"symbol\" field", ErrBadEvent)
	case raw.TS == nil:
		return h, fmt.Errorf("%w: no \"ts\" field", ErrBadEvent)
	case raw.Seq == nil:
		return h, fmt.Errorf("%w: no \"seq\" field", ErrBadEvent)
	}
	h.Symbol = *raw.Symbol
	if h.Symbol == "" || len(h.Symbol) > MaxSymbolLen || !utf8.ValidString(h.Symbol) {
		return h, fmt.Errorf("%w: symbol is empty, longer than %d bytes or not UTF-8", ErrBadEvent, MaxSymbolLen)
	}
	for _, r := range h.Symbol {
		if r < 0x20 || r == 0x7f {
			return h, fmt.Errorf("%w: symbol has a control character", ErrBadEvent)
		}
	}
	ts, err := time.Parse(time.RFC3339Nano, *raw.TS)
	if err != nil {
		return h, fmt.Errorf("%w: ts %q is not an RFC 3339 time", ErrBadEvent, *raw.TS)
	}
	if y := ts.UTC().Year(); y < MinYear || y > MaxYear {
		return h, fmt.Errorf("%w: ts %q is outside %d..%d", ErrBadEvent, *raw.TS, MinYear, MaxYear)
	}
	h.TS = ts.UTC()
	seq, err := raw.Seq.Int64()
	if err != nil || seq < 0 {
		return h, fmt.Errorf("%w: seq %q is not a non-negative integer", ErrBadEvent, raw.Seq.String())
	}
	h.Seq = seq
	// A negative price is absurd; a price that is not a number at all is
	// some other source's column and left alone.
	if raw.Price != nil {
		var p float64
		if json.Unmarshal(*raw.Price, &p) == nil && p < 0 {
			return h, fmt.Errorf("%w: price %s is negative", ErrBadEvent, *raw.Price)
		}
	}
	return h, nil
}

// decodeHeaderSeeds are inputs that exercise every rule of DecodeHeader, for
// FuzzDecodeHeaderMatchesReference to start from.
func decodeHeaderSeeds() []string {
	const ok = `"symbol":"A","ts":"2026-01-01T00:00:00Z","seq":1`
	ev := func(rest string) string { return "{" + ok + rest + "}" }
	seeds := []string{
		`{'surnasdasdame':'parasdasdmar'}`,
		string(typicalEvent()),
		// Whitespace: JSON's four, and others.
		" \t\r\n" + ev("") + " \t\r\n",
		`{ "symbol" : "A" , "ts" : "2026-01-01T00:00:00Z" , "seq" : 1 }`,
		"\v" + ev(""), ev("") + "\f", "\u00a0" + ev(""), ev("") + "\u3000", "\u0085" + ev(""),
		ev("") + "]", ev("") + "}}", ev("") + " ] trailing", ev("") + "\n{}", ev("") + "x",
		// Syntax.
		ev(","), ev(`,"a":[1,]`), ev(`,"a":'x'`), ev(`,"a":NaN`), ev(`,"a":Infinity`), ev(`,"a":tru`),
		ev(`,"a":nul`), ev(`,"a":falsey`), ev(`,"a":01`), ev(`,"a":1.`), ev(`,"a":.5`), ev(`,"a":+1`),
		ev(`,"a":1e`), ev(`,"a":1e+`), ev(`,"a":-`), ev(`,"a":[]`), ev(`,"a":{}`), ev(`,"a":[{},[],""]`),
		ev(`,"a":"\x"`), ev(`,"a":"\u12G4"`), ev(`,"a":"\'"`), "{" + ok, "{" + ok + ",", `{"symbol"}`,
		`{"symbol":"A" "ts":"2026-01-01T00:00:00Z"}`, `{,}`, `{}`, `{"":1}`, ev(`,"a":"tab\there"`),
		ev(`,"a":"raw` + "\t" + `tab"`), ev(`,"a":"raw` + "\x7f" + `del"`),
		// Depth: deep, but far from the limit, which TestDecodeHeaderDepth
		// checks; at 20 KB a seed slows the fuzzer down.
		ev(`,"a":` + strings.Repeat("[", 64) + strings.Repeat("]", 64)),
		ev(`,"a":` + strings.Repeat(`{"a":[`, 32) + "1" + strings.Repeat("]}", 32)),
		ev(`,"a":` + strings.Repeat(`{"a":`, 64) + "1" + strings.Repeat("}", 63)),
		// Escapes and Unicode.
		`{"symbol":"\u0041\u00e9\ud83d\ude00\/\"\\","ts":"2026-01-01T00:00:00Z","seq":1}`,
		`{"symbol":"\ud800","ts":"2026-01-01T00:00:00Z","seq":1}`,
		`{"symbol":"\udc00\ud800x","ts":"2026-01-01T00:00:00Z","seq":1}`,
		`{"symbol":"\ud800\ud800\udc00","ts":"2026-01-01T00:00:00Z","seq":1}`,
		`{"symbol":"\ud83d\u0041","ts":"2026-01-01T00:00:00Z","seq":1}`,
		`{"symbol":"A\u007fB","ts":"2026-01-01T00:00:00Z","seq":1}`,
		`{"symbol":"A\nB","ts":"2026-01-01T00:00:00Z","seq":1}`,
		`{"\u0073ymbol":"A","ts":"2026-01-01T00:00:0\u0030Z","seq":1}`,
		`{"symbol":"日本株","ts":"2026-01-01T00:00:00Z","seq":1,"価格":1}`,
		"{\"symbol\":\"\xed\xa0\x80\",\"ts\":\"2026-01-01T00:00:00Z\",\"seq\":1}",
		"{\"symbol\":\"\xc0\xaf\",\"ts\":\"2026-01-01T00:00:00Z\",\"seq\":1}",
		"{\"symbol\":\"A\",\"ts\":\"2026-01-01T00:00:00Z\",\"seq\":1}\xff",
		"{\"symbol\":\"A\",\"ts\":\"2026-01-01T00:00:00Z\",\"seq\":1,\"\xf4\x90\x80\x80\":1}",
		`{"symbol":"` + strings.Repeat("é", 128) + `","ts":"2026-01-01T00:00:00Z","seq":1}`,
		`{"symbol":"` + strings.Repeat("x", 256) + `","ts":"2026-01-01T00:00:00Z","seq":1}`,
		`{"symbol":"` + strings.Repeat("x", 257) + `","ts":"2026-01-01T00:00:00Z","seq":1}`,
		// Duplicate keys, nested and by case.
		ev(`,"symbol":"B"`), ev(`,"x":{"a":1,"b":{"a":1},"a":2}`), ev(`,"x":[{"a":1,"a":1}]`),
		ev(`,"x":{"a":1},"y":{"a":1}`), ev(`,"a":1,"\u0061":2`), ev(`,"\ud800":1,"\udc00":2`),
		ev(`,"Price":1,"price":2`), ev(`,"PRICE":-1`), ev(`,"Symbol":"B"`), `{"SYMBOL":"A","ts":"2026-01-01T00:00:00Z","seq":1}`,
		ev(`,"\u212a":1,"k":2`), ev(`,"İd":1,"id":2`), ev(`,"Σ":1,"σ":2`), ev(`,"x":{"K":1,"k":2}`),
		`{"ſymbol":"A","ts":"2026-01-01T00:00:00Z","seq":1}`,
		ev(`,"ſymbol":"B"`), ev(`,"ſymbol":5`), ev(`,"ſymbol":null`), ev(`,"tſ":"2030-01-01T00:00:00Z"`),
		ev(`,"ſeq":2,"ſEQ":3`), ev(`,"ſeq":"x"`),
		// Types and nulls of the header fields.
		`{"symbol":null,"ts":"2026-01-01T00:00:00Z","seq":1}`, `{"symbol":"A","ts":null,"seq":1}`,
		`{"symbol":"A","ts":"2026-01-01T00:00:00Z","seq":null}`, `{"symbol":true,"ts":null,"seq":{}}`,
		`{"symbol":["A"],"ts":"2026-01-01T00:00:00Z","seq":1}`, `{"symbol":{"a":1},"ts":"2026-01-01T00:00:00Z","seq":1}`,
		`{"symbol":"A","ts":20260101,"seq":1}`, `{"symbol":"A","ts":"2026-01-01T00:00:00Z","seq":false}`,
		`{"symbol":"A","ts":"2026-01-01T00:00:00Z","seq":[1]}`, `{"symbol":"A","ts":"2026-01-01T00:00:00Z"}`,
		// Numbers.
		`{"symbol":"A","ts":"2026-01-01T00:00:00Z","seq":-0}`,
		`{"symbol":"A","ts":"2026-01-01T00:00:00Z","seq":0}`,
		`{"symbol":"A","ts":"2026-01-01T00:00:00Z","seq":1.5e3}`,
		`{"symbol":"A","ts":"2026-01-01T00:00:00Z","seq":1e3}`,
		`{"symbol":"A","ts":"2026-01-01T00:00:00Z","seq":1.0}`,
		`{"symbol":"A","ts":"2026-01-01T00:00:00Z","seq":9223372036854775807}`,
		`{"symbol":"A","ts":"2026-01-01T00:00:00Z","seq":9223372036854775808}`,
		`{"symbol":"A","ts":"2026-01-01T00:00:00Z","seq":-9223372036854775808}`,
		`{"symbol":"A","ts":"2026-01-01T00:00:00Z","seq":"42"}`,
		`{"symbol":"A","ts":"2026-01-01T00:00:00Z","seq":"4\u0032"}`,
		`{"symbol":"A","ts":"2026-01-01T00:00:00Z","seq":"-0"}`,
		`{"symbol":"A","ts":"2026-01-01T00:00:00Z","seq":""}`,
		`{"symbol":"A","ts":"2026-01-01T00:00:00Z","seq":" 1"}`,
		`{"symbol":"A","ts":"2026-01-01T00:00:00Z","seq":"01"}`,
		`{"symbol":"A","ts":"2026-01-01T00:00:00Z","seq":"1e2"}`,
		`{"symbol":"A","ts":"2026-01-01T00:00:00Z","seq":"` + strings.Repeat("9", 40) + `"}`,
		ev(`,"price":-0`), ev(`,"price":-0.0`), ev(`,"price":1e400`), ev(`,"price":-1e400`), ev(`,"price":-1e-400`),
		ev(`,"price":-5e-324`), ev(`,"price":-0.0000001`), ev(`,"price":"-3"`), ev(`,"price":null`),
		ev(`,"price":[-3]`), ev(`,"price":{"v":-3}`), ev(`,"price":true`), ev(`,"price":-12345678901234567890123456789012345678901234567890`),
		// Times.
		`{"symbol":"A","ts":"2026-01-01T00:00:00+05:00","seq":1}`,
		`{"symbol":"A","ts":"2026-01-01T00:00:00.123456789123Z","seq":1}`,
		`{"symbol":"A","ts":"2026-01-01t00:00:00z","seq":1}`,
		`{"symbol":"A","ts":"1969-12-31T23:59:59.999Z","seq":1}`,
		`{"symbol":"A","ts":"1970-01-01T00:00:00Z","seq":1}`,
		`{"symbol":"A","ts":"1969-12-31T23:00:00-01:00","seq":1}`,
		`{"symbol":"A","ts":"2200-12-31T23:59:59.999Z","seq":1}`,
		`{"symbol":"A","ts":"2201-01-01T00:00:00Z","seq":1}`,
		`{"symbol":"A","ts":"2200-12-31T23:00:00-01:00","seq":1}`,
		`{"symbol":"A","ts":"2026-02-29T00:00:00Z","seq":1}`,
		`{"symbol":"A","ts":"2028-02-29T00:00:00Z","seq":1}`,
		`{"symbol":"A","ts":"2026-01-01T24:00:00Z","seq":1}`,
		`{"symbol":"A","ts":"2026-01-01T00:00:00,5Z","seq":1}`,
		`{"symbol":"A","ts":"2026-01-01T00:00:00.Z","seq":1}`,
		`{"symbol":"A","ts":"2026-01-01T0:00:00Z","seq":1}`,
		`{"symbol":"A","ts":"2026-01-01T00:00:00+24:00","seq":1}`,
		`{"symbol":"A","ts":"2026-01-01T00:00:00","seq":1}`,
		`{"symbol":"A","ts":"2026-01-01 00:00:00Z","seq":1}`,
	}
	for _, tc := range decodeHeaderRejects {
		if len(tc.in) <= 4096 { // the long ones as for depth
			seeds = append(seeds, tc.in)
		}
	}
	// Real events: the synthetic source's, and one with every kind of value.
	for _, e := range testEvents()[1:] {
		seeds = append(seeds, string(e))
	}
	return seeds
}

// FuzzDecodeHeaderMatchesReference checks DecodeHeader against the
// encoding/json implementation it replaced: both accept or both reject, with
// the same Header, but for the differences DecodeHeader makes on purpose
// (see checkMatchesReference).
func FuzzDecodeHeaderMatchesReference(f *testing.F) {
	for _, s := range decodeHeaderSeeds() {
		f.Add([]byte(s))
	}
	f.Fuzz(checkMatchesReference)
}

// checkMatchesReference fails t unless DecodeHeader(b) agrees with
// decodeHeaderReference. The reference differs on purpose in two ways:
//
//   - It accepts some input that is not one JSON value: one with Unicode
//     spaces or \v or \f around the object (it trimmed with bytes.TrimSpace),
//     or with anything after it that starts with ']' or '}' (json.Decoder.More
//     says there is nothing more). The sink stores a record as it came, so
//     such a line would break every query of the table. DecodeHeader rejects
//     whatever json.Valid rejects.
//   - It accepts what JSON allows but no table can hold, which DecodeHeader
//     rejects: half a UTF-16 surrogate pair in a \u escape (encoding/json
//     reads it as U+FFFD; DuckDB and Athena fail on the file), and a number
//     beyond a float64 (1e400). tableRejects finds them its own way.
//   - encoding/json matched a top-level key to symbol, ts or seq under
//     Unicode folding, where "ſymbol" (U+017F) is "symbol": it took the
//     header from such a key, though the table has it as another column.
//     DecodeHeader reads only the exact keys. The reference is run on b with
//     its top-level keys' ſ rewritten, which keeps which keys are equal and
//     which differ only in case, but matches no field.
func checkMatchesReference(t *testing.T, b []byte) {
	checkQuickMatchesSlow(t, b)
	h, err := DecodeHeader(b)
	if err != nil && !errors.Is(err, ErrBadEvent) {
		t.Fatalf("DecodeHeader(%q): error not wrapping ErrBadEvent: %v", b, err)
	}
	if !json.Valid(b) {
		if err == nil {
			t.Fatalf("DecodeHeader(%q) accepted JSON that json.Valid rejects: %+v", b, h)
		}
		return
	}
	if why := tableRejects(b); why != "" {
		if err == nil {
			t.Fatalf("DecodeHeader(%q) accepted %s", b, why)
		}
		return
	}
	ref, ok := withoutLongS(b)
	if !ok {
		t.Skip("cannot rewrite the keys")
	}
	want, wantErr := decodeHeaderReference(ref)
	switch {
	case err != nil && wantErr != nil:
	case err != nil:
		t.Fatalf("DecodeHeader(%q) = %v; the reference accepts it: %+v", b, err, want)
	case wantErr != nil:
		t.Fatalf("DecodeHeader(%q) = %+v; the reference rejects it: %v", b, h, wantErr)
	case h != want:
		t.Fatalf("DecodeHeader(%q) = %+v; the reference says %+v", b, h, want)
	}
}

// tableRejects says what in the valid JSON b no table can hold, if
// anything: a number beyond a float64, or a \u escape of half a UTF-16
// surrogate pair (in a key or a value, at any depth).
func tableRejects(b []byte) string {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	for {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		if n, ok := tok.(json.Number); ok {
			if _, err := strconv.ParseFloat(string(n), 64); err != nil {
				return "the number " + string(n)
			}
		}
	}
	// Escapes: a backslash after an even run of backslashes starts one
	// (b is valid JSON, so every backslash is in a string).
	for i := 0; i < len(b); i++ {
		if b[i] != '\\' {
			continue
		}
		if b[i+1] != 'u' {
			i++
			continue
		}
		r, _ := strconv.ParseUint(string(b[i+2:i+6]), 16, 32)
		switch {
		case r >= 0xdc00 && r <= 0xdfff:
			return "a lone low surrogate"
		case r >= 0xd800 && r < 0xdc00:
			if i+12 > len(b) || b[i+6] != '\\' || b[i+7] != 'u' {
				return "a lone high surrogate"
			}
			lo, _ := strconv.ParseUint(string(b[i+8:i+12]), 16, 32)
			if lo < 0xdc00 || lo > 0xdfff {
				return "a lone high surrogate"
			}
			i += 6 // the pair's low half
		}
		i += 5
	}
	return ""
}

// longSStandIn replaces U+017F in keys for the reference: a private-use rune
// that has no case, folds to nothing and lowers from nothing.
const longSStandIn = "\U0010FFFD"

// withoutLongS returns the JSON value b with every top-level key that holds
// U+017F (ſ) written again with longSStandIn in its place. It returns false
// if that could change which keys are equal: b is not valid UTF-8, or a key
// already holds longSStandIn.
func withoutLongS(b []byte) ([]byte, bool) {
	if !bytes.Contains(b, []byte("ſ")) && !bytes.Contains(bytes.ToLower(b), []byte(`\u017f`)) {
		return b, true
	}
	if !utf8.Valid(b) {
		return nil, false
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return b, true
	}
	var out []byte
	copied := 0
	depth, wantKey := 1, true
	for depth > 0 {
		before := int(dec.InputOffset())
		tok, err := dec.Token()
		if err != nil {
			return nil, false // b is valid JSON
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
			continue
		case json.Delim('}'), json.Delim(']'):
			depth--
		default:
			if k, ok := tok.(string); ok && depth == 1 && wantKey {
				wantKey = false
				if strings.Contains(k, longSStandIn) {
					return nil, false
				}
				if !strings.Contains(k, "ſ") {
					continue
				}
				start := before + bytes.IndexByte(b[before:], '"')
				out = append(out, b[copied:start]...)
				name, _ := json.Marshal(strings.ReplaceAll(k, "ſ", longSStandIn))
				out = append(out, name...)
				copied = int(dec.InputOffset())
				continue
			}
		}
		if depth == 1 {
			wantKey = true // a value of the top-level object ended
		}
	}
	return append(out, b[copied:]...), true
}

// TestDecodeHeaderDeliberateDifferences pins down where DecodeHeader and
// the encoding/json reference part on purpose (see checkMatchesReference).
func TestDecodeHeaderDeliberateDifferences(t *testing.T) {
	const ok = `{"symbol":"A","ts":"2026-01-01T00:00:00Z","seq":1}`
	for _, tc := range []struct {
		name, in string
		want     Header // zero if DecodeHeader must reject
		reason   string
	}{
		{"vertical tab before", "\v" + ok, Header{}, "not a JSON object"},
		{"no-break space after", ok + "\u00a0", Header{}, "not valid JSON"},
		{"ideographic space around", "\u3000" + ok + "\u3000", Header{}, "not a JSON object"},
		{"bracket after", ok + "]", Header{}, "not valid JSON"},
		{"brace and text after", ok + "} and more", Header{}, "not valid JSON"},
		{"long s symbol", `{"symbol":"A","ſymbol":"B","ts":"2026-01-01T00:00:00Z","seq":1}`,
			Header{Symbol: "A", TS: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Seq: 1}, ""},
		{"long s ts", `{"symbol":"A","ts":"2026-01-01T00:00:00Z","tſ":"2030-01-01T00:00:00Z","seq":1}`,
			Header{Symbol: "A", TS: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Seq: 1}, ""},
		{"long s seq of another type", `{"symbol":"A","ts":"2026-01-01T00:00:00Z","seq":1,"ſeq":true}`,
			Header{Symbol: "A", TS: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Seq: 1}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ref, refErr := decodeHeaderReference([]byte(tc.in))
			h, err := DecodeHeader([]byte(tc.in))
			if tc.reason != "" {
				if !errors.Is(err, ErrBadEvent) || !strings.Contains(err.Error(), tc.reason) {
					t.Fatalf("DecodeHeader = %+v, %v; want an ErrBadEvent saying %q", h, err, tc.reason)
				}
			} else if err != nil || h != tc.want {
				t.Fatalf("DecodeHeader = %+v, %v; want %+v", h, err, tc.want)
			}
			if refErr == nil && ref == h {
				t.Fatalf("the reference agrees (%+v): no longer a difference", ref)
			}
			checkMatchesReference(t, []byte(tc.in))
		})
	}
}

func TestDecodeHeaderAccepts(t *testing.T) {
	day := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name, in string
		want     Header
	}{
		{"JSON whitespace", " \t\r\n{ \"symbol\" :\t\"A\" ,\n\"ts\":\"2026-01-01T00:00:00Z\",\"seq\":1 }\r\n", Header{"A", day, 1}},
		{"escapes", `{"symbol":"\u0041\u00e9\ud83d\ude00\/\"\\","ts":"2026-01-01T00:00:00\u005a","seq":1}`, Header{"Aé😀/\"\\", day, 1}},
		{"a surrogate pair", `{"symbol":"\ud83d\ude00","ts":"2026-01-01T00:00:00Z","seq":1}`, Header{"😀", day, 1}},
		{"escaped key", `{"\u0073ymbol":"A","ts":"2026-01-01T00:00:00Z","seq":1}`, Header{"A", day, 1}},
		{"seq as a string", `{"symbol":"A","ts":"2026-01-01T00:00:00Z","seq":"4\u0032"}`, Header{"A", day, 42}},
		{"seq minus zero", `{"symbol":"A","ts":"2026-01-01T00:00:00Z","seq":-0}`, Header{"A", day, 0}},
		{"largest seq", `{"symbol":"A","ts":"2026-01-01T00:00:00Z","seq":9223372036854775807}`, Header{"A", day, math.MaxInt64}},
		{"offset", `{"symbol":"A","ts":"2026-01-01T05:30:00+05:30","seq":1}`, Header{"A", day, 1}},
		{"price minus zero", `{"symbol":"A","ts":"2026-01-01T00:00:00Z","seq":1,"price":-0.0}`, Header{"A", day, 1}},
		{"price below a float64's precision", `{"symbol":"A","ts":"2026-01-01T00:00:00Z","seq":1,"price":-1e-400}`, Header{"A", day, 1}},
		{"the largest double", `{"symbol":"A","ts":"2026-01-01T00:00:00Z","seq":1,"x":1.7976931348623157e308}`, Header{"A", day, 1}},
		{"price a string", `{"symbol":"A","ts":"2026-01-01T00:00:00Z","seq":1,"price":"-3"}`, Header{"A", day, 1}},
		{"nested objects with the same keys", `{"symbol":"A","ts":"2026-01-01T00:00:00Z","seq":1,"x":{"a":{"a":1}},"y":[{"a":1},{"a":1}]}`, Header{"A", day, 1}},
		{"10000 deep", `{"symbol":"A","ts":"2026-01-01T00:00:00Z","seq":1,"x":` + strings.Repeat("[", 9999) + strings.Repeat("]", 9999) + `}`, Header{"A", day, 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, err := DecodeHeader([]byte(tc.in))
			if err != nil || h != tc.want {
				t.Fatalf("DecodeHeader(%.60q) = %+v, %v; want %+v", tc.in, h, err, tc.want)
			}
			checkMatchesReference(t, []byte(tc.in))
		})
	}
}

// TestDecodeHeaderDepth checks the limit on nesting against encoding/json's.
func TestDecodeHeaderDepth(t *testing.T) {
	const ok = `"symbol":"A","ts":"2026-01-01T00:00:00Z","seq":1`
	for _, tc := range []struct {
		name, open, close string
		deep              int // levels below the top-level object
		accept            bool
	}{
		{"arrays at the limit", "[", "]", maxJSONDepth - 1, true},
		{"arrays past it", "[", "]", maxJSONDepth, false},
		{"objects at the limit", `{"a":`, "}", maxJSONDepth - 1, true},
		{"objects past it", `{"a":`, "}", maxJSONDepth, false},
		{"mixed past it", `{"a":[`, "]}", maxJSONDepth / 2, false},
		{"far past it", "[", "]", 100 * maxJSONDepth, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := []byte("{" + ok + `,"x":` + strings.Repeat(tc.open, tc.deep) + "0" + strings.Repeat(tc.close, tc.deep) + "}")
			_, err := DecodeHeader(in)
			if tc.accept && err != nil || !tc.accept && (!errors.Is(err, ErrBadEvent) || !strings.Contains(err.Error(), "nested more than 10000 deep")) {
				t.Fatalf("DecodeHeader = %v", err)
			}
			checkMatchesReference(t, in)
		})
	}
}

// TestDecodeHeaderManyKeys checks the objects whose repeated keys are found
// with a map rather than by comparing with each earlier key.
func TestDecodeHeaderManyKeys(t *testing.T) {
	var many strings.Builder
	for i := range 3 * linearJSONKeys {
		fmt.Fprintf(&many, `,"k%d":%d`, i, i)
	}
	nested := `{"a":0` + many.String() + `}`
	for _, tc := range []struct{ name, in, reason string }{
		{"top", `{"symbol":"A","ts":"2026-01-01T00:00:00Z","seq":1` + many.String() + `}`, ""},
		{"top, twice", `{"symbol":"A","ts":"2026-01-01T00:00:00Z","seq":1` + many.String() + `,"k70":1}`, `key "k70" appears twice`},
		{"top, case", `{"symbol":"A","ts":"2026-01-01T00:00:00Z","seq":1` + many.String() + `,"K70":1}`, `keys "k70" and "K70" differ only in case`},
		{"top, early key twice", `{"symbol":"A","ts":"2026-01-01T00:00:00Z","seq":1` + many.String() + `,"seq":1}`, `key "seq" appears twice`},
		{"top, Kelvin", `{"symbol":"A","ts":"2026-01-01T00:00:00Z","seq":1` + many.String() + `,"\u212a70":1}`, `differ only in case`},
		{"nested", `{"symbol":"A","ts":"2026-01-01T00:00:00Z","seq":1,"x":` + nested + `}`, ""},
		{"nested, case", `{"symbol":"A","ts":"2026-01-01T00:00:00Z","seq":1,"x":` + nested[:len(nested)-1] + `,"K70":1}}`, ""},
		{"nested, twice", `{"symbol":"A","ts":"2026-01-01T00:00:00Z","seq":1,"x":` + nested[:len(nested)-1] + `,"a":1}}`, `key "a" appears twice`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeHeader([]byte(tc.in))
			if tc.reason == "" && err != nil || tc.reason != "" && (!errors.Is(err, ErrBadEvent) || !strings.Contains(err.Error(), tc.reason)) {
				t.Fatalf("DecodeHeader = %v, want an error saying %q", err, tc.reason)
			}
			checkMatchesReference(t, []byte(tc.in))
		})
	}
}

// BenchmarkDecodeHeaderReference is BenchmarkDecodeHeader for the
// encoding/json implementation, for comparison.
func BenchmarkDecodeHeaderReference(b *testing.B) {
	ev := typicalEvent()
	b.SetBytes(int64(len(ev)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decodeHeaderReference(ev); err != nil {
			b.Fatal(err)
		}
	}
}

// TestDecodeHeaderAllocs holds DecodeHeader to one allocation, the symbol,
// for the sink's typical record.
func TestDecodeHeaderAllocs(t *testing.T) {
	ev := typicalEvent()
	if n := testing.AllocsPerRun(100, func() { _, _ = DecodeHeader(ev) }); n > 1 {
		t.Errorf("DecodeHeader allocates %v times per typical event, want at most 1", n)
	}
}

// FuzzDecodeHeaderTime checks the fast path for times against time.Parse.
func FuzzDecodeHeaderTime(f *testing.F) {
	for _, s := range []string{
		"2026-11-26T14:30:00.123Z", "2026-11-26T14:30:00Z", "2026-11-26T14:30:00.1234567891234Z",
		"0000-01-01T00:00:00Z", "0000-02-29T00:00:00Z", "0000-03-01T00:00:00Z", "9999-12-31T23:59:59.999999999Z",
		"1969-12-31T23:59:59.9Z", "2000-02-29T00:00:00Z", "2100-02-29T00:00:00Z", "2026-04-31T00:00:00Z",
		"2026-11-26T24:00:00Z", "2026-11-26T14:60:00Z", "2026-11-26T14:30:60Z", "2026-11-26T14:30:00.Z",
		"2026-11-26T14:30:00,5Z", "2026-11-26t14:30:00z", "2026-11-26T14:30:00+01:00", "+026-11-26T14:30:00Z",
		"2026-1-26T14:30:00Z", "20x6-11-26T14:30:00Z", "x026-11-26T14:30:00Z", "2026-11-2xT14:30:00Z", "2026-11-26T14:30:00.12a3Z", "2026-11-26T14:30:00ZZ", "2026-11-26T14:30:00.5+00:00",
		"0000-01-01T0:00:00+00:01",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, wantErr := time.Parse(time.RFC3339Nano, s)
		got, err := parseEventTime([]byte(s), nil)
		// A time with an offset has a new *Location each time: compare in UTC,
		// as DecodeHeader returns it.
		if (err == nil) != (wantErr == nil) || err == nil && got.UTC() != want.UTC() {
			t.Fatalf("parseEventTime(%q) = %v, %v; time.Parse: %v, %v", s, got, err, want, wantErr)
		}
		if fast, ok := ParseUTCTime([]byte(s)); ok && (wantErr != nil || fast != want.UTC()) {
			t.Fatalf("ParseUTCTime(%q) = %v; time.Parse: %v, %v", s, fast, want, wantErr)
		}
	})
}

// TestDecodeHeaderTimeEveryDay checks the fast path for times on every day
// from 1900 to 2300, and on the days about the ends of months and years of
// every year time.Parse knows.
func TestDecodeHeaderTimeEveryDay(t *testing.T) {
	check := func(d time.Time) {
		t.Helper()
		s := d.Format("2006-01-02T15:04:05.000000000Z")
		if got, ok := ParseUTCTime([]byte(s)); !ok || got != d {
			t.Fatalf("ParseUTCTime(%q) = %v, %v", s, got, ok)
		}
	}
	for d := time.Date(1900, 1, 1, 23, 59, 58, 999999999, time.UTC); d.Year() < 2300; d = d.AddDate(0, 0, 1) {
		check(d)
	}
	for y := range 10000 {
		for _, d := range []time.Time{
			time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(y, 2, 28, 12, 0, 0, 1, time.UTC),
			time.Date(y, 3, 0, 1, 2, 3, 4, time.UTC), // the last of February
			time.Date(y, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(y, 12, 31, 23, 59, 59, 999999999, time.UTC),
		} {
			check(d)
		}
	}
	for _, s := range []string{"2026-02-29T00:00:00Z", "2026-04-31T00:00:00Z", "2000-02-30T00:00:00Z", "1900-02-29T00:00:00Z"} {
		if got, ok := ParseUTCTime([]byte(s)); ok {
			t.Errorf("ParseUTCTime(%q) = %v, want not ok", s, got)
		}
	}
}

// checkQuickMatchesSlow fails t unless the scanner's quick way for flat
// objects (flatObject) finds what topObject alone finds in b: the same
// header, the same error, and for DecodeFields the same fields.
func checkQuickMatchesSlow(t *testing.T, b []byte) {
	t.Helper()
	scan := func(slow bool) (Header, []Field, string) {
		var fields []Field
		s := jsonScanner{b: b, fields: &fields, slow: slow}
		h, err := s.decode()
		msg := ""
		if err != nil {
			msg = err.Error()
		}
		return h, fields, msg
	}
	h, fields, err := scan(false)
	wantH, wantFields, wantErr := scan(true)
	if h != wantH || err != wantErr {
		t.Fatalf("%q: quick scan says %+v, %q; topObject says %+v, %q", b, h, err, wantH, wantErr)
	}
	if err == "" && fmt.Sprint(fields) != fmt.Sprint(wantFields) {
		t.Fatalf("%q: quick scan finds fields %v; topObject finds %v", b, fields, wantFields)
	}
	// DecodeHeader (no fields kept) must agree with DecodeFields.
	if h2, err2 := DecodeHeader(b); h2 != h || (err2 == nil) != (err == "") {
		t.Fatalf("%q: DecodeHeader says %+v, %v; DecodeFields says %+v, %q", b, h2, err2, h, err)
	}
	// So must a Decoder whose memo holds the keys of a typical event (the
	// ones b was most likely made from), and of b itself; and after b, a
	// Decoder must still read the typical event right.
	ev := typicalEvent()
	spaced := bytes.ReplaceAll(ev, []byte(`,"`), []byte(`, "`))
	for _, prime := range [][]byte{ev, spaced, b} {
		for _, withFields := range []bool{false, true} {
			var d Decoder
			for _, x := range [][]byte{prime, prime, b, ev} {
				var gotH Header
				var gotErr error
				var gotFields []Field
				if withFields {
					gotH, gotFields, gotErr = d.Fields(x, nil)
				} else {
					gotH, gotErr = d.Header(x)
				}
				wantH, wantErr := DecodeHeader(x)
				_, wantFields, _ := DecodeFields(x, nil)
				if gotH != wantH || fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
					t.Fatalf("%q after %q: Decoder says %+v, %v; DecodeHeader says %+v, %v", x, prime, gotH, gotErr, wantH, wantErr)
				}
				if withFields && gotErr == nil && fmt.Sprint(gotFields) != fmt.Sprint(wantFields) {
					t.Fatalf("%q after %q: Decoder finds fields %v; DecodeFields finds %v", x, prime, gotFields, wantFields)
				}
			}
		}
	}
}

// TestDecoderMemoChecksNewKeys: a Decoder takes the keys it has seen in the
// last event without checking them again, but an event that adds a key
// must still have it checked against them.
func TestDecoderMemoChecksNewKeys(t *testing.T) {
	prime := `{"symbol":"A","ts":"2026-01-02T03:04:05Z","seq":1,"price":2}`
	tests := []struct{ event, err string }{
		{`{"symbol":"A","ts":"2026-01-02T03:04:05Z","seq":1,"price":2,"Symbol":"B"}`, `keys "symbol" and "Symbol" differ only in case`},
		{`{"symbol":"A","ts":"2026-01-02T03:04:05Z","seq":1,"price":2,"ts":"2026-01-02T03:04:06Z"}`, `key "ts" appears twice`},
		{`{"symbol":"A","ts":"2026-01-02T03:04:05Z","PRICE":3,"price":2}`, `keys "PRICE" and "price" differ only in case`},
		{`{"symbol":"A","ts":"2026-01-02T03:04:05Z","seq":1,"price":-2}`, `price -2 is negative`},
		{`{"symbol":"A","tsx":"2026-01-02T03:04:05Z","seq":1,"price":2}`, `no "ts" field`},
		{`{"symbol":"A","ts":"2026-01-02T03:04:05Z","seq":1}`, ``},
	}
	for _, tt := range tests {
		var d Decoder
		if _, err := d.Header([]byte(prime)); err != nil {
			t.Fatal(err)
		}
		_, err := d.Header([]byte(tt.event))
		if tt.err == "" && err != nil || tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)) {
			t.Errorf("%s after %s: %v, want %q", tt.event, prime, err, tt.err)
		}
		// And the memo is right after the event, whatever it was.
		if h, err := d.Header([]byte(prime)); err != nil || h.Symbol != "A" || h.Seq != 1 {
			t.Errorf("%s again after %s: %+v, %v", prime, tt.event, h, err)
		}
	}
}

// TestDecoderMemoDatesAndSymbols: a Decoder's remembered date and symbols
// never change what an event decodes to, across days, invalid dates, and
// more symbols than it keeps.
func TestDecoderMemoDatesAndSymbols(t *testing.T) {
	var d Decoder
	check := func(ev string) {
		t.Helper()
		got, gotErr := d.Header([]byte(ev))
		want, wantErr := DecodeHeader([]byte(ev))
		if got != want || fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
			t.Fatalf("%s: Decoder says %+v, %v; DecodeHeader says %+v, %v", ev, got, gotErr, want, wantErr)
		}
	}
	for _, date := range []string{"2024-02-29", "2024-02-29", "2023-02-29", "2024-02-29", "2024-03-01", "2024-13-01", "2024-03-01", "1969-12-31", "2024-03-01"} {
		for _, clock := range []string{"00:00:00Z", "23:59:59.999Z", "24:00:00Z", "12:60:00Z"} {
			check(fmt.Sprintf(`{"symbol":"A","ts":"%sT%s","seq":1}`, date, clock))
		}
	}
	for i := range maxMemoSymbols + 100 {
		check(fmt.Sprintf(`{"symbol":"S%d","ts":"2024-03-01T00:00:00Z","seq":%d}`, i%(maxMemoSymbols+50), i))
	}
}

// TestScannerReuse: a Decoder's scanner, reused, is as a new one but for its
// key array: no field left over from the last event may change the next.
func TestScannerReuse(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"symbol":"A","ts":"2026-01-02T03:04:05Z","seq":1,"price":2,"o":{"x":[1,{"y":2}]}`)
	for i := range 40 {
		fmt.Fprintf(&b, `,"k%d":%d`, i, i)
	}
	b.WriteString("}")
	var fields []Field
	var memo keyMemo
	s := jsonScanner{b: []byte(b.String()), fields: &fields, memo: &memo, slow: true}
	if _, err := s.decode(); err != nil {
		t.Fatal(err)
	}
	if s.topByName == nil || cap(s.nested) == 0 || s.ntop == 0 || s.symbol.Kind == 0 {
		t.Fatalf("the event did not fill the scanner: %d top keys, map %v, room for %d nested, symbol %v", s.ntop, s.topByName != nil, cap(s.nested), s.symbol)
	}
	next := []byte(`{}`)
	s.reuse(next, nil, nil)
	got, want := reflect.ValueOf(s), reflect.ValueOf(jsonScanner{b: next})
	for i := range got.NumField() {
		name := got.Type().Field(i).Name
		switch {
		case name == "top":
		case name == "nested":
			if got.Field(i).Len() != 0 {
				t.Errorf("reuse left %d nested keys", got.Field(i).Len())
			}
		case fmt.Sprintf("%#v", got.Field(i)) != fmt.Sprintf("%#v", want.Field(i)):
			t.Errorf("reuse left field %s = %v", name, got.Field(i))
		}
	}
}

// TestQuickScanMatchesSlow runs checkQuickMatchesSlow over the fuzz seeds and
// over every one-byte change of a typical event that flips its shape: each
// byte replaced by each of the bytes that matter to a JSON scanner.
func TestQuickScanMatchesSlow(t *testing.T) {
	for _, seed := range decodeHeaderSeeds() {
		checkQuickMatchesSlow(t, []byte(seed))
	}
	ev := typicalEvent()
	spaced := bytes.ReplaceAll(bytes.ReplaceAll(ev, []byte(`,"`), []byte(`, "`)), []byte(`":`), []byte(`": `))
	for _, base := range [][]byte{ev, spaced} {
		checkQuickMatchesSlow(t, base)
		for i := range base {
			for _, c := range []byte("{}[]\",:. \t\n0123456789-+eEtfnuxAZ\x00\x1f\x7f\x80\xc3\xff") {
				b := bytes.Clone(base)
				b[i] = c
				checkQuickMatchesSlow(t, b)
			}
			checkQuickMatchesSlow(t, base[:i])
		}
	}
}
