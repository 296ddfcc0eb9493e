package main

import (
	"bufio"
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

	"github.com/urfave/cli/v3"

	pipeaws "pipeline/aws"
	"pipeline/catalog"
	"pipeline/pipeline"
)

// TestDeployIAMPolicy: deploy/iam-policy.json is what `setup --print` prints
// for the bucket the deploy files name.
func TestDeployIAMPolicy(t *testing.T) {
	b, err := os.ReadFile("deploy/iam-policy.json")
	if err != nil {
		t.Fatal(err)
	}
	if want := pipeaws.Policy("my-stock-bucket", catalog.Database, "primary") + "\n"; string(b) != want {
		t.Errorf("deploy/iam-policy.json differs from `pipeline --mode=cloud --bucket my-stock-bucket setup --print`; write it again:\n%s", want)
	}
}

// TestDeployServicePolicies: each unit's policy file is what its service
// needs and no more: the producer touches Kafka only, the sink reads one
// topic as its group and writes objects, and neither may delete.
func TestDeployServicePolicies(t *testing.T) {
	for file, want := range map[string]string{
		"deploy/iam-policy-producer.json": pipeaws.ProducerPolicy(pipeline.Topic),
		"deploy/iam-policy-sink.json":     pipeaws.SinkPolicy("my-stock-bucket", pipeline.Topic, pipeline.DefaultSinkOptions.Group),
	} {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != want+"\n" {
			t.Errorf("%s differs from the policy of its service; write it again:\n%s", file, want)
		}
		for _, never := range []string{"s3:DeleteObject", "glue:", "athena:", "iam:", `topic/*"`, `group/*"`} {
			if strings.Contains(want, never) {
				t.Errorf("%s allows %s", file, never)
			}
		}
	}
	if p := pipeaws.ProducerPolicy(pipeline.Topic); strings.Contains(p, "s3:") || !strings.Contains(p, "kafka-cluster:WriteDataIdempotently") {
		t.Errorf("producer policy:\n%s", p)
	}
	if p := pipeaws.Policy("b", catalog.Database, "primary"); !strings.Contains(p, `"iam:PassRole"`) || !strings.Contains(p, `"iam:PassedToService": "glue.amazonaws.com"`) {
		t.Errorf("setup's policy does not let crawl --glue-crawler --role pass the role to Glue only:\n%s", p)
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
		var argv []string
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "ExecStart="); ok {
				argv = strings.Fields(v)
			}
		}
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

func findCommand(c *cli.Command, name string) *cli.Command {
	for _, sub := range c.Commands {
		if sub.Name == name {
			return sub
		}
	}
	return nil
}
