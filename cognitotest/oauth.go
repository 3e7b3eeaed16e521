package cognitotest

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
)

// The paths of the pool's OAuth 2.0 and managed-login endpoints, beneath
// Server.Domain.
const (
	pathAuthorize = "/oauth2/authorize"
	pathToken     = "/oauth2/token"
	pathUserInfo  = "/oauth2/userInfo"
	pathRevoke    = "/oauth2/revoke"
	pathLogin     = "/login"
	pathLogout    = "/logout"
)

// endpointPaths are the paths above, which [Server.Calls] counts.
var endpointPaths = []string{pathAuthorize, pathToken, pathUserInfo, pathRevoke, pathLogin, pathLogout}

// The scopes Cognito reserves. Every app client of cognitotest may be
// granted them, and the scopes of the pool's resource servers.
const (
	scopeOpenID  = "openid"
	scopeEmail   = "email"
	scopePhone   = "phone"
	scopeProfile = "profile"
	scopeAdmin   = "aws.cognito.signin.user.admin"
)

const (
	// authCodeLifetime is how long an authorization code can be redeemed,
	// as in Cognito: "a one time use code that is valid for five minutes".
	authCodeLifetime = 5 * time.Minute
	// maxURLLength is Cognito's limit on a callback or sign-out URL.
	maxURLLength = 1024
)

// WithCallbackURL registers url as a callback URL of the app client (its
// CallbackURLs): a redirect_uri that /oauth2/authorize accepts. It may be
// given several times. As in Cognito, a redirect_uri must equal one of
// them exactly: same scheme, host, port, path, trailing slash and query;
// there is no "any port on loopback" rule. url must be absolute, without
// a fragment, and at most 1024 characters long. Cognito accepts plain http
// for localhost only; cognitotest also accepts it for 127.0.0.1 and [::1],
// where an httptest server of the test can receive the code. Any other
// url panics.
func WithCallbackURL(url string) Option {
	checkClientURL("WithCallbackURL", url)
	return func(c *config) {
		if !slices.Contains(c.callbackURLs, url) {
			c.callbackURLs = append(c.callbackURLs, url)
		}
	}
}

// WithSignOutURL registers url as a sign-out URL of the app client (its
// LogoutURLs): a logout_uri that /logout redirects to once it has ended
// the managed-login session. It may be given several times; the rules of
// [WithCallbackURL] apply.
func WithSignOutURL(url string) Option {
	checkClientURL("WithSignOutURL", url)
	return func(c *config) {
		if !slices.Contains(c.signOutURLs, url) {
			c.signOutURLs = append(c.signOutURLs, url)
		}
	}
}

// checkClientURL panics, naming option, for a callback or sign-out URL
// that Cognito would refuse.
func checkClientURL(option, raw string) {
	u, err := url.Parse(raw)
	switch {
	case err != nil || !u.IsAbs():
		panicf("%s: %q is not an absolute URL", option, raw)
	case strings.Contains(raw, "#"):
		panicf("%s: %q has a fragment", option, raw)
	case len(raw) > maxURLLength:
		panicf("%s: URL longer than %d characters", option, maxURLLength)
	case (u.Scheme == "http" || u.Scheme == "https") && u.Host == "":
		panicf("%s: %q has no host", option, raw)
	case u.Scheme == "http" && !isLoopbackHost(u.Hostname()):
		panicf("%s: %q uses http for a host other than localhost", option, raw)
	}
}

func isLoopbackHost(host string) bool {
	return host == "localhost" || host == "127.0.0.1" || host == "::1"
}

// resourceServer is one of the pool's resource servers.
type resourceServer struct {
	id     string
	scopes []string
}

var (
	// resourceServerIDPattern and scopeNamePattern are the patterns of a
	// resource server's Identifier and of a ScopeName in Cognito's API.
	resourceServerIDPattern = regexp.MustCompile(`^[\x21\x23-\x5B\x5D-\x7E]{1,256}$`)
	scopeNamePattern        = regexp.MustCompile(`^[\x21\x23-\x2E\x30-\x5B\x5D-\x7E]{1,256}$`)
)

