package cognitotest

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base32"
	"fmt"
	"math/big"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
)

const (
	// codeLifetime is how long an SMS or email code can be used after it
	// was sent.
	codeLifetime = 3 * time.Minute
	// totpPeriod is the time step of TOTP codes (RFC 6238, as Cognito).
	totpPeriod = 30
	// totpSecretBytes is the size of the secrets AssociateSoftwareToken
	// issues: 160 bits (RFC 4226's recommendation), 32 base32 characters.
	totpSecretBytes = 20
)

// WithMFARequired makes MFA required in the pool, as MfaConfiguration ON
// does: a user with no MFA factor meets MFA_SETUP after the password, with
// MFAS_CAN_SETUP ["SOFTWARE_TOKEN_MFA"], and gets tokens only once an
// authenticator app is set up (AssociateSoftwareToken, VerifySoftwareToken,
// then RespondToAuthChallenge MFA_SETUP). Users with a factor meet its
// challenge whether or not MFA is required.
func WithMFARequired() Option {
	return func(c *config) { c.mfaRequired = true }
}

// SetTOTP gives username an authenticator app (SOFTWARE_TOKEN_MFA) whose
// secret is secret, base32 as Cognito issues it (RFC 6238: SHA-1, 30-second
// steps, 6 digits). Sign-ins then meet SOFTWARE_TOKEN_MFA, whose answer
// must be the code of the current step or of the one before or after; a
// code once accepted is refused afterwards, as is any code of an earlier
// step. An empty secret removes the factor. SetTOTP panics for an unknown
// user and a secret that is not base32.
func (s *Server) SetTOTP(username, secret string) {
	if secret != "" && !validBase32(secret) {
		panicf("SetTOTP: the secret for %q is not base32", username)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.mustUser("SetTOTP", username)
	u.totp, u.totpName = secret, ""
	if secret == "" && u.preferred == factorTOTP {
		u.preferred = ""
	}
}

// phonePattern is an E.164 phone number, as Cognito's phone_number.
var phonePattern = regexp.MustCompile(`^\+[1-9][0-9]{4,14}$`)

// SetSMSMFA gives username SMS MFA: sign-ins then meet SMS_MFA, with a
// random six-digit code "sent" to phoneNumber (E.164, such as
// "+15555550100"), which [Server.LastCode] returns; the challenge names the
// number masked, "+*******0100". A code can be used once, within three
// minutes. The user's attributes are not changed. An empty phoneNumber
// removes the factor. SetSMSMFA panics for an unknown user and a number
// that is not E.164.
func (s *Server) SetSMSMFA(username, phoneNumber string) {
	if phoneNumber != "" && !phonePattern.MatchString(phoneNumber) {
		panicf("SetSMSMFA: %q is not an E.164 phone number", phoneNumber)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.mustUser("SetSMSMFA", username)
	u.smsPhone = phoneNumber
	if phoneNumber == "" && u.preferred == factorSMS {
		u.preferred = ""
	}
}

// emailPattern is a plausible email address.
var emailPattern = regexp.MustCompile(`^[^@\s]+@[^@\s]+$`)

// SetEmailMFA gives username email MFA: sign-ins then meet EMAIL_OTP, with
// a random six-digit code "sent" to email, which [Server.LastCode] returns;
// the challenge names the address masked, "a***@e***.com". A code can be
// used once, within three minutes. The user's attributes are not changed.
// An empty email removes the factor. SetEmailMFA panics for an unknown user
// and an address without one "@".
func (s *Server) SetEmailMFA(username, email string) {
	if email != "" && !emailPattern.MatchString(email) {
		panicf("SetEmailMFA: %q is not an email address", email)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.mustUser("SetEmailMFA", username)
	u.otpEmail = email
	if email == "" && u.preferred == factorEmail {
		u.preferred = ""
	}
}

// SetPreferredMFA sets the MFA factor that username's sign-ins meet when
// the user has several, as SetUserMFAPreference's PreferredMfa does:
// "SMS_MFA", "SOFTWARE_TOKEN_MFA" or "EMAIL_OTP". Without a preference a
// user with several factors meets SELECT_MFA_TYPE. An empty factor removes
// the preference, and so does removing the factor. SetPreferredMFA panics
// for an unknown user and a factor the user does not have.
func (s *Server) SetPreferredMFA(username, factor string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.mustUser("SetPreferredMFA", username)
	if factor != "" && !slices.Contains(u.factors(), factor) {
		panicf("SetPreferredMFA: %q does not have MFA factor %q", username, factor)
	}
	u.preferred = factor
}

// LastCode returns the last code "sent" to username by SMS or email: for
// SMS_MFA, EMAIL_OTP, or the default custom challenge of [WithCustomAuth].
// It returns "" when none was sent, and panics for an unknown user. Tests
// read it to answer the challenge, as a user reads their phone.
func (s *Server) LastCode(username string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mustUser("LastCode", username).lastCode
}

// TOTPSecret returns the secret of username's authenticator app, "" when the
// user has none: the one given to [Server.SetTOTP], or the one
// AssociateSoftwareToken issued once VerifySoftwareToken accepted a code of
// it (at MFA_SETUP, or for a signed-in user). It panics for an unknown user.
func (s *Server) TOTPSecret(username string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mustUser("TOTPSecret", username).totp
}

// factors returns the MFA factors u has, in a fixed order. It must be
// called with the Server's mu held.
func (u *user) factors() []string {
	var f []string
	if u.smsPhone != "" {
		f = append(f, factorSMS)
	}
	if u.totp != "" {
		f = append(f, factorTOTP)
	}
	if u.otpEmail != "" {
		f = append(f, factorEmail)
	}
	return f
}

// mfaChallenge returns the challenge of factor for u: for SMS_MFA and
// EMAIL_OTP a new code is "sent" (kept as the user's LastCode and in the
// session); SOFTWARE_TOKEN_MFA names the authenticator when it has a name.
// A factor the user no longer has (removed since SELECT_MFA_TYPE offered
// it) fails as a wrong answer.
func (s *Server) mfaChallenge(u *user, factor string, p progress, now time.Time) (any, *apiError) {
	sess := &challengeSession{user: u, challenge: factor, progress: p}
	params := map[string]string{}
	code := ""
	if factor != factorTOTP {
		code = newCode()
	}
	s.mu.Lock()
	has := true
	switch factor {
	case factorSMS:
		has = u.smsPhone != ""
		params["CODE_DELIVERY_DELIVERY_MEDIUM"] = "SMS"
		params["CODE_DELIVERY_DESTINATION"] = maskPhone(u.smsPhone)
	case factorEmail:
		has = u.otpEmail != ""
		params["CODE_DELIVERY_DELIVERY_MEDIUM"] = "EMAIL"
		params["CODE_DELIVERY_DESTINATION"] = maskEmail(u.otpEmail)
	default: // factorTOTP
		has = u.totp != ""
		if u.totpName != "" {
			params["FRIENDLY_DEVICE_NAME"] = u.totpName
		}
	}
	if has && factor != factorTOTP {
		u.lastCode = code
		sess.code, sess.codeExpires = code, now.Add(codeLifetime)
	}
	s.mu.Unlock()
	if !has {
		return nil, errCodeMismatch()
	}
	return s.newChallenge(sess, params, now), nil
}

// softwareTokenInput is the input of AssociateSoftwareToken and
// VerifySoftwareToken, which name no app client.
type softwareTokenInput struct {
	AccessToken        string
	Session            string
	UserCode           string // VerifySoftwareToken
	FriendlyDeviceName string // VerifySoftwareToken
}

type associateOutput struct {
	SecretCode string
	Session    string `json:",omitempty"`
}

type verifyOutput struct {
	Status  string
	Session string `json:",omitempty"`
}

// checkSoftwareTokenAuth checks that in has an access token or a Session,
// not both.
func checkSoftwareTokenAuth(in *softwareTokenInput) *apiError {
	switch {
	case in.AccessToken != "" && in.Session != "":
		return errInvalidParameter("Only one of AccessToken and Session can be given")
	case in.AccessToken == "" && in.Session == "":
		return errInvalidParameter("Missing required parameter AccessToken or Session")
	}
	return nil
}

// takeSetupSession consumes an MFA_SETUP Session; when associated is set
// it must have been through AssociateSoftwareToken.
func (s *Server) takeSetupSession(token string, associated bool, now time.Time) (*challengeSession, *apiError) {
	sess := s.takeChallenge(token, now)
	if sess == nil {
		return nil, errSessionExpired()
	}
	if sess.unanswerable || sess.challenge != challengeMFASetup || associated && sess.secret == "" || sess.progress.oauth != nil {
		return nil, errNotAuthorized("Invalid session for the user.")
	}
	return sess, nil
}

// associateSoftwareToken answers AssociateSoftwareToken: a new
// authenticator secret for the user of an MFA_SETUP Session (with a new
// Session for VerifySoftwareToken) or of an access token.
func (s *Server) associateSoftwareToken(in *softwareTokenInput) (any, *apiError) {
	if e := checkSoftwareTokenAuth(in); e != nil {
		return nil, e
	}
	now := s.now()
	secret := newTOTPSecret()
	if in.AccessToken != "" {
		u, _, e := s.verifyAccessToken(in.AccessToken, now)
		if e != nil {
			return nil, e
		}
		s.mu.Lock()
		u.totpPending = secret
		s.mu.Unlock()
		return associateOutput{SecretCode: secret}, nil
	}
	sess, e := s.takeSetupSession(in.Session, false, now)
	if e != nil {
		return nil, e
	}
	return associateOutput{SecretCode: secret, Session: s.associateSetup(sess, secret, now)}, nil
}

// associateSetup gives the MFA_SETUP sign-in of sess, which the caller has
// taken from the store, the new authenticator secret secret, and returns
// the Session under which it waits for a code of it.
func (s *Server) associateSetup(sess *challengeSession, secret string, now time.Time) string {
	next := &challengeSession{user: sess.user, challenge: challengeMFASetup, progress: sess.progress, secret: secret}
	return s.storeChallenge(next, now)
}

// verifySoftwareToken answers VerifySoftwareToken: when UserCode is a code
// of the secret AssociateSoftwareToken issued, the secret becomes the
// user's authenticator (and, with a Session, a new Session lets
// RespondToAuthChallenge MFA_SETUP finish the sign-in).
func (s *Server) verifySoftwareToken(in *softwareTokenInput) (any, *apiError) {
	if e := checkSoftwareTokenAuth(in); e != nil {
		return nil, e
	}
	if in.UserCode == "" {
		return nil, errInvalidParameter("Missing required parameter UserCode")
	}
	mismatch := &apiError{status: http.StatusBadRequest, typ: "EnableSoftwareTokenMFAException", msg: "Code mismatch and fail enable Software Token MFA"}
	now := s.now()
	if in.AccessToken != "" {
		u, _, e := s.verifyAccessToken(in.AccessToken, now)
		if e != nil {
			return nil, e
		}
		s.mu.Lock()
		secret := u.totpPending
		s.mu.Unlock()
		if secret == "" {
			return nil, errInvalidParameter("AssociateSoftwareToken was not called for the user")
		}
		if !s.checkTOTP(u, secret, in.UserCode, now) {
			return nil, mismatch
		}
		s.setAuthenticator(u, secret, in.FriendlyDeviceName)
		return verifyOutput{Status: "SUCCESS"}, nil
	}
	sess, e := s.takeSetupSession(in.Session, true, now)
	if e != nil {
		return nil, e
	}
	if !s.checkTOTP(sess.user, sess.secret, in.UserCode, now) {
		return nil, mismatch
	}
	s.setAuthenticator(sess.user, sess.secret, in.FriendlyDeviceName)
	next := &challengeSession{user: sess.user, challenge: challengeMFASetup, progress: sess.progress, secret: sess.secret, verified: true}
	return verifyOutput{Status: "SUCCESS", Session: s.storeChallenge(next, now)}, nil
}

// setAuthenticator makes secret u's authenticator, named name.
func (s *Server) setAuthenticator(u *user, secret, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u.totp, u.totpName = secret, name
	if u.totpPending == secret {
		u.totpPending = ""
	}
}

// checkTOTP reports whether code is the TOTP code of secret for the time
// step of now or the one before or after, and no code of that step or a
// later one has been accepted for u with secret. An accepted code's step is
// recorded, so that the code cannot be used again.
func (s *Server) checkTOTP(u *user, secret, code string, now time.Time) bool {
	step := now.Unix() / totpPeriod
	matched, found := int64(0), false
	for st := step - 1; st <= step+1; st++ {
		want, err := hotp.GenerateCodeCustom(secret, uint64(st), hotp.ValidateOpts{Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		// Every step is computed and compared, so that the time taken does
		// not tell which step matched.
		if err == nil && subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			matched, found = st, true
		}
	}
	if !found {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if u.totpUsedSecret == secret && matched <= u.totpUsed {
		return false
	}
	u.totpUsedSecret, u.totpUsed = secret, matched
	return true
}

// validBase32 reports whether secret is base32 (RFC 4648), in either
// letter case, with or without padding, as authenticator apps accept it.
func validBase32(secret string) bool {
	s := strings.ToUpper(strings.TrimRight(secret, "="))
	if n := len(s) % 8; n != 0 {
		s += strings.Repeat("=", 8-n)
	}
	b, err := base32.StdEncoding.DecodeString(s)
	return err == nil && len(b) > 0
}

// newTOTPSecret returns a new authenticator secret: totpSecretBytes random
// bytes in base32, upper case, without padding.
func newTOTPSecret() string {
	return base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(randomBytes(totpSecretBytes))
}

// newCode returns a random six-digit code, as Cognito sends by SMS or
// email.
func newCode() string {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		panicf("reading random bytes: %v", err)
	}
	return fmt.Sprintf("%06d", n.Int64())
}

// maskPhone masks an E.164 number as Cognito's CODE_DELIVERY_DESTINATION
// does: "+15555550100" becomes "+*******0100".
func maskPhone(number string) string {
	digits := strings.TrimPrefix(number, "+")
	keep := min(4, len(digits))
	return "+" + strings.Repeat("*", len(digits)-keep) + digits[len(digits)-keep:]
}

// maskEmail masks an email address as Cognito's CODE_DELIVERY_DESTINATION
// does: "alice@example.com" becomes "a***@e***.com".
func maskEmail(address string) string {
	local, domain, _ := strings.Cut(address, "@")
	tld := ""
	if i := strings.LastIndexByte(domain, '.'); i > 0 {
		tld = domain[i:]
	}
	return firstRune(local) + "***@" + firstRune(domain) + "***" + tld
}

func firstRune(s string) string {
	_, n := utf8.DecodeRuneInString(s)
	return s[:n]
}
