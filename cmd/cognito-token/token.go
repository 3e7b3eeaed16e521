package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/seed-e8acf5fd/cognito"
)

// renewBefore is how long before its expiry a cached token is renewed:
// whoever receives a printed token has at least this long to use it.
// Tokens living less than twice as long are renewed at half their life.
const renewBefore = time.Minute

// revokeTimeout bounds the RevokeToken call of logout.
const revokeTimeout = time.Minute

const loginHelp = `Signs in, with SRP unless --flow password is given, and caches the
session (never the password) for the token command. The password is read
from the terminal without echo, or from the first line of stdin with
--password-stdin.
`

// login signs in with the password and caches the session.
func (c *cli) login(ctx context.Context, args []string) error {
	var o options
	fs := newFlagSet("login")
	o.addUserFlags(fs)
	o.addLoginFlags(fs)
	if err := c.parse(fs, loginHelp, args); err != nil {
		return err
	}
	if err := o.resolve(c.env); err != nil {
		return err
	}
	if err := o.resolveFlow(c.env); err != nil {
		return err
	}
	password, err := c.readInputs(&o)
	if err != nil {
		return err
	}
	if password == "" {
		fd, ok := c.terminalFD()
		if !ok {
			return usagef("no password: give it on stdin with --password-stdin, or run in a terminal")
		}
		if password, err = c.promptPassword(ctx, fd, o.username); err != nil {
			return err
		}
	}
	st, err := c.openStore(&o)
	if err != nil {
		return err
	}

	conf := c.config(&o)
	conf.Password = password
	obtained := time.Now()
	tok, err := conf.Token(ctx)
	if err != nil {
		var ce *cognito.ChallengeError
		if errors.As(err, &ce) {
			return fmt.Errorf("the sign-in needs an answer to the %s challenge, which cognito-token cannot give; complete it with another client, then log in again", ce.Challenge)
		}
		return err // the library's error says what failed
	}
	ses := newSession(&o, tok, obtained, time.Now())

	unlock, err := st.lock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	if err := st.save(ses); err != nil {
		return err
	}
	fmt.Fprintf(c.stderr, "Signed in as %s; session cached in %s\n", o.username, st.path())
	return nil
}

// output is what the token command prints.
type output int

const (
	printAccess output = iota
	printID
	printJSON
	printExecCredential
)

const tokenHelp = `Prints a valid token of the session cached by login, renewing it with the
refresh token first when it has less than a minute left. By default it
prints the bare access token and a newline, for

    curl -H "Authorization: Bearer $(cognito-token token)" ...

When the renewal meets a passing fault (throttling, a server error, no
network) while the cached token is still valid, that token is printed,
with a warning on stderr. When Cognito refuses the refresh token for good,
it exits 1 and says to run login again.
`

// token prints a valid token from the cached session.
func (c *cli) token(ctx context.Context, args []string) error {
	var o options
	var id, asJSON, execCredential bool
	fs := newFlagSet("token")
	o.addUserFlags(fs)
	fs.BoolVar(&id, "id", false, "print the ID token instead of the access token")
	fs.BoolVar(&asJSON, "json", false, "print both tokens, the token type and the expiries as JSON")
	fs.BoolVar(&execCredential, "exec-credential", false, "print a Kubernetes client.authentication.k8s.io/v1 ExecCredential with the ID token")
	if err := c.parse(fs, tokenHelp, args); err != nil {
		return err
	}
	out := printAccess
	n := 0
	for _, f := range []struct {
		set bool
		out output
	}{{id, printID}, {asJSON, printJSON}, {execCredential, printExecCredential}} {
		if f.set {
			out, n = f.out, n+1
		}
	}
	if n > 1 {
		return usagef("--id, --json and --exec-credential exclude one another")
	}
	st, unlock, err := c.lockedStore(ctx, &o)
	if err != nil {
		return err
	}
	defer unlock()
	ses, err := st.load(&o)
	if err != nil {
		return err
	}
	if ses, err = c.renewIfNeeded(ctx, &o, st, ses, out); err != nil {
		return err
	}
	return c.show(ses, out)
}

