package sdk

import (
	"fmt"
	"os"
	"time"
)

// parentPoll is how often a serving plugin checks that its host lives.
const parentPoll = 500 * time.Millisecond

// watchParent ends the plugin when the process that started it is gone,
// which the plugin sees as a new parent (init, or a subreaper). A host
// that dies by SIGKILL cannot stop its plugin, and on Linux the parent-
// death signal Start asks for reaches only the process it started, not a
// plugin behind a wrapper script, or started by another host.
func watchParent() {
	parent := os.Getppid()
	if parent <= 1 {
		return // already orphaned, or no parent to watch (Windows)
	}
	for range time.Tick(parentPoll) {
		if os.Getppid() != parent {
			fmt.Fprintf(os.Stderr, "demhost plugin: the host (pid %d) is gone; exiting\n", parent)
			os.Exit(1)
		}
	}
}
