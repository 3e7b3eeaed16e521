package cognito

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fileSession is a session for the FileStore tests, its tokens marked by
// tag and padded to size bytes each, so that a write takes a while.
func fileSession(tag string, size int) *Session {
	pad := func(s string) string {
		if len(s) < size {
			s += strings.Repeat("x", size-len(s))
		}
		return s
	}
	return &Session{
		AccessToken:  pad("access-" + tag),
		IDToken:      pad("id-" + tag),
		RefreshToken: pad("refresh-" + tag),
		Expiry:       time.Date(2031, 2, 3, 4, 5, 6, 789, time.UTC),
		Device:       &Device{Key: "us-east-1_key-" + tag, GroupKey: "group-" + tag, Password: "device-password-" + tag},
	}
}

// newFileStore is a FileStore for a file in a new directory under the
// test's temporary directory, not yet created.
func newFileStore(t *testing.T) *FileStore {
	t.Helper()
	return NewFileStore(filepath.Join(t.TempDir(), "sessions", "alice.json"))
}

// fileMode is the permission bits of path.
func fileMode(t *testing.T, path string) fs.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	require.NoError(t, err)
	return fi.Mode().Perm()
}

// dirNames lists the names in dir.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// symlink makes a symbolic link, or skips the test where this user
// cannot (Windows without the privilege).
func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		if runtime.GOOS == "windows" {
			t.Skipf("no symbolic links here: %v", err)
		}
		require.NoError(t, err)
	}
}

func TestFileStoreSaveLoad(t *testing.T) {
	t.Parallel()
	expiry := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name string
		s    *Session
	}{
		{"everything", fileSession("a", 0)},
		{"no device", &Session{AccessToken: "a", IDToken: "i", RefreshToken: "r", Expiry: expiry}},
		{"a refresh token alone", &Session{RefreshToken: "r"}},
		{"a device alone", &Session{Device: &Device{Key: "k", GroupKey: "g", Password: "p"}}},
		{"nothing", &Session{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFileStore(t)
			ctx := context.Background()
			require.NoError(t, f.Save(ctx, tt.s))
			got, err := f.Load(ctx)
			require.NoError(t, err)
			assert.Equal(t, tt.s, got)
			assert.NotSame(t, tt.s, got)
			if runtime.GOOS != "windows" {
				assert.Equal(t, fs.FileMode(0o700), fileMode(t, filepath.Dir(f.Path())), "directory created private")
				assert.Equal(t, fs.FileMode(0o600), fileMode(t, f.Path()))
			}
			assert.Equal(t, []string{"alice.json"}, dirNames(t, filepath.Dir(f.Path())), "no temporary file left")
		})
	}

	t.Run("expiry in another zone", func(t *testing.T) {
		t.Parallel()
		f := newFileStore(t)
		s := &Session{AccessToken: "a", Expiry: time.Now().In(time.FixedZone("UTC+3", 3*3600))}
		require.NoError(t, f.Save(context.Background(), s))
		got, err := f.Load(context.Background())
		require.NoError(t, err)
		assert.True(t, s.Expiry.Equal(got.Expiry), "%v, saved as %v", got.Expiry, s.Expiry)
	})
}

// TestFileStoreFormat: the file is Session's JSON with a version, empty
// tokens and a nil device left out.
func TestFileStoreFormat(t *testing.T) {
	t.Parallel()
	f := newFileStore(t)
	require.NoError(t, f.Save(context.Background(), fileSession("a", 0)))
	b, err := os.ReadFile(f.Path())
	require.NoError(t, err)
	assert.JSONEq(t, `{
		"version": 2,
		"access_token": "access-a",
		"id_token": "id-a",
		"refresh_token": "refresh-a",
		"expiry": "2031-02-03T04:05:06.000000789Z",
		"device": {"key": "us-east-1_key-a", "group_key": "group-a", "password": "device-password-a"}
	}`, string(b))

	require.NoError(t, f.Save(context.Background(), &Session{RefreshToken: "r"}))
	b, err = os.ReadFile(f.Path())
	require.NoError(t, err)
	assert.JSONEq(t, `{"version": 2, "refresh_token": "r"}`, string(b))

	// What a later version adds is ignored.
	require.NoError(t, os.WriteFile(f.Path(), []byte(`{"version": 2, "refresh_token": "r", "added": {"x": 1}}`), 0o600))
	got, err := f.Load(context.Background())
	require.NoError(t, err)
	assert.Equal(t, &Session{RefreshToken: "r"}, got)
}

