package emulate

import (
	"crypto/sha256"
	"encoding/hex"
	"path/filepath"
	"strings"
	"testing"
)

func TestEscapeSegment(t *testing.T) {
	tests := []struct{ seg, want string }{
		{"plain", "plain"},
		{"dt=2024-01-02", "dt=2024-01-02"},
		{"part-0.snappy.parquet", "part-0.snappy.parquet"},
		{"a+b_c", "a+b_c"},
		{"", "%"},
		{".", "%2E"},
		{"..", "%2E%2E"},
		{"...", "%2E%2E%2E"},
		{"..a..", "%2E%2Ea.."},
		{".hidden", "%2Ehidden"},
		{"a.", "a."},
		{"sp ace", "sp%20ace"},
		{"100%", "100%25"},
		{"%", "%25"},
		{"back\\slash", "back%5Cslash"},
		{"é", "%C3%A9"},
		{"日本", "%E6%97%A5%E6%9C%AC"},
		{"a:b*c?", "a%3Ab%2Ac%3F"},
		{"nul\x00", "nul%00"},
		{"~", "%7E"},
	}
	for _, tt := range tests {
		t.Run(tt.seg, func(t *testing.T) {
			if got := escapeSegment(tt.seg); got != tt.want {
				t.Errorf("escapeSegment(%q) = %q, want %q", tt.seg, got, tt.want)
			}
			back, ok := unescapeSegment(tt.want)
			if !ok || back != tt.seg {
				t.Errorf("unescapeSegment(%q) = %q, %v; want %q, true", tt.want, back, ok, tt.seg)
			}
		})
	}
}

func TestUnescapeSegmentRejectsForeignNames(t *testing.T) {
	for _, name := range []string{
		"", ".DS_Store", ".", "..", "%2E.", "a b", "%41", "%e9", "%4", "%zz", "a%", "%%", "x~.json", "%2e",
	} {
		t.Run(name, func(t *testing.T) {
			if seg, ok := unescapeSegment(name); ok {
				t.Errorf("unescapeSegment(%q) = %q, true; want false: escapeSegment never writes that name", name, seg)
			}
		})
	}
}

func TestObjectPath(t *testing.T) {
	s := &DiskStore{root: filepath.FromSlash("/data/s3")}
	long := strings.Repeat("y", 300) + ".parquet"
	longSum := sha256.Sum256([]byte(long))
	tests := []struct {
		bucket, key string
		want        string // slash-separated, relative to root; "" means an error
		code        string
	}{
		{"bkt", "dt=2024-01-02/part-0.parquet", "bkt/dt=2024-01-02/@part-0.parquet", ""},
		{"bkt", "a", "bkt/@a", ""},
		{"bkt", "a/b", "bkt/a/@b", ""},
		{"bkt", "a//b", "bkt/a/%/@b", ""},
		{"bkt", "trailing/", "bkt/trailing/@%", ""},
		{"bkt", "/leading", "bkt/%/@leading", ""},
		{"bkt", "../../x", "bkt/%2E%2E/%2E%2E/@x", ""},
		{"bkt", "a/b/../c", "bkt/a/b/%2E%2E/@c", ""},
		{"bkt", "./x", "bkt/%2E/@x", ""},
		{"bkt", "@", "bkt/@%40", ""},
		{"bkt", "@/x", "bkt/%40/@x", ""},
		{"bkt", "é/日本", "bkt/%C3%A9/@%E6%97%A5%E6%9C%AC", ""},
		{"my.bucket-1", "k", "my.bucket-1/@k", ""},
		{"bkt", "", "", "InvalidArgument"},
		{"bkt", strings.Repeat("y", 254), "bkt/@" + strings.Repeat("y", 254), ""},
		{"bkt", strings.Repeat("y", 255) + "/z", "bkt/" + strings.Repeat("y", 255) + "/@z", ""},
		// Too long for a file name: cut, hashed, extension kept.
		{"bkt", "x/" + long, "bkt/x/@" + strings.Repeat("y", 255-1-1-32-8) + "~" + hex.EncodeToString(longSum[:16]) + ".parquet", ""},
		{"bkt", strings.Repeat("k", MaxKeyBytes+1), "", "KeyTooLongError"},
		{"bkt", "...", "bkt/@%2E%2E%2E", ""},
		{"bkt", "..x.", "bkt/@%2E%2Ex.", ""},
		{"..", "x", "", "InvalidBucketName"},
		{".tmp", "x", "", "InvalidBucketName"},
		{"a/b", "x", "", "InvalidBucketName"},
		{"Upper", "x", "", "InvalidBucketName"},
		{"ab", "x", "", "InvalidBucketName"},
	}
	for _, tt := range tests {
		t.Run(tt.bucket+"/"+tt.key[:min(len(tt.key), 40)], func(t *testing.T) {
			got, err := s.ObjectPath(tt.bucket, tt.key)
			if tt.want == "" {
				if !hasCode(err, tt.code) {
					t.Fatalf("ObjectPath(%q, %q) = %q, %v; want error %s", tt.bucket, tt.key, got, err, tt.code)
				}
				return
			}
			if err != nil {
				t.Fatalf("ObjectPath(%q, %q): %v", tt.bucket, tt.key, err)
			}
			if want := filepath.Join(s.root, filepath.FromSlash(tt.want)); got != want {
				t.Errorf("ObjectPath(%q, %q) = %q, want %q", tt.bucket, tt.key, got, want)
			}
		})
	}
}

