package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"pipeline/catalog"
	"pipeline/internal/eventjson"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/s3/transfermanager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"github.com/cenkalti/backoff/v5"
	"github.com/twmb/franz-go/pkg/kgo"
)

// SinkOptions configure a Sink. Zero fields take the defaults in
// DefaultSinkOptions.
type SinkOptions struct {
	Bucket string
	Prefix string // key prefix inside the bucket: "" or ending in "/"
	Topic  string
	Group  string
	// Format of the table objects: catalog.FormatJSON (JSON lines, the paper's
	// layout) or catalog.FormatParquet (compressed columns).
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
	// Catalog, if set, gets each new date partition registered as soon as
	// its first object is stored, so new days are queryable without a
	// crawl. The table itself comes from a crawl; until it exists, this
	// waits for it.
	Catalog  *catalog.Catalog
	Database string // of the table; default Database
	Logger   *slog.Logger
}

// DefaultSinkOptions holds the one documented default of each option.
var DefaultSinkOptions = SinkOptions{
	Topic:       Topic,
	Group:       "pipeline-sink",
	Format:      catalog.FormatJSON,
	Compression: "zstd",
	MaxRecords:  200_000,
	MaxBytes:    64 << 20,
	MaxAge:      time.Second,
	MaxInFlight: 4,
	MaxBuffered: 128 << 20,
	PutTimeout:  30 * time.Second,

	MultipartThreshold: 100 << 20, // AWS: consider multipart above 100 MB
	MultipartPartSize:  8 << 20,
}

// Validate says what is wrong with the options, as NewSink would, without
// building a sink.
func (o *SinkOptions) Validate() error {
	_, err := o.withDefaults()
	return err
}

// The smallest object size and memory bound a sink takes: below them it
// would cut an object for every record or two, the paper's weak spot.
const (
	minMaxBytes    = 1 << 10
	minMaxBuffered = 1 << 20
)

