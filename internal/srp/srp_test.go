package srp

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-e8acf5fd/cognito/internal/srp/srpvectors"
)

type vector = srpvectors.Vector

func loadVectors(t testing.TB) []vector {
	v, err := srpvectors.Load()
	require.NoError(t, err)
	return v
}

func hexInt(t testing.TB, s string) *big.Int {
	n, err := ParseHex(s)
	require.NoError(t, err, s)
	return n
}

func poolName(poolID string) string {
	return poolID[strings.IndexByte(poolID, '_')+1:]
}

// TestVectors reproduces every number the reference client computed.
func TestVectors(t *testing.T) {
	for i, v := range loadVectors(t) {
		t.Run(v.PoolID+"/"+v.UserID+"/"+string(rune('a'+i%26)), func(t *testing.T) {
			c, err := NewClientWithSecret(hexInt(t, v.A))
			require.NoError(t, err)
			assert.Equal(t, v.SRPA, c.PublicHex(), "A")

			salt, b := hexInt(t, v.Salt), hexInt(t, v.SRPB)
			assert.Equal(t, 0, hexInt(t, v.U).Cmp(Scrambler(c.Public(), b)), "u")
			assert.Equal(t, 0, hexInt(t, v.X).Cmp(PrivateKey(salt, poolName(v.PoolID), v.UserID, v.Password)), "x")

			key, err := c.Key(salt, b, poolName(v.PoolID), v.UserID, v.Password)
			require.NoError(t, err)
			assert.Equal(t, v.Key, hex.EncodeToString(key), "key")

			block, err := base64.StdEncoding.DecodeString(v.SecretBlock)
			require.NoError(t, err)
			assert.Equal(t, v.Signature, Signature(key, poolName(v.PoolID), v.UserID, block, v.Timestamp), "signature")
			assert.True(t, VerifySignature(v.Signature, key, poolName(v.PoolID), v.UserID, block, v.Timestamp))
		})
	}
}

func TestK(t *testing.T) {
	assert.Equal(t, "538282c4354742d7cbbde2359fcf67f9f5b3a6b08791e5011b43b8a5b66d9ee6", K().Text(16))
	assert.Equal(t, 3072, N().BitLen())
}

func TestPadHex(t *testing.T) {
	for in, want := range map[string]string{
		"0":    "00",
		"1":    "01",
		"7f":   "7f",
		"80":   "0080",
		"abc":  "0abc",
		"fff":  "0fff",
		"8abc": "008abc",
		"00ab": "00ab", // parsed first: ab → 00ab
		"0080": "0080",
		"123":  "0123",
	} {
		assert.Equal(t, want, PadHex(hexInt(t, in)), in)
	}
}

func TestPadBytes(t *testing.T) {
	for in, want := range map[string]string{
		"": "00", "00": "00", "0000": "00", "01": "01", "7f": "7f", "80": "0080",
		"0080": "0080", "000a": "0a", "00ff01": "00ff01", "ff01": "00ff01",
	} {
		b, err := hex.DecodeString(in)
		require.NoError(t, err)
		got := padBytes(b)
		assert.Equal(t, want, hex.EncodeToString(got), in)
		if len(got) > 0 && len(b) > 0 {
			got[len(got)-1] ^= 1
			assert.Equal(t, in, hex.EncodeToString(b), "padBytes must not share b")
		}
	}
}

func TestParseHexRejects(t *testing.T) {
	for _, in := range []string{"", "-1", "+1", "0x12", "12 ", "g", "1_2", strings.Repeat("f", maxHexLen+1)} {
		_, err := ParseHex(in)
		assert.ErrorIs(t, err, ErrBadHex, "%q", in)
	}
}

