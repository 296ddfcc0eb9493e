package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/urfave/cli/v3"
	"golang.org/x/term"

	pipeaws "pipeline/aws"
	"pipeline/emulate"
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
			for i := len(stops) - 1; i >= 0; i-- {
				stops[i]()
			}
			cancel()
		})
	}
	// A client of its own: no group, no records, only metadata and offsets.
	cl, err := kgo.NewClient(e.kafka...)
	if err != nil {
		stop()
		return nil, fmt.Errorf("kafka client: %w", err)
	}
	stops = append(stops, cl.Close)
	if o.group != "" {
		m.AddOffsets(observe.WatchOffsets(wctx, kadm.NewClient(cl), cmd.String("topic"), o.group, offsetsInterval))
	}
	stderr := cmd.Root().ErrWriter
	if addr := cmd.String("metrics-addr"); addr != "" {
		srv, err := observe.Serve(addr, m, append([]observe.Check{observe.KafkaReachable(cl)}, o.ready...)...)
		if err != nil {
			stop()
			return nil, err
		}
		stops = append(stops, func() { srv.Close() })
		fmt.Fprintf(stderr, "metrics: http://%s/metrics (health: /healthz, /readyz)\n", srv.Addr())
	}
	if o.progress && !cmd.Bool("quiet") {
		po := observe.ProgressOptions{Logger: slog.New(newLogHandler(stderr, cmd.String("log-format"), slog.LevelInfo))}
		if f, ok := stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
			po.Live = true
			po.Width = func() int {
				w, _, err := term.GetSize(int(f.Fd()))
				if err != nil {
					return 0
				}
				return w
			}
		}
		stops = append(stops, observe.StartProgress(stderr, m.Counters, po))
	}
	return stop, nil
}

// emulatedEnv is the clients of the stack `pipeline emulate` serves, over
// its endpoints, for that command's own metrics.
func emulatedEnv(ctx context.Context, dir emulate.DataDir, ep emulate.Endpoints) (*env, error) {
	cfg, err := pipeaws.Load(ctx, pipeaws.Emulator(ep.S3, nil))
	if err != nil {
		return nil, err
	}
	return &env{kafka: []kgo.Opt{kgo.SeedBrokers(ep.KafkaBrokers...)}, aws: cfg, s3: pipeaws.NewS3(cfg), dataDir: dir, close: func() {}}, nil
}
