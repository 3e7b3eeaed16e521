package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/aws/smithy-go"
)

// usageError is a mistake in the command line: exit status 2 and a hint.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// errHelpShown means a command printed its help as asked: exit status 0.
var errHelpShown = errors.New("help shown")

// needLoginError means there is no usable session: the user must run
// login.
type needLoginError struct {
	why     string
	missing bool // no session is cached at all
	browser bool // the session came from login --browser
}

func (e *needLoginError) Error() string {
	if e.browser {
		return e.why + "; run 'cognito-token login --browser' to sign in again"
	}
	return e.why + "; run 'cognito-token login' to sign in"
}

// secretRefused reports whether err is Cognito refusing the app client's
// secret: the client has one and none was given, or the wrong one. Cognito
// says so with NotAuthorizedException ("Unable to verify secret hash for
// client ...", "Client ... is configured with secret but SECRET_HASH was
// not received") on sign-in and renewal, and with UnauthorizedException or
// InvalidParameterException naming the client secret on RevokeToken.
func secretRefused(err error) bool {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return false
	}
	switch ae.ErrorCode() {
	case "NotAuthorizedException", "UnauthorizedException", "InvalidParameterException":
		return strings.Contains(strings.ToLower(ae.ErrorMessage()), "secret")
	}
	return false
}

// secretRefusedError is the one message for a refused client secret,
// whichever command met it: logging in again would not help.
func secretRefusedError(err error) error {
	return fmt.Errorf("the app client's secret was refused (%s): give the right one in $%s or with --client-secret-stdin", apiMessage(err), envClientSecret)
}

// apiMessage is the server's own message in err, or all of err when it
// carries none.
func apiMessage(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) && ae.ErrorMessage() != "" {
		return ae.ErrorMessage()
	}
	return err.Error()
}

// srpUnsupported reports whether err is a server saying it does not do
// what was asked, as cognito-local answers an SRP sign-in: HTTP 500 with
// "__type": "CognitoLocal#Unsupported" and "message": "Cognito Local
// unsupported feature: ...", which the SDK reports with the code
// Unsupported.
func srpUnsupported(err error) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && ae.ErrorCode() == "Unsupported"
}
