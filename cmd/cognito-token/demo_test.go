package main

import (
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestDemo(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	r := h.mustRun(exitOK, "", "demo", "--requests", "7", "--interval", "400ms", "--lifetime", "3s")
	assert.Empty(t, r.stderr)
	out := r.stdout
	assert.Contains(t, out, "sign-in (SRP) as newcomer@example.com")
	// The user with an authenticator app, the demo computing its code.
	assert.Regexp(t, regexp.MustCompile(`\n\S+  sign-in \(SRP\) as mfa-user@example.com\n`+
		`\S+  challenge SOFTWARE_TOKEN_MFA: cognito.TOTP computes the code the app shows now\n`+
		`\S+  answered SOFTWARE_TOKEN_MFA: accepted\n`+
		`\S+  GET /hello with its token: 200 OK, user [0-9a-f-]{36}\n`), out)
	assert.Contains(t, out, "renewal (refresh token)")
	assert.Equal(t, 7, strings.Count(out, "GET /hello  200 OK"))
	assert.Contains(t, out, "token #2")
	assert.Regexp(t, regexp.MustCompile(`\n7 requests, 0 failures, 1 sign-in, [1-9] renewals?\n$`), out)
	assert.NotContains(t, out, "eyJ", "no token is printed")
}