func TestPrefixDir(t *testing.T) {
	s := &DiskStore{root: filepath.FromSlash("/data/s3")}
	for _, tt := range []struct{ prefix, want string }{
		{"", "bkt"},
		{"stock_topic/", "bkt/stock_topic"},
		{"stock_topic/dt=2026-11-26/", "bkt/stock_topic/dt=2026-11-26"},
		{"a//", "bkt/a/%"},
		{"../", "bkt/%2E%2E"},
	} {
		got, err := s.PrefixDir("bkt", tt.prefix)
		if want := filepath.Join(s.root, filepath.FromSlash(tt.want)); err != nil || got != want {
			t.Errorf("PrefixDir(bkt, %q) = %q, %v; want %q", tt.prefix, got, err, want)
		}
		// The directory holds the file of every key one segment longer.
		if obj, err := s.ObjectPath("bkt", tt.prefix+"x.json"); err != nil || filepath.Dir(obj) != got {
			t.Errorf("ObjectPath(bkt, %q) = %q, %v; not in PrefixDir's %q", tt.prefix+"x.json", obj, err, got)
		}
	}
	if got, err := s.PrefixDir("bkt", "no-slash"); err == nil {
		t.Errorf("PrefixDir of a prefix without a trailing slash = %q, want an error", got)
	}
}

func TestCheckBucketName(t *testing.T) {
	tests := []struct {
		name string
		ok   bool
	}{
		{"abc", true},
		{"my.s3.bucket", true},
		{"a-b-c", true},
		{"0ab", true},
		{strings.Repeat("a", 63), true},
		{strings.Repeat("a", 64), false},
		{"ab", false},
		{"", false},
		{"..", false},
		{"...", false},
		{"a..b", false},
		{".ab", false},
		{"ab.", false},
		{"-ab", false},
		{"ab-", false},
		{"a_b", false},
		{"aBc", false},
		{"a/b", false},
		{"a\\b", false},
		{"a b", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkBucketName(tt.name)
			if (err == nil) != tt.ok {
				t.Errorf("checkBucketName(%q) = %v, want ok=%v", tt.name, err, tt.ok)
			}
			if err != nil && !hasCode(err, "InvalidBucketName") {
				t.Errorf("checkBucketName(%q) = %v, want InvalidBucketName", tt.name, err)
			}
		})
	}
}

// FuzzKeyPath checks that every key maps to a path inside root/bucket made
// of harmless file names, one a segment, that name the key back; and that
// a file name is accepted as a segment only if escaping gives the same name
// back.
func FuzzKeyPath(f *testing.F) {
	for _, seed := range []string{
		"a", "a/b", "a//b", "trailing/", "/", "//", "../../x", "a/b/../c", ".", "..", "./.",
		"sp ace", "é/日本", "%", "%2E", "%%", "a%2Fb", "back\\slash", "nul\x00", "\xff\xfe", "@", "@/@", "~",
		strings.Repeat("x", 249), strings.Repeat("x", 300) + ".json", strings.Repeat("é", 100), "...", "..a",
	} {
		f.Add(seed)
	}
	root := filepath.FromSlash("/data/s3")
	s := &DiskStore{root: root}
	bucketDir := filepath.Join(root, "bkt")
	f.Fuzz(func(t *testing.T, key string) {
		if seg, ok := unescapeSegment(key); ok && escapeSegment(seg) != key {
			t.Fatalf("unescapeSegment accepted %q as %q, which escapes to %q", key, seg, escapeSegment(seg))
		}

		p, err := s.ObjectPath("bkt", key)
		if err != nil {
			if key == "" || len(key) > MaxKeyBytes {
				return
			}
			t.Fatalf("ObjectPath(%q): %v", key, err)
		}
		rel, err := filepath.Rel(bucketDir, p)
		if err != nil || rel == "." || strings.HasPrefix(rel, "..") || filepath.IsAbs(rel) {
			t.Fatalf("ObjectPath(%q) = %q, not inside %q", key, p, bucketDir)
		}
		names := strings.Split(rel, string(filepath.Separator))
		segs := strings.Split(key, "/")
		if len(names) != len(segs) {
			t.Fatalf("ObjectPath(%q) = %q: %d path segments, want %d", key, p, len(names), len(segs))
		}
		for i, name := range names {
			if name == "" || name == "." || name == ".." || strings.HasPrefix(name, ".") ||
				strings.ContainsAny(name, "/\\\x00:") || len(name) > maxNameBytes {
				t.Fatalf("ObjectPath(%q) = %q has unsafe segment %q", key, p, name)
			}
			last := i == len(names)-1
			n, ok := parseEntry(name, !last)
			if !ok || n.object != last || !n.hashed && n.seg != segs[i] || n.hashed && name != fitName(map[bool]string{true: objectMark}[last], segs[i]) {
				t.Fatalf("ObjectPath(%q) = %q: name %q reads back as %+v, %v; want segment %q", key, p, name, n, ok, segs[i])
			}
		}
	})
}
