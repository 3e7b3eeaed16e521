package main

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"time"

	"github.com/seed-e8acf5fd/cognito"
	"github.com/seed-e8acf5fd/cognito/internal/fileutil"
	"github.com/seed-e8acf5fd/cognito/internal/jwt"
)

// sessionV1 is a session as cognito-token cached it before its cache was a
// cognito.FileStore: format version 1, which also named the pool, app
// client, user and endpoint, and kept the ID token's expiry and the time
// the tokens were asked for. Those the session now works out from its
// tokens (newSession); the file's name says whose session it is.
type sessionV1 struct {
	Version      int       `json:"version"`
	UserPoolID   string    `json:"user_pool_id"`
	ClientID     string    `json:"client_id"`
	Username     string    `json:"username"`           // as typed at sign-in
	Endpoint     string    `json:"endpoint,omitempty"` // --endpoint; none for Cognito itself
	AccessToken  string    `json:"access_token"`
	AccessExpiry time.Time `json:"access_token_expiry"`
	IDToken      string    `json:"id_token"`
	IDExpiry     time.Time `json:"id_token_expiry"`
	RefreshToken string    `json:"refresh_token"`
	Obtained     time.Time `json:"obtained"`
}

// maxV1Size bounds what readV1 reads: a session is a few kilobytes.
const maxV1Size = 1 << 20

// readV1 reads the version 1 session in the file name of the cache
// directory, or returns nil if there is none.
func (s *store) readV1(name string) *sessionV1 {
	b, err := fileutil.ReadFile(s.root, name, maxV1Size)
	if err != nil {
		return nil
	}
	var v sessionV1
	if json.Unmarshal(b, &v) != nil || v.Version != 1 {
		return nil
	}
	return &v
}

// complete reports whether a version 1 session has what it needs and
// belongs to o: the same pool, app client and server, and the same user
// name but for letter case.
func (v *sessionV1) complete(o *options) bool {
	return v.UserPoolID == o.poolID && v.ClientID == o.clientID && v.Endpoint == o.endpoint &&
		strings.EqualFold(v.Username, o.username) &&
		v.AccessToken != "" && v.RefreshToken != "" &&
		!v.AccessExpiry.IsZero() && !v.IDExpiry.IsZero() && !v.Obtained.IsZero()
}

// upgrade takes over the version 1 session of o that an earlier
// cognito-token left under the current name: it is saved in FileStore's
// format in its place. The caller holds the lock. Anything else leaves the
// file as it is, and returns nil.
func (s *store) upgrade(ctx context.Context, o *options) *session {
	v := s.readV1(s.key + sessionSuffix)
	if v == nil || !v.complete(o) {
		return nil
	}
	ses, _ := s.adopt(ctx, o, v) // if it cannot be saved now, the next command tries again
	return ses
}

// migrate takes over the session an earlier cognito-token cached for o
// under legacyKey, if it is complete and came from the server o names:
// Cognito itself without --endpoint, another server with it, as the ID
// token's issuer tells (those versions kept no endpoint, and used one
// file for both). The session is saved under the current key, then the
// old file removed. The caller holds the lock. Anything else leaves the
// old file as it is, and returns nil.
func (s *store) migrate(ctx context.Context, o *options) *session {
	if s.legacyKey == "" {
		return nil
	}
	v := s.readV1(s.legacyKey + sessionSuffix)
	if v == nil || v.Endpoint != "" {
		return nil
	}
	v.Endpoint = o.endpoint
	if !v.complete(o) || cognitoIssuer(v.IDToken, o.poolID) != (o.endpoint == "") {
		return nil
	}
	ses, err := s.adopt(ctx, o, v)
	if ses != nil && err == nil {
		// If it stays, it is never read again.
		_ = fileutil.Remove(s.root, s.legacyKey+sessionSuffix)
	}
	return ses
}

// adopt saves the version 1 session v of o as the current session and
// returns it, or returns nil when it is not usable. A session that cannot
// be saved is returned with the error: usable now, and taken over again
// by the next command.
func (s *store) adopt(ctx context.Context, o *options, v *sessionV1) (*session, error) {
	ses := newSession(cognito.Session{
		AccessToken:  v.AccessToken,
		IDToken:      v.IDToken,
		RefreshToken: v.RefreshToken,
		Expiry:       v.AccessExpiry,
	})
	if !ses.usable(o) {
		return nil, nil
	}
	return ses, s.save(ctx, ses)
}

// removeLegacyTemps removes the temporary files an earlier version left
// under legacyKey: a save cut short (a login interrupted, a crash) can
// leave one holding a live refresh token.
func (s *store) removeLegacyTemps() error {
	if s.legacyKey == "" {
		return nil
	}
	return fileutil.RemoveTemps(s.root, s.legacyKey+sessionSuffix, 0)
}

// cognitoIssuer reports whether the (unverified) issuer of the ID token is
// Cognito's for the pool, https://cognito-idp.<region>.amazonaws.com/<pool
// ID> (.amazonaws.com.cn in China).
func cognitoIssuer(idToken, poolID string) bool {
	var claims struct {
		Iss string `json:"iss"`
	}
	if jwt.DecodeUnverified(idToken, &claims) != nil {
		return false
	}
	u, err := url.Parse(claims.Iss)
	return err == nil && u.Scheme == "https" && u.Path == "/"+poolID &&
		strings.HasPrefix(u.Host, "cognito-idp.") &&
		(strings.HasSuffix(u.Host, ".amazonaws.com") || strings.HasSuffix(u.Host, ".amazonaws.com.cn"))
}
