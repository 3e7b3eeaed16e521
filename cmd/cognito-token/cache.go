package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/seed-e8acf5fd/cognito"
	"github.com/seed-e8acf5fd/cognito/internal/jwt"
)

// envCacheDir overrides the cache directory.
const envCacheDir = "COGNITO_TOKEN_CACHE_DIR"

// sessionVersion is the format version of the cache files.
const sessionVersion = 1

// lockTimeout bounds the wait for another cognito-token to release a
// session's lock. Whoever holds it makes at most a few Cognito calls, each
// bounded to a minute by the library.
const lockTimeout = 3 * time.Minute

// session is what the cache keeps of one sign-in: the tokens and when they
// expire, never the password or the client secret.
type session struct {
	Version      int       `json:"version"`
	UserPoolID   string    `json:"user_pool_id"`
	ClientID     string    `json:"client_id"`
	Username     string    `json:"username"`           // as typed at sign-in
	Endpoint     string    `json:"endpoint,omitempty"` // --endpoint; none for Cognito itself
	TokenType    string    `json:"token_type"`
	AccessToken  string    `json:"access_token"`
	AccessExpiry time.Time `json:"access_token_expiry"`
	IDToken      string    `json:"id_token"`
	IDExpiry     time.Time `json:"id_token_expiry"`
	RefreshToken string    `json:"refresh_token"`
	// Obtained is the local time the tokens were asked for; with an expiry
	// it gives a token's lifetime.
	Obtained time.Time `json:"obtained"`
}

// newSession records the tokens of tok, asked for at obtained and received
// at received. The access token's expiry is the library's; the ID token's
// is its own lifetime (exp − iat) counted from received.
func newSession(o *options, tok *oauth2.Token, obtained, received time.Time) *session {
	access, _ := tok.Extra("access_token").(string)
	if access == "" {
		access = tok.AccessToken
	}
	id := cognito.IDToken(tok)
	idExpiry := tok.Expiry
	if c, err := jwt.ParseUnverified(id); err == nil {
		if life, ok := c.Lifetime(); ok {
			idExpiry = received.Add(life)
		}
	}
	return &session{
		Version:      sessionVersion,
		UserPoolID:   o.poolID,
		ClientID:     o.clientID,
		Username:     o.username,
		Endpoint:     o.endpoint,
		TokenType:    "Bearer",
		AccessToken:  access,
		AccessExpiry: tok.Expiry,
		IDToken:      id,
		IDExpiry:     idExpiry,
		RefreshToken: tok.RefreshToken,
		Obtained:     obtained,
	}
}

// savedToken is the session as a token for [cognito.Config.TokenSource],
// with the given expiry deciding when it is renewed.
func (s *session) savedToken(expiry time.Time) *oauth2.Token {
	return (&oauth2.Token{
		AccessToken:  s.AccessToken,
		TokenType:    "Bearer",
		RefreshToken: s.RefreshToken,
		Expiry:       expiry,
	}).WithExtra(map[string]any{"id_token": s.IDToken})
}

// tokens are the session's tokens, for [cli.keepSecret].
func (s *session) tokens() []string {
	return []string{s.AccessToken, s.IDToken, s.RefreshToken}
}

// complete reports whether a session read from disk has what it needs and
// belongs to o: the same pool, app client and server, and the same user
// name but for letter case.
func (s *session) complete(o *options) bool {
	return s.Version == sessionVersion &&
		s.UserPoolID == o.poolID && s.ClientID == o.clientID && s.Endpoint == o.endpoint &&
		strings.EqualFold(s.Username, o.username) &&
		s.AccessToken != "" && s.RefreshToken != "" &&
		!s.AccessExpiry.IsZero() && !s.IDExpiry.IsZero() && !s.Obtained.IsZero()
}

// store is the cache file of one user of one app client, with its lock,
// in a cache directory opened once: every file is reached through root, so
// the directory checked when it was opened is the one used throughout.
type store struct {
	dir  string   // for messages
	root *os.Root // the directory
	key  string   // file name stem: sessionKey

	// legacyKey, if set, is the stem an earlier version gave the same
	// session: see migrate.
	legacyKey string

	// rand names temporary files; crypto/rand when nil.
	rand io.Reader
}

// Names in the cache directory: <key>.json, <key>.lock and, while a
// session is being saved, <key>.json.tmp-<random>.
const (
	sessionSuffix = ".json"
	lockSuffix    = ".lock"
	tempInfix     = ".json.tmp-"
)

