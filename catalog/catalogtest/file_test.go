package catalogtest_test

import (
	"testing"

	"pipeline/catalog"
	"pipeline/catalog/catalogtest"
)

func TestFileCatalog(t *testing.T) {
	catalogtest.Run(t, func(t *testing.T) catalog.Driver {
		fc, err := catalog.OpenFileCatalog(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return fc
	})
}
