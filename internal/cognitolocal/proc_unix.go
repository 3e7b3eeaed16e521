//go:build unix

package cognitolocal

import (
	"os/exec"
	"syscall"
)

// setProcessGroup runs the emulator in a process group of its own and makes
// cancelling the command's context kill that whole group, so nothing it may
// have spawned outlives the test.
func setProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		// A negative PID addresses the process group.
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}
