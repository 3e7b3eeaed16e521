//go:build unix

package fileutil

import (
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// checkDir refuses a directory, described by fi, that belongs to another
// user or that others (its group included) can write to.
func checkDir(dir string, fi fs.FileInfo) error {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fmt.Errorf("checking the directory %s: no owner", dir)
	}
	e := &UnsafeDirError{Dir: dir, Owner: int(st.Uid), User: os.Geteuid(), Mode: fi.Mode().Perm()}
	if e.Foreign() || e.Mode&0o022 != 0 {
		return e
	}
	return nil
}

// syncDir flushes root's directory entries to disk, so that a rename in
// it survives a crash.
func syncDir(root *os.Root) error {
	d, err := root.Open(".")
	if err != nil {
		return withPath(root, err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
