package emulate

// AWS's own definitions of the Glue and Athena APIs: the service models
// botocore (and the SDKs) are generated from. testdata/aws-models holds a
// trimmed copy: the operations the emulator serves, with their output and
// error shapes, without documentation. Regenerate it from Debian's
// python3-botocore with
//
//	go test ./emulate -run TestAWSModelFiles -update-aws-models
//
// The models are Apache License 2.0 (see testdata/aws-models/NOTICE).

import (
	"encoding/json"
	"flag"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	athenatypes "github.com/aws/aws-sdk-go-v2/service/athena/types"
)

var updateAWSModels = flag.Bool("update-aws-models", false, "rewrite testdata/aws-models from "+botocoreData)

// botocoreData is where Debian's python3-botocore keeps the models.
const botocoreData = "/usr/lib/python3/dist-packages/botocore/data"

// awsModelFiles are the models the test reads: service -> file.
var awsModelFiles = map[string]string{
	"glue":   "glue/2017-03-31/service-2.json",
	"athena": "athena/2017-05-18/service-2.json",
}

type awsModel struct {
	Metadata   map[string]any          `json:"metadata"`
	Operations map[string]awsOperation `json:"operations"`
	Shapes     map[string]awsShape     `json:"shapes"`
}

type awsOperation struct {
	Name   string      `json:"name"`
	Input  *awsRef     `json:"input,omitempty"`
	Output *awsRef     `json:"output,omitempty"`
	Errors []awsRef    `json:"errors,omitempty"`
	HTTP   interface{} `json:"http,omitempty"`
}

type awsRef struct {
	Shape string `json:"shape"`
}

type awsShape struct {
	Type     string            `json:"type"`
	Required []string          `json:"required,omitempty"`
	Members  map[string]awsRef `json:"members,omitempty"`
	Member   *awsRef           `json:"member,omitempty"` // list
	Key      *awsRef           `json:"key,omitempty"`    // map
	Value    *awsRef           `json:"value,omitempty"`  // map
	Enum     []string          `json:"enum,omitempty"`
	Min      *float64          `json:"min,omitempty"`
	Max      *float64          `json:"max,omitempty"`
	Error    any               `json:"error,omitempty"`
	Exc      bool              `json:"exception,omitempty"`
}

// servedOperations are the emulator's operations of a service.
func servedOperations(service string) []string {
	var ops []string
	switch service {
	case "glue":
		ops = slices.Collect(maps.Keys(glueOperations))
	case "athena":
		ops = slices.Collect(maps.Keys(athenaOperations))
	}
	slices.Sort(ops)
	return ops
}

func modelPath(service string) string {
	return filepath.Join("testdata", "aws-models", service+".json")
}

