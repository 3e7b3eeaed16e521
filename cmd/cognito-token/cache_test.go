package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCacheFiles(t *testing.T) {
	t.Parallel()
	p := newPool(t)
	h := p.harness(t)
	h.mustRun(exitOK, p.password+"\n", "login", "--password-stdin")

	st := h.store()
	assert.Equal(t, h.env[envCacheDir], st.dir)
	if runtime.GOOS != "windows" {
		assert.Equal(t, os.FileMode(0o700), fileMode(t, st.dir))
		assert.Equal(t, os.FileMode(0o600), fileMode(t, st.path()))
	}
	b, err := os.ReadFile(st.path())
	require.NoError(t, err)
	assert.NotContains(t, string(b), p.password)

	ses := h.session()
	assert.Equal(t, p.srv.UserPoolID, ses.UserPoolID)
	assert.Equal(t, p.srv.ClientID, ses.ClientID)
	assert.Equal(t, p.alias, ses.Username)
	assert.Equal(t, "Bearer", ses.TokenType)
	for _, tok := range []string{ses.AccessToken, ses.IDToken, ses.RefreshToken} {
		assert.Contains(t, string(b), tok)
	}
	assert.WithinDuration(t, time.Now(), ses.Obtained, time.Minute)
	assert.WithinDuration(t, ses.Obtained.Add(time.Hour), ses.AccessExpiry, time.Minute)
	assert.WithinDuration(t, ses.Obtained.Add(time.Hour), ses.IDExpiry, time.Minute)
}

func TestCacheFileNames(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	c := &cli{env: func(k string) string {
		if k == envCacheDir {
			return dir
		}
		return ""
	}}
	seen := map[string]bool{}
	for _, o := range []options{
		{poolID: "us-east-1_a", clientID: "c", username: "alice"},
		{poolID: "us-east-1_a", clientID: "c", username: "bob"},
		{poolID: "us-east-1_a", clientID: "d", username: "alice"},
		{poolID: "us-east-1_b", clientID: "c", username: "alice"},
		{poolID: "us-east-1_a", clientID: "c\x00", username: "alice"},
		{poolID: "us-east-1_a", clientID: "c", username: "alice", endpoint: "http://localhost:9229"},
		{poolID: "us-east-1_a", clientID: "c", username: "alice", endpoint: "http://localhost:9230"},
		{poolID: "us-east-1_a", clientID: "c", username: "../../etc/passwd"},
		{poolID: "../x_y", clientID: "/abs", username: `..\..\x`},
	} {
		st, err := c.openStore(&o)
		require.NoError(t, err)
		st.close()
		assert.Equal(t, dir, filepath.Dir(st.path()), "no way out of the cache directory")
		assert.Regexp(t, regexp.MustCompile(`^[0-9a-f]{32}\.json$`), filepath.Base(st.path()))
		assert.False(t, seen[st.path()], "one file per pool, client, user and endpoint: %+v", o)
		seen[st.path()] = true
	}

	// User names match in any letter case.
	assert.Equal(t,
		sessionKey(&options{poolID: "us-east-1_a", clientID: "c", username: "Alice@Example.COM"}),
		sessionKey(&options{poolID: "us-east-1_a", clientID: "c", username: "alice@example.com"}))
	// The names earlier versions used, for migrate.
	assert.Equal(t, "ccc3c5655c28bf11ec4bed35b4ff5690",
		legacyKey(&options{poolID: "us-east-1_AbC123", clientID: "client", username: "Alice@Example.com"}))
}

// TestSessionKey: the session is found whatever the letter case of the
// user name, and only for the endpoint it came from.
func TestSessionKey(t *testing.T) {
	t.Parallel()
	p := newPool(t)
	h := p.harness(t)
	h.mustRun(exitOK, p.password+"\n", "login", "--password-stdin")
	ses := h.session()

	r := h.mustRun(exitOK, "", "token", "--username", strings.ToUpper(p.alias))
	assert.Equal(t, ses.AccessToken+"\n", r.stdout)
	r = h.mustRun(exitOK, "", "token", "--endpoint", p.srv.URL+"/")
	assert.Equal(t, ses.AccessToken+"\n", r.stdout)

	other := newPool(t) // another server, with a pool of the same ID
	r = h.mustRun(exitFailure, "", "token", "--endpoint", other.srv.URL)
	assert.Empty(t, r.stdout)
	assert.Contains(t, r.stderr, "no session is cached for "+p.alias)
}

