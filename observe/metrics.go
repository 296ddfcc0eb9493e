// Package observe is how a running pipeline is seen from outside: Prometheus
// metrics with the health endpoints, the live progress line of run, produce
// and sink, and the status of a topic, its sink group, the catalog and the
// bucket that `pipeline status` and the dashboard show.
//
// It reads what the stages already count (Producer.Stats, Sink.Stats) when it
// is scraped or drawn, and is told of events only where a count cannot say
// it (an object's size and how long its PUT took, a commit) through the
// sink's observer and kgo's batch hooks: nothing here costs anything per
// record.
//
// It is not a stage and changes nothing it watches: it only reads Kafka,
// S3 and the catalog. Nor is it the dashboard (package ui, which draws what
// this package reads).
//
// # Main types
//
//   - Metrics (NewMetrics): the Prometheus registry, and the sink's observer.
//   - Server (Serve, Handler), Check: /metrics, /healthz and /readyz.
//   - OffsetWatcher (WatchOffsets), Offsets (ReadOffsets): a topic's offsets
//     and a group's lag, read in the background or once.
//   - StartProgress, ProgressOptions, Counters: the progress line on a
//     Terminal (the writer that keeps it at the bottom), or periodic log
//     records.
//   - Status (ReadStatus, StatusSources): one look at everything, for
//     `pipeline status` and the dashboard.
package observe

import (
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/twmb/franz-go/pkg/kgo"

	"pipeline/pipeline"
)

// Metrics is the Prometheus registry of one process, with the metrics of
// the stages it runs: AddProducer, AddSink and AddOffsets register each
// stage's. Metric names follow Prometheus's conventions: a pipeline_ prefix,
// base units (seconds, bytes), _total for counters. It is safe for
// concurrent use.
type Metrics struct {
	reg *prometheus.Registry

	consumed   atomic.Int64 // records fetched by the sink's client (kgo's batch hook)
	lastCommit atomic.Int64 // unix nanoseconds of the last commit; 0: none yet
	// newest is the unix nanoseconds of the Kafka timestamp of the newest
	// record committed: what is queryable is that fresh.
	newest atomic.Int64

	putSeconds    prometheus.Histogram
	objectBytes   prometheus.Histogram
	commitSeconds prometheus.Histogram

	mu       sync.Mutex
	assigned map[int32]bool               // guarded by mu
	producer func() pipeline.ProduceStats // guarded by mu; nil: no producer here
	sink     func() pipeline.SinkStats    // guarded by mu; nil: no sink here
	offsets  *OffsetWatcher               // guarded by mu
}

var _ pipeline.SinkObserver = (*Metrics)(nil)

// NewMetrics returns a registry with the Go runtime's and the process's
// metrics; the stages add theirs.
func NewMetrics() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry(), assigned: map[int32]bool{}}
	m.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.putSeconds = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "pipeline_s3_put_duration_seconds",
		Help:    "Time to store one object in S3, from the first attempt to success (retries included).",
		Buckets: prometheus.ExponentialBuckets(0.001, 2, 16), // 1 ms .. 33 s
	})
	m.objectBytes = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "pipeline_object_size_bytes",
		Help:    "Size of the objects the sink stores (table objects and dead letters).",
		Buckets: prometheus.ExponentialBuckets(1024, 4, 12), // 1 KiB .. 4 GiB
	})
	m.commitSeconds = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "pipeline_commit_duration_seconds",
		Help:    "Time of one Kafka offset commit of the sink.",
		Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16), // 0.5 ms .. 16 s
	})
	return m
}

// Registry is the registry, for tests and for serving it elsewhere.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

func counterFunc(name, help string, f func() float64) prometheus.Collector {
	return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, f)
}

func gaugeFunc(name, help string, f func() float64) prometheus.Collector {
	return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, f)
}

// AddProducer registers the producer's counters, read from stats at each
// scrape. Call it once.
func (m *Metrics) AddProducer(stats func() pipeline.ProduceStats) {
	m.mu.Lock()
	m.producer = stats
	m.mu.Unlock()
	m.reg.MustRegister(
		counterFunc("pipeline_records_produced_total", "Records the broker acknowledged.",
			func() float64 { return float64(stats().Produced) }),
		counterFunc("pipeline_records_produce_failed_total", "Records the producer gave up on (never dropped silently: the command fails).",
			func() float64 { return float64(stats().Failed) }),
		counterFunc("pipeline_produced_bytes_total", "Value bytes the broker acknowledged.",
			func() float64 { return float64(stats().Bytes) }),
	)
}

