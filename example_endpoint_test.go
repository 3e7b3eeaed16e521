package cognito_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/seed-e8acf5fd/cognito"
	"github.com/seed-e8acf5fd/cognito/cognitotest"
)

// Managed login with stock golang.org/x/oauth2: the authorization code
// grant with PKCE, then renewals through the pool's token endpoint. Here
// an HTTP client plays the browser; a real program opens AuthCodeURL in
// one and listens on its registered callback URL.
func ExampleEndpoint() {
	const callback = "http://localhost:8765/callback" // registered: exact match
	pool := cognitotest.NewServer(cognitotest.WithCallbackURL(callback), cognitotest.WithTokenLifetime(time.Second))
	defer pool.Close()
	pool.AddUser("alice", "correct horse battery staple")

	conf := &oauth2.Config{
		ClientID:    pool.ClientID,
		Endpoint:    cognito.Endpoint(pool.Domain), // "https://<prefix>.auth.<region>.amazoncognito.com"
		RedirectURL: callback,
		Scopes:      []string{"openid", "email", "profile"},
	}
	conf.Endpoint.AuthStyle = oauth2.AuthStyleInParams // a public client: no secret
	verifier := oauth2.GenerateVerifier()
	authURL := conf.AuthCodeURL("state-1", oauth2.S256ChallengeOption(verifier))

	code := browserSignIn(authURL, callback, pool.Domain, "alice", "correct horse battery staple")
	tok, err := conf.Exchange(context.Background(), code, oauth2.VerifierOption(verifier))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("ID token:", cognito.IDToken(tok) != "")

	// The token source renews with grant_type=refresh_token.
	ts := conf.TokenSource(context.Background(), tok)
	time.Sleep(1100 * time.Millisecond) // the token expires
	renewed, err := ts.Token()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("renewed:", renewed.AccessToken != tok.AccessToken, "same refresh token:", renewed.RefreshToken == tok.RefreshToken)
	// Output:
	// ID token: true
	// renewed: true same refresh token: true
}

// browserSignIn stands in for a person at a browser: it opens authURL,
// fills in the pool's login form, and returns the code the pool sends to
// the callback.
func browserSignIn(authURL, callback, domain, username, password string) string {
	jar, err := cookiejar.New(nil)
	if err != nil {
		log.Fatal(err)
	}
	browser := &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, _ []*http.Request) error {
		if strings.HasPrefix(req.URL.String(), callback) {
			return http.ErrUseLastResponse
		}
		return nil
	}}
	resp, err := browser.Get(authURL)
	if err != nil {
		log.Fatal(err)
	}
	page, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		log.Fatal(err)
	}
	form := url.Values{"username": {username}, "password": {password}}
	for _, m := range regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`).FindAllStringSubmatch(string(page), -1) {
		form.Set(m[1], m[2])
	}
	resp, err = browser.PostForm(domain+"/login", form)
	if err != nil {
		log.Fatal(err)
	}
	resp.Body.Close()
	to, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		log.Fatal(err)
	}
	return to.Query().Get("code")
}

// Machine-to-machine: an app client with a secret gets access tokens for
// its resource-server scopes with the client credentials grant, through
// golang.org/x/oauth2/clientcredentials, which caches and renews them.
func ExampleEndpoint_clientCredentials() {
	pool := cognitotest.NewServer(
		cognitotest.WithClientSecret("app client secret"),
		cognitotest.WithResourceServer("https://api.example.com", "orders.read", "orders.write"),
	)
	defer pool.Close()

	conf := clientcredentials.Config{
		ClientID:     pool.ClientID,
		ClientSecret: pool.ClientSecret,
		TokenURL:     cognito.Endpoint(pool.Domain).TokenURL,
		AuthStyle:    cognito.Endpoint(pool.Domain).AuthStyle,
		Scopes:       []string{"https://api.example.com/orders.read"},
	}
	// conf.Client(ctx) is an *http.Client that sends the token with
	// every request, fetching a new one when it expires.
	tok, err := conf.Token(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(tok.TokenType, "refresh token:", tok.RefreshToken != "")

	// An unknown scope is refused as Cognito refuses it.
	conf.Scopes = []string{"https://api.example.com/orders.delete"}
	_, err = conf.Token(context.Background())
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		fmt.Println(re.Response.StatusCode, re.ErrorCode)
	}
	// Output:
	// Bearer refresh token: false
	// 400 invalid_scope
}