// TestLegacyCacheMigrated: a session cached by an earlier version, under
// the name it used, is taken over if it came from the server named now,
// and left alone otherwise.
func TestLegacyCacheMigrated(t *testing.T) {
	t.Parallel()
	const poolID = "eu-west-1_AbC123"
	cognitoIss := "https://cognito-idp.eu-west-1.amazonaws.com/" + poolID
	tests := []struct {
		name     string
		endpoint string
		iss      string
		migrated bool
	}{
		{"Cognito's session, for Cognito", "", cognitoIss, true},
		{"an emulator's session, for the emulator", "http://127.0.0.1:9229", "http://localhost:9229/" + poolID, true},
		{"Cognito's session, for an emulator", "http://127.0.0.1:9229", cognitoIss, false},
		{"an emulator's session, for Cognito", "", "http://localhost:9229/" + poolID, false},
		{"a lookalike's session, for Cognito", "", "https://cognito-idp.eu-west-1.amazonaws.com.evil.example/" + poolID, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, map[string]string{envUserPoolID: poolID, envClientID: "client", envUsername: "Alice@Example.com", envEndpoint: tt.endpoint})
			// Valid for an hour: no network call is made.
			ses := h.plant(time.Now().Add(time.Hour), map[string]any{"iss": tt.iss})
			st := h.store()
			legacy := filepath.Join(st.dir, legacyKey(h.options())+sessionSuffix)
			var old map[string]any // as earlier versions wrote it: no endpoint
			b, err := os.ReadFile(st.path())
			require.NoError(t, err)
			require.NoError(t, json.Unmarshal(b, &old))
			delete(old, "endpoint")
			b, err = json.Marshal(old)
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(legacy, b, 0o600))
			require.NoError(t, os.Remove(st.path()))

			if !tt.migrated {
				r := h.mustRun(exitFailure, "", "token")
				assert.Contains(t, r.stderr, "no session is cached")
				assert.FileExists(t, legacy, "left alone")
				assert.NoFileExists(t, st.path())
				return
			}
			r := h.mustRun(exitOK, "", "token")
			assert.Equal(t, ses.AccessToken+"\n", r.stdout)
			assert.NoFileExists(t, legacy)
			assert.Equal(t, tt.endpoint, h.session().Endpoint, "saved under the current name")
			r = h.mustRun(exitOK, "", "token", "--id")
			assert.Equal(t, ses.IDToken+"\n", r.stdout)
		})
	}
}

func TestCorruptCache(t *testing.T) {
	t.Parallel()
	p := newPool(t)
	for name, content := range map[string]string{
		"not JSON":      "{not json",
		"empty":         "",
		"no tokens":     `{"version":1}`,
		"other user":    "",
		"other version": "",
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := p.harness(t)
			h.mustRun(exitOK, p.password+"\n", "login", "--password-stdin")
			st := h.store()
			switch name {
			case "other user", "other version":
				ses := h.session()
				if name == "other user" {
					ses.Username = "mallory@example.com"
				} else {
					ses.Version = 99
				}
				require.NoError(t, st.save(ses))
			default:
				require.NoError(t, os.WriteFile(st.path(), []byte(content), 0o600))
			}

			r := h.mustRun(exitFailure, "", "token")
			assert.Empty(t, r.stdout)
			assert.Contains(t, r.stderr, "corrupt")
			assert.Contains(t, r.stderr, "run 'cognito-token login'")

			r = h.mustRun(exitFailure, "", "logout")
			assert.Contains(t, r.stderr, "without revoking")
			assert.NoFileExists(t, st.path())

			h.mustRun(exitOK, p.password+"\n", "login", "--password-stdin")
			h.mustRun(exitOK, "", "token")
		})
	}
}

func TestSaveLeavesNoTemporaryFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	st := testStore(t, dir, "k")
	// A directory where the file should be makes the rename fail.
	require.NoError(t, os.Mkdir(st.path(), 0o700))
	err := st.save(&session{Version: sessionVersion, AccessToken: "a"})
	require.Error(t, err)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 1)
	assert.Equal(t, "k.json", entries[0].Name())
}

func TestLockExcludes(t *testing.T) {
	t.Parallel()
	st := testStore(t, filepath.Join(t.TempDir(), "cache"), "k")
	ctx := context.Background()
	var holders, most atomic.Int32
	done := make(chan error)
	for range 4 {
		go func() {
			unlock, err := st.lock(ctx)
			if err == nil {
				n := holders.Add(1)
				for {
					m := most.Load()
					if n <= m || most.CompareAndSwap(m, n) {
						break
					}
				}
				time.Sleep(20 * time.Millisecond)
				holders.Add(-1)
				unlock()
			}
			done <- err
		}()
	}
	for range 4 {
		require.NoError(t, <-done)
	}
	assert.Equal(t, int32(1), most.Load(), "one holder at a time")

	// A waiter gives up when its context ends.
	unlock, err := st.lock(ctx)
	require.NoError(t, err)
	defer unlock()
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	_, err = st.lock(short)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
}

// TestDefaultCacheDirMode: the default cache directory is made 0700 even
// when it already existed with looser permissions.
func TestDefaultCacheDirMode(t *testing.T) {
	cache := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", cache) // os.UserCacheDir on Linux
	t.Setenv("HOME", cache)           // and on macOS
	base, err := os.UserCacheDir()
	require.NoError(t, err)
	dir := filepath.Join(base, "cognito-token")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	require.NoError(t, os.Chmod(dir, 0o755))

	p := newPool(t)
	h := p.harness(t)
	delete(h.env, envCacheDir)
	h.mustRun(exitOK, p.password+"\n", "login", "--password-stdin")
	assert.Equal(t, os.FileMode(0o700), fileMode(t, dir))
	assert.Equal(t, os.FileMode(0o600), fileMode(t, h.store().path()))
}

// testStore opens the store of key in dir, closed when the test ends.
func testStore(t *testing.T, dir, key string) *store {
	t.Helper()
	st, err := newStore(dir, false, key)
	require.NoError(t, err)
	t.Cleanup(st.close)
	return st
}

// symlink makes a symbolic link, or skips the test where the system does
// not let this user make one (Windows without the privilege).
func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		if runtime.GOOS == "windows" {
			t.Skipf("no symbolic links here: %v", err)
		}
		require.NoError(t, err)
	}
}

// TestSymlinkedSession: a symbolic link where the session should be is
// never followed, to a file outside the directory or inside it: token
// refuses it, logout removes the link, and login replaces it without
// writing through it.
func TestSymlinkedSession(t *testing.T) {
	t.Parallel()
	p := newPool(t)
	tests := []struct {
		name   string
		target func(st *store) string
	}{
		{"outside the directory", func(*store) string { return filepath.Join(t.TempDir(), "planted.json") }},
		{"inside the directory", func(st *store) string { return filepath.Join(st.dir, "planted.json") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := p.harness(t)
			h.mustRun(exitOK, p.password+"\n", "login", "--password-stdin")
			st := h.store()
			target := tt.target(st)
			require.NoError(t, os.Rename(st.path(), target)) // a session someone else could show
			planted, err := os.ReadFile(target)
			require.NoError(t, err)
			symlink(t, target, st.path())

			r := h.mustRun(exitFailure, "", "token")
			assert.Empty(t, r.stdout)
			assert.Contains(t, r.stderr, "the cached session "+st.path()+" is a symbolic link, not a file")
			assert.Contains(t, r.stderr, "run 'cognito-token login'")

			h.mustRun(exitOK, p.password+"\n", "login", "--password-stdin")
			fi, err := os.Lstat(st.path())
			require.NoError(t, err)
			assert.True(t, fi.Mode().IsRegular(), "the link is replaced by a file")
			after, err := os.ReadFile(target)
			require.NoError(t, err)
			assert.Equal(t, planted, after, "nothing is written through the link")
			r = h.mustRun(exitOK, "", "token")
			assert.Equal(t, h.session().AccessToken+"\n", r.stdout)

			symlink(t, target, filepath.Join(st.dir, "link"))
			require.NoError(t, os.Rename(filepath.Join(st.dir, "link"), st.path()))
			r = h.mustRun(exitFailure, "", "logout")
			assert.Contains(t, r.stderr, "without revoking")
			assert.NoFileExists(t, st.path())
			assert.FileExists(t, target, "logout removes the link, not its target")
		})
	}
}

