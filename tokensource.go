package cognito

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"golang.org/x/oauth2"

	"github.com/seed-e8acf5fd/cognito/internal/jwt"
	redaction "github.com/seed-e8acf5fd/cognito/internal/redact"
)

// Flow names the way a [Config] signs in with a password.
type Flow string

const (
	// FlowSRP signs in with the Secure Remote Password protocol
	// (USER_SRP_AUTH answered by PASSWORD_VERIFIER): the password never
	// leaves the process. It is the default; the zero Flow means it.
	FlowSRP Flow = "USER_SRP_AUTH"

	// FlowPassword sends the password to Cognito over TLS
	// (USER_PASSWORD_AUTH). The app client must allow it.
	FlowPassword Flow = "USER_PASSWORD_AUTH"

	// FlowCustom is custom authentication (CUSTOM_AUTH), driven by the
	// pool's Lambda triggers: with a Password it starts with SRP, as the
	// JavaScript SDK does (SRP_A, then PASSWORD_VERIFIER); without one it
	// starts with the user name alone. The custom challenges that follow
	// go to Config.Challenge.
	FlowCustom Flow = "CUSTOM_AUTH"
)

// API is the part of the Cognito user pools API that a token source calls.
// *cognitoidentityprovider.Client implements it; tests can supply a fake.
type API interface {
	InitiateAuth(ctx context.Context, in *cip.InitiateAuthInput, optFns ...func(*cip.Options)) (*cip.InitiateAuthOutput, error)
	RespondToAuthChallenge(ctx context.Context, in *cip.RespondToAuthChallengeInput, optFns ...func(*cip.Options)) (*cip.RespondToAuthChallengeOutput, error)
}

// DefaultEarlyExpiry is how long before its expiry a token is renewed when
// [Config.EarlyExpiry] is zero. Cognito tokens live at least five minutes.
const DefaultEarlyExpiry = 30 * time.Second

// AttemptTimeout bounds one attempt to get tokens: a renewal, or a
// sign-in with all its calls, or a refused renewal followed by a sign-in.
// A server that never answers therefore costs a caller at most this long,
// however many callers wait for the same attempt. The time a
// Config.Challenge handler takes (at most Config.ChallengeTimeout per
// call) comes on top: each network call after it gets AttemptTimeout
// afresh.
const AttemptTimeout = 30 * time.Second

// Config describes a user of a Cognito user pool app client and how to
// sign them in. Its methods hand out tokens; a Config may be reused and
// is not changed by them.
//
// Formatting a Config with the fmt or log/slog packages prints
// "[redacted]" in place of Password and ClientSecret.
type Config struct {
	// UserPoolID is the user pool's ID, such as "us-east-1_AbC123". The
	// part after "_" enters the SRP computation; the part before it is
	// the AWS region used when API is nil. Tokens whose iss claim names
	// another pool are refused.
	UserPoolID string

	// ClientID is the ID of the user pool's app client.
	ClientID string

	// ClientSecret is the app client's secret. When it is set, every
	// request carries the SECRET_HASH that Cognito then requires; empty
	// means the app client has no secret.
	ClientSecret string

	// Username is what the user signs in with: the user name or an alias
	// such as an email address or phone number.
	Username string

	// Password is the user's password. When it is empty the token source
	// cannot sign in (except with FlowCustom and a Challenge handler): it
	// can only renew a token it was given.
	Password string

	// Flow is how to sign in with the password; the zero value means
	// FlowSRP.
	Flow Flow

	// API makes the Cognito API calls. When nil, a
	// *cognitoidentityprovider.Client for the pool's region is used, with
	// no AWS credentials (these calls need none), at most 3 attempts per
	// call, responses limited to 1 MiB, and the *http.Client found in the
	// context under oauth2.HTTPClient, if any.
	API API

	// EarlyExpiry is how long before a token's expiry it is renewed. Zero
	// or negative means DefaultEarlyExpiry. For tokens living less than
	// twice EarlyExpiry, a token is renewed once half its life has passed.
	EarlyExpiry time.Duration

	// UseIDToken makes the token source send the ID token as the bearer
	// token instead of the access token, as API Gateway's Cognito user
	// pool authorizers expect. Either way, every token carries the ID
	// token in Extra("id_token") and the access token in
	// Extra("access_token").
	UseIDToken bool

	// Challenge answers the challenges a sign-in meets after the
	// password: MFA codes, MFA set-up, a new password, custom
	// challenges. When nil, such a sign-in fails with a *ChallengeError.
	// See [ChallengeHandler] and [TOTP].
	//
	// To set up an authenticator app (MFA_SETUP), API must also have the
	// AssociateSoftwareToken and VerifySoftwareToken methods, as
	// *cognitoidentityprovider.Client has.
	Challenge ChallengeHandler

	// ChallengeTimeout bounds each call of the Challenge handler; zero
	// or negative means DefaultChallengeTimeout. A person typing a code
	// needs minutes; the network calls of a sign-in are bounded by
	// AttemptTimeout apart from it.
	ChallengeTimeout time.Duration

	// Device is a device this user's sessions were remembered with
	// before (see [DeviceOf]). Sign-ins then prove it with
	// DEVICE_SRP_AUTH, which on pools that remember devices takes the
	// place of MFA, and renewals name it. A device the pool has
	// forgotten is dropped, and the sign-in made again without it.
	Device *Device

	// RememberDevice marks a device confirmed at sign-in as remembered
	// on pools that leave that to the user ("Remember my device": opt-in
	// device tracking). Pools that always remember devices need no
	// answer; pools that do not track devices ignore it.
	RememberDevice bool

	// DeviceName is the name under which a new device is registered; ""
	// means the host's name.
	DeviceName string

	// Store, when set, keeps the session between runs: a TokenSource
	// given no token starts from the stored session, and every new
	// token, rotated refresh token and new device is saved before Token
	// returns it. A Store that is also a [Locker], such as [FileStore],
	// may be shared by several processes: they renew once per expiry.
	// When the Store holds a session, it wins over a token passed to
	// TokenSource from the first renewal on. A Store that cannot be read
	// fails the attempt (and is tried again after the short back-off);
	// one holding something that is not a session is overwritten.
	Store Store

	// Logger receives what fails without failing a call: a Save or Load
	// of the Store (a failed Save is made again at the next change), a
	// device that could not be confirmed. Nil means slog.Default().
	Logger *slog.Logger
}

