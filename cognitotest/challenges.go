package cognitotest

import (
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/seed-e8acf5fd/cognito/internal/srp"
)

// The challenges a sign-in can meet after PASSWORD_VERIFIER, as they are
// named on the wire.
const (
	challengeNewPassword = "NEW_PASSWORD_REQUIRED"
	challengeSelectMFA   = "SELECT_MFA_TYPE"
	challengeMFASetup    = "MFA_SETUP"
	challengeCustom      = "CUSTOM_CHALLENGE"
	challengeDeviceSRP   = "DEVICE_SRP_AUTH"
	challengeDeviceProof = "DEVICE_PASSWORD_VERIFIER"
	factorSMS            = "SMS_MFA"
	factorTOTP           = "SOFTWARE_TOKEN_MFA"
	factorEmail          = "EMAIL_OTP"
)

// minPasswordLength is the pool's password policy: Cognito's default
// minimum length, the only rule cognitotest checks.
const minPasswordLength = 8

// answerKeys lists, for every challenge after PASSWORD_VERIFIER that the
// server answers, the ChallengeResponses keys an answer must carry besides
// USERNAME.
var answerKeys = map[string][]string{
	factorSMS:            {"SMS_MFA_CODE"},
	factorTOTP:           {"SOFTWARE_TOKEN_MFA_CODE"},
	factorEmail:          {"EMAIL_OTP_CODE"},
	challengeSelectMFA:   {"ANSWER"},
	challengeCustom:      {"ANSWER"},
	challengeNewPassword: {"NEW_PASSWORD"},
	challengeMFASetup:    {},
	challengeDeviceSRP:   {"DEVICE_KEY", "SRP_A"},
	challengeDeviceProof: {"DEVICE_KEY", "PASSWORD_CLAIM_SECRET_BLOCK", "PASSWORD_CLAIM_SIGNATURE", "TIMESTAMP"},
}

// challengeSession is a challenge after PASSWORD_VERIFIER waiting for its
// answer, kept in the Server's challenges under its Session string. A
// session is answered once: any answer, right or wrong, consumes it, and a
// challenge that follows gets a new one.
type challengeSession struct {
	storeEntry
	user      *user
	challenge string // the challenge it answers
	progress  progress
	// unanswerable marks a challenge set by RequireChallenge.
	unanswerable bool
	// SMS_MFA and EMAIL_OTP: the code sent, and when it expires.
	code        string
	codeExpires time.Time
	// SELECT_MFA_TYPE: the factors offered.
	offered []string
	// MFA_SETUP: the secret AssociateSoftwareToken issued, if it was
	// called, and whether VerifySoftwareToken accepted a code of it.
	secret   string
	verified bool
	// CUSTOM_CHALLENGE: the sign-in, and what the Create trigger returned.
	custom   *customFlow
	private  map[string]string
	metadata string
	// DEVICE_PASSWORD_VERIFIER: the SRP exchange DEVICE_SRP_AUTH started.
	exchange *deviceExchange
}

// progress is what a sign-in has done after the password that is not
// asked for again. (A NEW_PASSWORD_REQUIRED answered is not: it clears the
// user's requirement.)
type progress struct {
	mfaDone bool // an MFA code accepted, or MFA set up
	// device is the confirmed device the sign-in names with DEVICE_KEY,
	// nil for none; deviceDone is set once its DEVICE_PASSWORD_VERIFIER
	// answer has been accepted.
	device     *device
	deviceDone bool
	// oauth is the authorization request of a managed-login sign-in (see
	// login.go), nil for one through the API: it ends with an
	// authorization code instead of tokens, and its challenges are
	// answered on the login page only.
	oauth *authRequest
}

// afterPassword goes on with a sign-in whose password has been verified,
// with p saying where from (the device, for the API, the authorization
// request, for managed login): the unanswerable challenge of
// RequireChallenge, if set, else the next step (nextStep). Managed login
// cannot show a challenge nobody can answer, so there it fails instead.
func (s *Server) afterPassword(u *user, p progress, now time.Time) (any, *apiError) {
	s.mu.Lock()
	challenge := u.challenge
	id := u.identity()
	s.mu.Unlock()
	if challenge != "" {
		if p.oauth != nil {
			return nil, errInvalidParameter("challenge " + challenge + " was set by RequireChallenge: cognitotest does not answer it")
		}
		sess := &challengeSession{user: u, challenge: challenge, unanswerable: true}
		return s.newChallenge(sess, requiredChallengeParameters(challenge, id), now), nil
	}
	return s.nextStep(u, p, now)
}