// maxSessionSize bounds what load reads: a session is a few kilobytes.
const maxSessionSize = 1 << 20

// openStore opens the cache directory and finds the cache file for o. The
// file name is a hash, so no flag value can lead out of the directory.
func (c *cli) openStore(o *options) (*store, error) {
	dir := c.env(envCacheDir)
	own := dir == ""
	if own {
		base, err := os.UserCacheDir()
		if err != nil {
			return nil, fmt.Errorf("finding a cache directory (set $%s): %w", envCacheDir, err)
		}
		dir = filepath.Join(base, "cognito-token")
	}
	st, err := newStore(dir, own, sessionKey(o))
	if err != nil {
		return nil, err
	}
	st.legacyKey = legacyKey(o)
	return st, nil
}

// sessionKey names the cache files of o's session: a hash of what
// identifies it, the user pool, the app client, the user name in lower
// case (user names and aliases match in any case in Cognito pools, since
// 2020 by default) and the --endpoint, none for Cognito itself (a session
// of an emulator is never one of the real pool).
func sessionKey(o *options) string {
	return hashKey("cognito-token session 2", o.poolID, o.clientID, strings.ToLower(o.username), o.endpoint)
}

// legacyKey is the name cognito-token gave to o's cache files before
// sessionKey: pool, client and user name exactly as typed.
func legacyKey(o *options) string {
	return hashKey(o.poolID, o.clientID, o.username)
}

// hashKey is the first 128 bits of SHA-256 over the fields, each ended by
// a NUL, in hex.
func hashKey(fields ...string) string {
	h := sha256.New()
	for _, f := range fields {
		h.Write([]byte(f))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// newStore opens the cache directory dir, creating it with mode 0700 if
// needed, for the files named after key. The default directory (own) is
// set to 0700 even when it already existed; one the user chose with the
// environment variable is left as it is. Either is refused unless it
// belongs to the user and no one else can write to it (checkDir), since
// whoever can write to it could plant a session or block the lock.
func newStore(dir string, own bool, key string) (*store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating the cache directory: %w", err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("opening the cache directory: %w", err)
	}
	if err := checkRoot(root, dir, own); err != nil {
		root.Close()
		return nil, err
	}
	return &store{dir: dir, root: root, key: key}, nil
}

// checkRoot secures (own) and checks the directory root holds, through a
// handle on it rather than its path, which could have changed since.
func checkRoot(root *os.Root, dir string, own bool) error {
	d, err := root.Open(".")
	if err != nil {
		return fmt.Errorf("opening the cache directory: %w", err)
	}
	defer d.Close()
	if own {
		if err := d.Chmod(0o700); err != nil {
			return fmt.Errorf("securing the cache directory: %w", err)
		}
	}
	fi, err := d.Stat()
	if err != nil {
		return fmt.Errorf("checking the cache directory: %w", err)
	}
	return checkDir(dir, fi)
}

// close closes the cache directory.
func (s *store) close() { s.root.Close() }

func (s *store) path() string { return filepath.Join(s.dir, s.key+sessionSuffix) }

// lock takes the session's lock file, waiting while another process or
// goroutine holds it, and returns the function that releases it. Callers
// re-read the session once they hold it. The holder then removes the
// temporary files left by a save that was cut short: only the lock's
// holder saves, so none of them is in use.
func (s *store) lock(ctx context.Context) (unlock func(), err error) {
	wait, cancel := context.WithTimeout(ctx, lockTimeout)
	defer cancel()
	unlock, err = acquireLock(wait, s.root, s.key+lockSuffix)
	if err != nil {
		if ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
			return nil, fmt.Errorf("another cognito-token has held the lock on the session for over %v", lockTimeout)
		}
		return nil, fmt.Errorf("locking the cached session: %w", s.pathErr(err))
	}
	// Best effort: a file that cannot be removed now is tried again by the
	// next command, and logout reports it.
	_ = s.removeTemps()
	return unlock, nil
}

// load reads the session of o, which must exist and be complete. A
// session cached by an earlier version is taken over (migrate).
func (s *store) load(o *options) (*session, error) {
	b, err := s.read(s.key + sessionSuffix)
	var nf *notFileError
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if ses := s.migrate(o); ses != nil {
			return ses, nil
		}
		return nil, &needLoginError{why: fmt.Sprintf("no session is cached for %s", o.username), missing: true}
	case errors.As(err, &nf):
		return nil, &needLoginError{why: "the cached session " + nf.Error()}
	case err != nil:
		return nil, fmt.Errorf("reading the cached session: %w", s.pathErr(err))
	}
	var ses session
	if err := json.Unmarshal(b, &ses); err != nil || !ses.complete(o) {
		return nil, &needLoginError{why: fmt.Sprintf("the cached session in %s is corrupt or from another version", s.path())}
	}
	return &ses, nil
}

