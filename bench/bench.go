// Package bench measures the whole local pipeline on generated data, in one
// process: the embedded Kafka and S3, the sink, the crawler and the query
// engine, with the same code and settings as `pipeline run` and
// `pipeline query`. Run returns one Report; every number in it is measured in
// that run, so that ratios between them hold even on a machine whose absolute
// speed drifts.
//
// # Phases
//
//   - ceiling: pre-encoded ticks produced as fast as the embedded Kafka takes
//     them, with the pipeline's producer settings: the log's ceiling (the
//     median of three rounds).
//   - end to end, per format: --events ticks through pipeline.Run (simulate,
//     produce, sink, crawl) as fast as possible.
//   - queries, per format: typical queries through the pipeline's DuckDB
//     engine over the catalog, and the same SQL run by DuckDB directly over
//     the same files.
//   - freshness, per format: ticks at a steady rate into the same table, each
//     timed from its production to the sink's commit of it (the sink commits
//     only after storing, and the table and its partition exist, so a
//     committed tick is queryable).
//   - drain: a pre-loaded topic drained by a naive consumer (10,000 records a
//     PUT, no partitioning) and by the pipeline's sink, taking turns for
//     three rounds each.
//
// Each phase also records its CPU time and peak RSS.
//
// It is not a test: a missed target is in the report, not an error, and
// it is not part of `make test`. Its main types are Options and Report
// (with a Phase for each step and a Target for each performance target).
package bench

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/twmb/franz-go/pkg/kgo"

	pipeaws "pipeline/aws"
	"pipeline/catalog"
	"pipeline/emulate"
	"pipeline/internal/flock"
	"pipeline/pipeline"
)

// Options configure Run. A nil *Options means DefaultOptions; otherwise
// every field must be set (Progress and Logger may be nil).
type Options struct {
	// Events is how many ticks the ceiling and end-to-end phases produce.
	Events int64
	// Formats are the sink formats to measure: catalog.FormatJSON and/or
	// catalog.FormatParquet.
	Formats []string
	// Rate (events/s) and FreshnessDuration pace the freshness phase.
	Rate              float64
	FreshnessDuration time.Duration
	// DrainEvents bounds the pre-loaded ticks of the drain phase; it drains
	// min(DrainEvents, Events).
	DrainEvents int64
	// Progress, if set, gets a line as each phase ends.
	Progress io.Writer
	// Logger gets the stages' warnings (S3 retries and the like).
	Logger *slog.Logger
}

// DefaultOptions are the one documented default of each option.
var DefaultOptions = Options{
	Events:            2_000_000,
	Formats:           []string{catalog.FormatJSON, catalog.FormatParquet},
	Rate:              50_000,
	FreshnessDuration: 10 * time.Second,
	DrainEvents:       1_000_000,
}

func (o *Options) validated() (Options, error) {
	if o == nil {
		return DefaultOptions, nil
	}
	out := *o
	switch {
	case out.Events <= 0:
		return out, fmt.Errorf("bench: --events %d: want at least 1", out.Events)
	case !(out.Rate > 0) || out.Rate > 1e9:
		return out, fmt.Errorf("bench: --rate %g: want a steady rate of events per second, more than 0", out.Rate)
	case out.FreshnessDuration <= 0:
		return out, fmt.Errorf("bench: --freshness-duration %s: want more than 0", out.FreshnessDuration)
	case out.DrainEvents <= 0:
		return out, fmt.Errorf("bench: drain events %d: want at least 1", out.DrainEvents)
	case len(out.Formats) == 0:
		return out, fmt.Errorf("bench: no --formats: want %s and/or %s", catalog.FormatJSON, catalog.FormatParquet)
	}
	for i, f := range out.Formats {
		if f != catalog.FormatJSON && f != catalog.FormatParquet {
			return out, fmt.Errorf("bench: format %q: want %s or %s", f, catalog.FormatJSON, catalog.FormatParquet)
		}
		if slices.Contains(out.Formats[:i], f) {
			return out, fmt.Errorf("bench: format %s given twice", f)
		}
	}
	if out.Logger == nil {
		out.Logger = slog.New(slog.DiscardHandler)
	}
	return out, nil
}

