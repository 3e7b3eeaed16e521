package cognitotest

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The clock of the tests that need one: a TOTP step starts here.
var testEpoch = time.Date(2024, 3, 5, 15, 4, 0, 0, time.UTC)

func TestNewPasswordRequired(t *testing.T) {
	for _, flow := range signInFlows {
		for _, secret := range []string{"", "app-secret"} {
			for _, typed := range []string{"4f8e7c1a-0000-4000-8000-000000000001", "alice@example.com"} {
				t.Run(fmt.Sprintf("%s/secret=%t/%s", flow, secret != "", typed), func(t *testing.T) {
					t.Parallel()
					var opts []Option
					if secret != "" {
						opts = append(opts, WithClientSecret(secret))
					}
					s := newTestServer(t, opts...)
					const name = "4f8e7c1a-0000-4000-8000-000000000001"
					s.AddUser(name, "Temp0rary!")
					s.AddAlias(name, "alice@example.com")
					s.RequireNewPassword(name, "name", "family_name")

					st := mustSignInBy(t, s, flow, typed, "Temp0rary!")
					requireChallenge(t, st, types.ChallengeNameTypeNewPasswordRequired, name)
					var attrs map[string]string
					require.NoError(t, json.Unmarshal([]byte(st.params["userAttributes"]), &attrs))
					assert.Equal(t, map[string]string{"email": "alice@example.com", "email_verified": "true"}, attrs)
					assert.JSONEq(t, `["userAttributes.name","userAttributes.family_name"]`, st.params["requiredAttributes"])

					// USERNAME may be what the user typed or the username.
					_, err := answer(s, st, types.ChallengeNameTypeNewPasswordRequired, typed, map[string]string{
						"NEW_PASSWORD": "short", "userAttributes.name": "Alice", "userAttributes.family_name": "Liddell"})
					requireAPIError(t, err, "InvalidPasswordException", "Password did not conform with policy: Password not long enough")
					assert.NotContains(t, err.Error(), "short")

					st = mustSignInBy(t, s, flow, typed, "Temp0rary!") // the Session was used up
					_, err = answer(s, st, types.ChallengeNameTypeNewPasswordRequired, typed, map[string]string{
						"NEW_PASSWORD": "N3w password!", "userAttributes.family_name": "Liddell"})
					requireAPIError(t, err, "InvalidParameterException", "Invalid attributes given, name is missing")

					st = mustSignInBy(t, s, flow, typed, "Temp0rary!")
					st = mustAnswer(t, s, st, types.ChallengeNameTypeNewPasswordRequired, name, map[string]string{
						"NEW_PASSWORD": "N3w password!", "userAttributes.name": "Alice",
						"userAttributes.family_name": "Liddell", "userAttributes.locale": "en"})
					requireTokens(t, st, name)
					assert.Equal(t, "Alice", s.UserAttribute(name, "name"))
					assert.Equal(t, "Liddell", s.UserAttribute(name, "family_name"))
					assert.Equal(t, "en", s.UserAttribute(name, "locale"))
					assert.Equal(t, "alice@example.com", s.UserAttribute(name, "email"))
					assert.Empty(t, s.UserAttribute(name, "nickname"))

					// The new password replaced the old, and is not asked for again.
					_, err = signInBy(t, s, flow, typed, "Temp0rary!")
					requireNotAuthorized(t, err, badCreds)
					requireTokens(t, mustSignInBy(t, s, flow, typed, "N3w password!"), name)
				})
			}
		}
	}
}

