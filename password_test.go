package cognito

import (
	"bytes"
	"context"
	"fmt"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/seed-e8acf5fd/cognito/internal/srp"
)

// TestSRPSignInVectors signs in through the token source against each
// reference vector, typing an alias, and checks every value it sends.
func TestSRPSignInVectors(t *testing.T) {
	for i, v := range loadVectors(t) {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			when, err := time.Parse(srp.TimestampLayout, v.Timestamp)
			require.NoError(t, err)
			clock := newClock(when.In(time.FixedZone("JST", 9*3600))) // any local zone
			api := vectorAPI(v, time.Hour, clock.Now)
			conf := Config{UserPoolID: v.PoolID, ClientID: "c", Username: "typed-alias@example.com", Password: v.Password}
			s, _ := testSource(t, conf, api, clock, nil)
			s.rand = bytes.NewReader(secretOf(t, v))

			tok, err := s.attempt()
			require.NoError(t, err)
			assert.NotEmpty(t, tok.AccessToken)

			in := api.inits[0]
			assert.Equal(t, types.AuthFlowTypeUserSrpAuth, in.AuthFlow)
			assert.Equal(t, "typed-alias@example.com", in.AuthParameters["USERNAME"])
			assert.Equal(t, v.SRPA, in.AuthParameters["SRP_A"])
			assert.NotContains(t, in.AuthParameters, "SECRET_HASH")
			resp := api.responds[0]
			assert.Equal(t, types.ChallengeNameTypePasswordVerifier, resp.ChallengeName)
			assert.Equal(t, "session-1", aws.ToString(resp.Session))
			assert.Equal(t, map[string]string{
				"USERNAME":                    v.UserID,
				"PASSWORD_CLAIM_SECRET_BLOCK": v.SecretBlock,
				"PASSWORD_CLAIM_SIGNATURE":    v.Signature,
				"TIMESTAMP":                   v.Timestamp,
			}, resp.ChallengeResponses)
		})
	}
}

func TestSRPRejectsBadChallenge(t *testing.T) {
	v := loadVectors(t)[0]
	good := map[string]string{"SALT": v.Salt, "SRP_B": v.SRPB, "SECRET_BLOCK": v.SecretBlock, "USER_ID_FOR_SRP": v.UserID}
	with := func(k, val string) map[string]string {
		p := map[string]string{}
		for key, x := range good {
			p[key] = x
		}
		if val == "" {
			delete(p, k)
		} else {
			p[k] = val
		}
		return p
	}
	nHex := srp.N().Text(16)
	for name, tc := range map[string]struct {
		params map[string]string
		want   string
	}{
		"no SALT":            {with("SALT", ""), "SALT"},
		"no SRP_B":           {with("SRP_B", ""), "SRP_B"},
		"no SECRET_BLOCK":    {with("SECRET_BLOCK", ""), "SECRET_BLOCK"},
		"no USER_ID_FOR_SRP": {with("USER_ID_FOR_SRP", ""), "USER_ID_FOR_SRP"},
		"SALT not hex":       {with("SALT", "xyz"), "SALT"},
		"SRP_B not hex":      {with("SRP_B", "-12ab"), "SRP_B"},
		"SRP_B zero":         {with("SRP_B", "0"), "zero"},
		"SRP_B equals N":     {with("SRP_B", nHex), "zero"},
		"SRP_B 2N":           {with("SRP_B", new(big.Int).Lsh(srp.N(), 1).Text(16)), "zero"},
		"block not base64":   {with("SECRET_BLOCK", "%%%"), "SECRET_BLOCK"},
		"huge SRP_B":         {with("SRP_B", strings.Repeat("f", 100000)), "SRP_B"},
	} {
		t.Run(name, func(t *testing.T) {
			api := &fakeAPI{initiate: func(context.Context, *cip.InitiateAuthInput) (*cip.InitiateAuthOutput, error) {
				return &cip.InitiateAuthOutput{ChallengeName: types.ChallengeNameTypePasswordVerifier, ChallengeParameters: tc.params}, nil
			}}
			conf := Config{UserPoolID: v.PoolID, ClientID: "c", Username: "alice", Password: v.Password}
			s, _ := testSource(t, conf, api, newClock(time.Now()), nil)
			_, err := s.attempt()
			require.Error(t, err)
			assert.True(t, strings.HasPrefix(err.Error(), "cognito: "), err.Error())
			assert.Contains(t, err.Error(), tc.want)
			assert.NotContains(t, err.Error(), v.Password)
			assert.Empty(t, api.responds, "no answer is sent to a bad challenge")
		})
	}
}

