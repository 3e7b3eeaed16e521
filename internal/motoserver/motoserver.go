// Package motoserver runs moto's server (Python moto, an independent,
// third-party implementation of many AWS APIs, Cognito user pools among
// them) for tests. It expects moto 5.2 with its server extras, run as
// `python3 -m moto.server`; nothing is installed.
//
// It is a test helper: [Start] takes a [testing.TB], fails the test on
// error, and stops the server with [testing.TB.Cleanup]. Each Start runs
// its own server process on a free loopback port (with all its state in
// memory), so tests using it may run in parallel.
//
// The server verifies TOTP codes (MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP is
// set), but it differs from Cognito in ways that matter to a client; see
// interop/NOTES.md. Briefly: SRP is faked (no proof is checked, and
// SECRET_BLOCK is not base64), every user's TOTP secret is the same fixed
// string, the MFA_SETUP challenge's MFAS_CAN_SETUP is a JSON array where
// Cognito sends a string (which [Server.Client] repairs, see [Repair]),
// and SECRET_HASH is checked only in some calls.
package motoserver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/seed-e8acf5fd/cognito/internal/testproc"
)

// Region is the region of the clients this package makes, and of the user
// pools created through them: moto files resources under the region of
// the request's signature.
const Region = "us-east-1"

// python is the interpreter that runs moto, looked up in PATH.
const python = "python3"

const installHint = "install it with `pip install 'moto[server]==5.2.1'`"

// Server is a running moto server.
type Server struct {
	// Endpoint is the server's base URL, "http://127.0.0.1:PORT", to use as
	// an SDK client's BaseEndpoint.
	Endpoint string

	// Client is an SDK client aimed at the server, in Region, signing with
	// fixed dummy credentials (moto checks no signatures). Its transport
	// repairs moto's challenge parameters (see [Repair]).
	Client *cip.Client

	proc *testproc.Process
}

// Start runs moto's server (`python3 -m moto.server`) on a free loopback
// port with TOTP verification on, waits until it answers (at most 30 s),
// and stops it, with everything it spawned, at t's cleanup.
//
// Moto issues every ID and access token for one hour, whatever the app
// client says. A positive tokenLifetime, rounded up to whole seconds,
// replaces that hour (moto's token factory gets it as its default
// lifetime; nothing else of moto is changed), so that tests can watch
// tokens expire. Zero keeps moto as it is.
//
// When python3 or its moto module is missing, Start calls t.Fatalf if the
// environment variable CI is non-empty, and t.Skipf otherwise.
func Start(t testing.TB, tokenLifetime time.Duration) *Server {
	t.Helper()
	if tokenLifetime < 0 {
		t.Fatalf("motoserver: negative token lifetime %v", tokenLifetime)
	}
	py, err := exec.LookPath(python)
	if err != nil {
		testproc.Unavailable(t, "motoserver", "%s not found in PATH (%v); moto's server needs Python 3 and moto: %s", python, err, installHint)
	}
	proc, err := testproc.Start(t, testproc.Spec{
		Name: "moto_server",
		Command: func(port int) (*exec.Cmd, error) {
			args := []string{"-m", "moto.server"}
			if tokenLifetime > 0 {
				secs := int(math.Ceil(tokenLifetime.Seconds()))
				args = []string{"-c", withTokenLifetime, strconv.Itoa(secs)}
			}
			cmd := exec.Command(py, append(args, "-H", "127.0.0.1", "-p", strconv.Itoa(port))...)
			cmd.Env = append(os.Environ(),
				"MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP=true",
				"MOTO_PORT="+strconv.Itoa(port), // moto builds some URLs from it
				"PYTHONUNBUFFERED=1",            // its log as it happens
			)
			return cmd, nil
		},
		Ready: ready,
		PortTaken: func(out string) bool {
			return strings.Contains(out, "Address already in use")
		},
	})
	if exit := (*testproc.ExitError)(nil); errors.As(err, &exit) && strings.Contains(exit.Output, "No module named") {
		testproc.Unavailable(t, "motoserver", "%s cannot run moto's server (%s); %s", py, lastLine(exit.Output), installHint)
	}
	if err != nil {
		t.Fatalf("motoserver: %v", err)
	}
	return &Server{Endpoint: proc.Endpoint, Client: NewClient(proc.Endpoint), proc: proc}
}

// withTokenLifetime is the Python program Start runs for a token lifetime
// of its own: arguments are the lifetime in seconds, then moto.server's.
// In moto 5.2 every token comes from CognitoIdpUserPool.create_jwt with
// its default expires_in of 3600 seconds; the program refuses to start
// when that default is not what it expects to replace.
const withTokenLifetime = `
import sys
from moto.cognitoidp.models import CognitoIdpUserPool
from moto.server import main
if CognitoIdpUserPool.create_jwt.__defaults__ != (3600, None):
    sys.exit("motoserver: moto's create_jwt has changed; cannot set the token lifetime")
CognitoIdpUserPool.create_jwt.__defaults__ = (int(sys.argv[1]), None)
main(sys.argv[2:])
`

