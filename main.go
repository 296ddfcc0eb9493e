// Command pipeline is a real-time stock-market data pipeline: simulated ticks
// -> Kafka -> S3 -> a Glue-like catalog -> SQL. In local mode (the default)
// it runs the whole stack embedded, under --data-dir; in cloud mode it talks
// to real Kafka and AWS.
//
// This file is the one place that knows the mode: it builds the clients and
// hands them to the mode-agnostic stages in package pipeline.
package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strings"
	"syscall"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/urfave/cli/v3"
	"golang.org/x/term"

	pipeaws "pipeline/aws"
	"pipeline/bench"
	"pipeline/catalog"
	"pipeline/emulate"
	"pipeline/internal/oneline"
	"pipeline/observe"
	"pipeline/pipeline"
	"pipeline/sqlq"
	"pipeline/sqlq/duckdb"
)

// defaultMemoryLimit is the Go heap's soft limit unless GOMEMLIMIT says
// otherwise: the garbage collector works harder as the heap nears it, so a
// long run's memory stays flat instead of doubling between collections.
// DuckDB's memory is its own and not counted.
const defaultMemoryLimit = 448 << 20

func main() {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(defaultMemoryLimit)
	}
	ctx, stop := context.WithCancel(context.Background())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	// The first signal asks the command to stop cleanly; a second one
	// exits at once. The same signal again within sameStop is the same
	// request: coreutils' timeout, for one, signals the process and then
	// its process group.
	go func() {
		first := <-sigs
		at := time.Now()
		stop()
		for sig := range sigs {
			if sig == first && time.Since(at) < sameStop {
				continue
			}
			fmt.Fprintf(os.Stderr, "pipeline: %s again: exiting now; what was not committed is replayed by the next run\n", sig)
			os.Exit(128 + int(sig.(syscall.Signal)))
		}
	}()
	code := run(ctx, os.Args, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// sameStop is how soon a repeat of the stop signal is taken for the same
// request rather than a second one: far quicker than a person presses
// Ctrl-C twice.
const sameStop = 100 * time.Millisecond

// run is main without the process: tests call it with their own writers.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if f, ok := stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		// One owner of the terminal's last line: the progress line, with
		// log records written above it.
		stderr = observe.NewTerminal(f, func() int {
			w, _, err := term.GetSize(int(f.Fd()))
			if err != nil {
				return 0
			}
			return w
		})
	}
	cmd := newCommand(stdout, stderr)
	if err := cmd.Run(ctx, args); err != nil {
		if ctx.Err() != nil && errors.Is(err, context.Canceled) {
			return 0 // stopped by a signal before it got going: nothing to report
		}
		var ec cli.ExitCoder
		if errors.As(err, &ec) && ec.ExitCode() == 0 {
			return 0
		}
		msg := "pipeline: " + oneline.Fold(err.Error())
		if cmd.String("log-format") == "json" {
			// stderr stays JSON lines, for journald and log shippers.
			slog.New(newLogHandler(stderr, "json", slog.LevelError)).Error(msg)
		} else {
			fmt.Fprintln(stderr, msg)
		}
		if errors.As(err, &ec) {
			return ec.ExitCode()
		}
		return 1
	}
	return 0
}

// Defaults live here, once; the help text shows them.
const (
	defaultDataDir = "pipeline-data"
	defaultBucket  = "stock-market-data"
)

func newCommand(stdout, stderr io.Writer) *cli.Command {
	usageError := func(_ context.Context, cmd *cli.Command, err error, _ bool) error {
		return fmt.Errorf("%w (see '%s --help')", err, cmd.FullName())
	}
	root := &cli.Command{
		Name:      "pipeline",
		Usage:     "a real-time stock-market data pipeline: ticks -> Kafka -> S3 -> catalog -> SQL",
		Version:   version(),
		Writer:    stdout,
		ErrWriter: stderr,
		// Errors are printed once, by run, as one line.
		ExitErrHandler: func(context.Context, *cli.Command, error) {},
		OnUsageError:   usageError,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "mode", Value: "local", Usage: "local (embedded Kafka, S3, catalog, DuckDB) or cloud (real Kafka and AWS)",
				Sources: cli.EnvVars("PIPELINE_MODE"), Validator: oneOf("local", "cloud")},
			&cli.StringFlag{Name: "data-dir", Value: defaultDataDir, Usage: "where local mode keeps everything",
				Sources: cli.EnvVars("PIPELINE_DATA_DIR")},
			&cli.StringFlag{Name: "bucket", Value: defaultBucket, Usage: "S3 bucket of the landing zone", Sources: cli.EnvVars("PIPELINE_BUCKET")},
			&cli.StringFlag{Name: "prefix", Usage: "key prefix inside the bucket", Sources: cli.EnvVars("PIPELINE_PREFIX")},
			&cli.StringFlag{Name: "topic", Value: pipeline.Topic, Usage: "Kafka topic"},
			&cli.StringFlag{Name: "brokers", Usage: "Kafka seed brokers, comma-separated (local mode: found in the data dir)", Sources: cli.EnvVars("KAFKA_BROKERS")},
			&cli.BoolFlag{Name: "kafka-tls", Usage: "connect to Kafka over TLS (cloud mode)", Sources: cli.EnvVars("KAFKA_TLS")},
			&cli.StringFlag{Name: "kafka-sasl", Usage: "Kafka SASL: plain, scram-sha-256, scram-sha-512 or aws-msk-iam (cloud mode)", Sources: cli.EnvVars("KAFKA_SASL")},
			&cli.StringFlag{Name: "kafka-user", Usage: "Kafka SASL user; the password comes from KAFKA_PASSWORD", Sources: cli.EnvVars("KAFKA_USER")},
			&cli.StringFlag{Name: "s3-endpoint", Usage: "S3 endpoint URL (local mode: found in the data dir)", Sources: cli.EnvVars("PIPELINE_S3_ENDPOINT")},
			&cli.StringFlag{Name: "workgroup", Value: "primary", Usage: "Athena workgroup (cloud mode)", Sources: cli.EnvVars("ATHENA_WORKGROUP")},
			&cli.StringFlag{Name: "athena-output", Usage: "where Athena writes query results (cloud mode; default s3://<bucket>/athena-results/)"},
			&cli.BoolFlag{Name: "verbose", Aliases: []string{"v"}, Usage: "log what the stages do to stderr"},
			&cli.StringFlag{Name: "emulator-credentials", Value: "test:test", Usage: "the access keys the local emulator accepts, KEY:SECRET[,KEY:SECRET...]; local-mode commands sign with the first",
				Sources: cli.EnvVars("PIPELINE_EMULATOR_CREDENTIALS"), Validator: func(s string) error { _, err := emulate.ParseCredentials(s); return err }},
			&cli.StringFlag{Name: "log-format", Value: "text", Usage: "format of the log and progress records on stderr: text or json",
				Sources: cli.EnvVars("PIPELINE_LOG_FORMAT"), Validator: oneOf("text", "json")},
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "no progress line or periodic progress records"},
		},
		Commands: []*cli.Command{
			runCommand(), queryCommand(), setupCommand(), emulateCommand(), produceCommand(), sinkCommand(), crawlCommand(),
			benchCommand(), statusCommand(), uiCommand(),
		},
	}
	for _, c := range root.Commands {
		c.OnUsageError = usageError
	}
	return root
}

