// Package srp is the Secure Remote Password arithmetic of Amazon Cognito
// user pools (SRP-6a over the RFC 3526 3072-bit group, SHA-256, and the
// "Caldera" HKDF key), for both roles: the client that proves a password
// and the server that checks the proof.
//
// Every number is formatted with [PadHex], exactly as the reference client
// amazon-cognito-identity-js does; the package reproduces that client's
// numbers bit for bit.
//
// The client's secrets, the ephemeral a and the password-derived x, are
// only ever used in constant-time arithmetic: powers of g come from the
// comb in fixedbase.go, and the shared secret S = (B − k·g^x)^(a + u·x) is
// computed with filippo.io/bigmod (the constant-time modular arithmetic
// behind crypto/rsa, published as a module), with a + u·x held as a byte
// string of fixed length. The server side ([Server]) exists for the test
// pool and, apart from g^b, uses math/big, which is not constant-time.
package srp

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/big"
	"math/bits"
	"time"

	"filippo.io/bigmod"
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

	// The same modulus and constants for bigmod.
	groupM = mustModulus(groupN)
	natG   = natOf(groupG)
	natK   = natOf(groupK)
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

func mustModulus(n *big.Int) *bigmod.Modulus {
	m, err := bigmod.NewModulus(n.Bytes())
	if err != nil {
		panic(err) // only for the constant N
	}
	return m
}

// natOf returns x, a public value in [0, N), as a bigmod.Nat for groupM.
func natOf(x *big.Int) *bigmod.Nat {
	z := bigmod.NewNat().ExpandFor(groupM)
	copy(z.Bits(), limbsOf(x, len(z.Bits())))
	return z
}

