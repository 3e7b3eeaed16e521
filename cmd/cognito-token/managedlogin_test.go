package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"io/fs"
	mathrand "math/rand/v2"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-e8acf5fd/cognito/cognitotest"
)

// freeRedirectURL is a callback URL on a loopback port that was free a
// moment ago. The port is below the kernel's range of ephemeral ports, so
// that no listener on port 0 (an httptest server, cognitotest) and no
// outgoing connection of a test running meanwhile can take it before the
// login listens there; each call of the test binary gets another port.
func freeRedirectURL(t *testing.T) string {
	t.Helper()
	for range 1000 {
		port := int(nextPort.Add(1))
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err != nil {
			continue
		}
		require.NoError(t, l.Close())
		return "http://localhost:" + strconv.Itoa(port) + "/callback"
	}
	t.Fatal("no free port for a callback URL")
	return ""
}

// nextPort is the port before the next one freeRedirectURL tries.
var nextPort = func() *atomic.Int32 {
	low := 32768 // Linux's default start of the ephemeral ports
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		if f := strings.Fields(string(b)); len(f) == 2 {
			if n, err := strconv.Atoi(f[0]); err == nil {
				low = n
			}
		}
	}
	// A few thousand ports below it, from a random place, so that test
	// binaries run at once seldom meet.
	first := max(low-8000, 1024) + mathrand.IntN(4000)
	var p atomic.Int32
	p.Store(int32(first))
	return &p
}()

// browserHarness returns a harness for login --browser with a pool that
// is never reached: the tests using it end before the code is exchanged.
func browserHarness(t *testing.T, redirect string) *harness {
	return newHarness(t, map[string]string{
		envUserPoolID:  "us-east-1_Browser",
		envClientID:    "browserclient",
		envDomain:      "http://127.0.0.1:9",
		envRedirectURL: redirect,
	})
}

// visit is a browser's request and what it got back.
type visit struct {
	status int
	body   string
}

// get requests u as a browser, with the Host header host when it is not
// empty.
func get(ctx context.Context, u, host string) (visit, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return visit{}, err
	}
	if host != "" {
		req.Host = host
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return visit{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return visit{resp.StatusCode, string(b)}, err
}

func TestLoginBrowserUsage(t *testing.T) {
	t.Parallel()
	redirect := "http://localhost:8484/callback"
	tests := []struct {
		name string
		env  map[string]string // added to the harness's
		args []string
		want string
	}{
		{"no domain", map[string]string{envDomain: ""}, nil, "--browser needs --domain (or $COGNITO_DOMAIN)"},
		{"no redirect", map[string]string{envRedirectURL: ""}, nil, "--browser needs --redirect-url (or $COGNITO_REDIRECT_URL)"},
		{"bad domain", nil, []string{"--domain", "ftp://auth.example.com"}, `--domain "ftp://auth.example.com" is not the URL of a user pool domain`},
		{"http domain", nil, []string{"--domain", "http://auth.example.com"}, "plain http is only for a server on this machine"},
		{"https redirect", nil, []string{"--redirect-url", "https://localhost:8484/callback"}, "must be an http URL on this machine"},
		{"remote redirect", nil, []string{"--redirect-url", "http://app.example.com/callback"}, "must be an http URL on this machine"},
		{"fragment", nil, []string{"--redirect-url", "http://localhost:8484/callback#x"}, "has a fragment"},
		{"timeout", nil, []string{"--timeout", "0s"}, "--timeout must be positive"},
		{"empty scope", nil, []string{"--scope", " "}, "empty scope"},
		{"flow", nil, []string{"--flow", "password"}, "--flow has no use with --browser"},
		{"password-stdin", nil, []string{"--password-stdin"}, "--password-stdin has no use with --browser"},
		{"no pool", map[string]string{envUserPoolID: ""}, nil, "missing --user-pool-id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := browserHarness(t, redirect)
			for k, v := range tt.env {
				h.env[k] = v
			}
			opened := false
			h.browser = func(context.Context, string) error { opened = true; return nil }
			r := h.mustRun(exitUsage, "", append([]string{"login", "--browser"}, tt.args...)...)
			assert.Contains(t, r.stderr, tt.want)
			assert.Equal(t, 1, strings.Count(r.stderr, "\n"), "one line: %q", r.stderr)
			assert.False(t, opened)
		})
	}
	t.Run("browser flags without --browser", func(t *testing.T) {
		t.Parallel()
		for _, f := range []string{"--domain=https://auth.example.com", "--redirect-url=" + redirect, "--scope=openid", "--timeout=1m"} {
			h := browserHarness(t, redirect)
			r := h.mustRun(exitUsage, "pw\n", "login", "--password-stdin", "--username", "alice", f)
			name, _, _ := strings.Cut(f, "=")
			assert.Contains(t, r.stderr, name+" needs --browser")
		}
	})
}

