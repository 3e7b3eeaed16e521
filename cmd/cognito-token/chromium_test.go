package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Headless Chromium as the user's browser, driven through the Chrome
// DevTools Protocol over --remote-debugging-pipe: Chromium reads commands
// on its file descriptor 3 and writes answers and events on 4, each a
// JSON message ended by a NUL byte. That is the transport Puppeteer and
// Playwright use when they launch the browser themselves; unlike
// --remote-debugging-port it needs no WebSocket client, so the test needs
// nothing beyond the standard library and the Debian package chromium.
// interop/NOTES.md says why this over the alternatives.

// chromiumTimeout bounds the whole of one drive of Chromium.
const chromiumTimeout = 2 * time.Minute

// chromiumJob is what the test asks of the test binary acting as the
// browser, in a JSON file named on its command line.
type chromiumJob struct {
	Chromium string `json:"chromium"` // the executable
	Dir      string `json:"dir"`      // for the profile, the screenshots, the logs and the result
	Username string `json:"username"`
	Password string `json:"password"`
	Redirect string `json:"redirect"` // the redirect URL the sign-in ends on
}

// chromiumResult is what the driver leaves in Dir/result.json when it is
// done.
type chromiumResult struct {
	Error    string `json:"error,omitempty"`
	LoginURL string `json:"loginURL"` // the sign-in form's page
	EndURL   string `json:"endURL"`   // the page the browser was left on
	EndText  string `json:"endText"`  // its text
}

// The files the driver writes in the job's directory.
const (
	loginShot     = "login.png"    // the sign-in form, filled in
	endShot       = "end.png"      // the page at the redirect URL
	resultFile    = "result.json"  // a chromiumResult, last
	driverLog     = "driver.log"   // what the driver did
	chromiumLog   = "chromium.log" // Chromium's own output
	chromiumWidth = 1024
)

// requireChromium returns the path of Chromium. Without it the test
// fails under CI (CI set), where .ci/run installs it, and is skipped
// elsewhere, as the interop tests are.
func requireChromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	const msg = "Chromium is not installed (Debian: apt-get install chromium)"
	if os.Getenv("CI") != "" {
		t.Fatalf("%s; CI needs it", msg)
	}
	t.Skipf("%s; CI would fail", msg)
	return ""
}