// TestSymlinkedLock: a symbolic link where the lock file should be is
// refused, not followed: nothing is created or changed at its target.
func TestSymlinkedLock(t *testing.T) {
	t.Parallel()
	p := newPool(t)
	h := p.harness(t)
	h.mustRun(exitOK, p.password+"\n", "login", "--password-stdin")
	st := h.store()
	lock := filepath.Join(st.dir, st.key+lockSuffix)
	require.NoError(t, os.Remove(lock))
	outside := t.TempDir()
	missing, existing := filepath.Join(outside, "created"), filepath.Join(outside, "existing")
	require.NoError(t, os.WriteFile(existing, []byte("precious"), 0o600))

	for _, target := range []string{missing, existing} {
		require.NoError(t, os.RemoveAll(lock))
		symlink(t, target, lock)
		for _, args := range [][]string{{"token"}, {"login", "--password-stdin"}, {"logout"}} {
			r := h.mustRun(exitFailure, p.password+"\n", args...)
			assert.Empty(t, r.stdout)
			assert.Contains(t, r.stderr, "locking the cached session: "+lock+" is a symbolic link, not a file")
		}
	}
	assert.NoFileExists(t, missing)
	b, err := os.ReadFile(existing)
	require.NoError(t, err)
	assert.Equal(t, "precious", string(b))
}

// TestTempFileNeverFollowsLink: save creates its temporary file with
// O_EXCL, so a link planted at the name it picks receives nothing; it
// picks another.
func TestTempFileNeverFollowsLink(t *testing.T) {
	t.Parallel()
	st := testStore(t, t.TempDir(), "k")
	st.rand = bytes.NewReader(append(bytes.Repeat([]byte{0}, 8), bytes.Repeat([]byte{1}, 8)...))
	victim := filepath.Join(t.TempDir(), "victim")
	require.NoError(t, os.WriteFile(victim, []byte("precious"), 0o600))
	symlink(t, victim, filepath.Join(st.dir, "k"+tempInfix+"0000000000000000"))

	ses := &session{Version: sessionVersion, AccessToken: "a"}
	require.NoError(t, st.save(ses))
	b, err := os.ReadFile(victim)
	require.NoError(t, err)
	assert.Equal(t, "precious", string(b))
	b, err = os.ReadFile(st.path())
	require.NoError(t, err)
	assert.Contains(t, string(b), `"access_token": "a"`)
	assert.NoFileExists(t, filepath.Join(st.dir, "k"+tempInfix+"0101010101010101"), "renamed into place")
}

// TestStaleTempFiles: a temporary file left by a save cut short holds a
// refresh token; the next command removes it, logout too, and those of
// other sessions stay.
func TestStaleTempFiles(t *testing.T) {
	t.Parallel()
	p := newPool(t)
	for _, args := range [][]string{{"token"}, {"logout"}, {"logout", "twice"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			t.Parallel()
			h := p.harness(t)
			h.mustRun(exitOK, p.password+"\n", "login", "--password-stdin")
			if args[len(args)-1] == "twice" {
				args = args[:1]
				h.mustRun(exitOK, "", args...) // no session left: "nothing to do"
			}
			st := h.store()
			stale := filepath.Join(st.dir, st.key+tempInfix+"deadbeefdeadbeef")
			other := filepath.Join(st.dir, strings.Repeat("0", 32)+tempInfix+"deadbeefdeadbeef")
			for _, name := range []string{stale, other} {
				require.NoError(t, os.WriteFile(name, []byte(`{"refresh_token":"still valid"}`), 0o600))
			}
			h.mustRun(exitOK, "", args...)
			assert.NoFileExists(t, stale)
			assert.FileExists(t, other)
		})
	}
}