func oneOf(vals ...string) func(string) error {
	return func(s string) error {
		if slices.Contains(vals, s) {
			return nil
		}
		return fmt.Errorf("must be one of %s, not %q", strings.Join(vals, ", "), s)
	}
}

func share(f float64) error {
	if f < 0 || f > 1 {
		return fmt.Errorf("must be a share between 0 and 1, not %g", f)
	}
	return nil
}

func logger(cmd *cli.Command) *slog.Logger {
	level := slog.LevelWarn
	if cmd.Bool("verbose") {
		level = slog.LevelInfo
	}
	return slog.New(newLogHandler(cmd.Root().ErrWriter, cmd.String("log-format"), level))
}

// ---- the mode: where the clients come from --------------------------------

// env is what a command works against: the clients of one mode.
type env struct {
	kafka   []kgo.Opt
	aws     sdkaws.Config // for Athena, Glue crawlers, setup
	s3      *s3.Client
	catalog *catalog.Catalog
	// localDir maps an S3 folder to its directory, objectName a file or
	// directory there to its S3 name (local mode only).
	localDir   func(bucket, prefix string) (string, error)
	objectName func(path string, dir bool) (string, bool)
	dataDir    emulate.DataDir
	close      func()
}

// openEnv builds the clients. In local mode with embed set, it starts the
// embedded stack in this process unless a `pipeline emulate` already serves
// the data dir, in which case it uses that one.
func openEnv(ctx context.Context, cmd *cli.Command, embed bool) (*env, error) {
	return openEnvFor(ctx, cmd, embed, false)
}

// openEnvToRead is openEnv for a command that only reads (status): in local
// mode the data dir must exist, and neither the topic nor the bucket is
// created, so that what is missing is reported as missing.
func openEnvToRead(ctx context.Context, cmd *cli.Command) (*env, error) {
	return openEnvFor(ctx, cmd, true, true)
}

// bucketCheckTimeout bounds the local S3 endpoint's answer to the bucket's
// creation: an emulator that is stopped (SIGSTOP) accepts connections and
// never answers.
const bucketCheckTimeout = 10 * time.Second

func openEnvFor(ctx context.Context, cmd *cli.Command, embed, readOnly bool) (*env, error) {
	e := &env{dataDir: emulate.DataDir(cmd.String("data-dir")), close: func() {}}
	if cmd.String("mode") == "cloud" {
		brokers := cmd.String("brokers")
		if brokers == "" {
			return nil, errors.New("--mode=cloud needs --brokers (or KAFKA_BROKERS): the Kafka bootstrap servers")
		}
		// The SDK's own chain: credentials, AWS_REGION, AWS_ENDPOINT_URL
		// (and per-service endpoint variables).
		cfg, err := pipeaws.Load(ctx, pipeaws.Options{})
		if err != nil {
			return nil, err
		}
		// The password is read from the environment only, so it never
		// shows in a process listing or shell history.
		e.kafka, err = pipeaws.KafkaOpts(cfg, strings.Split(brokers, ","), pipeaws.KafkaAuth{TLS: cmd.Bool("kafka-tls"),
			SASL: cmd.String("kafka-sasl"), User: cmd.String("kafka-user"), Password: os.Getenv("KAFKA_PASSWORD")})
		if err != nil {
			return nil, err
		}
		e.aws = cfg
		s3cfg := cfg.Copy()
		if ep := cmd.String("s3-endpoint"); ep != "" {
			s3cfg.BaseEndpoint = &ep
		}
		e.s3 = pipeaws.NewS3(s3cfg)
		e.catalog = catalog.New(pipeaws.NewGlueCatalog(cfg))
		return e, nil
	}

	if readOnly {
		// Every data dir ever served has its Kafka folder.
		if _, err := os.Stat(e.dataDir.Kafka()); err != nil {
			return nil, fmt.Errorf("%s is not a data dir (no %s): nothing to report; pass the --data-dir of a run or an emulator",
				e.dataDir, e.dataDir.Kafka())
		}
	} else if err := os.MkdirAll(string(e.dataDir), 0o755); err != nil {
		return nil, fmt.Errorf("data dir %s: %w", e.dataDir, err)
	}
	store, err := emulate.OpenDiskStore(e.dataDir.S3())
	if err != nil {
		return nil, err
	}
	e.localDir, e.objectName = store.PrefixDir, store.EntryName
	cat, err := catalog.OpenFileCatalog(e.dataDir.CatalogDir())
	if err != nil {
		return nil, err
	}
	e.catalog = catalog.New(cat)

	brokers, s3URL := cmd.String("brokers"), cmd.String("s3-endpoint")
	var inProcess http.RoundTripper // the embedded S3, Glue and Athena, if this process serves them
	if brokers == "" || s3URL == "" {
		var url string
		so := &emulate.StackOptions{Topics: []string{cmd.String("topic")}, Crawl: glueCrawl(cmd, e.dataDir, &url),
			AthenaOutput: athenaOutput(cmd), Credentials: emulatorCredentials(cmd), Logger: logger(cmd)}
		if readOnly {
			so.Topics, so.NoAutoCreateTopics = nil, true
		}
		local, err := e.dataDir.Connect(embed, so)
		if err != nil {
			return nil, err
		}
		e.close = local.Close
		brokers, s3URL, url = strings.Join(local.KafkaBrokers, ","), local.S3, local.S3
		inProcess = local.Transport
	}
	e.kafka = []kgo.Opt{kgo.SeedBrokers(strings.Split(brokers, ",")...)}
	cfg, err := pipeaws.Load(ctx, emulatorAWS(cmd, s3URL, inProcess))
	if err != nil {
		e.close()
		return nil, err
	}
	e.aws = cfg // the emulator serves S3, Glue and Athena on one port
	e.s3 = pipeaws.NewS3(cfg)
	if readOnly {
		return e, nil
	}
	bctx, cancel := context.WithTimeout(ctx, bucketCheckTimeout)
	defer cancel()
	if err := pipeline.EnsureBucket(bctx, e.s3, cmd.String("bucket")); err != nil {
		e.close()
		if bctx.Err() != nil && ctx.Err() == nil {
			return nil, fmt.Errorf("the S3 endpoint %s did not answer in %s: is its emulator running, not stopped?", s3URL, bucketCheckTimeout)
		}
		return nil, fmt.Errorf("%w (is the S3 endpoint %s up?)", err, s3URL)
	}
	return e, nil
}

