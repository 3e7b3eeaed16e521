package main

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	redaction "github.com/seed-e8acf5fd/cognito/internal/redact"
)

// keepSecret records values that must never be printed: the password, the
// client secret, codes, and every token this run has seen. Messages are
// redacted of them (see clean), so that a server echoing a request in its
// error message cannot put them on the terminal or in a log.
func (c *cli) keepSecret(values ...string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, v := range values {
		if v != "" && !slices.Contains(c.secrets, v) {
			c.secrets = append(c.secrets, v)
		}
	}
}

// clean makes a message fit to print: terminal controls stripped (error
// messages carry text from the server) and the secrets kept by keepSecret
// redacted. The caller holds c.mu.
func (c *cli) clean(msg string) string {
	return redact(stripControls(msg), c.secrets)
}

// msg prints one line on stderr, cleaned. A prompt still waiting for its
// answer (the user pressed Ctrl-C) gets its line ended first.
func (c *cli) msg(format string, args ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.endOpenPrompt()
	fmt.Fprintln(c.stderr, c.clean(fmt.Sprintf(format, args...)))
}

// prompt prints text on stderr, cleaned, and leaves the line open for the
// answer: see endPrompt.
func (c *cli) prompt(text string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.endOpenPrompt()
	fmt.Fprint(c.stderr, c.clean(text))
	c.openPrompt = true
}

// endPrompt ends the line of the prompt just answered: echoed means the
// terminal showed the line break the user typed; otherwise (a password,
// or a line of stdin) one is printed.
func (c *cli) endPrompt(echoed bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !echoed {
		c.endOpenPrompt()
	}
	c.openPrompt = false
}

// endOpenPrompt prints a line break if a prompt is open. The caller holds
// c.mu.
func (c *cli) endOpenPrompt() {
	if c.openPrompt {
		fmt.Fprintln(c.stderr)
		c.openPrompt = false
	}
}

// reveal prints lines on stderr, stripped of terminal controls but not
// redacted: they are for the user to see although they carry a secret
// (the key of an authenticator app being set up, and its QR code). It is
// the only way a secret reaches the terminal.
func (c *cli) reveal(lines ...string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.endOpenPrompt()
	for _, l := range lines {
		fmt.Fprintln(c.stderr, stripControls(l))
	}
}

// redact replaces every secret in msg, in every form package redact knows
// and as stripControls would print it.
func redact(msg string, secrets []string) string {
	forms := slices.Clone(secrets)
	for _, s := range secrets {
		forms = append(forms, stripControls(s))
	}
	return redaction.Secrets(msg, forms...)
}

// stripControls returns s fit to print on a terminal, one line: escape
// sequences (ESC [ ... m, ESC ] ... BEL and the like) are removed whole;
// other C0 controls, DEL, C1 controls and the bidirectional-text overrides
// are dropped; tabs and line breaks become spaces; and invalid UTF-8
// becomes U+FFFD. Text from a server goes through it before it is printed,
// so that it can neither drive the terminal nor forge a line of output.
func stripControls(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == 0x1b:
			size = escapeLen(s[i:])
		case r == '\t' || r == '\n' || r == '\u2028' || r == '\u2029':
			b.WriteByte(' ')
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			// dropped, \r included: it would let later text overwrite the line
		case r >= '\u202a' && r <= '\u202e', r >= '\u2066' && r <= '\u2069':
			// dropped: they reorder what the reader sees
		default:
			b.WriteRune(r) // utf8.RuneError for invalid UTF-8
		}
		i += size
	}
	return b.String()
}

// escapeLen is the length of the escape sequence at the start of s, which
// starts with ESC, as ECMA-48 delimits it: a control sequence (ESC [,
// parameters, a final byte), a control string (ESC ] for OSC, ESC P, X, ^
// or _, up to BEL or ESC \), or ESC with intermediate bytes and a final
// byte. An unterminated sequence runs to the end of s, as a terminal would
// take it; a malformed one ends before the byte that breaks it.
func escapeLen(s string) int {
	if len(s) < 2 {
		return len(s)
	}
	switch c := s[1]; {
	case c == '[':
		for i := 2; i < len(s); i++ {
			switch {
			case s[i] >= 0x40 && s[i] <= 0x7e:
				return i + 1
			case s[i] < 0x20 || s[i] > 0x3f:
				return i
			}
		}
		return len(s)
	case c == ']' || c == 'P' || c == 'X' || c == '^' || c == '_':
		for i := 2; i < len(s); i++ {
			switch {
			case s[i] == 0x07:
				return i + 1
			case s[i] == 0x1b && i+1 < len(s) && s[i+1] == '\\':
				return i + 2
			case s[i] == 0x1b:
				return i
			}
		}
		return len(s)
	case c >= 0x20 && c <= 0x7e:
		i := 1
		for i < len(s) && s[i] >= 0x20 && s[i] <= 0x2f {
			i++
		}
		if i < len(s) && s[i] >= 0x30 && s[i] <= 0x7e {
			i++
		}
		return i
	default:
		return 1 // a lone ESC
	}
}

// messageWriter writes each line it is given as a message (see msg):
// cleaned of secrets and control characters, and after any open prompt.
type messageWriter struct{ c *cli }

func (w messageWriter) Write(p []byte) (int, error) {
	w.c.msg("%s", strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
