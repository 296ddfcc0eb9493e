package emulate

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestDiskStoreUpgradesFirstLayout: a data dir written by a build whose
// object files had no mark (so "a" and "a/b" could not coexist) opens with
// every object, its metadata included, under the same key.
func TestDiskStoreUpgradesFirstLayout(t *testing.T) {
	root := filepath.Join(t.TempDir(), "s3")
	write := func(rel, body string) os.FileInfo {
		p := filepath.Join(root, filepath.FromSlash(rel))
		if err := writeFileAll(p, body); err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		return fi
	}
	objects := map[string]string{"dt=1/part-0.json": "{}\n", "a/": "", "sp ace": "x"}
	for key, body := range objects {
		segs := strings.Split(key, "/")
		for i, seg := range segs {
			segs[i] = escapeSegment(seg)
		}
		rel := strings.Join(segs, "/")
		fi := write("bkt/"+rel, body)
		write(".meta/bkt/"+rel+"~.json", fmt.Sprintf(`{"size":%d,"mtime_unix_nano":%d,"md5":%q,"metadata":{"Content-Type":"text/x-old"}}`,
			fi.Size(), fi.ModTime().UnixNano(), md5Hex(body)))
	}
	write(".tmp/put-1", "a crashed put")

	s, err := OpenDiskStore(root)
	if err != nil {
		t.Fatal(err)
	}
	l, err := s.ListObjects("bkt", ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := listItems(l), []string{"a/", "dt=1/part-0.json", "sp ace"}; !slices.Equal(got, want) {
		t.Errorf("listed %q, want %q", got, want)
	}
	for key, body := range objects {
		got, obj := getString(t, s, "bkt", key)
		if got != body || obj.Meta.ContentType != "text/x-old" {
			t.Errorf("%q = %q, Content-Type %q; want %q, text/x-old", key, got, obj.Meta.ContentType, body)
		}
	}
	// Now "a" can sit beside "a/", and reopening changes nothing.
	putString(t, s, "bkt", "a", "new", nil)
	before := filesUnder(t, root)
	if _, err := OpenDiskStore(root); err != nil {
		t.Fatal(err)
	}
	if after := filesUnder(t, root); !slices.Equal(after, before) {
		t.Errorf("reopening changed the files: %q, then %q", before, after)
	}

	if err := os.WriteFile(filepath.Join(root, ".layout"), []byte("99\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenDiskStore(root); err == nil || !strings.Contains(err.Error(), `layout "99"`) {
		t.Errorf("open of a layout from a later build: %v, want an error naming it", err)
	}
}
