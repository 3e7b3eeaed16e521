package cognitotest

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-e8acf5fd/cognito/internal/srp"
)

func TestIdentifiers(t *testing.T) {
	s := newTestServer(t)
	assert.Regexp(t, `^http://127\.0\.0\.1:\d+$`, s.URL)
	// The rule amazon-cognito-identity-js's CognitoUserPool applies.
	assert.Regexp(t, `^[\w-]+_[0-9a-zA-Z]+$`, s.UserPoolID)
	assert.True(t, strings.HasPrefix(s.UserPoolID, "us-east-1_"))
	assert.Regexp(t, `^[a-z0-9]{26}$`, s.ClientID)
	assert.Empty(t, s.ClientSecret)
	assert.Equal(t, s.URL+"/"+s.UserPoolID, s.Issuer)

	other := newTestServer(t, WithClientSecret("xyz"))
	assert.NotEqual(t, s.UserPoolID, other.UserPoolID)
	assert.NotEqual(t, s.ClientID, other.ClientID)
	assert.Equal(t, "xyz", other.ClientSecret)
}

// The exported fields are information for the caller, as
// httptest.Server.URL is: the server reads only its own copies, so a test
// that overwrites them, even while requests are being served, changes
// nothing and races nothing (run with -race).
func TestExportedFieldsAreInformational(t *testing.T) {
	s := newTestServer(t, WithClientSecret("s3cr3t"))
	s.AddUser("alice", "pw")
	url, poolID, clientID, secret, issuer := s.URL, s.UserPoolID, s.ClientID, s.ClientSecret, s.Issuer
	poolName := poolID[strings.IndexByte(poolID, '_')+1:]

	overwrite := func() {
		s.URL, s.UserPoolID, s.ClientID, s.ClientSecret, s.Issuer =
			"http://127.0.0.1:1", "us-east-1_Changed", "changed", "changed", "http://example.invalid/changed"
	}
	overwrite()
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-done:
				return
			default:
				overwrite()
				runtime.Gosched()
			}
		}
	})
	t.Cleanup(func() { close(done); wg.Wait() })

	hash := func(username string) string {
		m := hmac.New(sha256.New, []byte(secret))
		m.Write([]byte(username + clientID))
		return base64.StdEncoding.EncodeToString(m.Sum(nil))
	}
	ctx := context.Background()
	api := cip.New(cip.Options{Region: "us-east-1", BaseEndpoint: aws.String(url), Retryer: aws.NopRetryer{}})

	// SRP, with the pool name and the secret the server started with.
	cl, err := srp.NewClient(rand.Reader)
	require.NoError(t, err)
	ch, err := api.InitiateAuth(ctx, &cip.InitiateAuthInput{
		AuthFlow:       types.AuthFlowTypeUserSrpAuth,
		ClientId:       aws.String(clientID),
		AuthParameters: map[string]string{"USERNAME": "alice", "SRP_A": cl.PublicHex(), "SECRET_HASH": hash("alice")},
	})
	require.NoError(t, err)
	p := ch.ChallengeParameters
	salt, err := srp.ParseHex(p["SALT"])
	require.NoError(t, err)
	b, err := srp.ParseHex(p["SRP_B"])
	require.NoError(t, err)
	key, err := cl.Key(salt, b, poolName, "alice", "pw")
	require.NoError(t, err)
	block, err := base64.StdEncoding.DecodeString(p["SECRET_BLOCK"])
	require.NoError(t, err)
	ts := srp.Timestamp(time.Now())
	out, err := api.RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{
		ChallengeName: types.ChallengeNameTypePasswordVerifier,
		ClientId:      aws.String(clientID),
		ChallengeResponses: map[string]string{
			"USERNAME":                    "alice",
			"PASSWORD_CLAIM_SECRET_BLOCK": p["SECRET_BLOCK"],
			"PASSWORD_CLAIM_SIGNATURE":    srp.Signature(key, poolName, "alice", block, ts),
			"TIMESTAMP":                   ts,
			"SECRET_HASH":                 hash("alice"),
		},
	})
	require.NoError(t, err)
	access := claims(t, aws.ToString(out.AuthenticationResult.AccessToken))
	assert.Equal(t, issuer, access["iss"])
	assert.Equal(t, clientID, access["client_id"])
	assert.Equal(t, clientID, claims(t, aws.ToString(out.AuthenticationResult.IdToken))["aud"])
	rt := aws.ToString(out.AuthenticationResult.RefreshToken)

	// The password flow, through the SDK client the server hands out.
	_, err = s.Client().InitiateAuth(ctx, &cip.InitiateAuthInput{
		AuthFlow:       types.AuthFlowTypeUserPasswordAuth,
		ClientId:       aws.String(clientID),
		AuthParameters: map[string]string{"USERNAME": "alice", "PASSWORD": "pw", "SECRET_HASH": hash("alice")},
	})
	require.NoError(t, err)

	// Refresh both ways, then revoke.
	_, err = api.InitiateAuth(ctx, &cip.InitiateAuthInput{
		AuthFlow:       types.AuthFlowTypeRefreshTokenAuth,
		ClientId:       aws.String(clientID),
		AuthParameters: map[string]string{"REFRESH_TOKEN": rt, "SECRET_HASH": hash("alice")},
	})
	require.NoError(t, err)
	_, err = api.GetTokensFromRefreshToken(ctx, &cip.GetTokensFromRefreshTokenInput{
		ClientId: aws.String(clientID), RefreshToken: aws.String(rt), ClientSecret: aws.String(secret)})
	require.NoError(t, err)
	_, err = api.RevokeToken(ctx, &cip.RevokeTokenInput{
		ClientId: aws.String(clientID), Token: aws.String(rt), ClientSecret: aws.String(secret)})
	require.NoError(t, err)

	// The OpenID documents stay beneath the original issuer.
	var doc struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	getJSON(t, issuer+"/.well-known/openid-configuration", &doc)
	assert.Equal(t, issuer, doc.Issuer)
	assert.Equal(t, issuer+"/.well-known/jwks.json", doc.JWKSURI)
	var jwks struct{ Keys []map[string]any }
	getJSON(t, doc.JWKSURI, &jwks)
	assert.Len(t, jwks.Keys, 1)
}