func athenaOutput(cmd *cli.Command) string {
	if o := cmd.String("athena-output"); o != "" {
		return o
	}
	return "s3://" + cmd.String("bucket") + "/athena-results/"
}

// openEngine returns the query engine over the catalog; the local one cuts
// a text at maxValueChars characters (0: keeps every value whole).
func openEngine(ctx context.Context, cmd *cli.Command, e *env, maxValueChars int) (sqlq.Engine, error) {
	if cmd.String("mode") == "cloud" {
		return pipeaws.NewAthena(e.aws, &pipeaws.AthenaOptions{WorkGroup: cmd.String("workgroup"), OutputLocation: athenaOutput(cmd)})
	}
	return duckdb.Open(ctx, e.catalog, &duckdb.Options{LocalDir: e.localDir, ObjectName: e.objectName, MaxValueChars: maxValueChars})
}

// emulatorCredentials are the keys of --emulator-credentials, already
// validated by the flag.
func emulatorCredentials(cmd *cli.Command) []emulate.Credential {
	c, err := emulate.ParseCredentials(cmd.String("emulator-credentials"))
	if err != nil || len(c) == 0 {
		return emulate.DefaultCredentials
	}
	return c
}

// emulatorAWS is the AWS configuration of the local stack's clients at url
// (through transport if not nil): they sign with the first key of
// --emulator-credentials.
func emulatorAWS(cmd *cli.Command, url string, transport http.RoundTripper) pipeaws.Options {
	o := pipeaws.Emulator(url, transport)
	key := emulatorCredentials(cmd)[0]
	o.StaticKey, o.StaticSecret = key.AccessKey, key.Secret
	return o
}

// glueCrawl is what the emulated Glue's StartCrawler runs: our crawler over
// the data dir's own S3 store, into its catalog, grouping the target's
// files into tables as a Glue crawler does (the target path's last folder
// names the table when they make one).
//
// s3URL is filled in once the stack listens, before any request can arrive.
func glueCrawl(cmd *cli.Command, dataDir emulate.DataDir, s3URL *string) emulate.CrawlFunc {
	return func(ctx context.Context, database, s3Path string) error {
		bucket, key, _ := catalog.SplitS3URI(s3Path)
		key = strings.TrimSuffix(key, "/")
		prefix, table := "", key
		if i := strings.LastIndexByte(key, '/'); i >= 0 {
			prefix, table = key[:i+1], key[i+1:]
		}
		cfg, err := pipeaws.Load(ctx, emulatorAWS(cmd, *s3URL, nil))
		if err != nil {
			return err
		}
		fc, err := catalog.OpenFileCatalog(dataDir.CatalogDir())
		if err != nil {
			return err
		}
		_, err = pipeline.Crawl(ctx, pipeaws.NewS3(cfg), catalog.New(fc), pipeline.CrawlOptions{
			Bucket: bucket, Prefix: prefix, Table: table, Database: database, StateFile: dataDir.CrawlerState(), Grouped: true})
		return err
	}
}

// ---- run -------------------------------------------------------------------

func simFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringSliceFlag{Name: "source", Usage: "stock CSV files to take ticks from: paths or globs, repeated or comma-separated; .csv.gz is read too (default: synthetic ticks of 20 symbols)"},
		&cli.StringFlag{Name: "order", Value: string(pipeline.OrderSample), Usage: "how rows of --source are picked: sample (a random row of all the files each tick) or replay (time order, the files merged)",
			Validator: oneOf(string(pipeline.OrderSample), string(pipeline.OrderReplay))},
		&cli.StringFlag{Name: "symbol-column", Usage: "the CSV column with the ticker, when detection cannot tell"},
		&cli.StringFlag{Name: "symbol", Usage: "the symbol of the rows of a --source file with no symbol column (default: from the file name, AAPL.csv -> AAPL)"},
		&cli.StringFlag{Name: "time-column", Usage: "the CSV column with the row's time, when detection cannot tell"},
		&cli.IntFlag{Name: "max-record-bytes", Value: pipeline.DefaultMaxRecordBytes, Usage: "a --source record (line) longer than this is an error"},
		&cli.FloatFlag{Name: "rate", Value: 5000, Usage: "events per second; 0 = as fast as possible"},
		&cli.Int64Flag{Name: "events", Usage: "stop after this many events"},
		&cli.DurationFlag{Name: "duration", Usage: "stop after this long; 0 = until stopped (SIGINT, SIGTERM) or --events (default 10s when --events is not given)"},
		&cli.Int64Flag{Name: "seed", Value: 1, Usage: "random seed of the simulator"},
	}
}