func (o *SinkOptions) withDefaults() (SinkOptions, error) {
	out := DefaultSinkOptions
	if o != nil {
		// Zero means the default; a limit the sink cannot work within is
		// refused rather than quietly replaced.
		switch {
		case o.MaxRecords < 0:
			return out, fmt.Errorf("sink: --max-records %d: want at least 1", o.MaxRecords)
		case o.MaxBytes < 0 || 0 < o.MaxBytes && o.MaxBytes < minMaxBytes:
			return out, fmt.Errorf("sink: --max-bytes %d: want at least %d", o.MaxBytes, minMaxBytes)
		case o.MaxAge < 0:
			return out, fmt.Errorf("sink: --max-age %s: want more than 0", o.MaxAge)
		case o.MaxBuffered < 0 || 0 < o.MaxBuffered && o.MaxBuffered < minMaxBuffered:
			return out, fmt.Errorf("sink: --max-buffer %d: want at least %d (1 MiB)", o.MaxBuffered, minMaxBuffered)
		}
		if o.Bucket != "" {
			out.Bucket = o.Bucket
		}
		out.Prefix = o.Prefix
		if o.Topic != "" {
			out.Topic = o.Topic
		}
		if o.Group != "" {
			out.Group = o.Group
		}
		if o.Format != "" {
			out.Format = o.Format
		}
		if o.Compression != "" {
			out.Compression = o.Compression
		}
		if o.MaxRecords > 0 {
			out.MaxRecords = o.MaxRecords
		}
		if o.MaxBytes > 0 {
			out.MaxBytes = o.MaxBytes
		}
		if o.MaxAge > 0 {
			out.MaxAge = o.MaxAge
		}
		if o.MaxInFlight > 0 {
			out.MaxInFlight = o.MaxInFlight
		}
		if o.MaxBuffered > 0 {
			out.MaxBuffered = o.MaxBuffered
		}
		if o.PutTimeout > 0 {
			out.PutTimeout = o.PutTimeout
		}
		if o.MultipartThreshold > 0 {
			out.MultipartThreshold = o.MultipartThreshold
		}
		if o.MultipartPartSize > 0 {
			out.MultipartPartSize = max(o.MultipartPartSize, 5<<20)
		}
		out.Logger = o.Logger
		out.Catalog = o.Catalog
		if o.Database != "" {
			out.Database = o.Database
		}
	}
	if out.Database == "" {
		out.Database = catalog.Database
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

// Sink reads a topic as a consumer group and stores the records in S3 as
// JSON-lines objects under Hive partitions by event date:
//
//	<prefix><topic>/dt=YYYY-MM-DD/<topic>+<partition>+<firstOffset>.json
//
// # Exactly once, as a query sees it
//
// Offsets are committed only after the objects holding the records are
// stored. Object names are deterministic in the first offset they hold, so a
// replay rewrites the same key. Because cuts depend on time, a replay after a
// crash may cut at other offsets; so before a partition's first object after
// (re)assignment, the sink deletes that partition's objects that start at or
// after the offset it resumes from: they were stored but never committed, and
// the replay rewrites their records. The topic's prefix therefore belongs to
// one sink group.
type Sink struct {
	cl   *kgo.Client
	s3   *s3.Client
	up   *transfermanager.Client // PUT, or multipart for large objects
	opts SinkOptions

	mu    sync.Mutex // guards parts, heldBytes and ends: the poll loop and the rebalance callbacks
	parts map[int32]*partBatch
	ends  map[int32]int64 // FlushAt's end offsets, if any

	pollMu     sync.Mutex
	pollCancel context.CancelFunc // ends the poll in progress
	heldBytes  int                // bytes of the open batches

	// Batches being stored in the background, per partition in offset
	// order. A partition's offsets are committed up to the newest batch
	// that is stored and has no unstored batch before it.
	upCtx     context.Context // uploads outlive Run's ctx: a stop drains them
	upSlots   chan struct{}   // one token per upload running
	flightMu  sync.Mutex
	flight    map[int32][]*sealed
	landed    *sync.Cond     // on flightMu: a batch was stored, or failed
	upErr     error          // the first upload no retry could fix
	uploading int            // bytes of the batches uploading
	lost      map[int32]bool // partitions lost while their uploads finish: no commits
	spare     []*partBatch

	commitMu sync.Mutex // serializes commits, so each partition's only go forward
	// uncommitted holds, per partition, the newest stored record whose
	// commit failed; the next commit retries it.
	uncommitted map[int32]*kgo.Record

	statsMu    sync.Mutex
	stats      SinkStats
	registered map[string]bool // date partitions known to be in the catalog
	// pqRatio is JSON bytes in over Parquet bytes out of the last Parquet
	// object: how a batch's size is estimated before it is encoded. pqLast
	// is what the last object of each partition held: how much room its
	// next batch makes (partitions differ in size).
	pqRatio float64
	pqLast  map[int32]pqSize
	// The poll loop's decoding buffers: decodeAll's results, and each
	// decoding goroutine's own.
	decBuf   []decoded
	decoders []*decodeWorker
	// tableTypes are the catalog's column types (lower-case name ->
	// type), read at most every tableTypesTTL: Parquet columns are
	// written at least that wide.
	tableTypes     map[string]string
	tableTypesRead time.Time
	committed      map[int32]int64
	progress       chan struct{} // closed and replaced on every commit
	tableChecked   bool          // checkTable passed: Run need not ask again
}

// SinkStats counts what a sink has stored and committed.
type SinkStats struct {
	Records     int64 // records stored in table objects
	DeadLetters int64 // records stored under the dead-letter prefix
	Objects     int64 // objects written (table and dead-letter)
	Bytes       int64 // bytes written
	Cleaned     int64 // uncommitted leftovers deleted after a restart
}

// partBatch is what the sink holds of one partition: a contiguous range of
// offsets, all with the same event date.
type partBatch struct {
	dt        string
	day       int64  // dt as days since 1970
	data      chunks // JSON lines
	nData     int
	firstData int64
	pq        *parquetBatch // the events, if the format is Parquet
	bad       []byte        // dead-letter JSON lines
	nBad      int
	firstBad  int64
	last      *kgo.Record // newest record held: what to commit after storing
	opened    time.Time
	cleaned   bool // leftovers of this assignment deleted
}

func (b *partBatch) empty() bool { return b.last == nil }

// bytes is what the batch holds in memory, for MaxBuffered.
func (b *partBatch) bytes() int {
	n := b.data.Len() + len(b.bad)
	if b.pq != nil {
		n += b.pq.memory()
	}
	return n
}

// sealed is a batch handed to an upload.
type sealed struct {
	p      int32
	b      *partBatch
	size   int // b.bytes() when sealed
	stored bool
}

// SinkClientOpts are the kgo options a sink consumer needs, added to the
// caller's connection options by NewSink.
func (s *Sink) clientOpts() []kgo.Opt {
	return []kgo.Opt{
		kgo.ConsumerGroup(s.opts.Group),
		kgo.ConsumeTopics(s.opts.Topic),
		kgo.DisableAutoCommit(),
		kgo.BlockRebalanceOnPoll(),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.SessionTimeout(6 * time.Second),
		kgo.FetchMaxBytes(32 << 20),
		kgo.OnPartitionsRevoked(s.onRevoked),
		kgo.OnPartitionsLost(s.onLost),
	}
}

// NewSink builds a sink. connOpts are the connection options of the Kafka
// cluster (seeds, TLS, SASL); the sink adds its consumer-group options.
func NewSink(connOpts []kgo.Opt, s3c *s3.Client, opts *SinkOptions) (*Sink, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	s := &Sink{s3: s3c, opts: o, parts: map[int32]*partBatch{}, uncommitted: map[int32]*kgo.Record{}, committed: map[int32]int64{},
		registered: map[string]bool{}, pqRatio: 1, pqLast: map[int32]pqSize{},
		flight: map[int32][]*sealed{}, lost: map[int32]bool{}, upSlots: make(chan struct{}, o.MaxInFlight),
		progress: make(chan struct{})}
	s.landed = sync.NewCond(&s.flightMu)
	s.up = transfermanager.New(s3c, func(to *transfermanager.Options) {
		to.MultipartUploadThreshold = int64(o.MultipartThreshold)
		to.PartSizeBytes = int64(o.MultipartPartSize)
	})
	cl, err := kgo.NewClient(append(append([]kgo.Opt{}, connOpts...), s.clientOpts()...)...)
	if err != nil {
		return nil, fmt.Errorf("sink: kafka client: %w", err)
	}
	s.cl = cl
	return s, nil
}

// Run consumes until ctx ends, then stores what it holds, commits, leaves the
// group and returns nil. It returns early only if storing fails in a way
// retries cannot fix; what was not stored is then not committed.
//
// Storing is pipelined: a full or due batch is sealed and uploaded in the
// background (up to MaxInFlight at once) while the next records are read,
// and its offsets are committed once it and every earlier batch of its
// partition are stored.
func (s *Sink) Run(ctx context.Context) error {
	defer s.cl.Close()
	if err := s.checkTable(ctx); err != nil {
		return err
	}
	upCtx, stopUploads := context.WithCancel(context.WithoutCancel(ctx))
	s.upCtx = upCtx
	defer s.drainUploads()
	defer stopUploads()
	for {
		pollCtx, cancel := context.WithTimeout(ctx, s.untilNextCut())
		s.pollMu.Lock()
		s.pollCancel = cancel
		s.pollMu.Unlock()
		fetches := s.cl.PollRecords(pollCtx, 50_000)
		cancel()
		if ctx.Err() != nil {
			break
		}
		if fetches.IsClientClosed() {
			return errors.New("sink: kafka client closed")
		}
		fetches.EachError(func(t string, p int32, ferr error) {
			if !errors.Is(ferr, context.DeadlineExceeded) && !errors.Is(ferr, context.Canceled) {
				s.opts.Logger.Warn("fetch error", "topic", t, "partition", p, "err", ferr)
			}
		})
		err := s.uploadErr()
		recs := fetches.Records()
		decs := s.decodeAll(recs)
		s.mu.Lock()
		for i, r := range recs {
			if err != nil {
				break
			}
			err = s.add(ctx, r, &decs[i])
		}
		if err == nil {
			err = s.sealLocked(ctx, s.due(time.Now()))
		}
		if err == nil && s.ends != nil {
			err = s.sealLocked(ctx, s.atEnd())
		}
		s.mu.Unlock()
		if err == nil {
			s.tryRetryCommit(ctx)
		}
		s.cl.AllowRebalance()
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			return err
		}
	}
	// Shutting down: store and commit what we hold, with a fresh deadline.
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	s.mu.Lock()
	err := s.sealLocked(fctx, s.held())
	s.mu.Unlock()
	if err == nil {
		err = s.waitStored(fctx, nil)
	}
	if err == nil {
		s.retryCommit(fctx)
	}
	// The last poll still holds the rebalance gate; leaving needs it.
	s.cl.AllowRebalance()
	if err != nil {
		return fmt.Errorf("sink: final flush: %w", err)
	}
	s.cl.LeaveGroupContext(fctx)
	return nil
}

// FlushAt tells the sink where a bounded stream ends (the offset after each
// partition's last record): a batch that holds its partition's last record
// is stored at once instead of when it is due by age, so a bounded run does
// not wait MaxAge for its tail.
func (s *Sink) FlushAt(ends map[int32]int64) {
	s.mu.Lock()
	s.ends = maps.Clone(ends)
	s.mu.Unlock()
	s.pollMu.Lock()
	if s.pollCancel != nil {
		s.pollCancel() // the batches may already hold the ends
	}
	s.pollMu.Unlock()
}

// atEnd lists the partitions whose batch holds the record before their end.
func (s *Sink) atEnd() []int32 {
	var ps []int32
	for p, b := range s.parts {
		if end, ok := s.ends[p]; ok && !b.empty() && b.last.Offset+1 >= end {
			ps = append(ps, p)
		}
	}
	return ps
}

// untilNextCut is how long the poll may block before a batch is due by age.
func (s *Sink) untilNextCut() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	wait := s.opts.MaxAge
	now := time.Now()
	for _, b := range s.parts {
		if !b.empty() {
			if d := b.opened.Add(s.opts.MaxAge).Sub(now); d < wait {
				wait = d
			}
		}
	}
	return max(wait, time.Millisecond)
}

