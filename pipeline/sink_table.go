package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/smithy-go"
	"github.com/cenkalti/backoff/v5"

	"pipeline/catalog"
)

// sinkTable is the sink's table in the catalog: it checks that the table
// reads what the sink stores, keeps the schema records are checked against
// (the catalog's columns, read again every schemaTTL), adds columns and
// widens types in the catalog before any object that needs them is stored,
// creating the table if there is none, and registers each date partition as
// it gets its first object (so a new day is queryable without a crawl). With
// no catalog the schema lives in memory only. It is safe for concurrent use.
type sinkTable struct {
	cat            *catalog.Catalog // nil: no catalog
	db, topic      string
	bucket, prefix string
	format         string
	log            *slog.Logger
	checked        bool // check passed: set and read by Check and Run, one after the other

	// cur is the schema records are checked against. It is replaced
	// (never changed) under evolveMu.
	cur      atomic.Pointer[tableSchema]
	evolveMu sync.Mutex

	ttl time.Duration // how long cur is trusted: schemaTTL

	mu         sync.Mutex      // guards the fields below
	registered map[string]bool // date partitions known to be in the catalog
	read       time.Time       // when cur was last read from the catalog
}

func newSinkTable(o *SinkOptions) *sinkTable {
	t := &sinkTable{cat: o.Catalog, db: o.Database, topic: o.Topic, bucket: o.Bucket, prefix: o.Prefix, format: o.Format,
		log: o.Logger, registered: map[string]bool{}, ttl: schemaTTL}
	t.cur.Store(newTableSchema(nil, nil))
	return t
}

// check refuses to store objects that the catalog's table of the topic
// would not read: a table reads one location, in one format (as Glue's).
// It reads the table's columns too. A catalog that cannot be read is not a
// reason to stop: adding columns says so later.
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
	t.evolveMu.Lock()
	t.cur.Store(newTableSchema(tbl.Columns, t.cur.Load()))
	t.evolveMu.Unlock()
	t.mu.Lock()
	t.read = time.Now()
	t.mu.Unlock()
	t.checked = true
	return nil
}

// location is the folder of the sink's table: s3://bucket/prefix+topic/.
func (t *sinkTable) location() string {
	return catalog.S3URI(t.bucket, tableFolder(t.prefix, t.topic))
}

// schemaTTL is how long the sink trusts the columns it read from the
// catalog: a type changed there (a crawl's widening, or a user's change on
// purpose) is seen within it.
const schemaTTL = 30 * time.Second

// schema returns the schema to check records against, read again from the
// catalog if it is older than schemaTTL.
func (t *sinkTable) schema(ctx context.Context) *tableSchema {
	if t.cat == nil {
		return t.cur.Load()
	}
	t.mu.Lock()
	due := time.Since(t.read) >= t.ttl
	if due {
		t.read = time.Now()
	}
	t.mu.Unlock()
	if !due {
		return t.cur.Load()
	}
	tbl, err := t.cat.GetTable(ctx, t.db, t.topic)
	switch {
	case errors.Is(err, catalog.ErrNotFound):
		// No table (yet, or any more): the next column to add creates it.
	case err != nil:
		t.log.Warn("reading the table's columns failed; checking records against the last ones read", "err", err)
	default:
		t.evolveMu.Lock()
		prev := t.cur.Load()
		sc := newTableSchema(tbl.Columns, prev)
		t.cur.Store(sc)
		t.evolveMu.Unlock()
		if sc.narrowed != prev.narrowed {
			t.log.Warn("column types changed in the catalog; records are checked against them from now on", "table", t.db+"."+t.topic)
		}
	}
	return t.cur.Load()
}

// evolve adds columns to the table and widens the types of others, as
// changes ask (catalog.EvolveColumns: a type never narrows, and nothing
// becomes a string), creating the table if there is none, and returns the
// schema the catalog has then. The catalog is the arbiter: another writer may
// have added a column first with another type, and records are checked
// against what it says. Until the catalog takes the change it retries, so no
// object holding a column is stored before the column is in the catalog;
// permission errors end the sink. A widening is recorded in the column's
// comment.
func (t *sinkTable) evolve(ctx context.Context, changes []catalog.Column) (*tableSchema, error) {
	t.evolveMu.Lock()
	defer t.evolveMu.Unlock()
	prev := t.cur.Load()
	if t.cat == nil {
		sc := newTableSchema(withComments(prev.columns(), catalog.EvolveColumns(prev.columns(), changes)), prev)
		t.cur.Store(sc)
		return sc, nil
	}
	var sc *tableSchema
	// Glue has no atomic update: another writer may replace the table
	// between our read and our write. A change not in the table read back
	// is made again, a few times; then records are checked against what
	// the catalog has, which may refuse them.
	for range evolveAttempts {
		if err := ctx.Err(); err != nil {
			return prev, err // stopping: no catalog change holds the stop up
		}
		err := retryCatalog(ctx, func() error {
			tbl, err := t.modify(ctx, prev, changes)
			if err == nil {
				sc = newTableSchema(tbl.Columns, prev)
			}
			return err
		}, func(err error) {
			t.log.Warn("adding columns to the catalog failed; retrying before storing records that have them", "table", t.db+"."+t.topic, "err", err)
		})
		if err != nil {
			return prev, fmt.Errorf("sink: add columns to table %s.%s: %w", t.db, t.topic, err)
		}
		if !slices.ContainsFunc(changes, func(c catalog.Column) bool { _, ok := sc.byLower[strings.ToLower(c.Name)]; return !ok }) {
			break
		}
	}
	for _, c := range sc.cols {
		if i, ok := prev.byLower[strings.ToLower(c.name)]; !ok {
			t.log.Info("column added", "table", t.db+"."+t.topic, "column", c.name, "type", c.typ)
		} else if prev.cols[i].typ != c.typ {
			t.log.Info("column widened", "table", t.db+"."+t.topic, "column", c.name, "from", prev.cols[i].typ, "to", c.typ)
		}
	}
	t.cur.Store(sc)
	t.mu.Lock()
	t.read = time.Now()
	t.mu.Unlock()
	return sc, nil
}

