package cognitotest_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/seed-e8acf5fd/cognito"
	"github.com/seed-e8acf5fd/cognito/cognitotest"
)

const password = "correct horse battery staple"

// claimsOf decodes the claims of a JWT, unverified.
func claimsOf(t *testing.T, jwt string) map[string]any {
	t.Helper()
	parts := strings.Split(jwt, ".")
	require.Len(t, parts, 3)
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	require.NoError(t, err)
	var claims map[string]any
	require.NoError(t, json.Unmarshal(raw, &claims))
	return claims
}

// signInCode runs managed login in a new browser and returns the
// authorization code.
func signInCode(t *testing.T, srv *cognitotest.Server, authURL string) string {
	t.Helper()
	return newBrowser(t, srv).signIn(authURL, "alice", password).code(t)
}

// retrieveError asserts that err is the token endpoint's error code with
// HTTP status.
func retrieveError(t *testing.T, err error, status int, code string) {
	t.Helper()
	var re *oauth2.RetrieveError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, code, re.ErrorCode)
	assert.Equal(t, status, re.Response.StatusCode)
}

func TestAuthorizationCodeGrant(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := newOAuthServer(t)
	srv.AddUser("alice", password)
	srv.AddAlias("alice", "alice@example.com")
	conf := oauthConfig(srv, "openid", "email", "aws.cognito.signin.user.admin")
	verifier := oauth2.GenerateVerifier()
	authURL := conf.AuthCodeURL("xyz", oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("nonce", "n-0S6"))

	p := newBrowser(t, srv).signIn(authURL, "alice", password)
	assert.Equal(t, "xyz", p.location.Query().Get("state"))
	start := time.Now()
	tok, err := conf.Exchange(ctx, p.code(t), oauth2.VerifierOption(verifier))
	require.NoError(t, err)
	assert.Equal(t, "Bearer", tok.TokenType)
	assert.NotEmpty(t, tok.RefreshToken)
	assert.WithinDuration(t, start.Add(time.Hour), tok.Expiry, 5*time.Second)

	// go-oidc accepts the ID token against the issuer, with the nonce and
	// the access token's hash.
	provider, err := oidc.NewProvider(ctx, srv.Issuer)
	require.NoError(t, err)
	idToken, err := provider.Verifier(&oidc.Config{ClientID: srv.ClientID}).Verify(ctx, cognito.IDToken(tok))
	require.NoError(t, err)
	assert.Equal(t, "n-0S6", idToken.Nonce)
	require.NoError(t, idToken.VerifyAccessToken(tok.AccessToken))
	assert.Error(t, idToken.VerifyAccessToken(tok.AccessToken+"x"))
	var id struct {
		Username string `json:"cognito:username"`
		Email    string `json:"email"`
		TokenUse string `json:"token_use"`
	}
	require.NoError(t, idToken.Claims(&id))
	assert.Equal(t, "alice", id.Username)
	assert.Equal(t, "alice@example.com", id.Email)
	assert.Equal(t, "id", id.TokenUse)

	access, err := provider.Verifier(&oidc.Config{SkipClientIDCheck: true}).Verify(ctx, tok.AccessToken)
	require.NoError(t, err)
	assert.Equal(t, idToken.Subject, access.Subject)
	c := claimsOf(t, tok.AccessToken)
	assert.Equal(t, "openid email aws.cognito.signin.user.admin", c["scope"])
	assert.Equal(t, srv.ClientID, c["client_id"])
	assert.Equal(t, "access", c["token_use"])
	assert.Equal(t, "alice", c["username"])
	assert.Equal(t, float64(2), c["version"])
	assert.Equal(t, c["origin_jti"], claimsOf(t, cognito.IDToken(tok))["origin_jti"])
}

func TestAuthorizationCodeGrantDefaultScopes(t *testing.T) {
	t.Parallel()
	srv := newOAuthServer(t, cognitotest.WithResourceServer("https://api.example.com", "read"))
	srv.AddUser("alice", password)
	conf := oauthConfig(srv) // no scopes: every scope the client is allowed
	tok, err := conf.Exchange(context.Background(), signInCode(t, srv, conf.AuthCodeURL("st")))
	require.NoError(t, err)
	assert.Equal(t, "openid email phone profile aws.cognito.signin.user.admin https://api.example.com/read", claimsOf(t, tok.AccessToken)["scope"])
	assert.Empty(t, claimsOf(t, cognito.IDToken(tok))["nonce"])
}

func TestAuthorizationCodeGrantWithoutOpenID(t *testing.T) {
	t.Parallel()
	srv := newOAuthServer(t, cognitotest.WithResourceServer("orders", "read", "write"))
	srv.AddUser("alice", password)
	conf := oauthConfig(srv, "orders/read")
	tok, err := conf.Exchange(context.Background(), signInCode(t, srv, conf.AuthCodeURL("st")))
	require.NoError(t, err)
	assert.Empty(t, cognito.IDToken(tok), "an ID token only with openid")
	assert.NotEmpty(t, tok.RefreshToken)
	assert.Equal(t, "orders/read", claimsOf(t, tok.AccessToken)["scope"])
}

