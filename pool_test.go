package cognito_test

// End-to-end tests of the token source against cognitotest, over the real
// wire protocol and the AWS SDK client.

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/seed-e8acf5fd/cognito"
	"github.com/seed-e8acf5fd/cognito/cognitotest"
	jwtclaims "github.com/seed-e8acf5fd/cognito/internal/jwt"
)

const uuid = "3f1c2a9e-7b1d-4c2b-9f00-5a6b7c8d9e0f"

// newPool starts a test pool with a user who signs in with an email alias
// while the pool knows them by a UUID.
func newPool(t testing.TB, opts ...cognitotest.Option) *cognitotest.Server {
	t.Helper()
	srv := cognitotest.NewServer(opts...)
	t.Cleanup(srv.Close)
	srv.AddUser(uuid, "Pässwörd ✓ 🔐")
	srv.AddAlias(uuid, "alice@example.com")
	return srv
}

func configFor(srv *cognitotest.Server, flow cognito.Flow) *cognito.Config {
	return &cognito.Config{
		UserPoolID: srv.UserPoolID, ClientID: srv.ClientID, ClientSecret: srv.ClientSecret,
		Username: "alice@example.com", Password: "Pässwörd ✓ 🔐", Flow: flow, API: srv.Client(),
	}
}

func claimsOf(t testing.TB, jwt string) map[string]any {
	t.Helper()
	var c map[string]any
	require.NoError(t, jwtclaims.DecodeUnverified(jwt, &c))
	return c
}

func TestPoolSignInAndRenew(t *testing.T) {
	for _, secret := range []bool{false, true} {
		for _, flow := range []cognito.Flow{cognito.FlowSRP, cognito.FlowPassword} {
			t.Run(string(flow)+map[bool]string{true: "+secret"}[secret], func(t *testing.T) {
				t.Parallel()
				opts := []cognitotest.Option{cognitotest.WithTokenLifetime(2 * time.Second)}
				if secret {
					opts = append(opts, cognitotest.WithClientSecret("the-app-client-secret"))
				}
				srv := newPool(t, opts...)
				ts := configFor(srv, flow).TokenSource(context.Background(), nil)

				tok, err := ts.Token()
				require.NoError(t, err)
				assert.Equal(t, uuid, claimsOf(t, tok.AccessToken)["username"])
				assert.Equal(t, "alice@example.com", claimsOf(t, cognito.IDToken(tok))["email"])
				assert.WithinDuration(t, time.Now().Add(2*time.Second), tok.Expiry, time.Second)
				wantResponds := map[cognito.Flow]int{cognito.FlowSRP: 1, cognito.FlowPassword: 0}[flow]
				assert.Equal(t, 1, srv.Calls("InitiateAuth"))
				assert.Equal(t, wantResponds, srv.Calls("RespondToAuthChallenge"))

				// A 2 s token, under twice the early expiry: reused for 1 s,
				// then renewed once, in the background while it is valid.
				again, err := ts.Token()
				require.NoError(t, err)
				assert.Equal(t, tok.AccessToken, again.AccessToken)
				time.Sleep(1100 * time.Millisecond)
				var renewed *oauth2.Token
				require.Eventually(t, func() bool {
					renewed, err = ts.Token()
					return err == nil && renewed.AccessToken != tok.AccessToken
				}, 5*time.Second, 10*time.Millisecond)
				assert.Equal(t, tok.RefreshToken, renewed.RefreshToken, "Cognito sends no new refresh token")
				assert.Equal(t, 1, srv.Calls("InitiateAuth"))
				assert.Equal(t, 1, srv.Calls("GetTokensFromRefreshToken"), "renewed with the rotation-ready operation")
				assert.Equal(t, wantResponds, srv.Calls("RespondToAuthChallenge"))
			})
		}
	}
}

func TestPoolWrongPassword(t *testing.T) {
	srv := newPool(t)
	for _, flow := range []cognito.Flow{cognito.FlowSRP, cognito.FlowPassword} {
		conf := configFor(srv, flow)
		conf.Password = "Passwörd ✓ 🔐"
		_, err := conf.TokenSource(context.Background(), nil).Token()
		var notAuth *types.NotAuthorizedException
		require.ErrorAs(t, err, &notAuth, flow)
		assert.Contains(t, err.Error(), "Incorrect username or password.")
		assert.NotContains(t, err.Error(), conf.Password)
	}
}

func TestPoolRevocation(t *testing.T) {
	srv := newPool(t)
	conf := configFor(srv, cognito.FlowSRP)
	tok, err := conf.Token(context.Background())
	require.NoError(t, err)
	srv.RevokeRefreshTokens(uuid)
	expired := &oauth2.Token{AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken, Expiry: time.Now().Add(-time.Second)}

	// With the password: one refresh attempt, then one new sign-in.
	before := srv.Calls("InitiateAuth")
	fresh, err := conf.TokenSource(context.Background(), expired).Token()
	require.NoError(t, err)
	assert.NotEqual(t, tok.RefreshToken, fresh.RefreshToken)
	assert.Equal(t, 1, srv.Calls("GetTokensFromRefreshToken"))
	assert.Equal(t, before+1, srv.Calls("InitiateAuth"))

	// Without it: an error that says to sign in again.
	noPassword := *conf
	noPassword.Password = ""
	ts := noPassword.TokenSource(context.Background(), expired)
	_, err = ts.Token()
	require.ErrorIs(t, err, cognito.ErrSignInRequired)
	var notAuth *types.NotAuthorizedException
	require.ErrorAs(t, err, &notAuth)
	assert.Equal(t, "Refresh Token has been revoked", *notAuth.Message)
	calls := srv.Calls("GetTokensFromRefreshToken")
	_, err = ts.Token()
	require.ErrorIs(t, err, cognito.ErrSignInRequired)
	assert.Equal(t, calls, srv.Calls("GetTokensFromRefreshToken"), "a refused refresh token is not sent again")
}

