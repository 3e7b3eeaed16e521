package cognitotest_test

import (
	"context"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/seed-e8acf5fd/cognito"
	"github.com/seed-e8acf5fd/cognito/cognitotest"
)

// callbackURL is the redirect URI the tests register; nothing listens
// there, the browser stops before it.
const callbackURL = "http://localhost:8080/callback"

// newOAuthServer starts a pool with callbackURL registered, closed when
// the test ends.
func newOAuthServer(t *testing.T, opts ...cognitotest.Option) *cognitotest.Server {
	t.Helper()
	srv := cognitotest.NewServer(append([]cognitotest.Option{cognitotest.WithCallbackURL(callbackURL)}, opts...)...)
	t.Cleanup(srv.Close)
	return srv
}

// oauthConfig is the stock golang.org/x/oauth2 configuration of the
// pool's app client, as an application would write it.
func oauthConfig(srv *cognitotest.Server, scopes ...string) *oauth2.Config {
	return &oauth2.Config{
		ClientID:     srv.ClientID,
		ClientSecret: srv.ClientSecret,
		Endpoint:     cognito.Endpoint(srv.Domain),
		RedirectURL:  callbackURL,
		Scopes:       scopes,
	}
}

// browser is an HTTP client with cookies standing in for a web browser: it
// follows redirects within the pool and stops at any other URL, the
// callback.
type browser struct {
	t      *testing.T
	srv    *cognitotest.Server
	client *http.Client
}

func newBrowser(t *testing.T, srv *cognitotest.Server) *browser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	host := strings.TrimPrefix(srv.Domain, "http://")
	client := &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, _ []*http.Request) error {
		if req.URL.Host != host {
			return http.ErrUseLastResponse
		}
		return nil
	}}
	return &browser{t: t, srv: srv, client: client}
}

// loginPage is what the browser got: a page of the pool, or a redirect
// out of it.
type loginPage struct {
	status   int
	header   http.Header
	body     string
	step     string     // the body's data-step
	errText  string     // the error shown, if any
	hidden   url.Values // the form's hidden fields
	location *url.URL   // where a redirect out of the pool goes
}

var (
	stepPattern   = regexp.MustCompile(`<body data-step="([^"]*)">`)
	errorPattern  = regexp.MustCompile(`<p id="error"[^>]*>([^<]*)</p>`)
	hiddenPattern = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)
)

func (b *browser) do(req *http.Request) *loginPage {
	b.t.Helper()
	resp, err := b.client.Do(req)
	require.NoError(b.t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(b.t, err)
	p := &loginPage{status: resp.StatusCode, header: resp.Header, body: string(raw), hidden: url.Values{}}
	if resp.StatusCode == http.StatusFound {
		p.location, err = url.Parse(resp.Header.Get("Location"))
		require.NoError(b.t, err)
		return p
	}
	if m := stepPattern.FindStringSubmatch(p.body); m != nil {
		p.step = m[1]
	}
	if m := errorPattern.FindStringSubmatch(p.body); m != nil {
		p.errText = html.UnescapeString(m[1])
	}
	for _, m := range hiddenPattern.FindAllStringSubmatch(p.body, -1) {
		p.hidden.Set(m[1], html.UnescapeString(m[2]))
	}
	return p
}

// get visits rawURL.
func (b *browser) get(rawURL string) *loginPage {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodGet, rawURL, nil)
	require.NoError(b.t, err)
	return b.do(req)
}

