package cognitotest

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ci "github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	citypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentity/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// idTokenOf signs username in with USER_PASSWORD_AUTH and returns the ID
// token.
func idTokenOf(t *testing.T, s *Server, username, password string) string {
	t.Helper()
	out, err := passwordSignIn(s, username, password)
	require.NoError(t, err)
	return aws.ToString(out.AuthenticationResult.IdToken)
}

func getID(s *Server, logins map[string]string) (*ci.GetIdOutput, error) {
	return s.IdentityClient().GetId(context.Background(), &ci.GetIdInput{IdentityPoolId: aws.String(s.IdentityPoolID), Logins: logins})
}

func getCredentials(s *Server, identity string, logins map[string]string) (*ci.GetCredentialsForIdentityOutput, error) {
	return s.IdentityClient().GetCredentialsForIdentity(context.Background(), &ci.GetCredentialsForIdentityInput{IdentityId: aws.String(identity), Logins: logins})
}

func TestIdentityPool(t *testing.T) {
	t.Parallel()
	clock := newFakeClock(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC))
	s := newTestServer(t, WithClock(clock.Now), WithCredentialsLifetime(15*time.Minute))
	s.AddUser("alice", "pw-alice-1")
	s.AddUser("bob", "pw-bob-1")
	assert.Regexp(t, `^us-east-1:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`, s.IdentityPoolID)
	assert.Equal(t, "cognito-idp.us-east-1.amazonaws.com/"+s.UserPoolID, s.LoginsKey())

	alice := map[string]string{s.LoginsKey(): idTokenOf(t, s, "alice", "pw-alice-1")}
	id, err := getID(s, alice)
	require.NoError(t, err)
	identity := aws.ToString(id.IdentityId)
	assert.Regexp(t, `^us-east-1:[0-9a-f-]{36}$`, identity)
	assert.Equal(t, identity, s.IdentityOf("alice"))
	assert.Empty(t, s.IdentityOf("bob"))

	// Stable per user: a new sign-in gets the same identity; another
	// user, another.
	again, err := getID(s, map[string]string{s.LoginsKey(): idTokenOf(t, s, "alice", "pw-alice-1")})
	require.NoError(t, err)
	assert.Equal(t, identity, aws.ToString(again.IdentityId))
	bob := map[string]string{s.LoginsKey(): idTokenOf(t, s, "bob", "pw-bob-1")}
	other, err := getID(s, bob)
	require.NoError(t, err)
	assert.NotEqual(t, identity, aws.ToString(other.IdentityId))

	out, err := getCredentials(s, identity, alice)
	require.NoError(t, err)
	assert.Equal(t, identity, aws.ToString(out.IdentityId))
	c := out.Credentials
	assert.Regexp(t, `^ASIA[A-Z0-9]{16}$`, aws.ToString(c.AccessKeyId))
	assert.Regexp(t, `^[A-Za-z0-9+/]{40}$`, aws.ToString(c.SecretKey))
	assert.NotEmpty(t, aws.ToString(c.SessionToken))
	require.NotNil(t, c.Expiration)
	assert.True(t, clock.Now().Add(15*time.Minute).Equal(*c.Expiration), "%v", c.Expiration)
	next, err := getCredentials(s, identity, alice)
	require.NoError(t, err)
	assert.NotEqual(t, aws.ToString(c.AccessKeyId), aws.ToString(next.Credentials.AccessKeyId), "new credentials each call")

	_, err = getCredentials(s, identity, bob)
	requireAPIError(t, err, "NotAuthorizedException", "Logins don't match. Please include at least one valid login for this identity or identity pool.")

	assert.Equal(t, 3, s.Calls("GetId"))
	assert.Equal(t, 3, s.Calls("GetCredentialsForIdentity"))

	// An expired ID token is refused as Cognito refuses it.
	clock.Advance(time.Hour)
	_, err = getCredentials(s, identity, alice)
	var na *citypes.NotAuthorizedException
	require.ErrorAs(t, err, &na)
	assert.True(t, strings.HasPrefix(na.ErrorMessage(), "Invalid login token. Token expired: "), na.ErrorMessage())
	_, err = getID(s, alice)
	require.ErrorAs(t, err, &na)
	assert.True(t, strings.HasPrefix(na.ErrorMessage(), "Invalid login token. Token expired: "), na.ErrorMessage())
}

