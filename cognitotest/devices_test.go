package cognitotest

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math/big"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-e8acf5fd/cognito/internal/srp"
)

// testDevice is a device as a client keeps it: its key, group key and
// password.
type testDevice struct{ key, groupKey, password string }

// padBytes returns the bytes that srp.PadHex spells for n.
func padBytes(t testing.TB, n *big.Int) []byte {
	t.Helper()
	b, err := hex.DecodeString(srp.PadHex(n))
	require.NoError(t, err)
	return b
}

// newTestDevice makes a device out of a sign-in's NewDeviceMetadata as
// amazon-cognito-identity-js does: a password of 40 random bytes in
// base64, a salt of 16 random bytes, and the verifier g^x of
// x = H(salt ‖ H(group key ‖ key ‖ ":" ‖ password)); the salt and
// verifier go to ConfirmDevice as base64 of their padHex bytes.
func newTestDevice(t testing.TB, meta *types.NewDeviceMetadataType) (testDevice, *types.DeviceSecretVerifierConfigType) {
	t.Helper()
	require.NotNil(t, meta)
	d := testDevice{key: aws.ToString(meta.DeviceKey), groupKey: aws.ToString(meta.DeviceGroupKey), password: base64.StdEncoding.EncodeToString(randomBytes(40))}
	salt := new(big.Int).SetBytes(randomBytes(16))
	v := srp.Verifier(salt, d.groupKey, d.key, d.password)
	return d, &types.DeviceSecretVerifierConfigType{
		Salt:             aws.String(base64.StdEncoding.EncodeToString(padBytes(t, salt))),
		PasswordVerifier: aws.String(base64.StdEncoding.EncodeToString(padBytes(t, v))),
	}
}

// confirmDevice confirms the new device of a sign-in's result and returns
// it with ConfirmDevice's UserConfirmationNecessary.
func confirmDevice(t testing.TB, s *Server, res *types.AuthenticationResultType) (testDevice, bool) {
	t.Helper()
	d, vc := newTestDevice(t, res.NewDeviceMetadata)
	out, err := s.Client().ConfirmDevice(context.Background(), &cip.ConfirmDeviceInput{
		AccessToken:                res.AccessToken,
		DeviceKey:                  aws.String(d.key),
		DeviceName:                 aws.String("test device"),
		DeviceSecretVerifierConfig: vc,
	})
	require.NoError(t, err)
	return d, out.UserConfirmationNecessary
}

// rememberDevice sets d's status with UpdateDeviceStatus.
func rememberDevice(t testing.TB, s *Server, accessToken *string, d testDevice, status types.DeviceRememberedStatusType) {
	t.Helper()
	_, err := s.Client().UpdateDeviceStatus(context.Background(), &cip.UpdateDeviceStatusInput{
		AccessToken: accessToken, DeviceKey: aws.String(d.key), DeviceRememberedStatus: status,
	})
	require.NoError(t, err)
}

// Where a sign-in sends its DEVICE_KEY.
const (
	keyInInitiate = "InitiateAuth"        // in AuthParameters (SRP or password)
	keyInAnswer   = "PASSWORD_VERIFIER"   // in the answer only, as amazon-cognito-identity-js
	keyInBoth     = "InitiateAuth+answer" // in both, as Amplify's password flow and this module
)

// signInWithDevice runs a sign-in by flow ("srp" or "password") that
// names the device key, sent where says (for "password", always in
// InitiateAuth), and returns the step that follows the password.
func signInWithDevice(t testing.TB, s *Server, flow, typed, password, key, where string) (step, error) {
	t.Helper()
	if flow == "password" {
		out, err := s.Client().InitiateAuth(context.Background(), &cip.InitiateAuthInput{
			AuthFlow:       types.AuthFlowTypeUserPasswordAuth,
			ClientId:       aws.String(s.ClientID),
			AuthParameters: withHash(s, map[string]string{"USERNAME": typed, "PASSWORD": password, "DEVICE_KEY": key}, typed),
		})
		if err != nil {
			return step{}, err
		}
		return initiateStep(out), nil
	}
	cl, err := srp.NewClient(rand.Reader)
	require.NoError(t, err)
	params := map[string]string{"USERNAME": typed, "SRP_A": cl.PublicHex()}
	if where != keyInAnswer {
		params["DEVICE_KEY"] = key
	}
	ch, err := s.Client().InitiateAuth(context.Background(), &cip.InitiateAuthInput{
		AuthFlow: types.AuthFlowTypeUserSrpAuth, ClientId: aws.String(s.ClientID), AuthParameters: withHash(s, params, typed),
	})
	require.NoError(t, err)
	proof := srpProof(t, s, cl, ch, password, srp.Timestamp(s.now()))
	if where != keyInInitiate {
		proof["DEVICE_KEY"] = key
	}
	out, err := srpRespond(context.Background(), s, proof)
	if err != nil {
		return step{}, err
	}
	return respondStep(out), nil
}

