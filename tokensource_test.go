package cognito

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"net/url"
	"strings"
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
)

func TestRefreshKeepsOldRefreshToken(t *testing.T) {
	clock := newClock(time.Now())
	pool := newPasswordPool(clock, time.Hour)
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
	tok, err = s.attempt()
	require.NoError(t, err)
	assert.Equal(t, "rt-new", tok.RefreshToken)
	clock.Advance(31 * time.Minute)
	_, err = s.attempt()
	require.NoError(t, err)
	assert.Equal(t, "rt-new", api.lastInit().AuthParameters["REFRESH_TOKEN"])
}

func TestExpiry(t *testing.T) {
	local := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	server := local.Add(-37 * time.Minute) // the local clock runs 37 minutes fast
	const latency = 3 * time.Second

	for _, tc := range []struct {
		name      string
		expiresIn int32 // 0: none
		useID     bool
		idLife    time.Duration // 0: as long as the access token
		want      time.Time
	}{
		// ExpiresIn counts from the moment the request was sent.
		{name: "ExpiresIn", expiresIn: 300, want: local.Add(5 * time.Minute)},
		// Without it, exp − iat counts from the local receive time.
		{name: "JWT exp with skew", want: local.Add(latency + 5*time.Minute)},
		// The ID token's own lifetime decides when it is the bearer.
		{name: "ID token bearer", expiresIn: 300, useID: true, idLife: 2 * time.Minute, want: local.Add(latency + 2*time.Minute)},
		// IDToken(tok) must not expire before the token: the earlier wins.
		{name: "ID token expires first", expiresIn: 300, idLife: 2 * time.Minute, want: local.Add(latency + 2*time.Minute)},
		// ExpiresIn is not trusted over the token's own exp.
		{name: "ExpiresIn beyond exp", expiresIn: math.MaxInt32, want: local.Add(latency + 5*time.Minute)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			clock := newClock(local)
			api := &fakeAPI{initiate: func(context.Context, *cip.InitiateAuthInput) (*cip.InitiateAuthOutput, error) {
				clock.Advance(latency)
				r := tokens("alice", server, 5*time.Minute, false, "rt", 1)
				r.ExpiresIn = tc.expiresIn
				if tc.idLife > 0 {
					r.IdToken = aws.String(fakeJWT(map[string]any{"cognito:username": "alice", "iat": server.Unix(), "exp": server.Add(tc.idLife).Unix()}))
				}
				return &cip.InitiateAuthOutput{AuthenticationResult: r}, nil
			}}
			conf := baseConfig()
			conf.UseIDToken = tc.useID
			s, _ := testSource(t, conf, api, clock, nil)
			tok, err := s.attempt()
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
		tok, err := s.attempt()
		require.NoError(t, err)
		assert.Equal(t, time.Unix(10000000000, 0), tok.Expiry)
	})

	t.Run("JWT exp without iat", func(t *testing.T) {
		api := &fakeAPI{initiate: func(context.Context, *cip.InitiateAuthInput) (*cip.InitiateAuthOutput, error) {
			return &cip.InitiateAuthOutput{AuthenticationResult: &types.AuthenticationResultType{
				AccessToken: aws.String(fakeJWT(map[string]any{"exp": 2000000000}))}}, nil
		}}
		s, _ := testSource(t, baseConfig(), api, newClock(local), nil)
		tok, err := s.attempt()
		require.NoError(t, err)
		assert.Equal(t, time.Unix(2000000000, 0), tok.Expiry)
	})

	t.Run("exp equals iat despite ExpiresIn", func(t *testing.T) {
		api := &fakeAPI{initiate: func(context.Context, *cip.InitiateAuthInput) (*cip.InitiateAuthOutput, error) {
			return &cip.InitiateAuthOutput{AuthenticationResult: &types.AuthenticationResultType{ExpiresIn: 3600,
				AccessToken: aws.String(fakeJWT(map[string]any{"iat": 1700000000, "exp": 1700000000}))}}, nil
		}}
		s, _ := testSource(t, baseConfig(), api, newClock(local), nil)
		_, err := s.attempt()
		require.ErrorContains(t, err, "issued already expired")
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
			tok, err := s.attempt()
			require.Error(t, err)
			assert.Nil(t, tok)
			assert.True(t, strings.HasPrefix(err.Error(), "cognito: "))
			assert.NotContains(t, err.Error(), access)
		})
	}
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
			pool := newPasswordPool(clock, time.Hour)
			pool.refreshErr = func() error { return refuse }
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
			pool := newPasswordPool(clock, time.Hour)
			pool.refreshErr = func() error { return refuse }
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
			pool := newPasswordPool(clock, time.Hour)
			pool.refreshErr = func() error {
				if failing.Load() {
					return fault
				}
				return nil
			}
			api := pool.api()
			s, _ := testSource(t, baseConfig(), api, clock, expiredToken("alice", "rt-keep"))
			_, err := s.attempt()
			require.ErrorIs(t, err, fault)
			assert.True(t, strings.HasPrefix(err.Error(), "cognito: "))
			assert.NotErrorIs(t, err, ErrSignInRequired)
			assert.Equal(t, 0, api.count(types.AuthFlowTypeUserPasswordAuth), "no sign-in on a transient failure")

			failing.Store(false)
			tok, err := s.attempt()
			require.NoError(t, err)
			assert.Equal(t, "rt-keep", tok.RefreshToken)
			assert.Equal(t, "rt-keep", api.lastInit().AuthParameters["REFRESH_TOKEN"])
			assert.Equal(t, 2, api.count(types.AuthFlowTypeRefreshTokenAuth))
		})
	}
}

