package cognitotest

import (
	"fmt"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
)

const (
	// identityTargetPrefix starts every X-Amz-Target header of the
	// identity-pool API.
	identityTargetPrefix = "AWSCognitoIdentityService."
	// defaultCredentialsLifetime is the lifetime of AWS credentials, as
	// GetCredentialsForIdentity gives them.
	defaultCredentialsLifetime = time.Hour
	// upperAlnum is the alphabet of access key IDs after "ASIA".
	upperAlnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	// secretAlphabet is the alphabet of secret access keys.
	secretAlphabet = alnum + "+/"
)

// WithCredentialsLifetime sets the lifetime of the AWS credentials that
// GetCredentialsForIdentity hands out (default one hour, as Cognito's).
// The Expiration counts whole seconds, so d is rounded up to a whole number
// of seconds. A d that is not positive panics.
func WithCredentialsLifetime(d time.Duration) Option {
	if d <= 0 {
		panicf("credentials lifetime %v is not positive", d)
	}
	d = (d + time.Second - 1).Truncate(time.Second)
	return func(c *config) { c.credentialsLifetime = d }
}

// IdentityClient returns an SDK client of the identity-pool API aimed at
// the server, as [Server.Client] is of the user-pool API: region
// us-east-1, BaseEndpoint the server's URL, no credentials (GetId and
// GetCredentialsForIdentity need none) and retries turned off.
func (s *Server) IdentityClient() *cognitoidentity.Client {
	return cognitoidentity.New(cognitoidentity.Options{
		Region:       region,
		BaseEndpoint: aws.String(s.url),
		Credentials:  aws.AnonymousCredentials{},
		Retryer:      aws.NopRetryer{},
		HTTPClient:   s.ts.Client(),
	})
}

// LoginsKey is the key of the pool's logins in an identity-pool call:
// "cognito-idp.us-east-1.amazonaws.com/" + UserPoolID, as Cognito names
// a user pool provider.
func (s *Server) LoginsKey() string {
	return "cognito-idp." + region + ".amazonaws.com/" + s.userPoolID
}

// IdentityOf returns the identity ID that GetId gave the user named
// username, or "" when GetId has not been called for them. It panics for
// an unknown user.
func (s *Server) IdentityOf(username string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.mustUser("IdentityOf", username)
	return s.identities.bySub[u.sub]
}

// identityStore holds the identities of the identity pool: one per user,
// made by the first GetId. It is used with the Server's mu held.
type identityStore struct {
	bySub map[string]string // user's sub → identity ID
	subOf map[string]string // identity ID → user's sub
}

func newIdentityStore() identityStore {
	return identityStore{bySub: make(map[string]string), subOf: make(map[string]string)}
}

// identityOperations are the identity-pool API calls the server
// implements.
var identityOperations = map[string]opFunc{
	"GetId":                     plainOp((*Server).getID),
	"GetCredentialsForIdentity": plainOp((*Server).getCredentialsForIdentity),
}

type getIDInput struct {
	IdentityPoolID string            `json:"IdentityPoolId"`
	AccountID      string            `json:"AccountId"`
	Logins         map[string]string `json:"Logins"`
}

type getIDOutput struct {
	IdentityID string `json:"IdentityId"`
}

type getCredentialsInput struct {
	IdentityID    string            `json:"IdentityId"`
	Logins        map[string]string `json:"Logins"`
	CustomRoleArn string            `json:"CustomRoleArn"`
}

type awsCredentials struct {
	AccessKeyID  string `json:"AccessKeyId"`
	SecretKey    string
	SessionToken string
	// Expiration is in seconds since the epoch, as the SDK reads it.
	Expiration int64
}

type getCredentialsOutput struct {
	IdentityID  string `json:"IdentityId"`
	Credentials awsCredentials
}

func errResourceNotFound(msg string) *apiError {
	return &apiError{status: http.StatusBadRequest, typ: "ResourceNotFoundException", msg: msg}
}

// getID answers GetId: the identity of the login's user, made at the first
// call.
func (s *Server) getID(in *getIDInput) (any, *apiError) {
	if in.IdentityPoolID == "" {
		return nil, errInvalidParameter("1 validation error detected: Value null at 'identityPoolId' failed to satisfy constraint: Member must not be null")
	}
	if in.IdentityPoolID != s.identityPoolID {
		return nil, errResourceNotFound(fmt.Sprintf("IdentityPool '%s' not found.", in.IdentityPoolID))
	}
	u, e := s.login(in.Logins)
	if e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := s.identities.bySub[u.sub]
	if !ok {
		id = region + ":" + newUUID()
		s.identities.bySub[u.sub], s.identities.subOf[id] = id, u.sub
	}
	return getIDOutput{IdentityID: id}, nil
}

// getCredentialsForIdentity answers GetCredentialsForIdentity: new
// credentials for an identity whose user the login proves.
func (s *Server) getCredentialsForIdentity(in *getCredentialsInput) (any, *apiError) {
	if in.IdentityID == "" {
		return nil, errInvalidParameter("1 validation error detected: Value null at 'identityId' failed to satisfy constraint: Member must not be null")
	}
	s.mu.Lock()
	sub, ok := s.identities.subOf[in.IdentityID]
	s.mu.Unlock()
	if !ok {
		return nil, errResourceNotFound(fmt.Sprintf("Identity '%s' not found.", in.IdentityID))
	}
	u, e := s.login(in.Logins)
	if e != nil {
		return nil, e
	}
	if u.sub != sub {
		return nil, errNotAuthorized("Logins don't match. Please include at least one valid login for this identity or identity pool.")
	}
	expires := s.now().Add(s.cfg.credentialsLifetime)
	return getCredentialsOutput{
		IdentityID: in.IdentityID,
		Credentials: awsCredentials{
			AccessKeyID:  "ASIA" + randomString(16, upperAlnum),
			SecretKey:    randomString(40, secretAlphabet),
			SessionToken: "IQoJb3JpZ2luX2Vj" + randomString(300, secretAlphabet),
			Expiration:   expires.Unix(),
		},
	}, nil
}

// login checks the Logins of an identity-pool call: exactly one, under
// [Server.LoginsKey], an ID token that this server signed for its app
// client and that has not expired. It returns the token's user.
func (s *Server) login(logins map[string]string) (*user, *apiError) {
	if len(logins) == 0 {
		return nil, errNotAuthorized("Unauthenticated access is not supported for this identity pool.")
	}
	token, ok := logins[s.LoginsKey()]
	if len(logins) != 1 || !ok {
		return nil, errNotAuthorized("Invalid login token. Issuer doesn't match providerName")
	}
	invalid := errNotAuthorized("Invalid login token. Not a valid OpenId Connect identity token.")
	payload, ok := s.signedPayload(token)
	if !ok {
		return nil, invalid
	}
	var c idClaims
	if !decodeSegment(payload, &c) || c.TokenUse != "id" {
		return nil, invalid
	}
	if c.Iss != s.issuer {
		return nil, errNotAuthorized("Invalid login token. Issuer doesn't match providerName")
	}
	if c.Aud != s.clientID {
		return nil, errNotAuthorized("Invalid login token. Incorrect token audience.")
	}
	if now := s.now().Unix(); now >= c.Exp {
		return nil, errNotAuthorized(fmt.Sprintf("Invalid login token. Token expired: %d >= %d", now, c.Exp))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.users[nameKey(c.CognitoUsername)]
	if u == nil || u.sub != c.Sub {
		return nil, invalid
	}
	return u, nil
}
