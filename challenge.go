package cognito

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/smithy-go/middleware"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	redaction "github.com/seed-e8acf5fd/cognito/internal/redact"
	"github.com/seed-e8acf5fd/cognito/internal/srp"
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
// answer is ignored when it comes, and the token source carries on; until
// the abandoned call returns, later sign-ins fail instead of calling the
// handler again.
//
// An error from the handler ends the sign-in; Token returns it wrapped,
// so errors.Is and errors.As reach it. A panic in the handler becomes an
// error too. Like a wrong code, a handler that gives no usable answer is
// followed by the long back-off (see the package documentation), so that
// the password is not sent, and a code by SMS or email not sent to the
// user, again and again.
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

// String hides the secret from fmt.
func (totpHandler) String() string { return "cognito.TOTP(" + redaction.Mark + ")" }

// GoString is String, so that %#v hides the secret too.
func (h totpHandler) GoString() string { return h.String() }

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

// maxChallenges bounds the challenges of one sign-in, so that a server
// that keeps setting them cannot hold a token source in a loop.
const maxChallenges = 16

// softwareTokenAPI is what setting up an authenticator app (MFA_SETUP)
// needs beyond API; *cognitoidentityprovider.Client has it.
type softwareTokenAPI interface {
	AssociateSoftwareToken(ctx context.Context, in *cip.AssociateSoftwareTokenInput, optFns ...func(*cip.Options)) (*cip.AssociateSoftwareTokenOutput, error)
	VerifySoftwareToken(ctx context.Context, in *cip.VerifySoftwareTokenInput, optFns ...func(*cip.Options)) (*cip.VerifySoftwareTokenOutput, error)
}

// step is a response of InitiateAuth or RespondToAuthChallenge: tokens,
// or a challenge with its parameters and session.
type step struct {
	result  *types.AuthenticationResultType
	name    types.ChallengeNameType
	params  map[string]string
	session *string
	md      middleware.Metadata
}

