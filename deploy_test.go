package main

import (
	"bufio"
	"context"
	"debug/elf"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/urfave/cli/v3"

	pipeaws "pipeline/aws"
	"pipeline/pipeline"
)

// TestDeployIAMPolicy: deploy/iam-policy-sink.json and
// deploy/iam-policy-producer.json are the sink's and the producer's policies
// as `setup --print` prints them for the bucket the deploy files name.
func TestDeployIAMPolicy(t *testing.T) {
	var out strings.Builder
	if code := run(t.Context(), []string{"pipeline", "--mode", "cloud", "--bucket", "my-stock-bucket", "setup", "--print"}, &out, io.Discard); code != 0 {
		t.Fatalf("setup --print: exit %d", code)
	}
	for _, role := range []string{"sink", "producer"} {
		b, err := os.ReadFile("deploy/iam-policy-" + role + ".json")
		if err != nil {
			t.Fatal(err)
		}
		_, rest, ok := strings.Cut(out.String(), "\n"+role+": ")
		_, rest, _ = strings.Cut(rest, "\n")
		want, _, _ := strings.Cut(rest, "\n}\n")
		if want += "\n}\n"; !ok || string(b) != want {
			t.Errorf("deploy/iam-policy-%s.json differs from the %s's policy in `pipeline --mode=cloud --bucket my-stock-bucket setup --print`; write it again:\n%s", role, role, want)
		}
	}
}

// TestDeployServicePolicies: each unit's policy file is what its service
// needs and no more: the producer touches Kafka only, the sink reads one
// topic as its group and writes its own folders and its table, neither may
// delete or create a bucket; and the crawler may hand a Glue crawler its
// role, to Glue only.
func TestDeployServicePolicies(t *testing.T) {
	never := map[string][]string{
		"producer": {"s3:", "glue:", "athena:", "iam:", `:topic/*"`, `:group/*"`},
		"sink":     {"s3:DeleteObject", "s3:CreateBucket", "athena:", "iam:", `:topic/*"`, `:group/*"`, `my-stock-bucket/*"`},
	}
	for role, nos := range never {
		b, err := os.ReadFile("deploy/iam-policy-" + role + ".json")
		if err != nil {
			t.Fatal(err)
		}
		for _, no := range nos {
			if strings.Contains(string(b), no) {
				t.Errorf("deploy/iam-policy-%s.json allows %s", role, no)
			}
		}
	}
	if b, err := os.ReadFile("deploy/iam-policy-producer.json"); err != nil || !strings.Contains(string(b), `"kafka-cluster:WriteDataIdempotently"`) {
		t.Errorf("the producer may not write idempotently, as franz-go's producer does: %v\n%s", err, b)
	}
	for _, p := range pipeaws.Policies(pipeaws.PolicyScope{Bucket: "b", Topic: pipeline.Topic, Group: "g", Database: "db", WorkGroup: "wg", Results: "s3://r/"}) {
		if strings.HasPrefix(p.Role, "crawler") && (!strings.Contains(p.Policy, `"iam:PassRole"`) || !strings.Contains(p.Policy, `"iam:PassedToService": "glue.amazonaws.com"`)) {
			t.Errorf("the crawler's policy does not let crawl --glue-crawler --role pass the role to Glue only:\n%s", p.Policy)
		}
	}
}

// TestReleaseRunsWhereTheREADMESays: the glibc and libstdc++ versions the
// binary needs are at most those the README names as the minimum.
func TestReleaseRunsWhereTheREADMESays(t *testing.T) {
	f, err := elf.Open(binary)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	syms, err := f.ImportedSymbols()
	if err != nil {
		t.Fatal(err)
	}
	need := map[string]string{} // GLIBC, GLIBCXX -> the highest version
	for _, s := range syms {
		lib, v, ok := strings.Cut(s.Version, "_")
		if ok && (lib == "GLIBC" || lib == "GLIBCXX") && versionLess(need[lib], v) {
			need[lib] = v
		}
	}
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`needs glibc (\d+\.\d+)`).FindSubmatch(readme)
	if m == nil {
		t.Fatal("README.md does not say which glibc the release needs (\"needs glibc X.Y\")")
	}
	if versionLess(string(m[1]), need["GLIBC"]) {
		t.Errorf("the binary needs GLIBC_%s; README.md says glibc %s", need["GLIBC"], m[1])
	}
	if v := need["GLIBCXX"]; v != "" {
		if m := regexp.MustCompile(`GLIBCXX_(\d+\.\d+\.\d+)`).FindSubmatch(readme); m == nil || versionLess(string(m[1]), v) {
			t.Errorf("the binary needs GLIBCXX_%s (libstdc++), and README.md does not say so", v)
		}
	}
	t.Logf("needs %v", need)
}

// versionLess compares dotted versions ("" is the least).
func versionLess(a, b string) bool {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := range max(len(as), len(bs)) {
		var x, y int
		if i < len(as) {
			x, _ = strconv.Atoi(as[i])
		}
		if i < len(bs) {
			y, _ = strconv.Atoi(bs[i])
		}
		if x != y {
			return x < y
		}
	}
	return false
}