func TestAuthorizationCodeGrantClientAuthentication(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		secret  bool // the app client has one
		style   oauth2.AuthStyle
		send    string // the secret the client sends
		wantErr string
	}{
		{name: "basic", secret: true, style: oauth2.AuthStyleInHeader, send: "s3cr3t/+="},
		{name: "post", secret: true, style: oauth2.AuthStyleInParams, send: "s3cr3t/+="},
		{name: "wrong secret", secret: true, style: oauth2.AuthStyleInHeader, send: "wrong", wantErr: "invalid_client"},
		{name: "no secret", secret: true, style: oauth2.AuthStyleInParams, wantErr: "invalid_client"},
		{name: "public basic", style: oauth2.AuthStyleInHeader},
		{name: "public post", style: oauth2.AuthStyleInParams},
		{name: "public with a secret", style: oauth2.AuthStyleInHeader, send: "made-up", wantErr: "invalid_client"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var opts []cognitotest.Option
			if tc.secret {
				opts = append(opts, cognitotest.WithClientSecret("s3cr3t/+="))
			}
			srv := newOAuthServer(t, opts...)
			srv.AddUser("alice", password)
			conf := oauthConfig(srv, "openid")
			conf.ClientSecret = tc.send
			conf.Endpoint.AuthStyle = tc.style
			tok, err := conf.Exchange(context.Background(), signInCode(t, srv, conf.AuthCodeURL("st")))
			if tc.wantErr != "" {
				retrieveError(t, err, http.StatusBadRequest, tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.NotEmpty(t, cognito.IDToken(tok))
		})
	}
}

func TestAuthorizeRefusals(t *testing.T) {
	t.Parallel()
	srv := newOAuthServer(t, cognitotest.WithCallbackURL("myapp://callback"))
	srv.AddUser("alice", password)
	base := url.Values{
		"response_type": {"code"},
		"client_id":     {srv.ClientID},
		"redirect_uri":  {callbackURL},
		"state":         {"st"},
	}
	for _, tc := range []struct {
		name   string
		change url.Values // parameters set; an empty value removes one
		// page is set when the error is shown on a page, never sent to
		// the redirect_uri; else wantErr is the error sent there.
		page    bool
		wantErr string
	}{
		{name: "unknown client", change: url.Values{"client_id": {"1example23456789"}}, page: true},
		{name: "no client", change: url.Values{"client_id": {""}}, page: true},
		{name: "no redirect_uri", change: url.Values{"redirect_uri": {""}}, page: true},
		{name: "trailing slash", change: url.Values{"redirect_uri": {callbackURL + "/"}}, page: true},
		{name: "other port", change: url.Values{"redirect_uri": {"http://localhost:8081/callback"}}, page: true},
		{name: "other case", change: url.Values{"redirect_uri": {"http://localhost:8080/Callback"}}, page: true},
		{name: "added query", change: url.Values{"redirect_uri": {callbackURL + "?a=b"}}, page: true},
		{name: "no response_type", change: url.Values{"response_type": {""}}, wantErr: "invalid_request"},
		{name: "implicit", change: url.Values{"response_type": {"token"}}, wantErr: "unsupported_response_type"},
		{name: "plain PKCE", change: url.Values{"code_challenge": {"dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"}, "code_challenge_method": {"plain"}}, wantErr: "invalid_request"},
		{name: "challenge without method", change: url.Values{"code_challenge": {"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"}}, wantErr: "invalid_request"},
		{name: "method without challenge", change: url.Values{"code_challenge_method": {"S256"}}, wantErr: "invalid_request"},
		{name: "malformed challenge", change: url.Values{"code_challenge": {"short"}, "code_challenge_method": {"S256"}}, wantErr: "invalid_request"},
		{name: "unknown scope", change: url.Values{"scope": {"openid admin"}}, wantErr: "invalid_scope"},
		{name: "email without openid", change: url.Values{"scope": {"email"}}, wantErr: "invalid_scope"},
		{name: "identity provider", change: url.Values{"identity_provider": {"Google"}}, wantErr: "invalid_request"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			q := url.Values{}
			for k, v := range base {
				q[k] = v
			}
			for k, v := range tc.change {
				if v[0] == "" {
					q.Del(k)
				} else {
					q[k] = v
				}
			}
			p := newBrowser(t, srv).get(srv.Domain + "/oauth2/authorize?" + q.Encode())
			if tc.page {
				assert.Equal(t, http.StatusBadRequest, p.status)
				assert.Equal(t, "error", p.step)
				assert.Nil(t, p.location, "never a redirect")
				return
			}
			require.Equal(t, http.StatusFound, p.status, p.body)
			assert.Equal(t, callbackURL, p.location.Scheme+"://"+p.location.Host+p.location.Path)
			assert.Equal(t, tc.wantErr, p.location.Query().Get("error"))
			assert.Equal(t, "st", p.location.Query().Get("state"))
			assert.Empty(t, p.location.Query().Get("code"))
		})
	}

	// The login page checks the same parameters.
	p := newBrowser(t, srv).get(srv.Domain + "/login?" + url.Values{"client_id": {srv.ClientID}, "redirect_uri": {"https://evil.example/cb"}, "response_type": {"code"}}.Encode())
	assert.Equal(t, http.StatusBadRequest, p.status)

	// A custom scheme works as a callback too.
	q := url.Values{"response_type": {"code"}, "client_id": {srv.ClientID}, "redirect_uri": {"myapp://callback"}, "scope": {"openid"}}
	b := newBrowser(t, srv)
	got := b.submit(b.get(srv.Domain+"/oauth2/authorize?"+q.Encode()), "username", "alice", "password", password)
	require.Equal(t, http.StatusFound, got.status)
	assert.Equal(t, "myapp", got.location.Scheme)
	assert.NotEmpty(t, got.location.Query().Get("code"))
}

