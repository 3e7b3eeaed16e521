package cognito

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/seed-e8acf5fd/cognito/internal/jwt"
	"github.com/seed-e8acf5fd/cognito/internal/srp"
	"github.com/seed-e8acf5fd/cognito/internal/srp/srpvectors"
)

// fakeAPI is a hand-written fake of API: each test supplies the answers
// and reads back what was sent.
type fakeAPI struct {
	mu       sync.Mutex
	initiate func(ctx context.Context, in *cip.InitiateAuthInput) (*cip.InitiateAuthOutput, error)
	respond  func(ctx context.Context, in *cip.RespondToAuthChallengeInput) (*cip.RespondToAuthChallengeOutput, error)
	inits    []*cip.InitiateAuthInput
	responds []*cip.RespondToAuthChallengeInput
}

func (f *fakeAPI) InitiateAuth(ctx context.Context, in *cip.InitiateAuthInput, _ ...func(*cip.Options)) (*cip.InitiateAuthOutput, error) {
	f.mu.Lock()
	f.inits = append(f.inits, in)
	h := f.initiate
	f.mu.Unlock()
	if h == nil {
		return nil, errors.New("fake: unexpected InitiateAuth")
	}
	return h(ctx, in)
}

func (f *fakeAPI) RespondToAuthChallenge(ctx context.Context, in *cip.RespondToAuthChallengeInput, _ ...func(*cip.Options)) (*cip.RespondToAuthChallengeOutput, error) {
	f.mu.Lock()
	f.responds = append(f.responds, in)
	h := f.respond
	f.mu.Unlock()
	if h == nil {
		return nil, errors.New("fake: unexpected RespondToAuthChallenge")
	}
	return h(ctx, in)
}

// count returns how many InitiateAuth calls used flow.
func (f *fakeAPI) count(flow types.AuthFlowType) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, in := range f.inits {
		if in.AuthFlow == flow {
			n++
		}
	}
	return n
}

func (f *fakeAPI) lastInit() *cip.InitiateAuthInput {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.inits[len(f.inits)-1]
}

// fakeClock is a settable clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock(t time.Time) *fakeClock { return &fakeClock{t: t} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// fakeJWT builds an unsigned compact JWT with the given claims.
func fakeJWT(claims map[string]any) string {
	enc := base64.RawURLEncoding
	body, _ := json.Marshal(claims)
	return enc.EncodeToString([]byte(`{"alg":"RS256","kid":"k"}`)) + "." + enc.EncodeToString(body) + ".c2ln"
}

// tokens returns an authentication result for username issued at iat
// (server time) and living life; expiresIn is put in the result only when
// withExpiresIn is set. seq makes each result distinct.
func tokens(username string, iat time.Time, life time.Duration, withExpiresIn bool, refresh string, seq int) *types.AuthenticationResultType {
	base := map[string]any{"iat": iat.Unix(), "exp": iat.Add(life).Unix(), "seq": seq}
	access := map[string]any{"token_use": "access", "username": username}
	id := map[string]any{"token_use": "id", "cognito:username": username}
	for k, v := range base {
		access[k], id[k] = v, v
	}
	r := &types.AuthenticationResultType{
		AccessToken: aws.String(fakeJWT(access)),
		IdToken:     aws.String(fakeJWT(id)),
		TokenType:   aws.String("Bearer"),
	}
	if withExpiresIn {
		r.ExpiresIn = int32(life / time.Second)
	}
	if refresh != "" {
		r.RefreshToken = aws.String(refresh)
	}
	return r
}

// passwordPool answers USER_PASSWORD_AUTH for one user and
// REFRESH_TOKEN_AUTH for the refresh tokens it issued, with ExpiresIn.
type passwordPool struct {
	username, password string
	life               time.Duration
	clock              func() time.Time
	seq                atomic.Int64
	refreshErr         func() error // when set and non-nil, refreshes fail with it
}

