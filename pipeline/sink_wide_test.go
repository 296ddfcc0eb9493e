package pipeline_test

import (
	"context"
	"fmt"
	"strings"
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

// TestSinkStopsWhileAddingColumns: a stop while the sink adds column after
// column (each a catalog change) ends Run within the stop budget, rather
// than after the poll's every record has had its column added.
func TestSinkStopsWhileAddingColumns(t *testing.T) {
	ctx := testContext(t, 120*time.Second)
	_, kafka, s3c, cat := localStack(t)
	produceNewKeys(t, ctx, kafka, 5000)
	sink := startSink(t, kafka, s3c, pipeline.SinkOptions{Group: groupFor(t), Catalog: cat, MaxColumns: 100_000})
	waitUntil(t, 60*time.Second, "the sink to add columns", func() bool {
		tbl, err := cat.GetTable(ctx, catalog.Database, pipeline.Topic)
		return err == nil && len(tbl.Columns) >= 20
	})
	stopped := time.Now()
	sink.cancel()
	waitClosed(t, sink.done, 20*time.Second, "the sink to stop")
	if took := time.Since(stopped); took > pipeline.DefaultSinkOptions.StopTimeout+2*time.Second {
		t.Errorf("the sink took %v to stop while adding columns; the stop budget is %v", took, pipeline.DefaultSinkOptions.StopTimeout)
	}
	if sink.err != nil {
		t.Errorf("the stopped sink returned %v", sink.err)
	}
	tbl, err := cat.GetTable(ctx, catalog.Database, pipeline.Topic)
	if err != nil {
		t.Fatal(err)
	}
	if len(tbl.Columns) > 4000 {
		t.Errorf("the sink added %d columns after the stop", len(tbl.Columns))
	}
}
