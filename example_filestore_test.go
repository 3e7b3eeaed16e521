package cognito_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/seed-e8acf5fd/cognito"
	"github.com/seed-e8acf5fd/cognito/cognitotest"
)

func ExampleFileStore() {
	// A local user pool stands in for Cognito.
	pool := cognitotest.NewServer()
	defer pool.Close()
	pool.AddUser("alice", "correct horse battery staple")
	// A real program keeps its session under os.UserCacheDir().
	dir, err := os.MkdirTemp("", "example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "myapp", "alice.json")

	ctx := context.Background()
	conf := &cognito.Config{
		UserPoolID: pool.UserPoolID,
		ClientID:   pool.ClientID,
		Username:   "alice",
		Password:   "correct horse battery staple",
		API:        pool.Client(),
		Store:      cognito.NewFileStore(path),
	}
	first, err := conf.TokenSource(ctx, nil).Token()
	if err != nil {
		log.Fatal(err)
	}

	// The next run of the program, or another process, starts from the
	// saved session: no password, no sign-in.
	conf.Password = ""
	conf.Store = cognito.NewFileStore(path)
	again, err := conf.TokenSource(ctx, nil).Token()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("same token:", again.AccessToken == first.AccessToken)
	fmt.Println("sign-ins:", pool.Calls("RespondToAuthChallenge"))

	// Forgetting the session removes the file.
	if err := conf.Store.Save(ctx, nil); err != nil {
		log.Fatal(err)
	}
	s, err := conf.Store.Load(ctx)
	fmt.Println("after Save(nil):", s, err)
	// Output:
	// same token: true
	// sign-ins: 1
	// after Save(nil): <nil> <nil>
}
