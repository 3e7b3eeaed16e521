package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// freeRedirectURL is a callback URL on a loopback port that was free a
// moment ago.
func freeRedirectURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := l.Addr().(*net.TCPAddr).Port
	require.NoError(t, l.Close())
	return "http://localhost:" + strconv.Itoa(port) + "/callback"
}

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
			name:   "state mismatch",
			query:  url.Values{"code": {"a-code-of-another-sign-in"}, "state": {"forged"}},
			want:   "cognito-token: the browser came back from a sign-in that this login did not start (its state does not match): nothing was cached; run login again, and sign in in the tab it opens\n",
			status: http.StatusBadRequest,
		},
		{
			name:    "no state",
			query:   url.Values{"code": {"a-code"}},
			noState: true,
			want:    "its state does not match",
			status:  http.StatusBadRequest,
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
					// None of these ends the login.
					for _, req := range []struct{ url, host string }{
						{"http://" + u.Host + "/favicon.ico", ""},
						{redirect + "?code=c&state=s", "evil.example.com"},
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
		h.browser = func(ctx context.Context, authURL string) error {
			urls = append(urls, authURL)
			return decline(ctx, authURL)
		}
		r := h.mustRun(exitFailure, "", append([]string{"login", "--browser"}, args...)...)
		assert.Contains(t, r.stderr, "Sign in in your browser; if it does not open, open this URL in it:\n  "+urls[len(urls)-1]+"\n")
	}
	require.Len(t, urls, 2)
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
