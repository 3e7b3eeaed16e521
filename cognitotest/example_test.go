package cognitotest_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/pquerna/otp/totp"

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
