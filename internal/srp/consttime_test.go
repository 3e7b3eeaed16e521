package srp

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"math/big"
	"math/bits"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func randBytes(t testing.TB, n int) []byte {
	b := make([]byte, n)
	_, err := rand.Read(b)
	require.NoError(t, err)
	return b
}

func pow2(n uint) *big.Int { return new(big.Int).Lsh(big.NewInt(1), n) }

func intFromLimbs(z []uint) *big.Int {
	w := make([]big.Word, len(z))
	for i, l := range z {
		w[i] = big.Word(l)
	}
	return new(big.Int).SetBits(w)
}

func TestMontField(t *testing.T) {
	n := len(field.m)
	assert.Equal(t, 3072, n*bits.UintSize)
	assert.Equal(t, 0, intFromLimbs(field.m).Cmp(groupN))
	assert.Equal(t, ^uint(0), field.m[0]*field.m0inv, "N·m0inv ≡ −1 mod W")
	r := pow2(uint(n * bits.UintSize))
	assert.Equal(t, 0, intFromLimbs(field.one).Cmp(new(big.Int).Mod(r, groupN)))
}

// TestMontMul checks x·y·R⁻¹ mod N against math/big, on edge and random
// operands, with the result written over either operand.
func TestMontMul(t *testing.T) {
	n := len(field.m)
	rInv := new(big.Int).ModInverse(pow2(uint(n*bits.UintSize)), groupN)
	nm1 := new(big.Int).Sub(groupN, big.NewInt(1))
	edges := []*big.Int{big.NewInt(0), big.NewInt(1), big.NewInt(2), nm1,
		new(big.Int).Sub(groupN, big.NewInt(2)), intFromLimbs(field.one),
		new(big.Int).Sub(pow2(3071), big.NewInt(1)), pow2(3071)}
	for range 30 {
		r := new(big.Int).SetBytes(randBytes(t, 384))
		edges = append(edges, r.Mod(r, groupN))
	}
	s := field.newScratch()
	for i, x := range edges {
		for j, y := range edges {
			if i > 8 && j > 8 && (i+j)%5 != 0 {
				continue // enough random pairs
			}
			want := new(big.Int).Mul(x, y)
			want.Mul(want, rInv).Mod(want, groupN)
			z := make([]uint, n)
			field.montMul(z, limbsOf(x, n), limbsOf(y, n), s)
			require.Equal(t, 0, want.Cmp(intFromLimbs(z)), "%x · %x", x, y)
			xl, yl := limbsOf(x, n), limbsOf(y, n)
			field.montMul(xl, xl, yl, s)
			field.montMul(yl, limbsOf(x, n), yl, s)
			require.Equal(t, 0, want.Cmp(intFromLimbs(xl)), "z = x")
			require.Equal(t, 0, want.Cmp(intFromLimbs(yl)), "z = y")
		}
	}
}

// powGCases are exponents for g^e with the byte lengths the client uses
// and others: zero, one, all ones, single bits, leading zero bytes,
// N-sized, and random ones of every length up to 130 bytes.
func powGCases(t testing.TB) [][]byte {
	cases := [][]byte{nil, {0}, {1}, {2}, {0x80}, {0, 0, 1}}
	for _, n := range []int{shortExpBytes, longExpBytes} {
		for _, bit := range []uint{0, 1, 4, 7, 8, uint(8*n - 1)} {
			cases = append(cases, pow2(bit).FillBytes(make([]byte, n)))
		}
		cases = append(cases,
			make([]byte, n),                          // 0 at full length
			big.NewInt(1).FillBytes(make([]byte, n)), // 1 with leading zeros
			bytes.Repeat([]byte{0xff}, n),
			bytes.Repeat([]byte{0x11}, n),
			append(make([]byte, n/2), randBytes(t, n-n/2)...), // leading zero bytes
		)
	}
	nm1 := new(big.Int).Sub(groupN, big.NewInt(1))
	cases = append(cases, nm1.Bytes(), new(big.Int).Sub(groupN, big.NewInt(2)).Bytes(),
		groupN.Bytes(), pow2(1024).Bytes(), bytes.Repeat([]byte{0xff}, 129))
	for n := 1; n <= 130; n++ {
		cases = append(cases, randBytes(t, n))
	}
	return cases
}

// TestPowG checks the comb (and the Exp fallback) against math/big.
func TestPowG(t *testing.T) {
	for _, e := range powGCases(t) {
		want := new(big.Int).Exp(groupG, new(big.Int).SetBytes(e), groupN)
		got := intOf(powG(e))
		require.Equal(t, 0, want.Cmp(got), "len %d: %x", len(e), e)
		if len(e) <= longExpBytes {
			require.Equal(t, 0, varTimePowG(new(big.Int).SetBytes(e)).Cmp(got), "baseline, %x", e)
		}
	}
}