// WithResourceServer adds a resource server to the pool, as
// CreateResourceServer does, with the identifier id and the given scope
// names, and allows the app client its scopes, "<id>/<scope>". These
// scopes can be asked for at /oauth2/authorize, besides openid, email,
// phone, profile and aws.cognito.signin.user.admin, and they are what the
// client credentials grant gives: an app client with a secret
// ([WithClientSecret]) on a pool with a resource server may use it. It
// panics for an identifier or a scope name that Cognito refuses (empty,
// spaces, quotes, backslashes, and "/" in a scope name), for no scopes,
// and for an identifier already used.
func WithResourceServer(id string, scopes ...string) Option {
	if !resourceServerIDPattern.MatchString(id) {
		panicf("WithResourceServer: invalid identifier %q", id)
	}
	if len(scopes) == 0 {
		panicf("WithResourceServer: no scopes for %q", id)
	}
	var names []string
	for _, sc := range scopes {
		if !scopeNamePattern.MatchString(sc) {
			panicf("WithResourceServer: invalid scope name %q", sc)
		}
		if !slices.Contains(names, sc) {
			names = append(names, sc)
		}
	}
	return func(c *config) {
		for _, rs := range c.resourceServers {
			if rs.id == id {
				panicf("WithResourceServer: duplicate identifier %q", id)
			}
		}
		c.resourceServers = append(c.resourceServers, resourceServer{id: id, scopes: names})
	}
}

// customScopes returns the scopes of the resource servers, in the order
// they were added.
func (c *config) customScopes() []string {
	var out []string
	for _, rs := range c.resourceServers {
		for _, sc := range rs.scopes {
			out = append(out, rs.id+"/"+sc)
		}
	}
	return out
}

// parseScopes splits a scope parameter (space-delimited, RFC 6749 3.3)
// and reports whether every scope is in allowed. Repeated scopes count
// once; the order is kept.
func parseScopes(raw string, allowed []string) ([]string, bool) {
	var out []string
	for _, sc := range strings.Split(raw, " ") {
		switch {
		case sc == "" || slices.Contains(out, sc):
		case !slices.Contains(allowed, sc):
			return nil, false
		default:
			out = append(out, sc)
		}
	}
	return out, true
}

// authRequest is an authorization request that passed the checks of
// /oauth2/authorize (and /login, which takes the same parameters).
type authRequest struct {
	redirectURI string
	state       string
	nonce       string
	// challenge is the PKCE code_challenge (method S256), "" without PKCE.
	challenge string
	scopes    []string
}

// authError is a refused authorization request: an error page when the
// client or the redirect_uri cannot be trusted (page set), else an error
// sent to the redirect_uri.
type authError struct {
	code string // the OAuth 2.0 error code
	page string // the message of the error page, "" to redirect
}

var (
	// pkceChallengePattern is an S256 code_challenge: base64url of a
	// SHA-256 digest, without padding.
	pkceChallengePattern = regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)
	// pkceVerifierPattern is a code_verifier (RFC 7636 4.1).
	pkceVerifierPattern = regexp.MustCompile(`^[A-Za-z0-9._~-]{43,128}$`)
)

