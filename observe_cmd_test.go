package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/twmb/franz-go/pkg/kgo"

	"pipeline/pipeline"
)

var metricsAddrRE = regexp.MustCompile(`metrics: http://([^/\s]+)/metrics`)

// waitMetricsAddr waits until the process has said where it serves metrics.
func waitMetricsAddr(t *testing.T, c *child) string {
	t.Helper()
	var addr string
	if !poll(20*time.Second, 10*time.Millisecond, func() bool {
		if m := metricsAddrRE.FindStringSubmatch(c.stderr.String()); m != nil {
			addr = m[1]
			return true
		}
		return c.exited()
	}) || addr == "" {
		t.Fatalf("pipeline %s did not say where it serves metrics; stderr:\n%s", c.name, c.stderr.String())
	}
	return addr
}

// scrape reads addr's /metrics as Prometheus does, and returns each
// family's value summed over its series (a histogram gives name_count and
// name_sum).
func scrape(t *testing.T, addr string) map[string]float64 {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatalf("scrape %s: %v", addr, err)
	}
	defer resp.Body.Close()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("scrape %s: not the Prometheus text format: %v", addr, err)
	}
	out := map[string]float64{}
	for name, f := range fams {
		for _, m := range f.GetMetric() {
			switch f.GetType() {
			case dto.MetricType_COUNTER:
				out[name] += m.GetCounter().GetValue()
			case dto.MetricType_GAUGE:
				out[name] += m.GetGauge().GetValue()
			case dto.MetricType_HISTOGRAM:
				out[name+"_count"] += float64(m.GetHistogram().GetSampleCount())
				out[name+"_sum"] += m.GetHistogram().GetSampleSum()
			}
		}
	}
	return out
}

