// DiskStore: the durable on-disk gofakes3 backend. How it differs from S3:
//
//   - On a case-insensitive file system (macOS by default) keys that differ
//     only in case are the same object.
//   - CreateBucket of an existing bucket succeeds, as S3 answers a bucket's
//     owner in us-east-1: every bucket here belongs to the caller.
//   - Only Content-Type, Content-Disposition, Content-Encoding,
//     Content-Language, Cache-Control, Expires, X-Amz-Meta-*,
//     X-Amz-Checksum-* and X-Amz-Storage-Class are kept. No versioning, ACLs,
//     tags or lifecycle. Last-Modified is the file's mtime.
//   - A listing with a delimiter returns a common prefix only if it sorts
//     after the marker (start-after), so a marker inside a common prefix
//     skips the rest of that prefix.
//   - Multipart uploads use gofakes3's in-memory uploader: parts live in
//     memory until completed, and the stored object's ETag is the MD5 of its
//     bytes, not S3's "<md5 of parts>-<n>".
//   - Files that the store did not write are ignored unless their names are
//     ones it writes (see s3store_path.go).

package emulate

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/textproto"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/johannesboyne/gofakes3"
)

// DiskStore is a gofakes3.Backend that keeps each object in its own file, so
// objects survive restarts and other tools (DuckDB) can read them in place.
//
// # Layout
//
//	<root>/<bucket>/<dirs>/@<name>         the object's bytes, nothing else
//	<root>/.meta/<bucket>/<dirs>/@<name>   its metadata sidecar (JSON)
//	<root>/.tmp/                           files being written or deleted
//	<root>/.layout                         the layout's version
//
// A key is split on "/": each segment but the last is a directory, the last
// is the object's file, named "@" and the escaped segment (see
// s3store_path.go). So the object "dt=2024-01-02/part-0.parquet" is the
// file "<root>/<bucket>/dt=2024-01-02/@part-0.parquet", and "a/b" (a/@b)
// sits beside "a/b/c" (a/b/@c) and "a/" (a/@%), as S3 allows. A segment
// longer than a file name allows is cut and hashed.
//
// # Durability
//
// A PUT streams into a temporary file under <root>/.tmp, computing the MD5,
// and fsyncs it; it then writes the sidecar the same way and renames it into
// place, renames the object into place, and fsyncs the directories involved.
// PutObject returns only after all of that, so an acknowledged object
// survives a crash, and a crash never leaves a partly written object. The
// object file is the truth: when its sidecar is missing or does not match
// its size and mtime, the store computes the MD5 from the file and reports
// no metadata.
//
// # Concurrency
//
// A DiskStore is safe for concurrent use. Within a process, reads see each
// object whole and with its own metadata, and conditional PUTs are atomic
// with respect to other writes. Other processes may read the files (and open
// a DiskStore to call ObjectPath), but only one process should write a root
// at a time. Leftover temporary files from a crash are never listed; the
// store does not remove them, because another process may be mid-write.
type DiskStore struct {
	root    string // absolute
	tmpDir  string // root/.tmp
	metaDir string // root/.meta

	// mu orders writers (which hold it exclusively while they rename files
	// into place, create directories or remove them) against readers (which
	// hold it shared while they stat an object and read its sidecar).
	// Object bodies are streamed without it.
	mu sync.RWMutex

	// noSync skips fsync; only tests that bulk-load data set it.
	noSync bool
	// dirsRead counts directories read by listings, for tests.
	dirsRead atomic.Int64
}

var _ gofakes3.Backend = (*DiskStore)(nil)

// OpenDiskStore opens the store rooted at root, creating the directory if
// needed. Opening does not lock or clean anything, so several DiskStores,
// even in several processes, may be open on one root; see DiskStore for who
// may write.
func OpenDiskStore(root string) (*DiskStore, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("open s3 store %s: %w", root, err)
	}
	s := &DiskStore{
		root:    abs,
		tmpDir:  filepath.Join(abs, ".tmp"),
		metaDir: filepath.Join(abs, ".meta"),
	}
	for _, dir := range []string{s.root, s.tmpDir, s.metaDir} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("open s3 store %s: %w", root, err)
		}
	}
	if err := s.upgradeLayout(); err != nil {
		return nil, fmt.Errorf("open s3 store %s: %w", root, err)
	}
	return s, nil
}

