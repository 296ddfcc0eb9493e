// Command mutate proves the README's guarantees by breaking them: for each
// mutation in mutations.go it edits the code that keeps a guarantee, in a
// copy of the module (never the working tree), runs the tests that must
// then fail, and reports each mutation as killed (every named test failed),
// survived (a named test passed or was skipped) or broken (its code is no
// longer there to break, it does not build, or a named test did not run).
// It exits 1 unless every mutation is killed. `make mutate` runs it.
//
//	go run ./mutate [-run REGEXP] [-list] [-timeout 10m] [-keep]
//
// A mutation is anchored by code, not by line: each edit's text must occur
// exactly once among its package's non-test Go files, so moving code keeps
// a mutation valid and changing it makes the list say so.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"
)

func main() {
	run := flag.String("run", "", "only the mutations whose name matches this regular expression")
	list := flag.Bool("list", false, "print the mutations and the tests each must fail, and exit")
	timeout := flag.Duration("timeout", 10*time.Minute, "bound of one test run")
	keep := flag.Bool("keep", false, "keep the copy of the module and the tests' logs")
	flag.Parse()
	if err := mainErr(*run, *list, *timeout, *keep); err != nil {
		fmt.Fprintln(os.Stderr, "mutate:", err)
		os.Exit(1)
	}
}

func mainErr(run string, list bool, timeout time.Duration, keep bool) error {
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	re, err := regexp.Compile(run)
	if err != nil {
		return fmt.Errorf("-run %q: %w", run, err)
	}
	var ms []mutation
	for _, m := range mutations {
		if re.MatchString(m.name) {
			ms = append(ms, m)
		}
	}
	if len(ms) == 0 {
		return fmt.Errorf("no mutation matches -run %q", run)
	}
	if list {
		for _, m := range ms {
			fmt.Printf("%s (%s): %s\n", m.name, m.pkg, strings.Join(testNames(m.tests), ", "))
		}
		return nil
	}
	// Check the whole list before spending minutes on it.
	var problems []error
	for _, m := range ms {
		if _, err := m.apply(root); err != nil {
			problems = append(problems, err)
		}
	}
	if err := checkTestsExist(root, ms); err != nil {
		problems = append(problems, err)
	}
	if len(problems) > 0 {
		return errors.Join(problems...)
	}

	work, err := os.MkdirTemp("", "mutate-*")
	if err != nil {
		return err
	}
	if keep {
		fmt.Printf("the copy and the logs are kept in %s\n", work)
	} else {
		defer os.RemoveAll(work)
	}
	tree := filepath.Join(work, "module")
	if err := copyModule(root, tree); err != nil {
		return fmt.Errorf("copy the module: %w", err)
	}
	logs := filepath.Join(work, "logs")
	if err := os.MkdirAll(logs, 0o755); err != nil {
		return err
	}

	start := time.Now()
	counts := map[string]int{}
	for i, m := range ms {
		r := m.run(tree, logs, i+1, timeout)
		counts[r.outcome]++
		fmt.Printf("[%2d/%d] %-8s %6s  %s (%s)\n", i+1, len(ms), r.outcome, r.took.Round(time.Second), m.name, m.row)
		for _, l := range r.lines {
			fmt.Println("         " + l)
		}
	}
	fmt.Printf("%d mutations in %s: %d killed, %d survived, %d broken\n", len(ms), time.Since(start).Round(time.Second),
		counts[killed], counts[survived], counts[broken])
	if counts[killed] != len(ms) {
		if !keep {
			fmt.Println("run again with -keep (and -run NAME) to keep the tests' logs")
		}
		return errors.New("a guarantee's tests did not catch the code that keeps it being broken")
	}
	return nil
}

// mutation is one way of breaking the code that keeps a guarantee.
type mutation struct {
	name  string // what is broken, in a few words
	row   string // the README Guarantees row it proves: the start of the row's promise
	pkg   string // the package directory of the edits, relative to the module root
	edits []edit
	tests []test // each must fail
}