// Report is what a bench run measured. Rates are events per second, times
// in milliseconds (_ms) or seconds (_s), memory in MiB.
type Report struct {
	Machine Machine `json:"machine"`
	Config  Config  `json:"config"`
	// CeilingEPS is the rate of producing pre-encoded ticks into the
	// embedded Kafka with the pipeline's producer settings: the median of
	// CeilingRoundsEPS, each Config.Events ticks.
	CeilingEPS       float64   `json:"ceiling_eps"`
	CeilingRoundsEPS []float64 `json:"ceiling_rounds_eps"`
	// ConsumeEPS is the rate of reading the ceiling's ticks back with a
	// bare franz-go consumer that does nothing with them: what fetching
	// alone leaves a sink (the median of ConsumeRoundsEPS). Producing and
	// consuming share the cores, so an end-to-end run stays under about
	// 1/(1/CeilingEPS + 1/ConsumeEPS) before it does any work of its own.
	ConsumeEPS       float64                  `json:"consume_eps"`
	ConsumeRoundsEPS []float64                `json:"consume_rounds_eps"`
	Formats          map[string]*FormatReport `json:"formats"`
	// NaiveEPS and SinkDrainEPS drain the same Config.DrainEvents
	// pre-loaded ticks into JSON-lines objects: the medians of their
	// rounds, which took turns.
	NaiveEPS           float64   `json:"naive_eps"`
	SinkDrainEPS       float64   `json:"sink_drain_eps"`
	NaiveRoundsEPS     []float64 `json:"naive_rounds_eps"`
	SinkDrainRoundsEPS []float64 `json:"sink_drain_rounds_eps"`
	BaselineNote       string    `json:"baseline_note"`
	// RSSMB is the peak resident set size of the run, CPUS its user+system
	// CPU time. PipelineRSSMB is the peak of the phases that run the
	// pipeline's stages (Phase.Pipeline), without the query phase's two
	// DuckDB databases or the baselines.
	RSSMB         float64  `json:"rss_mb"`
	PipelineRSSMB float64  `json:"pipeline_rss_mb"`
	CPUS          float64  `json:"cpu_s"`
	ElapsedS      float64  `json:"elapsed_s"`
	Phases        []Phase  `json:"phases"`
	Targets       []Target `json:"targets"`
	// Dir holds the run's data: `pipeline query --data-dir <dir>` reads it.
	Dir string `json:"data_dir"`
}

// Config is what the run was asked to do.
type Config struct {
	Events            int64    `json:"events"`
	Formats           []string `json:"formats"`
	Rate              float64  `json:"rate"`
	FreshnessDuration float64  `json:"freshness_duration_s"`
	DrainEvents       int64    `json:"drain_events"`
	DrainRounds       int      `json:"drain_rounds"`
	QueryRuns         int      `json:"query_runs"`
}

// FormatReport is what one sink format measured.
type FormatReport struct {
	Table string `json:"table"` // in the catalog's catalog.Database
	// Stored is the number of records the sink stored, which must equal
	// Config.Events.
	Stored  int64 `json:"stored"`
	Objects int64 `json:"objects"`
	Bytes   int64 `json:"bytes"`
	// E2EEPS is Config.Events over E2ES: from the start of the run to the
	// last event stored and the table cataloged. ProduceS and CrawlS are
	// parts of it.
	E2EEPS   float64 `json:"e2e_eps"`
	E2ES     float64 `json:"e2e_s"`
	ProduceS float64 `json:"produce_s"`
	CrawlS   float64 `json:"crawl_s"`
	// FreshnessMS is, over FreshnessEvents ticks at Config.Rate, the time
	// from a tick's production to the sink's commit of it.
	FreshnessEvents int64       `json:"freshness_events"`
	FreshnessMS     Percentiles `json:"freshness_ms"`
	// Queries are keyed by name: count, group_by_symbol, symbol_day,
	// latest_per_symbol.
	Queries map[string]*QueryReport `json:"queries"`
}

// QueryReport times one query, warm: the median of at least Config.QueryRuns
// runs (more for a fast query, until both ways have run for a second)
// after a first one.
type QueryReport struct {
	SQL string `json:"sql"`
	// QueryMS is through the pipeline's query engine (`pipeline query`),
	// DuckDBMS the same SQL by DuckDB directly over the same files, Ratio
	// the first over the second.
	QueryMS    float64 `json:"query_ms"`
	DuckDBMS   float64 `json:"duckdb_ms"`
	Ratio      float64 `json:"ratio"`
	Rows       int     `json:"rows"`
	DuckDBRows int     `json:"duckdb_rows"`
}