func (p *passwordPool) api() *fakeAPI {
	return &fakeAPI{initiate: func(_ context.Context, in *cip.InitiateAuthInput) (*cip.InitiateAuthOutput, error) {
		n := int(p.seq.Add(1))
		switch in.AuthFlow {
		case types.AuthFlowTypeUserPasswordAuth:
			if in.AuthParameters["PASSWORD"] != p.password {
				return nil, &types.NotAuthorizedException{Message: aws.String("Incorrect username or password.")}
			}
			return &cip.InitiateAuthOutput{AuthenticationResult: tokens(p.username, p.clock(), p.life, true, fmt.Sprintf("rt-%d", n), n)}, nil
		case types.AuthFlowTypeRefreshTokenAuth:
			if p.refreshErr != nil {
				if err := p.refreshErr(); err != nil {
					return nil, err
				}
			}
			return &cip.InitiateAuthOutput{AuthenticationResult: tokens(p.username, p.clock(), p.life, true, "", n)}, nil
		}
		return nil, &types.InvalidParameterException{Message: aws.String("flow")}
	}}
}

// testSource builds the inner source and its reuse wrapper with a fake
// clock and API.
func testSource(t *testing.T, conf Config, api API, clock *fakeClock, saved *oauth2.Token) (*source, oauth2.TokenSource) {
	t.Helper()
	conf.API = api
	s := newSource(context.Background(), &conf, saved)
	s.now = clock.Now
	return s, reuse(saved, s, conf.earlyExpiry())
}

func baseConfig() Config {
	return Config{UserPoolID: "us-east-1_AbC123", ClientID: "client123", Username: "alice", Password: "s3cret pw", Flow: FlowPassword}
}

func expiredToken(username, refresh string) *oauth2.Token {
	return &oauth2.Token{
		AccessToken:  fakeJWT(map[string]any{"username": username, "exp": 1, "iat": 0}),
		RefreshToken: refresh,
		Expiry:       time.Now().Add(-time.Hour),
	}
}

type vector = srpvectors.Vector

func loadVectors(t testing.TB) []vector {
	v, err := srpvectors.Load()
	require.NoError(t, err)
	return v
}

// secretOf is the 128 random bytes that make the token source pick the
// vector's a.
func secretOf(t testing.TB, v vector) []byte {
	a, ok := new(big.Int).SetString(v.A, 16)
	require.True(t, ok)
	return a.FillBytes(make([]byte, 128))
}

// vectorAPI answers USER_SRP_AUTH with the vector's challenge and checks
// nothing itself: the test reads what was sent.
func vectorAPI(v vector, life time.Duration, clock func() time.Time) *fakeAPI {
	return &fakeAPI{
		initiate: func(_ context.Context, in *cip.InitiateAuthInput) (*cip.InitiateAuthOutput, error) {
			return &cip.InitiateAuthOutput{
				ChallengeName: types.ChallengeNameTypePasswordVerifier,
				ChallengeParameters: map[string]string{
					"SALT": v.Salt, "SRP_B": v.SRPB, "SECRET_BLOCK": v.SecretBlock,
					"USER_ID_FOR_SRP": v.UserID, "USERNAME": v.UserID,
				},
				Session: aws.String("session-1"),
			}, nil
		},
		respond: func(_ context.Context, in *cip.RespondToAuthChallengeInput) (*cip.RespondToAuthChallengeOutput, error) {
			if in.ChallengeResponses["PASSWORD_CLAIM_SIGNATURE"] != v.Signature {
				return nil, &types.NotAuthorizedException{Message: aws.String("Incorrect username or password.")}
			}
			return &cip.RespondToAuthChallengeOutput{AuthenticationResult: tokens(v.UserID, clock(), life, true, "rt", 1)}, nil
		},
	}
}

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

			tok, err := s.Token()
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
			_, err := s.Token()
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
	pool := &passwordPool{username: "alice", password: "s3cret pw", life: time.Hour, clock: clock.Now}
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

func wantHash(secret, username, clientID string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(username + clientID))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
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
	_, err = s.Token()
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

