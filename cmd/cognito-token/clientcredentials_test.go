package main

import (
	"context"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-e8acf5fd/cognito/cognitotest"
)

const machineSecret = "machine-client-secret-0123456789"

// machinePool is a cognitotest pool whose app client has a secret and the
// scopes of a resource server "orders" (read, write), and a harness with
// its client, secret and domain.
func machinePool(t *testing.T) (*pool, *harness) {
	p := newPool(t, cognitotest.WithClientSecret(machineSecret), cognitotest.WithResourceServer("orders", "read", "write"))
	h := p.harness(t)
	h.env[envClientSecret] = machineSecret
	h.env[envDomain] = p.srv.Domain
	return p, h
}

// machineStore is the cache file of the tokens of h's app client for
// scopes.
func machineStore(t *testing.T, h *harness, scopes ...string) *store {
	t.Helper()
	c := &cli{env: func(k string) string { return h.env[k] }}
	d, err := c.openCacheDir()
	require.NoError(t, err)
	domain, err := domainURL(h.env[envDomain])
	require.NoError(t, err)
	st := d.store(clientCredentialsKey(&options{poolID: h.env[envUserPoolID], clientID: h.env[envClientID], domain: domain, scopes: scopes}))
	t.Cleanup(st.close)
	return st
}

// TestClientCredentials: token --client-credentials prints a token of the
// app client with the scopes asked for, and the same one again, without a
// request, until it is due for renewal; each set of scopes has its own.
func TestClientCredentials(t *testing.T) {
	t.Parallel()
	p, h := machinePool(t)
	r := h.mustRun(exitOK, "", "token", "--client-credentials", "--scope", "orders/read")
	assert.Empty(t, r.stderr)
	tok := strings.TrimSpace(r.stdout)
	h.secret(tok)
	c := p.claims(t, tok)
	assert.Equal(t, p.srv.ClientID, c["client_id"])
	assert.Equal(t, p.srv.ClientID, c["sub"])
	assert.Equal(t, "orders/read", c["scope"])
	assert.Equal(t, "access", c["token_use"])
	assert.NotContains(t, c, "username")
	assert.Equal(t, 1, p.srv.Calls("/oauth2/token"))

	r = h.mustRun(exitOK, "", "token", "--client-credentials", "--scope", "orders/read")
	assert.Equal(t, tok+"\n", r.stdout)
	assert.Equal(t, 1, p.srv.Calls("/oauth2/token"), "the cached token, without a request")

	st := machineStore(t, h, "orders/read")
	assert.Equal(t, os.FileMode(0o600), fileMode(t, st.path()))
	b, err := os.ReadFile(st.path())
	require.NoError(t, err)
	assert.NotContains(t, string(b), machineSecret)

	// Other scopes, another token; the same scopes in any order, the same.
	r = h.mustRun(exitOK, "", "token", "--client-credentials", "--scope", "orders/write", "--scope", "orders/read")
	both := strings.TrimSpace(r.stdout)
	h.secret(both)
	assert.NotEqual(t, tok, both)
	assert.Equal(t, "orders/write orders/read", p.claims(t, both)["scope"])
	r = h.mustRun(exitOK, "", "token", "--client-credentials", "--scope", "orders/read orders/write")
	assert.Equal(t, both+"\n", r.stdout)
	assert.Equal(t, 2, p.srv.Calls("/oauth2/token"))

	// Without --scope, Cognito grants every scope the client is allowed.
	r = h.mustRun(exitOK, "", "token", "--client-credentials")
	assert.Equal(t, "orders/read orders/write", p.claims(t, strings.TrimSpace(r.stdout))["scope"])

	// Due for renewal: a new token.
	saved, err := st.file.Load(context.Background())
	require.NoError(t, err)
	saved.Expiry = time.Now().Add(30 * time.Second)
	require.NoError(t, st.file.Save(context.Background(), saved))
	r = h.mustRun(exitOK, "", "token", "--client-credentials", "--scope", "orders/read")
	assert.NotEqual(t, tok+"\n", r.stdout)
	assert.Equal(t, 4, p.srv.Calls("/oauth2/token"))
	assert.Zero(t, p.srv.Calls("InitiateAuth"))
}

// TestClientCredentialsOnce: token commands run at once fetch one token.
func TestClientCredentialsOnce(t *testing.T) {
	t.Parallel()
	p, h := machinePool(t)
	const n = 8
	results := make([]result, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { results[i] = h.run("", "token", "--client-credentials", "--scope", "orders/write") })
	}
	wg.Wait()
	assert.Equal(t, 1, p.srv.Calls("/oauth2/token"))
	for _, r := range results {
		h.check(r)
		assert.Equal(t, exitOK, r.code, "stderr: %s", r.stderr)
		assert.Equal(t, results[0].stdout, r.stdout)
	}
}

