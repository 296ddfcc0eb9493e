package emulate

// StartCrawler: runs the crawler in the background: the service's CrawlFunc
// once for each S3 target, in order, stopping at the first error.
// GetCrawler reports RUNNING until it ends, then READY with LastCrawl
// SUCCEEDED, FAILED (with the error as ErrorMessage) or CANCELLED (after
// StopCrawler or Close).
//
// Differences from Glue:
//   - The crawl is whatever CrawlFunc does; there is no start-up delay, no
//     STOPPING phase after a run that ends by itself, and no CloudWatch
//     logs (LastCrawl has no LogGroup or LogStream).
//   - A crawl function that panics fails the crawl instead of the process.

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"pipeline/internal/oneline"
)

type startCrawlerInput struct {
	Name string `json:"Name"`
}

type startCrawlerOutput struct{}

func (g *GlueService) startCrawler(_ context.Context, in *startCrawlerInput) (*startCrawlerOutput, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	c, err := g.crawler(in.Name)
	if err != nil {
		return nil, err
	}
	if c.state != crawlerReady {
		return nil, &awsJSONError{Status: http.StatusBadRequest, Type: "CrawlerRunningException", Message: fmt.Sprintf("Crawler with name %s has already started", c.name)}
	}
	if g.ctx.Err() != nil {
		return nil, &awsJSONError{Status: http.StatusServiceUnavailable, Type: "ServiceUnavailableException", Message: "the emulated Glue service is shutting down"}
	}
	ctx, cancel := context.WithCancel(g.ctx)
	c.state, c.started, c.cancel = crawlerRunning, time.Now().UTC(), cancel
	if err := g.saveCrawlers(); err != nil {
		c.state, c.cancel = crawlerReady, nil
		cancel()
		return nil, err
	}
	db, targets, started := c.database, slices.Clone(c.targets), c.started
	g.runs.Add(1)
	go func() {
		defer g.runs.Done()
		defer cancel()
		err := g.runCrawl(ctx, db, targets)
		last := &glueLastCrawl{Status: crawlSucceeded, StartTime: epochPtr(started)}
		switch {
		case err == nil:
		case ctx.Err() != nil:
			last.Status = crawlCancelled
		default:
			last.Status, last.ErrorMessage = crawlFailed, err.Error()
		}
		g.mu.Lock()
		c.state, c.cancel, c.last = crawlerReady, nil, last
		// A failed save leaves the crawl recorded as cancelled: the crawl
		// itself has done its work in the catalog either way.
		g.saveCrawlers()
		g.mu.Unlock()
	}()
	return &startCrawlerOutput{}, nil
}

// runCrawl crawls each target into db.
func (g *GlueService) runCrawl(ctx context.Context, db string, targets []glueS3Target) (err error) {
	if g.crawl == nil {
		return errors.New("the emulated Glue has no crawl function configured (GlueOptions.Crawl)")
	}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("crawl function panicked: %v", p)
		}
	}()
	for _, t := range targets {
		if err := g.crawl(ctx, db, t.Path); err != nil {
			// One line for LastCrawl.ErrorMessage, naming the S3 location.
			msg := strings.TrimPrefix(oneline.Fold(err.Error()), "crawl: ")
			if !strings.Contains(msg, "s3://") {
				msg = t.Path + ": " + msg
			}
			return errors.New(msg)
		}
	}
	return nil
}
