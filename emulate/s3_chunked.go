package emulate

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"hash"
	"io"
	"strconv"
	"strings"
)

// aws-chunked is the body encoding SigV4 streaming uploads use
// (Content-Encoding: aws-chunked, x-amz-content-sha256: STREAMING-...):
//
//	<hex size>[;chunk-signature=<sig>]\r\n<bytes>\r\n ... 0[;chunk-signature=<sig>]\r\n
//	[<trailer>:<value>\r\n ...][x-amz-trailer-signature:<sig>\r\n]\r\n
//
// The object is the chunks' bytes; the encoding is not stored.

// chunkSigner verifies the signature chain of a signed streaming upload:
// each chunk's signature signs its bytes and the previous signature, the
// first one the request's (the seed).
type chunkSigner struct {
	key   []byte // the SigV4 signing key
	date  string // X-Amz-Date
	scope string // date/region/service/aws4_request
	prev  string // the last verified signature
}

var emptySHA256 = hex.EncodeToString(sha256.New().Sum(nil))

func (c *chunkSigner) verify(kind, sig string, sum []byte) error {
	sts := kind + "\n" + c.date + "\n" + c.scope + "\n" + c.prev + "\n"
	if kind == "AWS4-HMAC-SHA256-PAYLOAD" {
		sts += emptySHA256 + "\n"
	}
	sts += hex.EncodeToString(sum)
	want := hex.EncodeToString(hmacSHA256(c.key, sts))
	if sig != want {
		return s3Err("SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided: a chunk of the aws-chunked body is signed with another key or was changed in transit.")
	}
	c.prev = sig
	return nil
}

// chunkedReader decodes an aws-chunked body.
type chunkedReader struct {
	r       *bufio.Reader
	signer  *chunkSigner // nil when the chunks are not signed
	remain  int64        // bytes left in the current chunk
	started bool
	sig     string    // the current chunk's signature
	sum     hash.Hash // the current chunk's SHA-256, when signed
	done    bool
	// trailers are the trailing headers, names lower case, once the body
	// is read.
	trailers map[string]string
}

func newChunkedReader(r io.Reader, signer *chunkSigner) *chunkedReader {
	c := &chunkedReader{r: bufio.NewReaderSize(r, 64<<10), signer: signer, trailers: map[string]string{}}
	if signer != nil {
		c.sum = sha256.New()
	}
	return c
}

// errChunked is the error for a body that does not follow the encoding.
func errChunked(what string) error {
	return s3Err("IncompleteBody", "The aws-chunked body is malformed: %s", what)
}

func (c *chunkedReader) Read(p []byte) (int, error) {
	if c.done {
		return 0, io.EOF
	}
	if c.remain == 0 {
		if err := c.nextChunk(); err != nil {
			return 0, err
		}
		if c.done {
			return 0, io.EOF
		}
	}
	if int64(len(p)) > c.remain {
		p = p[:c.remain]
	}
	n, err := c.r.Read(p)
	c.remain -= int64(n)
	if c.sum != nil {
		c.sum.Write(p[:n])
	}
	if errors.Is(err, io.EOF) {
		return n, errChunked("it ends inside a chunk")
	}
	return n, err
}

// line reads one CRLF-terminated line of at most 4 KiB.
func (c *chunkedReader) line() (string, error) {
	var b strings.Builder
	for {
		frag, err := c.r.ReadSlice('\n')
		b.Write(frag)
		if b.Len() > 4096 {
			return "", errChunked("a chunk header is too long")
		}
		if err == nil {
			break
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			return "", errChunked("it ends inside a chunk header")
		}
	}
	s, ok := strings.CutSuffix(b.String(), "\r\n")
	if !ok {
		return "", errChunked("a line does not end in CRLF")
	}
	return s, nil
}

// nextChunk ends the current chunk and reads the next one's header, or the
// final chunk and the trailers.
func (c *chunkedReader) nextChunk() error {
	if c.started {
		if l, err := c.line(); err != nil || l != "" {
			return errChunked("a chunk is longer than its size")
		}
		if c.signer != nil {
			if err := c.signer.verify("AWS4-HMAC-SHA256-PAYLOAD", c.sig, c.sum.Sum(nil)); err != nil {
				return err
			}
			c.sum.Reset()
		}
	}
	c.started = true
	hdr, err := c.line()
	if err != nil {
		return err
	}
	sizeHex, ext, _ := strings.Cut(hdr, ";")
	size, err := strconv.ParseInt(strings.TrimSpace(sizeHex), 16, 64)
	if err != nil || size < 0 {
		return errChunked("a chunk size is not hexadecimal")
	}
	c.sig = ""
	if v, ok := strings.CutPrefix(strings.TrimSpace(ext), "chunk-signature="); ok {
		c.sig = v
	}
	if c.signer != nil && c.sig == "" {
		return s3Err("SignatureDoesNotMatch", "A chunk of the signed aws-chunked body has no chunk-signature")
	}
	if size > 0 {
		c.remain = size
		return nil
	}
	// The final chunk: its signature signs no bytes; then the trailers.
	if c.signer != nil {
		if err := c.signer.verify("AWS4-HMAC-SHA256-PAYLOAD", c.sig, c.sum.Sum(nil)); err != nil {
			return err
		}
	}
	var signed strings.Builder
	for {
		l, err := c.line()
		if err != nil {
			return err
		}
		if l == "" {
			break
		}
		name, value, ok := strings.Cut(l, ":")
		if !ok {
			return errChunked("a trailer has no colon")
		}
		name = strings.ToLower(strings.TrimSpace(name))
		if name == "x-amz-trailer-signature" {
			if c.signer != nil {
				sum := sha256.Sum256([]byte(signed.String()))
				if err := c.signer.verify("AWS4-HMAC-SHA256-TRAILER", strings.TrimSpace(value), sum[:]); err != nil {
					return err
				}
			}
			continue
		}
		c.trailers[name] = strings.TrimSpace(value)
		signed.WriteString(name + ":" + strings.TrimSpace(value) + "\n")
	}
	c.done = true
	return nil
}
