package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-e8acf5fd/cognito"
)

// testPrompter is a prompter with its cli's stderr, answering from a
// terminal or from the lines of a stdin.
type testPrompter struct {
	*prompter
	stderr *bytes.Buffer
}

// terminalPrompter answers from a fake terminal where typed is typed.
func terminalPrompter(typed ...string) (testPrompter, *fakeTerminal) {
	var stderr bytes.Buffer
	f := newFakeTerminal(typed...)
	c := &cli{stderr: &stderr, term: f}
	return testPrompter{&prompter{c: c, in: f, issuer: "eu-west-1_AbC123"}, &stderr}, f
}

// linesPrompter answers from stdin, as with --password-stdin.
func linesPrompter(stdin string) testPrompter {
	var stderr bytes.Buffer
	c := &cli{stderr: &stderr, stdin: strings.NewReader(stdin)}
	return testPrompter{&prompter{c: c, in: stdinLines{c.input()}, lines: true, issuer: "eu-west-1_AbC123"}, &stderr}
}

// challenge builds a challenge as the library hands it to a handler.
func challenge(name types.ChallengeNameType, params ...string) *cognito.Challenge {
	c := &cognito.Challenge{Name: name, Username: "0c7d9f2e-4b1a-4f3e-9c2d-5e6f7a8b9c0d", Parameters: map[string]string{}}
	for i := 0; i+1 < len(params); i += 2 {
		c.Parameters[params[i]] = params[i+1]
	}
	return c
}

// TestPrompterTerminal answers each kind of challenge on a terminal.
func TestPrompterTerminal(t *testing.T) {
	t.Parallel()
	const secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXPABCD"
	withSecret := func(c *cognito.Challenge) *cognito.Challenge {
		c.SecretCode = secret
		return c
	}
	tests := []struct {
		name      string
		challenge *cognito.Challenge
		typed     []string
		want      *cognito.Answer
		hidden    []bool   // how each line was read
		stderr    []string // in order, on stderr
		secrets   []string // kept secret afterwards
	}{
		{
			name:      "SMS_MFA",
			challenge: challenge(types.ChallengeNameTypeSmsMfa, "CODE_DELIVERY_DESTINATION", "+*******0100", "CODE_DELIVERY_DELIVERY_MEDIUM", "SMS"),
			typed:     []string{"123 456"},
			want:      &cognito.Answer{Code: "123456"},
			hidden:    []bool{false},
			stderr:    []string{"Code sent to +*******0100: "},
			secrets:   []string{"123456", "123 456"},
		},
		{
			name:      "EMAIL_OTP",
			challenge: challenge(types.ChallengeNameTypeEmailOtp, "CODE_DELIVERY_DESTINATION", "a***@e***"),
			typed:     []string{"87654321"},
			want:      &cognito.Answer{Code: "87654321"},
			hidden:    []bool{false},
			stderr:    []string{"Code sent to a***@e***: "},
			secrets:   []string{"87654321"},
		},
		{
			name:      "SMS_MFA without a destination",
			challenge: challenge(types.ChallengeNameTypeSmsMfa),
			typed:     []string{"123456"},
			want:      &cognito.Answer{Code: "123456"},
			hidden:    []bool{false},
			stderr:    []string{"Code sent to you by text message: "},
		},
		{
			name:      "SOFTWARE_TOKEN_MFA, asked again after an empty line",
			challenge: challenge(types.ChallengeNameTypeSoftwareTokenMfa),
			typed:     []string{"", "  ", "654321"},
			want:      &cognito.Answer{Code: "654321"},
			hidden:    []bool{false, false, false},
			stderr:    []string{"Code from your authenticator app: Code from your authenticator app: Code from your authenticator app: "},
			secrets:   []string{"654321"},
		},
		{
			name:      "SELECT_MFA_TYPE by number, after a wrong one",
			challenge: challenge(types.ChallengeNameTypeSelectMfaType, "MFAS_CAN_CHOOSE", `["SMS_MFA","SOFTWARE_TOKEN_MFA"]`),
			typed:     []string{"3", "2"},
			want:      &cognito.Answer{MFA: types.ChallengeNameTypeSoftwareTokenMfa},
			hidden:    []bool{false, false},
			stderr: []string{
				"Choose how to confirm this sign-in:\n",
				"  1. a code by text message (SMS_MFA)\n",
				"  2. a code from an authenticator app (SOFTWARE_TOKEN_MFA)\n",
				"Number (1-2): ",
				"Type a number from 1 to 2.\n",
				"Number (1-2): ",
			},
		},
		{
			name:      "SELECT_MFA_TYPE by name",
			challenge: challenge(types.ChallengeNameTypeSelectMfaType, "MFAS_CAN_CHOOSE", `["SMS_MFA","EMAIL_OTP","SOFTWARE_TOKEN_MFA"]`),
			typed:     []string{"email_otp"},
			want:      &cognito.Answer{MFA: types.ChallengeNameTypeEmailOtp},
			hidden:    []bool{false},
			stderr:    []string{"  2. a code by email (EMAIL_OTP)\n", "Number (1-3): "},
		},
		{
			name:      "NEW_PASSWORD_REQUIRED, typed twice until both match, then the attributes",
			challenge: challenge(types.ChallengeNameTypeNewPasswordRequired, "requiredAttributes", `["userAttributes.name","userAttributes.custom:team"]`, "userAttributes", `{"email":"alice@example.com"}`),
			typed:     []string{"New-pa55word!", "New-pa55wrod!", "New-pa55word!", "New-pa55word!", "Alice Liddell ", "blue"},
			want: &cognito.Answer{NewPassword: "New-pa55word!", Attributes: map[string]string{
				"name":        "Alice Liddell",
				"custom:team": "blue",
			}},
			hidden: []bool{true, true, true, true, false, false},
			stderr: []string{
				"You must choose a new password.\n",
				"New password: \nNew password again: \n",
				"The two passwords differ: try again.\n",
				"New password: \nNew password again: \n",
				"The user pool also requires these attributes of yours:\n",
				"  name:   custom:team: ",
			},
			secrets: []string{"New-pa55word!", "New-pa55wrod!"},
		},
		{
			name:      "MFA_SETUP",
			challenge: withSecret(challenge(types.ChallengeNameTypeMfaSetup, "MFAS_CAN_SETUP", `["SOFTWARE_TOKEN_MFA"]`)),
			typed:     []string{"111111"},
			want:      &cognito.Answer{Code: "111111"},
			hidden:    []bool{false},
			stderr: []string{
				"set up an authenticator app",
				"\n████████",
				"\nKey: " + secret + "\n\n",
				"Code from your authenticator app: ",
			},
			secrets: []string{"111111"},
		},
		{
			name:      "CUSTOM_CHALLENGE",
			challenge: challenge(types.ChallengeNameTypeCustomChallenge, "USERNAME", "0c7d9f2e", "question", "What is 6 × 7?", "hint", "\x1b[2Jnot a number"),
			typed:     []string{"42"},
			want:      &cognito.Answer{Responses: map[string]string{"ANSWER": "42"}},
			hidden:    []bool{false},
			stderr: []string{
				"The user pool sets a challenge of its own:\n",
				"  hint: not a number\n  question: What is 6 × 7?\nAnswer: ",
			},
			secrets: []string{"42"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, term := terminalPrompter(tt.typed...)
			got, err := p.AnswerChallenge(context.Background(), tt.challenge)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			assert.Equal(t, tt.hidden, term.reads())
			out := p.stderr.String()
			assertInOrder(t, out, tt.stderr...)
			assert.NotContains(t, out, "\x1b", "server text is stripped of terminal controls")
			for _, s := range tt.secrets {
				assert.NotContains(t, out, s, "stderr shows no code or password")
				p.c.msg("a message with %s in it", s)
				assert.NotContains(t, p.stderr.String(), s, "%q is redacted from messages", s)
			}
		})
	}
}