// Phase is one step of the run and what it cost. Its peak RSS is measured
// from the RSS at its start (Linux), so memory an earlier phase left to the
// Go runtime still counts.
type Phase struct {
	Name    string  `json:"name"`
	Seconds float64 `json:"s"`
	CPUS    float64 `json:"cpu_s"`
	// StolenS is CPU time the hypervisor gave other guests during the
	// phase, over all CPUs (Linux, in a VM; 0 elsewhere).
	StolenS  float64 `json:"stolen_s"`
	RSSMB    float64 `json:"rss_mb"`   // peak during the phase
	Pipeline bool    `json:"pipeline"` // runs the pipeline's stages only
}

// Target is one of the performance targets (README, Performance): the
// measured value against its limit.
type Target struct {
	Name  string  `json:"name"`
	Value float64 `json:"value"`
	Limit float64 `json:"limit"`
	Pass  bool    `json:"pass"`
}

// ErrInUse is returned when another bench run holds the directory.
var ErrInUse = errors.New("in use by another pipeline bench")

const (
	bucket = "bench"
	// Each query runs at least queryRuns times warm, and more (up to
	// queryMaxRuns) until the two ways have run for queryMinTime.
	queryRuns    = 5
	queryMinTime = time.Second
	queryMaxRuns = 200
	// drainTimeout bounds every wait for a sink to store what was produced.
	drainTimeout = 10 * time.Minute
	drainTopic   = "drain"
	ceilingTopic = "ceiling"
	baselineNote = "Redpanda Connect (benthos v4), the other baseline of the drain target, is not run: its licence is not usable here"
)

// e2eTopic is the topic, and the catalog table, of a format.
func e2eTopic(format string) string { return "ticks_" + format }

// bench is one run: the stack and its clients.
type bench struct {
	opts  Options
	dir   string
	stack *emulate.Stack
	kafka []kgo.Opt
	s3    *s3.Client // in-process, as `pipeline run` reaches the stack it embeds
	// endpointS3 reaches the stack's S3 at its URL, as a program of its
	// own does: the drain's two consumers, each timed as such a program
	// (`pipeline sink --s3-endpoint URL` and a user's consumer).
	endpointS3 *s3.Client
	catalog    *catalog.Catalog
	rep        *Report
	note       string // the current phase's result, for Options.Progress
}

// Run measures the pipeline and returns the report. Its scratch directory is
// d.Bench(), held by d.BenchLock(): whatever it holds is removed first, and
// the run's embedded Kafka, S3 and catalog are kept there afterwards, for
// `pipeline query`.
//
// A target missed is not an error: it is in the report. Run returns an error
// when the pipeline itself fails (a stage fails, or stores other than every
// event), or when ctx ends.
func Run(ctx context.Context, d emulate.DataDir, opts *Options) (*Report, error) {
	dir := string(d.Bench())
	start, cpu0 := time.Now(), cpuTime()
	o, err := opts.validated()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(string(d), 0o755); err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	unlock, err := flock.TryLock(d.BenchLock())
	if errors.Is(err, flock.ErrLocked) {
		return nil, fmt.Errorf("bench: %s is %w: wait for it to end or pass another --data-dir", dir, ErrInUse)
	}
	if err != nil {
		return nil, fmt.Errorf("bench: lock %s: %w", dir, err)
	}
	defer unlock()
	if err := os.RemoveAll(dir); err != nil {
		return nil, fmt.Errorf("bench: clear %s: %w", dir, err)
	}
	b := &bench{opts: o, dir: dir}
	if err := b.start(ctx); err != nil {
		return nil, err
	}
	defer b.stack.Close()

	r := &Report{Machine: thisMachine(), Formats: map[string]*FormatReport{}, BaselineNote: baselineNote, Dir: dir,
		Config: Config{Events: o.Events, Formats: o.Formats, Rate: o.Rate, FreshnessDuration: o.FreshnessDuration.Seconds(),
			DrainEvents: min(o.DrainEvents, o.Events), DrainRounds: drainRounds, QueryRuns: queryRuns}}
	b.rep = r
	if err := b.phase(ctx, "ceiling", false, b.ceiling); err != nil {
		return nil, err
	}
	if err := b.phase(ctx, "consume", false, b.consume); err != nil {
		return nil, err
	}
	for _, f := range o.Formats {
		r.Formats[f] = &FormatReport{Table: e2eTopic(f), Queries: map[string]*QueryReport{}}
		if err := b.phase(ctx, "end to end "+f, true, func(ctx context.Context) error { return b.endToEnd(ctx, f) }); err != nil {
			return nil, err
		}
	}
	if err := b.phase(ctx, "queries", false, b.queries); err != nil {
		return nil, err
	}
	for _, f := range o.Formats {
		if err := b.phase(ctx, "freshness "+f, true, func(ctx context.Context) error { return b.freshness(ctx, f) }); err != nil {
			return nil, err
		}
	}
	if err := b.drain(ctx); err != nil {
		return nil, err
	}
	for _, p := range r.Phases {
		r.RSSMB = max(r.RSSMB, p.RSSMB)
		if p.Pipeline {
			r.PipelineRSSMB = max(r.PipelineRSSMB, p.RSSMB)
		}
	}
	r.CPUS = round((cpuTime() - cpu0).Seconds(), 2)
	r.ElapsedS = round(time.Since(start).Seconds(), 2)
	r.Targets = targets(r)
	return r, nil
}