// nextStep answers a sign-in with its next challenge, in Cognito's order:
// NEW_PASSWORD_REQUIRED, while required; then, unless p.mfaDone, MFA: the
// preferred MFA factor, or the only one, or SELECT_MFA_TYPE among several,
// or MFA_SETUP when MFA is required and the user has no factor. A sign-in
// from a device meets DEVICE_SRP_AUTH in place of MFA when the device
// suppresses MFA (see skipsMFA), else once MFA is done. With nothing
// left, it issues tokens, or, in managed login, an authorization code.
func (s *Server) nextStep(u *user, p progress, now time.Time) (any, *apiError) {
	s.mu.Lock()
	newPassword := u.newPassword
	factors := u.factors()
	preferred := u.preferred
	skipMFA := p.device != nil && s.skipsMFA(p.device)
	s.mu.Unlock()
	mfaDue := !p.mfaDone && (len(factors) > 0 || s.cfg.mfaRequired)
	switch {
	case newPassword:
		return s.newPasswordChallenge(u, p, now), nil
	case p.device != nil && !p.deviceDone && (skipMFA || !mfaDue):
		return s.deviceChallenge(u, p, now), nil
	case p.mfaDone:
	case len(factors) == 0 && s.cfg.mfaRequired:
		sess := &challengeSession{user: u, challenge: challengeMFASetup, progress: p}
		return s.newChallenge(sess, map[string]string{"MFAS_CAN_SETUP": `["SOFTWARE_TOKEN_MFA"]`}, now), nil
	case preferred != "":
		return s.mfaChallenge(u, preferred, p, now)
	case len(factors) == 1:
		return s.mfaChallenge(u, factors[0], p, now)
	case len(factors) > 1:
		sess := &challengeSession{user: u, challenge: challengeSelectMFA, progress: p, offered: factors}
		return s.newChallenge(sess, map[string]string{"MFAS_CAN_CHOOSE": mustJSON(factors)}, now), nil
	}
	if p.oauth != nil {
		return s.issueCode(u, p.oauth, now, now), nil
	}
	return s.issueTokens(u, p.device, now)
}

// issueTokens finishes a sign-in: tokens and a new refresh token. The
// sign-in is bound to the device d it was made from; without one, on a
// pool with device tracking, it is bound to a new device, which the
// result hands out in NewDeviceMetadata for the client to confirm.
func (s *Server) issueTokens(u *user, d *device, now time.Time) (any, *apiError) {
	s.mu.Lock()
	id := u.identity()
	g := &refreshGrant{
		username:   u.username,
		clientID:   s.clientID,
		authTime:   now,
		originJTI:  newUUID(),
		eventID:    newUUID(),
		generation: u.generation,
		signOuts:   u.signOuts,
	}
	var meta *newDeviceMetadata
	switch {
	case d != nil:
		g.deviceKey = d.key
	case s.cfg.devices != nil:
		nd := s.devices.add(u, now)
		g.deviceKey = nd.key
		meta = &newDeviceMetadata{DeviceKey: nd.key, DeviceGroupKey: nd.groupKey}
	}
	s.mu.Unlock()
	res, e := s.mint(id, g, "", now)
	if e != nil {
		return nil, e
	}
	res.RefreshToken = newRefreshToken()
	res.NewDeviceMetadata = meta
	s.mu.Lock()
	s.refreshTokens[res.RefreshToken] = &refreshToken{grant: g}
	s.origins[g.originJTI] = g
	s.mu.Unlock()
	return &authOutput{AuthenticationResult: res, ChallengeParameters: map[string]string{}}, nil
}

// newChallenge stores sess under a new Session and returns the challenge:
// its name, params with USER_ID_FOR_SRP added, and the Session.
func (s *Server) newChallenge(sess *challengeSession, params map[string]string, now time.Time) *authOutput {
	if params == nil {
		params = map[string]string{}
	}
	params["USER_ID_FOR_SRP"] = sess.user.username
	return &authOutput{ChallengeName: sess.challenge, ChallengeParameters: params, Session: s.storeChallenge(sess, now)}
}

// storeChallenge keeps sess under a new random Session, which it returns,
// for the session lifetime from now. When the pending challenges are at
// their cap, the oldest is evicted.
func (s *Server) storeChallenge(sess *challengeSession, now time.Time) string {
	token := newSessionToken()
	sess.expires = now.Add(s.cfg.sessionLifetime)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.challenges.add(token, sess, now)
	return token
}

// takeChallenge removes and returns the live challenge of a Session, or
// nil when there is none (never issued, answered, or evicted) or it has
// expired.
func (s *Server) takeChallenge(token string, now time.Time) *challengeSession {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, _ := s.challenges.take(token, now)
	return sess
}

// newSessionToken returns an opaque Session: 96 random bytes, base64url
// without padding.
func newSessionToken() string {
	return base64.RawURLEncoding.EncodeToString(randomBytes(96))
}

func errSessionExpired() *apiError {
	return errNotAuthorized("Invalid session for the user, session is expired.")
}