// TestCallback: what the browser brings back to the redirect URL, and
// requests that are not the browser's return, which change nothing.
func TestCallback(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		query   url.Values // the state added, unless it has one
		noState bool
		want    string // the login's message
		status  int    // the page's
	}{
		{
			name:   "access denied",
			query:  url.Values{"error": {"access_denied"}},
			want:   "cognito-token: the sign-in in the browser failed: access_denied\n",
			status: http.StatusBadRequest,
		},
		{
			name:   "error with description",
			query:  url.Values{"error": {"server_error"}, "error_description": {"the IdP\x1b[31m is down"}},
			want:   "cognito-token: the sign-in in the browser failed: server_error: the IdP is down\n",
			status: http.StatusBadRequest,
		},
		{
			name:   "no code",
			query:  url.Values{},
			want:   "cognito-token: the browser came back from the sign-in without an authorization code\n",
			status: http.StatusBadRequest,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			redirect := freeRedirectURL(t)
			h := browserHarness(t, redirect)
			var stray []visit
			var page visit
			done := make(chan error, 1)
			h.browser = func(ctx context.Context, authURL string) error {
				done <- func() error {
					u, err := url.Parse(redirect)
					if err != nil {
						return err
					}
					// None of these ends the login: another path, another
					// host, and answers without this login's state (forged
					// by a page, or from a stale tab), error ones included.
					for _, req := range []struct{ url, host string }{
						{"http://" + u.Host + "/favicon.ico", ""},
						{redirect + "?code=c&state=s", "evil.example.com"},
						{redirect + "?code=a-code-of-another-sign-in&state=forged", ""},
						{redirect + "?code=a-code", ""},
						{redirect + "?error=access_denied", ""},
					} {
						v, err := get(ctx, req.url, req.host)
						if err != nil {
							return err
						}
						stray = append(stray, v)
					}
					q := url.Values{}
					for k, v := range tt.query {
						q[k] = v
					}
					if !q.Has("state") && !tt.noState {
						q.Set("state", mustQuery(authURL, "state"))
					}
					page, err = get(ctx, redirect+"?"+q.Encode(), "")
					return err
				}()
				return nil
			}
			r := h.mustRun(exitFailure, "", "login", "--browser")
			require.NoError(t, <-done)
			assert.Contains(t, r.stderr, tt.want)
			assert.Equal(t, http.StatusNotFound, stray[0].status)
			assert.Equal(t, http.StatusBadRequest, stray[1].status)
			for _, v := range stray[2:] {
				assert.Equal(t, http.StatusBadRequest, v.status)
				assert.Contains(t, v.body, "Not this sign-in")
			}
			assert.Equal(t, tt.status, page.status)
			assert.Contains(t, page.body, "<h1>Sign-in failed</h1>")
		})
	}
}

// mustQuery is the query parameter name of the URL u, which must parse.
func mustQuery(u, name string) string {
	p, err := url.Parse(u)
	if err != nil {
		panic(err)
	}
	return p.Query().Get(name)
}

// TestLoginBrowserWait: the login waits for --timeout at most, or until
// it is interrupted; then the browser's return is too late.
func TestLoginBrowserWait(t *testing.T) {
	t.Parallel()
	t.Run("timeout", func(t *testing.T) {
		t.Parallel()
		h := browserHarness(t, freeRedirectURL(t))
		h.browser = func(context.Context, string) error { return nil }
		start := time.Now()
		r := h.mustRun(exitFailure, "", "login", "--browser", "--timeout", "200ms")
		assert.GreaterOrEqual(t, time.Since(start), 200*time.Millisecond)
		assert.Contains(t, r.stderr, "cognito-token: the browser did not come back from the sign-in within 200ms: log in again (--timeout sets how long to wait)\n")
	})
	t.Run("interrupt", func(t *testing.T) {
		t.Parallel()
		redirect := freeRedirectURL(t)
		h := browserHarness(t, redirect)
		ctx, cancel := context.WithCancel(context.Background())
		h.ctx = ctx
		h.browser = func(context.Context, string) error { cancel(); return nil }
		r := h.mustRun(exitFailure, "", "login", "--browser")
		assert.Equal(t, "cognito-token: interrupted\n", lastLine(r.stderr))
		// Nobody listens any more.
		_, err := get(context.Background(), redirect, "")
		assert.Error(t, err)
	})
}

