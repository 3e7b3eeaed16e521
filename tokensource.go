package cognito

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"golang.org/x/oauth2"

	"github.com/seed-e8acf5fd/cognito/internal/jwt"
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

// callTimeout bounds each sign-in (all its calls) and each renewal, so
// that a server that never answers cannot hang a token source whose
// context has no deadline.
const callTimeout = time.Minute

// Config describes a user of a Cognito user pool app client and how to
// sign them in. Its methods hand out tokens; a Config may be reused and
// is not changed by them.
type Config struct {
	// UserPoolID is the user pool's ID, such as "us-east-1_AbC123". The
	// part after "_" enters the SRP computation; the part before it is
	// the AWS region used when API is nil.
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
	// cannot sign in: it can only renew a token it was given.
	Password string

	// Flow is how to sign in with the password; the zero value means
	// FlowSRP.
	Flow Flow

	// API makes the Cognito API calls. When nil, a
	// *cognitoidentityprovider.Client for the pool's region is used, with
	// no AWS credentials (these calls need none) and the *http.Client
	// found in the context under oauth2.HTTPClient, if any.
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
}

// Token signs in once and returns the tokens, with no caching and no
// renewal. Use [Config.TokenSource] to keep a program supplied with valid
// tokens.
func (c *Config) Token(ctx context.Context) (*oauth2.Token, error) {
	s := newSource(ctx, c, nil)
	if s.err != nil {
		return nil, s.err
	}
	if c.Password == "" {
		return nil, fmt.Errorf("%w: Config.Password is empty", ErrSignInRequired)
	}
	return s.signIn()
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

// source is the inner token source: each Token call signs in or renews
// over the network. It is not safe for concurrent use by itself; the
// oauth2 reuse wrapper around it (see reuse.go) serialises every call
// with its own mutex, so source needs no lock of its own.
type source struct {
	ctx  context.Context
	conf Config
	api  API
	err  error // a configuration error, returned by every Token call

	now  func() time.Time
	rand io.Reader

	refreshToken string
	username     string // the Cognito username, for SECRET_HASH on refresh

	// last is the newest token handed out and obtained the local time it
	// was requested; see reuse.go.
	last     *oauth2.Token
	obtained time.Time
}

func newSource(ctx context.Context, c *Config, saved *oauth2.Token) *source {
	s := &source{ctx: ctx, conf: *c, api: c.API, now: time.Now, rand: rand.Reader}
	if ctx == nil {
		s.ctx = context.Background()
	}
	s.err = s.conf.check()
	if s.err == nil && s.api == nil {
		s.api = defaultClient(s.ctx, s.conf.UserPoolID)
	}
	if saved != nil {
		s.refreshToken = saved.RefreshToken
		s.username = usernameOf(saved.AccessToken, IDToken(saved))
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
	case c.Flow != "" && c.Flow != FlowSRP && c.Flow != FlowPassword:
		return fmt.Errorf("cognito: unknown Flow %q", c.Flow)
	}
	return nil
}

// poolName is the part of the user pool ID after "_".
func (c *Config) poolName() string {
	_, name, _ := strings.Cut(c.UserPoolID, "_")
	return name
}

func defaultClient(ctx context.Context, poolID string) *cip.Client {
	region, _, _ := strings.Cut(poolID, "_")
	opts := cip.Options{Region: region}
	if hc, ok := ctx.Value(oauth2.HTTPClient).(*http.Client); ok && hc != nil {
		opts.HTTPClient = hc
	}
	return cip.New(opts)
}

// Token returns a new token: from the refresh token when there is one,
// else from a sign-in.
func (s *source) Token() (*oauth2.Token, error) {
	if s.err != nil {
		return nil, s.err
	}
	if t := s.reuseRecent(); t != nil {
		return t, nil
	}
	if err := s.ctx.Err(); err != nil {
		return nil, fmt.Errorf("cognito: the token source's context is done, create a new token source: %w", err)
	}
	if s.refreshToken != "" {
		t, err := s.refresh()
		switch {
		case err == nil:
			return t, nil
		case errors.Is(err, errNoUsername):
			s.refreshToken = ""
			if s.conf.Password == "" {
				return nil, fmt.Errorf("%w: %s", ErrSignInRequired, errNoUsername)
			}
		case refreshTokenRefused(err):
			s.refreshToken = ""
			if s.conf.Password == "" {
				return nil, fmt.Errorf("%w: the refresh token was refused: %w", ErrSignInRequired, err)
			}
		default: // transient: keep the refresh token for the next call
			return nil, fmt.Errorf("cognito: renewing tokens: %w", err)
		}
	}
	if s.conf.Password == "" {
		return nil, fmt.Errorf("%w: no refresh token and Config.Password is empty", ErrSignInRequired)
	}
	return s.signIn()
}

// refreshTokenRefused reports whether err says the refresh token will
// never work again (invalid, expired, revoked or reused).
func refreshTokenRefused(err error) bool {
	var notAuth *types.NotAuthorizedException
	var reuse *types.RefreshTokenReuseException
	return errors.As(err, &notAuth) || errors.As(err, &reuse)
}

// errNoUsername means a refresh with a client secret is impossible: the
// token names no user to compute SECRET_HASH for.
var errNoUsername = errors.New("the token names no user (username claim) to compute the SECRET_HASH of a renewal")

// refresh renews the tokens with REFRESH_TOKEN_AUTH. Errors from the API
// come back unwrapped, for Token to sort.
func (s *source) refresh() (*oauth2.Token, error) {
	params := map[string]string{"REFRESH_TOKEN": s.refreshToken}
	if s.conf.ClientSecret != "" {
		if s.username == "" {
			return nil, errNoUsername
		}
		s.addSecretHash(params, s.username)
	}
	ctx, cancel := context.WithTimeout(s.ctx, callTimeout)
	defer cancel()
	sent := s.now()
	out, err := s.api.InitiateAuth(ctx, &cip.InitiateAuthInput{
		AuthFlow:       types.AuthFlowTypeRefreshTokenAuth,
		ClientId:       aws.String(s.conf.ClientID),
		AuthParameters: params,
	})
	if err != nil {
		return nil, err
	}
	if out.AuthenticationResult == nil {
		return nil, challengeOrMissing(out.ChallengeName, "renewing tokens")
	}
	return s.accept(out.AuthenticationResult, sent)
}

// accept turns an authentication result into a new token and remembers
// what later renewals need.
func (s *source) accept(r *types.AuthenticationResultType, sent time.Time) (*oauth2.Token, error) {
	access, id := aws.ToString(r.AccessToken), aws.ToString(r.IdToken)
	if access == "" {
		return nil, errors.New("cognito: authentication result has no AccessToken")
	}
	bearer := access
	if s.conf.UseIDToken {
		if id == "" {
			return nil, errors.New("cognito: UseIDToken is set but the authentication result has no IdToken")
		}
		bearer = id
	}
	expiry, err := expiryOf(bearer, r.ExpiresIn, !s.conf.UseIDToken, sent, s.now())
	if err != nil {
		return nil, err
	}
	if !expiry.After(sent) {
		// Renewing such a token at every call would help no one.
		return nil, errors.New("cognito: the token had expired by the time it was issued (exp is not after iat, or far behind this machine's clock)")
	}
	if rt := aws.ToString(r.RefreshToken); rt != "" {
		s.refreshToken = rt
	}
	if name := usernameOf(access, id); name != "" {
		s.username = name
	}
	t := (&oauth2.Token{
		AccessToken:  bearer,
		TokenType:    "Bearer",
		RefreshToken: s.refreshToken,
		Expiry:       expiry,
	}).WithExtra(map[string]any{"id_token": id, "access_token": access})
	s.last, s.obtained = t, sent
	return t, nil
}

// expiryOf computes when the bearer token expires, in local time. A
// positive ExpiresIn (the access token's lifetime) counts from the local
// time the request was sent. Otherwise, and for an ID token, the JWT's own
// exp is used, moved by the difference between the local receive time and
// the server's iat so that a skewed local clock does not matter.
func expiryOf(bearer string, expiresIn int32, isAccess bool, sent, received time.Time) (time.Time, error) {
	if isAccess && expiresIn > 0 {
		return sent.Add(time.Duration(expiresIn) * time.Second), nil
	}
	c, err := jwt.Parse(bearer)
	if err == nil && c.Exp <= 0 {
		err = errors.New("no exp claim")
	}
	if err != nil {
		if expiresIn > 0 {
			return sent.Add(time.Duration(expiresIn) * time.Second), nil
		}
		return time.Time{}, fmt.Errorf("cognito: no ExpiresIn and the bearer token's expiry cannot be read: %w", err)
	}
	if life, ok := c.Lifetime(); ok {
		return received.Add(life), nil
	}
	return time.Unix(c.Exp, 0), nil
}
