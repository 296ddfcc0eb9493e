package pipeline_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"pipeline/catalog"
	"pipeline/pipeline"
)

// produceNewKeys sends n records {"id":i,"k_<i>":i} to the sink's topic,
// one partition: each brings a field no record before had, as a map-shaped
// record (one key per user id) does.
func produceNewKeys(t *testing.T, ctx context.Context, kafka []kgo.Opt, n int) map[int32]int64 {
	t.Helper()
	cl, err := kgo.NewClient(append(append([]kgo.Opt{}, kafka...),
		kgo.DefaultProduceTopic(pipeline.Topic), kgo.RecordPartitioner(kgo.ManualPartitioner()))...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	recs := make([]*kgo.Record, n)
	for i := range recs {
		recs[i] = &kgo.Record{Value: fmt.Appendf(nil, `{"id":%d,"k_%d":%d}`, i, i, i)}
	}
	ends := map[int32]int64{}
	for _, r := range cl.ProduceSync(ctx, recs...) {
		if r.Err != nil {
			t.Fatal(r.Err)
		}
		ends[r.Record.Partition] = max(ends[r.Record.Partition], r.Record.Offset+1)
	}
	return ends
}

// TestSinkMaxColumns: records that each bring a new field fill the table up
// to --max-columns; every later one is a dead letter naming the column it
// would add, and the sink stores and commits them all without stalling.
func TestSinkMaxColumns(t *testing.T) {
	ctx := testContext(t, 90*time.Second)
	_, kafka, s3c, cat := localStack(t)
	const n, maxCols = 2000, 50
	ends := produceNewKeys(t, ctx, kafka, n)
	sink := startSink(t, kafka, s3c, pipeline.SinkOptions{Group: groupFor(t), Catalog: cat, MaxColumns: maxCols, MaxAge: 100 * time.Millisecond})
	sink.waitCommitted(t, ends, 60*time.Second)
	sink.stop(t)

	// id and k_0 .. k_48 are the table's 50 columns: records 0..48 fit.
	stored := maxCols - 1
	if st := sink.Stats(); st.Records != int64(stored) || st.DeadLetters != int64(n-stored) {
		t.Errorf("stored %d records and %d dead letters, want %d and %d", st.Records, st.DeadLetters, stored, n-stored)
	}
	tbl, err := cat.GetTable(ctx, catalog.Database, pipeline.Topic)
	if err != nil {
		t.Fatal(err)
	}
	if len(tbl.Columns) != maxCols {
		t.Errorf("the table has %d columns, want %d (--max-columns)", len(tbl.Columns), maxCols)
	}
	dls := readDeadLetters(t, ctx, s3c)
	for i := stored; i < n; i++ {
		dl, ok := dls[[2]int64{0, int64(i)}]
		want := fmt.Sprintf("would add column k_%d past the table's %d columns (--max-columns)", i, maxCols)
		if !ok || !strings.Contains(dl.Reason, want) {
			t.Fatalf("offset %d: dead letter %v, reason %q; want one saying %q", i, ok, dl.Reason, want)
		}
	}
}

// TestSinkStopsWhileAddingColumns: a stop while the sink changes the
// catalog record after record (each widening a column of its own) ends Run
// within the stop budget, rather than after the poll's every record.
func TestSinkStopsWhileAddingColumns(t *testing.T) {
	ctx := testContext(t, 120*time.Second)
	_, kafka, s3c, cat := localStack(t)
	cl, err := kgo.NewClient(append(append([]kgo.Opt{}, kafka...),
		kgo.DefaultProduceTopic(pipeline.Topic), kgo.RecordPartitioner(kgo.ManualPartitioner()))...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	// w_i's first value makes it bigint; its second widens it to double.
	const n = 3000
	var recs []*kgo.Record
	for i := range n {
		recs = append(recs, &kgo.Record{Value: fmt.Appendf(nil, `{"w_%d":1}`, i)}, &kgo.Record{Value: fmt.Appendf(nil, `{"w_%d":1.5}`, i)})
	}
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	widened := func() int {
		tbl, err := cat.GetTable(ctx, catalog.Database, pipeline.Topic)
		if err != nil {
			return 0
		}
		w := 0
		for _, c := range tbl.Columns {
			if c.Type == catalog.TypeDouble {
				w++
			}
		}
		return w
	}
	sink := startSink(t, kafka, s3c, pipeline.SinkOptions{Group: groupFor(t), Catalog: cat, MaxColumns: 100_000})
	waitUntil(t, 60*time.Second, "the sink to widen columns", func() bool { return widened() >= 10 })
	stopped := time.Now()
	sink.cancel()
	waitClosed(t, sink.done, 20*time.Second, "the sink to stop")
	if took := time.Since(stopped); took > pipeline.DefaultSinkOptions.StopTimeout+2*time.Second {
		t.Errorf("the sink took %v to stop while changing the catalog; the stop budget is %v", took, pipeline.DefaultSinkOptions.StopTimeout)
	}
	if sink.err != nil {
		t.Errorf("the stopped sink returned %v", sink.err)
	}
	if w := widened(); w > n*3/4 {
		t.Errorf("the sink widened %d of %d columns after the stop", w, n)
	}
}

// countingCatalog counts the catalog's table changes.
type countingCatalog struct {
	catalog.Driver
	changes atomic.Int64
}

func (c *countingCatalog) PutTable(ctx context.Context, t *catalog.Table) error {
	c.changes.Add(1)
	return c.Driver.PutTable(ctx, t)
}

func (c *countingCatalog) ModifyTable(ctx context.Context, db, name string, fn func(*catalog.Table) (*catalog.Table, error)) error {
	c.changes.Add(1)
	return c.Driver.(catalog.TableModifier).ModifyTable(ctx, db, name, fn)
}

// TestSinkAddsAPollsColumnsAtOnce: the new fields of a poll's records go to
// the catalog in one change, not one change a record; the table still fills
// to --max-columns and the rest are dead letters.
func TestSinkAddsAPollsColumnsAtOnce(t *testing.T) {
	ctx := testContext(t, 90*time.Second)
	_, kafka, s3c, _ := localStack(t)
	fc, err := catalog.OpenFileCatalog(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cc := &countingCatalog{Driver: fc}
	cat := catalog.New(cc)
	const n = 3000
	maxCols := pipeline.DefaultSinkOptions.MaxColumns
	ends := produceNewKeys(t, ctx, kafka, n)
	sink := startSink(t, kafka, s3c, pipeline.SinkOptions{Group: groupFor(t), Catalog: cat, MaxAge: 100 * time.Millisecond})
	sink.waitCommitted(t, ends, 60*time.Second)
	sink.stop(t)
	if st := sink.Stats(); st.Records != int64(maxCols-1) || st.DeadLetters != int64(n-maxCols+1) {
		t.Errorf("stored %d records and %d dead letters, want %d and %d", st.Records, st.DeadLetters, maxCols-1, n-maxCols+1)
	}
	tbl, err := cat.GetTable(ctx, catalog.Database, pipeline.Topic)
	if err != nil {
		t.Fatal(err)
	}
	if len(tbl.Columns) != maxCols {
		t.Errorf("the table has %d columns, want %d", len(tbl.Columns), maxCols)
	}
	// A few polls, a change each (and one to create the table).
	if c := cc.changes.Load(); c > 20 {
		t.Errorf("%d catalog changes to add %d columns; want one a poll", c, maxCols)
	}
}

// TestSinkAddsThePollsColumnsOfRecordsWithTheSameKeys: a record with the
// keys of the one before still adds a column when a field of its has a
// value where the one before had null, or when the one before was refused
// (a value its column cannot read adds nothing). All in one catalog change:
// none is left for admit to add one record at a time.
func TestSinkAddsThePollsColumnsOfRecordsWithTheSameKeys(t *testing.T) {
	ctx := testContext(t, 90*time.Second)
	_, kafka, s3c, _ := localStack(t)
	fc, err := catalog.OpenFileCatalog(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cc := &countingCatalog{Driver: fc}
	cat := catalog.New(cc)
	cl, err := kgo.NewClient(append(append([]kgo.Opt{}, kafka...),
		kgo.DefaultProduceTopic(pipeline.Topic), kgo.RecordPartitioner(kgo.ManualPartitioner()))...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var recs []*kgo.Record
	for _, v := range []string{
		`{"a":1,"b":null,"c":"x"}`,
		`{"a":2,"b":null,"c":"y"}`,
		`{"a":3,"b":true,"c":"z"}`,             // b has a value now
		`{"a":"four","b":false,"c":"w","d":1}`, // refused: adds no d
		`{"a":5,"b":false,"c":"v","d":2}`,      // the same keys: adds d
		`{"a":6,"b":false,"c":"u","d":3}`,
	} {
		recs = append(recs, &kgo.Record{Value: []byte(v)})
	}
	ends := map[int32]int64{}
	for _, r := range cl.ProduceSync(ctx, recs...) {
		if r.Err != nil {
			t.Fatal(r.Err)
		}
		ends[r.Record.Partition] = max(ends[r.Record.Partition], r.Record.Offset+1)
	}
	sink := startSink(t, kafka, s3c, pipeline.SinkOptions{Group: groupFor(t), Catalog: cat, MaxAge: 100 * time.Millisecond})
	sink.waitCommitted(t, ends, 60*time.Second)
	sink.stop(t)
	if st := sink.Stats(); st.Records != 5 || st.DeadLetters != 1 {
		t.Errorf("stored %d records and %d dead letters, want 5 and 1", st.Records, st.DeadLetters)
	}
	tbl, err := cat.GetTable(ctx, catalog.Database, pipeline.Topic)
	if err != nil {
		t.Fatal(err)
	}
	var cols []string
	for _, c := range tbl.Columns {
		cols = append(cols, c.Name+" "+c.Type)
	}
	if got, want := strings.Join(cols, ", "), "a bigint, c string, b boolean, d bigint"; got != want {
		t.Errorf("columns %s, want %s", got, want)
	}
	// One change that finds no table, and the one that makes it.
	if c := cc.changes.Load(); c != 2 {
		t.Errorf("%d catalog changes; want 2 (the poll's columns at once)", c)
	}
}
