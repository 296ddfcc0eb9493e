package pipeline_test

import (
	"context"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"

	"pipeline/catalog"
	"pipeline/pipeline"
)

// BenchmarkSinkDrain measures the sink draining pre-loaded ticks from the
// embedded Kafka into objects of each format in the embedded S3: records/s is
// b.N over the elapsed time.
func BenchmarkSinkDrain(b *testing.B) {
	for _, format := range []string{catalog.FormatJSON, catalog.FormatParquet} {
		b.Run(format, func(b *testing.B) { benchmarkSinkDrain(b, format) })
	}
}

func benchmarkSinkDrain(b *testing.B, format string) {
	ctx := context.Background()
	_, kafka, s3c, _ := localStack(b)
	cl, err := kgo.NewClient(append(kafka, pipeline.ProducerClientOpts()...)...)
	if err != nil {
		b.Fatal(err)
	}
	prod := pipeline.NewProducer(cl, pipeline.Topic)
	if _, err := pipeline.Simulate(ctx, pipeline.NewSynthetic(1), pipeline.SimOptions{Events: int64(b.N)},
		func(ev *pipeline.Event) error { return prod.Emit(ctx, ev) }); err != nil {
		b.Fatal(err)
	}
	if err := prod.Flush(ctx); err != nil {
		b.Fatal(err)
	}
	cl.Close()
	ends := prod.Stats().EndOffsets
	b.ResetTimer()
	sink, err := pipeline.NewSink(kafka, s3c, &pipeline.SinkOptions{Bucket: "test-bucket", Format: format})
	if err != nil {
		b.Fatal(err)
	}
	sctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- sink.Run(sctx) }()
	sink.FlushAt(ends) // store the tail at once, not when it is due by age
	if err := sink.WaitCommitted(ctx, ends); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	cancel()
	if err := <-done; err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(float64(sink.Stats().Claims), "claims")
}
