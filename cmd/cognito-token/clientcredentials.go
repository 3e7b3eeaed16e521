package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/seed-e8acf5fd/cognito"
	"github.com/seed-e8acf5fd/cognito/internal/fileutil"
)

// clientCredentialsToken prints an access token of the app client itself,
// from the client credentials grant at the user pool's domain, through
// golang.org/x/oauth2/clientcredentials. The token is cached, a
// cognito.FileStore per app client, domain and set of scopes, and printed
// again until it is due for renewal, as a session's token is; several
// commands at once take turns, so one token is fetched.
func (c *cli) clientCredentialsToken(ctx context.Context, o *options) error {
	if err := o.resolve(c.env); err != nil {
		return err
	}
	if _, err := c.readInputs(o); err != nil {
		return err
	}
	if o.secret == "" {
		return usagef("--client-credentials needs the app client's secret, in $%s or with --client-secret-stdin", envClientSecret)
	}
	dir, err := c.openCacheDir()
	if err != nil {
		return err
	}
	st := dir.store(clientCredentialsKey(o))
	defer st.close()
	unlock, err := st.lock(ctx)
	if err != nil {
		return err
	}
	defer unlock()

	cached, err := st.loadClientToken(ctx, o)
	if err != nil {
		return err
	}
	if cached != nil {
		c.keepSecret(cached.AccessToken)
		if cached.fresh(cached.Expiry) {
			return c.printAccessToken(cached)
		}
	}
	tok, err := c.fetchClientToken(ctx, o)
	switch {
	case err != nil && cached != nil && time.Now().Before(cached.Expiry) && transient(err):
		c.msg("warning: could not get a new token yet (%v); the cached token is valid until %s", err, cached.Expiry.Format(time.RFC3339))
		return c.printAccessToken(cached)
	case err != nil:
		return err
	}
	ses := newSession(cognito.Session{AccessToken: tok.AccessToken, Expiry: tok.Expiry})
	c.keepSecret(ses.AccessToken)
	switch {
	case ses.Expiry.IsZero():
		c.msg("warning: the token has no expiry, so it is not cached")
	case !ses.clientTokenOf(o):
		return fmt.Errorf("the token from %s is not of app client %s (nor of user pool %s): check --domain", o.domain, o.clientID, o.poolID)
	default:
		if err := st.save(ctx, ses); err != nil {
			c.msg("warning: %v; the token printed is valid, but the next call gets another", err)
		}
	}
	return c.printAccessToken(ses)
}

// clientCredentialsKey names the cache file of the tokens of o's app
// client at its domain for its scopes (in any order), and its user pool,
// when given.
func clientCredentialsKey(o *options) string {
	scopes := slices.Sorted(slices.Values(o.scopes))
	return hashKey("cognito-token client credentials 1", o.poolID, o.clientID, o.domain, strings.Join(scopes, " "))
}

// loadClientToken reads the cached client credentials token of o, or
// returns nil when there is none that is o's. The caller holds the lock.
func (s *store) loadClientToken(ctx context.Context, o *options) (*session, error) {
	saved, err := s.file.Load(ctx)
	var nf *fileutil.NotFileError
	switch {
	case errors.As(err, &nf):
		return nil, fmt.Errorf("the cached token %w", nf)
	case errors.Is(err, cognito.ErrSessionFormat):
		return nil, nil // replaced by the next save
	case err != nil:
		return nil, fmt.Errorf("reading the cached token: %w", fileErr(err))
	case saved == nil:
		return nil, nil
	}
	ses := newSession(*saved)
	if !ses.clientTokenOf(o) {
		return nil, nil
	}
	return ses, nil
}

// clientTokenOf reports whether the session is a token of o's app client
// (see issuedFor) with an expiry.
func (s *session) clientTokenOf(o *options) bool {
	return s.AccessToken != "" && !s.Expiry.IsZero() && issuedFor(s.AccessToken, o)
}

// fetchClientToken gets a token of o's app client with the client
// credentials grant.
func (c *cli) fetchClientToken(ctx context.Context, o *options) (*oauth2.Token, error) {
	ep := endpoint(o.domain, o.secret) // a secret, always
	conf := clientcredentials.Config{
		ClientID:     o.clientID,
		ClientSecret: o.secret,
		TokenURL:     ep.TokenURL,
		Scopes:       o.scopes,
		AuthStyle:    ep.AuthStyle,
	}
	ctx, cancel := context.WithTimeout(c.oauthContext(ctx), oauthTimeout)
	defer cancel()
	tok, err := conf.Token(ctx)
	if err != nil {
		return nil, endpointError("getting a token with the client credentials grant at "+o.domain, err)
	}
	return withExpiry(tok), nil
}

// transient reports whether err from a token endpoint may pass: no answer
// (the network), throttling, or a server error. Anything else is the
// endpoint refusing the request, which asking again would not change.
func transient(err error) bool {
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.Response == nil {
		return true
	}
	return re.Response.StatusCode == http.StatusTooManyRequests || re.Response.StatusCode >= 500
}

// printAccessToken prints the session's access token and a newline.
func (c *cli) printAccessToken(ses *session) error {
	if !tokenChars(ses.AccessToken) {
		return errors.New("the token holds characters no token has")
	}
	_, err := fmt.Fprintln(c.stdout, ses.AccessToken)
	return err
}
