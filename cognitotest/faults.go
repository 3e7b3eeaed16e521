package cognitotest

import (
	"net/http"
	"regexp"
	"slices"
	"time"
)

// fault is a pending injected failure of one operation.
type fault struct {
	remaining int
	errorType string
}

// errorTypePattern is the shape of an AWS error __type.
var errorTypePattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]{0,127}$`)

// Calls returns how many requests have named operation ("InitiateAuth",
// "RespondToAuthChallenge", ...) in their X-Amz-Target header, failed ones
// included. Requests for operations the server does not implement are
// counted too. Given the path of an endpoint of the pool's domain
// ("/oauth2/token", "/oauth2/authorize", "/oauth2/userInfo",
// "/oauth2/revoke", "/login" or "/logout") instead, it returns how many
// requests that endpoint received, whatever their method or outcome. It
// panics for a name that is neither (empty, lower-case first letter, or
// with the AWSCognitoIdentityProviderService. prefix).
func (s *Server) Calls(operation string) int {
	if !isOperationName(operation) && !slices.Contains(endpointPaths, operation) {
		panicf("Calls: %q is not an operation name", operation)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[operation]
}

// FailNext makes the next n calls of operation fail with errorType as their
// __type and the message "injected fault": with HTTP 500 for
// InternalErrorException, 503 for ServiceUnavailableException and 400 for
// any other type. n = 0 cancels pending faults. It panics for an operation
// the server does not implement, a negative n, or an errorType that is not a
// plain identifier.
func (s *Server) FailNext(operation string, n int, errorType string) {
	checkOperation("FailNext", operation)
	if n < 0 {
		panicf("FailNext: negative count %d", n)
	}
	if n > 0 && !errorTypePattern.MatchString(errorType) {
		panicf("FailNext: invalid error type %q", errorType)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if n == 0 {
		delete(s.faults, operation)
		return
	}
	s.faults[operation] = fault{remaining: n, errorType: errorType}
}

// Delay makes every later call of operation wait d before it is answered; 0
// removes the delay. A waiting call gives up as soon as its client goes away
// (the request's context ends) or the server is closed. It panics for an
// operation the server does not implement or a negative d.
func (s *Server) Delay(operation string, d time.Duration) {
	checkOperation("Delay", operation)
	if d < 0 {
		panicf("Delay: negative duration %v", d)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if d == 0 {
		delete(s.delays, operation)
		return
	}
	s.delays[operation] = d
}

// checkOperation panics unless the server implements operation.
func checkOperation(method, operation string) {
	if _, ok := operations[operation]; !ok {
		panicf("%s: unknown operation %q", method, operation)
	}
}

// maxCounted bounds how many distinct operation names are counted, so that
// a client sending made-up names cannot grow the counter without end.
const maxCounted = 1000

func (s *Server) count(operation string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, seen := s.calls[operation]; seen || len(s.calls) < maxCounted {
		s.calls[operation]++
	}
}

// wait applies the delay set for operation. It reports false when the
// request should be dropped: its client went away or the server is closing.
func (s *Server) wait(r *http.Request, operation string) bool {
	s.mu.Lock()
	d := s.delays[operation]
	s.mu.Unlock()
	if d == 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	case <-s.closed:
		return false
	}
}

// takeFault consumes one pending fault of operation, if any.
func (s *Server) takeFault(operation string) *apiError {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.faults[operation]
	if !ok {
		return nil
	}
	if f.remaining--; f.remaining == 0 {
		delete(s.faults, operation)
	} else {
		s.faults[operation] = f
	}
	status := http.StatusBadRequest
	switch f.errorType {
	case "InternalErrorException":
		status = http.StatusInternalServerError
	case "ServiceUnavailableException":
		status = http.StatusServiceUnavailable
	}
	return &apiError{status: status, typ: f.errorType, msg: "injected fault"}
}