// simSetup builds the source and the pacing from the flags.
func simSetup(cmd *cli.Command) (pipeline.Source, pipeline.SimOptions, func() string, error) {
	opts := pipeline.SimOptions{Rate: cmd.Float("rate"), Events: cmd.Int64("events"), Duration: cmd.Duration("duration")}
	if opts.Events == 0 && !cmd.IsSet("duration") {
		opts.Duration = 10 * time.Second // a demo's bound; --duration 0 asks for none
	}
	if err := opts.Validate(); err != nil {
		return nil, opts, nil, err
	}
	noReport := func() string { return "" }
	if len(cmd.StringSlice("source")) == 0 {
		return pipeline.NewSynthetic(cmd.Int64("seed")), opts, noReport, nil
	}
	if n := cmd.Int("max-record-bytes"); n <= 0 {
		return nil, opts, nil, fmt.Errorf("--max-record-bytes %d: want a positive number of bytes", n)
	}
	paths, err := pipeline.ExpandCSVSources(cmd.StringSlice("source"))
	if err != nil {
		return nil, opts, nil, err
	}
	src, err := pipeline.OpenCSVFiles(paths, &pipeline.CSVOptions{Order: pipeline.Order(cmd.String("order")), Seed: cmd.Int64("seed"),
		SymbolColumn: cmd.String("symbol-column"), TimeColumn: cmd.String("time-column"), Symbol: cmd.String("symbol"),
		MaxRecordBytes: cmd.Int("max-record-bytes")})
	if err != nil {
		return nil, opts, nil, err
	}
	fmt.Fprintln(cmd.Root().Writer, src.Summary())
	return src, opts, src.SkipReport, nil
}

func sinkFlags() []cli.Flag {
	d := pipeline.DefaultSinkOptions
	return []cli.Flag{
		&cli.StringFlag{Name: "group", Value: d.Group, Usage: "consumer group of the sink"},
		&cli.IntFlag{Name: "max-records", Value: d.MaxRecords, Usage: "cut an object at this many records"},
		&cli.StringFlag{Name: "format", Value: d.Format, Usage: "format of the table objects: json (JSON lines) or parquet (compressed columns, far faster to query)",
			Validator: oneOf(catalog.FormatJSON, catalog.FormatParquet)},
		&cli.StringFlag{Name: "compression", Value: d.Compression, Usage: "compression of Parquet objects: " + strings.Join(pipeline.ParquetCompressions, ", ") + " (as Athena's write_compression)",
			Validator: oneOf(pipeline.ParquetCompressions...)},
		&cli.IntFlag{Name: "max-bytes", Value: d.MaxBytes, Usage: "target object size: cut an object at about this many bytes (Parquet's size is estimated before encoding)"},
		&cli.DurationFlag{Name: "max-age", Value: d.MaxAge, Usage: "cut an object when its first record has waited this long"},
		&cli.IntFlag{Name: "max-columns", Value: d.MaxColumns, Usage: "the most columns a table may have: a record that would add one past it is a dead letter"},
		&cli.IntFlag{Name: "max-buffer", Value: d.MaxBuffered, Usage: "bytes the sink may hold in memory (open batches and uploads); objects are cut early to stay within it"},
		&cli.StringFlag{Name: "time-field", Usage: "the records' field whose time (ISO 8601, a date, or seconds or milliseconds since 1970) partitions them by date; default: the Kafka record's timestamp"},
		&cli.StringFlag{Name: "instance-id", Usage: "static membership in the group: a sink restarted with the same id takes its partitions back at once; give each running sink its own (sink default: the host name; \"\" for a dynamic member)",
			Sources: cli.EnvVars("PIPELINE_INSTANCE_ID")},
	}
}

// sinkOptions are the sink's flags, checked before anything starts.
func sinkOptions(cmd *cli.Command) (pipeline.SinkOptions, error) {
	o := pipeline.SinkOptions{Bucket: cmd.String("bucket"), Prefix: cmd.String("prefix"), Topic: cmd.String("topic"),
		Group: cmd.String("group"), Format: cmd.String("format"), MaxRecords: cmd.Int("max-records"), MaxBytes: cmd.Int("max-bytes"), MaxAge: cmd.Duration("max-age"),
		MaxBuffered: cmd.Int("max-buffer"), MaxColumns: cmd.Int("max-columns"), TimeField: cmd.String("time-field")}
	if cmd.IsSet("compression") {
		o.Compression = cmd.String("compression") // refused for JSON lines
	}
	o.InstanceID = cmd.String("instance-id")
	if !cmd.IsSet("instance-id") && cmd.Name == "sink" {
		// A restarted container or host keeps its name: it takes its
		// partitions back without a rebalance.
		o.InstanceID, _ = os.Hostname()
	}
	return o, o.Validate()
}

