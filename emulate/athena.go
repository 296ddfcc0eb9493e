package emulate

import (
	"cmp"
	"context"
	"crypto/rand"
	"database/sql"
	"database/sql/driver"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	duckdbdriver "github.com/duckdb/duckdb-go/v2"

	"pipeline/catalog"
	"pipeline/internal/oneline"
	"pipeline/sqlq"
	"pipeline/sqlq/duckdb"
)

// This file is the emulated Amazon Athena: the service, its dispatcher, the
// wire shapes shared by several operations, and how a query runs. Each
// operation is in its own athena_<operation>.go, which opens with how it
// differs from real Athena; athena_sql.go bridges Trino SQL to DuckDB.
// Differences that hold for every operation:
//
//   - Queries run in DuckDB (duckdb.Engine) over the catalog's tables, read
//     straight from the emulated S3's files, not in Trino. athena_trino.go
//     rewrites each query so that DuckDB gives Trino's answer, or refuses
//     what it cannot answer as Trino does with a message naming it
//     (NOT_SUPPORTED: ..., FUNCTION_NOT_FOUND: ...); results are rendered
//     as Athena renders them. Type mismatches and Trino syntax DuckDB
//     lacks are worded as Trino's (athena_trino_coerce.go); other errors
//     DuckDB finds itself keep DuckDB's wording ("Binder Error: ...", not
//     "COLUMN_NOT_FOUND: ...").
//   - Statements: SELECT, WITH, VALUES, TABLE, EXPLAIN, SHOW and DESCRIBE
//     (athena_show.go), the DDL of athena_ddl.go, and CREATE TABLE AS
//     SELECT into Parquet (athena_ctas.go). INSERT fails.
//   - A query sees the tables of one database: its QueryExecutionContext's,
//     else the first database its qualified names (db.table) name, else
//     "default". Joins across databases fail.
//   - Query executions, workgroups and named queries are kept in
//     AthenaOptions.StateDir (<data-dir>/athena for the stack), the last
//     MaxExecutions executions;
//     results are kept in memory and, after a restart, read back from
//     their files in S3 (see athena_state.go). Without a StateDir they are
//     gone when the process ends.
//   - Any credentials are accepted and nothing is authorized. There is one
//     data catalog, AwsDataCatalog: the Glue catalog, which the metadata
//     operations (ListDatabases, GetTableMetadata, ...) read. No prepared
//     statements, creating data catalogs, capacity reservations, Spark
//     sessions, tags, result reuse or encryption; those operations are
//     UnknownOperationException.
//   - Column names are lower-cased and an unnamed expression's column is
//     _col<n>, as in Athena; DuckDB's column name decides what is unnamed
//     (anything but a plain or double-quoted identifier).

// AthenaOptions configure an AthenaService. Nil means defaults.
type AthenaOptions struct {
	// OutputLocation is the primary workgroup's query result location, an
	// s3://bucket/prefix/ URI. "" leaves it unset: then every
	// StartQueryExecution must give one, as in Athena.
	OutputLocation string

	// CatalogFile, if set, is the file that holds the catalog (a
	// FileCatalog's dir/catalog.json): a query rebuilds the DuckDB views
	// only when that file changed since the last build. "" rebuilds them
	// before every query. Either way a query sees every table and
	// partition registered before it started, and the files DuckDB's views
	// find (see duckdb.Engine): with CatalogFile set, a first file in a
	// partition folder that had none when the views were built is seen
	// only after the next catalog change.
	CatalogFile string

	// MaxConcurrentQueries is how many queries run at once; the others wait
	// QUEUED. Default runtime.NumCPU().
	MaxConcurrentQueries int

	// MaxExecutions is how many query executions (and their results in
	// memory) are kept; beyond it the oldest finished ones are forgotten.
	// Default 1000.
	MaxExecutions int

	// StateDir keeps the workgroups and query executions (their results
	// are read back from S3), so that they survive a restart. "" keeps
	// them in memory only.
	StateDir string

	// TempDir is where DuckDB spills what does not fit in memory (under
	// the data dir, so that SQL can reach nothing outside it). "" gives
	// each engine a directory of its own.
	TempDir string
}

// athenaPrimary is the workgroup every account has.
const athenaPrimary = "primary"

// athenaEngineVersion is the engine every query reports.
const athenaEngineVersion = "Athena engine version 3"

// athenaMaxBody bounds a request body: a query is at most 256 KiB.
const athenaMaxBody = 1 << 20

// AthenaService serves the Amazon Athena query API (AWS JSON 1.1,
// dispatched on X-Amz-Target AmazonAthena.<Operation>) over the DuckDB
// engine, so that the aws-sdk-go-v2 Athena client, the AWS CLI and other
// tools can query the local catalog's tables. Each query's result is
// written, as Athena does, as <OutputLocation>/<QueryExecutionId>.csv in the
// emulated S3. Serve it with a Router, or on an S3Server with SetServices.
//
// An AthenaService is safe for concurrent use. Close cancels running
// queries.
type AthenaService struct {
	syn      *duckSyntax // parses and prints SQL for the Trino bridge
	d        Catalog
	cat      *catalog.Catalog
	store    *DiskStore
	catFile  string
	tempDir  string
	stateDir string
	maxExec  int
	slots    chan struct{} // one per running query

	ctx    context.Context // cancelled by Close; parent of every query
	cancel context.CancelFunc
	runs   sync.WaitGroup

	// ddlMu makes this process's check-then-act DDL (CREATE ... IF NOT
	// EXISTS, ADD PARTITION) atomic.
	ddlMu sync.Mutex

	// ctasMu guards ctasBusy: the tables and locations of the CTAS
	// statements running, which no other CTAS may take meanwhile.
	ctasMu   sync.Mutex
	ctasBusy []ctasTarget

	enginesMu sync.Mutex
	engines   map[string]*athenaEngine // by database

	mu         sync.Mutex // guards the fields below and every execution's state
	execs      map[string]*athenaExecution
	order      []*athenaExecution // oldest first
	tokens     map[string]string  // ClientRequestToken -> QueryExecutionId
	workGroups map[string]*athenaWorkGroup
	// namedQueries are the saved queries, by NamedQueryId.
	namedQueries map[string]*athenaNamedQuery
	closed       bool
}