// deviceSRPAnswer answers DEVICE_SRP_AUTH for d with a new SRP_A and
// returns the client key pair with the DEVICE_PASSWORD_VERIFIER step.
func deviceSRPAnswer(t testing.TB, s *Server, st step, username string, d testDevice) (*srp.Client, step, error) {
	t.Helper()
	requireChallenge(t, st, types.ChallengeNameTypeDeviceSrpAuth, st.params["USER_ID_FOR_SRP"])
	cl, err := srp.NewClient(rand.Reader)
	require.NoError(t, err)
	next, err := answer(s, st, types.ChallengeNameTypeDeviceSrpAuth, username, map[string]string{"DEVICE_KEY": d.key, "SRP_A": cl.PublicHex()})
	return cl, next, err
}

// deviceProof computes the DEVICE_PASSWORD_VERIFIER answer of d, with the
// device password password, signed at timestamp.
func deviceProof(t testing.TB, cl *srp.Client, st step, d testDevice, password, timestamp string) map[string]string {
	t.Helper()
	requireChallenge(t, st, types.ChallengeNameTypeDevicePasswordVerifier, st.params["USER_ID_FOR_SRP"])
	p := st.params
	salt, err := srp.ParseHex(p["SALT"])
	require.NoError(t, err)
	b, err := srp.ParseHex(p["SRP_B"])
	require.NoError(t, err)
	key, err := cl.Key(salt, b, d.groupKey, d.key, password)
	require.NoError(t, err)
	block, err := base64.StdEncoding.DecodeString(p["SECRET_BLOCK"])
	require.NoError(t, err)
	return map[string]string{
		"DEVICE_KEY":                  d.key,
		"PASSWORD_CLAIM_SECRET_BLOCK": p["SECRET_BLOCK"],
		"PASSWORD_CLAIM_SIGNATURE":    srp.Signature(key, d.groupKey, d.key, block, timestamp),
		"TIMESTAMP":                   timestamp,
	}
}

// proveDevice answers DEVICE_SRP_AUTH and then DEVICE_PASSWORD_VERIFIER
// for d, as a client that knows the device password does.
func proveDevice(t testing.TB, s *Server, st step, username string, d testDevice) step {
	t.Helper()
	cl, next, err := deviceSRPAnswer(t, s, st, username, d)
	require.NoError(t, err)
	assert.Equal(t, d.key, next.params["DEVICE_KEY"])
	assert.Equal(t, username, next.params["USERNAME"])
	return mustAnswer(t, s, next, types.ChallengeNameTypeDevicePasswordVerifier, username, deviceProof(t, cl, next, d, d.password, srp.Timestamp(s.now())))
}

// refreshWithDevice renews with REFRESH_TOKEN_AUTH, sending key as
// DEVICE_KEY unless it is empty.
func refreshWithDevice(s *Server, token, username, key string) error {
	params := withHash(s, map[string]string{"REFRESH_TOKEN": token}, username)
	if key != "" {
		params["DEVICE_KEY"] = key
	}
	_, err := s.Client().InitiateAuth(context.Background(), &cip.InitiateAuthInput{
		AuthFlow: types.AuthFlowTypeRefreshTokenAuth, ClientId: aws.String(s.ClientID), AuthParameters: params,
	})
	return err
}

// getTokens renews with GetTokensFromRefreshToken, with the client secret
// when there is one and key as DeviceKey unless it is empty.
func getTokens(s *Server, token, key string) (*cip.GetTokensFromRefreshTokenOutput, error) {
	in := &cip.GetTokensFromRefreshTokenInput{ClientId: aws.String(s.ClientID), RefreshToken: aws.String(token)}
	if s.ClientSecret != "" {
		in.ClientSecret = aws.String(s.ClientSecret)
	}
	if key != "" {
		in.DeviceKey = aws.String(key)
	}
	return s.Client().GetTokensFromRefreshToken(context.Background(), in)
}

const (
	deviceNotFound   = "Device does not exist."
	invalidDeviceKey = "Invalid device key given."
	uuidPattern      = `[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}`
)

