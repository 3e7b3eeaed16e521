// Package interop_test checks this module against independent
// implementations: the reference client amazon-cognito-identity-js signs in
// to cognitotest, and the token source runs against the cognito-local
// emulator and, for sign-in challenges, moto's Cognito server. The first
// two come from npm (`npm ci --prefix interop`, which `make test` runs),
// moto from the machine image's Python (see NOTES.md). When they are
// missing the tests fail under CI (CI set) and are skipped elsewhere.
package interop_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/seed-e8acf5fd/cognito"
	"github.com/seed-e8acf5fd/cognito/cognitotest"
	"github.com/seed-e8acf5fd/cognito/internal/cognitolocal"
	jwtclaims "github.com/seed-e8acf5fd/cognito/internal/jwt"
)

// --- the reference client against cognitotest ---

type jsUser struct {
	Username string `json:"username"`
	Password string `json:"password"`
	Expect   string `json:"expect"`
}

type jsJob struct {
	Endpoint   string   `json:"endpoint"`
	UserPoolID string   `json:"userPoolId"`
	ClientID   string   `json:"clientId"`
	Users      []jsUser `json:"users"`
	Refresh    bool     `json:"refresh"`
	Repeat     int      `json:"repeat"`
}

// peerResult holds what every driver in js/ reports of a job user (see
// newResult in js/driver.js); each driver's result type adds its own.
type peerResult struct {
	Username       string  `json:"username"`
	OK             bool    `json:"ok"`
	Error          string  `json:"error"`
	Message        string  `json:"message"`
	AccessUsername string  `json:"accessUsername"`
	IDUsername     string  `json:"idUsername"`
	AsExpected     bool    `json:"asExpected"`
	SignInMs       float64 `json:"signInMs"`
}

type jsResult struct {
	peerResult
	Refreshed           bool `json:"refreshed"`
	RefreshChangedToken bool `json:"refreshChangedToken"`
}

type jsReport struct {
	Results      []jsResult `json:"results"`
	MeanSignInMs float64    `json:"meanSignInMs"`
}

// runReferenceClient runs interop/js/srp-client.js with job.
func runReferenceClient(t testing.TB, job jsJob) jsReport {
	t.Helper()
	var report jsReport
	runScript(t, "srp-client.js", job, &report)
	require.Len(t, report.Results, len(job.Users))
	return report
}

// scriptPeers names the npm package each driver in js/ drives.
var scriptPeers = map[string]string{
	"srp-client.js":       "amazon-cognito-identity-js",
	"amplify-client.js":   "aws-amplify",
	"challenge-client.js": "amazon-cognito-identity-js",
}

// requirePeer returns the path of node when it and the npm package that
// js/<script> drives are installed. Without them, the test fails under CI
// and is skipped elsewhere (see unavailable).
func requirePeer(t testing.TB, script string) string {
	t.Helper()
	peer, ok := scriptPeers[script]
	require.True(t, ok, "unknown driver %s", script)
	node, err := exec.LookPath("node")
	if err != nil {
		unavailable(t, "node is not installed")
	}
	if _, err := os.Stat(filepath.Join("node_modules", peer, "package.json")); err != nil {
		unavailable(t, peer+" is not installed: run `npm ci --prefix interop`")
	}
	return node
}

// runScript runs the driver js/<script> with job, JSON-encoded, on its
// stdin and decodes the JSON it prints into out. The driver must exit 0.
func runScript(t testing.TB, script string, job, out any) {
	t.Helper()
	node := requirePeer(t, script)
	in, err := json.Marshal(job)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, filepath.Join("js", script))
	cmd.Stdin = bytes.NewReader(in)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(t, cmd.Run(), "%s: %s", script, stderr.String())
	require.NoError(t, json.Unmarshal(stdout.Bytes(), out), "%s printed: %s", script, stdout.String())
}

func unavailable(t testing.TB, msg string) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf("interop peer missing: %s", msg)
	}
	t.Skipf("interop peer missing (CI would fail): %s", msg)
}

// peerUser is a user the JS peers sign in as to cognitotest: name is its
// username, which the access token's username claim and the ID token's
// cognito:username claim must carry; alias, when set, is an alias it signs
// in with instead; email is the ID token's email claim ("" for none: only an
// email alias gives one).
type peerUser struct{ name, alias, password, email string }

// peerUsers returns the users every JS peer signs in as: ASCII and Unicode
// usernames, passwords with punctuation, quotes, control characters and
// emoji, from one character to 224, and users with a UUID for a username
// who sign in by an email or a phone alias. Each test adds the users
// specific to it.
func peerUsers() []peerUser {
	return []peerUser{
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
		{"4f8e7c1a-0000-4000-8000-000000000001", "grace@example.com", "Grace!2024", "grace@example.com"},
		{"4f8e7c1a-0000-4000-8000-000000000003", "+15555550123", "phone alias", ""},
	}
}

