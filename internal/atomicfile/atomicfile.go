// Package atomicfile writes small files so that a crash leaves either the
// old content or the new, never a mix: the data dir's catalog, crawler state
// and endpoints file are rewritten whole this way.
//
// It is not for object bodies (the emulated S3 store writes those itself,
// with O_DIRECT for large ones) nor for files that grow.
package atomicfile

import (
	"os"
	"path/filepath"
)

// WriteFile writes b to path through a temp file in the same directory:
// write, fsync, rename over path, fsync the directory. A reader sees the old
// file or the new one whole.
func WriteFile(path string, b []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
