package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-e8acf5fd/cognito"
	"github.com/seed-e8acf5fd/cognito/cognitotest"
)

// result is what one run of the program left behind.
type result struct {
	code           int
	stdout, stderr string
}

// harness runs the program in-process with an environment of its own and
// checks that nothing secret ever reaches stderr.
type harness struct {
	t   *testing.T
	env map[string]string
	// noRetries turns the SDK's retries off, so that a failure is final.
	noRetries bool
	// afterCall, if set, is called with the operation's name after each
	// call to the API has its answer.
	afterCall func(operation string)
	// term, if set, is the user's terminal.
	term terminal
	// tee, if set, gets a copy of stderr as it is written.
	tee io.Writer
	// challengeTimeout, if set, is the cli's.
	challengeTimeout time.Duration
	// browser, if set, is the cli's: it opens the page of login --browser.
	browser func(ctx context.Context, url string) error
	// httpClient, if set, is the cli's, for the requests to a domain.
	httpClient *http.Client
	// ctx, if set, is the context the program runs with (Ctrl-C).
	ctx context.Context

	mu      sync.Mutex
	secrets []string // never allowed on stderr
}

func newHarness(t *testing.T, env map[string]string) *harness {
	if env == nil {
		env = map[string]string{}
	}
	if _, ok := env[envCacheDir]; !ok {
		env[envCacheDir] = filepath.Join(t.TempDir(), "cache")
	}
	return &harness{t: t, env: env}
}

// secret registers strings that must never appear on stderr.
func (h *harness) secret(s ...string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, v := range s {
		if v != "" {
			h.secrets = append(h.secrets, v)
		}
	}
}

// run runs the program with stdin and args. It is safe to call from
// several goroutines; it does not fail the test itself, check reports on
// stderr.
func (h *harness) run(stdin string, args ...string) result {
	return h.runReader(strings.NewReader(stdin), args...)
}