// lastLine is the last line of s, with its newline.
func lastLine(s string) string {
	s = strings.TrimSuffix(s, "\n")
	return s[strings.LastIndexByte(s, '\n')+1:] + "\n"
}

// TestRedirectPortTaken: a port another program holds fails the login
// before the browser opens, saying so.
func TestRedirectPortTaken(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	redirect := "http://" + l.Addr().String() + "/callback"
	h := browserHarness(t, redirect)
	opened := false
	h.browser = func(context.Context, string) error { opened = true; return nil }
	r := h.mustRun(exitFailure, "", "login", "--browser")
	assert.Contains(t, r.stderr, "cognito-token: cannot listen for the browser's return on "+l.Addr().String()+" (")
	assert.Contains(t, r.stderr, "another program has the port, or it is not allowed; stop it, or use another callback URL of the app client\n")
	assert.False(t, opened)
}

// TestSignInURL: the page opened is the domain's authorize endpoint, with
// the authorization code flow, PKCE S256, the registered redirect URL,
// the scopes, and a new random state each time.
func TestSignInURL(t *testing.T) {
	t.Parallel()
	redirect := freeRedirectURL(t)
	var urls []string
	for _, args := range [][]string{nil, {"--scope", "openid", "--scope", "orders/read profile"}} {
		h := browserHarness(t, redirect)
		opened := make(chan string, 1)
		h.browser = func(ctx context.Context, authURL string) error {
			opened <- authURL
			return decline(ctx, authURL)
		}
		r := h.mustRun(exitFailure, "", append([]string{"login", "--browser"}, args...)...)
		urls = append(urls, <-opened)
		assert.Contains(t, r.stderr, "Sign in in your browser; if it does not open, open this URL in it:\n  "+urls[len(urls)-1]+"\n")
	}
	var states []string
	for i, want := range []string{"openid email profile", "openid orders/read profile"} {
		u, err := url.Parse(urls[i])
		require.NoError(t, err)
		assert.Equal(t, "http://127.0.0.1:9/oauth2/authorize", u.Scheme+"://"+u.Host+u.Path)
		q := u.Query()
		assert.Equal(t, "code", q.Get("response_type"))
		assert.Equal(t, "browserclient", q.Get("client_id"))
		assert.Equal(t, redirect, q.Get("redirect_uri"))
		assert.Equal(t, want, q.Get("scope"))
		assert.Equal(t, "S256", q.Get("code_challenge_method"))
		assert.Len(t, q.Get("code_challenge"), 43)
		assert.Len(t, q.Get("state"), 43)
		states = append(states, q.Get("state"))
	}
	assert.NotEqual(t, states[0], states[1])
}

// formBrowser is a browser without a screen for login --browser: it
// follows the sign-in page's redirects with a cookie jar, fills each form
// of cognitotest's login page in with answers (by field name: username,
// password, code, new_password), and posts it, until it is back at
// redirect, whose page it returns. Its error, if any, goes to done.
type formBrowser struct {
	answers  map[string]func() string
	redirect string

	done chan error // one result per page opened
	last visit      // the page at the redirect URL; read after done
}

func newFormBrowser(redirect string, answers map[string]func() string) *formBrowser {
	return &formBrowser{answers: answers, redirect: redirect, done: make(chan error, 1)}
}

// open is the cli's browser.
func (b *formBrowser) open(ctx context.Context, authURL string) error {
	err := b.signIn(ctx, authURL)
	b.done <- err
	return err
}

// wait returns what became of the page opened.
func (b *formBrowser) wait(t *testing.T) error {
	t.Helper()
	select {
	case err := <-b.done:
		return err
	case <-time.After(time.Minute):
		t.Fatal("the browser never finished")
		return nil
	}
}