// complete answers the challenges of a sign-in until Cognito hands out
// tokens: PASSWORD_VERIFIER with client (the SRP state of the sign-in, nil
// when it did not use SRP), any other challenge through Config.Challenge.
// sent is when the request that may have brought tokens was sent. Each
// network call is bounded by ctx, or, after the handler has been called,
// by a new context of the attempt's timeout; the handler itself by
// Config.ChallengeTimeout.
func (s *source) complete(ctx context.Context, st step, client *srp.Client, sent time.Time) (*fresh, error) {
	user := s.conf.Username      // the pool's name for the user, once known
	var deviceClient *srp.Client // the SRP state of DEVICE_SRP_AUTH
	for round := 0; ; round++ {
		if st.result != nil {
			s.username = user // until the tokens' username claim says better
			if meta := st.result.NewDeviceMetadata; meta != nil && !s.adoptDevice(ctx, meta, aws.ToString(st.result.AccessToken)) {
				r := *st.result
				r.RefreshToken = nil // refused until a device is confirmed
				s.refreshToken = ""
				return s.accept(&r, sent)
			}
			return s.accept(st.result, sent)
		}
		if st.name == "" {
			return nil, errors.New("cognito: signing in: the response has neither tokens nor a challenge")
		}
		if round == maxChallenges {
			return nil, fmt.Errorf("cognito: signing in: more than %d challenges in a row, the last %s", maxChallenges, st.name)
		}
		if id := st.params["USER_ID_FOR_SRP"]; id != "" {
			user = id
		} else if name := st.params["USERNAME"]; name != "" {
			user = name // as Cognito sends it with MFA and custom challenges
		}
		var (
			answer  map[string]string
			session = st.session
			err     error
		)
		switch {
		case st.name == types.ChallengeNameTypePasswordVerifier && client != nil:
			answer, err = s.passwordVerifier(client, st.params, serverNow(st.md, s.now()))
			if err != nil {
				return nil, err
			}
			user, client = answer["USERNAME"], nil // the SRP state answers once
		case st.name == types.ChallengeNameTypeDeviceSrpAuth && s.device != nil:
			if deviceClient, err = srp.NewClient(s.rand); err != nil {
				return nil, fmt.Errorf("cognito: signing in: %w", err)
			}
			answer = map[string]string{"SRP_A": deviceClient.PublicHex()}
		case st.name == types.ChallengeNameTypeDevicePasswordVerifier && deviceClient != nil:
			answer, err = s.devicePasswordVerifier(deviceClient, st.params, serverNow(st.md, s.now()))
			if err != nil {
				return nil, err
			}
			deviceClient = nil
		case s.conf.Challenge == nil:
			return nil, &ChallengeError{Challenge: st.name}
		default:
			var cancel context.CancelFunc
			var setUpCode string
			answer, session, setUpCode, err = s.answer(ctx, st, user)
			if err != nil {
				return nil, err
			}
			// The handler may have taken minutes: the calls that follow
			// get the attempt's time afresh.
			ctx, cancel = context.WithTimeout(s.ctx, s.timeout)
			defer cancel()
			if setUpCode != "" {
				if session, err = s.verifySoftwareToken(ctx, setUpCode, session); err != nil {
					return nil, err
				}
			}
		}
		answer["USERNAME"] = user
		if s.device != nil {
			answer["DEVICE_KEY"] = s.device.Key
		}
		s.addSecretHash(answer, user)
		if st.name == types.ChallengeNameTypeSelectMfaType {
			s.remember(answer, "ANSWER") // a factor's name
		} else {
			s.remember(answer)
		}
		sent = s.now()
		resp, err := s.api.RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{
			ChallengeName:      st.name,
			ClientId:           aws.String(s.conf.ClientID),
			ChallengeResponses: answer,
			Session:            session,
		})
		var notAuth *types.NotAuthorizedException
		switch {
		case st.name == types.ChallengeNameTypeDevicePasswordVerifier && errors.As(err, &notAuth):
			return nil, &deviceRefusedError{err}
		case st.name == types.ChallengeNameTypePasswordVerifier && errors.As(err, &notAuth):
			// The pool's name is part of the SRP proof: Cognito cannot
			// tell a wrong password from a wrong pool ID.
			return nil, fmt.Errorf("cognito: signing in (with SRP, a wrong Config.UserPoolID gives the same answer as a wrong password): %w", err)
		case err != nil:
			return nil, fmt.Errorf("cognito: answering the %s challenge: %w", st.name, err)
		}
		if st.name == types.ChallengeNameTypeNewPasswordRequired {
			// The pool now knows the user by the new password only.
			s.formerPassword, s.conf.Password = s.conf.Password, answer["NEW_PASSWORD"]
		}
		st = step{
			result:  resp.AuthenticationResult,
			name:    resp.ChallengeName,
			params:  resp.ChallengeParameters,
			session: resp.Session,
			md:      resp.ResultMetadata,
		}
	}
}

// answer asks the handler for the answer to st and returns the challenge
// responses it gives, and the session to answer with. For MFA_SETUP it
// first gets the secret of a new authenticator from Cognito, and returns
// the first code the handler then gives, for verifySoftwareToken.
func (s *source) answer(ctx context.Context, st step, user string) (resp map[string]string, session *string, setUpCode string, err error) {
	c := &Challenge{Name: st.name, Username: user, Parameters: copyParams(st.params)}
	session = st.session
	setUp := st.name == types.ChallengeNameTypeMfaSetup && offersTOTP(c)
	if setUp {
		api, ok := s.api.(softwareTokenAPI)
		if !ok {
			return nil, nil, "", fmt.Errorf("cognito: MFA_SETUP: Config.API (%T) has no AssociateSoftwareToken and VerifySoftwareToken methods", s.api)
		}
		out, err := api.AssociateSoftwareToken(ctx, &cip.AssociateSoftwareTokenInput{Session: session})
		if err != nil {
			return nil, nil, "", fmt.Errorf("cognito: MFA_SETUP: associating an authenticator app: %w", err)
		}
		if c.SecretCode = aws.ToString(out.SecretCode); c.SecretCode == "" {
			return nil, nil, "", errors.New("cognito: MFA_SETUP: AssociateSoftwareToken returned no SecretCode")
		}
		s.formerSecrets = append(s.formerSecrets, c.SecretCode)
		if out.Session != nil {
			session = out.Session
		}
	}
	a, err := s.ask(c)
	if err != nil {
		return nil, nil, "", err
	}
	if resp, err = responses(c, a, setUp); err != nil {
		return nil, nil, "", &handlerError{err}
	}
	if setUp {
		setUpCode = a.Code
	}
	return resp, session, setUpCode, nil
}

