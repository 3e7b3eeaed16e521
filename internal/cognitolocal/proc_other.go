//go:build !unix

package cognitolocal

import "os/exec"

// setProcessGroup keeps exec's default: cancelling the context kills the
// emulator process itself.
func setProcessGroup(cmd *exec.Cmd) {}