func TestRefreshKeepsOldRefreshToken(t *testing.T) {
	clock := newClock(time.Now())
	pool := &passwordPool{username: "alice", password: "s3cret pw", life: time.Hour, clock: clock.Now}
	api := pool.api()
	_, ts := testSource(t, baseConfig(), api, clock, expiredToken("alice", "rt-old"))
	tok, err := ts.Token()
	require.NoError(t, err)
	assert.Equal(t, "rt-old", tok.RefreshToken)
	assert.Equal(t, "rt-old", api.lastInit().AuthParameters["REFRESH_TOKEN"])
	assert.Equal(t, 0, api.count(types.AuthFlowTypeUserPasswordAuth))

	// A result that does carry a new refresh token replaces the old one.
	api.initiate = func(context.Context, *cip.InitiateAuthInput) (*cip.InitiateAuthOutput, error) {
		return &cip.InitiateAuthOutput{AuthenticationResult: tokens("alice", clock.Now(), time.Hour, true, "rt-new", 9)}, nil
	}
	s, _ := testSource(t, baseConfig(), api, clock, expiredToken("alice", "rt-old"))
	tok, err = s.Token()
	require.NoError(t, err)
	assert.Equal(t, "rt-new", tok.RefreshToken)
	clock.Advance(31 * time.Minute)
	_, err = s.Token()
	require.NoError(t, err)
	assert.Equal(t, "rt-new", api.lastInit().AuthParameters["REFRESH_TOKEN"])
}

func TestExpiry(t *testing.T) {
	local := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	server := local.Add(-37 * time.Minute) // the local clock runs 37 minutes fast
	const latency = 3 * time.Second

	for name, tc := range map[string]struct {
		withExpiresIn bool
		useID         bool
		idLife        time.Duration
		want          time.Time
	}{
		// ExpiresIn counts from the moment the request was sent.
		"ExpiresIn": {withExpiresIn: true, want: local.Add(5 * time.Minute)},
		// Without it, exp − iat counts from the local receive time.
		"JWT exp with skew": {want: local.Add(latency + 5*time.Minute)},
		// The ID token's own lifetime decides when it is the bearer.
		"ID token bearer": {withExpiresIn: true, useID: true, idLife: 2 * time.Minute, want: local.Add(latency + 2*time.Minute)},
	} {
		t.Run(name, func(t *testing.T) {
			clock := newClock(local)
			api := &fakeAPI{initiate: func(context.Context, *cip.InitiateAuthInput) (*cip.InitiateAuthOutput, error) {
				clock.Advance(latency)
				r := tokens("alice", server, 5*time.Minute, tc.withExpiresIn, "rt", 1)
				if tc.idLife > 0 {
					r.IdToken = aws.String(fakeJWT(map[string]any{"cognito:username": "alice", "iat": server.Unix(), "exp": server.Add(tc.idLife).Unix()}))
				}
				return &cip.InitiateAuthOutput{AuthenticationResult: r}, nil
			}}
			conf := baseConfig()
			conf.UseIDToken = tc.useID
			s, _ := testSource(t, conf, api, clock, nil)
			tok, err := s.Token()
			require.NoError(t, err)
			assert.Equal(t, tc.want, tok.Expiry)
		})
	}

	t.Run("centuries-long lifetime does not overflow", func(t *testing.T) {
		api := &fakeAPI{initiate: func(context.Context, *cip.InitiateAuthInput) (*cip.InitiateAuthOutput, error) {
			return &cip.InitiateAuthOutput{AuthenticationResult: &types.AuthenticationResultType{
				AccessToken: aws.String(fakeJWT(map[string]any{"iat": 1, "exp": 10000000000}))}}, nil
		}}
		s, _ := testSource(t, baseConfig(), api, newClock(local), nil)
		tok, err := s.Token()
		require.NoError(t, err)
		assert.Equal(t, time.Unix(10000000000, 0), tok.Expiry)
	})

	t.Run("JWT exp without iat", func(t *testing.T) {
		api := &fakeAPI{initiate: func(context.Context, *cip.InitiateAuthInput) (*cip.InitiateAuthOutput, error) {
			return &cip.InitiateAuthOutput{AuthenticationResult: &types.AuthenticationResultType{
				AccessToken: aws.String(fakeJWT(map[string]any{"exp": 2000000000}))}}, nil
		}}
		s, _ := testSource(t, baseConfig(), api, newClock(local), nil)
		tok, err := s.Token()
		require.NoError(t, err)
		assert.Equal(t, time.Unix(2000000000, 0), tok.Expiry)
	})

	for name, access := range map[string]string{
		"opaque":         "not-a-jwt",
		"no exp":         fakeJWT(map[string]any{"username": "alice"}),
		"exp string":     fakeJWT(map[string]any{"exp": "soon"}),
		"negative exp":   fakeJWT(map[string]any{"exp": -5}),
		"bad base64":     "a.%%%.c",
		"payload array":  "e30." + base64.RawURLEncoding.EncodeToString([]byte("[1,2]")) + ".c",
		"exp equals iat": fakeJWT(map[string]any{"exp": 1700000000, "iat": 1700000000}),
		"exp long past":  fakeJWT(map[string]any{"exp": 1000}),
	} {
		t.Run("never zero/"+name, func(t *testing.T) {
			api := &fakeAPI{initiate: func(context.Context, *cip.InitiateAuthInput) (*cip.InitiateAuthOutput, error) {
				return &cip.InitiateAuthOutput{AuthenticationResult: &types.AuthenticationResultType{AccessToken: aws.String(access)}}, nil
			}}
			s, _ := testSource(t, baseConfig(), api, newClock(local), nil)
			tok, err := s.Token()
			require.Error(t, err)
			assert.Nil(t, tok)
			assert.True(t, strings.HasPrefix(err.Error(), "cognito: "))
			assert.NotContains(t, err.Error(), access)
		})
	}
}

