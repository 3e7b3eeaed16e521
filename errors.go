package cognito

import (
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

// ErrSignInRequired is returned, wrapped, when the token source has no
// usable refresh token (none was given, or Cognito refused it for good)
// and no password to sign in with. Errors wrapping it may also wrap the
// SDK's error, such as *types.NotAuthorizedException.
var ErrSignInRequired = errors.New("cognito: a new sign-in is needed")

// ChallengeError is returned when Cognito answers a sign-in with a
// challenge this package does not answer, such as NEW_PASSWORD_REQUIRED,
// SMS_MFA or SOFTWARE_TOKEN_MFA. The sign-in stops there; nothing waits.
type ChallengeError struct {
	// Challenge is the challenge's name, as Cognito sent it.
	Challenge types.ChallengeNameType
}

// Error names the challenge.
func (e *ChallengeError) Error() string {
	return fmt.Sprintf("cognito: sign-in needs an answer to the %s challenge, which this package does not give", e.Challenge)
}

// challengeOrMissing explains a response that carries no tokens.
func challengeOrMissing(name types.ChallengeNameType, what string) error {
	if name != "" {
		return &ChallengeError{Challenge: name}
	}
	return fmt.Errorf("cognito: %s: the response has neither tokens nor a challenge", what)
}
