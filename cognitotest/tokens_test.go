package cognitotest

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// getJSON fetches a JSON document.
func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, url)
	assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
	require.NoError(t, json.NewDecoder(resp.Body).Decode(v))
}

// jwksKeys fetches the server's JWKS as the OpenID discovery document
// points to it, the way go-oidc does, and returns the keys by kid.
func jwksKeys(t *testing.T, s *Server) map[string]*rsa.PublicKey {
	t.Helper()
	var disco struct {
		Issuer  string   `json:"issuer"`
		JWKSURI string   `json:"jwks_uri"`
		Algs    []string `json:"id_token_signing_alg_values_supported"`
	}
	getJSON(t, s.Issuer+"/.well-known/openid-configuration", &disco)
	require.Equal(t, s.Issuer, disco.Issuer)
	require.Equal(t, []string{"RS256"}, disco.Algs)

	var set struct {
		Keys []struct {
			Kty, Alg, Use, Kid, N, E string
		} `json:"keys"`
	}
	getJSON(t, disco.JWKSURI, &set)
	keys := map[string]*rsa.PublicKey{}
	for _, k := range set.Keys {
		require.Equal(t, "RSA", k.Kty)
		require.Equal(t, "RS256", k.Alg)
		require.Equal(t, "sig", k.Use)
		n, err := base64.RawURLEncoding.DecodeString(k.N)
		require.NoError(t, err)
		e, err := base64.RawURLEncoding.DecodeString(k.E)
		require.NoError(t, err)
		keys[k.Kid] = &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
	}
	return keys
}

// verifyJWT checks an RS256 signature against keys and returns the claims.
func verifyJWT(t *testing.T, keys map[string]*rsa.PublicKey, jwt string) map[string]any {
	t.Helper()
	parts := strings.Split(jwt, ".")
	require.Len(t, parts, 3)
	rawHeader, err := base64.RawURLEncoding.DecodeString(parts[0])
	require.NoError(t, err)
	var header struct{ Alg, Kid string }
	require.NoError(t, json.Unmarshal(rawHeader, &header))
	require.Equal(t, "RS256", header.Alg)
	key, ok := keys[header.Kid]
	require.True(t, ok, "kid %q is in the JWKS", header.Kid)
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	require.NoError(t, err)
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	require.NoError(t, rsa.VerifyPKCS1v15(key, crypto.SHA256, digest[:], sig))
	return claims(t, jwt)
}

func TestTokens(t *testing.T) {
	now := time.Date(2024, 3, 5, 15, 4, 5, 0, time.UTC)
	s := newTestServer(t, WithClock(func() time.Time { return now }), WithTokenLifetime(90*time.Second))
	s.AddUser("vera", "pw")
	s.AddAlias("vera", "+15555550123")
	s.AddAlias("vera", "vera@example.com")
	s.AddAlias("vera", "vera2@example.com")
	s.AddUser("walt", "pw")
	keys := jwksKeys(t, s)
	require.Len(t, keys, 1)

	out, err := srpSignIn(t, s, "vera2@example.com", "pw")
	require.NoError(t, err)
	res := out.AuthenticationResult
	assert.Equal(t, int32(90), res.ExpiresIn)
	access := verifyJWT(t, keys, aws.ToString(res.AccessToken))
	id := verifyJWT(t, keys, aws.ToString(res.IdToken))

	iat, exp := float64(now.Unix()), float64(now.Unix()+90)
	uuid := `^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`
	assert.Regexp(t, uuid, access["sub"])
	assert.Equal(t, s.Issuer, access["iss"])
	assert.Equal(t, s.ClientID, access["client_id"])
	assert.Equal(t, "access", access["token_use"])
	assert.Equal(t, "aws.cognito.signin.user.admin", access["scope"])
	assert.Equal(t, iat, access["auth_time"])
	assert.Equal(t, iat, access["iat"])
	assert.Equal(t, exp, access["exp"])
	assert.Regexp(t, uuid, access["jti"])
	assert.Regexp(t, uuid, access["origin_jti"])
	assert.Equal(t, "vera", access["username"])
	assert.NotContains(t, access, "aud")

	assert.Equal(t, access["sub"], id["sub"])
	assert.Equal(t, s.Issuer, id["iss"])
	assert.Equal(t, s.ClientID, id["aud"])
	assert.Equal(t, "id", id["token_use"])
	assert.Equal(t, "vera", id["cognito:username"])
	assert.Equal(t, "vera@example.com", id["email"], "the first email alias")
	assert.Equal(t, true, id["email_verified"])
	assert.Equal(t, iat, id["auth_time"])
	assert.Equal(t, iat, id["iat"])
	assert.Equal(t, exp, id["exp"])
	assert.Regexp(t, uuid, id["jti"])
	assert.NotEqual(t, access["jti"], id["jti"])
	assert.Equal(t, access["origin_jti"], id["origin_jti"])

	// sub is stable per user and differs between users; no alias, no email.
	again, err := passwordSignIn(s, "vera", "pw")
	require.NoError(t, err)
	assert.Equal(t, access["sub"], verifyJWT(t, keys, aws.ToString(again.AuthenticationResult.AccessToken))["sub"])
	assert.NotEqual(t, access["origin_jti"], claims(t, aws.ToString(again.AuthenticationResult.AccessToken))["origin_jti"])
	walt, err := passwordSignIn(s, "walt", "pw")
	require.NoError(t, err)
	waltID := verifyJWT(t, keys, aws.ToString(walt.AuthenticationResult.IdToken))
	assert.NotEqual(t, access["sub"], waltID["sub"])
	assert.NotContains(t, waltID, "email")
	assert.NotContains(t, waltID, "email_verified")

	// Another server's tokens carry another kid and issuer.
	other := newTestServer(t)
	other.AddUser("vera", "pw")
	theirs, err := passwordSignIn(other, "vera", "pw")
	require.NoError(t, err)
	kid := jwtKid(t, aws.ToString(theirs.AuthenticationResult.AccessToken))
	assert.NotContains(t, keys, kid)
	assert.Equal(t, other.Issuer, claims(t, aws.ToString(theirs.AuthenticationResult.AccessToken))["iss"])
}

func jwtKid(t *testing.T, jwt string) string {
	t.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(strings.Split(jwt, ".")[0])
	require.NoError(t, err)
	var h struct{ Kid string }
	require.NoError(t, json.Unmarshal(raw, &h))
	return h.Kid
}

func TestWithoutExpiresIn(t *testing.T) {
	s := newTestServer(t, WithoutExpiresIn())
	s.AddUser("xena", "pw")
	out, err := srpSignIn(t, s, "xena", "pw")
	require.NoError(t, err)
	assert.Zero(t, out.AuthenticationResult.ExpiresIn, "absent on the wire, zero in the SDK")
	c := claims(t, aws.ToString(out.AuthenticationResult.AccessToken))
	assert.Equal(t, c["iat"].(float64)+3600, c["exp"], "the JWT still says when it expires")

	r, err := refresh(s, aws.ToString(out.AuthenticationResult.RefreshToken), "xena")
	require.NoError(t, err)
	assert.Zero(t, r.AuthenticationResult.ExpiresIn)
}

func TestWellKnownRoutes(t *testing.T) {
	s := newTestServer(t)
	for _, path := range []string{"/.well-known/jwks.json", "/us-east-1_other/.well-known/jwks.json", "/" + s.UserPoolID + "/.well-known/nothing"} {
		resp, err := http.Get(s.URL + path)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusNotFound, resp.StatusCode, path)
	}
}