// TestEarlyExpiry checks renewals through the whole stack in real time.
func TestEarlyExpiry(t *testing.T) {
	assert.Less(t, DefaultEarlyExpiry, time.Minute, "far below Cognito's 5-minute minimum lifetime")
	assert.Greater(t, DefaultEarlyExpiry, time.Duration(0))

	// A 5-minute token is reused, not renewed, by the default.
	clock := newClock(time.Now())
	pool := &passwordPool{username: "alice", password: "s3cret pw", life: 5 * time.Minute, clock: clock.Now}
	api := pool.api()
	_, ts := testSource(t, baseConfig(), api, clock, nil)
	first, err := ts.Token()
	require.NoError(t, err)
	for range 10 {
		tok, err := ts.Token()
		require.NoError(t, err)
		assert.Same(t, first, tok)
	}
	assert.Len(t, api.inits, 1)

	// A token renewed EarlyExpiry before it expires.
	conf := baseConfig()
	conf.EarlyExpiry = 4*time.Minute + 59*time.Second
	_, ts = testSource(t, conf, pool.api(), clock, expiredToken("alice", "rt"))
	tok, err := ts.Token()
	require.NoError(t, err)
	again, err := ts.Token()
	require.NoError(t, err)
	assert.Same(t, tok, again, "valid for one more second")
}

// TestShortLifetime: tokens living less than the early expiry must not be
// renewed at every call, only once per half lifetime.
func TestShortLifetime(t *testing.T) {
	clock := newClock(time.Now())
	pool := &passwordPool{username: "alice", password: "s3cret pw", life: 10 * time.Second, clock: clock.Now}
	api := pool.api()
	conf := baseConfig()
	conf.EarlyExpiry = 30 * time.Second
	_, ts := testSource(t, conf, api, clock, nil)
	first, err := ts.Token()
	require.NoError(t, err)
	for range 100 {
		tok, err := ts.Token()
		require.NoError(t, err)
		assert.Equal(t, first.AccessToken, tok.AccessToken)
	}
	assert.Len(t, api.inits, 1)

	clock.Advance(4 * time.Second)
	_, err = ts.Token()
	require.NoError(t, err)
	assert.Len(t, api.inits, 1, "before half the lifetime")

	clock.Advance(2 * time.Second)
	renewed, err := ts.Token()
	require.NoError(t, err)
	assert.NotEqual(t, first.AccessToken, renewed.AccessToken)
	assert.Equal(t, 1, api.count(types.AuthFlowTypeRefreshTokenAuth))
	for range 100 {
		_, err := ts.Token()
		require.NoError(t, err)
	}
	assert.Len(t, api.inits, 2)
}

