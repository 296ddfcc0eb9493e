package emulate

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"pipeline/internal/flock"
	"pipeline/pipeline"
)

// DefaultPartitions is the partition count of topics the emulator creates.
const DefaultPartitions = 6

// KafkaOptions configure the embedded Kafka. Nil means defaults.
type KafkaOptions struct {
	// Addr is the listen address; "" means 127.0.0.1 on a free port.
	Addr string
	// Topics are created, with Partitions partitions each, unless they
	// exist (a restart keeps the topics of earlier runs).
	Topics     []string
	Partitions int32
	// NoAutoCreateTopics turns off what Apache Kafka does by default
	// (auto.create.topics.enable): a metadata request naming a topic that
	// does not exist creates it, with Partitions partitions. Amazon MSK
	// has it off.
	NoAutoCreateTopics bool
	// Extra kfake options, for tests (e.g. a logger).
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
func StartKafka(dir string, opts *KafkaOptions) (*Kafka, error) {
	if opts == nil {
		opts = &KafkaOptions{}
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
	kopts := []kfake.Opt{
		kfake.DataDir(dir),
		kfake.NumBrokers(1),
		kfake.DefaultNumPartitions(int(parts)),
		kfake.ClusterID("pipeline-local"),
		// Sinks commit offsets only after their objects are stored; let a
		// dead sink's partitions move to a live one within seconds.
		kfake.GroupMinSessionTimeout(time.Second),
	}
	if !opts.NoAutoCreateTopics {
		kopts = append(kopts, kfake.AllowAutoTopicCreation())
	}
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
	if !opts.NoAutoCreateTopics {
		autoCreateForOldMetadata(c)
	}
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

// autoCreateForOldMetadata makes a metadata request of version 0 to 3
// create the topics it names, as Apache Kafka does: those versions have no
// AllowAutoTopicCreation field (kafka-python 2.0 sends version 1), and
// kfake reads a missing field as false. From version 4 the client says.
func autoCreateForOldMetadata(c *kfake.Cluster) {
	c.ControlKey(int16(kmsg.Metadata), func(req kmsg.Request) (kmsg.Response, error, bool) {
		if m, ok := req.(*kmsg.MetadataRequest); ok && m.Version < 4 {
			m.AllowAutoTopicCreation = true
		}
		return nil, nil, false // kfake answers it, and keeps this control
	})
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
		if err := pipeline.EnsureTopic(ctx, cl, t, partitions); err != nil {
			return err
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
