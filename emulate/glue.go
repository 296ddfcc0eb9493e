package emulate

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"pipeline/catalog"
	"pipeline/internal/oneline"
)

// This file is the emulated AWS Glue Data Catalog: the dispatcher, the wire
// shapes shared by several operations and the AWS JSON error helpers. Each
// operation is in its own glue_<operation>.go, which opens with how it
// differs from real Glue. Differences that hold for every operation:
//
//   - Any credentials are accepted and nothing is authorized; CatalogId is
//     ignored (there is one catalog, reported as account 000000000000).
//   - Database and table names are folded to lower case, as Glue does (the
//     catalog keeps them so); columns keep their case.
//   - Only what catalog.Table holds is stored: a table's Owner, Retention,
//     column Parameters and StorageDescriptor fields other than Columns,
//     Location, InputFormat, OutputFormat, SerdeInfo and
//     Parameters["classification"] are dropped. Partitions keep only Values
//     and Location.
//   - No transactions, Lake Formation, tags or resource policies.
//   - Check-then-act operations (CreateTable's existence check,
//     BatchCreatePartition's per-partition errors) are atomic within this
//     process only: another process writing the same catalog file may race.

// glueCatalogID is the account the emulated catalog reports.
const glueCatalogID = "000000000000"

// glueMaxBody bounds a request body: BatchCreatePartition's 100 partitions
// with full storage descriptors fit with room to spare.
const glueMaxBody = 32 << 20

// CrawlFunc runs one crawl of an S3 path (an s3://bucket/prefix/ URL, as the
// crawler's target gives it) into database (as the crawler gives it; "" if
// none). ctx is cancelled when the crawler is stopped or the service
// closed. It is called from its own goroutine, concurrently for different
// crawlers.
type CrawlFunc func(ctx context.Context, database, s3Path string) error

// GlueOptions configure a GlueService. Nil means defaults.
type GlueOptions struct {
	// Crawl runs the crawls that StartCrawler starts. Nil: every crawl
	// fails with a message saying no crawl function is configured.
	Crawl CrawlFunc

	// StateDir keeps the crawlers (definitions and last crawls) in
	// StateDir/crawlers.json, so that they survive a restart. "" keeps
	// them in memory only.
	StateDir string
}

// GlueService serves the AWS Glue Data Catalog API (AWS JSON 1.1, dispatched
// on X-Amz-Target AWSGlue.<Operation>) over a Catalog, so that the
// aws-sdk-go-v2 Glue client, the AWS CLI and other tools can use the local
// catalog. Serve it with a Router, or on an S3Server with SetServices.
//
// A GlueService is safe for concurrent use. Close stops running crawls.
type GlueService struct {
	d     Catalog
	crawl CrawlFunc

	// writeMu makes this process's check-then-act catalog changes atomic.
	writeMu sync.Mutex

	mu        sync.Mutex // guards the fields below
	crawlers  map[string]*glueCrawler
	stateFile string // "" when crawlers are kept in memory only

	ctx    context.Context // cancelled by Close; parent of every crawl
	cancel context.CancelFunc
	runs   sync.WaitGroup
}

// NewGlue returns a Glue service over the catalog d (a *catalog.FileCatalog
// locally), with the crawlers kept in opts.StateDir.
func NewGlue(d Catalog, opts *GlueOptions) (*GlueService, error) {
	if opts == nil {
		opts = &GlueOptions{}
	}
	ctx, cancel := context.WithCancel(context.Background())
	g := &GlueService{
		d:        d,
		crawl:    opts.Crawl,
		crawlers: map[string]*glueCrawler{},
		ctx:      ctx,
		cancel:   cancel,
	}
	if opts.StateDir != "" {
		g.stateFile = filepath.Join(opts.StateDir, glueCrawlersFile)
		if err := g.loadCrawlers(); err != nil {
			cancel()
			return nil, err
		}
	}
	return g, nil
}

// Close cancels running crawls and waits for their functions to return.
// Later crawls fail at once. It returns nil; the error is for io.Closer.
func (g *GlueService) Close() error {
	g.mu.Lock() // StartCrawler checks g.ctx and adds to g.runs under g.mu
	g.cancel()
	g.mu.Unlock()
	g.runs.Wait()
	return nil
}