// start starts the embedded stack in the scratch dir and builds its clients.
func (b *bench) start(ctx context.Context) error {
	topics := []string{ceilingTopic, drainTopic}
	for _, f := range b.opts.Formats {
		topics = append(topics, e2eTopic(f))
	}
	stack, err := emulate.Start(emulate.DataDir(b.dir), &emulate.StackOptions{Topics: topics})
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	ep := stack.Endpoints()
	endpointCfg, err1 := pipeaws.Load(ctx, pipeaws.Emulator(ep.S3, nil))
	cfg, err2 := pipeaws.Load(ctx, pipeaws.Emulator(ep.S3, stack.S3.Transport()))
	if err := cmp.Or(err1, err2); err != nil {
		stack.Close()
		return fmt.Errorf("bench: %w", err)
	}
	b.endpointS3, b.s3 = pipeaws.NewS3(endpointCfg), pipeaws.NewS3(cfg)
	if err := pipeline.EnsureBucket(ctx, b.s3, bucket); err != nil {
		stack.Close()
		return fmt.Errorf("bench: %w", err)
	}
	b.stack = stack
	b.kafka = []kgo.Opt{kgo.SeedBrokers(ep.KafkaBrokers...)}
	b.catalog = catalog.New(stack.Catalog)
	return nil
}

// phase runs fn as the named phase, recording its time, CPU and peak RSS;
// stagesOnly says whether it runs the pipeline's stages only.
func (b *bench) phase(ctx context.Context, name string, stagesOnly bool, fn func(context.Context) error) error {
	// Start with no dirty pages of an earlier phase: otherwise the kernel
	// writes them back during this one, and a phase pays for the last.
	syscall.Sync()
	resetPeakRSS()
	t0, cpu0, steal0 := time.Now(), cpuTime(), stolenTime()
	err := fn(ctx)
	if ctx.Err() != nil {
		err = fmt.Errorf("bench: interrupted during %s", name)
	}
	if err != nil {
		return err
	}
	p := Phase{Name: name, Seconds: round(time.Since(t0).Seconds(), 2), CPUS: round((cpuTime() - cpu0).Seconds(), 2),
		StolenS: round((stolenTime() - steal0).Seconds(), 2), RSSMB: mb(peakRSS()), Pipeline: stagesOnly}
	b.rep.Phases = append(b.rep.Phases, p)
	if b.opts.Progress != nil {
		stolen := ""
		if p.StolenS >= 0.05 {
			stolen = fmt.Sprintf(" (%.1fs stolen by the hypervisor)", p.StolenS)
		}
		fmt.Fprintf(b.opts.Progress, "bench: %-22s %6.1fs, cpu %6.1fs%s, peak rss %4.0f MB: %s\n", name, p.Seconds, p.CPUS, stolen, p.RSSMB, b.note)
	}
	b.note = ""
	return nil
}

// progress sets the phase's one-line result for Options.Progress.
func (b *bench) progress(format string, args ...any) {
	b.note = fmt.Sprintf(format, args...)
}

