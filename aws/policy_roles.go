package aws

import "encoding/json"

// The policies of the two long-running services, each with only what it
// calls: an instance that runs one of them gets its policy, not Policy's.

// policyStatement is one statement of an IAM policy.
type policyStatement struct {
	Sid       string                       `json:"Sid"`
	Effect    string                       `json:"Effect"` // "" is Allow
	Action    []string                     `json:"Action"`
	Resource  []string                     `json:"Resource"`
	Condition map[string]map[string]string `json:"Condition,omitempty"`
}

func policyJSON(statements ...policyStatement) string {
	for i := range statements {
		if statements[i].Effect == "" {
			statements[i].Effect = "Allow"
		}
	}
	p := struct {
		Version   string            `json:"Version"`
		Statement []policyStatement `json:"Statement"`
	}{"2012-10-17", statements}
	b, _ := json.MarshalIndent(p, "", "  ") // plain types: cannot fail
	return string(b)
}

// mskTopic and mskGroup are the ARNs of a topic and a consumer group in any
// MSK cluster: arn:aws:kafka:region:account:topic/cluster/uuid/name.
func mskTopic(topic string) string { return "arn:aws:kafka:*:*:topic/*/*/" + topic }
func mskGroup(group string) string { return "arn:aws:kafka:*:*:group/*/*/" + group }

// ProducerPolicy is what `pipeline produce` needs: MSK IAM to write one
// topic (idempotently, as the producer does). It touches no AWS service
// besides Kafka.
func ProducerPolicy(topic string) string {
	return policyJSON(
		policyStatement{Sid: "Cluster", Action: []string{"kafka-cluster:Connect", "kafka-cluster:DescribeCluster",
			"kafka-cluster:WriteDataIdempotently"}, Resource: []string{"arn:aws:kafka:*:*:cluster/*"}},
		policyStatement{Sid: "Topic", Action: []string{"kafka-cluster:DescribeTopic", "kafka-cluster:WriteData"}, Resource: []string{mskTopic(topic)}},
	)
}

// SinkPolicy is what `pipeline sink` needs: MSK IAM to read one topic as
// one group, and the bucket's objects (it reads back what it claims, writes
// objects and dead letters, never deletes).
func SinkPolicy(bucket, topic, group string) string {
	return policyJSON(
		policyStatement{Sid: "Bucket", Action: []string{"s3:ListBucket", "s3:GetBucketLocation"}, Resource: []string{"arn:aws:s3:::" + bucket}},
		policyStatement{Sid: "Objects", Action: []string{"s3:GetObject", "s3:PutObject"}, Resource: []string{"arn:aws:s3:::" + bucket + "/*"}},
		policyStatement{Sid: "Cluster", Action: []string{"kafka-cluster:Connect", "kafka-cluster:DescribeCluster"}, Resource: []string{"arn:aws:kafka:*:*:cluster/*"}},
		policyStatement{Sid: "Topic", Action: []string{"kafka-cluster:DescribeTopic", "kafka-cluster:ReadData"}, Resource: []string{mskTopic(topic)}},
		policyStatement{Sid: "Group", Action: []string{"kafka-cluster:AlterGroup", "kafka-cluster:DescribeGroup"}, Resource: []string{mskGroup(group)}},
	)
}
