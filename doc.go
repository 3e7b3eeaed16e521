// Package cognito supplies Go programs with Amazon Cognito user pool
// tokens: an [oauth2.TokenSource] that signs a user in, renews the tokens
// with the refresh token before they expire, and caches them, so that
// every request of an [oauth2.NewClient] client carries a valid bearer
// token.
//
//	conf := &cognito.Config{UserPoolID: "us-east-1_AbC123", ClientID: "...", Username: "alice@example.com", Password: pw}
//	client := oauth2.NewClient(ctx, conf.TokenSource(ctx, nil))
//	resp, err := client.Get("https://api.example.com/orders")
//
// It is the Go counterpart of amazon-cognito-identity-js's
// authenticateUser, getSession and refreshSession.
//
// # Sign-in, renewal, reuse
//
// The first Token call signs in with the password: by default with SRP
// (USER_SRP_AUTH answered by PASSWORD_VERIFIER), which never sends the
// password, or with USER_PASSWORD_AUTH when [Config.Flow] is
// [FlowPassword]. Later calls return the cached token until
// [Config.EarlyExpiry] before it expires, then renew it with
// REFRESH_TOKEN_AUTH, keeping the refresh token when Cognito sends no new
// one. When Cognito refuses the refresh token for good (it expired or was
// revoked) the source signs in again if it has the password, once, and
// otherwise returns an error wrapping [ErrSignInRequired]. Throttling,
// server and network errors are returned as they are and the next call
// tries again with the same refresh token.
//
// Expiry counts from the local time the request was sent, using the
// result's ExpiresIn, or the token's own exp claim shifted by the
// difference between the local clock and the token's iat, so a machine
// whose clock is off still renews on time.
//
// A sign-in that meets a challenge this package does not answer
// (NEW_PASSWORD_REQUIRED, SMS_MFA, SOFTWARE_TOKEN_MFA, ...) fails at once
// with a [*ChallengeError] naming it.
//
// # Concurrency
//
// A token source from [Config.TokenSource] is safe for concurrent use.
// Goroutines that find the token expired at the same moment wait for a
// single renewal and all receive its token. When that renewal fails, each
// waiting goroutine in turn makes its own attempt, so that a passing fault
// costs no one more than the error of one try.
//
// # Contexts
//
// The context passed to [Config.TokenSource] bounds every network call
// the source makes for its whole life; each sign-in (both of its calls)
// or renewal is also limited to one minute. See [Config.TokenSource] for what a cancelled context does.
//
// # Client secrets and aliases
//
// With [Config.ClientSecret] set, every request carries SECRET_HASH,
// computed over the name Cognito expects at each step: the name typed at
// sign-in, the pool's own user name (USER_ID_FOR_SRP) when answering the
// challenge, and the token's username claim when renewing. Users who sign
// in with an email alias therefore work with secrets too.
//
// # Security
//
// Errors never contain a password, client secret or token. The source
// does not verify token signatures: it only reads their expiry and user
// name; the API receiving a token must verify it.
package cognito
