package cognitotest

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"testing"
	"time"

	"github.com/seed-e8acf5fd/cognito/internal/srp"
)

// The benchmarks come in pairs, a known user with a wrong password and an
// unknown user: a pool that hides which users exist must spend the same
// time on both. They call the operations directly, without HTTP, so that
// the difference is not lost in the noise of the transport.

// callOp runs operation on a JSON body built from in, as serveAPI would.
func callOp(b *testing.B, s *Server, operation string, in any) (any, *apiError) {
	body, err := json.Marshal(in)
	if err != nil {
		b.Fatal(err)
	}
	return operations[operation](s, body)
}

func benchmarkPasswordAuth(b *testing.B, username string) {
	s := newTestServer(b)
	s.AddUser("alice", "correct horse battery staple")
	in := map[string]any{
		"AuthFlow":       "USER_PASSWORD_AUTH",
		"ClientId":       s.ClientID,
		"AuthParameters": map[string]string{"USERNAME": username, "PASSWORD": "wrong password"},
	}
	for b.Loop() {
		if _, e := callOp(b, s, "InitiateAuth", in); e == nil || e.msg != badCredentials {
			b.Fatalf("got %v, want %q", e, badCredentials)
		}
	}
}

func BenchmarkPasswordAuthKnownUserWrongPassword(b *testing.B) {
	benchmarkPasswordAuth(b, "alice")
}

func BenchmarkPasswordAuthUnknownUser(b *testing.B) {
	benchmarkPasswordAuth(b, "mallory")
}

// benchmarkSRP runs USER_SRP_AUTH and answers the challenge with a wrong
// signature: the server's work is the same as for a wrong password.
func benchmarkSRP(b *testing.B, username string) {
	s := newTestServer(b)
	s.AddUser("alice", "correct horse battery staple")
	cl, err := srp.NewClient(rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	start := map[string]any{
		"AuthFlow":       "USER_SRP_AUTH",
		"ClientId":       s.ClientID,
		"AuthParameters": map[string]string{"USERNAME": username, "SRP_A": cl.PublicHex()},
	}
	badSignature := base64.StdEncoding.EncodeToString(make([]byte, 32))
	for b.Loop() {
		out, e := callOp(b, s, "InitiateAuth", start)
		if e != nil {
			b.Fatal(e.msg)
		}
		p := out.(*authOutput).ChallengeParameters
		answer := map[string]any{
			"ChallengeName": "PASSWORD_VERIFIER",
			"ClientId":      s.ClientID,
			"ChallengeResponses": map[string]string{
				"USERNAME":                    p["USER_ID_FOR_SRP"],
				"PASSWORD_CLAIM_SECRET_BLOCK": p["SECRET_BLOCK"],
				"PASSWORD_CLAIM_SIGNATURE":    badSignature,
				"TIMESTAMP":                   srp.Timestamp(time.Now()),
			},
		}
		if _, e := callOp(b, s, "RespondToAuthChallenge", answer); e == nil || e.msg != badCredentials {
			b.Fatalf("got %v, want %q", e, badCredentials)
		}
	}
}

func BenchmarkSRPKnownUserWrongPassword(b *testing.B) {
	benchmarkSRP(b, "alice")
}

func BenchmarkSRPUnknownUser(b *testing.B) {
	benchmarkSRP(b, "mallory")
}

// BenchmarkStoreSessionWith10000Pending stores PASSWORD_VERIFIER sessions
// into a server that already holds 10 000 live ones, the most it keeps.
func BenchmarkStoreSessionWith10000Pending(b *testing.B) {
	s := newTestServer(b)
	now := time.Now()
	var block [8]byte
	next := func() []byte {
		for i := range block {
			if block[i]++; block[i] != 0 {
				break
			}
		}
		return block[:]
	}
	for range 10_000 {
		s.storeSession(next(), &srpSession{}, now)
	}
	for b.Loop() {
		s.storeSession(next(), &srpSession{}, now)
	}
}
