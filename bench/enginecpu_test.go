package bench_test

import (
	"net"
	"os"
	"testing"
	"time"

	"github.com/demhost/demhost/bench"
)

func TestParseStatCPU(t *testing.T) {
	t.Parallel()
	// A command name with a space and a parenthesis; utime 250 and stime 50
	// ticks are fields 14 and 15.
	stat := "4242 (java (x) y) S 1 4242 4242 0 -1 4194560 900 0 0 0 250 50 0 0 20 0 93 0 1234 5000000 30000 18446744073709551615\n"
	got, err := bench.ParseStatCPU([]byte(stat))
	if err != nil {
		t.Fatal(err)
	}
	if want := 3 * time.Second; got != want {
		t.Errorf("cpu = %v, want %v", got, want)
	}
	for _, bad := range []string{"", "4242 java S 1", "4242 (java) S 1 2 3"} {
		if _, err := bench.ParseStatCPU([]byte(bad)); err == nil {
			t.Errorf("ParseStatCPU(%q) gave no error", bad)
		}
	}
}

func TestListeningInodes(t *testing.T) {
	t.Parallel()
	table := `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:23F0 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 111 1 0000000000000000 100 0 0 10 0
   1: 0100007F:23F0 0100007F:D2A4 01 00000000:00000000 00:00000000 00000000     0        0 222 1 0000000000000000 20 4 30 10 -1
   2: 0100007F:23F1 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 333 1 0000000000000000 100 0 0 10 0
`
	got := bench.ListeningInodes([]byte(table), 9200) // 0x23F0
	if len(got) != 1 || got[0] != "111" {
		t.Errorf("inodes = %v, want [111]: only the LISTEN socket on 9200", got)
	}
}

func TestEnginePIDFindsTheListener(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	pid, err := bench.EnginePID("http://" + ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	if pid != os.Getpid() {
		t.Errorf("pid = %d, want this test's %d", pid, os.Getpid())
	}
	cpu, err := bench.ProcessCPU(pid)
	if err != nil || cpu <= 0 {
		t.Errorf("ProcessCPU = %v, %v; want a positive time", cpu, err)
	}
}

func TestEnginePIDRefusesRemoteAndUnknown(t *testing.T) {
	t.Parallel()
	if _, err := bench.EnginePID("http://10.1.2.3:9200"); err == nil {
		t.Error("a remote engine gave a pid")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	if _, err := bench.EnginePID("http://" + addr); err == nil {
		t.Errorf("a closed port %s gave a pid", addr)
	}
}
