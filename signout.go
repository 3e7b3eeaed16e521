package cognito

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"golang.org/x/oauth2"
)

// revokeAPI is what signing out needs beyond API, and forgetAPI what
// forgetting a device needs; *cognitoidentityprovider.Client has both.
type (
	revokeAPI interface {
		RevokeToken(ctx context.Context, in *cip.RevokeTokenInput, optFns ...func(*cip.Options)) (*cip.RevokeTokenOutput, error)
	}
	forgetAPI interface {
		ForgetDevice(ctx context.Context, in *cip.ForgetDeviceInput, optFns ...func(*cip.Options)) (*cip.ForgetDeviceOutput, error)
	}
)

// Revoke signs out: it revokes t's refresh token (RevokeToken, with the
// client secret when there is one), which also ends the access and ID
// tokens issued with it, and forgets the session saved in Config.Store,
// all but its device: the pool still remembers it, so the next sign-in
// proves it instead of asking for MFA ([Config.ForgetDevice] forgets it).
// With a nil t, or one without a refresh token, it revokes the stored
// session's. A later TokenSource then needs a new sign-in, and a token
// source already holding t signs in again (or fails with
// ErrSignInRequired) at its next renewal. When the revocation fails, the
// stored session is kept.
func (c *Config) Revoke(ctx context.Context, t *oauth2.Token) error {
	if ctx == nil {
		ctx = context.Background()
	}
	api, unlock, err := c.signOutStart(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	revoker, ok := api.(revokeAPI)
	if !ok {
		return fmt.Errorf("cognito: Config.API (%T) has no RevokeToken method", api)
	}
	refresh := ""
	if t != nil {
		refresh = t.RefreshToken
	}
	var device *Device // kept: it stays remembered by the pool
	if c.Store != nil {
		ses, err := c.Store.Load(ctx)
		if err != nil && !errors.Is(err, ErrSessionFormat) {
			return fmt.Errorf("cognito: signing out: loading the stored session: %w", err)
		}
		if ses != nil {
			if refresh == "" {
				refresh = ses.RefreshToken
			}
			device = ses.Device
		}
	}
	if refresh != "" {
		in := &cip.RevokeTokenInput{ClientId: aws.String(c.ClientID), Token: aws.String(refresh)}
		if c.ClientSecret != "" {
			in.ClientSecret = aws.String(c.ClientSecret)
		}
		if _, err := revoker.RevokeToken(ctx, in); err != nil {
			return redact(fmt.Errorf("cognito: signing out: revoking the refresh token: %w", err), refresh, c.ClientSecret)
		}
	}
	if c.Store != nil {
		var keep *Session
		if device != nil {
			keep = &Session{Device: device}
		}
		if err := c.Store.Save(ctx, keep); err != nil {
			return fmt.Errorf("cognito: signing out: forgetting the stored session: %w", err)
		}
	}
	return nil
}

// ForgetDevice makes the pool forget the device t's session is remembered
// with (ForgetDevice, with t's access token). The session's refresh token
// was bound to the device and ends with it, so the session saved in
// Config.Store is forgotten too; t's access token serves until it
// expires. Later sign-ins meet MFA again, and confirm a new device. It
// does nothing when t has no device.
func (c *Config) ForgetDevice(ctx context.Context, t *oauth2.Token) error {
	d := DeviceOf(t)
	if d == nil {
		return nil
	}
	if ctx == nil {
		ctx = context.Background()
	}
	api, unlock, err := c.signOutStart(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	forgetter, ok := api.(forgetAPI)
	if !ok {
		return fmt.Errorf("cognito: Config.API (%T) has no ForgetDevice method", api)
	}
	access, _ := tokenPair(t)
	_, err = forgetter.ForgetDevice(ctx, &cip.ForgetDeviceInput{AccessToken: aws.String(access), DeviceKey: aws.String(d.Key)})
	if err != nil && !deviceGone(err) {
		return redact(fmt.Errorf("cognito: forgetting the device: %w", err), access, d.Password)
	}
	if c.Store == nil {
		return nil
	}
	ses, err := c.Store.Load(ctx)
	if err != nil || ses == nil || ses.Device == nil || ses.Device.Key != d.Key {
		return err
	}
	// The session's refresh token was bound to the device: it is dead too.
	if err := c.Store.Save(ctx, nil); err != nil {
		return fmt.Errorf("cognito: forgetting the device: forgetting the stored session: %w", err)
	}
	return nil
}

// signOutStart checks the Config, finds the API to call, and takes the
// Store's lock when it has one.
func (c *Config) signOutStart(ctx context.Context) (API, func(), error) {
	if err := c.check(); err != nil {
		return nil, nil, err
	}
	var api API = c.API
	if api == nil {
		api = defaultClient(ctx, c.UserPoolID)
	}
	unlock := func() {}
	if l, ok := c.Store.(Locker); ok {
		var err error
		if unlock, err = l.Lock(ctx); err != nil {
			return nil, nil, fmt.Errorf("cognito: locking the session store: %w", err)
		}
	}
	return api, unlock, nil
}
