package cognito

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-e8acf5fd/cognito/internal/srp"
)

// The user of the scripted pool: signs in with the alias, is "alice-id"
// in the pool.
const (
	scriptAlias     = "alice@example.com"
	scriptUser      = "alice-id"
	scriptTOTPKey   = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
	scriptNewPasswd = "n3w passw0rd!"
)

// scriptStep is one challenge the scripted pool sets, and the check of
// the responses to it (nil error: accepted).
type scriptStep struct {
	name   types.ChallengeNameType
	params map[string]string
	check  func(resp map[string]string) error
}

// scriptPool is a fake user pool that answers USER_PASSWORD_AUTH (and
// CUSTOM_AUTH without SRP) for one user with a scripted series of
// challenges, checking every wire detail of each answer: the challenge
// name, USERNAME (the pool's name, never the alias), SECRET_HASH over it,
// and the session chain, which changes at every step and at
// AssociateSoftwareToken and VerifySoftwareToken.
type scriptPool struct {
	*fakeAPI
	t        *testing.T
	clock    *fakeClock
	secret   string // the app client's secret, if any
	password string
	steps    []scriptStep

	mu       sync.Mutex
	at       int    // the step being answered
	session  string // the session the next call must carry
	seq      int
	assoc    int // AssociateSoftwareToken calls
	verified int // VerifySoftwareToken calls
	answered []map[string]string
}

func newScriptPool(t *testing.T, steps ...scriptStep) *scriptPool {
	p := &scriptPool{t: t, clock: newClock(time.Now()), password: "s3cret pw", steps: steps}
	p.fakeAPI = &fakeAPI{initiate: p.initiateAuth, respond: p.respondToAuthChallenge}
	return p
}

func (p *scriptPool) config(h ChallengeHandler) Config {
	return Config{UserPoolID: "us-east-1_AbC123", ClientID: "client123", ClientSecret: p.secret,
		Username: scriptAlias, Password: p.password, Flow: FlowPassword, Challenge: h}
}

// next answers with step i, or tokens after the last step.
func (p *scriptPool) next() (*types.AuthenticationResultType, types.ChallengeNameType, map[string]string, *string) {
	p.seq++
	if p.at == len(p.steps) {
		p.session = ""
		return tokens(scriptUser, p.clock.Now(), time.Hour, true, fmt.Sprintf("rt-%d", p.seq), p.seq), "", nil, nil
	}
	st := p.steps[p.at]
	params := map[string]string{"USER_ID_FOR_SRP": scriptUser}
	for k, v := range st.params {
		params[k] = v
	}
	p.session = fmt.Sprintf("session-%d", p.seq)
	return nil, st.name, params, aws.String(p.session)
}

func (p *scriptPool) initiateAuth(_ context.Context, in *cip.InitiateAuthInput) (*cip.InitiateAuthOutput, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch in.AuthFlow {
	case types.AuthFlowTypeRefreshTokenAuth:
		return nil, &types.NotAuthorizedException{Message: aws.String("Refresh Token has been revoked")}
	case types.AuthFlowTypeUserPasswordAuth:
		if in.AuthParameters["PASSWORD"] != p.password {
			return nil, &types.NotAuthorizedException{Message: aws.String("Incorrect username or password.")}
		}
	case types.AuthFlowTypeCustomAuth:
	default:
		return nil, &types.InvalidParameterException{Message: aws.String("flow")}
	}
	if in.AuthParameters["USERNAME"] != scriptAlias {
		return nil, &types.NotAuthorizedException{Message: aws.String("Incorrect username or password.")}
	}
	if p.secret != "" && in.AuthParameters["SECRET_HASH"] != wantHash(p.secret, scriptAlias, "client123") {
		return nil, &types.NotAuthorizedException{Message: aws.String("Unable to verify secret hash")}
	}
	p.at = 0
	res, name, params, session := p.next()
	return &cip.InitiateAuthOutput{AuthenticationResult: res, ChallengeName: name, ChallengeParameters: params, Session: session}, nil
}

func (p *scriptPool) respondToAuthChallenge(_ context.Context, in *cip.RespondToAuthChallengeInput) (*cip.RespondToAuthChallengeOutput, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	resp := in.ChallengeResponses
	p.answered = append(p.answered, resp)
	badSession := &types.NotAuthorizedException{Message: aws.String("Invalid session for the user, session is expired.")}
	switch {
	case p.session == "" || aws.ToString(in.Session) != p.session:
		return nil, badSession
	case p.at >= len(p.steps) || in.ChallengeName != p.steps[p.at].name:
		return nil, &types.InvalidParameterException{Message: aws.String("wrong challenge name " + string(in.ChallengeName))}
	case resp["USERNAME"] != scriptUser:
		return nil, &types.InvalidParameterException{Message: aws.String("USERNAME is not the pool's name: " + resp["USERNAME"])}
	case p.secret != "" && resp["SECRET_HASH"] != wantHash(p.secret, scriptUser, "client123"):
		return nil, &types.NotAuthorizedException{Message: aws.String("Unable to verify secret hash")}
	}
	p.session = "" // single use
	if check := p.steps[p.at].check; check != nil {
		if err := check(resp); err != nil {
			return nil, err
		}
	}
	if p.steps[p.at].name == types.ChallengeNameTypeNewPasswordRequired {
		p.password = resp["NEW_PASSWORD"]
	}
	p.at++
	res, name, params, session := p.next()
	return &cip.RespondToAuthChallengeOutput{AuthenticationResult: res, ChallengeName: name, ChallengeParameters: params, Session: session}, nil
}