// TokenSource returns a token source that signs in at first use (when t
// is nil) or starts from a token saved earlier (a zero t.Expiry is read
// from the access token's exp claim, or taken as expired), and renews
// with the refresh token shortly before each token expires. Tokens are
// cached: Token on a valid token costs no more than
// oauth2.ReuseTokenSource. It is safe for concurrent use; what happens
// when renewals fail is described in the package documentation
// (Concurrency and failures).
//
// ctx bounds every network call the source makes, now and later, and may
// carry an *http.Client under oauth2.HTTPClient for the default Cognito
// client. Once ctx is cancelled or past its deadline, Token still returns
// the cached token while it is valid, but every call that would need the
// network fails with an error wrapping ctx.Err(); the source keeps its
// refresh token, so pass its last token to a new TokenSource with a live
// context to carry on. Use a long-lived context (not a request's).
//
// Configuration errors (a malformed UserPoolID, an empty ClientID) are
// returned by the first Token call.
func (c *Config) TokenSource(ctx context.Context, t *oauth2.Token) oauth2.TokenSource {
	return newCache(newSource(ctx, c, t), t, c.earlyExpiry()).reuseSource()
}

// Client returns an HTTP client that sends a valid bearer token with each
// request, like [oauth2.NewClient] with [Config.TokenSource], except that
// a request waiting for a token gives up when its own context ends (or
// the client's Timeout passes): a slow Cognito delays no request longer
// than the request allows. ctx and t are as for TokenSource; the
// *http.Client found in ctx under oauth2.HTTPClient, if any, also
// provides the transport that carries the requests.
func (c *Config) Client(ctx context.Context, t *oauth2.Token) *http.Client {
	if ctx == nil {
		ctx = context.Background()
	}
	base := http.DefaultTransport
	if hc := contextClient(ctx); hc != nil && hc.Transport != nil {
		base = hc.Transport
	}
	return &http.Client{Transport: &transport{
		tokens: newCache(newSource(ctx, c, t), t, c.earlyExpiry()),
		base:   base,
	}}
}

