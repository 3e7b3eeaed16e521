package identitypool

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ci "github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentity/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/seed-e8acf5fd/cognito"
)

const (
	testIdentityPool = "eu-west-1:0a1b2c3d-0000-4000-8000-000000000001"
	testUserPool     = "eu-west-1_AbC123"
	testProviderKey  = "cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123"
	testIdentity     = "eu-west-1:11111111-2222-4333-8444-555555555555"
)

// idToken returns an unsigned JWT with the given exp and a serial number,
// so that two tokens differ.
func idToken(t *testing.T, exp time.Time, serial int) string {
	t.Helper()
	payload, err := json.Marshal(map[string]any{"token_use": "id", "exp": exp.Unix(), "iat": exp.Add(-time.Hour).Unix(), "jti": serial})
	require.NoError(t, err)
	return "eyJhbGciOiJub25lIn0." + base64.RawURLEncoding.EncodeToString(payload) + ".sig"
}

// tokens is a token source that hands out its ID tokens in turn, the last
// one again and again, and counts the calls.
type tokens struct {
	mu    sync.Mutex
	ids   []string
	calls int
	err   error
}

func (s *tokens) Token() (*oauth2.Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	if s.err != nil {
		return nil, s.err
	}
	id := s.ids[min(s.calls, len(s.ids))-1]
	return (&oauth2.Token{AccessToken: "access", Expiry: time.Now().Add(time.Hour)}).WithExtra(map[string]any{"id_token": id}), nil
}

func (s *tokens) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls
}

// fakeAPI records the calls and answers with its functions.
type fakeAPI struct {
	mu       sync.Mutex
	getIDs   []*ci.GetIdInput
	getCreds []*ci.GetCredentialsForIdentityInput
	// creds answers the n-th (from 1) GetCredentialsForIdentity.
	creds func(n int, in *ci.GetCredentialsForIdentityInput) (*ci.GetCredentialsForIdentityOutput, error)
	getID func(in *ci.GetIdInput) (*ci.GetIdOutput, error)
}

func (f *fakeAPI) GetId(_ context.Context, in *ci.GetIdInput, _ ...func(*ci.Options)) (*ci.GetIdOutput, error) {
	f.mu.Lock()
	f.getIDs = append(f.getIDs, in)
	f.mu.Unlock()
	if f.getID != nil {
		return f.getID(in)
	}
	return &ci.GetIdOutput{IdentityId: aws.String(testIdentity)}, nil
}

func (f *fakeAPI) GetCredentialsForIdentity(_ context.Context, in *ci.GetCredentialsForIdentityInput, _ ...func(*ci.Options)) (*ci.GetCredentialsForIdentityOutput, error) {
	f.mu.Lock()
	f.getCreds = append(f.getCreds, in)
	n := len(f.getCreds)
	f.mu.Unlock()
	return f.creds(n, in)
}

func (f *fakeAPI) counts() (getID, getCreds int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.getIDs), len(f.getCreds)
}

// issue answers with credentials numbered n, expiring at exp.
func issue(n int, exp time.Time) (*ci.GetCredentialsForIdentityOutput, error) {
	return &ci.GetCredentialsForIdentityOutput{
		IdentityId: aws.String(testIdentity),
		Credentials: &types.Credentials{
			AccessKeyId:  aws.String(fmt.Sprintf("ASIAKEY%09d", n)),
			SecretKey:    aws.String("secret-" + fmt.Sprint(n)),
			SessionToken: aws.String("session-" + fmt.Sprint(n)),
			Expiration:   aws.Time(exp),
		},
	}, nil
}

func validFor(d time.Duration) func(int, *ci.GetCredentialsForIdentityInput) (*ci.GetCredentialsForIdentityOutput, error) {
	return func(n int, _ *ci.GetCredentialsForIdentityInput) (*ci.GetCredentialsForIdentityOutput, error) {
		return issue(n, time.Now().Add(d))
	}
}

