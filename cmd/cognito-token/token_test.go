package main

import (
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-e8acf5fd/cognito/internal/jwt"
)

func TestTokenRenewsExpiredSession(t *testing.T) {
	t.Parallel()
	p := newPool(t)
	h := p.harness(t)
	h.mustRun(exitOK, p.password+"\n", "login", "--password-stdin")
	before := h.session()
	h.expire()

	calls := p.srv.Calls("GetTokensFromRefreshToken")
	r := h.mustRun(exitOK, "", "token")
	assert.Equal(t, calls+1, p.srv.Calls("GetTokensFromRefreshToken"), "one renewal")
	assert.NotEqual(t, before.AccessToken+"\n", r.stdout)
	assert.Equal(t, "access", p.claims(t, strings.TrimSpace(r.stdout))["token_use"])

	after := h.session()
	assert.Equal(t, after.AccessToken+"\n", r.stdout, "the renewed session is cached")
	assert.NotEqual(t, before.IDToken, after.IDToken)
	assert.Equal(t, before.RefreshToken, after.RefreshToken, "Cognito sends no new refresh token: the old one is kept")
	assert.WithinDuration(t, time.Now().Add(time.Hour), after.Expiry, time.Minute)
	assert.WithinDuration(t, time.Now().Add(time.Hour), after.IDExpiry, time.Minute)

	r = h.mustRun(exitOK, "", "token")
	assert.Equal(t, after.AccessToken+"\n", r.stdout)
	assert.Equal(t, calls+1, p.srv.Calls("GetTokensFromRefreshToken"), "the renewed session is reused")
}

// TestIDTokenExpiryCounts checks that the expiry of the token printed decides
// the renewal: an expired ID token is renewed for --id and --exec-credential
// even while the access token is valid. The cache keeps one expiry, the
// access token's; the ID token's is worked out from the two tokens' exp
// claims.
func TestIDTokenExpiryCounts(t *testing.T) {
	t.Parallel()
	p := newPool(t)
	h := p.harness(t)
	h.mustRun(exitOK, p.password+"\n", "login", "--password-stdin")
	expireID := func() *session {
		ses := h.session()
		// An ID token that expired a second ago, with an access token
		// valid for an hour: a pool whose ID tokens live shorter.
		var claims map[string]any
		require.NoError(t, jwt.DecodeUnverified(ses.IDToken, &claims))
		claims["exp"] = time.Now().Add(-time.Second).Unix()
		ses.IDToken = unsignedJWT(t, claims)
		ses = newSession(ses.Session)
		require.WithinDuration(t, time.Now(), ses.IDExpiry, 2*time.Second)
		require.WithinDuration(t, time.Now().Add(time.Hour), ses.Expiry, time.Minute)
		h.save(ses)
		h.secret(ses.IDToken)
		return ses
	}

	ses := expireID()
	calls := p.srv.Calls("GetTokensFromRefreshToken")
	r := h.mustRun(exitOK, "", "token")
	assert.Equal(t, ses.AccessToken+"\n", r.stdout)
	assert.Equal(t, calls, p.srv.Calls("GetTokensFromRefreshToken"), "the access token is still valid")

	for i, args := range [][]string{{"token", "--id"}, {"token", "--exec-credential"}, {"token", "--json"}} {
		ses = expireID()
		r = h.mustRun(exitOK, "", args...)
		assert.Equal(t, calls+i+1, p.srv.Calls("GetTokensFromRefreshToken"), "%q renews an expired ID token", args)
		assert.NotContains(t, r.stdout, ses.IDToken)
		assert.Contains(t, r.stdout, h.session().IDToken)
	}
}

func TestTokenAfterRevocation(t *testing.T) {
	t.Parallel()
	p := newPool(t)
	h := p.harness(t)
	h.mustRun(exitOK, p.password+"\n", "login", "--password-stdin")
	p.srv.RevokeRefreshTokens(p.username)
	h.expire()

	r := h.mustRun(exitFailure, "", "token")
	assert.Empty(t, r.stdout)
	assert.Contains(t, r.stderr, "can no longer be renewed")
	assert.Contains(t, r.stderr, "Refresh Token has been revoked")
	assert.Contains(t, r.stderr, "run 'cognito-token login'")

	r = h.mustRun(exitFailure, "", "token", "--id")
	assert.Contains(t, r.stderr, "run 'cognito-token login'")

	h.mustRun(exitOK, p.password+"\n", "login", "--password-stdin")
	h.mustRun(exitOK, "", "token")
}

// TestTransientRenewalFailure checks that a renewal failing for a passing
// reason keeps the session for the next try.
func TestTransientRenewalFailure(t *testing.T) {
	t.Parallel()
	p := newPool(t)
	h := p.harness(t)
	h.noRetries = true
	h.mustRun(exitOK, p.password+"\n", "login", "--password-stdin")
	h.expire()

	p.srv.FailNext("GetTokensFromRefreshToken", 1, "InternalErrorException")
	r := h.mustRun(exitFailure, "", "token")
	assert.Empty(t, r.stdout)
	assert.Contains(t, r.stderr, "renewing the session")
	assert.NotContains(t, r.stderr, "cognito-token login")
	assert.FileExists(t, h.store().path())

	r = h.mustRun(exitOK, "", "token")
	assert.Equal(t, h.session().AccessToken+"\n", r.stdout)

	// Within the last minute of a still-valid token, a failed renewal
	// prints the cached token with a warning.
	ses := h.session()
	ses.Expiry = time.Now().Add(30 * time.Second) // of a token living an hour
	h.save(ses)
	p.srv.FailNext("GetTokensFromRefreshToken", 1, "TooManyRequestsException")
	r = h.mustRun(exitOK, "", "token")
	assert.Equal(t, ses.AccessToken+"\n", r.stdout)
	assert.Contains(t, r.stderr, "warning: could not renew")
	assert.Equal(t, ses.AccessToken, h.session().AccessToken, "the session is kept")
}

