package observe

import (
	"bufio"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/twmb/franz-go/pkg/kadm"

	"pipeline/catalog"
	"pipeline/pipeline"
)

// StatusSources are where ReadStatus looks.
type StatusSources struct {
	Kafka    *kadm.Client // the topic's offsets and the group's commits
	S3       *s3.Client
	Catalog  *catalog.Catalog
	Bucket   string
	Prefix   string // the sink's key prefix: "" or ending in "/"
	Topic    string
	Group    string // the sink's consumer group
	Database string // default catalog.Database
	// Timeout bounds each call to a service (default 10 s): a service
	// that is stopped (SIGSTOP) accepts connections and never answers.
	Timeout time.Duration
}

// Status is one look at the pipeline as it is stored: the topic and how far
// the sink group has committed, the catalog's tables with what the last
// crawl counted and what their folders hold now, and the dead letters by
// reason. A section that could not be read says why in its error field; the
// others are still there.
type Status struct {
	At           time.Time     `json:"at"`
	Kafka        *Offsets      `json:"kafka,omitempty"`
	KafkaError   string        `json:"kafka_error,omitempty"`
	Database     string        `json:"database"`
	Tables       []TableStatus `json:"tables"`
	CatalogError string        `json:"catalog_error,omitempty"`
	DeadLetters  DeadLetters   `json:"dead_letters"`
}

// TableStatus is one table of the catalog.
type TableStatus struct {
	Name       string   `json:"name"`
	Location   string   `json:"location"`
	Format     string   `json:"format"`
	Columns    int      `json:"columns"`
	Partitions []string `json:"partitions"` // "dt=2026-11-26"
	// Rows is what the last crawl counted (-1: no crawl has counted
	// them); RowsEstimated says it estimated some of them from a sample.
	Rows          int64     `json:"rows"`
	RowsEstimated bool      `json:"rows_estimated,omitempty"`
	UpdatedAt     time.Time `json:"updated_at"`
	// Objects and Bytes are what the table's folder holds now; null if it
	// could not be listed (ListError says why).
	Objects   *int64 `json:"objects"`
	Bytes     *int64 `json:"bytes"`
	ListError string `json:"list_error,omitempty"`
}

// DeadLetters are the records the sink stored under the dead-letter prefix
// instead of its table.
type DeadLetters struct {
	Location string `json:"location"`
	// Objects and Bytes are null if the folder could not be listed
	// (Error says why).
	Objects *int64 `json:"objects"`
	Bytes   *int64 `json:"bytes"`
	// Records and Reasons are counted from the first ObjectsRead objects
	// (all of them unless there are more than deadLetterReadBytes);
	// Records is null if the folder could not be listed.
	Records     *int64        `json:"records"`
	ObjectsRead int           `json:"objects_read"`
	Reasons     []ReasonCount `json:"reasons"`
	Error       string        `json:"error,omitempty"`
}

// ReasonCount is how many dead letters share a reason. Reasons that differ
// only in the values they quote (a key, a timestamp, an offset) are one.
type ReasonCount struct {
	Reason  string `json:"reason"`
	Count   int64  `json:"count"`
	Example string `json:"example"` // one of them as the sink wrote it
}

// defaultStatusTimeout is StatusSources.Timeout's default.
const defaultStatusTimeout = 10 * time.Second

// statusReader reads one Status: it stops calling a service once that
// service has not answered, so that a hung S3 costs one timeout, not one per
// table. It is safe for concurrent use.
type statusReader struct {
	StatusSources
	mu     sync.Mutex
	silent map[string]error // service -> its first call that timed out; guarded by mu
}

// call runs fn with ctx bounded by the timeout; if the bound ran out, its
// error says that service did not answer, and the next calls to the service
// fail at once with that error.
func (r *statusReader) call(ctx context.Context, service string, fn func(context.Context) error) error {
	r.mu.Lock()
	err := r.silent[service]
	r.mu.Unlock()
	if err != nil {
		return err
	}
	cctx, cancel := context.WithTimeout(ctx, r.Timeout)
	defer cancel()
	err = fn(cctx)
	if err != nil && errors.Is(cctx.Err(), context.DeadlineExceeded) && ctx.Err() == nil {
		err = &silentError{service, r.Timeout}
		r.mu.Lock()
		r.silent[service] = err
		r.mu.Unlock()
	}
	return err
}

// silentError is a service that did not answer a call within its bound.
type silentError struct {
	service string
	timeout time.Duration
}

