package emulate

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// newStore opens a store on a fresh directory with bucket "bkt".
func newStore(t testing.TB) *DiskStore {
	t.Helper()
	s, err := OpenDiskStore(filepath.Join(t.TempDir(), "s3"))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreateBucket("bkt"); err != nil {
		t.Fatal(err)
	}
	return s
}

func putString(t testing.TB, s *DiskStore, bucket, key, body string, meta *ObjectMeta) {
	t.Helper()
	var opts *PutOptions
	if meta != nil {
		opts = &PutOptions{Meta: *meta}
	}
	if _, err := s.PutObject(bucket, key, strings.NewReader(body), int64(len(body)), opts); err != nil {
		t.Fatalf("put %q: %v", key, err)
	}
}

func getString(t testing.TB, s *DiskStore, bucket, key string) (string, ObjectInfo) {
	t.Helper()
	f, info, err := s.OpenObject(bucket, key, "")
	if err != nil {
		t.Fatalf("get %q: %v", key, err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		t.Fatalf("read %q: %v", key, err)
	}
	return string(b), info
}

func md5Hex(s string) string {
	h := md5.Sum([]byte(s))
	return hex.EncodeToString(h[:])
}

// filesUnder returns the slash-separated paths, relative to dir, of the
// regular files under dir, sorted.
func filesUnder(t testing.TB, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			rel, err := filepath.Rel(dir, p)
			if err != nil {
				return err
			}
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

// dirsUnder returns the slash-separated paths, relative to dir, of the
// directories under dir, sorted.
func dirsUnder(t testing.TB, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && p != dir {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

func hasCode(err error, code string) bool { return hasS3Code(err, code) }

func TestDiskStorePutGetStat(t *testing.T) {
	s := newStore(t)
	meta := &ObjectMeta{ContentType: "text/csv", User: map[string]string{"source": "test"}, Tags: []Tag{{"k", "v"}}}
	putString(t, s, "bkt", "dir/obj.csv", "a,b\n1,2\n", meta)

	body, obj := getString(t, s, "bkt", "dir/obj.csv")
	if body != "a,b\n1,2\n" {
		t.Errorf("body = %q", body)
	}
	if obj.ETag != md5Hex(body) {
		t.Errorf("ETag = %s, want %s", obj.ETag, md5Hex(body))
	}
	if obj.Meta.ContentType != "text/csv" || obj.Meta.User["source"] != "test" || len(obj.Meta.Tags) != 1 {
		t.Errorf("metadata = %+v, want Content-Type, user metadata and tags kept", obj.Meta)
	}
	if time.Since(obj.LastModified) > time.Hour {
		t.Errorf("LastModified %v", obj.LastModified)
	}

	head, err := s.StatObject("bkt", "dir/obj.csv", "")
	if err != nil {
		t.Fatal(err)
	}
	if head.Size != int64(len(body)) || head.ETag != obj.ETag {
		t.Errorf("stat = size %d ETag %s; want size %d ETag %s", head.Size, head.ETag, len(body), obj.ETag)
	}

	for _, tt := range []struct {
		bucket, key string
		code        string
	}{
		{"bkt", "dir/missing", "NoSuchKey"},
		{"bkt", "dir", "NoSuchKey"}, // a folder is not an object
		{"bkt", "dir/obj.csv/x", "NoSuchKey"},
		{"bkt", strings.Repeat("x", 300), "NoSuchKey"},
		{"nobucket", "dir/obj.csv", "NoSuchBucket"},
		{"..", "x", "NoSuchBucket"},
	} {
		t.Run("missing "+tt.bucket+"/"+tt.key[:min(len(tt.key), 20)], func(t *testing.T) {
			if _, _, err := s.OpenObject(tt.bucket, tt.key, ""); !hasCode(err, tt.code) {
				t.Errorf("OpenObject: %v, want %s", err, tt.code)
			}
			if _, err := s.StatObject(tt.bucket, tt.key, ""); !hasCode(err, tt.code) {
				t.Errorf("StatObject: %v, want %s", err, tt.code)
			}
		})
	}
}

func TestDiskStorePutErrors(t *testing.T) {
	s := newStore(t)
	tests := []struct {
		name   string
		bucket string
		key    string
		body   io.Reader
		size   int64
		code   string
	}{
		{"no bucket", "nobucket", "k", strings.NewReader("x"), 1, "NoSuchBucket"},
		{"key too long", "bkt", strings.Repeat("b", MaxKeyBytes+1), strings.NewReader("x"), 1, "KeyTooLongError"},
		{"short body", "bkt", "k", strings.NewReader("x"), 2, "IncompleteBody"},
		{"reader error", "bkt", "k", io.MultiReader(strings.NewReader("x"), errReader{s3Err("BadDigest", "test")}), 1, "BadDigest"},
		{"reader error past a chunk", "bkt", "k", io.MultiReader(bytes.NewReader(make([]byte, 3<<19)), errReader{s3Err("BadDigest", "test")}), 2 << 20, "BadDigest"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.PutObject(tt.bucket, tt.key, tt.body, tt.size, nil)
			if !hasCode(err, tt.code) {
				t.Fatalf("PutObject: %v, want %s", err, tt.code)
			}
		})
	}
	if files := filesUnder(t, s.root); !slices.Equal(files, []string{".layout", ".meta/bkt/" + bucketConfigName}) {
		t.Errorf("failed puts left files: %v", files)
	}
}

// TestDiskStoreBodySizes stores bodies around the sizes where copyToFile
// changes how it writes (one chunk, whole blocks, a padded last block), on
// the test's file system and on a tmpfs, and reads each back byte for byte.
func TestDiskStoreBodySizes(t *testing.T) {
	roots := map[string]string{"temp dir": t.TempDir()}
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		dir, err := os.MkdirTemp("/dev/shm", "diskstore-")
		if err == nil {
			t.Cleanup(func() { os.RemoveAll(dir) })
			roots["tmpfs"] = dir
		}
	}
	sizes := []int{0, 1, 4095, 4096, 4097, 1<<20 - 1, 1 << 20, 1<<20 + 1, 1<<20 + 4096, 2<<20 + 4097, 7 << 19}
	body := make([]byte, sizes[len(sizes)-1])
	for i := range body {
		body[i] = byte(i*7 + i>>12)
	}
	for name, root := range roots {
		t.Run(name, func(t *testing.T) {
			s, err := OpenDiskStore(filepath.Join(root, "s3"))
			if err != nil {
				t.Fatal(err)
			}
			if err := s.CreateBucket("bkt"); err != nil {
				t.Fatal(err)
			}
			for _, n := range sizes {
				key := fmt.Sprintf("k%d", n)
				// A reader that hands out odd pieces, as a socket does.
				r := io.LimitReader(&pieceReader{b: body[:n]}, int64(n))
				if _, err := s.PutObject("bkt", key, r, int64(n), nil); err != nil {
					t.Fatalf("put %d bytes: %v", n, err)
				}
				got, obj := getString(t, s, "bkt", key)
				if got != string(body[:n]) {
					t.Fatalf("%d bytes stored, %d read back, or other bytes", n, len(got))
				}
				if obj.Size != int64(n) || obj.ETag != md5Hex(string(body[:n])) {
					t.Errorf("%d bytes: size %d, ETag %s", n, obj.Size, obj.ETag)
				}
				p, _ := s.ObjectPath("bkt", key)
				fi, err := os.Stat(p)
				if err != nil || fi.Size() != int64(n) {
					t.Errorf("%d bytes: file on disk %v, %v", n, fi, err)
				}
			}
		})
	}
}

// pieceReader reads b in pieces of 1000 bytes and fewer.
type pieceReader struct{ b []byte }

func (r *pieceReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), 1000)], r.b)
	r.b = r.b[n:]
	return n, nil
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