// lockedStore resolves o, reads the secret from stdin if asked, and opens
// and locks o's cache file. Reading only after taking the lock means that a
// process which waited for another one's renewal finds the renewed session
// and uses it as it is.
func (c *cli) lockedStore(ctx context.Context, o *options) (*store, func(), error) {
	if err := o.resolve(c.env); err != nil {
		return nil, nil, err
	}
	if _, err := c.readInputs(o); err != nil {
		return nil, nil, err
	}
	st, err := c.openStore(o)
	if err != nil {
		return nil, nil, err
	}
	unlock, err := st.lock(ctx)
	if err != nil {
		return nil, nil, err
	}
	return st, unlock, nil
}

// expiryOf returns when the token (or tokens) that out prints expire.
func (s *session) expiryOf(out output) time.Time {
	switch out {
	case printAccess:
		return s.AccessExpiry
	case printID, printExecCredential:
		return s.IDExpiry
	default:
		if s.IDExpiry.Before(s.AccessExpiry) {
			return s.IDExpiry
		}
		return s.AccessExpiry
	}
}

// renewIfNeeded hands the session to the library's token source, which
// returns it as it is while it is valid (no network call) and renews it
// otherwise; a renewed session is saved. The caller holds the lock.
func (c *cli) renewIfNeeded(ctx context.Context, o *options, st *store, ses *session, out output) (*session, error) {
	expiry := ses.expiryOf(out)
	conf := c.config(o)
	conf.EarlyExpiry = earlyExpiry(ses.Obtained, expiry)
	obtained := time.Now()
	tok, err := conf.TokenSource(ctx, ses.savedToken(expiry)).Token()
	var notAuth *types.NotAuthorizedException
	switch {
	case errors.As(err, &notAuth) && strings.Contains(strings.ToLower(notAuth.ErrorMessage()), "secret"):
		// The client secret is missing or wrong: logging in again would
		// not help, and the session stays.
		return nil, fmt.Errorf("the client secret was refused (%s): set $%s or give it with --client-secret-stdin", notAuth.ErrorMessage(), envClientSecret)
	case errors.Is(err, cognito.ErrSignInRequired):
		// Cognito refused the refresh token: it expired or was revoked.
		return nil, &needLoginError{why: fmt.Sprintf("the session of %s can no longer be renewed (%v)", o.username, err)}
	case err != nil && time.Now().Before(expiry):
		// A passing fault (throttling, 5xx, network) while the cached
		// token is still valid: print it, and renew next time.
		fmt.Fprintf(c.stderr, "warning: could not renew the session yet (%v); the cached token is valid until %s\n", err, expiry.Format(time.RFC3339))
		return ses, nil
	case err != nil:
		return nil, fmt.Errorf("renewing the session: %w", err)
	}
	if tok.AccessToken == ses.AccessToken {
		return ses, nil // still valid: the token source returned it as it was
	}
	renewed := newSession(o, tok, obtained, time.Now())
	if err := st.save(renewed); err != nil {
		return nil, err
	}
	return renewed, nil
}

// earlyExpiry is how long before expiry the token source renews a token
// obtained at obtained: renewBefore, or half its life when it lives less
// than twice that. The library applies the same half-life rule, but only
// to tokens it obtained itself, not to a saved one.
func earlyExpiry(obtained, expiry time.Time) time.Duration {
	life := expiry.Sub(obtained)
	if life < 2*renewBefore {
		return max(life/2, time.Nanosecond)
	}
	return renewBefore
}

// execCredential is a Kubernetes client.authentication.k8s.io/v1
// ExecCredential, as kubectl expects from a credential plugin.
type execCredential struct {
	APIVersion string               `json:"apiVersion"`
	Kind       string               `json:"kind"`
	Status     execCredentialStatus `json:"status"`
}

