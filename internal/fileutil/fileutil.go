// Package fileutil keeps small secret files, such as a session with its
// refresh token, in a directory private to the user: [cognito.FileStore]
// and cognito-token share it.
//
// Every file is reached through an [os.Root] on its directory, and none
// through a symbolic link or as anything but a regular file: whoever
// planted a link could show a session of their own, redirect a write, or
// make a read wait for ever (a FIFO). A directory that another user owns
// or can write to is refused on Unix ([OpenDir]). Files are written
// whole, to a new temporary file renamed into place ([WriteFile]), and a
// lock file lets processes take turns ([Lock]).
//
// Errors name files by their full paths and never contain what the files
// hold.
//
// [cognito.FileStore]: https://pkg.go.dev/github.com/seed-e8acf5fd/cognito#FileStore
package fileutil

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// OpenDir opens the directory dir as an [os.Root]. When create is set, a
// missing dir is created, with its missing parents, with mode 0700; when
// it is not, a missing dir is an error matching [fs.ErrNotExist]. With
// secure, dir is set to mode 0700 even when it already existed. Either
// way dir is refused with an [*UnsafeDirError] unless it belongs to the
// user and no one else can write to it: whoever can could plant a file,
// take a lock file's name, or remove the files. The checks look at the
// directory through the handle returned, not through its path, which
// could lead elsewhere by the time it is used.
func OpenDir(dir string, create, secure bool) (*os.Root, error) {
	if create {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, err
		}
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	if err := checkRoot(root, dir, secure); err != nil {
		root.Close()
		return nil, err
	}
	return root, nil
}

// checkRoot secures (secure) and checks the directory root holds.
func checkRoot(root *os.Root, dir string, secure bool) error {
	d, err := root.Open(".")
	if err != nil {
		return err
	}
	defer d.Close()
	if secure {
		if err := d.Chmod(0o700); err != nil {
			return err
		}
	}
	fi, err := d.Stat()
	if err != nil {
		return err
	}
	return checkDir(dir, fi)
}

// UnsafeDirError means a directory is refused because another user owns
// it (Foreign) or because others can write to it. A directory such as
// /tmp is refused even with its sticky bit, which keeps others from
// removing files but not from creating the names.
type UnsafeDirError struct {
	Dir   string      // the directory, as given
	Owner int         // the user ID of its owner
	User  int         // the effective user ID of this process
	Mode  fs.FileMode // its permission bits
}

// Foreign reports whether the directory belongs to another user.
func (e *UnsafeDirError) Foreign() bool { return e.Owner != e.User }

func (e *UnsafeDirError) Error() string {
	if e.Foreign() {
		return fmt.Sprintf("refusing the directory %s: it belongs to user %d, not to you (%d)", e.Dir, e.Owner, e.User)
	}
	return fmt.Sprintf("refusing the directory %s: other users can write to it (mode %04o)", e.Dir, e.Mode)
}

// NotFileError means a name in the directory is a symbolic link or
// something else that is not a regular file, which this package never
// follows or opens.
type NotFileError struct {
	Path string      // the full path
	Mode fs.FileMode // its type bits, from Lstat
}

func (e *NotFileError) Error() string {
	switch {
	case e.Mode&fs.ModeSymlink != 0:
		return e.Path + " is a symbolic link, not a file; links are never followed: remove it"
	case e.Mode.IsDir():
		return e.Path + " is a directory, not a file: remove it"
	}
	return e.Path + " is a special file, not a file: remove it"
}

// OpenFile opens name in root, as root.OpenFile does, but only if it is a
// regular file, never through a symbolic link: the effect of O_NOFOLLOW,
// with an [*NotFileError] for anything else. (os.Root itself opens with
// O_NOFOLLOW but then follows a link that stays inside the directory.)
// The name is checked with Lstat before the open, so that a FIFO is never
// opened, and after it, so that the file opened is the one now at name,
// not one a link swapped in meanwhile led to. When the second look finds
// another file, renamed into place by a writer meanwhile, it opens that
// one, a few times at most.
func OpenFile(root *os.Root, name string, flag int, perm fs.FileMode) (*os.File, error) {
	for range 8 {
		f, err := openFile(root, name, flag, perm)
		if err != errChanged {
			return f, err
		}
	}
	return nil, fmt.Errorf("%s keeps changing while it is opened", fullPath(root, name))
}

// errChanged means the name led to another file after the open than
// before it.
var errChanged = errors.New("changed while opened")

// openFile is one try of OpenFile.
func openFile(root *os.Root, name string, flag int, perm fs.FileMode) (*os.File, error) {
	notFile := func(fi fs.FileInfo) error {
		return &NotFileError{Path: fullPath(root, name), Mode: fi.Mode().Type()}
	}
	fi, err := root.Lstat(name)
	switch {
	case err == nil && !fi.Mode().IsRegular():
		return nil, notFile(fi)
	case err != nil && (flag&os.O_CREATE == 0 || !errors.Is(err, fs.ErrNotExist)):
		return nil, withPath(root, err)
	}
	f, err := root.OpenFile(name, flag, perm)
	if err != nil {
		return nil, withPath(root, err)
	}
	opened, err := f.Stat()
	if err == nil {
		fi, err = root.Lstat(name)
	}
	switch {
	case err != nil:
		err = withPath(root, err)
	case !fi.Mode().IsRegular():
		err = notFile(fi)
	case !os.SameFile(opened, fi):
		err = errChanged
	default:
		return f, nil
	}
	f.Close()
	return nil, err
}

