package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
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
	Username     string    `json:"username"` // as typed at sign-in
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
	if c, err := jwt.Parse(id); err == nil {
		if life, ok := c.Lifetime(); ok {
			idExpiry = received.Add(life)
		}
	}
	return &session{
		Version:      sessionVersion,
		UserPoolID:   o.poolID,
		ClientID:     o.clientID,
		Username:     o.username,
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
// belongs to o.
func (s *session) complete(o *options) bool {
	return s.Version == sessionVersion &&
		s.UserPoolID == o.poolID && s.ClientID == o.clientID && s.Username == o.username &&
		s.AccessToken != "" && s.RefreshToken != "" &&
		!s.AccessExpiry.IsZero() && !s.IDExpiry.IsZero() && !s.Obtained.IsZero()
}

// store is the cache file of one user of one app client, with its lock.
type store struct {
	dir string
	key string // file name stem: a hash of pool, client and user name
	own bool   // dir is the default one, not one the user chose
}

// openStore finds the cache file for o. The file name is a hash, so no
// flag value can lead out of the directory.
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
	h := sha256.New()
	for _, s := range []string{o.poolID, o.clientID, o.username} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return &store{dir: dir, key: hex.EncodeToString(h.Sum(nil)[:16]), own: own}, nil
}

// makeDir creates the cache directory with mode 0700. The default
// directory is set to 0700 even when it already existed; one the user
// chose with the environment variable is left as it is (the files in it
// are 0600 whatever it is).
func (s *store) makeDir() error {
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return fmt.Errorf("creating the cache directory: %w", err)
	}
	if s.own {
		if err := os.Chmod(s.dir, 0o700); err != nil {
			return fmt.Errorf("securing the cache directory: %w", err)
		}
	}
	return nil
}

func (s *store) path() string { return filepath.Join(s.dir, s.key+".json") }

// lock takes the session's lock file, waiting while another process or
// goroutine holds it, and returns the function that releases it. Callers
// re-read the session once they hold it.
func (s *store) lock(ctx context.Context) (unlock func(), err error) {
	if err := s.makeDir(); err != nil {
		return nil, err
	}
	wait, cancel := context.WithTimeout(ctx, lockTimeout)
	defer cancel()
	unlock, err = acquireLock(wait, filepath.Join(s.dir, s.key+".lock"))
	if err != nil {
		if ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
			return nil, fmt.Errorf("another cognito-token has held the lock on the session for over %v", lockTimeout)
		}
		return nil, fmt.Errorf("locking the cached session: %w", err)
	}
	return unlock, nil
}

// load reads the session of o, which must exist and be complete.
func (s *store) load(o *options) (*session, error) {
	b, err := os.ReadFile(s.path())
	if errors.Is(err, fs.ErrNotExist) {
		return nil, &needLoginError{why: fmt.Sprintf("no session is cached for %s", o.username), missing: true}
	}
	if err != nil {
		return nil, fmt.Errorf("reading the cached session: %w", err)
	}
	var ses session
	if err := json.Unmarshal(b, &ses); err != nil || !ses.complete(o) {
		return nil, &needLoginError{why: fmt.Sprintf("the cached session in %s is corrupt or from another version", s.path())}
	}
	return &ses, nil
}

// save writes the session to a temporary file in the cache directory and
// renames it into place, so that readers see the old file or the new one,
// never a part. The temporary file is removed if anything fails.
func (s *store) save(ses *session) (err error) {
	b, err := json.MarshalIndent(ses, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding the session: %w", err)
	}
	if err := s.makeDir(); err != nil {
		return err
	}
	f, err := os.CreateTemp(s.dir, s.key+".json.tmp-*") // mode 0600
	if err != nil {
		return fmt.Errorf("saving the session: %w", err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
			err = fmt.Errorf("saving the session: %w", err)
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
	return os.Rename(f.Name(), s.path())
}

// remove deletes the session file; a missing one is fine. The lock file
// stays: with flock (lock_unix.go), removing it while another process waits
// on it would let two processes hold "the" lock at once.
func (s *store) remove() error {
	if err := os.Remove(s.path()); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("removing the cached session: %w", err)
	}
	return nil
}

// lockedStore resolves o, reads the secret from stdin if asked, and opens
// and locks o's cache file. Reading only after taking the lock means that a
// process which waited for another one's renewal finds the renewed session
// and uses it as it is.
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
		return nil, nil, err
	}
	return st, unlock, nil
}
