package interop_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-e8acf5fd/cognito/cognitotest"
)

// --- AWS Amplify JS v6 against cognitotest ---

// amplifyJob is the job of js/amplify-client.js.
type amplifyJob struct {
	Endpoint   string   `json:"endpoint"`
	UserPoolID string   `json:"userPoolId"`
	ClientID   string   `json:"clientId"`
	Users      []jsUser `json:"users"`
	Refresh    bool     `json:"refresh"`
}

type amplifyResult struct {
	peerResult
	Email     string `json:"email"`
	Refreshed bool   `json:"refreshed"`
	SignedOut bool   `json:"signedOut"`
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
	job := amplifyJob{Endpoint: srv.URL, UserPoolID: srv.UserPoolID, ClientID: srv.ClientID, Refresh: true,
		Users: addPeerUsers(srv, users)}

	var report amplifyReport
	runScript(t, "amplify-client.js", job, &report)
	require.Len(t, report.Results, len(job.Users))
	for i, r := range report.Results {
		assert.Equal(t, job.Users[i].Username, r.Username)
		if assertPeerResult(t, users, i, r.peerResult) {
			assert.Equal(t, users[i].email, r.Email, "email claim for %s", r.Username)
			assert.True(t, r.Refreshed, "%s refreshed", r.Username)
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
