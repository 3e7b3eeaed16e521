package cognitotest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
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

const badCreds = "Incorrect username or password."

func TestSRPSignIn(t *testing.T) {
	tests := []struct {
		name     string
		opts     []Option
		password string
		typed    string // "" means the username
	}{
		{name: "username", password: "Passw0rd!"},
		{name: "email alias", password: "Passw0rd!", typed: "alice@example.com"},
		{name: "phone alias", password: "Passw0rd!", typed: "+15555550100"},
		{name: "unicode password", password: "pässwörd-密码-🔑"},
		{name: "client secret", password: "Passw0rd!", opts: []Option{WithClientSecret("s3cr3t")}},
		{name: "client secret and alias", password: "Passw0rd!", typed: "alice@example.com", opts: []Option{WithClientSecret("s3cr3t")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newTestServer(t, tt.opts...)
			s.AddUser("alice", tt.password)
			s.AddAlias("alice", "alice@example.com")
			s.AddAlias("alice", "+15555550100")
			typed := tt.typed
			if typed == "" {
				typed = "alice"
			}

			cl, ch, err := srpStart(t, s, typed)
			require.NoError(t, err)
			p := ch.ChallengeParameters
			assert.Equal(t, "alice", p["USER_ID_FOR_SRP"])
			assert.Equal(t, "alice", p["USERNAME"])
			assert.NotEmpty(t, p["SALT"])
			assert.NotEmpty(t, p["SRP_B"])
			assert.NotEmpty(t, p["SECRET_BLOCK"])

			out, err := srpRespond(context.Background(), s, srpProof(t, s, cl, ch, tt.password, srp.Timestamp(time.Now())))
			require.NoError(t, err)
			res := out.AuthenticationResult
			require.NotNil(t, res)
			assert.Equal(t, "Bearer", aws.ToString(res.TokenType))
			assert.Equal(t, int32(3600), res.ExpiresIn)
			assert.GreaterOrEqual(t, len(aws.ToString(res.RefreshToken)), 43)
			assert.Equal(t, "alice", claims(t, aws.ToString(res.AccessToken))["username"])
			assert.Equal(t, "alice", claims(t, aws.ToString(res.IdToken))["cognito:username"])
		})
	}
}

func TestSRPWrongPassword(t *testing.T) {
	s := newTestServer(t)
	s.AddUser("bob", "right")
	_, err := srpSignIn(t, s, "bob", "wrong")
	requireNotAuthorized(t, err, badCreds)
	assert.NotContains(t, err.Error(), "wrong")
}

// An unknown user gets a plausible challenge (with the same salt on every
// attempt) and fails only when answering it.
func TestSRPUnknownUser(t *testing.T) {
	s := newTestServer(t)
	_, ch1, err := srpStart(t, s, "nobody")
	require.NoError(t, err)
	_, ch2, err := srpStart(t, s, "nobody")
	require.NoError(t, err)
	assert.Equal(t, "nobody", ch1.ChallengeParameters["USER_ID_FOR_SRP"])
	assert.Equal(t, ch1.ChallengeParameters["SALT"], ch2.ChallengeParameters["SALT"])
	assert.NotEqual(t, ch1.ChallengeParameters["SRP_B"], ch2.ChallengeParameters["SRP_B"])

	_, err = srpSignIn(t, s, "nobody", "anything")
	requireNotAuthorized(t, err, badCreds)

	// Like a user's name, an unknown one has the same salt in any case.
	_, ch3, err := srpStart(t, s, "NoBody")
	require.NoError(t, err)
	assert.Equal(t, "NoBody", ch3.ChallengeParameters["USER_ID_FOR_SRP"])
	assert.Equal(t, ch1.ChallengeParameters["SALT"], ch3.ChallengeParameters["SALT"])
}