// With device tracking, every sign-in that names no device ends with a new
// one in NewDeviceMetadata, whatever the flow; without it, none does.
func TestNewDeviceMetadata(t *testing.T) {
	t.Parallel()
	for _, flow := range signInFlows {
		t.Run(flow, func(t *testing.T) {
			t.Parallel()
			s := newTestServer(t, WithDeviceTracking(DeviceConfig{}), WithClientSecret("s3cr3t"))
			s.AddUser("dora", "pw")
			first := mustSignInBy(t, s, flow, "dora", "pw")
			second := mustSignInBy(t, s, flow, "dora", "pw")
			for _, st := range []step{first, second} {
				requireTokens(t, st, "dora")
				meta := st.result.NewDeviceMetadata
				require.NotNil(t, meta)
				assert.Regexp(t, `^us-east-1_`+uuidPattern+`$`, aws.ToString(meta.DeviceKey))
				assert.Regexp(t, `^-[A-Za-z0-9]{9}$`, aws.ToString(meta.DeviceGroupKey))
			}
			assert.NotEqual(t, aws.ToString(first.result.NewDeviceMetadata.DeviceKey), aws.ToString(second.result.NewDeviceMetadata.DeviceKey))
			assert.Empty(t, s.Devices("dora"), "not confirmed yet")

			off := newTestServer(t)
			off.AddUser("dora", "pw")
			assert.Nil(t, mustSignInBy(t, off, flow, "dora", "pw").result.NewDeviceMetadata)
		})
	}
	t.Run("custom", func(t *testing.T) {
		t.Parallel()
		s := newTestServer(t, WithDeviceTracking(DeviceConfig{}), WithCustomAuth(CustomAuth{
			Define: func(DefineRequest) (DefineResponse, error) { return DefineResponse{IssueTokens: true}, nil },
		}))
		s.AddUser("dora", "pw")
		out, err := s.Client().InitiateAuth(context.Background(), &cip.InitiateAuthInput{
			AuthFlow: types.AuthFlowTypeCustomAuth, ClientId: aws.String(s.ClientID), AuthParameters: map[string]string{"USERNAME": "dora"},
		})
		require.NoError(t, err)
		require.NotNil(t, out.AuthenticationResult.NewDeviceMetadata)
	})
}

// ConfirmDevice remembers the device, or, on an opt-in pool, says the user
// must be asked and leaves it unremembered until UpdateDeviceStatus.
func TestConfirmDevice(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		optIn        bool
		status       types.DeviceRememberedStatusType // sent after ConfirmDevice, if any
		confirmation bool
		remembered   bool
	}{
		{name: "always remembered", remembered: true},
		{name: "always, then not remembered", status: types.DeviceRememberedStatusTypeNotRemembered},
		{name: "opt-in, not asked", optIn: true, confirmation: true},
		{name: "opt-in, remembered", optIn: true, status: types.DeviceRememberedStatusTypeRemembered, confirmation: true, remembered: true},
		{name: "opt-in, declined", optIn: true, status: types.DeviceRememberedStatusTypeNotRemembered, confirmation: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			clock := newFakeClock(time.Date(2024, 3, 5, 15, 4, 5, 0, time.UTC))
			s := newTestServer(t, WithClock(clock.Now), WithDeviceTracking(DeviceConfig{DeviceOnlyRememberedOnUserPrompt: tt.optIn}))
			s.AddUser("eve", "pw")
			created := clock.Now()
			res := mustSignInBy(t, s, "password", "eve", "pw").result
			clock.Advance(time.Minute)
			d, confirmation := confirmDevice(t, s, res)
			assert.Equal(t, tt.confirmation, confirmation)
			if tt.status != "" {
				clock.Advance(time.Minute)
				rememberDevice(t, s, res.AccessToken, d, tt.status)
			}
			assert.Equal(t, []Device{{Key: d.key, GroupKey: d.groupKey, Name: "test device", Remembered: tt.remembered,
				Created: created, LastAuthenticated: created, LastModified: clock.Now()}}, s.Devices("eve"))
		})
	}
}

