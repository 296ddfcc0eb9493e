package emulate

// What the emulated Athena keeps across restarts, with
// AthenaOptions.StateDir: the workgroups (workgroups.json), the named
// queries (named_queries.json) and each query
// execution (executions/<id>.json: the query, its context, state, times,
// statistics and its result's columns). A result's rows are read back from
// its result file in S3, as Athena reads them; a query that was queued or
// running when the process ended is FAILED after the restart.

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

type storedWorkGroup struct {
	Name           string    `json:"name"`
	Description    string    `json:"description,omitempty"`
	OutputLocation string    `json:"output_location,omitempty"`
	Enforce        bool      `json:"enforce,omitempty"`
	Disabled       bool      `json:"disabled,omitempty"`
	Created        time.Time `json:"created"`
}

type storedNamedQuery struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Description string    `json:"description,omitempty"`
	Database    string    `json:"database"`
	Query       string    `json:"query"`
	WorkGroup   string    `json:"work_group"`
	Token       string    `json:"client_request_token,omitempty"`
	Created     time.Time `json:"created"`
}

type storedExecution struct {
	ID            string             `json:"id"`
	Query         string             `json:"query"`
	Params        []string           `json:"params,omitempty"`
	Database      string             `json:"database,omitempty"`
	DatabaseGiven bool               `json:"database_given,omitempty"`
	Catalog       string             `json:"catalog,omitempty"`
	CatalogGiven  bool               `json:"catalog_given,omitempty"`
	WorkGroup     string             `json:"work_group"`
	Output        string             `json:"output"`
	StmtType      string             `json:"statement_type"`
	SubType       string             `json:"substatement_type"`
	Token         string             `json:"client_request_token,omitempty"`
	Submitted     time.Time          `json:"submitted"`
	Started       time.Time          `json:"started,omitzero"`
	Ended         time.Time          `json:"ended,omitzero"`
	State         string             `json:"state"`
	Reason        string             `json:"reason,omitempty"`
	Category      int                `json:"category,omitempty"`
	Scanned       int64              `json:"scanned,omitempty"`
	Columns       []athenaColumnInfo `json:"columns,omitempty"`
	Header        bool               `json:"header,omitempty"`
	UpdateCount   int64              `json:"update_count,omitempty"`
}

func (a *AthenaService) executionFile(id string) string {
	return filepath.Join(a.stateDir, athenaExecutionsDir, id+".json")
}

// saveExecution records x; mu must be held. A failure to save is logged in
// the execution's place only by its absence after a restart: the query
// itself has run.
func (a *AthenaService) saveExecution(x *athenaExecution) {
	if a.stateDir == "" {
		return
	}
	s := storedExecution{ID: x.id, Query: x.query, Params: x.params, Database: x.database, DatabaseGiven: x.databaseGiven,
		Catalog: x.catalog, CatalogGiven: x.catalogGiven, WorkGroup: x.workGroup, Output: x.output,
		StmtType: x.stmtType, SubType: x.subType, Token: x.token, Submitted: x.submitted, Started: x.started,
		Ended: x.ended, State: x.state, Reason: x.reason, Category: x.category, Scanned: x.scanned}
	if r := x.result; r != nil {
		s.Columns, s.Header, s.UpdateCount = r.columns, r.header, r.updateCount
	}
	writeJSONFile(a.executionFile(x.id), s)
}

// forgetExecution removes what saveExecution stored; mu must be held.
func (a *AthenaService) forgetExecution(id string) {
	if a.stateDir != "" {
		os.Remove(a.executionFile(id))
	}
}

func (a *AthenaService) saveWorkGroups() error {
	if a.stateDir == "" {
		return nil
	}
	var list []storedWorkGroup
	for _, wg := range a.workGroups {
		if wg.name == athenaPrimary && !wg.updated {
			continue // its settings are the service's options
		}
		list = append(list, storedWorkGroup{Name: wg.name, Description: wg.description, OutputLocation: wg.outputLocation,
			Enforce: wg.enforce, Disabled: wg.disabled, Created: wg.created})
	}
	slices.SortFunc(list, func(a, b storedWorkGroup) int { return strings.Compare(a.Name, b.Name) })
	if err := writeJSONFile(filepath.Join(a.stateDir, athenaWorkGroupsFile), list); err != nil {
		return &awsJSONError{Status: 500, Type: "InternalServerException", Message: "save workgroups: " + err.Error()}
	}
	return nil
}

// saveNamedQueries records the named queries; mu must be held.
func (a *AthenaService) saveNamedQueries() error {
	if a.stateDir == "" {
		return nil
	}
	list := []storedNamedQuery{}
	for _, q := range a.sortedNamedQueries() {
		list = append(list, storedNamedQuery{ID: q.id, Name: q.name, Description: q.description, Database: q.database,
			Query: q.query, WorkGroup: q.workGroup, Token: q.token, Created: q.created})
	}
	if err := writeJSONFile(filepath.Join(a.stateDir, athenaNamedQueriesFile), list); err != nil {
		return &awsJSONError{Status: 500, Type: "InternalServerException", Message: "save named queries: " + err.Error()}
	}
	return nil
}

