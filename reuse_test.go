package cognito

import (
	"context"
	"fmt"
	"math/bits"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"
)

// settle waits for the attempt under way, if any.
func settle(c *cache) {
	c.mu.Lock()
	f := c.flight
	c.mu.Unlock()
	if f != nil {
		<-f.done
	}
}

// together calls token n times at once and returns the results.
func together(n int, token func() (*oauth2.Token, error)) ([]*oauth2.Token, []error) {
	toks, errs := make([]*oauth2.Token, n), make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			toks[i], errs[i] = token()
		})
	}
	close(start)
	wg.Wait()
	return toks, errs
}

func TestCachedTokenReused(t *testing.T) {
	t.Parallel()
	assert.Less(t, DefaultEarlyExpiry, time.Minute, "far below Cognito's 5-minute minimum lifetime")
	assert.Greater(t, DefaultEarlyExpiry, time.Duration(0))

	clock := newClock(time.Now())
	api := newPasswordPool(clock, 5*time.Minute).api()
	_, c := testSource(t, baseConfig(), api, clock, nil)
	ts := c.reuseSource()
	first, err := ts.Token()
	require.NoError(t, err)
	for range 10 {
		tok, err := ts.Token()
		require.NoError(t, err)
		assert.Same(t, first, tok)
	}
	clock.Advance(4*time.Minute + 29*time.Second)
	tok, err := c.Token()
	require.NoError(t, err)
	assert.Equal(t, first.AccessToken, tok.AccessToken, "fresh until EarlyExpiry before expiry")
	assert.Len(t, api.inits, 1)
}

// TestRenewAhead: inside the early-expiry window, callers keep the current
// token while one renewal runs in the background.
func TestRenewAhead(t *testing.T) {
	t.Parallel()
	clock := newClock(time.Now())
	pool := newPasswordPool(clock, time.Hour)
	release := make(chan struct{})
	pool.refreshErr = func() error { <-release; return nil }
	api := pool.api()
	_, c := testSource(t, baseConfig(), api, clock, nil)
	first, err := c.Token()
	require.NoError(t, err)

	clock.Advance(time.Hour - 10*time.Second)
	toks, errs := together(32, c.Token)
	for i := range toks {
		require.NoError(t, errs[i])
		assert.Equal(t, first.AccessToken, toks[i].AccessToken, "nobody waits for the renewal")
	}
	close(release)
	settle(c)
	assert.Equal(t, 1, api.count(types.AuthFlowTypeRefreshTokenAuth))
	renewed, err := c.Token()
	require.NoError(t, err)
	assert.NotEqual(t, first.AccessToken, renewed.AccessToken)
	assert.Equal(t, clock.Now().Add(time.Hour), renewed.Expiry)
}

// TestShortLifetime: tokens living less than twice the early expiry are
// renewed once per half lifetime, not at every call.
func TestShortLifetime(t *testing.T) {
	t.Parallel()
	clock := newClock(time.Now())
	api := newPasswordPool(clock, 10*time.Second).api()
	conf := baseConfig()
	conf.EarlyExpiry = 30 * time.Second
	_, c := testSource(t, conf, api, clock, nil)
	ts := c.reuseSource()
	first, err := ts.Token()
	require.NoError(t, err)
	for range 100 {
		tok, err := ts.Token()
		require.NoError(t, err)
		assert.Equal(t, first.AccessToken, tok.AccessToken)
	}
	clock.Advance(4 * time.Second)
	_, err = ts.Token()
	require.NoError(t, err)
	assert.Len(t, api.inits, 1, "before half the lifetime")

	clock.Advance(2 * time.Second)
	_, err = ts.Token()
	require.NoError(t, err)
	settle(c)
	renewed, err := ts.Token()
	require.NoError(t, err)
	assert.NotEqual(t, first.AccessToken, renewed.AccessToken)
	assert.Equal(t, 1, api.count(types.AuthFlowTypeRefreshTokenAuth))
	for range 100 {
		_, err := ts.Token()
		require.NoError(t, err)
	}
	assert.Len(t, api.inits, 2)
}

