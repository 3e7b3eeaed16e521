package cognitotest

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/seed-e8acf5fd/cognito/internal/srp"
)

const (
	// region is the AWS region the pool pretends to live in.
	region = "us-east-1"
	// targetPrefix starts every X-Amz-Target header of the user-pool API.
	targetPrefix = "AWSCognitoIdentityProviderService."
	// maxBodyBytes bounds a request body; real requests are a few KiB.
	maxBodyBytes = 64 << 10
	// jsonContentType is the media type of AWS JSON 1.1 bodies.
	jsonContentType = "application/x-amz-json-1.1"
	// defaultLifetime is the lifetime of access and ID tokens.
	defaultLifetime = time.Hour
)

// config holds what the options set.
type config struct {
	lifetime      time.Duration
	secret        string
	now           func() time.Time
	omitExpiresIn bool
	// salt, when set, replaces the random 16-byte salt of AddUser; the
	// package's own tests use it to force salts with awkward first bytes.
	salt func() []byte
	// checked, when set, is called at every password check, with
	// "password" (USER_PASSWORD_AUTH) or "srp" (a PASSWORD_VERIFIER
	// answer); the package's own tests count the checks with it.
	checked func(kind string)
	// maxSessions caps the pending sessions of each kind, PASSWORD_VERIFIER
	// and later challenges (defaultMaxSessions); the package's own tests
	// lower it.
	maxSessions int
	// sessionLifetime is how long the Session of a challenge after
	// PASSWORD_VERIFIER can be answered (WithSessionLifetime).
	sessionLifetime time.Duration
	// mfaRequired is set by WithMFARequired.
	mfaRequired bool
	// custom is set by WithCustomAuth; nil means CUSTOM_AUTH is refused.
	custom *CustomAuth
	// devices is set by WithDeviceTracking; nil means device tracking is
	// off.
	devices *DeviceConfig
	// rotation and grace are set by WithRefreshTokenRotation.
	rotation bool
	grace    time.Duration
	// The app client's callback and sign-out URLs (WithCallbackURL,
	// WithSignOutURL) and the pool's resource servers
	// (WithResourceServer).
	callbackURLs    []string
	signOutURLs     []string
	resourceServers []resourceServer
}

// Option configures a [Server] made by [NewServer].
type Option func(*config)

// WithTokenLifetime sets the lifetime of access and ID tokens (default one
// hour). The exp claim and ExpiresIn count whole seconds, so d is rounded
// up to a whole number of seconds (at least one). A d that is not positive
// panics.
func WithTokenLifetime(d time.Duration) Option {
	if d <= 0 {
		panicf("token lifetime %v is not positive", d)
	}
	d = (d + time.Second - 1).Truncate(time.Second)
	return func(c *config) { c.lifetime = d }
}

// WithClientSecret gives the app client a secret: every InitiateAuth and
// RespondToAuthChallenge call must then carry a SECRET_HASH, and RevokeToken
// a ClientSecret. The secret is published in [Server.ClientSecret]. An empty
// secret panics.
func WithClientSecret(secret string) Option {
	if secret == "" {
		panicf("empty client secret")
	}
	return func(c *config) { c.secret = secret }
}

// WithClock replaces the server's clock (time.Now by default). It decides
// the iat, exp and auth_time claims, the window in which an SRP TIMESTAMP is
// accepted, when an SRP session expires, and the HTTP Date header of every
// response (which clients use to detect clock skew). A nil clock panics.
func WithClock(now func() time.Time) Option {
	if now == nil {
		panicf("nil clock")
	}
	return func(c *config) { c.now = now }
}

// WithSessionLifetime sets how long the Session of a challenge can be
// answered, like an app client's AuthSessionValidity: from 3 minutes (the
// default, as in Cognito) to 15. It applies to the challenges after the
// password (MFA, NEW_PASSWORD_REQUIRED, MFA_SETUP, CUSTOM_CHALLENGE), not
// to PASSWORD_VERIFIER, whose SECRET_BLOCK always lives three minutes. SMS
// and email codes expire three minutes after they are sent whatever the
// session lifetime, so with a longer one an answer can meet
// ExpiredCodeException. A d outside [3m, 15m] panics.
func WithSessionLifetime(d time.Duration) Option {
	if d < defaultSessionLifetime || d > maxSessionLifetime {
		panicf("session lifetime %v is not between %v and %v", d, defaultSessionLifetime, maxSessionLifetime)
	}
	return func(c *config) { c.sessionLifetime = d }
}

