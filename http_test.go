package cognito

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"
)

func TestDefaultClient(t *testing.T) {
	t.Parallel()
	hc := &http.Client{Timeout: 7 * time.Second}
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, hc)
	conf := Config{UserPoolID: "eu-west-2_Zq9RefPool", ClientID: "c"}
	s := newSource(ctx, &conf, nil)
	require.NoError(t, s.err)
	client, ok := s.api.(*cip.Client)
	require.True(t, ok)
	assert.Equal(t, "eu-west-2", client.Options().Region)
	assert.Equal(t, limitedClient{hc}, client.Options().HTTPClient)
	assert.Equal(t, maxAttempts, client.Options().RetryMaxAttempts)
}

// cognitoAt returns a context whose HTTP client sends the default
// client's Cognito requests (to *.amazonaws.com) to srv, and others where
// they are addressed.
func cognitoAt(srv *httptest.Server) context.Context {
	target, _ := url.Parse(srv.URL)
	return context.WithValue(context.Background(), oauth2.HTTPClient, &http.Client{Transport: redirect{target}})
}

type redirect struct{ target *url.URL }

func (r redirect) RoundTrip(req *http.Request) (*http.Response, error) {
	if strings.HasSuffix(req.URL.Hostname(), ".amazonaws.com") {
		req = req.Clone(req.Context())
		req.URL.Scheme, req.URL.Host = r.target.Scheme, r.target.Host
	}
	return http.DefaultTransport.RoundTrip(req)
}

// tokensJSON is an InitiateAuth answer with tokens living an hour.
func tokensJSON() string {
	now := time.Now()
	access := fakeJWT(map[string]any{"username": "alice", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()})
	return fmt.Sprintf(`{"AuthenticationResult":{"AccessToken":%q,"ExpiresIn":3600,"TokenType":"Bearer"}}`, access)
}

// TestResponseLimit: the default client reads at most 1 MiB of a response.
func TestResponseLimit(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		padding int
		wantErr bool
	}{
		{"small", 0, false},
		{"just under the limit", maxResponse - len(tokensJSON()), false},
		{"over the limit", 2 << 20, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/x-amz-json-1.1")
				io.WriteString(w, strings.Repeat(" ", tc.padding)+tokensJSON())
			}))
			defer srv.Close()
			conf := baseConfig()
			_, err := conf.TokenSource(cognitoAt(srv), nil).Token()
			if !tc.wantErr {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, errResponseTooLarge)
		})
	}
}

// TestAttemptsPerCall: one Token call that meets a retryable error sends
// the request at most maxAttempts times, and the next call sends nothing.
func TestAttemptsPerCall(t *testing.T) {
	t.Parallel()
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.Header().Set("X-Amzn-ErrorType", "TooManyRequestsException")
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"__type":"TooManyRequestsException","message":"Too many requests"}`)
	}))
	defer srv.Close()
	conf := baseConfig()
	conf.Password = ""
	ts := conf.TokenSource(cognitoAt(srv), expiredToken("alice", "rt"))
	_, err := ts.Token()
	require.Error(t, err)
	assert.Equal(t, int32(maxAttempts), requests.Load())
	_, err = ts.Token()
	require.Error(t, err)
	assert.Equal(t, int32(maxAttempts), requests.Load(), "backing off")
}

// hangingCognito never answers until the client gives up.
func hangingCognito(t *testing.T) (*httptest.Server, *atomic.Int32) {
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		io.Copy(io.Discard, r.Body) // the server notices a gone client only then
		<-r.Context().Done()
	}))
	t.Cleanup(srv.Close)
	return srv, &requests
}

// bearerEcho is an API that answers with the Authorization header.
func bearerEcho(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, r.Header.Get("Authorization"))
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestClientHonoursRequestContext: requests of Config.Client stop waiting
// for a token when their context ends or the client's Timeout passes,
// while 32 of them share one attempt against a Cognito that hangs.
func TestClientHonoursRequestContext(t *testing.T) {
	t.Parallel()
	for _, how := range []string{"request context", "client timeout"} {
		t.Run(how, func(t *testing.T) {
			t.Parallel()
			cognito, requests := hangingCognito(t)
			api := bearerEcho(t)
			ctx, cancel := context.WithCancel(cognitoAt(cognito))
			defer cancel() // ends the attempt still under way
			conf := baseConfig()
			conf.Password = ""
			client := conf.Client(ctx, expiredToken("alice", "rt"))
			if how == "client timeout" {
				client.Timeout = 100 * time.Millisecond
			}

			_, errs := together(32, func() (*oauth2.Token, error) {
				reqCtx, stop := context.WithTimeout(context.Background(), 100*time.Millisecond)
				defer stop()
				if how == "client timeout" {
					reqCtx = context.Background()
				}
				req, _ := http.NewRequestWithContext(reqCtx, http.MethodGet, api.URL, nil)
				resp, err := client.Do(req)
				if err == nil {
					resp.Body.Close()
				}
				return nil, err
			})
			for _, err := range errs {
				require.Error(t, err)
				assert.True(t, errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), "Client.Timeout"), err)
			}
			assert.Equal(t, int32(1), requests.Load(), "one attempt for all")
		})
	}
}

// TestClientTransport: each request carries the bearer token, the
// caller's request is left as it was, and a body is closed on failure.
func TestClientTransport(t *testing.T) {
	t.Parallel()
	clock := newClock(time.Now())
	conf := baseConfig()
	conf.API = newPasswordPool(clock, time.Hour).api()
	api := bearerEcho(t)
	client := conf.Client(context.Background(), nil)
	req, _ := http.NewRequest(http.MethodGet, api.URL, nil)
	resp, err := client.Do(req)
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.True(t, strings.HasPrefix(string(body), "Bearer ey"), string(body))
	assert.Empty(t, req.Header.Get("Authorization"), "the caller's request is not changed")

	conf.Password = "wrong"
	failing := conf.Client(context.Background(), nil)
	b := &closeCounter{Reader: strings.NewReader("payload")}
	req, _ = http.NewRequest(http.MethodPost, api.URL, b)
	_, err = failing.Do(req)
	require.Error(t, err)
	assert.Positive(t, b.closed.Load(), "the request body is closed")
}

type closeCounter struct {
	io.Reader
	closed atomic.Int32
}

func (c *closeCounter) Close() error { c.closed.Add(1); return nil }
