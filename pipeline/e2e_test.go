package pipeline_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"pipeline/catalog"
	"pipeline/pipeline"
	"pipeline/sqlq/duckdb"
)

// parquetObject opens the Parquet file at key in the test bucket.
func parquetObject(t *testing.T, ctx context.Context, s3c *s3.Client, key string) *parquet.File {
	t.Helper()
	b := getObject(t, ctx, s3c, key)
	f, err := parquet.OpenFile(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatalf("%s: %v", key, err)
	}
	return f
}

type tick struct {
	Symbol string  `json:"symbol" parquet:"symbol"`
	Seq    int64   `json:"seq" parquet:"seq"`
	Price  float64 `json:"price" parquet:"price"`
	Volume int64   `json:"volume" parquet:"volume"`
}

// TestRunEndToEnd runs the whole pipeline in-process, in each format: N
// events in, exactly N rows queryable, every value intact, per-symbol order
// kept in storage.
func TestRunEndToEnd(t *testing.T) {
	for _, format := range []string{catalog.FormatJSON, catalog.FormatParquet} {
		t.Run(format, func(t *testing.T) { testRunEndToEnd(t, format) })
	}
}

func testRunEndToEnd(t *testing.T, format string) {
	const n = 20_000
	ctx := context.Background()
	stack, kafka, s3c, cat := localStack(t)
	st, err := pipeline.Run(ctx, pipeline.RunConfig{
		Kafka: kafka, S3: s3c, Catalog: cat,
		Source: pipeline.NewSynthetic(7), Sim: pipeline.SimOptions{Events: n},
		// An age cut of a minute: the run must store its tail as soon as
		// the producer is done, not when the last batches are due.
		Sink:         pipeline.SinkOptions{Bucket: "test-bucket", MaxRecords: 3000, MaxAge: time.Minute, Format: format},
		DrainTimeout: 20 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	if st.Produce.Produced != n || st.Sink.Records != n || st.Sink.DeadLetters != 0 {
		t.Fatalf("produced %d, stored %d (%d dead letters), want %d", st.Produce.Produced, st.Sink.Records, st.Sink.DeadLetters, n)
	}
	if st.Sink.Objects < n/3000 {
		t.Errorf("only %d objects for %d records with MaxRecords 3000: rotation by count is broken", st.Sink.Objects, n)
	}

	// What the simulator emitted, regenerated from the same seed.
	want := map[string]tick{}
	_, err = pipeline.Simulate(ctx, pipeline.NewSynthetic(7), pipeline.SimOptions{Events: n}, func(ev *pipeline.Event) error {
		var tk tick
		if err := json.Unmarshal(ev.AppendJSON(nil), &tk); err != nil {
			return err
		}
		want[fmt.Sprintf("%s/%d", tk.Symbol, tk.Seq)] = tk
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	eng, err := duckdb.Open(ctx, cat, &duckdb.Options{LocalDir: stack.Store.PrefixDir})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	res, err := eng.Query(ctx, "SELECT symbol, seq, price, volume, dt FROM stock_topic")
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != n {
		t.Fatalf("%d rows queryable, want %d", len(res.Rows), n)
	}
	seen := map[string]bool{}
	for _, r := range res.Rows {
		k := fmt.Sprintf("%s/%d", r[0], r[1])
		if seen[k] {
			t.Fatalf("row %s twice", k)
		}
		seen[k] = true
		w, ok := want[k]
		if !ok {
			t.Fatalf("row %s was never produced", k)
		}
		if r[2] != w.Price || r[3] != w.Volume {
			t.Fatalf("row %s = price %v volume %v, produced price %v volume %v", k, r[2], r[3], w.Price, w.Volume)
		}
		if r[4] != time.Now().UTC().Format("2006-01-02") && r[4] != time.Now().UTC().Add(-time.Hour).Format("2006-01-02") {
			t.Fatalf("row %s in partition dt=%v", k, r[4])
		}
	}

	// Per-symbol order: reading each partition's objects in offset order,
	// every symbol's seq goes up by one.
	assertPerSymbolOrder(t, s3c, "stock_topic/")

	// The catalog has the table, typed, with its date partition.
	tbl, err := cat.GetTable(ctx, catalog.Database, pipeline.Topic)
	if err != nil {
		t.Fatal(err)
	}
	if tbl.Format != format {
		t.Errorf("table format %q, want %q", tbl.Format, format)
	}
	var names []string
	for _, c := range tbl.Columns {
		names = append(names, c.Name)
	}
	if got := strings.Join(names, ","); got != "symbol,ts,seq,price,bid,ask,size,volume" {
		t.Errorf("columns %s, want the event's order symbol,ts,seq,price,bid,ask,size,volume", got)
	}
	for name, typ := range map[string]string{"symbol": "string", "ts": "timestamp", "seq": "bigint", "price": "double", "volume": "bigint", "dt": "string"} {
		if c, ok := tbl.Column(name); !ok || c.Type != typ {
			t.Errorf("column %s = %+v, want type %s", name, c, typ)
		}
	}
}

// readTicks decodes an object of either format.
func readTicks(t *testing.T, key string, b []byte) []tick {
	t.Helper()
	if strings.HasSuffix(key, ".parquet") {
		ticks, err := parquet.Read[tick](bytes.NewReader(b), int64(len(b)))
		if err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		return ticks
	}
	var ticks []tick
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		var tk tick
		if err := json.Unmarshal(sc.Bytes(), &tk); err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		ticks = append(ticks, tk)
	}
	return ticks
}

func assertPerSymbolOrder(t *testing.T, s3c *s3.Client, prefix string) {
	t.Helper()
	ctx := context.Background()
	keys := listKeys(t, ctx, s3c, prefix)
	// Keys sort by date, then topic+partition+zero-padded offset.
	sort.Strings(keys)
	last := map[string]int64{}
	for _, k := range keys {
		for _, tk := range readTicks(t, k, getObject(t, ctx, s3c, k)) {
			if prev, ok := last[tk.Symbol]; ok && tk.Seq != prev+1 {
				t.Fatalf("%s: %s seq %d after %d", k, tk.Symbol, tk.Seq, prev)
			} else if !ok && tk.Seq != 0 {
				t.Fatalf("%s: %s starts at seq %d", k, tk.Symbol, tk.Seq)
			}
			last[tk.Symbol] = tk.Seq
		}
	}
	if len(last) == 0 {
		t.Fatal("no objects stored")
	}
}

// TestSinkStopsOnMissingBucket: an error no retry can fix ends the sink with
// a message that says what to do, instead of retrying forever; nothing is
// committed.
func TestSinkStopsOnMissingBucket(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, kafka, s3c, _ := localStack(t)
	cl, err := kgo.NewClient(append(kafka, pipeline.ProducerClientOpts()...)...)
	if err != nil {
		t.Fatal(err)
	}
	prod := pipeline.NewProducer(cl, pipeline.Topic)
	if _, err := pipeline.Simulate(ctx, pipeline.NewSynthetic(1), pipeline.SimOptions{Events: 10},
		func(ev *pipeline.Event) error { return prod.Emit(ctx, ev) }); err != nil {
		t.Fatal(err)
	}
	if err := prod.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	cl.Close()
	sink, err := pipeline.NewSink(kafka, s3c, &pipeline.SinkOptions{Bucket: "no-such-bucket", MaxAge: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	err = sink.Run(ctx)
	if err == nil || !strings.Contains(err.Error(), "NoSuchBucket") || !strings.Contains(err.Error(), "check that the bucket exists") {
		t.Fatalf("sink.Run = %v, want a NoSuchBucket error saying what to do", err)
	}
	if ctx.Err() != nil {
		t.Fatal("the sink retried until the test's deadline")
	}
	if st := sink.Stats(); st.Records != 0 {
		t.Fatalf("stats = %+v", st)
	}
}

// TestSinkRegistersNewDays: once a crawl has made the table, a new day's
// partition is queryable as soon as the sink stores it, with no crawl.
func TestSinkRegistersNewDays(t *testing.T) {
	ctx := context.Background()
	stack, kafka, s3c, cat := localStack(t)
	run := func(day time.Time, n int64) {
		t.Helper()
		_, err := pipeline.Run(ctx, pipeline.RunConfig{Kafka: kafka, S3: s3c, Catalog: cat,
			Source: pipeline.NewSynthetic(3), Sim: pipeline.SimOptions{Events: n, Now: func() time.Time { return day }},
			Sink: pipeline.SinkOptions{Bucket: "test-bucket", TimeField: "ts"}})
		if err != nil {
			t.Fatal(err)
		}
	}
	run(time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC), 100) // crawls at the end: the table exists

	// The sink alone, a day later, no crawl.
	prodCl, err := kgo.NewClient(append(kafka, pipeline.ProducerClientOpts()...)...)
	if err != nil {
		t.Fatal(err)
	}
	prod := pipeline.NewProducer(prodCl, pipeline.Topic)
	day2 := time.Date(2030, 1, 2, 9, 0, 0, 0, time.UTC)
	if _, err := pipeline.Simulate(ctx, pipeline.NewSynthetic(4), pipeline.SimOptions{Events: 50, Now: func() time.Time { return day2 }},
		func(ev *pipeline.Event) error { return prod.Emit(ctx, ev) }); err != nil {
		t.Fatal(err)
	}
	if err := prod.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	prodCl.Close()
	sink, err := pipeline.NewSink(kafka, s3c, &pipeline.SinkOptions{Bucket: "test-bucket", Catalog: cat, MaxAge: 50 * time.Millisecond, TimeField: "ts"})
	if err != nil {
		t.Fatal(err)
	}
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- sink.Run(sctx) }()
	if err := sink.WaitCommitted(sctx, prod.Stats().EndOffsets); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	eng, err := duckdb.Open(ctx, cat, &duckdb.Options{LocalDir: stack.Store.PrefixDir})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	res, err := eng.Query(ctx, "SELECT dt, count(*) FROM stock_topic GROUP BY dt ORDER BY dt")
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(res.Rows) != "[[2030-01-01 100] [2030-01-02 50]]" {
		t.Fatalf("rows by day without a crawl = %v, want 100 on 2030-01-01 and 50 on 2030-01-02", res.Rows)
	}
}

// TestSinkMultipartForLargeObjects: an object past the threshold goes up in
// parts, and every record is still there once.
func TestSinkMultipartForLargeObjects(t *testing.T) {
	ctx := context.Background()
	stack, kafka, s3c, cat := localStack(t)
	var parts atomic.Int64
	stack.S3.InjectFaults(func(r *http.Request) (int, bool) {
		if r.URL.Query().Has("partNumber") {
			parts.Add(1)
		}
		return 0, false // observe only
	})
	const n = 300_000 // about 8 MiB of JSON lines in each of the 6 partitions
	_, err := pipeline.Run(ctx, pipeline.RunConfig{Kafka: kafka, S3: s3c, Catalog: cat,
		Source: pipeline.NewSynthetic(5), Sim: pipeline.SimOptions{Events: n},
		Sink: pipeline.SinkOptions{Bucket: "test-bucket", MaxRecords: n, MaxBytes: 64 << 20, MaxAge: time.Minute,
			MultipartThreshold: 6 << 20, MultipartPartSize: 5 << 20}})
	if err != nil {
		t.Fatal(err)
	}
	if parts.Load() < 2 {
		t.Fatalf("%d parts uploaded: large objects did not go multipart", parts.Load())
	}
	eng, err := duckdb.Open(ctx, cat, &duckdb.Options{LocalDir: stack.Store.PrefixDir})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	res, err := eng.Query(ctx, "SELECT count(*), count(DISTINCT (symbol, seq)) FROM stock_topic")
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(res.Rows) != fmt.Sprintf("[[%d %d]]", n, n) {
		t.Fatalf("count, distinct = %v, want %d each", res.Rows, n)
	}
}

// TestSinkParquetFollowsCatalogTypes: once the table exists, the sink writes
// each Parquet column at least as wide as the catalog's type, so every file of
// the table agrees with it (Athena rejects a file whose column type differs).
func TestSinkParquetFollowsCatalogTypes(t *testing.T) {
	const n = 2000
	ctx := testContext(t, 60*time.Second)
	_, kafka, s3c, cat := localStack(t)
	tbl := catalog.NewTable(catalog.Database, pipeline.Topic, "s3://"+testBucket+"/"+pipeline.Topic+"/", catalog.FormatParquet)
	tbl.Columns = []catalog.Column{{Name: "volume", Type: catalog.TypeDouble}, {Name: "SIZE", Type: catalog.TypeString}}
	if err := cat.CreateDatabase(ctx, catalog.Database); err != nil {
		t.Fatal(err)
	}
	if err := cat.PutTable(ctx, tbl); err != nil {
		t.Fatal(err)
	}
	sink := startSink(t, kafka, s3c, pipeline.SinkOptions{Group: groupFor(t), Format: catalog.FormatParquet, Catalog: cat})
	ticks := startTicks(t, ctx, kafka, streamOptions{Seed: 5, Events: n})
	st := ticks.finish(t, 30*time.Second, n)
	sink.waitCommitted(t, st.EndOffsets, 30*time.Second)
	keys := listKeys(t, ctx, s3c, pipeline.Topic+"/")
	if len(keys) == 0 {
		t.Fatal("no objects stored")
	}
	for _, k := range keys {
		f := parquetObject(t, ctx, s3c, k)
		types := map[string]string{}
		for _, fl := range f.Schema().Fields() {
			types[strings.ToLower(fl.Name())] = fl.Type().Kind().String()
		}
		if types["volume"] != "DOUBLE" || types["size"] != "BYTE_ARRAY" || types["seq"] != "INT64" {
			t.Fatalf("%s: volume %s, size %s, seq %s; want DOUBLE (the table's double), BYTE_ARRAY (string) and INT64",
				k, types["volume"], types["size"], types["seq"])
		}
	}
}

// TestSinkStaysWithinMaxBuffered: with batches that would otherwise grow for a
// minute, the sink cuts objects to keep what it holds within MaxBuffered: all
// but half a budget of records are stored long before any batch is due by age
// or count, and no object exceeds half the budget.
func TestSinkStaysWithinMaxBuffered(t *testing.T) {
	const n = 20_000
	const budget = 1 << 20
	ctx := testContext(t, 60*time.Second)
	_, kafka, s3c, _ := localStack(t)
	sink := startSink(t, kafka, s3c, pipeline.SinkOptions{Group: groupFor(t), MaxBuffered: budget,
		MaxAge: time.Minute, MaxRecords: 1_000_000, MaxBytes: 1 << 30})
	ticks := startTicks(t, ctx, kafka, streamOptions{Seed: 8, Events: n})
	st := ticks.finish(t, 30*time.Second, n)
	// Open batches hold at most half the budget: fewer than 5,300 ticks
	// of more than 100 bytes.
	waitUntil(t, 30*time.Second, "the sink to store all but half a budget of ticks", func() bool {
		return sink.Stats().Records >= n-budget/2/100
	})
	// Then the rest, told where the ticks end: stopping at once could
	// leave ticks the sink has not read yet to the group's next member.
	sink.FlushAt(st.EndOffsets)
	sink.waitCommitted(t, st.EndOffsets, 30*time.Second)
	sink.stop(t)
	if got := sink.Stats().Records; got != n {
		t.Fatalf("stored %d records, want %d", got, n)
	}
	var objects int
	for _, k := range listKeys(t, ctx, s3c, pipeline.Topic+"/") {
		out, err := s3c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(testBucket), Key: aws.String(k)})
		if err != nil {
			t.Fatal(err)
		}
		if size := aws.ToInt64(out.ContentLength); size > budget/2+1024 {
			t.Errorf("%s is %d bytes: more than half of MaxBuffered (%d)", k, size, budget)
		}
		objects++
	}
	// About 3.4 MB of ticks in objects of at most 512 KiB.
	if objects < 7 {
		t.Errorf("%d objects: the budget did not cut batches", objects)
	}
}

// TestEnsureBucketRetriesThrottling: an S3 that answers 503 SlowDown to the
// first few requests (the SDK's own three attempts included) does not stop a
// command at its start; one that refuses for good still fails at once.
func TestEnsureBucketRetriesThrottling(t *testing.T) {
	ctx := testContext(t, 60*time.Second)
	stack, _, s3c, _ := localStack(t)
	var failed atomic.Int64
	stack.S3.InjectFaults(func(r *http.Request) (int, bool) {
		if r.Method == http.MethodPut && failed.Add(1) <= 5 {
			return http.StatusServiceUnavailable, true
		}
		return 0, false
	})
	if err := pipeline.EnsureBucket(ctx, s3c, "throttled-bucket"); err != nil {
		t.Fatalf("EnsureBucket after 5 throttled requests: %v", err)
	}
	if failed.Load() < 5 {
		t.Fatalf("only %d requests were throttled", failed.Load())
	}
	stack.S3.InjectFaults(func(r *http.Request) (int, bool) { return http.StatusForbidden, true })
	start := time.Now()
	if err := pipeline.EnsureBucket(ctx, s3c, "forbidden-bucket"); err == nil {
		t.Fatal("EnsureBucket succeeded against an S3 that answers 403")
	} else if time.Since(start) > 5*time.Second {
		t.Fatalf("a 403 was retried for %s", time.Since(start))
	}
}

// TestProducerRecordsIntact: every record the producer sends carries its own
// event's key and JSON, whatever their sizes, although records share blocks
// of memory: values from a few bytes to larger than a block, so that some fit
// the rest of a block, some start a new one and some outgrow it, and keys
// larger than a block.
func TestProducerRecordsIntact(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, pipeline.Topic))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	seeds := kgo.SeedBrokers(c.ListenAddrs()...)
	cl, err := kgo.NewClient(append([]kgo.Opt{seeds}, pipeline.ProducerClientOpts()...)...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	prod := pipeline.NewProducer(cl, pipeline.Topic)
	var want []string
	ev := pipeline.Event{Names: []string{"note"}, TS: time.Date(2026, 11, 27, 9, 30, 0, 0, time.UTC)}
	for i := range 3000 {
		ev.Symbol = strings.Repeat("S", 1+i%7)
		if i%501 == 0 {
			ev.Symbol = strings.Repeat("K", 150<<10) // a key larger than a block
		}
		ev.Seq = int64(i)
		size := []int{0, 10, 200, 300, 5000, 200 << 10}[i%6]
		if i%97 == 0 {
			size = 130 << 10 // about a whole block
		}
		ev.Values = []pipeline.Value{pipeline.String(strings.Repeat(string(rune('a'+i%26)), size))}
		want = append(want, ev.Symbol+" "+string(ev.AppendJSON(nil)))
		if err := prod.Emit(ctx, &ev); err != nil {
			t.Fatal(err)
		}
	}
	if err := prod.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	cons, err := kgo.NewClient(seeds, kgo.ConsumeTopics(pipeline.Topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cons.Close()
	var got []string
	for len(got) < len(want) && ctx.Err() == nil {
		cons.PollFetches(ctx).EachRecord(func(r *kgo.Record) { got = append(got, string(r.Key)+" "+string(r.Value)) })
	}
	if len(got) != len(want) {
		t.Fatalf("consumed %d records, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("record %d:\n got %.120q\nwant %.120q", i, got[i], want[i])
		}
	}
}

// TestParquetRequiredAndOptionalObjects: a column with a value in every
// row of an object is required in that object's file, optional in one where
// some rows lack it, and the table reads as one over both kinds of files.
func TestParquetRequiredAndOptionalObjects(t *testing.T) {
	ctx := testContext(t, time.Minute)
	stack, kafka, s3c, cat := localStack(t)
	sink := startSink(t, kafka, s3c, pipeline.SinkOptions{Group: groupFor(t), Format: catalog.FormatParquet, MaxAge: 100 * time.Millisecond})
	produce := func(from, to int, noteWhere func(int) bool) {
		t.Helper()
		var values []string
		for i := from; i < to; i++ {
			v := fmt.Sprintf(`{"symbol":"AAA","ts":%q,"seq":%d`, time.Now().UTC().Format(pipeline.TimeLayout), i)
			if noteWhere(i) {
				v += fmt.Sprintf(`,"note":"n%d"`, i)
			}
			values = append(values, v+"}")
		}
		produceStored(t, ctx, kafka, sink, values)
	}
	produce(0, 100, func(int) bool { return true })
	produce(100, 200, func(i int) bool { return i%2 == 0 })
	sink.stop(t)

	kinds := map[string]int{}
	for _, k := range listKeys(t, ctx, s3c, pipeline.Topic+"/") {
		f := parquetObject(t, ctx, s3c, k)
		for _, fl := range f.Schema().Fields() {
			switch {
			case fl.Name() == "symbol" && !fl.Required():
				t.Errorf("%s: symbol, in every row, is not required", k)
			case fl.Name() == "note" && fl.Required():
				kinds["required"]++
			case fl.Name() == "note" && fl.Optional():
				kinds["optional"]++
			}
		}
	}
	if kinds["required"] == 0 || kinds["optional"] == 0 {
		t.Fatalf("objects with note required / optional: %d / %d, want some of each", kinds["required"], kinds["optional"])
	}

	eng, _ := queryStore(t, ctx, stack, s3c, cat)
	if got := fmt.Sprint(queryRows(t, eng, "SELECT count(*), count(note), sum(seq), min(note), max(note) FROM stock_topic")[0]); got != "[200 150 19900 n0 n99]" {
		t.Fatalf("count(*), count(note), sum(seq), min(note), max(note) = %s, want [200 150 19900 n0 n99]", got)
	}
}

// produceStored produces values keyed AAA to the topic and waits until sink
// has committed them.
func produceStored(t *testing.T, ctx context.Context, kafka []kgo.Opt, sink *sinkRun, values []string) {
	t.Helper()
	cl, err := kgo.NewClient(append(kafka, pipeline.ProducerClientOpts()...)...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var recs []*kgo.Record
	for _, v := range values {
		recs = append(recs, &kgo.Record{Topic: pipeline.Topic, Key: []byte("AAA"), Value: []byte(v)})
	}
	res := cl.ProduceSync(ctx, recs...)
	if err := res.FirstErr(); err != nil {
		t.Fatal(err)
	}
	last := res[len(res)-1].Record
	sink.waitCommitted(t, map[int32]int64{last.Partition: last.Offset + 1}, time.Minute)
}

// TestParquetCompression stores ticks with each codec: every column chunk of
// every object says that codec, and the table reads back every value.
func TestParquetCompression(t *testing.T) {
	want := map[string]format.CompressionCodec{"zstd": format.Zstd, "snappy": format.Snappy, "gzip": format.Gzip, "none": format.Uncompressed}
	if len(want) != len(pipeline.ParquetCompressions) {
		t.Fatalf("codecs %v, the test knows %d", pipeline.ParquetCompressions, len(want))
	}
	for _, codec := range pipeline.ParquetCompressions {
		t.Run(codec, func(t *testing.T) {
			ctx := testContext(t, time.Minute)
			stack, kafka, s3c, cat := localStack(t)
			sink := startSink(t, kafka, s3c, pipeline.SinkOptions{Group: groupFor(t), Format: catalog.FormatParquet,
				Compression: codec, MaxRecords: 300})
			var values []string
			for i := range 1000 {
				values = append(values, fmt.Sprintf(`{"symbol":"AAA","ts":%q,"seq":%d,"price":%d.25,"note":"n%d"}`,
					time.Now().UTC().Format(pipeline.TimeLayout), i, i, i%7))
			}
			produceStored(t, ctx, kafka, sink, values)
			sink.stop(t)

			keys := listKeys(t, ctx, s3c, pipeline.Topic+"/")
			if len(keys) < 2 {
				t.Fatalf("%d objects for 1000 ticks at 300 a object", len(keys))
			}
			for _, k := range keys {
				for _, rg := range parquetObject(t, ctx, s3c, k).Metadata().RowGroups {
					for _, c := range rg.Columns {
						if c.MetaData.Codec != want[codec] {
							t.Fatalf("%s: column %v compressed with %v, want %v", k, c.MetaData.PathInSchema, c.MetaData.Codec, want[codec])
						}
					}
				}
			}
			eng, _ := queryStore(t, ctx, stack, s3c, cat)
			res := queryRows(t, eng, "SELECT count(*), sum(seq), sum(price), count(DISTINCT note) FROM stock_topic")
			if got := fmt.Sprint(res[0]); got != "[1000 499500 499750 7]" {
				t.Fatalf("count(*), sum(seq), sum(price), count(DISTINCT note) = %s, want [1000 499500 499750 7]", got)
			}
		})
	}
}
