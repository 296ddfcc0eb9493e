package emulate

import (
	"cmp"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/johannesboyne/gofakes3"
)

// ListBucket lists the bucket's keys in UTF-8 byte order, S3-style:
//
//   - Only keys that start with prefix.Prefix are listed.
//   - With a delimiter, a key whose remainder after the prefix contains it is
//     rolled up into one common prefix (through the first delimiter), which
//     counts once against MaxKeys.
//   - Listing starts after page.Marker. A common prefix is returned only if
//     it sorts after the marker, so a page that ended on a common prefix
//     resumes after all of its keys.
//   - At most page.MaxKeys keys and common prefixes are returned (all if
//     MaxKeys <= 0). If more remain, IsTruncated is set and NextMarker is the
//     last key or common prefix returned; ListObjectsV2's continuation token
//     is this marker in disguise.
//
// The walk visits only the directory the prefix names and the entries in it
// that can match, skips subtrees that sort before the marker, and does not
// descend into common prefixes; it stops once the page is full. It holds
// the entries of the directories on its current path, never the whole
// bucket. It fails with NoSuchBucket if the bucket does not exist.
func (s *DiskStore) ListBucket(bucket string, prefix *gofakes3.Prefix, page gofakes3.ListBucketPage) (*gofakes3.ObjectList, error) {
	if checkBucketName(bucket) != nil {
		return nil, gofakes3.BucketNotFound(bucket)
	}
	w := lister{
		s:      s,
		bucket: bucket,
		marker: page.Marker,
		max:    page.MaxKeys,
		out:    gofakes3.NewObjectList(),
	}
	if prefix != nil {
		if prefix.HasPrefix {
			w.prefix = prefix.Prefix
		}
		if prefix.HasDelimiter {
			w.delim = prefix.Delimiter
		}
	}

	s.mu.RLock()
	defer s.mu.RUnlock()
	bucketDir := filepath.Join(s.root, bucket)
	if !isDir(bucketDir) {
		return nil, gofakes3.BucketNotFound(bucket)
	}

	// Every key that starts with "a/b/c" lies in directory a/b, in an entry
	// whose name starts with "c".
	segs := strings.Split(w.prefix, "/")
	dir, base := bucketDir, ""
	for _, seg := range segs[:len(segs)-1] {
		dir = filepath.Join(dir, dirName(seg))
		base += seg + "/"
	}
	if err := w.walk(dir, base, segs[len(segs)-1]); err != nil {
		return nil, fmt.Errorf("list s3://%s/%s: %w", bucket, w.prefix, err)
	}
	if w.out.IsTruncated {
		w.out.NextMarker = w.last
	}
	return w.out, nil
}

// lister is the state of one ListBucket call.
type lister struct {
	s             *DiskStore
	bucket        string
	prefix, delim string
	marker        string
	max           int64
	out           *gofakes3.ObjectList
	n             int64  // keys and common prefixes added
	last          string // the last key or common prefix added
	lastCommon    string // the last common prefix added
	full          bool   // a page's worth was added and another entry found
}

// dirEntry is one canonical entry of a directory, with the key (or key
// prefix, for directories, ending in "/") that it stands for.
type dirEntry struct {
	fs.DirEntry
	key string
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
		if e.IsDir() {
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
				has, err := hasObject(path)
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
		fi, err := e.Info()
		if isNotFound(err) {
			continue // removed by another process since readEntries
		} else if err != nil {
			return err
		}
		if !w.room() {
			return nil
		}
		info, err := describe(loc{bucket: w.bucket, key: e.key, obj: path, meta: w.sidecarOf(path)}, fi)
		if err != nil {
			return err
		}
		w.out.Add(&gofakes3.Content{
			Key:          e.key,
			LastModified: gofakes3.NewContentTime(info.mtime),
			ETag:         gofakes3.FormatETag(info.hash),
			Size:         info.size,
			StorageClass: gofakes3.StorageStandard,
		})
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
		w.out.IsTruncated = true
		return false
	}
	return true
}

func (w *lister) addCommon(cp string) {
	w.out.AddPrefix(cp)
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

// readEntries returns the entries of dir that the store wrote (object
// files and directories) whose segments start with first, in the order of
// the keys they hold: a file stands for base+segment, a directory for keys
// starting with base+segment+"/". Sorting on those strings sorts the keys,
// because the keys under one directory all share its prefix and no other
// entry's keys do. A missing dir has no entries.
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
		if !e.IsDir() && !e.Type().IsRegular() {
			continue // symlinks, sockets, ...: never ours
		}
		n, ok := parseEntry(e.Name(), e.IsDir())
		if !ok {
			continue
		}
		seg := n.seg
		if n.hashed {
			if seg, ok = w.hashedSegment(filepath.Join(dir, e.Name()), base, n.object); !ok {
				continue
			}
		}
		if !strings.HasPrefix(seg, first) {
			continue
		}
		key := base + seg
		if e.IsDir() {
			key += "/"
		}
		out = append(out, dirEntry{DirEntry: e, key: key})
	}
	slices.SortFunc(out, func(a, b dirEntry) int { return cmp.Compare(a.key, b.key) })
	return out, nil
}

// hashedSegment finds the segment behind a hashed name in a directory whose
// keys start with base: an object's from its sidecar, a directory's from
// the first object below it. It reports false if there is none, or if the
// name is not the one the store gives that segment.
func (w *lister) hashedSegment(path, base string, object bool) (string, bool) {
	if !object {
		var ok bool
		if path, ok = firstObject(path); !ok {
			return "", false
		}
	}
	sc, ok := readSidecar(w.sidecarOf(path))
	rest, under := strings.CutPrefix(sc.Key, base)
	if !ok || !under {
		return "", false
	}
	seg, more := rest, false
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		seg, more = rest[:i], true
	}
	rel, err := filepath.Rel(filepath.Join(w.s.root, w.bucket), path)
	if err != nil {
		return "", false
	}
	// The name at base's depth must be seg's.
	name := strings.Split(filepath.ToSlash(rel), "/")[strings.Count(base, "/")]
	if more && name != dirName(seg) || !more && name != fileName(seg) {
		return "", false
	}
	return seg, true
}

// firstObject returns the path of an object file in the tree at dir.
func firstObject(dir string) (string, bool) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return "", false
	}
	for _, e := range ents {
		n, ok := parseEntry(e.Name(), e.IsDir())
		switch {
		case !ok:
		case n.object && e.Type().IsRegular():
			return filepath.Join(dir, e.Name()), true
		case e.IsDir():
			if p, ok := firstObject(filepath.Join(dir, e.Name())); ok {
				return p, true
			}
		}
	}
	return "", false
}