// Token signs in once and returns the tokens, with no caching, no
// renewal and no back-off: every call sends the password. With a Store,
// the new session is saved to it. Use
// [Config.TokenSource] to keep a program supplied with valid tokens.
func (c *Config) Token(ctx context.Context) (*oauth2.Token, error) {
	s := newSource(ctx, c, nil)
	if s.err != nil {
		return nil, s.err
	}
	if !s.canSignIn() {
		return nil, fmt.Errorf("%w: %s", ErrSignInRequired, s.cannotSignIn())
	}
	ctx, cancel := context.WithTimeout(s.ctx, s.timeout)
	defer cancel()
	if s.conf.Store != nil && s.device == nil {
		// The stored session's device spares the sign-in its MFA.
		if ses, err := s.conf.Store.Load(ctx); err == nil && ses != nil && ses.Device != nil && s.checkSession(ses) == nil {
			d := *ses.Device
			s.device = &d
		}
	}
	t, err := s.signIn(ctx)
	if err != nil {
		return nil, s.redact(err)
	}
	if s.conf.Store != nil {
		s.save(ctx, t.tok)
	}
	return t.tok, nil
}

// IDToken returns the ID token carried by a token from this package, or
// "" when t carries none (t may be nil).
func IDToken(t *oauth2.Token) string {
	if t == nil {
		return ""
	}
	id, _ := t.Extra("id_token").(string)
	return id
}

// String describes c with its Password and ClientSecret redacted.
func (c Config) String() string {
	api := "nil"
	if c.API != nil {
		api = fmt.Sprintf("%T", c.API)
	}
	return fmt.Sprintf("cognito.Config{UserPoolID: %q, ClientID: %q, ClientSecret: %s, Username: %q, Password: %s, Flow: %q, API: %s, EarlyExpiry: %s, UseIDToken: %t}",
		c.UserPoolID, c.ClientID, hidden(c.ClientSecret), c.Username, hidden(c.Password), c.Flow, api, c.EarlyExpiry, c.UseIDToken)
}

// GoString is String, so that %#v redacts too.
func (c Config) GoString() string { return c.String() }

// LogValue is how log/slog prints c: Password and ClientSecret redacted.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("user_pool_id", c.UserPoolID),
		slog.String("client_id", c.ClientID),
		slog.String("client_secret", hidden(c.ClientSecret)),
		slog.String("username", c.Username),
		slog.String("password", hidden(c.Password)),
		slog.String("flow", string(c.Flow)),
	)
}

// hidden stands in for a secret: "[redacted]", or `""` when there is none.
func hidden(secret string) string {
	if secret == "" {
		return `""`
	}
	return redaction.Mark
}

// source does the network work of a token source: each renew call is one
// attempt to get tokens. It is not safe for concurrent use; the cache in
// reuse.go runs at most one attempt at a time.
type source struct {
	ctx     context.Context
	conf    Config
	api     API
	err     error // a configuration error, returned by every attempt
	now     func() time.Time
	rand    io.Reader
	timeout time.Duration // bounds one attempt

	refreshToken string
	username     string   // the Cognito username, for SECRET_HASH on refresh
	device       *Device  // the device the session is bound to, or nil
	sent         []string // secret values sent in this attempt; see redact
	// noGetTokens records that the endpoint lacks GetTokensFromRefreshToken
	// (emulators): renewals then use REFRESH_TOKEN_AUTH.
	noGetTokens bool
	// stored is the session last loaded from or saved to the Store, and
	// loaded whether the Store has been read (a Locker is read before
	// every renewal, another store only once).
	stored *Session
	loaded bool
	// formerPassword is the password a NEW_PASSWORD_REQUIRED answer
	// replaced, and formerSecrets the authenticator secrets handed out:
	// still secrets, so kept out of error messages too.
	formerPassword string
	formerSecrets  []string
	// handlerRunning is closed when a call of the challenge handler that
	// was abandoned (it did not answer in time) returns.
	handlerRunning chan struct{}
}

// fresh is a token just obtained, with the local time it was asked for.
type fresh struct {
	tok  *oauth2.Token
	sent time.Time
}

func newSource(ctx context.Context, c *Config, saved *oauth2.Token) *source {
	s := &source{ctx: ctx, conf: *c, api: c.API, now: time.Now, rand: rand.Reader, timeout: AttemptTimeout}
	if ctx == nil {
		s.ctx = context.Background()
	}
	s.err = s.conf.check()
	if s.err == nil && s.api == nil {
		s.api = defaultClient(s.ctx, s.conf.UserPoolID)
	}
	if c.Device != nil {
		d := *c.Device
		s.device = &d
	}
	if saved != nil {
		s.refreshToken = saved.RefreshToken
		s.username = usernameOf(claimsOf(tokenPair(saved)))
		if d := DeviceOf(saved); d != nil {
			s.device = d
		}
	}
	return s
}