// WithoutExpiresIn leaves ExpiresIn out of every AuthenticationResult, as the
// cognito-local emulator does, so that clients must read the JWT's exp claim.
func WithoutExpiresIn() Option {
	return func(c *config) { c.omitExpiresIn = true }
}

// Server is an in-process Amazon Cognito user pool with a single app client,
// listening on a loopback address. Create it with [NewServer] and stop it
// with [Server.Close]. All its methods are safe for concurrent use.
//
// The exported fields describe the server for its users, like
// httptest.Server.URL: the server keeps its own copies, so changing a field
// changes neither what it serves nor what its methods do.
type Server struct {
	// URL is the endpoint, http://127.0.0.1:port, without a trailing slash.
	URL string
	// UserPoolID is the pool's ID, "us-east-1_" followed by random letters
	// and digits.
	UserPoolID string
	// ClientID is the app client's ID: 26 random lowercase letters and digits.
	ClientID string
	// ClientSecret is the app client's secret, empty unless the server was
	// made with [WithClientSecret].
	ClientSecret string
	// Issuer is the iss claim of every token, URL + "/" + UserPoolID; the
	// OpenID discovery document and the JWKS are served beneath it.
	Issuer string
	// Domain is the base URL of the pool's OAuth 2.0 endpoints, its
	// managed-login domain: /oauth2/authorize, /oauth2/token,
	// /oauth2/userInfo, /oauth2/revoke, /login and /logout. It is the
	// same as URL; use it with cognito.Endpoint(s.Domain), as with a
	// pool's domain on AWS.
	Domain string

	// The private copies of the exported fields, the only ones the
	// server reads. clientSecret is empty when the client has none.
	url, userPoolID, clientID, clientSecret, issuer, domain string

	cfg      config
	poolName string // UserPoolID after "_"
	ts       *httptest.Server
	key      *rsa.PrivateKey
	kid      string
	// fakeKey keys the simulated salts and verifiers of unknown users.
	fakeKey   []byte
	closed    chan struct{}
	closeOnce sync.Once

	mu            sync.Mutex
	users         map[string]*user                // by Cognito username
	aliases       map[string]string               // sign-in alias → Cognito username
	sessions      sessionStore[*srpSession]       // pending PASSWORD_VERIFIER sessions
	challenges    sessionStore[*challengeSession] // pending later challenges, by Session
	refreshTokens map[string]*refreshToken        // by the token itself
	origins       map[string]*refreshGrant        // sign-ins by origin_jti
	devices       deviceStore
	codes         sessionStore[*authCode]     // authorization codes
	flows         sessionStore[*loginFlow]    // login pages being answered
	logins        sessionStore[*loginSession] // managed-login sessions, by cookie
	calls         map[string]int
	faults        map[string]fault
	delays        map[string]time.Duration
}

// user is one confirmed user of the pool. Only the SRP verifier is kept,
// never the password. Its fields other than username and sub are read and
// written with the Server's mu held.
type user struct {
	username string
	sub      string
	// salt and verifier are replaced, never modified, when the password
	// changes (NEW_PASSWORD_REQUIRED).
	salt     []byte
	verifier *big.Int
	// attrs are the user attributes: sub, email and email_verified (the
	// first alias with an "@"), and those set at NEW_PASSWORD_REQUIRED.
	attrs     map[string]string
	challenge string // set by RequireChallenge
	// newPassword is set by RequireNewPassword, with the attributes the
	// NEW_PASSWORD_REQUIRED answer must give in requiredAttrs.
	newPassword   bool
	requiredAttrs []string
	// The MFA factors (mfa.go): an authenticator app's secret and the
	// name its owner gave it, the phone number of SMS_MFA, the address of
	// EMAIL_OTP, the preferred factor, and the last code sent.
	totp, totpName     string
	smsPhone, otpEmail string
	preferred          string
	lastCode           string
	// totpPending is the secret of an AssociateSoftwareToken made with an
	// access token, until VerifySoftwareToken accepts a code of it.
	totpPending string
	// totpUsed is the last TOTP time step accepted for the secret
	// totpUsedSecret: no code of that step or an earlier one is accepted
	// again for it.
	totpUsed       int64
	totpUsedSecret string
	// generation counts RevokeRefreshTokens and GlobalSignOut calls: a
	// refresh token is valid only while the generation it was issued in is
	// current.
	generation int
	// signOuts counts GlobalSignOut calls: an access token is valid only
	// while the count it was issued at is current.
	signOuts int
}