// add places one record in its partition's batch, cutting the batch first if
// the record belongs to another date or the batch is full.
func (s *Sink) add(ctx context.Context, r *kgo.Record, d *decoded) error {
	b := s.parts[r.Partition]
	if b == nil {
		b = &partBatch{}
		s.parts[r.Partition] = b
	}
	if !b.cleaned {
		err := retry(ctx, func() error {
			err := s.cleanLeftovers(ctx, r)
			if err != nil && ctx.Err() == nil {
				s.opts.Logger.Warn("deleting uncommitted leftovers failed; retrying", "partition", r.Partition, "err", err)
			}
			return err
		})
		if err != nil {
			return err
		}
		b.cleaned = true
	}
	h, herr := d.h, d.err
	day := h.TS.Unix() / 86400 // a ts is from 1970 on: no negative days
	if herr == nil {
		if b.nData > 0 && b.day != day {
			if err := s.sealLocked(ctx, []int32{r.Partition}); err != nil {
				return err
			}
			b = s.parts[r.Partition]
		}
	}
	if b.empty() {
		b.opened = time.Now()
	}
	before := b.bytes()
	if herr != nil {
		if b.nBad == 0 {
			b.firstBad = r.Offset
		}
		b.bad = appendDeadLetter(b.bad, r, herr)
		b.nBad++
	} else {
		if b.nData == 0 {
			b.firstData = r.Offset
			b.day, b.dt = day, h.TS.Format("2006-01-02")
		}
		if s.opts.Format == catalog.FormatParquet {
			if b.pq == nil {
				s.statsMu.Lock()
				hint := s.pqLast[r.Partition]
				s.statsMu.Unlock()
				b.pq = newParquetBatch(hint)
			}
			b.pq.add(d.fields, len(r.Value))
		} else {
			writeLine(&b.data, r.Value)
		}
		b.nData++
	}
	b.last = r
	s.heldBytes += b.bytes() - before
	if b.nData >= s.opts.MaxRecords || s.dataSize(b) >= s.opts.MaxBytes || b.nBad >= s.opts.MaxRecords {
		return s.sealLocked(ctx, []int32{r.Partition})
	}
	if s.heldBytes > s.opts.MaxBuffered/2 {
		return s.sealLocked(ctx, []int32{s.biggest()})
	}
	return nil
}