// post sends a raw API request and returns the status, headers and body.
func post(t *testing.T, s *Server, target, body string) (int, http.Header, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.URL+"/", strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	if target != "" {
		req.Header.Set("X-Amz-Target", target)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var doc map[string]any
	require.NoError(t, json.Unmarshal(raw, &doc), string(raw))
	return resp.StatusCode, resp.Header, doc
}

func TestWireFormat(t *testing.T) {
	s := newTestServer(t, WithoutExpiresIn())
	s.AddUser("olga", "pw")
	const initiate = "AWSCognitoIdentityProviderService.InitiateAuth"
	ok := `{"AuthFlow":"USER_PASSWORD_AUTH","ClientId":"` + s.ClientID + `","AuthParameters":{"USERNAME":"olga","PASSWORD":"pw","DEVICE_KEY":null},"ClientMetadata":{},"UserContextData":{"EncodedData":"x"}}`

	t.Run("success", func(t *testing.T) {
		status, h, doc := post(t, s, initiate, ok)
		assert.Equal(t, http.StatusOK, status)
		assert.Equal(t, "application/x-amz-json-1.1", h.Get("Content-Type"))
		assert.NotEmpty(t, h.Get("x-amzn-RequestId"))
		res := doc["AuthenticationResult"].(map[string]any)
		assert.NotContains(t, res, "ExpiresIn", "WithoutExpiresIn")
		assert.Equal(t, "Bearer", res["TokenType"])
		for _, k := range []string{"AccessToken", "IdToken", "RefreshToken"} {
			assert.NotEmpty(t, res[k], k)
		}
		assert.Equal(t, map[string]any{}, doc["ChallengeParameters"])
	})

	tests := []struct {
		name, target, body, errType string
		status                      int
	}{
		{"bad JSON", initiate, `{"AuthFlow":`, "SerializationException", 400},
		{"wrong shape", initiate, `{"AuthParameters":"USERNAME"}`, "SerializationException", 400},
		{"unknown operation", "AWSCognitoIdentityProviderService.GetUser", `{}`, "UnknownOperationException", 400},
		{"foreign service", "DynamoDB_20120810.GetItem", `{}`, "UnknownOperationException", 400},
		{"no target", "", `{}`, "UnknownOperationException", 400},
		{"wrong client", initiate, `{"AuthFlow":"USER_PASSWORD_AUTH","ClientId":"nope","AuthParameters":{"USERNAME":"olga","PASSWORD":"pw"}}`, "ResourceNotFoundException", 400},
		{"no client", initiate, `{"AuthFlow":"USER_PASSWORD_AUTH","AuthParameters":{"USERNAME":"olga","PASSWORD":"pw"}}`, "InvalidParameterException", 400},
		{"unsupported flow", initiate, `{"AuthFlow":"CUSTOM_AUTH","ClientId":"` + s.ClientID + `","AuthParameters":{"USERNAME":"olga"}}`, "InvalidParameterException", 400},
		{"no flow", initiate, `{"ClientId":"` + s.ClientID + `"}`, "InvalidParameterException", 400},
		{"wrong password", initiate, strings.Replace(ok, `"pw"`, `"px"`, 1), "NotAuthorizedException", 400},
		{"too large", initiate, `{"x":"` + strings.Repeat("a", 1<<20) + `"}`, "SerializationException", 413},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, h, doc := post(t, s, tt.target, tt.body)
			assert.Equal(t, tt.status, status)
			assert.Equal(t, tt.errType, h.Get("x-amzn-ErrorType"))
			assert.Equal(t, tt.errType, doc["__type"])
			assert.NotEmpty(t, doc["message"])
		})
	}

	resp, err := http.Get(s.URL + "/")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
}

