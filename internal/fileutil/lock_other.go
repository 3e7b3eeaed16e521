//go:build !unix

package fileutil

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"time"
)

// lockPoll is how often a waiting Lock tries again.
const lockPoll = 10 * time.Millisecond

// Lock takes the lock named name in root, waiting while another process
// or goroutine holds it, until ctx ends, and returns the function that
// releases it.
//
// This is the fallback for systems without flock: the lock is held by
// whoever creates the file name (O_EXCL, which follows no symbolic link),
// and released by removing it. A lock file older than StaleLock is
// removed, so that a crashed process does not block the others for ever.
func Lock(ctx context.Context, root *os.Root, name string) (unlock func(), err error) {
	for {
		f, err := root.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		if err == nil {
			f.Close()
			// A lock file that cannot be removed goes stale in time.
			return func() { _ = root.Remove(name) }, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, withPath(root, err)
		}
		if fi, err := root.Lstat(name); err == nil && !fi.Mode().IsRegular() {
			return nil, &NotFileError{Path: fullPath(root, name), Mode: fi.Mode().Type()}
		} else if err == nil && time.Since(fi.ModTime()) > StaleLock {
			_ = root.Remove(name) // another waiter may have done it first
			continue
		}
		t := time.NewTimer(lockPoll)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
	}
}