func TestAuthorizationCodeRefusals(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		// redeem redeems code, issued for verifier, and returns the error.
		redeem  func(t *testing.T, conf *oauth2.Config, code, verifier string) error
		wantErr string
	}{
		{
			name: "wrong verifier",
			redeem: func(t *testing.T, conf *oauth2.Config, code, _ string) error {
				_, err := conf.Exchange(ctx, code, oauth2.VerifierOption(oauth2.GenerateVerifier()))
				return err
			},
			wantErr: "invalid_grant",
		},
		{
			name: "no verifier",
			redeem: func(t *testing.T, conf *oauth2.Config, code, _ string) error {
				_, err := conf.Exchange(ctx, code)
				return err
			},
			wantErr: "invalid_grant",
		},
		{
			name: "verifier used as a plain challenge",
			redeem: func(t *testing.T, conf *oauth2.Config, code, verifier string) error {
				_, err := conf.Exchange(ctx, code, oauth2.VerifierOption(oauth2.S256ChallengeFromVerifier(verifier)))
				return err
			},
			wantErr: "invalid_grant",
		},
		{
			name: "code used twice",
			redeem: func(t *testing.T, conf *oauth2.Config, code, verifier string) error {
				_, err := conf.Exchange(ctx, code, oauth2.VerifierOption(verifier))
				require.NoError(t, err)
				_, err = conf.Exchange(ctx, code, oauth2.VerifierOption(verifier))
				return err
			},
			wantErr: "invalid_grant",
		},
		{
			name: "a wrong attempt uses the code up",
			redeem: func(t *testing.T, conf *oauth2.Config, code, verifier string) error {
				_, err := conf.Exchange(ctx, code, oauth2.VerifierOption(oauth2.GenerateVerifier()))
				require.Error(t, err)
				_, err = conf.Exchange(ctx, code, oauth2.VerifierOption(verifier))
				return err
			},
			wantErr: "invalid_grant",
		},
		{
			name: "unknown code",
			redeem: func(t *testing.T, conf *oauth2.Config, _, verifier string) error {
				_, err := conf.Exchange(ctx, "7f8c1a3e-0000-4000-8000-000000000000", oauth2.VerifierOption(verifier))
				return err
			},
			wantErr: "invalid_grant",
		},
		{
			name: "other redirect_uri",
			redeem: func(t *testing.T, conf *oauth2.Config, code, verifier string) error {
				other := *conf
				other.RedirectURL = callbackURL + "/"
				_, err := other.Exchange(ctx, code, oauth2.VerifierOption(verifier))
				return err
			},
			wantErr: "unauthorized_client",
		},
		{
			name: "no redirect_uri",
			redeem: func(t *testing.T, conf *oauth2.Config, code, verifier string) error {
				other := *conf
				other.RedirectURL = ""
				_, err := other.Exchange(ctx, code, oauth2.VerifierOption(verifier))
				return err
			},
			wantErr: "invalid_request",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := newOAuthServer(t)
			srv.AddUser("alice", password)
			conf := oauthConfig(srv, "openid")
			verifier := oauth2.GenerateVerifier()
			code := signInCode(t, srv, conf.AuthCodeURL("st", oauth2.S256ChallengeOption(verifier)))
			retrieveError(t, tc.redeem(t, conf, code, verifier), http.StatusBadRequest, tc.wantErr)
		})
	}
}

