package jwt

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func token(payload string) string {
	return "eyJhbGciOiJSUzI1NiJ9." + base64.RawURLEncoding.EncodeToString([]byte(payload)) + ".c2ln"
}

func TestParseUnverified(t *testing.T) {
	c, err := ParseUnverified(token(`{"exp":1700003600,"iat":1700000000,"username":"u-1","cognito:username":"u-2","iss":"https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_P"}`))
	require.NoError(t, err)
	assert.Equal(t, Claims{Exp: 1700003600, Iat: 1700000000, Username: "u-1", CognitoUsername: "u-2", Iss: "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_P"}, c)
	life, ok := c.Lifetime()
	assert.True(t, ok)
	assert.Equal(t, time.Hour, life)
	assert.Equal(t, "u-1", c.User())

	c, err = ParseUnverified(token(`{"exp":1.7000036e9,"cognito:username":"u-2"}`))
	require.NoError(t, err)
	assert.Equal(t, int64(1700003600), c.Exp)
	assert.Equal(t, "u-2", c.User())
	_, ok = c.Lifetime()
	assert.False(t, ok, "no iat")

	// Padding some encoders leave is tolerated.
	padded := "e30." + base64.URLEncoding.EncodeToString([]byte(`{"exp":5}`)) + ".x"
	c, err = ParseUnverified(padded)
	require.NoError(t, err)
	assert.Equal(t, int64(5), c.Exp)
}

func TestParseRejects(t *testing.T) {
	for name, tok := range map[string]string{
		"empty":        "",
		"two parts":    "a.b",
		"four parts":   "a.b.c.d",
		"bad base64":   "a.%%%.c",
		"not JSON":     token(`exp=5`),
		"array":        token(`[1,2]`),
		"string exp":   token(`{"exp":"soon"}`),
		"negative iat": token(`{"exp":5,"iat":-1}`),
		"huge exp":     token(`{"exp":1e300}`),
		"too long":     token(`{"x":"` + strings.Repeat("a", maxLen) + `"}`),
	} {
		_, err := ParseUnverified(tok)
		assert.Error(t, err, name)
		if err != nil && len(tok) > 10 {
			assert.NotContains(t, err.Error(), tok, name)
		}
	}
	c, err := ParseUnverified(token(`{"exp":5,"iat":10}`))
	require.NoError(t, err)
	_, ok := c.Lifetime()
	assert.False(t, ok, "exp before iat")
	c, err = ParseUnverified(token(`{"exp":10000000000,"iat":1}`))
	require.NoError(t, err)
	_, ok = c.Lifetime()
	assert.False(t, ok, "centuries: no overflow into the past")
}

func FuzzParse(f *testing.F) {
	f.Add(token(`{"exp":10,"iat":5,"username":"u"}`))
	f.Add("a.b.c")
	f.Add("..")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseUnverified(s)
		if err == nil && (c.Exp < 0 || c.Iat < 0) {
			t.Fatalf("negative time accepted: %+v", c)
		}
		if life, ok := c.Lifetime(); ok && life < 0 {
			t.Fatalf("negative lifetime %v", life)
		}
	})
}
