package bench

import (
	"context"
	"os"
	"runtime/pprof"
	"syscall"
	"testing"
	"time"
)

func TestZZProf(t *testing.T) {
	if os.Getenv("ZZPROF") == "" {
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
	prof := func(name string, fn func(context.Context) error) {
		f, _ := os.Create("/tmp/prof_" + name + ".pb")
		defer f.Close()
		syscall.Sync()
		var r0, r1 syscall.Rusage
		syscall.Getrusage(0, &r0)
		c0 := cpuTime()
		t0 := time.Now()
		pprof.StartCPUProfile(f)
		if err := fn(ctx); err != nil {
			t.Fatal(err)
		}
		pprof.StopCPUProfile()
		if m, _ := os.Create("/tmp/mem_" + name + ".pb"); m != nil {
			pprof.Lookup("allocs").WriteTo(m, 0)
			m.Close()
		}
		el := time.Since(t0)
		cpu := cpuTime() - c0
		syscall.Getrusage(0, &r1)
		t.Logf("%s: user %v sys %v minflt %d", name, time.Duration(r1.Utime.Nano()-r0.Utime.Nano()), time.Duration(r1.Stime.Nano()-r0.Stime.Nano()), r1.Minflt-r0.Minflt)
		t.Logf("%s: %v wall, %v cpu, %.2f cpu-us/tick", name, el, cpu, float64(cpu.Microseconds())/float64(o.Events))
	}
	prof("ceiling", b.ceiling)
	t.Logf("ceiling %.0f", b.rep.CeilingEPS)
	for _, f := range []string{"json", "parquet"} {
		if os.Getenv("ZZFMT") != "" && os.Getenv("ZZFMT") != f {
			continue
		}
		b.rep.Formats[f] = &FormatReport{Table: e2eTopic(f), Queries: map[string]*QueryReport{}}
		prof(f, func(ctx context.Context) error { return b.endToEnd(ctx, f) })
		t.Logf("%s %.0f ratio %.2f", f, b.rep.Formats[f].E2EEPS, b.rep.Formats[f].E2EEPS/b.rep.CeilingEPS)
	}
}
