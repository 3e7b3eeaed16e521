package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/seed-e8acf5fd/cognito"
)

// prompter is login's [cognito.ChallengeHandler]: it asks the user for the
// answer to each challenge of the sign-in, on stderr, and reads it from
// the terminal or, with --password-stdin, from the next line of stdin.
//
// Every code, new password and answer read is kept secret (see
// keepSecret); so is an authenticator's key, which is shown once, on
// purpose, for the user to set the app up.
type prompter struct {
	c  *cli
	in terminal
	// lines is set when in is stdin (--password-stdin): each answer is
	// one line, read once, and a missing one is an error; a new password
	// is not asked twice.
	lines bool
	// issuer names the pool in authenticator apps (otpauth URIs).
	issuer string

	// What the sign-in did, for login to tell the user. The library may
	// give up on a slow answer and carry on while AnswerChallenge still
	// runs: hence atomics.
	newPasswordSent atomic.Bool // a NEW_PASSWORD_REQUIRED answer
	newPasswordSet  atomic.Bool // and Cognito took it: it set another challenge
	appSetUp        atomic.Bool // an authenticator app's first code was given
	// waiting is set while a prompt waits for its answer, and stays set
	// when the wait ends with ctx: Config.ChallengeTimeout passed, or an
	// interrupt.
	waiting atomic.Bool
}

// AnswerChallenge asks for the answer to c. A challenge it does not know
// is a *cognito.ChallengeError naming it.
func (p *prompter) AnswerChallenge(ctx context.Context, c *cognito.Challenge) (*cognito.Answer, error) {
	if p.newPasswordSent.Load() {
		// Cognito answers a refused new password with an error, not with
		// another challenge.
		p.newPasswordSet.Store(true)
	}
	switch c.Name {
	case types.ChallengeNameTypeSmsMfa, types.ChallengeNameTypeSmsOtp, types.ChallengeNameTypeEmailOtp:
		return p.code(ctx, c, deliveredPrompt(c), "the code sent to you")
	case types.ChallengeNameTypeSoftwareTokenMfa:
		return p.code(ctx, c, "Code from your authenticator app: ", "the code from your authenticator app")
	case types.ChallengeNameTypeSelectMfaType:
		return p.selectFactor(ctx, c)
	case types.ChallengeNameTypeNewPasswordRequired:
		return p.newPassword(ctx, c)
	case types.ChallengeNameTypeMfaSetup:
		return p.setUpApp(ctx, c)
	case types.ChallengeNameTypeCustomChallenge:
		return p.custom(ctx, c)
	}
	return nil, &cognito.ChallengeError{Challenge: c.Name}
}

// deliveredPrompt asks for a code sent by text message or email, saying
// where it went as Cognito tells (masked, such as +******0100).
func deliveredPrompt(c *cognito.Challenge) string {
	if dest := c.Parameters["CODE_DELIVERY_DESTINATION"]; dest != "" {
		return "Code sent to " + dest + ": "
	}
	if c.Name == types.ChallengeNameTypeEmailOtp {
		return "Code sent to you by email: "
	}
	return "Code sent to you by text message: "
}

// code asks for a one-time code; the spaces an app shows in it may be
// typed or not.
func (p *prompter) code(ctx context.Context, c *cognito.Challenge, prompt, what string) (*cognito.Answer, error) {
	s, err := p.ask(ctx, c, prompt, what, false)
	if err != nil {
		return nil, err
	}
	code := strings.Join(strings.Fields(s), "")
	p.c.keepSecret(s, code)
	return &cognito.Answer{Code: code}, nil
}

// factorNames describe the MFA factors a user may be offered.
var factorNames = map[types.ChallengeNameType]string{
	types.ChallengeNameTypeSmsMfa:           "a code by text message",
	types.ChallengeNameTypeSoftwareTokenMfa: "a code from an authenticator app",
	types.ChallengeNameTypeEmailOtp:         "a code by email",
}

// selectFactor lets the user choose among the MFA factors offered, by
// number or by name (such as SOFTWARE_TOKEN_MFA, for scripts that should
// not depend on the order).
func (p *prompter) selectFactor(ctx context.Context, c *cognito.Challenge) (*cognito.Answer, error) {
	factors := c.Factors()
	if len(factors) == 0 {
		return nil, errors.New("the SELECT_MFA_TYPE challenge offers no MFA factor to choose")
	}
	p.c.msg("Choose how to confirm this sign-in:")
	for i, f := range factors {
		if about, ok := factorNames[f]; ok {
			p.c.msg("  %d. %s (%s)", i+1, about, f)
		} else {
			p.c.msg("  %d. %s", i+1, f)
		}
	}
	for {
		s, err := p.ask(ctx, c, fmt.Sprintf("Number (1-%d): ", len(factors)), "the number of an MFA factor", false)
		if err != nil {
			return nil, err
		}
		if f, ok := chooseFactor(factors, strings.TrimSpace(s)); ok {
			return &cognito.Answer{MFA: f}, nil
		}
		if p.lines {
			// The line is not quoted: misplaced, it could be a code.
			return nil, usagef("--password-stdin: the line that chooses the MFA factor is neither a number from 1 to %d nor one of %s", len(factors), joinFactors(factors))
		}
		p.c.msg("Type a number from 1 to %d.", len(factors))
	}
}

