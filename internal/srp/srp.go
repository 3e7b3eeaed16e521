// Package srp is the Secure Remote Password arithmetic of Amazon Cognito
// user pools (SRP-6a over the RFC 3526 3072-bit group, SHA-256, and the
// "Caldera" HKDF key), for both roles: the client that proves a password
// and the server that checks the proof.
//
// Every number is handled as a big integer and formatted with [PadHex],
// exactly as the reference client amazon-cognito-identity-js does; the
// package reproduces that client's numbers bit for bit.
package srp

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/big"
	"time"
)

// nHex is the RFC 3526 3072-bit MODP prime.
const nHex = "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD1" +
	"29024E088A67CC74020BBEA63B139B22514A08798E3404DD" +
	"EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245" +
	"E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED" +
	"EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3D" +
	"C2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F" +
	"83655D23DCA3AD961C62F356208552BB9ED529077096966D" +
	"670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B" +
	"E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9" +
	"DE2BCBF6955817183995497CEA956AE515D2261898FA0510" +
	"15728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64" +
	"ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7" +
	"ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6B" +
	"F12FFA06D98A0864D87602733EC86A64521F2B18177B200C" +
	"BBE117577A615D6C770988C0BAD946E208E24FA074E5AB31" +
	"43DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF"

// TimestampLayout is the time layout of the TIMESTAMP challenge response:
// UTC, English names, day of month not padded, 24-hour clock.
const TimestampLayout = "Mon Jan 2 15:04:05 UTC 2006"

// maxHexLen bounds every hex number accepted from the network: a value of
// the group fits in 768 hex digits, a salt in far fewer.
const maxHexLen = 1024

var (
	groupN = mustParseHex(nHex)
	groupG = big.NewInt(2)
	// groupK is the SRP-6a multiplier H(padHex(N) ‖ padHex(g)).
	groupK = hashToInt(padBytes(groupN.Bytes()), padBytes(groupG.Bytes()))
)

// Errors reported for numbers that would make the exchange insecure or
// that cannot be parsed.
var (
	ErrBadHex         = errors.New("srp: not a hexadecimal number")
	ErrZeroPublicKey  = errors.New("srp: public value is zero modulo N")
	ErrZeroScrambling = errors.New("srp: scrambling parameter u is zero")
)

// N returns a copy of the group's prime modulus.
func N() *big.Int { return new(big.Int).Set(groupN) }

// K returns a copy of the SRP-6a multiplier k.
func K() *big.Int { return new(big.Int).Set(groupK) }

// PadHex formats a non-negative n as Cognito's clients do: lowercase hex,
// a leading "0" when the length is odd, then "00" when the first digit is
// 8–f, so that the bytes read as a positive two's-complement number.
func PadHex(n *big.Int) string {
	return hex.EncodeToString(padBytes(n.Bytes()))
}

// padBytes returns the bytes that [PadHex] spells for the big-endian
// number b: b without leading zero bytes (one zero byte for zero), after a
// zero byte when its first byte is 0x80 or more. Its length depends on the
// value, as the protocol requires.
func padBytes(b []byte) []byte {
	for len(b) > 0 && b[0] == 0 {
		b = b[1:]
	}
	if len(b) == 0 || b[0] >= 0x80 {
		return append([]byte{0}, b...)
	}
	return append([]byte(nil), b...)
}

// ParseHex parses a hexadecimal number as sent on the wire. It accepts
// digits in either case and nothing else: no sign, no prefix, no spaces.
func ParseHex(s string) (*big.Int, error) {
	if s == "" || len(s) > maxHexLen {
		return nil, ErrBadHex
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return nil, ErrBadHex
		}
	}
	n, ok := new(big.Int).SetString(s, 16)
	if !ok {
		return nil, ErrBadHex
	}
	return n, nil
}

func mustParseHex(s string) *big.Int {
	n, err := ParseHex(s)
	if err != nil {
		panic(err) // only for constants above
	}
	return n
}

// hashToInt is H over the concatenation of parts, as a number.
func hashToInt(parts ...[]byte) *big.Int {
	h := sha256.New()
	for _, p := range parts {
		h.Write(p)
	}
	return new(big.Int).SetBytes(h.Sum(nil))
}

// Scrambler computes u = H(padHex(A) ‖ padHex(B)).
func Scrambler(a, b *big.Int) *big.Int {
	return hashToInt(padBytes(a.Bytes()), padBytes(b.Bytes()))
}

// PrivateKey computes x = H(padHex(salt) ‖ H(poolName ‖ userID ‖ ":" ‖ password)).
// userID is USER_ID_FOR_SRP, the pool's own name for the user, not an alias.
func PrivateKey(salt *big.Int, poolName, userID, password string) *big.Int {
	inner := sha256.New()
	io.WriteString(inner, poolName)
	io.WriteString(inner, userID)
	io.WriteString(inner, ":")
	io.WriteString(inner, password)
	return hashToInt(padBytes(salt.Bytes()), inner.Sum(nil))
}

// Verifier computes the password verifier v = g^x mod N that a server
// stores for a user instead of the password.
func Verifier(salt *big.Int, poolName, userID, password string) *big.Int {
	return powG(PrivateKey(salt, poolName, userID, password))
}

// DeriveKey turns the shared secret S and the scrambler u into the 16-byte
// key of the password claim: HKDF-SHA256 with salt padHex(u), input
// padHex(S) and info "Caldera Derived Key".
func DeriveKey(s, u *big.Int) ([]byte, error) {
	return hkdf.Key(sha256.New, padBytes(s.Bytes()), padBytes(u.Bytes()), "Caldera Derived Key", 16)
}

// Timestamp formats t as the TIMESTAMP of a PASSWORD_VERIFIER response.
func Timestamp(t time.Time) string {
	return t.UTC().Format(TimestampLayout)
}

