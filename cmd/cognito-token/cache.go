package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
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

	// Domain, for a session from managed login (login --browser), is the
	// base URL of the user pool domain whose token endpoint renews it;
	// empty for a session from the user-pool API, which renews it. The
	// session file has no place for it: a file of its own keeps it (see
	// domainFile).
	Domain string
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
// pool: its issuer's path is the pool ID (when o names a pool), and its
// client_id (access tokens) and aud (ID tokens) are the client ID, those
// it has.
func issuedFor(token string, o *options) bool {
	var claims struct {
		Iss      string `json:"iss"`
		ClientID string `json:"client_id"`
		Aud      any    `json:"aud"` // a string, or a list of them
	}
	if jwt.DecodeUnverified(token, &claims) != nil {
		return true // nothing to tell
	}
	if claims.Iss != "" && o.poolID != "" {
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

// store is the cache file of one user of one app client (or of the
// tokens of an app client itself, see clientCredentialsKey): a
// [cognito.FileStore], which does the careful file handling (its lock,
// atomic writes, no links followed); the domain file of a session from
// managed login (domainFile); and the files earlier versions left in the
// cache directory (migrate.go).
type store struct {
	dir  string             // for messages
	key  string             // file name stem: sessionKey
	file *cognito.FileStore // <key>.json, locked by <key>.json.lock

	// root is the cache directory, opened and checked once by
	// openCacheDir, for the domain file and the files of earlier versions.
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
	d, err := c.openCacheDir()
	if err != nil {
		return nil, err
	}
	st := d.store(sessionKey(o))
	st.legacyKey = legacyKey(o)
	return st, nil
}

// cacheDir is the cache directory, open and checked, before the cache
// file in it is chosen.
type cacheDir struct {
	dir  string
	root *os.Root
}

// openCacheDir opens the cache directory: $COGNITO_TOKEN_CACHE_DIR, or
// cognito-token's directory in the user's cache directory.
func (c *cli) openCacheDir() (*cacheDir, error) {
	dir := c.env(envCacheDir)
	own := dir == ""
	if own {
		base, err := os.UserCacheDir()
		if err != nil {
			return nil, fmt.Errorf("finding a cache directory (set $%s): %w", envCacheDir, err)
		}
		dir = filepath.Join(base, "cognito-token")
	}
	return openDir(dir, own)
}

// store is the cache file named after key, in d. It shares d's open
// directory: closing either closes it, so close one of them only.
func (d *cacheDir) store(key string) *store {
	return &store{dir: d.dir, key: key, root: d.root, file: cognito.NewFileStore(filepath.Join(d.dir, key+sessionSuffix))}
}

// close closes the directory, when no store owns it.
func (d *cacheDir) close() { d.root.Close() }

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

// openDir opens the cache directory dir, creating it with mode 0700 if
// needed. The default directory (own) is set to 0700 even when it already
// existed; one the user chose with the environment variable is left as it
// is. Either is refused unless it belongs to the user and no one else can
// write to it, as FileStore refuses it, but here before anything is sent
// to Cognito, and with a word on $COGNITO_TOKEN_CACHE_DIR.
func openDir(dir string, own bool) (*cacheDir, error) {
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
	return &cacheDir{dir: dir, root: root}, nil
}

// close closes the cache directory.
func (s *store) close() { s.root.Close() }

// path is the cache file's.
func (s *store) path() string { return s.file.Path() }

// lock takes the session's lock, waiting while another process or
// goroutine holds it, and returns the function that releases it. Callers
// re-read the session once they hold it. FileStore then removes the
// temporary files a save cut short left; the holder removes those of the
// domain file and those an earlier version left under legacyKey.
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
	_ = s.removeTemps()
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
	if ses.Domain, err = s.loadDomain(ses); err != nil {
		return nil, err
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

// save replaces the cached session with ses, and its domain file with
// ses's domain, or none. The caller holds the lock.
func (s *store) save(ctx context.Context, ses *session) error {
	if err := s.file.Save(ctx, &ses.Session); err != nil {
		return fmt.Errorf("saving the session: %w", fileErr(err))
	}
	if err := s.saveDomain(ses); err != nil {
		return fmt.Errorf("saving the session: %w", fileErr(err))
	}
	return nil
}

// remove deletes the session file and its domain file, missing ones being
// fine, and any temporary file of them. The lock file stays (see
// FileStore).
func (s *store) remove(ctx context.Context) error {
	err := s.file.Save(ctx, nil)
	if err == nil {
		err = fileutil.Remove(s.root, s.key+domainSuffix)
	}
	if err == nil {
		err = s.removeTemps()
	}
	if err != nil {
		return fmt.Errorf("removing the cached session: %w", fileErr(err))
	}
	return nil
}

// removeTemps removes the temporary files that a save cut short left: of
// the domain file, which only a holder of the lock writes, and of an
// earlier version's session file (see removeLegacyTemps). FileStore
// removes its own.
func (s *store) removeTemps() error {
	return errors.Join(fileutil.RemoveTemps(s.root, s.key+domainSuffix, 0), s.removeLegacyTemps())
}

// domainSuffix ends the name of a session's domain file: <key>.oauth2.json.
const domainSuffix = ".oauth2.json"

// maxDomainFileSize bounds what loadDomain reads.
const maxDomainFileSize = 64 << 10

// domainFile is what a session's domain file holds: the domain whose token
// endpoint renews the session, and the SHA-256 of the refresh token it is
// for. A domain file is taken for the session whose refresh token it
// names only, so that one left beside another session (a crash between
// the two writes, a file copied by hand) is never used for it: that
// session is then renewed with the user-pool API, which Cognito also
// allows for the refresh tokens of managed login.
type domainFile struct {
	Version            int    `json:"version"`
	Domain             string `json:"domain"`
	RefreshTokenSHA256 string `json:"refresh_token_sha256"`
}

// domainFileVersion is the version of domainFile's format.
const domainFileVersion = 1

// refreshDigest is the hex SHA-256 of a refresh token.
func refreshDigest(refreshToken string) string {
	sum := sha256.Sum256([]byte(refreshToken))
	return hex.EncodeToString(sum[:])
}

// loadDomain returns the domain that renews ses, from its domain file, or
// "" when there is none for it. A domain file that is not a file is an
// error, as the session file would be; one that cannot be read as a
// domain file is passed over.
func (s *store) loadDomain(ses *session) (string, error) {
	b, err := fileutil.ReadFile(s.root, s.key+domainSuffix, maxDomainFileSize)
	var nf *fileutil.NotFileError
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "", nil
	case errors.As(err, &nf):
		return "", &needLoginError{why: "the cached session's domain file " + nf.Error()}
	case errors.Is(err, fileutil.ErrTooLarge):
		return "", nil
	case err != nil:
		return "", fmt.Errorf("reading the cached session: %w", fileErr(err))
	}
	var f domainFile
	if json.Unmarshal(b, &f) != nil || f.Version != domainFileVersion || f.RefreshTokenSHA256 != refreshDigest(ses.RefreshToken) {
		return "", nil
	}
	if _, err := domainURL(f.Domain); err != nil {
		return "", nil
	}
	return f.Domain, nil
}

// saveDomain writes the domain file of ses, or removes it when ses has no
// domain. The caller holds the lock.
func (s *store) saveDomain(ses *session) error {
	name := s.key + domainSuffix
	if ses.Domain == "" {
		return fileutil.Remove(s.root, name)
	}
	b, err := json.MarshalIndent(domainFile{Version: domainFileVersion, Domain: ses.Domain, RefreshTokenSHA256: refreshDigest(ses.RefreshToken)}, "", "  ")
	if err != nil {
		return err
	}
	return fileutil.WriteFile(s.root, name, append(b, '\n'), nil)
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
