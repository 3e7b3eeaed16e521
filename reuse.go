package cognito

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/oauth2"

	"github.com/seed-e8acf5fd/cognito/internal/jwt"
)

// Back-off after a failed attempt. While it lasts, Token answers with the
// current token when it is still valid, else with the attempt's error,
// and makes no network call. Each consecutive failure doubles it up to
// its cap, and every wait is jittered by ±20%.
const (
	// transientBackoff follows throttling, server and network errors.
	transientBackoff, transientBackoffMax = time.Second, 30 * time.Second
	// refusedBackoff follows refused credentials and unanswered
	// challenges, so that a wrong password is not sent again and again
	// (Cognito counts failed sign-ins and locks users out).
	refusedBackoff, refusedBackoffMax = time.Minute, 15 * time.Minute
)

// cache hands out the current token while it is fresh, and otherwise runs
// one attempt of its source at a time, shared by every caller that needs
// it. It is safe for concurrent use.
//
// A token is fresh until EarlyExpiry before its expiry (or half its
// lifetime, for tokens living less than twice EarlyExpiry). Past that,
// the first caller starts an attempt; until two seconds before the
// current token expires, callers keep receiving it and nobody waits.
// Callers that need a token after that wait for the attempt (or their
// context) and all receive its result, or the current token while it is
// valid if the attempt failed. A failed attempt starts a back-off, during
// which no attempt is made and the current token is handed out until it
// expires.
type cache struct {
	src   *source // also the clock, src.now
	early time.Duration
	// jitter returns a factor near 1 for back-off waits.
	jitter func() float64

	// cur is the current token; it is read without the lock.
	cur atomic.Pointer[current]

	mu       sync.Mutex
	flight   *flight   // the attempt under way, or nil
	failure  error     // the last attempt's error, while it is remembered
	retryAt  time.Time // no attempt before this time after a failure
	failures int       // consecutive failed attempts
}

// current is a token and the time until which it is handed out without
// trying to renew it.
type current struct {
	tok        *oauth2.Token
	freshUntil time.Time
}

// flight is one attempt; done is closed when tok or err is set.
type flight struct {
	done chan struct{}
	tok  *oauth2.Token
	err  error
}

func newCache(src *source, saved *oauth2.Token, early time.Duration) *cache {
	c := &cache{src: src, early: early, jitter: func() float64 { return 0.8 + 0.4*rand.Float64() }}
	if saved != nil {
		tok, obtained := savedToken(saved)
		c.cur.Store(c.current(tok, obtained))
	}
	return c
}

// savedToken copies a token given to TokenSource, giving it an expiry
// when it has none, and says when it was obtained, when its JWT tells.
func savedToken(t *oauth2.Token) (tok *oauth2.Token, obtained time.Time) {
	cp := *t // the caller's token is not changed
	access, _ := tokenPair(t)
	c, err := jwt.ParseUnverified(access)
	if cp.Expiry.IsZero() {
		// oauth2 reads a zero Expiry as "never expires": take the JWT's
		// exp instead, or renew at once when there is none.
		cp.Expiry = time.Unix(1, 0)
		if err == nil && c.Exp > 0 {
			cp.Expiry = time.Unix(c.Exp, 0)
		}
	}
	if life, ok := c.Lifetime(); err == nil && ok {
		obtained = cp.Expiry.Add(-life)
	}
	return &cp, obtained
}

// current returns tok with the time until which it is fresh: EarlyExpiry
// before its expiry, or half its life when that is shorter, so that a
// short-lived token is renewed once per half lifetime, not at every call.
func (c *cache) current(tok *oauth2.Token, obtained time.Time) *current {
	return &current{tok: tok, freshUntil: freshUntil(tok.Expiry, obtained, c.early)}
}

// freshUntil is when a token expiring at expiry, obtained at obtained
// (zero when unknown), is due for renewal: early before its expiry, or
// half its life when that is shorter.
func freshUntil(expiry, obtained time.Time, early time.Duration) time.Time {
	if !obtained.IsZero() {
		if half := expiry.Sub(obtained) / 2; half < early {
			early = max(half, 0)
		}
	}
	return expiry.Add(-early)
}

