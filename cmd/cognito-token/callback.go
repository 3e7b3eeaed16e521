package main

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"html/template"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// callbackHeaderTimeout bounds how long the loopback server waits for a
// request's headers: the browser sends them at once.
const callbackHeaderTimeout = 10 * time.Second

// callbackShutdownTimeout bounds how long the loopback server is given,
// once the sign-in is over, to finish writing the page the browser shows.
const callbackShutdownTimeout = 5 * time.Second

// callback is the loopback end of managed login: an HTTP server on the
// host and port of the redirect URL, where the browser comes back from the
// user pool's sign-in page with an authorization code, or an error. The
// first request on the redirect URL's path carrying the sign-in's result
// is the one that counts; the browser waits for its page until the login
// is over (see finish).
type callback struct {
	host  string // the redirect URL's host and port, as the browser sends it
	path  string
	state string // what the result must carry

	srv     *http.Server
	results chan *callbackResult // the first result, buffered
	done    chan struct{}        // closed when the login is over

	mu    sync.Mutex
	taken bool // a result has been handed over
}

// callbackResult is what the browser brought back: a code, or the reason
// there is none. The login answers with the page the browser shows.
type callbackResult struct {
	code string
	err  error

	page chan page // the login's answer, once
}

// page is what the browser shows at the end of the sign-in.
type page struct {
	status  int
	title   string
	message string
}

// listenCallback starts serving redirect on its host and port, and checks
// the state of what the browser brings back against state. "localhost" is
// served on both 127.0.0.1 and ::1 (when this machine has IPv6), since
// browsers may try either.
func listenCallback(redirect *url.URL, state string) (*callback, error) {
	port := redirect.Port()
	if port == "" {
		port = "80"
	}
	host := redirect.Hostname()
	addrs := []string{host}
	if strings.EqualFold(host, "localhost") {
		addrs = []string{"127.0.0.1", "::1"}
	}
	var listeners []net.Listener
	for i, a := range addrs {
		l, err := net.Listen("tcp", net.JoinHostPort(a, port))
		if err != nil && i > 0 {
			break // no IPv6 here, or someone else's: the browser tries 127.0.0.1 too
		}
		if err != nil {
			return nil, fmt.Errorf("cannot listen for the browser's return on %s (%w): another program has the port, or it is not allowed; stop it, or use another callback URL of the app client", redirect.Host, err)
		}
		listeners = append(listeners, l)
	}
	path := redirect.EscapedPath()
	if path == "" {
		path = "/"
	}
	cb := &callback{
		host:    redirect.Host,
		path:    path,
		state:   state,
		results: make(chan *callbackResult, 1),
		done:    make(chan struct{}),
	}
	cb.srv = &http.Server{Handler: cb, ReadHeaderTimeout: callbackHeaderTimeout}
	for _, l := range listeners {
		go func() { _ = cb.srv.Serve(l) }() // ErrServerClosed, at close
	}
	return cb, nil
}

// ServeHTTP answers the browser. A request on another path (a favicon),
// with another method, or for another host (a web page trying its luck
// through DNS rebinding) is refused and changes nothing.
func (cb *callback) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case !strings.EqualFold(r.Host, cb.host):
		http.Error(w, "wrong host", http.StatusBadRequest)
		return
	case r.URL.EscapedPath() != cb.path:
		http.NotFound(w, r)
		return
	case r.Method != http.MethodGet:
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if got := r.URL.Query().Get("state"); subtle.ConstantTimeCompare([]byte(got), []byte(cb.state)) != 1 {
		// Not this login's sign-in (a stale tab, or a page that forges a
		// request to the loopback port): answered, ignored, and the login
		// goes on waiting for its own.
		writePage(w, foreignPage)
		return
	}
	cb.mu.Lock()
	taken := cb.taken
	cb.taken = true
	cb.mu.Unlock()
	if taken {
		writePage(w, overPage)
		return
	}
	res := readResult(r.URL.Query(), cb.state)
	res.page = make(chan page, 1)
	cb.results <- res
	select {
	case p := <-res.page:
		writePage(w, p)
	case <-cb.done:
		// The login gives the page before it ends, so a page given is
		// here now: select alone would pick either case at random.
		select {
		case p := <-res.page:
			writePage(w, p)
		default:
			writePage(w, overPage)
		}
	case <-r.Context().Done():
	}
}

// foreignPage answers a request whose state is not this login's.
var foreignPage = page{http.StatusBadRequest, "Not this sign-in", "This answer is not from the sign-in that cognito-token is waiting for: it was ignored. Sign in in the tab cognito-token opened."}

// overPage answers a browser that comes back once the login is over.
var overPage = page{http.StatusConflict, "Sign-in over", "This sign-in is over: nothing was done with this answer. You can close this tab."}

// readResult reads the result of the sign-in from the callback's query:
// an error the user pool reports, a state that is not this login's (which
// ServeHTTP has turned away already), or the code.
func readResult(q url.Values, state string) *callbackResult {
	if e := q.Get("error"); e != "" {
		if d := q.Get("error_description"); d != "" {
			e += ": " + d
		}
		return &callbackResult{err: &signInError{reason: e}}
	}
	if got := q.Get("state"); subtle.ConstantTimeCompare([]byte(got), []byte(state)) != 1 {
		return &callbackResult{err: errStateMismatch}
	}
	code := q.Get("code")
	if code == "" {
		return &callbackResult{err: errors.New("the browser came back from the sign-in without an authorization code")}
	}
	return &callbackResult{code: code}
}

// signInError is an error the user pool reported to the redirect URL,
// such as access_denied when the user cancels a federated sign-in.
type signInError struct{ reason string }

func (e *signInError) Error() string {
	return "the sign-in in the browser failed: " + e.reason
}

// errStateMismatch means the browser came back with another sign-in's
// state: an older tab, or a page that tried to slip its own sign-in in.
var errStateMismatch = errors.New("the browser came back from a sign-in that this login did not start (its state does not match): nothing was cached; run login again, and sign in in the tab it opens")

// close stops the server, giving the browser's request a moment to get
// its page, which the login has given with finish.
func (cb *callback) close() {
	close(cb.done)
	ctx, cancel := context.WithTimeout(context.Background(), callbackShutdownTimeout)
	defer cancel()
	if cb.srv.Shutdown(ctx) != nil {
		cb.srv.Close()
	}
}

// finish gives the browser its page for res.
func (res *callbackResult) finish(p page) {
	res.page <- p
}

// pageTemplate is the page the browser shows at the end of the sign-in.
var pageTemplate = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>cognito-token: {{.Title}}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 4em auto; max-width: 36em; padding: 0 1em; color: #1b1b1b; background: #fff; }
h1 { font-size: 1.6em; color: {{if lt .Status 300}}#146c2e{{else}}#a4262c{{end}}; }
</style>
</head>
<body>
<h1>{{.Title}}</h1>
<p>{{.Message}}</p>
</body>
</html>
`))

// writePage writes p as HTML. The page loads nothing and is not cached,
// and the browser sends no referrer from it: its URL holds the code.
func writePage(w http.ResponseWriter, p page) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	w.WriteHeader(p.status)
	_ = pageTemplate.Execute(w, struct {
		Status         int
		Title, Message string
	}{p.status, p.title, p.message})
}
