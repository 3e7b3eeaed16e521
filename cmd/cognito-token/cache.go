package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/seed-e8acf5fd/cognito"
	"github.com/seed-e8acf5fd/cognito/internal/fileutil"
	"github.com/seed-e8acf5fd/cognito/internal/jwt"
)

// envCacheDir overrides the cache directory.
const envCacheDir = "COGNITO_TOKEN_CACHE_DIR"

// lockTimeout bounds the wait for another cognito-token to release a
// session's lock. Whoever holds it makes at most a few Cognito calls, each
// bounded to a minute by the library.
const lockTimeout = 3 * time.Minute

// session is a cached session as the commands use it: the
// [cognito.Session] its cache file holds (never the password or the
// client secret), and what the tokens tell of their lifetimes, which the
// file does not keep.
type session struct {
	cognito.Session

	// IDExpiry is when the ID token expires by the local clock: Expiry
	// (the access token's) moved by as much as the ID token's exp claim
	// differs from the access token's, both by the server's clock.
	IDExpiry time.Time

	// Obtained is when the tokens were issued by the local clock: Expiry
	// less the access token's lifetime (exp − iat); zero when its claims
	// do not say. It tells how long the tokens live (earlyExpiry).
	Obtained time.Time
}

// newSession is s with what its tokens tell.
func newSession(s cognito.Session) *session {
	ses := &session{Session: s, IDExpiry: s.Expiry}
	access, err := jwt.ParseUnverified(s.AccessToken)
	if err != nil {
		return ses
	}
	if life, ok := access.Lifetime(); ok {
		ses.Obtained = s.Expiry.Add(-life)
	}
	id, err := jwt.ParseUnverified(s.IDToken)
	if diff := id.Exp - access.Exp; err == nil && id.Exp > 0 && access.Exp > 0 && max(diff, -diff) <= maxExpiryGap {
		ses.IDExpiry = s.Expiry.Add(time.Duration(diff) * time.Second)
	}
	return ses
}

// maxExpiryGap bounds, in seconds, how far apart the expiries of the two
// tokens may be to be believed: a day, the longest life Cognito gives
// either token.
const maxExpiryGap = 24 * 60 * 60

// sessionOf is the session of a token from the library.
func sessionOf(tok *oauth2.Token) *session {
	access, _ := tok.Extra("access_token").(string)
	if access == "" {
		access = tok.AccessToken
	}
	return newSession(cognito.Session{
		AccessToken:  access,
		IDToken:      cognito.IDToken(tok),
		RefreshToken: tok.RefreshToken,
		Expiry:       tok.Expiry,
		Device:       cognito.DeviceOf(tok),
	})
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

// tokens are the session's secrets, for [cli.keepSecret]: its tokens and
// its device's password.
func (s *session) tokens() []string {
	t := []string{s.AccessToken, s.IDToken, s.RefreshToken}
	if s.Device != nil {
		t = append(t, s.Device.Password)
	}
	return t
}

// usable reports whether a session read from disk has what it needs and
// no token of it names a pool or app client other than o's (its claims,
// unverified). The file's name says whose session it is; this catches a
// file copied or written by hand.
func (s *session) usable(o *options) bool {
	return s.AccessToken != "" && s.RefreshToken != "" && !s.Expiry.IsZero() &&
		issuedFor(s.AccessToken, o) && issuedFor(s.IDToken, o)
}

// issuedFor reports whether the (unverified) claims of token, if it is a
// JWT, leave it possible that it was issued to o's app client by o's
// pool: its issuer's path is the pool ID, and its client_id (access
// tokens) and aud (ID tokens) are the client ID, those it has.
func issuedFor(token string, o *options) bool {
	var claims struct {
		Iss      string `json:"iss"`
		ClientID string `json:"client_id"`
		Aud      any    `json:"aud"` // a string, or a list of them
	}
	if jwt.DecodeUnverified(token, &claims) != nil {
		return true // nothing to tell
	}
	if claims.Iss != "" {
		u, err := url.Parse(claims.Iss)
		if err != nil || u.Path != "/"+o.poolID {
			return false
		}
	}
	if claims.ClientID != "" && claims.ClientID != o.clientID {
		return false
	}
	switch aud := claims.Aud.(type) {
	case string:
		return aud == "" || aud == o.clientID
	case []any:
		for _, a := range aud {
			if a == o.clientID {
				return true
			}
		}
		return len(aud) == 0
	}
	return true
}

// store is the cache file of one user of one app client: a
// [cognito.FileStore], which does the careful file handling (its lock,
// atomic writes, no links followed), and the files earlier versions left
// in the cache directory (migrate.go).
type store struct {
	dir  string             // for messages
	key  string             // file name stem: sessionKey
	file *cognito.FileStore // <key>.json, locked by <key>.json.lock

	// root is the cache directory, opened and checked once by openStore,
	// for the files of earlier versions.
	root *os.Root

	// legacyKey, if set, is the stem an earlier version gave the same
	// session: see migrate.
	legacyKey string
}

// sessionSuffix ends the name of a cache file: <key>.json. The lock is
// <key>.json.lock and, while a session is being saved, there is a
// <key>.json.tmp-<random>: FileStore's names.
const sessionSuffix = ".json"

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
// belongs to the user and no one else can write to it, as FileStore
// refuses it, but here before anything is sent to Cognito, and with a
// word on $COGNITO_TOKEN_CACHE_DIR.
func newStore(dir string, own bool, key string) (*store, error) {
	root, err := fileutil.OpenDir(dir, true, own)
	var unsafe *fileutil.UnsafeDirError
	switch {
	case errors.As(err, &unsafe) && unsafe.Foreign():
		return nil, fmt.Errorf("refusing the cache directory %s: it belongs to user %d, not to you (%d); set $%s to a directory of your own (mkdir -m 700 DIR)", dir, unsafe.Owner, unsafe.User, envCacheDir)
	case errors.As(err, &unsafe):
		return nil, fmt.Errorf("refusing the cache directory %s: other users can write to it (mode %04o); run 'chmod go-w %s', or set $%s to a directory only you can write to", dir, unsafe.Mode, dir, envCacheDir)
	case err != nil:
		return nil, fmt.Errorf("opening the cache directory: %w", err)
	}
	return &store{dir: dir, key: key, root: root, file: cognito.NewFileStore(filepath.Join(dir, key+sessionSuffix))}, nil
}

// close closes the cache directory.
func (s *store) close() { s.root.Close() }

// path is the cache file's.
func (s *store) path() string { return s.file.Path() }

// lock takes the session's lock, waiting while another process or
// goroutine holds it, and returns the function that releases it. Callers
// re-read the session once they hold it. FileStore then removes the
// temporary files a save cut short left; the holder removes those an
// earlier version left under legacyKey.
func (s *store) lock(ctx context.Context) (unlock func(), err error) {
	wait, cancel := context.WithTimeout(ctx, lockTimeout)
	defer cancel()
	unlock, err = s.file.Lock(wait)
	if err != nil {
		if ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
			return nil, fmt.Errorf("another cognito-token has held the lock on the session for over %v", lockTimeout)
		}
		return nil, fmt.Errorf("locking the cached session: %w", fileErr(err))
	}
	// Best effort: a file that cannot be removed now is tried again by the
	// next command, and logout reports it.
	_ = s.removeLegacyTemps()
	return unlock, nil
}