// ErrTooLarge is returned by [ReadFile] for a file larger than asked.
var ErrTooLarge = errors.New("file too large")

// ReadFile returns the content of the regular file name in root (see
// [OpenFile]), or an error wrapping [ErrTooLarge] if it holds more than
// limit bytes.
func ReadFile(root *os.Root, name string, limit int64) ([]byte, error) {
	f, err := OpenFile(root, name, os.O_RDONLY, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err // an *os.File's errors carry its full path
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s: %w (over %d bytes)", fullPath(root, name), ErrTooLarge, limit)
	}
	return b, nil
}

// StaleLock is the age after which, on systems without flock, a lock file
// is taken to be left over by a process that died holding it (see
// [Lock]). A holder must release the lock sooner.
const StaleLock = 5 * time.Minute

// TempPrefix is how the names of name's temporary files begin: name,
// ".tmp-", then 16 random hexadecimal digits.
func TempPrefix(name string) string { return name + ".tmp-" }

// WriteFile writes data to a new temporary file in root, mode 0600, and
// renames it to name, so that readers see the old file or the new one,
// never a part. The rename replaces whatever has the name, a symbolic
// link too, and writes through nothing. The temporary file is removed if
// anything fails. random names it; crypto/rand when nil.
func WriteFile(root *os.Root, name string, data []byte, random io.Reader) (err error) {
	temp, f, err := createTemp(root, name, random)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			if rmErr := root.Remove(temp); rmErr != nil && !errors.Is(rmErr, fs.ErrNotExist) {
				err = errors.Join(err, withPath(root, rmErr))
			}
		}
	}()
	// An *os.File's errors carry its full path already.
	if _, err := f.Write(data); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := root.Rename(temp, name); err != nil {
		return withPath(root, err)
	}
	// The rename is durable only once the directory is synced; until then
	// a crash could bring back the old file.
	return syncDir(root)
}

// createTemp creates a new file, mode 0600, named TempPrefix(name) and 16
// random hexadecimal digits. O_EXCL makes the kernel refuse a name that
// exists, a symbolic link included, so nothing planted can receive the
// data: another name is tried.
func createTemp(root *os.Root, name string, random io.Reader) (string, *os.File, error) {
	if random == nil {
		random = rand.Reader
	}
	for range 16 {
		var b [8]byte
		if _, err := io.ReadFull(random, b[:]); err != nil {
			return "", nil, fmt.Errorf("naming a temporary file: %w", err)
		}
		temp := TempPrefix(name) + hex.EncodeToString(b[:])
		f, err := root.OpenFile(temp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return "", nil, withPath(root, err)
		}
		return temp, f, nil
	}
	return "", nil, fmt.Errorf("no free name for a temporary file of %s", fullPath(root, name))
}

// RemoveTemps removes the temporary files of name in root that were last
// modified more than age ago (all of them when age is zero): files that
// a write cut short (a crash, a kill) left behind, which may hold a
// secret. A younger one may belong to a write in progress. It goes on
// past failures, and returns the first.
func RemoveTemps(root *os.Root, name string, age time.Duration) error {
	d, err := root.Open(".")
	if err != nil {
		return withPath(root, err)
	}
	entries, err := d.ReadDir(-1)
	d.Close()
	if err != nil {
		return withPath(root, err)
	}
	var first error
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), TempPrefix(name)) {
			continue
		}
		if age > 0 {
			fi, err := e.Info()
			if err != nil || time.Since(fi.ModTime()) <= age {
				continue // gone already, or perhaps in use
			}
		}
		if err := root.Remove(e.Name()); err != nil && !errors.Is(err, fs.ErrNotExist) && first == nil {
			first = withPath(root, err)
		}
	}
	return first
}

// Remove removes the file name from root; a missing one is fine. A
// symbolic link is removed, not followed.
func Remove(root *os.Root, name string) error {
	if err := root.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return withPath(root, err)
	}
	return nil
}

// fullPath is name in root's directory.
func fullPath(root *os.Root, name string) string {
	return filepath.Join(root.Name(), name)
}

// withPath puts root's directory in front of the bare file names that
// os.Root's errors carry.
func withPath(root *os.Root, err error) error {
	var pe *fs.PathError
	var le *os.LinkError
	switch {
	case errors.As(err, &pe) && !filepath.IsAbs(pe.Path):
		pe.Path = fullPath(root, pe.Path)
	case errors.As(err, &le) && !filepath.IsAbs(le.New):
		le.Old, le.New = fullPath(root, le.Old), fullPath(root, le.New)
	}
	return err
}