func TestAuthorizationCodeLifetime(t *testing.T) {
	t.Parallel()
	clock := &settableClock{now: time.Now()}
	srv := newOAuthServer(t, cognitotest.WithClock(clock.Now))
	srv.AddUser("alice", password)
	conf := oauthConfig(srv, "openid")
	b := newBrowser(t, srv)

	code := b.signIn(conf.AuthCodeURL("st"), "alice", password).code(t)
	clock.Advance(5*time.Minute - time.Second)
	_, err := conf.Exchange(context.Background(), code)
	require.NoError(t, err, "still valid a second before five minutes")

	code = b.get(conf.AuthCodeURL("st")).code(t)
	clock.Advance(5 * time.Minute)
	_, err = conf.Exchange(context.Background(), code)
	retrieveError(t, err, http.StatusBadRequest, "invalid_grant")
}

// postToken sends a raw form to the token endpoint and returns the status
// and the decoded body.
func postToken(t *testing.T, srv *cognitotest.Server, contentType string, form url.Values) (int, map[string]any) {
	t.Helper()
	resp, err := http.Post(srv.Domain+"/oauth2/token", contentType, strings.NewReader(form.Encode()))
	require.NoError(t, err)
	defer resp.Body.Close()
	var body map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
	assert.Equal(t, "application/json;charset=UTF-8", resp.Header.Get("Content-Type"))
	assert.Equal(t, "no-store", resp.Header.Get("Cache-Control"))
	return resp.StatusCode, body
}

func TestTokenEndpointRequests(t *testing.T) {
	t.Parallel()
	srv := newOAuthServer(t)
	const form = "application/x-www-form-urlencoded"
	for _, tc := range []struct {
		name        string
		contentType string
		form        url.Values
		wantErr     string
	}{
		{"no grant_type", form, url.Values{"client_id": {srv.ClientID}}, "invalid_request"},
		{"password grant", form, url.Values{"client_id": {srv.ClientID}, "grant_type": {"password"}}, "unsupported_grant_type"},
		{"no client", form, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"x"}}, "invalid_client"},
		{"unknown client", form, url.Values{"client_id": {"1example23456789"}, "grant_type": {"refresh_token"}, "refresh_token": {"x"}}, "invalid_client"},
		{"JSON body", "application/json", url.Values{"client_id": {srv.ClientID}, "grant_type": {"refresh_token"}}, "invalid_request"},
		{"no refresh_token", form, url.Values{"client_id": {srv.ClientID}, "grant_type": {"refresh_token"}}, "invalid_request"},
		{"no code", form, url.Values{"client_id": {srv.ClientID}, "grant_type": {"authorization_code"}, "redirect_uri": {callbackURL}}, "invalid_request"},
		{"repeated parameter", form, url.Values{"client_id": {srv.ClientID}, "grant_type": {"refresh_token", "refresh_token"}, "refresh_token": {"x"}}, "invalid_request"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := postToken(t, srv, tc.contentType, tc.form)
			assert.Equal(t, http.StatusBadRequest, status)
			assert.Equal(t, map[string]any{"error": tc.wantErr}, body)
		})
	}

	// HTTP Basic naming another client than the form's client_id.
	req, err := http.NewRequest(http.MethodPost, srv.Domain+"/oauth2/token", strings.NewReader(url.Values{
		"client_id": {"1example23456789"}, "grant_type": {"refresh_token"}, "refresh_token": {"x"}}.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", form)
	req.SetBasicAuth(srv.ClientID, "")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	raw, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.JSONEq(t, `{"error":"invalid_client"}`, string(raw))

	resp, err = http.Get(srv.Domain + "/oauth2/token")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
	assert.Equal(t, 10, srv.Calls("/oauth2/token"), "every request counts")
}

func TestRefreshTokenGrant(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	// Tokens of a second are always within x/oauth2's early expiry, so
	// every Token call renews.
	srv := newOAuthServer(t, cognitotest.WithTokenLifetime(time.Second))
	srv.AddUser("alice", password)
	conf := oauthConfig(srv, "openid", "profile")
	tok, err := conf.Exchange(ctx, signInCode(t, srv, conf.AuthCodeURL("st")))
	require.NoError(t, err)

	ts := conf.TokenSource(ctx, tok)
	renewed, err := ts.Token()
	require.NoError(t, err)
	assert.Equal(t, 2, srv.Calls("/oauth2/token"))
	assert.NotEqual(t, tok.AccessToken, renewed.AccessToken)
	assert.Equal(t, tok.RefreshToken, renewed.RefreshToken, "no new refresh token without rotation")
	require.NotEmpty(t, cognito.IDToken(renewed))
	assert.NotEqual(t, cognito.IDToken(tok), cognito.IDToken(renewed))
	before, after := claimsOf(t, tok.AccessToken), claimsOf(t, renewed.AccessToken)
	assert.Equal(t, before["scope"], after["scope"])
	assert.Equal(t, before["origin_jti"], after["origin_jti"])
	assert.Equal(t, before["auth_time"], after["auth_time"])
	assert.Equal(t, "openid profile", after["scope"])

	// Once revoked, the refresh token is invalid_grant.
	srv.RevokeRefreshTokens("alice")
	_, err = ts.Token()
	retrieveError(t, err, http.StatusBadRequest, "invalid_grant")
}

func TestRefreshTokenGrantWithRotation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := newOAuthServer(t, cognitotest.WithRefreshTokenRotation(0))
	srv.AddUser("alice", password)
	conf := oauthConfig(srv, "openid")
	tok, err := conf.Exchange(ctx, signInCode(t, srv, conf.AuthCodeURL("st")))
	require.NoError(t, err)

	stale := &oauth2.Token{RefreshToken: tok.RefreshToken}
	renewed, err := conf.TokenSource(ctx, stale).Token()
	require.NoError(t, err)
	assert.NotEqual(t, tok.RefreshToken, renewed.RefreshToken, "rotation hands out a new refresh token")
	_, err = conf.TokenSource(ctx, stale).Token()
	retrieveError(t, err, http.StatusBadRequest, "invalid_grant")
	_, err = conf.TokenSource(ctx, &oauth2.Token{RefreshToken: renewed.RefreshToken}).Token()
	require.NoError(t, err)
}