// answerChallenge checks the answer to a challenge after PASSWORD_VERIFIER
// and goes on with the sign-in. The checks come in this order: the
// parameters the challenge needs (nothing is consumed yet), then the
// Session, which is consumed whatever follows, the SECRET_HASH over
// USERNAME, that USERNAME (the username or an alias) names the session's
// user, that the challenge is the session's, and last the answer itself.
func (s *Server) answerChallenge(in *respondInput) (any, *apiError) {
	resp := in.ChallengeResponses
	name := resp["USERNAME"]
	if name == "" {
		return nil, errInvalidParameter("Missing required parameter USERNAME")
	}
	for _, k := range answerKeys[in.ChallengeName] {
		if resp[k] == "" {
			return nil, errInvalidParameter("Missing required parameter " + k)
		}
	}
	if in.Session == "" {
		return nil, errInvalidParameter("Missing required parameter Session")
	}
	now := s.now()
	sess := s.takeChallenge(in.Session, now)
	if e := s.checkSecretHash(name, resp["SECRET_HASH"]); e != nil {
		return nil, e
	}
	if sess == nil {
		return nil, errSessionExpired()
	}
	s.mu.Lock()
	named := s.lookupUser(name) == sess.user
	s.mu.Unlock()
	if !named {
		return nil, errNotAuthorized("Invalid session for the user.")
	}
	if sess.progress.oauth != nil {
		// A managed-login sign-in's challenges are answered on its page.
		return nil, errSessionExpired()
	}
	return s.answer(sess, in.ChallengeName, resp, in.ClientMetadata, now)
}

// answer checks resp, the answer to the challenge challengeName, against
// sess, which the caller has taken from the store (the API after its
// checks of USERNAME and SECRET_HASH, managed login from its form), and
// goes on with the sign-in.
func (s *Server) answer(sess *challengeSession, challengeName string, resp, meta map[string]string, now time.Time) (any, *apiError) {
	if sess.unanswerable {
		return nil, errInvalidParameter("challenge " + sess.challenge + " was set by RequireChallenge: cognitotest does not answer it")
	}
	if challengeName != sess.challenge {
		// As Cognito answers an SMS_MFA_CODE sent for SOFTWARE_TOKEN_MFA.
		return nil, errCodeMismatch()
	}
	u, p := sess.user, sess.progress
	switch sess.challenge {
	case factorSMS, factorEmail:
		if !now.Before(sess.codeExpires) {
			return nil, &apiError{status: http.StatusBadRequest, typ: "ExpiredCodeException", msg: "Invalid code provided, please request a code again."}
		}
		if subtle.ConstantTimeCompare([]byte(resp[answerKeys[sess.challenge][0]]), []byte(sess.code)) != 1 {
			return nil, errCodeMismatch()
		}
		p.mfaDone = true
		return s.nextStep(u, p, now)
	case factorTOTP:
		s.mu.Lock()
		secret := u.totp
		s.mu.Unlock()
		if secret == "" || !s.checkTOTP(u, secret, resp["SOFTWARE_TOKEN_MFA_CODE"], now) {
			return nil, errCodeMismatch()
		}
		p.mfaDone = true
		return s.nextStep(u, p, now)
	case challengeSelectMFA:
		choice := resp["ANSWER"]
		if !slices.Contains(sess.offered, choice) {
			return nil, errInvalidParameter("ANSWER must be one of the factors in MFAS_CAN_CHOOSE: " + strings.Join(sess.offered, ", "))
		}
		return s.mfaChallenge(u, choice, p, now)
	case challengeNewPassword:
		return s.answerNewPassword(u, p, resp, now)
	case challengeMFASetup:
		if !sess.verified {
			// AssociateSoftwareToken and VerifySoftwareToken come first.
			return nil, errCodeMismatch()
		}
		p.mfaDone = true
		return s.nextStep(u, p, now)
	case challengeDeviceSRP:
		return s.answerDeviceSRP(sess, resp, now)
	case challengeDeviceProof:
		return s.answerDeviceProof(sess, resp, now)
	default: // challengeCustom
		return s.answerCustom(sess, resp["ANSWER"], meta, now)
	}
}