func TestConcurrentTokensRenewOnce(t *testing.T) {
	t.Parallel()
	p := newPool(t)
	h := p.harness(t)
	h.mustRun(exitOK, p.password+"\n", "login", "--password-stdin")
	before := h.session()
	h.expire()

	calls := p.srv.Calls("GetTokensFromRefreshToken")
	const n = 8
	results := make([]result, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { results[i] = h.run("", "token") })
	}
	wg.Wait()

	assert.Equal(t, calls+1, p.srv.Calls("GetTokensFromRefreshToken"), "exactly one renewal")
	after := h.session()
	assert.NotEqual(t, before.AccessToken, after.AccessToken)
	for _, r := range results {
		h.check(r)
		assert.Equal(t, exitOK, r.code, "stderr: %s", r.stderr)
		assert.Equal(t, after.AccessToken+"\n", r.stdout)
	}
	entries, err := os.ReadDir(h.store().dir)
	require.NoError(t, err)
	assert.Len(t, entries, 2, "the session and its lock file, no temporary files left")
}

func TestEarlyExpiry(t *testing.T) {
	t.Parallel()
	now := time.Now()
	assert.Equal(t, renewBefore, earlyExpiry(now, now.Add(time.Hour)))
	assert.Equal(t, renewBefore, earlyExpiry(now, now.Add(2*renewBefore)))
	assert.Equal(t, time.Second, earlyExpiry(now, now.Add(2*time.Second)))
	assert.Equal(t, time.Nanosecond, earlyExpiry(now, now.Add(-time.Second)))
}

// TestTokenWhenSaveFails: a renewed token is printed, with a warning, when
// the renewed session cannot be saved.
func TestTokenWhenSaveFails(t *testing.T) {
	t.Parallel()
	p := newPool(t)
	h := p.harness(t)
	h.mustRun(exitOK, p.password+"\n", "login", "--password-stdin")
	before := h.session()
	h.expire()
	dir := h.store().dir
	h.afterCall = func(op string) {
		// Once the session is read and renewed, the directory goes and a
		// file takes its name: nothing can be saved there.
		require.NoError(t, os.RemoveAll(dir))
		require.NoError(t, os.WriteFile(dir, nil, 0o600))
	}
	r := h.mustRun(exitOK, "", "token")
	assert.NotEqual(t, before.AccessToken+"\n", r.stdout)
	assert.Equal(t, "access", p.claims(t, strings.TrimSpace(r.stdout))["token_use"], "a valid token")
	assert.Contains(t, r.stderr, "warning: saving the session: ")
	assert.Contains(t, r.stderr, "the token printed is valid, but the next call renews it again")
}

// TestExecCredentialAPIVersion: --exec-credential answers in the
// apiVersion kubectl asks for in $KUBERNETES_EXEC_INFO, v1 by default.
func TestExecCredentialAPIVersion(t *testing.T) {
	t.Parallel()
	p := newPool(t)
	tests := []struct {
		name, info string
		want       string // apiVersion, or "" for an error
		wantErr    string
	}{
		{name: "unset", want: "client.authentication.k8s.io/v1"},
		{name: "v1", info: `{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","spec":{"interactive":false}}`, want: "client.authentication.k8s.io/v1"},
		{name: "v1beta1", info: `{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential","spec":{"interactive":false}}`, want: "client.authentication.k8s.io/v1beta1"},
		{name: "none named", info: `{"kind":"ExecCredential"}`, want: "client.authentication.k8s.io/v1"},
		{
			name:    "unknown",
			info:    `{"apiVersion":"client.authentication.k8s.io/v1alpha1","kind":"ExecCredential"}`,
			wantErr: `kubectl asks for an ExecCredential of apiVersion "client.authentication.k8s.io/v1alpha1" ($KUBERNETES_EXEC_INFO), but cognito-token gives only client.authentication.k8s.io/v1 and client.authentication.k8s.io/v1beta1`,
		},
		{name: "not JSON", info: `apiVersion: v1`, wantErr: "$KUBERNETES_EXEC_INFO is not the JSON kubectl sets"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := p.harness(t)
			h.mustRun(exitOK, p.password+"\n", "login", "--password-stdin")
			h.env[envExecInfo] = tt.info
			if tt.wantErr != "" {
				r := h.mustRun(exitFailure, "", "token", "--exec-credential")
				assert.Empty(t, r.stdout)
				assert.Contains(t, r.stderr, tt.wantErr)
				// The other outputs do not look at it.
				r = h.mustRun(exitOK, "", "token")
				assert.Equal(t, h.session().AccessToken+"\n", r.stdout)
				return
			}
			r := h.mustRun(exitOK, "", "token", "--exec-credential")
			var ec execCredential
			decodeJSON(t, r.stdout, &ec)
			assert.Equal(t, tt.want, ec.APIVersion)
			assert.Equal(t, "ExecCredential", ec.Kind)
			assert.Equal(t, h.session().IDToken, ec.Status.Token)
		})
	}
}
