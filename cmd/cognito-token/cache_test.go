package main

import (
	"context"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-e8acf5fd/cognito"
)

// TestCacheFiles: the cache file is a cognito.FileStore's, private to
// the user, with the tokens, their expiry and nothing else.
func TestCacheFiles(t *testing.T) {
	t.Parallel()
	p := newPool(t)
	h := p.harness(t)
	before := time.Now()
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
	var fields map[string]any
	require.NoError(t, json.Unmarshal(b, &fields))
	assert.ElementsMatch(t, []string{"version", "access_token", "id_token", "refresh_token", "expiry"}, slices.Collect(maps.Keys(fields)))
	assert.Equal(t, 2.0, fields["version"])

	ses := h.session()
	saved, err := cognito.NewFileStore(st.path()).Load(context.Background())
	require.NoError(t, err, "a program using the library reads the cache")
	sameSession(t, &ses.Session, saved)
	assert.Nil(t, ses.Device, "the pool tracks no devices")
	assert.Equal(t, "access", p.claims(t, ses.AccessToken)["token_use"])
	assert.Equal(t, "id", p.claims(t, ses.IDToken)["token_use"])
	assert.NotEmpty(t, ses.RefreshToken)
	assert.WithinRange(t, ses.Obtained, before.Add(-time.Second), time.Now())
	assert.WithinDuration(t, ses.Obtained.Add(time.Hour), ses.Expiry, time.Second)
	assert.WithinDuration(t, ses.Expiry, ses.IDExpiry, time.Second)
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

// writeV1 writes ses to path as cognito-token cached sessions before its
// cache was a cognito.FileStore (format version 1), for o; without
// endpoint, as versions before that wrote them, with no endpoint field.
func writeV1(t *testing.T, path string, o *options, ses *session, endpoint bool) {
	t.Helper()
	v1 := map[string]any{
		"version":             1,
		"user_pool_id":        o.poolID,
		"client_id":           o.clientID,
		"username":            o.username,
		"token_type":          "Bearer",
		"access_token":        ses.AccessToken,
		"access_token_expiry": ses.Expiry,
		"id_token":            ses.IDToken,
		"id_token_expiry":     ses.IDExpiry,
		"refresh_token":       ses.RefreshToken,
		"obtained":            ses.Obtained,
	}
	if endpoint && o.endpoint != "" {
		v1["endpoint"] = o.endpoint
	}
	b, err := json.MarshalIndent(v1, "", "  ")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, b, 0o600))
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
			writeV1(t, legacy, h.options(), ses, false)
			require.NoError(t, os.Remove(st.path()))
			stale := filepath.Join(st.dir, legacyKey(h.options())+sessionSuffix+".tmp-0123456789abcdef")
			require.NoError(t, os.WriteFile(stale, []byte("{}"), 0o600))

			if !tt.migrated {
				r := h.mustRun(exitFailure, "", "token")
				assert.Contains(t, r.stderr, "no session is cached")
				assert.FileExists(t, legacy, "left alone")
				assert.NoFileExists(t, st.path())
				assert.NoFileExists(t, stale, "a temporary file of an earlier version is removed all the same")
				return
			}
			r := h.mustRun(exitOK, "", "token")
			assert.Equal(t, ses.AccessToken+"\n", r.stdout)
			assert.NoFileExists(t, legacy)
			assert.NoFileExists(t, stale)
			saved, err := cognito.NewFileStore(st.path()).Load(context.Background())
			require.NoError(t, err, "saved under the current name, in the current format")
			sameSession(t, &ses.Session, saved)
			r = h.mustRun(exitOK, "", "token", "--id")
			assert.Equal(t, ses.IDToken+"\n", r.stdout)
		})
	}
}

