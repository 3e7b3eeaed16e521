package main

import (
	"strings"
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

	// A challenge with no answer on stdin: an error, not a wait.
	p.srv.RequireChallenge(p.username, "SOFTWARE_TOKEN_MFA")
	r = h.mustRun(exitUsage, p.password+"\n", "login", "--password-stdin")
	assert.Equal(t, "Code from your authenticator app: \n"+
		"cognito-token login: --password-stdin: standard input has no line for the code from your authenticator app, "+
		"which the SOFTWARE_TOKEN_MFA challenge asks for (run 'cognito-token login --help')\n", r.stderr)
	assert.NoFileExists(t, h.store().path())

	// A challenge cognito-token cannot answer.
	p.srv.RequireChallenge(p.username, "DEVICE_SRP_AUTH")
	r = h.mustRun(exitFailure, p.password+"\n", "login", "--password-stdin")
	assert.Contains(t, r.stderr, "cognito-token: the sign-in needs an answer to the DEVICE_SRP_AUTH challenge, which cognito-token cannot give;")
	assert.NoFileExists(t, h.store().path())
}

// TestWrongCode: a code Cognito refuses fails the login with a message
// that says so, and the code is not printed.
func TestWrongCode(t *testing.T) {
	t.Parallel()
	const code = "246810"
	url := fakeAPI(t, func(op string, body []byte) (int, any) {
		if op == "InitiateAuth" {
			return 200, map[string]any{"ChallengeName": "SMS_MFA", "Session": "session-1",
				"ChallengeParameters": map[string]string{"USER_ID_FOR_SRP": "alice", "CODE_DELIVERY_DESTINATION": "+*******0100"}}
		}
		// An echo of the request: the code must not reach the terminal.
		return 400, apiError("CodeMismatchException", "Invalid code "+code+" received for user")
	})
	h := fakeHarness(t, url)
	h.secret(code)
	r := h.mustRun(exitFailure, "Pa55word!\n"+code+"\n", "login", "--password-stdin", "--flow", "password")
	assert.Contains(t, r.stderr, "Code sent to +*******0100: \n")
	assert.Contains(t, r.stderr, "cognito-token: the code was not accepted (a wrong one, or one used before); log in again: ")
	assert.Contains(t, r.stderr, "CodeMismatchException")
	assert.Equal(t, 2, strings.Count(r.stderr, "\n"), "the prompt and one message:\n%s", r.stderr)
}

// TestLoginReplacesSession: a second login revokes the refresh token of the
// session it replaces, or warns when it cannot.
func TestLoginReplacesSession(t *testing.T) {
	t.Parallel()
	p := newPool(t)
	h := p.harness(t)
	h.noRetries = true
	h.mustRun(exitOK, p.password+"\n", "login", "--password-stdin")
	first := h.session()

	r := h.mustRun(exitOK, p.password+"\n", "login", "--password-stdin")
	assert.NotContains(t, r.stderr, "warning")
	second := h.session()
	assert.NotEqual(t, first.RefreshToken, second.RefreshToken)
	assert.Equal(t, 1, p.srv.Calls("RevokeToken"))
	assert.False(t, p.refreshWorks(t, first.RefreshToken), "the replaced session is revoked")
	assert.True(t, p.refreshWorks(t, second.RefreshToken))

	p.srv.FailNext("RevokeToken", 1, "InternalErrorException")
	r = h.mustRun(exitOK, p.password+"\n", "login", "--password-stdin")
	assert.Contains(t, r.stderr, "Signed in as "+p.alias)
	assert.Contains(t, r.stderr, "warning: could not revoke the refresh token of the session this one replaces")
	assert.Contains(t, r.stderr, "InternalErrorException")
	third := h.session()
	assert.NotEqual(t, second.RefreshToken, third.RefreshToken, "the new session is kept")
	assert.True(t, p.refreshWorks(t, second.RefreshToken), "as the warning says")
	r = h.mustRun(exitOK, "", "token")
	assert.Equal(t, third.AccessToken+"\n", r.stdout)
}

// TestSRPUnsupported: an emulator without SRP, such as cognito-local,
// answers an SRP sign-in as cognito-local does; the message says to use
// --flow password.
func TestSRPUnsupported(t *testing.T) {
	t.Parallel()
	url := fakeAPI(t, func(op string, body []byte) (int, any) {
		return 500, apiError("CognitoLocal#Unsupported", "Cognito Local unsupported feature: USER_SRP_AUTH")
	})
	h := fakeHarness(t, url)
	r := h.mustRun(exitFailure, "Pa55word!\n", "login", "--password-stdin")
	assert.Equal(t, "cognito-token: the server at "+url+" does not do SRP sign-in "+
		"(Cognito Local unsupported feature: USER_SRP_AUTH): use --flow password with it, as with cognito-local\n", r.stderr)

	r = h.mustRun(exitFailure, "Pa55word!\n", "login", "--password-stdin", "--flow", "password")
	assert.Contains(t, r.stderr, "Unsupported")
	assert.NotContains(t, r.stderr, "use --flow password", "the advice only for SRP")
}

// TestLoginTerminal: without --password-stdin the password is typed on
// the terminal, without echo.
func TestLoginTerminal(t *testing.T) {
	t.Parallel()
	p := newPool(t)
	h := p.harness(t)
	term := newFakeTerminal(p.password)
	h.term = term
	r := h.mustRun(exitOK, "", "login")
	assert.Equal(t, []bool{true}, term.reads())
	assert.True(t, strings.HasPrefix(r.stderr, "Password for "+p.alias+": \nSigned in as "+p.alias+";"), r.stderr)
	h.session()
}
