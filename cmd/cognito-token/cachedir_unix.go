//go:build unix

package main

import (
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// checkDir refuses a cache directory, described by fi, that belongs to
// another user or that others can write to: they could plant a session of
// their own, take the lock file's name, or remove the files. A directory
// such as /tmp is refused even with its sticky bit, which keeps others
// from removing files but not from creating the names.
func checkDir(dir string, fi fs.FileInfo) error {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fmt.Errorf("checking the cache directory %s: no owner", dir)
	}
	if uid := os.Geteuid(); int(st.Uid) != uid {
		return fmt.Errorf("refusing the cache directory %s: it belongs to user %d, not to you (%d); set $%s to a directory of your own (mkdir -m 700 DIR)", dir, st.Uid, uid, envCacheDir)
	}
	if perm := fi.Mode().Perm(); perm&0o022 != 0 {
		return fmt.Errorf("refusing the cache directory %s: other users can write to it (mode %04o); run 'chmod go-w %s', or set $%s to a directory only you can write to", dir, perm, dir, envCacheDir)
	}
	return nil
}
