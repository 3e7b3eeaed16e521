package main

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// credentialOutput decodes what aws-credentials printed, strictly: the
// fields of a credential_process and no others.
func credentialOutput(t *testing.T, stdout string) credentialProcess {
	t.Helper()
	var raw map[string]any
	require.NoError(t, json.Unmarshal([]byte(stdout), &raw))
	assert.ElementsMatch(t, []string{"Version", "AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration"}, keys(raw))
	var out credentialProcess
	require.NoError(t, json.Unmarshal([]byte(stdout), &out))
	return out
}

func keys(m map[string]any) []string {
	var k []string
	for key := range m {
		k = append(k, key)
	}
	return k
}

func TestAWSCredentials(t *testing.T) {
	t.Parallel()
	p := newPool(t)
	h := p.harness(t)
	h.mustRun(exitOK, p.password+"\n", "login", "--password-stdin")
	h.session()

	r := h.mustRun(exitOK, "", "aws-credentials", "--identity-pool-id", p.srv.IdentityPoolID)
	out := credentialOutput(t, r.stdout)
	assert.Equal(t, 1, out.Version)
	assert.Regexp(t, `^ASIA[A-Z0-9]{16}$`, out.AccessKeyID)
	assert.Len(t, out.SecretAccessKey, 40)
	assert.NotEmpty(t, out.SessionToken)
	exp, err := time.Parse(time.RFC3339, out.Expiration)
	require.NoError(t, err)
	assert.WithinDuration(t, time.Now().Add(time.Hour-time.Minute), exp, 5*time.Second, "a minute before the real expiry")
	assert.Equal(t, 1, p.srv.Calls("GetId"))
	assert.Equal(t, 1, p.srv.Calls("GetCredentialsForIdentity"))
	assert.NotEmpty(t, p.srv.IdentityOf(p.username))
	h.secret(out.SecretAccessKey, out.SessionToken)

	// From the environment, and for the same identity each time.
	h.env[envIdentityPoolID] = p.srv.IdentityPoolID
	r = h.mustRun(exitOK, "", "aws-credentials")
	again := credentialOutput(t, r.stdout)
	assert.NotEqual(t, out.AccessKeyID, again.AccessKeyID)
	assert.Equal(t, 2, p.srv.Calls("GetCredentialsForIdentity"))
	assert.Zero(t, p.srv.Calls("GetTokensFromRefreshToken")+p.srv.Calls("InitiateAuth")-1, "the cached session is used as it is")
}

func TestAWSCredentialsRenewsSession(t *testing.T) {
	t.Parallel()
	p := newPool(t)
	h := p.harness(t)
	h.mustRun(exitOK, p.password+"\n", "login", "--password-stdin")
	before := h.session()
	h.expire()
	renewals := p.srv.Calls("GetTokensFromRefreshToken")
	r := h.mustRun(exitOK, "", "aws-credentials", "--identity-pool-id", p.srv.IdentityPoolID)
	credentialOutput(t, r.stdout)
	assert.Equal(t, renewals+1, p.srv.Calls("GetTokensFromRefreshToken"))
	assert.NotEqual(t, before.IDToken, h.session().IDToken, "the renewed session is cached")
}

func TestAWSCredentialsFailures(t *testing.T) {
	t.Parallel()
	p := newPool(t)
	h := p.harness(t)

	r := h.mustRun(exitUsage, "", "aws-credentials")
	assert.Contains(t, r.stderr, "missing --identity-pool-id")
	r = h.mustRun(exitUsage, "", "aws-credentials", "--identity-pool-id", "0a1b2c3d")
	assert.Contains(t, r.stderr, "is not of the form <region>:<id>")

	r = h.mustRun(exitFailure, "", "aws-credentials", "--identity-pool-id", p.srv.IdentityPoolID)
	assert.Contains(t, r.stderr, "run 'cognito-token login'")
	assert.Empty(t, r.stdout)

	h.mustRun(exitOK, p.password+"\n", "login", "--password-stdin")
	h.session()
	r = h.mustRun(exitFailure, "", "aws-credentials", "--identity-pool-id", "us-east-1:00000000-0000-4000-8000-000000000000")
	assert.Contains(t, r.stderr, "ResourceNotFoundException")
	assert.Contains(t, r.stderr, "cognito/identitypool:")
	assert.Empty(t, r.stdout)

	p.srv.FailNext("GetCredentialsForIdentity", 5, "InternalErrorException")
	r = h.mustRun(exitFailure, "", "aws-credentials", "--identity-pool-id", p.srv.IdentityPoolID)
	assert.Contains(t, r.stderr, "InternalErrorException")
	assert.Empty(t, r.stdout)
}