// responses turns the handler's answer to c into challenge responses.
func responses(c *Challenge, a *Answer, setUp bool) (map[string]string, error) {
	resp := map[string]string{}
	need := func(key, value, field string) error {
		if value == "" {
			return fmt.Errorf("cognito: the answer to the %s challenge has no %s", c.Name, field)
		}
		resp[key] = value
		return nil
	}
	var err error
	switch c.Name {
	case types.ChallengeNameTypeSmsMfa:
		err = need("SMS_MFA_CODE", a.Code, "Code")
	case types.ChallengeNameTypeSoftwareTokenMfa:
		err = need("SOFTWARE_TOKEN_MFA_CODE", a.Code, "Code")
	case types.ChallengeNameTypeEmailOtp:
		err = need("EMAIL_OTP_CODE", a.Code, "Code")
	case types.ChallengeNameTypeSmsOtp:
		err = need("SMS_OTP_CODE", a.Code, "Code")
	case types.ChallengeNameTypeSelectMfaType:
		err = need("ANSWER", string(a.MFA), "MFA")
	case types.ChallengeNameTypeNewPasswordRequired:
		err = need("NEW_PASSWORD", a.NewPassword, "NewPassword")
		for name, value := range a.Attributes {
			resp["userAttributes."+strings.TrimPrefix(name, "userAttributes.")] = value
		}
		for _, name := range c.RequiredAttributes() {
			if _, ok := resp["userAttributes."+name]; !ok && err == nil {
				err = fmt.Errorf("cognito: the answer to the NEW_PASSWORD_REQUIRED challenge lacks the required attribute %q", name)
			}
		}
	case types.ChallengeNameTypeCustomChallenge:
		if a.Code != "" {
			resp["ANSWER"] = a.Code
		}
	case types.ChallengeNameTypeMfaSetup:
		if setUp && a.Code == "" {
			err = errors.New("cognito: the answer to the MFA_SETUP challenge has no Code (the first code of the new authenticator)")
		}
	}
	if err != nil {
		return nil, err
	}
	maps.Copy(resp, a.Responses)
	if c.Name == types.ChallengeNameTypeCustomChallenge && resp["ANSWER"] == "" {
		return nil, errors.New("cognito: the answer to the CUSTOM_CHALLENGE challenge has no ANSWER (Responses[\"ANSWER\"] or Code)")
	}
	return resp, nil
}

// offersTOTP reports whether an MFA_SETUP challenge lets the user set up
// an authenticator app: MFAS_CAN_SETUP lists SOFTWARE_TOKEN_MFA, or is
// missing (older pools send none).
func offersTOTP(c *Challenge) bool {
	if _, ok := c.Parameters["MFAS_CAN_SETUP"]; !ok {
		return true
	}
	return slices.Contains(c.Factors(), types.ChallengeNameTypeSoftwareTokenMfa)
}