// identity returns what the tokens say about u. It must be called with
// the Server's mu held.
func (u *user) identity() identity {
	return identity{username: u.username, sub: u.sub, email: u.attrs["email"]}
}

// NewServer starts a user pool on a random loopback port. Close it when done,
// typically with t.Cleanup(s.Close).
func NewServer(opts ...Option) *Server {
	cfg := config{lifetime: defaultLifetime, now: time.Now, maxSessions: defaultMaxSessions, sessionLifetime: defaultSessionLifetime}
	for _, o := range opts {
		if o == nil {
			panicf("NewServer: nil Option")
		}
		o(&cfg)
	}
	s := &Server{
		userPoolID:    region + "_" + randomString(9, alnum),
		clientID:      randomString(26, lowerAlnum),
		clientSecret:  cfg.secret,
		cfg:           cfg,
		key:           signingKey(),
		kid:           base64.RawURLEncoding.EncodeToString(randomBytes(24)),
		fakeKey:       randomBytes(32),
		closed:        make(chan struct{}),
		users:         make(map[string]*user),
		aliases:       make(map[string]string),
		sessions:      newSessionStore[*srpSession](cfg.maxSessions),
		challenges:    newSessionStore[*challengeSession](cfg.maxSessions),
		refreshTokens: make(map[string]*refreshToken),
		origins:       make(map[string]*refreshGrant),
		devices:       newDeviceStore(cfg.maxSessions),
		codes:         newSessionStore[*authCode](cfg.maxSessions),
		flows:         newSessionStore[*loginFlow](cfg.maxSessions),
		logins:        newSessionStore[*loginSession](cfg.maxSessions),
		calls:         make(map[string]int),
		faults:        make(map[string]fault),
		delays:        make(map[string]time.Duration),
	}
	s.poolName = s.userPoolID[strings.IndexByte(s.userPoolID, '_')+1:]
	// Every field the handler reads is set before the server starts
	// serving; the URL is known from the listener already.
	s.ts = httptest.NewUnstartedServer(http.HandlerFunc(s.serveHTTP))
	s.url = "http://" + s.ts.Listener.Addr().String()
	s.issuer = s.url + "/" + s.userPoolID
	s.domain = s.url
	s.ts.Start()
	if s.ts.URL != s.url {
		panicf("NewServer: listening on %s, not %s", s.ts.URL, s.url)
	}
	s.URL, s.UserPoolID, s.ClientID, s.ClientSecret, s.Issuer, s.Domain = s.url, s.userPoolID, s.clientID, s.clientSecret, s.issuer, s.domain
	return s
}

// Close shuts the server down. Calls waiting in a [Server.Delay] are
// released first, so Close does not hang on them. Close may be called more
// than once.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		close(s.closed)
		s.ts.Close()
	})
}

// Client returns an SDK client aimed at the server: region us-east-1,
// BaseEndpoint the server's URL (as NewServer set [Server.URL]), no
// credentials (the user-pool sign-in calls need none) and retries turned off with [aws.NopRetryer], so that every fault
// injected with [Server.FailNext] reaches the caller as it was sent.
func (s *Server) Client() *cognitoidentityprovider.Client {
	return cognitoidentityprovider.New(cognitoidentityprovider.Options{
		Region:       region,
		BaseEndpoint: aws.String(s.url),
		Retryer:      aws.NopRetryer{},
		HTTPClient:   s.ts.Client(),
	})
}