func TestNewPasswordAnswers(t *testing.T) {
	tests := []struct {
		name      string
		responses map[string]string
		code, msg string
	}{
		{"no password", map[string]string{"userAttributes.name": "N"}, "InvalidParameterException", "Missing required parameter NEW_PASSWORD"},
		{"seven characters", map[string]string{"NEW_PASSWORD": "1234567", "userAttributes.name": "N"}, "InvalidPasswordException", "Password did not conform with policy: Password not long enough"},
		{"seven runes, more bytes", map[string]string{"NEW_PASSWORD": "пароль!", "userAttributes.name": "N"}, "InvalidPasswordException", "Password did not conform with policy: Password not long enough"},
		{"empty attribute", map[string]string{"NEW_PASSWORD": "12345678", "userAttributes.name": "", "userAttributes.nickname": "x"}, "InvalidParameterException", "Invalid attributes given, name is missing"},
		{"two missing", map[string]string{"NEW_PASSWORD": "12345678"}, "InvalidParameterException", "Invalid attributes given, name and nickname is missing"},
		{"sub", map[string]string{"NEW_PASSWORD": "12345678", "userAttributes.name": "N", "userAttributes.nickname": "n", "userAttributes.sub": "x"}, "InvalidParameterException", "Cannot modify the non-mutable attribute sub"},
		{"eight runes", map[string]string{"NEW_PASSWORD": "пароль!!", "userAttributes.name": "N", "userAttributes.nickname": "n"}, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newTestServer(t)
			s.AddUser("bob", "Temp0rary!")
			s.RequireNewPassword("bob", "name", "nickname")
			st := mustSignInBy(t, s, "password", "bob", "Temp0rary!")
			next, err := answer(s, st, types.ChallengeNameTypeNewPasswordRequired, "bob", tt.responses)
			if tt.code == "" {
				require.NoError(t, err)
				requireTokens(t, next, "bob")
				return
			}
			requireAPIError(t, err, tt.code, tt.msg)
			assert.Empty(t, s.UserAttribute("bob", "name"), "nothing is set by a refused answer")
			requireNotAuthorized(t, mustSignInErr(t, s, "bob", "12345678"), badCreds)
		})
	}
}

// mustSignInErr returns the error of a password sign-in that must fail.
func mustSignInErr(t testing.TB, s *Server, typed, password string) error {
	t.Helper()
	_, err := passwordSignIn(s, typed, password)
	require.Error(t, err)
	return err
}

func TestMFAChallenge(t *testing.T) {
	tests := []struct {
		name   string
		setup  func(s *Server)
		want   types.ChallengeNameType
		params map[string]string // besides USER_ID_FOR_SRP
	}{
		{"SMS", func(s *Server) { s.SetSMSMFA("carol", "+15555550100") }, types.ChallengeNameTypeSmsMfa,
			map[string]string{"CODE_DELIVERY_DELIVERY_MEDIUM": "SMS", "CODE_DELIVERY_DESTINATION": "+*******0100"}},
		{"email", func(s *Server) { s.SetEmailMFA("carol", "carol.jones@example.co.uk") }, types.ChallengeNameTypeEmailOtp,
			map[string]string{"CODE_DELIVERY_DELIVERY_MEDIUM": "EMAIL", "CODE_DELIVERY_DESTINATION": "c***@e***.uk"}},
		{"TOTP", func(s *Server) { s.SetTOTP("carol", testSecret) }, types.ChallengeNameTypeSoftwareTokenMfa, map[string]string{}},
		{"SMS and TOTP", func(s *Server) {
			s.SetSMSMFA("carol", "+15555550100")
			s.SetTOTP("carol", testSecret)
		}, types.ChallengeNameTypeSelectMfaType, map[string]string{"MFAS_CAN_CHOOSE": `["SMS_MFA","SOFTWARE_TOKEN_MFA"]`}},
		{"all three", func(s *Server) {
			s.SetEmailMFA("carol", "carol@example.com")
			s.SetTOTP("carol", testSecret)
			s.SetSMSMFA("carol", "+4915112345678")
		}, types.ChallengeNameTypeSelectMfaType, map[string]string{"MFAS_CAN_CHOOSE": `["SMS_MFA","SOFTWARE_TOKEN_MFA","EMAIL_OTP"]`}},
		{"all three, email preferred", func(s *Server) {
			s.SetEmailMFA("carol", "carol@example.com")
			s.SetTOTP("carol", testSecret)
			s.SetSMSMFA("carol", "+4915112345678")
			s.SetPreferredMFA("carol", "EMAIL_OTP")
		}, types.ChallengeNameTypeEmailOtp, map[string]string{"CODE_DELIVERY_DELIVERY_MEDIUM": "EMAIL", "CODE_DELIVERY_DESTINATION": "c***@e***.com"}},
		{"preference removed with its factor", func(s *Server) {
			s.SetSMSMFA("carol", "+15555550100")
			s.SetTOTP("carol", testSecret)
			s.SetPreferredMFA("carol", "SMS_MFA")
			s.SetSMSMFA("carol", "")
		}, types.ChallengeNameTypeSoftwareTokenMfa, map[string]string{}},
		{"factor removed", func(s *Server) {
			s.SetTOTP("carol", testSecret)
			s.SetTOTP("carol", "")
		}, "", nil},
	}
	for _, tt := range tests {
		for _, flow := range signInFlows {
			t.Run(tt.name+"/"+flow, func(t *testing.T) {
				t.Parallel()
				clock := newFakeClock(testEpoch)
				s := newTestServer(t, WithClock(clock.Now))
				s.AddUser("carol", "pw")
				s.AddAlias("carol", "carol@example.com")
				tt.setup(s)
				st := mustSignInBy(t, s, flow, "carol@example.com", "pw")
				if tt.want == "" {
					requireTokens(t, st, "carol")
					return
				}
				requireChallenge(t, st, tt.want, "carol")
				tt.params["USER_ID_FOR_SRP"] = "carol"
				assert.Equal(t, tt.params, st.params)

				if st.name == types.ChallengeNameTypeSelectMfaType {
					st = mustAnswer(t, s, st, st.name, "carol", map[string]string{"ANSWER": "SOFTWARE_TOKEN_MFA"})
					requireChallenge(t, st, types.ChallengeNameTypeSoftwareTokenMfa, "carol")
				}
				var responses map[string]string
				switch st.name {
				case types.ChallengeNameTypeSmsMfa:
					responses = map[string]string{"SMS_MFA_CODE": s.LastCode("carol")}
				case types.ChallengeNameTypeEmailOtp:
					responses = map[string]string{"EMAIL_OTP_CODE": s.LastCode("carol")}
				default:
					responses = map[string]string{"SOFTWARE_TOKEN_MFA_CODE": totpCode(t, testSecret, clock.Now())}
				}
				requireTokens(t, mustAnswer(t, s, st, st.name, "carol@example.com", responses), "carol")
			})
		}
	}
}

