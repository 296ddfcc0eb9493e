package aws

import (
	"context"
	"errors"
	"fmt"
	"pipeline/catalog"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/athena"
	athenatypes "github.com/aws/aws-sdk-go-v2/service/athena/types"
	"github.com/aws/aws-sdk-go-v2/service/glue"
	gluetypes "github.com/aws/aws-sdk-go-v2/service/glue/types"
	"github.com/cenkalti/backoff/v5"
)

// EnsureWorkGroup makes sure the Athena workgroup exists and writes its
// results to outputLocation. "primary" always exists; its output location is
// set if it has none.
func EnsureWorkGroup(ctx context.Context, cfg sdkaws.Config, name, outputLocation string) error {
	cl := athena.NewFromConfig(cfg)
	out, err := cl.GetWorkGroup(ctx, &athena.GetWorkGroupInput{WorkGroup: &name})
	var bad *athenatypes.InvalidRequestException
	switch {
	case errors.As(err, &bad) && name != "primary":
		_, err = cl.CreateWorkGroup(ctx, &athena.CreateWorkGroupInput{Name: &name,
			Configuration: &athenatypes.WorkGroupConfiguration{
				ResultConfiguration: &athenatypes.ResultConfiguration{OutputLocation: &outputLocation}}})
		if err != nil {
			return fmt.Errorf("create Athena workgroup %q: %w", name, err)
		}
		return nil
	case err != nil:
		return fmt.Errorf("get Athena workgroup %q: %w", name, err)
	}
	if c := out.WorkGroup.Configuration; c != nil && c.ResultConfiguration != nil && c.ResultConfiguration.OutputLocation != nil {
		return nil
	}
	_, err = cl.UpdateWorkGroup(ctx, &athena.UpdateWorkGroupInput{WorkGroup: &name,
		ConfigurationUpdates: &athenatypes.WorkGroupConfigurationUpdates{
			ResultConfigurationUpdates: &athenatypes.ResultConfigurationUpdates{OutputLocation: &outputLocation}}})
	if err != nil {
		return fmt.Errorf("set the output location of Athena workgroup %q: %w", name, err)
	}
	return nil
}

// CrawlerSpec is a Glue crawler over one S3 path: its last folder is the table.
type CrawlerSpec struct {
	Name, Role, Database, S3Path string
}

// RunGlueCrawler creates (or updates) the crawler, starts it and waits until
// it is READY again, returning its last crawl's error, if any.
func RunGlueCrawler(ctx context.Context, cfg sdkaws.Config, spec CrawlerSpec) error {
	cl := glue.NewFromConfig(cfg)
	targets := &gluetypes.CrawlerTargets{S3Targets: []gluetypes.S3Target{{Path: &spec.S3Path}}}
	_, err := cl.CreateCrawler(ctx, &glue.CreateCrawlerInput{Name: &spec.Name, Role: &spec.Role,
		DatabaseName: &spec.Database, Targets: targets})
	var exists *gluetypes.AlreadyExistsException
	if errors.As(err, &exists) {
		_, err = cl.UpdateCrawler(ctx, &glue.UpdateCrawlerInput{Name: &spec.Name, Role: &spec.Role,
			DatabaseName: &spec.Database, Targets: targets})
	}
	if err != nil {
		return fmt.Errorf("create Glue crawler %q: %w", spec.Name, err)
	}
	if _, err := cl.StartCrawler(ctx, &glue.StartCrawlerInput{Name: &spec.Name}); err != nil {
		var running *gluetypes.CrawlerRunningException
		if !errors.As(err, &running) {
			return fmt.Errorf("start Glue crawler %q: %w", spec.Name, err)
		}
	}
	// Wait for READY, polling with backoff: a real crawl takes a minute or more.
	last, err := backoff.Retry(ctx, func() (*gluetypes.Crawler, error) {
		out, err := cl.GetCrawler(ctx, &glue.GetCrawlerInput{Name: &spec.Name})
		if err != nil {
			return nil, backoff.Permanent(fmt.Errorf("get Glue crawler %q: %w", spec.Name, err))
		}
		if out.Crawler.State != gluetypes.CrawlerStateReady {
			return nil, errors.New("crawler still running")
		}
		return out.Crawler, nil
	}, backoff.WithBackOff(&backoff.ExponentialBackOff{InitialInterval: 100 * time.Millisecond, Multiplier: 1.5,
		MaxInterval: 10 * time.Second, RandomizationFactor: 0.2}), backoff.WithMaxElapsedTime(0))
	if err != nil {
		return err
	}
	if lc := last.LastCrawl; lc != nil && lc.Status == gluetypes.LastCrawlStatusFailed {
		return fmt.Errorf("Glue crawler %q failed: %s", spec.Name, sdkaws.ToString(lc.ErrorMessage))
	}
	return nil
}

// PolicyScope is what the pipeline's IAM policies grant access to.
type PolicyScope struct {
	Bucket, Prefix string // the landing zone: s3://Bucket/Prefix<topic>/...
	Topic, Group   string // the Kafka topic and the sink's consumer group
	Database       string // the catalog database
	WorkGroup      string // Athena's
	Results        string // Athena's result location, s3://bucket/prefix/
}

// RolePolicy is the IAM policy of one role of the pipeline.
type RolePolicy struct {
	Role   string // who runs with it
	Policy string // the policy document, JSON
}