func TestFileStoreNothingSaved(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFileStore(t)
	s, err := f.Load(ctx)
	require.NoError(t, err)
	assert.Nil(t, s, "no directory")
	assert.NoDirExists(t, filepath.Dir(f.Path()), "Load creates nothing")
	require.NoError(t, f.Save(ctx, nil), "nothing to remove")

	require.NoError(t, os.Mkdir(filepath.Dir(f.Path()), 0o700))
	s, err = f.Load(ctx)
	require.NoError(t, err)
	assert.Nil(t, s, "no file")
}

// TestFileStoreSaveNil: saving nil removes the file and its temporary
// files, and leaves the lock and other files alone.
func TestFileStoreSaveNil(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFileStore(t)
	dir := filepath.Dir(f.Path())
	require.NoError(t, f.Save(ctx, fileSession("a", 0)))
	unlock, err := f.Lock(ctx)
	require.NoError(t, err)
	unlock()
	for _, name := range []string{"alice.json.tmp-0123456789abcdef", "bob.json", "bob.json.tmp-0123456789abcdef"} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte("{}"), 0o600))
	}

	require.NoError(t, f.Save(ctx, nil))
	assert.ElementsMatch(t, []string{"alice.json.lock", "bob.json", "bob.json.tmp-0123456789abcdef"}, dirNames(t, dir))
	s, err := f.Load(ctx)
	require.NoError(t, err)
	assert.Nil(t, s)
}

// TestFileStoreUnusableFile: a file that is not a session gives an error
// wrapping ErrSessionFormat that says why, never what the file holds.
func TestFileStoreUnusableFile(t *testing.T) {
	t.Parallel()
	const secret = "eyJsecret.eyJtoken.sig"
	tests := []struct {
		name, content, why string
	}{
		{"empty", "", "not a JSON object"},
		{"not JSON", "{" + secret, "not a JSON object"},
		{"JSON null", "null", "not a JSON object"},
		{"an array", `["` + secret + `"]`, "not a JSON object"},
		{"two objects", `{"version":2}{"version":2}`, "not a JSON object"},
		{"version as a string", `{"version":"2"}`, "the version is not a number"},
		{"the CLI's format before", `{"version":1,"user_pool_id":"us-east-1_a","access_token":"` + secret + `","access_token_expiry":"2030-01-01T00:00:00Z"}`, "format version 1, where this package reads version 2"},
		{"a later version", `{"version":3}`, "format version 3, where this package reads version 2"},
		{"an empty token", `{"version":2,"access_token":"","expiry":"2030-01-01T00:00:00Z"}`, "access_token is not a non-empty string"},
		{"a null token", `{"version":2,"refresh_token":null}`, "refresh_token is not a non-empty string"},
		{"a token not a string", `{"version":2,"id_token":12,"expiry":"2030-01-01T00:00:00Z"}`, "id_token is not a non-empty string"},
		{"an expiry not a time", `{"version":2,"refresh_token":"r","expiry":"` + secret + `"}`, "expiry is not an RFC 3339 time"},
		{"an expiry as a number", `{"version":2,"refresh_token":"r","expiry":1893456000}`, "expiry is not an RFC 3339 time"},
		{"a token without an expiry", `{"version":2,"access_token":"` + secret + `"}`, "a token without an expiry"},
		{"a device not an object", `{"version":2,"device":"` + secret + `"}`, "device is not an object of strings"},
		{"a device without its password", `{"version":2,"device":{"key":"k","group_key":"g"}}`, "a device without its password"},
		{"a device without its key", `{"version":2,"device":{"group_key":"g","password":"` + secret + `"}}`, "a device without its key"},
		{"too large", `{"version":2,"refresh_token":"` + strings.Repeat("r", maxFileSize) + `"}`, "larger than 1048576 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFileStore(t)
			require.NoError(t, os.Mkdir(filepath.Dir(f.Path()), 0o700))
			require.NoError(t, os.WriteFile(f.Path(), []byte(tt.content), 0o600))
			s, err := f.Load(context.Background())
			assert.Nil(t, s)
			require.ErrorIs(t, err, ErrSessionFormat)
			assert.Equal(t, "cognito: the session file "+f.Path()+" is unusable: "+tt.why, err.Error())
			assert.NotContains(t, err.Error(), "secret")

			// Saving a session replaces it.
			require.NoError(t, f.Save(context.Background(), fileSession("a", 0)))
			s, err = f.Load(context.Background())
			require.NoError(t, err)
			assert.Equal(t, fileSession("a", 0), s)
		})
	}
}