// NEW_PASSWORD_REQUIRED comes first, then MFA, each with its own Session.
func TestChallengeOrder(t *testing.T) {
	t.Parallel()
	clock := newFakeClock(testEpoch)
	s := newTestServer(t, WithClock(clock.Now), WithClientSecret("shh"))
	s.AddUser("dan", "Temp0rary!")
	s.RequireNewPassword("dan")
	s.SetSMSMFA("dan", "+15555550100")

	st := mustSignInBy(t, s, "srp", "dan", "Temp0rary!")
	requireChallenge(t, st, types.ChallengeNameTypeNewPasswordRequired, "dan")
	assert.JSONEq(t, `[]`, st.params["requiredAttributes"])
	assert.Empty(t, s.LastCode("dan"), "no code is sent before the new password")
	first := aws.ToString(st.session)
	st = mustAnswer(t, s, st, types.ChallengeNameTypeNewPasswordRequired, "dan", map[string]string{"NEW_PASSWORD": "Fresh password 1"})
	requireChallenge(t, st, types.ChallengeNameTypeSmsMfa, "dan")
	assert.NotEqual(t, first, aws.ToString(st.session))
	code := s.LastCode("dan")
	assert.Regexp(t, `^[0-9]{6}$`, code)
	requireTokens(t, mustAnswer(t, s, st, types.ChallengeNameTypeSmsMfa, "dan", map[string]string{"SMS_MFA_CODE": code}), "dan")

	// The next sign-in, with the new password, meets MFA only, with a new code.
	st = mustSignInBy(t, s, "srp", "dan", "Fresh password 1")
	requireChallenge(t, st, types.ChallengeNameTypeSmsMfa, "dan")
	_, err := answer(s, st, types.ChallengeNameTypeSmsMfa, "dan", map[string]string{"SMS_MFA_CODE": code})
	if s.LastCode("dan") != code { // one chance in a million that it is the same
		requireAPIError(t, err, "CodeMismatchException", codeMismatch)
	}
}