// parseAuthRequest checks the parameters of an authorization request, as
// Cognito's authorize endpoint does. client_id must be the app client's
// and redirect_uri one of its callback URLs, exactly; if not, the error is
// shown on a page, never sent to the redirect_uri. Other faults are sent
// to it: response_type other than code (unsupported_response_type; the
// implicit grant is not implemented), a repeated parameter, a
// code_challenge_method other than S256 (plain included), a code_challenge
// without it or malformed, an identity provider other than COGNITO
// (invalid_request), and a scope the client is not allowed, or email,
// phone or profile without openid (invalid_scope). With no scope, the
// request gets every scope the client is allowed. On an error that is
// sent to the redirect_uri, the returned request has its redirectURI and
// state.
func (s *Server) parseAuthRequest(q url.Values) (*authRequest, *authError) {
	if id := q.Get("client_id"); id == "" || id != s.clientID {
		return nil, &authError{code: "invalid_request", page: "The client_id is missing or is not an app client of this user pool."}
	}
	if !slices.Contains(s.cfg.callbackURLs, q.Get("redirect_uri")) {
		return nil, &authError{code: "redirect_mismatch", page: "The redirect_uri is missing or is not a callback URL of the app client."}
	}
	req := &authRequest{redirectURI: q.Get("redirect_uri"), state: q.Get("state"), nonce: q.Get("nonce")}
	for _, v := range q {
		if len(v) > 1 {
			return req, &authError{code: "invalid_request"}
		}
	}
	switch q.Get("response_type") {
	case "code":
	case "":
		return req, &authError{code: "invalid_request"}
	default:
		return req, &authError{code: "unsupported_response_type"}
	}
	if idp := q.Get("identity_provider"); idp != "" && idp != "COGNITO" || q.Get("idp_identifier") != "" {
		return req, &authError{code: "invalid_request"}
	}
	method, challenge := q.Get("code_challenge_method"), q.Get("code_challenge")
	if method != "" || challenge != "" {
		if method != "S256" || !pkceChallengePattern.MatchString(challenge) {
			return req, &authError{code: "invalid_request"}
		}
		req.challenge = challenge
	}
	allowed := s.allowedScopes()
	scopes, ok := parseScopes(q.Get("scope"), allowed)
	if !ok {
		return req, &authError{code: "invalid_scope"}
	}
	if len(scopes) == 0 {
		scopes = allowed
	}
	if !slices.Contains(scopes, scopeOpenID) && slices.ContainsFunc(scopes, func(sc string) bool {
		return sc == scopeEmail || sc == scopePhone || sc == scopeProfile
	}) {
		return req, &authError{code: "invalid_scope"}
	}
	req.scopes = scopes
	return req, nil
}

// allowedScopes returns the scopes the app client may be granted: the
// reserved ones, then those of the resource servers.
func (s *Server) allowedScopes() []string {
	return append([]string{scopeOpenID, scopeEmail, scopePhone, scopeProfile, scopeAdmin}, s.cfg.customScopes()...)
}

// refuseAuthRequest answers a refused authorization request: an error
// page, or a redirect to the redirect_uri with error and state.
func (s *Server) refuseAuthRequest(w http.ResponseWriter, r *http.Request, req *authRequest, e *authError) {
	if e.page != "" {
		renderError(w, http.StatusBadRequest, e.page)
		return
	}
	redirectTo(w, r, req.redirectURI, url.Values{"error": {e.code}}, req.state)
}

// redirectTo redirects (302) to target, a registered URL, with params and
// state (when not empty) added to its query.
func redirectTo(w http.ResponseWriter, r *http.Request, target string, params url.Values, state string) {
	u, err := url.Parse(target)
	if err != nil {
		// Registered URLs were parsed by WithCallbackURL already.
		renderError(w, http.StatusInternalServerError, "The callback URL cannot be parsed.")
		return
	}
	q := u.Query()
	for k, v := range params {
		q[k] = v
	}
	if state != "" {
		q.Set("state", state)
	}
	u.RawQuery = q.Encode()
	http.Redirect(w, r, u.String(), http.StatusFound)
}

// serveAuthorize answers GET /oauth2/authorize. A valid request goes on to
// the login page, /login with the same parameters, as Cognito's does; a
// browser with a live managed-login session (the cookie that signing in
// on the login page set) gets its authorization code at once instead.
func (s *Server) serveAuthorize(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		methodNotAllowed(w, http.MethodGet)
		return
	}
	req, e := s.parseAuthRequest(r.URL.Query())
	if e != nil {
		s.refuseAuthRequest(w, r, req, e)
		return
	}
	now := s.now()
	if ls := s.loginSessionOf(r, now); ls != nil {
		c := s.issueCode(ls.user, req, ls.authTime, now)
		redirectTo(w, r, req.redirectURI, url.Values{"code": {c.code}}, req.state)
		return
	}
	http.Redirect(w, r, pathLogin+"?"+r.URL.RawQuery, http.StatusFound)
}

// authCode is an authorization code waiting to be redeemed, kept in the
// Server's codes under the code itself.
type authCode struct {
	storeEntry
	user     *user
	req      *authRequest
	authTime time.Time
}

// issuedCode is the end of a managed-login sign-in: an authorization code
// for req's redirect_uri.
type issuedCode struct {
	code     string
	user     *user
	authTime time.Time
}

