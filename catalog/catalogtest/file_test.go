package catalogtest_test

import (
	"encoding/json"
	"fmt"
	"os"
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

// TestFileCatalogFoldsNames: names are kept in lower case, and a catalog
// file written with mixed-case names is read folded, a clash kept as is.
func TestFileCatalogFoldsNames(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	fc, err := catalog.OpenFileCatalog(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := fc.CreateDatabase(ctx, "GL"); err != nil {
		t.Fatal(err)
	}
	if err := fc.PutTable(ctx, catalog.NewTable("gL", "Upper", "s3://b/u/", catalog.FormatJSON)); err != nil {
		t.Fatal(err)
	}
	if got, err := fc.GetTable(ctx, "gl", "UPPER"); err != nil || got.Name != "upper" || got.Database != "gl" {
		t.Fatalf("GetTable = %+v, %v; want upper in gl", got, err)
	}
	// As an older catalog wrote it: mixed case, and two tables that fold alike.
	b, err := os.ReadFile(fc.Path())
	if err != nil {
		t.Fatal(err)
	}
	var st map[string]map[string]map[string]any
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatal(err)
	}
	db := st["databases"]["gl"]
	tables := db["tables"].(map[string]any)
	for _, name := range []string{"Old", "Clash", "clash"} {
		var ft map[string]any
		b, _ := json.Marshal(tables["upper"])
		json.Unmarshal(b, &ft)
		ft["table"].(map[string]any)["name"] = name
		tables[name] = ft
	}
	st["databases"]["Other"] = db
	delete(st["databases"], "gl")
	if b, err = json.Marshal(st); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(fc.Path(), b, 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := fc.ListTables(ctx, "OTHER")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, t := range got {
		names = append(names, t.Database+"."+t.Name)
	}
	if want := "[other.Clash other.clash other.old other.upper]"; fmt.Sprint(names) != want {
		t.Fatalf("tables %v, want %s", names, want)
	}
}
