package cognito

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"math/big"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-e8acf5fd/cognito/internal/srp"
)

// devicePool is a fake pool with device tracking for one user ("alice",
// MFA by SMS code "123456"): a sign-in from an unknown device meets
// SMS_MFA and gets NewDeviceMetadata; one from a confirmed, remembered
// device meets DEVICE_SRP_AUTH instead, checked with a real SRP server
// holding the verifier ConfirmDevice registered.
type devicePool struct {
	*fakeAPI
	t     *testing.T
	clock *fakeClock
	optIn bool // UserConfirmationNecessary

	mu         sync.Mutex
	key, group string
	verifier   *big.Int
	salt       []byte
	remembered bool
	forgotten  bool
	confirms   int
	srv        *srp.Server
	a          *big.Int
	block      []byte
	deviceSRP  int // DEVICE_PASSWORD_VERIFIER answers accepted
	seq        int
}

func newDevicePool(t *testing.T) *devicePool {
	p := &devicePool{t: t, clock: newClock(time.Now()), key: "us-east-1_5f3c0d9e-aaaa-bbbb-cccc-0123456789ab", group: "-Gx7yZ"}
	p.fakeAPI = &fakeAPI{initiate: p.initiateAuth, respond: p.respondToAuthChallenge}
	return p
}

func (p *devicePool) tokens(newDevice bool) *types.AuthenticationResultType {
	p.seq++
	r := tokens("alice", p.clock.Now(), time.Hour, true, "rt", p.seq)
	if newDevice {
		r.NewDeviceMetadata = &types.NewDeviceMetadataType{DeviceKey: aws.String(p.key), DeviceGroupKey: aws.String(p.group)}
	}
	return r
}

func (p *devicePool) initiateAuth(_ context.Context, in *cip.InitiateAuthInput) (*cip.InitiateAuthOutput, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if in.AuthFlow == types.AuthFlowTypeRefreshTokenAuth {
		if p.verifier != nil && in.AuthParameters["DEVICE_KEY"] != p.key {
			return nil, &types.NotAuthorizedException{Message: aws.String("Invalid Refresh Token")}
		}
		return &cip.InitiateAuthOutput{AuthenticationResult: p.tokens(false)}, nil
	}
	if in.AuthParameters["PASSWORD"] != "s3cret pw" {
		return nil, &types.NotAuthorizedException{Message: aws.String("Incorrect username or password.")}
	}
	if dk := in.AuthParameters["DEVICE_KEY"]; dk != "" {
		if p.forgotten || dk != p.key {
			return nil, &types.ResourceNotFoundException{Message: aws.String("Device does not exist.")}
		}
		if p.verifier != nil && (p.remembered || !p.optIn) {
			return &cip.InitiateAuthOutput{ChallengeName: types.ChallengeNameTypeDeviceSrpAuth,
				ChallengeParameters: map[string]string{"USERNAME": "alice"}, Session: aws.String("dev-1")}, nil
		}
	}
	return &cip.InitiateAuthOutput{ChallengeName: types.ChallengeNameTypeSmsMfa,
		ChallengeParameters: map[string]string{"USER_ID_FOR_SRP": "alice"}, Session: aws.String("sms-1")}, nil
}

func (p *devicePool) respondToAuthChallenge(_ context.Context, in *cip.RespondToAuthChallengeInput) (*cip.RespondToAuthChallengeOutput, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	r := in.ChallengeResponses
	switch in.ChallengeName {
	case types.ChallengeNameTypeSmsMfa:
		if r["SMS_MFA_CODE"] != "123456" {
			return nil, &types.CodeMismatchException{Message: aws.String("Invalid code or auth state for the user.")}
		}
		return &cip.RespondToAuthChallengeOutput{AuthenticationResult: p.tokens(true)}, nil
	case types.ChallengeNameTypeDeviceSrpAuth:
		if r["USERNAME"] != "alice" || r["DEVICE_KEY"] != p.key || aws.ToString(in.Session) != "dev-1" {
			return nil, &types.NotAuthorizedException{Message: aws.String("bad DEVICE_SRP_AUTH answer")}
		}
		a, err := srp.ParseHex(r["SRP_A"])
		require.NoError(p.t, err)
		p.a = a
		p.srv, err = srp.NewServer(rand.Reader, p.verifier)
		require.NoError(p.t, err)
		p.block = make([]byte, 64)
		rand.Read(p.block)
		return &cip.RespondToAuthChallengeOutput{ChallengeName: types.ChallengeNameTypeDevicePasswordVerifier,
			ChallengeParameters: map[string]string{
				"SALT": srp.PadHex(new(big.Int).SetBytes(p.salt)), "SRP_B": p.srv.PublicHex(),
				"SECRET_BLOCK": base64.StdEncoding.EncodeToString(p.block), "USERNAME": "alice", "DEVICE_KEY": p.key,
			}, Session: aws.String("dev-2")}, nil
	case types.ChallengeNameTypeDevicePasswordVerifier:
		key, err := p.srv.Key(p.a)
		require.NoError(p.t, err)
		if r["DEVICE_KEY"] != p.key || aws.ToString(in.Session) != "dev-2" ||
			!srp.VerifySignature(r["PASSWORD_CLAIM_SIGNATURE"], key, p.group, p.key, p.block, r["TIMESTAMP"]) {
			return nil, &types.NotAuthorizedException{Message: aws.String("Incorrect username or password.")}
		}
		p.deviceSRP++
		return &cip.RespondToAuthChallengeOutput{AuthenticationResult: p.tokens(false)}, nil
	}
	return nil, &types.InvalidParameterException{Message: aws.String("unexpected challenge")}
}