func TestSelectMFAType(t *testing.T) {
	for _, choice := range []types.ChallengeNameType{types.ChallengeNameTypeSmsMfa, types.ChallengeNameTypeSoftwareTokenMfa, types.ChallengeNameTypeEmailOtp} {
		t.Run(string(choice), func(t *testing.T) {
			t.Parallel()
			clock := newFakeClock(testEpoch)
			s := newTestServer(t, WithClock(clock.Now))
			s.AddUser("erin", "pw")
			s.SetSMSMFA("erin", "+15555550100")
			s.SetTOTP("erin", testSecret)
			s.SetEmailMFA("erin", "erin@example.com")
			st := mustSignInBy(t, s, "srp", "erin", "pw")
			requireChallenge(t, st, types.ChallengeNameTypeSelectMfaType, "erin")
			assert.Empty(t, s.LastCode("erin"), "no code is sent before the choice")
			st = mustAnswer(t, s, st, types.ChallengeNameTypeSelectMfaType, "erin", map[string]string{"ANSWER": string(choice)})
			requireChallenge(t, st, choice, "erin")
			responses := map[types.ChallengeNameType]map[string]string{
				types.ChallengeNameTypeSmsMfa:           {"SMS_MFA_CODE": s.LastCode("erin")},
				types.ChallengeNameTypeEmailOtp:         {"EMAIL_OTP_CODE": s.LastCode("erin")},
				types.ChallengeNameTypeSoftwareTokenMfa: {"SOFTWARE_TOKEN_MFA_CODE": totpCode(t, testSecret, clock.Now())},
			}[choice]
			requireTokens(t, mustAnswer(t, s, st, choice, "erin", responses), "erin")
		})
	}
	t.Run("not offered", func(t *testing.T) {
		t.Parallel()
		s := newTestServer(t)
		s.AddUser("erin", "pw")
		s.SetSMSMFA("erin", "+15555550100")
		s.SetTOTP("erin", testSecret)
		st := mustSignInBy(t, s, "password", "erin", "pw")
		_, err := answer(s, st, types.ChallengeNameTypeSelectMfaType, "erin", map[string]string{"ANSWER": "EMAIL_OTP"})
		requireAPIError(t, err, "InvalidParameterException", "ANSWER must be one of the factors in MFAS_CAN_CHOOSE: SMS_MFA, SOFTWARE_TOKEN_MFA")
	})
}

