//go:build !unix

package sdk

import (
	"os"
	"os/exec"
)

func setProcAttr(*exec.Cmd) {}

func killGroup(p *os.Process) { _ = p.Kill() }
