package bench

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/twmb/franz-go/pkg/kgo"

	"pipeline/catalog"
	"pipeline/pipeline"
)

// producerClient is a Kafka client with the pipeline's producer settings.
func (b *bench) producerClient() (*kgo.Client, error) {
	cl, err := kgo.NewClient(append(slices.Clone(b.kafka), pipeline.ProducerClientOpts()...)...)
	if err != nil {
		return nil, fmt.Errorf("bench: kafka client: %w", err)
	}
	return cl, nil
}

// ceilingPool is how many distinct ticks the ceiling phase encodes and then
// produces over and over: enough that batches look like real ones, few
// enough that memory does not grow with --events.
const ceilingPool = 1 << 16

// ceiling produces Events pre-encoded ticks as fast as the embedded Kafka
// takes them, with the pipeline's producer settings, to a fresh topic.
func (b *bench) ceiling(ctx context.Context) error {
	type kv struct{ key, value []byte }
	pool := make([]kv, 0, min(b.opts.Events, ceilingPool))
	_, err := pipeline.Simulate(ctx, pipeline.NewSynthetic(1), pipeline.SimOptions{Events: int64(cap(pool))}, func(ev *pipeline.Event) error {
		pool = append(pool, kv{[]byte(ev.Symbol), ev.AppendJSON(nil)})
		return nil
	})
	if err != nil {
		return fmt.Errorf("bench: ceiling: %w", err)
	}
	cl, err := b.producerClient()
	if err != nil {
		return err
	}
	defer cl.Close()
	var failed atomic.Int64
	var firstErr atomic.Pointer[error]
	promise := func(_ *kgo.Record, err error) {
		if err != nil {
			failed.Add(1)
			firstErr.CompareAndSwap(nil, &err)
		}
	}
	var ds []time.Duration
	for range ceilingRounds {
		start := time.Now()
		for i := range b.opts.Events {
			r := pool[i%int64(len(pool))]
			cl.Produce(ctx, &kgo.Record{Topic: ceilingTopic, Key: r.key, Value: r.value}, promise)
		}
		if err := cl.Flush(ctx); err != nil {
			return fmt.Errorf("bench: ceiling: flush: %w", err)
		}
		ds = append(ds, time.Since(start))
		if n := failed.Load(); n > 0 {
			return fmt.Errorf("bench: ceiling: %d of %d records not delivered: %w", n, b.opts.Events, *firstErr.Load())
		}
		b.rep.CeilingRoundsEPS = append(b.rep.CeilingRoundsEPS, eps(b.opts.Events, ds[len(ds)-1]))
	}
	b.rep.CeilingEPS = eps(b.opts.Events, median(ds))
	b.progress("%s events/s (median of %d rounds)", thousands(b.rep.CeilingEPS), ceilingRounds)
	return nil
}

// consume reads Events of the ceiling's ticks back, ceilingRounds times,
// with a franz-go consumer of default settings that only counts them: the
// Kafka side of a sink with nothing else to do.
func (b *bench) consume(ctx context.Context) error {
	var rates []float64
	for range ceilingRounds {
		rate, err := b.consumeRound(ctx)
		if err != nil || ctx.Err() != nil {
			return err // an interruption is the phase's to report
		}
		rates = append(rates, rate)
		b.rep.ConsumeRoundsEPS = append(b.rep.ConsumeRoundsEPS, rate)
	}
	b.rep.ConsumeEPS = median(rates)
	b.progress("%s events/s (median of %d rounds)", thousands(b.rep.ConsumeEPS), ceilingRounds)
	return nil
}

// consumeRound reads at least Events ticks of the ceiling's topic from its
// start and returns their rate.
func (b *bench) consumeRound(ctx context.Context) (float64, error) {
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, drainTimeout)
	defer cancel()
	cl, err := kgo.NewClient(append(slices.Clone(b.kafka), kgo.ConsumeTopics(ceilingTopic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))...)
	if err != nil {
		return 0, fmt.Errorf("bench: consume: kafka client: %w", err)
	}
	defer cl.Close()
	start := time.Now()
	var n int64
	for n < b.opts.Events {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			if parent.Err() != nil {
				return 0, nil
			}
			return 0, fmt.Errorf("bench: consume: read %d of %d ticks in %s", n, b.opts.Events, drainTimeout)
		}
		for _, fe := range fs.Errors() {
			b.opts.Logger.Warn("consume: fetch error", "partition", fe.Partition, "err", fe.Err)
		}
		n += int64(fs.NumRecords())
	}
	return eps(n, time.Since(start)), nil
}

