package catalogtest_test

import (
	"testing"

	"pipeline/pipeline"
	"pipeline/pipeline/catalogtest"
)

func TestFileCatalog(t *testing.T) {
	catalogtest.Run(t, func(t *testing.T) pipeline.CatalogDriver {
		fc, err := pipeline.OpenFileCatalog(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return fc
	})
}