// TestPrompterLines answers from the lines of stdin, as with
// --password-stdin.
func TestPrompterLines(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		challenge *cognito.Challenge
		stdin     string
		want      *cognito.Answer
		stderr    string
	}{
		{
			name:      "SOFTWARE_TOKEN_MFA",
			challenge: challenge(types.ChallengeNameTypeSoftwareTokenMfa),
			stdin:     "123456\r\nmore\n",
			want:      &cognito.Answer{Code: "123456"},
			stderr:    "Code from your authenticator app: \n",
		},
		{
			name:      "SELECT_MFA_TYPE by name",
			challenge: challenge(types.ChallengeNameTypeSelectMfaType, "MFAS_CAN_CHOOSE", `["SMS_MFA","SOFTWARE_TOKEN_MFA"]`),
			stdin:     "SOFTWARE_TOKEN_MFA\n",
			want:      &cognito.Answer{MFA: types.ChallengeNameTypeSoftwareTokenMfa},
			stderr: "Choose how to confirm this sign-in:\n" +
				"  1. a code by text message (SMS_MFA)\n" +
				"  2. a code from an authenticator app (SOFTWARE_TOKEN_MFA)\n" +
				"Number (1-2): \n",
		},
		{
			name:      "NEW_PASSWORD_REQUIRED: the password once, then the attributes",
			challenge: challenge(types.ChallengeNameTypeNewPasswordRequired, "requiredAttributes", `["userAttributes.name"]`),
			stdin:     "New-pa55word!\nAlice\n",
			want:      &cognito.Answer{NewPassword: "New-pa55word!", Attributes: map[string]string{"name": "Alice"}},
			stderr: "You must choose a new password.\nNew password: \n" +
				"The user pool also requires these attributes of yours:\n  name: \n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := linesPrompter(tt.stdin)
			got, err := p.AnswerChallenge(context.Background(), tt.challenge)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			assert.Equal(t, tt.stderr, p.stderr.String())
		})
	}
}

