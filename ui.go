package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/urfave/cli/v3"

	"pipeline/internal/httpguard"
	"pipeline/observe"
	"pipeline/pipeline"
	"pipeline/ui"
)

// defaultUIAddr is where `pipeline ui` listens unless told: this machine only.
const defaultUIAddr = "127.0.0.1:8080"

// dashboardFlags are the dashboard's exceptions to "this machine's pages
// only" and its console's bound.
func dashboardFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringSliceFlag{Name: "allow-host", Usage: "a host name or address the dashboard may be reached by, besides localhost and loopback addresses (repeat for more)"},
		&cli.StringSliceFlag{Name: "cors", Usage: "an origin (http://host:port) whose pages may call the dashboard's API (repeat for more); none by default"},
		&cli.DurationFlag{Name: "query-timeout", Value: ui.DefaultQueryTimeout, Usage: "stop a query of the dashboard's SQL console after this long (it runs two at a time)",
			Validator: func(d time.Duration) error {
				if d <= 0 {
					return fmt.Errorf("--query-timeout %s: want a positive duration, such as 60s", d)
				}
				return nil
			}},
	}
}

func uiCommand() *cli.Command {
	return &cli.Command{
		Name:  "ui",
		Usage: "serve the dashboard until interrupted: live prices from the topic, counters and lag, the catalog, a SQL console",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "addr", Value: defaultUIAddr, Usage: "listen address of the dashboard"},
			&cli.StringFlag{Name: "group", Value: pipeline.DefaultSinkOptions.Group, Usage: "the sink's consumer group, whose lag the dashboard shows"},
		}, dashboardFlags()...),
		Action: func(ctx context.Context, cmd *cli.Command) error {
			guard, err := guardOptions(cmd)
			if err != nil {
				return err
			}
			e, err := openEnv(ctx, cmd, true)
			if err != nil {
				return err
			}
			defer e.close()
			d, err := startDashboard(ctx, cmd, e, "addr", cmd.String("group"), guard, nil)
			if err != nil {
				return err
			}
			defer d.stop()
			fmt.Fprintf(cmd.Root().Writer, "dashboard: %s (Ctrl-C to stop)\n", d.url)
			<-ctx.Done()
			return nil
		},
	}
}

func guardOptions(cmd *cli.Command) (httpguard.Options, error) {
	o := httpguard.Options{AllowHosts: cmd.StringSlice("allow-host"), CORSOrigins: cmd.StringSlice("cors")}
	return o, o.Validate()
}

// dashboardURL is where a browser on this machine opens the dashboard
// listening on a: a listener on every interface (0.0.0.0, ::) is opened on
// loopback. local says whether only this machine can reach it.
func dashboardURL(a net.Addr) (url string, local bool) {
	ta, ok := a.(*net.TCPAddr)
	if !ok {
		return "http://" + a.String() + "/", false
	}
	if ta.IP.IsUnspecified() { // Go listens on both IPv4 and IPv6 there
		return "http://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(ta.Port)) + "/", false
	}
	return "http://" + ta.String() + "/", ta.IP.IsLoopback()
}

// dashboard is a dashboard being served.
type dashboard struct {
	url  string
	stop func()
}

// startDashboard serves the dashboard of e on the address of the flag
// addrFlag: prices from the topic, the group's lag, the catalog and bucket, a
// SQL console over the engine `query` uses, and counters if this process
// runs stages (counters non-nil).
func startDashboard(ctx context.Context, cmd *cli.Command, e *env, addrFlag, group string, guard httpguard.Options,
	counters func() observe.Counters) (*dashboard, error) {
	addr := cmd.String(addrFlag)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--%s %s: %w: pass another address", addrFlag, addr, err)
	}
	// Outlives an interrupted run, which still stores and reports.
	dctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	var closers []func()
	fail := func(err error) (*dashboard, error) {
		cancel()
		ln.Close()
		for _, c := range closers {
			c()
		}
		return nil, err
	}
	topic := cmd.String("topic")
	eng, err := openEngine(ctx, cmd, e, ui.MaxValueChars)
	if err != nil {
		return fail(err)
	}
	closers = append(closers, func() { eng.Close() })
	cl, err := kgo.NewClient(e.kafka...)
	if err != nil {
		return fail(fmt.Errorf("dashboard: kafka client: %w", err))
	}
	closers = append(closers, cl.Close)
	adm := kadm.NewClient(cl)
	feed, err := ui.StartTickFeed(dctx, e.kafka, topic, nil)
	if err != nil {
		return fail(err)
	}
	offsets := observe.WatchOffsets(dctx, adm, topic, group, offsetsInterval)
	h := ui.Handler(ui.Options{
		Topic: topic, Feed: feed, Engine: eng, Guard: guard, QueryTimeout: cmd.Duration("query-timeout"),
		Stats: func() ui.Stats {
			var st ui.Stats
			if o, err, ok := offsets.Latest(); ok && err == nil {
				st.Offsets = &o
			} else if err != nil {
				st.OffsetsError = err.Error()
			}
			if counters != nil {
				c := counters()
				st.Counters = &c
			}
			return st
		},
		Status: func(ctx context.Context) (*observe.Status, error) {
			return observe.ReadStatus(ctx, observe.StatusSources{Kafka: adm, S3: e.s3, Catalog: e.catalog,
				Bucket: cmd.String("bucket"), Prefix: cmd.String("prefix"), Topic: topic, Group: group})
		},
	})
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ErrorLog: log.New(io.Discard, "", 0)}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	url, local := dashboardURL(ln.Addr())
	if !local {
		announce(cmd, slog.LevelWarn, "warning: the dashboard listens on "+ln.Addr().String()+
			", not only this machine: anyone who reaches the port can read every table with its SQL console (the Host check stops DNS rebinding, it is not a login)",
			"the dashboard listens beyond this machine: anyone who reaches the port can read every table with its SQL console", "addr", ln.Addr().String())
	}
	return &dashboard{url: url, stop: func() {
		cancel() // ends the feed, which ends the pages' event streams
		sctx, scancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer scancel()
		if err := srv.Shutdown(sctx); err != nil {
			srv.Close()
		}
		<-served
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
	}}, nil
}
