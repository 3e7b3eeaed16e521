// Package jwt reads the claims of a compact JSON Web Token without
// verifying its signature. The token source and the command-line tool only
// need a token's expiry and user name to schedule renewals; the APIs that
// receive the tokens are the ones that verify them.
//
// Errors never contain the token.
package jwt

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"time"
)

// maxLen bounds the size of a token DecodeUnverified accepts.
const maxLen = 64 << 10

// ErrMalformed is returned for anything that is not a JWT with a JSON
// object as its payload.
var ErrMalformed = errors.New("not a JWT with a JSON payload")

// DecodeUnverified unmarshals the payload of token into v, without
// verifying the token's signature.
func DecodeUnverified(token string, v any) error {
	if len(token) > maxLen {
		return ErrMalformed
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return ErrMalformed
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil || len(payload) == 0 || payload[0] != '{' {
		return ErrMalformed
	}
	if err := json.Unmarshal(payload, v); err != nil {
		return ErrMalformed
	}
	return nil
}

// Claims are the claims of a Cognito token that clients read.
type Claims struct {
	Exp             int64  // expiry, Unix seconds; 0 when absent
	Iat             int64  // issue time, Unix seconds; 0 when absent
	Username        string // the access token's username
	CognitoUsername string // the ID token's cognito:username
	Iss             string // the issuer: the user pool's URL
	// Client is the app client the token was issued to: the access
	// token's client_id, or the ID token's aud.
	Client string
}

// ParseUnverified reads a token's Claims without verifying its signature:
// they say when to renew, never whom to trust. Times must be non-negative
// numbers.
func ParseUnverified(token string) (Claims, error) {
	var raw struct {
		Exp             json.Number `json:"exp"`
		Iat             json.Number `json:"iat"`
		Username        string      `json:"username"`
		CognitoUsername string      `json:"cognito:username"`
		Iss             string      `json:"iss"`
		ClientID        string      `json:"client_id"`
		Aud             any         `json:"aud"` // a string, or an array of them
	}
	if err := DecodeUnverified(token, &raw); err != nil {
		return Claims{}, err
	}
	c := Claims{Username: raw.Username, CognitoUsername: raw.CognitoUsername, Iss: raw.Iss, Client: raw.ClientID}
	if aud, ok := raw.Aud.(string); ok && c.Client == "" {
		c.Client = aud
	}
	var err error
	if c.Exp, err = seconds(raw.Exp); err != nil {
		return Claims{}, err
	}
	if c.Iat, err = seconds(raw.Iat); err != nil {
		return Claims{}, err
	}
	return c, nil
}

// maxLifetime bounds the lifetimes Lifetime reports; Cognito's longest
// token lifetime (a refresh token) is ten years.
const maxLifetime = 10 * 366 * 24 * time.Hour

// Lifetime is exp − iat, and whether both claims are there, in order and
// no more than ten years apart.
func (c Claims) Lifetime() (time.Duration, bool) {
	if c.Exp <= 0 || c.Iat <= 0 || c.Exp < c.Iat || time.Duration(c.Exp-c.Iat) > maxLifetime/time.Second {
		return 0, false
	}
	return time.Duration(c.Exp-c.Iat) * time.Second, true
}

// User is the Cognito username: the username claim, else cognito:username.
func (c Claims) User() string {
	if c.Username != "" {
		return c.Username
	}
	return c.CognitoUsername
}

// seconds reads a NumericDate; fractions are dropped, absurd values refused.
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