// edit replaces from, which must occur exactly once among the package's
// non-test Go files, with to.
type edit struct{ from, to string }

// test is a test, subtest ("TestX/sub_name", as go test names it) or fuzz
// target run as a test (its seeds), in package pkg (a directory relative to
// the module root, "." for the root); args are more flags for the test
// binary (e.g. -long), and fuzz, if set, fuzzes it for that -fuzztime
// instead.
type test struct {
	pkg, name string
	args      []string
	fuzz      string
}

func (t test) String() string {
	s := t.name
	if t.pkg != "." {
		s = t.pkg + "." + t.name
	}
	if t.fuzz != "" {
		s += " (fuzzed " + t.fuzz + ")"
	}
	return s + strings.Join(append([]string{""}, t.args...), " ")
}

func testNames(ts []test) []string {
	var out []string
	for _, t := range ts {
		out = append(out, t.String())
	}
	return out
}

// apply returns the files of m's package under root with m's edits made
// (path relative to root -> content), or which edit no longer fits.
func (m mutation) apply(root string) (map[string][]byte, error) {
	dir := filepath.Join(root, m.pkg)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("mutation %q: %w", m.name, err)
	}
	out := map[string][]byte{}
	for i, e := range m.edits {
		var found []string
		for _, de := range entries {
			n := de.Name()
			if de.IsDir() || !strings.HasSuffix(n, ".go") || strings.HasSuffix(n, "_test.go") {
				continue
			}
			rel := filepath.Join(m.pkg, n)
			b, ok := out[rel]
			if !ok {
				if b, err = os.ReadFile(filepath.Join(dir, n)); err != nil {
					return nil, err
				}
			}
			switch c := bytes.Count(b, []byte(e.from)); {
			case c == 1:
				found = append(found, rel)
				out[rel] = bytes.Replace(b, []byte(e.from), []byte(e.to), 1)
			case c > 1:
				found = append(found, rel, rel)
			}
		}
		if len(found) != 1 {
			return nil, fmt.Errorf("mutation %q, edit %d: its code occurs %d times in package %s, want once: update mutate/mutations.go to the code as it is now\n%s",
				m.name, i+1, len(found), m.pkg, indent(e.from))
		}
	}
	return out, nil
}

func indent(s string) string {
	return "\t| " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n\t| ")
}

// checkTestsExist fails if a named test, or the test holding a named
// subtest, is not in its package: go test -run matches nothing then, and
// passes.
func checkTestsExist(root string, ms []mutation) error {
	want := map[string][]string{}
	for _, m := range ms {
		for _, t := range m.tests {
			top, _, _ := strings.Cut(t.name, "/")
			if !slices.Contains(want[t.pkg], top) {
				want[t.pkg] = append(want[t.pkg], top)
			}
		}
	}
	var missing []string
	for pkg, names := range want {
		cmd := exec.Command("go", "test", "-list", ".", "./"+pkg)
		cmd.Dir = root
		out, err := cmd.Output()
		if err != nil {
			return fmt.Errorf("go test -list ./%s: %w", pkg, err)
		}
		have := strings.Fields(string(out))
		for _, n := range names {
			if !slices.Contains(have, n) {
				missing = append(missing, pkg+"."+n)
			}
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return fmt.Errorf("named tests that do not exist (renamed or removed? update mutate/mutations.go): %s", strings.Join(missing, ", "))
	}
	return nil
}

// copyModule copies the files git would commit (tracked or not ignored)
// from root to dst.
func copyModule(root, dst string) error {
	cmd := exec.Command("git", "ls-files", "-z", "--cached", "--others", "--exclude-standard")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("git ls-files: %w", err)
	}
	for _, rel := range strings.Split(strings.TrimRight(string(out), "\x00"), "\x00") {
		src := filepath.Join(root, rel)
		fi, err := os.Lstat(src)
		if errors.Is(err, fs.ErrNotExist) {
			continue // deleted in the working tree
		}
		if err != nil {
			return err
		}
		if !fi.Mode().IsRegular() {
			continue
		}
		b, err := os.ReadFile(src)
		if err != nil {
			return err
		}
		to := filepath.Join(dst, rel)
		if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(to, b, fi.Mode().Perm()); err != nil {
			return err
		}
	}
	return nil
}