func (p *scriptPool) AssociateSoftwareToken(_ context.Context, in *cip.AssociateSoftwareTokenInput, _ ...func(*cip.Options)) (*cip.AssociateSoftwareTokenOutput, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.assoc++
	if p.session == "" || aws.ToString(in.Session) != p.session {
		return nil, &types.NotAuthorizedException{Message: aws.String("Invalid session")}
	}
	p.session = "associated"
	return &cip.AssociateSoftwareTokenOutput{SecretCode: aws.String(scriptTOTPKey), Session: aws.String(p.session)}, nil
}

func (p *scriptPool) VerifySoftwareToken(_ context.Context, in *cip.VerifySoftwareTokenInput, _ ...func(*cip.Options)) (*cip.VerifySoftwareTokenOutput, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.verified++
	if p.session != "associated" || aws.ToString(in.Session) != p.session {
		return nil, &types.NotAuthorizedException{Message: aws.String("Invalid session")}
	}
	if !validTOTP(aws.ToString(in.UserCode), scriptTOTPKey) {
		return nil, &types.EnableSoftwareTokenMFAException{Message: aws.String("Code mismatch")}
	}
	p.session = "verified"
	return &cip.VerifySoftwareTokenOutput{Status: types.VerifySoftwareTokenResponseTypeSuccess, Session: aws.String(p.session)}, nil
}

