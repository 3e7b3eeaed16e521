package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-e8acf5fd/cognito/cognitotest"
)

func TestLoginTokenLogout(t *testing.T) {
	t.Parallel()
	p := newPool(t)
	h := p.harness(t)
	// Flags win over the environment.
	h.env[envUsername] = "nobody@example.com"
	user := []string{"--username", p.alias}

	r := h.mustRun(exitOK, p.password+"\n", append([]string{"login", "--password-stdin"}, user...)...)
	assert.Empty(t, r.stdout)
	assert.Contains(t, r.stderr, "Signed in as "+p.alias)
	assert.Equal(t, 1, p.srv.Calls("RespondToAuthChallenge"), "login signs in with SRP by default")
	h.env[envUsername] = p.alias
	ses := h.session()

	// The bare access token, verified as an API would.
	calls := p.srv.Calls("InitiateAuth")
	r = h.mustRun(exitOK, "", "token")
	assert.Equal(t, ses.AccessToken+"\n", r.stdout)
	assert.Empty(t, r.stderr)
	c := p.claims(t, strings.TrimSpace(r.stdout))
	assert.Equal(t, "access", c["token_use"])
	assert.Equal(t, p.username, c["username"])

	r = h.mustRun(exitOK, "", "token", "--id")
	assert.Equal(t, ses.IDToken+"\n", r.stdout)
	c = p.claims(t, strings.TrimSpace(r.stdout))
	assert.Equal(t, "id", c["token_use"])
	assert.Equal(t, p.username, c["cognito:username"])
	assert.Equal(t, p.alias, c["email"])

	r = h.mustRun(exitOK, "", "token", "--json")
	var j tokenJSON
	decodeJSON(t, r.stdout, &j)
	assert.Equal(t, ses.AccessToken, j.AccessToken)
	assert.Equal(t, ses.IDToken, j.IDToken)
	assert.Equal(t, "Bearer", j.TokenType)
	assertExpiry(t, j.Expiry, time.Hour)
	assertExpiry(t, j.IDTokenExpiry, time.Hour)

	r = h.mustRun(exitOK, "", "token", "--exec-credential")
	var ec execCredential
	decodeJSON(t, r.stdout, &ec)
	assert.Equal(t, "client.authentication.k8s.io/v1", ec.APIVersion)
	assert.Equal(t, "ExecCredential", ec.Kind)
	assert.Equal(t, ses.IDToken, ec.Status.Token)
	assertExpiry(t, ec.Status.ExpirationTimestamp, time.Hour)

	assert.Equal(t, calls, p.srv.Calls("InitiateAuth"), "a valid session is used without calling Cognito")

	// logout revokes the refresh token with Cognito and deletes the file.
	r = h.mustRun(exitOK, "", "logout")
	assert.Empty(t, r.stdout)
	assert.Equal(t, 1, p.srv.Calls("RevokeToken"))
	assert.NoFileExists(t, h.store().path())
	_, err := p.srv.Client().InitiateAuth(context.Background(), &cip.InitiateAuthInput{
		AuthFlow:       types.AuthFlowTypeRefreshTokenAuth,
		ClientId:       aws.String(p.srv.ClientID),
		AuthParameters: map[string]string{"REFRESH_TOKEN": ses.RefreshToken},
	})
	var notAuth *types.NotAuthorizedException
	assert.ErrorAs(t, err, &notAuth, "the refresh token must be revoked")

	r = h.mustRun(exitFailure, "", "token")
	assert.Empty(t, r.stdout)
	assert.Contains(t, r.stderr, "no session is cached for "+p.alias)
	assert.Contains(t, r.stderr, "run 'cognito-token login'")

	r = h.mustRun(exitOK, "", "logout")
	assert.Contains(t, r.stderr, "nothing to do")
	assert.Equal(t, 1, p.srv.Calls("RevokeToken"))
}

// assertExpiry checks an RFC 3339 UTC expiry about lifetime from now.
func assertExpiry(t *testing.T, s string, lifetime time.Duration) {
	t.Helper()
	assert.True(t, strings.HasSuffix(s, "Z"), "%q is not UTC", s)
	exp, err := time.Parse(time.RFC3339, s)
	require.NoError(t, err)
	left := time.Until(exp)
	assert.True(t, left > lifetime-time.Minute && left <= lifetime, "expiry %s is %v away, want about %v", s, left, lifetime)
}