// runChromiumJob writes job for the driver and returns the $BROWSER
// that runs it, and a function that waits for the driver's result (the
// driver outlives the login, which ends as soon as the browser is back)
// and logs its logs when the test fails.
func runChromiumJob(t *testing.T, job chromiumJob) (browser string, wait func() chromiumResult) {
	t.Helper()
	b, err := json.Marshal(job)
	require.NoError(t, err)
	jobFile := filepath.Join(job.Dir, "job.json")
	require.NoError(t, os.WriteFile(jobFile, b, 0o600))
	t.Cleanup(func() {
		if t.Failed() {
			for _, name := range []string{driverLog, chromiumLog} {
				out, _ := os.ReadFile(filepath.Join(job.Dir, name))
				t.Logf("%s:\n%s", name, out)
			}
		}
	})
	return testBinaryBrowser(t, "chromium", jobFile), func() chromiumResult {
		t.Helper()
		var res chromiumResult
		deadline := time.Now().Add(chromiumTimeout)
		for {
			b, err := os.ReadFile(filepath.Join(job.Dir, resultFile))
			if err == nil {
				require.NoError(t, json.Unmarshal(b, &res))
				return res
			}
			require.True(t, time.Now().Before(deadline), "the Chromium driver left no result")
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// driveChromium is the test binary as the browser: it opens authURL in
// headless Chromium, waits for the sign-in form, fills it in with the
// job's user and submits it, waits to be at the job's redirect URL, and
// takes a screenshot of the form and of that last page. It always writes
// a result.
func driveChromium(jobFile, authURL string) (err error) {
	b, err := os.ReadFile(jobFile)
	if err != nil {
		return err
	}
	var job chromiumJob
	if err := json.Unmarshal(b, &job); err != nil {
		return err
	}
	logf, err := os.Create(filepath.Join(job.Dir, driverLog))
	if err != nil {
		return err
	}
	defer logf.Close()
	var res chromiumResult
	defer func() {
		if err != nil {
			res.Error = err.Error()
			fmt.Fprintln(logf, "error:", err)
		}
		b, _ := json.Marshal(res)
		tmp := filepath.Join(job.Dir, resultFile+".tmp")
		if werr := os.WriteFile(tmp, b, 0o600); werr == nil {
			err = errors.Join(err, os.Rename(tmp, filepath.Join(job.Dir, resultFile)))
		}
	}()

	ctx, cancel := context.WithTimeout(context.Background(), chromiumTimeout-10*time.Second)
	defer cancel()
	br, err := startChromium(ctx, job, logf)
	if err != nil {
		return err
	}
	defer br.close()
	page, err := br.newPage()
	if err != nil {
		return err
	}
	if _, err := br.call(page, "Page.navigate", map[string]any{"url": authURL}); err != nil {
		return err
	}
	if err := br.waitFor(page, `document.readyState === "complete" && document.querySelector("input[name=password]") !== null`); err != nil {
		return fmt.Errorf("waiting for the sign-in form: %w", err)
	}
	fill := fmt.Sprintf(`(() => {
		const form = document.querySelector("input[name=password]").form;
		form.querySelector("input[name=username]").value = %s;
		form.querySelector("input[name=password]").value = %s;
		return location.href;
	})()`, jsString(job.Username), jsString(job.Password))
	if err := br.eval(page, fill, &res.LoginURL); err != nil {
		return fmt.Errorf("filling in the form: %w", err)
	}
	if err := br.screenshot(page, filepath.Join(job.Dir, loginShot)); err != nil {
		return err
	}
	submit := `(() => {
		const form = document.querySelector("input[name=password]").form;
		const button = form.querySelector("[type=submit]");
		if (button) { button.click(); } else { form.requestSubmit(); }
		return true;
	})()`
	var ok bool
	if err := br.eval(page, submit, &ok); err != nil {
		return fmt.Errorf("submitting the form: %w", err)
	}
	at := fmt.Sprintf(`document.readyState === "complete" && location.href.startsWith(%s)`, jsString(job.Redirect))
	if err := br.waitFor(page, at); err != nil {
		var where string
		_ = br.eval(page, `location.href + "\n" + document.body.innerText`, &where)
		return fmt.Errorf("waiting to be back at %s: %w; the browser shows %s", job.Redirect, err, where)
	}
	if err := br.eval(page, "location.href", &res.EndURL); err != nil {
		return err
	}
	if err := br.eval(page, "document.body.innerText", &res.EndText); err != nil {
		return err
	}
	return br.screenshot(page, filepath.Join(job.Dir, endShot))
}

// jsString is s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// chromium is a headless Chromium driven over its DevTools pipe. It is
// used by one goroutine.
type chromium struct {
	ctx    context.Context
	cmd    *exec.Cmd
	in     *os.File      // commands, to Chromium's fd 3
	out    *os.File      // answers and events, from Chromium's fd 4
	reader *bufio.Reader // out
	log    io.Writer
	lastID int
}

// startChromium starts Chromium for job, headless, with a profile of its
// own, until ctx ends.
func startChromium(ctx context.Context, job chromiumJob, log io.Writer) (*chromium, error) {
	theirIn, in, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	out, theirOut, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	chromeLog, err := os.Create(filepath.Join(job.Dir, chromiumLog))
	if err != nil {
		return nil, err
	}
	args := []string{
		"--headless", "--remote-debugging-pipe",
		"--user-data-dir=" + filepath.Join(job.Dir, "profile"),
		"--no-first-run", "--no-default-browser-check", "--disable-gpu",
		"--disable-dev-shm-usage", // containers give /dev/shm 64 MiB
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		fmt.Sprintf("--window-size=%d,768", chromiumWidth),
		"about:blank",
	}
	if os.Geteuid() == 0 {
		// Chromium refuses to run as root with its sandbox (CI runs as root).
		args = append([]string{"--no-sandbox"}, args...)
	}
	cmd := exec.CommandContext(ctx, job.Chromium, args...)
	cmd.ExtraFiles = []*os.File{theirIn, theirOut} // fds 3 and 4
	cmd.Stdout, cmd.Stderr = chromeLog, chromeLog
	cmd.WaitDelay = 5 * time.Second
	fmt.Fprintln(log, "starting", job.Chromium, strings.Join(args, " "))
	err = cmd.Start()
	theirIn.Close()
	theirOut.Close()
	chromeLog.Close()
	if err != nil {
		in.Close()
		out.Close()
		return nil, err
	}
	if deadline, ok := ctx.Deadline(); ok {
		_ = out.SetReadDeadline(deadline)
	}
	return &chromium{ctx: ctx, cmd: cmd, in: in, out: out, reader: bufio.NewReader(out), log: log}, nil
}

// close asks Chromium to close, and kills it if it has not within a few
// seconds.
func (c *chromium) close() {
	_ = c.out.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.call("", "Browser.close", nil); err != nil {
		fmt.Fprintln(c.log, "Browser.close:", err)
	}
	done := make(chan error, 1)
	go func() { done <- c.cmd.Wait() }()
	select {
	case err := <-done:
		fmt.Fprintln(c.log, "chromium exited:", err)
	case <-time.After(10 * time.Second):
		_ = c.cmd.Process.Kill()
		fmt.Fprintln(c.log, "chromium killed:", <-done)
	}
	c.in.Close()
	c.out.Close()
}

// call sends the DevTools command method with params, to the page of
// session (or to the browser when session is empty), and returns the
// command's result, passing over the events that come before it.
func (c *chromium) call(session, method string, params any) (json.RawMessage, error) {
	c.lastID++
	msg := map[string]any{"id": c.lastID, "method": method}
	if params != nil {
		msg["params"] = params
	}
	if session != "" {
		msg["sessionId"] = session
	}
	b, err := json.Marshal(msg)
	if err != nil {
		return nil, err
	}
	if _, err := c.in.Write(append(b, 0)); err != nil {
		return nil, fmt.Errorf("%s: %w", method, err)
	}
	for {
		line, err := c.reader.ReadBytes(0)
		if err != nil {
			return nil, fmt.Errorf("%s: reading Chromium's answer: %w", method, err)
		}
		var answer struct {
			ID     int             `json:"id"`
			Result json.RawMessage `json:"result"`
			Error  *struct {
				Message string `json:"message"`
			} `json:"error"`
		}
		if err := json.Unmarshal(bytes.TrimSuffix(line, []byte{0}), &answer); err != nil {
			return nil, fmt.Errorf("%s: Chromium's answer: %w", method, err)
		}
		if answer.ID != c.lastID {
			continue // an event, or an answer to nothing asked
		}
		if answer.Error != nil {
			return nil, fmt.Errorf("%s: %s", method, answer.Error.Message)
		}
		return answer.Result, nil
	}
}

// newPage opens a tab and returns the session that drives it.
func (c *chromium) newPage() (string, error) {
	res, err := c.call("", "Target.createTarget", map[string]any{"url": "about:blank"})
	if err != nil {
		return "", err
	}
	var target struct {
		TargetID string `json:"targetId"`
	}
	if err := json.Unmarshal(res, &target); err != nil {
		return "", err
	}
	res, err = c.call("", "Target.attachToTarget", map[string]any{"targetId": target.TargetID, "flatten": true})
	if err != nil {
		return "", err
	}
	var attached struct {
		SessionID string `json:"sessionId"`
	}
	if err := json.Unmarshal(res, &attached); err != nil {
		return "", err
	}
	return attached.SessionID, nil
}

// eval evaluates the JavaScript expression in the page and decodes its
// value into v.
func (c *chromium) eval(page, expr string, v any) error {
	res, err := c.call(page, "Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true})
	if err != nil {
		return err
	}
	var r struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		ExceptionDetails *struct {
			Text      string `json:"text"`
			Exception struct {
				Description string `json:"description"`
			} `json:"exception"`
		} `json:"exceptionDetails"`
	}
	if err := json.Unmarshal(res, &r); err != nil {
		return err
	}
	if e := r.ExceptionDetails; e != nil {
		return fmt.Errorf("%s %s", e.Text, e.Exception.Description)
	}
	if len(r.Result.Value) == 0 {
		return errors.New("the expression has no value")
	}
	return json.Unmarshal(r.Result.Value, v)
}

// waitFor evaluates the JavaScript condition in the page until it is
// true, while pages come and go.
func (c *chromium) waitFor(page, condition string) error {
	var last error
	for {
		var ok bool
		err := c.eval(page, condition, &ok)
		if err == nil && ok {
			return nil
		}
		if err != nil {
			last = err // between two pages, there is no document to ask
		}
		select {
		case <-c.ctx.Done():
			return errors.Join(c.ctx.Err(), last)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// screenshot saves what the page shows as a PNG file.
func (c *chromium) screenshot(page, path string) error {
	res, err := c.call(page, "Page.captureScreenshot", map[string]any{"format": "png"})
	if err != nil {
		return err
	}
	var shot struct {
		Data string `json:"data"`
	}
	if err := json.Unmarshal(res, &shot); err != nil {
		return err
	}
	b, err := base64.StdEncoding.DecodeString(shot.Data)
	if err != nil {
		return err
	}
	fmt.Fprintln(c.log, "screenshot", path, len(b), "bytes")
	return os.WriteFile(path, b, 0o600)
}

// assertNotBlank asserts that the PNG file at path shows something: a
// background and, on at least a few hundred pixels, other colours (text
// drawn on it, anti-aliased).
func assertNotBlank(t *testing.T, path string) {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	img, err := png.Decode(f)
	require.NoError(t, err, "%s is not a PNG image", path)
	bounds := img.Bounds()
	assert.Equal(t, chromiumWidth, bounds.Dx(), "%s: the window's width", path)
	colours, background := countColours(img)
	ink := bounds.Dx()*bounds.Dy() - background
	assert.GreaterOrEqual(t, colours, 8, "%s has %d colours: blank", path, colours)
	assert.GreaterOrEqual(t, ink, 300, "%s has %d pixels off its background colour: blank", path, ink)
}

// countColours returns how many colours img has, and how many pixels have
// its commonest colour.
func countColours(img image.Image) (colours, commonest int) {
	counts := map[[4]uint32]int{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, a := img.At(x, y).RGBA()
			counts[[4]uint32{r, g, bl, a}]++
		}
	}
	for _, n := range counts {
		commonest = max(commonest, n)
	}
	return len(counts), commonest
}

// TestChromium: managed login in a real browser. login --browser runs
// the command in $BROWSER, here the test binary driving headless
// Chromium, which fills in cognitotest's login page and submits it; the
// browser comes back to cognito-token's loopback server and is left on
// its page saying that the sign-in is done. Screenshots of both pages
// must show something.
func TestChromium(t *testing.T) {
	t.Parallel()
	chromium := requireChromium(t)
	redirect := freeRedirectURL(t)
	p, h, _ := oauthPool(t, redirect)
	h.browser = nil // the command in $BROWSER
	dir := t.TempDir()
	browser, wait := runChromiumJob(t, chromiumJob{Chromium: chromium, Dir: dir, Username: p.alias, Password: p.password, Redirect: redirect})
	h.env[envBrowser] = browser

	r := h.mustRun(exitOK, "", "login", "--browser", "--timeout", "90s")
	assert.Contains(t, r.stderr, "Signed in as "+p.alias+" in the browser")
	assert.NotContains(t, r.stderr, "Could not open a browser")
	res := wait()
	require.Empty(t, res.Error)
	assert.True(t, strings.HasPrefix(res.LoginURL, p.srv.Domain+"/login?"), "the form's page: %s", res.LoginURL)
	assert.True(t, strings.HasPrefix(res.EndURL, redirect+"?code="), "the last page: %s", res.EndURL)
	assert.Contains(t, res.EndText, "Signed in")
	assert.Contains(t, res.EndText, "You are signed in as "+p.alias+". You can close this tab")
	assertNotBlank(t, filepath.Join(dir, loginShot))
	assertNotBlank(t, filepath.Join(dir, endShot))

	ses := h.session()
	assert.Equal(t, p.srv.Domain, ses.Domain)
	assert.Equal(t, p.username, p.claims(t, ses.AccessToken)["username"])
	r = h.mustRun(exitOK, "", "token")
	assert.Equal(t, ses.AccessToken+"\n", r.stdout)
}

// TestAssertNotBlank: a blank image fails the check, a drawn one passes.
func TestAssertNotBlank(t *testing.T) {
	t.Parallel()
	blank := image.NewRGBA(image.Rect(0, 0, chromiumWidth, 100))
	for i := range blank.Pix {
		blank.Pix[i] = 0xff
	}
	colours, common := countColours(blank)
	assert.Equal(t, 1, colours)
	assert.Equal(t, chromiumWidth*100, common)

	drawn := image.NewRGBA(blank.Rect)
	copy(drawn.Pix, blank.Pix)
	for i := range 40 * 40 {
		x, y := 10+i%40, 10+i/40
		o := drawn.PixOffset(x, y)
		drawn.Pix[o], drawn.Pix[o+1], drawn.Pix[o+2] = uint8(i), uint8(i/8), 0x20
	}
	colours, common = countColours(drawn)
	assert.Greater(t, colours, 8)
	assert.Equal(t, chromiumWidth*100-40*40, common)
}