// runReader is run with stdin read from r.
func (h *harness) runReader(stdin io.Reader, args ...string) result {
	var stdout, stderr bytes.Buffer
	c := &cli{
		env:    func(k string) string { return h.env[k] },
		stdin:  stdin,
		stdout: &stdout,
		stderr: &stderr,
		term:   h.term,

		challengeTimeout: h.challengeTimeout,
		browser:          h.browser,
		httpClient:       h.httpClient,
	}
	if h.tee != nil {
		c.stderr = io.MultiWriter(&stderr, h.tee)
	}
	c.sdkOptions = func(o *cip.Options) {
		if h.noRetries {
			o.Retryer = aws.NopRetryer{}
		}
		if h.afterCall != nil {
			o.HTTPClient = &http.Client{Transport: hookTransport(h.afterCall)}
		}
	}
	ctx := h.ctx
	if ctx == nil {
		ctx = context.Background()
	}
	code := c.run(ctx, args)
	return result{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

// hookTransport is an HTTP transport that calls itself with the operation's
// name after each call to the API.
type hookTransport func(operation string)

func (after hookTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(r)
	_, op, _ := strings.Cut(r.Header.Get("X-Amz-Target"), ".")
	after(op)
	return resp, err
}

// lazyLines is a stdin whose lines are made as they are read, one line per
// Read, so that an answer can depend on what the server did first (a code
// it sent, a key it issued). bufio.Reader asks for more only once it has
// handed out the line before.
type lazyLines struct {
	next    []func() string
	pending []byte
}

func (l *lazyLines) Read(p []byte) (int, error) {
	if len(l.pending) == 0 {
		if len(l.next) == 0 {
			return 0, io.EOF
		}
		l.pending = []byte(l.next[0]() + "\n")
		l.next = l.next[1:]
	}
	n := copy(p, l.pending)
	l.pending = l.pending[n:]
	return n, nil
}

// fixed is a line of lazyLines known in advance.
func fixed(s string) func() string { return func() string { return s } }

// syncBuffer is a bytes.Buffer safe for concurrent use.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// assertInOrder asserts that the strings want appear in s in that order.
func assertInOrder(t *testing.T, s string, want ...string) {
	t.Helper()
	at := 0
	for _, w := range want {
		i := strings.Index(s[at:], w)
		if !assert.GreaterOrEqual(t, i, 0, "%q not found after %q in:\n%s", w, s[:at], s) {
			return
		}
		at += i + len(w)
	}
}

// check asserts that r's stderr reveals no password, secret or token.
func (h *harness) check(r result) {
	h.t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, s := range h.secrets {
		assert.NotContains(h.t, r.stderr, s, "a secret reached stderr")
	}
	assert.NotContains(h.t, r.stderr, "eyJ", "a JWT reached stderr")
}

// mustRun runs the program and requires exit status want.
func (h *harness) mustRun(want int, stdin string, args ...string) result {
	h.t.Helper()
	return h.mustRunReader(want, strings.NewReader(stdin), args...)
}

// mustRunReader is mustRun with stdin read from r.
func (h *harness) mustRunReader(want int, stdin io.Reader, args ...string) result {
	h.t.Helper()
	r := h.runReader(stdin, args...)
	h.check(r)
	require.Equal(h.t, want, r.code, "exit status of %q\nstdout: %s\nstderr: %s", args, r.stdout, r.stderr)
	return r
}

// options is the user the harness's environment names.
func (h *harness) options() *options {
	return &options{poolID: h.env[envUserPoolID], clientID: h.env[envClientID], username: h.env[envUsername], endpoint: h.env[envEndpoint]}
}

// store is the cache file of the harness's user.
func (h *harness) store() *store {
	h.t.Helper()
	st, err := (&cli{env: func(k string) string { return h.env[k] }}).openStore(h.options())
	require.NoError(h.t, err)
	h.t.Cleanup(st.close)
	return st
}

// session reads the cached session, which must exist, and registers its
// secrets.
func (h *harness) session() *session {
	h.t.Helper()
	ses, err := h.store().load(context.Background(), h.options())
	require.NoError(h.t, err)
	h.secret(ses.tokens()...)
	return ses
}

// save caches ses as the session of the harness's user.
func (h *harness) save(ses *session) {
	h.t.Helper()
	require.NoError(h.t, h.store().save(context.Background(), ses))
}

// expire rewrites the cached session as if its tokens had expired a
// second ago.
func (h *harness) expire() {
	h.t.Helper()
	ses := h.session()
	ses.Expiry = time.Now().Add(-time.Second)
	h.save(ses)
}

// pool is a cognitotest pool with one user, who signs in with an email
// alias while the Cognito username is a UUID.
type pool struct {
	srv      *cognitotest.Server
	username string // the Cognito username
	alias    string
	password string
}

func newPool(t *testing.T, opts ...cognitotest.Option) *pool {
	srv := cognitotest.NewServer(opts...)
	t.Cleanup(srv.Close)
	p := &pool{srv: srv, username: newUUID(), alias: "alice@example.com", password: "Correct-horse-7-battery"}
	srv.AddUser(p.username, p.password)
	srv.AddAlias(p.username, p.alias)
	return p
}

// harness returns a harness whose environment names p's user and endpoint.
func (p *pool) harness(t *testing.T) *harness {
	h := newHarness(t, map[string]string{
		envUserPoolID: p.srv.UserPoolID,
		envClientID:   p.srv.ClientID,
		envUsername:   p.alias,
		envEndpoint:   p.srv.URL,
	})
	h.secret(p.password, p.srv.ClientSecret)
	return h
}

// claims verifies token against p's JWKS, as an API would, and returns its
// claims.
func (p *pool) claims(t *testing.T, token string) map[string]any {
	t.Helper()
	ctx := context.Background()
	provider, err := oidc.NewProvider(ctx, p.srv.Issuer)
	require.NoError(t, err)
	tok, err := provider.Verifier(&oidc.Config{SkipClientIDCheck: true}).Verify(ctx, token)
	require.NoError(t, err)
	var c map[string]any
	require.NoError(t, tok.Claims(&c))
	return c
}

func TestUsageErrors(t *testing.T) {
	t.Parallel()
	p := newPool(t)
	tests := []struct {
		name  string
		env   map[string]string // added to p's
		stdin string
		args  []string
		want  string // in the message
	}{
		{"no command", nil, "", nil, "missing command"},
		{"unknown command", nil, "", []string{"frobnicate"}, `unknown command "frobnicate"`},
		{"unknown flag", nil, "", []string{"token", "--bogus"}, "not defined: -bogus"},
		{"secret as a flag", nil, "pw\n", []string{"login", "--password-stdin", "--client-secret", "x"}, "not defined: -client-secret"},
		{"stray argument", nil, "", []string{"token", "extra"}, `unexpected argument "extra"`},
		{"no pool", map[string]string{envUserPoolID: ""}, "", []string{"token"}, "missing --user-pool-id"},
		{"no client", map[string]string{envClientID: ""}, "", []string{"logout"}, "missing --client-id"},
		{"no user", map[string]string{envUsername: ""}, "", []string{"token"}, "missing --username"},
		{"malformed pool", nil, "", []string{"token", "--user-pool-id", "nounderscore"}, "not of the form"},
		{"no region without endpoint", map[string]string{envEndpoint: ""}, "", []string{"token", "--user-pool-id", "local_abc"}, "does not start with an AWS region"},
		{"bad endpoint", nil, "", []string{"token", "--endpoint", "ftp://example.com"}, "not an http or https URL"},
		{"two outputs", nil, "", []string{"token", "--id", "--json"}, "exclude one another"},
		{"bad flow", nil, "pw\n", []string{"login", "--password-stdin", "--flow", "magic"}, "--flow must be srp, password or custom"},
		{"bad flow from env", map[string]string{envFlow: "magic"}, "pw\n", []string{"login", "--password-stdin"}, "--flow must be srp, password or custom"},
		{"no password and no terminal", nil, "", []string{"login"}, "no password"},
		{"empty stdin", nil, "", []string{"login", "--password-stdin"}, "no password line"},
		{"no secret line", nil, "pw\n", []string{"login", "--password-stdin", "--client-secret-stdin"}, "no client secret line"},
		{"demo lifetime", nil, "", []string{"demo", "--lifetime", "1500ms"}, "--lifetime must be"},
		{"demo requests", nil, "", []string{"demo", "--requests", "0"}, "--requests must be"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := p.harness(t)
			for k, v := range tt.env {
				h.env[k] = v
			}
			r := h.mustRun(exitUsage, tt.stdin, tt.args...)
			assert.Empty(t, r.stdout)
			assert.Contains(t, r.stderr, tt.want)
			assert.Equal(t, 1, strings.Count(r.stderr, "\n"), "one line: %q", r.stderr)
			assert.Contains(t, r.stderr, "--help")
			assert.Equal(t, 0, p.srv.Calls("InitiateAuth"), "a usage error must not reach Cognito")
		})
	}
}

func TestHelp(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	for _, args := range [][]string{{"--help"}, {"help"}, {"-h"}} {
		r := h.mustRun(exitOK, "", args...)
		assert.Contains(t, r.stdout, "cognito-token login")
		assert.Empty(t, r.stderr)
	}
	for _, cmd := range []string{"demo", "login", "token", "logout"} {
		for _, flag := range []string{"--help", "-h"} {
			r := h.mustRun(exitOK, "", cmd, flag)
			assert.Contains(t, r.stdout, "Usage: cognito-token "+cmd+" [flags]")
			assert.Empty(t, r.stderr)
			if cmd != "demo" {
				assert.Contains(t, r.stdout, "--user-pool-id ID")
				assert.Contains(t, r.stdout, "$COGNITO_USER_POOL_ID")
			}
		}
	}
	r := h.mustRun(exitOK, "", "token", "--help")
	for _, flag := range []string{"--id", "--json", "--exec-credential", "--client-secret-stdin"} {
		assert.Contains(t, r.stdout, flag)
	}
	for _, flag := range []string{"--client-credentials", "--domain URL", "--scope scope", "$COGNITO_DOMAIN"} {
		assert.Contains(t, r.stdout, flag)
	}
	r = h.mustRun(exitOK, "", "login", "--help")
	for _, flag := range []string{"--flow", "--password-stdin", "--browser", "--domain URL", "--redirect-url URL", "$COGNITO_REDIRECT_URL", "--scope scope", "--timeout duration", "(default 5m0s)", "$BROWSER"} {
		assert.Contains(t, r.stdout, flag)
	}
}

// decodeJSON decodes one JSON document, rejecting unknown fields.
func decodeJSON(t *testing.T, s string, v any) {
	t.Helper()
	d := json.NewDecoder(strings.NewReader(s))
	d.DisallowUnknownFields()
	require.NoError(t, d.Decode(v), "%s", s)
}

// fileMode returns the permission bits of path.
func fileMode(t *testing.T, path string) os.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	require.NoError(t, err)
	return fi.Mode().Perm()
}

