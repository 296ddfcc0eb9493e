package pipeline

import (
	"fmt"
	"path"
	"strconv"
	"strings"
	"time"
	"unicode"

	"pipeline/catalog"
)

// The sink's objects are named by what they hold, so that a replay after a
// crash rewrites the same keys instead of adding objects:
//
//	<prefix><topic>/dt=YYYY-MM-DD/<topic>+<partition>+<firstOffset>.json (or .parquet)
//	<prefix>_errors/<topic>/<topic>+<partition>+<firstOffset>.json     (dead letters)
//	<prefix>_sink/<topic>/<partition>/<firstOffset, 19 digits>.json    (claims, see Sink)
//
// A batch's objects are all named by the batch's first offset, so they are
// a function of the batch's claim. Symbols and other event data never take
// part in a key. The crawler reads the same layout back: each folder under
// the prefix is a table, each key=value folder below it a partition;
// folders starting with "_" are no table's.

// ErrorsFolder is the top-level folder of dead letters: records the table
// cannot hold are stored under <prefix>_errors/<topic>/ with their raw
// bytes, partition, offset and the reason, instead of stopping the sink.
const ErrorsFolder = "_errors"

// SinkFolder is the top-level folder of the sink's claims: which sink
// stores which offsets of a partition (see Sink).
const SinkFolder = "_sink"

// CleanPrefix checks a user-given key prefix and returns it ending in "/"
// ("" stays ""). A prefix is folders: no empty, "." or ".." segment, no
// control characters, so it means the same thing on every S3 implementation
// and on the emulator's disk.
func CleanPrefix(p string) (string, error) {
	if p == "" {
		return "", nil
	}
	p = strings.TrimSuffix(p, "/")
	for _, seg := range strings.Split(p, "/") {
		if seg == "" || seg == "." || seg == ".." || strings.ContainsFunc(seg, unicode.IsControl) {
			return "", fmt.Errorf("bad key prefix %q: use folder names separated by /, without empty, . or .. parts", p)
		}
	}
	return p + "/", nil
}

// dayDate is the dt= folder of a record's partition day (days since
// 1970-01-01, UTC): a record's only part in its object's key.
func dayDate(day int64) string { return time.Unix(day*86400, 0).UTC().Format("2006-01-02") }

// tableFolder is the key prefix of a topic's table: <prefix><topic>/.
func tableFolder(prefix, topic string) string { return prefix + topic + "/" }

// dateFolder is the key prefix of one date partition of a topic's table.
func dateFolder(prefix, topic, dt string) string {
	return tableFolder(prefix, topic) + "dt=" + dt + "/"
}

// DeadLetterFolder is the key prefix of a topic's dead letters.
func DeadLetterFolder(prefix, topic string) string { return prefix + ErrorsFolder + "/" + topic + "/" }

// claimFolder is the key prefix of the claims of one partition of a topic.
func claimFolder(prefix, topic string, partition int32) string {
	return fmt.Sprintf("%s%s/%s/%d/", prefix, SinkFolder, topic, partition)
}

// ClaimKey is the object key of the claim on the offsets of a partition
// that start at firstOffset. Offsets are zero-padded to int64's 19 digits so
// that the keys list in offset order.
func ClaimKey(prefix, topic string, partition int32, firstOffset int64) string {
	return fmt.Sprintf("%s%019d.json", claimFolder(prefix, topic, partition), firstOffset)
}

// parseClaimKey returns the first offset of a claim key of claimFolder.
func parseClaimKey(key, folder string) (int64, bool) {
	name, ok := strings.CutPrefix(key, folder)
	if !ok {
		return 0, false
	}
	digits, ok := strings.CutSuffix(name, ".json")
	if !ok || len(digits) != 19 {
		return 0, false
	}
	o, err := strconv.ParseInt(digits, 10, 64)
	return o, err == nil && o >= 0
}

// probeKey is the object the sink writes twice at start to check that the
// store honours If-None-Match (see Sink).
func probeKey(prefix, topic string) string {
	return prefix + SinkFolder + "/" + topic + "/if-none-match-probe"
}

// DataKey is the object key of a table object in format (catalog.FormatJSON
// or catalog.FormatParquet, which is also the extension).
func DataKey(prefix, topic, dt, format string, partition int32, firstOffset int64) string {
	return fmt.Sprintf("%s%s+%d+%010d.%s", dateFolder(prefix, topic, dt), topic, partition, firstOffset, format)
}

// DeadLetterKey is the object key of a dead-letter object.
func DeadLetterKey(prefix, topic string, partition int32, firstOffset int64) string {
	return fmt.Sprintf("%s%s+%d+%010d.json", DeadLetterFolder(prefix, topic), topic, partition, firstOffset)
}

// parseObjectName returns the partition and first offset of an object named
// <topic>+<partition>+<offset>.json or .parquet.
func parseObjectName(key, topic string) (int32, int64, bool) {
	name := key[strings.LastIndexByte(key, '/')+1:]
	rest, ok := strings.CutPrefix(name, topic+"+")
	if !ok {
		return 0, 0, false
	}
	rest, ok = strings.CutSuffix(rest, ".json")
	if !ok {
		if rest, ok = strings.CutSuffix(rest, ".parquet"); !ok {
			return 0, 0, false
		}
	}
	ps, os, ok := strings.Cut(rest, "+")
	if !ok {
		return 0, 0, false
	}
	p, err1 := strconv.ParseInt(ps, 10, 32)
	o, err2 := strconv.ParseInt(os, 10, 64)
	if err1 != nil || err2 != nil {
		return 0, 0, false
	}
	return int32(p), o, true
}

// formatOf is the table format of an object by its extension, "" if it is
// no table's.
func formatOf(key string) string {
	switch strings.ToLower(path.Ext(key)) {
	case ".json", ".jsonl", ".ndjson":
		return catalog.FormatJSON
	case ".parquet":
		return catalog.FormatParquet
	}
	return ""
}

// partitionOf turns folder names into partition keys and values: Hive
// "key=value" folders, or partition_N for plain folders, as Glue names them.
func partitionOf(dirs []string) (names, vals []string) {
	names, vals = []string{}, []string{}
	for i, d := range dirs {
		if k, v, ok := strings.Cut(d, "="); ok && k != "" {
			names = append(names, k)
			vals = append(vals, v)
		} else {
			names = append(names, fmt.Sprintf("partition_%d", i))
			vals = append(vals, d)
		}
	}
	return names, vals
}

// sameLocation says whether two S3 folder locations are one.
func sameLocation(a, b string) bool {
	return strings.TrimSuffix(a, "/") == strings.TrimSuffix(b, "/")
}
