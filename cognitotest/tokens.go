package cognitotest

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// RSA key generation takes around 0.1 s (far more under -race), so one
// key is made per process and shared by every Server; each Server still has
// its own kid, so a verifier that selects keys by kid (as it should) does
// not accept one server's tokens with another server's JWKS.
var (
	keyOnce   sync.Once
	sharedKey *rsa.PrivateKey
)

func signingKey() *rsa.PrivateKey {
	keyOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panicf("generating RSA key: %v", err)
		}
		sharedKey = k
	})
	return sharedKey
}

// identity is what the tokens say about a user.
type identity struct {
	username string
	sub      string
	email    string
}

// refreshGrant is what a refresh token stands for: one sign-in. With
// refresh-token rotation, several refresh tokens in turn stand for it.
// Its mutable fields are read and written with the Server's mu held.
type refreshGrant struct {
	username   string
	clientID   string
	authTime   time.Time
	originJTI  string
	eventID    string
	generation int  // the user's generation when it was issued
	signOuts   int  // the user's signOuts when it was issued
	revoked    bool // by RevokeToken, with any of its refresh tokens
	// deviceKey is the device the sign-in is bound to, "" for none: the
	// remembered device it signed in with, or the new one it was handed
	// in NewDeviceMetadata. A renewal must name it, once it is confirmed.
	deviceKey string
	// scopes are the OAuth 2.0 scopes granted to a managed-login sign-in,
	// nil for one through the API, whose access tokens have the scope
	// aws.cognito.signin.user.admin alone.
	scopes []string
}

// refreshToken is one refresh token: the sign-in it stands for and, once
// rotation has replaced it, the end of its grace period. Its fields are
// read and written with the Server's mu held.
type refreshToken struct {
	grant    *refreshGrant
	rotated  bool
	graceEnd time.Time
}

// authResult is the AuthenticationResult of the wire protocol.
type authResult struct {
	AccessToken       string
	IDToken           string `json:"IdToken,omitempty"`
	RefreshToken      string `json:",omitempty"`
	ExpiresIn         *int64 `json:",omitempty"`
	TokenType         string
	NewDeviceMetadata *newDeviceMetadata `json:",omitempty"`
}

// newDeviceMetadata is the NewDeviceMetadata of a sign-in on a pool with
// device tracking: the device the client is to confirm.
type newDeviceMetadata struct {
	DeviceKey      string
	DeviceGroupKey string
}

type accessClaims struct {
	Sub       string `json:"sub"`
	Iss       string `json:"iss"`
	ClientID  string `json:"client_id"`
	OriginJTI string `json:"origin_jti"`
	EventID   string `json:"event_id"`
	TokenUse  string `json:"token_use"`
	Scope     string `json:"scope"`
	AuthTime  int64  `json:"auth_time"`
	Exp       int64  `json:"exp"`
	Iat       int64  `json:"iat"`
	JTI       string `json:"jti"`
	Username  string `json:"username"`
	// Version is 2 in the tokens of the token endpoint, as in Cognito's,
	// and left out of those of the API.
	Version int `json:"version,omitempty"`
}

type idClaims struct {
	Sub             string `json:"sub"`
	EmailVerified   *bool  `json:"email_verified,omitempty"`
	Iss             string `json:"iss"`
	CognitoUsername string `json:"cognito:username"`
	OriginJTI       string `json:"origin_jti"`
	Aud             string `json:"aud"`
	EventID         string `json:"event_id"`
	TokenUse        string `json:"token_use"`
	AuthTime        int64  `json:"auth_time"`
	Exp             int64  `json:"exp"`
	Iat             int64  `json:"iat"`
	JTI             string `json:"jti"`
	Email           string `json:"email,omitempty"`
	// Nonce is the nonce of the authorization request, in the ID token of
	// an authorization code grant; AtHash, in every ID token of the token
	// endpoint, is OpenID Connect's hash of the access token beside it.
	Nonce  string `json:"nonce,omitempty"`
	AtHash string `json:"at_hash,omitempty"`
}