func TestPoolInjectedFaults(t *testing.T) {
	srv := newPool(t)
	conf := configFor(srv, cognito.FlowSRP)
	tok, err := conf.Token(context.Background())
	require.NoError(t, err)
	conf.Password = "" // a fault must not be mistaken for a refused refresh token
	ts := conf.TokenSource(context.Background(), &oauth2.Token{AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken, Expiry: time.Now().Add(-time.Second)})

	srv.FailNext("GetTokensFromRefreshToken", 1, "TooManyRequestsException")
	_, err = ts.Token()
	var throttled *types.TooManyRequestsException
	require.ErrorAs(t, err, &throttled)
	calls := srv.Calls("GetTokensFromRefreshToken")
	_, err = ts.Token()
	require.ErrorAs(t, err, &throttled, "the same error during the back-off")
	assert.Equal(t, calls, srv.Calls("GetTokensFromRefreshToken"), "and no call")

	time.Sleep(1300 * time.Millisecond) // the back-off: a second, ±20%
	srv.FailNext("GetTokensFromRefreshToken", 1, "InternalErrorException")
	_, err = ts.Token()
	var internal *types.InternalErrorException
	require.ErrorAs(t, err, &internal)

	time.Sleep(2500 * time.Millisecond) // doubled after a second failure
	renewed, err := ts.Token()
	require.NoError(t, err, "the refresh token survived both faults")
	assert.Equal(t, tok.RefreshToken, renewed.RefreshToken)

	// A slow server is cut off by the context's deadline.
	srv.Delay("InitiateAuth", 10*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = configFor(srv, cognito.FlowSRP).TokenSource(ctx, nil).Token()
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), 5*time.Second)
}

func TestPoolClockSkew(t *testing.T) {
	for _, withExpiresIn := range []bool{true, false} {
		t.Run(map[bool]string{true: "ExpiresIn", false: "JWT exp"}[withExpiresIn], func(t *testing.T) {
			// The pool's clock is two hours ahead of this machine's.
			opts := []cognitotest.Option{
				cognitotest.WithClock(func() time.Time { return time.Now().Add(2 * time.Hour) }),
				cognitotest.WithTokenLifetime(10 * time.Minute),
			}
			if !withExpiresIn {
				opts = append(opts, cognitotest.WithoutExpiresIn())
			}
			srv := newPool(t, opts...)
			tok, err := configFor(srv, cognito.FlowSRP).TokenSource(context.Background(), nil).Token()
			require.NoError(t, err, "TIMESTAMP follows the server's clock")
			assert.WithinDuration(t, time.Now().Add(10*time.Minute), tok.Expiry, 3*time.Second, "expiry in local time")
		})
	}
}

func TestPoolChallenge(t *testing.T) {
	srv := newPool(t)
	srv.RequireChallenge(uuid, "NEW_PASSWORD_REQUIRED")
	for _, flow := range []cognito.Flow{cognito.FlowSRP, cognito.FlowPassword} {
		_, err := configFor(srv, flow).TokenSource(context.Background(), nil).Token()
		var ce *cognito.ChallengeError
		require.ErrorAs(t, err, &ce, flow)
		assert.Equal(t, types.ChallengeNameTypeNewPasswordRequired, ce.Challenge)
	}
}

// TestPoolConcurrentExpiry: 64 goroutines cross an expiry over the wire and
// the pool sees one refresh.
func TestPoolConcurrentExpiry(t *testing.T) {
	srv := newPool(t)
	srv.Delay("GetTokensFromRefreshToken", 50*time.Millisecond)
	conf := configFor(srv, cognito.FlowPassword)
	tok, err := conf.Token(context.Background())
	require.NoError(t, err)
	ts := conf.TokenSource(context.Background(), &oauth2.Token{AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken, Expiry: time.Now().Add(-time.Second)})
	before := srv.Calls("GetTokensFromRefreshToken")
	var wg sync.WaitGroup
	tokens := make([]string, 64)
	for i := range tokens {
		wg.Go(func() {
			tok, err := ts.Token()
			if assert.NoError(t, err) {
				tokens[i] = tok.AccessToken
			}
		})
	}
	wg.Wait()
	assert.Equal(t, before+1, srv.Calls("GetTokensFromRefreshToken"))
	for _, s := range tokens {
		assert.Equal(t, tokens[0], s)
	}
}

// BenchmarkSignIn is one SRP sign-in of the token source against the
// in-process pool, over loopback HTTP with the SDK client.
func BenchmarkSignIn(b *testing.B) {
	srv := newPool(b)
	conf := configFor(srv, cognito.FlowSRP)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := conf.Token(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
}
