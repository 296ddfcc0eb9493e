package emulate

// GetCrawler
//
// Differences from Glue:
//   - Only the members CreateCrawler keeps (see glue_create_crawler.go),
//     State, CreationTime, LastUpdated (= CreationTime: there is no
//     UpdateCrawler), CrawlElapsedTime, LastCrawl and Version (always 1).

import (
	"context"
	"time"
)

type glueLastCrawl struct {
	Status       string        `json:"Status"`
	ErrorMessage string        `json:"ErrorMessage,omitempty"`
	StartTime    *epochSeconds `json:"StartTime,omitempty"`
}

type glueCrawlerOut struct {
	Name         string `json:"Name"`
	Role         string `json:"Role"`
	DatabaseName string `json:"DatabaseName,omitempty"`
	Description  string `json:"Description,omitempty"`
	TablePrefix  string `json:"TablePrefix,omitempty"`
	Targets      struct {
		S3Targets []glueS3Target `json:"S3Targets"`
	} `json:"Targets"`
	State            string         `json:"State"`
	CrawlElapsedTime int64          `json:"CrawlElapsedTime"`
	CreationTime     *epochSeconds  `json:"CreationTime,omitempty"`
	LastUpdated      *epochSeconds  `json:"LastUpdated,omitempty"`
	LastCrawl        *glueLastCrawl `json:"LastCrawl,omitempty"`
	Version          int64          `json:"Version"`
}

type getCrawlerInput struct {
	Name string `json:"Name"`
}

type getCrawlerOutput struct {
	Crawler glueCrawlerOut `json:"Crawler"`
}

func (g *GlueService) getCrawler(_ context.Context, in *getCrawlerInput) (*getCrawlerOutput, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	c, err := g.crawler(in.Name)
	if err != nil {
		return nil, err
	}
	return &getCrawlerOutput{Crawler: c.shape()}, nil
}

// shape is the crawler as Glue describes it; GlueService.mu must be held.
func (c *glueCrawler) shape() glueCrawlerOut {
	out := glueCrawlerOut{
		Name: c.name, Role: c.role, DatabaseName: c.database, Description: c.description, TablePrefix: c.tablePrefix,
		State: c.state, CreationTime: epochPtr(c.created), LastUpdated: epochPtr(c.created), LastCrawl: c.last, Version: 1,
	}
	out.Targets.S3Targets = c.targets
	if c.state != crawlerReady {
		out.CrawlElapsedTime = time.Since(c.started).Milliseconds()
	}
	return out
}