// Every operation starts the same way: the body must decode, and name
// this pool's app client, before anything else is looked at. Those that
// take a Session or an access token name no client, as on AWS: a foreign
// ClientId is ignored, and what they miss first is said.
func TestOperationPrologue(t *testing.T) {
	s := newTestServer(t)
	withoutClient := map[string]string{
		"AssociateSoftwareToken": "Missing required parameter AccessToken or Session",
		"VerifySoftwareToken":    "Missing required parameter AccessToken or Session",
		"ConfirmDevice":          "Missing required parameter AccessToken",
		"UpdateDeviceStatus":     "Missing required parameter AccessToken",
		"ForgetDevice":           "Missing required parameter DeviceKey",
		"ListDevices":            "Missing required parameter AccessToken",
		"GlobalSignOut":          "Missing required parameter AccessToken",
	}
	for op := range operations {
		target := targetPrefix + op
		if missing, ok := withoutClient[op]; ok {
			t.Run(op, func(t *testing.T) {
				status, h, _ := post(t, s, target, `{"Session":`)
				assert.Equal(t, http.StatusBadRequest, status)
				assert.Equal(t, "SerializationException", h.Get("x-amzn-ErrorType"))
				status, h, doc := post(t, s, target, `{"ClientId":"nope"}`)
				assert.Equal(t, http.StatusBadRequest, status)
				assert.Equal(t, "InvalidParameterException", h.Get("x-amzn-ErrorType"))
				assert.Equal(t, missing, doc["message"])
			})
			continue
		}
		t.Run(op, func(t *testing.T) {
			tests := []struct {
				name, body, errType, msg string
			}{
				{"bad JSON", `{"ClientId":`, "SerializationException", "request body is not a valid JSON document for this operation"},
				{"client ID not a string", `{"ClientId":7}`, "SerializationException", "request body is not a valid JSON document for this operation"},
				{"no client", `{}`, "InvalidParameterException", "Missing required parameter ClientId"},
				{"wrong client", `{"ClientId":"nope"}`, "ResourceNotFoundException", "User pool client nope does not exist."},
			}
			for _, tt := range tests {
				status, h, doc := post(t, s, target, tt.body)
				assert.Equal(t, http.StatusBadRequest, status, tt.name)
				assert.Equal(t, tt.errType, h.Get("x-amzn-ErrorType"), tt.name)
				assert.Equal(t, tt.msg, doc["message"], tt.name)
			}
			// With the right client, the operation's own checks come next.
			status, h, _ := post(t, s, target, `{"ClientId":"`+s.ClientID+`"}`)
			assert.Equal(t, http.StatusBadRequest, status)
			assert.Equal(t, "InvalidParameterException", h.Get("x-amzn-ErrorType"))
		})
	}
}

// The Date header follows the server's clock, so clients that correct
// for skew with it see the skew WithClock sets up.
func TestDateHeaderFollowsClock(t *testing.T) {
	now := time.Date(2024, 3, 5, 15, 4, 5, 0, time.UTC)
	s := newTestServer(t, WithClock(func() time.Time { return now }))
	_, h, _ := post(t, s, "AWSCognitoIdentityProviderService.InitiateAuth", `{}`)
	assert.Equal(t, "Tue, 05 Mar 2024 15:04:05 GMT", h.Get("Date"))
	resp, err := http.Get(s.Issuer + "/.well-known/jwks.json")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, "Tue, 05 Mar 2024 15:04:05 GMT", resp.Header.Get("Date"))
}

