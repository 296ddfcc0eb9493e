package main

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/urfave/cli/v3"

	"pipeline/observe"
	"pipeline/pipeline"
)

func statusCommand() *cli.Command {
	return &cli.Command{
		Name: "status",
		Usage: "one look at the pipeline: the topic's offsets and the sink group's lag, the catalog's tables " +
			"(rows from the last crawl, objects and bytes now) and the dead letters by reason",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "group", Value: pipeline.DefaultSinkOptions.Group, Usage: "the sink's consumer group"},
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Value: "text", Usage: "text or json", Validator: oneOf("text", "json")},
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			e, err := openEnvToRead(ctx, cmd)
			if err != nil {
				return err
			}
			defer e.close()
			cl, err := kgo.NewClient(e.kafka...)
			if err != nil {
				return fmt.Errorf("kafka client: %w", err)
			}
			defer cl.Close()
			st, err := observe.ReadStatus(ctx, observe.StatusSources{Kafka: kadm.NewClient(cl), S3: e.s3, Catalog: e.catalog,
				Bucket: cmd.String("bucket"), Prefix: cmd.String("prefix"), Topic: cmd.String("topic"), Group: cmd.String("group")})
			if err != nil {
				return err
			}
			out := cmd.Root().Writer
			if cmd.String("output") == "json" {
				b, err := json.MarshalIndent(st, "", "  ")
				if err != nil {
					return err
				}
				fmt.Fprintf(out, "%s\n", b)
			} else if err := st.WriteText(out); err != nil {
				return err
			}
			// What could not be read is in the report; the exit code says so too.
			return st.Err()
		},
	}
}
