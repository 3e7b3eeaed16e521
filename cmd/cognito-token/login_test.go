package main

import (
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-e8acf5fd/cognito/cognitotest"
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

	// A challenge cognito-token cannot answer.
	p.srv.RequireChallenge(p.username, "DEVICE_SRP_AUTH")
	r = h.mustRun(exitFailure, p.password+"\n", "login", "--password-stdin")
	assert.Equal(t, "cognito-token: the sign-in needs an answer to the DEVICE_SRP_AUTH challenge, which cognito-token cannot give; "+
		"complete it with another client (such as the AWS CLI's respond-to-auth-challenge), then log in again\n", r.stderr)
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

// totpCode is the code an authenticator app with secret shows at t.
func totpCode(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	code, err := totp.GenerateCode(secret, at)
	require.NoError(t, err)
	return code
}

// TestLoginChallenges signs in through each challenge a pool sets after
// the password, the answers on stdin after it (--password-stdin).
func TestLoginChallenges(t *testing.T) {
	t.Parallel()
	const secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
	const newPassword = "Brand-new-pa55word"
	tests := []struct {
		name string
		opts []cognitotest.Option
		// setUp prepares p's user and returns the lines of stdin after
		// the password.
		setUp  func(t *testing.T, p *pool, h *harness) []func() string
		stderr []string // in order, on stderr
		// check, if set, checks the pool afterwards.
		check func(t *testing.T, p *pool, h *harness)
	}{
		{
			name: "SOFTWARE_TOKEN_MFA",
			setUp: func(t *testing.T, p *pool, h *harness) []func() string {
				p.srv.SetTOTP(p.username, secret)
				return []func() string{func() string { return h.secretLine(totpCode(t, secret, time.Now())) }}
			},
			stderr: []string{"Code from your authenticator app: \n"},
		},
		{
			name: "SMS_MFA",
			setUp: func(t *testing.T, p *pool, h *harness) []func() string {
				p.srv.SetSMSMFA(p.username, "+15555550100")
				return []func() string{func() string { return h.secretLine(p.srv.LastCode(p.username)) }}
			},
			stderr: []string{"Code sent to +*******0100: \n"},
		},
		{
			name: "EMAIL_OTP",
			setUp: func(t *testing.T, p *pool, h *harness) []func() string {
				p.srv.SetEmailMFA(p.username, "alice@example.com")
				return []func() string{func() string { return h.secretLine(p.srv.LastCode(p.username)) }}
			},
			stderr: []string{"Code sent to a***@e***.com: \n"},
		},
		{
			name: "SELECT_MFA_TYPE by number, then SMS_MFA",
			setUp: func(t *testing.T, p *pool, h *harness) []func() string {
				p.srv.SetSMSMFA(p.username, "+15555550100")
				p.srv.SetTOTP(p.username, secret)
				return []func() string{fixed("1"), func() string { return h.secretLine(p.srv.LastCode(p.username)) }}
			},
			stderr: []string{
				"Choose how to confirm this sign-in:\n",
				"  1. a code by text message (SMS_MFA)\n",
				"  2. a code from an authenticator app (SOFTWARE_TOKEN_MFA)\n",
				"Number (1-2): \n",
				"Code sent to +*******0100: \n",
			},
		},
		{
			name: "SELECT_MFA_TYPE by name, then SOFTWARE_TOKEN_MFA",
			setUp: func(t *testing.T, p *pool, h *harness) []func() string {
				p.srv.SetSMSMFA(p.username, "+15555550100")
				p.srv.SetTOTP(p.username, secret)
				return []func() string{fixed("SOFTWARE_TOKEN_MFA"), func() string { return h.secretLine(totpCode(t, secret, time.Now())) }}
			},
			stderr: []string{"Number (1-2): \n", "Code from your authenticator app: \n"},
		},
		{
			name: "NEW_PASSWORD_REQUIRED with a required attribute",
			setUp: func(t *testing.T, p *pool, h *harness) []func() string {
				p.srv.RequireNewPassword(p.username, "name")
				h.secret(newPassword)
				return []func() string{fixed(newPassword), fixed("Alice Liddell")}
			},
			stderr: []string{
				"You must choose a new password.\nNew password: \n",
				"The user pool also requires these attributes of yours:\n  name: \n",
				"Signed in as alice@example.com;",
				"Your password is now the new one you chose: sign in with it from now on.\n",
			},
			check: func(t *testing.T, p *pool, h *harness) {
				assert.Equal(t, "Alice Liddell", p.srv.UserAttribute(p.username, "name"))
				h.mustRun(exitOK, newPassword+"\n", "login", "--password-stdin")
				r := h.mustRun(exitFailure, p.password+"\n", "login", "--password-stdin")
				assert.Contains(t, r.stderr, "NotAuthorizedException", "the old password is no more")
			},
		},
		{
			name: "MFA_SETUP",
			opts: []cognitotest.Option{cognitotest.WithMFARequired()},
			setUp: func(t *testing.T, p *pool, h *harness) []func() string {
				// The key is read off the terminal, as a user would.
				var stderr syncBuffer
				h.tee = &stderr
				return []func() string{func() string {
					key := keyShown(t, stderr.String())
					return h.secretLine(totpCode(t, key, time.Now()))
				}}
			},
			stderr: []string{
				"The user pool requires MFA: set up an authenticator app",
				"\n█████", // the QR code
				"\nKey: ",
				"Code from your authenticator app: \n",
				"Signed in as alice@example.com;",
				"Your authenticator app is set up: sign-ins will ask for its code.\n",
			},
			check: func(t *testing.T, p *pool, h *harness) {
				key := p.srv.TOTPSecret(p.username)
				require.NotEmpty(t, key)
				// The next sign-in asks for the app's code: the one of the
				// next step, as the first one may not be used twice.
				h.tee = nil
				code := totpCode(t, key, time.Now().Add(30*time.Second))
				h.secret(code)
				r := h.mustRun(exitOK, p.password+"\n"+code+"\n", "login", "--password-stdin")
				assert.Contains(t, r.stderr, "Code from your authenticator app: \n")
				assert.NotContains(t, r.stderr, "Key:")
			},
		},
		{
			name: "CUSTOM_CHALLENGE",
			opts: []cognitotest.Option{cognitotest.WithCustomAuth(cognitotest.CustomAuth{
				Create: func(cognitotest.CreateRequest) (cognitotest.CreateResponse, error) {
					return cognitotest.CreateResponse{
						PublicChallengeParameters:  map[string]string{"question": "What is 6 × 7?"},
						PrivateChallengeParameters: map[string]string{"answer": "42"},
					}, nil
				},
			})},
			setUp: func(t *testing.T, p *pool, h *harness) []func() string {
				h.env[envFlow] = "custom"
				return []func() string{fixed("42")}
			},
			stderr: []string{
				"The user pool sets a challenge of its own:\n  question: What is 6 × 7?\nAnswer: \n",
				"Signed in as alice@example.com;",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := newPool(t, tt.opts...)
			h := p.harness(t)
			h.noRetries = true
			stdin := &lazyLines{next: append([]func() string{fixed(p.password)}, tt.setUp(t, p, h)...)}
			r := h.mustRunReader(exitOK, stdin, "login", "--password-stdin")
			assertInOrder(t, r.stderr, tt.stderr...)
			ses := h.session()
			c := p.claims(t, ses.AccessToken)
			assert.Equal(t, p.username, c["username"])
			r = h.mustRun(exitOK, "", "token")
			assert.Equal(t, ses.AccessToken+"\n", r.stdout)
			if tt.check != nil {
				tt.check(t, p, h)
			}
		})
	}
}

// secretLine registers s as a secret of h, never to be printed, and
// returns it.
func (h *harness) secretLine(s string) string {
	h.secret(s)
	return s
}

// keyShown is the authenticator key that MFA set-up showed on stderr.
func keyShown(t *testing.T, stderr string) string {
	t.Helper()
	_, rest, ok := strings.Cut(stderr, "\nKey: ")
	require.True(t, ok, "no key on stderr:\n%s", stderr)
	key, _, _ := strings.Cut(rest, "\n")
	return key
}

// TestLoginChallengeFailures: a wrong code, a refused new password and a
// missing answer line fail the login, saying why, and cache nothing.
func TestLoginChallengeFailures(t *testing.T) {
	t.Parallel()
	const secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
	tests := []struct {
		name  string
		opts  []cognitotest.Option
		setUp func(p *pool) string // the lines of stdin after the password
		code  int
		want  string
	}{
		{
			name: "wrong SMS code",
			setUp: func(p *pool) string {
				p.srv.SetSMSMFA(p.username, "+15555550100")
				return "000000\n" // a real code is 000000 once in a million
			},
			code: exitFailure,
			want: "cognito-token: the code was not accepted (a wrong one, or one used before); log in again: cognito: answering the SMS_MFA challenge: ",
		},
		{
			name: "wrong first code of a new authenticator app",
			opts: []cognitotest.Option{cognitotest.WithMFARequired()},
			setUp: func(p *pool) string {
				return "000000\n"
			},
			code: exitFailure,
			want: "cognito-token: the authenticator app's code was not accepted, so the app is not set up",
		},
		{
			name: "no line for the code",
			setUp: func(p *pool) string {
				p.srv.SetTOTP(p.username, secret)
				return ""
			},
			code: exitUsage,
			want: "cognito-token login: --password-stdin: standard input has no line for the code from your authenticator app, which the SOFTWARE_TOKEN_MFA challenge asks for (run 'cognito-token login --help')\n",
		},
		{
			name: "no line for the attribute",
			setUp: func(p *pool) string {
				p.srv.RequireNewPassword(p.username, "name")
				return "Brand-new-pa55word\n"
			},
			code: exitUsage,
			want: "--password-stdin: standard input has no line for the attribute name, which the NEW_PASSWORD_REQUIRED challenge asks for",
		},
		{
			name: "new password too short",
			setUp: func(p *pool) string {
				p.srv.RequireNewPassword(p.username)
				return "short\n"
			},
			code: exitFailure,
			want: "cognito-token: the new password was refused (the user pool's password policy); log in again and choose another: ",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := newPool(t, tt.opts...)
			h := p.harness(t)
			h.noRetries = true
			stdin := p.password + "\n" + tt.setUp(p)
			h.secret(strings.Fields(stdin)...)
			r := h.mustRun(tt.code, stdin, "login", "--password-stdin")
			assert.Contains(t, r.stderr, tt.want)
			assert.NotContains(t, r.stderr, "Your password is now")
			assert.NoFileExists(t, h.store().path())
		})
	}
}

