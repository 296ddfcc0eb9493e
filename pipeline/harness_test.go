package pipeline_test

// The harness of this package's tests of the sink and the producer against
// the embedded stack: a stack with its clients (localStack), ticks streamed
// in the background (startTicks), sinks started and stopped (startSink),
// waits on conditions and on committed offsets, and the questions a user
// asks at the end: what S3 holds, what the group committed, and whether a
// query sees every produced event exactly once.

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	pipeaws "pipeline/aws"
	"pipeline/catalog"
	"pipeline/emulate"
	"pipeline/pipeline"
	"pipeline/sqlq"
	"pipeline/sqlq/duckdb"
)

// localStack starts the embedded Kafka and S3 over a temp dir and returns the
// clients a run needs.
func localStack(t testing.TB) (*emulate.Stack, []kgo.Opt, *s3.Client, *catalog.Catalog) {
	t.Helper()
	return localStackIn(t, t.TempDir())
}

// localStackIn is localStack with its data in dir.
func localStackIn(t testing.TB, dir string) (*emulate.Stack, []kgo.Opt, *s3.Client, *catalog.Catalog) {
	t.Helper()
	stack, err := emulate.Start(emulate.DataDir(dir), &emulate.StackOptions{Topics: []string{pipeline.Topic}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stack.Close() })
	cfg, err := pipeaws.Load(context.Background(), pipeaws.Emulator(stack.S3.URL(), nil))
	if err != nil {
		t.Fatal(err)
	}
	s3c := pipeaws.NewS3(cfg)
	if err := pipeline.EnsureBucket(context.Background(), s3c, testBucket); err != nil {
		t.Fatal(err)
	}
	fc, err := catalog.OpenFileCatalog(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return stack, []kgo.Opt{kgo.SeedBrokers(stack.Kafka.ListenAddrs()...)}, s3c, catalog.New(fc)
}

const testBucket = "test-bucket"

// testContext is the bound of one test: a hang fails the test rather than
// blocking the run.
func testContext(t *testing.T, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// groupFor is a consumer group of this test alone.
func groupFor(t *testing.T) string {
	return "sink-" + strings.NewReplacer("/", "-", " ", "_").Replace(t.Name())
}

// waitUntil checks cond every few milliseconds until it holds, and fails
// the test if it does not within d.
func waitUntil(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-deadline.C:
			t.Fatalf("waited %v for %s", d, what)
		case <-tick.C:
		}
	}
}

// waitClosed waits for ch to close, failing the test after d.
func waitClosed(t *testing.T, ch <-chan struct{}, d time.Duration, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(d):
		t.Fatalf("waited %v for %s", d, what)
	}
}

// tickStream produces synthetic ticks in the background through a
// pipeline.Producer and counts, per symbol, what it emitted.
type tickStream struct {
	prod *pipeline.Producer
	done chan struct{}
	// Set before done closes.
	err     error // Simulate's or Flush's
	emitted map[string]int64
}

type streamOptions struct {
	Seed   int64
	Events int64
	Rate   float64 // events per second; 0 = as fast as possible
	// Gate, if set, is called before each event with the number emitted
	// so far; it may block to hold the stream at a point.
	Gate func(emitted int64)
}

func startTicks(t *testing.T, ctx context.Context, kafka []kgo.Opt, o streamOptions) *tickStream {
	t.Helper()
	cl, err := kgo.NewClient(append(append([]kgo.Opt{}, kafka...), pipeline.ProducerClientOpts()...)...)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(ctx)
	s := &tickStream{prod: pipeline.NewProducer(cl, pipeline.Topic), done: make(chan struct{})}
	t.Cleanup(func() {
		cancel()
		cl.Close()
		<-s.done
	})
	go func() {
		defer close(s.done)
		counts := map[string]int64{}
		var n int64
		_, err := pipeline.Simulate(ctx, pipeline.NewSynthetic(o.Seed), pipeline.SimOptions{Events: o.Events, Rate: o.Rate},
			func(ev *pipeline.Event) error {
				if o.Gate != nil {
					o.Gate(n)
				}
				if err := s.prod.Emit(ctx, ev); err != nil {
					return err
				}
				counts[ev.Symbol]++
				n++
				return nil
			})
		if ferr := s.prod.Flush(ctx); err == nil {
			err = ferr
		}
		s.err, s.emitted = err, counts
	}()
	return s
}

