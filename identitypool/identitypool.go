package identitypool

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ci "github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentity/types"
	"golang.org/x/oauth2"

	"github.com/seed-e8acf5fd/cognito"
	"github.com/seed-e8acf5fd/cognito/internal/jwt"
	redaction "github.com/seed-e8acf5fd/cognito/internal/redact"
)

// API is the part of the Cognito identity pools API that a provider calls.
// *cognitoidentity.Client implements it; tests can supply a fake.
type API interface {
	GetId(ctx context.Context, in *ci.GetIdInput, optFns ...func(*ci.Options)) (*ci.GetIdOutput, error)
	GetCredentialsForIdentity(ctx context.Context, in *ci.GetCredentialsForIdentityInput, optFns ...func(*ci.Options)) (*ci.GetCredentialsForIdentityOutput, error)
}

// ProviderName is the Source of the credentials a provider returns.
const ProviderName = "CognitoIdentityPoolProvider"

// DefaultEarlyExpiry is how long before their expiry credentials are
// renewed when [Config.EarlyExpiry] is zero.
const DefaultEarlyExpiry = time.Minute

// AttemptTimeout bounds one retrieval: the ID token from Tokens, GetId
// when the identity is not known yet, and GetCredentialsForIdentity, with
// the one renewal and retry an expired ID token causes.
const AttemptTimeout = 30 * time.Second

// Back-off after a failed renewal while the current credentials are still
// valid: they are served, and no call is made, for this long, doubled
// after each consecutive failure up to the cap, jittered by ±20%, and
// never past their expiry.
const (
	failureBackoff    = time.Second
	failureBackoffMax = 30 * time.Second
)

// Config describes a Cognito identity pool whose authenticated identities
// are users of a Cognito user pool, and the user whose AWS credentials
// are wanted. A Config may be reused; CredentialsProvider does not change
// it.
type Config struct {
	// IdentityPoolID is the identity pool's ID, such as
	// "eu-west-1:0a1b2c3d-..."; the part before ":" is its AWS region,
	// used when API is nil.
	IdentityPoolID string

	// UserPoolID is the user pool's ID, such as "eu-west-1_AbC123". The
	// login sent is keyed "cognito-idp.<region>.amazonaws.com/<UserPoolID>",
	// with the region the part before "_", as the identity pool's
	// authentication provider is named.
	UserPoolID string

	// Tokens gives the user's tokens: a token source from
	// [cognito.Config.TokenSource], whose ID token ([cognito.IDToken]) is
	// the login. It must be safe for concurrent use if it is shared.
	Tokens oauth2.TokenSource

	// API makes the identity pool calls. When nil, a
	// *cognitoidentity.Client for the identity pool's region is used, with
	// anonymous credentials (GetId and GetCredentialsForIdentity need
	// none).
	API API

	// IdentityID is the user's identity in the identity pool
	// ("eu-west-1:..."), when it is known, as returned by an earlier
	// GetId; empty means that the provider calls GetId once, and keeps
	// the answer.
	IdentityID string

	// CustomRoleArn is the IAM role to ask for when the identity pool's
	// rules allow a choice; empty means the pool's default role for
	// authenticated identities.
	CustomRoleArn string

	// EarlyExpiry is how long before their expiry credentials are
	// renewed. Zero or negative means DefaultEarlyExpiry; credentials
	// living less than twice as long are renewed after half their life.
	EarlyExpiry time.Duration
}

// CredentialsProvider returns a provider for aws.Config.Credentials. It is
// safe for concurrent use.
//
// The provider is an [aws.CredentialsCache] around the identity pool
// calls: it hands out the current credentials until EarlyExpiry before
// they expire, and concurrent Retrieve calls that find them stale share
// one renewal. When a renewal fails for a passing reason (throttling, a
// server error, no network) while the current credentials are still
// valid, they are served until a short back-off has passed; a refusal
// (NotAuthorizedException, ResourceNotFoundException, a token source that
// needs a new sign-in) is returned at once.
//
// A configuration error (an IdentityPoolID without a region, an empty
// UserPoolID or a nil Tokens) is returned by every Retrieve.
func (c *Config) CredentialsProvider() aws.CredentialsProvider {
	return cachedProvider{aws.NewCredentialsCache(c.newProvider())}
}

