package srp

import (
	"math/big"
	"sync"
)

// Powers of the generator g are the bulk of a sign-in's arithmetic
// (A = g^a and g^x). Because g never changes, they are computed from a
// table of g^(16^i) mod N with the method of Brickell, Gordon, McCurley and
// Wilson: about one multiplication per hex digit of the exponent plus 30,
// instead of one squaring per bit. Exponents too long for the table fall
// back to big.Int.Exp.

// tableDigits is how many hex digits of exponent the table covers: 1024
// bits, the size of the client's a.
const tableDigits = 256

var (
	tableOnce sync.Once
	gTable    []*big.Int // gTable[i] = g^(16^i) mod N
)

func generatorTable() []*big.Int {
	tableOnce.Do(func() {
		t := make([]*big.Int, tableDigits)
		t[0] = new(big.Int).Set(groupG)
		sixteen := big.NewInt(16)
		for i := 1; i < tableDigits; i++ {
			t[i] = new(big.Int).Exp(t[i-1], sixteen, groupN)
		}
		gTable = t
	})
	return gTable
}

// powG returns g^e mod N for a non-negative e.
func powG(e *big.Int) *big.Int {
	if e.BitLen() > 4*tableDigits {
		return new(big.Int).Exp(groupG, e, groupN)
	}
	table := generatorTable()
	hex := e.Text(16) // most significant digit first
	var byDigit [16][]int
	for j := 0; j < len(hex); j++ {
		d := hex[j]
		switch {
		case d >= 'a':
			d -= 'a' - 10
		default:
			d -= '0'
		}
		if d != 0 {
			byDigit[d] = append(byDigit[d], len(hex)-1-j)
		}
	}
	acc, run := big.NewInt(1), big.NewInt(1)
	var prod, quo big.Int // scratch, reused by every step
	mulMod := func(z, y *big.Int) {
		prod.Mul(z, y)
		quo.QuoRem(&prod, groupN, z)
	}
	for d := 15; d >= 1; d-- {
		for _, i := range byDigit[d] {
			mulMod(run, table[i])
		}
		mulMod(acc, run)
	}
	return acc
}