// TestDiskStoreKeysBesideFolders: S3 has no folders, so a key may sit beside
// the keys that continue it, in either order, and both are listed.
func TestDiskStoreKeysBesideFolders(t *testing.T) {
	tests := []struct {
		name          string
		first, second string
	}{
		{"object then folder", "a", "a/b"},
		{"folder then object", "a/b", "a"},
		{"deep object then folder", "x/y", "x/y/z/w"},
		{"trailing slash and child", "a/", "a/b"},
		{"child and trailing slash", "a/b", "a/"},
		{"siblings", "a-b", "a/b"},
		{"mark-like name", "a", "@a/b"},
		{"json-like name", "a", "a.json/b"},
		{"long key and its folder", strings.Repeat("l", 300), strings.Repeat("l", 300) + "/x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStore(t)
			putString(t, s, "bkt", tt.first, "1", nil)
			putString(t, s, "bkt", tt.second, "2", nil)
			if b, _ := getString(t, s, "bkt", tt.first); b != "1" {
				t.Errorf("%q = %q, want 1", tt.first, b)
			}
			if b, _ := getString(t, s, "bkt", tt.second); b != "2" {
				t.Errorf("%q = %q, want 2", tt.second, b)
			}
			l, err := s.ListObjects("bkt", ListOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if got, want := listItems(l), slices.Sorted(slices.Values([]string{tt.first, tt.second})); !slices.Equal(got, want) {
				t.Errorf("listed %q, want %q", got, want)
			}
			if files := filesUnder(t, s.tmpDir); len(files) != 0 {
				t.Errorf("temp files left: %v", files)
			}
		})
	}
}