func validTOTP(code, secret string) bool {
	ok, err := totp.ValidateCustom(code, secret, time.Now(), totp.ValidateOpts{Period: 30, Skew: 1, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	return err == nil && ok
}

// wantResponse is a check that the responses carry key = want.
func wantResponse(key, want string) func(map[string]string) error {
	return func(resp map[string]string) error {
		if resp[key] != want {
			return &types.CodeMismatchException{Message: aws.String("Invalid code or auth state for the user.")}
		}
		return nil
	}
}

// recorder is a handler that answers from a table and records what it
// was asked.
type recorder struct {
	mu      sync.Mutex
	asked   []*Challenge
	answers map[types.ChallengeNameType]*Answer
}

func (r *recorder) AnswerChallenge(_ context.Context, c *Challenge) (*Answer, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.asked = append(r.asked, c)
	a, ok := r.answers[c.Name]
	if !ok {
		return nil, &ChallengeError{Challenge: c.Name}
	}
	if c.Name == types.ChallengeNameTypeMfaSetup {
		code, err := totpCode(c.SecretCode, time.Now())
		if err != nil {
			return nil, err
		}
		return &Answer{Code: code}, nil
	}
	return a, nil
}

func (r *recorder) names() []types.ChallengeNameType {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []types.ChallengeNameType
	for _, c := range r.asked {
		out = append(out, c.Name)
	}
	return out
}

func TestChallengeChains(t *testing.T) {
	t.Parallel()
	newPassword := scriptStep{
		name:   types.ChallengeNameTypeNewPasswordRequired,
		params: map[string]string{"requiredAttributes": `["userAttributes.name"]`, "userAttributes": `{"email":"alice@example.com"}`},
		check: func(resp map[string]string) error {
			if resp["NEW_PASSWORD"] != scriptNewPasswd || resp["userAttributes.name"] != "Alice" {
				return &types.InvalidParameterException{Message: aws.String("bad new password answer")}
			}
			return nil
		},
	}
	setUp := scriptStep{name: types.ChallengeNameTypeMfaSetup, params: map[string]string{"MFAS_CAN_SETUP": `["SOFTWARE_TOKEN_MFA"]`}}
	selectMFA := scriptStep{
		name:   types.ChallengeNameTypeSelectMfaType,
		params: map[string]string{"MFAS_CAN_CHOOSE": `["SMS_MFA","SOFTWARE_TOKEN_MFA"]`},
		check:  wantResponse("ANSWER", "SOFTWARE_TOKEN_MFA"),
	}
	softwareToken := scriptStep{
		name: types.ChallengeNameTypeSoftwareTokenMfa,
		check: func(resp map[string]string) error {
			if !validTOTP(resp["SOFTWARE_TOKEN_MFA_CODE"], scriptTOTPKey) {
				return &types.CodeMismatchException{Message: aws.String("Invalid code or auth state for the user.")}
			}
			return nil
		},
	}
	sms := scriptStep{name: types.ChallengeNameTypeSmsMfa, params: map[string]string{"CODE_DELIVERY_DESTINATION": "+*******0000"}, check: wantResponse("SMS_MFA_CODE", "111111")}
	email := scriptStep{name: types.ChallengeNameTypeEmailOtp, check: wantResponse("EMAIL_OTP_CODE", "222222")}
	custom := scriptStep{name: types.ChallengeNameTypeCustomChallenge, params: map[string]string{"question": "2+2"}, check: wantResponse("ANSWER", "4")}
	answers := map[types.ChallengeNameType]*Answer{
		types.ChallengeNameTypeNewPasswordRequired: {NewPassword: scriptNewPasswd, Attributes: map[string]string{"name": "Alice"}},
		types.ChallengeNameTypeMfaSetup:            {}, // the recorder computes the code
		types.ChallengeNameTypeSmsMfa:              {Code: "111111"},
		types.ChallengeNameTypeEmailOtp:            {Code: "222222"},
		types.ChallengeNameTypeCustomChallenge:     {Responses: map[string]string{"ANSWER": "4"}},
	}
	for _, tc := range []struct {
		name    string
		steps   []scriptStep
		handler func(*recorder) ChallengeHandler
	}{
		{"new password, then MFA set-up", []scriptStep{newPassword, setUp}, nil},
		{"select MFA type, then TOTP", []scriptStep{selectMFA, softwareToken}, func(*recorder) ChallengeHandler { return TOTP(scriptTOTPKey) }},
		{"SMS", []scriptStep{sms}, nil},
		{"email OTP", []scriptStep{email}, nil},
		{"new password, then SMS", []scriptStep{newPassword, sms}, nil},
		{"custom, twice", []scriptStep{custom, custom}, nil},
	} {
		for _, secret := range []string{"", "client s3cret"} {
			t.Run(fmt.Sprintf("%s/secret=%t", tc.name, secret != ""), func(t *testing.T) {
				t.Parallel()
				p := newScriptPool(t, tc.steps...)
				p.secret = secret
				rec := &recorder{answers: answers}
				var h ChallengeHandler = rec
				if tc.handler != nil {
					h = tc.handler(rec)
				}
				conf := p.config(h)
				_, ts := testSource(t, conf, p, p.clock, nil)
				tok, err := ts.Token()
				require.NoError(t, err)
				assert.NotEmpty(t, IDToken(tok))
				require.Len(t, p.answered, len(tc.steps), "one RespondToAuthChallenge per challenge")
				if tc.handler == nil {
					var want []types.ChallengeNameType
					for _, st := range tc.steps {
						want = append(want, st.name)
					}
					assert.Equal(t, want, rec.names())
					for _, c := range rec.asked {
						assert.Equal(t, scriptUser, c.Username, "the handler sees the pool's name, not the alias")
					}
				}
			})
		}
	}
}

// TestChallengeMFASetUp: the handler gets the secret from
// AssociateSoftwareToken, its code goes to VerifySoftwareToken, and only
// then is MFA_SETUP answered, each with the session of the step before.
func TestChallengeMFASetUp(t *testing.T) {
	t.Parallel()
	p := newScriptPool(t, scriptStep{name: types.ChallengeNameTypeMfaSetup, params: map[string]string{"MFAS_CAN_SETUP": `["SOFTWARE_TOKEN_MFA"]`}})
	var got *Challenge
	var code string
	h := ChallengeFunc(func(_ context.Context, c *Challenge) (*Answer, error) {
		got = c
		var err error
		code, err = totpCode(c.SecretCode, time.Now())
		return &Answer{Code: code}, err
	})
	_, ts := testSource(t, p.config(h), p, p.clock, nil)
	_, err := ts.Token()
	require.NoError(t, err)
	assert.Equal(t, 1, p.assoc)
	assert.Equal(t, 1, p.verified)
	require.NotNil(t, got)
	assert.Equal(t, scriptTOTPKey, got.SecretCode)
	assert.Equal(t, []types.ChallengeNameType{types.ChallengeNameTypeSoftwareTokenMfa}, got.Factors())
	uri, err := url.Parse(got.OTPAuthURI("Example"))
	require.NoError(t, err)
	assert.Equal(t, "otpauth", uri.Scheme)
	assert.Equal(t, "totp", uri.Host)
	assert.Equal(t, "/Example:"+scriptUser, uri.Path)
	assert.Equal(t, scriptTOTPKey, uri.Query().Get("secret"))
	assert.Equal(t, "Example", uri.Query().Get("issuer"))
	assert.NotContains(t, slices.Collect(maps.Values(p.answered[0])), code, "the code goes to VerifySoftwareToken, not to MFA_SETUP")

	// A wrong first code stops at VerifySoftwareToken.
	p = newScriptPool(t, scriptStep{name: types.ChallengeNameTypeMfaSetup})
	h = func(context.Context, *Challenge) (*Answer, error) { return &Answer{Code: "000000x"}, nil }
	_, ts = testSource(t, p.config(h), p, p.clock, nil)
	_, err = ts.Token()
	var mismatch *types.EnableSoftwareTokenMFAException
	require.ErrorAs(t, err, &mismatch)
	assert.Empty(t, p.answered)
	assert.NotContains(t, err.Error(), scriptTOTPKey)

	// An API without the two methods gets a clear error, not a panic.
	p = newScriptPool(t, scriptStep{name: types.ChallengeNameTypeMfaSetup})
	_, ts = testSource(t, p.config(h), p.fakeAPI, p.clock, nil)
	_, err = ts.Token()
	require.ErrorContains(t, err, "AssociateSoftwareToken")
}

// TestChallengeNewPasswordKept: after NEW_PASSWORD_REQUIRED, the source's
// next sign-in uses the new password; the caller's Config is unchanged.
func TestChallengeNewPasswordKept(t *testing.T) {
	t.Parallel()
	p := newScriptPool(t, scriptStep{name: types.ChallengeNameTypeNewPasswordRequired})
	conf := p.config(ChallengeFunc(func(context.Context, *Challenge) (*Answer, error) {
		return &Answer{NewPassword: scriptNewPasswd}, nil
	}))
	s, ts := testSource(t, conf, p, p.clock, nil)
	_, err := s.attempt()
	require.NoError(t, err)
	p.steps = nil       // the pool asks no more
	s.refreshToken = "" // force a sign-in
	_, err = s.attempt()
	require.NoError(t, err, "the second sign-in uses the new password")
	assert.Equal(t, "s3cret pw", conf.Password, "the caller's Config is not changed")
	assert.Equal(t, 2, p.count(types.AuthFlowTypeUserPasswordAuth))
	_ = ts

	// The old and new passwords stay out of errors.
	p.password = "something else"
	s.refreshToken = ""
	p.initiate = func(context.Context, *cip.InitiateAuthInput) (*cip.InitiateAuthOutput, error) {
		return nil, errors.New("echo: s3cret pw / " + scriptNewPasswd)
	}
	_, err = s.attempt()
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "s3cret pw")
	assert.NotContains(t, err.Error(), scriptNewPasswd)
}

// TestChallengeWrongCode: a wrong code fails the Token call at once with
// the SDK's error; no second sign-in, and the cache backs off as for a
// wrong password.
func TestChallengeWrongCode(t *testing.T) {
	t.Parallel()
	p := newScriptPool(t, scriptStep{name: types.ChallengeNameTypeSmsMfa, check: wantResponse("SMS_MFA_CODE", "111111")})
	var calls int
	var mu sync.Mutex
	h := ChallengeFunc(func(context.Context, *Challenge) (*Answer, error) {
		mu.Lock()
		calls++
		mu.Unlock()
		return &Answer{Code: "999999"}, nil
	})
	_, ts := testSource(t, p.config(h), p, p.clock, nil)
	_, err := ts.Token()
	var mismatch *types.CodeMismatchException
	require.ErrorAs(t, err, &mismatch)
	assert.Contains(t, err.Error(), "SMS_MFA")
	assert.NotContains(t, err.Error(), "999999")
	assert.Equal(t, 1, p.count(types.AuthFlowTypeUserPasswordAuth))
	assert.Len(t, p.answered, 1)
	// Within the back-off, Token answers from memory.
	_, err = ts.Token()
	require.ErrorAs(t, err, &mismatch)
	assert.Equal(t, 1, p.count(types.AuthFlowTypeUserPasswordAuth))
	assert.Equal(t, 1, calls)
}

// TestChallengeHandlerError: the handler's error comes back wrapped,
// unchanged, and nothing is sent for the challenge.
func TestChallengeHandlerError(t *testing.T) {
	t.Parallel()
	errCancelled := errors.New("the user cancelled")
	p := newScriptPool(t, scriptStep{name: types.ChallengeNameTypeSoftwareTokenMfa})
	h := ChallengeFunc(func(context.Context, *Challenge) (*Answer, error) { return nil, errCancelled })
	_, ts := testSource(t, p.config(h), p, p.clock, nil)
	_, err := ts.Token()
	require.ErrorIs(t, err, errCancelled)
	assert.Empty(t, p.answered)

	// No answer, or an answer without what the challenge needs, is an
	// error too.
	for _, tc := range []struct {
		name   types.ChallengeNameType
		answer *Answer
		want   string
	}{
		{types.ChallengeNameTypeSoftwareTokenMfa, nil, "no answer"},
		{types.ChallengeNameTypeSoftwareTokenMfa, &Answer{}, "no Code"},
		{types.ChallengeNameTypeSelectMfaType, &Answer{Code: "1"}, "no MFA"},
		{types.ChallengeNameTypeNewPasswordRequired, &Answer{}, "no NewPassword"},
		{types.ChallengeNameTypeCustomChallenge, &Answer{}, "no ANSWER"},
	} {
		p := newScriptPool(t, scriptStep{name: tc.name, params: map[string]string{"requiredAttributes": `["userAttributes.name"]`}})
		h := ChallengeFunc(func(context.Context, *Challenge) (*Answer, error) { return tc.answer, nil })
		_, ts := testSource(t, p.config(h), p, p.clock, nil)
		_, err := ts.Token()
		require.ErrorContains(t, err, tc.want, tc.name)
		assert.Empty(t, p.answered)
	}
	// A required attribute left out is named.
	p = newScriptPool(t, scriptStep{name: types.ChallengeNameTypeNewPasswordRequired, params: map[string]string{"requiredAttributes": `["userAttributes.name"]`}})
	h = func(context.Context, *Challenge) (*Answer, error) { return &Answer{NewPassword: scriptNewPasswd}, nil }
	_, ts = testSource(t, p.config(h), p, p.clock, nil)
	_, err = ts.Token()
	require.ErrorContains(t, err, `"name"`)
}

// TestChallengeHandlerHangs: a handler that ignores its context is
// abandoned after ChallengeTimeout; the token source carries on and the
// next attempt asks again.
func TestChallengeHandlerHangs(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	var once sync.Once
	t.Cleanup(func() { once.Do(func() { close(release) }) })
	var mu sync.Mutex
	var asked, running, most int
	p := newScriptPool(t, scriptStep{name: types.ChallengeNameTypeSoftwareTokenMfa})
	conf := p.config(ChallengeFunc(func(context.Context, *Challenge) (*Answer, error) {
		mu.Lock()
		asked++
		running++
		most = max(most, running)
		mu.Unlock()
		<-release // ignores ctx
		mu.Lock()
		running--
		mu.Unlock()
		return &Answer{Code: "123456"}, nil
	}))
	conf.ChallengeTimeout = 50 * time.Millisecond
	_, ts := testSource(t, conf, p, p.clock, nil)

	// Many callers wait for the one sign-in, and all are released when
	// the handler is abandoned.
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			_, err := ts.Token()
			assert.ErrorIs(t, err, context.DeadlineExceeded)
			assert.ErrorContains(t, err, "did not answer")
		})
	}
	wg.Wait()
	assert.Empty(t, p.answered)

	// The long back-off follows, as after a wrong code: no new sign-in.
	p.clock.Advance(2 * time.Second)
	_, err := ts.Token()
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Equal(t, 1, p.count(types.AuthFlowTypeUserPasswordAuth))

	// After it, the handler is not called while the abandoned call runs.
	p.clock.Advance(20 * time.Minute)
	_, err = ts.Token()
	require.ErrorContains(t, err, "has not returned")
	mu.Lock()
	assert.Equal(t, 1, asked)
	mu.Unlock()

	// Once it has returned, the next sign-in asks again.
	once.Do(func() { close(release) })
	p.clock.Advance(20 * time.Minute)
	_, err = ts.Token()
	require.NoError(t, err)
	mu.Lock()
	assert.Equal(t, 2, asked)
	assert.Equal(t, 1, most, "never two calls at once")
	mu.Unlock()

	// The handler's context ends at ChallengeTimeout, so a handler that
	// watches it returns.
	conf.Challenge = ChallengeFunc(func(ctx context.Context, _ *Challenge) (*Answer, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	})
	_, ts = testSource(t, conf, p, p.clock, nil)
	_, err = ts.Token()
	require.ErrorIs(t, err, context.DeadlineExceeded)
}

