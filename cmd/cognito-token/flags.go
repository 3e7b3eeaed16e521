package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/seed-e8acf5fd/cognito"
)

// Environment variables read in place of flags (a flag wins), and the one
// that carries the app client's secret, which is never a flag.
const (
	envUserPoolID   = "COGNITO_USER_POOL_ID"
	envClientID     = "COGNITO_CLIENT_ID"
	envUsername     = "COGNITO_USERNAME"
	envFlow         = "COGNITO_FLOW"
	envEndpoint     = "COGNITO_ENDPOINT"
	envClientSecret = "COGNITO_CLIENT_SECRET"
	envDomain       = "COGNITO_DOMAIN"
	envRedirectURL  = "COGNITO_REDIRECT_URL"
)

// defaultScopes are the scopes login --browser asks for when no --scope is
// given: those of an ID token with the user's email and profile claims.
var defaultScopes = []string{"openid", "email", "profile"}

// defaultBrowserTimeout is how long login --browser waits for the browser
// to come back with the sign-in's result.
const defaultBrowserTimeout = 5 * time.Minute

// fallbackRegion is the SDK client's region when an --endpoint is given and
// the user pool ID does not start with a region, as cognito-local's
// "local_..." IDs do. The emulator ignores it.
const fallbackRegion = "us-east-1"

// regionPattern matches AWS region names such as "eu-west-1" and
// "us-gov-west-1".
var regionPattern = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)

// options are the settings that name a user of an app client and how to
// reach its user pool, from flags and the environment.
type options struct {
	poolID, clientID, username, endpoint string

	flow          string // login only: "srp", "password" or "custom"
	passwordStdin bool   // login only
	secretStdin   bool

	// Managed login (login --browser) and client credentials (token
	// --client-credentials), through the user pool's domain.
	browser           bool          // login --browser
	clientCredentials bool          // token --client-credentials
	domain            string        // --domain, resolved to a base URL
	redirectURL       string        // login --browser: --redirect-url, as given
	scopes            scopeList     // --scope
	timeout           time.Duration // login --browser: --timeout

	// Set by resolve and readInputs:
	region string
	secret string
}

// addUserFlags defines the flags every command but demo has.
func (o *options) addUserFlags(fs *flag.FlagSet) {
	fs.StringVar(&o.poolID, "user-pool-id", "", "the user pool's `ID`, such as eu-west-1_AbC123 ($"+envUserPoolID+")")
	fs.StringVar(&o.clientID, "client-id", "", "the app client's `ID` ($"+envClientID+")")
	fs.StringVar(&o.username, "username", "", "the user `name` or alias, such as an email address ($"+envUsername+")")
	fs.StringVar(&o.endpoint, "endpoint", "", "the Cognito API's `URL`, for emulators such as cognito-local ($"+envEndpoint+")")
	fs.BoolVar(&o.secretStdin, "client-secret-stdin", false, "read the app client's secret from the next line of stdin (default: $"+envClientSecret+", if set)")
}

// addLoginFlags defines the flags only login has.
func (o *options) addLoginFlags(fs *flag.FlagSet) {
	fs.StringVar(&o.flow, "flow", "", "`srp|password|custom`: sign in with SRP, or send the password (USER_PASSWORD_AUTH), or SRP then the pool's custom challenges (CUSTOM_AUTH) ($"+envFlow+", default srp)")
	fs.BoolVar(&o.passwordStdin, "password-stdin", false, "read the password from the first line of stdin, and the answers to challenges (MFA codes, ...) from the lines after it (default: prompt on the terminal)")
}

// addBrowserFlags defines the flags of login --browser.
func (o *options) addBrowserFlags(fs *flag.FlagSet) {
	fs.BoolVar(&o.browser, "browser", false, "sign in in the web browser, through the user pool's managed login (authorization code with PKCE), instead of with a password here")
	o.addDomainFlag(fs)
	fs.StringVar(&o.redirectURL, "redirect-url", "", "with --browser: the app client's callback `URL` to listen on, exactly as registered, such as http://localhost:8484/callback ($"+envRedirectURL+")")
	fs.Var(&o.scopes, "scope", "with --browser: an OAuth `scope` to ask for; repeat it, or separate scopes with spaces (default \"openid email profile\")")
	fs.DurationVar(&o.timeout, "timeout", defaultBrowserTimeout, "with --browser: how long to wait for the sign-in in the browser")
}

// addClientCredentialsFlags defines the flags of token
// --client-credentials.
func (o *options) addClientCredentialsFlags(fs *flag.FlagSet) {
	fs.BoolVar(&o.clientCredentials, "client-credentials", false, "print an access token of the app client itself (machine to machine: the client credentials grant at --domain, for the --scope given), not of a user's session")
	o.addDomainFlag(fs)
	fs.Var(&o.scopes, "scope", "with --client-credentials: a `scope` to ask for, such as orders/read (a resource server's); repeat it, or separate scopes with spaces")
}

