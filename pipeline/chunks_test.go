package pipeline

import (
	"bytes"
	"io"
	"math/rand/v2"
	"testing"
)

// TestChunksHoldWhatWasWritten writes lines that straddle pieces and reads
// them back whole, after seeks, as the S3 client does to sign and to retry.
func TestChunksHoldWhatWasWritten(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var c chunks
	var want bytes.Buffer
	for want.Len() < 3*pieceSize+12345 {
		line := bytes.Repeat([]byte{byte('a' + rng.IntN(26))}, rng.IntN(70_000))
		c.Write(line)
		c.WriteByte('\n')
		want.Write(line)
		want.WriteByte('\n')
	}
	if c.Len() != want.Len() {
		t.Fatalf("Len = %d, want %d", c.Len(), want.Len())
	}
	r := c.Reader()
	for round := range 3 {
		if _, err := r.Seek(0, io.SeekStart); err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(r)
		if err != nil || !bytes.Equal(got, want.Bytes()) {
			t.Fatalf("round %d: read %d bytes (err %v), want the %d written", round, len(got), err, want.Len())
		}
	}
	if end, err := r.Seek(0, io.SeekEnd); err != nil || end != int64(want.Len()) {
		t.Fatalf("Seek(0, end) = %d, %v; want %d", end, err, want.Len())
	}
	off := int64(pieceSize - 3)
	if _, err := r.Seek(off, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 10)
	if _, err := io.ReadFull(r, buf); err != nil || !bytes.Equal(buf, want.Bytes()[off:off+10]) {
		t.Fatalf("read across a piece boundary: %q (err %v), want %q", buf, err, want.Bytes()[off:off+10])
	}
	c.Reset()
	if c.Len() != 0 {
		t.Fatalf("Len after Reset = %d", c.Len())
	}
	c.Write([]byte("x\n"))
	if got, _ := io.ReadAll(c.Reader()); string(got) != "x\n" {
		t.Fatalf("after Reset and a write: %q", got)
	}
}