// loc is where one object and its sidecar live.
type loc struct {
	bucket, key string
	bucketDir   string // root/bucket
	metaBucket  string // root/.meta/bucket
	rel         string // the escaped key, OS-separated
	obj         string // the object file
	meta        string // the sidecar file
}

// locate maps bucket and key to files. Errors are gofakes3 errors:
// NoSuchBucket for an invalid bucket name, or escapeKey's.
func (s *DiskStore) locate(bucket, key string) (loc, error) {
	if checkBucketName(bucket) != nil {
		return loc{}, gofakes3.BucketNotFound(bucket)
	}
	rel, err := escapeKey(key)
	if err != nil {
		return loc{}, err
	}
	l := loc{
		bucket:     bucket,
		key:        key,
		bucketDir:  filepath.Join(s.root, bucket),
		metaBucket: filepath.Join(s.metaDir, bucket),
		rel:        rel,
	}
	l.obj = filepath.Join(l.bucketDir, rel)
	l.meta = filepath.Join(l.metaBucket, rel)
	return l, nil
}

// sidecar is the JSON stored next to an object. Size and MTimeNano are the
// object file's at the time of the PUT; a sidecar that does not match the
// file is stale and ignored, except for Key, which every sidecar at one path
// shares (a hashed file name needs it to be listed).
type sidecar struct {
	Key       string            `json:"key"`
	Size      int64             `json:"size"`
	MTimeNano int64             `json:"mtime_unix_nano"`
	MD5       string            `json:"md5"`
	Metadata  map[string]string `json:"metadata,omitempty"`
}

// objectInfo is what S3 reports about an object besides its bytes.
type objectInfo struct {
	size  int64
	mtime time.Time
	hash  []byte
	meta  map[string]string // includes Last-Modified; never nil
}

// describe reports on the object file l.obj, which fi describes: from its
// sidecar when that matches the file, otherwise from the file alone.
func describe(l loc, fi fs.FileInfo) (objectInfo, error) {
	info := objectInfo{size: fi.Size(), mtime: fi.ModTime(), meta: map[string]string{}}
	if sc, ok := readSidecar(l.meta); ok && sc.Size == info.size && sc.MTimeNano == info.mtime.UnixNano() {
		if h, err := hex.DecodeString(sc.MD5); err == nil && len(h) == md5.Size {
			info.hash = h
			for k, v := range sc.Metadata {
				info.meta[k] = v
			}
		}
	}
	if info.hash == nil {
		h, err := hashFile(l.obj)
		if err != nil {
			return objectInfo{}, fmt.Errorf("hash s3://%s/%s: %w", l.bucket, l.key, err)
		}
		info.hash = h
	}
	info.meta["Last-Modified"] = info.mtime.UTC().Format(http.TimeFormat)
	return info, nil
}

// readSidecar reads a sidecar, reporting false if it is missing or damaged:
// either way the object file still answers for itself.
func readSidecar(path string) (sidecar, bool) {
	var sc sidecar
	b, err := os.ReadFile(path)
	if err != nil || json.Unmarshal(b, &sc) != nil {
		return sidecar{}, false
	}
	return sc, true
}

func hashFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	h := md5.New()
	if _, err := io.Copy(h, f); err != nil {
		return nil, err
	}
	return h.Sum(nil), nil
}

// keptHeader reports whether PutObject stores the metadata entry k (in
// canonical form). Request-scoped headers (X-Amz-Date, X-Amz-Content-Sha256,
// X-Amz-Copy-Source, ...) that gofakes3 also passes are dropped.
func keptHeader(k string) bool {
	switch k {
	case "Content-Type", "Content-Disposition", "Content-Encoding", "Content-Language",
		"Cache-Control", "Expires", "X-Amz-Storage-Class":
		return true
	case "X-Amz-Checksum-Algorithm":
		return false
	}
	return strings.HasPrefix(k, "X-Amz-Meta-") || strings.HasPrefix(k, "X-Amz-Checksum-")
}

