package cognitotest

import (
	"net/http"
	"strings"
	"time"
)

// maxGracePeriod is the longest grace period of a rotated refresh token,
// as an app client's RetryGracePeriodSeconds allows.
const maxGracePeriod = 60 * time.Second

// WithRefreshTokenRotation turns refresh-token rotation on for the app
// client, as its RefreshTokenRotation setting (Feature ENABLED) does:
// GetTokensFromRefreshToken then returns a new RefreshToken with the new
// access and ID tokens, and the refresh token it was given keeps working
// for grace (RetryGracePeriodSeconds, on the server's clock; each use
// within it rotates again), after which using it fails with
// RefreshTokenReuseException. As on such a client, InitiateAuth with
// REFRESH_TOKEN_AUTH is refused with InvalidParameterException
// "REFRESH_TOKEN_AUTH flow not enabled for this client". Rotated tokens
// stand for the same sign-in: RevokeToken with any of them, or
// GlobalSignOut, revokes them all. A grace outside [0, 60 s] panics.
func WithRefreshTokenRotation(grace time.Duration) Option {
	if grace < 0 || grace > maxGracePeriod {
		panicf("refresh-token grace period %v is not between 0 and %v", grace, maxGracePeriod)
	}
	return func(c *config) { c.rotation, c.grace = true, grace }
}

// The refresh errors.
func errInvalidRefreshToken() *apiError { return errNotAuthorized("Invalid Refresh Token") }

func errRefreshTokenRevoked() *apiError { return errNotAuthorized("Refresh Token has been revoked") }

func errRefreshTokenReused() *apiError {
	return &apiError{status: http.StatusBadRequest, typ: "RefreshTokenReuseException", msg: "Refresh token has been reused."}
}

// refresh answers REFRESH_TOKEN_AUTH (flow, or its old name REFRESH_TOKEN):
// new access and ID tokens for the same sign-in, and no new refresh
// token. With rotation on, the flow is not enabled for the client.
func (s *Server) refresh(flow string, params map[string]string) (any, *apiError) {
	if s.cfg.rotation {
		return nil, errInvalidParameter(flow + " flow not enabled for this client")
	}
	token := params["REFRESH_TOKEN"]
	if token == "" {
		return nil, errInvalidParameter("Missing required parameter REFRESH_TOKEN")
	}
	if s.clientSecret != "" && params["SECRET_HASH"] == "" {
		// Checked before the token, so that a caller without the secret
		// learns nothing about it.
		return nil, s.checkSecretHash("", "")
	}
	now := s.now()
	id, g, _, e := s.redeem(token, params["DEVICE_KEY"], now)
	if e != nil {
		return nil, e
	}
	// The secret hash of a refresh is over the Cognito username, never
	// over the alias the user may have typed at sign-in.
	if e := s.checkSecretHash(g.username, params["SECRET_HASH"]); e != nil {
		return nil, e
	}
	res, e := s.mint(id, g, "", now)
	if e != nil {
		return nil, e
	}
	return &authOutput{AuthenticationResult: res, ChallengeParameters: map[string]string{}}, nil
}

// redeem finds the live sign-in that a refresh token of this app client
// belongs to, renewed at now with deviceKey (the DEVICE_KEY sent, "" for
// none). The checks, in order: the token is one of this client's
// ("Invalid Refresh Token"); its sign-in is not revoked ("Refresh Token
// has been revoked"); rotation has not replaced it more than the grace
// period ago (RefreshTokenReuseException); and, for a sign-in bound to a
// device, the device is confirmed and still known and deviceKey names it
// ("Invalid Refresh Token", as Cognito answers a refresh without the
// device key and one before ConfirmDevice).
func (s *Server) redeem(token, deviceKey string, now time.Time) (identity, *refreshGrant, *refreshToken, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rt := s.refreshTokens[token]
	if rt == nil || rt.grant.clientID != s.clientID {
		return identity{}, nil, nil, errInvalidRefreshToken()
	}
	g := rt.grant
	u := s.users[nameKey(g.username)]
	if g.revoked || g.generation != u.generation {
		return identity{}, nil, nil, errRefreshTokenRevoked()
	}
	if rt.rotated && !now.Before(rt.graceEnd) {
		return identity{}, nil, nil, errRefreshTokenReused()
	}
	if g.deviceKey != "" {
		d := s.devices.byKey[g.deviceKey]
		if d == nil || !d.confirmed || deviceKey != g.deviceKey {
			return identity{}, nil, nil, errInvalidRefreshToken()
		}
	}
	return u.identity(), g, rt, nil
}

