package cognitotest

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"io"
	"math/big"
	"regexp"
	"strings"
	"time"

	"github.com/seed-e8acf5fd/cognito/internal/srp"
)

const (
	// sessionLifetime is how long a PASSWORD_VERIFIER challenge can be
	// answered, on the server's clock.
	sessionLifetime = 3 * time.Minute
	// defaultSessionLifetime and maxSessionLifetime bound how long the
	// Session of a later challenge can be answered (WithSessionLifetime),
	// as an app client's AuthSessionValidity does.
	defaultSessionLifetime = 3 * time.Minute
	maxSessionLifetime     = 15 * time.Minute
	// timestampWindow is how far a TIMESTAMP may be from the server's clock.
	timestampWindow = 5 * time.Minute
	// badCredentials is Cognito's message for every failed password check,
	// unknown users included (prevent-user-existence-errors mode).
	badCredentials = "Incorrect username or password."
)

// srpSession is one PASSWORD_VERIFIER challenge waiting for its answer,
// kept in the Server's sessions under its decoded SECRET_BLOCK.
type srpSession struct {
	storeEntry
	user   *user // nil for an unknown user: the challenge is simulated
	userID string
	a      *big.Int
	srv    *srp.Server
	// custom is the CUSTOM_AUTH sign-in the challenge is a step of, nil
	// for USER_SRP_AUTH; the answer must then carry token as its Session.
	custom *customFlow
	token  string
	// deviceKey is the DEVICE_KEY that InitiateAuth sent, "" for none;
	// one in the answer takes its place.
	deviceKey string
}

// authOutput is the response of InitiateAuth and RespondToAuthChallenge:
// either tokens or a challenge. ChallengeParameters is always present, as
// real Cognito sends it.
type authOutput struct {
	AuthenticationResult *authResult `json:",omitempty"`
	ChallengeName        string      `json:",omitempty"`
	ChallengeParameters  map[string]string
	Session              string `json:",omitempty"`
}

type initiateAuthInput struct {
	appClient
	AuthFlow       string
	AuthParameters map[string]string
	ClientMetadata map[string]string
}

// authFlowPattern is the shape of an AuthFlow value, safe to echo back.
var authFlowPattern = regexp.MustCompile(`^[A-Z_]{1,40}$`)

func (s *Server) initiateAuth(in *initiateAuthInput) (any, *apiError) {
	switch in.AuthFlow {
	case "USER_SRP_AUTH":
		return s.startSRP(in.AuthParameters)
	case "USER_PASSWORD_AUTH":
		return s.passwordAuth(in.AuthParameters)
	case "REFRESH_TOKEN_AUTH", "REFRESH_TOKEN":
		return s.refresh(in.AuthFlow, in.AuthParameters)
	case "CUSTOM_AUTH":
		return s.startCustom(in.AuthParameters, in.ClientMetadata)
	case "":
		return nil, errInvalidParameter("Missing required parameter AuthFlow")
	default:
		if authFlowPattern.MatchString(in.AuthFlow) {
			return nil, errInvalidParameter("AuthFlow " + in.AuthFlow + " is not supported by cognitotest")
		}
		return nil, errInvalidParameter("invalid AuthFlow")
	}
}

// startSRP answers USER_SRP_AUTH with a PASSWORD_VERIFIER challenge. An
// unknown user gets a simulated challenge that no answer satisfies, as
// Cognito does when it prevents user-existence errors.
func (s *Server) startSRP(params map[string]string) (any, *apiError) {
	name, a, e := s.srpStartParams(params)
	if e != nil {
		return nil, e
	}
	c := s.credentialsFor(name)
	sess, block, e := s.newSRPSession(c, a, nil)
	if e != nil {
		return nil, e
	}
	sess.deviceKey = params["DEVICE_KEY"]
	return srpChallenge(c, sess, block), nil
}

