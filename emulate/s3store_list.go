package emulate

import (
	"cmp"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// ListOptions select the keys ListObjects returns.
type ListOptions struct {
	Prefix    string
	Delimiter string
	// Marker: only keys (and common prefixes) after it are listed.
	Marker string
	// MaxKeys bounds the keys and common prefixes returned; <= 0 means no
	// bound.
	MaxKeys int
}

// ListResult is one page of a listing.
type ListResult struct {
	Objects        []ObjectInfo
	CommonPrefixes []string
	IsTruncated    bool
	// NextMarker is the last key or common prefix returned, when
	// IsTruncated.
	NextMarker string
}

// ListObjects lists the bucket's keys (their current versions) in UTF-8
// byte order, S3-style:
//
//   - Only keys that start with o.Prefix are listed.
//   - With a delimiter, a key whose remainder after the prefix contains it is
//     rolled up into one common prefix (through the first delimiter), which
//     counts once against MaxKeys.
//   - Listing starts after o.Marker. A common prefix is returned only if
//     it sorts after the marker, so a page that ended on a common prefix
//     resumes after all of its keys.
//   - At most o.MaxKeys keys and common prefixes are returned. If more
//     remain, IsTruncated is set and NextMarker is the last key or common
//     prefix returned.
//
// The walk visits only the directory the prefix names and the entries in it
// that can match, skips subtrees that sort before the marker, and does not
// descend into common prefixes; it stops once the page is full. It holds
// the entries of the directories on its current path, never the whole
// bucket. It fails with NoSuchBucket if the bucket does not exist.
func (s *DiskStore) ListObjects(bucket string, o ListOptions) (*ListResult, error) {
	if checkBucketName(bucket) != nil {
		return nil, errNoSuchBucket(bucket)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if !isDir(filepath.Join(s.root, bucket)) {
		return nil, errNoSuchBucket(bucket)
	}
	page, err := s.walkKeys(bucket, false, o)
	if err != nil {
		return nil, err
	}
	out := &ListResult{CommonPrefixes: page.prefixes, IsTruncated: page.truncated, NextMarker: page.next}
	for _, k := range page.keys {
		l, err := s.locate(bucket, k.key)
		if err != nil {
			continue
		}
		fi, err := os.Lstat(l.obj)
		if isNotFound(err) {
			continue // removed by another process since the walk
		} else if err != nil {
			return nil, err
		}
		info, err := describe(l, fi)
		if err != nil {
			return nil, err
		}
		out.Objects = append(out.Objects, info)
	}
	return out, nil
}

// keyPage is one page of keys and common prefixes from a walk.
type keyPage struct {
	keys      []walkedKey
	prefixes  []string
	truncated bool
	next      string // the last key or common prefix, when truncated
}

type walkedKey struct {
	key  string
	path string // the object file, or the key's directory of versions
}

// walkKeys collects a page of the keys of a bucket's tree: its objects, or
// (versions) the keys that have noncurrent versions or delete markers
// (see s3store_versions.go). s.mu must be held.
func (s *DiskStore) walkKeys(bucket string, versions bool, o ListOptions) (keyPage, error) {
	root := filepath.Join(s.root, bucket)
	if versions {
		root = filepath.Join(s.versionsDir, bucket)
	}
	w := lister{s: s, bucket: bucket, root: root, versions: versions,
		prefix: o.Prefix, delim: o.Delimiter, marker: o.Marker, max: int64(o.MaxKeys)}
	// Every key that starts with "a/b/c" lies in directory a/b, in an entry
	// whose name starts with "c".
	segs := strings.Split(w.prefix, "/")
	dir, base := root, ""
	for _, seg := range segs[:len(segs)-1] {
		dir = filepath.Join(dir, dirName(seg))
		base += seg + "/"
	}
	if err := w.walk(dir, base, segs[len(segs)-1]); err != nil {
		return keyPage{}, fmt.Errorf("list s3://%s/%s: %w", bucket, w.prefix, err)
	}
	if w.page.truncated {
		w.page.next = w.last
	}
	return w.page, nil
}

// lister is the state of one walk.
type lister struct {
	s             *DiskStore
	bucket        string
	root          string // the tree walked
	versions      bool   // a versions tree: keys are directories of versions
	prefix, delim string
	marker        string
	max           int64
	page          keyPage
	n             int64  // keys and common prefixes added
	last          string // the last key or common prefix added
	lastCommon    string // the last common prefix added
	full          bool   // a page's worth was added and another entry found
}

// dirEntry is one entry of a directory the store wrote, with the key (or
// key prefix, for directories, ending in "/") that it stands for.
type dirEntry struct {
	fs.DirEntry
	key    string
	object bool // a key: an object file, or a key's directory of versions
}

// walk lists the directory dir, whose entries stand for keys starting with
// base; at the top level only entries whose segment starts with first.
func (w *lister) walk(dir, base, first string) error {
	entries, err := w.readEntries(dir, base, first)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if w.full {
			return nil
		}
		path := filepath.Join(dir, e.Name())
		if !e.object {
			// Every key under e starts with e.key. If e.key sorts before the
			// marker and is not a prefix of it, so do all those keys.
			if e.key < w.marker && !strings.HasPrefix(w.marker, e.key) {
				continue
			}
			if cp, ok := w.commonPrefix(e.key); ok {
				// The delimiter falls inside e.key, so every key under e
				// rolls up into cp: add it once, without descending.
				if cp == w.lastCommon || cp <= w.marker {
					continue
				}
				has, err := w.hasKey(path)
				if err != nil {
					return err
				}
				if has && w.room() {
					w.addCommon(cp)
				}
				continue
			}
			if err := w.walk(path, e.key, ""); err != nil {
				return err
			}
			continue
		}

		if e.key <= w.marker {
			continue
		}
		if cp, ok := w.commonPrefix(e.key); ok {
			if cp != w.lastCommon && cp > w.marker && w.room() {
				w.addCommon(cp)
			}
			continue
		}
		if !w.room() {
			return nil
		}
		w.page.keys = append(w.page.keys, walkedKey{key: e.key, path: path})
		w.n++
		w.last = e.key
	}
	return nil
}

// room reports whether one more entry fits in the page; if not, it marks
// the listing truncated.
func (w *lister) room() bool {
	if w.max > 0 && w.n >= w.max {
		w.full = true
		w.page.truncated = true
		return false
	}
	return true
}

func (w *lister) addCommon(cp string) {
	w.page.prefixes = append(w.page.prefixes, cp)
	w.n++
	w.last, w.lastCommon = cp, cp
}

// commonPrefix returns the common prefix key rolls up into, if any.
func (w *lister) commonPrefix(key string) (string, bool) {
	if w.delim == "" {
		return "", false
	}
	i := strings.Index(key[len(w.prefix):], w.delim)
	if i < 0 {
		return "", false
	}
	return key[:len(w.prefix)+i+len(w.delim)], true
}

// sidecarOf maps an object file under the bucket to its sidecar.
func (w *lister) sidecarOf(objPath string) string {
	rel, err := filepath.Rel(filepath.Join(w.s.root, w.bucket), objPath)
	if err != nil {
		return "" // cannot happen: objPath was built under the bucket
	}
	return filepath.Join(w.s.metaDir, w.bucket, rel)
}

// readEntries returns the entries of dir that the store wrote (keys and
// directories) whose segments start with first, in the order of the keys
// they hold: a key stands for base+segment, a directory for keys starting
// with base+segment+"/". Sorting on those strings sorts the keys, because
// the keys under one directory all share its prefix and no other entry's
// keys do. A missing dir has no entries.
func (w *lister) readEntries(dir, base, first string) ([]dirEntry, error) {
	w.s.dirsRead.Add(1)
	f, err := os.Open(dir)
	if isNotFound(err) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	defer f.Close()
	raw, err := f.ReadDir(-1)
	if isNotFound(err) {
		return nil, nil // dir is a file
	} else if err != nil {
		return nil, err
	}
	out := make([]dirEntry, 0, len(raw))
	for _, e := range raw {
		n, ok := w.parse(e)
		if !ok {
			continue
		}
		seg := n.seg
		path := filepath.Join(dir, e.Name())
		if n.hashed {
			if seg, ok = w.hashedSegment(path, base, n.object); !ok {
				continue
			}
		}
		if !strings.HasPrefix(seg, first) {
			continue
		}
		key := base + seg
		if !n.object {
			key += "/"
		}
		out = append(out, dirEntry{DirEntry: e, key: key, object: n.object})
	}
	slices.SortFunc(out, func(a, b dirEntry) int { return cmp.Compare(a.key, b.key) })
	return out, nil
}

// parse reads an entry of the tree walked: in the bucket's tree, object
// files and directories; in a versions tree, a key's directory of versions
// is named as its object file would be.
func (w *lister) parse(e fs.DirEntry) (entryName, bool) {
	if !w.versions {
		if !e.IsDir() && !e.Type().IsRegular() {
			return entryName{}, false // symlinks, sockets, ...: never ours
		}
		return parseEntry(e.Name(), e.IsDir())
	}
	if !e.IsDir() {
		return entryName{}, false
	}
	if n, ok := parseEntry(e.Name(), false); ok {
		return n, true
	}
	return parseEntry(e.Name(), true)
}

// hasKey reports whether the directory at dir holds a key.
func (w *lister) hasKey(dir string) (bool, error) {
	if !w.versions {
		return hasObject(dir)
	}
	_, ok := w.firstKey(dir)
	return ok, nil
}

// hashedSegment finds the segment behind a hashed name in a directory whose
// keys start with base: a key's from its sidecar, a directory's from the
// first key below it. It reports false if there is none, or if the name is
// not the one the store gives that segment.
func (w *lister) hashedSegment(path, base string, object bool) (string, bool) {
	keyPath := path
	if !object {
		var ok bool
		if keyPath, ok = w.firstKey(path); !ok {
			return "", false
		}
	}
	key, ok := w.keyOf(keyPath)
	rest, under := strings.CutPrefix(key, base)
	if !ok || !under {
		return "", false
	}
	seg, more := rest, false
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		seg, more = rest[:i], true
	}
	if more == object {
		return "", false
	}
	if name := filepath.Base(path); more && name != dirName(seg) || !more && name != fileName(seg) {
		return "", false
	}
	return seg, true
}

// keyOf reads the key a key's file (or directory of versions) holds, from
// a sidecar.
func (w *lister) keyOf(path string) (string, bool) {
	if !w.versions {
		sc, ok := readSidecar(w.sidecarOf(path))
		return sc.Key, ok
	}
	ents, _ := os.ReadDir(path)
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".json") {
			if sc, ok := readSidecar(filepath.Join(path, e.Name())); ok {
				return sc.Key, true
			}
		}
	}
	return "", false
}

// firstKey returns the path of a key's file (or directory of versions) in
// the tree at dir.
func (w *lister) firstKey(dir string) (string, bool) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return "", false
	}
	for _, e := range ents {
		n, ok := w.parse(e)
		switch {
		case !ok:
		case n.object:
			return filepath.Join(dir, e.Name()), true
		default:
			if p, ok := w.firstKey(filepath.Join(dir, e.Name())); ok {
				return p, true
			}
		}
	}
	return "", false
}