func TestRefreshRefused(t *testing.T) {
	refused := []error{
		&types.NotAuthorizedException{Message: aws.String("Invalid Refresh Token")},
		&types.NotAuthorizedException{Message: aws.String("Refresh Token has been revoked")},
		&types.RefreshTokenReuseException{Message: aws.String("reused")},
		fmt.Errorf("operation error: %w", &types.NotAuthorizedException{Message: aws.String("Refresh Token has expired")}),
	}
	for i, refuse := range refused {
		t.Run(fmt.Sprint("with password/", i), func(t *testing.T) {
			clock := newClock(time.Now())
			pool := &passwordPool{username: "alice", password: "s3cret pw", life: time.Hour, clock: clock.Now,
				refreshErr: func() error { return refuse }}
			api := pool.api()
			_, ts := testSource(t, baseConfig(), api, clock, expiredToken("alice", "rt-dead"))
			tok, err := ts.Token()
			require.NoError(t, err)
			assert.Equal(t, 1, api.count(types.AuthFlowTypeRefreshTokenAuth))
			assert.Equal(t, 1, api.count(types.AuthFlowTypeUserPasswordAuth), "signs in again, once")
			assert.NotEqual(t, "rt-dead", tok.RefreshToken)
		})
		t.Run(fmt.Sprint("without password/", i), func(t *testing.T) {
			clock := newClock(time.Now())
			pool := &passwordPool{username: "alice", password: "s3cret pw", life: time.Hour, clock: clock.Now,
				refreshErr: func() error { return refuse }}
			api := pool.api()
			conf := baseConfig()
			conf.Password = ""
			_, ts := testSource(t, conf, api, clock, expiredToken("alice", "rt-dead"))
			_, err := ts.Token()
			require.ErrorIs(t, err, ErrSignInRequired)
			assert.ErrorAs(t, err, new(interface{ ErrorCode() string }))
			assert.Contains(t, err.Error(), "sign-in is needed")
			assert.NotContains(t, err.Error(), "rt-dead")
			_, err = ts.Token()
			require.ErrorIs(t, err, ErrSignInRequired)
			assert.Len(t, api.inits, 1, "a refused refresh token is not tried again")
		})
	}

	t.Run("sign-in fails too", func(t *testing.T) {
		clock := newClock(time.Now())
		pool := &passwordPool{username: "alice", password: "other", life: time.Hour, clock: clock.Now,
			refreshErr: func() error { return refused[0] }}
		api := pool.api()
		_, ts := testSource(t, baseConfig(), api, clock, expiredToken("alice", "rt-dead"))
		_, err := ts.Token()
		var notAuth *types.NotAuthorizedException
		require.ErrorAs(t, err, &notAuth)
		assert.Equal(t, "Incorrect username or password.", aws.ToString(notAuth.Message))
		assert.Equal(t, 1, api.count(types.AuthFlowTypeUserPasswordAuth))
	})
}

type netError struct{}

func (netError) Error() string   { return "dial tcp: connection refused" }
func (netError) Timeout() bool   { return false }
func (netError) Temporary() bool { return true }

func TestRefreshTransient(t *testing.T) {
	for name, fault := range map[string]error{
		"throttled": &types.TooManyRequestsException{Message: aws.String("Rate exceeded")},
		"5xx":       &types.InternalErrorException{Message: aws.String("boom")},
		"network":   netError{},
		"deadline":  context.DeadlineExceeded,
	} {
		t.Run(name, func(t *testing.T) {
			clock := newClock(time.Now())
			var failing atomic.Bool
			failing.Store(true)
			pool := &passwordPool{username: "alice", password: "s3cret pw", life: time.Hour, clock: clock.Now,
				refreshErr: func() error {
					if failing.Load() {
						return fault
					}
					return nil
				}}
			api := pool.api()
			_, ts := testSource(t, baseConfig(), api, clock, expiredToken("alice", "rt-keep"))
			_, err := ts.Token()
			require.ErrorIs(t, err, fault)
			assert.True(t, strings.HasPrefix(err.Error(), "cognito: "))
			assert.NotErrorIs(t, err, ErrSignInRequired)
			assert.Equal(t, 0, api.count(types.AuthFlowTypeUserPasswordAuth), "no sign-in on a transient failure")

			failing.Store(false)
			tok, err := ts.Token()
			require.NoError(t, err)
			assert.Equal(t, "rt-keep", tok.RefreshToken)
			assert.Equal(t, "rt-keep", api.lastInit().AuthParameters["REFRESH_TOKEN"])
			assert.Equal(t, 2, api.count(types.AuthFlowTypeRefreshTokenAuth))
		})
	}
}