var (
	formPattern  = regexp.MustCompile(`(?is)<form\b[^>]*\baction="([^"]*)"`)
	inputPattern = regexp.MustCompile(`(?is)<input\b[^>]*>`)
	attrPattern  = regexp.MustCompile(`(?is)\b([a-z_.-]+)="([^"]*)"`)
)

func (b *formBrowser) signIn(ctx context.Context, authURL string) error {
	jar, err := cookiejar.New(nil)
	if err != nil {
		return err
	}
	client := &http.Client{Jar: jar}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, authURL, nil)
	if err != nil {
		return err
	}
	for range 6 {
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return err
		}
		at := resp.Request.URL
		if strings.HasPrefix(at.String(), b.redirect) {
			b.last = visit{resp.StatusCode, string(body)}
			return nil
		}
		m := formPattern.FindSubmatch(body)
		if resp.StatusCode != http.StatusOK || m == nil {
			return fmt.Errorf("the sign-in page %s answered %s, without a form", at.Path, resp.Status)
		}
		action, err := at.Parse(html.UnescapeString(string(m[1])))
		if err != nil {
			return err
		}
		form := url.Values{}
		for _, input := range inputPattern.FindAll(body, -1) {
			attrs := map[string]string{}
			for _, a := range attrPattern.FindAllSubmatch(input, -1) {
				attrs[strings.ToLower(string(a[1]))] = html.UnescapeString(string(a[2]))
			}
			name := attrs["name"]
			switch answer, ok := b.answers[name]; {
			case attrs["type"] == "hidden":
				form.Set(name, attrs["value"])
			case ok:
				form.Set(name, answer())
			default:
				return fmt.Errorf("the sign-in page %s asks for %q, which the test does not answer", at.Path, name)
			}
		}
		req, err = http.NewRequestWithContext(ctx, http.MethodPost, action.String(), strings.NewReader(form.Encode()))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	return errors.New("the sign-in pages go on and on")
}

// oauthPool is a cognitotest pool with one user (see newPool) whose app
// client has the callback URL redirect, and a harness for its user and
// domain, signing in with login --browser through a formBrowser.
func oauthPool(t *testing.T, redirect string, opts ...cognitotest.Option) (*pool, *harness, *formBrowser) {
	p := newPool(t, append([]cognitotest.Option{cognitotest.WithCallbackURL(redirect)}, opts...)...)
	h := p.harness(t)
	h.env[envDomain] = p.srv.Domain
	h.env[envRedirectURL] = redirect
	b := newFormBrowser(redirect, map[string]func() string{"username": fixed(p.alias), "password": fixed(p.password)})
	h.browser = b.open
	return p, h, b
}

// tokenRecorder is an HTTP transport that records the requests to a token
// endpoint: how the client authenticated, and the form.
type tokenRecorder struct {
	mu       sync.Mutex
	requests []tokenRequest
}

type tokenRequest struct {
	basic          bool
	user, password string
	form           url.Values
}

func (rec *tokenRecorder) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Path == "/oauth2/token" {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, err
		}
		r.Body.Close()
		r.Body = io.NopCloser(bytes.NewReader(body))
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, err
		}
		req := tokenRequest{form: form}
		req.user, req.password, req.basic = r.BasicAuth()
		rec.mu.Lock()
		rec.requests = append(rec.requests, req)
		rec.mu.Unlock()
	}
	return http.DefaultTransport.RoundTrip(r)
}

func (rec *tokenRecorder) all() []tokenRequest {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return slices.Clone(rec.requests)
}

// domainFileOf reads the domain file of h's session.
func domainFileOf(t *testing.T, h *harness) (domainFile, bool) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(h.store().dir, h.store().key+domainSuffix))
	if errors.Is(err, fs.ErrNotExist) {
		return domainFile{}, false
	}
	require.NoError(t, err)
	var f domainFile
	decodeJSON(t, string(b), &f)
	return f, true
}

