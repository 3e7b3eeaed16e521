package cognitotest

import (
	"context"
	"crypto/rand"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-e8acf5fd/cognito/internal/srp"
)

// customStart sends InitiateAuth CUSTOM_AUTH as typed, with SRP_A and
// CHALLENGE_NAME SRP_A when cl is not nil (as amazon-cognito-identity-js
// does), and ClientMetadata meta.
func customStart(s *Server, typed string, cl *srp.Client, meta map[string]string) (step, error) {
	params := withHash(s, map[string]string{"USERNAME": typed}, typed)
	if cl != nil {
		params["SRP_A"], params["CHALLENGE_NAME"] = cl.PublicHex(), "SRP_A"
	}
	out, err := s.Client().InitiateAuth(context.Background(), &cip.InitiateAuthInput{
		AuthFlow:       types.AuthFlowTypeCustomAuth,
		ClientId:       aws.String(s.ClientID),
		AuthParameters: params,
		ClientMetadata: meta,
	})
	if err != nil {
		return step{}, err
	}
	return initiateStep(out), nil
}

// customPassword answers the PASSWORD_VERIFIER step of CUSTOM_AUTH with the
// Session it came with.
func customPassword(t testing.TB, s *Server, cl *srp.Client, st step, password string) (step, error) {
	t.Helper()
	require.Equal(t, types.ChallengeNameTypePasswordVerifier, st.name)
	proof := srpProof(t, s, cl, &cip.InitiateAuthOutput{ChallengeName: st.name, ChallengeParameters: st.params}, password, srp.Timestamp(s.now()))
	out, err := s.Client().RespondToAuthChallenge(context.Background(), &cip.RespondToAuthChallengeInput{
		ChallengeName:      types.ChallengeNameTypePasswordVerifier,
		ClientId:           aws.String(s.ClientID),
		Session:            st.session,
		ChallengeResponses: proof,
	})
	if err != nil {
		return step{}, err
	}
	return respondStep(out), nil
}

func newSRPClient(t testing.TB) *srp.Client {
	t.Helper()
	cl, err := srp.NewClient(rand.Reader)
	require.NoError(t, err)
	return cl
}