func TestRetrieve(t *testing.T) {
	t.Parallel()
	id := idToken(t, time.Now().Add(time.Hour), 1)
	src := &tokens{ids: []string{id}}
	api := &fakeAPI{creds: validFor(time.Hour)}
	conf := &Config{IdentityPoolID: testIdentityPool, UserPoolID: testUserPool, Tokens: src, API: api, CustomRoleArn: "arn:aws:iam::123456789012:role/r"}
	p := conf.CredentialsProvider()
	creds, err := p.Retrieve(context.Background())
	require.NoError(t, err)

	assert.Equal(t, "ASIAKEY000000001", creds.AccessKeyID)
	assert.Equal(t, "secret-1", creds.SecretAccessKey)
	assert.Equal(t, "session-1", creds.SessionToken)
	assert.Equal(t, ProviderName, creds.Source)
	assert.True(t, creds.CanExpire)
	assert.WithinDuration(t, time.Now().Add(time.Hour-DefaultEarlyExpiry), creds.Expires, 5*time.Second, "renewed a minute early")

	require.Len(t, api.getIDs, 1)
	assert.Equal(t, testIdentityPool, aws.ToString(api.getIDs[0].IdentityPoolId))
	assert.Equal(t, map[string]string{testProviderKey: id}, api.getIDs[0].Logins)
	require.Len(t, api.getCreds, 1)
	assert.Equal(t, testIdentity, aws.ToString(api.getCreds[0].IdentityId))
	assert.Equal(t, map[string]string{testProviderKey: id}, api.getCreds[0].Logins)
	assert.Equal(t, "arn:aws:iam::123456789012:role/r", aws.ToString(api.getCreds[0].CustomRoleArn))

	again, err := p.Retrieve(context.Background())
	require.NoError(t, err)
	assert.Equal(t, creds, again)
	getID, getCreds := api.counts()
	assert.Equal(t, 1, getID)
	assert.Equal(t, 1, getCreds, "valid credentials are reused")
	assert.Equal(t, 1, src.count())
}

func TestRenewalKeepsIdentity(t *testing.T) {
	t.Parallel()
	src := &tokens{ids: []string{idToken(t, time.Now().Add(time.Hour), 1)}}
	// The first credentials have expired already: the next Retrieve renews.
	api := &fakeAPI{creds: func(n int, _ *ci.GetCredentialsForIdentityInput) (*ci.GetCredentialsForIdentityOutput, error) {
		if n == 1 {
			return issue(n, time.Now().Add(-time.Second))
		}
		return issue(n, time.Now().Add(time.Hour))
	}}
	p := (&Config{IdentityPoolID: testIdentityPool, UserPoolID: testUserPool, Tokens: src, API: api}).CredentialsProvider()
	first, err := p.Retrieve(context.Background())
	require.NoError(t, err)
	second, err := p.Retrieve(context.Background())
	require.NoError(t, err)
	assert.NotEqual(t, first.AccessKeyID, second.AccessKeyID)
	getID, getCreds := api.counts()
	assert.Equal(t, 1, getID, "GetId once per provider")
	assert.Equal(t, 2, getCreds)
}

func TestKnownIdentityID(t *testing.T) {
	t.Parallel()
	src := &tokens{ids: []string{idToken(t, time.Now().Add(time.Hour), 1)}}
	api := &fakeAPI{creds: validFor(time.Hour)}
	p := (&Config{IdentityPoolID: testIdentityPool, UserPoolID: testUserPool, Tokens: src, API: api, IdentityID: "eu-west-1:known"}).CredentialsProvider()
	_, err := p.Retrieve(context.Background())
	require.NoError(t, err)
	getID, _ := api.counts()
	assert.Zero(t, getID)
	assert.Equal(t, "eu-west-1:known", aws.ToString(api.getCreds[0].IdentityId))
}