func TestTokenShape(t *testing.T) {
	clock := newClock(time.Now())
	pool := newPasswordPool(clock, time.Hour)
	for _, useID := range []bool{false, true} {
		t.Run(fmt.Sprint("UseIDToken=", useID), func(t *testing.T) {
			conf := baseConfig()
			conf.UseIDToken = useID
			s, _ := testSource(t, conf, pool.api(), clock, nil)
			tok, err := s.attempt()
			require.NoError(t, err)
			access, _ := tok.Extra("access_token").(string)
			id := IDToken(tok)
			ac, err := jwt.ParseUnverified(access)
			require.NoError(t, err)
			assert.Equal(t, "alice", ac.Username)
			ic, err := jwt.ParseUnverified(id)
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
			next, err := s.attempt()
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
		pool := newPasswordPool(clock, time.Hour)
		api := pool.api()
		ctx, cancel := context.WithCancel(context.Background())
		conf := baseConfig()
		conf.API = api
		s := newSource(ctx, &conf, nil)
		s.now = clock.Now
		ts := newCache(s, nil, conf.earlyExpiry()).reuseSource()
		tok, err := ts.Token()
		require.NoError(t, err)
		cancel()
		cached, err := ts.Token()
		require.NoError(t, err, "the cached token outlives the context")
		assert.Same(t, tok, cached)

		clock.Advance(59 * time.Minute)
		_, err = s.attempt()
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
		"unknown flow":      {func(c *Config) { c.Flow = "ADMIN_NO_SRP_AUTH" }, "Flow"},
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

func TestConfigTokenSignsInEachTime(t *testing.T) {
	clock := newClock(time.Now())
	pool := newPasswordPool(clock, time.Hour)
	conf := baseConfig()
	conf.API = pool.api()
	a, err := conf.Token(context.Background())
	require.NoError(t, err)
	b, err := conf.Token(context.Background())
	require.NoError(t, err)
	assert.NotEqual(t, a.AccessToken, b.AccessToken)
	assert.Equal(t, 2, conf.API.(*fakeAPI).count(types.AuthFlowTypeUserPasswordAuth))
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

// TestConfigRedacted: printing a Config with fmt or log/slog shows neither
// the password nor the client secret.
func TestConfigRedacted(t *testing.T) {
	t.Parallel()
	conf := Config{UserPoolID: "eu-west-1_AbC", ClientID: "cid", ClientSecret: "SECRET-xyz", Username: "alice", Password: "PASSWORD-xyz", API: &fakeAPI{}}
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("config", "conf", conf, "ptr", &conf)
	slog.New(slog.NewTextHandler(&logged, nil)).Info("config", "conf", conf)
	outputs := []string{logged.String()}
	for _, format := range []string{"%v", "%+v", "%#v", "%s"} {
		outputs = append(outputs, fmt.Sprintf(format, conf), fmt.Sprintf(format, &conf))
	}
	for _, out := range outputs {
		assert.NotContains(t, out, "PASSWORD-xyz")
		assert.NotContains(t, out, "SECRET-xyz")
		assert.Contains(t, out, "eu-west-1_AbC", "the rest is shown")
		assert.Contains(t, out, "redacted")
	}
	assert.Contains(t, fmt.Sprint(Config{}), `Password: ""`, "an empty secret shows as empty")
}

// TestEchoedSecretsRedacted: an endpoint that echoes the request in its
// error message cannot make the password, secret or refresh token appear
// in an error, in any form it could echo them.
func TestEchoedSecretsRedacted(t *testing.T) {
	t.Parallel()
	const password, secret, refresh = `Pässw0rd "<&>" ✓`, "SECRET/+=xyz", "REFRESH.token-abc"
	echo := func(params map[string]string) error {
		body, _ := json.Marshal(params)
		q := url.Values{}
		for k, v := range params {
			q.Set(k, v)
		}
		return &types.InvalidParameterException{Message: aws.String("bad request " + string(body) + " " + q.Encode())}
	}
	for _, tc := range []struct {
		name  string
		flow  Flow
		saved *oauth2.Token
	}{
		{"password", FlowPassword, nil},
		{"srp", FlowSRP, nil},
		{"refresh", FlowPassword, expiredToken("alice", refresh)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			v := loadVectors(t)[0]
			api := vectorAPI(v, time.Hour, time.Now)
			inner := api.initiate
			api.initiate = func(ctx context.Context, in *cip.InitiateAuthInput) (*cip.InitiateAuthOutput, error) {
				if in.AuthFlow == types.AuthFlowTypeUserSrpAuth {
					return inner(ctx, in)
				}
				return nil, echo(in.AuthParameters)
			}
			api.respond = func(_ context.Context, in *cip.RespondToAuthChallengeInput) (*cip.RespondToAuthChallengeOutput, error) {
				return nil, echo(in.ChallengeResponses)
			}
			conf := Config{UserPoolID: v.PoolID, ClientID: "c", ClientSecret: secret, Username: "alice", Password: password, Flow: tc.flow}
			if tc.saved != nil {
				conf.Password = ""
			}
			s, _ := testSource(t, conf, api, newClock(time.Now()), tc.saved)
			_, err := s.attempt()
			require.Error(t, err)
			var invalid *types.InvalidParameterException
			require.ErrorAs(t, err, &invalid, "the SDK's error is still there")
			msg := err.Error()
			assert.Contains(t, msg, "bad request")
			hashes := []string{secretHash(secret, "alice", "c"), secretHash(secret, v.UserID, "c")}
			for _, secretValue := range append([]string{password, secret, refresh}, hashes...) {
				quoted, _ := json.Marshal(secretValue)
				for _, form := range []string{secretValue, string(quoted[1 : len(quoted)-1]), url.QueryEscape(secretValue)} {
					assert.NotContains(t, msg, form)
				}
			}
		})
	}
}

// TestIssuerChecked: tokens of another pool (a typo in the pool ID's name
// signs in fine with USER_PASSWORD_AUTH) are refused with a clear error.
func TestIssuerChecked(t *testing.T) {
	t.Parallel()
	issued := func(iss string) *fakeAPI {
		return &fakeAPI{initiate: func(context.Context, *cip.InitiateAuthInput) (*cip.InitiateAuthOutput, error) {
			now := time.Now()
			claims := map[string]any{"username": "alice", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
			if iss != "" {
				claims["iss"] = iss
			}
			return &cip.InitiateAuthOutput{AuthenticationResult: &types.AuthenticationResultType{AccessToken: aws.String(fakeJWT(claims)), ExpiresIn: 3600}}, nil
		}}
	}
	conf := baseConfig() // us-east-1_AbC123
	for _, tc := range []struct {
		name, iss string
		ok        bool
	}{
		{"same pool", "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC123", true},
		{"emulator", "http://127.0.0.1:9229/us-east-1_AbC123", true},
		{"no iss", "", true},
		{"other pool", "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC124", false},
		{"case differs", "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_abc123", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, _ := testSource(t, conf, issued(tc.iss), newClock(time.Now()), nil)
			_, err := s.attempt()
			if tc.ok {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, "Config.UserPoolID")
			assert.ErrorContains(t, err, "us-east-1_AbC123")
			assert.True(t, refused(err), "not retried soon")
		})
	}
}
