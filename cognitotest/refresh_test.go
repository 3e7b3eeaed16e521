package cognitotest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRefresh(t *testing.T) {
	clock := newFakeClock(time.Date(2024, 3, 5, 15, 4, 5, 0, time.UTC))
	s := newTestServer(t, WithClock(clock.Now))
	s.AddUser("ivy", "pw")
	s.AddAlias("ivy", "ivy@example.com")
	first, err := srpSignIn(t, s, "ivy@example.com", "pw")
	require.NoError(t, err)
	rt := aws.ToString(first.AuthenticationResult.RefreshToken)

	for _, flow := range []types.AuthFlowType{types.AuthFlowTypeRefreshTokenAuth, types.AuthFlowTypeRefreshToken} {
		clock.Advance(10 * time.Minute)
		out, err := s.Client().InitiateAuth(context.Background(), &cip.InitiateAuthInput{
			AuthFlow:       flow,
			ClientId:       aws.String(s.ClientID),
			AuthParameters: map[string]string{"REFRESH_TOKEN": rt},
		})
		require.NoError(t, err, flow)
		res := out.AuthenticationResult
		require.NotNil(t, res)
		assert.Nil(t, res.RefreshToken, "a refresh hands out no refresh token")
		assert.Equal(t, int32(3600), res.ExpiresIn)
		assert.NotEqual(t, aws.ToString(first.AuthenticationResult.AccessToken), aws.ToString(res.AccessToken))
		assert.NotEqual(t, aws.ToString(first.AuthenticationResult.IdToken), aws.ToString(res.IdToken))

		before, after := claims(t, aws.ToString(first.AuthenticationResult.AccessToken)), claims(t, aws.ToString(res.AccessToken))
		assert.Equal(t, before["origin_jti"], after["origin_jti"])
		assert.Equal(t, before["auth_time"], after["auth_time"])
		assert.Equal(t, before["sub"], after["sub"])
		assert.Equal(t, "ivy", after["username"])
		assert.NotEqual(t, before["jti"], after["jti"])
		assert.Equal(t, float64(clock.Now().Unix()), after["iat"])
		assert.Equal(t, float64(clock.Now().Unix()+3600), after["exp"])
		idAfter := claims(t, aws.ToString(res.IdToken))
		assert.Equal(t, before["origin_jti"], idAfter["origin_jti"])
		assert.Equal(t, "ivy@example.com", idAfter["email"])
	}

	_, err = refresh(s, "not-a-refresh-token", "ivy")
	requireNotAuthorized(t, err, "Invalid Refresh Token")

	// A refresh token belongs to the app client (and pool) that issued it.
	other := newTestServer(t)
	other.AddUser("ivy", "pw")
	_, err = refresh(other, rt, "ivy")
	requireNotAuthorized(t, err, "Invalid Refresh Token")
}

// TestGetTokensFromRefreshToken: the renewal of Amplify JS v6, with the
// client secret itself instead of a SECRET_HASH.
func TestGetTokensFromRefreshToken(t *testing.T) {
	s := newTestServer(t, WithClientSecret("app-secret"))
	s.AddUser("ivy", "pw")
	first, err := passwordSignIn(s, "ivy", "pw")
	require.NoError(t, err)
	rt := aws.ToString(first.AuthenticationResult.RefreshToken)
	get := func(token, secret string) (*cip.GetTokensFromRefreshTokenOutput, error) {
		return s.Client().GetTokensFromRefreshToken(context.Background(), &cip.GetTokensFromRefreshTokenInput{
			ClientId: aws.String(s.ClientID), RefreshToken: aws.String(token), ClientSecret: aws.String(secret)})
	}

	out, err := get(rt, "app-secret")
	require.NoError(t, err)
	res := out.AuthenticationResult
	require.NotNil(t, res)
	assert.Nil(t, res.RefreshToken, "no rotation")
	assert.Equal(t, "ivy", claims(t, aws.ToString(res.AccessToken))["username"])
	assert.Equal(t, claims(t, aws.ToString(first.AuthenticationResult.AccessToken))["origin_jti"], claims(t, aws.ToString(res.AccessToken))["origin_jti"])

	_, err = get(rt, "wrong")
	var na *types.NotAuthorizedException
	require.ErrorAs(t, err, &na)
	_, err = get("not-a-token", "app-secret")
	requireNotAuthorized(t, err, "Invalid Refresh Token")
	s.RevokeRefreshTokens("ivy")
	_, err = get(rt, "app-secret")
	requireNotAuthorized(t, err, "Refresh Token has been revoked")
	assert.Equal(t, 4, s.Calls("GetTokensFromRefreshToken"))
}

