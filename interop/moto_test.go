package interop_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"maps"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/pquerna/otp/totp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/seed-e8acf5fd/cognito"
	"github.com/seed-e8acf5fd/cognito/internal/motoserver"
)

// --- the token source against moto's Cognito (NOTES.md, "moto_server") ---

// motoTOTPSecret is the authenticator secret moto 5.2 hands out to every
// user (COGNITO_TOTP_MFA_SECRET in moto/cognitoidp/models.py).
const motoTOTPSecret = "asdfasdfasdf"

// apiCall is one call the token source made through a recordingAPI.
type apiCall struct {
	op         string            // InitiateAuth, RespondToAuthChallenge, AssociateSoftwareToken, VerifySoftwareToken
	name       string            // the AuthFlow or ChallengeName sent
	params     map[string]string // AuthParameters or ChallengeResponses sent; UserCode for VerifySoftwareToken
	session    string            // the Session sent
	gotName    string            // the ChallengeName received
	gotParams  map[string]string // the ChallengeParameters received
	gotSession string            // the Session received
	err        error
}

// recordingAPI is an SDK client that records the calls the token source
// makes through it. It has AssociateSoftwareToken and VerifySoftwareToken,
// which MFA_SETUP needs.
type recordingAPI struct {
	*cip.Client
	mu    sync.Mutex
	calls []apiCall
}

func (r *recordingAPI) record(c apiCall) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, c)
}

// log returns the calls so far, and forgets them.
func (r *recordingAPI) log() []apiCall {
	r.mu.Lock()
	defer r.mu.Unlock()
	calls := r.calls
	r.calls = nil
	return calls
}

// ops returns the calls as "Operation NAME" lines, for comparing sequences.
func ops(calls []apiCall) []string {
	var out []string
	for _, c := range calls {
		out = append(out, strings.TrimSpace(c.op+" "+c.name))
	}
	return out
}

func (r *recordingAPI) InitiateAuth(ctx context.Context, in *cip.InitiateAuthInput, opts ...func(*cip.Options)) (*cip.InitiateAuthOutput, error) {
	out, err := r.Client.InitiateAuth(ctx, in, opts...)
	c := apiCall{op: "InitiateAuth", name: string(in.AuthFlow), params: maps.Clone(in.AuthParameters), err: err}
	if out != nil {
		c.gotName, c.gotParams, c.gotSession = string(out.ChallengeName), out.ChallengeParameters, aws.ToString(out.Session)
	}
	r.record(c)
	return out, err
}

func (r *recordingAPI) RespondToAuthChallenge(ctx context.Context, in *cip.RespondToAuthChallengeInput, opts ...func(*cip.Options)) (*cip.RespondToAuthChallengeOutput, error) {
	out, err := r.Client.RespondToAuthChallenge(ctx, in, opts...)
	c := apiCall{op: "RespondToAuthChallenge", name: string(in.ChallengeName), params: maps.Clone(in.ChallengeResponses),
		session: aws.ToString(in.Session), err: err}
	if out != nil {
		c.gotName, c.gotParams, c.gotSession = string(out.ChallengeName), out.ChallengeParameters, aws.ToString(out.Session)
	}
	r.record(c)
	return out, err
}

func (r *recordingAPI) AssociateSoftwareToken(ctx context.Context, in *cip.AssociateSoftwareTokenInput, opts ...func(*cip.Options)) (*cip.AssociateSoftwareTokenOutput, error) {
	out, err := r.Client.AssociateSoftwareToken(ctx, in, opts...)
	c := apiCall{op: "AssociateSoftwareToken", session: aws.ToString(in.Session), err: err}
	if out != nil {
		c.gotSession = aws.ToString(out.Session)
	}
	r.record(c)
	return out, err
}

func (r *recordingAPI) VerifySoftwareToken(ctx context.Context, in *cip.VerifySoftwareTokenInput, opts ...func(*cip.Options)) (*cip.VerifySoftwareTokenOutput, error) {
	out, err := r.Client.VerifySoftwareToken(ctx, in, opts...)
	c := apiCall{op: "VerifySoftwareToken", params: map[string]string{"UserCode": aws.ToString(in.UserCode)},
		session: aws.ToString(in.Session), err: err}
	if out != nil {
		c.gotName, c.gotSession = string(out.Status), aws.ToString(out.Session)
	}
	r.record(c)
	return out, err
}