func TestLoginTokenLogout(t *testing.T) {
	t.Parallel()
	p := newPool(t)
	h := p.harness(t)
	// Flags win over the environment.
	h.env[envUsername] = "nobody@example.com"
	user := []string{"--username", p.alias}

	r := h.mustRun(exitOK, p.password+"\n", append([]string{"login", "--password-stdin"}, user...)...)
	assert.Empty(t, r.stdout)
	assert.Contains(t, r.stderr, "Signed in as "+p.alias)
	assert.Equal(t, 1, p.srv.Calls("RespondToAuthChallenge"), "login signs in with SRP by default")
	h.env[envUsername] = p.alias
	ses := h.session()

	// The bare access token, verified as an API would.
	calls := p.srv.Calls("InitiateAuth") + p.srv.Calls("GetTokensFromRefreshToken")
	r = h.mustRun(exitOK, "", "token")
	assert.Equal(t, ses.AccessToken+"\n", r.stdout)
	assert.Empty(t, r.stderr)
	c := p.claims(t, strings.TrimSpace(r.stdout))
	assert.Equal(t, "access", c["token_use"])
	assert.Equal(t, p.username, c["username"])

	r = h.mustRun(exitOK, "", "token", "--id")
	assert.Equal(t, ses.IDToken+"\n", r.stdout)
	c = p.claims(t, strings.TrimSpace(r.stdout))
	assert.Equal(t, "id", c["token_use"])
	assert.Equal(t, p.username, c["cognito:username"])
	assert.Equal(t, p.alias, c["email"])

	r = h.mustRun(exitOK, "", "token", "--json")
	var j tokenJSON
	decodeJSON(t, r.stdout, &j)
	assert.Equal(t, ses.AccessToken, j.AccessToken)
	assert.Equal(t, ses.IDToken, j.IDToken)
	assert.Equal(t, "Bearer", j.TokenType)
	assertExpiry(t, j.Expiry, time.Hour)
	assertExpiry(t, j.IDTokenExpiry, time.Hour)

	r = h.mustRun(exitOK, "", "token", "--exec-credential")
	var ec execCredential
	decodeJSON(t, r.stdout, &ec)
	assert.Equal(t, "client.authentication.k8s.io/v1", ec.APIVersion)
	assert.Equal(t, "ExecCredential", ec.Kind)
	assert.Equal(t, ses.IDToken, ec.Status.Token)
	assertExpiry(t, ec.Status.ExpirationTimestamp, time.Hour)

	assert.Equal(t, calls, p.srv.Calls("InitiateAuth")+p.srv.Calls("GetTokensFromRefreshToken"), "a valid session is used without calling Cognito")

	// logout revokes the refresh token with Cognito and deletes the file.
	r = h.mustRun(exitOK, "", "logout")
	assert.Empty(t, r.stdout)
	assert.Equal(t, 1, p.srv.Calls("RevokeToken"))
	assert.NoFileExists(t, h.store().path())
	_, err := p.srv.Client().InitiateAuth(context.Background(), &cip.InitiateAuthInput{
		AuthFlow:       types.AuthFlowTypeRefreshTokenAuth,
		ClientId:       aws.String(p.srv.ClientID),
		AuthParameters: map[string]string{"REFRESH_TOKEN": ses.RefreshToken},
	})
	var notAuth *types.NotAuthorizedException
	assert.ErrorAs(t, err, &notAuth, "the refresh token must be revoked")

	r = h.mustRun(exitFailure, "", "token")
	assert.Empty(t, r.stdout)
	assert.Contains(t, r.stderr, "no session is cached for "+p.alias)
	assert.Contains(t, r.stderr, "run 'cognito-token login'")

	r = h.mustRun(exitOK, "", "logout")
	assert.Contains(t, r.stderr, "nothing to do")
	assert.Equal(t, 1, p.srv.Calls("RevokeToken"))
}