// AddUser adds a confirmed user. username is the Cognito username: the
// USER_ID_FOR_SRP of SRP sign-ins and the username claim of access tokens.
// Only an SRP verifier of the password is stored. AddUser panics for an
// empty name or password, and for a name already taken by a user or an alias.
func (s *Server) AddUser(username, password string) {
	if username == "" {
		panicf("AddUser: empty username")
	}
	if password == "" {
		panicf("AddUser: empty password for %q", username)
	}
	salt := s.newSalt()
	sub := newUUID()
	u := &user{
		username: username,
		sub:      sub,
		salt:     salt,
		verifier: srp.Verifier(new(big.Int).SetBytes(salt), s.poolName, username, password),
		attrs:    map[string]string{"sub": sub},
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.users[nameKey(username)]; ok {
		panicf("AddUser: duplicate user %q", username)
	}
	if _, ok := s.aliases[nameKey(username)]; ok {
		panicf("AddUser: %q is already an alias", username)
	}
	s.users[nameKey(username)] = u
}

// newSalt draws the salt of a new password: 16 random bytes, or what the
// package's tests set in config.salt.
func (s *Server) newSalt() []byte {
	if s.cfg.salt != nil {
		return s.cfg.salt()
	}
	return randomBytes(16)
}

// AddAlias lets an existing user sign in with alias (an email address or a
// phone number) as well: InitiateAuth accepts it as USERNAME, while
// USER_ID_FOR_SRP and the token claims keep the Cognito username. The first
// alias containing "@" becomes the user's email and email_verified claims in
// ID tokens. AddAlias panics for an unknown user or an alias already taken by
// a user or another alias.
func (s *Server) AddAlias(username, alias string) {
	if alias == "" {
		panicf("AddAlias: empty alias")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[nameKey(username)]
	if !ok {
		panicf("AddAlias: unknown user %q", username)
	}
	if _, ok := s.users[nameKey(alias)]; ok {
		panicf("AddAlias: alias %q is taken by a user", alias)
	}
	if _, ok := s.aliases[nameKey(alias)]; ok {
		panicf("AddAlias: alias %q is taken", alias)
	}
	s.aliases[nameKey(alias)] = username
	if u.attrs["email"] == "" && strings.Contains(alias, "@") {
		u.attrs["email"], u.attrs["email_verified"] = alias, "true"
	}
}

// challengeNamePattern is the shape of Cognito challenge names.
var challengeNamePattern = regexp.MustCompile(`^[A-Z][A-Z_]{0,63}$`)

// RequireChallenge makes every later sign-in of username stop, once the
// password has been verified (SRP or password flow), at challengeName
// ("NEW_PASSWORD_REQUIRED", "SOFTWARE_TOKEN_MFA", "DEVICE_SRP_AUTH", ...)
// with a Session instead of tokens, for testing how a client handles a
// challenge it cannot answer. The challenge cannot be answered:
// RespondToAuthChallenge with its Session fails with
// InvalidParameterException. It comes before any challenge the user would
// otherwise get; to have challenges that can be answered, use
// [Server.RequireNewPassword], [Server.SetTOTP], [Server.SetSMSMFA],
// [Server.SetEmailMFA], [WithMFARequired] or [WithCustomAuth] instead. An
// empty challengeName removes the requirement. RequireChallenge panics for
// an unknown user, for PASSWORD_VERIFIER and for a name that is not in
// upper snake case.
func (s *Server) RequireChallenge(username, challengeName string) {
	if challengeName != "" && (!challengeNamePattern.MatchString(challengeName) || challengeName == "PASSWORD_VERIFIER") {
		panicf("RequireChallenge: invalid challenge name %q", challengeName)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mustUser("RequireChallenge", username).challenge = challengeName
}

// RevokeRefreshTokens revokes every refresh token issued so far to username:
// a later REFRESH_TOKEN_AUTH with any of them fails with
// NotAuthorizedException "Refresh Token has been revoked". Tokens issued
// afterwards work. It panics for an unknown user.
func (s *Server) RevokeRefreshTokens(username string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mustUser("RevokeRefreshTokens", username).generation++
}

// mustUser returns the user whose Cognito username is username, in any
// letter case, or panics naming method. It must be called with s.mu held.
func (s *Server) mustUser(method, username string) *user {
	u, ok := s.users[nameKey(username)]
	if !ok {
		panicf("%s: unknown user %q", method, username)
	}
	return u
}

// nameKey is the map key of a username or alias: like a Cognito pool made
// today (usernames not case sensitive), "Alice@Example.com" and
// "alice@example.com" name the same user, while tokens and USER_ID_FOR_SRP
// keep the username as it was added.
func nameKey(name string) string { return strings.ToLower(name) }

// lookupUser finds a user by Cognito username or alias, in any letter
// case. It must be called with s.mu held.
func (s *Server) lookupUser(name string) *user {
	if u, ok := s.users[nameKey(name)]; ok {
		return u
	}
	if username, ok := s.aliases[nameKey(name)]; ok {
		return s.users[nameKey(username)]
	}
	return nil
}

func (s *Server) now() time.Time { return s.cfg.now() }

// serveHTTP routes the API (POST /), the two OpenID documents, and the
// endpoints of the pool's domain.
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	// The Date header follows the server's clock, as a real server's would:
	// clients (the AWS SDK, this module's token source) read it to correct
	// for clock skew, so with WithClock they see the skew they must handle.
	w.Header().Set("Date", s.now().UTC().Format(http.TimeFormat))
	if slices.Contains(endpointPaths, r.URL.Path) {
		s.count(r.URL.Path)
	}
	// The pages a browser visits: no CORS, they are not for scripts.
	switch r.URL.Path {
	case pathAuthorize:
		s.serveAuthorize(w, r)
		return
	case pathLogin:
		s.serveLogin(w, r)
		return
	case pathLogout:
		s.serveLogout(w, r)
		return
	}
	// CORS, so that browser clients (Amplify, amazon-cognito-identity-js in
	// a page) can use the pool in demos, as they can use Cognito.
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Access-Control-Expose-Headers", "x-amzn-ErrorType, x-amzn-RequestId, Date, WWW-Authenticate")
	if r.Method == http.MethodOptions {
		h.Set("Access-Control-Allow-Methods", "POST, GET")
		h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, X-Amz-Target, X-Amz-User-Agent, Cache-Control, Amz-Sdk-Request, Amz-Sdk-Invocation-Id")
		h.Set("Access-Control-Max-Age", "600")
		w.WriteHeader(http.StatusNoContent)
		return
	}
	wellKnown := "/" + s.userPoolID + "/.well-known/"
	switch {
	case r.URL.Path == "/":
		if r.Method != http.MethodPost {
			methodNotAllowed(w, http.MethodPost)
			return
		}
		s.serveAPI(w, r)
	case r.URL.Path == pathToken:
		s.serveToken(w, r)
	case r.URL.Path == pathUserInfo:
		s.serveUserInfo(w, r)
	case r.URL.Path == pathRevoke:
		s.serveRevoke(w, r)
	case r.Method == http.MethodGet && r.URL.Path == wellKnown+"jwks.json":
		s.serveJWKS(w)
	case r.Method == http.MethodGet && r.URL.Path == wellKnown+"openid-configuration":
		s.serveDiscovery(w)
	default:
		http.NotFound(w, r)
	}
}

// opFunc answers one API call: it decodes body and returns the response
// document or a wire error.
type opFunc func(s *Server, body []byte) (any, *apiError)

// operations are the API calls the server implements.
var operations = map[string]opFunc{
	"InitiateAuth":              clientOp((*Server).initiateAuth),
	"RespondToAuthChallenge":    clientOp((*Server).respondToAuthChallenge),
	"RevokeToken":               clientOp((*Server).revokeToken),
	"GetTokensFromRefreshToken": clientOp((*Server).getTokensFromRefreshToken),
	// These name no app client: they take a Session or an access token.
	"AssociateSoftwareToken": plainOp((*Server).associateSoftwareToken),
	"VerifySoftwareToken":    plainOp((*Server).verifySoftwareToken),
	"ConfirmDevice":          plainOp((*Server).confirmDevice),
	"UpdateDeviceStatus":     plainOp((*Server).updateDeviceStatus),
	"ForgetDevice":           plainOp((*Server).forgetDevice),
	"ListDevices":            plainOp((*Server).listDevices),
	"GlobalSignOut":          plainOp((*Server).globalSignOut),
}

// appClient is the ClientId field that the input of every operation
// carries; the input types embed it.
type appClient struct {
	ClientID string `json:"ClientId"`
}

func (c *appClient) clientID() string { return c.ClientID }

// clientInput is an operation's input, which names the app client.
type clientInput interface{ clientID() string }

// clientOp turns f into an opFunc that runs the prologue every operation
// shares before calling f: it decodes the body into a new In and checks
// the app client ID.
func clientOp[In any, PIn interface {
	*In
	clientInput
}](f func(*Server, PIn) (any, *apiError)) opFunc {
	return func(s *Server, body []byte) (any, *apiError) {
		in := PIn(new(In))
		if e := decodeInput(body, in); e != nil {
			return nil, e
		}
		if e := s.checkClient(in.clientID()); e != nil {
			return nil, e
		}
		return f(s, in)
	}
}

// plainOp turns f into an opFunc that decodes the body into a new In and
// calls f, for the operations whose input names no app client.
func plainOp[In any](f func(*Server, *In) (any, *apiError)) opFunc {
	return func(s *Server, body []byte) (any, *apiError) {
		in := new(In)
		if e := decodeInput(body, in); e != nil {
			return nil, e
		}
		return f(s, in)
	}
}

// serveAPI answers one AWS JSON 1.1 call.
func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	name, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), targetPrefix)
	if !ok || !isOperationName(name) {
		writeError(w, &apiError{status: http.StatusBadRequest, typ: "UnknownOperationException", msg: "missing or malformed X-Amz-Target header"})
		return
	}
	s.count(name)
	// Read the whole body before any delay: only then does net/http watch
	// the connection and cancel the request's context when the client leaves.
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, &apiError{status: http.StatusRequestEntityTooLarge, typ: "SerializationException", msg: fmt.Sprintf("request body exceeds %d bytes", maxBodyBytes)})
			return
		}
		writeError(w, &apiError{status: http.StatusBadRequest, typ: "SerializationException", msg: "cannot read request body"})
		return
	}
	op, ok := operations[name]
	if !ok {
		writeError(w, &apiError{status: http.StatusBadRequest, typ: "UnknownOperationException", msg: "operation " + name + " is not supported by cognitotest"})
		return
	}
	if !s.wait(r, name) {
		// The client is gone or the server is closing: drop the connection
		// rather than send an empty success. net/http recovers this panic
		// quietly.
		panic(http.ErrAbortHandler)
	}
	if e := s.takeFault(name); e != nil {
		writeError(w, e)
		return
	}
	out, e := op(s, body)
	if e != nil {
		writeError(w, e)
		return
	}
	writeJSON(w, http.StatusOK, jsonContentType, out)
}