// rangeScopedHeader reports whether a stored header describes the whole
// object and must not accompany a range of it: the SDK validates a returned
// checksum against the bytes it receives.
func rangeScopedHeader(k string) bool {
	return strings.HasPrefix(k, "X-Amz-Checksum-")
}

// isNotFound reports whether err means no file can be at that path.
func isNotFound(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) || errors.Is(err, syscall.ENAMETOOLONG)
}

// s3Error returns err itself if it is a gofakes3 error, because gofakes3
// picks the HTTP status with a type switch, not errors.As, and a wrapped
// error would become a 500. Any other error is wrapped with op.
func s3Error(op string, err error) error {
	var e gofakes3.Error
	if errors.As(err, &e) {
		return e
	}
	return fmt.Errorf("%s: %w", op, err)
}

func isDir(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.IsDir()
}

// missing returns the error for an object that is not there: NoSuchBucket
// or NoSuchKey.
func (s *DiskStore) missing(bucket, key string) error {
	if checkBucketName(bucket) != nil || !isDir(filepath.Join(s.root, bucket)) {
		return gofakes3.BucketNotFound(bucket)
	}
	return gofakes3.KeyNotFound(key)
}

// syncDir fsyncs a directory so that entries created, renamed or removed in
// it survive a crash.
func (s *DiskStore) syncDir(dir string) error {
	if s.noSync {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// ListBuckets returns the buckets in name order. A bucket's creation date is
// its directory's mtime.
func (s *DiskStore) ListBuckets() ([]gofakes3.BucketInfo, error) {
	entries, err := os.ReadDir(s.root)
	if err != nil {
		return nil, fmt.Errorf("list buckets in %s: %w", s.root, err)
	}
	var out []gofakes3.BucketInfo
	for _, e := range entries {
		if !e.IsDir() || checkBucketName(e.Name()) != nil {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			continue // removed since ReadDir
		}
		out = append(out, gofakes3.BucketInfo{Name: e.Name(), CreationDate: gofakes3.NewContentTime(fi.ModTime())})
	}
	return out, nil
}

// BucketExists reports whether the bucket's directory exists. An invalid
// name does not exist.
func (s *DiskStore) BucketExists(name string) (bool, error) {
	if checkBucketName(name) != nil {
		return false, nil
	}
	fi, err := os.Stat(filepath.Join(s.root, name))
	switch {
	case isNotFound(err):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("check bucket %s: %w", name, err)
	}
	return fi.IsDir(), nil
}

// CreateBucket creates the bucket, or does nothing if it exists (S3's answer
// to the owner in us-east-1). An invalid name is InvalidBucketName.
func (s *DiskStore) CreateBucket(name string) error {
	if err := checkBucketName(name); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	dir := filepath.Join(s.root, name)
	if err := os.Mkdir(dir, 0o755); err != nil && !(errors.Is(err, fs.ErrExist) && isDir(dir)) {
		return fmt.Errorf("create bucket %s: %w", name, err)
	}
	if err := os.MkdirAll(filepath.Join(s.metaDir, name), 0o755); err != nil {
		return fmt.Errorf("create bucket %s: %w", name, err)
	}
	if err := s.syncDir(s.root); err != nil {
		return fmt.Errorf("create bucket %s: %w", name, err)
	}
	return nil
}

// DeleteBucket deletes an empty bucket: NoSuchBucket if it does not exist,
// BucketNotEmpty if it holds an object.
func (s *DiskStore) DeleteBucket(name string) error {
	return s.deleteBucket(name, false)
}

// ForceDeleteBucket deletes a bucket and every object in it.
func (s *DiskStore) ForceDeleteBucket(name string) error {
	return s.deleteBucket(name, true)
}

func (s *DiskStore) deleteBucket(name string, force bool) error {
	trash, err := s.detachBucket(name, force)
	if err != nil {
		return err
	}
	// The bucket is gone once detached; removing its files can take a
	// while, so it happens outside the lock.
	if err := os.RemoveAll(trash); err != nil {
		return fmt.Errorf("delete bucket %s: remove its files: %w", name, err)
	}
	return nil
}

// detachBucket moves the bucket's object and sidecar trees into a new
// directory under .tmp, atomically with respect to other operations, and
// returns that directory.
func (s *DiskStore) detachBucket(name string, force bool) (string, error) {
	if checkBucketName(name) != nil {
		return "", gofakes3.BucketNotFound(name)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	dir := filepath.Join(s.root, name)
	if !isDir(dir) {
		return "", gofakes3.BucketNotFound(name)
	}
	if !force {
		has, err := hasObject(dir)
		if err != nil {
			return "", fmt.Errorf("delete bucket %s: %w", name, err)
		}
		if has {
			return "", gofakes3.ResourceError(gofakes3.ErrBucketNotEmpty, name)
		}
	}
	trash, err := os.MkdirTemp(s.tmpDir, "deleted-"+name+"-*")
	if err != nil {
		return "", fmt.Errorf("delete bucket %s: %w", name, err)
	}
	if err := os.Rename(dir, filepath.Join(trash, "objects")); err != nil {
		os.Remove(trash)
		return "", fmt.Errorf("delete bucket %s: %w", name, err)
	}
	if err := os.Rename(filepath.Join(s.metaDir, name), filepath.Join(trash, "meta")); err != nil && !isNotFound(err) {
		return "", fmt.Errorf("delete bucket %s: %w", name, err)
	}
	if err := errors.Join(s.syncDir(s.root), s.syncDir(s.metaDir)); err != nil {
		return "", fmt.Errorf("delete bucket %s: %w", name, err)
	}
	return trash, nil
}

// hasObject reports whether the tree at dir holds at least one object file.
func hasObject(dir string) (bool, error) {
	f, err := os.Open(dir)
	if isNotFound(err) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	defer f.Close()
	for {
		entries, err := f.ReadDir(256)
		for _, e := range entries {
			if _, ok := parseEntry(e.Name(), e.IsDir()); !ok {
				continue
			}
			switch {
			case e.Type().IsRegular():
				return true, nil
			case e.IsDir():
				if has, err := hasObject(filepath.Join(dir, e.Name())); has || err != nil {
					return has, err
				}
			}
		}
		if errors.Is(err, io.EOF) {
			return false, nil
		} else if err != nil {
			return false, err
		}
	}
}

// HeadObject returns the object's size, ETag and metadata, with empty
// Contents. Errors: NoSuchBucket, NoSuchKey.
func (s *DiskStore) HeadObject(bucket, key string) (*gofakes3.Object, error) {
	l, err := s.locate(bucket, key)
	if err != nil {
		return nil, s.missing(bucket, key)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	fi, err := os.Lstat(l.obj)
	if err != nil || !fi.Mode().IsRegular() {
		if err == nil || isNotFound(err) {
			return nil, s.missing(bucket, key)
		}
		return nil, fmt.Errorf("head s3://%s/%s: %w", bucket, key, err)
	}
	info, err := describe(l, fi)
	if err != nil {
		return nil, err
	}
	return &gofakes3.Object{Name: key, Metadata: info.meta, Size: info.size, Hash: info.hash, Contents: http.NoBody}, nil
}

// GetObject opens the object, or the byte range rng of it (nil means all).
// The caller must close Contents. Errors: NoSuchBucket, NoSuchKey,
// InvalidRange.
func (s *DiskStore) GetObject(bucket, key string, rng *gofakes3.ObjectRangeRequest) (*gofakes3.Object, error) {
	f, info, err := s.open(bucket, key)
	if err != nil {
		return nil, err
	}
	r, err := rng.Range(info.size)
	if err != nil {
		f.Close()
		return nil, err
	}
	var body io.ReadCloser = f
	if r != nil {
		body = struct {
			io.Reader
			io.Closer
		}{io.NewSectionReader(f, r.Start, r.Length), f}
		for k := range info.meta {
			if rangeScopedHeader(k) {
				delete(info.meta, k)
			}
		}
	}
	return &gofakes3.Object{Name: key, Metadata: info.meta, Size: info.size, Hash: info.hash, Range: r, Contents: body}, nil
}

// open opens an object file and describes it, both under the read lock so
// the file and its sidecar belong together.
func (s *DiskStore) open(bucket, key string) (*os.File, objectInfo, error) {
	l, err := s.locate(bucket, key)
	if err != nil {
		return nil, objectInfo{}, s.missing(bucket, key)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	fi, err := os.Lstat(l.obj)
	if err != nil || !fi.Mode().IsRegular() {
		if err == nil || isNotFound(err) {
			return nil, objectInfo{}, s.missing(bucket, key)
		}
		return nil, objectInfo{}, fmt.Errorf("get s3://%s/%s: %w", bucket, key, err)
	}
	f, err := os.Open(l.obj)
	if err != nil {
		return nil, objectInfo{}, fmt.Errorf("get s3://%s/%s: %w", bucket, key, err)
	}
	info, err := describe(l, fi)
	if err != nil {
		f.Close()
		return nil, objectInfo{}, err
	}
	return f, info, nil
}

// PutObject stores size bytes from input as the object, durably (see
// DiskStore), with the kept subset of meta. If conditions is not nil they are
// checked against the current object atomically with the write; a failed
// condition is PreconditionFailed. Other errors: NoSuchBucket,
// KeyTooLongError, InvalidArgument (the key conflicts with a folder or
// object, see DiskStore), IncompleteBody, and whatever gofakes3's reader
// reports (BadDigest).
func (s *DiskStore) PutObject(
	bucket, key string,
	meta map[string]string,
	input io.Reader,
	size int64,
	conditions *gofakes3.PutConditions,
) (gofakes3.PutObjectResult, error) {
	var none gofakes3.PutObjectResult
	op := fmt.Sprintf("put s3://%s/%s", bucket, key)
	l, err := s.locate(bucket, key)
	if err != nil {
		return none, err
	}
	if !isDir(l.bucketDir) {
		return none, gofakes3.BucketNotFound(bucket)
	}

	obj, err := s.writeTemp(input)
	if err != nil {
		return none, s3Error(op, err)
	}
	committed := false
	defer func() {
		if !committed {
			os.Remove(obj.path)
		}
	}()
	if obj.size != size {
		return none, gofakes3.ErrIncompleteBody
	}

	kept := map[string]string{}
	for k, v := range meta {
		if k = textproto.CanonicalMIMEHeaderKey(k); keptHeader(k) {
			kept[k] = v
		}
	}
	scJSON, err := json.Marshal(sidecar{
		Key:       key,
		Size:      obj.size,
		MTimeNano: obj.mtime.UnixNano(),
		MD5:       hex.EncodeToString(obj.md5),
		Metadata:  kept,
	})
	if err != nil {
		return none, fmt.Errorf("%s: %w", op, err)
	}
	sc, err := s.writeTemp(bytes.NewReader(scJSON))
	if err != nil {
		return none, fmt.Errorf("%s: %w", op, err)
	}
	defer func() {
		if !committed {
			os.Remove(sc.path)
		}
	}()

	s.mu.Lock()
	defer s.mu.Unlock()
	if !isDir(l.bucketDir) {
		return none, gofakes3.BucketNotFound(bucket)
	}
	if conditions != nil {
		cur, err := currentForCondition(l)
		if err != nil {
			return none, fmt.Errorf("%s: %w", op, err)
		}
		if err := gofakes3.CheckPutConditions(conditions, cur); err != nil {
			return none, err
		}
	}
	if err := s.commit(l, obj.path, sc.path); err != nil {
		if errors.Is(err, syscall.ENAMETOOLONG) {
			return none, gofakes3.ErrorMessage(gofakes3.ErrKeyTooLong, "the key's path is too long for the local file system")
		}
		return none, s3Error(op, err)
	}
	committed = true
	return none, nil
}

// tempFile is a file written and fsynced under .tmp.
type tempFile struct {
	path  string
	size  int64
	md5   []byte
	mtime time.Time
}

// writeTemp copies r into a new file under .tmp and fsyncs it. Errors from r
// are returned unwrapped.
func (s *DiskStore) writeTemp(r io.Reader) (tempFile, error) {
	f, err := os.CreateTemp(s.tmpDir, "put-*")
	if err != nil {
		return tempFile{}, err
	}
	t := tempFile{path: f.Name()}
	// gofakes3 hashes every body it hands over, for its ETag: take its
	// MD5 rather than compute a second one (a tenth of a busy sink's CPU).
	summer, hashed := r.(interface{ Sum([]byte) []byte })
	h := md5.New()
	if !hashed {
		r = io.TeeReader(r, h)
	}
	t.size, err = copyToFile(f, r)
	if err == nil && !s.noSync {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	var fi fs.FileInfo
	if err == nil {
		// Stat after Close: some file systems (NFS) set the mtime when
		// the data reaches them, which may be at Close.
		fi, err = os.Stat(t.path)
	}
	if err != nil {
		os.Remove(t.path)
		return tempFile{}, err
	}
	if hashed {
		t.md5 = summer.Sum(nil)
	} else {
		t.md5 = h.Sum(nil)
	}
	t.mtime = fi.ModTime()
	return t, nil
}

// currentForCondition describes the object l for CheckPutConditions.
func currentForCondition(l loc) (*gofakes3.ConditionalObjectInfo, error) {
	fi, err := os.Lstat(l.obj)
	if isNotFound(err) || err == nil && !fi.Mode().IsRegular() {
		return &gofakes3.ConditionalObjectInfo{Exists: false}, nil
	} else if err != nil {
		return nil, err
	}
	info, err := describe(l, fi)
	if err != nil {
		return nil, err
	}
	return &gofakes3.ConditionalObjectInfo{Exists: true, Hash: info.hash}, nil
}

// commit moves a written object and its sidecar into place; s.mu must be
// held. The sidecar is renamed and its directory fsynced before the object
// is renamed, so a crash leaves either the old object (whose sidecar is now
// stale, losing only its metadata) or the new one with its metadata.
func (s *DiskStore) commit(l loc, objTmp, scTmp string) error {
	objDirs, err := s.mkdirs(l, l.bucketDir, filepath.Dir(l.rel))
	if err != nil {
		return err
	}
	metaDirs, err := s.mkdirs(l, s.metaDir, filepath.Join(l.bucket, filepath.Dir(l.rel)))
	if err != nil {
		return err
	}
	if err := os.Rename(scTmp, l.meta); err != nil {
		return err
	}
	for _, d := range append(metaDirs, filepath.Dir(l.meta)) {
		if err := s.syncDir(d); err != nil {
			return err
		}
	}
	if err := os.Rename(objTmp, l.obj); err != nil {
		os.Remove(l.meta) // it describes an object that never arrived
		return err
	}
	for _, d := range append(objDirs, filepath.Dir(l.obj)) {
		if err := s.syncDir(d); err != nil {
			return err
		}
	}
	return nil
}

// mkdirs creates the directories of rel (OS-separated) under base and
// returns the parent of each one it created, which must be fsynced. A file
// the store did not write can be in the way (no object's file has a
// directory's name): the error then names it.
func (s *DiskStore) mkdirs(l loc, base, rel string) ([]string, error) {
	if rel == "." || isDir(filepath.Join(base, rel)) {
		return nil, nil
	}
	var created []string
	p := base
	for _, seg := range strings.Split(rel, string(filepath.Separator)) {
		parent := p
		p = filepath.Join(p, seg)
		err := os.Mkdir(p, 0o755)
		if err == nil {
			created = append(created, parent)
			continue
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, err
		}
		if fi, err := os.Lstat(p); err != nil {
			return nil, err
		} else if fi.IsDir() {
			continue
		}
		return nil, gofakes3.ErrorMessagef(gofakes3.ErrInvalidArgument,
			"cannot store key %q: the file %s, which the S3 emulator did not write, is where its folder should be", l.key, p)
	}
	return created, nil
}

// DeleteObject deletes the object, its sidecar, and the directories that
// this leaves empty. A missing key is not an error; a missing bucket is
// NoSuchBucket.
func (s *DiskStore) DeleteObject(bucket, key string) (gofakes3.ObjectDeleteResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return gofakes3.ObjectDeleteResult{}, s.deleteLocked(bucket, key)
}

// DeleteMulti deletes each key as DeleteObject does, reporting per-key
// failures in the result.
func (s *DiskStore) DeleteMulti(bucket string, keys ...string) (gofakes3.MultiDeleteResult, error) {
	var res gofakes3.MultiDeleteResult
	if ok, err := s.BucketExists(bucket); err != nil {
		return res, err
	} else if !ok {
		return res, gofakes3.BucketNotFound(bucket)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, key := range keys {
		if err := s.deleteLocked(bucket, key); err != nil {
			er := gofakes3.ErrorResultFromError(err)
			er.Key = key
			if er.Message == "" {
				er.Message = err.Error()
			}
			res.Error = append(res.Error, er)
			continue
		}
		res.Deleted = append(res.Deleted, gofakes3.ObjectID{Key: key})
	}
	return res, nil
}

// deleteLocked is DeleteObject with s.mu held.
func (s *DiskStore) deleteLocked(bucket, key string) error {
	if checkBucketName(bucket) != nil || !isDir(filepath.Join(s.root, bucket)) {
		return gofakes3.BucketNotFound(bucket)
	}
	l, err := s.locate(bucket, key)
	if err != nil {
		return nil // no such key can be stored, so there is nothing to delete
	}
	op := fmt.Sprintf("delete s3://%s/%s", bucket, key)
	if fi, err := os.Lstat(l.obj); err == nil && fi.Mode().IsRegular() {
		if err := os.Remove(l.obj); err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
	} else if err != nil && !isNotFound(err) {
		return fmt.Errorf("%s: %w", op, err)
	}
	if err := os.Remove(l.meta); err != nil && !isNotFound(err) {
		return fmt.Errorf("%s: %w", op, err)
	}
	// Also prune when the key was missing: that clears folders a crash left
	// empty. The fsync makes the removals durable; on a miss it is cheap.
	for _, tree := range [][2]string{{l.bucketDir, filepath.Dir(l.obj)}, {l.metaBucket, filepath.Dir(l.meta)}} {
		kept, err := prune(tree[0], tree[1])
		if err == nil {
			err = s.syncDir(kept)
		}
		if err != nil && !isNotFound(err) {
			return fmt.Errorf("%s: %w", op, err)
		}
	}
	return nil
}

// prune removes dir and its ancestors up to, not including, stop, while
// they are empty. It returns the deepest directory it kept.
func prune(stop, dir string) (string, error) {
	for dir != stop && strings.HasPrefix(dir, stop+string(filepath.Separator)) {
		err := os.Remove(dir)
		switch {
		case errors.Is(err, fs.ErrExist): // not empty (ENOTEMPTY matches ErrExist)
			return dir, nil
		case err != nil && !isNotFound(err):
			return dir, err
		}
		dir = filepath.Dir(dir)
	}
	return dir, nil
}

// CopyObject copies the source object's bytes to the destination with meta
// (which gofakes3 has already merged with the source's metadata).
func (s *DiskStore) CopyObject(srcBucket, srcKey, dstBucket, dstKey string, meta map[string]string) (gofakes3.CopyObjectResult, error) {
	return gofakes3.CopyObject(s, srcBucket, srcKey, dstBucket, dstKey, meta)
}
