package cli

import (
	"strings"
	"testing"
)

func TestPluginLogDropsKillWarningUnlessVerbose(t *testing.T) {
	t.Parallel()
	in := []string{
		"2026-11-26T14:03:04.864Z [WARN]  plugin.lister: plugin failed to exit gracefully\n",
		"2026-11-26T14:03:05.000Z [ERROR] plugin.movies: something real\n",
	}
	for _, tc := range []struct {
		verbose bool
		want    string
	}{
		{false, in[1]},
		{true, in[0] + in[1]},
	} {
		var out strings.Builder
		l := &pluginLog{out: &out, verbose: tc.verbose}
		// Written in pieces, as a pipe may deliver them.
		all := in[0] + in[1]
		for i := 0; i < len(all); i += 7 {
			if _, err := l.Write([]byte(all[i:min(i+7, len(all))])); err != nil {
				t.Fatal(err)
			}
		}
		if out.String() != tc.want {
			t.Errorf("verbose=%v: wrote %q, want %q", tc.verbose, out.String(), tc.want)
		}
	}
}