func TestRefreshTokenGrantOfAPISignIns(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	signIn := func(t *testing.T, srv *cognitotest.Server) string {
		out, err := srv.Client().InitiateAuth(ctx, &cip.InitiateAuthInput{
			AuthFlow:       types.AuthFlowTypeUserPasswordAuth,
			ClientId:       aws.String(srv.ClientID),
			AuthParameters: map[string]string{"USERNAME": "alice", "PASSWORD": password},
		})
		require.NoError(t, err)
		return aws.ToString(out.AuthenticationResult.RefreshToken)
	}

	// A sign-in through the API renews at the token endpoint too...
	srv := newOAuthServer(t)
	srv.AddUser("alice", password)
	tok, err := oauthConfig(srv).TokenSource(ctx, &oauth2.Token{RefreshToken: signIn(t, srv)}).Token()
	require.NoError(t, err)
	assert.NotEmpty(t, cognito.IDToken(tok))
	assert.Equal(t, "aws.cognito.signin.user.admin", claimsOf(t, tok.AccessToken)["scope"])

	// ...unless it is bound to a device, which the token endpoint cannot name.
	srv = newOAuthServer(t, cognitotest.WithDeviceTracking(cognitotest.DeviceConfig{}))
	srv.AddUser("alice", password)
	_, err = oauthConfig(srv).TokenSource(ctx, &oauth2.Token{RefreshToken: signIn(t, srv)}).Token()
	retrieveError(t, err, http.StatusBadRequest, "invalid_grant")
}

func TestManagedLoginTokensInTheAPI(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := newOAuthServer(t)
	srv.AddUser("alice", password)
	api := srv.Client()

	// Without aws.cognito.signin.user.admin the API refuses the access token.
	conf := oauthConfig(srv, "openid")
	tok, err := conf.Exchange(ctx, signInCode(t, srv, conf.AuthCodeURL("st")))
	require.NoError(t, err)
	_, err = api.GlobalSignOut(ctx, &cip.GlobalSignOutInput{AccessToken: aws.String(tok.AccessToken)})
	var na *types.NotAuthorizedException
	require.ErrorAs(t, err, &na)
	assert.Equal(t, "Access Token does not have required scopes", aws.ToString(na.Message))

	// REFRESH_TOKEN_AUTH renews a managed-login sign-in with its scopes.
	out, err := api.InitiateAuth(ctx, &cip.InitiateAuthInput{
		AuthFlow:       types.AuthFlowTypeRefreshTokenAuth,
		ClientId:       aws.String(srv.ClientID),
		AuthParameters: map[string]string{"REFRESH_TOKEN": tok.RefreshToken},
	})
	require.NoError(t, err)
	assert.Equal(t, "openid", claimsOf(t, aws.ToString(out.AuthenticationResult.AccessToken))["scope"])
	assert.NotEmpty(t, aws.ToString(out.AuthenticationResult.IdToken))

	// With it, the access token signs the user out of everything.
	admin := oauthConfig(srv, "openid", "aws.cognito.signin.user.admin")
	tok, err = admin.Exchange(ctx, signInCode(t, srv, admin.AuthCodeURL("st")))
	require.NoError(t, err)
	_, err = api.GlobalSignOut(ctx, &cip.GlobalSignOutInput{AccessToken: aws.String(tok.AccessToken)})
	require.NoError(t, err)
	_, err = admin.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
	retrieveError(t, err, http.StatusBadRequest, "invalid_grant")
}

