package registry

import (
	"os"
	"strconv"
	"strings"
	"sync"
)

// selfStart is this process's start identity (see procStart).
var selfStart = sync.OnceValue(func() string { return procStart(os.Getpid()) })

// procStart identifies the process pid beyond its number, on Linux: the
// boot, the pid namespace and the process's start time in clock ticks
// since boot, "boot/pidns/ticks". A later process that reuses the pid, a
// reboot, or a process in another pid namespace (a container with the same
// hostname) all give another identity. "" where /proc is missing.
func procStart(pid int) string {
	boot, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return ""
	}
	ns, err := os.Readlink("/proc/self/ns/pid")
	if err != nil {
		return ""
	}
	ticks := startTicks(pid)
	if ticks == "" {
		return ""
	}
	return strings.TrimSpace(string(boot)) + "/" + ns + "/" + ticks
}

// startTicks is field 22 of /proc/<pid>/stat, the start time; "" when the
// process does not exist.
func startTicks(pid int) string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return ""
	}
	// The command name (field 2) may hold spaces and parentheses; the
	// fields after the last ')' start with field 3.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return ""
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 20 {
		return ""
	}
	return f[19]
}

// processAlive tells whether process pid of this host, recorded with the
// start identity start, still runs. known is false when this process
// cannot tell (another pid namespace; no /proc and no signal to probe).
func processAlive(pid int, start string) (alive, known bool) {
	if start != "" {
		self := selfStart()
		rec := strings.SplitN(start, "/", 3)
		cur := strings.SplitN(self, "/", 3)
		if len(rec) == 3 && len(cur) == 3 {
			if rec[0] != cur[0] {
				return false, true // the host was rebooted since
			}
			if rec[1] != cur[1] {
				return false, false // another pid namespace
			}
			ticks := startTicks(pid)
			return ticks != "" && ticks == rec[2], true
		}
	}
	return signalAlive(pid)
}
