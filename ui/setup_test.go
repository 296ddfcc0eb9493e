package ui_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	pipeaws "pipeline/aws"
	"pipeline/catalog"
	"pipeline/emulate"
	"pipeline/observe"
	"pipeline/pipeline"
	"pipeline/sqlq/duckdb"
	"pipeline/ui"
)

const bucket = "test-bucket"

// dashboard is a dashboard over a local stack whose topic has a table in
// the catalog, while ticks keep streaming into the topic.
type dashboard struct {
	url     string
	kafka   []kgo.Opt
	stack   *emulate.Stack
	dataDir string
	// statusS3 is the S3 client the status (catalog panel) reads with.
	statusS3 *atomic.Pointer[s3.Client]
}

// breakS3 makes the status read S3 at an address where nothing listens.
func (d *dashboard) breakS3(t *testing.T) {
	t.Helper()
	cfg, err := pipeaws.Load(context.Background(), pipeaws.Options{Endpoint: "http://127.0.0.1:1", Region: "us-east-1", StaticKey: "k", StaticSecret: "s"})
	if err != nil {
		t.Fatal(err)
	}
	d.statusS3.Store(pipeaws.NewS3(cfg))
}

// startDashboard stores stored ticks (a sink, then a crawl, so that SQL
// has a table), then streams ticks at rate a second until the test ends.
func startDashboard(t *testing.T, stored int64, rate float64) *dashboard {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	dataDir := t.TempDir()
	stack, err := emulate.Start(emulate.DataDir(dataDir), &emulate.StackOptions{Topics: []string{pipeline.Topic}, Partitions: 3})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stack.Close() })
	cfg, err := pipeaws.Load(ctx, pipeaws.Options{Endpoint: stack.S3.URL(), Region: "us-east-1", StaticKey: "test", StaticSecret: "test",
		Transport: stack.S3.Transport()})
	if err != nil {
		t.Fatal(err)
	}
	s3c := pipeaws.NewS3(cfg)
	if err := pipeline.EnsureBucket(ctx, s3c, bucket); err != nil {
		t.Fatal(err)
	}
	kafka := []kgo.Opt{kgo.SeedBrokers(stack.Kafka.ListenAddrs()...)}
	cat := catalog.New(stack.Catalog)
	if _, err := pipeline.Run(ctx, pipeline.RunConfig{Kafka: kafka, S3: s3c, Catalog: cat, Source: pipeline.NewSynthetic(1),
		Sim: pipeline.SimOptions{Events: stored}, Sink: pipeline.SinkOptions{Bucket: bucket}}); err != nil {
		t.Fatal(err)
	}

	// Ticks keep coming while the test looks.
	pcl, err := kgo.NewClient(append(append([]kgo.Opt{}, kafka...), pipeline.ProducerClientOpts()...)...)
	if err != nil {
		t.Fatal(err)
	}
	prod := pipeline.NewProducer(pcl, pipeline.Topic)
	streamed := make(chan struct{})
	go func() {
		defer close(streamed)
		pipeline.Simulate(ctx, pipeline.NewSynthetic(2), pipeline.SimOptions{Rate: rate, Duration: time.Hour},
			func(ev *pipeline.Event) error { return prod.Emit(ctx, ev) })
	}()
	t.Cleanup(func() { cancel(); <-streamed; pcl.Close() })

	eng, err := duckdb.Open(ctx, cat, &duckdb.Options{LocalDir: stack.Store.PrefixDir, MaxValueChars: ui.MaxValueChars})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	feed, err := ui.StartTickFeed(ctx, kafka, pipeline.Topic, nil)
	if err != nil {
		t.Fatal(err)
	}
	acl, err := kgo.NewClient(kafka...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(acl.Close)
	adm := kadm.NewClient(acl)
	offsets := observe.WatchOffsets(ctx, adm, pipeline.Topic, pipeline.DefaultSinkOptions.Group, 500*time.Millisecond)
	statusS3 := &atomic.Pointer[s3.Client]{}
	statusS3.Store(s3c)
	srv := httptest.NewServer(ui.Handler(ui.Options{
		Topic: pipeline.Topic, Feed: feed, Engine: eng,
		Stats: func() ui.Stats {
			o, err, ok := offsets.Latest()
			if !ok || err != nil {
				return ui.Stats{OffsetsError: fmt.Sprint(err)}
			}
			return ui.Stats{Offsets: &o}
		},
		Status: func(ctx context.Context) (*observe.Status, error) {
			return observe.ReadStatus(ctx, observe.StatusSources{Kafka: adm, S3: statusS3.Load(), Catalog: cat, Bucket: bucket,
				Topic: pipeline.Topic, Group: pipeline.DefaultSinkOptions.Group})
		},
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(cancel) // first: the feed's end ends the pages' event streams, which srv.Close waits for
	return &dashboard{url: srv.URL, kafka: kafka, stack: stack, dataDir: dataDir, statusS3: statusS3}
}