// TestLoginBrowser: managed login end to end against cognitotest: the
// browser signs in on the login page, the code comes back to the
// loopback server, the session is cached with its domain, token prints it
// without a request and renews it at /oauth2/token, not with the
// user-pool API, and logout revokes it.
func TestLoginBrowser(t *testing.T) {
	t.Parallel()
	redirect := freeRedirectURL(t)
	p, h, b := oauthPool(t, redirect)
	rec := &tokenRecorder{}
	h.httpClient = &http.Client{Transport: rec}

	r := h.mustRun(exitOK, "", "login", "--browser")
	require.NoError(t, b.wait(t))
	assert.Empty(t, r.stdout)
	assert.Contains(t, r.stderr, "Signed in as "+p.alias+" in the browser; session cached in "+h.store().path()+"\n")
	assert.NotContains(t, r.stderr, "Could not open")
	assert.NotContains(t, r.stderr, "warning")
	assert.NotContains(t, r.stderr, "Give --username", "the user name was given")
	assert.Equal(t, http.StatusOK, b.last.status)
	assert.Contains(t, b.last.body, "<h1>Signed in</h1>")
	assert.Contains(t, b.last.body, "You can close this tab")
	assert.Equal(t, 1, p.srv.Calls("/oauth2/token"), "the code exchanged")
	assert.Zero(t, p.srv.Calls("InitiateAuth"))

	ses := h.session()
	assert.Equal(t, p.srv.Domain, ses.Domain)
	f, ok := domainFileOf(t, h)
	require.True(t, ok)
	assert.Equal(t, domainFile{Version: 1, Domain: p.srv.Domain, RefreshTokenSHA256: refreshDigest(ses.RefreshToken)}, f)
	assert.Equal(t, os.FileMode(0o600), fileMode(t, filepath.Join(h.store().dir, h.store().key+domainSuffix)))
	c := p.claims(t, ses.AccessToken)
	assert.Equal(t, p.username, c["username"])
	assert.Equal(t, "openid email profile", c["scope"])
	assert.Equal(t, p.alias, p.claims(t, ses.IDToken)["email"])

	r = h.mustRun(exitOK, "", "token")
	assert.Equal(t, ses.AccessToken+"\n", r.stdout)
	r = h.mustRun(exitOK, "", "token", "--id")
	assert.Equal(t, ses.IDToken+"\n", r.stdout)
	assert.Equal(t, 1, p.srv.Calls("/oauth2/token"), "a fresh session is printed as it is")

	h.expire()
	r = h.mustRun(exitOK, "", "token")
	assert.Empty(t, r.stderr)
	assert.Equal(t, 2, p.srv.Calls("/oauth2/token"), "renewed at the token endpoint")
	assert.Zero(t, p.srv.Calls("InitiateAuth")+p.srv.Calls("GetTokensFromRefreshToken"), "not with the user-pool API")
	renewed := h.session()
	assert.Equal(t, renewed.AccessToken+"\n", r.stdout)
	assert.NotEqual(t, ses.AccessToken, renewed.AccessToken)
	assert.Equal(t, ses.RefreshToken, renewed.RefreshToken)
	assert.Equal(t, p.srv.Domain, renewed.Domain, "still renewed at the domain")
	assert.Equal(t, "openid email profile", p.claims(t, renewed.AccessToken)["scope"], "the scopes kept")
	assert.Equal(t, p.username, p.claims(t, renewed.IDToken)["cognito:username"])

	// A public client: its client_id in the form, no Authorization.
	reqs := rec.all()
	require.Len(t, reqs, 2)
	for i, grant := range []string{"authorization_code", "refresh_token"} {
		assert.False(t, reqs[i].basic, "no Authorization header")
		assert.Equal(t, grant, reqs[i].form.Get("grant_type"))
		assert.Equal(t, p.srv.ClientID, reqs[i].form.Get("client_id"))
		assert.False(t, reqs[i].form.Has("client_secret"))
	}
	assert.Equal(t, redirect, reqs[0].form.Get("redirect_uri"))
	assert.Len(t, reqs[0].form.Get("code_verifier"), 43)
	assert.Equal(t, ses.RefreshToken, reqs[1].form.Get("refresh_token"))

	h.mustRun(exitOK, "", "logout")
	assert.Equal(t, 1, p.srv.Calls("RevokeToken"))
	assert.NoFileExists(t, h.store().path())
	_, ok = domainFileOf(t, h)
	assert.False(t, ok, "the domain file goes with the session")

	// The revoked refresh token renews nothing: put the session back.
	h.save(renewed)
	h.expire()
	r = h.mustRun(exitFailure, "", "token")
	assert.Contains(t, r.stderr, "cognito-token: the session of "+p.alias+" can no longer be renewed (renewing the session at "+p.srv.Domain+": the user pool refused: invalid_grant")
	assert.Contains(t, r.stderr, "; run 'cognito-token login --browser' to sign in again\n")
}