// migrate takes over the session an earlier cognito-token cached for o
// under legacyKey, if it is complete and came from the server o names:
// Cognito itself without --endpoint, another server with it, as the ID
// token's issuer tells (earlier versions kept no endpoint, and used one
// file for both). The session is saved under the current key, then the
// old file removed. The caller holds the lock. Anything else leaves the
// old file as it is, and returns nil.
func (s *store) migrate(o *options) *session {
	if s.legacyKey == "" {
		return nil
	}
	b, err := s.read(s.legacyKey + sessionSuffix)
	if err != nil {
		return nil
	}
	var ses session
	if err := json.Unmarshal(b, &ses); err != nil || ses.Endpoint != "" {
		return nil
	}
	ses.Endpoint = o.endpoint
	if !ses.complete(o) || cognitoIssuer(ses.IDToken, o.poolID) != (o.endpoint == "") {
		return nil
	}
	if err := s.save(&ses); err != nil {
		return &ses // usable now; the next command tries again
	}
	_ = s.root.Remove(s.legacyKey + sessionSuffix) // if it stays, it is never read again
	return &ses
}

// cognitoIssuer reports whether the (unverified) issuer of the ID token is
// Cognito's for the pool, https://cognito-idp.<region>.amazonaws.com/<pool
// ID> (.amazonaws.com.cn in China).
func cognitoIssuer(idToken, poolID string) bool {
	var claims struct {
		Iss string `json:"iss"`
	}
	if jwt.DecodeUnverified(idToken, &claims) != nil {
		return false
	}
	u, err := url.Parse(claims.Iss)
	return err == nil && u.Scheme == "https" && u.Path == "/"+poolID &&
		strings.HasPrefix(u.Host, "cognito-idp.") &&
		(strings.HasSuffix(u.Host, ".amazonaws.com") || strings.HasSuffix(u.Host, ".amazonaws.com.cn"))
}

// read returns the content of the regular file name, at most
// maxSessionSize bytes of it.
func (s *store) read(name string) ([]byte, error) {
	f, err := openFile(s.root, name, os.O_RDONLY, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, maxSessionSize))
}

// save writes the session to a new temporary file in the cache directory
// and renames it into place, so that readers see the old file or the new
// one, never a part. The rename replaces whatever has the session's name,
// a symbolic link too, and writes through nothing. The temporary file is
// removed if anything fails.
func (s *store) save(ses *session) (err error) {
	b, err := json.MarshalIndent(ses, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding the session: %w", err)
	}
	name, f, err := s.createTemp()
	if err != nil {
		return fmt.Errorf("saving the session: %w", s.pathErr(err))
	}
	defer func() {
		if err != nil {
			f.Close()
			s.root.Remove(name)
			err = fmt.Errorf("saving the session: %w", s.pathErr(err))
		}
	}()
	if _, err := f.Write(append(b, '\n')); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return s.root.Rename(name, s.key+sessionSuffix)
}

// createTemp creates a new file, mode 0600, with a random name of the
// session's temporary files. O_EXCL makes the kernel refuse a name that
// exists, a symbolic link included, so nothing planted can receive the
// session: another name is tried.
func (s *store) createTemp() (string, *os.File, error) {
	r := s.rand
	if r == nil {
		r = rand.Reader
	}
	for range 16 {
		var b [8]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return "", nil, err
		}
		name := s.key + tempInfix + hex.EncodeToString(b[:])
		f, err := s.root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		return name, f, err
	}
	return "", nil, errors.New("no free name for a temporary file")
}

// removeTemps removes the session's temporary files, those an earlier
// version named after legacyKey too. A save cut short (a login
// interrupted, a crash) can leave one holding a live refresh token.
func (s *store) removeTemps() error {
	d, err := s.root.Open(".")
	if err != nil {
		return err
	}
	names, err := d.Readdirnames(-1)
	d.Close()
	if err != nil {
		return err
	}
	for _, name := range names {
		if strings.HasPrefix(name, s.key+tempInfix) || (s.legacyKey != "" && strings.HasPrefix(name, s.legacyKey+tempInfix)) {
			if rmErr := s.root.Remove(name); rmErr != nil && !errors.Is(rmErr, fs.ErrNotExist) {
				err = rmErr
			}
		}
	}
	return err
}

