package emulate

import (
	"errors"
	"sync/atomic"
	"syscall"
	"time"
)

// isDiskFull reports whether err says the file system is out of space
// (or the user out of quota).
func isDiskFull(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT)
}

// diskFullEvery bounds how often a full disk is said: once, not once per
// refused write of a client that retries.
const diskFullEvery = time.Minute

// diskFullNotice says that a service's writes fail for want of space, with
// the path, at most once per diskFullEvery. Safe for concurrent use once
// say is set (before the service serves).
type diskFullNotice struct {
	// say is called with the path and error; nil ignores them.
	say func(path string, err error)
	// said is when say was last called (Unix nanoseconds).
	said atomic.Int64
}

// wrote reports a failed write: a full disk is said with the path, at most
// once per diskFullEvery; the error is returned as it is.
func (n *diskFullNotice) wrote(path string, err error) error {
	if err != nil && isDiskFull(err) && n.say != nil {
		now, last := time.Now().UnixNano(), n.said.Load()
		if now-last >= int64(diskFullEvery) && n.said.CompareAndSwap(last, now) {
			n.say(path, err)
		}
	}
	return err
}
