package cognito

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/seed-e8acf5fd/cognito/internal/fileutil"
)

// FileStore is a [Store] and a [Locker] that keeps one [Session] in a
// file, so that a program carries on across restarts, and several
// processes can share one session: each cognito-token cache entry is a
// FileStore. It holds no open file and no state besides its path, so it
// is safe for concurrent use and needs no closing; every call opens the
// directory afresh.
//
// The file has mode 0600, in a directory that Save and Lock create with
// mode 0700 when it is missing. Save writes a new temporary file in that
// directory (the file's name, ".tmp-" and random digits) and renames it
// into place, so that a reader sees the old session or the new one, never
// a part of either; a temporary file is removed when the write fails, and
// one that a crash left behind is removed by the next Lock. Lock takes a
// lock file beside the session file, its name with ".lock" added, which
// stays there.
//
// Within the directory, nothing is followed through a symbolic link or
// opened unless it is a regular file: a link or a FIFO at the file's name
// or the lock's is an error, and Save replaces a link rather than writing
// through it. On Unix, a directory that belongs to another user or that
// others can write to (its group included; /tmp too, even with its
// sticky bit) is refused: they could plant a session, remove it, or
// squat on the lock's name.
//
// # Other platforms
//
// On Unix the lock is flock(2) on the lock file: the kernel drops it when
// its holder dies. Elsewhere, on Windows for one, whoever creates the lock
// file (O_EXCL) holds the lock, and unlocking removes it; a lock file
// older than five minutes is taken to be left by a process that died
// holding it and removed, so a holder must not keep the lock longer.
// Owners and modes are not checked there (Windows grants access by ACL):
// keep the file in a directory private to the user, such as one under
// [os.UserCacheDir].
//
// # Format
//
// The file is JSON with the field names of [Session] and a version:
//
//	{
//	  "version": 2,
//	  "access_token": "eyJ...",
//	  "id_token": "eyJ...",
//	  "refresh_token": "eyJ...",
//	  "expiry": "2025-01-02T15:04:05.999999999Z",
//	  "device": {"key": "...", "group_key": "...", "password": "..."}
//	}
//
// An empty token and a nil device are left out; a token comes with an
// expiry. The version tells the format from the one cognito-token wrote
// before it used FileStore (version 1, which held more fields), and lets
// a later format that an older program would misread be refused instead.
// A file without a version is read as this format: a Session as
// encoding/json writes it. Fields this version does not know are ignored.
// Load refuses a file that is not of this format, with an error wrapping
// [ErrSessionFormat].
//
// The refresh token and the device password are kept in clear, protected
// by the file's mode alone, as the AWS CLI keeps its SSO tokens.
type FileStore struct {
	path      string // cleaned
	dir, name string // split
	err       error  // a path that names no file

	// rand names temporary files; crypto/rand when nil.
	rand io.Reader
}

