package pipeline_test

// Tests of the issue "Any producer's records, safely": the sink stores any
// JSON object as a row of its topic's table, the table's column types are a
// contract that one bad record cannot break, and the sink works in a bucket
// it did not make. Each ends with what a user would check: the table through
// DuckDB (and the emulated Athena), the catalog, the dead letters.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/twmb/franz-go/pkg/kgo"

	pipeaws "pipeline/aws"
	"pipeline/catalog"
	"pipeline/emulate"
	"pipeline/pipeline"
	"pipeline/sqlq"
	"pipeline/sqlq/duckdb"
)

// recordStack is the local stack with its own catalog (the one its Glue and
// Athena serve) and clients.
type recordStack struct {
	stack *emulate.Stack
	kafka []kgo.Opt
	s3    *s3.Client
	cat   *catalog.Catalog
	cfg   aws.Config
}

func startRecordStack(t *testing.T, opts *emulate.StackOptions) *recordStack {
	t.Helper()
	if opts == nil {
		opts = &emulate.StackOptions{}
	}
	stack, err := emulate.Start(emulate.DataDir(t.TempDir()), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stack.Close() })
	cfg, err := pipeaws.Load(context.Background(), pipeaws.Emulator(stack.S3.URL(), nil))
	if err != nil {
		t.Fatal(err)
	}
	rs := &recordStack{stack: stack, kafka: []kgo.Opt{kgo.SeedBrokers(stack.Kafka.ListenAddrs()...)}, s3: pipeaws.NewS3(cfg),
		cat: catalog.New(stack.Catalog), cfg: cfg}
	return rs
}