// TestClientCredentialsRefused: what the token endpoint refuses is said
// plainly, with what to check.
func TestClientCredentialsRefused(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		env   map[string]string // added to the harness's
		args  []string
		code  int
		wants []string
	}{
		{
			name: "unknown scope",
			args: []string{"--scope", "orders/delete"},
			code: exitFailure,
			wants: []string{"cognito-token: getting a token with the client credentials grant at ",
				": the user pool refused: invalid_scope; a scope asked for is not one the app client is allowed (a resource server's scopes are named <resource server>/<scope>)\n"},
		},
		{
			name:  "wrong secret",
			env:   map[string]string{envClientSecret: "not-the-secret"},
			code:  exitFailure,
			wants: []string{": the user pool refused: invalid_client; check --client-id, and that the app client's secret is given in $COGNITO_CLIENT_SECRET or with --client-secret-stdin when it has one\n"},
		},
		{
			name:  "another client",
			env:   map[string]string{envClientID: "nosuchclient"},
			code:  exitFailure,
			wants: []string{"invalid_client"},
		},
		{
			name:  "no secret",
			env:   map[string]string{envClientSecret: ""},
			code:  exitUsage,
			wants: []string{"--client-credentials needs the app client's secret, in $COGNITO_CLIENT_SECRET or with --client-secret-stdin"},
		},
		{
			name:  "no domain",
			env:   map[string]string{envDomain: ""},
			code:  exitUsage,
			wants: []string{"--client-credentials needs --domain (or $COGNITO_DOMAIN)"},
		},
		{
			name:  "ID token",
			args:  []string{"--id"},
			code:  exitUsage,
			wants: []string{"--client-credentials prints the bare access token"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, h := machinePool(t)
			for k, v := range tt.env {
				h.env[k] = v
			}
			r := h.mustRun(tt.code, "", append([]string{"token", "--client-credentials"}, tt.args...)...)
			assert.Empty(t, r.stdout)
			for _, w := range tt.wants {
				assert.Contains(t, r.stderr, w)
			}
			assert.Equal(t, 1, strings.Count(r.stderr, "\n"), "one line: %q", r.stderr)
			if tt.code == exitUsage {
				assert.Zero(t, p.srv.Calls("/oauth2/token"))
			}
		})
	}
	t.Run("flags without --client-credentials", func(t *testing.T) {
		t.Parallel()
		_, h := machinePool(t)
		for _, f := range []string{"--scope=orders/read", "--domain=https://auth.example.com"} {
			r := h.mustRun(exitUsage, "", "token", f)
			name, _, _ := strings.Cut(f, "=")
			assert.Contains(t, r.stderr, name+" needs --client-credentials")
		}
	})
}

// failingTransport answers every request to the token endpoint with HTTP
// 503 while it is failing.
type failingTransport struct {
	mu      sync.Mutex
	failing bool
}

func (f *failingTransport) set(failing bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failing = failing
}

func (f *failingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	f.mu.Lock()
	failing := f.failing
	f.mu.Unlock()
	if failing {
		return &http.Response{StatusCode: http.StatusServiceUnavailable, Status: "503 Service Unavailable", Header: http.Header{}, Body: http.NoBody, Request: r}, nil
	}
	return http.DefaultTransport.RoundTrip(r)
}

// TestClientCredentialsFault: a token due for renewal but still valid is
// printed through a passing fault, with a warning; not when the endpoint
// refuses.
func TestClientCredentialsFault(t *testing.T) {
	t.Parallel()
	_, h := machinePool(t)
	tr := &failingTransport{}
	h.httpClient = &http.Client{Transport: tr}
	args := []string{"token", "--client-credentials", "--scope", "orders/read"}
	r := h.mustRun(exitOK, "", args...)
	tok := r.stdout
	h.secret(strings.TrimSpace(tok))
	st := machineStore(t, h, "orders/read")
	saved, err := st.file.Load(context.Background())
	require.NoError(t, err)
	saved.Expiry = time.Now().Add(30 * time.Second)
	require.NoError(t, st.file.Save(context.Background(), saved))

	tr.set(true)
	r = h.mustRun(exitOK, "", args...)
	assert.Equal(t, tok, r.stdout)
	assert.Contains(t, r.stderr, "warning: could not get a new token yet (getting a token with the client credentials grant at ")
	assert.Contains(t, r.stderr, "the token endpoint answered HTTP 503 Service Unavailable); the cached token is valid until ")

	tr.set(false)
	h.env[envClientSecret] = "not-the-secret"
	r = h.mustRun(exitFailure, "", args...)
	assert.Empty(t, r.stdout)
	assert.Contains(t, r.stderr, "invalid_client")
}
