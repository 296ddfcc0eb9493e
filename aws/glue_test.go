package aws

import (
	"context"
	"errors"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/glue"
	"github.com/aws/aws-sdk-go-v2/service/glue/types"

	"pipeline/catalog"
	"pipeline/catalog/catalogtest"
	"pipeline/emulate"
)

// startEmulatedGlue serves Glue over a fresh file catalog on an emulator
// port, as the local stack does, and returns an SDK config for it.
func startEmulatedGlue(t *testing.T, opts *emulate.GlueOptions) sdkaws.Config {
	t.Helper()
	store, err := emulate.OpenDiskStore(filepath.Join(t.TempDir(), "s3"))
	if err != nil {
		t.Fatal(err)
	}
	fc, err := catalog.OpenFileCatalog(filepath.Join(t.TempDir(), "catalog"))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := emulate.StartS3(store, "127.0.0.1:0", &emulate.S3Options{Credentials: emulate.DefaultCredentials})
	if err != nil {
		t.Fatal(err)
	}
	g, err := emulate.NewGlue(fc, opts)
	if err != nil {
		t.Fatal(err)
	}
	srv.SetServices(emulate.Services{Glue: g})
	// Our own transport, to close its idle connections before the server:
	// concurrent calls leave spare connections the server would wait for.
	tr := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(func() {
		tr.CloseIdleConnections()
		if err := srv.Close(); err != nil {
			t.Error(err)
		}
		g.Close()
	})
	cfg, err := Load(t.Context(), Options{Region: "us-east-1", Endpoint: srv.URL(), StaticKey: "test", StaticSecret: "test"})
	if err != nil {
		t.Fatal(err)
	}
	cfg.HTTPClient = &http.Client{Transport: tr}
	return cfg
}

// TestGlueCatalogConformance runs the catalog suite through the Glue
// adapter and the emulated Glue over HTTP; pipeline/catalogtest runs it on
// the file catalog directly.
func TestGlueCatalogConformance(t *testing.T) {
	catalogtest.Run(t, func(t *testing.T) catalog.Driver {
		return NewGlueCatalog(startEmulatedGlue(t, nil))
	})
}

func TestGlueCatalogErrorsAreOneLine(t *testing.T) {
	ctx := t.Context()
	cat := catalog.New(NewGlueCatalog(startEmulatedGlue(t, nil)))
	if err := cat.CreateDatabase(ctx, "db"); err != nil {
		t.Fatal(err)
	}
	_, err := cat.GetTable(ctx, "db", "nope")
	if !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("GetTable of a missing table: %v, want ErrNotFound", err)
	}
	var nf *types.EntityNotFoundException
	if !errors.As(err, &nf) {
		t.Errorf("error %v does not keep the SDK's EntityNotFoundException", err)
	}
	if want := "get table db.nope: glue GetTable: EntityNotFoundException: Table nope not found in database db"; err.Error() != want {
		t.Errorf("error = %q\nwant    %q", err, want)
	}

	tbl := catalog.NewTable("db", "t", "s3://b/t/", catalog.FormatJSON)
	tbl.PartitionKeys = []catalog.Column{{Name: "dt", Type: catalog.TypeString}}
	if err := cat.PutTable(ctx, tbl); err != nil {
		t.Fatal(err)
	}
	err = cat.AddPartitions(ctx, "db", "t", []catalog.Partition{
		{Values: []string{"2026-01-01"}, Location: "s3://b/t/dt=2026-01-01/"},
		{Values: []string{"2026-01-02", "extra"}, Location: "s3://b/t/x/"},
	})
	if err == nil || errors.Is(err, catalog.ErrNotFound) || strings.Contains(err.Error(), "\n") ||
		!strings.Contains(err.Error(), "1 of 2 partitions failed, first [2026-01-02 extra]: InvalidInputException:") {
		t.Fatalf("AddPartitions with a bad partition: %v", err)
	}
	parts, err := cat.ListPartitions(ctx, "db", "t")
	if err != nil || len(parts) != 1 {
		t.Fatalf("the good partition was not added: %v, %v", parts, err)
	}
}

// TestGlueCrawlerThroughSDK checks that the SDK reads the emulated
// crawler's shapes: a crawl started with StartCrawler calls the crawl
// function and GetCrawler reports its outcome.
func TestGlueCrawlerThroughSDK(t *testing.T) {
	ctx := t.Context()
	release := make(chan error)
	called := make(chan string, 1)
	cfg := startEmulatedGlue(t, &emulate.GlueOptions{Crawl: func(ctx context.Context, db, path string) error {
		called <- db + " " + path
		return <-release
	}})
	c := glue.NewFromConfig(cfg)
	name := sdkaws.String("ticks")
	if _, err := c.CreateCrawler(ctx, &glue.CreateCrawlerInput{Name: name, Role: sdkaws.String("role"), DatabaseName: sdkaws.String("stock_market"),
		Targets: &types.CrawlerTargets{S3Targets: []types.S3Target{{Path: sdkaws.String("s3://bkt/")}}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.StartCrawler(ctx, &glue.StartCrawlerInput{Name: name}); err != nil {
		t.Fatal(err)
	}
	if got := <-called; got != "stock_market s3://bkt/" {
		t.Fatalf("crawl function called with %q", got)
	}
	out, err := c.GetCrawler(ctx, &glue.GetCrawlerInput{Name: name})
	if err != nil || out.Crawler.State != types.CrawlerStateRunning || len(out.Crawler.Targets.S3Targets) != 1 {
		t.Fatalf("GetCrawler while crawling = %+v, %v", out.Crawler, err)
	}
	var running *types.CrawlerRunningException
	if _, err := c.StartCrawler(ctx, &glue.StartCrawlerInput{Name: name}); !errors.As(err, &running) {
		t.Fatalf("StartCrawler while crawling: %v, want CrawlerRunningException", err)
	}
	release <- errors.New("no such bucket")
	// The crawler is READY as soon as the function's result is recorded,
	// a moment after it returns.
	for {
		out, err = c.GetCrawler(ctx, &glue.GetCrawlerInput{Name: name})
		if err != nil {
			t.Fatal(err)
		}
		if out.Crawler.State == types.CrawlerStateReady {
			break
		}
	}
	if l := out.Crawler.LastCrawl; l == nil || l.Status != types.LastCrawlStatusFailed || sdkaws.ToString(l.ErrorMessage) != "s3://bkt/: no such bucket" {
		t.Fatalf("LastCrawl = %+v", l)
	}
}
