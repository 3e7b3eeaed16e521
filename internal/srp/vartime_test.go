package srp

import (
	"io"
	"math/big"
	"sync"
)

// This file keeps the client arithmetic as it was before it became
// constant-time, for BenchmarkClientSignInVariableTime and the timing
// comparison only: math/big's Exp and a table of g^(16^i) whose running
// time follows the digits of a and x. It is not used by the package.

var (
	varTimeTableOnce sync.Once
	varTimeTable     []*big.Int // varTimeTable[i] = g^(16^i) mod N
)

func varTimeGenerator() []*big.Int {
	varTimeTableOnce.Do(func() {
		t := make([]*big.Int, 256)
		t[0] = new(big.Int).Set(groupG)
		sixteen := big.NewInt(16)
		for i := 1; i < len(t); i++ {
			t[i] = new(big.Int).Exp(t[i-1], sixteen, groupN)
		}
		varTimeTable = t
	})
	return varTimeTable
}

// varTimePowG is g^e mod N by the method of Brickell, Gordon, McCurley and
// Wilson: one multiplication per non-zero hex digit plus 15.
func varTimePowG(e *big.Int) *big.Int {
	table := varTimeGenerator()
	if e.BitLen() > 4*len(table) {
		return new(big.Int).Exp(groupG, e, groupN)
	}
	hex := e.Text(16)
	var byDigit [16][]int
	for j := 0; j < len(hex); j++ {
		d := hex[j]
		if d >= 'a' {
			d -= 'a' - 10
		} else {
			d -= '0'
		}
		if d != 0 {
			byDigit[d] = append(byDigit[d], len(hex)-1-j)
		}
	}
	acc, run := big.NewInt(1), big.NewInt(1)
	var prod, quo big.Int
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

type varTimeClient struct {
	a, pub *big.Int
}

func newVarTimeClient(r io.Reader) (*varTimeClient, error) {
	for {
		a, err := randomExponent(r)
		if err != nil {
			return nil, err
		}
		if a.Sign() == 0 {
			continue
		}
		return newVarTimeClientWithSecret(a), nil
	}
}

func newVarTimeClientWithSecret(a *big.Int) *varTimeClient {
	return &varTimeClient{a: new(big.Int).Set(a), pub: varTimePowG(a)}
}

func (c *varTimeClient) key(salt, b *big.Int, poolName, userID, password string) ([]byte, error) {
	if b.Sign() < 0 || new(big.Int).Mod(b, groupN).Sign() == 0 {
		return nil, ErrZeroPublicKey
	}
	u := Scrambler(c.pub, b)
	if u.Sign() == 0 {
		return nil, ErrZeroScrambling
	}
	x := PrivateKey(salt, poolName, userID, password)
	base := varTimePowG(x)
	base.Mul(base, groupK)
	base.Sub(b, base)
	base.Mod(base, groupN)
	exp := new(big.Int).Mul(u, x)
	exp.Add(exp, c.a)
	s := base.Exp(base, exp, groupN)
	return DeriveKey(s, u)
}
