package cognitotest

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// associate calls AssociateSoftwareToken with a Session or an access token.
func associate(s *Server, session, accessToken string) (*cip.AssociateSoftwareTokenOutput, error) {
	in := &cip.AssociateSoftwareTokenInput{}
	if session != "" {
		in.Session = aws.String(session)
	}
	if accessToken != "" {
		in.AccessToken = aws.String(accessToken)
	}
	return s.Client().AssociateSoftwareToken(context.Background(), in)
}

// verify calls VerifySoftwareToken with a Session or an access token.
func verify(s *Server, session, accessToken, code, deviceName string) (*cip.VerifySoftwareTokenOutput, error) {
	in := &cip.VerifySoftwareTokenInput{UserCode: aws.String(code)}
	if session != "" {
		in.Session = aws.String(session)
	}
	if accessToken != "" {
		in.AccessToken = aws.String(accessToken)
	}
	if deviceName != "" {
		in.FriendlyDeviceName = aws.String(deviceName)
	}
	return s.Client().VerifySoftwareToken(context.Background(), in)
}

// MFA_SETUP as amazon-cognito-identity-js runs it: AssociateSoftwareToken
// with the challenge's Session, VerifySoftwareToken with the Session that
// returns, RespondToAuthChallenge with the Session that returns; the user
// then has an authenticator app.
func TestMFASetup(t *testing.T) {
	for _, flow := range signInFlows {
		t.Run(flow, func(t *testing.T) {
			t.Parallel()
			clock := newFakeClock(testEpoch)
			s := newTestServer(t, WithClock(clock.Now), WithMFARequired(), WithClientSecret("shh"))
			s.AddUser("nora", "pw")
			s.AddAlias("nora", "nora@example.com")

			st := mustSignInBy(t, s, flow, "nora@example.com", "pw")
			requireChallenge(t, st, types.ChallengeNameTypeMfaSetup, "nora")
			assert.Equal(t, map[string]string{"MFAS_CAN_SETUP": `["SOFTWARE_TOKEN_MFA"]`, "USER_ID_FOR_SRP": "nora"}, st.params)

			// Answering before the set-up is a wrong auth state, and uses
			// the Session up.
			_, err := answer(s, st, types.ChallengeNameTypeMfaSetup, "nora", nil)
			requireAPIError(t, err, "CodeMismatchException", codeMismatch)
			_, err = associate(s, aws.ToString(st.session), "")
			requireAPIError(t, err, "NotAuthorizedException", sessionExpired)

			st = mustSignInBy(t, s, flow, "nora@example.com", "pw")
			assoc, err := associate(s, aws.ToString(st.session), "")
			require.NoError(t, err)
			secret := aws.ToString(assoc.SecretCode)
			assert.Regexp(t, `^[A-Z2-7]{32}$`, secret)
			require.NotEmpty(t, aws.ToString(assoc.Session))
			assert.NotEqual(t, aws.ToString(st.session), aws.ToString(assoc.Session))
			assert.Empty(t, s.TOTPSecret("nora"), "not the user's until verified")

			code := totpCode(t, secret, clock.Now())
			ver, err := verify(s, aws.ToString(assoc.Session), "", code, "Nora's phone")
			require.NoError(t, err)
			assert.Equal(t, types.VerifySoftwareTokenResponseTypeSuccess, ver.Status)
			require.NotEmpty(t, aws.ToString(ver.Session))
			assert.Equal(t, secret, s.TOTPSecret("nora"))

			// The Session that VerifySoftwareToken returned finishes the
			// sign-in; USERNAME may be the alias.
			st.session = ver.Session
			requireTokens(t, mustAnswer(t, s, st, types.ChallengeNameTypeMfaSetup, "nora@example.com", nil), "nora")

			// The next sign-in meets the new authenticator, by its name; the
			// code used to verify it is not accepted again.
			st = mustSignInBy(t, s, flow, "nora", "pw")
			requireChallenge(t, st, types.ChallengeNameTypeSoftwareTokenMfa, "nora")
			assert.Equal(t, "Nora's phone", st.params["FRIENDLY_DEVICE_NAME"])
			_, err = answer(s, st, types.ChallengeNameTypeSoftwareTokenMfa, "nora", map[string]string{"SOFTWARE_TOKEN_MFA_CODE": code})
			requireAPIError(t, err, "CodeMismatchException", codeMismatch)
			clock.Advance(30 * time.Second)
			st = mustSignInBy(t, s, flow, "nora", "pw")
			requireTokens(t, mustAnswer(t, s, st, types.ChallengeNameTypeSoftwareTokenMfa, "nora",
				map[string]string{"SOFTWARE_TOKEN_MFA_CODE": totpCode(t, secret, clock.Now())}), "nora")
		})
	}
}