func TestClientCredentials(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, tc := range []struct {
		name      string
		opts      []cognitotest.Option
		secret    string // sent; "" sends the server's
		scopes    []string
		wantScope string
		wantErr   string
	}{
		{name: "one scope", scopes: []string{"orders/read"}, wantScope: "orders/read"},
		{name: "several", scopes: []string{"https://api.example.com/admin", "orders/write"}, wantScope: "https://api.example.com/admin orders/write"},
		{name: "all by default", wantScope: "orders/read orders/write https://api.example.com/admin"},
		{name: "unknown scope", scopes: []string{"orders/delete"}, wantErr: "invalid_scope"},
		{name: "reserved scope", scopes: []string{"openid"}, wantErr: "invalid_scope"},
		{name: "bad secret", secret: "guess", wantErr: "invalid_client"},
		{name: "public client", opts: []cognitotest.Option{}, secret: "-", wantErr: "invalid_client"},
		{name: "no resource server", opts: []cognitotest.Option{cognitotest.WithClientSecret("s3cr3t")}, wantErr: "unauthorized_client"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			opts := tc.opts
			if opts == nil {
				opts = []cognitotest.Option{
					cognitotest.WithClientSecret("s3cr3t"),
					cognitotest.WithResourceServer("orders", "read", "write"),
					cognitotest.WithResourceServer("https://api.example.com", "admin"),
				}
			}
			srv := cognitotest.NewServer(opts...)
			t.Cleanup(srv.Close)
			secret := srv.ClientSecret
			switch tc.secret {
			case "-":
				secret = ""
			case "":
			default:
				secret = tc.secret
			}
			conf := clientcredentials.Config{
				ClientID:     srv.ClientID,
				ClientSecret: secret,
				TokenURL:     cognito.Endpoint(srv.Domain).TokenURL,
				Scopes:       tc.scopes,
				AuthStyle:    cognito.Endpoint(srv.Domain).AuthStyle,
			}
			tok, err := conf.Token(ctx)
			if tc.wantErr != "" {
				retrieveError(t, err, http.StatusBadRequest, tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Empty(t, tok.RefreshToken)
			assert.Nil(t, tok.Extra("id_token"))
			provider, err := oidc.NewProvider(ctx, srv.Issuer)
			require.NoError(t, err)
			verified, err := provider.Verifier(&oidc.Config{SkipClientIDCheck: true}).Verify(ctx, tok.AccessToken)
			require.NoError(t, err)
			assert.Equal(t, srv.ClientID, verified.Subject)
			c := claimsOf(t, tok.AccessToken)
			assert.Equal(t, tc.wantScope, c["scope"])
			assert.Equal(t, srv.ClientID, c["client_id"])
			assert.Equal(t, "access", c["token_use"])
			assert.NotContains(t, c, "username")

			// It is no user's token.
			_, err = srv.Client().GlobalSignOut(ctx, &cip.GlobalSignOutInput{AccessToken: aws.String(tok.AccessToken)})
			var na *types.NotAuthorizedException
			assert.ErrorAs(t, err, &na)
		})
	}
}

// userInfo calls /oauth2/userInfo with authorization as the Authorization
// header and returns the status, the WWW-Authenticate header and the body.
func userInfo(t *testing.T, srv *cognitotest.Server, method, authorization string) (int, string, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, srv.Domain+"/oauth2/userInfo", nil)
	require.NoError(t, err)
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var body map[string]any
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(raw, &body), string(raw))
	return resp.StatusCode, resp.Header.Get("WWW-Authenticate"), body
}