// ConfirmDevice takes a device handed out to the access token's user, and
// a verifier and salt written as the reference client writes them. The
// token may be of another sign-in of the user (cognito-srp-helper's tests
// against Cognito confirm a device with an earlier sign-in's token).
func TestConfirmDeviceRefusals(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, WithDeviceTracking(DeviceConfig{}))
	s.AddUser("fay", "pw")
	s.AddUser("gus", "pw")
	fay := mustSignInBy(t, s, "password", "fay", "pw").result
	fay2 := mustSignInBy(t, s, "password", "fay", "pw").result
	gus := mustSignInBy(t, s, "password", "gus", "pw").result
	_, vc := newTestDevice(t, fay.NewDeviceMetadata)
	b64 := func(b ...byte) *string { return aws.String(base64.StdEncoding.EncodeToString(b)) }
	tests := []struct {
		name      string
		token     *string
		key       string
		config    *types.DeviceSecretVerifierConfigType
		code, msg string
	}{
		{"another user's device", gus.AccessToken, aws.ToString(fay.NewDeviceMetadata.DeviceKey), vc, "InvalidParameterException", invalidDeviceKey},
		{"unknown device", fay.AccessToken, "us-east-1_00000000-0000-4000-8000-000000000000", vc, "InvalidParameterException", invalidDeviceKey},
		{"no verifier", fay.AccessToken, "", nil, "InvalidParameterException", "Missing required parameter DeviceSecretVerifierConfig"},
		{"verifier without its leading zero byte", fay.AccessToken, "", &types.DeviceSecretVerifierConfigType{Salt: vc.Salt, PasswordVerifier: b64(0x80, 1)},
			"InvalidParameterException", "DeviceSecretVerifierConfig.PasswordVerifier reads as a negative number: its bytes need a leading zero byte, as padHex gives them"},
		{"salt without its leading zero byte", fay.AccessToken, "", &types.DeviceSecretVerifierConfigType{Salt: b64(0xff, 1), PasswordVerifier: vc.PasswordVerifier},
			"InvalidParameterException", "DeviceSecretVerifierConfig.Salt reads as a negative number: its bytes need a leading zero byte, as padHex gives them"},
		{"zero verifier", fay.AccessToken, "", &types.DeviceSecretVerifierConfigType{Salt: vc.Salt, PasswordVerifier: b64(0, 0)},
			"InvalidParameterException", "DeviceSecretVerifierConfig.PasswordVerifier is zero"},
		{"verifier not below N", fay.AccessToken, "", &types.DeviceSecretVerifierConfigType{Salt: vc.Salt, PasswordVerifier: b64(padBytes(t, srp.N())...)},
			"InvalidParameterException", "DeviceSecretVerifierConfig.PasswordVerifier is not below the group's prime"},
		{"salt not base64", fay.AccessToken, "", &types.DeviceSecretVerifierConfigType{Salt: aws.String("%%%"), PasswordVerifier: vc.PasswordVerifier},
			"InvalidParameterException", "DeviceSecretVerifierConfig.Salt is not base64 of a number's bytes"},
		{"bad access token", aws.String("not.a.token"), "", vc, "NotAuthorizedException", "Invalid Access Token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key := tt.key
			if key == "" {
				key = aws.ToString(fay.NewDeviceMetadata.DeviceKey)
			}
			_, err := s.Client().ConfirmDevice(context.Background(), &cip.ConfirmDeviceInput{
				AccessToken: tt.token, DeviceKey: aws.String(key), DeviceSecretVerifierConfig: tt.config,
			})
			requireAPIError(t, err, tt.code, tt.msg)
		})
	}
	assert.Empty(t, s.Devices("fay"))
	assert.Empty(t, s.Devices("gus"))

	// With the token of the user's other sign-in.
	_, err := s.Client().ConfirmDevice(context.Background(), &cip.ConfirmDeviceInput{
		AccessToken: fay2.AccessToken, DeviceKey: fay.NewDeviceMetadata.DeviceKey, DeviceSecretVerifierConfig: vc,
	})
	require.NoError(t, err)
	require.Len(t, s.Devices("fay"), 1)
	assert.Equal(t, aws.ToString(fay.NewDeviceMetadata.DeviceKey), s.Devices("fay")[0].Key)
}

// The sign-in from a device: DEVICE_SRP_AUTH in place of MFA when the
// device is remembered and the pool has ChallengeRequiredOnNewDevice;
// after MFA otherwise; and no new device at the end.
func TestDeviceSignIn(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		config   DeviceConfig
		decline  bool // opt-in: the user is asked and says no
		mfa      bool // the user has an authenticator app
		flow     string
		where    string
		wantsMFA bool
	}{
		{name: "remembered, MFA skipped, SRP, key in answer", config: DeviceConfig{ChallengeRequiredOnNewDevice: true}, mfa: true, flow: "srp", where: keyInAnswer},
		{name: "remembered, MFA skipped, SRP, key in InitiateAuth", config: DeviceConfig{ChallengeRequiredOnNewDevice: true}, mfa: true, flow: "srp", where: keyInInitiate},
		{name: "remembered, MFA skipped, SRP, key in both", config: DeviceConfig{ChallengeRequiredOnNewDevice: true}, mfa: true, flow: "srp", where: keyInBoth},
		{name: "remembered, MFA skipped, password", config: DeviceConfig{ChallengeRequiredOnNewDevice: true}, mfa: true, flow: "password"},
		{name: "opt-in remembered, MFA skipped", config: DeviceConfig{ChallengeRequiredOnNewDevice: true, DeviceOnlyRememberedOnUserPrompt: true}, mfa: true, flow: "srp", where: keyInAnswer},
		{name: "opt-in declined, MFA then device", config: DeviceConfig{ChallengeRequiredOnNewDevice: true, DeviceOnlyRememberedOnUserPrompt: true}, decline: true, mfa: true, flow: "srp", where: keyInAnswer, wantsMFA: true},
		{name: "MFA not suppressed, MFA then device", config: DeviceConfig{}, mfa: true, flow: "password", wantsMFA: true},
		{name: "no MFA, device only", config: DeviceConfig{}, flow: "srp", where: keyInAnswer},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			clock := newFakeClock(time.Date(2024, 3, 5, 15, 4, 5, 0, time.UTC))
			s := newTestServer(t, WithClock(clock.Now), WithDeviceTracking(tt.config), WithClientSecret("s3cr3t"))
			s.AddUser("hal", "pw")
			s.AddAlias("hal", "hal@example.com")
			if tt.mfa {
				s.SetTOTP("hal", testSecret)
			}
			st := mustSignInBy(t, s, tt.flow, "hal@example.com", "pw")
			if tt.mfa {
				st = mustAnswer(t, s, st, types.ChallengeNameTypeSoftwareTokenMfa, "hal", map[string]string{"SOFTWARE_TOKEN_MFA_CODE": totpCode(t, testSecret, clock.Now())})
			}
			requireTokens(t, st, "hal")
			d, confirmation := confirmDevice(t, s, st.result)
			if confirmation && !tt.decline {
				rememberDevice(t, s, st.result.AccessToken, d, types.DeviceRememberedStatusTypeRemembered)
			}

			clock.Advance(time.Minute)
			st, err := signInWithDevice(t, s, tt.flow, "hal@example.com", "pw", d.key, tt.where)
			require.NoError(t, err)
			if tt.wantsMFA {
				st = mustAnswer(t, s, st, types.ChallengeNameTypeSoftwareTokenMfa, "hal", map[string]string{"SOFTWARE_TOKEN_MFA_CODE": totpCode(t, testSecret, clock.Now())})
			}
			requireChallenge(t, st, types.ChallengeNameTypeDeviceSrpAuth, "hal")
			assert.Equal(t, "hal", st.params["USERNAME"])
			st = proveDevice(t, s, st, "hal", d)
			requireTokens(t, st, "hal")
			assert.Nil(t, st.result.NewDeviceMetadata, "no new device")
			devices := s.Devices("hal")
			require.Len(t, devices, 1)
			assert.Equal(t, clock.Now(), devices[0].LastAuthenticated)

			// The new refresh token is bound to the device.
			token := aws.ToString(st.result.RefreshToken)
			requireNotAuthorized(t, refreshWithDevice(s, token, "hal", ""), "Invalid Refresh Token")
			require.NoError(t, refreshWithDevice(s, token, "hal", d.key))
		})
	}
}

