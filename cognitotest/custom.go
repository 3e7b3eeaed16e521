package cognitotest

import (
	"crypto/subtle"
	"maps"
	"math/big"
	"net/http"
	"slices"
	"time"
)

// CustomAuth stands in for the three Lambda triggers of a pool's custom
// authentication (AuthFlow CUSTOM_AUTH), and has the same division of
// work: Define decides, after each step, whether the sign-in fails, gets
// tokens, or meets another challenge; Create makes a CUSTOM_CHALLENGE;
// Verify judges its answer. Set it with [WithCustomAuth].
//
// A sign-in goes like this. InitiateAuth with AuthFlow CUSTOM_AUTH and
// USERNAME calls Define with an empty session; with SRP_A and
// CHALLENGE_NAME "SRP_A" in AuthParameters too (as amazon-cognito-identity-js
// sends them), the session holds one result, SRP_A, and Define may answer
// PASSWORD_VERIFIER: the client then gets the usual SRP challenge (and a
// Session, which its answer must carry), a right answer adds
// PASSWORD_VERIFIER to the session, and a wrong one fails the sign-in with
// NotAuthorizedException. When Define answers CUSTOM_CHALLENGE, Create makes
// the challenge: the client gets PublicChallengeParameters as
// ChallengeParameters (with USER_ID_FOR_SRP) and a Session, and answers
// with RespondToAuthChallenge CUSTOM_CHALLENGE, USERNAME and ANSWER. Verify
// gets the answer with PrivateChallengeParameters, and its verdict is added
// to the session, with Create's ChallengeMetadata, before Define is called
// again. Define's FailAuthentication ends the sign-in with
// NotAuthorizedException "Incorrect username or password." (it wins over
// IssueTokens); IssueTokens ends it with tokens, without the
// NEW_PASSWORD_REQUIRED and MFA challenges of the other flows. An unknown
// user fails as in the other flows (with SRP_A, at the PASSWORD_VERIFIER
// answer) and the functions are not called for it.
//
// The functions are called without any lock held, possibly concurrently
// for different sign-ins; they may call the Server's methods. An error
// from one fails the request with UserLambdaValidationException
// "<trigger> failed with error <error>.", as a Lambda's does, so its text
// reaches the client. The requests they get are copies.
type CustomAuth struct {
	// Define is the define auth challenge trigger. When nil, the sign-in
	// goes SRP_A → PASSWORD_VERIFIER → CUSTOM_CHALLENGE (or straight to
	// CUSTOM_CHALLENGE without SRP_A), tokens after one right answer, and
	// fails after three wrong ones.
	Define func(DefineRequest) (DefineResponse, error)

	// Create is the create auth challenge trigger. When nil, it "sends"
	// a random six-digit code, which [Server.LastCode] returns, and asks
	// for it: no public parameters, the code in the private parameter
	// "answer", and ChallengeMetadata "CODE".
	Create func(CreateRequest) (CreateResponse, error)

	// Verify is the verify auth challenge response trigger: it reports
	// whether the answer is right. When nil, the answer is right when it
	// equals the private parameter "answer" (compared in constant time).
	Verify func(VerifyRequest) (bool, error)
}

// ChallengeResult is one step of a custom sign-in, as the triggers see it
// in their request's Session.
type ChallengeResult struct {
	// ChallengeName is "SRP_A", "PASSWORD_VERIFIER" or "CUSTOM_CHALLENGE".
	ChallengeName string
	// ChallengeResult reports whether the step succeeded (SRP_A and a
	// PASSWORD_VERIFIER in the session always have).
	ChallengeResult bool
	// ChallengeMetadata is what Create returned for a CUSTOM_CHALLENGE.
	ChallengeMetadata string
}

// DefineRequest is what the define auth challenge trigger gets.
type DefineRequest struct {
	// Username is the user's Cognito username, whatever alias they typed.
	Username string
	// UserAttributes are the user's attributes, sub included.
	UserAttributes map[string]string
	// Session holds the steps so far, oldest first.
	Session []ChallengeResult
	// ClientMetadata is the ClientMetadata of the request being answered.
	ClientMetadata map[string]string
}

// DefineResponse is the define auth challenge trigger's decision.
type DefineResponse struct {
	// ChallengeName is the next challenge, "CUSTOM_CHALLENGE" or (after
	// SRP_A) "PASSWORD_VERIFIER", when neither flag below is set.
	ChallengeName string
	// IssueTokens ends the sign-in with tokens.
	IssueTokens bool
	// FailAuthentication ends the sign-in with NotAuthorizedException.
	FailAuthentication bool
}