// srpStartParams checks the parameters of USER_SRP_AUTH and returns the
// name typed and the client's public value A.
func (s *Server) srpStartParams(params map[string]string) (string, *big.Int, *apiError) {
	name := params["USERNAME"]
	if name == "" {
		return "", nil, errInvalidParameter("Missing required parameter USERNAME")
	}
	if params["SRP_A"] == "" {
		return "", nil, errInvalidParameter("Missing required parameter SRP_A")
	}
	if e := s.checkSecretHash(name, params["SECRET_HASH"]); e != nil {
		return "", nil, e
	}
	a, err := srp.ParseHex(params["SRP_A"])
	if err != nil || new(big.Int).Mod(a, srp.N()).Sign() == 0 {
		return "", nil, errInvalidParameter("SRP_A is not a valid SRP public value")
	}
	return name, a, nil
}

// credentials are what a sign-in checks a password against: a user's
// salt and verifier, or, for a name that is not a user, simulated ones.
type credentials struct {
	user     *user  // nil when simulated
	userID   string // USER_ID_FOR_SRP
	salt     []byte
	verifier *big.Int
}

// credentialsFor returns the credentials of the user that name (a username
// or an alias) signs in as, or simulated ones when there is no such user.
func (s *Server) credentialsFor(name string) credentials {
	// The simulated credentials are derived for every name, users
	// included, so that looking a name up costs the same either way.
	salt, verifier := s.fakeCredentials(name)
	s.mu.Lock()
	defer s.mu.Unlock()
	if u := s.lookupUser(name); u != nil {
		return userCredentials(u)
	}
	return credentials{userID: name, salt: salt, verifier: verifier}
}

// userCredentials returns u's credentials. It must be called with the
// Server's mu held: a new password replaces them.
func userCredentials(u *user) credentials {
	return credentials{user: u, userID: u.username, salt: u.salt, verifier: u.verifier}
}

// fakeCredentials returns the simulated credentials of a name that is not
// a user: a salt that is the same on every attempt and in any letter case,
// so that repeated attempts look like those of a real user, and a verifier
// that nobody knows the password for. The verifier is a number below N of
// N's size, like a real one, so that the arithmetic on it costs what it
// costs for a user. Both come from HMAC-SHA256 under the server's fakeKey.
func (s *Server) fakeCredentials(name string) (salt []byte, verifier *big.Int) {
	key := nameKey(name)
	prf := func(label string, i byte) []byte {
		m := hmac.New(sha256.New, s.fakeKey)
		io.WriteString(m, label)
		m.Write([]byte{0, i})
		io.WriteString(m, key)
		return m.Sum(nil)
	}
	salt = prf("salt", 0)[:16]
	n := srp.N()
	// 16 bytes more than N has, so that reducing modulo N leaves no
	// noticeable bias.
	want := (n.BitLen()+7)/8 + 16
	buf := make([]byte, 0, want+sha256.Size)
	for i := byte(0); len(buf) < want; i++ {
		buf = append(buf, prf("verifier", i)...)
	}
	verifier = new(big.Int).SetBytes(buf)
	return salt, verifier.Mod(verifier, n)
}

// newSRPSession draws the server's ephemeral key pair for c and the
// client's A, and stores the session under a new random SECRET_BLOCK,
// which it returns. custom is the CUSTOM_AUTH sign-in it is a step of, or
// nil; with one, the session gets a Session token too.
func (s *Server) newSRPSession(c credentials, a *big.Int, custom *customFlow) (*srpSession, []byte, *apiError) {
	srv, err := srp.NewServer(rand.Reader, c.verifier)
	if err != nil {
		return nil, nil, errInternal("generating the SRP challenge failed")
	}
	sess := &srpSession{user: c.user, userID: c.userID, a: a, srv: srv, custom: custom}
	if custom != nil {
		sess.token = newSessionToken()
	}
	block := randomBytes(64)
	s.storeSession(block, sess, s.now())
	return sess, block, nil
}

// storeSession keeps sess under block for sessionLifetime from now. When
// the pending sessions are at their cap, the oldest is evicted.
func (s *Server) storeSession(block []byte, sess *srpSession, now time.Time) {
	sess.expires = now.Add(sessionLifetime)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sessions.add(string(block), sess, now)
}