// ServeHTTP answers one Glue API call.
func (g *GlueService) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	op, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), "AWSGlue.")
	if !ok {
		writeAWSJSONError(w, errUnknownOperation("Glue request without X-Amz-Target: AWSGlue.<Operation>"))
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, glueMaxBody+1))
	if err != nil {
		writeAWSJSONError(w, &awsJSONError{Status: http.StatusBadRequest, Type: "SerializationException", Message: "read request body: " + err.Error()})
		return
	}
	if len(body) > glueMaxBody {
		writeAWSJSONError(w, &awsJSONError{Status: http.StatusRequestEntityTooLarge, Type: "ValidationException", Message: fmt.Sprintf("request body is over %d bytes", glueMaxBody)})
		return
	}
	call, ok := glueOperations[op]
	if !ok {
		writeAWSJSONError(w, errUnknownOperation("Glue operation "+op+" is not emulated"))
		return
	}
	out, err := call(g, r.Context(), body)
	if err != nil {
		writeAWSJSONError(w, err)
		return
	}
	writeAWSJSON(w, out)
}

// glueOperations are the Glue operations the emulator serves.
var glueOperations = map[string]func(*GlueService, context.Context, []byte) (any, error){
	"GetDatabase":          serveJSON((*GlueService).getDatabase),
	"GetDatabases":         serveJSON((*GlueService).getDatabases),
	"CreateDatabase":       serveJSON((*GlueService).createDatabase),
	"GetTable":             serveJSON((*GlueService).getTable),
	"GetTables":            serveJSON((*GlueService).getTables),
	"CreateTable":          serveJSON((*GlueService).createTable),
	"UpdateTable":          serveJSON((*GlueService).updateTable),
	"DeleteTable":          serveJSON((*GlueService).deleteTable),
	"GetPartitions":        serveJSON((*GlueService).getPartitions),
	"BatchCreatePartition": serveJSON((*GlueService).batchCreatePartition),
	"CreateCrawler":        serveJSON((*GlueService).createCrawler),
	"StartCrawler":         serveJSON((*GlueService).startCrawler),
	"StopCrawler":          serveJSON((*GlueService).stopCrawler),
	"GetCrawler":           serveJSON((*GlueService).getCrawler),
	"GetCrawlers":          serveJSON((*GlueService).getCrawlers),
	"ListCrawlers":         serveJSON((*GlueService).listCrawlers),
	"DeleteCrawler":        serveJSON((*GlueService).deleteCrawler),
	"DeleteDatabase":       serveJSON((*GlueService).deleteDatabase),
	"UpdateDatabase":       serveJSON((*GlueService).updateDatabase),
	"GetPartition":         serveJSON((*GlueService).getPartition),
	"CreatePartition":      serveJSON((*GlueService).createPartition),
	"DeletePartition":      serveJSON((*GlueService).deletePartition),
	"BatchDeletePartition": serveJSON((*GlueService).batchDeletePartition),
	"BatchGetPartition":    serveJSON((*GlueService).batchGetPartition),
	"GetTableVersions":     serveJSON((*GlueService).getTableVersions),
	"GetTableVersion":      serveJSON((*GlueService).getTableVersion),
}

// serveJSON makes an operation of a service S from its method: the
// request body is decoded into In (AWS JSON 1.1) for it.
func serveJSON[S, In, Out any](fn func(S, context.Context, *In) (*Out, error)) func(S, context.Context, []byte) (any, error) {
	return func(svc S, ctx context.Context, body []byte) (any, error) {
		in := new(In)
		if len(body) > 0 {
			if err := json.Unmarshal(body, in); err != nil {
				return nil, &awsJSONError{Status: http.StatusBadRequest, Type: "SerializationException", Message: "malformed request body: " + err.Error()}
			}
		}
		return fn(svc, ctx, in)
	}
}

// catalogError turns a driver error into Glue's: ErrNotFound becomes
// EntityNotFoundException with message msg, anything else an
// InternalServiceException.
func catalogError(err error, msg string) error {
	if errors.Is(err, catalog.ErrNotFound) {
		return errEntityNotFound(msg)
	}
	return &awsJSONError{Status: http.StatusInternalServerError, Type: "InternalServiceException", Message: err.Error()}
}

// tableError is catalogError for an operation on table db.name: a missing
// table's message says whether the database or the table is missing.
func (g *GlueService) tableError(ctx context.Context, err error, db, name string) error {
	if !errors.Is(err, catalog.ErrNotFound) {
		return catalogError(err, "")
	}
	if _, err := g.d.GetDatabase(ctx, db); err != nil {
		return errEntityNotFound(fmt.Sprintf("Database %s not found", db))
	}
	return errEntityNotFound(fmt.Sprintf("Table %s not found in database %s", name, db))
}