// TestCombWorkIsFixed checks that the comb does the same number of
// Montgomery products and reads the same table entries whatever the
// exponent's digits: the only branch is on the exponent's length.
func TestCombWorkIsFixed(t *testing.T) {
	for _, c := range []struct {
		tab                *combTable
		muls, tableEntries int
	}{
		// cols−1 squarings, 16 products per column but the first, one to
		// leave Montgomery form; 16 entries read per product.
		{shortTable(), 3 + 63 + 1, 4 * 16 * 16},
		{longTable(), 15 + 255 + 1, 16 * 16 * 16},
	} {
		n := c.tab.bitLen / 8
		for _, e := range [][]byte{make([]byte, n), pow2(0).FillBytes(make([]byte, n)),
			bytes.Repeat([]byte{0xff}, n), pow2(uint(8*n - 1)).FillBytes(make([]byte, n)), randBytes(t, n)} {
			s := field.newScratch()
			c.tab.exp(make([]uint, len(field.m)), e, s)
			assert.Equal(t, c.muls, s.muls, "%d-bit %x", c.tab.bitLen, e)
			assert.Equal(t, c.tableEntries, s.selects, "%d-bit %x", c.tab.bitLen, e)
		}
		assert.Panics(t, func() { c.tab.exp(make([]uint, len(field.m)), make([]byte, n-1), field.newScratch()) })
	}
}

// TestPowGWork checks which path each exponent length takes and that the
// work depends on the length only: x (32 bytes) uses the short comb, a
// (128 bytes) the long one, anything longer bigmod's Exp.
func TestPowGWork(t *testing.T) {
	for _, e := range powGCases(t) {
		s := field.newScratch()
		powGWith(e, s)
		switch {
		case len(e) <= shortExpBytes:
			assert.Equal(t, 67, s.muls, "%x", e)
		case len(e) <= longExpBytes:
			assert.Equal(t, 271, s.muls, "%x", e)
		default:
			assert.Equal(t, 0, s.muls, "%x", e)
		}
	}
}

// TestSessionExponent checks a + u·x against math/big and that its length
// is len(a)+1 whatever the values.
func TestSessionExponent(t *testing.T) {
	max32 := [sha256.Size]byte(bytes.Repeat([]byte{0xff}, sha256.Size))
	var zero32, one32 [sha256.Size]byte
	one32[sha256.Size-1] = 1
	type tc struct {
		a    []byte
		u, x [sha256.Size]byte
	}
	cases := []tc{
		{big.NewInt(1).FillBytes(make([]byte, longExpBytes)), one32, zero32},
		{big.NewInt(1).FillBytes(make([]byte, longExpBytes)), one32, one32},
		{bytes.Repeat([]byte{0xff}, longExpBytes), max32, max32}, // carries into the extra byte
		{bytes.Repeat([]byte{0xff}, 200), max32, max32},
		{make([]byte, longExpBytes), max32, one32},
	}
	for range 50 {
		var u, x [sha256.Size]byte
		copy(u[:], randBytes(t, sha256.Size))
		copy(x[:], randBytes(t, sha256.Size))
		x[0] = 0 // leading zero byte
		cases = append(cases, tc{randBytes(t, longExpBytes), u, x})
	}
	for _, c := range cases {
		want := new(big.Int).Mul(new(big.Int).SetBytes(c.u[:]), new(big.Int).SetBytes(c.x[:]))
		want.Add(want, new(big.Int).SetBytes(c.a))
		e := sessionExponent(c.a, &c.u, &c.x)
		assert.Len(t, e, len(c.a)+1)
		assert.Equal(t, 0, want.Cmp(new(big.Int).SetBytes(e)), "a=%x u=%x x=%x", c.a, c.u, c.x)
	}
}

// TestClientSecretLength checks that a is held at a fixed length: 128
// bytes for NewClient and for every a of up to 1024 bits.
func TestClientSecretLength(t *testing.T) {
	c, err := NewClient(rand.Reader)
	require.NoError(t, err)
	assert.Len(t, c.a, longExpBytes)
	for _, a := range []*big.Int{big.NewInt(1), pow2(1023), new(big.Int).Sub(pow2(1024), big.NewInt(1))} {
		c, err := NewClientWithSecret(a)
		require.NoError(t, err)
		assert.Len(t, c.a, longExpBytes, a.Text(16))
	}
	c, err = NewClientWithSecret(pow2(1100))
	require.NoError(t, err)
	assert.Len(t, c.a, 138)
	// The retry on a = 0: 128 zero bytes, then a valid a.
	c, err = NewClient(bytes.NewReader(append(make([]byte, longExpBytes), randBytes(t, longExpBytes)...)))
	require.NoError(t, err)
	assert.NotEqual(t, make([]byte, longExpBytes), c.a)
}

