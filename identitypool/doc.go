// Package identitypool turns a Cognito user pool sign-in into temporary AWS
// credentials, through a Cognito identity pool, as Amplify's
// fetchAuthSession does: a program signed in with a
// [github.com/seed-e8acf5fd/cognito] token source calls S3, IoT or API
// Gateway with IAM authorization as that user.
//
//	conf := &identitypool.Config{
//		IdentityPoolID: "eu-west-1:0a1b2c3d-...",
//		UserPoolID:     "eu-west-1_AbC123",
//		Tokens:         userConf.TokenSource(ctx, nil),
//	}
//	cfg := aws.Config{Region: "eu-west-1", Credentials: conf.CredentialsProvider()}
//	client := s3.NewFromConfig(cfg)
//
// # The flow
//
// The identity pool must list the user pool and its app client as an
// authentication provider. The provider uses the enhanced (simplified)
// flow: GetId once, with the user's ID token as the login for
// "cognito-idp.<region>.amazonaws.com/<UserPoolID>" (see [ProviderKey]),
// which gives the user's identity ID, kept for the provider's life (or
// given in Config.IdentityID); then GetCredentialsForIdentity with the
// same login, which gives an access key ID, a secret key and a session
// token for the identity pool's role of authenticated users, with their
// expiry. Neither call needs AWS credentials.
//
// # Caching and renewal
//
// [Config.CredentialsProvider] returns an [aws.CredentialsCache] around
// these calls, so a service client built from the aws.Config does not wrap
// it again. Credentials are handed out until [DefaultEarlyExpiry] (or
// Config.EarlyExpiry) before they expire, then renewed by the first
// Retrieve that finds them stale; concurrent Retrieve calls share that
// one renewal. When it fails for a passing reason (throttling, a server
// error, no network) while the current credentials are still valid, they
// are handed out again until a back-off (one second, doubling up to 30
// seconds) has passed; a refusal, or any failure once they have expired,
// is returned to every caller, and the next Retrieve tries again.
//
// Each renewal asks the token source for a token and sends its ID token,
// so the token source renews the user's tokens as it does for any other
// use. When the identity pool refuses the ID token as expired
// (NotAuthorizedException "Invalid login token. Token expired"), the
// token source is asked once more and the call made once more with the
// new ID token; a cognito token source renews its tokens before the
// earlier of the access and ID tokens' expiries, so it gives a new one
// unless the clocks disagree by more than its early-expiry window. A
// token source that hands back the same ID token makes the retrieval fail
// with the identity pool's error.
//
// # The context
//
// The aws.CredentialsCache calls the provider with a context that is never
// cancelled, so that a renewal shared by several callers is not lost when
// the first caller gives up; each caller still stops waiting when its own
// context ends. Each retrieval is bounded by [AttemptTimeout]. The token
// source takes no context: it uses the one it was made with.
//
// # Errors
//
// Errors start with "cognito/identitypool:" and wrap the SDK's, so that
// errors.As finds *types.NotAuthorizedException,
// *types.ResourceNotFoundException and the others of
// github.com/aws/aws-sdk-go-v2/service/cognitoidentity/types, and
// errors.Is finds cognito.ErrSignInRequired from the token source. No
// message contains a token or a key: an ID token echoed by the server is
// replaced by "[redacted]".
package identitypool
