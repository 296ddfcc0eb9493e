package pipeline_test

// Tests of the issue "Nothing lost, nothing doubled": the producer and the
// sink under storage faults, broker faults and restarts, and bad input. Each
// test ends by asking the question a user would ask, through the catalog and
// DuckDB: is every produced event queryable exactly once?

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"pipeline/catalog"
	"pipeline/emulate"
	"pipeline/pipeline"
	"pipeline/sqlq"
)

// faultBucket is the bucket localStack creates.
const faultBucket = "test-bucket"

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
		opts.Bucket = faultBucket
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

// objectName matches the file name of every object the sink writes.
var objectName = regexp.MustCompile(`^stock_topic\+(\d+)\+(\d{10})\.json$`)

// storedRanges reads the sink's objects from the store's directory (not
// through S3, so that it works while S3 is failing) and returns, per
// partition, the offsets [0, n) the objects hold without a gap. It assumes
// a topic without dead letters, where an object of k lines starting at
// offset o holds offsets o..o+k-1.
func storedRanges(t *testing.T, stack *emulate.Stack) map[int32]int64 {
	t.Helper()
	dir, err := stack.Store.ObjectPath(faultBucket, pipeline.Topic)
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
		if errors.Is(err, fs.ErrNotExist) {
			return nil // deleted meanwhile: an uncommitted leftover
		}
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
func queryStore(t *testing.T, ctx context.Context, stack *emulate.Stack, s3c *s3.Client, cat *catalog.Catalog) (*sqlq.DuckDB, pipeline.CrawlStats) {
	t.Helper()
	st, err := pipeline.Crawl(ctx, s3c, cat, pipeline.CrawlOptions{Bucket: faultBucket})
	if err != nil {
		t.Fatalf("crawl: %v", err)
	}
	eng, err := sqlq.OpenDuckDB(ctx, cat, &sqlq.DuckDBOptions{LocalPath: stack.Store.ObjectPath})
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

// sinkPut reports whether r is the sink writing a table object.
func sinkPut(r *http.Request) bool {
	return r.Method == http.MethodPut && strings.HasPrefix(r.URL.Path, "/"+faultBucket+"/"+pipeline.Topic+"/")
}

// TestSinkSurvivesStorageFaults streams ticks through a sink while S3
// misbehaves: errors, an outage (mid-stream, and when the sink starts), a
// slow endpoint. The sink must retry, never commit past what is stored,
// catch up, and leave every event queryable exactly once.
func TestSinkSurvivesStorageFaults(t *testing.T) {
	const n = 20_000
	// A case injects its faults before the sink and the producer start, and
	// returns what to do once they run: wait for the faults to be seen,
	// check that nothing was committed unstored, and stop them.
	type during func(t *testing.T, sink *sinkRun, invariant func())
	for _, tc := range []struct {
		name       string
		putTimeout time.Duration // the sink's; 0 for the default
		inject     func(t *testing.T, stack *emulate.Stack) during
	}{
		{
			// ~30% of the sink's PUTs fail with 500 InternalError or
			// 503 SlowDown; the SDK's retries absorb most, the sink's
			// backoff the rest.
			name: "errors",
			inject: func(t *testing.T, stack *emulate.Stack) during {
				var failed500, failed503 atomic.Int64
				stack.S3.InjectFaults(func(r *http.Request) (int, bool) {
					if !sinkPut(r) || rand.Float64() >= 0.3 {
						return 0, false
					}
					if rand.IntN(2) == 0 {
						failed500.Add(1)
						return http.StatusInternalServerError, true
					}
					failed503.Add(1)
					return http.StatusServiceUnavailable, true
				})
				return func(t *testing.T, _ *sinkRun, _ func()) {
					t.Cleanup(func() {
						t.Logf("injected %d InternalError and %d SlowDown", failed500.Load(), failed503.Load())
						if failed500.Load() == 0 || failed503.Load() == 0 {
							t.Errorf("injected %d InternalError and %d SlowDown: want some of each", failed500.Load(), failed503.Load())
						}
					})
				}
			},
		},
		{
			// Once the sink has stored something, every request fails
			// with 503 until 15 have (each try of the sink is 3 requests
			// of the SDK), while ticks keep coming.
			name: "outage",
			inject: func(t *testing.T, stack *emulate.Stack) during {
				firstPut := make(chan struct{})
				var once sync.Once
				stack.S3.InjectFaults(func(r *http.Request) (int, bool) {
					if sinkPut(r) {
						once.Do(func() { close(firstPut) })
					}
					return 0, false
				})
				return func(t *testing.T, sink *sinkRun, invariant func()) {
					waitClosed(t, firstPut, 10*time.Second, "the sink's first PUT")
					failed := startOutage(stack, 15)(t, sink)
					invariant() // S3 is down and ticks keep coming
					stack.S3.InjectFaults(nil)
					t.Logf("outage: %d requests failed", failed.Load())
				}
			},
		},
		{
			// S3 is already down when the sink starts (a restart during
			// an outage): its first requests fail, until 9 have.
			name: "outage at start",
			inject: func(t *testing.T, stack *emulate.Stack) during {
				wait := startOutage(stack, 9)
				return func(t *testing.T, sink *sinkRun, invariant func()) {
					failed := wait(t, sink)
					invariant()
					stack.S3.InjectFaults(nil)
					t.Logf("outage at start: %d requests failed", failed.Load())
				}
			},
		},
		{
			// Every third of the sink's PUTs, up to 15, is held for
			// twice the sink's PutTimeout before the emulator serves it:
			// the sink gives up on it and retries, and the held PUT may
			// still land later.
			name:       "slow",
			putTimeout: slowPutTimeout,
			inject: func(t *testing.T, stack *emulate.Stack) during {
				var puts, slowed atomic.Int64
				stop := make(chan struct{})
				t.Cleanup(func() { close(stop) }) // before the stack closes
				stack.S3.InjectFaults(func(r *http.Request) (int, bool) {
					if !sinkPut(r) || puts.Add(1)%3 != 1 || slowed.Add(1) > 15 {
						return 0, false
					}
					select {
					case <-time.After(2 * slowPutTimeout):
					case <-stop:
					}
					return 0, false
				})
				return func(t *testing.T, _ *sinkRun, _ func()) {
					t.Cleanup(func() {
						t.Logf("slow: %d of %d PUTs held past the sink's PutTimeout", min(slowed.Load(), 15), puts.Load())
						if slowed.Load() == 0 {
							t.Error("no PUT was slowed")
						}
					})
				}
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := testContext(t, 60*time.Second)
			stack, kafka, s3c, cat := localStack(t)
			group := groupFor(t)
			adm := newAdmin(t, kafka)
			during := tc.inject(t, stack)
			sink := startSink(t, kafka, quickRetries(s3c), pipeline.SinkOptions{Group: group, MaxRecords: 300,
				MaxAge: 100 * time.Millisecond, PutTimeout: tc.putTimeout})
			// Before the sink stops, so that its final flush can store.
			t.Cleanup(func() { stack.S3.InjectFaults(nil) })
			ticks := startTicks(t, ctx, kafka, streamOptions{Seed: 11, Events: n, Rate: 10_000})
			during(t, sink, func() { assertCommittedIsStored(t, ctx, adm, group, stack) })

			st := ticks.finish(t, 30*time.Second, n)
			sink.waitCommitted(t, st.EndOffsets, 30*time.Second)
			stack.S3.InjectFaults(nil)
			assertCommittedIsStored(t, ctx, adm, group, stack)
			sink.stop(t)
			if got := sink.Stats(); got.Records != n {
				t.Errorf("sink stored %d records, want %d", got.Records, n)
			}
			eng, _ := queryStore(t, ctx, stack, s3c, cat)
			assertExactlyOnce(t, eng, ticks.emitted)
		})
	}
}

// TestSinkSurvivesEarlyErrorsMidBody: the embedded S3 answers every other
// PUT of a table object of over 1 MiB with 500 after reading only its first
// 64 KiB, and drops the connection. The SDK is still sending when the answer
// comes, and sends the same body again, which the sink reuses once it is
// stored: if the first send still read it then, a retry or a later object
// would carry other bytes. Every event must be stored exactly once, and every
// object must read as JSON lines.
func TestSinkSurvivesEarlyErrorsMidBody(t *testing.T) {
	const n = 120_000 // about 16 MB of ticks: objects of 1-3 MB
	ctx := testContext(t, 90*time.Second)
	stack, kafka, s3c, cat := localStack(t)
	var puts, early atomic.Int64
	stack.S3.InjectFaults(func(r *http.Request) (int, bool) {
		if !sinkPut(r) || r.ContentLength < 1<<20 || puts.Add(1)%2 == 0 {
			return 0, false
		}
		early.Add(1)
		io.CopyN(io.Discard, r.Body, 64<<10)
		return http.StatusInternalServerError, true
	})
	t.Cleanup(func() { stack.S3.InjectFaults(nil) })
	sink := startSink(t, kafka, quickRetries(s3c), pipeline.SinkOptions{Group: groupFor(t), MaxRecords: 20_000, MaxAge: 2 * time.Second})
	ticks := startTicks(t, ctx, kafka, streamOptions{Seed: 31, Events: n})
	st := ticks.finish(t, 30*time.Second, n)
	sink.waitCommitted(t, st.EndOffsets, 60*time.Second)
	sink.stop(t)
	if early.Load() == 0 {
		t.Fatalf("no PUT of over 1 MiB was answered early (%d PUTs of that size)", puts.Load())
	}
	t.Logf("%d of %d large PUTs answered early", early.Load(), puts.Load())
	eng, _ := queryStore(t, ctx, stack, s3c, cat)
	assertExactlyOnce(t, eng, ticks.emitted)
}

// quickRetries is s3c with the SDK's retries (3 attempts) backing off for
// at most 50ms and no client-side retry quota, so that the SDK's backoff of
// up to 20s does not make the tests slow: the sink's own retries are what
// is tested.
func quickRetries(s3c *s3.Client) *s3.Client {
	return s3.New(s3c.Options(), func(o *s3.Options) {
		o.Retryer = retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxBackoff = 50 * time.Millisecond
			o.RateLimiter = ratelimit.None
		})
	})
}

