package pipeline

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// ProducerClientOpts are the kgo options the producer relies on: keyed
// partitioning (per-symbol order), idempotent writes (kgo's default), lz4
// batches, and a bounded buffer so that a slow broker blocks Emit
// (backpressure) instead of growing memory or dropping records. Connection
// options (seeds, TLS, SASL) are the caller's.
func ProducerClientOpts() []kgo.Opt {
	return []kgo.Opt{
		kgo.ProducerBatchCompression(kgo.Lz4Compression(), kgo.NoCompression()),
		kgo.ProducerLinger(5 * time.Millisecond),
		kgo.ProducerBatchMaxBytes(1 << 20),
		kgo.MaxBufferedRecords(100_000),
		kgo.RecordPartitioner(kgo.StickyKeyPartitioner(nil)),
		// A record that cannot be delivered in this long is reported as
		// failed rather than retried forever.
		kgo.RecordDeliveryTimeout(2 * time.Minute),
		// As the Java producer and kafka-python do: a broker that creates
		// topics on demand creates the one written to.
		kgo.AllowAutoTopicCreation(),
	}
}

// CheckProduceTopic makes sure topic can be written to before anything is
// produced, so that a topic the broker lacks is one line at once rather
// than every record failing after the delivery timeout. Its metadata
// request asks for the topic to be created, so a broker that creates
// topics on demand (Apache Kafka's default, the local emulator) creates it;
// one that does not (Amazon MSK's default) gets an error that says to
// create it.
func CheckProduceTopic(ctx context.Context, cl *kgo.Client, topic string) error {
	req := kmsg.NewPtrMetadataRequest()
	t := kmsg.NewMetadataRequestTopic()
	t.Topic = kmsg.StringPtr(topic)
	req.Topics = append(req.Topics, t)
	req.AllowAutoTopicCreation = true
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return fmt.Errorf("kafka: look up topic %q: %w", topic, err)
	}
	for _, rt := range resp.Topics {
		if rt.Topic == nil || *rt.Topic != topic {
			continue
		}
		err := kerr.ErrorForCode(rt.ErrorCode)
		switch {
		case err == nil, errors.Is(err, kerr.LeaderNotAvailable):
			return nil // just created: its leader is being elected, and kgo waits for it
		case errors.Is(err, kerr.UnknownTopicOrPartition):
			return fmt.Errorf("kafka topic %q does not exist and the broker does not create topics on demand "+
				"(auto.create.topics.enable=false, as on Amazon MSK): create it with `pipeline setup --topic %s` "+
				"or kafka-topics.sh --create, or pass the --topic of an existing one", topic, topic)
		case errors.Is(err, kerr.TopicAuthorizationFailed):
			return fmt.Errorf("kafka topic %q: not authorized to describe or write to it: grant the producer's role access to the topic, or pass another --topic: %w", topic, err)
		case errors.Is(err, kerr.InvalidTopicException):
			return fmt.Errorf("kafka topic %q: the broker refuses the name (1 to 249 of a-z A-Z 0-9 . _ -): %w", topic, err)
		default:
			return fmt.Errorf("kafka topic %q: %w", topic, err)
		}
	}
	return fmt.Errorf("kafka topic %q: the broker's metadata does not list it", topic)
}

// Producer sends events to a topic as JSON values keyed by symbol. Emit may
// be called from one goroutine at a time; Stats from any.
type Producer struct {
	cl    *kgo.Client
	topic string
	enc   EventEncoder
	arena recordArena
	// promise is p.done, made once: a method value made per record is
	// an allocation per record.
	promise func(*kgo.Record, error)

	produced atomic.Int64
	failed   atomic.Int64
	bytes    atomic.Int64

	mu       sync.Mutex
	firstErr error
	ends     map[int32]int64 // partition -> last acknowledged offset + 1
}

// NewProducer returns a producer writing to topic through cl. cl should be
// built with ProducerClientOpts.
func NewProducer(cl *kgo.Client, topic string) *Producer {
	p := &Producer{cl: cl, topic: topic, ends: map[int32]int64{}}
	p.promise = p.done
	return p
}

