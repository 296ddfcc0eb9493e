package emulate

import (
	"errors"
	"io"
	"os"
	"sync"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// An object is written once, fsynced, and read back rarely soon after, so a
// large body skips the page cache: with O_DIRECT the kernel hands the
// buffer to the disk instead of copying it into fresh cache pages. On the
// 2-core VM of the README's numbers, buffered writes of new data cost about
// 3 ms of CPU a MB (the host backs every new cache page), a tenth of a busy
// sink's CPU; O_DIRECT wrote the same in a twentieth of that.
const (
	directAlign = 4096    // O_DIRECT wants offsets, lengths and memory aligned to the block size; 4096 covers 512 too
	directChunk = 1 << 20 // bytes read from the body per write
)

// directBufs are aligned chunks, reused across writes.
var directBufs = sync.Pool{New: func() any {
	b := make([]byte, directChunk+directAlign)
	off := (directAlign - int(uintptr(unsafe.Pointer(&b[0]))%directAlign)) % directAlign
	b = b[off : off+directChunk : off+directChunk]
	return &b
}}

// copyToFile copies r to the new empty file f, and returns the bytes copied.
// A body that fits one chunk is written as usual; a larger one with O_DIRECT
// where the file system takes it, with the last chunk padded to a block and
// the file then cut to size. Errors from r are returned unwrapped.
func copyToFile(f *os.File, r io.Reader) (int64, error) {
	bp := directBufs.Get().(*[]byte)
	defer directBufs.Put(bp)
	buf := *bp
	n, err := io.ReadFull(r, buf)
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		_, werr := f.Write(buf[:n])
		return int64(n), werr
	}
	if err != nil {
		return int64(n), err
	}
	direct := setDirect(f, true) == nil
	var size int64
	for {
		last := n < len(buf)
		if direct {
			werr := writeDirect(f, buf, n, last)
			if errors.Is(werr, syscall.EINVAL) {
				// The file system took the flag but not the write:
				// write the rest as usual, from the same offset.
				if setDirect(f, false) != nil {
					return size, werr
				}
				direct = false
			} else if werr != nil {
				return size, werr
			}
		}
		if !direct {
			if _, werr := f.Write(buf[:n]); werr != nil {
				return size, werr
			}
		}
		size += int64(n)
		if last {
			break
		}
		n, err = io.ReadFull(r, buf)
		if err == io.EOF {
			break
		}
		if err != nil && err != io.ErrUnexpectedEOF {
			return size, err
		}
	}
	if direct && size%directAlign != 0 {
		return size, f.Truncate(size)
	}
	return size, nil
}

// writeDirect writes buf[:n] at the file's offset; the last chunk is padded
// with zeros to a whole block, which copyToFile then cuts off.
func writeDirect(f *os.File, buf []byte, n int, last bool) error {
	m := n
	if last && n%directAlign != 0 {
		m = n + directAlign - n%directAlign
		clear(buf[n:m])
	}
	_, err := f.Write(buf[:m])
	return err
}

// setDirect turns O_DIRECT on or off for f.
func setDirect(f *os.File, on bool) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var ferr error
	if err := rc.Control(func(fd uintptr) {
		flags, err := unix.FcntlInt(fd, unix.F_GETFL, 0)
		if err != nil {
			ferr = err
			return
		}
		if on {
			flags |= unix.O_DIRECT
		} else {
			flags &^= unix.O_DIRECT
		}
		_, ferr = unix.FcntlInt(fd, unix.F_SETFL, flags)
	}); err != nil {
		return err
	}
	return ferr
}