func TestTimestamp(t *testing.T) {
	for in, want := range map[time.Time]string{
		time.Date(2024, 3, 5, 15, 4, 5, 0, time.UTC):                          "Tue Mar 5 15:04:05 UTC 2024",
		time.Date(2032, 2, 29, 23, 59, 59, 0, time.UTC):                       "Sun Feb 29 23:59:59 UTC 2032",
		time.Date(2025, 12, 31, 0, 0, 0, 0, time.UTC):                         "Wed Dec 31 00:00:00 UTC 2025",
		time.Date(2024, 3, 6, 1, 4, 5, 0, time.FixedZone("JST", 9*3600)):      "Tue Mar 5 16:04:05 UTC 2024",
		time.Date(2006, 1, 2, 3, 4, 5, 999999999, time.FixedZone("X", 0)):     "Mon Jan 2 03:04:05 UTC 2006",
		time.Date(2026, 11, 27, 8, 31, 34, 0, time.FixedZone("PST", -8*3600)): "Fri Nov 27 16:31:34 UTC 2026",
	} {
		assert.Equal(t, want, Timestamp(in))
	}
}

func TestClientRejectsDegenerateB(t *testing.T) {
	c, err := NewClient(rand.Reader)
	require.NoError(t, err)
	salt := big.NewInt(0xabcdef)
	for _, b := range []*big.Int{big.NewInt(0), N(), new(big.Int).Mul(N(), big.NewInt(3)), big.NewInt(-5)} {
		_, err := c.Key(salt, b, "pool", "user", "pw")
		assert.ErrorIs(t, err, ErrZeroPublicKey, b.String())
	}
}

func TestServerRejectsDegenerateA(t *testing.T) {
	s, err := NewServer(rand.Reader, Verifier(big.NewInt(1), "p", "u", "pw"))
	require.NoError(t, err)
	for _, a := range []*big.Int{big.NewInt(0), N(), new(big.Int).Lsh(N(), 1)} {
		_, err := s.Key(a)
		assert.ErrorIs(t, err, ErrZeroPublicKey)
	}
}

func TestNewClientWithSecretRejectsZero(t *testing.T) {
	_, err := NewClientWithSecret(big.NewInt(0))
	assert.ErrorIs(t, err, ErrZeroPublicKey)
	_, err = NewClient(bytes.NewReader(nil))
	assert.Error(t, err)
}

// TestRoundTrip checks that both roles agree on the key exactly when the
// password is right.
func TestRoundTrip(t *testing.T) {
	salt := hexInt(t, "00f1e2d3c4b5a697")
	v := Verifier(salt, "AbC123", "6f1c2a9e-uuid", "pässwörd")
	for _, tc := range []struct {
		password string
		same     bool
	}{{"pässwörd", true}, {"passwörd", false}, {"", false}} {
		srv, err := NewServer(rand.Reader, v)
		require.NoError(t, err)
		cli, err := NewClient(rand.Reader)
		require.NoError(t, err)
		b := hexInt(t, srv.PublicHex())
		ck, err := cli.Key(salt, b, "AbC123", "6f1c2a9e-uuid", tc.password)
		require.NoError(t, err)
		sk, err := srv.Key(hexInt(t, cli.PublicHex()))
		require.NoError(t, err)
		assert.Len(t, ck, 16)
		assert.Equal(t, tc.same, bytes.Equal(ck, sk), tc.password)
		sig := Signature(ck, "AbC123", "6f1c2a9e-uuid", []byte("block"), "Tue Mar 5 15:04:05 UTC 2024")
		assert.Equal(t, tc.same, VerifySignature(sig, sk, "AbC123", "6f1c2a9e-uuid", []byte("block"), "Tue Mar 5 15:04:05 UTC 2024"))
	}
}

func FuzzClientKey(f *testing.F) {
	f.Add("ab", "0", "user", "pw")
	f.Add("00", "ffffffff", "", "")
	c, err := NewClient(rand.Reader)
	require.NoError(f, err)
	f.Fuzz(func(t *testing.T, saltHex, bHex, user, pw string) {
		salt, err1 := ParseHex(saltHex)
		b, err2 := ParseHex(bHex)
		if err1 != nil || err2 != nil {
			return
		}
		key, err := c.Key(salt, b, "pool", user, pw)
		if err == nil && len(key) != 16 {
			t.Fatalf("key length %d", len(key))
		}
	})
}