func (e *silentError) Error() string {
	return fmt.Sprintf("%s did not answer in %s (is it up, not stopped?)", e.service, e.timeout)
}

// deadLetterReadBytes bounds what status reads of the dead letters to
// count their reasons; the count of objects and bytes is always whole.
const deadLetterReadBytes = 64 << 20

// ReadStatus looks at everything src names. Its error is nil unless ctx
// ended; what failed is in the sections' error fields (see Status.Err).
//
// Kafka, the catalog (with its tables' folders) and the dead letters are
// read at once, each section writing its own fields: with services that do
// not answer, status takes one Timeout, not one per service.
func ReadStatus(ctx context.Context, src StatusSources) (*Status, error) {
	src.Database = cmp.Or(src.Database, catalog.Database)
	if src.Timeout <= 0 {
		src.Timeout = defaultStatusTimeout
	}
	r := &statusReader{StatusSources: src, silent: map[string]error{}}
	st := &Status{At: time.Now(), Database: src.Database, Tables: []TableStatus{}}
	var wg sync.WaitGroup
	if src.Kafka != nil {
		wg.Go(func() {
			// kgo retries an unreachable broker until its context ends.
			var o Offsets
			err := r.call(ctx, "Kafka", func(ctx context.Context) (err error) {
				o, err = ReadOffsets(ctx, src.Kafka, src.Topic, src.Group)
				return err
			})
			if err != nil {
				st.KafkaError = err.Error()
			} else {
				st.Kafka = &o
			}
		})
	}
	wg.Go(func() {
		if err := st.readCatalog(ctx, r); err != nil {
			st.CatalogError = err.Error()
		}
	})
	wg.Go(func() { st.DeadLetters = r.readDeadLetters(ctx) })
	wg.Wait()
	return st, ctx.Err()
}

func (st *Status) readCatalog(ctx context.Context, src *statusReader) error {
	var tables []*catalog.Table
	err := src.call(ctx, "the catalog", func(ctx context.Context) (err error) {
		tables, err = src.Catalog.ListTables(ctx, src.Database)
		return err
	})
	if errors.Is(err, catalog.ErrNotFound) {
		return nil // no crawl yet: no tables
	}
	if err != nil {
		return err
	}
	for _, t := range tables {
		ts := TableStatus{Name: t.Name, Location: t.Location, Format: t.Format, Columns: len(t.Columns),
			Partitions: []string{}, Rows: -1, UpdatedAt: t.UpdatedAt}
		if n, err := strconv.ParseInt(t.Parameters[catalog.ParamRecordCount], 10, 64); err == nil {
			ts.Rows, ts.RowsEstimated = n, t.Parameters[catalog.ParamRowsEstimated] == "true"
		}
		var parts []catalog.Partition
		err := src.call(ctx, "the catalog", func(ctx context.Context) (err error) {
			parts, err = src.Catalog.ListPartitions(ctx, src.Database, t.Name)
			return err
		})
		if err != nil {
			return err
		}
		for _, p := range parts {
			var kv []string
			for i, v := range p.Values {
				if i < len(t.PartitionKeys) {
					v = t.PartitionKeys[i].Name + "=" + v
				}
				kv = append(kv, v)
			}
			ts.Partitions = append(ts.Partitions, strings.Join(kv, "/"))
		}
		bucket, prefix, ok := catalog.SplitS3URI(t.Location)
		if !ok || bucket == "" {
			ts.ListError = fmt.Sprintf("location %q is not an S3 folder", t.Location)
		} else {
			if n, size, err := src.listSize(ctx, bucket, prefix, nil); err != nil {
				ts.ListError = err.Error()
			} else {
				ts.Objects, ts.Bytes = &n, &size
			}
		}
		st.Tables = append(st.Tables, ts)
	}
	return nil
}