// The device's proof is checked as a password's is: a wrong device
// password, a SECRET_BLOCK or DEVICE_KEY other than the challenge's, a
// stale TIMESTAMP, or a Session used twice fail the sign-in.
func TestDeviceProofChecked(t *testing.T) {
	t.Parallel()
	clock := newFakeClock(time.Date(2024, 3, 5, 15, 4, 5, 0, time.UTC))
	s := newTestServer(t, WithClock(clock.Now), WithDeviceTracking(DeviceConfig{ChallengeRequiredOnNewDevice: true}))
	s.AddUser("ida", "pw")
	d, _ := confirmDevice(t, s, mustSignInBy(t, s, "srp", "ida", "pw").result)
	other, _ := confirmDevice(t, s, mustSignInBy(t, s, "srp", "ida", "pw").result)

	// start returns a sign-in from d at its DEVICE_PASSWORD_VERIFIER step.
	start := func() (*srp.Client, step) {
		st, err := signInWithDevice(t, s, "srp", "ida", "pw", d.key, keyInAnswer)
		require.NoError(t, err)
		cl, next, err := deviceSRPAnswer(t, s, st, "ida", d)
		require.NoError(t, err)
		return cl, next
	}
	now := func() string { return srp.Timestamp(clock.Now()) }
	tests := []struct {
		name   string
		answer func(cl *srp.Client, st step) map[string]string
	}{
		{"wrong device password", func(cl *srp.Client, st step) map[string]string {
			return deviceProof(t, cl, st, d, "not the password", now())
		}},
		{"another device's key", func(cl *srp.Client, st step) map[string]string {
			p := deviceProof(t, cl, st, d, d.password, now())
			p["DEVICE_KEY"] = other.key
			return p
		}},
		{"another secret block", func(cl *srp.Client, st step) map[string]string {
			p := deviceProof(t, cl, st, d, d.password, now())
			p["PASSWORD_CLAIM_SECRET_BLOCK"] = base64.StdEncoding.EncodeToString(randomBytes(64))
			return p
		}},
		{"stale timestamp", func(cl *srp.Client, st step) map[string]string {
			return deviceProof(t, cl, st, d, d.password, srp.Timestamp(clock.Now().Add(-6*time.Minute)))
		}},
		{"signed as the user, not the device", func(cl *srp.Client, st step) map[string]string {
			p := deviceProof(t, cl, st, d, d.password, now())
			salt, _ := srp.ParseHex(st.params["SALT"])
			b, _ := srp.ParseHex(st.params["SRP_B"])
			key, err := cl.Key(salt, b, s.poolName, "ida", d.password)
			require.NoError(t, err)
			block, _ := base64.StdEncoding.DecodeString(st.params["SECRET_BLOCK"])
			p["PASSWORD_CLAIM_SIGNATURE"] = srp.Signature(key, s.poolName, "ida", block, p["TIMESTAMP"])
			return p
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cl, st := start()
			_, err := answer(s, st, types.ChallengeNameTypeDevicePasswordVerifier, "ida", tt.answer(cl, st))
			requireNotAuthorized(t, err, badCreds)
			// The Session is spent: even the right answer fails now.
			_, err = answer(s, st, types.ChallengeNameTypeDevicePasswordVerifier, "ida", deviceProof(t, cl, st, d, d.password, now()))
			requireNotAuthorized(t, err, sessionExpired)
		})
	}

	// DEVICE_SRP_AUTH names the sign-in's device, and a valid SRP_A.
	st, err := signInWithDevice(t, s, "srp", "ida", "pw", d.key, keyInAnswer)
	require.NoError(t, err)
	_, _, err = deviceSRPAnswer(t, s, st, "ida", other)
	requireNotAuthorized(t, err, badCreds)
	st, err = signInWithDevice(t, s, "srp", "ida", "pw", d.key, keyInAnswer)
	require.NoError(t, err)
	_, err = answer(s, st, types.ChallengeNameTypeDeviceSrpAuth, "ida", map[string]string{"DEVICE_KEY": d.key, "SRP_A": srp.PadHex(srp.N())})
	requireAPIError(t, err, "InvalidParameterException", "SRP_A is not a valid SRP public value")

	// And the right answer still works.
	cl, st := start()
	requireTokens(t, mustAnswer(t, s, st, types.ChallengeNameTypeDevicePasswordVerifier, "ida", deviceProof(t, cl, st, d, d.password, now())), "ida")
}