// TestConcurrentExpiry: 64 goroutines meet an expired token at once and
// cause exactly one refresh.
func TestConcurrentExpiry(t *testing.T) {
	clock := newClock(time.Now())
	pool := &passwordPool{username: "alice", password: "s3cret pw", life: time.Hour, clock: clock.Now}
	var refreshes atomic.Int32
	pool.refreshErr = func() error {
		refreshes.Add(1)
		time.Sleep(20 * time.Millisecond) // keep the others waiting
		return nil
	}
	api := pool.api()
	_, ts := testSource(t, baseConfig(), api, clock, expiredToken("alice", "rt"))

	const n = 64
	start := make(chan struct{})
	got := make([]*oauth2.Token, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			tok, err := ts.Token()
			assert.NoError(t, err)
			got[i] = tok
		})
	}
	close(start)
	wg.Wait()
	assert.Equal(t, int32(1), refreshes.Load())
	assert.Len(t, api.inits, 1)
	for _, tok := range got {
		assert.Same(t, got[0], tok)
	}
}

func TestTokenShape(t *testing.T) {
	clock := newClock(time.Now())
	pool := &passwordPool{username: "alice", password: "s3cret pw", life: time.Hour, clock: clock.Now}
	for _, useID := range []bool{false, true} {
		t.Run(fmt.Sprint("UseIDToken=", useID), func(t *testing.T) {
			conf := baseConfig()
			conf.UseIDToken = useID
			s, _ := testSource(t, conf, pool.api(), clock, nil)
			tok, err := s.Token()
			require.NoError(t, err)
			access, _ := tok.Extra("access_token").(string)
			id := IDToken(tok)
			ac, err := jwt.Parse(access)
			require.NoError(t, err)
			assert.Equal(t, "alice", ac.Username)
			ic, err := jwt.Parse(id)
			require.NoError(t, err)
			assert.Equal(t, "alice", ic.CognitoUsername)
			if useID {
				assert.Equal(t, id, tok.AccessToken)
			} else {
				assert.Equal(t, access, tok.AccessToken)
			}
			assert.Equal(t, "Bearer", tok.TokenType)
			assert.Equal(t, "Bearer", tok.Type())
			assert.NotEmpty(t, tok.RefreshToken)
			assert.False(t, tok.Expiry.IsZero())

			// Renewal hands out a new token and leaves the old one alone.
			before := *tok
			clock.Advance(40 * time.Minute)
			next, err := s.Token()
			require.NoError(t, err)
			assert.NotSame(t, tok, next)
			assert.NotEqual(t, tok.AccessToken, next.AccessToken)
			assert.Equal(t, before.AccessToken, tok.AccessToken)
			assert.Equal(t, before.Expiry, tok.Expiry)
			assert.Equal(t, id, IDToken(tok))
		})
	}
	assert.Equal(t, "", IDToken(nil))
	assert.Equal(t, "", IDToken(&oauth2.Token{AccessToken: "x"}))
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

type ctxKey struct{}

func TestContext(t *testing.T) {
	t.Run("bounds calls", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.WithValue(context.Background(), ctxKey{}, "mine"), 50*time.Millisecond)
		defer cancel()
		var sawValue atomic.Bool
		api := &fakeAPI{initiate: func(ctx context.Context, _ *cip.InitiateAuthInput) (*cip.InitiateAuthOutput, error) {
			sawValue.Store(ctx.Value(ctxKey{}) == "mine")
			<-ctx.Done() // a server that never answers
			return nil, ctx.Err()
		}}
		conf := baseConfig()
		conf.API = api
		_, err := conf.TokenSource(ctx, nil).Token()
		require.ErrorIs(t, err, context.DeadlineExceeded)
		assert.True(t, sawValue.Load())
	})
	t.Run("cancelled", func(t *testing.T) {
		clock := newClock(time.Now())
		pool := &passwordPool{username: "alice", password: "s3cret pw", life: time.Hour, clock: clock.Now}
		api := pool.api()
		ctx, cancel := context.WithCancel(context.Background())
		conf := baseConfig()
		conf.API = api
		s := newSource(ctx, &conf, nil)
		s.now = clock.Now
		ts := reuse(nil, s, conf.earlyExpiry())
		tok, err := ts.Token()
		require.NoError(t, err)
		cancel()
		cached, err := ts.Token()
		require.NoError(t, err, "the cached token outlives the context")
		assert.Same(t, tok, cached)

		clock.Advance(59 * time.Minute)
		_, err = s.Token()
		require.ErrorIs(t, err, context.Canceled)
		assert.Contains(t, err.Error(), "new token source")
		assert.Len(t, api.inits, 1, "no call with a dead context")

		// Carrying on with a live context from the last token works.
		conf2 := baseConfig()
		conf2.Password = ""
		conf2.API = api
		next, err := conf2.TokenSource(context.Background(), &oauth2.Token{
			AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken, Expiry: time.Now().Add(-time.Second),
		}).Token()
		require.NoError(t, err)
		assert.Equal(t, tok.RefreshToken, next.RefreshToken)
	})
}

