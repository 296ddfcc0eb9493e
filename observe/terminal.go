package observe

import (
	"bytes"
	"io"
	"sync"
)

// Terminal is the writer of a terminal that keeps a status line at its
// bottom (the progress line): what is written goes above the line, which
// is cleared first and drawn again after it, so that a log record never
// lands at the end of the line. It is safe for concurrent use.
type Terminal struct {
	w     io.Writer
	width func() int // the terminal's columns, 0 if unknown

	mu     sync.Mutex
	status string // guarded by mu: the line drawn at the bottom, "" for none
}

// NewTerminal returns the Terminal of w, a terminal whose width (in
// columns, 0 if unknown) width tells; width may be nil.
func NewTerminal(w io.Writer, width func() int) *Terminal {
	return &Terminal{w: w, width: width}
}

// clearLine returns the cursor to the start of the line and erases it.
const clearLine = "\r\033[K"

// Write writes p above the status line: whole lines (a log record, a
// message) are what keeps the line drawn after them.
func (t *Terminal) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.status == "" {
		return t.w.Write(p)
	}
	if _, err := io.WriteString(t.w, clearLine); err != nil {
		return 0, err
	}
	n, err := t.w.Write(p)
	if err == nil && bytes.HasSuffix(p, []byte("\n")) {
		_, err = io.WriteString(t.w, t.status)
	} else {
		t.status = "" // the line is gone with a partial line after it
	}
	return n, err
}

// SetStatus draws line as the status line, cut to the terminal's width (a
// line that wraps cannot be redrawn); "" clears it.
func (t *Terminal) SetStatus(line string) {
	if t.width != nil {
		if n := t.width(); n > 1 && len(line) > n-1 {
			line = line[:n-1]
		}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if line == "" && t.status == "" {
		return
	}
	io.WriteString(t.w, clearLine+line)
	t.status = line
}