// evolveAttempts is how many times evolve makes a change that another
// writer undid.
const evolveAttempts = 5

// modify applies changes to the table in the catalog (creating the table,
// and its database, if missing) and returns the table as the catalog has it
// then.
func (t *sinkTable) modify(ctx context.Context, prev *tableSchema, changes []catalog.Column) (*catalog.Table, error) {
	change := func(tbl *catalog.Table) (*catalog.Table, error) {
		created := tbl == nil
		if created {
			tbl = catalog.NewTable(t.db, t.topic, t.location(), t.format)
			tbl.PartitionKeys = []catalog.Column{{Name: PartitionKey, Type: catalog.TypeString}}
			tbl.Columns = prev.columns()
		}
		cols := withComments(tbl.Columns, catalog.EvolveColumns(tbl.Columns, changes))
		if !created && slices.Equal(cols, tbl.Columns) {
			return nil, nil
		}
		tbl.Columns = cols
		return tbl, nil
	}
	err := t.cat.ModifyTable(ctx, t.db, t.topic, change)
	if errors.Is(err, catalog.ErrNotFound) {
		if err = t.cat.CreateDatabase(ctx, t.db); err == nil {
			err = t.cat.ModifyTable(ctx, t.db, t.topic, change)
		}
	}
	if err != nil {
		return nil, err
	}
	return t.cat.GetTable(ctx, t.db, t.topic)
}

// withComments returns cols (old's columns evolved) with each column whose
// type changed from old's saying so in its comment: a widening is recorded
// in the catalog, where DESCRIBE shows it.
func withComments(old, cols []catalog.Column) []catalog.Column {
	for i := range cols {
		if i < len(old) && old[i].Type != cols[i].Type && old[i].Type != "" {
			cols[i].Comment = "widened from " + old[i].Type + " to " + cols[i].Type + " by the sink on " +
				time.Now().UTC().Format("2006-01-02")
		}
	}
	return cols
}

// retryCatalog calls fn with exponential backoff until it succeeds or ctx
// ends, telling failed of each failure; an error that no retry fixes (access
// denied, invalid input) ends it at once.
func retryCatalog(ctx context.Context, fn func() error, failed func(error)) error {
	_, err := backoff.Retry(ctx, func() (struct{}, error) {
		err := fn()
		var ae smithy.APIError
		switch {
		case err == nil:
		case ctx.Err() != nil:
			return struct{}{}, backoff.Permanent(err)
		case errors.As(err, &ae) && (strings.HasPrefix(ae.ErrorCode(), "AccessDenied") || ae.ErrorCode() == "InvalidInputException" ||
			ae.ErrorCode() == "ValidationException"):
			return struct{}{}, backoff.Permanent(fmt.Errorf("%w: check that the credentials may change the table (pipeline setup --print shows the sink's policy)", err))
		default:
			failed(err)
		}
		return struct{}{}, err
	}, backoff.WithBackOff(&backoff.ExponentialBackOff{
		InitialInterval:     100 * time.Millisecond,
		RandomizationFactor: 0.5,
		Multiplier:          2,
		MaxInterval:         5 * time.Second,
	}), backoff.WithMaxElapsedTime(0))
	return err
}

// register adds the date partition to the catalog table once it holds an
// object, creating the table if there is none. A failure only delays
// visibility until the next crawl, so it is logged, not returned.
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
	loc := catalog.S3URI(t.bucket, dateFolder(t.prefix, t.topic, dt))
	parts := []catalog.Partition{{Values: []string{dt}, Location: loc}}
	err := t.cat.AddPartitions(ctx, t.db, t.topic, parts)
	if errors.Is(err, catalog.ErrNotFound) {
		// No table (every record so far had only nulls): make it, once;
		// the upload that asks must not wait on the catalog.
		t.evolveMu.Lock()
		var tbl *catalog.Table
		if tbl, err = t.modify(ctx, t.cur.Load(), nil); err == nil {
			t.cur.Store(newTableSchema(tbl.Columns, t.cur.Load()))
			err = t.cat.AddPartitions(ctx, t.db, t.topic, parts)
		}
		t.evolveMu.Unlock()
	}
	if err != nil {
		t.log.Warn("register partition failed; the next crawl registers it", "dt", dt, "err", err)
		return
	}
	t.mu.Lock()
	t.registered[dt] = true
	t.mu.Unlock()
}