func TestMFASetupErrors(t *testing.T) {
	tests := []struct {
		name string
		// do runs from the MFA_SETUP challenge st and returns the error
		// expected.
		do        func(t *testing.T, s *Server, clock *fakeClock, st step) error
		code, msg string
	}{
		{"wrong code", func(t *testing.T, s *Server, clock *fakeClock, st step) error {
			assoc, err := associate(s, aws.ToString(st.session), "")
			require.NoError(t, err)
			_, err = verify(s, aws.ToString(assoc.Session), "", otherCode(totpCode(t, aws.ToString(assoc.SecretCode), clock.Now())), "")
			requireAPIError(t, err, "EnableSoftwareTokenMFAException", "Code mismatch and fail enable Software Token MFA")
			// The Session is used up.
			_, err = verify(s, aws.ToString(assoc.Session), "", totpCode(t, aws.ToString(assoc.SecretCode), clock.Now()), "")
			return err
		}, "NotAuthorizedException", sessionExpired},
		{"verify before associate", func(t *testing.T, s *Server, clock *fakeClock, st step) error {
			_, err := verify(s, aws.ToString(st.session), "", "123456", "")
			return err
		}, "NotAuthorizedException", "Invalid session for the user."},
		{"answer with the associate Session", func(t *testing.T, s *Server, clock *fakeClock, st step) error {
			assoc, err := associate(s, aws.ToString(st.session), "")
			require.NoError(t, err)
			st.session = assoc.Session
			_, err = answer(s, st, types.ChallengeNameTypeMfaSetup, "olly", nil)
			return err
		}, "CodeMismatchException", codeMismatch},
		{"associate with another challenge's Session", func(t *testing.T, s *Server, clock *fakeClock, st step) error {
			s.RequireNewPassword("olly")
			st = mustSignInBy(t, s, "password", "olly", "pw")
			_, err := associate(s, aws.ToString(st.session), "")
			return err
		}, "NotAuthorizedException", "Invalid session for the user."},
		{"expired", func(t *testing.T, s *Server, clock *fakeClock, st step) error {
			assoc, err := associate(s, aws.ToString(st.session), "")
			require.NoError(t, err)
			clock.Advance(3 * time.Minute)
			_, err = verify(s, aws.ToString(assoc.Session), "", totpCode(t, aws.ToString(assoc.SecretCode), clock.Now()), "")
			return err
		}, "NotAuthorizedException", sessionExpired},
		{"both Session and access token", func(t *testing.T, s *Server, clock *fakeClock, st step) error {
			_, err := associate(s, aws.ToString(st.session), "x.y.z")
			return err
		}, "InvalidParameterException", "Only one of AccessToken and Session can be given"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			clock := newFakeClock(testEpoch)
			s := newTestServer(t, WithClock(clock.Now), WithMFARequired())
			s.AddUser("olly", "pw")
			st := mustSignInBy(t, s, "password", "olly", "pw")
			requireChallenge(t, st, types.ChallengeNameTypeMfaSetup, "olly")
			requireAPIError(t, tt.do(t, s, clock, st), tt.code, tt.msg)
			assert.Empty(t, s.TOTPSecret("olly"))
		})
	}
}

