package emulate

import (
	"fmt"
	"log/slog"

	"pipeline/catalog"
)

// StackOptions configure the local stack. Nil means defaults.
type StackOptions struct {
	KafkaAddr  string // "" = 127.0.0.1, a free port
	S3Addr     string // "" = 127.0.0.1, a free port
	Topics     []string
	Partitions int32
	// NoAutoCreateTopics: see KafkaOptions.
	NoAutoCreateTopics bool
	// Crawl runs a Glue StartCrawler; nil leaves crawlers failing with a
	// clear message.
	Crawl CrawlFunc
	// AthenaOutput is the primary Athena workgroup's query result location
	// (s3://bucket/prefix/); "" leaves it unset, so that each query must
	// give one, as in Athena.
	AthenaOutput string
	// ForeignBuckets exist and belong to "another account" (see
	// S3Server.ForeignBuckets): for tests of buckets the pipeline did not
	// make.
	ForeignBuckets []string

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

// Stack is the local stack over one data directory (see DataDir): the
// embedded Kafka, and on one port S3, Glue over the file catalog, and
// Athena over the catalog and the S3 store.
type Stack struct {
	Kafka   *Kafka
	Store   *DiskStore
	S3      *S3Server
	Glue    *GlueService
	Athena  *AthenaService
	Catalog *catalog.FileCatalog
}

// Start starts the stack over the data dir d. Only one process may serve a dir at a
// time: another gets ErrDataDirInUse.
func Start(d DataDir, opts *StackOptions) (*Stack, error) {
	if opts == nil {
		opts = &StackOptions{}
	}
	k, err := StartKafka(d.Kafka(), &KafkaOptions{Addr: opts.KafkaAddr, Topics: opts.Topics, Partitions: opts.Partitions,
		NoAutoCreateTopics: opts.NoAutoCreateTopics, Logger: opts.Logger})
	if err != nil {
		return nil, err
	}
	store, err := OpenDiskStore(d.S3())
	if err == nil {
		// Kafka holds the data dir's lock: no other process writes the store.
		err = store.RemoveTemp()
	}
	if err != nil {
		k.Close()
		return nil, fmt.Errorf("open s3 store: %w", err)
	}
	cat, err := catalog.OpenFileCatalog(d.CatalogDir())
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
	if err := srv.ForeignBuckets(store, opts.ForeignBuckets...); err != nil {
		srv.Close()
		k.Close()
		return nil, err
	}
	glue, err := NewGlue(cat, &GlueOptions{Crawl: opts.Crawl, StateDir: d.Glue()})
	if err != nil {
		srv.Close()
		k.Close()
		return nil, err
	}
	athena, err := NewAthena(cat, store, &AthenaOptions{
		OutputLocation: opts.AthenaOutput,
		CatalogFile:    cat.Path(),
		TempDir:        d.AthenaTemp(),
		StateDir:       d.Athena(),
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
