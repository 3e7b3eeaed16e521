package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

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