func (p *devicePool) ConfirmDevice(_ context.Context, in *cip.ConfirmDeviceInput, _ ...func(*cip.Options)) (*cip.ConfirmDeviceOutput, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.confirms++
	require.Equal(p.t, p.key, aws.ToString(in.DeviceKey))
	require.NotEmpty(p.t, aws.ToString(in.AccessToken))
	require.NotEmpty(p.t, aws.ToString(in.DeviceName))
	salt, err := base64.StdEncoding.DecodeString(aws.ToString(in.DeviceSecretVerifierConfig.Salt))
	require.NoError(p.t, err)
	v, err := base64.StdEncoding.DecodeString(aws.ToString(in.DeviceSecretVerifierConfig.PasswordVerifier))
	require.NoError(p.t, err)
	// Both travel as padded big-endian bytes: a leading zero byte exactly
	// when the top bit is set.
	for _, b := range [][]byte{salt, v} {
		require.Equal(p.t, b[0] >= 0x80, false, "padded")
		if b[0] == 0 {
			require.GreaterOrEqual(p.t, b[1], byte(0x80), "no needless zero byte")
		}
	}
	p.salt, p.verifier = salt, new(big.Int).SetBytes(v)
	return &cip.ConfirmDeviceOutput{UserConfirmationNecessary: p.optIn}, nil
}

func (p *devicePool) UpdateDeviceStatus(_ context.Context, in *cip.UpdateDeviceStatusInput, _ ...func(*cip.Options)) (*cip.UpdateDeviceStatusOutput, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.remembered = in.DeviceRememberedStatus == types.DeviceRememberedStatusTypeRemembered
	return &cip.UpdateDeviceStatusOutput{}, nil
}

func smsHandler(asked *int) ChallengeHandler {
	return ChallengeFunc(func(_ context.Context, c *Challenge) (*Answer, error) {
		*asked++
		return &Answer{Code: "123456"}, nil
	})
}

// TestDeviceRemembered: a sign-in that gets NewDeviceMetadata confirms the
// device with a verifier the pool's SRP server accepts; the next sign-in
// with the device proves it with DEVICE_SRP_AUTH and asks no MFA code;
// renewals carry the device key.
func TestDeviceRemembered(t *testing.T) {
	t.Parallel()
	for _, optIn := range []bool{false, true} {
		p := newDevicePool(t)
		p.optIn = optIn
		var asked int
		conf := baseConfig()
		conf.Challenge = smsHandler(&asked)
		conf.RememberDevice = true
		s, _ := testSource(t, conf, p, p.clock, nil)
		tok, err := s.attempt()
		require.NoError(t, err)
		d := DeviceOf(tok)
		require.NotNil(t, d, "the token carries its device")
		assert.Equal(t, p.key, d.Key)
		assert.Equal(t, p.group, d.GroupKey)
		raw, err := base64.StdEncoding.DecodeString(d.Password)
		require.NoError(t, err)
		assert.Len(t, raw, 40)
		assert.Equal(t, 1, p.confirms)
		assert.Equal(t, optIn, p.remembered, "marked remembered only when the pool asks")
		assert.Equal(t, 1, asked)

		// A renewal names the device.
		tok, err = s.attempt()
		require.NoError(t, err)
		assert.Equal(t, p.key, p.lastInit().AuthParameters["DEVICE_KEY"])
		assert.Equal(t, d, DeviceOf(tok))

		// A new source with the device signs in without MFA.
		conf.Device = d
		s2, _ := testSource(t, conf, p, p.clock, nil)
		tok, err = s2.attempt()
		require.NoError(t, err)
		assert.Equal(t, 1, asked, "no MFA code asked")
		assert.Equal(t, 1, p.deviceSRP)
		assert.Equal(t, 1, p.confirms, "no new device")
		assert.Equal(t, d, DeviceOf(tok))
	}
}