func TestPasswordFlow(t *testing.T) {
	t.Parallel()
	p := newPool(t)
	h := p.harness(t)
	h.env[envFlow] = "password"
	h.mustRun(exitOK, p.password+"\n", "login", "--password-stdin")
	assert.Equal(t, 0, p.srv.Calls("RespondToAuthChallenge"), "USER_PASSWORD_AUTH needs no challenge")
	assert.Equal(t, 1, p.srv.Calls("InitiateAuth"))
	r := h.mustRun(exitOK, "", "token")
	assert.Equal(t, h.session().AccessToken+"\n", r.stdout)
}

func TestLoginFailures(t *testing.T) {
	t.Parallel()
	p := newPool(t)

	h := p.harness(t)
	r := h.mustRun(exitFailure, "wrong-password\n", "login", "--password-stdin")
	assert.Contains(t, r.stderr, "NotAuthorizedException")
	assert.NotContains(t, r.stderr, "wrong-password")
	assert.NoFileExists(t, h.store().path())

	p.srv.RequireChallenge(p.username, "SOFTWARE_TOKEN_MFA")
	r = h.mustRun(exitFailure, p.password+"\n", "login", "--password-stdin")
	assert.Contains(t, r.stderr, "SOFTWARE_TOKEN_MFA challenge")
	assert.NoFileExists(t, h.store().path())
}

func TestTokenRenewsExpiredSession(t *testing.T) {
	t.Parallel()
	p := newPool(t)
	h := p.harness(t)
	h.mustRun(exitOK, p.password+"\n", "login", "--password-stdin")
	before := h.session()
	h.expire()

	calls := p.srv.Calls("InitiateAuth")
	r := h.mustRun(exitOK, "", "token")
	assert.Equal(t, calls+1, p.srv.Calls("InitiateAuth"), "one renewal")
	assert.NotEqual(t, before.AccessToken+"\n", r.stdout)
	assert.Equal(t, "access", p.claims(t, strings.TrimSpace(r.stdout))["token_use"])

	after := h.session()
	assert.Equal(t, after.AccessToken+"\n", r.stdout, "the renewed session is cached")
	assert.NotEqual(t, before.IDToken, after.IDToken)
	assert.Equal(t, before.RefreshToken, after.RefreshToken, "Cognito sends no new refresh token: the old one is kept")
	assert.WithinDuration(t, time.Now().Add(time.Hour), after.AccessExpiry, time.Minute)
	assert.WithinDuration(t, time.Now().Add(time.Hour), after.IDExpiry, time.Minute)

	r = h.mustRun(exitOK, "", "token")
	assert.Equal(t, after.AccessToken+"\n", r.stdout)
	assert.Equal(t, calls+1, p.srv.Calls("InitiateAuth"), "the renewed session is reused")
}

