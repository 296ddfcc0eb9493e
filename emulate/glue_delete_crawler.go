package emulate

// DeleteCrawler: forgets a crawler; the tables it made stay.
// CrawlerRunningException while it runs.
//
// Differences from Glue: none known.

import (
	"context"
	"fmt"
	"net/http"
)

type deleteCrawlerInput struct {
	Name string `json:"Name"`
}

type deleteCrawlerOutput struct{}

func (g *GlueService) deleteCrawler(_ context.Context, in *deleteCrawlerInput) (*deleteCrawlerOutput, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	c, err := g.crawler(in.Name)
	if err != nil {
		return nil, err
	}
	if c.state != crawlerReady {
		return nil, &awsJSONError{Status: http.StatusBadRequest, Type: "CrawlerRunningException", Message: fmt.Sprintf("Crawler with name %s is running", c.name)}
	}
	delete(g.crawlers, in.Name)
	if err := g.saveCrawlers(); err != nil {
		g.crawlers[in.Name] = c
		return nil, err
	}
	return &deleteCrawlerOutput{}, nil
}
