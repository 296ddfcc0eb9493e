// Package oneline folds a message onto one line: what a user sees of an
// error is one line, whatever the SDK, service or library that wrote it put
// in it (newlines, indented details).
package oneline

import "strings"

// Fold returns s with every run of white space (newlines included) made one
// space, and none at either end.
func Fold(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