// mint issues an access token for the sign-in g, valid from now, and an ID
// token unless g's scopes leave openid out. nonce, when not empty, goes
// into the ID token. The caller adds the refresh token when there is one
// to hand out.
func (s *Server) mint(id identity, g *refreshGrant, nonce string, now time.Time) (*authResult, *apiError) {
	lifetime := int64(s.cfg.lifetime / time.Second)
	iat := now.Unix()
	access := accessClaims{
		Sub:       id.sub,
		Iss:       s.issuer,
		ClientID:  g.clientID,
		OriginJTI: g.originJTI,
		EventID:   g.eventID,
		TokenUse:  "access",
		Scope:     scopeAdmin,
		AuthTime:  g.authTime.Unix(),
		Exp:       iat + lifetime,
		Iat:       iat,
		JTI:       newUUID(),
		Username:  id.username,
	}
	if g.scopes != nil {
		access.Scope, access.Version = strings.Join(g.scopes, " "), 2
	}
	accessJWT, err := s.signJWT(access)
	if err != nil {
		return nil, errInternal("signing the access token failed")
	}
	res := &authResult{AccessToken: accessJWT, TokenType: "Bearer"}
	if !s.cfg.omitExpiresIn {
		res.ExpiresIn = &lifetime
	}
	if g.scopes != nil && !slices.Contains(g.scopes, scopeOpenID) {
		return res, nil
	}
	idt := idClaims{
		Sub:             id.sub,
		Iss:             s.issuer,
		CognitoUsername: id.username,
		OriginJTI:       g.originJTI,
		Aud:             g.clientID,
		EventID:         g.eventID,
		TokenUse:        "id",
		AuthTime:        g.authTime.Unix(),
		Exp:             iat + lifetime,
		Iat:             iat,
		JTI:             newUUID(),
		Nonce:           nonce,
	}
	if g.scopes != nil {
		idt.AtHash = atHash(accessJWT)
	}
	if id.email != "" {
		verified := true
		idt.Email, idt.EmailVerified = id.email, &verified
	}
	if res.IDToken, err = s.signJWT(idt); err != nil {
		return nil, errInternal("signing the ID token failed")
	}
	return res, nil
}

// atHash is the at_hash claim of an ID token issued with accessToken
// (OpenID Connect Core 3.1.3.6, for RS256): the left half of its SHA-256,
// base64url without padding.
func atHash(accessToken string) string {
	sum := sha256.Sum256([]byte(accessToken))
	return base64.RawURLEncoding.EncodeToString(sum[:len(sum)/2])
}

