// Package flock takes advisory file locks (flock(2)) that several processes
// share a data dir by. A lock dies with the process that holds it, so a
// kill -9 never leaves a stale lock behind.
//
// It is not a lock between goroutines: flock locks belong to an open file,
// and a process that needs both serializes its goroutines itself.
package flock

import (
	"errors"
	"os"
	"syscall"
)

// ErrLocked is returned by TryLock when another process holds the lock.
var ErrLocked = errors.New("locked by another process")

// TryLock takes an exclusive lock on path (created if need be) without
// waiting. It returns ErrLocked if another process holds it. The lock is
// held until unlock is called or the process ends.
func TryLock(path string) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, ErrLocked
		}
		return nil, err
	}
	return func() { f.Close() }, nil
}

// Lock waits for a lock on path (created if need be): shared (readers) or
// exclusive (a writer). It is held until unlock is called.
func Lock(path string, exclusive bool) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	how := syscall.LOCK_SH
	if exclusive {
		how = syscall.LOCK_EX
	}
	if err := syscall.Flock(int(f.Fd()), how); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}