func TestRevokeRefreshTokens(t *testing.T) {
	s := newTestServer(t)
	s.AddUser("jack", "pw")
	s.AddUser("kate", "pw")
	var jacks []string
	for range 2 {
		out, err := passwordSignIn(s, "jack", "pw")
		require.NoError(t, err)
		jacks = append(jacks, aws.ToString(out.AuthenticationResult.RefreshToken))
	}
	kate, err := passwordSignIn(s, "kate", "pw")
	require.NoError(t, err)

	s.RevokeRefreshTokens("jack")
	for _, rt := range jacks {
		_, err := refresh(s, rt, "jack")
		requireNotAuthorized(t, err, "Refresh Token has been revoked")
	}
	_, err = refresh(s, aws.ToString(kate.AuthenticationResult.RefreshToken), "kate")
	require.NoError(t, err, "other users keep their tokens")

	later, err := passwordSignIn(s, "jack", "pw")
	require.NoError(t, err)
	_, err = refresh(s, aws.ToString(later.AuthenticationResult.RefreshToken), "jack")
	require.NoError(t, err, "tokens issued after the revocation work")
}

func TestRevokeTokenOperation(t *testing.T) {
	for _, secret := range []string{"", "top-secret"} {
		t.Run(fmt.Sprintf("secret=%t", secret != ""), func(t *testing.T) {
			var opts []Option
			if secret != "" {
				opts = append(opts, WithClientSecret(secret))
			}
			s := newTestServer(t, opts...)
			s.AddUser("liam", "pw")
			one, err := passwordSignIn(s, "liam", "pw")
			require.NoError(t, err)
			two, err := passwordSignIn(s, "liam", "pw")
			require.NoError(t, err)
			rt := aws.ToString(one.AuthenticationResult.RefreshToken)
			revoke := func(token, clientSecret string) error {
				in := &cip.RevokeTokenInput{ClientId: aws.String(s.ClientID), Token: aws.String(token)}
				if clientSecret != "" {
					in.ClientSecret = aws.String(clientSecret)
				}
				_, err := s.Client().RevokeToken(context.Background(), in)
				return err
			}

			if secret != "" {
				var ue *types.UnauthorizedException
				require.ErrorAs(t, revoke(rt, ""), &ue)
				require.ErrorAs(t, revoke(rt, "wrong"), &ue)
				_, err = refresh(s, rt, "liam")
				require.NoError(t, err, "a refused revocation revokes nothing")
			}
			var utt *types.UnsupportedTokenTypeException
			require.ErrorAs(t, revoke(aws.ToString(one.AuthenticationResult.AccessToken), secret), &utt)

			require.NoError(t, revoke(rt, secret))
			require.NoError(t, revoke(rt, secret), "revoking twice is fine")
			require.NoError(t, revoke("unknown-token", secret), "unknown tokens are not an error (RFC 7009)")
			_, err = refresh(s, rt, "liam")
			requireNotAuthorized(t, err, "Refresh Token has been revoked")
			_, err = refresh(s, aws.ToString(two.AuthenticationResult.RefreshToken), "liam")
			require.NoError(t, err, "only the revoked token stops working")
		})
	}
}