// athenaWorkGroup is a workgroup: where its queries' results go.
type athenaWorkGroup struct {
	name, description string
	outputLocation    string
	enforce           bool // the workgroup's OutputLocation overrides the query's
	disabled          bool // no query runs in it
	updated           bool // changed by UpdateWorkGroup (kept even if primary)
	created           time.Time
}

// NewAthena returns an Athena service over the catalog driver d (a
// *catalog.FileCatalog locally) and the S3 store that holds the tables'
// files and receives the results. It fails if opts.OutputLocation is not an
// s3:// URI.
func NewAthena(d Catalog, store *DiskStore, opts *AthenaOptions) (*AthenaService, error) {
	var o AthenaOptions
	if opts != nil {
		o = *opts
	}
	if o.OutputLocation != "" {
		if _, _, err := parseS3URI(o.OutputLocation); err != nil {
			return nil, fmt.Errorf("emulated athena: OutputLocation: %w", err)
		}
	}
	if o.MaxConcurrentQueries <= 0 {
		o.MaxConcurrentQueries = runtime.NumCPU()
	}
	if o.MaxExecutions <= 0 {
		o.MaxExecutions = 1000
	}
	if d == nil || store == nil {
		return nil, errors.New("emulated athena: a catalog driver and an S3 store are required")
	}
	syn, err := openDuckSyntax(context.Background())
	if err != nil {
		return nil, fmt.Errorf("emulated athena: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	a := &AthenaService{
		syn:      syn,
		d:        d,
		cat:      catalog.New(d),
		store:    store,
		catFile:  o.CatalogFile,
		tempDir:  o.TempDir,
		stateDir: o.StateDir,
		maxExec:  o.MaxExecutions,
		slots:    make(chan struct{}, o.MaxConcurrentQueries),
		ctx:      ctx,
		cancel:   cancel,
		engines:  map[string]*athenaEngine{},
		execs:    map[string]*athenaExecution{},
		tokens:   map[string]string{},

		namedQueries: map[string]*athenaNamedQuery{},
		workGroups: map[string]*athenaWorkGroup{athenaPrimary: {
			name: athenaPrimary, outputLocation: o.OutputLocation, created: time.Now().UTC(),
		}},
	}
	if a.stateDir != "" {
		if err := a.loadState(); err != nil {
			cancel()
			syn.Close()
			return nil, err
		}
	}
	return a, nil
}

// Close cancels the queries that are queued or running, waits for them to
// end, and closes the DuckDB engines. Later queries fail at once. It
// returns the first error closing an engine.
func (a *AthenaService) Close() error {
	a.mu.Lock() // StartQueryExecution checks closed and adds to runs under mu
	a.closed = true
	a.cancel()
	a.mu.Unlock()
	a.runs.Wait()
	a.enginesMu.Lock()
	defer a.enginesMu.Unlock()
	var first error
	for db, e := range a.engines {
		e.mu.Lock()
		if e.cur.eng != nil {
			if err := e.cur.eng.Close(); err != nil && first == nil {
				first = err
			}
			e.cur.typer.Close()
			e.cur = engineRef{}
		}
		e.mu.Unlock()
		delete(a.engines, db)
	}
	if err := a.syn.Close(); err != nil && first == nil {
		first = err
	}
	return first
}

// ServeHTTP answers one Athena API call.
func (a *AthenaService) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	op, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), "AmazonAthena.")
	if !ok {
		writeAWSJSONError(w, errUnknownOperation("Athena request without X-Amz-Target: AmazonAthena.<Operation>"))
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, athenaMaxBody+1))
	if err != nil {
		writeAWSJSONError(w, &awsJSONError{Status: http.StatusBadRequest, Type: "SerializationException", Message: "read request body: " + err.Error()})
		return
	}
	if len(body) > athenaMaxBody {
		writeAWSJSONError(w, errInvalidRequest(fmt.Sprintf("request body is over %d bytes", athenaMaxBody)))
		return
	}
	call, ok := athenaOperations[op]
	if !ok {
		writeAWSJSONError(w, errUnknownOperation("Athena operation "+op+" is not emulated"))
		return
	}
	out, err := call(a, r.Context(), body)
	if err != nil {
		writeAWSJSONError(w, err)
		return
	}
	writeAWSJSON(w, out)
}

// athenaOperations are the Athena operations the emulator serves.
var athenaOperations = map[string]func(*AthenaService, context.Context, []byte) (any, error){
	"StartQueryExecution":    serveJSON((*AthenaService).startQueryExecution),
	"GetQueryExecution":      serveJSON((*AthenaService).getQueryExecution),
	"GetQueryResults":        serveJSON((*AthenaService).getQueryResults),
	"StopQueryExecution":     serveJSON((*AthenaService).stopQueryExecution),
	"ListQueryExecutions":    serveJSON((*AthenaService).listQueryExecutions),
	"BatchGetQueryExecution": serveJSON((*AthenaService).batchGetQueryExecution),
	"GetWorkGroup":           serveJSON((*AthenaService).getWorkGroup),
	"ListWorkGroups":         serveJSON((*AthenaService).listWorkGroups),
	"CreateWorkGroup":        serveJSON((*AthenaService).createWorkGroup),
	"ListDataCatalogs":       serveJSON((*AthenaService).listDataCatalogs),
	"GetDataCatalog":         serveJSON((*AthenaService).getDataCatalog),
	"ListDatabases":          serveJSON((*AthenaService).listDatabases),
	"GetDatabase":            serveJSON((*AthenaService).getDatabase),
	"GetTableMetadata":       serveJSON((*AthenaService).getTableMetadata),
	"ListTableMetadata":      serveJSON((*AthenaService).listTableMetadata),
	"UpdateWorkGroup":        serveJSON((*AthenaService).updateWorkGroup),
	"DeleteWorkGroup":        serveJSON((*AthenaService).deleteWorkGroup),
	"CreateNamedQuery":       serveJSON((*AthenaService).createNamedQuery),
	"GetNamedQuery":          serveJSON((*AthenaService).getNamedQuery),
	"BatchGetNamedQuery":     serveJSON((*AthenaService).batchGetNamedQuery),
	"ListNamedQueries":       serveJSON((*AthenaService).listNamedQueries),
	"DeleteNamedQuery":       serveJSON((*AthenaService).deleteNamedQuery),
}