// A Session is answered once, within its lifetime, by its user, for its
// challenge; anything else fails, and uses it up.
func TestChallengeSessions(t *testing.T) {
	sms := types.ChallengeNameTypeSmsMfa
	tests := []struct {
		name string
		// do answers the SMS_MFA challenge st of frank, whose code is code.
		do        func(t *testing.T, s *Server, clock *fakeClock, st step, code string) error
		code, msg string
		used      bool // whether the Session is used up afterwards
	}{
		{"replayed", func(t *testing.T, s *Server, _ *fakeClock, st step, code string) error {
			mustAnswer(t, s, st, sms, "frank", map[string]string{"SMS_MFA_CODE": code})
			_, err := answer(s, st, sms, "frank", map[string]string{"SMS_MFA_CODE": code})
			return err
		}, "NotAuthorizedException", sessionExpired, true},
		{"expired", func(t *testing.T, s *Server, clock *fakeClock, st step, code string) error {
			clock.Advance(3 * time.Minute)
			_, err := answer(s, st, sms, "frank", map[string]string{"SMS_MFA_CODE": code})
			return err
		}, "NotAuthorizedException", sessionExpired, true},
		{"unknown", func(t *testing.T, s *Server, _ *fakeClock, st step, code string) error {
			st.session = aws.String("bm90IGEgc2Vzc2lvbg")
			_, err := answer(s, st, sms, "frank", map[string]string{"SMS_MFA_CODE": code})
			return err
		}, "NotAuthorizedException", sessionExpired, false},
		{"no Session", func(t *testing.T, s *Server, _ *fakeClock, st step, code string) error {
			st.session = nil
			_, err := answer(s, st, sms, "frank", map[string]string{"SMS_MFA_CODE": code})
			return err
		}, "InvalidParameterException", "Missing required parameter Session", false},
		{"no code", func(t *testing.T, s *Server, _ *fakeClock, st step, code string) error {
			_, err := answer(s, st, sms, "frank", nil)
			return err
		}, "InvalidParameterException", "Missing required parameter SMS_MFA_CODE", false},
		{"no USERNAME", func(t *testing.T, s *Server, _ *fakeClock, st step, code string) error {
			_, err := s.Client().RespondToAuthChallenge(t.Context(), respondTo(s, st, sms, map[string]string{"SMS_MFA_CODE": code}))
			return err
		}, "InvalidParameterException", "Missing required parameter USERNAME", false},
		{"wrong code", func(t *testing.T, s *Server, _ *fakeClock, st step, code string) error {
			_, err := answer(s, st, sms, "frank", map[string]string{"SMS_MFA_CODE": otherCode(code)})
			return err
		}, "CodeMismatchException", codeMismatch, true},
		{"another user", func(t *testing.T, s *Server, _ *fakeClock, st step, code string) error {
			_, err := answer(s, st, sms, "grace", map[string]string{"SMS_MFA_CODE": code})
			return err
		}, "NotAuthorizedException", "Invalid session for the user.", true},
		{"another challenge", func(t *testing.T, s *Server, _ *fakeClock, st step, code string) error {
			// As amazon-cognito-identity-js sends a code: under both keys.
			_, err := answer(s, st, types.ChallengeNameTypeSoftwareTokenMfa, "frank", map[string]string{"SOFTWARE_TOKEN_MFA_CODE": code, "SMS_MFA_CODE": code})
			return err
		}, "CodeMismatchException", codeMismatch, true},
		{"code of another sign-in", func(t *testing.T, s *Server, _ *fakeClock, st step, code string) error {
			mustSignInBy(t, s, "password", "frank", "pw") // sends a new code
			if s.LastCode("frank") == code {
				t.Skip("the same code twice: one chance in a million")
			}
			_, err := answer(s, st, sms, "frank", map[string]string{"SMS_MFA_CODE": s.LastCode("frank")})
			return err
		}, "CodeMismatchException", codeMismatch, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			clock := newFakeClock(testEpoch)
			s := newTestServer(t, WithClock(clock.Now))
			s.AddUser("frank", "pw")
			s.AddUser("grace", "pw")
			s.SetSMSMFA("frank", "+15555550100")
			st := mustSignInBy(t, s, "password", "frank", "pw")
			code := s.LastCode("frank")
			err := tt.do(t, s, clock, st, code)
			requireAPIError(t, err, tt.code, tt.msg)
			assert.NotContains(t, err.Error(), code)
			_, err = answer(s, st, sms, "frank", map[string]string{"SMS_MFA_CODE": code})
			if tt.used {
				requireAPIError(t, err, "NotAuthorizedException", sessionExpired)
			} else {
				require.NoError(t, err)
			}
		})
	}
}

// respondTo is a RespondToAuthChallenge input with st's Session and
// exactly responses.
func respondTo(s *Server, st step, challenge types.ChallengeNameType, responses map[string]string) *cip.RespondToAuthChallengeInput {
	return &cip.RespondToAuthChallengeInput{ChallengeName: challenge, ClientId: aws.String(s.ClientID), Session: st.session, ChallengeResponses: responses}
}

// otherCode returns a six-digit code that is not code.
func otherCode(code string) string {
	var n int
	fmt.Sscanf(code, "%d", &n)
	return fmt.Sprintf("%06d", (n+1)%1_000_000)
}

