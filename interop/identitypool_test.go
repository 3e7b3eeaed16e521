package interop_test

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
	ci "github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	citypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentity/types"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-e8acf5fd/cognito"
	"github.com/seed-e8acf5fd/cognito/cognitotest"
	"github.com/seed-e8acf5fd/cognito/identitypool"
	"github.com/seed-e8acf5fd/cognito/internal/motoserver"
)

// --- identity pools (NOTES.md, "Identity pools") ---

// loginsAPI is an identity-pool client that records the Logins and
// identity IDs it sends.
type loginsAPI struct {
	*ci.Client
	mu     sync.Mutex
	getIDs []map[string]string
	creds  []string // the IdentityId of each GetCredentialsForIdentity
}

func (a *loginsAPI) GetId(ctx context.Context, in *ci.GetIdInput, opts ...func(*ci.Options)) (*ci.GetIdOutput, error) {
	a.mu.Lock()
	a.getIDs = append(a.getIDs, in.Logins)
	a.mu.Unlock()
	return a.Client.GetId(ctx, in, opts...)
}

func (a *loginsAPI) GetCredentialsForIdentity(ctx context.Context, in *ci.GetCredentialsForIdentityInput, opts ...func(*ci.Options)) (*ci.GetCredentialsForIdentityOutput, error) {
	a.mu.Lock()
	a.creds = append(a.creds, aws.ToString(in.IdentityId))
	a.mu.Unlock()
	return a.Client.GetCredentialsForIdentity(ctx, in, opts...)
}

// TestMotoIdentityPool runs the identitypool provider against moto's
// identity-pool server: a user of a moto user pool signs in with the Go
// token source, and an identity pool whose provider is that user pool
// exchanges the ID token for credentials. It proves the wire format of
// GetId and GetCredentialsForIdentity (the request's target and fields,
// and the response's Expiration as epoch seconds with a fraction).
func TestMotoIdentityPool(t *testing.T) {
	t.Parallel()
	srv := motoserver.Start(t, 0)
	ctx := t.Context()
	p := newMotoPool(ctx, t, srv, motoPoolOptions{})
	const user, password = "ida", "Correct-h0rse!"
	p.addUser(ctx, t, user, "Temp-0rary")
	_, err := srv.Client.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{
		UserPoolId: aws.String(p.id), Username: aws.String(user), Password: aws.String(password), Permanent: true,
	})
	require.NoError(t, err)
	conf, _ := p.config(user, password, nil)
	tokens := conf.TokenSource(ctx, nil)
	tok, err := tokens.Token()
	require.NoError(t, err)
	require.NotEmpty(t, cognito.IDToken(tok))

	client := ci.New(ci.Options{
		Region:       motoserver.Region,
		BaseEndpoint: aws.String(srv.Endpoint),
		// moto files resources under the region of the signature.
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "AKIAMOTO", SecretAccessKey: "moto"}, nil
		}),
	})
	providerKey := identitypool.ProviderKey(p.id)
	pool, err := client.CreateIdentityPool(ctx, &ci.CreateIdentityPoolInput{
		IdentityPoolName:               aws.String("interop"),
		AllowUnauthenticatedIdentities: false,
		CognitoIdentityProviders:       []citypes.CognitoIdentityProvider{{ProviderName: aws.String(providerKey), ClientId: aws.String(p.clientID)}},
	})
	require.NoError(t, err)
	poolID := aws.ToString(pool.IdentityPoolId)
	require.True(t, strings.HasPrefix(poolID, motoserver.Region+":"), poolID)

	api := &loginsAPI{Client: client}
	provider := (&identitypool.Config{IdentityPoolID: poolID, UserPoolID: p.id, Tokens: tokens, API: api}).CredentialsProvider()
	creds, err := provider.Retrieve(ctx)
	require.NoError(t, err)
	// moto 5.2 hands out fixed credentials living 90 seconds: the provider
	// renews them half way, 45 s before they expire.
	assert.Equal(t, "TESTACCESSKEY12345", creds.AccessKeyID)
	assert.Equal(t, "ABCSECRETKEY", creds.SecretAccessKey)
	assert.Equal(t, "ABC12345", creds.SessionToken)
	assert.True(t, creds.CanExpire)
	assert.WithinDuration(t, time.Now().Add(45*time.Second), creds.Expires, 5*time.Second)

	again, err := provider.Retrieve(ctx)
	require.NoError(t, err)
	assert.Equal(t, creds, again, "cached")
	api.mu.Lock()
	defer api.mu.Unlock()
	require.Len(t, api.getIDs, 1)
	assert.Equal(t, map[string]string{providerKey: cognito.IDToken(tok)}, api.getIDs[0])
	require.Len(t, api.creds, 1)
	assert.True(t, strings.HasPrefix(api.creds[0], motoserver.Region+":"), api.creds[0])
}