// rotate replaces rt, which redeem accepted, with a new refresh token of
// the same sign-in, which it returns. rt then works until the grace period
// from its first rotation ends; it is checked again here, so that of two
// concurrent uses without a grace period only one succeeds.
func (s *Server) rotate(rt *refreshToken, now time.Time) (string, *apiError) {
	token := newRefreshToken()
	s.mu.Lock()
	defer s.mu.Unlock()
	if rt.rotated && !now.Before(rt.graceEnd) {
		return "", errRefreshTokenReused()
	}
	if !rt.rotated {
		rt.rotated, rt.graceEnd = true, now.Add(s.cfg.grace)
	}
	s.refreshTokens[token] = &refreshToken{grant: rt.grant}
	return token, nil
}

type getTokensInput struct {
	appClient
	RefreshToken   string
	ClientSecret   string
	DeviceKey      string
	ClientMetadata map[string]string
}

// getTokensFromRefreshToken answers GetTokensFromRefreshToken, the renewal
// Amplify JS v6 uses: REFRESH_TOKEN_AUTH by another name, with the client
// secret itself instead of a SECRET_HASH and the device key as DeviceKey.
// With rotation on, a new refresh token comes back too.
func (s *Server) getTokensFromRefreshToken(in *getTokensInput) (any, *apiError) {
	if in.RefreshToken == "" {
		return nil, errInvalidParameter("Missing required parameter RefreshToken")
	}
	if !s.clientSecretOK(in.ClientSecret) {
		return nil, errNotAuthorized("Unable to verify client secret for client " + s.clientID)
	}
	now := s.now()
	id, g, rt, e := s.redeem(in.RefreshToken, in.DeviceKey, now)
	if e != nil {
		return nil, e
	}
	rotated := ""
	if s.cfg.rotation {
		if rotated, e = s.rotate(rt, now); e != nil {
			return nil, e
		}
	}
	res, e := s.mint(id, g, "", now)
	if e != nil {
		return nil, e
	}
	res.RefreshToken = rotated
	return struct{ AuthenticationResult *authResult }{res}, nil
}

type revokeTokenInput struct {
	appClient
	Token        string
	ClientSecret string
}

// revokeToken answers RevokeToken: the refresh token's sign-in ends, so
// that neither it, nor any refresh token rotation gave in its place, nor
// the access tokens issued with them work any more. As in RFC 7009, a
// token the server does not know is not an error.
func (s *Server) revokeToken(in *revokeTokenInput) (any, *apiError) {
	if in.Token == "" {
		return nil, errInvalidParameter("Missing required parameter Token")
	}
	if !s.clientSecretOK(in.ClientSecret) {
		return nil, &apiError{status: http.StatusBadRequest, typ: "UnauthorizedException", msg: "Client secret is missing or wrong for client " + s.clientID}
	}
	if strings.Count(in.Token, ".") == 2 {
		return nil, &apiError{status: http.StatusBadRequest, typ: "UnsupportedTokenTypeException", msg: "Only refresh tokens can be revoked"}
	}
	s.revokeRefreshToken(in.Token, in.ClientID)
	return struct{}{}, nil
}

// revokeRefreshToken ends the sign-in of token, a refresh token of the app
// client clientID: neither it, nor any refresh token rotation gave in its
// place, nor the access tokens issued with them work any more. A token
// the server does not know, or of another app client, is ignored.
func (s *Server) revokeRefreshToken(token, clientID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if rt := s.refreshTokens[token]; rt != nil && rt.grant.clientID == clientID {
		rt.grant.revoked = true
	}
}

// accessTokenInput is the input of the operations authorised by an access
// token alone.
type accessTokenInput struct {
	AccessToken string
}

// globalSignOut answers GlobalSignOut: every refresh token of the access
// token's user, and every access token issued so far, stops working.
func (s *Server) globalSignOut(in *accessTokenInput) (any, *apiError) {
	if in.AccessToken == "" {
		return nil, errInvalidParameter("Missing required parameter AccessToken")
	}
	u, _, e := s.verifyAccessToken(in.AccessToken, s.now())
	if e != nil {
		return nil, e
	}
	s.mu.Lock()
	u.generation++
	u.signOuts++
	s.mu.Unlock()
	return struct{}{}, nil
}