func TestSDKErrors(t *testing.T) {
	s := newTestServer(t)
	_, err := s.Client().InitiateAuth(context.Background(), &cip.InitiateAuthInput{
		AuthFlow:       types.AuthFlowTypeUserPasswordAuth,
		ClientId:       aws.String("someone-else"),
		AuthParameters: map[string]string{"USERNAME": "x", "PASSWORD": "y"},
	})
	var rnf *types.ResourceNotFoundException
	require.ErrorAs(t, err, &rnf)

	_, err = s.Client().InitiateAuth(context.Background(), &cip.InitiateAuthInput{
		AuthFlow:       types.AuthFlowTypeUserAuth,
		ClientId:       aws.String(s.ClientID),
		AuthParameters: map[string]string{"USERNAME": "x"},
	})
	var ip *types.InvalidParameterException
	require.ErrorAs(t, err, &ip)
}

func httpStatus(t *testing.T, err error) int {
	t.Helper()
	var re *awshttp.ResponseError
	require.ErrorAs(t, err, &re)
	return re.HTTPStatusCode()
}

func TestFailNext(t *testing.T) {
	s := newTestServer(t)
	s.AddUser("pat", "pw")

	s.FailNext("InitiateAuth", 2, "InternalErrorException")
	for range 2 {
		_, err := passwordSignIn(s, "pat", "pw")
		var ie *types.InternalErrorException
		require.ErrorAs(t, err, &ie)
		assert.Equal(t, "injected fault", ie.ErrorMessage())
		assert.Equal(t, http.StatusInternalServerError, httpStatus(t, err))
	}
	_, err := passwordSignIn(s, "pat", "pw")
	require.NoError(t, err, "the faults are used up")

	s.FailNext("InitiateAuth", 1, "TooManyRequestsException")
	_, err = passwordSignIn(s, "pat", "pw")
	var tm *types.TooManyRequestsException
	require.ErrorAs(t, err, &tm)
	assert.Equal(t, http.StatusBadRequest, httpStatus(t, err))

	s.FailNext("InitiateAuth", 1, "ServiceUnavailableException")
	_, err = passwordSignIn(s, "pat", "pw")
	var api interface{ ErrorCode() string } // smithy.APIError
	require.ErrorAs(t, err, &api)
	assert.Equal(t, "ServiceUnavailableException", api.ErrorCode())
	assert.Equal(t, http.StatusServiceUnavailable, httpStatus(t, err))

	// Faults are per operation, and n = 0 cancels them.
	s.FailNext("RespondToAuthChallenge", 1, "NotAuthorizedException")
	_, err = srpSignIn(t, s, "pat", "pw")
	requireNotAuthorized(t, err, "injected fault")
	s.FailNext("RespondToAuthChallenge", 5, "InternalErrorException")
	s.FailNext("RespondToAuthChallenge", 0, "")
	_, err = srpSignIn(t, s, "pat", "pw")
	require.NoError(t, err)

	s.FailNext("RevokeToken", 1, "InternalErrorException")
	_, err = s.Client().RevokeToken(context.Background(), &cip.RevokeTokenInput{ClientId: aws.String(s.ClientID), Token: aws.String("t")})
	var ie *types.InternalErrorException
	require.ErrorAs(t, err, &ie)
}

func TestDelay(t *testing.T) {
	s := newTestServer(t)
	s.AddUser("quinn", "pw")
	s.Delay("InitiateAuth", time.Hour)

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := s.Client().InitiateAuth(ctx, &cip.InitiateAuthInput{
		AuthFlow:       types.AuthFlowTypeUserPasswordAuth,
		ClientId:       aws.String(s.ClientID),
		AuthParameters: map[string]string{"USERNAME": "quinn", "PASSWORD": "pw"},
	})
	require.ErrorIs(t, err, context.DeadlineExceeded)
	// Generous bound: the point is that the hour-long delay did not run.
	assert.Less(t, time.Since(start), 30*time.Second)
	assert.Equal(t, 1, s.Calls("InitiateAuth"), "a delayed call is counted when it arrives")

	s.Delay("InitiateAuth", 0)
	_, err = passwordSignIn(s, "quinn", "pw")
	require.NoError(t, err)

	// A short delay is served.
	s.Delay("InitiateAuth", 20*time.Millisecond)
	_, err = passwordSignIn(s, "quinn", "pw")
	require.NoError(t, err)
}