// TestFileStoreSaveRefuses: Save refuses what Load would refuse, and
// leaves the file as it was.
func TestFileStoreSaveRefuses(t *testing.T) {
	t.Parallel()
	const secret = "eyJsecret.eyJtoken.sig"
	tests := []struct {
		name string
		s    *Session
		want string
	}{
		{"an access token without an expiry", &Session{AccessToken: secret, RefreshToken: "r"}, "a token without an expiry"},
		{"an ID token without an expiry", &Session{IDToken: secret}, "a token without an expiry"},
		{"a device without its key", &Session{RefreshToken: "r", Device: &Device{GroupKey: "g", Password: secret}}, "a device without its key"},
		{"a device without its group key", &Session{RefreshToken: "r", Device: &Device{Key: "k", Password: secret}}, "a device without its group key"},
		{"a device without its password", &Session{RefreshToken: secret, Device: &Device{Key: "k", GroupKey: "g"}}, "a device without its password"},
		{"an expiry JSON cannot hold", &Session{AccessToken: secret, Expiry: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}, "its expiry cannot be written"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFileStore(t)
			ctx := context.Background()
			require.NoError(t, f.Save(ctx, fileSession("a", 0)))
			err := f.Save(ctx, tt.s)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "cognito: not saving the session: "+tt.want)
			assert.NotContains(t, err.Error(), "secret")
			s, err := f.Load(ctx)
			require.NoError(t, err)
			assert.Equal(t, fileSession("a", 0), s, "the file is unchanged")
		})
	}
}

func TestNewFileStoreNamesNoFile(t *testing.T) {
	t.Parallel()
	for _, path := range []string{"", ".", "..", string(filepath.Separator), "a/.."} {
		f := NewFileStore(path)
		ctx := context.Background()
		_, err := f.Load(ctx)
		assert.ErrorContains(t, err, "names no file", "%q", path)
		assert.ErrorContains(t, f.Save(ctx, &Session{}), "names no file", "%q", path)
		_, err = f.Lock(ctx)
		assert.ErrorContains(t, err, "names no file", "%q", path)
	}
	assert.Equal(t, filepath.Join("a", "b.json"), NewFileStore("a//./b.json").Path())
}

// TestFileStoreSaveFailureLeavesNoTemp: when the rename fails, the
// temporary file is removed.
func TestFileStoreSaveFailureLeavesNoTemp(t *testing.T) {
	t.Parallel()
	f := newFileStore(t)
	require.NoError(t, os.MkdirAll(f.Path(), 0o700)) // a directory where the file should be
	err := f.Save(context.Background(), fileSession("a", 0))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "cognito: saving the session: ")
	assert.NotContains(t, err.Error(), "refresh-a")
	assert.Equal(t, []string{"alice.json"}, dirNames(t, filepath.Dir(f.Path())))
}

// TestFileStoreTempNeverFollowsLink: Save creates its temporary file with
// O_EXCL, so a link planted at the name it picks receives nothing; it
// picks another.
func TestFileStoreTempNeverFollowsLink(t *testing.T) {
	t.Parallel()
	f := newFileStore(t)
	dir := filepath.Dir(f.Path())
	require.NoError(t, os.Mkdir(dir, 0o700))
	f.rand = bytes.NewReader(append(bytes.Repeat([]byte{0}, 8), bytes.Repeat([]byte{1}, 8)...))
	victim := filepath.Join(t.TempDir(), "victim")
	require.NoError(t, os.WriteFile(victim, []byte("precious"), 0o600))
	symlink(t, victim, filepath.Join(dir, "alice.json.tmp-0000000000000000"))

	require.NoError(t, f.Save(context.Background(), fileSession("a", 0)))
	b, err := os.ReadFile(victim)
	require.NoError(t, err)
	assert.Equal(t, "precious", string(b))
	s, err := f.Load(context.Background())
	require.NoError(t, err)
	assert.Equal(t, fileSession("a", 0), s)
	assert.ElementsMatch(t, []string{"alice.json", "alice.json.tmp-0000000000000000"}, dirNames(t, dir), "the second name renamed into place")
}

