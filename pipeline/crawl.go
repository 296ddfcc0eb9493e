package pipeline

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"pipeline/catalog"
	"pipeline/internal/atomicfile"
	"pipeline/internal/eventjson"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"golang.org/x/sync/errgroup"
)

// CrawlOptions configure a crawl. Bucket is required.
type CrawlOptions struct {
	Bucket   string
	Prefix   string // crawl below this key prefix: "" or ending in "/"
	Database string // default Database
	// Table, if set, crawls only the folder of that name under Prefix.
	Table string
	// StateFile remembers which objects were already sampled so that a
	// re-crawl reads only new ones; "" samples every object every time.
	StateFile string
	// Grouped crawls the folder Table (under Prefix) as a Glue crawler
	// crawls its include path: one table if its files agree, else tables
	// of its folders and files (see crawl_group.go). Without it, each
	// folder is one table whatever it holds, as the sink's tables are.
	Grouped bool
}

// CrawlStats says what a crawl found and registered.
type CrawlStats struct {
	Tables        []string
	Objects       int // objects listed
	Sampled       int // objects read for their schema this time
	NewPartitions int
	Elapsed       time.Duration
}

// SampleBytes is how much of each new object the crawler reads to infer its
// schema: like a Glue crawler, the first megabyte.
const SampleBytes = 1 << 20

// Crawl is a Glue-like crawler: each top-level folder under the prefix is a
// table named after it (folders starting with "_" or "." are skipped: dead
// letters, query results). It infers column types from a sample of each new
// object, takes Hive partition keys from the key=value folders, and
// registers the table and its partitions in the catalog. A re-crawl adds
// partitions and columns and widens types as the sink does
// (catalog.EvolveColumns: bigint to double, date to timestamp, never to
// string); it never drops a column. A column of only nulls so far is not
// added until a value says its type.
func Crawl(ctx context.Context, s3c *s3.Client, cat *catalog.Catalog, opts CrawlOptions) (CrawlStats, error) {
	start := time.Now()
	var st CrawlStats
	var err error
	if opts.Bucket == "" {
		return st, errors.New("crawl: no bucket given")
	}
	opts.Database = cmp.Or(opts.Database, catalog.Database)
	if opts.Prefix, err = CleanPrefix(opts.Prefix); err != nil {
		return st, err
	}
	state, err := loadCrawlState(opts.StateFile)
	if err != nil {
		return st, err
	}
	if err := cat.CreateDatabase(ctx, opts.Database); err != nil {
		return st, err
	}
	if opts.Grouped {
		if opts.Table == "" {
			return st, errors.New("crawl: a grouped crawl needs the folder to crawl (Table)")
		}
		if err := crawlGrouped(ctx, s3c, cat, opts, state, &st); err != nil {
			return st, err
		}
		state.keepAll() // objects outside the folder were not listed
		if err := state.save(opts.StateFile); err != nil {
			return st, fmt.Errorf("crawl: save state: %w", err)
		}
		st.Elapsed = time.Since(start)
		return st, nil
	}
	folders, err := listFolders(ctx, s3c, opts.Bucket, opts.Prefix)
	if err != nil {
		return st, err
	}
	for _, folder := range folders {
		name := strings.TrimSuffix(strings.TrimPrefix(folder, opts.Prefix), "/")
		if strings.HasPrefix(name, "_") || strings.HasPrefix(name, ".") || (opts.Table != "" && name != opts.Table) {
			continue
		}
		n, err := crawlTable(ctx, s3c, cat, opts, state, folder, name, &st)
		if err != nil {
			return st, err
		}
		if n {
			st.Tables = append(st.Tables, name)
		}
	}
	if opts.Table != "" { // other tables' objects were not listed: keep them
		state.keepAll()
	}
	if err := state.save(opts.StateFile); err != nil {
		return st, fmt.Errorf("crawl: save state: %w", err)
	}
	st.Elapsed = time.Since(start)
	return st, nil
}

