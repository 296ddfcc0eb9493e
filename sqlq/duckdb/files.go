package duckdb

// Which files a table's view reads, and how the engine notices that they
// changed.
//
// As in Athena (Trino's Hive connector), a location is read recursively:
// every file under it, in sub-folders too, except hidden ones: a file or
// folder whose name starts with "_" or "." (Spark's _SUCCESS, Hive's
// staging folders, editors' dot files) is skipped with all it holds. The
// format is the table's, whatever the file names: a Parquet table reads
// every file as Parquet, a JSON table every file as JSON lines,
// decompressed by its extension (.gz, .bz2, .deflate, .zst).
//
// Each directory listed is stamped with its modification time. Before a
// query the engine compares the stamps with the directories: a directory
// changes time whenever a file is added to it, removed or replaced, so a
// view whose stamps differ is rebuilt from a new listing. A time too
// recent to trust (a change within the file system's time granularity
// could leave it as it was) is backed by a checksum of the directory's
// entries until it is old enough.

import (
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// dataFile is one file a view reads.
type dataFile struct {
	path string // on local disk
	name string // the object's name: the last segment of its key
	uri  string // s3://bucket/key, for messages
}

// mtimeSlack is longer than the time granularity of any file system a data
// dir is on (FAT's is 2 s): a directory whose time is older than its
// listing by more than this shows any later change in its time.
const mtimeSlack = 3 * time.Second

// dirStamp is what a listed directory looked like.
type dirStamp struct {
	path    string
	exists  bool
	mod     time.Time
	sum     uint64 // of the entries, while mod is too recent to trust
	settled bool   // mod is old enough that a change shows in it
}

// stamp records dir as it is now.
func stamp(dir string) (dirStamp, error) {
	s := dirStamp{path: dir}
	now := time.Now()
	fi, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return s, err
	}
	s.exists, s.mod = true, fi.ModTime()
	if s.settled = now.Sub(s.mod) > mtimeSlack; !s.settled {
		if s.sum, err = dirSum(dir); err != nil {
			return s, err
		}
	}
	return s, nil
}

// changed says whether the directory may differ from its stamp, updating
// the stamp when it only learns that its time is now old enough.
func (s *dirStamp) changed() bool {
	fi, err := os.Stat(s.path)
	switch {
	case err != nil:
		return s.exists || !errors.Is(err, fs.ErrNotExist)
	case !s.exists || !fi.ModTime().Equal(s.mod):
		return true
	case s.settled:
		return false
	}
	now := time.Now()
	if sum, err := dirSum(s.path); err != nil || sum != s.sum {
		return true
	}
	s.settled = now.Sub(s.mod) > mtimeSlack
	return false
}

// dirSum hashes a directory's entries: names, kinds, sizes and times.
func dirSum(dir string) (uint64, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return 0, err
	}
	h := fnv.New64a()
	for _, e := range ents {
		fmt.Fprintf(h, "%s\x00%d", e.Name(), e.Type())
		if fi, err := e.Info(); err == nil {
			fmt.Fprintf(h, "\x00%d\x00%d", fi.Size(), fi.ModTime().UnixNano())
		}
		h.Write([]byte{0})
	}
	return h.Sum64(), nil
}

// hidden says whether Hive skips an object or folder of this name: "" is a
// folder marker's ("a/"), which holds no rows.
func hidden(name string) bool {
	return name == "" || strings.HasPrefix(name, "_") || strings.HasPrefix(name, ".")
}

// listing is what a location held when listed.
type listing struct {
	files []dataFile
	dirs  []dirStamp
}

// list lists the files under dir, the local directory of uri (an
// s3://bucket/prefix/ ending in "/"), recursively, skipping hidden names.
// A missing directory has no files; it is stamped, so that its creation is
// noticed.
func (d *Engine) list(dir, uri string, out *listing) error {
	s, err := stamp(dir)
	if err != nil {
		return err
	}
	out.dirs = append(out.dirs, s)
	if !s.exists {
		return nil
	}
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil // gone since the stamp: the stamp shows it changed
	}
	if err != nil {
		return err
	}
	for _, e := range ents {
		path := filepath.Join(dir, e.Name())
		name, ok := d.objectName(path, e.IsDir())
		if !ok || hidden(name) {
			continue
		}
		switch {
		case e.IsDir():
			if err := d.list(path, uri+name+"/", out); err != nil {
				return err
			}
		case e.Type().IsRegular():
			out.files = append(out.files, dataFile{path: path, name: name, uri: uri + name})
		}
	}
	return nil
}

// objectName is the S3 name a directory entry stands for.
func (d *Engine) objectName(path string, dir bool) (string, bool) {
	if d.opts.ObjectName == nil {
		return filepath.Base(path), true
	}
	return d.opts.ObjectName(path, dir)
}
