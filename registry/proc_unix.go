//go:build unix

package registry

import (
	"errors"
	"syscall"
)

// signalAlive probes pid with signal 0: no such process means dead; a
// process we may not signal is alive.
func signalAlive(pid int) (alive, known bool) {
	err := syscall.Kill(pid, 0)
	switch {
	case err == nil, errors.Is(err, syscall.EPERM):
		return true, true
	case errors.Is(err, syscall.ESRCH):
		return false, true
	}
	return false, false
}
