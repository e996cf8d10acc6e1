package bench

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// clockTicks is USER_HZ, the unit of the CPU times in /proc/PID/stat. The
// kernel fixes it at 100 for user space on every architecture Go runs
// Linux on.
const clockTicks = 100

// EnginePID returns the pid of the local process that listens on the port
// of the engine at rawURL, so the bench can read the engine's own CPU
// time. It fails for an engine on another host, and when /proc does not
// say (another user's process, or not Linux).
func EnginePID(rawURL string) (int, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return 0, err
	}
	host, port := u.Hostname(), u.Port()
	if port == "" {
		port = map[string]string{"https": "443"}[u.Scheme]
		if port == "" {
			port = "80"
		}
	}
	if !isLoopback(host) {
		return 0, fmt.Errorf("%s is not on this machine", host)
	}
	p, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		return 0, fmt.Errorf("port %q: %w", port, err)
	}
	inodes := map[string]bool{}
	for _, f := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, ino := range ListeningInodes(data, uint16(p)) {
			inodes[ino] = true
		}
	}
	if len(inodes) == 0 {
		return 0, fmt.Errorf("no listening socket on port %d in /proc/net", p)
	}
	return pidOwning(inodes)
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// ListeningInodes returns the socket inodes of the sockets in LISTEN state
// on port, from the text of /proc/net/tcp or /proc/net/tcp6.
func ListeningInodes(table []byte, port uint16) []string {
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(table))
	sc.Scan() // header
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		// sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
		if len(f) < 10 || f[3] != "0A" { // 0A is TCP_LISTEN
			continue
		}
		i := strings.LastIndexByte(f[1], ':')
		if i < 0 {
			continue
		}
		if p, err := strconv.ParseUint(f[1][i+1:], 16, 16); err == nil && uint16(p) == port {
			out = append(out, f[9])
		}
	}
	return out
}

// pidOwning returns the pid of a process holding a descriptor of one of the
// socket inodes.
func pidOwning(inodes map[string]bool) (int, error) {
	procs, err := filepath.Glob("/proc/[0-9]*")
	if err != nil {
		return 0, err
	}
	for _, dir := range procs {
		fds, err := os.ReadDir(filepath.Join(dir, "fd"))
		if err != nil {
			continue
		}
		for _, fd := range fds {
			link, err := os.Readlink(filepath.Join(dir, "fd", fd.Name()))
			if err != nil || !strings.HasPrefix(link, "socket:[") {
				continue
			}
			if inodes[strings.TrimSuffix(strings.TrimPrefix(link, "socket:["), "]")] {
				return strconv.Atoi(filepath.Base(dir))
			}
		}
	}
	return 0, errors.New("no process of this user holds the listening socket")
}

// ProcessCPU returns the user+system CPU time the process pid has used so
// far, all threads, from /proc/PID/stat.
func ProcessCPU(pid int) (time.Duration, error) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	return ParseStatCPU(data)
}

// ParseStatCPU reads utime and stime from the text of /proc/PID/stat. The
// command name, field 2, is in parentheses and may hold spaces and
// parentheses itself, so fields are counted after its last ')'.
func ParseStatCPU(stat []byte) (time.Duration, error) {
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, errors.New("stat: no command name")
	}
	f := strings.Fields(string(stat[i+1:]))
	// f[0] is field 3 (state); utime and stime are fields 14 and 15.
	if len(f) < 13 {
		return 0, fmt.Errorf("stat: %d fields after the command name, want at least 13", len(f))
	}
	var ticks uint64
	for _, s := range f[11:13] {
		t, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("stat: cpu time %q: %w", s, err)
		}
		ticks += t
	}
	return time.Duration(ticks) * time.Second / clockTicks, nil
}

// EngineMeter reads the CPU time of the engine process, when known.
type EngineMeter struct{ PID int }

// Read returns the engine's CPU time so far, or -1 when it is not
// measured.
func (m EngineMeter) Read() time.Duration {
	if m.PID <= 0 {
		return -1
	}
	d, err := ProcessCPU(m.PID)
	if err != nil {
		return -1
	}
	return d
}

// Span returns the engine CPU used between two Reads, or -1 when either
// was not measured.
func Span(before, after time.Duration) time.Duration {
	if before < 0 || after < 0 {
		return -1
	}
	return after - before
}
