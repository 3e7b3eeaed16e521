package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/seed-e8acf5fd/cognito"
	"github.com/seed-e8acf5fd/cognito/internal/jwt"
)

// oauthTimeout bounds each request to a domain's token endpoint.
const oauthTimeout = time.Minute

// loginBrowser signs in through the user pool's managed login, in the web
// browser: the authorization code grant with PKCE (S256), through
// golang.org/x/oauth2 and [cognito.Endpoint]. The browser comes back to a
// server on the loopback address of the redirect URL, which must be one
// of the app client's callback URLs exactly. The session is cached as a
// password sign-in's is, with its domain, through whose token endpoint
// token renews it.
func (c *cli) loginBrowser(ctx context.Context, o *options) error {
	if _, err := c.readInputs(o); err != nil {
		return err
	}
	// The cache directory is checked before the user signs in.
	dir, err := c.openCacheDir()
	if err != nil {
		return err
	}
	defer dir.close()

	state, err := randomState()
	if err != nil {
		return err
	}
	redirect, err := redirectTarget(o.redirectURL)
	if err != nil {
		return err
	}
	cb, err := listenCallback(redirect, state)
	if err != nil {
		return err
	}
	defer cb.close()

	verifier := oauth2.GenerateVerifier()
	c.keepSecret(verifier)
	conf := c.oauthConfig(o, o.domain)
	authURL := conf.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier))
	c.msg("Sign in in your browser; if it does not open, open this URL in it:")
	c.msg("  %s", authURL)
	opened := make(chan error, 1)
	go func() { opened <- c.open(ctx, authURL) }()

	res, err := c.waitForBrowser(ctx, o, cb, opened)
	if err != nil {
		return err
	}
	if res.err != nil {
		res.finish(page{http.StatusBadRequest, "Sign-in failed", res.err.Error()})
		return res.err
	}
	c.keepSecret(res.code)
	given := o.username != ""
	r, err := c.completeLogin(ctx, o, dir, conf, res.code, verifier)
	if err != nil {
		res.finish(page{http.StatusInternalServerError, "Sign-in failed", "cognito-token could not complete the sign-in: the terminal says why. You can close this tab."})
		return err
	}
	res.finish(page{http.StatusOK, "Signed in", "You are signed in as " + o.username + ". You can close this tab and go back to the terminal."})
	c.msg("Signed in as %s in the browser; session cached in %s", o.username, r.path)
	if !given {
		c.msg("Give --username %s (or set $%s) to token and logout to use this session.", o.username, envUsername)
	}
	c.revokeReplaced(ctx, o, r)
	return nil
}

