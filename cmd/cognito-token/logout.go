package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
)

// revokeTimeout bounds a RevokeToken call (logout, and login replacing a
// session).
const revokeTimeout = time.Minute

const logoutHelp = `Revokes the session's refresh token with Cognito (RevokeToken) and deletes
the cached session. If the revocation fails (no network, the app client's
secret missing), the session is kept and it exits 1: run it again once that
is fixed, or with --force to forget the session here all the same, its
refresh token then staying valid until it expires.
`

// logout revokes the refresh token and forgets the session.
func (c *cli) logout(ctx context.Context, args []string) error {
	var o options
	var force bool
	fs := newFlagSet("logout")
	o.addUserFlags(fs)
	fs.BoolVar(&force, "force", false, "forget the session even if its refresh token cannot be revoked")
	if err := c.parse(fs, logoutHelp, args); err != nil {
		return err
	}
	st, ses, unlock, err := c.lockedSession(ctx, &o)
	if unlock == nil {
		return err
	}
	defer unlock()
	var nl *needLoginError
	switch {
	case errors.As(err, &nl) && nl.missing:
		c.msg("No session is cached for %s: nothing to do.", o.username)
		return nil
	case errors.As(err, &nl):
		if rmErr := st.remove(ctx); rmErr != nil {
			return rmErr
		}
		return errors.New("the cached session was unreadable: deleted it without revoking its refresh token")
	case err != nil:
		return err
	}
	c.keepSecret(ses.tokens()...)

	if err := c.revoke(ctx, &o, ses.RefreshToken); err != nil {
		if !force || ctx.Err() != nil {
			// Deleting the session would leave a valid refresh token that
			// could no longer be revoked.
			return fmt.Errorf("could not revoke the refresh token, so the session is kept: %w; run logout again once that is fixed, or 'cognito-token logout --force' to forget the session without revoking it", err)
		}
		if err := st.remove(ctx); err != nil {
			return err
		}
		c.msg("warning: could not revoke the refresh token: %v", err)
		c.msg("Forgot the session of %s here, but its refresh token was NOT revoked: it stays valid until it expires.", o.username)
		return nil
	}
	if err := st.remove(ctx); err != nil {
		return err
	}
	c.msg("Signed out %s: refresh token revoked, session deleted.", o.username)
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
	if secretRefused(err) {
		return secretRefusedError(err)
	}
	return err
}