// signJWT makes a compact RS256 JWS of claims.
func (s *Server) signJWT(claims any) (string, error) {
	header, err := json.Marshal(struct {
		Kid string `json:"kid"`
		Alg string `json:"alg"`
	}{s.kid, "RS256"})
	if err != nil {
		return "", err
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	signed := base64.RawURLEncoding.EncodeToString(header) + "." + base64.RawURLEncoding.EncodeToString(payload)
	digest := sha256.Sum256([]byte(signed))
	sig, err := rsa.SignPKCS1v15(nil, s.key, crypto.SHA256, digest[:])
	if err != nil {
		return "", err
	}
	return signed + "." + base64.RawURLEncoding.EncodeToString(sig), nil
}

// newRefreshToken returns an opaque refresh token: 48 random bytes,
// base64url without padding.
func newRefreshToken() string {
	return base64.RawURLEncoding.EncodeToString(randomBytes(48))
}

// jwk is one RSA public key in JWK form.
type jwk struct {
	Kty string `json:"kty"`
	Alg string `json:"alg"`
	Use string `json:"use"`
	Kid string `json:"kid"`
	N   string `json:"n"`
	E   string `json:"e"`
}

// serveJWKS answers GET /<UserPoolID>/.well-known/jwks.json.
func (s *Server) serveJWKS(w http.ResponseWriter) {
	pub := s.key.PublicKey
	doc := struct {
		Keys []jwk `json:"keys"`
	}{[]jwk{{
		Kty: "RSA",
		Alg: "RS256",
		Use: "sig",
		Kid: s.kid,
		N:   base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
		E:   base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
	}}}
	writeJSON(w, http.StatusOK, "application/json", doc)
}

// serveDiscovery answers GET /<UserPoolID>/.well-known/openid-configuration
// with the fields OpenID Connect Discovery requires and the endpoints of
// the pool's domain (Server.Domain), which is the server itself.
func (s *Server) serveDiscovery(w http.ResponseWriter) {
	doc := struct {
		Issuer                string   `json:"issuer"`
		AuthorizationEndpoint string   `json:"authorization_endpoint"`
		TokenEndpoint         string   `json:"token_endpoint"`
		UserinfoEndpoint      string   `json:"userinfo_endpoint"`
		RevocationEndpoint    string   `json:"revocation_endpoint"`
		EndSessionEndpoint    string   `json:"end_session_endpoint"`
		JWKSURI               string   `json:"jwks_uri"`
		ResponseTypes         []string `json:"response_types_supported"`
		SubjectTypes          []string `json:"subject_types_supported"`
		SigningAlgs           []string `json:"id_token_signing_alg_values_supported"`
		Scopes                []string `json:"scopes_supported"`
		Claims                []string `json:"claims_supported"`
		GrantTypes            []string `json:"grant_types_supported"`
		CodeChallengeMethods  []string `json:"code_challenge_methods_supported"`
		TokenAuthMethods      []string `json:"token_endpoint_auth_methods_supported"`
	}{
		Issuer:                s.issuer,
		AuthorizationEndpoint: s.domain + pathAuthorize,
		TokenEndpoint:         s.domain + pathToken,
		UserinfoEndpoint:      s.domain + pathUserInfo,
		RevocationEndpoint:    s.domain + pathRevoke,
		EndSessionEndpoint:    s.domain + pathLogout,
		JWKSURI:               s.issuer + "/.well-known/jwks.json",
		ResponseTypes:         []string{"code"},
		SubjectTypes:          []string{"public"},
		SigningAlgs:           []string{"RS256"},
		Scopes:                []string{scopeOpenID, scopeEmail, scopePhone, scopeProfile},
		Claims:                []string{"sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "at_hash", "email", "email_verified", "cognito:username"},
		GrantTypes:            []string{"authorization_code", "refresh_token", "client_credentials"},
		CodeChallengeMethods:  []string{"S256"},
		TokenAuthMethods:      []string{"client_secret_basic", "client_secret_post"},
	}
	writeJSON(w, http.StatusOK, "application/json", doc)
}

// verifyAccessToken checks an access token for the operations of the API
// authorised by one (AssociateSoftwareToken, VerifySoftwareToken, the
// device operations, GlobalSignOut): checkAccessToken's checks, and, as
// in Cognito, the scope aws.cognito.signin.user.admin, which tokens of
// managed login have only when it was asked for.
func (s *Server) verifyAccessToken(token string, now time.Time) (*user, *refreshGrant, *apiError) {
	u, g, c, e := s.checkAccessToken(token, now)
	if e != nil {
		return nil, nil, e
	}
	if !slices.Contains(strings.Fields(c.Scope), scopeAdmin) {
		return nil, nil, errNotAuthorized("Access Token does not have required scopes")
	}
	return u, g, nil
}

// checkAccessToken checks an access token the server issued to a user:
// the signature under this server's key, the issuer, the app client, the
// token use and the expiry, and that neither RevokeToken nor GlobalSignOut
// has revoked it since. It returns the token's user, sign-in and claims.
// Tokens of the client credentials grant, which name no user, fail.
func (s *Server) checkAccessToken(token string, now time.Time) (*user, *refreshGrant, *accessClaims, *apiError) {
	invalid := errNotAuthorized("Invalid Access Token")
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, nil, nil, invalid
	}
	var header struct {
		Kid string `json:"kid"`
		Alg string `json:"alg"`
	}
	if !decodeSegment(parts[0], &header) || header.Alg != "RS256" || header.Kid != s.kid {
		return nil, nil, nil, invalid
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return nil, nil, nil, invalid
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if rsa.VerifyPKCS1v15(&s.key.PublicKey, crypto.SHA256, digest[:], sig) != nil {
		return nil, nil, nil, invalid
	}
	var c accessClaims
	if !decodeSegment(parts[1], &c) || c.TokenUse != "access" || c.Iss != s.issuer || c.ClientID != s.clientID {
		return nil, nil, nil, invalid
	}
	if now.Unix() >= c.Exp {
		return nil, nil, nil, errNotAuthorized("Access Token has expired")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.users[nameKey(c.Username)]
	g := s.origins[c.OriginJTI]
	if u == nil || u.sub != c.Sub || g == nil || g.username != u.username {
		return nil, nil, nil, invalid
	}
	if g.revoked || g.signOuts != u.signOuts {
		return nil, nil, nil, errNotAuthorized("Access Token has been revoked")
	}
	return u, g, &c, nil
}

// decodeSegment decodes a base64url JSON segment of a JWT into v.
func decodeSegment(seg string, v any) bool {
	b, err := base64.RawURLEncoding.DecodeString(seg)
	return err == nil && json.Unmarshal(b, v) == nil
}
