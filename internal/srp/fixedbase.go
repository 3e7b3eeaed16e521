package srp

import (
	"crypto/sha256"
	"crypto/subtle"
	"math/big"
	"math/bits"
	"sync"

	"filippo.io/bigmod"
)

// Powers of the generator g are a large part of a sign-in's arithmetic
// (A = g^a, and g^x for the key), and their exponents are secrets. They are
// computed here in constant time: the time taken and the memory touched
// depend only on the length of the exponent, never on its digits.
//
// The method is a fixed-base comb (Lim and Lee): an exponent of L bits is
// read as combTeeth rows of L/combTeeth bits, each row cut into
// combSubtables blocks of cols bits. Subtable j holds, for every
// combTeeth-bit index I, the product over the set bits k of I of
// g^(2^(k·L/combTeeth + j·cols)). Then
//
//	g^e = ∏ over t from cols−1 down to 0 of (∏_j G[j][I(j,t)])^(2^t),
//
// where I(j,t) gathers bit k·L/combTeeth + j·cols + t of e for each row k,
// which Horner's rule evaluates with cols−1 squarings and L/combTeeth
// multiplications. Every multiplication reads all 16 entries of its
// subtable and keeps one by masking, so the addresses read do not depend
// on the index; every multiplication is a Montgomery product whose
// instructions do not depend on its operands.
//
// The products are computed here rather than with bigmod's Nat.Mul,
// because Mul converts its receiver into Montgomery form on every call,
// two Montgomery products for one, which would double the cost of the
// comb; bigmod does the variable-base exponentiation of the shared secret
// (Nat.Exp) and the rest of the client's modular arithmetic. The tables
// are built once, from public values, with math/big.

const (
	combTeeth     = 4  // bits of exponent per table lookup
	combSubtables = 16 // squarings are saved by this factor
	combEntries   = 1 << combTeeth
)

// field is the Montgomery context of the group modulus, as limbs of the
// same width and order as bigmod's (little-endian uint).
var field = newMontField(groupN)

type montField struct {
	m     []uint // N
	m0inv uint   // −N⁻¹ mod 2^bits.UintSize
	one   []uint // R mod N: 1 in Montgomery form, R = 2^(UintSize·len(m))
}

func newMontField(n *big.Int) *montField {
	size := len(n.Bits())
	w := new(big.Int).Lsh(big.NewInt(1), bits.UintSize)
	inv := new(big.Int).ModInverse(new(big.Int).Mod(n, w), w)
	m0inv := new(big.Int).Sub(w, inv)
	r := new(big.Int).Lsh(big.NewInt(1), uint(bits.UintSize*size))
	return &montField{
		m:     limbsOf(n, size),
		m0inv: uint(m0inv.Uint64()),
		one:   limbsOf(r.Mod(r, n), size),
	}
}

// limbsOf returns a non-negative x as size little-endian limbs. It is for
// public values only: math/big is not constant-time.
func limbsOf(x *big.Int, size int) []uint {
	z := make([]uint, size)
	for i, w := range x.Bits() {
		z[i] = uint(w)
	}
	return z
}

// toMont returns x·R mod N for a public x in [0, N), as limbs.
func (f *montField) toMont(x *big.Int) []uint {
	y := new(big.Int).Lsh(x, uint(bits.UintSize*len(f.m)))
	return limbsOf(y.Mod(y, groupN), len(f.m))
}

// montScratch is the working memory of one exponentiation, and a count of
// the work done, which tests use to check that it does not depend on the
// exponent's value.
type montScratch struct {
	t       []uint // len(m)+2 limbs for montMul
	sel     []uint // the entry chosen from a subtable
	muls    int    // Montgomery products
	selects int    // table entries read
}

func (f *montField) newScratch() *montScratch {
	return &montScratch{t: make([]uint, len(f.m)+2), sel: make([]uint, len(f.m))}
}

// montMul sets z = x·y·R⁻¹ mod N for x, y in [0, N); z may alias x or y.
// It runs the same instructions for all operands: the reduction is the
// word-by-word (CIOS) Montgomery reduction and the final subtraction of N
// is kept or dropped by a mask.
func (f *montField) montMul(z, x, y []uint, s *montScratch) {
	m := f.m
	n := len(m)
	x, y, z = x[:n], y[:n], z[:n]
	t := s.t[:n+2]
	clear(t)
	for i := 0; i < n; i++ {
		// t += x·y[i]
		var c uint
		yi := y[i]
		for j := 0; j < n; j++ {
			hi, lo := bits.Mul(x[j], yi)
			var c1, c2 uint
			lo, c1 = bits.Add(lo, t[j], 0)
			lo, c2 = bits.Add(lo, c, 0)
			t[j], c = lo, hi+c1+c2
		}
		var c3 uint
		t[n], c3 = bits.Add(t[n], c, 0)
		t[n+1] = c3
		// t = (t + q·N) / W with q chosen so that the low word cancels
		q := t[0] * f.m0inv
		hi, lo := bits.Mul(m[0], q)
		_, c1 := bits.Add(lo, t[0], 0)
		c = hi + c1
		for j := 1; j < n; j++ {
			hi, lo := bits.Mul(m[j], q)
			var c1, c2 uint
			lo, c1 = bits.Add(lo, t[j], 0)
			lo, c2 = bits.Add(lo, c, 0)
			t[j-1], c = lo, hi+c1+c2
		}
		t[n-1], c1 = bits.Add(t[n], c, 0)
		t[n] = t[n+1] + c1
	}
	// t < 2N: z = t − N unless that borrows, in which case z = t.
	var borrow uint
	for j := 0; j < n; j++ {
		z[j], borrow = bits.Sub(t[j], m[j], borrow)
	}
	_, borrow = bits.Sub(t[n], 0, borrow)
	keep := -borrow // all ones when t < N
	for j := 0; j < n; j++ {
		z[j] = t[j]&keep | z[j]&^keep
	}
	s.muls++
}

