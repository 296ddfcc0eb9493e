package aws_test

import (
	"context"
	"testing"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	pipeaws "pipeline/aws"
)

// TestKafkaSASL connects with each user/password mechanism to a broker that
// requires it, and fails with a wrong password.
func TestKafkaSASL(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.EnableSASL(),
		kfake.Superuser("PLAIN", "alice", "pw1"),
		kfake.Superuser("SCRAM-SHA-256", "bob", "pw2"),
		kfake.Superuser("SCRAM-SHA-512", "carol", "pw3"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ping := func(a pipeaws.KafkaAuth) error {
		opts, err := pipeaws.KafkaOpts(sdkaws.Config{}, c.ListenAddrs(), a)
		if err != nil {
			return err
		}
		cl, err := kgo.NewClient(append(opts, kgo.RequestRetries(0))...)
		if err != nil {
			return err
		}
		defer cl.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return cl.Ping(ctx)
	}
	for _, a := range []pipeaws.KafkaAuth{
		{SASL: "plain", User: "alice", Password: "pw1"},
		{SASL: "scram-sha-256", User: "bob", Password: "pw2"},
		{SASL: "scram-sha-512", User: "carol", Password: "pw3"},
	} {
		if err := ping(a); err != nil {
			t.Errorf("%s as %s: %v", a.SASL, a.User, err)
		}
	}
	if err := ping(pipeaws.KafkaAuth{SASL: "scram-sha-256", User: "bob", Password: "wrong"}); err == nil {
		t.Error("a wrong password was accepted")
	}
	if _, err := pipeaws.KafkaOpts(sdkaws.Config{}, c.ListenAddrs(), pipeaws.KafkaAuth{SASL: "kerberos"}); err == nil {
		t.Error("an unknown mechanism was accepted")
	}
}
