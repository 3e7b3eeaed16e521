package cognito

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// DefaultChallengeTimeout bounds one call of a [ChallengeHandler] when
// [Config.ChallengeTimeout] is zero. It is the default lifetime of a
// Cognito sign-in session (the app client's AuthSessionValidity): an
// answer given later than that is refused anyway.
const DefaultChallengeTimeout = 3 * time.Minute

// A ChallengeHandler answers the challenges Cognito sets during a sign-in
// beyond the password: MFA codes, the choice of an MFA factor, the set-up
// of an authenticator app, a new password, custom challenges. Set it in
// [Config.Challenge].
//
// AnswerChallenge is called only during sign-ins, never during renewals,
// and never concurrently for one token source. ctx ends after
// [Config.ChallengeTimeout] (or when the token source's context ends);
// a handler should then return. One that does not is abandoned: the
// sign-in fails with an error wrapping context.DeadlineExceeded, its
// answer is ignored when it comes, and the token source carries on.
//
// An error from the handler ends the sign-in; Token returns it wrapped,
// so errors.Is and errors.As reach it.
type ChallengeHandler interface {
	AnswerChallenge(ctx context.Context, c *Challenge) (*Answer, error)
}

// ChallengeFunc is a function that answers challenges: it implements
// [ChallengeHandler].
type ChallengeFunc func(ctx context.Context, c *Challenge) (*Answer, error)

// AnswerChallenge calls f(ctx, c).
func (f ChallengeFunc) AnswerChallenge(ctx context.Context, c *Challenge) (*Answer, error) {
	return f(ctx, c)
}

// Challenge is one challenge of a sign-in, as Cognito set it.
type Challenge struct {
	// Name is the challenge: types.ChallengeNameTypeSmsMfa,
	// SoftwareTokenMfa, EmailOtp, SelectMfaType, MfaSetup,
	// NewPasswordRequired, CustomChallenge, or another Cognito may add.
	Name types.ChallengeNameType

	// Username is the user's name in the pool (USER_ID_FOR_SRP), which
	// may differ from the alias (such as an email address) that
	// Config.Username holds.
	Username string

	// Parameters are the challenge's parameters as Cognito sent them,
	// such as CODE_DELIVERY_DESTINATION (where an SMS or email code went),
	// MFAS_CAN_CHOOSE and MFAS_CAN_SETUP (JSON arrays of factors),
	// userAttributes and requiredAttributes (NEW_PASSWORD_REQUIRED, JSON),
	// or the public parameters of a custom challenge.
	Parameters map[string]string

	// SecretCode is set for MFA_SETUP when the user may set up an
	// authenticator app: the base32 TOTP secret Cognito issued for the
	// user (from AssociateSoftwareToken). Show it to the user, or keep
	// it for [TOTP]; it is a secret. [Challenge.OTPAuthURI] turns it
	// into the URI authenticator apps scan as a QR code.
	SecretCode string
}

// Answer is the answer to a [Challenge]. Fill in the fields the challenge
// needs; the token source adds USERNAME, SECRET_HASH and the session.
type Answer struct {
	// Code is the code the user received or their authenticator app
	// shows, for SMS_MFA (SMS_MFA_CODE), SOFTWARE_TOKEN_MFA
	// (SOFTWARE_TOKEN_MFA_CODE), EMAIL_OTP (EMAIL_OTP_CODE) and SMS_OTP
	// (SMS_OTP_CODE). For MFA_SETUP it is the first code of the new
	// authenticator, which verifies it; for CUSTOM_CHALLENGE it is the
	// ANSWER when Responses has none.
	Code string

	// NewPassword is the user's new password, for NEW_PASSWORD_REQUIRED.
	// Later sign-ins of the same token source use it; the Config is not
	// changed, so a program that keeps the password elsewhere must save
	// the new one itself (it chose it here).
	NewPassword string

	// Attributes are user attributes to set with NEW_PASSWORD_REQUIRED,
	// by their plain names ("name", "family_name", "custom:team"): those
	// in [Challenge.RequiredAttributes] must be given.
	Attributes map[string]string

	// MFA is the factor chosen at SELECT_MFA_TYPE (one of those in
	// MFAS_CAN_CHOOSE, such as types.ChallengeNameTypeSoftwareTokenMfa).
	MFA types.ChallengeNameType

	// Responses are sent as they are, in addition to what the fields
	// above give: the ANSWER of a CUSTOM_CHALLENGE (and any other key a
	// custom challenge needs), or the responses of a challenge this
	// package does not know.
	Responses map[string]string
}