// remove deletes the session file, a missing one being fine, and any
// temporary file of the session. The lock file stays: with flock
// (lock_unix.go), removing it while another process waits on it would let
// two processes hold "the" lock at once.
func (s *store) remove() error {
	err := s.root.Remove(s.key + sessionSuffix)
	if errors.Is(err, fs.ErrNotExist) {
		err = nil
	}
	if err == nil {
		err = s.removeTemps()
	}
	if err != nil {
		return fmt.Errorf("removing the cached session: %w", s.pathErr(err))
	}
	return nil
}

// pathErr puts the cache directory in front of the bare file names that
// os.Root's errors carry.
func (s *store) pathErr(err error) error {
	var pe *fs.PathError
	var le *os.LinkError
	switch {
	case errors.As(err, &pe) && !filepath.IsAbs(pe.Path):
		pe.Path = filepath.Join(s.dir, pe.Path)
	case errors.As(err, &le) && !filepath.IsAbs(le.New):
		le.Old, le.New = filepath.Join(s.dir, le.Old), filepath.Join(s.dir, le.New)
	}
	return err
}

// notFileError means a name in the cache directory is a symbolic link or
// something else that is not a regular file. cognito-token never follows
// or opens one: whoever planted it could show a session of their own,
// redirect a write, or make a read wait for ever (a FIFO).
type notFileError struct {
	path string
	mode fs.FileMode
}

func (e *notFileError) Error() string {
	what := "special file"
	switch {
	case e.mode&fs.ModeSymlink != 0:
		what = "symbolic link"
	case e.mode.IsDir():
		what = "directory"
	}
	return fmt.Sprintf("%s is a %s, not a file; cognito-token follows no links: remove it", e.path, what)
}

// openFile opens name in root, as root.OpenFile does, but only if it is a
// regular file, never through a symbolic link: the effect of O_NOFOLLOW.
// (os.Root itself opens with O_NOFOLLOW but then follows a link that stays
// inside the directory.) The name is checked with Lstat before the open,
// so that a FIFO is never opened, and after it, so that the file opened is
// the one now at name, not one a link swapped in meanwhile led to.
func openFile(root *os.Root, name string, flag int, perm os.FileMode) (*os.File, error) {
	notFile := func(fi fs.FileInfo) error {
		return &notFileError{path: filepath.Join(root.Name(), name), mode: fi.Mode()}
	}
	fi, err := root.Lstat(name)
	switch {
	case err == nil && !fi.Mode().IsRegular():
		return nil, notFile(fi)
	case err != nil && (flag&os.O_CREATE == 0 || !errors.Is(err, fs.ErrNotExist)):
		return nil, err
	}
	f, err := root.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	opened, err := f.Stat()
	if err == nil {
		fi, err = root.Lstat(name)
	}
	switch {
	case err != nil:
	case !fi.Mode().IsRegular():
		err = notFile(fi)
	case !os.SameFile(opened, fi):
		err = fmt.Errorf("%s changed while it was opened", filepath.Join(root.Name(), name))
	default:
		return f, nil
	}
	f.Close()
	return nil, err
}

// lockedStore resolves o, reads the secret from stdin if asked, and opens
// and locks o's cache file; the function it returns unlocks and closes it.
// Reading only after taking the lock means that a process which waited for
// another one's renewal finds the renewed session and uses it as it is.
func (c *cli) lockedStore(ctx context.Context, o *options) (*store, func(), error) {
	if err := o.resolve(c.env); err != nil {
		return nil, nil, err
	}
	if _, err := c.readInputs(o); err != nil {
		return nil, nil, err
	}
	st, err := c.openStore(o)
	if err != nil {
		return nil, nil, err
	}
	unlock, err := st.lock(ctx)
	if err != nil {
		st.close()
		return nil, nil, err
	}
	return st, func() { unlock(); st.close() }, nil
}

// lockedSession is lockedStore followed by loading the session. When the
// store could be opened and locked, unlock is returned even if loading
// failed, so that the caller can look at the error and still release it.
func (c *cli) lockedSession(ctx context.Context, o *options) (st *store, ses *session, unlock func(), err error) {
	st, unlock, err = c.lockedStore(ctx, o)
	if err != nil {
		return nil, nil, nil, err
	}
	ses, err = st.load(o)
	return st, ses, unlock, err
}
