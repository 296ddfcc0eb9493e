package pipeline

import (
	"syscall"
	"time"
)

// threadCPU is the CPU time this OS thread has used (getrusage
// RUSAGE_THREAD): what a benchmark that locks its thread spent itself, which
// other processes on a shared machine do not inflate as they do wall time.
func threadCPU() time.Duration {
	const rusageThread = 1 // RUSAGE_THREAD
	var ru syscall.Rusage
	if syscall.Getrusage(rusageThread, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