// biggest is the partition whose open batch holds the most bytes.
func (s *Sink) biggest() int32 {
	var big int32
	most := -1
	for p, b := range s.parts {
		if n := b.bytes(); n > most {
			big, most = p, n
		}
	}
	return big
}

// decoded is what the sink's decoders found in a record.
type decoded struct {
	h      eventjson.Header
	err    error             // not an event: a dead letter
	fields []eventjson.Field // every member, if the format is Parquet
}

// decodeWorker is what one of decodeAll's goroutines keeps between polls:
// its eventjson.Decoder, and the fields it decodes into (Parquet).
type decodeWorker struct {
	dec  eventjson.Decoder
	flat []eventjson.Field
}

// minDecodeShare is the fewest records worth handing to another decoder.
const minDecodeShare = 512

// decodeAll decodes the records of a poll, on as many goroutines as there are
// CPUs: checking every event is most of the sink's own work, and the records
// of one poll are independent. The results are valid until the next call.
func (s *Sink) decodeAll(recs []*kgo.Record) []decoded {
	out := slices.Grow(s.decBuf[:0], len(recs))[:len(recs)]
	workers := max(1, min(runtime.GOMAXPROCS(0), len(recs)/minDecodeShare))
	for len(s.decoders) < workers {
		s.decoders = append(s.decoders, new(decodeWorker))
	}
	parquet := s.opts.Format == catalog.FormatParquet
	chunk := (len(recs) + workers - 1) / workers
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			dw := s.decoders[w]
			flat, dec := dw.flat[:0], &dw.dec
			for i := w * chunk; i < min((w+1)*chunk, len(recs)); i++ {
				d := &out[i]
				if parquet {
					start := len(flat)
					d.h, flat, d.err = dec.Fields(recs[i].Value, flat)
					d.fields = flat[start:len(flat):len(flat)]
				} else {
					d.h, d.err = dec.Header(recs[i].Value)
				}
			}
			dw.flat = flat
		})
	}
	wg.Wait()
	s.decBuf = out
	return out
}

// dataSize is the size of the table object a batch makes, or for Parquet an
// estimate of it, so that MaxBytes is the size of the objects in either format.
func (s *Sink) dataSize(b *partBatch) int {
	if b.pq == nil {
		return b.data.Len()
	}
	s.statsMu.Lock()
	ratio := s.pqRatio
	s.statsMu.Unlock()
	return b.pq.size(ratio)
}

// writeLine appends one JSON value as one line, compacting it if it spans
// several (JSON lines readers need one object a line).
func writeLine(dst *chunks, v []byte) {
	if bytes.IndexByte(v, '\n') >= 0 || bytes.IndexByte(v, '\r') >= 0 {
		var c bytes.Buffer
		if json.Compact(&c, v) == nil {
			v = c.Bytes()
		}
	}
	dst.Write(v)
	dst.WriteByte('\n')
}

// deadLetter is one line of a dead-letter object.
type deadLetter struct {
	Topic     string    `json:"topic"`
	Partition int32     `json:"partition"`
	Offset    int64     `json:"offset"`
	Timestamp time.Time `json:"timestamp"`
	Reason    string    `json:"reason"`
	Key       []byte    `json:"key_base64"`
	Value     []byte    `json:"value_base64"`
	ValueText string    `json:"value_text,omitempty"`
}