// A DEVICE_KEY that is not one of the user's confirmed devices fails once
// the password is verified, with ResourceNotFoundException "Device does
// not exist.", as Cognito answers a forgotten device. In USER_SRP_AUTH
// that is at the PASSWORD_VERIFIER answer, and the same answer without the
// device then succeeds, as the reference clients retry it.
func TestUnknownDevice(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, WithDeviceTracking(DeviceConfig{ChallengeRequiredOnNewDevice: true}))
	s.AddUser("jon", "pw")
	s.AddUser("kim", "pw")
	pending := aws.ToString(mustSignInBy(t, s, "srp", "jon", "pw").result.NewDeviceMetadata.DeviceKey)
	kims, _ := confirmDevice(t, s, mustSignInBy(t, s, "srp", "kim", "pw").result)
	forgotten, _ := confirmDevice(t, s, mustSignInBy(t, s, "srp", "jon", "pw").result)
	_, err := s.Client().ForgetDevice(context.Background(), &cip.ForgetDeviceInput{DeviceKey: aws.String(forgotten.key)})
	require.NoError(t, err)

	for name, key := range map[string]string{
		"never handed out": "us-east-1_00000000-0000-4000-8000-000000000000",
		"not confirmed":    pending,
		"another user's":   kims.key,
		"forgotten":        forgotten.key,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := signInWithDevice(t, s, "password", "jon", "pw", key, "")
			requireAPIError(t, err, "ResourceNotFoundException", deviceNotFound)
			_, err = signInWithDevice(t, s, "password", "jon", "wrong", key, "")
			requireNotAuthorized(t, err, badCreds) // the password comes first

			cl, ch, err := srpStart(t, s, "jon")
			require.NoError(t, err)
			proof := srpProof(t, s, cl, ch, "pw", srp.Timestamp(s.now()))
			withKey := map[string]string{"DEVICE_KEY": key}
			for k, v := range proof {
				withKey[k] = v
			}
			_, err = srpRespond(context.Background(), s, withKey)
			requireAPIError(t, err, "ResourceNotFoundException", deviceNotFound)
			out, err := srpRespond(context.Background(), s, proof)
			require.NoError(t, err, "the same answer without the device")
			require.NotNil(t, out.AuthenticationResult.NewDeviceMetadata, "and a new device")
			_, err = srpRespond(context.Background(), s, proof)
			requireNotAuthorized(t, err, badCreds) // but only once
		})
	}

	t.Run("tracking off", func(t *testing.T) {
		off := newTestServer(t)
		off.AddUser("jon", "pw")
		st, err := signInWithDevice(t, off, "srp", "jon", "pw", forgotten.key, keyInBoth)
		require.NoError(t, err)
		requireTokens(t, st, "jon")
	})
}

