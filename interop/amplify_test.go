package interop_test

import (
	"strings"
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
	Username       string  `json:"username"`
	OK             bool    `json:"ok"`
	Error          string  `json:"error"`
	Message        string  `json:"message"`
	AccessUsername string  `json:"accessUsername"`
	IDUsername     string  `json:"idUsername"`
	Email          string  `json:"email"`
	Refreshed      bool    `json:"refreshed"`
	SignedOut      bool    `json:"signedOut"`
	AsExpected     bool    `json:"asExpected"`
	SignInMs       float64 `json:"signInMs"`
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

	type user struct{ name, alias, password, email string }
	users := []user{
		{"alice", "", "Corr3ct horse battery!", ""},
		{"bob", "", "p", ""},
		{"carol", "", "with:colon and space", ""},
		{"dave", "", strings.Repeat("long-password-", 16), ""},
		{"erin", "", `quotes " and \ backslash`, ""},
		{"frank", "", "tab\tand newline\n", ""},
		{"ユーザー", "", "パスワード✓ü", ""},
		{"josé", "", "contraseña-ñ", ""},
		{"Zoë.Ünïcødé", "", "пароль-密码-🔐", ""},
		{"user+tag@example.com", "", "emoji 😀 pass", ""},
		{"4f8e7c1a-0000-4000-8000-0000000000a1", "grace@example.com", "Grace!2024", "grace@example.com"},
		{"4f8e7c1a-0000-4000-8000-0000000000a2", "+15555550123", "phone alias", ""},
	}
	job := amplifyJob{Endpoint: srv.URL, UserPoolID: srv.UserPoolID, ClientID: srv.ClientID, Refresh: true}
	for _, u := range users {
		srv.AddUser(u.name, u.password)
		login := u.name
		if u.alias != "" {
			srv.AddAlias(u.name, u.alias)
			login = u.alias
		}
		job.Users = append(job.Users, jsUser{login, u.password, "success"})
	}
	job.Users = append(job.Users,
		jsUser{"alice", "Corr3ct horse battery?", "failure"}, // wrong password
		jsUser{"grace@example.com", "grace!2024", "failure"}, // wrong password, by alias
		jsUser{"nobody", "whatever", "failure"},              // unknown user
	)

	var report amplifyReport
	runScript(t, "amplify-client.js", job, &report)
	require.Len(t, report.Results, len(job.Users))
	for i, r := range report.Results {
		assert.Equal(t, job.Users[i].Username, r.Username)
		if i < len(users) {
			u := users[i]
			assert.True(t, r.OK, "%s: %s %s", r.Username, r.Error, r.Message)
			assert.Equal(t, u.name, r.AccessUsername, "username claim for %s", r.Username)
			assert.Equal(t, u.name, r.IDUsername, "cognito:username claim for %s", r.Username)
			assert.Equal(t, u.email, r.Email, "email claim for %s", r.Username)
			assert.True(t, r.Refreshed, "%s refreshed", r.Username)
			assert.True(t, r.SignedOut, "%s signed out", r.Username)
		} else {
			assert.False(t, r.OK, r.Username)
			assert.Equal(t, "NotAuthorizedException", r.Error, r.Username)
			assert.Equal(t, "Incorrect username or password.", r.Message, r.Username)
			assert.False(t, r.Refreshed, r.Username)
			assert.False(t, r.SignedOut, r.Username)
		}
		assert.True(t, r.AsExpected, r.Username)
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
