package cli

import (
	"strings"
	"testing"

	sdk "github.com/demhost/demhost/plugin-sdk"
)

// Without -v the user sees warnings, errors and plain lines, never a
// crash's stack trace; with -v everything.
func TestPluginOutputShows(t *testing.T) {
	t.Parallel()
	in := []sdk.LogLine{
		{Level: sdk.LevelNone, Message: "plain"},
		{Level: sdk.LevelDebug, Message: "debug"},
		{Level: sdk.LevelInfo, Message: "info"},
		{Level: sdk.LevelWarn, Message: "warn", Attrs: []sdk.LogAttr{{Key: "id", Value: "tt1"}}},
		{Level: sdk.LevelError, Message: "error"},
		{Level: sdk.LevelError, Message: "panic: boom", Crash: true},
		{Level: sdk.LevelError, Message: "goroutine 1 [running]:", Crash: true},
	}
	for _, tc := range []struct {
		verbose bool
		want    string
	}{
		{false, "plugin m: plain\nplugin m: WARN warn id=tt1\nplugin m: ERROR error\n"},
		{true, "plugin m: plain\nplugin m: DEBUG debug\nplugin m: INFO info\nplugin m: WARN warn id=tt1\nplugin m: ERROR error\n" +
			"plugin m: ERROR panic: boom\nplugin m: ERROR goroutine 1 [running]:\n"},
	} {
		var out strings.Builder
		src := newPluginSource("m", &pluginOutput{stderr: &out, verbose: tc.verbose})
		for _, l := range in {
			src.log(l)
		}
		if out.String() != tc.want {
			t.Errorf("verbose=%v: wrote\n%s\nwant\n%s", tc.verbose, out.String(), tc.want)
		}
	}
}
