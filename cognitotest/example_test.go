package cognitotest_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
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

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/pquerna/otp/totp"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/seed-e8acf5fd/cognito"
	"github.com/seed-e8acf5fd/cognito/cognitotest"
)

// A test of code that needs Cognito tokens: a local pool, a user who signs
// in with an email alias, and the token source aimed at it.
func ExampleNewServer() {
	srv := cognitotest.NewServer()
	defer srv.Close()
	srv.AddUser("3f1c2a9e-7b1d-4c2b-9f00-5a6b7c8d9e0f", "correct horse battery staple")
	srv.AddAlias("3f1c2a9e-7b1d-4c2b-9f00-5a6b7c8d9e0f", "alice@example.com")

	conf := &cognito.Config{
		UserPoolID: srv.UserPoolID,
		ClientID:   srv.ClientID,
		Username:   "alice@example.com",
		Password:   "correct horse battery staple",
		API:        srv.Client(),
	}
	tok, err := conf.TokenSource(context.Background(), nil).Token()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(tok.TokenType, tok.RefreshToken != "")
	fmt.Println("InitiateAuth:", srv.Calls("InitiateAuth"), "RespondToAuthChallenge:", srv.Calls("RespondToAuthChallenge"))
	// Output:
	// Bearer true
	// InitiateAuth: 1 RespondToAuthChallenge: 1
}

// Fault injection drives the error paths of the code under test: here the
// next sign-in is throttled, and the SDK's typed error comes back.
func ExampleServer_FailNext() {
	srv := cognitotest.NewServer()
	defer srv.Close()
	srv.AddUser("alice", "correct horse battery staple")
	srv.FailNext("InitiateAuth", 1, "TooManyRequestsException")

	signIn := func() error {
		_, err := srv.Client().InitiateAuth(context.Background(), &cognitoidentityprovider.InitiateAuthInput{
			AuthFlow:       types.AuthFlowTypeUserPasswordAuth,
			ClientId:       aws.String(srv.ClientID),
			AuthParameters: map[string]string{"USERNAME": "alice", "PASSWORD": "correct horse battery staple"},
		})
		return err
	}
	var throttled *types.TooManyRequestsException
	fmt.Println("first:", errors.As(signIn(), &throttled))
	fmt.Println("second:", signIn())
	// Output:
	// first: true
	// second: <nil>
}

