package main

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestMutationsFitTheCode: every edit of every mutation finds its code once,
// so that a change to the code a guarantee rests on makes the list say so
// here, in make test, rather than only in make mutate.
func TestMutationsFitTheCode(t *testing.T) {
	names := map[string]bool{}
	for _, m := range mutations {
		if names[m.name] {
			t.Errorf("two mutations named %q", m.name)
		}
		names[m.name] = true
		if len(m.tests) == 0 {
			t.Errorf("mutation %q names no test that must fail", m.name)
		}
		if _, err := m.apply(".."); err != nil {
			t.Error(err)
		}
	}
}

// guarantees returns the rows of the README's Guarantees table: each
// promise, and the tests and fuzz targets its last column names.
func guarantees(t *testing.T) (promises []string, tests map[string][]string) {
	t.Helper()
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(b), "\n## Guarantees\n")
	if !ok {
		t.Fatal("README.md has no Guarantees section")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	named := regexp.MustCompile("`((?:Test|Fuzz)[A-Za-z0-9_]*(?:/[^`]*)?\\*?)`")
	tests = map[string][]string{}
	for _, line := range strings.Split(section, "\n") {
		if !strings.HasPrefix(line, "| ") || strings.HasPrefix(line, "| promise |") {
			continue
		}
		cells := splitRow(line)
		if len(cells) != 3 {
			t.Fatalf("a Guarantees row of %d cells, want 3: %s", len(cells), line)
		}
		p := strings.TrimSpace(cells[0])
		promises = append(promises, p)
		for _, m := range named.FindAllStringSubmatch(cells[2], -1) {
			tests[p] = append(tests[p], strings.ReplaceAll(m[1], " ", "_"))
		}
	}
	if len(promises) == 0 {
		t.Fatal("the Guarantees table has no rows")
	}
	return promises, tests
}

// TestEveryGuaranteeIsBroken: each row of the README's Guarantees table has
// a mutation, each mutation proves a row, and each test the table names is
// one that some mutation must fail (or a subtest of it is).
func TestEveryGuaranteeIsBroken(t *testing.T) {
	promises, tests := guarantees(t)
	rowOf := func(m mutation) string {
		for _, p := range promises {
			if strings.HasPrefix(p, m.row) {
				return p
			}
		}
		return ""
	}
	broken := map[string]bool{}
	var mutated []string
	for _, m := range mutations {
		p := rowOf(m)
		if p == "" {
			t.Errorf("mutation %q proves row %q, which the README's Guarantees table does not have", m.name, m.row)
		}
		broken[p] = true
		for _, tc := range m.tests {
			mutated = append(mutated, tc.name)
		}
	}
	for _, p := range promises {
		if !broken[p] {
			t.Errorf("no mutation breaks the guarantee %q: add one to mutations.go", p)
		}
		for _, name := range tests[p] {
			found := false
			for _, n := range mutated {
				found = found || n == name || strings.HasPrefix(n, name+"/") ||
					strings.HasSuffix(name, "*") && strings.HasPrefix(n, strings.TrimSuffix(name, "*"))
			}
			if !found {
				t.Errorf("the Guarantees table names %s for %q, but no mutation shows that it fails when the code breaks", name, p)
			}
		}
	}
}

// splitRow splits a Markdown table row into its cells, keeping a | inside
// backticks.
func splitRow(line string) []string {
	var cells []string
	var cur strings.Builder
	code := false
	for _, r := range strings.TrimSpace(line)[1:] {
		switch {
		case r == '`':
			code = !code
		case r == '|' && !code:
			cells = append(cells, cur.String())
			cur.Reset()
			continue
		}
		cur.WriteRune(r)
	}
	return cells
}
