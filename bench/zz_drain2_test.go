package bench

import (
	"context"

	"github.com/twmb/franz-go/pkg/kgo"

	"pipeline/pipeline"
)

func pipelineNewProducer(cl *kgo.Client) *pipeline.Producer { return pipeline.NewProducer(cl, drainTopic) }

func pipelineSimulate(ctx context.Context, n int64, prod *pipeline.Producer) (pipeline.SimStats, error) {
	return pipeline.Simulate(ctx, pipeline.NewSynthetic(3), pipeline.SimOptions{Events: n},
		func(ev *pipeline.Event) error { return prod.Emit(ctx, ev) })
}