func TestUserInfo(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := newOAuthServer(t)
	srv.AddUser("alice", password)
	srv.AddAlias("alice", "alice@example.com")
	srv.RequireNewPassword("alice", "name")
	b := newBrowser(t, srv)
	conf := oauthConfig(srv, "openid")
	p := b.signIn(conf.AuthCodeURL("st"), "alice", password)
	p = b.submit(p, "new_password", "another good password", "userAttributes.name", "Alice Liddell", "userAttributes.phone_number", "+15555550100")
	tok, err := conf.Exchange(ctx, p.code(t))
	require.NoError(t, err)
	sub := claimsOf(t, tok.AccessToken)["sub"]

	status, _, body := userInfo(t, srv, http.MethodGet, "Bearer "+tok.AccessToken)
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, map[string]any{
		"sub": sub, "username": "alice", "email": "alice@example.com", "email_verified": "true",
		"name": "Alice Liddell", "phone_number": "+15555550100",
	}, body, "openid alone: every attribute")

	// go-oidc reads it, email_verified string and all.
	provider, err := oidc.NewProvider(ctx, srv.Issuer)
	require.NoError(t, err)
	info, err := provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
	require.NoError(t, err)
	assert.Equal(t, sub, info.Subject)
	assert.True(t, info.EmailVerified)

	for _, tc := range []struct {
		scopes []string
		want   []string
	}{
		{[]string{"openid", "email"}, []string{"sub", "username", "email", "email_verified"}},
		{[]string{"openid", "profile"}, []string{"sub", "username", "name"}},
		{[]string{"openid", "phone", "aws.cognito.signin.user.admin"}, []string{"sub", "username", "phone_number"}},
	} {
		c := oauthConfig(srv, tc.scopes...)
		tok, err := c.Exchange(ctx, b.get(c.AuthCodeURL("st")).code(t))
		require.NoError(t, err)
		status, _, body := userInfo(t, srv, http.MethodPost, "Bearer "+tok.AccessToken)
		require.Equal(t, http.StatusOK, status)
		var keys []string
		for k := range body {
			keys = append(keys, k)
		}
		assert.ElementsMatch(t, tc.want, keys, tc.scopes)
	}

	// Refused: no openid scope, an API token, a revoked one, no token.
	noOpenID := oauthConfig(srv, "aws.cognito.signin.user.admin")
	tok2, err := noOpenID.Exchange(ctx, b.get(noOpenID.AuthCodeURL("st")).code(t))
	require.NoError(t, err)
	api, err := srv.Client().InitiateAuth(ctx, &cip.InitiateAuthInput{
		AuthFlow:       types.AuthFlowTypeUserPasswordAuth,
		ClientId:       aws.String(srv.ClientID),
		AuthParameters: map[string]string{"USERNAME": "alice", "PASSWORD": "another good password"},
	})
	require.NoError(t, err)
	revoked, err := conf.Exchange(ctx, b.get(conf.AuthCodeURL("st")).code(t))
	require.NoError(t, err)
	_, err = srv.Client().RevokeToken(ctx, &cip.RevokeTokenInput{ClientId: aws.String(srv.ClientID), Token: aws.String(revoked.RefreshToken)})
	require.NoError(t, err)
	for _, token := range []string{tok2.AccessToken, aws.ToString(api.AuthenticationResult.AccessToken), revoked.AccessToken, cognito.IDToken(tok), "not.a.token"} {
		status, challenge, body := userInfo(t, srv, http.MethodGet, "Bearer "+token)
		assert.Equal(t, http.StatusUnauthorized, status)
		assert.True(t, strings.HasPrefix(challenge, `Bearer error="invalid_token"`), challenge)
		assert.Equal(t, "invalid_token", body["error"])
	}
	status, challenge, _ := userInfo(t, srv, http.MethodGet, "")
	assert.Equal(t, http.StatusBadRequest, status)
	assert.True(t, strings.HasPrefix(challenge, `Bearer error="invalid_request"`), challenge)
}