// cachedProvider is the aws.CredentialsCache around the provider, with
// the errors the provider gave: the cache puts "failed to refresh cached
// credentials, " before them, which hides this package's prefix. Like a
// CredentialsCache, it tells aws.IsCredentialsProvider what it wraps.
type cachedProvider struct{ cache *aws.CredentialsCache }

func (p cachedProvider) Retrieve(ctx context.Context) (aws.Credentials, error) {
	creds, err := p.cache.Retrieve(ctx)
	if inner := errors.Unwrap(err); inner != nil && strings.HasPrefix(inner.Error(), "cognito/identitypool:") {
		return creds, inner
	}
	return creds, err
}

// Invalidate makes the next Retrieve get new credentials.
func (p cachedProvider) Invalidate() { p.cache.Invalidate() }

// IsCredentialsProvider reports whether the cache is, or wraps, target,
// as aws.IsCredentialsProvider asks.
func (p cachedProvider) IsCredentialsProvider(target aws.CredentialsProvider) bool {
	return aws.IsCredentialsProvider(p.cache, target)
}

// newProvider returns the provider that CredentialsProvider wraps.
func (c *Config) newProvider() *provider {
	p := &provider{conf: *c, identityID: c.IdentityID, now: time.Now, jitter: func() float64 { return 0.8 + 0.4*rand.Float64() }}
	p.err = p.conf.check()
	if p.err == nil && p.conf.API == nil {
		region, _, _ := strings.Cut(p.conf.IdentityPoolID, ":")
		p.conf.API = ci.New(ci.Options{Region: region, Credentials: aws.AnonymousCredentials{}})
	}
	return p
}

// check reports what makes c unusable.
func (c *Config) check() error {
	region, id, ok := strings.Cut(c.IdentityPoolID, ":")
	switch {
	case !ok || region == "" || id == "":
		return fmt.Errorf("cognito/identitypool: IdentityPoolID %q is not of the form <region>:<id>", c.IdentityPoolID)
	case c.UserPoolID == "" || !strings.Contains(c.UserPoolID, "_"):
		return fmt.Errorf("cognito/identitypool: UserPoolID %q is not of the form <region>_<id>", c.UserPoolID)
	case c.Tokens == nil:
		return errors.New("cognito/identitypool: Tokens is nil")
	}
	return nil
}

// ProviderKey is the key of a user pool's logins in an identity pool's
// Logins map: "cognito-idp.<region>.amazonaws.com/<userPoolID>", with
// the region the part of userPoolID before "_".
func ProviderKey(userPoolID string) string {
	region, _, _ := strings.Cut(userPoolID, "_")
	return "cognito-idp." + region + ".amazonaws.com/" + userPoolID
}

// provider makes the identity pool calls. It is not safe for concurrent
// use by itself: the aws.CredentialsCache around it runs one Retrieve
// (and HandleFailToRefresh) at a time, through its singleflight group,
// which also orders the accesses to the fields below.
type provider struct {
	conf   Config
	err    error // a configuration error, returned by every Retrieve
	now    func() time.Time
	jitter func() float64 // a factor near 1 for back-off waits

	identityID string          // the identity, once known
	last       aws.Credentials // the last credentials obtained, with their real expiry
	failures   int             // consecutive failed renewals
}

// Retrieve obtains new credentials; the cache calls it when its own are
// stale. The Expires it returns is EarlyExpiry before the real expiry.
func (p *provider) Retrieve(ctx context.Context) (aws.Credentials, error) {
	if p.err != nil {
		return aws.Credentials{}, p.err
	}
	ctx, cancel := context.WithTimeout(ctx, AttemptTimeout)
	defer cancel()
	creds, err := p.retrieve(ctx)
	if err != nil {
		return aws.Credentials{}, err
	}
	p.last, p.failures = creds, 0
	return p.early(creds), nil
}

