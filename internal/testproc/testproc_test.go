package testproc

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// helperEnv makes the test binary act as the program under test: "serve"
// answers HTTP on the port given as its argument, "exit" prints a line and
// fails.
const helperEnv = "TESTPROC_HELPER"

func TestMain(m *testing.M) {
	switch os.Getenv(helperEnv) {
	case "serve":
		fmt.Println("serving")
		srv := &http.Server{Addr: "127.0.0.1:" + os.Args[len(os.Args)-1], ReadHeaderTimeout: time.Second}
		fmt.Println(srv.ListenAndServe())
		os.Exit(1)
	case "exit":
		fmt.Println("no luck today")
		os.Exit(3)
	}
	os.Exit(m.Run())
}

// helper returns a Spec running the test binary in mode.
func helper(mode string, calls *int) Spec {
	return Spec{
		Name: "helper-" + mode,
		Command: func(port int) (*exec.Cmd, error) {
			*calls++
			cmd := exec.Command(os.Args[0], "-test.run=^$", strconv.Itoa(port))
			cmd.Env = append(os.Environ(), helperEnv+"="+mode)
			return cmd, nil
		},
		Ready: func(ctx context.Context, endpoint string) error {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint, nil)
			if err != nil {
				return err
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return err
			}
			_, err = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			return err
		},
	}
}

func TestStart(t *testing.T) {
	t.Parallel()
	var endpoint string
	t.Run("serves until cleanup", func(t *testing.T) {
		calls := 0
		p, err := Start(t, helper("serve", &calls))
		require.NoError(t, err)
		assert.Equal(t, 1, calls)
		endpoint = p.Endpoint
		resp, err := http.Get(p.Endpoint)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Contains(t, p.Output(), "serving")
	})
	// The subtest's cleanup killed the program.
	_, err := http.Get(endpoint)
	require.Error(t, err)
}

func TestStartExits(t *testing.T) {
	t.Parallel()
	calls := 0
	spec := helper("exit", &calls)
	_, err := Start(t, spec)
	var exit *ExitError
	require.ErrorAs(t, err, &exit)
	assert.Contains(t, exit.Output, "no luck today")
	var exitErr *exec.ExitError
	require.ErrorAs(t, err, &exitErr)
	assert.Equal(t, 3, exitErr.ExitCode())
	assert.Equal(t, 1, calls, "no second try unless the port was taken")

	calls = 0
	spec.PortTaken = func(out string) bool { return true }
	_, err = Start(t, spec)
	require.ErrorAs(t, err, &exit)
	assert.Equal(t, 3, calls, "three ports tried")
}

// Not parallel: it sets an environment variable.
func TestUnavailable(t *testing.T) {
	unavailable := func(tb testing.TB) { Unavailable(tb, "prefix", "%s is missing", "thing") }
	t.Run("skips outside CI", func(t *testing.T) {
		t.Setenv("CI", "")
		skipped, failed := RecordEnd(t, unavailable)
		assert.Empty(t, failed)
		assert.Equal(t, "prefix: thing is missing", skipped)
	})
	t.Run("fails under CI", func(t *testing.T) {
		t.Setenv("CI", "true")
		skipped, failed := RecordEnd(t, unavailable)
		assert.Empty(t, skipped)
		assert.Equal(t, "prefix: thing is missing (CI is set, so this is an error)", failed)
	})
	t.Run("neither", func(t *testing.T) {
		skipped, failed := RecordEnd(t, func(testing.TB) {})
		assert.Empty(t, skipped)
		assert.Empty(t, failed)
	})
}

func TestOutputWithoutColours(t *testing.T) {
	t.Parallel()
	var b outputBuffer
	_, err := b.Write([]byte("\x1b[32mINFO\x1b[0m ready\n"))
	require.NoError(t, err)
	assert.Equal(t, "INFO ready\n", b.String())
}