func TestDiskStoreDeleteRemovesEmptyDirs(t *testing.T) {
	s := newStore(t)
	for _, k := range []string{"a/b/c/d", "a/x", "e/f/g", "top"} {
		putString(t, s, "bkt", k, k, nil)
	}
	bucketDir, metaDir := filepath.Join(s.root, "bkt"), filepath.Join(s.metaDir, "bkt")

	steps := []struct {
		delete    []string
		wantDirs  []string
		wantFiles []string
	}{
		{[]string{"a/b/c/d"}, []string{"a", "e", "e/f"}, []string{"@top", "a/@x", "e/f/@g"}},
		{[]string{"a/b/c/d"}, []string{"a", "e", "e/f"}, []string{"@top", "a/@x", "e/f/@g"}}, // again: no error
		{[]string{"e/f/g", "a/x", "nope/nope"}, nil, []string{"@top"}},
		{[]string{"top"}, nil, nil},
	}
	for i, st := range steps {
		var ids []ObjectID
		for _, k := range st.delete {
			ids = append(ids, ObjectID{Key: k})
		}
		_, errs, err := s.DeleteObjects("bkt", ids)
		if err != nil || len(errs) != len(st.delete) || errors.Join(errs...) != nil {
			t.Fatalf("step %d: DeleteObjects(%v) = %v, %v", i, st.delete, errs, err)
		}
		if got := dirsUnder(t, bucketDir); !slices.Equal(got, st.wantDirs) {
			t.Errorf("step %d: object dirs = %v, want %v", i, got, st.wantDirs)
		}
		if got := dirsUnder(t, metaDir); !slices.Equal(got, st.wantDirs) {
			t.Errorf("step %d: sidecar dirs = %v, want %v", i, got, st.wantDirs)
		}
		if got := filesUnder(t, bucketDir); !slices.Equal(got, st.wantFiles) {
			t.Errorf("step %d: object files = %v, want %v", i, got, st.wantFiles)
		}
	}
	if !isDir(bucketDir) {
		t.Error("deleting the last object removed the bucket")
	}
	if _, err := s.DeleteObject("nobucket", "x", "", ""); !hasCode(err, "NoSuchBucket") {
		t.Errorf("DeleteObject in a missing bucket: %v, want NoSuchBucket", err)
	}
}

