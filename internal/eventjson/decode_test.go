package eventjson

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"
)

// decodeHeaderRejects are events DecodeHeader must reject, with a phrase of
// the reason; they also seed FuzzDecodeHeaderMatchesReference.
var decodeHeaderRejects = []struct{ name, in, reason string }{
	{"a Python dict's repr", `{'surnasdasdame':'parasdasdmar'}`, "not valid JSON"},
	{"the same keys as JSON", `{"surnasdasdame":"parasdasdmar"}`, `no "symbol"`},
	{"not JSON", `hello`, "not a JSON object"},
	{"array", `[1,2]`, "not a JSON object"},
	{"empty", ``, "not a JSON object"},
	{"two values", `{"symbol":"A","ts":"2026-01-01T00:00:00Z","seq":1} {}`, "more than one"},
	{"no ts", `{"symbol":"A","seq":1}`, `no "ts"`},
	{"no seq", `{"symbol":"A","ts":"2026-01-01T00:00:00Z"}`, `no "seq"`},
	{"symbol not string", `{"symbol":5,"ts":"2026-01-01T00:00:00Z","seq":1}`, "not valid JSON"},
	{"empty symbol", `{"symbol":"","ts":"2026-01-01T00:00:00Z","seq":1}`, "symbol is empty"},
	{"10 KB symbol", `{"symbol":"` + strings.Repeat("x", 10*1024) + `","ts":"2026-01-01T00:00:00Z","seq":1}`, "longer than"},
	{"control char", `{"symbol":"A\u0000B","ts":"2026-01-01T00:00:00Z","seq":1}`, "control character"},
	{"bad ts", `{"symbol":"A","ts":"yesterday","seq":1}`, "not an RFC 3339"},
	{"year 9999", `{"symbol":"A","ts":"9999-01-01T00:00:00Z","seq":1}`, "outside"},
	{"negative seq", `{"symbol":"A","ts":"2026-01-01T00:00:00Z","seq":-1}`, "non-negative integer"},
	{"fractional seq", `{"symbol":"A","ts":"2026-01-01T00:00:00Z","seq":1.5}`, "non-negative integer"},
	{"negative price", `{"symbol":"A","ts":"2026-01-01T00:00:00Z","seq":1,"price":-3}`, "price -3 is negative"},
	{"half a surrogate pair", `{"symbol":"\ud800x","ts":"2026-01-01T00:00:00Z","seq":1}`, `\ud800 at offset 11 is half a UTF-16 surrogate pair`},
	{"a low surrogate first", `{"symbol":"A","ts":"2026-01-01T00:00:00Z","seq":1,"note":{"k":["\udc00\ud800"]}}`, `\udc00 at offset`},
	{"a high surrogate, then no low one", `{"symbol":"A","ts":"2026-01-01T00:00:00Z","seq":1,"\ud83d\u0041":1}`, `\ud83d at offset`},
	{"a number beyond a double", `{"symbol":"A","ts":"2026-01-01T00:00:00Z","seq":1,"price":1e400}`, "the number 1e400 is out of a double's range"},
	{"a nested number beyond a double", `{"symbol":"A","ts":"2026-01-01T00:00:00Z","seq":1,"x":[-2E+308]}`, "the number -2E+308"},
	{"an integer beyond a double", `{"symbol":"A","ts":"2026-01-01T00:00:00Z","seq":1,"x":1` + strings.Repeat("0", 309) + `}`, "out of a double's range"},
	{"bad UTF-8", "{\"symbol\":\"A\xff\",\"ts\":\"2026-01-01T00:00:00Z\",\"seq\":1}", "not valid UTF-8"},
	{"key twice", `{"symbol":"A","ts":"2026-01-01T00:00:00Z","seq":1,"x":{"a":1,"a":2}}`, `key "a" appears twice`},
	{"keys differ in case", `{"symbol":"A","ts":"2026-01-01T00:00:00Z","seq":1,"Bid":1,"bid":2}`, `keys "Bid" and "bid" differ only in case`},
	{"too deep", `{"symbol":"A","ts":"2026-01-01T00:00:00Z","seq":1,"x":` + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + `}`, "not valid JSON"},
}

func TestDecodeHeaderRejects(t *testing.T) {
	for _, tc := range decodeHeaderRejects {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeHeader([]byte(tc.in))
			if !errors.Is(err, ErrBadEvent) || !strings.Contains(err.Error(), tc.reason) {
				t.Fatalf("DecodeHeader(%.60q) = %v, want an ErrBadEvent saying %q", tc.in, err, tc.reason)
			}
			checkMatchesReference(t, []byte(tc.in))
		})
	}
}

// typicalEvent is a 170-byte tick as the sink sees it: the synthetic
// source's columns plus two string columns of a CSV source.
func typicalEvent() []byte { return testEvents()[0] }

// testEvents are events the pipeline wrote (testdata/events.jsonl; package
// pipeline's TestEventJSONTestdata checks they still are): the typical
// event, twenty of the synthetic source, and one with every kind of value.
func testEvents() [][]byte {
	b, err := os.ReadFile("testdata/events.jsonl")
	if err != nil {
		panic(err)
	}
	return bytes.Split(bytes.TrimSuffix(b, []byte("\n")), []byte("\n"))
}

// BenchmarkDecodeHeader decodes a typical event alone (DecodeHeader) and as
// the sink does, with a Decoder that has seen events of its keys.
func BenchmarkDecodeHeader(b *testing.B) {
	ev := typicalEvent()
	var d Decoder
	for _, bc := range []struct {
		name   string
		decode func([]byte) (Header, error)
	}{{"alone", DecodeHeader}, {"decoder", d.Header}} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(ev)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := bc.decode(ev); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestDecoderObjectSame: Object says same only when the keys are those of
// the last object it accepted, in order, whatever came between.
func TestDecoderObjectSame(t *testing.T) {
	var d Decoder
	for i, tc := range []struct {
		in   string
		same bool
	}{
		{`{"a":1,"b":"x"}`, false},
		{`{"a":2,"b":"y"}`, true},
		{`{"a":2,"b":"y","c":3}`, false},
		{`{"a":2,"b":"y","c":4}`, true},
		{`{"a":2,"b":"y"}`, false},      // fewer keys
		{`{"a":2,"b":{"n":1}}`, false},  // nested: not flat
		{`{"a":2,"b":"y"}`, false},      // after a nested one
		{`{"a":2,"b":"y"}`, true},       //
		{`{"a":2,"b":}`, false},         // an error says nothing
		{`{"a":3,"b":"z"}`, true},       // so the last accepted is still a, b
		{`{"b":"z","a":3}`, false},      // other order
		{`{"\u0062":"z","a":3}`, false}, // escaped key: not flat
		{`{"b":"z","a":3}`, false},      //
		{`{"b":"z","a":3}`, true},       //
		{`{"B":"z","a":3}`, false},      // another case
		{`{"B":"z","a":3}`, true},       //
		{`{"c":1,"d":2} x`, false},      // an error after a flat object of other keys
		{`{"c":1,"d":2}`, false},        // so the last accepted is still B, a
		{`{"c":1,"d":2}`, true},         //
	} {
		_, same, err := d.Object([]byte(tc.in), nil)
		if same != tc.same || (err != nil) != (strings.HasSuffix(tc.in, ":}") || strings.HasSuffix(tc.in, " x")) {
			t.Errorf("%d: Object(%s) = same %v, %v; want same %v", i, tc.in, same, err, tc.same)
		}
	}
}