// TestDeviceNotRemembered: on an opt-in pool without RememberDevice, the
// device is confirmed (renewals need it) but not remembered, so later
// sign-ins meet MFA.
func TestDeviceNotRemembered(t *testing.T) {
	t.Parallel()
	p := newDevicePool(t)
	p.optIn = true
	var asked int
	conf := baseConfig()
	conf.Challenge = smsHandler(&asked)
	s, _ := testSource(t, conf, p, p.clock, nil)
	tok, err := s.attempt()
	require.NoError(t, err)
	assert.False(t, p.remembered)
	conf.Device = DeviceOf(tok)
	s2, _ := testSource(t, conf, p, p.clock, nil)
	_, err = s2.attempt()
	require.NoError(t, err)
	assert.Equal(t, 2, asked)
}

// TestDeviceForgotten: a device the pool has forgotten is dropped and the
// sign-in made again, once, without it.
func TestDeviceForgotten(t *testing.T) {
	t.Parallel()
	p := newDevicePool(t)
	var asked int
	conf := baseConfig()
	conf.Challenge = smsHandler(&asked)
	conf.Device = &Device{Key: "us-east-1_gone", GroupKey: "-g", Password: "cHc="}
	conf.Logger = discardLogger()
	s, _ := testSource(t, conf, p, p.clock, nil)
	tok, err := s.attempt()
	require.NoError(t, err)
	assert.Equal(t, p.key, DeviceOf(tok).Key, "a new device replaces it")
	assert.Len(t, p.inits, 2)
	assert.Equal(t, "us-east-1_gone", p.inits[0].AuthParameters["DEVICE_KEY"])
	assert.NotContains(t, p.inits[1].AuthParameters, "DEVICE_KEY")
}

// TestDeviceConfirmFails: when ConfirmDevice fails, the sign-in stands and
// the session goes on without a device.
func TestDeviceConfirmFails(t *testing.T) {
	t.Parallel()
	p := newDevicePool(t)
	var asked int
	conf := baseConfig()
	conf.Challenge = smsHandler(&asked)
	conf.Logger = discardLogger()
	s, _ := testSource(t, conf, p.fakeAPI, p.clock, nil) // no ConfirmDevice method
	tok, err := s.attempt()
	require.NoError(t, err)
	assert.Nil(t, DeviceOf(tok))
	// Cognito refuses the refresh token until a device is confirmed:
	// the next attempt signs in rather than sending a dead one.
	assert.Empty(t, tok.RefreshToken)
	_, err = s.attempt()
	require.NoError(t, err)
	for _, in := range p.inits {
		assert.NotEqual(t, types.AuthFlowTypeRefreshTokenAuth, in.AuthFlow)
	}
}

// TestDeviceWrongPassword: a device whose proof the pool refuses (the
// wrong Config.Device) is dropped, and the sign-in made once without it.
func TestDeviceWrongPassword(t *testing.T) {
	t.Parallel()
	p := newDevicePool(t)
	var asked int
	conf := baseConfig()
	conf.Challenge = smsHandler(&asked)
	conf.Logger = discardLogger()
	s, _ := testSource(t, conf, p, p.clock, nil)
	tok, err := s.attempt()
	require.NoError(t, err)
	d := DeviceOf(tok)
	d.Password = base64.StdEncoding.EncodeToString([]byte("not the device's password"))
	conf.Device = d
	s2, _ := testSource(t, conf, p, p.clock, nil)
	_, err = s2.attempt()
	require.NoError(t, err)
	assert.Equal(t, 2, asked, "signed in without the device, with MFA")
	assert.Equal(t, 0, p.deviceSRP)
}

// TestNewDeviceVerifier checks the verifier arithmetic: x = H(salt ‖
// H(group ‖ key ‖ ":" ‖ password)), v = g^x, as the user SRP formula with
// the group key for the pool and the device key for the user.
func TestNewDeviceVerifier(t *testing.T) {
	t.Parallel()
	d, cfg, err := newDevice(rand.Reader, &types.NewDeviceMetadataType{DeviceKey: aws.String("k"), DeviceGroupKey: aws.String("g")})
	require.NoError(t, err)
	salt, err := base64.StdEncoding.DecodeString(*cfg.Salt)
	require.NoError(t, err)
	v, err := base64.StdEncoding.DecodeString(*cfg.PasswordVerifier)
	require.NoError(t, err)
	saltInt := new(big.Int).SetBytes(salt)
	x := srp.PrivateKey(saltInt, "g", "k", d.Password)
	want := new(big.Int).Exp(big.NewInt(2), x, srp.N())
	assert.Equal(t, want, new(big.Int).SetBytes(v))
	_, _, err = newDevice(rand.Reader, &types.NewDeviceMetadataType{DeviceKey: aws.String("k")})
	require.Error(t, err)
}