// errInvalidRequest is Athena's client error.
func errInvalidRequest(msg string) error {
	return &awsJSONError{Status: http.StatusBadRequest, Type: "InvalidRequestException", Message: msg}
}

// Query states.
const (
	stateQueued    = "QUEUED"
	stateRunning   = "RUNNING"
	stateSucceeded = "SUCCEEDED"
	stateFailed    = "FAILED"
	stateCancelled = "CANCELLED"
)

// Athena's error categories.
const (
	errCategorySystem = 1
	errCategoryUser   = 2
)

// athenaExecution is one query execution. The fields after mu-guarded are
// read and written under AthenaService.mu.
type athenaExecution struct {
	id, query         string
	params            []string
	database, catalog string
	catalogGiven      bool // QueryExecutionContext.Catalog was set
	databaseGiven     bool
	workGroup         string
	token             string // its ClientRequestToken
	output            string // the result file's s3:// URI
	stmtType, subType string
	runs              bool // a statement the emulator runs
	submitted         time.Time
	cancel            context.CancelFunc
	done              chan struct{} // closed once the state is final

	// mu-guarded
	scanned        int64 // bytes its queries read from the tables' files
	state, reason  string
	category       int
	started, ended time.Time
	result         *athenaResult // SUCCEEDED only, in memory
	stored         *athenaResult // SUCCEEDED only, after a restart: the columns, the rows are in S3
}

// athenaResult is a finished query's result as GetQueryResults serves it.
type athenaResult struct {
	columns     []athenaColumnInfo
	header      bool        // the first row is the column names (DML)
	rows        [][]*string // nil is NULL; the header first if header
	updateCount int64       // rows a CTAS wrote
}

func (x *athenaExecution) finished() bool {
	return x.state == stateSucceeded || x.state == stateFailed || x.state == stateCancelled
}