// CreateRequest is what the create auth challenge trigger gets.
type CreateRequest struct {
	// Username is the user's Cognito username.
	Username string
	// UserAttributes are the user's attributes, sub included.
	UserAttributes map[string]string
	// ChallengeName is the challenge to create: "CUSTOM_CHALLENGE".
	ChallengeName string
	// Session holds the steps so far, oldest first.
	Session []ChallengeResult
	// ClientMetadata is the ClientMetadata of the request being answered.
	ClientMetadata map[string]string
}

// CreateResponse is the challenge the create auth challenge trigger made.
type CreateResponse struct {
	// PublicChallengeParameters go to the client as ChallengeParameters.
	PublicChallengeParameters map[string]string
	// PrivateChallengeParameters go to Verify, typically the right answer.
	PrivateChallengeParameters map[string]string
	// ChallengeMetadata is kept in the session's ChallengeResult.
	ChallengeMetadata string
}

// VerifyRequest is what the verify auth challenge response trigger gets.
type VerifyRequest struct {
	// Username is the user's Cognito username.
	Username string
	// UserAttributes are the user's attributes, sub included.
	UserAttributes map[string]string
	// PrivateChallengeParameters are those Create returned.
	PrivateChallengeParameters map[string]string
	// ChallengeAnswer is the ANSWER the client sent.
	ChallengeAnswer string
	// ClientMetadata is the ClientMetadata of the answer.
	ClientMetadata map[string]string
}

// WithCustomAuth enables AuthFlow CUSTOM_AUTH, with a's functions standing
// in for the pool's Lambda triggers (see [CustomAuth]; nil ones get the
// defaults documented there, so WithCustomAuth(CustomAuth{}) gives a
// sign-in by password and emailed code). Without it, CUSTOM_AUTH fails with
// InvalidParameterException, as in a pool without the triggers.
func WithCustomAuth(a CustomAuth) Option {
	return func(c *config) { c.custom = &a }
}

// customFlow is one CUSTOM_AUTH sign-in: the client's SRP_A, if it sent
// one, and the steps so far. It passes from session to session, so only
// the request that took the current session touches it.
type customFlow struct {
	a       *big.Int
	history []ChallengeResult
}

// startCustom answers InitiateAuth with AuthFlow CUSTOM_AUTH.
func (s *Server) startCustom(params, meta map[string]string) (any, *apiError) {
	if s.cfg.custom == nil {
		return nil, errInvalidParameter("Custom auth lambda trigger is not configured for the user pool.")
	}
	if params["CHALLENGE_NAME"] == "SRP_A" {
		name, a, e := s.srpStartParams(params)
		if e != nil {
			return nil, e
		}
		c := s.credentialsFor(name)
		flow := &customFlow{a: a, history: []ChallengeResult{{ChallengeName: "SRP_A", ChallengeResult: true}}}
		if c.user == nil {
			// As in USER_SRP_AUTH: a simulated challenge that no answer
			// satisfies.
			sess, block, e := s.newSRPSession(c, a, flow)
			if e != nil {
				return nil, e
			}
			return srpChallenge(c, sess, block), nil
		}
		return s.continueCustom(c.user, flow, meta, s.now())
	}
	name := params["USERNAME"]
	if name == "" {
		return nil, errInvalidParameter("Missing required parameter USERNAME")
	}
	if e := s.checkSecretHash(name, params["SECRET_HASH"]); e != nil {
		return nil, e
	}
	s.mu.Lock()
	u := s.lookupUser(name)
	s.mu.Unlock()
	if u == nil {
		return nil, errNotAuthorized(badCredentials)
	}
	return s.continueCustom(u, &customFlow{}, meta, s.now())
}

// continueCustom asks Define what comes next in flow, and does it.
func (s *Server) continueCustom(u *user, flow *customFlow, meta map[string]string, now time.Time) (any, *apiError) {
	define := s.cfg.custom.Define
	if define == nil {
		define = defaultDefine
	}
	d, err := define(DefineRequest{Username: u.username, UserAttributes: s.attributes(u), Session: slices.Clone(flow.history), ClientMetadata: maps.Clone(meta)})
	if err != nil {
		return nil, lambdaFailed("DefineAuthChallenge", err)
	}
	switch {
	case d.FailAuthentication:
		return nil, errNotAuthorized(badCredentials)
	case d.IssueTokens:
		return s.issueTokens(u, nil, now)
	case d.ChallengeName == challengeCustom:
		c, err := s.createChallenge(u, CreateRequest{Username: u.username, UserAttributes: s.attributes(u), ChallengeName: challengeCustom, Session: slices.Clone(flow.history), ClientMetadata: maps.Clone(meta)})
		if err != nil {
			return nil, lambdaFailed("CreateAuthChallenge", err)
		}
		sess := &challengeSession{user: u, challenge: challengeCustom, custom: flow, private: maps.Clone(c.PrivateChallengeParameters), metadata: c.ChallengeMetadata}
		return s.newChallenge(sess, maps.Clone(c.PublicChallengeParameters), now), nil
	case d.ChallengeName == "PASSWORD_VERIFIER" && flow.a != nil:
		s.mu.Lock()
		c := userCredentials(u)
		s.mu.Unlock()
		sess, block, e := s.newSRPSession(c, flow.a, flow)
		if e != nil {
			return nil, e
		}
		return srpChallenge(c, sess, block), nil
	case d.ChallengeName == "PASSWORD_VERIFIER":
		return nil, errInvalidLambdaResponse("DefineAuthChallenge chose PASSWORD_VERIFIER, but InitiateAuth sent no SRP_A")
	default:
		return nil, errInvalidLambdaResponse("DefineAuthChallenge chose neither IssueTokens, FailAuthentication, CUSTOM_CHALLENGE nor PASSWORD_VERIFIER")
	}
}

