package cognitotest

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/smithy-go"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	"github.com/stretchr/testify/require"

	jwtclaims "github.com/seed-e8acf5fd/cognito/internal/jwt"
	"github.com/seed-e8acf5fd/cognito/internal/srp"
)

// newTestServer starts a server that is closed when the test ends.
func newTestServer(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s := NewServer(opts...)
	t.Cleanup(s.Close)
	return s
}

// fakeClock is a settable clock for WithClock.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock(t time.Time) *fakeClock { return &fakeClock{now: t} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// withSalts makes AddUser take its salts from the list, in order.
func withSalts(salts ...[]byte) Option {
	var mu sync.Mutex
	return func(c *config) {
		c.salt = func() []byte {
			mu.Lock()
			defer mu.Unlock()
			next := salts[0]
			salts = salts[1:]
			return next
		}
	}
}

// withMaxSessions caps the pending PASSWORD_VERIFIER sessions at n.
func withMaxSessions(n int) Option {
	return func(c *config) { c.maxSessions = n }
}

// pendingSessions reports how many PASSWORD_VERIFIER sessions the server
// holds.
func pendingSessions(s *Server) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessions.len()
}

// checkCounter counts the password checks of a server, by kind.
type checkCounter struct {
	mu     sync.Mutex
	counts map[string]int
}

// option makes the server report its password checks to c.
func (c *checkCounter) option() Option {
	return func(cfg *config) {
		cfg.checked = func(kind string) {
			c.mu.Lock()
			defer c.mu.Unlock()
			c.counts[kind]++
		}
	}
}

// take returns the counts so far and starts again from zero.
func (c *checkCounter) take() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	counts := c.counts
	c.counts = map[string]int{}
	return counts
}

// secretHash is the SECRET_HASH a client computes.
func secretHash(s *Server, username string) string {
	m := hmac.New(sha256.New, []byte(s.ClientSecret))
	m.Write([]byte(username + s.ClientID))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// withHash adds SECRET_HASH over username to params when the client has a
// secret.
func withHash(s *Server, params map[string]string, username string) map[string]string {
	if s.ClientSecret != "" {
		params["SECRET_HASH"] = secretHash(s, username)
	}
	return params
}

// srpStart sends USER_SRP_AUTH for the typed name and returns the client
// key pair and the challenge.
func srpStart(t testing.TB, s *Server, typed string) (*srp.Client, *cip.InitiateAuthOutput, error) {
	t.Helper()
	cl, err := srp.NewClient(rand.Reader)
	require.NoError(t, err)
	out, err := s.Client().InitiateAuth(context.Background(), &cip.InitiateAuthInput{
		AuthFlow:       types.AuthFlowTypeUserSrpAuth,
		ClientId:       aws.String(s.ClientID),
		AuthParameters: withHash(s, map[string]string{"USERNAME": typed, "SRP_A": cl.PublicHex()}, typed),
	})
	return cl, out, err
}

// srpProof computes the PASSWORD_VERIFIER answer to a challenge, signed at
// timestamp, with SECRET_HASH over USER_ID_FOR_SRP when needed.
func srpProof(t testing.TB, s *Server, cl *srp.Client, ch *cip.InitiateAuthOutput, password, timestamp string) map[string]string {
	t.Helper()
	require.Equal(t, types.ChallengeNameTypePasswordVerifier, ch.ChallengeName)
	p := ch.ChallengeParameters
	userID := p["USER_ID_FOR_SRP"]
	salt, err := srp.ParseHex(p["SALT"])
	require.NoError(t, err)
	b, err := srp.ParseHex(p["SRP_B"])
	require.NoError(t, err)
	key, err := cl.Key(salt, b, s.poolName, userID, password)
	require.NoError(t, err)
	block, err := base64.StdEncoding.DecodeString(p["SECRET_BLOCK"])
	require.NoError(t, err)
	return withHash(s, map[string]string{
		"USERNAME":                    userID,
		"PASSWORD_CLAIM_SECRET_BLOCK": p["SECRET_BLOCK"],
		"PASSWORD_CLAIM_SIGNATURE":    srp.Signature(key, s.poolName, userID, block, timestamp),
		"TIMESTAMP":                   timestamp,
	}, userID)
}

// srpRespond sends a PASSWORD_VERIFIER answer.
func srpRespond(ctx context.Context, s *Server, responses map[string]string) (*cip.RespondToAuthChallengeOutput, error) {
	return s.Client().RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{
		ChallengeName:      types.ChallengeNameTypePasswordVerifier,
		ClientId:           aws.String(s.ClientID),
		ChallengeResponses: responses,
	})
}

// srpSignIn runs a whole SRP sign-in at the server's current time.
func srpSignIn(t testing.TB, s *Server, typed, password string) (*cip.RespondToAuthChallengeOutput, error) {
	t.Helper()
	cl, ch, err := srpStart(t, s, typed)
	if err != nil {
		return nil, err
	}
	return srpRespond(context.Background(), s, srpProof(t, s, cl, ch, password, srp.Timestamp(s.now())))
}

// passwordSignIn runs a USER_PASSWORD_AUTH sign-in.
func passwordSignIn(s *Server, typed, password string) (*cip.InitiateAuthOutput, error) {
	return s.Client().InitiateAuth(context.Background(), &cip.InitiateAuthInput{
		AuthFlow:       types.AuthFlowTypeUserPasswordAuth,
		ClientId:       aws.String(s.ClientID),
		AuthParameters: withHash(s, map[string]string{"USERNAME": typed, "PASSWORD": password}, typed),
	})
}