// finish waits for the stream to end and checks that every event was
// acknowledged: none failed, none missing.
func (s *tickStream) finish(t *testing.T, d time.Duration, n int64) pipeline.ProduceStats {
	t.Helper()
	waitClosed(t, s.done, d, "the producer to deliver every event")
	st := s.prod.Stats()
	if s.err != nil {
		t.Fatalf("producer: %v (stats %+v)", s.err, st)
	}
	if st.Failed != 0 || st.Produced != n {
		t.Fatalf("producer acknowledged %d and failed %d events, want %d and 0", st.Produced, st.Failed, n)
	}
	return st
}

// sinkRun is a Sink whose Run goes on in the background.
type sinkRun struct {
	*pipeline.Sink
	cancel context.CancelFunc
	done   chan struct{}
	err    error // Run's result, set before done closes
}

func startSink(t *testing.T, kafka []kgo.Opt, s3c *s3.Client, opts pipeline.SinkOptions) *sinkRun {
	t.Helper()
	if opts.Bucket == "" {
		opts.Bucket = testBucket
	}
	sink, err := pipeline.NewSink(kafka, s3c, &opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &sinkRun{Sink: sink, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(r.done)
		r.err = sink.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-r.done:
		case <-time.After(time.Minute):
			t.Error("sink did not stop within a minute")
		}
	})
	return r
}

// running reports whether Run has not returned.
func (r *sinkRun) running() bool {
	select {
	case <-r.done:
		return false
	default:
		return true
	}
}

// stop ends Run (which flushes, commits and leaves the group) and checks
// that it returned nil.
func (r *sinkRun) stop(t *testing.T) {
	t.Helper()
	r.cancel()
	waitClosed(t, r.done, 30*time.Second, "the sink to flush and stop")
	if r.err != nil {
		t.Fatalf("sink stopped with an error: %v", r.err)
	}
}

// waitCommitted waits until this sink has committed ends, failing the test
// if it does not within d or if Run returns meanwhile.
func (r *sinkRun) waitCommitted(t *testing.T, ends map[int32]int64, d time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	go func() {
		select {
		case <-r.done:
			cancel()
		case <-ctx.Done():
		}
	}()
	if err := r.WaitCommitted(ctx, ends); err != nil {
		if !r.running() {
			t.Fatalf("sink stopped before storing everything: %v", r.err)
		}
		t.Fatalf("sink did not commit %v within %v (stats %+v): %v", ends, d, r.Stats(), err)
	}
}

// committedOffsets returns the group's committed offset of each partition of
// the topic (0 for none).
func committedOffsets(t *testing.T, ctx context.Context, adm *kadm.Client, group string) map[int32]int64 {
	t.Helper()
	resp, err := adm.FetchOffsets(ctx, group)
	if err != nil {
		t.Fatalf("fetch offsets of group %s: %v", group, err)
	}
	if err := resp.Error(); err != nil {
		t.Fatalf("fetch offsets of group %s: %v", group, err)
	}
	out := map[int32]int64{}
	resp.Each(func(o kadm.OffsetResponse) {
		if o.Topic == pipeline.Topic && o.At > 0 {
			out[o.Partition] = o.At
		}
	})
	return out
}

