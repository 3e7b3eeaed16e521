package cognito

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// memStore is a Store in memory that counts its calls and can fail.
type memStore struct {
	mu      sync.Mutex
	ses     *Session
	loads   int
	saves   int
	saveErr error
	loadErr error
}

func (m *memStore) Load(context.Context) (*Session, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.loads++
	if m.loadErr != nil {
		return nil, m.loadErr
	}
	if m.ses == nil {
		return nil, nil
	}
	cp := *m.ses
	return &cp, nil
}

func (m *memStore) Save(_ context.Context, s *Session) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.saves++
	if m.saveErr != nil {
		return m.saveErr
	}
	if s == nil {
		m.ses = nil
		return nil
	}
	cp := *s
	m.ses = &cp
	return nil
}

func (m *memStore) get() *Session {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.ses
}

// sharedStore is a memStore with a lock, as processes sharing a file have.
type sharedStore struct {
	memStore
	lock  sync.Mutex
	locks int
}

func (s *sharedStore) Lock(context.Context) (func(), error) {
	s.lock.Lock()
	s.mu.Lock()
	s.locks++
	s.mu.Unlock()
	return s.lock.Unlock, nil
}

// rotatingPool is a passwordPool whose renewals go through
// GetTokensFromRefreshToken with rotation: each renewal hands out a new
// refresh token, and the old one dies at once.
type rotatingPool struct {
	*passwordPool
	*fakeAPI
	mu       sync.Mutex
	live     map[string]bool
	gets     int
	getErr   error // when set, GetTokensFromRefreshToken fails with it
	lastIn   *cip.GetTokensFromRefreshTokenInput
	rotation bool
}

func newRotatingPool(clock *fakeClock, life time.Duration) *rotatingPool {
	p := &rotatingPool{passwordPool: newPasswordPool(clock, life), live: map[string]bool{}, rotation: true}
	p.fakeAPI = p.passwordPool.api()
	signIn := p.fakeAPI.initiate
	p.fakeAPI.initiate = func(ctx context.Context, in *cip.InitiateAuthInput) (*cip.InitiateAuthOutput, error) {
		out, err := signIn(ctx, in)
		if err == nil && out.AuthenticationResult != nil && out.AuthenticationResult.RefreshToken != nil {
			p.mu.Lock()
			p.live[*out.AuthenticationResult.RefreshToken] = true
			p.mu.Unlock()
		}
		return out, err
	}
	return p
}

func (p *rotatingPool) GetTokensFromRefreshToken(_ context.Context, in *cip.GetTokensFromRefreshTokenInput, _ ...func(*cip.Options)) (*cip.GetTokensFromRefreshTokenOutput, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.gets++
	p.lastIn = in
	if p.getErr != nil {
		return nil, p.getErr
	}
	old := aws.ToString(in.RefreshToken)
	if !p.live[old] {
		return nil, &types.RefreshTokenReuseException{Message: aws.String("Refresh token has been used")}
	}
	n := int(p.seq.Add(1))
	next := ""
	if p.rotation {
		next = fmt.Sprintf("rotated-%d", n)
		delete(p.live, old)
		p.live[next] = true
	}
	return &cip.GetTokensFromRefreshTokenOutput{AuthenticationResult: tokens(p.username, p.clock(), p.life, true, next, n)}, nil
}

func (p *rotatingPool) getCount() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.gets
}