// apiError is an error as the wire carries it: an HTTP status, the __type
// and a message. Messages never contain passwords, secrets or tokens.
type apiError struct {
	status int
	typ    string
	msg    string
}

func errNotAuthorized(msg string) *apiError {
	return &apiError{status: http.StatusBadRequest, typ: "NotAuthorizedException", msg: msg}
}

func errInvalidParameter(msg string) *apiError {
	return &apiError{status: http.StatusBadRequest, typ: "InvalidParameterException", msg: msg}
}

func errCodeMismatch() *apiError {
	return &apiError{status: http.StatusBadRequest, typ: "CodeMismatchException", msg: "Invalid code or auth state for the user."}
}

func errInternal(msg string) *apiError {
	return &apiError{status: http.StatusInternalServerError, typ: "InternalErrorException", msg: msg}
}

// writeError sends e with both the __type body field and the
// x-amzn-ErrorType header, which clients read in either order.
func writeError(w http.ResponseWriter, e *apiError) {
	w.Header().Set("X-Amzn-Errortype", e.typ)
	writeJSON(w, e.status, jsonContentType, struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}{e.typ, e.msg})
}

func writeJSON(w http.ResponseWriter, status int, contentType string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		// Only the package's own response types reach here.
		panicf("encoding response: %v", err)
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("X-Amzn-Requestid", newUUID())
	w.WriteHeader(status)
	w.Write(b) // a failed write means the client left; nothing to do
}