// TestKeyMatchesVariableTime compares the client's key with the
// variable-time computation for random and edge secrets, and for values
// of B that an honest server would not send.
func TestKeyMatchesVariableTime(t *testing.T) {
	salt := hexInt(t, "00f1e2d3c4b5a697")
	secrets := []*big.Int{big.NewInt(1), big.NewInt(2), new(big.Int).Sub(pow2(1024), big.NewInt(1)),
		pow2(1024), new(big.Int).Sub(groupN, big.NewInt(1)), new(big.Int).SetBytes(randBytes(t, 20))}
	for range 4 {
		secrets = append(secrets, new(big.Int).SetBytes(randBytes(t, longExpBytes)))
	}
	bs := []*big.Int{big.NewInt(1), big.NewInt(2), new(big.Int).Sub(groupN, big.NewInt(1)),
		new(big.Int).Add(groupN, big.NewInt(5)), new(big.Int).SetBytes(randBytes(t, 400)),
		Verifier(salt, "pool", "user", "pw")}
	for _, a := range secrets {
		ct, err := NewClientWithSecret(a)
		require.NoError(t, err)
		vt := newVarTimeClientWithSecret(a)
		require.Equal(t, 0, vt.pub.Cmp(ct.pub), "A for a=%x", a)
		for _, b := range bs {
			for _, pw := range []string{"pw", "pässwörd", ""} {
				want, err := vt.key(salt, b, "pool", "user", pw)
				require.NoError(t, err)
				got, err := ct.Key(salt, b, "pool", "user", pw)
				require.NoError(t, err)
				require.Equal(t, hex.EncodeToString(want), hex.EncodeToString(got), "a=%x b=%x", a, b)
			}
		}
	}
}

// TestKeyBaseZero covers B ≡ k·g^x (mod N), where the base of S is zero:
// S = 0 as with math/big.
func TestKeyBaseZero(t *testing.T) {
	salt := big.NewInt(7)
	x := PrivateKey(salt, "pool", "user", "pw")
	b := new(big.Int).Mul(groupK, new(big.Int).Exp(groupG, x, groupN))
	b.Mod(b, groupN)
	c, err := NewClient(rand.Reader)
	require.NoError(t, err)
	got, err := c.Key(salt, b, "pool", "user", "pw")
	require.NoError(t, err)
	want, err := DeriveKey(big.NewInt(0), Scrambler(c.pub, b))
	require.NoError(t, err)
	assert.Equal(t, want, got)
}

// TestVariableTimeBaselineVectors checks that the benchmark baseline is
// the arithmetic it claims to be.
func TestVariableTimeBaselineVectors(t *testing.T) {
	for _, v := range loadVectors(t) {
		c := newVarTimeClientWithSecret(hexInt(t, v.A))
		require.Equal(t, v.SRPA, c.pub.Text(16))
		key, err := c.key(hexInt(t, v.Salt), hexInt(t, v.SRPB), poolName(v.PoolID), v.UserID, v.Password)
		require.NoError(t, err)
		require.Equal(t, v.Key, hex.EncodeToString(key))
	}
}

func FuzzPowG(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{0})
	f.Add(bytes.Repeat([]byte{0xff}, shortExpBytes))
	f.Add(bytes.Repeat([]byte{0x01}, longExpBytes))
	f.Fuzz(func(t *testing.T, e []byte) {
		if len(e) > 2*longExpBytes {
			return
		}
		want := new(big.Int).Exp(groupG, new(big.Int).SetBytes(e), groupN)
		if got := intOf(powG(e)); want.Cmp(got) != 0 {
			t.Fatalf("g^%x: got %x, want %x", e, got, want)
		}
	})
}

// BenchmarkPowGDigits times g^x for a 256-bit x whose hex digits are all
// non-zero ("full") and for one of the same length that is zero below its
// top digit ("sparse"), alternating the two in one loop so that a change
// of machine load affects both alike. It reports the median of each and
// their ratio: about 1 for the constant-time comb, far above 1 for the
// variable-time baseline, whose work follows the non-zero digits.
func BenchmarkPowGDigits(b *testing.B) {
	full := bytes.Repeat([]byte{0xe7}, shortExpBytes)
	sparse := make([]byte, shortExpBytes)
	sparse[0] = 0xe0
	for _, impl := range []struct {
		name string
		pow  func(e []byte)
	}{
		{"ct", func(e []byte) { powG(e) }},
		{"vartime", func(e []byte) { varTimePowG(new(big.Int).SetBytes(e)) }},
	} {
		b.Run("impl="+impl.name, func(b *testing.B) {
			impl.pow(full) // build the tables outside the timing
			var tf, ts []time.Duration
			for b.Loop() {
				t0 := time.Now()
				impl.pow(full)
				t1 := time.Now()
				impl.pow(sparse)
				tf, ts = append(tf, t1.Sub(t0)), append(ts, time.Since(t1))
			}
			mf, ms := median(tf), median(ts)
			b.ReportMetric(float64(mf.Nanoseconds()), "full-ns")
			b.ReportMetric(float64(ms.Nanoseconds()), "sparse-ns")
			b.ReportMetric(float64(mf)/float64(ms), "full/sparse")
		})
	}
}

func median(d []time.Duration) time.Duration {
	slices.Sort(d)
	return d[len(d)/2]
}