func TestDiskStoreBuckets(t *testing.T) {
	s := newStore(t) // has "bkt"
	for _, name := range []string{"zzz", "a.b.c"} {
		if err := s.CreateBucket(name); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.CreateBucket("bkt"); err != nil {
		t.Errorf("CreateBucket of an existing bucket: %v, want nil (S3 us-east-1 answers its owner 200)", err)
	}
	for _, bad := range []string{"..", "UP", ".tmp", "a/b"} {
		if err := s.CreateBucket(bad); !hasCode(err, "InvalidBucketName") {
			t.Errorf("CreateBucket(%q) = %v, want InvalidBucketName", bad, err)
		}
	}
	// Stray entries in the root are not buckets.
	if err := os.WriteFile(filepath.Join(s.root, "file"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(s.root, "Not_A_Bucket"), 0o755); err != nil {
		t.Fatal(err)
	}
	buckets, err := s.ListBuckets()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, b := range buckets {
		names = append(names, b.Name)
		if b.Config.Created.IsZero() {
			t.Errorf("bucket %s has no creation date", b.Name)
		}
	}
	if want := []string{"a.b.c", "bkt", "zzz"}; !slices.Equal(names, want) {
		t.Errorf("ListBuckets = %v, want %v", names, want)
	}

	putString(t, s, "bkt", "x/y", "1", nil)
	if err := s.DeleteBucket("bkt"); !hasCode(err, "BucketNotEmpty") {
		t.Errorf("DeleteBucket of a non-empty bucket: %v, want BucketNotEmpty", err)
	}
	// A bucket holding only folders a crash left behind is empty.
	if err := os.MkdirAll(filepath.Join(s.root, "zzz", "left", "over"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"zzz", "a.b.c"} {
		if err := s.DeleteBucket(name); err != nil {
			t.Errorf("DeleteBucket(%s): %v", name, err)
		}
	}
	if err := s.DeleteBucket("zzz"); !hasCode(err, "NoSuchBucket") {
		t.Errorf("DeleteBucket twice: %v, want NoSuchBucket", err)
	}
	if err := s.ForceDeleteBucket("bkt"); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"bkt", "zzz", "a.b.c"} {
		if s.BucketExists(name) {
			t.Errorf("BucketExists(%s) after delete", name)
		}
		for _, dir := range []string{filepath.Join(s.root, name), filepath.Join(s.metaDir, name)} {
			if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("%s still exists after deleting the bucket (%v)", dir, err)
			}
		}
	}
	if files := filesUnder(t, s.tmpDir); len(files) != 0 {
		t.Errorf("deleted buckets left files in .tmp: %v", files)
	}
}

// TestDiskStoreSurvivesLeftovers plays the states a crash can leave and
// checks that the object file stays the truth.
func TestDiskStoreSurvivesLeftovers(t *testing.T) {
	s := newStore(t)
	putString(t, s, "bkt", "keep", "kept", &ObjectMeta{ContentType: "text/plain"})
	putString(t, s, "bkt", "stale", "old", &ObjectMeta{ContentType: "text/old"})
	putString(t, s, "bkt", "nometa", "bare", &ObjectMeta{ContentType: "text/plain"})

	// A crash mid-put: temp files, and a new object's sidecar whose object
	// never arrived.
	for _, name := range []string{"put-123", "put-456"} {
		if err := os.WriteFile(filepath.Join(s.tmpDir, name), []byte("partial"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(s.metaDir, "bkt", objectMark+"ghost"), []byte(`{"size":5}`), 0o644); err != nil {
		t.Fatal(err)
	}
	// An object replaced behind the store's back: its sidecar is stale.
	stale, _ := s.ObjectPath("bkt", "stale")
	if err := os.WriteFile(stale, []byte("brand new"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A sidecar lost.
	if err := os.Remove(filepath.Join(s.metaDir, "bkt", objectMark+"nometa")); err != nil {
		t.Fatal(err)
	}
	// Foreign files in the bucket.
	for _, name := range []string{".DS_Store", "not canonical", "plain-file", "@not canonical"} {
		if err := os.WriteFile(filepath.Join(s.root, "bkt", name), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	// Reopen, as after a restart.
	s, err := OpenDiskStore(s.root)
	if err != nil {
		t.Fatal(err)
	}
	list, err := s.ListObjects("bkt", ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, c := range list.Objects {
		got[c.Key] = c.ETag
	}
	want := map[string]string{
		"keep":   md5Hex("kept"),
		"nometa": md5Hex("bare"),
		"stale":  md5Hex("brand new"),
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("listing = %v, want %v", got, want)
	}

	tests := []struct {
		key, body, contentType string
	}{
		{"keep", "kept", "text/plain"},
		{"stale", "brand new", ""}, // the sidecar described another file
		{"nometa", "bare", ""},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			body, obj := getString(t, s, "bkt", tt.key)
			if body != tt.body || obj.ETag != md5Hex(tt.body) || obj.Meta.ContentType != tt.contentType {
				t.Errorf("got %q ETag %s type %q, want %q ETag %s type %q",
					body, obj.ETag, obj.Meta.ContentType, tt.body, md5Hex(tt.body), tt.contentType)
			}
		})
	}
	if _, err := s.StatObject("bkt", "ghost", ""); !hasCode(err, "NoSuchKey") {
		t.Errorf("a sidecar without its object: %v, want NoSuchKey", err)
	}
}

func TestDiskStoreConditionalPut(t *testing.T) {
	s := newStore(t)
	put := func(key, body string, c *PutOptions) error {
		_, err := s.PutObject("bkt", key, strings.NewReader(body), int64(len(body)), c)
		return err
	}
	if err := put("k", "v1", &PutOptions{IfNoneMatch: "*"}); err != nil {
		t.Fatalf("If-None-Match * on a new key: %v", err)
	}
	if err := put("k", "v2", &PutOptions{IfNoneMatch: "*"}); !hasCode(err, "PreconditionFailed") {
		t.Errorf("If-None-Match * on an existing key: %v, want PreconditionFailed", err)
	}
	wrong, right := `"`+md5Hex("nope")+`"`, `"`+md5Hex("v1")+`"`
	if err := put("k", "v3", &PutOptions{IfMatch: wrong}); !hasCode(err, "PreconditionFailed") {
		t.Errorf("If-Match with a wrong ETag: %v, want PreconditionFailed", err)
	}
	if err := put("k", "v4", &PutOptions{IfMatch: right}); err != nil {
		t.Errorf("If-Match with the right ETag: %v", err)
	}
	if err := put("new", "v", &PutOptions{IfMatch: right}); !hasCode(err, "NoSuchKey") {
		t.Errorf("If-Match on a missing key: %v, want NoSuchKey, as S3", err)
	}
	if b, _ := getString(t, s, "bkt", "k"); b != "v4" {
		t.Errorf("k = %q, want v4", b)
	}

	// Racing creators: exactly one wins.
	const n = 16
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			errs[i] = put("race", fmt.Sprint(i), &PutOptions{IfNoneMatch: "*"})
		})
	}
	wg.Wait()
	won := -1
	for i, err := range errs {
		switch {
		case err == nil && won >= 0:
			t.Errorf("writers %d and %d both created the key", won, i)
		case err == nil:
			won = i
		case !hasCode(err, "PreconditionFailed"):
			t.Errorf("writer %d: %v", i, err)
		}
	}
	if b, _ := getString(t, s, "bkt", "race"); won < 0 || b != fmt.Sprint(won) {
		t.Errorf("race = %q, winner %d", b, won)
	}
}

// TestDiskStoreConcurrentUse hammers overlapping keys from several
// goroutines; run with -race. Every read must see some whole version.
func TestDiskStoreConcurrentUse(t *testing.T) {
	s := newStore(t)
	s.noSync = true
	keys := []string{"a/1", "a/2", "a/b/3", "c"}
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range 50 {
				key := keys[(w+i)%len(keys)]
				body := strings.Repeat(fmt.Sprint(w), 10+i)
				switch i % 4 {
				case 0, 1:
					if _, err := s.PutObject("bkt", key, strings.NewReader(body), int64(len(body)), nil); err != nil {
						t.Error(err)
					}
				case 2:
					f, info, err := s.OpenObject("bkt", key, "")
					if hasCode(err, "NoSuchKey") {
						continue
					} else if err != nil {
						t.Error(err)
						continue
					}
					b, err := io.ReadAll(f)
					f.Close()
					if err != nil || info.ETag != md5Hex(string(b)) {
						t.Errorf("get %s: %v, ETag %s does not match body %q", key, err, info.ETag, b)
					}
				case 3:
					if _, err := s.DeleteObject("bkt", key, "", ""); err != nil {
						t.Error(err)
					}
					if _, err := s.ListObjects("bkt", ListOptions{Prefix: "a/"}); err != nil {
						t.Error(err)
					}
				}
			}
		})
	}
	wg.Wait()
	if files := filesUnder(t, s.tmpDir); len(files) != 0 {
		t.Errorf("temp files left: %v", files)
	}
}

