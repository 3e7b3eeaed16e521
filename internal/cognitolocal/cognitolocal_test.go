package cognitolocal_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/require"

	"github.com/seed-e8acf5fd/cognito/internal/cognitolocal"
	jwtclaims "github.com/seed-e8acf5fd/cognito/internal/jwt"
)

// claims is the part of a Cognito JWT's payload the tests look at.
type claims struct {
	Username        string `json:"username"`
	CognitoUsername string `json:"cognito:username"`
	TokenUse        string `json:"token_use"`
	Issuer          string `json:"iss"`
	JTI             string `json:"jti"`
	IssuedAt        int64  `json:"iat"`
	Expiry          int64  `json:"exp"`
}

func decodeClaims(t *testing.T, token string) claims {
	t.Helper()
	var c claims
	require.NoError(t, jwtclaims.DecodeUnverified(token, &c))
	return c
}

func passwordAuth(ctx context.Context, c *cognitoidentityprovider.Client, clientID, username, password string) (*cognitoidentityprovider.InitiateAuthOutput, error) {
	return c.InitiateAuth(ctx, &cognitoidentityprovider.InitiateAuthInput{
		AuthFlow:       types.AuthFlowTypeUserPasswordAuth,
		ClientId:       aws.String(clientID),
		AuthParameters: map[string]string{"USERNAME": username, "PASSWORD": password},
	})
}

func refreshAuth(ctx context.Context, c *cognitoidentityprovider.Client, clientID, refreshToken string) (*cognitoidentityprovider.InitiateAuthOutput, error) {
	return c.InitiateAuth(ctx, &cognitoidentityprovider.InitiateAuthInput{
		AuthFlow:       types.AuthFlowTypeRefreshTokenAuth,
		ClientId:       aws.String(clientID),
		AuthParameters: map[string]string{"REFRESH_TOKEN": refreshToken},
	})
}

func TestEmulator(t *testing.T) {
	t.Parallel()
	e := cognitolocal.Start(t)
	require.True(t, strings.HasPrefix(e.Endpoint, "http://127.0.0.1:"), e.Endpoint)

	const lifetime = 3 // seconds
	p := e.NewPool(t, lifetime*time.Second)
	require.Regexp(t, `^local_[0-9A-Za-z]{8}$`, p.ID)
	require.NotEmpty(t, p.ClientID)

	users := []struct {
		name, username, password string
	}{
		{"ascii", "alice", "Correct-Horse-Battery-1"},
		{"unicode", "ünïcødé-用户", "pässwörd-密码-🔑"},
	}
	for _, u := range users {
		p.AddUser(t, u.username, u.password)
	}

	for _, u := range users {
		t.Run(u.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			defer cancel()

			out, err := passwordAuth(ctx, e.Client, p.ClientID, u.username, u.password)
			require.NoError(t, err)
			res := out.AuthenticationResult
			require.NotNil(t, res)
			require.NotEmpty(t, aws.ToString(res.AccessToken))
			require.NotEmpty(t, aws.ToString(res.IdToken))
			require.NotEmpty(t, aws.ToString(res.RefreshToken))
			// The quirks the interop tests rely on (see interop/NOTES.md).
			require.Zero(t, res.ExpiresIn, "cognito-local omits ExpiresIn")
			require.Nil(t, res.TokenType, "cognito-local omits TokenType")

			access := decodeClaims(t, aws.ToString(res.AccessToken))
			require.Equal(t, "access", access.TokenUse)
			require.Equal(t, u.username, access.Username)
			require.EqualValues(t, lifetime, access.Expiry-access.IssuedAt)
			require.Equal(t, e.Endpoint+"/"+p.ID, access.Issuer)
			id := decodeClaims(t, aws.ToString(res.IdToken))
			require.Equal(t, "id", id.TokenUse)
			require.Equal(t, u.username, id.CognitoUsername)
			require.EqualValues(t, lifetime, id.Expiry-id.IssuedAt)

			ref, err := refreshAuth(ctx, e.Client, p.ClientID, aws.ToString(res.RefreshToken))
			require.NoError(t, err)
			fresh := ref.AuthenticationResult
			require.NotNil(t, fresh)
			require.Nil(t, fresh.RefreshToken, "a refresh result carries no new refresh token")
			freshAccess := decodeClaims(t, aws.ToString(fresh.AccessToken))
			require.Equal(t, u.username, freshAccess.Username)
			require.NotEqual(t, access.JTI, freshAccess.JTI, "refresh issues a new access token")
			require.EqualValues(t, lifetime, freshAccess.Expiry-freshAccess.IssuedAt)
		})
	}

	t.Run("wrong password", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		_, err := passwordAuth(ctx, e.Client, p.ClientID, "alice", "not-the-password")
		// InvalidPasswordException is not among InitiateAuth's modelled
		// errors, so the SDK hands it over as a generic API error: it is
		// not a *types.InvalidPasswordException.
		var apiErr smithy.APIError
		require.True(t, errors.As(err, &apiErr), "want an API error, got %v", err)
		require.Equal(t, "InvalidPasswordException", apiErr.ErrorCode())
		var invalid *types.InvalidPasswordException
		require.False(t, errors.As(err, &invalid))
	})

	t.Run("bogus refresh token", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		_, err := refreshAuth(ctx, e.Client, p.ClientID, "not-a-refresh-token")
		var notAuth *types.NotAuthorizedException
		require.True(t, errors.As(err, &notAuth), "want NotAuthorizedException, got %v", err)
	})

	t.Run("default lifetime and email sign-in", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		p0 := e.NewPool(t, 0)
		require.NotEqual(t, p.ID, p0.ID)
		p0.AddUserWithEmail(t, "bob", "Bob-Password-1", "bob@example.com")
		out, err := passwordAuth(ctx, e.Client, p0.ClientID, "bob@example.com", "Bob-Password-1")
		require.NoError(t, err)
		access := decodeClaims(t, aws.ToString(out.AuthenticationResult.AccessToken))
		require.Equal(t, "bob", access.Username, "tokens name the user, not the alias")
		require.EqualValues(t, 24*60*60, access.Expiry-access.IssuedAt)
	})
}
