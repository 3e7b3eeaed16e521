// Command cognito-token signs in to an Amazon Cognito user pool, with SRP
// by default, and prints tokens for curl, scripts, CI jobs and kubectl,
// renewing them with the refresh token when they are about to expire. It is
// built on the github.com/seed-e8acf5fd/cognito token source.
//
// Install it with go install github.com/seed-e8acf5fd/cognito/cmd/cognito-token@latest,
// or, in a clone of the repository, with go install ./cmd/cognito-token (or
// go build ./cmd/cognito-token for a binary in the current directory).
//
// Usage:
//
//	cognito-token demo     # a local pool: sign in with SRP, call an API, watch renewals
//	cognito-token login    # sign in and cache the session (--browser: in the web browser)
//	cognito-token token    # print a valid token, renewing it from the cache when needed
//	cognito-token aws-credentials --identity-pool-id ID  # AWS credentials, for credential_process
//	cognito-token logout   # revoke the refresh token and forget the session
//	cognito-token version  # the module and Go versions it was built from (also --version)
//
// Start with the demo: it needs no AWS account. Then, for a real pool:
//
//	export COGNITO_USER_POOL_ID=eu-west-1_AbC123 COGNITO_CLIENT_ID=... COGNITO_USERNAME=alice@example.com
//	cognito-token login
//	curl -H "Authorization: Bearer $(cognito-token token)" https://api.example.com/orders
//
// # Flags and environment
//
// The flags are named as in the AWS CLI: --user-pool-id, --client-id,
// --username, --flow srp|password|custom (login only; default srp; custom is
// CUSTOM_AUTH, SRP then the pool's own challenges) and --endpoint URL (for
// emulators such as cognito-local). Each may instead come from the
// environment variable COGNITO_USER_POOL_ID, COGNITO_CLIENT_ID,
// COGNITO_USERNAME, COGNITO_FLOW or COGNITO_ENDPOINT; a flag wins. The
// password comes from a prompt on the terminal or, with --password-stdin,
// from the first line of standard input. An app client's secret is never a
// flag: it comes from COGNITO_CLIENT_SECRET or, with --client-secret-stdin,
// from the next line of standard input.
//
// login --browser and token --client-credentials also take --domain, the
// user pool's domain ($COGNITO_DOMAIN), and login --browser --redirect-url
// ($COGNITO_REDIRECT_URL); see below.
//
// cognito-local does not do SRP: with --endpoint pointing at it, log in
// with --flow password.
//
// # Challenges
//
// When the user pool asks for more than the password, login asks the user,
// on standard error: for the code of SMS or email MFA, or of an
// authenticator app; which MFA factor to use; a new password (typed twice,
// without echo) and the user attributes the pool requires; the answer to a
// custom challenge (--flow custom). When MFA must be set up, it shows the key of a new
// authenticator app, and a QR code of it drawn with Unicode half blocks for
// the phone to scan, and asks for the app's first code. With
// --password-stdin the answers are the lines of standard input after the
// password (and the client secret), one per question in the order asked,
// the new password given once: a missing line is an error, not a wait.
// The codes and the new password are never printed; the authenticator's
// key is shown that once.
//
// token prints the bare access token and a newline; --id prints the ID
// token instead, --json both tokens with the token type and their expiries,
// and --exec-credential a Kubernetes ExecCredential carrying the ID token,
// in the apiVersion kubectl asks for in KUBERNETES_EXEC_INFO
// (client.authentication.k8s.io/v1 or v1beta1; v1 when it is not set). In a
// kubeconfig, give the pool, client and user as flags: kubectl runs the
// command with an environment that may not have the COGNITO_ variables.
//
//	users:
//	- name: cognito
//	  user:
//	    exec:
//	      apiVersion: client.authentication.k8s.io/v1
//	      command: cognito-token
//	      args: [token, --exec-credential, --user-pool-id, eu-west-1_AbC123, --client-id, "...", --username, alice@example.com]
//	      interactiveMode: Never
//
// # Managed login and machine-to-machine
//
// login --browser signs in through the user pool's managed login, in the
// web browser: the authorization code grant with PKCE (S256), through
// golang.org/x/oauth2 and cognito.Endpoint. It is the way in for users
// whom SRP cannot sign in (federated, passkeys) and for whatever the
// pool's sign-in page asks. The app client needs a callback URL on this
// machine, such as http://localhost:8484/callback, given as
// --redirect-url exactly as registered: Cognito has no "any port on
// loopback" rule, so cognito-token listens on that port and path
// (localhost on both 127.0.0.1 and ::1), and fails at once if another
// program holds the port. It opens the sign-in page with the command in
// $BROWSER (split into words as a POSIX shell would, without running a
// shell; each %s is replaced by the URL, or the URL is added at the end),
// else with xdg-open, open or rundll32 url.dll,FileProtocolHandler, and
// prints the URL on standard error in any case, for a browser elsewhere.
// It waits --timeout (five minutes by default) for the browser to come
// back with the code and a state equal to the one it sent (random, 256
// bits). An answer with another state (a stale tab, or a page forging a
// request to the port) is ignored and the wait goes on; an error the pool
// sends back with the right state (such as access_denied) ends the login. The page the browser is left on says
// whether the sign-in is done and that the tab can be closed. The scopes
// are openid, email and profile unless --scope says otherwise.
//
// The session is cached as a password login's is, under --username when
// it is given: it must then be the user who signed in or one of their
// aliases (email, phone number, preferred username, in any letter case),
// else nothing is cached and the new session is revoked. Without
// --username (nor $COGNITO_USERNAME), the session is cached under the
// user name the ID token carries (cognito:username, which for a user with
// aliases or a federated user is the pool's own name for them, such as a
// UUID or Google_1234...), and login prints it: give it as --username to
// token and logout. token renews such a session with the refresh_token
// grant at the domain's token endpoint, through oauth2.Config's token
// source; logout revokes it as any other.
//
// token --client-credentials prints an access token of the app client
// itself, for calls from machine to machine: the client credentials grant
// at --domain through golang.org/x/oauth2/clientcredentials, for the
// --scope given (a resource server's, such as orders/read; without one
// Cognito grants every scope the app client is allowed). It needs the
// app client's secret, and no user or user pool. Its token is cached,
// per app client, domain, set of scopes and --user-pool-id if given, and
// printed again until it is due for renewal. invalid_scope, invalid_client
// and the other errors the token endpoint answers are reported with what
// to check.
//
// # AWS credentials
//
// aws-credentials --identity-pool-id ID (or $COGNITO_IDENTITY_POOL_ID)
// takes the same flags as token: it renews the cached session as token --id
// does, exchanges its ID token at the Cognito identity pool (GetId, then
// GetCredentialsForIdentity, with the login
// cognito-idp.<region>.amazonaws.com/<user pool ID>) and prints the JSON
// of a credential_process, {"Version": 1, "AccessKeyId", "SecretAccessKey",
// "SessionToken", "Expiration"} with the expiry in RFC 3339, a minute
// early. --endpoint reaches both APIs. In ~/.aws/config:
//
//	[profile cognito]
//	credential_process = cognito-token aws-credentials --identity-pool-id eu-west-1:0a1b... --user-pool-id eu-west-1_AbC123 --client-id ... --username alice@example.com
//
// # The session cache
//
// login keeps the session (access, ID and refresh tokens, their expiry and
// the device the pool remembers, if any; never the password or the client
// secret) in a file of its own per user pool, app client, user name
// (letter case aside) and --endpoint, under the user's cache directory,
// such as ~/.cache/cognito-token on Linux, or in $COGNITO_TOKEN_CACHE_DIR
// when it is set. Each file is a cognito.FileStore, which a program using
// the library can share. The default directory is made private to the
// user (0700); on Unix, any cache directory that belongs to another user or
// that others can write to, such as /tmp, is refused. Each file is 0600,
// written to a new temporary file and renamed into place; cognito-token
// never follows a symbolic link in the directory. Several token commands
// running at once take turns through a lock file, so an expired session is
// renewed once. Renewals name the session's device, and login proves it,
// which on pools that remember devices takes the place of an MFA code.
// A session from login --browser has a second file beside its own,
// <key>.oauth2.json, naming the domain that renews it and the SHA-256 of
// its refresh token: it applies to that session only, so that one left
// beside another session by a crash is never used for it. The tokens of
// token --client-credentials are cached in files of their own, in the
// same way. Sessions cached by earlier versions are taken over. A token is renewed when it has less than
// a minute left (or, for tokens living under two minutes, after half its
// life). If the renewed session cannot be saved, the new token is printed
// all the same, with a warning.
//
// A second login replaces the cached session and revokes its refresh
// token. logout revokes the refresh token, then deletes the session; if
// Cognito cannot be reached or refuses (a client secret missing), it keeps
// the session and exits 1, and logout --force forgets it all the same,
// saying that its refresh token stays valid.
//
// # Exit status
//
// 0 on success, 1 on failure (including "no session: run cognito-token
// login"), 2 for a usage error. Messages go to standard error, one line
// each. They never contain a password, a client secret or a token (any the
// server echoes back is redacted), and text from the server is stripped of
// terminal control characters.
package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
)