// ceilingRounds is how many times the ceiling phase produces its ticks. It
// lasts about a second, short enough for the machine's ups and downs to
// move it by a fifth (1.7 to 2.1 million/s in two runs an hour apart): the
// median of three is a steadier yardstick for the end-to-end ratios.
const ceilingRounds = 3

// sinkOptions are the sink's options for a format's table: the pipeline's
// defaults, with a topic, key prefix and group of the format's own.
func (b *bench) sinkOptions(format string) pipeline.SinkOptions {
	return pipeline.SinkOptions{Bucket: bucket, Prefix: format + "/", Topic: e2eTopic(format), Group: "bench-" + format,
		Format: format, Catalog: b.catalog, Logger: b.opts.Logger}
}

// endToEnd runs Events ticks through pipeline.Run, as fast as possible.
func (b *bench) endToEnd(ctx context.Context, format string) error {
	fr := b.rep.Formats[format]
	n := b.opts.Events
	st, err := pipeline.Run(ctx, pipeline.RunConfig{
		Kafka: b.kafka, S3: b.s3, Catalog: b.catalog,
		Source: pipeline.NewSynthetic(1), Sim: pipeline.SimOptions{Events: n},
		Sink: b.sinkOptions(format), DrainTimeout: drainTimeout, Logger: b.opts.Logger,
	})
	if err != nil {
		return fmt.Errorf("bench: %s end to end: %w", format, err)
	}
	if ctx.Err() != nil {
		return nil // the phase reports the interruption
	}
	if st.Produce.Produced != n || st.Sink.Records != n {
		return fmt.Errorf("bench: %s end to end: %d events produced, %d acknowledged, %d stored: want %d each",
			format, st.Sim.Events, st.Produce.Produced, st.Sink.Records, n)
	}
	t, err := b.catalog.GetTable(ctx, catalog.Database, fr.Table)
	if err != nil {
		return fmt.Errorf("bench: %s end to end: table %s after the crawl: %w", format, fr.Table, err)
	}
	if t.Format != format {
		return fmt.Errorf("bench: %s end to end: the sink was asked for %s but the crawler found %s objects", format, format, t.Format)
	}
	fr.Stored, fr.Objects, fr.Bytes = st.Sink.Records, st.Sink.Objects, st.Sink.Bytes
	fr.E2ES = round(st.Elapsed.Seconds(), 3)
	fr.E2EEPS = eps(n, st.Elapsed)
	fr.ProduceS = round(st.Sim.Elapsed.Seconds(), 3)
	fr.CrawlS = round(st.Crawl.Elapsed.Seconds(), 3)
	b.progress("%s events/s, %d objects", thousands(fr.E2EEPS), fr.Objects)
	return nil
}

// runSink runs a sink until the returned stop is called; stop returns its
// error.
func runSink(ctx context.Context, sink *pipeline.Sink) (stop func() error) {
	sctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- sink.Run(sctx) }()
	return func() error {
		cancel()
		return <-done
	}
}

// warmupTicks are produced before the freshness phase measures: enough
// that every symbol, so every partition the measured ticks go to, has one.
const warmupTicks = 1000

// freshnessSample is how often the freshness phase reads the sink's
// committed offsets: the resolution of its commit times.
const freshnessSample = 2 * time.Millisecond