// TestChallengeHandlerBackOff: a handler's error, a panic or an empty
// answer is followed by the long back-off, so that the password (and an
// SMS code) is not sent again every second.
func TestChallengeHandlerBackOff(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		handler ChallengeFunc
		want    string
	}{
		{"error", func(context.Context, *Challenge) (*Answer, error) { return nil, errors.New("user cancelled") }, "user cancelled"},
		{"panic", func(context.Context, *Challenge) (*Answer, error) { panic("boom") }, "panicked: boom"},
		{"no answer", func(context.Context, *Challenge) (*Answer, error) { return nil, nil }, "no answer"},
		{"empty answer", func(context.Context, *Challenge) (*Answer, error) { return &Answer{}, nil }, "no Code"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := newScriptPool(t, scriptStep{name: types.ChallengeNameTypeSmsMfa})
			_, ts := testSource(t, p.config(tc.handler), p, p.clock, nil)
			_, err := ts.Token()
			require.ErrorContains(t, err, tc.want)
			p.clock.Advance(40 * time.Second)
			_, err = ts.Token()
			require.ErrorContains(t, err, tc.want)
			assert.Equal(t, 1, p.count(types.AuthFlowTypeUserPasswordAuth), "no second sign-in within the back-off")
			p.clock.Advance(2 * time.Minute)
			_, err = ts.Token()
			require.ErrorContains(t, err, tc.want)
			assert.Equal(t, 2, p.count(types.AuthFlowTypeUserPasswordAuth), "one after it")
		})
	}
}