// motoPool is a user pool in moto with one app client.
type motoPool struct {
	srv          *motoserver.Server
	id           string
	clientID     string
	clientSecret string // "" for an app client without a secret
}

// motoPoolOptions say what kind of pool newMotoPool makes.
type motoPoolOptions struct {
	secret      bool // the app client has a generated secret
	requireTOTP bool // MFA is required, by authenticator app (TOTP)
	emailLogin  bool // users sign in by email; their name is a UUID
}

// newMotoPool creates a pool and an app client allowing password, SRP and
// refresh-token sign-in (moto enforces none of these).
func newMotoPool(ctx context.Context, t *testing.T, srv *motoserver.Server, o motoPoolOptions) *motoPool {
	t.Helper()
	in := &cip.CreateUserPoolInput{PoolName: aws.String("interop")}
	if o.emailLogin {
		in.UsernameAttributes = []types.UsernameAttributeType{types.UsernameAttributeTypeEmail}
	}
	pool, err := srv.Client.CreateUserPool(ctx, in)
	require.NoError(t, err)
	p := &motoPool{srv: srv, id: aws.ToString(pool.UserPool.Id)}
	require.True(t, strings.HasPrefix(p.id, motoserver.Region+"_"), p.id)
	if o.requireTOTP {
		_, err = srv.Client.SetUserPoolMfaConfig(ctx, &cip.SetUserPoolMfaConfigInput{
			UserPoolId:                    aws.String(p.id),
			MfaConfiguration:              types.UserPoolMfaTypeOn,
			SoftwareTokenMfaConfiguration: &types.SoftwareTokenMfaConfigType{Enabled: true},
		})
		require.NoError(t, err)
	}
	app, err := srv.Client.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{
		UserPoolId:     aws.String(p.id),
		ClientName:     aws.String("interop"),
		GenerateSecret: o.secret,
		ExplicitAuthFlows: []types.ExplicitAuthFlowsType{
			types.ExplicitAuthFlowsTypeAllowUserPasswordAuth,
			types.ExplicitAuthFlowsTypeAllowUserSrpAuth,
			types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth,
		},
	})
	require.NoError(t, err)
	p.clientID = aws.ToString(app.UserPoolClient.ClientId)
	p.clientSecret = aws.ToString(app.UserPoolClient.ClientSecret)
	require.Equal(t, o.secret, p.clientSecret != "")
	return p
}

// addUser creates a user with a temporary password (FORCE_CHANGE_PASSWORD):
// their first sign-in meets NEW_PASSWORD_REQUIRED.
func (p *motoPool) addUser(ctx context.Context, t *testing.T, username, temporary string) {
	t.Helper()
	_, err := p.srv.Client.AdminCreateUser(ctx, &cip.AdminCreateUserInput{
		UserPoolId:        aws.String(p.id),
		Username:          aws.String(username),
		TemporaryPassword: aws.String(temporary),
		MessageAction:     types.MessageActionTypeSuppress,
	})
	require.NoError(t, err)
}

// config returns a password-flow Config for username in p, and the
// recording client it calls.
func (p *motoPool) config(username, password string, h cognito.ChallengeHandler) (*cognito.Config, *recordingAPI) {
	api := &recordingAPI{Client: p.srv.Client}
	return &cognito.Config{
		UserPoolID:   p.id,
		ClientID:     p.clientID,
		ClientSecret: p.clientSecret,
		Username:     username,
		Password:     password,
		Flow:         cognito.FlowPassword,
		API:          api,
		Challenge:    h,
	}, api
}

