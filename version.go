package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"

	"pipeline/sqlq/duckdb"
)

// Set by the release build (make release) with -ldflags -X; a plain go build
// leaves them empty and version() falls back on what Go records of the build.
var (
	releaseVersion string
	releaseCommit  string
	releaseDate    string // the commit's time, so that the same commit builds the same binary
)

// version is what `pipeline --version` prints after "pipeline version ":
// the release (or the module's version as Go recorded it), the commit and
// its date, the Go toolchain and platform, and the DuckDB library linked in.
func version() string {
	v, commit, date, modified := releaseVersion, releaseCommit, releaseDate, false
	if bi, ok := debug.ReadBuildInfo(); ok {
		if v == "" {
			v = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				if commit == "" {
					commit = s.Value
				}
			case "vcs.time":
				if date == "" {
					date = s.Value
				}
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
	}
	v = strings.TrimSpace(v)
	if v == "" {
		v = "(devel)"
	}
	var parts []string
	if commit != "" {
		if len(commit) > 12 {
			commit = commit[:12]
		}
		if modified {
			commit += "-dirty"
		}
		parts = append(parts, "commit "+commit)
	}
	if date != "" {
		parts = append(parts, "built "+date)
	}
	parts = append(parts, runtime.Version()+" "+runtime.GOOS+"/"+runtime.GOARCH, "DuckDB "+duckdb.Version())
	return fmt.Sprintf("%s (%s)", v, strings.Join(parts, ", "))
}
