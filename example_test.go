package cognito_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/seed-e8acf5fd/cognito"
	"github.com/seed-e8acf5fd/cognito/cognitotest"
)

// protectedAPI stands for the API a program calls: it answers 200 to
// requests that carry a bearer token and 401 to the others. (A real API
// verifies the token against the pool's JWKS.)
func protectedAPI() *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ey") {
			http.Error(w, "no token", http.StatusUnauthorized)
			return
		}
		fmt.Fprint(w, "orders: 3")
	}))
}

func ExampleConfig_TokenSource() {
	// A local user pool stands in for Cognito; with a real pool, leave
	// Client nil and use the pool's and app client's IDs.
	pool := cognitotest.NewServer()
	defer pool.Close()
	pool.AddUser("alice", "correct horse battery staple")
	api := protectedAPI()
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
// the program doing anything. Here they live two seconds, so the token
// source renews them once half their life has passed.
func ExampleConfig_TokenSource_renewal() {
	pool := cognitotest.NewServer(cognitotest.WithTokenLifetime(2 * time.Second))
	defer pool.Close()
	pool.AddUser("alice", "correct horse battery staple")
	api := protectedAPI()
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

	for i := range 3 {
		if i > 0 {
			time.Sleep(1200 * time.Millisecond) // past half the token's life
		}
		resp, err := client.Get(api.URL)
		if err != nil {
			log.Fatal(err)
		}
		resp.Body.Close()
		fmt.Println("request", i+1, resp.Status)
	}
	// One SRP sign-in (InitiateAuth + RespondToAuthChallenge), then renewals
	// (InitiateAuth with REFRESH_TOKEN_AUTH).
	fmt.Println("renewals:", pool.Calls("InitiateAuth")-pool.Calls("RespondToAuthChallenge"))
	// Output:
	// request 1 200 OK
	// request 2 200 OK
	// request 3 200 OK
	// renewals: 2
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
