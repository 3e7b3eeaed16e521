package cognito_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/seed-e8acf5fd/cognito"
	"github.com/seed-e8acf5fd/cognito/cognitotest"
)

// TestRevoke: Revoke revokes the refresh token (with the client secret),
// so that a source holding it must sign in again, and forgets the stored
// session, so that a new source signs in.
func TestRevoke(t *testing.T) {
	t.Parallel()
	srv := newPool(t, cognitotest.WithClientSecret("the-app-client-secret"))
	store := cognito.NewFileStore(t.TempDir() + "/session.json")
	conf := configFor(srv, cognito.FlowSRP)
	conf.Store = store
	tok, err := conf.TokenSource(context.Background(), nil).Token()
	require.NoError(t, err)
	saved, err := store.Load(context.Background())
	require.NoError(t, err)
	require.NotNil(t, saved)
	assert.Equal(t, tok.RefreshToken, saved.RefreshToken)

	require.NoError(t, conf.Revoke(context.Background(), tok))
	assert.Equal(t, 1, srv.Calls("RevokeToken"))
	saved, err = store.Load(context.Background())
	require.NoError(t, err)
	assert.Nil(t, saved, "the stored session is forgotten")

	// The revoked refresh token no longer renews.
	noPassword := *conf
	noPassword.Password, noPassword.Store = "", nil
	expired := &oauth2.Token{AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken, Expiry: time.Now().Add(-time.Second)}
	_, err = noPassword.TokenSource(context.Background(), expired).Token()
	require.ErrorIs(t, err, cognito.ErrSignInRequired)

	// A new source with the (empty) store signs in.
	before := srv.Calls("InitiateAuth")
	_, err = conf.TokenSource(context.Background(), nil).Token()
	require.NoError(t, err)
	assert.Equal(t, before+1, srv.Calls("InitiateAuth"))

	// With no token, Revoke revokes the stored session's.
	saved, err = store.Load(context.Background())
	require.NoError(t, err)
	require.NoError(t, conf.Revoke(context.Background(), nil))
	assert.Equal(t, 2, srv.Calls("RevokeToken"))
	expired.RefreshToken = saved.RefreshToken
	_, err = noPassword.TokenSource(context.Background(), expired).Token()
	require.ErrorIs(t, err, cognito.ErrSignInRequired)
}