// TestRotation: renewals use GetTokensFromRefreshToken, adopt the rotated
// refresh token, and send the client secret and device key as its fields.
func TestRotation(t *testing.T) {
	t.Parallel()
	clock := newClock(time.Now())
	p := newRotatingPool(clock, time.Hour)
	conf := baseConfig()
	conf.ClientSecret = "cs"
	conf.Device = &Device{Key: "us-east-1_dev", GroupKey: "-grp", Password: "pw"}
	s, _ := testSource(t, conf, p, clock, nil)
	first, err := s.attempt()
	require.NoError(t, err)
	for i := range 3 {
		tok, err := s.attempt()
		require.NoError(t, err, i)
		assert.NotEqual(t, first.RefreshToken, tok.RefreshToken, "the rotated refresh token is adopted")
		first = tok
	}
	assert.Equal(t, 3, p.getCount())
	assert.Equal(t, 0, p.count(types.AuthFlowTypeRefreshTokenAuth))
	assert.Equal(t, "cs", aws.ToString(p.lastIn.ClientSecret))
	assert.Equal(t, "us-east-1_dev", aws.ToString(p.lastIn.DeviceKey))
	assert.Equal(t, "client123", aws.ToString(p.lastIn.ClientId))
	assert.Equal(t, &Device{Key: "us-east-1_dev", GroupKey: "-grp", Password: "pw"}, DeviceOf(first))

	// Without rotation the old refresh token is kept.
	p.rotation = false
	tok, err := s.attempt()
	require.NoError(t, err)
	assert.Equal(t, first.RefreshToken, tok.RefreshToken)
}

// TestRotationReuse: RefreshTokenReuseException is a dead refresh token:
// one sign-in with the password, or ErrSignInRequired without one.
func TestRotationReuse(t *testing.T) {
	t.Parallel()
	clock := newClock(time.Now())
	p := newRotatingPool(clock, time.Hour)
	s, _ := testSource(t, baseConfig(), p, clock, expiredToken("alice", "stale"))
	tok, err := s.attempt()
	require.NoError(t, err)
	assert.Equal(t, 1, p.getCount())
	assert.Equal(t, 1, p.count(types.AuthFlowTypeUserPasswordAuth), "signed in again, once")
	assert.NotEqual(t, "stale", tok.RefreshToken)

	conf := baseConfig()
	conf.Password = ""
	s, _ = testSource(t, conf, p, clock, expiredToken("alice", "stale"))
	_, err = s.attempt()
	require.ErrorIs(t, err, ErrSignInRequired)
	var reuse *types.RefreshTokenReuseException
	require.ErrorAs(t, err, &reuse)
}

// TestRotationFallback: an endpoint without GetTokensFromRefreshToken
// (an emulator) is renewed with REFRESH_TOKEN_AUTH, and asked once only.
func TestRotationFallback(t *testing.T) {
	t.Parallel()
	for _, code := range []string{"Unsupported", "UnknownOperationException", "NotImplementedError"} {
		t.Run(code, func(t *testing.T) {
			t.Parallel()
			clock := newClock(time.Now())
			p := newRotatingPool(clock, time.Hour)
			p.getErr = &smithy.GenericAPIError{Code: code, Message: "not here"}
			s, _ := testSource(t, baseConfig(), p, clock, expiredToken("alice", "rt"))
			for range 3 {
				_, err := s.attempt()
				require.NoError(t, err)
			}
			assert.Equal(t, 1, p.getCount(), "asked once")
			assert.Equal(t, 3, p.count(types.AuthFlowTypeRefreshTokenAuth))
		})
	}
	// A real Cognito fault is not taken for a missing operation.
	clock := newClock(time.Now())
	p := newRotatingPool(clock, time.Hour)
	p.getErr = &types.InternalErrorException{Message: aws.String("oops")}
	s, _ := testSource(t, baseConfig(), p, clock, expiredToken("alice", "rt"))
	_, err := s.attempt()
	var internal *types.InternalErrorException
	require.ErrorAs(t, err, &internal)
	assert.Zero(t, p.count(types.AuthFlowTypeRefreshTokenAuth))
}