// AddSink registers the sink's counters, read from stats at each scrape, and
// its histograms, which Metrics fills as the sink's SinkOptions.Observer. The
// sink's Kafka client needs KafkaHooks for records consumed. Call it once.
func (m *Metrics) AddSink(stats func() pipeline.SinkStats) {
	m.mu.Lock()
	m.sink = stats
	m.mu.Unlock()
	m.reg.MustRegister(
		counterFunc("pipeline_records_consumed_total", "Records the sink fetched from Kafka (a record replayed after a rebalance counts again).",
			func() float64 { return float64(m.consumed.Load()) }),
		counterFunc("pipeline_records_stored_total", "Records stored in table objects in S3.",
			func() float64 { return float64(stats().Records) }),
		counterFunc("pipeline_records_dead_lettered_total", "Records that are not events, stored under the dead-letter prefix with their reason.",
			func() float64 { return float64(stats().DeadLetters) }),
		counterFunc("pipeline_objects_stored_total", "Objects stored in S3 (table objects and dead letters).",
			func() float64 { return float64(stats().Objects) }),
		counterFunc("pipeline_stored_bytes_total", "Bytes stored in S3.",
			func() float64 { return float64(stats().Bytes) }),
		counterFunc("pipeline_claims_total", "Ranges of offsets the sink claimed (with If-None-Match) before storing their objects.",
			func() float64 { return float64(stats().Claims) }),
		counterFunc("pipeline_claims_adopted_total", "Ranges another sink had claimed (an earlier owner, or a stalled one) that the sink checked, writing their missing objects, and committed past instead of storing again.",
			func() float64 { return float64(stats().Adopted) }),
		counterFunc("pipeline_partition_rereads_total", "Times the sink read a partition again because another sink claimed its offsets with other bounds.",
			func() float64 { return float64(stats().Resyncs) }),
		// A time, not an age: an alert takes time() - it, and the value
		// stays right between scrapes.
		gaugeFunc("pipeline_last_commit_timestamp_seconds", "Unix time of the sink's last offset commit; 0 before the first.",
			func() float64 { return float64(m.lastCommit.Load()) / 1e9 }),
		gaugeFunc("pipeline_assigned_partitions", "Partitions of the topic assigned to this sink.",
			func() float64 { return float64(m.AssignedPartitions()) }),
		gaugeFunc("pipeline_freshness_seconds", "Age of the newest record stored and committed (from its Kafka timestamp): "+
			"how old the newest queryable data is. While ticks stream it saws between the commit's own delay and about --max-age; "+
			"it grows when the sink stalls, and when nothing is produced. 0 before the first commit.",
			func() float64 { return m.freshness(time.Now()).Seconds() }),
		m.putSeconds, m.objectBytes, m.commitSeconds,
	)
}

// AddOffsets registers a topic's offsets and its group's lag per partition,
// as w last read them. Call it once.
func (m *Metrics) AddOffsets(w *OffsetWatcher) {
	m.mu.Lock()
	m.offsets = w
	m.mu.Unlock()
	m.reg.MustRegister(offsetCollector{w})
}

var (
	lagDesc = prometheus.NewDesc("pipeline_consumer_lag_records",
		"Records of the partition after the sink group's committed offset: produced but not yet stored.",
		[]string{"topic", "group", "partition"}, nil)
	endDesc = prometheus.NewDesc("pipeline_topic_end_offset",
		"The offset after the partition's last record.", []string{"topic", "partition"}, nil)
	committedDesc = prometheus.NewDesc("pipeline_consumer_committed_offset",
		"The sink group's committed offset of the partition (-1: none).", []string{"topic", "group", "partition"}, nil)
	offsetsUpDesc = prometheus.NewDesc("pipeline_offsets_up",
		"1 if the last read of the topic's and group's offsets succeeded.", []string{"topic", "group"}, nil)
)

// offsetCollector exports an OffsetWatcher's last read; a failed read exports
// only pipeline_offsets_up 0, never stale lag.
type offsetCollector struct{ w *OffsetWatcher }

func (c offsetCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- lagDesc
	ch <- endDesc
	ch <- committedDesc
	ch <- offsetsUpDesc
}

func (c offsetCollector) Collect(ch chan<- prometheus.Metric) {
	o, err, ok := c.w.Latest()
	if !ok {
		return
	}
	up := 1.0
	if err != nil {
		up = 0
	}
	ch <- prometheus.MustNewConstMetric(offsetsUpDesc, prometheus.GaugeValue, up, o.Topic, o.Group)
	if err != nil {
		return
	}
	for _, p := range o.Partitions {
		part := strconv.Itoa(int(p.Partition))
		ch <- prometheus.MustNewConstMetric(lagDesc, prometheus.GaugeValue, float64(p.Lag), o.Topic, o.Group, part)
		ch <- prometheus.MustNewConstMetric(endDesc, prometheus.GaugeValue, float64(p.End), o.Topic, part)
		ch <- prometheus.MustNewConstMetric(committedDesc, prometheus.GaugeValue, float64(p.Committed), o.Topic, o.Group, part)
	}
}

