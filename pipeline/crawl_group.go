package pipeline

// How a Glue crawler groups the files under its include path into tables
// (CrawlOptions.Grouped), as AWS documents it
// (https://docs.aws.amazon.com/glue/latest/dg/crawler-s3-folder-table-partition.html):
// a folder is one table, its sub-folders partitions, when its files are
// compatible (one format, all as deep below it, so that every file has a
// value for each partition key) and, at each folder level below it, the
// sub-folders' schemas are similar: more than 70% of them fall in one
// cluster of similar schemas, and there are at most 5 clusters. Two schemas
// are similar when the columns they share are at least half of the larger
// one's, or one has all of the other's (so a partition that gained or lost
// a column still belongs). A
// folder that is not one table is split: each sub-folder is judged the
// same way and named after itself ("dt=2024-01-01" is dt_2024_01_01), and
// each file directly in it is a table of its own, located at the file, as
// Glue makes it (Athena reads a location as a folder: such a table
// answers no rows, there as here). So every file is in a table. Names that
// would repeat get a suffix from their location.

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"maps"
	"slices"
	"strings"

	"pipeline/catalog"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
)

// Glue's partition threshold and most schema clusters of one table.
const (
	groupThreshold   = 0.7
	groupMaxClusters = 5
)

// crawlGrouped crawls the folder opts.Table under opts.Prefix as a Glue
// crawler's include path.
func crawlGrouped(ctx context.Context, s3c *s3.Client, cat *catalog.Catalog, opts CrawlOptions, state *crawlState, st *CrawlStats) error {
	root := opts.Prefix + opts.Table + "/"
	listed, err := listDataObjects(ctx, s3c, opts.Bucket, root)
	if err != nil {
		return err
	}
	var objs []crawledObject
	for _, o := range listed {
		if !hiddenBelow(root, o.key) {
			objs = append(objs, o)
		}
	}
	state.listed(objs, st)
	if len(objs) == 0 {
		return nil
	}
	if _, err := sampleObjects(ctx, s3c, opts.Bucket, objs, state, st); err != nil {
		return err
	}
	tree := &folder{prefix: root, name: opts.Table, sub: map[string]*folder{}}
	for _, o := range objs {
		tree.add(o, strings.Split(strings.TrimPrefix(o.key, root), "/"), state.columns(o.key))
	}
	used := map[string]string{} // table name -> location, in this crawl
	for _, g := range tree.tables(opts.Table) {
		name := g.name
		loc := catalog.S3URI(opts.Bucket, g.prefix)
		if other, ok := used[name]; ok && other != loc {
			h := fnv.New32a()
			h.Write([]byte(loc))
			name = fmt.Sprintf("%s_%08x", name, h.Sum32())
		}
		used[name] = loc
		var objs []crawledObject
		var cols []catalog.Column
		var keys []string
		for _, f := range g.files {
			names, vals := partitionOf(f.dirs(g.prefix))
			keys = names
			o := f.obj
			o.partVals, o.partDir = vals, g.prefix+strings.Join(f.dirs(g.prefix), "/")
			if len(vals) > 0 {
				o.partDir += "/"
			}
			objs = append(objs, o)
			cols = catalog.MergeColumns(cols, f.cols)
		}
		if err := registerTable(ctx, cat, opts, state, name, loc, formatOf(g.files[0].obj.key), objs, keys, cols, st); err != nil {
			return err
		}
		st.Tables = append(st.Tables, name)
	}
	return nil
}

// hiddenBelow says whether a key has a folder or name below root that
// starts with "_" or ".", which Athena does not read.
func hiddenBelow(root, key string) bool {
	for _, seg := range strings.Split(strings.TrimPrefix(key, root), "/") {
		if strings.HasPrefix(seg, "_") || strings.HasPrefix(seg, ".") {
			return true
		}
	}
	return false
}

// folder is one folder of the crawled tree.
type folder struct {
	prefix string // its key prefix, ending in "/"
	name   string
	files  []*crawledFile // directly in it
	sub    map[string]*folder
}

type crawledFile struct {
	obj  crawledObject
	cols []catalog.Column
}

// dirs are the folders between prefix and the file.
func (f *crawledFile) dirs(prefix string) []string {
	segs := strings.Split(strings.TrimPrefix(f.obj.key, prefix), "/")
	return segs[:len(segs)-1]
}

func (d *folder) add(o crawledObject, segs []string, cols []catalog.Column) {
	if len(segs) == 1 {
		d.files = append(d.files, &crawledFile{obj: o, cols: cols})
		return
	}
	sub := d.sub[segs[0]]
	if sub == nil {
		sub = &folder{prefix: d.prefix + segs[0] + "/", name: segs[0], sub: map[string]*folder{}}
		d.sub[segs[0]] = sub
	}
	sub.add(o, segs[1:], cols)
}

