// Package redact takes secrets out of text that is about to be shown:
// error messages that may carry a server's echo of a request.
package redact

import (
	"cmp"
	"encoding/json"
	"net/url"
	"slices"
	"strings"
)

// Mark replaces a secret.
const Mark = "[redacted]"

// Secrets returns msg with every secret replaced by Mark, in each form an
// echoing server could send it back: as it is, JSON-escaped (a request
// body), and URL-encoded (a query or form). Longer forms go first, so that
// a secret containing another is replaced whole. Empty secrets are
// ignored.
func Secrets(msg string, secrets ...string) string {
	var forms []string
	for _, s := range secrets {
		if s == "" {
			continue
		}
		quoted, _ := json.Marshal(s) // a string always marshals
		forms = append(forms, s, string(quoted[1:len(quoted)-1]), url.QueryEscape(s), url.PathEscape(s))
	}
	slices.SortFunc(forms, func(a, b string) int { return cmp.Compare(len(b), len(a)) })
	for _, f := range slices.Compact(forms) {
		msg = strings.ReplaceAll(msg, f, Mark)
	}
	return msg
}