// TestPrompterErrors: what fails an answer, and how it says so.
func TestPrompterErrors(t *testing.T) {
	t.Parallel()
	selectMFA := challenge(types.ChallengeNameTypeSelectMfaType, "MFAS_CAN_CHOOSE", `["SMS_MFA","SOFTWARE_TOKEN_MFA"]`)
	tests := []struct {
		name      string
		p         testPrompter
		challenge *cognito.Challenge
		want      string // the error's message
		usage     bool   // a usage error
		absent    string // not in the message
	}{
		{
			name:      "stdin ends",
			p:         linesPrompter(""),
			challenge: challenge(types.ChallengeNameTypeSoftwareTokenMfa),
			want:      "--password-stdin: standard input has no line for the code from your authenticator app, which the SOFTWARE_TOKEN_MFA challenge asks for",
			usage:     true,
		},
		{
			name:      "an empty line",
			p:         linesPrompter("\n123456\n"),
			challenge: challenge(types.ChallengeNameTypeSmsMfa),
			want:      "--password-stdin: standard input has no line for the code sent to you, which the SMS_MFA challenge asks for",
			usage:     true,
		},
		{
			name:      "the attribute line missing",
			p:         linesPrompter("New-pa55word!\n"),
			challenge: challenge(types.ChallengeNameTypeNewPasswordRequired, "requiredAttributes", `["userAttributes.name"]`),
			want:      "--password-stdin: standard input has no line for the attribute name, which the NEW_PASSWORD_REQUIRED challenge asks for",
			usage:     true,
		},
		{
			name:      "no such factor",
			p:         linesPrompter("123456\n"),
			challenge: selectMFA,
			want:      "--password-stdin: the line that chooses the MFA factor is neither a number from 1 to 2 nor one of SMS_MFA, SOFTWARE_TOKEN_MFA",
			usage:     true,
			absent:    "123456",
		},
		{
			name:      "no factor offered",
			p:         linesPrompter("1\n"),
			challenge: challenge(types.ChallengeNameTypeSelectMfaType),
			want:      "the SELECT_MFA_TYPE challenge offers no MFA factor to choose",
		},
		{
			name:      "Ctrl-D on the terminal",
			p:         func() testPrompter { p, _ := terminalPrompter(ctrlD); return p }(),
			challenge: challenge(types.ChallengeNameTypeSoftwareTokenMfa),
			want:      "reading the code from your authenticator app: EOF",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a, err := tt.p.AnswerChallenge(context.Background(), tt.challenge)
			assert.Nil(t, a)
			require.EqualError(t, err, tt.want)
			var uerr *usageError
			assert.Equal(t, tt.usage, errors.As(err, &uerr), "a usage error")
			if tt.absent != "" {
				assert.NotContains(t, tt.p.stderr.String(), tt.absent)
			}
		})
	}

	// A challenge it cannot answer is the library's error naming it.
	for _, c := range []*cognito.Challenge{
		challenge("DEVICE_SRP_AUTH"),
		challenge(types.ChallengeNameTypeMfaSetup, "MFAS_CAN_SETUP", `["EMAIL_OTP"]`), // no authenticator app to set up
	} {
		p, term := terminalPrompter("123456")
		_, err := p.AnswerChallenge(context.Background(), c)
		var ce *cognito.ChallengeError
		require.ErrorAs(t, err, &ce)
		assert.Equal(t, c.Name, ce.Challenge)
		assert.Empty(t, term.reads(), "nothing is asked")
	}
}

// TestPrompterCancel: Ctrl-C or the library's timeout (ctx) ends the wait
// for an answer, and the next message starts on a line of its own.
func TestPrompterCancel(t *testing.T) {
	t.Parallel()
	p, _ := terminalPrompter() // the user types nothing
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := p.AnswerChallenge(ctx, challenge(types.ChallengeNameTypeSoftwareTokenMfa))
		done <- err
	}()
	cancel()
	require.ErrorIs(t, <-done, context.Canceled)
	p.c.msg("cognito-token: interrupted")
	assert.Equal(t, "Code from your authenticator app: \ncognito-token: interrupted\n", p.stderr.String())

	// stdin that stays open and silent, as a pipe from a process that
	// writes nothing.
	r, w := io.Pipe()
	defer w.Close()
	c := &cli{stderr: io.Discard, stdin: r}
	lp := &prompter{c: c, in: stdinLines{bufio.NewReader(r)}, lines: true}
	ctx, cancel = context.WithCancel(context.Background())
	cancel()
	_, err := lp.AnswerChallenge(ctx, challenge(types.ChallengeNameTypeSmsMfa))
	require.ErrorIs(t, err, context.Canceled)
}
