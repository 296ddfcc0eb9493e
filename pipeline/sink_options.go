package pipeline

import (
	"cmp"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"pipeline/catalog"
)

// SinkOptions configure a Sink. Zero fields take the defaults in
// DefaultSinkOptions.
type SinkOptions struct {
	Bucket string
	Prefix string // key prefix inside the bucket: "" or ending in "/"
	Topic  string
	Group  string
	// Format of the table objects: catalog.FormatJSON (JSON lines, which
	// any tool reads) or catalog.FormatParquet (compressed columns).
	Format string
	// Compression of Parquet objects' pages: one of ParquetCompressions.
	// JSON lines are stored as they are, so it is refused for them.
	Compression string
	// An object is cut when it holds MaxRecords records or MaxBytes bytes,
	// or when its first record has waited MaxAge (so an idle partition is
	// flushed too).
	MaxRecords int
	MaxBytes   int
	MaxAge     time.Duration
	// MaxColumns bounds a table's width: a record that would take the
	// table past it is a dead letter. A map-shaped record (one key per user
	// id) would otherwise add a column per key, each a catalog change, and
	// leave a table that Glue and Athena handle badly.
	MaxColumns int
	// MaxInFlight is how many objects may be uploading while the sink
	// reads on: storing overlaps with fetching and decoding.
	MaxInFlight int
	// MaxBuffered bounds the bytes the sink holds: records in open
	// batches plus batches uploading. Past half of it in open batches, the
	// biggest is cut early; past half of it uploading, cutting waits. So
	// memory stays flat however long the run and however far behind.
	MaxBuffered int
	// PutTimeout bounds one PUT attempt, so a hung S3 endpoint is retried
	// rather than waited on forever.
	PutTimeout time.Duration
	// An object of MultipartThreshold bytes or more is sent as a multipart
	// upload of MultipartPartSize parts (at least 5 MiB, S3's minimum).
	MultipartThreshold int
	MultipartPartSize  int
	// TimeField, if set, is the top-level field (matched in any case)
	// whose value is a record's time, and so its partition (the UTC date):
	// an ISO 8601 time (no zone is UTC), a date, or a number of seconds or
	// milliseconds since 1970 (below 100,000,000,000 it is seconds). A
	// record without it, or with another value, is a dead letter. Unset,
	// a record's time is its Kafka timestamp.
	TimeField string
	// Catalog, if set, holds the table's schema: the sink checks records
	// against its column types, adds new columns and widens types there
	// before storing records that need them (creating the table if there
	// is none), and registers each new date partition as soon as its
	// first object is stored, so new days are queryable without a crawl.
	// Unset, the sink keeps the schema in memory.
	Catalog  *catalog.Catalog
	Database string // of the table
	Logger   *slog.Logger
	// Observer, if set, is told what the sink stores and commits, for
	// metrics.
	Observer SinkObserver
	// InstanceID, if set, makes the sink a static member of its group: a
	// sink restarted with the same id takes its predecessor's partitions
	// back at once, without a rebalance. Two running sinks must not share
	// one; the one displaced stops with an error. Empty: a dynamic member.
	InstanceID string
	// RebalanceTimeout bounds how long a rebalance waits for the group's
	// members to rejoin (and a member's revoke to store what it holds): a
	// member that died holds the group for it, not for a minute. A member
	// whose revoke takes longer loses its partitions, and their next owner
	// replays what it had not committed, adopting what it stored.
	RebalanceTimeout time.Duration
	// StopTimeout bounds Run's stop once its context ends: storing and
	// committing what it holds, then leaving the group. What is not
	// committed by then is replayed by the partitions' next owner.
	StopTimeout time.Duration
}

// SinkObserver is told what a sink does that its Stats cannot say: how long
// storing and committing take, and which partitions it holds. Its methods
// are called from the sink's goroutines, concurrently, and must return
// quickly: they are called on the way to a commit.
type SinkObserver interface {
	// ObjectStored: an object of size bytes was stored; took is from its
	// first attempt to its success, retries included.
	ObjectStored(size int, took time.Duration)
	// Committed: the offsets after recs (the newest record of each
	// partition committed) were committed to Kafka, in took.
	Committed(recs []*kgo.Record, took time.Duration)
	// PartitionsAssigned and PartitionsRevoked (or lost): the partitions
	// of the topic this sink holds changed.
	PartitionsAssigned(ps []int32)
	PartitionsRevoked(ps []int32)
}

// DefaultSinkOptions holds the one documented default of each option.
var DefaultSinkOptions = SinkOptions{
	Topic:       Topic,
	Group:       "pipeline-sink",
	Format:      catalog.FormatJSON,
	Compression: "zstd",
	MaxRecords:  200_000,
	MaxColumns:  1000,
	MaxBytes:    64 << 20,
	MaxAge:      time.Second,
	MaxInFlight: 4,
	MaxBuffered: 128 << 20,
	PutTimeout:  30 * time.Second,

	RebalanceTimeout: 5 * time.Second,
	StopTimeout:      8 * time.Second, // within the 10 s a container runtime waits after SIGTERM

	MultipartThreshold: 100 << 20, // AWS: consider multipart above 100 MB
	MultipartPartSize:  8 << 20,
	Database:           catalog.Database,
}

