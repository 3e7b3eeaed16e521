//go:build unix

package testproc

import (
	"errors"
	"os/exec"
	"syscall"
)

// setProcessGroup runs the program in a process group of its own, so that
// killGroup reaches everything it spawned.
func setProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

// killGroup kills the program's process group.
func killGroup(cmd *exec.Cmd) error {
	// A negative PID addresses the process group.
	err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	if errors.Is(err, syscall.ESRCH) { // the group is gone already
		return nil
	}
	return err
}
