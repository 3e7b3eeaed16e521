package interop_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// call is one API call that a recorder passed on: the operation, the
// request and response bodies (decoded JSON objects, nil when not one),
// the request body as sent, and the response status.
type call struct {
	Operation string
	Request   map[string]any
	Raw       string
	Status    int
	Response  map[string]any
}

// param returns the string at path (keys of nested objects) in the
// request, "" when absent or not a string.
func (c call) param(path ...string) string {
	var v any = c.Request
	for _, k := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return ""
		}
		v = m[k]
	}
	s, _ := v.(string)
	return s
}

// has reports whether the request has a value (null included) at path.
func (c call) has(path ...string) bool {
	var v any = c.Request
	for i, k := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return false
		}
		var present bool
		if v, present = m[k]; !present {
			return false
		}
		if i == len(path)-1 {
			return true
		}
	}
	return false
}

// keys returns the keys of the object at path in the request.
func (c call) keys(path ...string) []string {
	var v any = c.Request
	for _, k := range path {
		m, _ := v.(map[string]any)
		v = m[k]
	}
	m, _ := v.(map[string]any)
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// recorder is a proxy in front of a Cognito endpoint that records every
// API call passed through it, so that a test can check what a peer sent.
// before, when set, runs before each call is passed on.
type recorder struct {
	URL    string
	target string
	before func(op string, req map[string]any)

	mu    sync.Mutex
	calls []call
}

// newRecorder starts a recorder in front of target, closed when the test
// ends.
func newRecorder(t testing.TB, target string, before func(op string, req map[string]any)) *recorder {
	t.Helper()
	r := &recorder{target: target, before: before}
	srv := httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(srv.Close)
	r.URL = srv.URL
	return r
}

func (r *recorder) serve(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		http.Error(w, "reading the request", http.StatusBadRequest)
		return
	}
	c := call{Operation: strings.TrimPrefix(req.Header.Get("X-Amz-Target"), "AWSCognitoIdentityProviderService."), Raw: string(body)}
	json.Unmarshal(body, &c.Request) // nil for a body that is not an object
	if r.before != nil {
		r.before(c.Operation, c.Request)
	}
	out, err := http.NewRequestWithContext(req.Context(), req.Method, r.target+req.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		http.Error(w, "building the request", http.StatusInternalServerError)
		return
	}
	out.Header = req.Header.Clone()
	resp, err := http.DefaultClient.Do(out)
	if err != nil {
		http.Error(w, "passing the request on", http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	respBody, err := io.ReadAll(resp.Body)
	if err != nil {
		http.Error(w, "reading the response", http.StatusBadGateway)
		return
	}
	c.Status = resp.StatusCode
	json.Unmarshal(respBody, &c.Response)
	r.mu.Lock()
	r.calls = append(r.calls, c)
	r.mu.Unlock()
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.StatusCode)
	w.Write(respBody)
}

// recorded returns the calls recorded so far, in order.
func (r *recorder) recorded() []call {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]call(nil), r.calls...)
}

// callsTo returns the recorded calls of operation, in order.
func (r *recorder) callsTo(operation string) []call {
	var out []call
	for _, c := range r.recorded() {
		if c.Operation == operation {
			out = append(out, c)
		}
	}
	return out
}

// requireCall returns the i-th recorded call of operation.
func (r *recorder) requireCall(t testing.TB, operation string, i int) call {
	t.Helper()
	calls := r.callsTo(operation)
	require.Greater(t, len(calls), i, "%s call %d", operation, i)
	return calls[i]
}