// TestIDTokenExpiryCounts checks that the expiry of the token printed decides
// the renewal: an expired ID token is renewed for --id and --exec-credential
// even while the access token is valid.
func TestIDTokenExpiryCounts(t *testing.T) {
	t.Parallel()
	p := newPool(t)
	h := p.harness(t)
	h.mustRun(exitOK, p.password+"\n", "login", "--password-stdin")
	expireID := func() *session {
		ses := h.session()
		ses.IDExpiry = time.Now().Add(-time.Second)
		require.NoError(t, h.store().save(ses))
		return ses
	}

	ses := expireID()
	calls := p.srv.Calls("InitiateAuth")
	r := h.mustRun(exitOK, "", "token")
	assert.Equal(t, ses.AccessToken+"\n", r.stdout)
	assert.Equal(t, calls, p.srv.Calls("InitiateAuth"), "the access token is still valid")

	for i, args := range [][]string{{"token", "--id"}, {"token", "--exec-credential"}, {"token", "--json"}} {
		ses = expireID()
		r = h.mustRun(exitOK, "", args...)
		assert.Equal(t, calls+i+1, p.srv.Calls("InitiateAuth"), "%q renews an expired ID token", args)
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

	p.srv.FailNext("InitiateAuth", 1, "InternalErrorException")
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
	ses.AccessExpiry = time.Now().Add(30 * time.Second)
	ses.Obtained = time.Now().Add(-time.Hour)
	require.NoError(t, h.store().save(ses))
	p.srv.FailNext("InitiateAuth", 1, "TooManyRequestsException")
	r = h.mustRun(exitOK, "", "token")
	assert.Equal(t, ses.AccessToken+"\n", r.stdout)
	assert.Contains(t, r.stderr, "warning: could not renew")
	assert.Equal(t, ses.AccessToken, h.session().AccessToken, "the session is kept")
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

func TestConcurrentTokensRenewOnce(t *testing.T) {
	t.Parallel()
	p := newPool(t)
	h := p.harness(t)
	h.mustRun(exitOK, p.password+"\n", "login", "--password-stdin")
	before := h.session()
	h.expire()

	calls := p.srv.Calls("InitiateAuth")
	const n = 8
	results := make([]result, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { results[i] = h.run("", "token") })
	}
	wg.Wait()

	assert.Equal(t, calls+1, p.srv.Calls("InitiateAuth"), "exactly one renewal")
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

func TestClientSecret(t *testing.T) {
	t.Parallel()
	const secret = "client-secret-0123456789abcdef"
	tests := []struct {
		name string
		env  map[string]string
		// stdin of login, and of token and logout
		loginStdin, stdin string
		flag              []string
	}{
		{
			name:       "environment",
			env:        map[string]string{envClientSecret: secret},
			loginStdin: "PASSWORD\n",
		},
		{
			name:       "stdin",
			loginStdin: "PASSWORD\n" + secret + "\n",
			stdin:      secret + "\n",
			flag:       []string{"--client-secret-stdin"},
		},
		{
			name: "stdin over environment",
			// A wrong secret in the environment is ignored.
			env:        map[string]string{envClientSecret: "wrong"},
			loginStdin: "PASSWORD\n" + secret + "\r\n",
			stdin:      secret,
			flag:       []string{"--client-secret-stdin"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := newPool(t, cognitotest.WithClientSecret(secret))
			h := p.harness(t)
			for k, v := range tt.env {
				h.env[k] = v
			}
			login := strings.Replace(tt.loginStdin, "PASSWORD", p.password, 1)
			h.mustRun(exitOK, login, append([]string{"login", "--password-stdin"}, tt.flag...)...)
			b, err := os.ReadFile(h.store().path())
			require.NoError(t, err)
			assert.NotContains(t, string(b), secret)
			assert.NotContains(t, string(b), p.password)

			h.expire()
			calls := p.srv.Calls("InitiateAuth")
			r := h.mustRun(exitOK, tt.stdin, append([]string{"token"}, tt.flag...)...)
			assert.Equal(t, calls+1, p.srv.Calls("InitiateAuth"), "renewed with SECRET_HASH")
			assert.Equal(t, h.session().AccessToken+"\n", r.stdout)

			h.mustRun(exitOK, tt.stdin, append([]string{"logout"}, tt.flag...)...)
			assert.Equal(t, 1, p.srv.Calls("RevokeToken"))
			assert.NoFileExists(t, h.store().path())
		})
	}

	t.Run("missing", func(t *testing.T) {
		t.Parallel()
		p := newPool(t, cognitotest.WithClientSecret(secret))
		h := p.harness(t)
		r := h.mustRun(exitFailure, p.password+"\n", "login", "--password-stdin")
		assert.Contains(t, r.stderr, "Unable to verify secret hash")

		// A renewal without the secret fails, but keeps the session.
		h.env[envClientSecret] = secret
		h.mustRun(exitOK, p.password+"\n", "login", "--password-stdin")
		h.expire()
		delete(h.env, envClientSecret)
		r = h.mustRun(exitFailure, "", "token")
		assert.Contains(t, r.stderr, "Unable to verify secret hash")
		assert.Contains(t, r.stderr, "$COGNITO_CLIENT_SECRET", "the hint names the secret, not login")
		assert.NotContains(t, r.stderr, "run 'cognito-token login'")
		h.env[envClientSecret] = secret
		r = h.mustRun(exitOK, "", "token")
		assert.Equal(t, h.session().AccessToken+"\n", r.stdout)
	})
}

// TestLogoutWhenRevocationFails checks that a session is forgotten even
// when Cognito cannot be reached, and that logout says so.
func TestLogoutWhenRevocationFails(t *testing.T) {
	t.Parallel()
	p := newPool(t)
	h := p.harness(t)
	h.noRetries = true
	h.mustRun(exitOK, p.password+"\n", "login", "--password-stdin")
	h.session()
	p.srv.Close()

	r := h.mustRun(exitFailure, "", "logout")
	assert.Contains(t, r.stderr, "revoking its refresh token failed")
	assert.Contains(t, r.stderr, "connection refused")
	assert.NoFileExists(t, h.store().path())
	h.mustRun(exitFailure, "", "token")
}
