package cognito

import (
	"context"
	"time"
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
