// Package pipeline holds the stages of the stock pipeline, in the order the
// data flows: simulate -> produce -> Kafka -> sink -> S3 -> crawl -> catalog.
// Nothing in it knows whether it talks to the embedded stack or to AWS: it
// is handed a *kgo.Client (or its options), an *s3.Client and a
// *catalog.Catalog, and does the same with either.
//
// It is not the model the stages share (package catalog), the query layer
// (package sqlq), nor the decoding of events (internal/eventjson, which the
// sink, the Parquet writer and the crawler use).
//
// # Main types
//
//   - Source (NewSynthetic, OpenCSV, OpenCSVFiles) and Simulate: ticks as
//     Events, paced.
//   - Producer: events into Kafka, keyed by symbol, with backpressure.
//   - Sink: a topic into S3 objects, exactly once as a query sees it, even
//     with a stalled sink resuming (sink*.go: the poll loop, batching,
//     claims, uploading, commit tracking, the sink's table in the catalog,
//     options).
//   - Crawl: the bucket's folders into catalog tables and partitions.
//   - Run: all of them wired for one bounded run.
//
// Object keys (keys.go) name what an object holds: a batch's objects and
// its claim are all named by its first offset, so a replay after a crash
// finds what its predecessor claimed and stored.
package pipeline