// srpChallenge is the PASSWORD_VERIFIER challenge of a new session, with
// a Session when it is a step of CUSTOM_AUTH.
func srpChallenge(c credentials, sess *srpSession, block []byte) *authOutput {
	return &authOutput{
		ChallengeName: "PASSWORD_VERIFIER",
		ChallengeParameters: map[string]string{
			"SALT":            hex.EncodeToString(c.salt),
			"SRP_B":           sess.srv.PublicHex(),
			"SECRET_BLOCK":    base64.StdEncoding.EncodeToString(block),
			"USER_ID_FOR_SRP": c.userID,
			"USERNAME":        c.userID,
		},
		Session: sess.token,
	}
}

type respondInput struct {
	appClient
	ChallengeName      string
	ChallengeResponses map[string]string
	Session            string
	ClientMetadata     map[string]string
}

func (s *Server) respondToAuthChallenge(in *respondInput) (any, *apiError) {
	switch {
	case in.ChallengeName == "PASSWORD_VERIFIER":
		return s.answerPasswordVerifier(in)
	case answerKeys[in.ChallengeName] != nil:
		return s.answerChallenge(in)
	case in.ChallengeName == "":
		return nil, errInvalidParameter("Missing required parameter ChallengeName")
	case challengeNamePattern.MatchString(in.ChallengeName):
		return nil, errInvalidParameter("answering challenge " + in.ChallengeName + " is not supported by cognitotest")
	default:
		return nil, errInvalidParameter("invalid ChallengeName")
	}
}

// answerPasswordVerifier checks a PASSWORD_VERIFIER answer. In USER_SRP_AUTH
// the Session, if any, is ignored: the SECRET_BLOCK names the session. In
// CUSTOM_AUTH the Session must be the one sent with the challenge.
func (s *Server) answerPasswordVerifier(in *respondInput) (any, *apiError) {
	resp := in.ChallengeResponses
	for _, k := range []string{"USERNAME", "PASSWORD_CLAIM_SECRET_BLOCK", "PASSWORD_CLAIM_SIGNATURE", "TIMESTAMP"} {
		if resp[k] == "" {
			return nil, errInvalidParameter("Missing required parameter " + k)
		}
	}
	username, timestamp := resp["USERNAME"], resp["TIMESTAMP"]
	block, err := base64.StdEncoding.DecodeString(resp["PASSWORD_CLAIM_SECRET_BLOCK"])
	if err != nil {
		return nil, errNotAuthorized(badCredentials)
	}
	now := s.now()
	sess := s.takeSession(block, now)
	if e := s.checkSecretHash(username, resp["SECRET_HASH"]); e != nil {
		return nil, e
	}
	if sess == nil || !strings.EqualFold(username, sess.userID) || !timestampValid(timestamp, now) {
		return nil, errNotAuthorized(badCredentials)
	}
	if sess.custom != nil && subtle.ConstantTimeCompare([]byte(in.Session), []byte(sess.token)) != 1 {
		return nil, errSessionExpired()
	}
	// The claim of a simulated session is checked too, and fails: an
	// unknown user costs what a wrong password costs.
	if !s.claimValid(sess, resp["PASSWORD_CLAIM_SIGNATURE"], block, timestamp) || sess.user == nil {
		return nil, errNotAuthorized(badCredentials)
	}
	if sess.custom != nil {
		sess.custom.history = append(sess.custom.history, ChallengeResult{ChallengeName: "PASSWORD_VERIFIER", ChallengeResult: true})
		return s.continueCustom(sess.user, sess.custom, in.ClientMetadata, now)
	}
	deviceKey := resp["DEVICE_KEY"]
	if deviceKey == "" {
		deviceKey = sess.deviceKey
	}
	d, e := s.signInDevice(sess.user, deviceKey)
	if e != nil {
		// The right proof with a device the pool does not know: the same
		// answer without the device may follow, as the reference clients
		// send it (amazon-cognito-identity-js, Amplify), so the session
		// stays.
		s.restoreSession(block, sess, now)
		return nil, e
	}
	return s.afterPassword(sess.user, progress{device: d}, now)
}

// restoreSession puts back a session that takeSession removed, with the
// expiry it had.
func (s *Server) restoreSession(block []byte, sess *srpSession, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sessions.add(string(block), sess, now)
}

