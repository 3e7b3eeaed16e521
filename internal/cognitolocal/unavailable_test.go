package cognitolocal

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"
)

// recordingTB captures Skipf and Fatalf, which end the calling goroutine as
// the real ones do.
type recordingTB struct {
	testing.TB
	skipped, failed string
}

func (r *recordingTB) Helper() {}

func (r *recordingTB) Skipf(format string, args ...any) {
	r.skipped = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func (r *recordingTB) Fatalf(format string, args ...any) {
	r.failed = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func runRecorded(t *testing.T, fn func(testing.TB)) *recordingTB {
	rec := &recordingTB{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(rec)
	}()
	<-done
	return rec
}

// Not parallel: it sets environment variables.
func TestStartWithoutEmulator(t *testing.T) {
	emptyRoot := t.TempDir()
	start := func(tb testing.TB) { startIn(tb, emptyRoot) }

	t.Run("skips outside CI", func(t *testing.T) {
		t.Setenv("CI", "")
		rec := runRecorded(t, start)
		require.Empty(t, rec.failed)
		require.Contains(t, rec.skipped, "npm ci --prefix interop")
	})
	t.Run("fails under CI", func(t *testing.T) {
		t.Setenv("CI", "true")
		rec := runRecorded(t, start)
		require.Empty(t, rec.skipped)
		require.Contains(t, rec.failed, "npm ci --prefix interop")
	})
	t.Run("no node", func(t *testing.T) {
		t.Setenv("CI", "")
		t.Setenv("PATH", t.TempDir())
		rec := runRecorded(t, start)
		require.Contains(t, rec.skipped, "node not found")
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
