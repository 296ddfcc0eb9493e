package pipeline

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

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
// partitions and columns and widens types; it never drops a column.
func Crawl(ctx context.Context, s3c *s3.Client, cat *Catalog, opts CrawlOptions) (CrawlStats, error) {
	start := time.Now()
	var st CrawlStats
	var err error
	if opts.Bucket == "" {
		return st, errors.New("crawl: no bucket given")
	}
	if opts.Database == "" {
		opts.Database = Database
	}
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
			return nil, fmt.Errorf("crawl: list s3://%s/%s: %w", bucket, prefix, err)
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

// crawlTable crawls one table folder. It reports whether a table was
// registered (a folder with no data files is not a table).
func crawlTable(ctx context.Context, s3c *s3.Client, cat *Catalog, opts CrawlOptions, state *crawlState,
	folder, name string, st *CrawlStats) (bool, error) {
	var objs []crawledObject
	var keys []string // partition key names, from the first object
	format := ""
	pg := s3.NewListObjectsV2Paginator(s3c, &s3.ListObjectsV2Input{Bucket: aws.String(opts.Bucket), Prefix: aws.String(folder)})
	for pg.HasMorePages() {
		page, err := pg.NextPage(ctx)
		if err != nil {
			return false, fmt.Errorf("crawl: list s3://%s/%s: %w", opts.Bucket, folder, err)
		}
		for _, o := range page.Contents {
			key := aws.ToString(o.Key)
			f := formatOf(key)
			if f == "" || aws.ToInt64(o.Size) == 0 {
				continue
			}
			if format == "" {
				format = f
			} else if f != format {
				continue // one format a table, as Glue; the rest is not this table's
			}
			rel := strings.TrimPrefix(key, folder)
			dirs := strings.Split(rel, "/")
			dirs = dirs[:len(dirs)-1]
			names, vals := partitionOf(dirs)
			if keys == nil {
				keys = names
			} else if !slices.Equal(keys, names) {
				continue // a different partition layout is not this table's
			}
			dir := folder
			if len(dirs) > 0 {
				dir += strings.Join(dirs, "/") + "/"
			}
			objs = append(objs, crawledObject{key: key, etag: aws.ToString(o.ETag), size: aws.ToInt64(o.Size), partVals: vals, partDir: dir})
		}
	}
	st.Objects += len(objs)
	for _, o := range objs {
		state.live[o.key] = true
	}
	if len(objs) == 0 {
		return false, nil
	}

	var mu sync.Mutex
	var cols []Column
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for _, o := range objs {
		if state.seen(o.key, o.etag) {
			continue
		}
		st.Sampled++
		g.Go(func() error {
			c, err := sampleSchema(gctx, s3c, opts.Bucket, o, format)
			if err != nil {
				return err
			}
			mu.Lock()
			cols = MergeColumns(cols, c)
			state.mark(o.key, o.etag)
			mu.Unlock()
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return false, err
	}

	loc := "s3://" + opts.Bucket + "/" + folder
	t, err := cat.GetTable(ctx, opts.Database, name)
	switch {
	case errors.Is(err, ErrNotFound):
		t = NewTable(opts.Database, name, loc, format)
	case err != nil:
		return false, err
	}
	t.Columns = MergeColumns(t.Columns, cols)
	for i := range t.Columns {
		if t.Columns[i].Type == "" {
			t.Columns[i].Type = TypeString // only nulls seen so far
		}
	}
	t.PartitionKeys = nil
	for _, k := range keys {
		t.PartitionKeys = append(t.PartitionKeys, Column{Name: k, Type: TypeString})
	}
	if err := cat.PutTable(ctx, t); err != nil {
		return false, err
	}

	old, err := cat.ListPartitions(ctx, opts.Database, name)
	if err != nil {
		return false, err
	}
	have := map[string]bool{}
	for _, p := range old {
		have[partitionKey(p.Values)] = true
	}
	var parts []Partition
	for _, o := range objs {
		if len(o.partVals) == 0 || have[partitionKey(o.partVals)] {
			continue
		}
		have[partitionKey(o.partVals)] = true
		parts = append(parts, Partition{Values: o.partVals, Location: "s3://" + opts.Bucket + "/" + o.partDir})
	}
	st.NewPartitions += len(parts)
	return true, cat.AddPartitions(ctx, opts.Database, name, parts)
}

func formatOf(key string) string {
	switch strings.ToLower(path.Ext(key)) {
	case ".json", ".jsonl", ".ndjson":
		return FormatJSON
	case ".parquet":
		return FormatParquet
	}
	return ""
}

// partitionOf turns folder names into partition keys and values: Hive
// "key=value" folders, or partition_N for plain folders, as Glue names them.
func partitionOf(dirs []string) (names, vals []string) {
	names, vals = []string{}, []string{}
	for i, d := range dirs {
		if k, v, ok := strings.Cut(d, "="); ok && k != "" {
			names = append(names, k)
			vals = append(vals, v)
		} else {
			names = append(names, fmt.Sprintf("partition_%d", i))
			vals = append(vals, d)
		}
	}
	return names, vals
}

// sampleSchema reads an object's columns: a Parquet file's from its footer;
// JSON lines' inferred from the first SampleBytes.
func sampleSchema(ctx context.Context, s3c *s3.Client, bucket string, o crawledObject, format string) ([]Column, error) {
	key := o.key
	if format == FormatParquet {
		return parquetSchema(ctx, s3c, bucket, key, o.size)
	}
	out, err := s3c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key),
		Range: aws.String(fmt.Sprintf("bytes=0-%d", SampleBytes-1))})
	if err != nil {
		return nil, fmt.Errorf("crawl: read s3://%s/%s: %w", bucket, key, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(io.LimitReader(out.Body, SampleBytes))
	if err != nil {
		return nil, fmt.Errorf("crawl: read s3://%s/%s: %w", bucket, key, err)
	}
	if len(b) == SampleBytes { // the last line may be cut
		if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
			b = b[:i+1]
		}
	}
	return InferJSONLines(b), nil
}

// InferJSONLines infers the columns of JSON-lines data, in first-seen order.
// Lines that are not JSON objects are ignored.
func InferJSONLines(b []byte) []Column {
	var cols []Column
	idx := map[string]int{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 64<<10), SampleBytes)
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 || line[0] != '{' {
			continue
		}
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.UseNumber()
		var obj map[string]any
		if dec.Decode(&obj) != nil {
			continue
		}
		// Keys in the order they appear, so columns keep the writer's order.
		for _, k := range objectKeys(line) {
			v, ok := obj[k]
			if !ok {
				continue
			}
			t := InferType(v)
			if i, ok := idx[k]; ok {
				cols[i].Type = WidenType(cols[i].Type, t)
			} else {
				idx[k] = len(cols)
				cols = append(cols, Column{Name: k, Type: t})
			}
		}
	}
	return cols
}