func listFolders(ctx context.Context, s3c *s3.Client, bucket, prefix string) ([]string, error) {
	var out []string
	pg := s3.NewListObjectsV2Paginator(s3c, &s3.ListObjectsV2Input{
		Bucket: aws.String(bucket), Prefix: aws.String(prefix), Delimiter: aws.String("/")})
	for pg.HasMorePages() {
		page, err := pg.NextPage(ctx)
		if err != nil {
			return nil, s3Failure("list", bucket, prefix, err)
		}
		for _, cp := range page.CommonPrefixes {
			out = append(out, aws.ToString(cp.Prefix))
		}
	}
	return out, nil
}

type crawledObject struct {
	key, etag string
	size      int64
	partVals  []string
	partDir   string // key prefix of the partition folder, ending in "/"
}

// listDataObjects lists the data files under prefix: of a format the
// crawler reads, and not empty.
func listDataObjects(ctx context.Context, s3c *s3.Client, bucket, prefix string) ([]crawledObject, error) {
	var out []crawledObject
	pg := s3.NewListObjectsV2Paginator(s3c, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
	for pg.HasMorePages() {
		page, err := pg.NextPage(ctx)
		if err != nil {
			return nil, s3Failure("list", bucket, prefix, err)
		}
		for _, o := range page.Contents {
			if key := aws.ToString(o.Key); formatOf(key) != "" && aws.ToInt64(o.Size) > 0 {
				out = append(out, crawledObject{key: key, etag: aws.ToString(o.ETag), size: aws.ToInt64(o.Size)})
			}
		}
	}
	return out, nil
}

// crawlTable crawls one table folder. It reports whether a table was
// registered (a folder with no data files is not a table).
func crawlTable(ctx context.Context, s3c *s3.Client, cat *catalog.Catalog, opts CrawlOptions, state *crawlState,
	folder, name string, st *CrawlStats) (bool, error) {
	listed, err := listDataObjects(ctx, s3c, opts.Bucket, folder)
	if err != nil {
		return false, err
	}
	var objs []crawledObject
	var keys []string // partition key names, from the first object
	format := ""
	for _, o := range listed {
		if f := formatOf(o.key); format == "" {
			format = f
		} else if f != format {
			continue // one format a table, as Glue; the rest is not this table's
		}
		dirs := strings.Split(strings.TrimPrefix(o.key, folder), "/")
		dirs = dirs[:len(dirs)-1]
		names, vals := partitionOf(dirs)
		if keys == nil {
			keys = names
		} else if !slices.Equal(keys, names) {
			continue // a different partition layout is not this table's
		}
		o.partVals, o.partDir = vals, folder
		if len(dirs) > 0 {
			o.partDir += strings.Join(dirs, "/") + "/"
		}
		objs = append(objs, o)
	}
	state.listed(objs, st)
	if len(objs) == 0 {
		return false, nil
	}
	sampled, err := sampleObjects(ctx, s3c, opts.Bucket, objs, state, st)
	if err != nil {
		return false, err
	}
	var cols []catalog.Column // of the objects sampled now: the table has the others'
	for _, o := range objs {
		cols = catalog.MergeColumns(cols, sampled[o.key])
	}
	return true, registerTable(ctx, cat, opts, state, name, catalog.S3URI(opts.Bucket, folder), format, objs, keys, cols, st)
}

// sampleObjects reads the schema of each object not sampled before (in
// state, by its ETag) and returns them by key; state then holds every
// object's schema.
func sampleObjects(ctx context.Context, s3c *s3.Client, bucket string, objs []crawledObject, state *crawlState, st *CrawlStats) (map[string][]catalog.Column, error) {
	var mu sync.Mutex
	sampled := map[string][]catalog.Column{}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for _, o := range objs {
		if state.seen(o.key, o.etag) {
			continue
		}
		st.Sampled++
		g.Go(func() error {
			c, rows, err := sampleSchema(gctx, s3c, bucket, o, formatOf(o.key))
			if err != nil {
				return err
			}
			mu.Lock()
			sampled[o.key] = c
			mu.Unlock()
			state.mark(o.key, sampledObject{ETag: o.etag, Rows: rows.n, Exact: rows.exact}, c)
			return nil
		})
	}
	return sampled, g.Wait()
}

// registerTable registers (or updates) table name at loc, of the given
// format and partition keys, with the columns found added, and the
// partitions of objs.
func registerTable(ctx context.Context, cat *catalog.Catalog, opts CrawlOptions, state *crawlState, name, loc, format string,
	objs []crawledObject, keys []string, cols []catalog.Column, st *CrawlStats) error {
	// One change of the table, atomic where the catalog can (a sink may be
	// adding a column meanwhile).
	err := cat.ModifyTable(ctx, opts.Database, name, func(t *catalog.Table) (*catalog.Table, error) {
		switch {
		case t == nil:
			t = catalog.NewTable(opts.Database, name, loc, format)
		case !sameLocation(t.Location, loc):
			// Another folder of the same name has the table: merging this
			// one in would mix two tables' partitions.
			return nil, fmt.Errorf("crawl: table %s.%s reads %s, not %s: crawl one of them, or give the other another name",
				t.Database, t.Name, t.Location, loc)
		}
		// The table's types are a contract: a crawl adds columns and widens
		// numbers, and never turns a typed column into a string because some
		// object holds a value the sink would have refused.
		t.Columns = catalog.EvolveColumns(t.Columns, cols)
		for i := range t.Columns {
			if t.Columns[i].Type == "" {
				t.Columns[i].Type = catalog.TypeString // only nulls seen so far
			}
		}
		t.PartitionKeys = nil
		for _, k := range keys {
			t.PartitionKeys = append(t.PartitionKeys, catalog.Column{Name: k, Type: catalog.TypeString})
		}
		setSizes(t, objs, state)
		return t, nil
	})
	if err != nil {
		return err
	}

	old, err := cat.ListPartitions(ctx, opts.Database, name)
	if err != nil {
		return err
	}
	have := map[string]bool{}
	for _, p := range old {
		have[catalog.PartitionKey(p.Values)] = true
	}
	var parts []catalog.Partition
	for _, o := range objs {
		if len(o.partVals) == 0 || have[catalog.PartitionKey(o.partVals)] {
			continue
		}
		have[catalog.PartitionKey(o.partVals)] = true
		parts = append(parts, catalog.Partition{Values: o.partVals, Location: catalog.S3URI(opts.Bucket, o.partDir)})
	}
	st.NewPartitions += len(parts)
	return cat.AddPartitions(ctx, opts.Database, name, parts)
}

// rowCount is how many rows an object holds: exact from a Parquet footer or
// a JSON-lines object read whole, else estimated from its first SampleBytes.
type rowCount struct {
	n     int64
	exact bool
}

// sampleSchema reads an object's columns and counts its rows: a Parquet
// file's from its footer; JSON lines' from the first SampleBytes.
func sampleSchema(ctx context.Context, s3c *s3.Client, bucket string, o crawledObject, format string) ([]catalog.Column, rowCount, error) {
	key := o.key
	if format == catalog.FormatParquet {
		return parquetSchema(ctx, s3c, bucket, key, o.size)
	}
	out, err := s3c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key),
		Range: aws.String(fmt.Sprintf("bytes=0-%d", SampleBytes-1))})
	if err != nil {
		return nil, rowCount{}, s3Failure("read", bucket, key, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(io.LimitReader(out.Body, SampleBytes))
	if err != nil {
		return nil, rowCount{}, fmt.Errorf("crawl: read s3://%s/%s: %w", bucket, key, err)
	}
	whole := int64(len(b)) >= o.size
	if !whole { // the last line may be cut
		if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
			b = b[:i+1]
		}
	}
	return InferJSONLines(b), jsonLinesRows(b, o.size, whole), nil
}