// freshness produces ticks at Rate for FreshnessDuration into the format's
// table (the same topic, prefix and group as the end-to-end phase, so the
// table and its partitions exist and a committed tick is queryable), and
// measures each tick's time from production to the sink's commit of it.
func (b *bench) freshness(ctx context.Context, format string) error {
	fr := b.rep.Formats[format]
	so := b.sinkOptions(format)
	sink, err := pipeline.NewSink(b.kafka, b.s3, &so)
	if err != nil {
		return fmt.Errorf("bench: %s freshness: %w", format, err)
	}
	stopSink := runSink(ctx, sink)
	sinkStopped := false
	defer func() {
		if !sinkStopped {
			stopSink()
		}
	}()
	cl, err := b.producerClient()
	if err != nil {
		return err
	}
	defer cl.Close()

	acks := newAckLog()
	src := pipeline.NewSynthetic(2)
	var enc pipeline.EventEncoder
	emit := func(ev *pipeline.Event) error {
		buf := make([]byte, len(ev.Symbol), len(ev.Symbol)+64+24*len(ev.Values))
		copy(buf, ev.Symbol)
		val := enc.Append(buf[len(buf):], ev)
		// The production time; the promise reads it back.
		rec := &kgo.Record{Topic: so.Topic, Key: buf[:len(ev.Symbol):len(ev.Symbol)], Value: val, Timestamp: time.Now()}
		cl.Produce(ctx, rec, acks.promise)
		return nil
	}
	wait := func(what string) error {
		if err := cl.Flush(ctx); err != nil {
			return fmt.Errorf("bench: %s freshness: flush: %w", format, err)
		}
		if n, err := acks.failures(); n > 0 {
			return fmt.Errorf("bench: %s freshness: %d records not delivered: %w", format, n, err)
		}
		wctx, cancel := context.WithTimeout(ctx, drainTimeout)
		defer cancel()
		if err := sink.WaitCommitted(wctx, acks.ends()); err != nil {
			return fmt.Errorf("bench: %s freshness: the sink did not store the %s within %s: %w", format, what, drainTimeout, err)
		}
		return nil
	}

	// Warm up: the sink joins its group and has stored a tick of every
	// symbol (so of every partition the measured ticks go to).
	if _, err := pipeline.Simulate(ctx, src, pipeline.SimOptions{Events: warmupTicks}, emit); err != nil {
		return fmt.Errorf("bench: %s freshness: %w", format, err)
	}
	if err := wait("warm-up ticks"); err != nil {
		return err
	}
	acks.reset()

	commits := newCommitLog(sink, acks.t0)
	commits.sample()
	stopSampling := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		t := time.NewTicker(freshnessSample)
		defer t.Stop()
		for {
			select {
			case <-stopSampling:
				return
			case <-t.C:
				commits.sample()
			}
		}
	}()
	_, err = pipeline.Simulate(ctx, src, pipeline.SimOptions{Rate: b.opts.Rate, Duration: b.opts.FreshnessDuration}, emit)
	if err == nil {
		err = wait("measured ticks")
	}
	close(stopSampling)
	<-sampled
	commits.sample()
	if err != nil {
		if ctx.Err() != nil {
			return nil // the phase reports the interruption
		}
		return err
	}
	lat, err := acks.latencies(commits)
	if err != nil {
		return fmt.Errorf("bench: %s freshness: %w", format, err)
	}
	sinkStopped = true
	if err := stopSink(); err != nil {
		return fmt.Errorf("bench: %s freshness: %w", format, err)
	}
	if got, want := sink.Stats().Records, warmupTicks+int64(len(lat)); got != want {
		return fmt.Errorf("bench: %s freshness: the sink stored %d of %d ticks", format, got, want)
	}
	fr.FreshnessEvents = int64(len(lat))
	fr.FreshnessMS = percentiles(lat)
	b.progress("p50 %.0f ms, p99 %.0f ms over %d ticks at %g/s",
		fr.FreshnessMS.P50, fr.FreshnessMS.P99, fr.FreshnessEvents, b.opts.Rate)
	return nil
}

// ackLog keeps, per partition, the offset and production time of every
// acknowledged record.
type ackLog struct {
	t0       time.Time
	mu       sync.Mutex
	parts    map[int32][]stamp
	failed   int64
	firstErr error
}

// stamp is an offset and when something happened to it, since a log's t0.
type stamp struct {
	off int64
	at  time.Duration
}

func newAckLog() *ackLog { return &ackLog{t0: time.Now(), parts: map[int32][]stamp{}} }

func (a *ackLog) promise(r *kgo.Record, err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if err != nil {
		a.failed++
		if a.firstErr == nil {
			a.firstErr = err
		}
		return
	}
	a.parts[r.Partition] = append(a.parts[r.Partition], stamp{r.Offset, r.Timestamp.Sub(a.t0)})
}

func (a *ackLog) failures() (int64, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.failed, a.firstErr
}

// ends is, per partition, the offset after the last acknowledged record.
func (a *ackLog) ends() map[int32]int64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	ends := map[int32]int64{}
	for p, s := range a.parts {
		for _, x := range s {
			ends[p] = max(ends[p], x.off+1)
		}
	}
	return ends
}

