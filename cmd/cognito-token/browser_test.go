package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// helperArg, as the first argument of the test binary, makes it a
// browser for $BROWSER instead of running the tests: see helperBrowser.
const helperArg = "cognito-token-test-browser"

func TestMain(m *testing.M) {
	if len(os.Args) > 2 && os.Args[1] == helperArg {
		if err := helperBrowser(os.Args[2], os.Args[3:]); err != nil {
			fmt.Fprintln(os.Stderr, "test browser:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// helperBrowser is the test binary acting as the command in $BROWSER,
// given the URL of the sign-in page as its last argument:
//
//	decline URL           comes back to the redirect URL with
//	                      error=access_denied, as Cognito does when a
//	                      federated sign-in is cancelled
//	fail URL              exits 1 having done nothing
//	chromium JOB URL      signs in in headless Chromium (chromium_test.go)
func helperBrowser(mode string, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("no URL")
	}
	page := args[len(args)-1]
	switch mode {
	case "decline":
		return decline(context.Background(), page)
	case "fail":
		return fmt.Errorf("failing as asked")
	case "chromium":
		if len(args) != 2 {
			return fmt.Errorf("chromium: want JOB URL")
		}
		return driveChromium(args[0], page)
	}
	return fmt.Errorf("unknown mode %q", mode)
}

// decline comes back from the sign-in page at authURL, without going to
// it, as a user who declined: to the redirect URL, with the state, and
// error=access_denied.
func decline(ctx context.Context, authURL string) error {
	return comeBack(ctx, authURL, url.Values{"error": {"access_denied"}, "error_description": {"the user declined"}})
}

// comeBack requests the redirect URL of the sign-in page authURL with the
// query q, the state added unless q has one, as a browser would.
func comeBack(ctx context.Context, authURL string, q url.Values) error {
	u, err := url.Parse(authURL)
	if err != nil {
		return err
	}
	auth := u.Query()
	if !q.Has("state") {
		q.Set("state", auth.Get("state"))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, auth.Get("redirect_uri")+"?"+q.Encode(), nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	return resp.Body.Close()
}

// testBinaryBrowser is a $BROWSER that runs the test binary as a browser
// in mode, with args before the URL.
func testBinaryBrowser(t *testing.T, mode string, args ...string) string {
	exe, err := os.Executable()
	require.NoError(t, err)
	words := []string{exe, helperArg, mode}
	words = append(words, args...)
	for i, w := range words {
		words[i] = "'" + strings.ReplaceAll(w, "'", `'\''`) + "'"
	}
	return strings.Join(words, " ")
}

func TestBrowserCommand(t *testing.T) {
	t.Parallel()
	const page = "https://auth.example.com/oauth2/authorize?client_id=abc&state=xyz"
	tests := []struct {
		name, browser, goos string
		want                []string
		err                 string
	}{
		{"xdg-open", "", "linux", []string{"xdg-open", page}, ""},
		{"open", "", "darwin", []string{"open", page}, ""},
		{"rundll32", "", "windows", []string{"rundll32", "url.dll,FileProtocolHandler", page}, ""},
		{"bsd", "", "freebsd", []string{"xdg-open", page}, ""},
		{"none", "", "plan9", nil, "set $BROWSER"},
		{"blank BROWSER", "  ", "plan9", nil, "set $BROWSER"},
		{"BROWSER", "firefox", "darwin", []string{"firefox", page}, ""},
		{"BROWSER with words", "firefox --new-window", "linux", []string{"firefox", "--new-window", page}, ""},
		{"BROWSER with %s", "chromium --app=%s --incognito", "linux", []string{"chromium", "--app=" + page, "--incognito"}, ""},
		{"BROWSER with %s twice", "echo %s %s", "linux", []string{"echo", page, page}, ""},
		{"BROWSER quoted", `'/opt/My Browser/browser' "--profile=a b"`, "linux", []string{"/opt/My Browser/browser", "--profile=a b", page}, ""},
		{"BROWSER unclosed quote", `"firefox`, "linux", nil, `$BROWSER: a " quote is not closed`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := browserCommand(tt.browser, tt.goos, page)
			if tt.err != "" {
				assert.ErrorContains(t, err, tt.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestSplitWords(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want []string
		err  string
	}{
		{"a b\tc\n d", []string{"a", "b", "c", "d"}, ""},
		{"  lead and trail  ", []string{"lead", "and", "trail"}, ""},
		{`'it''s' x`, []string{"its", "x"}, ""},
		{`'a "b" \c'`, []string{`a "b" \c`}, ""},
		{`"a 'b' \"c\" \\ \$ \x"`, []string{`a 'b' "c" \ $ \x`}, ""},
		{`a\ b c\'d`, []string{"a b", "c'd"}, ""},
		{`'' x ""`, []string{"", "x", ""}, ""},
		{"a\\\nb", []string{"ab"}, ""},
		{`pre"mid"'post'`, []string{"premidpost"}, ""},
		{"$HOME ~ *", []string{"$HOME", "~", "*"}, ""},
		{"", nil, "no command"},
		{`a\`, nil, "ends with a backslash"},
		{`'open`, nil, "a ' quote is not closed"},
	}
	for _, tt := range tests {
		got, err := splitWords(tt.in)
		if tt.err != "" {
			assert.EqualError(t, err, tt.err, "%q", tt.in)
			continue
		}
		if assert.NoError(t, err, "%q", tt.in) {
			assert.Equal(t, tt.want, got, "%q", tt.in)
		}
	}
}

// TestBrowserVariable: login --browser runs the command in $BROWSER with
// the sign-in page, and reports one that fails.
func TestBrowserVariable(t *testing.T) {
	t.Parallel()
	t.Run("runs", func(t *testing.T) {
		t.Parallel()
		h := browserHarness(t, freeRedirectURL(t))
		h.env[envBrowser] = testBinaryBrowser(t, "decline")
		r := h.mustRun(exitFailure, "", "login", "--browser")
		assert.Contains(t, r.stderr, "cognito-token: the sign-in in the browser failed: access_denied: the user declined\n")
		assert.NotContains(t, r.stderr, "Could not open a browser")
	})
	t.Run("fails", func(t *testing.T) {
		t.Parallel()
		h := browserHarness(t, freeRedirectURL(t))
		h.env[envBrowser] = testBinaryBrowser(t, "fail")
		r := h.mustRun(exitFailure, "", "login", "--browser", "--timeout", "2s")
		assertInOrder(t, r.stderr,
			"Sign in in your browser; if it does not open, open this URL in it:\n  "+h.env[envDomain]+"/oauth2/authorize?",
			"Could not open a browser (", ": exit status 1): open the URL above in one.\n",
			"cognito-token: the browser did not come back from the sign-in within 2s")
	})
	t.Run("missing", func(t *testing.T) {
		t.Parallel()
		h := browserHarness(t, freeRedirectURL(t))
		h.env[envBrowser] = "/nonexistent/browser --flag"
		r := h.mustRun(exitFailure, "", "login", "--browser", "--timeout", "1s")
		assert.Contains(t, r.stderr, "Could not open a browser (/nonexistent/browser is not installed): open the URL above in one.\n")
	})
}