type execCredentialStatus struct {
	Token               string `json:"token"`
	ExpirationTimestamp string `json:"expirationTimestamp"`
}

// tokenJSON is what token --json prints.
type tokenJSON struct {
	AccessToken   string `json:"access_token"`
	IDToken       string `json:"id_token"`
	TokenType     string `json:"token_type"`
	Expiry        string `json:"expiry"`
	IDTokenExpiry string `json:"id_token_expiry"`
}

// show writes the session's token as out asks.
func (c *cli) show(ses *session, out output) error {
	if out != printAccess && ses.IDToken == "" {
		return &needLoginError{why: "the cached session has no ID token"}
	}
	var v any
	switch out {
	case printAccess:
		_, err := fmt.Fprintln(c.stdout, ses.AccessToken)
		return err
	case printID:
		_, err := fmt.Fprintln(c.stdout, ses.IDToken)
		return err
	case printJSON:
		v = tokenJSON{
			AccessToken:   ses.AccessToken,
			IDToken:       ses.IDToken,
			TokenType:     ses.TokenType,
			Expiry:        rfc3339(ses.AccessExpiry),
			IDTokenExpiry: rfc3339(ses.IDExpiry),
		}
	case printExecCredential:
		v = execCredential{
			APIVersion: "client.authentication.k8s.io/v1",
			Kind:       "ExecCredential",
			Status:     execCredentialStatus{Token: ses.IDToken, ExpirationTimestamp: rfc3339(ses.IDExpiry)},
		}
	}
	return json.NewEncoder(c.stdout).Encode(v)
}

// rfc3339 formats t in UTC to the second, rounded down so that a printed
// expiry is never later than the real one.
func rfc3339(t time.Time) string {
	return t.UTC().Truncate(time.Second).Format(time.RFC3339)
}

const logoutHelp = `Revokes the session's refresh token with Cognito (RevokeToken) and deletes
the cached session. If the revocation fails, the session is still deleted
here and the command exits 1: the refresh token then stays valid until it
expires.
`

// logout revokes the refresh token and forgets the session.
func (c *cli) logout(ctx context.Context, args []string) error {
	var o options
	fs := newFlagSet("logout")
	o.addUserFlags(fs)
	if err := c.parse(fs, logoutHelp, args); err != nil {
		return err
	}
	st, unlock, err := c.lockedStore(ctx, &o)
	if err != nil {
		return err
	}
	defer unlock()
	ses, err := st.load(&o)
	var nl *needLoginError
	switch {
	case errors.As(err, &nl) && nl.missing:
		fmt.Fprintf(c.stderr, "No session is cached for %s: nothing to do.\n", o.username)
		return nil
	case errors.As(err, &nl):
		if rmErr := st.remove(); rmErr != nil {
			return rmErr
		}
		return errors.New("the cached session was unreadable: deleted it without revoking its refresh token")
	case err != nil:
		return err
	}

	revokeErr := c.revoke(ctx, &o, ses.RefreshToken)
	if err := st.remove(); err != nil {
		return err
	}
	if revokeErr != nil {
		return fmt.Errorf("the session is deleted here, but revoking its refresh token failed, so it stays valid until it expires: %w", revokeErr)
	}
	fmt.Fprintf(c.stderr, "Signed out %s: refresh token revoked, session deleted.\n", o.username)
	return nil
}

// revoke revokes a refresh token (and the tokens issued with it).
func (c *cli) revoke(ctx context.Context, o *options, refreshToken string) error {
	ctx, cancel := context.WithTimeout(ctx, revokeTimeout)
	defer cancel()
	in := &cip.RevokeTokenInput{ClientId: aws.String(o.clientID), Token: aws.String(refreshToken)}
	if o.secret != "" {
		in.ClientSecret = aws.String(o.secret)
	}
	_, err := c.newClient(o).RevokeToken(ctx, in)
	return err
}
