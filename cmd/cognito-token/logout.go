package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
)

// revokeTimeout bounds the RevokeToken call of logout.
const revokeTimeout = time.Minute

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
		c.msg("No session is cached for %s: nothing to do.", o.username)
		return nil
	case errors.As(err, &nl):
		if rmErr := st.remove(); rmErr != nil {
			return rmErr
		}
		return errors.New("the cached session was unreadable: deleted it without revoking its refresh token")
	case err != nil:
		return err
	}
	c.keepSecret(ses.tokens()...)

	revokeErr := c.revoke(ctx, &o, ses.RefreshToken)
	if err := st.remove(); err != nil {
		return err
	}
	if revokeErr != nil {
		return fmt.Errorf("the session is deleted here, but revoking its refresh token failed, so it stays valid until it expires: %w", revokeErr)
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
	return err
}
