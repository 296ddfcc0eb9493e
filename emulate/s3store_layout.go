package emulate

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// layoutVersion is what <root>/.layout holds once the store's files are laid
// out as DiskStore says. A root without the file is either new or of the
// first layout, where an object's file was named by its escaped last
// segment alone (so "a" and "a/b" could not coexist) and its sidecar was
// "<that name>~.json"; upgradeLayout renames those files.
const layoutVersion = "2\n"

// upgradeLayout brings a root of the first layout to this one, once: it
// renames every object file and sidecar to its marked name, then records
// the version. A crash midway leaves files of both layouts, and the next
// open finishes the job (renamed names are no longer of the first kind).
func (s *DiskStore) upgradeLayout() error {
	marker := filepath.Join(s.root, ".layout")
	b, err := os.ReadFile(marker)
	switch {
	case err == nil && string(b) == layoutVersion:
		return nil
	case err == nil:
		return fmt.Errorf("%s says layout %q, and this build reads layout %q: use the build that wrote it",
			marker, strings.TrimSpace(string(b)), strings.TrimSpace(layoutVersion))
	case !isNotFound(err):
		return err
	}
	buckets, err := os.ReadDir(s.root)
	if err != nil {
		return err
	}
	for _, e := range buckets {
		if !e.IsDir() || checkBucketName(e.Name()) != nil {
			continue
		}
		if err := s.upgradeTree(filepath.Join(s.root, e.Name()), ""); err != nil {
			return fmt.Errorf("upgrade the layout of bucket %s: %w", e.Name(), err)
		}
		if err := s.upgradeTree(filepath.Join(s.metaDir, e.Name()), "~.json"); err != nil {
			return fmt.Errorf("upgrade the layout of bucket %s: %w", e.Name(), err)
		}
	}
	tmp, err := s.writeTemp(strings.NewReader(layoutVersion))
	if err != nil {
		return err
	}
	if err := os.Rename(tmp.path, marker); err != nil {
		os.Remove(tmp.path)
		return err
	}
	return s.syncDir(s.root)
}

// upgradeTree renames the first layout's files under dir (object files, or
// with suffix "~.json" sidecars) to their names in this layout.
func (s *DiskStore) upgradeTree(dir, suffix string) error {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	} else if err != nil {
		return err
	}
	renamed := false
	for _, e := range ents {
		p := filepath.Join(dir, e.Name())
		if e.IsDir() {
			if err := s.upgradeTree(p, suffix); err != nil {
				return err
			}
			continue
		}
		name, ok := strings.CutSuffix(e.Name(), suffix)
		if !e.Type().IsRegular() || !ok {
			continue
		}
		seg, ok := unescapeSegment(name)
		if !ok {
			continue
		}
		if err := os.Rename(p, filepath.Join(dir, fileName(seg))); err != nil {
			return err
		}
		renamed = true
	}
	if renamed {
		return s.syncDir(dir)
	}
	return nil
}
