package motoserver

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-e8acf5fd/cognito/internal/jwt"
	"github.com/seed-e8acf5fd/cognito/internal/testproc"
)

// newUser makes a pool with TOTP MFA required, an app client and a user
// with a temporary password, and returns the client ID and the Session of
// the user's NEW_PASSWORD_REQUIRED challenge.
func newUser(ctx context.Context, t *testing.T, c *cip.Client) (clientID, session string) {
	t.Helper()
	pool, err := c.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("motoserver-test")})
	require.NoError(t, err)
	poolID := aws.ToString(pool.UserPool.Id)
	require.True(t, strings.HasPrefix(poolID, Region+"_"), poolID)
	_, err = c.SetUserPoolMfaConfig(ctx, &cip.SetUserPoolMfaConfigInput{
		UserPoolId:                    aws.String(poolID),
		MfaConfiguration:              types.UserPoolMfaTypeOn,
		SoftwareTokenMfaConfiguration: &types.SoftwareTokenMfaConfigType{Enabled: true},
	})
	require.NoError(t, err)
	app, err := c.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: aws.String(poolID), ClientName: aws.String("app")})
	require.NoError(t, err)
	clientID = aws.ToString(app.UserPoolClient.ClientId)
	_, err = c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{
		UserPoolId: aws.String(poolID), Username: aws.String("alice"),
		TemporaryPassword: aws.String("Temp-0rary"), MessageAction: types.MessageActionTypeSuppress,
	})
	require.NoError(t, err)
	out, err := c.InitiateAuth(ctx, &cip.InitiateAuthInput{
		AuthFlow: types.AuthFlowTypeUserPasswordAuth, ClientId: aws.String(clientID),
		AuthParameters: map[string]string{"USERNAME": "alice", "PASSWORD": "Temp-0rary"},
	})
	require.NoError(t, err)
	require.Equal(t, types.ChallengeNameTypeNewPasswordRequired, out.ChallengeName)
	return clientID, aws.ToString(out.Session)
}

func newPassword(ctx context.Context, c *cip.Client, clientID, session string) (*cip.RespondToAuthChallengeOutput, error) {
	return c.RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{
		ChallengeName: types.ChallengeNameTypeNewPasswordRequired, ClientId: aws.String(clientID), Session: aws.String(session),
		ChallengeResponses: map[string]string{"USERNAME": "alice", "NEW_PASSWORD": "N3w-Passw0rd"},
	})
}

func TestServer(t *testing.T) {
	t.Parallel()
	s := Start(t, 0)
	require.True(t, strings.HasPrefix(s.Endpoint, "http://127.0.0.1:"), s.Endpoint)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()

	t.Run("MFA_SETUP needs the repair", func(t *testing.T) {
		clientID, session := newUser(ctx, t, s.Client)
		_, err := newPassword(ctx, NewRawClient(s.Endpoint), clientID, session)
		var deser *smithy.DeserializationError
		require.ErrorAs(t, err, &deser, "moto sends MFAS_CAN_SETUP as an array")
		assert.Contains(t, err.Error(), "expected StringType to be of type string")

		// moto keeps the session: the same answer again, repaired.
		out, err := newPassword(ctx, s.Client, clientID, session)
		require.NoError(t, err)
		assert.Equal(t, types.ChallengeNameTypeMfaSetup, out.ChallengeName)
		assert.Equal(t, `["SOFTWARE_TOKEN_MFA"]`, out.ChallengeParameters["MFAS_CAN_SETUP"])
	})

	t.Run("TOTP codes are checked", func(t *testing.T) {
		clientID, session := newUser(ctx, t, s.Client)
		out, err := newPassword(ctx, s.Client, clientID, session)
		require.NoError(t, err)
		assoc, err := s.Client.AssociateSoftwareToken(ctx, &cip.AssociateSoftwareTokenInput{Session: out.Session})
		require.NoError(t, err)
		assert.Equal(t, "asdfasdfasdf", aws.ToString(assoc.SecretCode), "moto's one TOTP secret")
		_, err = s.Client.VerifySoftwareToken(ctx, &cip.VerifySoftwareTokenInput{Session: assoc.Session, UserCode: aws.String("not-a-code")})
		var mismatch *types.CodeMismatchException
		require.ErrorAs(t, err, &mismatch, "MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP is on")
	})
}

