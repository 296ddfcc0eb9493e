package pipeline_test

import (
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"pipeline/emulate"
	"pipeline/pipeline"
)

// The sink under storage faults: S3 errors, an outage, a slow endpoint, and
// errors in the middle of a body. Each test ends by asking, through the
// catalog and DuckDB, whether every produced event is queryable exactly once.

// sinkPut reports whether r is the sink writing a table object.
func sinkPut(r *http.Request) bool {
	return r.Method == http.MethodPut && strings.HasPrefix(r.URL.Path, "/"+testBucket+"/"+pipeline.Topic+"/")
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
			// Every third of the sink's PUTs, up to 15, hangs until the
			// test ends (then the emulator serves it, after the sink
			// has stored its object again): only the sink's PutTimeout
			// ends the wait, and the retry stores the object.
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
					<-stop
					return 0, false
				})
				return func(t *testing.T, _ *sinkRun, _ func()) {
					t.Cleanup(func() {
						t.Logf("slow: %d of %d PUTs hung", min(slowed.Load(), 15), puts.Load())
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
// table object of over 1 MiB with 500 after reading only the first 64 KiB of
// its body, and drops the connection, for the first earlyTries PUTs of the
// object: more than the SDK's attempts, so the sink's own retry sends the
// object again too. The SDK is still sending when the answer comes, and
// sends the same body again, which the sink reuses once it is stored: if
// the first send still read it then, or a retry did not start the body from
// its first byte, a retry or a later object would carry other bytes. Every
// event must be stored exactly once, and every object must read as JSON
// lines.
func TestSinkSurvivesEarlyErrorsMidBody(t *testing.T) {
	const n = 120_000    // about 16 MB of ticks: objects of 1-3 MB
	const earlyTries = 4 // quickRetries' SDK gives up after 3
	ctx := testContext(t, 90*time.Second)
	stack, kafka, s3c, cat := localStack(t)
	var mu sync.Mutex
	tries := map[string]int{} // of each large object; -1 for those served at once
	var puts, early atomic.Int64
	stack.S3.InjectFaults(func(r *http.Request) (int, bool) {
		if !sinkPut(r) || r.ContentLength < 1<<20 {
			return 0, false
		}
		puts.Add(1)
		mu.Lock()
		k, ok := tries[r.URL.Path]
		if !ok && len(tries)%2 == 1 {
			k = -1
		}
		if k >= 0 {
			k++
		}
		tries[r.URL.Path] = k
		mu.Unlock()
		if k < 0 || k > earlyTries {
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

// TestSinkSaysDiskFull: while S3 refuses the sink's objects with 507
// Insufficient Storage (a store whose disk is full), the sink says so in one
// line, not one a retry, keeps what it read, and stores all of it exactly
// once when S3 has room again.
func TestSinkSaysDiskFull(t *testing.T) {
	const n = 2000
	ctx := testContext(t, 60*time.Second)
	stack, kafka, s3c, cat := localStack(t)
	var full atomic.Bool
	var refused atomic.Int64
	full.Store(true)
	stack.S3.InjectFaults(func(r *http.Request) (int, bool) {
		if full.Load() && sinkPut(r) {
			refused.Add(1)
			return http.StatusInsufficientStorage, true
		}
		return 0, false
	})
	var log lockedBuffer
	sink := startSink(t, kafka, quickRetries(s3c), pipeline.SinkOptions{Group: groupFor(t), MaxAge: 50 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(&log, nil))})
	ticks := startTicks(t, ctx, kafka, streamOptions{Seed: 31, Events: n})
	st := ticks.finish(t, 30*time.Second, n)
	waitUntil(t, 20*time.Second, "S3 to refuse 20 objects", func() bool { return refused.Load() >= 20 })
	full.Store(false)
	sink.waitCommitted(t, st.EndOffsets, 30*time.Second)
	sink.stop(t)
	out := log.String()
	if c := strings.Count(out, "disk is full"); c != 1 || strings.Contains(out, "put object failed") {
		t.Errorf("after %d refused PUTs the log says \"disk is full\" %d times, and put failures %d times; want once, and none:\n%s",
			refused.Load(), c, strings.Count(out, "put object failed"), out)
	}
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
