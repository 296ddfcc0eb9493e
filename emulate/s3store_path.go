package emulate

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
)

// This file is the one place that maps S3 names to file names. See DiskStore
// for the layout.
//
// A key is split on "/". Every segment but the last names a directory, the
// last one the object's file, whose name starts with objectMark. No
// directory's name does, so the object "a/b" (file a/@b) and the objects
// under "a/b/" (directory a/b) never collide, as S3 allows: S3 has no
// folders, and any key may sit beside any other.

// objectMark starts every object file's name. escapeSegment never writes
// it, so no directory (and no other name) starts with it.
const objectMark = "@"

// hashMark sits in a name that was too long to keep whole, before the hash
// of the segment (see fitName). escapeSegment never writes it.
const hashMark = "~"

// maxNameBytes is the longest file name ext4, XFS, APFS and NTFS all accept.
const maxNameBytes = 255

// MaxKeyBytes is the longest key S3 accepts (KeyTooLongError beyond it).
const MaxKeyBytes = 1024

// segmentByteOK reports whether b may appear unescaped in a file name.
func segmentByteOK(b byte) bool {
	switch {
	case 'a' <= b && b <= 'z', 'A' <= b && b <= 'Z', '0' <= b && b <= '9':
		return true
	}
	return b == '.' || b == '_' || b == '=' || b == '+' || b == '-'
}

// escapeSegment maps one "/"-separated segment of a key to a file name:
// bytes outside [A-Za-z0-9._=+-], and leading dots, become %XX (uppercase
// hex), and the empty segment becomes "%". So "." and ".." become "%2E" and
// "%2E%2E", no name is hidden or special, none contains a path separator, and
// unescapeSegment reverses it.
func escapeSegment(seg string) string {
	if seg == "" {
		return "%"
	}
	clean := seg[0] != '.'
	for i := 0; clean && i < len(seg); i++ {
		clean = segmentByteOK(seg[i])
	}
	if clean {
		return seg
	}
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(seg) + 8)
	leading := true // still in the leading run of dots
	for i := 0; i < len(seg); i++ {
		c := seg[i]
		leading = leading && c == '.'
		if segmentByteOK(c) && !leading {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&0xF])
	}
	return b.String()
}

// unescapeSegment reverses escapeSegment. It reports false for any name that
// escapeSegment could not have produced (a stray ".DS_Store", "a b", "%41"),
// so each stored file has exactly one key and foreign files are not objects.
func unescapeSegment(name string) (string, bool) {
	if name == "%" {
		return "", true
	}
	if name == "" {
		return "", false
	}
	if !strings.Contains(name, "%") {
		return name, escapeSegment(name) == name
	}
	b := make([]byte, 0, len(name))
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c != '%' {
			b = append(b, c)
			continue
		}
		if i+2 >= len(name) {
			return "", false
		}
		hi, ok1 := unhex(name[i+1])
		lo, ok2 := unhex(name[i+2])
		if !ok1 || !ok2 {
			return "", false
		}
		b = append(b, hi<<4|lo)
		i += 2
	}
	seg := string(b)
	return seg, escapeSegment(seg) == name
}

// unhex decodes one uppercase hex digit, the only case escapeSegment writes.
func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// dirName is the directory for a key segment that keys continue past.
func dirName(seg string) string { return fitName("", seg) }

// fileName is the file of an object whose key ends in seg.
func fileName(seg string) string { return fitName(objectMark, seg) }

// fitName is mark and the escaped segment, if that fits in a file name.
// Otherwise it is mark, as much of the escaped segment as fits, hashMark,
// the first 128 bits of the segment's SHA-256 in hex, and the escaped
// segment's extension (up to 16 bytes from its last "."), so that readers
// that pick files by extension (DuckDB's *.parquet) still find it. Such a
// name cannot be reversed: the store reads an object's key from its
// sidecar, and a directory's segment from a key below it.
func fitName(mark, seg string) string {
	esc := escapeSegment(seg)
	if len(mark)+len(esc) <= maxNameBytes {
		return mark + esc
	}
	sum := sha256.Sum256([]byte(seg))
	h := hex.EncodeToString(sum[:16])
	ext := ""
	if i := strings.LastIndexByte(esc, '.'); i > 0 && len(esc)-i <= 16 {
		ext = esc[i:]
	}
	head := esc[:maxNameBytes-len(mark)-len(hashMark)-len(h)-len(ext)]
	return mark + head + hashMark + h + ext
}

// entryName is what a directory entry stands for: the key segment it holds
// (exact, unless hashed: then the segment must be looked up), whether it is
// an object file (else a directory), and whether the store could have
// written it at all.
type entryName struct {
	seg    string
	object bool
	hashed bool
}

