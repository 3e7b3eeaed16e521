package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
)

func TestStripControls(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
	}{
		{"plain", "Incorrect username or password.", "Incorrect username or password."},
		{"non-ASCII", "héllo ✓ 日本", "héllo ✓ 日本"},
		{"window title (OSC, BEL)", "a\x1b]0;evil\x07b", "ab"},
		{"hyperlink (OSC, ST)", "a\x1b]8;;https://evil.example\x1b\\b", "ab"},
		{"unterminated OSC", "a\x1b]0;evil", "a"},
		{"clear screen (CSI)", "a\x1b[2Jb", "ab"},
		{"colour (CSI)", "\x1b[1;31mred\x1b[0m", "red"},
		{"broken CSI", "a\x1b[1\x07b", "ab"},
		{"reset (ESC c)", "a\x1bcb", "ab"},
		{"character set (ESC ( B)", "a\x1b(Bb", "ab"},
		{"device control string", "a\x1bPq#0\x1b\\b", "ab"},
		{"lone ESC", "a\x1b", "a"},
		{"carriage return", "ok\rforged", "okforged"},
		{"line breaks and tabs", "a\nb\r\nc\td\u2028e", "a b c d e"},
		{"other C0 and DEL", "a\x00\x07\x08\x7fb", "ab"},
		{"C1 (8-bit CSI, NEL)", "a\u009b2J\u0085b", "a2Jb"},
		{"bidirectional override", "a\u202eb\u2066c", "abc"},
		{"invalid UTF-8", "a\xff\x9bb", "a\ufffd\ufffdb"},
		{"hostile message", "Bad request\x1b]0;evil\x07\x1b[2J\rwarning: forged", "Bad requestwarning: forged"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := stripControls(tt.in)
			assert.Equal(t, tt.want, got)
			assertPrintable(t, got)
		})
	}
}

// assertPrintable checks that s is valid UTF-8 without C0 or C1 controls
// or DEL.
func assertPrintable(t *testing.T, s string) {
	t.Helper()
	assert.True(t, utf8.ValidString(s), "%q is not UTF-8", s)
	for _, r := range s {
		if r < 0x20 || (r >= 0x7f && r < 0xa0) {
			assert.Failf(t, "control character", "%q in %q", r, s)
		}
	}
}

func TestRedact(t *testing.T) {
	t.Parallel()
	secrets := []string{"hunter2-pw", `pa"ss\word`, "tab\tsecret", "hunter2"}
	msg := `raw hunter2-pw, JSON {"PASSWORD":"pa\"ss\\word"}, stripped tab secret, short hunter2.`
	got := redact(stripControls(msg), secrets)
	assert.Equal(t, `raw [redacted], JSON {"PASSWORD":"[redacted]"}, stripped [redacted], short [redacted].`, got)
	assert.Equal(t, "nothing to hide", redact("nothing to hide", nil))
}

// TestPromptLines: a prompt's line is ended by the answer or by the next
// message; prompts are redacted like messages; reveal shows a secret, and
// nothing else, stripped of terminal controls.
func TestPromptLines(t *testing.T) {
	t.Parallel()
	var stderr bytes.Buffer
	c := &cli{stderr: &stderr}
	c.keepSecret("JBSWY3DPEHPK3PXP")

	c.prompt("Code: ")
	c.endPrompt(true) // the terminal echoed the line break
	c.prompt("Password: ")
	c.endPrompt(false)
	c.prompt("Code for JBSWY3DPEHPK3PXP: ")
	c.msg("interrupted") // the prompt was never answered
	c.reveal("Key: JBSWY3DPEHPK3PXP\x1b[8m", "██▀▄")
	c.msg("the key was JBSWY3DPEHPK3PXP")
	assert.Equal(t, "Code: "+
		"Password: \n"+
		"Code for [redacted]: \ninterrupted\n"+
		"Key: JBSWY3DPEHPK3PXP\n██▀▄\n"+
		"the key was [redacted]\n", stderr.String())
}

