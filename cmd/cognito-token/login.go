package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/seed-e8acf5fd/cognito"
)

const loginHelp = `Signs in, with SRP unless --flow password is given, and caches the
session (never the password) for the token command. The password is read
from the terminal without echo, or from the first line of stdin with
--password-stdin. A session cached before for the same user is replaced,
and its refresh token revoked (a warning says if that fails).

When the user pool asks for more than the password, login asks for it:
  SMS_MFA, EMAIL_OTP      the code sent by text message or email
  SOFTWARE_TOKEN_MFA      the code from an authenticator app
  SELECT_MFA_TYPE         which of the user's MFA factors to use (a number,
                          or the factor's name such as SOFTWARE_TOKEN_MFA)
  NEW_PASSWORD_REQUIRED   a new password (twice, without echo), then the
                          user attributes the pool requires; it is your
                          password from then on
  MFA_SETUP               shows the key of a new authenticator app and its
                          QR code, then asks for the app's first code
  CUSTOM_CHALLENGE        (with --flow custom) shows the challenge's
                          parameters, then asks for the answer

With --password-stdin the answers are the lines after the password (and
after the client secret with --client-secret-stdin), one per question in
the order asked, the new password given once:

    printf '%s\n%s\n' "$PASSWORD" "$CODE" | cognito-token login --password-stdin

Emulators without SRP, such as cognito-local, need --flow password.

With --browser, login signs in through the user pool's managed login in
your web browser instead (the authorization code grant with PKCE), as
federated users (Google, SAML, OIDC) and passkey users must. It needs the
pool's domain and a callback URL of the app client on this machine,
registered with its port, since Cognito matches callback URLs exactly:

    cognito-token login --browser \
        --domain https://example.auth.eu-west-1.amazoncognito.com \
        --redirect-url http://localhost:8484/callback

login listens at the callback URL, prints the sign-in page's URL and
opens it with the command in $BROWSER (split into words as a shell
would, without a shell; %s is replaced by the URL, else the URL is added
at the end) or else the system's opener (xdg-open, open, rundll32). It
waits --timeout for the browser to come back, or Ctrl-C. The session is
cached under --username when one is given, which must then be the user
who signed in or one of their aliases; else under the user name in the
tokens (cognito:username), which login prints, for token and logout.
token renews it at the domain's token endpoint.
`

// login signs in with the password and caches the session.
func (c *cli) login(ctx context.Context, args []string) error {
	var o options
	fs := newFlagSet("login")
	o.addUserFlags(fs)
	o.addLoginFlags(fs)
	o.addBrowserFlags(fs)
	if err := c.parse(fs, loginHelp, args); err != nil {
		return err
	}
	if err := onlyWith(fs, o.browser, "browser", "domain", "redirect-url", "scope", "timeout"); err != nil {
		return err
	}
	if o.browser {
		var err error
		fs.Visit(func(f *flag.Flag) {
			if err == nil && (f.Name == "flow" || f.Name == "password-stdin") {
				err = usagef("--%s has no use with --browser: the password is typed in the browser", f.Name)
			}
		})
		if err == nil {
			err = o.resolve(c.env)
		}
		if err != nil {
			return err
		}
		return c.loginBrowser(ctx, &o)
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
	// The answers to challenges come from where the password came from.
	ask := &prompter{c: c, in: stdinLines{c.input()}, lines: true, issuer: o.poolID}
	if password == "" {
		t := c.userTerminal()
		if t == nil {
			return usagef("no password: give it on stdin with --password-stdin, or run in a terminal")
		}
		if password, err = c.promptPassword(ctx, t, o.username); err != nil {
			return err
		}
		ask.in, ask.lines = t, false
	}
	st, err := c.openStore(&o)
	if err != nil {
		return err
	}
	defer st.close()

	conf := c.config(&o)
	conf.Password = password
	conf.Challenge = ask
	conf.ChallengeTimeout = cmp.Or(c.challengeTimeout, cognito.DefaultChallengeTimeout)
	// A device the cached session is remembered with lets the sign-in
	// prove it (DEVICE_SRP_AUTH) in place of an MFA code.
	conf.Device = st.device(ctx, &o)
	if conf.Device != nil {
		c.keepSecret(conf.Device.Password)
	}
	tok, err := conf.Token(ctx)
	if err != nil {
		if ask.newPasswordSet.Load() {
			c.msg("Your password is now the new one you chose, although the sign-in failed after it.")
		}
		if ask.waiting.Load() && errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("no answer came within %v, as long as a sign-in waits for one; log in again: %w", conf.ChallengeTimeout, err)
		}
		if err := challengeFailure(err); err != nil {
			return err
		}
		if secretRefused(err) {
			return secretRefusedError(err)
		}
		if o.flow == "srp" && o.endpoint != "" && srpUnsupported(err) {
			return fmt.Errorf("the server at %s does not do SRP sign-in (%s): use --flow password with it, as with cognito-local", o.endpoint, apiMessage(err))
		}
		return err // the library's error says what failed
	}
	ses := sessionOf(tok)
	c.keepSecret(ses.tokens()...)
	r, err := c.replaceSession(ctx, &o, st, ses)
	if err != nil {
		return err
	}
	c.msg("Signed in as %s; session cached in %s", o.username, r.path)
	if ask.newPasswordSent.Load() {
		c.msg("Your password is now the new one you chose: sign in with it from now on.")
	}
	if ask.appSetUp.Load() {
		c.msg("Your authenticator app is set up: sign-ins will ask for its code.")
	}
	c.revokeReplaced(ctx, &o, r)
	return nil
}