// startOutage fails every S3 request with 503 SlowDown. The function it
// returns waits until want requests have failed and returns the count; it
// fails the test if the sink stops meanwhile. The caller ends the outage.
func startOutage(stack *emulate.Stack, want int64) func(*testing.T, *sinkRun) *atomic.Int64 {
	failed := new(atomic.Int64)
	enough := make(chan struct{})
	stack.S3.InjectFaults(func(*http.Request) (int, bool) {
		if failed.Add(1) == want {
			close(enough)
		}
		return http.StatusServiceUnavailable, true
	})
	return func(t *testing.T, sink *sinkRun) *atomic.Int64 {
		t.Helper()
		select {
		case <-enough:
		case <-sink.done:
			t.Fatalf("sink stopped during the S3 outage, after %d failed requests: %v", failed.Load(), sink.err)
		case <-time.After(20 * time.Second):
			t.Fatalf("waited 20s for %d failed requests during the outage, saw %d", want, failed.Load())
		}
		return failed
	}
}

// slowPutTimeout is the sink's PutTimeout in the slow case of
// TestSinkSurvivesStorageFaults.
const slowPutTimeout = 300 * time.Millisecond

// stackDir is the data directory localStack started the stack in: the
// store's root is <dir>/s3.
func stackDir(t *testing.T, stack *emulate.Stack) string {
	t.Helper()
	obj, err := stack.Store.ObjectPath(faultBucket, "x") // <dir>/s3/<bucket>/x
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Dir(filepath.Dir(filepath.Dir(obj)))
}

