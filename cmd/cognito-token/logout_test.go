package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/stretchr/testify/assert"

	"github.com/seed-e8acf5fd/cognito/cognitotest"
)

// refreshWorks reports whether the pool still takes refreshToken.
func (p *pool) refreshWorks(t *testing.T, refreshToken string) bool {
	t.Helper()
	params := map[string]string{"REFRESH_TOKEN": refreshToken}
	if p.srv.ClientSecret != "" {
		m := hmac.New(sha256.New, []byte(p.srv.ClientSecret))
		m.Write([]byte(p.username + p.srv.ClientID))
		params["SECRET_HASH"] = base64.StdEncoding.EncodeToString(m.Sum(nil))
	}
	_, err := p.srv.Client().InitiateAuth(context.Background(), &cip.InitiateAuthInput{
		AuthFlow:       types.AuthFlowTypeRefreshTokenAuth,
		ClientId:       aws.String(p.srv.ClientID),
		AuthParameters: params,
	})
	var notAuth *types.NotAuthorizedException
	if err != nil && !assert.ErrorAs(t, err, &notAuth) {
		t.FailNow()
	}
	return err == nil
}

// TestLogoutWhenRevocationFails: a session whose refresh token cannot be
// revoked is kept, so that it can be revoked later; --force forgets it all
// the same, saying that it was not revoked.
func TestLogoutWhenRevocationFails(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		fail  func(p *pool, h *harness) // makes RevokeToken fail
		fix   func(p *pool, h *harness) // makes it work again
		wants []string                  // in the message
	}{
		{
			name:  "server error",
			fail:  func(p *pool, _ *harness) { p.srv.FailNext("RevokeToken", 2, "InternalErrorException") },
			fix:   func(*pool, *harness) {},
			wants: []string{"InternalErrorException"},
		},
		{
			name:  "no client secret",
			fail:  func(_ *pool, h *harness) { delete(h.env, envClientSecret) },
			fix:   func(p *pool, h *harness) { h.env[envClientSecret] = p.srv.ClientSecret },
			wants: []string{"the app client's secret was refused (Client secret is missing or wrong", "$COGNITO_CLIENT_SECRET"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := newPool(t, cognitotest.WithClientSecret("client-secret-0123456789abcdef"))
			h := p.harness(t)
			h.noRetries = true
			h.env[envClientSecret] = p.srv.ClientSecret
			h.mustRun(exitOK, p.password+"\n", "login", "--password-stdin")
			ses := h.session()

			tt.fail(p, h)
			r := h.mustRun(exitFailure, "", "logout")
			assert.Contains(t, r.stderr, "could not revoke the refresh token, so the session is kept")
			for _, want := range tt.wants {
				assert.Contains(t, r.stderr, want)
			}
			assert.Contains(t, r.stderr, "'cognito-token logout --force'")
			assert.FileExists(t, h.store().path())
			r = h.mustRun(exitOK, "", "token")
			assert.Equal(t, ses.AccessToken+"\n", r.stdout, "the session is still there")

			r = h.mustRun(exitOK, "", "logout", "--force")
			assert.Contains(t, r.stderr, "warning: could not revoke the refresh token")
			assert.Contains(t, r.stderr, "its refresh token was NOT revoked")
			assert.NoFileExists(t, h.store().path())
			h.mustRun(exitFailure, "", "token")
			assert.True(t, p.refreshWorks(t, ses.RefreshToken), "as said, not revoked")

			// Once fixed, --force changes nothing.
			tt.fix(p, h)
			h.mustRun(exitOK, p.password+"\n", "login", "--password-stdin")
			ses = h.session()
			r = h.mustRun(exitOK, "", "logout", "--force")
			assert.Contains(t, r.stderr, "refresh token revoked, session deleted")
			assert.False(t, p.refreshWorks(t, ses.RefreshToken))
		})
	}

	t.Run("network down", func(t *testing.T) {
		t.Parallel()
		p := newPool(t)
		h := p.harness(t)
		h.noRetries = true
		h.mustRun(exitOK, p.password+"\n", "login", "--password-stdin")
		h.session()
		p.srv.Close()
		r := h.mustRun(exitFailure, "", "logout")
		assert.Contains(t, r.stderr, "connection refused")
		assert.FileExists(t, h.store().path())
		h.mustRun(exitOK, "", "token")
	})
}
