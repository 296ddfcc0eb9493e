package main

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/urfave/cli/v3"
)

// pendingFlags are flags the deploy units use that this build does not
// define yet: the sink's static group membership (--instance-id) comes with
// the sink's fencing. A flag listed here is still checked once it exists.
var pendingFlags = map[string]bool{"instance-id": true}

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
				if !hasFlag(root, name) && !hasFlag(cmd, name) && !pendingFlags[name] {
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
