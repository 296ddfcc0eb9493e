package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// These tests run `pipeline sink` processes as an operator would meet them
// in production: one stalled past its session (a GC pause, a frozen VM), one
// restarted over and over by a supervisor, one told to stop while it waits
// on a group, a slow or dead S3, or a broker. They run with -long (make
// long).

// TestZombieSink: a sink is frozen with SIGSTOP while it holds records and
// uploads, a second sink of the group takes its partitions over and stores
// past where the first stopped, and then the first resumes with SIGCONT
// and goes on as if nothing happened. No object stored before the resume is
// overwritten or deleted, and every event is stored exactly once: the
// objects tile each partition, and every symbol's seq runs 0..n-1 once.
func TestZombieSink(t *testing.T) {
	if !*long {
		t.Skip("the zombie sink runs with -long (make long)")
	}
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"small objects", []string{"--max-records", "2000", "--max-age", "5s"}},
		{"defaults", nil},
	} {
		t.Run(tc.name, func(t *testing.T) { testZombieSink(t, tc.args) })
	}
}

func testZombieSink(t *testing.T, sinkArgs []string) {
	const (
		events = 100_000
		rate   = 4000 // events/s: production goes on across the stall
	)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	dir := filepath.Join(t.TempDir(), "data")
	emu := startEmulator(t, dir)
	prod := startPipeline(t, "produce", "--events", strconv.Itoa(events), "--rate", strconv.Itoa(rate), "--data-dir", dir)
	args := append([]string{"sink", "--data-dir", dir, "--verbose"}, sinkArgs...)

	zombie := startPipeline(t, append(args, "--instance-id", "zombie")...)
	emu.waitCommittedPast(ctx, t, 10_000, zombie)
	zombie.signal(syscall.SIGSTOP)
	t.Cleanup(func() { zombie.cmd.Process.Signal(syscall.SIGCONT) })
	frozenAt := emu.endOffsets(ctx, t)
	t.Logf("zombie frozen at %d events produced, %d committed", sumOffsets(frozenAt), sumOffsets(emu.committed(ctx, t, sinkGroup)))

	// The successor gets the partitions once the zombie's session times
	// out, and stores past everything produced before the freeze.
	successor := startPipeline(t, append(args, "--instance-id", "successor")...)
	for {
		c := emu.committed(ctx, t, sinkGroup)
		past := true
		for p, end := range frozenAt {
			past = past && c[p] >= end
		}
		if past {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the successor did not commit past %v: committed %v; stderr:\n%s", frozenAt, c, successor.stderr.String())
		case <-successor.done:
			t.Fatalf("the successor exited %d; stderr:\n%s", successor.state.ExitCode(), successor.stderr.String())
		case <-time.After(100 * time.Millisecond):
		}
	}
	before := emu.listObjects(ctx, t, defaultBucket, "")
	t.Logf("the successor committed past the freeze: %d objects stored; resuming the zombie", len(before))
	zombie.signal(syscall.SIGCONT)

	// The zombie finds its claims taken: it must meet another sink's claim
	// on the offsets it held, and read them again.
	if !poll(30*time.Second, 50*time.Millisecond, func() bool {
		return strings.Contains(zombie.stderr.String(), "claimed by another sink") || zombie.exited()
	}) || zombie.exited() {
		t.Errorf("the zombie never met another sink's claim (exited: %v)", zombie.exited())
	}

	if code := prod.wait(3 * time.Minute); code != 0 || !strings.Contains(prod.stdout.String(), fmt.Sprintf("produced %d events (0 failed)", events)) {
		t.Fatalf("produce: exit %d, stdout %q, stderr %q", code, prod.stdout.String(), prod.stderr.String())
	}
	ends := emu.waitCommitted(ctx, t, sinkGroup, successor)
	for _, s := range []*child{zombie, successor} {
		s.signal(syscall.SIGTERM)
	}
	for _, s := range []*child{zombie, successor} {
		if code := s.wait(10 * time.Second); code != 0 {
			t.Errorf("sink exited %d on SIGTERM; stderr:\n%s", code, s.stderr.String())
		}
	}
	t.Logf("zombie: %s; successor: %s", strings.TrimSpace(zombie.stdout.String()), strings.TrimSpace(successor.stdout.String()))

	after := emu.listObjects(ctx, t, defaultBucket, "")
	for key, etag := range before {
		if after[key] != etag {
			t.Errorf("%s: ETag %q after the zombie resumed, %q before: want no stored object overwritten or deleted", key, after[key], etag)
		}
	}
	emu.checkExactlyOnce(ctx, t, ends, events)
}