// TestFileStoreSymlinks: a symbolic link where the session or its lock
// should be is never followed, whether it leads out of the directory or
// within it: Load and Lock refuse it, Save replaces it, and Save(nil)
// removes the link, not its target.
func TestFileStoreSymlinks(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, where := range []string{"outside", "inside"} {
		t.Run("session "+where, func(t *testing.T) {
			t.Parallel()
			f := newFileStore(t)
			require.NoError(t, f.Save(ctx, fileSession("planted", 0)))
			target := filepath.Join(t.TempDir(), "planted.json")
			if where == "inside" {
				target = filepath.Join(filepath.Dir(f.Path()), "planted.json")
			}
			require.NoError(t, os.Rename(f.Path(), target))
			planted, err := os.ReadFile(target)
			require.NoError(t, err)
			symlink(t, target, f.Path())

			s, err := f.Load(ctx)
			assert.Nil(t, s)
			require.Error(t, err)
			assert.NotErrorIs(t, err, ErrSessionFormat)
			assert.Equal(t, "cognito: reading the session: "+f.Path()+" is a symbolic link, not a file; links are never followed: remove it", err.Error())

			require.NoError(t, f.Save(ctx, fileSession("a", 0)))
			fi, err := os.Lstat(f.Path())
			require.NoError(t, err)
			assert.True(t, fi.Mode().IsRegular(), "the link is replaced by a file")
			after, err := os.ReadFile(target)
			require.NoError(t, err)
			assert.Equal(t, planted, after, "nothing is written through the link")

			require.NoError(t, os.Remove(f.Path()))
			symlink(t, target, f.Path())
			require.NoError(t, f.Save(ctx, nil))
			assert.NoFileExists(t, f.Path())
			assert.FileExists(t, target, "the link removed, not its target")
		})
	}

	t.Run("lock", func(t *testing.T) {
		t.Parallel()
		f := newFileStore(t)
		require.NoError(t, os.Mkdir(filepath.Dir(f.Path()), 0o700))
		outside := t.TempDir()
		missing, existing := filepath.Join(outside, "created"), filepath.Join(outside, "existing")
		require.NoError(t, os.WriteFile(existing, []byte("precious"), 0o600))
		lock := f.Path() + ".lock"
		for _, target := range []string{missing, existing} {
			require.NoError(t, os.RemoveAll(lock))
			symlink(t, target, lock)
			_, err := f.Lock(ctx)
			require.Error(t, err)
			assert.Equal(t, "cognito: locking the session: "+lock+" is a symbolic link, not a file; links are never followed: remove it", err.Error())
		}
		assert.NoFileExists(t, missing)
		b, err := os.ReadFile(existing)
		require.NoError(t, err)
		assert.Equal(t, "precious", string(b))
	})
}

// TestFileStoreReadersSeeWholeFiles: while goroutines save one session
// after another, large enough that a write takes many system calls,
// every Load finds one of them whole. At the end the file is one of them
// and no temporary file is left.
func TestFileStoreReadersSeeWholeFiles(t *testing.T) {
	t.Parallel()
	f := newFileStore(t)
	ctx := context.Background()
	const writers, saves, size = 4, 10, 64 << 10
	sessions := map[string]*Session{}
	for i := range writers {
		tag := strconv.Itoa(i)
		sessions["refresh-"+tag] = fileSession(tag, size)
	}
	require.NoError(t, f.Save(ctx, sessions["refresh-0"]))

	var wg sync.WaitGroup
	done := make(chan struct{})
	var loads int
	var loadErr error
	wg.Go(func() {
		for {
			select {
			case <-done:
				return
			default:
			}
			s, err := f.Load(ctx)
			if err == nil && (s == nil || !assert.ObjectsAreEqual(sessions[s.RefreshToken[:len("refresh-0")]], s)) {
				err = errors.New("a session that was never saved")
			}
			if err != nil {
				loadErr = err
				return
			}
			loads++
		}
	})
	var writersWG sync.WaitGroup
	errs := make(chan error, writers*saves)
	for i := range writers {
		writersWG.Go(func() {
			for range saves {
				errs <- f.Save(ctx, fileSession(strconv.Itoa(i), size))
			}
		})
	}
	writersWG.Wait()
	close(done)
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	require.NoError(t, loadErr)
	assert.Positive(t, loads)
	s, err := f.Load(ctx)
	require.NoError(t, err)
	assert.Contains(t, sessions, s.RefreshToken[:len("refresh-0")])
	assert.Equal(t, []string{"alice.json"}, dirNames(t, filepath.Dir(f.Path())))
}