// early is creds with Expires moved EarlyExpiry earlier, or half its
// remaining life when that is shorter.
func (p *provider) early(creds aws.Credentials) aws.Credentials {
	early := p.conf.EarlyExpiry
	if early <= 0 {
		early = DefaultEarlyExpiry
	}
	if half := creds.Expires.Sub(p.now()) / 2; half < early {
		early = max(half, 0)
	}
	creds.Expires = creds.Expires.Add(-early)
	return creds
}

// HandleFailToRefresh is called by the cache when Retrieve failed: a
// passing failure while the last credentials are still valid hands them
// out again until the back-off ends (never past their expiry); anything
// else is returned as it is.
func (p *provider) HandleFailToRefresh(_ context.Context, _ aws.Credentials, err error) (aws.Credentials, error) {
	now := p.now()
	if final(err) || !p.last.HasKeys() || !now.Before(p.last.Expires) {
		p.failures = 0
		return aws.Credentials{}, err
	}
	wait := failureBackoff << min(p.failures, 5)
	wait = min(wait, failureBackoffMax)
	wait = time.Duration(float64(wait) * p.jitter())
	p.failures++
	creds := p.last
	if until := now.Add(wait); until.Before(creds.Expires) {
		creds.Expires = until
	}
	return creds, nil
}

// final reports whether err is a refusal that trying again soon cannot
// mend: the login or identity refused, the pool misconfigured, a sign-in
// needed, a configuration error.
func final(err error) bool {
	var (
		notAuth  *types.NotAuthorizedException
		notFound *types.ResourceNotFoundException
		badParam *types.InvalidParameterException
		badPool  *types.InvalidIdentityPoolConfigurationException
		conf     *configError
	)
	return errors.As(err, &notAuth) || errors.As(err, &notFound) || errors.As(err, &badParam) ||
		errors.As(err, &badPool) || errors.As(err, &conf) || errors.Is(err, cognito.ErrSignInRequired)
}

// configError is a login that cannot be sent: no ID token.
type configError struct{ msg string }

func (e *configError) Error() string { return e.msg }

// retrieve gets the ID token, the identity if it is not known yet, and the
// credentials, renewing the ID token once when the identity pool finds it
// expired.
func (p *provider) retrieve(ctx context.Context) (aws.Credentials, error) {
	login, err := p.login()
	if err != nil {
		return aws.Credentials{}, err
	}
	if p.identityID == "" {
		id, err := p.getID(ctx, login)
		if tokenExpired(err) {
			if login, err = p.renewLogin(login, err); err != nil {
				return aws.Credentials{}, err
			}
			id, err = p.getID(ctx, login)
		}
		if err != nil {
			return aws.Credentials{}, err
		}
		p.identityID = id
	}
	creds, err := p.credentials(ctx, login)
	if tokenExpired(err) {
		if login, err = p.renewLogin(login, err); err != nil {
			return aws.Credentials{}, err
		}
		creds, err = p.credentials(ctx, login)
	}
	return creds, err
}

// login returns the ID token to send. When it has expired by the local
// clock (its exp claim, unverified), the token source is asked once more,
// in case its token's Expiry is later than its ID token's; the newest is
// sent either way, and the identity pool judges it.
func (p *provider) login() (string, error) {
	id, err := p.idToken()
	if err != nil || !p.expired(id) {
		return id, err
	}
	return p.idToken()
}

// renewLogin asks the token source for an ID token other than stale, which
// the identity pool refused as expired with cause. A cognito token source
// renews its tokens before the earlier of the two tokens' expiries, so it
// gives a new one once the old one has expired by its clock; when it gives
// the same one again, cause is returned, wrapped.
func (p *provider) renewLogin(stale string, cause error) (string, error) {
	id, err := p.idToken()
	if err != nil {
		return "", err
	}
	if id == stale {
		return "", fmt.Errorf("cognito/identitypool: the token source gives no ID token newer than the one refused as expired: %w", cause)
	}
	return id, nil
}

