package aws

import (
	"context"
	"crypto/tls"
	"fmt"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl"
	saslaws "github.com/twmb/franz-go/pkg/sasl/aws"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

// KafkaAuth is how to reach a Kafka cluster: self-hosted, Amazon MSK, or the
// emulator (the zero value: plaintext, no SASL).
type KafkaAuth struct {
	TLS bool
	// SASL is "", "plain", "scram-sha-256", "scram-sha-512" or "aws-msk-iam".
	SASL               string
	User, Password     string // for plain and scram; never logged
	InsecureSkipVerify bool   // for test clusters with self-signed certificates
}

// KafkaOpts returns the kgo connection options for seeds and auth. MSK IAM
// signs with the SDK config's credentials (env, profile, instance role),
// fetched anew for each connection so that rotated credentials keep working.
func KafkaOpts(cfg sdkaws.Config, seeds []string, a KafkaAuth) ([]kgo.Opt, error) {
	opts := []kgo.Opt{kgo.SeedBrokers(seeds...)}
	var mech sasl.Mechanism
	switch a.SASL {
	case "":
	case "plain":
		mech = plain.Auth{User: a.User, Pass: a.Password}.AsMechanism()
	case "scram-sha-256":
		mech = scram.Auth{User: a.User, Pass: a.Password}.AsSha256Mechanism()
	case "scram-sha-512":
		mech = scram.Auth{User: a.User, Pass: a.Password}.AsSha512Mechanism()
	case "aws-msk-iam":
		mech = saslaws.ManagedStreamingIAM(func(ctx context.Context) (saslaws.Auth, error) {
			c, err := cfg.Credentials.Retrieve(ctx)
			if err != nil {
				return saslaws.Auth{}, fmt.Errorf("MSK IAM: no AWS credentials: %w", err)
			}
			return saslaws.Auth{AccessKey: c.AccessKeyID, SecretKey: c.SecretAccessKey, SessionToken: c.SessionToken}, nil
		})
		a.TLS = true // MSK's IAM listener is TLS only
	default:
		return nil, fmt.Errorf("unknown --kafka-sasl %q: use plain, scram-sha-256, scram-sha-512 or aws-msk-iam", a.SASL)
	}
	if (a.SASL == "plain" || a.SASL == "scram-sha-256" || a.SASL == "scram-sha-512") && a.User == "" {
		return nil, fmt.Errorf("--kafka-sasl %s needs --kafka-user and KAFKA_PASSWORD", a.SASL)
	}
	if mech != nil {
		opts = append(opts, kgo.SASL(mech))
	}
	if a.TLS {
		opts = append(opts, kgo.DialTLSConfig(&tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: a.InsecureSkipVerify}))
	}
	return opts, nil
}