// assertExpiry checks an RFC 3339 UTC expiry about lifetime from now.
func assertExpiry(t *testing.T, s string, lifetime time.Duration) {
	t.Helper()
	assert.True(t, strings.HasSuffix(s, "Z"), "%q is not UTC", s)
	exp, err := time.Parse(time.RFC3339, s)
	require.NoError(t, err)
	left := time.Until(exp)
	assert.True(t, left > lifetime-time.Minute && left <= lifetime, "expiry %s is %v away, want about %v", s, left, lifetime)
}

func TestClientSecret(t *testing.T) {
	t.Parallel()
	const secret = "client-secret-0123456789abcdef"
	tests := []struct {
		name string
		env  map[string]string
		// stdin of login, and of token and logout
		loginStdin, stdin string
		flag              []string
	}{
		{
			name:       "environment",
			env:        map[string]string{envClientSecret: secret},
			loginStdin: "PASSWORD\n",
		},
		{
			name:       "stdin",
			loginStdin: "PASSWORD\n" + secret + "\n",
			stdin:      secret + "\n",
			flag:       []string{"--client-secret-stdin"},
		},
		{
			name: "stdin over environment",
			// A wrong secret in the environment is ignored.
			env:        map[string]string{envClientSecret: "wrong"},
			loginStdin: "PASSWORD\n" + secret + "\r\n",
			stdin:      secret,
			flag:       []string{"--client-secret-stdin"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := newPool(t, cognitotest.WithClientSecret(secret))
			h := p.harness(t)
			for k, v := range tt.env {
				h.env[k] = v
			}
			login := strings.Replace(tt.loginStdin, "PASSWORD", p.password, 1)
			h.mustRun(exitOK, login, append([]string{"login", "--password-stdin"}, tt.flag...)...)
			b, err := os.ReadFile(h.store().path())
			require.NoError(t, err)
			assert.NotContains(t, string(b), secret)
			assert.NotContains(t, string(b), p.password)

			h.expire()
			calls := p.srv.Calls("GetTokensFromRefreshToken")
			r := h.mustRun(exitOK, tt.stdin, append([]string{"token"}, tt.flag...)...)
			assert.Equal(t, calls+1, p.srv.Calls("GetTokensFromRefreshToken"), "renewed with SECRET_HASH")
			assert.Equal(t, h.session().AccessToken+"\n", r.stdout)

			h.mustRun(exitOK, tt.stdin, append([]string{"logout"}, tt.flag...)...)
			assert.Equal(t, 1, p.srv.Calls("RevokeToken"))
			assert.NoFileExists(t, h.store().path())
		})
	}

	t.Run("missing", func(t *testing.T) {
		t.Parallel()
		p := newPool(t, cognitotest.WithClientSecret(secret))
		h := p.harness(t)
		// login and token give the one message, which names the secret.
		const hint = "cognito-token: the app client's secret was refused (Unable to verify secret hash for client " +
			"%s): give the right one in $COGNITO_CLIENT_SECRET or with --client-secret-stdin\n"
		r := h.mustRun(exitFailure, p.password+"\n", "login", "--password-stdin")
		assert.Equal(t, fmt.Sprintf(hint, p.srv.ClientID), r.stderr)
		h.env[envClientSecret] = "wrong"
		r = h.mustRun(exitFailure, p.password+"\n", "login", "--password-stdin")
		assert.Equal(t, fmt.Sprintf(hint, p.srv.ClientID), r.stderr)

		// A renewal without the secret fails, but keeps the session.
		h.env[envClientSecret] = secret
		h.mustRun(exitOK, p.password+"\n", "login", "--password-stdin")
		h.expire()
		delete(h.env, envClientSecret)
		r = h.mustRun(exitFailure, "", "token")
		// GetTokensFromRefreshToken takes the secret itself, and Cognito says so.
		renewHint := strings.Replace(hint, "secret hash", "client secret", 1)
		assert.Equal(t, fmt.Sprintf(renewHint, p.srv.ClientID), r.stderr, "the hint names the secret, not login")
		h.env[envClientSecret] = secret
		r = h.mustRun(exitOK, "", "token")
		assert.Equal(t, h.session().AccessToken+"\n", r.stdout)
	})
}