func (o *options) addDomainFlag(fs *flag.FlagSet) {
	fs.StringVar(&o.domain, "domain", "", "the user pool's domain `URL`, such as https://example.auth.eu-west-1.amazoncognito.com or a custom domain ($"+envDomain+")")
}

// scopeList is the value of --scope: every scope given, in order, each
// once.
type scopeList []string

func (s *scopeList) String() string { return strings.Join(*s, " ") }

func (s *scopeList) Set(v string) error {
	scopes := strings.Fields(v)
	if len(scopes) == 0 {
		return errors.New("empty scope")
	}
	for _, sc := range scopes {
		if !slices.Contains(*s, sc) {
			*s = append(*s, sc)
		}
	}
	return nil
}

// onlyWith refuses the flags named, when set on the command line, unless
// the mode flag is set: they would be ignored.
func onlyWith(fs *flag.FlagSet, mode bool, modeFlag string, names ...string) error {
	if mode {
		return nil
	}
	var err error
	fs.Visit(func(f *flag.Flag) {
		if err == nil && slices.Contains(names, f.Name) {
			err = usagef("--%s needs --%s", f.Name, modeFlag)
		}
	})
	return err
}

// resolve fills what the flags left empty from the environment and checks
// the result. A user name is optional with --browser, which can take it
// from the tokens; --client-credentials needs no user, nor a user pool.
func (o *options) resolve(env func(string) string) error {
	for _, f := range []struct {
		v   *string
		env string
	}{
		{&o.poolID, envUserPoolID},
		{&o.clientID, envClientID},
		{&o.username, envUsername},
		{&o.endpoint, envEndpoint},
		{&o.domain, envDomain},
		{&o.redirectURL, envRedirectURL},
	} {
		if *f.v == "" {
			*f.v = env(f.env)
		}
	}
	if o.clientCredentials {
		return o.resolveClientCredentials()
	}
	switch {
	case o.poolID == "":
		return usagef("missing --user-pool-id (or $%s)", envUserPoolID)
	case o.clientID == "":
		return usagef("missing --client-id (or $%s)", envClientID)
	case o.username == "" && !o.browser:
		return usagef("missing --username (or $%s)", envUsername)
	}
	if o.browser {
		if err := o.resolveBrowser(); err != nil {
			return err
		}
	}
	if o.endpoint != "" {
		u, err := url.Parse(o.endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return usagef("--endpoint %q is not an http or https URL", o.endpoint)
		}
		o.endpoint = strings.TrimRight(o.endpoint, "/") // one session key for both spellings
	}
	prefix, rest, ok := strings.Cut(o.poolID, "_")
	switch {
	case !ok || prefix == "" || rest == "":
		return usagef("--user-pool-id %q is not of the form <region>_<id>", o.poolID)
	case regionPattern.MatchString(prefix):
		o.region = prefix
	case o.endpoint != "":
		o.region = fallbackRegion
	default:
		return usagef("--user-pool-id %q does not start with an AWS region (give --endpoint for an emulator)", o.poolID)
	}
	return nil
}

// resolveBrowser checks and completes the settings of login --browser.
func (o *options) resolveBrowser() error {
	if o.domain == "" {
		return usagef("--browser needs --domain (or $%s): the user pool's domain", envDomain)
	}
	var err error
	if o.domain, err = domainURL(o.domain); err != nil {
		return err
	}
	if o.redirectURL == "" {
		return usagef("--browser needs --redirect-url (or $%s): a callback URL of the app client on this machine, such as http://localhost:8484/callback", envRedirectURL)
	}
	if _, err := redirectTarget(o.redirectURL); err != nil {
		return err
	}
	if len(o.scopes) == 0 {
		o.scopes = slices.Clone(defaultScopes)
	}
	if o.timeout <= 0 {
		return usagef("--timeout must be positive, not %v", o.timeout)
	}
	return nil
}

// resolveClientCredentials checks the settings of token
// --client-credentials: an app client and a domain. The user pool is
// optional (it only names the cache entry, and is checked against the
// token's issuer when given); without --scope, Cognito grants all the
// scopes the app client is allowed.
func (o *options) resolveClientCredentials() error {
	switch {
	case o.clientID == "":
		return usagef("missing --client-id (or $%s)", envClientID)
	case o.domain == "":
		return usagef("--client-credentials needs --domain (or $%s): the user pool's domain", envDomain)
	}
	var err error
	o.domain, err = domainURL(o.domain)
	return err
}

// domainURL is the base URL of a user pool domain, given as a URL or as a
// bare host name (https is then assumed, as [cognito.Endpoint] does),
// without a trailing slash. Plain http is refused except on this machine
// (a test pool): the client secret and the tokens travel in the clear.
func domainURL(s string) (string, error) {
	base := strings.TrimRight(s, "/")
	if !strings.Contains(base, "://") {
		base = "https://" + base
	}
	u, err := url.Parse(base)
	switch {
	case err != nil || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" || (u.Scheme != "https" && u.Scheme != "http"):
		return "", usagef("--domain %q is not the URL of a user pool domain", s)
	case u.Scheme == "http" && !loopbackHost(u.Hostname()):
		return "", usagef("--domain %q: plain http is only for a server on this machine; a user pool's domain is https", s)
	}
	return base, nil
}

