// Package testproc runs a server program for tests: on a free loopback
// port, in a process group of its own, waited for until it answers, and
// killed with everything it spawned when the test ends. The emulator
// launchers internal/cognitolocal and internal/motoserver are built on it.
//
// It is a test helper: [Start] takes a [testing.TB] and cleans up with
// [testing.TB.Cleanup]. Each call starts its own process, so tests using
// it may run in parallel.
package testproc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"
)

const (
	// StartTimeout bounds how long Start waits for the program to answer.
	StartTimeout = 30 * time.Second
	// stopTimeout bounds how long cleanup waits for the killed process and
	// its output pipes.
	stopTimeout = 5 * time.Second
	// probeTimeout bounds one readiness probe.
	probeTimeout = 2 * time.Second
	// probeInterval is the pause between readiness probes.
	probeInterval = 50 * time.Millisecond
	// attempts is how often Start tries again when the free port it picked
	// was taken by someone else before the program could bind it.
	attempts = 3
)

// Spec describes a server program.
type Spec struct {
	// Name names the program in messages, such as "cognito-local".
	Name string

	// Command returns the command that serves on 127.0.0.1:port; it is
	// called once per attempt. Start sets the command's Stdout, Stderr,
	// WaitDelay and process group; the rest (Dir, Env) is the caller's.
	Command func(port int) (*exec.Cmd, error)

	// Ready probes the program once at endpoint ("http://127.0.0.1:PORT"):
	// nil means it serves. ctx bounds the probe.
	Ready func(ctx context.Context, endpoint string) error

	// PortTaken reports whether the output of a program that failed to
	// start shows that another process took its port first; Start then
	// tries again on another port. Nil means never.
	PortTaken func(output string) bool
}

// Process is a running server program.
type Process struct {
	// Endpoint is the program's base URL, "http://127.0.0.1:PORT".
	Endpoint string

	out *outputBuffer
}

// Output returns what the program has printed so far, stdout and stderr
// together, without terminal colour codes. It is also logged when the test
// fails.
func (p *Process) Output() string { return p.out.String() }

// ExitError is the error of Start when the program exited before it
// answered, so that a caller can tell from its output whether something
// is missing (an interpreter's module, say) rather than broken.
type ExitError struct {
	Name   string
	Output string
	Err    error // from exec.Cmd.Wait, or nil
}

func (e *ExitError) Error() string {
	msg := fmt.Sprintf("%s exited before it answered", e.Name)
	if e.Err != nil {
		msg += " (" + e.Err.Error() + ")"
	}
	return msg + "; its output:\n" + e.Output
}

func (e *ExitError) Unwrap() error { return e.Err }

// Start runs spec's program on a free loopback port, waits until
// spec.Ready succeeds (at most StartTimeout) and stops it at t's cleanup,
// logging its output if t failed. It tries up to three ports when
// spec.PortTaken says the port was lost. A program that exits before it
// answers gives an *ExitError.
func Start(t testing.TB, spec Spec) (*Process, error) {
	t.Helper()
	var err error
	for range attempts {
		var p *Process
		var retry bool
		p, retry, err = launch(t, spec)
		if err == nil {
			return p, nil
		}
		if !retry {
			break
		}
	}
	return nil, err
}

