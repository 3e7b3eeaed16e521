package cognitolocal

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/seed-e8acf5fd/cognito/internal/testproc"
)

// Not parallel: it sets environment variables.
func TestStartWithoutEmulator(t *testing.T) {
	emptyRoot := t.TempDir()
	start := func(tb testing.TB) { startIn(tb, emptyRoot) }

	t.Run("skips outside CI", func(t *testing.T) {
		t.Setenv("CI", "")
		skipped, failed := testproc.RecordEnd(t, start)
		require.Empty(t, failed)
		require.Contains(t, skipped, "npm ci --prefix interop")
	})
	t.Run("fails under CI", func(t *testing.T) {
		t.Setenv("CI", "true")
		skipped, failed := testproc.RecordEnd(t, start)
		require.Empty(t, skipped)
		require.Contains(t, failed, "npm ci --prefix interop")
	})
	t.Run("no node", func(t *testing.T) {
		t.Setenv("CI", "")
		t.Setenv("PATH", t.TempDir())
		skipped, _ := testproc.RecordEnd(t, start)
		require.Contains(t, skipped, "node not found")
	})
}

func TestModuleRoot(t *testing.T) {
	t.Parallel()
	root, err := moduleRoot()
	require.NoError(t, err)
	_, err = os.Stat(filepath.Join(root, "go.mod"))
	require.NoError(t, err)
	_, err = os.Stat(filepath.Join(root, "interop", "package.json"))
	require.NoError(t, err)
}
