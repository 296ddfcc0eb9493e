package main

import (
	"bufio"
	"cmp"
	"context"
	"encoding/csv"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"pipeline/pipeline"
)

var (
	long      = flag.Bool("long", false, "run the long crash-loop suite")
	crashSeed = flag.Uint64("crash-seed", 0, "seed of TestCrashLoop's kill times (0 = from the clock); a failure logs its seed")
)

// TestCrashLoop is the issue "Nothing lost, nothing doubled" as a user would
// check it: a million events produced while sinks are killed with SIGKILL at
// random moments, over and over, then one sink left to finish. Every event
// must be queryable exactly once, and in storage every offset of every
// partition must be in exactly one object.
//
// Small objects cut by time (--max-age 200ms) keep the sink flushing, so
// kills land between a claim and its objects, and between an object's PUT
// and its offset commit, and the replay after a kill would cut at other
// offsets than the killed sink did. The log counts the claims of killed
// sinks that the next sinks found and adopted (checking their objects and
// writing the missing ones) instead of storing their records again.
//
// Each sink has the default instance id (the host name), as a restarted
// container keeps its name: it takes its predecessor's place in the group
// at once, without waiting for the dead one's session to time out.
//
// The events are paced so that production spans the kill loop: a sink drains
// a million waiting records in about three seconds, so with all of them
// produced up front most kills would hit a sink with nothing left to do.
//
// Run it with `make long` or `go test -run TestCrashLoop -long .`; replay a
// failure's kill times with the -crash-seed it logged.
func TestCrashLoop(t *testing.T) {
	if !*long {
		t.Skip("the crash loop runs with -long (make long)")
	}
	const (
		events  = 1_000_000
		rate    = 25_000 // events/s: production lasts about as long as the kill loop (20 lives of 1.65 s on average)
		kills   = 20
		minLife = 300 * time.Millisecond
		maxLife = 3 * time.Second
	)
	seed := *crashSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("kill times seeded with -crash-seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, seed))

	ctx, cancel := context.WithTimeout(context.Background(), 9*time.Minute)
	defer cancel()
	begin := time.Now()
	dir := filepath.Join(t.TempDir(), "data")
	// The emulator fails a share of PUTs (so sinks die mid-retry) and of
	// offset commits (so stored-but-uncommitted claims pile up for the
	// next sink to adopt).
	emu := startEmulator(t, dir, "--fault-s3-put-rate", "0.2", "--fault-commit-rate", "0.3")
	prod := startPipeline(t, "produce", "--events", strconv.Itoa(events), "--rate", strconv.Itoa(rate), "--data-dir", dir)

	sinkArgs := []string{"sink", "--data-dir", dir, "--max-records", "20000", "--max-age", "200ms", "--verbose"}
	var adopted int
	for i := range kills {
		before := sumOffsets(emu.committed(ctx, t, sinkGroup))
		life := minLife + time.Duration(rng.Int64N(int64(maxLife-minLife)))
		sink := startPipeline(t, sinkArgs...)
		select {
		case <-time.After(life):
		case <-sink.done:
			t.Fatalf("sink %d exited %d on its own; stderr:\n%s", i, sink.state.ExitCode(), sink.stderr.String())
		}
		sink.signal(syscall.SIGKILL)
		sink.wait(10 * time.Second)
		n := adoptedClaims(sink.stderr.String())
		adopted += n
		after := sumOffsets(emu.committed(ctx, t, sinkGroup))
		t.Logf("sink %2d: killed after %-6s: committed %7d -> %7d of %7d produced, found %d claims of earlier sinks",
			i, life.Round(time.Millisecond), before, after, sumOffsets(emu.endOffsets(ctx, t)), n)
	}

	if code := prod.wait(5 * time.Minute); code != 0 || !strings.Contains(prod.stdout.String(), fmt.Sprintf("produced %d events (0 failed)", events)) {
		t.Fatalf("produce: exit %d, stdout %q, stderr %q", code, prod.stdout.String(), prod.stderr.String())
	}
	t.Logf("%s", strings.TrimSpace(prod.stdout.String()))
	ends := emu.endOffsets(ctx, t)
	if n := sumOffsets(ends); n != events {
		t.Fatalf("end offsets %v sum to %d, want %d", ends, n, events)
	}

	start := time.Now()
	sink := startPipeline(t, sinkArgs...)
	emu.waitCommitted(ctx, t, sinkGroup, sink)
	// A member of the group has its signal handlers: SIGTERM means stop.
	emu.waitGroupMember(ctx, t, sinkGroup, sink)
	sink.signal(syscall.SIGTERM)
	if code := sink.wait(time.Minute); code != 0 {
		t.Fatalf("final sink exited %d on SIGTERM; stderr:\n%s", code, sink.stderr.String())
	}
	adopted += adoptedClaims(sink.stderr.String())
	t.Logf("final sink caught up in %s: %s; %d claims of earlier sinks found in all",
		time.Since(start).Round(time.Millisecond), strings.TrimSpace(sink.stdout.String()), adopted)

	emu.checkExactlyOnce(ctx, t, ends, events)
	t.Logf("the crash loop took %s in all", time.Since(begin).Round(time.Second))
	if t.Failed() {
		t.Logf("reproduce with: go test -run TestCrashLoop -long -crash-seed %d .", seed)
	}
}

// adoptedClaims counts the claims of earlier sinks that a sink's --verbose
// log says it found.
func adoptedClaims(log string) int {
	n := 0
	for _, line := range strings.Split(log, "\n") {
		if !strings.Contains(line, "found offsets claimed by an earlier sink") {
			continue
		}
		if _, v, ok := strings.Cut(line, " claims="); ok {
			c, _ := strconv.Atoi(strings.Fields(v)[0])
			n += c
		}
	}
	return n
}

// checkExactlyOnce checks what a user would: in storage, per partition, the
// objects tile [0, end) with no overlap and no gap; then, crawled and
// queried, the table has events rows, and each symbol's seq runs 0, 1, 2,
// ... once each (a lost event is a gap, a doubled one a repeat).
func (e *emulator) checkExactlyOnce(ctx context.Context, t *testing.T, ends map[int32]int64, events int) {
	t.Helper()
	start := time.Now()
	n := e.checkTiling(ctx, t, ends)
	t.Logf("checked that the %d objects tile the partitions in %s", n, time.Since(start).Round(time.Millisecond))

	start = time.Now()
	if out, errOut, code := pipelineCmd(t, "crawl", "--data-dir", e.dir); code != 0 {
		t.Fatalf("crawl: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	rows := queryCSV(t, e.dir, "SELECT count(*) AS n FROM stock_topic")
	if rows[1][0] != strconv.Itoa(events) {
		t.Errorf("count(*) = %s, want %d", rows[1][0], events)
	}
	rows = queryCSV(t, e.dir, "SELECT symbol, count(*) AS n, count(DISTINCT seq) AS d, min(seq) AS lo, max(seq) AS hi "+
		"FROM stock_topic GROUP BY symbol ORDER BY symbol")
	var total int64
	for _, r := range rows[1:] {
		n, d, lo, hi := atoi(t, r[1]), atoi(t, r[2]), atoi(t, r[3]), atoi(t, r[4])
		total += n
		if n != d || lo != 0 || hi-lo+1 != n {
			t.Errorf("symbol %s: %d rows, %d distinct seq, seq %d..%d: want each of 0..%d once", r[0], n, d, lo, hi, hi)
		}
	}
	if total != int64(events) || len(rows) < 2 {
		t.Errorf("the %d symbols' counts sum to %d, want %d", len(rows)-1, total, events)
	}
	t.Logf("crawled and queried in %s", time.Since(start).Round(time.Millisecond))
}

// waitGroupEmpty waits until the group has no members and returns how long
// that took.
func (e *emulator) waitGroupEmpty(ctx context.Context, t *testing.T, group string) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		described, err := e.adm.DescribeGroups(ctx, group)
		if err != nil {
			t.Fatalf("describe group %s: %v", group, err)
		}
		if g := described[group]; len(g.Members) == 0 {
			return time.Since(start)
		}
		select {
		case <-ctx.Done():
			t.Fatalf("group %s still has members: %v", group, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// waitGroupMember waits until the group has a member, failing the test if
// sink exits first.
func (e *emulator) waitGroupMember(ctx context.Context, t *testing.T, group string, sink *child) {
	t.Helper()
	for {
		described, err := e.adm.DescribeGroups(ctx, group)
		if err != nil {
			t.Fatalf("describe group %s: %v", group, err)
		}
		if len(described[group].Members) > 0 {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("group %s has no members: %v", group, ctx.Err())
		case <-sink.done:
			t.Fatalf("sink exited %d before joining group %s; stderr:\n%s", sink.state.ExitCode(), group, sink.stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// checkTiling reads every table object and checks that, in each partition,
// the objects' offset ranges [first, first+lines) follow one another from 0
// to the end offset: no offset stored twice, none missing. It returns how
// many objects it read.
func (e *emulator) checkTiling(ctx context.Context, t *testing.T, ends map[int32]int64) int {
	t.Helper()
	type object struct {
		key         string
		first, last int64 // offsets, inclusive
	}
	var problems []string
	byPart := map[int32][]object{}
	keys := e.listObjects(ctx, t, defaultBucket, pipeline.Topic+"/")
	for key := range keys {
		p, first, ok := parseDataKey(key)
		if !ok {
			problems = append(problems, fmt.Sprintf("object %s is not named <topic>+<partition>+<firstOffset>.json", key))
			continue
		}
		lines := e.countLines(ctx, t, key)
		byPart[p] = append(byPart[p], object{key, first, first + lines - 1})
	}
	if dl := e.listObjects(ctx, t, defaultBucket, pipeline.ErrorsFolder+"/"); len(dl) > 0 {
		problems = append(problems, fmt.Sprintf("%d dead-letter objects, want none", len(dl)))
	}
	for p, end := range ends {
		objs := byPart[p]
		slices.SortFunc(objs, func(a, b object) int { return cmp.Compare(a.first, b.first) })
		next := int64(0)
		for _, o := range objs {
			switch {
			case o.first < next:
				problems = append(problems, fmt.Sprintf("partition %d: %s holds offsets %d..%d, of which %d..%d are stored already: doubled",
					p, o.key, o.first, o.last, o.first, min(o.last, next-1)))
			case o.first > next:
				problems = append(problems, fmt.Sprintf("partition %d: offsets %d..%d are in no object: lost", p, next, o.first-1))
			}
			next = max(next, o.last+1)
		}
		if next != end {
			problems = append(problems, fmt.Sprintf("partition %d: objects end at offset %d, the partition at %d", p, next, end))
		}
	}
	if len(problems) > 0 {
		slices.Sort(problems)
		const show = 10
		more := ""
		if len(problems) > show {
			more = fmt.Sprintf("\n(and %d more)", len(problems)-show)
			problems = problems[:show]
		}
		t.Errorf("the %d objects do not tile the partitions:\n%s%s", len(keys), strings.Join(problems, "\n"), more)
	}
	return len(keys)
}

// parseDataKey returns the partition and first offset of a table object
// named .../<topic>+<partition>+<firstOffset>.json.
func parseDataKey(key string) (int32, int64, bool) {
	name := key[strings.LastIndexByte(key, '/')+1:]
	rest, ok := strings.CutPrefix(name, pipeline.Topic+"+")
	if !ok {
		return 0, 0, false
	}
	ps, offs, ok := strings.Cut(strings.TrimSuffix(rest, ".json"), "+")
	p, err1 := strconv.ParseInt(ps, 10, 32)
	o, err2 := strconv.ParseInt(offs, 10, 64)
	if !ok || err1 != nil || err2 != nil || !strings.HasSuffix(rest, ".json") {
		return 0, 0, false
	}
	return int32(p), o, true
}

func (e *emulator) countLines(ctx context.Context, t *testing.T, key string) int64 {
	t.Helper()
	obj, err := e.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(defaultBucket), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("get %s: %v", key, err)
	}
	defer obj.Body.Close()
	var n int64
	r := bufio.NewReaderSize(obj.Body, 1<<20)
	for {
		line, err := r.ReadSlice('\n')
		if len(line) > 0 && line[len(line)-1] == '\n' {
			n++
		}
		if err == io.EOF {
			return n
		}
		if err != nil && err != bufio.ErrBufferFull {
			t.Fatalf("read %s: %v", key, err)
		}
	}
}

// queryCSV runs `pipeline query --output csv` and returns the rows, header
// first.
func queryCSV(t *testing.T, dir, sql string) [][]string {
	t.Helper()
	out, errOut, code := pipelineCmd(t, "query", "--data-dir", dir, "--output", "csv", sql)
	if code != 0 {
		t.Fatalf("query %q: exit %d, stderr %q", sql, code, errOut)
	}
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil || len(rows) < 2 {
		t.Fatalf("query %q: %q is not CSV with a header and rows (%v)", sql, out, err)
	}
	return rows
}

func atoi(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatalf("%q is not a number", s)
	}
	return n
}
