package main

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
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
		{poolID: "us-east-1_a", clientID: "c", username: "../../etc/passwd"},
		{poolID: "../x_y", clientID: "/abs", username: `..\..\x`},
	} {
		st, err := c.openStore(&o)
		require.NoError(t, err)
		assert.Equal(t, dir, filepath.Dir(st.path()), "no way out of the cache directory")
		assert.Regexp(t, regexp.MustCompile(`^[0-9a-f]{32}\.json$`), filepath.Base(st.path()))
		assert.False(t, seen[st.path()], "one file per pool, client and user: %+v", o)
		seen[st.path()] = true
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
	st := &store{dir: dir, key: "k"}
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
	st := &store{dir: filepath.Join(t.TempDir(), "cache"), key: "k"}
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