// submit posts the form of p with its hidden fields and fields.
func (b *browser) submit(p *loginPage, fields ...string) *loginPage {
	b.t.Helper()
	require.NotEmpty(b.t, p.hidden.Get("flow"), "no form on the page: %s", p.body)
	form := url.Values{}
	for k, v := range p.hidden {
		form[k] = v
	}
	for i := 0; i+1 < len(fields); i += 2 {
		form.Set(fields[i], fields[i+1])
	}
	req, err := http.NewRequest(http.MethodPost, b.srv.Domain+"/login", strings.NewReader(form.Encode()))
	require.NoError(b.t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

// signIn opens authURL and signs in with username and password.
func (b *browser) signIn(authURL, username, password string) *loginPage {
	b.t.Helper()
	p := b.get(authURL)
	require.Equal(b.t, "password", p.step, p.body)
	return b.submit(p, "username", username, "password", password)
}

// code returns the authorization code of a redirect to the callback.
func (p *loginPage) code(t *testing.T) string {
	t.Helper()
	require.NotNil(t, p.location, "no redirect: %d %s", p.status, p.body)
	require.Equal(t, callbackURL, p.location.Scheme+"://"+p.location.Host+p.location.Path)
	require.Empty(t, p.location.Query().Get("error"))
	code := p.location.Query().Get("code")
	require.NotEmpty(t, code)
	return code
}

// field returns the submatch of pattern in the page's body.
func (p *loginPage) field(t *testing.T, pattern string) string {
	t.Helper()
	m := regexp.MustCompile(pattern).FindStringSubmatch(p.body)
	require.NotNil(t, m, "%s not in %s", pattern, p.body)
	return html.UnescapeString(m[1])
}

// settableClock is a clock for WithClock that the test moves.
type settableClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *settableClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *settableClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func TestLoginPageForm(t *testing.T) {
	t.Parallel()
	srv := newOAuthServer(t)
	srv.AddUser("alice", "correct horse battery staple")
	b := newBrowser(t, srv)
	p := b.get(oauthConfig(srv).AuthCodeURL("st"))

	require.Equal(t, http.StatusOK, p.status)
	assert.Equal(t, "password", p.step)
	assert.Equal(t, "text/html; charset=utf-8", p.header.Get("Content-Type"))
	assert.Empty(t, p.header.Get("Access-Control-Allow-Origin"), "the login page is not for scripts")
	assert.Equal(t, "DENY", p.header.Get("X-Frame-Options"))
	assert.NotContains(t, p.header.Get("Content-Security-Policy"), "form-action", "it would block the redirect to the callback")
	for _, want := range []string{
		`<form id="form" method="post" action="/login"`,
		`<input id="username" name="username" type="text"`,
		`<input id="password" name="password" type="password"`,
		`<button id="submit" type="submit">`,
	} {
		assert.Contains(t, p.body, want)
	}
	assert.Len(t, p.hidden.Get("flow"), 43)
	assert.Len(t, p.hidden.Get("_csrf"), 43)
	assert.Equal(t, 1, srv.Calls("/oauth2/authorize"))
	assert.Equal(t, 1, srv.Calls("/login"))
}

func TestLoginPagePassword(t *testing.T) {
	t.Parallel()
	srv := newOAuthServer(t)
	srv.AddUser("alice", "correct horse battery staple")
	srv.AddAlias("alice", "alice@example.com")
	b := newBrowser(t, srv)
	authURL := oauthConfig(srv).AuthCodeURL("state-1")
	p := b.get(authURL)

	for _, try := range []struct{ name, password string }{
		{"alice", "wrong password"},
		{"nobody", "correct horse battery staple"},
	} {
		p = b.submit(p, "username", try.name, "password", try.password)
		require.Equal(t, http.StatusOK, p.status)
		assert.Equal(t, "password", p.step)
		assert.Equal(t, "Incorrect username or password.", p.errText)
		assert.Contains(t, p.body, `value="`+try.name+`"`, "the username is filled in again")
	}
	p = b.submit(p, "username", "")
	assert.Equal(t, "password", p.step)
	assert.Equal(t, "Enter your username and password.", p.errText)

	// The alias, in another letter case, signs in.
	p = b.submit(p, "username", "Alice@Example.com", "password", "correct horse battery staple")
	assert.Equal(t, http.StatusFound, p.status)
	p.code(t)
	assert.Equal(t, "state-1", p.location.Query().Get("state"))
}

func TestLoginPageFlowIsSingleUse(t *testing.T) {
	t.Parallel()
	srv := newOAuthServer(t)
	srv.AddUser("alice", "correct horse battery staple")
	b := newBrowser(t, srv)
	p := b.get(oauthConfig(srv).AuthCodeURL("st"))
	done := b.submit(p, "username", "alice", "password", "correct horse battery staple")
	require.Equal(t, http.StatusFound, done.status)

	replay := b.submit(p, "username", "alice", "password", "correct horse battery staple")
	assert.Equal(t, http.StatusBadRequest, replay.status)
	assert.Equal(t, "error", replay.step)
}

func TestLoginPageCSRF(t *testing.T) {
	t.Parallel()
	srv := newOAuthServer(t)
	srv.AddUser("alice", "correct horse battery staple")
	b := newBrowser(t, srv)
	p := b.get(oauthConfig(srv).AuthCodeURL("st"))

	// Another browser, without the cookie, posts the same form; then with
	// a cookie of its own.
	other := newBrowser(t, srv)
	got := other.submit(p, "username", "alice", "password", "correct horse battery staple")
	assert.Equal(t, http.StatusBadRequest, got.status)
	assert.Equal(t, "error", got.step)
	assert.Nil(t, got.location)
	require.Equal(t, "password", other.get(oauthConfig(srv).AuthCodeURL("st")).step)
	got = other.submit(p, "username", "alice", "password", "correct horse battery staple")
	assert.Equal(t, http.StatusBadRequest, got.status)

	// The same browser with a forged _csrf field.
	forged := *p
	forged.hidden = url.Values{"flow": {p.hidden.Get("flow")}, "_csrf": {strings.Repeat("A", 43)}}
	got = b.submit(&forged, "username", "alice", "password", "correct horse battery staple")
	assert.Equal(t, http.StatusBadRequest, got.status)

	// The page itself still works.
	got = b.submit(p, "username", "alice", "password", "correct horse battery staple")
	assert.Equal(t, http.StatusFound, got.status)
}

func TestLoginPageChallenges(t *testing.T) {
	t.Parallel()
	const secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
	totpCode := func(t *testing.T) string {
		code, err := totp.GenerateCode(secret, time.Now())
		require.NoError(t, err)
		return code
	}
	for _, tc := range []struct {
		name  string
		opts  []cognitotest.Option
		setup func(srv *cognitotest.Server)
		// answer answers the challenge pages until the callback.
		answer func(t *testing.T, srv *cognitotest.Server, b *browser, p *loginPage) *loginPage
	}{
		{
			name:  "NEW_PASSWORD_REQUIRED",
			setup: func(srv *cognitotest.Server) { srv.RequireNewPassword("alice", "name") },
			answer: func(t *testing.T, srv *cognitotest.Server, b *browser, p *loginPage) *loginPage {
				require.Equal(t, "NEW_PASSWORD_REQUIRED", p.step)
				assert.Contains(t, p.body, `<input id="new_password" name="new_password" type="password"`)
				assert.Contains(t, p.body, `<input id="attr-name" name="userAttributes.name" type="text" required>`)
				p = b.submit(p, "new_password", "short", "userAttributes.name", "Alice")
				require.Equal(t, "NEW_PASSWORD_REQUIRED", p.step)
				assert.Equal(t, "Password did not conform with policy: Password not long enough", p.errText)
				p = b.submit(p, "new_password", "a much longer password")
				require.Equal(t, "NEW_PASSWORD_REQUIRED", p.step)
				assert.Equal(t, "Invalid attributes given, name is missing", p.errText)
				p = b.submit(p, "new_password", "a much longer password", "userAttributes.name", "Alice")
				assert.Equal(t, "Alice", srv.UserAttribute("alice", "name"))
				return p
			},
		},
		{
			name:  "SMS_MFA",
			setup: func(srv *cognitotest.Server) { srv.SetSMSMFA("alice", "+15555550100") },
			answer: func(t *testing.T, srv *cognitotest.Server, b *browser, p *loginPage) *loginPage {
				require.Equal(t, "SMS_MFA", p.step)
				assert.Equal(t, "We sent a code to +*******0100.", p.field(t, `<p id="destination">([^<]*)</p>`))
				assert.Contains(t, p.body, `<input id="code" name="code" type="text"`)
				code := srv.LastCode("alice")
				p = b.submit(p, "code", wrongCode(code))
				require.Equal(t, "SMS_MFA", p.step)
				assert.Equal(t, "Invalid code or auth state for the user.", p.errText)
				assert.Equal(t, code, srv.LastCode("alice"), "a wrong code sends no new one")
				return b.submit(p, "code", code)
			},
		},
		{
			name:  "EMAIL_OTP",
			setup: func(srv *cognitotest.Server) { srv.SetEmailMFA("alice", "alice@example.com") },
			answer: func(t *testing.T, srv *cognitotest.Server, b *browser, p *loginPage) *loginPage {
				require.Equal(t, "EMAIL_OTP", p.step)
				assert.Equal(t, "We sent a code to a***@e***.com.", p.field(t, `<p id="destination">([^<]*)</p>`))
				return b.submit(p, "code", srv.LastCode("alice"))
			},
		},
		{
			name:  "SOFTWARE_TOKEN_MFA",
			setup: func(srv *cognitotest.Server) { srv.SetTOTP("alice", secret) },
			answer: func(t *testing.T, srv *cognitotest.Server, b *browser, p *loginPage) *loginPage {
				require.Equal(t, "SOFTWARE_TOKEN_MFA", p.step)
				return b.submit(p, "code", totpCode(t))
			},
		},
		{
			name: "SELECT_MFA_TYPE",
			setup: func(srv *cognitotest.Server) {
				srv.SetSMSMFA("alice", "+15555550100")
				srv.SetTOTP("alice", secret)
			},
			answer: func(t *testing.T, srv *cognitotest.Server, b *browser, p *loginPage) *loginPage {
				require.Equal(t, "SELECT_MFA_TYPE", p.step)
				assert.Contains(t, p.body, `<input type="radio" id="mfa_type-SMS_MFA" name="mfa_type" value="SMS_MFA" checked>`)
				assert.Contains(t, p.body, `<input type="radio" id="mfa_type-SOFTWARE_TOKEN_MFA" name="mfa_type" value="SOFTWARE_TOKEN_MFA">`)
				p = b.submit(p, "mfa_type", "EMAIL_OTP")
				require.Equal(t, "SELECT_MFA_TYPE", p.step, "a factor the user lacks is refused")
				assert.NotEmpty(t, p.errText)
				p = b.submit(p, "mfa_type", "SOFTWARE_TOKEN_MFA")
				require.Equal(t, "SOFTWARE_TOKEN_MFA", p.step)
				assert.Empty(t, srv.LastCode("alice"), "no SMS was sent")
				return b.submit(p, "code", totpCode(t))
			},
		},
		{
			name: "MFA_SETUP",
			opts: []cognitotest.Option{cognitotest.WithMFARequired()},
			answer: func(t *testing.T, srv *cognitotest.Server, b *browser, p *loginPage) *loginPage {
				require.Equal(t, "MFA_SETUP", p.step)
				key := p.field(t, `<code id="secret">([A-Z2-7]+)</code>`)
				uri := p.field(t, `<code id="otpauth">([^<]+)</code>`)
				assert.Contains(t, uri, "secret="+key)
				p = b.submit(p, "code", "000000")
				require.Equal(t, "MFA_SETUP", p.step)
				assert.Equal(t, "Code mismatch and fail enable Software Token MFA", p.errText)
				assert.Empty(t, srv.TOTPSecret("alice"))
				code, err := totp.GenerateCode(key, time.Now())
				require.NoError(t, err)
				p = b.submit(p, "code", code)
				assert.Equal(t, key, srv.TOTPSecret("alice"), "the authenticator is the user's now")
				return p
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := newOAuthServer(t, tc.opts...)
			srv.AddUser("alice", "correct horse battery staple")
			if tc.setup != nil {
				tc.setup(srv)
			}
			conf := oauthConfig(srv, "openid")
			verifier := oauth2.GenerateVerifier()
			b := newBrowser(t, srv)
			p := b.signIn(conf.AuthCodeURL("st", oauth2.S256ChallengeOption(verifier)), "alice", "correct horse battery staple")
			require.Equal(t, http.StatusOK, p.status, p.body)
			p = tc.answer(t, srv, b, p)
			tok, err := conf.Exchange(context.Background(), p.code(t), oauth2.VerifierOption(verifier))
			require.NoError(t, err)
			assert.NotEmpty(t, cognito.IDToken(tok))
		})
	}
}

// wrongCode returns a six-digit code other than code.
func wrongCode(code string) string {
	if code == "000000" {
		return "111111"
	}
	return "000000"
}

func TestLoginPageTooManyWrongCodes(t *testing.T) {
	t.Parallel()
	srv := newOAuthServer(t)
	srv.AddUser("alice", "correct horse battery staple")
	srv.SetSMSMFA("alice", "+15555550100")
	b := newBrowser(t, srv)
	p := b.signIn(oauthConfig(srv).AuthCodeURL("st"), "alice", "correct horse battery staple")
	require.Equal(t, "SMS_MFA", p.step)
	code := srv.LastCode("alice")
	for i := 1; i < 5; i++ {
		p = b.submit(p, "code", wrongCode(code))
		require.Equal(t, "SMS_MFA", p.step, "attempt %d", i)
	}
	p = b.submit(p, "code", wrongCode(code))
	assert.Equal(t, "password", p.step, "the fifth wrong code starts over")
	assert.Equal(t, "Invalid code or auth state for the user.", p.errText)

	// Starting over sends a new code, and the old one no longer works.
	p = b.submit(p, "username", "alice", "password", "correct horse battery staple")
	require.Equal(t, "SMS_MFA", p.step)
	newCode := srv.LastCode("alice")
	if newCode != code {
		p = b.submit(p, "code", code)
		require.Equal(t, "SMS_MFA", p.step)
	}
	p = b.submit(p, "code", newCode)
	p.code(t)
}

func TestLoginPageExpiredChallenge(t *testing.T) {
	t.Parallel()
	clock := &settableClock{now: time.Now()}
	srv := newOAuthServer(t, cognitotest.WithClock(clock.Now))
	srv.AddUser("alice", "correct horse battery staple")
	srv.SetSMSMFA("alice", "+15555550100")
	b := newBrowser(t, srv)
	p := b.signIn(oauthConfig(srv).AuthCodeURL("st"), "alice", "correct horse battery staple")
	require.Equal(t, "SMS_MFA", p.step)
	clock.Advance(3 * time.Minute)
	p = b.submit(p, "code", srv.LastCode("alice"))
	assert.Equal(t, "password", p.step)
	assert.Equal(t, "Invalid session for the user, session is expired.", p.errText)
}

func TestLoginPageUnanswerableChallenge(t *testing.T) {
	t.Parallel()
	srv := newOAuthServer(t)
	srv.AddUser("alice", "correct horse battery staple")
	srv.RequireChallenge("alice", "SOFTWARE_TOKEN_MFA")
	b := newBrowser(t, srv)
	p := b.signIn(oauthConfig(srv).AuthCodeURL("st"), "alice", "correct horse battery staple")
	assert.Equal(t, "password", p.step)
	assert.Contains(t, p.errText, "RequireChallenge")
	assert.Nil(t, p.location)
}

func TestLoginSession(t *testing.T) {
	t.Parallel()
	clock := &settableClock{now: time.Now()}
	srv := newOAuthServer(t, cognitotest.WithClock(clock.Now), cognitotest.WithSignOutURL("http://localhost:8080/signed-out"))
	srv.AddUser("alice", "correct horse battery staple")
	srv.SetSMSMFA("alice", "+15555550100")
	conf := oauthConfig(srv, "openid")
	b := newBrowser(t, srv)
	p := b.signIn(conf.AuthCodeURL("one"), "alice", "correct horse battery staple")
	first := b.submit(p, "code", srv.LastCode("alice")).code(t)

	// The same browser signs in again without the form, and without MFA.
	clock.Advance(10 * time.Minute)
	pages := srv.Calls("/login")
	again := b.get(conf.AuthCodeURL("two"))
	second := again.code(t)
	assert.NotEqual(t, first, second)
	assert.Equal(t, "two", again.location.Query().Get("state"))
	assert.Equal(t, pages, srv.Calls("/login"), "no login page this time")
	tok, err := conf.Exchange(context.Background(), second)
	require.NoError(t, err)
	assert.Equal(t, float64(clock.Now().Add(-10*time.Minute).Unix()), claimsOf(t, tok.AccessToken)["auth_time"], "auth_time is the sign-in's")

	// Another browser has no session.
	assert.Equal(t, "password", newBrowser(t, srv).get(conf.AuthCodeURL("x")).step)

	// An unregistered sign-out URL is refused, and the session lives on.
	bad := b.get(srv.Domain + "/logout?" + url.Values{"client_id": {srv.ClientID}, "logout_uri": {"http://localhost:8080/elsewhere"}}.Encode())
	assert.Equal(t, http.StatusBadRequest, bad.status)
	assert.Equal(t, "error", bad.step)
	assert.NotNil(t, b.get(conf.AuthCodeURL("still")).location)

	// /logout ends it and goes to the sign-out URL.
	out := b.get(srv.Domain + "/logout?" + url.Values{"client_id": {srv.ClientID}, "logout_uri": {"http://localhost:8080/signed-out"}}.Encode())
	require.Equal(t, http.StatusFound, out.status)
	assert.Equal(t, "http://localhost:8080/signed-out", out.location.String())
	assert.Equal(t, "password", b.get(conf.AuthCodeURL("three")).step)

	// The session lasts an hour.
	p = b.signIn(conf.AuthCodeURL("four"), "alice", "correct horse battery staple")
	b.submit(p, "code", srv.LastCode("alice")).code(t)
	clock.Advance(59 * time.Minute)
	assert.NotNil(t, b.get(conf.AuthCodeURL("five")).location)
	clock.Advance(time.Minute)
	assert.Equal(t, "password", b.get(conf.AuthCodeURL("six")).step)
}

func TestLogoutToLogin(t *testing.T) {
	t.Parallel()
	srv := newOAuthServer(t)
	srv.AddUser("alice", "correct horse battery staple")
	conf := oauthConfig(srv)
	b := newBrowser(t, srv)
	b.signIn(conf.AuthCodeURL("one"), "alice", "correct horse battery staple").code(t)

	// With the parameters of /oauth2/authorize instead of logout_uri, the
	// browser signs out and lands on the login form.
	u, err := url.Parse(conf.AuthCodeURL("two"))
	require.NoError(t, err)
	p := b.get(srv.Domain + "/logout?" + u.RawQuery)
	assert.Equal(t, "password", p.step)

	for _, q := range []url.Values{
		{"client_id": {"someoneelse"}, "logout_uri": {"http://localhost:8080/signed-out"}},
		{"client_id": {srv.ClientID}},
	} {
		p := b.get(srv.Domain + "/logout?" + q.Encode())
		assert.Equal(t, http.StatusBadRequest, p.status, q)
		assert.Equal(t, "error", p.step)
	}
}

func TestLoginPageConcurrentPosts(t *testing.T) {
	t.Parallel()
	srv := newOAuthServer(t)
	srv.AddUser("alice", "correct horse battery staple")
	conf := oauthConfig(srv, "openid")

	// Many browsers at once, each through to its tokens.
	t.Run("browsers", func(t *testing.T) {
		for i := range 8 {
			t.Run(strconv.Itoa(i), func(t *testing.T) {
				t.Parallel()
				verifier := oauth2.GenerateVerifier()
				p := newBrowser(t, srv).signIn(conf.AuthCodeURL("st", oauth2.S256ChallengeOption(verifier)), "alice", "correct horse battery staple")
				_, err := conf.Exchange(context.Background(), p.code(t), oauth2.VerifierOption(verifier))
				require.NoError(t, err)
			})
		}
	})

	// One page posted twice at once (a double click): one code only.
	b := newBrowser(t, srv)
	p := b.get(conf.AuthCodeURL("st"))
	form := url.Values{"username": {"alice"}, "password": {"correct horse battery staple"}}
	for k, v := range p.hidden {
		form[k] = v
	}
	statuses := make(chan int, 2)
	for range 2 {
		go func() {
			resp, err := b.client.PostForm(srv.Domain+"/login", form)
			if err != nil {
				statuses <- 0
				return
			}
			resp.Body.Close()
			statuses <- resp.StatusCode
		}()
	}
	assert.ElementsMatch(t, []int{http.StatusFound, http.StatusBadRequest}, []int{<-statuses, <-statuses})
}
