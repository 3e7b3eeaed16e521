package cognito

import (
	"context"
	"time"

	"golang.org/x/oauth2"

	"github.com/seed-e8acf5fd/cognito/internal/jwt"
)

// TokenSource returns a token source that signs in at first use (when t
// is nil) or starts from a token saved earlier (a zero t.Expiry is read
// from the access token's exp claim, or taken as expired), and renews
// with the refresh token shortly before each token expires. Tokens are
// cached: Token on a valid token costs no more than
// oauth2.ReuseTokenSource. It is safe for concurrent use; goroutines that
// meet an expired token together wait for one renewal.
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
	return reuse(t, newSource(ctx, c, t), c.earlyExpiry())
}

// reuse wraps the inner source once in the oauth2 package's reuse token
// source, whose mutex serialises every call into src.
func reuse(t *oauth2.Token, src *source, earlyExpiry time.Duration) oauth2.TokenSource {
	var start *oauth2.Token
	if t != nil {
		cp := *t // the wrapper writes to the token it is given: not the caller's
		if cp.Expiry.IsZero() {
			// oauth2 reads a zero Expiry as "never expires": take the
			// JWT's exp instead, or renew at once when there is none.
			cp.Expiry = time.Unix(1, 0)
			if c, err := jwt.Parse(cp.AccessToken); err == nil && c.Exp > 0 {
				cp.Expiry = time.Unix(c.Exp, 0)
			}
		}
		start = &cp
	}
	return oauth2.ReuseTokenSourceWithExpiry(start, src, earlyExpiry)
}

func (c *Config) earlyExpiry() time.Duration {
	if c.EarlyExpiry <= 0 {
		return DefaultEarlyExpiry
	}
	return c.EarlyExpiry
}

// reuseRecent guards against tokens that live less than twice the early
// expiry: the reuse wrapper deems such a token expired at once and asks
// for a new one at every call. Until half the last token's life has
// passed, and while it is still valid, the source hands out a copy of it
// instead of renewing, so there is at most one renewal per half lifetime.
func (s *source) reuseRecent() *oauth2.Token {
	if s.last == nil {
		return nil
	}
	now := s.now()
	half := s.last.Expiry.Sub(s.obtained) / 2
	if now.Before(s.obtained.Add(half)) && now.Before(s.last.Expiry) {
		cp := *s.last
		return &cp
	}
	return nil
}
