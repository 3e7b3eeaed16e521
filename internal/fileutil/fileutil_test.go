package fileutil

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestOpenDir(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "a", "b")
	_, err := OpenDir(dir, false, false)
	require.ErrorIs(t, err, fs.ErrNotExist, "not created")
	assert.NoDirExists(t, dir)

	root, err := OpenDir(dir, true, false)
	require.NoError(t, err)
	root.Close()
	if runtime.GOOS == "windows" {
		return
	}
	fi, err := os.Stat(dir)
	require.NoError(t, err)
	assert.Equal(t, fs.FileMode(0o700), fi.Mode().Perm(), "created private")

	// A directory only its owner can write to is accepted as it is, and
	// made private only when asked.
	require.NoError(t, os.Chmod(dir, 0o755))
	for _, secure := range []bool{false, true} {
		root, err := OpenDir(dir, true, secure)
		require.NoError(t, err)
		root.Close()
		fi, err := os.Stat(dir)
		require.NoError(t, err)
		assert.Equal(t, map[bool]fs.FileMode{false: 0o755, true: 0o700}[secure], fi.Mode().Perm())
	}

	// One others can write to is refused, unless made private.
	require.NoError(t, os.Chmod(dir, 0o775))
	_, err = OpenDir(dir, true, false)
	var unsafe *UnsafeDirError
	require.ErrorAs(t, err, &unsafe)
	assert.False(t, unsafe.Foreign())
	assert.Equal(t, "refusing the directory "+dir+": other users can write to it (mode 0775)", err.Error())
	root, err = OpenDir(dir, true, true)
	require.NoError(t, err)
	root.Close()
}

func TestUnsafeDirErrorForeign(t *testing.T) {
	t.Parallel()
	err := &UnsafeDirError{Dir: "/d", Owner: 0, User: 1000, Mode: 0o700}
	assert.True(t, err.Foreign())
	assert.Equal(t, "refusing the directory /d: it belongs to user 0, not to you (1000)", err.Error())
}

func TestReadFileLimit(t *testing.T) {
	t.Parallel()
	root, err := OpenDir(t.TempDir(), false, false)
	require.NoError(t, err)
	defer root.Close()
	require.NoError(t, WriteFile(root, "f", []byte("12345"), nil))
	b, err := ReadFile(root, "f", 5)
	require.NoError(t, err)
	assert.Equal(t, "12345", string(b))
	_, err = ReadFile(root, "f", 4)
	require.ErrorIs(t, err, ErrTooLarge)
	assert.Equal(t, filepath.Join(root.Name(), "f")+": file too large (over 4 bytes)", err.Error())
	_, err = ReadFile(root, "missing", 4)
	require.ErrorIs(t, err, fs.ErrNotExist)
	assert.Contains(t, err.Error(), filepath.Join(root.Name(), "missing"), "the full path")
}

func TestWriteFileNames(t *testing.T) {
	t.Parallel()
	root, err := OpenDir(t.TempDir(), false, false)
	require.NoError(t, err)
	defer root.Close()
	// Every name drawn is taken: no temporary file can be created.
	random := bytes.NewReader(bytes.Repeat([]byte{7}, 8*16))
	require.NoError(t, os.WriteFile(filepath.Join(root.Name(), TempPrefix("f")+"0707070707070707"), nil, 0o600))
	err = WriteFile(root, "f", []byte("x"), random)
	assert.EqualError(t, err, "no free name for a temporary file of "+filepath.Join(root.Name(), "f"))
	_, err = os.Stat(filepath.Join(root.Name(), "f"))
	assert.True(t, errors.Is(err, fs.ErrNotExist))

	// The random source failing is an error too.
	err = WriteFile(root, "f", []byte("x"), bytes.NewReader(nil))
	assert.ErrorContains(t, err, "naming a temporary file: EOF")
}
