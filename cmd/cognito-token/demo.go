package main

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/seed-e8acf5fd/cognito"
	"github.com/seed-e8acf5fd/cognito/cognitotest"
)

const demoHelp = `Shows the library doing its whole job, with no AWS account: it starts a
user pool in this process (package cognitotest) with short-lived tokens and
a user who signs in with an email alias, and an API on 127.0.0.1 that
verifies every bearer token against the pool's JWKS. A client made with
oauth2.NewClient and the library's token source then calls the API: it signs
in once with SRP and renews the tokens with the refresh token before they
expire. One line per request, sign-in and renewal, then a summary. It exits
0 only if the API accepted every request.

Before the client starts, a second user, whose MFA is an authenticator app
(TOTP), signs in and calls the API once: the demo plays the app, computing
its code from the app's secret with cognito.TOTP, so no phone is needed.
`

// demoEmail is the demo user's alias; the Cognito username is a UUID.
const demoEmail = "newcomer@example.com"

// demoMFAEmail is the alias of the demo user with an authenticator app.
const demoMFAEmail = "mfa-user@example.com"

// demo runs the demonstration.
func (c *cli) demo(ctx context.Context, args []string) error {
	fs := newFlagSet("demo")
	requests := fs.Int("requests", 12, "how many API requests to make")
	interval := fs.Duration("interval", 700*time.Millisecond, "the pause between requests")
	lifetime := fs.Duration("lifetime", 3*time.Second, "the tokens' lifetime: whole seconds, at least 3s")
	if err := c.parse(fs, demoHelp, args); err != nil {
		return err
	}
	switch {
	case *requests < 1 || *requests > 1000:
		return usagef("--requests must be between 1 and 1000")
	case *interval < 0 || *interval > time.Minute:
		return usagef("--interval must be between 0 and 1m")
	case *lifetime < 3*time.Second || *lifetime > time.Hour || *lifetime%time.Second != 0:
		// Cognito's exp claims are whole seconds, so a token may expire up
		// to a second before its ExpiresIn says; with renewal at half-life,
		// 3s leaves half a second to spare.
		return usagef("--lifetime must be whole seconds between 3s and 1h")
	}
	return runDemo(ctx, c.stdout, *requests, *interval, *lifetime)
}

func runDemo(ctx context.Context, w io.Writer, requests int, interval, lifetime time.Duration) error {
	// The narrator writes from the token source's renewal ahead of
	// expiry, on a goroutine of its own, while the requests are written
	// here.
	w = &lockedWriter{w: w}
	pool := cognitotest.NewServer(cognitotest.WithTokenLifetime(lifetime))
	defer pool.Close()
	username, password := newUUID(), rand.Text()
	pool.AddUser(username, password)
	pool.AddAlias(username, demoEmail)
	mfa := demoMFAUser{username: newUUID(), password: rand.Text(), secret: newTOTPSecret()}
	pool.AddUser(mfa.username, mfa.password)
	pool.AddAlias(mfa.username, demoMFAEmail)
	pool.SetTOTP(mfa.username, mfa.secret)

	api, err := startDemoAPI(ctx, pool)
	if err != nil {
		return err
	}
	defer api.close()

	// Renewing at half-life, not just before expiry: see the --lifetime check.
	early := lifetime / 2
	fmt.Fprintf(w, "A user pool, an API and a client, all in this process:\n")
	fmt.Fprintf(w, "  pool    %s at %s; tokens live %v\n", pool.UserPoolID, pool.URL, lifetime)
	fmt.Fprintf(w, "  user    %s, an alias of the username %s\n", demoEmail, username)
	fmt.Fprintf(w, "  API     %s checks each token's RS256 signature, issuer and expiry\n", api.url)
	fmt.Fprintf(w, "          against the pool's JWKS, and that it is an access token for this client\n")
	fmt.Fprintf(w, "  client  oauth2.NewClient with cognito.Config.TokenSource: SRP sign-in, renewal %v before expiry\n", early)
	fmt.Fprintf(w, "  MFA     %s has an authenticator app (TOTP): the demo computes its codes\n\n", demoMFAEmail)

	if err := mfa.signIn(ctx, w, pool, api); err != nil {
		return err
	}
	fmt.Fprintf(w, "The client, as %s:\n", demoEmail)

	n := &narrator{api: pool.Client(), w: w}
	conf := &cognito.Config{
		UserPoolID:  pool.UserPoolID,
		ClientID:    pool.ClientID,
		Username:    demoEmail,
		Password:    password,
		Flow:        cognito.FlowSRP,
		API:         n,
		EarlyExpiry: early,
	}
	client := oauth2.NewClient(ctx, conf.TokenSource(ctx, nil))
	client.Timeout = 10 * time.Second

	tokens := map[string]int{} // jti → "token #n"
	failures := 0
	for i := range requests {
		if i > 0 {
			if err := sleep(ctx, interval); err != nil {
				return err
			}
		}
		status, reply, err := api.call(ctx, client)
		now := stamp(time.Now())
		switch {
		case err != nil:
			failures++
			fmt.Fprintf(w, "%s  GET /hello  failed: %v\n", now, err)
		case status != http.StatusOK:
			failures++
			fmt.Fprintf(w, "%s  GET /hello  %d %s: %s\n", now, status, http.StatusText(status), reply.Error)
		default:
			if tokens[reply.JTI] == 0 {
				tokens[reply.JTI] = len(tokens) + 1
			}
			fmt.Fprintf(w, "%s  GET /hello  %d %s  token #%d (jti %.8s) expires %s\n",
				now, status, http.StatusText(status), tokens[reply.JTI], reply.JTI, stamp(reply.Expires)[:8])
		}
	}
	fmt.Fprintf(w, "\n%s, %s, %s, %s\n", count(requests, "request"), count(failures, "failure"),
		count(int(n.signIns.Load()), "sign-in"), count(int(n.renewals.Load()), "renewal"))
	if failures > 0 {
		return fmt.Errorf("the API refused %d of %d requests", failures, requests)
	}
	return nil
}