func TestPasswordFlow(t *testing.T) {
	clock := newClock(time.Now())
	pool := newPasswordPool(clock, time.Hour)
	api := pool.api()
	_, ts := testSource(t, baseConfig(), api, clock, nil)
	tok, err := ts.Token()
	require.NoError(t, err)
	in := api.lastInit()
	assert.Equal(t, types.AuthFlowTypeUserPasswordAuth, in.AuthFlow)
	assert.Equal(t, "client123", aws.ToString(in.ClientId))
	assert.Equal(t, map[string]string{"USERNAME": "alice", "PASSWORD": "s3cret pw"}, in.AuthParameters)
	assert.Equal(t, "rt-1", tok.RefreshToken)
	assert.Empty(t, api.responds)

	conf := baseConfig()
	conf.Password = "wrong"
	_, ts = testSource(t, conf, pool.api(), clock, nil)
	_, err = ts.Token()
	var notAuth *types.NotAuthorizedException
	require.ErrorAs(t, err, &notAuth)
	assert.True(t, strings.HasPrefix(err.Error(), "cognito: "))
}

// TestSecretHash checks the name inside SECRET_HASH at each step for a user
// who types an email alias while the pool knows them by a UUID.
func TestSecretHash(t *testing.T) {
	const secret, alias, uuid = "client-secret-value", "alice@example.com", "6f1c2a9e-1111-4c2b-9f00-aaaaaaaaaaaa"
	v := loadVectors(t)[0]
	v.UserID = uuid
	clock := newClock(time.Now())
	api := vectorAPI(v, time.Minute, clock.Now)
	// The vector's signature is for another user ID: accept any signature.
	api.respond = func(context.Context, *cip.RespondToAuthChallengeInput) (*cip.RespondToAuthChallengeOutput, error) {
		return &cip.RespondToAuthChallengeOutput{AuthenticationResult: tokens(uuid, clock.Now(), time.Minute, true, "rt", 1)}, nil
	}
	conf := Config{UserPoolID: "us-east-1_AbC123", ClientID: "client123", ClientSecret: secret, Username: alias, Password: "pw"}
	s, ts := testSource(t, conf, api, clock, nil)
	_, err := ts.Token()
	require.NoError(t, err)
	assert.Equal(t, wantHash(secret, alias, "client123"), api.inits[0].AuthParameters["SECRET_HASH"], "InitiateAuth: the typed name")
	assert.Equal(t, wantHash(secret, uuid, "client123"), api.responds[0].ChallengeResponses["SECRET_HASH"], "RespondToAuthChallenge: USER_ID_FOR_SRP")

	api.initiate = func(context.Context, *cip.InitiateAuthInput) (*cip.InitiateAuthOutput, error) {
		return &cip.InitiateAuthOutput{AuthenticationResult: tokens(uuid, clock.Now(), time.Minute, true, "", 2)}, nil
	}
	clock.Advance(time.Minute) // past half the lifetime
	_, err = s.attempt()
	require.NoError(t, err)
	in := api.lastInit()
	assert.Equal(t, types.AuthFlowTypeRefreshTokenAuth, in.AuthFlow)
	assert.Equal(t, map[string]string{"REFRESH_TOKEN": "rt", "SECRET_HASH": wantHash(secret, uuid, "client123")}, in.AuthParameters, "refresh: the username claim")

	// The password flow hashes the typed name too.
	pool := &passwordPool{username: uuid, password: "pw", life: time.Hour, clock: clock.Now}
	papi := pool.api()
	conf.Flow = FlowPassword
	_, ts = testSource(t, conf, papi, clock, nil)
	_, err = ts.Token()
	require.NoError(t, err)
	assert.Equal(t, wantHash(secret, alias, "client123"), papi.lastInit().AuthParameters["SECRET_HASH"])

	// A saved token: the name comes from its claims, the ID token's
	// cognito:username when that is the bearer.
	for name, saved := range map[string]*oauth2.Token{
		"access": expiredToken(uuid, "rt-saved"),
		"id": {AccessToken: fakeJWT(map[string]any{"cognito:username": uuid, "exp": 1}), RefreshToken: "rt-saved",
			Expiry: time.Now().Add(-time.Minute)},
	} {
		t.Run(name, func(t *testing.T) {
			papi := pool.api()
			_, ts := testSource(t, conf, papi, clock, saved)
			_, err := ts.Token()
			require.NoError(t, err)
			assert.Equal(t, map[string]string{"REFRESH_TOKEN": "rt-saved", "SECRET_HASH": wantHash(secret, uuid, "client123")}, papi.lastInit().AuthParameters)
		})
	}

	// A saved token that names nobody cannot be renewed with a secret: the
	// source signs in instead, or says a sign-in is needed.
	opaque := &oauth2.Token{AccessToken: "opaque", RefreshToken: "rt", Expiry: time.Now().Add(-time.Minute)}
	papi = pool.api()
	_, ts = testSource(t, conf, papi, clock, opaque)
	_, err = ts.Token()
	require.NoError(t, err)
	assert.Equal(t, 0, papi.count(types.AuthFlowTypeRefreshTokenAuth))
	assert.Equal(t, 1, papi.count(types.AuthFlowTypeUserPasswordAuth))
	conf.Password = ""
	papi = pool.api()
	_, ts = testSource(t, conf, papi, clock, opaque)
	_, err = ts.Token()
	require.ErrorIs(t, err, ErrSignInRequired)
	require.ErrorContains(t, err, "username")
	assert.Empty(t, papi.inits)
}