func runCommand() *cli.Command {
	return &cli.Command{
		Name:  "run",
		Usage: "run the whole pipeline for a bounded time and print the latest tick of each symbol",
		Flags: slices.Concat(simFlags(), sinkFlags(), []cli.Flag{metricsFlag(),
			&cli.StringFlag{Name: "ui", Usage: "serve the dashboard on this address (e.g. " + defaultUIAddr + ") during the run, and after it until interrupted"}},
			dashboardFlags()),
		Action: func(ctx context.Context, cmd *cli.Command) error {
			src, simOpts, skipReport, err := simSetup(cmd)
			if err != nil {
				return err
			}
			sinkOpts, err := sinkOptions(cmd)
			if err != nil {
				return err
			}
			guard, err := guardOptions(cmd)
			if err != nil {
				return err
			}
			e, err := openEnv(ctx, cmd, true)
			if err != nil {
				return err
			}
			defer e.close()
			out := cmd.Root().Writer
			m := observe.NewMetrics()
			sinkOpts.Observer = m
			stopWatch, err := startWatch(ctx, cmd, e, m, watchOptions{group: sinkOpts.Group, progress: true,
				ready: []observe.Check{observe.BucketReachable(e.s3, sinkOpts.Bucket), m.HoldsPartitions()}})
			if err != nil {
				return err
			}
			defer stopWatch()
			var dash *dashboard
			if cmd.String("ui") != "" {
				if dash, err = startDashboard(ctx, cmd, e, "ui", sinkOpts.Group, guard, m.Counters); err != nil {
					return err
				}
				defer dash.stop()
				announce(cmd, slog.LevelInfo, "dashboard: "+dash.url, "dashboard", "url", dash.url)
			}
			interrupted := ctx.Done()
			fmt.Fprintf(out, "streaming ticks to %s for %s...\n", cmd.String("topic"), describeBound(simOpts))
			st, err := pipeline.Run(ctx, pipeline.RunConfig{
				Kafka: slices.Concat(e.kafka, []kgo.Opt{m.KafkaHooks()}), S3: e.s3, Catalog: e.catalog, Source: src, Sim: simOpts, Sink: sinkOpts,
				CrawlState: e.dataDir.CrawlerState(), Logger: logger(cmd),
				Watch: func(p *pipeline.Producer, s *pipeline.Sink) {
					m.AddProducer(p.Stats)
					m.AddSink(s.Stats)
				},
			})
			stopWatch()
			if err != nil && !errors.Is(err, pipeline.ErrNotDelivered) {
				return err
			}
			runErr := err
			// Interrupted or not, report what was stored.
			ctx = context.WithoutCancel(ctx)
			eng, err := openEngine(ctx, cmd, e, 0)
			if err != nil {
				return err
			}
			defer eng.Close()
			t, err := e.catalog.GetTable(ctx, catalog.Database, cmd.String("topic"))
			if errors.Is(err, catalog.ErrNotFound) && runErr == nil && st.Sink.DeadLetters > 0 {
				return fmt.Errorf("no table %s: every one of the %d events went to dead letters (see their reasons with pipeline status --data-dir %s; a --time-field the records lack is the usual cause)",
					cmd.String("topic"), st.Sink.DeadLetters, e.dataDir)
			}
			if err != nil {
				return cmp.Or(runErr, err) // nothing stored: why is the run's error
			}
			res, err := eng.Query(ctx, pipeline.LatestTicksSQL(t))
			if err != nil {
				return err
			}
			if err := sqlq.Print(out, res, "table"); err != nil {
				return err
			}
			count, err := eng.Query(ctx, fmt.Sprintf("SELECT count(*) FROM %s", catalog.QuoteIdent(t.Database)+"."+catalog.QuoteIdent(t.Name)))
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "\nevents produced: %d, objects written: %d, dead letters: %d, rows queryable: %v, elapsed: %s\n",
				st.Produce.Produced, st.Sink.Objects, st.Sink.DeadLetters, count.Rows[0][0], st.Elapsed.Round(time.Millisecond))
			if r := skipReport(); r != "" {
				fmt.Fprintln(out, r)
			}
			fmt.Fprintf(out, "query it: pipeline query --data-dir %s \"SELECT * FROM %s LIMIT 10\"\n", e.dataDir, t.Name)
			if dash != nil && runErr == nil {
				select {
				case <-interrupted: // a Ctrl-C ended the run: it ends the dashboard too
				default:
					fmt.Fprintf(out, "the dashboard is still at %s: Ctrl-C to stop\n", dash.url)
					<-interrupted
				}
			}
			return runErr
		},
	}
}

func describeBound(o pipeline.SimOptions) string {
	var parts []string
	if o.Events > 0 {
		parts = append(parts, fmt.Sprintf("%d events", o.Events))
	}
	if o.Duration > 0 {
		parts = append(parts, o.Duration.String())
	}
	s := strings.Join(parts, " or ")
	if o.Rate > 0 {
		s += fmt.Sprintf(" at %g events/s", o.Rate)
	}
	return s
}

// ---- setup -----------------------------------------------------------------

func setupCommand() *cli.Command {
	return &cli.Command{
		Name:  "setup",
		Usage: "create (idempotently) what the pipeline needs: bucket, catalog database, Athena workgroup, Kafka topic",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "print", Usage: "show the plan and the IAM policy the pipeline needs, and change nothing"},
			&cli.IntFlag{Name: "partitions", Value: emulate.DefaultPartitions, Usage: "partitions of a new topic"},
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			out := cmd.Root().Writer
			bucket, topic, wg := cmd.String("bucket"), cmd.String("topic"), cmd.String("workgroup")
			results := athenaOutput(cmd)
			steps := []string{
				fmt.Sprintf("S3 bucket         s3://%s", bucket),
				fmt.Sprintf("catalog database  %s", catalog.Database),
				fmt.Sprintf("Kafka topic       %s (%d partitions if new)", topic, cmd.Int("partitions")),
			}
			if cmd.String("mode") == "cloud" {
				steps = append(steps, fmt.Sprintf("Athena workgroup  %s, results in %s", wg, results))
			}
			if cmd.Bool("print") {
				fmt.Fprintf(out, "pipeline setup (--mode=%s) would make sure these exist:\n", cmd.String("mode"))
				for _, s := range steps {
					fmt.Fprintln(out, "  "+s)
				}
				fmt.Fprintln(out, "\nIAM policies, one for each role (least privilege):")
				for _, p := range pipeaws.Policies(pipeaws.PolicyScope{Bucket: bucket, Prefix: cmd.String("prefix"), Topic: topic,
					Group: pipeline.DefaultSinkOptions.Group, Database: catalog.Database, WorkGroup: wg, Results: results}) {
					fmt.Fprintf(out, "\n%s\n%s\n", p.Role, p.Policy)
				}
				return nil
			}
			e, err := openEnv(ctx, cmd, true)
			if err != nil {
				return err
			}
			defer e.close()
			if err := pipeline.EnsureBucket(ctx, e.s3, bucket); err != nil {
				return err
			}
			if err := e.catalog.CreateDatabase(ctx, catalog.Database); err != nil {
				return err
			}
			cl, err := kgo.NewClient(e.kafka...)
			if err != nil {
				return err
			}
			defer cl.Close()
			if err := pipeline.EnsureTopic(ctx, cl, topic, int32(cmd.Int("partitions"))); err != nil {
				return err
			}
			if cmd.String("mode") == "cloud" {
				if err := pipeaws.EnsureWorkGroup(ctx, e.aws, wg, results); err != nil {
					return err
				}
			}
			for _, s := range steps {
				fmt.Fprintln(out, "ok  "+s)
			}
			return nil
		},
	}
}