// A user whose MFA is an authenticator app: the sign-in stops at
// SOFTWARE_TOKEN_MFA, and the test plays the app with the user's secret.
func ExampleServer_SetTOTP() {
	srv := cognitotest.NewServer()
	defer srv.Close()
	srv.AddUser("alice", "correct horse battery staple")
	srv.SetTOTP("alice", "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")

	ctx := context.Background()
	out, err := srv.Client().InitiateAuth(ctx, &cognitoidentityprovider.InitiateAuthInput{
		AuthFlow:       types.AuthFlowTypeUserPasswordAuth,
		ClientId:       aws.String(srv.ClientID),
		AuthParameters: map[string]string{"USERNAME": "alice", "PASSWORD": "correct horse battery staple"},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(out.ChallengeName)

	code, err := totp.GenerateCode(srv.TOTPSecret("alice"), time.Now())
	if err != nil {
		log.Fatal(err)
	}
	res, err := srv.Client().RespondToAuthChallenge(ctx, &cognitoidentityprovider.RespondToAuthChallengeInput{
		ChallengeName:      out.ChallengeName,
		ClientId:           aws.String(srv.ClientID),
		Session:            out.Session,
		ChallengeResponses: map[string]string{"USERNAME": "alice", "SOFTWARE_TOKEN_MFA_CODE": code},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.AuthenticationResult.AccessToken != nil)
	// Output:
	// SOFTWARE_TOKEN_MFA
	// true
}

// Custom authentication with the default triggers: no password, and a code
// "sent" to the user, which the test reads with LastCode.
func ExampleWithCustomAuth() {
	srv := cognitotest.NewServer(cognitotest.WithCustomAuth(cognitotest.CustomAuth{}))
	defer srv.Close()
	srv.AddUser("bob", "unused in this flow")

	ctx := context.Background()
	out, err := srv.Client().InitiateAuth(ctx, &cognitoidentityprovider.InitiateAuthInput{
		AuthFlow:       types.AuthFlowTypeCustomAuth,
		ClientId:       aws.String(srv.ClientID),
		AuthParameters: map[string]string{"USERNAME": "bob"},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(out.ChallengeName)

	res, err := srv.Client().RespondToAuthChallenge(ctx, &cognitoidentityprovider.RespondToAuthChallengeInput{
		ChallengeName:      out.ChallengeName,
		ClientId:           aws.String(srv.ClientID),
		Session:            out.Session,
		ChallengeResponses: map[string]string{"USERNAME": "bob", "ANSWER": srv.LastCode("bob")},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.AuthenticationResult.AccessToken != nil)
	// Output:
	// CUSTOM_CHALLENGE
	// true
}

// Managed login with golang.org/x/oauth2 itself: the authorization code
// grant with PKCE against the pool's domain. An HTTP client with cookies
// stands in for the browser: it fills in the login page and stops at the
// redirect to the callback, where the application takes the code.
func ExampleServer_managedLogin() {
	const callback = "http://localhost:8080/callback"
	srv := cognitotest.NewServer(cognitotest.WithCallbackURL(callback))
	defer srv.Close()
	srv.AddUser("alice", "correct horse battery staple")

	conf := &oauth2.Config{
		ClientID:    srv.ClientID,
		Endpoint:    cognito.Endpoint(srv.Domain),
		RedirectURL: callback,
		Scopes:      []string{"openid", "email"},
	}
	verifier := oauth2.GenerateVerifier()
	authURL := conf.AuthCodeURL("state-42", oauth2.S256ChallengeOption(verifier))

	// The browser: /oauth2/authorize sends it on to the login page.
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

	// The user signs in: the form's hidden fields, username and password.
	form := url.Values{"username": {"alice"}, "password": {"correct horse battery staple"}}
	for _, m := range regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`).FindAllStringSubmatch(string(page), -1) {
		form.Set(m[1], m[2])
	}
	resp, err = browser.PostForm(srv.Domain+"/login", form)
	if err != nil {
		log.Fatal(err)
	}
	resp.Body.Close()
	redirect, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp.StatusCode, redirect.Query().Get("state"))

	// The application redeems the code with the verifier.
	tok, err := conf.Exchange(context.Background(), redirect.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(tok.TokenType, cognito.IDToken(tok) != "", tok.RefreshToken != "")
	// Output:
	// 302 state-42
	// Bearer true true
}

// Machine-to-machine tokens: an app client with a secret on a pool with a
// resource server gets access tokens with its scopes from the client
// credentials grant, through golang.org/x/oauth2/clientcredentials.
func ExampleWithResourceServer() {
	srv := cognitotest.NewServer(
		cognitotest.WithClientSecret("app client secret"),
		cognitotest.WithResourceServer("https://api.example.com", "orders.read", "orders.write"),
	)
	defer srv.Close()

	conf := clientcredentials.Config{
		ClientID:     srv.ClientID,
		ClientSecret: srv.ClientSecret,
		TokenURL:     cognito.Endpoint(srv.Domain).TokenURL,
		AuthStyle:    cognito.Endpoint(srv.Domain).AuthStyle,
		Scopes:       []string{"https://api.example.com/orders.read"},
	}
	tok, err := conf.Token(context.Background())
	if err != nil {
		log.Fatal(err)
	}

	// The scope claim of the access token (read unverified here; a
	// resource server verifies it against the pool's JWKS first).
	payload, err := base64.RawURLEncoding.DecodeString(strings.Split(tok.AccessToken, ".")[1])
	if err != nil {
		log.Fatal(err)
	}
	var claims struct {
		Scope    string `json:"scope"`
		TokenUse string `json:"token_use"`
	}
	if err := json.Unmarshal(payload, &claims); err != nil {
		log.Fatal(err)
	}
	fmt.Println(claims.TokenUse, claims.Scope)
	fmt.Println("refresh token:", tok.RefreshToken != "")

	// A scope the pool does not have is refused.
	conf.Scopes = []string{"https://api.example.com/orders.delete"}
	_, err = conf.Token(context.Background())
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		fmt.Println(re.ErrorCode)
	}
	// Output:
	// access https://api.example.com/orders.read
	// refresh token: false
	// invalid_scope
}
