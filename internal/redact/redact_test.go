package redact

import (
	"encoding/json"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestSecrets(t *testing.T) {
	const pw = `Pä ss"<&>/+=` // escapes differently in JSON, queries and paths
	quoted, _ := json.Marshal(pw)
	for _, form := range []string{pw, string(quoted[1 : len(quoted)-1]), url.QueryEscape(pw), url.PathEscape(pw)} {
		got := Secrets("before "+form+" after", pw)
		assert.Equal(t, "before "+Mark+" after", got, form)
	}
	assert.Equal(t, "keep this", Secrets("keep this", "", "absent"))
	// A secret containing another is replaced whole, whatever the order.
	assert.Equal(t, "x "+Mark+" y", Secrets("x abcdef y", "cd", "abcdef"))
}