// ---- query -----------------------------------------------------------------

// defaultTableRows is how many rows `query` shows as a table unless told.
const defaultTableRows = 1000

// tableValueChars is the most of a value `query` shows in a table: the
// engine renders no more of a longer one (a list of millions of elements).
const tableValueChars = 10_000

func queryCommand() *cli.Command {
	return &cli.Command{
		Name:      "query",
		Usage:     "answer SQL over the catalog's tables",
		ArgsUsage: `"SELECT ..."`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Value: "table", Usage: "table, csv or json",
				Validator: sqlq.ValidFormat},
			&cli.IntFlag{Name: "max-rows", Value: defaultTableRows, Usage: "rows a table shows (0: all); csv and json print every row (and every value whole: a table cuts them at 10,000 characters)",
				Validator: func(n int) error {
					if n < 0 {
						return fmt.Errorf("--max-rows %d: want 0 (all) or more", n)
					}
					return nil
				}},
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if cmd.Args().Len() != 1 {
				return errors.New(`query takes one SQL statement in quotes, e.g. pipeline query "SELECT count(*) FROM stock_topic"`)
			}
			e, err := openCatalogOnly(ctx, cmd)
			if err != nil {
				return err
			}
			sql, out, format := cmd.Args().First(), cmd.Root().Writer, cmd.String("output")
			valueChars := 0 // CSV and JSON print every value whole
			if format == sqlq.FormatTable {
				valueChars = tableValueChars
			}
			eng, err := openEngine(ctx, cmd, e, valueChars)
			if err != nil {
				return err
			}
			defer eng.Close()
			// Rows are printed as they come: an export of any size takes
			// the memory of one row, a table that of the rows it shows.
			var rw *sqlq.RowWriter
			err = sqlq.QueryEach(ctx, eng, sql, func(cols []sqlq.Column) (err error) {
				rw, err = sqlq.NewRowWriter(out, cols, format)
				if rw != nil {
					rw.TableRows, rw.TableValueChars = cmd.Int("max-rows"), tableValueChars
				}
				return err
			}, func(row []any) error { return rw.Write(row) })
			if err != nil {
				return err
			}
			return rw.Close()
		},
	}
}

// openCatalogOnly is the local env a query needs: the catalog and the object
// files, no running services.
func openCatalogOnly(ctx context.Context, cmd *cli.Command) (*env, error) {
	e := &env{dataDir: emulate.DataDir(cmd.String("data-dir")), close: func() {}}
	if cmd.String("mode") == "cloud" {
		cfg, err := pipeaws.Load(ctx, pipeaws.Options{})
		e.aws = cfg
		return e, err
	}
	if _, err := os.Stat(e.dataDir.CatalogFile()); err != nil {
		if e.dataDir.InUse() {
			return nil, fmt.Errorf("no catalog in %s yet: another pipeline process (a run?) is using it, and a run crawls at its end: query when it has finished", e.dataDir)
		}
		return nil, fmt.Errorf("no catalog in %s: run `pipeline run` (or `pipeline crawl`) with --data-dir %s first", e.dataDir, e.dataDir)
	}
	store, err := emulate.OpenDiskStore(e.dataDir.S3())
	if err != nil {
		return nil, err
	}
	e.localDir, e.objectName = store.PrefixDir, store.EntryName
	cat, err := catalog.OpenFileCatalog(e.dataDir.CatalogDir())
	if err != nil {
		return nil, err
	}
	e.catalog = catalog.New(cat)
	return e, nil
}

// ---- emulate, produce, sink, crawl: the stages as separate processes ------

