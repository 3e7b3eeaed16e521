package cognito_test

// End-to-end tests of challenge answering against cognitotest.

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-e8acf5fd/cognito"
	"github.com/seed-e8acf5fd/cognito/cognitotest"
)

const newPassword = "a brand-new passwörd"

// totpAt is the authenticator's code for secret at t.
func totpAt(t testing.TB, secret string, at time.Time) string {
	t.Helper()
	code, err := totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	require.NoError(t, err)
	return code
}

// person answers every challenge as a user with their phone in hand
// would, reading SMS and email codes from the pool, and records what was
// asked.
type person struct {
	t      testing.TB
	pool   *cognitotest.Server
	user   string
	choose types.ChallengeNameType // at SELECT_MFA_TYPE

	mu     sync.Mutex
	asked  []types.ChallengeNameType
	secret string // set up at MFA_SETUP
}

func (p *person) AnswerChallenge(_ context.Context, c *cognito.Challenge) (*cognito.Answer, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.asked = append(p.asked, c.Name)
	assert.Equal(p.t, p.user, c.Username, "the handler sees the pool's name")
	switch c.Name {
	case types.ChallengeNameTypeNewPasswordRequired:
		attrs := map[string]string{}
		for _, name := range c.RequiredAttributes() {
			attrs[name] = "value of " + name
		}
		return &cognito.Answer{NewPassword: newPassword, Attributes: attrs}, nil
	case types.ChallengeNameTypeMfaSetup:
		p.secret = c.SecretCode
		return &cognito.Answer{Code: totpAt(p.t, c.SecretCode, time.Now())}, nil
	case types.ChallengeNameTypeSoftwareTokenMfa:
		// The next step's code: the one of this step may have gone to
		// VerifySoftwareToken already, and Cognito takes each code once.
		return &cognito.Answer{Code: totpAt(p.t, p.pool.TOTPSecret(p.user), time.Now().Add(30*time.Second))}, nil
	case types.ChallengeNameTypeSmsMfa, types.ChallengeNameTypeEmailOtp, types.ChallengeNameTypeCustomChallenge:
		return &cognito.Answer{Code: p.pool.LastCode(p.user)}, nil
	case types.ChallengeNameTypeSelectMfaType:
		return &cognito.Answer{MFA: p.choose}, nil
	}
	return nil, &cognito.ChallengeError{Challenge: c.Name}
}

func (p *person) names() []types.ChallengeNameType {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]types.ChallengeNameType(nil), p.asked...)
}

