package cognito_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-e8acf5fd/cognito"
)

// The environment of TestPoolFileStoreProcess: the session file, and the
// pool's endpoint, ID and app client.
const (
	envSharedFile     = "COGNITO_SHARED_FILE"
	envSharedEndpoint = "COGNITO_SHARED_ENDPOINT"
	envSharedPool     = "COGNITO_SHARED_POOL"
	envSharedClient   = "COGNITO_SHARED_CLIENT"
)

// TestPoolFileStoreSharedByProcesses: processes that share a FileStore,
// each starting a token source from it with no password, renew an expired
// session once between them, and all print the renewed token.
func TestPoolFileStoreSharedByProcesses(t *testing.T) {
	t.Parallel()
	srv := newPool(t)
	store := cognito.NewFileStore(filepath.Join(t.TempDir(), "sessions", "alice.json"))
	ctx := context.Background()
	conf := configFor(srv, cognito.FlowPassword)
	conf.Store = store
	_, err := conf.TokenSource(ctx, nil).Token()
	require.NoError(t, err)
	require.Equal(t, 1, srv.Calls("InitiateAuth"))

	const processes = 3
	for round := 1; round <= 3; round++ {
		// The stored session expires.
		ses, err := store.Load(ctx)
		require.NoError(t, err)
		require.NotNil(t, ses)
		ses.Expiry = time.Now().Add(-time.Second)
		require.NoError(t, store.Save(ctx, ses))

		outs := make([]string, processes)
		errs := make([]error, processes)
		var wg sync.WaitGroup
		for i := range processes {
			wg.Go(func() {
				cmd := exec.Command(os.Args[0], "-test.run=^TestPoolFileStoreProcess$", "-test.count=1")
				cmd.Env = append(os.Environ(), envSharedFile+"="+store.Path(), envSharedEndpoint+"="+srv.URL,
					envSharedPool+"="+srv.UserPoolID, envSharedClient+"="+srv.ClientID)
				var out []byte
				out, errs[i] = cmd.CombinedOutput()
				outs[i] = string(out)
			})
		}
		wg.Wait()
		renewed, err := store.Load(ctx)
		require.NoError(t, err)
		assert.NotEqual(t, ses.AccessToken, renewed.AccessToken, "round %d", round)
		for i := range processes {
			require.NoError(t, errs[i], "round %d, process %d: %s", round, i, outs[i])
			assert.True(t, outs[i] == renewed.AccessToken+"\n", "round %d: process %d printed another token than the one stored", round, i)
		}
		assert.Equal(t, round, srv.Calls("GetTokensFromRefreshToken"), "one renewal per expiry")
	}
	assert.Equal(t, 1, srv.Calls("InitiateAuth"), "no sign-in after the first")
}

// TestPoolFileStoreProcess is not a test: it is a process of
// TestPoolFileStoreSharedByProcesses, and does nothing unless that started
// it. It prints the access token of a token source started from the
// shared FileStore.
func TestPoolFileStoreProcess(t *testing.T) {
	path := os.Getenv(envSharedFile)
	if path == "" {
		return
	}
	conf := &cognito.Config{
		UserPoolID: os.Getenv(envSharedPool),
		ClientID:   os.Getenv(envSharedClient),
		Username:   "alice@example.com",
		API: cip.New(cip.Options{
			Region:       strings.SplitN(os.Getenv(envSharedPool), "_", 2)[0],
			BaseEndpoint: aws.String(os.Getenv(envSharedEndpoint)),
			Retryer:      aws.NopRetryer{},
		}),
		Store: cognito.NewFileStore(path),
	}
	tok, err := conf.TokenSource(context.Background(), nil).Token()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(tok.AccessToken)
	os.Exit(0)
}