// answerProduce answers every partition of a produce request with the error
// code that code picks for it.
func answerProduce(req *kmsg.ProduceRequest, code func(partition int32) int16) *kmsg.ProduceResponse {
	resp := req.ResponseKind().(*kmsg.ProduceResponse)
	for _, rt := range req.Topics {
		st := kmsg.NewProduceResponseTopic()
		st.Topic, st.TopicID = rt.Topic, rt.TopicID
		for _, rp := range rt.Partitions {
			sp := kmsg.NewProduceResponseTopicPartition()
			sp.Partition = rp.Partition
			sp.ErrorCode = code(rp.Partition)
			st.Partitions = append(st.Partitions, sp)
		}
		resp.Topics = append(resp.Topics, st)
	}
	return resp
}

// TestProducerAndSinkSurviveBrokerFaults injects Kafka faults with kfake's
// controls: failed produce requests, failed fetches, failed offset commits,
// and a broker restart on the same data and port mid-stream. The producer
// must deliver everything (or report what it could not) and the sink must
// end exact.
func TestProducerAndSinkSurviveBrokerFaults(t *testing.T) {
	const n = 20_000

	// Every third produce request fails with a retriable error, as when a
	// leader moves or a broker is too slow; every fifth is written and
	// then answered REQUEST_TIMED_OUT. Every third fetch fails too, in
	// turn with NOT_LEADER_FOR_PARTITION and by dropping the connection.
	t.Run("produce and fetch errors", func(t *testing.T) {
		ctx := testContext(t, 60*time.Second)
		stack, kafka, s3c, cat := localStack(t)
		// A client waits MetadataMinAge (5s) before it asks where a
		// partition's leader went; keep the test short.
		kafka = append(kafka, kgo.MetadataMinAge(50*time.Millisecond))
		k := stack.Kafka
		var produces, produceFaults, fetches, fetchFaults, fetchDrops atomic.Int64
		k.ControlKey(int16(kmsg.Produce), func(kreq kmsg.Request) (kmsg.Response, error, bool) {
			k.KeepControl()
			i := produces.Add(1)
			if i%3 != 1 {
				return nil, nil, false
			}
			produceFaults.Add(1)
			code := kerr.NotLeaderForPartition.Code
			if i%2 == 0 {
				code = kerr.RequestTimedOut.Code
			}
			return answerProduce(kreq.(*kmsg.ProduceRequest), func(int32) int16 { return code }), nil, true
		})
		// The worst kind of timeout: the broker wrote the batch, then
		// answered REQUEST_TIMED_OUT, so the producer sends it again.
		// Idempotence must keep the second copy out of the log.
		var considered atomic.Int64
		applied := k.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Produce}, Topic: pipeline.Topic, Err: kerr.RequestTimedOut,
			Count: -1, When: func(kmsg.Request) bool { return considered.Add(1)%5 == 2 }})
		k.ControlKey(int16(kmsg.Fetch), func(kreq kmsg.Request) (kmsg.Response, error, bool) {
			k.KeepControl()
			i := fetches.Add(1)
			if i%3 != 1 {
				return nil, nil, false
			}
			req := kreq.(*kmsg.FetchRequest)
			resp := req.ResponseKind().(*kmsg.FetchResponse)
			for _, rt := range req.Topics {
				st := kmsg.NewFetchResponseTopic()
				st.Topic, st.TopicID = rt.Topic, rt.TopicID
				for _, rp := range rt.Partitions {
					sp := kmsg.NewFetchResponseTopicPartition()
					sp.Partition = rp.Partition
					sp.ErrorCode = kerr.NotLeaderForPartition.Code
					st.Partitions = append(st.Partitions, sp)
				}
				if len(st.Partitions) > 0 {
					resp.Topics = append(resp.Topics, st)
				}
			}
			if len(resp.Topics) == 0 || i%2 == 0 {
				fetchDrops.Add(1)
				return nil, errors.New("injected: connection dropped"), true
			}
			fetchFaults.Add(1)
			return resp, nil, true
		})

		sink := startSink(t, kafka, s3c, pipeline.SinkOptions{Group: groupFor(t), MaxRecords: 300, MaxAge: 100 * time.Millisecond})
		ticks := startTicks(t, ctx, kafka, streamOptions{Seed: 21, Events: n, Rate: 8_000})
		st := ticks.finish(t, 30*time.Second, n)
		sink.waitCommitted(t, st.EndOffsets, 30*time.Second)
		sink.stop(t)
		t.Logf("failed %d of %d produce requests (and %d after writing them), failed %d and dropped %d of %d fetches",
			produceFaults.Load(), produces.Load(), applied.Hits(), fetchFaults.Load(), fetchDrops.Load(), fetches.Load())
		if produceFaults.Load() == 0 || applied.Hits() == 0 || fetchFaults.Load() == 0 || fetchDrops.Load() == 0 {
			t.Error("a kind of fault was never injected")
		}
		eng, _ := queryStore(t, ctx, stack, s3c, cat)
		assertExactlyOnce(t, eng, ticks.emitted)
	})

	// The broker stops mid-stream and starts again on the same data
	// directory and port, while the producer and the sink keep running.
	t.Run("broker restart", func(t *testing.T) {
		ctx := testContext(t, 60*time.Second)
		stack, kafka, s3c, cat := localStack(t)
		sink := startSink(t, kafka, s3c, pipeline.SinkOptions{Group: groupFor(t), MaxRecords: 300, MaxAge: 100 * time.Millisecond})
		// The stream holds at half way until the broker is down, then
		// goes on into the dead broker, however fast the machine is.
		down := make(chan struct{})
		ticks := startTicks(t, ctx, kafka, streamOptions{Seed: 22, Events: n, Rate: 10_000, Gate: func(i int64) {
			if i == n/2 {
				select {
				case <-down:
				case <-ctx.Done():
				}
			}
		}})
		waitUntil(t, 20*time.Second, "a third of the ticks stored", func() bool { return sink.Stats().Records >= n/3 })

		addr := stack.Kafka.ListenAddrs()[0]
		stack.Kafka.Close()
		close(down)
		k, err := emulate.StartKafka(filepath.Join(stackDir(t, stack), "kafka"),
			&emulate.KafkaOptions{Addr: addr, Topics: []string{pipeline.Topic}})
		if err != nil {
			t.Fatalf("restart the broker on %s: %v", addr, err)
		}
		stack.Kafka = k // the stack's cleanup closes this one

		st := ticks.finish(t, 30*time.Second, n)
		sink.waitCommitted(t, st.EndOffsets, 30*time.Second)
		sink.stop(t)
		eng, _ := queryStore(t, ctx, stack, s3c, cat)
		assertExactlyOnce(t, eng, ticks.emitted)
	})

	// failCommits fails the group's offset commits with REQUEST_TIMED_OUT
	// (which kgo hands back to the committer) while on is true.
	failCommits := func(k *emulate.Kafka, group string, on *atomic.Bool, count *atomic.Int64) {
		k.ControlKey(int16(kmsg.OffsetCommit), func(kreq kmsg.Request) (kmsg.Response, error, bool) {
			k.KeepControl()
			req := kreq.(*kmsg.OffsetCommitRequest)
			if !on.Load() || req.Group != group {
				return nil, nil, false
			}
			count.Add(1)
			resp := req.ResponseKind().(*kmsg.OffsetCommitResponse)
			for _, rt := range req.Topics {
				st := kmsg.NewOffsetCommitResponseTopic()
				st.Topic, st.TopicID = rt.Topic, rt.TopicID
				for _, rp := range rt.Partitions {
					sp := kmsg.NewOffsetCommitResponseTopicPartition()
					sp.Partition = rp.Partition
					sp.ErrorCode = kerr.RequestTimedOut.Code
					st.Partitions = append(st.Partitions, sp)
				}
				resp.Topics = append(resp.Topics, st)
			}
			return resp, nil, true
		})
	}

	// Commits fail while the sink stores everything; once the broker
	// takes commits again, the sink must commit what it stored, even
	// though no new record comes to trigger another flush.
	t.Run("a failed commit is retried", func(t *testing.T) {
		ctx := testContext(t, 60*time.Second)
		stack, kafka, s3c, cat := localStack(t)
		group := groupFor(t)
		var on atomic.Bool
		var failed atomic.Int64
		on.Store(true)
		failCommits(stack.Kafka, group, &on, &failed)
		sink := startSink(t, kafka, s3c, pipeline.SinkOptions{Group: group, MaxRecords: 300, MaxAge: 100 * time.Millisecond})
		ticks := startTicks(t, ctx, kafka, streamOptions{Seed: 23, Events: n})
		st := ticks.finish(t, 30*time.Second, n)
		waitUntil(t, 20*time.Second, "the sink to store every record", func() bool { return sink.Stats().Records >= n })
		// Let the last uploads' commits fail too: from here only the poll
		// loop's retry can commit, with no new record to store.
		f0 := failed.Load()
		waitUntil(t, 10*time.Second, "a commit to fail after the last store", func() bool { return failed.Load() > f0 })
		time.Sleep(300 * time.Millisecond)
		on.Store(false)
		sink.waitCommitted(t, st.EndOffsets, 10*time.Second)
		sink.stop(t)
		eng, _ := queryStore(t, ctx, stack, s3c, cat)
		assertExactlyOnce(t, eng, ticks.emitted)
	})

	// A sink stores everything but none of its commits succeed; it stops,
	// and a new sink of the same group, cutting objects elsewhere, replays
	// from the last commit. It must delete the first sink's uncommitted
	// objects rather than store their records twice.
	// In both formats: the leftovers to find are .json or .parquet objects.
	for _, format := range []string{catalog.FormatJSON, catalog.FormatParquet} {
		t.Run("a new sink replaces one whose commits failed/"+format, func(t *testing.T) {
			ctx := testContext(t, 60*time.Second)
			stack, kafka, s3c, cat := localStack(t)
			group := groupFor(t)
			adm := newAdmin(t, kafka)
			var on atomic.Bool
			var failed atomic.Int64
			on.Store(true)
			failCommits(stack.Kafka, group, &on, &failed)
			first := startSink(t, kafka, s3c, pipeline.SinkOptions{Group: group, Format: format, MaxRecords: 300, MaxAge: 100 * time.Millisecond})
			ticks := startTicks(t, ctx, kafka, streamOptions{Seed: 24, Events: n})
			st := ticks.finish(t, 30*time.Second, n)
			waitUntil(t, 20*time.Second, "the first sink to store every record", func() bool { return first.Stats().Records >= n })
			first.stop(t)
			if c := committedOffsets(t, ctx, adm, group); len(c) != 0 || failed.Load() == 0 {
				t.Fatalf("%d commits failed, committed %v: want every commit failed", failed.Load(), c)
			}
			on.Store(false)

			second := startSink(t, kafka, s3c, pipeline.SinkOptions{Group: group, Format: format, MaxRecords: 700, MaxAge: 100 * time.Millisecond})
			second.waitCommitted(t, st.EndOffsets, 30*time.Second)
			second.stop(t)
			if c := second.Stats().Cleaned; c == 0 {
				t.Error("the second sink deleted no uncommitted leftover")
			}
			eng, _ := queryStore(t, ctx, stack, s3c, cat)
			assertExactlyOnce(t, eng, ticks.emitted)
		})
	}

	// Every batch for one partition is rejected for good (INVALID_RECORD);
	// the other partitions of the same requests are answered
	// NOT_LEADER_FOR_PARTITION, so they are retried and delivered. The
	// producer must report each lost event, and the sink store exactly the
	// delivered ones.
	t.Run("undeliverable events are reported", func(t *testing.T) {
		ctx := testContext(t, 60*time.Second)
		stack, kafka, s3c, cat := localStack(t)
		k := stack.Kafka
		partitioner := kgo.StickyKeyPartitioner(nil).ForTopic(pipeline.Topic)
		partitionOf := func(sym string) int32 {
			return int32(partitioner.Partition(&kgo.Record{Key: []byte(sym)}, emulate.DefaultPartitions))
		}
		bad := partitionOf("AAPL")
		var rejected atomic.Int64
		k.ControlKey(int16(kmsg.Produce), func(kreq kmsg.Request) (kmsg.Response, error, bool) {
			k.KeepControl()
			req := kreq.(*kmsg.ProduceRequest)
			hit := false
			for _, rt := range req.Topics {
				for _, rp := range rt.Partitions {
					hit = hit || rp.Partition == bad
				}
			}
			if !hit {
				return nil, nil, false
			}
			rejected.Add(1)
			return answerProduce(req, func(p int32) int16 {
				if p == bad {
					return kerr.InvalidRecord.Code
				}
				return kerr.NotLeaderForPartition.Code
			}), nil, true
		})
		sink := startSink(t, kafka, s3c, pipeline.SinkOptions{Group: groupFor(t), MaxRecords: 300, MaxAge: 100 * time.Millisecond})
		ticks := startTicks(t, ctx, kafka, streamOptions{Seed: 25, Events: n, Rate: 20_000})
		waitClosed(t, ticks.done, 30*time.Second, "the producer to finish")

		want := map[string]int64{}
		var lost int64
		for sym, c := range ticks.emitted {
			if partitionOf(sym) == bad {
				lost += c
			} else {
				want[sym] = c
			}
		}
		st := ticks.prod.Stats()
		if !errors.Is(ticks.err, pipeline.ErrNotDelivered) || !errors.Is(ticks.err, kerr.InvalidRecord) {
			t.Errorf("Flush returned %v, want an error wrapping ErrNotDelivered and INVALID_RECORD", ticks.err)
		}
		if lost == 0 || st.Failed != lost || st.Produced != n-lost {
			t.Errorf("producer: %d acknowledged, %d failed; want %d and %d (every event of partition %d)",
				st.Produced, st.Failed, n-lost, lost, bad)
		}
		if _, ok := st.EndOffsets[bad]; ok {
			t.Errorf("EndOffsets has partition %d, which took nothing", bad)
		}
		sink.waitCommitted(t, st.EndOffsets, 30*time.Second)
		sink.stop(t)
		t.Logf("rejected %d produce requests; %d events lost, all reported", rejected.Load(), lost)
		eng, _ := queryStore(t, ctx, stack, s3c, cat)
		assertExactlyOnce(t, eng, want)
	})
}

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

