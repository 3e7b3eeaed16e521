package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-e8acf5fd/cognito/internal/cognitolocal"
)

// TestCognitoLocal runs the commands against an independent emulator,
// cognito-local: a pool ID without a region, USER_PASSWORD_AUTH, results
// without ExpiresIn, and a real wait for the tokens to need renewal.
func TestCognitoLocal(t *testing.T) {
	t.Parallel()
	emu := cognitolocal.Start(t)
	const lifetime = 2 * time.Second
	pool := emu.NewPool(t, lifetime)
	const password = "Local-pa55word!"
	pool.AddUser(t, "carol", password)

	h := newHarness(t, nil)
	h.secret(password)
	args := []string{"--user-pool-id", pool.ID, "--client-id", pool.ClientID, "--username", "carol", "--endpoint", emu.Endpoint}
	h.env[envUserPoolID], h.env[envClientID], h.env[envUsername], h.env[envEndpoint] = pool.ID, pool.ClientID, "carol", emu.Endpoint

	// cognito-local has no SRP, the default.
	r := h.mustRun(exitFailure, password+"\n", append([]string{"login", "--password-stdin"}, args...)...)
	assert.Contains(t, r.stderr, "does not do SRP sign-in")
	assert.Contains(t, r.stderr, "use --flow password")

	before := time.Now()
	h.mustRun(exitOK, password+"\n", append([]string{"login", "--password-stdin", "--flow", "password"}, args...)...)
	after := time.Now()
	ses := h.session()
	// No ExpiresIn: the expiries come from the tokens' exp − iat.
	for _, expiry := range []time.Time{ses.Expiry, ses.IDExpiry} {
		assert.WithinRange(t, expiry, before.Add(lifetime-time.Second), after.Add(lifetime))
	}
	assert.WithinDuration(t, ses.Expiry.Add(-lifetime), ses.Obtained, time.Millisecond)

	r = h.mustRun(exitOK, "", append([]string{"token"}, args...)...)
	assert.Equal(t, ses.AccessToken+"\n", r.stdout)

	// The session is renewed at half its life.
	time.Sleep(time.Until(ses.Expiry.Add(-lifetime/2 + 100*time.Millisecond)))
	r = h.mustRun(exitOK, "", append([]string{"token", "--json"}, args...)...)
	var j tokenJSON
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &j))
	renewed := h.session()
	assert.NotEqual(t, ses.AccessToken, j.AccessToken)
	assert.Equal(t, renewed.AccessToken, j.AccessToken)
	assert.Equal(t, renewed.IDToken, j.IDToken)
	assert.Equal(t, ses.RefreshToken, renewed.RefreshToken)
	assert.Equal(t, 3, strings.Count(j.IDToken, ".")+1)

	h.mustRun(exitOK, "", append([]string{"logout"}, args...)...)
	assert.NoFileExists(t, h.store().path())
	r = h.mustRun(exitFailure, "", append([]string{"token"}, args...)...)
	assert.Contains(t, r.stderr, "run 'cognito-token login'")

	// The revoked refresh token no longer works: put it back and try.
	h.save(renewed)
	h.expire()
	r = h.mustRun(exitFailure, "", append([]string{"token"}, args...)...)
	assert.Contains(t, r.stderr, "can no longer be renewed")
}