// issueCode issues an authorization code of req for u, who signed in at
// authTime. It can be redeemed once, within five minutes from now.
func (s *Server) issueCode(u *user, req *authRequest, authTime, now time.Time) *issuedCode {
	c := &authCode{user: u, req: req, authTime: authTime}
	c.expires = now.Add(authCodeLifetime)
	code := newUUID()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.codes.add(code, c, now)
	return &issuedCode{code: code, user: u, authTime: authTime}
}

// oauthError is an error of the token and revocation endpoints: an HTTP
// status and an OAuth 2.0 error code, sent as {"error": code}. Like
// Cognito's, it has no error_description.
type oauthError struct {
	status int
	code   string
}

// errOAuth returns the error code with HTTP 400, the status of every error
// of Cognito's token endpoint.
func errOAuth(code string) *oauthError {
	return &oauthError{status: http.StatusBadRequest, code: code}
}

// writeOAuthJSON sends v as the JSON body of a token, revocation or
// userInfo response; tokens are not to be cached (RFC 6749 5.1).
func writeOAuthJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	writeJSON(w, status, "application/json;charset=UTF-8", v)
}

func writeOAuthError(w http.ResponseWriter, e *oauthError) {
	writeOAuthJSON(w, e.status, struct {
		Error string `json:"error"`
	}{e.code})
}

// readOAuthForm reads the form body of a POST to the token or revocation
// endpoint. Only application/x-www-form-urlencoded is accepted, no
// parameter may be repeated (RFC 6749 3.2), and the body is bounded.
func readOAuthForm(w http.ResponseWriter, r *http.Request) (url.Values, *oauthError) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/x-www-form-urlencoded" {
		return nil, errOAuth("invalid_request")
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
	if err := r.ParseForm(); err != nil {
		return nil, errOAuth("invalid_request")
	}
	for _, v := range r.PostForm {
		if len(v) > 1 {
			return nil, errOAuth("invalid_request")
		}
	}
	return r.PostForm, nil
}

// authenticateClient checks the app client's authentication of a request
// to the token or revocation endpoint: client_secret_basic (HTTP Basic,
// with the client ID and secret form-encoded as RFC 6749 2.3.1 says, as
// golang.org/x/oauth2 sends them) or client_secret_post (client_id and
// client_secret in the form), as Cognito accepts both; a public client
// sends its client_id alone, in the form or as the Basic user name with
// an empty password. It fails with invalid_client for an unknown client,
// a wrong or missing secret, or a secret sent by a public client, and
// with invalid_request for both methods at once. It reports whether the
// client authenticated with a secret.
func (s *Server) authenticateClient(r *http.Request, form url.Values) (bool, *oauthError) {
	invalid := errOAuth("invalid_client")
	id, secret, basic := r.BasicAuth()
	if basic {
		var err1, err2 error
		id, err1 = url.QueryUnescape(id)
		secret, err2 = url.QueryUnescape(secret)
		if err1 != nil || err2 != nil {
			return false, invalid
		}
		if form.Has("client_secret") {
			return false, errOAuth("invalid_request")
		}
		if form.Has("client_id") && form.Get("client_id") != id {
			return false, invalid
		}
	} else {
		id, secret = form.Get("client_id"), form.Get("client_secret")
	}
	if id == "" || id != s.clientID {
		return false, invalid
	}
	if s.clientSecret == "" {
		if secret != "" {
			return false, invalid
		}
		return false, nil
	}
	if subtle.ConstantTimeCompare([]byte(secret), []byte(s.clientSecret)) != 1 {
		return false, invalid
	}
	return true, nil
}

