package bench

import (
	"testing"
	"time"
)

// TestStealOf reads the steal column of /proc/stat's first line (the eighth
// number, in hundredths of a second), and 0 from anything else.
func TestStealOf(t *testing.T) {
	for _, tt := range []struct {
		line string
		want time.Duration
	}{
		{"cpu  2092758 0 482757 9353690 113058 0 14890 9214 0 0", 92140 * time.Millisecond},
		{"cpu 1 2 3 4 5 6 7 0", 0},
		{"cpu0 1 2 3 4 5 6 7 8", 0},     // one CPU's line, not the sum
		{"cpu 1 2 3 4 5 6 7", 0},        // a kernel before steal was counted
		{"cpu 1 2 3 4 5 6 7 x 9 10", 0}, // garbage
		{"", 0},
	} {
		if got := stealOf(tt.line); got != tt.want {
			t.Errorf("stealOf(%q) = %v, want %v", tt.line, got, tt.want)
		}
	}
}