func TestChallenges(t *testing.T) {
	for _, name := range []types.ChallengeNameType{
		types.ChallengeNameTypeNewPasswordRequired, types.ChallengeNameTypeSmsMfa,
		types.ChallengeNameTypeSoftwareTokenMfa, types.ChallengeNameTypeMfaSetup, "SOMETHING_NEW",
	} {
		t.Run("password/"+string(name), func(t *testing.T) {
			api := &fakeAPI{initiate: func(context.Context, *cip.InitiateAuthInput) (*cip.InitiateAuthOutput, error) {
				return &cip.InitiateAuthOutput{ChallengeName: name, Session: aws.String("sess")}, nil
			}}
			_, ts := testSource(t, baseConfig(), api, newClock(time.Now()), nil)
			_, err := ts.Token()
			var ce *ChallengeError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, name, ce.Challenge)
			assert.Contains(t, err.Error(), string(name))
			assert.True(t, strings.HasPrefix(err.Error(), "cognito: "))
		})
		t.Run("srp/"+string(name), func(t *testing.T) {
			v := loadVectors(t)[0]
			clock := newClock(time.Now())
			api := vectorAPI(v, time.Hour, clock.Now)
			api.respond = func(context.Context, *cip.RespondToAuthChallengeInput) (*cip.RespondToAuthChallengeOutput, error) {
				return &cip.RespondToAuthChallengeOutput{ChallengeName: name, Session: aws.String("sess")}, nil
			}
			conf := Config{UserPoolID: v.PoolID, ClientID: "c", Username: v.UserID, Password: v.Password}
			_, ts := testSource(t, conf, api, clock, nil)
			_, err := ts.Token()
			var ce *ChallengeError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, name, ce.Challenge)
		})
	}
	// An unexpected first challenge to an SRP sign-in is named too.
	api := &fakeAPI{initiate: func(context.Context, *cip.InitiateAuthInput) (*cip.InitiateAuthOutput, error) {
		return &cip.InitiateAuthOutput{ChallengeName: types.ChallengeNameTypeCustomChallenge}, nil
	}}
	conf := baseConfig()
	conf.Flow = FlowSRP
	_, ts := testSource(t, conf, api, newClock(time.Now()), nil)
	_, err := ts.Token()
	var ce *ChallengeError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, types.ChallengeNameTypeCustomChallenge, ce.Challenge)
	// And an empty answer is an error, not a hang or a panic.
	api.initiate = func(context.Context, *cip.InitiateAuthInput) (*cip.InitiateAuthOutput, error) {
		return &cip.InitiateAuthOutput{}, nil
	}
	for _, flow := range []Flow{FlowSRP, FlowPassword} {
		conf.Flow = flow
		_, ts = testSource(t, conf, api, newClock(time.Now()), nil)
		_, err = ts.Token()
		require.ErrorContains(t, err, "neither tokens nor a challenge")
	}
}