// A code lives three minutes, however long its Session does.
func TestCodeExpiry(t *testing.T) {
	for _, factor := range []types.ChallengeNameType{types.ChallengeNameTypeSmsMfa, types.ChallengeNameTypeEmailOtp} {
		t.Run(string(factor), func(t *testing.T) {
			t.Parallel()
			clock := newFakeClock(testEpoch)
			s := newTestServer(t, WithClock(clock.Now), WithSessionLifetime(15*time.Minute))
			s.AddUser("hal", "pw")
			s.SetSMSMFA("hal", "+15555550100")
			s.SetEmailMFA("hal", "hal@example.com")
			s.SetPreferredMFA("hal", string(factor))
			key := map[types.ChallengeNameType]string{types.ChallengeNameTypeSmsMfa: "SMS_MFA_CODE", types.ChallengeNameTypeEmailOtp: "EMAIL_OTP_CODE"}[factor]

			st := mustSignInBy(t, s, "password", "hal", "pw")
			clock.Advance(3*time.Minute - time.Second)
			requireTokens(t, mustAnswer(t, s, st, factor, "hal", map[string]string{key: s.LastCode("hal")}), "hal")

			st = mustSignInBy(t, s, "password", "hal", "pw")
			clock.Advance(3 * time.Minute)
			_, err := answer(s, st, factor, "hal", map[string]string{key: s.LastCode("hal")})
			requireAPIError(t, err, "ExpiredCodeException", "Invalid code provided, please request a code again.")

			st = mustSignInBy(t, s, "password", "hal", "pw")
			clock.Advance(15 * time.Minute)
			_, err = answer(s, st, factor, "hal", map[string]string{key: s.LastCode("hal")})
			requireAPIError(t, err, "NotAuthorizedException", sessionExpired)
		})
	}
}

func TestTOTPWindow(t *testing.T) {
	tests := []struct {
		name   string
		offset time.Duration // of the code's time from the server's
		ok     bool
	}{
		{"now", 0, true},
		{"step before", -30 * time.Second, true},
		{"step after", 30 * time.Second, true},
		{"two steps before", -60 * time.Second, false},
		{"two steps after", 60 * time.Second, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			clock := newFakeClock(testEpoch.Add(12 * time.Second))
			s := newTestServer(t, WithClock(clock.Now))
			s.AddUser("ivy", "pw")
			s.SetTOTP("ivy", testSecret)
			st := mustSignInBy(t, s, "password", "ivy", "pw")
			next, err := answer(s, st, types.ChallengeNameTypeSoftwareTokenMfa, "ivy",
				map[string]string{"SOFTWARE_TOKEN_MFA_CODE": totpCode(t, testSecret, clock.Now().Add(tt.offset))})
			if tt.ok {
				require.NoError(t, err)
				requireTokens(t, next, "ivy")
			} else {
				requireAPIError(t, err, "CodeMismatchException", codeMismatch)
			}
		})
	}
}

