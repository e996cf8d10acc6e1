package registry

import (
	"os"
	"runtime"
	"strings"
	"testing"
)

// A pid is this host's process only while its start identity matches: a
// later process with the same pid, or a reboot, is not the one recorded.
func TestProcessAliveByStart(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("start identities come from /proc")
	}
	self := selfStart()
	parts := strings.SplitN(self, "/", 3)
	if len(parts) != 3 || parts[2] == "" {
		t.Fatalf("selfStart = %q, want boot/pidns/ticks", self)
	}
	pid := os.Getpid()
	for _, tc := range []struct {
		name         string
		start        string
		alive, known bool
	}{
		{"this process", self, true, true},
		{"same pid, started at another time", parts[0] + "/" + parts[1] + "/1", false, true},
		{"before a reboot", "00000000-0000-0000-0000-000000000000/" + parts[1] + "/" + parts[2], false, true},
		{"another pid namespace", parts[0] + "/pid:[1]/" + parts[2], false, false},
		{"no identity recorded: signal 0", "", true, true},
	} {
		alive, known := processAlive(pid, tc.start)
		if alive != tc.alive || known != tc.known {
			t.Errorf("%s: alive %v known %v, want %v %v", tc.name, alive, known, tc.alive, tc.known)
		}
	}
	if alive, known := processAlive(1<<22+12345, ""); alive || !known {
		t.Errorf("a pid that does not exist: alive %v known %v", alive, known)
	}
}