// TestChallengeUsernameParameter: the pool's name is read from USERNAME
// when the challenge has no USER_ID_FOR_SRP, as Cognito sends custom and
// MFA challenges; the answer and SECRET_HASH use it, not the alias.
func TestChallengeUsernameParameter(t *testing.T) {
	t.Parallel()
	api := &fakeAPI{
		initiate: func(context.Context, *cip.InitiateAuthInput) (*cip.InitiateAuthOutput, error) {
			return &cip.InitiateAuthOutput{ChallengeName: types.ChallengeNameTypeCustomChallenge,
				ChallengeParameters: map[string]string{"USERNAME": scriptUser}, Session: aws.String("s1")}, nil
		},
		respond: func(_ context.Context, in *cip.RespondToAuthChallengeInput) (*cip.RespondToAuthChallengeOutput, error) {
			if in.ChallengeResponses["USERNAME"] != scriptUser || in.ChallengeResponses["SECRET_HASH"] != wantHash("cs", scriptUser, "client123") {
				return nil, &types.NotAuthorizedException{Message: aws.String("Unable to verify secret hash")}
			}
			return &cip.RespondToAuthChallengeOutput{AuthenticationResult: tokens(scriptUser, time.Now(), time.Hour, true, "rt", 1)}, nil
		},
	}
	var got string
	conf := Config{UserPoolID: "us-east-1_AbC123", ClientID: "client123", ClientSecret: "cs", Username: scriptAlias, Flow: FlowCustom,
		Challenge: ChallengeFunc(func(_ context.Context, c *Challenge) (*Answer, error) {
			got = c.Username
			return &Answer{Code: "x"}, nil
		})}
	_, ts := testSource(t, conf, api, newClock(time.Now()), nil)
	_, err := ts.Token()
	require.NoError(t, err)
	assert.Equal(t, scriptUser, got)
}

