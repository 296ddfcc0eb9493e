package bench_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"pipeline/bench"
	"pipeline/emulate"
)

// TestBenchSmall runs every phase on a little data and checks what a user
// of the report checks: every event stored, every rate measured, both query
// engines giving the same rows, and a report that parses.
func TestBenchSmall(t *testing.T) {
	const n = 20_000
	opts := bench.DefaultOptions
	opts.Events = n
	opts.FreshnessDuration = time.Second
	rep, err := bench.Run(context.Background(), emulate.DataDir(t.TempDir()), &opts)
	if err != nil {
		t.Fatal(err)
	}

	if rep.CeilingEPS <= 0 || rep.ConsumeEPS <= 0 || rep.NaiveEPS <= 0 || rep.SinkDrainEPS <= 0 {
		t.Errorf("ceiling %v, consume %v, naive %v, sink drain %v events/s: want each > 0", rep.CeilingEPS, rep.ConsumeEPS, rep.NaiveEPS, rep.SinkDrainEPS)
	}
	if r := slices.Sorted(slices.Values(rep.ConsumeRoundsEPS)); len(r) != 3 || r[1] != rep.ConsumeEPS {
		t.Errorf("consume %v events/s, rounds %v: want the median of 3 rounds", rep.ConsumeEPS, rep.ConsumeRoundsEPS)
	}
	if r := slices.Sorted(slices.Values(rep.CeilingRoundsEPS)); len(r) != 3 || r[1] != rep.CeilingEPS {
		t.Errorf("ceiling %v events/s, rounds %v: want the median of 3 rounds", rep.CeilingEPS, rep.CeilingRoundsEPS)
	}
	if len(rep.NaiveRoundsEPS) != 3 || len(rep.SinkDrainRoundsEPS) != 3 ||
		slices.Sorted(slices.Values(rep.NaiveRoundsEPS))[1] != rep.NaiveEPS || slices.Sorted(slices.Values(rep.SinkDrainRoundsEPS))[1] != rep.SinkDrainEPS {
		t.Errorf("drain: naive %v of rounds %v, sink %v of rounds %v: want the medians of 3 rounds", rep.NaiveEPS, rep.NaiveRoundsEPS, rep.SinkDrainEPS, rep.SinkDrainRoundsEPS)
	}
	if rep.Config.DrainEvents != n {
		t.Errorf("drained %d pre-loaded ticks, want min(1,000,000, %d)", rep.Config.DrainEvents, n)
	}
	if rep.RSSMB <= 0 || rep.CPUS <= 0 || rep.Machine.NumCPU <= 0 {
		t.Errorf("rss %v MB, cpu %v s, %d CPUs: want each > 0", rep.RSSMB, rep.CPUS, rep.Machine.NumCPU)
	}
	for _, f := range opts.Formats {
		t.Run(f, func(t *testing.T) {
			fr := rep.Formats[f]
			if fr == nil {
				t.Fatalf("no report for %s", f)
			}
			if fr.Stored != n {
				t.Errorf("stored %d events, want %d", fr.Stored, n)
			}
			if fr.E2EEPS <= 0 || fr.FreshnessEvents <= 0 || fr.FreshnessMS.P50 <= 0 || fr.FreshnessMS.P99 < fr.FreshnessMS.P50 {
				t.Errorf("e2e %v events/s, freshness over %d events %+v: want rates > 0 and p50 <= p99",
					fr.E2EEPS, fr.FreshnessEvents, fr.FreshnessMS)
			}
			for _, name := range []string{"count", "group_by_symbol", "symbol_day", "latest_per_symbol"} {
				q := fr.Queries[name]
				switch {
				case q == nil:
					t.Errorf("query %s not run", name)
				case q.Rows == 0 || q.Rows != q.DuckDBRows:
					t.Errorf("query %s: %d rows through the pipeline's engine, %d through DuckDB: want the same, not 0", name, q.Rows, q.DuckDBRows)
				case q.QueryMS <= 0 || q.DuckDBMS <= 0:
					t.Errorf("query %s: %v ms and %v ms: want both > 0", name, q.QueryMS, q.DuckDBMS)
				}
			}
			if fr.Queries["group_by_symbol"] != nil && fr.Queries["group_by_symbol"].Rows != 20 {
				t.Errorf("GROUP BY symbol gave %d rows, want the 20 synthetic symbols", fr.Queries["group_by_symbol"].Rows)
			}
		})
	}

	b, err := rep.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var parsed map[string]any
	if err := json.Unmarshal(b, &parsed); err != nil {
		t.Fatalf("the report does not parse: %v", err)
	}
	for _, k := range []string{"machine", "ceiling_eps", "consume_eps", "formats", "naive_eps", "sink_drain_eps", "baseline_note", "rss_mb", "cpu_s", "targets"} {
		if _, ok := parsed[k]; !ok {
			t.Errorf("the report has no %q", k)
		}
	}
	if len(rep.Targets) == 0 {
		t.Error("no targets checked")
	}
	var sum strings.Builder
	if err := rep.WriteSummary(&sum); err != nil || !strings.Contains(sum.String(), "targets met") {
		t.Errorf("summary: %v\n%s", err, sum.String())
	}
}

func TestBenchRejectsBadOptions(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*bench.Options)
		says string
	}{
		{"no events", func(o *bench.Options) { o.Events = 0 }, "--events 0"},
		{"no rate", func(o *bench.Options) { o.Rate = 0 }, "--rate 0"},
		{"no formats", func(o *bench.Options) { o.Formats = nil }, "no --formats"},
		{"unknown format", func(o *bench.Options) { o.Formats = []string{"csv"} }, `format "csv"`},
		{"format twice", func(o *bench.Options) { o.Formats = []string{"json", "json"} }, "twice"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := bench.DefaultOptions
			opts.Formats = append([]string(nil), opts.Formats...)
			tc.edit(&opts)
			_, err := bench.Run(context.Background(), emulate.DataDir(t.TempDir()), &opts)
			if err == nil || !strings.Contains(err.Error(), tc.says) {
				t.Fatalf("err = %v, want one saying %q", err, tc.says)
			}
		})
	}
}