// idToken asks the token source for a token and returns its ID token.
func (p *provider) idToken() (string, error) {
	tok, err := p.conf.Tokens.Token()
	if err != nil {
		return "", fmt.Errorf("cognito/identitypool: getting the user's tokens: %w", err)
	}
	id := cognito.IDToken(tok)
	if id == "" {
		return "", &configError{msg: "cognito/identitypool: the token source's token carries no ID token (Extra(\"id_token\"))"}
	}
	return id, nil
}

// expired reports whether the (unverified) exp claim of the ID token has
// passed by the local clock.
func (p *provider) expired(id string) bool {
	c, err := jwt.ParseUnverified(id)
	return err == nil && c.Exp > 0 && !p.now().Before(time.Unix(c.Exp, 0))
}

// tokenExpired reports whether err is the identity pool refusing an
// expired login: NotAuthorizedException "Invalid login token. Token
// expired: ...".
func tokenExpired(err error) bool {
	var notAuth *types.NotAuthorizedException
	return errors.As(err, &notAuth) && strings.Contains(notAuth.ErrorMessage(), "Token expired")
}

// logins is the Logins map of a call.
func (p *provider) logins(login string) map[string]string {
	return map[string]string{ProviderKey(p.conf.UserPoolID): login}
}

// getID calls GetId.
func (p *provider) getID(ctx context.Context, login string) (string, error) {
	out, err := p.conf.API.GetId(ctx, &ci.GetIdInput{
		IdentityPoolId: aws.String(p.conf.IdentityPoolID),
		Logins:         p.logins(login),
	})
	if err != nil {
		return "", redact(fmt.Errorf("cognito/identitypool: GetId: %w", err), login)
	}
	id := aws.ToString(out.IdentityId)
	if id == "" {
		return "", errors.New("cognito/identitypool: GetId: the response has no IdentityId")
	}
	return id, nil
}

// credentials calls GetCredentialsForIdentity.
func (p *provider) credentials(ctx context.Context, login string) (aws.Credentials, error) {
	in := &ci.GetCredentialsForIdentityInput{
		IdentityId: aws.String(p.identityID),
		Logins:     p.logins(login),
	}
	if p.conf.CustomRoleArn != "" {
		in.CustomRoleArn = aws.String(p.conf.CustomRoleArn)
	}
	out, err := p.conf.API.GetCredentialsForIdentity(ctx, in)
	if err != nil {
		return aws.Credentials{}, redact(fmt.Errorf("cognito/identitypool: GetCredentialsForIdentity: %w", err), login)
	}
	c := out.Credentials
	if c == nil || aws.ToString(c.AccessKeyId) == "" || aws.ToString(c.SecretKey) == "" || aws.ToString(c.SessionToken) == "" || c.Expiration == nil {
		return aws.Credentials{}, errors.New("cognito/identitypool: GetCredentialsForIdentity: the response lacks a part of the credentials (key ID, secret key, session token or expiration)")
	}
	if id := aws.ToString(out.IdentityId); id != "" {
		p.identityID = id
	}
	return aws.Credentials{
		AccessKeyID:     aws.ToString(c.AccessKeyId),
		SecretAccessKey: aws.ToString(c.SecretKey),
		SessionToken:    aws.ToString(c.SessionToken),
		Source:          ProviderName,
		CanExpire:       true,
		Expires:         *c.Expiration,
	}, nil
}

// redactedError is an error whose message had secrets taken out; it
// unwraps to the original error.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// redact takes the ID token out of err's message, in case the server
// echoed it.
func redact(err error, secrets ...string) error {
	msg := err.Error()
	if clean := redaction.Secrets(msg, secrets...); clean != msg {
		return &redactedError{msg: clean, err: err}
	}
	return err
}