// TestChallengeNetworkTimeAfterHandler: the calls after a slow handler get
// the attempt's timeout afresh, so a person may take longer than
// AttemptTimeout to type a code.
func TestChallengeNetworkTimeAfterHandler(t *testing.T) {
	t.Parallel()
	p := newScriptPool(t, scriptStep{name: types.ChallengeNameTypeSmsMfa, check: wantResponse("SMS_MFA_CODE", "111111")})
	conf := p.config(ChallengeFunc(func(context.Context, *Challenge) (*Answer, error) {
		time.Sleep(150 * time.Millisecond)
		return &Answer{Code: "111111"}, nil
	}))
	s, _ := testSource(t, conf, p, p.clock, nil)
	s.timeout = 100 * time.Millisecond
	respond := p.respond
	p.respond = func(ctx context.Context, in *cip.RespondToAuthChallengeInput) (*cip.RespondToAuthChallengeOutput, error) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		return respond(ctx, in)
	}
	_, err := s.attempt()
	require.NoError(t, err)
}

// TestChallengeNotOnRenewal: a renewal never calls the handler.
func TestChallengeNotOnRenewal(t *testing.T) {
	t.Parallel()
	var asked int
	api := &fakeAPI{initiate: func(context.Context, *cip.InitiateAuthInput) (*cip.InitiateAuthOutput, error) {
		return &cip.InitiateAuthOutput{ChallengeName: types.ChallengeNameTypeSmsMfa, Session: aws.String("s")}, nil
	}}
	conf := baseConfig()
	conf.Challenge = ChallengeFunc(func(context.Context, *Challenge) (*Answer, error) {
		asked++
		return &Answer{Code: "1"}, nil
	})
	s, _ := testSource(t, conf, api, newClock(time.Now()), expiredToken("alice", "rt"))
	_, err := s.refresh(context.Background())
	var ce *ChallengeError
	require.ErrorAs(t, err, &ce)
	assert.Zero(t, asked)
	assert.Empty(t, api.responds)
}