// Token returns a valid token, as oauth2.TokenSource asks; the token is
// the caller's to change.
func (c *cache) Token() (*oauth2.Token, error) {
	tok, err := c.token(context.Background())
	if err != nil {
		return nil, err
	}
	cp := *tok
	return &cp, nil
}

// token returns a valid token, which the caller must not change. ctx
// bounds only the wait for an attempt under way: the attempt itself is
// bounded by the source's context and AttemptTimeout, and serves every
// caller.
func (c *cache) token(ctx context.Context) (*oauth2.Token, error) {
	if cur := c.cur.Load(); cur != nil && c.src.now().Before(cur.freshUntil) {
		return cur.tok, nil
	}

	c.mu.Lock()
	now := c.src.now()
	cur := c.cur.Load()
	if cur != nil && now.Before(cur.freshUntil) {
		c.mu.Unlock()
		return cur.tok, nil
	}
	valid := cur != nil && now.Before(cur.tok.Expiry)
	f := c.flight
	if f == nil {
		if c.failure != nil && now.Before(c.retryAt) {
			err := c.failure
			c.mu.Unlock()
			if valid {
				return cur.tok, nil
			}
			return nil, err
		}
		f = &flight{done: make(chan struct{})}
		c.flight = f
		go c.attempt(f)
	}
	c.mu.Unlock()

	if valid && now.Before(cur.tok.Expiry.Add(-c.slack())) {
		return cur.tok, nil // renewed ahead of expiry, in the background
	}
	select {
	case <-f.done:
		if f.err != nil && valid && c.src.now().Before(cur.tok.Expiry) {
			return cur.tok, nil // a failed renewal does not fail a valid token
		}
		return f.tok, f.err
	case <-ctx.Done():
		return nil, fmt.Errorf("cognito: waiting for a token: %w", ctx.Err())
	}
}

// maxSlack is how close to its expiry a token is no longer handed out
// while its renewal is under way: Cognito's iat and exp are whole seconds,
// so a token may expire up to a second before the Expiry computed from
// them, and the request still has to reach the API. With an EarlyExpiry
// of 2 seconds or less, callers past it wait for the renewal.
const maxSlack = 2 * time.Second

func (c *cache) slack() time.Duration { return min(maxSlack, c.early) }

// attempt runs one attempt of the source and records its outcome.
func (c *cache) attempt(f *flight) {
	got, err := c.src.renew()

	c.mu.Lock()
	defer c.mu.Unlock()
	if err == nil {
		c.cur.Store(c.current(got.tok, got.sent))
		c.failure, c.failures = nil, 0
		f.tok = got.tok
	} else {
		c.failures++
		c.failure = err
		c.retryAt = c.src.now().Add(c.backoff(err))
		f.err = err
	}
	c.flight = nil
	close(f.done)
}

// backoff is how long to wait after the failures-th consecutive failure,
// the last with err.
func (c *cache) backoff(err error) time.Duration {
	d, ceiling := transientBackoff, transientBackoffMax
	if refused(err) {
		d, ceiling = refusedBackoff, refusedBackoffMax
	}
	for i := 1; i < c.failures && d < ceiling; i++ {
		d *= 2
	}
	d = min(d, ceiling)
	return time.Duration(float64(d) * c.jitter())
}

// reuseSource wraps the cache once in the oauth2 package's reuse token
// source, with the same early expiry. oauth2.NewClient uses such a source
// as it is; any other would be wrapped again with oauth2's own 10-second
// early expiry, hiding the renewals ahead of expiry.
func (c *cache) reuseSource() oauth2.TokenSource {
	var start *oauth2.Token
	if cur := c.cur.Load(); cur != nil {
		cp := *cur.tok // the wrapper writes to the token it is given
		start = &cp
	}
	return oauth2.ReuseTokenSourceWithExpiry(start, c, c.early)
}
