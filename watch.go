package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/urfave/cli/v3"

	pipeaws "pipeline/aws"
	"pipeline/emulate"
	"pipeline/internal/oneline"
	"pipeline/observe"
)

// ---- seeing a command work: logs, metrics, the progress line --------------

// newLogHandler is the one place that knows --log-format.
func newLogHandler(w io.Writer, format string, level slog.Level) slog.Handler {
	opts := &slog.HandlerOptions{Level: level}
	if format == "json" {
		return slog.NewJSONHandler(w, opts)
	}
	return slog.NewTextHandler(w, opts)
}

// announce tells the user, on stderr, where the command serves something or
// what to beware of: line, or with --log-format json a record of msg and
// attrs, so that stderr stays in one format.
func announce(cmd *cli.Command, level slog.Level, line, msg string, attrs ...any) {
	w := cmd.Root().ErrWriter
	if cmd.String("log-format") == "json" {
		slog.New(newLogHandler(w, "json", level)).Log(context.Background(), level, msg, attrs...)
		return
	}
	fmt.Fprintln(w, line)
}

func metricsFlag() cli.Flag {
	return &cli.StringFlag{Name: "metrics-addr", Usage: "serve Prometheus /metrics, /healthz and /readyz on this address, e.g. 127.0.0.1:9464",
		Sources: cli.EnvVars("PIPELINE_METRICS_ADDR")}
}

// offsetsInterval is how often a watched topic's offsets and its sink
// group's lag are read: three small requests each time.
const offsetsInterval = time.Second

// watchOptions say what a command shows of itself.
type watchOptions struct {
	group    string          // the sink group whose lag to watch; "" for none
	ready    []observe.Check // beside Kafka's, which every command needs
	progress bool            // a progress line (unless --quiet)
}

// startWatch starts what a long-running command shows of itself: the
// topic's offsets and the group's lag read in the background, the metrics
// server of --metrics-addr, and the progress line on stderr (redrawn on a
// terminal, a log record every 10 s otherwise). /readyz needs Kafka to
// answer and o.ready to hold. stop ends them all.
func startWatch(ctx context.Context, cmd *cli.Command, e *env, m *observe.Metrics, o watchOptions) (stop func(), err error) {
	wctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	var stops []func()
	var once sync.Once
	stop = func() { // called early to clear the progress line, and deferred
		once.Do(func() {
			cancel() // first: a watcher that sees its client closed is not a broker gone
			for i := len(stops) - 1; i >= 0; i-- {
				stops[i]()
			}
		})
	}
	// A client of its own: no group, no records, only metadata and offsets.
	cl, err := kgo.NewClient(e.kafka...)
	if err != nil {
		stop()
		return nil, fmt.Errorf("kafka client: %w", err)
	}
	stops = append(stops, cl.Close)
	stderr := cmd.Root().ErrWriter
	if addr := cmd.String("metrics-addr"); addr != "" {
		srv, err := observe.Serve(addr, m, append([]observe.Check{observe.KafkaReachable(cl)}, o.ready...)...)
		if err != nil {
			stop()
			return nil, err
		}
		stops = append(stops, func() { srv.Close() })
		url := "http://" + srv.Addr() + "/metrics"
		announce(cmd, slog.LevelInfo, "metrics: "+url+" (health: /healthz, /readyz)", "metrics", "url", url)
	}
	// Watched only once the address is taken, so that a bad --metrics-addr
	// is the one line the command prints.
	go watchKafka(wctx, cl, logger(cmd))
	if o.group != "" {
		m.AddOffsets(observe.WatchOffsets(wctx, kadm.NewClient(cl), cmd.String("topic"), o.group, offsetsInterval))
	}
	if o.progress && !cmd.Bool("quiet") {
		po := observe.ProgressOptions{Logger: slog.New(newLogHandler(stderr, cmd.String("log-format"), slog.LevelInfo))}
		po.Terminal, _ = stderr.(*observe.Terminal) // run made it if stderr is a terminal
		stops = append(stops, observe.StartProgress(m.Counters, po))
	}
	return stop, nil
}

// kafkaHealthEvery is how often a command checks that a Kafka broker
// answers, so that it can say so when none does: the producer and the sink
// retry in silence otherwise, and a wrong address, port or SASL setting
// looks like a hang.
const kafkaHealthEvery = 5 * time.Second

// kafkaHealthTimeout bounds one check.
const kafkaHealthTimeout = 3 * time.Second

func kafkaWaitFlag() cli.Flag {
	return &cli.DurationFlag{Name: "kafka-wait", Value: 30 * time.Second,
		Usage: "how long to wait at the start for a Kafka broker to answer before giving up with an error"}
}

// waitForKafka returns once a broker of cl answers, or an error that says
// none did within wait: a producer that reaches no broker at its start is
// most often misconfigured (address, port, TLS, SASL), and a service
// manager restarts one that exits. It returns nil if ctx ends first.
func waitForKafka(ctx context.Context, cl *kgo.Client, wait time.Duration) error {
	check := observe.KafkaReachable(cl)
	deadline := time.Now().Add(wait)
	for {
		cctx, cancel := context.WithTimeout(ctx, max(time.Millisecond, min(kafkaHealthTimeout, time.Until(deadline))))
		err := check.Fn(cctx)
		cancel()
		if err == nil || ctx.Err() != nil {
			return nil
		}
		if !time.Now().Before(deadline) {
			brokers, _ := cl.OptValue(kgo.SeedBrokers).([]string)
			return fmt.Errorf("kafka: no broker of %s answered in %s (%s): check --brokers, the port, TLS and SASL, or wait longer with --kafka-wait",
				strings.Join(brokers, ","), wait, oneline.Fold(err.Error()))
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(min(time.Second, time.Until(deadline))):
		}
	}
}

// watchKafka checks now and every kafkaHealthEvery that a broker of cl
// answers until ctx ends: it warns with the cause when none does (again
// every minute while none does), and says when one does again.
func watchKafka(ctx context.Context, cl *kgo.Client, log *slog.Logger) {
	brokers, _ := cl.OptValue(kgo.SeedBrokers).([]string)
	check := observe.KafkaReachable(cl)
	var warned time.Time // zero while brokers answer
	t := time.NewTicker(kafkaHealthEvery)
	defer t.Stop()
	for {
		cctx, cancel := context.WithTimeout(ctx, kafkaHealthTimeout)
		err := check.Fn(cctx)
		cancel()
		if ctx.Err() != nil || errors.Is(err, kgo.ErrClientClosed) {
			return
		}
		switch {
		case err != nil && time.Since(warned) >= time.Minute:
			log.Warn("kafka: no broker answers; still trying (check --brokers, the port, TLS and SASL)",
				"brokers", strings.Join(brokers, ","), "error", oneline.Fold(err.Error()))
			warned = time.Now()
		case err == nil && !warned.IsZero():
			log.Warn("kafka: a broker answers again", "brokers", strings.Join(brokers, ","))
			warned = time.Time{}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// emulatedEnv is the clients of the stack `pipeline emulate` serves, over
// its endpoints, for that command's own metrics.
func emulatedEnv(ctx context.Context, cmd *cli.Command, dir emulate.DataDir, ep emulate.Endpoints) (*env, error) {
	cfg, err := pipeaws.Load(ctx, emulatorAWS(cmd, ep.S3, nil))
	if err != nil {
		return nil, err
	}
	return &env{kafka: []kgo.Opt{kgo.SeedBrokers(ep.KafkaBrokers...)}, aws: cfg, s3: pipeaws.NewS3(cfg), dataDir: dir, close: func() {}}, nil
}
