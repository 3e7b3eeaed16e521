package main

import (
	"errors"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
)

func TestSecretRefused(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"wrong secret hash", &types.NotAuthorizedException{Message: aws.String("Unable to verify secret hash for client abc")}, true},
		{"no secret hash", &types.NotAuthorizedException{Message: aws.String("Client abc is configured with secret but SECRET_HASH was not received")}, true},
		{"revoke without secret", &types.UnauthorizedException{Message: aws.String("Client secret is missing or wrong for client abc")}, true},
		{"revoke, parameter", &smithy.GenericAPIError{Code: "InvalidParameterException", Message: "Missing required parameter ClientSecret"}, true},
		{"wrapped", fmt.Errorf("cognito: signing in: %w", &types.NotAuthorizedException{Message: aws.String("Unable to verify secret hash for client abc")}), true},
		{"wrong password", &types.NotAuthorizedException{Message: aws.String("Incorrect username or password.")}, false},
		{"other code", &smithy.GenericAPIError{Code: "InternalErrorException", Message: "secret sauce spilled"}, false},
		{"not from the server", errors.New("the client secret is wrong"), false},
		{"nil", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tt.want, secretRefused(tt.err))
		})
	}
}
