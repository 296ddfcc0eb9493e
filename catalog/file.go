package catalog

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
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
	Description string                `json:"description,omitempty"`
	LocationURI string                `json:"location_uri,omitempty"`
	Parameters  map[string]string     `json:"parameters,omitempty"`
	CreatedAt   time.Time             `json:"created_at,omitzero"`
	Tables      map[string]*fileTable `json:"tables"`
}

type fileTable struct {
	Table      *Table      `json:"table"`
	Partitions []Partition `json:"partitions"`
	// Version counts the table's definitions; History holds the previous
	// ones (at most maxTableHistory, oldest first).
	Version int            `json:"version,omitempty"`
	History []TableVersion `json:"history,omitempty"`
}

// maxTableHistory bounds the previous definitions kept of each table: the
// whole catalog is rewritten on every change.
const maxTableHistory = 20

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
	foldState(st)
	return st, nil
}

// foldName is a database or table name as the catalog keeps it: lower
// case, as Glue folds names for Hive, so that any spelling finds it.
func foldName(name string) string { return strings.ToLower(name) }

// foldState folds the names of a catalog file written before names were
// folded. Of two names that fold alike, the one already folded keeps the
// name; the other stays as it was (kept, though no lookup finds it).
func foldState(st *fileCatalogState) {
	for _, name := range slices.Sorted(maps.Keys(st.Databases)) {
		d := st.Databases[name]
		for _, tn := range slices.Sorted(maps.Keys(d.Tables)) {
			if f := foldName(tn); f != tn && d.Tables[f] == nil && d.Tables[tn].Table != nil {
				d.Tables[f] = d.Tables[tn]
				d.Tables[f].Table.Name = f
				delete(d.Tables, tn)
			}
		}
		if f := foldName(name); f != name && st.Databases[f] == nil {
			st.Databases[f] = d
			delete(st.Databases, name)
		}
	}
	for name, d := range st.Databases {
		for _, t := range d.Tables {
			if t.Table != nil {
				t.Table.Database = name
			}
		}
	}
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
	name = foldName(name)
	return c.update(func(st *fileCatalogState) error {
		if _, ok := st.Databases[name]; !ok {
			st.Databases[name] = &fileDatabase{Tables: map[string]*fileTable{}, CreatedAt: time.Now().UTC()}
		}
		return nil
	})
}

// DefineDatabase creates the database d.Name, or replaces its description,
// location and parameters; its tables and creation time stay.
func (c *FileCatalog) DefineDatabase(_ context.Context, d DatabaseInfo) error {
	d.Name = foldName(d.Name)
	return c.update(func(st *fileCatalogState) error {
		fd, ok := st.Databases[d.Name]
		if !ok {
			fd = &fileDatabase{Tables: map[string]*fileTable{}, CreatedAt: time.Now().UTC()}
			st.Databases[d.Name] = fd
		}
		fd.Description, fd.LocationURI, fd.Parameters = d.Description, d.LocationURI, d.Parameters
		return nil
	})
}

// GetDatabase describes the database, or returns an error wrapping
// ErrNotFound.
func (c *FileCatalog) GetDatabase(_ context.Context, name string) (*DatabaseInfo, error) {
	name = foldName(name)
	var out *DatabaseInfo
	err := c.view(func(st *fileCatalogState) error {
		d, ok := st.Databases[name]
		if !ok {
			return fmt.Errorf("database %q: %w", name, ErrNotFound)
		}
		out = d.info(name)
		return nil
	})
	return out, err
}

// ListDatabases describes every database, sorted by name.
func (c *FileCatalog) ListDatabases(_ context.Context) ([]DatabaseInfo, error) {
	var out []DatabaseInfo
	err := c.view(func(st *fileCatalogState) error {
		for name, d := range st.Databases {
			out = append(out, *d.info(name))
		}
		return nil
	})
	slices.SortFunc(out, func(a, b DatabaseInfo) int { return cmp.Compare(a.Name, b.Name) })
	return out, err
}

func (d *fileDatabase) info(name string) *DatabaseInfo {
	return &DatabaseInfo{Name: name, Description: d.Description, LocationURI: d.LocationURI, Parameters: d.Parameters, CreatedAt: d.CreatedAt}
}

// DeleteDatabase deletes the database with its tables and partitions, or
// returns an error wrapping ErrNotFound.
func (c *FileCatalog) DeleteDatabase(_ context.Context, name string) error {
	name = foldName(name)
	return c.update(func(st *fileCatalogState) error {
		if _, ok := st.Databases[name]; !ok {
			return fmt.Errorf("database %q: %w", name, ErrNotFound)
		}
		delete(st.Databases, name)
		return nil
	})
}

// DeleteTable deletes the table with its partitions and history, or
// returns an error wrapping ErrNotFound.
func (c *FileCatalog) DeleteTable(_ context.Context, db, name string) error {
	db, name = foldName(db), foldName(name)
	return c.update(func(st *fileCatalogState) error {
		if _, err := c.table(st, db, name); err != nil {
			return err
		}
		delete(st.Databases[db].Tables, name)
		return nil
	})
}

