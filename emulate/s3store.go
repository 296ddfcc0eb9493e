package emulate

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// DiskStore keeps S3 buckets and objects on disk, each object in its own
// file, so objects survive restarts and other tools (DuckDB) read them in
// place. The S3 front end (S3Server) serves it; the store itself knows S3's
// data model (buckets, keys, metadata, ACLs, tags, multipart uploads) but
// not HTTP. Its errors for what a caller did wrong are *S3Error values.
//
// # Layout
//
//	<root>/<bucket>/<dirs>/@<name>         the object's bytes, nothing else
//	<root>/.meta/<bucket>/<dirs>/@<name>   its metadata sidecar (JSON)
//	<root>/.meta/<bucket>/.bucket.json     the bucket's owner and settings
//	<root>/.uploads/<upload id>/           a multipart upload: its parts
//	<root>/.versions/<bucket>/...          noncurrent versions (see s3store_versions.go)
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
// no metadata. A crash between the two renames leaves the old object with
// the new sidecar, which carries the old one's description (sidecar.Prev),
// so a reader sees the old object with its metadata or the new one with its. Multipart parts are files too, fsynced before UploadPart
// answers, and a completed upload is one object file like any other.
//
// # Concurrency
//
// A DiskStore is safe for concurrent use. Within a process, reads see each
// object whole and with its own metadata, and conditional PUTs are atomic
// with respect to other writes. Other processes may read the files (and open
// a DiskStore to call ObjectPath), but only one process should write a root
// at a time. Leftover temporary files from a crash are never listed; the
// process that serves the root removes them when it starts (RemoveTemp),
// since only it may write there.
type DiskStore struct {
	root        string // absolute
	tmpDir      string // root/.tmp
	metaDir     string // root/.meta
	uploadsDir  string // root/.uploads
	versionsDir string // root/.versions

	// mu orders writers (which hold it exclusively while they rename files
	// into place, create directories or remove them) against readers (which
	// hold it shared while they stat an object and read its sidecar).
	// Object bodies are streamed without it.
	mu sync.RWMutex

	// noSync skips fsync; only tests that bulk-load data set it.
	noSync bool
	// dirsRead counts directories read by listings, for tests.
	dirsRead atomic.Int64
	// diskFull says when a write fails for want of space.
	diskFull diskFullNotice
	// lastForget is when completed uploads were last forgotten.
	lastForget atomic.Pointer[time.Time]
}

// OpenDiskStore opens the store rooted at root, creating the directory if
// needed. Opening does not lock or clean anything (see RemoveTemp), so
// several DiskStores, even in several processes, may be open on one root;
// see DiskStore for who may write.
func OpenDiskStore(root string) (*DiskStore, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("open s3 store %s: %w", root, err)
	}
	s := &DiskStore{
		root:        abs,
		tmpDir:      filepath.Join(abs, ".tmp"),
		metaDir:     filepath.Join(abs, ".meta"),
		uploadsDir:  filepath.Join(abs, ".uploads"),
		versionsDir: filepath.Join(abs, ".versions"),
	}
	for _, dir := range []string{s.root, s.tmpDir, s.metaDir, s.uploadsDir, s.versionsDir} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("open s3 store %s: %w", root, err)
		}
	}
	if err := s.upgradeLayout(); err != nil {
		return nil, fmt.Errorf("open s3 store %s: %w", root, err)
	}
	return s, nil
}

// tempPrefixes name what the store itself puts in its temporary directory:
// bodies of PUTs and Completes being written, buckets and uploads being
// deleted.
var tempPrefixes = []string{"put-", "complete-", "deleted-", "aborted-"}

// RemoveTemp deletes the store's temporary files, which writes cut short by
// a crash leave behind. Only the process that serves the root may call it,
// holding the data dir's lock (see Start): any other writer's files in
// flight are there too.
func (s *DiskStore) RemoveTemp() error {
	ents, err := os.ReadDir(s.tmpDir)
	if err != nil {
		return fmt.Errorf("clean %s: %w", s.tmpDir, err)
	}
	for _, e := range ents {
		if !slices.ContainsFunc(tempPrefixes, func(p string) bool { return strings.HasPrefix(e.Name(), p) }) {
			continue
		}
		if err := os.RemoveAll(filepath.Join(s.tmpDir, e.Name())); err != nil {
			return fmt.Errorf("clean %s: %w", s.tmpDir, err)
		}
	}
	return nil
}