// resign returns token with its claims changed by edit and signed again
// with the server's key, or with its signature broken when broken is set.
func resign(t *testing.T, s *Server, token string, edit func(map[string]any), broken bool) string {
	t.Helper()
	var c map[string]any
	payload, err := base64.RawURLEncoding.DecodeString(strings.Split(token, ".")[1])
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(payload, &c))
	edit(c)
	signed, err := s.signJWT(c)
	require.NoError(t, err)
	if broken {
		parts := strings.Split(signed, ".")
		return parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"x"}`)) + "." + parts[2]
	}
	return signed
}

func TestIdentityPoolRefusals(t *testing.T) {
	t.Parallel()
	s := newTestServer(t)
	s.AddUser("alice", "pw-alice-1")
	signIn, err := passwordSignIn(s, "alice", "pw-alice-1")
	require.NoError(t, err)
	idTok := aws.ToString(signIn.AuthenticationResult.IdToken)
	access := aws.ToString(signIn.AuthenticationResult.AccessToken)
	other := NewServer()
	defer other.Close()
	other.AddUser("alice", "pw-alice-1")
	foreign := idTokenOf(t, other, "alice", "pw-alice-1")
	key := s.LoginsKey()
	invalid := "Invalid login token. Not a valid OpenId Connect identity token."

	for _, tc := range []struct {
		name     string
		pool     string
		logins   map[string]string
		code     string
		msg      string
		msgMatch string
	}{
		{name: "unknown pool", pool: "us-east-1:00000000-0000-4000-8000-000000000000", logins: map[string]string{key: idTok}, code: "ResourceNotFoundException", msg: "IdentityPool 'us-east-1:00000000-0000-4000-8000-000000000000' not found."},
		{name: "no logins", code: "NotAuthorizedException", msg: "Unauthenticated access is not supported for this identity pool."},
		{name: "wrong key", logins: map[string]string{"cognito-idp.us-east-1.amazonaws.com/us-east-1_Other": idTok}, code: "NotAuthorizedException", msg: "Invalid login token. Issuer doesn't match providerName"},
		{name: "wrong region in key", logins: map[string]string{"cognito-idp.eu-west-1.amazonaws.com/" + s.UserPoolID: idTok}, code: "NotAuthorizedException", msg: "Invalid login token. Issuer doesn't match providerName"},
		{name: "access token", logins: map[string]string{key: access}, code: "NotAuthorizedException", msg: invalid},
		{name: "another pool's token", logins: map[string]string{key: foreign}, code: "NotAuthorizedException", msg: invalid},
		{name: "bad signature", logins: map[string]string{key: resign(t, s, idTok, func(map[string]any) {}, true)}, code: "NotAuthorizedException", msg: invalid},
		{name: "other issuer", logins: map[string]string{key: resign(t, s, idTok, func(c map[string]any) { c["iss"] = "https://example.com/x" }, false)}, code: "NotAuthorizedException", msg: "Invalid login token. Issuer doesn't match providerName"},
		{name: "other audience", logins: map[string]string{key: resign(t, s, idTok, func(c map[string]any) { c["aud"] = "someoneelse" }, false)}, code: "NotAuthorizedException", msg: "Invalid login token. Incorrect token audience."},
		{name: "expired", logins: map[string]string{key: resign(t, s, idTok, func(c map[string]any) { c["exp"] = time.Now().Add(-time.Second).Unix() }, false)}, code: "NotAuthorizedException", msgMatch: `^Invalid login token\. Token expired: \d+ >= \d+$`},
		{name: "unknown user", logins: map[string]string{key: resign(t, s, idTok, func(c map[string]any) { c["sub"] = newUUID() }, false)}, code: "NotAuthorizedException", msg: invalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pool := s.IdentityPoolID
			if tc.pool != "" {
				pool = tc.pool
			}
			_, err := s.IdentityClient().GetId(context.Background(), &ci.GetIdInput{IdentityPoolId: aws.String(pool), Logins: tc.logins})
			if tc.msgMatch != "" {
				var na *citypes.NotAuthorizedException
				require.ErrorAs(t, err, &na)
				assert.Regexp(t, regexp.MustCompile(tc.msgMatch), na.ErrorMessage())
				return
			}
			requireAPIError(t, err, tc.code, tc.msg)
		})
	}

	_, err = getCredentials(s, "us-east-1:00000000-0000-4000-8000-000000000000", map[string]string{key: idTok})
	requireAPIError(t, err, "ResourceNotFoundException", "Identity 'us-east-1:00000000-0000-4000-8000-000000000000' not found.")

	// Each API answers under its own target prefix only.
	for _, target := range []string{"AWSCognitoIdentityProviderService.GetId", "AWSCognitoIdentityService.InitiateAuth"} {
		req, err := http.NewRequest(http.MethodPost, s.URL+"/", strings.NewReader(`{}`))
		require.NoError(t, err)
		req.Header.Set("X-Amz-Target", target)
		req.Header.Set("Content-Type", jsonContentType)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode, target)
		assert.Equal(t, "UnknownOperationException", resp.Header.Get("X-Amzn-Errortype"), target)
	}
}

func TestIdentityPoolFaults(t *testing.T) {
	t.Parallel()
	s := newTestServer(t)
	s.AddUser("alice", "pw-alice-1")
	alice := map[string]string{s.LoginsKey(): idTokenOf(t, s, "alice", "pw-alice-1")}
	s.FailNext("GetId", 1, "TooManyRequestsException")
	_, err := getID(s, alice)
	requireAPIError(t, err, "TooManyRequestsException", "injected fault")
	id, err := getID(s, alice)
	require.NoError(t, err)
	s.FailNext("GetCredentialsForIdentity", 1, "InternalErrorException")
	_, err = getCredentials(s, aws.ToString(id.IdentityId), alice)
	requireAPIError(t, err, "InternalErrorException", "injected fault")
	_, err = getCredentials(s, aws.ToString(id.IdentityId), alice)
	require.NoError(t, err)
	assert.Equal(t, 2, s.Calls("GetId"))
	assert.Equal(t, 2, s.Calls("GetCredentialsForIdentity"))
	assert.Zero(t, s.Calls("InitiateAuth")-1, "one sign-in")
}