// TestVersion1CacheUpgraded: a session that cognito-token cached under
// the current name before its cache was a FileStore is taken over if it
// is the user's, and saved in the new format, its expiries then worked
// out from the tokens.
func TestVersion1CacheUpgraded(t *testing.T) {
	t.Parallel()
	p := newPool(t)
	h := p.harness(t)
	h.mustRun(exitOK, p.password+"\n", "login", "--password-stdin")
	ses := h.session()
	st := h.store()

	other := *h.options()
	other.username = "mallory@example.com"
	writeV1(t, st.path(), &other, ses, true)
	r := h.mustRun(exitFailure, "", "token")
	assert.Contains(t, r.stderr, "the cached session in "+st.path()+" is corrupt or from another version")
	b, err := os.ReadFile(st.path())
	require.NoError(t, err)
	assert.Contains(t, string(b), `"version": 1`, "left as it is")

	writeV1(t, st.path(), h.options(), ses, true)
	calls := p.srv.Calls("GetTokensFromRefreshToken")
	r = h.mustRun(exitOK, "", "token")
	assert.Equal(t, ses.AccessToken+"\n", r.stdout)
	assert.Equal(t, calls, p.srv.Calls("GetTokensFromRefreshToken"), "still valid: no renewal")
	saved, err := cognito.NewFileStore(st.path()).Load(context.Background())
	require.NoError(t, err)
	sameSession(t, &ses.Session, saved)
	again := h.session()
	sameSession(t, &ses.Session, &again.Session)
	assert.True(t, ses.IDExpiry.Equal(again.IDExpiry))
	assert.True(t, ses.Obtained.Equal(again.Obtained))
}

// sameSession asserts that got is want, the expiries the same instant.
func sameSession(t *testing.T, want, got *cognito.Session) {
	t.Helper()
	if !assert.NotNil(t, got) {
		return
	}
	assert.True(t, want.Expiry.Equal(got.Expiry), "expiry %v, want %v", got.Expiry, want.Expiry)
	w, g := *want, *got
	w.Expiry, g.Expiry = time.Time{}, time.Time{}
	assert.Equal(t, w, g)
}

func TestCorruptCache(t *testing.T) {
	t.Parallel()
	p := newPool(t)
	tests := []struct {
		name  string
		write func(h *harness, st *store)
	}{
		{"not JSON", content("{not json")},
		{"empty", content("")},
		{"no tokens", content(`{"version":2}`)},
		{"no refresh token", content(`{"version":2,"access_token":"a","expiry":"2030-01-01T00:00:00Z"}`)},
		{"another version", content(`{"version":99,"access_token":"a"}`)},
		{"another pool's", func(h *harness, _ *store) {
			h.plant(time.Now().Add(time.Hour), map[string]any{"iss": p.srv.URL + "/us-east-1_Other"})
		}},
		{"another app client's", func(h *harness, _ *store) {
			h.plant(time.Now().Add(time.Hour), map[string]any{"client_id": "other-client", "aud": "other-client"})
		}},
		{"another user's, version 1", func(h *harness, st *store) {
			o := *h.options()
			o.username = "mallory@example.com"
			writeV1(h.t, st.path(), &o, h.session(), true)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := p.harness(t)
			h.mustRun(exitOK, p.password+"\n", "login", "--password-stdin")
			st := h.store()
			tt.write(h, st)

			r := h.mustRun(exitFailure, "", "token")
			assert.Empty(t, r.stdout)
			assert.Contains(t, r.stderr, "the cached session in "+st.path()+" is corrupt or from another version")
			assert.Contains(t, r.stderr, "run 'cognito-token login'")

			r = h.mustRun(exitFailure, "", "logout")
			assert.Contains(t, r.stderr, "without revoking")
			assert.NoFileExists(t, st.path())

			h.mustRun(exitOK, p.password+"\n", "login", "--password-stdin")
			h.mustRun(exitOK, "", "token")
		})
	}
}