func TestConfigErrors(t *testing.T) {
	for name, tc := range map[string]struct {
		mutate func(*Config)
		want   string
	}{
		"pool id without _": {func(c *Config) { c.UserPoolID = "useast1AbC" }, "UserPoolID"},
		"pool id no region": {func(c *Config) { c.UserPoolID = "_AbC" }, "UserPoolID"},
		"pool id no name":   {func(c *Config) { c.UserPoolID = "us-east-1_" }, "UserPoolID"},
		"no client id":      {func(c *Config) { c.ClientID = "" }, "ClientID"},
		"unknown flow":      {func(c *Config) { c.Flow = "CUSTOM_AUTH" }, "Flow"},
		"no username":       {func(c *Config) { c.Username = "" }, "Username"},
	} {
		t.Run(name, func(t *testing.T) {
			conf := baseConfig()
			conf.API = &fakeAPI{}
			tc.mutate(&conf)
			_, err := conf.TokenSource(context.Background(), nil).Token()
			require.ErrorContains(t, err, tc.want)
			assert.True(t, strings.HasPrefix(err.Error(), "cognito: "))
			_, err = conf.Token(context.Background())
			require.ErrorContains(t, err, tc.want)
		})
	}
	conf := baseConfig()
	conf.Password = ""
	conf.API = &fakeAPI{}
	_, err := conf.TokenSource(context.Background(), nil).Token()
	require.ErrorIs(t, err, ErrSignInRequired)
	_, err = conf.Token(context.Background())
	require.ErrorIs(t, err, ErrSignInRequired)
}

func TestDefaultClient(t *testing.T) {
	hc := &http.Client{Timeout: 7 * time.Second}
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, hc)
	conf := Config{UserPoolID: "eu-west-2_Zq9RefPool", ClientID: "c"}
	s := newSource(ctx, &conf, nil)
	require.NoError(t, s.err)
	client, ok := s.api.(*cip.Client)
	require.True(t, ok)
	assert.Equal(t, "eu-west-2", client.Options().Region)
	assert.Same(t, hc, client.Options().HTTPClient)
}

func TestConfigTokenSignsInEachTime(t *testing.T) {
	clock := newClock(time.Now())
	pool := &passwordPool{username: "alice", password: "s3cret pw", life: time.Hour, clock: clock.Now}
	conf := baseConfig()
	conf.API = pool.api()
	a, err := conf.Token(context.Background())
	require.NoError(t, err)
	b, err := conf.Token(context.Background())
	require.NoError(t, err)
	assert.NotEqual(t, a.AccessToken, b.AccessToken)
	assert.Equal(t, 2, conf.API.(*fakeAPI).count(types.AuthFlowTypeUserPasswordAuth))
}

func TestSavedTokenUsedFirst(t *testing.T) {
	api := &fakeAPI{}
	saved := &oauth2.Token{AccessToken: "saved", RefreshToken: "rt", TokenType: "Bearer", Expiry: time.Now().Add(time.Hour)}
	conf := baseConfig()
	conf.API = api
	tok, err := conf.TokenSource(context.Background(), saved).Token()
	require.NoError(t, err)
	assert.Equal(t, "saved", tok.AccessToken)
	assert.NotSame(t, saved, tok)
	assert.Empty(t, api.inits)
}