// claimValid reports whether signature is the PASSWORD_CLAIM_SIGNATURE
// that the session's key gives block and timestamp.
func (s *Server) claimValid(sess *srpSession, signature string, block []byte, timestamp string) bool {
	s.checked("srp")
	key, err := sess.srv.Key(sess.a)
	return err == nil && srp.VerifySignature(signature, key, s.poolName, sess.userID, block, timestamp)
}

// takeSession removes and returns the live session of a SECRET_BLOCK, or
// nil when there is none (never stored, answered, or evicted) or it has
// expired: a block can be answered once, whatever the outcome.
func (s *Server) takeSession(block []byte, now time.Time) *srpSession {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, _ := s.sessions.take(string(block), now)
	return sess
}

// timestampValid reports whether ts is written exactly as Cognito's clients
// write it (day of month unpadded, 24-hour clock) and is within
// timestampWindow of now.
func timestampValid(ts string, now time.Time) bool {
	t, err := time.Parse(srp.TimestampLayout, ts)
	if err != nil || t.Format(srp.TimestampLayout) != ts {
		return false
	}
	d := now.Truncate(time.Second).Sub(t) // TIMESTAMP has whole seconds
	return -timestampWindow <= d && d <= timestampWindow
}

// passwordAuth answers USER_PASSWORD_AUTH.
func (s *Server) passwordAuth(params map[string]string) (any, *apiError) {
	name := params["USERNAME"]
	if name == "" {
		return nil, errInvalidParameter("Missing required parameter USERNAME")
	}
	if e := s.checkSecretHash(name, params["SECRET_HASH"]); e != nil {
		return nil, e
	}
	password := params["PASSWORD"]
	if password == "" {
		return nil, errInvalidParameter("Missing required parameter PASSWORD")
	}
	c := s.credentialsFor(name)
	// An unknown name is checked too, against its simulated verifier, and
	// fails: it costs what a wrong password costs.
	if !s.passwordMatches(c, password) || c.user == nil {
		return nil, errNotAuthorized(badCredentials)
	}
	d, e := s.signInDevice(c.user, params["DEVICE_KEY"])
	if e != nil {
		return nil, e
	}
	return s.afterPassword(c.user, progress{device: d}, s.now())
}

// passwordMatches reports whether password gives c's verifier. It
// recomputes the verifier, since only the verifier is stored, and
// compares in constant time.
func (s *Server) passwordMatches(c credentials, password string) bool {
	s.checked("password")
	got := srp.Verifier(new(big.Int).SetBytes(c.salt), s.poolName, c.userID, password)
	size := (srp.N().BitLen() + 7) / 8
	return subtle.ConstantTimeCompare(got.FillBytes(make([]byte, size)), c.verifier.FillBytes(make([]byte, size))) == 1
}

// checked tells the package's tests, through config.checked, that a
// password check of the kind named ("password" or "srp") ran.
func (s *Server) checked(kind string) {
	if s.cfg.checked != nil {
		s.cfg.checked(kind)
	}
}

// clientSecretOK reports whether got is the app client's secret (compared
// in constant time), or the client has none. The operations that take the
// secret itself rather than a SECRET_HASH use it.
func (s *Server) clientSecretOK(got string) bool {
	return s.clientSecret == "" || subtle.ConstantTimeCompare([]byte(got), []byte(s.clientSecret)) == 1
}

// checkSecretHash verifies SECRET_HASH = base64(HMAC-SHA256(secret,
// username ‖ client ID)) in constant time when the client has a secret. A
// SECRET_HASH sent to a client without a secret is ignored.
func (s *Server) checkSecretHash(username, got string) *apiError {
	if s.clientSecret == "" {
		return nil
	}
	m := hmac.New(sha256.New, []byte(s.clientSecret))
	io.WriteString(m, username)
	io.WriteString(m, s.clientID)
	sum, err := base64.StdEncoding.DecodeString(got)
	if got == "" || err != nil || !hmac.Equal(sum, m.Sum(nil)) {
		return errNotAuthorized("Unable to verify secret hash for client " + s.clientID)
	}
	return nil
}