// requireBoto3 skips the test when python3 cannot import boto3, or fails
// it when CI is set.
func requireBoto3(t *testing.T) {
	t.Helper()
	if out, err := exec.Command("python3", "-c", "import boto3").CombinedOutput(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("python3 with boto3 is needed: %v: %s", err, out)
		}
		t.Skipf("python3 with boto3 is not available: %v", err)
	}
}

// botoScript reads the profile's credentials through credential_process
// and calls STS and S3 on moto with them.
const botoScript = `
import sys, boto3
session = boto3.Session(profile_name="cognito", region_name="us-east-1")
creds = session.get_credentials().get_frozen_credentials()
print("key", creds.access_key)
print("token", len(creds.token or ""))
print("method", session.get_credentials().method)
sts = session.client("sts", endpoint_url=sys.argv[1])
print("account", sts.get_caller_identity()["Account"])
s3 = session.client("s3", endpoint_url=sys.argv[1])
s3.create_bucket(Bucket="cognito-interop")
print("buckets", [b["Name"] for b in s3.list_buckets()["Buckets"]])
`

// TestBotoCredentialProcess runs boto3 with an AWS config profile whose
// credential_process is cognito-token aws-credentials against a
// cognitotest pool, and calls STS and S3 on moto with the credentials: it
// proves that the output is what the AWS SDKs read.
func TestBotoCredentialProcess(t *testing.T) {
	t.Parallel()
	requireBoto3(t)
	moto := motoserver.Start(t, 0)
	pool := cognitotest.NewServer()
	t.Cleanup(pool.Close)
	const user, password = "boto", "Correct-h0rse!"
	pool.AddUser(user, password)

	dir := t.TempDir()
	bin := filepath.Join(dir, "cognito-token")
	build := exec.Command("go", "build", "-o", bin, "github.com/seed-e8acf5fd/cognito/cmd/cognito-token")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "%s", out)

	cache := filepath.Join(dir, "cache")
	env := append(os.Environ(),
		"COGNITO_TOKEN_CACHE_DIR="+cache,
		"AWS_CONFIG_FILE="+filepath.Join(dir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(dir, "credentials"),
		"AWS_ACCESS_KEY_ID=", "AWS_SECRET_ACCESS_KEY=", "AWS_SESSION_TOKEN=", "AWS_PROFILE=",
	)
	flags := fmt.Sprintf("--user-pool-id %s --client-id %s --username %s --endpoint %s", pool.UserPoolID, pool.ClientID, user, pool.URL)
	login := exec.Command(bin, append([]string{"login", "--password-stdin"}, strings.Fields(flags)...)...)
	login.Env = env
	login.Stdin = strings.NewReader(password + "\n")
	out, err = login.CombinedOutput()
	require.NoError(t, err, "%s", out)

	config := fmt.Sprintf("[profile cognito]\ncredential_process = %s aws-credentials --identity-pool-id %s %s\n", bin, pool.IdentityPoolID, flags)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "config"), []byte(config), 0o600))

	py := exec.Command("python3", "-c", botoScript, moto.Endpoint)
	py.Env = env
	out, err = py.CombinedOutput()
	require.NoError(t, err, "%s", out)
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	require.Len(t, lines, 5, "%s", out)
	assert.Regexp(t, `^key ASIA[A-Z0-9]{16}$`, lines[0])
	assert.NotEqual(t, "token 0", lines[1])
	assert.Equal(t, "method custom-process", lines[2])
	assert.Regexp(t, `^account \d{12}$`, lines[3])
	assert.Equal(t, "buckets ['cognito-interop']", lines[4])
	assert.Equal(t, 1, pool.Calls("GetCredentialsForIdentity"), "boto3 ran the process once")
	assert.Equal(t, 1, pool.Calls("GetId"))
}