func TestConcurrentRetrieveSharesOneCall(t *testing.T) {
	t.Parallel()
	src := &tokens{ids: []string{idToken(t, time.Now().Add(time.Hour), 1)}}
	release := make(chan struct{})
	api := &fakeAPI{creds: func(n int, _ *ci.GetCredentialsForIdentityInput) (*ci.GetCredentialsForIdentityOutput, error) {
		<-release
		return issue(n, time.Now().Add(time.Hour))
	}}
	p := (&Config{IdentityPoolID: testIdentityPool, UserPoolID: testUserPool, Tokens: src, API: api}).CredentialsProvider()
	const n = 32
	var wg sync.WaitGroup
	keys := make([]string, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			c, err := p.Retrieve(context.Background())
			keys[i], errs[i] = c.AccessKeyID, err
		})
	}
	time.Sleep(50 * time.Millisecond) // let the callers pile up behind the first
	close(release)
	wg.Wait()
	for i := range n {
		require.NoError(t, errs[i])
		assert.Equal(t, "ASIAKEY000000001", keys[i])
	}
	getID, getCreds := api.counts()
	assert.Equal(t, 1, getID)
	assert.Equal(t, 1, getCreds)
	assert.Equal(t, 1, src.count())
}

func notAuthorized(msg string) error {
	return &types.NotAuthorizedException{Message: aws.String(msg)}
}

func TestExpiredLoginRenewedOnce(t *testing.T) {
	t.Parallel()
	// The source's first ID token is valid by the local clock but the
	// identity pool finds it expired (clock skew); its second is new.
	old, renewed := idToken(t, time.Now().Add(time.Hour), 1), idToken(t, time.Now().Add(time.Hour), 2)
	t.Run("GetCredentialsForIdentity", func(t *testing.T) {
		t.Parallel()
		src := &tokens{ids: []string{old, renewed}}
		api := &fakeAPI{creds: func(n int, in *ci.GetCredentialsForIdentityInput) (*ci.GetCredentialsForIdentityOutput, error) {
			if in.Logins[testProviderKey] == old {
				return nil, notAuthorized("Invalid login token. Token expired: 1700000000 >= 1600000000")
			}
			return issue(n, time.Now().Add(time.Hour))
		}}
		p := (&Config{IdentityPoolID: testIdentityPool, UserPoolID: testUserPool, Tokens: src, API: api}).CredentialsProvider()
		creds, err := p.Retrieve(context.Background())
		require.NoError(t, err)
		assert.Equal(t, "ASIAKEY000000002", creds.AccessKeyID)
		assert.Equal(t, 2, src.count())
		assert.Equal(t, renewed, api.getCreds[1].Logins[testProviderKey])
	})
	t.Run("GetId", func(t *testing.T) {
		t.Parallel()
		src := &tokens{ids: []string{old, renewed}}
		api := &fakeAPI{creds: validFor(time.Hour), getID: func(in *ci.GetIdInput) (*ci.GetIdOutput, error) {
			if in.Logins[testProviderKey] == old {
				return nil, notAuthorized("Invalid login token. Token expired: 1700000000 >= 1600000000")
			}
			return &ci.GetIdOutput{IdentityId: aws.String(testIdentity)}, nil
		}}
		p := (&Config{IdentityPoolID: testIdentityPool, UserPoolID: testUserPool, Tokens: src, API: api}).CredentialsProvider()
		_, err := p.Retrieve(context.Background())
		require.NoError(t, err)
		getID, getCreds := api.counts()
		assert.Equal(t, 2, getID)
		assert.Equal(t, 1, getCreds)
		assert.Equal(t, renewed, api.getCreds[0].Logins[testProviderKey])
	})
	t.Run("no newer token", func(t *testing.T) {
		t.Parallel()
		src := &tokens{ids: []string{old}}
		api := &fakeAPI{creds: func(int, *ci.GetCredentialsForIdentityInput) (*ci.GetCredentialsForIdentityOutput, error) {
			return nil, notAuthorized("Invalid login token. Token expired: 1700000000 >= 1600000000")
		}}
		p := (&Config{IdentityPoolID: testIdentityPool, UserPoolID: testUserPool, Tokens: src, API: api}).CredentialsProvider()
		_, err := p.Retrieve(context.Background())
		var na *types.NotAuthorizedException
		require.ErrorAs(t, err, &na)
		assert.Contains(t, err.Error(), "cognito/identitypool:")
		_, getCreds := api.counts()
		assert.Equal(t, 1, getCreds, "the same token is not sent again")
		assert.Equal(t, 2, src.count())
	})
	t.Run("other refusal", func(t *testing.T) {
		t.Parallel()
		src := &tokens{ids: []string{old, renewed}}
		api := &fakeAPI{creds: func(int, *ci.GetCredentialsForIdentityInput) (*ci.GetCredentialsForIdentityOutput, error) {
			return nil, notAuthorized("Invalid login token. Issuer doesn't match providerName")
		}}
		p := (&Config{IdentityPoolID: testIdentityPool, UserPoolID: testUserPool, Tokens: src, API: api}).CredentialsProvider()
		_, err := p.Retrieve(context.Background())
		var na *types.NotAuthorizedException
		require.ErrorAs(t, err, &na)
		_, getCreds := api.counts()
		assert.Equal(t, 1, getCreds, "no retry")
		assert.Equal(t, 1, src.count())
	})
}