// TestSecretHashOpaqueTokens: when the tokens are not JWTs, a renewal's
// SECRET_HASH uses USER_ID_FOR_SRP from the SRP sign-in.
func TestSecretHashOpaqueTokens(t *testing.T) {
	const secret, uuid = "s3cr3t", "6f1c2a9e-1111-4c2b-9f00-aaaaaaaaaaaa"
	v := loadVectors(t)[0]
	v.UserID = uuid
	clock := newClock(time.Now())
	api := vectorAPI(v, time.Minute, clock.Now)
	opaque := func(rt string) *types.AuthenticationResultType {
		r := &types.AuthenticationResultType{AccessToken: aws.String("opaque-access"), ExpiresIn: 60}
		if rt != "" {
			r.RefreshToken = aws.String(rt)
		}
		return r
	}
	api.respond = func(context.Context, *cip.RespondToAuthChallengeInput) (*cip.RespondToAuthChallengeOutput, error) {
		return &cip.RespondToAuthChallengeOutput{AuthenticationResult: opaque("rt")}, nil
	}
	conf := Config{UserPoolID: "us-east-1_AbC123", ClientID: "client123", ClientSecret: secret, Username: "alice@example.com", Password: "pw"}
	s, _ := testSource(t, conf, api, clock, nil)
	_, err := s.attempt()
	require.NoError(t, err)
	api.initiate = func(context.Context, *cip.InitiateAuthInput) (*cip.InitiateAuthOutput, error) {
		return &cip.InitiateAuthOutput{AuthenticationResult: opaque("")}, nil
	}
	clock.Advance(45 * time.Second)
	_, err = s.attempt()
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"REFRESH_TOKEN": "rt", "SECRET_HASH": wantHash(secret, uuid, "client123")}, api.lastInit().AuthParameters)
}

// BenchmarkSRPSignIn is one SRP sign-in of the token source against a fake
// that answers at once: the client's arithmetic plus the request
// building and token mapping around it.
func BenchmarkSRPSignIn(b *testing.B) {
	v := loadVectors(b)[0]
	api := vectorAPI(v, time.Hour, time.Now)
	api.respond = func(context.Context, *cip.RespondToAuthChallengeInput) (*cip.RespondToAuthChallengeOutput, error) {
		return &cip.RespondToAuthChallengeOutput{AuthenticationResult: tokens(v.UserID, time.Now(), time.Hour, true, "rt", 1)}, nil
	}
	conf := Config{UserPoolID: v.PoolID, ClientID: "c", Username: v.UserID, Password: v.Password, API: api}
	b.ReportAllocs()
	for b.Loop() {
		api.inits, api.responds = api.inits[:0], api.responds[:0]
		if _, err := conf.Token(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
}

// TestSRPRefusalMentionsPoolID: with SRP, Cognito answers a wrong pool ID
// as it answers a wrong password; the error says so.
func TestSRPRefusalMentionsPoolID(t *testing.T) {
	t.Parallel()
	v := loadVectors(t)[0]
	api := vectorAPI(v, time.Hour, time.Now)
	conf := Config{UserPoolID: v.PoolID, ClientID: "c", Username: v.UserID, Password: v.Password + "x"}
	s, _ := testSource(t, conf, api, newClock(time.Now()), nil)
	_, err := s.attempt()
	var notAuth *types.NotAuthorizedException
	require.ErrorAs(t, err, &notAuth)
	assert.ErrorContains(t, err, "wrong Config.UserPoolID")
	assert.ErrorContains(t, err, "Incorrect username or password.")
}
