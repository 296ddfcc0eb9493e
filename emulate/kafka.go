package emulate

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"pipeline/internal/atomicfile"
	"pipeline/internal/flock"
)

// DefaultPartitions is the partition count of the topics the emulator is
// asked to create (KafkaOptions.Topics: the pipeline's own).
const DefaultPartitions = 6

// AutoCreatePartitions is the partition count of a topic created because a
// client named it, and of a CreateTopics that leaves the count to the
// broker: Apache Kafka's default num.partitions.
const AutoCreatePartitions = 1

// KafkaOptions configure the embedded Kafka. Nil means defaults.
type KafkaOptions struct {
	// Addr is the listen address; "" means 127.0.0.1 on a free port.
	Addr string
	// Topics are created, with Partitions partitions each (default
	// DefaultPartitions), unless they exist (a restart keeps the topics of
	// earlier runs).
	Topics     []string
	Partitions int32
	// NoAutoCreateTopics turns off what Apache Kafka does by default
	// (auto.create.topics.enable): a metadata request naming a topic that
	// does not exist creates it, with AutoCreatePartitions partitions.
	// Amazon MSK has it off.
	NoAutoCreateTopics bool
	// Warn receives what the broker refuses or repairs in its directory
	// when it starts, one line each; nil writes them to standard error.
	Warn func(msg string)
	// Logger receives the broker's own failures (a full disk); nil
	// discards them.
	Logger *slog.Logger
	// Extra kfake options, for tests.
	Extra []kfake.Opt
}

// Kafka is the embedded broker. Its log, offsets and group commits live on
// disk under its directory, so memory stays flat and a restart keeps them.
type Kafka struct {
	*kfake.Cluster
	unlock func()
}

// ErrDataDirInUse is returned when another process holds the data directory.
var ErrDataDirInUse = errors.New("data directory is in use by another pipeline process")

// StartKafka starts the embedded broker with its log in dir. Only one process
// may use dir at a time.
//
// Before the broker reads dir, topics it cannot serve are set aside (see
// repairTopics): one with a name Kafka refuses is not served, and a topic
// whose partitions are on disk but missing from the topic list (written by
// an emulator that lost auto-created topics in a crash) is served again.
// Neither loses a file.
func StartKafka(dir string, opts *KafkaOptions) (*Kafka, error) {
	if opts == nil {
		opts = &KafkaOptions{}
	}
	warn := opts.Warn
	if warn == nil {
		warn = func(msg string) { fmt.Fprintln(os.Stderr, msg) }
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("start kafka: %w", err)
	}
	unlock, err := lockDir(dir)
	if err != nil {
		return nil, fmt.Errorf("start kafka in %s: %w", dir, err)
	}
	parts := opts.Partitions
	if parts <= 0 {
		parts = DefaultPartitions
	}
	for _, t := range opts.Topics {
		if err := ValidTopicName(t); err != nil {
			unlock()
			return nil, fmt.Errorf("start kafka: %w", err)
		}
	}
	if err := repairTopics(dir, warn); err != nil {
		unlock()
		return nil, fmt.Errorf("start kafka: %w", err)
	}
	kopts := []kfake.Opt{
		kfake.DataDir(dir),
		kfake.NumBrokers(1),
		kfake.DefaultNumPartitions(AutoCreatePartitions),
		kfake.ClusterID("pipeline-local"),
		// Sinks commit offsets only after their objects are stored; let a
		// dead sink's partitions move to a live one within seconds.
		kfake.GroupMinSessionTimeout(time.Second),
	}
	full := kafkaDiskFull(opts.Logger)
	kopts = append(kopts, kfake.WithLogger(storageLog{dir: dir, full: full}))
	if len(opts.Topics) > 0 {
		kopts = append(kopts, kfake.SeedTopics(parts, opts.Topics...))
	}
	if opts.Addr != "" {
		host, port, err := net.SplitHostPort(opts.Addr)
		if err != nil {
			unlock()
			return nil, fmt.Errorf("start kafka: bad address %q: %w", opts.Addr, err)
		}
		p, err := strconv.Atoi(port)
		if err != nil {
			unlock()
			return nil, fmt.Errorf("start kafka: bad port in %q", opts.Addr)
		}
		kopts = append(kopts, kfake.Ports(p), kfake.ListenFn(func(network, _ string) (net.Listener, error) {
			return net.Listen(network, net.JoinHostPort(host, port))
		}))
	}
	kopts = append(kopts, opts.Extra...)
	c, err := kfake.NewCluster(kopts...)
	if err != nil {
		unlock()
		return nil, fmt.Errorf("start kafka: %w", err)
	}
	g := &topicGuard{c: c, autoCreate: !opts.NoAutoCreateTopics}
	c.ControlKey(int16(kmsg.Metadata), g.metadata)
	c.ControlKey(int16(kmsg.CreateTopics), g.createTopics)
	c.ControlKey(int16(kmsg.Produce), (&storageGuard{c: c, dir: dir, full: full}).produce)
	// kfake seeds topics only into a new log: on a restart, a topic not
	// in the log yet would be unknown to producers (kgo does not ask for
	// auto-creation).
	if err := createTopics(c, parts, opts.Topics); err != nil {
		c.Close()
		unlock()
		return nil, fmt.Errorf("start kafka: %w", err)
	}
	return &Kafka{Cluster: c, unlock: unlock}, nil
}

