// Package cognitolocal runs the cognito-local emulator (an independent,
// third-party implementation of the Cognito user-pool API, installed by
// `npm ci --prefix interop`) for tests.
//
// It is a test helper: every function takes a [testing.TB], fails the test on
// error, and cleans up with [testing.TB.Cleanup]. Each [Start] launches its
// own emulator process on a free loopback port, with its state in a fresh
// temporary directory, so tests using it may run in parallel.
//
// The emulator differs from Cognito in ways that matter to a client; see
// interop/NOTES.md. Briefly: no SRP, sign-in and refresh results carry no
// ExpiresIn or TokenType, a wrong password yields InvalidPasswordException
// (not NotAuthorizedException), and SECRET_HASH is never checked.
package cognitolocal

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/seed-e8acf5fd/cognito/internal/testproc"
)

const (
	// callTimeout bounds every API call this package makes.
	callTimeout = 15 * time.Second

	// Region is the region the [Emulator.Client] is configured with. The
	// emulator ignores it; it only appears in request signatures.
	Region = "us-east-1"

	packageHint = "run `npm ci --prefix interop` in the module root"
)

// scriptPath is where npm installs the emulator's entry point, relative to
// the module root.
var scriptPath = filepath.Join("interop", "node_modules", "cognito-local", "lib", "bin", "start.js")

// Emulator is a running cognito-local process.
type Emulator struct {
	// Endpoint is the emulator's base URL, "http://127.0.0.1:PORT", to use
	// as an SDK client's BaseEndpoint.
	Endpoint string
	// Client is an SDK client aimed at the emulator. It signs requests with
	// fixed dummy credentials, which the emulator accepts for admin calls
	// (it checks no signatures).
	Client *cognitoidentityprovider.Client

	proc *testproc.Process
}

// Pool is a user pool with one app client, created by [Emulator.NewPool].
type Pool struct {
	// ID is the user pool ID, "local_" followed by 8 letters and digits.
	ID string
	// ClientID is the app client's ID. The client has no secret.
	ClientID string

	emu *Emulator
}

// Start launches cognito-local from <module root>/interop/node_modules on a
// free loopback port, with t.TempDir() as its working (state) directory,
// waits until it answers (at most 30 s) and stops it with t.Cleanup.
//
// When node or the npm package is missing, Start calls t.Fatalf if the
// environment variable CI is non-empty, and t.Skipf otherwise, with a hint to
// run `npm ci --prefix interop`.
func Start(t testing.TB) *Emulator {
	t.Helper()
	root, err := moduleRoot()
	if err != nil {
		t.Fatalf("cognitolocal: %v", err)
	}
	return startIn(t, root)
}

func startIn(t testing.TB, root string) *Emulator {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		testproc.Unavailable(t, "cognitolocal", "node not found in PATH (%v); install Node.js 20 and %s", err, packageHint)
	}
	script := filepath.Join(root, scriptPath)
	if _, err := os.Stat(script); err != nil {
		testproc.Unavailable(t, "cognitolocal", "cognito-local is not installed (%v); %s", err, packageHint)
	}
	proc, err := testproc.Start(t, testproc.Spec{
		Name: "cognito-local",
		Command: func(port int) (*exec.Cmd, error) {
			dir := t.TempDir()
			if err := writeConfig(dir, "http://127.0.0.1:"+strconv.Itoa(port)); err != nil {
				return nil, err
			}
			cmd := exec.Command(node, script)
			cmd.Dir = dir
			cmd.Env = append(os.Environ(),
				"PORT="+strconv.Itoa(port),
				"HOST=127.0.0.1",
				// Silence aws-sdk v2's end-of-support notice, noise in every log.
				"AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE=1",
			)
			return cmd, nil
		},
		Ready: ready,
		PortTaken: func(out string) bool {
			return strings.Contains(out, "EADDRINUSE")
		},
	})
	if err != nil {
		t.Fatalf("cognitolocal: %v", err)
	}
	return &Emulator{Endpoint: proc.Endpoint, Client: NewClient(proc.Endpoint), proc: proc}
}

// ready asks the emulator's /health endpoint whether it serves.
func ready(ctx context.Context, endpoint string) error {
	return testproc.Get(ctx, endpoint+"/health")
}

// NewClient returns an SDK client aimed at endpoint, signing with fixed dummy
// credentials. Any cognito-local (or other emulator) accepts them.
func NewClient(endpoint string) *cognitoidentityprovider.Client {
	return cognitoidentityprovider.New(cognitoidentityprovider.Options{
		Region:       Region,
		BaseEndpoint: aws.String(endpoint),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{
				AccessKeyID:     "AKIDCOGNITOLOCAL",
				SecretAccessKey: "cognito-local-dummy-secret",
				Source:          "cognitolocal",
			}, nil
		}),
	})
}

// writeConfig makes the emulator's token issuer ("iss") the URL it really
// serves on, instead of its default http://localhost:9229, so that
// <iss>/.well-known/jwks.json resolves.
func writeConfig(dir, endpoint string) error {
	cfg := map[string]any{"TokenConfig": map[string]any{"IssuerDomain": endpoint}}
	b, err := json.Marshal(cfg)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(dir, ".cognito"), 0o700); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, ".cognito", "config.json"), b, 0o600)
}