// TestLoginBrowserUser: the session is cached under the user name given,
// which must be the user's or an alias, in any case; without one, under
// the user name the tokens carry, which login tells.
func TestLoginBrowserUser(t *testing.T) {
	t.Parallel()
	t.Run("from the tokens", func(t *testing.T) {
		t.Parallel()
		p, h, b := oauthPool(t, freeRedirectURL(t))
		delete(h.env, envUsername)
		r := h.mustRun(exitOK, "", "login", "--browser")
		require.NoError(t, b.wait(t))
		assert.Contains(t, r.stderr, "Signed in as "+p.username+" in the browser; session cached in ")
		assert.Contains(t, r.stderr, "Give --username "+p.username+" (or set $COGNITO_USERNAME) to token and logout to use this session.\n")
		assert.Contains(t, b.last.body, "You are signed in as "+p.username+".")

		r = h.mustRun(exitOK, "", "token", "--username", p.username)
		assert.Equal(t, p.username, p.claims(t, strings.TrimSpace(r.stdout))["username"])
		r = h.mustRun(exitFailure, "", "token", "--username", p.alias)
		assert.Contains(t, r.stderr, "no session is cached for "+p.alias)
	})
	t.Run("alias in another case", func(t *testing.T) {
		t.Parallel()
		p, h, b := oauthPool(t, freeRedirectURL(t))
		h.env[envUsername] = strings.ToUpper(p.alias)
		h.mustRun(exitOK, "", "login", "--browser")
		require.NoError(t, b.wait(t))
		h.env[envUsername] = p.alias
		r := h.mustRun(exitOK, "", "token")
		assert.Equal(t, h.session().AccessToken+"\n", r.stdout)
	})
	t.Run("another user", func(t *testing.T) {
		t.Parallel()
		p, h, b := oauthPool(t, freeRedirectURL(t))
		p.srv.AddUser("bob", "Bob-pa55word-long")
		h.env[envUsername] = "bob"
		r := h.mustRun(exitFailure, "", "login", "--browser")
		require.NoError(t, b.wait(t))
		assert.Contains(t, r.stderr, "cognito-token: you signed in as "+p.username+" in the browser, not as bob (--username or $COGNITO_USERNAME): nothing was cached; log in again as bob, or give --username "+p.username+"\n")
		assert.Contains(t, b.last.body, "<h1>Sign-in failed</h1>")
		assert.Equal(t, http.StatusInternalServerError, b.last.status)
		assert.NoFileExists(t, h.store().path())
		assert.Equal(t, 1, p.srv.Calls("RevokeToken"), "the session made is revoked")
		assert.NotContains(t, r.stderr, "warning")
	})
}

// TestLoginBrowserReplaces: a login of either kind replaces the cached
// session of the other, revoking its refresh token; a password sign-in's
// session is renewed with the user-pool API again.
func TestLoginBrowserReplaces(t *testing.T) {
	t.Parallel()
	p, h, b := oauthPool(t, freeRedirectURL(t))
	h.mustRun(exitOK, p.password+"\n", "login", "--password-stdin")
	srp := h.session()

	h.mustRun(exitOK, "", "login", "--browser")
	require.NoError(t, b.wait(t))
	browser := h.session()
	assert.Equal(t, p.srv.Domain, browser.Domain)
	assert.False(t, p.refreshWorks(t, srp.RefreshToken), "the replaced session is revoked")

	h.mustRun(exitOK, p.password+"\n", "login", "--password-stdin")
	assert.False(t, p.refreshWorks(t, browser.RefreshToken), "the replaced session is revoked")
	assert.Empty(t, h.session().Domain)
	_, ok := domainFileOf(t, h)
	assert.False(t, ok)
	h.expire()
	calls := p.srv.Calls("/oauth2/token")
	h.mustRun(exitOK, "", "token")
	assert.Equal(t, calls, p.srv.Calls("/oauth2/token"))
	assert.Equal(t, 1, p.srv.Calls("GetTokensFromRefreshToken"), "renewed with the user-pool API")
}

