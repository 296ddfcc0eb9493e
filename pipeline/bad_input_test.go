package pipeline_test

// The sink given what is not a well-formed event: garbage, JSON of the
// wrong shape, and symbols that look like paths or SQL.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/twmb/franz-go/pkg/kgo"

	"pipeline/catalog"
	"pipeline/pipeline"
)

// tickJSON is a valid event's JSON.
func tickJSON(sym string, ts time.Time, seq int64, price float64) []byte {
	ev := pipeline.Event{Symbol: sym, TS: ts, Seq: seq, Names: []string{"price", "volume"},
		Values: []pipeline.Value{pipeline.Float(price), pipeline.Int(100 * (seq + 1))}}
	return ev.AppendJSON(nil)
}

// deadLetterLine is one line of a dead-letter object, as a user reads it.
type deadLetterLine struct {
	Topic     string `json:"topic"`
	Partition int32  `json:"partition"`
	Offset    int64  `json:"offset"`
	Reason    string `json:"reason"`
	Value     []byte `json:"value_base64"`
}

// readDeadLetters reads every dead letter under _errors/<topic>/, keyed by
// partition and offset. It checks that each line carries the fields a user
// needs to find and replay the record.
func readDeadLetters(t *testing.T, ctx context.Context, s3c *s3.Client) map[[2]int64]deadLetterLine {
	t.Helper()
	out := map[[2]int64]deadLetterLine{}
	prefix := pipeline.ErrorsFolder + "/" + pipeline.Topic + "/"
	for _, key := range listKeys(t, ctx, s3c, prefix) {
		body := getObject(t, ctx, s3c, key)
		for _, line := range bytes.Split(bytes.TrimSuffix(body, []byte{'\n'}), []byte{'\n'}) {
			var fields map[string]json.RawMessage
			if err := json.Unmarshal(line, &fields); err != nil {
				t.Fatalf("%s: a line is not JSON: %v: %q", key, err, line)
			}
			for _, f := range []string{"topic", "partition", "offset", "reason", "value_base64"} {
				if _, ok := fields[f]; !ok {
					t.Errorf("%s: a line has no %q: %s", key, f, line)
				}
			}
			var dl deadLetterLine
			if err := json.Unmarshal(line, &dl); err != nil {
				t.Fatalf("%s: %v: %s", key, err, line)
			}
			k := [2]int64{int64(dl.Partition), dl.Offset}
			if _, dup := out[k]; dup {
				t.Errorf("partition %d offset %d dead-lettered twice", dl.Partition, dl.Offset)
			}
			out[k] = dl
		}
	}
	return out
}

