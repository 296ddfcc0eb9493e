package pipeline

import (
	"slices"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"
)

// TestNextPartition: the first record of each partition's run, found by
// galloping, is where a scan of every record finds it.
func TestNextPartition(t *testing.T) {
	for _, runs := range [][]int{{1}, {5}, {1, 1, 1}, {3, 1, 7}, {64, 1, 33, 2}, {1000, 999, 1, 513}} {
		var recs []*kgo.Record
		var want []int
		for p, n := range runs {
			want = append(want, len(recs))
			for range n {
				recs = append(recs, &kgo.Record{Partition: int32(p)})
			}
		}
		var got []int
		for i := 0; i < len(recs); i = nextPartition(recs, i) {
			got = append(got, i)
		}
		if !slices.Equal(got, want) {
			t.Errorf("runs %v: partitions start at %v, want %v", runs, got, want)
		}
	}
}
