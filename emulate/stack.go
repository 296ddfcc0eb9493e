package emulate

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"pipeline/pipeline"
)

// StackOptions configure the local stack. Nil means defaults.
type StackOptions struct {
	KafkaAddr  string // "" = 127.0.0.1, a free port
	S3Addr     string // "" = 127.0.0.1, a free port
	Topics     []string
	Partitions int32
	// Crawl runs a Glue StartCrawler; nil leaves crawlers failing with a
	// clear message.
	Crawl CrawlFunc
	// AthenaOutput is the primary Athena workgroup's query result location
	// (s3://bucket/prefix/); "" leaves it unset, so that each query must
	// give one, as in Athena.
	AthenaOutput string

	// Credentials are the access keys S3, Glue and Athena requests must be
	// signed with; nil means DefaultCredentials (test/test).
	Credentials []Credential
	// AnyCredentials turns signature checks off: every request, signed
	// with any key or not at all, acts as DefaultCredentials' owner.
	AnyCredentials bool
	// AllowHosts and CORSOrigins open the AWS port to other Host names and
	// to web pages (see Guard).
	AllowHosts, CORSOrigins []string
	// Logger receives the emulator's own failures (a full disk); nil
	// discards them.
	Logger *slog.Logger
}

// Stack is the embedded Kafka and S3 over one data directory:
//
//	<dir>/kafka   the broker's log, offsets and group commits
//	<dir>/s3      one file per object (see DiskStore)
//	<dir>/catalog the catalog, served as Glue on the S3 port, and queried
//	              as Athena there
type Stack struct {
	Kafka   *Kafka
	Store   *DiskStore
	S3      *S3Server
	Glue    *GlueService
	Athena  *AthenaService
	Catalog *pipeline.FileCatalog
}

// Endpoints is where a running stack listens; `pipeline emulate` writes it
// to <dir>/endpoints.json for other processes.
type Endpoints struct {
	KafkaBrokers []string `json:"kafka_brokers"`
	S3           string   `json:"s3"`
}

// Start starts Kafka and S3 over dir.
func Start(dir string, opts *StackOptions) (*Stack, error) {
	if opts == nil {
		opts = &StackOptions{}
	}
	k, err := StartKafka(filepath.Join(dir, "kafka"), &KafkaOptions{Addr: opts.KafkaAddr, Topics: opts.Topics, Partitions: opts.Partitions})
	if err != nil {
		return nil, err
	}
	store, err := OpenDiskStore(filepath.Join(dir, "s3"))
	if err != nil {
		k.Close()
		return nil, fmt.Errorf("open s3 store: %w", err)
	}
	cat, err := pipeline.OpenFileCatalog(CatalogDir(dir))
	if err != nil {
		k.Close()
		return nil, err
	}
	creds := opts.Credentials
	if creds == nil {
		creds = DefaultCredentials
	}
	if opts.AnyCredentials {
		creds = nil
	}
	srv, err := StartS3(store, opts.S3Addr, &S3Options{Credentials: creds, AllowHosts: opts.AllowHosts,
		CORSOrigins: opts.CORSOrigins, Logger: opts.Logger})
	if err != nil {
		k.Close()
		return nil, fmt.Errorf("start s3: %w", err)
	}
	glue := NewGlue(cat, &GlueOptions{Crawl: opts.Crawl})
	athena, err := NewAthena(cat, store, &AthenaOptions{
		OutputLocation: opts.AthenaOutput,
		CatalogFile:    filepath.Join(CatalogDir(dir), "catalog.json"), // OpenFileCatalog's file
	})
	if err != nil {
		srv.Close()
		glue.Close()
		k.Close()
		return nil, err
	}
	srv.SetServices(Services{Glue: glue, Athena: athena})
	return &Stack{Kafka: k, Store: store, S3: srv, Glue: glue, Athena: athena, Catalog: cat}, nil
}

// Endpoints returns where the stack listens.
func (s *Stack) Endpoints() Endpoints {
	return Endpoints{KafkaBrokers: s.Kafka.ListenAddrs(), S3: s.S3.URL()}
}

// Close stops the AWS endpoint, then Kafka (which writes its state to disk).
func (s *Stack) Close() error {
	err := s.S3.Close()
	s.Glue.Close()
	s.Athena.Close()
	s.Kafka.Close()
	return err
}

// CatalogDir is where the local catalog of a data dir lives.
func CatalogDir(dir string) string { return filepath.Join(dir, "catalog") }

// EndpointsFile is where `pipeline emulate` records its endpoints.
func EndpointsFile(dir string) string { return filepath.Join(dir, "endpoints.json") }

// WriteEndpoints records e in dir for other processes, replacing the file
// whole so that a process polling for it never reads it half written.
func WriteEndpoints(dir string, e Endpoints) error {
	b, err := json.MarshalIndent(e, "", "  ")
	if err != nil {
		return err
	}
	if err := pipeline.WriteFileAtomic(EndpointsFile(dir), append(b, '\n')); err != nil {
		return fmt.Errorf("write endpoints: %w", err)
	}
	return nil
}

// ReadEndpoints reads what a running `pipeline emulate` recorded in dir.
func ReadEndpoints(dir string) (Endpoints, error) {
	var e Endpoints
	b, err := os.ReadFile(EndpointsFile(dir))
	if err != nil {
		return e, err
	}
	if err := json.Unmarshal(b, &e); err != nil {
		return e, fmt.Errorf("%s is damaged: %w", EndpointsFile(dir), err)
	}
	return e, nil
}
