//go:build unix && !linux

package sdk

import (
	"os/exec"
	"syscall"
)

// setProcAttr puts the plugin in a process group of its own, so that Kill
// reaches the children it starts too. Without Linux's parent-death signal,
// Serve's watch on its parent ends a plugin whose host died.
func setProcAttr(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}
