package cognito

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"golang.org/x/oauth2"

	"github.com/seed-e8acf5fd/cognito/internal/srp"
)

// deviceExtra is the key under which a token carries its session's
// device; see DeviceOf.
const deviceExtra = "cognito_device"

// DeviceOf returns the device that t's session is remembered with (a
// device confirmed at the sign-in that gave t, or Config.Device), or nil
// when there is none or t is nil. Keep it with the session, as a
// [Store] does, and pass it in [Config.Device] to later token sources.
func DeviceOf(t *oauth2.Token) *Device {
	if t == nil {
		return nil
	}
	d, _ := t.Extra(deviceExtra).(*Device)
	if d == nil || d.Key == "" {
		return nil
	}
	cp := *d
	return &cp
}

// deviceAPI is what confirming a device needs beyond API;
// *cognitoidentityprovider.Client has it.
type deviceAPI interface {
	ConfirmDevice(ctx context.Context, in *cip.ConfirmDeviceInput, optFns ...func(*cip.Options)) (*cip.ConfirmDeviceOutput, error)
	UpdateDeviceStatus(ctx context.Context, in *cip.UpdateDeviceStatusInput, optFns ...func(*cip.Options)) (*cip.UpdateDeviceStatusOutput, error)
}

// newDevice draws the password and salt of the device Cognito announced
// in meta, and computes the verifier that ConfirmDevice registers, as
// amazon-cognito-identity-js does: the password is the base64 of 40
// random bytes, the salt 16 random bytes, and the verifier g^x with x =
// H(salt ‖ H(DeviceGroupKey ‖ DeviceKey ‖ ":" ‖ password)); salt and
// verifier travel as the base64 of their padded big-endian bytes.
func newDevice(r io.Reader, meta *types.NewDeviceMetadataType) (*Device, *types.DeviceSecretVerifierConfigType, error) {
	key, group := aws.ToString(meta.DeviceKey), aws.ToString(meta.DeviceGroupKey)
	if key == "" || group == "" {
		return nil, nil, errors.New("cognito: NewDeviceMetadata lacks DeviceKey or DeviceGroupKey")
	}
	secret := make([]byte, 40+16)
	if _, err := io.ReadFull(r, secret); err != nil {
		return nil, nil, fmt.Errorf("cognito: drawing a device password: %w", err)
	}
	d := &Device{Key: key, GroupKey: group, Password: base64.StdEncoding.EncodeToString(secret[:40])}
	salt := new(big.Int).SetBytes(secret[40:])
	verifier := srp.Verifier(salt, group, key, d.Password)
	return d, &types.DeviceSecretVerifierConfigType{
		Salt:             aws.String(padBase64(salt)),
		PasswordVerifier: aws.String(padBase64(verifier)),
	}, nil
}

// padBase64 is the base64 of n's bytes as srp.PadHex writes them.
func padBase64(n *big.Int) string {
	b, _ := hex.DecodeString(srp.PadHex(n)) // PadHex writes an even number of hex digits
	return base64.StdEncoding.EncodeToString(b)
}

// confirmDevice registers the device Cognito announced at a sign-in, with
// the access token of that sign-in, and marks it remembered when the pool
// leaves that to the user and Config.RememberDevice says yes. It returns
// the device, or nil and an error: the sign-in stands either way, and
// its refresh token works without a device until one is confirmed.
func (s *source) confirmDevice(ctx context.Context, meta *types.NewDeviceMetadataType, accessToken string) (*Device, error) {
	api, ok := s.api.(deviceAPI)
	if !ok {
		return nil, fmt.Errorf("cognito: the pool tracks devices, but Config.API (%T) has no ConfirmDevice and UpdateDeviceStatus methods", s.api)
	}
	d, verifier, err := newDevice(s.rand, meta)
	if err != nil {
		return nil, err
	}
	s.sent = append(s.sent, d.Password)
	out, err := api.ConfirmDevice(ctx, &cip.ConfirmDeviceInput{
		AccessToken:                aws.String(accessToken),
		DeviceKey:                  aws.String(d.Key),
		DeviceName:                 aws.String(s.conf.deviceName()),
		DeviceSecretVerifierConfig: verifier,
	})
	if err != nil {
		return nil, fmt.Errorf("cognito: confirming the device: %w", err)
	}
	if out.UserConfirmationNecessary && s.conf.RememberDevice {
		_, err := api.UpdateDeviceStatus(ctx, &cip.UpdateDeviceStatusInput{
			AccessToken:            aws.String(accessToken),
			DeviceKey:              aws.String(d.Key),
			DeviceRememberedStatus: types.DeviceRememberedStatusTypeRemembered,
		})
		if err != nil {
			// The device is confirmed: renewals need its key, whether or
			// not it is remembered.
			return d, fmt.Errorf("cognito: marking the device remembered: %w", err)
		}
	}
	return d, nil
}

// deviceName is the name ConfirmDevice registers: Config.DeviceName, or
// the host's name.
func (c *Config) deviceName() string {
	if c.DeviceName != "" {
		return c.DeviceName
	}
	if host, err := os.Hostname(); err == nil && host != "" {
		return host
	}
	return "cognito-go"
}

// devicePasswordVerifier answers DEVICE_PASSWORD_VERIFIER: the
// PASSWORD_VERIFIER computation with the device group key as the pool,
// the device key as the user and the device password.
func (s *source) devicePasswordVerifier(client *srp.Client, p map[string]string, now time.Time) (map[string]string, error) {
	d := s.device
	return passwordClaim(client, types.ChallengeNameTypeDevicePasswordVerifier, p, d.GroupKey, d.Key, d.Password, now)
}

// deviceGone reports whether err says the pool no longer knows the
// device the request named, or refused its proof (the device password
// is not the one the pool has).
func deviceGone(err error) bool {
	var notFound *types.ResourceNotFoundException
	var refused *deviceRefusedError
	return errors.As(err, &notFound) || errors.As(err, &refused)
}

// deviceRefusedError is a DEVICE_PASSWORD_VERIFIER answer Cognito refused.
type deviceRefusedError struct{ err error }

func (e *deviceRefusedError) Error() string {
	return "cognito: the user pool refused the remembered device's proof (Config.Device is not the device the pool knows): " + e.err.Error()
}
func (e *deviceRefusedError) Unwrap() error { return e.err }

// adoptDevice confirms the device a sign-in announced and makes it the
// session's device. When that fails the failure is logged and the
// session goes on without a device, and without its refresh token, which
// Cognito refuses until the device is confirmed: the tokens serve until
// they expire, then the source signs in again.
//
// It reports whether the sign-in's refresh token can be used: Cognito
// refuses to renew with it until the device is confirmed.
func (s *source) adoptDevice(ctx context.Context, meta *types.NewDeviceMetadataType, accessToken string) (refreshUsable bool) {
	s.sent = append(s.sent, accessToken)
	d, err := s.confirmDevice(ctx, meta, accessToken)
	if d != nil {
		s.device = d
	}
	if err != nil {
		s.logger().Warn("cognito: the sign-in's new device is not remembered", "error", s.redact(err))
	}
	return d != nil
}

func (s *source) logger() *slog.Logger {
	if s.conf.Logger != nil {
		return s.conf.Logger
	}
	return slog.Default()
}