// RequireNewPassword makes the next sign-in of username stop, once the
// password has been verified, at NEW_PASSWORD_REQUIRED, as Cognito does for
// a user an administrator created with a temporary password. The challenge
// lists the user's attributes in userAttributes and requiredAttributes as
// "userAttributes.<name>"; the answer must carry NEW_PASSWORD (at least 8
// characters) and a non-empty userAttributes.<name> for each of them, and
// may set other attributes the same way. Once answered, the new password
// replaces the old one, the attributes are set (see
// [Server.UserAttribute]), and later sign-ins no longer stop there.
// RequireNewPassword panics for an unknown user and for an empty or
// prefixed attribute name.
func (s *Server) RequireNewPassword(username string, requiredAttributes ...string) {
	for _, a := range requiredAttributes {
		if a == "" || strings.HasPrefix(a, "userAttributes.") {
			panicf("RequireNewPassword: invalid attribute name %q", a)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.mustUser("RequireNewPassword", username)
	u.newPassword = true
	u.requiredAttrs = slices.Clone(requiredAttributes)
}

// UserAttribute returns the value of the user attribute name of username,
// or "" if it is unset: "sub", "email" and "email_verified" (from the first
// email alias), and those set by answering NEW_PASSWORD_REQUIRED. It panics
// for an unknown user.
func (s *Server) UserAttribute(username, name string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mustUser("UserAttribute", username).attrs[name]
}

// newPasswordChallenge returns NEW_PASSWORD_REQUIRED for u, with the user's
// attributes (sub left out, as Cognito does) and those required.
func (s *Server) newPasswordChallenge(u *user, p progress, now time.Time) *authOutput {
	s.mu.Lock()
	attrs := make(map[string]string, len(u.attrs))
	for k, v := range u.attrs {
		if k != "sub" {
			attrs[k] = v
		}
	}
	required := make([]string, 0, len(u.requiredAttrs))
	for _, a := range u.requiredAttrs {
		required = append(required, "userAttributes."+a)
	}
	s.mu.Unlock()
	sess := &challengeSession{user: u, challenge: challengeNewPassword, progress: p}
	return s.newChallenge(sess, map[string]string{
		"userAttributes":     mustJSON(attrs),
		"requiredAttributes": mustJSON(required),
	}, now)
}

// answerNewPassword checks a NEW_PASSWORD_REQUIRED answer and, when it
// passes, sets the new password and the attributes given.
func (s *Server) answerNewPassword(u *user, p progress, resp map[string]string, now time.Time) (any, *apiError) {
	password := resp["NEW_PASSWORD"]
	if utf8.RuneCountInString(password) < minPasswordLength {
		return nil, &apiError{status: http.StatusBadRequest, typ: "InvalidPasswordException", msg: "Password did not conform with policy: Password not long enough"}
	}
	attrs := map[string]string{}
	for k, v := range resp {
		if name, ok := strings.CutPrefix(k, "userAttributes."); ok && name != "" {
			attrs[name] = v
		}
	}
	if _, ok := attrs["sub"]; ok {
		return nil, errInvalidParameter("Cannot modify the non-mutable attribute sub")
	}
	s.mu.Lock()
	var missing []string
	for _, a := range u.requiredAttrs {
		if attrs[a] == "" {
			missing = append(missing, a)
		}
	}
	s.mu.Unlock()
	if len(missing) > 0 {
		return nil, errInvalidParameter("Invalid attributes given, " + joinAnd(missing) + " is missing")
	}
	salt := s.newSalt()
	verifier := srp.Verifier(new(big.Int).SetBytes(salt), s.poolName, u.username, password)
	s.mu.Lock()
	u.salt, u.verifier = salt, verifier
	for k, v := range attrs {
		u.attrs[k] = v
	}
	u.newPassword, u.requiredAttrs = false, nil
	s.mu.Unlock()
	return s.nextStep(u, p, now)
}

// joinAnd joins names as Cognito's messages do: "a", "a and b",
// "a, b and c".
func joinAnd(names []string) string {
	if len(names) == 1 {
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

// requiredChallengeParameters are the parameters of a challenge set by
// RequireChallenge: what Cognito sends with it, enough for clients that
// parse them (amazon-cognito-identity-js reads userAttributes and
// requiredAttributes of NEW_PASSWORD_REQUIRED as JSON).
func requiredChallengeParameters(challenge string, id identity) map[string]string {
	p := map[string]string{}
	switch challenge {
	case challengeNewPassword:
		attrs := map[string]string{}
		if id.email != "" {
			attrs["email"], attrs["email_verified"] = id.email, "true"
		}
		p["userAttributes"] = mustJSON(attrs)
		p["requiredAttributes"] = `[]`
	case factorSMS:
		p["CODE_DELIVERY_DELIVERY_MEDIUM"] = "SMS"
		p["CODE_DELIVERY_DESTINATION"] = "+*******0000"
	case challengeMFASetup:
		p["MFAS_CAN_SETUP"] = `["SOFTWARE_TOKEN_MFA"]`
	case challengeSelectMFA:
		p["MFAS_CAN_CHOOSE"] = `["SMS_MFA","SOFTWARE_TOKEN_MFA"]`
	}
	return p
}

// mustJSON encodes v, a map or slice of strings, which always encodes.
func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panicf("encoding challenge parameters: %v", err)
	}
	return string(b)
}
