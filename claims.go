package cognito

import "github.com/seed-e8acf5fd/cognito/internal/jwt"

// usernameOf returns the Cognito username from the access token's username
// claim (or cognito:username when the bearer is an ID token), else from the
// ID token's cognito:username, else "".
func usernameOf(access, id string) string {
	if c, err := jwt.Parse(access); err == nil && c.User() != "" {
		return c.User()
	}
	if c, err := jwt.Parse(id); err == nil {
		return c.CognitoUsername
	}
	return ""
}