// TestStackRemovesTempLeftovers: the files that PUTs, Completes and deletes
// cut short by a crash leave in the store's .tmp are removed when a stack
// next serves the data dir, and only then: a process that cannot take the
// data dir's lock (another serves it, and may be writing there) removes
// nothing. A file the store did not write stays.
func TestStackRemovesTempLeftovers(t *testing.T) {
	dir := DataDir(t.TempDir())
	first, err := Start(dir, &StackOptions{AnyCredentials: true})
	if err != nil {
		t.Fatal(err)
	}
	tmp := filepath.Join(dir.S3(), ".tmp")
	leftovers := []string{"put-3501368700", "complete-1122301735", "deleted-bkt-1/bkt/@k", "aborted-u1/1"}
	for _, name := range append(leftovers, "notes.txt") {
		p := filepath.Join(tmp, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("partial"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := Start(dir, &StackOptions{AnyCredentials: true}); !errors.Is(err, ErrDataDirInUse) {
		t.Fatalf("a second stack on the served dir: %v, want ErrDataDirInUse", err)
	}
	for _, name := range leftovers {
		if !isFile(filepath.Join(tmp, name)) {
			t.Errorf("%s went while another process served the dir", name)
		}
	}
	first.Close()

	st, err := Start(dir, &StackOptions{AnyCredentials: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ents, err := os.ReadDir(tmp)
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	for _, e := range ents {
		left = append(left, e.Name())
	}
	if !slices.Equal(left, []string{"notes.txt"}) {
		t.Errorf("after a restart .tmp holds %q, want only the foreign notes.txt", left)
	}
}
