package cognito_test

// End-to-end tests of remembered devices and refresh-token rotation
// against cognitotest.

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/seed-e8acf5fd/cognito"
	"github.com/seed-e8acf5fd/cognito/cognitotest"
)

// TestPoolRememberedDevice: the first sign-in answers MFA and confirms a
// device; renewals name it; a later sign-in with it proves the device
// with DEVICE_SRP_AUTH and asks no MFA code.
func TestPoolRememberedDevice(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		optIn bool
		flow  cognito.Flow
	}{{false, cognito.FlowSRP}, {true, cognito.FlowSRP}, {false, cognito.FlowPassword}, {true, cognito.FlowPassword}} {
		t.Run(fmt.Sprintf("opt-in=%t/%s", tc.optIn, tc.flow), func(t *testing.T) {
			t.Parallel()
			srv := newPool(t, cognitotest.WithClientSecret("the-app-client-secret"),
				cognitotest.WithDeviceTracking(cognitotest.DeviceConfig{ChallengeRequiredOnNewDevice: true, DeviceOnlyRememberedOnUserPrompt: tc.optIn}))
			srv.SetSMSMFA(uuid, "+15555550100")
			p := &person{t: t, pool: srv, user: uuid}
			conf := configFor(srv, tc.flow)
			conf.Challenge = p
			conf.RememberDevice = true
			conf.DeviceName = "build-agent-7"
			tok, err := conf.TokenSource(context.Background(), nil).Token()
			require.NoError(t, err)
			d := cognito.DeviceOf(tok)
			require.NotNil(t, d)
			devices := srv.Devices(uuid)
			require.Len(t, devices, 1)
			assert.Equal(t, d.Key, devices[0].Key)
			assert.Equal(t, "build-agent-7", devices[0].Name)
			assert.True(t, devices[0].Remembered)
			assert.Equal(t, []types.ChallengeNameType{types.ChallengeNameTypeSmsMfa}, p.names())

			// Renewal with the device key (the pool refuses one without).
			expired := &oauth2.Token{AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken, Expiry: time.Now().Add(-time.Second)}
			noPassword := *conf
			noPassword.Password, noPassword.Device = "", d
			_, err = noPassword.TokenSource(context.Background(), expired).Token()
			require.NoError(t, err)
			noPassword.Device = nil
			_, err = noPassword.TokenSource(context.Background(), expired).Token()
			require.ErrorIs(t, err, cognito.ErrSignInRequired, "without the device the refresh token is refused")

			// A later sign-in from the remembered device: no MFA.
			conf.Device = d
			tok, err = conf.Token(context.Background())
			require.NoError(t, err)
			assert.Len(t, p.names(), 1, "no MFA code asked")
			assert.Equal(t, d, cognito.DeviceOf(tok))
			assert.Len(t, srv.Devices(uuid), 1, "no new device")

			// Forgotten: the next sign-in drops it, meets MFA, and gets a new one.
			require.NoError(t, conf.ForgetDevice(context.Background(), tok))
			assert.Empty(t, srv.Devices(uuid))
			tok, err = conf.Token(context.Background())
			require.NoError(t, err)
			assert.Len(t, p.names(), 2)
			require.NotNil(t, cognito.DeviceOf(tok))
			assert.NotEqual(t, d.Key, cognito.DeviceOf(tok).Key)
		})
	}
}

// TestPoolRotation: with refresh-token rotation, each renewal adopts the
// new refresh token; the old one dies after the grace period.
func TestPoolRotation(t *testing.T) {
	t.Parallel()
	srv := newPool(t, cognitotest.WithRefreshTokenRotation(0), cognitotest.WithTokenLifetime(time.Second))
	conf := configFor(srv, cognito.FlowSRP)
	conf.EarlyExpiry = 200 * time.Millisecond
	ts := conf.TokenSource(context.Background(), nil)
	first, err := ts.Token()
	require.NoError(t, err)
	seen := map[string]bool{first.RefreshToken: true}
	for range 2 {
		time.Sleep(1100 * time.Millisecond)
		tok, err := ts.Token()
		require.NoError(t, err)
		assert.False(t, seen[tok.RefreshToken], "a new refresh token at each renewal")
		seen[tok.RefreshToken] = true
	}
	assert.Equal(t, 1, srv.Calls("InitiateAuth"), "no new sign-in")

	// The first refresh token is dead: a source holding it must sign in.
	noPassword := *conf
	noPassword.Password = ""
	_, err = noPassword.TokenSource(context.Background(), &oauth2.Token{AccessToken: first.AccessToken, RefreshToken: first.RefreshToken, Expiry: time.Now().Add(-time.Second)}).Token()
	require.ErrorIs(t, err, cognito.ErrSignInRequired)
	var reuse *types.RefreshTokenReuseException
	require.ErrorAs(t, err, &reuse)
}