// Unknown users and aliases must not answer faster than known users with a
// wrong password: that would tell which users exist. So every failed
// sign-in runs the same password check, against simulated credentials for
// an unknown name. (BenchmarkPasswordAuth* and BenchmarkSRP* measure it.)
func TestUnknownUsersArePasswordChecked(t *testing.T) {
	var checks checkCounter
	s := newTestServer(t, checks.option())
	s.AddUser("alice", "pw")
	s.AddAlias("alice", "alice@example.com")

	for _, typed := range []string{"alice", "ALICE@example.com", "bob", "bob@example.com"} {
		checks.take()
		_, err := passwordSignIn(s, typed, "wrong")
		requireNotAuthorized(t, err, badCreds)
		assert.Equal(t, map[string]int{"password": 1}, checks.take(), "USER_PASSWORD_AUTH as %s", typed)

		_, err = srpSignIn(t, s, typed, "wrong")
		requireNotAuthorized(t, err, badCreds)
		assert.Equal(t, map[string]int{"srp": 1}, checks.take(), "USER_SRP_AUTH as %s", typed)
	}

	// The simulated verifier is as large as a real one, so that the
	// arithmetic on it takes as long.
	_, v := s.fakeCredentials("bob")
	assert.Greater(t, v.BitLen(), srp.N().BitLen()-64)
	assert.Negative(t, v.Cmp(srp.N()))
}

func TestSRPSecretBlockIsSingleUse(t *testing.T) {
	s := newTestServer(t)
	s.AddUser("carol", "pw")
	ctx := context.Background()

	t.Run("replay after success", func(t *testing.T) {
		cl, ch, err := srpStart(t, s, "carol")
		require.NoError(t, err)
		proof := srpProof(t, s, cl, ch, "pw", srp.Timestamp(time.Now()))
		_, err = srpRespond(ctx, s, proof)
		require.NoError(t, err)
		_, err = srpRespond(ctx, s, proof)
		requireNotAuthorized(t, err, badCreds)
	})
	t.Run("retry after failure", func(t *testing.T) {
		cl, ch, err := srpStart(t, s, "carol")
		require.NoError(t, err)
		_, err = srpRespond(ctx, s, srpProof(t, s, cl, ch, "not pw", srp.Timestamp(time.Now())))
		requireNotAuthorized(t, err, badCreds)
		_, err = srpRespond(ctx, s, srpProof(t, s, cl, ch, "pw", srp.Timestamp(time.Now())))
		requireNotAuthorized(t, err, badCreds)
	})
	t.Run("unknown block", func(t *testing.T) {
		cl, ch, err := srpStart(t, s, "carol")
		require.NoError(t, err)
		ch.ChallengeParameters["SECRET_BLOCK"] = "AAAA"
		_, err = srpRespond(ctx, s, srpProof(t, s, cl, ch, "pw", srp.Timestamp(time.Now())))
		requireNotAuthorized(t, err, badCreds)
	})
}

func TestSRPSessionExpiry(t *testing.T) {
	clock := newFakeClock(time.Date(2024, 3, 5, 15, 4, 5, 0, time.UTC))
	s := newTestServer(t, WithClock(clock.Now))
	s.AddUser("dave", "pw")
	ctx := context.Background()

	cl, ch, err := srpStart(t, s, "dave")
	require.NoError(t, err)
	clock.Advance(3*time.Minute - time.Second)
	_, err = srpRespond(ctx, s, srpProof(t, s, cl, ch, "pw", srp.Timestamp(clock.Now())))
	require.NoError(t, err, "a session is live for three minutes")

	cl, ch, err = srpStart(t, s, "dave")
	require.NoError(t, err)
	clock.Advance(3 * time.Minute)
	_, err = srpRespond(ctx, s, srpProof(t, s, cl, ch, "pw", srp.Timestamp(clock.Now())))
	requireNotAuthorized(t, err, badCreds)
}

func TestSRPTimestamp(t *testing.T) {
	// 15:04:05.7 on the 5th: a padded day and a 12-hour clock both show,
	// and the fraction must not push a 5-minute-old TIMESTAMP out.
	now := time.Date(2024, 3, 5, 15, 4, 5, 700_000_000, time.UTC)
	tests := []struct {
		name      string
		timestamp string
		ok        bool
	}{
		{"exact", "Tue Mar 5 15:04:05 UTC 2024", true},
		{"four minutes old", "Tue Mar 5 15:00:05 UTC 2024", true},
		{"four minutes ahead", "Tue Mar 5 15:08:05 UTC 2024", true},
		{"five minutes old", "Tue Mar 5 14:59:05 UTC 2024", true},
		{"five minutes ahead", "Tue Mar 5 15:09:05 UTC 2024", true},
		{"five minutes and a second old", "Tue Mar 5 14:59:04 UTC 2024", false},
		{"padded day", "Tue Mar 05 15:04:05 UTC 2024", false},
		{"twelve-hour clock", "Tue Mar 5 03:04:05 UTC 2024", false},
		{"stale", "Tue Mar 5 14:58:05 UTC 2024", false},
		{"future", "Tue Mar 5 15:10:05 UTC 2024", false},
		{"wrong weekday", "Mon Mar 5 15:04:05 UTC 2024", false},
		{"other zone", "Tue Mar 5 15:04:05 GMT 2024", false},
		{"RFC 3339", "2024-03-05T15:04:05Z", false},
	}
	s := newTestServer(t, WithClock(func() time.Time { return now }))
	s.AddUser("erin", "pw")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cl, ch, err := srpStart(t, s, "erin")
			require.NoError(t, err)
			_, err = srpRespond(context.Background(), s, srpProof(t, s, cl, ch, "pw", tt.timestamp))
			if tt.ok {
				require.NoError(t, err)
			} else {
				requireNotAuthorized(t, err, badCreds)
			}
		})
	}
}