func (c *Config) check() error {
	region, pool, ok := strings.Cut(c.UserPoolID, "_")
	switch {
	case !ok || region == "" || pool == "":
		return fmt.Errorf("cognito: UserPoolID %q is not of the form <region>_<id>", c.UserPoolID)
	case c.ClientID == "":
		return errors.New("cognito: ClientID is empty")
	case c.Flow != "" && c.Flow != FlowSRP && c.Flow != FlowPassword && c.Flow != FlowCustom:
		return fmt.Errorf("cognito: unknown Flow %q", c.Flow)
	}
	return nil
}

// poolName is the part of the user pool ID after "_".
func (c *Config) poolName() string {
	_, name, _ := strings.Cut(c.UserPoolID, "_")
	return name
}

func (c *Config) earlyExpiry() time.Duration {
	if c.EarlyExpiry <= 0 {
		return DefaultEarlyExpiry
	}
	return c.EarlyExpiry
}

// renew makes one attempt to get tokens: from the refresh token when there
// is one, else, or when Cognito refuses it for good, from a sign-in.
func (s *source) renew() (*fresh, error) {
	if s.err != nil {
		return nil, s.err
	}
	if err := s.ctx.Err(); err != nil {
		return nil, fmt.Errorf("cognito: the token source's context is done, create a new token source: %w", err)
	}
	ctx, cancel := context.WithTimeout(s.ctx, s.timeout)
	defer cancel()
	s.sent = s.sent[:0]
	if s.conf.Store == nil {
		return s.obtain(ctx)
	}
	if l, ok := s.conf.Store.(Locker); ok {
		unlock, err := l.Lock(ctx)
		if err != nil {
			return nil, fmt.Errorf("cognito: locking the session store: %w", err)
		}
		defer unlock()
	}
	t, err := s.loadStored(ctx)
	if err != nil {
		return nil, err
	}
	if t != nil {
		return t, nil // renewed by another process sharing the store
	}
	if t, err = s.obtain(ctx); err != nil {
		return nil, err
	}
	s.save(ctx, t.tok)
	return t, nil
}

// obtain gets tokens from the refresh token when there is one, else, or
// when Cognito refuses it for good, from a sign-in.
func (s *source) obtain(ctx context.Context) (*fresh, error) {
	if s.refreshToken != "" {
		t, err := s.refresh(ctx)
		if err == nil {
			return t, nil
		}
		if deviceGone(err) && s.device != nil {
			// The pool forgot the device the session was bound to: the
			// refresh token went with it.
			s.logger().Warn("cognito: the user pool has forgotten the session's device", "device_key", s.device.Key)
			s.device = nil
		} else if !refreshTokenDead(err) {
			return nil, s.redact(fmt.Errorf("cognito: renewing tokens: %w", err))
		}
		s.refreshToken = ""
		if !s.canSignIn() {
			return nil, s.redact(fmt.Errorf("%w: the refresh token cannot be used: %w", ErrSignInRequired, err))
		}
	}
	if !s.canSignIn() {
		return nil, fmt.Errorf("%w: no refresh token, and %s", ErrSignInRequired, s.cannotSignIn())
	}
	t, err := s.signIn(ctx)
	if err != nil {
		return nil, s.redact(err)
	}
	return t, nil
}

// errNoUsername means a refresh with a client secret is impossible: the
// token names no user to compute SECRET_HASH for.
var errNoUsername = errors.New("the token names no user (username claim) to compute the SECRET_HASH of a renewal")

