package main

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"runtime"
	"strings"
)

// envBrowser names the command that opens a web page, as for other
// command-line tools (git, Python's webbrowser, the GitHub CLI).
const envBrowser = "BROWSER"

// openBrowser opens url in the user's web browser: with the command in
// $BROWSER when it is set, else with the platform's opener. It returns
// once the command has exited, with an error if it could not be run or
// exited with a failure. The command is not tied to ctx: a browser it
// starts outlives cognito-token. Its standard streams are not cognito-
// token's: stdin may carry the client secret, stdout the tokens.
func (c *cli) openBrowser(_ context.Context, url string) error {
	argv, err := browserCommand(c.env(envBrowser), runtime.GOOS, url)
	if err != nil {
		return err
	}
	path, err := exec.LookPath(argv[0])
	if err != nil {
		return fmt.Errorf("%s is not installed", argv[0])
	}
	if err := exec.Command(path, argv[1:]...).Run(); err != nil {
		return fmt.Errorf("%s: %w", argv[0], err)
	}
	return nil
}

// errNoOpener means the platform has no known way to open a web page.
var errNoOpener = errors.New("no known way to open a web page here: set $" + envBrowser)

// browserCommand is the command line that opens url: the command in
// browser (the value of $BROWSER) when it is not empty, else the
// platform's opener for goos. The command in $BROWSER is split into words
// as a POSIX shell would split it (with quotes and backslashes, but
// nothing expanded and no shell run); every "%s" in a word is replaced by
// url, and when there is none url is added as the last word, as Python's
// webbrowser module does.
func browserCommand(browser, goos, url string) ([]string, error) {
	if strings.TrimSpace(browser) != "" {
		words, err := splitWords(browser)
		if err != nil {
			return nil, fmt.Errorf("$%s: %w", envBrowser, err)
		}
		replaced := false
		for i, w := range words {
			if strings.Contains(w, "%s") {
				words[i] = strings.ReplaceAll(w, "%s", url)
				replaced = true
			}
		}
		if !replaced {
			words = append(words, url)
		}
		return words, nil
	}
	switch goos {
	case "darwin":
		return []string{"open", url}, nil
	case "windows":
		return []string{"rundll32", "url.dll,FileProtocolHandler", url}, nil
	case "linux", "freebsd", "openbsd", "netbsd", "dragonfly", "solaris", "illumos":
		return []string{"xdg-open", url}, nil
	}
	return nil, errNoOpener
}

// splitWords splits s into words as a POSIX shell does, without
// expanding anything: blanks separate words; in single quotes every
// character stands for itself; in double quotes a backslash escapes only
// \, ", $, ` and a newline; elsewhere a backslash escapes any character.
// An empty pair of quotes is an empty word.
func splitWords(s string) ([]string, error) {
	var (
		words []string
		word  strings.Builder
		in    bool // a word has begun, maybe empty ('')
		quote byte // ' or " while inside quotes
	)
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case quote == '\'':
			if ch == '\'' {
				quote = 0
			} else {
				word.WriteByte(ch)
			}
		case quote == '"':
			switch {
			case ch == '"':
				quote = 0
			case ch == '\\' && i+1 < len(s) && strings.IndexByte("\\\"$`\n", s[i+1]) >= 0:
				i++
				if s[i] != '\n' {
					word.WriteByte(s[i])
				}
			default:
				word.WriteByte(ch)
			}
		case ch == ' ' || ch == '\t' || ch == '\n':
			if in {
				words = append(words, word.String())
				word.Reset()
				in = false
			}
		case ch == '\'' || ch == '"':
			quote, in = ch, true
		case ch == '\\':
			if i+1 == len(s) {
				return nil, errors.New("ends with a backslash")
			}
			i++
			if s[i] != '\n' { // a backslash-newline joins lines
				word.WriteByte(s[i])
				in = true
			}
		default:
			word.WriteByte(ch)
			in = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("a %c quote is not closed", quote)
	}
	if in {
		words = append(words, word.String())
	}
	if len(words) == 0 {
		return nil, errors.New("no command")
	}
	return words, nil
}
