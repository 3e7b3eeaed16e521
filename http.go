package cognito

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"golang.org/x/oauth2"
)

// transport is the RoundTripper of [Config.Client]: it adds the bearer
// token to each request, waiting for one no longer than the request's
// context allows.
type transport struct {
	tokens *cache
	base   http.RoundTripper
}

// RoundTrip authorizes a copy of req and sends it with the base transport.
func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	tok, err := t.tokens.token(req.Context())
	if err != nil {
		if req.Body != nil {
			req.Body.Close() // a RoundTripper closes the body, even on errors
		}
		return nil, err
	}
	r := req.Clone(req.Context()) // a RoundTripper must not change req
	tok.SetAuthHeader(r)
	return t.base.RoundTrip(r)
}

// maxResponse bounds the size of a Cognito response the default client
// reads: results with tokens take a few kilobytes.
const maxResponse = 1 << 20

// maxAttempts is how many times the default client sends one request when
// it fails with a retryable error (throttling, 5xx, network).
const maxAttempts = 3

// errResponseTooLarge is returned when a response body exceeds maxResponse.
var errResponseTooLarge = errors.New("cognito: the response body is larger than 1 MiB")

// defaultClient is the Cognito client used when Config.API is nil.
func defaultClient(ctx context.Context, poolID string) *cip.Client {
	region, _, _ := strings.Cut(poolID, "_")
	var hc cip.HTTPClient = awshttp.NewBuildableClient()
	if c := contextClient(ctx); c != nil {
		hc = c
	}
	return cip.New(cip.Options{
		Region:           region,
		HTTPClient:       limitedClient{hc},
		RetryMaxAttempts: maxAttempts,
	})
}

// contextClient is the *http.Client that ctx carries under
// oauth2.HTTPClient, or nil.
func contextClient(ctx context.Context) *http.Client {
	hc, _ := ctx.Value(oauth2.HTTPClient).(*http.Client)
	return hc
}

// limitedClient cuts response bodies off at maxResponse, so that a broken
// or hostile endpoint cannot make the client read without end.
type limitedClient struct{ next cip.HTTPClient }

// Do sends req and limits the response body.
func (c limitedClient) Do(req *http.Request) (*http.Response, error) {
	resp, err := c.next.Do(req)
	if err != nil {
		return nil, err
	}
	resp.Body = &limitedBody{rc: resp.Body, left: maxResponse}
	return resp, nil
}

// limitedBody reads at most left more bytes, then fails.
type limitedBody struct {
	rc   io.ReadCloser
	left int64
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		// One byte more tells a body of exactly the limit from a longer one.
		var one [1]byte
		n, err := b.rc.Read(one[:])
		if n > 0 {
			return 0, errResponseTooLarge
		}
		return 0, err
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	return n, err
}

func (b *limitedBody) Close() error { return b.rc.Close() }