// listSize counts the objects under prefix and their bytes, and hands each
// key and size to each if it is set.
func (r *statusReader) listSize(ctx context.Context, bucket, prefix string, each func(key string, size int64)) (n, bytes int64, err error) {
	pg := s3.NewListObjectsV2Paginator(r.S3, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
	for pg.HasMorePages() {
		var page *s3.ListObjectsV2Output
		err := r.call(ctx, "S3", func(ctx context.Context) (err error) {
			page, err = pg.NextPage(ctx)
			return err
		})
		var nsb *s3types.NoSuchBucket
		var silent *silentError
		switch {
		case errors.As(err, &nsb):
			return n, bytes, fmt.Errorf("S3 bucket %q does not exist: pass the --bucket the sink writes to", bucket)
		case errors.As(err, &silent), errors.Is(err, context.Canceled):
			return n, bytes, fmt.Errorf("list s3://%s/%s: %w", bucket, prefix, err)
		case err != nil:
			return n, bytes, fmt.Errorf("list s3://%s/%s: %w", bucket, prefix, s3Problem(r.S3, bucket, r.Timeout, err))
		}
		for _, o := range page.Contents {
			n++
			bytes += aws.ToInt64(o.Size)
			if each != nil {
				each(aws.ToString(o.Key), aws.ToInt64(o.Size))
			}
		}
	}
	return n, bytes, nil
}

func (src *statusReader) readDeadLetters(ctx context.Context) DeadLetters {
	prefix := pipeline.DeadLetterFolder(src.Prefix, src.Topic)
	dl := DeadLetters{Location: "s3://" + src.Bucket + "/" + prefix, Reasons: []ReasonCount{}}
	var keys []string
	var budget int64 = deadLetterReadBytes
	n, size, err := src.listSize(ctx, src.Bucket, prefix, func(key string, size int64) {
		if budget > 0 {
			keys = append(keys, key)
			budget -= size
		}
	})
	if err != nil {
		dl.Error = err.Error()
		return dl
	}
	var records int64
	dl.Objects, dl.Bytes, dl.Records = &n, &size, &records
	byClass := map[string]*ReasonCount{}
	for _, key := range keys {
		// Each object is read whole within the bound (they are small).
		var reasons []string
		err := src.call(ctx, "S3", func(ctx context.Context) error {
			out, err := src.S3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(src.Bucket), Key: aws.String(key)})
			if err != nil {
				return err
			}
			defer out.Body.Close()
			sc := bufio.NewScanner(out.Body)
			sc.Buffer(nil, 16<<20) // a dead letter holds its record's value
			for sc.Scan() {
				var d struct {
					Reason string `json:"reason"`
				}
				if json.Unmarshal(sc.Bytes(), &d) != nil {
					continue // not written by the sink
				}
				reasons = append(reasons, d.Reason)
			}
			return sc.Err()
		})
		if err != nil {
			dl.Error = fmt.Sprintf("read s3://%s/%s: %v", src.Bucket, key, err)
			break
		}
		for _, reason := range reasons {
			records++
			class := ReasonClass(reason)
			rc := byClass[class]
			if rc == nil {
				rc = &ReasonCount{Reason: class, Example: reason}
				byClass[class] = rc
			}
			rc.Count++
		}
		dl.ObjectsRead++
	}
	for _, rc := range byClass {
		dl.Reasons = append(dl.Reasons, *rc)
	}
	slices.SortFunc(dl.Reasons, func(a, b ReasonCount) int {
		if a.Count != b.Count {
			return int(b.Count - a.Count)
		}
		return strings.Compare(a.Reason, b.Reason)
	})
	return dl
}

var (
	quotedRE = regexp.MustCompile(`"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'`)
	// valueRE are the numbers a reason quotes from its record: where the
	// record went wrong and a price. The rule's own numbers (256 bytes,
	// UTF-8, years 1..9999) stay.
	valueRE = regexp.MustCompile(`\(offset \d+\)|\bprice -?[0-9][0-9.eE+-]*`)
)

// eventFields are the names of the fields every event has: quoted in a
// reason, they say which rule a record broke, not what it held.
var eventFields = map[string]bool{`"symbol"`: true, `"ts"`: true, `"seq"`: true}

// ReasonClass is a dead letter's reason without the values it quotes:
// `ts "x" is not an RFC 3339 time (offset 12)` is `ts "…" is not an RFC 3339
// time (offset N)`, so that reasons count by kind.
func ReasonClass(reason string) string {
	s := quotedRE.ReplaceAllStringFunc(reason, func(q string) string {
		if eventFields[q] {
			return q
		}
		return q[:1] + "…" + q[:1]
	})
	return valueRE.ReplaceAllStringFunc(s, func(v string) string {
		if strings.HasPrefix(v, "price") {
			return "price N"
		}
		return "(offset N)"
	})
}