// parseEntry reads a directory entry's name. ok is false for names the
// store never writes (foreign files, a directory starting with the object
// mark), which are not part of any key.
func parseEntry(name string, isDir bool) (entryName, bool) {
	rest, object := strings.CutPrefix(name, objectMark)
	if object == isDir {
		return entryName{}, false
	}
	if strings.Contains(rest, hashMark) {
		return entryName{object: object, hashed: true}, len(name) == maxNameBytes
	}
	seg, ok := unescapeSegment(rest)
	return entryName{seg: seg, object: object}, ok
}

// checkKey enforces S3's limits on a key: not empty, at most MaxKeyBytes.
func checkKey(key string) error {
	if key == "" {
		return s3Err("InvalidArgument", "object key must not be empty")
	}
	if len(key) > MaxKeyBytes {
		return s3Err("KeyTooLongError", "Your key is too long: %d bytes; S3 allows at most %d", len(key), MaxKeyBytes)
	}
	return nil
}

// escapeKey maps key to the object's file, a relative, OS-separated path.
// The error is an S3Error, so it reaches S3 clients as a 400.
func escapeKey(key string) (string, error) {
	if err := checkKey(key); err != nil {
		return "", err
	}
	segs := strings.Split(key, "/")
	last := len(segs) - 1
	for i, seg := range segs[:last] {
		segs[i] = dirName(seg)
	}
	segs[last] = fileName(segs[last])
	return filepath.Join(segs...), nil
}

// escapePrefix maps a key prefix that is "" or ends in "/" to the directory
// (relative, OS-separated; "." for "") holding the keys that continue it.
func escapePrefix(prefix string) (string, error) {
	if prefix == "" {
		return ".", nil
	}
	dirs, ok := strings.CutSuffix(prefix, "/")
	if !ok {
		return "", fmt.Errorf("prefix %q does not end in \"/\"", prefix)
	}
	if len(prefix) > MaxKeyBytes {
		return "", s3Err("KeyTooLongError", "the prefix is %d bytes; S3 keys have at most %d", len(prefix), MaxKeyBytes)
	}
	segs := strings.Split(dirs, "/")
	for i, seg := range segs {
		segs[i] = dirName(seg)
	}
	return filepath.Join(segs...), nil
}

// checkBucketName enforces S3's naming rules (3-63 bytes of lowercase
// letters, digits, '.' and '-', starting and ending with a letter or digit,
// no ".."), which also guarantees the name is one harmless path segment that
// can never be ".", "..", ".tmp" or ".meta".
func checkBucketName(name string) error {
	if len(name) < 3 || len(name) > 63 {
		return s3Err("InvalidBucketName", "The specified bucket is not valid: %q must be 3 to 63 characters long", name).with("BucketName", name)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		alnum := 'a' <= c && c <= 'z' || '0' <= c && c <= '9'
		edge := i == 0 || i == len(name)-1
		if !alnum && (edge || c != '.' && c != '-') {
			return s3Err("InvalidBucketName",
				"The specified bucket is not valid: %q may only contain lowercase letters, digits, '.' and '-', and must start and end with a letter or digit", name).with("BucketName", name)
		}
	}
	if strings.Contains(name, "..") {
		return s3Err("InvalidBucketName", "The specified bucket is not valid: %q must not contain \"..\"", name).with("BucketName", name)
	}
	return nil
}

// Bucket names S3 reserves for other things (access point aliases, Multi-Region
// Access Points, directory and table buckets, its own and its docs'
// buckets), which CreateBucket refuses.
var (
	reservedBucketPrefixes = []string{"xn--", "sthree-", "amzn-s3-demo-"}
	reservedBucketSuffixes = []string{"-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"}
)

// checkNewBucketName is checkBucketName and the rules S3 added for names of
// new buckets: not shaped as an IPv4 address, no reserved prefix or suffix.
// Those are checked only at creation, so that a bucket made before, as on
// AWS, stays served.
func checkNewBucketName(name string) error {
	if err := checkBucketName(name); err != nil {
		return err
	}
	invalid := func(why string) error {
		return s3Err("InvalidBucketName", "The specified bucket is not valid: %q %s", name, why).with("BucketName", name)
	}
	if parts := strings.Split(name, "."); len(parts) == 4 && !slices.ContainsFunc(parts, func(p string) bool {
		return strings.Trim(p, "0123456789") != ""
	}) {
		return invalid("must not be formatted as an IP address")
	}
	for _, p := range reservedBucketPrefixes {
		if strings.HasPrefix(name, p) {
			return invalid(fmt.Sprintf("must not start with %q, which S3 reserves", p))
		}
	}
	for _, x := range reservedBucketSuffixes {
		if strings.HasSuffix(name, x) {
			return invalid(fmt.Sprintf("must not end with %q, which S3 reserves", x))
		}
	}
	return nil
}

