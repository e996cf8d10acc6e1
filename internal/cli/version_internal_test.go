package cli

import (
	"runtime/debug"
	"testing"
)

func TestVersionOf(t *testing.T) {
	t.Parallel()
	rev := debug.BuildSetting{Key: "vcs.revision", Value: "6e92d8f0c1a2b3c4d5e6f708192a3b4c5d6e7f80"}
	for _, c := range []struct {
		name    string
		version string
		set     []debug.BuildSetting
		want    string
	}{
		{"go test: no version, no vcs", "", nil, "(devel)"},
		{"devel, clean", "(devel)", []debug.BuildSetting{rev, {Key: "vcs.modified", Value: "false"}}, "(devel) 6e92d8f"},
		{"devel, dirty", "(devel)", []debug.BuildSetting{rev, {Key: "vcs.modified", Value: "true"}}, "(devel) 6e92d8f-dirty"},
		{"tagged module", "v1.2.3", []debug.BuildSetting{rev}, "v1.2.3 6e92d8f"},
		{"installed with go install, no vcs", "v1.2.3", nil, "v1.2.3"},
		{"pseudo-version names the commit", "v0.0.0-20261126141000-6e92d8f0c1a2+dirty",
			[]debug.BuildSetting{rev, {Key: "vcs.modified", Value: "true"}}, "v0.0.0-20261126141000-6e92d8f0c1a2+dirty"},
	} {
		t.Run(c.name, func(t *testing.T) {
			bi := &debug.BuildInfo{Main: debug.Module{Path: "github.com/demhost/demhost", Version: c.version}, Settings: c.set}
			if got := versionOf(bi); got != c.want {
				t.Errorf("versionOf = %q, want %q", got, c.want)
			}
		})
	}
}
