package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"
)

// terminal is where the user answers prompts: the real terminal, the
// lines of stdin (--password-stdin), or a test's fake.
type terminal interface {
	// readLine reads one line, without its line ending, echoed as it is
	// typed or, when hidden is set, not echoed (a password). When ctx
	// ends first it returns ctx.Err() at once, leaving the terminal as it
	// found it.
	readLine(ctx context.Context, hidden bool) (string, error)
}

// userTerminal is the user's terminal: the one the cli was given, else
// stdin when it is a terminal, else nil.
func (c *cli) userTerminal() terminal {
	if c.term != nil {
		return c.term
	}
	f, ok := c.stdin.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return tty{f: f}
}

// input is stdin, read line by line. The password, the client secret and
// the answers to challenges all come from it, in that order, so it is
// made once: a second buffered reader would lose what the first one read
// ahead.
func (c *cli) input() *bufio.Reader {
	if c.in == nil {
		c.in = bufio.NewReader(c.stdin)
	}
	return c.in
}

// line is what a read in the background brings back.
type line struct {
	text string
	err  error
}

// tty is a real terminal.
type tty struct{ f *os.File }

// readLine reads from the terminal in the background, so that an
// interrupt or a timeout (ctx done) can end the wait; the read is then
// left blocked, the process being about to exit, and the terminal's echo
// is restored.
func (t tty) readLine(ctx context.Context, hidden bool) (string, error) {
	fd := int(t.f.Fd())
	state, err := term.GetState(fd)
	if err != nil {
		return "", err
	}
	done := make(chan line, 1)
	go func() {
		if hidden {
			b, err := term.ReadPassword(fd)
			done <- line{string(b), err}
			return
		}
		s, err := readTypedLine(t.f)
		done <- line{s, err}
	}()
	select {
	case l := <-done:
		return l.text, l.err
	case <-ctx.Done():
		_ = term.Restore(fd, state)
		return "", ctx.Err()
	}
}

// readTypedLine reads a line from r a byte at a time, as
// term.ReadPassword does, so that nothing typed after it is taken from
// the terminal before its time.
func readTypedLine(r io.Reader) (string, error) {
	var b []byte
	var one [1]byte
	for {
		n, err := r.Read(one[:])
		if n == 1 {
			if one[0] == '\n' {
				break
			}
			b = append(b, one[0])
			continue
		}
		if err == io.EOF && len(b) > 0 {
			break
		}
		if err != nil {
			return "", err
		}
	}
	return strings.TrimSuffix(string(b), "\r"), nil
}

// stdinLines answers prompts with the next lines of stdin, for
// --password-stdin: a line that is missing or empty is errNoLine.
type stdinLines struct{ r *bufio.Reader }

// readLine reads the next line in the background, so that ctx can end
// the wait for a pipe that stays open and silent.
func (s stdinLines) readLine(ctx context.Context, _ bool) (string, error) {
	done := make(chan line, 1)
	go func() {
		text, err := readLine(s.r)
		done <- line{text, err}
	}()
	select {
	case l := <-done:
		return l.text, l.err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// promptPassword asks for the password on stderr and reads it from the
// terminal without echo.
func (c *cli) promptPassword(ctx context.Context, t terminal, username string) (string, error) {
	c.prompt(fmt.Sprintf("Password for %s: ", username))
	pw, err := t.readLine(ctx, true)
	if ctx.Err() != nil {
		return "", ctx.Err() // the next message ends the prompt's line
	}
	c.endPrompt(false)
	switch {
	case err != nil:
		return "", fmt.Errorf("reading the password: %w", err)
	case pw == "":
		return "", usagef("empty password")
	}
	c.keepSecret(pw)
	return pw, nil
}

// errNoLine means stdin ended before a non-empty line.
var errNoLine = errors.New("no line")

// readLine reads one line, without its line ending.
func readLine(r *bufio.Reader) (string, error) {
	line, err := r.ReadString('\n')
	if err != nil && (err != io.EOF || line == "") {
		if err == io.EOF {
			return "", errNoLine
		}
		return "", err
	}
	line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
	if line == "" {
		return "", errNoLine
	}
	return line, nil
}
