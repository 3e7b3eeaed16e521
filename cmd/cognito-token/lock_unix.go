//go:build unix

package main

import (
	"context"
	"errors"
	"os"
	"syscall"
	"time"
)

// lockPoll is how often a waiting process tries the lock again.
const lockPoll = 10 * time.Millisecond

// acquireLock takes an exclusive flock on the file name in root, creating
// it if needed but never through a symbolic link (openFile), and returns
// the function that releases it. flock locks belong to an open file
// description, so the lock also works between goroutines of one process,
// each opening the file itself. It polls rather than blocks so that ctx
// can end the wait; the kernel drops the lock if the process dies.
func acquireLock(ctx context.Context, root *os.Root, name string) (func(), error) {
	f, err := openFile(root, name, os.O_RDWR|os.O_CREATE, 0o600)
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
			return nil, &os.PathError{Op: "flock", Path: name, Err: err}
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
		// Closing the file releases the lock as well; unlock first so
		// that nothing depends on that.
		_ = syscall.Flock(fd, syscall.LOCK_UN)
		f.Close()
	}, nil
}
