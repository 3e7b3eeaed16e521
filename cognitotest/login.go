package cognitotest

import (
	"bytes"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"html/template"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"
)

const (
	// loginCookie is the cookie of a browser's managed-login session, named
	// as Cognito's; csrfCookie holds the browser's CSRF token, which every
	// form sends back as _csrf (Cognito's names too).
	loginCookie = "cognito"
	csrfCookie  = "XSRF-TOKEN"
	// loginSessionLifetime is how long a managed-login session signs the
	// browser in without the form: one hour, as Cognito's cookie.
	loginSessionLifetime = time.Hour
	// flowLifetime is how long a login page can be answered.
	flowLifetime = time.Hour
	// maxAttempts is how many answers to one challenge a login page takes
	// before it starts the sign-in over, a cognitotest choice.
	maxAttempts = 5
)

// stepPassword is the step of a login flow at the username and password
// form; the other steps are named by their challenge.
const stepPassword = "password"

// loginFlow is one sign-in on the login page: the authorization request
// it will answer and the step it is at. It is kept in the Server's flows
// under its id, which the page's forms carry in the hidden field flow.
// Its fields other than id and csrf are read and written with mu held, so
// that two posts of the same page are answered one after the other.
type loginFlow struct {
	storeEntry
	id   string
	csrf string // the browser's CSRF token when the page was served
	req  *authRequest

	mu   sync.Mutex
	done bool
	// step is stepPassword or the challenge the sign-in is at; session is
	// that challenge's Session and params its parameters.
	step     string
	session  string
	params   map[string]string
	attempts int    // failed answers to the current challenge
	username string // as typed, to fill the form again
}

// loginSession is a browser's managed-login session, kept in the Server's
// logins under the value of its cookie.
type loginSession struct {
	storeEntry
	user     *user
	authTime time.Time
}

// tokenPattern is the shape of the random values of the flow field and of
// the cookies.
var tokenPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)

// newPageToken returns 32 random bytes, base64url without padding.
func newPageToken() string {
	return base64.RawURLEncoding.EncodeToString(randomBytes(32))
}

// serveLogin answers /login: GET shows the sign-in form of an
// authorization request (the parameters of /oauth2/authorize), POST
// answers the form of the step the sign-in is at.
func (s *Server) serveLogin(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
		s.startLogin(w, r)
	case http.MethodPost:
		s.answerLogin(w, r)
	default:
		methodNotAllowed(w, http.MethodGet+", "+http.MethodPost)
	}
}

// startLogin checks the authorization request and shows the username and
// password form of a new flow.
func (s *Server) startLogin(w http.ResponseWriter, r *http.Request) {
	req, e := s.parseAuthRequest(r.URL.Query())
	if e != nil {
		s.refuseAuthRequest(w, r, req, e)
		return
	}
	csrf := ""
	if c, err := r.Cookie(csrfCookie); err == nil && tokenPattern.MatchString(c.Value) {
		csrf = c.Value
	} else {
		csrf = newPageToken()
		http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: csrf, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode})
	}
	now := s.now()
	flow := &loginFlow{id: newPageToken(), csrf: csrf, req: req, step: stepPassword}
	flow.expires = now.Add(flowLifetime)
	s.mu.Lock()
	s.flows.add(flow.id, flow, now)
	s.mu.Unlock()
	s.renderStep(w, flow, "")
}

// answerLogin answers a form of the login page. The form must name a live
// flow and carry the browser's CSRF token, in the _csrf field and the
// cookie, as it was when the flow began.
func (s *Server) answerLogin(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
	if err := r.ParseForm(); err != nil {
		renderError(w, http.StatusBadRequest, "The form cannot be read.")
		return
	}
	now := s.now()
	flow := s.lookupFlow(r, now)
	if flow == nil {
		renderError(w, http.StatusBadRequest, "This sign-in page has expired. Return to the application to sign in again.")
		return
	}
	flow.mu.Lock()
	defer flow.mu.Unlock()
	if flow.done {
		renderError(w, http.StatusBadRequest, "This sign-in page has expired. Return to the application to sign in again.")
		return
	}
	if flow.step == stepPassword {
		s.answerPassword(w, r, flow, now)
		return
	}
	s.answerStep(w, r, flow, now)
}

// lookupFlow returns the live flow that the posted form names, if the form
// and the cookie both carry the flow's CSRF token; else nil.
func (s *Server) lookupFlow(r *http.Request, now time.Time) *loginFlow {
	c, err := r.Cookie(csrfCookie)
	if err != nil {
		return nil
	}
	s.mu.Lock()
	flow, ok := s.flows.get(r.PostForm.Get("flow"), now)
	s.mu.Unlock()
	if !ok ||
		subtle.ConstantTimeCompare([]byte(r.PostForm.Get("_csrf")), []byte(flow.csrf)) != 1 ||
		subtle.ConstantTimeCompare([]byte(c.Value), []byte(flow.csrf)) != 1 {
		return nil
	}
	return flow
}