// reset forgets the records acknowledged so far.
func (a *ackLog) reset() {
	a.mu.Lock()
	defer a.mu.Unlock()
	clear(a.parts)
}

// latencies matches each acknowledged record with the first commit that
// covers it and returns the times from production to commit.
func (a *ackLog) latencies(c *commitLog) ([]time.Duration, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []time.Duration
	for p, recs := range a.parts {
		slices.SortFunc(recs, func(x, y stamp) int { return cmp.Compare(x.off, y.off) })
		cs := c.parts[p]
		j := 0
		for _, r := range recs {
			for j < len(cs) && cs[j].off <= r.off {
				j++
			}
			if j == len(cs) {
				return nil, fmt.Errorf("record %d of partition %d was never committed", r.off, p)
			}
			out = append(out, cs[j].at-r.at)
		}
	}
	return out, nil
}

// commitLog keeps, per partition, each new committed offset of a sink and
// when it was first seen, since t0 (the ackLog's).
type commitLog struct {
	sink  *pipeline.Sink
	t0    time.Time
	parts map[int32][]stamp
}

func newCommitLog(s *pipeline.Sink, t0 time.Time) *commitLog {
	return &commitLog{sink: s, t0: t0, parts: map[int32][]stamp{}}
}

// sample records the committed offsets that moved since the last sample.
func (c *commitLog) sample() {
	now := time.Since(c.t0)
	for p, off := range c.sink.Committed() {
		s := c.parts[p]
		if len(s) == 0 || off > s[len(s)-1].off {
			c.parts[p] = append(s, stamp{off, now})
		}
	}
}

// naiveBatch is how many records the naive consumer puts in an object.
const naiveBatch = 10_000

// drainRounds is how many times each way drains the pre-loaded ticks.
const drainRounds = 3

// drain pre-loads a topic and times a naive consumer and the pipeline's sink
// draining it into JSON-lines objects.
func (b *bench) drain(ctx context.Context) error {
	n := min(b.opts.DrainEvents, b.opts.Events)
	var ends map[int32]int64
	err := b.phase(ctx, "drain: pre-load", false, func(ctx context.Context) error {
		var err error
		ends, err = b.preloadDrain(ctx, n)
		b.progress("%d ticks", n)
		return err
	})
	if err != nil {
		return err
	}
	// Each way drains the ticks drainRounds times, each round with a group
	// and a key prefix of its own, and counts its median round: one round
	// lasts under a second, so one hiccup would decide it. The two ways
	// take turns, so that the machine's ups and downs fall on both.
	return b.phase(ctx, "drain: naive consumer and pipeline sink, in turns", false, func(ctx context.Context) error {
		var naive, sink []time.Duration
		for round := range drainRounds {
			start := time.Now()
			if err := b.naiveDrain(ctx, n, round); err != nil || ctx.Err() != nil {
				return err
			}
			naive = append(naive, time.Since(start))
			d, err := b.sinkDrain(ctx, n, ends, round)
			if err != nil || ctx.Err() != nil {
				return err
			}
			sink = append(sink, d)
			b.rep.NaiveRoundsEPS = append(b.rep.NaiveRoundsEPS, eps(n, naive[round]))
			b.rep.SinkDrainRoundsEPS = append(b.rep.SinkDrainRoundsEPS, eps(n, d))
		}
		b.rep.NaiveEPS, b.rep.SinkDrainEPS = eps(n, median(naive)), eps(n, median(sink))
		b.progress("naive consumer %s events/s, pipeline sink %s events/s (medians of %d rounds)",
			thousands(b.rep.NaiveEPS), thousands(b.rep.SinkDrainEPS), drainRounds)
		return nil
	})
}

// preloadDrain produces n ticks to the drain's topic and returns its end
// offsets.
func (b *bench) preloadDrain(ctx context.Context, n int64) (map[int32]int64, error) {
	cl, err := b.producerClient()
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	prod := pipeline.NewProducer(cl, drainTopic)
	if _, err := pipeline.Simulate(ctx, pipeline.NewSynthetic(3), pipeline.SimOptions{Events: n},
		func(ev *pipeline.Event) error { return prod.Emit(ctx, ev) }); err != nil {
		return nil, fmt.Errorf("bench: drain: pre-load: %w", err)
	}
	if err := prod.Flush(ctx); err != nil {
		return nil, fmt.Errorf("bench: drain: pre-load: %w", err)
	}
	return prod.Stats().EndOffsets, nil
}