// randomState is the OAuth state of one login: 256 random bits.
func randomState() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("making the sign-in's state: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// open opens url in the user's browser: see openBrowser. Tests set
// cli.browser instead.
func (c *cli) open(ctx context.Context, url string) error {
	if c.browser != nil {
		return c.browser(ctx, url)
	}
	return c.openBrowser(ctx, url)
}

// waitForBrowser waits for the browser to come back with the sign-in's
// result, for --timeout at most, or until ctx ends (Ctrl-C). A browser
// that cannot be opened is reported, and the wait goes on: the user can
// open the URL printed.
func (c *cli) waitForBrowser(ctx context.Context, o *options, cb *callback, opened <-chan error) (*callbackResult, error) {
	timer := time.NewTimer(o.timeout)
	defer timer.Stop()
	for {
		select {
		case err := <-opened:
			if err != nil {
				c.msg("Could not open a browser (%v): open the URL above in one.", err)
			}
			opened = nil
		case res := <-cb.results:
			return res, nil
		case <-timer.C:
			return nil, fmt.Errorf("the browser did not come back from the sign-in within %v: log in again (--timeout sets how long to wait)", o.timeout)
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// completeLogin exchanges the code for tokens, checks that they are of
// o's user pool and app client and of its user (setting o.username from
// them when none was given), and caches the session in dir.
func (c *cli) completeLogin(ctx context.Context, o *options, dir *cacheDir, conf *oauth2.Config, code, verifier string) (*replaced, error) {
	exchangeCtx, cancel := context.WithTimeout(c.oauthContext(ctx), oauthTimeout)
	tok, err := conf.Exchange(exchangeCtx, code, oauth2.VerifierOption(verifier))
	cancel()
	if err != nil {
		return nil, endpointError("exchanging the authorization code for tokens", err)
	}
	ses := sessionOf(withExpiry(tok))
	ses.Domain = o.domain
	c.keepSecret(ses.tokens()...)
	switch {
	case ses.RefreshToken == "":
		return nil, fmt.Errorf("the token endpoint of %s gave no refresh token", o.domain)
	case !ses.usable(o):
		return nil, fmt.Errorf("the tokens from %s are not of user pool %s and app client %s: check --domain", o.domain, o.poolID, o.clientID)
	}
	name := signedInUser(ses)
	switch {
	case name == "":
		return nil, errors.New("the tokens name no user (no cognito:username or username claim)")
	case o.username == "":
		o.username = name
	case !ses.isUser(o.username):
		// Nothing is cached: the session must not be left valid.
		if err := c.revoke(ctx, o, ses.RefreshToken); err != nil {
			c.msg("warning: could not revoke the refresh token of the session just made, which stays valid until it expires: %v", err)
		}
		return nil, fmt.Errorf("you signed in as %s in the browser, not as %s (--username or $%s): nothing was cached; log in again as %s, or give --username %s", name, o.username, envUsername, o.username, name)
	}
	st := dir.store(sessionKey(o))
	st.legacyKey = legacyKey(o)
	return c.replaceSession(ctx, o, st, ses)
}

// signedInUser is the user name the session's tokens carry (unverified):
// the ID token's cognito:username, or the access token's username.
func signedInUser(ses *session) string {
	if id, err := jwt.ParseUnverified(ses.IDToken); err == nil && id.CognitoUsername != "" {
		return id.CognitoUsername
	}
	access, _ := jwt.ParseUnverified(ses.AccessToken)
	return access.Username
}

// isUser reports whether name, in any letter case, is the user of the
// session (unverified claims): the user name, or an alias the ID token
// carries (email, phone number, preferred username).
func (s *session) isUser(name string) bool {
	var id struct {
		CognitoUsername   string `json:"cognito:username"`
		Email             string `json:"email"`
		PhoneNumber       string `json:"phone_number"`
		PreferredUsername string `json:"preferred_username"`
	}
	_ = jwt.DecodeUnverified(s.IDToken, &id)
	access, _ := jwt.ParseUnverified(s.AccessToken)
	for _, n := range []string{id.CognitoUsername, id.Email, id.PhoneNumber, id.PreferredUsername, access.Username} {
		if n != "" && strings.EqualFold(n, name) {
			return true
		}
	}
	return false
}

// withExpiry is tok, its expiry taken from the access token's exp claim
// when the token endpoint gave no expires_in.
func withExpiry(tok *oauth2.Token) *oauth2.Token {
	if !tok.Expiry.IsZero() {
		return tok
	}
	claims, err := jwt.ParseUnverified(tok.AccessToken)
	if err != nil || claims.Exp == 0 {
		return tok
	}
	t := *tok
	t.Expiry = time.Unix(claims.Exp, 0)
	return &t
}

// oauthConfig is the golang.org/x/oauth2 configuration of o's app client
// at domain.
func (c *cli) oauthConfig(o *options, domain string) *oauth2.Config {
	return &oauth2.Config{
		ClientID:     o.clientID,
		ClientSecret: o.secret,
		Endpoint:     endpoint(domain, o.secret),
		RedirectURL:  o.redirectURL,
		Scopes:       o.scopes,
	}
}

// endpoint is [cognito.Endpoint] of domain, for a client with secret (or
// none). A confidential client authenticates with HTTP Basic, as
// cognito.Endpoint says; a public client sends its client_id in the form,
// as Cognito documents for public clients: with AuthStyleInHeader,
// golang.org/x/oauth2 would send it as a Basic user name with an empty
// password instead.
func endpoint(domain, secret string) oauth2.Endpoint {
	ep := cognito.Endpoint(domain)
	if secret == "" {
		ep.AuthStyle = oauth2.AuthStyleInParams
	}
	return ep
}

// oauthContext is ctx, carrying the HTTP client of a test when it has
// one, for golang.org/x/oauth2 to use.
func (c *cli) oauthContext(ctx context.Context) context.Context {
	if c.httpClient == nil {
		return ctx
	}
	return context.WithValue(ctx, oauth2.HTTPClient, c.httpClient)
}

// tokenEndpointError is an error answer of a domain's token endpoint,
// explained. Its message is built from the error code and description
// only, not from the whole answer.
type tokenEndpointError struct {
	what string // what was being done
	err  *oauth2.RetrieveError
}

func (e *tokenEndpointError) Error() string {
	if e.err.ErrorCode == "" {
		status := "an error"
		if e.err.Response != nil {
			status = "HTTP " + e.err.Response.Status
		}
		return e.what + ": the token endpoint answered " + status
	}
	msg := e.what + ": the user pool refused: " + e.err.ErrorCode
	if e.err.ErrorDescription != "" {
		msg += " (" + e.err.ErrorDescription + ")"
	}
	switch e.err.ErrorCode {
	case "invalid_client":
		msg += "; check --client-id, and that the app client's secret is given in $" + envClientSecret + " or with --client-secret-stdin when it has one"
	case "unauthorized_client":
		msg += "; the app client is not allowed this grant (see its allowed OAuth flows)"
	case "invalid_scope":
		msg += "; a scope asked for is not one the app client is allowed (a resource server's scopes are named <resource server>/<scope>)"
	case "invalid_grant":
		msg += "; log in again"
	}
	return msg
}

func (e *tokenEndpointError) Unwrap() error { return e.err }

// endpointError explains err from a domain's token endpoint, doing what.
func endpointError(what string, err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		return &tokenEndpointError{what: what, err: re}
	}
	return fmt.Errorf("%s: %w", what, err)
}

// endpointErrorCode is the OAuth error code of err from a token endpoint,
// or "".
func endpointErrorCode(err error) string {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		return re.ErrorCode
	}
	return ""
}