// ObjectPath returns the file that holds key in bucket, whether or not the
// object exists: readers that bypass S3 must use it (or PrefixDir) rather
// than join paths themselves. The path always lies inside root/bucket. It
// fails for an invalid bucket name, an empty key, or a key longer than
// MaxKeyBytes, which PutObject also refuses.
func (s *DiskStore) ObjectPath(bucket, key string) (string, error) {
	if err := checkBucketName(bucket); err != nil {
		return "", fmt.Errorf("locate s3://%s/%s on disk: %w", bucket, key, err)
	}
	rel, err := escapeKey(key)
	if err != nil {
		return "", fmt.Errorf("locate s3://%s/%s on disk: %w", bucket, key, err)
	}
	return filepath.Join(s.root, bucket, rel), nil
}

// PrefixDir returns the directory that holds the objects whose keys are
// prefix followed by one more "/"-free segment, for readers that bypass S3
// (the DuckDB query layer globs its *.json and *.parquet files). prefix is
// "" (the bucket's own directory) or ends in "/". Object files there are
// named "@" and the escaped segment ("dt=2024-01-02/" holds
// "@part-0.parquet"), so a glob by extension finds them; the keys that
// continue further are in directories. The path always lies inside
// root/bucket.
func (s *DiskStore) PrefixDir(bucket, prefix string) (string, error) {
	if err := checkBucketName(bucket); err != nil {
		return "", fmt.Errorf("locate s3://%s/%s on disk: %w", bucket, prefix, err)
	}
	rel, err := escapePrefix(prefix)
	if err != nil {
		return "", fmt.Errorf("locate s3://%s/%s on disk: %w", bucket, prefix, err)
	}
	return filepath.Join(s.root, bucket, rel), nil
}

// EntryName is the S3 name an entry of a bucket's tree stands for, for
// readers that list the tree themselves (the emulated Athena's tables):
// for an object file, the last segment of its key ("" for a folder marker
// such as "a/", file a/@%); for a directory, the segment the keys below it
// continue with. path is the entry's path as PrefixDir and ObjectPath name
// it. It reports false for an entry that holds no key: a foreign file, a
// directory whose name starts with "@", anything outside the buckets
// (sidecars, temporary files). A hashed name is read back from a sidecar,
// as ListObjects does, and is false when none confirms it.
func (s *DiskStore) EntryName(path string, isDir bool) (string, bool) {
	name := filepath.Base(path)
	n, ok := parseEntry(name, isDir)
	if !ok {
		return "", false
	}
	rel, err := filepath.Rel(s.root, path)
	if err != nil || !filepath.IsLocal(rel) {
		return "", false
	}
	parts := strings.Split(rel, string(filepath.Separator))
	if len(parts) < 2 || checkBucketName(parts[0]) != nil {
		return "", false // not inside a bucket: .meta, .tmp, .uploads, ...
	}
	if !n.hashed {
		return n.seg, true
	}
	w := &lister{s: s, bucket: parts[0]}
	keyPath := path
	if isDir {
		if keyPath, ok = w.firstKey(path); !ok {
			return "", false
		}
	}
	key, ok := w.keyOf(keyPath)
	segs := strings.Split(key, "/")
	depth := len(parts) - 1 // the key segments up to this entry's
	if !ok || len(segs) < depth {
		return "", false
	}
	seg := segs[depth-1]
	if isDir && (len(segs) == depth || dirName(seg) != name) || !isDir && (len(segs) != depth || fileName(seg) != name) {
		return "", false
	}
	return seg, true
}

// KeyOfPath is the object a file of the store holds: the reverse of
// ObjectPath, for naming objects in messages that name files. It reports
// false for a path that is no object's file.
func (s *DiskStore) KeyOfPath(path string) (bucket, key string, ok bool) {
	rel, err := filepath.Rel(s.root, path)
	if err != nil || !filepath.IsLocal(rel) {
		return "", "", false
	}
	parts := strings.Split(rel, string(filepath.Separator))
	if len(parts) < 2 || checkBucketName(parts[0]) != nil {
		return "", "", false
	}
	segs := make([]string, 0, len(parts)-1)
	for i := 1; i < len(parts); i++ {
		dir := i < len(parts)-1
		n, ok := parseEntry(parts[i], dir)
		if !ok {
			return "", "", false
		}
		if n.hashed {
			// The sidecar holds the whole key.
			w := &lister{s: s, bucket: parts[0]}
			k, ok := w.keyOf(path)
			if p, err := s.ObjectPath(parts[0], k); !ok || err != nil || p != path {
				return "", "", false
			}
			return parts[0], k, true
		}
		segs = append(segs, n.seg)
	}
	return parts[0], strings.Join(segs, "/"), true
}