// drainSinkRecords is the sink's --max-records in the drain: objects of
// 50,000 ticks (about 6 MB), few enough PUTs, and small enough that uploads
// overlap the reading of a drain of under a second, as the naive consumer's
// PUTs do. With its default of 200,000 a partition's objects are cut only at
// the end of the drain, and their uploads are its tail.
const drainSinkRecords = 50_000

// sinkDrain runs the pipeline's sink over the n pre-loaded ticks, with its
// defaults but drainSinkRecords, and returns the time it took to store them.
func (b *bench) sinkDrain(ctx context.Context, n int64, ends map[int32]int64, round int) (time.Duration, error) {
	start := time.Now()
	sink, err := pipeline.NewSink(b.kafka, b.endpointS3, &pipeline.SinkOptions{Bucket: bucket, Prefix: fmt.Sprintf("drain-sink/%d/", round),
		Topic: drainTopic, Group: fmt.Sprintf("bench-drain-sink-%d", round), Format: catalog.FormatJSON, Logger: b.opts.Logger, MaxRecords: drainSinkRecords})
	if err != nil {
		return 0, fmt.Errorf("bench: drain: %w", err)
	}
	// The naive consumer knows how many ticks to expect and PUTs its last
	// partial batch at once; the sink is told where the pre-loaded ticks
	// end, so it stores its tail at once too.
	sink.FlushAt(ends)
	stop := runSink(ctx, sink)
	wctx, cancel := context.WithTimeout(ctx, drainTimeout)
	werr := sink.WaitCommitted(wctx, ends)
	cancel()
	elapsed := time.Since(start)
	if err := stop(); err != nil {
		return 0, fmt.Errorf("bench: drain: %w", err)
	}
	if ctx.Err() != nil {
		return 0, nil // the phase reports the interruption
	}
	if werr != nil {
		return 0, fmt.Errorf("bench: drain: the sink did not store %d pre-loaded ticks within %s: %w", n, drainTimeout, werr)
	}
	if got := sink.Stats().Records; got != n {
		return 0, fmt.Errorf("bench: drain: the sink stored %d of %d pre-loaded ticks", got, n)
	}
	return elapsed, nil
}

// naiveDrain is what a user might write instead of the sink: a franz-go
// consumer (auto-committing, so it acks before storing) that appends records
// as JSON lines and PUTs every naiveBatch records as one object, with no
// partitioning by date, no per-partition objects and no validation.
func (b *bench) naiveDrain(ctx context.Context, n int64, round int) error {
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, drainTimeout)
	defer cancel()
	opts := append(slices.Clone(b.kafka), kgo.ConsumerGroup(fmt.Sprintf("bench-naive-%d", round)), kgo.ConsumeTopics(drainTopic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return fmt.Errorf("bench: drain: naive consumer: %w", err)
	}
	defer cl.Close()
	var buf bytes.Buffer
	var total, inBuf int64
	objects := 0
	put := func() error {
		key := fmt.Sprintf("naive/%d/%s/%08d.json", round, drainTopic, objects)
		if _, err := b.endpointS3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key),
			Body: bytes.NewReader(buf.Bytes())}); err != nil {
			return fmt.Errorf("bench: drain: naive consumer: put %s: %w", key, err)
		}
		objects++
		buf.Reset()
		inBuf = 0
		return nil
	}
	for total < n {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			if parent.Err() != nil {
				return nil // the phase reports the interruption
			}
			return fmt.Errorf("bench: drain: naive consumer: drained %d of %d ticks in %s", total, n, drainTimeout)
		}
		for _, fe := range fs.Errors() {
			if !errors.Is(fe.Err, context.Canceled) {
				b.opts.Logger.Warn("naive consumer: fetch error", "partition", fe.Partition, "err", fe.Err)
			}
		}
		for it := fs.RecordIter(); !it.Done(); {
			r := it.Next()
			buf.Write(r.Value)
			buf.WriteByte('\n')
			inBuf++
			total++
			if inBuf == naiveBatch {
				if err := put(); err != nil {
					return err
				}
			}
		}
	}
	if inBuf > 0 {
		return put()
	}
	return nil
}