// Err says what could not be read, or nil.
func (st *Status) Err() error {
	var errs []string
	if st.KafkaError != "" {
		errs = append(errs, st.KafkaError)
	}
	if st.CatalogError != "" {
		errs = append(errs, st.CatalogError)
	}
	for _, t := range st.Tables {
		if t.ListError != "" {
			errs = append(errs, "table "+t.Name+": "+t.ListError)
		}
	}
	if st.DeadLetters.Error != "" {
		errs = append(errs, "dead letters: "+st.DeadLetters.Error)
	}
	if len(errs) == 0 {
		return nil
	}
	return errors.New(strings.Join(errs, "; "))
}

// WriteText writes the status as `pipeline status` shows it.
func (st *Status) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	switch {
	case st.Kafka != nil:
		o := st.Kafka
		fmt.Fprintf(w, "Kafka topic %s, sink group %s\n", o.Topic, o.Group)
		fmt.Fprintln(tw, "partition\tstart\tend\tcommitted\tlag\t")
		for _, p := range o.Partitions {
			committed := "-"
			if p.Committed >= 0 {
				committed = count(p.Committed)
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t\n", p.Partition, count(p.Start), count(p.End), committed, count(p.Lag))
		}
		fmt.Fprintf(tw, "total\t%s\t%s\t%s\t%s\t\n", count(sumOf(o, func(p PartitionOffsets) int64 { return p.Start })),
			count(o.Ends()), count(o.Committed()), count(o.Lag()))
		tw.Flush()
	case st.KafkaError != "":
		fmt.Fprintf(w, "Kafka: %s\n", st.KafkaError)
	}

	fmt.Fprintf(w, "\nCatalog database %s\n", st.Database)
	switch {
	case st.CatalogError != "":
		fmt.Fprintf(w, "  %s\n", st.CatalogError)
	case len(st.Tables) == 0:
		fmt.Fprintln(w, "  no tables yet: run `pipeline crawl` (a run crawls at its end)")
	default:
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  table\tformat\tcolumns\tpartitions\trows (last crawl)\tobjects\tsize\tlocation")
		for _, t := range st.Tables {
			rows := "-"
			if t.Rows >= 0 {
				rows = count(t.Rows)
				if t.RowsEstimated {
					rows = "~" + rows
				}
			}
			objects, size := "?", "?"
			if t.Objects != nil {
				objects, size = count(*t.Objects), Bytes(*t.Bytes)
			}
			fmt.Fprintf(tw, "  %s\t%s\t%d\t%d\t%s\t%s\t%s\t%s\n", t.Name, t.Format, t.Columns, len(t.Partitions), rows, objects, size, t.Location)
		}
		tw.Flush()
		for _, t := range st.Tables {
			if len(t.Partitions) > 0 {
				fmt.Fprintf(w, "  %s partitions: %s\n", t.Name, summarize(t.Partitions))
			}
			if t.ListError != "" {
				fmt.Fprintf(w, "  %s: %s\n", t.Name, t.ListError)
			}
		}
		if slices.ContainsFunc(st.Tables, func(t TableStatus) bool { return t.RowsEstimated }) {
			fmt.Fprintf(w, "  ~: estimated from the first %s of JSON-lines objects larger than that\n", Bytes(pipeline.SampleBytes))
		}
	}

	dl := st.DeadLetters
	fmt.Fprintf(w, "\nDead letters in %s: ", dl.Location)
	switch {
	case dl.Objects == nil:
		fmt.Fprintf(w, "not listed: %s\n", dl.Error)
	case *dl.Objects == 0 && dl.Error == "":
		fmt.Fprintln(w, "none")
	default:
		fmt.Fprintf(w, "%s records in %s objects (%s)", count(*dl.Records), count(*dl.Objects), Bytes(*dl.Bytes))
		if int64(dl.ObjectsRead) < *dl.Objects {
			fmt.Fprintf(w, ", reasons counted in the first %d objects", dl.ObjectsRead)
		}
		fmt.Fprintln(w)
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, r := range dl.Reasons {
			fmt.Fprintf(tw, "  %s\t%s\n", count(r.Count), r.Reason)
		}
		tw.Flush()
		if dl.Error != "" {
			fmt.Fprintf(w, "  %s\n", dl.Error)
		}
	}
	return nil
}

func sumOf(o *Offsets, f func(PartitionOffsets) int64) int64 {
	var n int64
	for _, p := range o.Partitions {
		n += f(p)
	}
	return n
}

// summarize lists a few partitions, or the first and last of many.
func summarize(parts []string) string {
	if len(parts) <= 5 {
		return strings.Join(parts, ", ")
	}
	return fmt.Sprintf("%s .. %s (%d)", parts[0], parts[len(parts)-1], len(parts))
}
