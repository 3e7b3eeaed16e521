package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	ci "github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"golang.org/x/oauth2"

	"github.com/seed-e8acf5fd/cognito/identitypool"
)

// envIdentityPoolID is read in place of --identity-pool-id.
const envIdentityPoolID = "COGNITO_IDENTITY_POOL_ID"

const awsCredentialsHelp = `Prints temporary AWS credentials for the user of the session cached by
login, from a Cognito identity pool whose authentication provider is the
user pool and app client: the ID token, renewed first as 'token --id' does
when it has less than a minute left, is exchanged with GetId and
GetCredentialsForIdentity. The output is what the AWS CLI and SDKs expect
from a credential_process:

    {"Version":1,"AccessKeyId":"ASIA...","SecretAccessKey":"...","SessionToken":"...","Expiration":"2030-01-02T03:04:05Z"}

In ~/.aws/config:

    [profile cognito]
    credential_process = cognito-token aws-credentials --identity-pool-id eu-west-1:0a1b... --user-pool-id eu-west-1_AbC123 --client-id ... --username alice@example.com

--endpoint, when given, serves both the user-pool and the identity-pool
API (as cognito-token demo's local pool does). When no session is cached, or
it can no longer be renewed, it exits 1 and says to run login.
`

// credentialProcess is the JSON a credential_process prints.
type credentialProcess struct {
	Version         int
	AccessKeyID     string `json:"AccessKeyId"`
	SecretAccessKey string
	SessionToken    string
	Expiration      string
}

// awsCredentials prints AWS credentials for the cached session's user.
func (c *cli) awsCredentials(ctx context.Context, args []string) error {
	var o options
	var poolID string
	fs := newFlagSet("aws-credentials")
	o.addUserFlags(fs)
	fs.StringVar(&poolID, "identity-pool-id", "", "the identity pool's `ID`, such as eu-west-1:0a1b2c3d-... ($"+envIdentityPoolID+")")
	if err := c.parse(fs, awsCredentialsHelp, args); err != nil {
		return err
	}
	if poolID == "" {
		poolID = c.env(envIdentityPoolID)
	}
	region, rest, ok := strings.Cut(poolID, ":")
	switch {
	case poolID == "":
		return usagef("missing --identity-pool-id (or $%s)", envIdentityPoolID)
	case !ok || !regionPattern.MatchString(region) || rest == "":
		return usagef("--identity-pool-id %q is not of the form <region>:<id>", poolID)
	}
	ses, err := c.freshSession(ctx, &o)
	if err != nil {
		return err
	}
	if ses.IDToken == "" {
		return &needLoginError{why: "the cached session has no ID token"}
	}
	tok := (&oauth2.Token{AccessToken: ses.AccessToken, Expiry: ses.IDExpiry}).WithExtra(map[string]any{"id_token": ses.IDToken})
	conf := &identitypool.Config{
		IdentityPoolID: poolID,
		UserPoolID:     o.poolID,
		Tokens:         oauth2.StaticTokenSource(tok),
		API:            c.newIdentityClient(region, o.endpoint),
	}
	creds, err := conf.CredentialsProvider().Retrieve(ctx)
	if err != nil {
		return fmt.Errorf("getting AWS credentials from identity pool %s: %w", poolID, err)
	}
	c.keepSecret(creds.SecretAccessKey, creds.SessionToken)
	return json.NewEncoder(c.stdout).Encode(credentialProcess{
		Version:         1,
		AccessKeyID:     creds.AccessKeyID,
		SecretAccessKey: creds.SecretAccessKey,
		SessionToken:    creds.SessionToken,
		// A minute before the real expiry (the provider's early expiry):
		// the AWS SDKs run the process again in time.
		Expiration: rfc3339(creds.Expires),
	})
}

// freshSession loads the cached session under its lock and renews it, as
// 'token --id' does, when its ID token has less than a minute left.
func (c *cli) freshSession(ctx context.Context, o *options) (*session, error) {
	st, ses, unlock, err := c.lockedSession(ctx, o)
	if unlock != nil {
		defer unlock()
	}
	if err != nil {
		return nil, err
	}
	c.keepSecret(ses.tokens()...)
	return c.renewIfNeeded(ctx, o, st, ses, printID)
}

// newIdentityClient builds the SDK client for the identity pool: its
// region, the --endpoint if any, and anonymous AWS credentials, which
// GetId and GetCredentialsForIdentity do not need.
func (c *cli) newIdentityClient(region, endpoint string) *ci.Client {
	opts := ci.Options{Region: region, Credentials: aws.AnonymousCredentials{}}
	if endpoint != "" {
		opts.BaseEndpoint = aws.String(endpoint)
	}
	if c.sdkOptions != nil {
		// Tests adjust both clients alike: retries, transport.
		var probe cip.Options
		c.sdkOptions(&probe)
		opts.Retryer = probe.Retryer
		if probe.HTTPClient != nil {
			opts.HTTPClient = probe.HTTPClient
		}
	}
	return ci.New(opts)
}