// fakeAPI serves the Cognito API on loopback, answering every call as
// answer decides from the operation and the request body, and returns its
// URL. It stands for a server that misbehaves, as cognitotest never does.
func fakeAPI(t *testing.T, answer func(op string, body []byte) (status int, reply any)) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return
		}
		_, op, _ := strings.Cut(r.Header.Get("X-Amz-Target"), ".")
		status, reply := answer(op, body)
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(reply)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// apiError is an error reply of the Cognito API.
func apiError(typ, message string) map[string]string {
	return map[string]string{"__type": typ, "message": message}
}

// fakeHarness returns a harness for alice of a pool served at endpoint,
// with the SDK's retries off.
func fakeHarness(t *testing.T, endpoint string) *harness {
	h := newHarness(t, map[string]string{
		envUserPoolID: "us-east-1_Fake",
		envClientID:   "fakeclient",
		envUsername:   "alice",
		envEndpoint:   endpoint,
	})
	h.noRetries = true
	return h
}

// plant caches a session of h's user with made-up tokens, unsigned, that
// expire at expiry and carry the claims given (over those of a Cognito
// token of the harness's pool and app client), and returns it.
func (h *harness) plant(expiry time.Time, claims map[string]any) *session {
	h.t.Helper()
	o := h.options()
	region, _, _ := strings.Cut(o.poolID, "_")
	c := map[string]any{
		"iss":      "https://cognito-idp." + region + ".amazonaws.com/" + o.poolID,
		"username": o.username, "jti": newUUID(), "iat": time.Now().Add(-time.Hour).Unix(), "exp": expiry.Unix(),
	}
	access, id := maps.Clone(c), maps.Clone(c)
	access["client_id"], id["aud"] = o.clientID, o.clientID
	maps.Copy(access, claims)
	maps.Copy(id, claims)
	ses := newSession(cognito.Session{
		AccessToken:  unsignedJWT(h.t, access),
		IDToken:      unsignedJWT(h.t, id),
		RefreshToken: "planted-refresh-token-" + newUUID(),
		Expiry:       expiry,
	})
	h.save(ses)
	h.secret(ses.tokens()...)
	return ses
}

// unsignedJWT makes a JWT with the claims and no signature.
func unsignedJWT(t *testing.T, claims map[string]any) string {
	t.Helper()
	payload, err := json.Marshal(claims)
	require.NoError(t, err)
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"none"}`)) + "." + enc(payload) + "."
}