// decodeInput parses a request body into in; a body that is not a JSON
// object of the right shape is a SerializationException, as on AWS.
func decodeInput(body []byte, in any) *apiError {
	if err := json.Unmarshal(body, in); err != nil {
		return &apiError{status: http.StatusBadRequest, typ: "SerializationException", msg: "request body is not a valid JSON document for this operation"}
	}
	return nil
}

// checkClient reports a missing or foreign app client ID.
func (s *Server) checkClient(clientID string) *apiError {
	if clientID == "" {
		return errInvalidParameter("Missing required parameter ClientId")
	}
	if clientID != s.clientID {
		return &apiError{status: http.StatusBadRequest, typ: "ResourceNotFoundException", msg: "User pool client " + clientID + " does not exist."}
	}
	return nil
}

// isOperationName reports whether name looks like an API operation name,
// which keeps the call counters bounded to plausible keys.
func isOperationName(name string) bool {
	if name == "" || len(name) > 64 || name[0] < 'A' || name[0] > 'Z' {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

const (
	alnum      = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	lowerAlnum = "abcdefghijklmnopqrstuvwxyz0123456789"
)

// randomString draws n characters uniformly from alphabet.
func randomString(n int, alphabet string) string {
	b := make([]byte, n)
	max := big.NewInt(int64(len(alphabet)))
	for i := range b {
		k, err := rand.Int(rand.Reader, max)
		if err != nil {
			panicf("reading random bytes: %v", err)
		}
		b[i] = alphabet[k.Int64()]
	}
	return string(b)
}

// randomBytes returns n bytes from crypto/rand, which does not fail on
// supported platforms.
func randomBytes(n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panicf("reading random bytes: %v", err)
	}
	return b
}

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	b := randomBytes(16)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// panicf reports misuse of the package.
func panicf(format string, args ...any) {
	panic(fmt.Sprintf("cognitotest: "+format, args...))
}