// A refresh token is bound to the device of its sign-in: before
// ConfirmDevice it cannot be used at all; afterwards only with the
// device's key; once the device is forgotten, not at all.
func TestDeviceBoundRefreshTokens(t *testing.T) {
	t.Parallel()
	for _, op := range []string{"REFRESH_TOKEN_AUTH", "GetTokensFromRefreshToken"} {
		t.Run(op, func(t *testing.T) {
			t.Parallel()
			s := newTestServer(t, WithDeviceTracking(DeviceConfig{}), WithClientSecret("s3cr3t"))
			s.AddUser("lou", "pw")
			s.AddAlias("lou", "lou@example.com")
			renew := func(token, key string) error {
				if op == "REFRESH_TOKEN_AUTH" {
					return refreshWithDevice(s, token, "lou", key)
				}
				_, err := getTokens(s, token, key)
				return err
			}
			res := mustSignInBy(t, s, "srp", "lou@example.com", "pw").result
			token, key := aws.ToString(res.RefreshToken), aws.ToString(res.NewDeviceMetadata.DeviceKey)
			other := aws.ToString(mustSignInBy(t, s, "srp", "lou", "pw").result.NewDeviceMetadata.DeviceKey)

			requireNotAuthorized(t, renew(token, ""), "Invalid Refresh Token")
			requireNotAuthorized(t, renew(token, key), "Invalid Refresh Token")
			d, _ := confirmDevice(t, s, res)
			requireNotAuthorized(t, renew(token, ""), "Invalid Refresh Token")
			requireNotAuthorized(t, renew(token, other), "Invalid Refresh Token")
			require.NoError(t, renew(token, d.key))
			_, err := s.Client().ForgetDevice(context.Background(), &cip.ForgetDeviceInput{AccessToken: res.AccessToken, DeviceKey: aws.String(d.key)})
			require.NoError(t, err)
			requireNotAuthorized(t, renew(token, d.key), "Invalid Refresh Token")
			assert.Empty(t, s.Devices("lou"))
		})
	}
}

func TestUpdateDeviceStatusRefusals(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, WithDeviceTracking(DeviceConfig{DeviceOnlyRememberedOnUserPrompt: true}))
	s.AddUser("max", "pw")
	s.AddUser("ned", "pw")
	res := mustSignInBy(t, s, "password", "max", "pw").result
	pending := mustSignInBy(t, s, "password", "max", "pw").result
	ned := mustSignInBy(t, s, "password", "ned", "pw").result
	d, _ := confirmDevice(t, s, res)
	tests := []struct {
		name      string
		token     *string
		key       string
		status    types.DeviceRememberedStatusType
		code, msg string
	}{
		{"unknown status", res.AccessToken, d.key, "forever", "InvalidParameterException", "DeviceRememberedStatus must be remembered or not_remembered"},
		{"another user's device", ned.AccessToken, d.key, "remembered", "ResourceNotFoundException", deviceNotFound},
		{"unconfirmed device", pending.AccessToken, aws.ToString(pending.NewDeviceMetadata.DeviceKey), "remembered", "ResourceNotFoundException", deviceNotFound},
		{"no device key", res.AccessToken, "", "remembered", "InvalidParameterException", "Missing required parameter DeviceKey"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.Client().UpdateDeviceStatus(context.Background(), &cip.UpdateDeviceStatusInput{
				AccessToken: tt.token, DeviceKey: aws.String(tt.key), DeviceRememberedStatus: tt.status,
			})
			requireAPIError(t, err, tt.code, tt.msg)
		})
	}
	require.Len(t, s.Devices("max"), 1)
	assert.False(t, s.Devices("max")[0].Remembered)
}

func TestForgetDevice(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, WithDeviceTracking(DeviceConfig{}))
	s.AddUser("ola", "pw")
	s.AddUser("pat", "pw")
	res := mustSignInBy(t, s, "password", "ola", "pw").result
	d, _ := confirmDevice(t, s, res)
	pat := mustSignInBy(t, s, "password", "pat", "pw").result
	_, err := s.Client().ForgetDevice(context.Background(), &cip.ForgetDeviceInput{AccessToken: pat.AccessToken, DeviceKey: aws.String(d.key)})
	requireAPIError(t, err, "ResourceNotFoundException", deviceNotFound)
	require.Len(t, s.Devices("ola"), 1, "another user's token forgets nothing")
	_, err = s.Client().ForgetDevice(context.Background(), &cip.ForgetDeviceInput{AccessToken: res.AccessToken, DeviceKey: aws.String(d.key)})
	require.NoError(t, err)
	assert.Empty(t, s.Devices("ola"))
	_, err = s.Client().ForgetDevice(context.Background(), &cip.ForgetDeviceInput{AccessToken: res.AccessToken, DeviceKey: aws.String(d.key)})
	requireAPIError(t, err, "ResourceNotFoundException", deviceNotFound)
}

