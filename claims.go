package cognito

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
)

// claims are the few JWT claims the token source reads. It never checks
// a signature: it only schedules renewals and names the user for
// SECRET_HASH, and the API that receives the token verifies it.
type claims struct {
	Exp             int64  `json:"exp"`
	Iat             int64  `json:"iat"`
	Username        string `json:"username"`         // access token
	CognitoUsername string `json:"cognito:username"` // ID token
}

// maxJWTLen bounds the size of a token the parser accepts.
const maxJWTLen = 64 << 10

// errNotJWT is returned for anything that is not a readable JWT; its
// message never includes the token.
var errNotJWT = errors.New("not a JWT with a JSON payload")

// parseClaims reads the payload of a compact JWS without verifying it.
func parseClaims(token string) (claims, error) {
	var c claims
	if len(token) > maxJWTLen {
		return c, errNotJWT
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return c, errNotJWT
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return c, errNotJWT
	}
	var raw struct {
		Exp             json.Number `json:"exp"`
		Iat             json.Number `json:"iat"`
		Username        string      `json:"username"`
		CognitoUsername string      `json:"cognito:username"`
	}
	if err := json.Unmarshal(payload, &raw); err != nil {
		return c, errNotJWT
	}
	c.Username, c.CognitoUsername = raw.Username, raw.CognitoUsername
	if c.Exp, err = seconds(raw.Exp); err != nil {
		return c, err
	}
	if c.Iat, err = seconds(raw.Iat); err != nil {
		return c, err
	}
	return c, nil
}

// seconds reads a NumericDate; fractions are dropped and absurd values
// refused.
func seconds(n json.Number) (int64, error) {
	if n == "" {
		return 0, nil
	}
	f, err := n.Float64()
	if err != nil || f < 0 || f > 1<<40 {
		return 0, errors.New("a JWT time claim is not a valid NumericDate")
	}
	return int64(f), nil
}

// usernameOf returns the Cognito username from the access token's
// username claim, else the ID token's cognito:username, else "".
func usernameOf(access, id string) string {
	if c, err := parseClaims(access); err == nil {
		if c.Username != "" {
			return c.Username
		}
		if c.CognitoUsername != "" { // the bearer may be an ID token
			return c.CognitoUsername
		}
	}
	if c, err := parseClaims(id); err == nil {
		return c.CognitoUsername
	}
	return ""
}