// A TOTP code is accepted once: not again, and no code of an earlier step
// after it, as Cognito refuses a reused code.
func TestTOTPCodeReuse(t *testing.T) {
	t.Parallel()
	clock := newFakeClock(testEpoch)
	s := newTestServer(t, WithClock(clock.Now))
	s.AddUser("jay", "pw")
	s.SetTOTP("jay", testSecret)
	signIn := func(code string) error {
		st := mustSignInBy(t, s, "password", "jay", "pw")
		_, err := answer(s, st, types.ChallengeNameTypeSoftwareTokenMfa, "jay", map[string]string{"SOFTWARE_TOKEN_MFA_CODE": code})
		return err
	}
	now := totpCode(t, testSecret, clock.Now())
	require.NoError(t, signIn(now))
	requireAPIError(t, signIn(now), "CodeMismatchException", codeMismatch)
	requireAPIError(t, signIn(totpCode(t, testSecret, clock.Now().Add(-30*time.Second))), "CodeMismatchException", codeMismatch)
	require.NoError(t, signIn(totpCode(t, testSecret, clock.Now().Add(30*time.Second))))
	clock.Advance(30 * time.Second)
	requireAPIError(t, signIn(totpCode(t, testSecret, clock.Now())), "CodeMismatchException", codeMismatch)
	clock.Advance(30 * time.Second)
	require.NoError(t, signIn(totpCode(t, testSecret, clock.Now())))

	// A new secret starts afresh.
	s.SetTOTP("jay", "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ")
	require.NoError(t, signIn(totpCode(t, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", clock.Now())))
	assert.Equal(t, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", s.TOTPSecret("jay"))
}

// With a client secret every answer carries a SECRET_HASH over the USERNAME
// it sends, the username or an alias.
func TestChallengeSecretHash(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, WithClientSecret("top secret"))
	s.AddUser("kim", "pw")
	s.AddAlias("kim", "kim@example.com")
	s.SetSMSMFA("kim", "+15555550100")
	hashErr := "Unable to verify secret hash for client " + s.ClientID
	for _, typed := range []string{"kim", "kim@example.com"} {
		for _, hash := range []string{"", secretHash(s, "other"), "not base64!"} {
			st := mustSignInBy(t, s, "password", typed, "pw")
			_, err := s.Client().RespondToAuthChallenge(t.Context(), respondTo(s, st, types.ChallengeNameTypeSmsMfa,
				map[string]string{"USERNAME": typed, "SMS_MFA_CODE": s.LastCode("kim"), "SECRET_HASH": hash}))
			requireNotAuthorized(t, err, hashErr)
		}
		st := mustSignInBy(t, s, "password", typed, "pw")
		requireTokens(t, mustAnswer(t, s, st, types.ChallengeNameTypeSmsMfa, typed, map[string]string{"SMS_MFA_CODE": s.LastCode("kim")}), "kim")
	}
}

// RequireChallenge still stops a sign-in at a challenge that cannot be
// answered, even when the user has factors that could be.
func TestRequireChallengeComesFirst(t *testing.T) {
	t.Parallel()
	s := newTestServer(t)
	s.AddUser("lee", "pw")
	s.SetSMSMFA("lee", "+15555550100")
	s.RequireChallenge("lee", "SMS_MFA")
	st := mustSignInBy(t, s, "srp", "lee", "pw")
	requireChallenge(t, st, types.ChallengeNameTypeSmsMfa, "lee")
	assert.Equal(t, "+*******0000", st.params["CODE_DELIVERY_DESTINATION"])
	assert.Empty(t, s.LastCode("lee"), "no code sent")
	_, err := answer(s, st, types.ChallengeNameTypeSmsMfa, "lee", map[string]string{"SMS_MFA_CODE": "123456"})
	requireAPIError(t, err, "InvalidParameterException", "challenge SMS_MFA was set by RequireChallenge: cognitotest does not answer it")

	s.RequireChallenge("lee", "")
	st = mustSignInBy(t, s, "srp", "lee", "pw")
	requireChallenge(t, st, types.ChallengeNameTypeSmsMfa, "lee")
	assert.Equal(t, "+*******0100", st.params["CODE_DELIVERY_DESTINATION"])
	requireTokens(t, mustAnswer(t, s, st, types.ChallengeNameTypeSmsMfa, "lee", map[string]string{"SMS_MFA_CODE": s.LastCode("lee")}), "lee")
}

// At the cap, a new challenge evicts the oldest, whose answer then fails as
// an expired one's does.
func TestChallengeSessionCap(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, withMaxSessions(2))
	s.AddUser("max", "pw")
	s.RequireNewPassword("max")
	var steps []step
	for range 3 {
		steps = append(steps, mustSignInBy(t, s, "password", "max", "pw"))
	}
	s.mu.Lock()
	assert.Equal(t, 2, s.challenges.len())
	s.mu.Unlock()
	_, err := answer(s, steps[0], types.ChallengeNameTypeNewPasswordRequired, "max", map[string]string{"NEW_PASSWORD": "12345678"})
	requireAPIError(t, err, "NotAuthorizedException", sessionExpired)
	requireTokens(t, mustAnswer(t, s, steps[2], types.ChallengeNameTypeNewPasswordRequired, "max", map[string]string{"NEW_PASSWORD": "12345678"}), "max")
}

// Many users meet MFA at once; run with -race.
func TestConcurrentChallenges(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, WithClientSecret("shh"))
	const users = 12
	for i := range users {
		name := fmt.Sprintf("user%d", i)
		s.AddUser(name, "pw-"+name)
		switch i % 3 {
		case 0:
			s.SetSMSMFA(name, fmt.Sprintf("+1555555%04d", i))
		case 1:
			s.SetEmailMFA(name, name+"@example.com")
		default:
			s.RequireNewPassword(name, "name")
		}
	}
	type outcome struct {
		name string
		st   step
		err  error
	}
	var wg sync.WaitGroup
	outcomes := make(chan outcome, users)
	for i := range users {
		wg.Go(func() {
			name := fmt.Sprintf("user%d", i)
			st, err := signInBy(t, s, "password", name, "pw-"+name)
			if err == nil {
				responses := map[types.ChallengeNameType]map[string]string{
					types.ChallengeNameTypeSmsMfa:              {"SMS_MFA_CODE": s.LastCode(name)},
					types.ChallengeNameTypeEmailOtp:            {"EMAIL_OTP_CODE": s.LastCode(name)},
					types.ChallengeNameTypeNewPasswordRequired: {"NEW_PASSWORD": "new-" + name, "userAttributes.name": name},
				}[st.name]
				st, err = answer(s, st, st.name, name, responses)
			}
			outcomes <- outcome{name, st, err}
		})
	}
	wg.Wait()
	close(outcomes)
	for o := range outcomes {
		require.NoError(t, o.err, o.name)
		requireTokens(t, o.st, o.name)
	}
}

func TestChallengeMisusePanics(t *testing.T) {
	s := newTestServer(t)
	s.AddUser("sam", "pw")
	tests := []struct {
		name string
		want string
		f    func()
	}{
		{"TOTP for unknown user", `cognitotest: SetTOTP: unknown user "nobody"`, func() { s.SetTOTP("nobody", testSecret) }},
		{"TOTP secret not base32", `cognitotest: SetTOTP: the secret for "sam" is not base32`, func() { s.SetTOTP("sam", "not-base32!") }},
		{"TOTP secret of bad length", `cognitotest: SetTOTP: the secret for "sam" is not base32`, func() { s.SetTOTP("sam", "A") }},
		{"SMS for unknown user", `cognitotest: SetSMSMFA: unknown user "nobody"`, func() { s.SetSMSMFA("nobody", "+15555550100") }},
		{"SMS to a bad number", `cognitotest: SetSMSMFA: "555-0100" is not an E.164 phone number`, func() { s.SetSMSMFA("sam", "555-0100") }},
		{"email for unknown user", `cognitotest: SetEmailMFA: unknown user "nobody"`, func() { s.SetEmailMFA("nobody", "n@example.com") }},
		{"email to a bad address", `cognitotest: SetEmailMFA: "sam.example.com" is not an email address`, func() { s.SetEmailMFA("sam", "sam.example.com") }},
		{"preference for unknown user", `cognitotest: SetPreferredMFA: unknown user "nobody"`, func() { s.SetPreferredMFA("nobody", "") }},
		{"preference for a missing factor", `cognitotest: SetPreferredMFA: "sam" does not have MFA factor "SMS_MFA"`, func() { s.SetPreferredMFA("sam", "SMS_MFA") }},
		{"code of unknown user", `cognitotest: LastCode: unknown user "nobody"`, func() { s.LastCode("nobody") }},
		{"secret of unknown user", `cognitotest: TOTPSecret: unknown user "nobody"`, func() { s.TOTPSecret("nobody") }},
		{"new password for unknown user", `cognitotest: RequireNewPassword: unknown user "nobody"`, func() { s.RequireNewPassword("nobody") }},
		{"empty attribute", `cognitotest: RequireNewPassword: invalid attribute name ""`, func() { s.RequireNewPassword("sam", "") }},
		{"prefixed attribute", `cognitotest: RequireNewPassword: invalid attribute name "userAttributes.name"`, func() { s.RequireNewPassword("sam", "userAttributes.name") }},
		{"attribute of unknown user", `cognitotest: UserAttribute: unknown user "nobody"`, func() { s.UserAttribute("nobody", "email") }},
		{"short session", "cognitotest: session lifetime 2m59s is not between 3m0s and 15m0s", func() { WithSessionLifetime(3*time.Minute - time.Second) }},
		{"long session", "cognitotest: session lifetime 15m1s is not between 3m0s and 15m0s", func() { WithSessionLifetime(15*time.Minute + time.Second) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.PanicsWithValue(t, tt.want, tt.f)
		})
	}
	// Nothing was set by the panics, and no lock is left held.
	assert.Empty(t, s.TOTPSecret("sam"))
	requireTokens(t, mustSignInBy(t, s, "password", "sam", "pw"), "sam")
	// Lower-case and padded secrets are base32 too, as apps accept them.
	s.SetTOTP("sam", "jbswy3dpehpk3pxp")
	s.SetTOTP("sam", "JBSWY3DPEE======")
}