const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

const usage = `cognito-token signs in to an Amazon Cognito user pool and prints tokens.

Usage:
  cognito-token demo   [flags]   a local pool: sign in with SRP, call an API, watch renewals
  cognito-token login  [flags]   sign in (with a password, or --browser) and cache the session
  cognito-token token  [flags]   print a valid token, renewing it from the cache when needed
                                 (or, with --client-credentials, one of the app client itself)
  cognito-token aws-credentials [flags]
                                 print AWS credentials from an identity pool (credential_process)
  cognito-token logout [flags]   revoke the refresh token and forget the session
  cognito-token version          print the version (also --version)

Run 'cognito-token <command> --help' for a command's flags.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := (&cli{env: os.Getenv, stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr}).run(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}

// cli is one invocation of the program: where it reads and writes. Tests
// make their own, with an environment of their own, and run them in
// parallel.
type cli struct {
	env    func(string) string // os.Getenv, or a test's environment
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer

	// term, when set, is the user's terminal (a test's fake); when nil,
	// stdin is, if it is a terminal. See userTerminal.
	term terminal
	// in reads stdin by lines; see input.
	in *bufio.Reader

	// sdkOptions, when set, adjusts the options of every SDK client the
	// commands build; tests use it to turn retries off.
	sdkOptions func(*cip.Options)
	// challengeTimeout, when set, is how long login waits for the answer
	// to a challenge, instead of cognito.DefaultChallengeTimeout.
	challengeTimeout time.Duration
	// browser, when set, opens the page of login --browser instead of the
	// user's browser (openBrowser): tests sign in with it. It returns
	// when it is done, like the command in $BROWSER.
	browser func(ctx context.Context, url string) error
	// httpClient, when set, makes the requests to a user pool domain;
	// tests count them with it.
	httpClient *http.Client

	// mu guards secrets, openPrompt and the writes to stderr: a sign-in
	// challenge is answered on a goroutine of the library's.
	mu sync.Mutex
	// secrets are never printed; see keepSecret.
	secrets []string
	// openPrompt is set while a prompt on stderr waits for its answer.
	openPrompt bool
}

// run runs the command line args (without the program name): it
// dispatches to a command and turns its error into an exit status and a
// message on stderr.
func (c *cli) run(ctx context.Context, args []string) int {
	if len(args) == 0 {
		c.msg("cognito-token: missing command: demo, login, token, aws-credentials, logout or version (run 'cognito-token --help')")
		return exitUsage
	}
	cmd, rest := args[0], args[1:]
	var err error
	switch cmd {
	case "demo":
		err = c.demo(ctx, rest)
	case "login":
		err = c.login(ctx, rest)
	case "token":
		err = c.token(ctx, rest)
	case "aws-credentials":
		err = c.awsCredentials(ctx, rest)
	case "logout":
		err = c.logout(ctx, rest)
	case "version", "-version", "--version":
		cmd = "version"
		err = c.version(rest)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(c.stdout, usage)
		return exitOK
	default:
		c.msg("cognito-token: unknown command %q (run 'cognito-token --help')", cmd)
		return exitUsage
	}
	var uerr *usageError
	switch {
	case err == nil, errors.Is(err, errHelpShown):
		return exitOK
	case ctx.Err() != nil && errors.Is(err, ctx.Err()):
		c.msg("cognito-token: interrupted")
		return exitFailure
	case errors.As(err, &uerr):
		c.msg("cognito-token %s: %s (run 'cognito-token %s --help')", cmd, uerr.msg, cmd)
		return exitUsage
	default:
		c.msg("cognito-token: %v", err)
		return exitFailure
	}
}