// TestFileStoreLockExcludes: while one holds the lock, no other goroutine
// gets it: read-modify-write cycles under the lock lose no update.
func TestFileStoreLockExcludes(t *testing.T) {
	t.Parallel()
	f := newFileStore(t)
	const goroutines, increments = 8, 10
	var wg sync.WaitGroup
	errs := make(chan error, goroutines)
	for range goroutines {
		wg.Go(func() { errs <- increment(f, increments) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	assert.Equal(t, goroutines*increments, count(t, f))
}

// TestFileStoreLockBetweenProcesses: the lock excludes other processes:
// read-modify-write cycles from two processes and this one lose no
// update; a process holding the lock keeps out this one until it
// unlocks, or until it dies without unlocking (Unix).
func TestFileStoreLockBetweenProcesses(t *testing.T) {
	t.Parallel()
	f := newFileStore(t)
	const increments = 20

	t.Run("counting", func(t *testing.T) {
		var wg sync.WaitGroup
		outputs := make([][]byte, 2)
		errs := make([]error, 2)
		for i := range 2 {
			wg.Go(func() {
				outputs[i], errs[i] = helperProcess(f, "count", increments, "").CombinedOutput()
			})
		}
		require.NoError(t, increment(f, increments))
		wg.Wait()
		for i := range 2 {
			require.NoError(t, errs[i], "helper output: %s", outputs[i])
		}
		assert.Equal(t, 3*increments, count(t, f))
	})

	t.Run("held", func(t *testing.T) {
		for _, release := range []string{"unlock", "die"} {
			if release == "die" && runtime.GOOS == "windows" {
				continue // the lock file stays until it is stale
			}
			cmd := helperProcess(f, "hold", 0, "")
			stdin, err := cmd.StdinPipe()
			require.NoError(t, err)
			stdout, err := cmd.StdoutPipe()
			require.NoError(t, err)
			require.NoError(t, cmd.Start())
			lines := bufio.NewScanner(stdout)
			require.True(t, lines.Scan(), "the helper takes the lock")
			require.Equal(t, "locked", lines.Text())

			short, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
			_, err = f.Lock(short)
			cancel()
			require.ErrorIs(t, err, context.DeadlineExceeded, "the helper holds it")

			got := make(chan error, 1)
			go func() {
				unlock, err := f.Lock(context.Background())
				if err == nil {
					unlock()
				}
				got <- err
			}()
			if release == "unlock" {
				require.NoError(t, stdin.Close())
				require.True(t, lines.Scan())
				require.Equal(t, "unlocked", lines.Text())
			} else {
				require.NoError(t, cmd.Process.Kill())
			}
			select {
			case err := <-got:
				require.NoError(t, err)
			case <-time.After(30 * time.Second):
				t.Fatalf("the lock was not released when the helper's was (%s)", release)
			}
			_ = cmd.Wait()
		}
	})
}

// TestFileStoreSavesFromProcesses: two processes and this one saving at
// once leave one whole session, while every Load here finds a whole one.
func TestFileStoreSavesFromProcesses(t *testing.T) {
	t.Parallel()
	f := newFileStore(t)
	ctx := context.Background()
	const saves = 20
	var wg sync.WaitGroup
	outputs := make([][]byte, 2)
	errs := make([]error, 2)
	for i := range 2 {
		wg.Go(func() {
			outputs[i], errs[i] = helperProcess(f, "save", saves, "p"+strconv.Itoa(i)).CombinedOutput()
		})
	}
	for range saves {
		require.NoError(t, f.Save(ctx, fileSession("here", helperSize)))
		s, err := f.Load(ctx)
		require.NoError(t, err)
		assert.Contains(t, []string{"here", "p0", "p1"}, sessionTag(s))
	}
	wg.Wait()
	for i := range 2 {
		require.NoError(t, errs[i], "helper output: %s", outputs[i])
	}
	s, err := f.Load(ctx)
	require.NoError(t, err)
	tag := sessionTag(s)
	assert.Contains(t, []string{"here", "p0", "p1"}, tag)
	assert.Equal(t, fileSession(tag, helperSize), s)
	assert.Equal(t, []string{"alice.json"}, dirNames(t, filepath.Dir(f.Path())))
}

// sessionTag is the tag fileSession marked s with.
func sessionTag(s *Session) string {
	if s == nil {
		return ""
	}
	tag, _, _ := strings.Cut(strings.TrimPrefix(s.RefreshToken, "refresh-"), "x")
	return tag
}

// TestFileStoreLockContext: a Lock waiting for another holder gives up
// when its context ends, and leaves the lock free to take once released.
func TestFileStoreLockContext(t *testing.T) {
	t.Parallel()
	f := newFileStore(t)
	unlock, err := f.Lock(context.Background())
	require.NoError(t, err)

	ctx, cancel := context.WithCancel(context.Background())
	got := make(chan error, 1)
	go func() {
		_, err := f.Lock(ctx)
		got <- err
	}()
	cancel()
	select {
	case err = <-got:
	case <-time.After(30 * time.Second):
		t.Fatal("Lock kept waiting after its context was cancelled")
	}
	require.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, "cognito: waiting for the lock "+f.Path()+".lock: context canceled", err.Error())

	short, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err = f.Lock(short)
	require.ErrorIs(t, err, context.DeadlineExceeded)

	unlock()
	unlock, err = f.Lock(context.Background())
	require.NoError(t, err, "the waiters that gave up hold nothing")
	unlock()
}

// TestFileStoreLockRemovesStaleTemps: Lock removes the temporary files a
// Save cut short left, over a minute old, and no younger one, which may
// be a Save in progress, nor those of other files.
func TestFileStoreLockRemovesStaleTemps(t *testing.T) {
	t.Parallel()
	f := newFileStore(t)
	dir := filepath.Dir(f.Path())
	require.NoError(t, f.Save(context.Background(), fileSession("a", 0)))
	old := time.Now().Add(-2 * staleTemp)
	for _, name := range []string{"alice.json.tmp-00000000000000aa", "alice.json.tmp-00000000000000bb", "bob.json.tmp-00000000000000aa"} {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(`{"refresh_token":"still valid"}`), 0o600))
		if name != "alice.json.tmp-00000000000000bb" {
			require.NoError(t, os.Chtimes(p, old, old))
		}
	}
	unlock, err := f.Lock(context.Background())
	require.NoError(t, err)
	unlock()
	assert.ElementsMatch(t, []string{"alice.json", "alice.json.lock", "alice.json.tmp-00000000000000bb", "bob.json.tmp-00000000000000aa"}, dirNames(t, dir))
}