// lockedWriter is a writer safe for concurrent use: one Write at a time.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// narrator is the demo client's [cognito.API]: it passes every call on to
// the pool and prints a line for each sign-in and renewal. The token source
// makes one call at a time, from a request's goroutine or, renewing ahead
// of expiry, from its own.
type narrator struct {
	api      cognito.API
	w        io.Writer
	signIns  atomic.Int32
	renewals atomic.Int32
}

func (n *narrator) InitiateAuth(ctx context.Context, in *cip.InitiateAuthInput, optFns ...func(*cip.Options)) (*cip.InitiateAuthOutput, error) {
	switch in.AuthFlow {
	case types.AuthFlowTypeUserSrpAuth:
		n.signIns.Add(1)
		fmt.Fprintf(n.w, "%s  sign-in (SRP) as %s\n", stamp(time.Now()), in.AuthParameters["USERNAME"])
	case types.AuthFlowTypeUserPasswordAuth:
		n.signIns.Add(1)
		fmt.Fprintf(n.w, "%s  sign-in (password) as %s\n", stamp(time.Now()), in.AuthParameters["USERNAME"])
	case types.AuthFlowTypeRefreshTokenAuth:
		n.renewals.Add(1)
		fmt.Fprintf(n.w, "%s  renewal (refresh token)\n", stamp(time.Now()))
	}
	return n.api.InitiateAuth(ctx, in, optFns...)
}

// RespondToAuthChallenge passes the call on, with a line for each
// challenge answered after the password.
func (n *narrator) RespondToAuthChallenge(ctx context.Context, in *cip.RespondToAuthChallengeInput, optFns ...func(*cip.Options)) (*cip.RespondToAuthChallengeOutput, error) {
	out, err := n.api.RespondToAuthChallenge(ctx, in, optFns...)
	if in.ChallengeName == types.ChallengeNameTypePasswordVerifier {
		return out, err
	}
	if err != nil {
		fmt.Fprintf(n.w, "%s  answered %s: refused\n", stamp(time.Now()), in.ChallengeName)
	} else {
		fmt.Fprintf(n.w, "%s  answered %s: accepted\n", stamp(time.Now()), in.ChallengeName)
	}
	return out, err
}

// demoMFAUser is the demo's user whose MFA is an authenticator app.
type demoMFAUser struct {
	username, password string
	secret             string // the app's TOTP secret, known to the pool
}