// answerPassword checks the username (or alias) and password of the
// first form, as USER_PASSWORD_AUTH does (an unknown user costs the same
// check and gets the same message), and goes on with the sign-in.
func (s *Server) answerPassword(w http.ResponseWriter, r *http.Request, flow *loginFlow, now time.Time) {
	name, password := r.PostForm.Get("username"), r.PostForm.Get("password")
	flow.username = name
	if name == "" || password == "" {
		s.renderStep(w, flow, "Enter your username and password.")
		return
	}
	c := s.credentialsFor(name)
	if !s.passwordMatches(c, password) || c.user == nil {
		s.renderStep(w, flow, badCredentials)
		return
	}
	out, e := s.afterPassword(c.user, progress{oauth: flow.req}, now)
	s.advance(w, r, flow, out, e, now)
}

// answerStep answers the form of a challenge with the challenge logic of
// RespondToAuthChallenge (and, for MFA_SETUP, of VerifySoftwareToken). A
// wrong code, a password the policy refuses or a missing attribute shows
// the same form again with Cognito's message, up to maxAttempts times,
// within the challenge's session lifetime; any other failure starts the
// sign-in over at the username and password form.
func (s *Server) answerStep(w http.ResponseWriter, r *http.Request, flow *loginFlow, now time.Time) {
	sess := s.takeChallenge(flow.session, now)
	if sess == nil {
		s.restart(w, flow, errSessionExpired().msg)
		return
	}
	code := strings.ReplaceAll(strings.TrimSpace(r.PostForm.Get("code")), " ", "")
	var out any
	var e *apiError
	switch flow.step {
	case challengeMFASetup:
		if !s.checkTOTP(sess.user, sess.secret, code, now) {
			e = &apiError{status: http.StatusBadRequest, typ: "EnableSoftwareTokenMFAException", msg: "Code mismatch and fail enable Software Token MFA"}
			break
		}
		s.setAuthenticator(sess.user, sess.secret, "")
		sess.verified = true
		out, e = s.answer(sess, challengeMFASetup, map[string]string{}, nil, now)
	case factorSMS:
		out, e = s.answer(sess, factorSMS, map[string]string{"SMS_MFA_CODE": code}, nil, now)
	case factorEmail:
		out, e = s.answer(sess, factorEmail, map[string]string{"EMAIL_OTP_CODE": code}, nil, now)
	case factorTOTP:
		out, e = s.answer(sess, factorTOTP, map[string]string{"SOFTWARE_TOKEN_MFA_CODE": code}, nil, now)
	case challengeSelectMFA:
		out, e = s.answer(sess, challengeSelectMFA, map[string]string{"ANSWER": r.PostForm.Get("mfa_type")}, nil, now)
	default: // challengeNewPassword
		resp := map[string]string{"NEW_PASSWORD": r.PostForm.Get("new_password")}
		for k, v := range r.PostForm {
			if strings.HasPrefix(k, "userAttributes.") {
				resp[k] = v[0]
			}
		}
		out, e = s.answer(sess, challengeNewPassword, resp, nil, now)
	}
	if e != nil && retryable(e) && flow.attempts+1 < maxAttempts {
		flow.attempts++
		flow.session = s.requeueChallenge(sess, now)
		s.renderStep(w, flow, e.msg)
		return
	}
	s.advance(w, r, flow, out, e, now)
}

// retryable reports whether a failed answer lets the user try again.
func retryable(e *apiError) bool {
	switch e.typ {
	case "CodeMismatchException", "InvalidPasswordException", "InvalidParameterException", "EnableSoftwareTokenMFAException":
		return true
	}
	return false
}

// requeueChallenge stores sess, which a failed answer took, again under a
// new Session, with the expiry it had, and returns that Session.
func (s *Server) requeueChallenge(sess *challengeSession, now time.Time) string {
	token := newSessionToken()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.challenges.add(token, sess, now)
	return token
}