// TestRapidCrashLoop: with ticks streaming in, a sink is killed with SIGKILL
// 15 times after 0.1-2 s of life each, as a supervisor restarts a sink that
// faults at once. With the default instance id (the host name, which a
// restarted container keeps) each sink takes its predecessor's place at
// once, and the next sink must be storing within 15 s of its start. As
// dynamic members, the dead ones hold the group in rebalances: each waits
// for the 5 s rebalance timeout, and the emulated broker starts it again
// whenever a dead member's session (6 s) times out meanwhile, so the bound
// is 30 s (kgo's default rebalance timeout, a minute, took minutes). In the
// end every event is stored exactly once.
func TestRapidCrashLoop(t *testing.T) {
	if !*long {
		t.Skip("the rapid crash loop runs with -long (make long)")
	}
	for _, tc := range []struct {
		name   string
		args   []string
		resume time.Duration
	}{
		{"static members", nil, 15 * time.Second},
		{"dynamic members", []string{"--instance-id", ""}, 30 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) { testRapidCrashLoop(t, tc.args, tc.resume) })
	}
}

func testRapidCrashLoop(t *testing.T, extra []string, resume time.Duration) {
	const (
		events  = 120_000
		rate    = 4000 // events/s: ticks stream through the kills and after
		kills   = 15
		minLife = 100 * time.Millisecond
		maxLife = 2 * time.Second
	)
	seed := *crashSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("lives seeded with -crash-seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, seed))
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	dir := filepath.Join(t.TempDir(), "data")
	emu := startEmulator(t, dir)
	prod := startPipeline(t, "produce", "--events", strconv.Itoa(events), "--rate", strconv.Itoa(rate), "--data-dir", dir)
	args := append([]string{"sink", "--data-dir", dir, "--verbose"}, extra...)

	for i := range kills {
		life := minLife + time.Duration(rng.Int64N(int64(maxLife-minLife)))
		sink := startPipeline(t, args...)
		select {
		case <-time.After(life):
		case <-sink.done:
			t.Fatalf("sink %d exited %d on its own; stderr:\n%s", i, sink.state.ExitCode(), sink.stderr.String())
		}
		sink.signal(syscall.SIGKILL)
		sink.wait(10 * time.Second)
	}

	before := sumOffsets(emu.committed(ctx, t, sinkGroup))
	sink := startPipeline(t, args...)
	for sumOffsets(emu.committed(ctx, t, sinkGroup)) <= before {
		if took := time.Since(sink.started); took > resume {
			t.Fatalf("the sink after the crash loop stored nothing in %s (committed %d, %d produced); stderr:\n%s",
				took.Round(time.Millisecond), before, sumOffsets(emu.endOffsets(ctx, t)), sink.stderr.String())
		}
		select {
		case <-sink.done:
			t.Fatalf("the sink after the crash loop exited %d; stderr:\n%s", sink.state.ExitCode(), sink.stderr.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	t.Logf("the sink after %d kills was storing %s after its start", kills, time.Since(sink.started).Round(time.Millisecond))
	// Static membership is what makes the restart quick; on a fast machine
	// a dynamic member can be quick too, so it is checked by name.
	described, err := emu.adm.DescribeGroups(ctx, sinkGroup)
	if err != nil {
		t.Fatalf("describe group %s: %v", sinkGroup, err)
	}
	for _, m := range described[sinkGroup].Members {
		if static := m.InstanceID != nil && *m.InstanceID != ""; static != (extra == nil) {
			t.Errorf("member %s has instance id %v, want a static member: %v", m.MemberID, m.InstanceID, extra == nil)
		}
	}

	if code := prod.wait(3 * time.Minute); code != 0 || !strings.Contains(prod.stdout.String(), fmt.Sprintf("produced %d events (0 failed)", events)) {
		t.Fatalf("produce: exit %d, stdout %q, stderr %q", code, prod.stdout.String(), prod.stderr.String())
	}
	ends := emu.waitCommitted(ctx, t, sinkGroup, sink)
	sink.signal(syscall.SIGTERM)
	if code := sink.wait(10 * time.Second); code != 0 {
		t.Fatalf("sink exited %d on SIGTERM; stderr:\n%s", code, sink.stderr.String())
	}
	emu.checkExactlyOnce(ctx, t, ends, events)
	if t.Failed() {
		t.Logf("reproduce with: go test -run TestRapidCrashLoop -long -crash-seed %d .", seed)
	}
}

// TestSinkStopsWithinTenSeconds: SIGTERM ends a sink within 10 s (a
// container runtime's grace before SIGKILL) whatever it waits on, with exit
// 0 and nothing committed that is not stored; a second signal ends it at
// once. After each stop, a new sink stores every event exactly once.
func TestSinkStopsWithinTenSeconds(t *testing.T) {
	if !*long {
		t.Skip("the stop tests run with -long (make long)")
	}
	const (
		events = 5000
		bound  = 10 * time.Second
	)
	// stopped SIGTERMs sink, checks it exits 0 within bound, and returns
	// how long it took.
	stopped := func(t *testing.T, sink *child) time.Duration {
		t.Helper()
		sink.waitSetUp(t)
		start := time.Now()
		sink.signal(syscall.SIGTERM)
		if code := sink.wait(bound); code != 0 {
			t.Fatalf("sink exited %d (%s) on SIGTERM; stderr:\n%s", code, sink.state, sink.stderr.String())
		}
		took := time.Since(start)
		t.Logf("stopped in %s; stderr:\n%s", took.Round(time.Millisecond), sink.stderr.String())
		return took
	}
	// produced produces n more events.
	produced := func(t *testing.T, dir string, n int) {
		t.Helper()
		out, errOut, code := pipelineCmd(t, "produce", "--events", strconv.Itoa(n), "--rate", "0", "--data-dir", dir)
		if code != 0 || !strings.Contains(out, fmt.Sprintf("produced %d events (0 failed)", n)) {
			t.Fatalf("produce: exit %d, stdout %q, stderr %q", code, out, errOut)
		}
	}
	// finish stores what is left with a new sink, and checks every event
	// is stored exactly once.
	finish := func(t *testing.T, ctx context.Context, emu *emulator, n int) {
		t.Helper()
		sink := startPipeline(t, "sink", "--data-dir", emu.dir)
		ends := emu.waitCommitted(ctx, t, sinkGroup, sink)
		stopped(t, sink)
		emu.checkExactlyOnce(ctx, t, ends, n)
	}

	t.Run("joining a group that waits for a frozen member", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		dir := filepath.Join(t.TempDir(), "data")
		emu := startEmulator(t, dir)
		produced(t, dir, events)
		frozen := startPipeline(t, "sink", "--data-dir", dir, "--instance-id", "frozen")
		emu.waitCommitted(ctx, t, sinkGroup, frozen)
		frozen.signal(syscall.SIGSTOP)
		t.Cleanup(func() { frozen.cmd.Process.Signal(syscall.SIGCONT) })
		joining := startPipeline(t, "sink", "--data-dir", dir, "--instance-id", "joining")
		emu.waitGroupState(ctx, t, sinkGroup, "PreparingRebalance", joining)
		stopped(t, joining)
		frozen.signal(syscall.SIGKILL)
		frozen.wait(10 * time.Second)
		finish(t, ctx, emu, events)
	})

	for _, s3 := range []struct {
		name string
		mode proxyMode
	}{
		{"uploading to an S3 that never answers", proxyHang},
		{"uploading to an S3 that drops every connection", proxyReset},
	} {
		t.Run(s3.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			dir := filepath.Join(t.TempDir(), "data")
			emu := startEmulator(t, dir)
			proxy := startProxy(t, strings.TrimPrefix(emu.ep.S3, "http://"))
			// Ticks stream in while S3 fails: the sink holds and
			// uploads what comes after.
			prod := startPipeline(t, "produce", "--events", strconv.Itoa(2*events), "--rate", "2000", "--data-dir", dir)
			sink := startPipeline(t, "sink", "--data-dir", dir, "--brokers", strings.Join(emu.ep.KafkaBrokers, ","),
				"--s3-endpoint", "http://"+proxy.addr(), "--verbose")
			emu.waitCommittedPast(ctx, t, events/2, sink)
			proxy.set(s3.mode)
			if !poll(time.Minute, 20*time.Millisecond, func() bool { return proxy.failed.Load() > 0 || sink.exited() }) || sink.exited() {
				t.Fatalf("the sink sent nothing to the failing S3; stderr:\n%s", sink.stderr.String())
			}
			stopped(t, sink)
			if code := prod.wait(time.Minute); code != 0 {
				t.Fatalf("produce exited %d; stderr:\n%s", code, prod.stderr.String())
			}
			finish(t, ctx, emu, 2*events)
		})
	}

	t.Run("committing to a broker that fails every commit", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		dir := filepath.Join(t.TempDir(), "data")
		emu := startEmulator(t, dir, "--fault-commit-rate", "1")
		produced(t, dir, events)
		sink := startPipeline(t, "sink", "--data-dir", dir, "--verbose")
		if !poll(time.Minute, 20*time.Millisecond, func() bool {
			return strings.Contains(sink.stderr.String(), "commit failed") || sink.exited()
		}) || sink.exited() {
			t.Fatalf("the sink never tried to commit; stderr:\n%s", sink.stderr.String())
		}
		stopped(t, sink)
		emu.signal(syscall.SIGTERM)
		emu.wait(10 * time.Second)
		finish(t, ctx, startEmulator(t, dir), events)
	})

	t.Run("with the emulator frozen, and a second signal", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		dir := filepath.Join(t.TempDir(), "data")
		emu := startEmulator(t, dir)
		produced(t, dir, events)
		// Small objects: the sinks are uploading and committing when the
		// emulator freezes.
		args := []string{"sink", "--data-dir", dir, "--max-records", "100", "--max-age", "10ms"}
		sink := startPipeline(t, append(args, "--instance-id", "first")...)
		second := startPipeline(t, append(args, "--instance-id", "second")...)
		emu.waitCommittedPast(ctx, t, events/2, sink)
		emu.signal(syscall.SIGSTOP)
		t.Cleanup(func() { emu.cmd.Process.Signal(syscall.SIGCONT) })
		stopped(t, sink)

		// The same signal within sameStop is the same request (sent to
		// the process and its group): the second comes later, as a
		// person's second Ctrl-C does.
		second.signal(syscall.SIGTERM)
		if !poll(10*time.Second, time.Millisecond, func() bool { return !signalPending(second, syscall.SIGTERM) }) {
			t.Fatal("the first SIGTERM stayed pending")
		}
		second.signal(syscall.SIGTERM)
		<-time.After(2 * sameStop)
		if second.exited() {
			t.Fatalf("a repeat of SIGTERM within %s ended the sink: exit %d, stderr %q", sameStop, second.state.ExitCode(), second.stderr.String())
		}
		start := time.Now()
		second.signal(syscall.SIGTERM)
		code := second.wait(bound)
		took := time.Since(start)
		if code != 128+int(syscall.SIGTERM) || !strings.Contains(second.stderr.String(), "again: exiting now") || took > 2*time.Second {
			t.Errorf("after a second SIGTERM: exit %d in %s, stderr %q; want exit %d at once, saying so",
				code, took.Round(time.Millisecond), second.stderr.String(), 128+int(syscall.SIGTERM))
		}
		emu.signal(syscall.SIGCONT)
		finish(t, ctx, emu, events)
	})
}