// requireName answers InvalidInputException when a required name is empty.
func requireName(field, v string) error {
	if v == "" {
		return errInvalidInput(field + " is required")
	}
	if field == "Role" {
		return nil // an ARN or role name, not a NameString
	}
	// Glue's NameString: 1 to 255 characters on one line.
	constraint := ""
	switch {
	case utf8.RuneCountInString(v) > 255:
		constraint = "Member must have length less than or equal to 255"
	case strings.ContainsFunc(v, func(r rune) bool { return r < 0x20 && r != '\t' || r == 0xFFFE || r == 0xFFFF || r == utf8.RuneError }):
		constraint = `Member must satisfy regular expression pattern: [\u0020-\uD7FF\uE000-\uFFFD\uD800\uDC00-\uDBFF\uDFFF\t]*`
	default:
		return nil
	}
	path := strings.Split(field, ".")
	for i, p := range path {
		path[i] = strings.ToLower(p[:1]) + p[1:]
	}
	return &awsJSONError{Status: http.StatusBadRequest, Type: "ValidationException",
		Message: fmt.Sprintf("1 validation error detected: Value at '%s' failed to satisfy constraint: %s", strings.Join(path, "."), constraint)}
}

// checkTableInput checks what CreateTable and UpdateTable both require.
func checkTableInput(db string, in *glueTableInput) error {
	if err := requireName("DatabaseName", db); err != nil {
		return err
	}
	if in == nil {
		return errInvalidInput("TableInput is required")
	}
	return requireName("TableInput.Name", in.Name)
}

// pageToken and parsePageToken make opaque NextTokens from the sort key of
// the last item returned.
func pageToken(last string) *string {
	s := base64.RawURLEncoding.EncodeToString([]byte(last))
	return &s
}

func parsePageToken(tok *string) (string, error) {
	if tok == nil || *tok == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(*tok)
	if err != nil {
		return "", errInvalidInput("NextToken is not one this service returned")
	}
	return string(b), nil
}

// pageSize is MaxResults checked against Glue's range, or def if unset.
func pageSize(max *int32, def, limit int) (int, error) {
	if max == nil {
		return def, nil
	}
	if *max < 1 || int(*max) > limit {
		return 0, &awsJSONError{Status: http.StatusBadRequest, Type: "ValidationException",
			Message: fmt.Sprintf("MaxResults %d is not between 1 and %d", *max, limit)}
	}
	return int(*max), nil
}

// Wire shapes, with Glue's member names. Only the members the emulator uses
// are declared; others in a request are ignored.

type glueColumn struct {
	Name    string  `json:"Name"`
	Type    string  `json:"Type,omitempty"`
	Comment *string `json:"Comment,omitempty"`
}

type glueSerDeInfo struct {
	Name                 *string           `json:"Name,omitempty"`
	SerializationLibrary *string           `json:"SerializationLibrary,omitempty"`
	Parameters           map[string]string `json:"Parameters,omitempty"`
}

type glueStorageDescriptor struct {
	Columns      []glueColumn      `json:"Columns,omitempty"`
	Location     *string           `json:"Location,omitempty"`
	InputFormat  *string           `json:"InputFormat,omitempty"`
	OutputFormat *string           `json:"OutputFormat,omitempty"`
	Compressed   bool              `json:"Compressed"`
	SerdeInfo    *glueSerDeInfo    `json:"SerdeInfo,omitempty"`
	Parameters   map[string]string `json:"Parameters,omitempty"`
}

// glueTableInput is Glue's TableInput.
type glueTableInput struct {
	Name              string                 `json:"Name"`
	Description       *string                `json:"Description,omitempty"`
	StorageDescriptor *glueStorageDescriptor `json:"StorageDescriptor,omitempty"`
	PartitionKeys     []glueColumn           `json:"PartitionKeys,omitempty"`
	ViewOriginalText  *string                `json:"ViewOriginalText,omitempty"`
	ViewExpandedText  *string                `json:"ViewExpandedText,omitempty"`
	TableType         *string                `json:"TableType,omitempty"`
	Parameters        map[string]string      `json:"Parameters,omitempty"`
}