// The defaults: password by SRP, then an emailed code, with three tries.
func TestCustomAuthDefaults(t *testing.T) {
	for _, secret := range []string{"", "s3cret"} {
		for _, typed := range []string{"rose", "rose@example.com"} {
			t.Run(typed+"/secret="+secret, func(t *testing.T) {
				t.Parallel()
				opts := []Option{WithCustomAuth(CustomAuth{})}
				if secret != "" {
					opts = append(opts, WithClientSecret(secret))
				}
				s := newTestServer(t, opts...)
				s.AddUser("rose", "pw")
				s.AddAlias("rose", "rose@example.com")
				s.SetTOTP("rose", testSecret) // custom sign-ins meet no MFA

				cl := newSRPClient(t)
				st, err := customStart(s, typed, cl, nil)
				require.NoError(t, err)
				require.Equal(t, types.ChallengeNameTypePasswordVerifier, st.name)
				require.NotEmpty(t, aws.ToString(st.session), "CUSTOM_AUTH's PASSWORD_VERIFIER has a Session")
				assert.Equal(t, "rose", st.params["USER_ID_FOR_SRP"])

				st, err = customPassword(t, s, cl, st, "pw")
				require.NoError(t, err)
				requireChallenge(t, st, types.ChallengeNameTypeCustomChallenge, "rose")
				assert.Equal(t, map[string]string{"USER_ID_FOR_SRP": "rose"}, st.params)
				code := s.LastCode("rose")
				assert.Regexp(t, `^[0-9]{6}$`, code)

				// A wrong answer gets the challenge again, with a new code.
				again := mustAnswer(t, s, st, types.ChallengeNameTypeCustomChallenge, typed, map[string]string{"ANSWER": otherCode(code)})
				requireChallenge(t, again, types.ChallengeNameTypeCustomChallenge, "rose")
				_, err = answer(s, st, types.ChallengeNameTypeCustomChallenge, typed, map[string]string{"ANSWER": code})
				requireAPIError(t, err, "NotAuthorizedException", sessionExpired)
				requireTokens(t, mustAnswer(t, s, again, types.ChallengeNameTypeCustomChallenge, typed,
					map[string]string{"ANSWER": s.LastCode("rose")}), "rose")
			})
		}
	}

	t.Run("three wrong answers", func(t *testing.T) {
		t.Parallel()
		s := newTestServer(t, WithCustomAuth(CustomAuth{}))
		s.AddUser("sue", "pw")
		st, err := customStart(s, "sue", nil, nil) // without SRP_A: no password
		require.NoError(t, err)
		for range 2 {
			requireChallenge(t, st, types.ChallengeNameTypeCustomChallenge, "sue")
			st = mustAnswer(t, s, st, types.ChallengeNameTypeCustomChallenge, "sue", map[string]string{"ANSWER": otherCode(s.LastCode("sue"))})
		}
		_, err = answer(s, st, types.ChallengeNameTypeCustomChallenge, "sue", map[string]string{"ANSWER": otherCode(s.LastCode("sue"))})
		requireNotAuthorized(t, err, badCreds)
	})
	t.Run("wrong password", func(t *testing.T) {
		t.Parallel()
		s := newTestServer(t, WithCustomAuth(CustomAuth{}))
		s.AddUser("sue", "pw")
		cl := newSRPClient(t)
		st, err := customStart(s, "sue", cl, nil)
		require.NoError(t, err)
		_, err = customPassword(t, s, cl, st, "wrong")
		requireNotAuthorized(t, err, badCreds)
		assert.Empty(t, s.LastCode("sue"))
	})
	t.Run("PASSWORD_VERIFIER without its Session", func(t *testing.T) {
		t.Parallel()
		s := newTestServer(t, WithCustomAuth(CustomAuth{}))
		s.AddUser("sue", "pw")
		cl := newSRPClient(t)
		st, err := customStart(s, "sue", cl, nil)
		require.NoError(t, err)
		st.session = nil
		_, err = customPassword(t, s, cl, st, "pw")
		requireAPIError(t, err, "NotAuthorizedException", sessionExpired)
	})
}

// Unknown users fail as in the other flows, and the triggers never hear
// of them.
func TestCustomAuthUnknownUser(t *testing.T) {
	t.Parallel()
	called := false
	s := newTestServer(t, WithCustomAuth(CustomAuth{Define: func(DefineRequest) (DefineResponse, error) {
		called = true
		return DefineResponse{IssueTokens: true}, nil
	}}))
	_, err := customStart(s, "nobody", nil, nil)
	requireNotAuthorized(t, err, badCreds)

	cl := newSRPClient(t)
	st, err := customStart(s, "nobody", cl, nil)
	require.NoError(t, err)
	require.Equal(t, types.ChallengeNameTypePasswordVerifier, st.name)
	require.NotEmpty(t, aws.ToString(st.session))
	_, err = customPassword(t, s, cl, st, "anything")
	requireNotAuthorized(t, err, badCreds)
	assert.False(t, called)
}

