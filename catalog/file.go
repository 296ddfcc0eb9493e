package catalog

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"pipeline/internal/atomicfile"
	"pipeline/internal/flock"
)

// FileCatalog is a Driver that keeps the whole catalog in one JSON file,
// rewritten atomically (temp file, fsync, rename) on every change and
// guarded by an flock so that several processes can share it. It is the
// local stand-in for the Glue Data Catalog. It is safe for concurrent use.
type FileCatalog struct {
	path string
	mu   sync.Mutex // serializes this process; the flock serializes processes
}

// FileCatalogName is the name of a FileCatalog's file in its directory.
const FileCatalogName = "catalog.json"

type fileCatalogState struct {
	Databases map[string]*fileDatabase `json:"databases"`
}

type fileDatabase struct {
	Tables map[string]*fileTable `json:"tables"`
}

type fileTable struct {
	Table      *Table      `json:"table"`
	Partitions []Partition `json:"partitions"`
}

// OpenFileCatalog opens (creating if needed) the catalog stored in
// dir/FileCatalogName.
func OpenFileCatalog(dir string) (*FileCatalog, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("open catalog: %w", err)
	}
	return &FileCatalog{path: filepath.Join(dir, FileCatalogName)}, nil
}

// Path is the catalog's file: it changes whenever the catalog does.
func (c *FileCatalog) Path() string { return c.path }

// view runs fn on the current state under a shared lock.
func (c *FileCatalog) view(fn func(*fileCatalogState) error) error {
	return c.locked(false, func() error {
		st, err := c.load()
		if err != nil {
			return err
		}
		return fn(st)
	})
}

// update runs fn on the current state under an exclusive lock and saves it.
func (c *FileCatalog) update(fn func(*fileCatalogState) error) error {
	return c.locked(true, func() error {
		st, err := c.load()
		if err != nil {
			return err
		}
		if err := fn(st); err != nil {
			return err
		}
		return c.save(st)
	})
}

// locked runs fn holding the catalog's lock: shared for readers, exclusive
// for a writer.
func (c *FileCatalog) locked(exclusive bool, fn func() error) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	unlock, err := flock.Lock(c.path+".lock", exclusive)
	if err != nil {
		return err
	}
	defer unlock()
	return fn()
}

func (c *FileCatalog) load() (*fileCatalogState, error) {
	st := &fileCatalogState{Databases: map[string]*fileDatabase{}}
	b, err := os.ReadFile(c.path)
	if errors.Is(err, os.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, st); err != nil {
		return nil, fmt.Errorf("catalog file %s is corrupt: %w", c.path, err)
	}
	if st.Databases == nil {
		st.Databases = map[string]*fileDatabase{}
	}
	return st, nil
}

func (c *FileCatalog) save(st *fileCatalogState) error {
	b, err := json.MarshalIndent(st, "", " ")
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(c.path, b)
}

func (c *FileCatalog) table(st *fileCatalogState, db, name string) (*fileTable, error) {
	d, ok := st.Databases[db]
	if !ok {
		return nil, fmt.Errorf("database %q: %w", db, ErrNotFound)
	}
	t, ok := d.Tables[name]
	if !ok {
		return nil, fmt.Errorf("table %q: %w", name, ErrNotFound)
	}
	return t, nil
}

func (c *FileCatalog) CreateDatabase(_ context.Context, name string) error {
	return c.update(func(st *fileCatalogState) error {
		if _, ok := st.Databases[name]; !ok {
			st.Databases[name] = &fileDatabase{Tables: map[string]*fileTable{}}
		}
		return nil
	})
}

func (c *FileCatalog) GetTable(_ context.Context, db, name string) (*Table, error) {
	var out *Table
	err := c.view(func(st *fileCatalogState) error {
		t, err := c.table(st, db, name)
		if err == nil {
			out = t.Table
		}
		return err
	})
	return out, err
}

func (c *FileCatalog) ListTables(_ context.Context, db string) ([]*Table, error) {
	var out []*Table
	err := c.view(func(st *fileCatalogState) error {
		d, ok := st.Databases[db]
		if !ok {
			return fmt.Errorf("database %q: %w", db, ErrNotFound)
		}
		for _, t := range d.Tables {
			out = append(out, t.Table)
		}
		return nil
	})
	slices.SortFunc(out, func(a, b *Table) int { return cmp.Compare(a.Name, b.Name) })
	return out, err
}

func (c *FileCatalog) PutTable(_ context.Context, t *Table) error {
	return c.update(func(st *fileCatalogState) error {
		d, ok := st.Databases[t.Database]
		if !ok {
			return fmt.Errorf("database %q: %w", t.Database, ErrNotFound)
		}
		cp := *t
		cp.UpdatedAt = time.Now().UTC()
		if ft, ok := d.Tables[t.Name]; ok {
			ft.Table = &cp
		} else {
			d.Tables[t.Name] = &fileTable{Table: &cp}
		}
		return nil
	})
}

// ModifyTable implements TableModifier: fn runs under the catalog's
// exclusive lock, so no other process or goroutine writes in between.
func (c *FileCatalog) ModifyTable(_ context.Context, db, name string, fn func(*Table) (*Table, error)) error {
	return c.update(func(st *fileCatalogState) error {
		d, ok := st.Databases[db]
		if !ok {
			return fmt.Errorf("database %q: %w", db, ErrNotFound)
		}
		var cur *Table
		if ft, ok := d.Tables[name]; ok {
			cp := *ft.Table
			cur = &cp
		}
		t, err := fn(cur)
		if err != nil || t == nil {
			return err
		}
		cp := *t
		cp.Database, cp.Name, cp.UpdatedAt = db, name, time.Now().UTC()
		if ft, ok := d.Tables[name]; ok {
			ft.Table = &cp
		} else {
			d.Tables[name] = &fileTable{Table: &cp}
		}
		return nil
	})
}

func (c *FileCatalog) AddPartitions(_ context.Context, db, table string, parts []Partition) error {
	return c.update(func(st *fileCatalogState) error {
		t, err := c.table(st, db, table)
		if err != nil {
			return err
		}
		have := make(map[string]bool, len(t.Partitions))
		for _, p := range t.Partitions {
			have[PartitionKey(p.Values)] = true
		}
		for _, p := range parts {
			if k := PartitionKey(p.Values); !have[k] {
				have[k] = true
				t.Partitions = append(t.Partitions, p)
			}
		}
		slices.SortFunc(t.Partitions, func(a, b Partition) int { return slices.Compare(a.Values, b.Values) })
		return nil
	})
}

func (c *FileCatalog) ListPartitions(_ context.Context, db, table string) ([]Partition, error) {
	var out []Partition
	err := c.view(func(st *fileCatalogState) error {
		t, err := c.table(st, db, table)
		if err == nil {
			out = slices.Clone(t.Partitions)
		}
		return err
	})
	return out, err
}

// PartitionKey is one string for a partition's values, to compare or
// dedupe partitions by.
func PartitionKey(values []string) string { return strings.Join(values, "\x00") }