// TestConcurrentExpiry: 64 goroutines meet an expired token at once and
// cause exactly one refresh.
func TestConcurrentExpiry(t *testing.T) {
	t.Parallel()
	clock := newClock(time.Now())
	pool := newPasswordPool(clock, time.Hour)
	pool.refreshErr = func() error {
		time.Sleep(20 * time.Millisecond) // keep the others waiting
		return nil
	}
	api := pool.api()
	for _, via := range []string{"oauth2 reuse", "cache"} {
		t.Run(via, func(t *testing.T) {
			_, c := testSource(t, baseConfig(), api, clock, expiredToken("alice", "rt"))
			ts := oauth2.TokenSource(c)
			if via == "oauth2 reuse" {
				ts = c.reuseSource()
			}
			before := api.count(types.AuthFlowTypeRefreshTokenAuth)
			toks, errs := together(64, ts.Token)
			assert.Equal(t, before+1, api.count(types.AuthFlowTypeRefreshTokenAuth))
			for i := range toks {
				require.NoError(t, errs[i])
				assert.Equal(t, toks[0].AccessToken, toks[i].AccessToken)
			}
		})
	}
}

// TestFailureShared: goroutines waiting for an attempt that fails all get
// its error, and for a back-off after it nobody tries again.
func TestFailureShared(t *testing.T) {
	t.Parallel()
	fault := &types.InternalErrorException{Message: aws.String("boom")}
	clock := newClock(time.Now())
	pool := newPasswordPool(clock, time.Hour)
	var failing atomic.Bool
	failing.Store(true)
	pool.refreshErr = func() error {
		time.Sleep(50 * time.Millisecond)
		if failing.Load() {
			return fault
		}
		return nil
	}
	api := pool.api()
	_, c := testSource(t, baseConfig(), api, clock, expiredToken("alice", "rt"))
	ts := c.reuseSource()
	refreshes := func() int { return api.count(types.AuthFlowTypeRefreshTokenAuth) }

	_, errs := together(32, ts.Token)
	for _, err := range errs {
		require.ErrorIs(t, err, fault)
		assert.ErrorContains(t, err, "cognito: renewing tokens")
	}
	assert.Equal(t, 1, refreshes(), "one attempt for 32 callers")

	// The back-off: about a second, then doubling while failures repeat.
	for _, wait := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second} {
		n := refreshes()
		for range 50 {
			_, err := ts.Token()
			require.ErrorIs(t, err, fault)
		}
		assert.Equal(t, n, refreshes(), "no call during the back-off")
		clock.Advance(wait - time.Millisecond)
		_, err := ts.Token()
		require.ErrorIs(t, err, fault)
		assert.Equal(t, n, refreshes(), "still backing off")
		clock.Advance(time.Millisecond)
		_, err = ts.Token()
		require.ErrorIs(t, err, fault)
		assert.Equal(t, n+1, refreshes(), "tried again once the back-off passed")
	}

	failing.Store(false)
	clock.Advance(8 * time.Second)
	tok, err := ts.Token()
	require.NoError(t, err)
	assert.Equal(t, "rt", tok.RefreshToken)

	// A success resets the back-off. (The cache itself from here: the
	// oauth2 wrapper reads the real clock.)
	failing.Store(true)
	clock.Advance(time.Hour)
	_, err = c.Token()
	require.ErrorIs(t, err, fault)
	n := refreshes()
	clock.Advance(time.Second)
	_, _ = c.Token()
	assert.Equal(t, n+1, refreshes())
}