// addPeerUsers creates users in srv and returns the users of a job: one
// sign-in per user of users, in order, expected to succeed, then three
// expected to fail with NotAuthorizedException. users must include alice
// and grace (see peerUsers).
func addPeerUsers(srv *cognitotest.Server, users []peerUser) []jsUser {
	var jobUsers []jsUser
	for _, u := range users {
		srv.AddUser(u.name, u.password)
		login := u.name
		if u.alias != "" {
			srv.AddAlias(u.name, u.alias)
			login = u.alias
		}
		jobUsers = append(jobUsers, jsUser{login, u.password, "success"})
	}
	return append(jobUsers,
		jsUser{"alice", "Corr3ct horse battery?", "failure"}, // wrong password
		jsUser{"grace@example.com", "grace!2024", "failure"}, // wrong password, by alias
		jsUser{"nobody", "whatever", "failure"},              // unknown user
	)
}

// assertPeerResult checks what every driver reports of the i-th job user
// made by addPeerUsers(srv, users): a user of users signed in and got
// tokens naming them; the others failed with NotAuthorizedException. It
// returns whether the user was one of users.
func assertPeerResult(t *testing.T, users []peerUser, i int, r peerResult) bool {
	t.Helper()
	if i < len(users) {
		assert.True(t, r.OK, "%s: %s %s", r.Username, r.Error, r.Message)
		assert.Equal(t, users[i].name, r.AccessUsername, "username claim for %s", r.Username)
		assert.Equal(t, users[i].name, r.IDUsername, "cognito:username claim for %s", r.Username)
	} else {
		assert.False(t, r.OK, r.Username)
		assert.Equal(t, "NotAuthorizedException", r.Error, r.Username)
		assert.Equal(t, "Incorrect username or password.", r.Message, r.Username)
	}
	assert.True(t, r.AsExpected, r.Username)
	return i < len(users)
}

// TestReferenceClientSignsIn: amazon-cognito-identity-js signs in with SRP
// to cognitotest and refreshes, for users of every kind.
func TestReferenceClientSignsIn(t *testing.T) {
	srv := cognitotest.NewServer()
	t.Cleanup(srv.Close)

	users := append(peerUsers(),
		peerUser{"4f8e7c1a-0000-4000-8000-000000000002", "heidi@example.com", "héidi-pass", "heidi@example.com"},
		peerUser{"4f8e7c1a-0000-4000-8000-000000000004", "ivan@example.com", "Ivan 🔑 key", "ivan@example.com"},
		peerUser{"mallory", "", "0", ""},
		peerUser{"niaj", "", "00000000", ""},
		peerUser{"olivia", "", "Ω≈ç√∫˜µ≤≥÷", ""},
		peerUser{"peggy", "", "ﾟ･✿ヾ╲(｡◕‿◕｡)╱✿･ﾟ", ""},
		peerUser{"rupert", "", "R", ""},
		peerUser{"sybil", "", "Sybil's password, quite long, with punctuation: ;,.!?", ""},
		peerUser{"trent", "", "𝕋𝕣𝕖𝕟𝕥", ""},
		peerUser{"victor", "", "victor", ""},
	)
	job := jsJob{Endpoint: srv.URL, UserPoolID: srv.UserPoolID, ClientID: srv.ClientID, Refresh: true, Repeat: 1,
		Users: addPeerUsers(srv, users)}

	report := runReferenceClient(t, job)
	for i, r := range report.Results {
		if assertPeerResult(t, users, i, r.peerResult) {
			assert.True(t, r.Refreshed, "%s refreshed", r.Username)
			assert.True(t, r.RefreshChangedToken, "%s got a new access token", r.Username)
		}
	}
	assert.Equal(t, len(users)+3, srv.Calls("RespondToAuthChallenge"))
	t.Logf("reference client: mean SRP sign-in %.0f ms", report.MeanSignInMs)
}

// BenchmarkReferenceClientSignIn times amazon-cognito-identity-js's SRP
// sign-in against cognitotest, for comparison with the root package's
// BenchmarkSignIn (same pool, same work). Node's start-up is not counted.
func BenchmarkReferenceClientSignIn(b *testing.B) {
	srv := cognitotest.NewServer()
	b.Cleanup(srv.Close)
	srv.AddUser("alice", "Corr3ct horse battery!")
	report := runReferenceClient(b, jsJob{Endpoint: srv.URL, UserPoolID: srv.UserPoolID, ClientID: srv.ClientID,
		Users: []jsUser{{"alice", "Corr3ct horse battery!", "success"}}, Repeat: b.N})
	require.True(b, report.Results[0].OK, report.Results[0].Error)
	b.ReportMetric(report.MeanSignInMs*1e6, "ns/op")
}

// --- the token source against cognito-local ---

// countingAPI counts the calls the token source makes, by flow.
type countingAPI struct {
	cognito.API
	mu    sync.Mutex
	flows map[types.AuthFlowType]int
}