func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestMetricsDuringARun scrapes a producer, a sink and the emulator while
// they work, as Prometheus would: the counters move while ticks stream, and
// once the sink has caught up they equal what the producer says it
// produced, what the sink says it stored and what the bucket holds.
func TestMetricsDuringARun(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir := filepath.Join(t.TempDir(), "data")
	emu := startEmulator(t, dir, "--metrics-addr", "127.0.0.1:0")
	emuAddr := waitMetricsAddr(t, emu.child)

	// The producer's counter moves while it produces.
	prodStarted := time.Now()
	prod := startPipeline(t, "produce", "--data-dir", dir, "--rate", "2000", "--duration", "1m", "--metrics-addr", "127.0.0.1:0")
	prodAddr := waitMetricsAddr(t, prod)
	var first, last float64
	if !poll(30*time.Second, 20*time.Millisecond, func() bool {
		last = scrape(t, prodAddr)["pipeline_records_produced_total"]
		if first == 0 {
			first = last
		}
		return first > 0 && last > first
	}) {
		t.Fatalf("pipeline_records_produced_total did not grow: first %g, last %g", first, last)
	}
	if code, body := httpGet(t, "http://"+prodAddr+"/readyz"); code != http.StatusOK {
		t.Errorf("producer /readyz: %d %q, want 200", code, body)
	}
	prod.signal(syscall.SIGINT)
	if code := prod.wait(30 * time.Second); code != 0 {
		t.Fatalf("produce exited %d; stderr:\n%s", code, prod.stderr.String())
	}
	prodExited := time.Now()
	m := regexp.MustCompile(`produced (\d+) events \(0 failed\)`).FindStringSubmatch(prod.stdout.String())
	if m == nil {
		t.Fatalf("produce stdout %q lacks its count", prod.stdout.String())
	}
	produced, _ := strconv.ParseFloat(m[1], 64)
	if produced < last {
		t.Fatalf("produce says %g events, but its metrics said %g before it stopped", produced, last)
	}

	// One record that is not an event, from another client.
	cl, err := kgo.NewClient(kgo.SeedBrokers(emu.ep.KafkaBrokers...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if err := cl.ProduceSync(ctx, &kgo.Record{Topic: pipeline.Topic, Value: []byte("not json")}).FirstErr(); err != nil {
		t.Fatal(err)
	}

	sink := startPipeline(t, "sink", "--data-dir", dir, "--metrics-addr", "127.0.0.1:0", "--max-records", "500")
	sinkAddr := waitMetricsAddr(t, sink)
	var got map[string]float64
	var scrapeStart, scrapeEnd time.Time
	if !poll(60*time.Second, 50*time.Millisecond, func() bool {
		scrapeStart = time.Now()
		got = scrape(t, sinkAddr)
		scrapeEnd = time.Now()
		return got["pipeline_records_stored_total"] == produced && got["pipeline_records_dead_lettered_total"] == 1 &&
			got["pipeline_consumer_lag_records"] == 0 && got["pipeline_offsets_up"] == 1
	}) {
		t.Fatalf("the sink's metrics did not reach %g stored, 1 dead letter, no lag: %v", produced, got)
	}
	if code, body := httpGet(t, "http://"+sinkAddr+"/readyz"); code != http.StatusOK {
		t.Errorf("sink /readyz: %d %q, want 200", code, body)
	}
	if code, body := httpGet(t, "http://"+sinkAddr+"/healthz"); code != http.StatusOK || body != "ok\n" {
		t.Errorf("sink /healthz: %d %q, want 200 ok", code, body)
	}

	// What the bucket holds is what the sink's metrics say it stored (its
	// claims under _sink/ are not objects of the data).
	var objects, bytes float64
	pg := s3.NewListObjectsV2Paginator(emu.s3, &s3.ListObjectsV2Input{Bucket: aws.String(defaultBucket)})
	for pg.HasMorePages() {
		page, err := pg.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range page.Contents {
			if strings.HasPrefix(aws.ToString(o.Key), pipeline.SinkFolder+"/") {
				continue
			}
			objects++
			bytes += float64(aws.ToInt64(o.Size))
		}
	}
	if got["pipeline_objects_stored_total"] != objects || got["pipeline_stored_bytes_total"] != bytes {
		t.Errorf("metrics say %g objects of %g bytes; the bucket holds %g of %g",
			got["pipeline_objects_stored_total"], got["pipeline_stored_bytes_total"], objects, bytes)
	}
	if got["pipeline_records_consumed_total"] < produced+1 {
		t.Errorf("pipeline_records_consumed_total %g, want at least %g", got["pipeline_records_consumed_total"], produced+1)
	}
	if n := float64(len(emu.endOffsets(ctx, t))); got["pipeline_assigned_partitions"] != n {
		t.Errorf("pipeline_assigned_partitions %g, want the topic's %g", got["pipeline_assigned_partitions"], n)
	}
	// Each object stored was observed once, with its size and its PUT's time.
	if got["pipeline_object_size_bytes_count"] != objects || got["pipeline_object_size_bytes_sum"] != bytes ||
		got["pipeline_s3_put_duration_seconds_count"] != objects || got["pipeline_s3_put_duration_seconds_sum"] <= 0 {
		t.Errorf("object size histogram %g objects of %g bytes, PUT time %g observations; want %g objects of %g bytes",
			got["pipeline_object_size_bytes_count"], got["pipeline_object_size_bytes_sum"], got["pipeline_s3_put_duration_seconds_count"], objects, bytes)
	}
	if last := got["pipeline_last_commit_timestamp_seconds"]; got["pipeline_commit_duration_seconds_count"] < 1 ||
		last < float64(prodStarted.Unix()) || last > float64(time.Now().Unix()+1) {
		t.Errorf("commits: %g timed, the last at %g; want at least one, since the producer started at %d", got["pipeline_commit_duration_seconds_count"],
			last, prodStarted.Unix())
	}
	if _, ok := got["pipeline_last_commit_age_seconds"]; ok {
		t.Error("pipeline_last_commit_age_seconds is served: a time since is the timestamp's job (time() - pipeline_last_commit_timestamp_seconds)")
	}
	// The newest record stored was produced after the producer started and
	// before it exited: its age is between the two.
	if f, lo, hi := got["pipeline_freshness_seconds"], scrapeStart.Sub(prodExited).Seconds(), scrapeEnd.Sub(prodStarted).Seconds(); f < lo || f > hi {
		t.Errorf("pipeline_freshness_seconds %g: want the age of the last tick produced, between %.3f and %.3f", f, lo, hi)
	}

	sink.signal(syscall.SIGTERM)
	if code := sink.wait(30 * time.Second); code != 0 {
		t.Fatalf("sink exited %d; stderr:\n%s", code, sink.stderr.String())
	}
	if want := fmt.Sprintf("stored %d records in %d objects (1 dead letters)", int64(produced), int64(objects)); !strings.Contains(sink.stdout.String(), want) {
		t.Errorf("sink stdout %q, want %q", sink.stdout.String(), want)
	}

	// The emulator reports the topic and the sink group's lag.
	if !poll(20*time.Second, 50*time.Millisecond, func() bool {
		got = scrape(t, emuAddr)
		return got["pipeline_topic_end_offset"] == produced+1 && got["pipeline_consumer_lag_records"] == 0
	}) {
		t.Errorf("emulator metrics: end offsets %g (want %g), lag %g (want 0)",
			got["pipeline_topic_end_offset"], produced+1, got["pipeline_consumer_lag_records"])
	}
	if code, body := httpGet(t, "http://"+emuAddr+"/readyz"); code != http.StatusOK {
		t.Errorf("emulator /readyz: %d %q, want 200", code, body)
	}
}

// TestObserveErrorsAreOneClearLine: a bad flag of the metrics, the progress
// or the dashboard, or an address in use, is one line that names it.
func TestObserveErrorsAreOneClearLine(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	taken := busy.Addr().String()
	for _, tc := range []struct {
		name string
		args []string
		says string
	}{
		{"bad log format", []string{"--log-format", "yaml", "run", "--data-dir", dir}, "must be one of text, json"},
		{"bad metrics address", []string{"run", "--metrics-addr", "nowhere", "--events", "10", "--data-dir", dir}, "--metrics-addr nowhere"},
		{"metrics address in use", []string{"run", "--metrics-addr", taken, "--events", "10", "--data-dir", dir}, "--metrics-addr " + taken},
		{"dashboard address in use", []string{"ui", "--addr", taken, "--data-dir", dir}, "--addr " + taken},
		{"run dashboard address in use", []string{"run", "--ui", taken, "--events", "10", "--data-dir", dir}, "--ui " + taken},
		{"bad allowed host", []string{"ui", "--allow-host", "dash.example:8080", "--data-dir", dir}, `--allow-host "dash.example:8080"`},
		{"bad origin", []string{"ui", "--cors", "*", "--data-dir", dir}, `--cors "*"`},
		{"bad status output", []string{"status", "--output", "yaml", "--data-dir", dir}, "must be one of text, json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, errOut, code := pipelineCmd(t, tc.args...)
			oneClearLine(t, errOut, code, tc.says)
		})
	}
}

// TestProducerSaysKafkaDoesNotAnswer: a producer whose brokers do not
// answer says so, with the cause, within seconds, instead of logging
// produced=0 in silence, and gives up after --kafka-wait with one line and
// exit 1; with --log-format json every line of stderr is a JSON record, the
// metrics address and the final error included.
func TestProducerSaysKafkaDoesNotAnswer(t *testing.T) {
	t.Setenv("AWS_REGION", "us-east-1")
	dead, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := dead.Addr().String()
	dead.Close() // nothing listens there now
	p := startPipeline(t, "--mode", "cloud", "--brokers", addr, "--log-format", "json",
		"produce", "--rate", "10", "--duration", "1m", "--metrics-addr", "127.0.0.1:0", "--kafka-wait", "5s")
	if code := p.wait(60 * time.Second); code != 1 {
		t.Errorf("exit %d, want 1; stderr:\n%s", code, p.stderr.String())
	}
	var warning, final map[string]any
	var metrics bool
	for _, l := range strings.Split(strings.TrimSpace(p.stderr.String()), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Errorf("stderr line %q is not a JSON record", l)
			continue
		}
		switch {
		case rec["level"] == "WARN" && strings.Contains(fmt.Sprint(rec["msg"]), "kafka"):
			warning = rec
		case rec["level"] == "ERROR":
			final = rec
		}
		metrics = metrics || rec["msg"] == "metrics" && strings.HasPrefix(fmt.Sprint(rec["url"]), "http://127.0.0.1:")
	}
	if warning == nil || !strings.Contains(fmt.Sprint(warning["error"]), addr) || warning["brokers"] != addr {
		t.Errorf("warning %v does not name the brokers and the cause", warning)
	}
	if msg := fmt.Sprint(final["msg"]); !strings.Contains(msg, "no broker of "+addr+" answered in 5s") || !strings.Contains(msg, "--brokers") {
		t.Errorf("final error %v does not say what failed and what to do", final)
	}
	if !metrics {
		t.Errorf("no record of the metrics address in stderr:\n%s", p.stderr.String())
	}
}

