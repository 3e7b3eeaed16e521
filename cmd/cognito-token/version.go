package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

const versionHelp = `Prints the version of cognito-token: the module version it was built
from (a release such as v1.2.0 for 'go install ...@v1.2.0'; "(devel)" or a
pseudo-version made from the commit for a build from a clone), then the Go
version, system and architecture it was built with and for.
`

// version prints the version line.
func (c *cli) version(args []string) error {
	fs := newFlagSet("version")
	if err := c.parse(fs, versionHelp, args); err != nil {
		return err
	}
	info, ok := debug.ReadBuildInfo()
	_, err := fmt.Fprintln(c.stdout, versionLine(info, ok))
	return err
}

// versionLine is "cognito-token <module version> <Go version> <os>/<arch>",
// from the build information when there is some (ok).
func versionLine(info *debug.BuildInfo, ok bool) string {
	version, goVersion := "(devel)", runtime.Version()
	if ok && info.Main.Version != "" {
		version = info.Main.Version
	}
	if ok && info.GoVersion != "" {
		goVersion = info.GoVersion
	}
	return fmt.Sprintf("cognito-token %s %s %s/%s", version, goVersion, runtime.GOOS, runtime.GOARCH)
}