func appendDeadLetter(dst []byte, r *kgo.Record, reason error) []byte {
	dl := deadLetter{Topic: r.Topic, Partition: r.Partition, Offset: r.Offset, Timestamp: r.Timestamp.UTC(),
		Reason: reason.Error(), Key: r.Key, Value: r.Value}
	if len(r.Value) <= 4096 && json.Valid(r.Value) {
		dl.ValueText = string(r.Value)
	}
	b, _ := json.Marshal(dl) // cannot fail: plain types only
	dst = append(dst, b...)
	return append(dst, '\n')
}

// due lists the partitions whose batch has waited MaxAge.
func (s *Sink) due(now time.Time) []int32 {
	var ps []int32
	for p, b := range s.parts {
		if !b.empty() && now.Sub(b.opened) >= s.opts.MaxAge {
			ps = append(ps, p)
		}
	}
	return ps
}

// held lists every partition with records held.
func (s *Sink) held() []int32 {
	var ps []int32
	for p, b := range s.parts {
		if !b.empty() {
			ps = append(ps, p)
		}
	}
	return ps
}

// sealLocked hands the batches of the given partitions to uploads, waiting
// while MaxInFlight are running or half of MaxBuffered is uploading, and
// gives each partition a new batch.
func (s *Sink) sealLocked(ctx context.Context, ps []int32) error {
	for _, p := range ps {
		b := s.parts[p]
		if b == nil || b.empty() {
			continue
		}
		select {
		case s.upSlots <- struct{}{}:
		case <-ctx.Done():
			return ctx.Err()
		}
		sb := &sealed{p: p, b: b, size: b.bytes()}
		if err := s.waitUploading(ctx, sb.size); err != nil {
			<-s.upSlots
			return err
		}
		s.heldBytes -= sb.size
		s.flight[p] = append(s.flight[p], sb)
		nb := &partBatch{}
		if n := len(s.spare); n > 0 {
			nb, s.spare = s.spare[n-1], s.spare[:n-1]
		}
		s.flightMu.Unlock()
		nb.cleaned = b.cleaned
		s.parts[p] = nb
		go s.upload(sb)
	}
	return nil
}

// waitUploading waits until size more bytes may upload within half of
// MaxBuffered (or nothing uploads), then counts them. It returns with
// flightMu held if it returns nil.
func (s *Sink) waitUploading(ctx context.Context, size int) error {
	stop := context.AfterFunc(ctx, func() {
		s.flightMu.Lock()
		s.landed.Broadcast()
		s.flightMu.Unlock()
	})
	defer stop()
	s.flightMu.Lock()
	for s.uploading > 0 && s.uploading+size > s.opts.MaxBuffered/2 {
		err := ctx.Err()
		if err == nil {
			err = s.upErr
		}
		if err != nil {
			s.flightMu.Unlock()
			return err
		}
		s.landed.Wait()
	}
	s.uploading += size
	return nil
}

// upload stores a sealed batch, then commits what its partition has stored.
func (s *Sink) upload(sb *sealed) {
	err := s.store(s.upCtx, sb.p, sb.b)
	<-s.upSlots
	s.flightMu.Lock()
	s.uploading -= sb.size
	s.landed.Broadcast()
	if err != nil {
		// Retries could not store it: the sink stops, and its
		// partition commits nothing past it.
		if s.upErr == nil {
			s.upErr = err
		}
		s.landed.Broadcast()
		s.flightMu.Unlock()
		return
	}
	sb.stored = true
	s.flightMu.Unlock()
	s.commitStored(sb.p)
}

// commitStored commits partition p up to its newest stored batch that has no
// unstored batch before it, then lets those batches go.
func (s *Sink) commitStored(p int32) {
	s.commitMu.Lock()
	defer s.commitMu.Unlock()
	s.flightMu.Lock()
	q := s.flight[p]
	n := 0
	for n < len(q) && q[n].stored {
		n++
	}
	if n == 0 {
		s.flightMu.Unlock()
		return // an earlier batch is still uploading; it commits these too
	}
	last, lost := q[n-1].b.last, s.lost[p]
	s.flightMu.Unlock()
	if !lost {
		s.commitLocked(s.upCtx, []*kgo.Record{last})
	}
	s.flightMu.Lock()
	defer s.flightMu.Unlock()
	// Only this function removes, under commitMu: the first n are the same.
	done := s.flight[p][:n]
	if s.flight[p] = s.flight[p][n:]; len(s.flight[p]) == 0 {
		delete(s.flight, p)
	}
	for _, sb := range done {
		b := sb.b
		b.data.Reset()
		// Keep a few buffers for the next batches, but not more
		// memory than the next batches are likely to need.
		keep := len(s.spare) < cap(s.upSlots)+2 && sb.size <= s.opts.MaxBuffered/16
		if b.pq != nil {
			if keep {
				b.pq.reset()
			} else {
				b.pq.release() // for the pool, as the batch goes
				b.pq = nil
			}
		}
		*b = partBatch{data: b.data, bad: b.bad[:0], pq: b.pq}
		if keep {
			s.spare = append(s.spare, b)
		}
	}
	s.landed.Broadcast()
}

