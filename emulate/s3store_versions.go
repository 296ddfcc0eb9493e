package emulate

import (
	"cmp"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Versioning. A key's current version is its object file, where it always
// is, so that readers of the files (DuckDB) see exactly what S3 lists. Its
// other versions, once the bucket's versioning was enabled or suspended,
// live apart:
//
//	<root>/.versions/<bucket>/<dirs>/@<name>/<version id>        a noncurrent version's bytes
//	<root>/.versions/<bucket>/<dirs>/@<name>/<version id>.json   its sidecar; a delete marker is a sidecar alone
//
// A version is made noncurrent by hard-linking the current file (and
// writing its sidecar) there before the new current one is renamed over
// it, so a crash leaves at worst the old version twice (as current and as
// noncurrent: listed once), never a key without its current version. A
// version's sidecar is written after its bytes and names their size and
// mtime: bytes without a matching sidecar are not a version.
//
// Version IDs are 32 hex digits: the complement of the creation time in
// nanoseconds, then random bits, so that they sort newest first. The
// version of an object stored while versioning was never enabled, or
// while it was suspended, is "null".

// nullVersion is the ID of an unversioned object's one version.
const nullVersion = "null"

func newVersionID() string {
	var r [8]byte
	rand.Read(r[:])
	return fmt.Sprintf("%016x%s", ^uint64(time.Now().UnixNano()), hex.EncodeToString(r[:]))
}

// validVersionID reports whether id could be one of the store's.
func validVersionID(id string) bool {
	if id == nullVersion {
		return true
	}
	if len(id) != 32 {
		return false
	}
	_, err := hex.DecodeString(id)
	return err == nil
}

// errNoSuchVersion is S3's answer for a version a key does not have.
func errNoSuchVersion(key, id string) *S3Error {
	return s3Err("NoSuchVersion", "The specified version does not exist.").with("Key", key).with("VersionId", id)
}

// version is one version of a key.
type version struct {
	id      string
	nanos   int64 // when it was made: versions sort newest first
	marker  bool
	current bool
	file    string // its bytes; "" for a delete marker
	meta    string // its sidecar
}

func (s *DiskStore) versionDir(l loc) string { return filepath.Join(s.versionsDir, l.bucket, l.rel) }

// versionsOf returns every version of the key at l, newest first. s.mu
// must be held.
func (s *DiskStore) versionsOf(l loc) ([]version, error) {
	var out []version
	cur := ""
	if fi, err := os.Lstat(l.obj); err == nil && fi.Mode().IsRegular() {
		v := version{id: nullVersion, nanos: fi.ModTime().UnixNano(), current: true, file: l.obj, meta: l.meta}
		if sc, ok := matchSidecar(l.meta, fi); ok {
			if sc.VersionID != "" {
				v.id = sc.VersionID
			}
			if sc.VersionNanos != 0 {
				v.nanos = sc.VersionNanos
			}
		}
		cur = v.id
		out = append(out, v)
	} else if err != nil && !isNotFound(err) {
		return nil, err
	}
	dir := s.versionDir(l)
	ents, err := os.ReadDir(dir)
	if err != nil && !isNotFound(err) {
		return nil, err
	}
	for _, e := range ents {
		id, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok || !validVersionID(id) || id == cur {
			continue
		}
		v := version{id: id, meta: filepath.Join(dir, e.Name())}
		sc, ok := readSidecar(v.meta)
		if !ok {
			continue
		}
		v.nanos, v.marker = sc.VersionNanos, sc.DeleteMarker
		if !v.marker {
			v.file = filepath.Join(dir, id)
			fi, err := os.Stat(v.file)
			if err != nil || fi.Size() != sc.Size || fi.ModTime().UnixNano() != sc.MTimeNano {
				continue
			}
		}
		out = append(out, v)
	}
	slices.SortStableFunc(out, func(a, b version) int {
		if c := cmp.Compare(b.nanos, a.nanos); c != 0 {
			return c
		}
		return cmp.Compare(a.id, b.id)
	})
	return out, nil
}

// findVersion returns version id of the key at l; ok is false if it has
// none. s.mu must be held.
func (s *DiskStore) findVersion(l loc, id string) (version, bool, error) {
	vs, err := s.versionsOf(l)
	if err != nil {
		return version{}, false, err
	}
	for _, v := range vs {
		if v.id == id {
			return v, true, nil
		}
	}
	return version{}, false, nil
}

// archiveCurrent makes the key's current version noncurrent: a link to its
// bytes and its sidecar under .versions. s.mu must be held. It returns the
// archived version's ID, or "" if the key had no current version.
func (s *DiskStore) archiveCurrent(l loc) (string, error) {
	fi, err := os.Lstat(l.obj)
	if isNotFound(err) || err == nil && !fi.Mode().IsRegular() {
		return "", nil
	} else if err != nil {
		return "", err
	}
	info, err := describe(l, fi)
	if err != nil {
		return "", err
	}
	sc, _ := matchSidecar(l.meta, fi)
	id := cmp.Or(info.VersionID, nullVersion)
	nanos := sc.VersionNanos
	if nanos == 0 {
		nanos = fi.ModTime().UnixNano()
	}
	dir := s.versionDir(l)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", s.wrote(dir, err)
	}
	dst := filepath.Join(dir, id)
	os.Remove(dst)
	if err := os.Link(l.obj, dst); err != nil {
		return "", s.wrote(dst, err)
	}
	b, err := json.Marshal(sidecar{Key: l.key, Size: info.Size, MTimeNano: fi.ModTime().UnixNano(), ETag: info.ETag,
		Meta: info.Meta, VersionID: id, VersionNanos: nanos})
	if err != nil {
		return "", err
	}
	if err := s.writeFileDurably(dst+".json", b); err != nil {
		return "", err
	}
	return id, nil
}