// The answer must name the Cognito username, not the alias typed.
func TestSRPAnswerNamesUsername(t *testing.T) {
	s := newTestServer(t)
	s.AddUser("frank", "pw")
	s.AddAlias("frank", "frank@example.com")
	cl, ch, err := srpStart(t, s, "frank@example.com")
	require.NoError(t, err)
	proof := srpProof(t, s, cl, ch, "pw", srp.Timestamp(time.Now()))
	proof["USERNAME"] = "frank@example.com"
	_, err = srpRespond(context.Background(), s, proof)
	requireNotAuthorized(t, err, badCreds)
}

// Salts whose first byte is 0x00 or has its high bit set are where clients
// that pad fixed-width strings go wrong; the server must not.
func TestSRPAwkwardSalts(t *testing.T) {
	salts := [][]byte{
		bytes.Repeat([]byte{0x00}, 16),
		append([]byte{0x00, 0x00}, bytes.Repeat([]byte{0x7f}, 14)...),
		append([]byte{0x00, 0x9a}, bytes.Repeat([]byte{0x11}, 14)...),
		bytes.Repeat([]byte{0xff}, 16),
		append([]byte{0x80}, bytes.Repeat([]byte{0x01}, 15)...),
	}
	s := newTestServer(t, withSalts(salts...))
	for i := range salts {
		name := fmt.Sprintf("user%d", i)
		s.AddUser(name, "pw-"+name)
		_, ch, err := srpStart(t, s, name)
		require.NoError(t, err)
		assert.Len(t, ch.ChallengeParameters["SALT"], 32, "SALT is the 16 bytes in hex")
		_, err = srpSignIn(t, s, name, "pw-"+name)
		require.NoError(t, err, name)
		_, err = passwordSignIn(s, name, "pw-"+name)
		require.NoError(t, err, name)
	}
}

func TestSRPBadPublicValue(t *testing.T) {
	s := newTestServer(t)
	s.AddUser("gina", "pw")
	for _, a := range []string{"zz", "0", "-5", "0x10", srp.N().Text(16), "0" + srp.N().Text(16)} {
		_, err := s.Client().InitiateAuth(context.Background(), &cip.InitiateAuthInput{
			AuthFlow:       types.AuthFlowTypeUserSrpAuth,
			ClientId:       aws.String(s.ClientID),
			AuthParameters: map[string]string{"USERNAME": "gina", "SRP_A": a},
		})
		var ip *types.InvalidParameterException
		require.ErrorAs(t, err, &ip, a)
	}
}

func TestPasswordAuth(t *testing.T) {
	s := newTestServer(t)
	s.AddUser("hank", "Hunter2!")
	s.AddAlias("hank", "hank@example.com")

	out, err := passwordSignIn(s, "hank@example.com", "Hunter2!")
	require.NoError(t, err)
	require.NotNil(t, out.AuthenticationResult)
	assert.Empty(t, out.ChallengeName)
	assert.Equal(t, "hank", claims(t, aws.ToString(out.AuthenticationResult.AccessToken))["username"])
	assert.NotEmpty(t, aws.ToString(out.AuthenticationResult.RefreshToken))

	_, err = passwordSignIn(s, "hank", "hunter2!")
	requireNotAuthorized(t, err, badCreds)
	_, err = passwordSignIn(s, "nobody", "Hunter2!")
	requireNotAuthorized(t, err, badCreds)
	_, err = passwordSignIn(s, "hank", "")
	var ip *types.InvalidParameterException
	require.ErrorAs(t, err, &ip)
}