// TestStoreStartsFromSession: with a Store, a source given no token starts
// from the stored session, without a network call while it is fresh, and
// renews with its refresh token after.
func TestStoreStartsFromSession(t *testing.T) {
	t.Parallel()
	clock := newClock(time.Now())
	p := newRotatingPool(clock, time.Hour)
	p.live["stored-rt"] = true
	r := tokens("alice", clock.Now(), time.Hour, true, "", 1)
	dev := &Device{Key: "k", GroupKey: "g", Password: "p"}
	store := &memStore{ses: &Session{AccessToken: *r.AccessToken, IDToken: *r.IdToken, RefreshToken: "stored-rt", Expiry: clock.Now().Add(time.Hour), Device: dev}}
	conf := baseConfig()
	conf.Store = store
	_, c := testSource(t, conf, p, clock, nil)
	tok, err := c.Token()
	require.NoError(t, err)
	assert.Equal(t, *r.AccessToken, tok.AccessToken)
	assert.Equal(t, dev, DeviceOf(tok))
	assert.Empty(t, p.inits, "no sign-in")
	assert.Zero(t, p.getCount())

	clock.Advance(time.Hour)
	tok, err = c.Token()
	require.NoError(t, err)
	assert.Equal(t, 1, p.getCount(), "renewed with the stored refresh token")
	assert.Equal(t, "k", aws.ToString(p.lastIn.DeviceKey), "and the stored device")
	saved := store.get()
	require.NotNil(t, saved)
	assert.Equal(t, tok.RefreshToken, saved.RefreshToken, "the rotated refresh token is saved")
	assert.NotEqual(t, "stored-rt", saved.RefreshToken)
	assert.Equal(t, tok.Expiry, saved.Expiry)
	assert.Equal(t, IDToken(tok), saved.IDToken)
	assert.Equal(t, dev, saved.Device)
	assert.Equal(t, 1, store.loads, "a store no one shares is read once")
}

// TestStoreSaveFails: a failing Save loses nothing: the token is handed
// out, the failure logged, and the next change saved.
func TestStoreSaveFails(t *testing.T) {
	t.Parallel()
	clock := newClock(time.Now())
	p := newRotatingPool(clock, time.Hour)
	store := &memStore{saveErr: errors.New("disk full")}
	var logged strings.Builder
	var mu sync.Mutex
	conf := baseConfig()
	conf.Store = store
	conf.Logger = slog.New(slog.NewTextHandler(lockedWriter{&mu, &logged}, nil))
	_, c := testSource(t, conf, p, clock, nil)
	tok, err := c.Token()
	require.NoError(t, err)
	mu.Lock()
	assert.Contains(t, logged.String(), "disk full")
	assert.NotContains(t, logged.String(), tok.RefreshToken)
	mu.Unlock()
	assert.Nil(t, store.get())

	store.mu.Lock()
	store.saveErr = nil
	store.mu.Unlock()
	clock.Advance(time.Hour)
	tok, err = c.Token()
	require.NoError(t, err)
	require.NotNil(t, store.get())
	assert.Equal(t, tok.RefreshToken, store.get().RefreshToken)

	// A store that cannot be read fails the attempt, briefly: a new
	// sign-in would replace a session that may be fine (and its device).
	errDisk := errors.New("i/o error")
	store = &memStore{loadErr: errDisk}
	conf.Store = store
	_, c = testSource(t, conf, p, clock, nil)
	signIns := p.count(types.AuthFlowTypeUserPasswordAuth)
	_, err = c.Token()
	require.ErrorIs(t, err, errDisk)
	assert.Equal(t, signIns, p.count(types.AuthFlowTypeUserPasswordAuth))
	clock.Advance(2 * time.Second) // the short back-off
	store.mu.Lock()
	store.loadErr = nil
	store.mu.Unlock()
	_, err = c.Token()
	require.NoError(t, err)

	// What is not a session at all is logged and replaced.
	store = &memStore{loadErr: fmt.Errorf("%w: not JSON", ErrSessionFormat)}
	conf.Store = store
	_, c = testSource(t, conf, p, clock, nil)
	_, err = c.Token()
	require.NoError(t, err)
	assert.NotNil(t, store.get())
}