// TestDomainFileOfAnotherSession: a domain file naming another refresh
// token (one left by a crash between the writes of a login, or copied)
// is not used: the session is renewed with the user-pool API.
func TestDomainFileOfAnotherSession(t *testing.T) {
	t.Parallel()
	p, h, _ := oauthPool(t, freeRedirectURL(t))
	h.mustRun(exitOK, p.password+"\n", "login", "--password-stdin")
	st := h.store()
	b, err := json.Marshal(domainFile{Version: 1, Domain: p.srv.Domain, RefreshTokenSHA256: refreshDigest("another refresh token")})
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(st.dir, st.key+domainSuffix), b, 0o600))
	assert.Empty(t, h.session().Domain)
	h.expire()
	h.mustRun(exitOK, "", "token")
	assert.Zero(t, p.srv.Calls("/oauth2/token"))
	assert.Equal(t, 1, p.srv.Calls("GetTokensFromRefreshToken"))
}

// TestLoginBrowserClientSecret: an app client with a secret signs in and
// renews with it (HTTP Basic); without it, renewal fails and says why,
// keeping the session.
func TestLoginBrowserClientSecret(t *testing.T) {
	t.Parallel()
	const secret = "browser-client-secret-0123456789"
	p, h, b := oauthPool(t, freeRedirectURL(t), cognitotest.WithClientSecret(secret))
	rec := &tokenRecorder{}
	h.httpClient = &http.Client{Transport: rec}
	h.env[envClientSecret] = secret
	h.mustRun(exitOK, "", "login", "--browser")
	require.NoError(t, b.wait(t))
	h.expire()
	h.mustRun(exitOK, "", "token")
	assert.Equal(t, 2, p.srv.Calls("/oauth2/token"))
	// client_secret_basic, the secret in the header only.
	for _, req := range rec.all() {
		assert.True(t, req.basic)
		assert.Equal(t, p.srv.ClientID, req.user)
		assert.Equal(t, secret, req.password)
		assert.False(t, req.form.Has("client_secret"))
	}

	h.expire()
	delete(h.env, envClientSecret)
	r := h.mustRun(exitFailure, "", "token")
	assert.Contains(t, r.stderr, "cognito-token: renewing the session at "+p.srv.Domain+": the user pool refused: invalid_client")
	assert.Contains(t, r.stderr, "check --client-id, and that the app client's secret is given in $COGNITO_CLIENT_SECRET or with --client-secret-stdin when it has one\n")
	assert.FileExists(t, h.store().path(), "the session is kept")

	r = h.mustRun(exitOK, secret+"\n", "token", "--client-secret-stdin")
	assert.Equal(t, h.session().AccessToken+"\n", r.stdout)
}

// TestLoginBrowserRefused: what the user pool refuses ends the login with
// its reason: a scope the app client is not allowed (sent back to the
// redirect URL), or a redirect URL that is not registered (shown on the
// pool's page only, so the login waits for nothing until --timeout).
func TestLoginBrowserRefused(t *testing.T) {
	t.Parallel()
	t.Run("scope", func(t *testing.T) {
		t.Parallel()
		_, h, b := oauthPool(t, freeRedirectURL(t))
		r := h.mustRun(exitFailure, "", "login", "--browser", "--scope", "openid orders/read")
		require.NoError(t, b.wait(t))
		assert.Contains(t, r.stderr, "cognito-token: the sign-in in the browser failed: invalid_scope\n")
		assert.NoFileExists(t, h.store().path())
	})
	t.Run("redirect port", func(t *testing.T) {
		t.Parallel()
		p, h, b := oauthPool(t, freeRedirectURL(t))
		h.env[envRedirectURL] = freeRedirectURL(t) // not registered
		r := h.mustRun(exitFailure, "", "login", "--browser", "--timeout", "500ms")
		assert.EqualError(t, b.wait(t), "the sign-in page /oauth2/authorize answered 400 Bad Request, without a form")
		assert.Contains(t, r.stderr, "Could not open a browser (the sign-in page /oauth2/authorize answered 400 Bad Request, without a form): open the URL above in one.\n")
		assert.Contains(t, r.stderr, "cognito-token: the browser did not come back from the sign-in within 500ms")
		assert.Zero(t, p.srv.Calls("/oauth2/token"))
	})
}
