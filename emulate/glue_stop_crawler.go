package emulate

// StopCrawler: cancels the running crawl's context. The crawler is
// STOPPING until the crawl function returns, then READY with LastCrawl
// CANCELLED.
//
// Differences from Glue:
//   - How soon a crawl stops is up to the crawl function honouring its
//     context.

import (
	"context"
	"fmt"
	"net/http"
)

type stopCrawlerInput struct {
	Name string `json:"Name"`
}

type stopCrawlerOutput struct{}

func (g *GlueService) stopCrawler(_ context.Context, in *stopCrawlerInput) (*stopCrawlerOutput, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	c, err := g.crawler(in.Name)
	if err != nil {
		return nil, err
	}
	switch c.state {
	case crawlerReady:
		return nil, &awsJSONError{Status: http.StatusBadRequest, Type: "CrawlerNotRunningException", Message: fmt.Sprintf("Crawler with name %s is not running", c.name)}
	case crawlerStopping:
		return nil, &awsJSONError{Status: http.StatusBadRequest, Type: "CrawlerStoppingException", Message: fmt.Sprintf("Crawler with name %s is stopping", c.name)}
	}
	c.state = crawlerStopping
	c.cancel()
	return &stopCrawlerOutput{}, nil
}