// increment adds one, n times, to the count kept in f's refresh token,
// each time under the lock.
func increment(f *FileStore, n int) error {
	ctx := context.Background()
	for range n {
		if err := func() error {
			wait, cancel := context.WithTimeout(ctx, time.Minute)
			defer cancel()
			unlock, err := f.Lock(wait)
			if err != nil {
				return err
			}
			defer unlock()
			s, err := f.Load(ctx)
			if err != nil {
				return err
			}
			c := 0
			if s != nil {
				if c, err = strconv.Atoi(strings.TrimPrefix(s.RefreshToken, "count-")); err != nil {
					return err
				}
			}
			return f.Save(ctx, &Session{RefreshToken: fmt.Sprintf("count-%d", c+1)})
		}(); err != nil {
			return err
		}
	}
	return nil
}

// count is the count increment kept in f.
func count(t *testing.T, f *FileStore) int {
	t.Helper()
	s, err := f.Load(context.Background())
	require.NoError(t, err)
	require.NotNil(t, s)
	n, err := strconv.Atoi(strings.TrimPrefix(s.RefreshToken, "count-"))
	require.NoError(t, err)
	return n
}

// helperSize is the size of the tokens the save helper writes.
const helperSize = 64 << 10

// The helper process's environment: what it does, on which file, how
// many times, and its tag.
const (
	envHelper      = "COGNITO_FILESTORE_HELPER"
	envHelperPath  = "COGNITO_FILESTORE_PATH"
	envHelperTimes = "COGNITO_FILESTORE_TIMES"
	envHelperTag   = "COGNITO_FILESTORE_TAG"
)

