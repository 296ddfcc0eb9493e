package emulate

import (
	"bytes"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"hash"
	"hash/crc32"
	"hash/crc64"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// The additional checksums S3 validates and stores: their names as in
// x-amz-checksum-<name> (lower case) and ChecksumAlgorithm (upper case).
var checksumAlgorithms = []string{"CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256"}

// crc64NVME is CRC-64/NVME, the polynomial S3 uses for CRC64NVME, in the
// reversed form hash/crc64 takes.
var crc64NVME = crc64.MakeTable(0x9a6c9329ac4bc9b5)

var crc32C = crc32.MakeTable(crc32.Castagnoli)

// newChecksumHash returns a hash for one of checksumAlgorithms, or nil.
func newChecksumHash(alg string) hash.Hash {
	switch alg {
	case "CRC32":
		return crc32.NewIEEE()
	case "CRC32C":
		return crc32.New(crc32C)
	case "CRC64NVME":
		return crc64.New(crc64NVME)
	case "SHA1":
		return sha1.New()
	case "SHA256":
		return sha256.New()
	}
	return nil
}

// isChecksumAlgorithm reports whether alg (upper case) is one S3 knows.
func isChecksumAlgorithm(alg string) bool {
	for _, a := range checksumAlgorithms {
		if a == alg {
			return true
		}
	}
	return false
}

// compositeChecksum is a multipart object's COMPOSITE checksum: the
// algorithm over the parts' binary checksums, and "-<parts>".
func compositeChecksum(alg string, parts []PartInfo) *Checksum {
	h := newChecksumHash(alg)
	if h == nil {
		return nil
	}
	for _, p := range parts {
		if p.Checksum == nil || p.Checksum.Algorithm != alg {
			return nil // a part uploaded without one: no composite checksum
		}
		b, _ := base64.StdEncoding.DecodeString(p.Checksum.Value)
		h.Write(b)
	}
	return &Checksum{Algorithm: alg, Value: base64.StdEncoding.EncodeToString(h.Sum(nil)) + "-" + strconv.Itoa(len(parts)), Type: "COMPOSITE"}
}

// bodyReader reads a request body and computes, as it goes, its MD5 (the
// object's ETag), the SHA-256 the request was signed with and the
// additional checksum asked for. At the end of the body it compares each
// with what the client declared, and fails the read with BadDigest (or
// XAmzContentSHA256Mismatch) on a mismatch, so that the store, which
// commits only bodies read to their end without error, never keeps one.
type bodyReader struct {
	r   io.Reader
	md5 hash.Hash
	n   int64

	wantMD5    []byte // Content-MD5, if given
	sha        hash.Hash
	wantSHA256 []byte // x-amz-content-sha256, if a hash

	alg  string    // the additional checksum's algorithm, "" for none
	sum  hash.Hash // computing it
	want string    // its declared base64 value; "" if it comes in a trailer
	// trailer returns the checksum the body's trailer declared, once the
	// body is read (aws-chunked); nil if it has none.
	trailer func() string

	result *Checksum // once verified
}

// MD5 is the body's MD5 once it was read to its end.
func (b *bodyReader) MD5() []byte { return b.md5.Sum(nil) }

// Checksum is the additional checksum the body was verified against, if
// any, once it was read to its end.
func (b *bodyReader) Checksum() *Checksum { return b.result }

func (b *bodyReader) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if n > 0 {
		b.n += int64(n)
		b.md5.Write(p[:n])
		if b.sha != nil {
			b.sha.Write(p[:n])
		}
		if b.sum != nil {
			b.sum.Write(p[:n])
		}
	}
	if err == io.EOF {
		if verr := b.verify(); verr != nil {
			return n, verr
		}
	}
	return n, err
}

// verify compares what was read with what the client declared.
func (b *bodyReader) verify() error {
	if b.wantMD5 != nil && !bytes.Equal(b.md5.Sum(nil), b.wantMD5) {
		return s3Err("BadDigest", "The Content-MD5 you specified did not match what we received.").
			with("ExpectedDigest", base64.StdEncoding.EncodeToString(b.wantMD5)).
			with("CalculatedDigest", base64.StdEncoding.EncodeToString(b.md5.Sum(nil)))
	}
	if b.wantSHA256 != nil && !bytes.Equal(b.sha.Sum(nil), b.wantSHA256) {
		return s3Err("XAmzContentSHA256Mismatch", "The provided 'x-amz-content-sha256' header does not match what was computed.").
			with("ClientComputedContentSHA256", hex.EncodeToString(b.wantSHA256)).
			with("S3ComputedContentSHA256", hex.EncodeToString(b.sha.Sum(nil)))
	}
	if b.sum != nil {
		got := base64.StdEncoding.EncodeToString(b.sum.Sum(nil))
		want := b.want
		if want == "" && b.trailer != nil {
			want = b.trailer()
			if want == "" {
				return s3Err("InvalidRequest", "The request's x-amz-trailer names x-amz-checksum-%s, but its body ends without it", strings.ToLower(b.alg))
			}
		}
		if want != "" && want != got {
			return s3Err("BadDigest", "The %s you specified did not match the calculated checksum.", b.alg)
		}
		b.result = &Checksum{Algorithm: b.alg, Value: got, Type: "FULL_OBJECT"}
	}
	return nil
}

// newBodyReader reads r, the body of a request with headers h, checking the
// Content-MD5, the signed payload hash and the additional checksum that h
// declares (or, with defaultAlg, computing that algorithm's checksum
// without one declared). Header errors (a malformed Content-MD5, a checksum
// of the wrong length, two checksums) are returned at once.
func newBodyReader(r io.Reader, h http.Header, defaultAlg string) (*bodyReader, error) {
	b := &bodyReader{r: r, md5: md5.New()}
	if v, ok := h["Content-Md5"]; ok {
		md, err := base64.StdEncoding.DecodeString(strings.TrimSpace(strings.Join(v, "")))
		if err != nil || len(md) != md5.Size {
			return nil, s3Err("InvalidDigest", "The Content-MD5 you specified is not valid.")
		}
		b.wantMD5 = md
	}
	if v := h.Get("X-Amz-Content-Sha256"); len(v) == 2*sha256.Size {
		if sum, err := hex.DecodeString(v); err == nil {
			b.sha, b.wantSHA256 = sha256.New(), sum
		}
	}
	for _, alg := range checksumAlgorithms {
		v := h.Get("X-Amz-Checksum-" + alg)
		if v == "" {
			continue
		}
		if b.alg != "" {
			return nil, s3Err("InvalidRequest", "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.")
		}
		raw, err := base64.StdEncoding.DecodeString(v)
		if err != nil || len(raw) != newChecksumHash(alg).Size() {
			return nil, s3Err("InvalidRequest", "Value for x-amz-checksum-%s header is invalid.", strings.ToLower(alg))
		}
		b.alg, b.want = alg, v
	}
	if alg := strings.ToUpper(h.Get("X-Amz-Sdk-Checksum-Algorithm")); alg != "" && b.alg == "" {
		if !isChecksumAlgorithm(alg) {
			return nil, s3Err("InvalidRequest", "Checksum algorithm %q is not supported: want one of %s", alg, strings.Join(checksumAlgorithms, ", "))
		}
		b.alg = alg // its value comes in the trailer, or is only computed
	}
	if b.alg == "" {
		b.alg = defaultAlg
	}
	if b.alg != "" {
		b.sum = newChecksumHash(b.alg)
	}
	return b, nil
}
