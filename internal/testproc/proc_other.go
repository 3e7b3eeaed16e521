//go:build !unix

package testproc

import "os/exec"

// setProcessGroup keeps exec's defaults: killGroup kills the program
// itself, not what it spawned.
func setProcessGroup(cmd *exec.Cmd) {}

// killGroup kills the program.
func killGroup(cmd *exec.Cmd) error { return cmd.Process.Kill() }
