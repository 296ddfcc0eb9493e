package emulate

// GetCrawlers: pages of up to MaxResults (1-1000, default 100) crawlers,
// sorted by name, each as GetCrawler describes it.
//
// Differences from Glue: as GetCrawler's.

import (
	"context"
	"slices"
	"strings"
)

type getCrawlersInput struct {
	MaxResults *int32  `json:"MaxResults"`
	NextToken  *string `json:"NextToken"`
}

type getCrawlersOutput struct {
	Crawlers  []glueCrawlerOut `json:"Crawlers"`
	NextToken *string          `json:"NextToken,omitempty"`
}

func (g *GlueService) getCrawlers(_ context.Context, in *getCrawlersInput) (*getCrawlersOutput, error) {
	n, err := pageSize(in.MaxResults, 100, 1000)
	if err != nil {
		return nil, err
	}
	after, err := parsePageToken(in.NextToken)
	if err != nil {
		return nil, err
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	out := &getCrawlersOutput{Crawlers: []glueCrawlerOut{}}
	for _, name := range g.crawlerNames(after) {
		if len(out.Crawlers) == n {
			out.NextToken = pageToken(out.Crawlers[n-1].Name)
			break
		}
		out.Crawlers = append(out.Crawlers, g.crawlers[name].shape())
	}
	return out, nil
}

// crawlerNames are the names of the crawlers after the given one, sorted;
// g.mu must be held.
func (g *GlueService) crawlerNames(after string) []string {
	var names []string
	for name := range g.crawlers {
		if name > after {
			names = append(names, name)
		}
	}
	slices.SortFunc(names, strings.Compare)
	return names
}