// Signature computes PASSWORD_CLAIM_SIGNATURE: base64 of
// HMAC-SHA256(key, poolName ‖ userID ‖ secretBlock ‖ timestamp), where
// secretBlock is the decoded SECRET_BLOCK.
func Signature(key []byte, poolName, userID string, secretBlock []byte, timestamp string) string {
	return base64.StdEncoding.EncodeToString(signature(key, poolName, userID, secretBlock, timestamp))
}

func signature(key []byte, poolName, userID string, secretBlock []byte, timestamp string) []byte {
	m := hmac.New(sha256.New, key)
	io.WriteString(m, poolName)
	io.WriteString(m, userID)
	m.Write(secretBlock)
	io.WriteString(m, timestamp)
	return m.Sum(nil)
}

// VerifySignature reports whether sig (base64, as sent) is the signature
// that key gives the other values; it compares in constant time.
func VerifySignature(sig string, key []byte, poolName, userID string, secretBlock []byte, timestamp string) bool {
	got, err := base64.StdEncoding.DecodeString(sig)
	if err != nil {
		return false
	}
	return hmac.Equal(got, signature(key, poolName, userID, secretBlock, timestamp))
}

// randomExponent reads 128 bytes from r and reduces them modulo N.
func randomExponent(r io.Reader) (*big.Int, error) {
	var buf [128]byte
	if _, err := io.ReadFull(r, buf[:]); err != nil {
		return nil, fmt.Errorf("srp: reading random bytes: %w", err)
	}
	e := new(big.Int).SetBytes(buf[:])
	return e.Mod(e, groupN), nil
}

// Client is one sign-in's ephemeral client key pair (a, A = g^a mod N).
// It is used for a single exchange and then dropped.
type Client struct {
	a, pub *big.Int
}

// NewClient draws a fresh secret a from r (crypto/rand.Reader in
// production) and computes A.
func NewClient(r io.Reader) (*Client, error) {
	for {
		a, err := randomExponent(r)
		if err != nil {
			return nil, err
		}
		c, err := NewClientWithSecret(a)
		if errors.Is(err, ErrZeroPublicKey) {
			continue // a was 0 mod the group order: astronomically unlikely
		}
		return c, err
	}
}

// NewClientWithSecret builds the key pair from a given secret a; it exists
// so that the arithmetic can be checked against fixed vectors.
func NewClientWithSecret(a *big.Int) (*Client, error) {
	if a.Sign() <= 0 {
		return nil, ErrZeroPublicKey
	}
	pub := powG(a)
	if pub.Sign() == 0 {
		return nil, ErrZeroPublicKey
	}
	return &Client{a: new(big.Int).Set(a), pub: pub}, nil
}

// PublicHex is SRP_A: A in lowercase hex without padding.
func (c *Client) PublicHex() string { return c.pub.Text(16) }

// Public returns a copy of A.
func (c *Client) Public() *big.Int { return new(big.Int).Set(c.pub) }

// Key computes the 16-byte password-claim key from the server's challenge:
// its salt and public value B (both as parsed hex numbers), the pool name
// (the part of the pool ID after "_"), USER_ID_FOR_SRP and the password.
// It refuses B ≡ 0 (mod N) and u = 0.
func (c *Client) Key(salt, b *big.Int, poolName, userID, password string) ([]byte, error) {
	if b.Sign() < 0 || new(big.Int).Mod(b, groupN).Sign() == 0 {
		return nil, ErrZeroPublicKey
	}
	u := Scrambler(c.pub, b)
	if u.Sign() == 0 {
		return nil, ErrZeroScrambling
	}
	x := PrivateKey(salt, poolName, userID, password)
	// base = (B − k·g^x) mod N, in [0, N)
	base := powG(x)
	base.Mul(base, groupK)
	base.Sub(b, base)
	base.Mod(base, groupN)
	// exponent = a + u·x
	exp := new(big.Int).Mul(u, x)
	exp.Add(exp, c.a)
	s := base.Exp(base, exp, groupN)
	return DeriveKey(s, u)
}

// Server is the server side of one exchange for one user: it holds the
// user's verifier and an ephemeral pair (b, B = k·v + g^b mod N).
type Server struct {
	v, b, pub *big.Int
}

// NewServer draws a fresh secret b from r for a user whose verifier is v.
func NewServer(r io.Reader, v *big.Int) (*Server, error) {
	for {
		b, err := randomExponent(r)
		if err != nil {
			return nil, err
		}
		if b.Sign() == 0 {
			continue
		}
		pub := powG(b)
		kv := new(big.Int).Mul(groupK, v)
		pub.Add(pub, kv)
		pub.Mod(pub, groupN)
		if pub.Sign() == 0 {
			continue
		}
		return &Server{v: new(big.Int).Set(v), b: b, pub: pub}, nil
	}
}

// PublicHex is SRP_B: B in lowercase hex without padding.
func (s *Server) PublicHex() string { return s.pub.Text(16) }

// Key computes the 16-byte password-claim key from the client's A. It
// refuses A ≡ 0 (mod N) and u = 0.
func (s *Server) Key(a *big.Int) ([]byte, error) {
	if a.Sign() < 0 || new(big.Int).Mod(a, groupN).Sign() == 0 {
		return nil, ErrZeroPublicKey
	}
	u := Scrambler(a, s.pub)
	if u.Sign() == 0 {
		return nil, ErrZeroScrambling
	}
	// S = (A · v^u)^b mod N
	base := new(big.Int).Exp(s.v, u, groupN)
	base.Mul(base, a)
	base.Mod(base, groupN)
	secret := base.Exp(base, s.b, groupN)
	return DeriveKey(secret, u)
}