// load reads the session of o, which must exist and be usable. A session
// cached by an earlier version is taken over (migrate.go); the caller
// holds the lock.
func (s *store) load(ctx context.Context, o *options) (*session, error) {
	saved, err := s.file.Load(ctx)
	var nf *fileutil.NotFileError
	var ses *session
	switch {
	case errors.As(err, &nf):
		return nil, &needLoginError{why: "the cached session " + nf.Error()}
	case errors.Is(err, cognito.ErrSessionFormat):
		ses = s.upgrade(ctx, o)
	case err != nil:
		return nil, fmt.Errorf("reading the cached session: %w", fileErr(err))
	case saved == nil:
		if ses = s.migrate(ctx, o); ses == nil {
			return nil, &needLoginError{why: fmt.Sprintf("no session is cached for %s", o.username), missing: true}
		}
	default:
		ses = newSession(*saved)
	}
	if ses == nil || !ses.usable(o) {
		return nil, &needLoginError{why: fmt.Sprintf("the cached session in %s is corrupt or from another version", s.path())}
	}
	return ses, nil
}

// device is the device the cached session of o is remembered with, or
// nil: read without the lock, for a sign-in to prove.
func (s *store) device(ctx context.Context, o *options) *cognito.Device {
	saved, err := s.file.Load(ctx)
	if err != nil || saved == nil || !newSession(*saved).usable(o) {
		return nil
	}
	return saved.Device
}

// save replaces the cached session with ses. The caller holds the lock.
func (s *store) save(ctx context.Context, ses *session) error {
	if err := s.file.Save(ctx, &ses.Session); err != nil {
		return fmt.Errorf("saving the session: %w", fileErr(err))
	}
	return nil
}

// remove deletes the session file, a missing one being fine, and any
// temporary file of the session. The lock file stays (see FileStore).
func (s *store) remove(ctx context.Context) error {
	err := s.file.Save(ctx, nil)
	if err == nil {
		err = s.removeLegacyTemps()
	}
	if err != nil {
		return fmt.Errorf("removing the cached session: %w", fileErr(err))
	}
	return nil
}

// fileErr is the error of the file or directory inside err, which a
// FileStore's error wraps with words of its own, or err.
func fileErr(err error) error {
	var (
		nf *fileutil.NotFileError
		ud *fileutil.UnsafeDirError
		pe *fs.PathError
		le *os.LinkError
	)
	switch {
	case errors.As(err, &nf):
		return nf
	case errors.As(err, &ud):
		return ud
	case errors.As(err, &pe):
		return pe
	case errors.As(err, &le):
		return le
	}
	return err
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
	ses, err = st.load(ctx, o)
	return st, ses, unlock, err
}