// secretHashOf is SECRET_HASH as Cognito defines it, computed here
// independently of the library: base64(HMAC-SHA256(secret, user ‖ client)),
// or "" without a secret.
func (p *motoPool) secretHashOf(username string) string {
	if p.clientSecret == "" {
		return ""
	}
	m := hmac.New(sha256.New, []byte(p.clientSecret))
	m.Write([]byte(username + p.clientID))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// assertSecretHash checks that the call carried the SECRET_HASH over
// username that the pool's client needs, and none without a secret. Moto
// checks it in only some calls (see NOTES.md), so the test checks all.
func (p *motoPool) assertSecretHash(t *testing.T, c apiCall, username string) {
	t.Helper()
	got, ok := c.params["SECRET_HASH"]
	if p.clientSecret == "" {
		assert.False(t, ok, "%s %s: SECRET_HASH without a client secret", c.op, c.name)
		return
	}
	assert.True(t, got == p.secretHashOf(username), "%s %s: SECRET_HASH is not over %q", c.op, c.name, username)
}

// userStatus returns the user's status in the pool.
func (p *motoPool) userStatus(ctx context.Context, t *testing.T, username string) types.UserStatusType {
	t.Helper()
	out, err := p.srv.Client.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(p.id), Username: aws.String(username)})
	require.NoError(t, err)
	return out.UserStatus
}

// assertTokensOf checks that tok carries an access token whose username
// claim, and an ID token whose cognito:username claim, are username.
func assertTokensOf(t *testing.T, tok *oauth2.Token, username string) {
	t.Helper()
	access, _ := tok.Extra("access_token").(string)
	require.NotEmpty(t, access)
	assert.Equal(t, access, tok.AccessToken)
	claims := payload(t, access)
	assert.Equal(t, "access", claims["token_use"])
	assert.Equal(t, username, claims["username"])
	id := payload(t, cognito.IDToken(tok))
	assert.Equal(t, "id", id["token_use"])
	assert.Equal(t, username, id["cognito:username"])
	assert.NotEmpty(t, tok.RefreshToken)
}

// assertNoSecrets checks that err's message quotes none of secrets.
func assertNoSecrets(t *testing.T, err error, secrets ...string) {
	t.Helper()
	require.Error(t, err)
	assert.True(t, strings.HasPrefix(err.Error(), "cognito: "), err.Error())
	for i, s := range secrets {
		if s != "" {
			assert.False(t, strings.Contains(err.Error(), s), "the error quotes secret #%d: %s", i, err)
		}
	}
}

// totpNow returns the current TOTP code of secret, first waiting out the
// end of a 30-second step if it is less than 2 seconds away: moto checks a
// code against the current step only, at the moment the request arrives.
func totpNow(secret string) (string, error) {
	awayFromStepEnd()
	return totp.GenerateCode(secret, time.Now())
}

// awayFromStepEnd returns once the current 30-second TOTP step has at
// least 2 seconds left.
func awayFromStepEnd() {
	if left := 30*time.Second - time.Duration(time.Now().UnixNano())%(30*time.Second); left < 2*time.Second {
		time.Sleep(left + 100*time.Millisecond)
	}
}

// otherCode returns a code that differs from code in its last digit.
func otherCode(code string) string {
	if code == "" {
		return "0"
	}
	last := code[len(code)-1]
	return code[:len(code)-1] + string(rune('0'+(last-'0'+1)%10))
}

// newUserHandler answers what a new user's sign-ins meet:
// NEW_PASSWORD_REQUIRED with newPassword; MFA_SETUP with the first code of
// the authenticator it is given (a wrong one when wrongCode is set), whose
// secret it keeps; SOFTWARE_TOKEN_MFA with a code of that secret. It
// records every challenge. The token source never calls it concurrently.
type newUserHandler struct {
	newPassword string
	wrongCode   bool

	seen   []cognito.Challenge
	secret string
}

func (h *newUserHandler) AnswerChallenge(_ context.Context, c *cognito.Challenge) (*cognito.Answer, error) {
	h.seen = append(h.seen, *c)
	switch c.Name {
	case types.ChallengeNameTypeNewPasswordRequired:
		return &cognito.Answer{NewPassword: h.newPassword}, nil
	case types.ChallengeNameTypeMfaSetup:
		h.secret = c.SecretCode
		code, err := totpNow(c.SecretCode)
		if h.wrongCode {
			code = otherCode(code)
		}
		return &cognito.Answer{Code: code}, err
	case types.ChallengeNameTypeSoftwareTokenMfa:
		code, err := totpNow(h.secret)
		return &cognito.Answer{Code: code}, err
	}
	return nil, &cognito.ChallengeError{Challenge: c.Name}
}