// maxTopicNameLen is Apache Kafka's bound on a topic name.
const maxTopicNameLen = 249

// ValidTopicName says why Apache Kafka refuses a topic name
// (InvalidTopicException), or nil: a name is 1 to 249 of the characters
// [a-zA-Z0-9._-], and not "." or "..".
func ValidTopicName(name string) error {
	switch {
	case name == "":
		return errors.New("topic name is illegal, it can't be empty")
	case name == "." || name == "..":
		return fmt.Errorf("topic name cannot be %q", name)
	case len(name) > maxTopicNameLen:
		return fmt.Errorf("topic name %.20q... is illegal, it can't be longer than %d characters", name, maxTopicNameLen)
	}
	for _, c := range []byte(name) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
			return fmt.Errorf("topic name %q is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'", name)
		}
	}
	return nil
}

// topicGuard answers, before kfake does, what Apache Kafka decides about
// topic names: a name it refuses gets INVALID_TOPIC_EXCEPTION in metadata
// and CreateTopics replies, and a metadata request that may create topics
// creates them here, through the same path as CreateTopics, so that each
// is in the persisted topic list before any record is acknowledged on it
// (kfake's own auto-creation keeps a new topic in memory until a clean
// shutdown, and a kill -9 lost it with its records).
//
// Its methods are kfake control functions: kfake runs them one at a time,
// each before the request it sees, and applies the faults they add to
// that request.
type topicGuard struct {
	c          *kfake.Cluster
	autoCreate bool
	last       []*kfake.FaultHandle // answered the previous request; removed at the next
}

func (g *topicGuard) metadata(req kmsg.Request) (kmsg.Response, error, bool) {
	g.forgetLast()
	m, ok := req.(*kmsg.MetadataRequest)
	if !ok {
		return nil, nil, false
	}
	// Versions 0 to 3 have no AllowAutoTopicCreation field (kafka-python
	// 2.0 sends version 1): Apache Kafka creates the topics they name.
	create := g.autoCreate && (m.Version < 4 || m.AllowAutoTopicCreation)
	for _, t := range m.Topics {
		if t.Topic == nil {
			continue // by topic ID: it exists or it does not
		}
		name := *t.Topic
		if ValidTopicName(name) != nil {
			g.answer(req, kmsg.Metadata, name, kerr.InvalidTopicException)
			continue
		}
		if !create {
			continue
		}
		var ke *kerr.Error
		if err := g.c.CreateTopic(name, AutoCreatePartitions, nil); errors.As(err, &ke) && ke != kerr.TopicAlreadyExists {
			g.answer(req, kmsg.Metadata, name, ke) // e.g. it collides with a topic that differs in . and _
		}
	}
	return nil, nil, false // kfake answers it, and keeps this control
}

func (g *topicGuard) createTopics(req kmsg.Request) (kmsg.Response, error, bool) {
	g.forgetLast()
	if r, ok := req.(*kmsg.CreateTopicsRequest); ok {
		for _, t := range r.Topics {
			if ValidTopicName(t.Topic) != nil {
				g.answer(req, kmsg.CreateTopics, t.Topic, kerr.InvalidTopicException)
			}
		}
	}
	return nil, nil, false
}

// answer makes kfake answer topic in req (and no other request) with e.
func (g *topicGuard) answer(req kmsg.Request, key kmsg.Key, topic string, e *kerr.Error) {
	g.last = append(g.last, g.c.Fault(kfake.Fault{Keys: []kmsg.Key{key}, Topic: topic, Err: e, Count: -1,
		When: func(r kmsg.Request) bool { return r == req }}))
}

func (g *topicGuard) forgetLast() {
	for _, h := range g.last {
		h.Remove()
	}
	g.last = g.last[:0]
}

// createTopics creates the topics that c does not have yet.
func createTopics(c *kfake.Cluster, partitions int32, topics []string) error {
	if len(topics) == 0 {
		return nil
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...))
	if err != nil {
		return err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, t := range topics {
		resp, err := kadm.NewClient(cl).CreateTopic(ctx, partitions, -1, nil, t)
		if err == nil {
			err = resp.Err
		}
		if err != nil && !errors.Is(err, kerr.TopicAlreadyExists) {
			return fmt.Errorf("create topic %q: %w", t, err)
		}
	}
	return nil
}

// Close stops the broker, writing its state to disk, and releases the dir.
func (k *Kafka) Close() {
	k.Cluster.Close()
	k.unlock()
}

