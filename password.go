package cognito

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/seed-e8acf5fd/cognito/internal/srp"
)

// signIn signs in by the configured flow, answering every challenge on
// the way. When the pool has forgotten the device the sign-in names, the
// device is dropped and the sign-in made once more without it.
func (s *source) signIn(ctx context.Context) (*fresh, error) {
	if s.conf.Username == "" {
		return nil, errors.New("cognito: cannot sign in: Config.Username is empty")
	}
	t, err := s.signInOnce(ctx)
	if err != nil && s.device != nil && deviceGone(err) {
		s.logger().Warn("cognito: the user pool does not know the remembered device; signing in without it", "device_key", s.device.Key, "error", s.redact(err))
		s.device = nil
		return s.signInOnce(ctx)
	}
	return t, err
}

// signInOnce is one sign-in by the configured flow.
func (s *source) signInOnce(ctx context.Context) (*fresh, error) {
	params := map[string]string{"USERNAME": s.conf.Username}
	if s.device != nil {
		params["DEVICE_KEY"] = s.device.Key
	}
	flow := types.AuthFlowTypeUserSrpAuth
	var client *srp.Client
	switch {
	case s.conf.Flow == FlowPassword:
		flow = types.AuthFlowTypeUserPasswordAuth
		params["PASSWORD"] = s.conf.Password
	case s.conf.Flow == FlowCustom && s.conf.Password == "":
		flow = types.AuthFlowTypeCustomAuth
	default: // SRP, alone or opening custom authentication
		var err error
		if client, err = srp.NewClient(s.rand); err != nil {
			return nil, fmt.Errorf("cognito: signing in: %w", err)
		}
		params["SRP_A"] = client.PublicHex()
		if s.conf.Flow == FlowCustom {
			flow = types.AuthFlowTypeCustomAuth
			params["CHALLENGE_NAME"] = "SRP_A"
		}
	}
	s.addSecretHash(params, s.conf.Username)
	sent := s.now()
	out, err := s.initiate(ctx, flow, params)
	if err != nil {
		return nil, fmt.Errorf("cognito: signing in: %w", err)
	}
	return s.complete(ctx, step{
		result:  out.AuthenticationResult,
		name:    out.ChallengeName,
		params:  out.ChallengeParameters,
		session: out.Session,
		md:      out.ResultMetadata,
	}, client, sent)
}

// cannotSignIn says why canSignIn is false.
func (s *source) cannotSignIn() string {
	if s.conf.Flow == FlowCustom {
		return "Config.Password is empty and there is no Config.Challenge handler for custom authentication"
	}
	return "Config.Password is empty"
}

// canSignIn reports whether the source has what a sign-in needs: a
// password, or a handler for passwordless custom authentication.
func (s *source) canSignIn() bool {
	return s.conf.Password != "" || s.conf.Flow == FlowCustom && s.conf.Challenge != nil
}

// passwordVerifier computes the answer to a PASSWORD_VERIFIER challenge,
// checking every parameter it reads.
func (s *source) passwordVerifier(client *srp.Client, p map[string]string, now time.Time) (map[string]string, error) {
	userID := p["USER_ID_FOR_SRP"]
	if userID == "" {
		return nil, errors.New("cognito: PASSWORD_VERIFIER challenge lacks USER_ID_FOR_SRP")
	}
	answer, err := passwordClaim(client, types.ChallengeNameTypePasswordVerifier, p, s.conf.poolName(), userID, s.conf.Password, now)
	if err != nil {
		return nil, err
	}
	answer["USERNAME"] = userID
	return answer, nil
}

// passwordClaim answers a password-verifier challenge (PASSWORD_VERIFIER,
// DEVICE_PASSWORD_VERIFIER) of parameters p: the SRP proof that client
// knows password for userID in pool, from SALT, SRP_B and SECRET_BLOCK,
// each checked.
func passwordClaim(client *srp.Client, name types.ChallengeNameType, p map[string]string, pool, userID, password string, now time.Time) (map[string]string, error) {
	for _, k := range []string{"SALT", "SRP_B", "SECRET_BLOCK"} {
		if p[k] == "" {
			return nil, fmt.Errorf("cognito: %s challenge lacks %s", name, k)
		}
	}
	salt, err := srp.ParseHex(p["SALT"])
	if err != nil {
		return nil, fmt.Errorf("cognito: %s challenge: SALT: %w", name, err)
	}
	b, err := srp.ParseHex(p["SRP_B"])
	if err != nil {
		return nil, fmt.Errorf("cognito: %s challenge: SRP_B: %w", name, err)
	}
	block := p["SECRET_BLOCK"]
	secretBlock, err := base64.StdEncoding.DecodeString(block)
	if err != nil {
		return nil, fmt.Errorf("cognito: %s challenge: SECRET_BLOCK is not base64", name)
	}
	key, err := client.Key(salt, b, pool, userID, password)
	if err != nil {
		return nil, fmt.Errorf("cognito: %s challenge: %w", name, err)
	}
	ts := srp.Timestamp(now)
	return map[string]string{
		"PASSWORD_CLAIM_SECRET_BLOCK": block,
		"PASSWORD_CLAIM_SIGNATURE":    srp.Signature(key, pool, userID, secretBlock, ts),
		"TIMESTAMP":                   ts,
	}, nil
}

// maxSkew is how far the local clock may be from Cognito's before the
// TIMESTAMP of a PASSWORD_VERIFIER answer follows the server's clock.
const maxSkew = time.Minute

// serverNow is the time to put in TIMESTAMP: the local time, unless the
// challenge's HTTP Date header shows the local clock off by more than
// maxSkew, in which case the local time moved by that difference. Cognito
// refuses a TIMESTAMP far from its own clock.
func serverNow(md middleware.Metadata, local time.Time) time.Time {
	server, ok := awsmiddleware.GetServerTime(md)
	if !ok || server.IsZero() {
		return local
	}
	if skew := server.Sub(local); skew > maxSkew || skew < -maxSkew {
		return local.Add(skew)
	}
	return local
}

// addSecretHash adds SECRET_HASH for username when the client has a secret.
func (s *source) addSecretHash(params map[string]string, username string) {
	if s.conf.ClientSecret != "" {
		params["SECRET_HASH"] = secretHash(s.conf.ClientSecret, username, s.conf.ClientID)
	}
}

// secretHash is base64(HMAC-SHA256(secret, username ‖ clientID)).
func secretHash(secret, username, clientID string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(username))
	m.Write([]byte(clientID))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}