// A Session sent with the PASSWORD_VERIFIER answer is ignored: the
// SECRET_BLOCK names the session.
func TestSRPIgnoresSession(t *testing.T) {
	s := newTestServer(t)
	s.AddUser("ike", "pw")
	cl, ch, err := srpStart(t, s, "ike")
	require.NoError(t, err)
	out, err := s.Client().RespondToAuthChallenge(context.Background(), &cip.RespondToAuthChallengeInput{
		ChallengeName:      types.ChallengeNameTypePasswordVerifier,
		ClientId:           aws.String(s.ClientID),
		Session:            aws.String("whatever-the-client-kept"),
		ChallengeResponses: srpProof(t, s, cl, ch, "pw", srp.Timestamp(time.Now())),
	})
	require.NoError(t, err)
	require.NotNil(t, out.AuthenticationResult)
}

func TestSecretHash(t *testing.T) {
	s := newTestServer(t, WithClientSecret("the-secret"))
	s.AddUser("mia", "pw")
	s.AddAlias("mia", "mia@example.com")
	hashErr := "Unable to verify secret hash for client " + s.ClientID
	ctx := context.Background()
	initiate := func(flow types.AuthFlowType, params map[string]string) error {
		_, err := s.Client().InitiateAuth(ctx, &cip.InitiateAuthInput{AuthFlow: flow, ClientId: aws.String(s.ClientID), AuthParameters: params})
		return err
	}

	t.Run("initiate", func(t *testing.T) {
		for _, flow := range []types.AuthFlowType{types.AuthFlowTypeUserSrpAuth, types.AuthFlowTypeUserPasswordAuth} {
			params := map[string]string{"USERNAME": "mia@example.com", "SRP_A": "abcdef", "PASSWORD": "pw"}
			requireNotAuthorized(t, initiate(flow, params), hashErr)
			params["SECRET_HASH"] = "not base64!"
			requireNotAuthorized(t, initiate(flow, params), hashErr)
			params["SECRET_HASH"] = secretHash(s, "mia") // over the username, not the name typed
			requireNotAuthorized(t, initiate(flow, params), hashErr)
		}
		_, err := passwordSignIn(s, "mia@example.com", "pw") // hash over the name typed
		require.NoError(t, err)
	})
	t.Run("respond", func(t *testing.T) {
		for _, hash := range []string{"", secretHash(s, "mia@example.com")} {
			cl, ch, err := srpStart(t, s, "mia@example.com")
			require.NoError(t, err)
			proof := srpProof(t, s, cl, ch, "pw", srp.Timestamp(time.Now()))
			proof["SECRET_HASH"] = hash
			_, err = srpRespond(ctx, s, proof)
			requireNotAuthorized(t, err, hashErr)
		}
	})
	t.Run("refresh", func(t *testing.T) {
		out, err := srpSignIn(t, s, "mia@example.com", "pw")
		require.NoError(t, err)
		rt := aws.ToString(out.AuthenticationResult.RefreshToken)
		requireNotAuthorized(t, initiate(types.AuthFlowTypeRefreshTokenAuth, map[string]string{"REFRESH_TOKEN": rt}), hashErr)
		_, err = refresh(s, rt, "mia@example.com")
		requireNotAuthorized(t, err, hashErr)
		_, err = refresh(s, rt, "mia")
		require.NoError(t, err)
		// Without the secret, nothing is learnt about a token.
		requireNotAuthorized(t, initiate(types.AuthFlowTypeRefreshTokenAuth, map[string]string{"REFRESH_TOKEN": "bogus"}), hashErr)
	})
}

