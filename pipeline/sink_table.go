package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"pipeline/catalog"
)

// sinkTable is the sink's table in the catalog: it checks that the table
// reads what the sink stores, registers each date partition as it gets its
// first object (so a new day is queryable without a crawl), and keeps the
// column types that Parquet objects are written at least as wide as. With no
// catalog it does nothing. It is safe for concurrent use.
type sinkTable struct {
	cat            *catalog.Catalog // nil: no catalog
	db, topic      string
	bucket, prefix string
	format         string
	log            *slog.Logger
	checked        bool // check passed: set and read by Check and Run, one after the other

	mu         sync.Mutex      // guards the fields below
	registered map[string]bool // date partitions known to be in the catalog
	// types are the catalog's column types (lower-case name -> type),
	// read at most every tableTypesTTL.
	types     map[string]string
	typesRead time.Time
}

func newSinkTable(o *SinkOptions) *sinkTable {
	return &sinkTable{cat: o.Catalog, db: o.Database, topic: o.Topic, bucket: o.Bucket, prefix: o.Prefix, format: o.Format,
		log: o.Logger, registered: map[string]bool{}}
}

// check refuses to store objects that the catalog's table of the topic
// would not read: a table reads one location, in one format (as Glue's).
// A catalog that cannot be read is not a reason to stop: registering
// partitions logs that later.
func (t *sinkTable) check(ctx context.Context) error {
	if t.cat == nil || t.checked {
		return nil
	}
	tbl, err := t.cat.GetTable(ctx, t.db, t.topic)
	if err != nil {
		return nil
	}
	loc := t.location()
	switch {
	case !sameLocation(tbl.Location, loc):
		return fmt.Errorf("sink: table %s.%s reads %s, not %s where this sink would store its objects: use the table's --bucket and --prefix, or another --topic",
			tbl.Database, tbl.Name, tbl.Location, loc)
	case tbl.Format != "" && tbl.Format != t.format:
		return fmt.Errorf("sink: table %s.%s holds %s objects, and a table is read in one format: %s objects would be stored but never queried; use --format %s, or another --topic",
			tbl.Database, tbl.Name, tbl.Format, t.format, tbl.Format)
	}
	t.checked = true
	return nil
}

// location is the folder of the sink's table: s3://bucket/prefix+topic/.
func (t *sinkTable) location() string {
	return location(t.bucket, tableFolder(t.prefix, t.topic))
}

// tableTypesTTL is how long the sink trusts the column types it read from
// the catalog: a crawl that widens a column is seen within it.
const tableTypesTTL = 30 * time.Second

// columnTypes returns the column types of the sink's table in the catalog,
// or nil if there is no catalog or no table yet.
func (t *sinkTable) columnTypes(ctx context.Context) map[string]string {
	if t.cat == nil {
		return nil
	}
	t.mu.Lock()
	types, read := t.types, t.typesRead
	t.mu.Unlock()
	if time.Since(read) < tableTypesTTL {
		return types
	}
	tbl, err := t.cat.GetTable(ctx, t.db, t.topic)
	switch {
	case errors.Is(err, catalog.ErrNotFound):
		types = nil // no table yet: the first crawl makes it from the files
	case err != nil:
		t.log.Warn("reading the table's column types failed; Parquet types follow the data", "err", err)
		return types
	default:
		types = make(map[string]string, len(tbl.Columns))
		for _, c := range tbl.Columns {
			types[strings.ToLower(c.Name)] = c.Type
		}
	}
	t.mu.Lock()
	t.types, t.typesRead = types, time.Now()
	t.mu.Unlock()
	return types
}

// register adds the date partition to the catalog table once it holds an
// object. A failure only delays visibility until the next crawl, so it is
// logged, not returned.
func (t *sinkTable) register(ctx context.Context, dt string) {
	if t.cat == nil {
		return
	}
	t.mu.Lock()
	done := t.registered[dt]
	t.mu.Unlock()
	if done {
		return
	}
	loc := location(t.bucket, dateFolder(t.prefix, t.topic, dt))
	err := t.cat.AddPartitions(ctx, t.db, t.topic, []catalog.Partition{{Values: []string{dt}, Location: loc}})
	switch {
	case errors.Is(err, catalog.ErrNotFound):
		return // no table yet: the first crawl creates it with this partition
	case err != nil:
		t.log.Warn("register partition failed; the next crawl registers it", "dt", dt, "err", err)
		return
	}
	t.mu.Lock()
	t.registered[dt] = true
	t.mu.Unlock()
}