func TestPoolChallenges(t *testing.T) {
	t.Parallel()
	const (
		nwp    = types.ChallengeNameTypeNewPasswordRequired
		setUp  = types.ChallengeNameTypeMfaSetup
		sms    = types.ChallengeNameTypeSmsMfa
		email  = types.ChallengeNameTypeEmailOtp
		soft   = types.ChallengeNameTypeSoftwareTokenMfa
		choose = types.ChallengeNameTypeSelectMfaType
	)
	for _, tc := range []struct {
		name   string
		opts   []cognitotest.Option
		setup  func(*cognitotest.Server)
		choose types.ChallengeNameType
		want   []types.ChallengeNameType
	}{
		{"new password then MFA set-up", []cognitotest.Option{cognitotest.WithMFARequired()},
			func(s *cognitotest.Server) { s.RequireNewPassword(uuid, "name", "family_name") }, "", []types.ChallengeNameType{nwp, setUp}},
		{"TOTP", nil, func(s *cognitotest.Server) { s.SetTOTP(uuid, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP") }, "", []types.ChallengeNameType{soft}},
		{"SMS", nil, func(s *cognitotest.Server) { s.SetSMSMFA(uuid, "+15555550100") }, "", []types.ChallengeNameType{sms}},
		{"email", nil, func(s *cognitotest.Server) { s.SetEmailMFA(uuid, "alice@example.com") }, "", []types.ChallengeNameType{email}},
		{"select TOTP", nil, func(s *cognitotest.Server) {
			s.SetSMSMFA(uuid, "+15555550100")
			s.SetTOTP(uuid, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
		}, soft, []types.ChallengeNameType{choose, soft}},
		{"select SMS", nil, func(s *cognitotest.Server) {
			s.SetSMSMFA(uuid, "+15555550100")
			s.SetTOTP(uuid, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
		}, sms, []types.ChallengeNameType{choose, sms}},
		{"new password then SMS", nil, func(s *cognitotest.Server) {
			s.RequireNewPassword(uuid)
			s.SetSMSMFA(uuid, "+15555550100")
		}, "", []types.ChallengeNameType{nwp, sms}},
	} {
		for _, flow := range []cognito.Flow{cognito.FlowSRP, cognito.FlowPassword} {
			for _, secret := range []bool{false, true} {
				t.Run(fmt.Sprintf("%s/%s/secret=%t", tc.name, flow, secret), func(t *testing.T) {
					t.Parallel()
					opts := tc.opts
					if secret {
						opts = append(opts[:len(opts):len(opts)], cognitotest.WithClientSecret("the-app-client-secret"))
					}
					srv := newPool(t, opts...)
					tc.setup(srv)
					p := &person{t: t, pool: srv, user: uuid, choose: tc.choose}
					conf := configFor(srv, flow)
					conf.Challenge = p
					tok, err := conf.TokenSource(context.Background(), nil).Token()
					require.NoError(t, err)
					assert.Equal(t, uuid, claimsOf(t, tok.AccessToken)["username"])
					assert.Equal(t, tc.want, p.names())
					assert.Equal(t, len(tc.want)+map[bool]int{true: 1}[flow == cognito.FlowSRP], srv.Calls("RespondToAuthChallenge"))
					assert.Equal(t, "Pässwörd ✓ 🔐", conf.Password, "the Config is not changed")
					if tc.name == "new password then MFA set-up" {
						for _, name := range []string{"name", "family_name"} {
							assert.Equal(t, "value of "+name, srv.UserAttribute(uuid, name), "required attributes set")
						}
					}
					if p.secret != "" {
						assert.Equal(t, srv.TOTPSecret(uuid), p.secret, "the handler got the secret the pool keeps")
					}
				})
			}
		}
	}
}

// TestPoolNewPasswordLater: after NEW_PASSWORD_REQUIRED and MFA set-up,
// the same token source signs in again (its refresh token revoked) with
// the new password, and meets SOFTWARE_TOKEN_MFA with the new
// authenticator; renewals in between never ask.
func TestPoolNewPasswordLater(t *testing.T) {
	t.Parallel()
	srv := newPool(t, cognitotest.WithMFARequired(), cognitotest.WithTokenLifetime(time.Second))
	srv.RequireNewPassword(uuid)
	p := &person{t: t, pool: srv, user: uuid}
	conf := configFor(srv, cognito.FlowSRP)
	conf.Challenge = p
	conf.EarlyExpiry = time.Millisecond
	ts := conf.TokenSource(context.Background(), nil)
	first, err := ts.Token()
	require.NoError(t, err)
	assert.Equal(t, []types.ChallengeNameType{types.ChallengeNameTypeNewPasswordRequired, types.ChallengeNameTypeMfaSetup}, p.names())

	time.Sleep(1100 * time.Millisecond)
	renewed, err := ts.Token()
	require.NoError(t, err)
	assert.NotEqual(t, first.AccessToken, renewed.AccessToken)
	assert.Len(t, p.names(), 2, "a renewal never calls the handler")

	srv.RevokeRefreshTokens(uuid)
	time.Sleep(1100 * time.Millisecond)
	_, err = ts.Token()
	require.NoError(t, err)
	assert.Equal(t, types.ChallengeNameTypeSoftwareTokenMfa, p.names()[2])
	assert.Equal(t, 2, srv.Calls("InitiateAuth"), "two sign-ins")
	assert.Equal(t, 2, srv.Calls("GetTokensFromRefreshToken"), "a renewal, and a refused one")
}

// TestPoolWrongCode: a wrong code fails at once with CodeMismatchException
// and no second sign-in.
func TestPoolWrongCode(t *testing.T) {
	t.Parallel()
	srv := newPool(t)
	srv.SetSMSMFA(uuid, "+15555550100")
	conf := configFor(srv, cognito.FlowPassword)
	conf.Challenge = cognito.ChallengeFunc(func(context.Context, *cognito.Challenge) (*cognito.Answer, error) {
		code := srv.LastCode(uuid)
		wrong := "000000"
		if code == wrong {
			wrong = "111111"
		}
		return &cognito.Answer{Code: wrong}, nil
	})
	_, err := conf.TokenSource(context.Background(), nil).Token()
	var mismatch *types.CodeMismatchException
	require.ErrorAs(t, err, &mismatch)
	assert.Equal(t, 1, srv.Calls("InitiateAuth"))
	assert.Equal(t, 1, srv.Calls("RespondToAuthChallenge"))
}

// TestPoolTOTPServiceAccount: cognito.TOTP signs a service account in
// unattended, SRP and all.
func TestPoolTOTPServiceAccount(t *testing.T) {
	t.Parallel()
	const secret = "OJQWIZLSONXW2ZLUNBUW4ZZAONSWG4TF"
	srv := newPool(t, cognitotest.WithClientSecret("s"))
	srv.SetTOTP(uuid, secret)
	conf := configFor(srv, cognito.FlowSRP)
	conf.Challenge = cognito.TOTP(secret)
	tok, err := conf.TokenSource(context.Background(), nil).Token()
	require.NoError(t, err)
	assert.NotEmpty(t, cognito.IDToken(tok))
}

// TestPoolCustomAuth: CUSTOM_AUTH opened with SRP, then the pool's
// default custom challenge (a code "sent" to the user), with one wrong
// answer first; and without a password, the code alone.
func TestPoolCustomAuth(t *testing.T) {
	t.Parallel()
	for _, password := range []string{"Pässwörd ✓ 🔐", ""} {
		t.Run(fmt.Sprintf("password=%t", password != ""), func(t *testing.T) {
			t.Parallel()
			var sessions [][]cognitotest.ChallengeResult
			var mu sync.Mutex
			srv := newPool(t, cognitotest.WithClientSecret("s"), cognitotest.WithCustomAuth(cognitotest.CustomAuth{
				Define: func(r cognitotest.DefineRequest) (cognitotest.DefineResponse, error) {
					mu.Lock()
					sessions = append(sessions, r.Session)
					mu.Unlock()
					n := len(r.Session)
					switch {
					case n == 1 && r.Session[0].ChallengeName == "SRP_A":
						return cognitotest.DefineResponse{ChallengeName: "PASSWORD_VERIFIER"}, nil
					case n > 0 && r.Session[n-1].ChallengeName == "CUSTOM_CHALLENGE" && r.Session[n-1].ChallengeResult:
						return cognitotest.DefineResponse{IssueTokens: true}, nil
					case n > 4:
						return cognitotest.DefineResponse{FailAuthentication: true}, nil
					}
					return cognitotest.DefineResponse{ChallengeName: "CUSTOM_CHALLENGE"}, nil
				},
			}))
			var rounds int
			conf := configFor(srv, cognito.FlowCustom)
			conf.Password = password
			conf.Challenge = cognito.ChallengeFunc(func(_ context.Context, c *cognito.Challenge) (*cognito.Answer, error) {
				rounds++
				if rounds == 1 {
					return &cognito.Answer{Responses: map[string]string{"ANSWER": "wrong"}}, nil
				}
				return &cognito.Answer{Code: srv.LastCode(uuid)}, nil
			})
			tok, err := conf.TokenSource(context.Background(), nil).Token()
			require.NoError(t, err)
			assert.Equal(t, uuid, claimsOf(t, tok.AccessToken)["username"])
			assert.Equal(t, 2, rounds)
			mu.Lock()
			last := sessions[len(sessions)-1]
			mu.Unlock()
			var names []string
			for _, r := range last {
				names = append(names, r.ChallengeName)
			}
			if password != "" {
				assert.Equal(t, []string{"SRP_A", "PASSWORD_VERIFIER", "CUSTOM_CHALLENGE", "CUSTOM_CHALLENGE"}, names)
			} else {
				assert.Equal(t, []string{"CUSTOM_CHALLENGE", "CUSTOM_CHALLENGE"}, names)
			}
		})
	}
}

// BenchmarkSignInSMS is one SRP sign-in that then answers SMS_MFA: what a
// challenge adds to BenchmarkSignIn (one more round trip and the
// handler).
func BenchmarkSignInSMS(b *testing.B) {
	srv := newPool(b)
	srv.SetSMSMFA(uuid, "+15555550100")
	conf := configFor(srv, cognito.FlowSRP)
	conf.Challenge = cognito.ChallengeFunc(func(context.Context, *cognito.Challenge) (*cognito.Answer, error) {
		return &cognito.Answer{Code: srv.LastCode(uuid)}, nil
	})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := conf.Token(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
}