// glueTable is Glue's Table.
type glueTable struct {
	Name                          string                 `json:"Name"`
	DatabaseName                  string                 `json:"DatabaseName"`
	Description                   *string                `json:"Description,omitempty"`
	CreateTime                    *epochSeconds          `json:"CreateTime,omitempty"`
	UpdateTime                    *epochSeconds          `json:"UpdateTime,omitempty"`
	StorageDescriptor             *glueStorageDescriptor `json:"StorageDescriptor,omitempty"`
	PartitionKeys                 []glueColumn           `json:"PartitionKeys"`
	ViewOriginalText              *string                `json:"ViewOriginalText,omitempty"`
	ViewExpandedText              *string                `json:"ViewExpandedText,omitempty"`
	TableType                     string                 `json:"TableType,omitempty"`
	Parameters                    map[string]string      `json:"Parameters,omitempty"`
	IsRegisteredWithLakeFormation bool                   `json:"IsRegisteredWithLakeFormation"`
	CatalogId                     string                 `json:"CatalogId"`
	VersionId                     *string                `json:"VersionId,omitempty"`
}

// gluePartitionInput is Glue's PartitionInput.
type gluePartitionInput struct {
	Values            []string               `json:"Values"`
	StorageDescriptor *glueStorageDescriptor `json:"StorageDescriptor,omitempty"`
}

// gluePartition is Glue's Partition.
type gluePartition struct {
	Values            []string               `json:"Values"`
	DatabaseName      string                 `json:"DatabaseName"`
	TableName         string                 `json:"TableName"`
	CatalogId         string                 `json:"CatalogId"`
	StorageDescriptor *glueStorageDescriptor `json:"StorageDescriptor,omitempty"`
}

// epochSeconds is a timestamp as AWS JSON sends it: seconds since the
// epoch, with milliseconds.
type epochSeconds time.Time

func (t epochSeconds) MarshalJSON() ([]byte, error) {
	ms := time.Time(t).UnixMilli()
	return fmt.Appendf(nil, "%d.%03d", ms/1000, ms%1000), nil
}

func epochPtr(t time.Time) *epochSeconds {
	if t.IsZero() {
		return nil
	}
	e := epochSeconds(t)
	return &e
}

func strPtr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// deref is *p, or the zero value for nil.
func deref[T any](p *T) T {
	if p == nil {
		var zero T
		return zero
	}
	return *p
}

func toGlueColumns(cs []catalog.Column) []glueColumn {
	if cs == nil {
		return nil
	}
	out := make([]glueColumn, len(cs))
	for i, c := range cs {
		out[i] = glueColumn{Name: c.Name, Type: c.Type, Comment: strPtr(c.Comment)}
	}
	return out
}

func fromGlueColumns(cs []glueColumn) []catalog.Column {
	if cs == nil {
		return nil
	}
	out := make([]catalog.Column, len(cs))
	for i, c := range cs {
		out[i] = catalog.Column{Name: c.Name, Type: c.Type, Comment: deref(c.Comment)}
	}
	return out
}

// tableFromInput maps a TableInput in database db to a pipeline table. The
// table's Format is kept as StorageDescriptor.Parameters["classification"],
// where Glue crawlers put it, falling back to the table's classification
// parameter.
func tableFromInput(db string, in *glueTableInput) *catalog.Table {
	t := &catalog.Table{
		Database:         db,
		Name:             in.Name,
		Description:      deref(in.Description),
		TableType:        deref(in.TableType),
		PartitionKeys:    fromGlueColumns(in.PartitionKeys),
		Parameters:       in.Parameters,
		Format:           in.Parameters["classification"],
		ViewOriginalText: deref(in.ViewOriginalText),
		ViewExpandedText: deref(in.ViewExpandedText),
	}
	switch t.TableType {
	case catalog.TableExternal:
		t.TableType = "" // the model's default
	case "":
		t.NoTableType = true
	}
	if sd := in.StorageDescriptor; sd != nil {
		t.Columns = fromGlueColumns(sd.Columns)
		t.Location = deref(sd.Location)
		t.InputFormat = deref(sd.InputFormat)
		t.OutputFormat = deref(sd.OutputFormat)
		if sd.SerdeInfo != nil {
			t.SerDeLibrary = deref(sd.SerdeInfo.SerializationLibrary)
			t.SerDeParameters = sd.SerdeInfo.Parameters
		}
		if f, ok := sd.Parameters["classification"]; ok {
			t.Format = f
		}
	}
	if t.Format == "" {
		t.Format = formatOf(t.InputFormat, t.SerDeLibrary)
	}
	return t
}

// formatOf is the format of a table that names no classification (as a
// table made by Athena DDL or another tool): known from its input format or
// SerDe, else "".
func formatOf(inputFormat, serde string) string {
	switch lib := strings.ToLower(inputFormat + " " + serde); {
	case strings.Contains(lib, "parquet"):
		return catalog.FormatParquet
	case strings.Contains(lib, "json"):
		return catalog.FormatJSON
	}
	return ""
}

