package emulate

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"pipeline/internal/atomicfile"
)

// The emulated services' own state (crawlers, workgroups, query
// executions) is kept in small JSON files under the data dir, each
// replaced whole so that a crash leaves the old or the new content.

// writeJSONFile stores v as JSON in path, creating its directory.
func writeJSONFile(path string, v any) error {
	b, err := json.MarshalIndent(v, "", " ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return atomicfile.WriteFile(path, append(b, '\n'))
}

// readJSONFile reads what writeJSONFile stored in path into v; a missing
// file leaves v as it is.
func readJSONFile(path string, v any) error {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s is damaged (%v): move it away to start without it", path, err)
	}
	return nil
}
