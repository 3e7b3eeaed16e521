package interop_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/pquerna/otp/totp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-e8acf5fd/cognito/cognitotest"
)

// --- the reference client remembers a device ---

// TestReferenceClientRemembersDevice: amazon-cognito-identity-js signs in
// to a cognitotest pool with device tracking, through the user's MFA,
// confirms the device it is handed (ConfirmDevice, from the library
// itself), marks it remembered where the pool asks, and signs in again in
// the same process, with the same storage: through DEVICE_SRP_AUTH, with no
// MFA code when the device is remembered; then refreshes with the device
// key. The calls go through a recorder, so the test checks what the
// library sent as well as what it got.
//
// A device that is not remembered meets MFA first and DEVICE_SRP_AUTH
// after it; 6.3.21 has code for that (sendMFACode), but answers
// DEVICE_SRP_AUTH with the Session of the MFA step, which cognitotest, where
// every Session is answered once, refuses: the test pins that down.
func TestReferenceClientRemembersDevice(t *testing.T) {
	const (
		name     = "4f8e7c1a-0000-4000-8000-0000000000dd" // the Cognito username
		alias    = "devi@example.com"
		password = "Corr3ct horse battery!"
	)
	alwaysSkip := cognitotest.DeviceConfig{ChallengeRequiredOnNewDevice: true}
	optIn := cognitotest.DeviceConfig{ChallengeRequiredOnNewDevice: true, DeviceOnlyRememberedOnUserPrompt: true}
	totpUser := func(srv *cognitotest.Server) { srv.SetTOTP(name, otpSecret) }
	smsUser := func(srv *cognitotest.Server) { srv.SetSMSMFA(name, "+15555550123") }
	tests := []struct {
		name   string
		config cognitotest.DeviceConfig
		setup  func(srv *cognitotest.Server)
		// remember: the user says yes to remembering the device.
		remember bool
		// forget: the device is forgotten before the second sign-in.
		forget bool
		events []string
		// second lists the challenges the second sign-in answers, in order,
		// each with the error type of the answer's response, if any.
		second     []string
		remembered bool
		// staleSession: the sign-in fails at DEVICE_SRP_AUTH, answered with
		// the MFA step's Session.
		staleSession bool
	}{
		{
			name: "TOTP, always remembered", config: alwaysSkip, setup: totpUser,
			events:     []string{"totpRequired", "onSuccess", "signIn", "onSuccess"},
			second:     []string{"PASSWORD_VERIFIER", "DEVICE_SRP_AUTH", "DEVICE_PASSWORD_VERIFIER"},
			remembered: true,
		},
		{
			name: "SMS, opt-in, remembered", config: optIn, setup: smsUser, remember: true,
			events:     []string{"mfaRequired", "onSuccess", "setDeviceStatusRemembered", "signIn", "onSuccess"},
			second:     []string{"PASSWORD_VERIFIER", "DEVICE_SRP_AUTH", "DEVICE_PASSWORD_VERIFIER"},
			remembered: true,
		},
		{
			name: "TOTP, opt-in, not remembered", config: optIn, setup: totpUser,
			events:       []string{"totpRequired", "onSuccess", "signIn", "totpRequired", "onFailure"},
			second:       []string{"PASSWORD_VERIFIER", "SOFTWARE_TOKEN_MFA", "DEVICE_SRP_AUTH NotAuthorizedException"},
			staleSession: true,
		},
		{
			name: "TOTP, device forgotten", config: alwaysSkip, setup: totpUser, forget: true,
			events:     []string{"totpRequired", "onSuccess", "signIn", "totpRequired", "onSuccess"},
			second:     []string{"PASSWORD_VERIFIER ResourceNotFoundException", "PASSWORD_VERIFIER", "SOFTWARE_TOKEN_MFA"},
			remembered: true, // the new device
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := cognitotest.NewServer(cognitotest.WithDeviceTracking(tt.config))
			t.Cleanup(srv.Close)
			srv.AddUser(name, password)
			srv.AddAlias(name, alias)
			tt.setup(srv)
			var signIns atomic.Int32 // the handler's goroutines count them
			rec := newRecorder(t, srv.URL, func(op string, req map[string]any) {
				if op != "InitiateAuth" || (call{Request: req}).param("AuthFlow") != "USER_SRP_AUTH" {
					return
				}
				if signIns.Add(1) == 2 && tt.forget {
					for _, d := range srv.Devices(name) {
						_, err := srv.Client().ForgetDevice(context.Background(), &cip.ForgetDeviceInput{DeviceKey: aws.String(d.Key)})
						assert.NoError(t, err)
					}
				}
			})

			asked := 0
			report := runChallengeClient(t, challengeJob{Endpoint: rec.URL, UserPoolID: srv.UserPoolID, ClientID: srv.ClientID, Refresh: true,
				Users: []challengeUser{{jsUser: jsUser{alias, password, "success"}, SignIns: 2, RememberDevice: tt.remember}}},
				func(a challengeAsk) string {
					asked++
					if a.Challenge == "SOFTWARE_TOKEN_MFA" {
						// A later step's code: a code is accepted only once.
						code, err := totp.GenerateCode(srv.TOTPSecret(name), time.Now().Add(time.Duration(asked-1)*30*time.Second))
						require.NoError(t, err)
						return code
					}
					return srv.LastCode(name)
				})
			r := report.Results[0]
			assert.Equal(t, tt.events, events(r))
			// Nothing secret in the report.
			raw, err := json.Marshal(r)
			require.NoError(t, err)
			assert.NotContains(t, string(raw), password)
			assert.NotContains(t, string(raw), otpSecret)
			wantAsks := 1
			if tt.staleSession || tt.forget {
				wantAsks = 2
			}
			assert.Equal(t, wantAsks, asked, "MFA codes asked")
			if tt.staleSession {
				assert.False(t, r.OK)
				assert.Equal(t, "NotAuthorizedException", r.Error)
				assert.Equal(t, "Invalid session for the user, session is expired.", r.Message)
			} else {
				require.True(t, r.OK, "%s: %s", r.Error, r.Message)
				assert.Equal(t, name, r.AccessUsername)
				assert.True(t, r.Refreshed, "refreshed")
				assert.True(t, r.RefreshChangedToken)
				assert.Equal(t, tt.config.DeviceOnlyRememberedOnUserPrompt, r.UserConfirmationNecessary)
			}

			// The device in the library's storage is the pool's, named as
			// the library names it under Node.
			devices := srv.Devices(name)
			require.Len(t, devices, 1)
			deviceKey := devices[0].Key
			if !tt.staleSession {
				assert.Equal(t, deviceKey, r.DeviceKey)
			}
			assert.Equal(t, "nodejs", devices[0].Name)
			assert.Equal(t, tt.remembered, devices[0].Remembered)

			// ConfirmDevice, as the library sends it after every sign-in
			// that brings NewDeviceMetadata.
			confirms := rec.callsTo("ConfirmDevice")
			wantConfirms := 1
			if tt.forget {
				wantConfirms = 2
			}
			require.Len(t, confirms, wantConfirms)
			confirm := confirms[len(confirms)-1]
			assert.ElementsMatch(t, []string{"DeviceKey", "AccessToken", "DeviceSecretVerifierConfig", "DeviceName"}, confirm.keys())
			assert.ElementsMatch(t, []string{"Salt", "PasswordVerifier"}, confirm.keys("DeviceSecretVerifierConfig"))
			assert.Equal(t, deviceKey, confirm.param("DeviceKey"))
			assert.Equal(t, "nodejs", confirm.param("DeviceName"))
			salt, err := base64.StdEncoding.DecodeString(confirm.param("DeviceSecretVerifierConfig", "Salt"))
			require.NoError(t, err)
			assert.LessOrEqual(t, len(salt), 17, "16 random bytes, padded")
			assert.Equal(t, map[string]any{"UserConfirmationNecessary": tt.config.DeviceOnlyRememberedOnUserPrompt}, confirm.Response)
			if tt.remember {
				update := rec.requireCall(t, "UpdateDeviceStatus", 0)
				assert.ElementsMatch(t, []string{"AccessToken", "DeviceKey", "DeviceRememberedStatus"}, update.keys())
				assert.Equal(t, "remembered", update.param("DeviceRememberedStatus"))
			} else {
				assert.Empty(t, rec.callsTo("UpdateDeviceStatus"))
			}

			// The second sign-in: no DEVICE_KEY in InitiateAuth (the library
			// looks the device up under USER_ID_FOR_SRP, which it learns from
			// the response), the key in the PASSWORD_VERIFIER answer, then
			// the challenges of the scenario.
			second := rec.requireCall(t, "InitiateAuth", 1)
			assert.Equal(t, "USER_SRP_AUTH", second.param("AuthFlow"))
			assert.False(t, second.has("AuthParameters", "DEVICE_KEY"))
			var answers []call
			for _, c := range rec.recorded() {
				if c.Operation == "RespondToAuthChallenge" {
					answers = append(answers, c)
				}
			}
			first := len(answers) - len(tt.second)
			require.GreaterOrEqual(t, first, 2, "PASSWORD_VERIFIER and MFA at the first sign-in")
			var got []string
			for _, c := range answers[first:] {
				s := c.param("ChallengeName")
				if c.Status != 200 {
					s += " " + strings.TrimSpace(c.Response["__type"].(string))
				}
				got = append(got, s)
			}
			assert.Equal(t, tt.second, got)
			verifier := answers[first]
			firstKey := rec.requireCall(t, "ConfirmDevice", 0).param("DeviceKey")
			assert.Equal(t, firstKey, verifier.param("ChallengeResponses", "DEVICE_KEY"))
			for _, c := range answers[first:] {
				switch c.param("ChallengeName") {
				case "DEVICE_SRP_AUTH":
					assert.ElementsMatch(t, []string{"USERNAME", "DEVICE_KEY", "SRP_A"}, c.keys("ChallengeResponses"))
					assert.Equal(t, name, c.param("ChallengeResponses", "USERNAME"))
					assert.Equal(t, deviceKey, c.param("ChallengeResponses", "DEVICE_KEY"))
					if tt.staleSession {
						// The Session the MFA answer carried, not the one its
						// response brought.
						mfa := answers[len(answers)-2]
						assert.Equal(t, mfa.param("Session"), c.param("Session"))
						assert.NotEqual(t, mfa.Response["Session"], c.param("Session"))
					}
				case "DEVICE_PASSWORD_VERIFIER":
					assert.ElementsMatch(t, []string{"USERNAME", "PASSWORD_CLAIM_SECRET_BLOCK", "TIMESTAMP", "PASSWORD_CLAIM_SIGNATURE", "DEVICE_KEY"}, c.keys("ChallengeResponses"))
					assert.Equal(t, deviceKey, c.param("ChallengeResponses", "DEVICE_KEY"))
					assert.NotEmpty(t, c.param("Session"))
				case "PASSWORD_VERIFIER":
					if c.Status == 200 && tt.forget {
						// The retry: the same answer, DEVICE_KEY null.
						assert.True(t, c.has("ChallengeResponses", "DEVICE_KEY"))
						assert.Empty(t, c.param("ChallengeResponses", "DEVICE_KEY"))
						assert.Equal(t, verifier.param("ChallengeResponses", "PASSWORD_CLAIM_SIGNATURE"), c.param("ChallengeResponses", "PASSWORD_CLAIM_SIGNATURE"))
					}
				}
			}
			if tt.staleSession {
				return
			}
			// No new device from a sign-in through the device.
			last := answers[len(answers)-1]
			result, _ := last.Response["AuthenticationResult"].(map[string]any)
			require.NotNil(t, result)
			_, hasNew := result["NewDeviceMetadata"]
			assert.Equal(t, tt.forget, hasNew)

			// The refresh names the device.
			refresh := rec.requireCall(t, "InitiateAuth", 2)
			assert.Equal(t, "REFRESH_TOKEN_AUTH", refresh.param("AuthFlow"))
			assert.Equal(t, deviceKey, refresh.param("AuthParameters", "DEVICE_KEY"))

		})
	}
}