// The triggers see what Lambda triggers see, in order.
func TestCustomAuthTriggers(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var log []any
	record := func(v any) {
		mu.Lock()
		defer mu.Unlock()
		log = append(log, v)
	}
	s := newTestServer(t, WithCustomAuth(CustomAuth{
		Define: func(req DefineRequest) (DefineResponse, error) {
			kept := req
			kept.Session = slices.Clone(req.Session)
			record(kept)
			// The request is a copy: changing it changes nothing.
			req.Session[0] = ChallengeResult{ChallengeName: "tampered"}
			switch req.ClientMetadata["step"] {
			case "0":
				return DefineResponse{ChallengeName: "PASSWORD_VERIFIER"}, nil
			case "3":
				return DefineResponse{IssueTokens: true}, nil
			default:
				return DefineResponse{ChallengeName: "CUSTOM_CHALLENGE"}, nil
			}
		},
		Create: func(req CreateRequest) (CreateResponse, error) {
			record(req)
			return CreateResponse{
				PublicChallengeParameters:  map[string]string{"question": "2+3"},
				PrivateChallengeParameters: map[string]string{"answer": "5"},
				ChallengeMetadata:          "ARITHMETIC",
			}, nil
		},
		Verify: func(req VerifyRequest) (bool, error) {
			record(req)
			return req.ChallengeAnswer == req.PrivateChallengeParameters["answer"], nil
		},
	}))
	s.AddUser("tom", "pw")
	s.AddAlias("tom", "tom@example.com")

	cl := newSRPClient(t)
	st, err := customStart(s, "tom@example.com", cl, map[string]string{"step": "0"})
	require.NoError(t, err)
	st, err = customPassword(t, s, cl, st, "pw")
	require.NoError(t, err)
	requireChallenge(t, st, types.ChallengeNameTypeCustomChallenge, "tom")
	assert.Equal(t, map[string]string{"question": "2+3", "USER_ID_FOR_SRP": "tom"}, st.params)
	respond := func(st step, ans, stepNo string) step {
		out, err := s.Client().RespondToAuthChallenge(context.Background(), &cip.RespondToAuthChallengeInput{
			ChallengeName:      types.ChallengeNameTypeCustomChallenge,
			ClientId:           aws.String(s.ClientID),
			Session:            st.session,
			ChallengeResponses: map[string]string{"USERNAME": "tom", "ANSWER": ans},
			ClientMetadata:     map[string]string{"step": stepNo},
		})
		require.NoError(t, err)
		return respondStep(out)
	}
	st = respond(st, "4", "2")
	requireChallenge(t, st, types.ChallengeNameTypeCustomChallenge, "tom")
	requireTokens(t, respond(st, "5", "3"), "tom")

	attrs := map[string]string{"sub": s.UserAttribute("tom", "sub"), "email": "tom@example.com", "email_verified": "true"}
	srpA := ChallengeResult{ChallengeName: "SRP_A", ChallengeResult: true}
	pv := ChallengeResult{ChallengeName: "PASSWORD_VERIFIER", ChallengeResult: true}
	wrong := ChallengeResult{ChallengeName: "CUSTOM_CHALLENGE", ChallengeResult: false, ChallengeMetadata: "ARITHMETIC"}
	right := ChallengeResult{ChallengeName: "CUSTOM_CHALLENGE", ChallengeResult: true, ChallengeMetadata: "ARITHMETIC"}
	m := func(step string) map[string]string { return map[string]string{"step": step} }
	assert.Equal(t, []any{
		DefineRequest{Username: "tom", UserAttributes: attrs, Session: []ChallengeResult{srpA}, ClientMetadata: m("0")},
		DefineRequest{Username: "tom", UserAttributes: attrs, Session: []ChallengeResult{srpA, pv}, ClientMetadata: nil},
		CreateRequest{Username: "tom", UserAttributes: attrs, ChallengeName: "CUSTOM_CHALLENGE", Session: []ChallengeResult{srpA, pv}},
		VerifyRequest{Username: "tom", UserAttributes: attrs, PrivateChallengeParameters: map[string]string{"answer": "5"}, ChallengeAnswer: "4", ClientMetadata: m("2")},
		DefineRequest{Username: "tom", UserAttributes: attrs, Session: []ChallengeResult{srpA, pv, wrong}, ClientMetadata: m("2")},
		CreateRequest{Username: "tom", UserAttributes: attrs, ChallengeName: "CUSTOM_CHALLENGE", Session: []ChallengeResult{srpA, pv, wrong}, ClientMetadata: m("2")},
		VerifyRequest{Username: "tom", UserAttributes: attrs, PrivateChallengeParameters: map[string]string{"answer": "5"}, ChallengeAnswer: "5", ClientMetadata: m("3")},
		DefineRequest{Username: "tom", UserAttributes: attrs, Session: []ChallengeResult{srpA, pv, wrong, right}, ClientMetadata: m("3")},
	}, log)
}