// TestSinkSharingAnInstanceIDStops: a second sink started with the instance
// id of a running one takes its place in the group; the first stops with one
// line that says what to do, and the second stores everything once.
func TestSinkSharingAnInstanceIDStops(t *testing.T) {
	if !*long {
		t.Skip("runs with -long (make long)")
	}
	const events = 5000
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir := filepath.Join(t.TempDir(), "data")
	emu := startEmulator(t, dir)
	out, errOut, code := pipelineCmd(t, "produce", "--events", strconv.Itoa(events), "--rate", "0", "--data-dir", dir)
	if code != 0 {
		t.Fatalf("produce: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	first := startPipeline(t, "sink", "--data-dir", dir, "--instance-id", "same")
	emu.waitCommitted(ctx, t, sinkGroup, first)
	second := startPipeline(t, "sink", "--data-dir", dir, "--instance-id", "same")
	code = first.wait(time.Minute)
	oneClearLine(t, first.stderr.String(), code, "give each sink its own --instance-id")
	t.Logf("the first sink exited %d: %s", code, first.stderr.String())
	ends := emu.waitCommitted(ctx, t, sinkGroup, second)
	second.waitSetUp(t)
	second.signal(syscall.SIGTERM)
	if code := second.wait(10 * time.Second); code != 0 {
		t.Fatalf("the second sink exited %d; stderr:\n%s", code, second.stderr.String())
	}
	emu.checkExactlyOnce(ctx, t, ends, events)
}

// waitSetUp waits until the process has opened a socket: by then it has
// set up its signal handling (the first thing main does), so that SIGTERM
// asks it to stop rather than killing it.
func (c *child) waitSetUp(t *testing.T) {
	t.Helper()
	if !poll(20*time.Second, 5*time.Millisecond, func() bool { return hasSocket(c) || c.exited() }) || c.exited() {
		t.Fatalf("pipeline %s opened no connection (exited: %v); stderr:\n%s", c.name, c.exited(), c.stderr.String())
	}
}

// waitCommittedPast waits until the group has committed more than n
// offsets in all, failing the test if sink exits first.
func (e *emulator) waitCommittedPast(ctx context.Context, t *testing.T, n int64, sink *child) {
	t.Helper()
	for sumOffsets(e.committed(ctx, t, sinkGroup)) <= n {
		select {
		case <-ctx.Done():
			t.Fatalf("group %s did not commit %d offsets: %v; sink stderr:\n%s", sinkGroup, n, ctx.Err(), sink.stderr.String())
		case <-sink.done:
			t.Fatalf("sink exited %d; stderr:\n%s", sink.state.ExitCode(), sink.stderr.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// waitGroupState waits until the group is in state, failing the test if
// sink exits first.
func (e *emulator) waitGroupState(ctx context.Context, t *testing.T, group, state string, sink *child) {
	t.Helper()
	for {
		described, err := e.adm.DescribeGroups(ctx, group)
		if err != nil {
			t.Fatalf("describe group %s: %v", group, err)
		}
		if described[group].State == state {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("group %s is %s, not %s: %v", group, described[group].State, state, ctx.Err())
		case <-sink.done:
			t.Fatalf("sink exited %d; stderr:\n%s", sink.state.ExitCode(), sink.stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// signalPending says whether sig is pending for the process: sent, not yet
// taken by its handler.
func signalPending(c *child, sig syscall.Signal) bool {
	return procSigMask(c, "ShdPnd:")&(1<<(sig-1)) != 0 || procSigMask(c, "SigPnd:")&(1<<(sig-1)) != 0
}

// hasSocket says whether the process has a socket open.
func hasSocket(c *child) bool {
	fds, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", c.cmd.Process.Pid))
	for _, fd := range fds {
		if target, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", c.cmd.Process.Pid, fd.Name())); err == nil && strings.HasPrefix(target, "socket:") {
			return true
		}
	}
	return false
}

// procSigMask reads a signal mask line of /proc/<pid>/status.
func procSigMask(c *child, field string) uint64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", c.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field); ok {
			m, _ := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			return m
		}
	}
	return 0
}

// ---- a TCP proxy to make S3 slow or dead --------------------------------

type proxyMode int32

const (
	proxyForward proxyMode = iota
	proxyHang              // accept, read, never answer: a slow S3
	proxyReset             // accept and close at once: a dead S3 behind a balancer
)

// tcpProxy forwards connections to target until set to another mode; then
// it breaks the connections it forwards, and treats new ones as the mode
// says. It counts the connections it failed.
type tcpProxy struct {
	ln     net.Listener
	target string
	mode   atomic.Int32
	failed atomic.Int64
	mu     sync.Mutex
	conns  map[net.Conn]bool // guarded by mu: open connections, both sides
}

func startProxy(t *testing.T, target string) *tcpProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &tcpProxy{ln: ln, target: target, conns: map[net.Conn]bool{}}
	t.Cleanup(func() {
		ln.Close()
		p.closeAll()
	})
	go p.serve()
	return p
}

func (p *tcpProxy) addr() string { return p.ln.Addr().String() }

// set changes the mode and closes the connections open, so that the next
// requests meet the new mode.
func (p *tcpProxy) set(m proxyMode) {
	p.mode.Store(int32(m))
	p.closeAll()
}

func (p *tcpProxy) closeAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.conns {
		c.Close()
	}
	clear(p.conns)
}

func (p *tcpProxy) track(c net.Conn) {
	p.mu.Lock()
	p.conns[c] = true
	p.mu.Unlock()
}

func (p *tcpProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		switch proxyMode(p.mode.Load()) {
		case proxyHang:
			p.failed.Add(1)
			p.track(c)
			go io.Copy(io.Discard, c)
		case proxyReset:
			p.failed.Add(1)
			if tc, ok := c.(*net.TCPConn); ok {
				tc.SetLinger(0)
			}
			c.Close()
		default:
			up, err := net.Dial("tcp", p.target)
			if err != nil {
				c.Close()
				continue
			}
			p.track(c)
			p.track(up)
			go func() {
				io.Copy(up, c)
				up.Close()
			}()
			go func() {
				io.Copy(c, up)
				c.Close()
			}()
		}
	}
}