// TestSinkDeadLetters sends garbage among good events: a Python dict's
// repr (what a producer without a JSON serializer sends), text, nothing,
// binary, JSON that is not an object, JSON
// that the sink's parser accepts but that would break a query, and values
// that the table's columns cannot read. Every good event must be queryable
// once, and so must records of other shapes that the table can hold; every
// bad record must be a dead letter with its exact bytes, partition, offset
// and reason; the sink must go on.
func TestSinkDeadLetters(t *testing.T) {
	ctx := testContext(t, 60*time.Second)
	stack, kafka, s3c, cat := localStack(t)
	const ts = "2024-01-02T03:04:05.000Z"
	long := strings.Repeat("L", 10<<10)
	bad := []struct {
		name   string
		value  []byte
		reason string // what the reason says, "" if it may say anything
	}{
		{"a Python dict's repr", []byte(`{'surnasdasdame':'parasdasdmar'}`), "not valid JSON"},
		{"text", []byte(`not json at all`), "not a JSON object"},
		{"empty", []byte{}, "not a JSON object"},
		{"null (a tombstone)", nil, "not a JSON object"},
		{"binary", []byte{0x00, 0x01, 0xfe, 0xff, '{', 0x80, '\n', 0x7f}, "not a JSON object"},
		{"array", []byte(`[{"symbol":"X","ts":"` + ts + `","seq":0}]`), "not a JSON object"},
		{"two values", []byte(`{"symbol":"X","ts":"` + ts + `","seq":0}{"symbol":"Y"}`), "more than one"},
		// Values the table's columns (typed by the good events) cannot read.
		{"ts yesterday", []byte(`{"symbol":"X","ts":"yesterday","seq":0}`), `ts: "yesterday" is not a timestamp`},
		{"ts in seconds", []byte(`{"symbol":"X","ts":1700000000,"seq":0}`), `ts: 1700000000 is not a timestamp`},
		{"seq a word", []byte(`{"symbol":"X","ts":"` + ts + `","seq":"one"}`), `seq: "one" is not a bigint`},
		{"price a word", []byte(`{"symbol":"X","ts":"` + ts + `","seq":0,"price":"abc"}`), `price: "abc" is not a double`},
		// JSON that Go's decoder takes but a query engine does not:
		// stored in the table, it would make every query fail.
		{"invalid UTF-8 in a string", []byte("{\"symbol\":\"BIN\xff\xfe\",\"ts\":\"" + ts + "\",\"seq\":0}"), ""},
		{"half a surrogate pair", []byte(`{"symbol":"X\ud800","ts":"` + ts + `","seq":0}`), "half a UTF-16 surrogate pair"},
		{"a number beyond a double", []byte(`{"symbol":"X","ts":"` + ts + `","seq":0,"price":1e400}`), "out of a double's range"},
		{"a duplicate key", []byte(`{"symbol":"DUPA","ts":"` + ts + `","seq":0,"symbol":"DUPB"}`), ""},
		// Keys that would be one column: a row of NULLs, or another
		// symbol than the one the sink checked.
		{"a key twice, in two cases", []byte(`{"symbol":"CASEA","ts":"` + ts + `","seq":0,"SYMBOL":"CASEB"}`), ""},
	}
	// Records of other shapes that the table holds, each its own symbol's
	// seq 0: keys spelled in another case are stored under the columns'
	// spelling; a symbol is any string.
	others := [][]byte{
		[]byte(`{"Symbol":"CAP","TS":"` + ts + `","Seq":0}`),
		tickJSON(long, time.Now(), 0, 1.5),
		[]byte(`{"symbol":"A\u0001B","ts":"` + ts + `","seq":0}`),
		[]byte(`{"symbol":"NEG","ts":"` + ts + `","seq":0,"price":-3}`),
	}
	otherSymbols := []string{"CAP", long, "A\x01B", "NEG"}

	// Good events of six symbols, one partition each, with the bad
	// records spread among them; some good events span several lines.
	const perSymbol = 300
	now := time.Now()
	var recs []*kgo.Record
	want := map[string]int64{}
	isBad := map[*kgo.Record]int{}
	for i := range 6 * perSymbol {
		sym := fmt.Sprintf("GOOD%d", i%6)
		v := tickJSON(sym, now, want[sym], 10+float64(i)/100)
		if i%50 == 7 {
			var ind bytes.Buffer
			json.Indent(&ind, v, "", "  ")
			v = ind.Bytes()
		}
		want[sym]++
		recs = append(recs, &kgo.Record{Partition: int32(i % 6), Key: []byte(sym), Value: v})
		if j := i / 80; i%80 == 40 && j < len(bad) {
			r := &kgo.Record{Partition: int32(j % 6), Value: bad[j].value}
			isBad[r] = j
			recs = append(recs, r)
		}
		if j := i / 80; i%80 == 60 && j < len(others) {
			recs = append(recs, &kgo.Record{Partition: int32(j % 6), Value: others[j]})
			want[otherSymbols[j]] = 1
		}
	}
	if len(isBad) != len(bad) {
		t.Fatalf("placed %d of %d bad records", len(isBad), len(bad))
	}

	cl, err := kgo.NewClient(append(append([]kgo.Opt{}, kafka...),
		kgo.DefaultProduceTopic(pipeline.Topic), kgo.RecordPartitioner(kgo.ManualPartitioner()))...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	sink := startSink(t, kafka, s3c, pipeline.SinkOptions{Group: groupFor(t), MaxRecords: 100, MaxAge: 100 * time.Millisecond})
	ends := map[int32]int64{}
	for _, r := range cl.ProduceSync(ctx, recs...) {
		if r.Err != nil {
			t.Fatal(r.Err)
		}
		ends[r.Record.Partition] = max(ends[r.Record.Partition], r.Record.Offset+1)
	}
	sink.waitCommitted(t, ends, 30*time.Second)
	if !sink.running() {
		t.Fatalf("sink stopped: %v", sink.err)
	}
	sink.stop(t)
	st := sink.Stats()
	if st.Records != 6*perSymbol+int64(len(others)) || st.DeadLetters != int64(len(bad)) {
		t.Errorf("sink stored %d records and %d dead letters, want %d and %d", st.Records, st.DeadLetters, 6*perSymbol+len(others), len(bad))
	}

	dls := readDeadLetters(t, ctx, s3c)
	for r, j := range isBad {
		b := bad[j]
		dl, ok := dls[[2]int64{int64(r.Partition), r.Offset}]
		if !ok {
			t.Errorf("%s (partition %d offset %d): no dead letter", b.name, r.Partition, r.Offset)
			continue
		}
		delete(dls, [2]int64{int64(r.Partition), r.Offset})
		if !bytes.Equal(dl.Value, b.value) {
			t.Errorf("%s: dead letter holds %q, sent %q", b.name, dl.Value, b.value)
		}
		if dl.Topic != pipeline.Topic || dl.Reason == "" || !strings.Contains(dl.Reason, b.reason) {
			t.Errorf("%s: dead letter says topic %q, reason %q; want %q and a reason saying %q", b.name, dl.Topic, dl.Reason, pipeline.Topic, b.reason)
		}
	}
	for k, dl := range dls {
		t.Errorf("partition %d offset %d is a dead letter, but it was a good event: %s", k[0], k[1], dl.Reason)
	}

	eng, crawled := queryStore(t, ctx, stack, s3c, cat)
	tables, err := cat.ListTables(ctx, catalog.Database)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tb := range tables {
		names = append(names, tb.Name)
	}
	if !slices.Equal(crawled.Tables, []string{pipeline.Topic}) || !slices.Equal(names, []string{pipeline.Topic}) {
		t.Errorf("crawl made tables %v, catalog has %v; want only %s", crawled.Tables, names, pipeline.Topic)
	}
	assertExactlyOnce(t, eng, want)
}

// TestHostileSymbols sends valid events whose symbols and column names look
// like paths, SQL or escapes, or are 10 KB long, into a stack whose data
// directory's name has quotes in it. Nothing may be written outside the
// stack's data directory, the objects keep the sink's fixed key shape, and
// SQL returns each symbol as it was sent, with its exact count, and each
// column by its name: the engine's views name the columns and read the data
// directory's folders through catalog.QuoteIdent and QuoteLiteral, the one
// place that quotes.
func TestHostileSymbols(t *testing.T) {
	ctx := testContext(t, 60*time.Second)
	stack, kafka, s3c, cat := localStackIn(t, filepath.Join(t.TempDir(), `it's "the" data 日`))
	dir := stackDir(t, stack)
	root := filepath.Dir(filepath.Dir(dir)) // this test's temp root: the stack and the catalog
	before := treeFiles(t, root)
	outside := outsideNames(t, root)

	hostile := []string{"../../x", "a/b", "BRK.B", "with space", "日本", "it's",
		`x"; DROP TABLE stock_topic; --`, "%2e%2e", `back\slash`, "/abs", "."}
	long := strings.Repeat("L", 10<<10)
	want := map[string]int64{}
	for i, sym := range hostile {
		want[sym] = int64(20 + 7*i)
	}
	const longCount = 3
	want[long] = longCount
	// Columns named like SQL: each holds the symbol again, or seq doubled,
	// so that a name that reads another column's values shows.
	names := []string{"price", "volume", `a"b`, "it's", `x"); DROP VIEW stock_topic; --`}

	cl, err := kgo.NewClient(append(append([]kgo.Opt{}, kafka...), pipeline.ProducerClientOpts()...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	prod := pipeline.NewProducer(cl, pipeline.Topic)
	sink := startSink(t, kafka, s3c, pipeline.SinkOptions{Group: groupFor(t), MaxRecords: 50, MaxAge: 100 * time.Millisecond})
	emitted := map[string]int64{}
	for more := true; more; {
		more = false
		for _, sym := range append(slices.Clone(hostile), long) {
			if emitted[sym] >= want[sym] {
				continue
			}
			more = true
			ev := pipeline.Event{Symbol: sym, TS: time.Now(), Seq: emitted[sym], Names: names,
				Values: []pipeline.Value{pipeline.Float(1.25), pipeline.Int(100), pipeline.String(sym),
					pipeline.Int(2 * emitted[sym]), pipeline.String("'" + sym + `"`)}}
			if err := prod.Emit(ctx, &ev); err != nil {
				t.Fatal(err)
			}
			emitted[sym]++
		}
	}
	if err := prod.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	sink.waitCommitted(t, prod.Stats().EndOffsets, 30*time.Second)
	sink.stop(t)

	if st := sink.Stats(); st.DeadLetters != 0 {
		t.Errorf("%d dead letters, want none", st.DeadLetters)
	}

	// Every key has the sink's shape, whatever the symbols.
	keyShape := sinkKeyShape
	for _, k := range listKeys(t, ctx, s3c, "") {
		if !keyShape.MatchString(k) {
			t.Errorf("object key %q is not of the sink's shape", k)
		}
	}

	eng, _ := queryStore(t, ctx, stack, s3c, cat)
	got := map[string]int64{}
	for _, r := range queryRows(t, eng, `SELECT symbol, count(*) FROM stock_topic GROUP BY symbol`) {
		got[r[0].(string)] = asInt(t, r[1])
	}
	if !maps.Equal(got, want) {
		t.Errorf("symbols and counts: got %v, want %v", got, want)
	}
	for _, sym := range append(hostile, long) {
		q := `SELECT count(*) FROM stock_topic WHERE symbol = ` + catalog.QuoteLiteral(sym)
		if c := asInt(t, queryRows(t, eng, q)[0][0]); c != want[sym] {
			t.Errorf("%s: %d, want %d", q, c, want[sym])
		}
	}
	res, err := eng.Query(ctx, `SELECT * FROM stock_topic`)
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, c := range res.Columns {
		col[c.Name] = i
	}
	for _, name := range append([]string{"symbol", "seq"}, names...) {
		if _, ok := col[name]; !ok {
			t.Fatalf("columns %v: no column %q", res.Columns, name)
		}
	}
	for _, r := range res.Rows {
		sym, seq := r[col["symbol"]], asInt(t, r[col["seq"]])
		if r[col[`a"b`]] != sym || asInt(t, r[col["it's"]]) != 2*seq || r[col[names[4]]] != "'"+sym.(string)+`"` {
			t.Fatalf("row %v: columns %q, %q and %q do not hold their own values for symbol %q, seq %d",
				r, `a"b`, "it's", names[4], sym, seq)
		}
	}
	assertExactlyOnce(t, eng, want)

	// Nothing was written outside the data directory and the catalog, and
	// in the store only the sink's objects and their metadata (files the
	// store names "@" and the key's last segment).
	data := sinkFileShape
	for _, f := range treeFiles(t, root) {
		if slices.Contains(before, f) {
			continue
		}
		rel, _ := filepath.Rel(dir, filepath.Join(root, f))
		rel = filepath.ToSlash(rel)
		switch {
		case strings.HasPrefix(rel, "kafka/"):
		case strings.HasPrefix(rel, "s3/"+testBucket+"/") && data.MatchString(strings.TrimPrefix(rel, "s3/"+testBucket+"/")):
		case strings.HasPrefix(rel, "s3/.meta/"+testBucket+"/") && data.MatchString(strings.TrimPrefix(rel, "s3/.meta/"+testBucket+"/")):
		case !strings.HasPrefix(rel, "../") && strings.HasPrefix(rel, "s3/"):
			t.Errorf("the store holds a file the sink did not write: %s", rel)
		case strings.HasPrefix(rel, "../") && !strings.Contains(f, "..") && !strings.ContainsAny(f, " '\"日%"):
			// the catalog, next to the stack's directory
		default:
			t.Errorf("a file was written at %s", filepath.Join(root, f))
		}
	}
	if after := outsideNames(t, root); !slices.Equal(after, outside) {
		t.Errorf("names next to the test's directory changed: %q, then %q", outside, after)
	}
}

// treeFiles lists the regular files under root, relative to it.
func treeFiles(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			rel, _ := filepath.Rel(root, path)
			out = append(out, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// outsideNames lists, in the directories above root, the entries a path
// escape by a hostile symbol could create.
func outsideNames(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	for d := root; ; d = filepath.Dir(d) {
		for _, name := range []string{"x", "a", "b", "日本", "it's", "with space", "%2e%2e", "abs", "slash"} {
			if _, err := os.Lstat(filepath.Join(d, name)); err == nil {
				out = append(out, filepath.Join(d, name))
			}
		}
		if d == filepath.Dir(d) {
			return out
		}
	}
}

// sinkKeyShape matches every key the sink writes with the JSON format: table
// objects, dead letters, claims, and the If-None-Match probe.
var sinkKeyShape = regexp.MustCompile(`^((stock_topic/dt=\d{4}-\d{2}-\d{2}|_errors/stock_topic)/stock_topic\+\d+\+\d{10}\.json|_sink/stock_topic/\d+/\d{19}\.json|_sink/stock_topic/if-none-match-probe)$`)

// sinkFileShape matches the files the disk store holds those keys in: the
// key's last segment is named with an "@" before it.
var sinkFileShape = regexp.MustCompile(`^((stock_topic/dt=\d{4}-\d{2}-\d{2}|_errors/stock_topic)/@stock_topic\+\d+\+\d{10}\.json|_sink/stock_topic/\d+/@\d{19}\.json|_sink/stock_topic/@if-none-match-probe)$`)