// waitStored waits until the batches of the given partitions (nil: all) are
// stored and committed, an upload has failed for good, or ctx ends.
func (s *Sink) waitStored(ctx context.Context, ps []int32) error {
	stop := context.AfterFunc(ctx, func() {
		s.flightMu.Lock()
		s.landed.Broadcast()
		s.flightMu.Unlock()
	})
	defer stop()
	s.flightMu.Lock()
	defer s.flightMu.Unlock()
	for {
		if s.upErr != nil {
			return s.upErr
		}
		pending := len(s.flight) > 0
		if ps != nil {
			pending = slices.ContainsFunc(ps, func(p int32) bool { return len(s.flight[p]) > 0 })
		}
		if !pending {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		s.landed.Wait()
	}
}

// uploadErr returns the error of an upload that no retry could fix.
func (s *Sink) uploadErr() error {
	s.flightMu.Lock()
	defer s.flightMu.Unlock()
	return s.upErr
}

// drainUploads waits until no upload is running.
func (s *Sink) drainUploads() {
	for range cap(s.upSlots) {
		s.upSlots <- struct{}{}
	}
	for range cap(s.upSlots) {
		<-s.upSlots
	}
}

// retryCommit retries commits that failed, if any.
func (s *Sink) retryCommit(ctx context.Context) {
	s.commitMu.Lock()
	defer s.commitMu.Unlock()
	s.commitLocked(ctx, nil)
}

// tryRetryCommit is retryCommit for the poll loop, which does not wait for
// an upload that is committing: that commit takes the failed offsets too
// (they are added under commitMu), and the wait stalled polling for tens of
// milliseconds at a time when the sink was busy.
func (s *Sink) tryRetryCommit(ctx context.Context) {
	if !s.commitMu.TryLock() {
		return
	}
	defer s.commitMu.Unlock()
	s.commitLocked(ctx, nil)
}

// commitLocked (under commitMu) commits the offsets after recs, with those
// of earlier commits that failed. If this one fails too, the next call retries it;
// stored but not committed, the records are replayed by the next owner of
// their partitions, which deletes and rewrites the objects, so nothing
// doubles.
func (s *Sink) commitLocked(ctx context.Context, recs []*kgo.Record) {
	for _, r := range recs {
		s.uncommitted[r.Partition] = r // newer than any failed one
	}
	if len(s.uncommitted) == 0 {
		return
	}
	all := make([]*kgo.Record, 0, len(s.uncommitted))
	for _, r := range s.uncommitted {
		all = append(all, r)
	}
	if err := s.cl.CommitRecords(ctx, all...); err != nil {
		s.opts.Logger.Warn("commit failed; will retry", "err", err)
		return
	}
	clear(s.uncommitted)
	s.noteCommitted(all)
}

// store writes one partition's batch: the table object and the dead letters.
func (s *Sink) store(ctx context.Context, p int32, b *partBatch) error {
	if b.nData > 0 {
		key := DataKey(s.opts.Prefix, s.opts.Topic, b.dt, s.opts.Format, p, b.firstData)
		body, size, contentType := b.data.Reader(), b.data.Len(), "application/x-ndjson"
		if s.opts.Format == catalog.FormatParquet {
			pq, err := b.pq.encode(s.catalogTypes(ctx), parquetCodecs[s.opts.Compression])
			if err != nil {
				return fmt.Errorf("sink: partition %d at offset %d: %w", p, b.firstData, err)
			}
			body, size, contentType = bytes.NewReader(pq), len(pq), "application/vnd.apache.parquet"
			s.statsMu.Lock()
			s.pqRatio = max(1, float64(b.pq.in)/float64(len(pq)))
			s.pqLast[p] = b.pq.held()
			s.statsMu.Unlock()
		}
		if err := s.put(ctx, key, body, size, contentType); err != nil {
			return err
		}
		s.register(ctx, b.dt)
	}
	if b.nBad > 0 {
		key := DeadLetterKey(s.opts.Prefix, s.opts.Topic, p, b.firstBad)
		if err := s.put(ctx, key, bytes.NewReader(b.bad), len(b.bad), "application/x-ndjson"); err != nil {
			return err
		}
	}
	s.statsMu.Lock()
	s.stats.Records += int64(b.nData)
	s.stats.DeadLetters += int64(b.nBad)
	s.statsMu.Unlock()
	return nil
}

// checkTable refuses to store objects that the catalog's table of the topic
// would not read: a table reads one location, in one format (as Glue's).
// A catalog that cannot be read is not a reason to stop: registering
// partitions logs that later.
func (s *Sink) checkTable(ctx context.Context) error {
	if s.opts.Catalog == nil || s.tableChecked {
		return nil
	}
	t, err := s.opts.Catalog.GetTable(ctx, s.opts.Database, s.opts.Topic)
	if err != nil {
		return nil
	}
	loc := s.tableLocation()
	switch {
	case !sameLocation(t.Location, loc):
		return fmt.Errorf("sink: table %s.%s reads %s, not %s where this sink would store its objects: use the table's --bucket and --prefix, or another --topic",
			t.Database, t.Name, t.Location, loc)
	case t.Format != "" && t.Format != s.opts.Format:
		return fmt.Errorf("sink: table %s.%s holds %s objects, and a table is read in one format: %s objects would be stored but never queried; use --format %s, or another --topic",
			t.Database, t.Name, t.Format, s.opts.Format, t.Format)
	}
	s.tableChecked = true
	return nil
}

// tableLocation is the folder of the sink's table: s3://bucket/prefix+topic/.
func (s *Sink) tableLocation() string {
	return location(s.opts.Bucket, tableFolder(s.opts.Prefix, s.opts.Topic))
}

// tableTypesTTL is how long the sink trusts the column types it read from
// the catalog: a crawl that widens a column is seen within it.
const tableTypesTTL = 30 * time.Second

// catalogTypes returns the column types of the sink's table in the catalog,
// or nil if there is no catalog or no table yet.
func (s *Sink) catalogTypes(ctx context.Context) map[string]string {
	if s.opts.Catalog == nil {
		return nil
	}
	s.statsMu.Lock()
	types, read := s.tableTypes, s.tableTypesRead
	s.statsMu.Unlock()
	if time.Since(read) < tableTypesTTL {
		return types
	}
	t, err := s.opts.Catalog.GetTable(ctx, s.opts.Database, s.opts.Topic)
	switch {
	case errors.Is(err, catalog.ErrNotFound):
		types = nil // no table yet: the first crawl makes it from the files
	case err != nil:
		s.opts.Logger.Warn("reading the table's column types failed; Parquet types follow the data", "err", err)
		return types
	default:
		types = make(map[string]string, len(t.Columns))
		for _, c := range t.Columns {
			types[strings.ToLower(c.Name)] = c.Type
		}
	}
	s.statsMu.Lock()
	s.tableTypes, s.tableTypesRead = types, time.Now()
	s.statsMu.Unlock()
	return types
}

// register adds the date partition to the catalog table once it holds an
// object. A failure only delays visibility until the next crawl, so it is
// logged, not returned.
func (s *Sink) register(ctx context.Context, dt string) {
	if s.opts.Catalog == nil {
		return
	}
	s.statsMu.Lock()
	done := s.registered[dt]
	s.statsMu.Unlock()
	if done {
		return
	}
	loc := location(s.opts.Bucket, dateFolder(s.opts.Prefix, s.opts.Topic, dt))
	err := s.opts.Catalog.AddPartitions(ctx, s.opts.Database, s.opts.Topic, []catalog.Partition{{Values: []string{dt}, Location: loc}})
	switch {
	case errors.Is(err, catalog.ErrNotFound):
		return // no table yet: the first crawl creates it with this partition
	case err != nil:
		s.opts.Logger.Warn("register partition failed; the next crawl registers it", "dt", dt, "err", err)
		return
	}
	s.statsMu.Lock()
	s.registered[dt] = true
	s.statsMu.Unlock()
}

// put stores one object of size bytes, retrying with exponential backoff (on
// top of the SDK's own retries) until it succeeds or ctx ends. Below the
// multipart threshold it is one PutObject of body as it is (the transfer
// manager would first copy it into a buffer of a part's size).
func (s *Sink) put(ctx context.Context, key string, body io.ReadSeeker, size int, contentType string) error {
	err := retry(ctx, func() error {
		if _, err := body.Seek(0, io.SeekStart); err != nil {
			return backoff.Permanent(err)
		}
		actx, cancel := context.WithTimeout(ctx, s.opts.PutTimeout)
		defer cancel()
		var err error
		if size < s.opts.MultipartThreshold {
			_, err = s.s3.PutObject(actx, &s3.PutObjectInput{
				Bucket:        aws.String(s.opts.Bucket),
				Key:           aws.String(key),
				Body:          body,
				ContentLength: aws.Int64(int64(size)),
				ContentType:   aws.String(contentType),
			})
		} else {
			_, err = s.up.UploadObject(actx, &transfermanager.UploadObjectInput{
				Bucket:      aws.String(s.opts.Bucket),
				Key:         aws.String(key),
				Body:        body,
				ContentType: aws.String(contentType),
			})
		}
		if err != nil && ctx.Err() == nil {
			s.opts.Logger.Warn("put object failed; retrying", "key", key, "err", err)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("store s3://%s/%s: %w", s.opts.Bucket, key, err)
	}
	s.statsMu.Lock()
	s.stats.Objects++
	s.stats.Bytes += int64(size)
	s.statsMu.Unlock()
	return nil
}

// retry calls fn with exponential backoff (on top of the SDK's own retries)
// until it succeeds or ctx ends.
func retry(ctx context.Context, fn func() error) error {
	_, err := backoff.Retry(ctx, func() (struct{}, error) {
		err := fn()
		if err != nil && needsUser(err) {
			return struct{}{}, backoff.Permanent(fmt.Errorf("%w: check that the bucket exists (or pass --bucket) and that the credentials may use it", err))
		}
		if err != nil && ctx.Err() != nil {
			return struct{}{}, backoff.Permanent(err)
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

// needsUser tells the S3 errors that no retry fixes: a missing bucket, or
// credentials that are wrong or lack permission.
func needsUser(err error) bool {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return false
	}
	switch ae.ErrorCode() {
	case "NoSuchBucket", "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidBucketName", "AllAccessDisabled":
		return true
	}
	return false
}

// cleanLeftovers deletes the objects of r's partition that start at or after
// the offset this assignment resumes from: stored, never committed, and about
// to be rewritten by the replay that starts with r.
func (s *Sink) cleanLeftovers(ctx context.Context, r *kgo.Record) error {
	from := r.Offset
	if c, ok := s.cl.CommittedOffsets()[r.Topic][r.Partition]; ok && c.Offset >= 0 && c.Offset < from {
		from = c.Offset
	}
	var stale []s3types.ObjectIdentifier
	for _, prefix := range []string{
		tableFolder(s.opts.Prefix, s.opts.Topic),
		deadLetterFolder(s.opts.Prefix, s.opts.Topic),
	} {
		pg := s3.NewListObjectsV2Paginator(s.s3, &s3.ListObjectsV2Input{
			Bucket: aws.String(s.opts.Bucket), Prefix: aws.String(prefix)})
		for pg.HasMorePages() {
			page, err := pg.NextPage(ctx)
			if err != nil {
				return fmt.Errorf("list s3://%s/%s: %w", s.opts.Bucket, prefix, err)
			}
			for _, o := range page.Contents {
				if p, off, ok := parseObjectName(aws.ToString(o.Key), s.opts.Topic); ok && p == r.Partition && off >= from {
					stale = append(stale, s3types.ObjectIdentifier{Key: o.Key})
				}
			}
		}
	}
	for _, o := range stale {
		if _, err := s.s3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(s.opts.Bucket), Key: o.Key}); err != nil {
			return fmt.Errorf("delete uncommitted leftover s3://%s/%s: %w", s.opts.Bucket, aws.ToString(o.Key), err)
		}
		s.opts.Logger.Info("deleted uncommitted leftover", "key", aws.ToString(o.Key))
	}
	s.statsMu.Lock()
	s.stats.Cleaned += int64(len(stale))
	s.statsMu.Unlock()
	return nil
}

// dropLocked forgets what is held of partition p.
func (s *Sink) dropLocked(p int32) {
	if b := s.parts[p]; b != nil {
		s.heldBytes -= b.bytes()
		b.data.Reset()
	}
	delete(s.parts, p)
}

// onRevoked stores and commits what is held for partitions moving to another
// member, so the next owner resumes exactly where this one stopped.
func (s *Sink) onRevoked(ctx context.Context, _ *kgo.Client, revoked map[string][]int32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ps := revoked[s.opts.Topic]
	err := s.sealLocked(ctx, ps)
	if err == nil {
		err = s.waitStored(ctx, ps)
	}
	if err != nil {
		s.opts.Logger.Warn("flush on revoke failed; the next owner replays", "err", err)
	} else {
		s.retryCommit(ctx) // a commit that failed before
	}
	s.commitMu.Lock()
	for _, p := range ps {
		s.dropLocked(p)
		delete(s.uncommitted, p) // the next owner replays it
	}
	s.commitMu.Unlock()
}

// onLost drops what is held: another member owns the partitions now and
// replays from the last commit. Uploads of theirs still running finish, but
// commit nothing.
func (s *Sink) onLost(ctx context.Context, _ *kgo.Client, lost map[string][]int32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ps := lost[s.opts.Topic]
	s.flightMu.Lock()
	for _, p := range ps {
		s.lost[p] = true
	}
	s.flightMu.Unlock()
	if err := s.waitStored(ctx, ps); err != nil {
		s.opts.Logger.Warn("uploads of lost partitions did not finish", "err", err)
	}
	s.flightMu.Lock()
	for _, p := range ps {
		delete(s.lost, p)
	}
	s.flightMu.Unlock()
	s.commitMu.Lock()
	for _, p := range ps {
		s.dropLocked(p)
		delete(s.uncommitted, p)
	}
	s.commitMu.Unlock()
}

func (s *Sink) noteCommitted(recs []*kgo.Record) {
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	for _, r := range recs {
		s.committed[r.Partition] = r.Offset + 1
	}
	close(s.progress)
	s.progress = make(chan struct{})
}

// Stats returns what the sink has stored so far.
func (s *Sink) Stats() SinkStats {
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	return s.stats
}

// Committed returns, per partition, the offset after the last record this
// sink has stored and committed.
func (s *Sink) Committed() map[int32]int64 {
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	return maps.Clone(s.committed)
}

// WaitCommitted blocks until this sink has committed at least the given
// offset of every given partition, or ctx ends.
func (s *Sink) WaitCommitted(ctx context.Context, ends map[int32]int64) error {
	for {
		s.statsMu.Lock()
		ch := s.progress
		done := true
		for p, end := range ends {
			if s.committed[p] < end {
				done = false
				break
			}
		}
		s.statsMu.Unlock()
		if done {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ch:
		}
	}
}