// moduleRoot is the directory of the main module's go.mod.
func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("not in a Go module: run it from the repository")
	}
	return filepath.Dir(gomod), nil
}

const (
	killed   = "killed"
	survived = "SURVIVED"
	broken   = "BROKEN"
)

type result struct {
	outcome string
	took    time.Duration
	lines   []string // what to tell about each test
}

// run applies m to the copy at tree, runs its tests, and puts the copy back.
func (m mutation) run(tree, logs string, n int, timeout time.Duration) result {
	start := time.Now()
	res := result{outcome: killed}
	fail := func(outcome, line string) {
		if res.outcome != broken {
			res.outcome = outcome
		}
		res.lines = append(res.lines, line)
	}
	files, err := m.apply(tree)
	if err != nil {
		return result{outcome: broken, took: time.Since(start), lines: []string{err.Error()}}
	}
	originals := map[string][]byte{}
	for rel, b := range files {
		orig, err := os.ReadFile(filepath.Join(tree, rel))
		if err == nil {
			originals[rel] = orig
			err = os.WriteFile(filepath.Join(tree, rel), b, 0o644)
		}
		if err != nil {
			return result{outcome: broken, took: time.Since(start), lines: []string{err.Error()}}
		}
	}
	corpora := fuzzCorpora(tree, m.tests)
	defer func() {
		for rel, b := range originals {
			os.WriteFile(filepath.Join(tree, rel), b, 0o644)
		}
		removeNewFiles(corpora)
	}()

	bins := map[string]string{} // package -> its test binary
	for i, t := range m.tests {
		log := filepath.Join(logs, fmt.Sprintf("%02d-%d-%s.log", n, i+1, strings.NewReplacer("/", "_", ".", "_").Replace(t.String())))
		var st testStatus
		var err error
		if t.fuzz != "" {
			st, err = runFuzz(tree, t, log, timeout)
		} else {
			bin, ok := bins[t.pkg]
			if !ok {
				bin = filepath.Join(tree, ".mutate", strings.ReplaceAll(filepath.Join("module", t.pkg), "/", "_")+".test")
				if err = buildTest(tree, t.pkg, bin, log); err != nil {
					fail(broken, fmt.Sprintf("%s: the mutated code does not build (%v): see %s", t, err, log))
					continue
				}
				bins[t.pkg] = bin
			}
			st, err = runTest(tree, bin, t, log, timeout)
		}
		switch {
		case err != nil:
			fail(broken, fmt.Sprintf("%s: %v", t, err))
		case !st.ran:
			fail(broken, fmt.Sprintf("%s did not run: no such subtest? (%s)", t, log))
		case st.result == "fail":
			res.lines = append(res.lines, fmt.Sprintf("%s failed", t))
		case st.result == "skip":
			fail(survived, fmt.Sprintf("%s was SKIPPED: %s (%s)", t, st.why, log))
		default:
			fail(survived, fmt.Sprintf("%s PASSED (%s)", t, log))
		}
	}
	res.took = time.Since(start)
	return res
}

// buildTest compiles the test binary of pkg in tree. Its error ends with
// the compiler's first line, for a CI log that keeps only the output.
func buildTest(tree, pkg, bin, log string) error {
	cmd := exec.Command("go", "test", "-c", "-vet=off", "-o", bin, "./"+pkg)
	cmd.Dir = tree
	out, err := cmd.CombinedOutput()
	os.WriteFile(log, out, 0o644)
	if err != nil {
		for l := range strings.Lines(string(out)) {
			if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
				return fmt.Errorf("%w: %s", err, l)
			}
		}
	}
	return err
}