func (h *newUserHandler) names() []types.ChallengeNameType {
	var names []types.ChallengeNameType
	for _, c := range h.seen {
		names = append(names, c.Name)
	}
	return names
}

// renewFrom renews tok with a new token source that has no password and
// no handler, as a program restarting from a saved token does, and checks
// that this took one REFRESH_TOKEN_AUTH with the SECRET_HASH over the
// user's pool name.
func renewFrom(ctx context.Context, t *testing.T, p *motoPool, tok *oauth2.Token, username string) *oauth2.Token {
	t.Helper()
	conf, api := p.config(username, "", nil)
	saved := &oauth2.Token{AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken, Expiry: time.Now().Add(-time.Second)}
	renewed, err := conf.TokenSource(ctx, saved).Token()
	require.NoError(t, err)
	calls := api.log()
	require.Equal(t, []string{"InitiateAuth REFRESH_TOKEN_AUTH"}, ops(calls))
	p.assertSecretHash(t, calls[0], username)
	assertTokensOf(t, renewed, username)
	assert.NotEqual(t, tok.AccessToken, renewed.AccessToken)
	assert.Equal(t, tok.RefreshToken, renewed.RefreshToken, "moto's renewals bring no refresh token: the old one is kept")
	return renewed
}

// setUpTOTP takes username, created with a temporary password in a pool
// requiring TOTP, through the first sign-in: NEW_PASSWORD_REQUIRED, then
// MFA_SETUP. It checks every call and returns the tokens and the
// authenticator's secret.
func setUpTOTP(ctx context.Context, t *testing.T, p *motoPool, username, temporary, newPassword string) (*oauth2.Token, string) {
	t.Helper()
	h := &newUserHandler{newPassword: newPassword}
	conf, api := p.config(username, temporary, h)
	tok, err := conf.TokenSource(ctx, nil).Token()
	require.NoError(t, err)
	assertTokensOf(t, tok, username)

	require.Equal(t, []types.ChallengeNameType{types.ChallengeNameTypeNewPasswordRequired, types.ChallengeNameTypeMfaSetup}, h.names())
	setUp := h.seen[1]
	assert.Equal(t, username, setUp.Username)
	assert.Equal(t, []types.ChallengeNameType{types.ChallengeNameTypeSoftwareTokenMfa}, setUp.Factors(), "MFAS_CAN_SETUP, repaired by motoserver")
	assert.Equal(t, motoTOTPSecret, setUp.SecretCode, "moto gives every user the same secret")
	assert.Equal(t, motoTOTPSecret, h.secret)

	calls := api.log()
	require.Equal(t, []string{
		"InitiateAuth USER_PASSWORD_AUTH",
		"RespondToAuthChallenge NEW_PASSWORD_REQUIRED",
		"AssociateSoftwareToken",
		"VerifySoftwareToken",
		"RespondToAuthChallenge MFA_SETUP",
	}, ops(calls))
	initiate, newPass, associate, verify, setUpAnswer := calls[0], calls[1], calls[2], calls[3], calls[4]
	assert.Equal(t, "MFA_SETUP", newPass.gotName)
	// The Session chain: each call carries the Session of the call before.
	assert.Equal(t, initiate.gotSession, newPass.session)
	assert.Equal(t, newPass.gotSession, associate.session)
	assert.Equal(t, associate.gotSession, verify.session)
	assert.Equal(t, string(types.VerifySoftwareTokenResponseTypeSuccess), verify.gotName)
	assert.Regexp(t, `^[0-9]{6}$`, verify.params["UserCode"])
	require.NotEmpty(t, verify.gotSession)
	assert.NotEqual(t, verify.session, verify.gotSession, "VerifySoftwareToken starts a new session")
	assert.Equal(t, verify.gotSession, setUpAnswer.session, "MFA_SETUP is answered with VerifySoftwareToken's Session")
	for _, c := range []apiCall{initiate, newPass, setUpAnswer} {
		assert.Equal(t, username, c.params["USERNAME"], "%s %s", c.op, c.name)
		p.assertSecretHash(t, c, username)
	}
	assert.True(t, newPass.params["NEW_PASSWORD"] == newPassword, "the handler's new password is sent")
	assert.Equal(t, types.UserStatusTypeConfirmed, p.userStatus(ctx, t, username))
	return tok, h.secret
}

