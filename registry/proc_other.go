//go:build !unix

package registry

// signalAlive cannot probe a process here; the heartbeat decides.
func signalAlive(int) (alive, known bool) { return false, false }
