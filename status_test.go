package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"pipeline/observe"
)

// TestStatusAfterARun: `pipeline status` of a run's data dir says what the
// run printed: every event produced, committed and counted by the crawl.
func TestStatusAfterARun(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	if _, errOut, code := pipelineCmd(t, "run", "--events", "3000", "--rate", "0", "--data-dir", dir, "--quiet"); code != 0 {
		t.Fatalf("run exited %d: %s", code, errOut)
	}
	out, errOut, code := pipelineCmd(t, "status", "--data-dir", dir, "--output", "json")
	if code != 0 {
		t.Fatalf("status exited %d: %s", code, errOut)
	}
	var st observe.Status
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("status --output json: %v\n%s", err, out)
	}
	if st.Kafka == nil || st.Kafka.Ends() != 3000 || st.Kafka.Committed() != 3000 || st.Kafka.Lag() != 0 {
		t.Errorf("kafka = %+v, want 3000 produced and committed", st.Kafka)
	}
	if len(st.Tables) != 1 || st.Tables[0].Rows != 3000 || st.Tables[0].RowsEstimated || st.Tables[0].Objects == nil || *st.Tables[0].Objects == 0 || len(st.Tables[0].Partitions) != 1 {
		t.Errorf("tables = %+v, want stock_topic with 3000 rows", st.Tables)
	}
	if st.DeadLetters.Objects == nil || *st.DeadLetters.Objects != 0 {
		t.Errorf("dead letters = %+v, want none", st.DeadLetters)
	}
}

// TestStatusOnlyReads: status of a data dir that does not exist says so and
// creates nothing; of a bucket that does not exist, it says so and does not
// create it.
func TestStatusOnlyReads(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	out, errOut, code := pipelineCmd(t, "status", "--data-dir", dir)
	if code == 0 || !strings.Contains(errOut, "is not a data dir") || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
		t.Errorf("status of a missing data dir: exit %d, stdout %q, stderr %q; want one line and a non-zero exit", code, out, errOut)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("status created %s (%v)", dir, err)
	}
	if _, errOut, code := pipelineCmd(t, "run", "--events", "100", "--rate", "0", "--data-dir", dir, "--quiet"); code != 0 {
		t.Fatalf("run exited %d: %s", code, errOut)
	}
	out, errOut, code = pipelineCmd(t, "status", "--data-dir", dir, "--bucket", "no-such-bucket", "--topic", "no-such-topic")
	if code == 0 || !strings.Contains(out, `S3 bucket "no-such-bucket" does not exist`) || strings.Contains(out, ": none") || !strings.Contains(out+errOut, "no-such-topic") {
		t.Errorf("status of a missing bucket and topic: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if !strings.Contains(out+errOut, `kafka topic "no-such-topic": topic does not exist`) {
		t.Errorf("status did not report the topic missing (did it create it?): stdout %q, stderr %q", out, errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, "s3", "no-such-bucket")); !os.IsNotExist(err) {
		t.Errorf("status created the bucket (%v)", err)
	}
}

// TestStoppedEmulator: with the emulator serving the data dir stopped
// (SIGSTOP: it takes connections and never answers), status names what did
// not answer and exits 1, and ui says the S3 endpoint did not answer,
// instead of hanging until the emulator resumes.
func TestStoppedEmulator(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	emu := startEmulator(t, dir)
	emu.signal(syscall.SIGSTOP)
	defer emu.signal(syscall.SIGCONT) // so that the cleanup can stop it
	type result struct {
		out, errOut string
		code        int
	}
	status, ui := make(chan result, 1), make(chan result, 1)
	go func() {
		out, errOut, code := pipelineCmd(t, "status", "--data-dir", dir)
		status <- result{out, errOut, code}
	}()
	go func() {
		out, errOut, code := pipelineCmd(t, "ui", "--data-dir", dir, "--addr", "127.0.0.1:0")
		ui <- result{out, errOut, code}
	}()
	for name, ch := range map[string]chan result{"status": status, "ui": ui} {
		select {
		case r := <-ch:
			switch name {
			case "status":
				if r.code != 1 || !strings.Contains(r.out, "Kafka: Kafka did not answer") || !strings.Contains(r.out, "S3 did not answer") {
					t.Errorf("status: exit %d, stdout %q, stderr %q", r.code, r.out, r.errOut)
				}
			case "ui":
				oneClearLine(t, r.errOut, r.code, "did not answer in 10s: is its emulator running, not stopped?")
			}
		case <-time.After(2 * time.Minute):
			t.Fatalf("%s still waits for the stopped emulator after 2 minutes", name)
		}
	}
}