// With rotation, GetTokensFromRefreshToken returns a new refresh token;
// the one it was given works on for the grace period (on the server's
// clock), then fails with RefreshTokenReuseException.
func TestRefreshTokenRotation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		grace time.Duration
	}{
		{"no grace period", 0},
		{"ten seconds", 10 * time.Second},
		{"the longest", time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			clock := newFakeClock(time.Date(2024, 3, 5, 15, 4, 5, 0, time.UTC))
			s := newTestServer(t, WithClock(clock.Now), WithRefreshTokenRotation(tt.grace), WithClientSecret("s3cr3t"))
			s.AddUser("uma", "pw")
			first := aws.ToString(mustSignInBy(t, s, "srp", "uma", "pw").result.RefreshToken)

			out, err := getTokens(s, first, "")
			require.NoError(t, err)
			second := aws.ToString(out.AuthenticationResult.RefreshToken)
			require.NotEmpty(t, second)
			assert.NotEqual(t, first, second)
			assert.Equal(t, "uma", claims(t, aws.ToString(out.AuthenticationResult.AccessToken))["username"])

			if tt.grace > 0 {
				// Within the grace period the old token still works (and
				// rotates again), up to its end, which does not move.
				clock.Advance(tt.grace - time.Second)
				again, err := getTokens(s, first, "")
				require.NoError(t, err)
				assert.NotEqual(t, second, aws.ToString(again.AuthenticationResult.RefreshToken))
				clock.Advance(time.Second)
			}
			_, err = getTokens(s, first, "")
			var reuse *types.RefreshTokenReuseException
			require.ErrorAs(t, err, &reuse)
			assert.Equal(t, "Refresh token has been reused.", reuse.ErrorMessage())

			// The new token works, and rotates in its turn.
			third, err := getTokens(s, second, "")
			require.NoError(t, err)
			assert.NotEqual(t, second, aws.ToString(third.AuthenticationResult.RefreshToken))
			clock.Advance(tt.grace)
			_, err = getTokens(s, second, "")
			require.ErrorAs(t, err, &reuse)
			_, err = getTokens(s, aws.ToString(third.AuthenticationResult.RefreshToken), "")
			require.NoError(t, err)
		})
	}
}

// A client with rotation refuses REFRESH_TOKEN_AUTH, as Cognito refuses a
// flow the app client does not allow.
func TestRotationRefusesRefreshTokenAuth(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, WithRefreshTokenRotation(0))
	s.AddUser("val", "pw")
	token := aws.ToString(mustSignInBy(t, s, "password", "val", "pw").result.RefreshToken)
	for _, flow := range []types.AuthFlowType{types.AuthFlowTypeRefreshTokenAuth, types.AuthFlowTypeRefreshToken} {
		_, err := s.Client().InitiateAuth(context.Background(), &cip.InitiateAuthInput{
			AuthFlow: flow, ClientId: aws.String(s.ClientID), AuthParameters: map[string]string{"REFRESH_TOKEN": token},
		})
		requireAPIError(t, err, "InvalidParameterException", string(flow)+" flow not enabled for this client")
	}
	_, err := getTokens(s, token, "")
	require.NoError(t, err, "the token was not used up")
}

// Without rotation, GetTokensFromRefreshToken returns no refresh token and
// the one given stays valid.
func TestNoRotationKeepsRefreshToken(t *testing.T) {
	t.Parallel()
	s := newTestServer(t)
	s.AddUser("wes", "pw")
	token := aws.ToString(mustSignInBy(t, s, "password", "wes", "pw").result.RefreshToken)
	for range 3 {
		out, err := getTokens(s, token, "")
		require.NoError(t, err)
		assert.Nil(t, out.AuthenticationResult.RefreshToken)
	}
}

// Without a grace period, of two renewals with the same token at once,
// exactly one succeeds.
func TestConcurrentRotation(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, WithRefreshTokenRotation(0))
	s.AddUser("xia", "pw")
	for range 5 {
		token := aws.ToString(mustSignInBy(t, s, "password", "xia", "pw").result.RefreshToken)
		var ok, reused atomic.Int32
		var wg sync.WaitGroup
		for range 2 {
			wg.Go(func() {
				_, err := getTokens(s, token, "")
				var reuse *types.RefreshTokenReuseException
				switch {
				case err == nil:
					ok.Add(1)
				case errors.As(err, &reuse):
					reused.Add(1)
				default:
					t.Errorf("unexpected error: %v", err)
				}
			})
		}
		wg.Wait()
		require.Equal(t, int32(1), ok.Load())
		require.Equal(t, int32(1), reused.Load())
	}
}