// Owner is an S3 account: its canonical user ID and display name.
type Owner struct {
	ID          string `json:"id"`
	DisplayName string `json:"display_name,omitempty"`
}

// Grantee is who a Grant is for: a canonical user (ID), a group (URI) or an
// e-mail address.
type Grantee struct {
	Type        string `json:"type"` // CanonicalUser, Group or AmazonCustomerByEmail
	ID          string `json:"id,omitempty"`
	DisplayName string `json:"display_name,omitempty"`
	URI         string `json:"uri,omitempty"`
	Email       string `json:"email,omitempty"`
}

// Grant gives a grantee one permission: READ, WRITE, READ_ACP, WRITE_ACP
// or FULL_CONTROL.
type Grant struct {
	Grantee    Grantee `json:"grantee"`
	Permission string  `json:"permission"`
}

// ACL is an access control list: the resource's owner and the grants.
type ACL struct {
	Owner  Owner   `json:"owner"`
	Grants []Grant `json:"grants"`
}

// Tag is one key=value tag of an object or a bucket.
type Tag struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Checksum is an object's or a part's additional checksum, as S3 reports
// it: the algorithm (CRC32, CRC32C, CRC64NVME, SHA1, SHA256), the base64
// value ("-<parts>" appended for a composite one) and its type
// (FULL_OBJECT or COMPOSITE).
type Checksum struct {
	Algorithm string `json:"algorithm"`
	Value     string `json:"value"`
	Type      string `json:"type,omitempty"`
}

// PartInfo describes one part of a multipart upload, or of the object it
// became.
type PartInfo struct {
	Number       int       `json:"number"`
	Size         int64     `json:"size"`
	ETag         string    `json:"etag"` // without quotes
	Checksum     *Checksum `json:"checksum,omitempty"`
	LastModified time.Time `json:"last_modified,omitzero"`
}

// ObjectMeta is what S3 keeps of an object besides its bytes.
type ObjectMeta struct {
	ContentType             string `json:"content_type,omitempty"`
	ContentEncoding         string `json:"content_encoding,omitempty"`
	ContentDisposition      string `json:"content_disposition,omitempty"`
	ContentLanguage         string `json:"content_language,omitempty"`
	CacheControl            string `json:"cache_control,omitempty"`
	Expires                 string `json:"expires,omitempty"`
	WebsiteRedirectLocation string `json:"website_redirect_location,omitempty"`
	// User is the x-amz-meta-* metadata: names lower-case, without the
	// prefix.
	User map[string]string `json:"user,omitempty"`
	Tags []Tag             `json:"tags,omitempty"`
	// ACL is nil for an object stored without one (or whose sidecar was
	// lost): it is then private to the bucket's owner.
	ACL          *ACL      `json:"acl,omitempty"`
	StorageClass string    `json:"storage_class,omitempty"`
	SSE          string    `json:"sse,omitempty"` // x-amz-server-side-encryption, echoed
	Checksum     *Checksum `json:"checksum,omitempty"`
	// Parts are a multipart object's parts, in order; nil for a PUT.
	Parts []PartInfo `json:"parts,omitempty"`
}

// ObjectInfo describes a stored object (one version of it).
type ObjectInfo struct {
	Key          string
	Size         int64
	LastModified time.Time
	ETag         string // without quotes
	Meta         ObjectMeta
	// VersionID is "" for an object stored while its bucket's versioning
	// was never enabled (S3's "null" version).
	VersionID string
}

// loc is where one object and its sidecar live.
type loc struct {
	bucket, key string
	bucketDir   string // root/bucket
	metaBucket  string // root/.meta/bucket
	rel         string // the object's path under its bucket, OS-separated
	obj         string // the object file
	meta        string // the sidecar file
}

