// Package emulate is the local stack: the services the pipeline uses in the
// cloud, run on this machine over one data directory so that nothing needs
// an AWS account. It serves an embedded Kafka (franz-go's kfake) and, on one
// HTTP port, S3 (its own front end over a durable on-disk store), the Glue
// Data Catalog API (over the file catalog) and the Athena API (DuckDB). Other
// processes and tools reach them on 127.0.0.1; the process that starts the
// stack may reach S3, Glue and Athena in-process (S3Server.Transport).
//
// It is not the pipeline (package pipeline runs the same against AWS) and
// not a general AWS emulator: each operation's file (s3_<operation>.go,
// glue_<operation>.go, athena_<operation>.go) opens with where it differs
// from the real service.
//
// # Main types
//
//   - DataDir: the layout of a data directory, and Connect, how a command
//     finds the stack serving one (or starts it).
//   - Stack: Kafka, the S3 server with Glue and Athena behind it, over one
//     DataDir.
//   - Kafka, S3Server with DiskStore, GlueService, AthenaService: the parts;
//     Guard keeps the port to this machine and the origins it was told of.
package emulate
