package bench

import (
	"context"
	"os"
	"runtime/pprof"
	"runtime/trace"
	"slices"
	"testing"
	"time"
)

func TestZZDrain(t *testing.T) {
	if os.Getenv("ZZDRAIN") == "" {
		t.Skip()
	}
	ctx := context.Background()
	oo := DefaultOptions
	o, err := oo.validated()
	if err != nil {
		t.Fatal(err)
	}
	b := &bench{opts: o, dir: t.TempDir()}
	if err := b.start(ctx); err != nil {
		t.Fatal(err)
	}
	defer b.stack.Close()
	b.rep = &Report{Formats: map[string]*FormatReport{}}
	n := int64(1_000_000)
	// pre-load via drain's code path: copy of drain pre-load
	b.opts.DrainEvents = n
	ends := b.preloadForTest(ctx, t, n)
	f, _ := os.Create("/tmp/prof_drain.pb")
	pprof.StartCPUProfile(f)
	var ratios []float64
	for round := range 7 {
		t0 := time.Now()
		if err := b.naiveDrain(ctx, n, round); err != nil {
			t.Fatal(err)
		}
		nv := time.Since(t0)
		d, err := b.sinkDrain(ctx, n, ends, round)
		if err != nil {
			t.Fatal(err)
		}
		ratios = append(ratios, float64(nv)/float64(d))
		t.Logf("round %d: naive %v sink %v ratio %.2f", round, nv, d, float64(nv)/float64(d))
	}
	slices.Sort(ratios)
	t.Logf("median ratio %.2f", ratios[len(ratios)/2])
	_ = trace.Start
	pprof.StopCPUProfile()
	f.Close()
}

func (b *bench) preloadForTest(ctx context.Context, t *testing.T, n int64) map[int32]int64 {
	cl, err := b.producerClient()
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	prod := pipelineNewProducer(cl)
	if _, err := pipelineSimulate(ctx, n, prod); err != nil {
		t.Fatal(err)
	}
	if err := prod.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	return prod.Stats().EndOffsets
}