// KafkaHooks is the kgo option that counts the records a sink's client
// fetches, a batch at a time.
func (m *Metrics) KafkaHooks() kgo.Opt { return kgo.WithHooks(fetchHook{m}) }

type fetchHook struct{ m *Metrics }

func (h fetchHook) OnFetchBatchRead(_ kgo.BrokerMetadata, _ string, _ int32, b kgo.FetchBatchMetrics) {
	h.m.consumed.Add(int64(b.NumRecords))
}

// ObjectStored is told of each object the sink stores: its size, and the time
// from the first attempt to success.
func (m *Metrics) ObjectStored(size int, took time.Duration) {
	m.objectBytes.Observe(float64(size))
	m.putSeconds.Observe(took.Seconds())
}

// Committed is told of each offset commit: the newest record committed of
// each partition, and how long the commit took.
func (m *Metrics) Committed(recs []*kgo.Record, took time.Duration) {
	m.commitSeconds.Observe(took.Seconds())
	for _, r := range recs {
		ts := r.Timestamp.UnixNano()
		for old := m.newest.Load(); ts > old && !m.newest.CompareAndSwap(old, ts); old = m.newest.Load() {
		}
	}
	m.lastCommit.Store(time.Now().UnixNano())
}

// freshness is the age of the newest record committed, 0 before any.
func (m *Metrics) freshness(now time.Time) time.Duration {
	n := m.newest.Load()
	if n == 0 {
		return 0
	}
	return max(0, now.Sub(time.Unix(0, n)))
}

// PartitionsAssigned is told of partitions assigned to the sink.
func (m *Metrics) PartitionsAssigned(ps []int32) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, p := range ps {
		m.assigned[p] = true
	}
}

// PartitionsRevoked is told of partitions the sink gave up or lost.
func (m *Metrics) PartitionsRevoked(ps []int32) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, p := range ps {
		delete(m.assigned, p)
	}
}

// AssignedPartitions is how many partitions the sink holds.
func (m *Metrics) AssignedPartitions() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.assigned)
}

// Counters is one reading of what the stages of this process have done, for
// the progress line and the dashboard.
type Counters struct {
	At          time.Time     `json:"at"`
	HasProducer bool          `json:"has_producer"`
	HasSink     bool          `json:"has_sink"`
	Produced    int64         `json:"produced"`
	Failed      int64         `json:"produce_failed"`
	Consumed    int64         `json:"consumed"`
	Stored      int64         `json:"stored"`
	DeadLetters int64         `json:"dead_letters"`
	Objects     int64         `json:"objects"`
	Bytes       int64         `json:"bytes"`
	Lag         int64         `json:"lag"`       // -1: not known (yet)
	Freshness   time.Duration `json:"freshness"` // age of the newest record committed; 0: none yet
	LastCommit  time.Time     `json:"last_commit"`
}

// Counters reads the stages' counters now.
func (m *Metrics) Counters() Counters {
	m.mu.Lock()
	producer, sink, offsets := m.producer, m.sink, m.offsets
	m.mu.Unlock()
	now := time.Now()
	c := Counters{At: now, Lag: -1, Consumed: m.consumed.Load(), Freshness: m.freshness(now)}
	var produced map[int32]int64
	if producer != nil {
		st := producer()
		c.HasProducer, c.Produced, c.Failed, produced = true, st.Produced, st.Failed, st.EndOffsets
	}
	if sink != nil {
		st := sink()
		c.HasSink, c.Stored, c.DeadLetters, c.Objects, c.Bytes = true, st.Records, st.DeadLetters, st.Objects, st.Bytes
	}
	if n := m.lastCommit.Load(); n != 0 {
		c.LastCommit = time.Unix(0, n)
	}
	if offsets != nil {
		if o, err, ok := offsets.Latest(); ok && err == nil {
			c.Lag = lagNow(o, produced)
		}
	}
	return c
}

// lagNow is the lag of o, the offsets last read, with the end of each
// partition this process has written to since (produced): read every
// second, o alone would say 0 while the records produced meanwhile wait.
func lagNow(o Offsets, produced map[int32]int64) int64 {
	var lag int64
	for _, p := range o.Partitions {
		end := max(p.End, produced[p.Partition])
		lag += max(0, end-max(p.Committed, p.Start))
	}
	return lag
}