// content writes s as the cache file.
func content(s string) func(h *harness, st *store) {
	return func(h *harness, st *store) {
		require.NoError(h.t, os.WriteFile(st.path(), []byte(s), 0o600))
	}
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
	lock := st.path() + ".lock"
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
			stale := st.path() + ".tmp-deadbeefdeadbeef"
			legacy := filepath.Join(st.dir, legacyKey(h.options())+sessionSuffix+".tmp-deadbeefdeadbeef")
			other := filepath.Join(st.dir, strings.Repeat("0", 32)+sessionSuffix+".tmp-deadbeefdeadbeef")
			long := time.Now().Add(-time.Hour) // a save in progress takes less
			for _, name := range []string{stale, legacy, other} {
				require.NoError(t, os.WriteFile(name, []byte(`{"refresh_token":"still valid"}`), 0o600))
				require.NoError(t, os.Chtimes(name, long, long))
			}
			h.mustRun(exitOK, "", args...)
			assert.NoFileExists(t, stale)
			assert.NoFileExists(t, legacy)
			assert.FileExists(t, other)
		})
	}
}

// testDevice is a device as a pool that tracks devices hands out.
func testDevice() *cognito.Device {
	return &cognito.Device{Key: "us-east-1_0a1b2c3d-device", GroupKey: "-group", Password: "device-password-0123456789"}
}

// TestCachedDevice: the device a session is remembered with stays in the
// cache through a renewal and through a new login, which proves it, and
// its password never reaches stderr.
func TestCachedDevice(t *testing.T) {
	t.Parallel()
	p := newPool(t)
	h := p.harness(t)
	h.mustRun(exitOK, p.password+"\n", "login", "--password-stdin")
	ses := h.session()
	ses.Device = testDevice()
	h.save(ses)
	h.secret(ses.Device.Password)

	h.expire()
	calls := p.srv.Calls("GetTokensFromRefreshToken")
	r := h.mustRun(exitOK, "", "token")
	assert.Equal(t, calls+1, p.srv.Calls("GetTokensFromRefreshToken"))
	renewed := h.session()
	assert.Equal(t, renewed.AccessToken+"\n", r.stdout)
	assert.NotEqual(t, ses.AccessToken, renewed.AccessToken)
	assert.Equal(t, testDevice(), renewed.Device, "kept through the renewal")

	h.mustRun(exitOK, p.password+"\n", "login", "--password-stdin")
	again := h.session()
	assert.NotEqual(t, renewed.RefreshToken, again.RefreshToken, "a new sign-in")
	assert.Equal(t, testDevice(), again.Device, "kept through the sign-in that proved it")

	b, err := os.ReadFile(h.store().path())
	require.NoError(t, err)
	var fields struct {
		Device map[string]string `json:"device"`
	}
	require.NoError(t, json.Unmarshal(b, &fields))
	assert.Equal(t, map[string]string{"key": testDevice().Key, "group_key": testDevice().GroupKey, "password": testDevice().Password}, fields.Device)

	h.mustRun(exitOK, "", "logout")
	assert.NoFileExists(t, h.store().path())
}

// TestCachedDeviceSent: renewals and sign-ins name the cached session's
// device to Cognito.
func TestCachedDeviceSent(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	sent := map[string]string{} // operation: the device key it named
	url := fakeAPI(t, func(op string, body []byte) (int, any) {
		var in struct {
			DeviceKey      string
			AuthParameters map[string]string
		}
		if err := json.Unmarshal(body, &in); err != nil {
			return 400, apiError("InvalidParameterException", "not JSON")
		}
		mu.Lock()
		sent[op] = in.DeviceKey + in.AuthParameters["DEVICE_KEY"]
		mu.Unlock()
		return 400, apiError("InternalErrorException", "no")
	})
	h := fakeHarness(t, url)
	ses := h.plant(time.Now().Add(-time.Second), nil)
	ses.Device = testDevice()
	h.save(ses)
	h.secret(ses.Device.Password)

	r := h.mustRun(exitFailure, "", "token")
	assert.Contains(t, r.stderr, "renewing the session")
	r = h.mustRun(exitFailure, "Pa55word!\n", "login", "--password-stdin", "--flow", "password")
	assert.Contains(t, r.stderr, "InternalErrorException")
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, map[string]string{"GetTokensFromRefreshToken": testDevice().Key, "InitiateAuth": testDevice().Key}, sent)
}