// advance shows what follows a step of the sign-in: the form of the next
// challenge, or, with the authorization code, the redirect to the
// redirect_uri (and a managed-login session for the browser). An error
// starts over at the first form, with its message.
func (s *Server) advance(w http.ResponseWriter, r *http.Request, flow *loginFlow, out any, e *apiError, now time.Time) {
	if e != nil {
		s.restart(w, flow, e.msg)
		return
	}
	switch o := out.(type) {
	case *issuedCode:
		s.finishLogin(w, r, flow, o, now)
	case *authOutput:
		switch o.ChallengeName {
		case challengeMFASetup:
			sess := s.takeChallenge(o.Session, now)
			if sess == nil {
				s.restart(w, flow, errSessionExpired().msg)
				return
			}
			secret := newTOTPSecret()
			o.Session = s.associateSetup(sess, secret, now)
			o.ChallengeParameters["SECRET_CODE"] = secret
		case challengeNewPassword, challengeSelectMFA, factorSMS, factorEmail, factorTOTP:
		default:
			s.restart(w, flow, "The sign-in stopped at challenge "+o.ChallengeName+", which the login page of cognitotest does not answer.")
			return
		}
		flow.step, flow.session, flow.params, flow.attempts = o.ChallengeName, o.Session, o.ChallengeParameters, 0
		s.renderStep(w, flow, "")
	default:
		s.restart(w, flow, "The sign-in ended unexpectedly.")
	}
}

// restart takes flow back to the username and password form, showing msg.
func (s *Server) restart(w http.ResponseWriter, flow *loginFlow, msg string) {
	flow.step, flow.session, flow.params, flow.attempts = stepPassword, "", nil, 0
	s.renderStep(w, flow, msg)
}

// finishLogin ends flow with the authorization code c: the flow is
// dropped, the browser gets a managed-login session, and it is sent to
// the redirect_uri with code and state.
func (s *Server) finishLogin(w http.ResponseWriter, r *http.Request, flow *loginFlow, c *issuedCode, now time.Time) {
	flow.done = true
	ls := &loginSession{user: c.user, authTime: c.authTime}
	ls.expires = now.Add(loginSessionLifetime)
	token := newPageToken()
	s.mu.Lock()
	s.flows.take(flow.id, now)
	s.logins.add(token, ls, now)
	s.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: loginCookie, Value: token, Path: "/", MaxAge: int(loginSessionLifetime / time.Second), HttpOnly: true, SameSite: http.SameSiteLaxMode})
	redirectTo(w, r, flow.req.redirectURI, url.Values{"code": {c.code}}, flow.req.state)
}

// loginSessionOf returns the live managed-login session whose cookie r
// carries, or nil.
func (s *Server) loginSessionOf(r *http.Request, now time.Time) *loginSession {
	c, err := r.Cookie(loginCookie)
	if err != nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ls, _ := s.logins.get(c.Value, now)
	return ls
}

// endLoginSession ends the managed-login session whose cookie r carries,
// if any, and clears the cookie.
func (s *Server) endLoginSession(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(loginCookie); err == nil {
		s.mu.Lock()
		s.logins.take(c.Value, s.now())
		s.mu.Unlock()
	}
	http.SetCookie(w, &http.Cookie{Name: loginCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode})
}

// page is what the login page template shows.
type page struct {
	Step        string // stepPassword, a challenge name, or "error"
	Title       string
	Error       string
	Flow, CSRF  string
	Username    string
	Destination string   // where an SMS or email code was sent
	Factors     []factor // SELECT_MFA_TYPE's choices
	Attributes  []string // NEW_PASSWORD_REQUIRED's required attributes
	Secret      string   // MFA_SETUP's authenticator secret
	OTPAuthURI  string   // the same as an otpauth:// URI, for QR codes
}

// factor is an MFA factor offered by SELECT_MFA_TYPE.
type factor struct {
	Value, Label string
}

var factorLabels = map[string]string{
	factorSMS:   "Text message (SMS)",
	factorTOTP:  "Authenticator app",
	factorEmail: "Email",
}

// renderStep shows the form of flow's step, with msg as its error.
func (s *Server) renderStep(w http.ResponseWriter, flow *loginFlow, msg string) {
	p := page{Step: flow.step, Error: msg, Flow: flow.id, CSRF: flow.csrf, Username: flow.username}
	switch flow.step {
	case stepPassword:
		p.Title = "Sign in"
	case challengeNewPassword:
		p.Title = "Change password"
		var required []string
		if json.Unmarshal([]byte(flow.params["requiredAttributes"]), &required) == nil {
			for _, a := range required {
				p.Attributes = append(p.Attributes, strings.TrimPrefix(a, "userAttributes."))
			}
		}
	case factorSMS, factorEmail:
		p.Title = "Enter the code"
		p.Destination = flow.params["CODE_DELIVERY_DESTINATION"]
	case factorTOTP:
		p.Title = "Enter the code from your authenticator app"
	case challengeSelectMFA:
		p.Title = "Choose how to verify"
		var offered []string
		if json.Unmarshal([]byte(flow.params["MFAS_CAN_CHOOSE"]), &offered) == nil {
			for _, f := range offered {
				p.Factors = append(p.Factors, factor{Value: f, Label: factorLabels[f]})
			}
		}
	case challengeMFASetup:
		p.Title = "Set up an authenticator app"
		p.Secret = flow.params["SECRET_CODE"]
		p.OTPAuthURI = "otpauth://totp/" + url.PathEscape(s.poolName+":"+flow.params["USER_ID_FOR_SRP"]) +
			"?" + url.Values{"secret": {p.Secret}, "issuer": {s.poolName}}.Encode()
	}
	renderPage(w, http.StatusOK, p)
}