func (c *countingAPI) InitiateAuth(ctx context.Context, in *cip.InitiateAuthInput, opts ...func(*cip.Options)) (*cip.InitiateAuthOutput, error) {
	c.mu.Lock()
	if c.flows == nil {
		c.flows = map[types.AuthFlowType]int{}
	}
	c.flows[in.AuthFlow]++
	c.mu.Unlock()
	return c.API.InitiateAuth(ctx, in, opts...)
}

func (c *countingAPI) count(flow types.AuthFlowType) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.flows[flow]
}

func payload(t testing.TB, jwt string) map[string]any {
	t.Helper()
	var c map[string]any
	require.NoError(t, jwtclaims.DecodeUnverified(jwt, &c))
	return c
}

// TestCognitoLocal runs the token source against the cognito-local
// emulator: pool IDs without a region, results without ExpiresIn, and
// tokens living two seconds, renewed by the token source on its own while
// an ordinary HTTP client calls an API.
func TestCognitoLocal(t *testing.T) {
	emu := cognitolocal.Start(t)
	pool := emu.NewPool(t, 2*time.Second)
	pool.AddUserWithEmail(t, "alice", "Pässw0rd ✓", "alice@example.com")
	require.True(t, strings.HasPrefix(pool.ID, "local_"), pool.ID)

	api := &countingAPI{API: emu.Client}
	conf := &cognito.Config{UserPoolID: pool.ID, ClientID: pool.ClientID, Username: "alice@example.com",
		Password: "Pässw0rd ✓", Flow: cognito.FlowPassword, API: api}
	ctx := context.Background()
	ts := conf.TokenSource(ctx, nil)

	first, err := ts.Token()
	require.NoError(t, err)
	assert.Equal(t, "alice", payload(t, first.AccessToken)["username"])
	assert.NotEmpty(t, cognito.IDToken(first))
	assert.NotEmpty(t, first.RefreshToken)
	// No ExpiresIn: the expiry comes from the JWT (exp − iat = 2 s).
	assert.WithinDuration(t, time.Now().Add(2*time.Second), first.Expiry, 1500*time.Millisecond)

	// An API that records the bearer tokens it receives.
	var mu sync.Mutex
	seen := map[string]bool{}
	apiSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		mu.Lock()
		seen[tok] = true
		mu.Unlock()
	}))
	t.Cleanup(apiSrv.Close)
	client := oauth2.NewClient(ctx, ts)
	for range 14 { // 3.5 s: well over one lifetime
		resp, err := client.Get(apiSrv.URL)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
		time.Sleep(250 * time.Millisecond)
	}
	refreshes := api.count(types.AuthFlowTypeRefreshTokenAuth)
	assert.Equal(t, 1, api.count(types.AuthFlowTypeUserPasswordAuth), "one sign-in")
	assert.GreaterOrEqual(t, refreshes, 2, "renewed on its own")
	assert.LessOrEqual(t, refreshes, 5, "at most one renewal per half lifetime")
	assert.Equal(t, refreshes+1, len(seen), "every renewal reached the API")

	// Starting from a saved token, without the password.
	last, err := ts.Token()
	require.NoError(t, err)
	saved := &oauth2.Token{AccessToken: last.AccessToken, RefreshToken: last.RefreshToken, Expiry: time.Now().Add(-time.Second)}
	noPassword := *conf
	noPassword.Password = ""
	renewed, err := noPassword.TokenSource(ctx, saved).Token()
	require.NoError(t, err)
	assert.NotEqual(t, last.AccessToken, renewed.AccessToken)
	assert.Equal(t, last.RefreshToken, renewed.RefreshToken)

	// A revoked refresh token: an error that says to sign in again...
	_, err = emu.Client.RevokeToken(ctx, &cip.RevokeTokenInput{ClientId: aws.String(pool.ClientID), Token: aws.String(last.RefreshToken)})
	require.NoError(t, err)
	_, err = noPassword.TokenSource(ctx, saved).Token()
	require.ErrorIs(t, err, cognito.ErrSignInRequired)
	var notAuth *types.NotAuthorizedException
	assert.ErrorAs(t, err, &notAuth)
	// ...or a new sign-in when the password is there.
	signIns := api.count(types.AuthFlowTypeUserPasswordAuth)
	again, err := conf.TokenSource(ctx, saved).Token()
	require.NoError(t, err)
	assert.NotEqual(t, last.RefreshToken, again.RefreshToken)
	assert.Equal(t, signIns+1, api.count(types.AuthFlowTypeUserPasswordAuth))

	// A wrong password is the emulator's typed error, wrapped.
	wrong := *conf
	wrong.Password = "nope"
	_, err = wrong.Token(ctx)
	var apiErr smithy.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, "InvalidPasswordException", apiErr.ErrorCode())
	assert.True(t, strings.HasPrefix(err.Error(), "cognito: "))
	assert.NotContains(t, err.Error(), "nope")
	assert.False(t, errors.Is(err, cognito.ErrSignInRequired))
}