func TestBackoff(t *testing.T) {
	t.Parallel()
	transient := &types.TooManyRequestsException{}
	refusal := &types.NotAuthorizedException{}
	for _, tc := range []struct {
		name     string
		err      error
		failures int
		want     time.Duration
	}{
		{"transient first", transient, 1, time.Second},
		{"transient third", transient, 3, 4 * time.Second},
		{"transient capped", transient, 40, 30 * time.Second},
		{"limit exceeded", &types.LimitExceededException{}, 1, time.Second},
		{"5xx", &types.InternalErrorException{}, 2, 2 * time.Second},
		{"network", netError{}, 1, time.Second},
		{"refused first", refusal, 1, time.Minute},
		{"refused second", refusal, 2, 2 * time.Minute},
		{"refused capped", refusal, 1000, 15 * time.Minute},
		{"user not found", &types.UserNotFoundException{}, 1, time.Minute},
		{"password reset", &types.PasswordResetRequiredException{}, 1, time.Minute},
		{"not confirmed", &types.UserNotConfirmedException{}, 1, time.Minute},
		{"challenge", &ChallengeError{Challenge: types.ChallengeNameTypeSmsMfa}, 1, time.Minute},
		{"other pool", &issuerError{}, 1, time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &cache{failures: tc.failures, jitter: func() float64 { return 1 }}
			assert.Equal(t, tc.want, c.backoff(fmt.Errorf("cognito: wrapped: %w", tc.err)))
		})
	}
	t.Run("jitter", func(t *testing.T) {
		c := newCache(&source{now: time.Now}, nil, time.Second)
		c.failures = 1
		seen := map[time.Duration]bool{}
		for range 100 {
			d := c.backoff(transient)
			assert.GreaterOrEqual(t, d, 800*time.Millisecond)
			assert.LessOrEqual(t, d, 1200*time.Millisecond)
			seen[d] = true
		}
		assert.Greater(t, len(seen), 10, "waits are spread")
	})
}

// TestValidTokenSurvivesFailures: while the current token has not
// expired, a failed renewal never fails a Token call.
func TestValidTokenSurvivesFailures(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		password string
		fault    error
	}{
		{"transient", "s3cret pw", &types.TooManyRequestsException{Message: aws.String("Rate exceeded")}},
		{"refused, no password", "", &types.NotAuthorizedException{Message: aws.String("Refresh Token has been revoked")}},
		{"refused, password refused too", "wrong", &types.NotAuthorizedException{Message: aws.String("Refresh Token has been revoked")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			clock := newClock(time.Now())
			pool := newPasswordPool(clock, time.Hour)
			api := pool.api()
			conf := baseConfig()
			_, c := testSource(t, conf, api, clock, nil)
			ts := oauth2.TokenSource(c) // not the oauth2 wrapper, which reads the real clock
			first, err := ts.Token()
			require.NoError(t, err)
			c.src.conf.Password = tc.password
			pool.refreshErr = func() error { return tc.fault }

			clock.Advance(time.Hour - 20*time.Second) // inside the early expiry
			for range 5 {
				tok, err := ts.Token()
				require.NoError(t, err)
				assert.Equal(t, first.AccessToken, tok.AccessToken)
				settle(c)
				clock.Advance(time.Second)
			}
			assert.GreaterOrEqual(t, api.count(types.AuthFlowTypeRefreshTokenAuth), 1, "renewal was tried")

			clock.Advance(20 * time.Second) // now expired
			_, err = ts.Token()
			require.Error(t, err)
			if tc.password == "" {
				assert.ErrorIs(t, err, ErrSignInRequired)
			} else {
				assert.ErrorAs(t, err, new(interface{ ErrorCode() string }))
			}
		})
	}
}

// TestRefusedSignInNotRepeated: a password Cognito refused is not sent
// again until the long back-off has passed.
func TestRefusedSignInNotRepeated(t *testing.T) {
	t.Parallel()
	for _, refusal := range []error{
		&types.NotAuthorizedException{Message: aws.String("Incorrect username or password.")},
		&types.UserNotFoundException{Message: aws.String("User does not exist.")},
		&types.PasswordResetRequiredException{Message: aws.String("Password reset required for the user")},
		&types.UserNotConfirmedException{Message: aws.String("User is not confirmed.")},
	} {
		t.Run(fmt.Sprintf("%T", refusal), func(t *testing.T) {
			t.Parallel()
			clock := newClock(time.Now())
			pool := newPasswordPool(clock, time.Hour)
			pool.signInErr = func() error { return refusal }
			api := pool.api()
			_, c := testSource(t, baseConfig(), api, clock, nil)
			ts := c.reuseSource()
			sends := func() int { return api.count(types.AuthFlowTypeUserPasswordAuth) }
			for range 50 {
				_, err := ts.Token()
				require.ErrorIs(t, err, refusal)
			}
			assert.Equal(t, 1, sends(), "50 calls send the password once")

			clock.Advance(59 * time.Second)
			_, err := ts.Token()
			require.ErrorIs(t, err, refusal)
			assert.Equal(t, 1, sends())
			clock.Advance(time.Second)
			_, err = ts.Token()
			require.ErrorIs(t, err, refusal)
			assert.Equal(t, 2, sends(), "tried again after a minute")
			clock.Advance(time.Minute)
			_, _ = ts.Token()
			assert.Equal(t, 2, sends(), "then after two")

			// A new token source starts fresh.
			_, c2 := testSource(t, baseConfig(), api, clock, nil)
			pool.signInErr = nil
			_, err = c2.Token()
			require.NoError(t, err)
			assert.Equal(t, 3, sends())
		})
	}
}