// loadState reads the workgroups, named queries and executions a previous
// process kept.
func (a *AthenaService) loadState() error {
	var wgs []storedWorkGroup
	if err := readJSONFile(filepath.Join(a.stateDir, athenaWorkGroupsFile), &wgs); err != nil {
		return fmt.Errorf("emulated athena: %w", err)
	}
	var named []storedNamedQuery
	if err := readJSONFile(filepath.Join(a.stateDir, athenaNamedQueriesFile), &named); err != nil {
		return fmt.Errorf("emulated athena: %w", err)
	}
	for _, q := range named {
		a.namedQueries[q.ID] = &athenaNamedQuery{id: q.ID, name: q.Name, description: q.Description, database: q.Database,
			query: q.Query, workGroup: q.WorkGroup, token: q.Token, created: q.Created}
	}
	for _, w := range wgs {
		a.workGroups[w.Name] = &athenaWorkGroup{name: w.Name, description: w.Description, outputLocation: w.OutputLocation,
			enforce: w.Enforce, disabled: w.Disabled, updated: w.Name == athenaPrimary, created: w.Created}
	}
	ents, err := os.ReadDir(filepath.Join(a.stateDir, athenaExecutionsDir))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("emulated athena: %w", err)
	}
	var loaded []*athenaExecution
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		var s storedExecution
		if err := readJSONFile(filepath.Join(a.stateDir, athenaExecutionsDir, e.Name()), &s); err != nil || s.ID == "" {
			continue // a damaged record: that execution is forgotten
		}
		x := &athenaExecution{id: s.ID, query: s.Query, params: s.Params, database: s.Database, databaseGiven: s.DatabaseGiven,
			catalog: s.Catalog, catalogGiven: s.CatalogGiven, workGroup: s.WorkGroup, output: s.Output, stmtType: s.StmtType,
			subType: s.SubType, token: s.Token, submitted: s.Submitted, started: s.Started, ended: s.Ended, state: s.State,
			reason: s.Reason, category: s.Category, scanned: s.Scanned, done: make(chan struct{}), cancel: func() {}}
		if !x.finished() {
			x.state, x.reason, x.category = stateFailed, "The emulated Athena stopped before the query finished", errCategorySystem
			x.ended = x.submitted
		}
		if x.state == stateSucceeded {
			x.stored = &athenaResult{columns: s.Columns, header: s.Header, updateCount: s.UpdateCount}
		}
		close(x.done)
		loaded = append(loaded, x)
	}
	slices.SortFunc(loaded, func(p, q *athenaExecution) int { return p.submitted.Compare(q.submitted) })
	for _, x := range loaded {
		a.add(x)
		if x.token != "" {
			a.tokens[x.token] = x.id
		}
	}
	return nil
}

// storedRows reads a result's rows back from its file in S3: the CSV of a
// query (NULL is an empty unquoted field, "" an empty quoted one), or the
// tab-separated lines of another statement.
func (a *AthenaService) storedRows(x *athenaExecution) ([][]*string, error) {
	bucket, key, err := parseS3URI(x.output)
	if err != nil {
		return nil, err
	}
	f, _, err := a.store.OpenObject(bucket, key, "")
	if err != nil {
		if hasS3Code(err, "NoSuchKey") || hasS3Code(err, "NoSuchBucket") {
			return nil, errInvalidRequest("the result file " + x.output + " of query " + x.id + " is gone")
		}
		return nil, err
	}
	defer f.Close()
	r := bufio.NewReader(f)
	if strings.HasSuffix(key, ".txt") {
		var rows [][]*string
		for {
			line, err := r.ReadString('\n')
			if line != "" {
				var row []*string
				for _, v := range strings.Split(strings.TrimSuffix(line, "\n"), "\t") {
					row = append(row, &v)
				}
				rows = append(rows, row)
			}
			if err == io.EOF {
				return rows, nil
			}
			if err != nil {
				return nil, err
			}
		}
	}
	rows, err := readAthenaCSV(r)
	if err != nil {
		return nil, fmt.Errorf("result file %s: %w", x.output, err)
	}
	if !x.stored.header && len(rows) > 0 {
		rows = rows[1:] // the CSV has a header anyway
	}
	return rows, nil
}

// readAthenaCSV reads the CSV writeResult writes: every value
// double-quoted, a NULL an empty unquoted field.
func readAthenaCSV(r *bufio.Reader) ([][]*string, error) {
	var rows [][]*string
	var row []*string
	for {
		c, err := r.ReadByte()
		if err == io.EOF {
			if row != nil {
				rows = append(rows, row)
			}
			return rows, nil
		}
		if err != nil {
			return nil, err
		}
		switch c {
		case '"':
			var b strings.Builder
			for {
				c, err := r.ReadByte()
				if err != nil {
					return nil, errors.New("unterminated quoted value")
				}
				if c == '"' {
					if next, err := r.Peek(1); err == nil && next[0] == '"' {
						r.ReadByte()
						b.WriteByte('"')
						continue
					}
					break
				}
				b.WriteByte(c)
			}
			s := b.String()
			row = append(row, &s)
			if c, err := r.ReadByte(); err == nil && c == '\n' {
				rows, row = append(rows, row), nil
			} else if err == nil && c != ',' {
				return nil, fmt.Errorf("unexpected %q after a value", c)
			}
		case ',':
			row = append(row, nil) // an empty unquoted field: NULL
		case '\n':
			if row != nil || len(rows) > 0 {
				row = append(row, nil) // a NULL last field
			}
			rows, row = append(rows, row), nil
		default:
			return nil, fmt.Errorf("unexpected %q: a value is quoted", c)
		}
	}
}