// TestAWSModelFiles rewrites the trimmed models with -update-aws-models,
// and otherwise checks the committed ones have every served operation.
func TestAWSModelFiles(t *testing.T) {
	for service, file := range awsModelFiles {
		if *updateAWSModels {
			b, err := os.ReadFile(filepath.Join(botocoreData, file))
			if err != nil {
				t.Fatalf("%v: apt-get install -y python3-botocore", err)
			}
			var full awsModel
			if err := json.Unmarshal(b, &full); err != nil {
				t.Fatal(err)
			}
			trimmed := awsModel{Metadata: full.Metadata, Operations: map[string]awsOperation{}, Shapes: map[string]awsShape{}}
			var keep func(name string)
			keep = func(name string) {
				if _, ok := trimmed.Shapes[name]; ok {
					return
				}
				s := full.Shapes[name]
				trimmed.Shapes[name] = s
				for _, ref := range s.Members {
					keep(ref.Shape)
				}
				for _, ref := range []*awsRef{s.Member, s.Key, s.Value} {
					if ref != nil {
						keep(ref.Shape)
					}
				}
			}
			for _, op := range servedOperations(service) {
				o, ok := full.Operations[op]
				if !ok {
					t.Fatalf("%s %s is not in %s", service, op, file)
				}
				trimmed.Operations[op] = o
				for _, ref := range append([]awsRef{*o.Output}, o.Errors...) {
					keep(ref.Shape)
				}
			}
			out, err := json.MarshalIndent(trimmed, "", " ")
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(modelPath(service), append(out, '\n'), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		m := loadModel(t, service)
		for _, op := range servedOperations(service) {
			if _, ok := m.Operations[op]; !ok {
				t.Errorf("%s: the emulator serves %s, which %s lacks: rerun with -update-aws-models", service, op, modelPath(service))
			}
		}
	}
}

func loadModel(t *testing.T, service string) *awsModel {
	t.Helper()
	b, err := os.ReadFile(modelPath(service))
	if err != nil {
		t.Fatal(err)
	}
	var m awsModel
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v", modelPath(service), err)
	}
	return &m
}

// validate checks a decoded JSON value against a model shape: its type,
// the members a structure requires, no member the shape does not have
// (unless AWS added it since, see sdkShapes), enums, and the lengths and
// ranges the model bounds. It returns every problem, each with its path.
func (m *awsModel) validate(v any, shape, path string) []string {
	s, ok := m.Shapes[shape]
	if !ok {
		return []string{fmt.Sprintf("%s: shape %s is not in the model", path, shape)}
	}
	bad := func(format string, args ...any) []string {
		return []string{fmt.Sprintf("%s (%s): %s", path, shape, fmt.Sprintf(format, args...))}
	}
	bounds := func(n float64, what string) []string {
		if s.Min != nil && n < *s.Min {
			return bad("%s %v is under the minimum %v", what, n, *s.Min)
		}
		if s.Max != nil && n > *s.Max {
			return bad("%s %v is over the maximum %v", what, n, *s.Max)
		}
		return nil
	}
	switch s.Type {
	case "structure":
		obj, ok := v.(map[string]any)
		if !ok {
			return bad("want an object, got %T", v)
		}
		var probs []string
		for _, r := range s.Required {
			if _, ok := obj[r]; !ok {
				probs = append(probs, bad("required member %s is missing", r)...)
			}
		}
		for _, k := range slices.Sorted(maps.Keys(obj)) {
			ref, ok := s.Members[k]
			if !ok {
				if !newerMember(shape, k) {
					probs = append(probs, bad("member %s is not in the model", k)...)
				}
				continue
			}
			probs = append(probs, m.validate(obj[k], ref.Shape, path+"."+k)...)
		}
		return probs
	case "list":
		list, ok := v.([]any)
		if !ok {
			return bad("want a list, got %T", v)
		}
		probs := bounds(float64(len(list)), "length")
		for i, e := range list {
			probs = append(probs, m.validate(e, s.Member.Shape, fmt.Sprintf("%s[%d]", path, i))...)
		}
		return probs
	case "map":
		obj, ok := v.(map[string]any)
		if !ok {
			return bad("want an object, got %T", v)
		}
		probs := bounds(float64(len(obj)), "size")
		for _, k := range slices.Sorted(maps.Keys(obj)) {
			probs = append(probs, m.validate(k, s.Key.Shape, path+"{key}")...)
			probs = append(probs, m.validate(obj[k], s.Value.Shape, path+"["+k+"]")...)
		}
		return probs
	case "string":
		str, ok := v.(string)
		if !ok {
			return bad("want a string, got %T", v)
		}
		if len(s.Enum) > 0 && !slices.Contains(s.Enum, str) {
			return bad("%q is not one of %v", str, s.Enum)
		}
		return bounds(float64(utf8.RuneCountInString(str)), "length")
	case "boolean":
		if _, ok := v.(bool); !ok {
			return bad("want a boolean, got %T", v)
		}
	case "integer", "long":
		n, ok := v.(float64)
		if !ok || n != math.Trunc(n) {
			return bad("want an integer, got %v", v)
		}
		return bounds(n, "value")
	case "double", "float":
		n, ok := v.(float64)
		if !ok {
			return bad("want a number, got %T", v)
		}
		return bounds(n, "value")
	case "timestamp": // AWS JSON: epoch seconds
		if _, ok := v.(float64); !ok {
			return bad("want epoch seconds, got %T %v", v, v)
		}
	case "blob":
		if _, ok := v.(string); !ok {
			return bad("want base64 text, got %T", v)
		}
	default:
		return bad("type %s is not checked", s.Type)
	}
	return nil
}

// sdkShapes are aws-sdk-go-v2's types of shapes whose members Athena added
// after the botocore model of testdata was made; the SDK is generated from
// AWS's models too, and newer.
var sdkShapes = map[string]reflect.Type{
	"QueryExecution":           reflect.TypeFor[athenatypes.QueryExecution](),
	"QueryExecutionStatistics": reflect.TypeFor[athenatypes.QueryExecutionStatistics](),
}

// newerMember says whether member is one AWS added to shape after the
// model: a field of the SDK's type of that shape.
func newerMember(shape, member string) bool {
	t, ok := sdkShapes[shape]
	if !ok {
		return false
	}
	_, ok = t.FieldByName(member)
	return ok
}

// commonErrors may answer any operation of the JSON protocol.
var commonErrors = []string{"SerializationException", "UnknownOperationException", "ValidationException", "InternalFailure"}

// checkReply checks one reply of operation op against the model: a
// success against the output shape, an error's type against the errors
// the operation declares.
func (m *awsModel) checkReply(op string, status int, body map[string]any) []string {
	o, ok := m.Operations[op]
	if !ok {
		return []string{op + " is not in the model"}
	}
	if status == 200 {
		return m.validate(body, o.Output.Shape, op)
	}
	typ, _ := body["__type"].(string)
	if slices.Contains(commonErrors, typ) || slices.ContainsFunc(o.Errors, func(r awsRef) bool { return r.Shape == typ }) {
		return nil
	}
	var declared []string
	for _, r := range o.Errors {
		declared = append(declared, r.Shape)
	}
	return []string{fmt.Sprintf("%s answered %d %s, which it does not declare (%s)", op, status, typ, strings.Join(declared, ", "))}
}