// launch starts the program once. On failure it reports whether trying
// again on another port may help.
func launch(t testing.TB, spec Spec) (p *Process, retry bool, err error) {
	t.Helper()
	port, err := FreePort()
	if err != nil {
		return nil, false, err
	}
	endpoint := "http://127.0.0.1:" + strconv.Itoa(port)
	cmd, err := spec.Command(port)
	if err != nil {
		return nil, false, err
	}
	out := &outputBuffer{}
	cmd.Stdout = out
	cmd.Stderr = out
	cmd.WaitDelay = stopTimeout
	setProcessGroup(cmd)
	if err := cmd.Start(); err != nil {
		return nil, false, fmt.Errorf("starting %s: %w", spec.Name, err)
	}
	exited := make(chan struct{})
	var waitErr error
	go func() {
		waitErr = cmd.Wait()
		close(exited)
	}()
	stop := func() {
		if err := killGroup(cmd); err != nil && !errors.Is(err, os.ErrProcessDone) {
			t.Logf("testproc: killing %s (pid %d): %v", spec.Name, cmd.Process.Pid, err)
		}
		select {
		case <-exited:
		case <-time.After(stopTimeout + time.Second):
			t.Logf("testproc: %s (pid %d) did not exit after being killed", spec.Name, cmd.Process.Pid)
		}
	}

	if err := waitReady(spec, endpoint, exited); err != nil {
		early := false
		select {
		case <-exited:
			early = true
		default:
		}
		stop() // also what the program may have left running
		if early {
			taken := spec.PortTaken != nil && spec.PortTaken(out.String())
			return nil, taken, &ExitError{Name: spec.Name, Output: out.String(), Err: waitErr}
		}
		return nil, false, fmt.Errorf("%w; %s output:\n%s", err, spec.Name, out.String())
	}

	t.Cleanup(func() {
		stop()
		if t.Failed() {
			t.Logf("testproc: %s output (%s):\n%s", spec.Name, endpoint, out.String())
		}
	})
	return &Process{Endpoint: endpoint, out: out}, false, nil
}

// waitReady probes the program until it answers, exits, or StartTimeout
// passes.
func waitReady(spec Spec, endpoint string, exited <-chan struct{}) error {
	ctx, cancel := context.WithTimeout(context.Background(), StartTimeout)
	defer cancel()
	tick := time.NewTicker(probeInterval)
	defer tick.Stop()
	for {
		probeCtx, probeCancel := context.WithTimeout(ctx, probeTimeout)
		err := spec.Ready(probeCtx, endpoint)
		probeCancel()
		if err == nil {
			return nil
		}
		select {
		case <-exited:
			return err
		case <-ctx.Done():
			return fmt.Errorf("%s did not answer within %v: %w", spec.Name, StartTimeout, err)
		case <-tick.C:
		}
	}
}

// FreePort returns a loopback TCP port that was free a moment ago.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	if err := l.Close(); err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	return port, nil
}

// Unavailable skips the test, or fails it when the environment variable CI
// is non-empty, where a missing peer is a broken setup rather than an
// optional extra. prefix starts the message, such as "cognitolocal".
func Unavailable(t testing.TB, prefix, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv("CI") != "" {
		t.Fatalf("%s: %s (CI is set, so this is an error)", prefix, msg)
	}
	t.Skipf("%s: %s", prefix, msg)
}

// ansiEscape matches terminal colour codes, which some programs always
// write.
var ansiEscape = regexp.MustCompile("\x1b\\[[0-9;]*m")

// outputBuffer collects a program's stdout and stderr; exec copies both
// from separate goroutines.
type outputBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *outputBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns the output so far, without colour codes.
func (b *outputBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return ansiEscape.ReplaceAllString(b.buf.String(), "")
}

// RecordEnd calls fn with a testing.TB whose Skipf and Fatalf are
// recorded instead of ending t: they end fn's goroutine, as the real ones
// do, and RecordEnd returns what they said ("" for neither). It lets a
// test check how a launcher gives up.
func RecordEnd(t *testing.T, fn func(testing.TB)) (skipped, failed string) {
	rec := &recordingTB{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(rec)
	}()
	<-done
	return rec.skipped, rec.failed
}

// recordingTB captures Skipf and Fatalf.
type recordingTB struct {
	testing.TB
	skipped, failed string
}

func (r *recordingTB) Helper() {}

func (r *recordingTB) Skipf(format string, args ...any) {
	r.skipped = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func (r *recordingTB) Fatalf(format string, args ...any) {
	r.failed = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// Get is a readiness probe for Spec.Ready: it GETs url, reads at most
// 1 MiB of the answer, and fails unless the status is 2xx.
func Get(ctx context.Context, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20)); err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return nil
}