// TestHangingServer: with a server that never answers, 32 callers wait
// for one attempt, bounded by the attempt timeout, and it is made once.
func TestHangingServer(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	api := &fakeAPI{initiate: func(ctx context.Context, _ *cip.InitiateAuthInput) (*cip.InitiateAuthOutput, error) {
		calls.Add(1)
		<-ctx.Done()
		return nil, ctx.Err()
	}}
	s, c := testSource(t, baseConfig(), api, newClock(time.Now()), expiredToken("alice", "rt"))
	s.timeout = 100 * time.Millisecond
	_, errs := together(32, c.reuseSource().Token)
	for _, err := range errs {
		require.ErrorIs(t, err, context.DeadlineExceeded)
	}
	assert.Equal(t, int32(1), calls.Load())
}

// TestWaiterContext: a caller waiting for an attempt leaves when its own
// context ends; the attempt goes on for the others.
func TestWaiterContext(t *testing.T) {
	t.Parallel()
	clock := newClock(time.Now())
	pool := newPasswordPool(clock, time.Hour)
	release := make(chan struct{})
	pool.refreshErr = func() error { <-release; return nil }
	api := pool.api()
	_, c := testSource(t, baseConfig(), api, clock, expiredToken("alice", "rt"))

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, errs := together(8, func() (*oauth2.Token, error) { return c.token(ctx) })
	for _, err := range errs {
		require.ErrorIs(t, err, context.DeadlineExceeded)
		assert.ErrorContains(t, err, "waiting for a token")
	}
	close(release)
	tok, err := c.token(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "rt", tok.RefreshToken)
	assert.Equal(t, 1, api.count(types.AuthFlowTypeRefreshTokenAuth), "the first attempt served the later caller")
}

func TestSavedTokenUsedFirst(t *testing.T) {
	t.Parallel()
	api := &fakeAPI{}
	saved := &oauth2.Token{AccessToken: "saved", RefreshToken: "rt", TokenType: "Bearer", Expiry: time.Now().Add(time.Hour)}
	conf := baseConfig()
	conf.API = api
	tok, err := conf.TokenSource(context.Background(), saved).Token()
	require.NoError(t, err)
	assert.Equal(t, "saved", tok.AccessToken)
	assert.NotSame(t, saved, tok)
	assert.Empty(t, api.inits)
}

func TestSavedTokenWithoutExpiry(t *testing.T) {
	t.Parallel()
	clock := newClock(time.Now())
	pool := newPasswordPool(clock, time.Hour)
	jwtToken := func(exp time.Time) *oauth2.Token {
		return &oauth2.Token{AccessToken: fakeJWT(map[string]any{"username": "alice", "exp": exp.Unix()}), RefreshToken: "rt"}
	}
	for _, tc := range []struct {
		name    string
		saved   *oauth2.Token
		renewed bool
	}{
		{"expired JWT", jwtToken(time.Now().Add(-time.Minute)), true},
		{"opaque", &oauth2.Token{AccessToken: "opaque", RefreshToken: "rt"}, true},
		{"valid JWT", jwtToken(time.Now().Add(time.Hour)), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			api := pool.api()
			conf := baseConfig()
			conf.Password = ""
			conf.API = api
			tok, err := conf.TokenSource(context.Background(), tc.saved).Token()
			require.NoError(t, err)
			assert.Equal(t, tc.renewed, tok.AccessToken != tc.saved.AccessToken)
			assert.Len(t, api.inits, map[bool]int{true: 1}[tc.renewed])
			assert.True(t, tc.saved.Expiry.IsZero(), "the caller's token is not changed")
		})
	}
}