// redirectTarget checks --redirect-url, which cognito-token listens on
// for the browser's return from managed login: an http URL on this
// machine (localhost, 127.0.0.1 or ::1), its port the one registered
// (Cognito matches callback URLs exactly: it has no "any port on
// loopback" rule), 80 when the URL names none.
func redirectTarget(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return nil, usagef("--redirect-url %q is not a URL", s)
	case u.Scheme != "http" || !loopbackHost(u.Hostname()) || u.User != nil:
		return nil, usagef("--redirect-url %q must be an http URL on this machine, such as http://localhost:8484/callback: cognito-token listens there for the browser", s)
	case u.Fragment != "":
		return nil, usagef("--redirect-url %q has a fragment, which a callback URL cannot have", s)
	}
	return u, nil
}

// loopbackHost reports whether host names this machine: localhost, or a
// loopback address.
func loopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// resolveFlow fills and checks --flow, which only login has.
func (o *options) resolveFlow(env func(string) string) error {
	if o.flow == "" {
		o.flow = env(envFlow)
	}
	if o.flow == "" {
		o.flow = "srp"
	}
	if o.flow != "srp" && o.flow != "password" && o.flow != "custom" {
		return usagef("--flow must be srp, password or custom, not %q", o.flow)
	}
	return nil
}

// cognitoFlow is the library's name for the chosen flow.
func (o *options) cognitoFlow() cognito.Flow {
	switch o.flow {
	case "password":
		return cognito.FlowPassword
	case "custom":
		return cognito.FlowCustom
	}
	return cognito.FlowSRP
}

// newClient builds the SDK client for the pool: its region, the --endpoint
// if any, and no AWS credentials, which the user-pool calls made here do
// not need.
func (c *cli) newClient(o *options) *cip.Client {
	opts := cip.Options{Region: o.region}
	if o.endpoint != "" {
		opts.BaseEndpoint = aws.String(o.endpoint)
	}
	if c.sdkOptions != nil {
		c.sdkOptions(&opts)
	}
	return cip.New(opts)
}

// config is the library configuration for o, without a password.
func (c *cli) config(o *options) *cognito.Config {
	return &cognito.Config{
		UserPoolID:   o.poolID,
		ClientID:     o.clientID,
		ClientSecret: o.secret,
		Username:     o.username,
		Flow:         o.cognitoFlow(),
		API:          c.newClient(o),
		// On pools where users opt in to remembered devices, a login from
		// this machine is remembered, so the next one asks no MFA code.
		RememberDevice: true,
		DeviceName:     "cognito-token",
		// The library's warnings (a device not confirmed, a session not
		// saved) go to stderr like the command's own messages.
		Logger: slog.New(slog.NewTextHandler(messageWriter{c}, &slog.HandlerOptions{Level: slog.LevelWarn})),
	}
}

// readInputs reads what comes from stdin: the password (first line) when
// --password-stdin is set, then the client secret (next line) when
// --client-secret-stdin is set; the secret otherwise comes from the
// environment. It returns the password, which is empty unless
// --password-stdin is set. The answers to challenges come after them.
func (c *cli) readInputs(o *options) (password string, err error) {
	in := c.input()
	if o.passwordStdin {
		if password, err = readLine(in); err != nil {
			return "", inputError("--password-stdin", "password", err)
		}
	}
	if o.secretStdin {
		if o.secret, err = readLine(in); err != nil {
			return "", inputError("--client-secret-stdin", "client secret", err)
		}
	} else {
		o.secret = c.env(envClientSecret)
	}
	c.keepSecret(password, o.secret)
	return password, nil
}

func inputError(flagName, what string, err error) error {
	if errors.Is(err, errNoLine) {
		return usagef("%s: standard input has no %s line", flagName, what)
	}
	return fmt.Errorf("reading the %s from standard input: %w", what, err)
}

// newFlagSet returns a flag set that reports errors to its caller only.
func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// parse parses a command's flags. --help prints the command's help on
// stdout and returns errHelpShown; a bad flag or a stray argument is a
// usage error.
func (c *cli) parse(fs *flag.FlagSet, about string, args []string) error {
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		printHelp(c.stdout, fs, about)
		return errHelpShown
	}
	if err != nil {
		return &usageError{msg: err.Error()}
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	return nil
}

// printHelp writes a command's synopsis, description and flags, spelled
// with two dashes.
func printHelp(w io.Writer, fs *flag.FlagSet, about string) {
	fmt.Fprintf(w, "Usage: cognito-token %s [flags]\n\n%s\nFlags:\n", fs.Name(), about)
	fs.VisitAll(func(f *flag.Flag) {
		arg, text := flag.UnquoteUsage(f)
		if arg != "" {
			arg = " " + arg
		}
		if f.DefValue != "" && f.DefValue != "false" {
			text += fmt.Sprintf(" (default %s)", f.DefValue)
		}
		fmt.Fprintf(w, "  --%s%s\n    \t%s\n", f.Name, arg, text)
	})
}