// TableVersions returns the table's definitions, the current one first,
// then the previous ones kept, newest first.
func (c *FileCatalog) TableVersions(_ context.Context, db, name string) ([]TableVersion, error) {
	db, name = foldName(db), foldName(name)
	var out []TableVersion
	err := c.view(func(st *fileCatalogState) error {
		t, err := c.table(st, db, name)
		if err != nil {
			return err
		}
		out = append(out, TableVersion{Version: max(t.Version, 1), Table: t.Table})
		for i := len(t.History) - 1; i >= 0; i-- {
			out = append(out, t.History[i])
		}
		return nil
	})
	return out, err
}

func (c *FileCatalog) GetTable(_ context.Context, db, name string) (*Table, error) {
	db, name = foldName(db), foldName(name)
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
	db = foldName(db)
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
	cp := *t
	cp.Database, cp.Name = foldName(t.Database), foldName(t.Name)
	t = &cp
	return c.update(func(st *fileCatalogState) error {
		d, ok := st.Databases[t.Database]
		if !ok {
			return fmt.Errorf("database %q: %w", t.Database, ErrNotFound)
		}
		d.put(&cp)
		return nil
	})
}

// put stores t (named as the database's) as the table's definition: a new
// table is version 1 created now; another definition of one that exists
// keeps its creation time and becomes its next version.
func (d *fileDatabase) put(t *Table) {
	t.UpdatedAt = time.Now().UTC()
	ft, ok := d.Tables[t.Name]
	if !ok {
		t.CreatedAt = t.UpdatedAt
		d.Tables[t.Name] = &fileTable{Table: t, Version: 1}
		return
	}
	t.CreatedAt = ft.Table.CreatedAt
	if !sameDefinition(ft.Table, t) {
		ft.History = append(ft.History, TableVersion{Version: max(ft.Version, 1), Table: ft.Table})
		if len(ft.History) > maxTableHistory {
			ft.History = slices.Delete(ft.History, 0, len(ft.History)-maxTableHistory)
		}
		ft.Version = max(ft.Version, 1) + 1
	}
	ft.Table = t
}

// ModifyTable implements TableModifier: fn runs under the catalog's
// exclusive lock, so no other process or goroutine writes in between. A
// changed definition is a new version, as Glue's UpdateTable makes one.
func (c *FileCatalog) ModifyTable(_ context.Context, db, name string, fn func(*Table) (*Table, error)) error {
	return c.modify(db, name, fn, (*fileDatabase).put)
}

// ReplaceTable is ModifyTable making no version: the definition is
// replaced in place (Glue's UpdateTable with SkipArchive), keeping the
// table's creation time and version number.
func (c *FileCatalog) ReplaceTable(_ context.Context, db, name string, fn func(*Table) (*Table, error)) error {
	return c.modify(db, name, fn, func(d *fileDatabase, t *Table) {
		t.UpdatedAt = time.Now().UTC()
		if ft, ok := d.Tables[t.Name]; ok {
			t.CreatedAt, ft.Table = ft.Table.CreatedAt, t
		} else {
			t.CreatedAt = t.UpdatedAt
			d.Tables[t.Name] = &fileTable{Table: t, Version: 1}
		}
	})
}

func (c *FileCatalog) modify(db, name string, fn func(*Table) (*Table, error), put func(*fileDatabase, *Table)) error {
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
		cp.Database, cp.Name = db, name
		put(d, &cp)
		return nil
	})
}

func (c *FileCatalog) AddPartitions(_ context.Context, db, table string, parts []Partition) error {
	db, table = foldName(db), foldName(table)
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
	db, table = foldName(db), foldName(table)
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

// DeletePartitions deletes the table's partitions with the given values;
// values no partition has are ignored.
func (c *FileCatalog) DeletePartitions(_ context.Context, db, table string, values [][]string) error {
	db, table = foldName(db), foldName(table)
	return c.update(func(st *fileCatalogState) error {
		t, err := c.table(st, db, table)
		if err != nil {
			return err
		}
		drop := make(map[string]bool, len(values))
		for _, v := range values {
			drop[PartitionKey(v)] = true
		}
		t.Partitions = slices.DeleteFunc(t.Partitions, func(p Partition) bool { return drop[PartitionKey(p.Values)] })
		return nil
	})
}

// sameDefinition says whether two definitions of a table differ only in
// their timestamps: putting the same definition again is no new version.
func sameDefinition(a, b *Table) bool {
	x, y := *a, *b
	x.UpdatedAt, y.UpdatedAt, x.CreatedAt, y.CreatedAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	xb, _ := json.Marshal(x)
	yb, _ := json.Marshal(y)
	return string(xb) == string(yb)
}

// PartitionKey is one string for a partition's values, to compare or
// dedupe partitions by.
func PartitionKey(values []string) string { return strings.Join(values, "\x00") }