// lockDir takes the data dir's lock (dir/LOCK), held while this process
// serves the dir. The lock dies with the process, so a kill -9 never leaves
// a stale lock behind.
func lockDir(dir string) (func(), error) {
	unlock, err := flock.TryLock(filepath.Join(dir, lockName))
	if errors.Is(err, flock.ErrLocked) {
		return nil, ErrDataDirInUse
	}
	return unlock, err
}

// The broker's persisted topic list (kfake's DataDir layout): topics.json
// holds {"version": 1, "topics": [{"name": ..., "id": ..., "partitions":
// n, "replicas": r, "configs": {...}}]}, and partitions/<escaped name>-<n>/
// each partition's segments.
const (
	topicsFile        = "topics.json"
	refusedTopicsFile = "refused-topics.json"
	partitionsDir     = "partitions"
)

type persistedTopics struct {
	Version int               `json:"version"`
	Topics  []json.RawMessage `json:"topics"` // kept whole: ids and configs as kfake wrote them
}

// repairTopics makes dir's topic list one the broker can serve, before it
// reads it, and says what it changed through warn:
//
//   - A topic whose name Kafka refuses (from an emulator that did not
//     check names) would stop the broker from loading the dir at all (a
//     name too long for a file name): it is taken out of the list and its
//     entry kept in refused-topics.json; its partition files stay where
//     they are.
//   - A topic whose partition folders are on disk but that the list lacks
//     (auto-created by an emulator that persisted such topics only at a
//     clean shutdown, then killed) is listed again with as many partitions
//     as it has folders, so that its acknowledged records are served, not
//     overwritten by a new topic of the same name.
func repairTopics(dir string, warn func(string)) error {
	path := filepath.Join(dir, topicsFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil // a new log
	}
	if err != nil {
		return err
	}
	var list persistedTopics
	if err := json.Unmarshal(b, &list); err != nil {
		return fmt.Errorf("%s is damaged: %w", path, err)
	}
	var keep, refused []json.RawMessage
	listed := map[string]bool{}
	for _, raw := range list.Topics {
		var t struct {
			Name string `json:"name"`
		}
		if err := json.Unmarshal(raw, &t); err != nil {
			return fmt.Errorf("%s is damaged: %w", path, err)
		}
		listed[t.Name] = true
		if err := ValidTopicName(t.Name); err != nil {
			refused = append(refused, raw)
			warn(fmt.Sprintf("kafka: not serving topic %.60q of %s: %v; its entry is kept in %s, its files (if any) in %s",
				t.Name, path, err, filepath.Join(dir, refusedTopicsFile), filepath.Join(dir, partitionsDir)))
			continue
		}
		keep = append(keep, raw)
	}
	adopted, err := unlistedTopics(filepath.Join(dir, partitionsDir), listed)
	if err != nil {
		return err
	}
	for _, t := range adopted {
		var id [16]byte
		rand.Read(id[:])
		raw, err := json.Marshal(map[string]any{"name": t.name, "id": id[:], "partitions": t.partitions, "replicas": 1})
		if err != nil {
			return err
		}
		keep = append(keep, raw)
		warn(fmt.Sprintf("kafka: serving topic %q again, with the %d partitions found in %s: it was missing from %s",
			t.name, t.partitions, filepath.Join(dir, partitionsDir), path))
	}
	if len(refused) == 0 && len(adopted) == 0 {
		return nil
	}
	if len(refused) > 0 {
		if err := keepRefused(filepath.Join(dir, refusedTopicsFile), refused); err != nil {
			return err
		}
	}
	list.Topics = keep
	out, err := json.Marshal(list)
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(path, out)
}

type unlistedTopic struct {
	name       string
	partitions int
}

// unlistedTopics returns the topics with partition folders in dir that are
// not listed, and whose names Kafka accepts, with their partition counts.
func unlistedTopics(dir string, listed map[string]bool) ([]unlistedTopic, error) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	count := map[string]int{}
	for _, e := range ents {
		i := strings.LastIndexByte(e.Name(), '-')
		if !e.IsDir() || i < 0 {
			continue
		}
		p, err := strconv.Atoi(e.Name()[i+1:])
		if err != nil || p < 0 {
			continue
		}
		name, err := url.PathUnescape(e.Name()[:i])
		if err != nil || listed[name] || ValidTopicName(name) != nil {
			continue
		}
		count[name] = max(count[name], p+1)
	}
	var out []unlistedTopic
	for _, name := range slices.Sorted(maps.Keys(count)) {
		out = append(out, unlistedTopic{name, count[name]})
	}
	return out, nil
}

// keepRefused adds topic entries to the refused list at path.
func keepRefused(path string, entries []json.RawMessage) error {
	var list persistedTopics
	if b, err := os.ReadFile(path); err == nil {
		if err := json.Unmarshal(b, &list); err != nil {
			return fmt.Errorf("%s is damaged: %w", path, err)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	list.Version = 1
	list.Topics = append(list.Topics, entries...)
	b, err := json.MarshalIndent(list, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(path, b)
}