// produce sends values to topic (created with 2 partitions if new), in
// order, to its partition 0 (so the sink reads them in order), and returns
// the end offsets.
func (rs *recordStack) produce(t *testing.T, ctx context.Context, topic string, values ...string) map[int32]int64 {
	t.Helper()
	cl, err := kgo.NewClient(append(slices.Clone(rs.kafka), kgo.DefaultProduceTopic(topic), kgo.RecordPartitioner(kgo.ManualPartitioner()))...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if err := pipeline.EnsureTopic(ctx, cl, topic, 2); err != nil {
		t.Fatal(err)
	}
	var recs []*kgo.Record
	for _, v := range values {
		recs = append(recs, &kgo.Record{Value: []byte(v)})
	}
	res := cl.ProduceSync(ctx, recs...)
	if err := res.FirstErr(); err != nil {
		t.Fatal(err)
	}
	ends := map[int32]int64{}
	for _, r := range res {
		ends[r.Record.Partition] = max(ends[r.Record.Partition], r.Record.Offset+1)
	}
	return ends
}

// sinkAll runs a sink over topic with opts until it has stored ends, and
// stops it.
func (rs *recordStack) sinkAll(t *testing.T, topic string, ends map[int32]int64, opts pipeline.SinkOptions) pipeline.SinkStats {
	t.Helper()
	opts.Topic, opts.Group, opts.Catalog = topic, groupFor(t)+"-"+topic, rs.cat
	if opts.MaxAge == 0 {
		opts.MaxAge = 50 * time.Millisecond
	}
	sink := startSink(t, rs.kafka, rs.s3, opts)
	sink.waitCommitted(t, ends, time.Minute)
	sink.stop(t)
	return sink.Stats()
}

// duckdb opens DuckDB over the catalog, as `pipeline query` does.
func (rs *recordStack) duckdb(t *testing.T) *duckdb.Engine {
	t.Helper()
	eng, err := duckdb.Open(context.Background(), rs.cat, &duckdb.Options{LocalDir: rs.stack.Store.PrefixDir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	return eng
}

// athena is the aws adapter's Athena engine on the emulated Athena.
func (rs *recordStack) athena(t *testing.T) sqlq.Engine {
	t.Helper()
	eng, err := pipeaws.NewAthena(rs.cfg, &pipeaws.AthenaOptions{OutputLocation: "s3://" + testBucket + "/athena-results/"})
	if err != nil {
		t.Fatal(err)
	}
	return eng
}

// deadLetters reads the dead letters of topic: value -> reason.
func (rs *recordStack) deadLetters(t *testing.T, ctx context.Context, topic string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, key := range listKeys(t, ctx, rs.s3, pipeline.ErrorsFolder+"/"+topic+"/") {
		for _, line := range bytes.Split(bytes.TrimSpace(getObject(t, ctx, rs.s3, key)), []byte{'\n'}) {
			var dl deadLetterLine
			if err := json.Unmarshal(line, &dl); err != nil {
				t.Fatalf("%s: %v", key, err)
			}
			out[string(dl.Value)] = dl.Reason
		}
	}
	return out
}

// columns is the table's columns in the catalog, "name type" each.
func (rs *recordStack) columns(t *testing.T, table string) []string {
	t.Helper()
	tbl, err := rs.cat.GetTable(context.Background(), catalog.Database, table)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, c := range tbl.Columns {
		out = append(out, c.Name+" "+c.Type)
	}
	return out
}

// rowsText renders rows as a user reads them.
func rowsText(rows [][]any) string {
	var b strings.Builder
	for _, r := range rows {
		for i, v := range r {
			if i > 0 {
				b.WriteByte('|')
			}
			if tm, ok := v.(time.Time); ok {
				v = tm.UTC().Format("2006-01-02 15:04:05")
			}
			fmt.Fprint(&b, v)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func bothFormats(t *testing.T, f func(t *testing.T, format string)) {
	for _, format := range []string{catalog.FormatJSON, catalog.FormatParquet} {
		t.Run(format, func(t *testing.T) { f(t, format) })
	}
}

// TestSinkStoresAnyRecords: records of other shapes than our ticks become
// tables with their own columns, queryable as soon as the sink has stored
// them (no crawl): the original pipeline's row-shaped records (CSV rows as dicts, with
// mixed-case keys), ticks without seq, and topics that are not stock data at
// all, with nested values. Mixed-case keys read right in DuckDB and through
// the emulated Athena.
func TestSinkStoresAnyRecords(t *testing.T) {
	bothFormats(t, func(t *testing.T, format string) {
		ctx := testContext(t, 2*time.Minute)
		rs := startRecordStack(t, nil)
		if err := pipeline.EnsureBucket(ctx, rs.s3, testBucket); err != nil {
			t.Fatal(err)
		}
		// The original pipeline's producer: each row of indexProcessed.csv as a dict.
		rows := rs.produce(t, ctx, "index_rows",
			`{"Index": "HSI", "Date": "1986-12-31", "Open": 2568.300049, "High": 2568.300049, "Low": 2568.300049, "Close": 2568.300049, "Adj Close": 2568.300049, "Volume": 0.0, "CloseUSD": 333.87900637}`,
			`{"Index": "HSI", "Date": "1987-01-02", "Open": 2540.100098, "High": 2540.100098, "Low": 2540.100098, "Close": 2540.100098, "Adj Close": 2540.100098, "Volume": 0.0, "CloseUSD": 330.21301274}`,
			`{"Index": "NYA", "Date": "1965-12-31", "Open": 528.690002, "High": 528.690002, "Low": 528.690002, "Close": 528.690002, "Adj Close": 528.690002, "Volume": 0.0, "CloseUSD": 528.690002}`,
			`{"Index": "N225", "Date": "2021-06-03", "Open": 28946.14063, "High": 29072.41016, "Low": 28849.16016, "Close": 29058.10938, "Adj Close": 29058.10938, "Volume": 66500000.0, "CloseUSD": 290.5810938}`)
		if st := rs.sinkAll(t, "index_rows", rows, pipeline.SinkOptions{Format: format, TimeField: "Date"}); st.Records != 4 || st.DeadLetters != 0 {
			t.Fatalf("index_rows: stored %d, %d dead letters; want 4 and none", st.Records, st.DeadLetters)
		}
		// Ticks of another producer, without seq.
		now := time.Now().UTC()
		var tickValues []string
		for i := range 50 {
			tickValues = append(tickValues, fmt.Sprintf(`{"symbol":"T%d","ts":%q,"price":%d.25}`, i%3, now.Add(time.Duration(i)*time.Millisecond).Format(time.RFC3339Nano), 100+i))
		}
		if st := rs.sinkAll(t, pipeline.Topic, rs.produce(t, ctx, pipeline.Topic, tickValues...), pipeline.SinkOptions{Format: format}); st.Records != 50 || st.DeadLetters != 0 {
			t.Fatalf("ticks without seq: stored %d, %d dead letters; want 50 and none", st.Records, st.DeadLetters)
		}
		// Not stock data: sensor readings and orders, with nested values.
		sensors := rs.produce(t, ctx, "sensors",
			`{"device":"t-1","at":"2024-05-01T10:00:00+02:00","celsius":21.5,"ok":true,"tags":["roof","north"]}`,
			`{"device":"t-2","at":"2024-05-01T10:00:01+02:00","celsius":-3,"ok":false,"tags":[]}`,
			`{"device":"t-1","at":"2024-05-02T09:00:00+02:00","celsius":22,"ok":true}`)
		if st := rs.sinkAll(t, "sensors", sensors, pipeline.SinkOptions{Format: format, TimeField: "at"}); st.Records != 3 || st.DeadLetters != 0 {
			t.Fatalf("sensors: stored %d, %d dead letters; want 3 and none", st.Records, st.DeadLetters)
		}
		orders := rs.produce(t, ctx, "orders",
			`{"order_id":1001,"customer":{"id":7,"name":"Ada"},"lines":[{"sku":"A","qty":2}],"total":19.98,"placed":"2024-03-01"}`,
			`{"order_id":1002,"customer":{"id":8,"name":"Bo"},"lines":[],"total":5,"placed":"2024-03-02","coupon":null}`)
		if st := rs.sinkAll(t, "orders", orders, pipeline.SinkOptions{Format: format}); st.Records != 2 || st.DeadLetters != 0 {
			t.Fatalf("orders: stored %d, %d dead letters; want 2 and none", st.Records, st.DeadLetters)
		}

		if got, want := strings.Join(rs.columns(t, "index_rows"), ", "),
			"Index string, Date date, Open double, High double, Low double, Close double, Adj Close double, Volume double, CloseUSD double"; got != want {
			t.Errorf("index_rows columns: %s\nwant %s", got, want)
		}
		if got, want := strings.Join(rs.columns(t, pipeline.Topic), ", "), "symbol string, ts timestamp, price double"; got != want {
			t.Errorf("%s columns: %s, want %s", pipeline.Topic, got, want)
		}
		if got, want := strings.Join(rs.columns(t, "orders"), ", "), "order_id bigint, customer string, lines string, total double, placed date"; got != want {
			t.Errorf("orders columns: %s, want %s", got, want)
		}

		duck := rs.duckdb(t)
		const rowsQ = `SELECT "Index", "Date", closeusd, "Adj Close", dt FROM index_rows ORDER BY "Date"`
		const rowsWant = "NYA|1965-12-31 00:00:00|528.690002|528.690002|1965-12-31\n" +
			"HSI|1986-12-31 00:00:00|333.87900637|2568.300049|1986-12-31\n" +
			"HSI|1987-01-02 00:00:00|330.21301274|2540.100098|1987-01-02\n" +
			"N225|2021-06-03 00:00:00|290.5810938|29058.10938|2021-06-03\n"
		if got := rowsText(queryRows(t, duck, rowsQ)); got != rowsWant {
			t.Errorf("DuckDB: %s:\n%s\nwant\n%s", rowsQ, got, rowsWant)
		}
		if got := rowsText(queryRows(t, duck, `SELECT count(*), count(DISTINCT symbol), sum(price), min(dt) = max(dt) FROM stock_topic`)); got != "50|3|6237.5|true\n" {
			t.Errorf("ticks without seq: count, symbols, sum(price), one day = %s", got)
		}
		if got := rowsText(queryRows(t, duck, `SELECT device, celsius, ok, tags, dt FROM sensors ORDER BY "at"`)); got !=
			"t-1|21.5|true|[\"roof\",\"north\"]|2024-05-01\nt-2|-3|false|[]|2024-05-01\nt-1|22|true|<nil>|2024-05-02\n" {
			t.Errorf("sensors:\n%s", got)
		}
		if got := rowsText(queryRows(t, duck, `SELECT order_id, json_extract_string(customer, '$.name'), total, placed FROM orders ORDER BY order_id`)); got !=
			"1001|Ada|19.98|2024-03-01 00:00:00\n1002|Bo|5|2024-03-02 00:00:00\n" {
			t.Errorf("orders:\n%s", got)
		}
		// The emulated Athena lowers column names, as Athena does.
		athena := rs.athena(t)
		res, err := athena.Query(ctx, `SELECT "index", closeusd, "adj close" AS adj_close FROM index_rows WHERE "date" = DATE '1986-12-31'`)
		if err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprint(res.Columns, res.Rows); got != "[{index varchar} {closeusd double} {adj_close double}] [[HSI 333.87900637 2568.300049]]" {
			t.Errorf("Athena over the row-shaped records: %s", got)
		}
	})
}

// TestSinkKeepsColumnTypes: once a column has a type, a record whose value
// the type cannot read is a dead letter that names the field, and the table
// keeps its type and keeps answering; a number with a fraction in a bigint
// column widens it to double, recorded in the catalog. A crawl afterwards
// changes no type.
func TestSinkKeepsColumnTypes(t *testing.T) {
	bothFormats(t, func(t *testing.T, format string) {
		ctx := testContext(t, 2*time.Minute)
		rs := startRecordStack(t, nil)
		if err := pipeline.EnsureBucket(ctx, rs.s3, testBucket); err != nil {
			t.Fatal(err)
		}
		first := rs.produce(t, ctx, pipeline.Topic,
			`{"symbol":"A","price":10,"n":1}`, `{"symbol":"A","price":11,"n":2}`, `{"symbol":"B","price":12,"n":3}`)
		rs.sinkAll(t, pipeline.Topic, first, pipeline.SinkOptions{Format: format})
		if got := strings.Join(rs.columns(t, pipeline.Topic), ", "); got != "symbol string, price bigint, n bigint" {
			t.Fatalf("columns after the first records: %s", got)
		}
		// In order: a value is checked against its column's type when it
		// is read, before or after the widening in the same poll: "abc"
		// is no bigint, and no double either.
		values := []struct{ v, reason string }{
			{`{"symbol":"A","price":13.5,"n":9}`, ""}, // widens price
			{`{"symbol":"C","price":"abc","n":4}`, `price: "abc" is not a `},
			{`{"symbol":"C","price":true,"n":5}`, `price: true is not a `},
			{`{"symbol":"C","price":1.5,"n":"six"}`, `n: "six" is not a bigint`},
			{`{"symbol":"C","price":2,"n":7,"ok":1}`, ""}, // a new column
			{`{"symbol":"C","price":3,"n":8,"ok":"x"}`, `ok: "x" is not a bigint`},
			{`{"symbol":"B","price":14,"n":10}`, ""},
		}
		var sent []string
		for _, v := range values {
			sent = append(sent, v.v)
		}
		st := rs.sinkAll(t, pipeline.Topic, rs.produce(t, ctx, pipeline.Topic, sent...), pipeline.SinkOptions{Format: format})
		if st.Records != 3 || st.DeadLetters != 4 {
			t.Errorf("stored %d and %d dead letters, want 3 and 4", st.Records, st.DeadLetters)
		}
		dls := rs.deadLetters(t, ctx, pipeline.Topic)
		for _, v := range values {
			if got, ok := dls[v.v]; v.reason == "" && ok || v.reason != "" && !strings.HasPrefix(got, v.reason) {
				t.Errorf("%s: dead letter reason %q, want %q", v.v, got, v.reason)
			}
		}
		wantCols := "symbol string, price double, n bigint, ok bigint"
		if got := strings.Join(rs.columns(t, pipeline.Topic), ", "); got != wantCols {
			t.Errorf("columns: %s, want %s", got, wantCols)
		}
		tbl, err := rs.cat.GetTable(ctx, catalog.Database, pipeline.Topic)
		if err != nil {
			t.Fatal(err)
		}
		if c, _ := tbl.Column("price"); !strings.Contains(c.Comment, "widened from bigint to double") {
			t.Errorf("price's comment %q does not record the widening", c.Comment)
		}
		const q = `SELECT count(*), sum(price), avg(n), count(ok) FROM stock_topic`
		const want = "6|62.5|5.333333333333333|1\n"
		for _, crawled := range []bool{false, true} {
			if crawled {
				if _, err := pipeline.Crawl(ctx, rs.s3, rs.cat, pipeline.CrawlOptions{Bucket: testBucket}); err != nil {
					t.Fatal(err)
				}
				if got := strings.Join(rs.columns(t, pipeline.Topic), ", "); got != wantCols {
					t.Errorf("columns after a crawl: %s, want %s", got, wantCols)
				}
			}
			if got := rowsText(queryRows(t, rs.duckdb(t), q)); got != want {
				t.Errorf("crawled %v: %s = %s, want %s", crawled, q, got, want)
			}
		}
	})
}

// TestSinkChecksARecordByItsOwnKeys: a record is checked against the columns
// of its own keys, also right after a dead letter whose JSON began as an
// object of the same keys (the decoder remembered those keys, then found
// the rest of the value wrong): the next record with them is not checked as
// one with the keys of the record before the dead letter.
func TestSinkChecksARecordByItsOwnKeys(t *testing.T) {
	bothFormats(t, func(t *testing.T, format string) {
		ctx := testContext(t, 2*time.Minute)
		rs := startRecordStack(t, nil)
		if err := pipeline.EnsureBucket(ctx, rs.s3, testBucket); err != nil {
			t.Fatal(err)
		}
		rs.sinkAll(t, pipeline.Topic, rs.produce(t, ctx, pipeline.Topic, `{"a":1,"b":2}`), pipeline.SinkOptions{Format: format})
		const bad, good = `{"c":"x","d":"y"} 1`, `{"c":"x","d":"y"}`
		st := rs.sinkAll(t, pipeline.Topic, rs.produce(t, ctx, pipeline.Topic, `{"a":3,"b":4}`, bad, good, good),
			pipeline.SinkOptions{Format: format})
		if st.Records != 3 || st.DeadLetters != 1 {
			t.Errorf("stored %d and %d dead letters, want 3 and 1 (%v)", st.Records, st.DeadLetters, rs.deadLetters(t, ctx, pipeline.Topic))
		}
		if dls := rs.deadLetters(t, ctx, pipeline.Topic); !strings.Contains(dls[bad], "more than one JSON value") {
			t.Errorf("dead letters %q: want %s refused as more than one JSON value", dls, bad)
		}
		if got, want := strings.Join(rs.columns(t, pipeline.Topic), ", "), "a bigint, b bigint, c string, d string"; got != want {
			t.Errorf("columns: %s, want %s", got, want)
		}
		const q = `SELECT count(*), count(c), sum(a) FROM stock_topic`
		if got, want := rowsText(queryRows(t, rs.duckdb(t), q)), "4|2|4\n"; got != want {
			t.Errorf("%s = %s, want %s", q, got, want)
		}
	})
}

// TestSinkRefusesWhatNoTableHolds: JSON that is valid but that a query
// engine cannot read back (half a UTF-16 surrogate pair, a number beyond a
// double) is a dead letter, never stored, so the table keeps answering in
// DuckDB and in the emulated Athena.
func TestSinkRefusesWhatNoTableHolds(t *testing.T) {
	ctx := testContext(t, time.Minute)
	rs := startRecordStack(t, nil)
	if err := pipeline.EnsureBucket(ctx, rs.s3, testBucket); err != nil {
		t.Fatal(err)
	}
	bad := map[string]string{
		`{"symbol":"A","note":"\ud800"}`:         `\ud800 at offset 22 is half a UTF-16 surrogate pair`,
		`{"symbol":"A","note":"ok \udc00 then"}`: `\udc00 at offset 25 is half a UTF-16 surrogate pair`,
		`{"symbol":"A","x":{"\ud83d":1}}`:        `\ud83d at offset 20 is half a UTF-16 surrogate pair`,
		`{"symbol":"A","price":1e400}`:           `the number 1e400 is out of a double's range`,
		`{"symbol":"A","price":[-2E+308]}`:       `the number -2E+308 is out of a double's range`,
		`{"symbol":"A","price":NaN}`:             `not valid JSON`,
		`{"symbol":"A","price":Infinity}`:        `not valid JSON`,
	}
	values := []string{`{"symbol":"A","note":"\ud83d\ude00 fine","price":1.5}`}
	for v := range bad {
		values = append(values, v)
	}
	values = append(values, `{"symbol":"B","note":"after","price":2.5}`)
	st := rs.sinkAll(t, pipeline.Topic, rs.produce(t, ctx, pipeline.Topic, values...), pipeline.SinkOptions{})
	if st.Records != 2 || st.DeadLetters != int64(len(bad)) {
		t.Errorf("stored %d and %d dead letters, want 2 and %d", st.Records, st.DeadLetters, len(bad))
	}
	dls := rs.deadLetters(t, ctx, pipeline.Topic)
	for v, reason := range bad {
		if got := dls[v]; !strings.Contains(got, reason) {
			t.Errorf("%s: dead letter reason %q, want one saying %q", v, got, reason)
		}
	}
	const q = `SELECT symbol, note, price FROM stock_topic ORDER BY symbol`
	const want = "A|😀 fine|1.5\nB|after|2.5\n"
	if got := rowsText(queryRows(t, rs.duckdb(t), q)); got != want {
		t.Errorf("DuckDB: %s:\n%s\nwant\n%s", q, got, want)
	}
	if got := rowsText(queryRows(t, rs.athena(t), q)); got != want {
		t.Errorf("Athena: %s:\n%s\nwant\n%s", q, got, want)
	}
}

// TestSinkRefusesIntegersBeyondBigint: an integer that no int64 holds (a
// uint64 id) would be rounded by a double, in the engines and in a Parquet
// file, so it is a dead letter naming the field, in a bigint column, a
// double column or as a new field, and it widens no column; a string column
// keeps its digits.
func TestSinkRefusesIntegersBeyondBigint(t *testing.T) {
	bothFormats(t, func(t *testing.T, format string) {
		ctx := testContext(t, time.Minute)
		rs := startRecordStack(t, nil)
		if err := pipeline.EnsureBucket(ctx, rs.s3, testBucket); err != nil {
			t.Fatal(err)
		}
		bad := map[string]string{
			`{"id":2,"m":18446744073709551615}`:  `m: 18446744073709551615 is beyond bigint`,
			`{"id":3,"u":18446744073709551615}`:  `u: 18446744073709551615 is beyond bigint`,
			`{"id":6,"p":-9223372036854775809}`:  `p: -9223372036854775809 is beyond bigint`,
			`{"id":9,"m":123456789012345678901}`: `m: 123456789012345678901 is beyond bigint`,
		}
		values := []string{`{"id":1,"m":1,"p":0.5,"s":"x"}`}
		for v := range bad {
			values = append(values, v)
		}
		values = append(values, `{"id":4,"m":9223372036854775807}`, `{"id":5,"s":18446744073709551615}`)
		st := rs.sinkAll(t, "ids", rs.produce(t, ctx, "ids", values...), pipeline.SinkOptions{Format: format})
		if st.Records != 3 || st.DeadLetters != int64(len(bad)) {
			t.Errorf("stored %d and %d dead letters, want 3 and %d", st.Records, st.DeadLetters, len(bad))
		}
		dls := rs.deadLetters(t, ctx, "ids")
		for v, reason := range bad {
			if got := dls[v]; !strings.Contains(got, reason) {
				t.Errorf("%s: dead letter reason %q, want one saying %q", v, got, reason)
			}
		}
		tbl, err := rs.cat.GetTable(ctx, catalog.Database, "ids")
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range tbl.Columns {
			if want := map[string]string{"id": "bigint", "m": "bigint", "p": "double", "s": "string"}[c.Name]; c.Type != want {
				t.Errorf("column %s is %s, want %s", c.Name, c.Type, want)
			}
		}
		const q = `SELECT id, cast(m AS varchar), s FROM ids ORDER BY id`
		const want = "1|1|x\n4|9223372036854775807|<nil>\n5|<nil>|18446744073709551615\n"
		if got := rowsText(queryRows(t, rs.duckdb(t), q)); got != want {
			t.Errorf("%s:\n%s\nwant\n%s", q, got, want)
		}
	})
}

// TestSinkRenamesFieldsAPartitionHides: a field named dt (in any case) would
// be hidden behind the partition column, and one named "" vanishes from a
// schema; each is stored under one rule's name ("_" appended), never
// hidden, in either format.
func TestSinkRenamesFieldsAPartitionHides(t *testing.T) {
	bothFormats(t, func(t *testing.T, format string) {
		ctx := testContext(t, time.Minute)
		rs := startRecordStack(t, nil)
		if err := pipeline.EnsureBucket(ctx, rs.s3, testBucket); err != nil {
			t.Fatal(err)
		}
		ends := rs.produce(t, ctx, "events",
			`{"id":1,"dt":"a day","when":"2024-01-02"}`,
			`{"id":2,"DT":"another","when":"2024-01-02"}`,
			`{"id":3,"":"no name","when":"2024-01-02"}`,
			`{"id":4,"Dt":"x","dt_":"taken","when":"2024-01-02"}`)
		if st := rs.sinkAll(t, "events", ends, pipeline.SinkOptions{Format: format, TimeField: "when"}); st.Records != 4 {
			t.Fatalf("stored %d of 4 (%d dead letters)", st.Records, st.DeadLetters)
		}
		const q = `SELECT id, dt_, "_", dt__, dt FROM events ORDER BY id`
		const want = "1|a day|<nil>|<nil>|2024-01-02\n2|another|<nil>|<nil>|2024-01-02\n3|<nil>|no name|<nil>|2024-01-02\n4|taken|<nil>|x|2024-01-02\n"
		if got := rowsText(queryRows(t, rs.duckdb(t), q)); got != want {
			t.Errorf("%s:\n%s\nwant\n%s", q, got, want)
		}
	})
}

// TestSinkTimeField: with --time-field, a record's partition is its field's
// UTC date, whatever the time's form (ISO 8601 with or without a zone, a
// date; seconds or milliseconds since 1970 in another topic, as a column is
// of one type); a record without it, or with a value that is no time, is a
// dead letter that says so.
func TestSinkTimeField(t *testing.T) {
	ctx := testContext(t, time.Minute)
	rs := startRecordStack(t, nil)
	if err := pipeline.EnsureBucket(ctx, rs.s3, testBucket); err != nil {
		t.Fatal(err)
	}
	ends := rs.produce(t, ctx, "clicks",
		`{"id":1,"At":"2024-02-29T23:30:00-01:00"}`, // in UTC, March 1st
		`{"id":2,"At":"2024-02-29T12:00:00"}`,
		`{"id":3,"At":"2024-02-28"}`,
		`{"id":4}`,
		`{"id":5,"At":"last tuesday"}`,
		`{"id":6,"At":null}`)
	st := rs.sinkAll(t, "clicks", ends, pipeline.SinkOptions{TimeField: "at"})
	if st.Records != 3 || st.DeadLetters != 3 {
		t.Errorf("stored %d and %d dead letters, want 3 and 3", st.Records, st.DeadLetters)
	}
	ends = rs.produce(t, ctx, "epochs", `{"id":7,"at":1709251200}`, `{"id":8,"at":1709164800000}`, `{"id":10,"at":1e20}`, `{"id":9,"at":1709164800001}`)
	if st := rs.sinkAll(t, "epochs", ends, pipeline.SinkOptions{TimeField: "at"}); st.Records != 3 || st.DeadLetters != 1 {
		t.Errorf("epochs: stored %d of 3 and %d dead letters, want 1", st.Records, st.DeadLetters)
	}
	// The record without a time (1e20 would widen at to double) changed
	// no type.
	if got := strings.Join(rs.columns(t, "epochs"), ", "); got != "id bigint, at bigint" {
		t.Errorf("epochs columns %s, want id bigint, at bigint", got)
	}
	const q = `SELECT id, dt FROM clicks UNION ALL SELECT id, dt FROM epochs ORDER BY id`
	const want = "1|2024-03-01\n2|2024-02-29\n3|2024-02-28\n7|2024-03-01\n8|2024-02-29\n9|2024-02-29\n"
	if got := rowsText(queryRows(t, rs.duckdb(t), q)); got != want {
		t.Errorf("%s:\n%s\nwant\n%s", q, got, want)
	}
	dls := rs.deadLetters(t, ctx, "clicks")
	maps.Copy(dls, rs.deadLetters(t, ctx, "epochs"))
	for v, reason := range map[string]string{`{"id":4}`: `no time field "at"`, `{"id":6,"At":null}`: `no time field "At"`,
		`{"id":5,"At":"last tuesday"}`: `At: "last tuesday" is not a timestamp`, // the column's type says it first
		`{"id":10,"at":1e20}`:          `time field at: 1e20 is not a time`} {
		if got := dls[v]; !strings.Contains(got, reason) {
			t.Errorf("%s: dead letter reason %q, want one saying %q", v, got, reason)
		}
	}
}

// TestSinkInABucketItDidNotCreate: a bucket that exists and belongs to
// another account (CreateBucket of it is refused 409 BucketAlreadyExists)
// is used as it is: no CreateBucket is sent, and the sink stores in it.
func TestSinkInABucketItDidNotCreate(t *testing.T) {
	ctx := testContext(t, time.Minute)
	const theirs = "their-data-lake"
	rs := startRecordStack(t, &emulate.StackOptions{ForeignBuckets: []string{theirs}})
	var creates atomic.Int64
	rs.stack.S3.InjectFaults(func(r *http.Request) (int, bool) {
		if r.Method == http.MethodPut && strings.Count(strings.Trim(r.URL.Path, "/"), "/") == 0 && r.URL.RawQuery == "" {
			creates.Add(1) // a CreateBucket
		}
		return 0, false
	})
	_, err := rs.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(theirs)})
	if err == nil || !strings.Contains(err.Error(), "BucketAlreadyExists") {
		t.Fatalf("CreateBucket of another account's bucket: %v, want BucketAlreadyExists", err)
	}
	creates.Store(0)
	if err := pipeline.EnsureBucket(ctx, rs.s3, theirs); err != nil {
		t.Fatalf("EnsureBucket of a bucket that exists: %v", err)
	}
	if n := creates.Load(); n != 0 {
		t.Fatalf("EnsureBucket sent %d CreateBucket for a bucket that exists", n)
	}
	ends := rs.produce(t, ctx, pipeline.Topic, `{"symbol":"A","price":1.5}`, `{"symbol":"B","price":2.5}`)
	if st := rs.sinkAll(t, pipeline.Topic, ends, pipeline.SinkOptions{Bucket: theirs}); st.Records != 2 || creates.Load() != 0 {
		t.Fatalf("the sink stored %d of 2 records in %s, and sent %d CreateBucket", st.Records, theirs, creates.Load())
	}
	// A bucket that does not exist is still made.
	if err := pipeline.EnsureBucket(ctx, rs.s3, "a-new-bucket"); err != nil || creates.Load() != 1 {
		t.Fatalf("EnsureBucket of a new bucket: %v, %d CreateBucket", err, creates.Load())
	}
}

// TestSinkFollowsTheCatalogsSpelling: a table whose columns the catalog
// holds in lower case (as Glue lowers them) still reads records that spell
// them in mixed case: the sink stores each field under its column's
// spelling, as DuckDB's JSON reader matches names as spelled.
func TestSinkFollowsTheCatalogsSpelling(t *testing.T) {
	bothFormats(t, func(t *testing.T, format string) {
		ctx := testContext(t, time.Minute)
		rs := startRecordStack(t, nil)
		if err := pipeline.EnsureBucket(ctx, rs.s3, testBucket); err != nil {
			t.Fatal(err)
		}
		if err := rs.cat.CreateDatabase(ctx, catalog.Database); err != nil {
			t.Fatal(err)
		}
		tbl := catalog.NewTable(catalog.Database, "index_rows", "s3://"+testBucket+"/index_rows/", format)
		tbl.Columns = []catalog.Column{{Name: "index", Type: "string"}, {Name: "closeusd", Type: "double"}}
		tbl.PartitionKeys = []catalog.Column{{Name: "dt", Type: "string"}}
		if err := rs.cat.PutTable(ctx, tbl); err != nil {
			t.Fatal(err)
		}
		ends := rs.produce(t, ctx, "index_rows", `{"Index":"HSI","CloseUSD":333.87,"Open":1.5}`, `{"INDEX":"NYA","closeUSD":528.69,"open":2}`)
		if st := rs.sinkAll(t, "index_rows", ends, pipeline.SinkOptions{Format: format}); st.Records != 2 {
			t.Fatalf("stored %d of 2 (%d dead letters)", st.Records, st.DeadLetters)
		}
		if got, want := strings.Join(rs.columns(t, "index_rows"), ", "), "index string, closeusd double, Open double"; got != want {
			t.Errorf("columns %s, want %s", got, want)
		}
		const q = `SELECT "index", closeusd, open FROM index_rows ORDER BY 1`
		if got, want := rowsText(queryRows(t, rs.duckdb(t), q)), "HSI|333.87|1.5\nNYA|528.69|2\n"; got != want {
			t.Errorf("%s:\n%s\nwant\n%s", q, got, want)
		}
	})
}