// helperProcess is this test binary run as TestFileStoreHelperProcess, to
// do what (count, hold or save) with f n times, saving sessions tagged
// tag.
func helperProcess(f *FileStore, what string, n int, tag string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^TestFileStoreHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(),
		envHelper+"="+what, envHelperPath+"="+f.Path(), envHelperTimes+"="+strconv.Itoa(n), envHelperTag+"="+tag)
	return cmd
}

// TestFileStoreHelperProcess is not a test: it is the second process of
// the tests above, and does nothing unless one of them started it.
//
//	count: increment n times
//	hold:  take the lock, print "locked", wait for stdin to close,
//	       unlock and print "unlocked"
//	save:  save n sessions tagged $COGNITO_FILESTORE_TAG
func TestFileStoreHelperProcess(t *testing.T) {
	what := os.Getenv(envHelper)
	if what == "" {
		return
	}
	f := NewFileStore(os.Getenv(envHelperPath))
	n, err := strconv.Atoi(os.Getenv(envHelperTimes))
	if err == nil {
		switch what {
		case "count":
			err = increment(f, n)
		case "save":
			for range n {
				if err = f.Save(context.Background(), fileSession(os.Getenv(envHelperTag), helperSize)); err != nil {
					break
				}
			}
		case "hold":
			var unlock func()
			if unlock, err = f.Lock(context.Background()); err == nil {
				fmt.Println("locked")
				_, _ = bufio.NewReader(os.Stdin).ReadString('\n') // until stdin closes
				unlock()
				fmt.Println("unlocked")
			}
		default:
			err = fmt.Errorf("unknown helper %q", what)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(0)
}

// TestFileStoreErrorsKeepSecrets: no error of Load, Save or Lock carries
// a token or the device password, whatever the file holds.
func TestFileStoreErrorsKeepSecrets(t *testing.T) {
	t.Parallel()
	f := newFileStore(t)
	ctx := context.Background()
	s := fileSession("a", 0)
	require.NoError(t, f.Save(ctx, s))
	b, err := os.ReadFile(f.Path())
	require.NoError(t, err)
	for _, cut := range []int{1, len(b) / 3, len(b) / 2, len(b) - 3} {
		require.NoError(t, os.WriteFile(f.Path(), b[:cut], 0o600)) // a file cut short
		_, err := f.Load(ctx)
		require.ErrorIs(t, err, ErrSessionFormat)
		for _, secret := range []string{s.AccessToken, s.IDToken, s.RefreshToken, s.Device.Password} {
			assert.NotContains(t, err.Error(), secret)
		}
	}
}

// TestFileStoreReadsPlainSession: a file holding a Session as
// encoding/json writes it (no version) is read.
func TestFileStoreReadsPlainSession(t *testing.T) {
	t.Parallel()
	want := &Session{AccessToken: "a", IDToken: "i", RefreshToken: "r", Expiry: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC),
		Device: &Device{Key: "k", GroupKey: "g", Password: "p"}}
	b, err := json.Marshal(want)
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "session.json")
	require.NoError(t, os.WriteFile(path, b, 0o600))
	got, err := NewFileStore(path).Load(context.Background())
	require.NoError(t, err)
	require.NotNil(t, got)
	assert.Equal(t, want.AccessToken, got.AccessToken)
	assert.Equal(t, want.RefreshToken, got.RefreshToken)
	assert.True(t, want.Expiry.Equal(got.Expiry))
	assert.Equal(t, want.Device, got.Device)
}