// refresh renews the tokens with GetTokensFromRefreshToken, which app
// clients with refresh-token rotation require and which hands out a new
// refresh token when they rotate, or with REFRESH_TOKEN_AUTH where the
// API lacks that operation. Errors from the API come back unwrapped, for
// renew to sort.
func (s *source) refresh(ctx context.Context) (*fresh, error) {
	if api, ok := s.api.(getTokensAPI); ok && !s.noGetTokens {
		in := &cip.GetTokensFromRefreshTokenInput{ClientId: aws.String(s.conf.ClientID), RefreshToken: aws.String(s.refreshToken)}
		if s.conf.ClientSecret != "" {
			in.ClientSecret = aws.String(s.conf.ClientSecret)
		}
		if s.device != nil {
			in.DeviceKey = aws.String(s.device.Key)
		}
		s.sent = append(s.sent, s.refreshToken)
		sent := s.now()
		out, err := api.GetTokensFromRefreshToken(ctx, in, noRetryIfUnsupported)
		switch {
		case err == nil && out.AuthenticationResult == nil:
			return nil, errors.New("cognito: renewing tokens: the response has no tokens")
		case err == nil:
			return s.accept(out.AuthenticationResult, sent)
		case !unsupportedOperation(err):
			return nil, err
		}
		s.noGetTokens = true // an emulator: REFRESH_TOKEN_AUTH from now on
	}
	params := map[string]string{"REFRESH_TOKEN": s.refreshToken}
	if s.conf.ClientSecret != "" {
		if s.username == "" {
			return nil, errNoUsername
		}
		s.addSecretHash(params, s.username)
	}
	if s.device != nil {
		params["DEVICE_KEY"] = s.device.Key
	}
	sent := s.now()
	out, err := s.initiate(ctx, types.AuthFlowTypeRefreshTokenAuth, params)
	if err != nil {
		return nil, err
	}
	if out.AuthenticationResult == nil {
		return nil, challengeOrMissing(out.ChallengeName, "renewing tokens")
	}
	return s.accept(out.AuthenticationResult, sent)
}

// getTokensAPI is the renewal that refresh-token rotation needs;
// *cognitoidentityprovider.Client has it.
type getTokensAPI interface {
	GetTokensFromRefreshToken(ctx context.Context, in *cip.GetTokensFromRefreshTokenInput, optFns ...func(*cip.Options)) (*cip.GetTokensFromRefreshTokenOutput, error)
}

// unsupportedOperation reports whether err says the endpoint does not
// have the operation called, as emulators answer (cognito-local: HTTP 500
// CognitoLocal#Unsupported; moto: HTTP 500 NotImplementedError;
// cognitotest: UnknownOperationException). Cognito itself has every
// operation this package calls.
func unsupportedOperation(err error) bool {
	var api smithy.APIError
	if errors.As(err, &api) {
		switch api.ErrorCode() {
		case "UnknownOperationException", "UnsupportedOperationException", "UnsupportedOperation",
			"Unsupported", "NotImplemented", "NotImplementedError", "InvalidAction":
			return true
		}
		return false
	}
	// No AWS error document at all: a 404 or 501, or a 500 with a stack
	// trace for a page (moto). Cognito's own 500s carry a JSON error.
	var resp *smithyhttp.ResponseError
	if errors.As(err, &resp) {
		switch resp.HTTPStatusCode() {
		case http.StatusNotFound, http.StatusMethodNotAllowed, http.StatusNotImplemented, http.StatusInternalServerError:
			return true
		}
	}
	return false
}

// unsupportedNotRetried keeps the SDK from retrying a call that failed
// because the endpoint lacks the operation: retrying cannot help.
type unsupportedNotRetried struct{ aws.Retryer }

func (r unsupportedNotRetried) IsErrorRetryable(err error) bool {
	return !unsupportedOperation(err) && r.Retryer.IsErrorRetryable(err)
}

// GetAttemptToken is aws.RetryerV2's, which the SDK prefers.
func (r unsupportedNotRetried) GetAttemptToken(ctx context.Context) (func(error) error, error) {
	if v2, ok := r.Retryer.(aws.RetryerV2); ok {
		return v2.GetAttemptToken(ctx)
	}
	return r.GetInitialToken(), nil
}

// noRetryIfUnsupported is the option that sets unsupportedNotRetried.
func noRetryIfUnsupported(o *cip.Options) {
	if o.Retryer != nil {
		o.Retryer = unsupportedNotRetried{o.Retryer}
	}
}

// initiate calls InitiateAuth for flow with params.
func (s *source) initiate(ctx context.Context, flow types.AuthFlowType, params map[string]string) (*cip.InitiateAuthOutput, error) {
	s.remember(params)
	return s.api.InitiateAuth(ctx, &cip.InitiateAuthInput{
		AuthFlow:       flow,
		ClientId:       aws.String(s.conf.ClientID),
		AuthParameters: params,
	})
}

