package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	pipeaws "pipeline/aws"
	"pipeline/emulate"
	"pipeline/pipeline"
)

// These tests run the stages as a user does, each in its own process:
// `pipeline emulate` serves Kafka and S3, and produce, sink, crawl and query
// find it through <data-dir>/endpoints.json. The test talks to the same
// emulator with its own kgo, kadm and S3 clients to check what the
// processes left behind.

// TestEmulateServesAndStops: the emulator binds the ports it was given (port
// 0 = any free one, and it says which), records them, answers Kafka and S3
// on them, and on SIGTERM or SIGINT stops promptly with exit 0, taking its
// endpoints file with it.
func TestEmulateServesAndStops(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			dir := filepath.Join(t.TempDir(), "data")
			emu := startEmulator(t, dir)

			topics, err := emu.adm.ListTopics(ctx)
			if err != nil {
				t.Fatalf("list topics: %v", err)
			}
			if !topics.Has(pipeline.Topic) {
				t.Fatalf("topics %v lack %s", topics.Names(), pipeline.Topic)
			}
			if _, err := emu.s3.ListBuckets(ctx, &s3.ListBucketsInput{}); err != nil {
				t.Fatalf("list buckets: %v", err)
			}

			stopped := time.Now()
			emu.signal(sig)
			if code := emu.wait(10 * time.Second); code != 0 {
				t.Fatalf("emulate exited %d on %s; stderr:\n%s", code, sig, emu.stderr.String())
			}
			if took := time.Since(stopped); took > 5*time.Second {
				t.Errorf("emulate took %s to stop on %s", took, sig)
			}
			t.Logf("stopped on %s in %s", sig, time.Since(stopped).Round(time.Millisecond))
			if !strings.Contains(emu.stdout.String(), "stopping") {
				t.Errorf("stdout does not say it stops: %q", emu.stdout.String())
			}
			if _, err := os.Stat(emulate.DataDir(dir).EndpointsFile()); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("endpoints file after stop: %v, want it removed", err)
			}
		})
	}
}

