package pipeline

import (
	"errors"
	"io"
	"sync"
)

// pieceSize is the size of the pieces a batch's JSON lines are held in:
// small, as each open batch holds a piece it may not fill, which MaxBuffered
// does not count (a topic of 100 partitions: at most 6.4 MiB more).
const pieceSize = 64 << 10

// chunkPool recycles the pieces across batches and sinks: a batch grows
// without copying what it holds (as a doubling slice would), and without
// the kernel or the runtime zeroing fresh memory for every batch.
var chunkPool = sync.Pool{New: func() any { b := make([]byte, 0, pieceSize); return &b }}

// chunks is a byte buffer held in pooled pieces of pieceSize.
type chunks struct {
	bufs []*[]byte
	n    int
}

func (c *chunks) Len() int { return c.n }

// tail is the piece being filled, a new one if the last is full.
func (c *chunks) tail() *[]byte {
	if len(c.bufs) == 0 || len(*c.bufs[len(c.bufs)-1]) == pieceSize {
		c.bufs = append(c.bufs, chunkPool.Get().(*[]byte))
	}
	return c.bufs[len(c.bufs)-1]
}

// Write appends p; it never fails.
func (c *chunks) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		last := c.tail()
		k := min(len(p), pieceSize-len(*last))
		*last = append(*last, p[:k]...)
		p = p[k:]
	}
	c.n += n
	return n, nil
}

// WriteByte appends b.
func (c *chunks) WriteByte(b byte) error {
	last := c.tail()
	*last = append(*last, b)
	c.n++
	return nil
}

// Reader returns a reader of what c holds, which may seek (the S3 client
// rewinds a body to sign it and to retry). It is valid until Reset.
func (c *chunks) Reader() io.ReadSeeker {
	return &chunksReader{c: c}
}

// Reset gives the pieces back to the pool.
func (c *chunks) Reset() {
	for _, b := range c.bufs {
		*b = (*b)[:0]
		chunkPool.Put(b)
	}
	clear(c.bufs)
	c.bufs, c.n = c.bufs[:0], 0
}

type chunksReader struct {
	c   *chunks
	off int64
}

func (r *chunksReader) Read(p []byte) (int, error) {
	if r.off >= int64(r.c.n) {
		return 0, io.EOF
	}
	n := 0
	for n < len(p) && r.off < int64(r.c.n) {
		b := *r.c.bufs[r.off/pieceSize]
		k := copy(p[n:], b[r.off%pieceSize:])
		n += k
		r.off += int64(k)
	}
	return n, nil
}

func (r *chunksReader) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += r.off
	case io.SeekEnd:
		offset += int64(r.c.n)
	default:
		return 0, errors.New("chunks: invalid whence")
	}
	if offset < 0 {
		return 0, errors.New("chunks: negative position")
	}
	r.off = offset
	return offset, nil
}