// jsonLinesRows counts the lines that hold something in b, the first bytes
// of an object of size bytes (all of them if whole), and estimates the
// object's from them if it was not read whole, as a Glue crawler estimates
// a table's recordCount from a sample.
func jsonLinesRows(b []byte, size int64, whole bool) rowCount {
	sampled := len(b)
	var n int64
	for len(b) > 0 {
		line := b
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line, b = b[:i], b[i+1:]
		} else {
			b = nil
		}
		if len(bytes.TrimSpace(line)) > 0 {
			n++
		}
	}
	if whole || n == 0 {
		return rowCount{n: n, exact: whole}
	}
	return rowCount{n: int64(float64(n) * float64(size) / float64(sampled)), exact: false}
}

// InferJSONLines infers the columns of JSON-lines data, in first-seen order.
// Lines that are not JSON objects, or that the sink would dead-letter as not
// valid JSON (a key twice, invalid UTF-8), are ignored. Columns differing
// only in case are one, as in Glue; the first spelling names it. An array
// is array<T> and an object struct<...>, as Glue's JSON classifier types
// them (nestedType).
func InferJSONLines(b []byte) []catalog.Column {
	var cols []catalog.Column
	idx := map[string]int{} // by spelling and by lower case
	var fields []eventjson.Field
	var unq []byte
	var nested map[int]*catalog.HiveType // arrays' and objects' types, by column
	isNested := map[int]bool{}
	for len(b) > 0 {
		line := b
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line, b = b[:i], b[i+1:]
		} else {
			b = nil
		}
		var ok bool
		if fields, ok = eventjson.ScanObject(line, fields[:0]); !ok {
			continue
		}
		for k := range fields {
			f := &fields[k]
			text := f.Raw
			if f.IsString() && f.Escaped {
				unq = eventjson.AppendUnquoted(unq[:0], f.Raw)
				text = unq
			}
			t := cellType[valueKind(&f.Value, text)]
			i, ok := idx[string(f.Name)]
			if !ok {
				lower := strings.ToLower(string(f.Name))
				if i, ok = idx[lower]; !ok {
					i = len(cols)
					cols = append(cols, catalog.Column{Name: string(f.Name)})
					idx[lower] = i
				}
				idx[string(f.Name)] = i
			}
			if f.Kind == '[' || f.Kind == '{' {
				// Kept parsed until the end: a null inside says nothing
				// yet, and gives way to a later line's type.
				if nt, ok := nestedHive(f.Raw); ok {
					if nested == nil {
						nested = map[int]*catalog.HiveType{}
					}
					nested[i], isNested[i] = catalog.WidenHiveType(nested[i], nt), true
					continue
				}
			}
			cols[i].Type = catalog.WidenType(cols[i].Type, t)
		}
	}
	for i := range isNested {
		if nt := nested[i]; nt != nil {
			cols[i].Type = catalog.WidenType(cols[i].Type, knownLeaves(nt).String())
		}
	}
	return cols
}

