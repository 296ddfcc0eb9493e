package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"pipeline/catalog"
	"pipeline/internal/eventjson"
)

// Batching: the poll loop places each record in its partition's open batch
// and cuts a batch (hands it to an upload, see sealLocked) when it is full,
// when the next record is of another date, when it has waited MaxAge, when
// it holds the record before FlushAt's end, or when the open batches hold
// more than half of MaxBuffered. The methods on Sink here run under Sink.mu,
// in the poll loop or a rebalance callback, but for untilNextCut, which
// takes it, and decodeAll, which the poll loop runs before taking it.

// partBatch is what the sink holds of one partition: a contiguous range of
// offsets, all with the same event date, or the offsets of another sink's
// claim that this one reads again (see sink_claim.go).
type partBatch struct {
	dt     string
	day    int64  // dt as days since 1970
	first  int64  // offset of the first record: the batch's objects are named by it
	data   chunks // JSON lines
	nData  int
	pq     *parquetBatch // the events, if the format is Parquet
	bad    []byte        // dead-letter JSON lines
	nBad   int
	last   *kgo.Record // newest record held
	opened time.Time
	// claim is another sink's claim on the offsets this batch reads again:
	// the batch is cut at its last offset and at no other point. complete
	// says the batch holds all of it.
	claim    *claim
	complete bool
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

// recycle empties a batch whose objects are stored, to be filled again if
// keep, else to be let go: its Parquet memory goes back to the pool.
func (b *partBatch) recycle(keep bool) {
	b.data.Reset()
	if b.pq != nil {
		if keep {
			b.pq.reset()
		} else {
			b.pq.release() // for the pool, as the batch goes
			b.pq = nil
		}
	}
	*b = partBatch{data: b.data, bad: b.bad[:0], pq: b.pq}
}

// atEnd lists the partitions whose batch holds the record before their end.
func (s *Sink) atEnd() []int32 {
	var ps []int32
	for p, b := range s.parts {
		if end, ok := s.ends[p]; ok && !b.empty() && b.claim == nil && b.last.Offset+1 >= end {
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
		if !b.empty() && b.claim == nil {
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
	if err := s.followClaims(ctx, r); err != nil {
		return err
	}
	b = s.parts[r.Partition]
	h, herr := d.h, d.err
	day := h.TS.Unix() / 86400 // a ts is from 1970 on: no negative days
	if herr == nil && b.claim == nil {
		if b.nData > 0 && b.day != day {
			if err := s.sealLocked(ctx, []int32{r.Partition}); err != nil {
				return err
			}
			b = s.parts[r.Partition]
		}
	}
	if b.empty() {
		b.opened = time.Now()
		b.first = r.Offset
		b.claim = s.bindClaim(r.Partition, r.Offset)
	}
	before := b.bytes()
	if herr != nil {
		b.bad = appendDeadLetter(b.bad, r, herr)
		b.nBad++
	} else {
		if b.nData == 0 {
			b.day, b.dt = day, eventDate(h.TS)
		}
		if s.opts.Format == catalog.FormatParquet {
			if b.pq == nil {
				b.pq = newParquetBatch(s.pqSizes.hint(r.Partition))
			}
			b.pq.add(d.fields, len(r.Value))
		} else {
			writeLine(&b.data, r.Value)
		}
		b.nData++
	}
	b.last = r
	s.heldBytes += b.bytes() - before
	if b.claim != nil {
		if r.Offset >= b.claim.Last {
			b.complete = true
			return s.sealLocked(ctx, []int32{r.Partition})
		}
	} else if b.nData >= s.opts.MaxRecords || s.dataSize(b) >= s.opts.MaxBytes || b.nBad >= s.opts.MaxRecords {
		return s.sealLocked(ctx, []int32{r.Partition})
	}
	if s.heldBytes > s.opts.MaxBuffered/2 {
		if p, ok := s.biggest(); ok {
			return s.sealLocked(ctx, []int32{p})
		}
	}
	return nil
}

// biggest is the partition whose open batch holds the most bytes, of those
// that may be cut now (not re-reading a claim).
func (s *Sink) biggest() (int32, bool) {
	var big int32
	most := -1
	for p, b := range s.parts {
		if n := b.bytes(); n > most && !b.empty() && b.claim == nil {
			big, most = p, n
		}
	}
	return big, most >= 0
}

// decoded is what the sink's decoders found in a record.
type decoded struct {
	h      eventjson.Header
	err    error             // not an event: a dead letter
	fields []eventjson.Field // every member, if the format is Parquet
}

// decodeWorker is what one of decodeAll's goroutines keeps between polls:
// its Decoder, and the fields it decodes into (Parquet).
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
	return s.pqSizes.estimate(b.pq)
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
		if !b.empty() && b.claim == nil && now.Sub(b.opened) >= s.opts.MaxAge {
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

// dropLocked forgets what is held of partition p.
func (s *Sink) dropLocked(p int32) {
	if b := s.parts[p]; b != nil {
		s.heldBytes -= b.bytes()
		b.data.Reset()
	}
	delete(s.parts, p)
	delete(s.chains, p)
}

// parquetSizes is what the sink has learned of its Parquet objects' sizes:
// how to estimate a batch's encoded size before it is encoded (so that
// MaxBytes cuts Parquet objects too), and how much room a partition's next
// batch makes at once. It is safe for concurrent use.
type parquetSizes struct {
	// ratio is the float64 bits of JSON bytes in over Parquet bytes out of
	// the last Parquet object; 0 until there is one.
	ratio atomic.Uint64
	mu    sync.Mutex
	last  map[int32]pqSize // guarded by mu: what the last object of each partition held (partitions differ in size)
}

// estimate is how large the Parquet object of b would be.
func (z *parquetSizes) estimate(b *parquetBatch) int {
	ratio := 1.0
	if bits := z.ratio.Load(); bits != 0 {
		ratio = math.Float64frombits(bits)
	}
	return b.size(ratio)
}

// hint is what the last object of partition p held.
func (z *parquetSizes) hint(p int32) pqSize {
	z.mu.Lock()
	defer z.mu.Unlock()
	return z.last[p]
}

// stored learns from the Parquet object of partition p that b encoded to
// size bytes.
func (z *parquetSizes) stored(p int32, b *parquetBatch, size int) {
	z.ratio.Store(math.Float64bits(max(1, float64(b.in)/float64(size))))
	z.mu.Lock()
	defer z.mu.Unlock()
	if z.last == nil {
		z.last = map[int32]pqSize{}
	}
	z.last[p] = b.held()
}