// waitGroupCommitted waits until the group has committed at least ends, as
// kadm sees it: the way to wait for several sinks sharing the partitions.
func waitGroupCommitted(t *testing.T, ctx context.Context, adm *kadm.Client, group string, ends map[int32]int64, d time.Duration) {
	t.Helper()
	var last map[int32]int64
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		last = committedOffsets(t, ctx, adm, group)
		done := true
		for p, end := range ends {
			if last[p] < end {
				done = false
			}
		}
		if done {
			return
		}
		select {
		case <-deadline.C:
			t.Fatalf("group %s committed %v after %v, want %v", group, last, d, ends)
		case <-tick.C:
		}
	}
}

// newAdmin is a kadm client on the stack's broker.
func newAdmin(t *testing.T, kafka []kgo.Opt) *kadm.Client {
	t.Helper()
	cl, err := kgo.NewClient(kafka...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return kadm.NewClient(cl)
}

// objectName matches the file name of every object the sink writes (the
// store marks object files with "@"; see emulate.DiskStore).
var objectName = regexp.MustCompile(`^@stock_topic\+(\d+)\+(\d{10})\.json$`)

// storedRanges reads the sink's objects from the store's directory (not
// through S3, so that it works while S3 is failing) and returns, per
// partition, the offsets [0, n) the objects hold without a gap. It assumes
// a topic without dead letters, where an object of k lines starting at
// offset o holds offsets o..o+k-1.
func storedRanges(t *testing.T, stack *emulate.Stack) map[int32]int64 {
	t.Helper()
	dir, err := stack.Store.PrefixDir(testBucket, pipeline.Topic+"/")
	if err != nil {
		t.Fatal(err)
	}
	type span struct{ from, to int64 }
	spans := map[int32][]span{}
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil || d.IsDir() {
			return err
		}
		m := objectName.FindStringSubmatch(d.Name())
		if m == nil {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		p, _ := strconv.Atoi(m[1])
		o, _ := strconv.ParseInt(m[2], 10, 64)
		spans[int32(p)] = append(spans[int32(p)], span{o, o + int64(bytes.Count(b, []byte{'\n'}))})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	out := map[int32]int64{}
	for p, ss := range spans {
		sort.Slice(ss, func(i, j int) bool { return ss[i].from < ss[j].from })
		var reached int64
		for _, s := range ss {
			if s.from <= reached {
				reached = max(reached, s.to)
			}
		}
		out[p] = reached
	}
	return out
}

// assertCommittedIsStored checks the sink's promise that it commits an
// offset only once every record before it is in S3.
func assertCommittedIsStored(t *testing.T, ctx context.Context, adm *kadm.Client, group string, stack *emulate.Stack) {
	t.Helper()
	// Committed first: whatever was committed then was stored before, so
	// it is on disk when we look.
	committed := committedOffsets(t, ctx, adm, group)
	stored := storedRanges(t, stack)
	for p, c := range committed {
		if c > stored[p] {
			t.Errorf("partition %d: offsets below %d are committed, but S3 holds only those below %d", p, c, stored[p])
		}
	}
}

// queryStore crawls the bucket into the catalog and opens DuckDB on it.
func queryStore(t *testing.T, ctx context.Context, stack *emulate.Stack, s3c *s3.Client, cat *catalog.Catalog) (*duckdb.Engine, pipeline.CrawlStats) {
	t.Helper()
	st, err := pipeline.Crawl(ctx, s3c, cat, pipeline.CrawlOptions{Bucket: testBucket})
	if err != nil {
		t.Fatalf("crawl: %v", err)
	}
	eng, err := duckdb.Open(ctx, cat, &duckdb.Options{LocalDir: stack.Store.PrefixDir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	return eng, st
}

func queryRows(t *testing.T, eng sqlq.Engine, q string) [][]any {
	t.Helper()
	res, err := eng.Query(context.Background(), q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return res.Rows
}

func asInt(t *testing.T, v any) int64 {
	t.Helper()
	switch x := v.(type) {
	case int64:
		return x
	case int32:
		return int64(x)
	case int:
		return int64(x)
	case float64:
		return int64(x)
	}
	t.Fatalf("%v (%T) is not a number", v, v)
	return 0
}

// assertExactlyOnce checks what a user of the table would: every produced
// event is queryable, none twice, and each symbol's seq runs 0..n-1 with no
// gap, where want is the number of events produced per symbol.
func assertExactlyOnce(t *testing.T, eng sqlq.Engine, want map[string]int64) {
	t.Helper()
	var total int64
	for _, n := range want {
		total += n
	}
	rows := queryRows(t, eng, `SELECT count(*), (SELECT count(*) FROM (SELECT DISTINCT symbol, seq FROM stock_topic)) FROM stock_topic`)
	n, distinct := asInt(t, rows[0][0]), asInt(t, rows[0][1])
	if n != total {
		t.Errorf("%d rows queryable, %d events produced", n, total)
	}
	if distinct != n {
		dups := queryRows(t, eng, `SELECT symbol, seq, count(*) AS n FROM stock_topic GROUP BY symbol, seq HAVING count(*) > 1 ORDER BY symbol, seq LIMIT 5`)
		t.Errorf("%d rows but %d distinct (symbol, seq): events stored twice, e.g. %v", n, distinct, dups)
	}
	got := map[string]bool{}
	for _, r := range queryRows(t, eng, `SELECT symbol, count(*), count(DISTINCT seq), min(seq), max(seq) FROM stock_topic GROUP BY symbol ORDER BY symbol`) {
		sym, _ := r[0].(string)
		cnt, dist, lo, hi := asInt(t, r[1]), asInt(t, r[2]), asInt(t, r[3]), asInt(t, r[4])
		got[sym] = true
		w, ok := want[sym]
		switch {
		case !ok:
			t.Errorf("symbol %q: %d rows, but it was never produced", sym, cnt)
		case cnt != w:
			t.Errorf("symbol %q: %d rows, %d produced", sym, cnt, w)
		case dist != w || lo != 0 || hi != w-1:
			t.Errorf("symbol %q: seq has %d distinct values in %d..%d, want 0..%d without a gap", sym, dist, lo, hi, w-1)
		}
	}
	for sym, w := range want {
		if !got[sym] {
			t.Errorf("symbol %q: %d produced, none queryable", sym, w)
		}
	}
}

// getObject reads the object at key in the test bucket.
func getObject(t *testing.T, ctx context.Context, s3c *s3.Client, key string) []byte {
	t.Helper()
	out, err := s3c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(testBucket), Key: aws.String(key)})
	if err != nil {
		t.Fatal(err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatalf("read %s: %v", key, err)
	}
	return b
}

// etags returns the ETag of every object under prefix, by key.
func etags(t *testing.T, ctx context.Context, s3c *s3.Client, prefix string) map[string]string {
	t.Helper()
	m := map[string]string{}
	pg := s3.NewListObjectsV2Paginator(s3c, &s3.ListObjectsV2Input{Bucket: aws.String(testBucket), Prefix: aws.String(prefix)})
	for pg.HasMorePages() {
		page, err := pg.NextPage(ctx)
		if err != nil {
			t.Fatalf("list s3://%s/%s: %v", testBucket, prefix, err)
		}
		for _, o := range page.Contents {
			m[aws.ToString(o.Key)] = aws.ToString(o.ETag)
		}
	}
	return m
}

// lockedBuffer is a bytes.Buffer safe for concurrent use.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// listKeys lists the bucket's keys under prefix.
func listKeys(t *testing.T, ctx context.Context, s3c *s3.Client, prefix string) []string {
	t.Helper()
	var keys []string
	pg := s3.NewListObjectsV2Paginator(s3c, &s3.ListObjectsV2Input{Bucket: aws.String(testBucket), Prefix: aws.String(prefix)})
	for pg.HasMorePages() {
		page, err := pg.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range page.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
	}
	return keys
}
