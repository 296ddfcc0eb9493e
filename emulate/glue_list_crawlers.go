package emulate

// ListCrawlers: pages of up to MaxResults (1-1000, default 100) crawler
// names, sorted.
//
// Differences from Glue:
//   - Tags is ignored (crawlers have no tags), so every crawler is listed.

import "context"

type listCrawlersInput struct {
	MaxResults *int32            `json:"MaxResults"`
	NextToken  *string           `json:"NextToken"`
	Tags       map[string]string `json:"Tags"`
}

type listCrawlersOutput struct {
	CrawlerNames []string `json:"CrawlerNames"`
	NextToken    *string  `json:"NextToken,omitempty"`
}

func (g *GlueService) listCrawlers(_ context.Context, in *listCrawlersInput) (*listCrawlersOutput, error) {
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
	out := &listCrawlersOutput{CrawlerNames: []string{}}
	for _, name := range g.crawlerNames(after) {
		if len(out.CrawlerNames) == n {
			out.NextToken = pageToken(out.CrawlerNames[n-1])
			break
		}
		out.CrawlerNames = append(out.CrawlerNames, name)
	}
	return out, nil
}