// TestDashboardOnEveryInterface: a dashboard on 0.0.0.0 warns that anyone
// who reaches the port gets its SQL console, and prints a URL this machine
// opens (http://127.0.0.1:P/, not http://[::]:P/).
func TestDashboardOnEveryInterface(t *testing.T) {
	ui := startPipeline(t, "ui", "--addr", "0.0.0.0:0", "--data-dir", filepath.Join(t.TempDir(), "data"))
	re := regexp.MustCompile(`dashboard: (http://127\.0\.0\.1:\d+/) `)
	var url string
	if !poll(30*time.Second, 20*time.Millisecond, func() bool {
		m := re.FindStringSubmatch(ui.stdout.String())
		if m != nil {
			url = m[1]
		}
		return m != nil || ui.exited()
	}) || url == "" {
		t.Fatalf("no dashboard URL on loopback; stdout %q, stderr %q", ui.stdout.String(), ui.stderr.String())
	}
	// The warning is written before the URL, but stderr is read apart from
	// stdout: wait for it.
	warned := func() bool {
		return strings.Contains(ui.stderr.String(), "warning: the dashboard listens on [::]:") && strings.Contains(ui.stderr.String(), "SQL console")
	}
	if !poll(10*time.Second, 20*time.Millisecond, func() bool { return warned() || ui.exited() }) || !warned() {
		t.Errorf("no warning that the dashboard is open to the network; stderr %q", ui.stderr.String())
	}
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET %s: %s", url, resp.Status)
	}
	ui.signal(syscall.SIGTERM)
	ui.wait(30 * time.Second)
}
