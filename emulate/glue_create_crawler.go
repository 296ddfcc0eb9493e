package emulate

// CreateCrawler: defines a crawler of S3 targets. With GlueOptions.StateDir
// the definition and its last crawl are kept there and survive a restart
// (a crawl running when the process ends is reported CANCELLED).
//
// Differences from Glue:
//   - Only S3Targets are supported; a crawler with other targets (JDBC,
//     DynamoDB, catalog, Delta, Iceberg, Hudi, MongoDB) is refused with
//     InvalidInputException.
//   - Kept: Name, Role (not checked: no IAM), DatabaseName, Description,
//     TablePrefix, and each S3 target's Path and Exclusions. What the crawl
//     does is up to the service's CrawlFunc, which gets only the database
//     and each path: TablePrefix, Exclusions, Classifiers, Configuration,
//     SchemaChangePolicy, RecrawlPolicy and SampleSize do not affect it.
//   - Schedule, security configuration, Lake Formation settings and Tags
//     are ignored; a crawler runs only when started.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

type glueS3Target struct {
	Path       string   `json:"Path"`
	Exclusions []string `json:"Exclusions,omitempty"`
}

type createCrawlerInput struct {
	Name         string                     `json:"Name"`
	Role         string                     `json:"Role"`
	DatabaseName string                     `json:"DatabaseName"`
	Description  string                     `json:"Description"`
	TablePrefix  string                     `json:"TablePrefix"`
	Targets      map[string]json.RawMessage `json:"Targets"`
}

type createCrawlerOutput struct{}

// Crawler states and last-crawl statuses, as Glue names them.
const (
	crawlerReady    = "READY"
	crawlerRunning  = "RUNNING"
	crawlerStopping = "STOPPING"

	crawlSucceeded = "SUCCEEDED"
	crawlFailed    = "FAILED"
	crawlCancelled = "CANCELLED"
)

// glueCrawler is a crawler's definition and run state, guarded by
// GlueService.mu.
type glueCrawler struct {
	name, role, database, description, tablePrefix string
	targets                                        []glueS3Target
	created                                        time.Time

	state   string
	started time.Time          // the current run's start, while not READY
	cancel  context.CancelFunc // stops the current run
	last    *glueLastCrawl     // nil until a run ends
}

func (g *GlueService) createCrawler(ctx context.Context, in *createCrawlerInput) (*createCrawlerOutput, error) {
	if err := requireName("Name", in.Name); err != nil {
		return nil, err
	}
	if err := requireName("Role", in.Role); err != nil {
		return nil, err
	}
	var targets []glueS3Target
	for kind, raw := range in.Targets {
		if kind == "S3Targets" {
			if err := json.Unmarshal(raw, &targets); err != nil {
				return nil, errInvalidInput("Targets.S3Targets: " + err.Error())
			}
			continue
		}
		var list []json.RawMessage
		if json.Unmarshal(raw, &list) == nil && len(list) == 0 {
			continue // an empty list of another kind is harmless
		}
		return nil, errInvalidInput(fmt.Sprintf("Targets.%s: the emulated Glue crawls S3 targets only", kind))
	}
	if len(targets) == 0 {
		return nil, errInvalidInput("Targets.S3Targets: at least one S3 target is required")
	}
	for i, t := range targets {
		if t.Path == "" {
			return nil, errInvalidInput(fmt.Sprintf("Targets.S3Targets[%d].Path is required", i))
		}
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if _, ok := g.crawlers[in.Name]; ok {
		return nil, errAlreadyExists(fmt.Sprintf("Crawler with name %s already exists", in.Name))
	}
	g.crawlers[in.Name] = &glueCrawler{
		name: in.Name, role: in.Role, database: in.DatabaseName, description: in.Description,
		tablePrefix: in.TablePrefix, targets: slices.Clone(targets), created: time.Now().UTC(), state: crawlerReady,
	}
	if err := g.saveCrawlers(); err != nil {
		delete(g.crawlers, in.Name)
		return nil, err
	}
	return &createCrawlerOutput{}, nil
}

// storedCrawler is a crawler as GlueOptions.StateDir keeps it.
type storedCrawler struct {
	Name        string         `json:"name"`
	Role        string         `json:"role"`
	Database    string         `json:"database,omitempty"`
	Description string         `json:"description,omitempty"`
	TablePrefix string         `json:"table_prefix,omitempty"`
	Targets     []glueS3Target `json:"targets"`
	Created     time.Time      `json:"created"`
	Last        *storedCrawl   `json:"last,omitempty"`
}

type storedCrawl struct {
	Status       string    `json:"status"`
	ErrorMessage string    `json:"error_message,omitempty"`
	Started      time.Time `json:"started"`
}

// saveCrawlers writes every crawler's definition and last crawl to the
// state file (a crawl that is running is saved as cancelled: that is what
// it is if the process ends before it does). g.mu must be held.
func (g *GlueService) saveCrawlers() error {
	if g.stateFile == "" {
		return nil
	}
	list := make([]storedCrawler, 0, len(g.crawlers))
	for _, c := range g.crawlers {
		sc := storedCrawler{Name: c.name, Role: c.role, Database: c.database, Description: c.description,
			TablePrefix: c.tablePrefix, Targets: c.targets, Created: c.created}
		switch {
		case c.state != crawlerReady:
			sc.Last = &storedCrawl{Status: crawlCancelled, ErrorMessage: "the emulator stopped during the crawl", Started: c.started}
		case c.last != nil:
			sc.Last = &storedCrawl{Status: c.last.Status, ErrorMessage: c.last.ErrorMessage, Started: time.Time(deref(c.last.StartTime))}
		}
		list = append(list, sc)
	}
	slices.SortFunc(list, func(a, b storedCrawler) int { return strings.Compare(a.Name, b.Name) })
	if err := writeJSONFile(g.stateFile, list); err != nil {
		return &awsJSONError{Status: http.StatusInternalServerError, Type: "InternalServiceException", Message: "save crawlers: " + err.Error()}
	}
	return nil
}

// loadCrawlers reads the crawlers saveCrawlers wrote, if any.
func (g *GlueService) loadCrawlers() error {
	var list []storedCrawler
	if err := readJSONFile(g.stateFile, &list); err != nil {
		return fmt.Errorf("emulated glue: %w", err)
	}
	for _, sc := range list {
		c := &glueCrawler{name: sc.Name, role: sc.Role, database: sc.Database, description: sc.Description,
			tablePrefix: sc.TablePrefix, targets: sc.Targets, created: sc.Created, state: crawlerReady}
		if sc.Last != nil {
			c.last = &glueLastCrawl{Status: sc.Last.Status, ErrorMessage: sc.Last.ErrorMessage, StartTime: epochPtr(sc.Last.Started)}
		}
		g.crawlers[sc.Name] = c
	}
	return nil
}

// crawler returns the named crawler; g.mu must be held.
func (g *GlueService) crawler(name string) (*glueCrawler, error) {
	if err := requireName("Name", name); err != nil {
		return nil, err
	}
	c, ok := g.crawlers[name]
	if !ok {
		return nil, errEntityNotFound(fmt.Sprintf("Crawler entry with name %s does not exist", name))
	}
	return c, nil
}