func TestSavedTokenWithoutExpiry(t *testing.T) {
	clock := newClock(time.Now())
	pool := &passwordPool{username: "alice", password: "s3cret pw", life: time.Hour, clock: clock.Now}
	conf := baseConfig()
	conf.Password = ""
	// A JWT whose exp has passed is renewed, although Expiry is zero.
	api := pool.api()
	conf.API = api
	stale := &oauth2.Token{AccessToken: fakeJWT(map[string]any{"username": "alice", "exp": time.Now().Add(-time.Minute).Unix()}), RefreshToken: "rt"}
	tok, err := conf.TokenSource(context.Background(), stale).Token()
	require.NoError(t, err)
	assert.NotEqual(t, stale.AccessToken, tok.AccessToken)
	assert.Len(t, api.inits, 1)
	assert.True(t, stale.Expiry.IsZero(), "the caller's token is not changed")
	// An opaque token without Expiry is renewed at once.
	api = pool.api()
	conf.API = api
	_, err = conf.TokenSource(context.Background(), &oauth2.Token{AccessToken: "opaque", RefreshToken: "rt"}).Token()
	require.NoError(t, err)
	assert.Len(t, api.inits, 1)
	// A JWT still valid is used as it is.
	api = pool.api()
	conf.API = api
	fresh := &oauth2.Token{AccessToken: fakeJWT(map[string]any{"username": "alice", "exp": time.Now().Add(time.Hour).Unix()}), RefreshToken: "rt"}
	tok, err = conf.TokenSource(context.Background(), fresh).Token()
	require.NoError(t, err)
	assert.Equal(t, fresh.AccessToken, tok.AccessToken)
	assert.Empty(t, api.inits)
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
	_, err := s.Token()
	require.NoError(t, err)
	api.initiate = func(context.Context, *cip.InitiateAuthInput) (*cip.InitiateAuthOutput, error) {
		return &cip.InitiateAuthOutput{AuthenticationResult: opaque("")}, nil
	}
	clock.Advance(45 * time.Second)
	_, err = s.Token()
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"REFRESH_TOKEN": "rt", "SECRET_HASH": wantHash(secret, uuid, "client123")}, api.lastInit().AuthParameters)
}

// TestNoSecretsInErrors drives every failure path with recognisable
// secrets and checks none leaks into a message.
func TestNoSecretsInErrors(t *testing.T) {
	const password, secret, refresh = "PASSWORD-abc", "SECRET-def", "REFRESH-ghi"
	conf := Config{UserPoolID: "us-east-1_AbC", ClientID: "c", ClientSecret: secret, Username: "u", Password: password}
	failures := []func(context.Context, *cip.InitiateAuthInput) (*cip.InitiateAuthOutput, error){
		func(context.Context, *cip.InitiateAuthInput) (*cip.InitiateAuthOutput, error) {
			return nil, &types.NotAuthorizedException{Message: aws.String("Incorrect username or password.")}
		},
		func(context.Context, *cip.InitiateAuthInput) (*cip.InitiateAuthOutput, error) {
			return &cip.InitiateAuthOutput{AuthenticationResult: &types.AuthenticationResultType{AccessToken: aws.String("TOKEN-jkl")}}, nil
		},
		func(context.Context, *cip.InitiateAuthInput) (*cip.InitiateAuthOutput, error) {
			return &cip.InitiateAuthOutput{ChallengeName: types.ChallengeNameTypePasswordVerifier,
				ChallengeParameters: map[string]string{"SALT": "zz", "SRP_B": "1", "SECRET_BLOCK": "QQ==", "USER_ID_FOR_SRP": "u"}}, nil
		},
	}
	for i, f := range failures {
		for _, flow := range []Flow{FlowSRP, FlowPassword} {
			c := conf
			c.Flow = flow
			saved := expiredToken("u", refresh)
			_, ts := testSource(t, c, &fakeAPI{initiate: f}, newClock(time.Now()), saved)
			_, err := ts.Token()
			require.Error(t, err, i)
			for _, s := range []string{password, secret, refresh, "TOKEN-jkl", saved.AccessToken, secretHash(secret, "u", "c")} {
				assert.NotContains(t, err.Error(), s)
			}
		}
	}
}

// BenchmarkCachedToken is Token on a valid cached token, beside a bare
// oauth2.ReuseTokenSource holding the same token.
func BenchmarkCachedToken(b *testing.B) {
	tok := &oauth2.Token{AccessToken: "x", RefreshToken: "rt", Expiry: time.Now().Add(time.Hour)}
	b.Run("cognito", func(b *testing.B) {
		conf := baseConfig()
		conf.API = &fakeAPI{}
		ts := conf.TokenSource(context.Background(), tok)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := ts.Token(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("oauth2.ReuseTokenSource", func(b *testing.B) {
		cp := *tok
		ts := oauth2.ReuseTokenSource(&cp, nil)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := ts.Token(); err != nil {
				b.Fatal(err)
			}
		}
	})
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
