//go:build !linux

package emulate

import (
	"io"
	"os"
)

// copyToFile copies r to the new empty file f, and returns the bytes copied.
// Errors from r are returned unwrapped.
func copyToFile(f *os.File, r io.Reader) (int64, error) {
	return io.Copy(f, r)
}
