package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"pipeline/observe"
)

// TestStatusAfterARun: `pipeline status` of a run's data dir says what the
// run printed: every event produced, committed and counted by the crawl.
func TestStatusAfterARun(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	if out, errOut, code := pipelineCmd(t, "status", "--data-dir", dir); code != 0 || !strings.Contains(out, "no tables yet") {
		t.Fatalf("status of a new data dir: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
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
	if len(st.Tables) != 1 || st.Tables[0].Rows != 3000 || st.Tables[0].RowsEstimated || st.Tables[0].Objects == 0 || len(st.Tables[0].Partitions) != 1 {
		t.Errorf("tables = %+v, want stock_topic with 3000 rows", st.Tables)
	}
	if st.DeadLetters.Objects != 0 {
		t.Errorf("dead letters = %+v, want none", st.DeadLetters)
	}
}
