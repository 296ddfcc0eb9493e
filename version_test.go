package main

import (
	"regexp"
	"testing"
)

// TestVersion: --version says the version, the Go toolchain and platform and
// the DuckDB library, on one line, and exits 0; -v stays --verbose.
func TestVersion(t *testing.T) {
	out, errOut, code := pipelineCmd(t, "--version")
	want := regexp.MustCompile(`^pipeline version \S+ \((commit [0-9a-f]+(-dirty)?, built \S+, )?go1\.\d+\S* [a-z0-9]+/[a-z0-9]+, DuckDB v\d+\.\d+\.\d+\)\n$`)
	if code != 0 || !want.MatchString(out) {
		t.Fatalf("--version: exit %d, stdout %q, stderr %q; want a line matching %s", code, out, errOut, want)
	}
	if _, errOut, code := pipelineCmd(t, "-v", "status", "--output", "yaml"); code == 0 || regexp.MustCompile(`version`).MatchString(errOut) {
		t.Fatalf("-v is not --verbose: exit %d, stderr %q", code, errOut)
	}
}

// TestReleaseVersion: what make release sets with -ldflags -X is what
// --version says.
func TestReleaseVersion(t *testing.T) {
	old := [3]string{releaseVersion, releaseCommit, releaseDate}
	defer func() { releaseVersion, releaseCommit, releaseDate = old[0], old[1], old[2] }()
	releaseVersion, releaseCommit, releaseDate = "v1.2.3", "0123456789abcdef0123", "2026-12-01T10:00:00Z"
	want := regexp.MustCompile(`^v1\.2\.3 \(commit 0123456789ab(-dirty)?, built 2026-12-01T10:00:00Z, go1\.\S+ \S+, DuckDB v\d+\.\d+\.\d+\)$`)
	if got := version(); !want.MatchString(got) {
		t.Errorf("version() = %q, want %s", got, want)
	}
}
