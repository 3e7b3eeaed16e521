package cognito

import (
	"strings"

	"golang.org/x/oauth2"
)

// Endpoint is the OAuth 2.0 endpoint of a user pool domain: the managed
// login domain, such as "https://example.auth.eu-west-1.amazoncognito.com",
// or a custom domain ("https://" is assumed when domain has no scheme).
// Use it with golang.org/x/oauth2 itself:
//
//   - oauth2.Config for managed login, the authorization code grant with
//     PKCE (AuthCodeURL with oauth2.S256ChallengeOption, Exchange with
//     oauth2.VerifierOption). The RedirectURL must be one of the app
//     client's callback URLs exactly: Cognito has no "any port on
//     loopback" rule, so a program listening on localhost registers its
//     port.
//   - clientcredentials.Config{TokenURL: Endpoint(d).TokenURL, Scopes:
//     ...} for machine-to-machine tokens, for an app client with a secret
//     and resource-server scopes ("<resource server>/<scope>").
//
// AuthStyle is oauth2.AuthStyleInHeader: confidential clients send their
// secret with HTTP Basic authentication (client_secret_basic), which
// Cognito accepts on every grant. A public client (no secret) should
// send its client_id in the form body, as Cognito documents for it: set
// AuthStyle to oauth2.AuthStyleInParams in its oauth2.Config's Endpoint
// (x/oauth2 would otherwise send Basic authentication with an empty
// password). Cognito has no device authorization endpoint, so
// DeviceAuthURL is empty.
//
// Which grant to use: a program acting for a person who can use a
// browser (and federated or passkey users, which SRP cannot sign in)
// uses managed login; a service acting for itself uses client
// credentials; a program that holds a user's password, or a service
// account with TOTP MFA, uses [Config.TokenSource].
func Endpoint(domain string) oauth2.Endpoint {
	base := strings.TrimRight(domain, "/")
	if !strings.Contains(base, "://") {
		base = "https://" + base
	}
	return oauth2.Endpoint{
		AuthURL:   base + "/oauth2/authorize",
		TokenURL:  base + "/oauth2/token",
		AuthStyle: oauth2.AuthStyleInHeader,
	}
}
