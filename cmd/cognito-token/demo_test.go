package main

import (
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestDemo(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	r := h.mustRun(exitOK, "", "demo", "--requests", "7", "--interval", "400ms", "--lifetime", "3s")
	assert.Empty(t, r.stderr)
	out := r.stdout
	assert.Contains(t, out, "sign-in (SRP) as newcomer@example.com")
	assert.Contains(t, out, "renewal (refresh token)")
	assert.Equal(t, 7, strings.Count(out, "GET /hello  200 OK"))
	assert.Contains(t, out, "token #2")
	assert.Regexp(t, regexp.MustCompile(`\n7 requests, 0 failures, 1 sign-in, [1-9] renewals?\n$`), out)
	assert.NotContains(t, out, "eyJ", "no token is printed")
}