// TestLocallyExpiredToken checks that an ID token expired by its exp
// claim makes the provider ask the source once more before sending.
func TestLocallyExpiredToken(t *testing.T) {
	t.Parallel()
	expired, fresh := idToken(t, time.Now().Add(-time.Minute), 1), idToken(t, time.Now().Add(time.Hour), 2)
	src := &tokens{ids: []string{expired, fresh}}
	api := &fakeAPI{creds: validFor(time.Hour)}
	p := (&Config{IdentityPoolID: testIdentityPool, UserPoolID: testUserPool, Tokens: src, API: api}).CredentialsProvider()
	_, err := p.Retrieve(context.Background())
	require.NoError(t, err)
	assert.Equal(t, fresh, api.getIDs[0].Logins[testProviderKey])
	assert.Equal(t, fresh, api.getCreds[0].Logins[testProviderKey])
}

func TestErrors(t *testing.T) {
	t.Parallel()
	id := idToken(t, time.Now().Add(time.Hour), 1)
	for _, tc := range []struct {
		name    string
		conf    Config
		api     *fakeAPI
		src     *tokens
		wantAs  any
		wantIs  error
		wantMsg string
	}{
		{name: "bad identity pool ID", conf: Config{IdentityPoolID: "0a1b2c3d", UserPoolID: testUserPool}, wantMsg: "IdentityPoolID"},
		{name: "bad user pool ID", conf: Config{IdentityPoolID: testIdentityPool, UserPoolID: "AbC123"}, wantMsg: "UserPoolID"},
		{name: "nil Tokens", conf: Config{IdentityPoolID: testIdentityPool, UserPoolID: testUserPool}, src: nil, wantMsg: "Tokens is nil"},
		{name: "sign-in needed", src: &tokens{err: fmt.Errorf("%w: x", cognito.ErrSignInRequired)}, wantIs: cognito.ErrSignInRequired, wantMsg: "getting the user's tokens"},
		{name: "no ID token", src: &tokens{ids: []string{""}}, wantMsg: "no ID token"},
		{
			name: "echoed token redacted",
			api: &fakeAPI{creds: func(int, *ci.GetCredentialsForIdentityInput) (*ci.GetCredentialsForIdentityOutput, error) {
				return nil, notAuthorized("Invalid login token: " + id)
			}},
			wantAs: new(*types.NotAuthorizedException), wantMsg: "GetCredentialsForIdentity",
		},
		{
			name: "unknown identity pool",
			api: &fakeAPI{creds: validFor(time.Hour), getID: func(*ci.GetIdInput) (*ci.GetIdOutput, error) {
				return nil, &types.ResourceNotFoundException{Message: aws.String("IdentityPool 'x' not found.")}
			}},
			wantAs: new(*types.ResourceNotFoundException), wantMsg: "GetId",
		},
		{
			name: "incomplete credentials",
			api: &fakeAPI{creds: func(int, *ci.GetCredentialsForIdentityInput) (*ci.GetCredentialsForIdentityOutput, error) {
				return &ci.GetCredentialsForIdentityOutput{Credentials: &types.Credentials{AccessKeyId: aws.String("ASIA")}}, nil
			}},
			wantMsg: "lacks",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			conf := tc.conf
			if conf.IdentityPoolID == "" {
				conf = Config{IdentityPoolID: testIdentityPool, UserPoolID: testUserPool}
			}
			if tc.src != nil {
				conf.Tokens = tc.src
			} else if tc.wantMsg != "Tokens is nil" {
				conf.Tokens = &tokens{ids: []string{id}}
			}
			if tc.api != nil {
				conf.API = tc.api
			} else {
				conf.API = &fakeAPI{creds: validFor(time.Hour)}
			}
			_, err := conf.CredentialsProvider().Retrieve(context.Background())
			require.Error(t, err)
			assert.Contains(t, err.Error(), "cognito/identitypool: ")
			assert.Contains(t, err.Error(), tc.wantMsg)
			assert.NotContains(t, err.Error(), id)
			if tc.wantAs != nil {
				assert.ErrorAs(t, err, tc.wantAs)
			}
			if tc.wantIs != nil {
				assert.ErrorIs(t, err, tc.wantIs)
			}
		})
	}
}

