//go:build unix

package fileutil

import (
	"context"
	"errors"
	"os"
	"syscall"
	"time"
)

// lockPoll is how often a waiting Lock tries again.
const lockPoll = 10 * time.Millisecond

// Lock takes an exclusive lock on the file name in root, creating it
// (mode 0600) if needed but never through a symbolic link ([OpenFile]),
// waiting while another process or goroutine holds it, until ctx ends.
// It returns the function that releases the lock.
//
// On Unix the lock is flock(2) on the file: it belongs to an open file
// description, so it also works between goroutines of one process, each
// opening the file itself, and the kernel drops it when its holder dies.
// Lock polls rather than blocks so that ctx can end the wait. The file
// stays after unlocking: removing it while another process waits on it
// would let two processes hold "the" lock at once.
func Lock(ctx context.Context, root *os.Root, name string) (unlock func(), err error) {
	f, err := OpenFile(root, name, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	fd := int(f.Fd())
	for {
		err := syscall.Flock(fd, syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			break
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			f.Close()
			return nil, &os.PathError{Op: "flock", Path: f.Name(), Err: err}
		}
		t := time.NewTimer(lockPoll)
		select {
		case <-ctx.Done():
			t.Stop()
			f.Close()
			return nil, ctx.Err()
		case <-t.C:
		}
	}
	return func() {
		// Closing the file releases the lock as well; unlocking first
		// makes nothing depend on that. Neither can fail in a way that
		// leaves the lock held: the kernel drops it with the descriptor.
		_ = syscall.Flock(fd, syscall.LOCK_UN)
		f.Close()
	}, nil
}