// all returns the files under d, folders in name order.
func (d *folder) all() []*crawledFile {
	out := slices.Clone(d.files)
	for _, k := range slices.Sorted(maps.Keys(d.sub)) {
		out = append(out, d.sub[k].all()...)
	}
	return out
}

// tableGroup is one table the grouping makes: the files under prefix (a
// folder, or the one file's key).
type tableGroup struct {
	name, prefix string
	files        []*crawledFile
}

// tables groups the files under d into tables, d's own named name.
func (d *folder) tables(name string) []tableGroup {
	if d.oneTable() {
		return []tableGroup{{name: name, prefix: d.prefix, files: d.all()}}
	}
	var out []tableGroup
	for _, k := range slices.Sorted(maps.Keys(d.sub)) {
		out = append(out, d.sub[k].tables(tableName(k))...)
	}
	for _, f := range d.files {
		key := f.obj.key
		out = append(out, tableGroup{name: tableName(key[strings.LastIndexByte(key, '/')+1:]), prefix: key, files: []*crawledFile{f}})
	}
	return out
}

// oneTable says whether the files under d make one table: one format, the
// same partition keys (folder depth and key=value names), and similar
// schemas at every level.
func (d *folder) oneTable() bool {
	files := d.all()
	var keys []string
	for i, f := range files {
		names, _ := partitionOf(f.dirs(d.prefix))
		if i == 0 {
			keys = names
		} else if !slices.Equal(keys, names) || formatOf(f.obj.key) != formatOf(files[0].obj.key) {
			return false
		}
	}
	return d.similar()
}

// similar applies the majority rule to d's sub-folders, and to theirs.
func (d *folder) similar() bool {
	if len(d.sub) < 2 {
		for _, s := range d.sub {
			return s.similar()
		}
		return true
	}
	var clusters [][]string // each cluster's first schema, and its size below
	var sizes []int
	for _, k := range slices.Sorted(maps.Keys(d.sub)) {
		s := d.sub[k]
		if !s.similar() {
			return false
		}
		schema := s.schema()
		i := slices.IndexFunc(clusters, func(c []string) bool { return similarSchemas(c, schema) })
		if i < 0 {
			clusters, sizes = append(clusters, schema), append(sizes, 0)
			i = len(clusters) - 1
		}
		sizes[i]++
	}
	return len(clusters) <= groupMaxClusters && float64(slices.Max(sizes)) > groupThreshold*float64(len(d.sub))
}

// schema is the column names of the files under d, in lower case.
func (d *folder) schema() []string {
	seen := map[string]bool{}
	for _, f := range d.all() {
		for _, c := range f.cols {
			seen[strings.ToLower(c.Name)] = true
		}
	}
	return slices.Sorted(maps.Keys(seen))
}

// similarSchemas says whether two schemas share at least half of the
// larger one's columns, or one holds all of the other's (a table that
// gained columns over time).
func similarSchemas(a, b []string) bool {
	shared := 0
	for _, c := range a {
		if _, ok := slices.BinarySearch(b, c); ok {
			shared++
		}
	}
	return 2*shared >= max(len(a), len(b)) || shared == min(len(a), len(b))
}

// tableName is a folder's or file's name as a Glue crawler names a table
// after it: lower case, other characters than letters, digits and _ as _.
func tableName(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case 'a' <= r && r <= 'z', '0' <= r && r <= '9', r == '_':
			return r
		case 'A' <= r && r <= 'Z':
			return r + 'a' - 'A'
		}
		return '_'
	}, s)
}

// s3Failure is a failed S3 call of the crawler as one line: S3's own
// message and the location, without the SDK's request ids ("The specified
// bucket does not exist: s3://nosuchbkt/").
func s3Failure(op, bucket, key string, err error) error {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		msg := ae.ErrorMessage()
		if msg == "" || msg == ae.ErrorCode() {
			msg = ae.ErrorCode()
		}
		return &crawlError{msg: fmt.Sprintf("crawl: %s: s3://%s/%s", msg, bucket, key), err: err}
	}
	return fmt.Errorf("crawl: %s s3://%s/%s: %w", op, bucket, key, err)
}

// crawlError is an error whose message is the crawler's, wrapping the
// cause.
type crawlError struct {
	msg string
	err error
}

func (e *crawlError) Error() string { return e.msg }
func (e *crawlError) Unwrap() error { return e.err }