// newQueryID is a random UUID, as Athena's execution ids are.
func newQueryID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// lookup returns the execution with id, or InvalidRequestException.
func (a *AthenaService) lookup(id string) (*athenaExecution, error) {
	if id == "" {
		return nil, errInvalidRequest("QueryExecutionId is required")
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	x, ok := a.execs[id]
	if !ok {
		return nil, errInvalidRequest("QueryExecution " + id + " was not found")
	}
	return x, nil
}

// add registers a new execution and forgets the oldest finished ones
// beyond maxExec. Called with mu held.
func (a *AthenaService) add(x *athenaExecution) {
	a.execs[x.id] = x
	a.order = append(a.order, x)
	for i := 0; len(a.execs) > a.maxExec && i < len(a.order); {
		old := a.order[i]
		if !old.finished() {
			i++
			continue
		}
		delete(a.execs, old.id)
		a.forgetExecution(old.id)
		a.order = append(a.order[:i], a.order[i+1:]...)
	}
	if len(a.tokens) > 2*a.maxExec {
		for tok, id := range a.tokens {
			if _, ok := a.execs[id]; !ok {
				delete(a.tokens, tok)
			}
		}
	}
}

// finish moves x to a final state unless it is in one (a stopped query
// stays CANCELLED), and records it. Called with mu held.
func (a *AthenaService) finish(x *athenaExecution, state, reason string, category int, res *athenaResult) {
	if x.finished() {
		return
	}
	defer a.saveExecution(x)
	x.state, x.reason, x.category, x.result = state, reason, category, res
	x.ended = time.Now().UTC()
	if x.started.IsZero() {
		x.started = x.ended
	}
	close(x.done)
}

// run runs x in its own goroutine: waits for a slot, runs the query, writes
// the result CSV, and records the outcome.
func (a *AthenaService) run(ctx context.Context, x *athenaExecution) {
	defer a.runs.Done()
	defer x.cancel()
	select {
	case a.slots <- struct{}{}:
		defer func() { <-a.slots }()
	case <-ctx.Done():
		a.mu.Lock()
		a.finish(x, stateCancelled, cancelReason(a.ctx), errCategoryUser, nil)
		a.mu.Unlock()
		return
	}
	a.mu.Lock()
	if x.finished() {
		a.mu.Unlock()
		return
	}
	x.state, x.started = stateRunning, time.Now().UTC()
	a.mu.Unlock()

	res, category, err := a.executeSafely(ctx, x)
	a.mu.Lock()
	defer a.mu.Unlock()
	switch {
	case ctx.Err() != nil:
		a.finish(x, stateCancelled, cancelReason(a.ctx), errCategoryUser, nil)
	case err != nil:
		a.finish(x, stateFailed, a.s3Paths(athenaCoded(oneline.Fold(err.Error()))), category, nil)
	default:
		a.finish(x, stateSucceeded, "", 0, res)
	}
}

// executeSafely is execute, with a panic (a bug of the emulator's) failing
// the query instead of the process.
func (a *AthenaService) executeSafely(ctx context.Context, x *athenaExecution) (res *athenaResult, category int, err error) {
	defer func() {
		if p := recover(); p != nil {
			res, category, err = nil, errCategorySystem, fmt.Errorf("the emulated Athena failed on this statement (a bug, please report it): %v", p)
		}
	}()
	return a.execute(ctx, x)
}

func cancelReason(service context.Context) string {
	if service.Err() != nil {
		return "Query was cancelled: the emulated Athena service was closed"
	}
	return "Query was cancelled by user"
}

// execute runs x's query and writes its result CSV. A failure comes with
// its error category.
func (a *AthenaService) execute(ctx context.Context, x *athenaExecution) (*athenaResult, int, error) {
	if x.catalogGiven && !strings.EqualFold(x.catalog, "AwsDataCatalog") {
		return nil, errCategoryUser, fmt.Errorf("Catalog %s does not exist: the emulated Athena has one data catalog, AwsDataCatalog", x.catalog)
	}
	if x.subType == "CREATE_TABLE_AS_SELECT" {
		return a.executeCTAS(ctx, x)
	}
	if h := ddlHandler(x.subType); h != nil {
		res, err := h(a, ctx, x)
		if err != nil {
			if isErrSQL(err) {
				return nil, errCategoryUser, err
			}
			return nil, errCategorySystem, err
		}
		if err := a.writeResult(x.output, res); err != nil {
			return nil, errCategoryUser, err
		}
		return res, 0, nil
	}
	if !x.runs {
		return nil, errCategoryUser, fmt.Errorf("NOT_SUPPORTED: %s statements are not supported by the emulated Athena, which runs queries (SELECT, WITH, VALUES, EXPLAIN), CREATE TABLE AS SELECT, CREATE EXTERNAL TABLE, CREATE/DROP DATABASE, DROP TABLE, ALTER TABLE ADD/DROP PARTITION, MSCK REPAIR TABLE, CREATE/DROP VIEW, SHOW and DESCRIBE", x.subType)
	}
	db := x.database
	if !x.databaseGiven {
		db = a.inferDatabase(ctx, x.query)
	}
	r, types, category, err := a.query(ctx, x, db, x.query)
	if err != nil {
		return nil, category, err
	}
	res, err := renderResult(r, types, x.query, x.stmtType == stmtDML)
	if err != nil {
		return nil, errCategoryUser, err
	}
	if err := a.writeResult(x.output, res); err != nil {
		return nil, errCategoryUser, err
	}
	return res, 0, nil
}

// inferDatabase is the database a query without a QueryExecutionContext
// database reads: the first of its qualified names' qualifiers that names
// a database of the catalog, else Athena's "default".
func (a *AthenaService) inferDatabase(ctx context.Context, sql string) string {
	seen := map[string]bool{}
	for _, q := range qualifiers(sql) {
		if seen[q] {
			continue
		}
		seen[q] = true
		if _, err := a.cat.ListTables(ctx, q); err == nil {
			return q
		}
	}
	return "default"
}

// query runs a Trino query in database db: bridged to DuckDB
// (athena_trino.go), run on db's engine, with what the bridge tells of
// the result's Trino types. It is x's (with its ExecutionParameters, and
// counting the bytes it reads), or the emulator's own if x is nil. A
// failure comes with its error category.
func (a *AthenaService) query(ctx context.Context, x *athenaExecution, db, trino string) (*sqlq.Result, *bridged, int, error) {
	r, _, types, category, err := a.queryAs(ctx, x, db, trino, false)
	return r, types, category, err
}

// queryAs is query; with raw, the result's values are DuckDB's own, and
// duckTypes its DuckDB types (duckdb.Engine.QueryCountedRaw), for a CTAS to
// write.
func (a *AthenaService) queryAs(ctx context.Context, x *athenaExecution, db, trino string, raw bool) (r *sqlq.Result, duckTypes []string, types *bridged, category int, err error) {
	var params []string
	if x != nil {
		params = x.params
	}
	text, err := rewriteSQL(trino, params)
	if err != nil {
		return nil, nil, nil, errCategoryUser, err
	}
	eng, err := a.engine(ctx, db)
	if err != nil {
		return nil, nil, nil, errCategorySystem, err
	}
	duck := text
	if explain, inner, ok := cutExplain(text); ok {
		var b *bridged
		if b, err = a.bridge(ctx, eng, db, inner); err == nil {
			duck = explain + " " + b.sql
		}
	} else if _, sub, _ := classifyStatement(text); sub == "SELECT" {
		if types, err = a.bridge(ctx, eng, db, text); err == nil {
			duck = types.sql
		}
	}
	if err != nil {
		if isErrSQL(err) {
			return nil, nil, nil, errCategoryUser, err
		}
		return nil, nil, nil, errCategorySystem, err
	}
	var scanned int64
	if raw {
		r, duckTypes, scanned, err = eng.eng.QueryCountedRaw(ctx, duck)
	} else {
		r, scanned, err = eng.eng.QueryCounted(ctx, duck)
	}
	if x != nil {
		a.mu.Lock()
		x.scanned += scanned
		a.mu.Unlock()
	}
	if err != nil {
		var qe *sqlq.QueryError
		if errors.As(err, &qe) {
			return nil, nil, nil, errCategoryUser, ownNames(text, &errSQL{sqlMessage(qe.Msg)})
		}
		return nil, nil, nil, errCategorySystem, err
	}
	return r, duckTypes, types, 0, nil
}

// bridge translates a Trino query read in db to DuckDB SQL for eng.
func (a *AthenaService) bridge(ctx context.Context, eng engineRef, db, text string) (*bridged, error) {
	tables, err := a.cat.ListTables(ctx, db)
	if err != nil && !errors.Is(err, catalog.ErrNotFound) {
		return nil, err
	}
	conn, err := eng.typer.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	schemaExists := func(name string) bool {
		_, err := a.cat.ListTables(ctx, name)
		return !errors.Is(err, catalog.ErrNotFound)
	}
	return trinoToDuckDB(ctx, a.syn, conn, db, tables, text, a.store.BucketExists, schemaExists)
}

// cutExplain splits EXPLAIN [ANALYZE] [(options)] from the query it
// explains.
func cutExplain(text string) (explain, query string, ok bool) {
	toks := tokenizeSQL(text)
	i := nextSignificant(toks, 0)
	if i == len(toks) || !strings.EqualFold(toks[i].text, "EXPLAIN") {
		return "", "", false
	}
	explain = "EXPLAIN"
	i = nextSignificant(toks, i+1)
	if i < len(toks) && strings.EqualFold(toks[i].text, "ANALYZE") {
		explain += " ANALYZE"
		i = nextSignificant(toks, i+1)
	}
	if i < len(toks) && toks[i].is("(") { // Trino's (TYPE ..., FORMAT ...): DuckDB has one kind
		if c := matchParen(toks, i); c > 0 {
			i = nextSignificant(toks, c+1)
		}
	}
	var b strings.Builder
	for _, t := range toks[i:] {
		b.WriteString(t.text)
	}
	return explain, b.String(), true
}

// athenaEngine is the DuckDB engine over one database's tables, and the
// same tables, empty, to type queries on (athena_trino.go).
type athenaEngine struct {
	mu    sync.Mutex // one build or refresh at a time
	cur   engineRef
	stamp os.FileInfo // the catalog file when the views were built
}

// engineRef is an engine and the typing database built with it.
type engineRef struct {
	eng   *duckdb.Engine
	typer *sql.DB
}

// engine returns db's engine with views that reflect the catalog now.
func (a *AthenaService) engine(ctx context.Context, db string) (engineRef, error) {
	a.enginesMu.Lock()
	e := a.engines[db]
	if e == nil {
		e = &athenaEngine{}
		a.engines[db] = e
	}
	a.enginesMu.Unlock()

	e.mu.Lock()
	defer e.mu.Unlock()
	var stamp os.FileInfo
	if a.catFile != "" {
		stamp, _ = os.Stat(a.catFile) // stat before reading: a later change is seen next time
	}
	if e.cur.eng == nil {
		eng, err := duckdb.Open(ctx, a.cat, &duckdb.Options{Database: db, LocalDir: a.store.PrefixDir, TempDir: a.tempDir, CountBytesRead: true, HiveJSON: true,
			ObjectName: a.store.EntryName})
		if err != nil {
			return engineRef{}, err
		}
		typer, err := openTyper(ctx, eng, db)
		if err != nil {
			eng.Close()
			return engineRef{}, err
		}
		e.cur, e.stamp = engineRef{eng: eng, typer: typer}, stamp
		return e.cur, nil
	}
	if stamp == nil || e.stamp == nil || !sameStamp(stamp, e.stamp) {
		if err := e.cur.eng.Refresh(ctx); err != nil {
			return engineRef{}, err
		}
		typer, err := openTyper(ctx, e.cur.eng, db)
		if err != nil {
			return engineRef{}, err
		}
		old := e.cur.typer
		go old.Close() // once the queries typing on it are done
		e.cur.typer, e.stamp = typer, stamp
	}
	return e.cur, nil
}

// openTyper opens an in-memory DuckDB database with empty tables of the
// columns and types of eng's views of db, to bind queries on without
// reading files (json_serialize_plan cannot plan a JSON scan).
func openTyper(ctx context.Context, eng *duckdb.Engine, db string) (*sql.DB, error) {
	rows, err := eng.DB().QueryContext(ctx, `SELECT table_name, column_name, data_type FROM information_schema.columns
		WHERE table_schema = ? ORDER BY table_name, ordinal_position`, db)
	if err != nil {
		return nil, fmt.Errorf("type tables: %w", err)
	}
	defer rows.Close()
	cols := map[string][]string{}
	var order []string
	for rows.Next() {
		var t, c, typ string
		if err := rows.Scan(&t, &c, &typ); err != nil {
			return nil, fmt.Errorf("type tables: %w", err)
		}
		if cols[t] == nil {
			order = append(order, t)
		}
		cols[t] = append(cols[t], catalog.QuoteIdent(c)+" "+typ)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("type tables: %w", err)
	}
	schema := catalog.QuoteIdent(db)
	// search_path is a connection's setting: each one gets it.
	setup := "CREATE SCHEMA IF NOT EXISTS " + schema + "; SET search_path = " + catalog.QuoteLiteral(schema+",main")
	conn, err := duckdbdriver.NewConnector("", func(ex driver.ExecerContext) error {
		_, err := ex.ExecContext(context.Background(), setup, nil)
		return err
	})
	if err != nil {
		return nil, err
	}
	typer := sql.OpenDB(conn)
	var stmts []string
	for _, t := range order {
		stmts = append(stmts, "CREATE TABLE "+schema+"."+catalog.QuoteIdent(t)+" ("+strings.Join(cols[t], ", ")+")")
	}
	stmts = append(stmts, "SET enable_external_access = false", "SET lock_configuration = true")
	for _, q := range stmts {
		if _, err := typer.ExecContext(ctx, q); err != nil {
			typer.Close()
			return nil, fmt.Errorf("type tables: %s: %w", q, err)
		}
	}
	return typer, nil
}

// sameStamp says whether two stats of the catalog file are of the same
// content: the file is replaced whole (renamed over) when it changes.
func sameStamp(a, b os.FileInfo) bool {
	return os.SameFile(a, b) && a.ModTime().Equal(b.ModTime()) && a.Size() == b.Size()
}

// athenaCoded drops the class DuckDB puts before a message the bridge
// itself raised with an Athena error code ("Invalid Input Error:
// DIVISION_BY_ZERO: ..."): Athena's message starts with the code.
func athenaCoded(msg string) string {
	if r := refusalInTry(msg); r != "" {
		return r
	}
	rest, ok := strings.CutPrefix(msg, "Invalid Input Error: ")
	if !ok {
		return msg
	}
	code, _, ok := strings.Cut(rest, ": ")
	if !ok || code == "" || strings.TrimLeft(code, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_") != "" {
		return msg
	}
	return rest
}

// s3Paths rewrites the files of the store that a message names (DuckDB's
// messages name the files it read) as the s3:// objects they hold: Athena
// names objects, and the data dir's place is nobody's business.
func (a *AthenaService) s3Paths(msg string) string {
	root := a.store.root + string(filepath.Separator)
	var b strings.Builder
	for {
		i := strings.Index(msg, root)
		if i < 0 {
			b.WriteString(msg)
			return b.String()
		}
		b.WriteString(msg[:i])
		rest := msg[i+len(root):]
		end := strings.IndexAny(rest, "'\"` ,;()[]\n")
		if end < 0 {
			end = len(rest)
		}
		if bucket, key, ok := a.store.KeyOfPath(root + rest[:end]); ok {
			b.WriteString("s3://" + bucket + "/" + key)
		} else {
			bucket, _, _ := strings.Cut(filepath.ToSlash(rest[:end]), "/")
			b.WriteString("s3://" + bucket + "/")
		}
		msg = rest[end:]
	}
}

// parseS3URI splits s3://bucket/key into bucket and key.
func parseS3URI(uri string) (bucket, key string, err error) {
	bucket, key, ok := catalog.SplitS3URI(uri)
	if !ok {
		return "", "", fmt.Errorf("%q is not an s3:// URI", uri)
	}
	if checkBucketName(bucket) != nil {
		return "", "", fmt.Errorf("%q does not name a valid bucket", uri)
	}
	return bucket, key, nil
}

// parseTableLocation is parseS3URI for a table's or partition's location,
// which must also be a folder the query engine can read: no empty, . or
// .. segment in its prefix.
func parseTableLocation(uri string) (bucket, prefix string, err error) {
	if bucket, prefix, err = parseS3URI(uri); err != nil {
		return "", "", err
	}
	if p := strings.TrimSuffix(prefix, "/"); p != "" {
		for _, seg := range strings.Split(p, "/") {
			if seg == "" || seg == "." || seg == ".." {
				return "", "", fmt.Errorf("%q has an empty, . or .. folder name", uri)
			}
		}
	}
	return bucket, prefix, nil
}

// resultLocation is where a query's result goes under an output location:
// <id>.csv for a DML statement, <id>.txt for the others, as Athena names
// them.
func resultLocation(output, id, stmtType string) string {
	ext := ".txt"
	if stmtType == stmtDML {
		ext = ".csv"
	}
	return strings.TrimSuffix(output, "/") + "/" + id + ext
}

// writeResult stores the result where Athena does: a DML statement's as
// CSV (a header, every value double-quoted, a NULL an empty unquoted
// field), another's as lines of tab-separated values.
func (a *AthenaService) writeResult(uri string, res *athenaResult) error {
	bucket, key, err := parseS3URI(uri)
	if err != nil {
		return err
	}
	if strings.HasSuffix(key, ".txt") {
		var b strings.Builder
		for _, row := range res.rows {
			for i, v := range row {
				if i > 0 {
					b.WriteByte('\t')
				}
				b.WriteString(deref(v))
			}
			b.WriteByte('\n')
		}
		return a.putResult(bucket, key, uri, "text/plain", b.String())
	}
	var b strings.Builder
	writeRow := func(row []*string) {
		for i, v := range row {
			if i > 0 {
				b.WriteByte(',')
			}
			if v != nil {
				b.WriteString(`"` + strings.ReplaceAll(*v, `"`, `""`) + `"`)
			}
		}
		b.WriteByte('\n')
	}
	rows := res.rows
	if !res.header { // the CSV has one anyway
		h := make([]*string, len(res.columns))
		for i := range res.columns {
			h[i] = &res.columns[i].Name
		}
		writeRow(h)
	}
	for _, row := range rows {
		writeRow(row)
	}
	return a.putResult(bucket, key, uri, "text/csv", b.String())
}

func (a *AthenaService) putResult(bucket, key, uri, contentType, body string) error {
	_, err := a.store.PutObject(bucket, key, strings.NewReader(body), int64(len(body)), &PutOptions{Meta: ObjectMeta{ContentType: contentType}})
	if err != nil {
		if hasS3Code(err, "NoSuchBucket") {
			return fmt.Errorf("Unable to verify/create output bucket %s", bucket)
		}
		return fmt.Errorf("write query results to %s: %v", uri, err)
	}
	return nil
}

// Wire shapes, with Athena's member names.

type athenaQueryExecutionContext struct {
	Database *string `json:"Database,omitempty"`
	Catalog  *string `json:"Catalog,omitempty"`
}

type athenaResultConfiguration struct {
	OutputLocation *string `json:"OutputLocation,omitempty"`
}

type athenaEngineVersionShape struct {
	SelectedEngineVersion  string `json:"SelectedEngineVersion"`
	EffectiveEngineVersion string `json:"EffectiveEngineVersion"`
}

var engineVersion = athenaEngineVersionShape{SelectedEngineVersion: "AUTO", EffectiveEngineVersion: athenaEngineVersion}

type athenaErrorShape struct {
	ErrorCategory int    `json:"ErrorCategory"`
	ErrorType     int    `json:"ErrorType"`
	Retryable     bool   `json:"Retryable"`
	ErrorMessage  string `json:"ErrorMessage"`
}

type athenaStatus struct {
	State              string            `json:"State"`
	StateChangeReason  *string           `json:"StateChangeReason,omitempty"`
	SubmissionDateTime *epochSeconds     `json:"SubmissionDateTime,omitempty"`
	CompletionDateTime *epochSeconds     `json:"CompletionDateTime,omitempty"`
	AthenaError        *athenaErrorShape `json:"AthenaError,omitempty"`
}

type athenaStatistics struct {
	EngineExecutionTimeInMillis      int64 `json:"EngineExecutionTimeInMillis"`
	DataScannedInBytes               int64 `json:"DataScannedInBytes"`
	TotalExecutionTimeInMillis       int64 `json:"TotalExecutionTimeInMillis"`
	QueryQueueTimeInMillis           int64 `json:"QueryQueueTimeInMillis"`
	ServicePreProcessingTimeInMillis int64 `json:"ServicePreProcessingTimeInMillis"`
	QueryPlanningTimeInMillis        int64 `json:"QueryPlanningTimeInMillis"`
	ServiceProcessingTimeInMillis    int64 `json:"ServiceProcessingTimeInMillis"`
}

type athenaQueryExecution struct {
	QueryExecutionId      string                      `json:"QueryExecutionId"`
	Query                 string                      `json:"Query"`
	StatementType         string                      `json:"StatementType"`
	SubstatementType      string                      `json:"SubstatementType,omitempty"`
	ResultConfiguration   athenaResultConfiguration   `json:"ResultConfiguration"`
	QueryExecutionContext athenaQueryExecutionContext `json:"QueryExecutionContext"`
	Status                athenaStatus                `json:"Status"`
	Statistics            athenaStatistics            `json:"Statistics"`
	WorkGroup             string                      `json:"WorkGroup"`
	EngineVersion         athenaEngineVersionShape    `json:"EngineVersion"`
	ExecutionParameters   []string                    `json:"ExecutionParameters,omitempty"`
}

// shape is x as Athena describes it. Called with mu held.
func (x *athenaExecution) shape() athenaQueryExecution {
	q := athenaQueryExecution{
		QueryExecutionId:    x.id,
		Query:               x.query,
		StatementType:       x.stmtType,
		SubstatementType:    x.subType,
		ResultConfiguration: athenaResultConfiguration{OutputLocation: &x.output},
		Status:              athenaStatus{State: x.state, SubmissionDateTime: epochPtr(x.submitted), CompletionDateTime: epochPtr(x.ended)},
		WorkGroup:           x.workGroup,
		EngineVersion:       engineVersion,
		ExecutionParameters: x.params,
	}
	if x.databaseGiven {
		q.QueryExecutionContext.Database = &x.database
	}
	if x.catalogGiven {
		q.QueryExecutionContext.Catalog = &x.catalog
	}
	if x.reason != "" {
		q.Status.StateChangeReason = strPtr(x.reason)
	}
	if x.state == stateFailed {
		q.Status.AthenaError = &athenaErrorShape{ErrorCategory: x.category, ErrorType: athenaErrorType(x.category), ErrorMessage: x.reason}
	}
	end := x.ended
	if end.IsZero() {
		end = time.Now().UTC()
	}
	ms := func(d time.Duration) int64 { return max(d.Milliseconds(), 0) }
	switch {
	case !x.started.IsZero():
		q.Statistics.QueryQueueTimeInMillis = ms(x.started.Sub(x.submitted))
		q.Statistics.EngineExecutionTimeInMillis = ms(end.Sub(x.started))
	default:
		q.Statistics.QueryQueueTimeInMillis = ms(end.Sub(x.submitted))
	}
	q.Statistics.TotalExecutionTimeInMillis = ms(end.Sub(x.submitted))
	q.Statistics.DataScannedInBytes = x.scanned
	return q
}

// athenaErrorType is a rough AthenaError.ErrorType: 1000 (system) or 1100
// (user, "query failed").
func athenaErrorType(category int) int {
	if category == errCategorySystem {
		return 1000
	}
	return 1100
}

// athenaColumnInfo is Athena's ColumnInfo.
type athenaColumnInfo struct {
	CatalogName   string `json:"CatalogName"`
	SchemaName    string `json:"SchemaName"`
	TableName     string `json:"TableName"`
	Name          string `json:"Name"`
	Label         string `json:"Label"`
	Type          string `json:"Type"`
	Precision     int    `json:"Precision"`
	Scale         int    `json:"Scale"`
	Nullable      string `json:"Nullable"`
	CaseSensitive bool   `json:"CaseSensitive"`
}

var decimalParams = regexp.MustCompile(`^decimal\((\d+),\s*(\d+)\)$`)

// columnInfo describes a column of sqlq type typ as Athena does: the base
// type name (decimal, array, map, row) with the precision and scale apart.
func columnInfo(name, typ string) athenaColumnInfo {
	c := athenaColumnInfo{CatalogName: "hive", Name: name, Label: name, Type: typ, Nullable: "UNKNOWN"}
	switch {
	case decimalParams.MatchString(typ):
		m := decimalParams.FindStringSubmatch(typ)
		c.Type = "decimal"
		c.Precision, _ = strconv.Atoi(m[1])
		c.Scale, _ = strconv.Atoi(m[2])
	case strings.HasPrefix(typ, "array<"):
		c.Type = "array"
	case strings.HasPrefix(typ, "map<"):
		c.Type = "map"
	case strings.HasPrefix(typ, "struct<"):
		c.Type = "row"
	}
	switch c.Type {
	case "varchar", "json", "varbinary":
		c.Precision = 2147483647
		c.CaseSensitive = c.Type != "varbinary"
	case "bigint":
		c.Precision = 19
	case "integer":
		c.Precision = 10
	case "smallint":
		c.Precision = 5
	case "tinyint":
		c.Precision = 3
	case "double":
		c.Precision = 17
	case "real":
		c.Precision = 24
	case "timestamp", "timestamp with time zone", "time", "time with time zone":
		c.Precision = 3
	}
	return c
}

var plainIdent = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// columnName is Athena's name for result column i that DuckDB named name:
// lower case, or _col<i> for an unnamed expression.
func columnName(i int, name, sql string) string {
	switch {
	case plainIdent.MatchString(name) && !isKeywordLiteral(name),
		strings.Contains(sql, catalog.QuoteIdent(name)):
		return strings.ToLower(name)
	}
	return "_col" + strconv.Itoa(i)
}

func isKeywordLiteral(s string) bool {
	switch strings.ToLower(s) {
	case "true", "false", "null":
		return true
	}
	return false
}

// renderResult renders a DuckDB result as Athena's strings: the header row
// first if header (a DML query), a NULL as nil; types is what the bridge
// tells of the columns' Trino types (nil for none). A column it cannot
// print as Athena would fails the query.
func renderResult(r *sqlq.Result, types *bridged, sql string, header bool) (*athenaResult, error) {
	res := &athenaResult{columns: make([]athenaColumnInfo, len(r.Columns)), header: header}
	precision := make([]int, len(r.Columns))
	kinds := make([]byte, len(r.Columns))
	for i, c := range r.Columns {
		name := c.Name
		if header {
			name = cmp.Or(types.column(i).name, columnName(i, name, sql))
		}
		typ := c.Type
		if types.isUnknown(i) && !strings.Contains(typ, "<") {
			typ = "unknown"
		}
		res.columns[i] = columnInfo(name, typ)
		col := types.column(i)
		switch {
		case typ == "timestamp" || typ == "timestamp with time zone" || typ == "time":
			precision[i] = 3
			if types != nil && types.otherPrecision {
				if col.precision < 0 {
					return nil, fmt.Errorf("NOT_SUPPORTED: the precision of %s column %s (its digits after the second) is not emulated here, in a statement with timestamps of another precision than 3: cast it to timestamp", typ, name)
				}
				precision[i] = col.precision
			}
			res.columns[i].Precision = precision[i]
		case typ == "interval day to second":
			kinds[i] = 'd'
			if types != nil && types.yearMonth {
				kinds[i] = col.interval
			}
		case strings.Contains(typ, "interval"):
			return nil, fmt.Errorf("NOT_SUPPORTED: intervals inside arrays, maps and rows (column %s) are not printed as Athena prints them", name)
		case strings.Contains(typ, "timestamp") && types != nil && types.otherPrecision:
			return nil, fmt.Errorf("NOT_SUPPORTED: timestamps inside arrays, maps and rows (column %s) are not printed as Athena prints them in a statement with timestamps of another precision than 3", name)
		}
	}
	if header {
		h := make([]*string, len(res.columns))
		for i := range res.columns {
			h[i] = &res.columns[i].Name
		}
		res.rows = append(res.rows, h)
	}
	for _, row := range r.Rows {
		out := make([]*string, len(row))
		for i, v := range row {
			switch typ := res.columns[i].Type; {
			case v == nil:
			case typ == "timestamp" || typ == "timestamp with time zone":
				if t, ok := v.(time.Time); ok {
					s := athenaTimestampAt(t, precision[i])
					if typ != "timestamp" {
						s += " UTC"
					}
					out[i] = &s
					continue
				}
			case typ == "time with time zone":
				if s, ok := v.(string); ok && len(s) == len("15:04:05.000") {
					s = timeWithZoneText(s)
					out[i] = &s
					continue
				}
			case typ == "time":
				if s, ok := v.(string); ok && len(s) == len("15:04:05.000") {
					s = strings.TrimSuffix(s[:len("15:04:05")+1+precision[i]], ".")
					out[i] = &s
					continue
				}
			case kinds[i] != 0 || typ == "interval day to second":
				s, err := athenaInterval(fmt.Sprint(v), kinds[i])
				if err != nil {
					return nil, err
				}
				if kinds[i] == 0 { // told by the value: the column's kind
					kinds[i] = 'd'
					if !strings.Contains(s, " ") {
						kinds[i] = 'y'
					}
				}
				out[i] = &s
				continue
			}
			out[i] = athenaText(v, r.Columns[i].Type)
		}
		res.rows = append(res.rows, out)
	}
	for i, k := range kinds {
		if k == 'y' {
			res.columns[i].Type = "interval year to month"
		}
	}
	return res, nil
}

// athenaText renders a normalized sqlq value of type typ as Athena's
// VarCharValue: numbers as Java prints them (1.0E-7), timestamps with at
// least milliseconds ("2026-11-26 10:00:00.123"), one with a time zone in
// UTC ("... UTC"), varbinary as spaced hex bytes ("61 62"). nil is NULL.
func athenaText(v any, typ string) *string {
	var s string
	switch x := v.(type) {
	case nil:
		return nil
	case string:
		s = x
		if typ == "varbinary" {
			s = spacedHex([]byte(x))
		}
	case int64:
		s = strconv.FormatInt(x, 10)
	case float64:
		s = sqlq.JavaDouble(x)
	case bool:
		s = strconv.FormatBool(x)
	case time.Time:
		x = x.UTC()
		switch typ {
		case "date":
			s = x.Format(time.DateOnly)
		case "timestamp with time zone":
			s = athenaTimestamp(x) + " UTC"
		default:
			s = athenaTimestamp(x)
		}
	default:
		s = fmt.Sprint(x)
	}
	return &s
}

// athenaTimestamp renders a timestamp with milliseconds, and more digits
// only if it has them.
func athenaTimestamp(t time.Time) string {
	s := t.Format("2006-01-02 15:04:05.000000000")
	for len(s) > len("2006-01-02 15:04:05.000") && s[len(s)-1] == '0' {
		s = s[:len(s)-1]
	}
	return s
}

func spacedHex(b []byte) string {
	parts := make([]string, len(b))
	for i, c := range b {
		parts[i] = hex.EncodeToString([]byte{c})
	}
	return strings.Join(parts, " ")
}