// maxNestedDepth bounds how deeply nestedHive types a value: deeper, a
// value is a string (its JSON text), as Hive's parser would not take a type
// of thousands of levels.
const maxNestedDepth = 32

// nestedHive is the Hive type of a JSON array or object (raw, valid JSON):
// array<T> of its elements' types widened together, struct<name:T,...> of
// its members in first-seen order, names in lower case (Hive's). Scalars
// inside are typed as a column's are; a null, an empty array or one of
// nulls only is nil: nothing known yet (knownLeaves makes it a string). ok
// is false for a value Hive cannot type, a string then: nested too deeply,
// or with a member name Hive cannot write in a type (empty, or with a
// backtick).
func nestedHive(raw []byte) (t *catalog.HiveType, ok bool) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	t, err := jsonValueType(dec, 0)
	return t, err == nil
}

// jsonValueType reads one value from dec and returns its type; nil for a
// null, or an array that holds nothing typed.
func jsonValueType(dec *json.Decoder, depth int) (*catalog.HiveType, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	var typ string
	switch v := tok.(type) {
	case nil:
		return nil, nil
	case bool:
		typ = catalog.TypeBoolean
	case json.Number:
		typ = cellType[valueKind(&eventjson.Value{Kind: v.String()[0]}, []byte(v.String()))]
	case string:
		typ = cellType[valueKind(&eventjson.Value{Kind: '"'}, []byte(v))]
	case json.Delim:
		if depth >= maxNestedDepth {
			return nil, errors.New("nested too deeply")
		}
		if v == '[' {
			var elem *catalog.HiveType
			for dec.More() {
				e, err := jsonValueType(dec, depth+1)
				if err != nil {
					return nil, err
				}
				elem = catalog.WidenHiveType(elem, e)
			}
			if _, err := dec.Token(); err != nil { // ]
				return nil, err
			}
			if elem == nil {
				return nil, nil
			}
			return &catalog.HiveType{Kind: "array", Elem: elem}, nil
		}
		st := &catalog.HiveType{Kind: "struct"}
		for dec.More() {
			key, err := dec.Token()
			if err != nil {
				return nil, err
			}
			name := strings.ToLower(key.(string))
			if name == "" || strings.Contains(name, "`") {
				return nil, errors.New("a member name Hive cannot write")
			}
			ft, err := jsonValueType(dec, depth+1)
			if err != nil {
				return nil, err
			}
			if i := slices.IndexFunc(st.Fields, func(f catalog.HiveField) bool { return f.Name == name }); i >= 0 {
				st.Fields[i].Type = catalog.WidenHiveType(st.Fields[i].Type, ft)
			} else {
				st.Fields = append(st.Fields, catalog.HiveField{Name: name, Type: ft})
			}
		}
		if _, err := dec.Token(); err != nil { // }
			return nil, err
		}
		return st, nil
	}
	return catalog.ParseType(typ)
}

