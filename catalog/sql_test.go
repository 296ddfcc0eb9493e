package catalog

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// doubledQuote is code that escapes a quote by doubling it, as SQL does.
var doubledQuote = regexp.MustCompile(`"''"|` + "`\"\"`" + `|"\\"\\""`)

// notSQL are the lines, outside this package, that double quotes for
// something else than SQL.
var notSQL = []string{
	"b.WriteString(`\"` + strings.ReplaceAll(*v, `\"`, `\"\"`) + `\"`)", // emulate: Athena's result CSV
}

// TestSQLIsQuotedInOnePlace: no code of the module but QuoteIdent and
// QuoteLiteral escapes quotes for SQL, so that their tests (and
// TestHostileSymbols, TestDuckDBHostileNames through the engine) cover every
// name and value put into SQL.
func TestSQLIsQuotedInOnePlace(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("the module's root is not the parent of the catalog package: %v", err)
	}
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if d.IsDir() {
			// mutate/ holds the quoting code as text, to break it.
			if rel != "." && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || rel == "mutate") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") || rel == filepath.Join("catalog", "sql.go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
	lines:
		for i, line := range strings.Split(string(b), "\n") {
			if !doubledQuote.MatchString(line) {
				continue
			}
			for _, ok := range notSQL {
				if strings.Contains(line, ok) {
					continue lines
				}
			}
			t.Errorf("%s:%d quotes SQL itself: use catalog.QuoteIdent or catalog.QuoteLiteral\n\t%s", rel, i+1, strings.TrimSpace(line))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