// TestLoginChallengesTerminal: without --password-stdin the answers are
// typed on the terminal, a new password twice and without echo.
func TestLoginChallengesTerminal(t *testing.T) {
	t.Parallel()
	p := newPool(t)
	h := p.harness(t)
	const newPassword = "Brand-new-pa55word"
	h.secret(newPassword)
	p.srv.RequireNewPassword(p.username)
	p.srv.SetSMSMFA(p.username, "+15555550100")
	term := newFakeTerminal(p.password, newPassword, newPassword)
	term.then(func() string { return h.secretLine(p.srv.LastCode(p.username)) })
	h.term = term
	r := h.mustRun(exitOK, "", "login")
	assert.Equal(t, []bool{true, true, true, false}, term.reads(), "the passwords without echo, the code with")
	// The terminal echoes the line break of a line typed with echo.
	assertInOrder(t, r.stderr,
		"Password for alice@example.com: \n",
		"You must choose a new password.\nNew password: \nNew password again: \n",
		"Code sent to +*******0100: Signed in as alice@example.com;",
		"Your password is now the new one you chose",
	)
	h.session()
}

// TestLoginChallengeTimeout: an answer that does not come in time fails
// the login, saying so, and a late one is not waited for.
func TestLoginChallengeTimeout(t *testing.T) {
	t.Parallel()
	p := newPool(t)
	p.srv.SetSMSMFA(p.username, "+15555550100")
	h := p.harness(t)
	h.term = newFakeTerminal(p.password) // then nothing
	h.challengeTimeout = 100 * time.Millisecond
	r := h.mustRun(exitFailure, "", "login")
	assert.Equal(t, "Password for alice@example.com: \nCode sent to +*******0100: \n"+
		"cognito-token: no answer came within 100ms, as long as a sign-in waits for one; log in again: "+
		"cognito: the challenge handler did not answer the SMS_MFA challenge in time: context deadline exceeded\n", r.stderr)
	assert.NoFileExists(t, h.store().path())
}