// refresh runs REFRESH_TOKEN_AUTH with SECRET_HASH over hashName when the
// client has a secret.
func refresh(s *Server, token, hashName string) (*cip.InitiateAuthOutput, error) {
	return s.Client().InitiateAuth(context.Background(), &cip.InitiateAuthInput{
		AuthFlow:       types.AuthFlowTypeRefreshTokenAuth,
		ClientId:       aws.String(s.ClientID),
		AuthParameters: withHash(s, map[string]string{"REFRESH_TOKEN": token}, hashName),
	})
}

// claims decodes a JWT's payload without verifying it.
func claims(t testing.TB, jwt string) map[string]any {
	t.Helper()
	var c map[string]any
	require.NoError(t, jwtclaims.DecodeUnverified(jwt, &c))
	return c
}

// requireNotAuthorized checks that err is a NotAuthorizedException with msg.
func requireNotAuthorized(t testing.TB, err error, msg string) {
	t.Helper()
	var na *types.NotAuthorizedException
	require.ErrorAs(t, err, &na)
	require.Equal(t, msg, na.ErrorMessage())
}

// step is where a sign-in stands after a call: a challenge, with its
// parameters and Session, or tokens.
type step struct {
	name    types.ChallengeNameType
	params  map[string]string
	session *string
	result  *types.AuthenticationResultType
}

func initiateStep(out *cip.InitiateAuthOutput) step {
	return step{out.ChallengeName, out.ChallengeParameters, out.Session, out.AuthenticationResult}
}

func respondStep(out *cip.RespondToAuthChallengeOutput) step {
	return step{out.ChallengeName, out.ChallengeParameters, out.Session, out.AuthenticationResult}
}

// signInFlows are the two sign-ins by password, by name.
var signInFlows = []string{"srp", "password"}

// signInBy runs the sign-in flow ("srp" or "password") as typed with
// password, and returns the step that follows the password.
func signInBy(t testing.TB, s *Server, flow, typed, password string) (step, error) {
	t.Helper()
	if flow == "srp" {
		out, err := srpSignIn(t, s, typed, password)
		if err != nil {
			return step{}, err
		}
		return respondStep(out), nil
	}
	out, err := passwordSignIn(s, typed, password)
	if err != nil {
		return step{}, err
	}
	return initiateStep(out), nil
}

// mustSignInBy is signInBy that fails the test on an error.
func mustSignInBy(t testing.TB, s *Server, flow, typed, password string) step {
	t.Helper()
	st, err := signInBy(t, s, flow, typed, password)
	require.NoError(t, err)
	return st
}

// answer sends RespondToAuthChallenge for challenge with the Session of
// st, USERNAME username, SECRET_HASH over it when the client has a secret,
// and responses.
func answer(s *Server, st step, challenge types.ChallengeNameType, username string, responses map[string]string) (step, error) {
	r := withHash(s, map[string]string{"USERNAME": username}, username)
	for k, v := range responses {
		r[k] = v
	}
	out, err := s.Client().RespondToAuthChallenge(context.Background(), &cip.RespondToAuthChallengeInput{
		ChallengeName:      challenge,
		ClientId:           aws.String(s.ClientID),
		Session:            st.session,
		ChallengeResponses: r,
	})
	if err != nil {
		return step{}, err
	}
	return respondStep(out), nil
}

// mustAnswer is answer that fails the test on an error.
func mustAnswer(t testing.TB, s *Server, st step, challenge types.ChallengeNameType, username string, responses map[string]string) step {
	t.Helper()
	next, err := answer(s, st, challenge, username, responses)
	require.NoError(t, err)
	return next
}

// requireChallenge checks that st is challenge for the user named
// username, with a Session and no tokens.
func requireChallenge(t testing.TB, st step, challenge types.ChallengeNameType, username string) {
	t.Helper()
	require.Equal(t, challenge, st.name)
	require.Nil(t, st.result)
	require.NotEmpty(t, aws.ToString(st.session))
	require.Equal(t, username, st.params["USER_ID_FOR_SRP"])
}

// requireTokens checks that st is tokens for the user named username.
func requireTokens(t testing.TB, st step, username string) {
	t.Helper()
	require.Empty(t, st.name)
	require.NotNil(t, st.result)
	require.Equal(t, username, claims(t, aws.ToString(st.result.AccessToken))["username"])
	require.NotEmpty(t, aws.ToString(st.result.RefreshToken))
}

// requireAPIError checks that err is the API error code with message msg.
func requireAPIError(t testing.TB, err error, code, msg string) {
	t.Helper()
	var apiErr smithy.APIError
	require.ErrorAs(t, err, &apiErr)
	require.Equal(t, code, apiErr.ErrorCode())
	require.Equal(t, msg, apiErr.ErrorMessage())
}

// The error messages of challenge answers.
const (
	sessionExpired = "Invalid session for the user, session is expired."
	codeMismatch   = "Invalid code or auth state for the user."
)

// totpCode returns the TOTP code of secret at time at, as an
// authenticator app computes it.
func totpCode(t testing.TB, secret string, at time.Time) string {
	t.Helper()
	code, err := totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	require.NoError(t, err)
	return code
}

// testSecret is a base32 TOTP secret for the tests.
const testSecret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