// TestMoto runs the token source's challenge answering against moto's
// Cognito, with an app client without and with a secret: a new password,
// the set-up of an authenticator app, sign-ins answered with TOTP codes,
// wrong codes, and renewals after each. It signs in with FlowPassword:
// the library's SRP cannot get through moto's fake SRP (the "SRP" case).
func TestMoto(t *testing.T) {
	t.Parallel()
	srv := motoserver.Start(t, 0)
	ctx := t.Context()

	apps := []struct {
		name   string
		secret bool
	}{
		{"public client", false},
		{"client with secret", true},
	}
	for _, app := range apps {
		t.Run(app.name, func(t *testing.T) {
			t.Run("new password", func(t *testing.T) {
				p := newMotoPool(ctx, t, srv, motoPoolOptions{secret: app.secret})
				const user, temporary, newPassword = "alice", "Temp-0rary", "Ünïcødé-N3w!"
				p.addUser(ctx, t, user, temporary)
				require.Equal(t, types.UserStatusTypeForceChangePassword, p.userStatus(ctx, t, user))

				h := &newUserHandler{newPassword: newPassword}
				conf, api := p.config(user, temporary, h)
				tok, err := conf.TokenSource(ctx, nil).Token()
				require.NoError(t, err)
				assertTokensOf(t, tok, user)
				assert.WithinDuration(t, time.Now().Add(time.Hour), tok.Expiry, 10*time.Second, "moto's tokens live an hour")

				require.Equal(t, []types.ChallengeNameType{types.ChallengeNameTypeNewPasswordRequired}, h.names())
				c := h.seen[0]
				assert.Equal(t, user, c.Username)
				// Cognito sends USER_ID_FOR_SRP, userAttributes and
				// requiredAttributes; moto only USERNAME.
				assert.Equal(t, map[string]string{"USERNAME": user}, c.Parameters)
				assert.Empty(t, c.RequiredAttributes())

				calls := api.log()
				require.Equal(t, []string{"InitiateAuth USER_PASSWORD_AUTH", "RespondToAuthChallenge NEW_PASSWORD_REQUIRED"}, ops(calls))
				assert.Equal(t, calls[0].gotSession, calls[1].session)
				assert.True(t, calls[1].params["NEW_PASSWORD"] == newPassword, "the handler's new password is sent")
				for _, c := range calls {
					assert.Equal(t, user, c.params["USERNAME"])
					p.assertSecretHash(t, c, user)
				}
				assert.Equal(t, types.UserStatusTypeConfirmed, p.userStatus(ctx, t, user))

				// The temporary password is gone; the new one signs in
				// without a challenge.
				_, err = conf.Token(ctx)
				var notAuth *types.NotAuthorizedException
				require.ErrorAs(t, err, &notAuth)
				assertNoSecrets(t, err, temporary, p.clientSecret)
				again := *conf
				again.Password, again.Challenge = newPassword, nil
				tok2, err := again.Token(ctx)
				require.NoError(t, err)
				assertTokensOf(t, tok2, user)

				renewFrom(ctx, t, p, tok, user)
			})

			t.Run("MFA set-up, then TOTP", func(t *testing.T) {
				p := newMotoPool(ctx, t, srv, motoPoolOptions{secret: app.secret, requireTOTP: true})
				const user, temporary, newPassword = "bob", "Temp-0rary", "N3w-Passw0rd!"
				p.addUser(ctx, t, user, temporary)
				first, secret := setUpTOTP(ctx, t, p, user, temporary, newPassword)
				renewFrom(ctx, t, p, first, user)

				// A later sign-in, answered by the library's own TOTP handler.
				conf, api := p.config(user, newPassword, cognito.TOTP(secret))
				awayFromStepEnd()
				tok, err := conf.TokenSource(ctx, nil).Token()
				require.NoError(t, err)
				assertTokensOf(t, tok, user)
				assert.NotEqual(t, first.RefreshToken, tok.RefreshToken)
				calls := api.log()
				require.Equal(t, []string{"InitiateAuth USER_PASSWORD_AUTH", "RespondToAuthChallenge SOFTWARE_TOKEN_MFA"}, ops(calls))
				answer := calls[1]
				assert.Equal(t, calls[0].gotSession, answer.session)
				assert.Empty(t, calls[0].gotParams, "moto's SOFTWARE_TOKEN_MFA has no parameters")
				assert.Equal(t, user, answer.params["USERNAME"])
				assert.Regexp(t, `^[0-9]{6}$`, answer.params["SOFTWARE_TOKEN_MFA_CODE"])
				p.assertSecretHash(t, answer, user)
				renewFrom(ctx, t, p, tok, user)

				// Without a handler, the challenge is a typed error.
				noHandler, _ := p.config(user, newPassword, nil)
				_, err = noHandler.Token(ctx)
				var challenge *cognito.ChallengeError
				require.ErrorAs(t, err, &challenge)
				assert.Equal(t, types.ChallengeNameTypeSoftwareTokenMfa, challenge.Challenge)
			})

			t.Run("wrong TOTP code", func(t *testing.T) {
				p := newMotoPool(ctx, t, srv, motoPoolOptions{secret: app.secret, requireTOTP: true})
				const temporary, newPassword = "Temp-0rary", "N3w-Passw0rd!"
				var mismatch *types.CodeMismatchException

				// At MFA_SETUP: VerifySoftwareToken refuses the code.
				p.addUser(ctx, t, "carol", temporary)
				h := &newUserHandler{newPassword: newPassword, wrongCode: true}
				conf, api := p.config("carol", temporary, h)
				ts := conf.TokenSource(ctx, nil)
				_, err := ts.Token()
				require.ErrorAs(t, err, &mismatch, "moto: CodeMismatchException; Cognito: EnableSoftwareTokenMFAException")
				assert.Contains(t, mismatch.ErrorMessage(), "Code mismatch")
				assertNoSecrets(t, err, temporary, newPassword, p.clientSecret, motoTOTPSecret)
				calls := api.log()
				require.Equal(t, []string{
					"InitiateAuth USER_PASSWORD_AUTH",
					"RespondToAuthChallenge NEW_PASSWORD_REQUIRED",
					"AssociateSoftwareToken",
					"VerifySoftwareToken",
				}, ops(calls))
				assertNoSecrets(t, err, calls[3].params["UserCode"])
				// A refused code backs off like a wrong password.
				_, err = ts.Token()
				require.ErrorAs(t, err, &mismatch)
				assert.Empty(t, api.log(), "no second try at once")

				// At SOFTWARE_TOKEN_MFA: RespondToAuthChallenge refuses it.
				p.addUser(ctx, t, "dave", temporary)
				_, secret := setUpTOTP(ctx, t, p, "dave", temporary, newPassword)
				wrong := cognito.ChallengeFunc(func(context.Context, *cognito.Challenge) (*cognito.Answer, error) {
					code, err := totpNow(secret)
					return &cognito.Answer{Code: otherCode(code)}, err
				})
				conf, api = p.config("dave", newPassword, wrong)
				_, err = conf.Token(ctx)
				require.ErrorAs(t, err, &mismatch)
				assert.Equal(t, "MFA Code Mismatch", mismatch.ErrorMessage())
				calls = api.log()
				require.Equal(t, []string{"InitiateAuth USER_PASSWORD_AUTH", "RespondToAuthChallenge SOFTWARE_TOKEN_MFA"}, ops(calls))
				assertNoSecrets(t, err, newPassword, p.clientSecret, calls[1].params["SOFTWARE_TOKEN_MFA_CODE"], calls[1].params["SECRET_HASH"])

				if !app.secret {
					return
				}
				// A wrong client secret: moto checks SECRET_HASH at
				// SOFTWARE_TOKEN_MFA (not at USER_PASSWORD_AUTH) and puts
				// the hash it got in its error message, which the library
				// must keep out of its own.
				badSecret, api := p.config("dave", newPassword, cognito.TOTP(secret))
				badSecret.ClientSecret = "not-" + p.clientSecret
				awayFromStepEnd()
				_, err = badSecret.Token(ctx)
				var notAuth *types.NotAuthorizedException
				require.ErrorAs(t, err, &notAuth)
				calls = api.log()
				require.Equal(t, []string{"InitiateAuth USER_PASSWORD_AUTH", "RespondToAuthChallenge SOFTWARE_TOKEN_MFA"}, ops(calls))
				sentHash := calls[1].params["SECRET_HASH"]
				require.NotEmpty(t, sentHash)
				assert.Equal(t, sentHash, notAuth.ErrorMessage(), "moto echoes the SECRET_HASH")
				assertNoSecrets(t, err, sentHash, badSecret.ClientSecret, newPassword)
			})

			t.Run("email alias", func(t *testing.T) {
				p := newMotoPool(ctx, t, srv, motoPoolOptions{secret: app.secret, emailLogin: true})
				const email, temporary, newPassword = "grace@example.com", "Temp-0rary", "N3w-Passw0rd!"
				p.addUser(ctx, t, email, temporary)
				user, err := srv.Client.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(p.id), Username: aws.String(email)})
				require.NoError(t, err)
				name := aws.ToString(user.Username) // the pool's name for the user: a UUID, also their sub
				require.NotEqual(t, email, name)

				h := &newUserHandler{newPassword: newPassword}
				conf, api := p.config(email, temporary, h)
				tok, err := conf.TokenSource(ctx, nil).Token()
				require.NoError(t, err)
				assertTokensOf(t, tok, name)
				// Moto writes the name the last request gave as the email
				// claim: the library answered NEW_PASSWORD_REQUIRED with
				// the pool's name for the user, as Cognito wants it.
				assert.Equal(t, name, payload(t, cognito.IDToken(tok))["email"])
				require.Equal(t, []types.ChallengeNameType{types.ChallengeNameTypeNewPasswordRequired}, h.names())
				// Moto names the user in USERNAME only: Cognito's
				// USER_ID_FOR_SRP, which the library reads, is missing.
				assert.Equal(t, map[string]string{"USERNAME": name}, h.seen[0].Parameters)
				api.log()

				// Renewal: SECRET_HASH over the pool's name for the user
				// (the username claim), as Cognito wants it. Moto checks it
				// over the name the sign-in's last request gave, which is
				// that name too.
				noPassword, api := p.config(email, "", nil)
				saved := &oauth2.Token{AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken, Expiry: time.Now().Add(-time.Second)}
				renewed, err := noPassword.TokenSource(ctx, saved).Token()
				calls := api.log()
				require.Equal(t, []string{"InitiateAuth REFRESH_TOKEN_AUTH"}, ops(calls))
				p.assertSecretHash(t, calls[0], name)
				require.NoError(t, err)
				assertTokensOf(t, renewed, name)
			})

			t.Run("SRP", func(t *testing.T) {
				// Moto fakes SRP: its SECRET_BLOCK is the session ID, not
				// base64, and USER_ID_FOR_SRP is the user's sub, not their
				// name. The library stops at the SECRET_BLOCK.
				p := newMotoPool(ctx, t, srv, motoPoolOptions{secret: app.secret})
				p.addUser(ctx, t, "erin", "Temp-0rary")
				conf, api := p.config("erin", "Temp-0rary", &newUserHandler{newPassword: "N3w-Passw0rd!"})
				conf.Flow = cognito.FlowSRP
				_, err := conf.Token(ctx)
				require.Error(t, err)
				assert.Contains(t, err.Error(), "SECRET_BLOCK is not base64")
				calls := api.log()
				require.Equal(t, []string{"InitiateAuth USER_SRP_AUTH"}, ops(calls))
				p.assertSecretHash(t, calls[0], "erin") // moto checks this one
				got := calls[0].gotParams
				assert.Equal(t, "PASSWORD_VERIFIER", calls[0].gotName)
				assert.Equal(t, calls[0].gotSession, got["SECRET_BLOCK"])
				assert.Equal(t, "erin", got["USERNAME"])
				assert.NotEqual(t, "erin", got["USER_ID_FOR_SRP"])
				sub, err := p.srv.Client.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(p.id), Username: aws.String("erin")})
				require.NoError(t, err)
				for _, a := range sub.UserAttributes {
					if aws.ToString(a.Name) == "sub" {
						assert.Equal(t, aws.ToString(a.Value), got["USER_ID_FOR_SRP"])
					}
				}
			})
		})
	}
}

