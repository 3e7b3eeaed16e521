//go:build !unix

package main

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"time"
)

// lockPoll is how often a waiting process tries the lock again.
const lockPoll = 10 * time.Millisecond

// staleLock is the age after which a lock file is taken to be left over by
// a process that died holding it: longer than any holder can take.
const staleLock = lockTimeout + time.Minute

// acquireLock is the fallback for systems without flock: the lock is held
// by whoever creates the file name in root (O_EXCL, which follows no
// symbolic link), and released by removing it. A lock file older than
// staleLock is removed, so a crashed process does not block the cache for
// ever.
func acquireLock(ctx context.Context, root *os.Root, name string) (func(), error) {
	for {
		f, err := root.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		if err == nil {
			f.Close()
			return func() { root.Remove(name) }, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, err
		}
		if fi, err := root.Lstat(name); err == nil && time.Since(fi.ModTime()) > staleLock {
			root.Remove(name)
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
