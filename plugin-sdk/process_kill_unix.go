//go:build unix

package sdk

import (
	"os"
	"syscall"
)

// killGroup sends SIGKILL to the plugin's process group, and to the
// plugin itself in case it left the group.
func killGroup(p *os.Process) {
	_ = syscall.Kill(-p.Pid, syscall.SIGKILL)
	_ = p.Kill()
}