// Close releases calls that are waiting in a delay instead of hanging.
func TestCloseReleasesDelayedCalls(t *testing.T) {
	s := NewServer()
	s.Delay("InitiateAuth", time.Hour)
	done := make(chan error, 1)
	go func() {
		_, err := passwordSignIn(s, "x", "y")
		done <- err
	}()
	require.Eventually(t, func() bool { return s.Calls("InitiateAuth") == 1 }, 10*time.Second, time.Millisecond)
	s.Close()
	s.Close() // idempotent
	select {
	case err := <-done:
		require.Error(t, err)
	case <-time.After(30 * time.Second):
		t.Fatal("the delayed call was not released by Close")
	}
}

func TestCalls(t *testing.T) {
	s := newTestServer(t)
	s.AddUser("rita", "pw")
	assert.Equal(t, 0, s.Calls("InitiateAuth"))

	_, err := srpSignIn(t, s, "rita", "pw")
	require.NoError(t, err)
	_, err = passwordSignIn(s, "rita", "wrong")
	require.Error(t, err)
	s.FailNext("InitiateAuth", 1, "InternalErrorException")
	_, err = passwordSignIn(s, "rita", "pw")
	require.Error(t, err)
	post(t, s, "AWSCognitoIdentityProviderService.InitiateAuth", `not json`)
	post(t, s, "AWSCognitoIdentityProviderService.ListUsers", `{}`)

	assert.Equal(t, 4, s.Calls("InitiateAuth"), "failed calls count too")
	assert.Equal(t, 1, s.Calls("RespondToAuthChallenge"))
	assert.Equal(t, 0, s.Calls("RevokeToken"))
	assert.Equal(t, 1, s.Calls("ListUsers"), "unimplemented operations are counted")
}

func TestMisusePanics(t *testing.T) {
	s := newTestServer(t)
	s.AddUser("sam", "pw")
	s.AddAlias("sam", "sam@example.com")
	tests := []struct {
		name string
		want string
		f    func()
	}{
		{"duplicate user", `cognitotest: AddUser: duplicate user "sam"`, func() { s.AddUser("sam", "pw2") }},
		{"user named like an alias", `cognitotest: AddUser: "sam@example.com" is already an alias`, func() { s.AddUser("sam@example.com", "pw") }},
		{"empty username", "cognitotest: AddUser: empty username", func() { s.AddUser("", "pw") }},
		{"empty password", `cognitotest: AddUser: empty password for "tom"`, func() { s.AddUser("tom", "") }},
		{"alias of unknown user", `cognitotest: AddAlias: unknown user "nobody"`, func() { s.AddAlias("nobody", "n@example.com") }},
		{"alias taken", `cognitotest: AddAlias: alias "sam@example.com" is taken`, func() { s.AddAlias("sam", "sam@example.com") }},
		{"alias is a username", `cognitotest: AddAlias: alias "sam" is taken by a user`, func() { s.AddAlias("sam", "sam") }},
		{"empty alias", "cognitotest: AddAlias: empty alias", func() { s.AddAlias("sam", "") }},
		{"challenge for unknown user", `cognitotest: RequireChallenge: unknown user "nobody"`, func() { s.RequireChallenge("nobody", "SMS_MFA") }},
		{"bad challenge name", `cognitotest: RequireChallenge: invalid challenge name "sms mfa"`, func() { s.RequireChallenge("sam", "sms mfa") }},
		{"password verifier challenge", `cognitotest: RequireChallenge: invalid challenge name "PASSWORD_VERIFIER"`, func() { s.RequireChallenge("sam", "PASSWORD_VERIFIER") }},
		{"revoke unknown user", `cognitotest: RevokeRefreshTokens: unknown user "nobody"`, func() { s.RevokeRefreshTokens("nobody") }},
		{"fail unknown operation", `cognitotest: FailNext: unknown operation "GetUser"`, func() { s.FailNext("GetUser", 1, "InternalErrorException") }},
		{"fail negative", "cognitotest: FailNext: negative count -1", func() { s.FailNext("InitiateAuth", -1, "InternalErrorException") }},
		{"fail without type", `cognitotest: FailNext: invalid error type ""`, func() { s.FailNext("InitiateAuth", 1, "") }},
		{"fail bad type", `cognitotest: FailNext: invalid error type "Bad\nType"`, func() { s.FailNext("InitiateAuth", 1, "Bad\nType") }},
		{"delay unknown operation", `cognitotest: Delay: unknown operation "initiateAuth"`, func() { s.Delay("initiateAuth", time.Second) }},
		{"delay negative", "cognitotest: Delay: negative duration -1s", func() { s.Delay("InitiateAuth", -time.Second) }},
		{"calls with prefix", `cognitotest: Calls: "AWSCognitoIdentityProviderService.InitiateAuth" is not an operation name`, func() { s.Calls("AWSCognitoIdentityProviderService.InitiateAuth") }},
		{"calls empty", `cognitotest: Calls: "" is not an operation name`, func() { s.Calls("") }},
		{"zero lifetime", "cognitotest: token lifetime 0s is not positive", func() { WithTokenLifetime(0) }},
		{"negative lifetime", "cognitotest: token lifetime -1s is not positive", func() { WithTokenLifetime(-time.Second) }},
		{"empty secret", "cognitotest: empty client secret", func() { WithClientSecret("") }},
		{"nil clock", "cognitotest: nil clock", func() { WithClock(nil) }},
		{"negative grace", "cognitotest: refresh-token grace period -1s is not between 0 and 1m0s", func() { WithRefreshTokenRotation(-time.Second) }},
		{"grace too long", "cognitotest: refresh-token grace period 1m0.001s is not between 0 and 1m0s", func() { WithRefreshTokenRotation(time.Minute + time.Millisecond) }},
		{"devices of unknown user", `cognitotest: Devices: unknown user "nobody"`, func() { s.Devices("nobody") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.PanicsWithValue(t, tt.want, tt.f)
		})
	}
	// The server still works after the panics (no lock left held).
	_, err := passwordSignIn(s, "sam", "pw")
	require.NoError(t, err)
}