// removeVersion deletes a noncurrent version (or delete marker). s.mu
// must be held.
func (s *DiskStore) removeVersion(l loc, id string) error {
	dir := s.versionDir(l)
	if err := os.Remove(filepath.Join(dir, id+".json")); err != nil && !isNotFound(err) {
		return err
	}
	if err := os.Remove(filepath.Join(dir, id)); err != nil && !isNotFound(err) {
		return err
	}
	kept, err := prune(filepath.Join(s.versionsDir, l.bucket), dir)
	if err == nil {
		err = s.syncDir(kept)
	}
	if isNotFound(err) {
		return nil
	}
	return err
}

// addDeleteMarker records a delete marker as the key's newest version.
// s.mu must be held.
func (s *DiskStore) addDeleteMarker(l loc, id string) error {
	dir := s.versionDir(l)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return s.wrote(dir, err)
	}
	b, err := json.Marshal(sidecar{Key: l.key, VersionID: id, VersionNanos: time.Now().UnixNano(), DeleteMarker: true})
	if err != nil {
		return err
	}
	return s.writeFileDurably(filepath.Join(dir, id+".json"), b)
}

// promoteNewest makes the newest noncurrent version current when the key
// has no current version and that version is not a delete marker (after
// the current version or the newest delete marker was deleted). s.mu must
// be held.
func (s *DiskStore) promoteNewest(l loc) error {
	vs, err := s.versionsOf(l)
	if err != nil || len(vs) == 0 || vs[0].current || vs[0].marker {
		return err
	}
	v := vs[0]
	sc, ok := readSidecar(v.meta)
	if !ok {
		return nil
	}
	if _, err := s.mkdirs(l, l.bucketDir, filepath.Dir(l.rel)); err != nil {
		return err
	}
	if _, err := s.mkdirs(l, s.metaDir, filepath.Join(l.bucket, filepath.Dir(l.rel))); err != nil {
		return err
	}
	b, err := json.Marshal(sc)
	if err != nil {
		return err
	}
	if err := s.writeFileDurably(l.meta, b); err != nil {
		return err
	}
	if err := os.Rename(v.file, l.obj); err != nil {
		return s.wrote(l.obj, err)
	}
	if err := s.syncDir(filepath.Dir(l.obj)); err != nil {
		return err
	}
	return s.removeVersion(l, v.id)
}

// DeleteResult is what a delete did.
type DeleteResult struct {
	VersionID    string // the version deleted, or the delete marker made; "" in an unversioned bucket
	DeleteMarker bool   // a delete marker was made, or deleted
}

// deleteVersionLocked deletes one version of a key, as DeleteObject with a
// versionId: the current one (then the newest noncurrent one, unless a
// delete marker, becomes current) or a noncurrent one. A version the key
// does not have is no error. s.mu must be held.
func (s *DiskStore) deleteVersionLocked(l loc, id string) (DeleteResult, error) {
	res := DeleteResult{VersionID: id}
	v, ok, err := s.findVersion(l, id)
	if err != nil || !ok {
		return res, err
	}
	res.DeleteMarker = v.marker
	if v.current {
		if err := s.removeCurrent(l); err != nil {
			return res, err
		}
	} else if err := s.removeVersion(l, id); err != nil {
		return res, err
	}
	return res, s.promoteNewest(l)
}