func TestTokenLifetime(t *testing.T) {
	t.Parallel()
	s := Start(t, 2500*time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	pool, err := s.Client.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("lifetime")})
	require.NoError(t, err)
	app, err := s.Client.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: pool.UserPool.Id, ClientName: aws.String("app")})
	require.NoError(t, err)
	_, err = s.Client.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: pool.UserPool.Id, Username: aws.String("bob")})
	require.NoError(t, err)
	_, err = s.Client.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: pool.UserPool.Id,
		Username: aws.String("bob"), Password: aws.String("Passw0rd!"), Permanent: true})
	require.NoError(t, err)
	out, err := s.Client.InitiateAuth(ctx, &cip.InitiateAuthInput{
		AuthFlow: types.AuthFlowTypeUserPasswordAuth, ClientId: app.UserPoolClient.ClientId,
		AuthParameters: map[string]string{"USERNAME": "bob", "PASSWORD": "Passw0rd!"},
	})
	require.NoError(t, err)
	res := out.AuthenticationResult
	require.NotNil(t, res)
	assert.EqualValues(t, 3, res.ExpiresIn, "rounded up to whole seconds")
	for _, tok := range []string{aws.ToString(res.AccessToken), aws.ToString(res.IdToken)} {
		c, err := jwt.ParseUnverified(tok)
		require.NoError(t, err)
		assert.EqualValues(t, 3, c.Exp-c.Iat)
		assert.Equal(t, "bob", c.User())
	}
}

func TestRepair(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string // want "" means unchanged
	}{
		{"array", `{"ChallengeName":"MFA_SETUP","ChallengeParameters":{"MFAS_CAN_SETUP":["SOFTWARE_TOKEN_MFA", "SMS_MFA"]},"Session":"s"}`,
			`{"ChallengeName":"MFA_SETUP","ChallengeParameters":{"MFAS_CAN_SETUP":"[\"SOFTWARE_TOKEN_MFA\",\"SMS_MFA\"]"},"Session":"s"}`},
		{"object and number", `{"ChallengeParameters":{"a":{"b":1},"c":2,"d":"e<&>"}}`,
			`{"ChallengeParameters":{"a":"{\"b\":1}","c":"2","d":"e<&>"}}`},
		{"strings only", `{"ChallengeParameters":{"USERNAME":"bob"}}`, ""},
		{"null", `{"ChallengeParameters":{"USERNAME":null}}`, ""},
		{"no parameters", `{"AuthenticationResult":{"AccessToken":"x"}}`, ""},
		{"parameters not an object", `{"ChallengeParameters":[1]}`, ""},
		{"not JSON", `<html>`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, changed := repairChallengeParameters([]byte(tt.in))
			if tt.want == "" {
				assert.False(t, changed)
				return
			}
			require.True(t, changed)
			assert.JSONEq(t, tt.want, string(got))
			assert.NotContains(t, string(got), `\u003c`, "no HTML escaping")
		})
	}
}

// Not parallel: it sets environment variables.
func TestStartWithoutMoto(t *testing.T) {
	start := func(tb testing.TB) { Start(tb, 0) }
	t.Run("no python3", func(t *testing.T) {
		t.Setenv("CI", "")
		t.Setenv("PATH", t.TempDir())
		skipped, failed := testproc.RecordEnd(t, start)
		assert.Empty(t, failed)
		assert.Contains(t, skipped, "python3 not found")
		assert.Contains(t, skipped, installHint)
	})
	t.Run("no moto module", func(t *testing.T) {
		dir := t.TempDir()
		fake := "#!/bin/sh\necho \"/usr/bin/python3: Error while finding module specification for 'moto.server' (ModuleNotFoundError: No module named 'moto')\" >&2\nexit 1\n"
		require.NoError(t, os.WriteFile(filepath.Join(dir, "python3"), []byte(fake), 0o755))
		t.Setenv("PATH", dir)
		t.Setenv("CI", "")
		skipped, failed := testproc.RecordEnd(t, start)
		assert.Empty(t, failed)
		assert.Contains(t, skipped, "No module named 'moto'")
		t.Setenv("CI", "true")
		skipped, failed = testproc.RecordEnd(t, start)
		assert.Empty(t, skipped)
		assert.Contains(t, failed, "CI is set, so this is an error")
	})
}