func emulateCommand() *cli.Command {
	return &cli.Command{
		Name:  "emulate",
		Usage: "serve the embedded Kafka, and S3, Glue and Athena on one port, on 127.0.0.1 for other processes until interrupted",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "kafka-addr", Value: "127.0.0.1:9092", Usage: "Kafka listen address"},
			&cli.StringFlag{Name: "s3-addr", Value: "127.0.0.1:4566", Usage: "S3 listen address"},
			&cli.BoolFlag{Name: "kafka-auto-create", Value: true, Usage: "create a topic a client names in a metadata request, as Apache Kafka does by default (--kafka-auto-create=false: as Amazon MSK)"},
			&cli.BoolFlag{Name: "any-credentials", Usage: "check no signatures: every request, signed with any key or unsigned, acts as the first --emulator-credentials key"},
			&cli.StringSliceFlag{Name: "allow-host", Usage: "also answer requests whose Host is this name or address (only loopback names and addresses otherwise)"},
			&cli.StringSliceFlag{Name: "cors", Usage: "let web pages of this origin (scheme://host[:port], or * for any) call the emulator (none otherwise)"},
			// Test hooks: the crash loop runs the emulator with these.
			&cli.FloatFlag{Name: "fault-s3-put-rate", Usage: "fail this share (0..1) of S3 PUTs with 503 SlowDown (for tests)", Validator: share},
			&cli.FloatFlag{Name: "fault-commit-rate", Usage: "fail this share (0..1) of Kafka offset commits (for tests)", Validator: share},
			&cli.StringSliceFlag{Name: "foreign-bucket", Hidden: true, Usage: "a bucket that exists and belongs to another account: CreateBucket of it is refused (for tests)"},
			&cli.StringFlag{Name: "group", Value: pipeline.DefaultSinkOptions.Group, Usage: "the sink group whose lag --metrics-addr reports"},
			metricsFlag(),
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			dir := emulate.DataDir(cmd.String("data-dir"))
			var url string
			stack, err := emulate.Start(dir, &emulate.StackOptions{KafkaAddr: cmd.String("kafka-addr"), S3Addr: cmd.String("s3-addr"),
				Topics: []string{cmd.String("topic")}, Crawl: glueCrawl(cmd, dir, &url), AthenaOutput: athenaOutput(cmd),
				NoAutoCreateTopics: !cmd.Bool("kafka-auto-create"), Credentials: emulatorCredentials(cmd),
				AnyCredentials: cmd.Bool("any-credentials"), AllowHosts: cmd.StringSlice("allow-host"),
				CORSOrigins: cmd.StringSlice("cors"), Logger: logger(cmd), ForeignBuckets: cmd.StringSlice("foreign-bucket")})
			if err != nil {
				return err
			}
			defer stack.Close()
			ep := stack.Endpoints()
			url = ep.S3
			injectFaults(stack, cmd.Float("fault-s3-put-rate"), cmd.Float("fault-commit-rate"))
			if err := dir.WriteEndpoints(ep); err != nil {
				return err
			}
			out := cmd.Root().Writer
			fmt.Fprintf(out, "kafka: %s\ns3:    %s\nendpoints written to %s; Ctrl-C to stop\n",
				strings.Join(ep.KafkaBrokers, ","), ep.S3, dir.EndpointsFile())
			if cmd.IsSet("metrics-addr") {
				e, err := emulatedEnv(ctx, cmd, dir, ep)
				if err != nil {
					return err
				}
				stopWatch, err := startWatch(ctx, cmd, e, observe.NewMetrics(), watchOptions{group: cmd.String("group"),
					ready: []observe.Check{observe.S3Reachable(e.s3)}})
				if err != nil {
					return err
				}
				defer stopWatch()
			}
			<-ctx.Done()
			fmt.Fprintln(out, "stopping")
			os.Remove(dir.EndpointsFile())
			return nil
		},
	}
}

// injectFaults makes the emulator fail a share of S3 PUTs and of offset
// commits, so that tests of separate processes exercise retries and
// stored-but-uncommitted objects.
func injectFaults(stack *emulate.Stack, putRate, commitRate float64) {
	if putRate > 0 {
		stack.S3.InjectFaults(func(r *http.Request) (int, bool) {
			return http.StatusServiceUnavailable, r.Method == http.MethodPut && rand.Float64() < putRate
		})
	}
	if commitRate > 0 {
		stack.Kafka.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.OffsetCommit}, Count: -1,
			When: func(kmsg.Request) bool { return rand.Float64() < commitRate }})
	}
}

func produceCommand() *cli.Command {
	return &cli.Command{
		Name:  "produce",
		Usage: "stream simulated ticks into Kafka",
		Flags: append(simFlags(), metricsFlag(), kafkaWaitFlag()),
		Action: func(ctx context.Context, cmd *cli.Command) error {
			src, simOpts, skipReport, err := simSetup(cmd)
			if err != nil {
				return err
			}
			e, err := openEnv(ctx, cmd, false)
			if err != nil {
				return err
			}
			defer e.close()
			cl, err := kgo.NewClient(append(e.kafka, pipeline.ProducerClientOpts()...)...)
			if err != nil {
				return err
			}
			defer cl.Close()
			prod := pipeline.NewProducer(cl, cmd.String("topic"))
			m := observe.NewMetrics()
			m.AddProducer(prod.Stats)
			stopWatch, err := startWatch(ctx, cmd, e, m, watchOptions{progress: true})
			if err != nil {
				return err
			}
			defer stopWatch()
			if err := waitForKafka(ctx, cl, cmd.Duration("kafka-wait")); err != nil {
				return err
			}
			if err := pipeline.CheckProduceTopic(ctx, cl, cmd.String("topic")); err != nil {
				return err
			}
			// ctx ends the simulation; records already emitted are still delivered.
			rest := context.WithoutCancel(ctx)
			sim, err := pipeline.Simulate(ctx, src, simOpts, func(ev *pipeline.Event) error { return prod.Emit(rest, ev) })
			flushErr := prod.Flush(context.WithoutCancel(ctx))
			stopWatch()
			st := prod.Stats()
			fmt.Fprintf(cmd.Root().Writer, "produced %d events (%d failed) in %s\n", st.Produced, st.Failed, sim.Elapsed.Round(time.Millisecond))
			if r := skipReport(); r != "" {
				fmt.Fprintln(cmd.Root().Writer, r)
			}
			if err != nil && !errors.Is(err, context.Canceled) {
				return err
			}
			return diskFull(flushErr, cmd, e)
		},
	}
}

// diskFull names a full disk behind records the broker did not take: a
// broker's KAFKA_STORAGE_ERROR, or in local mode a data dir with no room
// left (the emulated broker answers KAFKA_STORAGE_ERROR, which the producer
// retries until its delivery timeout, or UNKNOWN_SERVER_ERROR when a write
// fails anyway). Other errors are returned as they are.
func diskFull(err error, cmd *cli.Command, e *env) error {
	if err == nil {
		return nil
	}
	if cmd.String("mode") == "local" && (errors.Is(err, kerr.KafkaStorageError) || errors.Is(err, kgo.ErrRecordTimeout) ||
		errors.Is(err, kerr.UnknownServerError)) {
		if free, full := emulate.KafkaDiskFull(e.dataDir.Kafka()); full {
			return fmt.Errorf("the local emulator's disk is full (%s has %d bytes free): Kafka could not store the records; free some space and produce again: %w",
				e.dataDir, free, err)
		}
	}
	if errors.Is(err, kerr.KafkaStorageError) {
		return fmt.Errorf("the broker could not store the records on its disk (is it full?): %w", err)
	}
	return err
}