// ListDevices lists the user's confirmed devices, oldest first, a page at
// a time, with their names, remembered status and dates.
func TestListDevices(t *testing.T) {
	t.Parallel()
	start := time.Date(2024, 3, 5, 15, 4, 5, 0, time.UTC)
	clock := newFakeClock(start)
	s := newTestServer(t, WithClock(clock.Now), WithDeviceTracking(DeviceConfig{DeviceOnlyRememberedOnUserPrompt: true}))
	s.AddUser("quin", "pw")
	s.AddUser("rae", "pw")
	var keys []string
	var last *types.AuthenticationResultType
	for i := range 3 {
		last = mustSignInBy(t, s, "password", "quin", "pw").result
		d, _ := confirmDevice(t, s, last)
		if i == 1 {
			rememberDevice(t, s, last.AccessToken, d, types.DeviceRememberedStatusTypeRemembered)
		}
		keys = append(keys, d.key)
		clock.Advance(time.Minute)
	}
	mustSignInBy(t, s, "password", "quin", "pw") // unconfirmed: not listed
	confirmDevice(t, s, mustSignInBy(t, s, "password", "rae", "pw").result)

	var listed []types.DeviceType
	var token *string
	for range 3 {
		out, err := s.Client().ListDevices(context.Background(), &cip.ListDevicesInput{AccessToken: last.AccessToken, Limit: aws.Int32(2), PaginationToken: token})
		require.NoError(t, err)
		listed = append(listed, out.Devices...)
		if token = out.PaginationToken; token == nil {
			break
		}
	}
	assert.Nil(t, token)
	require.Len(t, listed, 3)
	for i, d := range listed {
		assert.Equal(t, keys[i], aws.ToString(d.DeviceKey))
		status := "not_remembered"
		if i == 1 {
			status = "remembered"
		}
		attrs := map[string]string{}
		for _, a := range d.DeviceAttributes {
			attrs[aws.ToString(a.Name)] = aws.ToString(a.Value)
		}
		assert.Equal(t, map[string]string{"device_name": "test device", "device_status": "valid", "dev:device_remembered_status": status}, attrs)
		at := start.Add(time.Duration(i) * time.Minute)
		assert.True(t, at.Equal(aws.ToTime(d.DeviceCreateDate)), "created %v", aws.ToTime(d.DeviceCreateDate))
		assert.True(t, at.Equal(aws.ToTime(d.DeviceLastAuthenticatedDate)))
	}
	assert.True(t, start.Add(time.Minute).Equal(aws.ToTime(listed[1].DeviceLastModifiedDate)), "remembered then")

	for _, in := range []*cip.ListDevicesInput{
		{AccessToken: last.AccessToken, Limit: aws.Int32(61)},
		{AccessToken: last.AccessToken, PaginationToken: aws.String("bm90IGEgdG9rZW4")},
		{AccessToken: last.AccessToken, PaginationToken: aws.String(pageToken(4))},
	} {
		_, err := s.Client().ListDevices(context.Background(), in)
		var ip *types.InvalidParameterException
		assert.ErrorAs(t, err, &ip)
	}
}

// Devices handed out and never confirmed are dropped, oldest first, beyond
// the cap on pending sessions.
func TestPendingDevicesAreCapped(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, WithDeviceTracking(DeviceConfig{}), withMaxSessions(2))
	s.AddUser("sal", "pw")
	var results []*types.AuthenticationResultType
	for range 3 {
		results = append(results, mustSignInBy(t, s, "password", "sal", "pw").result)
	}
	d, vc := newTestDevice(t, results[0].NewDeviceMetadata)
	_, err := s.Client().ConfirmDevice(context.Background(), &cip.ConfirmDeviceInput{AccessToken: results[0].AccessToken, DeviceKey: aws.String(d.key), DeviceSecretVerifierConfig: vc})
	requireAPIError(t, err, "InvalidParameterException", invalidDeviceKey)
	confirmDevice(t, s, results[1])
	confirmDevice(t, s, results[2])
	// Confirmed devices do not count: more sign-ins leave them alone.
	for range 3 {
		mustSignInBy(t, s, "password", "sal", "pw")
	}
	assert.Len(t, s.Devices("sal"), 2)
	s.mu.Lock()
	defer s.mu.Unlock()
	assert.Len(t, s.devices.byKey, 4, "two confirmed, two pending")
}

// Sign-ins from one device, run at once, each prove it.
func TestConcurrentDeviceSignIns(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, WithDeviceTracking(DeviceConfig{ChallengeRequiredOnNewDevice: true}))
	s.AddUser("tom", "pw")
	s.SetSMSMFA("tom", "+15555550100")
	st := mustSignInBy(t, s, "password", "tom", "pw")
	st = mustAnswer(t, s, st, types.ChallengeNameTypeSmsMfa, "tom", map[string]string{"SMS_MFA_CODE": s.LastCode("tom")})
	d, _ := confirmDevice(t, s, st.result)
	code := s.LastCode("tom")
	t.Run("group", func(t *testing.T) {
		for i := range 4 {
			t.Run(fmt.Sprint(i), func(t *testing.T) {
				t.Parallel()
				st, err := signInWithDevice(t, s, "srp", "tom", "pw", d.key, keyInAnswer)
				require.NoError(t, err)
				requireTokens(t, proveDevice(t, s, st, "tom", d), "tom")
			})
		}
	})
	assert.Equal(t, 1, s.Calls("ConfirmDevice"))
	// The SMS answer, then PASSWORD_VERIFIER and the two device answers
	// of each sign-in, and no SMS sent.
	assert.Equal(t, 1+4*3, s.Calls("RespondToAuthChallenge"))
	assert.Equal(t, code, s.LastCode("tom"))
}
