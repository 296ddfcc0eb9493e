package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// cloudCmd runs the binary in cloud mode with the AWS SDK pointed at the
// emulator the way a user points it at LocalStack: AWS_ENDPOINT_URL and
// dummy credentials, nothing else.
func cloudCmd(t *testing.T, emu *emulator, dataDir string, args ...string) (string, string, int) {
	t.Helper()
	all := append([]string{"--mode", "cloud", "--brokers", strings.Join(emu.ep.KafkaBrokers, ","), "--data-dir", dataDir}, args...)
	return pipelineCmdEnv(t, []string{"AWS_ENDPOINT_URL=" + emu.ep.S3, "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test",
		"AWS_REGION=us-east-1", "AWS_EC2_METADATA_DISABLED=true"}, all...)
}

// TestCloudModeAgainstEmulator runs the cloud code paths — the Glue catalog
// adapter, the Athena engine, a Glue crawler — unchanged against `pipeline
// emulate`, which speaks the AWS wire protocols.
func TestCloudModeAgainstEmulator(t *testing.T) {
	emu := startEmulator(t, filepath.Join(t.TempDir(), "emu"))
	work := t.TempDir() // cloud mode keeps only the crawler's state here
	must := func(args ...string) string {
		t.Helper()
		out, errOut, code := cloudCmd(t, emu, work, args...)
		if code != 0 {
			t.Fatalf("pipeline %s: exit %d: %s", strings.Join(args, " "), code, errOut)
		}
		return out
	}
	out := must("setup")
	if !strings.Contains(out, "ok  Athena workgroup  primary") {
		t.Fatalf("setup output:\n%s", out)
	}
	must("setup") // idempotent

	out = must("run", "--events", "3000", "--rate", "0")
	for _, want := range []string{"last_price", "AAPL", "events produced: 3000", "rows queryable: 3000"} {
		if !strings.Contains(out, want) {
			t.Errorf("cloud run output lacks %q:\n%s", want, out)
		}
	}
	// The Glue crawler route: a crawler made and started by `crawl --glue-crawler`.
	must("crawl", "--glue-crawler", "paper-crawler", "--role", "arn:aws:iam::000000000000:role/glue")

	out = must("query", "--output", "csv", "SELECT count(*) AS n, count(DISTINCT symbol) AS s FROM stock_topic")
	if out != "n,s\n3000,20\n" {
		t.Fatalf("cloud query = %q", out)
	}
	// Bad SQL through Athena: one clear line.
	_, errOut, code := cloudCmd(t, emu, work, "query", "SELECT nope FROM stock_topic")
	oneClearLine(t, errOut, code, "nope")

	// The same answer from the local engine over the same data.
	out, _, _ = pipelineCmd(t, "query", "--data-dir", emu.dir, "--output", "csv", "SELECT count(*) AS n, count(DISTINCT symbol) AS s FROM stock_topic")
	if out != "n,s\n3000,20\n" {
		t.Fatalf("local query over the cloud run's data = %q", out)
	}
}

// TestSetupPrintChangesNothing: the plan and the IAM policy, with no
// endpoint to talk to and nothing created.
func TestSetupPrintChangesNothing(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	out, errOut, code := pipelineCmd(t, "--mode", "cloud", "--bucket", "my-ticks", "setup", "--print")
	if code != 0 {
		t.Fatalf("setup --print: exit %d: %s", code, errOut)
	}
	for _, want := range []string{"s3://my-ticks", "Athena workgroup  primary", `"s3:PutObject"`, `"arn:aws:s3:::my-ticks/stock_topic/*"`,
		`"glue:BatchCreatePartition"`, `"athena:StartQueryExecution"`, `"kafka-cluster:WriteData"`, "\nsink: pipeline sink\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("setup --print lacks %s:\n%s", want, out)
		}
	}
	if _, _, code := pipelineCmd(t, "--data-dir", dir, "setup", "--print"); code != 0 {
		t.Fatal("local setup --print failed")
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("setup --print created %s", dir)
	}
}
