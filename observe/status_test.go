package observe_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	pipeaws "pipeline/aws"
	"pipeline/catalog"
	"pipeline/emulate"
	"pipeline/observe"
	"pipeline/pipeline"
)

const bucket = "test-bucket"

// stack is the local stack of a test: Kafka, S3 and a catalog.
type stack struct {
	kafka   []kgo.Opt
	s3      *s3.Client
	catalog *catalog.Catalog
}

func startStack(t *testing.T) *stack {
	t.Helper()
	st, err := emulate.Start(emulate.DataDir(t.TempDir()), &emulate.StackOptions{Topics: []string{pipeline.Topic}, Partitions: 3})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	cfg, err := pipeaws.Load(context.Background(), pipeaws.Options{Endpoint: st.S3.URL(), Region: "us-east-1", StaticKey: "test", StaticSecret: "test"})
	if err != nil {
		t.Fatal(err)
	}
	s3c := pipeaws.NewS3(cfg)
	if err := pipeline.EnsureBucket(context.Background(), s3c, bucket); err != nil {
		t.Fatal(err)
	}
	return &stack{kafka: []kgo.Opt{kgo.SeedBrokers(st.Kafka.ListenAddrs()...)}, s3: s3c, catalog: catalog.New(st.Catalog)}
}

func (s *stack) client(t *testing.T, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(append(append([]kgo.Opt{}, s.kafka...), opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

// produce writes the values, spread over the partitions, and returns the
// end offset of each partition written.
func (s *stack) produce(t *testing.T, values ...string) map[int32]int64 {
	t.Helper()
	cl := s.client(t, kgo.DefaultProduceTopic(pipeline.Topic), kgo.RecordPartitioner(kgo.RoundRobinPartitioner()))
	var recs []*kgo.Record
	for _, v := range values {
		recs = append(recs, &kgo.Record{Value: []byte(v)})
	}
	res := cl.ProduceSync(context.Background(), recs...)
	if err := res.FirstErr(); err != nil {
		t.Fatal(err)
	}
	ends := map[int32]int64{}
	for _, r := range res {
		ends[r.Record.Partition] = max(ends[r.Record.Partition], r.Record.Offset+1)
	}
	return ends
}

// store runs a sink until it has committed ends, then stops it.
func (s *stack) store(t *testing.T, ends map[int32]int64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	sink, err := pipeline.NewSink(s.kafka, s.s3, &pipeline.SinkOptions{Bucket: bucket, MaxAge: 50 * time.Millisecond, TimeField: "ts"})
	if err != nil {
		t.Fatal(err)
	}
	sctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- sink.Run(sctx) }()
	if err := sink.WaitCommitted(ctx, ends); err != nil {
		t.Fatalf("sink did not commit %v: %v", ends, err)
	}
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func event(i int) string {
	return fmt.Sprintf(`{"symbol":"S%d","ts":"2026-11-26T10:00:%02d.000Z","seq":%d,"price":%d.5}`, i%5, i%60, i, 100+i)
}

// TestStatus: what `pipeline status` reports is what was produced, stored,
// cataloged and dead-lettered, and lag appears when records are not stored.
func TestStatus(t *testing.T) {
	ctx := context.Background()
	s := startStack(t)
	var values []string
	for i := range 300 {
		values = append(values, event(i))
	}
	values = append(values, "not json", `{"symbol":"A","ts":"yesterday","seq":1}`, `{"symbol":"B","ts":"noon","seq":2}`)
	s.store(t, s.produce(t, values...))
	if _, err := pipeline.Crawl(ctx, s.s3, s.catalog, pipeline.CrawlOptions{Bucket: bucket}); err != nil {
		t.Fatal(err)
	}
	// Five more that no sink stores.
	s.produce(t, event(1000), event(1001), event(1002), event(1003), event(1004))

	adm := kadm.NewClient(s.client(t))
	st, err := observe.ReadStatus(ctx, observe.StatusSources{Kafka: adm, S3: s.s3, Catalog: s.catalog, Bucket: bucket,
		Topic: pipeline.Topic, Group: pipeline.DefaultSinkOptions.Group})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Err(); err != nil {
		t.Fatalf("status says something failed: %v", err)
	}
	if st.Kafka == nil || len(st.Kafka.Partitions) != 3 || st.Kafka.Ends() != 308 || st.Kafka.Committed() != 303 || st.Kafka.Lag() != 5 {
		t.Fatalf("kafka = %+v, want 3 partitions, 308 records, 303 committed, lag 5", st.Kafka)
	}
	if len(st.Tables) != 1 {
		t.Fatalf("tables = %+v, want stock_topic", st.Tables)
	}
	tbl := st.Tables[0]
	var objects, size int64
	pg := s3.NewListObjectsV2Paginator(s.s3, &s3.ListObjectsV2Input{Bucket: &bucketName, Prefix: strPtr(pipeline.Topic + "/")})
	for pg.HasMorePages() {
		page, err := pg.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range page.Contents {
			objects++
			size += *o.Size
		}
	}
	if tbl.Name != pipeline.Topic || tbl.Rows != 300 || tbl.RowsEstimated || tbl.Objects == nil || *tbl.Objects != objects || *tbl.Bytes != size ||
		strings.Join(tbl.Partitions, ",") != "dt=2026-11-26" || tbl.Format != "json" {
		t.Errorf("table = %+v, want 300 rows (exact), %d objects of %d bytes, partition dt=2026-11-26", tbl, objects, size)
	}
	dl := st.DeadLetters
	if dl.Records == nil || *dl.Records != 3 || dl.Objects == nil || *dl.Objects == 0 || int64(dl.ObjectsRead) != *dl.Objects || len(dl.Reasons) != 2 {
		t.Fatalf("dead letters = %+v, want 3 records of 2 reasons", dl)
	}
	if r := dl.Reasons[0]; r.Count != 2 || r.Reason != `ts: "…" is not a timestamp` || !strings.Contains(r.Example, `"noon"`) && !strings.Contains(r.Example, `"yesterday"`) {
		t.Errorf("first reason = %+v, want the two bad times as one reason", r)
	}
	if r := dl.Reasons[1]; r.Count != 1 || r.Reason != "bad event: not a JSON object" {
		t.Errorf("second reason = %+v, want the record that is not JSON", r)
	}

	var text bytes.Buffer
	if err := st.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`Kafka topic stock_topic, sink group pipeline-sink\n`,
		`\n\s+total\s+0\s+308\s+303\s+5\n`,
		`\n\s+stock_topic\s+json\s+4\s+1\s+300\s+` + fmt.Sprint(objects) + `\s+[\d.]+ kB\s+s3://test-bucket/stock_topic/\n`,
		`stock_topic partitions: dt=2026-11-26\n`,
		`Dead letters in s3://test-bucket/_errors/stock_topic/: 3 records in \d+ objects`,
		`\n\s+2\s+ts: "…" is not a timestamp\n`,
	} {
		if !regexp.MustCompile(want).MatchString(text.String()) {
			t.Errorf("status text lacks %s:\n%s", want, text.String())
		}
	}
}

var bucketName = bucket

func strPtr(s string) *string { return &s }

// TestStatusWithoutKafkaStillReportsTheRest: a broker that does not answer is
// named, and the catalog and bucket are still reported.
func TestStatusWithoutKafkaStillReportsTheRest(t *testing.T) {
	s := startStack(t)
	cl, err := kgo.NewClient(kgo.SeedBrokers("127.0.0.1:1"), kgo.RetryTimeout(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	st, err := observe.ReadStatus(context.Background(), observe.StatusSources{Kafka: kadm.NewClient(cl), S3: s.s3, Catalog: s.catalog,
		Bucket: bucket, Topic: pipeline.Topic, Group: "g"})
	if err != nil {
		t.Fatal(err)
	}
	if st.Kafka != nil || st.KafkaError == "" || st.Err() == nil {
		t.Fatalf("status of an unreachable broker: kafka %+v, error %q", st.Kafka, st.KafkaError)
	}
	var text bytes.Buffer
	st.WriteText(&text)
	if !strings.Contains(text.String(), "Kafka: ") || !strings.Contains(text.String(), "no tables yet") || !strings.Contains(text.String(), "Dead letters in s3://test-bucket/_errors/stock_topic/: none") {
		t.Errorf("status text:\n%s", text.String())
	}
}

func TestReasonClass(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`bad event: ts "x" is not an RFC 3339 time`, `bad event: ts "…" is not an RFC 3339 time`},
		{`bad event: not valid JSON: invalid character 'o' in literal null (expecting 'u') (offset 12)`,
			`bad event: not valid JSON: invalid character '…' in literal null (expecting '…') (offset N)`},
		{`bad event: price -3.5 is negative`, `bad event: price N is negative`},
		{`bad event: key "a\"b" appears twice in an object`, `bad event: key "…" appears twice in an object`},
		{`bad event: no "symbol" field`, `bad event: no "symbol" field`},
		{`bad event: symbol is empty, longer than 256 bytes or not UTF-8`, `bad event: symbol is empty, longer than 256 bytes or not UTF-8`},
		{`bad event: ts "0000-01-01T00:00:00Z" is outside 1..9999`, `bad event: ts "…" is outside 1..9999`},
		{`bad event: not valid JSON: nested more than 64 deep (offset 1031)`, `bad event: not valid JSON: nested more than 64 deep (offset N)`},
		{`bad event: price 1e-3 is negative`, `bad event: price N is negative`},
	} {
		if got := observe.ReasonClass(c.in); got != c.want {
			t.Errorf("ReasonClass(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// hungListener accepts connections and never answers, as a stopped
// (SIGSTOP) service does; it returns its address.
func hungListener(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { c.Close() })
		}
	}()
	return ln.Addr().String()
}

// TestStatusOfServicesThatDoNotAnswer: status returns within one bound when
// Kafka and S3 accept connections and never answer (it waits for them at
// once), names each, and shows what it could not count as unknown (null,
// "?"), never as 0.
func TestStatusOfServicesThatDoNotAnswer(t *testing.T) {
	ctx := context.Background()
	s := startStack(t)
	s.store(t, s.produce(t, event(1), event(2), event(3)))
	if _, err := pipeline.Crawl(ctx, s.s3, s.catalog, pipeline.CrawlOptions{Bucket: bucket}); err != nil {
		t.Fatal(err)
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(hungListener(t)))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	cfg, err := pipeaws.Load(ctx, pipeaws.Options{Endpoint: "http://" + hungListener(t), Region: "us-east-1", StaticKey: "k", StaticSecret: "s"})
	if err != nil {
		t.Fatal(err)
	}
	const bound = 2 * time.Second
	start := time.Now()
	st, err := observe.ReadStatus(ctx, observe.StatusSources{Kafka: kadm.NewClient(cl), S3: pipeaws.NewS3(cfg), Catalog: s.catalog,
		Bucket: bucket, Topic: pipeline.Topic, Group: "g", Timeout: bound})
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > bound+bound*3/4 {
		t.Errorf("status took %s with a %s bound per call: one service after the other?", took, bound)
	}
	if !strings.Contains(st.KafkaError, "Kafka did not answer") {
		t.Errorf("kafka error %q does not say Kafka did not answer", st.KafkaError)
	}
	if len(st.Tables) != 1 || st.Tables[0].Objects != nil || st.Tables[0].Bytes != nil || !strings.Contains(st.Tables[0].ListError, "S3 did not answer") {
		t.Errorf("tables = %+v, want stock_topic with unknown objects and bytes, and why", st.Tables)
	}
	if dl := st.DeadLetters; dl.Objects != nil || dl.Bytes != nil || dl.Records != nil || !strings.Contains(dl.Error, "S3 did not answer") {
		t.Errorf("dead letters = %+v, want unknown, and why", dl)
	}
	var text bytes.Buffer
	st.WriteText(&text)
	if strings.Contains(text.String(), "0 objects") || !regexp.MustCompile(`Dead letters in \S+: not listed: .*S3 did not answer`).MatchString(text.String()) {
		t.Errorf("status text counts what it could not list:\n%s", text.String())
	}
	b, _ := json.Marshal(st)
	if !strings.Contains(string(b), `"objects":null`) || !strings.Contains(string(b), `"records":null`) {
		t.Errorf("JSON does not say the objects and records are unknown: %s", b)
	}
}

// TestReadyzSaysWhyS3IsNotReady: /readyz says in one line what of S3 fails
// and what to do, for an endpoint that does not answer, refuses
// connections, lacks the bucket or refuses the credentials; never the SDK's
// dump, never the secret key.
func TestReadyzSaysWhyS3IsNotReady(t *testing.T) {
	s := startStack(t)
	refused, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refusedAddr := refused.Addr().String()
	refused.Close()
	const secret = "wJalrXUtnFEMI-not-a-real-secret"
	stackURL := aws.ToString(s.s3.Options().BaseEndpoint)
	for _, c := range []struct {
		name, endpoint, secret, bucket, want string
	}{
		{"stopped", "http://" + hungListener(t), secret, bucket, `^s3: S3 at 127\.0\.0\.1:\d+ did not answer in 2s: is it up, not stopped\?$`},
		{"not running", "http://" + refusedAddr, secret, bucket, `^s3: S3 at 127\.0\.0\.1:\d+ refuses connections: is it running, on that port\?$`},
		{"no bucket", stackURL, "test", "no-such-bucket", `^s3: S3 at 127\.0\.0\.1:\d+ has no bucket "no-such-bucket": create it \(pipeline setup\) or pass the --bucket the sink writes to$`},
		{"wrong secret", stackURL, secret, bucket, `^s3: S3 at 127\.0\.0\.1:\d+(?: refuses the credentials|: access to bucket "test-bucket" denied) \(\w+\): check `},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := pipeaws.Load(t.Context(), pipeaws.Options{Endpoint: c.endpoint, Region: "us-east-1", StaticKey: "test", StaticSecret: c.secret})
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(observe.Handler(observe.NewMetrics(), observe.BucketReachable(pipeaws.NewS3(cfg), c.bucket)))
			defer srv.Close()
			resp, err := http.Get(srv.URL + "/readyz")
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			line := strings.TrimSuffix(string(body), "\n")
			if resp.StatusCode != http.StatusServiceUnavailable || !regexp.MustCompile(c.want).MatchString(line) ||
				strings.Contains(line, "\n") || strings.Contains(line, secret) {
				t.Errorf("/readyz: %d %q, want 503 and one line matching %s", resp.StatusCode, line, c.want)
			}
		})
	}
}