func TestCustomAuthErrors(t *testing.T) {
	boom := errors.New("boom")
	tests := []struct {
		name      string
		custom    *CustomAuth
		code, msg string
	}{
		{"not configured", nil, "InvalidParameterException", "Custom auth lambda trigger is not configured for the user pool."},
		{"Define fails", &CustomAuth{Define: func(DefineRequest) (DefineResponse, error) { return DefineResponse{}, boom }},
			"UserLambdaValidationException", "DefineAuthChallenge failed with error boom."},
		{"Create fails", &CustomAuth{Create: func(CreateRequest) (CreateResponse, error) { return CreateResponse{}, boom }},
			"UserLambdaValidationException", "CreateAuthChallenge failed with error boom."},
		{"Define decides nothing", &CustomAuth{Define: func(DefineRequest) (DefineResponse, error) { return DefineResponse{}, nil }},
			"InvalidLambdaResponseException", "Invalid lambda response: DefineAuthChallenge chose neither IssueTokens, FailAuthentication, CUSTOM_CHALLENGE nor PASSWORD_VERIFIER"},
		{"PASSWORD_VERIFIER without SRP_A", &CustomAuth{Define: func(DefineRequest) (DefineResponse, error) {
			return DefineResponse{ChallengeName: "PASSWORD_VERIFIER"}, nil
		}}, "InvalidLambdaResponseException", "Invalid lambda response: DefineAuthChallenge chose PASSWORD_VERIFIER, but InitiateAuth sent no SRP_A"},
		{"fail wins over tokens", &CustomAuth{Define: func(DefineRequest) (DefineResponse, error) {
			return DefineResponse{IssueTokens: true, FailAuthentication: true}, nil
		}}, "NotAuthorizedException", badCreds},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var opts []Option
			if tt.custom != nil {
				opts = append(opts, WithCustomAuth(*tt.custom))
			}
			s := newTestServer(t, opts...)
			s.AddUser("uma", "pw")
			_, err := customStart(s, "uma", nil, nil)
			requireAPIError(t, err, tt.code, tt.msg)
		})
	}
	t.Run("Verify fails", func(t *testing.T) {
		t.Parallel()
		s := newTestServer(t, WithCustomAuth(CustomAuth{Verify: func(VerifyRequest) (bool, error) { return false, boom }}))
		s.AddUser("uma", "pw")
		st, err := customStart(s, "uma", nil, nil)
		require.NoError(t, err)
		_, err = answer(s, st, types.ChallengeNameTypeCustomChallenge, "uma", map[string]string{"ANSWER": s.LastCode("uma")})
		requireAPIError(t, err, "UserLambdaValidationException", "VerifyAuthChallengeResponse failed with error boom.")
	})
	t.Run("tokens straight away", func(t *testing.T) {
		t.Parallel()
		s := newTestServer(t, WithCustomAuth(CustomAuth{Define: func(DefineRequest) (DefineResponse, error) {
			return DefineResponse{IssueTokens: true}, nil
		}}))
		s.AddUser("uma", "pw")
		st, err := customStart(s, "uma", nil, nil)
		require.NoError(t, err)
		requireTokens(t, st, "uma")
	})
	t.Run("secret hash", func(t *testing.T) {
		t.Parallel()
		s := newTestServer(t, WithCustomAuth(CustomAuth{}), WithClientSecret("shh"))
		s.AddUser("uma", "pw")
		_, err := s.Client().InitiateAuth(context.Background(), &cip.InitiateAuthInput{
			AuthFlow: types.AuthFlowTypeCustomAuth, ClientId: aws.String(s.ClientID),
			AuthParameters: map[string]string{"USERNAME": "uma", "SECRET_HASH": secretHash(s, "other")},
		})
		requireNotAuthorized(t, err, "Unable to verify secret hash for client "+s.ClientID)
	})
}

// A CUSTOM_CHALLENGE Session expires like the others.
func TestCustomAuthSessionExpiry(t *testing.T) {
	t.Parallel()
	clock := newFakeClock(testEpoch)
	s := newTestServer(t, WithClock(clock.Now), WithCustomAuth(CustomAuth{}))
	s.AddUser("val", "pw")
	st, err := customStart(s, "val", nil, nil)
	require.NoError(t, err)
	clock.Advance(3 * time.Minute)
	_, err = answer(s, st, types.ChallengeNameTypeCustomChallenge, "val", map[string]string{"ANSWER": s.LastCode("val")})
	requireAPIError(t, err, "NotAuthorizedException", sessionExpired)
}
