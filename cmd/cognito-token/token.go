package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"golang.org/x/oauth2"

	"github.com/seed-e8acf5fd/cognito"
)

// renewBefore is how long before its expiry a cached token is renewed:
// whoever receives a printed token has at least this long to use it.
// Tokens living less than twice as long are renewed at half their life.
const renewBefore = time.Minute

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
with a warning on stderr; so is a renewed token that cannot be cached
(disk full, read-only directory). When Cognito refuses the refresh token
for good, it exits 1 and says to run login again. A session from login
--browser is renewed at the token endpoint of the user pool's domain,
the others with the user-pool API.

With --client-credentials it prints instead an access token of the app
client itself, for machine-to-machine calls: the client credentials
grant at --domain, for the --scope given (without one, Cognito grants
all the scopes the app client is allowed). The app client must have a
secret, given as for the other commands. The token is cached per app
client, domain and scopes, and printed again until it is due for
renewal; no user, and no --user-pool-id, is needed:

    cognito-token token --client-credentials \
        --domain https://example.auth.eu-west-1.amazoncognito.com --scope orders/read
`

// token prints a valid token from the cached session.
func (c *cli) token(ctx context.Context, args []string) error {
	var o options
	var id, asJSON, execCredential bool
	fs := newFlagSet("token")
	o.addUserFlags(fs)
	fs.BoolVar(&id, "id", false, "print the ID token instead of the access token")
	fs.BoolVar(&asJSON, "json", false, "print both tokens, the token type and the expiries as JSON")
	fs.BoolVar(&execCredential, "exec-credential", false, "print a Kubernetes ExecCredential with the ID token, for kubectl: client.authentication.k8s.io/v1, or the apiVersion asked for in $"+envExecInfo)
	o.addClientCredentialsFlags(fs)
	if err := c.parse(fs, tokenHelp, args); err != nil {
		return err
	}
	if err := onlyWith(fs, o.clientCredentials, "client-credentials", "domain", "scope"); err != nil {
		return err
	}
	if o.clientCredentials {
		if id || asJSON || execCredential {
			return usagef("--client-credentials prints the bare access token: --id, --json and --exec-credential are for a user's session")
		}
		return c.clientCredentialsToken(ctx, &o)
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
	var apiVersion string
	if out == printExecCredential {
		var err error
		if apiVersion, err = execAPIVersion(c.env); err != nil {
			return err
		}
	}
	st, ses, unlock, err := c.lockedSession(ctx, &o)
	if unlock != nil {
		defer unlock()
	}
	if err != nil {
		return err
	}
	c.keepSecret(ses.tokens()...)
	if ses, err = c.renewIfNeeded(ctx, &o, st, ses, out); err != nil {
		return err
	}
	return c.show(ses, out, apiVersion)
}

// expiryOf returns when the token (or tokens) that out prints expire.
func (s *session) expiryOf(out output) time.Time {
	switch out {
	case printAccess:
		return s.Expiry
	case printID, printExecCredential:
		return s.IDExpiry
	default:
		if s.IDExpiry.Before(s.Expiry) {
			return s.IDExpiry
		}
		return s.Expiry
	}
}

// renewIfNeeded hands the session to the library's token source, which
// returns it as it is while it is valid (no network call) and renews it
// otherwise, naming the session's device if it has one; a renewed session
// is saved, or, if that fails, used with a warning. The caller holds the
// lock, so the library is given no Store: the CLI loads and saves the
// session itself.
func (c *cli) renewIfNeeded(ctx context.Context, o *options, st *store, ses *session, out output) (*session, error) {
	expiry := ses.expiryOf(out)
	if ses.fresh(expiry) {
		return ses, nil // no network call
	}
	// Renew now, before this process exits: the library's own renewal
	// ahead of expiry runs in the background, for long-running programs.
	// Handing it the token as expired makes it renew at once; a failure
	// while the cached token is valid is dealt with below.
	saved := ses.savedToken(expiry)
	saved.Expiry = time.Unix(1, 0)
	var tok *oauth2.Token
	var err error
	if ses.Domain != "" {
		tok, err = c.refreshAtDomain(ctx, o, ses.Domain, saved)
	} else {
		conf := c.config(o)
		conf.Device = ses.Device
		tok, err = conf.TokenSource(ctx, saved).Token()
	}
	switch code := endpointErrorCode(err); {
	case secretRefused(err):
		// Logging in again would not help, and the session stays.
		return nil, secretRefusedError(err)
	case code == "invalid_client":
		return nil, err // says the same of the domain's answer
	case errors.Is(err, cognito.ErrSignInRequired), code == "invalid_grant":
		// Cognito refused the refresh token: it expired or was revoked.
		return nil, &needLoginError{why: fmt.Sprintf("the session of %s can no longer be renewed (%v)", o.username, err), browser: ses.Domain != ""}
	case err != nil && time.Now().Before(expiry):
		// A passing fault (throttling, 5xx, network) while the cached
		// token is still valid: print it, and renew next time.
		c.msg("warning: could not renew the session yet (%v); the cached token is valid until %s", err, expiry.Format(time.RFC3339))
		return ses, nil
	case err != nil:
		return nil, fmt.Errorf("renewing the session: %w", err)
	}
	renewed := sessionOf(tok)
	renewed.Domain = ses.Domain
	c.keepSecret(renewed.tokens()...)
	if err := st.save(ctx, renewed); err != nil {
		// The new token is valid all the same (disk full, read-only
		// cache): print it, and renew again next time.
		if renewed.RefreshToken != ses.RefreshToken {
			// Rotation: the cached refresh token is spent, and the new one
			// is lost with this process.
			c.msg("warning: %v; the token printed is valid, but the app client rotates refresh tokens and the new one could not be cached: run 'cognito-token login' once the cache can be written", err)
		} else {
			c.msg("warning: %v; the token printed is valid, but the next call renews it again", err)
		}
	}
	return renewed, nil
}

// refreshAtDomain renews a session from managed login with its refresh
// token at the token endpoint of its domain (grant_type=refresh_token),
// through golang.org/x/oauth2's own token source. saved must be expired.
func (c *cli) refreshAtDomain(ctx context.Context, o *options, domain string, saved *oauth2.Token) (*oauth2.Token, error) {
	ctx, cancel := context.WithTimeout(c.oauthContext(ctx), oauthTimeout)
	defer cancel()
	tok, err := c.oauthConfig(o, domain).TokenSource(ctx, saved).Token()
	if err != nil {
		return nil, endpointError("renewing the session at "+domain, err)
	}
	return withExpiry(tok), nil
}

// fresh reports whether a token of the session that expires at expiry is
// not yet due for renewal (see earlyExpiry).
func (s *session) fresh(expiry time.Time) bool {
	return time.Now().Before(expiry.Add(-earlyExpiry(s.Obtained, expiry)))
}

// earlyExpiry is how long before expiry the CLI renews a token obtained at
// obtained: renewBefore, or half its life when it lives less than twice
// that. The library applies the same rule, but renews ahead of expiry in
// the background, which a process about to exit cannot wait for.
func earlyExpiry(obtained, expiry time.Time) time.Duration {
	life := expiry.Sub(obtained)
	if life < 2*renewBefore {
		return max(life/2, time.Nanosecond)
	}
	return renewBefore
}

// envExecInfo is the environment variable in which kubectl describes the
// ExecCredential it wants from a credential plugin, as JSON such as
// {"apiVersion": "client.authentication.k8s.io/v1", "kind":
// "ExecCredential", "spec": {"interactive": false}}.
const envExecInfo = "KUBERNETES_EXEC_INFO"

// The versions of Kubernetes' client authentication API that token
// --exec-credential speaks; an ExecCredential's status is the same in both.
const (
	execV1      = "client.authentication.k8s.io/v1"
	execV1beta1 = "client.authentication.k8s.io/v1beta1"
)

// execAPIVersion is the apiVersion of the ExecCredential kubectl asks for
// in $KUBERNETES_EXEC_INFO: v1 when the variable is not set (the command
// was run by hand) or names none.
func execAPIVersion(env func(string) string) (string, error) {
	info := env(envExecInfo)
	if info == "" {
		return execV1, nil
	}
	var req struct {
		APIVersion string `json:"apiVersion"`
	}
	if err := json.Unmarshal([]byte(info), &req); err != nil {
		return "", fmt.Errorf("$%s is not the JSON kubectl sets: %v", envExecInfo, err)
	}
	switch req.APIVersion {
	case "":
		return execV1, nil
	case execV1, execV1beta1:
		return req.APIVersion, nil
	}
	return "", fmt.Errorf("kubectl asks for an ExecCredential of apiVersion %q ($%s), but cognito-token gives only %s and %s: set one of them as the apiVersion of the kubeconfig's exec section", req.APIVersion, envExecInfo, execV1, execV1beta1)
}

// execCredential is a Kubernetes client.authentication.k8s.io
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

// show writes the session's token as out asks; an ExecCredential has the
// given apiVersion.
func (c *cli) show(ses *session, out output, apiVersion string) error {
	if out != printAccess && ses.IDToken == "" {
		return &needLoginError{why: "the cached session has no ID token"}
	}
	if !tokenChars(ses.AccessToken) || !tokenChars(ses.IDToken) {
		// The tokens come from the server, and are printed as they are.
		return &needLoginError{why: "the cached session holds a token with characters no token has"}
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
			TokenType:     "Bearer",
			Expiry:        rfc3339(ses.Expiry),
			IDTokenExpiry: rfc3339(ses.IDExpiry),
		}
	case printExecCredential:
		v = execCredential{
			APIVersion: apiVersion,
			Kind:       "ExecCredential",
			Status:     execCredentialStatus{Token: ses.IDToken, ExpirationTimestamp: rfc3339(ses.IDExpiry)},
		}
	}
	return json.NewEncoder(c.stdout).Encode(v)
}

// tokenChars reports whether s has only the printable ASCII characters
// other than space that JWTs (base64url and dots) and any other token
// format use: nothing a terminal would act on.
func tokenChars(s string) bool {
	for i := range len(s) {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

// rfc3339 formats t in UTC to the second, rounded down so that a printed
// expiry is never later than the real one.
func rfc3339(t time.Time) string {
	return t.UTC().Truncate(time.Second).Format(time.RFC3339)
}