// knownLeaves is t with the fields and elements of no known type (nil)
// made strings.
func knownLeaves(t *catalog.HiveType) *catalog.HiveType {
	if t == nil {
		return &catalog.HiveType{Kind: catalog.TypeString}
	}
	switch t.Kind {
	case "array":
		return &catalog.HiveType{Kind: "array", Elem: knownLeaves(t.Elem)}
	case "struct":
		out := &catalog.HiveType{Kind: "struct"}
		for _, f := range t.Fields {
			out.Fields = append(out.Fields, catalog.HiveField{Name: f.Name, Type: knownLeaves(f.Type)})
		}
		return out
	}
	return t
}

var timestampRE = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:?\d{2})?$`)

// valueKind classifies one JSON value as the crawler types it, and so the
// Parquet writer: text is a string's unescaped value, or any other value's
// bytes. A number is bigint if it is an integer that fits an int64, else
// double; a string is a date if it is a valid yyyy-mm-dd, a timestamp if it
// has the shape of one and parseCellTime reads it, else a string; objects
// and arrays are kept as their JSON text; null says nothing of the type.
func valueKind(f *eventjson.Value, text []byte) cellKind {
	switch {
	case f.Kind == 'n' || f.Kind == 0:
		return cellNull
	case f.IsString():
		if len(text) < 10 || text[4] != '-' || text[7] != '-' {
			return cellString
		}
		if len(text) == 10 {
			if validDate(text) {
				return cellDate
			}
			return cellString
		}
		if len(text) <= len("2006-01-02T15:04:05.999999999Z") {
			if _, ok := eventjson.ParseUTCTime(text); ok {
				return cellTime // the events' own shape: no regexp needed
			}
		}
		if timestampRE.Match(text) {
			if _, ok := parseCellTime(text); ok {
				return cellTime
			}
		}
		return cellString
	case f.IsNumber():
		if hasFraction(text) {
			return cellFloat
		}
		if len(text) > 18 { // may be beyond an int64
			if _, err := strconv.ParseInt(string(text), 10, 64); err != nil {
				return cellFloat
			}
		}
		return cellInt
	case f.Kind == 't' || f.Kind == 'f':
		return cellBool
	default: // object or array
		return cellJSON
	}
}

// hasFraction says whether a JSON number has a fraction or an exponent; a
// loop, as bytes.ContainsAny builds a set of the bytes on every call.
func hasFraction(num []byte) bool {
	for _, c := range num {
		if c == '.' || c == 'e' || c == 'E' {
			return true
		}
	}
	return false
}

// crawlState records the objects already sampled, by key, and their
// schemas (kept once each: most objects of a table share one).
type crawlState struct {
	mu      sync.Mutex
	Objects map[string]sampledObject    `json:"objects"`
	Schemas map[string][]catalog.Column `json:"schemas,omitempty"` // by schemaID
	live    map[string]bool             // listed by this crawl; the rest is forgotten on save
}

// sampledObject is what a crawl found in an object: its ETag when sampled,
// its rows and its schema.
type sampledObject struct {
	ETag   string `json:"etag"`
	Rows   int64  `json:"rows"`
	Exact  bool   `json:"exact"`            // Rows is exact, not estimated from a sample
	Schema string `json:"schema,omitempty"` // its columns' schemaID
}

// schemaID names a list of columns in the state.
func schemaID(cols []catalog.Column) string {
	b, _ := json.Marshal(cols)
	h := fnv.New64a()
	h.Write(b)
	return strconv.FormatUint(h.Sum64(), 36)
}

func loadCrawlState(file string) (*crawlState, error) {
	st := &crawlState{Objects: map[string]sampledObject{}, Schemas: map[string][]catalog.Column{}, live: map[string]bool{}}
	if file == "" {
		return st, nil
	}
	b, err := os.ReadFile(file)
	if errors.Is(err, os.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return nil, fmt.Errorf("crawl: read state: %w", err)
	}
	if err := json.Unmarshal(b, st); err != nil {
		// A damaged state (or one of an older shape) only costs a full
		// re-sample.
		return &crawlState{Objects: map[string]sampledObject{}, Schemas: map[string][]catalog.Column{}, live: map[string]bool{}}, nil
	}
	if st.Objects == nil {
		st.Objects = map[string]sampledObject{}
	}
	if st.Schemas == nil {
		st.Schemas = map[string][]catalog.Column{}
	}
	return st, nil
}

// seen says whether the object was sampled as it is (its ETag), its
// schema kept (a state of an older shape kept none).
func (s *crawlState) seen(key, etag string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.Objects[key]
	_, schema := s.Schemas[e.Schema]
	return ok && e.ETag == etag && schema
}

// mark records what a sample of an object found.
func (s *crawlState) mark(key string, o sampledObject, cols []catalog.Column) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o.Schema = schemaID(cols)
	if _, ok := s.Schemas[o.Schema]; !ok {
		s.Schemas[o.Schema] = cols
	}
	s.Objects[key] = o
}

// listed records the objects a crawl listed: the state keeps them (and
// forgets the rest on save), and st counts them.
func (s *crawlState) listed(objs []crawledObject, st *CrawlStats) {
	st.Objects += len(objs)
	for _, o := range objs {
		s.live[o.key] = true
	}
}

// columns returns a sampled object's columns.
func (s *crawlState) columns(key string) []catalog.Column {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.Schemas[s.Objects[key].Schema]
}

// setSizes records in t's parameters the table's rows, objects and bytes as
// of this crawl.
func setSizes(t *catalog.Table, objs []crawledObject, state *crawlState) {
	var rows, size int64
	exact := true
	state.mu.Lock()
	for _, o := range objs {
		so := state.Objects[o.key]
		rows += so.Rows
		exact = exact && so.Exact
		size += o.size
	}
	state.mu.Unlock()
	if t.Parameters == nil {
		t.Parameters = map[string]string{}
	}
	t.Parameters[catalog.ParamRecordCount] = strconv.FormatInt(rows, 10)
	t.Parameters[catalog.ParamObjectCount] = strconv.Itoa(len(objs))
	t.Parameters[catalog.ParamSize] = strconv.FormatInt(size, 10)
	if rows > 0 {
		t.Parameters[catalog.ParamAvgRecordSize] = strconv.FormatInt(size/rows, 10)
	}
	if exact {
		delete(t.Parameters, catalog.ParamRowsEstimated)
	} else {
		t.Parameters[catalog.ParamRowsEstimated] = "true"
	}
}

func (s *crawlState) keepAll() {
	for k := range s.Objects {
		s.live[k] = true
	}
}

func (s *crawlState) save(file string) error {
	if file == "" {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	used := map[string]bool{}
	for k, o := range s.Objects {
		if !s.live[k] {
			delete(s.Objects, k)
		} else {
			used[o.Schema] = true
		}
	}
	for id := range s.Schemas {
		if !used[id] {
			delete(s.Schemas, id)
		}
	}
	b, err := json.Marshal(s)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return err
	}
	return atomicfile.WriteFile(file, b)
}