// TestHostileServerText checks that text from the server cannot drive the
// terminal or forge a line of output.
func TestHostileServerText(t *testing.T) {
	t.Parallel()
	const hostile = "Bad request\x1b]0;evil\x07\x1b[2J\r\nwarning: all is well\x1b[8m"
	url := fakeAPI(t, func(string, []byte) (int, any) {
		return 500, apiError("InternalErrorException", hostile)
	})
	h := fakeHarness(t, url)
	r := h.mustRun(exitFailure, "Pa55word!\n", "login", "--password-stdin", "--flow", "password")
	assert.Contains(t, r.stderr, "Bad request warning: all is well")
	assert.Equal(t, 1, strings.Count(r.stderr, "\n"), "one line: %q", r.stderr)
	assertPrintable(t, strings.TrimSuffix(r.stderr, "\n"))

	// The warning of a renewal that failed while the token is still valid.
	h.plant(time.Now().Add(30*time.Second), nil)
	r = h.mustRun(exitOK, "", "token")
	assert.Contains(t, r.stderr, "warning: could not renew")
	assert.Contains(t, r.stderr, "Bad request warning: all is well")
	assert.Equal(t, 1, strings.Count(r.stderr, "\n"), "one line: %q", r.stderr)
	assertPrintable(t, strings.TrimSuffix(r.stderr, "\n"))
}

// TestEchoedSecretsRedacted: a server that echoes the request in its error
// message gets the password, the client secret and the refresh token, but
// they must not reach the terminal through the CLI's error message.
func TestEchoedSecretsRedacted(t *testing.T) {
	t.Parallel()
	var calls []string
	url := fakeAPI(t, func(op string, body []byte) (int, any) {
		calls = append(calls, op)
		return 400, apiError("NotAuthorizedException", "cannot parse "+string(body))
	})
	const password, secret = `Pa"55-w0rd\echo`, "client-secret-echo-0123456789"
	h := fakeHarness(t, url)
	h.env[envClientSecret] = secret
	h.secret(password, jsonEscape(password), secret)

	r := h.mustRun(exitFailure, password+"\n", "login", "--password-stdin", "--flow", "password")
	assert.Contains(t, r.stderr, `cannot parse {"AuthFlow":"USER_PASSWORD_AUTH"`, "the echo is there")
	assert.Contains(t, r.stderr, `"PASSWORD":"[redacted]"`)

	ses := h.plant(time.Now().Add(-time.Second), nil)
	r = h.mustRun(exitFailure, "", "token")
	assert.Contains(t, r.stderr, `"RefreshToken":"[redacted]"`)

	r = h.mustRun(exitFailure, "", "logout")
	assert.Contains(t, r.stderr, `"ClientSecret":"[redacted]"`)
	assert.NotContains(t, r.stderr, ses.RefreshToken)
	assert.Equal(t, []string{"InitiateAuth", "GetTokensFromRefreshToken", "RevokeToken"}, calls)
}

// TestHostileToken: a token is printed as it is, so one that is not made
// of token characters is refused.
func TestHostileToken(t *testing.T) {
	t.Parallel()
	h := newHarness(t, map[string]string{envUserPoolID: "us-east-1_Fake", envClientID: "c", envUsername: "alice"})
	valid := time.Now().Add(time.Hour)
	for _, out := range [][]string{nil, {"--id"}, {"--json"}, {"--exec-credential"}} {
		ses := h.plant(valid, nil)
		ses.IDToken += "\x1b]0;evil\x07"
		h.save(ses)
		r := h.mustRun(exitFailure, "", append([]string{"token"}, out...)...)
		assert.Empty(t, r.stdout)
		assert.Contains(t, r.stderr, "characters no token has")
		assertPrintable(t, strings.TrimSuffix(r.stderr, "\n"))
	}
}

// jsonEscape is s as it appears inside a JSON string.
func jsonEscape(s string) string {
	b, _ := json.Marshal(s)
	return string(b[1 : len(b)-1])
}