// targets checks the report against the performance targets.
func targets(r *Report) []Target {
	var ts []Target
	add := func(name string, value, limit float64, atMost bool) {
		pass := value >= limit
		if atMost {
			pass = value <= limit
		}
		ts = append(ts, Target{Name: name, Value: round(value, 3), Limit: limit, Pass: pass})
	}
	for _, f := range r.Config.Formats {
		fr := r.Formats[f]
		if r.CeilingEPS > 0 {
			add(f+": e2e_eps / ceiling_eps >= 0.5", fr.E2EEPS/r.CeilingEPS, 0.5, false)
		}
		name := fmt.Sprintf("%s: freshness_ms p99 <= 2000 (at %g events/s", f, r.Config.Rate)
		if r.Config.Rate != 50_000 {
			name += "; the target is at 50000"
		}
		add(name+")", fr.FreshnessMS.P99, 2000, true)
		for _, name := range slices.Sorted(maps.Keys(fr.Queries)) {
			add(fmt.Sprintf("%s: %s query_ms / duckdb_ms <= 1.3", f, name), fr.Queries[name].Ratio, 1.3, true)
		}
	}
	add(fmt.Sprintf("pipeline_rss_mb <= 512 (for %d events; the target is for 10000000)", r.Config.Events), r.PipelineRSSMB, 512, true)
	if r.NaiveEPS > 0 {
		add("sink_drain_eps / naive_eps >= 1 (match the naive consumer)", r.SinkDrainEPS/r.NaiveEPS, 1, false)
	}
	return ts
}

// JSON returns the report as indented JSON, ending in a newline.
func (r *Report) JSON() ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // target names say >= and <=
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return nil, fmt.Errorf("bench: report: %w", err)
	}
	return b.Bytes(), nil
}

// WriteSummary writes a short human summary of the report.
func (r *Report) WriteSummary(w io.Writer) error {
	var b strings.Builder
	m := r.Machine
	fmt.Fprintf(&b, "machine: %s/%s, %d CPUs, %s, %s\n", m.GOOS, m.GOARCH, m.NumCPU, cmp.Or(m.CPUModel, "CPU model unknown"), m.GoVersion)
	fmt.Fprintf(&b, "ceiling (produce pre-encoded ticks): %s events/s (median of %d rounds)\n", thousands(r.CeilingEPS), len(r.CeilingRoundsEPS))
	if r.ConsumeEPS > 0 && r.CeilingEPS > 0 {
		both := 1 / (1/r.CeilingEPS + 1/r.ConsumeEPS)
		fmt.Fprintf(&b, "consume (read them back, do nothing): %s events/s; producing and consuming alone on shared cores: about %s events/s (%.2f x ceiling)\n",
			thousands(r.ConsumeEPS), thousands(both), both/r.CeilingEPS)
	}
	for _, f := range r.Config.Formats {
		fr := r.Formats[f]
		ratio := 0.0
		if r.CeilingEPS > 0 {
			ratio = fr.E2EEPS / r.CeilingEPS
		}
		fmt.Fprintf(&b, "%s: end to end %s events/s (%.2f x ceiling); freshness p50 %.0f ms, p99 %.0f ms, max %.0f ms\n",
			f, thousands(fr.E2EEPS), ratio, fr.FreshnessMS.P50, fr.FreshnessMS.P99, fr.FreshnessMS.Max)
		var qs []string
		for _, name := range slices.Sorted(maps.Keys(fr.Queries)) {
			q := fr.Queries[name]
			qs = append(qs, fmt.Sprintf("%s %.1f/%.1f", name, q.QueryMS, q.DuckDBMS))
		}
		fmt.Fprintf(&b, "%s: query ms, pipeline/duckdb: %s\n", f, strings.Join(qs, ", "))
	}
	fmt.Fprintf(&b, "drain %d pre-loaded ticks: naive consumer %s events/s, pipeline sink %s events/s\n",
		r.Config.DrainEvents, thousands(r.NaiveEPS), thousands(r.SinkDrainEPS))
	fmt.Fprintf(&b, "peak rss %.0f MB (pipeline phases %.0f MB), cpu %.1f s, elapsed %.1f s\n", r.RSSMB, r.PipelineRSSMB, r.CPUS, r.ElapsedS)
	var missed []string
	for _, t := range r.Targets {
		if !t.Pass {
			missed = append(missed, fmt.Sprintf("%s (%g)", t.Name, t.Value))
		}
	}
	fmt.Fprintf(&b, "targets met: %d of %d\n", len(r.Targets)-len(missed), len(r.Targets))
	for _, t := range missed {
		fmt.Fprintf(&b, "  missed: %s\n", t)
	}
	fmt.Fprintf(&b, "query the data: pipeline query --data-dir %s \"SELECT count(*) FROM %s\"\n", r.Dir, e2eTopic(r.Config.Formats[0]))
	_, err := io.WriteString(w, b.String())
	return err
}

// thousands formats a rate as a whole number with thousands separators.
func thousands(x float64) string {
	s := fmt.Sprintf("%.0f", x)
	var out []byte
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 && s[i-1] != '-' {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return string(out)
}