// accept turns an authentication result into a new token and remembers
// what later renewals need.
func (s *source) accept(r *types.AuthenticationResultType, sent time.Time) (*fresh, error) {
	access, id := aws.ToString(r.AccessToken), aws.ToString(r.IdToken)
	if access == "" {
		return nil, errors.New("cognito: authentication result has no AccessToken")
	}
	if s.conf.UseIDToken && id == "" {
		return nil, errors.New("cognito: UseIDToken is set but the authentication result has no IdToken")
	}
	claims := claimsOf(access, id)
	if err := s.checkIssuer(claims); err != nil {
		return nil, err
	}
	expiry, err := expiryOf(claims, r.ExpiresIn, sent, s.now())
	if err != nil {
		return nil, err
	}
	if rt := aws.ToString(r.RefreshToken); rt != "" {
		s.refreshToken = rt
	}
	if name := usernameOf(claims); name != "" {
		s.username = name
	}
	return &fresh{tok: s.token(access, id, expiry), sent: sent}, nil
}

// token is the token the source hands out for access and id: the bearer
// (the ID token with UseIDToken), the refresh token, and, besides, both
// JWTs and the session's device.
func (s *source) token(access, id string, expiry time.Time) *oauth2.Token {
	bearer := access
	if s.conf.UseIDToken {
		bearer = id
	}
	extra := map[string]any{"id_token": id, "access_token": access}
	if s.device != nil {
		d := *s.device
		extra[deviceExtra] = &d
	}
	return (&oauth2.Token{
		AccessToken:  bearer,
		TokenType:    "Bearer",
		RefreshToken: s.refreshToken,
		Expiry:       expiry,
	}).WithExtra(extra)
}

// checkIssuer refuses tokens whose iss claim names a pool other than
// Config.UserPoolID: a mistyped pool ID signs in fine with
// USER_PASSWORD_AUTH (the pool's name takes no part in it), and would
// otherwise pass unnoticed until an API refused the tokens.
func (s *source) checkIssuer(claims []jwt.Claims) error {
	for _, c := range claims {
		if c.Iss != "" && path.Base(c.Iss) != s.conf.UserPoolID {
			return &issuerError{iss: c.Iss, pool: s.conf.UserPoolID}
		}
	}
	return nil
}

// expiryOf computes when the first of the tokens handed out expires, in
// local time. A positive ExpiresIn (the access token's lifetime) counts
// from the local time the request was sent. Each token's own lifetime
// (exp − iat) counts from the local receive time, so that a skewed local
// clock does not matter; a token without iat expires at its exp. A token
// that lives no time at all is an error, as is having no expiry at all.
func expiryOf(claims []jwt.Claims, expiresIn int32, sent, received time.Time) (time.Time, error) {
	var expiry time.Time
	earliest := func(t time.Time) {
		if expiry.IsZero() || t.Before(expiry) {
			expiry = t
		}
	}
	if expiresIn > 0 {
		earliest(sent.Add(time.Duration(expiresIn) * time.Second))
	}
	for _, c := range claims {
		if c.Exp <= 0 {
			continue
		}
		if c.Iat <= 0 {
			earliest(time.Unix(c.Exp, 0))
			continue
		}
		if c.Exp <= c.Iat {
			return time.Time{}, errors.New("cognito: a token was issued already expired (its exp is not after its iat)")
		}
		if life, ok := c.Lifetime(); ok {
			earliest(received.Add(life))
		} else { // longer than any Cognito token lives
			earliest(time.Unix(c.Exp, 0))
		}
	}
	switch {
	case expiry.IsZero():
		return time.Time{}, errors.New("cognito: no ExpiresIn and the tokens' expiry cannot be read")
	case !expiry.After(sent):
		// Renewing such a token at every call would help no one.
		return time.Time{}, errors.New("cognito: the token had expired by the time it was issued (its exp is far behind this machine's clock)")
	}
	return expiry, nil
}

// tokenPair returns the access and ID tokens carried by t.
func tokenPair(t *oauth2.Token) (access, id string) {
	access, _ = t.Extra("access_token").(string)
	if access == "" {
		access = t.AccessToken
	}
	return access, IDToken(t)
}

// claimsOf reads the claims of those of tokens that are JWTs, in order.
func claimsOf(tokens ...string) []jwt.Claims {
	var claims []jwt.Claims
	for _, tok := range tokens {
		if c, err := jwt.ParseUnverified(tok); err == nil {
			claims = append(claims, c)
		}
	}
	return claims
}

// usernameOf returns the Cognito username from the first claims that name
// one: the access token's username claim (or cognito:username when the
// bearer is an ID token), else the ID token's cognito:username, else "".
func usernameOf(claims []jwt.Claims) string {
	for _, c := range claims {
		if name := c.User(); name != "" {
			return name
		}
	}
	return ""
}