// BenchmarkClientSignIn is the client's SRP arithmetic for one sign-in:
// a fresh a and A, then the key and the signature.
func BenchmarkClientSignIn(b *testing.B) {
	v := loadVectors(b)[0]
	salt, srvB := hexInt(b, v.Salt), hexInt(b, v.SRPB)
	block, _ := base64.StdEncoding.DecodeString(v.SecretBlock)
	b.ReportAllocs()
	for b.Loop() {
		c, err := NewClient(rand.Reader)
		if err != nil {
			b.Fatal(err)
		}
		key, err := c.Key(salt, srvB, "AbCdEf123", v.UserID, v.Password)
		if err != nil {
			b.Fatal(err)
		}
		_ = Signature(key, "AbCdEf123", v.UserID, block, Timestamp(time.Now()))
	}
}

// BenchmarkClientSignInVariableTime is BenchmarkClientSignIn with the
// variable-time arithmetic the package had before (vartime_test.go), as a
// baseline.
func BenchmarkClientSignInVariableTime(b *testing.B) {
	v := loadVectors(b)[0]
	salt, srvB := hexInt(b, v.Salt), hexInt(b, v.SRPB)
	block, _ := base64.StdEncoding.DecodeString(v.SecretBlock)
	b.ReportAllocs()
	for b.Loop() {
		c, err := newVarTimeClient(rand.Reader)
		if err != nil {
			b.Fatal(err)
		}
		key, err := c.key(salt, srvB, "AbCdEf123", v.UserID, v.Password)
		if err != nil {
			b.Fatal(err)
		}
		_ = Signature(key, "AbCdEf123", v.UserID, block, Timestamp(time.Now()))
	}
}

// BenchmarkClientSignInInterleaved alternates the two sign-ins of the
// benchmarks above in one loop, so that both see the same machine load,
// and reports the median time of each and their ratio.
func BenchmarkClientSignInInterleaved(b *testing.B) {
	v := loadVectors(b)[0]
	salt, srvB := hexInt(b, v.Salt), hexInt(b, v.SRPB)
	ct := func() {
		c, err := NewClient(rand.Reader)
		require.NoError(b, err)
		_, err = c.Key(salt, srvB, "AbCdEf123", v.UserID, v.Password)
		require.NoError(b, err)
	}
	vt := func() {
		c, err := newVarTimeClient(rand.Reader)
		require.NoError(b, err)
		_, err = c.key(salt, srvB, "AbCdEf123", v.UserID, v.Password)
		require.NoError(b, err)
	}
	ct()
	vt()
	var tc, tv []time.Duration
	for b.Loop() {
		t0 := time.Now()
		ct()
		t1 := time.Now()
		vt()
		tc, tv = append(tc, t1.Sub(t0)), append(tv, time.Since(t1))
	}
	mc, mv := median(tc), median(tv)
	b.ReportMetric(float64(mc.Nanoseconds()), "ct-ns")
	b.ReportMetric(float64(mv.Nanoseconds()), "vartime-ns")
	b.ReportMetric(float64(mc)/float64(mv), "ct/vartime")
}

// BenchmarkServerVerify is the test pool's side of one sign-in.
func BenchmarkServerVerify(b *testing.B) {
	v := Verifier(big.NewInt(0x1234), "pool", "user", "pw")
	c, err := NewClient(rand.Reader)
	require.NoError(b, err)
	b.ReportAllocs()
	for b.Loop() {
		s, err := NewServer(rand.Reader, v)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.Key(c.Public()); err != nil {
			b.Fatal(err)
		}
	}
}
