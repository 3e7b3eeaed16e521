package identitypool_test

import (
	"context"
	"fmt"
	"log"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/seed-e8acf5fd/cognito"
	"github.com/seed-e8acf5fd/cognito/cognitotest"
	"github.com/seed-e8acf5fd/cognito/identitypool"
)

func ExampleConfig_CredentialsProvider() {
	// A local user pool and identity pool stand in for Cognito; with real
	// pools, leave both API fields nil and use the pools' IDs.
	pool := cognitotest.NewServer()
	defer pool.Close()
	pool.AddUser("alice", "correct horse battery staple")

	ctx := context.Background()
	user := &cognito.Config{
		UserPoolID: pool.UserPoolID,
		ClientID:   pool.ClientID,
		Username:   "alice",
		Password:   "correct horse battery staple",
		API:        pool.Client(),
	}
	conf := &identitypool.Config{
		IdentityPoolID: pool.IdentityPoolID,
		UserPoolID:     pool.UserPoolID,
		Tokens:         user.TokenSource(ctx, nil),
		API:            pool.IdentityClient(),
	}
	// Any aws-sdk-go-v2 client made from cfg (s3.NewFromConfig(cfg), ...)
	// signs its requests as alice's identity.
	cfg := aws.Config{Region: "us-east-1", Credentials: conf.CredentialsProvider()}

	for range 3 {
		creds, err := cfg.Credentials.Retrieve(ctx)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(strings.HasPrefix(creds.AccessKeyID, "ASIA"), creds.CanExpire, creds.Source)
	}
	fmt.Println("GetId:", pool.Calls("GetId"), "GetCredentialsForIdentity:", pool.Calls("GetCredentialsForIdentity"))
	// Output:
	// true true CognitoIdentityPoolProvider
	// true true CognitoIdentityPoolProvider
	// true true CognitoIdentityPoolProvider
	// GetId: 1 GetCredentialsForIdentity: 1
}
