package emulate

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"

	"pipeline/catalog"
	"pipeline/internal/atomicfile"
)

// DataDir is the layout of a local data directory: where the local stack
// keeps everything, and where a command finds the stack serving it. Every
// name in it is spelled here, but for the files of the S3 store (see
// DiskStore) and the catalog's lock, which catalog.FileCatalog keeps beside
// its file.
//
//	kafka/                      the broker's log, offsets and group commits
//	kafka/LOCK                  held (flock) by the one process serving the dir
//	s3/<bucket>/<key>           one file per object (see DiskStore)
//	catalog/catalog.json        the local catalog (catalog.FileCatalog)
//	catalog/catalog.json.lock   its lock, shared by readers, held by a writer
//	catalog/crawler-state.json  the objects the crawler has sampled
//	glue/crawlers.json          the emulated Glue's crawlers
//	athena/workgroups.json      the emulated Athena's workgroups
//	athena/executions/<id>.json its query executions
//	athena/named_queries.json   its saved (named) queries
//	athena/tmp/                 where its DuckDB spills
//	endpoints.json              where a `pipeline emulate` serving the dir listens
//	bench/                      `pipeline bench`'s own data dir, cleared by each run
//	bench.lock                  held by the one `pipeline bench` using bench/
type DataDir string

// The files of the Glue and Athena state directories (GlueOptions.StateDir,
// AthenaOptions.StateDir: DataDir.Glue and DataDir.Athena in a data dir).
const (
	glueCrawlersFile       = "crawlers.json"
	athenaWorkGroupsFile   = "workgroups.json"
	athenaExecutionsDir    = "executions"
	athenaNamedQueriesFile = "named_queries.json"
)

// lockName is the lock file in the Kafka directory: the process holding it
// serves the whole data dir.
const lockName = "LOCK"

// InUse says whether a process serves d now (it holds the lock).
func (d DataDir) InUse() bool {
	if _, err := os.Stat(d.Kafka()); err != nil {
		return false
	}
	unlock, err := lockDir(d.Kafka())
	if err == nil {
		unlock()
	}
	return errors.Is(err, ErrDataDirInUse)
}

// Kafka is the embedded broker's directory.
func (d DataDir) Kafka() string { return filepath.Join(string(d), "kafka") }

// S3 is the root of the S3 store (OpenDiskStore).
func (d DataDir) S3() string { return filepath.Join(string(d), "s3") }

// CatalogDir is the local catalog's directory (catalog.OpenFileCatalog).
func (d DataDir) CatalogDir() string { return filepath.Join(string(d), "catalog") }

// CatalogFile is the local catalog's file: it exists once anything was
// cataloged.
func (d DataDir) CatalogFile() string { return filepath.Join(d.CatalogDir(), catalog.FileCatalogName) }

// CrawlerState is the crawler's memory of the objects it sampled.
func (d DataDir) CrawlerState() string { return filepath.Join(d.CatalogDir(), "crawler-state.json") }

// Glue is the emulated Glue's state (GlueOptions.StateDir).
func (d DataDir) Glue() string { return filepath.Join(string(d), "glue") }

// Athena is the emulated Athena's state (AthenaOptions.StateDir).
func (d DataDir) Athena() string { return filepath.Join(string(d), "athena") }

// AthenaTemp is where the emulated Athena's DuckDB spills
// (AthenaOptions.TempDir): under the data dir, so that its SQL reaches
// nothing outside it.
func (d DataDir) AthenaTemp() string { return filepath.Join(d.Athena(), "tmp") }

// Bench is the data dir of `pipeline bench`'s own stack, inside d.
func (d DataDir) Bench() DataDir { return DataDir(filepath.Join(string(d), "bench")) }

// BenchLock is held by the one `pipeline bench` that uses Bench.
func (d DataDir) BenchLock() string { return filepath.Join(string(d), "bench.lock") }

// EndpointsFile is where `pipeline emulate` records its endpoints.
func (d DataDir) EndpointsFile() string { return filepath.Join(string(d), "endpoints.json") }

// Endpoints is where a running stack listens; `pipeline emulate` writes it
// to the data dir's EndpointsFile for other processes.
type Endpoints struct {
	KafkaBrokers []string `json:"kafka_brokers"`
	S3           string   `json:"s3"`
}

// WriteEndpoints records e for other processes, replacing the file whole so
// that a process polling for it never reads it half written.
func (d DataDir) WriteEndpoints(e Endpoints) error {
	b, err := json.MarshalIndent(e, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFile(d.EndpointsFile(), append(b, '\n')); err != nil {
		return fmt.Errorf("write endpoints: %w", err)
	}
	return nil
}

// ReadEndpoints reads what a running `pipeline emulate` recorded.
func (d DataDir) ReadEndpoints() (Endpoints, error) {
	var e Endpoints
	b, err := os.ReadFile(d.EndpointsFile())
	if err != nil {
		return e, err
	}
	if err := json.Unmarshal(b, &e); err != nil {
		return e, fmt.Errorf("%s is damaged: %w", d.EndpointsFile(), err)
	}
	return e, nil
}

// Local is the local stack a command works against: one this process
// started, or one that another process (`pipeline emulate`) serves the data
// dir with.
type Local struct {
	Endpoints
	// Stack is the stack this process started; nil if another process
	// serves the dir.
	Stack *Stack
	// Transport reaches Stack's S3, Glue and Athena in-process, without a
	// socket; nil if another process serves the dir.
	Transport http.RoundTripper
}

// Close stops the stack if this process started it.
func (l *Local) Close() {
	if l.Stack != nil {
		l.Stack.Close()
	}
}

// Connect returns the stack serving d. With start, it starts one in this
// process (with opts) unless a `pipeline emulate` already serves d, which
// it then uses; without, it only looks for one. Its errors say what to do.
func (d DataDir) Connect(start bool, opts *StackOptions) (*Local, error) {
	if start {
		stack, err := Start(d, opts)
		switch {
		case err == nil:
			return &Local{Endpoints: stack.Endpoints(), Stack: stack, Transport: stack.S3.Transport()}, nil
		case errors.Is(err, ErrDataDirInUse):
			// A `pipeline emulate` serves this dir: use it.
			if _, serr := os.Stat(d.EndpointsFile()); serr != nil {
				return nil, fmt.Errorf("%s is in use by another pipeline process (a run?): wait for it to end or pass another --data-dir", string(d))
			}
		default:
			return nil, err
		}
	}
	ep, err := d.ReadEndpoints()
	if err != nil {
		return nil, fmt.Errorf("no local stack is serving %s: start `pipeline emulate --data-dir %s` or pass --brokers and --s3-endpoint", string(d), string(d))
	}
	return &Local{Endpoints: ep}, nil
}
