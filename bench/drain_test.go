package bench

import (
	"context"
	"testing"
	"time"
)

// BenchmarkDrain is pipeline bench's drain phase alone, quicker to repeat:
// DefaultOptions.DrainEvents ticks pre-loaded (not timed), then the naive
// consumer and the sink draining them in turns, one round of each an op
// (-benchtime 5x: five rounds), each round with its own group and prefix.
// It reports the medians of the rounds: each way's events/s, sink/naive
// (the drain target's ratio), and each way's CPU time a record, of the
// whole process (the stack is in it too), steadier than the rates on a
// shared machine.
func BenchmarkDrain(b *testing.B) {
	ctx := context.Background()
	opts, err := DefaultOptions.validated()
	if err != nil {
		b.Fatal(err)
	}
	bn := &bench{opts: opts, dir: b.TempDir()}
	if err := bn.start(ctx); err != nil {
		b.Fatal(err)
	}
	defer bn.stack.Close()
	n := opts.DrainEvents
	ends, err := bn.preloadDrain(ctx, n)
	if err != nil {
		b.Fatal(err)
	}
	var naive, sink, ratio, naiveCPU, sinkCPU []float64
	b.ResetTimer()
	for round := range b.N {
		start, cpu := time.Now(), cpuTime()
		if err := bn.naiveDrain(ctx, n, round); err != nil {
			b.Fatal(err)
		}
		nd, nc := time.Since(start), cpuTime()-cpu
		cpu = cpuTime()
		sd, err := bn.sinkDrain(ctx, n, ends, round)
		if err != nil {
			b.Fatal(err)
		}
		sc := cpuTime() - cpu
		naive, sink = append(naive, eps(n, nd)), append(sink, eps(n, sd))
		ratio = append(ratio, nd.Seconds()/sd.Seconds())
		naiveCPU = append(naiveCPU, float64(nc.Microseconds())/float64(n))
		sinkCPU = append(sinkCPU, float64(sc.Microseconds())/float64(n))
	}
	b.ReportMetric(median(naive), "naive-events/s")
	b.ReportMetric(median(sink), "sink-events/s")
	b.ReportMetric(median(ratio), "sink/naive")
	b.ReportMetric(median(naiveCPU), "naive-cpu-us/event")
	b.ReportMetric(median(sinkCPU), "sink-cpu-us/event")
}