// chooseFactor finds the factor that s names, by its number in the list
// or by its name.
func chooseFactor(factors []types.ChallengeNameType, s string) (types.ChallengeNameType, bool) {
	if n, err := strconv.Atoi(s); err == nil && n >= 1 && n <= len(factors) {
		return factors[n-1], true
	}
	i := slices.IndexFunc(factors, func(f types.ChallengeNameType) bool { return strings.EqualFold(string(f), s) })
	if i < 0 {
		return "", false
	}
	return factors[i], true
}

func joinFactors(factors []types.ChallengeNameType) string {
	names := make([]string, len(factors))
	for i, f := range factors {
		names[i] = string(f)
	}
	return strings.Join(names, ", ")
}

// newPassword asks for a new password, twice on a terminal, where it is
// not echoed, then for each user attribute the pool requires.
func (p *prompter) newPassword(ctx context.Context, c *cognito.Challenge) (*cognito.Answer, error) {
	p.c.msg("You must choose a new password.")
	var pw string
	for {
		var err error
		if pw, err = p.ask(ctx, c, "New password: ", "the new password", true); err != nil {
			return nil, err
		}
		p.c.keepSecret(pw)
		if p.lines {
			break
		}
		again, err := p.ask(ctx, c, "New password again: ", "the new password again", true)
		if err != nil {
			return nil, err
		}
		p.c.keepSecret(again)
		if again == pw {
			break
		}
		p.c.msg("The two passwords differ: try again.")
	}
	a := &cognito.Answer{NewPassword: pw}
	if names := c.RequiredAttributes(); len(names) > 0 {
		p.c.msg("The user pool also requires these attributes of yours:")
		a.Attributes = map[string]string{}
		for _, name := range names {
			v, err := p.ask(ctx, c, "  "+name+": ", "the attribute "+name, false)
			if err != nil {
				return nil, err
			}
			a.Attributes[name] = strings.TrimSpace(v)
		}
	}
	p.newPasswordSent.Store(true)
	return a, nil
}

// setUpApp shows the key of a new authenticator app, as a QR code and as
// text, and asks for the app's first code, which verifies it. Setting up
// a factor other than an app is left to other clients.
func (p *prompter) setUpApp(ctx context.Context, c *cognito.Challenge) (*cognito.Answer, error) {
	if c.SecretCode == "" {
		return nil, &cognito.ChallengeError{Challenge: c.Name}
	}
	p.c.keepSecret(c.SecretCode, c.OTPAuthURI(p.issuer))
	p.c.msg("The user pool requires MFA: set up an authenticator app by scanning this QR code")
	p.c.msg("with it, or by typing in the key below.")
	var lines []string
	if qr, err := renderQR(c.OTPAuthURI(p.issuer)); err == nil {
		lines = append(append(lines, ""), qr...)
	}
	lines = append(lines, "", "Key: "+c.SecretCode, "")
	p.c.reveal(lines...)
	a, err := p.code(ctx, c, "Code from your authenticator app: ", "the first code from your authenticator app")
	if err != nil {
		return nil, err
	}
	p.appSetUp.Store(true)
	return a, nil
}

// custom shows the public parameters of a custom challenge (set by the
// pool's Lambda trigger) and asks for the answer.
func (p *prompter) custom(ctx context.Context, c *cognito.Challenge) (*cognito.Answer, error) {
	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range c.Parameters {
			if k != "USERNAME" && k != "USER_ID_FOR_SRP" && !yield(k) {
				return
			}
		}
	})
	if len(keys) == 0 {
		p.c.msg("The user pool sets a challenge of its own.")
	} else {
		p.c.msg("The user pool sets a challenge of its own:")
	}
	for _, k := range keys {
		p.c.msg("  %s: %s", k, c.Parameters[k])
	}
	s, err := p.ask(ctx, c, "Answer: ", "the answer to the custom challenge", false)
	if err != nil {
		return nil, err
	}
	p.c.keepSecret(s)
	return &cognito.Answer{Responses: map[string]string{"ANSWER": s}}, nil
}

// ask prints prompt and reads the answer, what naming it in errors. On a
// terminal an empty answer is asked for again; from stdin a missing or
// empty line is a usage error, as a missing password line is.
func (p *prompter) ask(ctx context.Context, c *cognito.Challenge, prompt, what string, hidden bool) (string, error) {
	for {
		p.c.prompt(prompt)
		p.waiting.Store(true)
		s, err := p.in.readLine(ctx, hidden)
		if ctx.Err() != nil {
			// The prompt stays open: the next message ends its line. The
			// library has stopped waiting, so nothing else is written.
			return "", ctx.Err()
		}
		p.waiting.Store(false)
		p.c.endPrompt(!hidden && !p.lines)
		blank := err == nil && strings.TrimSpace(s) == ""
		switch {
		case p.lines && (errors.Is(err, errNoLine) || blank):
			return "", usagef("--password-stdin: standard input has no line for %s, which the %s challenge asks for", what, c.Name)
		case err != nil:
			return "", fmt.Errorf("reading %s: %w", what, err)
		case !blank:
			return s, nil
		}
	}
}