// replaced is a session just cached, and the refresh token of the one it
// replaced, if any, to revoke once the user has been told.
type replaced struct {
	path            string // the cache file
	refresh, oldRef string // the refresh tokens of the new session and of the old one
}

// replaceSession caches ses as o's session in st, under st's lock, and
// returns what it replaced.
func (c *cli) replaceSession(ctx context.Context, o *options, st *store, ses *session) (*replaced, error) {
	unlock, err := st.lock(ctx)
	if err != nil {
		return nil, err
	}
	// Any error means there is no session to revoke.
	old, _ := st.load(ctx, o)
	if old != nil {
		c.keepSecret(old.tokens()...)
	}
	err = st.save(ctx, ses)
	unlock() // the revocation after it needs no lock
	if err != nil {
		return nil, err
	}
	r := &replaced{path: st.path(), refresh: ses.RefreshToken}
	if old != nil {
		r.oldRef = old.RefreshToken
	}
	return r, nil
}

// revokeReplaced revokes the refresh token of the session r replaced, if
// it had one of its own; a failure is a warning, the login having
// succeeded.
func (c *cli) revokeReplaced(ctx context.Context, o *options, r *replaced) {
	if r.oldRef == "" || r.oldRef == r.refresh {
		return
	}
	if err := c.revoke(ctx, o, r.oldRef); err != nil {
		c.msg("warning: could not revoke the refresh token of the session this one replaces, so it stays valid until it expires: %v", err)
	}
}

// challengeFailure explains why the answer to a challenge failed the
// sign-in, wrapping the library's error, or returns nil when err is not
// about an answer.
func challengeFailure(err error) error {
	var (
		unanswerable *cognito.ChallengeError
		mismatch     *types.CodeMismatchException
		expired      *types.ExpiredCodeException
		badApp       *types.EnableSoftwareTokenMFAException
		badPassword  *types.InvalidPasswordException
	)
	switch {
	case errors.As(err, &unanswerable):
		// The library's message would only name the challenge again.
		what := ""
		if unanswerable.Challenge == types.ChallengeNameTypeMfaSetup {
			what = " (it sets up an authenticator app only)"
		}
		return fmt.Errorf("the sign-in needs an answer to the %s challenge, which cognito-token cannot give%s; complete it with another client (such as the AWS CLI's respond-to-auth-challenge), then log in again", unanswerable.Challenge, what)
	case errors.As(err, &mismatch):
		return fmt.Errorf("the code was not accepted (a wrong one, or one used before); log in again: %w", err)
	case errors.As(err, &expired):
		return fmt.Errorf("the code has expired; log in again for a new one: %w", err)
	case errors.As(err, &badApp):
		return fmt.Errorf("the authenticator app's code was not accepted, so the app is not set up (check that the phone's clock is right); log in again: %w", err)
	case errors.As(err, &badPassword):
		return fmt.Errorf("the new password was refused (the user pool's password policy); log in again and choose another: %w", err)
	}
	return nil
}