// Policies returns a least-privilege IAM policy for each role of the
// pipeline, so that each process runs with what it uses and no more:
//
//   - setup (once, by whoever administers the account): create the bucket,
//     the database, the topic and the Athena workgroup;
//   - producer: write to the topic (MSK IAM);
//   - sink: read the topic as its group; HeadBucket (s3:ListBucket), put and
//     get its own objects (the table's, the dead letters', its claims under
//     _sink/), abort its multipart uploads; the table in the catalog (get,
//     create, update its columns, add partitions). No s3:CreateBucket and no
//     s3:DeleteObject: a sink never needs them on a bucket that exists;
//   - crawler: list and read the landing zone, and write tables and
//     partitions (and run a Glue crawler, passing it its role, to Glue only);
//   - query: run Athena queries in one workgroup, read the catalog and the
//     tables' objects, and write the query results.
func Policies(s PolicyScope) []RolePolicy {
	stmt := func(sid string, action, resource []string) policyStatement {
		return policyStatement{Sid: sid, Action: action, Resource: resource}
	}
	doc := policyJSON
	bucket := "arn:aws:s3:::" + s.Bucket
	objects := func(folders ...string) []string {
		var out []string
		for _, f := range folders {
			out = append(out, bucket+"/"+s.Prefix+f+"/*")
		}
		return out
	}
	resBucket, resPrefix, _ := catalog.SplitS3URI(s.Results)
	catalogARNs := []string{"arn:aws:glue:*:*:catalog", "arn:aws:glue:*:*:database/" + s.Database,
		"arn:aws:glue:*:*:table/" + s.Database + "/*"}
	cluster := []string{"arn:aws:kafka:*:*:cluster/*/*"}
	topic := mskTopic(s.Topic)
	group := mskGroup(s.Group)
	return []RolePolicy{
		{"setup (once, an administrator): pipeline setup", doc(
			stmt("Bucket", []string{"s3:CreateBucket", "s3:ListBucket", "s3:GetBucketLocation"}, []string{bucket}),
			stmt("Catalog", []string{"glue:GetDatabase", "glue:CreateDatabase"}, catalogARNs[:2]),
			stmt("WorkGroup", []string{"athena:GetWorkGroup", "athena:CreateWorkGroup", "athena:UpdateWorkGroup"},
				[]string{"arn:aws:athena:*:*:workgroup/" + s.WorkGroup}),
			stmt("Topic", []string{"kafka-cluster:Connect", "kafka-cluster:DescribeCluster", "kafka-cluster:CreateTopic",
				"kafka-cluster:DescribeTopic"}, append(cluster, topic)))},
		{"producer: pipeline produce", doc(
			stmt("Cluster", []string{"kafka-cluster:Connect", "kafka-cluster:DescribeCluster", "kafka-cluster:WriteDataIdempotently"}, cluster),
			stmt("Topic", []string{"kafka-cluster:DescribeTopic", "kafka-cluster:WriteData"}, []string{topic}))},
		{"sink: pipeline sink", doc(
			stmt("Bucket", []string{"s3:ListBucket", "s3:GetBucketLocation"}, []string{bucket}),
			stmt("Objects", []string{"s3:PutObject", "s3:GetObject", "s3:AbortMultipartUpload"},
				objects(s.Topic, "_errors/"+s.Topic, "_sink/"+s.Topic)),
			stmt("Table", []string{"glue:GetTable", "glue:CreateTable", "glue:UpdateTable", "glue:BatchCreatePartition"},
				append(catalogARNs[:2:2], "arn:aws:glue:*:*:table/"+s.Database+"/"+s.Topic)),
			stmt("Cluster", []string{"kafka-cluster:Connect", "kafka-cluster:DescribeCluster"}, cluster),
			stmt("Topic", []string{"kafka-cluster:DescribeTopic", "kafka-cluster:ReadData"}, []string{topic}),
			stmt("Group", []string{"kafka-cluster:DescribeGroup", "kafka-cluster:AlterGroup"}, []string{group}))},
		{"crawler: pipeline crawl", doc(
			stmt("Bucket", []string{"s3:ListBucket"}, []string{bucket}),
			stmt("Objects", []string{"s3:GetObject"}, []string{bucket + "/" + s.Prefix + "*"}),
			stmt("Catalog", []string{"glue:GetDatabase", "glue:CreateDatabase", "glue:GetTable", "glue:CreateTable",
				"glue:UpdateTable", "glue:GetPartitions", "glue:BatchCreatePartition"}, catalogARNs),
			stmt("GlueCrawler", []string{"glue:CreateCrawler", "glue:UpdateCrawler", "glue:StartCrawler", "glue:GetCrawler"},
				[]string{"arn:aws:glue:*:*:crawler/*"}),
			// crawl --glue-crawler --role hands the crawler its role, and
			// that role only to Glue.
			policyStatement{Sid: "CrawlerRole", Action: []string{"iam:PassRole"}, Resource: []string{"arn:aws:iam::*:role/*"},
				Condition: map[string]map[string]string{"StringEquals": {"iam:PassedToService": "glue.amazonaws.com"}}})},
		{"query: pipeline query (Athena)", doc(
			stmt("Query", []string{"athena:StartQueryExecution", "athena:GetQueryExecution", "athena:GetQueryResults",
				"athena:StopQueryExecution", "athena:GetWorkGroup"}, []string{"arn:aws:athena:*:*:workgroup/" + s.WorkGroup}),
			stmt("Catalog", []string{"glue:GetDatabase", "glue:GetTable", "glue:GetTables", "glue:GetPartitions", "glue:GetPartition"}, catalogARNs),
			stmt("Data", []string{"s3:ListBucket", "s3:GetBucketLocation"}, []string{bucket, "arn:aws:s3:::" + resBucket}),
			stmt("Tables", []string{"s3:GetObject"}, []string{bucket + "/" + s.Prefix + "*"}),
			stmt("Results", []string{"s3:PutObject", "s3:GetObject", "s3:AbortMultipartUpload"},
				[]string{"arn:aws:s3:::" + resBucket + "/" + resPrefix + "*"}))},
	}
}
