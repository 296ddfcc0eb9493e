package aws

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"
)

// TestPoliciesLeastPrivilege: each role's policy is a valid document with
// only what the role does: no role but setup may create a bucket, none may
// delete an object, and the sink's objects are its own folders.
func TestPoliciesLeastPrivilege(t *testing.T) {
	ps := Policies(PolicyScope{Bucket: "lake", Prefix: "raw/", Topic: "ticks", Group: "g", Database: "db", WorkGroup: "wg",
		Results: "s3://results/athena/"})
	roles := map[string][]string{} // role's first word -> actions
	for _, p := range ps {
		var doc struct {
			Statement []struct {
				Action   []string
				Resource []string
			}
		}
		if err := json.Unmarshal([]byte(p.Policy), &doc); err != nil {
			t.Fatalf("%s: %v", p.Role, err)
		}
		role, _, _ := strings.Cut(p.Role, ":")
		role, _, _ = strings.Cut(role, " ")
		for _, st := range doc.Statement {
			roles[role] = append(roles[role], st.Action...)
			for _, r := range st.Resource {
				if strings.HasPrefix(r, "arn:aws:s3:::lake/") && role == "sink" &&
					!slices.Contains([]string{"arn:aws:s3:::lake/raw/ticks/*", "arn:aws:s3:::lake/raw/_errors/ticks/*", "arn:aws:s3:::lake/raw/_sink/ticks/*"}, r) {
					t.Errorf("the sink may use %s, not only its own folders", r)
				}
			}
		}
	}
	if got := strings.Join(slices.Sorted(maps.Keys(roles)), ","); got != "crawler,producer,query,setup,sink" {
		t.Fatalf("roles %s", got)
	}
	for role, actions := range roles {
		if slices.Contains(actions, "s3:DeleteObject") {
			t.Errorf("%s may delete objects", role)
		}
		if role != "setup" && slices.Contains(actions, "s3:CreateBucket") {
			t.Errorf("%s may create buckets", role)
		}
	}
	for _, want := range []string{"s3:ListBucket", "s3:PutObject", "s3:GetObject", "s3:AbortMultipartUpload", "glue:UpdateTable",
		"glue:BatchCreatePartition", "kafka-cluster:ReadData", "kafka-cluster:AlterGroup"} {
		if !slices.Contains(roles["sink"], want) {
			t.Errorf("the sink's policy lacks %s", want)
		}
	}
	if slices.Contains(roles["producer"], "kafka-cluster:ReadData") || slices.Contains(roles["producer"], "s3:PutObject") {
		t.Errorf("the producer may read the topic or write objects: %v", roles["producer"])
	}
	if !strings.Contains(ps[4].Policy, `"arn:aws:s3:::results/athena/*"`) {
		t.Errorf("the query role does not write its results to s3://results/athena/:\n%s", ps[4].Policy)
	}
}
