//go:build unix

package cognito

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestFileStoreDirRefused: a directory that another user owns or can
// write to is refused by Load, Save and Lock, before anything is read or
// written there.
func TestFileStoreDirRefused(t *testing.T) {
	t.Parallel()
	withMode := func(mode os.FileMode) func(t *testing.T) string {
		return func(t *testing.T) string {
			dir := filepath.Join(t.TempDir(), "sessions")
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
		{"group-writable", withMode(0o770), "other users can write to it (mode 0770)"},
		{"sticky and world-writable, as /tmp", withMode(0o777 | os.ModeSticky), "other users can write to it (mode 0777)"},
		{"a link to a world-writable directory", func(t *testing.T) string {
			link := filepath.Join(t.TempDir(), "link")
			require.NoError(t, os.Symlink(withMode(0o777)(t), link))
			return link
		}, "other users can write to it"},
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
			dir := tt.dir(t)
			f := NewFileStore(filepath.Join(dir, "alice.json"))
			planted := filepath.Join(dir, "alice.json")
			if dir != "/" {
				require.NoError(t, os.WriteFile(planted, []byte(`{"version":2,"refresh_token":"planted"}`), 0o600))
			}
			before, err := os.ReadDir(dir)
			require.NoError(t, err)
			ctx := context.Background()
			_, loadErr := f.Load(ctx)
			_, lockErr := f.Lock(ctx)
			for _, err := range []error{loadErr, lockErr, f.Save(ctx, fileSession("a", 0)), f.Save(ctx, nil)} {
				require.Error(t, err)
				assert.Contains(t, err.Error(), "cognito: refusing the directory "+dir+": ")
				assert.Contains(t, err.Error(), tt.want)
			}
			after, err := os.ReadDir(dir)
			require.NoError(t, err)
			assert.Equal(t, before, after, "nothing written or removed")
		})
	}
}

// TestFileStoreSpecialFiles: a FIFO where the session or its lock should
// be is refused, not opened (opening a FIFO waits for a writer for ever).
func TestFileStoreSpecialFiles(t *testing.T) {
	t.Parallel()
	for _, suffix := range []string{"", ".lock"} {
		t.Run("file"+suffix, func(t *testing.T) {
			t.Parallel()
			f := newFileStore(t)
			require.NoError(t, os.Mkdir(filepath.Dir(f.Path()), 0o700))
			require.NoError(t, syscall.Mkfifo(f.Path()+suffix, 0o600))
			var err error
			if suffix == "" {
				_, err = f.Load(context.Background())
			} else {
				_, err = f.Lock(context.Background())
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), f.Path()+suffix+" is a special file, not a file")
		})
	}
}
