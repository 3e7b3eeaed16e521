package cognito

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	redaction "github.com/seed-e8acf5fd/cognito/internal/redact"
)

// ErrSignInRequired is returned, wrapped, when the token source has no
// usable refresh token (none was given, or Cognito refused it for good)
// and no password to sign in with. Errors wrapping it may also wrap the
// SDK's error, such as *types.NotAuthorizedException.
var ErrSignInRequired = errors.New("cognito: a new sign-in is needed")

// ChallengeError is returned when a sign-in meets a challenge that no one
// answers: Config.Challenge is nil, or the handler (such as [TOTP])
// returned a ChallengeError for it, or Cognito set a challenge while
// renewing. The sign-in stops there; nothing waits.
type ChallengeError struct {
	// Challenge is the challenge's name, as Cognito sent it.
	Challenge types.ChallengeNameType
}

// Error names the challenge.
func (e *ChallengeError) Error() string {
	return fmt.Sprintf("cognito: the sign-in needs an answer to the %s challenge, which no handler gives (see Config.Challenge)", e.Challenge)
}

// challengeOrMissing explains a response that carries no tokens.
func challengeOrMissing(name types.ChallengeNameType, what string) error {
	if name != "" {
		return &ChallengeError{Challenge: name}
	}
	return fmt.Errorf("cognito: %s: the response has neither tokens nor a challenge", what)
}

// issuerError says that the tokens come from another user pool.
type issuerError struct{ iss, pool string }

func (e *issuerError) Error() string {
	return fmt.Sprintf("cognito: the tokens were issued by %q, not by user pool %q: check Config.UserPoolID", e.iss, e.pool)
}

// refreshTokenDead reports whether err says the refresh token will never
// work again (invalid, expired, revoked or reused), or cannot be used at
// all because the token names no user for SECRET_HASH.
func refreshTokenDead(err error) bool {
	var notAuth *types.NotAuthorizedException
	var reuse *types.RefreshTokenReuseException
	return errors.Is(err, errNoUsername) || errors.As(err, &notAuth) || errors.As(err, &reuse)
}

// refused reports whether trying again soon cannot help and may harm: Cognito
// refused the credentials (trying again counts towards locking the user
// out), asked for a challenge (trying again may send another SMS or
// email), or handed out tokens this package refuses. Such failures are
// retried only after the long back-off.
func refused(err error) bool {
	var (
		notAuth      *types.NotAuthorizedException
		notFound     *types.UserNotFoundException
		reset        *types.PasswordResetRequiredException
		notConfirmed *types.UserNotConfirmedException
		challenge    *ChallengeError
		handler      *handlerError
		issuer       *issuerError
		mismatch     *types.CodeMismatchException
		expired      *types.ExpiredCodeException
		badPassword  *types.InvalidPasswordException
		badTOTP      *types.EnableSoftwareTokenMFAException
	)
	return errors.As(err, &notAuth) || errors.As(err, &notFound) || errors.As(err, &reset) ||
		errors.As(err, &notConfirmed) || errors.As(err, &challenge) || errors.As(err, &handler) || errors.As(err, &issuer) ||
		errors.As(err, &mismatch) || errors.As(err, &expired) || errors.As(err, &badPassword) ||
		errors.As(err, &badTOTP) || errors.Is(err, ErrSignInRequired)
}

// redactedError is an error whose message had secrets taken out; it
// unwraps to the original error.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// redact returns err with every secret taken out of its message (see
// package redact): the SDK puts the server's message in its errors, and a
// hostile or broken endpoint may echo the request there.
func redact(err error, secrets ...string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if clean := redaction.Secrets(msg, secrets...); clean != msg {
		return &redactedError{msg: clean, err: err}
	}
	return err
}

// redact takes the source's secrets out of err's message: the password
// (and the one a new password replaced), the client secret, authenticator
// secrets, and every value sent in this attempt but those that remember
// skips (refresh tokens, SECRET_HASH, the password claim, codes).
func (s *source) redact(err error) error {
	secrets := append([]string{s.conf.Password, s.conf.ClientSecret, s.formerPassword}, s.formerSecrets...)
	return redact(err, append(secrets, s.sent...)...)
}

// remember notes the secret values of params for redact: all but the
// user name, SRP_A, a challenge name, user attributes, and keys named in
// public.
func (s *source) remember(params map[string]string, public ...string) {
	for k, v := range params {
		switch {
		case k == "USERNAME", k == "SRP_A", k == "CHALLENGE_NAME", k == "DEVICE_KEY", strings.HasPrefix(k, "userAttributes."), slices.Contains(public, k):
		default:
			s.sent = append(s.sent, v)
		}
	}
}