func TestProviderKey(t *testing.T) {
	t.Parallel()
	assert.Equal(t, testProviderKey, ProviderKey(testUserPool))
	assert.Equal(t, "cognito-idp.us-gov-west-1.amazonaws.com/us-gov-west-1_X", ProviderKey("us-gov-west-1_X"))
}

// TestFailedRenewalKeepsValidCredentials runs the provider's clock five
// hours behind the cache's, with an EarlyExpiry of two hours: credentials
// valid for another hour are stale to the cache, so each Retrieve renews,
// while the provider sees them valid.
func TestFailedRenewalKeepsValidCredentials(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		err  error
		keep bool
	}{
		{"throttled", &types.TooManyRequestsException{Message: aws.String("Rate exceeded")}, true},
		{"server error", &types.InternalErrorException{Message: aws.String("boom")}, true},
		{"network", errors.New("dial tcp: connection refused"), true},
		{"refused", notAuthorized("Invalid login token. Issuer doesn't match providerName"), false},
		{"identity gone", &types.ResourceNotFoundException{Message: aws.String("Identity 'x' not found.")}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			src := &tokens{ids: []string{idToken(t, time.Now().Add(time.Hour), 1)}}
			api := &fakeAPI{creds: func(n int, _ *ci.GetCredentialsForIdentityInput) (*ci.GetCredentialsForIdentityOutput, error) {
				if n == 1 {
					return issue(n, time.Now().Add(time.Hour))
				}
				return nil, tc.err
			}}
			conf := &Config{IdentityPoolID: testIdentityPool, UserPoolID: testUserPool, Tokens: src, API: api, EarlyExpiry: 2 * time.Hour}
			p := conf.newProvider()
			p.now = func() time.Time { return time.Now().Add(-5 * time.Hour) }
			cache := aws.NewCredentialsCache(p)
			first, err := cache.Retrieve(context.Background())
			require.NoError(t, err)
			require.True(t, first.Expired(), "stale to the cache")

			second, err := cache.Retrieve(context.Background())
			_, getCreds := api.counts()
			assert.Equal(t, 2, getCreds, "a renewal was tried")
			if !tc.keep {
				require.Error(t, err)
				assert.ErrorIs(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, first.AccessKeyID, second.AccessKeyID)
			assert.Equal(t, first.SessionToken, second.SessionToken)
		})
	}
}

