package main

import (
	"fmt"
	"regexp"
	"runtime"
	"runtime/debug"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestVersion(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	want := regexp.MustCompile(`^cognito-token \S+ go1\.\d+\S* \w+/\w+\n$`)
	for _, arg := range []string{"--version", "-version", "version"} {
		r := h.mustRun(exitOK, "", arg)
		assert.Regexp(t, want, r.stdout)
		assert.Empty(t, r.stderr)
	}
	r := h.mustRun(exitUsage, "", "version", "extra")
	assert.Contains(t, r.stderr, `cognito-token version: unexpected argument "extra"`)
	r = h.mustRun(exitOK, "", "version", "--help")
	assert.Contains(t, r.stdout, "Usage: cognito-token version [flags]")
	r = h.mustRun(exitOK, "", "--help")
	assert.Contains(t, r.stdout, "cognito-token version ")
}

func TestVersionLine(t *testing.T) {
	t.Parallel()
	platform := fmt.Sprintf("%s/%s", runtime.GOOS, runtime.GOARCH)
	tests := []struct {
		name string
		info *debug.BuildInfo
		ok   bool
		want string
	}{
		{
			name: "release",
			info: &debug.BuildInfo{GoVersion: "go1.26.1", Main: debug.Module{Path: "github.com/seed-e8acf5fd/cognito", Version: "v1.2.0"}},
			ok:   true,
			want: "cognito-token v1.2.0 go1.26.1 " + platform,
		},
		{
			name: "clone",
			info: &debug.BuildInfo{GoVersion: "go1.26.1", Main: debug.Module{Path: "github.com/seed-e8acf5fd/cognito", Version: "(devel)"}},
			ok:   true,
			want: "cognito-token (devel) go1.26.1 " + platform,
		},
		{
			name: "no build information",
			ok:   false,
			want: "cognito-token (devel) " + runtime.Version() + " " + platform,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tt.want, versionLine(tt.info, tt.ok))
		})
	}
}