// answerCustom judges the answer to a CUSTOM_CHALLENGE with Verify, adds
// the verdict to the sign-in's session and asks Define what comes next.
func (s *Server) answerCustom(sess *challengeSession, answer string, meta map[string]string, now time.Time) (any, *apiError) {
	u := sess.user
	verify := s.cfg.custom.Verify
	if verify == nil {
		verify = defaultVerify
	}
	ok, err := verify(VerifyRequest{Username: u.username, UserAttributes: s.attributes(u), PrivateChallengeParameters: maps.Clone(sess.private), ChallengeAnswer: answer, ClientMetadata: maps.Clone(meta)})
	if err != nil {
		return nil, lambdaFailed("VerifyAuthChallengeResponse", err)
	}
	sess.custom.history = append(sess.custom.history, ChallengeResult{ChallengeName: challengeCustom, ChallengeResult: ok, ChallengeMetadata: sess.metadata})
	return s.continueCustom(u, sess.custom, meta, now)
}

// createChallenge calls Create, or the default: a code "sent" to u.
func (s *Server) createChallenge(u *user, req CreateRequest) (CreateResponse, error) {
	if f := s.cfg.custom.Create; f != nil {
		return f(req)
	}
	code := newCode()
	s.mu.Lock()
	u.lastCode = code
	s.mu.Unlock()
	return CreateResponse{PrivateChallengeParameters: map[string]string{"answer": code}, ChallengeMetadata: "CODE"}, nil
}

// maxWrongAnswers is how many wrong answers the default Define allows.
const maxWrongAnswers = 3

// defaultDefine is Define when CustomAuth has none: SRP_A, then
// PASSWORD_VERIFIER, then CUSTOM_CHALLENGE until one right answer (tokens)
// or maxWrongAnswers wrong ones (failure).
func defaultDefine(req DefineRequest) (DefineResponse, error) {
	h := req.Session
	if len(h) == 0 {
		return DefineResponse{ChallengeName: challengeCustom}, nil
	}
	wrong := 0
	for _, r := range h {
		if r.ChallengeName == challengeCustom && !r.ChallengeResult {
			wrong++
		}
	}
	last := h[len(h)-1]
	switch {
	case last.ChallengeName == "SRP_A":
		return DefineResponse{ChallengeName: "PASSWORD_VERIFIER"}, nil
	case !last.ChallengeResult && (last.ChallengeName != challengeCustom || wrong >= maxWrongAnswers):
		return DefineResponse{FailAuthentication: true}, nil
	case last.ChallengeName == challengeCustom && last.ChallengeResult:
		return DefineResponse{IssueTokens: true}, nil
	default: // a right PASSWORD_VERIFIER, or a wrong answer with tries left
		return DefineResponse{ChallengeName: challengeCustom}, nil
	}
}

// defaultVerify is Verify when CustomAuth has none.
func defaultVerify(req VerifyRequest) (bool, error) {
	want := req.PrivateChallengeParameters["answer"]
	return want != "" && subtle.ConstantTimeCompare([]byte(req.ChallengeAnswer), []byte(want)) == 1, nil
}

// attributes returns a copy of u's attributes.
func (s *Server) attributes(u *user) map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(u.attrs)
}

// lambdaFailed is the error of a trigger that returned err, as Cognito
// reports a Lambda trigger's failure.
func lambdaFailed(trigger string, err error) *apiError {
	return &apiError{status: http.StatusBadRequest, typ: "UserLambdaValidationException", msg: trigger + " failed with error " + err.Error() + "."}
}

func errInvalidLambdaResponse(msg string) *apiError {
	return &apiError{status: http.StatusBadRequest, typ: "InvalidLambdaResponseException", msg: "Invalid lambda response: " + msg}
}