// TestLoginRememberedDevice: on a pool that remembers devices (opt-in),
// the first login answers MFA and caches the device; the second proves
// the device and asks no code; renewals name it.
func TestLoginRememberedDevice(t *testing.T) {
	t.Parallel()
	const secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
	p := newPool(t, cognitotest.WithDeviceTracking(cognitotest.DeviceConfig{ChallengeRequiredOnNewDevice: true, DeviceOnlyRememberedOnUserPrompt: true}))
	p.srv.SetTOTP(p.username, secret)
	h := p.harness(t)
	code := totpCode(t, secret, time.Now())
	h.secret(code)
	r := h.mustRun(exitOK, p.password+"\n"+code+"\n", "login", "--password-stdin")
	assert.Contains(t, r.stderr, "Code from your authenticator app")
	devices := p.srv.Devices(p.username)
	require.Len(t, devices, 1)
	assert.True(t, devices[0].Remembered, "remembered on an opt-in pool")
	assert.Equal(t, "cognito-token", devices[0].Name)

	// The renewal names the device: the pool refuses it otherwise.
	h.expire()
	r = h.mustRun(exitOK, "", "token")
	assert.NotEmpty(t, r.stdout)

	r = h.mustRun(exitOK, p.password+"\n", "login", "--password-stdin")
	assert.NotContains(t, r.stderr, "Code from your authenticator app", "no MFA on a remembered device")
	assert.Len(t, p.srv.Devices(p.username), 1, "the same device")
	// PASSWORD_VERIFIER and SOFTWARE_TOKEN_MFA, then PASSWORD_VERIFIER,
	// DEVICE_SRP_AUTH and DEVICE_PASSWORD_VERIFIER.
	assert.Equal(t, 5, p.srv.Calls("RespondToAuthChallenge"))
}