// TestChallengeCustomAuth: FlowCustom with a password opens with SRP (SRP_A
// and CHALLENGE_NAME=SRP_A), answers PASSWORD_VERIFIER, then custom
// challenges until tokens; without a password it sends the name alone.
func TestChallengeCustomAuth(t *testing.T) {
	t.Parallel()
	v := loadVectors(t)[0]
	when, err := time.Parse(srp.TimestampLayout, v.Timestamp)
	require.NoError(t, err)
	clock := newClock(when)
	api := vectorAPI(v, time.Hour, clock.Now)
	verify := api.respond
	rounds := 0
	api.respond = func(ctx context.Context, in *cip.RespondToAuthChallengeInput) (*cip.RespondToAuthChallengeOutput, error) {
		switch in.ChallengeName {
		case types.ChallengeNameTypePasswordVerifier:
			if aws.ToString(in.Session) != "session-1" {
				return nil, errors.New("PASSWORD_VERIFIER lost its session")
			}
			if _, err := verify(ctx, in); err != nil {
				return nil, err
			}
		case types.ChallengeNameTypeCustomChallenge:
			if in.ChallengeResponses["ANSWER"] != fmt.Sprint(rounds) || aws.ToString(in.Session) != fmt.Sprint("custom-", rounds) {
				return nil, &types.NotAuthorizedException{Message: aws.String("Incorrect answer")}
			}
			if rounds == 2 {
				return &cip.RespondToAuthChallengeOutput{AuthenticationResult: tokens(v.UserID, clock.Now(), time.Hour, true, "rt", 1)}, nil
			}
		default:
			return nil, errors.New("unexpected challenge")
		}
		rounds++
		return &cip.RespondToAuthChallengeOutput{
			ChallengeName:       types.ChallengeNameTypeCustomChallenge,
			ChallengeParameters: map[string]string{"round": fmt.Sprint(rounds), "USERNAME": v.UserID},
			Session:             aws.String(fmt.Sprint("custom-", rounds)),
		}, nil
	}
	conf := Config{UserPoolID: v.PoolID, ClientID: "c", Username: v.UserID, Password: v.Password, Flow: FlowCustom,
		Challenge: ChallengeFunc(func(_ context.Context, c *Challenge) (*Answer, error) {
			return &Answer{Code: c.Parameters["round"]}, nil
		})}
	s, _ := testSource(t, conf, api, clock, nil)
	s.rand = bytes.NewReader(secretOf(t, v))
	_, err = s.attempt()
	require.NoError(t, err)
	in := api.lastInit()
	assert.Equal(t, types.AuthFlowTypeCustomAuth, in.AuthFlow)
	assert.Equal(t, "SRP_A", in.AuthParameters["CHALLENGE_NAME"])
	assert.Equal(t, v.Signature, api.responds[0].ChallengeResponses["PASSWORD_CLAIM_SIGNATURE"])
	assert.Len(t, api.responds, 3)

	// Without a password: the user name alone, no SRP.
	p := newScriptPool(t, scriptStep{name: types.ChallengeNameTypeCustomChallenge, check: wantResponse("ANSWER", "magic")})
	conf = p.config(ChallengeFunc(func(context.Context, *Challenge) (*Answer, error) {
		return &Answer{Responses: map[string]string{"ANSWER": "magic"}}, nil
	}))
	conf.Password, conf.Flow = "", FlowCustom
	_, ts := testSource(t, conf, p, p.clock, nil)
	_, err = ts.Token()
	require.NoError(t, err)
	in = p.lastInit()
	assert.Equal(t, types.AuthFlowTypeCustomAuth, in.AuthFlow)
	assert.NotContains(t, in.AuthParameters, "SRP_A")
	assert.NotContains(t, in.AuthParameters, "PASSWORD")
}

// TestChallengeEndless: a server that keeps setting challenges is given up
// on.
func TestChallengeEndless(t *testing.T) {
	t.Parallel()
	var steps []scriptStep
	for range 100 {
		steps = append(steps, scriptStep{name: types.ChallengeNameTypeCustomChallenge})
	}
	p := newScriptPool(t, steps...)
	conf := p.config(ChallengeFunc(func(context.Context, *Challenge) (*Answer, error) {
		return &Answer{Code: "x"}, nil
	}))
	_, ts := testSource(t, conf, p, p.clock, nil)
	_, err := ts.Token()
	require.ErrorContains(t, err, "challenges in a row")
	assert.Len(t, p.answered, maxChallenges)
}

// TestTOTP checks the codes against RFC 6238's SHA-1 test vectors (the
// last six digits of their eight) and the handler's choices.
func TestTOTP(t *testing.T) {
	t.Parallel()
	const secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ" // "12345678901234567890"
	for _, tc := range []struct {
		unix int64
		want string
	}{
		{59, "287082"}, {1111111109, "081804"}, {1111111111, "050471"},
		{1234567890, "005924"}, {2000000000, "279037"}, {20000000000, "353130"},
	} {
		got, err := totpCode(secret, time.Unix(tc.unix, 0))
		require.NoError(t, err)
		assert.Equal(t, tc.want, got, tc.unix)
	}
	// Lower case and spaces, as people copy secrets, give the same code.
	got, err := totpCode("gezd gnbv gy3t qojq gezd gnbv gy3t qojq", time.Unix(59, 0))
	require.NoError(t, err)
	assert.Equal(t, "287082", got)

	h := totpHandler{secret: secret, now: func() time.Time { return time.Unix(59, 0) }}
	a, err := h.AnswerChallenge(context.Background(), &Challenge{Name: types.ChallengeNameTypeSoftwareTokenMfa})
	require.NoError(t, err)
	assert.Equal(t, "287082", a.Code)
	a, err = h.AnswerChallenge(context.Background(), &Challenge{Name: types.ChallengeNameTypeSelectMfaType})
	require.NoError(t, err)
	assert.Equal(t, types.ChallengeNameTypeSoftwareTokenMfa, a.MFA)
	_, err = h.AnswerChallenge(context.Background(), &Challenge{Name: types.ChallengeNameTypeSmsMfa})
	var ce *ChallengeError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, types.ChallengeNameTypeSmsMfa, ce.Challenge)

	_, err = TOTP("not base32 !!!").AnswerChallenge(context.Background(), &Challenge{Name: types.ChallengeNameTypeSoftwareTokenMfa})
	require.ErrorContains(t, err, "base32")
	assert.NotContains(t, err.Error(), "not base32 !!!")
}

