package emulate

// GetPartitions: pages of up to MaxResults (1-1000, default 1000)
// partitions, sorted by their values.
//
// Expression filters the partitions (see glue_partition_expression.go for
// the grammar and how values compare).
//
// Differences from Glue:
//   - Segment: segment 0 holds every partition and the others are empty
//     (Glue spreads partitions across segments).
//   - Partitions keep only values and location, so each is returned with
//     the table's current storage descriptor (columns left out if
//     ExcludeColumnSchema) and its own Location, and no CreationTime or
//     Parameters.

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
)

type getPartitionsInput struct {
	DatabaseName        string  `json:"DatabaseName"`
	TableName           string  `json:"TableName"`
	Expression          *string `json:"Expression"`
	NextToken           *string `json:"NextToken"`
	MaxResults          *int32  `json:"MaxResults"`
	ExcludeColumnSchema *bool   `json:"ExcludeColumnSchema"`
	Segment             *struct {
		SegmentNumber int32 `json:"SegmentNumber"`
		TotalSegments int32 `json:"TotalSegments"`
	} `json:"Segment"`
}

type getPartitionsOutput struct {
	Partitions []gluePartition `json:"Partitions"`
	NextToken  *string         `json:"NextToken,omitempty"`
}

func (g *GlueService) getPartitions(ctx context.Context, in *getPartitionsInput) (*getPartitionsOutput, error) {
	if err := requireName("DatabaseName", in.DatabaseName); err != nil {
		return nil, err
	}
	if err := requireName("TableName", in.TableName); err != nil {
		return nil, err
	}
	n, err := pageSize(in.MaxResults, 1000, 1000)
	if err != nil {
		return nil, err
	}
	tok, err := parsePageToken(in.NextToken)
	if err != nil {
		return nil, err
	}
	var after []string
	if tok != "" {
		if err := json.Unmarshal([]byte(tok), &after); err != nil {
			return nil, errInvalidInput("NextToken is not one this service returned")
		}
	}
	if s := in.Segment; s != nil && (s.SegmentNumber < 0 || s.TotalSegments < 1 || s.SegmentNumber >= s.TotalSegments) {
		return nil, errInvalidInput("Segment.SegmentNumber must be between 0 and Segment.TotalSegments-1")
	}
	t, parts, err := g.tablePartitions(ctx, in.DatabaseName, in.TableName)
	if err != nil {
		return nil, err
	}
	var filter *partitionFilter
	if e := deref(in.Expression); strings.TrimSpace(e) != "" {
		if filter, err = parsePartitionFilter(e, t.PartitionKeys); err != nil {
			return nil, err
		}
	}
	out := &getPartitionsOutput{Partitions: []gluePartition{}}
	if in.Segment != nil && in.Segment.SegmentNumber > 0 {
		return out, nil
	}
	withColumns := in.ExcludeColumnSchema == nil || !*in.ExcludeColumnSchema
	for _, p := range parts { // sorted by values
		if after != nil && slices.Compare(p.Values, after) <= 0 {
			continue
		}
		if filter != nil {
			ok, err := filter.match(p.Values)
			if err != nil {
				return nil, err
			}
			if !ok {
				continue
			}
		}
		if len(out.Partitions) == n {
			b, _ := json.Marshal(out.Partitions[n-1].Values)
			out.NextToken = pageToken(string(b))
			break
		}
		out.Partitions = append(out.Partitions, partitionToGlue(t, p, withColumns))
	}
	return out, nil
}
