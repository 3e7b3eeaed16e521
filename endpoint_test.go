package cognito

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"golang.org/x/oauth2"
)

func TestEndpoint(t *testing.T) {
	t.Parallel()
	for _, domain := range []string{
		"https://example.auth.eu-west-1.amazoncognito.com",
		"https://example.auth.eu-west-1.amazoncognito.com/",
		"example.auth.eu-west-1.amazoncognito.com",
	} {
		e := Endpoint(domain)
		assert.Equal(t, "https://example.auth.eu-west-1.amazoncognito.com/oauth2/authorize", e.AuthURL, domain)
		assert.Equal(t, "https://example.auth.eu-west-1.amazoncognito.com/oauth2/token", e.TokenURL, domain)
		assert.Equal(t, oauth2.AuthStyleInHeader, e.AuthStyle)
		assert.Empty(t, e.DeviceAuthURL)
	}
	assert.Equal(t, "http://127.0.0.1:8080/oauth2/token", Endpoint("http://127.0.0.1:8080").TokenURL)
}
