package cognito

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

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
	signInErr          func() error // when set and non-nil, sign-ins fail with it
}

// newPasswordPool is a pool where alice signs in with "s3cret pw" (the
// password of baseConfig) and gets tokens living life.
func newPasswordPool(clock *fakeClock, life time.Duration) *passwordPool {
	return &passwordPool{username: "alice", password: "s3cret pw", life: life, clock: clock.Now}
}

func (p *passwordPool) api() *fakeAPI {
	return &fakeAPI{initiate: func(_ context.Context, in *cip.InitiateAuthInput) (*cip.InitiateAuthOutput, error) {
		n := int(p.seq.Add(1))
		switch in.AuthFlow {
		case types.AuthFlowTypeUserPasswordAuth:
			if p.signInErr != nil {
				if err := p.signInErr(); err != nil {
					return nil, err
				}
			}
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

// testSource builds a source and its cache with a fake clock and API; the
// cache's back-offs have no jitter.
func testSource(t testing.TB, conf Config, api API, clock *fakeClock, saved *oauth2.Token) (*source, *cache) {
	t.Helper()
	conf.API = api
	s := newSource(context.Background(), &conf, saved)
	s.now = clock.Now
	c := newCache(s, saved, conf.earlyExpiry())
	c.jitter = func() float64 { return 1 }
	return s, c
}

// attempt makes one attempt of s, as the cache does, and returns its token.
func (s *source) attempt() (*oauth2.Token, error) {
	f, err := s.renew()
	if err != nil {
		return nil, err
	}
	return f.tok, nil
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

func wantHash(secret, username, clientID string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(username + clientID))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

type netError struct{}

func (netError) Error() string   { return "dial tcp: connection refused" }
func (netError) Timeout() bool   { return false }
func (netError) Temporary() bool { return true }

type ctxKey struct{}