// Panic messages and errors never carry the password.
func TestNoSecretsInErrors(t *testing.T) {
	s := newTestServer(t, WithClientSecret("client-secret-value"))
	s.AddUser("uma", "Sup3rS3cret!")
	_, err := s.Client().InitiateAuth(context.Background(), &cip.InitiateAuthInput{
		AuthFlow:       types.AuthFlowTypeUserPasswordAuth,
		ClientId:       aws.String(s.ClientID),
		AuthParameters: map[string]string{"USERNAME": "uma", "PASSWORD": "Sup3rS3cret!", "SECRET_HASH": "d3Jvbmc="},
	})
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "Sup3rS3cret!")
	assert.NotContains(t, err.Error(), "client-secret-value")
	var r any
	func() {
		defer func() { r = recover() }()
		s.AddUser("uma", "Sup3rS3cret!")
	}()
	require.NotNil(t, r)
	assert.NotContains(t, r, "Sup3rS3cret!")
}

func TestNewServerNilOption(t *testing.T) {
	assert.PanicsWithValue(t, "cognitotest: NewServer: nil Option", func() { NewServer(nil) })
}

func TestCORS(t *testing.T) {
	s := newTestServer(t)
	req, err := http.NewRequest(http.MethodOptions, s.URL+"/", nil)
	require.NoError(t, err)
	req.Header.Set("Origin", "http://localhost:3000")
	req.Header.Set("Access-Control-Request-Method", "POST")
	req.Header.Set("Access-Control-Request-Headers", "content-type,x-amz-target")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusNoContent, resp.StatusCode)
	assert.Equal(t, "*", resp.Header.Get("Access-Control-Allow-Origin"))
	assert.Contains(t, resp.Header.Get("Access-Control-Allow-Headers"), "X-Amz-Target")
	assert.Contains(t, resp.Header.Get("Access-Control-Allow-Methods"), "POST")
}

// TestFractionalLifetime: lifetimes are rounded up to whole seconds, as
// exp and ExpiresIn count them.
func TestFractionalLifetime(t *testing.T) {
	for d, want := range map[time.Duration]int32{
		1500 * time.Millisecond: 2,
		300 * time.Millisecond:  1,
		3 * time.Second:         3,
	} {
		s := newTestServer(t, WithTokenLifetime(d))
		s.AddUser("una", "pw")
		out, err := passwordSignIn(s, "una", "pw")
		require.NoError(t, err)
		assert.Equal(t, want, out.AuthenticationResult.ExpiresIn, d)
		c := claims(t, aws.ToString(out.AuthenticationResult.AccessToken))
		assert.Equal(t, float64(want), c["exp"].(float64)-c["iat"].(float64), d)
	}
}