// testStatus is what became of one test in a run.
type testStatus struct {
	ran    bool
	result string // pass, fail, skip, or "" if the binary died with it running (a panic, the timeout): a failure
	why    string // a skip's message
}

// runTest runs one test of a test binary, in its package's directory as go
// test does, and reads its fate from test2json's events.
func runTest(tree, bin string, t test, log string, timeout time.Duration) (testStatus, error) {
	var pattern []string
	for _, part := range strings.Split(t.name, "/") {
		pattern = append(pattern, "^"+regexp.QuoteMeta(part)+"$")
	}
	args := []string{"tool", "test2json", "-t", bin, "-test.v=test2json", "-test.count=1",
		"-test.timeout=" + timeout.String(), "-test.run=" + strings.Join(pattern, "/")}
	cmd := exec.Command("go", append(args, t.args...)...)
	cmd.Dir = filepath.Join(tree, t.pkg)
	out, err := cmd.Output()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		return testStatus{}, err
	}
	var st testStatus
	var text strings.Builder
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		var ev struct{ Action, Test, Output string }
		if json.Unmarshal(sc.Bytes(), &ev) != nil {
			continue
		}
		text.WriteString(ev.Output)
		if ev.Test != t.name {
			continue
		}
		switch ev.Action {
		case "run":
			st.ran = true
		case "pass", "fail", "skip":
			st.result = ev.Action
		case "output":
			if strings.Contains(ev.Output, ": ") && !strings.HasPrefix(strings.TrimSpace(ev.Output), "---") {
				st.why = strings.TrimSpace(ev.Output)
			}
		}
	}
	os.WriteFile(log, []byte(text.String()), 0o644)
	if st.ran && st.result == "" {
		st.result = "fail" // the binary died while it ran
	}
	return st, nil
}

// runFuzz fuzzes t for t.fuzz; a failure is what the fuzzer found.
func runFuzz(tree string, t test, log string, timeout time.Duration) (testStatus, error) {
	cmd := exec.Command("go", append([]string{"test", "-vet=off", "-run", "^$", "-fuzz", "^" + regexp.QuoteMeta(t.name) + "$",
		"-fuzztime", t.fuzz, "-timeout", timeout.String(), "./" + t.pkg}, t.args...)...)
	cmd.Dir = tree
	out, err := cmd.CombinedOutput()
	os.WriteFile(log, out, 0o644)
	var exit *exec.ExitError
	switch {
	case err == nil:
		return testStatus{ran: true, result: "pass"}, nil
	case !errors.As(err, &exit):
		return testStatus{}, err
	case bytes.Contains(out, []byte("--- FAIL: "+t.name)):
		return testStatus{ran: true, result: "fail"}, nil
	}
	return testStatus{}, fmt.Errorf("go test -fuzz failed without a failing input: see %s", log)
}

// fuzzCorpora lists the fuzz corpus directories of the fuzzed tests and
// the files they hold now.
func fuzzCorpora(tree string, ts []test) map[string][]string {
	out := map[string][]string{}
	for _, t := range ts {
		if t.fuzz == "" {
			continue
		}
		dir := filepath.Join(tree, t.pkg, "testdata", "fuzz", t.name)
		entries, _ := os.ReadDir(dir)
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		out[dir] = names
	}
	return out
}

// removeNewFiles removes what the fuzzer wrote into the corpora: the
// inputs that fail the mutated code, which would fail the next mutation's
// runs of the same test.
func removeNewFiles(corpora map[string][]string) {
	for dir, had := range corpora {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if !slices.Contains(had, e.Name()) {
				os.RemoveAll(filepath.Join(dir, e.Name()))
			}
		}
	}
}
