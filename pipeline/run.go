package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"pipeline/catalog"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/twmb/franz-go/pkg/kgo"
)

// RunConfig wires a whole run: simulate -> produce -> Kafka -> sink -> S3 ->
// crawl -> catalog. Every client is the caller's; Run does not know whether
// they point at the embedded stack or at AWS.
type RunConfig struct {
	Kafka   []kgo.Opt // connection options: seeds, TLS, SASL
	S3      *s3.Client
	Catalog *catalog.Catalog
	Source  Source
	Sim     SimOptions
	Sink    SinkOptions // Bucket is required
	// CrawlState is passed to Crawl as CrawlOptions.StateFile.
	CrawlState string
	// DrainTimeout bounds the wait for the sink to store every produced
	// event after the producer is done; default one minute.
	DrainTimeout time.Duration
	Logger       *slog.Logger
	// Watch, if set, is called once the producer and the sink exist, so
	// that the caller can read their Stats while the run goes on.
	Watch func(*Producer, *Sink)
}

// RunStats is what a run did, stage by stage.
type RunStats struct {
	Sim     SimStats
	Produce ProduceStats
	Sink    SinkStats
	Crawl   CrawlStats
	Elapsed time.Duration
}

// Run streams the source's ticks into Kafka while a sink stores them in S3,
// waits until the sink has committed every acknowledged event, stops the
// sink, and crawls the bucket into the catalog. Events the producer could
// not deliver are reported in the stats and as an error wrapping
// ErrNotDelivered, after everything delivered has been stored and cataloged.
func Run(ctx context.Context, cfg RunConfig) (RunStats, error) {
	start := time.Now()
	var st RunStats
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	sinkOpts := cfg.Sink
	sinkOpts.Logger = cfg.Logger
	sinkOpts.Catalog = cfg.Catalog
	sink, err := NewSink(cfg.Kafka, cfg.S3, &sinkOpts)
	if err != nil {
		return st, err
	}
	// Refused before anything is produced, not after.
	if err := sink.Check(ctx); err != nil {
		sink.Close()
		return st, err
	}
	sinkOpts = sink.Options()
	topic := sinkOpts.Topic
	// An interrupted run stops producing but still stores and catalogs
	// what it produced: everything after the simulation uses rest, which
	// ctx's end does not cancel, bounded by DrainTimeout.
	drain := cfg.DrainTimeout
	if drain <= 0 {
		drain = time.Minute
	}
	rest := context.WithoutCancel(ctx)
	sinkCtx, stopSink := context.WithCancel(rest)
	defer stopSink()
	sinkErr := make(chan error, 1)
	go func() { sinkErr <- sink.Run(sinkCtx) }()

	pcl, err := kgo.NewClient(append(append([]kgo.Opt{}, cfg.Kafka...), ProducerClientOpts()...)...)
	if err != nil {
		stopSink()
		<-sinkErr
		return st, fmt.Errorf("producer: kafka client: %w", err)
	}
	prod := NewProducer(pcl, topic)
	if cfg.Watch != nil {
		cfg.Watch(prod, sink)
	}
	// ctx ends the simulation; records already emitted are still delivered.
	st.Sim, err = Simulate(ctx, cfg.Source, cfg.Sim, func(ev *Event) error { return prod.Emit(rest, ev) })
	fctx, cancel := context.WithTimeout(rest, drain)
	flushErr := prod.Flush(fctx)
	cancel()
	pcl.Close()
	st.Produce = prod.Stats()
	if err != nil && !errors.Is(err, context.Canceled) {
		stopSink()
		<-sinkErr
		return st, fmt.Errorf("simulate: %w", err)
	}

	sink.FlushAt(st.Produce.EndOffsets)
	wctx, cancel := context.WithTimeout(rest, drain)
	waitErr := sink.WaitCommitted(wctx, st.Produce.EndOffsets)
	cancel()
	stopSink()
	if err := <-sinkErr; err != nil {
		return st, err
	}
	st.Sink = sink.Stats()
	if waitErr != nil {
		return st, fmt.Errorf("sink did not store all %d produced events within %s: %w", st.Produce.Produced, drain, waitErr)
	}

	st.Crawl, err = Crawl(rest, cfg.S3, cfg.Catalog, CrawlOptions{Bucket: sinkOpts.Bucket, Prefix: sinkOpts.Prefix,
		StateFile: cfg.CrawlState})
	st.Elapsed = time.Since(start)
	if err != nil {
		return st, err
	}
	if flushErr != nil {
		return st, flushErr
	}
	return st, nil
}