// Validate says what is wrong with the options, as NewSink would, without
// building a sink.
func (o *SinkOptions) Validate() error {
	_, err := o.withDefaults()
	return err
}

// The smallest object size and memory bound a sink takes: below them it
// would cut an object for every record or two, and a table of tiny objects
// costs a request per object to every query.
const (
	minMaxBytes    = 1 << 10
	minMaxBuffered = 1 << 20
)

// withDefaults returns the options with every zero field taking its
// default, or what is wrong with them.
func (o *SinkOptions) withDefaults() (SinkOptions, error) {
	d := DefaultSinkOptions
	out := d
	if o != nil {
		// Zero means the default; a limit the sink cannot work within is
		// refused rather than quietly replaced.
		switch {
		case o.MaxRecords < 0:
			return out, fmt.Errorf("sink: --max-records %d: want at least 1", o.MaxRecords)
		case o.MaxColumns < 0:
			return out, fmt.Errorf("sink: --max-columns %d: want at least 1", o.MaxColumns)
		case o.MaxBytes < 0 || 0 < o.MaxBytes && o.MaxBytes < minMaxBytes:
			return out, fmt.Errorf("sink: --max-bytes %d: want at least %d", o.MaxBytes, minMaxBytes)
		case o.MaxAge < 0:
			return out, fmt.Errorf("sink: --max-age %s: want more than 0", o.MaxAge)
		case o.MaxBuffered < 0 || 0 < o.MaxBuffered && o.MaxBuffered < minMaxBuffered:
			return out, fmt.Errorf("sink: --max-buffer %d: want at least %d (1 MiB)", o.MaxBuffered, minMaxBuffered)
		case o.RebalanceTimeout < 0 || o.StopTimeout < 0:
			return out, errors.New("sink: the rebalance and stop timeouts must be more than 0")
		case !validInstanceID(o.InstanceID):
			return out, fmt.Errorf("sink: --instance-id %q: want at most 249 of a-z, A-Z, 0-9, '.', '_' and '-' (as Kafka takes)", o.InstanceID)
		}
		out = SinkOptions{
			Bucket:             cmp.Or(o.Bucket, d.Bucket),
			Prefix:             o.Prefix,
			Topic:              cmp.Or(o.Topic, d.Topic),
			Group:              cmp.Or(o.Group, d.Group),
			Format:             cmp.Or(o.Format, d.Format),
			Compression:        cmp.Or(o.Compression, d.Compression),
			MaxRecords:         positiveOr(o.MaxRecords, d.MaxRecords),
			MaxBytes:           positiveOr(o.MaxBytes, d.MaxBytes),
			MaxColumns:         positiveOr(o.MaxColumns, d.MaxColumns),
			MaxAge:             positiveOr(o.MaxAge, d.MaxAge),
			MaxInFlight:        positiveOr(o.MaxInFlight, d.MaxInFlight),
			MaxBuffered:        positiveOr(o.MaxBuffered, d.MaxBuffered),
			PutTimeout:         positiveOr(o.PutTimeout, d.PutTimeout),
			MultipartThreshold: positiveOr(o.MultipartThreshold, d.MultipartThreshold),
			MultipartPartSize:  d.MultipartPartSize,
			TimeField:          o.TimeField,
			Catalog:            o.Catalog,
			Database:           cmp.Or(o.Database, d.Database),
			Logger:             o.Logger,
			Observer:           o.Observer,
			InstanceID:         o.InstanceID,
			RebalanceTimeout:   positiveOr(o.RebalanceTimeout, d.RebalanceTimeout),
			StopTimeout:        positiveOr(o.StopTimeout, d.StopTimeout),
		}
		if o.MultipartPartSize > 0 {
			out.MultipartPartSize = max(o.MultipartPartSize, 5<<20) // S3's smallest part
		}
	}
	if out.Logger == nil {
		out.Logger = slog.New(slog.DiscardHandler)
	}
	if out.Bucket == "" {
		return out, errors.New("sink: no bucket given")
	}
	if out.Format != catalog.FormatJSON && out.Format != catalog.FormatParquet {
		return out, fmt.Errorf("sink: format %q: want %s or %s", out.Format, catalog.FormatJSON, catalog.FormatParquet)
	}
	if _, ok := parquetCodecs[out.Compression]; !ok {
		return out, fmt.Errorf("sink: compression %q: want one of %s", out.Compression, strings.Join(ParquetCompressions, ", "))
	}
	if o != nil && o.Compression != "" && out.Format != catalog.FormatParquet {
		return out, fmt.Errorf("sink: compression %s is for --format parquet; JSON lines are stored uncompressed", o.Compression)
	}
	prefix, err := CleanPrefix(out.Prefix)
	if err != nil {
		return out, err
	}
	out.Prefix = prefix
	return out, nil
}

// positiveOr is v if it is more than zero, else def: zero (or, where it is
// not refused, less) means the default.
func positiveOr[T int | time.Duration](v, def T) T {
	if v > 0 {
		return v
	}
	return def
}

// validInstanceID says whether Kafka takes id as a group instance id ("" is
// none).
func validInstanceID(id string) bool {
	return len(id) <= 249 && !strings.ContainsFunc(id, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-')
	})
}