// intOf returns a public x as a big.Int.
func intOf(x *bigmod.Nat) *big.Int {
	return new(big.Int).SetBytes(x.Bytes(groupM))
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
// The client keeps x as bytes; this big.Int form is for checking vectors.
func PrivateKey(salt *big.Int, poolName, userID, password string) *big.Int {
	x := privateKey(salt, poolName, userID, password)
	return new(big.Int).SetBytes(x[:])
}

func privateKey(salt *big.Int, poolName, userID, password string) [sha256.Size]byte {
	inner := sha256.New()
	io.WriteString(inner, poolName)
	io.WriteString(inner, userID)
	io.WriteString(inner, ":")
	io.WriteString(inner, password)
	outer := sha256.New()
	outer.Write(padBytes(salt.Bytes()))
	outer.Write(inner.Sum(nil))
	var x [sha256.Size]byte
	outer.Sum(x[:0])
	return x
}

// Verifier computes the password verifier v = g^x mod N that a server
// stores for a user instead of the password, in constant time.
func Verifier(salt *big.Int, poolName, userID, password string) *big.Int {
	x := privateKey(salt, poolName, userID, password)
	return intOf(powG(x[:]))
}

// DeriveKey turns the shared secret S and the scrambler u into the 16-byte
// key of the password claim: HKDF-SHA256 with salt padHex(u), input
// padHex(S) and info "Caldera Derived Key".
func DeriveKey(s, u *big.Int) ([]byte, error) {
	return deriveKey(padBytes(s.Bytes()), padBytes(u.Bytes()))
}

func deriveKey(paddedS, paddedU []byte) ([]byte, error) {
	return hkdf.Key(sha256.New, paddedS, paddedU, "Caldera Derived Key", 16)
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

// randomExponent reads 128 bytes from r and reduces them modulo N. It is
// for the test server's b, which stays in math/big.
func randomExponent(r io.Reader) (*big.Int, error) {
	var buf [longExpBytes]byte
	if _, err := io.ReadFull(r, buf[:]); err != nil {
		return nil, fmt.Errorf("srp: reading random bytes: %w", err)
	}
	e := new(big.Int).SetBytes(buf[:])
	return e.Mod(e, groupN), nil
}

// Client is one sign-in's ephemeral client key pair (a, A = g^a mod N).
// It is used for a single exchange and then dropped.
type Client struct {
	a   []byte // big-endian, fixed length: 128 bytes from NewClient
	pub *big.Int
}

// NewClient draws a fresh secret a of 1024 bits from r (crypto/rand.Reader
// in production) and computes A, in constant time.
func NewClient(r io.Reader) (*Client, error) {
	for {
		a := make([]byte, longExpBytes)
		if _, err := io.ReadFull(r, a); err != nil {
			return nil, fmt.Errorf("srp: reading random bytes: %w", err)
		}
		// 128 bytes are below N, so a needs no reduction; a = 0 is
		// astronomically unlikely and only its zeroness is compared.
		if subtle.ConstantTimeCompare(a, make([]byte, len(a))) == 1 {
			continue
		}
		return newClient(a)
	}
}

// NewClientWithSecret builds the key pair from a given secret a; it exists
// so that the arithmetic can be checked against fixed vectors. a is held
// as 128 bytes, or as many as a needs when it is longer: only the length
// of a's byte string can show in the time taken, as it already does in
// the caller's big.Int.
func NewClientWithSecret(a *big.Int) (*Client, error) {
	if a.Sign() <= 0 {
		return nil, ErrZeroPublicKey
	}
	return newClient(a.FillBytes(make([]byte, max(longExpBytes, (a.BitLen()+7)/8))))
}

func newClient(a []byte) (*Client, error) {
	pub := intOf(powG(a))
	if pub.Sign() == 0 {
		return nil, ErrZeroPublicKey
	}
	return &Client{a: a, pub: pub}, nil
}

// PublicHex is SRP_A: A in lowercase hex without padding.
func (c *Client) PublicHex() string { return c.pub.Text(16) }

// Public returns a copy of A.
func (c *Client) Public() *big.Int { return new(big.Int).Set(c.pub) }

// Key computes the 16-byte password-claim key from the server's challenge:
// its salt and public value B (both as parsed hex numbers), the pool name
// (the part of the pool ID after "_"), USER_ID_FOR_SRP and the password.
// It refuses B ≡ 0 (mod N) and u = 0.
//
// Everything computed from x or a takes time that depends only on public
// lengths: x is hashed to 32 bytes, g^x comes from the comb, and
// S = (B − k·g^x)^(a + u·x) mod N is bigmod's Exp with the exponent as
// len(a)+1 bytes. The one exception is the HKDF input padHex(S): the
// protocol drops the leading zero bytes of S, so its length, and the time
// taken to hash it, depend on S.
func (c *Client) Key(salt, b *big.Int, poolName, userID, password string) ([]byte, error) {
	bModN := new(big.Int).Mod(b, groupN)
	if b.Sign() < 0 || bModN.Sign() == 0 {
		return nil, ErrZeroPublicKey
	}
	u := Scrambler(c.pub, b)
	if u.Sign() == 0 {
		return nil, ErrZeroScrambling
	}
	var uBytes [sha256.Size]byte
	u.FillBytes(uBytes[:])
	x := privateKey(salt, poolName, userID, password)
	// base = (B − k·g^x) mod N
	kgx := powG(x[:]).Mul(natK, groupM)
	base := natOf(bModN).Sub(kgx, groupM)
	s := bigmod.NewNat().Exp(base, sessionExponent(c.a, &uBytes, &x), groupM)
	return deriveKey(padBytes(s.Bytes(groupM)), padBytes(u.Bytes()))
}

// sessionExponent returns a + u·x over the integers as len(a)+1 big-endian
// bytes, enough for any value since len(a) ≥ 64 and u·x < 2^512. The
// arithmetic is on fixed-size words with no branch on their values.
func sessionExponent(a []byte, u, x *[sha256.Size]byte) []byte {
	const words = sha256.Size / 8
	var uw, xw [words]uint64
	for i := range words { // little-endian words
		uw[i] = binary.BigEndian.Uint64(u[sha256.Size-8*(i+1):])
		xw[i] = binary.BigEndian.Uint64(x[sha256.Size-8*(i+1):])
	}
	var p [2 * words]uint64 // u·x
	for i := range words {
		var c uint64
		for j := range words {
			hi, lo := bits.Mul64(uw[i], xw[j])
			var c1, c2 uint64
			lo, c1 = bits.Add64(lo, p[i+j], 0)
			lo, c2 = bits.Add64(lo, c, 0)
			p[i+j], c = lo, hi+c1+c2
		}
		p[i+words] = c
	}
	e := make([]byte, len(a)+1)
	var carry uint
	for i := range e { // i-th byte from the least significant
		sum := carry
		if i < len(a) {
			sum += uint(a[len(a)-1-i])
		}
		if i < 8*len(p) {
			sum += uint(byte(p[i/8] >> (8 * (i % 8))))
		}
		e[len(e)-1-i] = byte(sum)
		carry = sum >> 8
	}
	return e
}

// Server is the server side of one exchange for one user: it holds the
// user's verifier and an ephemeral pair (b, B = k·v + g^b mod N). It
// serves the test pool (cognitotest): apart from g^b, its arithmetic uses
// math/big, which is not constant-time.
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
		pub := intOf(powG(b.FillBytes(make([]byte, longExpBytes))))
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
