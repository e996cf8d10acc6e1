package sdk

import (
	"os/exec"
	"syscall"
)

// setProcAttr puts the plugin in a process group of its own, so that Kill
// reaches the children it starts too, and has the kernel kill it when the
// host dies, even by SIGKILL. (The death signal follows the thread that
// started the plugin; Go keeps its threads for the process's lifetime
// unless a goroutine exits while locked to one, which the host never
// does.)
func setProcAttr(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
