package aws

import "encoding/json"

// How Policies writes a policy: its statements and their JSON.

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