// objectKeys returns the top-level keys of a JSON object in document order.
func objectKeys(obj []byte) []string {
	dec := json.NewDecoder(bytes.NewReader(obj))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil
	}
	var keys []string
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return keys
		}
		k, _ := t.(string)
		keys = append(keys, k)
		var skip json.RawMessage
		if dec.Decode(&skip) != nil {
			return keys
		}
	}
	return keys
}

var (
	dateRE      = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
	timestampRE = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:?\d{2})?$`)
)

// InferType maps one decoded JSON value (decoded with UseNumber) to a
// catalog type; "" for null, which says nothing about the type.
func InferType(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case bool:
		return TypeBoolean
	case json.Number:
		if _, err := x.Int64(); err == nil {
			return TypeBigint
		}
		return TypeDouble
	case string:
		switch {
		case dateRE.MatchString(x):
			if _, err := time.Parse("2006-01-02", x); err == nil {
				return TypeDate
			}
		case timestampRE.MatchString(x):
			return TypeTimestamp
		}
		return TypeString
	default: // objects and arrays: kept as their JSON text
		return TypeString
	}
}

// crawlState records the objects already sampled (key -> ETag).
type crawlState struct {
	mu      sync.Mutex
	Objects map[string]string `json:"objects"`
	live    map[string]bool   // listed by this crawl; the rest is forgotten on save
}

func loadCrawlState(file string) (*crawlState, error) {
	st := &crawlState{Objects: map[string]string{}, live: map[string]bool{}}
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
		// A damaged state only costs a full re-sample.
		return &crawlState{Objects: map[string]string{}, live: map[string]bool{}}, nil
	}
	if st.Objects == nil {
		st.Objects = map[string]string{}
	}
	return st, nil
}

func (s *crawlState) seen(key, etag string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.Objects[key]
	return ok && e == etag
}

func (s *crawlState) mark(key, etag string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.Objects[key] = etag
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
	for k := range s.Objects {
		if !s.live[k] {
			delete(s.Objects, k)
		}
	}
	b, err := json.Marshal(s)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return err
	}
	return WriteFileAtomic(file, b)
}