// TestSavedShortToken: the half-life rule applies to a saved token too,
// from its JWT's iat and exp.
func TestSavedShortToken(t *testing.T) {
	t.Parallel()
	clock := newClock(time.Now())
	api := newPasswordPool(clock, time.Minute).api()
	iat := clock.Now().Add(-10 * time.Second)
	saved := &oauth2.Token{
		AccessToken:  fakeJWT(map[string]any{"username": "alice", "iat": iat.Unix(), "exp": iat.Add(time.Minute).Unix()}),
		RefreshToken: "rt", Expiry: iat.Add(time.Minute),
	}
	_, c := testSource(t, baseConfig(), api, clock, saved)
	tok, err := c.Token()
	require.NoError(t, err)
	assert.Equal(t, saved.AccessToken, tok.AccessToken, "30 s left of 60: still fresh although EarlyExpiry is 30 s")
	assert.Empty(t, api.inits)
	clock.Advance(21 * time.Second)
	_, err = c.Token()
	require.NoError(t, err)
	settle(c)
	assert.Len(t, api.inits, 1, "renewed past half its life")
}

// BenchmarkCachedToken is Token on a valid cached token, beside a bare
// oauth2.ReuseTokenSource holding the same token.
func BenchmarkCachedToken(b *testing.B) {
	tok := &oauth2.Token{AccessToken: "x", RefreshToken: "rt", Expiry: time.Now().Add(time.Hour)}
	b.Run("cognito", func(b *testing.B) {
		conf := baseConfig()
		conf.API = &fakeAPI{}
		ts := conf.TokenSource(context.Background(), tok)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := ts.Token(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("oauth2.ReuseTokenSource", func(b *testing.B) {
		cp := *tok
		ts := oauth2.ReuseTokenSource(&cp, nil)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := ts.Token(); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkCachedTokenParallel is the cached-token path under contention:
// the cache's lock-free read (what Config.Client's transport uses), the
// token source from TokenSource (an oauth2 reuse wrapper, one mutex), and a
// bare oauth2.ReuseTokenSource. Run with -cpu 1,2,4,8,16.
func BenchmarkCachedTokenParallel(b *testing.B) {
	tok := &oauth2.Token{AccessToken: "x", RefreshToken: "rt", Expiry: time.Now().Add(time.Hour)}
	conf := baseConfig()
	conf.API = &fakeAPI{}
	run := func(b *testing.B, token func() (*oauth2.Token, error)) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := token(); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	b.Run("Client", func(b *testing.B) {
		c := newCache(newSource(context.Background(), &conf, tok), tok, conf.earlyExpiry())
		ctx := context.Background()
		run(b, func() (*oauth2.Token, error) { return c.token(ctx) })
	})
	b.Run("TokenSource", func(b *testing.B) {
		run(b, conf.TokenSource(context.Background(), tok).Token)
	})
	b.Run("oauth2.ReuseTokenSource", func(b *testing.B) {
		cp := *tok
		run(b, oauth2.ReuseTokenSource(&cp, nil).Token)
	})
}

// TestNearExpiryWaits: in the last two seconds of a token's life, a caller
// waits for the renewal rather than get a token that may expire on its
// way (Cognito's exp is whole seconds), and keeps the old one if the
// renewal fails.
func TestNearExpiryWaits(t *testing.T) {
	t.Parallel()
	for _, fail := range []bool{false, true} {
		t.Run(fmt.Sprint("renewal fails=", fail), func(t *testing.T) {
			t.Parallel()
			clock := newClock(time.Now())
			pool := newPasswordPool(clock, time.Hour)
			api := pool.api()
			_, c := testSource(t, baseConfig(), api, clock, nil)
			first, err := c.Token()
			require.NoError(t, err)
			if fail {
				pool.refreshErr = func() error { return &types.InternalErrorException{} }
			}
			clock.Advance(time.Hour - time.Second)
			tok, err := c.Token()
			require.NoError(t, err)
			assert.Equal(t, fail, tok.AccessToken == first.AccessToken)
			assert.Equal(t, 1, api.count(types.AuthFlowTypeRefreshTokenAuth))
		})
	}
}

// BenchmarkTokenAcrossRenewals measures how long Token takes while
// callers keep calling across renewals, against a server that takes 50 ms
// to renew: tokens live 6 s and are renewed 3 s ahead (the last 2 s are
// kept for Cognito's whole-second expiry). It
// reports the worst call (max-ns), the 99.99th and 99th percentiles, next
// to oauth2.ReuseTokenSource over a source that renews when asked (its
// callers wait for the server at each expiry).
func BenchmarkTokenAcrossRenewals(b *testing.B) {
	const delay, life, early = 50 * time.Millisecond, 6 * time.Second, 3 * time.Second
	slowPool := func() *passwordPool {
		p := &passwordPool{username: "alice", password: "s3cret pw", life: life, clock: time.Now}
		p.refreshErr = func() error { time.Sleep(delay); return nil }
		return p
	}
	measure := func(b *testing.B, token func() (*oauth2.Token, error)) {
		var mu sync.Mutex
		var total latencies
		b.RunParallel(func(pb *testing.PB) {
			var mine latencies // no allocation while measuring
			for pb.Next() {
				start := time.Now()
				if _, err := token(); err != nil {
					b.Error(err)
					return
				}
				mine.add(time.Since(start))
			}
			mu.Lock()
			total.merge(&mine)
			mu.Unlock()
		})
		b.ReportMetric(float64(total.max), "max-ns")
		b.ReportMetric(float64(total.quantile(0.9999)), "p99.99-ns")
		b.ReportMetric(float64(total.quantile(0.99)), "p99-ns")
	}
	conf := baseConfig()
	conf.EarlyExpiry = early
	b.Run("cognito", func(b *testing.B) {
		conf.API = slowPool().api()
		ts := conf.TokenSource(context.Background(), nil)
		if _, err := ts.Token(); err != nil { // the sign-in is not measured
			b.Fatal(err)
		}
		measure(b, ts.Token)
	})
	b.Run("oauth2.ReuseTokenSource", func(b *testing.B) {
		conf.API = slowPool().api()
		s := newSource(context.Background(), &conf, nil)
		var mu sync.Mutex
		plain := tokenSourceFunc(func() (*oauth2.Token, error) {
			mu.Lock()
			defer mu.Unlock()
			f, err := s.renew()
			if err != nil {
				return nil, err
			}
			return f.tok, nil
		})
		ts := oauth2.ReuseTokenSourceWithExpiry(nil, plain, early)
		if _, err := ts.Token(); err != nil {
			b.Fatal(err)
		}
		measure(b, ts.Token)
	})
}

type tokenSourceFunc func() (*oauth2.Token, error)

func (f tokenSourceFunc) Token() (*oauth2.Token, error) { return f() }

// latencies is a histogram of durations with buckets 1/16 of a power of
// two wide (6% resolution), and the exact maximum.
type latencies struct {
	counts [64 * 16]int64
	n      int64
	max    time.Duration
}

func latencyBucket(d time.Duration) int {
	v := uint64(max(d, 1))
	top := bits.Len64(v) - 1 // the leading one's position
	var sub uint64
	if top >= 4 {
		sub = (v >> (top - 4)) & 15
	} else {
		sub = (v << (4 - top)) & 15
	}
	return top*16 + int(sub)
}

func (l *latencies) add(d time.Duration) {
	l.counts[latencyBucket(d)]++
	l.n++
	l.max = max(l.max, d)
}

func (l *latencies) merge(o *latencies) {
	for i, c := range o.counts {
		l.counts[i] += c
	}
	l.n += o.n
	l.max = max(l.max, o.max)
}

// quantile returns the upper bound of the bucket holding the q-quantile.
func (l *latencies) quantile(q float64) time.Duration {
	want := int64(q * float64(l.n))
	var seen int64
	for i, c := range l.counts {
		if seen += c; seen > want {
			top, sub := i/16, i%16
			return min(time.Duration((16+sub+1)<<top>>4), l.max)
		}
	}
	return l.max
}
