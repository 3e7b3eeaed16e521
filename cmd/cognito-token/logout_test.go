package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

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
