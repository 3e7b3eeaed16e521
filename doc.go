// Package cognito supplies Go programs with Amazon Cognito user pool
// tokens: an [oauth2.TokenSource] that signs a user in, renews the tokens
// with the refresh token before they expire, and caches them, so that
// every request of an [oauth2.NewClient] client carries a valid bearer
// token.
//
//	conf := &cognito.Config{UserPoolID: "us-east-1_AbC123", ClientID: "...", Username: "alice@example.com", Password: pw}
//	client := conf.Client(ctx, nil) // or oauth2.NewClient(ctx, conf.TokenSource(ctx, nil))
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
// [Config.EarlyExpiry] before it expires; from then on, while it is still
// valid, callers keep receiving it while one renewal runs in the
// background (GetTokensFromRefreshToken; see below), keeping the refresh
// token when Cognito sends no new one. When Cognito refuses the refresh token
// for good (it expired or was revoked) the source signs in again if it has
// the password, once, and otherwise returns an error wrapping
// [ErrSignInRequired].
//
// A token's Expiry is the earliest of the result's ExpiresIn (counted from
// the local time the request was sent) and the access and ID tokens' own
// lifetimes (exp − iat, counted from the local time the answer came), so a
// machine whose clock is off still renews on time and [IDToken] never
// hands out an expired ID token with a valid access token. Tokens whose
// iss claim names a pool other than [Config.UserPoolID] are refused.
//
// # Challenges: MFA, new passwords, custom authentication
//
// A sign-in may meet challenges after the password. [Config.Challenge]
// answers them: a [ChallengeHandler] receives each [Challenge] and returns
// an [Answer]; the token source does the wire work (the pool's user name
// as USERNAME, SECRET_HASH over it, the Session from step to step, the
// response key of each challenge) and follows any chain Cognito sets,
// such as NEW_PASSWORD_REQUIRED, then MFA_SETUP, then tokens.
//
//   - SMS_MFA, EMAIL_OTP, SOFTWARE_TOKEN_MFA: [Answer.Code]. [TOTP] answers
//     SOFTWARE_TOKEN_MFA unattended from the authenticator's secret, for
//     service accounts.
//   - SELECT_MFA_TYPE: [Answer.MFA], one of [Challenge.Factors].
//   - MFA_SETUP: the source gets a new authenticator secret from Cognito
//     (AssociateSoftwareToken) and hands it over in [Challenge.SecretCode]
//     ([Challenge.OTPAuthURI] for a QR code); the handler's [Answer.Code]
//     is the authenticator's first code, which the source sends to
//     VerifySoftwareToken before it answers the challenge.
//   - NEW_PASSWORD_REQUIRED: [Answer.NewPassword] and [Answer.Attributes]
//     (at least those of [Challenge.RequiredAttributes]). The token source
//     signs in with the new password from then on; the Config is not
//     changed, so a program that stores the password saves the new one
//     itself, from its handler.
//   - CUSTOM_CHALLENGE, with [FlowCustom] (CUSTOM_AUTH, opened with SRP
//     when there is a Password, as the JavaScript SDK does): the ANSWER in
//     [Answer.Responses] (or [Answer.Code]), for as many rounds as the
//     pool's triggers set.
//
// Renewals never call the handler. A handler error, or Cognito refusing
// an answer (a wrong code: *types.CodeMismatchException), ends the
// sign-in at once with an error wrapping it; the token source then backs
// off as after a wrong password, since Cognito counts wrong codes too.
// Each handler call is bounded by [Config.ChallengeTimeout] (3 minutes,
// Cognito's sign-in session lifetime, by default); a handler that does not
// return by then is abandoned and the sign-in fails with an error wrapping
// context.DeadlineExceeded. Without a handler, a challenge fails the
// sign-in at once with a [*ChallengeError] naming it.
//
// # Sessions that last: stores, devices, rotation, sign-out
//
// [Config.Store] keeps the session between runs: a [TokenSource] given
// no token starts from the stored session (no sign-in, no MFA while its
// refresh token works), and every new token, rotated refresh token and
// new device is saved before Token returns it. A failed Save is logged
// to [Config.Logger] and made again at the next change; it never fails a
// call. [FileStore] keeps the session in a file, with a lock, so that
// several processes sharing it renew once per expiry and none loses a
// rotated refresh token.
//
// Renewals use GetTokensFromRefreshToken, which app clients with
// refresh-token rotation require, and keep the new refresh token it
// returns; a refresh token Cognito reports reused
// (RefreshTokenReuseException) is dead, like a revoked one. Where the
// endpoint lacks the operation (the cognito-local and moto emulators),
// the source falls back to REFRESH_TOKEN_AUTH for the rest of its life.
//
// On pools that remember devices, a sign-in that brings NewDeviceMetadata
// confirms the device (ConfirmDevice, with a verifier computed as
// amazon-cognito-identity-js does), marks it remembered when the pool
// leaves that to the user and [Config.RememberDevice] is set, and binds
// the session to it: every renewal names it, [DeviceOf] reads it from a
// token, and the Store keeps it. With [Config.Device] (or a stored
// device), a sign-in proves the device with DEVICE_SRP_AUTH, which takes
// the place of MFA, so the challenge handler is not called. A device the
// pool has forgotten is dropped, and the sign-in made again once without
// it. [Config.ForgetDevice] forgets one.
//
// [Config.Revoke] signs out: it revokes the refresh token (and the tokens
// issued with it) and forgets the stored session.
//
// # Managed login and machine-to-machine
//
// A pool with a domain is an OAuth 2.0 provider, reached with
// golang.org/x/oauth2 itself and [Endpoint]: managed login (the
// authorization code grant with PKCE) for a person at a browser,
// federated and passkey users included, whom SRP cannot sign in; client
// credentials (golang.org/x/oauth2/clientcredentials) for a service
// acting for itself. [Config.TokenSource] is for programs that hold a
// user's password, service accounts with TOTP MFA among them.
//
// # Supported, and not yet
//
// Supported: SRP, password and custom sign-in; every challenge above;
// client secrets; aliases; renewal ahead of expiry, with or without
// refresh-token rotation; remembered devices; sessions kept in a Store;
// sign-out; managed login and client credentials through [Endpoint]. Not
// yet: the choice-based USER_AUTH flow (passkeys) and identity-pool
// credentials. Setting up SMS or email MFA needs the user's phone number
// or address changed with an access token, which a sign-in does not have
// yet: MFA_SETUP sets up an authenticator app.
//
// # Concurrency and failures
//
// A token source from [Config.TokenSource], and the client from
// [Config.Client], are safe for concurrent use. At most one attempt to get
// tokens (a renewal, a sign-in, or a refused renewal followed by a
// sign-in) runs at a time, and every caller that needs it shares it:
// goroutines that find the token expired together wait for that one
// attempt and all receive its token or its error.
//
// A failed attempt is not repeated at once. While the current token has
// not expired, Token keeps returning it: a failed renewal never fails a
// call that a valid token can serve. Once it has expired, Token returns
// the attempt's error, without a network call, until a back-off has
// passed; the next call after it tries again:
//
//   - after throttling (TooManyRequestsException, LimitExceededException),
//     server (5xx) and network errors: about 1 second, doubling while the
//     failures repeat, up to 30 seconds;
//   - after Cognito refuses the credentials (NotAuthorizedException,
//     UserNotFoundException, PasswordResetRequiredException,
//     UserNotConfirmedException), refuses an answer to a challenge
//     (CodeMismatchException, ExpiredCodeException,
//     InvalidPasswordException), or asks for a challenge no one answers: about 1 minute,
//     doubling up to 15 minutes, so that a wrong password is not sent again
//     and again (Cognito counts failed sign-ins and locks users out). A new
//     token source starts without back-off.
//
// Each wait is jittered by ±20%, and a success ends the back-off.
//
// One attempt lasts at most [AttemptTimeout] (30 seconds), whatever the
// server does, so a caller of Token waits at most that long plus its turn
// at a mutex, and plus the time a challenge handler takes (each network
// call after a handler call gets AttemptTimeout afresh). The default
// Cognito client tries each call at most 3 times (the SDK's retries of
// throttling, 5xx and network errors): a renewal is one call; a
// password sign-in without challenges one (USER_PASSWORD_AUTH) or two
// (SRP), plus one per challenge, and two to confirm a new device. A
// request made through [Config.Client] waits for a token no longer
// than its own context (or the client's Timeout) allows; requests through
// [oauth2.NewClient] carry no context to the token source.
//
// # Contexts
//
// The context passed to [Config.TokenSource] bounds every network call
// the source makes for its whole life, including the background renewals;
// no goroutine of the source outlives one attempt. See
// [Config.TokenSource] for what a cancelled context does.
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
// Errors never contain a password, client secret or token: the values the
// source sent are taken out of error messages even when a server echoes
// them, and a Config prints its Password and ClientSecret as "[redacted]"
// with fmt and log/slog. The default client reads at most 1 MiB of a
// response. The source does not verify token signatures: it only reads
// their expiry, issuer and user name; the API receiving a token must
// verify it.
package cognito