// TestBackoff checks when the credentials kept through a failure are
// renewed again: after a back-off that doubles up to its cap, never past
// their expiry; and not at all once they have expired.
func TestBackoff(t *testing.T) {
	t.Parallel()
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	p := (&Config{IdentityPoolID: testIdentityPool, UserPoolID: testUserPool, Tokens: &tokens{}, API: &fakeAPI{}}).newProvider()
	p.now = func() time.Time { return now }
	p.jitter = func() float64 { return 1 }
	p.last = aws.Credentials{AccessKeyID: "ASIAKEY", SecretAccessKey: "s", CanExpire: true, Expires: now.Add(45 * time.Second)}
	transient := &types.InternalErrorException{Message: aws.String("boom")}
	for _, want := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second, 30 * time.Second, 30 * time.Second} {
		c, err := p.HandleFailToRefresh(context.Background(), aws.Credentials{}, transient)
		require.NoError(t, err)
		assert.Equal(t, now.Add(want), c.Expires)
		assert.Equal(t, "ASIAKEY", c.AccessKeyID)
	}
	now = now.Add(30 * time.Second)
	c, err := p.HandleFailToRefresh(context.Background(), aws.Credentials{}, transient)
	require.NoError(t, err)
	assert.Equal(t, p.last.Expires, c.Expires, "never past the real expiry")

	now = p.last.Expires
	_, err = p.HandleFailToRefresh(context.Background(), aws.Credentials{}, transient)
	assert.ErrorIs(t, err, transient, "expired credentials are not served")

	// A success starts the back-off over.
	now = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	p.last.Expires = now.Add(time.Hour)
	p.failures = 0
	c, err = p.HandleFailToRefresh(context.Background(), aws.Credentials{}, transient)
	require.NoError(t, err)
	assert.Equal(t, now.Add(time.Second), c.Expires)
}

// TestEarlyExpiry checks how early credentials are renewed.
func TestEarlyExpiry(t *testing.T) {
	t.Parallel()
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name  string
		early time.Duration
		life  time.Duration
		want  time.Duration
	}{
		{"default", 0, time.Hour, time.Hour - time.Minute},
		{"configured", 10 * time.Minute, time.Hour, 50 * time.Minute},
		{"short life", 0, 90 * time.Second, 45 * time.Second},
		{"expired", 0, -time.Second, -time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := (&Config{IdentityPoolID: testIdentityPool, UserPoolID: testUserPool, Tokens: &tokens{}, EarlyExpiry: tc.early}).newProvider()
			p.now = func() time.Time { return now }
			got := p.early(aws.Credentials{CanExpire: true, Expires: now.Add(tc.life)})
			assert.Equal(t, now.Add(tc.want), got.Expires)
		})
	}
}

func TestDefaultAPI(t *testing.T) {
	t.Parallel()
	p := (&Config{IdentityPoolID: testIdentityPool, UserPoolID: testUserPool, Tokens: &tokens{}}).newProvider()
	client, ok := p.conf.API.(*ci.Client)
	require.True(t, ok, "%T", p.conf.API)
	assert.Equal(t, "eu-west-1", client.Options().Region)
	assert.Nil(t, client.Options().Credentials, "anonymous: the SDK keeps no provider, and signs nothing")
	assert.True(t, strings.HasPrefix(testIdentityPool, client.Options().Region+":"))
}

// TestErrorPrefix: what Retrieve returns starts with the package's prefix,
// not the cache's; like a CredentialsCache, it says what it wraps.
func TestErrorPrefix(t *testing.T) {
	t.Parallel()
	conf := &Config{IdentityPoolID: "not-a-pool-id", UserPoolID: "us-east-1_x", Tokens: oauth2.StaticTokenSource(&oauth2.Token{})}
	p := conf.CredentialsProvider()
	_, err := p.Retrieve(context.Background())
	require.Error(t, err)
	assert.True(t, strings.HasPrefix(err.Error(), "cognito/identitypool:"), err.Error())
	assert.True(t, aws.IsCredentialsProvider(p, (*provider)(nil)))
}
