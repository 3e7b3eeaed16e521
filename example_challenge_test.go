package cognito_test

import (
	"bufio"
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"golang.org/x/oauth2"

	"github.com/seed-e8acf5fd/cognito"
	"github.com/seed-e8acf5fd/cognito/cognitotest"
)

// A service account whose pool requires MFA signs in unattended with the
// secret of its authenticator, kept with its password: the secret Cognito
// issued when the account's MFA was set up.
func ExampleTOTP() {
	const secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP" // from a secret store
	pool := cognitotest.NewServer()
	defer pool.Close()
	pool.AddUser("svc-reports", "a long random password")
	pool.SetTOTP("svc-reports", secret)
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ey") {
			http.Error(w, "no token", http.StatusUnauthorized)
			return
		}
		fmt.Fprint(w, "report ready")
	}))
	defer api.Close()

	ctx := context.Background()
	conf := &cognito.Config{
		UserPoolID: pool.UserPoolID,
		ClientID:   pool.ClientID,
		Username:   "svc-reports",
		Password:   "a long random password",
		Challenge:  cognito.TOTP(secret),
		API:        pool.Client(), // nil with a real pool
	}
	client := oauth2.NewClient(ctx, conf.TokenSource(ctx, nil))
	resp, err := client.Get(api.URL + "/reports/today")
	if err != nil {
		log.Fatal(err)
	}
	resp.Body.Close()
	fmt.Println(resp.Status)
	fmt.Println("challenges answered:", pool.Calls("RespondToAuthChallenge")) // PASSWORD_VERIFIER, SOFTWARE_TOKEN_MFA
	// Output:
	// 200 OK
	// challenges answered: 2
}

// A handler for a person at a terminal: it asks for what each challenge
// needs. Here the "terminal" is a string, and the user is one an
// administrator created, who must choose a new password and give their
// name at first sign-in, then type the code sent to their phone. A real
// program reads passwords without echo (golang.org/x/term).
func ExampleChallengeFunc() {
	pool := cognitotest.NewServer()
	defer pool.Close()
	pool.AddUser("bob", "Temporary-1")
	pool.RequireNewPassword("bob", "name")
	pool.SetSMSMFA("bob", "+15555550123")

	terminal := bufio.NewReader(strings.NewReader("my new passphrase\nBob Builder\n"))
	ask := func(prompt string) (string, error) {
		fmt.Println(prompt)
		line, err := terminal.ReadString('\n')
		return strings.TrimSpace(line), err
	}
	prompter := cognito.ChallengeFunc(func(ctx context.Context, c *cognito.Challenge) (*cognito.Answer, error) {
		switch c.Name {
		case types.ChallengeNameTypeNewPasswordRequired:
			password, err := ask("Choose a new password:")
			if err != nil {
				return nil, err
			}
			attrs := map[string]string{}
			for _, name := range c.RequiredAttributes() {
				if attrs[name], err = ask("Your " + name + ":"); err != nil {
					return nil, err
				}
			}
			return &cognito.Answer{NewPassword: password, Attributes: attrs}, nil
		case types.ChallengeNameTypeSmsMfa, types.ChallengeNameTypeEmailOtp:
			fmt.Println("Code sent to", c.Parameters["CODE_DELIVERY_DESTINATION"]+":")
			return &cognito.Answer{Code: pool.LastCode("bob")}, nil // the person reads their phone
		case types.ChallengeNameTypeSoftwareTokenMfa:
			code, err := ask("Code from your authenticator app:")
			return &cognito.Answer{Code: code}, err
		}
		return nil, &cognito.ChallengeError{Challenge: c.Name}
	})

	conf := &cognito.Config{
		UserPoolID: pool.UserPoolID,
		ClientID:   pool.ClientID,
		Username:   "bob",
		Password:   "Temporary-1",
		Challenge:  prompter,
		API:        pool.Client(),
	}
	if _, err := conf.TokenSource(context.Background(), nil).Token(); err != nil {
		log.Fatal(err)
	}
	fmt.Println("signed in as", pool.UserAttribute("bob", "name"))
	// Output:
	// Choose a new password:
	// Your name:
	// Code sent to +*******0123:
	// signed in as Bob Builder
}
