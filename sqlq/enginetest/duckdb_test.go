package enginetest_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"pipeline/catalog"
	"pipeline/sqlq"
	"pipeline/sqlq/duckdb"
	"pipeline/sqlq/enginetest"
)

// TestDuckDB runs the suite on the DuckDB engine over a file catalog, with
// the table files laid out as the emulated S3 keeps them. The Athena
// adapter runs it in package aws, against the emulated Athena.
func TestDuckDB(t *testing.T) {
	enginetest.Run(t, func(t *testing.T) enginetest.Harness {
		fc, err := catalog.OpenFileCatalog(filepath.Join(t.TempDir(), "catalog"))
		if err != nil {
			t.Fatal(err)
		}
		root := filepath.Join(t.TempDir(), "s3")
		// Plain files named by their keys: the engine reads a folder's
		// files by extension, whatever else their names hold.
		localPath := func(bucket, key string) (string, error) {
			for _, seg := range append([]string{bucket}, strings.Split(key, "/")...) {
				if seg == ".." || seg == "." {
					return "", fmt.Errorf("bad key %q", key)
				}
			}
			return filepath.Join(root, bucket, filepath.FromSlash(key)), nil
		}
		cat := catalog.New(fc)
		return enginetest.Harness{
			Catalog:    cat,
			ObjectPath: localPath,
			LocalDir:   localPath,
			Open: func(t *testing.T) sqlq.Engine {
				eng, err := duckdb.Open(t.Context(), cat, &duckdb.Options{Database: enginetest.Database, LocalDir: localPath})
				if err != nil {
					t.Fatal(err)
				}
				return eng
			},
		}
	})
}