// NewFileStore returns a FileStore that keeps its session in the file at
// path. Nothing is opened or created until it is used. A relative path is
// taken from the working directory at each call.
func NewFileStore(path string) *FileStore {
	p := filepath.Clean(path)
	f := &FileStore{path: p, dir: filepath.Dir(p), name: filepath.Base(p)}
	if path == "" || f.name == "." || f.name == ".." || strings.ContainsAny(f.name, `/\`) {
		f.err = fmt.Errorf("cognito: the session file %q names no file", path)
	}
	return f
}

// Path returns the path of the session file, cleaned as by
// [filepath.Clean].
func (f *FileStore) Path() string { return f.path }

// ErrSessionFormat is wrapped by the error [FileStore.Load] returns for a
// file that holds no session it can read: not JSON, another format or
// version, or a field missing or out of place. Saving a session replaces
// such a file.
var ErrSessionFormat = errors.New("not a session file of this format")

// formatError is why a file is not a session.
type formatError struct {
	path string
	why  string // never any of the file's content
}

func (e *formatError) Error() string {
	return fmt.Sprintf("cognito: the session file %s is unusable: %s", e.path, e.why)
}

func (e *formatError) Unwrap() error { return ErrSessionFormat }

// fileVersion is the version of the format FileStore writes and reads.
const fileVersion = 2

// maxFileSize bounds what Load reads: a session is a few kilobytes.
const maxFileSize = 1 << 20

// staleTemp is the age after which Lock takes a temporary file to be left
// over by a Save cut short: a Save takes milliseconds, or seconds on a
// busy disk.
const staleTemp = time.Minute

// lockSuffix is added to the session file's name to name its lock file.
const lockSuffix = ".lock"

// Load returns the session in the file, or nil and no error when there is
// no file (or no directory). It does not wait for the lock; ctx is not
// used, as reading a file does not wait on anything ctx could end.
//
// The file must be a session in the format described above, with every
// token present a non-empty string and a parseable expiry; anything else
// is an error wrapping [ErrSessionFormat], which never quotes the file.
func (f *FileStore) Load(ctx context.Context) (*Session, error) {
	if f.err != nil {
		return nil, f.err
	}
	root, err := f.openDir(false)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer root.Close()
	b, err := fileutil.ReadFile(root, f.name, maxFileSize)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, nil
	case errors.Is(err, fileutil.ErrTooLarge):
		return nil, &formatError{path: f.path, why: fmt.Sprintf("larger than %d bytes", maxFileSize)}
	case err != nil:
		return nil, fmt.Errorf("cognito: reading the session: %w", err)
	}
	s, why := decodeSession(b)
	if why != "" {
		return nil, &formatError{path: f.path, why: why}
	}
	return s, nil
}

// Save replaces the session in the file with s, atomically; a nil s
// removes the file and any temporary file of it, a missing file being
// fine. A session with a token but no expiry, or an incomplete device, is
// refused: Load would refuse it. s is not kept. ctx is not used: writing
// a file does not wait on anything ctx could end, and a session renewed
// just before ctx ended is still worth saving.
func (f *FileStore) Save(ctx context.Context, s *Session) error {
	if f.err != nil {
		return f.err
	}
	if s == nil {
		return f.remove()
	}
	if why := checkSession(s); why != "" {
		return fmt.Errorf("cognito: not saving the session: %s", why)
	}
	b, err := encodeSession(s)
	if err != nil {
		return err
	}
	root, err := f.openDir(true)
	if err != nil {
		return err
	}
	defer root.Close()
	if err := fileutil.WriteFile(root, f.name, b, f.rand); err != nil {
		return fmt.Errorf("cognito: saving the session: %w", err)
	}
	return nil
}

// remove deletes the session file and its temporary files. The lock file
// stays: with flock, removing it while another process waits on it would
// let two processes hold "the" lock at once.
func (f *FileStore) remove() error {
	root, err := f.openDir(false)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer root.Close()
	err = fileutil.Remove(root, f.name)
	if err == nil {
		err = fileutil.RemoveTemps(root, f.name, 0)
	}
	if err != nil {
		return fmt.Errorf("cognito: removing the session: %w", err)
	}
	return nil
}

// Lock takes the session's lock, waiting while another process or
// goroutine holds it, until ctx ends (the error then wraps ctx.Err()). It
// returns the function that releases the lock, which must be called once.
// Load and Save do not take the lock: hold it around a Load, a renewal
// and the Save of its result, as the token source does.
//
// Once it holds the lock, Lock removes the temporary files that a Save
// cut short left behind (those over a minute old): they may hold a live
// refresh token.
func (f *FileStore) Lock(ctx context.Context) (unlock func(), err error) {
	if f.err != nil {
		return nil, f.err
	}
	root, err := f.openDir(true)
	if err != nil {
		return nil, err
	}
	release, err := fileutil.Lock(ctx, root, f.name+lockSuffix)
	if err != nil {
		root.Close()
		if ctxErr := ctx.Err(); ctxErr != nil && errors.Is(err, ctxErr) {
			return nil, fmt.Errorf("cognito: waiting for the lock %s: %w", f.path+lockSuffix, err)
		}
		return nil, fmt.Errorf("cognito: locking the session: %w", err)
	}
	// Best effort, under the lock and outside any Save: a file that
	// cannot be removed now is tried again at the next Lock, and a Save
	// of nil reports it.
	_ = fileutil.RemoveTemps(root, f.name, staleTemp)
	return func() {
		release()
		root.Close()
	}, nil
}

// openDir opens the session file's directory, creating it if create is
// set; a missing one is an error matching fs.ErrNotExist otherwise.
func (f *FileStore) openDir(create bool) (*os.Root, error) {
	root, err := fileutil.OpenDir(f.dir, create, false)
	var unsafe *fileutil.UnsafeDirError
	switch {
	case err == nil:
		return root, nil
	case errors.As(err, &unsafe) && unsafe.Foreign():
		return nil, fmt.Errorf("cognito: %w; keep sessions in a directory of your own", err)
	case errors.As(err, &unsafe):
		return nil, fmt.Errorf("cognito: %w; run 'chmod go-w %s', or keep sessions in a directory only you can write to", err, unsafe.Dir)
	case !create && errors.Is(err, fs.ErrNotExist):
		return nil, err
	}
	return nil, fmt.Errorf("cognito: opening the directory of the session file: %w", err)
}

// sessionFile is the file's content as Save writes it.
type sessionFile struct {
	Version      int        `json:"version"`
	AccessToken  string     `json:"access_token,omitempty"`
	IDToken      string     `json:"id_token,omitempty"`
	RefreshToken string     `json:"refresh_token,omitempty"`
	Expiry       *time.Time `json:"expiry,omitempty"`
	Device       *Device    `json:"device,omitempty"`
}

// encodeSession is the file's content for s, which checkSession accepts.
func encodeSession(s *Session) ([]byte, error) {
	v := sessionFile{
		Version:      fileVersion,
		AccessToken:  s.AccessToken,
		IDToken:      s.IDToken,
		RefreshToken: s.RefreshToken,
		Device:       s.Device,
	}
	if !s.Expiry.IsZero() {
		e := s.Expiry.UTC()
		v.Expiry = &e
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		// Only an expiry outside the years 0 to 9999 gets here.
		return nil, fmt.Errorf("cognito: not saving the session: its expiry cannot be written: %w", err)
	}
	return append(b, '\n'), nil
}

// decodeSession reads a session file's content, or says why it is not
// one. Each field is decoded on its own so that the reason names it
// without quoting the file, whose content may be a token.
func decodeSession(b []byte) (*Session, string) {
	var fields map[string]json.RawMessage
	if json.Unmarshal(b, &fields) != nil || fields == nil {
		return nil, "not a JSON object"
	}
	// A file without a version is a Session as encoding/json writes it,
	// which a program may have saved itself: the same fields.
	version := fileVersion
	if raw, ok := fields["version"]; ok && json.Unmarshal(raw, &version) != nil {
		return nil, "the version is not a number"
	}
	if version != fileVersion {
		return nil, fmt.Sprintf("format version %d, where this package reads version %d", version, fileVersion)
	}
	var s Session
	for _, t := range []struct {
		name string
		dst  *string
	}{
		{"access_token", &s.AccessToken},
		{"id_token", &s.IDToken},
		{"refresh_token", &s.RefreshToken},
	} {
		raw, ok := fields[t.name]
		if !ok {
			continue
		}
		if json.Unmarshal(raw, t.dst) != nil || *t.dst == "" {
			return nil, t.name + " is not a non-empty string"
		}
	}
	if raw, ok := fields["expiry"]; ok {
		if s.Expiry.UnmarshalJSON(raw) != nil {
			return nil, "expiry is not an RFC 3339 time"
		}
	}
	if raw, ok := fields["device"]; ok {
		if json.Unmarshal(raw, &s.Device) != nil {
			return nil, "device is not an object of strings"
		}
	}
	if why := checkSession(&s); why != "" {
		return nil, why
	}
	return &s, ""
}

// checkSession says what keeps s from being saved and loaded, or "".
func checkSession(s *Session) string {
	switch d := s.Device; {
	case (s.AccessToken != "" || s.IDToken != "") && s.Expiry.IsZero():
		return "a token without an expiry"
	case d == nil:
		return ""
	case d.Key == "":
		return "a device without its key"
	case d.GroupKey == "":
		return "a device without its group key"
	case d.Password == "":
		return "a device without its password"
	}
	return ""
}
