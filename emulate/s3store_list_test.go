package emulate

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// listKeys are chosen so that key order differs from file name order and
// folder-by-folder order ("a-b" < "a.b" < "a/b" < "a0"; "z" < "z~/1").
var listKeys = []string{
	"%", "%25/x", ".", "..", "a-b", "a.b", "a/b", "a/c-d", "a/c/d", "a/c/e", "a/./b", "a0",
	"b/", "b/x", "bb//c", "c", "d/e/f/g", "sp ace", "y//", "z", "z~/1", "é/日本",
	// Keys beside the keys that continue them, and names too long to keep.
	"a", "a/c", "d/e", "d/e/f", "h" + strings.Repeat("x", 300), "h" + strings.Repeat("x", 300) + "/k",
	"h" + strings.Repeat("x", 300) + "/" + strings.Repeat("y", 300) + "/z", "h" + strings.Repeat("x", 299) + "/",
}

// refList is S3's listing rule applied to a sorted slice of keys.
func refList(keys []string, prefix, delim, marker string, maxKeys int) (items []string, truncated bool) {
	lastCommon := ""
	for _, k := range keys {
		if !strings.HasPrefix(k, prefix) || k <= marker {
			continue
		}
		item := k
		if i := strings.Index(k[len(prefix):], delim); delim != "" && i >= 0 {
			item = k[:len(prefix)+i+len(delim)] + " (prefix)"
			if item == lastCommon || item[:len(item)-len(" (prefix)")] <= marker {
				continue
			}
			lastCommon = item
		}
		if maxKeys > 0 && len(items) == maxKeys {
			return items, true
		}
		items = append(items, item)
	}
	return items, false
}

func listItems(l *ListResult) []string {
	var items []string
	for _, c := range l.Objects {
		items = append(items, c.Key)
	}
	for _, p := range l.CommonPrefixes {
		items = append(items, p+" (prefix)")
	}
	slices.SortFunc(items, func(a, b string) int {
		return strings.Compare(strings.TrimSuffix(a, " (prefix)"), strings.TrimSuffix(b, " (prefix)"))
	})
	return items
}

func TestDiskStoreListMatchesS3Rules(t *testing.T) {
	s := newStore(t)
	s.noSync = true
	for _, k := range listKeys {
		putString(t, s, "bkt", k, k, nil)
	}
	keys := slices.Sorted(slices.Values(listKeys))

	prefixes := []string{"", "a", "a/", "a/c", "a/c/", "b", "b/", "bb/", "bb//", "d/e", "é", "%", "z", "z~", "nope/", "c/",
		"h", "h" + strings.Repeat("x", 300), "h" + strings.Repeat("x", 300) + "/"}
	delims := []string{"", "/", "-", "//", "c"}
	for _, prefix := range prefixes {
		for _, delim := range delims {
			for _, maxKeys := range []int{0, 1, 2, 1000} {
				name := fmt.Sprintf("prefix=%q,delim=%q,max=%d", prefix, delim, maxKeys)
				t.Run(name, func(t *testing.T) {
					var got, want []string
					marker := ""
					for page := 0; ; page++ {
						l, err := s.ListObjects("bkt", ListOptions{Prefix: prefix, Delimiter: delim, Marker: marker, MaxKeys: maxKeys})
						if err != nil {
							t.Fatal(err)
						}
						items := listItems(l)
						wantItems, wantTrunc := refList(keys, prefix, delim, marker, maxKeys)
						if !slices.Equal(items, wantItems) || l.IsTruncated != wantTrunc {
							t.Fatalf("page %d after %q: got %q truncated=%v, want %q truncated=%v",
								page, marker, items, l.IsTruncated, wantItems, wantTrunc)
						}
						got = append(got, items...)
						if !l.IsTruncated {
							break
						}
						if next := strings.TrimSuffix(items[len(items)-1], " (prefix)"); l.NextMarker != next {
							t.Fatalf("NextMarker = %q, want the last entry %q", l.NextMarker, next)
						}
						marker = l.NextMarker
					}
					want, _ = refList(keys, prefix, delim, "", 0)
					if !slices.Equal(got, want) {
						t.Errorf("all pages = %q, want %q", got, want)
					}
				})
			}
		}
	}
}

func TestDiskStoreListWalksOnlyThePrefix(t *testing.T) {
	s := newStore(t)
	s.noSync = true
	for i := range 200 {
		putString(t, s, "bkt", fmt.Sprintf("other/%02d/%03d", i%20, i), "x", nil)
	}
	for _, k := range []string{"narrow/dt=1/a", "narrow/dt=1/b", "narrow/dt=2/c", "narrower"} {
		putString(t, s, "bkt", k, "x", nil)
	}
	tests := []struct {
		prefix, delim string
		want          []string
		maxDirs       int64
	}{
		{"narrow/", "", []string{"narrow/dt=1/a", "narrow/dt=1/b", "narrow/dt=2/c"}, 3},
		{"narrow/dt=1/", "", []string{"narrow/dt=1/a", "narrow/dt=1/b"}, 1},
		{"narrow/", "/", []string{"narrow/dt=1/ (prefix)", "narrow/dt=2/ (prefix)"}, 1},
		{"", "/", []string{"narrow/ (prefix)", "narrower", "other/ (prefix)"}, 1},
		{"narrow", "", []string{"narrow/dt=1/a", "narrow/dt=1/b", "narrow/dt=2/c", "narrower"}, 4},
	}
	for _, tt := range tests {
		t.Run(tt.prefix+","+tt.delim, func(t *testing.T) {
			before := s.dirsRead.Load()
			l, err := s.ListObjects("bkt", ListOptions{Prefix: tt.prefix, Delimiter: tt.delim})
			if err != nil {
				t.Fatal(err)
			}
			if got := listItems(l); !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			// Counts the walk's reads (not hasObject's check that a common
			// prefix holds an object).
			if read := s.dirsRead.Load() - before; read > tt.maxDirs {
				t.Errorf("listing read %d directories, want at most %d: it walked outside the prefix", read, tt.maxDirs)
			}
		})
	}
}

func TestDiskStoreListStopsAtMaxKeys(t *testing.T) {
	s := newStore(t)
	s.noSync = true
	for i := range 100 {
		putString(t, s, "bkt", fmt.Sprintf("d%02d/k", i), "x", nil)
	}
	before := s.dirsRead.Load()
	l, err := s.ListObjects("bkt", ListOptions{MaxKeys: 3})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := listItems(l), []string{"d00/k", "d01/k", "d02/k"}; !slices.Equal(got, want) || !l.IsTruncated || l.NextMarker != "d02/k" {
		t.Errorf("got %q truncated=%v next=%q, want %q truncated, next d02/k", got, l.IsTruncated, l.NextMarker, want)
	}
	if read := s.dirsRead.Load() - before; read > 5 {
		t.Errorf("a 3-key page read %d directories; the walk should stop when the page is full", read)
	}
}

func BenchmarkDiskStoreList10k(b *testing.B) {
	s := newStore(b)
	s.noSync = true
	for i := range 10_000 {
		putString(b, s, "bkt", fmt.Sprintf("t/dt=%02d/part-%05d.parquet", i%30, i), "x", nil)
	}
	for b.Loop() {
		n, marker := 0, ""
		for {
			l, err := s.ListObjects("bkt", ListOptions{Marker: marker, MaxKeys: 1000})
			if err != nil {
				b.Fatal(err)
			}
			n += len(l.Objects)
			if !l.IsTruncated {
				break
			}
			marker = l.NextMarker
		}
		if n != 10_000 {
			b.Fatalf("listed %d keys", n)
		}
	}
}