// revoke posts token to /oauth2/revoke as clientID with secret (HTTP
// Basic when secret is not empty) and returns the status and body.
func revoke(t *testing.T, srv *cognitotest.Server, clientID, secret, token string) (int, string) {
	t.Helper()
	form := url.Values{"token": {token}}
	if secret == "" {
		form.Set("client_id", clientID)
	}
	req, err := http.NewRequest(http.MethodPost, srv.Domain+"/oauth2/revoke", strings.NewReader(form.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if secret != "" {
		req.SetBasicAuth(clientID, secret)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(raw)
}

func TestRevokeEndpoint(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := newOAuthServer(t, cognitotest.WithClientSecret("s3cr3t"))
	srv.AddUser("alice", password)
	conf := oauthConfig(srv, "openid")
	tok, err := conf.Exchange(ctx, signInCode(t, srv, conf.AuthCodeURL("st")))
	require.NoError(t, err)

	status, body := revoke(t, srv, srv.ClientID, "wrong", tok.RefreshToken)
	assert.Equal(t, http.StatusUnauthorized, status)
	assert.JSONEq(t, `{"error":"invalid_client"}`, body)
	status, body = revoke(t, srv, srv.ClientID, "s3cr3t", tok.AccessToken)
	assert.Equal(t, http.StatusBadRequest, status)
	assert.JSONEq(t, `{"error":"unsupported_token_type"}`, body)
	status, body = revoke(t, srv, srv.ClientID, "s3cr3t", "")
	assert.Equal(t, http.StatusBadRequest, status)
	assert.JSONEq(t, `{"error":"invalid_request"}`, body)
	status, body = revoke(t, srv, srv.ClientID, "s3cr3t", "unknown-token")
	assert.Equal(t, http.StatusOK, status, "an unknown token is no error")
	assert.Empty(t, body)

	// Nothing above revoked the token; this does, with its access tokens.
	renewed, err := conf.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
	require.NoError(t, err)
	status, body = revoke(t, srv, srv.ClientID, "s3cr3t", tok.RefreshToken)
	assert.Equal(t, http.StatusOK, status)
	assert.Empty(t, body)
	_, err = conf.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
	retrieveError(t, err, http.StatusBadRequest, "invalid_grant")
	for _, access := range []string{tok.AccessToken, renewed.AccessToken} {
		status, _, _ := userInfo(t, srv, http.MethodGet, "Bearer "+access)
		assert.Equal(t, http.StatusUnauthorized, status)
	}
	assert.Equal(t, 5, srv.Calls("/oauth2/revoke"))
}

func TestRevokeEndpointPublicClient(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := newOAuthServer(t)
	srv.AddUser("alice", password)
	conf := oauthConfig(srv, "openid")
	tok, err := conf.Exchange(ctx, signInCode(t, srv, conf.AuthCodeURL("st")))
	require.NoError(t, err)
	status, _ := revoke(t, srv, "1example23456789", "", tok.RefreshToken)
	assert.Equal(t, http.StatusUnauthorized, status)
	status, _ = revoke(t, srv, srv.ClientID, "", tok.RefreshToken)
	assert.Equal(t, http.StatusOK, status)
	_, err = conf.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
	retrieveError(t, err, http.StatusBadRequest, "invalid_grant")
}

func TestDiscoveryDocument(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := newOAuthServer(t)
	provider, err := oidc.NewProvider(ctx, srv.Issuer)
	require.NoError(t, err)
	endpoint := cognito.Endpoint(srv.Domain)
	assert.Equal(t, endpoint.AuthURL, provider.Endpoint().AuthURL)
	assert.Equal(t, endpoint.TokenURL, provider.Endpoint().TokenURL)
	assert.Equal(t, srv.URL, srv.Domain)

	var doc struct {
		UserInfo      string   `json:"userinfo_endpoint"`
		Revocation    string   `json:"revocation_endpoint"`
		EndSession    string   `json:"end_session_endpoint"`
		Scopes        []string `json:"scopes_supported"`
		Challenges    []string `json:"code_challenge_methods_supported"`
		Grants        []string `json:"grant_types_supported"`
		AuthMethods   []string `json:"token_endpoint_auth_methods_supported"`
		ResponseTypes []string `json:"response_types_supported"`
	}
	require.NoError(t, provider.Claims(&doc))
	assert.Equal(t, srv.Domain+"/oauth2/userInfo", doc.UserInfo)
	assert.Equal(t, srv.Domain+"/oauth2/revoke", doc.Revocation)
	assert.Equal(t, srv.Domain+"/logout", doc.EndSession)
	assert.Equal(t, []string{"openid", "email", "phone", "profile"}, doc.Scopes)
	assert.Equal(t, []string{"S256"}, doc.Challenges)
	assert.Equal(t, []string{"authorization_code", "refresh_token", "client_credentials"}, doc.Grants)
	assert.Equal(t, []string{"client_secret_basic", "client_secret_post"}, doc.AuthMethods)
	assert.Equal(t, []string{"code"}, doc.ResponseTypes)
}

func TestOAuthOptionsPanic(t *testing.T) {
	t.Parallel()
	for name, f := range map[string]func(){
		"relative callback":     func() { cognitotest.WithCallbackURL("/callback") },
		"fragment":              func() { cognitotest.WithCallbackURL("https://app.example.com/cb#x") },
		"http to a remote host": func() { cognitotest.WithCallbackURL("http://app.example.com/cb") },
		"long sign-out URL":     func() { cognitotest.WithSignOutURL("https://app.example.com/" + strings.Repeat("a", 1024)) },
		"empty identifier":      func() { cognitotest.WithResourceServer("", "read") },
		"no scopes":             func() { cognitotest.WithResourceServer("orders") },
		"slash in a scope":      func() { cognitotest.WithResourceServer("orders", "read/all") },
		"space in a scope":      func() { cognitotest.WithResourceServer("orders", "read all") },
		"duplicate server": func() {
			cognitotest.NewServer(cognitotest.WithResourceServer("orders", "read"), cognitotest.WithResourceServer("orders", "write")).Close()
		},
	} {
		assert.PanicsWithValue(t, panicMessage(f), f, name)
		assert.True(t, strings.HasPrefix(panicMessage(f), "cognitotest: With"), name)
	}
	for _, ok := range []string{"https://app.example.com/cb", "http://localhost:3000/", "http://127.0.0.1:9/cb", "http://[::1]:9/cb", "myapp://callback"} {
		assert.NotPanics(t, func() { cognitotest.WithCallbackURL(ok) }, ok)
	}
}

// panicMessage returns what f panics with, "" if it does not.
func panicMessage(f func()) (msg string) {
	defer func() {
		if r := recover(); r != nil {
			msg, _ = r.(string)
		}
	}()
	f()
	return ""
}
