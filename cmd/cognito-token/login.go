package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/seed-e8acf5fd/cognito"
)

const loginHelp = `Signs in, with SRP unless --flow password is given, and caches the
session (never the password) for the token command. The password is read
from the terminal without echo, or from the first line of stdin with
--password-stdin. A session cached before for the same user is replaced,
and its refresh token revoked (a warning says if that fails).

Emulators without SRP, such as cognito-local, need --flow password.
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
	defer st.close()

	conf := c.config(&o)
	conf.Password = password
	obtained := time.Now()
	tok, err := conf.Token(ctx)
	if err != nil {
		var ce *cognito.ChallengeError
		if errors.As(err, &ce) {
			return fmt.Errorf("the sign-in needs an answer to the %s challenge, which cognito-token cannot give; complete it with another client, then log in again", ce.Challenge)
		}
		if secretRefused(err) {
			return secretRefusedError(err)
		}
		if o.flow == "srp" && o.endpoint != "" && srpUnsupported(err) {
			return fmt.Errorf("the server at %s does not do SRP sign-in (%s): use --flow password with it, as with cognito-local", o.endpoint, apiMessage(err))
		}
		return err // the library's error says what failed
	}
	ses := newSession(&o, tok, obtained, time.Now())
	c.keepSecret(ses.tokens()...)

	unlock, err := st.lock(ctx)
	if err != nil {
		return err
	}
	// A session this one replaces: its refresh token is revoked once the
	// new session is saved. Any error means there is none to revoke.
	old, _ := st.load(&o)
	if old != nil {
		c.keepSecret(old.tokens()...)
	}
	err = st.save(ses)
	unlock() // the revocation below needs no lock
	if err != nil {
		return err
	}
	c.msg("Signed in as %s; session cached in %s", o.username, st.path())
	if old != nil && old.RefreshToken != ses.RefreshToken {
		if err := c.revoke(ctx, &o, old.RefreshToken); err != nil {
			c.msg("warning: could not revoke the refresh token of the session this one replaces, so it stays valid until it expires: %v", err)
		}
	}
	return nil
}