func sinkCommand() *cli.Command {
	return &cli.Command{
		Name:  "sink",
		Usage: "store the topic's records in S3 until interrupted (SIGTERM: flush, commit, exit 0)",
		Flags: append(sinkFlags(), metricsFlag()),
		Action: func(ctx context.Context, cmd *cli.Command) error {
			opts, err := sinkOptions(cmd)
			if err != nil {
				return err
			}
			e, err := openEnv(ctx, cmd, false)
			if err != nil {
				return err
			}
			defer e.close()
			// A sink only checks its bucket (HeadBucket), at once: it
			// never creates one, and needs no s3:CreateBucket.
			if err := pipeline.CheckBucket(ctx, e.s3, opts.Bucket); err != nil {
				return err
			}
			opts.Logger = logger(cmd)
			opts.Catalog = e.catalog
			m := observe.NewMetrics()
			opts.Observer = m
			sink, err := pipeline.NewSink(slices.Concat(e.kafka, []kgo.Opt{m.KafkaHooks()}), e.s3, &opts)
			if err != nil {
				return err
			}
			m.AddSink(sink.Stats)
			stopWatch, err := startWatch(ctx, cmd, e, m, watchOptions{group: opts.Group, progress: true,
				ready: []observe.Check{observe.BucketReachable(e.s3, opts.Bucket), m.HoldsPartitions()}})
			if err != nil {
				return err
			}
			defer stopWatch()
			err = sink.Run(ctx)
			stopWatch()
			st := sink.Stats()
			fmt.Fprintf(cmd.Root().Writer, "stored %d records in %d objects (%d dead letters)\n", st.Records, st.Objects, st.DeadLetters)
			return err
		},
	}
}

func crawlCommand() *cli.Command {
	return &cli.Command{
		Name:  "crawl",
		Usage: "catalog the bucket's folders as tables, with their columns and partitions",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "glue-crawler", Usage: "create (or update) and start this Glue crawler instead of the built-in one"},
			&cli.StringFlag{Name: "role", Usage: "IAM role ARN of the Glue crawler (with --glue-crawler)"},
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			e, err := openEnv(ctx, cmd, true)
			if err != nil {
				return err
			}
			defer e.close()
			if name := cmd.String("glue-crawler"); name != "" {
				if cmd.String("role") == "" {
					return errors.New("--glue-crawler needs --role: the IAM role ARN the crawler runs as")
				}
				path := "s3://" + cmd.String("bucket") + "/" + cmd.String("prefix") + cmd.String("topic") + "/"
				err := pipeaws.RunGlueCrawler(ctx, e.aws, pipeaws.CrawlerSpec{Name: name, Role: cmd.String("role"),
					Database: catalog.Database, S3Path: path})
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.Root().Writer, "Glue crawler %s crawled %s into %s\n", name, path, catalog.Database)
				return nil
			}
			st, err := pipeline.Crawl(ctx, e.s3, e.catalog, pipeline.CrawlOptions{Bucket: cmd.String("bucket"), Prefix: cmd.String("prefix"),
				StateFile: e.dataDir.CrawlerState()})
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.Root().Writer, "crawled %d objects (%d sampled): tables %s, %d new partitions\n",
				st.Objects, st.Sampled, strings.Join(st.Tables, ", "), st.NewPartitions)
			return nil
		},
	}
}

// ---- bench -----------------------------------------------------------------

func benchCommand() *cli.Command {
	d := bench.DefaultOptions
	return &cli.Command{
		Name:  "bench",
		Usage: "measure the local pipeline on generated data (in <data-dir>/bench): a JSON report on stdout, a summary on stderr",
		Flags: []cli.Flag{
			&cli.Int64Flag{Name: "events", Value: d.Events, Usage: "ticks produced by the ceiling and end-to-end phases"},
			&cli.StringFlag{Name: "formats", Value: strings.Join(d.Formats, ","), Usage: "sink formats to measure, comma-separated"},
			&cli.FloatFlag{Name: "rate", Value: d.Rate, Usage: "events per second of the freshness phase"},
			&cli.DurationFlag{Name: "freshness-duration", Value: d.FreshnessDuration, Usage: "how long the freshness phase produces"},
			&cli.StringFlag{Name: "output", Usage: "also write the JSON report to this file"},
			&cli.StringFlag{Name: "cpuprofile", Usage: "write a CPU profile of the whole run to this file (go tool pprof)"},
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if cmd.String("mode") == "cloud" {
				return errors.New("bench measures the local pipeline only: run it without --mode=cloud")
			}
			opts := d
			opts.Events, opts.Rate, opts.FreshnessDuration = cmd.Int64("events"), cmd.Float("rate"), cmd.Duration("freshness-duration")
			opts.Formats = nil
			for _, f := range strings.Split(cmd.String("formats"), ",") {
				opts.Formats = append(opts.Formats, strings.TrimSpace(f))
			}
			opts.Progress, opts.Logger = cmd.Root().ErrWriter, logger(cmd)
			if f := cmd.String("cpuprofile"); f != "" {
				pf, err := os.Create(f)
				if err != nil {
					return fmt.Errorf("cpu profile: %w", err)
				}
				defer pf.Close()
				if err := pprof.StartCPUProfile(pf); err != nil {
					return fmt.Errorf("cpu profile: %w", err)
				}
				defer pprof.StopCPUProfile()
			}
			rep, err := bench.Run(ctx, emulate.DataDir(cmd.String("data-dir")), &opts)
			if err != nil {
				return err
			}
			out, err := rep.JSON()
			if err != nil {
				return err
			}
			if _, err := cmd.Root().Writer.Write(out); err != nil {
				return err
			}
			if f := cmd.String("output"); f != "" {
				if err := os.WriteFile(f, out, 0o644); err != nil {
					return fmt.Errorf("write the report: %w", err)
				}
			}
			return rep.WriteSummary(cmd.Root().ErrWriter)
		},
	}
}
