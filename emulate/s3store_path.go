package emulate

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/johannesboyne/gofakes3"
)

// This file is the one place that maps S3 names to file names. See DiskStore
// for the layout.

// sidecarSuffix ends every metadata sidecar's file name. Escaped segments
// never contain '~', so a sidecar can never collide with the directory that
// mirrors a longer key (key "a" has sidecar "a~.json"; key "a.json/b" lives
// under directory "a.json").
const sidecarSuffix = "~.json"

// maxSegmentBytes is the longest escaped key segment the store accepts: 255,
// the longest file name ext4, XFS, APFS and NTFS all accept, less room for
// the sidecar's suffix.
const maxSegmentBytes = 255 - len(sidecarSuffix)

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

// escapeKey maps key to a relative, OS-separated path of escaped segments.
// The error is a gofakes3 error, so it reaches S3 clients as a 400: an empty
// key is InvalidArgument, a segment longer than maxSegmentBytes once escaped
// is KeyTooLongError.
func escapeKey(key string) (string, error) {
	if key == "" {
		return "", gofakes3.ErrorMessage(gofakes3.ErrInvalidArgument, "object key must not be empty")
	}
	segs := strings.Split(key, "/")
	for i, seg := range segs {
		e := escapeSegment(seg)
		if len(e) > maxSegmentBytes {
			return "", gofakes3.ErrorMessagef(gofakes3.ErrKeyTooLong,
				"segment %d of the key is %d bytes once escaped; the local S3 emulator stores each "+
					"\"/\"-separated segment as a file name and allows at most %d bytes (real S3 only limits the whole key to 1024)",
				i+1, len(e), maxSegmentBytes)
		}
		segs[i] = e
	}
	return filepath.Join(segs...), nil
}

// unescapeKey reverses escapeKey for a relative path it produced.
func unescapeKey(rel string) (string, bool) {
	segs := strings.Split(filepath.ToSlash(rel), "/")
	for i, name := range segs {
		seg, ok := unescapeSegment(name)
		if !ok {
			return "", false
		}
		segs[i] = seg
	}
	return strings.Join(segs, "/"), true
}

// checkBucketName enforces S3's naming rules (3-63 bytes of lowercase
// letters, digits, '.' and '-', starting and ending with a letter or digit,
// no ".."), which also guarantees the name is one harmless path segment that
// can never be ".", "..", ".tmp" or ".meta".
func checkBucketName(name string) error {
	if len(name) < 3 || len(name) > 63 {
		return gofakes3.ErrorMessagef(gofakes3.ErrInvalidBucketName, "bucket name %q must be 3 to 63 characters long", name)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		alnum := 'a' <= c && c <= 'z' || '0' <= c && c <= '9'
		edge := i == 0 || i == len(name)-1
		if !alnum && (edge || c != '.' && c != '-') {
			return gofakes3.ErrorMessagef(gofakes3.ErrInvalidBucketName,
				"bucket name %q may only contain lowercase letters, digits, '.' and '-', and must start and end with a letter or digit", name)
		}
	}
	if strings.Contains(name, "..") {
		return gofakes3.ErrorMessagef(gofakes3.ErrInvalidBucketName, "bucket name %q must not contain \"..\"", name)
	}
	return nil
}

// ObjectPath returns the file that holds key in bucket under the store's
// root, whether or not the object exists. It is the only mapping from S3
// names to files; readers that bypass S3 (the DuckDB query layer) must use
// it rather than joining paths themselves. The path always lies inside
// root/bucket. It fails for an invalid bucket name, an empty key, or a key
// with a segment longer than 249 bytes once escaped (which PutObject also
// refuses).
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