func TestChallengeHelpers(t *testing.T) {
	t.Parallel()
	c := &Challenge{Name: types.ChallengeNameTypeNewPasswordRequired, Parameters: map[string]string{
		"requiredAttributes": `["userAttributes.name","userAttributes.custom:team"]`,
	}}
	assert.Equal(t, []string{"name", "custom:team"}, c.RequiredAttributes())
	c.Parameters["requiredAttributes"] = "not json"
	assert.Nil(t, c.RequiredAttributes())
	c = &Challenge{Name: types.ChallengeNameTypeSelectMfaType, Parameters: map[string]string{"MFAS_CAN_CHOOSE": `["SMS_MFA","SOFTWARE_TOKEN_MFA"]`}}
	assert.Equal(t, []types.ChallengeNameType{types.ChallengeNameTypeSmsMfa, types.ChallengeNameTypeSoftwareTokenMfa}, c.Factors())
	assert.Empty(t, c.OTPAuthURI("x"), "no secret, no URI")
	h := TOTP(scriptTOTPKey)
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		assert.NotContains(t, fmt.Sprintf(verb, h), scriptTOTPKey[:8], verb)
	}
}

// TestChallengeFormatting: printing a challenge or an answer shows no
// secret.
func TestChallengeFormatting(t *testing.T) {
	t.Parallel()
	c := &Challenge{Name: types.ChallengeNameTypeMfaSetup, Username: "alice", SecretCode: scriptTOTPKey}
	a := &Answer{Code: "123456", NewPassword: scriptNewPasswd, Attributes: map[string]string{"name": "Alice Q"}, Responses: map[string]string{"ANSWER": "s3cret answer"}}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		out := fmt.Sprintf(verb, c) + fmt.Sprintf(verb, a) + fmt.Sprintf(verb, *c) + fmt.Sprintf(verb, *a)
		for _, secret := range []string{scriptTOTPKey, "123456", scriptNewPasswd, "Alice Q", "s3cret answer"} {
			assert.NotContains(t, out, secret, verb)
		}
		assert.Contains(t, out, "MFA_SETUP")
		assert.Contains(t, out, "ANSWER")
	}
}

// TestChallengeAfterSRP: PASSWORD_VERIFIER, then SMS_MFA, then tokens; the
// SMS answer carries the pool's name and the session of the challenge.
func TestChallengeAfterSRP(t *testing.T) {
	t.Parallel()
	v := loadVectors(t)[1]
	when, err := time.Parse(srp.TimestampLayout, v.Timestamp)
	require.NoError(t, err)
	clock := newClock(when)
	api := vectorAPI(v, time.Hour, clock.Now)
	verify := api.respond
	api.respond = func(ctx context.Context, in *cip.RespondToAuthChallengeInput) (*cip.RespondToAuthChallengeOutput, error) {
		switch in.ChallengeName {
		case types.ChallengeNameTypePasswordVerifier:
			if _, err := verify(ctx, in); err != nil {
				return nil, err
			}
			return &cip.RespondToAuthChallengeOutput{
				ChallengeName:       types.ChallengeNameTypeSmsMfa,
				ChallengeParameters: map[string]string{"CODE_DELIVERY_DESTINATION": "+*******1234", "USER_ID_FOR_SRP": v.UserID},
				Session:             aws.String("sms-session"),
			}, nil
		case types.ChallengeNameTypeSmsMfa:
			r := in.ChallengeResponses
			if aws.ToString(in.Session) != "sms-session" || r["USERNAME"] != v.UserID || r["SMS_MFA_CODE"] != "424242" {
				return nil, &types.CodeMismatchException{Message: aws.String("Invalid code or auth state for the user.")}
			}
			return &cip.RespondToAuthChallengeOutput{AuthenticationResult: tokens(v.UserID, clock.Now(), time.Hour, true, "rt", 1)}, nil
		}
		return nil, errors.New("unexpected challenge")
	}
	var asked *Challenge
	conf := Config{UserPoolID: v.PoolID, ClientID: "c", Username: "typed-alias@example.com", Password: v.Password,
		Challenge: ChallengeFunc(func(_ context.Context, c *Challenge) (*Answer, error) {
			asked = c
			return &Answer{Code: "424242"}, nil
		})}
	s, _ := testSource(t, conf, api, clock, nil)
	s.rand = bytes.NewReader(secretOf(t, v))
	_, err = s.attempt()
	require.NoError(t, err)
	require.NotNil(t, asked)
	assert.Equal(t, v.UserID, asked.Username)
	assert.Equal(t, "+*******1234", asked.Parameters["CODE_DELIVERY_DESTINATION"])
	assert.Len(t, api.responds, 2)
}