// TestSeparateProcessesStoreEachEventOnce: produce, sink, crawl and query as
// separate processes against one emulator; then the emulator is killed with
// SIGKILL and restarted on the same data dir, and nothing it acknowledged
// is gone: every object (same ETag) and every committed offset.
func TestSeparateProcessesStoreEachEventOnce(t *testing.T) {
	const events = 5000
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir := filepath.Join(t.TempDir(), "data")
	emu := startEmulator(t, dir)

	out, errOut, code := pipelineCmd(t, "produce", "--events", strconv.Itoa(events), "--rate", "0", "--data-dir", dir)
	if code != 0 || !strings.Contains(out, fmt.Sprintf("produced %d events (0 failed)", events)) {
		t.Fatalf("produce: exit %d, stdout %q, stderr %q", code, out, errOut)
	}

	sink := startPipeline(t, "sink", "--data-dir", dir)
	ends := emu.waitCommitted(ctx, t, sinkGroup, sink)
	if n := sumOffsets(ends); n != events {
		t.Fatalf("end offsets sum to %d, want %d", n, events)
	}
	sink.signal(syscall.SIGTERM)
	if code := sink.wait(30 * time.Second); code != 0 {
		t.Fatalf("sink exited %d on SIGTERM; stderr:\n%s", code, sink.stderr.String())
	}
	if want := fmt.Sprintf("stored %d records in ", events); !strings.Contains(sink.stdout.String(), want) {
		t.Fatalf("sink stdout %q lacks %q", sink.stdout.String(), want)
	}

	if out, errOut, code := pipelineCmd(t, "crawl", "--data-dir", dir); code != 0 || !strings.Contains(out, "tables stock_topic") {
		t.Fatalf("crawl: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	wantCount := fmt.Sprintf("n\n%d\n", events)
	if out, errOut, code := pipelineCmd(t, "query", "--data-dir", dir, "--output", "csv",
		"SELECT count(*) AS n FROM stock_topic"); code != 0 || out != wantCount {
		t.Fatalf("query: exit %d, stdout %q, stderr %q; want %q", code, out, errOut, wantCount)
	}

	// kill -9 the emulator and start another on the same dir.
	objects := emu.listObjects(ctx, t, defaultBucket, "")
	committed := emu.committed(ctx, t, sinkGroup)
	if len(objects) == 0 || sumOffsets(committed) != events {
		t.Fatalf("before the kill: %d objects, committed %v", len(objects), committed)
	}
	emu.signal(syscall.SIGKILL)
	emu.wait(10 * time.Second)

	emu = startEmulator(t, dir)
	if after := emu.listObjects(ctx, t, defaultBucket, ""); !maps.Equal(after, objects) {
		t.Errorf("objects after restart differ:\nbefore %v\nafter  %v", objects, after)
	}
	if after := emu.committed(ctx, t, sinkGroup); !maps.Equal(after, committed) {
		t.Errorf("committed offsets after restart %v, before %v", after, committed)
	}
	if after := emu.endOffsets(ctx, t); !maps.Equal(after, ends) {
		t.Errorf("end offsets after restart %v, before %v", after, ends)
	}
	t.Logf("after kill -9 and restart: %d objects and offsets %v intact", len(objects), committed)

	// The restarted emulator holds the dir: a second one is refused.
	_, errOut, code = pipelineCmd(t, "emulate", "--data-dir", dir, "--kafka-addr", "127.0.0.1:0", "--s3-addr", "127.0.0.1:0")
	oneClearLine(t, errOut, code, "in use")
	if ep, err := emulate.DataDir(dir).ReadEndpoints(); err != nil || !slices.Equal(ep.KafkaBrokers, emu.ep.KafkaBrokers) || ep.S3 != emu.ep.S3 {
		t.Errorf("after the refused emulator, %s holds %+v (%v), want the running one's %+v", emulate.DataDir(dir).EndpointsFile(), ep, err, emu.ep)
	}
}

// sinkGroup is the consumer group `pipeline sink` uses by default.
var sinkGroup = pipeline.DefaultSinkOptions.Group

// ---- child processes ----------------------------------------------------

// child is a pipeline process the test started. t.Cleanup kills it if the
// test did not stop it.
type child struct {
	t       *testing.T
	name    string
	cmd     *exec.Cmd
	stdout  syncBuffer
	stderr  syncBuffer
	started time.Time
	done    chan struct{} // closed when it has exited
	state   *os.ProcessState
}

// startPipeline starts the binary with args and returns at once.
func startPipeline(t *testing.T, args ...string) *child {
	t.Helper()
	c := &child{t: t, name: args[0], done: make(chan struct{})}
	c.cmd = exec.Command(binary, args...)
	c.cmd.Stdout, c.cmd.Stderr = &c.stdout, &c.stderr
	if err := c.cmd.Start(); err != nil {
		t.Fatalf("start pipeline %s: %v", c.name, err)
	}
	c.started = time.Now()
	go func() {
		c.cmd.Wait()
		c.state = c.cmd.ProcessState
		close(c.done)
	}()
	t.Cleanup(func() {
		if !c.exited() {
			c.cmd.Process.Kill()
			<-c.done
		}
	})
	return c
}

func (c *child) exited() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

func (c *child) signal(sig syscall.Signal) {
	c.t.Helper()
	if err := c.cmd.Process.Signal(sig); err != nil && !c.exited() {
		c.t.Fatalf("signal %s to pipeline %s: %v", sig, c.name, err)
	}
}

// wait waits for the process to exit and returns its exit code, -1 if a
// signal ended it. It fails the test if that takes longer than timeout.
func (c *child) wait(timeout time.Duration) int {
	c.t.Helper()
	select {
	case <-c.done:
		return c.state.ExitCode()
	case <-time.After(timeout):
		c.cmd.Process.Kill()
		<-c.done
		c.t.Fatalf("pipeline %s did not exit within %s; stdout:\n%s\nstderr:\n%s", c.name, timeout, c.stdout.String(), c.stderr.String())
		return 0
	}
}

// syncBuffer is a bytes.Buffer that a process writes while the test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// poll calls cond every interval until it returns true or timeout passes;
// it reports whether cond came true.
func poll(timeout, interval time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		<-tick.C
	}
}

// ---- the emulator and the test's own clients of it -----------------------

type emulator struct {
	*child
	dir string
	ep  emulate.Endpoints
	adm *kadm.Client
	s3  *s3.Client
}

// startEmulator runs `pipeline emulate` on dir on free ports and waits until
// it has printed its endpoints and recorded the same ones in dir (a file
// left by an emulator that was killed does not count).
func startEmulator(t *testing.T, dir string, extra ...string) *emulator {
	t.Helper()
	args := append([]string{"emulate", "--data-dir", dir, "--kafka-addr", "127.0.0.1:0", "--s3-addr", "127.0.0.1:0"}, extra...)
	e := &emulator{dir: dir, child: startPipeline(t, args...)}
	var printed emulate.Endpoints
	ok := poll(20*time.Second, 10*time.Millisecond, func() bool {
		if e.exited() {
			return true
		}
		out := e.stdout.String()
		if !strings.Contains(out, "endpoints written to") {
			return false
		}
		printed = parsePrintedEndpoints(out)
		rec, err := emulate.DataDir(dir).ReadEndpoints()
		if err != nil {
			return false
		}
		e.ep = rec
		return true
	})
	if e.exited() {
		t.Fatalf("emulate exited %d before serving; stderr:\n%s", e.state.ExitCode(), e.stderr.String())
	}
	if !ok {
		t.Fatalf("emulate did not record its endpoints in %s within 20s; stdout:\n%s", emulate.DataDir(dir).EndpointsFile(), e.stdout.String())
	}
	if !slices.Equal(printed.KafkaBrokers, e.ep.KafkaBrokers) || printed.S3 != e.ep.S3 {
		t.Fatalf("emulate printed %+v but recorded %+v", printed, e.ep)
	}
	// Port 0 means "any free port": what is printed must be the bound one.
	s3Host := strings.TrimPrefix(e.ep.S3, "http://")
	for _, hp := range append(slices.Clone(e.ep.KafkaBrokers), s3Host) {
		if _, port, err := net.SplitHostPort(hp); err != nil || port == "0" {
			t.Fatalf("emulate recorded %q: want a real host:port", hp)
		}
	}

	cl, err := kgo.NewClient(kgo.SeedBrokers(e.ep.KafkaBrokers...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	e.adm = kadm.NewClient(cl)
	cfg, err := pipeaws.Load(context.Background(), pipeaws.Emulator(e.ep.S3, nil))
	if err != nil {
		t.Fatal(err)
	}
	e.s3 = pipeaws.NewS3(cfg)
	t.Logf("emulate serving %s: kafka %s, s3 %s", dir, strings.Join(e.ep.KafkaBrokers, ","), e.ep.S3)
	return e
}

// parsePrintedEndpoints reads the "kafka: ..." and "s3: ..." lines of
// emulate's stdout.
func parsePrintedEndpoints(out string) emulate.Endpoints {
	var ep emulate.Endpoints
	for _, line := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(line, "kafka:"); ok {
			ep.KafkaBrokers = strings.Split(strings.TrimSpace(v), ",")
		}
		if v, ok := strings.CutPrefix(line, "s3:"); ok {
			ep.S3 = strings.TrimSpace(v)
		}
	}
	return ep
}

// committed returns the group's committed offsets of the topic by partition.
func (e *emulator) committed(ctx context.Context, t *testing.T, group string) map[int32]int64 {
	t.Helper()
	resp, err := e.adm.FetchOffsets(ctx, group)
	if err == nil {
		err = resp.Error()
	}
	if errors.Is(err, kerr.GroupIDNotFound) {
		return map[int32]int64{} // nothing committed yet
	}
	if err != nil {
		t.Fatalf("fetch offsets of group %s: %v", group, err)
	}
	m := map[int32]int64{}
	resp.Each(func(o kadm.OffsetResponse) {
		if o.Topic == pipeline.Topic {
			m[o.Partition] = o.At
		}
	})
	return m
}

// endOffsets returns the topic's end offsets by partition.
func (e *emulator) endOffsets(ctx context.Context, t *testing.T) map[int32]int64 {
	t.Helper()
	listed, err := e.adm.ListEndOffsets(ctx, pipeline.Topic)
	if err == nil {
		err = listed.Error()
	}
	if err != nil {
		t.Fatalf("list end offsets: %v", err)
	}
	m := map[int32]int64{}
	listed.Each(func(o kadm.ListedOffset) { m[o.Partition] = o.Offset })
	return m
}

// waitCommitted waits until the group has committed the end offset of every
// non-empty partition of the topic, and returns the end offsets. It fails
// the test if sink exits first or ctx ends.
func (e *emulator) waitCommitted(ctx context.Context, t *testing.T, group string, sink *child) map[int32]int64 {
	t.Helper()
	ends := e.endOffsets(ctx, t)
	caughtUp := func() bool {
		c := e.committed(ctx, t, group)
		for p, end := range ends {
			if end > 0 && c[p] < end {
				return false
			}
		}
		return true
	}
	for !caughtUp() {
		select {
		case <-ctx.Done():
			t.Fatalf("group %s did not commit the end offsets %v: %v; sink stderr:\n%s",
				group, ends, ctx.Err(), sink.stderr.String())
		case <-sink.done:
			t.Fatalf("sink exited %d before committing the end offsets %v; stderr:\n%s", sink.state.ExitCode(), ends, sink.stderr.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	return ends
}

// listObjects returns the ETag of every object under prefix, by key.
func (e *emulator) listObjects(ctx context.Context, t *testing.T, bucket, prefix string) map[string]string {
	t.Helper()
	m := map[string]string{}
	pg := s3.NewListObjectsV2Paginator(e.s3, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
	for pg.HasMorePages() {
		page, err := pg.NextPage(ctx)
		if err != nil {
			t.Fatalf("list s3://%s/%s: %v", bucket, prefix, err)
		}
		for _, o := range page.Contents {
			m[aws.ToString(o.Key)] = aws.ToString(o.ETag)
		}
	}
	return m
}

func sumOffsets(m map[int32]int64) int64 {
	var n int64
	for _, v := range m {
		n += v
	}
	return n
}