// The interleaving that TestConcurrentRotation may or may not meet, made
// to happen: two renewals both pass redeem before either rotates; the
// second to rotate is refused.
func TestRotateChecksAgain(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, WithRefreshTokenRotation(0))
	s.AddUser("xia", "pw")
	token := aws.ToString(mustSignInBy(t, s, "password", "xia", "pw").result.RefreshToken)
	now := s.now()
	_, _, rt1, e := s.redeem(token, "", now)
	require.Nil(t, e)
	_, _, rt2, e := s.redeem(token, "", now)
	require.Nil(t, e)
	_, e = s.rotate(rt1, now)
	require.Nil(t, e)
	_, e = s.rotate(rt2, now)
	require.NotNil(t, e)
	assert.Equal(t, "RefreshTokenReuseException", e.typ)
}

// Rotation keeps the sign-in: its device binding, and its revocation by
// RevokeToken through any of its refresh tokens.
func TestRotationKeepsTheSignIn(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, WithRefreshTokenRotation(time.Minute), WithDeviceTracking(DeviceConfig{}))
	s.AddUser("yan", "pw")
	res := mustSignInBy(t, s, "srp", "yan", "pw").result
	d, _ := confirmDevice(t, s, res)
	first := aws.ToString(res.RefreshToken)
	out, err := getTokens(s, first, d.key)
	require.NoError(t, err)
	second := aws.ToString(out.AuthenticationResult.RefreshToken)
	_, err = getTokens(s, second, "")
	requireNotAuthorized(t, err, "Invalid Refresh Token")

	_, err = s.Client().RevokeToken(context.Background(), &cip.RevokeTokenInput{ClientId: aws.String(s.ClientID), Token: aws.String(first)})
	require.NoError(t, err)
	_, err = getTokens(s, second, d.key)
	requireNotAuthorized(t, err, "Refresh Token has been revoked")
	// So are the access tokens of the sign-in.
	_, err = s.Client().ListDevices(context.Background(), &cip.ListDevicesInput{AccessToken: out.AuthenticationResult.AccessToken})
	requireNotAuthorized(t, err, "Access Token has been revoked")
}

// GlobalSignOut ends every sign-in of the user: refresh tokens and access
// tokens alike. Other users, and later sign-ins, are not affected.
func TestGlobalSignOut(t *testing.T) {
	t.Parallel()
	s := newTestServer(t)
	s.AddUser("zed", "pw")
	s.AddUser("abe", "pw")
	one := mustSignInBy(t, s, "srp", "zed", "pw").result
	two := mustSignInBy(t, s, "password", "zed", "pw").result
	abe := mustSignInBy(t, s, "password", "abe", "pw").result

	_, err := s.Client().GlobalSignOut(context.Background(), &cip.GlobalSignOutInput{AccessToken: two.AccessToken})
	require.NoError(t, err)
	for _, res := range []*types.AuthenticationResultType{one, two} {
		_, err := refresh(s, aws.ToString(res.RefreshToken), "zed")
		requireNotAuthorized(t, err, "Refresh Token has been revoked")
		_, err = s.Client().GlobalSignOut(context.Background(), &cip.GlobalSignOutInput{AccessToken: res.AccessToken})
		requireNotAuthorized(t, err, "Access Token has been revoked")
	}
	_, err = s.Client().AssociateSoftwareToken(context.Background(), &cip.AssociateSoftwareTokenInput{AccessToken: one.AccessToken})
	requireNotAuthorized(t, err, "Access Token has been revoked")

	_, err = refresh(s, aws.ToString(abe.RefreshToken), "abe")
	require.NoError(t, err)
	again := mustSignInBy(t, s, "password", "zed", "pw").result
	_, err = refresh(s, aws.ToString(again.RefreshToken), "zed")
	require.NoError(t, err)
	_, err = s.Client().AssociateSoftwareToken(context.Background(), &cip.AssociateSoftwareTokenInput{AccessToken: again.AccessToken})
	require.NoError(t, err)
}