// removeCurrent deletes the key's current file and sidecar, and prunes the
// directories that leaves empty. s.mu must be held.
func (s *DiskStore) removeCurrent(l loc) error {
	if err := os.Remove(l.obj); err != nil && !isNotFound(err) {
		return err
	}
	if err := os.Remove(l.meta); err != nil && !isNotFound(err) {
		return err
	}
	for _, tree := range [][2]string{{l.bucketDir, filepath.Dir(l.obj)}, {l.metaBucket, filepath.Dir(l.meta)}} {
		kept, err := prune(tree[0], tree[1])
		if err == nil {
			err = s.syncDir(kept)
		}
		if err != nil && !isNotFound(err) {
			return err
		}
	}
	return nil
}

// VersionEntry is one line of a versions listing.
type VersionEntry struct {
	ObjectInfo
	IsLatest     bool
	DeleteMarker bool
}

// VersionList is one page of a versions listing.
type VersionList struct {
	Versions            []VersionEntry
	CommonPrefixes      []string
	IsTruncated         bool
	NextKeyMarker       string
	NextVersionIDMarker string
}

// ListVersions lists every version of the bucket's keys (delete markers
// included), by key, newest first, S3-style: after (keyMarker,
// versionIDMarker), at most max versions and common prefixes.
func (s *DiskStore) ListVersions(bucket string, o ListOptions, versionIDMarker string) (*VersionList, error) {
	if checkBucketName(bucket) != nil {
		return nil, errNoSuchBucket(bucket)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if !isDir(filepath.Join(s.root, bucket)) {
		return nil, errNoSuchBucket(bucket)
	}
	max := o.MaxKeys
	walk := o
	walk.MaxKeys = max + 1
	cur, err := s.walkKeys(bucket, false, walk)
	if err != nil {
		return nil, err
	}
	old, err := s.walkKeys(bucket, true, walk)
	if err != nil {
		return nil, err
	}
	// Every key (or common prefix) of either tree, once, in order.
	type item struct {
		key    string
		prefix bool
	}
	var items []item
	for _, k := range cur.keys {
		items = append(items, item{key: k.key})
	}
	for _, k := range old.keys {
		items = append(items, item{key: k.key})
	}
	for _, p := range append(cur.prefixes, old.prefixes...) {
		items = append(items, item{key: p, prefix: true})
	}
	slices.SortFunc(items, func(a, b item) int { return strings.Compare(a.key, b.key) })
	items = slices.CompactFunc(items, func(a, b item) bool { return a.key == b.key })
	// A version-id marker resumes within its key.
	if versionIDMarker != "" && o.Marker != "" && (o.Prefix == "" || strings.HasPrefix(o.Marker, o.Prefix)) {
		items = append([]item{{key: o.Marker}}, items...)
	}

	out := &VersionList{}
	n := 0
	full := false
	for i, it := range items {
		if it.prefix {
			if n == max {
				full = true
				break
			}
			out.CommonPrefixes = append(out.CommonPrefixes, it.key)
			out.NextKeyMarker, out.NextVersionIDMarker = it.key, ""
			n++
			continue
		}
		l, err := s.locate(bucket, it.key)
		if err != nil {
			continue
		}
		vs, err := s.versionsOf(l)
		if err != nil {
			return nil, err
		}
		skipping := i == 0 && versionIDMarker != "" && it.key == o.Marker
		for j, v := range vs {
			if skipping {
				if v.id == versionIDMarker {
					skipping = false
				}
				continue
			}
			if n == max {
				full = true
				break
			}
			e, err := s.versionEntry(l, v)
			if err != nil {
				return nil, err
			}
			e.IsLatest = j == 0
			out.Versions = append(out.Versions, e)
			out.NextKeyMarker, out.NextVersionIDMarker = it.key, v.id
			n++
		}
		if full {
			break
		}
	}
	out.IsTruncated = full || cur.truncated || old.truncated
	if !out.IsTruncated {
		out.NextKeyMarker, out.NextVersionIDMarker = "", ""
	}
	return out, nil
}

// versionEntry describes one version.
func (s *DiskStore) versionEntry(l loc, v version) (VersionEntry, error) {
	if v.marker {
		return VersionEntry{ObjectInfo: ObjectInfo{Key: l.key, LastModified: time.Unix(0, v.nanos), VersionID: v.id}, DeleteMarker: true}, nil
	}
	fi, err := os.Stat(v.file)
	if err != nil {
		return VersionEntry{}, err
	}
	info, err := describe(loc{bucket: l.bucket, key: l.key, obj: v.file, meta: v.meta}, fi)
	if err != nil {
		return VersionEntry{}, err
	}
	info.VersionID = v.id
	return VersionEntry{ObjectInfo: info}, nil
}
