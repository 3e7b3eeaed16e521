// Package srpvectors holds the reference SRP vectors for tests: 40
// sign-ins computed by amazon-cognito-identity-js 6.3.21 from a fixed
// client secret a and TIMESTAMP (see the "about" field of the file).
package srpvectors

import (
	_ "embed"
	"encoding/json"
	"fmt"
)

//go:embed srp-vectors.json
var file []byte

// Vector is one sign-in: the inputs, what the server sent, and every
// number the reference client computed from them.
type Vector struct {
	PoolID      string `json:"poolId"`
	UserID      string `json:"userId"` // USER_ID_FOR_SRP
	Password    string `json:"password"`
	Salt        string `json:"SALT"`
	A           string `json:"a"` // the client's secret, hex
	SRPA        string `json:"SRP_A"`
	SRPB        string `json:"SRP_B"`
	U           string `json:"u"`
	X           string `json:"x"`
	Key         string `json:"key"` // the 16-byte HKDF key, hex
	SecretBlock string `json:"SECRET_BLOCK"`
	Timestamp   string `json:"TIMESTAMP"`
	Signature   string `json:"PASSWORD_CLAIM_SIGNATURE"`
}

// Count is how many vectors the file holds.
const Count = 40

// Load returns the vectors.
func Load() ([]Vector, error) {
	var doc struct {
		Vectors []Vector `json:"vectors"`
	}
	if err := json.Unmarshal(file, &doc); err != nil {
		return nil, err
	}
	if len(doc.Vectors) != Count {
		return nil, fmt.Errorf("srpvectors: %d vectors, want %d", len(doc.Vectors), Count)
	}
	return doc.Vectors, nil
}
