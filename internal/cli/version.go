package cli

import (
	"runtime/debug"
	"strings"
)

// version is what --version prints after the program name: the module
// version and the VCS revision the binary was built from, e.g.
// "(devel) 6e92d8f-dirty".
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "(unknown)"
	}
	return versionOf(bi)
}

// versionOf formats the version from build information. A build without
// VCS stamping (go test, -buildvcs=false) gives the module version alone.
func versionOf(bi *debug.BuildInfo) string {
	v := bi.Main.Version
	if v == "" {
		v = "(devel)"
	}
	var rev string
	var dirty bool
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return v
	}
	if len(rev) >= 12 && strings.Contains(v, rev[:12]) {
		return v // a pseudo-version (v0.0.0-2026…-6e92d8f0c1a2+dirty) already names the commit
	}
	if len(rev) > 7 { // a git hash: its short form
		rev = rev[:7]
	}
	if dirty {
		rev += "-dirty"
	}
	return v + " " + rev
}