// signIn signs the user in, with the demo in the place of the
// authenticator app, and calls the API once with the token.
func (u demoMFAUser) signIn(ctx context.Context, w io.Writer, pool *cognitotest.Server, api *demoAPI) error {
	fmt.Fprintf(w, "The user with an authenticator app signs in, the demo playing the app:\n")
	app := cognito.TOTP(u.secret)
	conf := &cognito.Config{
		UserPoolID: pool.UserPoolID,
		ClientID:   pool.ClientID,
		Username:   demoMFAEmail,
		Password:   u.password,
		API:        &narrator{api: pool.Client(), w: w},
		Challenge: cognito.ChallengeFunc(func(ctx context.Context, c *cognito.Challenge) (*cognito.Answer, error) {
			fmt.Fprintf(w, "%s  challenge %s: cognito.TOTP computes the code the app shows now\n", stamp(time.Now()), c.Name)
			return app.AnswerChallenge(ctx, c)
		}),
	}
	client := oauth2.NewClient(ctx, conf.TokenSource(ctx, nil))
	client.Timeout = 10 * time.Second
	status, reply, err := api.call(ctx, client)
	switch {
	case err != nil:
		return fmt.Errorf("demo: the user with an authenticator app: %w", err)
	case status != http.StatusOK:
		return fmt.Errorf("demo: the API refused the user with an authenticator app: %d %s: %s", status, http.StatusText(status), reply.Error)
	}
	fmt.Fprintf(w, "%s  GET /hello with its token: %d %s, user %s\n\n", stamp(time.Now()), status, http.StatusText(status), reply.User)
	return nil
}

// demoAPI is a protected API: GET /hello answers only requests whose bearer
// token is a valid access token of the pool's app client.
type demoAPI struct {
	url      string
	clientID string
	verifier *oidc.IDTokenVerifier
	srv      *http.Server
}

// helloReply is the API's answer, in both directions.
type helloReply struct {
	User    string    `json:"user,omitempty"`
	JTI     string    `json:"jti,omitempty"`
	Expires time.Time `json:"expires,omitzero"`
	Error   string    `json:"error,omitempty"`
}

// startDemoAPI discovers the pool's keys through its OpenID configuration
// and serves the API on a loopback port.
func startDemoAPI(ctx context.Context, pool *cognitotest.Server) (*demoAPI, error) {
	provider, err := oidc.NewProvider(ctx, pool.Issuer)
	if err != nil {
		return nil, fmt.Errorf("demo: discovering the pool's keys: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("demo: starting the API: %w", err)
	}
	a := &demoAPI{
		url:      "http://" + ln.Addr().String() + "/hello",
		clientID: pool.ClientID,
		// Access tokens have no aud claim; client_id is checked below.
		verifier: provider.Verifier(&oidc.Config{SkipClientIDCheck: true}),
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /hello", a.hello)
	a.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go a.srv.Serve(ln) // returns http.ErrServerClosed after close
	return a, nil
}

func (a *demoAPI) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	a.srv.Shutdown(ctx)
}

func (a *demoAPI) hello(w http.ResponseWriter, r *http.Request) {
	raw, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		deny(w, "no bearer token")
		return
	}
	tok, err := a.verifier.Verify(r.Context(), raw)
	if err != nil {
		deny(w, err.Error()) // go-oidc's errors do not quote the token
		return
	}
	var claims struct {
		TokenUse string `json:"token_use"`
		ClientID string `json:"client_id"`
		Username string `json:"username"`
		JTI      string `json:"jti"`
	}
	switch err := tok.Claims(&claims); {
	case err != nil:
		deny(w, "unreadable claims")
	case claims.TokenUse != "access":
		deny(w, "not an access token")
	case claims.ClientID != a.clientID:
		deny(w, "issued to another app client")
	default:
		writeReply(w, http.StatusOK, helloReply{User: claims.Username, JTI: claims.JTI, Expires: tok.Expiry})
	}
}

func deny(w http.ResponseWriter, why string) {
	w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
	writeReply(w, http.StatusUnauthorized, helloReply{Error: why})
}

func writeReply(w http.ResponseWriter, status int, reply helloReply) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(reply) // a failed write means the client left
}

// call makes one request with client and decodes the API's answer.
func (a *demoAPI) call(ctx context.Context, client *http.Client) (int, helloReply, error) {
	var reply helloReply
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.url, nil)
	if err != nil {
		return 0, reply, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, reply, err
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&reply); err != nil {
		return resp.StatusCode, reply, errors.New("the API's answer is not JSON")
	}
	return resp.StatusCode, reply, nil
}

// sleep waits d, or less if ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// count spells n things, such as "1 renewal" or "3 renewals".
func count(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}

// stamp formats a time of day to the millisecond.
func stamp(t time.Time) string { return t.Format("15:04:05.000") }

// newTOTPSecret returns a new authenticator secret, as Cognito issues one:
// 160 random bits in base32.
func newTOTPSecret() string {
	b := make([]byte, 20)
	rand.Read(b) // never fails on supported platforms
	return base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b)
}

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	b := make([]byte, 16)
	rand.Read(b) // never fails on supported platforms
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