// TestDeployUnits: every flag the systemd units pass is one the command
// takes, every variable the environment file sets is one a flag or the AWS
// SDK reads, and systemd itself (where installed) finds nothing wrong.
func TestDeployUnits(t *testing.T) {
	root := newCommand(io.Discard, io.Discard)
	envVars := map[string]bool{"KAFKA_PASSWORD": true} // read by openEnv, never a flag
	var walk func(c *cli.Command)
	walk = func(c *cli.Command) {
		for _, f := range c.Flags {
			if ef, ok := f.(interface{ GetEnvVars() []string }); ok {
				for _, v := range ef.GetEnvVars() {
					envVars[v] = true
				}
			}
		}
		for _, sub := range c.Commands {
			walk(sub)
		}
	}
	walk(root)

	units, _ := filepath.Glob("deploy/*.service")
	if len(units) != 2 {
		t.Fatalf("deploy units %v, want the producer's and the sink's", units)
	}
	for _, unit := range units {
		b, err := os.ReadFile(unit)
		if err != nil {
			t.Fatal(err)
		}
		argv := execStart(string(b))
		if len(argv) < 2 || argv[0] != "/usr/local/bin/pipeline" {
			t.Fatalf("%s: ExecStart %q, want /usr/local/bin/pipeline COMMAND ...", unit, argv)
		}
		cmd := root
		for _, a := range argv[1:] {
			if name, ok := strings.CutPrefix(a, "--"); ok {
				name, _, _ = strings.Cut(name, "=")
				if !hasFlag(root, name) && !hasFlag(cmd, name) {
					t.Errorf("%s: pipeline %s has no flag --%s", unit, cmd.Name, name)
				}
			} else if sub := findCommand(cmd, a); sub != nil {
				cmd = sub
			}
		}
		if cmd == root {
			t.Errorf("%s: ExecStart %q runs no command", unit, argv)
		}
		for _, want := range []string{"Restart=on-failure", "EnvironmentFile=/etc/pipeline/pipeline.env", "KillSignal=SIGTERM"} {
			if !strings.Contains(string(b), "\n"+want+"\n") {
				t.Errorf("%s lacks %s", unit, want)
			}
		}
	}

	f, err := os.Open("deploy/pipeline.env")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(sc.Text()), "#"))
		name, _, ok := strings.Cut(line, "=")
		if !ok || strings.ContainsAny(name, " :") {
			continue // a comment
		}
		if !envVars[name] && !strings.HasPrefix(name, "AWS_") {
			t.Errorf("deploy/pipeline.env sets %s, which nothing reads", name)
		}
	}

	if _, err := exec.LookPath("systemd-analyze"); err != nil {
		t.Log("systemd-analyze is not installed: the units' syntax is not checked by systemd")
		return
	}
	dir := t.TempDir()
	var copies []string
	for _, unit := range units {
		b, _ := os.ReadFile(unit)
		c := filepath.Join(dir, filepath.Base(unit))
		os.WriteFile(c, []byte(strings.ReplaceAll(string(b), "/usr/local/bin/pipeline", binary)), 0o644)
		copies = append(copies, c)
	}
	if out, err := exec.Command("systemd-analyze", slices.Concat([]string{"verify"}, copies)...).CombinedOutput(); err != nil || len(out) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
	// Sandboxed: systemd rates 0 (none exposed) to 10 (all); 2 is "OK".
	for _, c := range copies {
		out, _ := exec.Command("systemd-analyze", "security", "--offline=true", c).CombinedOutput()
		m := regexp.MustCompile(`Overall exposure level for \S+: (\d+\.\d+)`).FindSubmatch(out)
		if m == nil {
			t.Errorf("systemd-analyze security %s: no rating in:\n%s", filepath.Base(c), out)
		} else if v, _ := strconv.ParseFloat(string(m[1]), 64); v > 2 {
			t.Errorf("%s: exposure %s, want at most 2 (OK): %s", filepath.Base(c), m[1], out)
		}
	}
}

func hasFlag(c *cli.Command, name string) bool {
	for _, f := range c.Flags {
		if slices.Contains(f.Names(), name) {
			return true
		}
	}
	return false
}

// execStart is a systemd unit's ExecStart, split at blanks.
func execStart(unit string) []string {
	var argv []string
	for _, line := range strings.Split(unit, "\n") {
		if v, ok := strings.CutPrefix(line, "ExecStart="); ok {
			argv = strings.Fields(v)
		}
	}
	return argv
}

func findCommand(c *cli.Command, name string) *cli.Command {
	for _, sub := range c.Commands {
		if sub.Name == name {
			return sub
		}
	}
	return nil
}

// TestDeployProducerRunsUntilStopped: the producer's unit asks for no bound
// (with Restart=on-failure, a bounded producer that ends would stay
// stopped), and `--duration 0` is read as none, while no --duration at all
// keeps a demo's 10 seconds.
func TestDeployProducerRunsUntilStopped(t *testing.T) {
	b, err := os.ReadFile("deploy/pipeline-producer.service")
	if err != nil {
		t.Fatal(err)
	}
	argv := execStart(string(b))
	bound := func(args []string) pipeline.SimOptions {
		t.Helper()
		root := newCommand(io.Discard, io.Discard)
		var opts pipeline.SimOptions
		findCommand(root, "produce").Action = func(_ context.Context, cmd *cli.Command) (err error) {
			_, opts, _, err = simSetup(cmd)
			return err
		}
		if err := root.Run(t.Context(), args); err != nil {
			t.Fatalf("%q: %v", args, err)
		}
		return opts
	}
	if len(argv) == 0 {
		t.Fatal("deploy/pipeline-producer.service has no ExecStart")
	}
	if o := bound(argv); o.Duration != 0 || o.Events != 0 {
		t.Errorf("the producer's unit stops after %s or %d events; want it to run until stopped", o.Duration, o.Events)
	}
	if o := bound([]string{"pipeline", "produce"}); o.Duration != 10*time.Second {
		t.Errorf("produce with no bound: %s, want 10s", o.Duration)
	}
}