// TestMotoLaterSignIn lets one token source live through short-lived
// tokens from moto: a first sign-in with a new password and MFA set-up, a
// renewal, and, once the refresh token is revoked, a second sign-in with
// the new password (not the Config's temporary one) answered with a TOTP
// code, all without the handler seeing NEW_PASSWORD_REQUIRED again.
func TestMotoLaterSignIn(t *testing.T) {
	t.Parallel()
	const lifetime = 2 * time.Second
	srv := motoserver.Start(t, lifetime)
	ctx := t.Context()

	for _, secret := range []bool{false, true} {
		t.Run(fmt.Sprintf("secret=%t", secret), func(t *testing.T) {
			p := newMotoPool(ctx, t, srv, motoPoolOptions{secret: secret, requireTOTP: true})
			const user, temporary, newPassword = "frank", "Temp-0rary", "N3w-Passw0rd!"
			p.addUser(ctx, t, user, temporary)
			h := &newUserHandler{newPassword: newPassword}
			conf, api := p.config(user, temporary, h)
			ts := conf.TokenSource(ctx, nil)

			awayFromStepEnd()
			first, err := ts.Token()
			require.NoError(t, err)
			assertTokensOf(t, first, user)
			assert.WithinDuration(t, time.Now().Add(lifetime), first.Expiry, time.Second)
			assert.Len(t, api.log(), 5)

			// Half its life on, the token is renewed with the refresh token.
			time.Sleep(time.Until(first.Expiry.Add(-lifetime / 2)))
			renewed, err := ts.Token()
			require.NoError(t, err)
			assert.NotEqual(t, first.AccessToken, renewed.AccessToken)
			assertTokensOf(t, renewed, user)
			calls := api.log()
			require.Equal(t, []string{"InitiateAuth REFRESH_TOKEN_AUTH"}, ops(calls))
			p.assertSecretHash(t, calls[0], user)

			// Revoked refresh tokens: the next renewal signs in again.
			_, err = srv.Client.AdminUserGlobalSignOut(ctx, &cip.AdminUserGlobalSignOutInput{UserPoolId: aws.String(p.id), Username: aws.String(user)})
			require.NoError(t, err)
			time.Sleep(time.Until(renewed.Expiry.Add(-lifetime / 2)))
			awayFromStepEnd()
			again, err := ts.Token()
			require.NoError(t, err)
			assertTokensOf(t, again, user)
			assert.NotEqual(t, first.RefreshToken, again.RefreshToken)
			calls = api.log()
			require.Equal(t, []string{
				"InitiateAuth REFRESH_TOKEN_AUTH",
				"InitiateAuth USER_PASSWORD_AUTH",
				"RespondToAuthChallenge SOFTWARE_TOKEN_MFA",
			}, ops(calls))
			var notAuth *types.NotAuthorizedException
			require.ErrorAs(t, calls[0].err, &notAuth)
			assert.Equal(t, "Refresh Token has been revoked", notAuth.ErrorMessage())
			assert.True(t, calls[1].params["PASSWORD"] == newPassword, "the later sign-in sends the new password")
			p.assertSecretHash(t, calls[1], user)
			p.assertSecretHash(t, calls[2], user)
			assert.Equal(t, []types.ChallengeNameType{
				types.ChallengeNameTypeNewPasswordRequired,
				types.ChallengeNameTypeMfaSetup,
				types.ChallengeNameTypeSoftwareTokenMfa,
			}, h.names())
		})
	}
}