// verifySoftwareToken sends the first code of the authenticator being
// set up to Cognito, and returns the session that then answers MFA_SETUP.
func (s *source) verifySoftwareToken(ctx context.Context, code string, session *string) (*string, error) {
	s.sent = append(s.sent, code)
	out, err := s.api.(softwareTokenAPI).VerifySoftwareToken(ctx, &cip.VerifySoftwareTokenInput{Session: session, UserCode: aws.String(code)})
	if err != nil {
		return nil, fmt.Errorf("cognito: MFA_SETUP: verifying the authenticator's code: %w", err)
	}
	if out.Status != types.VerifySoftwareTokenResponseTypeSuccess {
		return nil, fmt.Errorf("cognito: MFA_SETUP: Cognito did not accept the authenticator's code (status %q)", out.Status)
	}
	if out.Session != nil {
		session = out.Session
	}
	return session, nil
}

// ask calls the handler with a context that ends after ChallengeTimeout,
// and stops waiting for it then: a handler that never returns costs the
// token source one failed sign-in, not its life. The handler is never
// called while an abandoned call of it is still running, and a panic in
// it becomes an error. Every failure here is a handlerError.
func (s *source) ask(c *Challenge) (*Answer, error) {
	ctx, cancel := context.WithTimeout(s.ctx, s.conf.challengeTimeout())
	defer cancel()
	if s.handlerRunning != nil {
		select {
		case <-s.handlerRunning:
			s.handlerRunning = nil
		case <-ctx.Done():
			return nil, &handlerError{fmt.Errorf("cognito: the challenge handler has not returned from the call abandoned before, so it is not called for the %s challenge: %w", c.Name, ctx.Err())}
		}
	}
	type reply struct {
		a   *Answer
		err error
	}
	done := make(chan reply, 1) // the handler never blocks on it
	running := make(chan struct{})
	go func() {
		defer close(running)
		defer func() {
			if p := recover(); p != nil {
				done <- reply{err: fmt.Errorf("the handler panicked: %v", p)}
			}
		}()
		a, err := s.conf.Challenge.AnswerChallenge(ctx, c)
		done <- reply{a, err}
	}()
	select {
	case r := <-done:
		switch {
		case r.err != nil:
			return nil, &handlerError{fmt.Errorf("cognito: answering the %s challenge: %w", c.Name, r.err)}
		case r.a == nil:
			return nil, &handlerError{fmt.Errorf("cognito: the challenge handler gave no answer to the %s challenge", c.Name)}
		}
		return r.a, nil
	case <-ctx.Done():
		s.handlerRunning = running
		return nil, &handlerError{fmt.Errorf("cognito: the challenge handler did not answer the %s challenge in time: %w", c.Name, ctx.Err())}
	}
}

// handlerError is a sign-in that failed because the challenge handler
// gave no usable answer. Like a wrong code, it is followed by the long
// back-off: trying again at once would send the password again, and
// maybe another code by SMS or email.
type handlerError struct{ err error }

func (e *handlerError) Error() string { return e.err.Error() }
func (e *handlerError) Unwrap() error { return e.err }

func (c *Config) challengeTimeout() time.Duration {
	if c.ChallengeTimeout <= 0 {
		return DefaultChallengeTimeout
	}
	return c.ChallengeTimeout
}

// String describes c with SecretCode redacted.
func (c Challenge) String() string {
	return fmt.Sprintf("cognito.Challenge{Name: %s, Username: %q, Parameters: %v, SecretCode: %s}", c.Name, c.Username, c.Parameters, hidden(c.SecretCode))
}

// GoString is String, so that %#v redacts too.
func (c Challenge) GoString() string { return c.String() }

// String describes a with every value redacted but the factor chosen and
// the attributes' names: codes, passwords and custom answers are secrets.
func (a Answer) String() string {
	names := slices.Sorted(maps.Keys(a.Attributes))
	keys := slices.Sorted(maps.Keys(a.Responses))
	return fmt.Sprintf("cognito.Answer{Code: %s, NewPassword: %s, Attributes: %q, MFA: %q, Responses: %q}", hidden(a.Code), hidden(a.NewPassword), names, a.MFA, keys)
}

// GoString is String, so that %#v redacts too.
func (a Answer) GoString() string { return a.String() }