// ready asks moto for its configuration, which only moto serves (moto 5.2
// answers 201 Created).
func ready(ctx context.Context, endpoint string) error {
	return testproc.Get(ctx, endpoint+"/moto-api/config")
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	return s[strings.LastIndexByte(s, '\n')+1:]
}

// Output returns what the server has logged so far: one line per request,
// and Python tracebacks. It is also logged when the test fails.
func (s *Server) Output() string { return s.proc.Output() }

// NewClient returns an SDK client aimed at endpoint, in Region, signing
// with fixed dummy credentials, whose transport repairs moto's challenge
// parameters (see [Repair]).
func NewClient(endpoint string) *cip.Client {
	return newClient(endpoint, Repair(http.DefaultTransport))
}

// NewRawClient is [NewClient] without the repair: it shows moto's answers
// as the SDK reads them.
func NewRawClient(endpoint string) *cip.Client {
	return newClient(endpoint, http.DefaultTransport)
}

func newClient(endpoint string, transport http.RoundTripper) *cip.Client {
	return cip.New(cip.Options{
		Region:       Region,
		BaseEndpoint: aws.String(endpoint),
		HTTPClient:   &http.Client{Transport: transport},
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{
				AccessKeyID:     "AKIDMOTOSERVER",
				SecretAccessKey: "moto-server-dummy-secret",
				Source:          "motoserver",
			}, nil
		}),
	})
}

// Repair returns a transport that makes moto's challenges readable by the
// Go SDK: in a successful response carrying ChallengeParameters, any value
// that is not a JSON string (moto sends MFA_SETUP's MFAS_CAN_SETUP as an
// array, ["SOFTWARE_TOKEN_MFA"]) becomes the string of its compact JSON,
// as Cognito sends it ("[\"SOFTWARE_TOKEN_MFA\"]"). The SDK otherwise
// fails the call with a deserialization error. Every other response, and
// a response without such a value, passes through untouched.
func Repair(base http.RoundTripper) http.RoundTripper {
	return repairTransport{base: base}
}

type repairTransport struct{ base http.RoundTripper }

// maxRepairBody bounds the responses the repair reads.
const maxRepairBody = 1 << 20

func (r repairTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := r.base.RoundTrip(req)
	if err != nil || resp.StatusCode != http.StatusOK || !setsChallenges(req.Header.Get("X-Amz-Target")) {
		return resp, err
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxRepairBody+1))
	resp.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("motoserver: reading the response: %w", err)
	}
	if len(body) > maxRepairBody {
		return nil, fmt.Errorf("motoserver: response of %s over %d bytes", req.Header.Get("X-Amz-Target"), maxRepairBody)
	}
	if fixed, ok := repairChallengeParameters(body); ok {
		body = fixed
		resp.ContentLength = int64(len(body))
		resp.Header.Set("Content-Length", strconv.Itoa(len(body)))
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, nil
}

// setsChallenges reports whether the operation named by an X-Amz-Target
// header may answer with a challenge: InitiateAuth, RespondToAuthChallenge
// and their Admin forms.
func setsChallenges(target string) bool {
	return strings.HasSuffix(target, "InitiateAuth") || strings.HasSuffix(target, "RespondToAuthChallenge")
}

// repairChallengeParameters returns body with the non-string values of its
// ChallengeParameters turned into strings, and whether there were any.
func repairChallengeParameters(body []byte) ([]byte, bool) {
	var doc map[string]json.RawMessage
	if json.Unmarshal(body, &doc) != nil {
		return nil, false
	}
	var params map[string]json.RawMessage
	if json.Unmarshal(doc["ChallengeParameters"], &params) != nil {
		return nil, false
	}
	changed := false
	for k, v := range params {
		v = bytes.TrimSpace(v)
		if len(v) == 0 || v[0] == '"' || bytes.Equal(v, []byte("null")) {
			continue
		}
		var compact bytes.Buffer
		if json.Compact(&compact, v) != nil {
			return nil, false
		}
		s, err := marshal(compact.String())
		if err != nil {
			return nil, false
		}
		params[k] = s
		changed = true
	}
	if !changed {
		return nil, false
	}
	p, err := marshal(params)
	if err != nil {
		return nil, false
	}
	doc["ChallengeParameters"] = p
	fixed, err := marshal(doc)
	if err != nil {
		return nil, false
	}
	return fixed, true
}

// marshal is json.Marshal without its escaping of <, > and &, which
// would change strings the repair has no business changing.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}
