// Package cognitotest provides an in-process Amazon Cognito user pool for
// tests and demos, in the manner of net/http/httptest: a [Server] that
// speaks Cognito's real wire protocol on a loopback address, so that
// unmodified clients (the AWS SDK for Go v2, amazon-cognito-identity-js,
// this module's token source) sign in to it as they would to AWS. It needs
// no AWS account and no network beyond 127.0.0.1. It is not a production
// identity provider: it keeps everything in memory and serves plain HTTP.
//
//	s := cognitotest.NewServer()
//	defer s.Close()
//	s.AddUser("alice", "correct horse battery staple")
//	s.AddAlias("alice", "alice@example.com")
//
//	// With the SDK client it hands out (no credentials, retries off):
//	out, err := s.Client().InitiateAuth(ctx, &cognitoidentityprovider.InitiateAuthInput{
//		AuthFlow:       types.AuthFlowTypeUserPasswordAuth,
//		ClientId:       aws.String(s.ClientID),
//		AuthParameters: map[string]string{"USERNAME": "alice@example.com", "PASSWORD": "correct horse battery staple"},
//	})
//
//	// With the cognito package's token source:
//	conf := &cognito.Config{
//		UserPoolID: s.UserPoolID,
//		ClientID:   s.ClientID,
//		Username:   "alice@example.com",
//		Password:   "correct horse battery staple",
//		API:        s.Client(),
//	}
//	tok, err := conf.TokenSource(ctx, nil).Token()
//
// # What it implements
//
// The user-pool API is AWS JSON 1.1 (POST /, X-Amz-Target
// AWSCognitoIdentityProviderService.<Operation>), with Cognito's error
// types in both the __type field and the x-amzn-ErrorType header. The
// operations are:
//
//   - InitiateAuth with USER_SRP_AUTH (a genuine SRP-6a server: salts and
//     verifiers per user, PASSWORD_VERIFIER sessions that are single use and
//     expire after three minutes, at most 10 000 of them pending (a new one
//     then evicts the oldest), TIMESTAMP checked for its exact format and a
//     five-minute window), USER_PASSWORD_AUTH, CUSTOM_AUTH (see
//     [WithCustomAuth]) and REFRESH_TOKEN_AUTH (or REFRESH_TOKEN). A
//     refresh returns no new refresh token, as Cognito.
//   - RespondToAuthChallenge for PASSWORD_VERIFIER, NEW_PASSWORD_REQUIRED,
//     SMS_MFA, SOFTWARE_TOKEN_MFA, EMAIL_OTP, SELECT_MFA_TYPE, MFA_SETUP,
//     CUSTOM_CHALLENGE, DEVICE_SRP_AUTH and DEVICE_PASSWORD_VERIFIER.
//   - AssociateSoftwareToken and VerifySoftwareToken, with the Session of
//     MFA_SETUP or a signed-in user's access token.
//   - GetTokensFromRefreshToken, the renewal Amplify JS v6 uses (with the
//     client secret itself, when there is one, and the device's key as
//     DeviceKey). Without rotation no new refresh token comes back; with
//     [WithRefreshTokenRotation] one does.
//   - RevokeToken for refresh tokens: the sign-in ends, its access tokens
//     with it. GlobalSignOut with an access token ends every sign-in of
//     its user.
//   - With [WithDeviceTracking]: ConfirmDevice, UpdateDeviceStatus,
//     ForgetDevice and ListDevices (see Remembered devices below).
//
// Operations that take an access token (AssociateSoftwareToken,
// VerifySoftwareToken, the device operations, GlobalSignOut) check it as
// Cognito does: this pool's signature, issuer and app client, token_use
// "access", not expired ("Access Token has expired"), not revoked by
// RevokeToken or GlobalSignOut ("Access Token has been revoked"), and with
// the scope aws.cognito.signin.user.admin, which tokens of managed login
// have only when it was asked for ("Access Token does not have required
// scopes").
//
// Failed sign-ins, unknown users included, answer NotAuthorizedException
// "Incorrect username or password.", as a pool that prevents user-existence
// errors does; an unknown name gets a simulated SRP challenge, and costs
// the same password check as a wrong password, so that neither the answer
// nor its timing tells which users exist. With [WithClientSecret] every call needs the right
// SECRET_HASH (over the name typed at sign-in, the Cognito username when
// answering the challenge or refreshing). As in pools created today,
// usernames and aliases are not case sensitive: any letter case signs in,
// while USER_ID_FOR_SRP and the tokens keep the name as it was added.
//
// # Challenges
//
// Once the password is verified (PASSWORD_VERIFIER or USER_PASSWORD_AUTH),
// a sign-in meets, in Cognito's order: NEW_PASSWORD_REQUIRED
// ([Server.RequireNewPassword]); then MFA: the user's factor's challenge
// (SMS_MFA with a code "sent" to the phone of [Server.SetSMSMFA], EMAIL_OTP
// to the address of [Server.SetEmailMFA], SOFTWARE_TOKEN_MFA for the
// authenticator of [Server.SetTOTP]), or SELECT_MFA_TYPE when the user has
// several and no preference ([Server.SetPreferredMFA]), or MFA_SETUP when
// MFA is required ([WithMFARequired]) and the user has none; then tokens.
// Every challenge carries USER_ID_FOR_SRP (the username) and a new opaque
// Session, and each answer carries USERNAME (the username or an alias) and,
// with a client secret, a SECRET_HASH over it.
//
// The checks are Cognito's: a Session is answered once, right or wrong,
// within three minutes ([WithSessionLifetime]), at most 10 000 pending;
// a stale or unknown one is NotAuthorizedException "Invalid session for
// the user, session is expired.". A wrong code, or an answer to another
// challenge than the Session's, is CodeMismatchException "Invalid code or
// auth state for the user."; an SMS or email code is six random digits
// ([Server.LastCode] reads it) that expire after three minutes
// (ExpiredCodeException); a TOTP code (RFC 6238: SHA-1, 30 s, 6 digits) is
// accepted for the current step and the one before or after, and never
// twice. A new password needs eight characters (InvalidPasswordException)
// and the required attributes (InvalidParameterException naming them).
//
// Access and ID tokens are RS256 JWTs with Cognito's claims. The JWKS is
// served at Issuer + "/.well-known/jwks.json" and the OpenID discovery
// document at Issuer + "/.well-known/openid-configuration", so verifiers
// such as go-oidc can check them against [Server.Issuer]. For speed, one
// RSA key is generated per process and shared by all servers, each with
// its own key ID.
//
// # Remembered devices
//
// With [WithDeviceTracking] every sign-in that names no device (of any
// flow) ends with NewDeviceMetadata: a new device, DeviceKey
// "<region>_<uuid>" and DeviceGroupKey "-<random>". The client confirms it
// with ConfirmDevice {AccessToken, DeviceKey, DeviceName,
// DeviceSecretVerifierConfig {PasswordVerifier, Salt}}: the device must
// have been handed to a sign-in of the access token's user
// (InvalidParameterException "Invalid device key given." otherwise), and
// the verifier and salt must be base64 of their padHex bytes, so that they
// read as positive numbers (InvalidParameterException otherwise). ConfirmDevice remembers
// the device, or, with DeviceOnlyRememberedOnUserPrompt, answers
// UserConfirmationNecessary true and leaves that to UpdateDeviceStatus
// "remembered". Devices never confirmed are dropped, oldest first, beyond
// 10 000. [Server.Devices] lists a user's confirmed devices.
//
// A sign-in by USER_SRP_AUTH (DEVICE_KEY in InitiateAuth's parameters or
// in the PASSWORD_VERIFIER answer) or USER_PASSWORD_AUTH (in InitiateAuth)
// names a device. Once the password is verified, a key that is not one of
// the user's confirmed devices fails with ResourceNotFoundException
// "Device does not exist." (in USER_SRP_AUTH at the PASSWORD_VERIFIER
// answer, which can then be sent again without the key, as the reference
// clients do). Otherwise the sign-in proves the device: DEVICE_SRP_AUTH
// (parameters USERNAME and USER_ID_FOR_SRP), answered with USERNAME,
// DEVICE_KEY and SRP_A; then DEVICE_PASSWORD_VERIFIER (SALT in hex,
// SRP_B, SECRET_BLOCK, USERNAME, DEVICE_KEY), answered as
// PASSWORD_VERIFIER is but with the device's group key for the pool name
// and its key for the user, checked with a real SRP exchange against the
// verifier ConfirmDevice stored; a wrong proof is NotAuthorizedException
// "Incorrect username or password.". With
// ChallengeRequiredOnNewDevice, a remembered device proves itself in place
// of MFA; every other sign-in meets MFA first, as in Cognito, where that
// setting is what lets remembered devices suppress MFA. A sign-in from a
// device gets no new device. CUSTOM_AUTH ignores DEVICE_KEY. Without
// device tracking, DEVICE_KEY is ignored.
//
// Refresh tokens are bound to the device of their sign-in: until the
// device is confirmed they cannot be used at all, afterwards only with its
// key (REFRESH_TOKEN_AUTH's DEVICE_KEY, GetTokensFromRefreshToken's
// DeviceKey), and not after ForgetDevice; each of these fails with
// NotAuthorizedException "Invalid Refresh Token", as Cognito's does.
//
// # Refresh-token rotation
//
// With [WithRefreshTokenRotation], GetTokensFromRefreshToken returns a new
// refresh token for the same sign-in; the one given works on for the
// grace period and then fails with RefreshTokenReuseException, and
// REFRESH_TOKEN_AUTH is refused with InvalidParameterException "<flow>
// flow not enabled for this client", as on an app client with rotation.
// Refresh tokens do not expire in cognitotest, rotated or not.
//
// # Managed login and the OAuth 2.0 endpoints
//
// The server is also the pool's domain, [Server.Domain] (the same base URL
// as [Server.URL]), with the endpoints Cognito serves there, so that
// golang.org/x/oauth2 works against it unchanged through
// cognito.Endpoint(s.Domain), and go-oidc through [Server.Issuer], whose
// discovery document lists them. The app client's callback and sign-out
// URLs are registered with [WithCallbackURL] and [WithSignOutURL], resource
// servers with [WithResourceServer]. They follow Cognito's documentation of
// each endpoint (docs.aws.amazon.com/cognito/latest/developerguide:
// authorization-endpoint, login-endpoint, token-endpoint,
// userinfo-endpoint, revocation-endpoint, logout-endpoint,
// using-pkce-in-authorization-code).
//
// GET /oauth2/authorize takes response_type=code, client_id, redirect_uri,
// state, scope, nonce, and code_challenge with code_challenge_method=S256
// (PKCE is optional; plain is refused, as Cognito supports S256 only). A
// foreign client_id, or a redirect_uri that is not exactly a registered
// callback URL, gets an error page (HTTP 400), never a redirect. Other
// faults go to the redirect_uri as error=invalid_request (missing
// response_type, a bad PKCE pair, a repeated parameter, an identity
// provider other than COGNITO), unsupported_response_type (the implicit
// grant is not implemented), or invalid_scope (a scope the client is not
// allowed, or email, phone or profile without openid), with the state. The
// client is allowed openid, email, phone, profile,
// aws.cognito.signin.user.admin and every resource-server scope; a request
// without scope gets them all, as Cognito gives "all scopes associated
// with the client". A valid request goes on to GET /login with the same
// parameters, the login page.
//
// The login page is plain HTML that works without script in any browser;
// its ids and names are stable, for browser tests. Every page is one
// <form id="form" method="post" action="/login"> with the hidden fields
// flow (the sign-in) and _csrf (the browser's CSRF token, also in the
// XSRF-TOKEN cookie; both must match) and a <button id="submit"
// type="submit">; <body data-step="..."> names the step, <h1 id="title">
// its title, and <p id="error"> the error, when there is one. The steps:
//
//   - "password": input#username (name="username", a username or alias in
//     any letter case) and input#password (name="password"). A wrong
//     password, or an unknown user, shows the form again with "Incorrect
//     username or password.".
//   - "NEW_PASSWORD_REQUIRED" ([Server.RequireNewPassword]):
//     input#new_password (name="new_password") and, for each required
//     attribute a, input#attr-a (name="userAttributes.a").
//   - "SMS_MFA" and "EMAIL_OTP" (the masked destination in p#destination),
//     "SOFTWARE_TOKEN_MFA": input#code (name="code").
//   - "SELECT_MFA_TYPE": radio buttons input#mfa_type-F (name="mfa_type",
//     value F, the factor: SMS_MFA, SOFTWARE_TOKEN_MFA or EMAIL_OTP), the
//     first checked.
//   - "MFA_SETUP" ([WithMFARequired]): the new authenticator secret in
//     code#secret (and as an otpauth:// URI in code#otpauth) and
//     input#code; a right code makes it the user's authenticator.
//   - "error": no form, the message in p#error.
//
// The challenges are those of the API, in the same order and with the same
// checks and messages, except that a wrong code, a password the policy
// refuses or a missing attribute shows the same form again, up to five
// tries within the challenge's session lifetime, after which, or on an
// expired session, the sign-in starts over at the password form with the
// error. A sign-in stopped by [Server.RequireChallenge] starts over with
// an error too. Managed login neither names nor creates remembered
// devices, and has no CUSTOM_AUTH, as in Cognito. The last form's answer
// is a 302 to the redirect_uri with code and state. The code is a UUID,
// redeemable once within five minutes ("a one time use code that is valid
// for five minutes"); any attempt to redeem it uses it up. Signing in also
// gives the browser a managed-login session, the cookie "cognito", for an
// hour: a later /oauth2/authorize in that browser for the app client gets
// its code at once, without the form and without MFA, with the first
// sign-in's auth_time. GET /logout?client_id=...&logout_uri=... ends that
// session and redirects to logout_uri, which must be a registered sign-out
// URL (an error page otherwise); given the parameters of /oauth2/authorize
// instead of logout_uri, it ends the session and shows the login form.
//
// POST /oauth2/token takes a form body, with the client authenticated by
// client_secret_basic (HTTP Basic, ID and secret form-encoded, as
// golang.org/x/oauth2 sends them) or client_secret_post (client_id and
// client_secret in the form); a public client sends its client_id alone,
// in the form or as the Basic user name with an empty password. The
// grants:
//
//   - authorization_code: code and redirect_uri, the authorize request's,
//     and code_verifier when it had a code_challenge. It returns
//     access_token, id_token (with the openid scope only; its nonce is the
//     request's, at_hash that of the access token), refresh_token,
//     token_type "Bearer" and expires_in. The access token's scope claim
//     lists the granted scopes; it has version 2, client_id, username,
//     auth_time and origin_jti, like Cognito's.
//   - refresh_token: new access and ID tokens with the sign-in's scopes
//     and auth_time, and no new refresh token unless
//     [WithRefreshTokenRotation] is on. Refresh tokens of API sign-ins work
//     too, except those bound to a device (the token endpoint has no
//     DEVICE_KEY, so Cognito's documentation sends them to the API).
//   - client_credentials, for an app client with a secret on a pool with a
//     resource server: an access token (no ID or refresh token) whose sub
//     and client_id are the app client and whose scope claim has the
//     scopes asked for, or all the resource servers' scopes when none is.
//
// Errors are JSON {"error": "..."} with HTTP 400, the status of every
// error in Cognito's documentation of this endpoint, and no
// error_description: invalid_request (a missing or repeated parameter, a
// body that is not a form), invalid_client (unknown client, wrong or
// missing secret, a secret sent by a public client, and the client
// credentials grant of a public client, which cannot authenticate),
// invalid_grant (a code unknown, used or expired; a wrong or missing
// code_verifier; a refresh token revoked, reused after rotation, bound to
// a device), unauthorized_client (a redirect_uri other than the
// authorization request's, which Cognito answers so, and the client
// credentials grant on a pool without resource servers), invalid_scope
// and unsupported_grant_type. golang.org/x/oauth2 returns them as
// *oauth2.RetrieveError.
//
// GET or POST /oauth2/userInfo, with "Authorization: Bearer" and an
// access token of the token endpoint that has the openid scope, returns
// the user's attributes as strings ("email_verified": "true", as
// Cognito), with sub and username: all of them, or, when the token has
// profile, email or phone, those of these scopes. A token that fails any
// check (expired, revoked, of the API, without openid) is 401 with
// WWW-Authenticate: Bearer error="invalid_token"; no token is 400
// invalid_request. POST /oauth2/revoke (token, client authentication as
// above) revokes a refresh token and the access tokens issued with it,
// like RevokeToken: 200 with an empty body, also for a token the pool does
// not know; 400 unsupported_token_type for an access or ID token, 400
// invalid_request without token, 401 invalid_client.
//
// What Cognito documents and cognitotest does not do: the implicit grant
// (response_type=token); federation (identity_provider, idp_identifier,
// /oauth2/idpresponse, /saml2); sign-up, forgotten passwords and the
// other pages of managed login; prompt, login_hint, lang and the other
// newer authorize parameters; passkeys and choice-based sign-in;
// remembered devices in managed login; several app clients (so allowed
// OAuth flows and scopes per client, read and write permissions on
// attributes, and per-client token lifetimes); the pre token generation
// trigger's scopes and claims; cognito:groups; error descriptions; and
// HTTPS.
//
// # Identity pool
//
// The same URL serves an identity pool, [Server.IdentityPoolID], whose one
// authentication provider is this user pool and app client: the Cognito
// identity API (X-Amz-Target AWSCognitoIdentityService.<Operation>, the
// client from [Server.IdentityClient]) with GetId and
// GetCredentialsForIdentity, the two calls of the enhanced flow that
// github.com/seed-e8acf5fd/cognito/identitypool makes. Both take Logins
// with exactly one entry, under [Server.LoginsKey]
// ("cognito-idp.us-east-1.amazonaws.com/<UserPoolID>"): an ID token of
// this pool and app client (its signature, iss, aud, token_use and exp are
// checked). Otherwise they answer NotAuthorizedException, "Invalid login
// token. Token expired: <now> >= <exp>" for an expired token and "Invalid
// login token. Issuer doesn't match providerName" for a foreign key or
// issuer, as Cognito does; an unknown identity pool or identity is
// ResourceNotFoundException. GetId gives each user (by sub) one identity,
// "us-east-1:<UUID>", the same at every call ([Server.IdentityOf] reads
// it). GetCredentialsForIdentity checks that the login is the identity's
// user and hands out new credentials shaped like STS's: an "ASIA" access
// key ID, a 40-character secret key, a session token and an Expiration
// one hour ahead ([WithCredentialsLifetime] changes it). The credentials
// are random: nothing accepts them, as no AWS service is served.
//
// # Test knobs
//
// [Server.Calls] counts requests per operation, of both APIs. [Server.FailNext] injects
// errors, [Server.Delay] slows an operation down (a waiting call ends when
// its client gives up), [Server.RequireChallenge] stops a user's sign-ins
// at a challenge that cannot be answered (unlike those above, which can),
// and [Server.RevokeRefreshTokens] revokes a user's refresh tokens.
// [WithClock], [WithTokenLifetime], [WithSessionLifetime] and
// [WithoutExpiresIn] shape expiry, [WithCredentialsLifetime] that of AWS
// credentials; [WithClock] also decides when a rotated refresh token's
// grace period ends, the dates of devices, and when authorization codes,
// login pages and managed-login sessions expire.
// [WithDeviceTracking] and [WithRefreshTokenRotation] set the pool's
// device tracking and the app client's rotation; [WithCallbackURL],
// [WithSignOutURL] and [WithResourceServer] its managed login and
// resource servers. [Server.Calls] counts the requests to the domain's
// endpoints by path ("/oauth2/token"). [Server.Devices]
// reads the devices that sign-ins confirmed. For challenges: [Server.SetTOTP],
// [Server.SetSMSMFA], [Server.SetEmailMFA], [Server.SetPreferredMFA],
// [Server.RequireNewPassword], [WithMFARequired] and [WithCustomAuth] set
// them up; [Server.LastCode], [Server.TOTPSecret] and
// [Server.UserAttribute] read what a test needs to answer them and to
// check the outcome. The client from [Server.Client] does not retry, so an injected
// fault reaches the caller exactly as injected.
//
// All methods are safe for concurrent use. Methods panic, with a message
// starting "cognitotest:", when misused: an unknown or duplicate user, an
// alias already taken, an unknown operation name, a negative count, a
// secret that is not base32, a callback URL or resource server that
// Cognito would refuse.
package cognitotest