// RequiredAttributes returns the plain names of the user attributes that
// a NEW_PASSWORD_REQUIRED challenge requires ("name", not
// "userAttributes.name"), or nil when there are none.
func (c *Challenge) RequiredAttributes() []string {
	raw := c.Parameters["requiredAttributes"]
	if raw == "" {
		return nil
	}
	var names []string
	if err := json.Unmarshal([]byte(raw), &names); err != nil {
		return nil
	}
	var out []string
	for _, n := range names {
		if n = strings.TrimPrefix(n, "userAttributes."); n != "" {
			out = append(out, n)
		}
	}
	return out
}

// Factors returns the MFA factors the challenge offers: those of
// MFAS_CAN_CHOOSE for SELECT_MFA_TYPE, or MFAS_CAN_SETUP for MFA_SETUP.
func (c *Challenge) Factors() []types.ChallengeNameType {
	raw := c.Parameters["MFAS_CAN_CHOOSE"]
	if c.Name == types.ChallengeNameTypeMfaSetup {
		raw = c.Parameters["MFAS_CAN_SETUP"]
	}
	var names []types.ChallengeNameType
	if raw == "" || json.Unmarshal([]byte(raw), &names) != nil {
		return nil
	}
	return names
}

// OTPAuthURI returns the otpauth:// URI of the authenticator being set up
// at MFA_SETUP (see [Challenge.SecretCode]), with issuer as the name the
// app shows, or "" when there is no secret. Authenticator apps read it
// from a QR code.
func (c *Challenge) OTPAuthURI(issuer string) string {
	if c.SecretCode == "" {
		return ""
	}
	label := c.Username
	if issuer != "" {
		label = issuer + ":" + c.Username
	}
	q := url.Values{}
	q.Set("secret", strings.ToUpper(strings.ReplaceAll(c.SecretCode, " ", "")))
	if issuer != "" {
		q.Set("issuer", issuer)
	}
	q.Set("algorithm", "SHA1")
	q.Set("digits", "6")
	q.Set("period", "30")
	u := url.URL{Scheme: "otpauth", Host: "totp", Path: "/" + label, RawQuery: q.Encode()}
	return u.String()
}

// TOTP returns a handler for unattended sign-ins of a user whose MFA is an
// authenticator app: it answers SOFTWARE_TOKEN_MFA with the current code
// of secret (base32, as Cognito issues it in MFA set-up; RFC 6238: SHA-1,
// 30-second steps, 6 digits) and chooses SOFTWARE_TOKEN_MFA at
// SELECT_MFA_TYPE. Any other challenge fails the sign-in with a
// *ChallengeError.
//
// Cognito accepts each code once: two sign-ins of the same user within
// one 30-second step fail the second with CodeMismatchException (the
// token source then backs off, as for a wrong password).
func TOTP(secret string) ChallengeHandler {
	return totpHandler{secret: secret, now: time.Now}
}

type totpHandler struct {
	secret string
	now    func() time.Time
}

func (h totpHandler) AnswerChallenge(_ context.Context, c *Challenge) (*Answer, error) {
	switch c.Name {
	case types.ChallengeNameTypeSoftwareTokenMfa:
		code, err := totpCode(h.secret, h.now())
		if err != nil {
			return nil, err
		}
		return &Answer{Code: code}, nil
	case types.ChallengeNameTypeSelectMfaType:
		return &Answer{MFA: types.ChallengeNameTypeSoftwareTokenMfa}, nil
	}
	return nil, &ChallengeError{Challenge: c.Name}
}

// totpCode is the RFC 6238 code of secret at t, as authenticator apps
// and Cognito compute it.
func totpCode(secret string, t time.Time) (string, error) {
	code, err := totp.GenerateCodeCustom(strings.ReplaceAll(secret, " ", ""), t, totp.ValidateOpts{
		Period:    30,
		Digits:    otp.DigitsSix,
		Algorithm: otp.AlgorithmSHA1,
	})
	if err != nil {
		// The error would quote nothing secret, but say it plainly.
		return "", errors.New("cognito: the TOTP secret is not valid base32")
	}
	return code, nil
}

// copyParams returns a copy of p that the handler may keep or change.
func copyParams(p map[string]string) map[string]string {
	if p == nil {
		return map[string]string{}
	}
	return maps.Clone(p)
}