// tokenResponse is a successful answer of the token endpoint.
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	IDToken      string `json:"id_token,omitempty"`
	RefreshToken string `json:"refresh_token,omitempty"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
}

// serveToken answers POST /oauth2/token: the client's authentication
// first, then the grant.
func (s *Server) serveToken(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		methodNotAllowed(w, http.MethodPost)
		return
	}
	form, e := readOAuthForm(w, r)
	if e != nil {
		writeOAuthError(w, e)
		return
	}
	confidential, e := s.authenticateClient(r, form)
	if e != nil {
		writeOAuthError(w, e)
		return
	}
	var res *tokenResponse
	switch form.Get("grant_type") {
	case "authorization_code":
		res, e = s.redeemCode(form)
	case "refresh_token":
		res, e = s.refreshGrant(form)
	case "client_credentials":
		res, e = s.clientCredentials(form, confidential)
	case "":
		e = errOAuth("invalid_request")
	default:
		e = errOAuth("unsupported_grant_type")
	}
	if e != nil {
		writeOAuthError(w, e)
		return
	}
	writeOAuthJSON(w, http.StatusOK, res)
}

// redeemCode answers the authorization code grant. The code is consumed
// by any attempt to redeem it, right or wrong. It fails with
// invalid_request without code or redirect_uri; with invalid_grant for a
// code that is unknown, used, or expired, and for a code_verifier that is
// missing or wrong when the authorization request had a code_challenge;
// and with unauthorized_client for a redirect_uri other than the
// authorization request's, as Cognito answers that.
func (s *Server) redeemCode(form url.Values) (*tokenResponse, *oauthError) {
	code, redirectURI := form.Get("code"), form.Get("redirect_uri")
	if code == "" || redirectURI == "" {
		return nil, errOAuth("invalid_request")
	}
	now := s.now()
	s.mu.Lock()
	c, _ := s.codes.take(code, now)
	s.mu.Unlock()
	if c == nil {
		return nil, errOAuth("invalid_grant")
	}
	if redirectURI != c.req.redirectURI {
		return nil, errOAuth("unauthorized_client")
	}
	if c.req.challenge != "" && !pkceVerified(form.Get("code_verifier"), c.req.challenge) {
		return nil, errOAuth("invalid_grant")
	}
	s.mu.Lock()
	u := c.user
	id := u.identity()
	g := &refreshGrant{
		username:   u.username,
		clientID:   s.clientID,
		authTime:   c.authTime,
		originJTI:  newUUID(),
		eventID:    newUUID(),
		generation: u.generation,
		signOuts:   u.signOuts,
		scopes:     c.req.scopes,
	}
	s.mu.Unlock()
	res, e := s.mint(id, g, c.req.nonce, now)
	if e != nil {
		return nil, &oauthError{status: http.StatusInternalServerError, code: "server_error"}
	}
	refresh := newRefreshToken()
	s.mu.Lock()
	s.refreshTokens[refresh] = &refreshToken{grant: g}
	s.origins[g.originJTI] = g
	s.mu.Unlock()
	return s.tokenResponse(res, refresh), nil
}

// pkceVerified reports whether verifier is a code_verifier whose S256
// transformation is challenge (RFC 7636 4.6), comparing in constant time.
func pkceVerified(verifier, challenge string) bool {
	if !pkceVerifierPattern.MatchString(verifier) {
		return false
	}
	sum := sha256.Sum256([]byte(verifier))
	got := base64.RawURLEncoding.EncodeToString(sum[:])
	return subtle.ConstantTimeCompare([]byte(got), []byte(challenge)) == 1
}

// refreshGrant answers the refresh token grant: new access and ID tokens
// for the same sign-in, with the scopes it was granted, and, with
// rotation on (WithRefreshTokenRotation), a new refresh token. Refresh
// tokens of sign-ins through the API work too, unless they are bound to
// a device: the token endpoint has no DEVICE_KEY, so these fail, as
// Cognito's documentation warns. Every refusal is invalid_grant.
func (s *Server) refreshGrant(form url.Values) (*tokenResponse, *oauthError) {
	token := form.Get("refresh_token")
	if token == "" {
		return nil, errOAuth("invalid_request")
	}
	now := s.now()
	id, g, rt, e := s.redeem(token, "", now)
	if e != nil {
		return nil, errOAuth("invalid_grant")
	}
	rotated := ""
	if s.cfg.rotation {
		if rotated, e = s.rotate(rt, now); e != nil {
			return nil, errOAuth("invalid_grant")
		}
	}
	res, e := s.mint(id, g, "", now)
	if e != nil {
		return nil, &oauthError{status: http.StatusInternalServerError, code: "server_error"}
	}
	return s.tokenResponse(res, rotated), nil
}

// tokenResponse turns the tokens of mint into the token endpoint's
// answer, with refresh when it is not empty. expires_in is always there,
// whatever WithoutExpiresIn says of the API.
func (s *Server) tokenResponse(res *authResult, refresh string) *tokenResponse {
	return &tokenResponse{
		AccessToken:  res.AccessToken,
		IDToken:      res.IDToken,
		RefreshToken: refresh,
		TokenType:    "Bearer",
		ExpiresIn:    int64(s.cfg.lifetime / time.Second),
	}
}

// clientCredentialsClaims are the claims of an access token of the client
// credentials grant, as Cognito's: the subject is the app client.
type clientCredentialsClaims struct {
	Sub      string `json:"sub"`
	TokenUse string `json:"token_use"`
	Scope    string `json:"scope"`
	AuthTime int64  `json:"auth_time"`
	Iss      string `json:"iss"`
	Exp      int64  `json:"exp"`
	Iat      int64  `json:"iat"`
	Version  int    `json:"version"`
	JTI      string `json:"jti"`
	ClientID string `json:"client_id"`
}

// clientCredentials answers the client credentials grant: an access token
// whose scope claim lists the scopes asked for, all of them resource-server
// scopes, or, when none are asked for, every resource-server scope, as
// Cognito does. There is no ID token and no refresh token. It fails with
// invalid_client for a public client, which cannot authenticate;
// unauthorized_client on a pool without resource servers, where the grant
// cannot be enabled; and invalid_scope for any other scope.
func (s *Server) clientCredentials(form url.Values, confidential bool) (*tokenResponse, *oauthError) {
	if !confidential {
		return nil, errOAuth("invalid_client")
	}
	allowed := s.cfg.customScopes()
	if len(allowed) == 0 {
		return nil, errOAuth("unauthorized_client")
	}
	scopes, ok := parseScopes(form.Get("scope"), allowed)
	if !ok {
		return nil, errOAuth("invalid_scope")
	}
	if len(scopes) == 0 {
		scopes = allowed
	}
	now := s.now()
	lifetime := int64(s.cfg.lifetime / time.Second)
	token, err := s.signJWT(clientCredentialsClaims{
		Sub:      s.clientID,
		TokenUse: "access",
		Scope:    strings.Join(scopes, " "),
		AuthTime: now.Unix(),
		Iss:      s.issuer,
		Exp:      now.Unix() + lifetime,
		Iat:      now.Unix(),
		Version:  2,
		JTI:      newUUID(),
		ClientID: s.clientID,
	})
	if err != nil {
		return nil, &oauthError{status: http.StatusInternalServerError, code: "server_error"}
	}
	return &tokenResponse{AccessToken: token, TokenType: "Bearer", ExpiresIn: lifetime}, nil
}

// scopeAttributes are the user attributes that each of the scopes
// profile, email and phone lets /oauth2/userInfo return.
var scopeAttributes = map[string][]string{
	scopeProfile: {"name", "family_name", "given_name", "middle_name", "nickname", "preferred_username", "profile",
		"picture", "website", "gender", "birthdate", "zoneinfo", "locale", "updated_at"},
	scopeEmail: {"email", "email_verified"},
	scopePhone: {"phone_number", "phone_number_verified"},
}

// serveUserInfo answers GET or POST /oauth2/userInfo with the attributes
// of the user whose access token the Authorization header carries as a
// Bearer token. The token must be one of the token endpoint's with the
// openid scope: tokens of the API have none. With openid alone (and
// aws.cognito.signin.user.admin or resource-server scopes) every
// attribute comes back; with profile, email or phone, sub and the
// attributes of those scopes, custom attributes with profile. username
// is always there. Values are strings ("email_verified": "true"), as
// Cognito sends them. Without a Bearer token the answer is 400
// invalid_request; with a token that fails any check, 401 invalid_token;
// both with a WWW-Authenticate header saying so.
func (s *Server) serveUserInfo(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		methodNotAllowed(w, http.MethodGet+", "+http.MethodPost)
		return
	}
	scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "Bearer") || token == "" {
		bearerError(w, http.StatusBadRequest, "invalid_request", "Bad OAuth2 request at UserInfo Endpoint")
		return
	}
	u, _, c, e := s.checkAccessToken(token, s.now())
	if e != nil || !slices.Contains(strings.Fields(c.Scope), scopeOpenID) {
		bearerError(w, http.StatusUnauthorized, "invalid_token", "Access token is expired, disabled, or deleted, or the user has globally signed out.")
		return
	}
	scopes := strings.Fields(c.Scope)
	s.mu.Lock()
	attrs := make(map[string]string, len(u.attrs)+1)
	for k, v := range u.attrs {
		attrs[k] = v
	}
	s.mu.Unlock()
	limited := slices.ContainsFunc(scopes, func(sc string) bool { return scopeAttributes[sc] != nil })
	out := map[string]string{}
	for k, v := range attrs {
		keep := !limited || k == "sub"
		for _, sc := range scopes {
			keep = keep || slices.Contains(scopeAttributes[sc], k) || sc == scopeProfile && strings.HasPrefix(k, "custom:")
		}
		if keep {
			out[k] = v
		}
	}
	out["username"] = u.username
	writeOAuthJSON(w, http.StatusOK, out)
}

// bearerError answers a request to /oauth2/userInfo that failed with code,
// in the body and in the WWW-Authenticate header (RFC 6750 3).
func bearerError(w http.ResponseWriter, status int, code, description string) {
	w.Header().Set("WWW-Authenticate", `Bearer error="`+code+`", error_description="`+description+`"`)
	writeOAuthJSON(w, status, struct {
		Error            string `json:"error"`
		ErrorDescription string `json:"error_description"`
	}{code, description})
}

// serveRevoke answers POST /oauth2/revoke, as Cognito's revocation
// endpoint: the refresh token's sign-in ends, the access tokens issued
// with it included (as RevokeToken does). A token the pool does not know
// is not an error (200, empty body); an access or ID token is 400
// unsupported_token_type, a missing token 400 invalid_request, and a
// failed client authentication 401 invalid_client.
func (s *Server) serveRevoke(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		methodNotAllowed(w, http.MethodPost)
		return
	}
	form, e := readOAuthForm(w, r)
	if e == nil {
		if _, e = s.authenticateClient(r, form); e != nil && e.code == "invalid_client" {
			e.status = http.StatusUnauthorized
		}
	}
	token := form.Get("token")
	switch {
	case e != nil:
	case token == "":
		e = errOAuth("invalid_request")
	case strings.Count(token, ".") == 2:
		e = errOAuth("unsupported_token_type")
	}
	if e != nil {
		writeOAuthError(w, e)
		return
	}
	s.revokeRefreshToken(token, s.clientID)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
}

// serveLogout answers GET /logout, as Cognito's: the managed-login session
// of the browser ends (its cookie is cleared), and the browser goes to
// logout_uri, which must be one of the app client's sign-out URLs
// (WithSignOutURL), or, given redirect_uri and the other parameters of
// /oauth2/authorize instead, to the login page to sign in again. A
// foreign client_id or an unregistered logout_uri gets an error page.
func (s *Server) serveLogout(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		methodNotAllowed(w, http.MethodGet)
		return
	}
	q := r.URL.Query()
	if id := q.Get("client_id"); id == "" || id != s.clientID {
		renderError(w, http.StatusBadRequest, "The client_id is missing or is not an app client of this user pool.")
		return
	}
	switch logoutURI := q.Get("logout_uri"); {
	case logoutURI != "":
		if !slices.Contains(s.cfg.signOutURLs, logoutURI) {
			renderError(w, http.StatusBadRequest, "The logout_uri is not a sign-out URL of the app client.")
			return
		}
		s.endLoginSession(w, r)
		http.Redirect(w, r, logoutURI, http.StatusFound)
	case q.Has("redirect_uri"):
		req, e := s.parseAuthRequest(q)
		if e != nil {
			s.refuseAuthRequest(w, r, req, e)
			return
		}
		s.endLoginSession(w, r)
		http.Redirect(w, r, pathLogin+"?"+r.URL.RawQuery, http.StatusFound)
	default:
		renderError(w, http.StatusBadRequest, "The request has neither a logout_uri nor a redirect_uri.")
	}
}

// methodNotAllowed answers a request with a method the endpoint does not
// take.
func methodNotAllowed(w http.ResponseWriter, allow string) {
	w.Header().Set("Allow", allow)
	http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
}