// renderError shows the error page, with msg, which never holds a secret.
func renderError(w http.ResponseWriter, status int, msg string) {
	renderPage(w, status, page{Step: "error", Title: "An error was encountered with the requested page.", Error: msg})
}

// renderPage sends the login page template with p. The page needs no
// script; the headers keep it out of caches and frames.
func renderPage(w http.ResponseWriter, status int, p page) {
	var buf bytes.Buffer
	if err := pageTemplate.Execute(&buf, p); err != nil {
		http.Error(w, "rendering the page failed", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Frame-Options", "DENY")
	// No form-action: browsers apply it to the redirect to the callback.
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'")
	h.Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(status)
	w.Write(buf.Bytes()) // a failed write means the browser left
}

// pageTemplate is the login page: one form per step, with stable ids and
// names that browser tests rely on (see the package documentation).
var pageTemplate = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} – cognitotest</title>
<style>
body{font-family:system-ui,sans-serif;background:#f2f3f3;color:#16191f;margin:0}
main{max-width:26rem;margin:4rem auto;background:#fff;padding:2rem;border-radius:.5rem;box-shadow:0 1px 4px rgba(0,0,0,.2)}
h1{font-size:1.4rem;margin-top:0}
label{display:block;margin-top:1rem;font-weight:600}
input[type=text],input[type=password]{display:block;width:100%;box-sizing:border-box;margin-top:.3rem;padding:.5rem;font-size:1rem;border:1px solid #879596;border-radius:.25rem}
.choice{font-weight:400}
button{display:block;width:100%;margin-top:1.5rem;padding:.6rem;font-size:1rem;color:#fff;background:#0972d3;border:0;border-radius:.25rem;cursor:pointer}
.error{color:#d91515;background:#fff7f7;border:1px solid #d91515;padding:.5rem;border-radius:.25rem}
code{word-break:break-all;background:#f2f3f3;padding:.1rem .3rem}
footer{margin-top:1.5rem;font-size:.8rem;color:#5f6b7a}
</style>
</head>
<body data-step="{{.Step}}">
<main>
<h1 id="title">{{.Title}}</h1>
{{if .Error}}<p id="error" class="error" role="alert">{{.Error}}</p>{{end}}
{{- if ne .Step "error"}}
<form id="form" method="post" action="/login" autocomplete="off">
<input type="hidden" name="flow" value="{{.Flow}}">
<input type="hidden" name="_csrf" value="{{.CSRF}}">
{{- if eq .Step "password"}}
<label for="username">Username</label>
<input id="username" name="username" type="text" autocomplete="username" autocapitalize="none" value="{{.Username}}" required autofocus>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
{{- else if eq .Step "NEW_PASSWORD_REQUIRED"}}
<p>You must change your password to continue.</p>
<label for="new_password">New password</label>
<input id="new_password" name="new_password" type="password" autocomplete="new-password" required autofocus>
{{- range .Attributes}}
<label for="attr-{{.}}">{{.}}</label>
<input id="attr-{{.}}" name="userAttributes.{{.}}" type="text" required>
{{- end}}
{{- else if eq .Step "SELECT_MFA_TYPE"}}
{{- range $i, $f := .Factors}}
<label class="choice"><input type="radio" id="mfa_type-{{$f.Value}}" name="mfa_type" value="{{$f.Value}}"{{if eq $i 0}} checked{{end}}> {{$f.Label}}</label>
{{- end}}
{{- else}}
{{- if eq .Step "MFA_SETUP"}}
<p>Add this secret key to your authenticator app, then enter the code it shows.</p>
<p>Secret key: <code id="secret">{{.Secret}}</code></p>
<p>Or as a URI: <code id="otpauth">{{.OTPAuthURI}}</code></p>
{{- else if .Destination}}
<p id="destination">We sent a code to {{.Destination}}.</p>
{{- end}}
<label for="code">Code</label>
<input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" required autofocus>
{{- end}}
<button id="submit" type="submit">{{if eq .Step "password"}}Sign in{{else}}Continue{{end}}</button>
</form>
{{- end}}
<footer>cognitotest: an in-process Amazon Cognito user pool for tests.</footer>
</main>
</body>
</html>
`))