// storageDescriptor is t's storage descriptor with the given location;
// withColumns false leaves the columns out.
func storageDescriptor(t *catalog.Table, location string, withColumns bool) *glueStorageDescriptor {
	sd := &glueStorageDescriptor{
		Location:     strPtr(location),
		InputFormat:  strPtr(t.InputFormat),
		OutputFormat: strPtr(t.OutputFormat),
		SerdeInfo:    &glueSerDeInfo{SerializationLibrary: strPtr(t.SerDeLibrary), Parameters: t.SerDeParameters},
	}
	if withColumns {
		sd.Columns = toGlueColumns(t.Columns)
	}
	if t.Format != "" {
		sd.Parameters = map[string]string{"classification": t.Format}
	}
	return sd
}

// tableToGlue maps a pipeline table to Glue's Table; version is its
// VersionId, or 0 for none.
func tableToGlue(t *catalog.Table, version int) glueTable {
	pk := toGlueColumns(t.PartitionKeys)
	if pk == nil {
		pk = []glueColumn{} // Glue always sends the list
	}
	out := glueTable{
		Name:             t.Name,
		DatabaseName:     t.Database,
		Description:      strPtr(t.Description),
		CatalogId:        glueCatalogID,
		CreateTime:       epochPtr(cmp.Or(t.CreatedAt, t.UpdatedAt)),
		UpdateTime:       epochPtr(t.UpdatedAt),
		PartitionKeys:    pk,
		ViewOriginalText: strPtr(t.ViewOriginalText),
		ViewExpandedText: strPtr(t.ViewExpandedText),
		TableType:        cmp.Or(t.TableType, catalog.TableExternal),
		Parameters:       t.Parameters,
	}
	if t.NoTableType {
		out.TableType = t.TableType
	}
	// A table created without a storage descriptor has none.
	if len(t.Columns) > 0 || t.Location != "" || t.InputFormat != "" || t.OutputFormat != "" || t.SerDeLibrary != "" || len(t.SerDeParameters) > 0 {
		out.StorageDescriptor = storageDescriptor(t, t.Location, true)
	}
	if version > 0 {
		out.VersionId = strPtr(strconv.Itoa(version))
	}
	return out
}

// AWS JSON errors, shared by the emulated services.

// awsJSONError is an AWS JSON protocol error: sent with its HTTP status as
// {"__type": Type, "Message": Message} and the X-Amzn-ErrorType header.
type awsJSONError struct {
	Status  int
	Type    string
	Message string
}

func (e *awsJSONError) Error() string { return e.Type + ": " + e.Message }

func errEntityNotFound(msg string) error {
	return &awsJSONError{Status: http.StatusBadRequest, Type: "EntityNotFoundException", Message: msg}
}

func errAlreadyExists(msg string) error {
	return &awsJSONError{Status: http.StatusBadRequest, Type: "AlreadyExistsException", Message: msg}
}

func errInvalidInput(msg string) error {
	return &awsJSONError{Status: http.StatusBadRequest, Type: "InvalidInputException", Message: msg}
}

func errUnknownOperation(msg string) error {
	return &awsJSONError{Status: http.StatusBadRequest, Type: "UnknownOperationException", Message: msg}
}

// writeAWSJSON sends a successful AWS JSON 1.1 response.
func writeAWSJSON(w http.ResponseWriter, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeAWSJSONError(w, err)
		return
	}
	setAWSJSONHeaders(w)
	w.WriteHeader(http.StatusOK)
	w.Write(b)
}

// writeAWSJSONError sends err as an AWS JSON error; an error that is not an
// *awsJSONError is an InternalFailure (500).
func writeAWSJSONError(w http.ResponseWriter, err error) {
	var e *awsJSONError
	if !errors.As(err, &e) {
		e = &awsJSONError{Status: http.StatusInternalServerError, Type: "InternalFailure", Message: err.Error()}
	}
	// One line: a message is never more than that.
	msg := oneline.Fold(e.Message)
	b, _ := json.Marshal(struct {
		Type    string `json:"__type"`
		Message string `json:"Message"`
	}{e.Type, msg})
	setAWSJSONHeaders(w)
	w.Header().Set("X-Amzn-ErrorType", e.Type)
	w.WriteHeader(e.Status)
	w.Write(b)
}

func setAWSJSONHeaders(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-RequestId", requestID())
}

// requestID is a random request id like AWS's.
func requestID() string {
	var b [16]byte
	rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