type lockedWriter struct {
	mu *sync.Mutex
	b  *strings.Builder
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

// TestStoreShared: two sources sharing a locked store (two processes)
// renew once per expiry, and neither loses the rotated refresh token.
func TestStoreShared(t *testing.T) {
	t.Parallel()
	clock := newClock(time.Now())
	p := newRotatingPool(clock, time.Hour)
	p.password = "s3cret pw"
	store := &sharedStore{}
	conf := baseConfig()
	conf.Store = store
	_, a := testSource(t, conf, p, clock, nil)
	_, b := testSource(t, conf, p, clock, nil)
	ta, err := a.Token()
	require.NoError(t, err)
	tb, err := b.Token()
	require.NoError(t, err)
	assert.Equal(t, ta.AccessToken, tb.AccessToken, "b took a's session")
	assert.Equal(t, 1, p.count(types.AuthFlowTypeUserPasswordAuth), "one sign-in for both")

	for range 3 {
		clock.Advance(time.Hour)
		ta, err = a.Token()
		require.NoError(t, err)
		tb, err = b.Token()
		require.NoError(t, err, "b must not renew with the refresh token a rotated away")
		assert.Equal(t, ta.RefreshToken, tb.RefreshToken)
	}
	assert.Equal(t, 3, p.getCount(), "one renewal per expiry")
	assert.Equal(t, 1, p.count(types.AuthFlowTypeUserPasswordAuth))
	assert.Equal(t, ta.RefreshToken, store.get().RefreshToken)
}

// TestStoreRefusesForeignSession: a stored session of another pool is
// not used.
func TestStoreRefusesForeignSession(t *testing.T) {
	t.Parallel()
	clock := newClock(time.Now())
	p := newRotatingPool(clock, time.Hour)
	foreign := fakeJWT(map[string]any{"iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other", "exp": clock.Now().Add(time.Hour).Unix(), "username": "alice"})
	store := &memStore{ses: &Session{AccessToken: foreign, RefreshToken: "x", Expiry: clock.Now().Add(time.Hour)}}
	conf := baseConfig()
	conf.Store = store
	conf.Logger = slog.New(slog.DiscardHandler)
	_, c := testSource(t, conf, p, clock, nil)
	tok, err := c.Token()
	require.NoError(t, err)
	assert.NotEqual(t, foreign, tok.AccessToken)
	assert.Equal(t, 1, p.count(types.AuthFlowTypeUserPasswordAuth))
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// BenchmarkRenewWithStore is one renewal (against an in-memory fake pool)
// with no store, with a store in memory, and with a FileStore (lock,
// load, atomic save): what keeping the session costs each renewal.
func BenchmarkRenewWithStore(b *testing.B) {
	for _, tc := range []struct {
		name  string
		store func(b *testing.B) Store
	}{
		{"none", func(*testing.B) Store { return nil }},
		{"memory", func(*testing.B) Store { return &sharedStore{} }},
		{"FileStore", func(b *testing.B) Store { return NewFileStore(b.TempDir() + "/session.json") }},
	} {
		b.Run(tc.name, func(b *testing.B) {
			clock := newClock(time.Now())
			p := newRotatingPool(clock, time.Hour)
			conf := baseConfig()
			conf.Store = tc.store(b)
			s, _ := testSource(b, conf, p, clock, nil)
			if _, err := s.renew(); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				clock.Advance(time.Hour)
				if _, err := s.renew(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestStoreOtherClient: a stored session of another app client is not
// used; one holding only a refresh token and a device is renewed.
func TestStoreOtherClient(t *testing.T) {
	t.Parallel()
	clock := newClock(time.Now())
	p := newRotatingPool(clock, time.Hour)
	other := fakeJWT(map[string]any{"client_id": "another-client", "exp": clock.Now().Add(time.Hour).Unix(), "username": "bob"})
	store := &memStore{ses: &Session{AccessToken: other, RefreshToken: "x", Expiry: clock.Now().Add(time.Hour)}}
	conf := baseConfig()
	conf.Store = store
	conf.Logger = discardLogger()
	_, c := testSource(t, conf, p, clock, nil)
	tok, err := c.Token()
	require.NoError(t, err)
	assert.NotEqual(t, other, tok.AccessToken)
	assert.Equal(t, 1, p.count(types.AuthFlowTypeUserPasswordAuth))

	p.live["only-rt"] = true
	dev := &Device{Key: "k", GroupKey: "g", Password: "p"}
	store = &memStore{ses: &Session{RefreshToken: "only-rt", Device: dev}}
	conf.Store = store
	_, c = testSource(t, conf, p, clock, nil)
	tok, err = c.Token()
	require.NoError(t, err)
	assert.Equal(t, 1, p.count(types.AuthFlowTypeUserPasswordAuth), "renewed, no sign-in")
	assert.Equal(t, "k", aws.ToString(p.lastIn.DeviceKey))
	assert.Equal(t, dev, DeviceOf(tok))
}