// Emit encodes ev and hands it to the client. It blocks while the client's
// buffer is full (backpressure). It does not keep ev. Delivery errors are
// counted and reported by Stats and Flush, never dropped silently.
func (p *Producer) Emit(ctx context.Context, ev *Event) error {
	rec := p.arena.record()
	rec.Topic = p.topic
	var dst []byte
	rec.Key, dst = p.arena.key(ev.Symbol)
	rec.Value = p.arena.value(p.enc.Append(dst, ev))
	p.cl.Produce(ctx, rec, p.promise)
	return ctx.Err()
}

// recordArena hands out records and their bytes from blocks of many: two
// allocations a tick were a sixth of the producer's time, and their garbage
// more of the collector's. A block lives until its last record is acked.
type recordArena struct {
	recs []kgo.Record
	buf  []byte // the rest of the current block of bytes
}

const (
	arenaRecords = 512
	arenaBytes   = 128 << 10
)

func (a *recordArena) record() *kgo.Record {
	if len(a.recs) == 0 {
		a.recs = make([]kgo.Record, arenaRecords)
	}
	r := &a.recs[0]
	a.recs = a.recs[1:]
	return r
}

// key copies key into the current block and returns it, and the block's
// rest for the value to be appended to.
func (a *recordArena) key(key string) (k, rest []byte) {
	if len(a.buf) < len(key)+256 {
		a.buf = make([]byte, max(arenaBytes, len(key)+256))
	}
	n := copy(a.buf, key)
	k, a.buf = a.buf[:n:n], a.buf[n:]
	return k, a.buf[:0]
}

// value takes the value appended to key's rest: the block goes on after it,
// or, if the value outgrew the rest and append allocated it, with its rest.
func (a *recordArena) value(v []byte) []byte {
	if len(v) > 0 && len(a.buf) > 0 && &v[0] == &a.buf[0] {
		a.buf = a.buf[len(v):]
		return v[:len(v):len(v)]
	}
	return v
}

func (p *Producer) done(r *kgo.Record, err error) {
	if err != nil {
		p.failed.Add(1)
		p.mu.Lock()
		if p.firstErr == nil {
			p.firstErr = err
		}
		p.mu.Unlock()
		return
	}
	p.produced.Add(1)
	p.bytes.Add(int64(len(r.Value)))
	p.mu.Lock()
	if r.Offset+1 > p.ends[r.Partition] {
		p.ends[r.Partition] = r.Offset + 1
	}
	p.mu.Unlock()
}

// ErrNotDelivered is wrapped by Flush when some records failed.
var ErrNotDelivered = errors.New("records not delivered")

// Flush waits until every emitted record is acknowledged or failed. It
// returns an error wrapping ErrNotDelivered if any record failed.
func (p *Producer) Flush(ctx context.Context) error {
	if err := p.cl.Flush(ctx); err != nil {
		return fmt.Errorf("flush producer: %w", err)
	}
	st := p.Stats()
	if st.Failed > 0 {
		return fmt.Errorf("%w: %d of %d events failed, first error: %w",
			ErrNotDelivered, st.Failed, st.Failed+st.Produced, st.FirstErr)
	}
	return nil
}

// ProduceStats is what the producer has had acknowledged so far.
type ProduceStats struct {
	Produced int64 // acknowledged by the broker
	Failed   int64 // given up on; never silently dropped
	Bytes    int64 // value bytes acknowledged
	FirstErr error
	// EndOffsets maps each partition written to the offset after the last
	// acknowledged record: a sink has stored everything when it has
	// committed these.
	EndOffsets map[int32]int64
}

func (p *Producer) Stats() ProduceStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	ends := make(map[int32]int64, len(p.ends))
	for k, v := range p.ends {
		ends[k] = v
	}
	return ProduceStats{Produced: p.produced.Load(), Failed: p.failed.Load(), Bytes: p.bytes.Load(),
		FirstErr: p.firstErr, EndOffsets: ends}
}

// EnsureTopic creates the topic with the given partition count unless it
// exists (whatever its partition count).
func EnsureTopic(ctx context.Context, cl *kgo.Client, topic string, partitions int32) error {
	resp, err := kadm.NewClient(cl).CreateTopic(ctx, partitions, -1, nil, topic)
	if err == nil {
		err = resp.Err
	}
	if err != nil && !errors.Is(err, kerr.TopicAlreadyExists) {
		return fmt.Errorf("create topic %q: %w", topic, err)
	}
	return nil
}
