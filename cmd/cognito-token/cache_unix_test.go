//go:build unix

package main

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCacheDirRefused: a cache directory that another user owns or can
// write to is refused before anything is read, written or sent. The
// library's FileStore tests go through every kind of unsafe directory;
// here one of each is enough to show the CLI stops at the check.
func TestCacheDirRefused(t *testing.T) {
	t.Parallel()
	withMode := func(mode os.FileMode) func(t *testing.T) string {
		return func(t *testing.T) string {
			dir := filepath.Join(t.TempDir(), "cache")
			require.NoError(t, os.Mkdir(dir, 0o700))
			require.NoError(t, os.Chmod(dir, mode))
			return dir
		}
	}
	tests := []struct {
		name string
		dir  func(t *testing.T) string
		want string
	}{
		{"world-writable", withMode(0o777), "other users can write to it (mode 0777); run 'chmod go-w "},
		{"another user's", func(t *testing.T) string {
			if os.Geteuid() != 0 {
				return "/" // root's
			}
			dir := withMode(0o700)(t)
			require.NoError(t, os.Chown(dir, 65534, 65534))
			return dir
		}, "it belongs to user"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := newPool(t)
			h := p.harness(t)
			dir := tt.dir(t)
			h.env[envCacheDir] = dir
			before, err := os.ReadDir(dir)
			require.NoError(t, err)
			for _, args := range [][]string{{"login", "--password-stdin"}, {"token"}, {"logout"}} {
				r := h.mustRun(exitFailure, p.password+"\n", args...)
				assert.Contains(t, r.stderr, "refusing the cache directory "+dir)
				assert.Contains(t, r.stderr, tt.want)
				assert.Contains(t, r.stderr, "$COGNITO_TOKEN_CACHE_DIR")
			}
			assert.Zero(t, p.srv.Calls("InitiateAuth"), "refused before signing in")
			after, err := os.ReadDir(dir)
			require.NoError(t, err)
			assert.Equal(t, before, after, "nothing written")
		})
	}
}

// TestSpecialFiles: a FIFO where the session or its lock should be is
// refused, not opened (opening a FIFO waits for a writer for ever).
func TestSpecialFiles(t *testing.T) {
	t.Parallel()
	p := newPool(t)
	for _, suffix := range []string{"", ".lock"} {
		t.Run("file"+suffix, func(t *testing.T) {
			t.Parallel()
			h := p.harness(t)
			h.mustRun(exitOK, p.password+"\n", "login", "--password-stdin")
			st := h.store()
			name := st.path() + suffix
			require.NoError(t, os.Remove(name))
			require.NoError(t, syscall.Mkfifo(name, 0o600))
			r := h.mustRun(exitFailure, "", "token")
			assert.Contains(t, r.stderr, name+" is a special file, not a file")
		})
	}
}