// getObject reads the object at key in the test bucket.
func getObject(t *testing.T, ctx context.Context, s3c *s3.Client, key string) []byte {
	t.Helper()
	out, err := s3c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(faultBucket), Key: aws.String(key)})
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

// listKeys lists the bucket's keys under prefix.
func listKeys(t *testing.T, ctx context.Context, s3c *s3.Client, prefix string) []string {
	t.Helper()
	var keys []string
	pg := s3.NewListObjectsV2Paginator(s3c, &s3.ListObjectsV2Input{Bucket: aws.String(faultBucket), Prefix: aws.String(prefix)})
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

// TestSinkDeadLetters sends garbage among good events: the paper's
// tutorial record, text, nothing, binary, JSON that is not an object, JSON
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
		{"the paper's tutorial garbage", []byte(`{'surnasdasdame':'parasdasdmar'}`), "not valid JSON"},
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

// TestHostileSymbols sends valid events whose symbols look like paths, SQL
// or escapes, or are 10 KB long. Nothing may be written outside the stack's
// data directory, the objects keep the sink's fixed key shape, and SQL
// returns each symbol as it was sent, with its exact count.
func TestHostileSymbols(t *testing.T) {
	ctx := testContext(t, 60*time.Second)
	stack, kafka, s3c, cat := localStack(t)
	dir := stackDir(t, stack)
	root := filepath.Dir(dir) // this test's temp root: the stack and the catalog
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
			ev := pipeline.Event{Symbol: sym, TS: time.Now(), Seq: emitted[sym], Names: []string{"price", "volume"},
				Values: []pipeline.Value{pipeline.Float(1.25), pipeline.Int(100)}}
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
	keyShape := regexp.MustCompile(`^(stock_topic/dt=\d{4}-\d{2}-\d{2}|_errors/stock_topic)/stock_topic\+\d+\+\d{10}\.json$`)
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
		q := `SELECT count(*) FROM stock_topic WHERE symbol = '` + strings.ReplaceAll(sym, "'", "''") + `'`
		if c := asInt(t, queryRows(t, eng, q)[0][0]); c != want[sym] {
			t.Errorf("%s: %d, want %d", q, c, want[sym])
		}
	}
	assertExactlyOnce(t, eng, want)

	// Nothing was written outside the data directory and the catalog, and
	// in the store only the sink's objects and their metadata.
	data := regexp.MustCompile(`^(stock_topic/dt=\d{4}-\d{2}-\d{2}|_errors/stock_topic)/stock_topic\+\d+\+\d{10}\.json$`)
	for _, f := range treeFiles(t, root) {
		if slices.Contains(before, f) {
			continue
		}
		rel, _ := filepath.Rel(dir, filepath.Join(root, f))
		rel = filepath.ToSlash(rel)
		switch {
		case strings.HasPrefix(rel, "kafka/"):
		case strings.HasPrefix(rel, "s3/"+faultBucket+"/") && data.MatchString(strings.TrimPrefix(rel, "s3/"+faultBucket+"/")):
		case strings.HasPrefix(rel, "s3/.meta/"+faultBucket+"/") && data.MatchString(strings.TrimSuffix(strings.TrimPrefix(rel, "s3/.meta/"+faultBucket+"/"), "~.json")):
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
