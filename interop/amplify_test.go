package interop_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-e8acf5fd/cognito/cognitotest"
)

// --- AWS Amplify JS v6 against cognitotest ---

// amplifyJob is the job of js/amplify-client.js.
type amplifyJob struct {
	Endpoint   string        `json:"endpoint"`
	UserPoolID string        `json:"userPoolId"`
	ClientID   string        `json:"clientId"`
	Users      []amplifyUser `json:"users"`
	Refresh    bool          `json:"refresh"`
}

// amplifyUser is a user of an amplifyJob: Refreshes is how many forced
// renewals follow the sign-in (1 when 0).
type amplifyUser struct {
	jsUser
	Refreshes int `json:"refreshes,omitempty"`
}

type amplifyResult struct {
	peerResult
	Email               string `json:"email"`
	Refreshed           bool   `json:"refreshed"`
	RefreshTokenChanges int    `json:"refreshTokenChanges"`
	SignedOut           bool   `json:"signedOut"`
}

// runAmplify runs js/amplify-client.js with job.
func runAmplify(t *testing.T, job amplifyJob) amplifyReport {
	t.Helper()
	var report amplifyReport
	runScript(t, "amplify-client.js", job, &report)
	require.Len(t, report.Results, len(job.Users))
	return report
}

type amplifyReport struct {
	Results      []amplifyResult `json:"results"`
	MeanSignInMs float64         `json:"meanSignInMs"`
}

// TestAmplifySignsIn: Amplify JS v6, a client written apart from both this
// module and amazon-cognito-identity-js, signs in with SRP to cognitotest,
// renews its tokens with GetTokensFromRefreshToken and signs out, revoking
// the refresh token, for users of every kind. Wrong passwords and unknown
// users fail alike.
func TestAmplifySignsIn(t *testing.T) {
	srv := cognitotest.NewServer()
	t.Cleanup(srv.Close)

	users := peerUsers()
	job := amplifyJob{Endpoint: srv.URL, UserPoolID: srv.UserPoolID, ClientID: srv.ClientID, Refresh: true}
	for _, u := range addPeerUsers(srv, users) {
		job.Users = append(job.Users, amplifyUser{jsUser: u})
	}

	report := runAmplify(t, job)
	for i, r := range report.Results {
		assert.Equal(t, job.Users[i].Username, r.Username)
		if assertPeerResult(t, users, i, r.peerResult) {
			assert.Equal(t, users[i].email, r.Email, "email claim for %s", r.Username)
			assert.True(t, r.Refreshed, "%s refreshed", r.Username)
			assert.Zero(t, r.RefreshTokenChanges, "%s: no rotation, the same refresh token", r.Username)
			assert.True(t, r.SignedOut, "%s signed out", r.Username)
		} else {
			assert.False(t, r.Refreshed, r.Username)
			assert.False(t, r.SignedOut, r.Username)
		}
	}

	// One SRP exchange per sign-in. Renewals go through
	// GetTokensFromRefreshToken only (no InitiateAuth REFRESH_TOKEN_AUTH),
	// one per user signed in, and each sign-out revokes its refresh token.
	assert.Equal(t, len(job.Users), srv.Calls("InitiateAuth"))
	assert.Equal(t, len(job.Users), srv.Calls("RespondToAuthChallenge"))
	assert.Equal(t, len(users), srv.Calls("GetTokensFromRefreshToken"))
	assert.Equal(t, len(users), srv.Calls("RevokeToken"))
	t.Logf("Amplify JS v6: mean SRP sign-in %.0f ms", report.MeanSignInMs)
}

// TestAmplifyRenewsUnderRotation: Amplify JS v6 renews twice on an app
// client with refresh-token rotation and no grace period. Each renewal
// returns a new refresh token and kills the one sent, so the second works
// only if Amplify adopted the first one's token; the recorder shows that
// chain, and the sign-out revokes the last token.
func TestAmplifyRenewsUnderRotation(t *testing.T) {
	srv := cognitotest.NewServer(cognitotest.WithRefreshTokenRotation(0))
	t.Cleanup(srv.Close)
	rec := newRecorder(t, srv.URL, nil)
	users := []peerUser{
		{"alice", "", "Corr3ct horse battery!", ""},
		{"4f8e7c1a-0000-4000-8000-000000000001", "grace@example.com", "Grace!2024", "grace@example.com"},
	}
	job := amplifyJob{Endpoint: rec.URL, UserPoolID: srv.UserPoolID, ClientID: srv.ClientID, Refresh: true}
	for _, u := range addPeerUsers(srv, users)[:len(users)] {
		job.Users = append(job.Users, amplifyUser{jsUser: u, Refreshes: 2})
	}

	report := runAmplify(t, job)
	for _, r := range report.Results {
		assert.True(t, r.OK, "%s: %s %s", r.Username, r.Error, r.Message)
		assert.True(t, r.Refreshed, r.Username)
		assert.Equal(t, 2, r.RefreshTokenChanges, "%s adopted each new refresh token", r.Username)
		assert.True(t, r.SignedOut, r.Username)
	}

	// Per user: the sign-in's refresh token, then each renewal sending the
	// token the one before returned, then RevokeToken with the last one.
	signIns := rec.callsTo("RespondToAuthChallenge")
	renewals := rec.callsTo("GetTokensFromRefreshToken")
	revokes := rec.callsTo("RevokeToken")
	require.Len(t, signIns, len(users))
	require.Len(t, renewals, 2*len(users))
	require.Len(t, revokes, len(users))
	for i := range users {
		token := resultString(t, signIns[i].Response, "RefreshToken")
		for _, c := range renewals[2*i : 2*i+2] {
			assert.Equal(t, 200, c.Status)
			assert.Equal(t, token, c.param("RefreshToken"))
			next := resultString(t, c.Response, "RefreshToken")
			assert.NotEqual(t, token, next)
			token = next
		}
		assert.Equal(t, token, revokes[i].param("Token"))
	}
	for _, c := range rec.callsTo("InitiateAuth") {
		assert.Equal(t, "USER_SRP_AUTH", c.param("AuthFlow"), "no REFRESH_TOKEN_AUTH")
	}

	// Revoking the last token ended the sign-in: its first token, rotated
	// out, is revoked too.
	_, err := srv.Client().GetTokensFromRefreshToken(context.Background(), &cip.GetTokensFromRefreshTokenInput{
		ClientId: aws.String(srv.ClientID), RefreshToken: aws.String(resultString(t, signIns[0].Response, "RefreshToken")),
	})
	var na *types.NotAuthorizedException
	require.ErrorAs(t, err, &na)
	assert.Equal(t, "Refresh Token has been revoked", na.ErrorMessage())
}

// resultString returns the string field name of a response's
// AuthenticationResult.
func resultString(t *testing.T, resp map[string]any, name string) string {
	t.Helper()
	res, ok := resp["AuthenticationResult"].(map[string]any)
	require.True(t, ok, "a response with an AuthenticationResult")
	s, ok := res[name].(string)
	require.True(t, ok, "AuthenticationResult.%s", name)
	return s
}
