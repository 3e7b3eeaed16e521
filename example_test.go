package cognito_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/seed-e8acf5fd/cognito"
	"github.com/seed-e8acf5fd/cognito/cognitotest"
)

func ExampleConfig_TokenSource() {
	// A local user pool stands in for Cognito; with a real pool, leave
	// API nil and use the pool's and app client's IDs.
	pool := cognitotest.NewServer()
	defer pool.Close()
	pool.AddUser("alice", "correct horse battery staple")
	// The API the program calls: it answers requests that carry a bearer
	// token. (A real API verifies the token against the pool's JWKS.)
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ey") {
			http.Error(w, "no token", http.StatusUnauthorized)
			return
		}
		fmt.Fprint(w, "orders: 3")
	}))
	defer api.Close()

	ctx := context.Background()
	conf := &cognito.Config{
		UserPoolID: pool.UserPoolID,
		ClientID:   pool.ClientID,
		Username:   "alice",
		Password:   "correct horse battery staple",
		API:        pool.Client(),
	}
	client := oauth2.NewClient(ctx, conf.TokenSource(ctx, nil))

	for range 3 {
		resp, err := client.Get(api.URL + "/orders")
		if err != nil {
			log.Fatal(err)
		}
		resp.Body.Close()
		fmt.Println(resp.Status)
	}
	fmt.Println("sign-ins:", pool.Calls("RespondToAuthChallenge"))
	// Output:
	// 200 OK
	// 200 OK
	// 200 OK
	// sign-ins: 1
}

// Tokens are renewed with the refresh token when they near expiry, without
// the program doing anything. Here they live two seconds and the program
// pauses past that, so its next request waits for the renewal; a program
// that makes requests more often never waits, as renewals start in the
// background ahead of expiry.
func ExampleConfig_TokenSource_renewal() {
	pool := cognitotest.NewServer(cognitotest.WithTokenLifetime(2 * time.Second))
	defer pool.Close()
	pool.AddUser("alice", "correct horse battery staple")
	// The API the program calls: it answers requests that carry a bearer
	// token. (A real API verifies the token against the pool's JWKS.)
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ey") {
			http.Error(w, "no token", http.StatusUnauthorized)
			return
		}
		fmt.Fprint(w, "orders: 3")
	}))
	defer api.Close()

	ctx := context.Background()
	conf := &cognito.Config{
		UserPoolID: pool.UserPoolID,
		ClientID:   pool.ClientID,
		Username:   "alice",
		Password:   "correct horse battery staple",
		API:        pool.Client(),
	}
	client := oauth2.NewClient(ctx, conf.TokenSource(ctx, nil))

	for i := range 2 {
		if i > 0 {
			time.Sleep(2100 * time.Millisecond) // the token has expired
		}
		resp, err := client.Get(api.URL)
		if err != nil {
			log.Fatal(err)
		}
		resp.Body.Close()
		fmt.Println("request", i+1, resp.Status)
	}
	// One SRP sign-in (InitiateAuth + RespondToAuthChallenge), then a renewal
	// (GetTokensFromRefreshToken).
	fmt.Println("renewals:", pool.Calls("GetTokensFromRefreshToken"))
	// Output:
	// request 1 200 OK
	// request 2 200 OK
	// renewals: 1
}

// Config.Client is oauth2.NewClient with a token source, plus one thing:
// a request waiting for a token gives up when its context ends, however
// slow Cognito is.
func ExampleConfig_Client() {
	pool := cognitotest.NewServer()
	defer pool.Close()
	pool.AddUser("alice", "correct horse battery staple")
	// The API the program calls: it answers requests that carry a bearer
	// token. (A real API verifies the token against the pool's JWKS.)
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ey") {
			http.Error(w, "no token", http.StatusUnauthorized)
			return
		}
		fmt.Fprint(w, "orders: 3")
	}))
	defer api.Close()

	conf := &cognito.Config{
		UserPoolID: pool.UserPoolID,
		ClientID:   pool.ClientID,
		Username:   "alice",
		Password:   "correct horse battery staple",
		API:        pool.Client(),
	}
	client := conf.Client(context.Background(), nil)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, api.URL+"/orders", nil)
	if err != nil {
		log.Fatal(err)
	}
	resp, err := client.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp.Status, string(body))
	// Output: 200 OK orders: 3
}

// A program that keeps its session between runs starts from the token it
// saved, with no password: the source renews it with its refresh token.
// When Cognito no longer accepts that refresh token (it expired or was
// revoked), Token returns ErrSignInRequired, and the program asks the user
// to sign in again.
func ExampleConfig_TokenSource_savedToken() {
	pool := cognitotest.NewServer()
	defer pool.Close()
	pool.AddUser("alice", "correct horse battery staple")
	signIn := &cognito.Config{
		UserPoolID: pool.UserPoolID,
		ClientID:   pool.ClientID,
		Username:   "alice",
		Password:   "correct horse battery staple",
		API:        pool.Client(),
	}
	saved, err := signIn.Token(context.Background()) // an earlier run saved this
	if err != nil {
		log.Fatal(err)
	}
	saved.Expiry = time.Now().Add(-time.Minute) // and it has expired since

	conf := &cognito.Config{UserPoolID: pool.UserPoolID, ClientID: pool.ClientID, API: pool.Client()}
	tok, err := conf.TokenSource(context.Background(), saved).Token()
	fmt.Println("renewed:", err == nil && tok.AccessToken != saved.AccessToken)

	pool.RevokeRefreshTokens("alice") // as a sign-out elsewhere would
	_, err = conf.TokenSource(context.Background(), saved).Token()
	if errors.Is(err, cognito.ErrSignInRequired) {
		fmt.Println("sign in again")
	}
	// Output:
	// renewed: true
	// sign in again
}

func ExampleIDToken() {
	pool := cognitotest.NewServer()
	defer pool.Close()
	pool.AddUser("3f1c2a9e-7b1d-4c2b-9f00-5a6b7c8d9e0f", "correct horse battery staple")
	pool.AddAlias("3f1c2a9e-7b1d-4c2b-9f00-5a6b7c8d9e0f", "alice@example.com")

	conf := &cognito.Config{
		UserPoolID: pool.UserPoolID,
		ClientID:   pool.ClientID,
		Username:   "alice@example.com", // an alias: the pool knows her by a UUID
		Password:   "correct horse battery staple",
		API:        pool.Client(),
	}
	tok, err := conf.TokenSource(context.Background(), nil).Token()
	if err != nil {
		log.Fatal(err)
	}

	// The ID token carries the user's attributes. Read them like this only
	// from a token you obtained yourself; verify tokens you receive.
	id := cognito.IDToken(tok)
	payload, err := base64.RawURLEncoding.DecodeString(strings.Split(id, ".")[1])
	if err != nil {
		log.Fatal(err)
	}
	var claims struct {
		Email    string `json:"email"`
		Username string `json:"cognito:username"`
		Use      string `json:"token_use"`
	}
	if err := json.Unmarshal(payload, &claims); err != nil {
		log.Fatal(err)
	}
	fmt.Println(claims.Use, claims.Email, claims.Username)
	// Output: id alice@example.com 3f1c2a9e-7b1d-4c2b-9f00-5a6b7c8d9e0f
}