func TestRequireChallenge(t *testing.T) {
	s := newTestServer(t)
	s.AddUser("nina", "pw")
	s.AddAlias("nina", "nina@example.com")
	ctx := context.Background()

	s.RequireChallenge("nina", "NEW_PASSWORD_REQUIRED")
	out, err := srpSignIn(t, s, "nina", "pw")
	require.NoError(t, err)
	assert.Equal(t, types.ChallengeNameTypeNewPasswordRequired, out.ChallengeName)
	assert.Nil(t, out.AuthenticationResult)
	assert.NotEmpty(t, aws.ToString(out.Session))
	var attrs map[string]string
	require.NoError(t, json.Unmarshal([]byte(out.ChallengeParameters["userAttributes"]), &attrs))
	assert.Equal(t, "nina@example.com", attrs["email"])
	var required []string
	require.NoError(t, json.Unmarshal([]byte(out.ChallengeParameters["requiredAttributes"]), &required))

	_, err = srpSignIn(t, s, "nina", "wrong")
	requireNotAuthorized(t, err, badCreds)

	s.RequireChallenge("nina", "SOFTWARE_TOKEN_MFA")
	pw, err := passwordSignIn(s, "nina", "pw")
	require.NoError(t, err)
	assert.Equal(t, types.ChallengeNameTypeSoftwareTokenMfa, pw.ChallengeName)
	assert.Nil(t, pw.AuthenticationResult)
	require.NotEmpty(t, aws.ToString(pw.Session))

	_, err = s.Client().RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{
		ChallengeName:      types.ChallengeNameTypeSoftwareTokenMfa,
		ClientId:           aws.String(s.ClientID),
		Session:            pw.Session,
		ChallengeResponses: map[string]string{"USERNAME": "nina", "SOFTWARE_TOKEN_MFA_CODE": "123456"},
	})
	var ip *types.InvalidParameterException
	require.ErrorAs(t, err, &ip)

	s.RequireChallenge("nina", "")
	out, err = srpSignIn(t, s, "nina", "pw")
	require.NoError(t, err)
	require.NotNil(t, out.AuthenticationResult)
}

// Many clients sign in, refresh and fail at once; run with -race.
func TestConcurrentSignIns(t *testing.T) {
	s := newTestServer(t, WithClientSecret("shh"))
	const users = 10
	for i := range users {
		name := fmt.Sprintf("user%d", i)
		s.AddUser(name, "pw-"+name)
		s.AddAlias(name, name+"@example.com")
	}
	var wg sync.WaitGroup
	const perUser = 4
	errs := make(chan error, users*(perUser+1))
	for i := range users {
		name := fmt.Sprintf("user%d", i)
		for j := range perUser {
			wg.Go(func() {
				typed := name
				if j%2 == 1 {
					typed = name + "@example.com"
				}
				out, err := srpSignIn(t, s, typed, "pw-"+name)
				if err != nil {
					errs <- fmt.Errorf("%s: sign-in: %w", typed, err)
					return
				}
				if got := claims(t, aws.ToString(out.AuthenticationResult.AccessToken))["username"]; got != name {
					errs <- fmt.Errorf("%s: username claim %v", typed, got)
				}
				if _, err := refresh(s, aws.ToString(out.AuthenticationResult.RefreshToken), name); err != nil {
					errs <- fmt.Errorf("%s: refresh: %w", typed, err)
				}
			})
		}
		wg.Go(func() {
			_, err := passwordSignIn(s, name, "wrong")
			var na *types.NotAuthorizedException
			if !assert.ErrorAs(t, err, &na) {
				errs <- fmt.Errorf("%s: wrong password accepted", name)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	assert.Equal(t, users*perUser, s.Calls("RespondToAuthChallenge"))
	assert.Equal(t, users*perUser*2+users, s.Calls("InitiateAuth"))
}

// TestNamesIgnoreCase: like a pool created today, names match in any
// letter case, and the pool's own spelling comes back.
func TestNamesIgnoreCase(t *testing.T) {
	s := newTestServer(t, WithClientSecret("s3cr3t"))
	s.AddUser("Alice.Smith", "pw")
	s.AddAlias("Alice.Smith", "Alice@Example.com")
	for _, typed := range []string{"alice.smith", "ALICE.SMITH", "alice@example.com", "ALICE@EXAMPLE.COM"} {
		out, err := srpSignIn(t, s, typed, "pw")
		require.NoError(t, err, typed)
		c := claims(t, aws.ToString(out.AuthenticationResult.AccessToken))
		assert.Equal(t, "Alice.Smith", c["username"], typed)
		_, err = refresh(s, aws.ToString(out.AuthenticationResult.RefreshToken), "Alice.Smith")
		require.NoError(t, err)
	}
	out, err := passwordSignIn(s, "alice@EXAMPLE.com", "pw")
	require.NoError(t, err)
	assert.Equal(t, "Alice@Example.com", claims(t, aws.ToString(out.AuthenticationResult.IdToken))["email"])
	assert.Panics(t, func() { s.AddUser("alice.SMITH", "pw2") }, "the same name in another case")
	assert.Panics(t, func() { s.AddAlias("Alice.Smith", "alice@example.COM") })
}
