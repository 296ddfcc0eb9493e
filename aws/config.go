// Package aws is the pipeline's adapters to real AWS: it builds the clients
// the way AWS users expect (the SDK's default credential chain: environment,
// shared config and AWS_PROFILE, EC2 instance role; AWS_REGION; and
// AWS_ENDPOINT_URL or per-service endpoint variables), and implements the
// two seams on them: the catalog driver over Glue and the query engine over
// Athena. It also makes what the pipeline needs in an account (setup, the IAM
// policy) and authenticates to Kafka or Amazon MSK (TLS, SASL, MSK IAM).
//
// Pointing Endpoint at the emulator (Emulator) is the only difference
// between local and cloud. It is not the emulator (package emulate) and
// holds no mode logic: main decides which clients to build.
//
// # Main types
//
//   - Options, Load, NewS3: clients and their configuration.
//   - GlueCatalog (NewGlueCatalog): a catalog.Driver over Glue.
//   - Athena (NewAthena): a sqlq.Engine over Athena.
//   - KafkaAuth, KafkaOpts: connection options for Kafka and MSK.
package aws

import (
	"cmp"
	"context"
	"fmt"
	"net/http"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go/middleware"
)

// Options select where the clients go. The zero value is real AWS with the
// default chain.
type Options struct {
	Region string
	// Endpoint overrides every service's endpoint (an emulator's URL).
	Endpoint string
	// StaticKey, if set, replaces the credential chain (the emulator
	// accepts any key). Never printed.
	StaticKey, StaticSecret string
	// Transport, if set, carries every request instead of the network: an
	// emulator in this process (emulate.S3Server.Transport).
	Transport http.RoundTripper
}

// DefaultRegion is used when neither Options nor the environment name one.
const DefaultRegion = "us-east-1"

// emulatorKey is what clients of the emulator sign with unless told
// otherwise: the key it accepts by default (emulate.DefaultCredentials).
const emulatorKey = "test"

// Emulator returns the Options of clients of the local stack's AWS endpoint
// at url; transport, if not nil, reaches it in-process instead.
func Emulator(url string, transport http.RoundTripper) Options {
	return Options{Endpoint: url, Region: DefaultRegion, StaticKey: emulatorKey, StaticSecret: emulatorKey, Transport: transport}
}

// Load returns an SDK config from the default chain with opts applied.
func Load(ctx context.Context, opts Options) (sdkaws.Config, error) {
	var lo []func(*config.LoadOptions) error
	if opts.Region != "" {
		lo = append(lo, config.WithRegion(opts.Region))
	}
	if opts.StaticKey != "" {
		lo = append(lo, config.WithCredentialsProvider(
			credentials.NewStaticCredentialsProvider(opts.StaticKey, opts.StaticSecret, "")))
	}
	if opts.Endpoint != "" {
		lo = append(lo, config.WithBaseEndpoint(opts.Endpoint))
	}
	cfg, err := config.LoadDefaultConfig(ctx, lo...)
	if err != nil {
		return cfg, fmt.Errorf("load AWS config: %w", err)
	}
	cfg.Region = cmp.Or(cfg.Region, DefaultRegion)
	if opts.Transport != nil {
		// Set after loading: the loader would fit a CA bundle
		// (AWS_CA_BUNDLE) to the client, which has no TLS to fit.
		cfg.HTTPClient = &http.Client{Transport: opts.Transport}
	}
	return cfg, nil
}

// NewS3 returns an S3 client. With a custom endpoint it uses path-style
// addressing, which emulators and most S3-compatible stores need.
//
// Bodies are sent as UNSIGNED-PAYLOAD, as the SDK already does over HTTPS:
// over plain HTTP (an emulator on 127.0.0.1) it would otherwise hash every
// byte with SHA-256 to sign it, on top of the CRC32 checksum header that
// already guards the body.
func NewS3(cfg sdkaws.Config) *s3.Client {
	return s3.NewFromConfig(cfg, func(o *s3.Options) {
		// GETs of objects stored without a checksum are normal; don't log each.
		o.DisableLogOutputChecksumValidationSkipped = true
		if cfg.BaseEndpoint != nil {
			o.UsePathStyle = true
		}
		o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
			return st.Finalize.Add(unsignedPayload{}, middleware.Before)
		})
	})
}

// unsignedPayload marks the payload unsigned before the SDK's checksum and
// signing middleware would hash it.
type unsignedPayload struct{}

func (unsignedPayload) ID() string { return "PipelineUnsignedPayload" }

func (unsignedPayload) HandleFinalize(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (
	middleware.FinalizeOutput, middleware.Metadata, error) {
	return next.HandleFinalize(v4.SetPayloadHash(ctx, "UNSIGNED-PAYLOAD"), in)
}