// moduleRoot walks up from the working directory to the directory holding
// go.mod.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if fi, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil && !fi.IsDir() {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod found above the working directory")
		}
		dir = parent
	}
}

// Output returns what the emulator has printed so far, without its colour
// codes (it is also logged when the test fails).
func (e *Emulator) Output() string {
	return e.proc.Output()
}

// NewPool creates a user pool and an app client without a secret whose
// access and ID tokens live lifetime, rounded up to whole seconds (0 means
// the emulator's default: 24 hours). USER_PASSWORD_AUTH and
// REFRESH_TOKEN_AUTH are enabled; USER_SRP_AUTH is listed too, though the
// emulator cannot do SRP. The emulator accepts lifetimes below Cognito's
// 5-minute minimum.
func (e *Emulator) NewPool(t testing.TB, lifetime time.Duration) *Pool {
	t.Helper()
	if lifetime < 0 {
		t.Fatalf("cognitolocal: NewPool: negative lifetime %v", lifetime)
	}
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()

	pool, err := e.Client.CreateUserPool(ctx, &cognitoidentityprovider.CreateUserPoolInput{
		PoolName: aws.String("cognitolocal-test"),
	})
	if err != nil {
		t.Fatalf("cognitolocal: CreateUserPool: %v", err)
	}
	if pool.UserPool == nil || aws.ToString(pool.UserPool.Id) == "" {
		t.Fatalf("cognitolocal: CreateUserPool returned no pool ID")
	}
	poolID := aws.ToString(pool.UserPool.Id)

	in := &cognitoidentityprovider.CreateUserPoolClientInput{
		UserPoolId: aws.String(poolID),
		ClientName: aws.String("cognitolocal-test-client"),
		ExplicitAuthFlows: []types.ExplicitAuthFlowsType{
			types.ExplicitAuthFlowsTypeAllowUserPasswordAuth,
			types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth,
			types.ExplicitAuthFlowsTypeAllowUserSrpAuth,
		},
	}
	if lifetime > 0 {
		secs := math.Ceil(lifetime.Seconds())
		if secs > math.MaxInt32 {
			t.Fatalf("cognitolocal: NewPool: lifetime %v too long", lifetime)
		}
		in.AccessTokenValidity = aws.Int32(int32(secs))
		in.IdTokenValidity = aws.Int32(int32(secs))
		in.TokenValidityUnits = &types.TokenValidityUnitsType{
			AccessToken:  types.TimeUnitsTypeSeconds,
			IdToken:      types.TimeUnitsTypeSeconds,
			RefreshToken: types.TimeUnitsTypeDays,
		}
	}
	client, err := e.Client.CreateUserPoolClient(ctx, in)
	if err != nil {
		t.Fatalf("cognitolocal: CreateUserPoolClient: %v", err)
	}
	if client.UserPoolClient == nil || aws.ToString(client.UserPoolClient.ClientId) == "" {
		t.Fatalf("cognitolocal: CreateUserPoolClient returned no client ID")
	}
	return &Pool{ID: poolID, ClientID: aws.ToString(client.UserPoolClient.ClientId), emu: e}
}

// AddUser creates a confirmed user with a permanent password, ready to sign
// in. The emulator gives the user an "email" attribute equal to username.
func (p *Pool) AddUser(t testing.TB, username, password string) {
	t.Helper()
	p.addUser(t, username, password, nil)
}

// AddUserWithEmail is [Pool.AddUser] with a verified email attribute. With
// the emulator's default settings a user can then also sign in with email,
// while the tokens still carry username.
func (p *Pool) AddUserWithEmail(t testing.TB, username, password, email string) {
	t.Helper()
	p.addUser(t, username, password, []types.AttributeType{
		{Name: aws.String("email"), Value: aws.String(email)},
		{Name: aws.String("email_verified"), Value: aws.String("true")},
	})
}

func (p *Pool) addUser(t testing.TB, username, password string, attrs []types.AttributeType) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	_, err := p.emu.Client.AdminCreateUser(ctx, &cognitoidentityprovider.AdminCreateUserInput{
		UserPoolId:     aws.String(p.ID),
		Username:       aws.String(username),
		UserAttributes: attrs,
		MessageAction:  types.MessageActionTypeSuppress,
	})
	if err != nil {
		t.Fatalf("cognitolocal: AdminCreateUser %q: %v", username, err)
	}
	_, err = p.emu.Client.AdminSetUserPassword(ctx, &cognitoidentityprovider.AdminSetUserPasswordInput{
		UserPoolId: aws.String(p.ID),
		Username:   aws.String(username),
		Password:   aws.String(password),
		Permanent:  true,
	})
	if err != nil {
		// The error comes from the emulator, which does not echo passwords.
		t.Fatalf("cognitolocal: AdminSetUserPassword %q: %v", username, err)
	}
}
