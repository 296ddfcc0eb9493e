package aws

import (
	"context"
	"errors"
	"fmt"
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

// Policy returns the IAM policy the pipeline needs: the bucket (landing zone
// and Athena results), the Glue database and its tables, Athena in one
// workgroup, MSK's IAM auth on the cluster's topics and group, and passing a
// role to a Glue crawler. ProducerPolicy and SinkPolicy are the services'.
func Policy(bucket, database, workgroup string) string {
	return policyJSON(
		policyStatement{Sid: "Bucket", Action: []string{"s3:ListBucket", "s3:GetBucketLocation", "s3:CreateBucket"},
			Resource: []string{"arn:aws:s3:::" + bucket}},
		policyStatement{Sid: "Objects", Action: []string{"s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"},
			Resource: []string{"arn:aws:s3:::" + bucket + "/*"}},
		policyStatement{Sid: "Catalog", Action: []string{"glue:GetDatabase", "glue:CreateDatabase", "glue:GetTable", "glue:GetTables",
			"glue:CreateTable", "glue:UpdateTable", "glue:GetPartitions", "glue:BatchCreatePartition",
			"glue:CreateCrawler", "glue:UpdateCrawler", "glue:StartCrawler", "glue:GetCrawler"},
			Resource: []string{"arn:aws:glue:*:*:catalog", "arn:aws:glue:*:*:database/" + database,
				"arn:aws:glue:*:*:table/" + database + "/*", "arn:aws:glue:*:*:crawler/*"}},
		policyStatement{Sid: "Query", Action: []string{"athena:StartQueryExecution", "athena:GetQueryExecution", "athena:GetQueryResults",
			"athena:StopQueryExecution", "athena:GetWorkGroup", "athena:CreateWorkGroup", "athena:UpdateWorkGroup"},
			Resource: []string{"arn:aws:athena:*:*:workgroup/" + workgroup}},
		policyStatement{Sid: "Kafka", Action: []string{"kafka-cluster:Connect", "kafka-cluster:DescribeCluster", "kafka-cluster:CreateTopic",
			"kafka-cluster:DescribeTopic", "kafka-cluster:WriteData", "kafka-cluster:ReadData",
			"kafka-cluster:AlterGroup", "kafka-cluster:DescribeGroup"},
			Resource: []string{"arn:aws:kafka:*:*:cluster/*", "arn:aws:kafka:*:*:topic/*", "arn:aws:kafka:*:*:group/*"}},
		// franz-go's producer is idempotent.
		policyStatement{Sid: "KafkaIdempotent", Action: []string{"kafka-cluster:WriteDataIdempotently"},
			Resource: []string{"arn:aws:kafka:*:*:cluster/*"}},
		// crawl --glue-crawler --role hands the crawler its role, and
		// that role only to Glue.
		policyStatement{Sid: "CrawlerRole", Action: []string{"iam:PassRole"}, Resource: []string{"arn:aws:iam::*:role/*"},
			Condition: map[string]map[string]string{"StringEquals": {"iam:PassedToService": "glue.amazonaws.com"}}},
	)
}