// combTable is the comb of g for exponents of exactly bitLen bits.
type combTable struct {
	bitLen int
	rowLen int    // bitLen / combTeeth
	cols   int    // rowLen / combSubtables
	limbs  []uint // [combSubtables][combEntries][len(field.m)], Montgomery form
}

func newCombTable(bitLen int) *combTable {
	rowLen := bitLen / combTeeth
	cols := rowLen / combSubtables
	if cols*combSubtables*combTeeth != bitLen {
		panic("srp: comb length not a multiple of its shape") // constants below only
	}
	// base[q] = g^(2^(q·cols)): every position k·rowLen + j·cols is such a
	// multiple, with q = k·combSubtables + j.
	base := make([]*big.Int, combTeeth*combSubtables)
	base[0] = new(big.Int).Set(groupG)
	for q := 1; q < len(base); q++ {
		p := new(big.Int).Set(base[q-1])
		for range cols {
			p.Mul(p, p).Mod(p, groupN)
		}
		base[q] = p
	}
	n := len(field.m)
	t := &combTable{bitLen: bitLen, rowLen: rowLen, cols: cols,
		limbs: make([]uint, combSubtables*combEntries*n)}
	for j := 0; j < combSubtables; j++ {
		var entry [combEntries]*big.Int
		entry[0] = big.NewInt(1)
		for idx := 1; idx < combEntries; idx++ {
			low := idx & -idx
			k := bits.TrailingZeros(uint(idx))
			e := new(big.Int).Mul(entry[idx&^low], base[k*combSubtables+j])
			entry[idx] = e.Mod(e, groupN)
		}
		for idx, e := range entry {
			copy(t.entry(j, idx), field.toMont(e))
		}
	}
	return t
}

func (t *combTable) entry(j, idx int) []uint {
	n := len(field.m)
	at := (j*combEntries + idx) * n
	return t.limbs[at : at+n]
}

// pick sets s.sel to entry idx of subtable j, reading every entry of the
// subtable whatever idx is.
func (t *combTable) pick(j int, idx uint, s *montScratch) {
	sel := s.sel
	clear(sel)
	for e := 0; e < combEntries; e++ {
		mask := -uint(subtle.ConstantTimeEq(int32(e), int32(idx)))
		src := t.entry(j, e)
		for i := range sel {
			sel[i] |= src[i] & mask
		}
		s.selects++
	}
}

// exp sets z to g^e mod N (in ordinary form, not Montgomery form) for a
// big-endian e of exactly bitLen/8 bytes.
func (t *combTable) exp(z []uint, e []byte, s *montScratch) {
	if len(e)*8 != t.bitLen {
		panic("srp: exponent length does not match the comb table")
	}
	first := true
	for col := t.cols - 1; col >= 0; col-- {
		if !first {
			field.montMul(z, z, z, s)
		}
		for j := 0; j < combSubtables; j++ {
			var idx uint
			for k := 0; k < combTeeth; k++ {
				idx |= bitAt(e, k*t.rowLen+j*t.cols+col) << k
			}
			t.pick(j, idx, s)
			if first {
				copy(z, s.sel)
				first = false
			} else {
				field.montMul(z, z, s.sel, s)
			}
		}
	}
	// Leave Montgomery form: multiply by 1.
	clear(s.sel)
	s.sel[0] = 1
	field.montMul(z, z, s.sel, s)
}

// bitAt returns bit p (0 = least significant) of the big-endian e. The
// position is public; only the value read is secret.
func bitAt(e []byte, p int) uint {
	return uint(e[len(e)-1-p/8]>>(p%8)) & 1
}

// Exponent lengths served by tables: the client's a (and the test
// server's b) has 1024 bits, x 256.
const (
	longExpBytes  = 128
	shortExpBytes = sha256.Size
)

var (
	longCombOnce, shortCombOnce sync.Once
	longComb, shortComb         *combTable
)

func longTable() *combTable {
	longCombOnce.Do(func() { longComb = newCombTable(8 * longExpBytes) })
	return longComb
}

func shortTable() *combTable {
	shortCombOnce.Do(func() { shortComb = newCombTable(8 * shortExpBytes) })
	return shortComb
}

// powG returns g^e mod N for the big-endian exponent e. Its time and
// memory accesses depend on len(e) only: e is zero-extended to 32 or 128
// bytes for the tables, and longer exponents use bigmod's constant-time
// Exp.
func powG(e []byte) *bigmod.Nat {
	return powGWith(e, field.newScratch())
}

func powGWith(e []byte, s *montScratch) *bigmod.Nat {
	z := bigmod.NewNat().ExpandFor(groupM)
	var t *combTable
	switch {
	case len(e) <= shortExpBytes:
		t = shortTable()
	case len(e) <= longExpBytes:
		t = longTable()
	default:
		return z.Exp(natG, e, groupM)
	}
	padded := make([]byte, t.bitLen/8)
	copy(padded[len(padded)-len(e):], e)
	t.exp(z.Bits(), padded, s)
	return z
}
