package cognito

import (
	"context"
	"errors"
	"fmt"
	"time"

	"golang.org/x/oauth2"
)

// Device is a device remembered by a user pool for one user, as a sign-in
// on a pool with device tracking creates it. A sign-in from a remembered
// device proves the device's password with SRP (DEVICE_SRP_AUTH) instead
// of asking for an MFA code, and every renewal must name the device.
//
// Password is a secret, like a refresh token: keep a Device where you
// keep sessions.
type Device struct {
	Key      string `json:"key"`       // the DeviceKey, such as "us-east-1_0a1b2c3d-..."
	GroupKey string `json:"group_key"` // the DeviceGroupKey
	Password string `json:"password"`  // the random device password, base64
}

// Session is what a program keeps between runs to carry on without a new
// sign-in: the tokens, and the device they are bound to, if any.
type Session struct {
	AccessToken  string    `json:"access_token"`
	IDToken      string    `json:"id_token"`
	RefreshToken string    `json:"refresh_token"`
	Expiry       time.Time `json:"expiry"` // of the bearer token
	Device       *Device   `json:"device,omitempty"`
}

// Store keeps a [Session] between runs. Set one in [Config.Store]: the
// token source then starts from the stored session and saves every
// change to it (new tokens, a rotated refresh token, a new device).
// Implementations must be safe for concurrent use.
type Store interface {
	// Load returns the saved session, or nil and no error when there is
	// none.
	Load(ctx context.Context) (*Session, error)
	// Save replaces the saved session with s; a nil s forgets it.
	Save(ctx context.Context, s *Session) error
}

// Locker is implemented by a [Store] that several processes share, such as
// a [FileStore]. Around each renewal the token source holds the lock,
// loads the session first (another process may have renewed it
// already: then the source takes that session instead of renewing), and
// saves the result before unlocking. So processes sharing a store renew
// once per expiry, and none loses a rotated refresh token.
type Locker interface {
	// Lock waits until the lock is held or ctx ends, and returns the
	// function that releases it. Load and Save do not take the lock
	// themselves.
	Lock(ctx context.Context) (unlock func(), err error)
}

// loadStored reads the Store before a renewal: at the first one, and
// before every one when the store is shared (a Locker). It adopts what
// another run or process saved (a newer refresh token, a device), and
// returns the stored token when it is still fresh, so that no renewal is
// needed; otherwise nil. A store that cannot be read fails the attempt
// (a transient failure: the stored session may be fine), except when
// what it holds is not a session at all (ErrSessionFormat), which is
// logged and overwritten at the next save.
func (s *source) loadStored(ctx context.Context) (*fresh, error) {
	if _, shared := s.conf.Store.(Locker); s.loaded && !shared {
		return nil, nil
	}
	ses, err := s.conf.Store.Load(ctx)
	if errors.Is(err, ErrSessionFormat) {
		s.logger().Warn("cognito: the stored session cannot be read; it will be replaced", "error", s.redact(err))
		s.loaded = true
		return nil, nil
	}
	if err != nil {
		return nil, s.redact(fmt.Errorf("cognito: loading the stored session: %w", err))
	}
	s.loaded = true
	if ses == nil || sameSession(ses, s.stored) {
		return nil, nil
	}
	if err := s.checkSession(ses); err != nil {
		s.logger().Warn("cognito: the stored session is not used", "error", s.redact(err))
		return nil, nil
	}
	s.stored = ses
	if ses.RefreshToken != "" {
		s.refreshToken = ses.RefreshToken
	}
	if ses.Device != nil {
		d := *ses.Device
		s.device = &d
	}
	if name := usernameOf(claimsOf(ses.AccessToken, ses.IDToken)); name != "" {
		s.username = name
	}
	if ses.AccessToken == "" || ses.Expiry.IsZero() {
		return nil, nil // a refresh token or a device alone: renew with them
	}
	tok := s.token(ses.AccessToken, ses.IDToken, ses.Expiry)
	_, obtained := savedToken(tok)
	if !s.now().Before(freshUntil(tok.Expiry, obtained, s.conf.earlyExpiry())) {
		return nil, nil // due for renewal, as the cache judges it: with the refresh token just adopted
	}
	return &fresh{tok: tok, sent: obtained}, nil
}

// sameSession reports whether a and b hold the same tokens and device.
func sameSession(a, b *Session) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.AccessToken == b.AccessToken && a.IDToken == b.IDToken && a.RefreshToken == b.RefreshToken &&
		a.Expiry.Equal(b.Expiry) && (a.Device == nil) == (b.Device == nil) && (a.Device == nil || *a.Device == *b.Device)
}

// checkSession refuses a stored session with nothing to start from,
// without the ID token that UseIDToken needs, or whose tokens were issued
// by another pool or to another app client.
func (s *source) checkSession(ses *Session) error {
	switch {
	case ses.AccessToken == "" && ses.RefreshToken == "" && ses.Device == nil:
		return errors.New("cognito: the stored session is empty")
	case ses.AccessToken != "" && ses.Expiry.IsZero():
		return errors.New("cognito: the stored session has no expiry")
	case s.conf.UseIDToken && ses.AccessToken != "" && ses.IDToken == "":
		return errors.New("cognito: UseIDToken is set but the stored session has no ID token")
	}
	claims := claimsOf(ses.AccessToken, ses.IDToken)
	for _, c := range claims {
		if c.Client != "" && c.Client != s.conf.ClientID {
			return fmt.Errorf("cognito: the stored session's tokens were issued to app client %q, not %q", c.Client, s.conf.ClientID)
		}
	}
	return s.checkIssuer(claims)
}

// save writes the session of tok to the Store. A failure is logged, not
// returned: the token is good, and the next change is saved again.
func (s *source) save(ctx context.Context, tok *oauth2.Token) {
	access, id := tokenPair(tok)
	ses := &Session{AccessToken: access, IDToken: id, RefreshToken: s.refreshToken, Expiry: tok.Expiry}
	if s.device != nil {
		d := *s.device
		ses.Device = &d
	}
	if err := s.conf.Store.Save(ctx, ses); err != nil {
		s.logger().Warn("cognito: cannot save the session; it is kept in memory and saved at the next renewal", "error", s.redact(err))
		return
	}
	s.stored, s.loaded = ses, true
}