// A signed-in user sets up an authenticator with their access token.
func TestSoftwareTokenWithAccessToken(t *testing.T) {
	t.Parallel()
	clock := newFakeClock(testEpoch)
	s := newTestServer(t, WithClock(clock.Now), WithTokenLifetime(10*time.Minute))
	s.AddUser("pat", "pw")
	s.AddUser("quinn", "pw")
	access := aws.ToString(mustSignInBy(t, s, "password", "pat", "pw").result.AccessToken)

	_, err := verify(s, "", access, "123456", "")
	requireAPIError(t, err, "InvalidParameterException", "AssociateSoftwareToken was not called for the user")

	assoc, err := associate(s, "", access)
	require.NoError(t, err)
	assert.Nil(t, assoc.Session, "no Session for a signed-in user")
	secret := aws.ToString(assoc.SecretCode)
	assert.Regexp(t, `^[A-Z2-7]{32}$`, secret)

	_, err = verify(s, "", access, otherCode(totpCode(t, secret, clock.Now())), "")
	requireAPIError(t, err, "EnableSoftwareTokenMFAException", "Code mismatch and fail enable Software Token MFA")
	assert.Empty(t, s.TOTPSecret("pat"))
	ver, err := verify(s, "", access, totpCode(t, secret, clock.Now()), "")
	require.NoError(t, err)
	assert.Equal(t, types.VerifySoftwareTokenResponseTypeSuccess, ver.Status)
	assert.Nil(t, ver.Session)
	assert.Equal(t, secret, s.TOTPSecret("pat"))
	assert.Empty(t, s.TOTPSecret("quinn"))

	st := mustSignInBy(t, s, "srp", "pat", "pw")
	requireChallenge(t, st, types.ChallengeNameTypeSoftwareTokenMfa, "pat")
	assert.NotContains(t, st.params, "FRIENDLY_DEVICE_NAME")

	// Access tokens that are not this server's, or no longer valid.
	other := newTestServer(t)
	other.AddUser("pat", "pw")
	otherAccess := aws.ToString(mustSignInBy(t, other, "password", "pat", "pw").result.AccessToken)
	id := aws.ToString(mustSignInBy(t, s, "password", "quinn", "pw").result.IdToken)
	for name, tok := range map[string]string{
		"another pool's": otherAccess,
		"ID token":       id,
		"not a JWT":      "abc",
		"bad signature":  access[:len(access)-4] + "AAAA",
	} {
		_, err := associate(s, "", tok)
		requireAPIError(t, err, "NotAuthorizedException", "Invalid Access Token")
		assert.NotContains(t, err.Error(), tok, name)
	}
	clock.Advance(10 * time.Minute)
	_, err = associate(s, "", access)
	requireAPIError(t, err, "NotAuthorizedException", "Access Token has expired")
	_, err = associate(s, "", "")
	requireAPIError(t, err, "InvalidParameterException", "Missing required parameter AccessToken or Session")
	// The SDK refuses to send a VerifySoftwareToken without UserCode.
	_, h, doc := post(t, s, targetPrefix+"VerifySoftwareToken", `{"AccessToken":"`+access+`"}`)
	assert.Equal(t, "InvalidParameterException", h.Get("x-amzn-ErrorType"))
	assert.Equal(t, "Missing required parameter UserCode", doc["message"])
}

func TestMasks(t *testing.T) {
	tests := []struct{ in, phone, email string }{
		{in: "+15555550100", phone: "+*******0100"},
		{in: "+4915112345678", phone: "+*********5678"},
		{in: "+12345", phone: "+*2345"},
		{in: "alice@example.com", email: "a***@e***.com"},
		{in: "b@mail.example.co.uk", email: "b***@m***.uk"},
		{in: "élodie@exemple.fr", email: "é***@e***.fr"},
		{in: "root@localhost", email: "r***@l***"},
	}
	for _, tt := range tests {
		if tt.phone != "" {
			assert.Equal(t, tt.phone, maskPhone(tt.in))
		} else {
			assert.Equal(t, tt.email, maskEmail(tt.in))
		}
	}
}