// locate maps bucket and key to files. An invalid bucket name is
// NoSuchBucket (no such bucket can exist); a bad key is checkKey's error.
func (s *DiskStore) locate(bucket, key string) (loc, error) {
	if checkBucketName(bucket) != nil {
		return loc{}, errNoSuchBucket(bucket)
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
//
// A PUT renames its sidecar into place before its object file, so a crash
// between the two renames leaves the old file beside the new sidecar: Prev,
// the description of the file the PUT replaces, lets a reader still find
// the old file's metadata then (see matchSidecar).
type sidecar struct {
	Key       string     `json:"key"`
	Size      int64      `json:"size"`
	MTimeNano int64      `json:"mtime_unix_nano"`
	ETag      string     `json:"etag,omitempty"`
	Meta      ObjectMeta `json:"meta"`
	// VersionID is the version's ID ("" for an unversioned object);
	// VersionNanos when it was made, to order versions; a DeleteMarker
	// is a sidecar without bytes.
	VersionID    string `json:"version_id,omitempty"`
	VersionNanos int64  `json:"version_nanos,omitempty"`
	DeleteMarker bool   `json:"delete_marker,omitempty"`
	// Prev describes the file this sidecar's PUT replaced (without its
	// own Prev); nil if there was none or it had no valid sidecar.
	Prev *sidecar `json:"prev,omitempty"`

	// The first layout's fields: the MD5 (then always the ETag) and the
	// metadata as canonical header names.
	MD5      string            `json:"md5,omitempty"`
	Metadata map[string]string `json:"metadata,omitempty"`
}

// describe reports on the object file l.obj, which fi describes: from its
// sidecar when that matches the file, otherwise from the file alone.
func describe(l loc, fi fs.FileInfo) (ObjectInfo, error) {
	info := ObjectInfo{Key: l.key, Size: fi.Size(), LastModified: fi.ModTime()}
	if sc, ok := matchSidecar(l.meta, fi); ok {
		info.ETag, info.Meta, info.VersionID = sc.ETag, sc.Meta, sc.VersionID
		if info.ETag == "" && len(sc.MD5) == 2*md5.Size {
			info.ETag, info.Meta = sc.MD5, firstLayoutMeta(sc.Metadata)
		}
	}
	if info.ETag == "" {
		h, err := hashFile(l.obj)
		if err != nil {
			return ObjectInfo{}, fmt.Errorf("hash s3://%s/%s: %w", l.bucket, l.key, err)
		}
		info.ETag = hex.EncodeToString(h)
	}
	return info, nil
}

// firstLayoutMeta reads the first layout's header-named metadata.
func firstLayoutMeta(h map[string]string) ObjectMeta {
	m := ObjectMeta{
		ContentType: h["Content-Type"], ContentEncoding: h["Content-Encoding"], ContentDisposition: h["Content-Disposition"],
		ContentLanguage: h["Content-Language"], CacheControl: h["Cache-Control"], Expires: h["Expires"],
	}
	for k, v := range h {
		if name, ok := strings.CutPrefix(k, "X-Amz-Meta-"); ok {
			if m.User == nil {
				m.User = map[string]string{}
			}
			m.User[strings.ToLower(name)] = v
		}
	}
	return m
}

// matchSidecar reads the sidecar at path and returns the description of
// the object file fi: the sidecar itself if it matches the file, or the
// previous one it carries if that does (a crash came between a PUT's
// renames); false if neither does.
func matchSidecar(path string, fi fs.FileInfo) (sidecar, bool) {
	sc, ok := readSidecar(path)
	if !ok {
		return sidecar{}, false
	}
	return sc.match(fi)
}

// match returns the sidecar, or its Prev, that describes the file fi.
func (sc sidecar) match(fi fs.FileInfo) (sidecar, bool) {
	switch {
	case sc.describes(fi):
		sc.Prev = nil
		return sc, true
	case sc.Prev != nil && sc.Prev.describes(fi):
		prev := *sc.Prev
		prev.Key, prev.Prev = sc.Key, nil
		return prev, true
	}
	return sidecar{}, false
}

// describes reports whether the sidecar was written for the file fi.
func (sc *sidecar) describes(fi fs.FileInfo) bool {
	return sc.Size == fi.Size() && sc.MTimeNano == fi.ModTime().UnixNano()
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

// isNotFound reports whether err means no file can be at that path.
func isNotFound(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) || errors.Is(err, syscall.ENAMETOOLONG)
}

func isDir(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.IsDir()
}

// missing returns the error for an object that is not there: NoSuchBucket
// or NoSuchKey.
func (s *DiskStore) missing(bucket, key string) error {
	if checkBucketName(bucket) != nil || !isDir(filepath.Join(s.root, bucket)) {
		return errNoSuchBucket(bucket)
	}
	return errNoSuchKey(key)
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

// wrote reports a failed write: see diskFullNotice.
func (s *DiskStore) wrote(path string, err error) error {
	return s.diskFull.wrote(path, err)
}

// StatObject describes an object's current version, or version versionID
// ("" for the current one). Errors: NoSuchBucket, NoSuchKey (with
// x-amz-delete-marker when the key's latest version is a delete marker),
// NoSuchVersion, MethodNotAllowed (the version is a delete marker).
func (s *DiskStore) StatObject(bucket, key, versionID string) (ObjectInfo, error) {
	f, info, err := s.openObject(bucket, key, versionID, false)
	if f != nil {
		f.Close()
	}
	return info, err
}

// OpenObject opens an object's current version (or version versionID) for
// reading and describes it, both under the read lock so that the bytes and
// the description belong together. The caller must close the file. Errors
// are StatObject's.
func (s *DiskStore) OpenObject(bucket, key, versionID string) (*os.File, ObjectInfo, error) {
	return s.openObject(bucket, key, versionID, true)
}

func (s *DiskStore) openObject(bucket, key, versionID string, open bool) (*os.File, ObjectInfo, error) {
	l, err := s.locate(bucket, key)
	if err != nil {
		return nil, ObjectInfo{}, s.missing(bucket, key)
	}
	if versionID != "" && !validVersionID(versionID) {
		return nil, ObjectInfo{}, errInvalidArgument("versionId", versionID, "Invalid version id specified")
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	file, meta := l.obj, l.meta
	if versionID != "" {
		v, ok, err := s.findVersion(l, versionID)
		if err != nil {
			return nil, ObjectInfo{}, err
		}
		switch {
		case !ok && !isDir(l.bucketDir):
			return nil, ObjectInfo{}, errNoSuchBucket(bucket)
		case !ok:
			return nil, ObjectInfo{}, errNoSuchVersion(key, versionID)
		case v.marker:
			e := s3Err("MethodNotAllowed", "The specified method is not allowed against this resource.").
				with("Method", "GET").with("ResourceType", "DeleteMarker")
			e.Header = map[string]string{"x-amz-delete-marker": "true", "x-amz-version-id": v.id,
				"Last-Modified": lastModifiedHeader(time.Unix(0, v.nanos))}
			return nil, ObjectInfo{}, e
		}
		file, meta = v.file, v.meta
	}
	fi, err := os.Lstat(file)
	if err != nil || !fi.Mode().IsRegular() {
		if err == nil || isNotFound(err) {
			return nil, ObjectInfo{}, s.missingCurrent(l)
		}
		return nil, ObjectInfo{}, fmt.Errorf("get s3://%s/%s: %w", bucket, key, err)
	}
	var f *os.File
	if open {
		if f, err = os.Open(file); err != nil {
			return nil, ObjectInfo{}, fmt.Errorf("get s3://%s/%s: %w", bucket, key, err)
		}
	}
	info, err := describe(loc{bucket: bucket, key: key, obj: file, meta: meta}, fi)
	if err != nil {
		if f != nil {
			f.Close()
		}
		return nil, ObjectInfo{}, err
	}
	if versionID != "" && info.VersionID == "" {
		info.VersionID = versionID
	}
	return f, info, nil
}

// missingCurrent is the error for a key without a current version:
// NoSuchBucket, or NoSuchKey, which says whether the key's latest version
// is a delete marker, as S3's does. s.mu must be held.
func (s *DiskStore) missingCurrent(l loc) error {
	err := s.missing(l.bucket, l.key)
	e, ok := asS3Error(err)
	if !ok || e.Code != "NoSuchKey" {
		return err
	}
	if vs, _ := s.versionsOf(l); len(vs) > 0 && vs[0].marker {
		e.Header = map[string]string{"x-amz-delete-marker": "true", "x-amz-version-id": vs[0].id}
	}
	return e
}

// PutOptions qualify PutObject and CompleteUpload.
type PutOptions struct {
	Meta ObjectMeta
	// IfNoneMatch "*" stores the object only if the key has none
	// (PreconditionFailed otherwise): a key is never overwritten.
	IfNoneMatch string
	// IfMatch stores the object only if the current one has this ETag
	// (quoted or not): PreconditionFailed if it has another, NoSuchKey if
	// there is none.
	IfMatch string
	// Checksum, for CompleteUpload, is the value the client expects of
	// the object's checksum (BadDigest if it has another).
	Checksum string
}

// checkPut checks opts' conditions against the object at l; s.mu is held.
func checkPut(l loc, opts *PutOptions) error {
	if opts == nil || opts.IfNoneMatch == "" && opts.IfMatch == "" {
		return nil
	}
	fi, err := os.Lstat(l.obj)
	exists := err == nil && fi.Mode().IsRegular()
	if err != nil && !isNotFound(err) {
		return err
	}
	if opts.IfNoneMatch != "" && exists {
		return errPreconditionFailed("If-None-Match")
	}
	if opts.IfMatch != "" {
		if !exists {
			return errNoSuchKey(l.key)
		}
		info, err := describe(l, fi)
		if err != nil {
			return err
		}
		if !etagMatches(opts.IfMatch, info.ETag) {
			return errPreconditionFailed("If-Match")
		}
	}
	return nil
}

// etagMatches reports whether an If-Match-style list of ETags (quoted or
// not, or "*") names etag.
func etagMatches(list, etag string) bool {
	for _, e := range strings.Split(list, ",") {
		e = strings.Trim(strings.TrimSpace(e), `"`)
		if e == "*" || e == etag {
			return true
		}
	}
	return false
}

// PutObject stores size bytes from body as the object, durably (see
// DiskStore), with opts' metadata and conditions (checked atomically with
// the write). A body of another length is IncompleteBody (size -1 takes
// any); a body that
// fails its own checks (a *bodyReader: Content-MD5, checksums) fails with
// its error and stores nothing. Other errors: NoSuchBucket,
// KeyTooLongError, PreconditionFailed, NoSuchKey (If-Match of a missing
// key).
func (s *DiskStore) PutObject(bucket, key string, body io.Reader, size int64, opts *PutOptions) (ObjectInfo, error) {
	op := fmt.Sprintf("put s3://%s/%s", bucket, key)
	l, err := s.locate(bucket, key)
	if err != nil {
		return ObjectInfo{}, err
	}
	if !isDir(l.bucketDir) {
		return ObjectInfo{}, errNoSuchBucket(bucket)
	}
	obj, err := s.writeTemp(body)
	if err != nil {
		return ObjectInfo{}, s.wrapWrite(op, err)
	}
	defer obj.discard()
	if size >= 0 && obj.size != size {
		return ObjectInfo{}, s3Err("IncompleteBody", "You did not provide the number of bytes specified by the Content-Length HTTP header: %d bytes received, %d announced", obj.size, size)
	}
	var meta ObjectMeta
	if opts != nil {
		meta = opts.Meta
	}
	if cb, ok := body.(checksummedBody); ok {
		if c := cb.Checksum(); c != nil {
			meta.Checksum = c
		}
	}
	return s.install(l, &obj, hex.EncodeToString(obj.md5), meta, opts)
}

// install commits a written object file with its description: it writes
// the sidecar, checks opts' conditions and renames both into place, the
// key's current version made noncurrent first if the bucket is versioned.
func (s *DiskStore) install(l loc, obj *tempFile, etag string, meta ObjectMeta, opts *PutOptions) (ObjectInfo, error) {
	op := fmt.Sprintf("put s3://%s/%s", l.bucket, l.key)
	sc := sidecar{Key: l.key, Size: obj.size, MTimeNano: obj.mtime.UnixNano(), ETag: etag, Meta: meta}
	// The sidecar is written before taking the lock (a write of an
	// unversioned bucket then holds it only to rename), and again under
	// it if the bucket's versioning says it needs a version ID or the
	// object it replaces (its Prev) changed meanwhile.
	c, err := s.Bucket(l.bucket)
	if err != nil {
		return ObjectInfo{}, err
	}
	versioning := c.Versioning
	var scFile tempFile
	seen := snapCurrent(l)
	if versioning == "" {
		sc.Prev = seen.description()
		b, err := json.Marshal(sc)
		if err != nil {
			return ObjectInfo{}, fmt.Errorf("%s: %w", op, err)
		}
		if scFile, err = s.writeTemp(bytes.NewReader(b)); err != nil {
			return ObjectInfo{}, s.wrapWrite(op, err)
		}
	}
	defer scFile.discard()

	s.mu.Lock()
	defer s.mu.Unlock()
	if c, err = s.bucketLocked(l.bucket); err != nil {
		return ObjectInfo{}, err
	}
	if err := checkPut(l, opts); err != nil {
		return ObjectInfo{}, err
	}
	if now := snapCurrent(l); c.Versioning != "" || versioning != "" || !now.same(seen) {
		sc.Prev = now.description()
		switch c.Versioning {
		case "Enabled":
			sc.VersionID = newVersionID()
			if _, err := s.archiveCurrent(l); err != nil {
				return ObjectInfo{}, s.wrapWrite(op, err)
			}
		case "Suspended":
			sc.VersionID = nullVersion
			if vs, err := s.versionsOf(l); err == nil && len(vs) > 0 && vs[0].current && vs[0].id != nullVersion {
				if _, err := s.archiveCurrent(l); err != nil {
					return ObjectInfo{}, s.wrapWrite(op, err)
				}
			}
			if err := s.removeVersion(l, nullVersion); err != nil {
				return ObjectInfo{}, s.wrapWrite(op, err)
			}
		}
		if c.Versioning != "" {
			sc.VersionNanos = time.Now().UnixNano()
		}
		b, err := json.Marshal(sc)
		if err != nil {
			return ObjectInfo{}, fmt.Errorf("%s: %w", op, err)
		}
		scFile.discard()
		if scFile, err = s.writeTemp(bytes.NewReader(b)); err != nil {
			return ObjectInfo{}, s.wrapWrite(op, err)
		}
	}
	if err := s.commit(l, obj, &scFile); err != nil {
		if errors.Is(err, syscall.ENAMETOOLONG) {
			return ObjectInfo{}, s3Err("KeyTooLongError", "the key's path is too long for the local file system")
		}
		return ObjectInfo{}, s.wrapWrite(op, err)
	}
	return ObjectInfo{Key: l.key, Size: obj.size, LastModified: obj.mtime, ETag: etag, Meta: meta, VersionID: sc.VersionID}, nil
}

// currentSnap is what a PUT at a key is about to replace: the key's file
// (nil if none) and its sidecar's bytes, as read at one moment.
type currentSnap struct {
	fi  fs.FileInfo
	raw []byte
}

func snapCurrent(l loc) currentSnap {
	var c currentSnap
	if fi, err := os.Lstat(l.obj); err == nil && fi.Mode().IsRegular() {
		c.fi = fi
		c.raw, _ = os.ReadFile(l.meta)
	}
	return c
}

// same reports whether c and d saw the same file and sidecar.
func (c currentSnap) same(d currentSnap) bool {
	if c.fi == nil || d.fi == nil {
		return c.fi == nil && d.fi == nil
	}
	return os.SameFile(c.fi, d.fi) && c.fi.Size() == d.fi.Size() && c.fi.ModTime().Equal(d.fi.ModTime()) && bytes.Equal(c.raw, d.raw)
}

// description is the sidecar describing the file c saw, for a new
// sidecar's Prev; nil if there is no file or no sidecar matches it.
func (c currentSnap) description() *sidecar {
	var sc sidecar
	if c.fi == nil || json.Unmarshal(c.raw, &sc) != nil {
		return nil
	}
	if sc, ok := sc.match(c.fi); ok {
		return &sc
	}
	return nil
}

// wrapWrite returns an S3Error as it is and wraps any other error with op.
func (s *DiskStore) wrapWrite(op string, err error) error {
	if e, ok := asS3Error(err); ok {
		return e
	}
	return fmt.Errorf("%s: %w", op, err)
}

// tempFile is a file written and fsynced under .tmp.
type tempFile struct {
	path  string // "" once renamed into place
	size  int64
	md5   []byte
	mtime time.Time
}

// discard removes the file unless it was renamed into place.
func (t *tempFile) discard() {
	if t.path != "" {
		os.Remove(t.path)
	}
}

// renameTo moves the file into place at path.
func (t *tempFile) renameTo(path string) error {
	if err := os.Rename(t.path, path); err != nil {
		return err
	}
	t.path = ""
	return nil
}

// md5Summer is a body that computes its own MD5 as it is read, which
// writeTemp then takes rather than compute a second one (MD5 is a tenth of
// a busy sink's CPU).
type md5Summer interface {
	MD5() []byte
}

// writeTemp copies r into a new file under .tmp and fsyncs it. Errors from r
// are returned unwrapped.
func (s *DiskStore) writeTemp(r io.Reader) (tempFile, error) {
	f, err := os.CreateTemp(s.tmpDir, "put-*")
	if err != nil {
		return tempFile{}, s.wrote(s.tmpDir, err)
	}
	t := tempFile{path: f.Name()}
	summer, hashed := r.(md5Summer)
	var h hash.Hash
	if !hashed {
		h = md5.New()
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
		return tempFile{}, s.wrote(t.path, err)
	}
	if hashed {
		t.md5 = summer.MD5()
	} else {
		t.md5 = h.Sum(nil)
	}
	t.mtime = fi.ModTime()
	return t, nil
}

// writeFileDurably replaces path with data: a temp file, fsynced, renamed
// over it, and its directory fsynced.
func (s *DiskStore) writeFileDurably(path string, data []byte) error {
	t, err := s.writeTemp(bytes.NewReader(data))
	if err != nil {
		return err
	}
	defer t.discard()
	if err := t.renameTo(path); err != nil {
		return s.wrote(path, err)
	}
	return s.syncDir(filepath.Dir(path))
}

// commit moves a written object and its sidecar into place; s.mu must be
// held. The sidecar is renamed and its directory fsynced before the object
// is renamed, so a crash leaves either the new object with its sidecar or
// the old object beside the new sidecar, whose Prev still describes it.
func (s *DiskStore) commit(l loc, objTmp, scTmp *tempFile) error {
	objDirs, err := s.mkdirs(l, l.bucketDir, filepath.Dir(l.rel))
	if err != nil {
		return err
	}
	metaDirs, err := s.mkdirs(l, s.metaDir, filepath.Join(l.bucket, filepath.Dir(l.rel)))
	if err != nil {
		return err
	}
	if err := scTmp.renameTo(l.meta); err != nil {
		return err
	}
	for _, d := range append(metaDirs, filepath.Dir(l.meta)) {
		if err := s.syncDir(d); err != nil {
			return err
		}
	}
	if err := objTmp.renameTo(l.obj); err != nil {
		if _, serr := os.Lstat(l.obj); isNotFound(serr) {
			os.Remove(l.meta) // it describes an object that never arrived, and no other
		}
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
			return nil, s.wrote(p, err)
		}
		if fi, err := os.Lstat(p); err != nil {
			return nil, err
		} else if fi.IsDir() {
			continue
		}
		return nil, s3Err("InvalidArgument",
			"cannot store key %q: the file %s, which the S3 emulator did not write, is where its folder should be", l.key, p)
	}
	return created, nil
}

// UpdateObjectMeta changes the metadata (tags, ACL) of an object's current
// version, or version versionID, in place: fn edits it, and the sidecar is
// rewritten; the bytes, ETag and Last-Modified stay. Errors are
// StatObject's, and fn's.
func (s *DiskStore) UpdateObjectMeta(bucket, key, versionID string, fn func(*ObjectMeta) error) (ObjectInfo, error) {
	l, err := s.locate(bucket, key)
	if err != nil {
		return ObjectInfo{}, s.missing(bucket, key)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	file, meta := l.obj, l.meta
	if versionID != "" {
		v, ok, err := s.findVersion(l, versionID)
		if err != nil {
			return ObjectInfo{}, err
		}
		if !ok || v.marker {
			return ObjectInfo{}, errNoSuchVersion(key, versionID)
		}
		file, meta = v.file, v.meta
	}
	fi, err := os.Lstat(file)
	if err != nil || !fi.Mode().IsRegular() {
		if err == nil || isNotFound(err) {
			return ObjectInfo{}, s.missingCurrent(l)
		}
		return ObjectInfo{}, fmt.Errorf("update s3://%s/%s: %w", bucket, key, err)
	}
	info, err := describe(loc{bucket: bucket, key: key, obj: file, meta: meta}, fi)
	if err != nil {
		return ObjectInfo{}, err
	}
	if err := fn(&info.Meta); err != nil {
		return ObjectInfo{}, err
	}
	sc, _ := matchSidecar(meta, fi)
	b, err := json.Marshal(sidecar{Key: key, Size: info.Size, MTimeNano: fi.ModTime().UnixNano(), ETag: info.ETag, Meta: info.Meta,
		VersionID: info.VersionID, VersionNanos: sc.VersionNanos})
	if err != nil {
		return ObjectInfo{}, err
	}
	if _, err := s.mkdirs(l, s.metaDir, filepath.Join(l.bucket, filepath.Dir(l.rel))); err != nil {
		return ObjectInfo{}, err
	}
	if err := s.writeFileDurably(meta, b); err != nil {
		return ObjectInfo{}, s.wrapWrite(fmt.Sprintf("update s3://%s/%s", bucket, key), err)
	}
	return info, nil
}

// DeleteObject deletes an object, S3-style, and the directories that this
// leaves empty. In an unversioned bucket its file and sidecar go; in a
// versioned one a delete marker becomes its latest version (the current
// version made noncurrent, or, versioning suspended, replaced if it was
// the "null" one); with versionID, that one version goes. A missing key
// or version is no error; a missing bucket is NoSuchBucket. With ifMatch,
// the current version is deleted only if its ETag matches
// (PreconditionFailed otherwise).
func (s *DiskStore) DeleteObject(bucket, key, versionID, ifMatch string) (DeleteResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.deleteLocked(bucket, key, versionID, ifMatch)
}

// ObjectID names one version of a key ("" for the current one).
type ObjectID struct {
	Key, VersionID string
}

// DeleteObjects deletes each object as DeleteObject does, and returns
// each one's result and error, in order. A missing bucket is NoSuchBucket
// for the whole call.
func (s *DiskStore) DeleteObjects(bucket string, ids []ObjectID) ([]DeleteResult, []error, error) {
	if !s.BucketExists(bucket) {
		return nil, nil, errNoSuchBucket(bucket)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	res := make([]DeleteResult, len(ids))
	errs := make([]error, len(ids))
	for i, id := range ids {
		res[i], errs[i] = s.deleteLocked(bucket, id.Key, id.VersionID, "")
	}
	return res, errs, nil
}

// deleteLocked is DeleteObject with s.mu held.
func (s *DiskStore) deleteLocked(bucket, key, versionID, ifMatch string) (DeleteResult, error) {
	var res DeleteResult
	c, err := s.bucketLocked(bucket)
	if err != nil {
		return res, err
	}
	l, err := s.locate(bucket, key)
	if err != nil {
		return res, nil // no such key can be stored, so there is nothing to delete
	}
	op := fmt.Sprintf("delete s3://%s/%s", bucket, key)
	if versionID != "" {
		if !validVersionID(versionID) {
			return res, errInvalidArgument("versionId", versionID, "Invalid version id specified")
		}
		res, err := s.deleteVersionLocked(l, versionID)
		if err != nil {
			return res, s.wrapWrite(op, err)
		}
		return res, nil
	}
	fi, err := os.Lstat(l.obj)
	exists := err == nil && fi.Mode().IsRegular()
	if err != nil && !isNotFound(err) {
		return res, fmt.Errorf("%s: %w", op, err)
	}
	if ifMatch != "" {
		if !exists {
			return res, errNoSuchKey(key)
		}
		info, err := describe(l, fi)
		if err != nil {
			return res, err
		}
		if !etagMatches(ifMatch, info.ETag) {
			return res, errPreconditionFailed("If-Match")
		}
	}
	switch c.Versioning {
	case "Enabled":
		res = DeleteResult{VersionID: newVersionID(), DeleteMarker: true}
		if _, err := s.archiveCurrent(l); err != nil {
			return res, s.wrapWrite(op, err)
		}
	case "Suspended":
		res = DeleteResult{VersionID: nullVersion, DeleteMarker: true}
		if vs, err := s.versionsOf(l); err == nil && len(vs) > 0 && vs[0].current && vs[0].id != nullVersion {
			if _, err := s.archiveCurrent(l); err != nil {
				return res, s.wrapWrite(op, err)
			}
		}
		if err := s.removeVersion(l, nullVersion); err != nil {
			return res, s.wrapWrite(op, err)
		}
	}
	// Also prune when the key was missing: that clears folders a crash left
	// empty. The fsync makes the removals durable; on a miss it is cheap.
	if err := s.removeCurrent(l); err != nil {
		return res, fmt.Errorf("%s: %w", op, err)
	}
	if res.DeleteMarker {
		if err := s.addDeleteMarker(l, res.VersionID); err != nil {
			return res, s.wrapWrite(op, err)
		}
	}
	return res, nil
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

// lastModifiedHeader formats a time as HTTP does.
func lastModifiedHeader(t time.Time) string { return t.UTC().Format(http.TimeFormat) }
